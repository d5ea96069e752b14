//! Z-Wave command classes to the device model and back: a node's interview record becomes a
//! [`Mapping`] (its definition, or the generic fallback by command class), its reports become
//! [`Attribute`]s, and an [`Action`] becomes the [`ZwaveOp`]s that carry it out. Pure
//! functions: no I/O, no clock.
//!
//! Where it sits: the radio task hands the gateway core each `RadioEvent::Report` (Multi
//! Channel, Supervision and security already taken off by the driver); the core finds the
//! device's [`Mapping`] and calls [`report_endpoint`] and [`attributes_of_report_with`]; a
//! client's command goes through [`action_with_state`] and the ops go back to the radio task,
//! which runs them with `ZwaveStick::send_command`; a report may call for more requests
//! ([`follow_up`]: a lock's slot count asks for each slot). To a secure node the ops are to
//! be paced: `send_command` returns at the acknowledgement, and a second Get sent before the
//! first one's S2-encrypted Report has arrived crosses it on the same SPAN and is lost in the
//! resynchronization (seen with the emulated S2 lock), so the runner waits for a Get's report
//! (or a bounded moment) before the next op.
//!
//! A [`Mapping`] made here names, for every capability, each command class that feeds it, one
//! [`CapabilityMapping`] per class (a thermostat: Thermostat Mode, Setpoint, Operating State
//! and Multilevel Sensor), so the functions below know what the node has without the
//! interview record; [`Mapping::model_endpoints`] lists each capability once. The rules of
//! the mapping (root device versus end points, sensors, alarms) are in `generic.rs`.
//!
//! Decisions the functions carry:
//! - Every Set is followed by the Get of the value it changes, so the resulting Report gives
//!   the state after the command even where the node neither supervises nor reports on its
//!   own.
//! - Toggle needs the last state: [`action_with_state`] takes the endpoint's last attributes;
//!   [`action`] has none and refuses Toggle with a sentence saying so.
//! - Colour comes one Color Switch component per report: [`attributes_of_report_with`] keeps
//!   them in a [`ColorComponents`]; [`attributes_of_report`] (no memory) gives no colour.
//! - Integer arithmetic only; a value that is unknown, reserved or does not fit gives no
//!   attribute (logged at debug), never a panic or a wrong value.

mod color;
mod confirmed;
mod generic;
mod lock;
mod sensor;
mod switch;
mod thermostat;
mod units;

#[cfg(test)]
mod tests;

pub use color::{COLD_MIREDS, ColorComponents, WARM_MIREDS};

use super::{Mapping, Refusal, ZwaveOp};
use crate::definitions::{CapabilityMapping, Definitions, EndpointMapping};
use crate::model::{Action, AlarmKind, Attribute, Capability, Failure, RadioKind};
use crate::radio::zwave_nodes::NodeRecord;
use sealhub_radios::zwave::cc::{CommandClassFrame, ids};

/// How an interviewed node maps onto the model: its definition by Manufacturer Specific ids,
/// or else the generic mapping of the command classes of its root device and end points.
pub fn mapping(node: &NodeRecord, definitions: &Definitions) -> Mapping {
    generic::mapping(node, definitions)
}

/// Gets for every value the end point's capabilities hold; the Reports arrive as radio events
/// and go through [`attributes_of_report`]. Empty for an end point the mapping does not
/// expose.
pub fn refresh(mapping: &Mapping, endpoint: u8) -> Vec<ZwaveOp> {
    let Some(ep) = mapping.endpoint(endpoint) else {
        return Vec::new();
    };
    let mut gets: Vec<CommandClassFrame> = Vec::new();
    for entry in &ep.capabilities {
        let Some(cc) = source_of(entry) else { continue };
        let wanted = match entry.capability {
            Capability::OnOff | Capability::Level => switch::refresh(cc),
            Capability::Color => switch::color_refresh(),
            Capability::DoorLock => lock::refresh(cc),
            Capability::Thermostat => thermostat::refresh(cc),
            Capability::Measurement(kind) => sensor::measurement_refresh(kind, cc),
            Capability::Alarm(kind) => sensor::alarm_refresh(kind, cc),
            Capability::Battery => sensor::battery_refresh(cc),
        };
        for get in wanted {
            if !gets.contains(&get) {
                gets.push(get);
            }
        }
    }
    ops(endpoint, gets)
}

