//! Attacks on the envelope layer itself (no store): every byte flipped, each route field changed,
//! truncation, over-long input, hostile CBOR, wrong keys, wrong algorithms, and the replay window.
//! Each must be refused with its typed error, and nothing may panic.

use coset::cbor::value::Value;
use sealhub::crypto::{AeadKey, PrivateKey, PublicKey};
use sealhub::envelope::{
    self, Body, DeviceId, Error, Keyring, MessageType, Route, SigningIdentity, replay::ReplayWindow,
};
use sealhub::identity::{Kid, Thumbprint};
use std::collections::HashMap;

struct Party {
    key: PrivateKey,
    kid: Kid,
}

impl Party {
    fn new() -> Self {
        let key = PrivateKey::generate().expect("rng");
        let kid = Thumbprint::of(&key.public_key()).kid();
        Party { key, kid }
    }
    fn signing(&self) -> SigningIdentity<'_> {
        SigningIdentity {
            key: &self.key,
            kid: self.kid,
        }
    }
}

struct TestKeyring {
    home: Kid,
    epochs: HashMap<u32, AeadKey>,
    recipients: HashMap<Kid, PrivateKey>,
    signers: HashMap<Kid, PublicKey>,
    revoked: Vec<Kid>,
}

impl Keyring for TestKeyring {
    fn home(&self) -> Kid {
        self.home
    }
    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        self.epochs.get(&epoch).cloned()
    }
    fn recipient_key(&self, kid: &Kid, _route: &Route) -> Option<PrivateKey> {
        self.recipients.get(kid).cloned()
    }
    fn signer(&self, kid: &Kid, _route: &Route) -> envelope::Result<PublicKey> {
        if self.revoked.contains(kid) {
            return Err(Error::Revoked(*kid));
        }
        self.signers
            .get(kid)
            .copied()
            .ok_or(Error::UnknownKid(*kid))
    }
}

struct World {
    hub: Party,
    device: Party,
    client: Party,
    epoch_key: AeadKey,
    keyring: TestKeyring,
}

fn world() -> World {
    let hub = Party::new();
    let device = Party::new();
    let client = Party::new();
    let epoch_key = AeadKey::Aes128([0x42; 16]);
    let keyring = TestKeyring {
        home: hub.kid,
        epochs: HashMap::from([(1, epoch_key.clone())]),
        recipients: HashMap::from([(device.kid, device.key.clone())]),
        signers: HashMap::from([
            (device.kid, device.key.public_key()),
            (client.kid, client.key.public_key()),
        ]),
        revoked: vec![],
    };
    World {
        hub,
        device,
        client,
        epoch_key,
        keyring,
    }
}

fn route(w: &World, t: MessageType) -> Route {
    Route {
        home: w.hub.kid,
        device: DeviceId::new("zb:bulb-1").expect("id"),
        msg_type: t,
        epoch: 1,
    }
}

fn body(kind: MessageType, seq: u64) -> Body {
    Body {
        msg_id: [seq as u8; 8],
        seq,
        time: 1_800_000_000,
        kind,
        body: Value::Bytes(vec![0xAB; 64]),
        exp: (kind == MessageType::Command).then_some(1_800_000_060),
        echo: None,
        re: None,
    }
}

fn event(w: &World, seq: u64) -> Vec<u8> {
    envelope::seal_for_epoch(
        &route(w, MessageType::Event),
        &body(MessageType::Event, seq),
        w.device.signing(),
        &w.epoch_key,
    )
    .expect("seal event")
}

fn command(w: &World, seq: u64) -> Vec<u8> {
    envelope::seal_for_key(
        &route(w, MessageType::Command),
        &body(MessageType::Command, seq),
        w.client.signing(),
        &w.device.key.public_key(),
        w.device.kid,
    )
    .expect("seal command")
}

