//! Reports into model values: worked values from SDS13781 (and SDS13713 for notification
//! events), with the frames written as the specification lays out their bytes.

use super::*;
use crate::gateway::zwave::{
    ColorComponents, attributes_of_report, attributes_of_report_with, report_endpoint,
};
use crate::model::{
    AlarmKind, Attribute, LockAction, LockSource, LockState, MeasureKind, RunningState,
    ThermostatMode, UserCodeStatus,
};

fn of(m: &Mapping, endpoint: u8, bytes: &[u8]) -> Vec<Attribute> {
    attributes_of_report(m, endpoint, &frame(bytes))
}

fn measured(kind: MeasureKind, value: i64) -> Vec<Attribute> {
    vec![Attribute::Measurement { kind, value }]
}

#[test]
fn binary_switch_reports_are_on_off_and_unknown_is_nothing() {
    let m = generic(&binary_switch());
    // Binary Switch Report: CC 0x25, command 0x03, current value.
    assert_eq!(of(&m, 0, &[0x25, 0x03, 0xFF]), [Attribute::OnOff(true)]);
    assert_eq!(of(&m, 0, &[0x25, 0x03, 0x00]), [Attribute::OnOff(false)]);
    // Version 1 allowed 0x01..=0x63 for on.
    assert_eq!(of(&m, 0, &[0x25, 0x03, 0x63]), [Attribute::OnOff(true)]);
    assert_eq!(of(&m, 0, &[0x25, 0x03, 0xFE]), [], "0xFE is unknown");
    assert_eq!(of(&m, 0, &[0x25, 0x03, 0x80]), [], "reserved");
    // v2 tail: current off, target on, 3 s to go: the current value counts.
    assert_eq!(
        of(&m, 0, &[0x25, 0x03, 0x00, 0xFF, 0x03]),
        [Attribute::OnOff(false)]
    );
    // A Multilevel Switch or Basic Report is not how this switch is read.
    assert_eq!(of(&m, 0, &[0x26, 0x03, 0x63]), []);
    assert_eq!(of(&m, 0, &[0x20, 0x03, 0xFF]), []);
    assert_eq!(of(&m, 3, &[0x25, 0x03, 0xFF]), [], "no such end point");
}

#[test]
fn an_inverted_switch_reports_the_opposite() {
    let m = with_options(
        generic(&binary_switch()),
        0,
        MappingOptions {
            invert: true,
            ..MappingOptions::default()
        },
    );
    assert_eq!(of(&m, 0, &[0x25, 0x03, 0xFF]), [Attribute::OnOff(false)]);
}

#[test]
fn multilevel_switch_reports_are_on_off_and_level() {
    let m = generic(&bulb());
    assert_eq!(
        of(&m, 0, &[0x26, 0x03, 0x63]),
        [Attribute::OnOff(true), Attribute::Level(10_000)]
    );
    assert_eq!(
        of(&m, 0, &[0x26, 0x03, 0x00]),
        [Attribute::OnOff(false), Attribute::Level(0)]
    );
    assert_eq!(
        of(&m, 0, &[0x26, 0x03, 0x32]),
        [Attribute::OnOff(true), Attribute::Level(5051)]
    );
    // v4: current 10, target 50, 2 s.
    assert_eq!(
        of(&m, 0, &[0x26, 0x03, 0x0A, 0x32, 0x02]),
        [Attribute::OnOff(true), Attribute::Level(1010)]
    );
    assert_eq!(of(&m, 0, &[0x26, 0x03, 0xFE]), [], "unknown");
    assert_eq!(
        of(&m, 0, &[0x26, 0x03, 0xFF]),
        [],
        "not a level in a Report"
    );
    assert_eq!(of(&m, 0, &[0x26, 0x03, 0x64]), []);
}

#[test]
fn basic_reports_count_only_for_a_node_mapped_by_basic() {
    let legacy = generic(&record(0x10, 0x01, &[0x20], Vec::new()));
    assert_eq!(
        of(&legacy, 0, &[0x20, 0x03, 0xFF]),
        [Attribute::OnOff(true)]
    );
    assert_eq!(
        of(&legacy, 0, &[0x20, 0x03, 0x00]),
        [Attribute::OnOff(false)]
    );
    assert_eq!(
        of(&legacy, 0, &[0x20, 0x03, 0x20]),
        [Attribute::OnOff(true)]
    );
    assert_eq!(of(&legacy, 0, &[0x20, 0x03, 0xFE]), []);
}

