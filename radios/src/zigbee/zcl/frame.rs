//! The ZCL frame, stage one (ZCL spec §2.4.1): frame control, optional manufacturer code,
//! transaction sequence number, command ID, then the payload kept as bytes. Stage two
//! ([`super::ZclCommand`]) decodes the payload by command ID.
//!
//! Written by hand rather than with deku: the manufacturer code is present exactly when a frame
//! control bit says so, and keeping both in one `Option` makes an inconsistent header
//! unrepresentable, which a derived struct with a flag and a conditional field would not.

use super::types::Cursor;
use super::{Error, Result};

/// Whether the command is a foundation ("global", profile-wide) command or one defined by the
/// cluster (frame control bits 0..1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// Foundation command (Read Attributes, Report Attributes, ...).
    Global,
    /// Cluster-specific command (On, Move To Level, ...).
    ClusterSpecific,
}

/// Which side of the cluster sent the frame (frame control bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (usually the hub) to the server (the device).
    ClientToServer,
    /// From the server (device) to the client: responses, reports, notifications.
    ServerToClient,
}

/// The ZCL header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Global or cluster-specific.
    pub frame_type: FrameType,
    /// The manufacturer code, present iff the manufacturer-specific bit is set.
    pub manufacturer_code: Option<u16>,
    /// Who sent it.
    pub direction: Direction,
    /// The sender asks for no Default Response.
    pub disable_default_response: bool,
    /// Frame control bits 5..7, reserved; kept so that non-compliant frames re-encode exactly.
    pub reserved_bits: u8,
    /// Transaction sequence number, echoed by the response.
    pub tsn: u8,
    /// Command ID, foundation or cluster-specific per `frame_type`.
    pub command_id: u8,
}

impl Header {
    /// A header for a foundation command from the hub (client to server).
    pub fn global(tsn: u8, command_id: u8) -> Self {
        Self {
            frame_type: FrameType::Global,
            manufacturer_code: None,
            direction: Direction::ClientToServer,
            disable_default_response: false,
            reserved_bits: 0,
            tsn,
            command_id,
        }
    }

    /// A header for a cluster-specific command from the hub.
    pub fn cluster(tsn: u8, command_id: u8) -> Self {
        Self {
            frame_type: FrameType::ClusterSpecific,
            ..Self::global(tsn, command_id)
        }
    }

    /// The frame control byte.
    pub fn frame_control(&self) -> u8 {
        let mut fc = match self.frame_type {
            FrameType::Global => 0,
            FrameType::ClusterSpecific => 1,
        };
        if self.manufacturer_code.is_some() {
            fc |= 1 << 2;
        }
        if self.direction == Direction::ServerToClient {
            fc |= 1 << 3;
        }
        if self.disable_default_response {
            fc |= 1 << 4;
        }
        fc | (self.reserved_bits & 0x07) << 5
    }

    pub(crate) fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let fc = c.u8()?;
        let frame_type = match fc & 0x03 {
            0 => FrameType::Global,
            1 => FrameType::ClusterSpecific,
            other => return Err(Error::ReservedFrameType(other)),
        };
        let manufacturer_code = if fc & (1 << 2) != 0 {
            Some(c.u16()?)
        } else {
            None
        };
        Ok(Self {
            frame_type,
            manufacturer_code,
            direction: if fc & (1 << 3) != 0 {
                Direction::ServerToClient
            } else {
                Direction::ClientToServer
            },
            disable_default_response: fc & (1 << 4) != 0,
            reserved_bits: fc >> 5,
            tsn: c.u8()?,
            command_id: c.u8()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.reserved_bits > 0x07 {
            return Err(Error::Invalid("reserved bits wider than 3 bits".into()));
        }
        out.push(self.frame_control());
        if let Some(code) = self.manufacturer_code {
            out.extend_from_slice(&code.to_le_bytes());
        }
        out.push(self.tsn);
        out.push(self.command_id);
        Ok(())
    }

    /// Decodes a header alone; the bytes must be exactly the header.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut c = Cursor::new(bytes);
        let header = Self::read(&mut c)?;
        c.finish()?;
        Ok(header)
    }

    /// Encodes the header alone.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(5);
        self.write(&mut out)?;
        Ok(out)
    }
}

/// A ZCL frame with its payload undecoded: what any frame decodes to, known command or not, so
/// that unknown and manufacturer-specific commands can still be logged, forwarded or answered
/// with a Default Response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ZclFrame {
    /// The header.
    pub header: Header,
    /// The bytes after the command ID.
    pub payload: Vec<u8>,
}

impl ZclFrame {
    /// Splits an APS payload into header and payload.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut c = Cursor::new(bytes);
        let header = Header::read(&mut c)?;
        let payload = c.take(c.remaining())?.to_vec();
        Ok(Self { header, payload })
    }

    /// Joins header and payload.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(5 + self.payload.len());
        self.header.write(&mut out)?;
        out.extend_from_slice(&self.payload);
        Ok(out)
    }
}
