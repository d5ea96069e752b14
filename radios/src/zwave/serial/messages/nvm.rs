//! Reading the controller's non-volatile memory (its network: home id, nodes, routes, keys on
//! the chip) over the Serial API, for backups. Two generations of the interface exist; the
//! layouts below follow zwave-js' `serialapi/nvm/` messages, which real sticks answer.
//!
//! 700/800 series, NVM Backup/Restore (0x2E):
//!
//! - request `operation` then, for Read, `length(u8) offset(u16 BE)`; for Write `length(u8)
//!   offset(u16 BE) data`; Open and Close carry nothing more.
//! - response `status length(u8) offsetOrSize(u16 BE) data[length]`; Open answers the NVM size
//!   in the third field, Read the offset it read from. Status 0x00 OK, 0x01 error, 0x02
//!   operation mismatch (a read while not open), 0x03 operation disturbed, 0xFF end of file
//!   (the read reached the end; it still carries the last bytes). Short answers (status and
//!   length only) occur for Close.
//!
//! 500 series, the extended NVM functions:
//!
//! - GetNVMId (0x29): request empty; response four bytes, of which zwave-js reads the last
//!   three as `manufacturer memoryType memorySize`, the size as a power of two (0x0E = 16 KiB
//!   … 0x18 = 16 MiB, 0xFF unknown).
//! - NVM Ext Read Long Buffer (0x2A): request `offset(u24 BE) length(u16 BE)`; response the
//!   bytes read (a stick may return fewer than asked, or none for a length it cannot do).
//!
//! These travel as [`super::HostMessage::Unknown`] and [`super::StickMessage::Unknown`] under
//! their function ids; the types here give their payloads meaning, in both directions, so the
//! emulator and the driver read the same bytes the same way.

use super::{Error, Result};

/// NVM Backup/Restore, the 700/800-series interface.
pub const NVM_BACKUP_RESTORE: u8 = 0x2E;
/// GetNVMId, the 500-series NVM size.
pub const GET_NVM_ID: u8 = 0x29;
/// NVM Ext Read Long Buffer, the 500-series read.
pub const NVM_EXT_READ_LONG_BUFFER: u8 = 0x2A;

/// What an NVM Backup/Restore request asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NvmOperation {
    /// 0x00: open the NVM for backup or restore; the answer carries its size.
    Open,
    /// 0x01: read up to `length` bytes at `offset`.
    Read {
        /// Bytes wanted.
        length: u8,
        /// Where from.
        offset: u16,
    },
    /// 0x02: write `data` at `offset` (restore).
    Write {
        /// Where to.
        offset: u16,
        /// The bytes (at most 255).
        data: Vec<u8>,
    },
    /// 0x03: close the NVM again; the chip resumes its radio work.
    Close,
}

const OP_OPEN: u8 = 0x00;
const OP_READ: u8 = 0x01;
const OP_WRITE: u8 = 0x02;
const OP_CLOSE: u8 = 0x03;

impl NvmOperation {
    /// The request payload.
    pub fn encode(&self) -> Result<Vec<u8>> {
        Ok(match self {
            Self::Open => vec![OP_OPEN],
            Self::Close => vec![OP_CLOSE],
            Self::Read { length, offset } => {
                let [hi, lo] = offset.to_be_bytes();
                vec![OP_READ, *length, hi, lo]
            }
            Self::Write { offset, data } => {
                let length = u8::try_from(data.len()).map_err(|_| Error::Malformed {
                    function: NVM_BACKUP_RESTORE,
                    reason: "NVM write longer than 255 bytes".into(),
                })?;
                let [hi, lo] = offset.to_be_bytes();
                let mut out = vec![OP_WRITE, length, hi, lo];
                out.extend_from_slice(data);
                out
            }
        })
    }

