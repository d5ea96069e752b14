//! The device list the suite uses on the emulators: one emulated device for every kind the
//! emulators have, written as a user would list the real one, and the [`Hands`] that make
//! them pair and wake. CI thus runs exactly the scenarios a desk with real devices runs.
//!
//! A kind with an emulated device is one arm in `zigbee_stand_in` or `zwave_stand_in`;
//! every kind has one today, so CI runs every scenario.

use std::collections::BTreeMap;
use std::sync::Mutex;

use firmware_shim::ezsp_ncp::devices::ias_zone;
use firmware_shim::ezsp_ncp::{self, SimulatedDevice};
use firmware_shim::zwave_controller::{self as zw, SecureNode, SimNode};
use sealhub_radios::zigbee::security::InstallCode;
use sealhub_radios::zwave::s2::SecurityClass;

use crate::devices::{ZigbeeDevice, ZigbeeKind, ZwaveDevice, ZwaveKind, ZwaveNode};
use crate::scenarios::{Hands, Stimulus};

/// The Zigbee 3.0 specification's example install code, which the emulated light joins with.
const SPEC_INSTALL_CODE: [u8; 18] = [
    0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16, 0xD5, 0x05,
    0xC3, 0xB5,
];

/// The emulated Zigbee device of `kind`, if the emulator has one. The lights join with an
/// install code, as such bulbs come; the others with the well-known link key.
fn zigbee_stand_in(kind: ZigbeeKind, eui64: [u8; 8], node_id: u16) -> Option<SimulatedDevice> {
    let code = InstallCode::new(&SPEC_INSTALL_CODE).ok();
    let (n, e) = (node_id, eui64);
    Some(match kind {
        ZigbeeKind::Light => SimulatedDevice::light(e, n, code),
        ZigbeeKind::ColourBulb => SimulatedDevice::color_light(e, n, code),
        ZigbeeKind::Plug => SimulatedDevice::plug(e, n, None),
        ZigbeeKind::DoorLock => SimulatedDevice::door_lock(e, n, None),
        ZigbeeKind::Thermostat => SimulatedDevice::thermostat(e, n, None),
        ZigbeeKind::ClimateSensor => SimulatedDevice::climate_sensor(e, n, None),
        ZigbeeKind::MotionSensor => SimulatedDevice::motion_sensor(e, n, None),
        ZigbeeKind::ContactSensor => SimulatedDevice::contact_sensor(e, n, None),
    })
}

/// The emulated Z-Wave device of `kind`, if the emulator has one: the node, and whether it is
/// in the network already (otherwise it is included in the run).
fn zwave_stand_in(kind: ZwaveKind, seed: u8) -> Option<(SimNode, bool)> {
    match kind {
        ZwaveKind::Switch => Some((SimNode::binary_switch(), true)),
        ZwaveKind::Sensor => Some((SimNode::sleeping_sensor(), true)),
        ZwaveKind::Lock => Some((SimNode::secure(SecureNode::door_lock(seed)), false)),
        ZwaveKind::Dimmer => Some((SimNode::secure(SecureNode::dimmer(seed)), false)),
        ZwaveKind::Siren => Some((SimNode::secure(SecureNode::siren(seed)), false)),
        ZwaveKind::Thermostat => Some((SimNode::thermostat(), true)),
        ZwaveKind::MeteringPlug => Some((SimNode::metering_plug(), true)),
        ZwaveKind::Multisensor => Some((SimNode::multisensor(), true)),
        ZwaveKind::Bulb => Some((SimNode::bulb(), true)),
    }
}

/// The emulated Zigbee devices and the hands that join them.
pub struct EmulatedZigbee {
    emulator: ezsp_ncp::EmulatorHandle,
    devices: BTreeMap<String, SimulatedDevice>,
}

impl EmulatedZigbee {
    /// One emulated device per Zigbee kind the emulator has, none joined yet (so pairing with
    /// an install code runs too), and their list.
    pub fn new(emulator: ezsp_ncp::EmulatorHandle) -> (Self, Vec<ZigbeeDevice>) {
        Self::of_kinds(emulator, &ZigbeeKind::ALL, |_, _| {})
    }

