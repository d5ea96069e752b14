//! The `firmware-shim` binary removes its `--link` symlink when it stops, whether by Ctrl-C
//! (SIGINT) or by SIGTERM (what systemd, docker and test harnesses send), so a stale link
//! never points the next program at a pty that is gone.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn stops_cleanly_on(signal: &str, stick: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let link = dir.path().join("stick");
    let mut child = Command::new(env!("CARGO_BIN_EXE_firmware-shim"))
        .arg(stick)
        .arg("--link")
        .arg(&link)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    // It prints the pty's path once the link is in place.
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("reads");
    assert!(!first.trim().is_empty(), "no path printed");
    assert!(link.symlink_metadata().is_ok(), "link not made");

    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("exits");
    assert!(exit.success(), "{signal}: {exit:?}");
    assert!(
        link.symlink_metadata().is_err(),
        "{signal}: {} left behind",
        link.display()
    );
}

#[test]
fn sigterm_removes_the_link_of_either_stick() {
    stops_cleanly_on("TERM", "zigbee");
    stops_cleanly_on("TERM", "zwave");
}

#[test]
fn sigint_removes_the_link() {
    stops_cleanly_on("INT", "zwave");
}
