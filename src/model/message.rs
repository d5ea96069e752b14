//! What travels in an envelope's body: a client's [`Command`], the hub's [`Response`] and a
//! device's [`Event`].

use super::attribute::{Attribute, ThermostatMode};
use super::capability::Capability;
use super::device::Device;
use crate::envelope::DeviceId;

/// What a device endpoint is asked to do. `Debug` leaves out a user code's digits: they open
/// a door, so they stay out of logs.
#[derive(Clone, PartialEq, Eq)]
pub enum Action {
    /// Switch on.
    TurnOn,
    /// Switch off.
    TurnOff,
    /// Switch to the other state.
    Toggle,
    /// Go to a level in 0.01 % (0..=10000), over a transition in tenths of a second.
    SetLevel {
        /// The level.
        level: u16,
        /// The transition time, in 0.1 s (`None`: the device's default).
        transition: Option<u16>,
    },
    /// Go to a CIE xy colour (units of 1/65536).
    SetColorXy {
        /// x.
        x: u16,
        /// y.
        y: u16,
    },
    /// Go to a hue (0.01°) and saturation (0.01 %).
    SetColorHs {
        /// Hue.
        hue: u16,
        /// Saturation.
        saturation: u16,
    },
    /// Go to a colour temperature in mireds.
    SetColorTemperature(u16),
    /// Lock.
    Lock,
    /// Unlock.
    Unlock,
    /// Store a user code (4 to 10 digits) in a slot.
    SetUserCode {
        /// The slot, from 1.
        slot: u16,
        /// The digits.
        code: String,
    },
    /// Empty a user code slot.
    ClearUserCode {
        /// The slot, from 1.
        slot: u16,
    },
    /// Set the thermostat's mode.
    SetThermostatMode(ThermostatMode),
    /// Set the heating setpoint in 0.01 °C.
    SetHeatingSetpoint(i32),
    /// Set the cooling setpoint in 0.01 °C.
    SetCoolingSetpoint(i32),
    /// Read the endpoint's current state from the device.
    Refresh,
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::TurnOn => f.write_str("TurnOn"),
            Action::TurnOff => f.write_str("TurnOff"),
            Action::Toggle => f.write_str("Toggle"),
            Action::SetLevel { level, transition } => f
                .debug_struct("SetLevel")
                .field("level", level)
                .field("transition", transition)
                .finish(),
            Action::SetColorXy { x, y } => f
                .debug_struct("SetColorXy")
                .field("x", x)
                .field("y", y)
                .finish(),
            Action::SetColorHs { hue, saturation } => f
                .debug_struct("SetColorHs")
                .field("hue", hue)
                .field("saturation", saturation)
                .finish(),
            Action::SetColorTemperature(mireds) => {
                f.debug_tuple("SetColorTemperature").field(mireds).finish()
            }
            Action::Lock => f.write_str("Lock"),
            Action::Unlock => f.write_str("Unlock"),
            Action::SetUserCode { slot, code } => f
                .debug_struct("SetUserCode")
                .field("slot", slot)
                .field("code", &format_args!("<{} digits>", code.len()))
                .finish(),
            Action::ClearUserCode { slot } => {
                f.debug_struct("ClearUserCode").field("slot", slot).finish()
            }
            Action::SetThermostatMode(mode) => {
                f.debug_tuple("SetThermostatMode").field(mode).finish()
            }
            Action::SetHeatingSetpoint(t) => f.debug_tuple("SetHeatingSetpoint").field(t).finish(),
            Action::SetCoolingSetpoint(t) => f.debug_tuple("SetCoolingSetpoint").field(t).finish(),
            Action::Refresh => f.write_str("Refresh"),
        }
    }
}

impl Action {
    /// The capability the action needs on the endpoint (`None`: any, for `Refresh`). Permission
    /// checks look at it: a guest may not act on a lock.
    pub fn capability(&self) -> Option<Capability> {
        Some(match self {
            Action::TurnOn | Action::TurnOff | Action::Toggle => Capability::OnOff,
            Action::SetLevel { .. } => Capability::Level,
            Action::SetColorXy { .. }
            | Action::SetColorHs { .. }
            | Action::SetColorTemperature(_) => Capability::Color,
            Action::Lock
            | Action::Unlock
            | Action::SetUserCode { .. }
            | Action::ClearUserCode { .. } => Capability::DoorLock,
            Action::SetThermostatMode(_)
            | Action::SetHeatingSetpoint(_)
            | Action::SetCoolingSetpoint(_) => Capability::Thermostat,
            Action::Refresh => return None,
        })
    }
}

/// What a client may do, as its certificate's permissions say (`identity::Permissions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including pairing and removing clients and devices.
    Owner,
    /// Read and command every device it is allowed, locks and alarms included.
    Member,
    /// Read and command ordinary devices; no locks, alarms or inclusion.
    Guest,
}

