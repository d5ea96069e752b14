//! Key material hygiene: a key distribution's keys never show in `Debug` output and do not
//! stay behind in what the client hands back to its caller.

mod support;

use coset::cbor::value::Value;
use sealhub::crypto::PrivateKey;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, MessageType};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{Client, Home};
use sealhub::store::{KekSource, Store};

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

#[test]
fn an_opened_key_distribution_shows_and_keeps_no_key() {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    home.issue_device(&id("zb:lock")).expect("device");
    let key = PrivateKey::generate().expect("rng");
    let mut client = Client::new(id("phone"), key.clone(), home.root_public());
    let pairing = home
        .pair_client(&id("phone"), key.public_key(), Permissions::ALL, None)
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
