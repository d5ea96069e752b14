//! Simulated Z-Wave nodes behind the emulated controller: unsecured ones here, secure ones
//! (a door lock, a dimmer, a siren and a sleeping sensor doing S2 or S0) in [`secure`]. A
//! node takes a command class frame and returns the frames it answers with; the controller
//! decides whether the frame reaches it at all ([`SimNode::reachable`]).
//!
//! - [`SimNode::binary_switch`]: a mains-powered on/off switch answering Basic and Binary Switch
//!   Get with a Report.
//! - [`SimNode::sleeping_sensor`]: a battery sensor that hears nothing while asleep; the test
//!   wakes it ([`SimNode::wake_up`], which sends a Wake Up Notification) and it goes back to sleep
//!   on Wake Up No More Information.
//! - [`SimNode::secure`]: one of the [`secure::SecureNode`]s.
//! - [`SimNode::smoke_co_alarm`] and [`SimNode::leak_detector`]: alarms speaking
//!   Notification, in [`alarm`].
//! - [`SimNode::thermostat`], [`SimNode::metering_plug`] (two outlets as Multi Channel end
//!   points), [`SimNode::multisensor`] (sleeps and wakes) and [`SimNode::bulb`] (dimmable,
//!   colour): devices that answer Supervision, in [`thermostat`], [`metering_plug`],
//!   [`multisensor`] and [`bulb`].
//!
//! Every node also answers Version, Manufacturer Specific and Z-Wave Plus Info questions about
//! the command classes in its node information frame (`identity`), as a host interview asks;
//! a test can make one command class go unanswered ([`SimNode::mute`]).

pub mod alarm;
pub mod bulb;
mod identity;
pub mod lifeline;
pub mod metering_plug;
pub mod multisensor;
pub mod secure;
mod served;
pub mod thermostat;
pub mod user_codes;

pub use identity::{MANUFACTURER_ID, PRODUCT_TYPE, product_id};

use alarm::Alarm;
use bulb::Bulb;
use lifeline::Lifeline;
use metering_plug::MeteringPlug;
use multisensor::Multisensor;
use secure::SecureNode;
use thermostat::Thermostat;

/// Command class ids and commands the simulated nodes understand.
pub mod cc {
    /// Basic.
    pub const BASIC: u8 = 0x20;
    /// Binary Switch.
    pub const SWITCH_BINARY: u8 = 0x25;
    /// Battery.
    pub const BATTERY: u8 = 0x80;
    /// Wake Up.
    pub const WAKE_UP: u8 = 0x84;
    /// Association (the lifeline).
    pub const ASSOCIATION: u8 = 0x85;
    /// Supervision.
    pub const SUPERVISION: u8 = 0x6C;
    /// Set (Basic, Binary Switch).
    pub const SET: u8 = 0x01;
    /// Get (Basic, Binary Switch, Battery).
    pub const GET: u8 = 0x02;
    /// Report (Basic, Binary Switch, Battery).
    pub const REPORT: u8 = 0x03;
    /// Wake Up Notification.
    pub const WAKE_UP_NOTIFICATION: u8 = 0x07;
    /// Wake Up No More Information.
    pub const WAKE_UP_NO_MORE_INFORMATION: u8 = 0x08;
}

/// What kind of device a node is, with its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimNodeKind {
    /// An always-listening binary switch.
    BinarySwitch {
        /// 0x00 off, 0xFF on.
        value: u8,
    },
    /// A battery sensor that listens only between a wake-up and No More Information.
    SleepingSensor {
        /// Whether it is listening now.
        awake: bool,
        /// Battery level, percent.
        battery: u8,
    },
    /// A node that does S2 or S0 (always listening); the test keeps a clone to steer it.
    Secure(SecureNode),
    /// A mains-powered thermostat.
    Thermostat(Thermostat),
    /// A two-outlet plug with metering.
    MeteringPlug(MeteringPlug),
    /// A battery multisensor that listens only between a wake-up and No More Information.
    Multisensor(Multisensor),
    /// A dimmable colour bulb.
    Bulb(Bulb),
    /// A mains-powered alarm speaking Notification (smoke and CO, or water).
    Alarm(Alarm),
}

