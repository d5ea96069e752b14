//! Echo challenges (freshness without a trusted clock) belong to one client and one command:
//! another client can neither use a challenge it learnt nor use it up, nor push it out of the
//! hub's memory by flooding it with commands of its own; and the challenged client can use it
//! only for the command it answers.

mod support;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::{FreshnessPolicy, MAX_OUTSTANDING_PER_KID};
use sealhub::envelope::{DeviceId, Error};
use sealhub::identity::Permissions;
use sealhub::keymgmt::{Client, Home};
use sealhub::store::{KekSource, Store};
use std::time::Instant;

const EXP: u64 = 1_800_000_060;

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

fn pair(home: &mut Home, name: &str) -> Client {
    support::paired_client(home, name, Permissions::ALL, None)
}

fn unlock(client: &mut Client) -> Vec<u8> {
    client
        .seal_command(&id("zb:lock"), Value::Text("unlock".into()), EXP, None)
        .expect("seal")
}

/// Sends `cmd` to a hub whose clock is not trusted and returns the challenge it answers with.
fn challenged(home: &mut Home, cmd: &[u8], t: Instant) -> ([u8; 8], Vec<u8>) {
    match home.open_command(cmd, None, t) {
        Err(Error::FreshnessUnverified {
            msg_id, challenge, ..
        }) => (msg_id, challenge),
        other => panic!("expected a challenge, got {other:?}"),
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    home: Home,
    a: Client,
    b: Client,
}

fn setup() -> Setup {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    home.issue_device(&id("zb:lock")).expect("device");
    let a = pair(&mut home, "anna");
    let b = pair(&mut home, "bert");
    Setup {
        _dir: dir,
        home,
        a,
        b,
    }
}

#[test]
fn another_client_cannot_use_a_challenge_nor_use_it_up() {
    let Setup {
        mut home,
        mut a,
        mut b,
        ..
    } = setup();
    let t = Instant::now();
    let (re, challenge) = challenged(&mut home, &unlock(&mut a), t);
    // Bert learnt Anna's challenge (and even her command's msg_id) and echoes it.
    let stolen = b
        .resend_command(
            &id("zb:lock"),
            Value::Text("unlock".into()),
            EXP,
            re,
            challenge.clone(),
        )
        .expect("seal");
    let err = home.open_command(&stolen, None, t).expect_err("not Bert's");
    assert!(
        matches!(err, Error::FreshnessUnverified { kid, .. } if kid == b.kid()),
        "{err}"
    );
    // Anna's challenge is still there for her.
    let answer = a
        .resend_command(
            &id("zb:lock"),
            Value::Text("unlock".into()),
            EXP,
            re,
            challenge,
        )
        .expect("seal");
    let opened = home.open_command(&answer, None, t).expect("Anna's echo");
    assert_eq!(opened.signer, a.kid());
}

#[test]
fn another_clients_flood_does_not_push_a_challenge_out() {
    let Setup {
        mut home,
        mut a,
        mut b,
        ..
    } = setup();
    let t = Instant::now();
    let (re, challenge) = challenged(&mut home, &unlock(&mut a), t);
    for _ in 0..300 {
        challenged(&mut home, &unlock(&mut b), t);
    }
    let answer = a
        .resend_command(
            &id("zb:lock"),
            Value::Text("unlock".into()),
            EXP,
            re,
            challenge,
        )
        .expect("seal");
    home.open_command(&answer, None, t)
        .expect("Anna's challenge survived Bert's 300 commands");
}

#[test]
fn a_challenge_answers_only_the_command_it_was_issued_for() {
    let Setup {
        mut home, mut a, ..
    } = setup();
    let t = Instant::now();
    let (_, challenge) = challenged(&mut home, &unlock(&mut a), t);
    // The same client echoes it in another command (a fresh msg_id).
    let other = a
        .seal_command(
            &id("zb:lock"),
            Value::Text("open garage".into()),
            EXP,
            Some(challenge),
        )
        .expect("seal");
    let err = home
        .open_command(&other, None, t)
        .expect_err("another command");
    assert!(matches!(err, Error::FreshnessUnverified { .. }), "{err}");
}

#[test]
fn a_client_holds_a_bounded_number_of_challenges() {
    let Setup {
        mut home, mut a, ..
    } = setup();
    let t = Instant::now();
    let (first_re, first) = challenged(&mut home, &unlock(&mut a), t);
    for _ in 0..MAX_OUTSTANDING_PER_KID {
        challenged(&mut home, &unlock(&mut a), t);
    }
    let late = a
        .resend_command(&id("zb:lock"), Value::Null, EXP, first_re, first)
        .expect("seal");
    let err = home
        .open_command(&late, None, t)
        .expect_err("its oldest challenge was forgotten");
    assert!(matches!(err, Error::FreshnessUnverified { .. }), "{err}");
}
