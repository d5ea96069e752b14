//! The AES-128 and X25519 building blocks of Z-Wave security, pure and without I/O.
//!
//! Where each piece is used:
//! - S0 (legacy): [`s0`] derives the authentication and encryption keys from the network key,
//!   encrypts with AES-OFB and authenticates with a CBC-MAC.
//! - S2: [`cmac`] is the PRF of the key derivation in [`kdf`] (CKDF: temporary keys during
//!   bootstrapping, CCM/MPAN keys and personalization string from each network key, the nonce
//!   PRK and mixed entropy input); [`ccm`] encrypts and authenticates every S2 frame; [`drbg`]
//!   (AES-128 CTR_DRBG without derivation function) is seeded per peer by [`span`] to produce
//!   the SPAN nonces; [`x25519`] is the key agreement of S2 bootstrapping.
//!
//! Every primitive sits on one block-cipher backend, the `aes` crate; keys are held in
//! [`Key128`] and other secrets in types that zeroize on drop. The encapsulations built on them
//! are [`super::s0`] and [`super::s2`] (MPAN tables are not implemented).

pub mod ccm;
pub mod cmac;
pub mod drbg;
pub mod kdf;
pub mod s0;
pub mod span;
pub mod x25519;

use aes::Aes128;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Why a security primitive refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key, nonce or tag of the wrong size.
    #[error("{what} must be {expected} bytes, got {got}")]
    InvalidLength {
        /// Which input.
        what: &'static str,
        /// The size it must have (or the largest, for bounded inputs).
        expected: usize,
        /// The size it had.
        got: usize,
    },
    /// CCM parameters outside what the mode allows (nonce 7..=13 bytes, tag 4..=16 even).
    #[error("unsupported CCM parameters: nonce {nonce_len} bytes, tag {tag_len} bytes")]
    CcmParameters {
        /// Nonce length.
        nonce_len: usize,
        /// Tag length.
        tag_len: usize,
    },
    /// The authentication tag does not match: the frame is forged or corrupt.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The DRBG must be reseeded before it may produce more output.
    #[error("CTR_DRBG reseed required")]
    ReseedRequired,
    /// The X25519 result is all zero (the peer sent a low-order point).
    #[error("X25519 shared secret is all zero")]
    NonContributory,
}

/// Result of this layer.
pub type Result<T> = core::result::Result<T, Error>;

/// An AES-128 key that is wiped from memory when dropped and never printed.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Key128([u8; 16]);

impl core::fmt::Debug for Key128 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Key128(..)")
    }
}

impl Key128 {
    /// Wraps 16 key bytes.
    pub fn new(bytes: [u8; 16]) -> Self {
        Key128(bytes)
    }

    /// Wraps a slice, refusing anything but 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        <[u8; 16]>::try_from(bytes)
            .map(Key128)
            .map_err(|_| Error::InvalidLength {
                what: "AES-128 key",
                expected: 16,
                got: bytes.len(),
            })
    }

    /// The key bytes, for the primitives and for sealed storage.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    fn cipher(&self) -> Aes128 {
        Aes128::new(&Array::from(self.0))
    }
}

/// AES-128 applied to one block in place: the single use of the backend.
fn encrypt_block(cipher: &Aes128, block: &mut [u8; 16]) {
    let mut b = Array::from(*block);
    cipher.encrypt_block(&mut b);
    block.copy_from_slice(&b);
    b.zeroize();
}

/// AES-128-ECB of one block (S0 key derivation and tests).
pub fn aes128_encrypt_block(key: &Key128, block: &[u8; 16]) -> [u8; 16] {
    let mut out = *block;
    encrypt_block(&key.cipher(), &mut out);
    out
}

/// Compares two byte strings without an early exit, for tags.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn xor_into(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}
