//! Why a pairing step was refused: one variant per kind of failure, so the hub can tell a
//! mistyped code from an attack in its logs, and the person can be told what to do.

use std::time::Duration;

use super::messages::RefusalReason;

/// What is wrong with a setup code a person typed, said in words the person understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeProblem {
    /// Not 8 digits (after dashes and spaces are taken out).
    #[error("a setup code has 8 digits")]
    WrongLength,
    /// A character other than a digit, a dash or a space.
    #[error("a setup code has only digits")]
    NotDigits,
    /// The check digit does not match: a digit was mistyped or two were swapped.
    #[error("this code has a typing mistake: check each digit")]
    CheckDigit,
    /// A code sealhub never issues (all one digit, a run such as 12345678, or on Matter's
    /// list of invalid passcodes).
    #[error("this is not a code the hub issues")]
    Trivial,
}

/// A refused or failed pairing step. Variants never carry key material or the code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setup code that cannot be right, found before any network exchange.
    #[error("setup code refused: {0}")]
    InvalidCode(CodeProblem),
    /// A frame that is not a well-formed pairing message (bad CBOR, wrong field types or
    /// sizes, unknown message kind, trailing bytes, non-canonical encoding).
    #[error("malformed pairing message: {0}")]
    Malformed(String),
    /// A frame longer than any pairing message may be.
    #[error("pairing frame of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// The frame's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The peer speaks another version of the pairing protocol.
    #[error("pairing protocol version {0} is not supported")]
    UnsupportedVersion(u64),
    /// A well-formed message that does not belong at this step (out of order, repeated or
    /// replayed from an earlier step).
    #[error("unexpected {got} while waiting for {expected}")]
    UnexpectedMessage {
        /// What the conversation was waiting for.
        expected: &'static str,
        /// What arrived.
        got: &'static str,
    },
    /// The peer's SPAKE2+ share is not a point of the group (off the curve, the identity,
    /// malformed) or cancels the password mask so nothing secret would remain.
    #[error("invalid SPAKE2+ share from the peer")]
    InvalidShare,
    /// The key confirmation did not verify: the code was wrong, or a share was substituted
    /// on the way.
    #[error("key confirmation failed: wrong setup code or a tampered exchange")]
    ConfirmationFailed,
    /// A sealed bundle did not open under the pairing key: it was tampered with or
    /// substituted on the way.
    #[error("sealed bundle did not authenticate")]
    BundleTampered,
    /// The verifier parameters the hub sent are outside what this client accepts.
    #[error("pairing parameters refused: {0}")]
    Parameters(String),
    /// The other side refused the pairing, saying why.
    #[error("pairing refused by the peer: {0}")]
    Refused(RefusalReason),
    /// Pairing is locked after repeated wrong codes; it opens again after `retry_after`.
    #[error("pairing is locked for another {} s after repeated wrong codes", retry_after.as_secs())]
    LockedOut {
        /// How long until the next attempt is accepted.
        retry_after: Duration,
    },
    /// No live code starts with this digit (none was issued, or it was used or expired).
    #[error("no live setup code starts with {0}")]
    UnknownCode(u8),
    /// A conversation with this code is already under way.
    #[error("another pairing with this code is under way")]
    Busy,
    /// Every one of the ten code slots is in use.
    #[error("all ten setup code slots are in use; cancel an invitation first")]
    NoFreeSlot,
    /// The conversation passed its deadline.
    #[error("the pairing conversation timed out")]
    Expired,
    /// The conversation has already ended (completed or failed); nothing more is accepted.
    #[error("the pairing conversation has ended")]
    Finished,
    /// No conversation is known for this connection.
    #[error("no pairing conversation on connection {0}")]
    UnknownConnection(u64),
    /// A stored pairing record could not be read or written.
    #[error("pairing store: {0}")]
    Store(#[from] crate::store::Error),
    /// A primitive failed (random source, parameters).
    #[error("crypto failure: {0}")]
    Crypto(#[from] crate::crypto::Error),
}

impl From<crate::cbor::Error> for Error {
    fn from(e: crate::cbor::Error) -> Self {
        Error::Malformed(e.to_string())
    }
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
