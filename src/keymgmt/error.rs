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
    /// A stored record does not have the expected shape (the store authenticated it, so this is a
    /// bug or a version mismatch, never an attack).
    #[error("stored record {0} is not in the expected format")]
    Corrupt(String),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
