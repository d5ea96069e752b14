//! Key-encryption-key (KEK) sources: where the key that wraps the store key comes from.
//!
//! Three kinds, chosen by the caller's configuration: a 32-byte key file (created by sealhub,
//! mode 0600), a systemd credential (sealed to the TPM or host key by `systemd-creds`, never
//! created by sealhub), or a passphrase stretched with Argon2id. Every KEK lives in an
//! [`AeadKey`], which zeroizes itself on drop.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{Error, Result};
use crate::crypto::{AeadKey, random_array};

/// Length of every KEK and of the store key (AES-256).
pub(crate) const KEY_LEN: usize = 32;

/// Length of the Argon2id salt stored in meta.
pub(crate) const SALT_LEN: usize = 16;

/// Default key file name inside the data directory.
pub const DEFAULT_KEY_FILE_NAME: &str = "store.key";

/// Environment variable systemd sets to the directory holding decrypted credentials.
pub const CREDENTIALS_DIRECTORY_ENV: &str = "CREDENTIALS_DIRECTORY";

/// Which kind of KEK sealed a store; recorded in meta (as the byte value) so that a changed
/// configuration is refused instead of silently re-initialising the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum KekKind {
    /// A 32-byte key file on disk.
    KeyFile = 1,
    /// A systemd credential (`LoadCredentialEncrypted=`).
    SystemdCredential = 2,
    /// An Argon2id-stretched passphrase.
    Passphrase = 3,
}

impl KekKind {
    /// The byte stored in meta and bound into the store-key wrapping AAD.
    pub(crate) fn to_byte(self) -> u8 {
        self as u8
    }

    /// Parses the meta byte; `None` for unknown kinds.
    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(KekKind::KeyFile),
            2 => Some(KekKind::SystemdCredential),
            3 => Some(KekKind::Passphrase),
            _ => None,
        }
    }
}

impl std::fmt::Display for KekKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KekKind::KeyFile => "key file",
            KekKind::SystemdCredential => "systemd credential",
            KekKind::Passphrase => "passphrase",
        })
    }
}

/// Argon2id cost parameters for a passphrase KEK; stored in meta so a store always reopens with
/// the parameters it was created with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory cost in KiB.
    pub m_kib: u32,
    /// Number of passes.
    pub t: u32,
    /// Parallelism (lanes).
    pub p: u32,
}

impl Default for Argon2Params {
    /// 64 MiB, 3 passes, 1 lane: well above OWASP's minimum (19 MiB, 2 passes), so every
    /// guess costs an attacker with the SD card 192 MiB-passes of memory-hard work, while one
    /// unlock at boot takes about a second on a Raspberry Pi 3 or later (which has 1 GiB or
    /// more). Used only when a store is created: a store keeps the parameters it was made
    /// with, recorded in its meta, so stores made with earlier defaults still open.
    fn default() -> Self {
        Self {
            m_kib: 64 * 1024,
            t: 3,
            p: 1,
        }
    }
}

impl Argon2Params {
    /// Encoded length in meta: three big-endian u32.
    pub(crate) const ENCODED_LEN: usize = 12;

    /// Checks bounds (also for values read from a possibly tampered meta, so a hostile disk
    /// cannot make the hub allocate terabytes) and converts to the argon2 crate's type.
    pub(crate) fn to_argon2(self) -> Result<argon2::Params> {
        let invalid = || Error::InvalidArgon2Params {
            m_kib: self.m_kib,
            t: self.t,
            p: self.p,
        };
        let in_range = (8..=4 * 1024 * 1024).contains(&self.m_kib)
            && (1..=64).contains(&self.t)
            && (1..=16).contains(&self.p);
        if !in_range {
            return Err(invalid());
        }
        argon2::Params::new(self.m_kib, self.t, self.p, Some(KEY_LEN)).map_err(|_| invalid())
    }

