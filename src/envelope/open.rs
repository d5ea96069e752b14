//! Opening: the ten checks of `docs/ENVELOPE.md` ("Refusals") up to and including the body;
//! replay and freshness need the receiver's state and follow in [`super::replay`] and
//! [`super::freshness`].

use super::body::Body;
use super::headers::{self, check_protected, check_unprotected};
use super::read_key::device_read_key;
use super::route::{ROUTE_LABEL, Route};
use super::seal::CONTENT_ALG;
use super::{Error, Result};
use crate::cose::{self, EcdhEsRecipient, HeaderPlace};
use crate::crypto::{AeadKey, PrivateKey, PublicKey};
use crate::identity::Kid;
use coset::{CoseEncrypt, CoseEncrypt0, Header, Label, ProtectedHeader, iana};

/// What the receiver knows: its home, the epoch and read keys it holds, its private keys, and
/// which signers it accepts for which routes.
pub trait Keyring {
    /// The receiver's home id.
    fn home(&self) -> Kid;
    /// The whole key of `epoch`, if held (a receiver that may read every device).
    fn epoch_key(&self, epoch: u32) -> Option<AeadKey>;
    /// The read key for the route's device in the route's epoch. By default derived from
    /// [`Keyring::epoch_key`]; a receiver holding only some devices' keys answers from those,
    /// and refuses the others with [`Error::NoReadKey`].
    fn read_key(&self, route: &Route) -> Result<AeadKey> {
        let epoch_key = self
            .epoch_key(route.epoch)
            .ok_or(Error::UnknownEpoch(route.epoch))?;
        device_read_key(&epoch_key, &route.device)
    }
    /// The private key named by `kid` that commands or key distributions are encrypted to,
    /// only if it belongs to the device (or client) the route names: a command encrypted to
    /// one device's key cannot be routed to another.
    fn recipient_key(&self, kid: &Kid, route: &Route) -> Option<PrivateKey>;
    /// The public key of signer `kid`, if it is known, not revoked, and allowed to sign a
    /// message with this route; otherwise the matching refusal.
    fn signer(&self, kid: &Kid, route: &Route) -> Result<PublicKey>;
}

/// A verified envelope: authentic, decrypted, and consistent with its route.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The route, as verified.
    pub route: Route,
    /// Who signed the inner layer.
    pub signer: Kid,
    /// The signed body.
    pub body: Body,
}

/// Tag numbers of the two outer structures.
const TAG_ENCRYPT0: u8 = 0xd0; // tag 16 in one byte
const TAG_ENCRYPT: [u8; 2] = [0xd8, 0x60]; // tag 96

/// Opens an envelope; replay and freshness are checked by the caller afterwards.
pub fn open(bytes: &[u8], keys: &impl Keyring) -> Result<Opened> {
    if bytes.len() > cose::MAX_MESSAGE_LEN {
        return Err(Error::TooLong {
            len: bytes.len(),
            max: cose::MAX_MESSAGE_LEN,
        });
    }
    let (route, route_bytes, inner) = if bytes.first() == Some(&TAG_ENCRYPT0) {
        let msg = cose::decode_encrypt0(bytes)?;
        open_encrypt0(&msg, keys)?
    } else if bytes.starts_with(&TAG_ENCRYPT) {
        let msg = cose::decode_encrypt(bytes)?;
        open_encrypt(&msg, keys)?
    } else {
        return Err(Error::Malformed(
            "not a tagged COSE_Encrypt0 or COSE_Encrypt".into(),
        ));
    };
    let (signer, body) = verify_inner(&inner, &route, &route_bytes, keys)?;
    Ok(Opened {
        route,
        signer,
        body,
    })
}

/// Reads the route from the outer unprotected header, checks it names our home.
fn read_route(unprotected: &Header, keys: &impl Keyring) -> Result<(Route, Vec<u8>)> {
    let mut found = unprotected
        .rest
        .iter()
        .filter(|(l, _)| *l == Label::Int(ROUTE_LABEL));
    let bytes = match (found.next(), found.next()) {
        (Some((_, v)), None) => v
            .as_bytes()
            .cloned()
            .ok_or_else(|| Error::Malformed("route must be a bstr".into()))?,
        _ => {
            return Err(Error::Malformed(
                "exactly one route header is required".into(),
            ));
        }
    };
    let route = Route::from_bytes(&bytes)?;
    if route.home != keys.home() {
        return Err(Error::MetadataMismatch(format!(
            "home {} is not ours",
            route.home
        )));
    }
    Ok((route, bytes))
}

/// The outer protected header must name the content algorithm and be exactly `{1: 1}`.
fn check_outer_protected(p: &ProtectedHeader) -> Result<()> {
    if p.header.alg != Some(coset::Algorithm::Assigned(CONTENT_ALG.iana())) {
        return Err(Error::WrongAlgorithm(format!(
            "outer layer must be A128GCM, found {:?}",
            p.header.alg
        )));
    }
    check_protected(p, &headers::OUTER_PROTECTED, headers::OUTER_PROTECTED_LAYER)
}

