//! Fixtures shared by the fuzz targets: fixed keys, a keyring, and valid messages to mutate.
//!
//! Everything here is deterministic (keys from fixed scalars, fixed IVs, fixed ephemeral keys,
//! fixed serials), so a crash found on one machine reproduces byte for byte on another. Every
//! fixture is built once per process behind a [`OnceLock`]: the fuzz loop then pays only for the
//! code under test.

use coset::cbor::value::Value;
use coset::{CborSerializable, Header, HeaderBuilder, Label, TaggedCborSerializable};
use sealhub::cose::{self, ContentAlgorithm};
use sealhub::crypto::{AeadKey, PrivateKey, PublicKey};
use sealhub::envelope::{
    self, Body, DeviceId, Error, Keyring, MessageType, ROUTE_LABEL, Route, SigningIdentity,
};
use sealhub::identity::{CERTIFICATE_AAD, REVOCATION_LIST_AAD, Thumbprint};
use sealhub::identity::{CertClaims, Certificate, Kid, Permissions, RevocationList, Role};
use std::sync::OnceLock;

/// The epoch whose key the keyring holds.
pub const EPOCH: u32 = 1;
/// The device every device-bound route names.
pub const DEVICE: &str = "zb:front-door";
/// The client that key distributions are addressed to.
pub const CLIENT: &str = "phone-1";
/// The fixed IV of every template (never do this outside a test: IVs must not repeat).
pub const IV: [u8; 12] = [0x1c; 12];

/// One key with its short kid.
pub struct Party {
    /// The private key, from a fixed scalar.
    pub key: PrivateKey,
    /// Its short kid.
    pub kid: Kid,
}

impl Party {
    fn from_scalar(byte: u8) -> Self {
        let key = PrivateKey::from_bytes(&[byte; 32]).expect("a fixed valid scalar");
        let kid = Thumbprint::of(&key.public_key()).kid();
        Party { key, kid }
    }

    /// This party as a signer of inner layers.
    pub fn signing(&self) -> SigningIdentity<'_> {
        SigningIdentity {
            key: &self.key,
            kid: self.kid,
        }
    }
}

/// A home with a hub root key, one device, one client and the key of epoch [`EPOCH`].
pub struct Fixture {
    /// The hub root key: signs key distributions, revocation lists, challenges, certificates.
    pub hub: Party,
    /// The device: signs events and responses; commands are encrypted to it.
    pub device: Party,
    /// The client: signs commands; key distributions are encrypted to it.
    pub client: Party,
    /// A fixed ephemeral key for sealing to one key deterministically.
    pub ephemeral: PrivateKey,
    /// The epoch key.
    pub epoch_key: AeadKey,
}

impl Fixture {
    /// Who signs a message of type `t`, as `docs/ENVELOPE.md` ("Signer per message type") says.
    pub fn signer_for(&self, t: MessageType) -> &Party {
        match t {
            MessageType::Command => &self.client,
            MessageType::Response | MessageType::Event => &self.device,
            MessageType::KeyDistribution | MessageType::RevocationList | MessageType::Challenge => {
                &self.hub
            }
        }
    }

    /// Who a message of type `t` is encrypted to, when it goes to one key: commands to the
    /// device, key distributions, responses and challenges to the client.
    pub fn recipient_for(&self, t: MessageType) -> &Party {
        match t {
            MessageType::Command => &self.device,
            _ => &self.client,
        }
    }
}

impl Keyring for Fixture {
    fn home(&self) -> Kid {
        self.hub.kid
    }

    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        (epoch == EPOCH).then(|| self.epoch_key.clone())
    }

    fn recipient_key(&self, kid: &Kid, _route: &Route) -> Option<PrivateKey> {
        [&self.device, &self.client]
            .into_iter()
            .find(|p| p.kid == *kid)
            .map(|p| p.key.clone())
    }

    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        let known = [&self.hub, &self.device, &self.client]
            .into_iter()
            .find(|p| p.kid == *kid)
            .ok_or(Error::UnknownKid(*kid))?;
        if known.kid != self.signer_for(route.msg_type).kid {
            return Err(Error::NotAuthorised {
                kid: *kid,
                reason: format!("may not sign {:?}", route.msg_type),
            });
        }
        Ok(known.key.public_key())
    }
}

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        hub: Party::from_scalar(0x11),
        device: Party::from_scalar(0x22),
        client: Party::from_scalar(0x33),
        ephemeral: PrivateKey::from_bytes(&[0x44; 32]).expect("a fixed valid scalar"),
        epoch_key: AeadKey::Aes128([0x42; 16]),
    })
}