/// One simulated node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimNode {
    /// Device kind and state.
    pub kind: SimNodeKind,
    /// Out of range: no frame reaches it (the controller reports NO_ACK).
    pub silent: bool,
    /// Every command class frame that reached it, oldest first.
    pub received: Vec<Vec<u8>>,
    /// Command classes whose frames it acknowledges but never answers (a device with a broken
    /// command class, for tests of a host's timeouts).
    pub mute: Vec<u8>,
    /// Its lifeline (Association group 1), for the kinds without association logic of their
    /// own (the metering plug keeps its own).
    pub lifeline: Lifeline,
}

impl SimNode {
    /// A switch, off.
    pub fn binary_switch() -> Self {
        Self::new(SimNodeKind::BinarySwitch { value: 0x00 })
    }

    /// A sensor, asleep, battery full.
    pub fn sleeping_sensor() -> Self {
        Self::new(SimNodeKind::SleepingSensor {
            awake: false,
            battery: 100,
        })
    }

    /// A thermostat, off, 21.5 °C in the room.
    pub fn thermostat() -> Self {
        Self::new(SimNodeKind::Thermostat(Thermostat::default()))
    }

    /// A two-outlet metering plug, both outlets off.
    pub fn metering_plug() -> Self {
        Self::new(SimNodeKind::MeteringPlug(MeteringPlug::default()))
    }

    /// A multisensor, asleep.
    pub fn multisensor() -> Self {
        Self::new(SimNodeKind::Multisensor(Multisensor::default()))
    }

    /// A colour bulb, off, warm white.
    pub fn bulb() -> Self {
        Self::new(SimNodeKind::Bulb(Bulb::default()))
    }

    /// A smoke and carbon monoxide alarm, quiet.
    pub fn smoke_co_alarm() -> Self {
        Self::new(SimNodeKind::Alarm(Alarm::new(&[
            alarm::SMOKE,
            alarm::CARBON_MONOXIDE,
        ])))
    }

    /// A leak detector, dry.
    pub fn leak_detector() -> Self {
        Self::new(SimNodeKind::Alarm(Alarm::new(&[alarm::WATER])))
    }

    /// A secure node (the test keeps a clone of `node` to read and steer it).
    pub fn secure(node: SecureNode) -> Self {
        Self::new(SimNodeKind::Secure(node))
    }

    /// The controller tells the node its id once it is in the network (secure nodes need it
    /// for their keys and authentication data).
    pub fn set_address(&mut self, own: u8, controller: u8, home_id: u32) {
        if let SimNodeKind::Secure(node) = &self.kind {
            node.set_address(own, controller, home_id);
        }
    }

    fn new(kind: SimNodeKind) -> Self {
        Self {
            kind,
            silent: false,
            received: Vec::new(),
            mute: Vec::new(),
            lifeline: Lifeline::default(),
        }
    }

    /// The node information frame: basic, generic and specific device class, then the
    /// supported command classes.
    pub fn node_info(&self) -> Vec<u8> {
        match &self.kind {
            // Routing end node; Binary Switch / Power Switch; Z-Wave Plus, Binary Switch,
            // Version, Manufacturer Specific.
            // Association.
            SimNodeKind::BinarySwitch { .. } => {
                vec![0x04, 0x10, 0x01, 0x5E, 0x25, 0x85, 0x86, 0x72]
            }
            // Routing end node; Binary Sensor / Routing Binary Sensor; Z-Wave Plus, Binary
            // Sensor, Wake Up, Battery, Association, Version, Manufacturer Specific.
            SimNodeKind::SleepingSensor { .. } => {
                vec![0x04, 0x20, 0x01, 0x5E, 0x30, 0x84, 0x80, 0x85, 0x86, 0x72]
            }
            SimNodeKind::Secure(node) => node.node_info(),
            SimNodeKind::Thermostat(t) => t.node_info(),
            SimNodeKind::MeteringPlug(p) => p.node_info(),
            SimNodeKind::Multisensor(m) => m.node_info(),
            SimNodeKind::Bulb(b) => b.node_info(),
            SimNodeKind::Alarm(a) => a.node_info(),
        }
    }

