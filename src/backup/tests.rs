//! The backup file against its attacks (wrong passphrase, truncation, any byte flipped, another
//! version, an older backup over a newer store) and the snapshot's layout, with property tests
//! for the parsers of outside bytes.

use proptest::prelude::*;

use super::*;
use crate::envelope::DeviceId;
use crate::envelope::freshness::FreshnessPolicy;
use crate::store::KekSource;

/// Cheap Argon2id costs so that a test can open a file hundreds of times.
const CHEAP: Argon2Params = Argon2Params {
    m_kib: 8,
    t: 1,
    p: 1,
};
const PASSPHRASE: &str = "correct horse battery staple";

fn store_in(dir: &std::path::Path) -> Store {
    Store::open(dir, &KekSource::default_key_file(dir)).expect("store opens")
}

/// A store with records in several trees, as a hub has them (but no home: its generation is
/// 0, and nothing here has to be a valid key).
fn filled_store(dir: &std::path::Path) -> Store {
    let store = store_in(dir);
    store.put("hub", b"a secret", &[7u8; 32]).unwrap();
    store
        .put("clients", b"alice", b"alice's certificate")
        .unwrap();
    store.put("zwave", b"network_key/s0", &[9u8; 16]).unwrap();
    store
        .put("zigbee", b"network_backup", br#"{"network_key":"00"}"#)
        .unwrap();
    store.put("devices", b"empty value", b"").unwrap();
    store
}

/// A backup of `store`, with cheap costs.
fn cheap_backup(store: &Store) -> Vec<u8> {
    create(store, PASSPHRASE, CHEAP, 1_700_000_000).unwrap().0
}

/// A store in `dir` holding a home created with its rollback guard in `guard`, as
/// `sealhub init` makes it (generation 1), and the home.
fn home_store(dir: &std::path::Path, guard: &std::path::Path) -> (Store, Home) {
    let store = store_in(dir);
    let home = Home::create_guarded(
        store.handle(),
        FreshnessPolicy::default(),
        RollbackGuard::in_dir(guard),
    )
    .unwrap();
    (store, home)
}

/// A change of the home: one more generation, in the store and its guard.
fn change(home: &mut Home, device: &str) {
    home.issue_device(&DeviceId::new(device).unwrap()).unwrap();
}

#[test]
fn a_backup_restored_into_a_new_store_holds_every_record() {
    let a = crate::store::private_tempdir();
    let store = filled_store(a.path());
    let (bytes, summary) = create(&store, PASSPHRASE, CHEAP, 1_700_000_000).unwrap();
    assert_eq!(summary.generation, 0, "a store without a home");
    assert_eq!(summary.created_unix_secs, 1_700_000_000);
    // hub, clients, zwave, zigbee, devices: a backup adds nothing of its own.
    assert_eq!(summary.records(), 5);

    let b = crate::store::private_tempdir();
    let fresh = store_in(b.path());
    let opened = open(&bytes, PASSPHRASE).unwrap();
    assert_eq!(opened.summary(), summary);
    let guard = RollbackGuard::in_dir(b.path());
    let restored = restore(&fresh, &opened, &guard, false).unwrap();
    assert!(!restored.needs_ack);
    for tree in store.tree_names().unwrap() {
        let before: Vec<_> = store.iter(&tree).map(|r| r.unwrap()).collect();
        let after: Vec<_> = fresh.iter(&tree).map(|r| r.unwrap()).collect();
        assert_eq!(before, after, "tree {tree}");
    }
    assert_eq!(fresh.tree_names().unwrap(), store.tree_names().unwrap());
    // The restored store is sealed under its own store key, not the old one.
    assert_ne!(store.store_key_bytes(), fresh.store_key_bytes());
}

#[test]
fn restoring_replaces_what_the_store_had() {
    let a = crate::store::private_tempdir();
    let store = filled_store(a.path());
    let bytes = cheap_backup(&store);
    store
        .put("clients", b"mallory", b"added after the backup")
        .unwrap();
    store
        .put("clients", b"alice", b"changed after the backup")
        .unwrap();
    let opened = open(&bytes, PASSPHRASE).unwrap();
    let guard = crate::store::private_tempdir();
    restore(&store, &opened, &RollbackGuard::in_dir(guard.path()), false).unwrap();
    assert_eq!(store.get("clients", b"mallory").unwrap(), None);
    assert_eq!(
        store
            .get("clients", b"alice")
            .unwrap()
            .as_deref()
            .map(Vec::as_slice),
        Some(&b"alice's certificate"[..])
    );
}

#[test]
fn a_wrong_passphrase_is_refused_as_such() {
    let a = crate::store::private_tempdir();
    let bytes = cheap_backup(&filled_store(a.path()));
    let err = open(&bytes, "correct horse battery stapler").unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
    assert!(err.to_string().contains("wrong backup passphrase"));
}

#[test]
fn every_truncation_is_refused() {
    let a = crate::store::private_tempdir();
    let bytes = cheap_backup(&filled_store(a.path()));
    for len in 0..bytes.len() {
        let err = open(&bytes[..len], PASSPHRASE).unwrap_err();
        assert!(
            matches!(err, Error::Truncated { .. } | Error::NotABackup),
            "cut at {len}: {err}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    let err = open(&longer, PASSPHRASE).unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }), "{err}");
}

#[test]
fn every_flipped_byte_is_refused_with_the_error_of_its_field() {
    let a = crate::store::private_tempdir();
    let bytes = cheap_backup(&filled_store(a.path()));
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        let err = open(&bad, PASSPHRASE).unwrap_err();
        let expected = match at {
            0..8 => matches!(err, Error::NotABackup),
            8 => matches!(err, Error::UnsupportedVersion { found: 0, .. }),
            9 => matches!(err, Error::InvalidKdf { .. }),
            // Costs still in range derive another key; the salt and key check likewise.
            10..22 => matches!(err, Error::WrongPassphrase | Error::InvalidKdf { .. }),
            22..38 | 54..70 => matches!(err, Error::WrongPassphrase),
            70..78 => matches!(err, Error::Truncated { .. }),
            // Generation, date, nonce and body are bound by the AAD and the tag.
            _ => matches!(err, Error::Tampered),
        };
        assert!(expected, "byte {at} flipped: {err}");
    }
}

#[test]
fn another_version_and_absurd_costs_are_refused_before_any_key_derivation() {
    let a = crate::store::private_tempdir();
    let bytes = cheap_backup(&filled_store(a.path()));
    let mut v2 = bytes.clone();
    v2[8] = 2;
    let err = open(&v2, PASSPHRASE).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnsupportedVersion {
                found: 2,
                supported: 1
            }
        ),
        "{err}"
    );
    // 4 TiB of memory would be refused by argon2 only after trying to allocate it.
    let mut greedy = bytes.clone();
    greedy[10..14].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = open(&greedy, PASSPHRASE).unwrap_err();
    assert!(matches!(err, Error::InvalidKdf { .. }), "{err}");
    assert!(matches!(
        open(b"not a backup at all", PASSPHRASE).unwrap_err(),
        Error::NotABackup
    ));
}

