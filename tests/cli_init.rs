//! A new home is created only on the first start of an empty data directory, or by an explicit
//! `sealhub init`: a missing database next to a key file (a data partition that did not mount,
//! a database lost or not restored) is refused with a clear error instead of silently becoming
//! a new home that strands every paired client and device.

mod support;

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use support::binary::{sealhub_assert as sealhub, stderr_of};

/// A configuration without radios, with extra `[store]` lines.
fn config(dir: &Path, store: &str) -> std::path::PathBuf {
    let path = dir.join("hub.toml");
    std::fs::write(
        &path,
        format!("[store]\n{store}\n[zigbee]\nenabled = false\n[zwave]\nenabled = false\n[transport]\nenabled = false\n"),
    )
    .expect("config");
    path
}

fn run_once(config: &Path, data: &Path) -> std::process::Output {
    sealhub()
        .arg("--config")
        .arg(config)
        .args(["run", "--once", "--data-dir"])
        .arg(data)
        .output()
        .expect("runs")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_empty_data_directory_next_to_an_existing_key_file_is_refused() {
    let tmp = support::tempdir();
    let etc = tmp.path().join("etc");
    std::fs::create_dir(&etc).expect("mkdir");
    let config = config(
        tmp.path(),
        &format!("key_file = \"{}\"", etc.join("store.key").display()),
    );
    let data = tmp.path().join("data");
    let first = run_once(&config, &data);
    assert!(first.status.success(), "{}", stderr_of(&first));
    let key = std::fs::read(etc.join("store.key")).expect("key file");

    // The data partition did not mount: the mount point is there, empty.
    std::fs::remove_dir_all(&data).expect("rm");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&data)
        .expect("mkdir");
    let refused = run_once(&config, &data);
    assert!(!refused.status.success(), "a new home was created");
    let message = stderr_of(&refused);
    assert!(message.contains("sealhub init"), "{message}");
    assert!(
        entries(&data).is_empty(),
        "nothing is written: {:?}",
        entries(&data)
    );
    assert_eq!(std::fs::read(etc.join("store.key")).expect("key"), key);
}

#[test]
fn a_data_directory_that_lost_its_database_is_refused_and_init_is_explicit() {
    let tmp = support::tempdir();
    let config = config(tmp.path(), "");
    let data = tmp.path().join("data");
    let first = run_once(&config, &data);
    assert!(first.status.success(), "{}", stderr_of(&first));

    // The database is gone; the key file (and the rollback guard beside it) remain.
    std::fs::remove_dir_all(data.join("store.sled")).expect("rm");
    let refused = run_once(&config, &data);
    assert!(!refused.status.success(), "a new home was created");
    let message = stderr_of(&refused);
    assert!(
        message.contains("store.key") && message.contains("sealhub init"),
        "{message}"
    );
    assert!(!data.join("store.sled").exists(), "no database was created");

    // `init` will not start over while the rollback guard remembers the old home.
    let init = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["init", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(!init.status.success());
    assert!(
        stderr_of(&init).contains("store.generation"),
        "{}",
        stderr_of(&init)
    );

    // Only the key file is left (a first start interrupted after writing it): `run` still
    // refuses, `init` creates the home, and from then on `run` opens it.
    for guard_file in ["store.generation", "store.revocations"] {
        std::fs::remove_file(data.join(guard_file)).expect("rm");
    }
    assert_eq!(entries(&data), vec!["store.key".to_string()]);
    assert!(!run_once(&config, &data).status.success());
    let init = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["init", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(init.status.success(), "{}", stderr_of(&init));
    let again = run_once(&config, &data);
    assert!(again.status.success(), "{}", stderr_of(&again));
    // A second `init` finds the home and refuses.
    let twice = sealhub()
        .arg("--config")
        .arg(&config)
        .args(["init", "--data-dir"])
        .arg(&data)
        .output()
        .expect("runs");
    assert!(!twice.status.success());
    assert!(
        stderr_of(&twice).contains("already"),
        "{}",
        stderr_of(&twice)
    );
}
