//! Utility frames (UG100 "Utilities Frames") that the start-up of a host needs beyond `nop` and
//! `echo`: the manufacturer code the node reports, and the NCP's answer to a command it does not
//! know.

use deku::prelude::*;

/// `setManufacturerCode` (0x0015): the code in the node descriptor (the response has no
/// parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetManufacturerCode {
    /// Zigbee manufacturer code (0x1049 Silicon Labs).
    pub code: u16,
}

/// `invalidCommand` (0x0058): the NCP's response to a command it cannot run, in place of that
/// command's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct InvalidCommand {
    /// `EzspStatus` (one byte): 0x31 `ERROR_INVALID_FRAME_ID`, 0x36 `ERROR_INVALID_VALUE`, ...
    pub reason: u8,
}