#[test]
fn sealed_event_and_command_open_to_what_was_sealed() {
    let w = world();
    let opened = envelope::open(&event(&w, 1), &w.keyring).expect("event opens");
    assert_eq!(opened.signer, w.device.kid);
    assert_eq!(opened.body, body(MessageType::Event, 1));
    assert_eq!(opened.route, route(&w, MessageType::Event));
    let opened = envelope::open(&command(&w, 1), &w.keyring).expect("command opens");
    assert_eq!(opened.signer, w.client.kid);
    assert_eq!(opened.body, body(MessageType::Command, 1));
}

#[test]
fn every_flipped_byte_of_an_event_or_command_is_refused() {
    let w = world();
    for (name, msg) in [("event", event(&w, 1)), ("command", command(&w, 1))] {
        for i in 0..msg.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = msg.clone();
                bad[i] ^= bit;
                assert!(
                    envelope::open(&bad, &w.keyring).is_err(),
                    "{name}: flipping bit {bit:#x} of byte {i} was accepted"
                );
            }
        }
    }
}

/// Rebuilds an event with a changed route in its header, keeping every other byte.
fn with_route(msg: &[u8], old: &Route, new: &Route) -> Vec<u8> {
    let (old_b, new_b) = (old.to_bytes(), new.to_bytes());
    assert_eq!(
        old_b.len(),
        new_b.len(),
        "the test swaps same-length routes"
    );
    let at = msg
        .windows(old_b.len())
        .position(|w| w == old_b)
        .expect("route present");
    let mut out = msg.to_vec();
    out[at..at + old_b.len()].copy_from_slice(&new_b);
    out
}

#[test]
fn each_changed_route_field_is_refused() {
    let mut w = world();
    w.keyring.epochs.insert(2, w.epoch_key.clone());
    let msg = event(&w, 1);
    let r = route(&w, MessageType::Event);
    let other_device = Route {
        device: DeviceId::new("zb:bulb-2").expect("id"),
        ..r.clone()
    };
    let other_type = Route {
        msg_type: MessageType::RevocationList,
        ..r.clone()
    };
    let other_epoch = Route {
        epoch: 2,
        ..r.clone()
    };
    let other_home = Route {
        home: Kid([9; 8]),
        ..r.clone()
    };
    for (field, changed, want) in [
        ("device", other_device, "decryption-failed"),
        ("type", other_type, "decryption-failed"),
        ("epoch", other_epoch, "decryption-failed"),
        ("home", other_home, "metadata-mismatch"),
    ] {
        let bad = with_route(&msg, &r, &changed);
        let err = envelope::open(&bad, &w.keyring).expect_err(field);
        assert_eq!(err.check(), want, "changing the {field}: {err}");
    }
}

#[test]
fn wrong_keys_are_refused() {
    let mut w = world();
    // Event under another epoch key.
    w.keyring.epochs.insert(1, AeadKey::Aes128([0x43; 16]));
    assert!(matches!(
        envelope::open(&event(&w, 1), &w.keyring),
        Err(Error::DecryptionFailed)
    ));
    // Unknown epoch.
    w.keyring.epochs.clear();
    assert!(matches!(
        envelope::open(&event(&w, 1), &w.keyring),
        Err(Error::UnknownEpoch(1))
    ));

    let mut w = world();
    // A signer the receiver does not know.
    let stranger = Party::new();
    let forged = envelope::seal_for_epoch(
        &route(&w, MessageType::Event),
        &body(MessageType::Event, 1),
        stranger.signing(),
        &w.epoch_key,
    )
    .expect("seal");
    assert!(
        matches!(envelope::open(&forged, &w.keyring), Err(Error::UnknownKid(k)) if k == stranger.kid)
    );
    // A stranger claiming the device's kid: the signature fails.
    let impostor = SigningIdentity {
        key: &stranger.key,
        kid: w.device.kid,
    };
    let forged = envelope::seal_for_epoch(
        &route(&w, MessageType::Event),
        &body(MessageType::Event, 1),
        impostor,
        &w.epoch_key,
    )
    .expect("seal");
    assert!(matches!(
        envelope::open(&forged, &w.keyring),
        Err(Error::BadSignature(_))
    ));
    // A command encrypted to a key the hub does not hold.
    let cmd = envelope::seal_for_key(
        &route(&w, MessageType::Command),
        &body(MessageType::Command, 1),
        w.client.signing(),
        &stranger.key.public_key(),
        stranger.kid,
    )
    .expect("seal");
    assert!(matches!(
        envelope::open(&cmd, &w.keyring),
        Err(Error::UnknownKid(_))
    ));
    // A command encrypted to the stranger but labelled with the device's kid.
    let cmd = envelope::seal_for_key(
        &route(&w, MessageType::Command),
        &body(MessageType::Command, 1),
        w.client.signing(),
        &stranger.key.public_key(),
        w.device.kid,
    )
    .expect("seal");
    assert!(matches!(
        envelope::open(&cmd, &w.keyring),
        Err(Error::DecryptionFailed)
    ));
    // A revoked client.
    w.keyring.revoked.push(w.client.kid);
    assert!(matches!(
        envelope::open(&command(&w, 2), &w.keyring),
        Err(Error::Revoked(_))
    ));
}

