//! Why a client operation failed, said so that the person knows what to do next.

use crate::pairing::RefusalReason;

/// A failed pairing, session or state operation of the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The hub could not be reached at all.
    #[error("cannot reach the hub at {url}: is `sealhub run` running? is the address right?")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// What the transport said.
        source: crate::transport::Error,
    },
    /// The setup code did not match the hub's (or the exchange was tampered with).
    #[error(
        "the hub refused the code: check it, or wait a while if it was mistyped several times \
         (pairing locks for 30 s and longer after three wrong codes)"
    )]
    WrongCode,
    /// Pairing is locked after repeated wrong codes.
    #[error(
        "the hub refused the code: too many wrong codes, wait {retry_after_secs} seconds and try \
         again"
    )]
    LockedOut {
        /// Seconds until the hub takes another attempt.
        retry_after_secs: u32,
    },
    /// No live code with that first digit.
    #[error(
        "the hub has no live setup code like this one: it may have been used already (a start \
         code pairs one client; restart the hub for a new one) or mistyped"
    )]
    UnknownCode,
    /// The hub refused for another reason.
    #[error("the hub refused pairing: {0}")]
    Refused(RefusalReason),
    /// A setup code or pairing step failed on this side.
    #[error("pairing failed: {0}")]
    Pairing(crate::pairing::Error),
    /// The hub's bundle is unreadable.
    #[error("the hub's bundle is unreadable")]
    Bundle(#[from] crate::onboarding::BundleError),
    /// Something the hub sent does not verify (its certificate for this client, its key
    /// distribution, the home id).
    #[error("the hub's answer does not verify: {0}")]
    Verification(String),
    /// The transport failed after the connection was made.
    #[error(transparent)]
    Transport(#[from] crate::transport::Error),
    /// The hub ended the session.
    #[error("the hub ended the session")]
    SessionEnded,
    /// Key management refused an operation (an unknown device, no epoch key).
    #[error(transparent)]
    Keys(#[from] crate::keymgmt::Error),
    /// The client holds no certificate for the device named: the hub has not told it of one.
    #[error(
        "the hub has given this client no key for {0}: check the id with `sealhub client \
         devices`"
    )]
    UnknownDevice(String),
    /// A message body did not decode as the device model says.
    #[error("the hub's message does not decode")]
    Model(#[from] crate::model::Error),
    /// The client's store failed.
    #[error("the client's store")]
    Store(#[from] crate::store::Error),
    /// The client's store already holds a paired client: pairing again would replace its keys.
    #[error("this client's store already holds a paired client")]
    AlreadyPaired,
    /// The client's stored state is damaged.
    #[error("the client's stored state is damaged: {0}")]
    State(String),
}

impl From<crate::pairing::Error> for Error {
    fn from(e: crate::pairing::Error) -> Self {
        use crate::pairing::Error as P;
        match e {
            P::ConfirmationFailed | P::Refused(RefusalReason::WrongCode) => Error::WrongCode,
            P::Refused(RefusalReason::LockedOut { retry_after_secs }) => {
                Error::LockedOut { retry_after_secs }
            }
            P::Refused(RefusalReason::UnknownCode) => Error::UnknownCode,
            P::Refused(reason) => Error::Refused(reason),
            other => Error::Pairing(other),
        }
    }
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
