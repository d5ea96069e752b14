//! Every action's exact frames (as SDS13781 lays them out), the refusals, and refresh.

use super::*;
use crate::gateway::Refusal;
use crate::gateway::zwave::{action, action_with_state, follow_up, refresh};
use crate::model::{Action, Attribute, Failure, ThermostatMode};

fn frames(m: &Mapping, endpoint: u8, a: Action) -> Vec<(u8, Vec<u8>)> {
    wire(&action(m, endpoint, &a).unwrap_or_else(|r| panic!("{a:?} refused: {r:?}")))
}

fn refused(m: &Mapping, endpoint: u8, a: Action) -> Refusal {
    match action(m, endpoint, &a) {
        Ok(ops) => panic!("{a:?} was not refused: {ops:?}"),
        Err(r) => r,
    }
}

fn at(endpoint: u8, frames: &[&[u8]]) -> Vec<(u8, Vec<u8>)> {
    frames.iter().map(|f| (endpoint, f.to_vec())).collect()
}

#[test]
fn binary_switch_on_and_off() {
    let m = generic(&binary_switch());
    // Binary Switch Set (0x01) value 0xFF / 0x00, then Get (0x02).
    assert_eq!(
        frames(&m, 0, Action::TurnOn),
        at(0, &[&[0x25, 0x01, 0xFF], &[0x25, 0x02]])
    );
    assert_eq!(
        frames(&m, 0, Action::TurnOff),
        at(0, &[&[0x25, 0x01, 0x00], &[0x25, 0x02]])
    );
    let inverted = with_options(
        m,
        0,
        MappingOptions {
            invert: true,
            ..MappingOptions::default()
        },
    );
    assert_eq!(
        frames(&inverted, 0, Action::TurnOn),
        at(0, &[&[0x25, 0x01, 0x00], &[0x25, 0x02]])
    );
}

#[test]
fn toggle_needs_the_last_state() {
    let m = generic(&binary_switch());
    let r = refused(&m, 0, Action::Toggle);
    assert_eq!(r.failure, Failure::Unsupported);
    assert!(r.message.contains("not known"), "{}", r.message);
    let toggled = |last: &[Attribute]| {
        wire(&action_with_state(&m, 0, &Action::Toggle, last).expect("toggled"))
    };
    assert_eq!(
        toggled(&[Attribute::OnOff(true)]),
        at(0, &[&[0x25, 0x01, 0x00], &[0x25, 0x02]])
    );
    assert_eq!(
        toggled(&[Attribute::Level(5), Attribute::OnOff(false)]),
        at(0, &[&[0x25, 0x01, 0xFF], &[0x25, 0x02]])
    );
    // A thermostat cannot be toggled whatever it knows.
    let t = generic(&thermostat());
    let r = action_with_state(&t, 0, &Action::Toggle, &[Attribute::OnOff(true)]);
    assert_eq!(r.map_err(|r| r.failure), Err(Failure::Unsupported));
}

#[test]
fn multilevel_switch_on_off_and_level_with_duration() {
    let m = generic(&dimmer());
    // 0xFF restores the last level.
    assert_eq!(
        frames(&m, 0, Action::TurnOn),
        at(0, &[&[0x26, 0x01, 0xFF], &[0x26, 0x02]])
    );
    // 50.00 % over 2 s: value 0x32, duration 0x02.
    assert_eq!(
        frames(
            &m,
            0,
            Action::SetLevel {
                level: 5000,
                transition: Some(20)
            }
        ),
        at(0, &[&[0x26, 0x01, 0x32, 0x02], &[0x26, 0x02]])
    );
    // Full, device default duration (no duration byte); 10 min → 0x89.
    assert_eq!(
        frames(
            &m,
            0,
            Action::SetLevel {
                level: 10_000,
                transition: None
            }
        ),
        at(0, &[&[0x26, 0x01, 0x63], &[0x26, 0x02]])
    );
    assert_eq!(
        frames(
            &m,
            0,
            Action::SetLevel {
                level: 1,
                transition: Some(6000)
            }
        ),
        at(0, &[&[0x26, 0x01, 0x01, 0x89], &[0x26, 0x02]])
    );
    let r = refused(
        &m,
        0,
        Action::SetLevel {
            level: 10_001,
            transition: None,
        },
    );
    assert_eq!(r.failure, Failure::InvalidValue);
    let r = refused(
        &generic(&binary_switch()),
        0,
        Action::SetLevel {
            level: 1,
            transition: None,
        },
    );
    assert_eq!(r.failure, Failure::Unsupported);
    assert_eq!(r.message, "this device cannot be dimmed");
}

