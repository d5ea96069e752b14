//! Where each capability lives in ZCL: the cluster it usually comes from, the other clusters
//! it may come from (a definition's `source`), which attributes a refresh reads there, which
//! ones setup configures reporting for (with the defaults a definition's `reporting` replaces),
//! and whether its values are scaled by a multiplier and divisor the device keeps. The one
//! table every other part of the Zigbee translation consults, so a capability's attributes are
//! named once.

use sealhub_radios::zigbee::zcl::DataType;
use sealhub_radios::zigbee::zcl::clusters::basic::{
    BATTERY_ALARM_STATE, BATTERY_PERCENTAGE_REMAINING, BATTERY_VOLTAGE,
    BATTERY_VOLTAGE_MIN_THRESHOLD, POWER_CONFIGURATION_CLUSTER_ID,
};
use sealhub_radios::zigbee::zcl::clusters::color::{
    self, COLOR_MODE, COLOR_TEMPERATURE_MIREDS, CURRENT_HUE, CURRENT_SATURATION, CURRENT_X,
    CURRENT_Y,
};
use sealhub_radios::zigbee::zcl::clusters::energy::{
    AC_CURRENT_DIVISOR, AC_CURRENT_MULTIPLIER, AC_POWER_DIVISOR, AC_POWER_MULTIPLIER,
    AC_VOLTAGE_DIVISOR, AC_VOLTAGE_MULTIPLIER, ACTIVE_POWER, CURRENT_SUMMATION_DELIVERED, DIVISOR,
    ELECTRICAL_MEASUREMENT_CLUSTER_ID, INSTANTANEOUS_DEMAND, METERING_CLUSTER_ID, MULTIPLIER,
    RMS_CURRENT, RMS_VOLTAGE, UNIT_OF_MEASURE,
};
use sealhub_radios::zigbee::zcl::clusters::measurement::{
    HUMIDITY_CLUSTER_ID, HUMIDITY_MEASURED_VALUE, ILLUMINANCE_CLUSTER_ID,
    ILLUMINANCE_MEASURED_VALUE, OCCUPANCY, OCCUPANCY_CLUSTER_ID, TEMPERATURE_CLUSTER_ID,
    TEMPERATURE_MEASURED_VALUE,
};
use sealhub_radios::zigbee::zcl::clusters::thermostat::{
    self, LOCAL_TEMPERATURE, OCCUPIED_COOLING_SETPOINT, OCCUPIED_HEATING_SETPOINT, RUNNING_STATE,
    SYSTEM_MODE,
};
use sealhub_radios::zigbee::zcl::clusters::{AttributeDef, door_lock, ias_zone, level, on_off};

use crate::definitions::CapabilityMapping;
use crate::model::{AlarmKind, Capability, MeasureKind, RadioKind};

/// On/Off.
pub(super) const ON_OFF: u16 = on_off::CLUSTER_ID;
/// Level Control.
pub(super) const LEVEL: u16 = level::CLUSTER_ID;
/// Color Control.
pub(super) const COLOR: u16 = color::CLUSTER_ID;
/// Door Lock.
pub(super) const DOOR_LOCK: u16 = door_lock::CLUSTER_ID;
/// Thermostat.
pub(super) const THERMOSTAT: u16 = thermostat::CLUSTER_ID;
/// Temperature Measurement.
pub(super) const TEMPERATURE: u16 = TEMPERATURE_CLUSTER_ID;
/// Relative Humidity Measurement.
pub(super) const HUMIDITY: u16 = HUMIDITY_CLUSTER_ID;
/// Illuminance Measurement.
pub(super) const ILLUMINANCE: u16 = ILLUMINANCE_CLUSTER_ID;
/// Occupancy Sensing.
pub(super) const OCCUPANCY_SENSING: u16 = OCCUPANCY_CLUSTER_ID;
/// Electrical Measurement.
pub(super) const ELECTRICAL: u16 = ELECTRICAL_MEASUREMENT_CLUSTER_ID;
/// Metering.
pub(super) const METERING: u16 = METERING_CLUSTER_ID;
/// IAS Zone.
pub(super) const IAS_ZONE: u16 = ias_zone::CLUSTER_ID;
/// Power Configuration.
pub(super) const POWER_CONFIGURATION: u16 = POWER_CONFIGURATION_CLUSTER_ID;

/// The cluster a capability comes from when a mapping names no `source`: the first of the
/// sources the definitions accept for it (`definitions::sources`), so a definition that names
/// no source means the same cluster to the loader's checks and to the translation (for
/// `alarm.motion` that is IAS Zone; an Occupancy Sensing motion sensor names `source = "0x0406"`).
pub(super) fn usual_cluster(capability: Capability) -> u16 {
    crate::definitions::sources::usual_source(RadioKind::Zigbee, capability)
}

/// The cluster one mapped capability comes from.
pub(super) fn cluster_of(mapping: &CapabilityMapping) -> u16 {
    mapping
        .source
        .unwrap_or_else(|| usual_cluster(mapping.capability))
}

