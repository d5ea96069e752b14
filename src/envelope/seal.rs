//! Sealing: sign the body with the sender's key, then encrypt to the epoch key or to one key.
//! The `*_with` functions take their randomness as arguments and are deterministic, so tests
//! can pin bytes; the others draw it from the system.

use super::body::Body;
use super::headers::INNER_PROTECTED;
use super::read_key::device_read_key;
use super::route::{ROUTE_LABEL, Route};
use super::{Error, Result};
use crate::cose::{self, ContentAlgorithm};
use crate::crypto::{AeadKey, GCM_NONCE_LEN, PrivateKey, PublicKey, random_array};
use crate::identity::Kid;
use coset::cbor::value::Value;
use coset::{Header, Label, TaggedCborSerializable};
use zeroize::Zeroizing;

/// The content algorithm of both outer layers in version 1.
pub const CONTENT_ALG: ContentAlgorithm = ContentAlgorithm::A128Gcm;

/// A key that signs inner layers, with the short kid receivers look it up by.
#[derive(Debug, Clone, Copy)]
pub struct SigningIdentity<'a> {
    /// The private key.
    pub key: &'a PrivateKey,
    /// Its short kid (first 8 bytes of its thumbprint).
    pub kid: Kid,
}

fn route_header(route_bytes: &[u8]) -> Header {
    let mut h = Header::default();
    h.rest
        .push((Label::Int(ROUTE_LABEL), Value::Bytes(route_bytes.to_vec())));
    h
}

/// Appends the head of a CBOR item of major type `major` with argument `n`, shortest form.
fn cbor_head(out: &mut Vec<u8>, major: u8, n: usize) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
}

/// Appends a byte string.
fn cbor_bstr(out: &mut Vec<u8>, bytes: &[u8]) {
    cbor_head(out, 2, bytes.len());
    out.extend_from_slice(bytes);
}

/// The inner COSE_Sign1 (untagged: its place in the outer layer says what it is),
/// `[h'A10126', {4: kid}, payload, signature]`, written directly into buffers that are wiped on
/// drop: the payload may be a key distribution, and no copy of it is left behind.
fn sign_inner(
    route_bytes: &[u8],
    body: &Body,
    signer: SigningIdentity<'_>,
) -> Result<Zeroizing<Vec<u8>>> {
    let payload = body.to_zeroizing_bytes();
    // Sig_structure (RFC 9052 §4.4): ["Signature1", protected, external_aad, payload].
    let mut tbs = Zeroizing::new(Vec::with_capacity(payload.len() + route_bytes.len() + 32));
    cbor_head(&mut tbs, 4, 4);
    cbor_head(&mut tbs, 3, SIGNATURE1.len());
    tbs.extend_from_slice(SIGNATURE1.as_bytes());
    cbor_bstr(&mut tbs, &INNER_PROTECTED);
    cbor_bstr(&mut tbs, route_bytes);
    cbor_bstr(&mut tbs, &payload);
    let signature = signer.key.sign(&tbs);
    let mut out = Zeroizing::new(Vec::with_capacity(payload.len() + 96));
    cbor_head(&mut out, 4, 4);
    cbor_bstr(&mut out, &INNER_PROTECTED);
    // {4: h'<kid>'}
    cbor_head(&mut out, 5, 1);
    out.push(0x04);
    cbor_bstr(&mut out, &signer.kid.0);
    cbor_bstr(&mut out, &payload);
    cbor_bstr(&mut out, &signature);
    Ok(out)
}

/// The Sig_structure context string of a COSE_Sign1.
const SIGNATURE1: &str = "Signature1";

fn check_kinds(route: &Route, body: &Body, to_one_key: bool) -> Result<()> {
    if route.msg_type != body.kind {
        return Err(Error::MetadataMismatch(
            "the body's kind differs from the route's type".into(),
        ));
    }
    if route.msg_type.is_to_one_key() != to_one_key {
        return Err(Error::MetadataMismatch(format!(
            "{:?} is not sealed this way",
            route.msg_type
        )));
    }
    Ok(())
}

/// Seals an event or revocation list (COSE_Encrypt0) under the read key of the route's device,
/// derived from `epoch_key` ([`super::device_read_key`]).
pub fn seal_for_epoch_with(
    route: &Route,
    body: &Body,
    signer: SigningIdentity<'_>,
    epoch_key: &AeadKey,
    iv: [u8; GCM_NONCE_LEN],
) -> Result<Vec<u8>> {
    check_kinds(route, body, false)?;
    let read_key = device_read_key(epoch_key, &route.device)?;
    let route_bytes = route.to_bytes();
    let inner = sign_inner(&route_bytes, body, signer)?;
    let outer = cose::encrypt0_create(
        CONTENT_ALG,
        &read_key,
        iv,
        route_header(&route_bytes),
        &inner,
        &route_bytes,
    )?;
    Ok(outer.to_tagged_vec()?)
}

