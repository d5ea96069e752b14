//! Actuators: Basic (0x20), Binary Switch (0x25), Multilevel Switch (0x26) and Color Switch
//! (0x33) reports into on/off, level and colour, and the model's switch, dim and colour
//! actions into their Sets (each followed by the Get of what it changed). Values per SDS13781
//! (Z-Wave Application Command Class Specification): Binary Switch Report 0x00 off, 0xFF on
//! (0x01..=0x63 on, as version 1 allowed), 0xFE unknown; Multilevel Switch Report 0..=99,
//! 0xFE unknown; a Multilevel Switch Set of 0xFF restores the last non-zero level.

use sealhub_radios::zwave::cc::{
    Basic, BinarySwitch, ColorSwitch, CommandClassFrame, MultilevelSwitch, ids,
};

use super::color::{self, ColorComponents, component};
use super::units::{duration_byte, level_from_wire, level_to_wire};
use super::{entry, entry_of, invalid, unsupported};
use crate::definitions::EndpointMapping;
use crate::gateway::Refusal;
use crate::model::{Attribute, Capability};

/// Binary Switch and Basic "on".
const ON: u8 = 0xFF;
/// "Off".
const OFF: u8 = 0x00;
/// The components the generic colour actions set and read: warm and cold white, red, green,
/// blue (the RGBWW set most Z-Wave colour bulbs have).
const COMPONENTS: [u8; 5] = [
    component::WARM_WHITE,
    component::COLD_WHITE,
    component::RED,
    component::GREEN,
    component::BLUE,
];

/// The Get that reads on/off or level from `cc`.
pub(super) fn refresh(cc: u8) -> Vec<CommandClassFrame> {
    match cc {
        ids::BINARY_SWITCH => vec![CommandClassFrame::BinarySwitch(BinarySwitch::Get)],
        ids::MULTILEVEL_SWITCH => vec![CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Get)],
        ids::BASIC => vec![CommandClassFrame::Basic(Basic::Get)],
        _ => Vec::new(),
    }
}

/// A Color Switch Get per component.
pub(super) fn color_refresh() -> Vec<CommandClassFrame> {
    COMPONENTS
        .iter()
        .map(|&component| CommandClassFrame::ColorSwitch(ColorSwitch::Get { component }))
        .collect()
}

fn on_off_from(ep: &EndpointMapping, cc: u8, on: bool) -> Vec<Attribute> {
    entry(ep, Capability::OnOff, cc)
        .map(|e| Attribute::OnOff(on != e.options.invert))
        .into_iter()
        .collect()
}

/// Binary Switch Report → on/off.
pub(super) fn binary_report(ep: &EndpointMapping, report: &BinarySwitch) -> Vec<Attribute> {
    let BinarySwitch::Report { current, .. } = report else {
        return Vec::new();
    };
    let on = match *current {
        OFF => false,
        0x01..=0x63 | ON => true,
        other => {
            tracing::debug!(value = other, "Binary Switch Report without a known state");
            return Vec::new();
        }
    };
    on_off_from(ep, ids::BINARY_SWITCH, on)
}

/// Multilevel Switch Report → on/off and level.
pub(super) fn multilevel_report(ep: &EndpointMapping, report: &MultilevelSwitch) -> Vec<Attribute> {
    let MultilevelSwitch::Report { current, .. } = report else {
        return Vec::new();
    };
    let Some(level) = level_from_wire(*current) else {
        tracing::debug!(
            value = current,
            "Multilevel Switch Report without a known level"
        );
        return Vec::new();
    };
    let mut out = on_off_from(ep, ids::MULTILEVEL_SWITCH, level > 0);
    if entry(ep, Capability::Level, ids::MULTILEVEL_SWITCH).is_some() {
        out.push(Attribute::Level(level));
    }
    out
}

/// Basic Report → on/off (and level 0..=99) for an end point mapped by Basic; nothing for
/// others, which also answer Basic but are read through their own class.
pub(super) fn basic_report(ep: &EndpointMapping, report: &Basic) -> Vec<Attribute> {
    let Basic::Report { current, .. } = report else {
        return Vec::new();
    };
    let on = match *current {
        OFF => false,
        0x01..=0x63 | ON => true,
        other => {
            tracing::debug!(value = other, "Basic Report without a known state");
            return Vec::new();
        }
    };
    let mut out = on_off_from(ep, ids::BASIC, on);
    if entry(ep, Capability::Level, ids::BASIC).is_some()
        && let Some(level) = level_from_wire(*current)
    {
        out.push(Attribute::Level(level));
    }
    out
}

/// Color Switch Report → the colour, when the last component of its group arrives (cold
/// white for the white mix, blue for red-green-blue) and the group is known: components are
/// read and reported in ascending order, so a colour is never made of a new red and a
/// stale green. A node that reports one changed component alone is seen at the next refresh.
pub(super) fn color_report(
    ep: &EndpointMapping,
    report: &ColorSwitch,
    colors: &mut ColorComponents,
) -> Vec<Attribute> {
    let ColorSwitch::Report {
        component: id,
        current,
        ..
    } = report
    else {
        return Vec::new();
    };
    if entry(ep, Capability::Color, ids::COLOR_SWITCH).is_none() {
        return Vec::new();
    }
    let [warm, cold, r, g, b] = colors.record(ep.endpoint, *id, *current);
    match *id {
        component::COLD_WHITE => match (warm, cold) {
            (Some(w), Some(c)) => color::whites_to_mireds(w, c)
                .map(Attribute::ColorTemperature)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        },
        component::BLUE => match (r, g, b) {
            (Some(r), Some(g), Some(b)) => color::rgb_to_xy(r, g, b)
                .map(|(x, y)| Attribute::ColorXy { x, y })
                .into_iter()
                .collect(),
            _ => Vec::new(),
        },
        component::WARM_WHITE | component::RED | component::GREEN => Vec::new(),
        other => {
            tracing::debug!(component = other, "Color Switch component not mapped");
            Vec::new()
        }
    }
}

