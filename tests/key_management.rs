//! Key management end to end, over a real sealed store: pairing, events, commands, replays
//! (also after a restart), expiry and the echo challenge, revocation, removal with rekey,
//! device key rotation and permissions. Each attack must be refused with its typed error.

mod support;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, Error, MessageType};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{self, Client, ClientKeys, Home};
use sealhub::store::{KekSource, Store, WriteBatch};
use std::path::Path;
use std::time::Instant;

const NOW: u64 = 1_800_000_000;

fn open_home(dir: &Path) -> Home {
    let store = Store::open(dir, &KekSource::default_key_file(dir)).expect("store opens");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home opens");
    home.set_clock_trusted(true);
    home
}

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

/// A paired client that has applied its first key distribution.
fn pair(home: &mut Home, name: &str, perms: Permissions, devices: Option<Vec<String>>) -> Client {
    support::paired_client(home, name, perms, devices)
}

fn envelope_err(e: keymgmt::Error) -> Error {
    match e {
        keymgmt::Error::Envelope(e) => e,
        other => panic!("expected an envelope refusal, got {other}"),
    }
}

fn unlock(client: &mut Client, device: &str) -> Vec<u8> {
    client
        .seal_command(&id(device), Value::Text("unlock".into()), NOW + 60, None)
        .expect("seal command")
}

#[test]
fn a_paired_client_reads_events_and_the_hub_runs_its_commands() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zb:lock")).expect("device");
    let mut client = pair(&mut home, "phone", Permissions::ALL, None);

    let event = home
        .seal_from_device(
            &id("zb:lock"),
            MessageType::Event,
            Value::Text("locked".into()),
            None,
        )
        .expect("seal event");
    let opened = client.open(&event).expect("client opens the event");
    assert_eq!(opened.body.body, Value::Text("locked".into()));
    assert_eq!(opened.route.device, id("zb:lock"));

    let cmd = unlock(&mut client, "zb:lock");
    let opened = home
        .open_command(&cmd, Some(NOW), Instant::now())
        .expect("hub opens");
    assert_eq!(opened.body.body, Value::Text("unlock".into()));
    assert_eq!(opened.signer, client.kid());
}

#[test]
fn a_replayed_command_is_refused_also_after_a_restart() {
    let dir = support::tempdir();
    let (cmd, old, client_kid) = {
        let mut home = open_home(dir.path());
        home.issue_device(&id("zb:lock")).expect("device");
        let mut client = pair(&mut home, "phone", Permissions::ALL, None);
        let old = unlock(&mut client, "zb:lock"); // seq 1, held back
        let mut last = Vec::new();
        for _ in 0..70 {
            last = unlock(&mut client, "zb:lock");
        }
        home.open_command(&last, Some(NOW), Instant::now())
            .expect("first delivery");
        let again = home
            .open_command(&last, Some(NOW), Instant::now())
            .expect_err("replay");
        assert!(matches!(again, Error::Replay { .. }), "{again}");
        (last, old, client.kid())
    };
    // The hub restarts: the window comes back from the sealed store.
    let mut home = open_home(dir.path());
    let err = home
        .open_command(&cmd, Some(NOW), Instant::now())
        .expect_err("replay after restart");
    assert!(
        matches!(err, Error::Replay { kid, .. } if kid == client_kid),
        "{err}"
    );
    // A message older than the window (seq 1 when 71 was accepted) is refused too.
    let err = home
        .open_command(&old, Some(NOW), Instant::now())
        .expect_err("too old");
    assert!(matches!(err, Error::Replay { seq: 1, .. }), "{err}");
}

#[test]
fn an_expired_command_is_refused() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zb:lock")).expect("device");
    let mut client = pair(&mut home, "phone", Permissions::ALL, None);
    let cmd = unlock(&mut client, "zb:lock"); // expires at NOW + 60
    let err = home
        .open_command(&cmd, Some(NOW + 61), Instant::now())
        .expect_err("expired");
    assert!(matches!(err, Error::Expired { .. }), "{err}");
    // Refusal did not consume the sequence number: still valid in time, it opens.
    home.open_command(&cmd, Some(NOW + 59), Instant::now())
        .expect("still valid");
}