#[test]
fn a_route_type_that_contradicts_the_structure_or_body_is_refused() {
    let w = world();
    // A command route sealed as if it were an event is refused at sealing already.
    let err = envelope::seal_for_epoch(
        &route(&w, MessageType::Command),
        &body(MessageType::Command, 1),
        w.device.signing(),
        &w.epoch_key,
    )
    .expect_err("commands must go to one key");
    assert_eq!(err.check(), "metadata-mismatch");
    let err = envelope::seal_for_epoch(
        &route(&w, MessageType::Event),
        &body(MessageType::Response, 1),
        w.device.signing(),
        &w.epoch_key,
    )
    .expect_err("kind must equal type");
    assert_eq!(err.check(), "metadata-mismatch");
}

#[test]
fn truncated_overlong_and_hostile_inputs_are_refused_without_panic() {
    let w = world();
    let msg = event(&w, 1);
    for len in 0..msg.len() {
        assert!(
            envelope::open(&msg[..len], &w.keyring).is_err(),
            "truncated to {len}"
        );
    }
    let mut long = msg.clone();
    long.push(0x00);
    assert!(envelope::open(&long, &w.keyring).is_err(), "trailing byte");
    let huge = vec![0xd0; sealhub::cose::MAX_MESSAGE_LEN + 1];
    assert!(matches!(
        envelope::open(&huge, &w.keyring),
        Err(Error::TooLong { .. })
    ));
    // Deeply nested arrays after the tag.
    let mut nested = vec![0xd0];
    nested.extend(std::iter::repeat_n(0x81, 10_000));
    nested.push(0x00);
    assert!(envelope::open(&nested, &w.keyring).is_err());
    // A byte string claiming 2^62 bytes.
    let huge_len = [0xd0, 0x83, 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x00];
    assert!(envelope::open(&huge_len, &w.keyring).is_err());
    // A map claiming 2^32 entries.
    let huge_map = [0xd0, 0x83, 0x40, 0xba, 0xff, 0xff, 0xff, 0xff, 0x00];
    assert!(envelope::open(&huge_map, &w.keyring).is_err());
    for input in [&msg[..], &nested, &huge_len, &huge_map] {
        let _ = envelope::inspect::inspect(input);
    }
}

#[test]
fn the_replay_window_refuses_a_replay_and_an_old_message() {
    let w = world();
    let mut window = ReplayWindow::default();
    let first = envelope::open(&event(&w, 1), &w.keyring).expect("opens");
    window.accept(first.body.seq).expect("fresh");
    let again = envelope::open(&event(&w, 1), &w.keyring).expect("opens");
    assert!(
        window.accept(again.body.seq).is_err(),
        "replayed sequence number accepted"
    );
    window.accept(500).expect("jump ahead");
    let old = envelope::open(&event(&w, 100), &w.keyring).expect("opens");
    assert!(
        window.accept(old.body.seq).is_err(),
        "message older than the window accepted"
    );
}

#[test]
fn an_event_with_a_64_byte_body_fits_in_256_bytes() {
    let w = world();
    let msg = event(&w, 1_000_000);
    assert!(msg.len() <= 256, "event envelope is {} bytes", msg.len());
}

