//! What an endpoint can do or tell: the capabilities a device definition maps clusters and
//! command classes onto, and the key permission checks look at.

/// A capability of an endpoint: a group of attributes it reports and actions it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Switched on and off (`Attribute::OnOff`; `TurnOn`, `TurnOff`, `Toggle`).
    OnOff,
    /// Dimmed (`Attribute::Level`; `SetLevel`).
    Level,
    /// Coloured by CIE xy, hue and saturation, or colour temperature.
    Color,
    /// A door lock: state, operations, and user codes where the device has them.
    DoorLock,
    /// A thermostat: mode, setpoints, running state and the temperature it measures.
    Thermostat,
    /// A measurement of one quantity.
    Measurement(MeasureKind),
    /// An alarm sensor of one kind.
    Alarm(AlarmKind),
    /// A battery: percentage and low warning.
    Battery,
}

/// The quantities a measurement capability reports, each in its fixed unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MeasureKind {
    /// 0.01 °C.
    Temperature,
    /// 0.01 %RH.
    Humidity,
    /// lux.
    Illuminance,
    /// mW.
    Power,
    /// mWh.
    Energy,
    /// mV.
    Voltage,
    /// mA.
    Current,
}

/// The kinds of alarm sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlarmKind {
    /// A door or window contact (open or closed).
    Contact,
    /// Motion or occupancy.
    Motion,
    /// Smoke.
    Smoke,
    /// Water leak.
    Water,
    /// Carbon monoxide.
    CarbonMonoxide,
    /// The device's casing was opened or it was moved.
    Tamper,
}