/// Every message type, in wire order.
pub const ALL_TYPES: [MessageType; 6] = [
    MessageType::Command,
    MessageType::Response,
    MessageType::Event,
    MessageType::KeyDistribution,
    MessageType::RevocationList,
    MessageType::Challenge,
];

/// Picks a message type from a fuzzer byte.
pub fn type_from(selector: u8) -> MessageType {
    ALL_TYPES[usize::from(selector) % ALL_TYPES.len()]
}

/// A valid route of type `t` in the fixture's home.
pub fn route(t: MessageType) -> Route {
    let f = fixture();
    let device = if t == MessageType::KeyDistribution {
        CLIENT
    } else {
        DEVICE
    };
    Route {
        home: f.hub.kid,
        device: DeviceId::new(device).expect("a valid id"),
        msg_type: t,
        epoch: EPOCH,
    }
}

/// A valid body of kind `t`, using every optional field the kind allows.
pub fn body(t: MessageType) -> Body {
    Body {
        msg_id: [0x5a; 8],
        seq: 7,
        time: 1_700_000_000,
        kind: t,
        body: Value::Map(vec![(Value::Text("on".into()), Value::Bool(true))]),
        exp: (t == MessageType::Command).then_some(1_700_000_060),
        echo: (t == MessageType::Command).then(|| vec![0xec; 16]),
        re: matches!(t, MessageType::Response | MessageType::Challenge).then_some([0x5b; 8]),
    }
}

/// The outer unprotected header carrying `route_bytes`, as sealhub writes it.
pub fn route_header(route_bytes: &[u8]) -> Header {
    let mut h = Header::default();
    h.rest
        .push((Label::Int(ROUTE_LABEL), Value::Bytes(route_bytes.to_vec())));
    h
}

/// Encrypts arbitrary `inner` bytes as the outer layer of a message of type `t`, with a valid
/// route and the right key: what a sender holding the keys could send with a broken inner layer.
pub fn outer_around(t: MessageType, inner: &[u8]) -> Vec<u8> {
    let f = fixture();
    let route_bytes = route(t).to_bytes();
    let unprotected = route_header(&route_bytes);
    if t.is_to_one_key() {
        let to = f.recipient_for(t);
        cose::encrypt_ecdh_es(
            ContentAlgorithm::A128Gcm,
            &to.key.public_key(),
            &to.kid.0,
            &f.ephemeral,
            IV,
            unprotected,
            inner,
            &route_bytes,
        )
        .expect("seal")
        .to_tagged_vec()
        .expect("encode")
    } else {
        let read_key =
            envelope::device_read_key(&f.epoch_key, &route(t).device).expect("derive");
        cose::encrypt0_create(
            ContentAlgorithm::A128Gcm,
            &read_key,
            IV,
            unprotected,
            inner,
            &route_bytes,
        )
        .expect("seal")
        .to_tagged_vec()
        .expect("encode")
    }
}

/// Signs arbitrary `payload` bytes as the body of a message of type `t` by its rightful signer,
/// then seals it: what a legitimate but buggy or hostile sender could produce.
pub fn sealed_payload(t: MessageType, payload: &[u8]) -> Vec<u8> {
    let f = fixture();
    let signer = f.signer_for(t);
    let route_bytes = route(t).to_bytes();
    let inner = cose::sign1_create(
        Header::default(),
        HeaderBuilder::new().key_id(signer.kid.0.to_vec()).build(),
        payload.to_vec(),
        &route_bytes,
        &signer.key,
    )
    .to_vec()
    .expect("encode");
    outer_around(t, &inner)
}

/// A valid sealed envelope of type `t`, through the public sealing functions.
pub fn seal(t: MessageType) -> Vec<u8> {
    let f = fixture();
    let signer = f.signer_for(t).signing();
    if t.is_to_one_key() {
        let to = f.recipient_for(t);
        envelope::seal_for_key_with(
            &route(t),
            &body(t),
            signer,
            &to.key.public_key(),
            to.kid,
            &f.ephemeral,
            IV,
        )
        .expect("seal")
    } else {
        envelope::seal_for_epoch_with(&route(t), &body(t), signer, &f.epoch_key, IV).expect("seal")
    }
}

