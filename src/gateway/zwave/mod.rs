//! Z-Wave command classes to the device model and back: a node's interview record becomes a
//! [`Mapping`] (its definition, or the generic fallback by command class), its reports become
//! [`Attribute`]s, and an [`Action`] becomes the [`ZwaveOp`]s that carry it out. Pure
//! functions: no I/O, no clock.

use super::{Mapping, Refusal, ZwaveOp};
use crate::definitions::Definitions;
use crate::model::{Action, Attribute, Failure};
use crate::radio::zwave_nodes::NodeRecord;
use sealhub_radios::zwave::cc::CommandClassFrame;

/// How an interviewed node maps onto the model: its definition by Manufacturer Specific ids,
/// or else the generic mapping of the command classes of its root device and end points.
pub fn mapping(node: &NodeRecord, definitions: &Definitions) -> Mapping {
    let _ = (node, definitions);
    Mapping {
        definition: None,
        vendor: None,
        product: None,
        endpoints: Vec::new(),
    }
}

/// Gets for every value the end point's capabilities hold; the Reports arrive as radio events
/// and go through [`attributes_of_report`].
pub fn refresh(mapping: &Mapping, endpoint: u8) -> Vec<ZwaveOp> {
    let _ = (mapping, endpoint);
    Vec::new()
}

/// The model values a report from `endpoint` carries, scaled and inverted as the mapping
/// says; what the mapping does not expose is left out.
pub fn attributes_of_report(
    mapping: &Mapping,
    endpoint: u8,
    report: &CommandClassFrame,
) -> Vec<Attribute> {
    let _ = (mapping, endpoint, report);
    Vec::new()
}

/// The requests that carry out `action` on `endpoint`, or why not.
pub fn action(mapping: &Mapping, endpoint: u8, action: &Action) -> Result<Vec<ZwaveOp>, Refusal> {
    let _ = (mapping, endpoint, action);
    Err(Refusal::new(
        Failure::Unsupported,
        "this action is not available on Z-Wave yet",
    ))
}
