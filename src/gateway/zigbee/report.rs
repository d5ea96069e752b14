//! Attribute values (a Report Attributes, or the successful records of a read) to model
//! [`Attribute`]s, per capability and the cluster it comes from, with the mapping's options:
//! `invert` for what is on or off, open or closed (on/off, level, alarms), `scale` for
//! measurements (after the usual conversion; for Electrical Measurement and Metering it is the
//! device's multiplier and divisor, see [`super::describe`]).
//!
//! A value that is ZCL's "invalid" or outside the attribute's range gives nothing (and a debug
//! line), never a guess. Values that only mean something together (CIE x and y, hue and
//! saturation; a value and its multiplier and divisor in a read) are converted when both are
//! present; [`completing_reads`] asks for the missing half of a report.

use sealhub_radios::zigbee::zcl::Value;
use sealhub_radios::zigbee::zcl::clusters::basic::{
    BATTERY_ALARM_STATE, BATTERY_PERCENTAGE_REMAINING, BATTERY_VOLTAGE,
    BATTERY_VOLTAGE_MIN_THRESHOLD,
};
use sealhub_radios::zigbee::zcl::clusters::color::{
    COLOR_MODE, COLOR_TEMPERATURE_MIREDS, CURRENT_HUE, CURRENT_SATURATION, CURRENT_X, CURRENT_Y,
    ENHANCED_CURRENT_HUE,
};
use sealhub_radios::zigbee::zcl::clusters::energy::{
    ACTIVE_POWER, CURRENT_SUMMATION_DELIVERED, INSTANTANEOUS_DEMAND, RMS_CURRENT, RMS_VOLTAGE,
};
use sealhub_radios::zigbee::zcl::clusters::measurement::{
    HUMIDITY_MEASURED_VALUE, ILLUMINANCE_MEASURED_VALUE, OCCUPANCY, TEMPERATURE_MEASURED_VALUE,
};
use sealhub_radios::zigbee::zcl::clusters::thermostat::{
    LOCAL_TEMPERATURE, OCCUPIED_COOLING_SETPOINT, OCCUPIED_HEATING_SETPOINT, RUNNING_STATE,
    SYSTEM_MODE,
};
use sealhub_radios::zigbee::zcl::clusters::{door_lock, ias_zone, level, on_off};

use super::describe::is_zone_alarm;
use super::sources::{COLOR, ELECTRICAL, IAS_ZONE, METERING, THERMOSTAT, cluster_of, source_of};
use super::units::{self, COLOR_MAX};
use crate::definitions::{CapabilityMapping, EndpointMapping};
use crate::gateway::{Mapping, ZigbeeOp};
use crate::model::{
    AlarmKind, Attribute, Capability, LockState, MeasureKind, RunningState, ThermostatMode,
};

/// The lowest temperature ZCL can carry, -273.15 °C in 0.01 °C (ZCL 8 §4.4 Temperature
/// Measurement and §6.3 Thermostat: 0x954D).
pub(super) const ABSOLUTE_ZERO: i64 = -27_315;

/// The attribute values of one report or read, looked up by id, with the checks every
/// conversion needs: ZCL's invalid value and the right kind of type.
pub(super) struct Values<'a> {
    values: &'a [(u16, Value)],
    cluster: u16,
}

impl<'a> Values<'a> {
    pub(super) fn new(cluster: u16, values: &'a [(u16, Value)]) -> Self {
        Values { values, cluster }
    }

    /// Whether the report carries `id` at all.
    pub(super) fn has(&self, id: u16) -> bool {
        self.values.iter().any(|(i, _)| *i == id)
    }