#[test]
fn an_older_backup_is_refused_over_a_newer_store_unless_forced_and_then_needs_the_ack() {
    let a = crate::store::private_tempdir();
    let g = crate::store::private_tempdir();
    let guard = RollbackGuard::in_dir(g.path());
    let (store, mut home) = home_store(a.path(), g.path());
    change(&mut home, "zb:lamp");
    let first = open(&cheap_backup(&store), PASSPHRASE).unwrap();
    change(&mut home, "zb:lock");
    let second = open(&cheap_backup(&store), PASSPHRASE).unwrap();
    // The header carries the home's own generation (created at 1, two changes).
    assert_eq!((first.header.generation, second.header.generation), (2, 3));
    assert_eq!(guard.read().unwrap().map(|r| r.generation), Some(3));
    drop(home);

    let err = restore(&store, &first, &guard, false).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OlderThanStore {
                backup: 2,
                store: 3
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("--force"));
    // Refused means untouched.
    assert_eq!(store_generation(&store).unwrap(), 3);
    assert!(store.get("devices", b"zb:lock").unwrap().is_some());

    // Forced, the older store is back, but the guard is not set back: the home refuses it
    // until the explicit recovery, which moves it above the guard.
    let restored = restore(&store, &first, &guard, true).unwrap();
    assert_eq!(store_generation(&store).unwrap(), 2);
    assert!(store.get("devices", b"zb:lock").unwrap().is_none());
    assert!(restored.needs_ack);
    assert_eq!(restored.guard.map(|r| r.generation), Some(3));
    let refused = Home::open_guarded(store.handle(), FreshnessPolicy::default(), guard.clone());
    assert!(
        matches!(
            refused,
            Err(crate::keymgmt::Error::RolledBack {
                store_generation: 2,
                guard_generation: 3,
                ..
            })
        ),
        "{:?}",
        refused.err()
    );
    let (_, recovery) =
        Home::recover_from_rollback(store.handle(), FreshnessPolicy::default(), guard.clone())
            .unwrap();
    assert_eq!(recovery.generation, 4);
    Home::open_guarded(store.handle(), FreshnessPolicy::default(), guard.clone()).unwrap();

    // The newer backup is now older than the recovered store: refused too.
    assert!(matches!(
        restore(&store, &second, &guard, false).unwrap_err(),
        Error::OlderThanStore {
            backup: 3,
            store: 4
        }
    ));
}

