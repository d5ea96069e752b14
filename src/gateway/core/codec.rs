//! An interim CBOR encoding of the device model's messages, so the gateway can read commands
//! and write events and responses before the model's own encoding (`docs/DEVICE-MODEL.md`,
//! being written beside this) is merged.
//!
//! Replace with `model::*::to_value` / `from_value` when merged: every call site uses method
//! syntax (`event.to_value()`, `Command::from_value(&v)`), so once the model has those as
//! inherent methods they take precedence and this module and its imports can be deleted.
//!
//! The layout is deliberately plain: an enum variant is an array `[variant index, fields...]`
//! (a fieldless enum is its index alone), a struct is the array of its fields, `Option` is the
//! value or null, a list an array. Strict: a wrong type, an unknown index or a missing or extra
//! field is refused.

use crate::cbor::{self, Error, as_bool, as_i64, as_items, as_text, as_u64, int, uint};
use crate::envelope::DeviceId;
use crate::model::{
    Action, AlarmKind, Attribute, Capability, ClientInfo, Command, Device, Endpoint, Event,
    Failure, HubCommand, HubResponse, LockAction, LockSource, LockState, MeasureKind, RadioKind,
    Response, Role, RunningState, ThermostatMode, UserCodeStatus,
};
use coset::cbor::value::Value;

/// A model type's interim CBOR form (see the module documentation).
pub trait ModelValue: Sized {
    /// The value.
    fn to_value(&self) -> Value;
    /// Reads a value, refusing anything [`ModelValue::to_value`] would not write.
    fn from_value(value: &Value) -> Result<Self, Error>;
}

fn bad(what: &str, reason: &str) -> Error {
    Error::Malformed {
        what: what.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The fields of one encoded variant or struct, read in order.
struct Fields<'a> {
    items: &'a [Value],
    next: usize,
    what: &'static str,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, what: &'static str) -> Result<Self, Error> {
        Ok(Fields {
            items: as_items(value, what)?,
            next: 0,
            what,
        })
    }

    fn value(&mut self) -> Result<&'a Value, Error> {
        let v = self
            .items
            .get(self.next)
            .ok_or_else(|| bad(self.what, "a field is missing"))?;
        self.next += 1;
        Ok(v)
    }

    fn u64(&mut self) -> Result<u64, Error> {
        as_u64(self.value()?, self.what)
    }

    fn small<T: TryFrom<u64>>(&mut self) -> Result<T, Error> {
        T::try_from(self.u64()?).map_err(|_| bad(self.what, "a number is out of range"))
    }

    fn i32(&mut self) -> Result<i32, Error> {
        i32::try_from(as_i64(self.value()?, self.what)?)
            .map_err(|_| bad(self.what, "a number is out of range"))
    }

    fn i64(&mut self) -> Result<i64, Error> {
        as_i64(self.value()?, self.what)
    }

    fn bool(&mut self) -> Result<bool, Error> {
        as_bool(self.value()?, self.what)
    }

    fn text(&mut self) -> Result<String, Error> {
        Ok(as_text(self.value()?, self.what)?.to_owned())
    }

    fn opt<T>(
        &mut self,
        read: impl FnOnce(&Value) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        match self.value()? {
            Value::Null => Ok(None),
            v => read(v).map(Some),
        }
    }

    fn model<T: ModelValue>(&mut self) -> Result<T, Error> {
        T::from_value(self.value()?)
    }

    fn list<T: ModelValue>(&mut self) -> Result<Vec<T>, Error> {
        list(self.value()?, self.what)
    }

    /// Ends the record: extra fields are refused.
    fn end<T>(self, value: T) -> Result<T, Error> {
        if self.next == self.items.len() {
            Ok(value)
        } else {
            Err(bad(self.what, "has extra fields"))
        }
    }
}

fn list<T: ModelValue>(value: &Value, what: &str) -> Result<Vec<T>, Error> {
    as_items(value, what)?.iter().map(T::from_value).collect()
}

fn list_value<T: ModelValue>(items: &[T]) -> Value {
    Value::Array(items.iter().map(ModelValue::to_value).collect())
}