#[test]
fn basic_only_switches_use_basic_set() {
    let m = generic(&record(0x10, 0x01, &[0x20], Vec::new()));
    assert_eq!(
        frames(&m, 0, Action::TurnOn),
        at(0, &[&[0x20, 0x01, 0xFF], &[0x20, 0x02]])
    );
}

#[test]
fn colours_set_every_component_then_read_them() {
    let m = generic(&bulb());
    let gets: [&[u8]; 5] = [
        &[0x33, 0x03, 0x00],
        &[0x33, 0x03, 0x01],
        &[0x33, 0x03, 0x02],
        &[0x33, 0x03, 0x03],
        &[0x33, 0x03, 0x04],
    ];
    // Color Switch Set: count 5, (id, value) pairs; red at the sRGB red primary.
    let red_xy = Action::SetColorXy {
        x: 41_943,
        y: 21_627,
    };
    let mut want: Vec<&[u8]> = vec![&[0x33, 0x05, 0x05, 0, 0, 1, 0, 2, 255, 3, 0, 4, 0]];
    want.extend(gets);
    assert_eq!(frames(&m, 0, red_xy), at(0, &want));
    // Hue 240°, saturation 100 %: blue.
    let mut want: Vec<&[u8]> = vec![&[0x33, 0x05, 0x05, 0, 0, 1, 0, 2, 0, 3, 0, 4, 255]];
    want.extend(gets);
    assert_eq!(
        frames(
            &m,
            0,
            Action::SetColorHs {
                hue: 24_000,
                saturation: 10_000
            }
        ),
        at(0, &want)
    );
    // 250 mireds (4000 K): warm 114, cold 141, colours off.
    let mut want: Vec<&[u8]> = vec![&[0x33, 0x05, 0x05, 0, 114, 1, 141, 2, 0, 3, 0, 4, 0]];
    want.extend(gets);
    assert_eq!(
        frames(&m, 0, Action::SetColorTemperature(250)),
        at(0, &want)
    );
    for bad in [
        Action::SetColorTemperature(100),
        Action::SetColorTemperature(500),
        Action::SetColorXy { x: 1000, y: 0 },
        Action::SetColorHs {
            hue: 36_000,
            saturation: 0,
        },
        Action::SetColorHs {
            hue: 0,
            saturation: 10_001,
        },
    ] {
        assert_eq!(refused(&m, 0, bad).failure, Failure::InvalidValue);
    }
    let r = refused(&generic(&dimmer()), 0, Action::SetColorTemperature(250));
    assert_eq!(r.failure, Failure::Unsupported);
}

#[test]
fn the_lock_locks_and_unlocks() {
    let m = generic(&door_lock());
    // Door Lock Operation Set (0x01) mode 0xFF secured / 0x00 unsecured, then Operation Get.
    assert_eq!(
        frames(&m, 0, Action::Lock),
        at(0, &[&[0x62, 0x01, 0xFF], &[0x62, 0x02]])
    );
    assert_eq!(
        frames(&m, 0, Action::Unlock),
        at(0, &[&[0x62, 0x01, 0x00], &[0x62, 0x02]])
    );
    assert_eq!(
        refused(&generic(&binary_switch()), 0, Action::Lock).failure,
        Failure::Unsupported
    );
}

