//! The rest of the machine: the clock's synchronisation, the store's key (present, private,
//! and a reminder of its backup), and free space in the data directory.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::config::{PassphraseSource, StoreKekConfig, TIMESYNC_MARKER};
use crate::store::CREDENTIALS_DIRECTORY_ENV;

use super::{Finding, Status, SystemRoot, credentials};

/// Below this much free space the data directory is a warning (the store grows with every
/// device and backup), below [`DISK_FAIL_BYTES`] a failure.
const DISK_WARN_BYTES: u64 = 200 * 1024 * 1024;
const DISK_FAIL_BYTES: u64 = 20 * 1024 * 1024;

/// Where `sealhub-setup-credential` keeps the sealed key.
const CREDSTORE: &str = "/etc/credstore.encrypted";

pub(super) fn clock(root: &SystemRoot) -> Finding {
    if root.join(TIMESYNC_MARKER).exists() {
        Finding::new(Status::Ok, "clock", "synchronised (systemd-timesyncd)")
    } else {
        Finding::new(
            Status::Warn,
            "clock",
            format!(
                "not known to be synchronised ({TIMESYNC_MARKER} is missing): with [clock] \
                 trust = \"auto\" the hub does not trust it to check command expiry"
            ),
        )
        .fix(
            "sudo timedatectl set-ntp true (a Pi has no battery clock: it needs network time), \
             then check with timedatectl status",
        )
    }
}

pub(super) fn store_key(root: &SystemRoot, kek: &StoreKekConfig) -> Vec<Finding> {
    match kek {
        StoreKekConfig::KeyFile { path } => vec![key_file(root, path)],
        StoreKekConfig::SystemdCredential { name } => vec![credential(root, name)],
        StoreKekConfig::Passphrase { source } => vec![passphrase(source)],
    }
}

fn key_file(root: &SystemRoot, path: &Path) -> Finding {
    let subject = "store key";
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Finding::new(
                Status::Warn,
                subject,
                format!("no key file at {} yet", path.display()),
            )
            .fix(
                "the hub makes it on first start; if a store exists already, restore the key \
                 file from its backup",
            );
        }
        Err(e) => {
            return Finding::new(
                Status::Fail,
                subject,
                format!("cannot read {}: {e}", path.display()),
            )
            .fix("run doctor as the user the hub runs as (or with sudo)");
        }
    };
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Finding::new(
            Status::Fail,
            subject,
            format!(
                "key file {} is open to group or others (mode {mode:03o})",
                path.display()
            ),
        )
        .fix(format!("chmod 600 {}", path.display()));
    }
    if let Some(creds) = credentials(root)
        && creds.uid != 0
        && creds.uid != meta.uid()
    {
        return Finding::new(
            Status::Fail,
            subject,
            format!(
                "key file {} belongs to uid {}, not to this user (uid {})",
                path.display(),
                meta.uid(),
                creds.uid
            ),
        )
        .fix("run the hub as the key file's owner, or chown it to the hub's user");
    }
    Finding::new(
        Status::Ok,
        subject,
        format!(
            "key file {}, mode {mode:03o}; sealhub cannot see whether it is backed up",
            path.display()
        ),
    )
    .fix(format!(
        "keep a copy off this machine and apart from data backups, e.g. \
         sudo install -m 600 {} /media/usb/sealhub-store.key",
        path.display()
    ))
}

fn credential(root: &SystemRoot, name: &str) -> Finding {
    let subject = "store key";
    // Inside the service, systemd has decrypted it into $CREDENTIALS_DIRECTORY.
    if let Some(dir) = std::env::var_os(CREDENTIALS_DIRECTORY_ENV)
        && Path::new(&dir).join(name).exists()
    {
        return Finding::new(
            Status::Ok,
            subject,
            format!("systemd credential {name} is loaded"),
        );
    }
    let sealed = root.join(CREDSTORE).join(name);
    if sealed.exists() {
        Finding::new(
            Status::Ok,
            subject,
            format!(
                "systemd credential {name} is sealed in {} (the service loads it)",
                sealed.display()
            ),
        )
        .fix(format!(
            "keep a copy of {} (and, without a TPM, of /var/lib/systemd/credential.secret) \
             off this machine",
            sealed.display()
        ))
    } else {
        Finding::new(
            Status::Fail,
            subject,
            format!("[store] kek = \"systemd-credential\" but {CREDSTORE}/{name} is missing"),
        )
        .fix("sudo sealhub-setup-credential (before the first start), or use kek = \"key-file\"")
    }
}

