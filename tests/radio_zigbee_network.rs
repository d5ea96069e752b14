//! The Zigbee network sealed in the store (`sealhub::radio::zigbee_network`), end to end over
//! real ptys with the emulated EZSP stick (`firmware_shim::ezsp_ncp`): the first start forms
//! and seals a backup, the next resumes it, a fresh stick gets it restored and a device that
//! joined before still answers, a stick with another network is refused unless `force`, a stick
//! that comes back blank while the hub runs gets the stored network back (and one that comes
//! back with another network is left alone), the network key is sealed at rest, and a wrong
//! store key opens nothing.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_shim::ezsp_ncp::{
    EmulatorHandle, NcpConfig, PtyConfig, SimulatedDevice, spawn_on_pty,
};
use sealhub::radio::Error;
use sealhub::radio::zigbee_network::{Followed, StartOutcome, ZigbeeNetwork};
use sealhub::store::{self, KekSource, Store};
use sealhub_radios::port::{Backoff, PortConfig};
use sealhub_radios::zigbee::driver::{DriverConfig, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::ezsp::Callback;
use sealhub_radios::zigbee::ezsp::commands::security::{TrustCenterJoinHandler, device_update};
use sealhub_radios::zigbee::security::InstallCode;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous bound for anything that should take milliseconds.
const SOON: Duration = Duration::from_secs(10);

const LIGHT_EUI: [u8; 8] = [0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE];
const LIGHT_NODE: u16 = 0x4C21;
/// Another stick's own EUI-64.
const EUI_B: [u8; 8] = [0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22];

fn driver_config() -> DriverConfig {
    DriverConfig {
        command_timeout: Duration::from_secs(5),
        ready_timeout: Duration::from_secs(5),
        callback_timeout: Duration::from_secs(5),
        reopen_backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(200)),
        device_timeout: Duration::from_secs(3),
        ..DriverConfig::default()
    }
}

fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("store.key")
}

fn open_store(data_dir: &Path) -> Store {
    Store::open(data_dir, &KekSource::KeyFile(key_file(data_dir))).expect("store opens")
}

async fn emulator(dir: &Path, name: &str, ncp: NcpConfig) -> (PathBuf, EmulatorHandle) {
    let config = PtyConfig {
        ncp,
        ..PtyConfig::new(dir.join(name))
    };
    spawn_on_pty(config).await.expect("emulator on a pty")
}

