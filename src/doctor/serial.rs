//! The serial ports: every USB serial device with a known stick's id, and every port the
//! configuration names. For each: is it there, may this user read and write it, and does another
//! program hold it open (found by scanning `/proc/*/fd`)?

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use sealhub_radios::discovery::{known_stick, sysfs};

use super::{Credentials, Finding, Status, SystemRoot, credentials};

pub(super) fn check(root: &SystemRoot, configured: &[PathBuf]) -> Vec<Finding> {
    let creds = credentials(root);
    let groups = group_names(root);
    let mut findings = Vec::new();
    let mut checked: Vec<PathBuf> = Vec::new();

    let ports = sysfs::usb_serial_ports(&root.sys_roots()).unwrap_or_default();
    for port in &ports {
        let (vid, pid) = (port.usb.vendor_id, port.usb.product_id);
        let Some(stick) = known_stick(vid, pid) else {
            continue;
        };
        let path = port.preferred_path().to_path_buf();
        let subject = format!("serial {}", path.display());
        findings.push(Finding::new(
            Status::Ok,
            subject.clone(),
            format!("{vid:04x}:{pid:04x}, {}", stick.sticks),
        ));
        findings.extend(access(&subject, &port.dev_path, creds.as_ref(), &groups));
        findings.extend(holders(root, &subject, &port.dev_path));
        checked.push(canonical(&port.dev_path));
    }
    for path in configured {
        let dev = root.join(&path.to_string_lossy());
        if checked.contains(&canonical(&dev)) {
            continue;
        }
        let subject = format!("serial {}", path.display());
        if !dev.exists() {
            findings.push(
                Finding::new(Status::Fail, subject, "configured, but not there")
                    .fix("plug the stick in, or correct `port` (see ls -l /dev/serial/by-id/)"),
            );
            continue;
        }
        findings.extend(access(&subject, &dev, creds.as_ref(), &groups));
        findings.extend(holders(root, &subject, &dev));
    }
    if findings.is_empty() {
        findings.push(
            Finding::new(Status::Warn, "serial", "no known radio stick is plugged in")
                .fix("plug one in (docs/RASPBERRY-PI.md lists the known sticks), or set `port`"),
        );
    }
    findings
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether `creds` may read and write a file of this owner, group and mode.
pub(super) fn may_read_write(mode: u32, uid: u32, gid: u32, creds: &Credentials) -> bool {
    creds.uid == 0
        || (creds.uid == uid && mode & 0o600 == 0o600)
        || (creds.uid != uid && creds.groups.contains(&gid) && mode & 0o060 == 0o060)
        || (creds.uid != uid && !creds.groups.contains(&gid) && mode & 0o006 == 0o006)
}

fn access(
    subject: &str,
    dev: &Path,
    creds: Option<&Credentials>,
    groups: &[(String, u32)],
) -> Option<Finding> {
    let meta = std::fs::metadata(dev).ok()?;
    let creds = creds?;
    let (mode, uid, gid) = (meta.mode() & 0o777, meta.uid(), meta.gid());
    if may_read_write(mode, uid, gid, creds) {
        return None;
    }
    let group = groups
        .iter()
        .find(|(_, id)| *id == gid)
        .map_or_else(|| gid.to_string(), |(name, _)| name.clone());
    Some(
        Finding::new(
            Status::Fail,
            subject,
            format!(
                "this user (uid {}) may not read and write it (group {group}, mode {mode:03o})",
                creds.uid
            ),
        )
        .fix(format!(
            "sudo usermod -aG {group} $USER, then log out and in again (the packaged service \
             already runs in group dialout)"
        )),
    )
}

/// `/etc/group` under the root: names by gid.
fn group_names(root: &SystemRoot) -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(root.join("/etc/group")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut fields = l.split(':');
            let name = fields.next()?;
            let gid = fields.nth(1)?.parse().ok()?;
            Some((name.to_owned(), gid))
        })
        .collect()
}

