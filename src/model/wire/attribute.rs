//! [`Attribute`]: `[code, fields...]`, each value in its fixed unit; and the range checks
//! values share with the actions that set them.

use super::fields::{arity, choice, in_range, nullable, or_null, read_choice, signed, unsigned};
use super::{MAX_MEASUREMENT, MIN_TEMPERATURE};
use crate::cbor::{as_bool, uint};
use crate::model::{
    Attribute, Error, LockAction, LockSource, LockState, MeasureKind, Result, RunningState,
    ThermostatMode, UserCodeStatus,
};
use coset::cbor::value::Value;

const ON_OFF: u64 = 1;
const LEVEL: u64 = 2;
const COLOR_XY: u64 = 3;
const COLOR_HS: u64 = 4;
const COLOR_TEMPERATURE: u64 = 5;
const LOCK_STATE: u64 = 6;
const LOCK_OPERATION: u64 = 7;
const USER_CODE: u64 = 8;
const THERMOSTAT_MODE: u64 = 9;
const HEATING_SETPOINT: u64 = 10;
const COOLING_SETPOINT: u64 = 11;
const RUNNING_STATE: u64 = 12;
const LOCAL_TEMPERATURE: u64 = 13;
const MEASUREMENT: u64 = 14;
const ALARM: u64 = 15;
const BATTERY_PERCENT: u64 = 16;
const BATTERY_LOW: u64 = 17;

const WHAT: &str = "attribute";

/// A level in 0.01 %: 0..=10000.
pub(super) fn check_level(level: u16, what: &'static str) -> Result<()> {
    in_range(level, 0, 10000, what, "0..=10000 (0.01 %)")
}

/// A hue in 0.01°: 0..=35999.
pub(super) fn check_hue(hue: u16, what: &'static str) -> Result<()> {
    in_range(hue, 0, 35999, what, "0..=35999 (0.01°)")
}

/// A saturation in 0.01 %: 0..=10000.
pub(super) fn check_saturation(saturation: u16, what: &'static str) -> Result<()> {
    in_range(saturation, 0, 10000, what, "0..=10000 (0.01 %)")
}

/// A user code slot: from 1.
pub(super) fn check_slot(slot: u16, what: &'static str) -> Result<()> {
    in_range(slot, 1, u16::MAX, what, "1..=65535")
}

/// A temperature in 0.01 °C: not below absolute zero.
pub(super) fn check_temperature(centi_celsius: impl Into<i128>, what: &'static str) -> Result<()> {
    in_range(
        centi_celsius,
        MIN_TEMPERATURE,
        i32::MAX,
        what,
        "-27315..=2147483647 (0.01 °C)",
    )
}

/// A measurement in its kind's unit.
fn check_measurement(kind: MeasureKind, value: i64) -> Result<()> {
    const WHAT: &str = "Measurement value";
    in_range(
        value,
        -MAX_MEASUREMENT,
        MAX_MEASUREMENT,
        WHAT,
        "-(2^53-1)..=2^53-1",
    )?;
    match kind {
        MeasureKind::Temperature => check_temperature(value, WHAT),
        MeasureKind::Humidity => in_range(value, 0, 10000, WHAT, "0..=10000 (0.01 %RH)"),
        MeasureKind::Illuminance => in_range(value, 0, MAX_MEASUREMENT, WHAT, "0..=2^53-1 (lux)"),
        MeasureKind::Power | MeasureKind::Energy | MeasureKind::Voltage | MeasureKind::Current => {
            Ok(())
        }
    }
}

impl Attribute {
    /// The CBOR value. Encode only values that [`validate`](Self::validate) accepts.
    pub fn to_value(&self) -> Value {
        match self {
            Attribute::OnOff(on) => choice(ON_OFF, [Value::Bool(*on)]),
            Attribute::Level(level) => choice(LEVEL, [uint((*level).into())]),
            Attribute::ColorXy { x, y } => choice(COLOR_XY, [uint((*x).into()), uint((*y).into())]),
            Attribute::ColorHs { hue, saturation } => {
                choice(COLOR_HS, [uint((*hue).into()), uint((*saturation).into())])
            }
            Attribute::ColorTemperature(mireds) => {
                choice(COLOR_TEMPERATURE, [uint((*mireds).into())])
            }
            Attribute::LockState(state) => choice(LOCK_STATE, [state.to_value()]),
            Attribute::LockOperation {
                action,
                source,
                slot,
            } => choice(
                LOCK_OPERATION,
                [
                    action.to_value(),
                    source.to_value(),
                    or_null(*slot, |s| uint(s.into())),
                ],
            ),
            Attribute::UserCode { slot, status } => {
                choice(USER_CODE, [uint((*slot).into()), status.to_value()])
            }
            Attribute::ThermostatMode(mode) => choice(THERMOSTAT_MODE, [mode.to_value()]),
            Attribute::HeatingSetpoint(t) => choice(HEATING_SETPOINT, [Value::from(*t)]),
            Attribute::CoolingSetpoint(t) => choice(COOLING_SETPOINT, [Value::from(*t)]),
            Attribute::RunningState(state) => choice(RUNNING_STATE, [state.to_value()]),
            Attribute::LocalTemperature(t) => choice(LOCAL_TEMPERATURE, [Value::from(*t)]),
            Attribute::Measurement { kind, value } => {
                choice(MEASUREMENT, [kind.to_value(), Value::from(*value)])
            }
            Attribute::Alarm { kind, active } => {
                choice(ALARM, [kind.to_value(), Value::Bool(*active)])
            }
            Attribute::BatteryPercent(percent) => {
                choice(BATTERY_PERCENT, [uint((*percent).into())])
            }
            Attribute::BatteryLow(low) => choice(BATTERY_LOW, [Value::Bool(*low)]),
        }
    }

