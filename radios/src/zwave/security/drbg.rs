//! AES-128 CTR_DRBG without a derivation function (NIST SP 800-90A §10.2.1): the generator S2
//! uses for SPAN nonces ([`super::span`]) and for its own entropy inputs.
//!
//! Seed material is exactly 32 bytes (key 16 + V 16): entropy, and optional personalization or
//! additional input of the same length, XORed together. Checked against the NIST CAVP
//! "AES-128 no df" vectors.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{Error, Key128, Result, encrypt_block, xor_into};

/// Seed length of AES-128 CTR_DRBG: key length + block length.
pub const SEED_LEN: usize = 32;
/// Generate requests allowed between reseeds (SP 800-90A Table 3: 2^48).
pub const RESEED_INTERVAL: u64 = 1 << 48;
/// Largest single request (SP 800-90A Table 3: 2^19 bits).
pub const MAX_REQUEST: usize = 1 << 16;

/// The DRBG's working state (Key, V, reseed counter), wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CtrDrbg {
    key: [u8; 16],
    v: [u8; 16],
    reseed_counter: u64,
}

impl core::fmt::Debug for CtrDrbg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CtrDrbg")
            .field("reseed_counter", &self.reseed_counter)
            .finish_non_exhaustive()
    }
}

fn increment(v: &mut [u8; 16]) {
    for byte in v.iter_mut().rev() {
        *byte = byte.wrapping_add(1);
        if *byte != 0 {
            break;
        }
    }
}

impl CtrDrbg {
    /// Instantiate: seed = entropy ⊕ personalization, from Key = 0, V = 0.
    pub fn new(entropy: &[u8; SEED_LEN], personalization: Option<&[u8; SEED_LEN]>) -> Self {
        let mut drbg = CtrDrbg {
            key: [0; 16],
            v: [0; 16],
            reseed_counter: 1,
        };
        let mut seed = *entropy;
        if let Some(p) = personalization {
            xor_into(&mut seed, p);
        }
        drbg.update(&seed);
        seed.zeroize();
        drbg
    }

    /// CTR_DRBG_Update: refresh Key and V from 32 bytes of provided data.
    fn update(&mut self, provided: &[u8; SEED_LEN]) {
        let cipher = Key128::new(self.key).cipher();
        let mut temp = [0u8; SEED_LEN];
        for chunk in temp.chunks_mut(16) {
            increment(&mut self.v);
            let mut block = self.v;
            encrypt_block(&cipher, &mut block);
            chunk.copy_from_slice(&block);
            block.zeroize();
        }
        xor_into(&mut temp, provided);
        self.key.copy_from_slice(&temp[..16]);
        self.v.copy_from_slice(&temp[16..]);
        temp.zeroize();
    }

    /// Reseed with fresh entropy and optional additional input.
    pub fn reseed(&mut self, entropy: &[u8; SEED_LEN], additional: Option<&[u8; SEED_LEN]>) {
        let mut seed = *entropy;
        if let Some(a) = additional {
            xor_into(&mut seed, a);
        }
        self.update(&seed);
        seed.zeroize();
        self.reseed_counter = 1;
    }

    /// Fill `out` (at most [`MAX_REQUEST`] bytes) with output, mixing in optional additional
    /// input; fails once [`RESEED_INTERVAL`] requests have been served since the last seed.
    pub fn generate(&mut self, out: &mut [u8], additional: Option<&[u8; SEED_LEN]>) -> Result<()> {
        if out.len() > MAX_REQUEST {
            return Err(Error::InvalidLength {
                what: "CTR_DRBG request",
                expected: MAX_REQUEST,
                got: out.len(),
            });
        }
        if self.reseed_counter > RESEED_INTERVAL {
            return Err(Error::ReseedRequired);
        }
        let additional = match additional {
            Some(a) => {
                self.update(a);
                *a
            }
            None => [0; SEED_LEN],
        };
        let cipher = Key128::new(self.key).cipher();
        for chunk in out.chunks_mut(16) {
            increment(&mut self.v);
            let mut block = self.v;
            encrypt_block(&cipher, &mut block);
            chunk.copy_from_slice(&block[..chunk.len()]);
            block.zeroize();
        }
        self.update(&additional);
        self.reseed_counter += 1;
        Ok(())
    }
}
