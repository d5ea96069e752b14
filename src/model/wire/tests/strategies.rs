//! Proptest strategies for every device-model type, generating only valid values (every range,
//! bound and text rule the encoding checks), in every variant.

use crate::envelope::DeviceId;
use crate::model::{
    Action, AlarmKind, Attribute, Capability, ClientInfo, Command, Device, Endpoint, Event,
    Failure, HubCommand, HubResponse, LockAction, LockSource, LockState, MIN_TEMPERATURE,
    MeasureKind, RadioKind, Response, Role, RunningState, ThermostatMode, UserCodeStatus,
    zigbee_device_id, zwave_device_id,
};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use proptest::sample::select;

/// A device or client id: the two radio forms, a client's name, or any valid id.
pub fn device_id() -> impl Strategy<Value = DeviceId> {
    prop_oneof![
        any::<u64>().prop_map(zigbee_device_id),
        (any::<u32>(), any::<u16>()).prop_map(|(home, node)| zwave_device_id(home, node)),
        "[a-z0-9._:-]{1,64}".prop_map(|s| DeviceId::new(&s).expect("matches the id rule")),
    ]
}

/// A name, room, manufacturer or model: 1-64 characters, none a control character.
pub fn label() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z0-9 ]{1,64}", "[^\\p{Cc}]{1,64}"]
}

/// A failure's explanation: up to 256 characters, none a control character.
pub fn explanation() -> impl Strategy<Value = String> {
    prop_oneof!["[a-zA-Z0-9 .,]{0,256}", "[^\\p{Cc}]{0,256}"]
}

/// A temperature in 0.01 °C, not below absolute zero.
fn temperature() -> impl Strategy<Value = i32> {
    prop_oneof![-4000i32..=10000, (MIN_TEMPERATURE as i32)..=i32::MAX]
}

/// A level or saturation in 0.01 %.
fn percent_hundredths() -> impl Strategy<Value = u16> {
    0u16..=10000
}

fn hue() -> impl Strategy<Value = u16> {
    0u16..=35999
}

fn slot() -> impl Strategy<Value = u16> {
    1u16..=u16::MAX
}

/// Every measurement kind with a value in its range.
fn measurement() -> impl Strategy<Value = Attribute> {
    const MAX: i64 = crate::model::MAX_MEASUREMENT;
    select(MeasureKind::ALL).prop_flat_map(|kind| {
        let value = match kind {
            MeasureKind::Temperature => (MIN_TEMPERATURE..=i64::from(i32::MAX)).boxed(),
            MeasureKind::Humidity => (0i64..=10000).boxed(),
            MeasureKind::Illuminance => (0i64..=MAX).boxed(),
            _ => prop_oneof![-100_000i64..=100_000, -MAX..=MAX].boxed(),
        };
        value.prop_map(move |value| Attribute::Measurement { kind, value })
    })
}

/// Every capability.
pub fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        Just(Capability::OnOff),
        Just(Capability::Level),
        Just(Capability::Color),
        Just(Capability::DoorLock),
        Just(Capability::Thermostat),
        select(MeasureKind::ALL).prop_map(Capability::Measurement),
        select(AlarmKind::ALL).prop_map(Capability::Alarm),
        Just(Capability::Battery),
    ]
}

/// Every attribute, each field in range.
pub fn attribute() -> impl Strategy<Value = Attribute> {
    prop_oneof![
        any::<bool>().prop_map(Attribute::OnOff),
        percent_hundredths().prop_map(Attribute::Level),
        (any::<u16>(), any::<u16>()).prop_map(|(x, y)| Attribute::ColorXy { x, y }),
        (hue(), percent_hundredths())
            .prop_map(|(hue, saturation)| Attribute::ColorHs { hue, saturation }),
        any::<u16>().prop_map(Attribute::ColorTemperature),
        select(LockState::ALL).prop_map(Attribute::LockState),
        (
            select(LockAction::ALL),
            select(LockSource::ALL),
            proptest::option::of(slot())
        )
            .prop_map(|(action, source, slot)| Attribute::LockOperation {
                action,
                source,
                slot
            }),
        (slot(), select(UserCodeStatus::ALL))
            .prop_map(|(slot, status)| Attribute::UserCode { slot, status }),
        select(ThermostatMode::ALL).prop_map(Attribute::ThermostatMode),
        temperature().prop_map(Attribute::HeatingSetpoint),
        temperature().prop_map(Attribute::CoolingSetpoint),
        select(RunningState::ALL).prop_map(Attribute::RunningState),
        temperature().prop_map(Attribute::LocalTemperature),
        measurement(),
        (select(AlarmKind::ALL), any::<bool>())
            .prop_map(|(kind, active)| Attribute::Alarm { kind, active }),
        (0u8..=100).prop_map(Attribute::BatteryPercent),
        any::<bool>().prop_map(Attribute::BatteryLow),
    ]
}

/// Every action, each field in range.
pub fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::TurnOn),
        Just(Action::TurnOff),
        Just(Action::Toggle),
        (percent_hundredths(), proptest::option::of(any::<u16>()))
            .prop_map(|(level, transition)| Action::SetLevel { level, transition }),
        (any::<u16>(), any::<u16>()).prop_map(|(x, y)| Action::SetColorXy { x, y }),
        (hue(), percent_hundredths())
            .prop_map(|(hue, saturation)| Action::SetColorHs { hue, saturation }),
        any::<u16>().prop_map(Action::SetColorTemperature),
        Just(Action::Lock),
        Just(Action::Unlock),
        (slot(), "[0-9]{4,10}").prop_map(|(slot, code)| Action::SetUserCode { slot, code }),
        slot().prop_map(|slot| Action::ClearUserCode { slot }),
        select(ThermostatMode::ALL).prop_map(Action::SetThermostatMode),
        temperature().prop_map(Action::SetHeatingSetpoint),
        temperature().prop_map(Action::SetCoolingSetpoint),
        Just(Action::Refresh),
    ]
}

