//! [`Action`]: `[code, fields...]`, what a client asks of one endpoint.

use super::attribute::{check_hue, check_level, check_saturation, check_slot, check_temperature};
use super::fields::{
    arity, check_digits, choice, nullable, or_null, read_choice, signed, text, unsigned,
};
use crate::cbor::uint;
use crate::model::{Action, Error, Result, ThermostatMode};
use coset::cbor::value::Value;

const TURN_ON: u64 = 1;
const TURN_OFF: u64 = 2;
const TOGGLE: u64 = 3;
const SET_LEVEL: u64 = 4;
const SET_COLOR_XY: u64 = 5;
const SET_COLOR_HS: u64 = 6;
const SET_COLOR_TEMPERATURE: u64 = 7;
const LOCK: u64 = 8;
const UNLOCK: u64 = 9;
const SET_USER_CODE: u64 = 10;
const CLEAR_USER_CODE: u64 = 11;
const SET_THERMOSTAT_MODE: u64 = 12;
const SET_HEATING_SETPOINT: u64 = 13;
const SET_COOLING_SETPOINT: u64 = 14;
const REFRESH: u64 = 15;

const WHAT: &str = "action";

/// The fewest and most digits of a user code.
const USER_CODE_DIGITS: (usize, usize) = (4, 10);

impl Action {
    /// The CBOR value. Encode only actions that [`validate`](Self::validate) accepts.
    pub fn to_value(&self) -> Value {
        match self {
            Action::TurnOn => choice(TURN_ON, []),
            Action::TurnOff => choice(TURN_OFF, []),
            Action::Toggle => choice(TOGGLE, []),
            Action::SetLevel { level, transition } => choice(
                SET_LEVEL,
                [
                    uint((*level).into()),
                    or_null(*transition, |t| uint(t.into())),
                ],
            ),
            Action::SetColorXy { x, y } => {
                choice(SET_COLOR_XY, [uint((*x).into()), uint((*y).into())])
            }
            Action::SetColorHs { hue, saturation } => choice(
                SET_COLOR_HS,
                [uint((*hue).into()), uint((*saturation).into())],
            ),
            Action::SetColorTemperature(mireds) => {
                choice(SET_COLOR_TEMPERATURE, [uint((*mireds).into())])
            }
            Action::Lock => choice(LOCK, []),
            Action::Unlock => choice(UNLOCK, []),
            Action::SetUserCode { slot, code } => choice(
                SET_USER_CODE,
                [uint((*slot).into()), Value::Text(code.clone())],
            ),
            Action::ClearUserCode { slot } => choice(CLEAR_USER_CODE, [uint((*slot).into())]),
            Action::SetThermostatMode(mode) => choice(SET_THERMOSTAT_MODE, [mode.to_value()]),
            Action::SetHeatingSetpoint(t) => choice(SET_HEATING_SETPOINT, [Value::from(*t)]),
            Action::SetCoolingSetpoint(t) => choice(SET_COOLING_SETPOINT, [Value::from(*t)]),
            Action::Refresh => choice(REFRESH, []),
        }
    }

    /// Reads an action and checks its ranges.
    pub fn from_value(value: &Value) -> Result<Self> {
        let action = Self::parse(value)?;
        action.validate()?;
        Ok(action)
    }

    /// Reads an action's structure and types; ranges are left to [`validate`](Self::validate).
    pub(super) fn parse(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, WHAT)?;
        Ok(match code {
            TURN_ON => arity::<1>(items, "TurnOn").map(|_| Action::TurnOn)?,
            TURN_OFF => arity::<1>(items, "TurnOff").map(|_| Action::TurnOff)?,
            TOGGLE => arity::<1>(items, "Toggle").map(|_| Action::Toggle)?,
            SET_LEVEL => {
                let [_, level, transition] = arity(items, "SetLevel")?;
                Action::SetLevel {
                    level: unsigned(level, "SetLevel level")?,
                    transition: nullable(transition, |t| unsigned(t, "SetLevel transition"))?,
                }
            }
            SET_COLOR_XY => {
                let [_, x, y] = arity(items, "SetColorXy")?;
                Action::SetColorXy {
                    x: unsigned(x, "SetColorXy x")?,
                    y: unsigned(y, "SetColorXy y")?,
                }
            }
            SET_COLOR_HS => {
                let [_, hue, saturation] = arity(items, "SetColorHs")?;
                Action::SetColorHs {
                    hue: unsigned(hue, "SetColorHs hue")?,
                    saturation: unsigned(saturation, "SetColorHs saturation")?,
                }
            }
            SET_COLOR_TEMPERATURE => {
                let [_, mireds] = arity(items, "SetColorTemperature")?;
                Action::SetColorTemperature(unsigned(mireds, "SetColorTemperature")?)
            }
            LOCK => arity::<1>(items, "Lock").map(|_| Action::Lock)?,
            UNLOCK => arity::<1>(items, "Unlock").map(|_| Action::Unlock)?,
            SET_USER_CODE => {
                let [_, slot, code] = arity(items, "SetUserCode")?;
                Action::SetUserCode {
                    slot: unsigned(slot, "SetUserCode slot")?,
                    code: text(code, "SetUserCode code")?,
                }
            }
            CLEAR_USER_CODE => {
                let [_, slot] = arity(items, "ClearUserCode")?;
                Action::ClearUserCode {
                    slot: unsigned(slot, "ClearUserCode slot")?,
                }
            }
            SET_THERMOSTAT_MODE => {
                let [_, mode] = arity(items, "SetThermostatMode")?;
                Action::SetThermostatMode(ThermostatMode::from_value(mode)?)
            }
            SET_HEATING_SETPOINT => {
                let [_, t] = arity(items, "SetHeatingSetpoint")?;
                Action::SetHeatingSetpoint(signed(t, "SetHeatingSetpoint")?)
            }
            SET_COOLING_SETPOINT => {
                let [_, t] = arity(items, "SetCoolingSetpoint")?;
                Action::SetCoolingSetpoint(signed(t, "SetCoolingSetpoint")?)
            }
            REFRESH => arity::<1>(items, "Refresh").map(|_| Action::Refresh)?,
            code => return Err(Error::UnknownCode { what: WHAT, code }),
        })
    }

    /// Checks every field's range, as decoding does (a client checks before sending).
    pub fn validate(&self) -> Result<()> {
        match self {
            Action::SetLevel { level, .. } => check_level(*level, "SetLevel level"),
            Action::SetColorHs { hue, saturation } => {
                check_hue(*hue, "SetColorHs hue")?;
                check_saturation(*saturation, "SetColorHs saturation")
            }
            Action::SetUserCode { slot, code } => {
                check_slot(*slot, "SetUserCode slot")?;
                let (min, max) = USER_CODE_DIGITS;
                check_digits(
                    code,
                    "SetUserCode code",
                    min,
                    max,
                    "must be 4-10 digits 0-9",
                )
            }
            Action::ClearUserCode { slot } => check_slot(*slot, "ClearUserCode slot"),
            Action::SetHeatingSetpoint(t) => check_temperature(*t, "SetHeatingSetpoint"),
            Action::SetCoolingSetpoint(t) => check_temperature(*t, "SetCoolingSetpoint"),
            Action::TurnOn
            | Action::TurnOff
            | Action::Toggle
            | Action::SetColorXy { .. }
            | Action::SetColorTemperature(_)
            | Action::Lock
            | Action::Unlock
            | Action::SetThermostatMode(_)
            | Action::Refresh => Ok(()),
        }
    }
}
