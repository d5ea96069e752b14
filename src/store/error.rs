//! Why the sealed store refused to work, worded so that an operator knows what to do next.
//!
//! The store never "repairs" itself by re-initialising: every variant here is a refusal that
//! leaves the files on disk exactly as they were.

use std::path::PathBuf;

use super::KekKind;

/// Everything that can go wrong opening or using the sealed store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory of the store could not be created, read or written.
    #[error(
        "I/O error on {path}: {source} (check that the path exists, its permissions and free disk space)"
    )]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// The embedded database (sled) failed.
    #[error(
        "database error in {path}: {source} (check the disk and its free space; if the \
         database is damaged, restore the data directory from backup)"
    )]
    Database {
        /// The `store.sled` directory.
        path: PathBuf,
        /// What sled said.
        #[source]
        source: sled::Error,
    },

    /// Another process (or a store not yet fully closed) holds the database lock.
    #[error(
        "the sealed store {path} is locked by another process: stop the other sealhub instance \
         using this data directory and try again"
    )]
    Locked {
        /// The `store.sled` directory.
        path: PathBuf,
    },

    /// A cryptographic primitive failed in a way that is not tampering (e.g. the system RNG).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] crate::crypto::Error),

    /// The store exists but its key file is gone; without it the store cannot be decrypted.
    #[error(
        "the key file {path} is missing but the sealed store {store} exists: restore the key \
         file from your backup (sealhub will never create a new key for an existing store, \
         because that would make every record unreadable)"
    )]
    KeyFileMissing {
        /// Where the key file was expected.
        path: PathBuf,
        /// The existing `store.sled` directory that needs it.
        store: PathBuf,
    },

    /// The data directory can be entered, listed or written by other users.
    #[error(
        "the data directory {path} has mode {mode:o}, open to group/others: run \
         `chmod 700 {path}` (and check who could have copied or changed what it holds)"
    )]
    DataDirTooOpen {
        /// The data directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The data directory belongs to another user, who could replace what it holds.
    #[error(
        "the data directory {path} belongs to uid {owner}, not to uid {uid} running sealhub: \
         run `chown -R {uid} {path}` or run sealhub as its owner"
    )]
    DataDirNotOwned {
        /// The data directory.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective uid of this process.
        uid: u32,
    },

    /// The key file belongs to another user, who could read or replace the store's key.
    #[error(
        "the key file {path} belongs to uid {owner}, not to uid {uid} running sealhub: run \
         `chown {uid} {path}` (and check who could have copied it)"
    )]
    KeyFileNotOwned {
        /// The key file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective uid of this process.
        uid: u32,
    },

    /// The key file can be read by other users, so the store key is only as safe as their accounts.
    #[error(
        "the key file {path} has mode {mode:o}, readable or writable by group/others: run \
         `chmod 600 {path}` (and check who could have copied it)"
    )]
    KeyFileTooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The key file is not 32 bytes, so it is not a sealhub key file (or it was damaged).
    #[error(
        "the key file {path} holds {len} bytes, expected exactly 32: restore it from your backup \
         or point the configuration at the right file"
    )]
    KeyFileInvalid {
        /// The key file.
        path: PathBuf,
        /// Its actual length.
        len: usize,
    },

    /// A systemd credential was configured but the service was not started with credentials.
    #[error(
        "the systemd credential {name:?} is configured but $CREDENTIALS_DIRECTORY is not set: \
         run sealhub under systemd with `LoadCredentialEncrypted={name}:/etc/credstore.encrypted/{name}` \
         (create the file with `head -c 32 /dev/urandom | systemd-creds encrypt --name={name} - \
         /etc/credstore.encrypted/{name}`)"
    )]
    CredentialsDirUnset {
        /// The configured credential name.
        name: String,
    },

    /// The credential file is not in the credentials directory.
    #[error(
        "the systemd credential {path} does not exist: add `LoadCredentialEncrypted={name}:...` \
         to the unit and create the encrypted credential with `head -c 32 /dev/urandom | \
         systemd-creds encrypt --name={name} - /etc/credstore.encrypted/{name}`; sealhub never \
         creates it"
    )]
    CredentialMissing {
        /// The configured credential name.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
    },

    /// The credential is neither 32 raw bytes nor 64 hex characters, or its name is unsafe.
    #[error(
        "the systemd credential {name:?} is unusable: {reason} (it must be 32 raw bytes or 64 hex \
         characters, e.g. `head -c 32 /dev/urandom | systemd-creds encrypt ...`)"
    )]
    CredentialInvalid {
        /// The configured credential name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The passphrase is empty; an empty passphrase protects nothing.
    #[error("the store passphrase is empty: configure a non-empty passphrase")]
    EmptyPassphrase,

    /// Argon2id parameters are out of the accepted range (from the configuration or from meta).
    #[error(
        "Argon2id parameters m={m_kib} KiB, t={t}, p={p} are not accepted: use m between 8 KiB \
         and 4 GiB, t between 1 and 64, p between 1 and 16"
    )]
    InvalidArgon2Params {
        /// Memory cost in KiB.
        m_kib: u32,
        /// Time cost (passes).
        t: u32,
        /// Parallelism.
        p: u32,
    },

    /// The key file or credential does not unwrap the store key: it belongs to another store.
    #[error(
        "the configured {kind} does not unlock this store (wrong key file or credential, or \
         the store's meta was tampered with): restore the matching {kind} from backup"
    )]
    WrongKek {
        /// Which kind of KEK was tried.
        kind: KekKind,
    },

    /// The passphrase does not unwrap the store key.
    #[error("wrong passphrase for the sealed store (or its meta was tampered with)")]
    WrongPassphrase,

    /// The store was sealed with one kind of KEK and the configuration names another.
    #[error(
        "the store was sealed with a {stored} but the configuration selects a {configured}: \
         change the configuration back to the {stored} (sealhub will not re-seal or re-create it)"
    )]
    KekKindMismatch {
        /// The kind recorded in meta.
        stored: KekKind,
        /// The kind the caller configured.
        configured: KekKind,
    },

    /// The store's meta was written by a newer (or unknown) sealhub.
    #[error(
        "the store format version {found} is not supported by this sealhub (supports 1): \
         upgrade sealhub or restore a matching backup"
    )]
    UnsupportedFormat {
        /// The version byte found in meta.
        found: u8,
    },

    /// The store's meta is damaged or incomplete.
    #[error("the store meta is damaged ({what}): restore the data directory from backup")]
    MetaCorrupt {
        /// What is missing or malformed.
        what: &'static str,
    },

    /// Records exist but meta does not; refusing to create a fresh store key over them.
    #[error(
        "the store {path} holds records but no meta (store key): restore the data directory \
         from backup; sealhub will not re-initialise it"
    )]
    MetaMissing {
        /// The `store.sled` directory.
        path: PathBuf,
    },

    /// The rollback guard's file is not one sealhub wrote (damaged, or edited by hand).
    #[error(
        "the rollback guard {path} is damaged: restore it from backup, or, if the store itself \
         is intact and newest, remove it and run `sealhub restore-ack` to record the store's \
         state again"
    )]
    GuardDamaged {
        /// The guard file.
        path: PathBuf,
    },

    /// A record failed authentication: modified, truncated, or moved from another key or tree.
    #[error(
        "record {tree}/{key_hex} failed authentication (tampered, truncated or moved from \
         another key): restore it from backup or remove it"
    )]
    RecordTampered {
        /// The tree the record was read from.
        tree: String,
        /// The record key, hex encoded.
        key_hex: String,
    },

    /// A tree name the caller passed is not allowed.
    #[error(
        "invalid tree name {name:?}: {reason} (use 1-255 printable ASCII characters, not \
         `meta` and not starting with `__sled`)"
    )]
    InvalidTreeName {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// A record key is longer than the record format can bind (65535 bytes).
    #[error("record key of {len} bytes is too long: keep keys under 65536 bytes")]
    KeyTooLong {
        /// The key length.
        len: usize,
    },
}

/// Result alias for the store.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
