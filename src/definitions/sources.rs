//! Where each capability's values usually come from on each radio, and which other clusters
//! or command classes a definition may name as its `source`. The loader refuses a `source`
//! that is not listed here (a thermostat read from the On/Off cluster is a typo, not a
//! device), and the gateway reads the usual source of a capability whose definition names
//! none, so both sides agree on one table.
//!
//! The first entry of each list is the usual source.

use crate::model::{AlarmKind, Capability, MeasureKind, RadioKind};

/// The spelling of a capability in a definition file (`on_off`, `measurement.power`, ...).
pub fn capability_name(capability: Capability) -> &'static str {
    match capability {
        Capability::OnOff => "on_off",
        Capability::Level => "level",
        Capability::Color => "color",
        Capability::DoorLock => "door_lock",
        Capability::Thermostat => "thermostat",
        Capability::Battery => "battery",
        Capability::Measurement(kind) => match kind {
            MeasureKind::Temperature => "measurement.temperature",
            MeasureKind::Humidity => "measurement.humidity",
            MeasureKind::Illuminance => "measurement.illuminance",
            MeasureKind::Power => "measurement.power",
            MeasureKind::Energy => "measurement.energy",
            MeasureKind::Voltage => "measurement.voltage",
            MeasureKind::Current => "measurement.current",
        },
        Capability::Alarm(kind) => match kind {
            AlarmKind::Contact => "alarm.contact",
            AlarmKind::Motion => "alarm.motion",
            AlarmKind::Smoke => "alarm.smoke",
            AlarmKind::Water => "alarm.water",
            AlarmKind::CarbonMonoxide => "alarm.carbon_monoxide",
            AlarmKind::Tamper => "alarm.tamper",
        },
    }
}

/// Zigbee clusters.
mod cluster {
    pub const POWER_CONFIGURATION: u16 = 0x0001;
    pub const DEVICE_TEMPERATURE: u16 = 0x0002;
    pub const ON_OFF: u16 = 0x0006;
    pub const LEVEL_CONTROL: u16 = 0x0008;
    pub const BINARY_INPUT: u16 = 0x000F;
    pub const DOOR_LOCK: u16 = 0x0101;
    pub const THERMOSTAT: u16 = 0x0201;
    pub const COLOR_CONTROL: u16 = 0x0300;
    pub const ILLUMINANCE: u16 = 0x0400;
    pub const TEMPERATURE: u16 = 0x0402;
    pub const HUMIDITY: u16 = 0x0405;
    pub const OCCUPANCY: u16 = 0x0406;
    pub const IAS_ZONE: u16 = 0x0500;
    pub const METERING: u16 = 0x0702;
    pub const ELECTRICAL_MEASUREMENT: u16 = 0x0B04;
}

/// Z-Wave command classes.
mod command_class {
    pub const BASIC: u16 = 0x20;
    pub const SWITCH_BINARY: u16 = 0x25;
    pub const SWITCH_MULTILEVEL: u16 = 0x26;
    pub const SENSOR_BINARY: u16 = 0x30;
    pub const SENSOR_MULTILEVEL: u16 = 0x31;
    pub const METER: u16 = 0x32;
    pub const SWITCH_COLOR: u16 = 0x33;
    pub const THERMOSTAT_MODE: u16 = 0x40;
    pub const THERMOSTAT_OPERATING_STATE: u16 = 0x42;
    pub const THERMOSTAT_SETPOINT: u16 = 0x43;
    pub const DOOR_LOCK: u16 = 0x62;
    pub const NOTIFICATION: u16 = 0x71;
    pub const LOCK: u16 = 0x76;
    pub const BATTERY: u16 = 0x80;
    pub const SENSOR_ALARM: u16 = 0x9C;
}

/// The clusters (Zigbee) or command classes (Z-Wave) a capability may be read from, the usual
/// one first.
pub fn plausible_sources(radio: RadioKind, capability: Capability) -> &'static [u16] {
    match radio {
        RadioKind::Zigbee => zigbee_sources(capability),
        RadioKind::Zwave => zwave_sources(capability),
    }
}

/// The cluster or command class a capability comes from when its definition names none.
pub fn usual_source(radio: RadioKind, capability: Capability) -> u16 {
    // Every list has at least one entry (a test checks each capability).
    plausible_sources(radio, capability)
        .first()
        .copied()
        .unwrap_or_default()
}

