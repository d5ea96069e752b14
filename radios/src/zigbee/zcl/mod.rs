//! ZCL, the Zigbee Cluster Library (ZCL spec rev. 7/8): the application messages of Home
//! Automation devices, carried in the APS payload of `incomingMessageHandler` / `sendUnicast`
//! with profile 0x0104.
//!
//! Two stages, as everywhere in sealhub:
//! 1. [`frame`]: [`ZclFrame`] splits header (frame type, manufacturer code, direction, default
//!    response, TSN, command ID) from the payload bytes. Every well-formed frame gets this far,
//!    so unknown commands can still be logged or answered.
//! 2. [`ZclMessage::decode`] decodes the payload by command ID with a `match`: foundation
//!    commands in [`foundation`] (same for every cluster), cluster-specific commands in
//!    [`clusters`] (by cluster ID, direction and command ID). Trailing bytes are refused.
//!
//! [`types`] holds the ZCL data types every attribute value is encoded with.

pub mod clusters;
pub mod foundation;
pub mod frame;
pub mod types;

pub use clusters::ClusterCommand;
pub use foundation::{GeneralCommand, Status};
pub use frame::{Direction, FrameType, Header, ZclFrame};
pub use types::{DataType, Single, Value};

/// Everything that can go wrong decoding or encoding a ZCL frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame ends before its fields do.
    #[error("ZCL frame truncated")]
    Truncated,
    /// Bytes follow the last field.
    #[error("ZCL frame has {0} trailing bytes")]
    TrailingBytes(usize),
    /// Frame type 2 or 3 (reserved).
    #[error("reserved ZCL frame type {0}")]
    ReservedFrameType(u8),
    /// A data type ID whose length is unknown (reserved, or arrays of `nodata`).
    #[error("unknown ZCL data type {0:#04x}")]
    UnknownDataType(u8),
    /// Arrays or structures nested deeper than [`types::MAX_DEPTH`].
    #[error("ZCL arrays/structures nested too deep")]
    TooDeep,
    /// A command this core does not decode (`cluster` is `None` for foundation commands).
    #[error("ZCL command {command_id:#04x} of cluster {cluster:?} not implemented")]
    UnknownCommand {
        /// The cluster, for cluster-specific commands.
        cluster: Option<u16>,
        /// The command ID.
        command_id: u8,
    },
    /// A cluster-specific command carrying a manufacturer code: its layout is the
    /// manufacturer's, so stage two leaves it to the caller (the [`ZclFrame`] keeps it raw).
    #[error("manufacturer-specific command (manufacturer {0:#06x})")]
    ManufacturerSpecific(u16),
    /// A field value the layout cannot carry.
    #[error("invalid ZCL field: {0}")]
    Invalid(String),
}

/// Result of the ZCL layer.
pub type Result<T> = core::result::Result<T, Error>;

/// The decoded payload of a ZCL frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZclCommand {
    /// A foundation command.
    General(GeneralCommand),
    /// A cluster-specific command.
    Cluster(ClusterCommand),
}

/// A ZCL frame with its payload decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ZclMessage {
    /// The header; its `command_id` and `frame_type` must agree with `command`.
    pub header: Header,
    /// The command.
    pub command: ZclCommand,
}

impl ZclMessage {
    /// Decodes a whole APS payload received on cluster `cluster_id`.
    pub fn decode(cluster_id: u16, bytes: &[u8]) -> Result<Self> {
        let frame = ZclFrame::decode(bytes)?;
        Self::from_frame(cluster_id, &frame)
    }

    /// Stage two on an already split frame.
    pub fn from_frame(cluster_id: u16, frame: &ZclFrame) -> Result<Self> {
        let header = frame.header;
        let command = match header.frame_type {
            FrameType::Global => {
                ZclCommand::General(GeneralCommand::decode(header.command_id, &frame.payload)?)
            }
            FrameType::ClusterSpecific => {
                if let Some(code) = header.manufacturer_code {
                    return Err(Error::ManufacturerSpecific(code));
                }
                ZclCommand::Cluster(ClusterCommand::decode(
                    cluster_id,
                    header.direction,
                    header.command_id,
                    &frame.payload,
                )?)
            }
        };
        Ok(Self { header, command })
    }

    /// Encodes the whole APS payload; refuses a header whose command ID or frame type
    /// disagrees with the command.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let (frame_type, command_id, payload) = match &self.command {
            ZclCommand::General(g) => (FrameType::Global, g.command_id(), g.encode()?),
            ZclCommand::Cluster(c) => {
                if self.header.direction != c.direction() || self.header.manufacturer_code.is_some()
                {
                    return Err(Error::Invalid(
                        "header direction / manufacturer code disagree with the command".into(),
                    ));
                }
                (FrameType::ClusterSpecific, c.command_id(), c.encode()?)
            }
        };
        if self.header.frame_type != frame_type || self.header.command_id != command_id {
            return Err(Error::Invalid(
                "header frame type / command ID disagree with the command".into(),
            ));
        }
        ZclFrame {
            header: self.header,
            payload,
        }
        .encode()
    }
}
