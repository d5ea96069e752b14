//! EZSP, the EmberZNet Serial Protocol (Silicon Labs UG100), carried in ASH DATA payloads: the
//! second layer of the Zigbee stack, above [`super::ash`].
//!
//! Two stages, as everywhere in sealhub: [`header`] reads the frame header (legacy for the first
//! `version` exchange, extended afterwards), then [`commands`] decodes the parameters by frame ID
//! into one enum variant per frame, rejecting trailing bytes. [`version`] is the negotiation that
//! decides which header to use.
//!
//! Parameter layouts are those of EZSP protocol version 14 and later (EmberZNet 8.x: status codes
//! are 32-bit `sl_status_t`, message tags 16-bit), which is what the recorded frames in
//! `tests/vectors/ezsp.md` use. For a protocol-13 stick (EmberZNet 7.4) [`FrameCodec`] rewrites
//! the parameters of the frames whose layout changed at 14 ([`v13`]), so the rest of the driver
//! sees one layout.

pub mod commands;
pub mod header;
pub mod types;
pub mod v13;
pub mod version;

pub use commands::{Callback, Command, FromNcp, Response};
pub use header::{FrameControl, Header, HeaderFormat};
pub use version::{Negotiated, Negotiation};

/// Everything that can go wrong in the EZSP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The frame ends before its header or parameters do.
    #[error("EZSP frame truncated")]
    Truncated,
    /// Bytes follow the last parameter of the frame.
    #[error("EZSP frame has {0} trailing bytes")]
    TrailingBytes(usize),
    /// A frame ID this core does not implement (or not in this direction).
    #[error("EZSP frame ID {0:#06x} not implemented")]
    UnknownFrameId(u16),
    /// The legacy header cannot carry this frame ID or frame control.
    #[error("frame ID {frame_id:#06x} / control {control:#06x} does not fit the legacy header")]
    NotLegacy {
        /// The frame ID.
        frame_id: u16,
        /// The frame control bits.
        control: u16,
    },
    /// A variable-length field is longer than its one-byte length prefix allows.
    #[error("EZSP field of {0} bytes exceeds 255")]
    FieldTooLong(usize),
    /// The parameters could not be parsed or written (deku's message).
    #[error("EZSP parameters: {0}")]
    Parameters(String),
    /// The NCP speaks a protocol version outside 13..=19, or changed it mid-negotiation.
    #[error("NCP speaks EZSP protocol {0}, sealhub supports 13..=19")]
    UnsupportedProtocol(u8),
    /// Parameter layouts for this protocol version are not implemented.
    #[error("EZSP parameter layouts for protocol {0} are not implemented (only >= 13)")]
    LayoutNotImplemented(u8),
    /// This frame's layout in the negotiated protocol is not implemented (or the frame does not
    /// exist there).
    #[error("EZSP frame {frame_id:#06x} is not implemented for protocol {protocol}")]
    NotInProtocol {
        /// The frame ID.
        frame_id: u16,
        /// The negotiated protocol.
        protocol: u8,
    },
    /// A frame arrived that the negotiation did not expect.
    #[error("unexpected EZSP frame during version negotiation: {0}")]
    Unexpected(&'static str),
}

/// Result of the EZSP layer.
pub type Result<T> = core::result::Result<T, Error>;

/// Encodes and decodes whole EZSP frames (header + parameters) for one negotiated protocol
/// version, so the caller never picks header formats or layouts by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameCodec {
    protocol: u8,
}

/// The first protocol version whose parameter layouts this core implements (13 through the
/// rewrites in [`v13`]).
pub const MIN_LAYOUT_PROTOCOL: u8 = 13;

impl FrameCodec {
    /// A codec for a negotiated protocol version; refuses versions whose layouts are missing.
    pub fn new(protocol: u8) -> Result<Self> {
        if protocol < MIN_LAYOUT_PROTOCOL {
            return Err(Error::LayoutNotImplemented(protocol));
        }
        Ok(Self { protocol })
    }

    /// The negotiated protocol version.
    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// A host command with sequence number `sequence`, extended header, network index 0.
    pub fn encode_command(&self, sequence: u8, command: &Command) -> Result<Vec<u8>> {
        let header = Header {
            sequence,
            control: FrameControl::command(),
            frame_id: command.frame_id(),
        };
        let mut out = header.encode(HeaderFormat::Extended)?;
        let params = command.encode_params()?;
        if self.protocol == v13::PROTOCOL {
            out.extend(v13::command_to_v13(header.frame_id, params)?);
        } else {
            out.extend(params);
        }
        Ok(out)
    }

    /// Mirror of [`FrameCodec::encode_command`] (for tests and the stick emulator).
    pub fn decode_command(&self, bytes: &[u8]) -> Result<(Header, Command)> {
        let (header, params) = Header::decode(bytes, HeaderFormat::Extended)?;
        if self.protocol == v13::PROTOCOL {
            let params = v13::command_from_v13(header.frame_id, params)?;
            return Ok((header, Command::decode_params(header.frame_id, &params)?));
        }
        Ok((header, Command::decode_params(header.frame_id, params)?))
    }

    /// A frame from the NCP: a response or a callback, told apart by frame ID.
    pub fn decode_from_ncp(&self, bytes: &[u8]) -> Result<(Header, FromNcp)> {
        let (header, params) = Header::decode(bytes, HeaderFormat::Extended)?;
        if self.protocol == v13::PROTOCOL {
            let params = v13::from_ncp_from_v13(header.frame_id, params)?;
            return Ok((header, FromNcp::decode_params(header.frame_id, &params)?));
        }
        Ok((header, FromNcp::decode_params(header.frame_id, params)?))
    }

    /// Mirror of [`FrameCodec::decode_from_ncp`] (for tests and the stick emulator).
    pub fn encode_from_ncp(&self, header: &Header, frame: &FromNcp) -> Result<Vec<u8>> {
        let header = Header {
            frame_id: frame.frame_id(),
            ..*header
        };
        let mut out = header.encode(HeaderFormat::Extended)?;
        let params = frame.encode_params()?;
        if self.protocol == v13::PROTOCOL {
            out.extend(v13::from_ncp_to_v13(header.frame_id, params)?);
        } else {
            out.extend(params);
        }
        Ok(out)
    }
}
