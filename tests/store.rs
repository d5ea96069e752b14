//! Behaviour of the sealed store through its public API: round trips, tamper detection, KEK
//! handling (key file, systemd credential, passphrase) and secret hygiene.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use sealhub::store::{
    Argon2Params, DB_DIR_NAME, Error, KekKind, KekSource, OpenOutcome, Store, WriteBatch,
};
use zeroize::Zeroizing;

/// Small Argon2id parameters so passphrase tests stay fast.
const FAST: Argon2Params = Argon2Params {
    m_kib: 64,
    t: 1,
    p: 1,
};

fn key_file(dir: &Path) -> KekSource {
    KekSource::default_key_file(dir)
}

fn passphrase(p: &str) -> KekSource {
    KekSource::Passphrase {
        passphrase: Zeroizing::new(p.to_owned()),
        params: FAST,
    }
}

/// Opens the database with sled directly (the store must be dropped first; sled releases its
/// file lock asynchronously, so retry for a moment).
fn raw_db(dir: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match sled::open(dir.join(DB_DIR_NAME)) {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("raw sled open: {e}"),
        }
    }
}

/// All of the `meta` tree, to show a refused open changed nothing.
fn meta_snapshot(dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let db = raw_db(dir);
    let meta = db.open_tree("meta").expect("meta");
    meta.iter()
        .map(|kv| kv.expect("kv"))
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

fn make_store_with_record(dir: &Path, kek: &KekSource) {
    let store = Store::open(dir, kek).expect("create");
    store
        .put("devices", b"lock-1", b"device secret")
        .expect("put");
}

fn is_tampered(r: Result<Option<Zeroizing<Vec<u8>>>, Error>, tree: &str, key: &[u8]) -> bool {
    matches!(r, Err(Error::RecordTampered { tree: t, key_hex }) if t == tree && key_hex == hex::encode(key))
}

/// Behaviour: put/get/iter/remove round trip, and a reopened store (after drop) sees the data;
/// creation reports `Created`, the data dir is 0700 and the key file 0600.
#[test]
fn round_trip_and_reopen() {
    let parent = support::tempdir();
    let dir = parent.path().join("data");
    let kek = key_file(&dir);
    {
        let (store, outcome) = Store::open_or_create(&dir, &kek).expect("create");
        assert_eq!(outcome, OpenOutcome::Created);
        assert_eq!(store.kek_kind(), KekKind::KeyFile);
        store.put("devices", b"b", b"two").expect("put");
        store.put("devices", b"a", b"one").expect("put");
        store.put("devices", b"c", b"").expect("put empty value");
        store.put("certs", b"a", b"cert").expect("put");
        assert_eq!(
            store
                .get("devices", b"a")
                .expect("get")
                .as_deref()
                .map(|v| &v[..]),
            Some(&b"one"[..])
        );
        assert!(store.get("devices", b"zz").expect("get").is_none());
        assert!(store.get("never-written", b"a").expect("get").is_none());
        let all: Vec<_> = store.iter("devices").map(|r| r.expect("record")).collect();
        let all: Vec<(Vec<u8>, Vec<u8>)> = all.into_iter().map(|(k, v)| (k, v.to_vec())).collect();
        assert_eq!(
            all,
            vec![
                (b"a".to_vec(), b"one".to_vec()),
                (b"b".to_vec(), b"two".to_vec()),
                (b"c".to_vec(), vec![])
            ]
        );
        assert!(store.remove("devices", b"b").expect("remove"));
        assert!(!store.remove("devices", b"b").expect("remove again"));
        store
            .put("devices", b"a", b"one, updated")
            .expect("overwrite");
    }
    let mode = |p: PathBuf| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(dir.clone()), 0o700);
    assert_eq!(mode(dir.join("store.key")), 0o600);

    let (store, outcome) = Store::open_or_create(&dir, &kek).expect("reopen");
    assert_eq!(outcome, OpenOutcome::Opened);
    assert_eq!(
        &store.get("devices", b"a").expect("get").expect("present")[..],
        b"one, updated"
    );
    assert!(store.get("devices", b"b").expect("get").is_none());
    assert_eq!(
        &store.get("certs", b"a").expect("get").expect("present")[..],
        b"cert"
    );
    assert_eq!(store.iter("devices").count(), 2);
}