/// The state `action` on `endpoint` leaves the node in once the node confirmed its Sets with a
/// Supervision Report of status SUCCESS, as the node's Report would bring it; `None` when the
/// Sets do not say (Toggle, the last level, a duration, colours, user codes, Refresh): then
/// the state is read back with a Get.
pub fn state_set_by(mapping: &Mapping, endpoint: u8, action: &Action) -> Option<Vec<Attribute>> {
    confirmed::state_set_by(mapping, endpoint, action)
}

/// Whether `op` is a Get (asks the node for a Report) rather than a Set: the core sends an
/// action's Sets alone when the state they set is known ([`state_set_by`]) and keeps the
/// Gets for when the node does not confirm.
pub fn is_get(op: &ZwaveOp) -> bool {
    confirmed::is_get(op)
}

/// The model values a report from `endpoint` carries, scaled and inverted as the mapping
/// says; what the mapping does not expose is left out. Without a memory of earlier reports,
/// a Color Switch Report gives nothing: use [`attributes_of_report_with`] for colours.
pub fn attributes_of_report(
    mapping: &Mapping,
    endpoint: u8,
    report: &CommandClassFrame,
) -> Vec<Attribute> {
    attributes_of_report_with(mapping, endpoint, report, &mut ColorComponents::new())
}

/// [`attributes_of_report`] with the node's Color Switch components as last reported, which
/// this updates: a colour (CIE xy from red, green and blue; a colour temperature from warm
/// and cold white) is given once all of its components are known.
pub fn attributes_of_report_with(
    mapping: &Mapping,
    endpoint: u8,
    report: &CommandClassFrame,
    colors: &mut ColorComponents,
) -> Vec<Attribute> {
    let Some(ep) = mapping.endpoint(endpoint) else {
        tracing::debug!(
            endpoint,
            "Z-Wave report from an end point the mapping does not expose"
        );
        return Vec::new();
    };
    match report {
        CommandClassFrame::Basic(r) => switch::basic_report(ep, r),
        CommandClassFrame::BinarySwitch(r) => switch::binary_report(ep, r),
        CommandClassFrame::MultilevelSwitch(r) => switch::multilevel_report(ep, r),
        CommandClassFrame::ColorSwitch(r) => switch::color_report(ep, r, colors),
        CommandClassFrame::DoorLock(r) => lock::door_lock_report(ep, r),
        CommandClassFrame::UserCode(r) => lock::user_code_report(ep, r),
        CommandClassFrame::ThermostatMode(r) => thermostat::mode_report(ep, r),
        CommandClassFrame::ThermostatSetpoint(r) => thermostat::setpoint_report(ep, r),
        CommandClassFrame::ThermostatOperatingState(r) => thermostat::state_report(ep, r),
        CommandClassFrame::MultilevelSensor(r) => sensor::multilevel_report(ep, r),
        CommandClassFrame::Meter(r) => sensor::meter_report(ep, r),
        CommandClassFrame::Notification(r) => sensor::notification_report(ep, r),
        CommandClassFrame::Battery(r) => sensor::battery_report(ep, r),
        _ => Vec::new(),
    }
}

