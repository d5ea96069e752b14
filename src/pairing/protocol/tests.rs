//! One conversation between the two cores, honest and under attack: wrong codes on either
//! side, a relay that substitutes shares, parameters or sealed bundles, messages replayed or
//! out of order, and truncated or garbage frames. Every attack must end the conversation with
//! the expected typed error.

use std::time::{Duration, Instant};

use super::*;
use crate::pairing::messages::Message;
use crate::pairing::verifier::MIN_ITERATIONS;
use crate::pairing::{PasscodeVerifier, SetupCode};

const HUB_ID: &[u8] = b"hub:test";
const CLIENT_BUNDLE: &[u8] = b"client public keys and name";
const HUB_BUNDLE: &[u8] = b"root key, certificate, key distribution, TLS fingerprint";

fn code() -> SetupCode {
    SetupCode::parse("1456-7894").expect("valid code")
}

/// Another valid code in the same slot, as a person who mistyped two digits (or an attacker
/// guessing) would send.
fn wrong_code() -> SetupCode {
    let mut data = [1u8, 9, 9, 9, 1, 2, 3];
    let check = crate::pairing::setup_code::verhoeff_check_digit(&data);
    let text: String = data
        .iter_mut()
        .map(|d| char::from(b'0' + *d))
        .chain(std::iter::once(char::from(b'0' + check)))
        .collect();
    SetupCode::parse(&text).expect("valid code")
}

struct Hub {
    pairing: HubPairing,
}

/// Starts both sides: the client's PairStart decoded by the hub, and the hub's PairParams.
fn begin(client_code: &SetupCode, now: Instant) -> (ClientAwaitingParams, Hub, Vec<u8>) {
    let verifier = PasscodeVerifier::derive(&code(), &[5u8; 32], MIN_ITERATIONS).expect("verifier");
    let (client, start) = ClientPairing::start(client_code, "laptop").expect("start");
    let (client_name, locator) = match Message::from_bytes(&start).expect("PairStart") {
        Message::Start {
            client_name,
            locator,
        } => (client_name, locator),
        other => panic!("{other:?}"),
    };
    assert_eq!(locator, 1);
    let (pairing, params) = HubPairing::start(
        &client_name,
        locator,
        &verifier,
        HUB_ID,
        now,
        Timeouts::default(),
    )
    .expect("hub start");
    (client, Hub { pairing }, params)
}

fn answer(event: HubEvent) -> Vec<u8> {
    match event {
        HubEvent::Answer(frame) => frame,
        other => panic!("expected an answer, got {other:?}"),
    }
}

/// Runs an honest exchange up to the client's PairConfirm.
fn up_to_confirm(now: Instant) -> (ClientAwaitingDone, Hub, Vec<u8>) {
    let (client, mut hub, params) = begin(&code(), now);
    let (client, share) = client.receive(&params).expect("params");
    let response = answer(hub.pairing.receive(&share, now).expect("share"));
    let (client, confirm) = client.receive(&response, CLIENT_BUNDLE).expect("response");
    (client, hub, confirm)
}

#[test]
fn full_exchange_delivers_both_bundles() {
    let now = Instant::now();
    let (client, mut hub, confirm) = up_to_confirm(now);
    assert_eq!(client.hub_id(), HUB_ID);
    match hub.pairing.receive(&confirm, now).expect("confirm") {
        HubEvent::Paired { client_bundle } => assert_eq!(client_bundle.as_slice(), CLIENT_BUNDLE),
        other => panic!("{other:?}"),
    }
    assert!(hub.pairing.is_paired());
    let done = hub.pairing.complete(HUB_BUNDLE).expect("complete");
    let hub_bundle = client.receive(&done).expect("done");
    assert_eq!(hub_bundle.as_slice(), HUB_BUNDLE);
    // The conversation is over on the hub.
    assert!(matches!(
        hub.pairing.complete(HUB_BUNDLE),
        Err(Error::Finished)
    ));
    assert!(matches!(
        hub.pairing.receive(&confirm, now),
        Err(Error::Finished)
    ));
}