/// TurnOn / TurnOff: the Set of the class the end point's on/off comes from, then its Get.
pub(super) fn on_off(ep: &EndpointMapping, on: bool) -> Result<Vec<CommandClassFrame>, Refusal> {
    let Some(e) = entry_of(ep, Capability::OnOff) else {
        return Err(unsupported("this device cannot be switched on and off"));
    };
    let value = if on != e.options.invert { ON } else { OFF };
    Ok(match super::source_of(e) {
        Some(ids::BINARY_SWITCH) => vec![
            CommandClassFrame::BinarySwitch(BinarySwitch::Set {
                value,
                duration: None,
            }),
            CommandClassFrame::BinarySwitch(BinarySwitch::Get),
        ],
        Some(ids::MULTILEVEL_SWITCH) => vec![
            CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Set {
                value,
                duration: None,
            }),
            CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Get),
        ],
        Some(ids::BASIC) => vec![
            CommandClassFrame::Basic(Basic::Set { value }),
            CommandClassFrame::Basic(Basic::Get),
        ],
        _ => return Err(unsupported("this device cannot be switched on and off")),
    })
}

/// SetLevel: a Multilevel Switch Set (0..=99, with the transition as its duration) or a
/// Basic Set, then the Get.
pub(super) fn set_level(
    ep: &EndpointMapping,
    level: u16,
    transition: Option<u16>,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    let Some(e) = entry_of(ep, Capability::Level) else {
        return Err(unsupported("this device cannot be dimmed"));
    };
    let Some(value) = level_to_wire(level) else {
        return Err(invalid(format!(
            "a level is 0 to 10000 (hundredths of a percent), not {level}"
        )));
    };
    Ok(match super::source_of(e) {
        Some(ids::MULTILEVEL_SWITCH) => vec![
            CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Set {
                value,
                duration: transition.map(duration_byte),
            }),
            CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Get),
        ],
        Some(ids::BASIC) => vec![
            CommandClassFrame::Basic(Basic::Set { value }),
            CommandClassFrame::Basic(Basic::Get),
        ],
        _ => return Err(unsupported("this device cannot be dimmed")),
    })
}

/// A Color Switch Set of `components`, then a Get per component.
fn color_set(components: Vec<(u8, u8)>) -> Vec<CommandClassFrame> {
    let mut out = vec![CommandClassFrame::ColorSwitch(ColorSwitch::Set {
        components,
        duration: None,
    })];
    out.extend(color_refresh());
    out
}

/// SetColorXy: red, green and blue from xy (whites off), then a Get per component.
pub(super) fn set_color_xy(
    ep: &EndpointMapping,
    x: u16,
    y: u16,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    if entry(ep, Capability::Color, ids::COLOR_SWITCH).is_none() {
        return Err(unsupported("this device cannot change colour"));
    }
    let Some((r, g, b)) = color::xy_to_rgb(x, y) else {
        return Err(invalid(format!(
            "({x}, {y}) is no colour: y must be above 0"
        )));
    };
    Ok(color_set(rgb_components(r, g, b)))
}

/// SetColorHs: red, green and blue from hue and saturation (whites off).
pub(super) fn set_color_hs(
    ep: &EndpointMapping,
    hue: u16,
    saturation: u16,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    if entry(ep, Capability::Color, ids::COLOR_SWITCH).is_none() {
        return Err(unsupported("this device cannot change colour"));
    }
    let Some((r, g, b)) = color::hs_to_rgb(hue, saturation) else {
        return Err(invalid(format!(
            "hue is 0 to 35999 (hundredths of a degree) and saturation 0 to 10000, not \
             {hue} and {saturation}"
        )));
    };
    Ok(color_set(rgb_components(r, g, b)))
}

/// SetColorTemperature: the warm and cold white mix (colours off).
pub(super) fn set_color_temperature(
    ep: &EndpointMapping,
    mireds: u16,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    if entry(ep, Capability::Color, ids::COLOR_SWITCH).is_none() {
        return Err(unsupported("this device cannot change colour"));
    }
    let Some((warm, cold)) = color::mireds_to_whites(mireds) else {
        return Err(invalid(format!(
            "this light mixes its warm (2700 K) and cold (6500 K) whites: a colour temperature \
             from {} to {} mireds, not {mireds}",
            color::COLD_MIREDS,
            color::WARM_MIREDS
        )));
    };
    Ok(color_set(vec![
        (component::WARM_WHITE, warm),
        (component::COLD_WHITE, cold),
        (component::RED, 0),
        (component::GREEN, 0),
        (component::BLUE, 0),
    ]))
}

fn rgb_components(r: u8, g: u8, b: u8) -> Vec<(u8, u8)> {
    vec![
        (component::WARM_WHITE, 0),
        (component::COLD_WHITE, 0),
        (component::RED, r),
        (component::GREEN, g),
        (component::BLUE, b),
    ]
}
