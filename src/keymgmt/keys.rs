//! The two keys of every device and client: one signs (ES256), the other receives what is
//! encrypted to its holder (ECDH-ES). One key never serves both, so a flaw or misuse on one
//! side (a signature oracle, an invalid-curve or small-subgroup trick on the key agreement
//! side) cannot reach the other, and each can be reasoned about alone. Certificates carry both
//! (`docs/ENVELOPE.md`, "Certificates").

use super::Result;
use crate::crypto::{PrivateKey, PublicKey};

/// A client's private keys: held by the client alone.
#[derive(Clone)]
pub struct ClientKeys {
    /// Signs the client's commands; its kid is the client's kid.
    pub signing: PrivateKey,
    /// Receives key distributions, responses and challenges encrypted to the client.
    pub agreement: PrivateKey,
}

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientKeys(<redacted>)")
    }
}

impl ClientKeys {
    /// Two fresh, distinct keys from the system random source.
    pub fn generate() -> Result<Self> {
        loop {
            let keys = ClientKeys {
                signing: PrivateKey::generate()?,
                agreement: PrivateKey::generate()?,
            };
            if keys.signing.public_key() != keys.agreement.public_key() {
                return Ok(keys);
            }
        }
    }

    /// The public halves, as the client hands them to the hub at pairing.
    pub fn public(&self) -> ClientPublicKeys {
        ClientPublicKeys {
            signing: self.signing.public_key(),
            agreement: self.agreement.public_key(),
        }
    }
}

/// A client's public keys, as delivered over the onboarding channel and certified by the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientPublicKeys {
    /// Verifies the client's commands.
    pub signing: PublicKey,
    /// What the hub encrypts to the client.
    pub agreement: PublicKey,
}
