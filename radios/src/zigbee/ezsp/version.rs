//! EZSP version negotiation (UG100 §"Protocol Format", `version`), as a pure state machine:
//! the first frame the host sends after the ASH link comes up.
//!
//! 1. The host sends `version(13)` in the **legacy** header (3 bytes), since it cannot know yet
//!    whether the NCP reads extended headers.
//! 2. The NCP answers with the protocol it speaks. 13 → done. 14..=19 → the host asks again with
//!    that version, now in the **extended** header (every protocol >= 8 reads it), and the NCP must
//!    answer with the same version. Anything else → [`Error::UnsupportedProtocol`].
//! 3. From then on every frame uses the extended header; [`super::FrameCodec`] takes over.

use core::ops::RangeInclusive;

use super::commands::configuration::{VersionCommand, VersionResponse};
use super::header::{FrameControl, Header, HeaderFormat};
use super::types::{parse, write};
use super::{Error, Result};

/// The protocol version the host asks for first.
pub const DESIRED_PROTOCOL: u8 = 13;
/// The protocol versions the host accepts from the NCP.
pub const SUPPORTED_PROTOCOLS: RangeInclusive<u8> = 13..=19;
const VERSION_FRAME_ID: u16 = 0x0000;

/// What the NCP turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The EZSP protocol both sides now speak.
    pub protocol_version: u8,
    /// The NCP's stack type.
    pub stack_type: u8,
    /// The NCP's stack version (one nibble per digit).
    pub stack_version: u16,
}

/// What to do after a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this EZSP frame (the second `version`, extended header) and wait again.
    Send(Vec<u8>),
    /// Negotiation finished.
    Done(Negotiated),
}

/// The negotiation in progress: which version was asked, with which sequence and header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiation {
    sequence: u8,
    asked: u8,
    format: HeaderFormat,
}

fn version_frame(sequence: u8, protocol: u8, format: HeaderFormat) -> Result<Vec<u8>> {
    let control = match format {
        HeaderFormat::Legacy => FrameControl::empty(),
        HeaderFormat::Extended => FrameControl::command(),
    };
    let mut out = Header {
        sequence,
        control,
        frame_id: VERSION_FRAME_ID,
    }
    .encode(format)?;
    out.extend(write(&VersionCommand {
        desired_protocol_version: protocol,
    })?);
    Ok(out)
}

impl Negotiation {
    /// Starts: returns the state and the legacy `version(13)` frame to send.
    pub fn start(sequence: u8) -> Result<(Self, Vec<u8>)> {
        let frame = version_frame(sequence, DESIRED_PROTOCOL, HeaderFormat::Legacy)?;
        Ok((
            Self {
                sequence,
                asked: DESIRED_PROTOCOL,
                format: HeaderFormat::Legacy,
            },
            frame,
        ))
    }

    /// Feeds the NCP's answer (an EZSP frame from the ASH link).
    pub fn on_frame(&mut self, bytes: &[u8]) -> Result<Step> {
        let (header, params) = Header::decode(bytes, self.format)?;
        if header.frame_id != VERSION_FRAME_ID || !header.control.contains(FrameControl::RESPONSE) {
            return Err(Error::Unexpected("not a version response"));
        }
        if header.sequence != self.sequence {
            return Err(Error::Unexpected("sequence number does not match"));
        }
        let response: VersionResponse = parse(params)?;
        let v = response.protocol_version;
        if !SUPPORTED_PROTOCOLS.contains(&v) {
            return Err(Error::UnsupportedProtocol(v));
        }
        if v == self.asked {
            return Ok(Step::Done(Negotiated {
                protocol_version: v,
                stack_type: response.stack_type,
                stack_version: response.stack_version,
            }));
        }
        if self.format == HeaderFormat::Extended {
            // Asked a second time and the NCP still answers something else.
            return Err(Error::UnsupportedProtocol(v));
        }
        self.sequence = self.sequence.wrapping_add(1);
        self.asked = v;
        self.format = HeaderFormat::Extended;
        Ok(Step::Send(version_frame(
            self.sequence,
            v,
            HeaderFormat::Extended,
        )?))
    }
}