    /// Reads a request payload, the mirror of [`NvmOperation::encode`].
    pub fn decode(payload: &[u8]) -> Result<Self> {
        const F: u8 = NVM_BACKUP_RESTORE;
        let trailing = |count: usize| Error::TrailingBytes { function: F, count };
        match payload {
            [] => Err(Error::Truncated { function: F }),
            [OP_OPEN] => Ok(Self::Open),
            [OP_CLOSE] => Ok(Self::Close),
            [OP_OPEN | OP_CLOSE, rest @ ..] => Err(trailing(rest.len())),
            [OP_READ, length, hi, lo] => Ok(Self::Read {
                length: *length,
                offset: u16::from_be_bytes([*hi, *lo]),
            }),
            [OP_READ, _, _, _, rest @ ..] => Err(trailing(rest.len())),
            [OP_WRITE, length, hi, lo, data @ ..] => match data.len().cmp(&usize::from(*length)) {
                core::cmp::Ordering::Less => Err(Error::Truncated { function: F }),
                core::cmp::Ordering::Greater => Err(trailing(data.len() - usize::from(*length))),
                core::cmp::Ordering::Equal => Ok(Self::Write {
                    offset: u16::from_be_bytes([*hi, *lo]),
                    data: data.to_vec(),
                }),
            },
            [OP_READ | OP_WRITE, ..] => Err(Error::Truncated { function: F }),
            [other, ..] => Err(Error::Malformed {
                function: F,
                reason: format!("unknown NVM operation {other:#04x}"),
            }),
        }
    }
}

/// The status byte of an NVM Backup/Restore response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmStatus {
    /// 0x00: done.
    Ok,
    /// 0x01: the chip could not do it.
    Error,
    /// 0x02: the operation does not fit the state (a read before open, a write while open for
    /// reading).
    OperationMismatch,
    /// 0x03: something else touched the NVM meanwhile.
    OperationDisturbed,
    /// 0xFF: the read or write reached the end of the NVM.
    EndOfFile,
    /// Any other byte.
    Other(u8),
}

impl NvmStatus {
    /// The status from its byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Self::Ok,
            0x01 => Self::Error,
            0x02 => Self::OperationMismatch,
            0x03 => Self::OperationDisturbed,
            0xFF => Self::EndOfFile,
            other => Self::Other(other),
        }
    }

    /// Its byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Ok => 0x00,
            Self::Error => 0x01,
            Self::OperationMismatch => 0x02,
            Self::OperationDisturbed => 0x03,
            Self::EndOfFile => 0xFF,
            Self::Other(b) => b,
        }
    }

    /// Whether the operation succeeded (end of file is a success: the last bytes came).
    pub fn is_ok(self) -> bool {
        matches!(self, Self::Ok | Self::EndOfFile)
    }
}

/// An NVM Backup/Restore response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NvmResponse {
    /// How it went.
    pub status: NvmStatus,
    /// Open: the NVM size; Read and Write: the offset.
    pub offset_or_size: u16,
    /// Read: the bytes read.
    pub data: Vec<u8>,
}

impl NvmResponse {
    /// The response payload; a response without data and without offset is still sent with
    /// both fields, as 700-series sticks do.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let length = u8::try_from(self.data.len()).map_err(|_| Error::Malformed {
            function: NVM_BACKUP_RESTORE,
            reason: "NVM read longer than 255 bytes".into(),
        })?;
        let [hi, lo] = self.offset_or_size.to_be_bytes();
        let mut out = vec![self.status.to_byte(), length, hi, lo];
        out.extend_from_slice(&self.data);
        Ok(out)
    }

    /// Reads a response payload: status and length at least; offset/size when present; then
    /// exactly `length` bytes of data.
    pub fn decode(payload: &[u8]) -> Result<Self> {
        const F: u8 = NVM_BACKUP_RESTORE;
        match payload {
            [] | [_] => Err(Error::Truncated { function: F }),
            [status, 0] => Ok(Self {
                status: NvmStatus::from_byte(*status),
                offset_or_size: 0,
                data: Vec::new(),
            }),
            [_, _, _] => Err(Error::Truncated { function: F }),
            [status, length, hi, lo, data @ ..] => {
                let length = usize::from(*length);
                if data.len() < length {
                    return Err(Error::Truncated { function: F });
                }
                if data.len() > length {
                    return Err(Error::TrailingBytes {
                        function: F,
                        count: data.len() - length,
                    });
                }
                Ok(Self {
                    status: NvmStatus::from_byte(*status),
                    offset_or_size: u16::from_be_bytes([*hi, *lo]),
                    data: data.to_vec(),
                })
            }
            [_, _] => Err(Error::Truncated { function: F }),
        }
    }
}