fn opt_value<T>(v: &Option<T>, f: impl FnOnce(&T) -> Value) -> Value {
    v.as_ref().map_or(Value::Null, f)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn device_id(v: &Value, what: &str) -> Result<DeviceId, Error> {
    DeviceId::new(as_text(v, what)?).map_err(|_| bad(what, "not a valid device id"))
}

fn variant(tag: u64, fields: Vec<Value>) -> Value {
    let mut items = Vec::with_capacity(fields.len() + 1);
    items.push(uint(tag));
    items.extend(fields);
    Value::Array(items)
}

/// Opens a variant: its tag and the reader of its fields.
fn open_variant<'a>(value: &'a Value, what: &'static str) -> Result<(u64, Fields<'a>), Error> {
    let mut fields = Fields::of(value, what)?;
    let tag = fields.u64()?;
    Ok((tag, fields))
}

/// Fieldless enums: each variant is its index.
macro_rules! index_enum {
    ($ty:ident, $what:literal, { $($variant:ident = $tag:literal),+ $(,)? }) => {
        impl ModelValue for $ty {
            fn to_value(&self) -> Value {
                uint(match self { $($ty::$variant => $tag),+ })
            }
            fn from_value(value: &Value) -> Result<Self, Error> {
                match as_u64(value, $what)? {
                    $($tag => Ok($ty::$variant),)+
                    _ => Err(bad($what, "unknown variant")),
                }
            }
        }
    };
}

index_enum!(LockState, "lock state", { Locked = 0, Unlocked = 1, Jammed = 2, Unknown = 3 });
index_enum!(LockAction, "lock action", { Locked = 0, Unlocked = 1 });
index_enum!(LockSource, "lock source", { Manual = 0, Keypad = 1, Remote = 2, Auto = 3, Unknown = 4 });
index_enum!(UserCodeStatus, "user code status", { Available = 0, Occupied = 1, Disabled = 2 });
index_enum!(ThermostatMode, "thermostat mode", {
    Off = 0, Heat = 1, Cool = 2, Auto = 3, FanOnly = 4, Dry = 5, EmergencyHeat = 6
});
index_enum!(RunningState, "running state", { Idle = 0, Heating = 1, Cooling = 2, Fan = 3 });
index_enum!(MeasureKind, "measure kind", {
    Temperature = 0, Humidity = 1, Illuminance = 2, Power = 3, Energy = 4, Voltage = 5, Current = 6
});
index_enum!(AlarmKind, "alarm kind", {
    Contact = 0, Motion = 1, Smoke = 2, Water = 3, CarbonMonoxide = 4, Tamper = 5
});
index_enum!(Role, "role", { Owner = 0, Member = 1, Guest = 2 });
index_enum!(RadioKind, "radio", { Zigbee = 0, Zwave = 1 });
index_enum!(Failure, "failure", {
    NotPermitted = 0, UnknownDevice = 1, Unsupported = 2, InvalidValue = 3, Refused = 4,
    Unreachable = 5, RadioUnavailable = 6, Interrupted = 7, Busy = 8
});

impl ModelValue for Capability {
    fn to_value(&self) -> Value {
        match self {
            Capability::OnOff => variant(0, vec![]),
            Capability::Level => variant(1, vec![]),
            Capability::Color => variant(2, vec![]),
            Capability::DoorLock => variant(3, vec![]),
            Capability::Thermostat => variant(4, vec![]),
            Capability::Measurement(k) => variant(5, vec![k.to_value()]),
            Capability::Alarm(k) => variant(6, vec![k.to_value()]),
            Capability::Battery => variant(7, vec![]),
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "capability")?;
        let c = match tag {
            0 => Capability::OnOff,
            1 => Capability::Level,
            2 => Capability::Color,
            3 => Capability::DoorLock,
            4 => Capability::Thermostat,
            5 => Capability::Measurement(f.model()?),
            6 => Capability::Alarm(f.model()?),
            7 => Capability::Battery,
            _ => return Err(bad("capability", "unknown variant")),
        };
        f.end(c)
    }
}

