//! COSE_Encrypt0 with AES-GCM: content encrypted under a key both sides already share.

use super::sign1::original_protected_bytes;
use super::{Error, Result};
use crate::crypto::{AeadKey, GCM_NONCE_LEN, aes_gcm_open, aes_gcm_seal};
use coset::{
    CoseEncrypt0, CoseEncrypt0Builder, EncryptionContext, Header, HeaderBuilder, ProtectedHeader,
    iana,
};
use zeroize::Zeroizing;

/// The AES-GCM content algorithms sealhub can open; it seals with [`ContentAlgorithm::A128Gcm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentAlgorithm {
    /// AES-128-GCM, COSE alg 1.
    A128Gcm,
    /// AES-192-GCM, COSE alg 2.
    A192Gcm,
    /// AES-256-GCM, COSE alg 3.
    A256Gcm,
}

impl ContentAlgorithm {
    /// The IANA algorithm that names this one in a header.
    pub fn iana(self) -> iana::Algorithm {
        match self {
            ContentAlgorithm::A128Gcm => iana::Algorithm::A128GCM,
            ContentAlgorithm::A192Gcm => iana::Algorithm::A192GCM,
            ContentAlgorithm::A256Gcm => iana::Algorithm::A256GCM,
        }
    }

    /// Key length in bytes, which must match the key given.
    pub fn key_len(self) -> usize {
        match self {
            ContentAlgorithm::A128Gcm => 16,
            ContentAlgorithm::A192Gcm => 24,
            ContentAlgorithm::A256Gcm => 32,
        }
    }

    /// Recognises a header's `alg` as one of these.
    pub fn from_header(alg: &coset::Algorithm) -> Option<Self> {
        match alg {
            coset::Algorithm::Assigned(iana::Algorithm::A128GCM) => Some(Self::A128Gcm),
            coset::Algorithm::Assigned(iana::Algorithm::A192GCM) => Some(Self::A192Gcm),
            coset::Algorithm::Assigned(iana::Algorithm::A256GCM) => Some(Self::A256Gcm),
            _ => None,
        }
    }
}

/// Builds the Enc_structure (RFC 9052 §5.3) over the protected header's original bytes.
pub(crate) fn enc_structure(
    context: EncryptionContext,
    protected: &ProtectedHeader,
    external_aad: &[u8],
) -> Result<Vec<u8>> {
    let original = original_protected_bytes(protected)?;
    let with_original = ProtectedHeader {
        original_data: Some(original),
        header: protected.header.clone(),
    };
    Ok(coset::enc_structure_data(
        context,
        with_original,
        external_aad,
    ))
}

/// Checks the protected `alg` is exactly `expected` and the key fits it.
pub(crate) fn check_content_alg(
    protected: &Header,
    expected: ContentAlgorithm,
    key: &AeadKey,
) -> Result<()> {
    match protected
        .alg
        .as_ref()
        .and_then(ContentAlgorithm::from_header)
    {
        Some(found) if found == expected => {}
        _ => {
            return Err(Error::WrongAlgorithm {
                expected: format!("{expected:?} in the protected header"),
                found: format!("{:?}", protected.alg),
            });
        }
    }
    if key.as_bytes().len() != expected.key_len() {
        return Err(Error::WrongAlgorithm {
            expected: format!("{expected:?}"),
            found: format!("a {}-byte key", key.as_bytes().len()),
        });
    }
    Ok(())
}

/// Encrypts `plaintext` into a COSE_Encrypt0: `alg` goes in the protected header, `iv` into
/// `unprotected` (any other unprotected parameters are kept).
pub fn encrypt0_create(
    alg: ContentAlgorithm,
    key: &AeadKey,
    iv: [u8; GCM_NONCE_LEN],
    mut unprotected: Header,
    plaintext: &[u8],
    external_aad: &[u8],
) -> Result<CoseEncrypt0> {
    check_key_len(alg, key)?;
    unprotected.iv = iv.to_vec();
    let protected = HeaderBuilder::new().algorithm(alg.iana()).build();
    CoseEncrypt0Builder::new()
        .protected(protected)
        .unprotected(unprotected)
        .try_create_ciphertext(plaintext, external_aad, |pt, aad| {
            aes_gcm_seal(key, &iv, aad, pt).map_err(Error::from)
        })
        .map(CoseEncrypt0Builder::build)
}

