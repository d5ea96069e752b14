//! Locks: Door Lock (0x62) operation reports and Sets, User Code (0x63) slots, and the
//! Notification (0x71) Access Control events a lock sends when it is operated (SDS13781
//! "Door Lock Operation Report", "User Code Set/Report"; SDS13713 Notification type 0x06).
//!
//! Door Lock mode: 0xFF secured → locked; 0x00, 0x01, 0x10, 0x11, 0x20, 0x21 (unsecured,
//! possibly only some handles, possibly timed) → unlocked; 0xFE → unknown. A lock that says
//! it is secured while its bolt condition bit (bit 1 of Door Condition, set = bolt unlocked,
//! as zwave-js reads it) says the bolt is not thrown is jammed.
//!
//! Access Control events: 0x01/0x02 manual lock/unlock, 0x03/0x04 RF (remote), 0x05/0x06
//! keypad (the user slot in the event parameters, an encapsulated User Code Report or a bare
//! user id), 0x09 auto-lock, 0x21/0x22 lock/unlock with a user code (a 2-byte user id);
//! 0x07, 0x08, 0x0A "not fully locked" and 0x0B "lock jammed" → jammed. Each operation gives
//! the new [`LockState`] and the [`Attribute::LockOperation`] event.

use sealhub_radios::zwave::cc::sensor::NotificationEvent;
use sealhub_radios::zwave::cc::{CommandClassFrame, DoorLock, UserCode, ids};

use super::{entry, entry_of, invalid, unsupported};
use crate::definitions::EndpointMapping;
use crate::gateway::Refusal;
use crate::model::{Attribute, Capability, LockAction, LockSource, LockState, UserCodeStatus};

/// Door Lock mode "secured".
const SECURED: u8 = 0xFF;
/// Door Lock mode "unsecured".
const UNSECURED: u8 = 0x00;
/// Door Lock mode "unknown" (v4).
const UNKNOWN: u8 = 0xFE;
/// Door Condition bit 1: the bolt is unlocked (not thrown).
const BOLT_UNLOCKED: u8 = 0b10;
/// Notification type Access Control.
pub(super) const ACCESS_CONTROL: u8 = 0x06;
/// User Code status: available (empty).
const AVAILABLE: u8 = 0x00;
/// User Code status: enabled, occupied.
const OCCUPIED: u8 = 0x01;
/// User Code status: disabled.
const DISABLED: u8 = 0x02;
/// User Code "User Code Report" command, as it appears encapsulated in event parameters.
const USER_CODE_REPORT: u8 = 0x03;

/// The Gets for what `cc` holds of a lock: the operation state, and the number of user code
/// slots (whose statuses [`follow_up`] then asks for). Access Control notifications are
/// events and are not asked for.
pub(super) fn refresh(cc: u8) -> Vec<CommandClassFrame> {
    match cc {
        ids::DOOR_LOCK => vec![CommandClassFrame::DoorLock(DoorLock::OperationGet)],
        ids::USER_CODE => vec![CommandClassFrame::UserCode(UserCode::UsersNumberGet)],
        _ => Vec::new(),
    }
}

