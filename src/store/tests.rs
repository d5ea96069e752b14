//! Unit tests that need the store's internals (the raw store key).

use super::*;

/// Every regular file under `dir`, read in full.
fn all_file_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.push((path, bytes));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Behaviour: neither a record's plaintext nor the store key ever reaches the disk in the clear,
/// for every KEK kind (the marker and key are searched for in every file of the data directory).
#[test]
fn disk_holds_neither_plaintext_nor_the_store_key() {
    let marker: &[u8; 32] = b"SEALHUB-PLAINTEXT-MARKER-0123456";
    let cred_dir = crate::store::private_tempdir();
    std::fs::write(cred_dir.path().join("store-kek"), [0x5a; 32]).expect("credential");
    for kek_source in [
        None,
        Some(KekSource::SystemdCredential {
            name: "store-kek".into(),
            credentials_dir: Some(cred_dir.path().to_owned()),
        }),
        Some(KekSource::Passphrase {
            passphrase: Zeroizing::new("hunter2 but longer".into()),
            params: Argon2Params {
                m_kib: 64,
                t: 1,
                p: 1,
            },
        }),
    ] {
        let dir = crate::store::private_tempdir();
        let kek_source = kek_source.unwrap_or_else(|| KekSource::default_key_file(dir.path()));
        let store_key = {
            let store = Store::open(dir.path(), &kek_source).expect("create");
            store.put("devices", b"lock-1", marker).expect("put");
            let mut batch = WriteBatch::new();
            batch
                .put("certs", b"lock-1", marker)
                .put("devices", b"lock-2", marker);
            store.apply(batch).expect("apply");
            store.store_key_bytes().to_vec()
        };
        let files = all_file_bytes(dir.path());
        assert!(files.len() >= 2, "expected database files, got {files:?}");
        for (path, bytes) in &files {
            assert!(
                !contains(bytes, marker),
                "plaintext marker found in {}",
                path.display()
            );
            assert!(
                !contains(bytes, &store_key),
                "store key found in clear in {}",
                path.display()
            );
        }
        // The scan is meaningful: the sealed bytes of the record are found in those files.
        let sealed = {
            let raw = open_db(&dir.path().join(DB_DIR_NAME)).expect("raw open");
            raw.open_tree("certs")
                .expect("tree")
                .get(b"lock-1")
                .expect("get")
                .expect("present")
        };
        assert!(
            files.iter().any(|(_, bytes)| contains(bytes, &sealed)),
            "sealed record bytes not found on disk: the scan would prove nothing"
        );
        // Still readable: the marker was really written, just sealed.
        let store = Store::open(dir.path(), &kek_source).expect("reopen");
        assert_eq!(
            store
                .get("certs", b"lock-1")
                .expect("get")
                .expect("present")
                .as_slice(),
            marker
        );
    }
}

/// Behaviour: the store key is random per store, not derived from the KEK alone.
#[test]
fn each_store_gets_its_own_random_store_key() {
    let a = crate::store::private_tempdir();
    let b = crate::store::private_tempdir();
    let cred = crate::store::private_tempdir();
    std::fs::write(cred.path().join("k"), [1u8; 32]).expect("credential");
    let kek = KekSource::SystemdCredential {
        name: "k".into(),
        credentials_dir: Some(cred.path().into()),
    };
    let sa = Store::open(a.path(), &kek).expect("a");
    let sb = Store::open(b.path(), &kek).expect("b");
    assert_ne!(sa.store_key_bytes(), sb.store_key_bytes());
    assert_ne!(sa.store_key_bytes(), &[1u8; 32][..]);
}

/// Behaviour: a new passphrase store uses Argon2id at the documented level (64 MiB, 3 passes,
/// 1 lane) and records it in meta, and a store made with the earlier, weaker defaults (19 MiB,
/// 2 passes) still opens with the parameters its meta records.
#[test]
fn new_passphrase_stores_use_the_raised_argon2id_level_and_old_ones_still_open() {
    const DOCUMENTED: Argon2Params = Argon2Params {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    assert_eq!(Argon2Params::default(), DOCUMENTED);
    let recorded = |dir: &Path| {
        let db = sled::Config::new()
            .path(dir.join(DB_DIR_NAME))
            .open()
            .expect("sled");
        let meta = meta::read(&db.open_tree(name::META_TREE).expect("tree"))
            .ok()
            .flatten()
            .expect("meta");
        meta.kdf.expect("passphrase kdf").params
    };
    let phrase = || Zeroizing::new(String::from("a long enough passphrase"));

    let new = crate::store::private_tempdir();
    drop(Store::open(new.path(), &KekSource::passphrase(phrase())).expect("create"));
    assert_eq!(recorded(new.path()), DOCUMENTED);

    let old = crate::store::private_tempdir();
    let earlier_defaults = Argon2Params {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };
    let made_before = KekSource::Passphrase {
        passphrase: phrase(),
        params: earlier_defaults,
    };
    let store = Store::open(old.path(), &made_before).expect("create");
    store.put("devices", b"k", b"v").expect("put");
    drop(store);
    let store = Store::open(old.path(), &KekSource::passphrase(phrase())).expect("reopen");
    assert_eq!(
        &store.get("devices", b"k").expect("get").expect("present")[..],
        b"v"
    );
    drop(store);
    assert_eq!(
        recorded(old.path()),
        earlier_defaults,
        "meta is never rewritten"
    );
}
