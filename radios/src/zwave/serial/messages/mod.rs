//! Stage two of the Serial API: what a data frame's payload means, by function id.
//!
//! [`HostMessage`] is everything the host sends and [`StickMessage`] everything the stick sends
//! (responses, callbacks and unsolicited requests), each with one variant per function and a
//! `match` on the function id; `encode` and `decode` mirror each other so the emulator can use
//! the same types. Fixed-format payloads refuse trailing bytes. A function id this module does
//! not implement decodes to `Unknown`, so it can still be ACKed, logged and passed on.
//!
//! Areas, one file each: [`capabilities`], [`transmit`], [`application`], [`inclusion`],
//! [`network`], [`nvm`].

pub mod application;
pub mod capabilities;
pub mod inclusion;
pub mod network;
pub mod nvm;
pub mod transmit;

use deku::{DekuContainerRead, DekuContainerWrite, DekuError};

use super::frame::{self, DataFrame, FrameType};
use application::{ApplicationCommand, ApplicationUpdate, BridgeApplicationCommand};
use capabilities::{
    ControllerCapabilities, ControllerId, ControllerVersion, SerialApiCapabilities,
    SerialApiInitData, SerialApiStarted, SetupRequest, SetupResponse,
};
use inclusion::{AddNodeRequest, InclusionCallback, RemoveNodeRequest};
use network::{NodeProtocolInfo, ProtocolVersion};
use transmit::{SendDataCallback, SendDataRequest, SendDataResponse};

