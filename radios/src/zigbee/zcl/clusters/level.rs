//! Level Control (0x0008): dim lights, move blinds.

use deku::prelude::*;

use super::{Trailing, attribute, cluster_commands};

/// Cluster ID.
pub const CLUSTER_ID: u16 = 0x0008;

attribute!(
    /// Current level, 0..=254 (0xFF invalid).
    CURRENT_LEVEL = 0x0000, UINT8, "CurrentLevel");

/// The options mask and override ZCL 6 appended to Level and Color commands: which option bits
/// (execute if off, ...) this command overrides, and with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct Options {
    /// Which bits to override.
    pub mask: u8,
    /// Their values.
    pub r#override: u8,
}

/// Move To Level (0x00) and Move To Level With On/Off (0x04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MoveToLevel {
    /// Target level.
    pub level: u8,
    /// Tenths of a second (0xFFFF: the device's default).
    pub transition_time: u16,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

/// Move (0x01) and Move With On/Off (0x05): start moving at a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct Move {
    /// 0 up, 1 down.
    pub mode: u8,
    /// Units per second (0xFF: default).
    pub rate: u8,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

/// Step (0x02) and Step With On/Off (0x06).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct Step {
    /// 0 up, 1 down.
    pub mode: u8,
    /// Step size.
    pub step_size: u8,
    /// Tenths of a second.
    pub transition_time: u16,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

/// Stop (0x03) and Stop With On/Off (0x07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct Stop {
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

cluster_commands!(CLUSTER_ID,
    /// Level Control commands, hub → device.
    ToServer {
        /// Move To Level.
        MoveToLevel(MoveToLevel) = 0x00,
        /// Move.
        Move(Move) = 0x01,
        /// Step.
        Step(Step) = 0x02,
        /// Stop.
        Stop(Stop) = 0x03,
        /// Move To Level With On/Off (also switches on/off at the ends).
        MoveToLevelWithOnOff(MoveToLevel) = 0x04,
        /// Move With On/Off.
        MoveWithOnOff(Move) = 0x05,
        /// Step With On/Off.
        StepWithOnOff(Step) = 0x06,
        /// Stop With On/Off.
        StopWithOnOff(Stop) = 0x07,
    }
);