#[test]
fn user_codes_are_set_and_cleared_in_ascii() {
    let m = generic(&door_lock());
    // User Code Set: user id 3, status 0x01 (enabled), "1974" in ASCII; then Get slot 3.
    assert_eq!(
        frames(
            &m,
            0,
            Action::SetUserCode {
                slot: 3,
                code: "1974".into()
            }
        ),
        at(
            0,
            &[
                &[0x63, 0x01, 0x03, 0x01, 0x31, 0x39, 0x37, 0x34],
                &[0x63, 0x02, 0x03]
            ]
        )
    );
    // Clearing: status 0x00 (available) with the code 0x00000000.
    assert_eq!(
        frames(&m, 0, Action::ClearUserCode { slot: 255 }),
        at(
            0,
            &[&[0x63, 0x01, 0xFF, 0x00, 0, 0, 0, 0], &[0x63, 0x02, 0xFF]]
        )
    );
    for (slot, code) in [
        (0, "1234"),
        (256, "1234"),
        (1, "123"),
        (1, "12345678901"),
        (1, "12a4"),
        (1, "１２３４"),
    ] {
        let r = refused(
            &m,
            0,
            Action::SetUserCode {
                slot,
                code: code.into(),
            },
        );
        assert_eq!(r.failure, Failure::InvalidValue, "{slot} {code}");
        assert!(!r.message.contains(code), "the code is never echoed");
    }
    let bare = generic(&record(0x40, 0x03, &[0x62], Vec::new()));
    let r = refused(&bare, 0, Action::ClearUserCode { slot: 1 });
    assert_eq!(
        (r.failure, r.message.as_str()),
        (Failure::Unsupported, "this lock does not keep user codes")
    );
    assert_eq!(
        refused(&generic(&bulb()), 0, Action::ClearUserCode { slot: 1 }).failure,
        Failure::Unsupported
    );
}

#[test]
fn thermostat_mode_and_setpoints() {
    let m = generic(&thermostat());
    assert_eq!(
        frames(&m, 0, Action::SetThermostatMode(ThermostatMode::Heat)),
        at(0, &[&[0x40, 0x01, 0x01], &[0x40, 0x02]])
    );
    assert_eq!(
        frames(&m, 0, Action::SetThermostatMode(ThermostatMode::FanOnly)),
        at(0, &[&[0x40, 0x01, 0x06], &[0x40, 0x02]])
    );
    // Setpoint Set: type 1, precision 2 | scale 0 (°C) | size 2 = 0x42, 2150 = 0x0866.
    assert_eq!(
        frames(&m, 0, Action::SetHeatingSetpoint(2150)),
        at(
            0,
            &[&[0x43, 0x01, 0x01, 0x42, 0x08, 0x66], &[0x43, 0x02, 0x01]]
        )
    );
    // Cooling −5.00 °C = −500 = 0xFE0C.
    assert_eq!(
        frames(&m, 0, Action::SetCoolingSetpoint(-500)),
        at(
            0,
            &[&[0x43, 0x01, 0x02, 0x42, 0xFE, 0x0C], &[0x43, 0x02, 0x02]]
        )
    );
    assert_eq!(
        refused(&m, 0, Action::SetHeatingSetpoint(32_768)).failure,
        Failure::InvalidValue
    );
    assert_eq!(
        refused(&m, 0, Action::SetHeatingSetpoint(i32::MIN)).failure,
        Failure::InvalidValue
    );
    let r = refused(
        &generic(&binary_switch()),
        0,
        Action::SetHeatingSetpoint(2000),
    );
    assert_eq!(
        (r.failure, r.message.as_str()),
        (Failure::Unsupported, "this device is not a thermostat")
    );
    // A radiator valve with setpoints only has no mode.
    let valve = generic(&record(0x08, 0x06, &[0x43, 0x80], Vec::new()));
    assert_eq!(
        refused(&valve, 0, Action::SetThermostatMode(ThermostatMode::Heat)).failure,
        Failure::Unsupported
    );
}

