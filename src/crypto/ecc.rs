//! P-256 keys: ES256 signatures (deterministic, RFC 6979) and ECDH, for every identity in a home.

use super::{Error, Result};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

/// Length of an ES256 signature as COSE carries it: r || s, 32 bytes each.
pub const SIGNATURE_LEN: usize = 64;

/// A P-256 private key. It signs and agrees keys but only hands its scalar out, zeroized, to the
/// sealed store; its `Debug` shows nothing secret.
#[derive(Clone)]
pub struct PrivateKey {
    signing: SigningKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// The x coordinate of an ECDH result, zeroized on drop; input to HKDF, never used directly.
pub type SharedSecret = Zeroizing<[u8; 32]>;

impl PrivateKey {
    /// A fresh key from the system random source.
    pub fn generate() -> Result<Self> {
        loop {
            let candidate = Zeroizing::new(super::random_array::<32>()?);
            // Rejection sampling: about 2^-32 of 32-byte strings are not valid scalars.
            if let Ok(key) = Self::from_bytes(candidate.as_slice()) {
                return Ok(key);
            }
        }
    }

    /// Rebuilds a key from its 32-byte big-endian scalar (as the store and COSE `d` hold it).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let signing = SigningKey::from_slice(bytes).map_err(|_| Error::InvalidKey)?;
        Ok(Self { signing })
    }

    /// The scalar, for sealing into the store only.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&self.signing.to_bytes());
        out
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            verifying: *self.signing.verifying_key(),
        }
    }

    /// ES256 signature over `message` (SHA-256, deterministic nonce per RFC 6979), as r || s.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let sig: Signature = self.signing.sign(message);
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(&sig.to_bytes());
        out
    }

    /// ECDH with `peer`: the shared x coordinate.
    pub fn diffie_hellman(&self, peer: &PublicKey) -> SharedSecret {
        let secret = p256::SecretKey::from(&self.signing);
        let peer_key = p256::PublicKey::from(&peer.verifying);
        let shared = secret.diffie_hellman(&peer_key);
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(shared.raw_secret_bytes());
        out
    }
}

/// A P-256 public key, validated to be on the curve when it was built.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    verifying: VerifyingKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.x()))
    }
}

impl PublicKey {
    /// Builds a key from its affine coordinates (COSE_Key `x` and `y`), refusing points off the curve.
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Result<Self> {
        if x.len() != 32 || y.len() != 32 {
            return Err(Error::InvalidKey);
        }
        let mut sec1 = [0u8; 65];
        sec1[0] = 0x04;
        sec1[1..33].copy_from_slice(x);
        sec1[33..].copy_from_slice(y);
        Self::from_sec1(&sec1)
    }

    /// Builds a key from SEC1 bytes (compressed or uncompressed), refusing invalid points.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        let verifying = VerifyingKey::from_sec1_bytes(bytes).map_err(|_| Error::InvalidKey)?;
        Ok(Self { verifying })
    }

    /// Uncompressed SEC1 encoding, 0x04 || x || y.
    pub fn to_sec1_uncompressed(&self) -> [u8; 65] {
        let point = self.verifying.to_sec1_point(false);
        let mut out = [0u8; 65];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// The affine x coordinate, big-endian.
    pub fn x(&self) -> [u8; 32] {
        let sec1 = self.to_sec1_uncompressed();
        let mut x = [0u8; 32];
        x.copy_from_slice(&sec1[1..33]);
        x
    }

    /// The affine y coordinate, big-endian.
    pub fn y(&self) -> [u8; 32] {
        let sec1 = self.to_sec1_uncompressed();
        let mut y = [0u8; 32];
        y.copy_from_slice(&sec1[33..]);
        y
    }

    /// Checks an ES256 signature (r || s, 64 bytes) over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<()> {
        let sig = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
        self.verifying
            .verify(message, &sig)
            .map_err(|_| Error::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_deterministic_and_verify_only_for_the_signed_message() {
        let key = PrivateKey::generate().expect("rng");
        let a = key.sign(b"unlock");
        assert_eq!(a, key.sign(b"unlock"));
        let public = key.public_key();
        public.verify(b"unlock", &a).expect("verifies");
        assert!(public.verify(b"unlocK", &a).is_err());
        assert!(public.verify(b"unlock", &a[..63]).is_err());
    }

    #[test]
    fn ecdh_agrees_from_both_sides() {
        let a = PrivateKey::generate().expect("rng");
        let b = PrivateKey::generate().expect("rng");
        assert_eq!(
            *a.diffie_hellman(&b.public_key()),
            *b.diffie_hellman(&a.public_key())
        );
    }

    #[test]
    fn coordinates_round_trip_and_off_curve_points_are_refused() {
        let key = PrivateKey::generate().expect("rng").public_key();
        let back = PublicKey::from_coordinates(&key.x(), &key.y()).expect("valid");
        assert_eq!(back, key);
        let mut y = key.y();
        y[31] ^= 1;
        assert!(PublicKey::from_coordinates(&key.x(), &y).is_err());
    }
}
