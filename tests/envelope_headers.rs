//! Envelopes are not malleable: every header of every layer holds exactly the parameters
//! `docs/ENVELOPE.md` lists, protected headers are byte for byte the ones version 1 writes,
//! and the ephemeral key is exactly `{1: 2, -1: 1, -2: x, -3: y}`.
//!
//! Each test builds an envelope by hand (raw CBOR, real signatures and tags) that differs from a
//! valid one in one header only, so the single reason it can be refused is that header, and it
//! must be refused with [`Error::UnexpectedHeader`] naming the layer.

use coset::cbor::value::Value;
use sealhub::cbor::encode;
use sealhub::cose::{self, ContentAlgorithm};
use sealhub::crypto::{AeadKey, PrivateKey, PublicKey, aes_gcm_seal};
use sealhub::envelope::{
    self, Body, DeviceId, Error, Keyring, MessageType, ROUTE_LABEL, Route, device_read_key,
};
use sealhub::identity::{Kid, Thumbprint};

struct Party {
    key: PrivateKey,
    kid: Kid,
}

impl Party {
    fn from_scalar(byte: u8) -> Self {
        let key = PrivateKey::from_bytes(&[byte; 32]).expect("valid scalar");
        let kid = Thumbprint::of(&key.public_key()).kid();
        Party { key, kid }
    }
}

/// A home with a hub, a device (signs events; commands are encrypted to it) and a client.
struct World {
    hub: Party,
    device: Party,
    client: Party,
    epoch_key: AeadKey,
}

fn world() -> World {
    World {
        hub: Party::from_scalar(0x11),
        device: Party::from_scalar(0x22),
        client: Party::from_scalar(0x33),
        epoch_key: AeadKey::Aes128([0x42; 16]),
    }
}

impl Keyring for World {
    fn home(&self) -> Kid {
        self.hub.kid
    }
    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        (epoch == 1).then(|| self.epoch_key.clone())
    }
    fn recipient_key(&self, kid: &Kid, _route: &Route) -> Option<PrivateKey> {
        (*kid == self.device.kid).then(|| self.device.key.clone())
    }
    fn signer(&self, kid: &Kid, _route: &Route) -> envelope::Result<PublicKey> {
        [&self.device, &self.client]
            .into_iter()
            .find(|p| p.kid == *kid)
            .map(|p| p.key.public_key())
            .ok_or(Error::UnknownKid(*kid))
    }
}

fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

fn bytes(b: &[u8]) -> Value {
    Value::Bytes(b.to_vec())
}

fn route(w: &World, t: MessageType) -> Route {
    Route {
        home: w.hub.kid,
        device: DeviceId::new("zb:lock").expect("id"),
        msg_type: t,
        epoch: 1,
    }
}

fn body(kind: MessageType) -> Vec<u8> {
    Body {
        msg_id: [7; 8],
        seq: 1,
        time: 0,
        kind,
        body: Value::Text("locked".into()),
        exp: (kind == MessageType::Command).then_some(1_800_000_060),
        echo: None,
        re: None,
    }
    .to_bytes()
}

/// Every header of a hand-built envelope, as raw CBOR, ready to be changed one at a time.
struct Parts {
    outer_protected: Vec<u8>,
    outer_unprotected: Vec<(Value, Value)>,
    inner_protected: Vec<u8>,
    inner_unprotected: Vec<(Value, Value)>,
    /// Commands only: the recipient's headers and the ephemeral key inside them.
    recipient_protected: Vec<u8>,
    recipient_unprotected_extra: Vec<(Value, Value)>,
    ephemeral_extra: Vec<(Value, Value)>,
}

const IV: [u8; 12] = [0x1c; 12];

fn parts(w: &World, signer: &Party) -> Parts {
    let route_bytes = route(w, MessageType::Event).to_bytes();
    Parts {
        outer_protected: vec![0xa1, 0x01, 0x01], // {1: 1} A128GCM
        outer_unprotected: vec![
            (int(5), bytes(&IV)),
            (int(ROUTE_LABEL), bytes(&route_bytes)),
        ],
        inner_protected: vec![0xa1, 0x01, 0x26], // {1: -7} ES256
        inner_unprotected: vec![(int(4), bytes(&signer.kid.0))],
        recipient_protected: vec![0xa1, 0x01, 0x38, 0x18], // {1: -25} ECDH-ES + HKDF-256
        recipient_unprotected_extra: vec![],
        ephemeral_extra: vec![],
    }
}

/// The inner COSE_Sign1 (untagged), signed over the route as external AAD.
fn inner(p: &Parts, signer: &Party, route_bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let tbs = encode(&Value::Array(vec![
        Value::Text("Signature1".into()),
        bytes(&p.inner_protected),
        bytes(route_bytes),
        bytes(payload),
    ]));
    let signature = signer.key.sign(&tbs);
    encode(&Value::Array(vec![
        bytes(&p.inner_protected),
        Value::Map(p.inner_unprotected.clone()),
        bytes(payload),
        bytes(&signature),
    ]))
}