#[test]
fn relays_see_no_bundle_in_the_clear() {
    let now = Instant::now();
    let (client, mut hub, confirm) = up_to_confirm(now);
    assert!(
        !confirm
            .windows(CLIENT_BUNDLE.len())
            .any(|w| w == CLIENT_BUNDLE)
    );
    hub.pairing.receive(&confirm, now).expect("confirm");
    let done = hub.pairing.complete(HUB_BUNDLE).expect("complete");
    assert!(!done.windows(HUB_BUNDLE.len()).any(|w| w == HUB_BUNDLE));
    client.receive(&done).expect("done");
}

/// A wrong code is caught by the client when confirmV does not verify; the client sends
/// nothing more, so the hub's answer gave an attacker one online guess and no more.
#[test]
fn wrong_code_is_refused_by_the_client() {
    let now = Instant::now();
    let (client, mut hub, params) = begin(&wrong_code(), now);
    let (client, share) = client.receive(&params).expect("params");
    let response = answer(hub.pairing.receive(&share, now).expect("share"));
    assert!(matches!(
        client.receive(&response, CLIENT_BUNDLE),
        Err(Error::ConfirmationFailed)
    ));
}

/// The hub refuses a confirmP that is not the one the code gives: random, one bit off, or the
/// right client's confirmation replayed from another conversation.
#[test]
fn wrong_confirmation_is_refused_by_the_hub() {
    let now = Instant::now();
    let (_, _, old_confirm) = up_to_confirm(now);

    let (_, mut hub, confirm) = up_to_confirm(now);
    let Message::Confirm {
        confirm_p,
        sealed_client_bundle,
    } = Message::from_bytes(&confirm).expect("confirm")
    else {
        panic!("not a PairConfirm")
    };
    let mut flipped = confirm_p;
    flipped[0] ^= 1;
    let forged = Message::Confirm {
        confirm_p: flipped,
        sealed_client_bundle: sealed_client_bundle.clone(),
    };
    assert!(matches!(
        hub.pairing.receive(&forged.to_bytes(), now),
        Err(Error::ConfirmationFailed)
    ));
    // The conversation ended: even the genuine frame is now refused.
    assert!(matches!(
        hub.pairing.receive(&confirm, now),
        Err(Error::Finished)
    ));

    let (_, mut hub, _) = up_to_confirm(now);
    assert!(matches!(
        hub.pairing.receive(&old_confirm, now),
        Err(Error::ConfirmationFailed)
    ));
}

/// A relay that replaces shareP with its own (made from a guessed code) gets an answer, but
/// the client's check of confirmV fails: confirmV is a MAC over the relay's share.
#[test]
fn substituted_share_p_is_detected_by_the_client() {
    let now = Instant::now();
    let (client, mut hub, params) = begin(&code(), now);
    let (client, _genuine_share) = client.receive(&params).expect("params");
    // The relay runs its own client with a guessed code against the same parameters.
    let (relay, _) = ClientPairing::start(&wrong_code(), "laptop").expect("relay");
    let (_, relay_share) = relay.receive(&params).expect("relay params");
    let response = answer(hub.pairing.receive(&relay_share, now).expect("share"));
    assert!(matches!(
        client.receive(&response, CLIENT_BUNDLE),
        Err(Error::ConfirmationFailed)
    ));
}

/// A relay that replaces shareV (or answers in the hub's place with a verifier of a guessed
/// code) is caught by the client's check of confirmV.
#[test]
fn substituted_share_v_is_detected_by_the_client() {
    let now = Instant::now();
    let (client, mut hub, params) = begin(&code(), now);
    let (client, share) = client.receive(&params).expect("params");
    let response = answer(hub.pairing.receive(&share, now).expect("share"));
    let Message::Response { confirm_v, .. } = Message::from_bytes(&response).expect("response")
    else {
        panic!("not a PairResponse")
    };
    let other_point = crate::crypto::GroupPoint::mul_generator(
        &crate::crypto::GroupScalar::random().expect("rng"),
    )
    .to_uncompressed()
    .expect("point");
    let swapped = Message::Response {
        share_v: other_point,
        confirm_v,
    };
    assert!(matches!(
        client.receive(&swapped.to_bytes(), CLIENT_BUNDLE),
        Err(Error::ConfirmationFailed)
    ));
}

