//! COSE_Encrypt with one ECDH-ES + HKDF-256 recipient (RFC 9053 §6.3): encrypting to a public key
//! without any prior shared secret. The content key is derived, never sent.

use super::encrypt0::{ContentAlgorithm, check_content_alg, check_key_len, decrypt_body};
use super::key::{cose_key_from_public, public_from_cose_key};
use super::sign1::original_protected_bytes;
use super::{Error, Result};
use crate::crypto::{
    AeadKey, GCM_NONCE_LEN, PrivateKey, PublicKey, SharedSecret, aes_gcm_seal, hkdf_sha256,
};
use coset::cbor::value::Value;
use coset::iana::{self, EnumI64};
use coset::{
    AsCborValue, CoseEncrypt, CoseEncryptBuilder, CoseKey, CoseRecipient, CoseRecipientBuilder,
    Header, HeaderBuilder, Label,
};
use zeroize::Zeroizing;

/// What a recipient needs to find itself in a message: its key id (absent to take the only one).
#[derive(Debug, Clone, Copy)]
pub struct EcdhEsRecipient<'a> {
    /// The recipient's private key.
    pub key: &'a PrivateKey,
    /// The `kid` the sender put in the recipient header, if the recipient should match on it.
    pub kid: Option<&'a [u8]>,
}

/// The serialised COSE_KDF_Context (RFC 9053 §5.2) with no party information, as sealhub uses it.
pub fn kdf_context(alg: ContentAlgorithm, recipient_protected: &[u8]) -> Vec<u8> {
    let nil3 = || Value::Array(vec![Value::Null, Value::Null, Value::Null]);
    let ctx = Value::Array(vec![
        Value::Integer(alg.iana().to_i64().into()),
        nil3(),
        nil3(),
        Value::Array(vec![
            Value::Integer(((alg.key_len() * 8) as i64).into()),
            Value::Bytes(recipient_protected.to_vec()),
        ]),
    ]);
    let mut out = Vec::new();
    // Writing a small in-memory Value to a Vec cannot fail.
    let _ = coset::cbor::ser::into_writer(&ctx, &mut out);
    out
}

/// Derives the content key from the ECDH secret with HKDF-SHA-256 over the KDF context.
pub fn recipient_content_key(
    shared: &SharedSecret,
    alg: ContentAlgorithm,
    recipient_protected: &[u8],
) -> Result<AeadKey> {
    let context = kdf_context(alg, recipient_protected);
    let okm = hkdf_sha256(None, shared.as_slice(), &context, alg.key_len())?;
    Ok(AeadKey::from_slice(&okm)?)
}

fn recipient_protected_header() -> Header {
    HeaderBuilder::new()
        .algorithm(iana::Algorithm::ECDH_ES_HKDF_256)
        .build()
}

/// The key agreement of one ECDH-ES message done ahead of its content: the content key and the
/// recipient entry with the ephemeral public key. For a sender with idle time before it knows
/// what it will say (the hub, while a device carries out the command it will answer), so the
/// two scalar multiplications are off the message's way. [`encrypt_prepared`] consumes it: no
/// content key or ephemeral key serves two messages.
pub struct EcdhEsPrepared {
    alg: ContentAlgorithm,
    cek: AeadKey,
    recipient_kid: Vec<u8>,
    ephemeral_key: Value,
}

impl std::fmt::Debug for EcdhEsPrepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdhEsPrepared")
            .field("recipient_kid", &hex::encode(&self.recipient_kid))
            .finish_non_exhaustive()
    }
}

impl EcdhEsPrepared {
    /// The key id of the recipient it was agreed with.
    pub fn recipient_kid(&self) -> &[u8] {
        &self.recipient_kid
    }
}

/// Agrees the content key of one message to `recipient` with a fresh `ephemeral` key the caller
/// generated; [`encrypt_prepared`] then encrypts with it.
pub fn prepare_ecdh_es(
    alg: ContentAlgorithm,
    recipient: &PublicKey,
    recipient_kid: &[u8],
    ephemeral: &PrivateKey,
) -> Result<EcdhEsPrepared> {
    let rp_bytes = coset::CborSerializable::to_vec(recipient_protected_header())?;
    let shared = ephemeral.diffie_hellman(recipient);
    let cek = recipient_content_key(&shared, alg, &rp_bytes)?;
    check_key_len(alg, &cek)?;
    Ok(EcdhEsPrepared {
        alg,
        cek,
        recipient_kid: recipient_kid.to_vec(),
        ephemeral_key: cose_key_from_public(&ephemeral.public_key(), None).to_cbor_value()?,
    })
}

/// Encrypts `plaintext` with a key agreement done ahead ([`prepare_ecdh_es`]).
pub fn encrypt_prepared(
    prepared: EcdhEsPrepared,
    iv: [u8; GCM_NONCE_LEN],
    mut unprotected: Header,
    plaintext: &[u8],
    external_aad: &[u8],
) -> Result<CoseEncrypt> {
    let EcdhEsPrepared {
        alg,
        cek,
        recipient_kid,
        ephemeral_key,
    } = prepared;
    let mut ru = HeaderBuilder::new().key_id(recipient_kid).build();
    ru.rest.push((
        Label::Int(iana::HeaderAlgorithmParameter::EphemeralKey.to_i64()),
        ephemeral_key,
    ));
    let recipient = CoseRecipientBuilder::new()
        .protected(recipient_protected_header())
        .unprotected(ru)
        .ciphertext(Vec::new())
        .build();

    unprotected.iv = iv.to_vec();
    CoseEncryptBuilder::new()
        .protected(HeaderBuilder::new().algorithm(alg.iana()).build())
        .unprotected(unprotected)
        .add_recipient(recipient)
        .try_create_ciphertext(plaintext, external_aad, |pt, aad| {
            aes_gcm_seal(&cek, &iv, aad, pt).map_err(Error::from)
        })
        .map(CoseEncryptBuilder::build)
}

