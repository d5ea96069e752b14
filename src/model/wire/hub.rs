//! Hub-level messages: [`HubCommand`] and [`HubResponse`] (`[code, fields...]`) and the
//! [`ClientInfo`] record a client list holds.

use super::device::check_devices;
use super::fields::{
    Fields, arity, bounded, check_digits, check_label, choice, device_id, distinct, id_value,
    in_range, list, nullable, or_null, read_choice, record, text, unsigned,
};
use super::{MAX_CLIENTS, MAX_DEVICES, MAX_HISTORY, MAX_MESSAGE_BYTES};
use crate::cbor::{as_bytes, as_u64, uint};
use crate::envelope::DeviceId;
use crate::model::{ClientInfo, Device, Error, HubCommand, HubResponse, Result, Role};
use coset::cbor::value::Value;

const LIST_DEVICES: u64 = 1;
const PERMIT_JOIN: u64 = 2;
const STOP_JOIN: u64 = 3;
const ZWAVE_INCLUDE: u64 = 4;
const ZWAVE_EXCLUDE: u64 = 5;
const ZWAVE_STOP: u64 = 6;
const REMOVE_DEVICE: u64 = 7;
const RENAME_DEVICE: u64 = 8;
const LIST_CLIENTS: u64 = 9;
const REMOVE_CLIENT: u64 = 10;
const INVITE: u64 = 11;
const HISTORY: u64 = 12;

const OK: u64 = 1;
const DEVICES: u64 = 2;
const CLIENTS: u64 = 3;
const HISTORY_ENTRIES: u64 = 4;
const INVITATION: u64 = 5;

const CLIENT_ID: i64 = 1;
const CLIENT_ROLE: i64 = 2;
const CLIENT_DEVICES: i64 = 3;

/// A list of device ids: at most [`MAX_DEVICES`], each once.
fn ids_value(ids: &[DeviceId]) -> Value {
    Value::Array(ids.iter().map(id_value).collect())
}

fn parse_ids(value: &Value, what: &'static str) -> Result<Vec<DeviceId>> {
    list(value, what, MAX_DEVICES)?
        .iter()
        .map(|id| device_id(id, what))
        .collect()
}

fn check_ids(ids: &[DeviceId], what: &'static str) -> Result<()> {
    bounded(ids.len(), MAX_DEVICES, what)?;
    distinct(ids, what)
}

/// The first group of a node's DSK: five decimal digits of a 16-bit number (the DSK is eight
/// such groups), as the driver takes it.
fn check_dsk_pin(pin: &str) -> Result<()> {
    const WHAT: &str = "ZwaveInclude dsk_pin";
    const RULE: &str = "must be exactly 5 digits 0-9, at most 65535";
    check_digits(pin, WHAT, 5, 5, RULE)?;
    match pin.parse::<u32>() {
        Ok(n) if n <= u32::from(u16::MAX) => Ok(()),
        _ => Err(Error::InvalidText {
            what: WHAT,
            rule: RULE,
        }),
    }
}

impl HubCommand {
    /// The CBOR value. Encode only commands that [`validate`](Self::validate) accepts.
    pub fn to_value(&self) -> Value {
        match self {
            HubCommand::ListDevices => choice(LIST_DEVICES, []),
            HubCommand::PermitJoin { seconds } => choice(PERMIT_JOIN, [uint((*seconds).into())]),
            HubCommand::StopJoin => choice(STOP_JOIN, []),
            HubCommand::ZwaveInclude { dsk_pin } => choice(
                ZWAVE_INCLUDE,
                [or_null(dsk_pin.as_ref(), |p| Value::Text(p.clone()))],
            ),
            HubCommand::ZwaveExclude => choice(ZWAVE_EXCLUDE, []),
            HubCommand::ZwaveStop => choice(ZWAVE_STOP, []),
            HubCommand::RemoveDevice { device } => choice(REMOVE_DEVICE, [id_value(device)]),
            HubCommand::RenameDevice { device, name, room } => choice(
                RENAME_DEVICE,
                [
                    id_value(device),
                    Value::Text(name.clone()),
                    or_null(room.as_ref(), |r| Value::Text(r.clone())),
                ],
            ),
            HubCommand::ListClients => choice(LIST_CLIENTS, []),
            HubCommand::RemoveClient { client } => choice(REMOVE_CLIENT, [id_value(client)]),
            HubCommand::Invite { role, devices } => choice(
                INVITE,
                [role.to_value(), or_null(devices.as_deref(), ids_value)],
            ),
            HubCommand::History { device, after } => {
                choice(HISTORY, [or_null(device.as_ref(), id_value), uint(*after)])
            }
        }
    }

