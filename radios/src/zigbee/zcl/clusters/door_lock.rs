//! Door Lock (0x0101): lock and unlock, PIN codes, and the lock's reports of who operated it.

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

/// Set PIN Code (0x05): stores a PIN for a user (ZCL 8, Door Lock, "Set PIN Code Command"):
/// User ID (uint16), User Status (uint8), User Type (enum8), PIN (octet string). User IDs count
/// from 0 (the lock's user table index).
#[derive(Debug, Clone, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetPinCode {
    /// The user, from 0.
    pub user_id: u16,
    /// [`USER_STATUS_AVAILABLE`], [`USER_STATUS_ENABLED`] or [`USER_STATUS_DISABLED`].
    pub user_status: u8,
    /// 0 unrestricted, 1 year-day schedule, 2 week-day schedule, 3 master, 4 non-access.
    pub user_type: u8,
    /// The code, usually ASCII digits.
    pub pin: ZclBytes,
}

/// User Status: the slot is empty.
pub const USER_STATUS_AVAILABLE: u8 = 0;
/// User Status: occupied, the code opens the lock.
pub const USER_STATUS_ENABLED: u8 = 1;
/// User Status: occupied, the code is switched off.
pub const USER_STATUS_DISABLED: u8 = 3;
/// User Type: unrestricted user.
pub const USER_TYPE_UNRESTRICTED: u8 = 0;

/// A command whose only field is the User ID (uint16): Clear PIN Code (0x07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct UserId {
    /// The user, from 0.
    pub user_id: u16,
}

/// Set PIN Code Response (0x05) and Clear PIN Code Response (0x07): a status byte (Set: 0
/// success, 1 general failure, 2 memory full, 3 duplicate code; Clear: 0 pass, 1 fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct PinCodeResponse {
    /// The status.
    pub status: u8,
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
        /// Set PIN Code.
        SetPinCode(SetPinCode) = 0x05,
        /// Clear PIN Code.
        ClearPinCode(UserId) = 0x07,
    }
);

cluster_commands!(CLUSTER_ID,
    /// Door Lock commands, lock → hub.
    ToClient {
        /// Lock Door Response.
        LockDoorResponse(LockResponse) = 0x00,
        /// Unlock Door Response.
        UnlockDoorResponse(LockResponse) = 0x01,
        /// Set PIN Code Response.
        SetPinCodeResponse(PinCodeResponse) = 0x05,
        /// Clear PIN Code Response.
        ClearPinCodeResponse(PinCodeResponse) = 0x07,
        /// Operation Event Notification.
        OperationEventNotification(OperationEventNotification) = 0x20,
    }
);