    /// `m || t || p`, each u32 big-endian.
    pub(crate) fn encode(self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0u8; Self::ENCODED_LEN];
        out[0..4].copy_from_slice(&self.m_kib.to_be_bytes());
        out[4..8].copy_from_slice(&self.t.to_be_bytes());
        out[8..12].copy_from_slice(&self.p.to_be_bytes());
        out
    }

    /// Inverse of [`Argon2Params::encode`]; `None` if the length is wrong.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; Self::ENCODED_LEN] = bytes.try_into().ok()?;
        let word =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        Some(Self {
            m_kib: word(0),
            t: word(4),
            p: word(8),
        })
    }
}

/// Where the key-encryption key comes from; chosen by the caller (configuration).
///
/// `Debug` never shows the passphrase.
#[derive(Clone)]
pub enum KekSource {
    /// 32 random bytes in a file, created with mode 0600 when the store is created and refused
    /// on open if missing or readable by group/others.
    KeyFile(PathBuf),
    /// A systemd credential: `<credentials_dir>/<name>`, 32 raw bytes or 64 hex characters.
    /// `credentials_dir` is `$CREDENTIALS_DIRECTORY` resolved by the caller (see
    /// [`KekSource::systemd_credential_from_env`]); `None` means it was not set.
    SystemdCredential {
        /// The credential name given to `LoadCredentialEncrypted=`.
        name: String,
        /// The directory systemd placed the decrypted credential in.
        credentials_dir: Option<PathBuf>,
    },
    /// A passphrase stretched with Argon2id and a random salt stored in meta.
    Passphrase {
        /// The passphrase (zeroized on drop).
        passphrase: Zeroizing<String>,
        /// Argon2id parameters used only when the store is created; an existing store always
        /// uses the parameters recorded in its meta.
        params: Argon2Params,
    },
}

impl std::fmt::Debug for KekSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KekSource::KeyFile(path) => f.debug_tuple("KeyFile").field(path).finish(),
            KekSource::SystemdCredential {
                name,
                credentials_dir,
            } => f
                .debug_struct("SystemdCredential")
                .field("name", name)
                .field("credentials_dir", credentials_dir)
                .finish(),
            KekSource::Passphrase { params, .. } => f
                .debug_struct("Passphrase")
                .field("passphrase", &"<redacted>")
                .field("params", params)
                .finish(),
        }
    }
}

impl KekSource {
    /// The default: a key file named `store.key` in the data directory.
    pub fn default_key_file(data_dir: &Path) -> Self {
        KekSource::KeyFile(data_dir.join(DEFAULT_KEY_FILE_NAME))
    }

    /// A systemd credential, reading `$CREDENTIALS_DIRECTORY` from the environment now.
    pub fn systemd_credential_from_env(name: impl Into<String>) -> Self {
        KekSource::SystemdCredential {
            name: name.into(),
            credentials_dir: std::env::var_os(CREDENTIALS_DIRECTORY_ENV).map(PathBuf::from),
        }
    }

    /// A passphrase with the default Argon2id parameters.
    pub fn passphrase(passphrase: Zeroizing<String>) -> Self {
        KekSource::Passphrase {
            passphrase,
            params: Argon2Params::default(),
        }
    }

    /// Which kind of KEK this is (compared with the kind recorded in meta).
    pub fn kind(&self) -> KekKind {
        match self {
            KekSource::KeyFile(_) => KekKind::KeyFile,
            KekSource::SystemdCredential { .. } => KekKind::SystemdCredential,
            KekSource::Passphrase { .. } => KekKind::Passphrase,
        }
    }
}