    fn get(&self, id: u16) -> Option<&'a Value> {
        self.values.iter().find(|(i, _)| *i == id).map(|(_, v)| v)
    }

    /// Says why a present value is not converted.
    fn refuse<T>(&self, id: u16, value: &Value, why: &str) -> Option<T> {
        tracing::debug!(
            cluster = format_args!("{:#06x}", self.cluster),
            attribute = format_args!("{id:#06x}"),
            ?value,
            "{why}; not converted"
        );
        None
    }

    /// An unsigned, enum, bitmap or boolean value that is not ZCL's invalid value.
    pub(super) fn unsigned(&self, id: u16) -> Option<u64> {
        let value = self.get(id)?;
        if value.is_non_value() {
            return self.refuse(id, value, "ZCL's invalid value");
        }
        match value {
            Value::Int { .. } => self.refuse(id, value, "signed where unsigned was expected"),
            _ => match value.as_u64() {
                Some(v) => Some(v),
                None => self.refuse(id, value, "not an integer"),
            },
        }
    }

    /// An unsigned value, all ones included: for an enum whose 0xFF the attribute itself
    /// defines (LockState's "undefined").
    pub(super) fn unsigned_or_all_ones(&self, id: u16) -> Option<u64> {
        let value = self.get(id)?;
        match value {
            Value::Int { .. } => self.refuse(id, value, "signed where unsigned was expected"),
            _ => match value.as_u64() {
                Some(v) => Some(v),
                None => self.refuse(id, value, "not an integer"),
            },
        }
    }

    /// An unsigned value at most `max`.
    pub(super) fn unsigned_up_to(&self, id: u16, max: u64) -> Option<u64> {
        let v = self.unsigned(id)?;
        if v > max {
            return self.refuse(id, self.get(id)?, "out of range");
        }
        Some(v)
    }

    /// A signed value that is not ZCL's invalid value.
    pub(super) fn signed(&self, id: u16) -> Option<i64> {
        let value = self.get(id)?;
        if value.is_non_value() {
            return self.refuse(id, value, "ZCL's invalid value");
        }
        match value {
            Value::Int { value, .. } => Some(*value),
            _ => self.refuse(id, value, "not a signed integer"),
        }
    }

    /// A temperature in 0.01 °C: an int16's range from absolute zero (a wider type from a
    /// device that gets it wrong is held to that range too).
    fn temperature(&self, id: u16) -> Option<i64> {
        let v = self.signed(id)?;
        if !(ABSOLUTE_ZERO..=i64::from(i16::MAX)).contains(&v) {
            return self.refuse(id, self.get(id)?, "outside absolute zero ..= 327.67 °C");
        }
        Some(v)
    }
}

/// See [`super::attributes_of_report`].
pub(super) fn attributes_of_report(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    attributes: &[(u16, Value)],
) -> Vec<Attribute> {
    let Some(mapped) = mapping.endpoint(endpoint) else {
        tracing::debug!(
            endpoint,
            "report from an endpoint the mapping does not expose"
        );
        return Vec::new();
    };
    let values = Values::new(cluster, attributes);
    if cluster == IAS_ZONE {
        return match values.unsigned(ias_zone::ZONE_STATUS.id) {
            Some(status) => zone_status(mapped, status),
            None => Vec::new(),
        };
    }
    let mut out = Vec::new();
    for capability in mapped
        .capabilities
        .iter()
        .filter(|c| cluster_of(c) == cluster)
    {
        out.extend(convert(capability, cluster, &values));
    }
    out
}

/// `active`, or its opposite for a capability mapped with `invert`.
fn oriented(capability: &CapabilityMapping, active: bool) -> bool {
    active != capability.options.invert
}

/// A measurement after the usual conversion, times the mapping's `scale`.
fn measurement(capability: &CapabilityMapping, kind: MeasureKind, value: i64) -> Option<Attribute> {
    match units::apply_scale(value, capability.options.scale) {
        Some(value) => Some(Attribute::Measurement { kind, value }),
        None => {
            tracing::debug!(?kind, value, "scaled measurement overflows; not converted");
            None
        }
    }
}