/// The end point a report is to be counted for. A node with Multi Channel end points mirrors
/// end point 1 on its root device (Z-Wave Plus v2; older nodes also report a change made on
/// end point 1 from the root), and the generic mapping does not expose the mirror: a root
/// report of a class the root does not expose but end point 1 does is end point 1's. Any
/// other report stays where it came from.
pub fn report_endpoint(mapping: &Mapping, endpoint: u8, report: &CommandClassFrame) -> u8 {
    let Some(cc) = class_of(report) else {
        return endpoint;
    };
    let exposes = |e: u8| {
        mapping
            .endpoint(e)
            .is_some_and(|ep| ep.capabilities.iter().any(|c| source_of(c) == Some(cc)))
    };
    if endpoint == 0 && !exposes(0) && exposes(1) {
        1
    } else {
        endpoint
    }
}

/// Requests a report calls for: a User Code Users Number Report (the answer to a refresh)
/// asks for the status of every slot it counts, so the lock's slots become known. Nothing
/// for any other report.
pub fn follow_up(mapping: &Mapping, endpoint: u8, report: &CommandClassFrame) -> Vec<ZwaveOp> {
    let Some(ep) = mapping.endpoint(endpoint) else {
        return Vec::new();
    };
    ops(endpoint, lock::follow_up(ep, report))
}

/// The requests that carry out `action` on `endpoint`, or why not. Toggle is refused: it
/// needs the last state ([`action_with_state`]).
pub fn action(mapping: &Mapping, endpoint: u8, action: &Action) -> Result<Vec<ZwaveOp>, Refusal> {
    action_with_state(mapping, endpoint, action, &[])
}

/// [`action`] knowing the end point's last attributes (the gateway core keeps them), which
/// Toggle needs: it turns the switch off when the last [`Attribute::OnOff`] says on, and on
/// when it says off.
pub fn action_with_state(
    mapping: &Mapping,
    endpoint: u8,
    action: &Action,
    last: &[Attribute],
) -> Result<Vec<ZwaveOp>, Refusal> {
    let Some(ep) = mapping.endpoint(endpoint) else {
        return Err(Refusal::new(
            Failure::UnknownDevice,
            format!("this device has no end point {endpoint}"),
        ));
    };
    let commands = match action {
        Action::Refresh => return Ok(refresh(mapping, endpoint)),
        Action::TurnOn => switch::on_off(ep, true)?,
        Action::TurnOff => switch::on_off(ep, false)?,
        Action::Toggle => {
            if entry_of(ep, Capability::OnOff).is_none() {
                return Err(unsupported("this device cannot be switched on and off"));
            }
            let last_on = last.iter().rev().find_map(|a| match a {
                Attribute::OnOff(on) => Some(*on),
                _ => None,
            });
            let Some(on) = last_on else {
                return Err(unsupported(
                    "the switch's state is not known yet, so it cannot be toggled: turn it on \
                     or off, or refresh it first",
                ));
            };
            switch::on_off(ep, !on)?
        }
        Action::SetLevel { level, transition } => switch::set_level(ep, *level, *transition)?,
        Action::SetColorXy { x, y } => switch::set_color_xy(ep, *x, *y)?,
        Action::SetColorHs { hue, saturation } => switch::set_color_hs(ep, *hue, *saturation)?,
        Action::SetColorTemperature(mireds) => switch::set_color_temperature(ep, *mireds)?,
        Action::Lock => lock::operate(ep, true)?,
        Action::Unlock => lock::operate(ep, false)?,
        Action::SetUserCode { slot, code } => lock::set_user_code(ep, *slot, code)?,
        Action::ClearUserCode { slot } => lock::clear_user_code(ep, *slot)?,
        Action::SetThermostatMode(mode) => thermostat::set_mode(ep, *mode)?,
        Action::SetHeatingSetpoint(c) => thermostat::set_setpoint(ep, thermostat::HEATING, *c)?,
        Action::SetCoolingSetpoint(c) => thermostat::set_setpoint(ep, thermostat::COOLING, *c)?,
    };
    Ok(ops(endpoint, commands))
}

