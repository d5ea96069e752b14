//! The emulated sticks behind `port = "emulated"` and their demo house (built only with the
//! `emulators` feature): each radio task starts its emulator here on a pty, opens the pty as
//! it would a real stick, and lets the demo devices join (Zigbee) or be included (Z-Wave)
//! once the stick is up. Without the feature, `no_emulators.rs` stands in with types that
//! have no values, so the radio tasks read the same either way.

use std::path::PathBuf;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{self, DeviceKind, SimulatedDevice};
use firmware_shim::zwave_controller::{self as zw, ControllerConfig, SecureNode, SimNode};
use sealhub::gateway::core::registry::TREE as REGISTRY_TREE;
use sealhub::radio::zigbee_network::ZigbeeNetwork;
use sealhub::radio::zwave_keys::{SealedNetworkKeys, SealedNodeGrants};
use sealhub::store::Store;
use sealhub_radios::zigbee::driver::ZigbeeStick;
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::driver::{InclusionOptions, ZwaveStick};
use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use sealhub_radios::zwave::security::Key128;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// How often the emulators' state machines are driven.
/// The emulated Z-Wave stick's tick.
const ZWAVE_TICK: Duration = Duration::from_millis(10);

/// How long the emulated network stays open for the demo house to join.
const DEMO_PERMIT_JOIN_SECS: u8 = 60;

/// The emulated EZSP stick and its demo house.
pub(super) struct ZigbeeDemo {
    emu: ezsp_ncp::EmulatorHandle,
    /// How many devices the house has (`[emulator] zigbee_devices`).
    size: u16,
    /// The devices that change state on their own with `[emulator] activity_ms`.
    active: Vec<(u16, DeviceKind)>,
}

impl ZigbeeDemo {
    /// Starts the emulated stick on a pty, ticking every `tick` (`[emulator] zigbee_tick_ms`);
    /// the path is what the driver opens.
    pub(super) async fn start(size: u16, tick: Duration) -> Result<(PathBuf, Self), String> {
        let (path, emu) = ezsp_ncp::spawn_on_pty(ezsp_ncp::PtyConfig {
            link: None,
            ncp: ezsp_ncp::NcpConfig::default(),
            tick,
        })
        .await
        .map_err(|e| format!("cannot create the emulated stick's pty: {e}"))?;
        info!(pty = %path.display(), "emulated Zigbee stick started");
        let active = active_devices(&emulated_house(size));
        Ok((path, Self { emu, size, active }))
    }

