//! Configuration frames (UG100 "Configuration Frames"): version, nop, configuration values,
//! policies, echo.

use deku::prelude::*;

use crate::zigbee::ezsp::types::{Bytes8, Status};

/// Parameters of a frame that has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct NoParams;

/// A response carrying only a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct StatusResponse {
    /// Whether the command succeeded.
    pub status: Status,
}

/// `version` (0x0000): the protocol the host wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct VersionCommand {
    /// The EZSP protocol version the host speaks.
    pub desired_protocol_version: u8,
}

/// `version` response: what the NCP speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct VersionResponse {
    /// The NCP's EZSP protocol version.
    pub protocol_version: u8,
    /// Stack type (2 = mesh stack).
    pub stack_type: u8,
    /// Stack version, one nibble per digit (0x7410 = 7.4.1.0).
    pub stack_version: u16,
}

/// `getConfigurationValue` (0x0052).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetConfigurationValue {
    /// `EzspConfigId`.
    pub config_id: u8,
}

/// `getConfigurationValue` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetConfigurationValueResponse {
    /// Whether the ID is valid.
    pub status: Status,
    /// The value.
    pub value: u16,
}

/// `setConfigurationValue` (0x0053).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetConfigurationValue {
    /// `EzspConfigId`.
    pub config_id: u8,
    /// The new value.
    pub value: u16,
}

/// `setPolicy` (0x0055).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetPolicy {
    /// `EzspPolicyId`.
    pub policy_id: u8,
    /// `EzspDecisionId` (or bitmask, for the trust center policy).
    pub decision_id: u8,
}

/// `echo` (0x0081).
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct Echo {
    /// Bytes to echo, length-prefixed.
    pub data: Bytes8,
}

/// `echo` response.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct EchoResponse {
    /// The bytes echoed, length-prefixed.
    pub echo: Bytes8,
}
