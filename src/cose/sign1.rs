//! COSE_Sign1 with ES256: who said it, over which bytes.

use super::{Error, Result, find_alg};
use crate::crypto::{PrivateKey, PublicKey};
use coset::{CoseSign1, CoseSign1Builder, Header, ProtectedHeader, iana};

/// Where a header parameter sat: only the protected bucket is covered by the signature or tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPlace {
    /// Inside the integrity-protected header.
    Protected,
    /// In the unprotected header map.
    Unprotected,
}

/// Signs `payload` with ES256; `alg` is set in `protected`, overriding any value given.
pub fn sign1_create(
    mut protected: Header,
    unprotected: Header,
    payload: Vec<u8>,
    external_aad: &[u8],
    key: &PrivateKey,
) -> CoseSign1 {
    protected.alg = Some(coset::Algorithm::Assigned(iana::Algorithm::ES256));
    CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected)
        .payload(payload)
        .create_signature(external_aad, |tbs| key.sign(tbs).to_vec())
        .build()
}

/// Verifies an ES256 COSE_Sign1 and returns its payload and where its `alg` was found.
///
/// The bytes signed are rebuilt from the protected header's original encoding, so a message whose
/// header was re-encoded differently fails. Any algorithm other than ES256 is refused.
pub fn sign1_verify<'a>(
    msg: &'a CoseSign1,
    external_aad: &[u8],
    key: &PublicKey,
) -> Result<(&'a [u8], HeaderPlace)> {
    let place = match find_alg(&msg.protected.header, &msg.unprotected) {
        Some((coset::Algorithm::Assigned(iana::Algorithm::ES256), place)) => place,
        other => {
            return Err(Error::WrongAlgorithm {
                expected: "ES256".into(),
                found: other.map_or("none".into(), |(a, _)| format!("{a:?}")),
            });
        }
    };
    let payload = msg
        .payload
        .as_deref()
        .ok_or_else(|| Error::Malformed("detached payloads are not accepted".into()))?;
    let protected = ProtectedHeader {
        original_data: Some(original_protected_bytes(&msg.protected)?),
        header: msg.protected.header.clone(),
    };
    let tbs = coset::sig_structure_data(
        coset::SignatureContext::CoseSign1,
        protected,
        None,
        external_aad,
        payload,
    );
    key.verify(&tbs, &msg.signature)
        .map_err(|_| Error::BadSignature)?;
    Ok((payload, place))
}

/// The protected header as it goes into Sig_structure, Enc_structure and the KDF context: its
/// bytes as they were on the wire, or the zero-length string when it holds no parameters.
///
/// RFC 9052 §3: recipients MUST accept an empty protected map sent as `h'A0'`, and the zero-length
/// string is "the version used in the serialization structures for cryptographic computation"
/// (§4.4, §5.3: "if there are no protected attributes, a zero-length byte string is used"). The
/// COSE working group vector `sign1-tests/sign-pass-01` is signed that way.
pub(crate) fn original_protected_bytes(p: &ProtectedHeader) -> Result<Vec<u8>> {
    if p.header.is_empty() {
        return Ok(Vec::new());
    }
    match &p.original_data {
        Some(bytes) => Ok(bytes.clone()),
        None => Ok(coset::CborSerializable::to_vec(p.header.clone())?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::{CborSerializable, HeaderBuilder};

    #[test]
    fn a_signed_message_verifies_and_a_changed_aad_or_key_is_refused() {
        let key = PrivateKey::generate().expect("rng");
        let msg = sign1_create(
            Header::default(),
            HeaderBuilder::new().key_id(b"k".to_vec()).build(),
            b"payload".to_vec(),
            b"aad",
            &key,
        );
        let bytes = msg.to_vec().expect("encode");
        let back = super::super::decode_sign1(&bytes).expect("decode");
        let (payload, place) = sign1_verify(&back, b"aad", &key.public_key()).expect("verify");
        assert_eq!(payload, b"payload");
        assert_eq!(place, HeaderPlace::Protected);
        assert!(matches!(
            sign1_verify(&back, b"aaX", &key.public_key()),
            Err(Error::BadSignature)
        ));
        let other = PrivateKey::generate().expect("rng").public_key();
        assert!(matches!(
            sign1_verify(&back, b"aad", &other),
            Err(Error::BadSignature)
        ));
    }

    #[test]
    fn another_algorithm_is_refused_before_any_verification() {
        let key = PrivateKey::generate().expect("rng");
        let mut msg = sign1_create(Header::default(), Header::default(), vec![1], b"", &key);
        msg.protected = ProtectedHeader {
            original_data: None,
            header: HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES384)
                .build(),
        };
        assert!(matches!(
            sign1_verify(&msg, b"", &key.public_key()),
            Err(Error::WrongAlgorithm { .. })
        ));
    }

    #[test]
    fn an_empty_protected_map_sent_as_a0_is_signed_as_the_empty_string() {
        // RFC 9052 §3/§4.4: `h'A0'` and `h''` both mean "no protected parameters", and the
        // Sig_structure then holds a zero-length `body_protected`.
        let key = PrivateKey::generate().expect("rng");
        let unprotected = HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .build();
        let tbs = coset::sig_structure_data(
            coset::SignatureContext::CoseSign1,
            ProtectedHeader::default(),
            None,
            b"",
            b"p",
        );
        let msg = CoseSign1 {
            protected: ProtectedHeader {
                original_data: Some(vec![0xA0]),
                header: Header::default(),
            },
            unprotected,
            payload: Some(b"p".to_vec()),
            signature: key.sign(&tbs).to_vec(),
        };
        let back = super::super::decode_sign1(&msg.to_vec().expect("encode")).expect("decode");
        assert_eq!(back.protected.original_data.as_deref(), Some(&[0xA0][..]));
        let (payload, place) = sign1_verify(&back, b"", &key.public_key()).expect("verify");
        assert_eq!((payload, place), (&b"p"[..], HeaderPlace::Unprotected));
    }
}
