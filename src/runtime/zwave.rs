//! The Z-Wave radio task: the stick (or its emulator), opened with the network keys from the
//! sealed store ([`SealedNetworkKeys`]) and the stored grants of secure nodes restored, its
//! events logged, and grants kept as nodes are included and excluded. Nodes are interviewed
//! by themselves ([`NodeDescriber`], in tasks of its own so events keep flowing): after an
//! inclusion, at start-up for nodes never described, and at a sleeping node's wake-up when it
//! was asleep; the descriptions are sealed and deleted when the node is excluded. Every event,
//! the stick's handle once it is up and every description go to the gateway, which keys the
//! nodes and runs clients' commands through the stick.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use firmware_shim::zwave_controller::{
    self as emulated, ControllerConfig, EmulatorHandle, SecureNode, SimNode,
};
use sealhub::config::{RadioPort, ZwaveConfig};
use sealhub::radio::zwave_keys::{SealedNetworkKeys, SealedNodeGrants};
use sealhub::radio::zwave_nodes::{DescriberConfig, NodeDescriber};
use sealhub::store::Store;
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::driver::{
    ControllerInfo, DriverConfig, InclusionOptions, RadioEvent, ZwaveStick,
};
use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use sealhub_radios::zwave::security::Key128;
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use super::gateway::FromRadio;
use super::{TaskLink, ToGateway, start_backoff};

/// How often the emulated sleeping sensor reports, so the demo shows traffic.
const DEMO_REPORT_EVERY: Duration = Duration::from_secs(30);

/// Binary Sensor Report, the emulated sensor's unprompted report (command class 0x30,
/// command 0x03, value).
const BINARY_SENSOR_REPORT: [u8; 2] = [0x30, 0x03];

/// The emulated controller and the id of its sensor.
struct Demo {
    emu: EmulatorHandle,
    sensor: u8,
    /// The S2 door lock; it is included (with its DSK PIN) on the first start.
    lock: SecureNode,
    /// Whether it was included on an earlier start (and is back in the network with its key).
    lock_included: bool,
    /// The sleeping nodes, woken once at start so they are described (and keyed) at once.
    sleepers: Vec<u8>,
    value: u8,
}

/// What makes the emulated S2 lock's keys and DSK (the same on every start).
const DEMO_LOCK_SEED: u8 = 0x5E;

/// The S2 Access Control key, if the emulated lock was included on an earlier start: a node
/// holds that class in the stored grants and the key is sealed in the store.
fn included_lock_key(store: &Store, grants: &SealedNodeGrants) -> Option<Key128> {
    let granted = grants
        .load_all()
        .ok()?
        .values()
        .any(|g| g.granted.contains(SecurityClass::S2AccessControl.bit()));
    if !granted {
        return None;
    }
    SealedNetworkKeys::load(store.handle())
        .ok()?
        .key(SecurityClass::S2AccessControl)
}

/// Includes the emulated lock with S2, answering its DSK PIN request with the PIN on its
/// label, as a person would; the node added then flows through the task like any other.
async fn include_demo_lock(stick: &ZwaveStick, emu: &EmulatorHandle, lock: &SecureNode) {
    let (pins, mut asked) = mpsc::channel(1);
    let options = InclusionOptions {
        grant: KeyClasses::all(),
        allow_s0: true,
    };
    if let Err(e) = stick.add_node_secure(options, pins).await {
        warn!("cannot include the emulated Z-Wave S2 lock: {e}");
        return;
    }
    emu.with_stick(|s| s.offer_for_inclusion(SimNode::secure(lock.clone())));
    let pin = lock.pin();
    tokio::spawn(async move {
        if let Some(request) = asked.recv().await {
            info!(
                node = request.node,
                "answering the emulated S2 lock's DSK PIN request"
            );
            request.answer(Some(pin));
        }
    });
}

/// How many node descriptions may wait for the gateway.
const RECORD_QUEUE: usize = 16;

