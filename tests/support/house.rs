//! A house of emulated devices owned by the test: both emulated sticks on ptys in the test
//! process, so the test reads its devices' state, triggers their alarms and wakes its
//! sleeping nodes, and a `sealhub run` binary ([`super::hub::RunningHub`]) pointed at their
//! ports as at real sticks. Zigbee devices join when a client opens the network; Z-Wave
//! nodes are in the controller's network from the start (the S2 lock is included through a
//! client's hub command).
//!
//! Every wait is bounded ([`PATIENCE`]) and polls observable state; none decides an outcome
//! by how long something took.

use std::path::PathBuf;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{self, SimulatedDevice};
use firmware_shim::zwave_controller::{self as zwave, SecureNode, SimNode, SimNodeKind};

use super::gateway::Phone;
use super::hub::{HubSetup, PATIENCE, RunningHub, TRANSPORT_UP, keyed};
use sealhub::model::Role;

/// The Z-Wave network's home id (the emulated controller's default).
pub const HOME_ID: &str = "c0ffee42";

/// What makes the emulated S2 lock's keys and DSK.
pub const LOCK_SEED: u8 = 0x7A;

/// The Zigbee devices of the house: kind name, IEEE address (as on the air), node id.
pub const ZIGBEE: [(&str, u8, u16); 11] = [
    ("light", 0x10, 0x2B10),
    ("color", 0x11, 0x2B11),
    ("plug", 0x12, 0x2B12),
    ("lock", 0x13, 0x2B13),
    ("thermostat", 0x14, 0x2B14),
    ("climate", 0x15, 0x2B15),
    ("motion", 0x16, 0x2B16),
    ("contact", 0x17, 0x2B17),
    ("smoke", 0x18, 0x2B18),
    ("water", 0x19, 0x2B19),
    ("co", 0x1A, 0x2B1A),
];

/// The Z-Wave nodes in the network from the start, in the order they get ids 2, 3, ….
pub const ZWAVE: [&str; 7] = [
    "switch",
    "bulb",
    "thermostat",
    "plug",
    "multisensor",
    "smoke-co",
    "leak",
];

fn eui(last: u8) -> [u8; 8] {
    [last, 0xB2, 0x00, 0x00, 0x00, 0x00, 0x4B, 0x12]
}

/// The emulated Zigbee device of `kind` (one of [`ZIGBEE`]).
pub fn zigbee_device(kind: &str) -> SimulatedDevice {
    let (_, last, node) = ZIGBEE
        .iter()
        .find(|(k, _, _)| *k == kind)
        .unwrap_or_else(|| panic!("no Zigbee {kind} in the house"));
    let e = eui(*last);
    match kind {
        "light" => SimulatedDevice::light(e, *node, None),
        "color" => SimulatedDevice::color_light(e, *node, None),
        "plug" => SimulatedDevice::plug(e, *node, None),
        "lock" => SimulatedDevice::door_lock(e, *node, None),
        "thermostat" => SimulatedDevice::thermostat(e, *node, None),
        "climate" => SimulatedDevice::climate_sensor(e, *node, None),
        "motion" => SimulatedDevice::motion_sensor(e, *node, None),
        "contact" => SimulatedDevice::contact_sensor(e, *node, None),
        "smoke" => SimulatedDevice::smoke_sensor(e, *node, None),
        "water" => SimulatedDevice::water_sensor(e, *node, None),
        "co" => SimulatedDevice::carbon_monoxide_sensor(e, *node, None),
        other => panic!("no Zigbee {other}"),
    }
}

/// The device id the hub gives the Zigbee device of `kind`.
pub fn zigbee_id(kind: &str) -> String {
    let device = zigbee_device(kind);
    format!("zb:{:016x}", u64::from_le_bytes(device.eui64))
}

/// The device id the hub gives Z-Wave node `node`.
pub fn zwave_id(node: u8) -> String {
    format!("zw:{HOME_ID}:{node}")
}

/// Both emulated sticks and their devices.
pub struct TestHouse {
    /// The emulated Zigbee stick.
    pub zigbee: ezsp_ncp::EmulatorHandle,
    /// The emulated Z-Wave controller.
    pub zwave: zwave::EmulatorHandle,
    /// Its pty.
    pub zigbee_port: PathBuf,
    /// Its pty.
    pub zwave_port: PathBuf,
    /// The S2 lock (not in the network until included).
    pub lock: SecureNode,
    _dir: tempfile::TempDir,
}