/// One capability's values in a report of its cluster.
fn convert(capability: &CapabilityMapping, cluster: u16, values: &Values<'_>) -> Vec<Attribute> {
    use MeasureKind as M;
    let one = |a: Option<Attribute>| a.into_iter().collect::<Vec<_>>();
    match capability.capability {
        // ZCL 8 §3.8 On/Off: OnOff, boolean.
        Capability::OnOff => one(values
            .unsigned_up_to(on_off::ON_OFF.id, 1)
            .map(|v| Attribute::OnOff(oriented(capability, v == 1)))),
        // ZCL 8 §3.10 Level Control: CurrentLevel 0..=254.
        Capability::Level => one(values
            .unsigned(level::CURRENT_LEVEL.id)
            .and_then(|raw| {
                let level = units::level_of_zcl(raw);
                if level.is_none() {
                    tracing::debug!(raw, "CurrentLevel out of range; not converted");
                }
                level
            })
            .map(|l| {
                Attribute::Level(if capability.options.invert {
                    10_000 - l
                } else {
                    l
                })
            })),
        Capability::Color if cluster == COLOR => color(values),
        Capability::DoorLock => {
            one(values
                .unsigned_or_all_ones(door_lock::LOCK_STATE.id)
                .map(|v| {
                    // ZCL 8 §7.3 Door Lock, LockState: 0 not fully locked, 1 locked, 2 unlocked,
                    // 0xFF undefined (the lock does not know: a state, not ZCL's invalid value).
                    Attribute::LockState(match v {
                        0 => LockState::Jammed,
                        1 => LockState::Locked,
                        2 => LockState::Unlocked,
                        _ => LockState::Unknown,
                    })
                }))
        }
        Capability::Thermostat => thermostat(values),
        Capability::Measurement(M::Temperature) => {
            let id = if cluster == THERMOSTAT {
                LOCAL_TEMPERATURE.id
            } else {
                TEMPERATURE_MEASURED_VALUE.id
            };
            one(values
                .temperature(id)
                .and_then(|v| measurement(capability, M::Temperature, v)))
        }
        // ZCL 8 §4.7 Relative Humidity Measurement: 0.01 %, 0..=10000.
        Capability::Measurement(M::Humidity) => one(values
            .unsigned_up_to(HUMIDITY_MEASURED_VALUE.id, 10_000)
            .and_then(|v| measurement(capability, M::Humidity, i64::try_from(v).ok()?))),
        Capability::Measurement(M::Illuminance) => one(values
            .unsigned(ILLUMINANCE_MEASURED_VALUE.id)
            .and_then(units::lux_of_measured)
            .and_then(|lux| measurement(capability, M::Illuminance, lux))),
        Capability::Measurement(kind @ (M::Power | M::Voltage | M::Current | M::Energy)) => {
            one(electrical(capability, kind, cluster, values))
        }
        Capability::Alarm(kind) if cluster != IAS_ZONE => one(
            // ZCL 8 §4.8 Occupancy Sensing: Occupancy bit 0, occupied.
            values.unsigned(OCCUPANCY.id).map(|v| Attribute::Alarm {
                kind,
                active: oriented(capability, v & 1 == 1),
            }),
        ),
        Capability::Battery => battery(values),
        _ => Vec::new(),
    }
}

/// Color Control (ZCL 8 §5.2): hue and saturation (enhanced hue preferred), CIE x and y, colour
/// temperature; when the values include `ColorMode`, only the colour of that mode (the light
/// keeps the others as stale approximations).
fn color(values: &Values<'_>) -> Vec<Attribute> {
    let hue = if values.has(ENHANCED_CURRENT_HUE.id) {
        values
            .unsigned(ENHANCED_CURRENT_HUE.id)
            .and_then(units::enhanced_hue_of_zcl)
    } else {
        values.unsigned(CURRENT_HUE.id).and_then(units::hue_of_zcl)
    };
    let saturation = values
        .unsigned(CURRENT_SATURATION.id)
        .and_then(units::saturation_of_zcl);
    let coordinate = |id: u16| {
        values
            .unsigned_up_to(id, u64::from(COLOR_MAX))
            .and_then(|v| u16::try_from(v).ok())
    };
    let (x, y) = (coordinate(CURRENT_X.id), coordinate(CURRENT_Y.id));
    // 0 is "undefined" (ZCL 8 §5.2, ColorTemperatureMireds).
    let mireds = coordinate(COLOR_TEMPERATURE_MIREDS.id).filter(|m| *m != 0);
    let mode = values.unsigned(COLOR_MODE.id);
    let mut out = Vec::new();
    if let (Some(hue), Some(saturation), None | Some(0)) = (hue, saturation, mode) {
        out.push(Attribute::ColorHs { hue, saturation });
    }
    if let (Some(x), Some(y), None | Some(1)) = (x, y, mode) {
        out.push(Attribute::ColorXy { x, y });
    }
    if let (Some(mireds), None | Some(2)) = (mireds, mode) {
        out.push(Attribute::ColorTemperature(mireds));
    }
    out
}

