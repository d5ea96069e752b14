//! Configuration frames (UG100 "Configuration Frames"): version, nop, configuration values,
//! policies, values and extended values, endpoints, echo.

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

/// `getValue` (0x00AA): reads an `EzspValueId` (version info, stack token writing, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetValue {
    /// `EzspValueId`.
    pub value_id: u8,
}

/// `getValue` and `getExtendedValue` response: the value as a length-prefixed byte string.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ValueResponse {
    /// Whether the ID is known and readable.
    pub status: Status,
    /// The value's bytes (little-endian for numbers), length-prefixed.
    pub value: Bytes8,
}

/// `setValue` (0x00AB).
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetValue {
    /// `EzspValueId`.
    pub value_id: u8,
    /// The new value, length-prefixed.
    pub value: Bytes8,
}

/// `getExtendedValue` (0x0003): a value that needs an argument (e.g. the flags of one endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetExtendedValue {
    /// `EzspExtendedValueId`.
    pub value_id: u8,
    /// The argument (for `ENDPOINT_FLAGS`, the endpoint).
    pub characteristics: u32,
}

/// `addEndpoint` (0x0002): registers an application endpoint on the NCP, so the stack answers
/// ZDO descriptor requests for it and delivers its messages. Both cluster counts come before
/// both lists on the wire; they are derived from the lists when encoding.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[deku(endian = "little")]
pub struct AddEndpoint {
    /// Endpoint number (1..=240, 242 for Green Power).
    pub endpoint: u8,
    /// Application profile (0x0104 Home Automation, 0xA1E0 Green Power).
    pub profile_id: u16,
    /// Device ID within the profile.
    pub device_id: u16,
    /// Device version.
    pub device_version: u8,
    #[deku(temp, temp_value = "super::count_u8(input_clusters.len())?")]
    input_cluster_count: u8,
    #[deku(temp, temp_value = "super::count_u8(output_clusters.len())?")]
    output_cluster_count: u8,
    /// Server clusters.
    #[deku(count = "input_cluster_count")]
    pub input_clusters: Vec<u16>,
    /// Client clusters.
    #[deku(count = "output_cluster_count")]
    pub output_clusters: Vec<u16>,
}
