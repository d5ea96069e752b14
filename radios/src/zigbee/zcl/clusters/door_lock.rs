//! Door Lock (0x0101): lock and unlock, and the lock's reports of who operated it.

use deku::prelude::*;

use super::{Trailing, ZclBytes, attribute, cluster_commands};

/// Cluster ID.
pub const CLUSTER_ID: u16 = 0x0101;

attribute!(
    /// 0 not fully locked, 1 locked, 2 unlocked, 0xFF undefined.
    LOCK_STATE = 0x0000, ENUM8, "LockState");
attribute!(
    /// Dead bolt, magnetic, ...
    LOCK_TYPE = 0x0001, ENUM8, "LockType");
attribute!(
    /// Whether the actuator is enabled.
    ACTUATOR_ENABLED = 0x0002, BOOLEAN, "ActuatorEnabled");

/// Lock Door (0x00) and Unlock Door (0x01): with a PIN/RFID code when the lock requires one
/// (older locks send no code field at all).
#[derive(Debug, Clone, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct LockCommand {
    /// The code, an octet string.
    pub pin: Trailing<ZclBytes>,
}

/// Lock Door Response (0x00) and Unlock Door Response (0x01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct LockResponse {
    /// ZCL status: SUCCESS or FAILURE.
    pub status: u8,
}

/// Operation Event Notification (0x20): the lock was operated (keypad, RF, manual, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct OperationEventNotification {
    /// 0 keypad, 1 RF, 2 manual, 3 RFID, 0xFF indeterminate.
    pub source: u8,
    /// 1 lock, 2 unlock, ...
    pub event_code: u8,
    /// User ID.
    pub user_id: u16,
    /// The PIN used, octet string.
    pub pin: ZclBytes,
    /// Lock's local time, seconds since 2000.
    pub local_time: u32,
    /// Manufacturer data, character string.
    pub data: ZclBytes,
}

cluster_commands!(CLUSTER_ID,
    /// Door Lock commands, hub → lock.
    ToServer {
        /// Lock Door.
        LockDoor(LockCommand) = 0x00,
        /// Unlock Door.
        UnlockDoor(LockCommand) = 0x01,
    }
);

cluster_commands!(CLUSTER_ID,
    /// Door Lock commands, lock → hub.
    ToClient {
        /// Lock Door Response.
        LockDoorResponse(LockResponse) = 0x00,
        /// Unlock Door Response.
        UnlockDoorResponse(LockResponse) = 0x01,
        /// Operation Event Notification.
        OperationEventNotification(OperationEventNotification) = 0x20,
    }
);