#[test]
fn colour_needs_every_component_and_then_is_xy_or_a_temperature() {
    let m = generic(&bulb());
    let mut colors = ColorComponents::new();
    let mut report = |bytes: &[u8]| attributes_of_report_with(&m, 0, &frame(bytes), &mut colors);
    // Color Switch Report: CC 0x33, command 0x04, component id, value.
    assert_eq!(
        report(&[0x33, 0x04, 0x04, 0x00]),
        [],
        "blue alone is no colour"
    );
    assert_eq!(report(&[0x33, 0x04, 0x02, 0xFF]), []);
    assert_eq!(report(&[0x33, 0x04, 0x03, 0x00]), []);
    let red = report(&[0x33, 0x04, 0x04, 0x00]);
    let [Attribute::ColorXy { x, y }] = red.as_slice() else {
        panic!("{red:?}")
    };
    // sRGB red primary (0.64, 0.33) in 1/65536.
    assert!(
        x.abs_diff(41_943) < 40 && y.abs_diff(21_627) < 40,
        "{x} {y}"
    );
    // Green changes (v3 tail ignored): nothing until blue closes the group, so no colour is
    // made of a new green and a stale blue.
    assert_eq!(report(&[0x33, 0x04, 0x03, 0xFF, 0xFF, 0x00]), []);
    let yellow = super::super::color::rgb_to_xy(255, 255, 0).expect("a colour");
    assert_eq!(
        report(&[0x33, 0x04, 0x04, 0x00]),
        [Attribute::ColorXy {
            x: yellow.0,
            y: yellow.1
        }]
    );
    assert_eq!(report(&[0x33, 0x04, 0x00, 0xFF]), []);
    assert_eq!(
        report(&[0x33, 0x04, 0x01, 0x00]),
        [Attribute::ColorTemperature(370)],
        "warm white only: 2700 K"
    );
    assert_eq!(report(&[0x33, 0x04, 0x05, 0x10]), [], "amber is not mapped");
    // Without a memory, nothing.
    assert_eq!(of(&m, 0, &[0x33, 0x04, 0x02, 0xFF]), []);
    // Black has no chromaticity.
    let mut dark = ColorComponents::new();
    for c in [2u8, 3, 4] {
        assert_eq!(
            attributes_of_report_with(&m, 0, &frame(&[0x33, 0x04, c, 0]), &mut dark),
            []
        );
    }
}

#[test]
fn door_lock_operation_reports_give_the_bolt() {
    let m = generic(&door_lock());
    // Door Lock Operation Report: mode, handles, door condition, timeout minutes, seconds.
    let report =
        |mode: u8, condition: u8| of(&m, 0, &[0x62, 0x03, mode, 0x00, condition, 0xFE, 0xFE]);
    assert_eq!(
        report(0xFF, 0x01),
        [Attribute::LockState(LockState::Locked)]
    );
    assert_eq!(
        report(0x00, 0x01),
        [Attribute::LockState(LockState::Unlocked)]
    );
    assert_eq!(
        report(0x01, 0x03),
        [Attribute::LockState(LockState::Unlocked)]
    );
    assert_eq!(
        report(0x10, 0x00),
        [Attribute::LockState(LockState::Unlocked)]
    );
    assert_eq!(
        report(0x21, 0x00),
        [Attribute::LockState(LockState::Unlocked)]
    );
    assert_eq!(
        report(0xFE, 0x00),
        [Attribute::LockState(LockState::Unknown)]
    );
    assert_eq!(
        report(0xFF, 0x03),
        [Attribute::LockState(LockState::Jammed)],
        "secured but the bolt is not thrown"
    );
    assert_eq!(report(0x42, 0x00), [], "not a mode");
}

