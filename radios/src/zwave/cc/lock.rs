//! Locks: Door Lock (0x62, operation v1–v4 and configuration) and User Code (0x63, v1).
//! Handle bit fields and conditions are kept as the wire bytes with accessors, so reserved bits
//! round-trip and the application decides what an unknown mode means.

use super::{CommandSet, Reader, Result, ids};

/// Door Lock operation report/set modes.
pub mod mode {
    /// Unsecured.
    pub const UNSECURED: u8 = 0x00;
    /// Unsecured with timeout.
    pub const UNSECURED_WITH_TIMEOUT: u8 = 0x01;
    /// Inside handles unsecured.
    pub const INSIDE_UNSECURED: u8 = 0x10;
    /// Inside unsecured with timeout.
    pub const INSIDE_UNSECURED_WITH_TIMEOUT: u8 = 0x11;
    /// Outside handles unsecured.
    pub const OUTSIDE_UNSECURED: u8 = 0x20;
    /// Outside unsecured with timeout.
    pub const OUTSIDE_UNSECURED_WITH_TIMEOUT: u8 = 0x21;
    /// Unknown (v4).
    pub const UNKNOWN: u8 = 0xFE;
    /// Secured.
    pub const SECURED: u8 = 0xFF;
}

/// The v4 tail of an Operation Report: where the lock is going and how long it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LockTransition {
    /// Target mode.
    pub target_mode: u8,
    /// Duration byte.
    pub duration: u8,
}

/// The v4 tail of a Configuration Set/Report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LockConfigV4 {
    /// Auto-relock time in seconds.
    pub auto_relock: u16,
    /// Hold-and-release time in seconds.
    pub hold_and_release: u16,
    /// Bit 0 twist assist, bit 1 block to block.
    pub flags: u8,
}

/// Door Lock CC.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DoorLock {
    /// 0x01: lock or unlock.
    OperationSet {
        /// One of [`mode`].
        mode: u8,
    },
    /// 0x02: ask for an Operation Report.
    OperationGet,
    /// 0x03: lock state.
    OperationReport {
        /// Current mode.
        mode: u8,
        /// High nibble outside handles, low nibble inside handles (bit n = handle n+1 can open).
        handles: u8,
        /// Bit 0 door closed, bit 1 bolt unlocked, bit 2 latch closed (v1 semantics: set = open
        /// for door, unlocked for bolt, open for latch as zwave-js reads it).
        condition: u8,
        /// Minutes left of a timed unlock (0xFE = not timed).
        timeout_minutes: u8,
        /// Seconds left (0xFE = not timed).
        timeout_seconds: u8,
        /// v4 tail.
        transition: Option<LockTransition>,
    },
    /// 0x04: configure the lock.
    ConfigurationSet(LockConfiguration),
    /// 0x05: ask for a Configuration Report.
    ConfigurationGet,
    /// 0x06: the lock's configuration.
    ConfigurationReport(LockConfiguration),
}

/// Door Lock configuration (Set and Report share the layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LockConfiguration {
    /// 0x01 constant, 0x02 timed.
    pub operation_type: u8,
    /// Outside (high nibble) and inside (low nibble) handle enable bits.
    pub handles: u8,
    /// Lock timeout minutes (0xFE if not timed).
    pub timeout_minutes: u8,
    /// Lock timeout seconds (0xFE if not timed).
    pub timeout_seconds: u8,
    /// v4 tail.
    pub v4: Option<LockConfigV4>,
}

impl LockConfiguration {
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let operation_type = r.u8()?;
        let handles = r.u8()?;
        let timeout_minutes = r.u8()?;
        let timeout_seconds = r.u8()?;
        let v4 = if r.is_empty() {
            None
        } else {
            Some(LockConfigV4 {
                auto_relock: r.u16()?,
                hold_and_release: r.u16()?,
                flags: r.u8()?,
            })
        };
        Ok(LockConfiguration {
            operation_type,
            handles,
            timeout_minutes,
            timeout_seconds,
            v4,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            self.operation_type,
            self.handles,
            self.timeout_minutes,
            self.timeout_seconds,
        ]);
        if let Some(v4) = &self.v4 {
            out.extend_from_slice(&v4.auto_relock.to_be_bytes());
            out.extend_from_slice(&v4.hold_and_release.to_be_bytes());
            out.push(v4.flags);
        }
    }
}