/// GetNVMId response: which memory the 500-series chip keeps its network in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvmId {
    /// The first byte, which zwave-js does not read (kept so encode mirrors decode).
    pub reserved: u8,
    /// The memory's manufacturer.
    pub manufacturer: u8,
    /// 0x80 flash, 0x81 data flash, 0xFF EEPROM.
    pub memory_type: u8,
    /// The size as a power of two (see [`NvmId::size`]).
    pub memory_size: u8,
}

impl NvmId {
    /// The smallest and largest size codes zwave-js knows (16 KiB and 16 MiB).
    const SIZE_CODES: core::ops::RangeInclusive<u8> = 0x0E..=0x18;

    /// The NVM size in bytes, `None` for an unknown size code (0xFF: the chip could not tell).
    pub fn size(&self) -> Option<u32> {
        Self::SIZE_CODES
            .contains(&self.memory_size)
            .then(|| 1u32 << self.memory_size)
    }

    /// The response payload.
    pub fn encode(&self) -> Vec<u8> {
        vec![
            self.reserved,
            self.manufacturer,
            self.memory_type,
            self.memory_size,
        ]
    }

    /// Reads the four-byte response.
    pub fn decode(payload: &[u8]) -> Result<Self> {
        const F: u8 = GET_NVM_ID;
        match payload {
            [reserved, manufacturer, memory_type, memory_size] => Ok(Self {
                reserved: *reserved,
                manufacturer: *manufacturer,
                memory_type: *memory_type,
                memory_size: *memory_size,
            }),
            [_, _, _, _, rest @ ..] => Err(Error::TrailingBytes {
                function: F,
                count: rest.len(),
            }),
            _ => Err(Error::Truncated { function: F }),
        }
    }
}

/// NVM Ext Read Long Buffer request: `length` bytes at a 24-bit `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtReadRequest {
    /// Where from (below 2^24).
    pub offset: u32,
    /// Bytes wanted.
    pub length: u16,
}

