//! A model [`Action`] on one endpoint as the ZCL requests that carry it out, or a [`Refusal`]
//! in words a person understands: the endpoint lacks the capability, or a value is out of
//! range.

use sealhub_radios::zigbee::zcl::clusters::door_lock::{
    self, LockCommand, SetPinCode, USER_STATUS_ENABLED, USER_TYPE_UNRESTRICTED, UserId,
};
use sealhub_radios::zigbee::zcl::clusters::thermostat::{
    OCCUPIED_COOLING_SETPOINT, OCCUPIED_HEATING_SETPOINT, SYSTEM_MODE,
};
use sealhub_radios::zigbee::zcl::clusters::{Empty, Trailing, ZclBytes, color, level, on_off};
use sealhub_radios::zigbee::zcl::foundation::AttributeValue;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};

use super::report::ABSOLUTE_ZERO;
use super::setup::refresh;
use super::sources::{THERMOSTAT, cluster_of, usual_cluster};
use super::units::{self, COLOR_MAX};
use crate::definitions::CapabilityMapping;
use crate::gateway::{Mapping, Refusal, ZigbeeOp};
use crate::model::{Action, Failure, ThermostatMode};

/// Color Control transition for the colour actions, which carry none: at once.
const COLOR_TRANSITION: u16 = 0;
/// Level Control's "use the device's default transition" (ZCL 8 §3.10 Level Control,
/// Move to Level: 0xFFFF).
const DEFAULT_TRANSITION: u16 = 0xFFFF;

/// What the device is called in a refusal: its product name, or "the device".
fn device_name(mapping: &Mapping) -> String {
    match &mapping.product {
        Some(product) => product.clone(),
        None => "the device".to_owned(),
    }
}

/// What the action does, in words, for "cannot ...".
fn doing(action: &Action) -> &'static str {
    match action {
        Action::TurnOn => "switch on",
        Action::TurnOff => "switch off",
        Action::Toggle => "toggle",
        Action::SetLevel { .. } => "dim",
        Action::SetColorXy { .. } | Action::SetColorHs { .. } => "change colour",
        Action::SetColorTemperature(_) => "change colour temperature",
        Action::Lock => "lock",
        Action::Unlock => "unlock",
        Action::SetUserCode { .. } => "store a user code",
        Action::ClearUserCode { .. } => "clear a user code",
        Action::SetThermostatMode(_) => "change the thermostat mode",
        Action::SetHeatingSetpoint(_) => "set a heating setpoint",
        Action::SetCoolingSetpoint(_) => "set a cooling setpoint",
        Action::Refresh => "refresh",
    }
}

fn invalid(message: String) -> Refusal {
    Refusal::new(Failure::InvalidValue, message)
}

fn command(endpoint: u8, command: ClusterCommand) -> Vec<ZigbeeOp> {
    vec![ZigbeeOp::Command { endpoint, command }]
}

fn write(endpoint: u8, cluster: u16, id: u16, value: Value) -> Vec<ZigbeeOp> {
    vec![ZigbeeOp::Write {
        endpoint,
        cluster,
        records: vec![AttributeValue { id, value }],
    }]
}

/// A setpoint in 0.01 °C as ZCL's int16 (absolute zero ..= 327.67 °C; 0x8000 is invalid).
fn setpoint(value: i32, which: &str) -> Result<Value, Refusal> {
    match i16::try_from(value) {
        Ok(v) if i64::from(v) >= ABSOLUTE_ZERO => Ok(Value::int(2, i64::from(v))),
        _ => Err(invalid(format!(
            "a {which} setpoint of {value} (0.01 °C) is outside -273.15 °C ..= 327.67 °C"
        ))),
    }
}

/// A user code slot (from 1) as ZCL's User ID (from 0).
fn user_id(slot: u16) -> Result<u16, Refusal> {
    slot.checked_sub(1)
        .filter(|id| *id != 0xFFFF)
        .ok_or_else(|| {
            invalid(format!(
                "user code slot {slot} does not exist: slots count from 1"
            ))
        })
}

/// See [`super::action`].
pub(super) fn action(
    mapping: &Mapping,
    endpoint: u8,
    action: &Action,
) -> Result<Vec<ZigbeeOp>, Refusal> {
    let name = device_name(mapping);
    let Some(mapped) = mapping.endpoint(endpoint) else {
        return Err(Refusal::new(
            Failure::UnknownDevice,
            format!("{name} has no endpoint {endpoint}"),
        ));
    };
    let Some(needed) = action.capability() else {
        return Ok(refresh(mapping, endpoint));
    };
    // The capability from the cluster that takes the action's commands (a thermostat's
    // temperature mapped as a measurement takes no setpoint).
    let Some(capability) = mapped
        .capabilities
        .iter()
        .find(|c| c.capability == needed && cluster_of(c) == usual_cluster(needed))
    else {
        return Err(Refusal::new(
            Failure::Unsupported,
            format!("{name}'s endpoint {endpoint} cannot {}", doing(action)),
        ));
    };
    ops(capability, endpoint, action)
}