/// A paired client, as the hub lists it to an owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// Its id.
    pub id: DeviceId,
    /// Its role.
    pub role: Role,
    /// The devices it is limited to (`None`: all).
    pub devices: Option<Vec<DeviceId>>,
}

/// Hub-level commands, addressed to [`super::HUB_DEVICE`] and checked against the client's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubCommand {
    /// List the devices the client may see.
    ListDevices,
    /// Open the Zigbee network for joining, for this many seconds (1..=254).
    PermitJoin {
        /// How long.
        seconds: u8,
    },
    /// Close the Zigbee network.
    StopJoin,
    /// Start Z-Wave inclusion; `dsk_pin` is the first five digits of the node's DSK, printed on
    /// it, needed to grant S2 Authenticated or Access Control.
    ZwaveInclude {
        /// The PIN, if the node needs one.
        dsk_pin: Option<String>,
    },
    /// Start Z-Wave exclusion.
    ZwaveExclude,
    /// Stop Z-Wave inclusion or exclusion.
    ZwaveStop,
    /// Remove a device: it is told to leave (or excluded), and its key is revoked.
    RemoveDevice {
        /// Which.
        device: DeviceId,
    },
    /// Rename a device or move it to a room.
    RenameDevice {
        /// Which.
        device: DeviceId,
        /// The new name.
        name: String,
        /// The new room (`None`: none).
        room: Option<String>,
    },
    /// List the paired clients.
    ListClients,
    /// Remove a paired client: it is revoked and the home moves to a new epoch.
    RemoveClient {
        /// Which.
        client: DeviceId,
    },
    /// Make a one-time setup code with which one more client pairs, with this role and
    /// device list.
    Invite {
        /// The role the new client gets.
        role: Role,
        /// The devices it is limited to (`None`: all).
        devices: Option<Vec<DeviceId>>,
    },
    /// Send again the events of `device` (all devices the client may read when `None`) whose
    /// sequence number is above `after`, from the hub's bounded history.
    History {
        /// Which device.
        device: Option<DeviceId>,
        /// The last sequence number the client has.
        after: u64,
    },
}

/// A command body: a device action on one endpoint, or a hub-level command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Act on a device endpoint (the device is the route's).
    Device {
        /// The endpoint.
        endpoint: u8,
        /// What to do.
        action: Action,
    },
    /// A hub-level command (the route's device is [`super::HUB_DEVICE`]).
    Hub(HubCommand),
}

/// Why a command failed, as a code a program can act on; the response also carries words a
/// person understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The client's role or device list does not allow it.
    NotPermitted,
    /// No such device or endpoint.
    UnknownDevice,
    /// The endpoint does not have the capability the action needs.
    Unsupported,
    /// A value out of range.
    InvalidValue,
    /// The device answered that it will not or cannot.
    Refused,
    /// The device did not answer.
    Unreachable,
    /// The radio is not available (the stick is unplugged or restarting).
    RadioUnavailable,
    /// The hub restarted while the command was with the device: it may or may not have run.
    Interrupted,
    /// The hub is busy with another operation of that kind (an inclusion already running).
    Busy,
}

/// What a hub-level command returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubResponse {
    /// Done, nothing to return.
    Ok,
    /// The devices.
    Devices(Vec<Device>),
    /// The clients.
    Clients(Vec<ClientInfo>),
    /// Events from the history, each the event envelope as it was first sent.
    History(Vec<Vec<u8>>),
    /// A one-time setup code for [`HubCommand::Invite`].
    Invitation {
        /// The code, 8 digits.
        code: String,
        /// How long it stays valid, in seconds.
        valid_secs: u32,
    },
}

/// A response body, answering the command the envelope's `re` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Done; the endpoint's state after the command.
    Done {
        /// The endpoint.
        endpoint: u8,
        /// Its state now.
        state: Vec<Attribute>,
    },
    /// Failed.
    Failed {
        /// Why, for programs.
        failure: Failure,
        /// Why, in words a person understands.
        message: String,
    },
    /// The device sleeps; the command waits for its wake-up and a second response follows.
    Queued,
    /// The device did not answer in time.
    TimedOut,
    /// A hub-level command's result.
    Hub(HubResponse),
}

/// An event body: something a device reports without being asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// New values from an endpoint: state changes, readings, alarms.
    Report {
        /// The endpoint.
        endpoint: u8,
        /// The values.
        values: Vec<Attribute>,
    },
    /// A sleeping device woke up.
    WokeUp,
    /// The device stopped answering.
    Unreachable,
    /// The device answers again.
    Reachable,
    /// The device joined and was interviewed, or a person renamed it: its description.
    Described(Device),
    /// The device left or was removed; its key is revoked after this event.
    Left,
}
