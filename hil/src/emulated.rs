//! The device list the suite uses on the emulators: one emulated device for every kind the
//! emulators have, written as a user would list the real one, and the [`Hands`] that make
//! them pair and wake. CI thus runs exactly the scenarios a desk with real devices runs.
//!
//! A kind with an emulated device is one arm in [`zigbee_stand_in`] or [`zwave_stand_in`];
//! every kind has one today, so CI runs every scenario.

use std::collections::BTreeMap;
use std::sync::Mutex;

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
        let kinds = ZigbeeKind::ALL;
        let mut devices = BTreeMap::new();
        let mut list = Vec::new();
        for (i, kind) in (0u8..).zip(kinds) {
            let eui = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xE0 | i];
            let Some(device) = zigbee_stand_in(kind, eui, 0x6A50 + u16::from(i)) else {
                continue;
            };
            let name = format!("emulated {}", kind.name());
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
}

impl EmulatedZwave {
    /// One emulated device per Z-Wave kind the emulator has: listening and sleeping unsecured
    /// nodes put in the network now, secure ones left to be included (with their PIN) in the
    /// run; and their list.
    pub fn new(emulator: zw::EmulatorHandle) -> (Self, Vec<ZwaveDevice>) {
        let kinds = ZwaveKind::ALL;
        let mut to_include = BTreeMap::new();
        let mut list = Vec::new();
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
            },
            list,
        )
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
