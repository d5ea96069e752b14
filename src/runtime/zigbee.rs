//! The Zigbee radio task: the stick (or its emulator), brought onto the network sealed in the
//! store ([`ZigbeeNetwork::bring_up`]), its events logged and passed to the gateway (with the
//! stick's handle once it is up), and a fresh backup sealed after devices join or leave, every
//! `backup_interval_secs`, and at shutdown; in between, the frame counters alone every
//! [`FRAME_COUNTER_SEAL_INTERVAL`], so a restore starts past them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sealhub::config::{EmulatorConfig, RadioPort, ZigbeeConfig};
use sealhub::radio::zigbee_network::{
    FRAME_COUNTER_SEAL_INTERVAL, Followed, StartOutcome, ZigbeeNetwork,
};
use sealhub::radio::{self, Error};
use sealhub::store::Store;
use sealhub_radios::port::PortConfig;
use sealhub_radios::zigbee::driver::{NetworkInfo, RadioEvent, ZigbeeStick};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use super::emulators::ZigbeeDemo;
use super::gateway::FromRadio;
use super::{TaskLink, ToGateway, start_backoff};

/// How long after a join or leave the backup is sealed: the driver's device table follows
/// the stick's callbacks in its own task, and several devices often join together.
const BACKUP_AFTER_CHANGE: Duration = Duration::from_secs(2);

