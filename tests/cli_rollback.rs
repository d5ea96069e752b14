//! The binary refuses to run a home whose store is older than its rollback guard, naming both
//! generations and `sealhub restore-ack`; after `restore-ack` it runs again.

mod support;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use sealhub::envelope::DeviceId;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::keymgmt::Home;
use sealhub::store::{KekSource, RollbackGuard, Store};
use std::path::Path;

fn sealhub(config: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("sealhub");
    for var in [
        "SEALHUB_LOG",
        "RUST_LOG",
        "XDG_DATA_HOME",
        "SEALHUB_PASSPHRASE",
    ] {
        cmd.env_remove(var);
    }
    cmd.arg("--config").arg(config);
    cmd
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_restored_data_directory_is_refused_until_restore_ack() {
    let tmp = support::tempdir();
    let data = tmp.path().join("data");
    let restored = tmp.path().join("restored");
    let guard_dir = tmp.path().join("guard");
    let config = tmp.path().join("hub.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nguard_dir = \"{}\"\n[zigbee]\nenabled = false\n[zwave]\nenabled = false\n[transport]\nenabled = false\n",
            guard_dir.display()
        ),
    )
    .expect("config");
    let run = |dir: &Path| {
        sealhub(&config)
            .args(["run", "--once", "--data-dir"])
            .arg(dir)
            .output()
            .expect("runs")
    };
    let first = run(&data);
    assert!(first.status.success(), "{}", stderr_of(&first));
    assert!(guard_dir.join("store.generation").exists());

    // A backup of the whole data directory, then the home changes.
    support::copy_dir(&data, &restored);
    {
        let store = Store::open(&data, &KekSource::default_key_file(&data)).expect("store");
        let mut home = Home::open_guarded(
            store,
            FreshnessPolicy::default(),
            RollbackGuard::in_dir(&guard_dir),
        )
        .expect("home");
        home.issue_device(&DeviceId::new("zb:lock").expect("id"))
            .expect("device");
    }

    // The backup, restored, is refused; nothing is written.
    let refused = run(&restored);
    assert!(!refused.status.success(), "a rolled-back store ran");
    let message = stderr_of(&refused);
    // The first run created the home (generation 1) and the gateway issued the hub's own
    // device key (2); the lock made the guard's 3.
    for needle in ["generation 2", "generation 3", "sealhub restore-ack"] {
        assert!(
            message.contains(needle),
            "{needle} missing from:\n{message}"
        );
    }

    let ack = sealhub(&config)
        .args(["restore-ack", "--data-dir"])
        .arg(&restored)
        .output()
        .expect("runs");
    assert!(ack.status.success(), "{}", stderr_of(&ack));
    let report = String::from_utf8_lossy(&ack.stdout);
    assert!(report.contains("new generation:       4"), "{report}");

    let again = run(&restored);
    assert!(again.status.success(), "{}", stderr_of(&again));
}
