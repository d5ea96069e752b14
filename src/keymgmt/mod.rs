//! Key management, the part COSE leaves undefined: how a home's keys are created, how clients
//! are paired and removed, how device keys are issued and rotated, how the epoch key reaches
//! clients, and how replays are refused across restarts (`docs/ENVELOPE.md`).

mod client;
mod client_state;
mod distribution;
mod error;
mod home;
mod keys;
mod sequence;

pub use client::Client;
pub use distribution::{KEY_DISTRIBUTION_VERSION, KeyDistribution, ReadGrant};
pub use error::{Error, Result};
pub use home::{ClientGrant, Home, Pairing, PreparedResponse, RECOVERY_SEQUENCE_JUMP, Recovery};
pub use keys::{ClientKeys, ClientPublicKeys};
pub use sequence::{RESERVE, Raise, SequenceCounter};

use crate::envelope;
use crate::identity::{Certificate, Kid};

/// Checks a certificate's validity window (`nbf <= now < exp`) when the caller's clock is
/// trusted (`now` is `Some`); without a trusted clock the window cannot be judged and is not.
pub(crate) fn check_validity(
    cert: &Certificate,
    kid: Kid,
    now: Option<u64>,
) -> envelope::Result<()> {
    let Some(now) = now else {
        return Ok(());
    };
    cert.check_time(now).map_err(|e| {
        let claims = cert.claims();
        let reason = match e {
            crate::identity::Error::Expired => {
                format!("expired at {} (now {now})", claims.expires.unwrap_or(0))
            }
            crate::identity::Error::NotYetValid => {
                format!(
                    "not valid before {} (now {now})",
                    claims.not_before.unwrap_or(0)
                )
            }
            other => other.to_string(),
        };
        envelope::Error::CertificateNotValid { kid, reason }
    })
}