/// Replaces the route in the outer unprotected header with `route_bytes`.
fn with_route(mut unprotected: Vec<(Value, Value)>, route_bytes: &[u8]) -> Vec<(Value, Value)> {
    for (label, value) in &mut unprotected {
        if *label == int(ROUTE_LABEL) {
            *value = bytes(route_bytes);
        }
    }
    unprotected
}

/// An event: COSE_Encrypt0 under the device's read key, built from `p`.
fn event(w: &World, p: &Parts) -> Vec<u8> {
    let r = route(w, MessageType::Event);
    let route_bytes = r.to_bytes();
    let plaintext = inner(p, &w.device, &route_bytes, &body(MessageType::Event));
    let aad = encode(&Value::Array(vec![
        Value::Text("Encrypt0".into()),
        bytes(&p.outer_protected),
        bytes(&route_bytes),
    ]));
    let key = device_read_key(&w.epoch_key, &r.device).expect("derive");
    let ciphertext = aes_gcm_seal(&key, &IV, &aad, &plaintext).expect("seal");
    let msg = Value::Array(vec![
        bytes(&p.outer_protected),
        Value::Map(with_route(p.outer_unprotected.clone(), &route_bytes)),
        bytes(&ciphertext),
    ]);
    encode(&Value::Tag(16, Box::new(msg)))
}

/// A command: COSE_Encrypt to the device key with one ECDH-ES recipient, built from `p`.
fn command(w: &World, p: &Parts) -> Vec<u8> {
    let route_bytes = route(w, MessageType::Command).to_bytes();
    let plaintext = inner(p, &w.client, &route_bytes, &body(MessageType::Command));
    let ephemeral = PrivateKey::from_bytes(&[0x44; 32]).expect("scalar");
    let shared = ephemeral.diffie_hellman(&w.device.key.public_key());
    let cek =
        cose::recipient_content_key(&shared, ContentAlgorithm::A128Gcm, &p.recipient_protected)
            .expect("kdf");
    let aad = encode(&Value::Array(vec![
        Value::Text("Encrypt".into()),
        bytes(&p.outer_protected),
        bytes(&route_bytes),
    ]));
    let ciphertext = aes_gcm_seal(&cek, &IV, &aad, &plaintext).expect("seal");
    let public = ephemeral.public_key();
    let mut eph = vec![
        (int(1), int(2)),
        (int(-1), int(1)),
        (int(-2), bytes(&public.x())),
        (int(-3), bytes(&public.y())),
    ];
    eph.extend(p.ephemeral_extra.clone());
    let mut recipient_unprotected =
        vec![(int(-1), Value::Map(eph)), (int(4), bytes(&w.device.kid.0))];
    recipient_unprotected.extend(p.recipient_unprotected_extra.clone());
    let recipient = Value::Array(vec![
        bytes(&p.recipient_protected),
        Value::Map(recipient_unprotected),
        bytes(&[]),
    ]);
    let msg = Value::Array(vec![
        bytes(&p.outer_protected),
        Value::Map(with_route(p.outer_unprotected.clone(), &route_bytes)),
        bytes(&ciphertext),
        Value::Array(vec![recipient]),
    ]);
    encode(&Value::Tag(96, Box::new(msg)))
}

/// A private-use header label no version of sealhub defines.
const UNKNOWN_LABEL: i64 = -65600;

/// A protected header map holding the `alg` entry `alg_entry` (label and value bytes), a
/// `crit` list naming [`UNKNOWN_LABEL`], and that parameter.
fn with_unknown_crit(alg_entry: &[u8]) -> Vec<u8> {
    // -65600 is major type 1 with argument 65599 = 0x0001003f.
    let label = [0x3a, 0x00, 0x01, 0x00, 0x3f];
    let mut out = vec![0xa3];
    out.extend_from_slice(alg_entry);
    out.extend_from_slice(&[0x02, 0x81]);
    out.extend_from_slice(&label);
    out.extend_from_slice(&label);
    out.push(0x01);
    out
}

/// Asserts `msg` is refused as an unexpected header in `layer`.
fn assert_unexpected(w: &World, msg: &[u8], layer: &str, case: &str) {
    match envelope::open(msg, w) {
        Err(Error::UnexpectedHeader { layer: got, .. }) => {
            assert_eq!(got, layer, "{case}: refused in the wrong layer")
        }
        other => panic!("{case}: expected an unexpected-header refusal, got {other:?}"),
    }
}

#[test]
fn the_hand_built_envelopes_open_as_they_are() {
    let w = world();
    let opened = envelope::open(&event(&w, &parts(&w, &w.device)), &w).expect("event opens");
    assert_eq!(opened.signer, w.device.kid);
    let opened = envelope::open(&command(&w, &parts(&w, &w.client)), &w).expect("command opens");
    assert_eq!(opened.signer, w.client.kid);
}

