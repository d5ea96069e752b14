//! Why an envelope was refused: one variant per check, so logs and callers can tell them apart.

use crate::identity::Kid;

/// A refused or unbuildable envelope. Variants never carry plaintext.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not well-formed: bad CBOR, missing or extra fields, non-canonical encoding, too deep.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// Longer than any envelope sealhub accepts.
    #[error("envelope of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A layer used another algorithm than version 1 prescribes, or put it outside the
    /// protected header.
    #[error("wrong algorithm: {0}")]
    WrongAlgorithm(String),
    /// A header holds a parameter version 1 does not define in that place, lacks one it
    /// requires, or a protected header is not byte for byte the one version 1 writes.
    #[error("unexpected header in the {layer}: {detail}")]
    UnexpectedHeader {
        /// Which header: "outer protected header", "recipient unprotected header", "ephemeral
        /// key", "inner protected header", ...
        layer: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The signer or recipient kid is not known to this receiver.
    #[error("unknown kid {0}")]
    UnknownKid(Kid),
    /// The route names an epoch whose key this receiver does not hold.
    #[error("unknown epoch {0}")]
    UnknownEpoch(u32),
    /// The receiver holds keys of this epoch, but not the read key of this route's device:
    /// it may not read that device.
    #[error("no read key for device {device} in epoch {epoch}")]
    NoReadKey {
        /// The device the message is about.
        device: String,
        /// The route's epoch.
        epoch: u32,
    },
    /// The signer's certificate has been revoked.
    #[error("kid {0} is revoked")]
    Revoked(Kid),
    /// The signer's certificate is outside its validity window (`nbf`, `exp`) by a clock the
    /// receiver trusts.
    #[error("kid {kid}: certificate {reason}")]
    CertificateNotValid {
        /// The signer (or the recipient a sender was about to encrypt to).
        kid: Kid,
        /// "expired" or "not yet valid", with the times.
        reason: String,
    },
    /// The signer exists but may not send this type of message about this device.
    #[error("kid {kid} is not authorised: {reason}")]
    NotAuthorised {
        /// The signer.
        kid: Kid,
        /// What it lacks.
        reason: String,
    },
    /// The inner signature does not verify.
    #[error("bad signature from kid {0}")]
    BadSignature(Kid),
    /// The outer layer did not decrypt: wrong key, or a byte of it or of its route changed.
    #[error("decryption failed")]
    DecryptionFailed,
    /// The route disagrees with the receiver or with the signed body (home, type, epoch).
    #[error("metadata mismatch: {0}")]
    MetadataMismatch(String),
    /// The sequence number was seen before, or is older than the replay window.
    #[error("replay from kid {kid}: sequence number {seq}")]
    Replay {
        /// The signer.
        kid: Kid,
        /// The refused sequence number.
        seq: u64,
    },
    /// The command's expiry has passed (or lies further ahead than the hub allows).
    #[error("command from kid {kid} expired or too long-lived: {reason}")]
    Expired {
        /// The signer.
        kid: Kid,
        /// Which limit it broke.
        reason: String,
    },
    /// The hub cannot trust its clock and the command carried no valid echo: the client must
    /// resend it, under the same `msg_id`, with `challenge` in the `echo` field.
    #[error("freshness unverified for kid {kid}; resend with the hub's challenge")]
    FreshnessUnverified {
        /// The signer.
        kid: Kid,
        /// The refused command's msg_id: the challenge's `re`, and the msg_id the resent
        /// command must carry.
        msg_id: [u8; 8],
        /// The value to echo.
        challenge: Vec<u8>,
    },
    /// A primitive failed while sealing (random source, parameters).
    #[error("crypto failure: {0}")]
    Crypto(String),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A stable short name of the failed check, for logs and metrics.
    pub fn check(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "malformed",
            Error::TooLong { .. } => "too-long",
            Error::WrongAlgorithm(_) => "wrong-algorithm",
            Error::UnexpectedHeader { .. } => "unexpected-header",
            Error::UnknownKid(_) => "unknown-kid",
            Error::UnknownEpoch(_) => "unknown-epoch",
            Error::NoReadKey { .. } => "no-read-key",
            Error::Revoked(_) => "revoked",
            Error::CertificateNotValid { .. } => "certificate-not-valid",
            Error::NotAuthorised { .. } => "not-authorised",
            Error::BadSignature(_) => "bad-signature",
            Error::DecryptionFailed => "decryption-failed",
            Error::MetadataMismatch(_) => "metadata-mismatch",
            Error::Replay { .. } => "replay",
            Error::Expired { .. } => "expired",
            Error::FreshnessUnverified { .. } => "freshness-unverified",
            Error::Crypto(_) => "crypto",
        }
    }
}

impl From<crate::cose::Error> for Error {
    fn from(e: crate::cose::Error) -> Self {
        use crate::cose::Error as C;
        match e {
            C::Malformed(m) => Error::Malformed(m),
            C::TooLong { len, max } => Error::TooLong { len, max },
            C::WrongAlgorithm { expected, found } => {
                Error::WrongAlgorithm(format!("expected {expected}, found {found}"))
            }
            C::InvalidKey(m) => Error::Malformed(format!("invalid key: {m}")),
            C::DecryptionFailed => Error::DecryptionFailed,
            C::BadSignature => Error::Malformed("bad signature without a known signer".into()),
            other => Error::Crypto(other.to_string()),
        }
    }
}

impl From<crate::cbor::Error> for Error {
    fn from(e: crate::cbor::Error) -> Self {
        Error::Malformed(e.to_string())
    }
}

impl From<crate::crypto::Error> for Error {
    fn from(e: crate::crypto::Error) -> Self {
        Error::Crypto(e.to_string())
    }
}

impl From<coset::CoseError> for Error {
    fn from(e: coset::CoseError) -> Self {
        Error::Malformed(e.to_string())
    }
}