    /// Emulated devices of `kinds` only, each set up by `adjust` before it joins (a colour
    /// bulb in another colour mode, a lock found unlocked), and their list.
    pub fn of_kinds(
        emulator: ezsp_ncp::EmulatorHandle,
        kinds: &[ZigbeeKind],
        adjust: impl Fn(ZigbeeKind, &mut SimulatedDevice),
    ) -> (Self, Vec<ZigbeeDevice>) {
        let mut devices = BTreeMap::new();
        let mut list = Vec::new();
        for (i, kind) in (0u8..).zip(kinds.iter().copied()) {
            let eui = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xE0 | (i & 0x0F)];
            let Some(mut device) = zigbee_stand_in(kind, eui, 0x6A50 + u16::from(i)) else {
                continue;
            };
            adjust(kind, &mut device);
            let mut name = format!("emulated {}", kind.name());
            if devices.contains_key(&name) {
                name = format!("{name} {}", i + 1);
            }
            list.push(ZigbeeDevice {
                name: name.clone(),
                eui64: u64::from_le_bytes(eui),
                install_code: device.install_code.clone(),
                node_id: None,
                endpoint: 1,
                kind,
            });
            devices.insert(name, device);
        }
        (Self { emulator, devices }, list)
    }

    /// What the scenarios left changed on the joined devices: every attribute whose value
    /// differs from the one the device joined with, apart from an IAS zone's enrolment (its
    /// state, CIE address and zone ID), which the scenario makes on purpose. Empty when every
    /// scenario put its device back.
    pub fn changed(&self) -> Vec<String> {
        const ENROLMENT: [u16; 3] = [0x0000, 0x0010, 0x0011];
        let mut changed = Vec::new();
        for (name, joined) in &self.devices {
            let now = self.emulator.with_device(joined.node_id, |d| d.zcl.clone());
            let Some(now) = now else {
                changed.push(format!("{name}: not in the network"));
                continue;
            };
            for &(endpoint, cluster, id) in joined.zcl.attributes.keys() {
                if cluster == ias_zone::IAS_ZONE_CLUSTER && ENROLMENT.contains(&id) {
                    continue;
                }
                let (was, is) = (
                    joined.zcl.get(endpoint, cluster, id),
                    now.get(endpoint, cluster, id),
                );
                if was != is {
                    changed.push(format!(
                        "{name}: endpoint {endpoint} cluster {cluster:#06x} attribute {id:#06x} \
                         was {was:?}, is {is:?}"
                    ));
                }
            }
        }
        changed
    }
}

impl Hands for EmulatedZigbee {
    fn available(&self) -> bool {
        true
    }
    fn pair(&self, name: &str) {
        if let Some(device) = self.devices.get(name) {
            if let Err(refusal) = self.emulator.join_device(device.clone()) {
                tracing::warn!("emulated {name} could not join: {refusal:?}");
            }
        }
    }
    fn wake(&self, _name: &str, _node: u16) {}
    fn stimulate(&self, name: &str, node: u16, stimulus: Stimulus) {
        let done = self.emulator.with_device(node, |d| match stimulus {
            Stimulus::Motion => d.set_motion(true),
            Stimulus::Stillness => d.set_motion(false),
            Stimulus::Open => d.set_contact_open(true),
            Stimulus::Close => d.set_contact_open(false),
        });
        if done.is_none() {
            tracing::warn!("emulated {name} (node {node:#06x}) is not joined");
        }
    }
    fn confirm(&self, _name: &str, _what: &str) -> bool {
        true
    }
}

/// The emulated Z-Wave devices and the hands that include and wake them.
pub struct EmulatedZwave {
    emulator: zw::EmulatorHandle,
    to_include: Mutex<BTreeMap<String, SimNode>>,
    /// What each node showed before the run ([`visible_state`]), sorted.
    before: Vec<String>,
}

