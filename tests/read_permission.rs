//! Read permission is enforced by keys, not by good manners: each client receives the read keys
//! of exactly the devices it may read (all of them through the epoch key, some of them as
//! derived per-device keys, or none without the permission to read), and responses and
//! challenges are encrypted to the one client they answer. A restricted client opens nothing
//! it should not, and still opens what is its own.

mod support;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, Error, MessageType};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{self, Client, ClientKeys, Home};
use sealhub::store::{KekSource, Store};

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

fn envelope_err(e: keymgmt::Error) -> Error {
    match e {
        keymgmt::Error::Envelope(e) => e,
        other => panic!("expected an envelope refusal, got {other}"),
    }
}

fn pair(home: &mut Home, name: &str, perms: Permissions, devices: Option<&[&str]>) -> Client {
    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut client = Client::new(id(name), keys, home.root_public());
    let devices = devices.map(|d| d.iter().map(|s| s.to_string()).collect());
    let pairing = home
        .pair_client(&id(name), public, perms, devices)
        .expect("pairs");
    client.open(&pairing.key_distribution).expect("applies");
    client
}

struct Household {
    _dir: tempfile::TempDir,
    home: Home,
    /// READ, no device list.
    reader: Client,
    /// READ and SEND, for the bulb only.
    bulb_only: Client,
    /// SEND only, every device.
    send_only: Client,
}

fn household() -> Household {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    home.issue_device(&id("zb:lock")).expect("device");
    home.issue_device(&id("zb:bulb")).expect("device");
    let reader = pair(&mut home, "reader", Permissions::READ_EVENTS, None);
    let bulb_only = pair(
        &mut home,
        "kid-tablet",
        Permissions::READ_EVENTS | Permissions::SEND_COMMANDS,
        Some(&["zb:bulb"]),
    );
    let send_only = pair(&mut home, "doorbell", Permissions::SEND_COMMANDS, None);
    Household {
        _dir: dir,
        home,
        reader,
        bulb_only,
        send_only,
    }
}

fn assert_no_read_key(client: &mut Client, msg: &[u8], device: &str) {
    let err = envelope_err(client.open(msg).expect_err("must not open"));
    assert!(
        matches!(&err, Error::NoReadKey { device: d, .. } if d == device),
        "{err}"
    );
}

#[test]
fn a_client_reads_the_events_of_exactly_the_devices_it_may_read() {
    let mut h = household();
    let lock = h
        .home
        .seal_event(&id("zb:lock"), Value::Text("unlocked".into()))
        .expect("seal");
    let bulb = h
        .home
        .seal_event(&id("zb:bulb"), Value::Text("on".into()))
        .expect("seal");

    assert_eq!(
        h.reader
            .open(&lock)
            .expect("reader reads the lock")
            .body
            .body,
        Value::Text("unlocked".into())
    );
    h.reader.open(&bulb).expect("reader reads the bulb");

    assert_no_read_key(&mut h.bulb_only, &lock, "zb:lock");
    let opened = h.bulb_only.open(&bulb).expect("its own device");
    assert_eq!(opened.body.body, Value::Text("on".into()));

    assert_no_read_key(&mut h.send_only, &lock, "zb:lock");
    assert_no_read_key(&mut h.send_only, &bulb, "zb:bulb");
}

#[test]
fn a_response_is_read_by_the_client_it_answers_and_nobody_else() {
    let mut h = household();
    let cmd = h
        .send_only
        .seal_command(
            &id("zb:lock"),
            Value::Text("unlock".into()),
            1_800_000_060,
            None,
        )
        .expect("seal");
    let opened = h
        .home
        .open_command(&cmd, Some(1_800_000_000), std::time::Instant::now())
        .expect("runs");
    let response = h
        .home
        .seal_response(
            &id("zb:lock"),
            &id("doorbell"),
            Value::Text("done".into()),
            opened.body.msg_id,
        )
        .expect("seal");
    let answer = h
        .send_only
        .open(&response)
        .expect("a send-only client reads its answer");
    assert_eq!(answer.route.msg_type, MessageType::Response);
    assert_eq!(answer.body.re, Some(opened.body.msg_id));
    assert_eq!(answer.body.body, Value::Text("done".into()));
    let send_only_agreement = h.send_only.agreement_kid();
    for other in [&mut h.reader, &mut h.bulb_only] {
        let err = envelope_err(other.open(&response).expect_err("not theirs"));
        assert!(
            matches!(err, Error::UnknownKid(k) if k == send_only_agreement),
            "{err}"
        );
    }
    // The hub will not seal a response under the old, shared scheme.
    let err = h
        .home
        .seal_from_device(
            &id("zb:lock"),
            MessageType::Response,
            Value::Null,
            Some([1; 8]),
        )
        .expect_err("a response goes to one client");
    assert!(matches!(envelope_err(err), Error::MetadataMismatch(_)));
}

#[test]
fn a_challenge_is_read_by_the_client_it_challenges_and_nobody_else() {
    let mut h = household();
    let challenge = h
        .home
        .seal_challenge(&id("zb:bulb"), &id("kid-tablet"), &[0xc4; 16], [2; 8])
        .expect("seal");
    let got = h.bulb_only.open(&challenge).expect("its own challenge");
    assert_eq!(got.body.body, Value::Bytes(vec![0xc4; 16]));
    for other in [&mut h.reader, &mut h.send_only] {
        let err = envelope_err(other.open(&challenge).expect_err("not theirs"));
        assert!(matches!(err, Error::UnknownKid(_)), "{err}");
    }
}

#[test]
fn revocation_lists_reach_readers_as_messages_and_everyone_in_key_distributions() {
    let mut h = household();
    let leaving = pair(&mut h.home, "old-phone", Permissions::ALL, None);
    drop(leaving);
    let before = h.send_only.revocation_number();
    let redistribution = h.home.remove_client(&id("old-phone")).expect("removed");
    for (client_id, dist) in &redistribution {
        let client = match client_id.as_str() {
            "reader" => &mut h.reader,
            "kid-tablet" => &mut h.bulb_only,
            "doorbell" => &mut h.send_only,
            other => panic!("unexpected client {other}"),
        };
        client.open(dist).expect("takes the new epoch");
    }
    // A client without READ gets the new list inside its key distribution.
    assert!(h.send_only.revocation_number() > before);

    let list = h.home.seal_revocation_list().expect("seal");
    h.reader.open(&list).expect("a reader opens the list");
    h.bulb_only
        .open(&list)
        .expect("a device-limited reader holds the hub's read key");
    assert_no_read_key(&mut h.send_only, &list, "hub");
}
