//! Refusals are logged with the check that failed and the signer's kid, and never with the
//! plaintext or a key.
//!
//! This test has a binary of its own on purpose. It reads the log through a subscriber scoped
//! to its thread (`tracing::subscriber::with_default`), and `tracing` caches per call site,
//! for the whole process, whether anyone listens. A test on another thread that is first to
//! hit the same `warn!` (any replay refusal in `key_management.rs`) while only this scoped
//! subscriber is registered caches "nobody listens" for it, and the refusal then never
//! reaches this test's log: it failed now and then under load. Alone in its process, no other
//! thread reaches those call sites.

mod support;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, Error as EnvelopeError, MessageType};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{Client, Home};
use sealhub::store::{KekSource, Store};
use std::path::Path;
use std::time::Instant;

const NOW: u64 = 1_800_000_000;

fn open_home(dir: &Path) -> Home {
    let store = Store::open(dir, &KekSource::default_key_file(dir)).expect("store opens");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home opens");
    home.set_clock_trusted(true);
    home
}

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

/// A paired client that has applied its first key distribution.
fn pair(home: &mut Home, name: &str, perms: Permissions) -> Client {
    support::paired_client(home, name, perms, None)
}

/// A log sink for one test: everything the subscriber writes, as text.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn refusals_are_logged_with_the_check_and_kid_but_never_the_plaintext() {
    let sink = Captured::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let secret = "open-sesame-7f3a";
    tracing::subscriber::with_default(subscriber, || {
        let dir = support::tempdir();
        let mut home = open_home(dir.path());
        home.issue_device(&id("zb:lock")).expect("device");
        let mut client = pair(&mut home, "phone", Permissions::ALL);
        let cmd = client
            .seal_command(&id("zb:lock"), Value::Text(secret.into()), NOW + 60, None)
            .expect("seal");
        home.open_command(&cmd, Some(NOW), Instant::now())
            .expect("opens");
        let _ = home
            .open_command(&cmd, Some(NOW), Instant::now())
            .expect_err("replay");
        // A fresh command (a sequence number the hub has not seen), opened after its expiry:
        // it passes the replay check and is refused by the expiry check. (Reopening `cmd` here
        // would be refused as a replay first and never reach the expiry check.)
        let late = client
            .seal_command(&id("zb:lock"), Value::Text(secret.into()), NOW + 60, None)
            .expect("seal");
        let err = home
            .open_command(&late, Some(NOW + 600), Instant::now())
            .expect_err("expired");
        assert!(
            matches!(
                &err,
                EnvelopeError::Expired { kid, .. } if *kid == client.kid()
            ),
            "{err:?}"
        );
        let event = home
            .seal_from_device(
                &id("zb:lock"),
                MessageType::Event,
                Value::Text(secret.into()),
                None,
            )
            .expect("seal");
        client.open(&event).expect("opens");
        let _ = client.open(&event).expect_err("replay at the client");
        // The key-file and store secrets never appear either.
        let key_file = std::fs::read(dir.path().join("store.key")).expect("key file");
        let logs = String::from_utf8_lossy(&sink.0.lock().expect("lock")).into_owned();
        assert!(
            logs.contains("check=\"replay\"") || logs.contains("check=replay"),
            "{logs}"
        );
        assert!(
            logs.contains("check=\"expired\"") || logs.contains("check=expired"),
            "the expiry refusal is logged with its check: {logs}"
        );
        assert!(
            logs.contains(&client.kid().to_string()),
            "the kid is logged: {logs}"
        );
        assert!(
            !logs.contains(secret),
            "plaintext leaked into the logs: {logs}"
        );
        assert!(
            !logs.contains(&hex::encode(&key_file)),
            "key file leaked into the logs"
        );
    });
}
