//! The system random source, used for every key, nonce, salt and challenge.

use super::{Error, Result};

/// Fills `buf` from the operating system's CSPRNG; failure is an error, never a weak fallback.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Random(e.to_string()))
}

/// Returns `N` fresh random bytes, for nonces, salts and identifiers.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}