#[test]
fn without_a_trusted_clock_a_command_needs_the_hubs_challenge() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zb:lock")).expect("device");
    let mut client = pair(&mut home, "phone", Permissions::ALL, None);
    let t0 = Instant::now();
    let cmd = unlock(&mut client, "zb:lock");
    let Err(Error::FreshnessUnverified {
        challenge, msg_id, ..
    }) = home.open_command(&cmd, None, t0)
    else {
        panic!("a command must not run on an untrusted clock without an echo");
    };
    // The hub sends the challenge as a signed envelope; the client opens it and resends.
    let challenge_env = home
        .seal_challenge(&id("zb:lock"), &id("phone"), &challenge, msg_id)
        .expect("seal");
    let got = client
        .open(&challenge_env)
        .expect("client opens the challenge");
    assert_eq!(got.route.msg_type, MessageType::Challenge);
    let echo = match got.body.body {
        Value::Bytes(b) => b,
        other => panic!("challenge body {other:?}"),
    };
    assert_eq!(got.body.re, Some(msg_id), "the challenge names the command");
    let retry = client
        .resend_command(
            &id("zb:lock"),
            Value::Text("unlock".into()),
            NOW + 60,
            msg_id,
            echo,
        )
        .expect("seal");
    home.open_command(&retry, None, t0)
        .expect("an echoed command runs");
    // Delivered again, it is a replay.
    let err = home.open_command(&retry, None, t0).expect_err("replay");
    assert!(matches!(err, Error::Replay { .. }), "{err}");
    // The echo is single-use: the same command resent with it again is challenged again.
    let reuse = client
        .resend_command(
            &id("zb:lock"),
            Value::Text("unlock".into()),
            NOW + 60,
            msg_id,
            challenge,
        )
        .expect("seal");
    let err = home
        .open_command(&reuse, None, t0)
        .expect_err("echo reused");
    assert!(matches!(err, Error::FreshnessUnverified { .. }), "{err}");
}

#[test]
fn a_removed_client_cannot_command_nor_read_what_follows() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zb:lock")).expect("device");
    let mut stays = pair(&mut home, "phone", Permissions::ALL, None);
    let mut leaves = pair(&mut home, "old-tablet", Permissions::ALL, None);
    let pending = unlock(&mut leaves, "zb:lock");

    let redistribution = home.remove_client(&id("old-tablet")).expect("removed");
    assert_eq!(
        redistribution.len(),
        1,
        "only the remaining client gets the new key"
    );
    assert_eq!(redistribution[0].0, id("phone"));
    stays
        .open(&redistribution[0].1)
        .expect("the remaining client takes the new epoch");
    assert_eq!(stays.current_epoch(), Some(2));

    // Its command, sealed before removal, is refused: the client is revoked.
    let err = home
        .open_command(&pending, Some(NOW), Instant::now())
        .expect_err("revoked");
    assert!(matches!(err, Error::Revoked(_)), "{err}");

    // An event after the rekey: the remaining client reads it, the removed one cannot.
    let event = home
        .seal_from_device(
            &id("zb:lock"),
            MessageType::Event,
            Value::Text("opened".into()),
            None,
        )
        .expect("seal");
    stays.open(&event).expect("remaining client reads");
    let err = leaves
        .open(&event)
        .expect_err("removed client must not read");
    assert!(matches!(envelope_err(err), Error::UnknownEpoch(2)));
}

#[test]
fn a_rotated_device_key_is_no_longer_trusted() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zw:dimmer")).expect("device");
    let mut client = pair(&mut home, "phone", Permissions::ALL, None);
    let before = home
        .seal_from_device(
            &id("zw:dimmer"),
            MessageType::Event,
            Value::Integer(10.into()),
            None,
        )
        .expect("seal");
    let old_cert = home
        .device_certificate(&id("zw:dimmer"))
        .expect("cert")
        .clone();
    let new_cert = home.rotate_device(&id("zw:dimmer")).expect("rotate");
    assert_ne!(old_cert.kid(), new_cert.kid());
    for (_, dist) in home.redistribute().expect("redistribute") {
        client.open(&dist).expect("client updates");
    }
    // An event signed by the old key (delivered late) is refused as revoked.
    let err = client.open(&before).expect_err("old key");
    assert!(matches!(envelope_err(err), Error::Revoked(k) if k == old_cert.kid()));
    // The new key's events are accepted.
    let after = home
        .seal_from_device(
            &id("zw:dimmer"),
            MessageType::Event,
            Value::Integer(20.into()),
            None,
        )
        .expect("seal");
    client.open(&after).expect("new key trusted");
    // Commands now go to the new key.
    let cmd = client
        .seal_command(&id("zw:dimmer"), Value::Integer(50.into()), NOW + 10, None)
        .expect("seal");
    home.open_command(&cmd, Some(NOW), Instant::now())
        .expect("hub opens with the new key");
}