#[test]
fn user_code_reports_give_the_slot_status_never_the_code() {
    let m = generic(&door_lock());
    assert_eq!(
        of(&m, 0, &[0x63, 0x03, 0x03, 0x01, b'1', b'9', b'7', b'4']),
        [Attribute::UserCode {
            slot: 3,
            status: UserCodeStatus::Occupied
        }]
    );
    assert_eq!(
        of(&m, 0, &[0x63, 0x03, 0x04, 0x00, 0, 0, 0, 0]),
        [Attribute::UserCode {
            slot: 4,
            status: UserCodeStatus::Available
        }]
    );
    assert_eq!(
        of(&m, 0, &[0x63, 0x03, 0x05, 0x02, b'0', b'0', b'0', b'0']),
        [Attribute::UserCode {
            slot: 5,
            status: UserCodeStatus::Disabled
        }]
    );
    assert_eq!(of(&m, 0, &[0x63, 0x03, 0x06, 0xFE]), [], "no such slot");
    assert_eq!(
        of(&m, 0, &[0x63, 0x03, 0x00, 0x01, b'1', b'2', b'3', b'4']),
        []
    );
    assert_eq!(
        of(&m, 0, &[0x63, 0x05, 0x08]),
        [],
        "a count is no attribute"
    );
}

/// A Notification Report v3+: v1 alarm type and level 0, reserved, status on, type, event,
/// parameters.
fn notification(notification_type: u8, event: u8, params: &[u8]) -> Vec<u8> {
    let mut out = vec![0x71, 0x05, 0x00, 0x00, 0x00, 0xFF, notification_type, event];
    out.push(u8::try_from(params.len()).expect("short"));
    out.extend_from_slice(params);
    out
}

fn lock_with_notifications() -> Mapping {
    let mut node = door_lock();
    node.command_classes.push(CommandClassRecord {
        cc: 0x71,
        secure: true,
        version: Some(8),
    });
    generic(&node)
}

#[test]
fn access_control_events_are_lock_operations_with_source_and_slot() {
    let m = lock_with_notifications();
    let op = |action, source, slot| Attribute::LockOperation {
        action,
        source,
        slot,
    };
    use LockAction::{Locked, Unlocked};
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x01, &[])),
        [
            Attribute::LockState(LockState::Locked),
            op(Locked, LockSource::Manual, None)
        ]
    );
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x04, &[])),
        [
            Attribute::LockState(LockState::Unlocked),
            op(Unlocked, LockSource::Remote, None)
        ]
    );
    // Keypad unlock: the parameters are User Code Report slot 5, enabled, "1234".
    assert_eq!(
        of(
            &m,
            0,
            &notification(
                0x06,
                0x06,
                &[0x63, 0x03, 0x05, 0x01, b'1', b'2', b'3', b'4']
            )
        ),
        [
            Attribute::LockState(LockState::Unlocked),
            op(Unlocked, LockSource::Keypad, Some(5))
        ]
    );
    // Keypad lock with a bare user id.
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x05, &[0x02])),
        [
            Attribute::LockState(LockState::Locked),
            op(Locked, LockSource::Keypad, Some(2))
        ]
    );
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x09, &[])),
        [
            Attribute::LockState(LockState::Locked),
            op(Locked, LockSource::Auto, None)
        ]
    );
    // Unlock with user code 0x0102 (2-byte user id).
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x22, &[0x01, 0x02])),
        [
            Attribute::LockState(LockState::Unlocked),
            op(Unlocked, LockSource::Keypad, Some(0x0102))
        ]
    );
    for jammed in [0x07, 0x08, 0x0A, 0x0B] {
        assert_eq!(
            of(&m, 0, &notification(0x06, jammed, &[])),
            [Attribute::LockState(LockState::Jammed)],
            "event {jammed:#04x}"
        );
    }
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x0C, &[])),
        [],
        "codes deleted"
    );
    // A lock without Notification in its mapping ignores them.
    assert_eq!(
        of(&generic(&door_lock()), 0, &notification(0x06, 0x01, &[])),
        []
    );
}

