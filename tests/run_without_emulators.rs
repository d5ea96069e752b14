//! `sealhub run` built without the `emulators` feature (as the Raspberry Pi package is, with
//! `--no-default-features`): asked for an emulated stick it refuses before creating anything
//! and says what to configure instead; pointed at a stick's serial port it runs as usual. The
//! stick here is the EZSP emulator on a pty, started by the test itself (a dev-dependency),
//! so the binary sees only a serial device. Compiled only without the feature: CI runs it
//! with `cargo test -p sealhub --no-default-features --test run_without_emulators`.
#![cfg(not(feature = "emulators"))]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use firmware_shim::ezsp_ncp::{NcpConfig, PtyConfig, spawn_on_pty};

/// The binary with no log filter from the developer's shell.
fn sealhub(config: Option<&Path>, data_dir: &Path) -> Command {
    let mut cmd = support::binary::sealhub();
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.arg("--data-dir").arg(data_dir).args(["run", "--once"]);
    cmd
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_default_configuration_is_refused_with_what_to_configure_instead() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let output = sealhub(None, &data).output().expect("runs");
    let stderr = stderr_of(&output);
    assert!(
        !output.status.success(),
        "started without emulators:\n{stderr}"
    );
    for wanted in [
        "[zigbee] and [zwave] port = \"emulated\"",
        "has no emulated sticks",
        "`emulators` feature",
        "port = \"auto\"",
        "/dev/serial/by-id/",
    ] {
        assert!(
            stderr.contains(wanted),
            "`{wanted}` missing from:\n{stderr}"
        );
    }
    assert!(
        !data.exists(),
        "the refused start created {}",
        data.display()
    );
}

#[test]
fn one_radio_asking_for_the_emulator_is_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let config = tmp.path().join("hub.toml");
    std::fs::write(
        &config,
        "[zigbee]\nport = \"auto\"\n[zwave]\nport = \"emulated\"\n[transport]\nenabled = false\n",
    )
    .expect("writes config");
    let output = sealhub(Some(&config), &tmp.path().join("data"))
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("[zwave] port = \"emulated\"")
            && !stderr.contains("[zigbee] and [zwave] port"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stick_on_a_serial_port_is_brought_up() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (pty, stick) = spawn_on_pty(PtyConfig {
        link: None,
        ncp: NcpConfig::default(),
        tick: Duration::from_millis(10),
    })
    .await
    .expect("emulated stick on a pty");
    let config = tmp.path().join("hub.toml");
    std::fs::write(
        &config,
        format!(
            "[zigbee]\nport = \"{}\"\n[zwave]\nenabled = false\n[transport]\nenabled = false\n",
            pty.display()
        ),
    )
    .expect("writes config");
    let data = tmp.path().join("data");
    let output =
        tokio::task::spawn_blocking(move || sealhub(Some(&config), &data).output().expect("runs"))
            .await
            .expect("joins");
    stick.unplug().await;
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Zigbee radio up"), "{stderr}");
    assert!(!stderr.contains("no emulated sticks"), "{stderr}");
}
