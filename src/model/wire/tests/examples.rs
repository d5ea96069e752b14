//! The examples `docs/DEVICE-MODEL.md` shows, by the label each carries there
//! (`<!-- example: label -->`): one per variant of every message, hub command, hub response,
//! action and attribute, and devices with every capability. The documentation test checks the
//! document against this table; `print_doc_examples` prints the blocks to paste.

use crate::envelope::DeviceId;
use crate::model::{
    Action, AlarmKind, Attribute, Capability, ClientInfo, Command, Device, Endpoint, Event,
    Failure, HubCommand, HubResponse, LockAction, LockSource, LockState, MeasureKind, RadioKind,
    Response, Result, Role, RunningState, ThermostatMode, UserCodeStatus, zigbee_device_id,
    zwave_device_id,
};
use coset::cbor::value::Value;

/// A whole message of one of the four types that travel alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A command body.
    Command(Command),
    /// A response body.
    Response(Response),
    /// An event body.
    Event(Event),
    /// A device description.
    Device(Device),
}

impl Message {
    /// Its bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Command(m) => m.to_bytes(),
            Message::Response(m) => m.to_bytes(),
            Message::Event(m) => m.to_bytes(),
            Message::Device(m) => m.to_bytes(),
        }
    }

    /// Its CBOR value.
    pub fn to_value(&self) -> Value {
        match self {
            Message::Command(m) => m.to_value(),
            Message::Response(m) => m.to_value(),
            Message::Event(m) => m.to_value(),
            Message::Device(m) => m.to_value(),
        }
    }

    /// Decodes `bytes` as a message of the same type as `self`.
    pub fn decode_like(&self, bytes: &[u8]) -> Result<Message> {
        Ok(match self {
            Message::Command(_) => Message::Command(Command::from_bytes(bytes)?),
            Message::Response(_) => Message::Response(Response::from_bytes(bytes)?),
            Message::Event(_) => Message::Event(Event::from_bytes(bytes)?),
            Message::Device(_) => Message::Device(Device::from_bytes(bytes)?),
        })
    }
}

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("a valid example id")
}

/// A Zigbee colour bulb.
pub fn bulb() -> Device {
    Device {
        id: zigbee_device_id(0x0017_8801_0a1b_2c3d),
        radio: RadioKind::Zigbee,
        name: "Desk lamp".into(),
        room: Some("Office".into()),
        manufacturer: Some("Philips".into()),
        model: Some("LCT015".into()),
        sleeps: false,
        endpoints: vec![Endpoint {
            id: 11,
            name: None,
            capabilities: vec![Capability::OnOff, Capability::Level, Capability::Color],
        }],
    }
}

/// A Z-Wave door lock that sleeps, with a battery.
fn lock() -> Device {
    Device {
        id: zwave_device_id(0xc0ff_ee01, 5),
        radio: RadioKind::Zwave,
        name: "Front door".into(),
        room: None,
        manufacturer: None,
        model: None,
        sleeps: true,
        endpoints: vec![Endpoint {
            id: 0,
            name: None,
            capabilities: vec![Capability::DoorLock, Capability::Battery],
        }],
    }
}

/// A Z-Wave thermostat with a window contact on a second end point.
fn thermostat() -> Device {
    Device {
        id: zwave_device_id(0xc0ff_ee01, 12),
        radio: RadioKind::Zwave,
        name: "Hall thermostat".into(),
        room: Some("Hall".into()),
        manufacturer: Some("Eurotronic".into()),
        model: None,
        sleeps: false,
        endpoints: vec![
            Endpoint {
                id: 0,
                name: None,
                capabilities: vec![
                    Capability::Thermostat,
                    Capability::Measurement(MeasureKind::Temperature),
                ],
            },
            Endpoint {
                id: 1,
                name: Some("Window".into()),
                capabilities: vec![Capability::Alarm(AlarmKind::Contact)],
            },
        ],
    }
}

fn on(endpoint: u8, action: Action) -> Message {
    Message::Command(Command::Device { endpoint, action })
}

fn hub(command: HubCommand) -> Message {
    Message::Command(Command::Hub(command))
}

fn report(value: Attribute) -> Message {
    Message::Event(Event::Report {
        endpoint: 1,
        values: vec![value],
    })
}

