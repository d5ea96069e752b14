//! A battery door lock (Home Automation device 0x000A): Door Lock (ZCL §7.3) and Power
//! Configuration. Lock Door and Unlock Door are answered with their own responses (status
//! SUCCESS), not a Default Response, and followed by an Operation Event Notification (source
//! RF), as locks do so that every controller sees who operated them; turning it by hand
//! ([`turn_by_hand`]) sends one with source manual. Set PIN Code and Clear PIN Code keep
//! [`MAX_USERS`] PIN codes of 4 to 8 digits (`ZclState::pin_codes`), answered with their own
//! responses.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::{DeviceKind, SimulatedDevice};
use crate::ezsp_ncp::zcl_device::{CommandContext, Handled, ZclState, data_type, zcl_status};

/// The Door Lock cluster.
pub const DOOR_LOCK_CLUSTER: u16 = 0x0101;
/// `LockState` locked.
pub const LOCKED: i64 = 1;
/// `LockState` unlocked.
pub const UNLOCKED: i64 = 2;

/// `OperationEventSource` values (ZCL §7.3.2.17.24).
const SOURCE_RF: u8 = 0x01;
const SOURCE_MANUAL: u8 = 0x02;
/// Operation event codes: Lock, Unlock, Manual Lock, Manual Unlock.
const EVENT_LOCK: u8 = 0x01;
const EVENT_UNLOCK: u8 = 0x02;
const EVENT_MANUAL_LOCK: u8 = 0x0D;
const EVENT_MANUAL_UNLOCK: u8 = 0x0E;

/// Basic, Power Configuration, Identify, Door Lock; locked.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::DoorLock,
        0x000A,
        vec![0x0000, 0x0001, 0x0003, DOOR_LOCK_CLUSTER],
        "SH-LOCK-1",
    );
    let z = &mut d.zcl;
    z.define(
        1,
        DOOR_LOCK_CLUSTER,
        0x0000,
        data_type::ENUM8,
        LOCKED,
        false,
    ); // LockState
    z.define(1, DOOR_LOCK_CLUSTER, 0x0001, data_type::ENUM8, 0, false); // LockType: dead bolt
    z.define(1, DOOR_LOCK_CLUSTER, 0x0002, data_type::BOOL, 1, false); // ActuatorEnabled
    d
}

/// How many PIN users the lock keeps (`NumberOfPINUsersSupported`); User IDs 0..MAX_USERS.
pub const MAX_USERS: u16 = 8;
/// PIN lengths the lock takes (`MinPINCodeLength`, `MaxPINCodeLength`).
const PIN_LENGTHS: core::ops::RangeInclusive<usize> = 4..=8;

/// Set PIN Code (0x05): user ID (uint16), user status (uint8), user type (enum8), PIN (octet
/// string). Response 0x05: 0 success, 1 general failure (bad user ID, status or PIN), 3
/// duplicate code.
fn set_pin_code(z: &mut ZclState, payload: &[u8]) -> Handled {
    let [id0, id1, status, _user_type, len, pin @ ..] = payload else {
        return Handled::Status(zcl_status::MALFORMED_COMMAND);
    };
    if usize::from(*len) != pin.len() {
        return Handled::Status(zcl_status::MALFORMED_COMMAND);
    }
    let user = u16::from_le_bytes([*id0, *id1]);
    let usable = user < MAX_USERS
        && matches!(status, 1 | 3)
        && PIN_LENGTHS.contains(&pin.len())
        && pin.iter().all(u8::is_ascii_digit);
    let result = if !usable {
        1
    } else if z.pin_codes.iter().any(|(u, p)| *u != user && p == pin) {
        3
    } else {
        z.pin_codes.insert(user, pin.to_vec());
        0
    };
    Handled::Response(0x05, vec![result])
}

/// Clear PIN Code (0x07): user ID. Response 0x07: 0 pass, 1 fail (no such user).
fn clear_pin_code(z: &mut ZclState, payload: &[u8]) -> Handled {
    let [id0, id1] = payload else {
        return Handled::Status(zcl_status::MALFORMED_COMMAND);
    };
    let user = u16::from_le_bytes([*id0, *id1]);
    if user >= MAX_USERS {
        return Handled::Response(0x07, vec![1]);
    }
    z.pin_codes.remove(&user);
    Handled::Response(0x07, vec![0])
}