    /// The demo house: on the hub's first start every device joins (the network is opened
    /// for them); on later starts the emulated stick starts blank and gets the stored network,
    /// and the devices it had (those in the backup, or in the hub's device registry) are back
    /// in range without joining again. A device missing from both (one added to the house
    /// later, or one the hub never keyed) joins.
    ///
    /// The registry counts too because the backup is sealed a moment after a join, while a
    /// real stick keeps a device from the moment it joins: after a crash in between, a device
    /// taken from the backup alone would join afresh, as if reset, and lose its key.
    pub(super) async fn join(
        &self,
        stick: &ZigbeeStick,
        network: &ZigbeeNetwork,
        registry: &Store,
    ) {
        let mut joining = 0;
        for device in emulated_house(self.size) {
            let eui64 = u64::from_le_bytes(device.eui64);
            let in_backup = network
                .stored()
                .is_some_and(|b| b.devices.iter().any(|d| d.ieee_address == device.eui64));
            let id = sealhub::model::zigbee_device_id(eui64);
            let in_registry = match registry.get(REGISTRY_TREE, id.as_str().as_bytes()) {
                Ok(record) => record.is_some(),
                Err(e) => {
                    warn!(device = %id, "cannot read the device registry: {e}");
                    false
                }
            };
            if in_backup || in_registry {
                match self.emu.with_stick(|s| s.ncp_mut().adopt_device(device)) {
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
                self.emu.join_when_permitted(device);
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

    /// Takes the emulated stick away (its pty closes).
    pub(super) async fn unplug(self) {
        self.emu.unplug().await;
    }

    /// How many devices change state on their own with `[emulator] activity_ms`.
    pub(super) fn active_devices(&self) -> usize {
        self.active.len()
    }

    /// Every active emulated device changes state: contacts open (`state`) or close, motion
    /// sensors see motion or stop, locks are unlocked or locked by hand. Each change makes the
    /// device send what a real one would (a zone status notification, an occupancy report, an
    /// operation event), which the hub turns into events. A device not joined yet is skipped.
    pub(super) fn act_on_their_own(&self, state: bool) {
        for &(node_id, kind) in &self.active {
            self.emu.with_device(node_id, |d| match kind {
                DeviceKind::ContactSensor => d.set_contact_open(state),
                DeviceKind::MotionSensor => d.set_motion(state),
                DeviceKind::DoorLock => d.turn_lock_by_hand(!state),
                _ => {}
            });
        }
    }
}

/// The emulated stick's house of `size` devices (`[emulator] zigbee_devices`): the demo house
/// first, one device of each emulated kind; then more of the same kinds in the same order,
/// device `i` at EUI-64 `124b0000_00a2xxxx` (`xxxx` = `i`) and node id `0x2000 + i`.
fn emulated_house(size: u16) -> Vec<SimulatedDevice> {
    let demo = zigbee_demo_house();
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

/// The emulated stick's demo house: one device of each emulated kind, each with its own IEEE
/// address (little-endian bytes, as on the air) and node id. The light's address is the one
/// earlier versions used, so a hub that knows it keeps it.
fn zigbee_demo_house() -> Vec<SimulatedDevice> {
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

/// Binary Sensor Report, the emulated sensor's unprompted report (command class 0x30,
/// command 0x03, value).
const BINARY_SENSOR_REPORT: [u8; 2] = [0x30, 0x03];

/// What makes the emulated S2 lock's keys and DSK (the same on every start).
const DEMO_LOCK_SEED: u8 = 0x5E;

/// The emulated Z-Wave controller, its demo nodes and the sensor's next report.
pub(super) struct ZwaveDemo {
    emu: zw::EmulatorHandle,
    sensor: u8,
    /// The S2 door lock; it is included (with its DSK PIN) on the first start.
    lock: SecureNode,
    /// Whether it was included on an earlier start (and is back in the network with its key).
    lock_included: bool,
    /// The sleeping nodes, woken once at start so they are described (and keyed) at once.
    sleepers: Vec<u8>,
    value: u8,
}

impl ZwaveDemo {
    /// Starts the emulated controller on a pty with a switch, a sleeping sensor, a dimmable
    /// bulb and a sleeping multisensor; the S2 lock is put back in the network when `grants`
    /// and the sealed keys show it was included on an earlier start.
    pub(super) async fn start(
        store: &Store,
        grants: &SealedNodeGrants,
    ) -> Result<(PathBuf, Self), String> {
        let (path, emu) = zw::spawn_on_pty(zw::PtyConfig {
            link: None,
            controller: ControllerConfig::default(),
            tick: ZWAVE_TICK,
        })
        .await
        .map_err(|e| format!("cannot create the emulated stick's pty: {e}"))?;
        let switch = emu.with_stick(|s| s.add_node(SimNode::binary_switch()));
        let sensor = emu.with_stick(|s| s.add_node(SimNode::sleeping_sensor()));
        let dimmer = emu.with_stick(|s| s.add_node(SimNode::bulb()));
        let multisensor = emu.with_stick(|s| s.add_node(SimNode::multisensor()));
        let lock = SecureNode::door_lock(DEMO_LOCK_SEED);
        let lock_included = match included_lock_key(store, grants) {
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
        Ok((
            path,
            Self {
                emu,
                sensor,
                sleepers: vec![sensor, multisensor],
                lock,
                lock_included,
                value: 0,
            },
        ))
    }

    /// Once the stick is up: the sleeping nodes wake (as if someone pressed their buttons, so
    /// they are heard from now, not at their next wake-up) and the lock is included on the
    /// first start.
    pub(super) async fn stick_up(&self, stick: &ZwaveStick) {
        for node in &self.sleepers {
            self.emu.with_stick(|s| s.wake_up(*node));
        }
        if !self.lock_included {
            include_demo_lock(stick, &self.emu, &self.lock).await;
        }
    }

    /// The sensor reports its flipped state, so the demo shows traffic.
    pub(super) fn report(&mut self) {
        self.value ^= 0xFF;
        let frame = [BINARY_SENSOR_REPORT[0], BINARY_SENSOR_REPORT[1], self.value];
        self.emu
            .with_stick(|s| s.from_node(self.sensor, vec![frame.to_vec()]));
    }

    /// Takes the emulated controller away (its pty closes).
    pub(super) async fn unplug(self) {
        self.emu.unplug().await;
    }
}

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
async fn include_demo_lock(stick: &ZwaveStick, emu: &zw::EmulatorHandle, lock: &SecureNode) {
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