/// Encrypts `plaintext` to `recipient` with a fresh `ephemeral` key the caller generated.
/// Taking the ephemeral key and IV as inputs keeps this function free of randomness, so tests
/// can reproduce published vectors byte for byte.
#[allow(clippy::too_many_arguments)]
pub fn encrypt_ecdh_es(
    alg: ContentAlgorithm,
    recipient: &PublicKey,
    recipient_kid: &[u8],
    ephemeral: &PrivateKey,
    iv: [u8; GCM_NONCE_LEN],
    unprotected: Header,
    plaintext: &[u8],
    external_aad: &[u8],
) -> Result<CoseEncrypt> {
    let prepared = prepare_ecdh_es(alg, recipient, recipient_kid, ephemeral)?;
    encrypt_prepared(prepared, iv, unprotected, plaintext, external_aad)
}

/// Finds the recipient entry meant for `me`.
fn select_recipient<'m>(
    msg: &'m CoseEncrypt,
    me: &EcdhEsRecipient<'_>,
) -> Result<&'m CoseRecipient> {
    let mut candidates = msg.recipients.iter().filter(|r| match me.kid {
        Some(kid) => r.unprotected.key_id == kid || r.protected.header.key_id == kid,
        None => true,
    });
    let first = candidates
        .next()
        .ok_or_else(|| Error::Malformed("no recipient for this key".into()))?;
    if me.kid.is_none() && candidates.next().is_some() {
        return Err(Error::Malformed(
            "several recipients and no kid to choose".into(),
        ));
    }
    Ok(first)
}

fn ephemeral_key(r: &CoseRecipient) -> Result<PublicKey> {
    let label = Label::Int(iana::HeaderAlgorithmParameter::EphemeralKey.to_i64());
    let value = r
        .unprotected
        .rest
        .iter()
        .chain(r.protected.header.rest.iter())
        .find(|(l, _)| *l == label)
        .map(|(_, v)| v.clone())
        .ok_or_else(|| Error::Malformed("recipient has no ephemeral key".into()))?;
    let key = CoseKey::from_cbor_value(value)?;
    public_from_cose_key(&key)
}

/// Opens a COSE_Encrypt whose content uses `expected` and whose recipient uses ECDH-ES + HKDF-256.
pub fn open_ecdh_es(
    msg: &CoseEncrypt,
    expected: ContentAlgorithm,
    me: EcdhEsRecipient<'_>,
    external_aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let r = select_recipient(msg, &me)?;
    if r.protected.header.alg
        != Some(coset::Algorithm::Assigned(
            iana::Algorithm::ECDH_ES_HKDF_256,
        ))
    {
        return Err(Error::WrongAlgorithm {
            expected: "ECDH-ES + HKDF-256 in the recipient's protected header".into(),
            found: format!("{:?}", r.protected.header.alg),
        });
    }
    if r.ciphertext.as_ref().is_some_and(|c| !c.is_empty()) || !r.recipients.is_empty() {
        return Err(Error::Malformed(
            "direct key agreement carries no wrapped key".into(),
        ));
    }
    let eph = ephemeral_key(r)?;
    let shared = me.key.diffie_hellman(&eph);
    let rp_bytes = original_protected_bytes(&r.protected)?;
    let cek = recipient_content_key(&shared, expected, &rp_bytes)?;
    check_content_alg(&msg.protected.header, expected, &cek)?;
    decrypt_body(
        coset::EncryptionContext::CoseEncrypt,
        &msg.protected,
        &msg.unprotected,
        msg.ciphertext.as_deref(),
        &cek,
        external_aad,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::CborSerializable;

    #[test]
    fn encrypt_to_a_key_and_only_that_key_opens() {
        let device = PrivateKey::generate().expect("rng");
        let eph = PrivateKey::generate().expect("rng");
        let msg = encrypt_ecdh_es(
            ContentAlgorithm::A128Gcm,
            &device.public_key(),
            b"dev",
            &eph,
            [5; 12],
            Header::default(),
            b"unlock",
            b"route",
        )
        .expect("seal");
        let bytes = msg.to_vec().expect("encode");
        let back = super::super::decode_encrypt(&bytes).expect("decode");
        let me = EcdhEsRecipient {
            key: &device,
            kid: Some(b"dev"),
        };
        let pt = open_ecdh_es(&back, ContentAlgorithm::A128Gcm, me, b"route").expect("open");
        assert_eq!(pt.as_slice(), b"unlock");
        let stranger = PrivateKey::generate().expect("rng");
        let wrong = EcdhEsRecipient {
            key: &stranger,
            kid: Some(b"dev"),
        };
        assert!(matches!(
            open_ecdh_es(&back, ContentAlgorithm::A128Gcm, wrong, b"route"),
            Err(Error::DecryptionFailed)
        ));
        assert!(matches!(
            open_ecdh_es(&back, ContentAlgorithm::A128Gcm, me, b"rout3"),
            Err(Error::DecryptionFailed)
        ));
    }
}
