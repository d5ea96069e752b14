//! Security frames (UG100 "Security Frames"): the initial security state set before forming the
//! network. Key fields are [`Key`], zeroized on drop.

use deku::prelude::*;

use crate::zigbee::ezsp::types::{Eui64, Key};

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
