//! End-to-end tests of the `sealhub` binary: the command surface, start-up of `run`, and how
//! configuration mistakes are reported.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use assert_cmd::cargo::{cargo_bin, cargo_bin_cmd};

/// The binary with a predictable environment: no log filter or XDG paths from the developer's
/// shell leak into the test.
fn sealhub() -> Command {
    let mut cmd = cargo_bin_cmd!("sealhub");
    for var in [
        "SEALHUB_LOG",
        "RUST_LOG",
        "XDG_DATA_HOME",
        "SEALHUB_PASSPHRASE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("path exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn help_lists_the_commands() {
    let output = sealhub().arg("--help").output().expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for command in ["run", "keys", "envelope"] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "`{command}` missing from:\n{help}"
        );
    }
    for option in ["--config", "--data-dir", "--verbose"] {
        assert!(help.contains(option), "`{option}` missing from:\n{help}");
    }
}

#[test]
fn envelope_help_lists_inspect() {
    let output = sealhub()
        .args(["envelope", "--help"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("inspect"));
}

#[test]
fn run_once_creates_the_data_dir_0700_and_logs_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data_dir = tmp.path().join("state").join("sealhub");
    let output = sealhub()
        .args(["run", "--once", "--data-dir"])
        .arg(&data_dir)
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "stderr:\n{stderr}");
    assert!(data_dir.is_dir());
    assert_eq!(mode_of(&data_dir), 0o700);
    assert!(
        stderr.contains(&data_dir.display().to_string()),
        "data dir not named in:\n{stderr}"
    );
    // A second start-up finds the directory already there and is just as happy.
    sealhub()
        .args(["run", "--once", "--data-dir"])
        .arg(&data_dir)
        .assert()
        .success();
}

#[test]
fn run_refuses_a_data_dir_others_can_enter() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data_dir = tmp.path().join("open");
    std::fs::create_dir(&data_dir).expect("create dir");
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = sealhub()
        .args(["run", "--once", "--data-dir"])
        .arg(&data_dir)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = stderr_of(&output);
    assert!(stderr.contains("chmod 700"), "{stderr}");
    assert_eq!(
        mode_of(&data_dir),
        0o755,
        "must not change an existing directory"
    );
}

#[test]
fn the_config_files_data_dir_is_used_relative_to_the_file() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = tmp.path().join("hub.toml");
    std::fs::write(
        &config,
        "[hub]\nname = \"test-hub\"\ndata_dir = \"state\"\n",
    )
    .expect("write config");
    let output = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["run", "--once"])
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "stderr:\n{stderr}");
    assert_eq!(mode_of(&tmp.path().join("state")), 0o700);
    assert!(stderr.contains("test-hub"), "{stderr}");
    assert!(stderr.contains(&config.display().to_string()), "{stderr}");
}

#[test]
fn an_unknown_config_key_fails_naming_the_key() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = tmp.path().join("hub.toml");
    std::fs::write(&config, "[envelope]\nreplay_windw = 32\n").expect("write config");
    let output = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["run", "--once", "--data-dir"])
        .arg(tmp.path().join("data"))
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = stderr_of(&output);
    assert!(stderr.contains("replay_windw"), "{stderr}");
    assert!(stderr.contains(&config.display().to_string()), "{stderr}");
    assert!(
        !tmp.path().join("data").exists(),
        "nothing is created on a bad config"
    );
}

#[test]
fn a_missing_config_file_is_a_clear_error() {
    let output = sealhub()
        .args(["--config", "/nonexistent", "run", "--once"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("cannot read config file /nonexistent"),
        "{stderr}"
    );
    assert!(stderr.contains("No such file"), "{stderr}");
}

#[test]
fn run_exits_cleanly_on_sigterm() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut child = StdCommand::new(cargo_bin!("sealhub"))
        .args(["run", "--data-dir"])
        .arg(tmp.path().join("data"))
        .env_remove("SEALHUB_LOG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let pid = child.id();
    let stderr = child.stderr.take().expect("stderr is piped");

    // Read stderr on a thread so a hub that never gets ready fails the test instead of hanging.
    let (ready_tx, ready_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("waiting for Ctrl-C or SIGTERM") {
                let _ = ready_tx.send(());
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });

    if ready_rx.recv_timeout(Duration::from_secs(30)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "hub never got ready:\n{}",
            reader.join().unwrap_or_default()
        );
    }
    let killed = StdCommand::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .expect("runs kill");
    assert!(killed.success());

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hub did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = reader.join().expect("reader thread");
    assert!(status.success(), "exit {status:?}, stderr:\n{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
}
