//! Errors of the identity layer: each variant names the check that refused a certificate or a
//! revocation list, so the hub can log (and tests can assert) exactly why.

use crate::cose;

/// Why a certificate or revocation list was refused or could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not the CBOR structure this layer expects (bad CBOR, wrong type, wrong
    /// length, wrong tag, non-deterministic encoding, too deep nesting).
    #[error("malformed: {0}")]
    Malformed(String),
    /// The input is larger than any certificate or list sealhub accepts.
    #[error("input of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// The input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The signature does not verify under the hub root key.
    #[error("bad signature")]
    BadSignature,
    /// Issued by (or for) another home: the `iss` claim, the header kid or the list's home id
    /// is not the expected root key's kid.
    #[error("issued by another home")]
    WrongIssuer,
    /// The certificate's `exp` is at or before the trusted current time.
    #[error("certificate expired")]
    Expired,
    /// The certificate's `nbf` is after the trusted current time.
    #[error("certificate not yet valid")]
    NotYetValid,
    /// The algorithm is not ES256, or it sits in the unprotected header.
    #[error("wrong algorithm: only ES256 in the protected header is accepted")]
    WrongAlgorithm,
    /// A revocation list older than the one already accepted (a rollback that would un-revoke).
    #[error("revocation list {got} is older than the accepted list {have}")]
    Rollback {
        /// The number of the list the hub already holds.
        have: u64,
        /// The number of the list offered.
        got: u64,
    },
    /// A claim or field whose key this version does not know; refused, never ignored.
    #[error("unknown claim key {0}")]
    UnknownClaim(i64),
    /// A claim or field key that appears twice in one map.
    #[error("duplicate claim key {0}")]
    DuplicateClaim(i64),
    /// A required claim or field is absent.
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    /// A subject or device id outside 1–64 characters of `[a-z0-9._:-]`.
    #[error("invalid id {0:?}: expected 1-64 characters of [a-z0-9._:-]")]
    InvalidId(String),
    /// The kid inside `cnf` is not the thumbprint kid of the certified key.
    #[error("the cnf kid does not match the certified key")]
    KeyMismatch,
    /// A COSE-layer failure with no more specific variant here.
    #[error(transparent)]
    Cose(cose::Error),
    /// A primitive failed (for example the random source while drawing a serial).
    #[error(transparent)]
    Crypto(#[from] crate::crypto::Error),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;

/// Maps the COSE layer's refusals onto this layer's named checks, so a caller matches one enum.
impl From<crate::cbor::Error> for Error {
    fn from(e: crate::cbor::Error) -> Self {
        match e {
            crate::cbor::Error::DuplicateKey { key, .. } => Error::DuplicateClaim(key),
            other => Error::Malformed(other.to_string()),
        }
    }
}

impl From<cose::Error> for Error {
    fn from(e: cose::Error) -> Self {
        match e {
            cose::Error::Malformed(m) => Error::Malformed(m),
            cose::Error::TooLong { len, max } => Error::TooLong { len, max },
            cose::Error::WrongAlgorithm { .. } => Error::WrongAlgorithm,
            cose::Error::BadSignature => Error::BadSignature,
            other => Error::Cose(other),
        }
    }
}
