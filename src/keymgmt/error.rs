//! Errors of key management: what went wrong in pairing, issuing, rotating or removing.

/// A refused or failed key-management operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The sealed store failed or refused.
    #[error("sealed store: {0}")]
    Store(#[from] crate::store::Error),
    /// A certificate or revocation list was refused or could not be made.
    #[error("identity: {0}")]
    Identity(#[from] crate::identity::Error),
    /// An envelope was refused or could not be sealed.
    #[error("envelope: {0}")]
    Envelope(#[from] crate::envelope::Error),
    /// A primitive failed (random source).
    #[error("crypto: {0}")]
    Crypto(#[from] crate::crypto::Error),
    /// No device of that id is known.
    #[error("unknown device {0}")]
    UnknownDevice(String),
    /// No client of that id is paired.
    #[error("unknown client {0}")]
    UnknownClient(String),
    /// A device or client with that id already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The key's short kid equals one already in use in this home.
    #[error("kid {0} collides with a key already in this home")]
    KidCollision(crate::identity::Kid),
    /// The sealed store holds no home, and this way of opening does not create one.
    #[error(
        "the sealed store holds no home: run `sealhub init` to create a new home (only if you \
         mean to start over: every paired client and device must then be paired again)"
    )]
    NoHome,
    /// A home was asked to be created where one exists (or existed: the rollback guard
    /// remembers it).
    #[error("{0}")]
    HomeExists(String),
    /// The store is older than its rollback guard: it was restored from an older copy or
    /// rolled back, which would reuse sequence numbers and undo replay windows and revocations.
    #[error(
        "the sealed store is at generation {store_generation} but the rollback guard {} \
         records generation {guard_generation}: the store (or records of it) was restored from \
         an older copy. Sequence numbers, replay windows and revocations may have been undone. \
         If you restored a backup on purpose, run `sealhub restore-ack` (it moves every \
         sequence number far ahead, rotates the epoch, keeps every revocation the guard knows \
         and records a new generation), then send the new key distributions to the clients; \
         otherwise find out who changed the store",
        guard.display()
    )]
    RolledBack {
        /// The generation the store holds.
        store_generation: u64,
        /// The generation the guard recorded.
        guard_generation: u64,
        /// The guard's generation file.
        guard: std::path::PathBuf,
    },
    /// The store has changed since it was created but its rollback guard is gone, so a
    /// rollback could not be told apart.
    #[error(
        "the sealed store is at generation {store_generation} but its rollback guard {} is \
         missing: restore the guard from where it was kept, or, if you moved the data on \
         purpose, run `sealhub restore-ack` to record the store's state again",
        guard.display()
    )]
    GuardMissing {
        /// The generation the store holds.
        store_generation: u64,
        /// The guard's generation file that was expected.
        guard: std::path::PathBuf,
    },
    /// A home of an earlier development layout that cannot be brought forward in place.
    #[error(
        "the home in this store predates two-key devices and clients and holds {0}: start a \
         new home (`sealhub init` in an empty data directory) and pair again"
    )]
    LegacyHome(String),
    /// A stored record does not have the expected shape (the store authenticated it, so this is a
    /// bug or a version mismatch, never an attack).
    #[error("stored record {0} is not in the expected format")]
    Corrupt(String),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
