//! Networking frames (UG100 "Networking Frames"): starting, forming, scanning, joining, and the
//! stack's status callbacks.

use deku::prelude::*;

use crate::zigbee::ezsp::types::{Eui64, NetworkParameters, Status};

/// `networkInit` (0x0017).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct NetworkInit {
    /// `EmberNetworkInitBitmask` (e.g. 0x0001 parent info in token).
    pub bitmask: u16,
}

/// `networkState` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct NetworkStateResponse {
    /// `EmberNetworkStatus`: 0 no network, 1 joining, 2 joined, 3 joined without parent,
    /// 4 leaving.
    pub status: u8,
}

/// `stackStatusHandler` (0x0019) callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct StackStatusHandler {
    /// `SL_STATUS_NETWORK_UP`, `_DOWN`, ...
    pub status: Status,
}

/// `startScan` (0x001A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct StartScan {
    /// `EzspNetworkScanType`: 0 energy scan, 1 active scan.
    pub scan_type: u8,
    /// Bit n set = scan channel n (11..=26).
    pub channel_mask: u32,
    /// Exponent of the per-channel scan time (0..=14).
    pub duration: u8,
}

/// `scanCompleteHandler` (0x001C) callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ScanCompleteHandler {
    /// Channel the status refers to (on failure).
    pub channel: u8,
    /// Outcome of the scan.
    pub status: Status,
}

/// `energyScanResultHandler` (0x0048) callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct EnergyScanResultHandler {
    /// Channel scanned.
    pub channel: u8,
    /// Highest RSSI seen, dBm.
    pub max_rssi_value: i8,
}

/// `formNetwork` (0x001E).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct FormNetwork {
    /// The network to form.
    pub parameters: NetworkParameters,
}

/// `permitJoining` (0x0022).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct PermitJoining {
    /// Seconds to stay open; 0 closes, 0xFF opens without limit.
    pub duration: u8,
}

/// `getEui64` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetEui64Response {
    /// The NCP's EUI-64.
    pub eui64: Eui64,
}

/// `getNodeId` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetNodeIdResponse {
    /// The NCP's node ID (0x0000 as coordinator).
    pub node_id: u16,
}

/// `getNetworkParameters` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetNetworkParametersResponse {
    /// Whether the node is on a network.
    pub status: Status,
    /// `EmberNodeType` (1 = coordinator).
    pub node_type: u8,
    /// The network.
    pub parameters: NetworkParameters,
}

/// `leaveNetwork` (0x0020): the NCP leaves its network (`stackStatusHandler` NETWORK_DOWN
/// follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct LeaveNetwork {
    /// `EmberLeaveNetworkOption` (EZSP >= 14; 0 = none).
    pub options: u8,
}

/// `setConcentrator` (0x0010): makes the coordinator a concentrator that sends many-to-one
/// route requests, as a trust center must.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetConcentrator {
    /// Boolean byte: on or off.
    pub on: u8,
    /// `EMBER_LOW_RAM_CONCENTRATOR` 0xFFF8 or `EMBER_HIGH_RAM_CONCENTRATOR` 0xFFF9.
    pub concentrator_type: u16,
    /// Minimum seconds between many-to-one route requests.
    pub min_time: u16,
    /// Maximum seconds between them.
    pub max_time: u16,
    /// Route errors that trigger a new request.
    pub route_error_threshold: u8,
    /// Delivery failures that trigger a new request.
    pub delivery_failure_threshold: u8,
    /// Radius of the request, 0 for the stack's default.
    pub max_hops: u8,
}

/// `setRadioPower` (0x0099).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetRadioPower {
    /// Transmit power in dBm.
    pub power: i8,
}

/// `childJoinHandler` (0x0023) callback: a child joined or left this node directly. Layout as
/// zigbee-herdsman 10.9.5 reads it (`ezsp.js`, `CHILD_JOIN_HANDLER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ChildJoinHandler {
    /// Index of the child in the child table.
    pub index: u8,
    /// Boolean byte: 1 joined, 0 left.
    pub joining: u8,
    /// The child's node ID.
    pub child_id: u16,
    /// The child's EUI-64.
    pub child_eui64: Eui64,
    /// `EmberNodeType` of the child (2 router, 3 end device, 4 sleepy end device).
    pub child_type: u8,
}