fn zigbee_sources(capability: Capability) -> &'static [u16] {
    use cluster::*;
    match capability {
        Capability::OnOff => &[ON_OFF],
        Capability::Level => &[LEVEL_CONTROL],
        Capability::Color => &[COLOR_CONTROL],
        Capability::DoorLock => &[DOOR_LOCK],
        Capability::Thermostat => &[THERMOSTAT],
        Capability::Battery => &[POWER_CONFIGURATION],
        Capability::Measurement(kind) => match kind {
            // A thermostat's LocalTemperature, or the device's own temperature.
            MeasureKind::Temperature => &[TEMPERATURE, THERMOSTAT, DEVICE_TEMPERATURE],
            MeasureKind::Humidity => &[HUMIDITY],
            MeasureKind::Illuminance => &[ILLUMINANCE],
            // Metering's InstantaneousDemand.
            MeasureKind::Power => &[ELECTRICAL_MEASUREMENT, METERING],
            MeasureKind::Energy => &[METERING],
            // Power Configuration's MainsVoltage.
            MeasureKind::Voltage => &[ELECTRICAL_MEASUREMENT, POWER_CONFIGURATION],
            MeasureKind::Current => &[ELECTRICAL_MEASUREMENT],
        },
        Capability::Alarm(kind) => match kind {
            // Sensors that report their state as On/Off (Aqara contacts) or Binary Input.
            AlarmKind::Contact => &[IAS_ZONE, ON_OFF, BINARY_INPUT],
            AlarmKind::Motion => &[IAS_ZONE, OCCUPANCY, ON_OFF, BINARY_INPUT],
            AlarmKind::Water => &[IAS_ZONE, BINARY_INPUT],
            AlarmKind::Smoke | AlarmKind::CarbonMonoxide | AlarmKind::Tamper => &[IAS_ZONE],
        },
    }
}

fn zwave_sources(capability: Capability) -> &'static [u16] {
    use command_class::*;
    match capability {
        // A dimmer's on and off are Multilevel Switch 0 and 0xFF.
        Capability::OnOff => &[SWITCH_BINARY, BASIC, SWITCH_MULTILEVEL],
        Capability::Level => &[SWITCH_MULTILEVEL, BASIC],
        Capability::Color => &[SWITCH_COLOR],
        Capability::DoorLock => &[DOOR_LOCK, LOCK],
        Capability::Thermostat => &[
            THERMOSTAT_MODE,
            THERMOSTAT_SETPOINT,
            THERMOSTAT_OPERATING_STATE,
        ],
        Capability::Battery => &[BATTERY],
        Capability::Measurement(kind) => match kind {
            MeasureKind::Temperature | MeasureKind::Humidity | MeasureKind::Illuminance => {
                &[SENSOR_MULTILEVEL]
            }
            MeasureKind::Power | MeasureKind::Energy => &[METER, SENSOR_MULTILEVEL],
            MeasureKind::Voltage | MeasureKind::Current => &[METER, SENSOR_MULTILEVEL],
        },
        // Older sensors send Binary Sensor, Sensor Alarm or a Basic Set instead of a
        // Notification.
        Capability::Alarm(_) => &[NOTIFICATION, SENSOR_BINARY, SENSOR_ALARM, BASIC],
    }
}

/// Every capability, for tests and documentation tables.
pub fn all_capabilities() -> Vec<Capability> {
    let mut all = vec![
        Capability::OnOff,
        Capability::Level,
        Capability::Color,
        Capability::DoorLock,
        Capability::Thermostat,
        Capability::Battery,
    ];
    all.extend(
        [
            MeasureKind::Temperature,
            MeasureKind::Humidity,
            MeasureKind::Illuminance,
            MeasureKind::Power,
            MeasureKind::Energy,
            MeasureKind::Voltage,
            MeasureKind::Current,
        ]
        .map(Capability::Measurement),
    );
    all.extend(
        [
            AlarmKind::Contact,
            AlarmKind::Motion,
            AlarmKind::Smoke,
            AlarmKind::Water,
            AlarmKind::CarbonMonoxide,
            AlarmKind::Tamper,
        ]
        .map(Capability::Alarm),
    );
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_has_a_usual_source_on_both_radios() {
        for capability in all_capabilities() {
            for radio in [RadioKind::Zigbee, RadioKind::Zwave] {
                let sources = plausible_sources(radio, capability);
                assert!(!sources.is_empty(), "{capability:?} on {radio:?}");
                assert_eq!(usual_source(radio, capability), sources[0]);
            }
        }
    }

    #[test]
    fn the_usual_sources_are_the_specified_clusters_and_command_classes() {
        // ZCL: On/Off 0x0006, Temperature Measurement 0x0402, IAS Zone 0x0500; Z-Wave: Binary
        // Switch 0x25, Meter 0x32, Notification 0x71, Battery 0x80.
        let zb = |c| usual_source(RadioKind::Zigbee, c);
        let zw = |c| usual_source(RadioKind::Zwave, c);
        assert_eq!(zb(Capability::OnOff), 0x0006);
        assert_eq!(
            zb(Capability::Measurement(MeasureKind::Temperature)),
            0x0402
        );
        assert_eq!(zb(Capability::Alarm(AlarmKind::Contact)), 0x0500);
        assert_eq!(zw(Capability::OnOff), 0x25);
        assert_eq!(zw(Capability::Measurement(MeasureKind::Energy)), 0x32);
        assert_eq!(zw(Capability::Alarm(AlarmKind::Motion)), 0x71);
        assert_eq!(zw(Capability::Battery), 0x80);
    }

    #[test]
    fn capability_names_are_distinct() {
        let mut names: Vec<_> = all_capabilities()
            .into_iter()
            .map(capability_name)
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
