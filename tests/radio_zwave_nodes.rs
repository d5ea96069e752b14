//! The Z-Wave node descriptions in the sealed store (`sealhub::radio::zwave_nodes`), end to
//! end over real ptys with the emulated controller (`firmware_shim::zwave_controller`) in this
//! process: an included node is interviewed by itself and its record sealed with its command
//! classes; a node already in the network is described at start-up; a restarted hub loads the
//! records and asks no node again; an excluded node's record is deleted; a sleeping node is
//! described from its wake-up.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatorHandle, PtyConfig, SimNode, spawn_on_pty,
};
use sealhub::radio::zwave_keys::SealedNetworkKeys;
use sealhub::radio::zwave_nodes::{
    DescriberConfig, NodeDescriber, NodeRecord, SealedNodeDescriptions,
};
use sealhub::store::{KekSource, Store};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::{ControllerInfo, RadioEvent, Submitted, ZwaveStick};
use sealhub_radios::zwave::serial::messages::HostMessage;
use support::zwave::{INTERVIEW, SOON, driver_config};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// The emulated binary switch's command classes (its node information frame).
const SWITCH_CCS: [u8; 5] = [0x5E, 0x25, 0x85, 0x86, 0x72];

fn describer_config() -> DescriberConfig {
    DescriberConfig {
        concurrent: 2,
        limit: INTERVIEW,
        report_timeout: Duration::from_secs(2),
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

/// A started driver on `path` with the keys sealed in `store`, and a describer resumed on the
/// stick's node list, as the hub's runtime wires them; returns which nodes it set out to
/// describe, and where it forwards the records it seals. Retries the open while a previous
/// driver still holds the port.
async fn hub(
    path: &Path,
    store: &Store,
) -> (
    Arc<ZwaveStick>,
    mpsc::Receiver<RadioEvent>,
    NodeDescriber,
    Vec<u16>,
    mpsc::Receiver<NodeRecord>,
) {
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
    let info: ControllerInfo = timeout(SOON, stick.start())
        .await
        .expect("start-up does not hang")
        .expect("start-up succeeds");
    let stick = Arc::new(stick);
    let mut describer = NodeDescriber::new(stick.clone(), store.handle(), describer_config());
    let (forward, forwarded) = mpsc::channel(8);
    describer.forward_records(forward);
    let resumed = describer
        .resume(&info.nodes, info.node_id)
        .await
        .expect("records readable");
    (stick, events, describer, resumed, forwarded)
}

/// Passes events to the describer until `node`'s record is in the store.
async fn described(
    events: &mut mpsc::Receiver<RadioEvent>,
    describer: &NodeDescriber,
    store: &Store,
    node: u16,
) -> NodeRecord {
    let records = SealedNodeDescriptions::new(store.handle());
    timeout(INTERVIEW, async {
        loop {
            if let Some(record) = records.get(node).expect("record readable") {
                return record;
            }
            tokio::select! {
                e = events.recv() => describer.follow(&e.expect("event stream open")).expect("follow"),
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("node {node} was never described"))
}

/// Passes events to the describer until one satisfies `want`; returns it.
async fn until_event(
    events: &mut mpsc::Receiver<RadioEvent>,
    describer: &NodeDescriber,
    want: impl Fn(&RadioEvent) -> bool,
) -> RadioEvent {
    timeout(SOON, async {
        loop {
            let e = events.recv().await.expect("event stream open");
            describer.follow(&e).expect("follow");
            if want(&e) {
                return e;
            }
        }
    })
    .await
    .expect("the event came")
}

fn ccs(record: &NodeRecord) -> Vec<u8> {
    record.command_classes.iter().map(|c| c.cc).collect()
}

// Multi-threaded: dropping a driver aborts its tasks, and they release their store handle only
// when the runtime gets to them, while reopening the store blocks the test's own thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_are_described_once_kept_across_a_restart_and_forgotten_when_excluded() {
    let dir = support::tempdir();
    let data_dir = dir.path().join("data");
    let (path, emu) = emulator(dir.path()).await;
    // A thermostat already in the network, never described.
    let thermostat = u16::from(emu.with_stick(|s| s.add_node(SimNode::thermostat())));

    let store = open_store(&data_dir);
    let (stick, mut events, describer, resumed, mut forwarded) = hub(&path, &store).await;
    assert_eq!(resumed, [thermostat], "the undescribed node is interviewed");
    let t = described(&mut events, &describer, &store, thermostat).await;
    assert!(t.supports(0x40) && t.supports(0x43), "{t:?}");
    // The sealed record goes on to the gateway too.
    let sent_on = timeout(SOON, forwarded.recv()).await.expect("forwarded");
    assert_eq!(sent_on, Some(t.clone()));

    // A switch is included: the hub interviews it by itself.
    timeout(SOON, stick.add_node())
        .await
        .expect("no hang")
        .expect("inclusion mode");
    emu.with_stick(|s| s.offer_for_inclusion(SimNode::binary_switch()));
    let added = until_event(&mut events, &describer, |e| {
        matches!(e, RadioEvent::NodeAdded { .. })
    })
    .await;
    let RadioEvent::NodeAdded { node: switch, .. } = added else {
        unreachable!()
    };
    let record = described(&mut events, &describer, &store, switch).await;
    assert_eq!(ccs(&record), SWITCH_CCS, "{record:?}");
    assert_eq!(
        (record.kind.basic, record.kind.generic, record.kind.specific),
        (0x04, 0x10, 0x01)
    );
    assert!(!record.sleeps);
    assert_eq!(record.security, None);
    assert!(
        record.command_classes.iter().all(|c| c.version.is_some()),
        "every version answered: {record:?}"
    );
    assert!(record.product.is_some(), "Manufacturer Specific answered");
    let started = describer.interviews_started();
    assert_eq!(started, 2);

    // The hub stops and starts again: both records are loaded, and no node is asked again.
    drop(describer);
    drop(events);
    drop(stick);
    drop(store);
    let store = open_store(&data_dir);
    let before = emu.with_stick(|s| s.received().len());
    let (stick, mut events, describer, resumed, _) = hub(&path, &store).await;
    assert!(resumed.is_empty(), "re-interviewed {resumed:?}");
    assert_eq!(describer.interviews_started(), 0);
    let stored = SealedNodeDescriptions::new(store.handle())
        .load_all()
        .expect("records");
    assert_eq!(
        stored.keys().copied().collect::<Vec<_>>(),
        [thermostat, switch]
    );
    assert_eq!(stored[&switch], record, "the record came back as sealed");
    // Nothing was sent to either node by the restarted hub (start-up talks to the stick only).
    let sent_to_nodes = emu.with_stick(|s| {
        s.received()[before..]
            .iter()
            .filter(|m| matches!(m, HostMessage::SendData(_)))
            .count()
    });
    assert_eq!(sent_to_nodes, 0);

    // The switch is excluded: its record goes, the thermostat's stays.
    timeout(SOON, stick.remove_node())
        .await
        .expect("no hang")
        .expect("exclusion mode");
    emu.with_stick(|s| s.offer_for_exclusion(u8::try_from(switch).expect("id")));
    until_event(
        &mut events,
        &describer,
        |e| matches!(e, RadioEvent::NodeRemoved { node } if *node == switch),
    )
    .await;
    let records = SealedNodeDescriptions::new(store.handle());
    assert_eq!(records.get(switch).expect("readable"), None);
    assert!(records.get(thermostat).expect("readable").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleeping_node_found_asleep_is_described_from_its_wake_up() {
    let dir = support::tempdir();
    let (path, emu) = emulator(dir.path()).await;
    let store = open_store(&dir.path().join("data"));
    let (stick, mut events, describer, _, _) = hub(&path, &store).await;

    // Included awake; by the time its interview asks, it may sleep again: the interview then
    // waits for its wake-up, which the test brings until the record is there.
    timeout(SOON, stick.add_node())
        .await
        .expect("no hang")
        .expect("inclusion mode");
    emu.with_stick(|s| s.offer_for_inclusion(SimNode::sleeping_sensor()));
    let added = until_event(&mut events, &describer, |e| {
        matches!(e, RadioEvent::NodeAdded { .. })
    })
    .await;
    let RadioEvent::NodeAdded { node, .. } = added else {
        unreachable!()
    };
    let id = u8::try_from(node).expect("id");
    let records = SealedNodeDescriptions::new(store.handle());
    let record = timeout(INTERVIEW, async {
        loop {
            if let Some(record) = records.get(node).expect("record readable") {
                return record;
            }
            tokio::select! {
                e = events.recv() => describer.follow(&e.expect("event stream open")).expect("follow"),
                () = tokio::time::sleep(Duration::from_millis(300)) => {
                    let asleep = emu.with_stick(|s| {
                        s.controller_mut().node_mut(id).expect("the sensor").is_asleep()
                    });
                    if asleep {
                        emu.with_stick(|s| s.wake_up(id));
                    }
                }
            }
        }
    })
    .await
    .expect("the sleeping sensor was described");
    assert!(record.sleeps);
    assert!(record.supports(0x84) && record.supports(0x30), "{record:?}");

    // A restarted hub knows from the record that the sensor sleeps: a command for it waits
    // for its wake-up instead of failing on a sleeping radio.
    drop(describer);
    drop(events);
    drop(stick);
    let (stick, _events, _describer, resumed, _) = hub(&path, &store).await;
    assert!(resumed.is_empty(), "re-interviewed {resumed:?}");
    let submitted = timeout(SOON, stick.submit_data(node, vec![0x80, 0x02]))
        .await
        .expect("no hang")
        .expect("accepted");
    assert!(
        matches!(submitted, Submitted::QueuedUntilWakeUp(_)),
        "{submitted:?}"
    );
}