/// Behaviour: a batch over several trees is applied whole; a batch with an invalid tree name is
/// refused before anything (even its valid part) is written.
#[test]
fn apply_writes_all_trees_or_nothing() {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &key_file(dir.path())).expect("create");
    store.put("devices", b"old", b"x").expect("put");
    let mut batch = WriteBatch::new();
    batch
        .put("devices", b"1", b"dev")
        .put("certs", b"1", b"cert")
        .remove("devices", b"old");
    batch.put("counters", b"next", &2u64.to_be_bytes());
    store.apply(batch).expect("apply");
    assert_eq!(
        &store.get("devices", b"1").expect("get").expect("present")[..],
        b"dev"
    );
    assert_eq!(
        &store.get("certs", b"1").expect("get").expect("present")[..],
        b"cert"
    );
    assert!(store.get("devices", b"old").expect("get").is_none());

    let mut bad = WriteBatch::new();
    bad.put("devices", b"2", b"dev")
        .put("meta", b"format_version", b"\x09");
    assert!(matches!(
        store.apply(bad),
        Err(Error::InvalidTreeName { .. })
    ));
    assert!(
        store.get("devices", b"2").expect("get").is_none(),
        "half a batch was written"
    );
    store
        .apply(WriteBatch::new())
        .expect("empty batch is a no-op");
    drop(store);
    // The internal meta tree was not touched by the refused batch.
    let db = raw_db(dir.path());
    let version = db
        .open_tree("meta")
        .expect("meta")
        .get(b"format_version")
        .expect("get");
    assert_eq!(version.as_deref(), Some(&[1u8][..]));
}

/// Behaviour: reserved or malformed tree names are refused by every operation.
#[test]
fn reserved_tree_names_are_refused() {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &key_file(dir.path())).expect("create");
    for bad in ["meta", "", "__sled__default", "with space"] {
        assert!(
            matches!(
                store.put(bad, b"k", b"v"),
                Err(Error::InvalidTreeName { .. })
            ),
            "{bad:?}"
        );
        assert!(
            matches!(store.get(bad, b"k"), Err(Error::InvalidTreeName { .. })),
            "{bad:?}"
        );
        assert!(
            matches!(store.remove(bad, b"k"), Err(Error::InvalidTreeName { .. })),
            "{bad:?}"
        );
        let first = store.iter(bad).next();
        assert!(
            matches!(first, Some(Err(Error::InvalidTreeName { .. }))),
            "{bad:?}"
        );
    }
}

/// Behaviour: a sealed record copied to another key, or moved to another tree, with raw sled
/// writes, fails authentication (`RecordTampered`) instead of being accepted.
#[test]
fn records_copied_to_another_key_or_tree_are_refused() {
    let dir = support::tempdir();
    let kek = key_file(dir.path());
    make_store_with_record(dir.path(), &kek);
    {
        let db = raw_db(dir.path());
        let devices = db.open_tree("devices").expect("tree");
        let sealed = devices.get(b"lock-1").expect("get").expect("present");
        devices
            .insert(b"lock-2", sealed.clone())
            .expect("copy to another key");
        db.open_tree("certs")
            .expect("tree")
            .insert(b"lock-1", sealed)
            .expect("move to another tree");
        db.flush().expect("flush");
    }
    let store = Store::open(dir.path(), &kek).expect("open");
    assert_eq!(
        &store
            .get("devices", b"lock-1")
            .expect("original")
            .expect("present")[..],
        b"device secret"
    );
    assert!(is_tampered(
        store.get("devices", b"lock-2"),
        "devices",
        b"lock-2"
    ));
    assert!(is_tampered(
        store.get("certs", b"lock-1"),
        "certs",
        b"lock-1"
    ));
    // iter reports the bad record and still yields the good one.
    let results: Vec<_> = store.iter("devices").collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(Error::RecordTampered { .. })));
}