/// A fake hub that knows only a guessed code's verifier (a relay posing as the hub) fails the
/// client's check.
#[test]
fn impostor_hub_is_refused_by_the_client() {
    let now = Instant::now();
    let guessed = PasscodeVerifier::derive(&wrong_code(), &[5u8; 32], MIN_ITERATIONS).expect("v");
    let (client, _) = ClientPairing::start(&code(), "laptop").expect("start");
    let (mut impostor, params) =
        HubPairing::start("laptop", 1, &guessed, HUB_ID, now, Timeouts::default()).expect("start");
    let (client, share) = client.receive(&params).expect("params");
    let response = answer(impostor.receive(&share, now).expect("share"));
    assert!(matches!(
        client.receive(&response, CLIENT_BUNDLE),
        Err(Error::ConfirmationFailed)
    ));
}

/// Changing anything in PairParams (salt, iterations, session, hub id) makes the client derive
/// other keys than the hub: its check of confirmV fails.
#[test]
fn tampered_parameters_are_detected_by_the_client() {
    let now = Instant::now();
    type Tamper = fn(&mut [u8; 16], &mut Vec<u8>, &mut Vec<u8>, &mut u32);
    let tampers: [(&str, Tamper); 4] = [
        ("session", |s, _, _, _| s[0] ^= 1),
        ("hub id", |_, h, _, _| h.push(b'x')),
        ("salt", |_, _, salt, _| salt[0] ^= 1),
        ("iterations", |_, _, _, i| *i += 1),
    ];
    for (what, tamper) in tampers {
        let (client, mut hub, params) = begin(&code(), now);
        let Message::Params {
            mut session,
            mut hub_id,
            mut salt,
            mut iterations,
        } = Message::from_bytes(&params).expect("params")
        else {
            panic!("not PairParams")
        };
        tamper(&mut session, &mut hub_id, &mut salt, &mut iterations);
        let changed = Message::Params {
            session,
            hub_id,
            salt,
            iterations,
        };
        let (client, share) = client.receive(&changed.to_bytes()).expect("params");
        let response = answer(hub.pairing.receive(&share, now).expect("share"));
        assert!(
            matches!(
                client.receive(&response, CLIENT_BUNDLE),
                Err(Error::ConfirmationFailed)
            ),
            "tampered {what} went unnoticed"
        );
    }
}

/// The client refuses parameters that would make it work for minutes or skip the work.
#[test]
fn parameters_outside_the_clients_limits_are_refused() {
    let now = Instant::now();
    for iterations in [1, crate::pairing::verifier::MAX_ITERATIONS + 1] {
        let (client, _, _) = begin(&code(), now);
        let params = Message::Params {
            session: [0; 16],
            hub_id: HUB_ID.to_vec(),
            salt: vec![1; 32],
            iterations,
        };
        assert!(matches!(
            client.receive(&params.to_bytes()),
            Err(Error::Parameters(_))
        ));
    }
}

/// A relay that changes or replaces the sealed client bundle is caught by the hub: the bundle
/// does not open under the client-to-hub key.
#[test]
fn substituted_client_bundle_is_refused_by_the_hub() {
    let now = Instant::now();
    let (_, _, other_confirm) = up_to_confirm(now);
    let Message::Confirm {
        sealed_client_bundle: other_bundle,
        ..
    } = Message::from_bytes(&other_confirm).expect("confirm")
    else {
        panic!("not a PairConfirm")
    };
    for substitute in [
        |sealed: &mut Vec<u8>, _: &[u8]| sealed[0] ^= 1,
        |sealed: &mut Vec<u8>, _: &[u8]| {
            sealed.pop();
        },
        |sealed: &mut Vec<u8>, other: &[u8]| *sealed = other.to_vec(),
    ] {
        let (_, mut hub, confirm) = up_to_confirm(now);
        let Message::Confirm {
            confirm_p,
            mut sealed_client_bundle,
        } = Message::from_bytes(&confirm).expect("confirm")
        else {
            panic!("not a PairConfirm")
        };
        substitute(&mut sealed_client_bundle, &other_bundle);
        let forged = Message::Confirm {
            confirm_p,
            sealed_client_bundle,
        };
        assert!(matches!(
            hub.pairing.receive(&forged.to_bytes(), now),
            Err(Error::BundleTampered)
        ));
    }
}