#[test]
fn permissions_and_device_scope_are_enforced() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zb:lock")).expect("device");
    home.issue_device(&id("zb:bulb")).expect("device");
    let mut viewer = pair(&mut home, "viewer", Permissions::READ_EVENTS, None);
    let mut bulbs_only = pair(
        &mut home,
        "kid-tablet",
        Permissions::READ_EVENTS | Permissions::SEND_COMMANDS,
        Some(vec!["zb:bulb".into()]),
    );
    let err = home
        .open_command(&unlock(&mut viewer, "zb:lock"), Some(NOW), Instant::now())
        .expect_err("viewer");
    assert!(matches!(err, Error::NotAuthorised { .. }), "{err}");
    let err = home
        .open_command(
            &unlock(&mut bulbs_only, "zb:lock"),
            Some(NOW),
            Instant::now(),
        )
        .expect_err("out of scope");
    assert!(matches!(err, Error::NotAuthorised { .. }), "{err}");
    home.open_command(
        &unlock(&mut bulbs_only, "zb:bulb"),
        Some(NOW),
        Instant::now(),
    )
    .expect("in scope");
}

#[test]
fn a_client_cannot_pass_itself_off_as_a_device_or_pair_twice() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zb:lock")).expect("device");
    let keys = ClientKeys::generate().expect("rng").public();
    home.pair_client(&id("phone"), keys, Permissions::ALL, None)
        .expect("pairs");
    let again = home.pair_client(&id("phone"), keys, Permissions::ALL, None);
    assert!(matches!(again, Err(keymgmt::Error::AlreadyExists(_))));
    let same_key = home.pair_client(&id("phone-2"), keys, Permissions::ALL, None);
    assert!(matches!(same_key, Err(keymgmt::Error::KidCollision(_))));
    let as_device = home.pair_client(&id("zb:lock"), keys, Permissions::ALL, None);
    assert!(matches!(as_device, Err(keymgmt::Error::AlreadyExists(_))));
}

#[test]
fn the_home_survives_a_restart_and_never_reuses_a_sequence_number() {
    let dir = support::tempdir();
    let (root, mut client) = {
        let mut home = open_home(dir.path());
        home.issue_device(&id("zb:lock")).expect("device");
        let mut client = pair(&mut home, "phone", Permissions::ALL, None);
        for _ in 0..3 {
            let e = home
                .seal_from_device(&id("zb:lock"), MessageType::Event, Value::Null, None)
                .expect("seal");
            client.open(&e).expect("opens");
        }
        (home.root_thumbprint(), client)
    };
    let mut home = open_home(dir.path());
    assert_eq!(
        home.root_thumbprint(),
        root,
        "the same root key after a restart"
    );
    assert!(home.device_certificate(&id("zb:lock")).is_some());
    // Events after the restart carry higher sequence numbers, so the client accepts them.
    let e = home
        .seal_from_device(&id("zb:lock"), MessageType::Event, Value::Null, None)
        .expect("seal");
    let opened = client
        .open(&e)
        .expect("accepted: sequence numbers moved on");
    assert!(opened.body.seq > 3);
    // Commands from the paired client still work.
    let cmd = unlock(&mut client, "zb:lock");
    home.open_command(&cmd, Some(NOW), Instant::now())
        .expect("still paired");
}

#[test]
fn a_device_key_and_the_callers_records_are_written_together_or_not_at_all() {
    let dir = support::tempdir();
    {
        let mut home = open_home(dir.path());
        let mut with = WriteBatch::new();
        with.put("registry", b"zb:bulb", b"the bulb's record");
        home.issue_device_with(&id("zb:bulb"), with)
            .expect("issued with its record");
        // A batch that cannot be written (a reserved tree) fails as a whole: no key either.
        let mut bad = WriteBatch::new();
        bad.put("meta", b"zb:lamp", b"never written");
        assert!(home.issue_device_with(&id("zb:lamp"), bad).is_err());
        assert!(home.device_certificate(&id("zb:lamp")).is_none());
    }
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    assert_eq!(
        store.get("registry", b"zb:bulb").expect("read").as_deref(),
        Some(&b"the bulb's record".to_vec())
    );
    let (home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    assert!(home.device_certificate(&id("zb:bulb")).is_some());
    assert!(home.device_certificate(&id("zb:lamp")).is_none());
}

#[test]
fn a_revoked_device_is_gone_and_its_old_events_are_refused() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    let mut with = WriteBatch::new();
    with.put("registry", b"zb:plug", b"record");
    home.issue_device_with(&id("zb:plug"), with)
        .expect("issued");
    let mut client = pair(&mut home, "phone", Permissions::ALL, None);
    let late = home
        .seal_event(&id("zb:plug"), Value::Text("on".into()))
        .expect("seal");
    let old_kid = home.device_certificate(&id("zb:plug")).expect("cert").kid();

    let mut with = WriteBatch::new();
    with.remove("registry", b"zb:plug");
    home.revoke_device(&id("zb:plug"), with).expect("revoked");
    assert!(home.device_certificate(&id("zb:plug")).is_none());
    assert!(matches!(
        home.seal_event(&id("zb:plug"), Value::Null),
        Err(keymgmt::Error::UnknownDevice(_))
    ));
    // The revocation list alone tells the client: the old key's event is refused.
    let list = home.seal_revocation_list().expect("list");
    let opened = client.open(&list).expect("the client takes the list");
    assert_eq!(opened.route.msg_type, MessageType::RevocationList);
    let err = client.open(&late).expect_err("revoked key");
    assert!(matches!(envelope_err(err), Error::Revoked(k) if k == old_kid));
    // After a restart the key and the caller's record are gone together.
    drop(home);
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    assert!(store.get("registry", b"zb:plug").expect("read").is_none());
    let (home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    assert!(home.device_certificate(&id("zb:plug")).is_none());
}

#[test]
fn events_and_responses_are_signed_by_the_device_and_numbered() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zw:siren")).expect("device");
    let mut client = pair(&mut home, "phone", Permissions::ALL, None);
    let event = home
        .seal_event(&id("zw:siren"), Value::Text("loud".into()))
        .expect("event");
    let opened = client.open(&event).expect("opens");
    assert_eq!(opened.route.msg_type, MessageType::Event);
    assert_eq!(home.last_sequence(&id("zw:siren")), Some(opened.body.seq));
    let response = home
        .seal_response(&id("zw:siren"), &id("phone"), Value::Bool(true), [9; 8])
        .expect("response");
    let opened = client.open(&response).expect("opens");
    assert_eq!(opened.route.msg_type, MessageType::Response);
    assert_eq!(opened.body.re, Some([9; 8]));
    assert_eq!(home.last_sequence(&id("zw:siren")), Some(opened.body.seq));
    assert_eq!(
        opened.signer,
        home.device_certificate(&id("zw:siren"))
            .expect("cert")
            .kid()
    );
}