/// Processes with the device open, by scanning `/proc/<pid>/fd`.
fn holders(root: &SystemRoot, subject: &str, dev: &Path) -> Vec<Finding> {
    let target = canonical(dev);
    let Ok(procs) = std::fs::read_dir(root.join("/proc")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for proc_dir in procs.filter_map(|e| e.ok()) {
        let name = proc_dir.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(proc_dir.path().join("fd")) else {
            continue;
        };
        let holds = fds
            .filter_map(|e| e.ok())
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .any(|link| link == target || canonical(&link) == target);
        if holds {
            let program = program_name(&proc_dir.path());
            found.push(
                Finding::new(
                    Status::Fail,
                    subject,
                    format!("held open by {program} (pid {pid})"),
                )
                .fix(stop_hint(&program)),
            );
        }
    }
    found
}

/// The process's name, with Node programs named by what they run (Zigbee2MQTT, Z-Wave JS).
fn program_name(proc_dir: &Path) -> String {
    let comm = std::fs::read_to_string(proc_dir.join("comm"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_else(|_| "an unknown program".into());
    let cmdline = std::fs::read(proc_dir.join("cmdline"))
        .map(|c| String::from_utf8_lossy(&c).to_lowercase())
        .unwrap_or_default();
    if cmdline.contains("zigbee2mqtt") {
        "Zigbee2MQTT".into()
    } else if cmdline.contains("zwave-js") || cmdline.contains("zwavejs") {
        "Z-Wave JS".into()
    } else {
        comm
    }
}

fn stop_hint(program: &str) -> String {
    match program {
        "ModemManager" => "sudo systemctl disable --now ModemManager (it probes serial devices \
                           as modems)"
            .into(),
        "Zigbee2MQTT" => "stop Zigbee2MQTT (sudo systemctl disable --now zigbee2mqtt) or give \
                          it another stick: two programs cannot share one"
            .into(),
        "Z-Wave JS" => {
            "stop Z-Wave JS or give it another stick: two programs cannot share one".into()
        }
        other => format!("stop {other}, or give it another stick: two programs cannot share one"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealhub_radios::discovery::fake_sysfs::FakeTree;

    fn creds(uid: u32, groups: &[u32]) -> Credentials {
        Credentials {
            uid,
            groups: groups.to_vec(),
        }
    }

    #[test]
    fn read_write_follows_owner_group_other_and_root() {
        // root:dialout 0660, as udev leaves a ttyUSB.
        assert!(may_read_write(0o660, 0, 20, &creds(1000, &[20])));
        assert!(!may_read_write(0o660, 0, 20, &creds(1000, &[1000])));
        assert!(may_read_write(0o660, 0, 20, &creds(0, &[])));
        // The owner's bits count for the owner, even if the group's would allow it.
        assert!(!may_read_write(0o460, 1000, 20, &creds(1000, &[20])));
        assert!(may_read_write(0o666, 0, 20, &creds(1000, &[])));
        assert!(!may_read_write(0o664, 0, 20, &creds(1000, &[])));
    }

    fn fake_root() -> (tempfile::TempDir, SystemRoot, FakeTree) {
        let dir = tempfile::tempdir().expect("tmp");
        let tree = FakeTree::in_dir(dir.path());
        let root = SystemRoot(dir.path().to_path_buf());
        (dir, root, tree)
    }

    fn process(root: &SystemRoot, pid: u32, comm: &str, cmdline: &str, holds: Option<&Path>) {
        let dir = root.join(&format!("/proc/{pid}"));
        std::fs::create_dir_all(dir.join("fd")).expect("proc dir");
        std::fs::write(dir.join("comm"), format!("{comm}\n")).expect("comm");
        std::fs::write(dir.join("cmdline"), cmdline.replace(' ', "\0")).expect("cmdline");
        std::os::unix::fs::symlink("/dev/null", dir.join("fd/0")).expect("fd 0");
        if let Some(dev) = holds {
            std::os::unix::fs::symlink(dev, dir.join("fd/7")).expect("fd 7");
        }
    }

    #[test]
    fn names_the_program_holding_a_stick() {
        let (_d, root, tree) = fake_root();
        tree.usb_serial_tty("ttyUSB0", 0x1a86, 0x55d4, Some("ITEAD"), Some("x"));
        tree.usb_serial_tty("ttyUSB1", 0x10c4, 0xea60, None, None);
        let dev0 = root.join("/dev/ttyUSB0");
        let dev1 = root.join("/dev/ttyUSB1");
        process(
            &root,
            812,
            "ModemManager",
            "/usr/sbin/ModemManager",
            Some(&dev0),
        );
        process(
            &root,
            900,
            "node",
            "node /opt/zigbee2mqtt/index.js",
            Some(&dev1),
        );
        process(&root, 901, "bash", "bash", None);

        let findings = check(&root, &[]);
        let fails: Vec<String> = findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(ToString::to_string)
            .collect();
        assert_eq!(fails.len(), 2, "{findings:#?}");
        assert!(fails[0].contains("ModemManager (pid 812)"), "{fails:?}");
        assert!(fails[0].contains("systemctl disable --now ModemManager"));
        assert!(fails[1].contains("Zigbee2MQTT (pid 900)"), "{fails:?}");
    }

    #[test]
    fn a_missing_configured_port_fails_and_no_stick_at_all_warns() {
        let (_d, root, _tree) = fake_root();
        let findings = check(&root, &[]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Warn);

        let findings = check(&root, &[PathBuf::from("/dev/serial/by-id/usb-gone")]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Fail);
        assert!(findings[0].message.contains("not there"));
    }

    #[test]
    fn unknown_usb_serial_devices_are_not_reported() {
        let (_d, root, tree) = fake_root();
        tree.usb_serial_tty("ttyUSB0", 0x0403, 0x6001, None, None);
        process(&root, 5, "nut", "upsd", Some(&root.join("/dev/ttyUSB0")));
        let findings = check(&root, &[]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].status, Status::Warn);
    }
}