#[test]
fn home_security_motion_and_tamper_set_and_clear() {
    let m = generic(&multisensor());
    let motion = |active| Attribute::Alarm {
        kind: AlarmKind::Motion,
        active,
    };
    let tamper = |active| Attribute::Alarm {
        kind: AlarmKind::Tamper,
        active,
    };
    assert_eq!(of(&m, 0, &notification(0x07, 0x08, &[])), [motion(true)]);
    assert_eq!(
        of(&m, 0, &notification(0x07, 0x07, &[0x01])),
        [motion(true)]
    );
    assert_eq!(of(&m, 0, &notification(0x07, 0x00, &[])), [motion(false)]);
    assert_eq!(
        of(&m, 0, &notification(0x07, 0x00, &[0x08])),
        [motion(false)]
    );
    assert_eq!(of(&m, 0, &notification(0x07, 0x03, &[])), [tamper(true)]);
    assert_eq!(of(&m, 0, &notification(0x07, 0x09, &[])), [tamper(true)]);
    assert_eq!(
        of(&m, 0, &notification(0x07, 0x00, &[0x03])),
        [tamper(false)]
    );
    assert_eq!(of(&m, 0, &notification(0x07, 0x02, &[])), [], "intrusion");
    // The multisensor's own frame (`Multisensor::notification`): motion detected.
    assert_eq!(
        of(
            &m,
            0,
            &[0x71, 0x05, 0x00, 0x00, 0x00, 0xFF, 0x07, 0x08, 0x00]
        ),
        [motion(true)]
    );
    // v1 alarm only: manufacturer specific, not mapped.
    assert_eq!(of(&m, 0, &[0x71, 0x05, 0x15, 0x01]), []);
}

#[test]
fn smoke_water_co_and_contact_alarms() {
    let m = generic(&multisensor());
    let alarm = |kind, active| vec![Attribute::Alarm { kind, active }];
    assert_eq!(
        of(&m, 0, &notification(0x01, 0x02, &[])),
        alarm(AlarmKind::Smoke, true)
    );
    assert_eq!(
        of(&m, 0, &notification(0x01, 0x00, &[])),
        alarm(AlarmKind::Smoke, false)
    );
    assert_eq!(
        of(&m, 0, &notification(0x01, 0x03, &[])),
        [],
        "a smoke test is no alarm"
    );
    assert_eq!(
        of(&m, 0, &notification(0x02, 0x01, &[0x01])),
        alarm(AlarmKind::CarbonMonoxide, true)
    );
    assert_eq!(
        of(&m, 0, &notification(0x05, 0x02, &[])),
        alarm(AlarmKind::Water, true)
    );
    assert_eq!(
        of(&m, 0, &notification(0x05, 0x00, &[0x02])),
        alarm(AlarmKind::Water, false)
    );
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x16, &[])),
        alarm(AlarmKind::Contact, true)
    );
    assert_eq!(
        of(&m, 0, &notification(0x06, 0x17, &[])),
        alarm(AlarmKind::Contact, false)
    );
    // An inverted contact.
    let inverted = with_options(
        m,
        0,
        MappingOptions {
            invert: true,
            ..MappingOptions::default()
        },
    );
    assert_eq!(
        of(&inverted, 0, &notification(0x06, 0x16, &[])),
        alarm(AlarmKind::Contact, false)
    );
}

#[test]
fn thermostat_reports() {
    let m = generic(&thermostat());
    assert_eq!(
        of(&m, 0, &[0x40, 0x03, 0x01]),
        [Attribute::ThermostatMode(ThermostatMode::Heat)]
    );
    assert_eq!(
        of(&m, 0, &[0x40, 0x03, 0x0A]),
        [Attribute::ThermostatMode(ThermostatMode::Auto)],
        "auto changeover"
    );
    assert_eq!(
        of(&m, 0, &[0x40, 0x03, 0x08]),
        [Attribute::ThermostatMode(ThermostatMode::Dry)]
    );
    assert_eq!(of(&m, 0, &[0x40, 0x03, 0x0D]), [], "away has no model mode");
    // Setpoint Report: type 1 heating, precision 1 | scale 0 | size 2 = 0x22, 0x00C8 = 20.0 °C.
    assert_eq!(
        of(&m, 0, &[0x43, 0x03, 0x01, 0x22, 0x00, 0xC8]),
        [Attribute::HeatingSetpoint(2000)]
    );
    // Cooling, °F: precision 0 | scale 1 | size 1 = 0x09, 72 °F = 22.22 °C.
    assert_eq!(
        of(&m, 0, &[0x43, 0x03, 0x02, 0x09, 0x48]),
        [Attribute::CoolingSetpoint(2222)]
    );
    assert_eq!(
        of(&m, 0, &[0x43, 0x03, 0x0B, 0x22, 0x00, 0xC8]),
        [],
        "away heating"
    );
    assert_eq!(
        of(&m, 0, &[0x42, 0x03, 0x01]),
        [Attribute::RunningState(RunningState::Heating)]
    );
    assert_eq!(
        of(&m, 0, &[0x42, 0x03, 0x04]),
        [Attribute::RunningState(RunningState::Idle)],
        "pending heat"
    );
    assert_eq!(
        of(&m, 0, &[0x42, 0x03, 0x09]),
        [Attribute::RunningState(RunningState::Cooling)]
    );
    assert_eq!(
        of(&m, 0, &[0x42, 0x03, 0x06]),
        [Attribute::RunningState(RunningState::Fan)]
    );
    assert_eq!(of(&m, 0, &[0x42, 0x03, 0x0C]), []);
    // Its air temperature (the emulator's 21.5 °C) is the local temperature.
    assert_eq!(
        of(&m, 0, &[0x31, 0x05, 0x01, 0x22, 0x00, 0xD7]),
        [Attribute::LocalTemperature(2150)]
    );
}