fn hub_response(response: HubResponse) -> Message {
    Message::Response(Response::Hub(response))
}

/// Every example, by label, in the order the document shows them.
pub fn examples() -> Vec<(&'static str, Message)> {
    vec![
        // Commands to a device endpoint.
        ("turn-on", on(1, Action::TurnOn)),
        ("turn-off", on(1, Action::TurnOff)),
        ("toggle", on(2, Action::Toggle)),
        (
            "set-level",
            on(
                11,
                Action::SetLevel {
                    level: 5000,
                    transition: Some(10),
                },
            ),
        ),
        (
            "set-level-default-transition",
            on(
                11,
                Action::SetLevel {
                    level: 10000,
                    transition: None,
                },
            ),
        ),
        (
            "set-color-xy",
            on(11, Action::SetColorXy { x: 20971, y: 21627 }),
        ),
        (
            "set-color-hs",
            on(
                11,
                Action::SetColorHs {
                    hue: 24000,
                    saturation: 10000,
                },
            ),
        ),
        (
            "set-color-temperature",
            on(11, Action::SetColorTemperature(370)),
        ),
        ("lock", on(0, Action::Lock)),
        ("unlock", on(0, Action::Unlock)),
        (
            "set-user-code",
            on(
                0,
                Action::SetUserCode {
                    slot: 3,
                    code: "2468".into(),
                },
            ),
        ),
        ("clear-user-code", on(0, Action::ClearUserCode { slot: 3 })),
        (
            "set-thermostat-mode",
            on(0, Action::SetThermostatMode(ThermostatMode::Heat)),
        ),
        (
            "set-heating-setpoint",
            on(0, Action::SetHeatingSetpoint(2150)),
        ),
        (
            "set-cooling-setpoint",
            on(0, Action::SetCoolingSetpoint(2400)),
        ),
        ("refresh", on(1, Action::Refresh)),
        // Hub commands.
        ("list-devices", hub(HubCommand::ListDevices)),
        ("permit-join", hub(HubCommand::PermitJoin { seconds: 120 })),
        ("stop-join", hub(HubCommand::StopJoin)),
        (
            "zwave-include",
            hub(HubCommand::ZwaveInclude {
                dsk_pin: Some("12345".into()),
            }),
        ),
        (
            "zwave-include-without-pin",
            hub(HubCommand::ZwaveInclude { dsk_pin: None }),
        ),
        ("zwave-exclude", hub(HubCommand::ZwaveExclude)),
        ("zwave-stop", hub(HubCommand::ZwaveStop)),
        (
            "remove-device",
            hub(HubCommand::RemoveDevice {
                device: zigbee_device_id(0x0017_8801_0a1b_2c3d),
            }),
        ),
        (
            "rename-device",
            hub(HubCommand::RenameDevice {
                device: zigbee_device_id(0x0017_8801_0a1b_2c3d),
                name: "Reading lamp".into(),
                room: Some("Living room".into()),
            }),
        ),
        ("list-clients", hub(HubCommand::ListClients)),
        (
            "remove-client",
            hub(HubCommand::RemoveClient {
                client: id("phone-anna"),
            }),
        ),
        (
            "invite",
            hub(HubCommand::Invite {
                role: Role::Guest,
                devices: Some(vec![zigbee_device_id(0x0017_8801_0a1b_2c3d)]),
            }),
        ),
        (
            "invite-member",
            hub(HubCommand::Invite {
                role: Role::Member,
                devices: None,
            }),
        ),
        (
            "history",
            hub(HubCommand::History {
                device: Some(zwave_device_id(0xc0ff_ee01, 5)),
                after: 41,
            }),
        ),
        (
            "history-all",
            hub(HubCommand::History {
                device: None,
                after: 0,
            }),
        ),
        // Responses.
        (
            "done",
            Message::Response(Response::Done {
                endpoint: 11,
                state: vec![Attribute::OnOff(true), Attribute::Level(5000)],
            }),
        ),
        (
            "failed",
            Message::Response(Response::Failed {
                failure: Failure::Unsupported,
                message: "endpoint 1 cannot dim".into(),
            }),
        ),
        ("queued", Message::Response(Response::Queued)),
        ("timed-out", Message::Response(Response::TimedOut)),
        ("hub-ok", hub_response(HubResponse::Ok)),
        (
            "hub-devices",
            hub_response(HubResponse::Devices(vec![bulb(), lock(), thermostat()])),
        ),
        (
            "hub-clients",
            hub_response(HubResponse::Clients(vec![
                ClientInfo {
                    id: id("phone-anna"),
                    role: Role::Owner,
                    devices: None,
                },
                ClientInfo {
                    id: id("tablet-guest"),
                    role: Role::Guest,
                    devices: Some(vec![zigbee_device_id(0x0017_8801_0a1b_2c3d)]),
                },
            ])),
        ),
        (
            "hub-history",
            hub_response(HubResponse::History(vec![
                vec![0xd0, 0x83, 0x43, 0xa1, 0x01, 0x01],
                vec![0xd0, 0x83, 0x43, 0xa1, 0x01, 0x01, 0x02],
            ])),
        ),
        (
            "hub-invitation",
            hub_response(HubResponse::Invitation {
                code: "40719382".into(),
                valid_secs: 600,
            }),
        ),
        // Events: one report per attribute.
        ("report-on-off", report(Attribute::OnOff(true))),
        ("report-level", report(Attribute::Level(2550))),
        (
            "report-color-xy",
            report(Attribute::ColorXy { x: 20971, y: 21627 }),
        ),
        (
            "report-color-hs",
            report(Attribute::ColorHs {
                hue: 12000,
                saturation: 8000,
            }),
        ),
        (
            "report-color-temperature",
            report(Attribute::ColorTemperature(250)),
        ),
        (
            "report-lock-state",
            report(Attribute::LockState(LockState::Locked)),
        ),
        (
            "report-lock-operation",
            report(Attribute::LockOperation {
                action: LockAction::Unlocked,
                source: LockSource::Keypad,
                slot: Some(3),
            }),
        ),
        (
            "report-lock-operation-manual",
            report(Attribute::LockOperation {
                action: LockAction::Locked,
                source: LockSource::Manual,
                slot: None,
            }),
        ),
        (
            "report-user-code",
            report(Attribute::UserCode {
                slot: 3,
                status: UserCodeStatus::Occupied,
            }),
        ),
        (
            "report-thermostat-mode",
            report(Attribute::ThermostatMode(ThermostatMode::Auto)),
        ),
        (
            "report-heating-setpoint",
            report(Attribute::HeatingSetpoint(2150)),
        ),
        (
            "report-cooling-setpoint",
            report(Attribute::CoolingSetpoint(2400)),
        ),
        (
            "report-running-state",
            report(Attribute::RunningState(RunningState::Heating)),
        ),
        (
            "report-local-temperature",
            report(Attribute::LocalTemperature(1987)),
        ),
        (
            "report-measurement",
            report(Attribute::Measurement {
                kind: MeasureKind::Temperature,
                value: -550,
            }),
        ),
        (
            "report-measurement-energy",
            report(Attribute::Measurement {
                kind: MeasureKind::Energy,
                value: 1_234_567_890,
            }),
        ),
        (
            "report-alarm",
            report(Attribute::Alarm {
                kind: AlarmKind::Contact,
                active: true,
            }),
        ),
        (
            "report-battery-percent",
            report(Attribute::BatteryPercent(87)),
        ),
        ("report-battery-low", report(Attribute::BatteryLow(false))),
        (
            "report-several",
            Message::Event(Event::Report {
                endpoint: 2,
                values: vec![
                    Attribute::Measurement {
                        kind: MeasureKind::Temperature,
                        value: 2150,
                    },
                    Attribute::Measurement {
                        kind: MeasureKind::Humidity,
                        value: 4520,
                    },
                    Attribute::BatteryPercent(87),
                ],
            }),
        ),
        ("woke-up", Message::Event(Event::WokeUp)),
        ("unreachable", Message::Event(Event::Unreachable)),
        ("reachable", Message::Event(Event::Reachable)),
        ("described", Message::Event(Event::Described(lock()))),
        ("left", Message::Event(Event::Left)),
        // A device description alone.
        ("device", Message::Device(bulb())),
    ]
}