impl TestHouse {
    /// Both sticks on ptys; the Z-Wave nodes of [`ZWAVE`] in the network. The Zigbee
    /// devices' clocks run at one second per emulator tick, so reporting intervals pass soon.
    pub async fn start() -> TestHouse {
        let dir = super::tempdir();
        let (zigbee_port, zigbee) =
            ezsp_ncp::spawn_on_pty(ezsp_ncp::PtyConfig::new(dir.path().join("zigbee")))
                .await
                .expect("emulated Zigbee stick");
        zigbee.with_stick(|s| s.set_tick_length(Duration::from_secs(1)));
        let (zwave_port, zwave) =
            zwave::spawn_on_pty(zwave::PtyConfig::new(dir.path().join("zwave")))
                .await
                .expect("emulated Z-Wave controller");
        for kind in ZWAVE {
            let node = match kind {
                "switch" => SimNode::binary_switch(),
                "bulb" => SimNode::bulb(),
                "thermostat" => SimNode::thermostat(),
                "plug" => SimNode::metering_plug(),
                "multisensor" => SimNode::multisensor(),
                "smoke-co" => SimNode::smoke_co_alarm(),
                "leak" => SimNode::leak_detector(),
                other => panic!("no Z-Wave {other}"),
            };
            zwave.with_stick(|s| s.add_node(node));
        }
        TestHouse {
            zigbee,
            zwave,
            zigbee_port,
            zwave_port,
            lock: SecureNode::door_lock(LOCK_SEED),
            _dir: dir,
        }
    }

    /// The node id of the Z-Wave node of `kind` (one of [`ZWAVE`]).
    pub fn zwave_node(kind: &str) -> u8 {
        let at = ZWAVE
            .iter()
            .position(|k| *k == kind)
            .unwrap_or_else(|| panic!("no Z-Wave {kind} in the house"));
        u8::try_from(at).expect("few") + 2
    }

    /// Starts `sealhub run` on these sticks with `clients` paired beforehand, and waits until
    /// clients can connect and the listening Z-Wave nodes are keyed.
    pub fn start_hub(&self, clients: &[(&str, Role, Option<&[&str]>)]) -> (RunningHub, Vec<Phone>) {
        let mut wanted = vec![TRANSPORT_UP.to_string()];
        for kind in ["switch", "bulb", "thermostat", "plug", "smoke-co", "leak"] {
            wanted.push(keyed(&zwave_id(Self::zwave_node(kind))));
        }
        RunningHub::start_with(HubSetup {
            clients,
            sticks: Some((self.zigbee_port.clone(), self.zwave_port.clone())),
            wanted,
            extra_config: String::new(),
            prepare: None,
            log: None,
            patience: None,
        })
    }

    /// Has the Zigbee device of `kind` join (the hub must have opened the network).
    pub fn join_zigbee(&self, kind: &str) {
        self.zigbee
            .join_device(zigbee_device(kind))
            .unwrap_or_else(|why| panic!("the {kind} could not join: {why:?}"));
    }

    /// Reads ZCL attribute `attribute` of `cluster` on endpoint 1 of the Zigbee `kind`.
    pub fn zcl(&self, kind: &str, cluster: u16, attribute: u16) -> Option<i64> {
        let node = zigbee_device(kind).node_id;
        self.zigbee
            .with_device(node, |d| d.zcl.get(1, cluster, attribute))
            .flatten()
    }

    /// Runs `f` on the joined Zigbee device of `kind` (a sensor reading, an alarm, a hand on
    /// the lock).
    pub fn with_zigbee<R>(&self, kind: &str, f: impl FnOnce(&mut SimulatedDevice) -> R) -> R {
        let node = zigbee_device(kind).node_id;
        self.zigbee
            .with_device(node, f)
            .unwrap_or_else(|| panic!("the {kind} has not joined"))
    }

    /// Runs `f` on Z-Wave node `node`'s kind and state.
    pub fn with_zwave<R>(&self, node: u8, f: impl FnOnce(&mut SimNodeKind) -> R) -> R {
        self.zwave.with_stick(|s| {
            let n = s
                .controller_mut()
                .node_mut(node)
                .expect("node in the network");
            f(&mut n.kind)
        })
    }

    /// Every command class frame Z-Wave node `node` has received so far.
    pub fn zwave_received(&self, node: u8) -> Vec<Vec<u8>> {
        self.zwave.with_stick(|s| {
            s.controller_mut()
                .node_mut(node)
                .map(|n| n.received.clone())
                .unwrap_or_default()
        })
    }

    /// Z-Wave node `node` sends `frames` on its own (a report of a local change).
    pub fn zwave_sends(&self, node: u8, frames: Vec<Vec<u8>>) {
        self.zwave.with_stick(|s| s.from_node(node, frames));
    }

    /// Wakes Z-Wave node `node` (as its button or its interval would).
    pub fn wake(&self, node: u8) {
        self.zwave.with_stick(|s| s.wake_up(node));
    }

    /// Whether Z-Wave node `node` is asleep.
    pub fn asleep(&self, node: u8) -> bool {
        self.zwave.with_stick(|s| {
            s.controller_mut()
                .node_mut(node)
                .is_some_and(|n| n.is_asleep())
        })
    }

    /// Offers the S2 lock for inclusion (the hub must have started it, with its PIN).
    pub fn offer_lock(&self) {
        let lock = self.lock.clone();
        self.zwave
            .with_stick(|s| s.offer_for_inclusion(SimNode::secure(lock)));
    }
}

/// Waits until `done` holds, checking every 20 ms; panics naming `what` after [`PATIENCE`].
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    tokio::time::timeout(PATIENCE, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} did not happen"));
}
