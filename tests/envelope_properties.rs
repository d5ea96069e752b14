//! Properties of the envelope over random routes and bodies: whatever is sealed opens to exactly
//! the route, signer and body sealed; routes and bodies round-trip through their bytes; and no
//! single changed byte of a sealed envelope is accepted.
//!
//! Keys come from fixed scalars (cheap and reproducible); everything else is drawn by proptest.
//! Case counts are modest because every case signs, verifies and (for commands) agrees keys in a
//! debug build.

use coset::cbor::value::Value;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use sealhub::crypto::{AeadKey, PrivateKey, PublicKey};
use sealhub::envelope::{
    self, Body, DeviceId, Error, Keyring, MessageType, Opened, Route, SigningIdentity,
};
use sealhub::identity::{Kid, Thumbprint};
use std::sync::OnceLock;

const ALL_TYPES: [MessageType; 6] = [
    MessageType::Command,
    MessageType::Response,
    MessageType::Event,
    MessageType::KeyDistribution,
    MessageType::RevocationList,
    MessageType::Challenge,
];

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

    fn signing(&self) -> SigningIdentity<'_> {
        SigningIdentity {
            key: &self.key,
            kid: self.kid,
        }
    }
}

struct Home {
    hub: Party,
    device: Party,
    client: Party,
}

fn home() -> &'static Home {
    static HOME: OnceLock<Home> = OnceLock::new();
    HOME.get_or_init(|| Home {
        hub: Party::from_scalar(0x11),
        device: Party::from_scalar(0x22),
        client: Party::from_scalar(0x33),
    })
}

impl Home {
    /// The rightful signer of each type (`docs/ENVELOPE.md`, "Signer per message type").
    fn signer_for(&self, t: MessageType) -> &Party {
        match t {
            MessageType::Command => &self.client,
            MessageType::Response | MessageType::Event => &self.device,
            MessageType::KeyDistribution | MessageType::RevocationList | MessageType::Challenge => {
                &self.hub
            }
        }
    }

    /// Who a to-one-key type is encrypted to: commands to the device, key distributions,
    /// responses and challenges to the client.
    fn recipient_for(&self, t: MessageType) -> &Party {
        if t == MessageType::Command {
            &self.device
        } else {
            &self.client
        }
    }
}

/// A receiver holding one epoch key and both recipient keys, accepting each signer only for the
/// types it may sign.
struct TestKeyring {
    epoch: u32,
    epoch_key: AeadKey,
}

impl Keyring for TestKeyring {
    fn home(&self) -> Kid {
        home().hub.kid
    }
    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        (epoch == self.epoch).then(|| self.epoch_key.clone())
    }
    fn recipient_key(&self, kid: &Kid, _route: &Route) -> Option<PrivateKey> {
        let h = home();
        [&h.device, &h.client]
            .into_iter()
            .find(|p| p.kid == *kid)
            .map(|p| p.key.clone())
    }
    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        let rightful = home().signer_for(route.msg_type);
        if rightful.kid == *kid {
            Ok(rightful.key.public_key())
        } else {
            Err(Error::UnknownKid(*kid))
        }
    }
}

/// Seals with the public API: epoch kinds under the epoch key, commands and key distribution to
/// their recipient's key; randomness (IV, ephemeral key) from the system, as in production.
fn seal(route: &Route, body: &Body, epoch_key: &AeadKey) -> Vec<u8> {
    let h = home();
    let t = route.msg_type;
    let signer = h.signer_for(t).signing();
    let sealed = if t.is_to_one_key() {
        let to = h.recipient_for(t);
        envelope::seal_for_key(route, body, signer, &to.key.public_key(), to.kid)
    } else {
        envelope::seal_for_epoch(route, body, signer, epoch_key)
    };
    sealed.expect("a valid route and body seal")
}

fn device_id() -> impl Strategy<Value = DeviceId> {
    "[a-z0-9._:-]{1,64}".prop_map(|s| DeviceId::new(&s).expect("the regex only makes valid ids"))
}

fn message_type() -> impl Strategy<Value = MessageType> {
    proptest::sample::select(ALL_TYPES.to_vec())
}

/// Random CBOR content: byte strings, text, integers of either sign, and small arrays and maps
/// of them (no floats: NaN is not equal to itself, which says nothing about the envelope).
fn cbor_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        vec(any::<u8>(), 0..64).prop_map(Value::Bytes),
        any::<String>().prop_map(Value::Text),
        any::<i64>().prop_map(|i| Value::Integer(i.into())),
        any::<u64>().prop_map(|u| Value::Integer(u.into())),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((inner.clone(), inner), 0..4).prop_map(Value::Map),
        ]
    })
}

