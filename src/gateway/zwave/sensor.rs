//! Readings and alarms: Multilevel Sensor (0x31), Meter (0x32), Battery (0x80) and
//! Notification (0x71) into measurements in the model's units, the battery, and alarm
//! sensors; Access Control notifications go on to [`super::lock`].
//!
//! Facts used (SDS13781; sensor types and meter scales as zwave-js's registries list them):
//! - Multilevel Sensor types: 0x01 air temperature (scale 0 °C, 1 °F), 0x03 luminance
//!   (scale 0 %, 1 lux: only lux is mapped), 0x05 humidity (scale 0 %, 1 g/m³: only %).
//! - Meter type 1 electric, scales 0 kWh, 1 kVAh, 2 W, 3 pulse count, 4 V, 5 A, 6 power
//!   factor, 7 kVar, 8 kVarh: kWh → mWh, W → mW, V → mV, A → mA are mapped; rate type 2
//!   (produced, exported) is left out, the model's energy being what the device uses.
//! - Battery level 0..=100 %, 0xFF the low-battery warning; v2 adds "replace soon / now"
//!   (bits 0 and 1 of the first status byte), which also count as low.
//! - Notification types (SDS13713): 0x01 smoke (events 0x01, 0x02 detected), 0x02 CO (0x01,
//!   0x02), 0x05 water (0x01, 0x02 leak), 0x06 access control (0x16 window/door open, 0x17
//!   closed), 0x07 home security (0x07, 0x08 motion; 0x03 cover removed and 0x09 moved are
//!   tamper); event 0x00 is idle and clears the state its parameter names (all of the type's
//!   states when it names none; tamper, an event, only when named).

use sealhub_radios::zwave::cc::sensor::NotificationEvent;
use sealhub_radios::zwave::cc::{
    Battery, CommandClassFrame, Meter, MultilevelSensor, Notification, ids,
};

use super::lock::{self, ACCESS_CONTROL};
use super::units::{apply_scale, centi_celsius, scaled};
use super::{alarm_kinds, entry, thermostat};
use crate::definitions::EndpointMapping;
use crate::model::{AlarmKind, Attribute, Capability, MeasureKind};

/// Multilevel Sensor types.
const AIR_TEMPERATURE: u8 = 0x01;
const LUMINANCE: u8 = 0x03;
const HUMIDITY: u8 = 0x05;
/// Meter type Electric.
const ELECTRIC: u8 = 0x01;
/// Meter rate type Produced (export).
const PRODUCED: u8 = 0x02;
/// Electric meter scales.
const KWH: u16 = 0;
const WATTS: u16 = 2;
const VOLTS: u16 = 4;
const AMPERES: u16 = 5;
/// Notification types.
const SMOKE: u8 = 0x01;
const CARBON_MONOXIDE: u8 = 0x02;
const WATER: u8 = 0x05;
const HOME_SECURITY: u8 = 0x07;
/// Notification event Idle.
const IDLE: u8 = 0x00;

/// The Get for one measurement: Multilevel Sensor Get naming its type and preferred scale
/// (v5; older sensors ignore the bytes and report their default type), or Meter Get naming
/// the scale (v2+; older meters report their default).
pub(super) fn measurement_refresh(kind: MeasureKind, cc: u8) -> Vec<CommandClassFrame> {
    let sensor = |sensor_type: u8, scale: u8| {
        vec![CommandClassFrame::MultilevelSensor(MultilevelSensor::Get {
            requested: Some((sensor_type, scale)),
        })]
    };
    let meter = |scale: u16| {
        vec![CommandClassFrame::Meter(Meter::Get {
            scale_byte: u8::try_from(scale << 3).ok(),
            scale2: None,
        })]
    };
    match (cc, kind) {
        (ids::MULTILEVEL_SENSOR, MeasureKind::Temperature) => sensor(AIR_TEMPERATURE, 0),
        (ids::MULTILEVEL_SENSOR, MeasureKind::Humidity) => sensor(HUMIDITY, 0),
        (ids::MULTILEVEL_SENSOR, MeasureKind::Illuminance) => sensor(LUMINANCE, 1),
        (ids::METER, MeasureKind::Energy) => meter(KWH),
        (ids::METER, MeasureKind::Power) => meter(WATTS),
        (ids::METER, MeasureKind::Voltage) => meter(VOLTS),
        (ids::METER, MeasureKind::Current) => meter(AMPERES),
        _ => Vec::new(),
    }
}

/// The notification type an alarm kind is reported under.
fn notification_type(kind: AlarmKind) -> u8 {
    match kind {
        AlarmKind::Contact => ACCESS_CONTROL,
        AlarmKind::Motion | AlarmKind::Tamper => HOME_SECURITY,
        AlarmKind::Smoke => SMOKE,
        AlarmKind::Water => WATER,
        AlarmKind::CarbonMonoxide => CARBON_MONOXIDE,
    }
}

/// Notification Get for the alarm's type (v3 layout: v1 alarm type 0, the type, event 0 for
/// the latest state).
pub(super) fn alarm_refresh(kind: AlarmKind, cc: u8) -> Vec<CommandClassFrame> {
    if cc != ids::NOTIFICATION {
        return Vec::new();
    }
    vec![CommandClassFrame::Notification(Notification::Get {
        raw: vec![0x00, notification_type(kind), 0x00],
    })]
}

/// Battery Get.
pub(super) fn battery_refresh(cc: u8) -> Vec<CommandClassFrame> {
    if cc != ids::BATTERY {
        return Vec::new();
    }
    vec![CommandClassFrame::Battery(Battery::Get)]
}

