//! The Zigbee radio task: the stick (or its emulator), brought onto the network sealed in the
//! store ([`ZigbeeNetwork::bring_up`]), its events logged and passed to the gateway (with the
//! stick's handle once it is up), and a fresh backup sealed after devices join or leave, every
//! `backup_interval_secs`, and at shutdown; in between, the frame counters alone every
//! [`FRAME_COUNTER_SEAL_INTERVAL`], so a restore starts past them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{self, DeviceKind, EmulatorHandle, SimulatedDevice};
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

use super::gateway::FromRadio;
use super::{TaskLink, ToGateway, start_backoff};

/// How long after a join or leave the backup is sealed: the driver's device table follows
/// the stick's callbacks in its own task, and several devices often join together.
const BACKUP_AFTER_CHANGE: Duration = Duration::from_secs(2);

/// How long the emulated network stays open for the demo house to join.
const DEMO_PERMIT_JOIN_SECS: u8 = 60;

/// The emulated stick's house of `size` devices (`[emulator] zigbee_devices`): the demo house
/// first, one device of each emulated kind, each with its own IEEE address (little-endian
/// bytes, as on the air) and node id; then more of the same kinds in the same order, device
/// `i` at EUI-64 `124b0000_00a2xxxx` (`xxxx` = `i`) and node id `0x2000 + i`. The light's
/// address is the one earlier versions used, so a hub that knows it keeps it.
fn emulated_house(size: u16) -> Vec<SimulatedDevice> {
    let demo = demo_house();
    let kinds = demo.len();
    let mut house: Vec<SimulatedDevice> = demo.into_iter().take(usize::from(size)).collect();
    for i in house.len()..usize::from(size) {
        // `size` is at most `EmulatorConfig::MAX_ZIGBEE_DEVICES`, so `i` fits a u16.
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        let [lo, hi] = i.to_le_bytes();
        let eui64 = [lo, hi, 0xA2, 0x00, 0x00, 0x00, 0x4B, 0x12];
        let node_id = 0x2000 + i;
        let device = match usize::from(i) % kinds {
            0 => SimulatedDevice::light(eui64, node_id, None),
            1 => SimulatedDevice::color_light(eui64, node_id, None),
            2 => SimulatedDevice::plug(eui64, node_id, None),
            3 => SimulatedDevice::door_lock(eui64, node_id, None),
            4 => SimulatedDevice::thermostat(eui64, node_id, None),
            5 => SimulatedDevice::climate_sensor(eui64, node_id, None),
            6 => SimulatedDevice::motion_sensor(eui64, node_id, None),
            _ => SimulatedDevice::contact_sensor(eui64, node_id, None),
        };
        house.push(device);
    }
    house
}

/// The demo house: one device of each emulated kind.
fn demo_house() -> Vec<SimulatedDevice> {
    let eui = |last: u8| [last, 0xA1, 0x00, 0x00, 0x00, 0x00, 0x4B, 0x12];
    vec![
        SimulatedDevice::light(eui(0x5E), 0x1A2B, None),
        SimulatedDevice::color_light(eui(0x01), 0x1A31, None),
        SimulatedDevice::plug(eui(0x02), 0x1A32, None),
        SimulatedDevice::door_lock(eui(0x03), 0x1A33, None),
        SimulatedDevice::thermostat(eui(0x04), 0x1A34, None),
        SimulatedDevice::climate_sensor(eui(0x05), 0x1A35, None),
        SimulatedDevice::motion_sensor(eui(0x06), 0x1A36, None),
        SimulatedDevice::contact_sensor(eui(0x07), 0x1A37, None),
    ]
}

