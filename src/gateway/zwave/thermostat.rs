//! Thermostats: Thermostat Mode (0x40), Thermostat Setpoint (0x43) and Thermostat Operating
//! State (0x42) reports into the thermostat's attributes, and mode and setpoint actions into
//! Sets (SDS13781 "Thermostat Mode Set/Report", "Thermostat Setpoint Set/Report",
//! "Thermostat Operating State Report"). The room temperature comes from Multilevel Sensor
//! (in [`super::sensor`]).
//!
//! Modes: 0 off, 1 heat, 2 cool, 3 auto, 4 auxiliary heat, 6 fan only, 8 dry air (and, in
//! reports, 10 auto changeover as auto); the others (resume, furnace, energy save, away, …)
//! have no model mode and give nothing. Setpoint types: 1 heating, 2 cooling. A setpoint is
//! sent in °C with precision 2 in two bytes, which every thermostat takes whatever unit it
//! shows (a thermostat converts a Set in the other scale itself).

use sealhub_radios::zwave::cc::{
    CommandClassFrame, MultilevelSensor, ScaledValue, ThermostatMode as ModeCc,
    ThermostatOperatingState, ThermostatSetpoint, ids,
};

use super::units::{apply_scale, centi_celsius, unapply_scale};
use super::{entry, entry_of, invalid, unsupported};
use crate::definitions::EndpointMapping;
use crate::gateway::Refusal;
use crate::model::{Attribute, Capability, RunningState, ThermostatMode};

/// Setpoint type Heating.
pub(super) const HEATING: u8 = 0x01;
/// Setpoint type Cooling.
pub(super) const COOLING: u8 = 0x02;
/// Multilevel Sensor type Air temperature, and its °C scale.
pub(super) const AIR_TEMPERATURE: u8 = 0x01;

/// The Gets for the thermostat part `cc` holds.
pub(super) fn refresh(cc: u8) -> Vec<CommandClassFrame> {
    match cc {
        ids::THERMOSTAT_MODE => vec![CommandClassFrame::ThermostatMode(ModeCc::Get)],
        ids::THERMOSTAT_SETPOINT => [HEATING, COOLING]
            .map(|setpoint_type| {
                CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Get { setpoint_type })
            })
            .to_vec(),
        ids::THERMOSTAT_OPERATING_STATE => vec![CommandClassFrame::ThermostatOperatingState(
            ThermostatOperatingState::Get,
        )],
        ids::MULTILEVEL_SENSOR => {
            vec![CommandClassFrame::MultilevelSensor(MultilevelSensor::Get {
                requested: Some((AIR_TEMPERATURE, 0)),
            })]
        }
        _ => Vec::new(),
    }
}

fn mode_of(wire: u8) -> Option<ThermostatMode> {
    Some(match wire {
        0 => ThermostatMode::Off,
        1 => ThermostatMode::Heat,
        2 => ThermostatMode::Cool,
        3 | 10 => ThermostatMode::Auto,
        4 => ThermostatMode::EmergencyHeat,
        6 => ThermostatMode::FanOnly,
        8 => ThermostatMode::Dry,
        _ => return None,
    })
}

fn wire_of(mode: ThermostatMode) -> u8 {
    match mode {
        ThermostatMode::Off => 0,
        ThermostatMode::Heat => 1,
        ThermostatMode::Cool => 2,
        ThermostatMode::Auto => 3,
        ThermostatMode::EmergencyHeat => 4,
        ThermostatMode::FanOnly => 6,
        ThermostatMode::Dry => 8,
    }
}

/// Thermostat Mode Report → the mode.
pub(super) fn mode_report(ep: &EndpointMapping, report: &ModeCc) -> Vec<Attribute> {
    let ModeCc::Report { mode, .. } = report else {
        return Vec::new();
    };
    if entry(ep, Capability::Thermostat, ids::THERMOSTAT_MODE).is_none() {
        return Vec::new();
    }
    match mode_of(*mode) {
        Some(m) => vec![Attribute::ThermostatMode(m)],
        None => {
            tracing::debug!(mode, "Thermostat mode has no model mode");
            Vec::new()
        }
    }
}