/// Thermostat (ZCL 8 §6.3): temperatures in 0.01 °C, SystemMode, ThermostatRunningState.
fn thermostat(values: &Values<'_>) -> Vec<Attribute> {
    let mut out = Vec::new();
    let celsius = |id: u16| values.temperature(id).and_then(|v| i32::try_from(v).ok());
    if let Some(t) = celsius(LOCAL_TEMPERATURE.id) {
        out.push(Attribute::LocalTemperature(t));
    }
    if let Some(t) = celsius(OCCUPIED_HEATING_SETPOINT.id) {
        out.push(Attribute::HeatingSetpoint(t));
    }
    if let Some(t) = celsius(OCCUPIED_COOLING_SETPOINT.id) {
        out.push(Attribute::CoolingSetpoint(t));
    }
    if let Some(mode) = values.unsigned(SYSTEM_MODE.id) {
        // 0 off, 1 auto, 3 cool, 4 heat, 5 emergency heating, 7 fan only, 8 dry; 2 (reserved),
        // 6 (precooling) and 9 (sleep) have no model mode.
        let mode = match mode {
            0 => Some(ThermostatMode::Off),
            1 => Some(ThermostatMode::Auto),
            3 => Some(ThermostatMode::Cool),
            4 => Some(ThermostatMode::Heat),
            5 => Some(ThermostatMode::EmergencyHeat),
            7 => Some(ThermostatMode::FanOnly),
            8 => Some(ThermostatMode::Dry),
            other => {
                tracing::debug!(
                    mode = other,
                    "SystemMode without a model mode; not converted"
                );
                None
            }
        };
        out.extend(mode.map(Attribute::ThermostatMode));
    }
    if let Some(bits) = values.unsigned(RUNNING_STATE.id) {
        // Bits: 0 heat, 1 cool, 2 fan, 3 heat 2nd stage, 4 cool 2nd stage, 5 fan 2nd stage,
        // 6 fan 3rd stage.
        out.push(Attribute::RunningState(if bits & 0b0_1001 != 0 {
            RunningState::Heating
        } else if bits & 0b1_0010 != 0 {
            RunningState::Cooling
        } else if bits & 0b110_0100 != 0 {
            RunningState::Fan
        } else {
            RunningState::Idle
        }));
    }
    out
}

/// The factor an Electrical Measurement or Metering value is multiplied by: the mapping's
/// `scale` (kept from an earlier read, or a definition's), else the multiplier and divisor in
/// the same values (a read asks for both); `None` when unknown.
fn factor(capability: &CapabilityMapping, values: &Values<'_>) -> Option<(i128, i128)> {
    if let Some(scale) = capability.options.scale {
        return Some((i128::from(scale.numerator), i128::from(scale.denominator)));
    }
    let factor = source_of(capability)?.factor?;
    let part = |id: u16| values.unsigned(id).filter(|v| *v != 0).map(i128::from);
    Some((part(factor.multiplier)?, part(factor.divisor)?))
}

/// Electrical Measurement (ZCL 8 §4.9: ActivePower W, RMSVoltage V, RMSCurrent A, each times
/// its multiplier over its divisor) and Metering (§10.4: CurrentSummationDelivered kWh,
/// InstantaneousDemand kW, times Multiplier over Divisor), in mW, mV, mA and mWh.
fn electrical(
    capability: &CapabilityMapping,
    kind: MeasureKind,
    cluster: u16,
    values: &Values<'_>,
) -> Option<Attribute> {
    let (raw, per_unit) = match (kind, cluster) {
        (MeasureKind::Power, ELECTRICAL) => (values.signed(ACTIVE_POWER.id)?, 1_000),
        (MeasureKind::Voltage, ELECTRICAL) => {
            (i64::try_from(values.unsigned(RMS_VOLTAGE.id)?).ok()?, 1_000)
        }
        (MeasureKind::Current, ELECTRICAL) => {
            (i64::try_from(values.unsigned(RMS_CURRENT.id)?).ok()?, 1_000)
        }
        (MeasureKind::Energy, METERING) => (
            i64::try_from(values.unsigned(CURRENT_SUMMATION_DELIVERED.id)?).ok()?,
            1_000_000,
        ),
        (MeasureKind::Power, METERING) => (values.signed(INSTANTANEOUS_DEMAND.id)?, 1_000_000),
        _ => return None,
    };
    let Some((numerator, denominator)) = factor(capability, values) else {
        tracing::debug!(
            ?kind,
            raw,
            "the device's multiplier and divisor are not known yet; not converted"
        );
        return None;
    };
    let value = units::scaled(i128::from(raw) * per_unit, numerator, denominator);
    if value.is_none() {
        tracing::debug!(?kind, raw, "scaled value overflows; not converted");
    }
    Some(Attribute::Measurement {
        kind,
        value: value?,
    })
}