/// Behaviour: a response whose key was agreed ahead (`Home::prepare_response`, done while the
/// hub waits for the device) opens for its client like any other. An agreement is never used
/// for another client (that one's response gets a fresh agreement, which the first cannot
/// read), nor after the client's key changed (removed and paired again).
#[test]
fn a_response_key_agreed_ahead_serves_only_the_client_and_key_it_was_agreed_with() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("zw:siren")).expect("device");
    let mut phone = pair(&mut home, "phone", Permissions::ALL, None);
    let mut tablet = pair(&mut home, "tablet", Permissions::ALL, None);
    let siren = id("zw:siren");
    let answer = |home: &mut Home, to: &str, re: u8, agreed_with: &str| {
        let ahead = home.prepare_response(&id(agreed_with)).expect("agreed");
        home.seal_response_prepared(&siren, &id(to), Value::Bool(true), [re; 8], Some(ahead))
            .expect("sealed")
    };

    let response = answer(&mut home, "phone", 1, "phone");
    let opened = phone.open(&response).expect("the phone opens it");
    assert_eq!(opened.body.re, Some([1; 8]));
    assert!(tablet.open(&response).is_err(), "not to the tablet");

    let response = answer(&mut home, "tablet", 2, "phone");
    let opened = tablet
        .open(&response)
        .expect("a fresh agreement for the tablet");
    assert_eq!(opened.body.re, Some([2; 8]));
    assert!(phone.open(&response).is_err(), "not to the phone");

    let ahead = home.prepare_response(&id("phone")).expect("agreed");
    home.remove_client(&id("phone")).expect("removed");
    let mut phone = pair(&mut home, "phone", Permissions::ALL, None);
    let response = home
        .seal_response_prepared(&siren, &id("phone"), Value::Bool(true), [3; 8], Some(ahead))
        .expect("sealed");
    let opened = phone.open(&response).expect("the phone's new key opens it");
    assert_eq!(opened.body.re, Some([3; 8]));
}

#[test]
fn a_client_limited_to_some_devices_still_reaches_the_hub_itself() {
    let dir = support::tempdir();
    let mut home = open_home(dir.path());
    home.issue_device(&id("hub")).expect("hub device");
    home.issue_device(&id("zb:bulb")).expect("device");
    let mut limited = pair(
        &mut home,
        "kid-tablet",
        Permissions::READ_EVENTS | Permissions::SEND_COMMANDS,
        Some(vec!["zb:bulb".into()]),
    );
    let (who, _) = home.client_by_kid(limited.kid()).expect("known signer");
    assert_eq!(who, &id("kid-tablet"));
    assert_eq!(home.clients().count(), 1);
    let cmd = limited
        .seal_command(&id("hub"), Value::Text("list".into()), NOW + 60, None)
        .expect("seal");
    home.open_command(&cmd, Some(NOW), Instant::now())
        .expect("hub-level commands are checked by the hub, not refused here");
}
