//! A battery door lock (Home Automation device 0x000A): Door Lock (ZCL §7.3) and Power
//! Configuration. Lock Door and Unlock Door are answered with their own responses (status
//! SUCCESS), not a Default Response, and followed by an Operation Event Notification (source
//! RF), as locks do so that every controller sees who operated them; turning it by hand
//! ([`turn_by_hand`]) sends one with source manual.

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

/// Lock Door (0x00) and Unlock Door (0x01), with an optional PIN (octet string).
pub fn command(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    if context.cluster != DOOR_LOCK_CLUSTER || context.command > 0x01 {
        return Handled::Status(zcl_status::UNSUP_COMMAND);
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
