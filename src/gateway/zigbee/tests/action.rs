//! Actions: the exact requests each one makes (commands and their payload fields as ZCL 8
//! lays them out, writes with their types), `invert`, out-of-range values refused as
//! `InvalidValue`, and a missing capability or endpoint refused in words.

use sealhub_radios::zigbee::zcl::clusters::{
    Empty, Trailing, ZclBytes, color, door_lock, level, on_off,
};
use sealhub_radios::zigbee::zcl::foundation::AttributeValue;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};

use super::*;
use crate::gateway::zigbee::{action, refresh};
use crate::gateway::{Refusal, ZigbeeOp};
use crate::model::{Action, AlarmKind, Capability as C, Failure, MeasureKind as M, ThermostatMode};

fn commands(m: &Mapping, a: Action) -> Result<Vec<ZigbeeOp>, Refusal> {
    action(m, 1, &a)
}

fn one(command: ClusterCommand) -> Result<Vec<ZigbeeOp>, Refusal> {
    Ok(vec![ZigbeeOp::Command {
        endpoint: 1,
        command,
    }])
}

fn failure(result: Result<Vec<ZigbeeOp>, Refusal>) -> Failure {
    result.expect_err("refused").failure
}

#[test]
fn switching() {
    let m = one_endpoint(vec![cap(C::OnOff)]);
    let on_off = |c| one(ClusterCommand::OnOff(c));
    assert_eq!(
        commands(&m, Action::TurnOn),
        on_off(on_off::ToServer::On(Empty {}))
    );
    assert_eq!(
        commands(&m, Action::TurnOff),
        on_off(on_off::ToServer::Off(Empty {}))
    );
    assert_eq!(
        commands(&m, Action::Toggle),
        on_off(on_off::ToServer::Toggle(Empty {}))
    );
    // A relay wired the other way round: the model's "on" is the device's Off.
    let relay = one_endpoint(vec![inverted(C::OnOff)]);
    assert_eq!(
        commands(&relay, Action::TurnOn),
        on_off(on_off::ToServer::Off(Empty {}))
    );
    assert_eq!(
        commands(&relay, Action::TurnOff),
        on_off(on_off::ToServer::On(Empty {}))
    );
}

fn move_to_level(level: u8, transition_time: u16) -> Result<Vec<ZigbeeOp>, Refusal> {
    one(ClusterCommand::LevelControl(
        level::ToServer::MoveToLevelWithOnOff(level::MoveToLevel {
            level,
            transition_time,
            options: Trailing(None),
        }),
    ))
}

#[test]
fn dimming() {
    let m = one_endpoint(vec![cap(C::OnOff), cap(C::Level)]);
    let set = |level, transition| Action::SetLevel { level, transition };
    // 50 % over 1 s: level 127, 10 tenths.
    assert_eq!(commands(&m, set(5_000, Some(10))), move_to_level(127, 10));
    // 100 %, the device's default transition (0xFFFF).
    assert_eq!(commands(&m, set(10_000, None)), move_to_level(254, 0xFFFF));
    assert_eq!(commands(&m, set(0, Some(0))), move_to_level(0, 0));
    assert_eq!(
        failure(commands(&m, set(10_001, None))),
        Failure::InvalidValue
    );
    assert_eq!(
        failure(commands(&m, set(5_000, Some(0xFFFF)))),
        Failure::InvalidValue
    );
    let blind = one_endpoint(vec![inverted(C::Level)]);
    assert_eq!(
        commands(&blind, set(10_000, None)),
        move_to_level(0, 0xFFFF)
    );
    assert_eq!(
        commands(&blind, set(2_500, None)),
        move_to_level(191, 0xFFFF)
    );
    assert_eq!(
        failure(commands(&blind, set(10_001, None))),
        Failure::InvalidValue
    );
}

#[test]
fn colours() {
    let m = one_endpoint(vec![cap(C::Color)]);
    assert_eq!(
        commands(
            &m,
            Action::SetColorXy {
                x: 0x616B,
                y: 0x607D
            }
        ),
        one(ClusterCommand::ColorControl(color::ToServer::MoveToColor(
            color::MoveToColor {
                x: 0x616B,
                y: 0x607D,
                transition_time: 0,
                options: Trailing(None),
            }
        )))
    );
    // Hue 120° (12000) is 84.67 of 254 steps: 85; saturation 50 %: 127.
    assert_eq!(
        commands(
            &m,
            Action::SetColorHs {
                hue: 12_000,
                saturation: 5_000
            }
        ),
        one(ClusterCommand::ColorControl(
            color::ToServer::MoveToHueAndSaturation(color::MoveToHueAndSaturation {
                hue: 85,
                saturation: 127,
                transition_time: 0,
                options: Trailing(None),
            })
        ))
    );
    assert_eq!(
        commands(&m, Action::SetColorTemperature(370)),
        one(ClusterCommand::ColorControl(
            color::ToServer::MoveToColorTemperature(color::MoveToColorTemperature {
                mireds: 370,
                transition_time: 0,
                options: Trailing(None),
            })
        ))
    );
    for bad in [
        Action::SetColorXy { x: 0xFF00, y: 1 },
        Action::SetColorXy { x: 1, y: 0xFFFF },
        Action::SetColorHs {
            hue: 36_000,
            saturation: 0,
        },
        Action::SetColorHs {
            hue: 0,
            saturation: 10_001,
        },
        Action::SetColorTemperature(0),
        Action::SetColorTemperature(0xFF00),
    ] {
        assert_eq!(
            failure(commands(&m, bad.clone())),
            Failure::InvalidValue,
            "{bad:?}"
        );
    }
}