fn measurement(
    ep: &EndpointMapping,
    kind: MeasureKind,
    cc: u8,
    value: Option<i64>,
) -> Vec<Attribute> {
    let Some(e) = entry(ep, Capability::Measurement(kind), cc) else {
        return Vec::new();
    };
    match value.and_then(|v| apply_scale(v, &e.options)) {
        Some(value) => vec![Attribute::Measurement { kind, value }],
        None => {
            tracing::debug!(?kind, "reading does not fit the model's unit");
            Vec::new()
        }
    }
}

/// Multilevel Sensor Report → a measurement, and a thermostat's local temperature.
pub(super) fn multilevel_report(ep: &EndpointMapping, report: &MultilevelSensor) -> Vec<Attribute> {
    let MultilevelSensor::Report { sensor_type, value } = report else {
        return Vec::new();
    };
    let cc = ids::MULTILEVEL_SENSOR;
    match (*sensor_type, value.scale) {
        (AIR_TEMPERATURE, _) => {
            let centi = centi_celsius(value).map(i64::from);
            let mut out = measurement(ep, MeasureKind::Temperature, cc, centi);
            out.extend(thermostat::local_temperature(ep, value));
            out
        }
        (HUMIDITY, 0) => measurement(ep, MeasureKind::Humidity, cc, scaled(value, 100)),
        (LUMINANCE, 1) => measurement(ep, MeasureKind::Illuminance, cc, scaled(value, 1)),
        (t, s) => {
            tracing::debug!(
                sensor_type = t,
                scale = s,
                "Multilevel Sensor reading not mapped"
            );
            Vec::new()
        }
    }
}

/// Meter Report → energy, power, voltage or current.
pub(super) fn meter_report(ep: &EndpointMapping, report: &Meter) -> Vec<Attribute> {
    let Meter::Report(reading) = report else {
        return Vec::new();
    };
    if reading.meter_type() != ELECTRIC || reading.rate_type() == PRODUCED {
        tracing::debug!(
            meter_type = reading.meter_type(),
            rate_type = reading.rate_type(),
            "Meter reading not mapped"
        );
        return Vec::new();
    }
    let (kind, multiplier) = match reading.scale() {
        KWH => (MeasureKind::Energy, 1_000_000),
        WATTS => (MeasureKind::Power, 1_000),
        VOLTS => (MeasureKind::Voltage, 1_000),
        AMPERES => (MeasureKind::Current, 1_000),
        other => {
            tracing::debug!(scale = other, "electric meter scale not mapped");
            return Vec::new();
        }
    };
    measurement(ep, kind, ids::METER, scaled(&reading.value, multiplier))
}

/// Battery Report → percentage and the low warning.
pub(super) fn battery_report(ep: &EndpointMapping, report: &Battery) -> Vec<Attribute> {
    let Battery::Report { level, status } = report else {
        return Vec::new();
    };
    if entry(ep, Capability::Battery, ids::BATTERY).is_none() {
        return Vec::new();
    }
    if Battery::is_low(*level) {
        return vec![Attribute::BatteryLow(true)];
    }
    if *level > 100 {
        tracing::debug!(level, "Battery level out of range");
        return Vec::new();
    }
    let replace = status.is_some_and(|[first, _]| first & 0b11 != 0);
    vec![
        Attribute::BatteryPercent(*level),
        Attribute::BatteryLow(replace),
    ]
}

/// Notification Report → alarms, and a lock's Access Control events.
pub(super) fn notification_report(ep: &EndpointMapping, report: &Notification) -> Vec<Attribute> {
    let Notification::Report { event, .. } = report else {
        return Vec::new();
    };
    let Some(event) = event else {
        tracing::debug!("Notification v1 alarm (manufacturer-specific) not mapped");
        return Vec::new();
    };
    let mut out = Vec::new();
    if event.notification_type == ACCESS_CONTROL {
        out.extend(lock::access_control(ep, event));
    }
    for (kind, e) in alarm_kinds(ep) {
        if let Some(active) = alarm_state(kind, event) {
            out.push(Attribute::Alarm {
                kind,
                active: active != e.options.invert,
            });
        }
    }
    out
}

/// What `event` says of alarm `kind`, if anything.
fn alarm_state(kind: AlarmKind, event: &NotificationEvent) -> Option<bool> {
    if event.notification_type != notification_type(kind) {
        return None;
    }
    let cleared = event.parameters.first().copied();
    match (kind, event.event) {
        (AlarmKind::Contact, 0x16) => Some(true),
        (AlarmKind::Contact, 0x17) => Some(false),
        (AlarmKind::Motion, 0x07 | 0x08) => Some(true),
        (AlarmKind::Motion, IDLE) => matches!(cleared, None | Some(0x07 | 0x08)).then_some(false),
        (AlarmKind::Tamper, 0x03 | 0x09) => Some(true),
        (AlarmKind::Tamper, IDLE) => matches!(cleared, Some(0x03 | 0x09)).then_some(false),
        (AlarmKind::Smoke | AlarmKind::CarbonMonoxide | AlarmKind::Water, 0x01 | 0x02) => {
            Some(true)
        }
        (AlarmKind::Smoke | AlarmKind::CarbonMonoxide | AlarmKind::Water, IDLE) => {
            matches!(cleared, None | Some(0x01 | 0x02)).then_some(false)
        }
        _ => None,
    }
}
