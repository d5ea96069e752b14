//! Cluster commands from devices: IAS Zone Status Change Notifications, Door Lock Operation
//! Event Notifications (ZCL 8 §7.3, operation event sources and codes), and the Zone Enroll
//! Response that answers a zone's request.

use sealhub_radios::zigbee::zcl::ClusterCommand;
use sealhub_radios::zigbee::zcl::clusters::{Trailing, ZclBytes, door_lock, ias_zone};

use super::*;
use crate::gateway::ZigbeeOp;
use crate::gateway::zigbee::{attributes_of_command, replies};
use crate::model::{AlarmKind, Attribute as A, Capability as C, LockAction, LockSource};

fn notification(bits: u16) -> ClusterCommand {
    ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneStatusChangeNotification(
        ias_zone::ZoneStatusChangeNotification {
            zone_status: ias_zone::ZoneStatus::from_bits_retain(bits),
            extended_status: 0,
            tail: Trailing(None),
        },
    ))
}

#[test]
fn zone_status_change_notifications() {
    let m = one_endpoint(vec![
        cap_from(C::Alarm(AlarmKind::Motion), 0x0406),
        cap_from(C::Alarm(AlarmKind::Smoke), 0x0500),
        cap(C::Alarm(AlarmKind::Tamper)),
        cap(C::Battery),
    ]);
    // Alarm 1 and battery low; the occupancy-sensing motion is not the zone's alarm.
    assert_eq!(
        attributes_of_command(&m, 1, &notification(0b1001)),
        [
            A::Alarm {
                kind: AlarmKind::Smoke,
                active: true
            },
            A::Alarm {
                kind: AlarmKind::Tamper,
                active: false
            },
            A::BatteryLow(true),
        ]
    );
    // An endpoint without a zone, or an unknown one, says nothing of a notification.
    let light = one_endpoint(vec![cap(C::OnOff)]);
    assert_eq!(attributes_of_command(&light, 1, &notification(1)), []);
    assert_eq!(attributes_of_command(&m, 7, &notification(1)), []);
}

/// `alarm.motion` with no `source` (as the Sonoff SNZB-03's definition has it) is the IAS
/// zone's alarm, the usual source the definitions' table gives motion: the zone's
/// notification reports the motion, and an Occupancy Sensing report says nothing of it.
#[test]
fn motion_with_no_source_is_the_ias_zones_alarm() {
    let m = one_endpoint(vec![cap(C::Alarm(AlarmKind::Motion))]);
    assert_eq!(
        attributes_of_command(&m, 1, &notification(0b1)),
        [A::Alarm {
            kind: AlarmKind::Motion,
            active: true
        }]
    );
    let occupied = [(
        0x0000,
        sealhub_radios::zigbee::zcl::Value::Bitmap { width: 1, value: 1 },
    )];
    assert_eq!(
        crate::gateway::zigbee::attributes_of_report(&m, 1, 0x0406, &occupied),
        []
    );
}

fn event(source: u8, event_code: u8, user_id: u16) -> ClusterCommand {
    ClusterCommand::DoorLockReply(door_lock::ToClient::OperationEventNotification(
        door_lock::OperationEventNotification {
            source,
            event_code,
            user_id,
            pin: ZclBytes(Some(Vec::new())),
            local_time: 0,
            data: ZclBytes(Some(Vec::new())),
        },
    ))
}

fn operation(action: LockAction, source: LockSource, slot: Option<u16>) -> Vec<A> {
    vec![A::LockOperation {
        action,
        source,
        slot,
    }]
}

#[test]
fn lock_operation_events() {
    let m = one_endpoint(vec![cap(C::DoorLock)]);
    let of = |source, code, user| attributes_of_command(&m, 1, &event(source, code, user));
    // Keypad (0) unlock (2) by user 2: the model's slot 3 (slots from 1, user IDs from 0).
    assert_eq!(
        of(0, 2, 2),
        operation(LockAction::Unlocked, LockSource::Keypad, Some(3))
    );
    // RF (1) lock (1), as the emulated lock sends after a Lock Door: remote, no slot.
    assert_eq!(
        of(1, 1, 0),
        operation(LockAction::Locked, LockSource::Remote, None)
    );
    // Manual (2) lock (0x0D) and unlock (0x0E), as the emulated lock turned by hand.
    assert_eq!(
        of(2, 0x0D, 0),
        operation(LockAction::Locked, LockSource::Manual, None)
    );
    assert_eq!(
        of(2, 0x0E, 0),
        operation(LockAction::Unlocked, LockSource::Manual, None)
    );
    // RFID (3) unlock by user 0: a credential at the door, slot 1.
    assert_eq!(
        of(3, 2, 0),
        operation(LockAction::Unlocked, LockSource::Keypad, Some(1))
    );
    // A keypad operation without a user (0xFFFF).
    assert_eq!(
        of(0, 7, 0xFFFF),
        operation(LockAction::Locked, LockSource::Keypad, None)
    );
    // Auto lock (0x0A), schedule lock / unlock (0x0B, 0x0C): the lock's own doing.
    assert_eq!(
        of(0xFF, 0x0A, 0),
        operation(LockAction::Locked, LockSource::Auto, None)
    );
    assert_eq!(
        of(1, 0x0C, 0),
        operation(LockAction::Unlocked, LockSource::Auto, None)
    );
    // Key lock / unlock (8, 9): by hand, whatever the source.
    assert_eq!(
        of(0xFF, 9, 0),
        operation(LockAction::Unlocked, LockSource::Manual, None)
    );
    // Indeterminate source.
    assert_eq!(
        of(0xFF, 1, 0),
        operation(LockAction::Locked, LockSource::Unknown, None)
    );
    // Failures (wrong PIN, schedule), unknown and non-access events operated nothing.
    for code in [0x00, 0x03, 0x04, 0x05, 0x06, 0x0F, 0x10, 0xFF] {
        assert_eq!(of(0, code, 1), [], "event code {code:#04x}");
    }
    // A lock's responses to the hub's own commands are not events.
    let response = ClusterCommand::DoorLockReply(door_lock::ToClient::LockDoorResponse(
        door_lock::LockResponse { status: 0 },
    ));
    assert_eq!(attributes_of_command(&m, 1, &response), []);
    // A device without the door lock capability.
    let light = one_endpoint(vec![cap(C::OnOff)]);
    assert_eq!(attributes_of_command(&light, 1, &event(1, 1, 0)), []);
}

#[test]
fn a_zone_enroll_request_is_answered() {
    let request = ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneEnrollRequest(
        ias_zone::ZoneEnrollRequest {
            zone_type: 0x0015,
            manufacturer_code: 0x1234,
        },
    ));
    let m = one_endpoint(vec![cap(C::Alarm(AlarmKind::Tamper))]);
    assert_eq!(
        replies(&m, 1, &request),
        [ZigbeeOp::Command {
            endpoint: 1,
            command: ClusterCommand::IasZone(ias_zone::ToServer::ZoneEnrollResponse(
                ias_zone::ZoneEnrollResponse {
                    code: 0,
                    zone_id: 0
                }
            )),
        }]
    );
    // Not from a mapped zone; not a request.
    let light = one_endpoint(vec![cap(C::OnOff)]);
    assert_eq!(replies(&light, 1, &request), []);
    assert_eq!(replies(&m, 2, &request), []);
    assert_eq!(replies(&m, 1, &notification(1)), []);
}