/// Runs the Zigbee radio until the hub stops.
pub(super) async fn run(
    config: ZigbeeConfig,
    emulated: EmulatorConfig,
    store: Store,
    mut link: TaskLink,
    to_gateway: ToGateway,
) {
    let registry = store.handle();
    let mut network = match ZigbeeNetwork::load(store) {
        Ok(n) => n,
        Err(e) => {
            error!("Zigbee is not started: {e}");
            link.attempted().await;
            return;
        }
    };
    network.set_seal_intervals(
        Duration::from_secs(config.backup_interval_secs),
        FRAME_COUNTER_SEAL_INTERVAL,
    );
    let (path, demo) = match &config.port {
        RadioPort::Serial(path) => (path.clone(), None),
        // auto_port::resolve replaced it before this task started; reaching here is a bug in
        // the caller, reported rather than guessed around.
        RadioPort::Auto => {
            error!("Zigbee is not started: its port was not resolved from \"auto\"");
            link.attempted().await;
            return;
        }
        RadioPort::Emulated => match ZigbeeDemo::start(
            emulated.zigbee_devices,
            Duration::from_millis(emulated.zigbee_tick_ms),
        )
        .await
        {
            Ok((path, demo)) => (path, Some(demo)),
            Err(e) => {
                error!("Zigbee is not started: {e}");
                link.attempted().await;
                return;
            }
        },
    };
    let Some((stick, mut events, up)) = start(&config, &path, &mut network, &mut link).await else {
        return;
    };
    let stick = Arc::new(stick);
    let _ = to_gateway
        .send(FromRadio::ZigbeeUp {
            radio: stick.clone(),
            network: up,
        })
        .await;
    let mut activity = None;
    if let Some(demo) = &demo {
        demo.join(&stick, &network, &registry).await;
        let active = demo.active_devices();
        if emulated.activity_ms > 0 && active > 0 {
            let every = Duration::from_millis(emulated.activity_ms);
            info!(
                devices = active,
                every_ms = emulated.activity_ms,
                "emulated Zigbee sensors and locks change state on their own"
            );
            activity = Some((tokio::time::interval(every), false));
        }
    }

    let period = Duration::from_secs(config.backup_interval_secs);
    let mut periodic = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut counters = tokio::time::interval_at(
        tokio::time::Instant::now() + FRAME_COUNTER_SEAL_INTERVAL,
        FRAME_COUNTER_SEAL_INTERVAL,
    );
    let mut backup_due: Option<tokio::time::Instant> = None;
    loop {
        let due = async {
            match backup_due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let acted = async {
            match &mut activity {
                Some((every, _)) => {
                    every.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = link.stopped() => break,
            () = acted => {
                if let (Some((_, state)), Some(demo)) = (&mut activity, &demo) {
                    *state = !*state;
                    demo.act_on_their_own(*state);
                }
            }
            event = events.recv() => match event {
                Some(event) => {
                    log_event(&event);
                    if to_gateway.send(FromRadio::Zigbee(event.clone())).await.is_err() {
                        debug!("the gateway is gone; the Zigbee event is only logged");
                    }
                    match network.follow(&event, &stick).await {
                        Ok(Followed::Nothing) => {}
                        Ok(Followed::DevicesChanged) => {
                            backup_due = Some(tokio::time::Instant::now() + BACKUP_AFTER_CHANGE);
                        }
                        Ok(Followed::Restored(report)) => info!(
                            pan_id = format_args!("{:#06x}", report.network.pan_id),
                            channel = report.network.channel,
                            "the stored Zigbee network is back on the stick"
                        ),
                        Err(e) => error!("{e}; the stick is left as it is until the hub restarts"),
                    }
                }
                None => {
                    error!("the Zigbee driver stopped");
                    link.stopped().await;
                    break;
                }
            },
            _ = periodic.tick() => seal_backup(&mut network, &stick, "periodic").await,
            _ = counters.tick() => {
                if let Err(e) = network.seal_frame_counters(&stick).await {
                    warn!("Zigbee frame counters not sealed: {e}");
                }
            }
            () = due => {
                backup_due = None;
                seal_backup(&mut network, &stick, "devices changed").await;
            }
        }
    }
    seal_backup(&mut network, &stick, "shutdown").await;
    drop(stick);
    if let Some(demo) = demo {
        demo.unplug().await;
    }
    info!("Zigbee radio stopped");
}

/// Opens the stick and brings it up, retrying while it is missing or not answering; `None`
/// when the hub stops first or the stick must not be used (another network, a damaged record,
/// a stored backup the stick cannot take).
async fn start(
    config: &ZigbeeConfig,
    path: &PathBuf,
    network: &mut ZigbeeNetwork,
    link: &mut TaskLink,
) -> Option<(ZigbeeStick, mpsc::Receiver<RadioEvent>, NetworkInfo)> {
    let mut backoff = start_backoff();
    loop {
        let attempt = async {
            let (stick, events) = ZigbeeStick::open(PortConfig::new(path))
                .await
                .map_err(Error::Zigbee)?;
            let outcome = network.bring_up(&stick, config.force).await?;
            radio::Result::Ok((stick, events, outcome))
        };
        let result = tokio::select! {
            r = attempt => r,
            () = link.stopped() => return None,
        };
        match result {
            Ok((stick, events, outcome)) => {
                let how = match &outcome {
                    StartOutcome::Adopted(_) => "new network, backup sealed",
                    StartOutcome::Resumed(_) => "stored network resumed",
                    StartOutcome::Restored(_) => "stored network restored onto the stick",
                };
                let n = outcome.network();
                info!(
                    port = %config.port,
                    stick = %stick.version().map(|v| v.to_string()).unwrap_or_default(),
                    pan_id = format_args!("{:#06x}", n.pan_id),
                    channel = n.channel,
                    how,
                    "Zigbee radio up"
                );
                link.attempted().await;
                return Some((stick, events, *n));
            }
            Err(e @ Error::Zigbee(_)) => {
                let delay = backoff.next_delay();
                warn!(
                    port = %config.port,
                    "Zigbee stick not ready ({e}); trying again in {} s",
                    delay.as_secs()
                );
                link.attempted().await;
                if !link.sleep(delay).await {
                    return None;
                }
            }
            Err(e) => {
                error!(port = %config.port, "Zigbee is not started: {e}");
                link.attempted().await;
                return None;
            }
        }
    }
}

/// Logs a driver event without secrets.
fn log_event(event: &RadioEvent) {
    match event {
        RadioEvent::NetworkUp => info!("Zigbee network up"),
        RadioEvent::NetworkDown => warn!("Zigbee network down"),
        RadioEvent::NetworkFormed(n) => info!(
            pan_id = format_args!("{:#06x}", n.pan_id),
            channel = n.channel,
            "Zigbee network formed"
        ),
        RadioEvent::StickLost => warn!("Zigbee stick lost (unplugged?); reopening it"),
        RadioEvent::StickReset(code) => warn!(?code, "Zigbee stick reset; restarting it"),
        RadioEvent::LinkFailed(e) => warn!("Zigbee stick link failed ({e}); resetting it"),
        RadioEvent::StickBack(n) => info!(
            pan_id = format_args!("{:#06x}", n.pan_id),
            channel = n.channel,
            "Zigbee stick back"
        ),
        RadioEvent::DeviceJoined {
            eui64,
            node_id,
            kind,
        } => {
            info!(
                eui64 = format_args!("{eui64:016x}"),
                node_id = format_args!("{node_id:#06x}"),
                ?kind,
                "Zigbee device joined"
            );
        }
        RadioEvent::DeviceAnnounced { eui64, node_id, .. } => {
            info!(
                eui64 = format_args!("{eui64:016x}"),
                node_id = format_args!("{node_id:#06x}"),
                "Zigbee device announced"
            );
        }
        RadioEvent::DeviceLeft { eui64, node_id } => {
            info!(
                eui64 = format_args!("{eui64:016x}"),
                node_id = format_args!("{node_id:#06x}"),
                "Zigbee device left"
            );
        }
        RadioEvent::AttributeReport {
            node_id,
            endpoint,
            cluster,
            attributes,
        } => info!(
            node_id = format_args!("{node_id:#06x}"),
            endpoint,
            cluster = format_args!("{cluster:#06x}"),
            attributes = attributes.len(),
            "Zigbee report"
        ),
        RadioEvent::ClusterCommand {
            node_id, endpoint, ..
        } => {
            // The command itself can carry codes (door locks): only at debug.
            info!(
                node_id = format_args!("{node_id:#06x}"),
                endpoint, "Zigbee device command"
            );
            debug!(?event, "Zigbee device command");
        }
        other => debug!(?other, "Zigbee event"),
    }
}

/// Seals a fresh backup, logging the outcome; a failure keeps the previous backup.
async fn seal_backup(network: &mut ZigbeeNetwork, stick: &ZigbeeStick, reason: &str) {
    match network.save_backup(stick).await {
        Ok(devices) => info!(reason, devices, "Zigbee network backup sealed"),
        Err(e) => warn!(
            reason,
            "Zigbee network backup not sealed, the last one is kept: {e}"
        ),
    }
}
