//! The backup file: a fixed 90-byte header in the clear, then the snapshot encrypted with
//! AES-256-GCM. Pure functions over bytes; reading and writing the file is the binary's job.
//!
//! ```text
//! offset len  field
//!  0      8   magic "SHBACKUP"
//!  8      1   format version (1)
//!  9      1   key derivation: 1 = Argon2id v1.3
//! 10     12   Argon2id m (KiB), t, p: u32 big-endian each
//! 22     16   Argon2id salt (random)
//! 38      8   store generation at backup time, u64 big-endian
//! 46      8   creation time, Unix seconds, u64 big-endian
//! 54     16   key check: HKDF-SHA-256(master, "sealhub/backup/v1/key-check"), 16 bytes
//! 70      8   body length (ciphertext and tag), u64 big-endian
//! 78     12   AES-GCM nonce (random)
//! 90      …   AES-256-GCM(body key, nonce, AAD = bytes 0..90, snapshot)
//! ```
//!
//! master = Argon2id(passphrase, salt, m, t, p), 32 bytes; body key =
//! HKDF-SHA-256(master, "sealhub/backup/v1/body"), 32 bytes. The key check tells a wrong
//! passphrase from a damaged file; the whole header is the AAD, so changing any byte of it or
//! of the body fails authentication.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{Error, Result};
use crate::crypto::{
    AeadKey, GCM_NONCE_LEN, GCM_TAG_LEN, aes_gcm_open, aes_gcm_seal, hkdf_sha256, random_array,
};
use crate::store::{ARGON2_SALT_LEN, Argon2Params, derive_passphrase_kek};

/// The first bytes of every backup file.
pub const MAGIC: [u8; 8] = *b"SHBACKUP";
/// The header layout this build reads and writes.
pub const FORMAT_VERSION: u8 = 1;
/// Key derivation id: Argon2id, version 0x13.
const KDF_ARGON2ID: u8 = 1;
/// Length of the header, which is also the AAD of the body.
pub const HEADER_LEN: usize = 90;
/// The largest backup file accepted (the store holds keys and small records).
pub const MAX_FILE_LEN: u64 = 256 * 1024 * 1024;
/// Length of the key check.
const KEY_CHECK_LEN: usize = 16;

const BODY_KEY_INFO: &[u8] = b"sealhub/backup/v1/body";
const KEY_CHECK_INFO: &[u8] = b"sealhub/backup/v1/key-check";

/// Bounds on the Argon2id costs a file may ask for, tighter than the store's: the file comes
/// from outside and the cost is paid before anything authenticates.
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 16;
const MAX_P: u32 = 4;

/// The Argon2id costs of new backups: 64 MiB, 3 passes, 1 lane (above the store's default,
/// since a backup file leaves the hub and can be attacked offline; a few seconds on a Pi).
pub const DEFAULT_KDF: Argon2Params = Argon2Params {
    m_kib: 64 * 1024,
    t: 3,
    p: 1,
};

/// What the header of a backup says, parsed and range-checked but not yet authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupHeader {
    /// Argon2id costs.
    pub kdf: Argon2Params,
    /// Argon2id salt.
    pub salt: [u8; ARGON2_SALT_LEN],
    /// The store's generation when the backup was taken (see [`super::store_generation`]).
    pub generation: u64,
    /// When the backup was taken, Unix seconds.
    pub created_unix_secs: u64,
    key_check: [u8; KEY_CHECK_LEN],
    body_len: u64,
    nonce: [u8; GCM_NONCE_LEN],
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(b)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_be_bytes(b)
}