fn passphrase(source: &PassphraseSource) -> Finding {
    match source {
        PassphraseSource::EnvVar(var) => {
            if std::env::var_os(var).is_some() {
                Finding::new(Status::Ok, "store key", format!("passphrase from ${var}"))
            } else {
                Finding::new(
                    Status::Warn,
                    "store key",
                    format!("passphrase variable ${var} is not set here"),
                )
                .fix(format!("set {var} where the hub runs"))
            }
        }
        PassphraseSource::File(path) => match std::fs::metadata(path) {
            Ok(m) if m.mode() & 0o077 == 0 => Finding::new(
                Status::Ok,
                "store key",
                format!("passphrase file {}", path.display()),
            ),
            Ok(m) => Finding::new(
                Status::Fail,
                "store key",
                format!(
                    "passphrase file {} is open to group or others (mode {:03o})",
                    path.display(),
                    m.mode() & 0o777
                ),
            )
            .fix(format!("chmod 600 {}", path.display())),
            Err(e) => Finding::new(
                Status::Fail,
                "store key",
                format!("cannot read passphrase file {}: {e}", path.display()),
            )
            .fix("create it (mode 0600) or correct passphrase_file"),
        },
    }
}

pub(super) fn disk_space(data_dir: &Path) -> Finding {
    // The data directory may not exist before the first start; its parent tells the same.
    let probe = data_dir
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    let subject = "disk space";
    match fs2::available_space(probe) {
        Ok(free) => {
            let text = format!(
                "{} MiB free for {}",
                free / (1024 * 1024),
                data_dir.display()
            );
            let fix =
                "free space on that file system (sudo apt clean, journalctl --vacuum-size=100M)";
            if free < DISK_FAIL_BYTES {
                Finding::new(Status::Fail, subject, text).fix(fix)
            } else if free < DISK_WARN_BYTES {
                Finding::new(Status::Warn, subject, text).fix(fix)
            } else {
                Finding::new(Status::Ok, subject, text)
            }
        }
        Err(e) => Finding::new(
            Status::Warn,
            subject,
            format!("cannot tell the free space at {}: {e}", probe.display()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn root() -> (tempfile::TempDir, SystemRoot) {
        let dir = tempfile::tempdir().expect("tmp");
        let root = SystemRoot(dir.path().to_path_buf());
        (dir, root)
    }

    #[test]
    fn the_clock_is_ok_only_with_timesyncd_s_marker() {
        let (_d, root) = root();
        let f = clock(&root);
        assert_eq!(f.status, Status::Warn);
        assert!(f.fix.as_deref().unwrap_or("").contains("timedatectl"));
        std::fs::create_dir_all(root.join("/run/systemd/timesync")).expect("mkdir");
        std::fs::write(root.join(TIMESYNC_MARKER), b"").expect("marker");
        assert_eq!(clock(&root).status, Status::Ok);
    }

    #[test]
    fn a_key_file_open_to_others_fails_and_a_private_one_passes_with_a_backup_hint() {
        let (d, root) = root();
        let key = d.path().join("store.key");
        assert_eq!(key_file(&root, &key).status, Status::Warn);
        std::fs::write(&key, [7u8; 32]).expect("key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let f = key_file(&root, &key);
        assert_eq!(f.status, Status::Fail);
        assert!(f.fix.as_deref().unwrap_or("").starts_with("chmod 600"));
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let f = key_file(&root, &key);
        assert_eq!(f.status, Status::Ok, "{f}");
        assert!(
            f.fix
                .as_deref()
                .unwrap_or("")
                .contains("copy off this machine")
        );
    }

    #[test]
    fn a_key_file_of_another_user_fails() {
        let (d, root) = root();
        let key = d.path().join("store.key");
        std::fs::write(&key, [7u8; 32]).expect("key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let owner = std::fs::metadata(&key).expect("meta").uid();
        std::fs::create_dir_all(root.join("/proc/self")).expect("mkdir");
        let other = owner.wrapping_add(4242).max(1);
        std::fs::write(
            root.join("/proc/self/status"),
            format!("Uid:\t{other}\t{other}\t{other}\t{other}\nGid:\t1\t1\t1\t1\nGroups:\t\n"),
        )
        .expect("status");
        let f = key_file(&root, &key);
        assert_eq!(f.status, Status::Fail, "{f}");
        assert!(f.message.contains("not to this user"));
    }

    #[test]
    fn a_credential_must_be_sealed_in_the_credstore() {
        let (_d, root) = root();
        let f = credential(&root, "sealhub-store-key-doctor-test");
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.fix
                .as_deref()
                .unwrap_or("")
                .contains("sealhub-setup-credential")
        );
        std::fs::create_dir_all(root.join(CREDSTORE)).expect("mkdir");
        std::fs::write(
            root.join(CREDSTORE).join("sealhub-store-key-doctor-test"),
            b"sealed",
        )
        .expect("cred");
        assert_eq!(
            credential(&root, "sealhub-store-key-doctor-test").status,
            Status::Ok
        );
    }

    #[test]
    fn disk_space_is_measured_where_the_data_dir_will_be() {
        let (d, _root) = root();
        let f = disk_space(&d.path().join("not/yet/made"));
        assert!(f.message.contains("MiB free"), "{f}");
    }
}