    /// The product id its Manufacturer Specific Report gives ([`product_id`]).
    pub fn product_id(&self) -> u16 {
        match &self.kind {
            SimNodeKind::BinarySwitch { .. } => product_id::BINARY_SWITCH,
            SimNodeKind::SleepingSensor { .. } => product_id::SLEEPING_SENSOR,
            SimNodeKind::Secure(node) => node.state().device.product_id(),
            SimNodeKind::Thermostat(_) => product_id::THERMOSTAT,
            SimNodeKind::MeteringPlug(_) => product_id::METERING_PLUG,
            SimNodeKind::Multisensor(_) => product_id::MULTISENSOR,
            SimNodeKind::Bulb(_) => product_id::BULB,
            SimNodeKind::Alarm(a) if a.types.iter().any(|(t, _)| *t == alarm::WATER) => {
                product_id::LEAK_DETECTOR
            }
            SimNodeKind::Alarm(_) => product_id::SMOKE_CO_ALARM,
        }
    }

    /// Whether a frame sent now would be acknowledged.
    pub fn reachable(&self) -> bool {
        !self.silent
            && match &self.kind {
                SimNodeKind::BinarySwitch { .. }
                | SimNodeKind::Thermostat(_)
                | SimNodeKind::MeteringPlug(_)
                | SimNodeKind::Bulb(_)
                | SimNodeKind::Alarm(_) => true,
                SimNodeKind::Secure(node) => node.is_listening(),
                SimNodeKind::SleepingSensor { awake, .. } => *awake,
                SimNodeKind::Multisensor(m) => m.awake,
            }
    }

    /// The node wakes up: returns its Wake Up Notification (nothing for a node that does not
    /// sleep).
    pub fn wake_up(&mut self) -> Option<Vec<u8>> {
        match &mut self.kind {
            SimNodeKind::SleepingSensor { awake, .. } => {
                *awake = true;
                Some(vec![cc::WAKE_UP, cc::WAKE_UP_NOTIFICATION])
            }
            SimNodeKind::Multisensor(m) => Some(m.wake_up()),
            SimNodeKind::Secure(node) => node.wake_up(),
            SimNodeKind::BinarySwitch { .. }
            | SimNodeKind::Thermostat(_)
            | SimNodeKind::MeteringPlug(_)
            | SimNodeKind::Bulb(_)
            | SimNodeKind::Alarm(_) => None,
        }
    }

    /// Whether Association is served by [`SimNode::lifeline`]: the node lists it and has no
    /// association logic of its own.
    fn has_shared_lifeline(&self) -> bool {
        !matches!(
            self.kind,
            SimNodeKind::MeteringPlug(_) | SimNodeKind::Secure(_)
        ) && self
            .node_info()
            .get(3..)
            .is_some_and(|ccs| ccs.contains(&cc::ASSOCIATION))
    }

    /// Whether the node is asleep.
    pub fn is_asleep(&self) -> bool {
        match &self.kind {
            SimNodeKind::SleepingSensor { awake, .. } => !awake,
            SimNodeKind::Multisensor(m) => !m.awake,
            SimNodeKind::Secure(node) => !node.is_listening(),
            _ => false,
        }
    }

    /// The switch state, if this is a switch.
    pub fn switch_value(&self) -> Option<u8> {
        match self.kind {
            SimNodeKind::BinarySwitch { value } => Some(value),
            _ => None,
        }
    }

    /// Time has passed: what the node sends on its own by `now` (only a secure node that is
    /// joining sends anything: its repeated KEX Set echo).
    pub fn poll(&mut self, now: std::time::Instant) -> Vec<Vec<u8>> {
        match &self.kind {
            SimNodeKind::Secure(node) if !self.silent => node.poll(now),
            _ => Vec::new(),
        }
    }