#[test]
fn locks_and_user_codes() {
    let m = one_endpoint(vec![cap(C::DoorLock)]);
    // Lock Door / Unlock Door with an empty PIN: the octet string's length 0.
    let empty = || door_lock::LockCommand {
        pin: Trailing(Some(ZclBytes(Some(Vec::new())))),
    };
    assert_eq!(
        commands(&m, Action::Lock),
        one(ClusterCommand::DoorLock(door_lock::ToServer::LockDoor(
            empty()
        )))
    );
    assert_eq!(
        commands(&m, Action::Unlock),
        one(ClusterCommand::DoorLock(door_lock::ToServer::UnlockDoor(
            empty()
        )))
    );
    // Slot 1 is user 0; the code as ASCII digits; occupied-enabled, unrestricted.
    assert_eq!(
        commands(
            &m,
            Action::SetUserCode {
                slot: 1,
                code: "2468".into()
            }
        ),
        one(ClusterCommand::DoorLock(door_lock::ToServer::SetPinCode(
            door_lock::SetPinCode {
                user_id: 0,
                user_status: 1,
                user_type: 0,
                pin: ZclBytes(Some(b"2468".to_vec())),
            }
        )))
    );
    assert_eq!(
        commands(&m, Action::ClearUserCode { slot: 5 }),
        one(ClusterCommand::DoorLock(door_lock::ToServer::ClearPinCode(
            door_lock::UserId { user_id: 4 }
        )))
    );
    for bad in [
        Action::SetUserCode {
            slot: 0,
            code: "1234".into(),
        },
        Action::SetUserCode {
            slot: 1,
            code: "123".into(),
        },
        Action::SetUserCode {
            slot: 1,
            code: "12345678901".into(),
        },
        Action::SetUserCode {
            slot: 1,
            code: "12a4".into(),
        },
        Action::SetUserCode {
            slot: 1,
            code: "１２３４".into(),
        },
        Action::ClearUserCode { slot: 0 },
    ] {
        assert_eq!(
            failure(commands(&m, bad.clone())),
            Failure::InvalidValue,
            "{bad:?}"
        );
    }
}

fn write(id: u16, value: Value) -> Result<Vec<ZigbeeOp>, Refusal> {
    Ok(vec![ZigbeeOp::Write {
        endpoint: 1,
        cluster: 0x0201,
        records: vec![AttributeValue { id, value }],
    }])
}

#[test]
fn thermostats() {
    let m = one_endpoint(vec![cap(C::Thermostat)]);
    for (mode, raw) in [
        (ThermostatMode::Off, 0),
        (ThermostatMode::Auto, 1),
        (ThermostatMode::Cool, 3),
        (ThermostatMode::Heat, 4),
        (ThermostatMode::EmergencyHeat, 5),
        (ThermostatMode::FanOnly, 7),
        (ThermostatMode::Dry, 8),
    ] {
        assert_eq!(
            commands(&m, Action::SetThermostatMode(mode)),
            write(0x001C, Value::Enum8(raw))
        );
    }
    assert_eq!(
        commands(&m, Action::SetHeatingSetpoint(2150)),
        write(0x0012, int(2, 2150))
    );
    assert_eq!(
        commands(&m, Action::SetCoolingSetpoint(-500)),
        write(0x0011, int(2, -500))
    );
    for bad in [
        Action::SetHeatingSetpoint(32_768),
        Action::SetHeatingSetpoint(-27_316),
        Action::SetCoolingSetpoint(-32_768),
        Action::SetCoolingSetpoint(i32::MAX),
    ] {
        assert_eq!(
            failure(commands(&m, bad.clone())),
            Failure::InvalidValue,
            "{bad:?}"
        );
    }
}

#[test]
fn refresh_is_the_endpoints_reads() {
    let m = one_endpoint(vec![cap(C::OnOff), cap(C::Level)]);
    assert_eq!(commands(&m, Action::Refresh), Ok(refresh(&m, 1)));
    assert_eq!(refresh(&m, 1).len(), 2);
}

#[test]
fn what_an_endpoint_cannot_do_is_refused_in_words() {
    let light = one_endpoint(vec![cap(C::OnOff), cap(C::Level)]);
    assert_eq!(
        commands(&light, Action::Lock),
        Err(Refusal::new(
            Failure::Unsupported,
            "kitchen light's endpoint 1 cannot lock"
        ))
    );
    for a in [
        Action::SetColorTemperature(250),
        Action::SetThermostatMode(ThermostatMode::Heat),
        Action::ClearUserCode { slot: 1 },
    ] {
        assert_eq!(failure(commands(&light, a)), Failure::Unsupported);
    }
    // A thermostat's temperature mapped as a measurement takes no setpoint.
    let sensor = one_endpoint(vec![cap_from(C::Measurement(M::Temperature), 0x0201)]);
    assert_eq!(
        failure(commands(&sensor, Action::SetHeatingSetpoint(2000))),
        Failure::Unsupported
    );
    // A sensor's endpoint cannot be switched; the message names the device.
    let mut contact = one_endpoint(vec![cap(C::Alarm(AlarmKind::Tamper))]);
    contact.product = None;
    assert_eq!(
        commands(&contact, Action::TurnOn),
        Err(Refusal::new(
            Failure::Unsupported,
            "the device's endpoint 1 cannot switch on"
        ))
    );
    // No such endpoint.
    assert_eq!(
        action(&light, 3, &Action::TurnOn),
        Err(Refusal::new(
            Failure::UnknownDevice,
            "kitchen light has no endpoint 3"
        ))
    );
}
