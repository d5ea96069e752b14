//! Messaging frames (UG100 "Messaging Frames"): sending a unicast, broadcast or multicast, the
//! multicast table and source-route discovery, and the callbacks that report delivery and
//! incoming messages. EZSP >= 14 layouts: 32-bit status, 16-bit message tag,
//! packet info struct.

use deku::prelude::*;

use crate::zigbee::ezsp::types::{
    ApsFrame, Bytes8, MulticastTableEntry, OutgoingMessageType, PacketInfo, Status,
};

/// `sendUnicast` (0x0034).
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SendUnicast {
    /// `EmberOutgoingMessageType`: 0 direct, 1 via address table, 2 via binding.
    pub message_type: OutgoingMessageType,
    /// Node ID, or the table index for the indirect types.
    pub index_or_destination: u16,
    /// APS header.
    pub aps_frame: ApsFrame,
    /// Host's tag, echoed in `messageSentHandler`.
    pub message_tag: u16,
    /// The APS payload (ZCL frame), length-prefixed.
    pub message: Bytes8,
}

/// `sendUnicast` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SendUnicastResponse {
    /// Whether the message was queued.
    pub status: Status,
    /// The APS sequence number assigned.
    pub sequence: u8,
}

/// `messageSentHandler` (0x003F) callback.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MessageSentHandler {
    /// Delivery outcome (APS ack received or not).
    pub status: Status,
    /// How the message was addressed.
    pub message_type: OutgoingMessageType,
    /// Node ID or table index.
    pub index_or_destination: u16,
    /// APS header as sent.
    pub aps_frame: ApsFrame,
    /// The host's tag from `sendUnicast`.
    pub message_tag: u16,
    /// The message, if the NCP includes it (often empty), length-prefixed.
    pub message: Bytes8,
}

/// `incomingMessageHandler` (0x0045) callback.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct IncomingMessageHandler {
    /// `EmberIncomingMessageType`: 0 unicast, 1 unicast reply, 2 multicast, ...
    pub message_type: u8,
    /// APS header as received.
    pub aps_frame: ApsFrame,
    /// Sender and link quality.
    pub packet_info: PacketInfo,
    /// The APS payload (ZCL frame), length-prefixed.
    pub message: Bytes8,
}

/// `sendBroadcast` (0x0036), EZSP >= 14 layout (with NWK alias and sequence).
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SendBroadcast {
    /// Source alias, 0xFFFF for none.
    pub alias: u16,
    /// Broadcast address: 0xFFFF all, 0xFFFD receivers on when idle, 0xFFFC routers.
    pub destination: u16,
    /// NWK sequence number used with an alias.
    pub nwk_sequence: u8,
    /// APS header.
    pub aps_frame: ApsFrame,
    /// Maximum hops.
    pub radius: u8,
    /// Host's tag, echoed in `messageSentHandler`.
    pub message_tag: u16,
    /// The APS payload, length-prefixed.
    pub message: Bytes8,
}

/// `sendMulticast` (0x0038), EZSP >= 14 layout.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SendMulticast {
    /// APS header; its `group_id` is the destination group.
    pub aps_frame: ApsFrame,
    /// Maximum hops.
    pub hops: u8,
    /// Broadcast address the group message travels to (0 for the stack's default).
    pub broadcast_addr: u16,
    /// Source alias, 0xFFFF for none.
    pub alias: u16,
    /// NWK sequence number used with an alias.
    pub nwk_sequence: u8,
    /// Host's tag, echoed in `messageSentHandler`.
    pub message_tag: u16,
    /// The APS payload, length-prefixed.
    pub message: Bytes8,
}

/// The answer to `sendBroadcast` and `sendMulticast`: same layout as [`SendUnicastResponse`].
pub type SendBroadcastResponse = SendUnicastResponse;

/// `setSourceRouteDiscoveryMode` (0x005A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetSourceRouteDiscoveryMode {
    /// `EmberSourceRouteDiscoveryMode`: 0 off, 1 on, 2 reschedule.
    pub mode: u8,
}

/// `setSourceRouteDiscoveryMode` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetSourceRouteDiscoveryModeResponse {
    /// Milliseconds until the next many-to-one route request.
    pub remaining_time: u32,
}

/// `setMulticastTableEntry` (0x0064).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetMulticastTableEntry {
    /// Table index.
    pub index: u8,
    /// The entry.
    pub entry: MulticastTableEntry,
}