/// A list of distinct device ids, in any order.
fn device_ids(max: usize) -> impl Strategy<Value = Vec<DeviceId>> {
    btree_set(device_id(), 0..=max)
        .prop_map(Vec::from_iter)
        .prop_shuffle()
}

/// Every hub command, each field valid.
pub fn hub_command() -> impl Strategy<Value = HubCommand> {
    prop_oneof![
        Just(HubCommand::ListDevices),
        (1u8..=254).prop_map(|seconds| HubCommand::PermitJoin { seconds }),
        Just(HubCommand::StopJoin),
        proptest::option::of((0..=u16::MAX).prop_map(|n| format!("{n:05}")))
            .prop_map(|dsk_pin| HubCommand::ZwaveInclude { dsk_pin }),
        Just(HubCommand::ZwaveExclude),
        Just(HubCommand::ZwaveStop),
        device_id().prop_map(|device| HubCommand::RemoveDevice { device }),
        (device_id(), label(), proptest::option::of(label()))
            .prop_map(|(device, name, room)| HubCommand::RenameDevice { device, name, room }),
        Just(HubCommand::ListClients),
        device_id().prop_map(|client| HubCommand::RemoveClient { client }),
        (select(Role::ALL), proptest::option::of(device_ids(4)))
            .prop_map(|(role, devices)| HubCommand::Invite { role, devices }),
        (proptest::option::of(device_id()), any::<u64>())
            .prop_map(|(device, after)| HubCommand::History { device, after }),
    ]
}

/// Every command.
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (any::<u8>(), action()).prop_map(|(endpoint, action)| Command::Device { endpoint, action }),
        hub_command().prop_map(Command::Hub),
    ]
}

/// An endpoint's fields but its id, with distinct capabilities in any order.
fn endpoint_body() -> impl Strategy<Value = (Option<String>, Vec<Capability>)> {
    (
        proptest::option::of(label()),
        btree_set(capability(), 0..=6)
            .prop_map(Vec::from_iter)
            .prop_shuffle(),
    )
}

/// An endpoint.
pub fn endpoint() -> impl Strategy<Value = Endpoint> {
    (any::<u8>(), endpoint_body()).prop_map(|(id, (name, capabilities))| Endpoint {
        id,
        name,
        capabilities,
    })
}

/// A device with distinct endpoint ids.
pub fn device() -> impl Strategy<Value = Device> {
    (
        device_id(),
        select(vec![RadioKind::Zigbee, RadioKind::Zwave]),
        label(),
        proptest::option::of(label()),
        proptest::option::of(label()),
        proptest::option::of(label()),
        any::<bool>(),
        btree_map(any::<u8>(), endpoint_body(), 0..=4)
            .prop_map(|endpoints| {
                endpoints
                    .into_iter()
                    .map(|(id, (name, capabilities))| Endpoint {
                        id,
                        name,
                        capabilities,
                    })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle(),
    )
        .prop_map(
            |(id, radio, name, room, manufacturer, model, sleeps, endpoints)| Device {
                id,
                radio,
                name,
                room,
                manufacturer,
                model,
                sleeps,
                endpoints,
            },
        )
}

/// A paired client.
pub fn client_info() -> impl Strategy<Value = ClientInfo> {
    (
        device_id(),
        select(Role::ALL),
        proptest::option::of(device_ids(4)),
    )
        .prop_map(|(id, role, devices)| ClientInfo { id, role, devices })
}

/// Every hub response, each field valid.
pub fn hub_response() -> impl Strategy<Value = HubResponse> {
    prop_oneof![
        Just(HubResponse::Ok),
        vec(device(), 0..=3)
            .prop_map(|devices| HubResponse::Devices(dedup_by_id(devices, |d| { d.id.clone() }))),
        vec(client_info(), 0..=3)
            .prop_map(|clients| HubResponse::Clients(dedup_by_id(clients, |c| c.id.clone()))),
        vec(vec(any::<u8>(), 1..=64), 0..=4).prop_map(HubResponse::History),
        ("[0-9]{8}", any::<u32>())
            .prop_map(|(code, valid_secs)| HubResponse::Invitation { code, valid_secs }),
    ]
}

/// Keeps the first item of each id.
fn dedup_by_id<T>(items: Vec<T>, id: impl Fn(&T) -> DeviceId) -> Vec<T> {
    let mut seen = std::collections::BTreeSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(id(item)))
        .collect()
}

/// Every response.
pub fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        (any::<u8>(), vec(attribute(), 0..=6))
            .prop_map(|(endpoint, state)| Response::Done { endpoint, state }),
        (select(Failure::ALL), explanation())
            .prop_map(|(failure, message)| Response::Failed { failure, message }),
        Just(Response::Queued),
        Just(Response::TimedOut),
        hub_response().prop_map(Response::Hub),
    ]
}

/// Every event.
pub fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (any::<u8>(), vec(attribute(), 0..=6))
            .prop_map(|(endpoint, values)| Event::Report { endpoint, values }),
        Just(Event::WokeUp),
        Just(Event::Unreachable),
        Just(Event::Reachable),
        device().prop_map(Event::Described),
        Just(Event::Left),
    ]
}
