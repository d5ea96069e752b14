//! The Z-Wave network keys in the sealed store (`sealhub::radio::zwave_keys`), end to end over
//! real ptys with the emulated controller (`firmware_shim::zwave_controller`): keys generated
//! on the first start are sealed, a restarted hub (store reopened, new driver) talks to a lock
//! included under S2 Access Control without including it again (its S2 sequence numbers go on
//! past the reservation sealed before the restart, so nothing is dropped as a duplicate), and
//! the key bytes appear nowhere in the store's files.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatorHandle, PtyConfig, SecureDevice, SecureNode, SimNode, spawn_on_pty,
};
use sealhub::radio::zwave_keys::{SealedNetworkKeys, SealedNodeGrants};
use sealhub::store::{KekSource, Store};
use sealhub_radios::port::{Backoff, PortConfig};
use sealhub_radios::zwave::cc::CommandClassFrame;
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::driver::{
    DriverConfig, InclusionOptions, PinRequest, RadioEvent, ZwaveStick,
};
use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use sealhub_radios::zwave::serial::messages::HostMessage;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous bound for anything that should take milliseconds.
const SOON: Duration = Duration::from_secs(10);

const LOCK_SET_UNSECURED: [u8; 3] = [0x62, 0x01, 0x00];
const LOCK_SET_SECURED: [u8; 3] = [0x62, 0x01, 0xFF];

fn driver_config() -> DriverConfig {
    DriverConfig {
        response_timeout: Duration::from_secs(5),
        send_data_timeout: Duration::from_secs(2),
        inclusion_timeout: Duration::from_secs(2),
        started_timeout: Duration::from_secs(5),
        reopen_backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(200)),
        security_timeout: Duration::from_secs(2),
        pin_timeout: Duration::from_secs(2),
        ..DriverConfig::default()
    }
}

fn open_store(data_dir: &Path) -> Store {
    Store::open(data_dir, &KekSource::KeyFile(data_dir.join("store.key"))).expect("store opens")
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
    let (node, security) = include_sealed(stick, events, emu, lock, store).await;
    assert_eq!(security, Some(SecurityClass::S2AccessControl));
    node
}

/// Includes `secure` (the user typing its PIN if asked), sealing its grant as the hub does;
/// returns its node id and the class it got.
async fn include_sealed(
    stick: &ZwaveStick,
    events: &mut mpsc::Receiver<RadioEvent>,
    emu: &EmulatorHandle,
    secure: &SecureNode,
    store: &Store,
) -> (u16, Option<SecurityClass>) {
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
    emu.with_stick(|s| s.offer_for_inclusion(SimNode::secure(secure.clone())));
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
                Some(request) = asked.recv() => request.answer(Some(secure.pin())),
            }
        }
    })
    .await
    .expect("inclusion finished in time");
    let RadioEvent::NodeAdded { node, security, .. } = outcome else {
        panic!("not included: {outcome:?}");
    };
    (node, security)
}

/// Sends `command` to the lock once and waits until its state satisfies `done`. Once: after a
/// restart the hub's S2 sequence numbers go on past the reservation sealed in the store, so
/// the lock, which remembers the last numbers it had from the hub, never drops them as
/// duplicates.
async fn command_lock(
    stick: &ZwaveStick,
    node: u16,
    lock: &SecureNode,
    command: &[u8],
    done: SecureDevice,
) {
    timeout(SOON, stick.send_data(node, command.to_vec()))
        .await
        .expect("no hang")
        .expect("the lock acknowledged");
    timeout(SOON, async {
        while lock.state().device != done {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "the lock never obeyed; it refused {:?}",
            lock.state().refused
        )
    });
}

/// The sequence number of the last S2 frame the hub sent to `node`, as the emulated controller
/// received it.
fn last_s2_sequence_to(emu: &EmulatorHandle, node: u16) -> Option<u8> {
    let node = u8::try_from(node).expect("classic node id");
    emu.with_stick(|s| {
        s.received().iter().rev().find_map(|m| match m {
            HostMessage::SendData(r)
                if r.node_id == node && matches!(r.data[..], [0x9F, 0x01..=0x03, _, ..]) =>
            {
                r.data.get(2).copied()
            }
            _ => None,
        })
    })
}

