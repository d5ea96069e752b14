//! The state an absolute action leaves the device in once the device confirmed it (a ZCL
//! Default Response with status SUCCESS, or a Write Attributes Response with every record
//! SUCCESS): the attributes the device will report, so the core can answer `Done` without
//! reading them back.
//!
//! The state is found by passing the values the request carried through the same conversion
//! as a report ([`super::report::attributes_of_report`]): a level rounded to ZCL's 0..=254, an
//! inverted switch or a setpoint come back exactly as the device's own report would bring them.
//! Actions whose result the request does not say are `None` and read back: Toggle, a
//! transition (Move to Level with a transition time), a door lock (its Lock Door Response is
//! cluster-specific and its status is not read yet), user codes, Refresh.

use sealhub_radios::zigbee::zcl::clusters::color::{
    COLOR_MODE, COLOR_TEMPERATURE_MIREDS, CURRENT_HUE, CURRENT_SATURATION, CURRENT_X, CURRENT_Y,
};
use sealhub_radios::zigbee::zcl::clusters::{color, level, on_off};
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};

use super::action::action;
use super::report::attributes_of_report;
use super::sources::{COLOR, LEVEL, ON_OFF};
use crate::gateway::{Mapping, ZigbeeOp};
use crate::model::{Action, Attribute};

/// ZCL 8 §5.2 ColorMode: 0 hue and saturation, 1 CIE x and y, 2 colour temperature.
const MODE_HS: u8 = 0;
const MODE_XY: u8 = 1;
const MODE_TEMPERATURE: u8 = 2;

/// Attribute values of one cluster, as a read or report would carry them.
type ClusterValues = (u16, Vec<(u16, Value)>);

/// The attribute values, by cluster, that one confirmed request sets; `None` when the request
/// does not say what the device's state will be.
fn values_set_by(op: &ZigbeeOp) -> Option<Vec<ClusterValues>> {
    let uint16 = |v: u16| Value::uint(2, u64::from(v));
    match op {
        ZigbeeOp::Write {
            cluster, records, ..
        } => Some(vec![(
            *cluster,
            records.iter().map(|r| (r.id, r.value.clone())).collect(),
        )]),
        ZigbeeOp::Command { command, .. } => match command {
            ClusterCommand::OnOff(on_off::ToServer::On(_)) => {
                Some(vec![(ON_OFF, vec![(on_off::ON_OFF.id, Value::Boolean(1))])])
            }
            ClusterCommand::OnOff(on_off::ToServer::Off(_)) => {
                Some(vec![(ON_OFF, vec![(on_off::ON_OFF.id, Value::Boolean(0))])])
            }
            // At once and to a level above 0: the light is on at that level. Level 0 switches
            // it off and leaves CurrentLevel to the device (often its minimum level).
            ClusterCommand::LevelControl(level::ToServer::MoveToLevelWithOnOff(m))
                if m.transition_time == 0 && m.level > 0 =>
            {
                Some(vec![
                    (
                        LEVEL,
                        vec![(level::CURRENT_LEVEL.id, Value::uint(1, u64::from(m.level)))],
                    ),
                    (ON_OFF, vec![(on_off::ON_OFF.id, Value::Boolean(1))]),
                ])
            }
            ClusterCommand::ColorControl(color::ToServer::MoveToColor(m))
                if m.transition_time == 0 =>
            {
                Some(vec![(
                    COLOR,
                    vec![
                        (CURRENT_X.id, uint16(m.x)),
                        (CURRENT_Y.id, uint16(m.y)),
                        (COLOR_MODE.id, Value::Enum8(MODE_XY)),
                    ],
                )])
            }
            ClusterCommand::ColorControl(color::ToServer::MoveToHueAndSaturation(m))
                if m.transition_time == 0 =>
            {
                Some(vec![(
                    COLOR,
                    vec![
                        (CURRENT_HUE.id, Value::uint(1, u64::from(m.hue))),
                        (
                            CURRENT_SATURATION.id,
                            Value::uint(1, u64::from(m.saturation)),
                        ),
                        (COLOR_MODE.id, Value::Enum8(MODE_HS)),
                    ],
                )])
            }
            ClusterCommand::ColorControl(color::ToServer::MoveToColorTemperature(m))
                if m.transition_time == 0 =>
            {
                Some(vec![(
                    COLOR,
                    vec![
                        (COLOR_TEMPERATURE_MIREDS.id, uint16(m.mireds)),
                        (COLOR_MODE.id, Value::Enum8(MODE_TEMPERATURE)),
                    ],
                )])
            }
            _ => None,
        },
        ZigbeeOp::Read { .. } | ZigbeeOp::Bind { .. } | ZigbeeOp::ConfigureReporting { .. } => None,
    }
}

/// See [`super::state_set_by`].
pub(super) fn state_set_by(
    mapping: &Mapping,
    endpoint: u8,
    action_taken: &Action,
) -> Option<Vec<Attribute>> {
    if matches!(action_taken, Action::Refresh) {
        return None;
    }
    let ops = action(mapping, endpoint, action_taken).ok()?;
    let mut state = Vec::new();
    for op in &ops {
        for (cluster, values) in values_set_by(op)? {
            state.extend(attributes_of_report(mapping, endpoint, cluster, &values));
        }
    }
    (!state.is_empty()).then_some(state)
}