#[test]
fn a_missing_end_point_is_an_unknown_device() {
    let m = generic(&metering_plug());
    let r = refused(&m, 0, Action::TurnOn);
    assert_eq!(r.failure, Failure::UnknownDevice);
    assert_eq!(
        refused(&m, 9, Action::Refresh).failure,
        Failure::UnknownDevice
    );
    assert!(refresh(&m, 9).is_empty());
}

#[test]
fn the_plugs_outlet_switches_from_its_end_point() {
    let m = generic(&metering_plug());
    assert_eq!(
        frames(&m, 2, Action::TurnOn),
        at(2, &[&[0x25, 0x01, 0xFF], &[0x25, 0x02]])
    );
}

#[test]
fn refresh_asks_for_every_value_once() {
    // Meter Get v2+: scale byte (scale << 3): W 0x10, kWh 0x00, V 0x20, A 0x28.
    assert_eq!(
        wire(&refresh(&generic(&metering_plug()), 1)),
        at(
            1,
            &[
                &[0x25, 0x02],
                &[0x32, 0x01, 0x10],
                &[0x32, 0x01, 0x00],
                &[0x32, 0x01, 0x20],
                &[0x32, 0x01, 0x28],
            ]
        )
    );
    assert_eq!(
        wire(&refresh(&generic(&thermostat()), 0)),
        at(
            0,
            &[
                &[0x40, 0x02],
                &[0x43, 0x02, 0x01],
                &[0x43, 0x02, 0x02],
                &[0x42, 0x02],
                &[0x31, 0x04, 0x01, 0x00],
            ]
        )
    );
    // Multilevel Sensor Get v5 (type, scale << 3); Notification Get v3 (0, type, event 0)
    // once per type (motion and tamper share Home Security).
    assert_eq!(
        wire(&refresh(&generic(&multisensor()), 0)),
        at(
            0,
            &[
                &[0x31, 0x04, 0x01, 0x00],
                &[0x31, 0x04, 0x05, 0x00],
                &[0x31, 0x04, 0x03, 0x08],
                &[0x71, 0x04, 0x00, 0x06, 0x00],
                &[0x71, 0x04, 0x00, 0x07, 0x00],
                &[0x71, 0x04, 0x00, 0x01, 0x00],
                &[0x71, 0x04, 0x00, 0x05, 0x00],
                &[0x71, 0x04, 0x00, 0x02, 0x00],
                &[0x80, 0x02],
            ]
        )
    );
    assert_eq!(
        wire(&refresh(&generic(&bulb()), 0)),
        at(
            0,
            &[
                &[0x26, 0x02],
                &[0x33, 0x03, 0x00],
                &[0x33, 0x03, 0x01],
                &[0x33, 0x03, 0x02],
                &[0x33, 0x03, 0x03],
                &[0x33, 0x03, 0x04],
            ]
        )
    );
    let lock = generic(&door_lock());
    assert_eq!(
        wire(&refresh(&lock, 0)),
        at(0, &[&[0x62, 0x02], &[0x63, 0x04]])
    );
    assert_eq!(
        wire(&action(&lock, 0, &Action::Refresh).expect("refresh")),
        wire(&refresh(&lock, 0))
    );
}

#[test]
fn a_slot_count_asks_for_each_slot() {
    let lock = generic(&door_lock());
    assert_eq!(
        wire(&follow_up(&lock, 0, &frame(&[0x63, 0x05, 0x03]))),
        at(
            0,
            &[
                &[0x63, 0x02, 0x01],
                &[0x63, 0x02, 0x02],
                &[0x63, 0x02, 0x03]
            ]
        )
    );
    assert!(follow_up(&lock, 0, &frame(&[0x62, 0x03, 0xFF, 0, 0, 0xFE, 0xFE])).is_empty());
    let bare = generic(&record(0x40, 0x03, &[0x62], Vec::new()));
    assert!(follow_up(&bare, 0, &frame(&[0x63, 0x05, 0x03])).is_empty());
}
