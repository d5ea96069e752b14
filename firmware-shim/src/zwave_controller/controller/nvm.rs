//! The emulated chip's NVM and the Serial API functions that read it, so a host's NVM backup
//! can be tested end to end: NVM Backup/Restore (0x2E) on a 700/800-series chip, GetNVMId
//! (0x29) and NVM Ext Read Long Buffer (0x2A) on a 500-series one. Which set the chip has
//! follows its chip type ([`super::ControllerConfig::chip`], 0x05 for 500 series), as on real
//! sticks, and only that set is announced in GetSerialApiCapabilities.
//!
//! The image is not a real NVM3 or 500-series layout; it is deterministic and holds what the
//! network is, so a test can compare a backup byte for byte and see that it is this network's:
//!
//! ```text
//! 0   "SHNV"          magic
//! 4   0x01            layout version
//! 5   home id         u32 BE
//! 9   own node id
//! 10  node mask       29 bytes, bit n of byte k = node 8k+n+1 (as in GetSerialApiInitData)
//! 39  per node, by id: node id, NIF length, NIF (basic, generic, specific, command classes)
//! …   filler          xorshift32 seeded with the home id (stands in for routes, keys, …)
//! ```
//!
//! Like a real chip, a read returns at most [`READ_CHUNK`] bytes however many were asked, the
//! 700-series chip refuses reads while the NVM is not open, and the 500-series chip answers a
//! read longer than 255 bytes with nothing (as some SDKs do; hosts then fall back to smaller
//! chunks). Writing (restore) is refused.

use sealhub_radios::zwave::serial::frame::FrameType;
use sealhub_radios::zwave::serial::messages::nvm::{
    ExtReadRequest, GET_NVM_ID, NVM_BACKUP_RESTORE, NVM_EXT_READ_LONG_BUFFER, NvmId, NvmOperation,
    NvmResponse, NvmStatus,
};
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};

use super::Controller;

/// The NVM size of the emulated 700/800-series chip (real ones have some 48 KiB; smaller keeps
/// tests quick and still takes many chunks).
pub const NVM_SIZE_700: u16 = 0x2000;
/// The GetNVMId size code of the emulated 500-series chip: 2^14 = 16 KiB.
pub const NVM_SIZE_CODE_500: u8 = 0x0E;
/// The most bytes one read returns.
pub const READ_CHUNK: usize = 64;

const MAGIC: &[u8; 4] = b"SHNV";
const LAYOUT_VERSION: u8 = 0x01;
/// What the 500-series chip's GetNVMId says besides the size: a flash part.
const NVM_MANUFACTURER: u8 = 0xEF;
const NVM_TYPE_FLASH: u8 = 0x80;

/// The functions of the NVM interface a chip of this type has.
pub fn nvm_functions(chip: [u8; 2]) -> &'static [u8] {
    if is_500_series(chip) {
        &[GET_NVM_ID, NVM_EXT_READ_LONG_BUFFER]
    } else {
        &[NVM_BACKUP_RESTORE]
    }
}

fn is_500_series(chip: [u8; 2]) -> bool {
    chip[0] < 0x07
}

/// Whether the 700-series NVM is open for reading (RAM state: lost on restart).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct NvmSession {
    /// The image as it was when opened.
    open: Option<Vec<u8>>,
}

impl Controller {
    /// The NVM image as it is now (see the module docs for its layout).
    pub fn nvm_image(&self) -> Vec<u8> {
        let size = if is_500_series(self.config.chip) {
            1usize << NVM_SIZE_CODE_500
        } else {
            usize::from(NVM_SIZE_700)
        };
        let mut image = Vec::with_capacity(size);
        image.extend_from_slice(MAGIC);
        image.push(LAYOUT_VERSION);
        image.extend_from_slice(&self.config.home_id.to_be_bytes());
        image.push(self.config.node_id);
        let mut mask = [0u8; 29];
        for id in self.node_ids() {
            let bit = usize::from(id.saturating_sub(1));
            if let Some(byte) = mask.get_mut(bit / 8) {
                *byte |= 1 << (bit % 8);
            }
        }
        image.extend_from_slice(&mask);
        for (id, node) in &self.nodes {
            let nif = node.node_info();
            let nif = &nif[..nif.len().min(usize::from(u8::MAX))];
            image.push(*id);
            image.push(u8::try_from(nif.len()).unwrap_or(u8::MAX));
            image.extend_from_slice(nif);
        }
        let mut state = self.config.home_id | 1;
        while image.len() < size {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            image.push(state.to_le_bytes()[0]);
        }
        image.truncate(size);
        image
    }

    /// Answers the NVM functions of this chip's type; `None` for any other message.
    pub(super) fn handle_nvm(&mut self, message: &HostMessage) -> Option<Vec<StickMessage>> {
        let HostMessage::Unknown { function, payload } = message else {
            return None;
        };
        if !nvm_functions(self.config.chip).contains(function) {
            return None;
        }
        let answer = match *function {
            NVM_BACKUP_RESTORE => self.backup_restore(payload),
            GET_NVM_ID => NvmId {
                reserved: 0,
                manufacturer: NVM_MANUFACTURER,
                memory_type: NVM_TYPE_FLASH,
                memory_size: NVM_SIZE_CODE_500,
            }
            .encode(),
            _ => self.ext_read(payload),
        };
        Some(vec![StickMessage::Unknown {
            frame_type: FrameType::Response,
            function: *function,
            payload: answer,
        }])
    }

