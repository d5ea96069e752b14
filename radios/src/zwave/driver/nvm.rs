//! Backing up the controller's NVM: the network the chip keeps (home id, nodes, routes, its
//! keys) as one image, read over the Serial API the way zwave-js' `backupNVMRaw` reads it, so a
//! dead stick's network can be put on a new one.
//!
//! Which interface a stick has is read from GetSerialApiCapabilities, not guessed from its
//! version:
//!
//! - NVM Backup/Restore (0x2E, 700/800 series): Open (answers the size, 0 meaning 64 KiB as in
//!   Silicon Labs' Serial API firmware), Read in chunks until
//!   the stick says end of file, Close. The first read asks for 255 bytes; the stick answers
//!   what it can do in one frame and that length is used for the rest (48 if it answered
//!   nothing, as zwave-js does). A failed read still closes the NVM, so the chip resumes.
//! - GetNVMId (0x29) and NVM Ext Read Long Buffer (0x2A, 500 series): the size from the id,
//!   then reads with a 24-bit offset; the first asks for as much as possible and the answer's
//!   length becomes the chunk size.
//!
//! Every status and length is checked: a chunk that is not where it was asked for, longer than
//! asked, an end of file before the size, or a read that brings nothing fails the backup with a
//! typed [`NvmError`] instead of returning a silently short image. Every step is a Serial API
//! transaction with the driver's timeouts, and an unplugged stick fails the step at once with
//! [`Error::StickLost`], so a backup never hangs.
//!
//! Not done here: zwave-js turns the radio off for the backup so the chip does not write to
//! its NVM meanwhile; 800-series NVMs above 64 KiB need the extended operations (0x3D) with
//! 32-bit offsets; restore is not implemented yet.

use super::{Client, Error, Op, Reply};
use crate::zwave::serial::frame::FrameType;
use crate::zwave::serial::messages::nvm::{
    ExtReadRequest, GET_NVM_ID, NVM_BACKUP_RESTORE, NVM_EXT_READ_LONG_BUFFER, NvmId, NvmOperation,
    NvmResponse, NvmStatus,
};
use crate::zwave::serial::messages::{self, HostMessage, StickMessage};

/// The chunk size to fall back to when a stick answers an oversized read with nothing
/// (zwave-js' choice, which every stick it meets can do).
const FALLBACK_CHUNK: usize = 48;

/// How the image was read, which is also what a restore has to write it back with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NvmFormat {
    /// 700/800 series, through NVM Backup/Restore (an NVM3 image).
    BackupRestore,
    /// 500 series, through the extended NVM functions (a raw external NVM image).
    ExtendedNvm {
        /// The memory's manufacturer, from GetNVMId.
        manufacturer: u8,
        /// The memory type, from GetNVMId (0x80 flash, 0x81 data flash, 0xFF EEPROM).
        memory_type: u8,
    },
}

/// A controller's NVM image and where it came from. The bytes hold the network keys the chip
/// keeps, so the backup is wiped from memory when dropped; store it sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct NvmBackup {
    /// Which interface read it.
    pub format: NvmFormat,
    /// The controller's library text ("Z-Wave 7.18"), since NVM layouts change with SDKs.
    pub library_version: String,
    /// The image, from offset 0 to the size the stick reported.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for NvmBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvmBackup")
            .field("format", &self.format)
            .field("library_version", &self.library_version)
            .field("len", &self.data.len())
            .finish_non_exhaustive()
    }
}

impl Drop for NvmBackup {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.data);
    }
}

/// Which step of the backup failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NvmStep {
    /// Opening the NVM (700/800) or reading its id (500).
    Open,
    /// Reading a chunk.
    Read,
    /// Closing the NVM.
    Close,
}

