//! The primitives every other layer builds on, with exactly one backend each: P-256 ECDSA and
//! ECDH (`p256`), P-256 group arithmetic for SPAKE2+ (`p256`), AES-GCM (`aes-gcm`), HKDF-SHA-256
//! (`hkdf`), HMAC-SHA-256 (`hmac`), PBKDF2 (`pbkdf2`), SHA-256 (`sha2`) and the operating
//! system's random source (`getrandom`). Nothing above this module names those crates, so a
//! backend can change in one place and a reviewer can audit every use of key material here.

mod aead;
mod ecc;
mod group;
mod kdf;
mod mac;
mod random;

pub use aead::{AeadKey, GCM_NONCE_LEN, GCM_TAG_LEN, aes_gcm_open, aes_gcm_seal};
pub use ecc::{PrivateKey, PublicKey, SIGNATURE_LEN, SharedSecret};
pub use group::{GroupPoint, GroupScalar, POINT_LEN, SCALAR_LEN};
pub use kdf::{hkdf_sha256, sha256};
pub use mac::{HMAC_SHA256_LEN, hmac_sha256, hmac_sha256_verify, pbkdf2_hmac_sha256};
pub use random::{fill_random, random_array};

/// Why a primitive refused to work; deliberately vague where detail would help an attacker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system's random source failed; nothing can be generated safely.
    #[error("the system random source failed: {0}")]
    Random(String),
    /// Bytes that should be a P-256 key are not one (wrong length, not on the curve, zero).
    #[error("invalid P-256 key encoding")]
    InvalidKey,
    /// A signature did not verify, or is not 64 bytes of r || s.
    #[error("signature verification failed")]
    BadSignature,
    /// AEAD decryption failed: wrong key, wrong associated data, or tampered ciphertext.
    #[error("authenticated decryption failed")]
    Decrypt,
    /// An AEAD key or nonce had the wrong length for the algorithm.
    #[error("AEAD key or nonce has the wrong length")]
    AeadParameters,
    /// HKDF was asked for more output than it can give.
    #[error("HKDF output length {0} is too long")]
    KdfLength(usize),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