/// Runs the Zigbee radio until the hub stops.
pub(super) async fn run(
    config: ZigbeeConfig,
    emulated: EmulatorConfig,
    store: Store,
    mut link: TaskLink,
    to_gateway: ToGateway,
) {
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
    let (path, emulator) = match &config.port {
        RadioPort::Serial(path) => (path.clone(), None),
        // auto_port::resolve replaced it before this task started; reaching here is a bug in
        // the caller, reported rather than guessed around.
        RadioPort::Auto => {
            error!("Zigbee is not started: its port was not resolved from \"auto\"");
            link.attempted().await;
            return;
        }
        RadioPort::Emulated => match ezsp_ncp::spawn_on_pty(ezsp_ncp::PtyConfig {
            link: None,
            ncp: ezsp_ncp::NcpConfig::default(),
            tick: Duration::from_millis(10),
        })
        .await
        {
            Ok((path, emu)) => {
                info!(pty = %path.display(), "emulated Zigbee stick started");
                (path, Some(emu))
            }
            Err(e) => {
                error!("Zigbee is not started: cannot create the emulated stick's pty: {e}");
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
    if let Some(emu) = &emulator {
        let house = emulated_house(emulated.zigbee_devices);
        let active = active_devices(&house);
        demo(emu, &stick, &network, house).await;
        if emulated.activity_ms > 0 && !active.is_empty() {
            let every = Duration::from_millis(emulated.activity_ms);
            info!(
                devices = active.len(),
                every_ms = emulated.activity_ms,
                "emulated Zigbee sensors and locks change state on their own"
            );
            activity = Some((tokio::time::interval(every), active, false));
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
                Some((every, _, _)) => {
                    every.tick().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = link.stopped() => break,
            () = acted => {
                if let (Some((_, active, state)), Some(emu)) = (&mut activity, &emulator) {
                    *state = !*state;
                    act_on_their_own(emu, active, *state);
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
    if let Some(emu) = emulator {
        emu.unplug().await;
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

/// The emulated stick's demo house: on the hub's first start every device joins (the network
/// is opened for them); on later starts the emulated stick starts blank and gets the stored
/// network, and the devices in the backup are back in range without joining again. A device
/// missing from the backup (one added to the house later) joins.
async fn demo(
    emu: &EmulatorHandle,
    stick: &ZigbeeStick,
    network: &ZigbeeNetwork,
    house: Vec<SimulatedDevice>,
) {
    let mut joining = 0;
    for device in house {
        let eui64 = u64::from_le_bytes(device.eui64);
        let paired = network
            .stored()
            .is_some_and(|b| b.devices.iter().any(|d| d.ieee_address == device.eui64));
        if paired {
            match emu.with_stick(|s| s.ncp_mut().adopt_device(device)) {
                Ok(node_id) => info!(
                    eui64 = format_args!("{eui64:016x}"),
                    node_id = format_args!("{node_id:#06x}"),
                    "emulated Zigbee device is in range again, still paired"
                ),
                Err(why) => warn!(
                    eui64 = format_args!("{eui64:016x}"),
                    ?why,
                    "emulated Zigbee device could not rejoin"
                ),
            }
        } else {
            emu.join_when_permitted(device);
            joining += 1;
        }
    }
    if joining == 0 {
        return;
    }
    match stick.permit_join(DEMO_PERMIT_JOIN_SECS).await {
        Ok(()) => info!(
            seconds = DEMO_PERMIT_JOIN_SECS,
            devices = joining,
            "emulated Zigbee network open for joining; the demo house joins"
        ),
        Err(e) => warn!("cannot open the emulated Zigbee network for joining: {e}"),
    }
}

/// The node ids and kinds of the devices in `house` that change state on their own with
/// `[emulator] activity_ms`: contact and motion sensors and door locks.
fn active_devices(house: &[SimulatedDevice]) -> Vec<(u16, DeviceKind)> {
    house
        .iter()
        .filter(|d| {
            matches!(
                d.kind,
                DeviceKind::ContactSensor | DeviceKind::MotionSensor | DeviceKind::DoorLock
            )
        })
        .map(|d| (d.node_id, d.kind))
        .collect()
}

/// Every active emulated device changes state: contacts open (`state`) or close, motion
/// sensors see motion or stop, locks are unlocked or locked by hand. Each change makes the
/// device send what a real one would (a zone status notification, an occupancy report, an
/// operation event), which the hub turns into events. A device not joined yet is skipped.
fn act_on_their_own(emu: &EmulatorHandle, active: &[(u16, DeviceKind)], state: bool) {
    for &(node_id, kind) in active {
        emu.with_device(node_id, |d| match kind {
            DeviceKind::ContactSensor => d.set_contact_open(state),
            DeviceKind::MotionSensor => d.set_motion(state),
            DeviceKind::DoorLock => d.turn_lock_by_hand(!state),
            _ => {}
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulated_house_has_the_size_asked_for_with_distinct_addresses() {
        let demo = emulated_house(8);
        assert_eq!(demo.len(), 8);
        assert_eq!(
            u64::from_le_bytes(demo[0].eui64),
            0x124b_0000_0000_a15e,
            "the light keeps the address earlier versions used"
        );
        assert_eq!(emulated_house(3).len(), 3);
        let big = emulated_house(200);
        assert_eq!(big.len(), 200);
        let euis: std::collections::HashSet<_> = big.iter().map(|d| d.eui64).collect();
        let nodes: std::collections::HashSet<_> = big.iter().map(|d| d.node_id).collect();
        assert_eq!((euis.len(), nodes.len()), (200, 200));
        // The kinds repeat in the demo house's order.
        for (i, d) in big.iter().enumerate() {
            assert_eq!(d.kind, big[i % 8].kind, "device {i}");
        }
        // Contact and motion sensors and locks: 3 of every 8.
        assert_eq!(active_devices(&big).len(), 75);
    }
}