/// Function ids (FUNC) of the messages this module implements.
pub mod function {
    /// GetSerialApiInitData.
    pub const GET_SERIAL_API_INIT_DATA: u8 = 0x02;
    /// ApplicationCommandHandler.
    pub const APPLICATION_COMMAND: u8 = 0x04;
    /// GetControllerCapabilities.
    pub const GET_CONTROLLER_CAPABILITIES: u8 = 0x05;
    /// GetSerialApiCapabilities.
    pub const GET_SERIAL_API_CAPABILITIES: u8 = 0x07;
    /// SoftReset.
    pub const SOFT_RESET: u8 = 0x08;
    /// GetProtocolVersion.
    pub const GET_PROTOCOL_VERSION: u8 = 0x09;
    /// SerialApiStarted.
    pub const SERIAL_API_STARTED: u8 = 0x0A;
    /// SerialApiSetup.
    pub const SERIAL_API_SETUP: u8 = 0x0B;
    /// SendData.
    pub const SEND_DATA: u8 = 0x13;
    /// GetControllerVersion.
    pub const GET_CONTROLLER_VERSION: u8 = 0x15;
    /// GetControllerId (MemoryGetId).
    pub const GET_CONTROLLER_ID: u8 = 0x20;
    /// GetNodeProtocolInfo.
    pub const GET_NODE_PROTOCOL_INFO: u8 = 0x41;
    /// ApplicationUpdate.
    pub const APPLICATION_UPDATE: u8 = 0x49;
    /// AddNodeToNetwork.
    pub const ADD_NODE: u8 = 0x4A;
    /// RemoveNodeFromNetwork.
    pub const REMOVE_NODE: u8 = 0x4B;
    /// GetSucNodeId.
    pub const GET_SUC_NODE_ID: u8 = 0x56;
    /// RequestNodeInfo.
    pub const REQUEST_NODE_INFO: u8 = 0x60;
    /// BridgeApplicationCommandHandler.
    pub const BRIDGE_APPLICATION_COMMAND: u8 = 0xA8;
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The payload ends before its fields do.
    #[error("function {function:#04x}: payload truncated")]
    Truncated {
        /// Function id.
        function: u8,
    },
    /// Bytes after a fixed-format payload.
    #[error("function {function:#04x}: {count} trailing bytes")]
    TrailingBytes {
        /// Function id.
        function: u8,
        /// How many.
        count: usize,
    },
    /// A field holds a value the format does not allow.
    #[error("function {function:#04x}: {reason}")]
    Malformed {
        /// Function id.
        function: u8,
        /// What was wrong.
        reason: String,
    },
    /// A known function in the wrong direction (e.g. a response where only requests exist).
    #[error("function {function:#04x} is not expected as a {frame_type:?}")]
    UnexpectedType {
        /// Function id.
        function: u8,
        /// The frame's type.
        frame_type: FrameType,
    },
    /// The encoded payload does not fit in a frame.
    #[error(transparent)]
    Frame(#[from] frame::Error),
}

/// Result of this layer.
pub type Result<T> = core::result::Result<T, Error>;

fn map_deku(function: u8, e: DekuError) -> Error {
    match e {
        DekuError::Incomplete(_) => Error::Truncated { function },
        other => Error::Malformed {
            function,
            reason: other.to_string(),
        },
    }
}

/// Decodes a deku struct that must use the whole payload.
fn decode_exact<'a, T: DekuContainerRead<'a>>(function: u8, payload: &'a [u8]) -> Result<T> {
    let ((rest, bit), value) = T::from_bytes((payload, 0)).map_err(|e| map_deku(function, e))?;
    if bit != 0 || !rest.is_empty() {
        return Err(Error::TrailingBytes {
            function,
            count: rest.len(),
        });
    }
    Ok(value)
}

fn encode_deku<T: DekuContainerWrite>(function: u8, value: &T) -> Result<Vec<u8>> {
    value.to_bytes().map_err(|e| map_deku(function, e))
}

/// A length for a one-byte length field, refusing more than 255 (used by deku `temp_value`).
fn len_u8(len: usize) -> core::result::Result<u8, DekuError> {
    u8::try_from(len).map_err(|_| DekuError::InvalidParam("length exceeds 255".into()))
}

/// Node ids from a node bitmask (bit `n` of byte `k` ⇔ node `8k + n + 1`).
pub fn parse_node_mask(mask: &[u8]) -> Vec<u16> {
    let mut out = Vec::new();
    for (k, byte) in mask.iter().enumerate() {
        for bit in 0..8u16 {
            if byte & (1 << bit) != 0 {
                if let Ok(k) = u16::try_from(k) {
                    out.push(k * 8 + bit + 1);
                }
            }
        }
    }
    out
}

fn expect_empty(function: u8, payload: &[u8]) -> Result<()> {
    if payload.is_empty() {
        Ok(())
    } else {
        Err(Error::TrailingBytes {
            function,
            count: payload.len(),
        })
    }
}

/// Everything the host sends to the stick (all are requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMessage {
    /// 0x15: library version and type.
    GetControllerVersion,
    /// 0x07: firmware version, ids and supported functions.
    GetSerialApiCapabilities,
    /// 0x05: the controller's role.
    GetControllerCapabilities,
    /// 0x02: API version and the node list.
    GetSerialApiInitData,
    /// 0x20: home id and own node id.
    GetControllerId,
    /// 0x0B: configure the Serial API.
    SerialApiSetup(SetupRequest),
    /// 0x08: restart the stick (no response; SerialApiStarted follows on newer firmware).
    SoftReset,
    /// 0x13: send a command class frame.
    SendData(SendDataRequest),
    /// 0x4A: start or stop inclusion.
    AddNode(AddNodeRequest),
    /// 0x4B: start or stop exclusion.
    RemoveNode(RemoveNodeRequest),
    /// 0x09: the Z-Wave protocol version.
    GetProtocolVersion,
    /// 0x41: what the stick knows about a node from its inclusion.
    GetNodeProtocolInfo {
        /// The node.
        node_id: u8,
    },
    /// 0x56: which node is the SUC.
    GetSucNodeId,
    /// 0x60: ask a node for its node information frame (answered by ApplicationUpdate).
    RequestNodeInfo {
        /// The node.
        node_id: u8,
    },
    /// Any other function, raw.
    Unknown {
        /// Function id.
        function: u8,
        /// Payload.
        payload: Vec<u8>,
    },
}

impl HostMessage {
    /// The function id this message travels under.
    pub fn function(&self) -> u8 {
        use function as f;
        match self {
            Self::GetControllerVersion => f::GET_CONTROLLER_VERSION,
            Self::GetSerialApiCapabilities => f::GET_SERIAL_API_CAPABILITIES,
            Self::GetControllerCapabilities => f::GET_CONTROLLER_CAPABILITIES,
            Self::GetSerialApiInitData => f::GET_SERIAL_API_INIT_DATA,
            Self::GetControllerId => f::GET_CONTROLLER_ID,
            Self::SerialApiSetup(_) => f::SERIAL_API_SETUP,
            Self::SoftReset => f::SOFT_RESET,
            Self::SendData(_) => f::SEND_DATA,
            Self::AddNode(_) => f::ADD_NODE,
            Self::RemoveNode(_) => f::REMOVE_NODE,
            Self::GetProtocolVersion => f::GET_PROTOCOL_VERSION,
            Self::GetNodeProtocolInfo { .. } => f::GET_NODE_PROTOCOL_INFO,
            Self::GetSucNodeId => f::GET_SUC_NODE_ID,
            Self::RequestNodeInfo { .. } => f::REQUEST_NODE_INFO,
            Self::Unknown { function, .. } => *function,
        }
    }