/// Runs the Z-Wave radio until the hub stops.
pub(super) async fn run(
    config: ZwaveConfig,
    store: Store,
    mut link: TaskLink,
    to_gateway: ToGateway,
) {
    let grants = SealedNodeGrants::new(store.handle());
    let (path, mut demo) = match &config.port {
        RadioPort::Serial(path) => (path.clone(), None),
        // auto_port::resolve replaced it before this task started; reaching here is a bug in
        // the caller, reported rather than guessed around.
        RadioPort::Auto => {
            error!("Z-Wave is not started: its port was not resolved from \"auto\"");
            link.attempted().await;
            return;
        }
        RadioPort::Emulated => match emulated::spawn_on_pty(emulated::PtyConfig {
            link: None,
            controller: ControllerConfig::default(),
            tick: Duration::from_millis(10),
        })
        .await
        {
            Ok((path, emu)) => {
                let switch = emu.with_stick(|s| s.add_node(SimNode::binary_switch()));
                let sensor = emu.with_stick(|s| s.add_node(SimNode::sleeping_sensor()));
                let dimmer = emu.with_stick(|s| s.add_node(SimNode::bulb()));
                let multisensor = emu.with_stick(|s| s.add_node(SimNode::multisensor()));
                let lock = SecureNode::door_lock(DEMO_LOCK_SEED);
                let lock_included = match included_lock_key(&store, &grants) {
                    Some(key) => {
                        let id = emu.with_stick(|s| s.add_node(SimNode::secure(lock.clone())));
                        let restored = lock.restore_key(SecurityClass::S2AccessControl, &key);
                        info!(
                            node = id,
                            restored, "emulated Z-Wave S2 lock is back, still included"
                        );
                        true
                    }
                    None => false,
                };
                info!(
                    pty = %path.display(),
                    switch, sensor, dimmer, multisensor,
                    "emulated Z-Wave stick started with a switch, a sensor, a dimmable bulb \
                     and a sleeping multisensor"
                );
                (
                    path,
                    Some(Demo {
                        emu,
                        sensor,
                        sleepers: vec![sensor, multisensor],
                        lock,
                        lock_included,
                        value: 0,
                    }),
                )
            }
            Err(e) => {
                error!("Z-Wave is not started: cannot create the emulated stick's pty: {e}");
                link.attempted().await;
                return;
            }
        },
    };
    let Some((stick, mut events, info)) = start(&config, &path, &store, &grants, &mut link).await
    else {
        return;
    };
    let stick = Arc::new(stick);
    let _ = to_gateway
        .send(FromRadio::ZwaveUp {
            radio: stick.clone(),
            home_id: info.home_id,
            node_id: info.node_id,
        })
        .await;
    let mut describer =
        NodeDescriber::new(stick.clone(), store.handle(), DescriberConfig::default());
    let (records_tx, mut records) = mpsc::channel(RECORD_QUEUE);
    describer.forward_records(records_tx);
    // Nodes described before: the gateway keys the ones it does not know yet.
    match describer.records() {
        Ok(described) => {
            for record in described.into_values() {
                let _ = to_gateway.send(FromRadio::ZwaveDescribed(record)).await;
            }
        }
        Err(e) => error!("cannot read the Z-Wave node descriptions: {e}"),
    }
    match describer.resume(&info.nodes, info.node_id).await {
        Ok(nodes) if !nodes.is_empty() => info!(?nodes, "Z-Wave nodes to describe"),
        Ok(_) => {}
        Err(e) => error!("cannot read the Z-Wave node descriptions: {e}"),
    }
    if let Some(d) = &demo {
        // As if someone pressed their buttons: the sleeping nodes are heard from now, not at
        // their next wake-up.
        for node in &d.sleepers {
            d.emu.with_stick(|s| s.wake_up(*node));
        }
        if !d.lock_included {
            include_demo_lock(&stick, &d.emu, &d.lock).await;
        }
    }

    let mut demo_tick = tokio::time::interval_at(
        tokio::time::Instant::now() + DEMO_REPORT_EVERY,
        DEMO_REPORT_EVERY,
    );
    loop {
        tokio::select! {
            () = link.stopped() => break,
            event = events.recv() => match event {
                Some(event) => {
                    on_event(&event, &stick, &grants, &describer);
                    if to_gateway.send(FromRadio::Zwave(event)).await.is_err() {
                        debug!("the gateway is gone; the Z-Wave event is only logged");
                    }
                }
                None => {
                    error!("the Z-Wave driver stopped");
                    link.stopped().await;
                    break;
                }
            },
            Some(record) = records.recv() => {
                let _ = to_gateway.send(FromRadio::ZwaveDescribed(record)).await;
            }
            _ = demo_tick.tick(), if demo.is_some() => {
                if let Some(d) = demo.as_mut() {
                    d.value ^= 0xFF;
                    let frame = [BINARY_SENSOR_REPORT[0], BINARY_SENSOR_REPORT[1], d.value];
                    d.emu.with_stick(|s| s.from_node(d.sensor, vec![frame.to_vec()]));
                }
            }
        }
    }
    drop(describer);
    drop(stick);
    if let Some(d) = demo {
        d.emu.unplug().await;
    }
    info!("Z-Wave radio stopped");
}

