//! Binding (Zigbee spec §2.4.3.2.2-3): Bind_req and Unbind_req tell a device to send a cluster's
//! reports and commands to the hub (or a group), which is how sealhub receives attribute reports.

use deku::prelude::*;

use super::wire::{Eui64, deku_payload};

/// Where a binding points: a group, or a device endpoint (destination address modes 0x01 and
/// 0x03; other modes are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(id_type = "u8", endian = "endian", ctx = "endian: deku::ctx::Endian")]
pub enum BindTarget {
    /// Address mode 0x01: a 16-bit group address.
    #[deku(id = 0x01)]
    Group(u16),
    /// Address mode 0x03: an IEEE address and an endpoint.
    #[deku(id = 0x03)]
    Endpoint {
        /// Destination IEEE address (the hub's).
        ieee: Eui64,
        /// Destination endpoint.
        endpoint: u8,
    },
}

/// Bind_req (0x0021) and Unbind_req (0x0022): same fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct BindRequest {
    /// IEEE address of the device that holds the binding (the sender of reports).
    pub source_ieee: Eui64,
    /// Its endpoint.
    pub source_endpoint: u8,
    /// The cluster bound.
    pub cluster_id: u16,
    /// Where the cluster's messages go.
    pub target: BindTarget,
}

deku_payload!(BindRequest);