    /// Whether the stick answers with a response frame (SoftReset and the inclusion commands
    /// have none; unknown functions are assumed to have one).
    pub fn expects_response(&self) -> bool {
        !matches!(
            self,
            Self::SoftReset | Self::AddNode(_) | Self::RemoveNode(_)
        )
    }

    /// The callback id the stick's callback will carry, if one is expected (an id of 0 asks
    /// for none).
    pub fn callback_id(&self) -> Option<u8> {
        let id = match self {
            Self::SendData(r) => r.callback_id,
            Self::AddNode(r) => r.callback_id,
            Self::RemoveNode(r) => r.callback_id,
            _ => 0,
        };
        (id != 0).then_some(id)
    }

    /// The request frame.
    pub fn encode(&self) -> Result<DataFrame> {
        let payload = match self {
            Self::GetControllerVersion
            | Self::GetSerialApiCapabilities
            | Self::GetControllerCapabilities
            | Self::GetSerialApiInitData
            | Self::GetControllerId
            | Self::SoftReset
            | Self::GetProtocolVersion
            | Self::GetSucNodeId => Vec::new(),
            Self::GetNodeProtocolInfo { node_id } | Self::RequestNodeInfo { node_id } => {
                vec![*node_id]
            }
            Self::SerialApiSetup(r) => r.encode(),
            Self::SendData(r) => r.encode()?,
            Self::AddNode(r) => r.encode()?,
            Self::RemoveNode(r) => r.encode()?,
            Self::Unknown { payload, .. } => payload.clone(),
        };
        Ok(DataFrame::request(self.function(), payload)?)
    }

    /// Reads a host request (used by the emulator and for logs), the mirror of
    /// [`HostMessage::encode`].
    pub fn decode(frame: &DataFrame) -> Result<Self> {
        use function as f;
        let function = frame.function();
        if frame.frame_type() != FrameType::Request {
            return Err(Error::UnexpectedType {
                function,
                frame_type: frame.frame_type(),
            });
        }
        let p = frame.payload();
        let empty = |message: Self| expect_empty(function, p).map(|()| message);
        match function {
            f::GET_CONTROLLER_VERSION => empty(Self::GetControllerVersion),
            f::GET_SERIAL_API_CAPABILITIES => empty(Self::GetSerialApiCapabilities),
            f::GET_CONTROLLER_CAPABILITIES => empty(Self::GetControllerCapabilities),
            f::GET_SERIAL_API_INIT_DATA => empty(Self::GetSerialApiInitData),
            f::GET_CONTROLLER_ID => empty(Self::GetControllerId),
            f::SOFT_RESET => empty(Self::SoftReset),
            f::SERIAL_API_SETUP => SetupRequest::decode(p).map(Self::SerialApiSetup),
            f::SEND_DATA => SendDataRequest::decode(p).map(Self::SendData),
            f::ADD_NODE => AddNodeRequest::decode(p).map(Self::AddNode),
            f::REMOVE_NODE => RemoveNodeRequest::decode(p).map(Self::RemoveNode),
            f::GET_PROTOCOL_VERSION => empty(Self::GetProtocolVersion),
            f::GET_SUC_NODE_ID => empty(Self::GetSucNodeId),
            f::GET_NODE_PROTOCOL_INFO => {
                network::one_byte(function, p).map(|node_id| Self::GetNodeProtocolInfo { node_id })
            }
            f::REQUEST_NODE_INFO => {
                network::one_byte(function, p).map(|node_id| Self::RequestNodeInfo { node_id })
            }
            _ => Ok(Self::Unknown {
                function,
                payload: p.to_vec(),
            }),
        }
    }
}

