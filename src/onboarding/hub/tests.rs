//! The hub's onboarding glue with a real `Home` on a temporary store and the real client side
//! of pairing, with explicit time: the start code pairs an owner once, a wrong code is refused
//! and charged to the lock-out, an invitation pairs with its role and devices, a taken name
//! gets a suffixed id.

use std::time::{Duration, Instant};

use super::*;
use crate::envelope::freshness::FreshnessPolicy;
use crate::identity::Certificate;
use crate::keymgmt::Client;
use crate::keymgmt::ClientKeys;
use crate::pairing::messages::{Message, RefusalReason};
use crate::pairing::setup_code::verhoeff_check_digit;
use crate::pairing::verifier::MIN_ITERATIONS;
use crate::pairing::{ClientPairing, Error as PairingError};
use crate::store::KekSource;

const TLS: [u8; 32] = [0x5a; 32];

struct Hub {
    _dir: tempfile::TempDir,
    home: Home,
    onboarding: Onboarding,
    next_conn: u64,
}

fn hub(now: Instant) -> Hub {
    let dir = crate::store::private_tempdir();
    let store =
        Store::open(dir.path(), &KekSource::KeyFile(dir.path().join("kek"))).expect("store");
    let pairing_store = store.handle();
    let (home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    let policy = PairingPolicy {
        iterations: MIN_ITERATIONS,
        ..PairingPolicy::default()
    };
    let onboarding = Onboarding::open(pairing_store, &home, policy, now, None).expect("onboarding");
    Hub {
        _dir: dir,
        home,
        onboarding,
        next_conn: 1,
    }
}

/// The only frame sent to `conn` among `out`.
fn frame_to(out: &[Outbound], conn: u64) -> Vec<u8> {
    let frames: Vec<&Vec<u8>> = out
        .iter()
        .filter_map(|o| match o {
            Outbound::ToConnection { conn: c, bytes } if *c == conn => Some(bytes),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 1, "one frame to {conn} in {out:?}");
    frames[0].clone()
}

fn refusal(frame: &[u8]) -> RefusalReason {
    match Message::from_bytes(frame).expect("a pairing message") {
        Message::Refused { reason } => reason,
        other => panic!("expected a refusal, got {}", other.name()),
    }
}

/// The outcome of one pairing attempt run to its end.
enum Outcome {
    Paired {
        bundle: Box<HubBundle>,
        keys: Box<ClientKeys>,
        out: Vec<Outbound>,
    },
    Refused(RefusalReason),
}

fn pair(hub: &mut Hub, code: &SetupCode, name: &str, now: Instant) -> Outcome {
    let keys = ClientKeys::generate().expect("keys");
    let client_bundle = ClientBundle {
        name: name.into(),
        keys: keys.public(),
    }
    .to_bytes();
    pair_with_bundle(hub, code, name, keys, &client_bundle, now)
}

/// Pairs under `name` but sends `client_bundle` as the sealed bundle, whatever it holds.
fn pair_with_bundle(
    hub: &mut Hub,
    code: &SetupCode,
    name: &str,
    keys: ClientKeys,
    client_bundle: &[u8],
    now: Instant,
) -> Outcome {
    let conn = hub.next_conn;
    hub.next_conn += 1;
    // Through the trait, as the gateway task drives it.
    let mut step = |frame: &[u8]| {
        let out =
            PairingHandler::on_frame(&mut hub.onboarding, &mut hub.home, TLS, conn, frame, now);
        (frame_to(&out, conn), out)
    };
    let (state, start) = ClientPairing::start(code, name).expect("start");
    let (params, _) = step(&start);
    let (state, share) = match state.receive(&params) {
        Ok(x) => x,
        Err(PairingError::Refused(reason)) => return Outcome::Refused(reason),
        Err(e) => panic!("params: {e}"),
    };
    let (response, _) = step(&share);
    let (state, confirm) = match state.receive(&response, client_bundle) {
        Ok(x) => x,
        Err(PairingError::Refused(reason)) => return Outcome::Refused(reason),
        Err(PairingError::ConfirmationFailed) => {
            // The client found the code wrong; it leaves (the hub already counted it).
            PairingHandler::on_closed(&mut hub.onboarding, conn);
            return Outcome::Refused(RefusalReason::WrongCode);
        }
        Err(e) => panic!("response: {e}"),
    };
    let (done, out) = step(&confirm);
    match state.receive(&done) {
        Ok(bytes) => Outcome::Paired {
            bundle: Box::new(HubBundle::from_bytes(&bytes).expect("hub bundle")),
            keys: Box::new(keys),
            out,
        },
        Err(PairingError::Refused(reason)) => Outcome::Refused(reason),
        Err(e) => panic!("done: {e}"),
    }
}

/// Another valid code in the same slot as `code`.
fn wrong_code(code: &SetupCode) -> SetupCode {
    for n in 0..1000u32 {
        let mut data = [code.locator(), 2, 7, 1, 0, 0, 0];
        data[4..7].copy_from_slice(&[(n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8]);
        let mut digits = data.to_vec();
        digits.push(verhoeff_check_digit(&data));
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        if let Ok(candidate) = SetupCode::parse(&text) {
            if candidate != *code {
                return candidate;
            }
        }
    }
    unreachable!("some code in the slot differs")
}

#[test]
fn the_start_code_pairs_an_owner_whose_bundle_lets_it_talk_to_the_home() {
    let now = Instant::now();
    let mut hub = hub(now);
    let code = hub.onboarding.start_code(now).expect("code");
    let Outcome::Paired { bundle, keys, out } = pair(&mut hub, &code, "Ada's Laptop", now) else {
        panic!("the right code must pair");
    };
    assert_eq!(bundle.client_id.as_str(), "ada-s-laptop");
    assert_eq!(bundle.role, Role::Owner);
    assert_eq!(bundle.home, hub.home.home_id());
    assert_eq!(bundle.root_key, hub.home.root_public());
    assert_eq!(bundle.tls_sha256, TLS);
    assert_eq!(bundle.path, "/v1/home?client=ada-s-laptop");
    // The read scope of the new client is set, to everything for an owner.
    assert!(out.contains(&Outbound::SetReadScope {
        client: bundle.client_id.clone(),
        scope: ReadScope::All,
    }));
    // The certificate is the root's, for both of this client's keys (each in its own role),
    // with every permission.
    let cert = Certificate::verify(&bundle.certificate, &bundle.root_key, None).expect("cert");
    assert_eq!(cert.claims().subject, "ada-s-laptop");
    assert_eq!(cert.claims().key, keys.signing.public_key());
    assert_eq!(cert.agreement_key(), Some(&keys.agreement.public_key()));
    assert_eq!(cert.claims().permissions, Permissions::ALL);
    assert_eq!(cert.claims().devices, None);
    // The first key distribution opens for the client and gives it the epoch key.
    let mut client = Client::new(bundle.client_id.clone(), *keys, bundle.root_key);
    client
        .open(&bundle.key_distribution)
        .expect("distribution opens");
    assert_eq!(client.current_epoch(), Some(hub.home.epoch()));
}

#[test]
fn the_start_code_is_used_up_by_the_first_pairing() {
    let now = Instant::now();
    let mut hub = hub(now);
    let code = hub.onboarding.start_code(now).expect("code");
    assert!(matches!(
        pair(&mut hub, &code, "one", now),
        Outcome::Paired { .. }
    ));
    assert!(matches!(
        pair(&mut hub, &code, "two", now),
        Outcome::Refused(RefusalReason::UnknownCode)
    ));
}

#[test]
fn wrong_codes_are_refused_and_lock_pairing_even_for_the_right_code() {
    let now = Instant::now();
    let mut hub = hub(now);
    let code = hub.onboarding.start_code(now).expect("code");
    let wrong = wrong_code(&code);
    for _ in 0..3 {
        assert!(matches!(
            pair(&mut hub, &wrong, "mallory", now),
            Outcome::Refused(RefusalReason::WrongCode)
        ));
    }
    match pair(&mut hub, &code, "ada", now) {
        Outcome::Refused(RefusalReason::LockedOut { retry_after_secs }) => {
            assert!(retry_after_secs > 0)
        }
        _ => panic!("pairing must be locked after three wrong codes"),
    }
    // Once the lock has passed, the right code still works (it was never used).
    let later = now + Duration::from_secs(3600);
    assert!(matches!(
        pair(&mut hub, &code, "ada", later),
        Outcome::Paired { .. }
    ));
}

#[test]
fn an_invitation_pairs_with_its_role_and_devices() {
    let now = Instant::now();
    let mut hub = hub(now);
    let lamp = DeviceId::new("zb:00124b0000a15e5e").expect("id");
    let code = hub
        .onboarding
        .service()
        .codes()
        .invite(
            Role::Guest,
            Some(vec![lamp.clone()]),
            Duration::from_secs(600),
            now,
            None,
        )
        .expect("invitation");
    let Outcome::Paired { bundle, out, .. } = pair(&mut hub, &code, "guest phone", now) else {
        panic!("the invitation must pair");
    };
    assert_eq!(bundle.role, Role::Guest);
    assert!(out.contains(&Outbound::SetReadScope {
        client: bundle.client_id.clone(),
        scope: ReadScope::Devices(vec![lamp.clone()]),
    }));
    let cert = Certificate::verify(&bundle.certificate, &bundle.root_key, None).expect("cert");
    assert_eq!(cert.claims().permissions, permissions_for(Role::Guest));
    assert!(!cert.claims().permissions.contains(Permissions::ADMINISTER));
    assert_eq!(
        cert.claims().devices,
        Some(vec![lamp.as_str().to_owned(), HUB_DEVICE.to_owned()])
    );
    // Used up.
    assert!(matches!(
        pair(&mut hub, &code, "guest phone", now),
        Outcome::Refused(RefusalReason::UnknownCode)
    ));
}

#[test]
fn a_taken_name_gets_a_numbered_id() {
    let now = Instant::now();
    let mut hub = hub(now);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let code = hub
            .onboarding
            .service()
            .codes()
            .invite(Role::Member, None, Duration::from_secs(600), now, None)
            .expect("invitation");
        let Outcome::Paired { bundle, .. } = pair(&mut hub, &code, "Laptop", now) else {
            panic!("must pair");
        };
        ids.push(bundle.client_id.as_str().to_owned());
    }
    assert_eq!(ids, ["laptop", "laptop-2"]);
}

#[test]
fn a_conversation_past_its_deadline_is_refused_on_tick() {
    let now = Instant::now();
    let mut hub = hub(now);
    let code = hub.onboarding.start_code(now).expect("code");
    let (_, start) = ClientPairing::start(&code, "slow").expect("start");
    hub.onboarding.on_frame(&mut hub.home, TLS, 9, &start, now);
    let deadline = hub.onboarding.next_deadline().expect("a deadline");
    assert!(hub.onboarding.tick(now).is_empty());
    let out = hub.onboarding.tick(deadline);
    assert_eq!(refusal(&frame_to(&out, 9)), RefusalReason::Expired);
}

/// The gateway task holds pairing as a `dyn PairingHandler`: the deadline and the tick reach
/// `Onboarding` through it (a late conversation is refused), and a closed connection's
/// conversation is forgotten (no deadline left, its code free for the next client).
#[test]
fn the_gateway_drives_deadlines_and_closes_through_the_trait() {
    let now = Instant::now();
    let mut hub = hub(now);
    let code = hub.onboarding.start_code(now).expect("code");
    let Hub {
        home, onboarding, ..
    } = &mut hub;
    let handler: &mut dyn PairingHandler = onboarding;
    assert_eq!(handler.next_deadline(), None);

    let (_, start) = ClientPairing::start(&code, "slow").expect("start");
    let out = handler.on_frame(home, TLS, 4, &start, now);
    assert!(matches!(
        Message::from_bytes(&frame_to(&out, 4)).expect("message"),
        Message::Params { .. }
    ));
    let deadline = handler.next_deadline().expect("a deadline");
    assert!(handler.tick(now).is_empty());
    let out = handler.tick(deadline);
    assert_eq!(refusal(&frame_to(&out, 4)), RefusalReason::Expired);

    let (_, start) = ClientPairing::start(&code, "leaves").expect("start");
    handler.on_frame(home, TLS, 5, &start, now);
    assert!(handler.next_deadline().is_some());
    handler.on_closed(5);
    assert_eq!(handler.next_deadline(), None);
    let (_, start) = ClientPairing::start(&code, "next").expect("start");
    let out = handler.on_frame(home, TLS, 6, &start, now);
    assert!(matches!(
        Message::from_bytes(&frame_to(&out, 6)).expect("message"),
        Message::Params { .. }
    ));
}

#[test]
fn a_bundle_that_is_not_the_provers_is_declined_and_nothing_is_certified() {
    let now = Instant::now();
    let mut hub = hub(now);
    let keys = ClientKeys::generate().expect("keys");
    // The code was proved as "laptop", the bundle claims "owner-phone".
    let other_name = ClientBundle {
        name: "owner-phone".into(),
        keys: keys.public(),
    }
    .to_bytes();
    let code = hub
        .onboarding
        .service()
        .codes()
        .invite(Role::Owner, None, Duration::from_secs(600), now, None)
        .expect("invitation");
    assert!(matches!(
        pair_with_bundle(&mut hub, &code, "laptop", keys.clone(), &other_name, now),
        Outcome::Refused(RefusalReason::Declined)
    ));
    // Garbage where the bundle should be.
    let code = hub
        .onboarding
        .service()
        .codes()
        .invite(Role::Owner, None, Duration::from_secs(600), now, None)
        .expect("invitation");
    assert!(matches!(
        pair_with_bundle(&mut hub, &code, "laptop", keys.clone(), b"\x84\x02", now),
        Outcome::Refused(RefusalReason::Declined)
    ));
    // Neither was paired: the same key can still pair under its own name.
    let code = hub
        .onboarding
        .service()
        .codes()
        .invite(Role::Owner, None, Duration::from_secs(600), now, None)
        .expect("invitation");
    let bundle = ClientBundle {
        name: "laptop".into(),
        keys: keys.public(),
    }
    .to_bytes();
    let Outcome::Paired { bundle, .. } =
        pair_with_bundle(&mut hub, &code, "laptop", keys, &bundle, now)
    else {
        panic!("the honest bundle pairs");
    };
    assert_eq!(bundle.client_id.as_str(), "laptop");
}

#[test]
fn client_ids_from_names() {
    assert_eq!(client_id_from_name("laptop"), "laptop");
    assert_eq!(
        client_id_from_name("Ada's  MacBook Pro"),
        "ada-s-macbook-pro"
    );
    assert_eq!(client_id_from_name("--x--"), "x");
    assert_eq!(client_id_from_name("küche.tablet"), "k-che.tablet");
    assert_eq!(client_id_from_name("日本"), "client");
    let long = client_id_from_name(&"a".repeat(64));
    assert_eq!(long.len(), 48);
    for name in ["a b", "Z", "é", "x:y_z.w"] {
        assert!(crate::identity::is_valid_id(&client_id_from_name(name)));
    }
}