/// Behaviour: a flipped ciphertext byte, a truncated value, or an empty value are refused with
/// `RecordTampered`, never a panic or garbage plaintext.
#[test]
fn modified_or_truncated_records_are_refused() {
    let dir = support::tempdir();
    let kek = key_file(dir.path());
    make_store_with_record(dir.path(), &kek);
    let sealed = {
        let db = raw_db(dir.path());
        let devices = db.open_tree("devices").expect("tree");
        let sealed = devices
            .get(b"lock-1")
            .expect("get")
            .expect("present")
            .to_vec();
        let mut flipped = sealed.clone();
        flipped[20] ^= 0x80;
        devices.insert(b"flipped", flipped).expect("insert");
        devices
            .insert(b"truncated", &sealed[..sealed.len() - 1])
            .expect("insert");
        devices.insert(b"short", &sealed[..5]).expect("insert");
        devices.insert(b"empty", &b""[..]).expect("insert");
        db.flush().expect("flush");
        sealed
    };
    assert_eq!(
        sealed[0], 0x01,
        "record layout starts with the version byte"
    );
    let store = Store::open(dir.path(), &kek).expect("open");
    for key in [&b"flipped"[..], b"truncated", b"short", b"empty"] {
        assert!(
            is_tampered(store.get("devices", key), "devices", key),
            "{key:?}"
        );
    }
}

/// Behaviour: an existing store whose key file is gone is refused with `KeyFileMissing`, no new
/// key file is created and meta is unchanged (no silent re-initialisation).
#[test]
fn missing_key_file_is_refused_without_touching_the_store() {
    let dir = support::tempdir();
    let kek = key_file(dir.path());
    make_store_with_record(dir.path(), &kek);
    let before = meta_snapshot(dir.path());
    std::fs::remove_file(dir.path().join("store.key")).expect("remove key file");
    let err = Store::open(dir.path(), &kek).expect_err("must refuse");
    assert!(
        matches!(&err, Error::KeyFileMissing { path, .. } if path.ends_with("store.key")),
        "{err}"
    );
    assert!(
        err.to_string().contains("backup"),
        "message should say to restore: {err}"
    );
    assert!(
        !dir.path().join("store.key").exists(),
        "a new key file was created"
    );
    assert_eq!(meta_snapshot(dir.path()), before, "meta changed");
}

