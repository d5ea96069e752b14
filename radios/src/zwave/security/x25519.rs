//! X25519 (RFC 7748) for S2 bootstrapping's key agreement, through `x25519-dalek`. The secret
//! comes from the caller (the driver reads the OS RNG), so this stays pure.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{Error, Result};

/// An X25519 private key; the secret never leaves this type except as a shared secret.
pub struct PrivateKey(x25519_dalek::StaticSecret);

impl core::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

/// The 32-byte X25519 shared secret, wiped on drop; input to [`super::kdf::compute_prk`].
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret(pub [u8; 32]);

impl core::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

impl PrivateKey {
    /// Wraps 32 random bytes (clamped as RFC 7748 requires when used).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PrivateKey(x25519_dalek::StaticSecret::from(bytes))
    }

    /// The public key to send to the peer.
    pub fn public_key(&self) -> [u8; 32] {
        x25519_dalek::PublicKey::from(&self.0).to_bytes()
    }

    /// Agrees a secret with the peer's public key, refusing an all-zero result (a low-order
    /// point would let an attacker fix the secret).
    pub fn diffie_hellman(&self, peer_public: &[u8; 32]) -> Result<SharedSecret> {
        let shared = self
            .0
            .diffie_hellman(&x25519_dalek::PublicKey::from(*peer_public));
        if !shared.was_contributory() {
            return Err(Error::NonContributory);
        }
        Ok(SharedSecret(shared.to_bytes()))
    }
}