    /// Reads a hub command and checks its fields.
    pub fn from_value(value: &Value) -> Result<Self> {
        let command = Self::parse(value)?;
        command.validate()?;
        Ok(command)
    }

    /// Reads a hub command's structure and types.
    pub(super) fn parse(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, "hub command")?;
        Ok(match code {
            LIST_DEVICES => arity::<1>(items, "ListDevices").map(|_| HubCommand::ListDevices)?,
            PERMIT_JOIN => {
                let [_, seconds] = arity(items, "PermitJoin")?;
                HubCommand::PermitJoin {
                    seconds: unsigned(seconds, "PermitJoin seconds")?,
                }
            }
            STOP_JOIN => arity::<1>(items, "StopJoin").map(|_| HubCommand::StopJoin)?,
            ZWAVE_INCLUDE => {
                let [_, pin] = arity(items, "ZwaveInclude")?;
                HubCommand::ZwaveInclude {
                    dsk_pin: nullable(pin, |p| text(p, "ZwaveInclude dsk_pin"))?,
                }
            }
            ZWAVE_EXCLUDE => arity::<1>(items, "ZwaveExclude").map(|_| HubCommand::ZwaveExclude)?,
            ZWAVE_STOP => arity::<1>(items, "ZwaveStop").map(|_| HubCommand::ZwaveStop)?,
            REMOVE_DEVICE => {
                let [_, device] = arity(items, "RemoveDevice")?;
                HubCommand::RemoveDevice {
                    device: device_id(device, "RemoveDevice device")?,
                }
            }
            RENAME_DEVICE => {
                let [_, device, name, room] = arity(items, "RenameDevice")?;
                HubCommand::RenameDevice {
                    device: device_id(device, "RenameDevice device")?,
                    name: text(name, "RenameDevice name")?,
                    room: nullable(room, |r| text(r, "RenameDevice room"))?,
                }
            }
            LIST_CLIENTS => arity::<1>(items, "ListClients").map(|_| HubCommand::ListClients)?,
            REMOVE_CLIENT => {
                let [_, client] = arity(items, "RemoveClient")?;
                HubCommand::RemoveClient {
                    client: device_id(client, "RemoveClient client")?,
                }
            }
            INVITE => {
                let [_, role, devices] = arity(items, "Invite")?;
                HubCommand::Invite {
                    role: Role::from_value(role)?,
                    devices: nullable(devices, |d| parse_ids(d, "Invite devices"))?,
                }
            }
            HISTORY => {
                let [_, device, after] = arity(items, "History")?;
                HubCommand::History {
                    device: nullable(device, |d| device_id(d, "History device"))?,
                    after: as_u64(after, "History after")?,
                }
            }
            code => {
                return Err(Error::UnknownCode {
                    what: "hub command",
                    code,
                });
            }
        })
    }

    /// Checks every field, as decoding does.
    pub fn validate(&self) -> Result<()> {
        match self {
            HubCommand::PermitJoin { seconds } => {
                in_range(*seconds, 1, 254, "PermitJoin seconds", "1..=254")
            }
            HubCommand::ZwaveInclude { dsk_pin: Some(pin) } => check_dsk_pin(pin),
            HubCommand::RenameDevice { name, room, .. } => {
                check_label(name, "RenameDevice name")?;
                room.as_deref()
                    .map_or(Ok(()), |r| check_label(r, "RenameDevice room"))
            }
            HubCommand::Invite {
                devices: Some(devices),
                ..
            } => check_ids(devices, "Invite devices"),
            HubCommand::ListDevices
            | HubCommand::StopJoin
            | HubCommand::ZwaveInclude { dsk_pin: None }
            | HubCommand::ZwaveExclude
            | HubCommand::ZwaveStop
            | HubCommand::RemoveDevice { .. }
            | HubCommand::ListClients
            | HubCommand::RemoveClient { .. }
            | HubCommand::Invite { devices: None, .. }
            | HubCommand::History { .. } => Ok(()),
        }
    }
}

impl ClientInfo {
    /// The CBOR value: `{1: id, 2: role, 3: devices}`, 3 left out when the client may see all.
    pub fn to_value(&self) -> Value {
        record([
            (CLIENT_ID, Some(id_value(&self.id))),
            (CLIENT_ROLE, Some(self.role.to_value())),
            (CLIENT_DEVICES, self.devices.as_deref().map(ids_value)),
        ])
    }

    /// Reads a client record and checks its fields.
    pub fn from_value(value: &Value) -> Result<Self> {
        let client = Self::parse(value)?;
        client.validate()?;
        Ok(client)
    }