/// Everything the stick sends to the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StickMessage {
    /// Response to GetControllerVersion.
    ControllerVersion(ControllerVersion),
    /// Response to GetSerialApiCapabilities.
    SerialApiCapabilities(SerialApiCapabilities),
    /// Response to GetControllerCapabilities.
    ControllerCapabilities(ControllerCapabilities),
    /// Response to GetSerialApiInitData.
    SerialApiInitData(SerialApiInitData),
    /// Response to GetControllerId.
    ControllerId(ControllerId),
    /// Response to SerialApiSetup.
    SerialApiSetup(SetupResponse),
    /// Response to SendData.
    SendDataResponse(SendDataResponse),
    /// SendData callback (request).
    SendDataCallback(SendDataCallback),
    /// Unsolicited command class frame.
    ApplicationCommand(ApplicationCommand),
    /// Unsolicited command class frame on bridge firmware.
    BridgeApplicationCommand(BridgeApplicationCommand),
    /// Unsolicited network update.
    ApplicationUpdate(ApplicationUpdate),
    /// The stick (re)started.
    SerialApiStarted(SerialApiStarted),
    /// AddNode status callback.
    AddNodeStatus(InclusionCallback),
    /// RemoveNode status callback.
    RemoveNodeStatus(InclusionCallback),
    /// Response to GetProtocolVersion.
    ProtocolVersion(ProtocolVersion),
    /// Response to GetNodeProtocolInfo.
    NodeProtocolInfo(NodeProtocolInfo),
    /// Response to GetSucNodeId: the SUC's node id, 0 if there is none.
    SucNodeId(u8),
    /// Response to RequestNodeInfo: status byte as sent, non-zero = the request went out.
    RequestNodeInfoResponse(u8),
    /// Any other function, raw.
    Unknown {
        /// Request or response.
        frame_type: FrameType,
        /// Function id.
        function: u8,
        /// Payload.
        payload: Vec<u8>,
    },
}

impl StickMessage {
    /// Reads a frame from the stick by type and function id.
    pub fn decode(frame: &DataFrame) -> Result<Self> {
        use FrameType::{Request as Req, Response as Res};
        use function as f;
        let function = frame.function();
        let p = frame.payload();
        match (frame.frame_type(), function) {
            (Res, f::GET_CONTROLLER_VERSION) => {
                ControllerVersion::decode(p).map(Self::ControllerVersion)
            }
            (Res, f::GET_SERIAL_API_CAPABILITIES) => {
                SerialApiCapabilities::decode(p).map(Self::SerialApiCapabilities)
            }
            (Res, f::GET_CONTROLLER_CAPABILITIES) => match p {
                [b] => Ok(Self::ControllerCapabilities(
                    ControllerCapabilities::from_bits_retain(*b),
                )),
                [] => Err(Error::Truncated { function }),
                [_, rest @ ..] => Err(Error::TrailingBytes {
                    function,
                    count: rest.len(),
                }),
            },
            (Res, f::GET_SERIAL_API_INIT_DATA) => {
                SerialApiInitData::decode(p).map(Self::SerialApiInitData)
            }
            (Res, f::GET_CONTROLLER_ID) => ControllerId::decode(p).map(Self::ControllerId),
            (Res, f::SERIAL_API_SETUP) => SetupResponse::decode(p).map(Self::SerialApiSetup),
            (Res, f::SEND_DATA) => SendDataResponse::decode(p).map(Self::SendDataResponse),
            (Req, f::SEND_DATA) => SendDataCallback::decode(p).map(Self::SendDataCallback),
            (Req, f::APPLICATION_COMMAND) => {
                ApplicationCommand::decode(p).map(Self::ApplicationCommand)
            }
            (Req, f::BRIDGE_APPLICATION_COMMAND) => {
                BridgeApplicationCommand::decode(p).map(Self::BridgeApplicationCommand)
            }
            (Req, f::APPLICATION_UPDATE) => {
                ApplicationUpdate::decode(p).map(Self::ApplicationUpdate)
            }
            (Req, f::SERIAL_API_STARTED) => SerialApiStarted::decode(p).map(Self::SerialApiStarted),
            (Req, f::ADD_NODE) => InclusionCallback::decode(function, p).map(Self::AddNodeStatus),
            (Req, f::REMOVE_NODE) => {
                InclusionCallback::decode(function, p).map(Self::RemoveNodeStatus)
            }
            (Res, f::GET_PROTOCOL_VERSION) => ProtocolVersion::decode(p).map(Self::ProtocolVersion),
            (Res, f::GET_NODE_PROTOCOL_INFO) => {
                NodeProtocolInfo::decode(p).map(Self::NodeProtocolInfo)
            }
            (Res, f::GET_SUC_NODE_ID) => network::one_byte(function, p).map(Self::SucNodeId),
            (Res, f::REQUEST_NODE_INFO) => {
                network::one_byte(function, p).map(Self::RequestNodeInfoResponse)
            }
            (
                frame_type,
                f::GET_CONTROLLER_VERSION
                | f::GET_SERIAL_API_CAPABILITIES
                | f::GET_CONTROLLER_CAPABILITIES
                | f::GET_SERIAL_API_INIT_DATA
                | f::GET_CONTROLLER_ID
                | f::SERIAL_API_SETUP
                | f::APPLICATION_COMMAND
                | f::BRIDGE_APPLICATION_COMMAND
                | f::APPLICATION_UPDATE
                | f::SERIAL_API_STARTED
                | f::ADD_NODE
                | f::REMOVE_NODE
                | f::SOFT_RESET
                | f::GET_PROTOCOL_VERSION
                | f::GET_NODE_PROTOCOL_INFO
                | f::GET_SUC_NODE_ID
                | f::REQUEST_NODE_INFO,
            ) => Err(Error::UnexpectedType {
                function,
                frame_type,
            }),
            (frame_type, _) => Ok(Self::Unknown {
                frame_type,
                function,
                payload: p.to_vec(),
            }),
        }
    }