/// Reads an existing key file, refusing it if missing, too open, or not 32 bytes.
/// `store` is only used in the error message.
pub(crate) fn load_key_file(path: &Path, store: &Path) -> Result<AeadKey> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::KeyFileMissing {
                path: path.to_owned(),
                store: store.to_owned(),
            });
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    // Check the owner and mode of the file we actually opened, not of whatever the path points
    // to later.
    let metadata = file.metadata().map_err(|e| Error::io(path, e))?;
    check_owner(metadata.uid(), effective_uid()).map_err(|(owner, uid)| {
        Error::KeyFileNotOwned {
            path: path.to_owned(),
            owner,
            uid,
        }
    })?;
    let mode = metadata.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(Error::KeyFileTooOpen {
            path: path.to_owned(),
            mode: mode & 0o7777,
        });
    }
    if !metadata.is_file() {
        return Err(Error::KeyFileInvalid {
            path: path.to_owned(),
            len: 0,
        });
    }
    let bytes = read_limited(&mut file, path)?;
    if bytes.len() != KEY_LEN {
        return Err(Error::KeyFileInvalid {
            path: path.to_owned(),
            len: bytes.len(),
        });
    }
    Ok(AeadKey::from_slice(&bytes)?)
}

/// The effective uid of this process: who must own the key file and the data directory.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, touches no memory of ours and cannot fail.
    unsafe { libc::geteuid() }
}

/// Checks a file or directory owned by `owner` may hold this process's secrets: it must be
/// this process's own (`uid`). On refusal, returns both for the message.
pub(crate) fn check_owner(owner: u32, uid: u32) -> std::result::Result<(), (u32, u32)> {
    if owner == uid {
        Ok(())
    } else {
        Err((owner, uid))
    }
}

/// Creates a new key file with 32 random bytes and mode 0600, published atomically: the bytes
/// are written and synced to a temporary file first, then hard-linked to `path` (which fails if
/// `path` already exists), so a crash never leaves a short or empty key file behind.
pub(crate) fn create_key_file(path: &Path) -> Result<AeadKey> {
    let key = Zeroizing::new(random_array::<KEY_LEN>()?);
    let file_name = path.file_name().ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::other("key file path has no file name"),
        )
    })?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        hex::encode(random_array::<8>()?)
    ));
    let written = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(key.as_slice())?;
        file.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    // The temporary name is removed whatever happened; `path` (if linked) keeps the data.
    let _ = std::fs::remove_file(&tmp);
    written.map_err(|e| Error::io(path, e))?;
    sync_parent_dir(path)?;
    Ok(AeadKey::from_slice(key.as_slice())?)
}

/// Reads a systemd credential: 32 raw bytes, or 64 hex characters (surrounding whitespace
/// trimmed). sealhub never creates it.
pub(crate) fn load_credential(name: &str, credentials_dir: Option<&Path>) -> Result<AeadKey> {
    let invalid = |reason| Error::CredentialInvalid {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(invalid("the name must be a plain file name"));
    }
    let dir = credentials_dir.ok_or_else(|| Error::CredentialsDirUnset {
        name: name.to_owned(),
    })?;
    let path = dir.join(name);
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::CredentialMissing {
                name: name.to_owned(),
                path,
            });
        }
        Err(e) => return Err(Error::io(&path, e)),
    };
    let bytes = read_limited(&mut file, &path)?;
    if bytes.len() == KEY_LEN {
        return Ok(AeadKey::from_slice(&bytes)?);
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| invalid("wrong length"))?
        .trim();
    if text.len() != 2 * KEY_LEN {
        return Err(invalid("wrong length"));
    }
    let mut decoded = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(text, decoded.as_mut_slice()).map_err(|_| invalid("not hex"))?;
    Ok(AeadKey::from_slice(decoded.as_slice())?)
}

/// Derives the passphrase KEK with Argon2id.
pub(crate) fn derive_passphrase_kek(
    passphrase: &str,
    salt: &[u8; SALT_LEN],
    params: Argon2Params,
) -> Result<AeadKey> {
    if passphrase.is_empty() {
        return Err(Error::EmptyPassphrase);
    }
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params.to_argon2()?,
    );
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut_slice())
        .map_err(|_| Error::InvalidArgon2Params {
            m_kib: params.m_kib,
            t: params.t,
            p: params.p,
        })?;
    Ok(AeadKey::from_slice(out.as_slice())?)
}

/// Reads at most a few bytes more than any valid key encoding, so a huge file is not slurped.
fn read_limited(file: &mut File, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(256));
    file.take(256)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// fsyncs the directory holding `path`, so a newly created file survives a power cut.
