//! [`Capability`]: `[code]`, or `[code, kind]` for a measurement or an alarm.

use super::fields::{arity, choice, read_choice};
use crate::model::{AlarmKind, Capability, Error, MeasureKind, Result};
use coset::cbor::value::Value;

const ON_OFF: u64 = 1;
const LEVEL: u64 = 2;
const COLOR: u64 = 3;
const DOOR_LOCK: u64 = 4;
const THERMOSTAT: u64 = 5;
const MEASUREMENT: u64 = 6;
const ALARM: u64 = 7;
const BATTERY: u64 = 8;

const WHAT: &str = "capability";

impl Capability {
    /// The CBOR value.
    pub fn to_value(&self) -> Value {
        match self {
            Capability::OnOff => choice(ON_OFF, []),
            Capability::Level => choice(LEVEL, []),
            Capability::Color => choice(COLOR, []),
            Capability::DoorLock => choice(DOOR_LOCK, []),
            Capability::Thermostat => choice(THERMOSTAT, []),
            Capability::Measurement(kind) => choice(MEASUREMENT, [kind.to_value()]),
            Capability::Alarm(kind) => choice(ALARM, [kind.to_value()]),
            Capability::Battery => choice(BATTERY, []),
        }
    }

    /// Reads a capability, refusing unknown codes and kinds.
    pub fn from_value(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, WHAT)?;
        let plain = |capability| arity::<1>(items, WHAT).map(|_| capability);
        match code {
            ON_OFF => plain(Capability::OnOff),
            LEVEL => plain(Capability::Level),
            COLOR => plain(Capability::Color),
            DOOR_LOCK => plain(Capability::DoorLock),
            THERMOSTAT => plain(Capability::Thermostat),
            MEASUREMENT => {
                let [_, kind] = arity(items, WHAT)?;
                Ok(Capability::Measurement(MeasureKind::from_value(kind)?))
            }
            ALARM => {
                let [_, kind] = arity(items, WHAT)?;
                Ok(Capability::Alarm(AlarmKind::from_value(kind)?))
            }
            BATTERY => plain(Capability::Battery),
            code => Err(Error::UnknownCode { what: WHAT, code }),
        }
    }
}