#[test]
fn the_middlebox_view_shows_the_route_and_hides_the_body() {
    let w = world();
    let msg = event(&w, 1);
    let view = envelope::inspect::inspect(&msg).expect("inspects");
    assert_eq!(view.structure, "COSE_Encrypt0");
    assert!(view.encrypted);
    let route = view.route.expect("route shown");
    assert!(route.contains("zb:bulb-1") && route.contains("Event") && route.contains("epoch 1"));
    // The body bytes (0xAB x 64) and the signer's kid appear nowhere in the message.
    assert!(!msg.windows(8).any(|x| x == [0xAB; 8]));
    assert!(!msg.windows(8).any(|x| x == w.device.kid.0));
    let untagged = &msg[1..];
    assert_eq!(
        envelope::inspect::inspect(untagged)
            .expect("untagged")
            .structure,
        "COSE_Encrypt0"
    );
}

/// Builds an event by hand through the COSE layer, so a test can choose the algorithms.
fn hand_built_event(
    w: &World,
    outer: sealhub::cose::ContentAlgorithm,
    outer_key: &AeadKey,
    inner_alg: coset::iana::Algorithm,
) -> Vec<u8> {
    use coset::{CborSerializable, Header, HeaderBuilder, Label, TaggedCborSerializable};
    let route = route(w, MessageType::Event).to_bytes();
    let mut inner = sealhub::cose::sign1_create(
        Header::default(),
        HeaderBuilder::new().key_id(w.device.kid.0.to_vec()).build(),
        body(MessageType::Event, 1).to_bytes(),
        &route,
        &w.device.key,
    );
    if inner_alg != coset::iana::Algorithm::ES256 {
        inner.protected = coset::ProtectedHeader {
            original_data: None,
            header: HeaderBuilder::new().algorithm(inner_alg).build(),
        };
    }
    let mut unprotected = Header::default();
    unprotected.rest.push((
        Label::Int(envelope::ROUTE_LABEL),
        Value::Bytes(route.clone()),
    ));
    let inner = inner.to_vec().expect("encode");
    // Version 1 encrypts under the device's read key; another algorithm gets the key as given.
    let key = match outer {
        sealhub::cose::ContentAlgorithm::A128Gcm => {
            envelope::device_read_key(outer_key, &DeviceId::new("zb:bulb-1").expect("id"))
                .expect("derive")
        }
        _ => outer_key.clone(),
    };
    sealhub::cose::encrypt0_create(outer, &key, [1; 12], unprotected, &inner, &route)
        .expect("seal")
        .to_tagged_vec()
        .expect("encode")
}

#[test]
fn any_other_algorithm_is_refused_as_wrong_algorithm() {
    use sealhub::cose::ContentAlgorithm;
    let mut w = world();
    // The hand-built path with the version 1 algorithms opens: the test builds real envelopes.
    let good = hand_built_event(
        &w,
        ContentAlgorithm::A128Gcm,
        &w.epoch_key,
        coset::iana::Algorithm::ES256,
    );
    envelope::open(&good, &w.keyring).expect("hand-built v1 event opens");
    // Outer A256GCM, even under a key the receiver holds for that epoch.
    let key256 = AeadKey::Aes256([0x42; 32]);
    w.keyring.epochs.insert(1, key256.clone());
    let outer = hand_built_event(
        &w,
        ContentAlgorithm::A256Gcm,
        &key256,
        coset::iana::Algorithm::ES256,
    );
    assert!(matches!(
        envelope::open(&outer, &w.keyring),
        Err(Error::WrongAlgorithm(_))
    ));
    // Inner ES384 (or anything but ES256).
    w.keyring.epochs.insert(1, w.epoch_key.clone());
    let inner = hand_built_event(
        &w,
        ContentAlgorithm::A128Gcm,
        &w.epoch_key,
        coset::iana::Algorithm::ES384,
    );
    assert!(matches!(
        envelope::open(&inner, &w.keyring),
        Err(Error::WrongAlgorithm(_))
    ));
}