impl ModelValue for Attribute {
    fn to_value(&self) -> Value {
        let u = |n: u16| uint(n.into());
        match self {
            Attribute::OnOff(b) => variant(0, vec![Value::Bool(*b)]),
            Attribute::Level(l) => variant(1, vec![u(*l)]),
            Attribute::ColorXy { x, y } => variant(2, vec![u(*x), u(*y)]),
            Attribute::ColorHs { hue, saturation } => variant(3, vec![u(*hue), u(*saturation)]),
            Attribute::ColorTemperature(m) => variant(4, vec![u(*m)]),
            Attribute::LockState(s) => variant(5, vec![s.to_value()]),
            Attribute::LockOperation {
                action,
                source,
                slot,
            } => variant(
                6,
                vec![
                    action.to_value(),
                    source.to_value(),
                    opt_value(slot, |s| u(*s)),
                ],
            ),
            Attribute::UserCode { slot, status } => variant(7, vec![u(*slot), status.to_value()]),
            Attribute::ThermostatMode(m) => variant(8, vec![m.to_value()]),
            Attribute::HeatingSetpoint(t) => variant(9, vec![int((*t).into())]),
            Attribute::CoolingSetpoint(t) => variant(10, vec![int((*t).into())]),
            Attribute::RunningState(s) => variant(11, vec![s.to_value()]),
            Attribute::LocalTemperature(t) => variant(12, vec![int((*t).into())]),
            Attribute::Measurement { kind, value } => {
                variant(13, vec![kind.to_value(), int(*value)])
            }
            Attribute::Alarm { kind, active } => {
                variant(14, vec![kind.to_value(), Value::Bool(*active)])
            }
            Attribute::BatteryPercent(p) => variant(15, vec![uint((*p).into())]),
            Attribute::BatteryLow(b) => variant(16, vec![Value::Bool(*b)]),
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "attribute")?;
        let a = match tag {
            0 => Attribute::OnOff(f.bool()?),
            1 => Attribute::Level(f.small()?),
            2 => Attribute::ColorXy {
                x: f.small()?,
                y: f.small()?,
            },
            3 => Attribute::ColorHs {
                hue: f.small()?,
                saturation: f.small()?,
            },
            4 => Attribute::ColorTemperature(f.small()?),
            5 => Attribute::LockState(f.model()?),
            6 => Attribute::LockOperation {
                action: f.model()?,
                source: f.model()?,
                slot: f.opt(|v| {
                    u16::try_from(as_u64(v, "slot")?).map_err(|_| bad("slot", "out of range"))
                })?,
            },
            7 => Attribute::UserCode {
                slot: f.small()?,
                status: f.model()?,
            },
            8 => Attribute::ThermostatMode(f.model()?),
            9 => Attribute::HeatingSetpoint(f.i32()?),
            10 => Attribute::CoolingSetpoint(f.i32()?),
            11 => Attribute::RunningState(f.model()?),
            12 => Attribute::LocalTemperature(f.i32()?),
            13 => Attribute::Measurement {
                kind: f.model()?,
                value: f.i64()?,
            },
            14 => Attribute::Alarm {
                kind: f.model()?,
                active: f.bool()?,
            },
            15 => Attribute::BatteryPercent(f.small()?),
            16 => Attribute::BatteryLow(f.bool()?),
            _ => return Err(bad("attribute", "unknown variant")),
        };
        f.end(a)
    }
}

impl ModelValue for Action {
    fn to_value(&self) -> Value {
        let u = |n: u16| uint(n.into());
        match self {
            Action::TurnOn => variant(0, vec![]),
            Action::TurnOff => variant(1, vec![]),
            Action::Toggle => variant(2, vec![]),
            Action::SetLevel { level, transition } => {
                variant(3, vec![u(*level), opt_value(transition, |t| u(*t))])
            }
            Action::SetColorXy { x, y } => variant(4, vec![u(*x), u(*y)]),
            Action::SetColorHs { hue, saturation } => variant(5, vec![u(*hue), u(*saturation)]),
            Action::SetColorTemperature(m) => variant(6, vec![u(*m)]),
            Action::Lock => variant(7, vec![]),
            Action::Unlock => variant(8, vec![]),
            Action::SetUserCode { slot, code } => variant(9, vec![u(*slot), text(code)]),
            Action::ClearUserCode { slot } => variant(10, vec![u(*slot)]),
            Action::SetThermostatMode(m) => variant(11, vec![m.to_value()]),
            Action::SetHeatingSetpoint(t) => variant(12, vec![int((*t).into())]),
            Action::SetCoolingSetpoint(t) => variant(13, vec![int((*t).into())]),
            Action::Refresh => variant(14, vec![]),
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "action")?;
        let a = match tag {
            0 => Action::TurnOn,
            1 => Action::TurnOff,
            2 => Action::Toggle,
            3 => Action::SetLevel {
                level: f.small()?,
                transition: f.opt(|v| {
                    u16::try_from(as_u64(v, "transition")?)
                        .map_err(|_| bad("transition", "out of range"))
                })?,
            },
            4 => Action::SetColorXy {
                x: f.small()?,
                y: f.small()?,
            },
            5 => Action::SetColorHs {
                hue: f.small()?,
                saturation: f.small()?,
            },
            6 => Action::SetColorTemperature(f.small()?),
            7 => Action::Lock,
            8 => Action::Unlock,
            9 => Action::SetUserCode {
                slot: f.small()?,
                code: f.text()?,
            },
            10 => Action::ClearUserCode { slot: f.small()? },
            11 => Action::SetThermostatMode(f.model()?),
            12 => Action::SetHeatingSetpoint(f.i32()?),
            13 => Action::SetCoolingSetpoint(f.i32()?),
            14 => Action::Refresh,
            _ => return Err(bad("action", "unknown variant")),
        };
        f.end(a)
    }
}

