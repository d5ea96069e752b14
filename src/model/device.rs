//! A device as clients see it: endpoints with capabilities, a name and a room, under an id
//! that stays the same as long as the device stays in the home.

use super::capability::Capability;
use crate::envelope::DeviceId;

/// The id routes use for the hub itself: hub-level commands (list devices, start joining, ...)
/// are addressed to it and its responses are signed by its own device key.
pub const HUB_DEVICE: &str = "hub";

/// Which radio a device is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RadioKind {
    /// Zigbee.
    Zigbee,
    /// Z-Wave.
    Zwave,
}

/// The id of a Zigbee device, from its IEEE address: the same on every start and on a new
/// stick that took the restored network, because the address belongs to the device.
pub fn zigbee_device_id(eui64: u64) -> DeviceId {
    // 3 + 16 characters of [a-z0-9:], always valid.
    DeviceId::new(&format!("zb:{eui64:016x}")).unwrap_or_else(|_| unreachable!())
}

/// The id of a Z-Wave node, from the network's home id and the node id: both survive a restart
/// and a stick swap with a restored backup.
pub fn zwave_device_id(home_id: u32, node: u16) -> DeviceId {
    // 3 + 8 + 1 + up to 5 characters of [a-z0-9:], always valid.
    DeviceId::new(&format!("zw:{home_id:08x}:{node}")).unwrap_or_else(|_| unreachable!())
}

/// One addressable part of a device (a Zigbee endpoint, a Z-Wave end point; 0 for a Z-Wave
/// root device) and what it can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The radio's endpoint number.
    pub id: u8,
    /// A name for this part when the device has several ("left outlet").
    pub name: Option<String>,
    /// What it can do, in a stable order.
    pub capabilities: Vec<Capability>,
}

/// A device of the home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its stable id (see [`zigbee_device_id`], [`zwave_device_id`]).
    pub id: DeviceId,
    /// Its radio.
    pub radio: RadioKind,
    /// The name a person gave it, or one taken from its definition.
    pub name: String,
    /// The room it is in, if a person said.
    pub room: Option<String>,
    /// The manufacturer, as its definition or the device names it.
    pub manufacturer: Option<String>,
    /// The model, likewise.
    pub model: Option<String>,
    /// Whether it sleeps (commands wait for its wake-up).
    pub sleeps: bool,
    /// Its endpoints.
    pub endpoints: Vec<Endpoint>,
}
