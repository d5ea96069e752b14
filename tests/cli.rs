//! End-to-end tests of the `sealhub` binary: the command surface, start-up of `run`, and how
//! configuration mistakes are reported.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

mod support;

use support::binary::{LoggedHub, sealhub_assert as sealhub, stderr_of};
use support::hub::free_port;

/// A config with the clients' transport off, so tests that start the hub do not compete for
/// its port (the default, 8443) with each other or with a hub running on this machine.
fn quiet_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("quiet.toml");
    std::fs::write(&path, "[transport]\nenabled = false\n").expect("write config");
    path
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
    for command in ["run", "keys", "doctor", "envelope"] {
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
        .arg("--config")
        .arg(quiet_config(tmp.path()))
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
        .arg("--config")
        .arg(quiet_config(tmp.path()))
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
        .arg("--config")
        .arg(quiet_config(tmp.path()))
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
        "[hub]\nname = \"test-hub\"\ndata_dir = \"state\"\n[transport]\nenabled = false\n",
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
    let config = tmp.path().join("hub.toml");
    std::fs::write(
        &config,
        format!("[transport]\nlisten = \"127.0.0.1:{}\"\n", free_port()),
    )
    .expect("write config");
    let mut command = support::binary::sealhub_on(&config, &tmp.path().join("data"));
    command.arg("run");
    let hub = LoggedHub::start(command, Duration::from_secs(30));
    let (status, log) = hub.terminate();
    assert!(status.success(), "exit {status:?}, stderr:\n{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
}

#[test]
fn run_creates_the_sealed_store_and_keys_reports_the_same_identity_afterwards() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    // Before the first start there is nothing to report, and `keys` must not create anything.
    let output = sealhub()
        .args(["keys", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("sealhub run"),
        "{}",
        stderr_of(&output)
    );
    assert!(!data.exists(), "`keys` created the data directory");

    let output = sealhub()
        .arg("--config")
        .arg(quiet_config(tmp.path()))
        .args(["run", "--once", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        mode_of(&data.join("store.key")),
        0o600,
        "key file must be 0600"
    );
    assert!(stderr_of(&output).contains("back up this key file"));

    let first = sealhub()
        .args(["keys", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(first.status.success(), "{}", stderr_of(&first));
    let first = String::from_utf8_lossy(&first.stdout).into_owned();
    let thumb = first
        .lines()
        .find_map(|l| l.strip_prefix("root key thumbprint:"))
        .map(str::trim)
        .expect("thumbprint line");
    assert_eq!(thumb.len(), 64, "{first}");
    // A second start opens the same home: same identity.
    let output = sealhub()
        .arg("--config")
        .arg(quiet_config(tmp.path()))
        .args(["run", "--once", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let again = sealhub()
        .args(["keys", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&again.stdout), first);
}

#[test]
fn run_refuses_a_store_whose_key_file_is_missing_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let output = sealhub()
        .arg("--config")
        .arg(quiet_config(tmp.path()))
        .args(["run", "--once", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    std::fs::remove_file(data.join("store.key")).expect("remove key");
    let output = sealhub()
        .arg("--config")
        .arg(quiet_config(tmp.path()))
        .args(["run", "--once", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(!output.status.success(), "opened without its key file");
    assert!(
        stderr_of(&output).contains("store.key"),
        "{}",
        stderr_of(&output)
    );
    assert!(
        !data.join("store.key").exists(),
        "a new key file was written"
    );
}

#[test]
fn inspect_shows_what_a_middlebox_sees_and_refuses_garbage_without_panicking() {
    let tmp = tempfile::tempdir().expect("tmp");
    // The COSE working group's ECDH-ES example (p256-hkdf-256-01), as hex text.
    let hex = "D8608443A10101A1054CC9CF4DF2FE6C632BF788641358247ADBE2709CA818FB415F1E5DF66F4E1A51053BA6D65A1A0C52A357DA7A644B8070A151B0818344A1013818A220A40102200121582098F50A4FF6C05861C8860D13A638EA56C3F5AD7590BBFBF054E1C7B4D91D6280225820F01400B089867804B8E9FC96C3932161F1934F4223069170D924B7E03BF822BB0458246D65726961646F632E6272616E64796275636B406275636B6C616E642E6578616D706C6540";
    let file = tmp.path().join("msg.hex");
    std::fs::write(&file, hex).expect("write");
    let output = sealhub()
        .args(["envelope", "inspect"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(out.contains("COSE_Encrypt"), "{out}");
    assert!(
        out.contains("<<{1: -25}>>"),
        "recipient algorithm shown: {out}"
    );
    // The same bytes as raw CBOR on standard input.
    let raw = hex::decode(hex).expect("hex");
    let output = sealhub()
        .args(["envelope", "inspect"])
        .write_stdin(raw.clone())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr_of(&output));
    // Truncated, garbage, empty: an error and exit code 1, never a panic (101).
    for bad in [
        &raw[..raw.len() / 2],
        b"not cbor at all".as_slice(),
        b"".as_slice(),
    ] {
        let output = sealhub()
            .args(["envelope", "inspect"])
            .write_stdin(bad.to_vec())
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
        assert!(
            stderr_of(&output).contains("error"),
            "{}",
            stderr_of(&output)
        );
    }
}

/// A config file that adds the definitions in `devices/` next to it, with both radios off so
/// a start does not wait for sticks.
fn config_with_devices_dir(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("hub.toml");
    std::fs::write(
        &config,
        "[devices]\ndir = \"devices\"\n[zigbee]\nenabled = false\n[zwave]\nenabled = false\n\
         [transport]\nenabled = false\n",
    )
    .expect("write config");
    std::fs::create_dir(dir.join("devices")).expect("devices dir");
    config
}

const GOOD_DEFINITION: &str = "name = \"Plug\"\nvendor = \"Acme\"\n\n[zigbee]\n\
    manufacturer = \"Acme\"\nmodels = [\"P-1\"]\n\n[[endpoints]]\nendpoint = 1\n\n\
    [endpoints.capabilities]\non_off = {}\n";

#[test]
fn run_refuses_a_malformed_device_definition_naming_file_line_and_what_is_wrong() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = config_with_devices_dir(tmp.path());
    let devices = tmp.path().join("devices");
    std::fs::write(devices.join("good.toml"), GOOD_DEFINITION).expect("write");
    // Line 13, column 31: the scale's value.
    let bad = GOOD_DEFINITION.replace("P-1", "P-2") + "measurement.power = { scale = \"1/0\" }\n";
    std::fs::write(devices.join("plug.toml"), bad).expect("write");
    let data_dir = tmp.path().join("data");

    let output = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["run", "--once", "--data-dir"])
        .arg(&data_dir)
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    let expected = format!(
        "{}:13:31: scale denominator must not be 0",
        devices.join("plug.toml").display()
    );
    assert!(
        stderr.contains(&expected),
        "{expected:?} missing from:\n{stderr}"
    );
    assert!(!data_dir.exists(), "refused before anything was created");
}

#[test]
fn run_refuses_an_added_definition_that_would_replace_a_built_in_one() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = config_with_devices_dir(tmp.path());
    let mine = GOOD_DEFINITION.replace(
        "\"Acme\"\nmodels = [\"P-1\"]",
        "\"Sealhub Emulated\"\nmodels = [\"SH-PLUG-1\"]",
    );
    std::fs::write(tmp.path().join("devices").join("my-plug.toml"), mine).expect("write");

    let output = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["run", "--once", "--data-dir"])
        .arg(tmp.path().join("data"))
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("my-plug.toml:6:11:"), "{stderr}");
    assert!(
        stderr.contains("config/devices/emulated-zigbee-plug.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("may not replace a built-in one"),
        "{stderr}"
    );
}

#[test]
fn run_starts_with_added_device_definitions() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = config_with_devices_dir(tmp.path());
    std::fs::write(
        tmp.path().join("devices").join("plug.toml"),
        GOOD_DEFINITION,
    )
    .expect("write");
    let output = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["run", "--once", "--data-dir"])
        .arg(tmp.path().join("data"))
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "stderr:\n{stderr}");
    assert!(stderr.contains("device definitions loaded"), "{stderr}");
    assert!(
        stderr.contains(&tmp.path().join("devices").display().to_string()),
        "{stderr}"
    );
}

#[test]
fn run_with_its_port_taken_says_so_and_how_to_change_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // Held for the whole test: the hub cannot bind it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = taken.local_addr().expect("addr").port();
    let config = tmp.path().join("hub.toml");
    std::fs::write(
        &config,
        format!(
            "[zigbee]\nenabled = false\n[zwave]\nenabled = false\n\
             [transport]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    )
    .expect("write config");
    let output = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["run", "--once", "--data-dir"])
        .arg(tmp.path().join("data"))
        .output()
        .expect("runs");
    let stderr = stderr_of(&output);
    assert!(
        !output.status.success(),
        "started on a taken port:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "port {port} is in use: is another sealhub running? set [transport] listen"
        )),
        "{stderr}"
    );
}

/// A fake machine for `sealhub doctor --root`: a Sonoff ZBDongle-E on ttyUSB0, the clock
/// synchronised, and optionally ModemManager holding the stick.
fn doctor_root(modem_manager_holds_the_stick: bool) -> tempfile::TempDir {
    use sealhub_radios::discovery::fake_sysfs::FakeTree;
    let dir = tempfile::tempdir().expect("tmp");
    let tree = FakeTree::in_dir(dir.path());
    tree.usb_serial_tty("ttyUSB0", 0x1a86, 0x55d4, Some("ITEAD"), Some("2024"));
    tree.by_id(
        "usb-ITEAD_SONOFF_Zigbee_3.0_USB_Dongle_Plus_V2_2024-if00",
        "ttyUSB0",
    );
    std::fs::create_dir_all(dir.path().join("run/systemd/timesync")).expect("mkdir");
    std::fs::write(dir.path().join("run/systemd/timesync/synchronized"), b"").expect("marker");
    if modem_manager_holds_the_stick {
        let proc_dir = dir.path().join("proc/812");
        std::fs::create_dir_all(proc_dir.join("fd")).expect("proc");
        std::fs::write(proc_dir.join("comm"), "ModemManager\n").expect("comm");
        std::os::unix::fs::symlink(dir.path().join("dev/ttyUSB0"), proc_dir.join("fd/9"))
            .expect("fd");
    }
    dir
}

#[test]
fn doctor_passes_a_healthy_machine_with_one_line_per_check() {
    let root = doctor_root(false);
    let data = tempfile::tempdir().expect("tmp");
    let output = sealhub()
        .args(["doctor", "--root"])
        .arg(root.path())
        .arg("--data-dir")
        .arg(data.path().join("hub"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", stderr_of(&output));
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("ok ") || l.starts_with("warn ")),
        "{stdout}"
    );
    for subject in ["serial ", "clock: synchronised", "store key", "disk space"] {
        assert!(
            stdout.contains(subject),
            "`{subject}` missing from:\n{stdout}"
        );
    }
    assert!(stdout.contains("1a86:55d4, Sonoff ZBDongle-E"), "{stdout}");
}

#[test]
fn doctor_fails_naming_the_program_that_holds_the_stick_and_an_open_key_file() {
    let root = doctor_root(true);
    let data = tempfile::tempdir().expect("tmp");
    let key = data.path().join("store.key");
    std::fs::write(&key, [1u8; 32]).expect("key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = sealhub()
        .args(["doctor", "--root"])
        .arg(root.path())
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("fail serial ")
            && l.contains("held open by ModemManager (pid 812)")
            && l.contains("fix: sudo systemctl disable --now ModemManager")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("fail store key") && l.contains("chmod 600")),
        "{stdout}"
    );
}
