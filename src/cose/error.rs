//! Errors of the COSE layer: each names the check that refused the input.

/// Why a COSE structure was refused or could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed COSE structure of the expected kind.
    #[error("malformed COSE: {0}")]
    Malformed(String),
    /// The input is longer than any message sealhub accepts.
    #[error("message of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// The input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The header names no algorithm, or another than the one this message must use.
    #[error("wrong or missing algorithm: expected {expected}, found {found}")]
    WrongAlgorithm {
        /// What the caller required.
        expected: String,
        /// What the header said (or "none").
        found: String,
    },
    /// A key in a header or COSE_Key is not a valid P-256 public key.
    #[error("invalid COSE key: {0}")]
    InvalidKey(&'static str),
    /// The signature did not verify under the given key.
    #[error("bad signature")]
    BadSignature,
    /// Authenticated decryption failed (wrong key, wrong external AAD, or tampering).
    #[error("decryption failed")]
    DecryptionFailed,
    /// A primitive failed for a reason other than verification (random source, parameters).
    #[error(transparent)]
    Crypto(#[from] crate::crypto::Error),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;

impl From<coset::CoseError> for Error {
    fn from(e: coset::CoseError) -> Self {
        Error::Malformed(e.to_string())
    }
}
