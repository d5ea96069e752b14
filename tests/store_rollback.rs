//! Rolling the sealed store back to an older copy is noticed, not lived with: the hub refuses
//! to open a store older than its rollback guard (naming both generations and the recovery
//! step), and the recovery step makes the home safe again: no sequence number is used twice,
//! a client removed after the copy was made stays removed, a device rotated since gets new
//! keys, and commands sealed before the recovery are refused.

mod support;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, Error};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{self, Client, Home, RECOVERY_SEQUENCE_JUMP};
use sealhub::store::{KekSource, RollbackGuard, Store};
use std::path::Path;
use std::time::Instant;

const NOW: u64 = 1_800_000_000;

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

fn store_in(dir: &Path) -> Store {
    Store::open(dir, &KekSource::default_key_file(dir)).expect("store opens")
}

fn pair(home: &mut Home, name: &str) -> Client {
    support::paired_client(home, name, Permissions::ALL, None)
}

fn unlock(client: &mut Client) -> Vec<u8> {
    client
        .seal_command(&id("zb:lock"), Value::Text("unlock".into()), NOW + 60, None)
        .expect("seal")
}

struct Scene {
    guard_dir: tempfile::TempDir,
    /// A data directory holding the store as it was copied before the last changes, with the
    /// key file: what an operator (or an attacker with the SD card) restores.
    restored: tempfile::TempDir,
    stays: Client,
    leaves: Client,
    /// The highest sequence number `stays` accepted from the lock before the rollback.
    last_lock_seq: u64,
    /// A command of `stays` the hub accepted after the copy was made.
    accepted_after_copy: Vec<u8>,
}

/// A guarded home whose store is copied, then changed a lot (events, commands, a client
/// removed, a device rotated), then restored from the copy.
fn rolled_back() -> Scene {
    let data = support::tempdir();
    let guard_dir = support::tempdir();
    let backup = support::tempdir();
    let guard = || RollbackGuard::in_dir(guard_dir.path());
    let (mut stays, leaves) = {
        let mut home =
            Home::create_guarded(store_in(data.path()), FreshnessPolicy::default(), guard())
                .expect("created");
        home.issue_device(&id("zb:lock")).expect("device");
        home.issue_device(&id("zb:bulb")).expect("device");
        (pair(&mut home, "stays"), pair(&mut home, "leaves"))
    };
    let store = store_in(data.path());
    support::copy_dir(
        &data.path().join("store.sled"),
        &backup.path().join("store.sled"),
    );
    let mut home = Home::open_guarded(store, FreshnessPolicy::default(), guard()).expect("open");
    let mut last_lock_seq = 0;
    for _ in 0..100 {
        let event = home.seal_event(&id("zb:lock"), Value::Null).expect("seal");
        last_lock_seq = stays.open(&event).expect("opens").body.seq;
    }
    let accepted_after_copy = unlock(&mut stays);
    home.open_command(&accepted_after_copy, Some(NOW), Instant::now())
        .expect("accepted");
    home.rotate_device(&id("zb:bulb")).expect("rotated");
    for (_, dist) in home.remove_client(&id("leaves")).expect("removed") {
        stays.open(&dist).expect("new epoch");
    }
    drop(home);
    let restored = support::tempdir();
    support::copy_dir(
        &backup.path().join("store.sled"),
        &restored.path().join("store.sled"),
    );
    std::fs::copy(
        data.path().join("store.key"),
        restored.path().join("store.key"),
    )
    .expect("key file");
    Scene {
        guard_dir,
        restored,
        stays,
        leaves,
        last_lock_seq,
        accepted_after_copy,
    }
}

#[test]
fn a_store_older_than_its_guard_is_refused_naming_both_generations() {
    let scene = rolled_back();
    let guard = RollbackGuard::in_dir(scene.guard_dir.path());
    let err = Home::open_guarded(
        store_in(scene.restored.path()),
        FreshnessPolicy::default(),
        guard,
    )
    .expect_err("rolled back");
    let keymgmt::Error::RolledBack {
        store_generation,
        guard_generation,
        ..
    } = &err
    else {
        panic!("expected a rollback refusal, got {err}");
    };
    assert!(store_generation < guard_generation, "{err}");
    let message = err.to_string();
    for needle in [
        store_generation.to_string(),
        guard_generation.to_string(),
        "sealhub restore-ack".to_string(),
    ] {
        assert!(
            message.contains(&needle),
            "{needle} missing from: {message}"
        );
    }
}