impl CommandSet for DoorLock {
    const CC: u8 = ids::DOOR_LOCK;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => Self::OperationSet { mode: r.u8()? },
            0x02 => Self::OperationGet,
            0x03 => Self::OperationReport {
                mode: r.u8()?,
                handles: r.u8()?,
                condition: r.u8()?,
                timeout_minutes: r.u8()?,
                timeout_seconds: r.u8()?,
                transition: if r.is_empty() {
                    None
                } else {
                    Some(LockTransition {
                        target_mode: r.u8()?,
                        duration: r.u8()?,
                    })
                },
            },
            0x04 => Self::ConfigurationSet(LockConfiguration::read(r)?),
            0x05 => Self::ConfigurationGet,
            0x06 => Self::ConfigurationReport(LockConfiguration::read(r)?),
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::OperationSet { mode } => {
                out.push(*mode);
                0x01
            }
            Self::OperationGet => 0x02,
            Self::OperationReport {
                mode,
                handles,
                condition,
                timeout_minutes,
                timeout_seconds,
                transition,
            } => {
                out.extend_from_slice(&[
                    *mode,
                    *handles,
                    *condition,
                    *timeout_minutes,
                    *timeout_seconds,
                ]);
                if let Some(t) = transition {
                    out.extend_from_slice(&[t.target_mode, t.duration]);
                }
                0x03
            }
            Self::ConfigurationSet(c) => {
                c.write(out);
                0x04
            }
            Self::ConfigurationGet => 0x05,
            Self::ConfigurationReport(c) => {
                c.write(out);
                0x06
            }
        })
    }
}

/// User Code CC v1: PIN codes stored in a lock, one per user slot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserCode {
    /// 0x01: store or clear a code.
    Set {
        /// Slot (1..=255; 0 = all slots when clearing).
        user_id: u8,
        /// 0 available, 1 enabled, 2 disabled.
        status: u8,
        /// 4..=10 ASCII digits.
        code: Vec<u8>,
    },
    /// 0x02: ask for one slot.
    Get {
        /// Slot.
        user_id: u8,
    },
    /// 0x03: one slot's status and code.
    Report {
        /// Slot.
        user_id: u8,
        /// 0 available, 1 enabled, 2 disabled, 0xFE not available.
        status: u8,
        /// Up to 10 bytes (some locks send none or zeroes for an empty slot).
        code: Vec<u8>,
    },
    /// 0x04: ask how many slots exist.
    UsersNumberGet,
    /// 0x05: the number of slots.
    UsersNumberReport {
        /// Supported users.
        count: u8,
    },
}

impl CommandSet for UserCode {
    const CC: u8 = ids::USER_CODE;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => {
                let user_id = r.u8()?;
                let status = r.u8()?;
                let code = r.rest().to_vec();
                if !(4..=10).contains(&code.len()) {
                    return Err(r.invalid("user code must be 4 to 10 bytes"));
                }
                Self::Set {
                    user_id,
                    status,
                    code,
                }
            }
            0x02 => Self::Get { user_id: r.u8()? },
            0x03 => {
                let user_id = r.u8()?;
                let status = r.u8()?;
                let code = r.rest().to_vec();
                if code.len() > 10 {
                    return Err(r.invalid("user code longer than 10 bytes"));
                }
                Self::Report {
                    user_id,
                    status,
                    code,
                }
            }
            0x04 => Self::UsersNumberGet,
            0x05 => Self::UsersNumberReport { count: r.u8()? },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Set {
                user_id,
                status,
                code,
            } => {
                if !(4..=10).contains(&code.len()) {
                    return Err(super::Error::Unencodable("user code must be 4 to 10 bytes"));
                }
                out.extend_from_slice(&[*user_id, *status]);
                out.extend_from_slice(code);
                0x01
            }
            Self::Get { user_id } => {
                out.push(*user_id);
                0x02
            }
            Self::Report {
                user_id,
                status,
                code,
            } => {
                if code.len() > 10 {
                    return Err(super::Error::Unencodable("user code longer than 10 bytes"));
                }
                out.extend_from_slice(&[*user_id, *status]);
                out.extend_from_slice(code);
                0x03
            }
            Self::UsersNumberGet => 0x04,
            Self::UsersNumberReport { count } => {
                out.push(*count);
                0x05
            }
        })
    }
}
