//! The EZSP frame header (UG100 §3): sequence number, frame control and frame ID. Stage one of
//! EZSP parsing; the parameters after it belong to [`super::commands`].
//!
//! - Legacy: `seq(1) frameControl(1) frameId(1)`, used only for the first `version` command and
//!   its response, because the host does not yet know what the NCP speaks.
//! - Extended (protocol >= 8): `seq(1) frameControl(2, LE) frameId(2, LE)`.

use super::{Error, Result};

bitflags::bitflags! {
    /// Frame control bits, low byte first as on the wire (the legacy header has only the low
    /// byte). Unknown bits are kept so that decode and encode mirror each other.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct FrameControl: u16 {
        /// Set on responses and callbacks (NCP to host), clear on commands.
        const RESPONSE = 0x0080;
        /// Network index, bits 6..5 (0 for the single network sealhub runs).
        const NETWORK_INDEX = 0x0060;
        /// Response: this frame is an asynchronous callback.
        const ASYNC_CALLBACK = 0x0010;
        /// Response: this frame is a synchronous callback (answer to `callback`).
        const SYNC_CALLBACK = 0x0008;
        /// Response: a callback is pending on the NCP.
        const CALLBACK_PENDING = 0x0004;
        /// Response: the NCP truncated the response.
        const TRUNCATED = 0x0002;
        /// Response: the NCP ran out of memory since the last response.
        const OVERFLOW = 0x0001;
        /// High byte: the frame is encrypted (EZSP security, not used by sealhub).
        const SECURITY_ENABLED = 0x8000;
        /// High byte: the frame is padded (EZSP security).
        const PADDING_ENABLED = 0x4000;
        /// High byte: frame format version 1, set in every extended header.
        const FORMAT_VERSION_1 = 0x0100;
        const _ = !0;
    }
}

impl FrameControl {
    /// The control of a host command in the extended header: format version 1, network 0.
    pub const fn command() -> Self {
        Self::FORMAT_VERSION_1
    }

    /// Whether the NCP marks this frame as a callback (asynchronous or synchronous).
    pub fn is_callback(self) -> bool {
        self.intersects(Self::ASYNC_CALLBACK.union(Self::SYNC_CALLBACK))
            && self.contains(Self::RESPONSE)
    }

    /// Whether the NCP says more callbacks wait for the host's `callback` command (synchronous
    /// callbacks); meaningful on responses and synchronous callbacks only.
    pub fn callback_pending(self) -> bool {
        self.contains(Self::RESPONSE.union(Self::CALLBACK_PENDING))
    }

    /// Whether this frame is a callback fetched by `callback` (not an asynchronous one).
    pub fn is_sync_callback(self) -> bool {
        self.contains(Self::RESPONSE.union(Self::SYNC_CALLBACK))
    }
}

/// Which header layout a frame uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFormat {
    /// Three bytes; only for the first `version` exchange.
    Legacy,
    /// Five bytes; for everything once protocol >= 8 is negotiated.
    Extended,
}

/// A decoded EZSP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Matches a response to its command.
    pub sequence: u8,
    /// Direction and callback bits.
    pub control: FrameControl,
    /// Which command, response or callback follows.
    pub frame_id: u16,
}

impl Header {
    /// Splits a frame into its header and parameter bytes.
    pub fn decode(bytes: &[u8], format: HeaderFormat) -> Result<(Self, &[u8])> {
        match format {
            HeaderFormat::Legacy => {
                let Some((&[sequence, control, frame_id], params)) = bytes.split_first_chunk()
                else {
                    return Err(Error::Truncated);
                };
                let header = Self {
                    sequence,
                    control: FrameControl::from_bits_retain(u16::from(control)),
                    frame_id: u16::from(frame_id),
                };
                Ok((header, params))
            }
            HeaderFormat::Extended => {
                let Some((&[sequence, fc_lo, fc_hi, id_lo, id_hi], params)) =
                    bytes.split_first_chunk()
                else {
                    return Err(Error::Truncated);
                };
                let header = Self {
                    sequence,
                    control: FrameControl::from_bits_retain(u16::from_le_bytes([fc_lo, fc_hi])),
                    frame_id: u16::from_le_bytes([id_lo, id_hi]),
                };
                Ok((header, params))
            }
        }
    }

    /// The header bytes; the legacy format refuses frame IDs and controls above one byte.
    pub fn encode(&self, format: HeaderFormat) -> Result<Vec<u8>> {
        let control = self.control.bits();
        match format {
            HeaderFormat::Legacy => {
                let (Ok(fc), Ok(id)) = (u8::try_from(control), u8::try_from(self.frame_id)) else {
                    return Err(Error::NotLegacy {
                        frame_id: self.frame_id,
                        control,
                    });
                };
                Ok(vec![self.sequence, fc, id])
            }
            HeaderFormat::Extended => {
                let mut out = vec![self.sequence];
                out.extend(control.to_le_bytes());
                out.extend(self.frame_id.to_le_bytes());
                Ok(out)
            }
        }
    }
}