#[test]
fn multilevel_sensor_readings_in_the_models_units() {
    let m = generic(&multisensor());
    use MeasureKind::*;
    assert_eq!(
        of(&m, 0, &[0x31, 0x05, 0x01, 0x22, 0x00, 0xC6]),
        measured(Temperature, 1980)
    );
    // 68.0 °F, precision 1 | scale 1 | size 2 = 0x2A, 0x02A8 = 680.
    assert_eq!(
        of(&m, 0, &[0x31, 0x05, 0x01, 0x2A, 0x02, 0xA8]),
        measured(Temperature, 2000)
    );
    // -5.5 °C, one byte: precision 1 | scale 0 | size 1 = 0x21, 0xC9 = -55.
    assert_eq!(
        of(&m, 0, &[0x31, 0x05, 0x01, 0x21, 0xC9]),
        measured(Temperature, -550)
    );
    // Humidity 45.5 %: precision 1 | scale 0 | size 2.
    assert_eq!(
        of(&m, 0, &[0x31, 0x05, 0x05, 0x22, 0x01, 0xC7]),
        measured(Humidity, 4550)
    );
    assert_eq!(of(&m, 0, &[0x31, 0x05, 0x05, 0x2A, 0x00, 0x0A]), [], "g/m³");
    // Luminance 120 lux: precision 0 | scale 1 | size 2 = 0x0A.
    assert_eq!(
        of(&m, 0, &[0x31, 0x05, 0x03, 0x0A, 0x00, 0x78]),
        measured(Illuminance, 120)
    );
    assert_eq!(
        of(&m, 0, &[0x31, 0x05, 0x03, 0x01, 0x32]),
        [],
        "luminance in %"
    );
    assert_eq!(of(&m, 0, &[0x31, 0x05, 0x11, 0x01, 0x32]), [], "CO2 level");
}

#[test]
fn meter_readings_in_milliunits() {
    let m = generic(&metering_plug());
    use MeasureKind::*;
    // The plug's own frame: electric consumed (0x21), precision 1 | scale 2 (W) | size 4 = 0x34,
    // 15000 = 1500.0 W, delta time 0.
    assert_eq!(
        of(
            &m,
            2,
            &[0x32, 0x02, 0x21, 0x34, 0x00, 0x00, 0x3A, 0x98, 0x00, 0x00]
        ),
        measured(Power, 1_500_000)
    );
    // 1.50 kWh: precision 2 | scale 0 | size 4.
    assert_eq!(
        of(
            &m,
            1,
            &[0x32, 0x02, 0x21, 0x44, 0x00, 0x00, 0x00, 0x96, 0x00, 0x00]
        ),
        measured(Energy, 1_500_000)
    );
    // v1 meter (no rate type, no delta): 230.4 V needs scale 4, bit 2 in the type byte.
    assert_eq!(
        of(&m, 1, &[0x32, 0x02, 0x81, 0x22, 0x09, 0x00]),
        measured(Voltage, 230_400)
    );
    // 0.53 A: precision 2 | scale 1 (with bit 2: 5) | size 2 → 0x4A.
    assert_eq!(
        of(&m, 1, &[0x32, 0x02, 0xA1, 0x4A, 0x00, 0x35]),
        measured(Current, 530)
    );
    // kVAh, power factor, produced energy and a gas meter are not mapped.
    assert_eq!(of(&m, 1, &[0x32, 0x02, 0x21, 0x09, 0x05]), []);
    assert_eq!(of(&m, 1, &[0x32, 0x02, 0xA1, 0x51, 0x5F]), []);
    assert_eq!(of(&m, 1, &[0x32, 0x02, 0x41, 0x01, 0x05]), []);
    assert_eq!(of(&m, 1, &[0x32, 0x02, 0x22, 0x01, 0x05]), []);
}

