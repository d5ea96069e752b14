//! What nodes send to the host: command class frames received by the stick
//! (ApplicationCommandHandler 0x04, and 0xA8 on bridge firmware) and network updates such as
//! a node information frame (ApplicationUpdate 0x49). All arrive as unsolicited requests.
//!
//! Implemented: both command handlers with their receive status and command bytes, keeping any
//! trailer (RSSI and, on newer SDKs, more) raw; ApplicationUpdate with the node-information
//! layout for NodeInfo_Received (0x84) and Node_Added (0x40), every other update type raw.

use deku::prelude::*;

use super::{Error, Result, decode_exact, encode_deku};

bitflags::bitflags! {
    /// Receive status of an incoming command class frame.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ReceiveStatus: u8 {
        /// A routed frame was received while the routing layer was busy.
        const ROUTED_BUSY = 0x01;
        /// Received at low power.
        const LOW_POWER = 0x02;
        /// Broadcast frame (type bits 0x0C = 0x04).
        const BROADCAST = 0x04;
        /// Multicast frame (type bits 0x0C = 0x08).
        const MULTICAST = 0x08;
        /// Received through an explorer frame.
        const EXPLORE = 0x10;
        /// Frame addressed to another node (promiscuous mode).
        const FOREIGN_FRAME = 0x40;
        /// Frame from another network.
        const FOREIGN_HOME_ID = 0x80;
    }
}

fn rssi_of(trailer: &[u8]) -> Option<i8> {
    trailer.first().map(|b| i8::from_le_bytes([*b]))
}

/// ApplicationCommandHandler (0x04): a command class frame from a node.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationCommand {
    /// Receive status.
    #[deku(
        map = "|b: u8| -> core::result::Result<_, DekuError> { \
               Ok(ReceiveStatus::from_bits_retain(b)) }",
        writer = "self.rx_status.bits().to_writer(deku::writer, ())"
    )]
    pub rx_status: ReceiveStatus,
    /// Sending node (8-bit node-id mode).
    pub source_node: u8,
    #[deku(temp, temp_value = "super::len_u8(command.len())?")]
    command_len: u8,
    /// Command class id, command id and parameters (not decoded here).
    #[deku(count = "command_len")]
    pub command: Vec<u8>,
    /// Bytes after the command: RSSI first on SDKs that send it; kept raw.
    #[deku(read_all)]
    pub trailer: Vec<u8>,
}

impl ApplicationCommand {
    /// Receive signal strength in dBm, if the stick sent it (0x7D..=0x7F are markers for
    /// "not available" etc., not levels).
    pub fn rssi(&self) -> Option<i8> {
        rssi_of(&self.trailer)
    }

    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        decode_exact(0x04, payload)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x04, self)
    }
}

/// BridgeApplicationCommandHandler (0xA8): as 0x04, with the destination node (bridge firmware
/// can emulate several nodes).
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeApplicationCommand {
    /// Receive status.
    #[deku(
        map = "|b: u8| -> core::result::Result<_, DekuError> { \
               Ok(ReceiveStatus::from_bits_retain(b)) }",
        writer = "self.rx_status.bits().to_writer(deku::writer, ())"
    )]
    pub rx_status: ReceiveStatus,
    /// Node the frame was addressed to (the stick or a virtual node).
    pub destination_node: u8,
    /// Sending node.
    pub source_node: u8,
    #[deku(temp, temp_value = "super::len_u8(command.len())?")]
    command_len: u8,
    /// Command class id, command id and parameters.
    #[deku(count = "command_len")]
    pub command: Vec<u8>,
    /// Multicast node mask length and mask, then RSSI, on SDKs that send them; kept raw.
    #[deku(read_all)]
    pub trailer: Vec<u8>,
}

impl BridgeApplicationCommand {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        decode_exact(0xA8, payload)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0xA8, self)
    }
}

/// Node information: what a node is and which command classes it supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInformation {
    /// The node.
    pub node_id: u8,
    /// Basic, generic and specific device class, then the command class list; kept as sent
    /// because the command class list has markers that a later layer interprets.
    pub data: Vec<u8>,
}

/// ApplicationUpdate (0x49): a network event (node info received, node added elsewhere, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationUpdate {
    /// 0x84: a node information frame arrived (after RequestNodeInfo or unsolicited).
    NodeInfoReceived(NodeInformation),
    /// 0x40: another controller added a node.
    NodeAdded(NodeInformation),
    /// Any other update type, raw.
    Other {
        /// Update type byte.
        update_type: u8,
        /// The bytes after it.
        body: Vec<u8>,
    },
}

const NODE_INFO_RECEIVED: u8 = 0x84;
const NODE_ADDED: u8 = 0x40;

/// `nodeId len data[len]`, the node-information shape inside an ApplicationUpdate.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeInfoWire {
    node_id: u8,
    #[deku(temp, temp_value = "super::len_u8(data.len())?")]
    len: u8,
    #[deku(count = "len")]
    data: Vec<u8>,
}

impl ApplicationUpdate {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        let (&update_type, body) = payload
            .split_first()
            .ok_or(Error::Truncated { function: 0x49 })?;
        let node_info = |body: &[u8]| -> Result<NodeInformation> {
            let wire: NodeInfoWire = decode_exact(0x49, body)?;
            Ok(NodeInformation {
                node_id: wire.node_id,
                data: wire.data,
            })
        };
        Ok(match update_type {
            NODE_INFO_RECEIVED => Self::NodeInfoReceived(node_info(body)?),
            NODE_ADDED => Self::NodeAdded(node_info(body)?),
            _ => Self::Other {
                update_type,
                body: body.to_vec(),
            },
        })
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        let (update_type, info) = match self {
            Self::NodeInfoReceived(info) => (NODE_INFO_RECEIVED, info),
            Self::NodeAdded(info) => (NODE_ADDED, info),
            Self::Other { update_type, body } => {
                let mut out = vec![*update_type];
                out.extend_from_slice(body);
                return Ok(out);
            }
        };
        let mut out = vec![update_type];
        out.extend(encode_deku(
            0x49,
            &NodeInfoWire {
                node_id: info.node_id,
                data: info.data.clone(),
            },
        )?);
        Ok(out)
    }
}
