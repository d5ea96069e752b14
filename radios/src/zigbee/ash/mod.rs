//! ASH, the asynchronous serial host protocol (Silicon Labs UG101) between the hub and an
//! EmberZNet NCP: the first layer above the raw UART bytes.
//!
//! - [`frame`]: one frame, encoded to wire bytes and decoded from a de-stuffed body.
//! - [`decoder`]: the streaming byte decoder (flags, escapes, CANCEL, SUBSTITUTE, XON/XOFF).
//! - [`link`]: the state machine (reset handshake, numbering, acks, retransmission, timers).
//!
//! Everything here is pure: bytes and `Instant`s in, bytes, events and deadlines out.

pub mod decoder;
pub mod frame;
pub mod link;

pub use decoder::Decoder;
pub use frame::{Frame, FrameNum, ResetCode, decode, encode};
pub use link::{Config, Event, Link};

/// Everything that can go wrong in the ASH layer: a frame refused by the decoder, a `send` the
/// link cannot take, or a link that has failed and needs a reset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes between two flags than a control byte and a CRC.
    #[error("ASH frame too short: {len} bytes")]
    TooShort {
        /// De-stuffed length of the body.
        len: usize,
    },
    /// More bytes between two flags than the longest frame; the frame was dropped.
    #[error("ASH frame longer than {max} bytes")]
    TooLong {
        /// The longest body the decoder keeps.
        max: usize,
    },
    /// The CRC-16/CCITT-FALSE in the frame does not match its control and data bytes.
    #[error("ASH CRC mismatch: frame says {found:#06x}, computed {computed:#06x}")]
    Crc {
        /// The CRC carried by the frame.
        found: u16,
        /// The CRC computed over control and data.
        computed: u16,
    },
    /// A control byte that is not DATA, ACK, NAK, RST, RSTACK or ERROR (or has a reserved bit set).
    #[error("unknown ASH control byte {0:#04x}")]
    UnknownControl(u8),
    /// The data field has the wrong length for the frame type.
    #[error("ASH {kind} frame with a {len}-byte data field")]
    BadLength {
        /// The frame type, as in UG101.
        kind: &'static str,
        /// The data field length found.
        len: usize,
    },
    /// The NCP sent CANCEL (0x1A) in the middle of a frame: the partial frame was discarded.
    #[error("ASH frame cancelled")]
    Cancelled,
    /// A SUBSTITUTE byte (0x18, a UART error) was in the frame: the frame was discarded.
    #[error("ASH frame contained SUBSTITUTE (UART error)")]
    Substituted,
    /// An escape byte (0x7D) was directly followed by the end flag.
    #[error("ASH frame ended after an escape byte")]
    DanglingEscape,
    /// `send` was called while the link is not connected.
    #[error("ASH link is not connected")]
    NotConnected,
    /// `send` was called with a payload outside the DATA field limits.
    #[error("EZSP payload of {len} bytes does not fit an ASH DATA frame ({min}..={max})")]
    PayloadLength {
        /// The payload length given.
        len: usize,
        /// The shortest DATA field.
        min: usize,
        /// The longest DATA field.
        max: usize,
    },
    /// `send` was called while the bounded queue of frames waiting for the window is full.
    #[error("ASH send queue full ({0} frames)")]
    QueueFull(usize),
    /// The NCP answered RST with an ASH version this link does not speak.
    #[error("NCP speaks ASH version {0}, expected 2")]
    UnsupportedVersion(u8),
    /// No RSTACK arrived after all reset attempts.
    #[error("NCP did not answer RST")]
    ResetTimeout,
    /// A DATA frame was retransmitted too often without being acknowledged.
    #[error("ASH DATA frame not acknowledged after {0} retries")]
    TooManyRetries(u8),
    /// The NCP sent an ERROR frame: it will not talk until it is reset.
    #[error("NCP reported ASH error {code:?} (version {version})")]
    NcpError {
        /// ASH version in the ERROR frame.
        version: u8,
        /// Why the NCP entered the error state.
        code: ResetCode,
    },
}

/// Result of the ASH layer.
pub type Result<T> = core::result::Result<T, Error>;