#[test]
fn a_definitions_scale_multiplies_a_reading() {
    // A plug that reports deciwatts as watts.
    let m = with_options(
        generic(&metering_plug()),
        1,
        MappingOptions {
            scale: Some(crate::definitions::Scale {
                numerator: 1,
                denominator: 10,
            }),
            ..MappingOptions::default()
        },
    );
    assert_eq!(
        of(
            &m,
            1,
            &[0x32, 0x02, 0x21, 0x34, 0x00, 0x00, 0x3A, 0x98, 0x00, 0x00]
        ),
        measured(MeasureKind::Power, 150_000)
    );
}

#[test]
fn battery_reports() {
    let m = generic(&multisensor());
    assert_eq!(
        of(&m, 0, &[0x80, 0x03, 0x57]),
        [Attribute::BatteryPercent(87), Attribute::BatteryLow(false)]
    );
    assert_eq!(
        of(&m, 0, &[0x80, 0x03, 0xFF]),
        [Attribute::BatteryLow(true)],
        "the warning says nothing of the percentage"
    );
    assert_eq!(of(&m, 0, &[0x80, 0x03, 0x65]), [], "101 %");
    // v2: 12 %, replace soon.
    assert_eq!(
        of(&m, 0, &[0x80, 0x03, 0x0C, 0x01, 0x00]),
        [Attribute::BatteryPercent(12), Attribute::BatteryLow(true)]
    );
    assert_eq!(of(&generic(&bulb()), 0, &[0x80, 0x03, 0x57]), []);
}

#[test]
fn root_reports_of_a_mirrored_class_count_for_end_point_one() {
    let plug = generic(&metering_plug());
    let on = frame(&[0x25, 0x03, 0xFF]);
    assert_eq!(report_endpoint(&plug, 0, &on), 1);
    assert_eq!(report_endpoint(&plug, 2, &on), 2);
    assert_eq!(
        report_endpoint(&plug, 0, &frame(&[0x86, 0x14, 0x25, 0x01])),
        0,
        "a class no end point exposes"
    );
    let t = generic(&thermostat());
    assert_eq!(report_endpoint(&t, 0, &frame(&[0x40, 0x03, 0x01])), 0);
}

mod properties {
    use super::super::{everything, in_range};
    use super::*;
    use proptest::prelude::*;

    /// The classes the translation reads, and the ones around them.
    const CLASSES: [u8; 16] = [
        0x20, 0x25, 0x26, 0x30, 0x31, 0x32, 0x33, 0x40, 0x42, 0x43, 0x60, 0x62, 0x63, 0x6C, 0x71,
        0x80,
    ];

    fn report() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::sample::select(CLASSES.to_vec()),
            0u8..9,
            proptest::collection::vec(any::<u8>(), 0..14),
        )
            .prop_map(|(cc, command, params)| {
                let mut bytes = vec![cc, command];
                bytes.extend(params);
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_report_sequence_gives_values_in_range(
            reports in proptest::collection::vec((0u8..7, report()), 1..12)
        ) {
            let m = generic(&everything());
            let mut colors = ColorComponents::new();
            for (endpoint, bytes) in reports {
                let Ok(r) = CommandClassFrame::decode(&bytes) else { continue };
                let ep = report_endpoint(&m, endpoint, &r);
                for a in attributes_of_report_with(&m, ep, &r, &mut colors) {
                    in_range(&a);
                }
                let _ = crate::gateway::zwave::follow_up(&m, ep, &r);
            }
        }
    }
}