impl BackupHeader {
    /// Parses the header of `file` and checks the file's length against it. Refuses, in this
    /// order: a file too large, no magic, another version, another key derivation or costs
    /// out of range, a length other than the header's.
    pub fn decode(file: &[u8]) -> Result<BackupHeader> {
        let len = file.len() as u64;
        if len > MAX_FILE_LEN {
            return Err(Error::TooLarge {
                len,
                max: MAX_FILE_LEN,
            });
        }
        if file.len() < MAGIC.len() + 1 || file[..MAGIC.len()] != MAGIC {
            return Err(if MAGIC.starts_with(file) && !file.is_empty() {
                Error::Truncated {
                    expected: HEADER_LEN as u64,
                    found: len,
                }
            } else {
                Error::NotABackup
            });
        }
        if file[8] != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                found: file[8],
                supported: FORMAT_VERSION,
            });
        }
        if file.len() < HEADER_LEN {
            return Err(Error::Truncated {
                expected: HEADER_LEN as u64,
                found: len,
            });
        }
        if file[9] != KDF_ARGON2ID {
            return Err(Error::InvalidKdf {
                what: "unknown key derivation function",
            });
        }
        let kdf = Argon2Params {
            m_kib: u32_at(file, 10),
            t: u32_at(file, 14),
            p: u32_at(file, 18),
        };
        check_kdf(kdf)?;
        let mut salt = [0u8; ARGON2_SALT_LEN];
        salt.copy_from_slice(&file[22..38]);
        let mut key_check = [0u8; KEY_CHECK_LEN];
        key_check.copy_from_slice(&file[54..70]);
        let body_len = u64_at(file, 70);
        let mut nonce = [0u8; GCM_NONCE_LEN];
        nonce.copy_from_slice(&file[78..90]);
        let expected = (HEADER_LEN as u64).saturating_add(body_len);
        if expected != len || body_len < GCM_TAG_LEN as u64 {
            return Err(Error::Truncated {
                expected,
                found: len,
            });
        }
        Ok(BackupHeader {
            kdf,
            salt,
            generation: u64_at(file, 38),
            created_unix_secs: u64_at(file, 46),
            key_check,
            body_len,
            nonce,
        })
    }

    /// The header's bytes, the mirror of [`BackupHeader::decode`].
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(&MAGIC);
        out[8] = FORMAT_VERSION;
        out[9] = KDF_ARGON2ID;
        out[10..14].copy_from_slice(&self.kdf.m_kib.to_be_bytes());
        out[14..18].copy_from_slice(&self.kdf.t.to_be_bytes());
        out[18..22].copy_from_slice(&self.kdf.p.to_be_bytes());
        out[22..38].copy_from_slice(&self.salt);
        out[38..46].copy_from_slice(&self.generation.to_be_bytes());
        out[46..54].copy_from_slice(&self.created_unix_secs.to_be_bytes());
        out[54..70].copy_from_slice(&self.key_check);
        out[70..78].copy_from_slice(&self.body_len.to_be_bytes());
        out[78..90].copy_from_slice(&self.nonce);
        out
    }
}

/// Refuses Argon2id costs a backup may not ask for.
fn check_kdf(kdf: Argon2Params) -> Result<()> {
    if !(8..=MAX_M_KIB).contains(&kdf.m_kib) {
        return Err(Error::InvalidKdf {
            what: "memory cost out of range",
        });
    }
    if !(1..=MAX_T).contains(&kdf.t) {
        return Err(Error::InvalidKdf {
            what: "pass count out of range",
        });
    }
    if !(1..=MAX_P).contains(&kdf.p) || kdf.m_kib < 8 * kdf.p {
        return Err(Error::InvalidKdf {
            what: "lane count out of range",
        });
    }
    Ok(())
}

/// The body key and the key check from the passphrase and the header's salt and costs.
fn derive(
    passphrase: &str,
    salt: &[u8; ARGON2_SALT_LEN],
    kdf: Argon2Params,
) -> Result<(AeadKey, Zeroizing<Vec<u8>>)> {
    let master = derive_passphrase_kek(passphrase, salt, kdf)?;
    let body = hkdf_sha256(None, master.as_bytes(), BODY_KEY_INFO, 32)?;
    let check = hkdf_sha256(None, master.as_bytes(), KEY_CHECK_INFO, KEY_CHECK_LEN)?;
    Ok((AeadKey::from_slice(&body)?, check))
}

/// Encrypts `snapshot` into a backup file under `passphrase`.
pub fn seal(
    snapshot: &[u8],
    passphrase: &str,
    kdf: Argon2Params,
    generation: u64,
    created_unix_secs: u64,
) -> Result<Vec<u8>> {
    check_kdf(kdf)?;
    let salt = random_array::<ARGON2_SALT_LEN>()?;
    let nonce = random_array::<GCM_NONCE_LEN>()?;
    let (body_key, check) = derive(passphrase, &salt, kdf)?;
    let mut key_check = [0u8; KEY_CHECK_LEN];
    key_check.copy_from_slice(&check);
    let header = BackupHeader {
        kdf,
        salt,
        generation,
        created_unix_secs,
        key_check,
        body_len: (snapshot.len() + GCM_TAG_LEN) as u64,
        nonce,
    };
    let aad = header.encode();
    let body = aes_gcm_seal(&body_key, &nonce, &aad, snapshot)?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&aad);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks and decrypts a backup file: its header, then the passphrase against the key check,
/// then the body against the whole header. Returns the header and the snapshot's bytes.
pub fn open(file: &[u8], passphrase: &str) -> Result<(BackupHeader, Zeroizing<Vec<u8>>)> {
    let header = BackupHeader::decode(file)?;
    let (body_key, check) = derive(passphrase, &header.salt, header.kdf)?;
    if !bool::from(check.as_slice().ct_eq(&header.key_check)) {
        return Err(Error::WrongPassphrase);
    }
    let plain = aes_gcm_open(
        &body_key,
        &header.nonce,
        &file[..HEADER_LEN],
        &file[HEADER_LEN..],
    )
    .map_err(|_| Error::Tampered)?;
    Ok((header, plain))
}