/// Behaviour: a key file readable by group/others (0644) is refused with `KeyFileTooOpen`,
/// whose message says `chmod 600`.
#[test]
fn key_file_readable_by_others_is_refused() {
    let dir = support::tempdir();
    let kek = key_file(dir.path());
    make_store_with_record(dir.path(), &kek);
    let path = dir.path().join("store.key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = Store::open(dir.path(), &kek).expect_err("must refuse");
    assert!(
        matches!(err, Error::KeyFileTooOpen { mode: 0o644, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    Store::open(dir.path(), &kek).expect("opens once fixed");
}

/// Behaviour: a key file with 32 other bytes gives `WrongKek`; one of the wrong length gives
/// `KeyFileInvalid`; neither changes meta.
#[test]
fn wrong_key_file_contents_are_refused() {
    let dir = support::tempdir();
    let kek = key_file(dir.path());
    make_store_with_record(dir.path(), &kek);
    let before = meta_snapshot(dir.path());
    let path = dir.path().join("store.key");
    std::fs::write(&path, [0x11u8; 32]).expect("overwrite key file");
    let err = Store::open(dir.path(), &kek).expect_err("must refuse");
    assert!(
        matches!(
            err,
            Error::WrongKek {
                kind: KekKind::KeyFile
            }
        ),
        "{err}"
    );
    std::fs::write(&path, [0x11u8; 31]).expect("overwrite key file");
    let err = Store::open(dir.path(), &kek).expect_err("must refuse");
    assert!(
        matches!(err, Error::KeyFileInvalid { len: 31, .. }),
        "{err}"
    );
    assert_eq!(meta_snapshot(dir.path()), before);
}

/// Behaviour: a key file that exists before the database (restored, or left by an interrupted
/// first start) is used, not replaced, when the store is created.
#[test]
fn existing_key_file_without_database_is_used_for_creation() {
    let dir = support::tempdir();
    let path = dir.path().join("store.key");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .expect("create key file");
        f.write_all(&[0x33; 32]).expect("write");
    }
    let kek = KekSource::KeyFile(path.clone());
    let (store, outcome) = Store::open_or_create(dir.path(), &kek).expect("create");
    assert_eq!(outcome, OpenOutcome::Created);
    store.put("devices", b"k", b"v").expect("put");
    drop(store);
    assert_eq!(
        std::fs::read(&path).expect("read"),
        vec![0x33; 32],
        "key file was replaced"
    );
    Store::open(dir.path(), &kek).expect("reopen with the same key file");
}

/// Behaviour: the right passphrase opens the store (with the Argon2 parameters from meta), a
/// wrong one gives `WrongPassphrase`, an empty one is refused.
#[test]
fn passphrase_right_opens_wrong_is_refused() {
    let dir = support::tempdir();
    make_store_with_record(dir.path(), &passphrase("correct horse battery"));
    let before = meta_snapshot(dir.path());
    let err = Store::open(dir.path(), &passphrase("correct horse battery!")).expect_err("wrong");
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
    assert!(matches!(
        Store::open(dir.path(), &passphrase("")),
        Err(Error::EmptyPassphrase)
    ));
    // Opening uses the stored parameters, whatever the configuration says now.
    let other_params = KekSource::Passphrase {
        passphrase: Zeroizing::new("correct horse battery".into()),
        params: Argon2Params {
            m_kib: 128,
            t: 3,
            p: 2,
        },
    };
    let store = Store::open(dir.path(), &other_params).expect("right passphrase");
    assert_eq!(
        &store
            .get("devices", b"lock-1")
            .expect("get")
            .expect("present")[..],
        b"device secret"
    );
    drop(store);
    assert_eq!(meta_snapshot(dir.path()), before);
}

/// Behaviour: a systemd credential in a credentials directory (raw or hex) opens the store; a
/// missing credential, an unset directory or a different credential are clear errors.
#[test]
fn systemd_credential_opens_and_missing_is_a_clear_error() {
    let data = support::tempdir();
    let creds = support::tempdir();
    std::fs::write(creds.path().join("sealhub-store"), [0x42; 32]).expect("credential");
    let kek = KekSource::SystemdCredential {
        name: "sealhub-store".into(),
        credentials_dir: Some(creds.path().to_owned()),
    };
    make_store_with_record(data.path(), &kek);
    Store::open(data.path(), &kek).expect("reopen");
    // The same key as hex text (as `systemd-creds` users often store it) also works.
    std::fs::write(
        creds.path().join("sealhub-store"),
        format!("{}\n", hex::encode([0x42; 32])),
    )
    .expect("hex");
    Store::open(data.path(), &kek).expect("hex credential");

    std::fs::remove_file(creds.path().join("sealhub-store")).expect("remove");
    let err = Store::open(data.path(), &kek).expect_err("missing");
    assert!(matches!(err, Error::CredentialMissing { .. }), "{err}");
    assert!(err.to_string().contains("systemd-creds encrypt"), "{err}");

    let unset = KekSource::SystemdCredential {
        name: "sealhub-store".into(),
        credentials_dir: None,
    };
    let err = Store::open(data.path(), &unset).expect_err("unset");
    assert!(matches!(err, Error::CredentialsDirUnset { .. }), "{err}");
    assert!(err.to_string().contains("CREDENTIALS_DIRECTORY"), "{err}");

    std::fs::write(creds.path().join("sealhub-store"), [0x43; 32]).expect("other credential");
    let err = Store::open(data.path(), &kek).expect_err("wrong");
    assert!(
        matches!(
            err,
            Error::WrongKek {
                kind: KekKind::SystemdCredential
            }
        ),
        "{err}"
    );
}

/// Behaviour: configuring a different KEK kind than the store was sealed with is refused with
/// `KekKindMismatch` and nothing is re-initialised (meta unchanged, no key file created).
#[test]
fn configured_kek_kind_must_match_the_stored_one() {
    let dir = support::tempdir();
    make_store_with_record(dir.path(), &passphrase("a passphrase"));
    let before = meta_snapshot(dir.path());
    let err = Store::open(dir.path(), &key_file(dir.path())).expect_err("mismatch");
    assert!(
        matches!(
            err,
            Error::KekKindMismatch {
                stored: KekKind::Passphrase,
                configured: KekKind::KeyFile
            }
        ),
        "{err}"
    );
    assert!(
        !dir.path().join("store.key").exists(),
        "a key file was created"
    );
    assert_eq!(meta_snapshot(dir.path()), before);
    Store::open(dir.path(), &passphrase("a passphrase")).expect("still opens with its own KEK");
}

/// Behaviour: records without meta (meta lost) are not covered by a fresh store key: `MetaMissing`.
#[test]
fn records_without_meta_are_not_reinitialised() {
    let dir = support::tempdir();
    let kek = key_file(dir.path());
    make_store_with_record(dir.path(), &kek);
    {
        let db = raw_db(dir.path());
        db.open_tree("meta").expect("meta").clear().expect("clear");
        db.flush().expect("flush");
    }
    assert!(matches!(
        Store::open(dir.path(), &kek),
        Err(Error::MetaMissing { .. })
    ));
    assert!(meta_snapshot(dir.path()).is_empty(), "meta was re-created");
}

/// Behaviour: `Debug` of the store, a passphrase KEK source and a batch never shows secrets.
#[test]
fn debug_output_contains_no_secret() {
    let dir = support::tempdir();
    let kek = passphrase("Tr0ub4dor&3-secret");
    let shown_kek = format!("{kek:?}");
    assert!(!shown_kek.contains("Tr0ub4dor"), "{shown_kek}");
    assert!(shown_kek.contains("redacted"), "{shown_kek}");
    let store = Store::open(dir.path(), &kek).expect("create");
    let shown_store = format!("{store:?}");
    assert!(
        !shown_store.contains("Tr0ub4dor") && shown_store.contains("redacted"),
        "{shown_store}"
    );
    assert!(
        !shown_store.contains("["),
        "no byte arrays in {shown_store}"
    );
    let mut batch = WriteBatch::new();
    batch.put("devices", b"k", b"value-secret");
    assert!(!format!("{batch:?}").contains("value-secret"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Behaviour: any sequence of puts (random trees from a small set, random keys and values)
    /// reads back as the last value written, both from the open store and after reopening.
    #[test]
    fn store_put_get_round_trips(
        ops in prop::collection::vec(
            (
                prop::sample::select(vec!["devices", "certs", "counters"]),
                prop::collection::vec(any::<u8>(), 0..8),
                prop::collection::vec(any::<u8>(), 0..64),
            ),
            1..12,
        )
    ) {
        let dir = support::tempdir();
        let cred = support::tempdir();
        std::fs::write(cred.path().join("k"), [9u8; 32]).expect("credential");
        let kek = KekSource::SystemdCredential { name: "k".into(), credentials_dir: Some(cred.path().into()) };
        let mut expected = std::collections::BTreeMap::new();
        {
            let store = Store::open(dir.path(), &kek).expect("create");
            for (tree, key, value) in &ops {
                store.put(tree, key, value).expect("put");
                expected.insert((tree.to_string(), key.clone()), value.clone());
            }
            for ((tree, key), value) in &expected {
                let got = store.get(tree, key).expect("get").expect("present");
                prop_assert_eq!(&got[..], &value[..]);
            }
        }
        let store = Store::open(dir.path(), &kek).expect("reopen");
        for ((tree, key), value) in &expected {
            let got = store.get(tree, key).expect("get").expect("present");
            prop_assert_eq!(&got[..], &value[..]);
        }
        for tree in ["devices", "certs", "counters"] {
            let n = expected.keys().filter(|(t, _)| t == tree).count();
            let records = store.iter(tree).collect::<Result<Vec<_>, _>>().expect("records");
            prop_assert_eq!(records.len(), n);
        }
    }
}

/// Behaviour: a second open of a store that is still in use fails with `Locked` (after a short
/// wait) instead of a raw database error, and the first handle keeps working.
#[test]
fn a_store_in_use_is_reported_as_locked() {
    let dir = support::tempdir();
    let kek = key_file(dir.path());
    let store = Store::open(dir.path(), &kek).expect("create");
    let err = Store::open(dir.path(), &kek).expect_err("second open");
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    store
        .put("devices", b"k", b"v")
        .expect("first handle still works");
}