/// The outer unprotected header must hold the IV and the route, nothing else.
fn check_outer_unprotected(h: &Header) -> Result<()> {
    check_unprotected(
        h,
        headers::OUTER_UNPROTECTED_LABELS,
        headers::OUTER_UNPROTECTED_LAYER,
    )
}

fn open_encrypt0(
    msg: &CoseEncrypt0,
    keys: &impl Keyring,
) -> Result<(Route, Vec<u8>, zeroize::Zeroizing<Vec<u8>>)> {
    let (route, route_bytes) = read_route(&msg.unprotected, keys)?;
    if route.msg_type.is_to_one_key() {
        return Err(Error::MetadataMismatch(format!(
            "{:?} must be encrypted to one key",
            route.msg_type
        )));
    }
    check_outer_protected(&msg.protected)?;
    check_outer_unprotected(&msg.unprotected)?;
    let key = keys.read_key(&route)?;
    let inner = cose::encrypt0_open(msg, CONTENT_ALG, &key, &route_bytes)?;
    Ok((route, route_bytes, inner))
}

fn open_encrypt(
    msg: &CoseEncrypt,
    keys: &impl Keyring,
) -> Result<(Route, Vec<u8>, zeroize::Zeroizing<Vec<u8>>)> {
    let (route, route_bytes) = read_route(&msg.unprotected, keys)?;
    if !route.msg_type.is_to_one_key() {
        return Err(Error::MetadataMismatch(format!(
            "{:?} must be encrypted to the epoch key",
            route.msg_type
        )));
    }
    check_outer_protected(&msg.protected)?;
    check_outer_unprotected(&msg.unprotected)?;
    let [recipient] = msg.recipients.as_slice() else {
        return Err(Error::Malformed(
            "a command has exactly one recipient".into(),
        ));
    };
    if recipient.protected.header.alg
        != Some(coset::Algorithm::Assigned(
            iana::Algorithm::ECDH_ES_HKDF_256,
        ))
    {
        return Err(Error::WrongAlgorithm(format!(
            "recipient must use ECDH-ES + HKDF-256, found {:?}",
            recipient.protected.header.alg
        )));
    }
    check_protected(
        &recipient.protected,
        &headers::RECIPIENT_PROTECTED,
        headers::RECIPIENT_PROTECTED_LAYER,
    )?;
    check_unprotected(
        &recipient.unprotected,
        headers::RECIPIENT_UNPROTECTED_LABELS,
        headers::RECIPIENT_UNPROTECTED_LAYER,
    )?;
    headers::check_ephemeral_key(&recipient.unprotected)?;
    if recipient.ciphertext.as_deref() != Some(&[][..]) || !recipient.recipients.is_empty() {
        return Err(Error::Malformed(
            "the recipient carries an empty ciphertext and no recipients".into(),
        ));
    }
    let kid = Kid::from_slice(&recipient.unprotected.key_id)
        .ok_or_else(|| Error::Malformed("recipient kid must be 8 bytes".into()))?;
    let key = keys
        .recipient_key(&kid, &route)
        .ok_or(Error::UnknownKid(kid))?;
    let me = EcdhEsRecipient {
        key: &key,
        kid: Some(&kid.0),
    };
    let inner = cose::open_ecdh_es(msg, CONTENT_ALG, me, &route_bytes)?;
    Ok((route, route_bytes, inner))
}

fn verify_inner(
    inner: &[u8],
    route: &Route,
    route_bytes: &[u8],
    keys: &impl Keyring,
) -> Result<(Kid, Body)> {
    if inner.first().is_some_and(|b| b >> 5 == 6) {
        return Err(Error::Malformed("the inner Sign1 is untagged".into()));
    }
    let sign1 = cose::decode_sign1(inner)?;
    let kid = Kid::from_slice(&sign1.unprotected.key_id)
        .ok_or_else(|| Error::Malformed("signer kid must be 8 bytes".into()))?;
    match crate::cose::find_alg(&sign1.protected.header, &sign1.unprotected) {
        Some((coset::Algorithm::Assigned(iana::Algorithm::ES256), HeaderPlace::Protected)) => {}
        other => {
            return Err(Error::WrongAlgorithm(format!(
                "inner layer must be ES256 in the protected header, found {other:?}"
            )));
        }
    }
    check_protected(
        &sign1.protected,
        &headers::INNER_PROTECTED,
        headers::INNER_PROTECTED_LAYER,
    )?;
    check_unprotected(
        &sign1.unprotected,
        headers::INNER_UNPROTECTED_LABELS,
        headers::INNER_UNPROTECTED_LAYER,
    )?;
    let public = keys.signer(&kid, route)?;
    let (payload, _) = cose::sign1_verify(&sign1, route_bytes, &public).map_err(|e| match e {
        cose::Error::BadSignature => Error::BadSignature(kid),
        other => Error::from(other),
    })?;
    let body = Body::from_bytes(payload)?;
    if body.kind != route.msg_type {
        return Err(Error::MetadataMismatch(
            "the route's type differs from the signed kind".into(),
        ));
    }
    Ok((kid, body))
}
