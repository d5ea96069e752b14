//! Sealing: sign the body with the sender's key, then encrypt to the epoch key or to one key.
//! The `*_with` functions take their randomness as arguments and are deterministic, so tests
//! can pin bytes; the others draw it from the system.

use super::body::Body;
use super::route::{ROUTE_LABEL, Route};
use super::{Error, Result};
use crate::cose::{self, ContentAlgorithm};
use crate::crypto::{AeadKey, GCM_NONCE_LEN, PrivateKey, PublicKey, random_array};
use crate::identity::Kid;
use coset::cbor::value::Value;
use coset::{CborSerializable, Header, HeaderBuilder, Label, TaggedCborSerializable};

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

/// The inner COSE_Sign1 (untagged: its place in the outer layer says what it is).
fn sign_inner(route_bytes: &[u8], body: &Body, signer: SigningIdentity<'_>) -> Result<Vec<u8>> {
    let sign1 = cose::sign1_create(
        Header::default(),
        HeaderBuilder::new().key_id(signer.kid.0.to_vec()).build(),
        body.to_bytes(),
        route_bytes,
        signer.key,
    );
    Ok(sign1.to_vec()?)
}

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

/// Seals an event, response, revocation list or challenge under the epoch key (COSE_Encrypt0).
pub fn seal_for_epoch_with(
    route: &Route,
    body: &Body,
    signer: SigningIdentity<'_>,
    epoch_key: &AeadKey,
    iv: [u8; GCM_NONCE_LEN],
) -> Result<Vec<u8>> {
    check_kinds(route, body, false)?;
    let route_bytes = route.to_bytes();
    let inner = sign_inner(&route_bytes, body, signer)?;
    let outer = cose::encrypt0_create(
        CONTENT_ALG,
        epoch_key,
        iv,
        route_header(&route_bytes),
        &inner,
        &route_bytes,
    )?;
    Ok(outer.to_tagged_vec()?)
}

/// Seals a command or key distribution to one P-256 key (COSE_Encrypt, ECDH-ES + HKDF-256).
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
    check_kinds(route, body, true)?;
    let route_bytes = route.to_bytes();
    let inner = sign_inner(&route_bytes, body, signer)?;
    let outer = cose::encrypt_ecdh_es(
        CONTENT_ALG,
        recipient,
        &recipient_kid.0,
        ephemeral,
        iv,
        route_header(&route_bytes),
        &inner,
        &route_bytes,
    )?;
    Ok(outer.to_tagged_vec()?)
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
