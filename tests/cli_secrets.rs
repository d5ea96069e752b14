//! The running binary keeps no secret where another process could read it: the store
//! passphrase given in `SEALHUB_PASSPHRASE` is wiped from the process environment (which other
//! processes of the same user, and children, can read) as soon as it has been read.

use std::path::Path;
use std::time::Duration;

use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::keymgmt::Home;
use sealhub::store::{Argon2Params, KekSource, Store};
use zeroize::Zeroizing;

mod support;

use support::binary::LoggedHub;

const PASSPHRASE: &str = "correct-horse-battery-staple-4d1e";

/// A data directory holding a home sealed under [`PASSPHRASE`] (with cheap Argon2id
/// parameters, which meta records and the binary then uses), and a configuration that selects
/// the passphrase and no radios.
fn passphrase_home(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    let kek = KekSource::Passphrase {
        passphrase: Zeroizing::new(PASSPHRASE.into()),
        params: Argon2Params {
            m_kib: 64,
            t: 1,
            p: 1,
        },
    };
    let store = Store::open(&data, &kek).expect("store");
    drop(Home::open(store, FreshnessPolicy::default()).expect("home"));
    let config = dir.join("hub.toml");
    std::fs::write(
        &config,
        "[store]\nkek = \"passphrase\"\n[zigbee]\nenabled = false\n[zwave]\nenabled = false\n[transport]\nenabled = false\n",
    )
    .expect("config");
    config
}

#[test]
fn the_passphrase_is_wiped_from_the_environment_once_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let config = passphrase_home(tmp.path());
    let mut command = support::binary::sealhub_on(&config, &tmp.path().join("data"));
    command.arg("run").env("SEALHUB_PASSPHRASE", PASSPHRASE);
    let hub = LoggedHub::start(command, Duration::from_secs(60));
    let pid = hub.pid();
    // What any process of the same user can read while the hub runs.
    let environ = std::fs::read(format!("/proc/{pid}/environ"));
    let (status, log) = hub.terminate();
    let environ = environ.expect("environ readable");
    assert!(
        !environ
            .windows(PASSPHRASE.len())
            .any(|w| w == PASSPHRASE.as_bytes()),
        "the passphrase is still in /proc/{pid}/environ"
    );
    assert!(status.success(), "{log}");
    assert!(!log.contains(PASSPHRASE), "the passphrase was logged");
}