/// Opens the stick with the sealed keys and starts it, retrying while it is missing or not
/// answering; `None` when the hub stops first or the keys cannot be read.
async fn start(
    config: &ZwaveConfig,
    path: &PathBuf,
    store: &Store,
    grants: &SealedNodeGrants,
    link: &mut TaskLink,
) -> Option<(ZwaveStick, mpsc::Receiver<RadioEvent>, ControllerInfo)> {
    let mut backoff = start_backoff();
    loop {
        let keys = match SealedNetworkKeys::load(store.handle()) {
            Ok(keys) => keys,
            Err(e) => {
                error!("Z-Wave is not started: {e}");
                link.attempted().await;
                return None;
            }
        };
        let first_start = keys.is_empty();
        let attempt = async {
            let (stick, events) = ZwaveStick::open_secure(
                PortConfig::new(path),
                DriverConfig::default(),
                Box::new(keys),
            )
            .await?;
            let info = stick.start().await?;
            sealhub_radios::zwave::driver::Result::Ok((stick, events, info))
        };
        let result = tokio::select! {
            r = attempt => r,
            () = link.stopped() => return None,
        };
        match result {
            Ok((stick, events, info)) => {
                let secure_nodes = match grants.restore_onto(&stick) {
                    Ok(n) => n,
                    Err(e) => {
                        error!(
                            "cannot read the Z-Wave node grants; secure nodes will not be understood: {e}"
                        );
                        0
                    }
                };
                info!(
                    port = %config.port,
                    home_id = format_args!("{:08X}", info.home_id),
                    node_id = info.node_id,
                    nodes = info.nodes.len(),
                    secure_nodes,
                    keys = if first_start { "generated and sealed" } else { "from the sealed store" },
                    "Z-Wave radio up"
                );
                link.attempted().await;
                return Some((stick, events, info));
            }
            Err(e) => {
                let delay = backoff.next_delay();
                warn!(
                    port = %config.port,
                    "Z-Wave stick not ready ({e}); trying again in {} s",
                    delay.as_secs()
                );
                link.attempted().await;
                if !link.sleep(delay).await {
                    return None;
                }
            }
        }
    }
}

/// Logs a driver event without secrets (command payloads can carry user codes: only their
/// command class is logged), keeps the grants of included and excluded nodes, and has nodes
/// described (or their description deleted) as they come and go.
fn on_event(
    event: &RadioEvent,
    stick: &ZwaveStick,
    grants: &SealedNodeGrants,
    describer: &NodeDescriber,
) {
    if let Err(e) = grants.follow(event, stick) {
        error!("cannot keep the Z-Wave node's security grant: {e}");
    }
    if let Err(e) = describer.follow(event) {
        error!("cannot keep the Z-Wave node's description: {e}");
    }
    match event {
        RadioEvent::NodeAdded { node, security, .. } => {
            info!(node, ?security, "Z-Wave node included")
        }
        RadioEvent::NodeRemoved { node } => info!(node, "Z-Wave node excluded"),
        RadioEvent::InclusionFailed { node, reason } => {
            warn!(?node, ?reason, "Z-Wave inclusion failed")
        }
        RadioEvent::Report {
            node,
            endpoint,
            security,
            report,
        } => {
            // Only the command class and command: the parameters can hold user codes.
            let ids = report.encode().ok().unwrap_or_default();
            info!(
                node,
                endpoint,
                command_class = format_args!("{:#04x}", ids.first().copied().unwrap_or(0)),
                command = format_args!("{:#04x}", ids.get(1).copied().unwrap_or(0)),
                ?security,
                "Z-Wave report"
            )
        }
        RadioEvent::NodeInfo { node, .. } => info!(node, "Z-Wave node information"),
        RadioEvent::WokeUp { node, released } => info!(node, released, "Z-Wave node woke up"),
        RadioEvent::StickRestarted => warn!("Z-Wave stick restarted on its own"),
        RadioEvent::StickLost => warn!("Z-Wave stick lost (unplugged?); reopening it"),
        RadioEvent::StickBack(info) => info!(
            home_id = format_args!("{:08X}", info.home_id),
            "Z-Wave stick back"
        ),
        other => debug!(?other, "Z-Wave event"),
    }
}