/// A relay that changes or replaces the sealed hub bundle is caught by the client.
#[test]
fn substituted_hub_bundle_is_refused_by_the_client() {
    let now = Instant::now();
    let other_done = {
        let (_, mut hub, confirm) = up_to_confirm(now);
        hub.pairing.receive(&confirm, now).expect("confirm");
        hub.pairing
            .complete(b"the relay's own root key")
            .expect("complete")
    };
    let (client, mut hub, confirm) = up_to_confirm(now);
    hub.pairing.receive(&confirm, now).expect("confirm");
    let done = hub.pairing.complete(HUB_BUNDLE).expect("complete");
    let mut flipped = Message::from_bytes(&done).expect("done");
    if let Message::Done { sealed_hub_bundle } = &mut flipped {
        let last = sealed_hub_bundle.len() - 1;
        sealed_hub_bundle[last] ^= 1;
    }
    assert!(matches!(
        client.receive(&flipped.to_bytes()),
        Err(Error::BundleTampered)
    ));
    let (client, _, _) = up_to_confirm(now);
    assert!(matches!(
        client.receive(&other_done),
        Err(Error::BundleTampered)
    ));
}

/// Messages out of order or repeated end the conversation with UnexpectedMessage, and
/// nothing is accepted after.
#[test]
fn reordered_and_replayed_messages_are_refused() {
    let now = Instant::now();
    // PairConfirm before PairShare.
    let (_, _, confirm) = up_to_confirm(now);
    let (_, mut hub, _) = begin(&code(), now);
    assert!(matches!(
        hub.pairing.receive(&confirm, now),
        Err(Error::UnexpectedMessage {
            expected: "PairShare",
            got: "PairConfirm"
        })
    ));

    // PairShare sent twice.
    let (client, mut hub, params) = begin(&code(), now);
    let (_, share) = client.receive(&params).expect("params");
    answer(hub.pairing.receive(&share, now).expect("share"));
    assert!(matches!(
        hub.pairing.receive(&share, now),
        Err(Error::UnexpectedMessage { .. })
    ));
    assert!(matches!(
        hub.pairing.receive(&share, now),
        Err(Error::Finished)
    ));

    // A hub message sent back to the hub (reflection).
    let (_, mut hub, params) = begin(&code(), now);
    assert!(matches!(
        hub.pairing.receive(&params, now),
        Err(Error::UnexpectedMessage { .. })
    ));

    // The client given PairDone where PairResponse belongs, and PairParams twice.
    let (client, _, params) = begin(&code(), now);
    let (client, _) = client.receive(&params).expect("params");
    let done = Message::Done {
        sealed_hub_bundle: vec![0; 32],
    };
    assert!(matches!(
        client.receive(&done.to_bytes(), CLIENT_BUNDLE),
        Err(Error::UnexpectedMessage { .. })
    ));
    let (client, _, params) = begin(&code(), now);
    let (client, _) = client.receive(&params).expect("params");
    assert!(matches!(
        client.receive(&params, CLIENT_BUNDLE),
        Err(Error::UnexpectedMessage { .. })
    ));
}

#[test]
fn truncated_and_garbage_frames_are_refused() {
    let now = Instant::now();
    let (client, _, params) = begin(&code(), now);
    let (_, share) = client.receive(&params).expect("params");
    for bad in [
        &share[..share.len() - 1],
        &share[..3],
        &[][..],
        &[0xff, 0x00, 0x13][..],
    ] {
        let (_, mut hub, _) = begin(&code(), now);
        assert!(matches!(
            hub.pairing.receive(bad, now),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            hub.pairing.receive(&share, now),
            Err(Error::Finished)
        ));
    }
    let (client, _, _) = begin(&code(), now);
    assert!(matches!(
        client.receive(&params[..params.len() - 2]),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn refusals_reach_the_client_as_typed_errors() {
    let now = Instant::now();
    let (client, _, _) = begin(&code(), now);
    let refused = Message::Refused {
        reason: RefusalReason::LockedOut {
            retry_after_secs: 30,
        },
    };
    assert!(matches!(
        client.receive(&refused.to_bytes()),
        Err(Error::Refused(RefusalReason::LockedOut {
            retry_after_secs: 30
        }))
    ));
}

#[test]
fn late_frames_are_refused_as_expired() {
    let now = Instant::now();
    let (client, mut hub, params) = begin(&code(), now);
    let (_, share) = client.receive(&params).expect("params");
    assert_eq!(hub.pairing.deadline(), now + Timeouts::default().step);
    assert!(matches!(
        hub.pairing.receive(&share, now + Duration::from_secs(15)),
        Err(Error::Expired)
    ));
}

use crate::pairing::messages::RefusalReason;