/// Lock Door (0x00) and Unlock Door (0x01), with an optional PIN (octet string); Set PIN Code
/// (0x05) and Clear PIN Code (0x07).
pub fn command(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    if context.cluster != DOOR_LOCK_CLUSTER {
        return Handled::Status(zcl_status::UNSUP_COMMAND);
    }
    match context.command {
        0x00 | 0x01 => {}
        0x05 => return set_pin_code(z, payload),
        0x07 => return clear_pin_code(z, payload),
        _ => return Handled::Status(zcl_status::UNSUP_COMMAND),
    }
    let well_formed = match payload {
        [] => true,
        [len, pin @ ..] => usize::from(*len) == pin.len(),
    };
    if !well_formed {
        return Handled::Status(zcl_status::MALFORMED_COMMAND);
    }
    let lock = context.command == 0x00;
    operate(
        z,
        lock,
        SOURCE_RF,
        if lock { EVENT_LOCK } else { EVENT_UNLOCK },
    );
    Handled::Response(context.command, vec![zcl_status::SUCCESS])
}

/// Someone turns the lock by hand.
pub fn turn_by_hand(z: &mut ZclState, locked: bool) {
    let event = if locked {
        EVENT_MANUAL_LOCK
    } else {
        EVENT_MANUAL_UNLOCK
    };
    operate(z, locked, SOURCE_MANUAL, event);
}

/// Sets `LockState` and queues the Operation Event Notification (0x20): source, event code,
/// user ID, PIN (empty octet string), local time, data (empty string).
fn operate(z: &mut ZclState, locked: bool, source: u8, event: u8) {
    z.set(
        1,
        DOOR_LOCK_CLUSTER,
        0x0000,
        if locked { LOCKED } else { UNLOCKED },
    );
    let local_time = u32::try_from(z.clock.as_secs()).unwrap_or(u32::MAX);
    let mut notification = vec![source, event, 0x00, 0x00, 0x00];
    notification.extend(local_time.to_le_bytes());
    notification.push(0x00);
    z.send_command(1, DOOR_LOCK_CLUSTER, 0x20, &notification);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(command: u8) -> CommandContext {
        CommandContext {
            endpoint: 1,
            cluster: DOOR_LOCK_CLUSTER,
            command,
            manufacturer_code: 0x1234,
        }
    }

    /// Set PIN Code for `user`, status enabled, unrestricted, `pin`.
    fn set(z: &mut ZclState, user: u16, pin: &[u8]) -> Handled {
        let mut payload = user.to_le_bytes().to_vec();
        payload.extend([1, 0, u8::try_from(pin.len()).unwrap()]);
        payload.extend(pin);
        command(z, &context(0x05), &payload)
    }

    #[test]
    fn pin_codes_are_kept_checked_and_cleared() {
        let mut z = ZclState::default();
        assert_eq!(set(&mut z, 0, b"1234"), Handled::Response(0x05, vec![0]));
        assert_eq!(z.pin_codes.get(&0).map(Vec::as_slice), Some(&b"1234"[..]));
        // The same code for another user: duplicate (3); too short, not digits, user out of
        // range: general failure (1). None of them is kept.
        assert_eq!(set(&mut z, 1, b"1234"), Handled::Response(0x05, vec![3]));
        assert_eq!(set(&mut z, 1, b"123"), Handled::Response(0x05, vec![1]));
        assert_eq!(set(&mut z, 1, b"12a4"), Handled::Response(0x05, vec![1]));
        assert_eq!(
            set(&mut z, MAX_USERS, b"5678"),
            Handled::Response(0x05, vec![1])
        );
        assert_eq!(z.pin_codes.len(), 1);
        // A PIN shorter than its length byte is malformed.
        assert_eq!(
            command(&mut z, &context(0x05), &[0, 0, 1, 0, 4, b'1']),
            Handled::Status(zcl_status::MALFORMED_COMMAND)
        );
        assert_eq!(
            command(&mut z, &context(0x07), &[0, 0]),
            Handled::Response(0x07, vec![0])
        );
        assert!(z.pin_codes.is_empty());
        assert_eq!(
            command(&mut z, &context(0x07), &MAX_USERS.to_le_bytes()),
            Handled::Response(0x07, vec![1])
        );
        assert_eq!(
            command(&mut z, &context(0x06), &[0, 0]),
            Handled::Status(zcl_status::UNSUP_COMMAND)
        );
    }
}