/// An attribute setup configures reporting for, with the default intervals (seconds) and
/// reportable change (in the attribute's own units; only analog types carry one).
#[derive(Debug, Clone, Copy)]
pub(super) struct Reported {
    /// The attribute.
    pub attribute: AttributeDef,
    /// Minimum interval.
    pub min: u16,
    /// Maximum interval.
    pub max: u16,
    /// Reportable change.
    pub change: u32,
}

const fn reported(attribute: AttributeDef, min: u16, max: u16, change: u32) -> Reported {
    Reported {
        attribute,
        min,
        max,
        change,
    }
}

/// The multiplier and divisor attributes a capability's values are scaled by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Factor {
    /// The multiplier's attribute id (default 1 when the device lacks it).
    pub multiplier: u16,
    /// The divisor's attribute id (default 1).
    pub divisor: u16,
}

/// What one capability holds on one cluster.
#[derive(Debug, Clone, Copy)]
pub(super) struct Source {
    /// The attributes a refresh reads (the factor's are added while it is unknown).
    pub reads: &'static [u16],
    /// The attributes setup configures reporting for.
    pub reports: &'static [Reported],
    /// The device's multiplier and divisor for the values, if scaled by them.
    pub factor: Option<Factor>,
}

const fn plain(reads: &'static [u16], reports: &'static [Reported]) -> Source {
    Source {
        reads,
        reports,
        factor: None,
    }
}

/// Half a day: the longest a battery report waits.
const HALF_DAY: u16 = 43_200;

const ON_OFF_SOURCE: Source = plain(&[0x0000], &[reported(on_off::ON_OFF, 0, 300, 0)]);
const LEVEL_SOURCE: Source = plain(&[0x0000], &[reported(level::CURRENT_LEVEL, 1, 300, 1)]);
const COLOR_SOURCE: Source = plain(
    &[
        CURRENT_HUE.id,
        CURRENT_SATURATION.id,
        CURRENT_X.id,
        CURRENT_Y.id,
        COLOR_TEMPERATURE_MIREDS.id,
        COLOR_MODE.id,
    ],
    &[
        reported(CURRENT_HUE, 1, 300, 1),
        reported(CURRENT_SATURATION, 1, 300, 1),
        reported(CURRENT_X, 1, 300, 10),
        reported(CURRENT_Y, 1, 300, 10),
        reported(COLOR_TEMPERATURE_MIREDS, 1, 300, 1),
        reported(COLOR_MODE, 1, 300, 0),
    ],
);
const DOOR_LOCK_SOURCE: Source = plain(
    &[door_lock::LOCK_STATE.id],
    &[reported(door_lock::LOCK_STATE, 0, 3600, 0)],
);
const THERMOSTAT_SOURCE: Source = plain(
    &[
        LOCAL_TEMPERATURE.id,
        OCCUPIED_HEATING_SETPOINT.id,
        OCCUPIED_COOLING_SETPOINT.id,
        SYSTEM_MODE.id,
        RUNNING_STATE.id,
    ],
    &[
        reported(LOCAL_TEMPERATURE, 10, 300, 10),
        reported(OCCUPIED_HEATING_SETPOINT, 0, 3600, 1),
        reported(OCCUPIED_COOLING_SETPOINT, 0, 3600, 1),
        reported(SYSTEM_MODE, 0, 3600, 0),
        reported(RUNNING_STATE, 0, 3600, 0),
    ],
);
const THERMOSTAT_TEMPERATURE_SOURCE: Source = plain(
    &[LOCAL_TEMPERATURE.id],
    &[reported(LOCAL_TEMPERATURE, 10, 300, 10)],
);
const TEMPERATURE_SOURCE: Source = plain(
    &[TEMPERATURE_MEASURED_VALUE.id],
    &[reported(TEMPERATURE_MEASURED_VALUE, 10, 300, 10)],
);
const HUMIDITY_SOURCE: Source = plain(
    &[HUMIDITY_MEASURED_VALUE.id],
    &[reported(HUMIDITY_MEASURED_VALUE, 10, 300, 100)],
);
const ILLUMINANCE_SOURCE: Source = plain(
    &[ILLUMINANCE_MEASURED_VALUE.id],
    &[reported(ILLUMINANCE_MEASURED_VALUE, 10, 300, 200)],
);
const ACTIVE_POWER_SOURCE: Source = Source {
    reads: &[ACTIVE_POWER.id],
    reports: &[reported(ACTIVE_POWER, 5, 300, 10)],
    factor: Some(Factor {
        multiplier: AC_POWER_MULTIPLIER.id,
        divisor: AC_POWER_DIVISOR.id,
    }),
};
const VOLTAGE_SOURCE: Source = Source {
    reads: &[RMS_VOLTAGE.id],
    reports: &[reported(RMS_VOLTAGE, 10, 300, 5)],
    factor: Some(Factor {
        multiplier: AC_VOLTAGE_MULTIPLIER.id,
        divisor: AC_VOLTAGE_DIVISOR.id,
    }),
};
const CURRENT_SOURCE: Source = Source {
    reads: &[RMS_CURRENT.id],
    reports: &[reported(RMS_CURRENT, 5, 300, 10)],
    factor: Some(Factor {
        multiplier: AC_CURRENT_MULTIPLIER.id,
        divisor: AC_CURRENT_DIVISOR.id,
    }),
};
const METERING_FACTOR: Factor = Factor {
    multiplier: MULTIPLIER.id,
    divisor: DIVISOR.id,
};
const ENERGY_SOURCE: Source = Source {
    reads: &[CURRENT_SUMMATION_DELIVERED.id, UNIT_OF_MEASURE.id],
    reports: &[reported(CURRENT_SUMMATION_DELIVERED, 10, 3600, 10)],
    factor: Some(METERING_FACTOR),
};
const DEMAND_SOURCE: Source = Source {
    reads: &[INSTANTANEOUS_DEMAND.id, UNIT_OF_MEASURE.id],
    reports: &[reported(INSTANTANEOUS_DEMAND, 5, 300, 5)],
    factor: Some(METERING_FACTOR),
};
const OCCUPANCY_SOURCE: Source = plain(&[OCCUPANCY.id], &[reported(OCCUPANCY, 0, 3600, 0)]);
/// IAS zones notify the CIE by command; their status and type are read, never configured.
const IAS_SOURCE: Source = plain(&[ias_zone::ZONE_STATUS.id, ias_zone::ZONE_TYPE.id], &[]);
const BATTERY_SOURCE: Source = plain(
    &[
        BATTERY_PERCENTAGE_REMAINING.id,
        BATTERY_VOLTAGE.id,
        BATTERY_VOLTAGE_MIN_THRESHOLD.id,
        BATTERY_ALARM_STATE.id,
    ],
    &[reported(BATTERY_PERCENTAGE_REMAINING, 3600, HALF_DAY, 2)],
);

