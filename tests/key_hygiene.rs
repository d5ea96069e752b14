//! Key material hygiene: a key distribution's keys never show in `Debug` output and do not
//! stay behind in what the client hands back to its caller; and no key serves two purposes.

mod support;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{self, Body, DeviceId, Error, MessageType, Route, SigningIdentity};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{Client, ClientKeys, Home};
use sealhub::store::{KekSource, Store};
use std::time::Instant;

const NOW: u64 = 1_800_000_000;

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

#[test]
fn an_opened_key_distribution_shows_and_keeps_no_key() {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    home.issue_device(&id("zb:lock")).expect("device");
    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut client = Client::new(id("phone"), keys, home.root_public());
    let pairing = home
        .pair_client(&id("phone"), public, Permissions::ALL, None)
        .expect("pairs");
    let opened = client.open(&pairing.key_distribution).expect("applies");
    assert_eq!(opened.route.msg_type, MessageType::KeyDistribution);
    let shown = format!("{opened:?}");
    assert!(
        shown.contains("<redacted>") && !shown.contains("Bytes("),
        "Debug shows the body: {shown}"
    );
    assert_eq!(
        opened.body.body,
        Value::Null,
        "the keys are wiped from the returned body once applied"
    );
    // Applied all the same: the client reads the device's events.
    let event = home
        .seal_from_device(&id("zb:lock"), MessageType::Event, Value::Null, None)
        .expect("seal");
    client.open(&event).expect("opens");
}

/// No key serves both ECDSA and ECDH: every device and client has a signing key and a separate
/// key agreement key, both certified; what is encrypted to a holder's signing key is not
/// opened with it.
#[test]
fn devices_and_clients_sign_with_one_key_and_receive_with_another() {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    let device = home.issue_device(&id("zb:lock")).expect("device");
    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let signing = keys.signing.clone();
    let mut client = Client::new(id("phone"), keys, home.root_public());
    let pairing = home
        .pair_client(&id("phone"), public, Permissions::ALL, None)
        .expect("pairs");
    client.open(&pairing.key_distribution).expect("applies");
    for cert in [&device, &pairing.certificate] {
        let agreement = cert.agreement_key().expect("an agreement key");
        assert_ne!(*agreement, cert.claims().key, "{}", cert.claims().subject);
        assert_ne!(cert.agreement_kid(), Some(cert.kid()));
    }
    assert_eq!(pairing.certificate.agreement_key(), Some(&public.agreement));
    assert_eq!(
        client.agreement_kid(),
        pairing.certificate.agreement_kid().expect("kid")
    );

    // A command encrypted (as before two keys) to the device's signing key.
    let route = Route {
        home: home.home_id(),
        device: id("zb:lock"),
        msg_type: MessageType::Command,
        epoch: home.epoch(),
    };
    let body = Body {
        msg_id: [1; 8],
        seq: 1,
        time: 0,
        kind: MessageType::Command,
        body: Value::Null,
        exp: Some(NOW + 60),
        echo: None,
        re: None,
    };
    let signer = SigningIdentity {
        key: &signing,
        kid: client.kid(),
    };
    let to_signing_key =
        envelope::seal_for_key(&route, &body, signer, &device.claims().key, device.kid())
            .expect("seal");
    let err = home
        .open_command(&to_signing_key, Some(NOW), Instant::now())
        .expect_err("the signing key does not decrypt");
    assert!(
        matches!(err, Error::UnknownKid(k) if k == device.kid()),
        "{err}"
    );
    // The same command to the agreement key opens.
    let to_agreement_key = envelope::seal_for_key(
        &route,
        &body,
        signer,
        device.agreement_key().expect("key"),
        device.agreement_kid().expect("kid"),
    )
    .expect("seal");
    home.open_command(&to_agreement_key, Some(NOW), Instant::now())
        .expect("opens");
}
