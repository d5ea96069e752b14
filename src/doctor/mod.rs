//! `sealhub doctor`: checks what most often keeps a hub on a Raspberry Pi from working, and
//! says how to fix each: the sticks' serial ports (present, accessible to this user, not held
//! by another program), the clock's synchronisation, the store's key, and free space in the
//! data directory; and the sticks' firmware against what the drivers speak ([`firmware`]).
//! The checks here read only and never open a serial port; the binary asks a stick for its
//! firmware (opening the port exclusively, so never under a running hub) and passes the answer
//! to [`firmware`].
//!
//! Every path it reads hangs off a [`SystemRoot`], so tests run it against a fake tree.

pub mod firmware;
mod serial;
mod system;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::StoreKekConfig;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Fine.
    Ok,
    /// Works, but worth attention.
    Warn,
    /// Keeps the hub (or a radio) from working.
    Fail,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<4}` lines the subjects up.
        f.pad(match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        })
    }
}

/// One check's result: what was found and, unless it is fine, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How it came out.
    pub status: Status,
    /// What was checked, e.g. `serial /dev/ttyUSB0`.
    pub subject: String,
    /// What was found.
    pub message: String,
    /// What to do about it.
    pub fix: Option<String>,
}

impl Finding {
    /// A finding without a fix.
    pub fn new(status: Status, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            status,
            subject: subject.into(),
            message: message.into(),
            fix: None,
        }
    }

    /// Adds what to do about it.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl fmt::Display for Finding {
    /// One line: `ok   subject: message`, then `; fix: ...` when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<4} {}: {}", self.status, self.subject, self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "; fix: {fix}")?;
        }
        Ok(())
    }
}

/// The root under which the system's paths are read: `/` on a real machine, a fake tree in
/// tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRoot(pub PathBuf);

impl SystemRoot {
    /// The running system.
    pub fn system() -> Self {
        SystemRoot(PathBuf::from("/"))
    }

    /// `path` (absolute on the real system) under this root.
    pub fn join(&self, path: &str) -> PathBuf {
        self.0.join(path.trim_start_matches('/'))
    }

    /// The roots for stick discovery under this root.
    pub fn sys_roots(&self) -> sealhub_radios::discovery::SysRoots {
        sealhub_radios::discovery::SysRoots {
            sysfs_tty: self.join("/sys/class/tty"),
            dev: self.join("/dev"),
            by_id: self.join("/dev/serial/by-id"),
        }
    }
}

/// What the checks need to know about the hub.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    /// The data directory.
    pub data_dir: &'a Path,
    /// Where the store's key comes from.
    pub kek: &'a StoreKekConfig,
    /// The configured serial ports (`port = "/dev/..."`), checked even when their USB id is
    /// not a known stick's.
    pub configured_ports: Vec<PathBuf>,
}

/// Runs every check.
pub fn run(root: &SystemRoot, subject: &Subject<'_>) -> Vec<Finding> {
    let mut findings = serial::check(root, &subject.configured_ports);
    findings.push(system::clock(root));
    findings.extend(system::store_key(root, subject.kek));
    findings.push(system::disk_space(subject.data_dir));
    findings
}

/// Whether any finding is a failure (the exit status of `sealhub doctor`).
pub fn any_failed(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.status == Status::Fail)
}

/// The calling process's uid and groups, read from `<root>/proc/self/status`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Credentials {
    pub(crate) uid: u32,
    pub(crate) groups: Vec<u32>,
}

pub(crate) fn credentials(root: &SystemRoot) -> Option<Credentials> {
    let status = std::fs::read_to_string(root.join("/proc/self/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let uid = field("Uid:")?.split_whitespace().nth(1)?.parse().ok()?;
    let mut groups: Vec<u32> = field("Groups:")
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|g| g.parse().ok())
        .collect();
    if let Some(gid) = field("Gid:")
        .and_then(|g| g.split_whitespace().nth(1))
        .and_then(|g| g.parse().ok())
    {
        groups.push(gid);
    }
    Some(Credentials { uid, groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_is_one_line_with_its_fix() {
        let f = Finding::new(Status::Fail, "serial /dev/ttyUSB0", "held by ModemManager")
            .fix("systemctl disable --now ModemManager");
        assert_eq!(
            f.to_string(),
            "fail serial /dev/ttyUSB0: held by ModemManager; fix: systemctl disable --now ModemManager"
        );
        assert!(any_failed(&[f]));
        assert!(!any_failed(&[Finding::new(Status::Warn, "clock", "x")]));
    }

    #[test]
    fn reads_uid_and_groups_from_proc_status() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = SystemRoot(dir.path().to_path_buf());
        std::fs::create_dir_all(root.join("/proc/self")).expect("mkdir");
        std::fs::write(
            root.join("/proc/self/status"),
            "Name:\tsealhub\nUid:\t1000\t1001\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t20 27 \n",
        )
        .expect("write");
        let c = credentials(&root).expect("credentials");
        assert_eq!(c.uid, 1001);
        assert_eq!(c.groups, vec![20, 27, 1000]);
    }
}