/// Power Configuration (ZCL 8 §3.3): BatteryPercentageRemaining in half percent; low from
/// BatteryAlarmState (bits 0..3: battery source 1 at its minimum or thresholds 1..3), or, when
/// the values carry no alarm state, from BatteryVoltage at or below
/// BatteryVoltageMinThreshold (both in 100 mV, both needed).
fn battery(values: &Values<'_>) -> Vec<Attribute> {
    let mut out = Vec::new();
    if let Some(raw) = values.unsigned(BATTERY_PERCENTAGE_REMAINING.id) {
        match units::percent_of_half_percent(raw) {
            Some(percent) => out.push(Attribute::BatteryPercent(percent)),
            None => tracing::debug!(raw, "BatteryPercentageRemaining out of range"),
        }
    }
    if let Some(alarms) = values.unsigned(BATTERY_ALARM_STATE.id) {
        out.push(Attribute::BatteryLow(alarms & 0x0F != 0));
    } else if let (Some(voltage), Some(threshold)) = (
        values.unsigned(BATTERY_VOLTAGE.id),
        values
            .unsigned(BATTERY_VOLTAGE_MIN_THRESHOLD.id)
            .filter(|t| *t != 0),
    ) {
        out.push(Attribute::BatteryLow(voltage <= threshold));
    }
    out
}

/// What an IAS `ZoneStatus` (ZCL 8 §8.2 IAS Zone: bit 0 alarm 1, bit 2 tamper, bit 3 battery
/// low) says, for the capabilities the endpoint exposes: its zone's alarm, tamper, and battery
/// low where the endpoint has a battery.
pub(super) fn zone_status(endpoint: &EndpointMapping, status: u64) -> Vec<Attribute> {
    let bit = |n: u32| status & (1 << n) != 0;
    let mut out = Vec::new();
    for capability in &endpoint.capabilities {
        match capability.capability {
            Capability::Alarm(AlarmKind::Tamper) if cluster_of(capability) == IAS_ZONE => {
                out.push(Attribute::Alarm {
                    kind: AlarmKind::Tamper,
                    active: oriented(capability, bit(2)),
                });
            }
            Capability::Alarm(kind) if is_zone_alarm(capability) => {
                out.push(Attribute::Alarm {
                    kind,
                    active: oriented(capability, bit(0)),
                });
            }
            Capability::Battery => out.push(Attribute::BatteryLow(bit(3))),
            _ => {}
        }
    }
    out
}

/// See [`super::completing_reads`].
pub(super) fn completing_reads(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    attributes: &[(u16, Value)],
) -> Vec<ZigbeeOp> {
    let Some(mapped) = mapping.endpoint(endpoint) else {
        return Vec::new();
    };
    if cluster != COLOR
        || !mapped
            .capabilities
            .iter()
            .any(|c| c.capability == Capability::Color && cluster_of(c) == COLOR)
    {
        return Vec::new();
    }
    let values = Values::new(cluster, attributes);
    let mut missing = Vec::new();
    let hue = values.has(CURRENT_HUE.id) || values.has(ENHANCED_CURRENT_HUE.id);
    for (present, partner) in [
        (hue, CURRENT_SATURATION.id),
        (values.has(CURRENT_SATURATION.id), CURRENT_HUE.id),
        (values.has(CURRENT_X.id), CURRENT_Y.id),
        (values.has(CURRENT_Y.id), CURRENT_X.id),
    ] {
        if present && !values.has(partner) {
            missing.push(partner);
        }
    }
    if missing.is_empty() {
        return Vec::new();
    }
    // Both halves again, so the answer converts on its own.
    let mut attributes = Vec::new();
    for id in missing {
        let pair = match id {
            id if id == CURRENT_SATURATION.id || id == CURRENT_HUE.id => {
                [CURRENT_HUE.id, CURRENT_SATURATION.id]
            }
            _ => [CURRENT_X.id, CURRENT_Y.id],
        };
        for id in pair {
            if !attributes.contains(&id) {
                attributes.push(id);
            }
        }
    }
    vec![ZigbeeOp::Read {
        endpoint,
        cluster,
        attributes,
    }]
}
