//! ZDO, the Zigbee Device Object (Zigbee specification §2.4, "ZDP"): the endpoint-0 messages the
//! hub uses to learn who joined (Device Announce), what a device is (node, power and simple
//! descriptors, active endpoints), to bind clusters and to manage the network (leave, permit
//! joining, neighbour table).
//!
//! Data flow: an `incomingMessageHandler` with profile 0x0000 and endpoint 0 carries the APS
//! payload; [`ZdoFrame::decode`] takes it with the APS cluster ID. Two stages, as everywhere in
//! sealhub: the frame is the transaction sequence number (first byte) and the payload; the payload
//! is decoded by cluster ID into one [`ZdoMessage`] variant with a `match`. Responses travel under
//! the request's cluster ID with bit 15 set (`request | 0x8000`). Everything is little-endian;
//! trailing bytes are refused.
//!
//! Responses that carry a status decode into [`Answer`]: the typed body on success, the status and
//! the raw remaining bytes otherwise (devices disagree on what follows an error status; see the
//! zsmartsystems fixtures in `tests/zigbee_zdo.rs`).

pub mod binding;
pub mod descriptors;
pub mod discovery;
pub mod management;
pub mod wire;

pub use binding::*;
pub use descriptors::*;
pub use discovery::*;
pub use management::*;
pub use wire::{List8, Payload};

/// Everything that can go wrong decoding or encoding a ZDO frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame ends before its fields do.
    #[error("ZDO frame truncated")]
    Truncated,
    /// Bytes follow the last field.
    #[error("ZDO frame has {0} trailing bytes")]
    TrailingBytes(usize),
    /// A cluster ID this core does not decode.
    #[error("ZDO cluster {0:#06x} not implemented")]
    UnknownCluster(u16),
    /// A field value the layout cannot carry (bad address mode, list too long, ...).
    #[error("invalid ZDO field: {0}")]
    Invalid(String),
}

/// Result of the ZDO layer.
pub type Result<T> = core::result::Result<T, Error>;

/// A ZDP status byte (Zigbee spec Table 2.137). Kept as a number: devices also return APS, NWK
/// and MAC status codes here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Status(pub u8);

impl Status {
    /// The request succeeded.
    pub const SUCCESS: Self = Self(0x00);
    /// The request type field was invalid.
    pub const INV_REQUESTTYPE: Self = Self(0x80);
    /// The addressed device is not known.
    pub const DEVICE_NOT_FOUND: Self = Self(0x81);
    /// The endpoint is outside 0x01..=0xF0.
    pub const INVALID_EP: Self = Self(0x82);
    /// The endpoint has no simple descriptor.
    pub const NOT_ACTIVE: Self = Self(0x83);
    /// The device does not support this request.
    pub const NOT_SUPPORTED: Self = Self(0x84);
    /// The operation timed out.
    pub const TIMEOUT: Self = Self(0x85);
    /// No descriptor matched.
    pub const NO_MATCH: Self = Self(0x86);
    /// The unbind request named no existing entry.
    pub const NO_ENTRY: Self = Self(0x88);
    /// The child has no such descriptor.
    pub const NO_DESCRIPTOR: Self = Self(0x89);
    /// No room to store the result.
    pub const INSUFFICIENT_SPACE: Self = Self(0x8A);
    /// The request is not permitted.
    pub const NOT_PERMITTED: Self = Self(0x8B);
    /// The binding table is full.
    pub const TABLE_FULL: Self = Self(0x8C);
    /// The sender is not authorized.
    pub const NOT_AUTHORIZED: Self = Self(0x8D);

    /// Whether the device reports success.
    pub fn is_success(self) -> bool {
        self == Self::SUCCESS
    }
}

/// A response that starts with a status: the typed body when the status is SUCCESS, otherwise the
/// status and whatever bytes followed, kept raw so that the frame re-encodes byte-exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// Status SUCCESS and the fields after it.
    Success(T),
    /// Any other status, and the bytes after it (often the NWK address of interest, sometimes
    /// nothing).
    Failure {
        /// The non-success status.
        status: Status,
        /// The bytes that followed the status, undecoded.
        rest: Vec<u8>,
    },
}

impl<T: Payload> Payload for Answer<T> {
    fn decode(bytes: &[u8]) -> Result<Self> {
        let (&status, rest) = bytes.split_first().ok_or(Error::Truncated)?;
        if status == Status::SUCCESS.0 {
            T::decode(rest).map(Answer::Success)
        } else {
            Ok(Answer::Failure {
                status: Status(status),
                rest: rest.to_vec(),
            })
        }
    }

    fn encode(&self) -> Result<Vec<u8>> {
        match self {
            Answer::Success(body) => {
                let mut out = vec![Status::SUCCESS.0];
                out.extend(body.encode()?);
                Ok(out)
            }
            Answer::Failure { status, rest } => {
                if status.is_success() {
                    return Err(Error::Invalid("Answer::Failure with status SUCCESS".into()));
                }
                let mut out = vec![status.0];
                out.extend_from_slice(rest);
                Ok(out)
            }
        }
    }
}

/// A response that is only a status byte (Bind, Unbind, Mgmt Leave, Mgmt Permit Joining).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusResponse {
    /// The outcome.
    pub status: Status,
}

impl Payload for StatusResponse {
    fn decode(bytes: &[u8]) -> Result<Self> {
        match bytes {
            [status] => Ok(Self {
                status: Status(*status),
            }),
            [] => Err(Error::Truncated),
            [_, rest @ ..] => Err(Error::TrailingBytes(rest.len())),
        }
    }

    fn encode(&self) -> Result<Vec<u8>> {
        Ok(vec![self.status.0])
    }
}