/// Thermostat Setpoint Report → the heating or cooling setpoint in 0.01 °C.
pub(super) fn setpoint_report(ep: &EndpointMapping, report: &ThermostatSetpoint) -> Vec<Attribute> {
    let ThermostatSetpoint::Report {
        setpoint_type,
        value,
    } = report
    else {
        return Vec::new();
    };
    let Some(e) = entry(ep, Capability::Thermostat, ids::THERMOSTAT_SETPOINT) else {
        return Vec::new();
    };
    let Some(c) = centi_celsius(value)
        .and_then(|c| apply_scale(i64::from(c), &e.options))
        .and_then(|c| i32::try_from(c).ok())
    else {
        tracing::debug!(?value, "Thermostat setpoint not a temperature that fits");
        return Vec::new();
    };
    match *setpoint_type {
        HEATING => vec![Attribute::HeatingSetpoint(c)],
        COOLING => vec![Attribute::CoolingSetpoint(c)],
        other => {
            tracing::debug!(setpoint_type = other, "Thermostat setpoint type not mapped");
            Vec::new()
        }
    }
}

/// Thermostat Operating State Report → what it is doing.
pub(super) fn state_report(
    ep: &EndpointMapping,
    report: &ThermostatOperatingState,
) -> Vec<Attribute> {
    let ThermostatOperatingState::Report { state } = report else {
        return Vec::new();
    };
    if entry(ep, Capability::Thermostat, ids::THERMOSTAT_OPERATING_STATE).is_none() {
        return Vec::new();
    }
    let running = match state {
        // Idle, and pending heat / pending cool (waiting, not yet running).
        0x00 | 0x04 | 0x05 => RunningState::Idle,
        // Heating; auxiliary; second stage; second and third stage auxiliary.
        0x01 | 0x07 | 0x08 | 0x0A | 0x0B => RunningState::Heating,
        // Cooling; second stage.
        0x02 | 0x09 => RunningState::Cooling,
        // Fan only; vent / economizer.
        0x03 | 0x06 => RunningState::Fan,
        other => {
            tracing::debug!(state = other, "Thermostat operating state not mapped");
            return Vec::new();
        }
    };
    vec![Attribute::RunningState(running)]
}

/// Multilevel Sensor air temperature → the thermostat's local temperature.
pub(super) fn local_temperature(ep: &EndpointMapping, value: &ScaledValue) -> Vec<Attribute> {
    let Some(e) = entry(ep, Capability::Thermostat, ids::MULTILEVEL_SENSOR) else {
        return Vec::new();
    };
    centi_celsius(value)
        .and_then(|c| apply_scale(i64::from(c), &e.options))
        .and_then(|c| i32::try_from(c).ok())
        .map(Attribute::LocalTemperature)
        .into_iter()
        .collect()
}

/// SetThermostatMode: Thermostat Mode Set, then Get.
pub(super) fn set_mode(
    ep: &EndpointMapping,
    mode: ThermostatMode,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    thermostat(ep)?;
    if entry(ep, Capability::Thermostat, ids::THERMOSTAT_MODE).is_none() {
        return Err(unsupported("this thermostat's mode cannot be set"));
    }
    Ok(vec![
        CommandClassFrame::ThermostatMode(ModeCc::Set {
            mode: wire_of(mode),
            manufacturer_data: Vec::new(),
        }),
        CommandClassFrame::ThermostatMode(ModeCc::Get),
    ])
}

/// SetHeatingSetpoint / SetCoolingSetpoint: Thermostat Setpoint Set in °C (precision 2,
/// size 2), then its Get.
pub(super) fn set_setpoint(
    ep: &EndpointMapping,
    setpoint_type: u8,
    centi: i32,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    thermostat(ep)?;
    let Some(e) = entry(ep, Capability::Thermostat, ids::THERMOSTAT_SETPOINT) else {
        return Err(unsupported("this thermostat's setpoints cannot be set"));
    };
    let wire = unapply_scale(i64::from(centi), &e.options)
        .and_then(|v| i16::try_from(v).ok())
        .ok_or_else(|| {
            invalid(format!(
                "a setpoint is -327.68 °C to 327.67 °C, not {}.{:02} °C",
                centi / 100,
                (centi % 100).abs()
            ))
        })?;
    Ok(vec![
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Set {
            setpoint_type,
            value: ScaledValue {
                precision: 2,
                scale: 0,
                size: 2,
                value: i32::from(wire),
            },
        }),
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Get { setpoint_type }),
    ])
}

fn thermostat(ep: &EndpointMapping) -> Result<(), Refusal> {
    match entry_of(ep, Capability::Thermostat) {
        Some(_) => Ok(()),
        None => Err(unsupported("this device is not a thermostat")),
    }
}
