//! Unit tests of the Zigbee translation, one file per part: mappings (generic, definitions,
//! refinements), setup and refresh, report and command conversions, actions, and properties
//! over arbitrary values. Conversions are checked against the ZCL specification's own
//! definitions of each attribute (named where used); the emulated devices' descriptions are
//! built from the emulator's own device table, as the interview reports them.

mod action;
mod command;
mod describe;
mod properties;
mod report;
mod setup;

use firmware_shim::ezsp_ncp::SimulatedDevice;
use sealhub_radios::zigbee::driver::DeviceDescription;
use sealhub_radios::zigbee::security::InstallCode;
use sealhub_radios::zigbee::zcl::Value;
use sealhub_radios::zigbee::zdo::{List8, MacCapabilities, NodeDescriptor, SimpleDescriptor};

use crate::definitions::{CapabilityMapping, EndpointMapping, MappingOptions, Scale};
use crate::gateway::Mapping;
use crate::model::Capability;

/// What the interview of an emulated device reports: its node descriptor's MAC capabilities
/// and manufacturer code, its simple descriptors, Basic manufacturer and model.
pub(super) fn description_of(device: &SimulatedDevice) -> DeviceDescription {
    DeviceDescription {
        node_id: device.node_id,
        node_descriptor: NodeDescriptor {
            mac_capabilities: MacCapabilities::from_bits_retain(device.capabilities),
            manufacturer_code: device.manufacturer_code,
            ..NodeDescriptor::default()
        },
        endpoints: device
            .endpoints
            .iter()
            .map(|e| SimpleDescriptor {
                endpoint: e.endpoint,
                profile: e.profile,
                device_id: e.device_id,
                version: e.version,
                in_clusters: List8(e.in_clusters.clone()),
                out_clusters: List8(e.out_clusters.clone()),
            })
            .collect(),
        manufacturer: Some(device.manufacturer.clone()),
        model: Some(device.model.clone()),
    }
}

/// How the emulator builds a device of one kind (`SimulatedDevice::light`, ...).
pub(super) type MakeDevice = fn([u8; 8], u16, Option<InstallCode>) -> SimulatedDevice;

/// The emulated device `make` builds, as described by its interview.
pub(super) fn emulated(make: MakeDevice) -> DeviceDescription {
    description_of(&make([1, 2, 3, 4, 5, 6, 7, 8], 0x1234, None))
}

/// A capability from its usual cluster, no options.
pub(super) fn cap(capability: Capability) -> CapabilityMapping {
    CapabilityMapping {
        capability,
        source: None,
        options: MappingOptions::default(),
    }
}

/// A capability from `cluster`.
pub(super) fn cap_from(capability: Capability, cluster: u16) -> CapabilityMapping {
    CapabilityMapping {
        source: Some(cluster),
        ..cap(capability)
    }
}

/// A capability mapped with `invert`.
pub(super) fn inverted(capability: Capability) -> CapabilityMapping {
    let mut c = cap(capability);
    c.options.invert = true;
    c
}

/// A capability with a `scale`.
pub(super) fn scaled(
    mut c: CapabilityMapping,
    numerator: i64,
    denominator: i64,
) -> CapabilityMapping {
    c.options.scale = Some(Scale {
        numerator,
        denominator,
    });
    c
}

/// A generic mapping of one endpoint (1) with these capabilities, product "kitchen light".
pub(super) fn one_endpoint(capabilities: Vec<CapabilityMapping>) -> Mapping {
    Mapping {
        definition: None,
        vendor: None,
        product: Some("kitchen light".into()),
        endpoints: vec![EndpointMapping {
            endpoint: 1,
            name: None,
            capabilities,
        }],
    }
}

/// The capabilities of each endpoint, in order.
pub(super) fn capabilities(mapping: &Mapping) -> Vec<(u8, Vec<Capability>)> {
    mapping
        .model_endpoints()
        .into_iter()
        .map(|e| (e.id, e.capabilities))
        .collect()
}

pub(super) fn uint(width: u8, value: u64) -> Value {
    Value::uint(width, value)
}

pub(super) fn int(width: u8, value: i64) -> Value {
    Value::int(width, value)
}