/// One valid sealed envelope per message type, in [`ALL_TYPES`] order.
pub fn templates() -> &'static [Vec<u8>] {
    static TEMPLATES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    TEMPLATES.get_or_init(|| ALL_TYPES.iter().map(|t| seal(*t)).collect())
}

/// A mutation of a valid `template` chosen by fuzzer bytes `sel hi lo mask..`: `mask` is XORed
/// onto the template from offset `(hi, lo)` (big-endian, modulo the template's length), a mask
/// running past the end appends its excess bytes, and when `sel & 0x80` is set the result is cut
/// right after the mask. An empty mask gives the template itself, so the fuzzer starts from a
/// valid message and every bit it sets is a mutation; the offset lets even short inputs reach
/// every byte of the template. `sel` also picks the template (the caller's choice, modulo).
pub fn mutate(template: &[u8], sel: u8, rest: &[u8]) -> Vec<u8> {
    let (offset, mask) = match rest {
        [hi, lo, mask @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), mask),
        _ => (0, &[][..]),
    };
    let start = if template.is_empty() {
        0
    } else {
        offset % template.len()
    };
    let mut out = template.to_vec();
    for (i, m) in mask.iter().enumerate() {
        match out.get_mut(start + i) {
            Some(b) => *b ^= m,
            None => out.push(*m),
        }
    }
    if sel & 0x80 != 0 {
        out.truncate(start + mask.len());
    }
    out
}

/// Signs arbitrary `payload` bytes as a CWT exactly as [`Certificate::issue`] frames one.
pub fn cwt_around(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xd8, 0x3d];
    out.extend_from_slice(&root_signed_in(payload, CERTIFICATE_AAD));
    out
}

/// Signs arbitrary `payload` bytes as [`RevocationList::sign`] signs a list: a tagged
/// COSE_Sign1 with the root headers (`{1: -7}` / `{4: root kid}`) in the list's signature
/// domain.
pub fn root_signed(payload: &[u8]) -> Vec<u8> {
    root_signed_in(payload, REVOCATION_LIST_AAD)
}

fn root_signed_in(payload: &[u8], external_aad: &[u8]) -> Vec<u8> {
    let f = fixture();
    cose::sign1_create(
        HeaderBuilder::new()
            .algorithm(coset::iana::Algorithm::ES256)
            .build(),
        HeaderBuilder::new().key_id(f.hub.kid.0.to_vec()).build(),
        payload.to_vec(),
        external_aad,
        &f.hub.key,
    )
    .to_tagged_vec()
    .expect("encode")
}

/// A client certificate using every optional claim, with a fixed serial.
pub fn certificate() -> &'static Certificate {
    static CERT: OnceLock<Certificate> = OnceLock::new();
    CERT.get_or_init(|| {
        let f = fixture();
        let mut claims = CertClaims::new(
            f.hub.kid,
            CLIENT,
            Role::Client,
            Permissions::READ_EVENTS | Permissions::SEND_COMMANDS,
            f.client.key.public_key(),
            1_700_000_000,
        )
        .expect("rng")
        .with_agreement_key(
            PrivateKey::from_bytes(&[0x34; 32])
                .expect("a fixed valid scalar")
                .public_key(),
        );
        claims.serial = [0xc5; 8];
        claims.not_before = Some(1_700_000_000);
        claims.expires = Some(1_800_000_000);
        claims.devices = Some(vec![DEVICE.into(), "zw:lock".into()]);
        Certificate::issue(claims, &f.hub.key).expect("issue")
    })
}

/// A signed revocation list with one serial and one kid, as bytes.
pub fn revocation_list() -> &'static [u8] {
    static LIST: OnceLock<Vec<u8>> = OnceLock::new();
    LIST.get_or_init(|| {
        let f = fixture();
        let mut list = RevocationList::new(f.hub.kid);
        list.revoke(certificate());
        list.issued = 1_700_000_100;
        list.sign(&f.hub.key).expect("sign")
    })
}