impl ExtReadRequest {
    /// The request payload; an offset at or above 2^24 is refused.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let [top, hi, mid, lo] = self.offset.to_be_bytes();
        if top != 0 {
            return Err(Error::Malformed {
                function: NVM_EXT_READ_LONG_BUFFER,
                reason: "NVM offset beyond 24 bits".into(),
            });
        }
        let [len_hi, len_lo] = self.length.to_be_bytes();
        Ok(vec![hi, mid, lo, len_hi, len_lo])
    }

    /// Reads the five-byte request.
    pub fn decode(payload: &[u8]) -> Result<Self> {
        const F: u8 = NVM_EXT_READ_LONG_BUFFER;
        match payload {
            [hi, mid, lo, len_hi, len_lo] => Ok(Self {
                offset: u32::from_be_bytes([0, *hi, *mid, *lo]),
                length: u16::from_be_bytes([*len_hi, *len_lo]),
            }),
            [_, _, _, _, _, rest @ ..] => Err(Error::TrailingBytes {
                function: F,
                count: rest.len(),
            }),
            _ => Err(Error::Truncated { function: F }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn read_request_layout_is_length_then_offset_big_endian() {
        let bytes = NvmOperation::Read {
            length: 0x30,
            offset: 0x1234,
        }
        .encode()
        .unwrap();
        assert_eq!(bytes, [0x01, 0x30, 0x12, 0x34]);
        assert_eq!(
            ExtReadRequest {
                offset: 0x01_0203,
                length: 0x0405
            }
            .encode()
            .unwrap(),
            [0x01, 0x02, 0x03, 0x04, 0x05]
        );
    }

    #[test]
    fn open_response_carries_the_size_and_close_may_be_short() {
        let open = NvmResponse::decode(&[0x00, 0x00, 0xC0, 0x00]).unwrap();
        assert_eq!(open.status, NvmStatus::Ok);
        assert_eq!(open.offset_or_size, 0xC000);
        let close = NvmResponse::decode(&[0x00, 0x00]).unwrap();
        assert!(close.status.is_ok());
        assert!(NvmResponse::decode(&[0x00]).is_err());
        assert!(NvmResponse::decode(&[0x00, 0x00, 0x00]).is_err());
    }

    #[test]
    fn a_read_response_must_hold_exactly_its_length() {
        assert_eq!(
            NvmResponse::decode(&[0xFF, 2, 0, 4, 0xAA, 0xBB]).unwrap(),
            NvmResponse {
                status: NvmStatus::EndOfFile,
                offset_or_size: 4,
                data: vec![0xAA, 0xBB],
            }
        );
        assert_eq!(
            NvmResponse::decode(&[0x00, 3, 0, 4, 0xAA, 0xBB]),
            Err(Error::Truncated {
                function: NVM_BACKUP_RESTORE
            })
        );
        assert_eq!(
            NvmResponse::decode(&[0x00, 1, 0, 4, 0xAA, 0xBB]),
            Err(Error::TrailingBytes {
                function: NVM_BACKUP_RESTORE,
                count: 1
            })
        );
        // A length with no room for the offset is cut short.
        assert!(NvmResponse::decode(&[0x00, 1]).is_err());
    }

    #[test]
    fn nvm_id_sizes_are_powers_of_two_and_unknown_is_none() {
        let id = |memory_size| NvmId {
            reserved: 0,
            manufacturer: 0xEF,
            memory_type: 0x80,
            memory_size,
        };
        assert_eq!(id(0x0E).size(), Some(16 * 1024));
        assert_eq!(id(0x11).size(), Some(128 * 1024));
        assert_eq!(id(0xFF).size(), None);
        assert_eq!(id(0x00).size(), None);
        assert!(NvmId::decode(&[0, 0xEF, 0x80]).is_err());
        assert!(NvmId::decode(&[0, 0xEF, 0x80, 0x0F, 0]).is_err());
    }

    proptest! {
        #[test]
        fn operations_round_trip(op in prop_oneof![
            Just(NvmOperation::Open),
            Just(NvmOperation::Close),
            (any::<u8>(), any::<u16>()).prop_map(|(length, offset)| NvmOperation::Read { length, offset }),
            (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..=255))
                .prop_map(|(offset, data)| NvmOperation::Write { offset, data }),
        ]) {
            prop_assert_eq!(NvmOperation::decode(&op.encode().unwrap()).unwrap(), op);
        }

        #[test]
        fn responses_round_trip(
            status in any::<u8>(),
            offset_or_size in any::<u16>(),
            data in proptest::collection::vec(any::<u8>(), 0..=248),
        ) {
            let r = NvmResponse { status: NvmStatus::from_byte(status), offset_or_size, data };
            prop_assert_eq!(NvmResponse::decode(&r.encode().unwrap()).unwrap(), r);
        }

        #[test]
        fn ext_reads_round_trip(offset in 0u32..(1 << 24), length in any::<u16>()) {
            let r = ExtReadRequest { offset, length };
            prop_assert_eq!(ExtReadRequest::decode(&r.encode().unwrap()).unwrap(), r);
        }

        #[test]
        fn any_bytes_decode_or_refuse_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(r) = NvmResponse::decode(&bytes) {
                // What decodes re-encodes to the same bytes, except the short two-byte form.
                if bytes.len() >= 4 {
                    prop_assert_eq!(r.encode().unwrap(), bytes.clone());
                }
            }
            let _ = NvmOperation::decode(&bytes);
            let _ = NvmId::decode(&bytes);
            let _ = ExtReadRequest::decode(&bytes);
        }
    }
}
