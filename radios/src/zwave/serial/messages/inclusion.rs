//! Adding and removing nodes: AddNodeToNetwork (0x4A) and RemoveNodeFromNetwork (0x4B). The
//! host sends a mode and a callback id; the stick answers with no response but a series of
//! status callbacks carrying that id (ready, node found, adding, protocol done, done/failed).
//!
//! Implemented: both requests (mode plus the high-power and network-wide flags) and both status
//! callbacks in the Host API layout `callbackId status nodeId len nodeInfo[len]`. Not
//! implemented: SmartStart modes' extra fields, 16-bit node ids.

use deku::prelude::*;

use super::{Error, Result, decode_exact, encode_deku};

bitflags::bitflags! {
    /// Flags OR-ed into the mode byte of AddNode/RemoveNode.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct InclusionFlags: u8 {
        /// Use normal power rather than low power for inclusion.
        const HIGH_POWER = 0x80;
        /// Network-wide inclusion (explorer frames).
        const NETWORK_WIDE = 0x40;
    }
}

/// What kind of node AddNodeToNetwork should accept, or the command to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddNodeMode {
    /// Any node type.
    Any,
    /// A controller.
    Controller,
    /// An end node.
    EndNode,
    /// An existing node (re-add).
    Existing,
    /// Stop inclusion.
    Stop,
    /// Stop after a failure.
    StopFailed,
    /// A mode byte this module does not name.
    Other(u8),
}

impl AddNodeMode {
    fn to_bits(self) -> u8 {
        match self {
            Self::Any => 0x01,
            Self::Controller => 0x02,
            Self::EndNode => 0x03,
            Self::Existing => 0x04,
            Self::Stop => 0x05,
            Self::StopFailed => 0x06,
            Self::Other(b) => b,
        }
    }

    fn from_bits(b: u8) -> Self {
        match b {
            0x01 => Self::Any,
            0x02 => Self::Controller,
            0x03 => Self::EndNode,
            0x04 => Self::Existing,
            0x05 => Self::Stop,
            0x06 => Self::StopFailed,
            other => Self::Other(other),
        }
    }
}

/// What kind of node RemoveNodeFromNetwork should remove, or the command to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoveNodeMode {
    /// Any node type.
    Any,
    /// A controller.
    Controller,
    /// An end node.
    EndNode,
    /// Stop exclusion.
    Stop,
    /// A mode byte this module does not name.
    Other(u8),
}

impl RemoveNodeMode {
    fn to_bits(self) -> u8 {
        match self {
            Self::Any => 0x01,
            Self::Controller => 0x02,
            Self::EndNode => 0x03,
            Self::Stop => 0x05,
            Self::Other(b) => b,
        }
    }

    fn from_bits(b: u8) -> Self {
        match b {
            0x01 => Self::Any,
            0x02 => Self::Controller,
            0x03 => Self::EndNode,
            0x05 => Self::Stop,
            other => Self::Other(other),
        }
    }
}

const FLAG_MASK: u8 = 0xC0;

fn mode_byte(mode: u8, flags: InclusionFlags) -> Result<u8> {
    if mode & FLAG_MASK != 0 {
        return Err(Error::Malformed {
            function: 0x4A,
            reason: format!("mode {mode:#04x} overlaps the flag bits"),
        });
    }
    Ok(mode | flags.bits())
}

/// AddNodeToNetwork request (0x4A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddNodeRequest {
    /// Which node type to accept, or stop.
    pub mode: AddNodeMode,
    /// Power and network-wide flags.
    pub flags: InclusionFlags,
    /// Id carried by every status callback; 0 asks for none.
    pub callback_id: u8,
}

impl AddNodeRequest {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        match payload {
            [mode, callback_id] => Ok(Self {
                mode: AddNodeMode::from_bits(mode & !FLAG_MASK),
                flags: InclusionFlags::from_bits_truncate(*mode),
                callback_id: *callback_id,
            }),
            [_, _, rest @ ..] => Err(Error::TrailingBytes {
                function: 0x4A,
                count: rest.len(),
            }),
            _ => Err(Error::Truncated { function: 0x4A }),
        }
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        Ok(vec![
            mode_byte(self.mode.to_bits(), self.flags)?,
            self.callback_id,
        ])
    }
}

/// RemoveNodeFromNetwork request (0x4B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoveNodeRequest {
    /// Which node type to remove, or stop.
    pub mode: RemoveNodeMode,
    /// Power and network-wide flags.
    pub flags: InclusionFlags,
    /// Id carried by every status callback; 0 asks for none.
    pub callback_id: u8,
}

impl RemoveNodeRequest {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        match payload {
            [mode, callback_id] => Ok(Self {
                mode: RemoveNodeMode::from_bits(mode & !FLAG_MASK),
                flags: InclusionFlags::from_bits_truncate(*mode),
                callback_id: *callback_id,
            }),
            [_, _, rest @ ..] => Err(Error::TrailingBytes {
                function: 0x4B,
                count: rest.len(),
            }),
            _ => Err(Error::Truncated { function: 0x4B }),
        }
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        Ok(vec![
            mode_byte(self.mode.to_bits(), self.flags)?,
            self.callback_id,
        ])
    }
}

/// Progress reported by AddNode/RemoveNode callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InclusionStatus {
    /// The stick is ready and waiting for a node to press its button.
    Ready,
    /// A node answered.
    NodeFound,
    /// Adding/removing an end node; node information follows.
    EndNode,
    /// Adding/removing a controller; node information follows.
    Controller,
    /// AddNode only: the protocol part is done; the host sends Stop next.
    ProtocolDone,
    /// Finished.
    Done,
    /// Failed.
    Failed,
    /// A status this module does not name.
    Other(u8),
}

impl InclusionStatus {
    fn to_byte(self) -> u8 {
        match self {
            Self::Ready => 0x01,
            Self::NodeFound => 0x02,
            Self::EndNode => 0x03,
            Self::Controller => 0x04,
            Self::ProtocolDone => 0x05,
            Self::Done => 0x06,
            Self::Failed => 0x07,
            Self::Other(b) => b,
        }
    }

    fn from_byte(b: u8) -> Self {
        match b {
            0x01 => Self::Ready,
            0x02 => Self::NodeFound,
            0x03 => Self::EndNode,
            0x04 => Self::Controller,
            0x05 => Self::ProtocolDone,
            0x06 => Self::Done,
            0x07 => Self::Failed,
            other => Self::Other(other),
        }
    }
}

/// AddNode (0x4A) or RemoveNode (0x4B) status callback.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionCallback {
    /// The request's callback id.
    pub callback_id: u8,
    /// Progress.
    #[deku(
        map = "|b: u8| -> core::result::Result<_, DekuError> { Ok(InclusionStatus::from_byte(b)) }",
        writer = "self.status.to_byte().to_writer(deku::writer, ())"
    )]
    pub status: InclusionStatus,
    /// The node concerned (0 while none is known).
    pub node_id: u8,
    #[deku(temp, temp_value = "super::len_u8(node_info.len())?")]
    node_info_len: u8,
    /// Basic, generic, specific class and command classes, when status is EndNode/Controller.
    #[deku(count = "node_info_len")]
    pub node_info: Vec<u8>,
}

impl InclusionCallback {
    pub(super) fn decode(function: u8, payload: &[u8]) -> Result<Self> {
        decode_exact(function, payload)
    }

    pub(super) fn encode(&self, function: u8) -> Result<Vec<u8>> {
        encode_deku(function, self)
    }
}