    fn backup_restore(&mut self, payload: &[u8]) -> Vec<u8> {
        let answer = |status, offset_or_size, data| NvmResponse {
            status,
            offset_or_size,
            data,
        };
        let response = match NvmOperation::decode(payload) {
            Ok(NvmOperation::Open) => {
                let image = self.nvm_image();
                let size = u16::try_from(image.len()).unwrap_or(u16::MAX);
                self.nvm.open = Some(image);
                answer(NvmStatus::Ok, size, Vec::new())
            }
            Ok(NvmOperation::Read { length, offset }) => match &self.nvm.open {
                None => answer(NvmStatus::OperationMismatch, offset, Vec::new()),
                Some(image) => {
                    let start = usize::from(offset).min(image.len());
                    let end = (start + usize::from(length).min(READ_CHUNK)).min(image.len());
                    let status = if end == image.len() {
                        NvmStatus::EndOfFile
                    } else {
                        NvmStatus::Ok
                    };
                    answer(status, offset, image[start..end].to_vec())
                }
            },
            Ok(NvmOperation::Close) => {
                self.nvm.open = None;
                answer(NvmStatus::Ok, 0, Vec::new())
            }
            Ok(NvmOperation::Write { offset, .. }) => {
                answer(NvmStatus::OperationMismatch, offset, Vec::new())
            }
            Err(_) => answer(NvmStatus::Error, 0, Vec::new()),
        };
        response.encode().unwrap_or_default()
    }

    fn ext_read(&self, payload: &[u8]) -> Vec<u8> {
        let Ok(request) = ExtReadRequest::decode(payload) else {
            return Vec::new();
        };
        if request.length > u16::from(u8::MAX) {
            return Vec::new();
        }
        let image = self.nvm_image();
        let start = usize::try_from(request.offset)
            .unwrap_or(usize::MAX)
            .min(image.len());
        let end = (start + usize::from(request.length).min(READ_CHUNK)).min(image.len());
        image[start..end].to_vec()
    }

    /// The chip restarted: an open NVM is closed.
    pub(super) fn reset_nvm(&mut self) {
        self.nvm = NvmSession::default();
    }
}

#[cfg(test)]
mod tests {
    use super::super::ControllerConfig;
    use super::*;
    use crate::zwave_controller::nodes::SimNode;

    fn response(out: Vec<StickMessage>) -> Vec<u8> {
        match &out[..] {
            [StickMessage::Unknown { payload, .. }] => payload.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn op(c: &mut Controller, op: NvmOperation) -> NvmResponse {
        let message = HostMessage::Unknown {
            function: NVM_BACKUP_RESTORE,
            payload: op.encode().unwrap(),
        };
        NvmResponse::decode(&response(c.handle(&message))).unwrap()
    }

    #[test]
    fn the_image_holds_the_home_id_and_the_nodes_and_changes_with_them() {
        let mut c = Controller::new(ControllerConfig::default());
        let before = c.nvm_image();
        assert_eq!(before.len(), usize::from(NVM_SIZE_700));
        assert_eq!(&before[5..9], &0xC0FF_EE42u32.to_be_bytes());
        assert_eq!(before[10], 0b0000_0001, "only the controller");
        assert_eq!(c.nvm_image(), before, "deterministic");
        let id = c.add_existing(SimNode::binary_switch());
        let after = c.nvm_image();
        assert_eq!(after[10], 0b0000_0011);
        assert_eq!(after[39], id);
        assert_ne!(after, before);
    }

    #[test]
    fn reads_need_an_open_nvm_and_end_with_end_of_file() {
        let mut c = Controller::new(ControllerConfig::default());
        let refused = op(
            &mut c,
            NvmOperation::Read {
                length: 10,
                offset: 0,
            },
        );
        assert_eq!(refused.status, NvmStatus::OperationMismatch);
        let open = op(&mut c, NvmOperation::Open);
        assert_eq!(open.offset_or_size, NVM_SIZE_700);
        let first = op(
            &mut c,
            NvmOperation::Read {
                length: 255,
                offset: 0,
            },
        );
        assert_eq!(first.status, NvmStatus::Ok);
        assert_eq!(first.data.len(), READ_CHUNK);
        let last = op(
            &mut c,
            NvmOperation::Read {
                length: 255,
                offset: NVM_SIZE_700 - 10,
            },
        );
        assert_eq!(last.status, NvmStatus::EndOfFile);
        assert_eq!(last.data.len(), 10);
        assert_eq!(op(&mut c, NvmOperation::Close).status, NvmStatus::Ok);
    }

    #[test]
    fn a_500_series_chip_has_only_the_extended_functions() {
        let mut c = Controller::new(ControllerConfig {
            chip: [0x05, 0x00],
            ..ControllerConfig::default()
        });
        let message = HostMessage::Unknown {
            function: NVM_BACKUP_RESTORE,
            payload: vec![0x00],
        };
        assert!(c.handle(&message).is_empty(), "no 0x2E on a 500");
        let id = NvmId::decode(&response(c.handle(&HostMessage::Unknown {
            function: GET_NVM_ID,
            payload: Vec::new(),
        })))
        .unwrap();
        assert_eq!(id.size(), Some(16 * 1024));
        let read = |length| HostMessage::Unknown {
            function: NVM_EXT_READ_LONG_BUFFER,
            payload: ExtReadRequest { offset: 4, length }.encode().unwrap(),
        };
        assert!(response(c.handle(&read(0xFFFF))).is_empty());
        assert_eq!(response(c.handle(&read(5))), c.nvm_image()[4..9]);
    }
}