fn device_list(v: &Option<Vec<DeviceId>>) -> Value {
    opt_value(v, |l| {
        Value::Array(l.iter().map(|d| text(d.as_str())).collect())
    })
}

fn read_device_list(v: &Value) -> Result<Vec<DeviceId>, Error> {
    as_items(v, "device list")?
        .iter()
        .map(|d| device_id(d, "device list"))
        .collect()
}

impl ModelValue for HubCommand {
    fn to_value(&self) -> Value {
        let dev = |d: &DeviceId| text(d.as_str());
        match self {
            HubCommand::ListDevices => variant(0, vec![]),
            HubCommand::PermitJoin { seconds } => variant(1, vec![uint((*seconds).into())]),
            HubCommand::StopJoin => variant(2, vec![]),
            HubCommand::ZwaveInclude { dsk_pin } => {
                variant(3, vec![opt_value(dsk_pin, |p| text(p))])
            }
            HubCommand::ZwaveExclude => variant(4, vec![]),
            HubCommand::ZwaveStop => variant(5, vec![]),
            HubCommand::RemoveDevice { device } => variant(6, vec![dev(device)]),
            HubCommand::RenameDevice { device, name, room } => variant(
                7,
                vec![dev(device), text(name), opt_value(room, |r| text(r))],
            ),
            HubCommand::ListClients => variant(8, vec![]),
            HubCommand::RemoveClient { client } => variant(9, vec![dev(client)]),
            HubCommand::Invite { role, devices } => {
                variant(10, vec![role.to_value(), device_list(devices)])
            }
            HubCommand::History { device, after } => {
                variant(11, vec![opt_value(device, dev), uint(*after)])
            }
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "hub command")?;
        let dev = |v: &Value| device_id(v, "hub command");
        let c = match tag {
            0 => HubCommand::ListDevices,
            1 => HubCommand::PermitJoin {
                seconds: f.small()?,
            },
            2 => HubCommand::StopJoin,
            3 => HubCommand::ZwaveInclude {
                dsk_pin: f.opt(|v| Ok(as_text(v, "dsk pin")?.to_owned()))?,
            },
            4 => HubCommand::ZwaveExclude,
            5 => HubCommand::ZwaveStop,
            6 => HubCommand::RemoveDevice {
                device: dev(f.value()?)?,
            },
            7 => HubCommand::RenameDevice {
                device: dev(f.value()?)?,
                name: f.text()?,
                room: f.opt(|v| Ok(as_text(v, "room")?.to_owned()))?,
            },
            8 => HubCommand::ListClients,
            9 => HubCommand::RemoveClient {
                client: dev(f.value()?)?,
            },
            10 => HubCommand::Invite {
                role: f.model()?,
                devices: f.opt(read_device_list)?,
            },
            11 => HubCommand::History {
                device: f.opt(dev)?,
                after: f.u64()?,
            },
            _ => return Err(bad("hub command", "unknown variant")),
        };
        f.end(c)
    }
}

// replace with model::Command::to_value / from_value when merged
impl ModelValue for Command {
    fn to_value(&self) -> Value {
        match self {
            Command::Device { endpoint, action } => {
                variant(0, vec![uint((*endpoint).into()), action.to_value()])
            }
            Command::Hub(h) => variant(1, vec![h.to_value()]),
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "command")?;
        let c = match tag {
            0 => Command::Device {
                endpoint: f.small()?,
                action: f.model()?,
            },
            1 => Command::Hub(f.model()?),
            _ => return Err(bad("command", "unknown variant")),
        };
        f.end(c)
    }
}

