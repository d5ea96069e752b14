//! Sending a command class frame to a node: SendData (0x13), its response (accepted for
//! transmission or not) and its callback (delivered, no ACK, …) matched by callback id.
//!
//! Implemented: request, response and callback with the status byte; the callback's optional
//! transmit report is kept raw apart from the transmit time in its first two bytes (the other
//! fields' layout is not checked against a published vector here).

use deku::prelude::*;

use super::{Error, Result, decode_exact, encode_deku};

bitflags::bitflags! {
    /// SendData transmit options; zwave-js's default is `ACK | AUTO_ROUTE | EXPLORE` (0x25).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct TransmitOptions: u8 {
        /// Ask the destination to acknowledge.
        const ACK = 0x01;
        /// Send at reduced power.
        const LOW_POWER = 0x02;
        /// Let the protocol route if direct transmission fails.
        const AUTO_ROUTE = 0x04;
        /// Send directly only.
        const NO_ROUTE = 0x10;
        /// Allow explorer frames as a last resort.
        const EXPLORE = 0x20;
    }
}

impl TransmitOptions {
    /// The options zwave-js uses for ordinary traffic.
    pub const DEFAULT: Self = Self::ACK.union(Self::AUTO_ROUTE).union(Self::EXPLORE);
}

/// SendData request: a command class payload for one node.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendDataRequest {
    /// Destination node (8-bit node-id mode).
    pub node_id: u8,
    #[deku(temp, temp_value = "super::len_u8(data.len())?")]
    data_len: u8,
    /// Command class id, command id and parameters.
    #[deku(count = "data_len")]
    pub data: Vec<u8>,
    /// Transmit options.
    #[deku(
        map = "|b: u8| -> core::result::Result<_, DekuError> { \
               Ok(TransmitOptions::from_bits_retain(b)) }",
        writer = "self.transmit_options.bits().to_writer(deku::writer, ())"
    )]
    pub transmit_options: TransmitOptions,
    /// Id that the callback will carry; 0 asks for no callback.
    pub callback_id: u8,
}

impl SendDataRequest {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        decode_exact(0x13, payload)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x13, self)
    }
}

/// SendData response: whether the stick queued the frame (if not, no callback follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendDataResponse {
    /// The status byte as sent (kept raw so encode mirrors decode); see
    /// [`SendDataResponse::accepted`].
    pub status: u8,
}

impl SendDataResponse {
    /// True if the frame was accepted for transmission (any non-zero status).
    pub fn accepted(&self) -> bool {
        self.status != 0
    }
}

impl SendDataResponse {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        match payload {
            [b] => Ok(Self { status: *b }),
            [] => Err(Error::Truncated { function: 0x13 }),
            [_, rest @ ..] => Err(Error::TrailingBytes {
                function: 0x13,
                count: rest.len(),
            }),
        }
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        vec![self.status]
    }
}

/// The outcome of a transmission, from the SendData callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransmitStatus {
    /// Delivered (and acknowledged if ACK was asked for).
    Ok,
    /// Sent but not acknowledged.
    NoAck,
    /// Could not be sent (e.g. jammed channel).
    Fail,
    /// The routing layer was busy.
    NotIdle,
    /// No route to the node.
    NoRoute,
    /// A status this module does not name.
    Other(u8),
}

impl TransmitStatus {
    /// The status byte on the wire.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Ok => 0x00,
            Self::NoAck => 0x01,
            Self::Fail => 0x02,
            Self::NotIdle => 0x03,
            Self::NoRoute => 0x04,
            Self::Other(b) => b,
        }
    }

    /// Reads a status byte; [`TransmitStatus::Other`] keeps unknown values.
    pub fn from_byte(byte: u8) -> Self {
        match byte {
            0x00 => Self::Ok,
            0x01 => Self::NoAck,
            0x02 => Self::Fail,
            0x03 => Self::NotIdle,
            0x04 => Self::NoRoute,
            other => Self::Other(other),
        }
    }
}

/// SendData callback: the transmission's outcome, matched to its request by callback id.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendDataCallback {
    /// The request's callback id.
    pub callback_id: u8,
    /// Outcome.
    #[deku(
        map = "|b: u8| -> core::result::Result<_, DekuError> { Ok(TransmitStatus::from_byte(b)) }",
        writer = "self.status.to_byte().to_writer(deku::writer, ())"
    )]
    pub status: TransmitStatus,
    /// Transmit report (present if enabled via SerialApiSetup or on newer SDKs); raw.
    #[deku(read_all)]
    pub report: Vec<u8>,
}

impl SendDataCallback {
    /// Transmit time in 10 ms ticks, from the report's first two bytes (big-endian).
    pub fn transmit_ticks(&self) -> Option<u16> {
        match self.report.as_slice() {
            [hi, lo, ..] => Some(u16::from_be_bytes([*hi, *lo])),
            _ => None,
        }
    }

    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        decode_exact(0x13, payload)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x13, self)
    }
}
