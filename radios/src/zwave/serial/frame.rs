//! Stage one of the Serial API: the frame on the wire.
//!
//! A data frame is `SOF(0x01) LEN TYPE FUNC payload… CHK`, where LEN counts the bytes after
//! itself (TYPE through CHK) and CHK is `0xFF` XOR every byte from LEN through the last payload
//! byte. Between data frames the stick and the host exchange single-byte ACK (0x06), NAK (0x15)
//! and CAN (0x18). This module knows nothing about what a function id means; that is stage two,
//! [`super::messages`]. [`FrameDecoder`] turns a byte stream from the port into frames, and
//! [`super::machine`] decides what to answer.

/// Start of a data frame; every data frame begins with it.
pub const SOF: u8 = 0x01;
/// Acknowledges a data frame whose checksum was correct.
pub const ACK: u8 = 0x06;
/// Rejects a data frame whose checksum was wrong; the sender retransmits.
pub const NAK: u8 = 0x15;
/// Rejects a data frame because the receiver was busy sending its own; the sender retransmits.
pub const CAN: u8 = 0x18;

/// The smallest LEN byte: TYPE, FUNC and CHK with no payload.
const MIN_LEN: u8 = 3;
/// The largest payload that fits under a one-byte LEN (255 − TYPE − FUNC − CHK).
pub const MAX_PAYLOAD: usize = 255 - MIN_LEN as usize;
/// The longest data frame on the wire: SOF and LEN plus at most 255 counted bytes.
pub const MAX_FRAME: usize = 2 + 255;

/// Why a frame was refused, so the caller can tell a NAK-worthy frame from a short read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the frame needs (the header, or what LEN announces).
    #[error("frame truncated: need {needed} bytes, have {available}")]
    Truncated {
        /// Bytes the frame needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// The first byte is not SOF, ACK, NAK or CAN.
    #[error("expected SOF, ACK, NAK or CAN, found {0:#04x}")]
    NotAFrame(u8),
    /// LEN is below 3, so it cannot hold TYPE, FUNC and CHK.
    #[error("length byte {0} is below the minimum of 3")]
    LengthTooShort(u8),
    /// The checksum does not match; the host answers NAK.
    #[error("checksum {found:#04x}, expected {expected:#04x}")]
    Checksum {
        /// What the bytes add up to.
        expected: u8,
        /// What the frame carried.
        found: u8,
    },
    /// TYPE is neither 0x00 (request) nor 0x01 (response).
    #[error("frame type {0:#04x} is neither request (0x00) nor response (0x01)")]
    UnknownType(u8),
    /// Bytes after the end of the frame where exactly one frame was expected.
    #[error("{0} bytes after the end of the frame")]
    TrailingBytes(usize),
    /// A payload too long for a one-byte LEN.
    #[error("payload of {0} bytes exceeds the maximum of 252")]
    PayloadTooLong(usize),
}

/// Result of this layer.
pub type Result<T> = core::result::Result<T, Error>;

/// Whether a data frame asks (request) or answers (response); callbacks and unsolicited
/// messages from the stick are requests too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// TYPE 0x00: a command from the host, or a callback/unsolicited message from the stick.
    Request,
    /// TYPE 0x01: the stick's immediate answer to a host request.
    Response,
}

impl FrameType {
    /// The TYPE byte on the wire.
    pub fn to_byte(self) -> u8 {
        match self {
            FrameType::Request => 0x00,
            FrameType::Response => 0x01,
        }
    }

    /// Reads a TYPE byte, refusing anything but 0x00 and 0x01.
    pub fn from_byte(byte: u8) -> Result<Self> {
        match byte {
            0x00 => Ok(FrameType::Request),
            0x01 => Ok(FrameType::Response),
            other => Err(Error::UnknownType(other)),
        }
    }
}

/// A data frame with a payload short enough for its LEN byte (checked on construction, so
/// [`DataFrame::encode`] cannot fail).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataFrame {
    frame_type: FrameType,
    function: u8,
    payload: Vec<u8>,
}

/// `0xFF` XOR every byte: the Serial API checksum over LEN..payload.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0xFF, |acc, b| acc ^ b)
}

impl DataFrame {
    /// Builds a frame, refusing a payload longer than [`MAX_PAYLOAD`].
    pub fn new(frame_type: FrameType, function: u8, payload: Vec<u8>) -> Result<Self> {
        if payload.len() > MAX_PAYLOAD {
            return Err(Error::PayloadTooLong(payload.len()));
        }
        Ok(DataFrame {
            frame_type,
            function,
            payload,
        })
    }

    /// A request frame (host command, or callback/unsolicited message from the stick).
    pub fn request(function: u8, payload: Vec<u8>) -> Result<Self> {
        Self::new(FrameType::Request, function, payload)
    }

    /// A response frame (the stick's answer to a host request).
    pub fn response(function: u8, payload: Vec<u8>) -> Result<Self> {
        Self::new(FrameType::Response, function, payload)
    }

    /// Request or response.
    pub fn frame_type(&self) -> FrameType {
        self.frame_type
    }

    /// The function id (FUNC), which stage two dispatches on.
    pub fn function(&self) -> u8 {
        self.function
    }