/// Everything of a body but its kind; [`body_of_kind`] makes it a valid body of any kind.
#[derive(Debug, Clone)]
struct BodyParts {
    msg_id: [u8; 8],
    seq: u64,
    time: u64,
    body: Value,
    exp: u64,
    exp_on_others: bool,
    echo: Option<Vec<u8>>,
    re: Option<[u8; 8]>,
}

fn body_parts() -> impl Strategy<Value = BodyParts> {
    (
        any::<[u8; 8]>(),
        1..=u64::MAX,
        any::<u64>(),
        cbor_value(),
        any::<u64>(),
        any::<bool>(),
        proptest::option::of(vec(any::<u8>(), 8..=32)),
        proptest::option::of(any::<[u8; 8]>()),
    )
        .prop_map(
            |(msg_id, seq, time, body, exp, exp_on_others, echo, re)| BodyParts {
                msg_id,
                seq,
                time,
                body,
                exp,
                exp_on_others,
                echo,
                re,
            },
        )
}

/// A body of `kind`: commands always carry `exp`, other kinds only sometimes.
fn body_of_kind(p: &BodyParts, kind: MessageType) -> Body {
    Body {
        msg_id: p.msg_id,
        seq: p.seq,
        time: p.time,
        kind,
        body: p.body.clone(),
        exp: (kind == MessageType::Command || p.exp_on_others).then_some(p.exp),
        echo: p.echo.clone(),
        re: p.re,
    }
}

fn route_of_kind(device: &DeviceId, kind: MessageType, epoch: u32) -> Route {
    Route {
        home: home().hub.kid,
        device: device.clone(),
        msg_type: kind,
        epoch,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every kind, sealed the way the kind is sealed, opens to exactly what was sealed: the same
    /// route, the rightful signer's kid and the same body.
    #[test]
    fn every_kind_opens_to_exactly_what_was_sealed(
        device in device_id(),
        epoch in any::<u32>(),
        epoch_key in any::<[u8; 16]>(),
        parts in body_parts(),
    ) {
        let keyring = TestKeyring { epoch, epoch_key: AeadKey::Aes128(epoch_key) };
        for kind in ALL_TYPES {
            let route = route_of_kind(&device, kind, epoch);
            let body = body_of_kind(&parts, kind);
            let sealed = seal(&route, &body, &keyring.epoch_key);
            let opened = envelope::open(&sealed, &keyring);
            prop_assert!(opened.is_ok(), "{:?} did not open: {:?}", kind, opened);
            let expected = Opened {
                route: route.clone(),
                signer: home().signer_for(kind).kid,
                body,
            };
            prop_assert_eq!(opened.ok(), Some(expected));
        }
    }

    /// Route bytes round-trip both ways: parse(encode(r)) == r and encode(parse(b)) == b.
    #[test]
    fn routes_round_trip_through_their_bytes(
        home_id in any::<[u8; 8]>(),
        device in device_id(),
        kind in message_type(),
        epoch in any::<u32>(),
    ) {
        let route = Route { home: Kid(home_id), device, msg_type: kind, epoch };
        let bytes = route.to_bytes();
        let parsed = Route::from_bytes(&bytes);
        prop_assert!(parsed.is_ok(), "{:?} did not parse: {:?}", route, parsed);
        let parsed = parsed.expect("checked");
        prop_assert_eq!(parsed.to_bytes(), bytes);
        prop_assert_eq!(parsed, route);
    }

    /// Body bytes round-trip both ways, for every kind.
    #[test]
    fn bodies_round_trip_through_their_bytes(kind in message_type(), parts in body_parts()) {
        let body = body_of_kind(&parts, kind);
        let bytes = body.to_bytes();
        let parsed = Body::from_bytes(&bytes);
        prop_assert!(parsed.is_ok(), "{:?} did not parse: {:?}", body, parsed);
        let parsed = parsed.expect("checked");
        prop_assert_eq!(parsed.to_bytes(), bytes);
        prop_assert_eq!(parsed, body);
    }

    /// Changing any one byte of a sealed envelope, to any other value, makes opening fail.
    #[test]
    fn a_changed_byte_is_always_refused(
        device in device_id(),
        kind in message_type(),
        epoch in any::<u32>(),
        parts in body_parts(),
        at in any::<Index>(),
        xor in 1u8..=255,
    ) {
        let keyring = TestKeyring { epoch, epoch_key: AeadKey::Aes128([0x42; 16]) };
        let sealed = seal(&route_of_kind(&device, kind, epoch), &body_of_kind(&parts, kind), &keyring.epoch_key);
        let mut changed = sealed.clone();
        let i = at.index(changed.len());
        changed[i] ^= xor;
        let opened = envelope::open(&changed, &keyring);
        prop_assert!(
            opened.is_err(),
            "{:?}: byte {} of {} XOR {:#04x} was accepted: {:?}",
            kind, i, sealed.len(), xor, opened
        );
        let _ = envelope::inspect::inspect(&changed);
    }
}
