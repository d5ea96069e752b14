//! The descriptors a node describes itself with (Zigbee spec §2.3.2): node, power and simple
//! descriptors, and the MAC capability flags also carried by Device Announce. The hub reads them
//! when a device joins to decide what it is and which clusters to bind.

use deku::prelude::*;

use super::wire::{List8, deku_bitflags};

bitflags::bitflags! {
    /// MAC capability flags (IEEE 802.15.4 capability information, Zigbee spec §3.6.1.4.1): whether
    /// the node routes, is mains powered and keeps its receiver on, so the hub knows whether it
    /// can be reached at any time or only when it polls.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct MacCapabilities: u8 {
        /// Could act as PAN coordinator.
        const ALTERNATE_PAN_COORDINATOR = 1 << 0;
        /// Full-function device (a router).
        const FULL_FUNCTION_DEVICE = 1 << 1;
        /// Mains powered.
        const MAINS_POWERED = 1 << 2;
        /// Receiver on when idle (not a sleepy end device).
        const RX_ON_WHEN_IDLE = 1 << 3;
        /// Supports MAC security (unused by Zigbee).
        const SECURITY_CAPABLE = 1 << 6;
        /// Asks the parent to allocate a short address.
        const ALLOCATE_ADDRESS = 1 << 7;
    }
}
deku_bitflags!(MacCapabilities, u8);

/// Logical type of a node (node descriptor bits 0..3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalType {
    /// The coordinator (the hub's own stick).
    Coordinator,
    /// A router.
    Router,
    /// An end device (may sleep).
    EndDevice,
    /// A reserved value.
    Reserved(u8),
}

/// The node descriptor (Zigbee spec §2.3.2.3), 13 bytes with little-endian bit fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    bit_order = "lsb",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct NodeDescriptor {
    /// Logical type, 3 bits: 0 coordinator, 1 router, 2 end device.
    #[deku(bits = 3)]
    pub logical_type: u8,
    /// Complex descriptor available, 1 bit.
    #[deku(bits = 1)]
    pub complex_descriptor_available: u8,
    /// User descriptor available, 1 bit.
    #[deku(bits = 1)]
    pub user_descriptor_available: u8,
    /// Reserved, 3 bits (kept for byte-exact re-encoding).
    #[deku(bits = 3)]
    pub reserved: u8,
    /// APS flags, 3 bits (unused by the specification).
    #[deku(bits = 3)]
    pub aps_flags: u8,
    /// Frequency bands, 5 bits: bit 3 is 2.4 GHz, bit 0 868 MHz, bit 2 902-928 MHz.
    #[deku(bits = 5)]
    pub frequency_bands: u8,
    /// MAC capability flags.
    pub mac_capabilities: MacCapabilities,
    /// Manufacturer code (the same registry as the ZCL manufacturer code).
    pub manufacturer_code: u16,
    /// Largest NSDU in bytes.
    pub maximum_buffer_size: u8,
    /// Largest ASDU it can receive, fragmentation included.
    pub maximum_incoming_transfer_size: u16,
    /// Server mask: trust center, binding table, network manager bits; revision in bits 9..15.
    pub server_mask: u16,
    /// Largest ASDU it can send.
    pub maximum_outgoing_transfer_size: u16,
    /// Descriptor capability: extended endpoint / simple descriptor lists.
    pub descriptor_capability: u8,
}

impl NodeDescriptor {
    /// The logical type, decoded.
    pub fn logical(&self) -> LogicalType {
        match self.logical_type {
            0 => LogicalType::Coordinator,
            1 => LogicalType::Router,
            2 => LogicalType::EndDevice,
            other => LogicalType::Reserved(other),
        }
    }
}

/// The power descriptor (Zigbee spec §2.3.2.4), two bytes of 4-bit fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    bit_order = "lsb",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct PowerDescriptor {
    /// 0 receiver on when idle, 1 periodically on, 2 on when stimulated.
    #[deku(bits = 4)]
    pub current_power_mode: u8,
    /// Bits: 0 mains, 1 rechargeable battery, 2 disposable battery.
    #[deku(bits = 4)]
    pub available_power_sources: u8,
    /// One of the source bits, the one in use.
    #[deku(bits = 4)]
    pub current_power_source: u8,
    /// 0 critical, 4 33 %, 8 66 %, 12 100 %.
    #[deku(bits = 4)]
    pub current_power_source_level: u8,
}

/// The simple descriptor of one endpoint (Zigbee spec §2.3.2.5): what the endpoint is and which
/// clusters it serves (in) and uses (out), from which the hub picks what to bind and read.
#[derive(Debug, Clone, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct SimpleDescriptor {
    /// Endpoint, 1..=240.
    pub endpoint: u8,
    /// Application profile (0x0104 Home Automation).
    pub profile: u16,
    /// Device ID within the profile.
    pub device_id: u16,
    /// Device version in the low 4 bits (the high 4 are reserved, kept as sent).
    pub version: u8,
    /// Server clusters.
    pub in_clusters: List8<u16>,
    /// Client clusters.
    pub out_clusters: List8<u16>,
}
