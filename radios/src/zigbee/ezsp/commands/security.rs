//! Security frames (UG100 "Security Frames" and the security manager of EZSP >= 13): the initial
//! security state set before forming the network, exporting keys and the network key's state for
//! a backup, transient link keys for joining devices, and the key table. Key fields are [`Key`],
//! zeroized on drop.

use deku::prelude::*;

use crate::zigbee::ezsp::types::{Eui64, Key, NetworkKeyInfo, SecManContext, Status};

/// `EmberInitialSecurityState`.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct InitialSecurityState {
    /// `EmberInitialSecurityBitmask` (trust center global link key, have network key, ...).
    pub bitmask: u16,
    /// The preconfigured (trust center) link key.
    pub preconfigured_key: Key,
    /// The network key.
    pub network_key: Key,
    /// The network key's sequence number.
    pub network_key_sequence_number: u8,
    /// The trust center's EUI-64, when a bitmask bit says it is preconfigured.
    pub preconfigured_trust_center_eui64: Eui64,
}

/// `setInitialSecurityState` (0x0068).
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetInitialSecurityState {
    /// The state to install.
    pub state: InitialSecurityState,
}

/// `EmberCurrentSecurityState`: the security mode the stack runs with now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct CurrentSecurityState {
    /// `EmberCurrentSecurityBitmask`: global link key 0x0004, have a TC link key 0x0010, the
    /// trust centre uses hashed link keys 0x0084.
    pub bitmask: u16,
    /// The trust centre's EUI-64.
    pub trust_center_long_address: Eui64,
}

/// `getCurrentSecurityState` (0x0069) response (EZSP >= 14: a 32-bit status first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetCurrentSecurityStateResponse {
    /// Whether the node is on a network.
    pub status: Status,
    /// The state.
    pub state: CurrentSecurityState,
}

/// `exportKey` (0x0114): reads a key out of the security manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ExportKey {
    /// Which key.
    pub context: SecManContext,
}

/// `exportKey` response (EZSP >= 14 order: status first).
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ExportKeyResponse {
    /// Whether the key exists and may be exported.
    pub status: Status,
    /// The key in plain text.
    pub key: Key,
    /// The context, as the NCP completed it.
    pub context: SecManContext,
}

/// `getNetworkKeyInfo` (0x0116) response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetNetworkKeyInfoResponse {
    /// Whether the information could be read.
    pub status: Status,
    /// Set flags, sequence numbers and frame counter.
    pub info: NetworkKeyInfo,
}

/// `sl_zb_sec_man_aps_key_metadata_t`: the state of an APS link key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct ApsKeyMetadata {
    /// `sl_zigbee_key_struct_bitmask_t`.
    pub bitmask: u16,
    /// The next outgoing APS frame counter under the key.
    pub outgoing_frame_counter: u32,
    /// The last incoming APS frame counter under the key.
    pub incoming_frame_counter: u32,
    /// Seconds left for a transient key.
    pub ttl_in_seconds: u16,
}

/// `getApsKeyInfo` (0x010C) response: the key's partner, its metadata, then the status, as
/// EmberZNet's EZSP command handler writes them (`EZSP_GET_APS_KEY_INFO`). The command's
/// parameter is the key's context, as for `exportKey` ([`ExportKey`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct GetApsKeyInfoResponse {
    /// The key's partner (the trust centre's EUI-64 for the TC link key).
    pub eui64: Eui64,
    /// Its metadata.
    pub key_data: ApsKeyMetadata,
    /// Whether the key exists.
    pub status: Status,
}

/// `importTransientKey` (0x0111), EZSP >= 14 layout (no flags byte): a link key a joining
/// device may use for a while. zigbee-herdsman installs the well-known key for any device under
/// its blank EUI-64, all 0xFF.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ImportTransientKey {
    /// The joining device (all 0xFF from herdsman: any).
    pub eui64: Eui64,
    /// The key in plain text.
    pub key: Key,
}

/// `trustCenterJoinHandler` (0x0024) callback: the trust center saw a device join, rejoin or
/// leave anywhere in the network. Layout as zigbee-herdsman 10.9.5 reads it (`ezsp.js`,
/// `TRUST_CENTER_JOIN_HANDLER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct TrustCenterJoinHandler {
    /// The device's node ID.
    pub new_node_id: u16,
    /// The device's EUI-64.
    pub new_node_eui64: Eui64,
    /// `EmberDeviceUpdate`: 0 secured rejoin, 1 unsecured join, 2 left, 3 unsecured rejoin
    /// ([`device_update`]).
    pub status: u8,
    /// `EmberJoinDecision`: 0 use preconfigured key, 1 send key in the clear, 2 deny, 3 no
    /// action.
    pub policy_decision: u8,
    /// The parent the device joined through.
    pub parent_of_new_node_id: u16,
}

/// `EmberDeviceUpdate` values of [`TrustCenterJoinHandler::status`].
pub mod device_update {
    /// `STANDARD_SECURITY_SECURED_REJOIN`.
    pub const SECURED_REJOIN: u8 = 0;
    /// `STANDARD_SECURITY_UNSECURED_JOIN`: a new device joined.
    pub const UNSECURED_JOIN: u8 = 1;
    /// `DEVICE_LEFT`.
    pub const DEVICE_LEFT: u8 = 2;
    /// `STANDARD_SECURITY_UNSECURED_REJOIN`.
    pub const UNSECURED_REJOIN: u8 = 3;
}

/// `importLinkKey` (0x010E): writes an application link key into the key table (the stick keeps
/// it in its tokens), as zigbee-herdsman 10.9.5 does for each device of a backup before forming
/// the network again.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ImportLinkKey {
    /// Key table index; [`KEY_TABLE_ANY_INDEX`] overwrites the entry of `eui64` or takes the
    /// first free one.
    pub index: u8,
    /// The device the key belongs to.
    pub eui64: Eui64,
    /// The key in plain text.
    pub key: Key,
}

/// [`ImportLinkKey::index`]: the entry of the EUI-64, or the first free one.
pub const KEY_TABLE_ANY_INDEX: u8 = 0xFF;