fn ops(endpoint: u8, commands: Vec<CommandClassFrame>) -> Vec<ZwaveOp> {
    commands
        .into_iter()
        .map(|command| ZwaveOp::Send { endpoint, command })
        .collect()
}

/// The command class a capability entry comes from: its `source`, or the usual class for the
/// capability when the mapping names none. `None` for a source that is no Z-Wave class.
pub(super) fn source_of(entry: &CapabilityMapping) -> Option<u8> {
    match entry.source {
        Some(s) => u8::try_from(s).ok(),
        None => Some(usual_source(entry.capability)),
    }
}

/// The class a capability usually comes from: the first of the sources the definitions accept
/// for it (`definitions::sources`), so a definition that names no source and the translation
/// agree on one table.
fn usual_source(capability: Capability) -> u8 {
    let source = crate::definitions::sources::usual_source(RadioKind::Zwave, capability);
    // Every Z-Wave source in that table is a command class id (a byte); a test checks it.
    u8::try_from(source).unwrap_or_default()
}

/// The entry of `ep` for `capability` fed by `cc`.
pub(super) fn entry(
    ep: &EndpointMapping,
    capability: Capability,
    cc: u8,
) -> Option<&CapabilityMapping> {
    ep.capabilities
        .iter()
        .find(|c| c.capability == capability && source_of(c) == Some(cc))
}

/// The first entry of `ep` for `capability`, whatever feeds it.
pub(super) fn entry_of(ep: &EndpointMapping, capability: Capability) -> Option<&CapabilityMapping> {
    ep.capabilities.iter().find(|c| c.capability == capability)
}

/// Every entry of `ep` fed by `cc`.
pub(super) fn entries(ep: &EndpointMapping, cc: u8) -> impl Iterator<Item = &CapabilityMapping> {
    ep.capabilities
        .iter()
        .filter(move |c| source_of(c) == Some(cc))
}

/// The alarm kinds `ep` exposes from Notification.
pub(super) fn alarm_kinds(
    ep: &EndpointMapping,
) -> impl Iterator<Item = (AlarmKind, &CapabilityMapping)> {
    entries(ep, ids::NOTIFICATION).filter_map(|c| match c.capability {
        Capability::Alarm(kind) => Some((kind, c)),
        _ => None,
    })
}

/// Refuses an action the end point has no capability for.
pub(super) fn unsupported(what: &str) -> Refusal {
    Refusal::new(Failure::Unsupported, what)
}

/// Refuses a value out of range.
pub(super) fn invalid(what: impl Into<String>) -> Refusal {
    Refusal::new(Failure::InvalidValue, what)
}

/// The command class of a decoded frame.
fn class_of(frame: &CommandClassFrame) -> Option<u8> {
    Some(match frame {
        CommandClassFrame::Basic(_) => ids::BASIC,
        CommandClassFrame::BinarySwitch(_) => ids::BINARY_SWITCH,
        CommandClassFrame::MultilevelSwitch(_) => ids::MULTILEVEL_SWITCH,
        CommandClassFrame::ColorSwitch(_) => ids::COLOR_SWITCH,
        CommandClassFrame::DoorLock(_) => ids::DOOR_LOCK,
        CommandClassFrame::UserCode(_) => ids::USER_CODE,
        CommandClassFrame::ThermostatMode(_) => ids::THERMOSTAT_MODE,
        CommandClassFrame::ThermostatSetpoint(_) => ids::THERMOSTAT_SETPOINT,
        CommandClassFrame::ThermostatOperatingState(_) => ids::THERMOSTAT_OPERATING_STATE,
        CommandClassFrame::MultilevelSensor(_) => ids::MULTILEVEL_SENSOR,
        CommandClassFrame::Meter(_) => ids::METER,
        CommandClassFrame::Notification(_) => ids::NOTIFICATION,
        CommandClassFrame::Battery(_) => ids::BATTERY,
        CommandClassFrame::Unknown { cc, .. } => *cc,
        _ => return None,
    })
}