#[test]
fn the_latest_backup_restored_where_it_was_taken_needs_no_ack() {
    let a = crate::store::private_tempdir();
    let g = crate::store::private_tempdir();
    let guard = RollbackGuard::in_dir(g.path());
    let (store, mut home) = home_store(a.path(), g.path());
    change(&mut home, "zb:lamp");
    drop(home);
    let latest = open(&cheap_backup(&store), PASSPHRASE).unwrap();
    store.put("devices", b"zb:lamp", b"damaged").unwrap();
    let restored = restore(&store, &latest, &guard, false).unwrap();
    assert!(!restored.needs_ack, "{restored:?}");
    Home::open_guarded(store.handle(), FreshnessPolicy::default(), guard).unwrap();
}

#[test]
fn a_changed_home_restored_where_its_guard_is_missing_needs_the_ack() {
    let a = crate::store::private_tempdir();
    let g = crate::store::private_tempdir();
    let (store, mut home) = home_store(a.path(), g.path());
    change(&mut home, "zb:lamp");
    drop(home);
    let backup = open(&cheap_backup(&store), PASSPHRASE).unwrap();

    // A new machine: an empty store, no guard.
    let b = crate::store::private_tempdir();
    let fresh = store_in(b.path());
    let guard = RollbackGuard::in_dir(b.path());
    let restored = restore(&fresh, &backup, &guard, false).unwrap();
    assert!(restored.needs_ack);
    assert_eq!(restored.guard, None);
    assert!(matches!(
        Home::open_guarded(fresh.handle(), FreshnessPolicy::default(), guard.clone()),
        Err(crate::keymgmt::Error::GuardMissing {
            store_generation: 2,
            ..
        })
    ));
    Home::recover_from_rollback(fresh.handle(), FreshnessPolicy::default(), guard.clone()).unwrap();
    Home::open_guarded(fresh.handle(), FreshnessPolicy::default(), guard).unwrap();
}

#[test]
fn a_guard_left_behind_its_store_is_brought_up_before_a_restore() {
    let a = crate::store::private_tempdir();
    let g = crate::store::private_tempdir();
    let guard = RollbackGuard::in_dir(g.path());
    let (store, mut home) = home_store(a.path(), g.path());
    change(&mut home, "zb:lamp");
    let backup = open(&cheap_backup(&store), PASSPHRASE).unwrap();
    let at_backup = guard.read().unwrap().unwrap();
    change(&mut home, "zb:lock");
    drop(home);
    // A crash after the store's write and before the guard's.
    guard.record(at_backup).unwrap();

    let restored = restore(&store, &backup, &guard, true).unwrap();
    assert_eq!(restored.guard.map(|r| r.generation), Some(3));
    assert!(restored.needs_ack, "the change after the backup counts");
    assert_eq!(guard.read().unwrap().map(|r| r.generation), Some(3));
}

#[test]
fn another_home_is_replaced_only_when_forced_and_its_guard_is_retired() {
    let a = crate::store::private_tempdir();
    let g = crate::store::private_tempdir();
    let (store, mut home) = home_store(a.path(), g.path());
    change(&mut home, "zb:lamp");
    drop(home);
    let backup = open(&cheap_backup(&store), PASSPHRASE).unwrap();

    let b = crate::store::private_tempdir();
    let h = crate::store::private_tempdir();
    let guard = RollbackGuard::in_dir(h.path());
    let (other, other_home) = home_store(b.path(), h.path());
    drop(other_home);
    let before = store_generation(&other).unwrap();
    assert!(matches!(
        restore(&other, &backup, &guard, false).unwrap_err(),
        Error::OtherHome
    ));
    assert_eq!(store_generation(&other).unwrap(), before);
    assert!(guard.read().unwrap().is_some());

    let restored = restore(&other, &backup, &guard, true).unwrap();
    assert_eq!(restored.guard, None);
    assert!(restored.needs_ack);
    assert_eq!(guard.read().unwrap(), None);
    assert_eq!(guard.revocations().unwrap(), None);
    Home::recover_from_rollback(other.handle(), FreshnessPolicy::default(), guard.clone()).unwrap();
    Home::open_guarded(other.handle(), FreshnessPolicy::default(), guard).unwrap();
}

#[test]
fn a_short_passphrase_is_refused_for_a_new_backup() {
    let a = crate::store::private_tempdir();
    let store = filled_store(a.path());
    let err = create(&store, "short", CHEAP, 0).unwrap_err();
    assert!(
        matches!(err, Error::WeakPassphrase { len: 5, min: 12 }),
        "{err}"
    );
}

