//! What the core asks of the translation between radio command sets and the device model,
//! passed in as behaviour so the core never names a particular device: [`RadioTranslation`]
//! is the real one (the functions of [`crate::gateway::zigbee`] and [`crate::gateway::zwave`]);
//! tests pass hand-made mappings.

use crate::definitions::Definitions;
use crate::gateway::{Mapping, Refusal, ZigbeeOp, ZwaveOp, zigbee, zwave};
use crate::model::{Action, Attribute};
use crate::radio::zwave_nodes::NodeRecord;
use sealhub_radios::zigbee::driver::DeviceDescription;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};
use sealhub_radios::zwave::cc::CommandClassFrame;

/// The translation functions the core calls, with the signatures of [`crate::gateway::zigbee`]
/// and [`crate::gateway::zwave`].
pub trait Translation: Send {
    /// [`zigbee::mapping`].
    fn zigbee_mapping(&self, description: &DeviceDescription, definitions: &Definitions)
    -> Mapping;
    /// [`zigbee::setup`].
    fn zigbee_setup(&self, mapping: &Mapping, hub_eui64: u64) -> Vec<ZigbeeOp>;
    /// [`zigbee::refresh`].
    fn zigbee_refresh(&self, mapping: &Mapping, endpoint: u8) -> Vec<ZigbeeOp>;
    /// [`zigbee::attributes_of_report`].
    fn zigbee_attributes_of_report(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        cluster: u16,
        attributes: &[(u16, Value)],
    ) -> Vec<Attribute>;
    /// [`zigbee::attributes_of_command`].
    fn zigbee_attributes_of_command(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        command: &ClusterCommand,
    ) -> Vec<Attribute>;
    /// [`zigbee::action`].
    fn zigbee_action(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Result<Vec<ZigbeeOp>, Refusal>;
    /// [`zigbee::state_set_by`]: the state a confirmed `action` set, or `None` (then it is read
    /// back). The default reads every action back.
    fn zigbee_state_set_by(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Option<Vec<Attribute>> {
        let _ = (mapping, endpoint, action);
        None
    }
    /// [`zwave::mapping`].
    fn zwave_mapping(&self, node: &NodeRecord, definitions: &Definitions) -> Mapping;
    /// [`zwave::refresh`].
    fn zwave_refresh(&self, mapping: &Mapping, endpoint: u8) -> Vec<ZwaveOp>;
    /// [`zwave::attributes_of_report`].
    fn zwave_attributes_of_report(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        report: &CommandClassFrame,
    ) -> Vec<Attribute>;
    /// [`zwave::attributes_of_report_with`]: a report read with the Color Switch components
    /// the node last reported, which it updates, so a colour (several component reports) is
    /// given once all of its parts are known. A translation without colours keeps none.
    fn zwave_attributes_of_report_with(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        report: &CommandClassFrame,
        colors: &mut zwave::ColorComponents,
    ) -> Vec<Attribute> {
        let _ = colors;
        self.zwave_attributes_of_report(mapping, endpoint, report)
    }
    /// [`zwave::action`].
    fn zwave_action(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Result<Vec<ZwaveOp>, Refusal>;
    /// [`zwave::state_set_by`]: the state a confirmed `action` set, or `None` (then it is read
    /// back). The default reads every action back.
    fn zwave_state_set_by(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Option<Vec<Attribute>> {
        let _ = (mapping, endpoint, action);
        None
    }
}

/// The translation the hub runs: definitions and the generic fallbacks of
/// [`crate::gateway::zigbee`] and [`crate::gateway::zwave`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RadioTranslation;

impl Translation for RadioTranslation {
    fn zigbee_mapping(
        &self,
        description: &DeviceDescription,
        definitions: &Definitions,
    ) -> Mapping {
        zigbee::mapping(description, definitions)
    }

    fn zigbee_setup(&self, mapping: &Mapping, hub_eui64: u64) -> Vec<ZigbeeOp> {
        zigbee::setup(mapping, hub_eui64)
    }

    fn zigbee_refresh(&self, mapping: &Mapping, endpoint: u8) -> Vec<ZigbeeOp> {
        zigbee::refresh(mapping, endpoint)
    }

    fn zigbee_attributes_of_report(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        cluster: u16,
        attributes: &[(u16, Value)],
    ) -> Vec<Attribute> {
        zigbee::attributes_of_report(mapping, endpoint, cluster, attributes)
    }

    fn zigbee_attributes_of_command(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        command: &ClusterCommand,
    ) -> Vec<Attribute> {
        zigbee::attributes_of_command(mapping, endpoint, command)
    }

    fn zigbee_action(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Result<Vec<ZigbeeOp>, Refusal> {
        zigbee::action(mapping, endpoint, action)
    }

    fn zigbee_state_set_by(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Option<Vec<Attribute>> {
        zigbee::state_set_by(mapping, endpoint, action)
    }

    fn zwave_mapping(&self, node: &NodeRecord, definitions: &Definitions) -> Mapping {
        zwave::mapping(node, definitions)
    }

    fn zwave_state_set_by(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Option<Vec<Attribute>> {
        zwave::state_set_by(mapping, endpoint, action)
    }

    fn zwave_refresh(&self, mapping: &Mapping, endpoint: u8) -> Vec<ZwaveOp> {
        zwave::refresh(mapping, endpoint)
    }

    fn zwave_attributes_of_report(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        report: &CommandClassFrame,
    ) -> Vec<Attribute> {
        zwave::attributes_of_report(mapping, endpoint, report)
    }

    fn zwave_attributes_of_report_with(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        report: &CommandClassFrame,
        colors: &mut zwave::ColorComponents,
    ) -> Vec<Attribute> {
        zwave::attributes_of_report_with(mapping, endpoint, report, colors)
    }

    fn zwave_action(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Result<Vec<ZwaveOp>, Refusal> {
        zwave::action(mapping, endpoint, action)
    }
}
