//! Cluster commands a device sends on its own: what they mean in the model (an IAS zone's
//! status change, a lock's operation event) and what the hub answers (a zone's enrol request).

use sealhub_radios::zigbee::zcl::ClusterCommand;
use sealhub_radios::zigbee::zcl::clusters::{door_lock, ias_zone};

use super::report::zone_status;
use super::setup::enroll_response;
use super::sources::{DOOR_LOCK, IAS_ZONE, cluster_of};
use crate::gateway::{Mapping, ZigbeeOp};
use crate::model::{Attribute, Capability, LockAction, LockSource};

/// See [`super::attributes_of_command`].
pub(super) fn attributes_of_command(
    mapping: &Mapping,
    endpoint: u8,
    command: &ClusterCommand,
) -> Vec<Attribute> {
    let Some(mapped) = mapping.endpoint(endpoint) else {
        tracing::debug!(
            endpoint,
            "command from an endpoint the mapping does not expose"
        );
        return Vec::new();
    };
    let serves = |cluster: u16| mapped.capabilities.iter().any(|c| cluster_of(c) == cluster);
    match command {
        ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneStatusChangeNotification(n))
            if serves(IAS_ZONE) =>
        {
            zone_status(mapped, u64::from(n.zone_status.bits()))
        }
        ClusterCommand::DoorLockReply(door_lock::ToClient::OperationEventNotification(event))
            if mapped
                .capabilities
                .iter()
                .any(|c| c.capability == Capability::DoorLock && cluster_of(c) == DOOR_LOCK) =>
        {
            lock_operation(event).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// A Door Lock Operation Event Notification (ZCL 8 §7.3 Door Lock, Operation Event Source and
/// Operation Event Code) as a lock operation, for the events that locked or unlocked it.
///
/// Sources: 0 keypad, 1 RF (a command: remote), 2 manual, 3 RFID (a tag presented at the lock:
/// the model has no RFID source; like a keypad code it is a credential at the door, and the
/// slot says whose), 0xFF indeterminate. Codes that lock: 1 Lock, 7 One Touch Lock, 8 Key
/// Lock, 0x0A Auto Lock, 0x0B Schedule Lock, 0x0D Manual Lock; that unlock: 2 Unlock, 9 Key
/// Unlock, 0x0C Schedule Unlock, 0x0E Manual Unlock. Failures (3..=6), unknown (0) and non-access
/// events (0x0F) operated nothing. Auto and schedule events are the lock's own doing whatever
/// source it names; key events are by hand. The User ID counts from 0 (the lock's user table
/// index), the model's slots from 1; it names a slot only for keypad and RFID operations.
pub(super) fn lock_operation(event: &door_lock::OperationEventNotification) -> Option<Attribute> {
    let action = match event.event_code {
        0x01 | 0x07 | 0x08 | 0x0A | 0x0B | 0x0D => LockAction::Locked,
        0x02 | 0x09 | 0x0C | 0x0E => LockAction::Unlocked,
        other => {
            tracing::debug!(code = other, "lock event that neither locked nor unlocked");
            return None;
        }
    };
    let source = match (event.event_code, event.source) {
        (0x0A..=0x0C, _) => LockSource::Auto,
        (0x08 | 0x09, _) => LockSource::Manual,
        (_, 0x00 | 0x03) => LockSource::Keypad,
        (_, 0x01) => LockSource::Remote,
        (_, 0x02) => LockSource::Manual,
        _ => LockSource::Unknown,
    };
    let slot = match source {
        LockSource::Keypad if event.user_id != 0xFFFF => event.user_id.checked_add(1),
        _ => None,
    };
    Some(Attribute::LockOperation {
        action,
        source,
        slot,
    })
}

/// See [`super::replies`].
pub(super) fn replies(mapping: &Mapping, endpoint: u8, command: &ClusterCommand) -> Vec<ZigbeeOp> {
    let Some(mapped) = mapping.endpoint(endpoint) else {
        return Vec::new();
    };
    match command {
        ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneEnrollRequest(_))
            if mapped
                .capabilities
                .iter()
                .any(|c| cluster_of(c) == IAS_ZONE) =>
        {
            vec![enroll_response(endpoint)]
        }
        _ => Vec::new(),
    }
}
