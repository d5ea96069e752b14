//! Typed values in fixed units: what a device reports and what a response says the state is
//! now.

use super::capability::{AlarmKind, Capability, MeasureKind};

/// Whether a value is state (only the latest matters, and the hub keeps it as the device's
/// last state) or an event (each occurrence matters: a lock turned by hand, a tamper alarm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nature {
    /// The latest value replaces the one before.
    State,
    /// Each occurrence is a separate happening.
    Event,
}

/// One typed value of a capability, in its fixed unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// On (`true`) or off.
    OnOff(bool),
    /// Level in 0.01 % (0..=10000).
    Level(u16),
    /// CIE 1931 chromaticity, each coordinate in units of 1/65536 (as ZCL and Matter).
    ColorXy {
        /// x.
        x: u16,
        /// y.
        y: u16,
    },
    /// Hue in 0.01° (0..=35999) and saturation in 0.01 % (0..=10000).
    ColorHs {
        /// Hue.
        hue: u16,
        /// Saturation.
        saturation: u16,
    },
    /// Colour temperature in mireds (1,000,000 / kelvin).
    ColorTemperature(u16),
    /// The lock's bolt.
    LockState(LockState),
    /// The lock was operated (an event): how, and by which user code slot if known.
    LockOperation {
        /// Locked or unlocked.
        action: LockAction,
        /// Who or what operated it.
        source: LockSource,
        /// The user code slot used, if the lock says.
        slot: Option<u16>,
    },
    /// Whether a user code slot holds a code (the code itself is never reported).
    UserCode {
        /// The slot, from 1.
        slot: u16,
        /// Its status.
        status: UserCodeStatus,
    },
    /// The thermostat's mode.
    ThermostatMode(ThermostatMode),
    /// Heating setpoint in 0.01 °C.
    HeatingSetpoint(i32),
    /// Cooling setpoint in 0.01 °C.
    CoolingSetpoint(i32),
    /// What the thermostat is doing now.
    RunningState(RunningState),
    /// The temperature the thermostat measures, in 0.01 °C.
    LocalTemperature(i32),
    /// A measurement, in the unit of its kind (see [`MeasureKind`]).
    Measurement {
        /// The quantity.
        kind: MeasureKind,
        /// The value in that quantity's unit.
        value: i64,
    },
    /// An alarm sensor's condition (`true`: alarm / open / motion / leak).
    Alarm {
        /// The kind of sensor.
        kind: AlarmKind,
        /// Whether it is active.
        active: bool,
    },
    /// Battery charge in percent (0..=100).
    BatteryPercent(u8),
    /// The battery is low.
    BatteryLow(bool),
}

impl Attribute {
    /// The capability this value belongs to.
    pub fn capability(&self) -> Capability {
        match self {
            Attribute::OnOff(_) => Capability::OnOff,
            Attribute::Level(_) => Capability::Level,
            Attribute::ColorXy { .. }
            | Attribute::ColorHs { .. }
            | Attribute::ColorTemperature(_) => Capability::Color,
            Attribute::LockState(_)
            | Attribute::LockOperation { .. }
            | Attribute::UserCode { .. } => Capability::DoorLock,
            Attribute::ThermostatMode(_)
            | Attribute::HeatingSetpoint(_)
            | Attribute::CoolingSetpoint(_)
            | Attribute::RunningState(_)
            | Attribute::LocalTemperature(_) => Capability::Thermostat,
            Attribute::Measurement { kind, .. } => Capability::Measurement(*kind),
            Attribute::Alarm { kind, .. } => Capability::Alarm(*kind),
            Attribute::BatteryPercent(_) | Attribute::BatteryLow(_) => Capability::Battery,
        }
    }

    /// Whether this value is state or an event.
    pub fn nature(&self) -> Nature {
        match self {
            Attribute::LockOperation { .. }
            | Attribute::Alarm {
                kind: AlarmKind::Tamper,
                ..
            } => Nature::Event,
            _ => Nature::State,
        }
    }
}

/// A lock's bolt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    /// Locked.
    Locked,
    /// Unlocked.
    Unlocked,
    /// Jammed: neither fully locked nor unlocked.
    Jammed,
    /// The lock does not know.
    Unknown,
}

/// What a lock operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockAction {
    /// It locked.
    Locked,
    /// It unlocked.
    Unlocked,
}

/// Who or what operated a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockSource {
    /// By hand, with the thumb turn or a key.
    Manual,
    /// With a code on its keypad.
    Keypad,
    /// Over the radio (a command).
    Remote,
    /// By itself (auto-relock).
    Auto,
    /// The lock did not say.
    Unknown,
}

/// Whether a user code slot is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserCodeStatus {
    /// Empty.
    Available,
    /// Holds a code that opens the lock.
    Occupied,
    /// Holds a code that is switched off.
    Disabled,
}

/// A thermostat's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThermostatMode {
    /// Off.
    Off,
    /// Heating to the heating setpoint.
    Heat,
    /// Cooling to the cooling setpoint.
    Cool,
    /// Heating or cooling as needed.
    Auto,
    /// Only the fan runs.
    FanOnly,
    /// Dehumidifying.
    Dry,
    /// Auxiliary or emergency heat.
    EmergencyHeat,
}

/// What a thermostat is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunningState {
    /// Nothing.
    Idle,
    /// Heating.
    Heating,
    /// Cooling.
    Cooling,
    /// Only the fan.
    Fan,
}