/// A driver on `path`, not started; retries while a previous driver still holds the port.
async fn driver(path: &Path) -> (ZigbeeStick, mpsc::Receiver<RadioEvent>) {
    timeout(SOON, async {
        loop {
            match ZigbeeStick::open_with(PortConfig::new(path), driver_config()).await {
                Ok(opened) => return opened,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .expect("driver opens the pty")
}

async fn bring_up(
    network: &mut ZigbeeNetwork,
    stick: &ZigbeeStick,
    force: bool,
) -> Result<StartOutcome, Error> {
    timeout(SOON * 2, network.bring_up(stick, force))
        .await
        .expect("start-up does not hang")
}

fn light() -> SimulatedDevice {
    SimulatedDevice::light(LIGHT_EUI, LIGHT_NODE, None)
}

/// Lets the light join through `stick`, then seals backups until one lists it (the driver's
/// device table follows the callbacks in its own task).
async fn join_light(
    network: &mut ZigbeeNetwork,
    stick: &ZigbeeStick,
    events: &mut mpsc::Receiver<RadioEvent>,
    emu: &EmulatorHandle,
) {
    timeout(SOON, stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("network open");
    assert_eq!(emu.join_device(light()), Ok(LIGHT_NODE));
    timeout(SOON, async {
        loop {
            let e = events.recv().await.expect("event stream open");
            if matches!(
                e,
                RadioEvent::DeviceAnnounced {
                    node_id: LIGHT_NODE,
                    ..
                }
            ) {
                return;
            }
        }
    })
    .await
    .expect("the light announced itself");
    timeout(SOON, async {
        loop {
            network.save_backup(stick).await.expect("backup sealed");
            let listed = network
                .stored()
                .is_some_and(|b| b.devices.iter().any(|d| d.ieee_address == LIGHT_EUI));
            if listed {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the light appears in the sealed backup");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

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

// Multi-threaded: a dropped driver's tasks release the port only when the runtime gets to
// them, and reopening the store blocks the test's own thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_forms_and_seals_a_backup_and_the_next_resumes_it() {
    let dir = support::tempdir();
    let data_dir = dir.path().join("data");
    let (path, emu) = emulator(dir.path(), "stick", NcpConfig::default()).await;

    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    assert!(network.stored().is_none());
    let (stick, _events) = driver(&path).await;
    let outcome = bring_up(&mut network, &stick, false).await.expect("up");
    let StartOutcome::Adopted(formed) = outcome else {
        panic!("expected a new network, got {outcome:?}");
    };
    let nvm = emu
        .with_stick(|s| s.nvm().cloned())
        .expect("the stick formed");
    let sealed = ZigbeeNetwork::load(store.handle()).expect("load");
    let backup = sealed.stored().expect("a backup was sealed");
    assert_eq!(backup.pan_id, formed.pan_id);
    assert_eq!(
        u64::from_le_bytes(backup.extended_pan_id),
        formed.extended_pan_id
    );
    assert_eq!(backup.network_key.key.as_bytes(), &nvm.network_key.0);
    drop((sealed, network, stick, store));

    // The hub restarts on the same stick: the stored network is resumed, nothing is formed.
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, _events) = driver(&path).await;
    let outcome = bring_up(&mut network, &stick, false).await.expect("up");
    assert_eq!(outcome, StartOutcome::Resumed(formed));
    assert_eq!(
        emu.with_stick(|s| s.nvm().cloned())
            .map(|n| n.network_key.0),
        Some(nvm.network_key.0),
        "the stick's network is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_stick_gets_the_stored_network_and_a_joined_light_still_answers() {
    let dir = support::tempdir();
    let data_dir = dir.path().join("data");
    let (path_a, emu_a) = emulator(dir.path(), "stick-a", NcpConfig::default()).await;

    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick_a, mut events_a) = driver(&path_a).await;
    let formed = bring_up(&mut network, &stick_a, false).await.expect("up");
    join_light(&mut network, &stick_a, &mut events_a, &emu_a).await;
    let nvm_a = emu_a.with_stick(|s| s.nvm().cloned()).expect("A formed");
    // Stick A is gone for good (unplugged, the hub stopped).
    drop((network, stick_a, events_a, store));
    emu_a.unplug().await;

    // A new, blank stick with its own EUI-64; the hub starts on it.
    let config_b = NcpConfig {
        eui64: EUI_B,
        ..NcpConfig::default()
    };
    let (path_b, emu_b) = emulator(dir.path(), "stick-b", config_b).await;
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick_b, _events_b) = driver(&path_b).await;
    let outcome = bring_up(&mut network, &stick_b, false).await.expect("up");
    let StartOutcome::Restored(report) = &outcome else {
        panic!("expected a restore, got {outcome:?}");
    };
    assert_eq!(report.network.pan_id, formed.network().pan_id);
    assert_eq!(
        report.network.extended_pan_id,
        formed.network().extended_pan_id
    );
    assert_eq!(
        report.network.eui64,
        formed.network().eui64,
        "B took A's EUI-64"
    );
    let nvm_b = emu_b
        .with_stick(|s| s.nvm().cloned())
        .expect("B has a network");
    assert_eq!(nvm_b.network_key.0, nvm_a.network_key.0);
    assert!(nvm_b.nwk_frame_counter > nvm_a.nwk_frame_counter);

    // The light, paired through A, is in B's range: it is on the network without joining
    // again, and answers B.
    assert_eq!(
        emu_b.with_stick(|s| s.ncp_mut().adopt_device(light())),
        Ok(LIGHT_NODE)
    );
    let description = timeout(SOON, stick_b.interview(LIGHT_NODE))
        .await
        .expect("interview does not hang")
        .expect("the light answers through B");
    assert_eq!(description.node_id, LIGHT_NODE);
    assert!(emu_b.join_log().is_empty(), "nothing joined B");
    // The backup sealed after the restore still lists it.
    let sealed = ZigbeeNetwork::load(store.handle()).expect("load");
    assert!(
        sealed
            .stored()
            .expect("backup")
            .devices
            .iter()
            .any(|d| d.ieee_address == LIGHT_EUI)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stick_on_another_network_is_refused_and_replaced_only_with_force() {
    let dir = support::tempdir();
    let data_dir = dir.path().join("data");

    // The hub's network, formed on stick A and sealed.
    let (path_a, _emu_a) = emulator(dir.path(), "stick-a", NcpConfig::default()).await;
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick_a, _events_a) = driver(&path_a).await;
    let ours = bring_up(&mut network, &stick_a, false).await.expect("up");
    let stored_before = ZigbeeNetwork::load(store.handle())
        .expect("load")
        .stored()
        .cloned()
        .expect("sealed");
    drop((network, stick_a));

    // Stick C runs a network of its own (another hub's).
    let config_c = NcpConfig {
        eui64: EUI_B,
        ..NcpConfig::default()
    };
    let (path_c, emu_c) = emulator(dir.path(), "stick-c", config_c).await;
    let (stick_c, _events_c) = driver(&path_c).await;
    let theirs = timeout(SOON, stick_c.start())
        .await
        .expect("no hang")
        .expect("formed");
    assert_ne!(theirs.extended_pan_id, ours.network().extended_pan_id);
    let nvm_c = emu_c.with_stick(|s| s.nvm().cloned());

    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    match bring_up(&mut network, &stick_c, false).await {
        Err(e @ Error::OtherNetwork { .. }) => {
            let text = e.to_string();
            assert!(text.contains("force = true"), "{text}");
            assert!(
                text.contains(&format!("{:016x}", theirs.extended_pan_id)),
                "{text}"
            );
        }
        other => panic!("expected OtherNetwork, got {other:?}"),
    }
    assert_eq!(emu_c.with_stick(|s| s.nvm().cloned()), nvm_c, "C untouched");
    assert_eq!(
        ZigbeeNetwork::load(store.handle()).expect("load").stored(),
        Some(&stored_before),
        "the stored network untouched"
    );

    // With force, C leaves its network and takes the stored one.
    let outcome = bring_up(&mut network, &stick_c, true)
        .await
        .expect("forced");
    let StartOutcome::Restored(report) = outcome else {
        panic!("expected a restore, got {outcome:?}");
    };
    assert_eq!(
        report.network.extended_pan_id,
        ours.network().extended_pan_id
    );
    assert_eq!(
        emu_c.with_stick(|s| s.nvm().map(|n| n.network_key.0)),
        Some(*stored_before.network_key.key.as_bytes())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_key_is_sealed_at_rest_and_a_wrong_store_key_opens_nothing() {
    let dir = support::tempdir();
    let data_dir = dir.path().join("data");
    let (path, emu) = emulator(dir.path(), "stick", NcpConfig::default()).await;
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, _events) = driver(&path).await;
    bring_up(&mut network, &stick, false).await.expect("up");
    let key = emu
        .with_stick(|s| s.nvm().cloned())
        .expect("formed")
        .network_key
        .0;
    store.flush().expect("flush");
    drop((network, stick, store));

    let files = files_under(&data_dir.join(store::DB_DIR_NAME));
    assert!(
        files.iter().any(|(_, b)| !b.is_empty()),
        "the store has data"
    );
    for (file, bytes) in &files {
        for needle in [
            key.to_vec(),
            hex::encode(key).into_bytes(),
            hex::encode_upper(key).into_bytes(),
        ] {
            assert!(
                !contains(bytes, &needle),
                "the Zigbee network key is in the clear in {}",
                file.display()
            );
        }
    }

    // Another key file (same mode, right length) does not open the store, and changes nothing.
    let good = std::fs::read(key_file(&data_dir)).expect("key file");
    let wrong = dir.path().join("wrong.key");
    std::fs::write(&wrong, [0x5Au8; 32]).expect("write");
    std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let refused = Store::open(&data_dir, &KekSource::KeyFile(wrong));
    assert!(
        matches!(refused, Err(store::Error::WrongKek { .. })),
        "{refused:?}"
    );
    assert_eq!(std::fs::read(key_file(&data_dir)).expect("key file"), good);
    let store = open_store(&data_dir);
    let network = ZigbeeNetwork::load(store.handle()).expect("load");
    assert_eq!(
        network.stored().map(|b| *b.network_key.key.as_bytes()),
        Some(key),
        "the right key still opens the sealed backup"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_code_link_key_stays_in_the_sealed_backup_across_a_resume() {
    let dir = support::tempdir();
    let data_dir = dir.path().join("data");
    let (path, emu) = emulator(dir.path(), "stick", NcpConfig::default()).await;
    // The Zigbee 3.0 specification's example install code.
    let code = InstallCode::new(&[
        0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16, 0xD5,
        0x05, 0xC3, 0xB5,
    ])
    .expect("valid install code");

    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, mut events) = driver(&path).await;
    bring_up(&mut network, &stick, false).await.expect("up");
    timeout(
        SOON,
        stick.add_install_code(u64::from_le_bytes(LIGHT_EUI), &code),
    )
    .await
    .expect("no hang")
    .expect("install code added");
    timeout(SOON, stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("network open");
    let device = SimulatedDevice::light(LIGHT_EUI, LIGHT_NODE, Some(code.clone()));
    assert_eq!(emu.join_device(device), Ok(LIGHT_NODE));
    timeout(SOON, async {
        loop {
            let e = events.recv().await.expect("event stream open");
            if matches!(
                e,
                RadioEvent::DeviceAnnounced {
                    node_id: LIGHT_NODE,
                    ..
                }
            ) {
                return;
            }
        }
    })
    .await
    .expect("the light announced itself");
    network.save_backup(&stick).await.expect("sealed");
    let link_key_of = |network: &ZigbeeNetwork| {
        network
            .stored()
            .and_then(|b| {
                b.devices
                    .iter()
                    .find(|d| d.ieee_address == LIGHT_EUI)
                    .cloned()
            })
            .and_then(|d| d.link_key)
            .map(|k| *k.key.as_bytes())
    };
    assert_eq!(link_key_of(&network), Some(code.link_key().0));
    drop((network, stick, events, store));

    // A new driver resumes the network; it was given no link keys, yet the backup it seals
    // keeps the light's.
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, _events) = driver(&path).await;
    let outcome = bring_up(&mut network, &stick, false).await.expect("up");
    assert!(matches!(outcome, StartOutcome::Resumed(_)), "{outcome:?}");
    let resealed = ZigbeeNetwork::load(store.handle()).expect("load");
    assert_eq!(link_key_of(&resealed), Some(code.link_key().0));
}

/// Feeds the driver's events to `follow` until it answers something other than `Nothing`.
async fn follow_until_decided(
    network: &mut ZigbeeNetwork,
    stick: &ZigbeeStick,
    events: &mut mpsc::Receiver<RadioEvent>,
) -> Result<Followed, Error> {
    timeout(SOON * 2, async {
        loop {
            let e = events.recv().await.expect("event stream open");
            match network.follow(&e, stick).await {
                Ok(Followed::Nothing) => {}
                decided => return decided,
            }
        }
    })
    .await
    .expect("the stick came back in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stick_that_comes_back_blank_gets_the_stored_network_back() {
    let dir = support::tempdir();
    let (path, emu) = emulator(dir.path(), "stick", NcpConfig::default()).await;
    let store = open_store(&dir.path().join("data"));
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, mut events) = driver(&path).await;
    let ours = bring_up(&mut network, &stick, false).await.expect("up");
    let key = network.stored().expect("sealed").network_key.key.clone();

    // Unplugged; it comes back with its tokens wiped (or a blank stick takes its place). The
    // driver's restart forms a new network on it, which the stored one then replaces.
    emu.unplug().await;
    emu.with_stick(|s| s.ncp_mut().set_nvm(None));
    emu.replug().await.expect("replug");
    let decided = follow_until_decided(&mut network, &stick, &mut events).await;
    let Ok(Followed::Restored(report)) = decided else {
        panic!("expected a restore, got {decided:?}");
    };
    assert_eq!(
        report.network.extended_pan_id,
        ours.network().extended_pan_id
    );
    assert_eq!(report.network.pan_id, ours.network().pan_id);
    assert_eq!(
        emu.with_stick(|s| s.nvm().map(|n| n.network_key.0)),
        Some(*key.as_bytes()),
        "the stick runs the stored network key"
    );
    let sealed = ZigbeeNetwork::load(store.handle()).expect("load");
    assert_eq!(
        sealed.stored().map(|b| b.extended_pan_id),
        network.stored().map(|b| b.extended_pan_id),
        "the stored network is still the sealed one"
    );
    assert_eq!(
        sealed
            .stored()
            .map(|b| u64::from_le_bytes(b.extended_pan_id)),
        Some(ours.network().extended_pan_id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stick_that_comes_back_with_another_network_is_left_alone() {
    let dir = support::tempdir();
    // Another hub's network, formed on stick C.
    let config_c = NcpConfig {
        eui64: EUI_B,
        ..NcpConfig::default()
    };
    let (path_c, emu_c) = emulator(dir.path(), "stick-c", config_c).await;
    let (stick_c, _events_c) = driver(&path_c).await;
    timeout(SOON, stick_c.start())
        .await
        .expect("no hang")
        .expect("formed");
    let theirs = emu_c.with_stick(|s| s.nvm().cloned()).expect("C formed");
    drop(stick_c);

    let (path, emu) = emulator(dir.path(), "stick", NcpConfig::default()).await;
    let store = open_store(&dir.path().join("data"));
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, mut events) = driver(&path).await;
    bring_up(&mut network, &stick, false).await.expect("up");
    let stored = network.stored().cloned().expect("sealed");

    // It comes back running C's network (a stick from elsewhere in its place).
    emu.unplug().await;
    emu.with_stick(|s| s.ncp_mut().set_nvm(Some(theirs.clone())));
    emu.replug().await.expect("replug");
    match follow_until_decided(&mut network, &stick, &mut events).await {
        Err(Error::OtherNetwork { stick: info, .. }) => {
            assert_eq!(
                info.extended_pan_id,
                u64::from_le_bytes(theirs.parameters.extended_pan_id)
            );
        }
        other => panic!("expected OtherNetwork, got {other:?}"),
    }
    assert_eq!(
        emu.with_stick(|s| s.nvm().map(|n| n.network_key.0)),
        Some(theirs.network_key.0),
        "the stick's network is untouched"
    );
    assert!(matches!(
        network.save_backup(&stick).await,
        Err(Error::NetworkChanged { .. })
    ));
    assert_eq!(
        ZigbeeNetwork::load(store.handle()).expect("load").stored(),
        Some(&stored),
        "the sealed backup is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_left_is_not_carried_over_into_later_backups() {
    let dir = support::tempdir();
    let data_dir = dir.path().join("data");
    let (path, emu) = emulator(dir.path(), "stick", NcpConfig::default()).await;
    let lists_light = |network: &ZigbeeNetwork| {
        network
            .stored()
            .is_some_and(|b| b.devices.iter().any(|d| d.ieee_address == LIGHT_EUI))
    };

    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, mut events) = driver(&path).await;
    bring_up(&mut network, &stick, false).await.expect("up");
    join_light(&mut network, &stick, &mut events, &emu).await;
    drop((network, stick, events, store));

    // After a restart the driver has not seen the light, and the backup still carries it.
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    let (stick, mut events) = driver(&path).await;
    bring_up(&mut network, &stick, false).await.expect("up");
    assert!(lists_light(&network), "the light is carried over");

    // The light leaves; from then on backups no longer list it.
    emu.send_callback(Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
        new_node_id: LIGHT_NODE,
        new_node_eui64: LIGHT_EUI,
        status: device_update::DEVICE_LEFT,
        policy_decision: 0,
        parent_of_new_node_id: 0x0000,
    }));
    timeout(SOON, async {
        loop {
            let e = events.recv().await.expect("event stream open");
            let followed = network.follow(&e, &stick).await.expect("followed");
            if matches!(e, RadioEvent::DeviceLeft { .. }) {
                assert_eq!(followed, Followed::DevicesChanged);
                return;
            }
        }
    })
    .await
    .expect("the leave was reported");
    network.save_backup(&stick).await.expect("sealed");
    assert!(!lists_light(&network));
    assert!(!lists_light(
        &ZigbeeNetwork::load(store.handle()).expect("load")
    ));
}

/// The frame counters sealed between backups: a stick that sent far more frames since the last
/// full backup than the margin for the backup's age covers (here 100,000, where sealing a
/// backup every 10 s gives a margin of 2^16), but whose counters were sealed after them, is
/// restored onto a blank stick past them. The emulators' record of the counters each stick
/// used shows the new stick reused no NWK or APS counter of the old one's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_starts_past_the_counters_sealed_since_the_backup() {
    use firmware_shim::ezsp_ncp::CounterLayer;
    use sealhub_radios::zigbee::driver::frame_counter_margin;
    let backup_interval = Duration::from_secs(10);
    let counter_interval = Duration::from_secs(1);
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data");
    let (path_a, emu_a) = emulator(dir.path(), "stick-a", NcpConfig::default()).await;
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    network.set_seal_intervals(backup_interval, counter_interval);
    let (stick_a, _events_a) = driver(&path_a).await;
    bring_up(&mut network, &stick_a, false).await.expect("up");
    let backed_up = network.stored().expect("backup").network_key.frame_counter;

    // A goes on: its own traffic, and a network-wide permit-join broadcast (APS frames).
    emu_a.with_stick(|s| s.ncp_mut().network_traffic(100_000));
    timeout(SOON, stick_a.permit_join(30))
        .await
        .expect("no hang")
        .expect("permit join");
    let sealed = timeout(SOON, network.seal_frame_counters(&stick_a))
        .await
        .expect("no hang")
        .expect("counters sealed");
    let used_a = emu_a.with_stick(|s| s.ncp().frame_counters_used().clone());
    assert_eq!(
        used_a.highest(CounterLayer::Nwk).map(|c| c + 1),
        Some(sealed.nwk)
    );
    let since = sealed.nwk - backed_up;
    assert!(
        since > frame_counter_margin(backup_interval * 2),
        "{since} frames since the backup, beyond what its age covers"
    );
    assert!(used_a.highest(CounterLayer::Aps).is_some());
    drop((network, stick_a, store));
    emu_a.unplug().await;

    let config_b = NcpConfig {
        eui64: EUI_B,
        ..NcpConfig::default()
    };
    let (path_b, emu_b) = emulator(dir.path(), "stick-b", config_b).await;
    let store = open_store(&data_dir);
    let mut network = ZigbeeNetwork::load(store.handle()).expect("load");
    network.set_seal_intervals(backup_interval, counter_interval);
    let (stick_b, _events_b) = driver(&path_b).await;
    let outcome = bring_up(&mut network, &stick_b, false).await.expect("up");
    assert!(matches!(outcome, StartOutcome::Restored(_)), "{outcome:?}");
    emu_b.with_stick(|s| s.ncp_mut().network_traffic(10));
    timeout(SOON, stick_b.permit_join(30))
        .await
        .expect("no hang")
        .expect("permit join");
    let used_b = emu_b.with_stick(|s| s.ncp().frame_counters_used().clone());
    assert!(used_b.highest(CounterLayer::Aps).is_some());
    assert_eq!(used_a.reused_in(&used_b), None);
}