    /// A frame reached the node; returns its answers (command class frames to the controller).
    pub fn receive(&mut self, payload: &[u8]) -> Vec<Vec<u8>> {
        self.received.push(payload.to_vec());
        if payload.first().is_some_and(|cc| self.mute.contains(cc)) {
            return Vec::new();
        }
        if self.has_shared_lifeline() && addresses_association(payload) {
            let lifeline = &mut self.lifeline;
            return served::serve(payload, |_, command| lifeline.serve(command));
        }
        let served = match &mut self.kind {
            SimNodeKind::Secure(node) => return node.receive(payload),
            SimNodeKind::Thermostat(t) => t.receive(payload),
            SimNodeKind::MeteringPlug(p) => p.receive(payload),
            SimNodeKind::Multisensor(m) => m.receive(payload),
            SimNodeKind::Bulb(b) => b.receive(payload),
            SimNodeKind::Alarm(a) => a.receive(payload),
            _ => None,
        };
        if let Some(answers) = served {
            return answers;
        }
        match (&mut self.kind, payload) {
            (
                SimNodeKind::BinarySwitch { value },
                [cc::BASIC | cc::SWITCH_BINARY, cc::SET, v, ..],
            ) => {
                *value = if *v == 0 { 0x00 } else { 0xFF };
                Vec::new()
            }
            (
                SimNodeKind::BinarySwitch { value },
                [class @ (cc::BASIC | cc::SWITCH_BINARY), cc::GET],
            ) => {
                vec![vec![*class, cc::REPORT, *value]]
            }
            (SimNodeKind::SleepingSensor { battery, .. }, [cc::BATTERY, cc::GET]) => {
                vec![vec![cc::BATTERY, cc::REPORT, *battery]]
            }
            (
                SimNodeKind::SleepingSensor { awake, .. },
                [cc::WAKE_UP, cc::WAKE_UP_NO_MORE_INFORMATION],
            ) => {
                *awake = false;
                Vec::new()
            }
            // Version, Manufacturer Specific, Z-Wave Plus Info: see `identity`.
            _ => identity::answer(&self.node_info(), self.product_id(), payload)
                .into_iter()
                .collect(),
        }
    }
}

/// Whether a frame is an Association command, bare or inside Supervision Get.
fn addresses_association(payload: &[u8]) -> bool {
    match payload {
        [cc::SUPERVISION, 0x01, _, _, command @ ..] => Lifeline::is_association(command),
        command => Lifeline::is_association(command),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_reports_what_it_was_set_to() {
        let mut node = SimNode::binary_switch();
        assert!(node.receive(&[cc::SWITCH_BINARY, cc::SET, 0x01]).is_empty());
        assert_eq!(
            node.receive(&[cc::BASIC, cc::GET]),
            vec![vec![cc::BASIC, cc::REPORT, 0xFF]]
        );
        assert_eq!(
            node.receive(&[cc::SWITCH_BINARY, cc::GET]),
            vec![vec![cc::SWITCH_BINARY, cc::REPORT, 0xFF]]
        );
    }

    #[test]
    fn each_kind_of_node_reports_its_own_product_id() {
        let mut nodes = vec![
            SimNode::binary_switch(),
            SimNode::sleeping_sensor(),
            SimNode::thermostat(),
            SimNode::metering_plug(),
            SimNode::multisensor(),
            SimNode::bulb(),
            SimNode::secure(SecureNode::door_lock(1)),
            SimNode::secure(SecureNode::dimmer(2)),
            SimNode::secure(SecureNode::siren(3)),
            SimNode::secure(SecureNode::sleeping_sensor(4)),
        ];
        let mut reported = Vec::new();
        for node in &mut nodes {
            // Sleeping nodes answer whenever a frame reaches them; reachability is the
            // controller's concern.
            let answer = node.receive(&[0x72, 0x04]);
            let [report] = answer.as_slice() else {
                panic!("{:?} answered {answer:?}", node.kind);
            };
            let id = u16::from_be_bytes([report[6], report[7]]);
            assert_eq!(report[..6], [0x72, 0x05, 0xFF, 0xFF, 0x53, 0x48]);
            assert_eq!(id, node.product_id());
            reported.push(id);
        }
        let count = reported.len();
        reported.sort_unstable();
        reported.dedup();
        assert_eq!(reported.len(), count, "two kinds share a product id");
    }

    #[test]
    fn the_sensor_listens_from_its_wake_up_until_no_more_information() {
        let mut node = SimNode::sleeping_sensor();
        assert!(!node.reachable());
        assert_eq!(
            node.wake_up(),
            Some(vec![cc::WAKE_UP, cc::WAKE_UP_NOTIFICATION])
        );
        assert!(node.reachable());
        node.receive(&[cc::WAKE_UP, cc::WAKE_UP_NO_MORE_INFORMATION]);
        assert!(node.is_asleep());
    }
}
