//! The enumerations whose values carry nothing: each travels as its bare code. The table
//! here is the only place a code is assigned, and `docs/DEVICE-MODEL.md` lists the same
//! (checked by the documentation test).

use crate::cbor::{as_u64, uint};
use crate::model::{
    AlarmKind, Error, Failure, LockAction, LockSource, LockState, MeasureKind, RadioKind, Result,
    Role, RunningState, ThermostatMode, UserCodeStatus,
};
use coset::cbor::value::Value;

/// Gives a field-less enum its codes and its mirrored `to_value` / `from_value`.
macro_rules! codes {
    ($ty:ident, $what:literal, { $($variant:ident = $code:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in code order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The value's code on the wire.
            pub const fn code(self) -> u64 {
                match self {
                    $($ty::$variant => $code),+
                }
            }

            /// The value a wire code stands for; `None` for a code this version does not know.
            pub const fn from_code(code: u64) -> Option<Self> {
                match code {
                    $($code => Some($ty::$variant),)+
                    _ => None,
                }
            }

            /// The CBOR value: the bare code.
            pub fn to_value(&self) -> Value {
                uint(self.code())
            }

            /// Reads a code, refusing one this version does not know.
            pub fn from_value(value: &Value) -> Result<Self> {
                let code = as_u64(value, $what)?;
                Self::from_code(code).ok_or(Error::UnknownCode { what: $what, code })
            }
        }
    };
}

codes!(MeasureKind, "measurement kind", {
    Temperature = 1,
    Humidity = 2,
    Illuminance = 3,
    Power = 4,
    Energy = 5,
    Voltage = 6,
    Current = 7,
});

codes!(AlarmKind, "alarm kind", {
    Contact = 1,
    Motion = 2,
    Smoke = 3,
    Water = 4,
    CarbonMonoxide = 5,
    Tamper = 6,
});

codes!(LockState, "lock state", {
    Locked = 1,
    Unlocked = 2,
    Jammed = 3,
    Unknown = 4,
});

codes!(LockAction, "lock action", {
    Locked = 1,
    Unlocked = 2,
});

codes!(LockSource, "lock source", {
    Manual = 1,
    Keypad = 2,
    Remote = 3,
    Auto = 4,
    Unknown = 5,
});

codes!(UserCodeStatus, "user code status", {
    Available = 1,
    Occupied = 2,
    Disabled = 3,
});

codes!(ThermostatMode, "thermostat mode", {
    Off = 1,
    Heat = 2,
    Cool = 3,
    Auto = 4,
    FanOnly = 5,
    Dry = 6,
    EmergencyHeat = 7,
});

codes!(RunningState, "running state", {
    Idle = 1,
    Heating = 2,
    Cooling = 3,
    Fan = 4,
});

codes!(RadioKind, "radio", {
    Zigbee = 1,
    Zwave = 2,
});

codes!(Role, "role", {
    Owner = 1,
    Member = 2,
    Guest = 3,
});

codes!(Failure, "failure", {
    NotPermitted = 1,
    UnknownDevice = 2,
    Unsupported = 3,
    InvalidValue = 4,
    Refused = 5,
    Unreachable = 6,
    RadioUnavailable = 7,
    Interrupted = 8,
    Busy = 9,
});
