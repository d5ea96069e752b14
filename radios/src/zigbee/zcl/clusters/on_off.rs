//! On/Off (0x0006): switch lights and plugs.

use deku::prelude::*;

use super::{Empty, attribute, cluster_commands};

/// Cluster ID.
pub const CLUSTER_ID: u16 = 0x0006;

attribute!(
    /// Whether the device is on.
    ON_OFF = 0x0000, BOOLEAN, "OnOff");

/// Off With Effect (0x40): switch off with a fade or a blink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct OffWithEffect {
    /// 0 delayed all off, 1 dying light.
    pub effect_id: u8,
    /// Variant of the effect.
    pub effect_variant: u8,
}

cluster_commands!(CLUSTER_ID,
    /// On/Off commands, hub → device.
    ToServer {
        /// Off.
        Off(Empty) = 0x00,
        /// On.
        On(Empty) = 0x01,
        /// Toggle.
        Toggle(Empty) = 0x02,
        /// Off With Effect.
        OffWithEffect(OffWithEffect) = 0x40,
    }
);