impl ModelValue for Endpoint {
    fn to_value(&self) -> Value {
        Value::Array(vec![
            uint(self.id.into()),
            opt_value(&self.name, |n| text(n)),
            list_value(&self.capabilities),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let mut f = Fields::of(value, "endpoint")?;
        let e = Endpoint {
            id: f.small()?,
            name: f.opt(|v| Ok(as_text(v, "name")?.to_owned()))?,
            capabilities: f.list()?,
        };
        f.end(e)
    }
}

impl ModelValue for Device {
    fn to_value(&self) -> Value {
        let opt_text = |o: &Option<String>| opt_value(o, |s| text(s));
        Value::Array(vec![
            text(self.id.as_str()),
            self.radio.to_value(),
            text(&self.name),
            opt_text(&self.room),
            opt_text(&self.manufacturer),
            opt_text(&self.model),
            Value::Bool(self.sleeps),
            list_value(&self.endpoints),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let mut f = Fields::of(value, "device")?;
        let owned = |v: &Value| Ok(as_text(v, "device")?.to_owned());
        let d = Device {
            id: device_id(f.value()?, "device")?,
            radio: f.model()?,
            name: f.text()?,
            room: f.opt(owned)?,
            manufacturer: f.opt(owned)?,
            model: f.opt(owned)?,
            sleeps: f.bool()?,
            endpoints: f.list()?,
        };
        f.end(d)
    }
}

impl ModelValue for ClientInfo {
    fn to_value(&self) -> Value {
        Value::Array(vec![
            text(self.id.as_str()),
            self.role.to_value(),
            device_list(&self.devices),
        ])
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let mut f = Fields::of(value, "client")?;
        let c = ClientInfo {
            id: device_id(f.value()?, "client")?,
            role: f.model()?,
            devices: f.opt(read_device_list)?,
        };
        f.end(c)
    }
}

impl ModelValue for HubResponse {
    fn to_value(&self) -> Value {
        match self {
            HubResponse::Ok => variant(0, vec![]),
            HubResponse::Devices(d) => variant(1, vec![list_value(d)]),
            HubResponse::Clients(c) => variant(2, vec![list_value(c)]),
            HubResponse::History(h) => variant(
                3,
                vec![Value::Array(
                    h.iter().map(|e| Value::Bytes(e.clone())).collect(),
                )],
            ),
            HubResponse::Invitation { code, valid_secs } => {
                variant(4, vec![text(code), uint((*valid_secs).into())])
            }
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "hub response")?;
        let r = match tag {
            0 => HubResponse::Ok,
            1 => HubResponse::Devices(f.list()?),
            2 => HubResponse::Clients(f.list()?),
            3 => HubResponse::History(
                as_items(f.value()?, "history")?
                    .iter()
                    .map(|e| cbor::as_bytes(e, "history").map(<[u8]>::to_vec))
                    .collect::<Result<_, _>>()?,
            ),
            4 => HubResponse::Invitation {
                code: f.text()?,
                valid_secs: f.small()?,
            },
            _ => return Err(bad("hub response", "unknown variant")),
        };
        f.end(r)
    }
}

// replace with model::Response::to_value / from_value when merged
impl ModelValue for Response {
    fn to_value(&self) -> Value {
        match self {
            Response::Done { endpoint, state } => {
                variant(0, vec![uint((*endpoint).into()), list_value(state)])
            }
            Response::Failed { failure, message } => {
                variant(1, vec![failure.to_value(), text(message)])
            }
            Response::Queued => variant(2, vec![]),
            Response::TimedOut => variant(3, vec![]),
            Response::Hub(h) => variant(4, vec![h.to_value()]),
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "response")?;
        let r = match tag {
            0 => Response::Done {
                endpoint: f.small()?,
                state: f.list()?,
            },
            1 => Response::Failed {
                failure: f.model()?,
                message: f.text()?,
            },
            2 => Response::Queued,
            3 => Response::TimedOut,
            4 => Response::Hub(f.model()?),
            _ => return Err(bad("response", "unknown variant")),
        };
        f.end(r)
    }
}

// replace with model::Event::to_value / from_value when merged
impl ModelValue for Event {
    fn to_value(&self) -> Value {
        match self {
            Event::Report { endpoint, values } => {
                variant(0, vec![uint((*endpoint).into()), list_value(values)])
            }
            Event::WokeUp => variant(1, vec![]),
            Event::Unreachable => variant(2, vec![]),
            Event::Reachable => variant(3, vec![]),
            Event::Described(d) => variant(4, vec![d.to_value()]),
            Event::Left => variant(5, vec![]),
        }
    }

    fn from_value(value: &Value) -> Result<Self, Error> {
        let (tag, mut f) = open_variant(value, "event")?;
        let e = match tag {
            0 => Event::Report {
                endpoint: f.small()?,
                values: f.list()?,
            },
            1 => Event::WokeUp,
            2 => Event::Unreachable,
            3 => Event::Reachable,
            4 => Event::Described(f.model()?),
            5 => Event::Left,
            _ => return Err(bad("event", "unknown variant")),
        };
        f.end(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::zigbee_device_id;

    fn round_trip<T: ModelValue + PartialEq + std::fmt::Debug>(x: T) {
        let v = x.to_value();
        let bytes = cbor::encode(&v);
        let back = T::from_value(&cbor::decode_canonical(&bytes, "t").expect("canonical"));
        assert_eq!(back.as_ref(), Ok(&x), "{v:?}");
    }

    #[test]
    fn every_message_kind_reads_back_as_written() {
        round_trip(Command::Device {
            endpoint: 1,
            action: Action::SetLevel {
                level: 5000,
                transition: Some(10),
            },
        });
        round_trip(Command::Hub(HubCommand::RenameDevice {
            device: zigbee_device_id(7),
            name: "Hall lamp".into(),
            room: None,
        }));
        round_trip(Command::Hub(HubCommand::History {
            device: None,
            after: 9,
        }));
        round_trip(Response::Done {
            endpoint: 2,
            state: vec![
                Attribute::OnOff(true),
                Attribute::Measurement {
                    kind: MeasureKind::Power,
                    value: -5,
                },
                Attribute::LockOperation {
                    action: LockAction::Unlocked,
                    source: LockSource::Keypad,
                    slot: Some(3),
                },
            ],
        });
        round_trip(Response::Hub(HubResponse::History(vec![
            vec![1, 2],
            vec![],
        ])));
        round_trip(Event::Described(Device {
            id: zigbee_device_id(7),
            radio: RadioKind::Zigbee,
            name: "Lamp".into(),
            room: Some("Hall".into()),
            manufacturer: None,
            model: Some("L1".into()),
            sleeps: false,
            endpoints: vec![Endpoint {
                id: 1,
                name: None,
                capabilities: vec![Capability::OnOff, Capability::Alarm(AlarmKind::Tamper)],
            }],
        }));
    }

    /// CBOR values shaped like the encoding (small integers first in arrays) so that many of
    /// them decode.
    fn values() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            (0u64..20).prop_map(uint),
            (-3i64..3).prop_map(int),
            "[a-z:0-9]{0,6}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
            proptest::collection::vec(any::<u8>(), 0..4).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            ((0u64..16), proptest::collection::vec(inner, 0..4)).prop_map(|(tag, rest)| {
                let mut items = vec![uint(tag)];
                items.extend(rest);
                Value::Array(items)
            })
        })
    }

    proptest::proptest! {
        #[test]
        fn whatever_decodes_writes_back_the_same_value(v in values()) {
            if let Ok(c) = Command::from_value(&v) {
                proptest::prop_assert_eq!(c.to_value(), v.clone());
            }
            if let Ok(r) = Response::from_value(&v) {
                proptest::prop_assert_eq!(r.to_value(), v.clone());
            }
            if let Ok(e) = Event::from_value(&v) {
                proptest::prop_assert_eq!(e.to_value(), v);
            }
        }
    }

    #[test]
    fn wrong_shapes_are_refused() {
        // Unknown variant, a missing field, an extra field, a wrong type, a bad device id.
        for v in [
            variant(99, vec![]),
            variant(0, vec![uint(1)]),
            variant(0, vec![uint(1), variant(0, vec![]), uint(3)]),
            variant(0, vec![text("one"), variant(0, vec![])]),
            variant(1, vec![variant(6, vec![text("Not An Id")])]),
            variant(0, vec![uint(300), variant(0, vec![])]),
        ] {
            assert!(Command::from_value(&v).is_err(), "{v:?}");
        }
    }
}