/// Commands the lock (alternately secured and unsecured) until the hub's last frame to it
/// carries the last sequence number of the reservation sealed in the store: the worst case
/// for a restart, as the lock then remembers exactly the numbers just before where the
/// restarted hub goes on.
async fn use_up_the_reservation(
    stick: &ZwaveStick,
    emu: &EmulatorHandle,
    store: &Store,
    node: u16,
    lock: &SecureNode,
) {
    for i in 0..100u8 {
        let mode = if i % 2 == 0 { 0xFF } else { 0x00 };
        command_lock(
            stick,
            node,
            lock,
            &[0x62, 0x01, mode],
            SecureDevice::DoorLock { mode },
        )
        .await;
        let reserved = SealedNetworkKeys::load(store.handle())
            .expect("keys load")
            .s2_sequence_reserved(node);
        if reserved.is_some() && last_s2_sequence_to(emu, node) == reserved {
            return;
        }
    }
    panic!("the hub never used its reservation up");
}

/// Every file under `dir`, read whole.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            let bytes = std::fs::read(&path).expect("readable file");
            out.push((path, bytes));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// Multi-threaded: dropping a driver aborts its tasks, and they release their store handle only
// when the runtime gets to them, while reopening the store blocks the test's own thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_keys_survive_a_restart_and_the_lock_still_obeys_under_s2() {
    let dir = support::tempdir();
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
    use_up_the_reservation(&stick, &emu, &store, node, &lock).await;
    let secured = lock.state().device.clone();

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

    // The lock, never included again, obeys the restarted hub under Access Control, at once.
    let (command, done) = if secured == (SecureDevice::DoorLock { mode: 0xFF }) {
        (LOCK_SET_UNSECURED, SecureDevice::DoorLock { mode: 0x00 })
    } else {
        (LOCK_SET_SECURED, SecureDevice::DoorLock { mode: 0xFF })
    };
    command_lock(&stick, node, &lock, &command, done).await;
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
    let dir = support::tempdir();
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
    let dir = support::tempdir();
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

/// An S0 node encrypts its reports to the hub with a nonce the hub gives it on its Nonce Get,
/// which the hub answers only for nodes it knows to be on S0: from the inclusion, and after a
/// restart from the grant sealed in the store. The siren answers a Binary Switch Get under S0
/// before and after the hub restarts (store reopened, new driver, grants restored).
#[tokio::test]
async fn an_s0_nodes_reports_get_through_after_a_restart_from_its_sealed_grant() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    let (path, emu) = emulator(dir.path()).await;
    let store = open_store(&data_dir);
    let (stick, mut events) = hub_driver(&path, &store).await;
    let siren = SecureNode::siren(0x62);
    let (node, security) = include_sealed(&stick, &mut events, &emu, &siren, &store).await;
    assert_eq!(security, Some(SecurityClass::S0Legacy));
    answers_under_s0(&stick, &mut events, node).await;

    drop(events);
    drop(stick);
    drop(store);
    // The old driver's tasks let go of the store as they end.
    let store = timeout(SOON, async {
        loop {
            match Store::open(&data_dir, &KekSource::KeyFile(data_dir.join("store.key"))) {
                Ok(store) => return store,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .expect("the store reopens once the old driver is gone");
    let (stick, mut events) = hub_driver(&path, &store).await;
    assert_eq!(
        stick.node_security(node),
        Some(SecurityClass::S0Legacy),
        "the grant came back from the store"
    );
    answers_under_s0(&stick, &mut events, node).await;
}

/// Sends the siren a Binary Switch Get and waits for its report, which must come under S0.
async fn answers_under_s0(stick: &ZwaveStick, events: &mut mpsc::Receiver<RadioEvent>, node: u16) {
    timeout(SOON, stick.send_data(node, vec![0x25, 0x02]))
        .await
        .expect("no hang")
        .expect("the siren acknowledged");
    let security = timeout(SOON, async {
        loop {
            if let RadioEvent::Report {
                node: from,
                security,
                report: CommandClassFrame::BinarySwitch(_),
                ..
            } = events.recv().await.expect("event stream open")
                && from == node
            {
                return security;
            }
        }
    })
    .await
    .expect("the siren's report came");
    assert_eq!(security, Some(SecurityClass::S0Legacy));
}
