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

use sealhub::config::{RadioPort, ZwaveConfig};
use sealhub::radio::zwave_keys::{SealedNetworkKeys, SealedNodeGrants};
use sealhub::radio::zwave_nodes::{DescriberConfig, NodeDescriber};
use sealhub::store::Store;
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::{ControllerInfo, DriverConfig, RadioEvent, ZwaveStick};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use super::emulators::ZwaveDemo;
use super::gateway::FromRadio;
use super::{TaskLink, ToGateway, start_backoff};

/// How often the emulated sleeping sensor reports, so the demo shows traffic.
const DEMO_REPORT_EVERY: Duration = Duration::from_secs(30);

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
        RadioPort::Emulated => match ZwaveDemo::start(&store, &grants).await {
            Ok((path, demo)) => (path, Some(demo)),
            Err(e) => {
                error!("Z-Wave is not started: {e}");
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
    if let Some(demo) = &demo {
        demo.stick_up(&stick).await;
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
                if let Some(demo) = demo.as_mut() {
                    demo.report();
                }
            }
        }
    }
    drop(describer);
    drop(stick);
    if let Some(demo) = demo {
        demo.unplug().await;
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