/// Why a backup failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NvmError {
    /// The stick failed (unplugged, timed out, refused): see the driver's error.
    #[error(transparent)]
    Stick(#[from] Error),
    /// The stick lists neither NVM interface.
    #[error("the Z-Wave stick offers no NVM backup")]
    NotSupported,
    /// The stick answered a step with an error status.
    #[error("the Z-Wave stick reported {status:?} at NVM {step:?} (offset {offset})")]
    Status {
        /// The step.
        step: NvmStep,
        /// Where the backup was.
        offset: u32,
        /// What the stick said.
        status: NvmStatus,
    },
    /// GetNVMId gave a size code this driver does not know.
    #[error("the Z-Wave stick reports an unknown NVM size (code {0:#04x})")]
    UnknownSize(u8),
    /// A chunk did not fit what was asked: another offset, more bytes than asked or than are
    /// left, or none at all.
    #[error("the Z-Wave stick answered an NVM read at {offset} with {got} bytes at {at}")]
    BadChunk {
        /// Where the read was asked for.
        offset: u32,
        /// Where the stick said it read.
        at: u32,
        /// How many bytes came.
        got: usize,
    },
    /// The stick said end of file before the size it had reported.
    #[error("the Z-Wave stick ended the NVM at {offset} of {size} bytes")]
    EndedEarly {
        /// Bytes read.
        offset: u32,
        /// The size it reported.
        size: u32,
    },
    /// An answer could not be read.
    #[error(transparent)]
    Message(#[from] messages::Error),
}

/// Result of a backup.
pub type NvmResult<T> = core::result::Result<T, NvmError>;

/// Reads the controller's NVM (see the module docs).
pub(super) async fn backup(client: &Client) -> NvmResult<NvmBackup> {
    let StickMessage::SerialApiCapabilities(capabilities) =
        query(client, HostMessage::GetSerialApiCapabilities).await?
    else {
        return Err(Error::UnexpectedResponse("GetSerialApiCapabilities").into());
    };
    let StickMessage::ControllerVersion(version) =
        query(client, HostMessage::GetControllerVersion).await?
    else {
        return Err(Error::UnexpectedResponse("GetControllerVersion").into());
    };
    let (format, data) = if capabilities.supports(NVM_BACKUP_RESTORE) {
        (NvmFormat::BackupRestore, backup_restore(client).await?)
    } else if capabilities.supports(GET_NVM_ID) && capabilities.supports(NVM_EXT_READ_LONG_BUFFER) {
        extended_nvm(client).await?
    } else {
        return Err(NvmError::NotSupported);
    };
    Ok(NvmBackup {
        format,
        library_version: version.library_version,
        data,
    })
}

async fn query(client: &Client, message: HostMessage) -> Result<StickMessage, Error> {
    match client.request(Op::Query(message)).await? {
        Reply::Response(response) => Ok(response),
        _ => Err(Error::UnexpectedResponse("an NVM query")),
    }
}

/// Sends a raw request under `function` and returns its response payload.
async fn raw(
    client: &Client,
    function: u8,
    payload: Vec<u8>,
    name: &'static str,
) -> Result<Vec<u8>, Error> {
    match query(client, HostMessage::Unknown { function, payload }).await? {
        StickMessage::Unknown {
            frame_type: FrameType::Response,
            function: f,
            payload,
        } if f == function => Ok(payload),
        _ => Err(Error::UnexpectedResponse(name)),
    }
}

async fn operation(client: &Client, op: NvmOperation) -> NvmResult<NvmResponse> {
    let payload = raw(
        client,
        NVM_BACKUP_RESTORE,
        op.encode()?,
        "NVM Backup/Restore",
    )
    .await?;
    Ok(NvmResponse::decode(&payload)?)
}

/// 700/800 series: open, read to the end, close; closes on a failed read too.
async fn backup_restore(client: &Client) -> NvmResult<Vec<u8>> {
    let open = operation(client, NvmOperation::Open).await?;
    if open.status != NvmStatus::Ok {
        return Err(NvmError::Status {
            step: NvmStep::Open,
            offset: 0,
            status: open.status,
        });
    }
    // The 16-bit size field cannot hold 64 KiB; Silicon Labs' firmware sends 0 for it.
    let size = match open.offset_or_size {
        0 => 0x1_0000,
        size => u32::from(size),
    };
    let read = read_all(client, size).await;
    let close = operation(client, NvmOperation::Close).await;
    let data = read?;
    let close = close?;
    if !close.status.is_ok() {
        return Err(NvmError::Status {
            step: NvmStep::Close,
            offset: u32::try_from(data.len()).unwrap_or(u32::MAX),
            status: close.status,
        });
    }
    Ok(data)
}

async fn read_all(client: &Client, size: u32) -> NvmResult<Vec<u8>> {
    let size_usize = usize::try_from(size).unwrap_or(usize::MAX);
    let mut data = Vec::with_capacity(size_usize);
    let mut chunk: Option<usize> = None;
    loop {
        let offset = data.len();
        let at = u32::try_from(offset).unwrap_or(u32::MAX);
        let left = size_usize - offset;
        let want = chunk.unwrap_or(usize::from(u8::MAX)).min(left);
        let length = u8::try_from(want).unwrap_or(u8::MAX);
        let Ok(offset16) = u16::try_from(offset) else {
            return Err(NvmError::BadChunk {
                offset: at,
                at,
                got: 0,
            });
        };
        let response = operation(
            client,
            NvmOperation::Read {
                length,
                offset: offset16,
            },
        )
        .await?;
        if !response.status.is_ok() {
            return Err(NvmError::Status {
                step: NvmStep::Read,
                offset: at,
                status: response.status,
            });
        }
        let got = response.data.len();
        if chunk.is_none() && got == 0 && response.status == NvmStatus::Ok {
            // The stick cannot do this length in one frame and said nothing: fall back.
            chunk = Some(FALLBACK_CHUNK);
            continue;
        }
        if got == 0 && response.status == NvmStatus::EndOfFile {
            return Err(NvmError::EndedEarly { offset: at, size });
        }
        if response.offset_or_size != offset16 || got > usize::from(length) || got == 0 {
            return Err(NvmError::BadChunk {
                offset: at,
                at: u32::from(response.offset_or_size),
                got,
            });
        }
        chunk.get_or_insert(got);
        data.extend_from_slice(&response.data);
        let done = data.len() == size_usize;
        match (response.status, done) {
            (NvmStatus::EndOfFile, true) => return Ok(data),
            (NvmStatus::EndOfFile, false) => {
                return Err(NvmError::EndedEarly {
                    offset: u32::try_from(data.len()).unwrap_or(u32::MAX),
                    size,
                });
            }
            // A stick that stops at the size without saying end of file is done too.
            (_, true) => return Ok(data),
            (_, false) => {}
        }
    }
}

/// 500 series: the size from GetNVMId, then Ext Read Long Buffer to the end.
async fn extended_nvm(client: &Client) -> NvmResult<(NvmFormat, Vec<u8>)> {
    let id = NvmId::decode(&raw(client, GET_NVM_ID, Vec::new(), "GetNVMId").await?)?;
    let size = id.size().ok_or(NvmError::UnknownSize(id.memory_size))?;
    let size_usize = usize::try_from(size).unwrap_or(usize::MAX);
    let mut data = Vec::with_capacity(size_usize);
    let mut chunk: Option<usize> = None;
    while data.len() < size_usize {
        let offset = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let left = size_usize - data.len();
        let want = chunk.unwrap_or(usize::from(u16::MAX)).min(left);
        let length = u16::try_from(want).unwrap_or(u16::MAX);
        let request = ExtReadRequest { offset, length };
        let bytes = raw(
            client,
            NVM_EXT_READ_LONG_BUFFER,
            request.encode()?,
            "NVM Ext Read Long Buffer",
        )
        .await?;
        if chunk.is_none() && bytes.is_empty() {
            chunk = Some(FALLBACK_CHUNK);
            continue;
        }
        if bytes.is_empty() || bytes.len() > usize::from(length) {
            return Err(NvmError::BadChunk {
                offset,
                at: offset,
                got: bytes.len(),
            });
        }
        chunk.get_or_insert(bytes.len());
        data.extend_from_slice(&bytes);
    }
    Ok((
        NvmFormat::ExtendedNvm {
            manufacturer: id.manufacturer,
            memory_type: id.memory_type,
        },
        data,
    ))
}
