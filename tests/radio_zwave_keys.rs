//! The Z-Wave network keys in the sealed store (`sealhub::radio::zwave_keys`), end to end over
//! real ptys with the emulated controller (`firmware_shim::zwave_controller`): keys generated
//! on the first start are sealed, a restarted hub (store reopened, new driver) talks to a lock
//! included under S2 Access Control without including it again, and the key bytes appear
//! nowhere in the store's files.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatorHandle, PtyConfig, SecureDevice, SecureNode, SimNode, spawn_on_pty,
};
use sealhub::radio::zwave_keys::{SealedNetworkKeys, SealedNodeGrants};
use sealhub::store::Store;
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::driver::{
    DriverConfig, Error, InclusionOptions, PinRequest, RadioEvent, ZwaveStick,
};
use sealhub_radios::zwave::s2::session::SEQ_WINDOW;
use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use support::store::{contains, files_under, open_store};
use support::zwave::SOON;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// How long one try waits for the lock to act (see the restart test for why it may retry).
const QUIET: Duration = Duration::from_millis(1500);

const LOCK_SET_UNSECURED: [u8; 3] = [0x62, 0x01, 0x00];
const LOCK_SET_SECURED: [u8; 3] = [0x62, 0x01, 0xFF];

fn driver_config() -> DriverConfig {
    DriverConfig {
        supervision_timeout: DriverConfig::default().supervision_timeout,
        ..support::zwave::driver_config()
    }
}

async fn emulator(dir: &Path) -> (PathBuf, EmulatorHandle) {
    let config = PtyConfig {
        controller: ControllerConfig::default(),
        ..PtyConfig::new(dir.join("zwave-stick"))
    };
    spawn_on_pty(config).await.expect("emulator on a pty")
}

