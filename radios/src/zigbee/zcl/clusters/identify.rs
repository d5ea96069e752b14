//! Identify (0x0003): make a device blink or beep so the user can find it while pairing.

use deku::prelude::*;

use super::{Empty, attribute, cluster_commands};

/// Cluster ID.
pub const CLUSTER_ID: u16 = 0x0003;

attribute!(
    /// Seconds left identifying (writing starts or stops identifying).
    IDENTIFY_TIME = 0x0000, UINT16, "IdentifyTime");

/// Identify (0x00): identify for this many seconds (0 stops).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct Identify {
    /// Seconds.
    pub identify_time: u16,
}

/// Identify Query Response (0x00, device → hub): seconds left identifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct IdentifyQueryResponse {
    /// Seconds.
    pub timeout: u16,
}

cluster_commands!(CLUSTER_ID,
    /// Identify commands, hub → device.
    ToServer {
        /// Identify.
        Identify(Identify) = 0x00,
        /// Identify Query: which devices are identifying?
        IdentifyQuery(Empty) = 0x01,
    }
);

cluster_commands!(CLUSTER_ID,
    /// Identify commands, device → hub.
    ToClient {
        /// Identify Query Response.
        IdentifyQueryResponse(IdentifyQueryResponse) = 0x00,
    }
);