    /// Reads a client record's structure and types.
    pub(super) fn parse(value: &Value) -> Result<Self> {
        let fields = Fields::read(value, "client", &[CLIENT_ID, CLIENT_ROLE, CLIENT_DEVICES])?;
        Ok(ClientInfo {
            id: device_id(fields.required(CLIENT_ID)?, "client id")?,
            role: Role::from_value(fields.required(CLIENT_ROLE)?)?,
            devices: fields
                .optional(CLIENT_DEVICES)
                .map(|d| parse_ids(d, "client devices"))
                .transpose()?,
        })
    }

    /// Checks the device list: bounded, each device once.
    pub fn validate(&self) -> Result<()> {
        self.devices
            .as_deref()
            .map_or(Ok(()), |ids| check_ids(ids, "client devices"))
    }
}

impl HubResponse {
    /// The CBOR value. Encode only responses that [`validate`](Self::validate) accepts.
    pub fn to_value(&self) -> Value {
        match self {
            HubResponse::Ok => choice(OK, []),
            HubResponse::Devices(devices) => choice(
                DEVICES,
                [Value::Array(devices.iter().map(Device::to_value).collect())],
            ),
            HubResponse::Clients(clients) => choice(
                CLIENTS,
                [Value::Array(
                    clients.iter().map(ClientInfo::to_value).collect(),
                )],
            ),
            HubResponse::History(envelopes) => choice(
                HISTORY_ENTRIES,
                [Value::Array(
                    envelopes.iter().map(|e| Value::Bytes(e.clone())).collect(),
                )],
            ),
            HubResponse::Invitation { code, valid_secs } => choice(
                INVITATION,
                [Value::Text(code.clone()), uint((*valid_secs).into())],
            ),
        }
    }

    /// Reads a hub response and checks its fields.
    pub fn from_value(value: &Value) -> Result<Self> {
        let response = Self::parse(value)?;
        response.validate()?;
        Ok(response)
    }

    /// Reads a hub response's structure and types.
    pub(super) fn parse(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, "hub response")?;
        Ok(match code {
            OK => arity::<1>(items, "Ok").map(|_| HubResponse::Ok)?,
            DEVICES => {
                let [_, devices] = arity(items, "Devices")?;
                HubResponse::Devices(
                    list(devices, "Devices", MAX_DEVICES)?
                        .iter()
                        .map(Device::parse)
                        .collect::<Result<_>>()?,
                )
            }
            CLIENTS => {
                let [_, clients] = arity(items, "Clients")?;
                HubResponse::Clients(
                    list(clients, "Clients", MAX_CLIENTS)?
                        .iter()
                        .map(ClientInfo::parse)
                        .collect::<Result<_>>()?,
                )
            }
            HISTORY_ENTRIES => {
                let [_, envelopes] = arity(items, "History")?;
                HubResponse::History(
                    list(envelopes, "History", MAX_HISTORY)?
                        .iter()
                        .map(|e| Ok(as_bytes(e, "History envelope")?.to_vec()))
                        .collect::<Result<_>>()?,
                )
            }
            INVITATION => {
                let [_, code, valid_secs] = arity(items, "Invitation")?;
                HubResponse::Invitation {
                    code: text(code, "Invitation code")?,
                    valid_secs: unsigned(valid_secs, "Invitation valid_secs")?,
                }
            }
            code => {
                return Err(Error::UnknownCode {
                    what: "hub response",
                    code,
                });
            }
        })
    }

    /// Checks every field, the devices and clients listed included.
    pub fn validate(&self) -> Result<()> {
        match self {
            HubResponse::Ok => Ok(()),
            HubResponse::Devices(devices) => check_devices(devices),
            HubResponse::Clients(clients) => {
                bounded(clients.len(), MAX_CLIENTS, "Clients")?;
                distinct(clients.iter().map(|c| &c.id), "Clients")?;
                clients.iter().try_for_each(ClientInfo::validate)
            }
            HubResponse::History(envelopes) => {
                bounded(envelopes.len(), MAX_HISTORY, "History")?;
                envelopes.iter().try_for_each(|e| {
                    in_range(
                        e.len() as u64,
                        1,
                        MAX_MESSAGE_BYTES as u64,
                        "History envelope length",
                        "1..=65536 bytes",
                    )
                })
            }
            HubResponse::Invitation { code, .. } => check_digits(
                code,
                "Invitation code",
                8,
                8,
                "must be exactly 8 digits 0-9",
            ),
        }
    }
}