pub(crate) fn check_key_len(alg: ContentAlgorithm, key: &AeadKey) -> Result<()> {
    if key.as_bytes().len() == alg.key_len() {
        Ok(())
    } else {
        Err(Error::WrongAlgorithm {
            expected: format!("{alg:?}"),
            found: format!("a {}-byte key", key.as_bytes().len()),
        })
    }
}

/// Opens a COSE_Encrypt0 that must use `expected` (named in the protected header) under `key`.
pub fn encrypt0_open(
    msg: &CoseEncrypt0,
    expected: ContentAlgorithm,
    key: &AeadKey,
    external_aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    check_content_alg(&msg.protected.header, expected, key)?;
    decrypt_body(
        EncryptionContext::CoseEncrypt0,
        &msg.protected,
        &msg.unprotected,
        msg.ciphertext.as_deref(),
        key,
        external_aad,
    )
}

/// Opens a COSE_Encrypt0 with whichever AES-GCM algorithm its headers name, protected or (as
/// RFC 9052 permits) unprotected, for reading others' messages such as published vectors.
/// sealhub's own envelopes go through [`encrypt0_open`], which insists on a protected `alg`.
pub fn open_with_header_alg(
    msg: &CoseEncrypt0,
    key: &AeadKey,
    external_aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let alg = super::find_alg(&msg.protected.header, &msg.unprotected)
        .and_then(|(alg, _)| ContentAlgorithm::from_header(&alg))
        .ok_or_else(|| Error::WrongAlgorithm {
            expected: "an AES-GCM algorithm".into(),
            found: format!("{:?} / {:?}", msg.protected.header.alg, msg.unprotected.alg),
        })?;
    check_key_len(alg, key)?;
    decrypt_body(
        EncryptionContext::CoseEncrypt0,
        &msg.protected,
        &msg.unprotected,
        msg.ciphertext.as_deref(),
        key,
        external_aad,
    )
}

/// Decrypts a body (Encrypt0 or Encrypt) given its context, headers and ciphertext.
pub(crate) fn decrypt_body(
    context: EncryptionContext,
    protected: &ProtectedHeader,
    unprotected: &Header,
    ciphertext: Option<&[u8]>,
    key: &AeadKey,
    external_aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if unprotected.iv.len() != GCM_NONCE_LEN || !protected.header.iv.is_empty() {
        return Err(Error::Malformed(
            "the IV must be 12 bytes in the unprotected header".into(),
        ));
    }
    if !unprotected.partial_iv.is_empty() || !protected.header.partial_iv.is_empty() {
        return Err(Error::Malformed("partial IVs are not used".into()));
    }
    let ciphertext =
        ciphertext.ok_or_else(|| Error::Malformed("detached ciphertext is not accepted".into()))?;
    let aad = enc_structure(context, protected, external_aad)?;
    aes_gcm_open(key, &unprotected.iv, &aad, ciphertext).map_err(|_| Error::DecryptionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::CborSerializable;

    #[test]
    fn round_trip_and_refusals() {
        let key = AeadKey::Aes128([3; 16]);
        let msg = encrypt0_create(
            ContentAlgorithm::A128Gcm,
            &key,
            [9; 12],
            Header::default(),
            b"secret",
            b"meta",
        )
        .expect("seal");
        let bytes = msg.to_vec().expect("encode");
        let back = super::super::decode_encrypt0(&bytes).expect("decode");
        let pt = encrypt0_open(&back, ContentAlgorithm::A128Gcm, &key, b"meta").expect("open");
        assert_eq!(pt.as_slice(), b"secret");
        assert!(matches!(
            encrypt0_open(&back, ContentAlgorithm::A128Gcm, &key, b"metA"),
            Err(Error::DecryptionFailed)
        ));
        assert!(matches!(
            encrypt0_open(
                &back,
                ContentAlgorithm::A256Gcm,
                &AeadKey::Aes256([3; 32]),
                b"meta"
            ),
            Err(Error::WrongAlgorithm { .. })
        ));
    }
}