#[test]
fn the_file_shows_no_secret_in_the_clear_and_debug_shows_none() {
    let a = crate::store::private_tempdir();
    let store = filled_store(a.path());
    let bytes = cheap_backup(&store);
    let needle = [7u8; 32];
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    assert!(!bytes.windows(5).any(|w| w == b"alice"));
    let opened = open(&bytes, PASSPHRASE).unwrap();
    let debug = format!("{opened:?}");
    assert!(!debug.contains("alice's"), "{debug}");
    assert!(!debug.contains("7, 7, 7"), "{debug}");
}

#[test]
fn the_header_layout_is_as_documented() {
    let a = crate::store::private_tempdir();
    let bytes = cheap_backup(&filled_store(a.path()));
    assert_eq!(&bytes[..8], b"SHBACKUP");
    assert_eq!(bytes[8], 1, "format version");
    assert_eq!(bytes[9], 1, "Argon2id");
    assert_eq!(
        &bytes[10..22],
        &[0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 1],
        "m, t, p"
    );
    assert_eq!(&bytes[38..46], &0u64.to_be_bytes(), "generation: no home");
    assert_eq!(&bytes[46..54], &1_700_000_000u64.to_be_bytes(), "created");
    let body_len = u64::from_be_bytes(bytes[70..78].try_into().unwrap());
    assert_eq!(body_len as usize, bytes.len() - file::HEADER_LEN);
    let header = BackupHeader::decode(&bytes).unwrap();
    assert_eq!(header.encode()[..], bytes[..file::HEADER_LEN]);
}

#[test]
fn the_snapshot_layout_is_as_documented() {
    let mut s = Snapshot::default();
    s.insert("hub", b"k", b"vv");
    assert_eq!(
        &s.encode()[..],
        &[
            1, // layout version
            0, 0, 0, 1, // one tree
            3, b'h', b'u', b'b', // its name
            0, 0, 0, 1, // one record
            0, 1, b'k', // key
            0, 0, 0, 2, b'v', b'v', // value
        ]
    );
}

#[test]
fn snapshots_out_of_order_repeated_or_with_bad_names_are_refused() {
    let mut s = Snapshot::default();
    s.insert("a", b"1", b"x");
    s.insert("b", b"1", b"x");
    let good = s.encode().to_vec();
    // Swap the two tree names: out of order.
    let mut swapped = good.clone();
    swapped[6] = b'b';
    swapped[6 + 1 + 4 + 2 + 1 + 4 + 1 + 1] = b'a';
    assert!(Snapshot::decode(&swapped).is_err());
    // `meta` is the store's own tree.
    let mut meta = Snapshot::default();
    meta.insert("meta", b"k", b"v");
    assert!(Snapshot::decode(&meta.encode()).is_err());
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(Snapshot::decode(&trailing).is_err());
    assert_eq!(Snapshot::decode(&good).unwrap(), s);
}

fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
    prop::collection::btree_map(
        "[a-z][a-z0-9_]{0,8}",
        prop::collection::btree_map(
            prop::collection::vec(any::<u8>(), 0..12),
            prop::collection::vec(any::<u8>(), 0..40),
            1..5,
        ),
        0..4,
    )
    .prop_filter("meta is reserved", |t| !t.contains_key("meta"))
    .prop_map(|trees| {
        let mut s = Snapshot::default();
        for (tree, records) in trees {
            for (k, v) in records {
                s.insert(&tree, &k, &v);
            }
        }
        s
    })
}

proptest! {
    #[test]
    fn snapshot_encoding_round_trips(s in arb_snapshot()) {
        let bytes = s.encode();
        let back = Snapshot::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &s);
        prop_assert_eq!(&back.encode()[..], &bytes[..]);
    }

    #[test]
    fn snapshot_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Snapshot::decode(&bytes);
    }

    #[test]
    fn a_damaged_snapshot_never_decodes_to_the_original(
        s in arb_snapshot(),
        at in any::<prop::sample::Index>(),
        cut in any::<bool>(),
    ) {
        let bytes = s.encode().to_vec();
        let i = at.index(bytes.len());
        let damaged = if cut { bytes[..i].to_vec() } else {
            let mut d = bytes.clone();
            d[i] ^= 0x80;
            d
        };
        prop_assert_ne!(Snapshot::decode(&damaged).ok(), Some(s));
    }

    #[test]
    fn header_decoding_never_panics_and_mirrors_encoding(
        bytes in prop::collection::vec(any::<u8>(), 0..160),
    ) {
        let mut file = bytes.clone();
        if file.len() >= 10 {
            file[..8].copy_from_slice(&file::MAGIC);
            file[8] = file::FORMAT_VERSION;
        }
        if let Ok(header) = BackupHeader::decode(&file) {
            prop_assert_eq!(&header.encode()[..], &file[..file::HEADER_LEN]);
        }
    }
}