/// Seals a command, key distribution, response or challenge to one P-256 key agreement key
/// (COSE_Encrypt, ECDH-ES + HKDF-256).
#[allow(clippy::too_many_arguments)]
pub fn seal_for_key_with(
    route: &Route,
    body: &Body,
    signer: SigningIdentity<'_>,
    recipient: &PublicKey,
    recipient_kid: Kid,
    ephemeral: &PrivateKey,
    iv: [u8; GCM_NONCE_LEN],
) -> Result<Vec<u8>> {
    let prepared = cose::prepare_ecdh_es(CONTENT_ALG, recipient, &recipient_kid.0, ephemeral)?;
    seal_prepared_with(route, body, signer, prepared, iv)
}

/// Signs `body` and encrypts it with a key agreed ahead, under `iv`: what both
/// [`seal_for_key_with`] and [`seal_for_prepared`] end with.
fn seal_prepared_with(
    route: &Route,
    body: &Body,
    signer: SigningIdentity<'_>,
    prepared: cose::EcdhEsPrepared,
    iv: [u8; GCM_NONCE_LEN],
) -> Result<Vec<u8>> {
    check_kinds(route, body, true)?;
    let route_bytes = route.to_bytes();
    let inner = sign_inner(&route_bytes, body, signer)?;
    let outer = cose::encrypt_prepared(
        prepared,
        iv,
        route_header(&route_bytes),
        &inner,
        &route_bytes,
    )?;
    Ok(outer.to_tagged_vec()?)
}

/// Agrees the content key of a message to `recipient` now, for [`seal_for_prepared`] later: the
/// key generation and the ECDH done while the sender waits, off the message's way.
pub fn prepare_for_key(recipient: &PublicKey, recipient_kid: Kid) -> Result<cose::EcdhEsPrepared> {
    let ephemeral = PrivateKey::generate()?;
    Ok(cose::prepare_ecdh_es(
        CONTENT_ALG,
        recipient,
        &recipient_kid.0,
        &ephemeral,
    )?)
}

/// [`seal_for_key`] with the key agreement done ahead ([`prepare_for_key`]), which this
/// consumes; a random IV.
pub fn seal_for_prepared(
    route: &Route,
    body: &Body,
    signer: SigningIdentity<'_>,
    prepared: cose::EcdhEsPrepared,
) -> Result<Vec<u8>> {
    seal_prepared_with(route, body, signer, prepared, random_array()?)
}

/// [`seal_for_epoch_with`] with a random IV.
pub fn seal_for_epoch(
    route: &Route,
    body: &Body,
    signer: SigningIdentity<'_>,
    epoch_key: &AeadKey,
) -> Result<Vec<u8>> {
    seal_for_epoch_with(route, body, signer, epoch_key, random_array()?)
}

/// [`seal_for_key_with`] with a fresh ephemeral key and a random IV.
pub fn seal_for_key(
    route: &Route,
    body: &Body,
    signer: SigningIdentity<'_>,
    recipient: &PublicKey,
    recipient_kid: Kid,
) -> Result<Vec<u8>> {
    let ephemeral = PrivateKey::generate()?;
    seal_for_key_with(
        route,
        body,
        signer,
        recipient,
        recipient_kid,
        &ephemeral,
        random_array()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{DeviceId, MessageType};
    use coset::CborSerializable;

    /// The hand-written inner layer is exactly what coset writes for the same Sign1, and it
    /// verifies over the route: the direct encoding changes where bytes live, not what they are.
    #[test]
    fn the_inner_layer_is_the_sign1_coset_would_write() {
        let key = PrivateKey::from_bytes(&[3; 32]).expect("scalar");
        let kid = Kid([1, 2, 3, 4, 5, 6, 7, 8]);
        let route = Route {
            home: kid,
            device: DeviceId::new("zb:lock").expect("id"),
            msg_type: MessageType::Event,
            epoch: 1,
        }
        .to_bytes();
        for len in [0usize, 23, 24, 255, 256, 70_000] {
            let body = Body {
                msg_id: [9; 8],
                seq: 1,
                time: 0,
                kind: MessageType::Event,
                body: Value::Bytes(vec![0xab; len]),
                exp: None,
                echo: None,
                re: None,
            };
            let inner =
                sign_inner(&route, &body, SigningIdentity { key: &key, kid }).expect("sign");
            let parsed = cose::decode_sign1(&inner).or_else(|e| {
                // Past the decoder's message limit: compare the structure only.
                if len > cose::MAX_MESSAGE_LEN {
                    coset::CoseSign1::from_slice(&inner).map_err(cose::Error::from)
                } else {
                    Err(e)
                }
            });
            let parsed = parsed.expect("decodes");
            assert_eq!(
                parsed.clone().to_vec().expect("encode"),
                *inner,
                "len {len}"
            );
            let (payload, _) =
                cose::sign1_verify(&parsed, &route, &key.public_key()).expect("verifies");
            assert_eq!(payload, body.to_bytes().as_slice());
        }
    }
}