/// A Users Number Report → a User Code Get for every slot it counts.
pub(super) fn follow_up(
    ep: &EndpointMapping,
    report: &CommandClassFrame,
) -> Vec<CommandClassFrame> {
    match report {
        CommandClassFrame::UserCode(UserCode::UsersNumberReport { count })
            if entry(ep, Capability::DoorLock, ids::USER_CODE).is_some() =>
        {
            (1..=*count)
                .map(|user_id| CommandClassFrame::UserCode(UserCode::Get { user_id }))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Door Lock Operation Report → the lock's state.
pub(super) fn door_lock_report(ep: &EndpointMapping, report: &DoorLock) -> Vec<Attribute> {
    let DoorLock::OperationReport {
        mode, condition, ..
    } = report
    else {
        return Vec::new();
    };
    if entry(ep, Capability::DoorLock, ids::DOOR_LOCK).is_none() {
        return Vec::new();
    }
    let state = match *mode {
        SECURED if condition & BOLT_UNLOCKED != 0 => LockState::Jammed,
        SECURED => LockState::Locked,
        UNSECURED | 0x01 | 0x10 | 0x11 | 0x20 | 0x21 => LockState::Unlocked,
        UNKNOWN => LockState::Unknown,
        other => {
            tracing::debug!(mode = other, "Door Lock mode not known");
            return Vec::new();
        }
    };
    vec![Attribute::LockState(state)]
}

/// User Code Report → the slot's status (never the code).
pub(super) fn user_code_report(ep: &EndpointMapping, report: &UserCode) -> Vec<Attribute> {
    let UserCode::Report {
        user_id, status, ..
    } = report
    else {
        return Vec::new();
    };
    if entry(ep, Capability::DoorLock, ids::USER_CODE).is_none() || *user_id == 0 {
        return Vec::new();
    }
    let status = match *status {
        AVAILABLE => UserCodeStatus::Available,
        OCCUPIED => UserCodeStatus::Occupied,
        DISABLED => UserCodeStatus::Disabled,
        other => {
            // 0xFE: the slot does not exist; anything else is reserved.
            tracing::debug!(
                slot = user_id,
                status = other,
                "User Code status not mapped"
            );
            return Vec::new();
        }
    };
    vec![Attribute::UserCode {
        slot: u16::from(*user_id),
        status,
    }]
}

/// An Access Control notification → the lock's new state and the operation event.
pub(super) fn access_control(ep: &EndpointMapping, event: &NotificationEvent) -> Vec<Attribute> {
    if entry(ep, Capability::DoorLock, ids::NOTIFICATION).is_none() {
        return Vec::new();
    }
    let params = event.parameters.as_slice();
    let (action, source, slot) = match event.event {
        0x01 => (LockAction::Locked, LockSource::Manual, None),
        0x02 => (LockAction::Unlocked, LockSource::Manual, None),
        0x03 => (LockAction::Locked, LockSource::Remote, None),
        0x04 => (LockAction::Unlocked, LockSource::Remote, None),
        0x05 => (LockAction::Locked, LockSource::Keypad, keypad_slot(params)),
        0x06 => (
            LockAction::Unlocked,
            LockSource::Keypad,
            keypad_slot(params),
        ),
        0x09 => (LockAction::Locked, LockSource::Auto, None),
        0x21 => (LockAction::Locked, LockSource::Keypad, user_id(params)),
        0x22 => (LockAction::Unlocked, LockSource::Keypad, user_id(params)),
        0x07 | 0x08 | 0x0A | 0x0B => return vec![Attribute::LockState(LockState::Jammed)],
        _ => return Vec::new(),
    };
    let state = match action {
        LockAction::Locked => LockState::Locked,
        LockAction::Unlocked => LockState::Unlocked,
    };
    vec![
        Attribute::LockState(state),
        Attribute::LockOperation {
            action,
            source,
            slot,
        },
    ]
}

/// The user slot of a keypad event: its parameters are a User Code Report (`63 03 id status
/// code…`), or, from some locks, the bare user id.
fn keypad_slot(params: &[u8]) -> Option<u16> {
    let id = match params {
        [ids::USER_CODE, USER_CODE_REPORT, id, ..] => *id,
        [id] => *id,
        _ => return None,
    };
    (id != 0).then_some(u16::from(id))
}

/// A 2-byte User Code user identifier.
fn user_id(params: &[u8]) -> Option<u16> {
    match params {
        [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])).filter(|id| *id != 0),
        _ => None,
    }
}

/// Lock / Unlock: Door Lock Operation Set, then Operation Get.
pub(super) fn operate(ep: &EndpointMapping, lock: bool) -> Result<Vec<CommandClassFrame>, Refusal> {
    if entry(ep, Capability::DoorLock, ids::DOOR_LOCK).is_none() {
        return Err(unsupported(
            "this device is not a lock that can be locked and unlocked",
        ));
    }
    let mode = if lock { SECURED } else { UNSECURED };
    Ok(vec![
        CommandClassFrame::DoorLock(DoorLock::OperationSet { mode }),
        CommandClassFrame::DoorLock(DoorLock::OperationGet),
    ])
}

fn user_codes(ep: &EndpointMapping) -> Result<(), Refusal> {
    if entry_of(ep, Capability::DoorLock).is_none() {
        return Err(unsupported("this device is not a lock"));
    }
    if entry(ep, Capability::DoorLock, ids::USER_CODE).is_none() {
        return Err(unsupported("this lock does not keep user codes"));
    }
    Ok(())
}

/// The User Code slot for a model slot (User Code v1 has 1..=255).
fn slot_id(slot: u16) -> Result<u8, Refusal> {
    u8::try_from(slot)
        .ok()
        .filter(|s| *s != 0)
        .ok_or_else(|| invalid(format!("a user code slot is 1 to 255, not {slot}")))
}

/// SetUserCode: User Code Set (enabled, the digits in ASCII), then the slot's Get.
pub(super) fn set_user_code(
    ep: &EndpointMapping,
    slot: u16,
    code: &str,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    user_codes(ep)?;
    let user_id = slot_id(slot)?;
    if !(4..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("a user code is 4 to 10 digits"));
    }
    Ok(vec![
        CommandClassFrame::UserCode(UserCode::Set {
            user_id,
            status: OCCUPIED,
            code: code.as_bytes().to_vec(),
        }),
        CommandClassFrame::UserCode(UserCode::Get { user_id }),
    ])
}

/// ClearUserCode: User Code Set with status available and the code 0x00000000 the
/// specification asks for with it, then the slot's Get.
pub(super) fn clear_user_code(
    ep: &EndpointMapping,
    slot: u16,
) -> Result<Vec<CommandClassFrame>, Refusal> {
    user_codes(ep)?;
    let user_id = slot_id(slot)?;
    Ok(vec![
        CommandClassFrame::UserCode(UserCode::Set {
            user_id,
            status: AVAILABLE,
            code: vec![0; 4],
        }),
        CommandClassFrame::UserCode(UserCode::Get { user_id }),
    ])
}