/// A driver on `path` with the keys sealed in `store`, started, the stored grants restored;
/// retries the open while a previous driver still holds the port.
async fn hub_driver(path: &Path, store: &Store) -> (ZwaveStick, mpsc::Receiver<RadioEvent>) {
    let (stick, events) = timeout(SOON, async {
        loop {
            let keys = SealedNetworkKeys::load(store.handle()).expect("keys load");
            match ZwaveStick::open_secure(PortConfig::new(path), driver_config(), Box::new(keys))
                .await
            {
                Ok(opened) => return opened,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .expect("driver opens the pty");
    timeout(SOON, stick.start())
        .await
        .expect("start-up does not hang")
        .expect("start-up succeeds");
    SealedNodeGrants::new(store.handle())
        .restore_onto(&stick)
        .expect("grants restored");
    (stick, events)
}

/// Includes the lock with its PIN, sealing its grant as the hub does; returns its node id.
async fn include_lock(
    stick: &ZwaveStick,
    events: &mut mpsc::Receiver<RadioEvent>,
    emu: &EmulatorHandle,
    lock: &SecureNode,
    store: &Store,
) -> u16 {
    let grants = SealedNodeGrants::new(store.handle());
    let (pins, mut asked) = mpsc::channel::<PinRequest>(1);
    let options = InclusionOptions {
        grant: KeyClasses::all(),
        allow_s0: true,
    };
    timeout(SOON, stick.add_node_secure(options, pins))
        .await
        .expect("no hang")
        .expect("inclusion mode");
    emu.with_stick(|s| s.offer_for_inclusion(SimNode::secure(lock.clone())));
    let outcome = timeout(SOON, async {
        loop {
            tokio::select! {
                e = events.recv() => {
                    let e = e.expect("event stream open");
                    grants.follow(&e, stick).expect("grant sealed");
                    if matches!(e, RadioEvent::NodeAdded { .. } | RadioEvent::InclusionFailed { .. }) {
                        return e;
                    }
                }
                Some(request) = asked.recv() => request.answer(Some(lock.pin())),
            }
        }
    })
    .await
    .expect("inclusion finished in time");
    let RadioEvent::NodeAdded { node, security, .. } = outcome else {
        panic!("lock not included: {outcome:?}");
    };
    assert_eq!(security, Some(SecurityClass::S2AccessControl));
    node
}

/// Sends `command` until the lock's state satisfies `done`. A restarted hub starts from a
/// random S2 sequence number, which falls in the lock's duplicate window (the last
/// `SEQ_WINDOW` numbers it had from the hub) about one time in twenty-five. A frame there is
/// dropped: a Nonce Get goes unanswered (`NoNonce`), a command is acknowledged and not
/// obeyed. The hub's numbers then go up by one per frame, so up to `SEQ_WINDOW` tries in a
/// row can be dropped (with only 4 tries this failed now and then); each try sends at least
/// one new number, so `SEQ_WINDOW + 1` tries always get through.
async fn command_lock(
    stick: &ZwaveStick,
    node: u16,
    lock: &SecureNode,
    command: &[u8],
    done: SecureDevice,
) {
    for _ in 0..=SEQ_WINDOW {
        match timeout(SOON, stick.send_data(node, command.to_vec()))
            .await
            .expect("no hang")
        {
            Ok(_) => {}
            // The Nonce Get fell in the lock's duplicate window; the next one will not.
            Err(Error::NoNonce { node: n }) if n == node => continue,
            Err(e) => panic!("node acknowledged: {e:?}"),
        }
        let acted = timeout(QUIET, async {
            while lock.state().device != done {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        if acted.is_ok() {
            return;
        }
    }
    panic!(
        "the lock never obeyed; it refused {:?}",
        lock.state().refused
    );
}

// Multi-threaded: dropping a driver aborts its tasks, and they release their store handle only
// when the runtime gets to them, while reopening the store blocks the test's own thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_keys_survive_a_restart_and_the_lock_still_obeys_under_s2() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    let (path, emu) = emulator(dir.path()).await;

    // First start: no keys in the store; the driver generates all four and they are sealed.
    let store = open_store(&data_dir);
    assert!(
        SealedNetworkKeys::load(store.handle())
            .expect("load")
            .is_empty()
    );
    let (stick, mut events) = hub_driver(&path, &store).await;
    let sealed = SealedNetworkKeys::load(store.handle()).expect("load");
    assert_eq!(sealed.len(), 4, "every class's key is sealed");
    let first_keys: Vec<_> = SecurityClass::HIGHEST_FIRST
        .iter()
        .map(|c| sealed.key(*c))
        .collect();
    drop(sealed);
    let lock = SecureNode::door_lock(0x61);
    let node = include_lock(&stick, &mut events, &emu, &lock, &store).await;
    assert_eq!(
        lock.state().granted,
        KeyClasses::S2_ACCESS_CONTROL | KeyClasses::S2_AUTHENTICATED
    );
    command_lock(
        &stick,
        node,
        &lock,
        &LOCK_SET_UNSECURED,
        SecureDevice::DoorLock { mode: 0x00 },
    )
    .await;
    let nodes_before = emu.with_stick(|s| s.controller().node_ids());

    // The hub stops: driver and every store handle dropped.
    drop(events);
    drop(stick);
    drop(store);

    // It starts again: the store reopened from disk, a new driver with the sealed keys.
    let store = open_store(&data_dir);
    let reloaded = SealedNetworkKeys::load(store.handle()).expect("load");
    for (class, first) in SecurityClass::HIGHEST_FIRST.iter().zip(&first_keys) {
        assert_eq!(&reloaded.key(*class), first, "{class:?} key kept");
    }
    drop(reloaded);
    let (stick, _events) = hub_driver(&path, &store).await;
    assert_eq!(
        stick.node_security(node),
        Some(SecurityClass::S2AccessControl),
        "the grant came back from the store"
    );

    // The lock, never included again, obeys the restarted hub under Access Control.
    command_lock(
        &stick,
        node,
        &lock,
        &LOCK_SET_SECURED,
        SecureDevice::DoorLock { mode: 0xFF },
    )
    .await;
    assert!(
        lock.state().refused.is_empty(),
        "{:?}",
        lock.state().refused
    );
    assert_eq!(
        emu.with_stick(|s| s.controller().node_ids()),
        nodes_before,
        "no node was included again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_from_a_store_that_lost_them_do_not_reach_the_lock() {
    // The converse, so the test above cannot pass by accident: a hub whose store does not
    // have the keys (a new store) makes new ones, and the lock refuses what it sends.
    let dir = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(dir.path()).await;
    let store = open_store(&dir.path().join("data"));
    let (stick, mut events) = hub_driver(&path, &store).await;
    let lock = SecureNode::door_lock(0x62);
    let node = include_lock(&stick, &mut events, &emu, &lock, &store).await;
    let grant = SealedNodeGrants::new(store.handle())
        .load_all()
        .expect("grants")[&node]
        .clone();
    drop(events);
    drop(stick);
    drop(store);

    let other = open_store(&dir.path().join("other-data"));
    let (stick, _events) = hub_driver(&path, &other).await;
    stick.set_node_security(node, grant.granted, grant.insecure);
    // Whatever the driver makes of the failed exchange, the lock must not act on it.
    let _ = timeout(SOON, stick.send_data(node, LOCK_SET_UNSECURED.to_vec())).await;
    // Not "nothing happened for a while" (which passes by itself on a slow machine): the
    // lock's record shows the frame arrived and could not be decrypted.
    timeout(SOON, async {
        while lock.state().undecryptable.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the frame under other keys never reached the lock");
    assert_eq!(
        lock.state().device,
        SecureDevice::DoorLock { mode: 0xFF },
        "a frame under other keys must not open the lock"
    );
}

#[tokio::test]
async fn the_network_keys_are_sealed_at_rest() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    let (path, _emu) = emulator(dir.path()).await;
    let store = open_store(&data_dir);
    let (stick, _events) = hub_driver(&path, &store).await;
    let keys = SealedNetworkKeys::load(store.handle()).expect("load");
    let key_bytes: Vec<[u8; 16]> = SecurityClass::HIGHEST_FIRST
        .iter()
        .map(|c| *keys.key(*c).expect("sealed").as_bytes())
        .collect();
    drop(stick);
    store.flush().expect("flush");
    drop(keys);
    drop(store);

    let files = files_under(&data_dir.join(sealhub::store::DB_DIR_NAME));
    assert!(!files.is_empty(), "the store has files");
    // The scan finds a key where one is in the clear (so a pass below means something).
    let probe = dir.path().join("probe");
    std::fs::write(&probe, [b"xx".as_slice(), &key_bytes[0], b"yy"].concat()).expect("write");
    assert!(contains(
        &std::fs::read(&probe).expect("read"),
        &key_bytes[0]
    ));
    for (file, bytes) in &files {
        for key in &key_bytes {
            assert!(
                !contains(bytes, key),
                "a Z-Wave network key is in the clear in {}",
                file.display()
            );
            assert!(!contains(bytes, hex::encode(key).as_bytes()));
        }
    }
}
