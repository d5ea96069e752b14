//! Onboarding: what turns a successful pairing exchange into a paired client. The pairing
//! core ([`crate::pairing`]) proves the setup code; this module gives the opaque bundles it
//! carries their form ([`bundle`]) and, on the hub, certifies the client with key management
//! and answers it ([`hub`]). The `sealhub client` command is the other end.
//!
//! ```text
//! transport Inbound::Pairing ─► Onboarding::on_frame ─► PairingService ─► Reply::Paired
//!                                        │ role → permissions, Home::pair_client, HubBundle
//!                                        ▼
//!                            Outbound::ToConnection (PairDone) + Outbound::SetReadScope
//! ```

pub mod bundle;
pub mod hub;

pub use bundle::{BundleError, ClientBundle, HubBundle};
pub use hub::{Onboarding, PairingHandler, client_id_from_name, permissions_for};

/// Why onboarding could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The pairing service failed (its store records, a code).
    #[error("pairing: {0}")]
    Pairing(#[from] crate::pairing::Error),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
