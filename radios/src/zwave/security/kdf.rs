//! S2's CMAC-based key derivation (CKDF), as the S2 specification defines it and zwave-js
//! implements it (`packages/core/src/crypto/operations.ts`):
//!
//! - [`compute_prk`]: CKDF-TempExtract, PRK = CMAC(16 × 0x33, ECDH secret ‖ pubA ‖ pubB).
//! - [`derive_temp_keys`]: CKDF-TempExpand with 15 × 0x88, the temporary CCM key and
//!   personalization string used while bootstrapping.
//! - [`derive_network_keys`]: CKDF-NetworkKeyExpand with 15 × 0x55, the CCM key, MPAN key and
//!   personalization string of a permanent network key.
//! - [`compute_nonce_prk`] and [`derive_mei`]: CKDF-MEI with 16 × 0x26 and 15 × 0x88, the mixed
//!   entropy input that seeds a SPAN ([`super::span`]).

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::Key128;
use super::cmac::aes_cmac;

const CONSTANT_PRK: [u8; 16] = [0x33; 16];
const CONSTANT_TE: [u8; 15] = [0x88; 15];
const CONSTANT_NK: [u8; 15] = [0x55; 15];
const CONSTANT_NONCE: [u8; 16] = [0x26; 16];
const CONSTANT_EI: [u8; 15] = [0x88; 15];

/// A 32-byte personalization string or mixed entropy input, wiped on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret32(pub [u8; 32]);

impl core::fmt::Debug for Secret32 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret32(..)")
    }
}

fn concat2(a: &[u8; 16], b: &[u8; 16]) -> Secret32 {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(a);
    out[16..].copy_from_slice(b);
    Secret32(out)
}

/// CMAC(key, prev ‖ constant ‖ counter): one step of the CKDF expand.
fn expand_step(
    key: &Key128,
    prev: Option<&[u8; 16]>,
    constant: &[u8; 15],
    counter: u8,
) -> [u8; 16] {
    let mut message = Vec::with_capacity(32);
    if let Some(prev) = prev {
        message.extend_from_slice(prev);
    }
    message.extend_from_slice(constant);
    message.push(counter);
    let out = aes_cmac(key, &message);
    message.zeroize();
    out
}

/// CKDF-TempExtract: the pseudo-random key from the X25519 shared secret and both public keys
/// (A = the including node, B = the joining node).
pub fn compute_prk(shared_secret: &[u8; 32], public_a: &[u8; 32], public_b: &[u8; 32]) -> Key128 {
    let mut message = Vec::with_capacity(96);
    message.extend_from_slice(shared_secret);
    message.extend_from_slice(public_a);
    message.extend_from_slice(public_b);
    let prk = aes_cmac(&Key128::new(CONSTANT_PRK), &message);
    message.zeroize();
    Key128::new(prk)
}

/// The temporary keys that protect the S2 bootstrapping exchange.
#[derive(Debug, Clone)]
pub struct TempKeys {
    /// CCM key for the temporary session.
    pub ccm: Key128,
    /// Personalization string for the temporary SPAN.
    pub personalization: Secret32,
}

/// CKDF-TempExpand: T1 = CMAC(PRK, TE‖01), T2 = CMAC(PRK, T1‖TE‖02), T3 = CMAC(PRK, T2‖TE‖03);
/// key = T1, personalization = T2‖T3.
pub fn derive_temp_keys(prk: &Key128) -> TempKeys {
    let t1 = expand_step(prk, None, &CONSTANT_TE, 1);
    let t2 = expand_step(prk, Some(&t1), &CONSTANT_TE, 2);
    let t3 = expand_step(prk, Some(&t2), &CONSTANT_TE, 3);
    TempKeys {
        ccm: Key128::new(t1),
        personalization: concat2(&t2, &t3),
    }
}

/// The working keys of one permanent network key (one per security class).
#[derive(Debug, Clone)]
pub struct NetworkKeys {
    /// CCM key for singlecast frames.
    pub ccm: Key128,
    /// Key for the multicast pre-agreed nonce (MPAN).
    pub mpan: Key128,
    /// Personalization string for SPANs under this key.
    pub personalization: Secret32,
}

/// CKDF-NetworkKeyExpand: T1..T4 chained as in TempExpand with 15 × 0x55; ccm = T1,
/// personalization = T2‖T3, mpan = T4.
pub fn derive_network_keys(permanent_key: &Key128) -> NetworkKeys {
    let t1 = expand_step(permanent_key, None, &CONSTANT_NK, 1);
    let t2 = expand_step(permanent_key, Some(&t1), &CONSTANT_NK, 2);
    let t3 = expand_step(permanent_key, Some(&t2), &CONSTANT_NK, 3);
    let t4 = expand_step(permanent_key, Some(&t3), &CONSTANT_NK, 4);
    NetworkKeys {
        ccm: Key128::new(t1),
        mpan: Key128::new(t4),
        personalization: concat2(&t2, &t3),
    }
}

/// CKDF-MEI-Extract: NoncePRK = CMAC(16 × 0x26, senderEI ‖ receiverEI).
pub fn compute_nonce_prk(sender_ei: &[u8; 16], receiver_ei: &[u8; 16]) -> Key128 {
    let mut message = [0u8; 32];
    message[..16].copy_from_slice(sender_ei);
    message[16..].copy_from_slice(receiver_ei);
    let prk = aes_cmac(&Key128::new(CONSTANT_NONCE), &message);
    message.zeroize();
    Key128::new(prk)
}

/// CKDF-MEI-Expand: T1 = CMAC(NoncePRK, EI‖00‖EI‖01), T2 = CMAC(NoncePRK, T1‖EI‖02);
/// MEI = T1‖T2.
pub fn derive_mei(nonce_prk: &Key128) -> Secret32 {
    let mut first = Vec::with_capacity(32);
    first.extend_from_slice(&CONSTANT_EI);
    first.push(0x00);
    first.extend_from_slice(&CONSTANT_EI);
    first.push(0x01);
    let t1 = aes_cmac(nonce_prk, &first);
    let t2 = expand_step(nonce_prk, Some(&t1), &CONSTANT_EI, 2);
    concat2(&t1, &t2)
}
