//! Who may do what: the model's roles as certificate permissions, what each command needs,
//! and what a client may read. `Home::open_command` has already checked that the client may
//! send commands at all and, for a device, that its device list admits it; here the role is
//! checked per action and per hub-level command.
//!
//! | | owner | member | guest |
//! |---|---|---|---|
//! | read events, list devices, history | yes | yes | yes |
//! | act on ordinary devices (lights, plugs, thermostats) | yes | yes | yes |
//! | act on locks and alarms | yes | yes | no |
//! | joining, inclusion, exclusion, removing or renaming devices, clients, invitations | yes | no | no |
//!
//! A client limited to some devices (its certificate's device list) is refused at the others
//! and sees only them in lists, history and broadcasts.

use super::ReadScope;
use crate::envelope::DeviceId;
use crate::identity::{Certificate, Permissions};
use crate::model::{Action, Capability, HUB_DEVICE, HubCommand, Role};

/// The permissions a role's certificate carries.
pub fn permissions_of(role: Role) -> Permissions {
    let everyday = Permissions::READ_EVENTS | Permissions::SEND_COMMANDS;
    match role {
        Role::Owner => everyday | Permissions::SECURE_DEVICES | Permissions::ADMINISTER,
        Role::Member => everyday | Permissions::SECURE_DEVICES,
        Role::Guest => everyday,
    }
}

/// The role a certificate's permissions amount to (the strongest one they reach).
pub fn role_of(permissions: Permissions) -> Role {
    if permissions.contains(Permissions::ADMINISTER) {
        Role::Owner
    } else if permissions.contains(Permissions::SECURE_DEVICES) {
        Role::Member
    } else {
        Role::Guest
    }
}

/// Whether acting on `capability` needs [`Permissions::SECURE_DEVICES`]: locks and alarms.
pub fn is_secure(capability: Capability) -> bool {
    matches!(capability, Capability::DoorLock | Capability::Alarm(_))
}

/// What a device action needs beyond sending commands: a lock or alarm action needs
/// [`Permissions::SECURE_DEVICES`]; reading the state back (`Refresh`) needs
/// [`Permissions::READ_EVENTS`].
pub fn needed_for_action(action: &Action) -> Permissions {
    match action.capability() {
        Some(c) if is_secure(c) => Permissions::SEND_COMMANDS | Permissions::SECURE_DEVICES,
        Some(_) => Permissions::SEND_COMMANDS,
        None => Permissions::SEND_COMMANDS | Permissions::READ_EVENTS,
    }
}

/// What a hub-level command needs.
pub fn needed_for_hub(command: &HubCommand) -> Permissions {
    match command {
        HubCommand::ListDevices | HubCommand::History { .. } => Permissions::READ_EVENTS,
        HubCommand::PermitJoin { .. }
        | HubCommand::StopJoin
        | HubCommand::ZwaveInclude { .. }
        | HubCommand::ZwaveExclude
        | HubCommand::ZwaveStop
        | HubCommand::RemoveDevice { .. }
        | HubCommand::RenameDevice { .. }
        | HubCommand::ListClients
        | HubCommand::RemoveClient { .. }
        | HubCommand::Invite { .. } => Permissions::ADMINISTER,
    }
}

/// Whether the client may see `device` at all (lists, history, broadcasts).
pub fn may_see(cert: &Certificate, device: &DeviceId) -> bool {
    cert.has(Permissions::READ_EVENTS)
        && (device.as_str() == HUB_DEVICE || cert.allows_device(device.as_str()))
}

/// What the transport may broadcast to a client: nothing without read permission, its
/// devices (and the hub's own messages, the revocation list among them) when it is limited
/// to some, everything otherwise.
pub fn read_scope(cert: &Certificate) -> ReadScope {
    if !cert.has(Permissions::READ_EVENTS) {
        return ReadScope::Nothing;
    }
    match &cert.claims().devices {
        None => ReadScope::All,
        Some(list) => {
            let mut devices: Vec<DeviceId> =
                list.iter().filter_map(|d| DeviceId::new(d).ok()).collect();
            if let Ok(hub) = DeviceId::new(HUB_DEVICE) {
                if !devices.contains(&hub) {
                    devices.push(hub);
                }
            }
            ReadScope::Devices(devices)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlarmKind, ThermostatMode};

    #[test]
    fn roles_map_to_permissions_and_back() {
        for role in [Role::Owner, Role::Member, Role::Guest] {
            assert_eq!(role_of(permissions_of(role)), role);
        }
        let guest = permissions_of(Role::Guest);
        assert!(!guest.contains(Permissions::SECURE_DEVICES));
        assert!(!guest.contains(Permissions::ADMINISTER));
        let member = permissions_of(Role::Member);
        assert!(member.contains(Permissions::SECURE_DEVICES));
        assert!(!member.contains(Permissions::ADMINISTER));
        assert_eq!(permissions_of(Role::Owner), Permissions::ALL);
    }

    #[test]
    fn locks_and_alarms_need_the_secure_permission_and_nothing_else_does() {
        let guest = permissions_of(Role::Guest);
        for action in [
            Action::Lock,
            Action::Unlock,
            Action::ClearUserCode { slot: 1 },
        ] {
            assert!(!guest.contains(needed_for_action(&action)), "{action:?}");
            assert!(permissions_of(Role::Member).contains(needed_for_action(&action)));
        }
        for action in [
            Action::TurnOn,
            Action::SetThermostatMode(ThermostatMode::Heat),
            Action::Refresh,
        ] {
            assert!(guest.contains(needed_for_action(&action)), "{action:?}");
        }
        assert!(is_secure(Capability::Alarm(AlarmKind::Smoke)));
        assert!(!is_secure(Capability::OnOff));
        assert!(!guest.contains(needed_for_hub(&HubCommand::PermitJoin { seconds: 60 })));
        assert!(guest.contains(needed_for_hub(&HubCommand::ListDevices)));
        assert!(!permissions_of(Role::Member).contains(needed_for_hub(&HubCommand::ListClients)));
    }
}