/// The requests for an action whose capability the endpoint has.
fn ops(
    capability: &CapabilityMapping,
    endpoint: u8,
    action: &Action,
) -> Result<Vec<ZigbeeOp>, Refusal> {
    let invert = capability.options.invert;
    let on_off = |on: bool| {
        // ZCL 8 §3.8 On/Off: Off 0x00, On 0x01 (swapped for a device mapped with `invert`).
        let command = if on != invert {
            on_off::ToServer::On(Empty {})
        } else {
            on_off::ToServer::Off(Empty {})
        };
        ClusterCommand::OnOff(command)
    };
    Ok(match action {
        Action::TurnOn => command(endpoint, on_off(true)),
        Action::TurnOff => command(endpoint, on_off(false)),
        Action::Toggle => command(
            endpoint,
            ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {})),
        ),
        Action::SetLevel { level, transition } => {
            let wanted = if invert {
                10_000u16.checked_sub(*level)
            } else {
                Some(*level)
            };
            let Some(zcl_level) = wanted.and_then(units::level_to_zcl) else {
                return Err(invalid(format!(
                    "a level of {level} is above 100 % (10000)"
                )));
            };
            let transition_time = match transition {
                None => DEFAULT_TRANSITION,
                Some(t) if *t < DEFAULT_TRANSITION => *t,
                Some(t) => {
                    return Err(invalid(format!(
                        "a transition of {t} tenths of a second is longer than 6553.4 s"
                    )));
                }
            };
            // Move to Level (with On/Off), ZCL 8 §3.10 Level Control: 0 switches off, any
            // other level on.
            command(
                endpoint,
                ClusterCommand::LevelControl(level::ToServer::MoveToLevelWithOnOff(
                    level::MoveToLevel {
                        level: zcl_level,
                        transition_time,
                        options: Trailing(None),
                    },
                )),
            )
        }
        Action::SetColorXy { x, y } => {
            if *x > COLOR_MAX || *y > COLOR_MAX {
                return Err(invalid(format!(
                    "CIE x {x} and y {y} must be at most {COLOR_MAX} (0.996)"
                )));
            }
            command(
                endpoint,
                ClusterCommand::ColorControl(color::ToServer::MoveToColor(color::MoveToColor {
                    x: *x,
                    y: *y,
                    transition_time: COLOR_TRANSITION,
                    options: Trailing(None),
                })),
            )
        }
        Action::SetColorHs { hue, saturation } => {
            let (Some(h), Some(s)) = (
                units::hue_to_zcl(*hue),
                units::saturation_to_zcl(*saturation),
            ) else {
                return Err(invalid(format!(
                    "hue {hue} (0.01°) must be below 36000 and saturation {saturation} at most \
                     10000"
                )));
            };
            command(
                endpoint,
                ClusterCommand::ColorControl(color::ToServer::MoveToHueAndSaturation(
                    color::MoveToHueAndSaturation {
                        hue: h,
                        saturation: s,
                        transition_time: COLOR_TRANSITION,
                        options: Trailing(None),
                    },
                )),
            )
        }
        Action::SetColorTemperature(mireds) => {
            if *mireds == 0 || *mireds > COLOR_MAX {
                return Err(invalid(format!(
                    "a colour temperature of {mireds} mireds is outside 1 ..= {COLOR_MAX}"
                )));
            }
            command(
                endpoint,
                ClusterCommand::ColorControl(color::ToServer::MoveToColorTemperature(
                    color::MoveToColorTemperature {
                        mireds: *mireds,
                        transition_time: COLOR_TRANSITION,
                        options: Trailing(None),
                    },
                )),
            )
        }
        // Lock Door / Unlock Door with an empty PIN (ZCL 8 §7.3 Door Lock): the model's action
        // carries no code, and a lock that requires one for RF operation refuses it.
        Action::Lock | Action::Unlock => {
            let lock = LockCommand {
                pin: Trailing(Some(ZclBytes(Some(Vec::new())))),
            };
            command(
                endpoint,
                ClusterCommand::DoorLock(if *action == Action::Lock {
                    door_lock::ToServer::LockDoor(lock)
                } else {
                    door_lock::ToServer::UnlockDoor(lock)
                }),
            )
        }
        Action::SetUserCode { slot, code } => {
            let user_id = user_id(*slot)?;
            if !(4..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("a user code is 4 to 10 digits".to_owned()));
            }
            command(
                endpoint,
                ClusterCommand::DoorLock(door_lock::ToServer::SetPinCode(SetPinCode {
                    user_id,
                    user_status: USER_STATUS_ENABLED,
                    user_type: USER_TYPE_UNRESTRICTED,
                    pin: ZclBytes(Some(code.as_bytes().to_vec())),
                })),
            )
        }
        Action::ClearUserCode { slot } => command(
            endpoint,
            ClusterCommand::DoorLock(door_lock::ToServer::ClearPinCode(UserId {
                user_id: user_id(*slot)?,
            })),
        ),
        // SystemMode (ZCL 8 §6.3 Thermostat): 0 off, 1 auto, 3 cool, 4 heat, 5 emergency
        // heating, 7 fan only, 8 dry.
        Action::SetThermostatMode(mode) => {
            let value = match mode {
                ThermostatMode::Off => 0,
                ThermostatMode::Auto => 1,
                ThermostatMode::Cool => 3,
                ThermostatMode::Heat => 4,
                ThermostatMode::EmergencyHeat => 5,
                ThermostatMode::FanOnly => 7,
                ThermostatMode::Dry => 8,
            };
            write(endpoint, THERMOSTAT, SYSTEM_MODE.id, Value::Enum8(value))
        }
        Action::SetHeatingSetpoint(t) => write(
            endpoint,
            THERMOSTAT,
            OCCUPIED_HEATING_SETPOINT.id,
            setpoint(*t, "heating")?,
        ),
        Action::SetCoolingSetpoint(t) => write(
            endpoint,
            THERMOSTAT,
            OCCUPIED_COOLING_SETPOINT.id,
            setpoint(*t, "cooling")?,
        ),
        Action::Refresh => Vec::new(),
    })
}
