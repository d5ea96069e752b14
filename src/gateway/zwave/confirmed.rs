//! The state an absolute action leaves a node in once the node confirmed it with a Supervision
//! Report of status SUCCESS: the attributes its Report would carry, so the core can answer
//! `Done` without a Get.
//!
//! The state is found by turning each Set into the Report a node that applied it sends and
//! passing that through the report conversion ([`super::attributes_of_report`]), so scaling
//! and inversion come out as the node's own report brings them. Sets whose result the frame
//! does not say are `None` and read back: a Multilevel Switch Set to 0xFF (the last level) or
//! with a duration other than at once, a Binary Switch over a duration, colours (the node's
//! components are what it reports), user codes, Toggle, Refresh.

use sealhub_radios::zwave::cc::{
    BinarySwitch, CommandClassFrame, DoorLock, MultilevelSwitch, ThermostatMode, ThermostatSetpoint,
};

use super::{Mapping, ZwaveOp, action, attributes_of_report};
use crate::model::{Action, Attribute};

/// Door Lock "not timed" (Z-Wave CC spec, Door Lock Operation Report timeout fields).
const NOT_TIMED: u8 = 0xFE;
/// Multilevel Switch: the highest level a Set names (0xFF is "the last level").
const MULTILEVEL_MAX: u8 = 99;

/// The Report a node sends once it applied `set`; `None` when the Set does not say.
fn report_after(set: &CommandClassFrame) -> Option<CommandClassFrame> {
    Some(match set {
        CommandClassFrame::BinarySwitch(BinarySwitch::Set { value, duration })
            if duration.is_none_or(|d| d == 0) =>
        {
            CommandClassFrame::BinarySwitch(BinarySwitch::Report {
                current: *value,
                transition: None,
            })
        }
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Set {
            value,
            duration: Some(0),
        }) if *value <= MULTILEVEL_MAX => {
            CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Report {
                current: *value,
                transition: None,
            })
        }
        CommandClassFrame::DoorLock(DoorLock::OperationSet { mode }) => {
            CommandClassFrame::DoorLock(DoorLock::OperationReport {
                mode: *mode,
                handles: 0,
                condition: 0,
                timeout_minutes: NOT_TIMED,
                timeout_seconds: NOT_TIMED,
                transition: None,
            })
        }
        CommandClassFrame::ThermostatMode(ThermostatMode::Set {
            mode,
            manufacturer_data,
        }) => CommandClassFrame::ThermostatMode(ThermostatMode::Report {
            mode: *mode,
            manufacturer_data: manufacturer_data.clone(),
        }),
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Set {
            setpoint_type,
            value,
        }) => CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Report {
            setpoint_type: *setpoint_type,
            value: *value,
        }),
        _ => return None,
    })
}

/// See [`super::state_set_by`].
pub(super) fn state_set_by(
    mapping: &Mapping,
    endpoint: u8,
    action_taken: &Action,
) -> Option<Vec<Attribute>> {
    if matches!(action_taken, Action::Refresh | Action::Toggle) {
        return None;
    }
    let ops = action(mapping, endpoint, action_taken).ok()?;
    let mut state = Vec::new();
    // The action's own Gets (the translation follows each Set with one) bring the Report; the
    // Sets say the state.
    for ZwaveOp::Send { endpoint, command } in ops.iter().filter(|op| !is_get(op)) {
        let report = report_after(command)?;
        state.extend(attributes_of_report(mapping, *endpoint, &report));
    }
    (!state.is_empty()).then_some(state)
}

/// Whether `op` asks the node for a Report (a Get) rather than changing anything.
pub(super) fn is_get(op: &ZwaveOp) -> bool {
    let ZwaveOp::Send { command, .. } = op;
    command.expects_report()
}