#[test]
fn recovery_reuses_no_number_and_keeps_the_removed_client_revoked() {
    let Scene {
        guard_dir,
        restored,
        mut stays,
        mut leaves,
        last_lock_seq,
        accepted_after_copy,
    } = rolled_back();
    let guard = || RollbackGuard::in_dir(guard_dir.path());
    let (mut home, recovery) = Home::recover_from_rollback(
        store_in(restored.path()),
        FreshnessPolicy::default(),
        guard(),
    )
    .expect("recovers");
    assert_eq!(recovery.clients_removed, vec![id("leaves")]);
    assert_eq!(recovery.devices_rekeyed, vec![id("zb:bulb")]);
    assert!(recovery.generation > recovery.guard_generation.expect("guard"));
    assert!(recovery.epoch > 2, "above the epoch the guard recorded");
    assert!(recovery.sequence_floor >= RECOVERY_SEQUENCE_JUMP);

    let redistribution = home.redistribute().expect("key distributions");
    assert_eq!(redistribution.len(), 1, "the removed client gets none");
    stays
        .open(&redistribution[0].1)
        .expect("the remaining client accepts the new epoch (a fresh root sequence number)");
    let event = home.seal_event(&id("zb:lock"), Value::Null).expect("seal");
    let opened = stays.open(&event).expect("no sequence number reused");
    assert!(opened.body.seq > last_lock_seq);
    stays
        .open(&home.seal_event(&id("zb:bulb"), Value::Null).expect("seal"))
        .expect("the re-keyed bulb's events verify under its new certificate");

    // The removed client: still revoked, and without the new epoch's keys.
    let err = home
        .open_command(&unlock(&mut leaves), Some(NOW), Instant::now())
        .expect_err("revoked");
    assert!(
        matches!(err, Error::Revoked(k) if k == leaves.kid()),
        "{err}"
    );
    match leaves.open(&event).expect_err("cannot read") {
        keymgmt::Error::Envelope(Error::UnknownEpoch(_)) => {}
        other => panic!("expected no key for the new epoch, got {other}"),
    }
    // A command accepted after the copy (its window entry undone by the restore) is refused.
    let err = home
        .open_command(&accepted_after_copy, Some(NOW), Instant::now())
        .expect_err("replayed across the rollback");
    assert!(matches!(err, Error::UnknownEpoch(_)), "{err}");
    // The remaining client's new commands run.
    home.open_command(&unlock(&mut stays), Some(NOW), Instant::now())
        .expect("accepted");
    drop(home);
    Home::open_guarded(
        store_in(restored.path()),
        FreshnessPolicy::default(),
        guard(),
    )
    .expect("the recovered store opens under its guard");
}

#[test]
fn a_guard_that_remembers_a_home_refuses_to_create_another() {
    let data = support::tempdir();
    let guard_dir = support::tempdir();
    let guard = || RollbackGuard::in_dir(guard_dir.path());
    drop(
        Home::create_guarded(store_in(data.path()), FreshnessPolicy::default(), guard())
            .expect("created"),
    );
    // The data partition did not mount: an empty data directory, the guard elsewhere.
    let empty = support::tempdir();
    let err = Home::create_guarded(store_in(empty.path()), FreshnessPolicy::default(), guard())
        .expect_err("a home existed");
    assert!(matches!(err, keymgmt::Error::HomeExists(_)), "{err}");
    let err = Home::open_guarded(store_in(empty.path()), FreshnessPolicy::default(), guard())
        .expect_err("no home here");
    assert!(matches!(err, keymgmt::Error::NoHome), "{err}");
}

/// Behaviour: a command's staged replay window (`Home::open_command_staged`, flushed with the
/// gateway's journal entry) bumps the generation at once but reaches the rollback guard only
/// once `Home::make_durable` has flushed it (written by the guard's own thread, so the
/// command does not wait for it): the guard is never ahead of the store.
#[test]
fn a_staged_replay_window_reaches_the_guard_only_after_it_is_made_durable() {
    let data = support::tempdir();
    let guard_dir = support::tempdir();
    let guard = || RollbackGuard::in_dir(guard_dir.path());
    let mut home = Home::create_guarded(store_in(data.path()), FreshnessPolicy::default(), guard())
        .expect("created");
    home.issue_device(&id("zb:lock")).expect("device");
    let mut phone = pair(&mut home, "phone");
    let guarded = |home: &Home| {
        let record = guard().read().expect("guard reads").expect("a guard");
        (record.generation, home.generation())
    };
    let (before, _) = guarded(&home);

    let command = unlock(&mut phone);
    home.open_command_staged(&command, Some(NOW), Instant::now())
        .expect("accepted");
    let (in_guard, in_store) = guarded(&home);
    assert_eq!(in_guard, before, "the guard waits for the flush");
    assert_eq!(in_store, before + 1, "the window bumps the generation");
    // A copy is refused already (the window is advanced in memory).
    assert!(matches!(
        home.open_command_staged(&command, Some(NOW), Instant::now()),
        Err(Error::Replay { .. })
    ));

    home.make_durable().expect("flushed");
    let (in_guard, in_store) = guarded(&home);
    assert!(in_guard <= in_store, "never ahead of the store");
    home.settle_guard();
    let (in_guard, in_store) = guarded(&home);
    assert_eq!(
        in_guard, in_store,
        "the guard records the flushed generation"
    );
    // Nothing staged: nothing more to do.
    home.make_durable().expect("nothing to flush");
    home.settle_guard();
    assert_eq!(guarded(&home), (in_store, in_store));

    // Many commands in a row, the guard's writes behind them: once settled, the guard holds
    // the newest generation, and a home closed right after a command leaves it there too.
    for _ in 0..20 {
        home.open_command_staged(&unlock(&mut phone), Some(NOW), Instant::now())
            .expect("accepted");
        home.make_durable().expect("flushed");
        assert!(guarded(&home).0 <= home.generation());
    }
    home.settle_guard();
    assert_eq!(guarded(&home).0, home.generation());
    home.open_command_staged(&unlock(&mut phone), Some(NOW), Instant::now())
        .expect("accepted");
    home.make_durable().expect("flushed");
    let last = home.generation();
    drop(home);
    assert_eq!(
        guard().read().expect("reads").expect("a guard").generation,
        last
    );
}