/// Declares [`ZdoMessage`]: one variant per (cluster ID, payload type), `cluster_id`, and the
/// `match` that decodes a payload by cluster ID.
macro_rules! zdo_messages {
    ($( $(#[$vm:meta])* $variant:ident($ty:ty) = $id:literal, )*) => {
        /// A ZDO message without its transaction sequence number, one variant per cluster ID.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum ZdoMessage {
            $( $(#[$vm])* $variant($ty), )*
        }

        impl ZdoMessage {
            /// The APS cluster ID this message travels under.
            pub fn cluster_id(&self) -> u16 {
                match self {
                    $( Self::$variant(_) => $id, )*
                }
            }

            /// Decodes the payload (after the sequence number) of cluster `cluster_id`.
            pub fn decode(cluster_id: u16, payload: &[u8]) -> Result<Self> {
                match cluster_id {
                    $( $id => Ok(Self::$variant(<$ty as Payload>::decode(payload)?)), )*
                    other => Err(Error::UnknownCluster(other)),
                }
            }

            /// Encodes the payload (without the sequence number).
            pub fn encode(&self) -> Result<Vec<u8>> {
                match self {
                    $( Self::$variant(m) => m.encode(), )*
                }
            }
        }
    };
}

zdo_messages! {
    /// NWK_addr_req: who has this IEEE address?
    NwkAddrRequest(NwkAddrRequest) = 0x0000,
    /// IEEE_addr_req: what is the IEEE address of this node ID?
    IeeeAddrRequest(IeeeAddrRequest) = 0x0001,
    /// Node_Desc_req: what kind of node is this?
    NodeDescRequest(NodeDescRequest) = 0x0002,
    /// Power_Desc_req: how is this node powered?
    PowerDescRequest(PowerDescRequest) = 0x0003,
    /// Simple_Desc_req: what does this endpoint implement?
    SimpleDescRequest(SimpleDescRequest) = 0x0004,
    /// Active_EP_req: which endpoints does this node have?
    ActiveEpRequest(ActiveEpRequest) = 0x0005,
    /// Device_annce: a node joined or rejoined (no response).
    DeviceAnnounce(DeviceAnnounce) = 0x0013,
    /// Bind_req: send this cluster's reports to that address.
    BindRequest(BindRequest) = 0x0021,
    /// Unbind_req: stop doing so.
    UnbindRequest(BindRequest) = 0x0022,
    /// Mgmt_Lqi_req: read the neighbour table from this index.
    MgmtLqiRequest(MgmtLqiRequest) = 0x0031,
    /// Mgmt_Bind_req: read the binding table from this index.
    MgmtBindRequest(MgmtBindRequest) = 0x0033,
    /// Mgmt_Leave_req: leave the network.
    MgmtLeaveRequest(MgmtLeaveRequest) = 0x0034,
    /// Mgmt_Permit_Joining_req: open or close joining.
    MgmtPermitJoiningRequest(MgmtPermitJoiningRequest) = 0x0036,
    /// NWK_addr_rsp.
    NwkAddrResponse(Answer<AddressResponse>) = 0x8000,
    /// IEEE_addr_rsp.
    IeeeAddrResponse(Answer<AddressResponse>) = 0x8001,
    /// Node_Desc_rsp.
    NodeDescResponse(Answer<NodeDescResponse>) = 0x8002,
    /// Power_Desc_rsp.
    PowerDescResponse(Answer<PowerDescResponse>) = 0x8003,
    /// Simple_Desc_rsp.
    SimpleDescResponse(Answer<SimpleDescResponse>) = 0x8004,
    /// Active_EP_rsp.
    ActiveEpResponse(Answer<ActiveEpResponse>) = 0x8005,
    /// Bind_rsp.
    BindResponse(StatusResponse) = 0x8021,
    /// Unbind_rsp.
    UnbindResponse(StatusResponse) = 0x8022,
    /// Mgmt_Lqi_rsp.
    MgmtLqiResponse(Answer<NeighborTable>) = 0x8031,
    /// Mgmt_Bind_rsp.
    MgmtBindResponse(Answer<BindingTable>) = 0x8033,
    /// Mgmt_Leave_rsp.
    MgmtLeaveResponse(StatusResponse) = 0x8034,
    /// Mgmt_Permit_Joining_rsp.
    MgmtPermitJoiningResponse(StatusResponse) = 0x8036,
}

impl ZdoMessage {
    /// Whether this is a response (bit 15 of the cluster ID).
    pub fn is_response(&self) -> bool {
        self.cluster_id() & 0x8000 != 0
    }
}

/// The cluster ID of the response to request cluster `request`.
pub const fn response_cluster(request: u16) -> u16 {
    request | 0x8000
}

/// A whole ZDO APS payload: transaction sequence number, then the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZdoFrame {
    /// Transaction sequence number; a response echoes its request's.
    pub tsn: u8,
    /// The message.
    pub message: ZdoMessage,
}

impl ZdoFrame {
    /// Decodes the APS payload of a frame received on cluster `cluster_id`.
    pub fn decode(cluster_id: u16, bytes: &[u8]) -> Result<Self> {
        let (&tsn, payload) = bytes.split_first().ok_or(Error::Truncated)?;
        Ok(Self {
            tsn,
            message: ZdoMessage::decode(cluster_id, payload)?,
        })
    }

    /// The cluster ID to send this frame under.
    pub fn cluster_id(&self) -> u16 {
        self.message.cluster_id()
    }

    /// Encodes the APS payload.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = vec![self.tsn];
        out.extend(self.message.encode()?);
        Ok(out)
    }
}