/// What `capability` holds on `cluster`, or `None` when it cannot come from there.
pub(super) fn source(capability: Capability, cluster: u16) -> Option<Source> {
    use MeasureKind as M;
    Some(match (capability, cluster) {
        (Capability::OnOff, ON_OFF) => ON_OFF_SOURCE,
        (Capability::Level, LEVEL) => LEVEL_SOURCE,
        (Capability::Color, COLOR) => COLOR_SOURCE,
        (Capability::DoorLock, DOOR_LOCK) => DOOR_LOCK_SOURCE,
        (Capability::Thermostat, THERMOSTAT) => THERMOSTAT_SOURCE,
        (Capability::Measurement(M::Temperature), TEMPERATURE) => TEMPERATURE_SOURCE,
        (Capability::Measurement(M::Temperature), THERMOSTAT) => THERMOSTAT_TEMPERATURE_SOURCE,
        (Capability::Measurement(M::Humidity), HUMIDITY) => HUMIDITY_SOURCE,
        (Capability::Measurement(M::Illuminance), ILLUMINANCE) => ILLUMINANCE_SOURCE,
        (Capability::Measurement(M::Power), ELECTRICAL) => ACTIVE_POWER_SOURCE,
        (Capability::Measurement(M::Voltage), ELECTRICAL) => VOLTAGE_SOURCE,
        (Capability::Measurement(M::Current), ELECTRICAL) => CURRENT_SOURCE,
        (Capability::Measurement(M::Energy), METERING) => ENERGY_SOURCE,
        (Capability::Measurement(M::Power), METERING) => DEMAND_SOURCE,
        (Capability::Alarm(AlarmKind::Motion), OCCUPANCY_SENSING) => OCCUPANCY_SOURCE,
        (Capability::Alarm(_), IAS_ZONE) => IAS_SOURCE,
        (Capability::Battery, POWER_CONFIGURATION) => BATTERY_SOURCE,
        // Battery low only, from the zone status of a sensor without Power Configuration.
        (Capability::Battery, IAS_ZONE) => IAS_SOURCE,
        _ => return None,
    })
}

/// What a mapped capability holds, from its own cluster.
pub(super) fn source_of(mapping: &CapabilityMapping) -> Option<Source> {
    source(mapping.capability, cluster_of(mapping))
}

/// `change` as a value of `data_type` for a reporting configuration, capped at the type's
/// largest valid value; `None` for discrete types, which carry no reportable change.
pub(super) fn reportable_change(
    data_type: DataType,
    change: u32,
) -> Option<sealhub_radios::zigbee::zcl::Value> {
    use sealhub_radios::zigbee::zcl::Value;
    if !data_type.is_analog() {
        return None;
    }
    let width = (data_type.0 & 0x07) + 1;
    let bits = u32::from(width) * 8;
    match data_type.0 {
        // Unsigned: all ones is the invalid value.
        0x20..=0x27 => {
            let max = if bits >= 64 {
                u64::MAX - 1
            } else {
                (1u64 << bits) - 2
            };
            Some(Value::uint(width, u64::from(change).min(max)))
        }
        0x28..=0x2F => {
            let max = if bits >= 64 {
                i64::MAX
            } else {
                (1i64 << (bits - 1)) - 1
            };
            Some(Value::int(width, i64::from(change).min(max)))
        }
        // Floats and times: not among the attributes this translation configures.
        _ => None,
    }
}