/// What a user could see of an emulated Z-Wave node (a switch's state, a thermostat's mode
/// and setpoints, a bulb's level and colour), leaving out its bookkeeping (sessions, awake or
/// not, frames received), for checking that a scenario put it back.
fn visible_state(kind: &zw::SimNodeKind) -> String {
    use zw::SimNodeKind as K;
    match kind {
        K::BinarySwitch { value } => format!("binary switch {value:#04x}"),
        K::SleepingSensor { battery, .. } => format!("sleeping sensor, battery {battery}%"),
        K::Secure(secure) => format!("secure {:?}", secure.state().device),
        K::Thermostat(t) => format!(
            "thermostat mode {}, heating {}, cooling {}",
            t.mode, t.heating, t.cooling
        ),
        K::MeteringPlug(p) => format!(
            "metering plug, outlets on: {:?}",
            p.outlets.iter().map(|o| o.on).collect::<Vec<_>>()
        ),
        K::Multisensor(m) => format!(
            "multisensor, wake-up every {} s to node {}",
            m.interval, m.wake_up_node
        ),
        K::Bulb(b) => format!("bulb level {}, colour {:?}", b.level, b.color),
        K::Alarm(a) => format!("alarm, going off: {:?}", a.types),
    }
}

impl EmulatedZwave {
    /// One emulated device per Z-Wave kind the emulator has: listening and sleeping unsecured
    /// nodes put in the network now, secure ones left to be included (with their PIN) in the
    /// run; and their list.
    pub fn new(emulator: zw::EmulatorHandle) -> (Self, Vec<ZwaveDevice>) {
        let kinds = ZwaveKind::ALL;
        let mut to_include = BTreeMap::new();
        let mut list = Vec::new();
        let mut before = Vec::new();
        for (seed, kind) in (0x31u8..).zip(kinds) {
            let Some((node, in_network)) = zwave_stand_in(kind, seed) else {
                continue;
            };
            let name = format!("emulated {}", kind.name());
            // As on a label: S2 devices have a DSK PIN, S0 ones none.
            let dsk_pin = match &node.kind {
                zw::SimNodeKind::Secure(secure)
                    if secure.state().device.required_class() != SecurityClass::S0Legacy =>
                {
                    Some(secure.pin())
                }
                _ => None,
            };
            before.push(visible_state(&node.kind));
            let node = if in_network {
                let id = emulator.with_stick(|s| s.add_node(node));
                ZwaveNode::Id(u16::from(id))
            } else {
                to_include.insert(name.clone(), node);
                ZwaveNode::Include
            };
            list.push(ZwaveDevice {
                name,
                node,
                dsk_pin,
                kind,
            });
        }
        (
            Self {
                emulator,
                to_include: Mutex::new(to_include),
                before: {
                    before.sort();
                    before
                },
            },
            list,
        )
    }

    /// The nodes the scenarios left otherwise than they found them: what each showed before
    /// the run that no node shows now (the nodes to include included). Empty when every
    /// scenario put its node back.
    pub fn changed(&self) -> Vec<String> {
        let mut now: Vec<String> = self.emulator.with_stick(|s| {
            let controller = s.controller();
            controller
                .node_ids()
                .into_iter()
                .filter_map(|id| controller.node(id).map(|n| visible_state(&n.kind)))
                .collect()
        });
        now.sort();
        let mut changed = Vec::new();
        for was in &self.before {
            match now.iter().position(|n| n == was) {
                Some(i) => {
                    now.remove(i);
                }
                None => changed.push(format!("before: {was}; now none shows that")),
            }
        }
        changed.extend(now.into_iter().map(|n| format!("now: {n}")));
        changed
    }
}

impl Hands for EmulatedZwave {
    fn available(&self) -> bool {
        true
    }
    fn pair(&self, name: &str) {
        let node = self
            .to_include
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        if let Some(node) = node {
            self.emulator.with_stick(|s| s.offer_for_inclusion(node));
        }
    }
    fn wake(&self, _name: &str, node: u16) {
        if let Ok(id) = u8::try_from(node) {
            self.emulator.with_stick(|s| s.wake_up(id));
        }
    }
    fn stimulate(&self, name: &str, _node: u16, stimulus: Stimulus) {
        // No Z-Wave scenario asks for one yet.
        tracing::warn!("emulated {name}: no way to make it sense {stimulus:?}");
    }
    fn confirm(&self, _name: &str, _what: &str) -> bool {
        true
    }
}
