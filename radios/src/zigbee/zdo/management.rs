//! Network management (Zigbee spec §2.4.3.3): telling a device to leave, opening and closing the
//! network for joining, and reading a router's neighbour table (link quality for the map).

use deku::prelude::*;

use super::wire::{Eui64, List8, deku_bitflags, deku_payload};

bitflags::bitflags! {
    /// Mgmt_Leave_req options.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LeaveFlags: u8 {
        /// The device also makes its children leave.
        const REMOVE_CHILDREN = 1 << 6;
        /// The device rejoins after leaving.
        const REJOIN = 1 << 7;
    }
}
deku_bitflags!(LeaveFlags, u8);

/// Mgmt_Leave_req (0x0034): remove a device from the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MgmtLeaveRequest {
    /// The device that should leave (all zeros: the receiver itself).
    pub ieee: Eui64,
    /// Rejoin / remove-children flags.
    pub flags: LeaveFlags,
}

/// Mgmt_Permit_Joining_req (0x0036): open (or close, duration 0) the network for joining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MgmtPermitJoiningRequest {
    /// Seconds to permit joining; 0 closes, 0xFF is "forever" (deprecated in R21+).
    pub duration: u8,
    /// Trust-center significance (always 1 since R21).
    pub tc_significance: u8,
}

/// Mgmt_Lqi_req (0x0031): read the neighbour table from an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MgmtLqiRequest {
    /// First entry wanted.
    pub start_index: u8,
}

/// One neighbour table entry (22 bytes; Zigbee spec Table 2.127).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    bit_order = "lsb",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct Neighbor {
    /// Extended PAN ID of the neighbour's network.
    pub extended_pan_id: [u8; 8],
    /// Its IEEE address.
    pub ieee: Eui64,
    /// Its node ID.
    pub nwk: u16,
    /// 2 bits: 0 coordinator, 1 router, 2 end device, 3 unknown.
    #[deku(bits = 2)]
    pub device_type: u8,
    /// 2 bits: 0 off, 1 on, 2 unknown.
    #[deku(bits = 2)]
    pub rx_on_when_idle: u8,
    /// 3 bits: 0 parent, 1 child, 2 sibling, 3 none, 4 previous child.
    #[deku(bits = 3)]
    pub relationship: u8,
    /// Reserved bit.
    #[deku(bits = 1)]
    pub reserved1: u8,
    /// 2 bits: 0 not accepting, 1 accepting, 2 unknown.
    #[deku(bits = 2)]
    pub permit_joining: u8,
    /// Reserved 6 bits.
    #[deku(bits = 6)]
    pub reserved2: u8,
    /// Tree depth.
    pub depth: u8,
    /// Link quality, 0..=255.
    pub lqi: u8,
}

/// Mgmt_Lqi_rsp body after SUCCESS: one page of the neighbour table.
#[derive(Debug, Clone, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct NeighborTable {
    /// Total entries in the table.
    pub total_entries: u8,
    /// Index of the first entry listed.
    pub start_index: u8,
    /// The entries in this page.
    pub neighbors: List8<Neighbor>,
}

deku_payload!(
    MgmtLeaveRequest,
    MgmtPermitJoiningRequest,
    MgmtLqiRequest,
    NeighborTable
);
