//! A client kept in its own sealed store survives a restart: its next command is accepted (its
//! sequence numbers continue above every number it used), and it still refuses what it
//! accepted before the restart (an old key distribution, an old event) and revocation lists
//! older than the one it holds.

mod support;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, Error};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{self, Client, ClientKeys, Home};
use sealhub::store::{KekSource, Store};
use std::path::Path;
use std::time::Instant;

const NOW: u64 = 1_800_000_000;

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

fn store_in(dir: &Path) -> Store {
    Store::open(dir, &KekSource::default_key_file(dir)).expect("store opens")
}

fn envelope_err(e: keymgmt::Error) -> Error {
    match e {
        keymgmt::Error::Envelope(e) => e,
        other => panic!("expected an envelope refusal, got {other}"),
    }
}

fn unlock(client: &mut Client) -> Vec<u8> {
    client
        .seal_command(&id("zb:lock"), Value::Text("unlock".into()), NOW + 60, None)
        .expect("seal")
}

#[test]
fn a_restarted_client_keeps_working_and_refuses_what_it_saw_before() {
    let hub_dir = support::tempdir();
    let client_dir = support::tempdir();
    let (mut home, _) =
        Home::open(store_in(hub_dir.path()), FreshnessPolicy::default()).expect("home");
    home.issue_device(&id("zb:lock")).expect("device");

    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut client = Client::create_in(
        store_in(client_dir.path()),
        id("phone"),
        keys,
        home.root_public(),
    )
    .expect("client created");
    let first_distribution = home
        .pair_client(&id("phone"), public, Permissions::ALL, None)
        .expect("pairs")
        .key_distribution;
    client.open(&first_distribution).expect("applies");
    let other = ClientKeys::generate().expect("rng").public();
    home.pair_client(&id("tablet"), other, Permissions::ALL, None)
        .expect("pairs");

    let old_event = home.seal_event(&id("zb:lock"), Value::Null).expect("seal");
    client.open(&old_event).expect("opens");
    // More than one reservation of sequence numbers (64 each), all accepted by the hub.
    for _ in 0..70 {
        home.open_command(&unlock(&mut client), Some(NOW), Instant::now())
            .expect("accepted");
    }
    // A rekey: the tablet leaves, the client takes epoch 2 and revocation list 1.
    let redistribution = home.remove_client(&id("tablet")).expect("removed");
    client.open(&redistribution[0].1).expect("new epoch");
    assert_eq!(client.current_epoch(), Some(2));
    let number = client.revocation_number();
    let kid = client.kid();
    drop(client);

    let mut client = Client::open_in(store_in(client_dir.path())).expect("client reopens");
    assert_eq!(client.kid(), kid);
    assert_eq!(client.current_epoch(), Some(2));
    assert_eq!(client.revocation_number(), number);
    // Its next command is accepted: no sequence number is reused.
    let opened = home
        .open_command(&unlock(&mut client), Some(NOW), Instant::now())
        .expect("the hub accepts the restarted client's command");
    assert!(opened.body.seq > 70);
    // It still reads the new epoch's events.
    let event = home.seal_event(&id("zb:lock"), Value::Null).expect("seal");
    client.open(&event).expect("reads");
    // And refuses what it accepted before the restart.
    let err = envelope_err(
        client
            .open(&first_distribution)
            .expect_err("old distribution"),
    );
    assert!(matches!(err, Error::Replay { seq: 1, .. }), "{err}");
    let err = envelope_err(client.open(&old_event).expect_err("old event"));
    assert!(matches!(err, Error::Replay { .. }), "{err}");
}

#[test]
fn a_store_holds_one_client_and_an_empty_one_none() {
    let dir = support::tempdir();
    let root = ClientKeys::generate().expect("rng").signing.public_key();
    let err = Client::open_in(store_in(dir.path())).expect_err("no client yet");
    assert!(matches!(err, keymgmt::Error::UnknownClient(_)), "{err}");
    let client = Client::create_in(
        store_in(dir.path()),
        id("phone"),
        ClientKeys::generate().expect("rng"),
        root,
    )
    .expect("created");
    drop(client);
    let err = Client::create_in(
        store_in(dir.path()),
        id("phone"),
        ClientKeys::generate().expect("rng"),
        root,
    )
    .expect_err("a second client in one store");
    assert!(matches!(err, keymgmt::Error::AlreadyExists(_)), "{err}");
}
