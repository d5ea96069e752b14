//! Zigbee ZCL to the device model and back: a device's interview becomes a [`Mapping`] (its
//! definition, or the generic fallback by cluster), its attribute reports and cluster
//! commands become [`Attribute`]s, and an [`Action`] becomes the [`ZigbeeOp`]s that carry it
//! out. Pure functions: no I/O, no clock.

use super::{Mapping, Refusal, ZigbeeOp};
use crate::definitions::Definitions;
use crate::model::{Action, Attribute, Failure};
use sealhub_radios::zigbee::driver::DeviceDescription;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};

/// How an interviewed device maps onto the model: its definition by Basic `manufacturerName`
/// and `modelId`, or else the generic mapping of the clusters its endpoints serve.
pub fn mapping(description: &DeviceDescription, definitions: &Definitions) -> Mapping {
    let _ = (description, definitions);
    Mapping {
        definition: None,
        vendor: description.manufacturer.clone(),
        product: description.model.clone(),
        endpoints: Vec::new(),
    }
}

/// What to ask of a newly mapped device so that its reports reach the hub: binds, reporting
/// configuration, IAS zone enrolment (writing `hub_eui64` as the CIE address), first reads.
pub fn setup(mapping: &Mapping, hub_eui64: u64) -> Vec<ZigbeeOp> {
    let _ = (mapping, hub_eui64);
    Vec::new()
}

/// Reads of every attribute the endpoint's capabilities hold; the results go through
/// [`attributes_of_report`].
pub fn refresh(mapping: &Mapping, endpoint: u8) -> Vec<ZigbeeOp> {
    let _ = (mapping, endpoint);
    Vec::new()
}

/// The model values an attribute report (or the successful records of a read) of `cluster`
/// on `endpoint` carries, scaled and inverted as the mapping says; attributes the mapping does
/// not expose are left out.
pub fn attributes_of_report(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    attributes: &[(u16, Value)],
) -> Vec<Attribute> {
    let _ = (mapping, endpoint, cluster, attributes);
    Vec::new()
}

/// The model values a cluster command from the device carries (IAS Zone Status Change
/// Notification, a door lock's Operation Event Notification).
pub fn attributes_of_command(
    mapping: &Mapping,
    endpoint: u8,
    command: &ClusterCommand,
) -> Vec<Attribute> {
    let _ = (mapping, endpoint, command);
    Vec::new()
}

/// The requests that carry out `action` on `endpoint`, or why not.
pub fn action(mapping: &Mapping, endpoint: u8, action: &Action) -> Result<Vec<ZigbeeOp>, Refusal> {
    let _ = (mapping, endpoint, action);
    Err(Refusal::new(
        Failure::Unsupported,
        "this action is not available on Zigbee yet",
    ))
}
