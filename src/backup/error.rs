//! Why a backup could not be made or restored, worded so the operator knows what to do next.
//! Every refusal of `restore` happens before the store is written: a wrong or damaged file
//! changes nothing.

use crate::store;

/// Everything that can go wrong making, reading or restoring a backup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file does not start with the backup magic.
    #[error("not a sealhub backup: the file does not start with the backup header")]
    NotABackup,

    /// A header version this build does not read.
    #[error(
        "the backup is format version {found}, this sealhub reads version {supported}: restore \
         it with the sealhub release that wrote it, or a newer one"
    )]
    UnsupportedVersion {
        /// The version in the file.
        found: u8,
        /// The version this build reads.
        supported: u8,
    },

    /// The file is shorter or longer than its header says.
    #[error(
        "the backup is {found} bytes but its header says {expected}: the file was truncated or \
         extended (copy it again from where it was kept)"
    )]
    Truncated {
        /// The length the header announces.
        expected: u64,
        /// The file's length.
        found: u64,
    },

    /// The file is larger than any backup sealhub writes.
    #[error("the file is {len} bytes, more than the {max} a sealhub backup may be")]
    TooLarge {
        /// The file's length.
        len: u64,
        /// The largest accepted.
        max: u64,
    },

    /// The key-derivation header names an unknown function or costs out of range.
    #[error(
        "the backup's key-derivation header is invalid ({what}): the file is damaged or was not \
         written by sealhub"
    )]
    InvalidKdf {
        /// What is wrong with it.
        what: &'static str,
    },

    /// The passphrase does not match the key check: wrong passphrase, or the salt, costs or
    /// key check in the header were changed.
    #[error(
        "wrong backup passphrase (or the backup's salt or key check was altered); nothing was \
         restored"
    )]
    WrongPassphrase,

    /// The passphrase is right but the contents (or the header they are bound to) do not
    /// authenticate.
    #[error(
        "the backup is damaged or was tampered with: its contents do not authenticate under the \
         passphrase; nothing was restored"
    )]
    Tampered,

    /// The contents authenticate but do not parse (written by a faulty program).
    #[error("the backup's contents are malformed: {what}; nothing was restored")]
    Malformed {
        /// What is wrong.
        what: String,
    },

    /// The backup is older than the store it would replace.
    #[error(
        "the backup was taken at store generation {backup}, but the store it would replace is \
         at generation {store}: restoring it would lose the newer changes; pass --force to \
         restore it anyway"
    )]
    OlderThanStore {
        /// The backup's generation.
        backup: u64,
        /// The store's generation.
        store: u64,
    },

    /// The store holds another home than the backup (another root key): restoring would
    /// replace it, and every client and device paired with it would be stranded.
    #[error(
        "the store holds another home than the backup: restoring would replace it (every client \
         and device paired with it would be stranded); pass --force to restore it anyway"
    )]
    OtherHome,

    /// The backup passphrase is too short to resist an offline guessing attack.
    #[error(
        "the backup passphrase has {len} characters; use at least {min} (a backup file can be \
         attacked offline)"
    )]
    WeakPassphrase {
        /// Its length in characters.
        len: usize,
        /// The minimum.
        min: usize,
    },

    /// The sealed store refused (locked by a running hub, wrong KEK, I/O).
    #[error(transparent)]
    Store(#[from] store::Error),

    /// The home's records in the store could not be read (its generation or epoch).
    #[error("cannot read the home's generation in the store: {0}")]
    Home(#[from] crate::keymgmt::Error),

    /// A cryptographic primitive failed (the system RNG, say).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] crate::crypto::Error),
}

/// Result alias of this layer.
pub type Result<T> = std::result::Result<T, Error>;