    /// Reads a value and checks its range.
    pub fn from_value(value: &Value) -> Result<Self> {
        let attribute = Self::parse(value)?;
        attribute.validate()?;
        Ok(attribute)
    }

    /// Reads a value's structure and types; ranges are left to [`validate`](Self::validate).
    pub(super) fn parse(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, WHAT)?;
        Ok(match code {
            ON_OFF => {
                let [_, on] = arity(items, "OnOff")?;
                Attribute::OnOff(as_bool(on, "OnOff")?)
            }
            LEVEL => {
                let [_, level] = arity(items, "Level")?;
                Attribute::Level(unsigned(level, "Level")?)
            }
            COLOR_XY => {
                let [_, x, y] = arity(items, "ColorXy")?;
                Attribute::ColorXy {
                    x: unsigned(x, "ColorXy x")?,
                    y: unsigned(y, "ColorXy y")?,
                }
            }
            COLOR_HS => {
                let [_, hue, saturation] = arity(items, "ColorHs")?;
                Attribute::ColorHs {
                    hue: unsigned(hue, "ColorHs hue")?,
                    saturation: unsigned(saturation, "ColorHs saturation")?,
                }
            }
            COLOR_TEMPERATURE => {
                let [_, mireds] = arity(items, "ColorTemperature")?;
                Attribute::ColorTemperature(unsigned(mireds, "ColorTemperature")?)
            }
            LOCK_STATE => {
                let [_, state] = arity(items, "LockState")?;
                Attribute::LockState(LockState::from_value(state)?)
            }
            LOCK_OPERATION => {
                let [_, action, source, slot] = arity(items, "LockOperation")?;
                Attribute::LockOperation {
                    action: LockAction::from_value(action)?,
                    source: LockSource::from_value(source)?,
                    slot: nullable(slot, |s| unsigned(s, "LockOperation slot"))?,
                }
            }
            USER_CODE => {
                let [_, slot, status] = arity(items, "UserCode")?;
                Attribute::UserCode {
                    slot: unsigned(slot, "UserCode slot")?,
                    status: UserCodeStatus::from_value(status)?,
                }
            }
            THERMOSTAT_MODE => {
                let [_, mode] = arity(items, "ThermostatMode")?;
                Attribute::ThermostatMode(ThermostatMode::from_value(mode)?)
            }
            HEATING_SETPOINT => {
                let [_, t] = arity(items, "HeatingSetpoint")?;
                Attribute::HeatingSetpoint(signed(t, "HeatingSetpoint")?)
            }
            COOLING_SETPOINT => {
                let [_, t] = arity(items, "CoolingSetpoint")?;
                Attribute::CoolingSetpoint(signed(t, "CoolingSetpoint")?)
            }
            RUNNING_STATE => {
                let [_, state] = arity(items, "RunningState")?;
                Attribute::RunningState(RunningState::from_value(state)?)
            }
            LOCAL_TEMPERATURE => {
                let [_, t] = arity(items, "LocalTemperature")?;
                Attribute::LocalTemperature(signed(t, "LocalTemperature")?)
            }
            MEASUREMENT => {
                let [_, kind, value] = arity(items, "Measurement")?;
                Attribute::Measurement {
                    kind: MeasureKind::from_value(kind)?,
                    value: crate::cbor::as_i64(value, "Measurement value")?,
                }
            }
            ALARM => {
                let [_, kind, active] = arity(items, "Alarm")?;
                Attribute::Alarm {
                    kind: crate::model::AlarmKind::from_value(kind)?,
                    active: as_bool(active, "Alarm active")?,
                }
            }
            BATTERY_PERCENT => {
                let [_, percent] = arity(items, "BatteryPercent")?;
                Attribute::BatteryPercent(unsigned(percent, "BatteryPercent")?)
            }
            BATTERY_LOW => {
                let [_, low] = arity(items, "BatteryLow")?;
                Attribute::BatteryLow(as_bool(low, "BatteryLow")?)
            }
            code => return Err(Error::UnknownCode { what: WHAT, code }),
        })
    }

    /// Checks every field's range, as decoding does: call it on a value built from a device's
    /// report before encoding it, so clients never receive what they would refuse.
    pub fn validate(&self) -> Result<()> {
        match self {
            Attribute::Level(level) => check_level(*level, "Level"),
            Attribute::ColorHs { hue, saturation } => {
                check_hue(*hue, "ColorHs hue")?;
                check_saturation(*saturation, "ColorHs saturation")
            }
            Attribute::LockOperation {
                slot: Some(slot), ..
            } => check_slot(*slot, "LockOperation slot"),
            Attribute::UserCode { slot, .. } => check_slot(*slot, "UserCode slot"),
            Attribute::HeatingSetpoint(t) => check_temperature(*t, "HeatingSetpoint"),
            Attribute::CoolingSetpoint(t) => check_temperature(*t, "CoolingSetpoint"),
            Attribute::LocalTemperature(t) => check_temperature(*t, "LocalTemperature"),
            Attribute::Measurement { kind, value } => check_measurement(*kind, *value),
            Attribute::BatteryPercent(percent) => {
                in_range(*percent, 0, 100, "BatteryPercent", "0..=100 (%)")
            }
            Attribute::OnOff(_)
            | Attribute::ColorXy { .. }
            | Attribute::ColorTemperature(_)
            | Attribute::LockState(_)
            | Attribute::LockOperation { slot: None, .. }
            | Attribute::ThermostatMode(_)
            | Attribute::RunningState(_)
            | Attribute::Alarm { .. }
            | Attribute::BatteryLow(_) => Ok(()),
        }
    }
}
