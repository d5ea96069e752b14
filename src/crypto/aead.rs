//! AES-GCM with 128- or 256-bit keys: the only AEAD in sealhub (envelopes and the sealed store).

use super::{Error, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm, Nonce};

type Aes192Gcm = AesGcm<aes_gcm::aes::Aes192, aes_gcm::aead::consts::U12>;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of an AES-GCM nonce as COSE and the store use it.
pub const GCM_NONCE_LEN: usize = 12;
/// Length of the AES-GCM authentication tag appended to every ciphertext.
pub const GCM_TAG_LEN: usize = 16;

/// An AES-GCM key whose size picks the algorithm; zeroized on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub enum AeadKey {
    /// AES-128-GCM (COSE alg 1, A128GCM).
    Aes128([u8; 16]),
    /// AES-192-GCM (COSE alg 2, A192GCM); only for opening others' messages.
    Aes192([u8; 24]),
    /// AES-256-GCM (COSE alg 3, A256GCM).
    Aes256([u8; 32]),
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AeadKey::Aes128(_) => f.write_str("AeadKey::Aes128(<redacted>)"),
            AeadKey::Aes192(_) => f.write_str("AeadKey::Aes192(<redacted>)"),
            AeadKey::Aes256(_) => f.write_str("AeadKey::Aes256(<redacted>)"),
        }
    }
}

impl AeadKey {
    /// Builds a key from raw bytes; the length (16, 24 or 32) chooses AES-128, -192 or -256.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        match bytes.len() {
            16 => {
                let mut k = [0u8; 16];
                k.copy_from_slice(bytes);
                Ok(AeadKey::Aes128(k))
            }
            24 => {
                let mut k = [0u8; 24];
                k.copy_from_slice(bytes);
                Ok(AeadKey::Aes192(k))
            }
            32 => {
                let mut k = [0u8; 32];
                k.copy_from_slice(bytes);
                Ok(AeadKey::Aes256(k))
            }
            _ => Err(Error::AeadParameters),
        }
    }

    /// The raw key bytes, for wrapping the key inside another sealed record.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            AeadKey::Aes128(k) => k,
            AeadKey::Aes192(k) => k,
            AeadKey::Aes256(k) => k,
        }
    }
}

/// Encrypts `plaintext`, returning ciphertext || tag.
pub fn aes_gcm_seal(key: &AeadKey, nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce = nonce_from(nonce)?;
    let payload = Payload {
        msg: plaintext,
        aad,
    };
    match key {
        AeadKey::Aes128(k) => Aes128Gcm::new(k.into()).encrypt(&nonce, payload),
        AeadKey::Aes192(k) => Aes192Gcm::new(k.into()).encrypt(&nonce, payload),
        AeadKey::Aes256(k) => Aes256Gcm::new(k.into()).encrypt(&nonce, payload),
    }
    .map_err(|_| Error::AeadParameters)
}

/// Decrypts ciphertext || tag; any tampering, wrong key or wrong `aad` gives [`Error::Decrypt`].
pub fn aes_gcm_open(
    key: &AeadKey,
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let nonce = nonce_from(nonce)?;
    if ciphertext.len() < GCM_TAG_LEN {
        return Err(Error::Decrypt);
    }
    let payload = Payload {
        msg: ciphertext,
        aad,
    };
    match key {
        AeadKey::Aes128(k) => Aes128Gcm::new(k.into()).decrypt(&nonce, payload),
        AeadKey::Aes192(k) => Aes192Gcm::new(k.into()).decrypt(&nonce, payload),
        AeadKey::Aes256(k) => Aes256Gcm::new(k.into()).decrypt(&nonce, payload),
    }
    .map(zeroize::Zeroizing::new)
    .map_err(|_| Error::Decrypt)
}

fn nonce_from(nonce: &[u8]) -> Result<Nonce<aes_gcm::aead::consts::U12>> {
    let arr: [u8; GCM_NONCE_LEN] = nonce.try_into().map_err(|_| Error::AeadParameters)?;
    Ok(arr.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_round_trips_and_wrong_aad_is_refused() {
        let key = AeadKey::Aes128([7u8; 16]);
        let nonce = [1u8; 12];
        let ct = aes_gcm_seal(&key, &nonce, b"aad", b"hello").expect("seal");
        assert_eq!(ct.len(), 5 + GCM_TAG_LEN);
        let pt = aes_gcm_open(&key, &nonce, b"aad", &ct).expect("open");
        assert_eq!(pt.as_slice(), b"hello");
        assert!(matches!(
            aes_gcm_open(&key, &nonce, b"aaD", &ct),
            Err(Error::Decrypt)
        ));
        assert!(matches!(
            aes_gcm_open(&key, &nonce, b"aad", &ct[..10]),
            Err(Error::Decrypt)
        ));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = AeadKey::Aes256([0xAB; 32]);
        let shown = format!("{key:?}");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab,"));
    }
}