pub(crate) fn sync_parent_dir(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(parent, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_params_round_trip_and_hostile_values_are_refused() {
        let p = Argon2Params {
            m_kib: 19456,
            t: 2,
            p: 1,
        };
        assert_eq!(Argon2Params::decode(&p.encode()), Some(p));
        assert_eq!(Argon2Params::decode(&[0u8; 11]), None);
        for bad in [
            Argon2Params {
                m_kib: u32::MAX,
                t: 2,
                p: 1,
            },
            Argon2Params {
                m_kib: 19456,
                t: 0,
                p: 1,
            },
            Argon2Params {
                m_kib: 19456,
                t: 1000,
                p: 1,
            },
            Argon2Params {
                m_kib: 19456,
                t: 2,
                p: 0,
            },
            Argon2Params {
                m_kib: 4,
                t: 2,
                p: 1,
            },
        ] {
            assert!(bad.to_argon2().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passphrase_kek_depends_on_passphrase_and_salt() {
        let params = Argon2Params {
            m_kib: 8,
            t: 1,
            p: 1,
        };
        let a = derive_passphrase_kek("correct horse", &[1; 16], params).expect("kdf");
        let b = derive_passphrase_kek("correct horse", &[1; 16], params).expect("kdf");
        let c = derive_passphrase_kek("correct horsE", &[1; 16], params).expect("kdf");
        let d = derive_passphrase_kek("correct horse", &[2; 16], params).expect("kdf");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert!(matches!(
            derive_passphrase_kek("", &[1; 16], params),
            Err(Error::EmptyPassphrase)
        ));
    }

    #[test]
    fn a_file_owned_by_another_user_is_refused() {
        assert_eq!(check_owner(1000, 1000), Ok(()));
        assert_eq!(check_owner(0, 1000), Err((0, 1000)));
        assert_eq!(check_owner(1001, 1000), Err((1001, 1000)));
        // The key file this process creates is its own, so it passes.
        let dir = crate::store::private_tempdir();
        let path = dir.path().join("store.key");
        create_key_file(&path).expect("create");
        let owner = std::fs::metadata(&path).expect("stat").uid();
        assert_eq!(check_owner(owner, effective_uid()), Ok(()));
    }

    #[test]
    fn created_key_file_is_0600_32_bytes_and_never_overwritten() {
        let dir = crate::store::private_tempdir();
        let path = dir.path().join("store.key");
        let kek = create_key_file(&path).expect("create");
        let meta = std::fs::metadata(&path).expect("metadata");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 32);
        assert_eq!(load_key_file(&path, dir.path()).expect("load"), kek);
        assert!(
            create_key_file(&path).is_err(),
            "an existing key file must not be replaced"
        );
        assert_eq!(load_key_file(&path, dir.path()).expect("load"), kek);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(leftovers.len(), 1, "temporary files are cleaned up");
    }

    #[test]
    fn credential_accepts_raw_or_hex_and_refuses_other_lengths_and_unsafe_names() {
        let dir = crate::store::private_tempdir();
        std::fs::write(dir.path().join("raw"), [7u8; 32]).expect("write");
        std::fs::write(
            dir.path().join("hex"),
            format!("{}\n", hex::encode([7u8; 32])),
        )
        .expect("write");
        std::fs::write(dir.path().join("short"), [7u8; 31]).expect("write");
        let raw = load_credential("raw", Some(dir.path())).expect("raw");
        assert_eq!(raw, load_credential("hex", Some(dir.path())).expect("hex"));
        assert!(matches!(
            load_credential("short", Some(dir.path())),
            Err(Error::CredentialInvalid { .. })
        ));
        assert!(matches!(
            load_credential("../raw", Some(dir.path())),
            Err(Error::CredentialInvalid { .. })
        ));
        assert!(matches!(
            load_credential("raw", None),
            Err(Error::CredentialsDirUnset { .. })
        ));
    }
}