    /// The bytes between FUNC and CHK.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The frame as it goes on the wire, checksum included.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + 5);
        out.push(SOF);
        // Checked in `new`: payload.len() <= 252, so this fits.
        out.push((self.payload.len() + usize::from(MIN_LEN)) as u8);
        out.push(self.frame_type.to_byte());
        out.push(self.function);
        out.extend_from_slice(&self.payload);
        let chk = checksum(out.get(1..).unwrap_or_default());
        out.push(chk);
        out
    }

    /// Parses exactly one data frame, the mirror of [`DataFrame::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let first = *bytes.first().ok_or(Error::Truncated {
            needed: 5,
            available: 0,
        })?;
        if first != SOF {
            return Err(Error::NotAFrame(first));
        }
        if bytes.len() < 5 {
            return Err(Error::Truncated {
                needed: 5,
                available: bytes.len(),
            });
        }
        let len = bytes.get(1).copied().unwrap_or_default();
        if len < MIN_LEN {
            return Err(Error::LengthTooShort(len));
        }
        let total = usize::from(len) + 2;
        if bytes.len() < total {
            return Err(Error::Truncated {
                needed: total,
                available: bytes.len(),
            });
        }
        if bytes.len() > total {
            return Err(Error::TrailingBytes(bytes.len() - total));
        }
        let (body, chk) = match bytes.get(1..total - 1).zip(bytes.get(total - 1)) {
            Some(parts) => parts,
            None => {
                return Err(Error::Truncated {
                    needed: total,
                    available: bytes.len(),
                });
            }
        };
        let expected = checksum(body);
        if expected != *chk {
            return Err(Error::Checksum {
                expected,
                found: *chk,
            });
        }
        let frame_type = FrameType::from_byte(bytes.get(2).copied().unwrap_or_default())?;
        let function = bytes.get(3).copied().unwrap_or_default();
        let payload = bytes.get(4..total - 1).unwrap_or_default().to_vec();
        Self::new(frame_type, function, payload)
    }
}

/// Anything that can arrive on or leave through the port as one unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Frame {
    /// 0x06: the last data frame arrived intact.
    Ack,
    /// 0x15: the last data frame was corrupt; retransmit.
    Nak,
    /// 0x18: the last data frame collided with one from the other side; retransmit.
    Can,
    /// A data frame.
    Data(DataFrame),
}

impl Frame {
    /// The bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Frame::Ack => vec![ACK],
            Frame::Nak => vec![NAK],
            Frame::Can => vec![CAN],
            Frame::Data(frame) => frame.encode(),
        }
    }

    /// Parses exactly one frame of any kind, the mirror of [`Frame::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let single = |frame: Frame| {
            if bytes.len() > 1 {
                Err(Error::TrailingBytes(bytes.len() - 1))
            } else {
                Ok(frame)
            }
        };
        match bytes.first() {
            Some(&ACK) => single(Frame::Ack),
            Some(&NAK) => single(Frame::Nak),
            Some(&CAN) => single(Frame::Can),
            _ => DataFrame::decode(bytes).map(Frame::Data),
        }
    }
}

/// What the streaming decoder found in the bytes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A complete, valid frame.
    Frame(Frame),
    /// A complete data frame that failed its checksum or TYPE check; the host must NAK it.
    Corrupt(Error),
    /// Bytes outside any frame (line noise, or a LEN below 3 after a SOF), skipped.
    Garbage(usize),
}

/// Splits a byte stream from the port into frames, whatever the chunking.
///
/// It holds at most one partial data frame ([`MAX_FRAME`] bytes), so memory is bounded. It has
/// no clock: the owner notes when [`FrameDecoder::frames_started`] changes and calls
/// [`FrameDecoder::abandon`] if a frame stops arriving (the Serial API allows 1500 ms).
#[derive(Debug, Default, Clone)]
pub struct FrameDecoder {
    partial: Vec<u8>,
    garbage: usize,
    started: u64,
}

impl FrameDecoder {
    /// A decoder between frames.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk and returns everything completed in it, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Received> {
        let mut out = Vec::new();
        for &byte in bytes {
            self.feed(byte, &mut out);
        }
        self.flush_garbage(&mut out);
        out
    }

    /// True while part of a data frame is buffered.
    pub fn in_frame(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Counts the SOFs that began a frame; a change tells the owner to start the frame timer.
    pub fn frames_started(&self) -> u64 {
        self.started
    }

    /// Drops a partial frame whose bytes stopped arriving; returns how many bytes were dropped.
    pub fn abandon(&mut self) -> usize {
        let dropped = self.partial.len();
        self.partial.clear();
        dropped
    }

    fn flush_garbage(&mut self, out: &mut Vec<Received>) {
        if self.garbage > 0 {
            out.push(Received::Garbage(self.garbage));
            self.garbage = 0;
        }
    }

    fn feed(&mut self, byte: u8, out: &mut Vec<Received>) {
        if self.partial.is_empty() {
            let single = match byte {
                ACK => Some(Frame::Ack),
                NAK => Some(Frame::Nak),
                CAN => Some(Frame::Can),
                SOF => {
                    self.partial.push(byte);
                    self.started = self.started.wrapping_add(1);
                    return;
                }
                _ => None,
            };
            match single {
                Some(frame) => {
                    self.flush_garbage(out);
                    out.push(Received::Frame(frame));
                }
                None => self.garbage += 1,
            }
            return;
        }
        if self.partial.len() == 1 && byte < MIN_LEN {
            // A SOF followed by an impossible LEN: the SOF was noise. Resynchronise on this
            // byte, which may itself be a SOF (0x01) or another start.
            self.partial.clear();
            self.garbage += 1;
            self.feed(byte, out);
            return;
        }
        self.partial.push(byte);
        let total = self
            .partial
            .get(1)
            .map_or(MAX_FRAME, |len| usize::from(*len) + 2);
        if self.partial.len() >= total {
            let result = DataFrame::decode(&self.partial);
            self.partial.clear();
            self.flush_garbage(out);
            out.push(match result {
                Ok(frame) => Received::Frame(Frame::Data(frame)),
                Err(e) => Received::Corrupt(e),
            });
        }
    }
}