    /// The frame the stick would send (for the emulator), the mirror of
    /// [`StickMessage::decode`].
    pub fn encode(&self) -> Result<DataFrame> {
        use function as f;
        let (frame_type, function, payload) = match self {
            Self::ControllerVersion(m) => {
                (FrameType::Response, f::GET_CONTROLLER_VERSION, m.encode()?)
            }
            Self::SerialApiCapabilities(m) => (
                FrameType::Response,
                f::GET_SERIAL_API_CAPABILITIES,
                m.encode()?,
            ),
            Self::ControllerCapabilities(m) => (
                FrameType::Response,
                f::GET_CONTROLLER_CAPABILITIES,
                vec![m.bits()],
            ),
            Self::SerialApiInitData(m) => (
                FrameType::Response,
                f::GET_SERIAL_API_INIT_DATA,
                m.encode()?,
            ),
            Self::ControllerId(m) => (FrameType::Response, f::GET_CONTROLLER_ID, m.encode()?),
            Self::SerialApiSetup(m) => (FrameType::Response, f::SERIAL_API_SETUP, m.encode()),
            Self::SendDataResponse(m) => (FrameType::Response, f::SEND_DATA, m.encode()),
            Self::SendDataCallback(m) => (FrameType::Request, f::SEND_DATA, m.encode()?),
            Self::ApplicationCommand(m) => {
                (FrameType::Request, f::APPLICATION_COMMAND, m.encode()?)
            }
            Self::BridgeApplicationCommand(m) => (
                FrameType::Request,
                f::BRIDGE_APPLICATION_COMMAND,
                m.encode()?,
            ),
            Self::ApplicationUpdate(m) => (FrameType::Request, f::APPLICATION_UPDATE, m.encode()?),
            Self::SerialApiStarted(m) => (FrameType::Request, f::SERIAL_API_STARTED, m.encode()?),
            Self::AddNodeStatus(m) => (FrameType::Request, f::ADD_NODE, m.encode(f::ADD_NODE)?),
            Self::RemoveNodeStatus(m) => (
                FrameType::Request,
                f::REMOVE_NODE,
                m.encode(f::REMOVE_NODE)?,
            ),
            Self::ProtocolVersion(m) => (FrameType::Response, f::GET_PROTOCOL_VERSION, m.encode()?),
            Self::NodeProtocolInfo(m) => {
                (FrameType::Response, f::GET_NODE_PROTOCOL_INFO, m.encode()?)
            }
            Self::SucNodeId(id) => (FrameType::Response, f::GET_SUC_NODE_ID, vec![*id]),
            Self::RequestNodeInfoResponse(status) => {
                (FrameType::Response, f::REQUEST_NODE_INFO, vec![*status])
            }
            Self::Unknown {
                frame_type,
                function,
                payload,
            } => (*frame_type, *function, payload.clone()),
        };
        Ok(DataFrame::new(frame_type, function, payload)?)
    }
}
