//! HKDF-SHA-256 (RFC 5869) and SHA-256, for COSE key derivation and key thumbprints.

use super::{Error, Result};
use sha2::Digest;
use zeroize::Zeroizing;

/// Derives `len` bytes from `ikm`; the output is key material, so it is zeroized on drop.
pub fn hkdf_sha256(
    salt: Option<&[u8]>,
    ikm: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(salt, ikm);
    let mut okm = Zeroizing::new(vec![0u8; len]);
    hk.expand(info, &mut okm)
        .map_err(|_| Error::KdfLength(len))?;
    Ok(okm)
}

/// SHA-256 of `data`, used for key thumbprints (RFC 9679).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}