#[test]
fn an_extra_parameter_in_the_outer_unprotected_header_is_refused() {
    // (A partial IV beside the IV is refused earlier, by the COSE decoder, as malformed.)
    let w = world();
    let extras = [
        ("a private label", int(-65538), bytes(b"x")),
        ("a kid", int(4), bytes(&w.device.kid.0)),
        ("a content type", int(3), int(60)),
        (
            "a crit list",
            int(2),
            Value::Array(vec![int(UNKNOWN_LABEL)]),
        ),
    ];
    for (name, label, value) in extras {
        let mut p = parts(&w, &w.device);
        p.outer_unprotected.push((label.clone(), value.clone()));
        assert_unexpected(&w, &event(&w, &p), "outer unprotected header", name);
        let mut p = parts(&w, &w.client);
        p.outer_unprotected.push((label, value));
        assert_unexpected(&w, &command(&w, &p), "outer unprotected header", name);
    }
}

#[test]
fn an_outer_protected_header_other_than_a1_01_01_is_refused() {
    let w = world();
    // {1: 1, 2: [-65600], -65600: 1}: an unknown critical parameter.
    let crit = with_unknown_crit(&[0x01, 0x01]);
    // {1: 1} with the algorithm written in a longer form (0x18 0x01).
    let long_form = vec![0xa1, 0x01, 0x18, 0x01];
    for (name, protected) in [("crit", crit), ("long form", long_form)] {
        let mut p = parts(&w, &w.device);
        p.outer_protected = protected.clone();
        assert_unexpected(&w, &event(&w, &p), "outer protected header", name);
        let mut p = parts(&w, &w.client);
        p.outer_protected = protected;
        assert_unexpected(&w, &command(&w, &p), "outer protected header", name);
    }
}

#[test]
fn an_inner_protected_header_other_than_a1_01_26_is_refused() {
    let w = world();
    let cases = [
        // {1: -7, 2: [-65600], -65600: 1}: an unknown critical parameter the verifier would
        // have to honour.
        ("crit", with_unknown_crit(&[0x01, 0x26])),
        // {1: -7} with -7 written as 0x38 0x06: the same map, other bytes.
        ("long form", vec![0xa1, 0x01, 0x38, 0x06]),
        // {1: -7, 3: 60}: a content type.
        ("content type", vec![0xa2, 0x01, 0x26, 0x03, 0x18, 0x3c]),
    ];
    for (name, protected) in cases {
        let mut p = parts(&w, &w.device);
        p.inner_protected = protected.clone();
        assert_unexpected(&w, &event(&w, &p), "inner protected header", name);
        let mut p = parts(&w, &w.client);
        p.inner_protected = protected;
        assert_unexpected(&w, &command(&w, &p), "inner protected header", name);
    }
}

#[test]
fn an_extra_parameter_in_the_inner_unprotected_header_is_refused() {
    let w = world();
    for (name, label, value) in [
        ("an IV", int(5), bytes(&[0; 12])),
        ("a private label", int(-70000), int(1)),
        (
            "a crit list",
            int(2),
            Value::Array(vec![int(UNKNOWN_LABEL)]),
        ),
    ] {
        let mut p = parts(&w, &w.device);
        p.inner_unprotected.push((label.clone(), value.clone()));
        assert_unexpected(&w, &event(&w, &p), "inner unprotected header", name);
        let mut p = parts(&w, &w.client);
        p.inner_unprotected.push((label, value));
        assert_unexpected(&w, &command(&w, &p), "inner unprotected header", name);
    }
}

#[test]
fn an_extra_parameter_in_the_recipient_headers_is_refused() {
    let w = world();
    for (name, label, value) in [
        ("a private label", int(-65538), bytes(b"x")),
        ("an IV", int(5), bytes(&[0; 12])),
        ("a static key id", int(-3), bytes(b"kid")),
    ] {
        let mut p = parts(&w, &w.client);
        p.recipient_unprotected_extra.push((label, value));
        assert_unexpected(&w, &command(&w, &p), "recipient unprotected header", name);
    }
    // {1: -25, 2: [-65600], -65600: 1} and {1: -25} in a longer form.
    for (name, protected) in [
        ("crit", with_unknown_crit(&[0x01, 0x38, 0x18])),
        ("long form", vec![0xa1, 0x01, 0x39, 0x00, 0x18]),
    ] {
        let mut p = parts(&w, &w.client);
        p.recipient_protected = protected;
        assert_unexpected(&w, &command(&w, &p), "recipient protected header", name);
    }
}

#[test]
fn an_extra_parameter_in_the_ephemeral_key_is_refused() {
    let w = world();
    for (name, label, value) in [
        ("a kid", int(2), bytes(b"eph")),
        ("an algorithm", int(3), int(-25)),
        ("a private key", int(-4), bytes(&[1; 32])),
        ("key ops", int(4), Value::Array(vec![int(7)])),
    ] {
        let mut p = parts(&w, &w.client);
        p.ephemeral_extra.push((label, value));
        assert_unexpected(&w, &command(&w, &p), "ephemeral key", name);
    }
}
