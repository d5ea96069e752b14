//! The pairing service as the hub task drives it, with explicit time: pairing with the start
//! code and with an invitation, wrong codes charged to the lock-out (which engages, grows,
//! refuses even the right code, persists across a restart and clears on success), one
//! conversation per code, deadlines, and frames that do not start a conversation.

use std::time::{Duration, Instant};

use super::*;
use crate::envelope::DeviceId;
use crate::model::Role;
use crate::pairing::codes::CodeKind;
use crate::pairing::protocol::ClientPairing;
use crate::pairing::verifier::MIN_ITERATIONS;
use crate::pairing::{SetupCode, setup_code::verhoeff_check_digit};
use crate::store::KekSource;

const HUB_ID: &[u8] = b"hub:test";

fn policy() -> PairingPolicy {
    PairingPolicy {
        iterations: MIN_ITERATIONS,
        ..PairingPolicy::default()
    }
}

fn store(dir: &std::path::Path) -> Store {
    Store::open(dir, &KekSource::KeyFile(dir.join("kek"))).expect("store")
}

fn service(dir: &std::path::Path, now: Instant) -> PairingService {
    PairingService::open(store(dir), HUB_ID, policy(), now, None).expect("service")
}

/// Another valid code in the same slot as `code`.
fn wrong_code(code: &SetupCode) -> SetupCode {
    for n in 0..1000u32 {
        let mut data = [code.locator(), 3, 1, 4, 1, 5, 9];
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

fn sent(replies: Vec<Reply>) -> (Vec<u8>, bool) {
    match <[Reply; 1]>::try_from(replies) {
        Ok([Reply::Send { frame, close, .. }]) => (frame, close),
        Ok([other]) => panic!("expected a frame, got {other:?}"),
        Err(replies) => panic!("expected one reply, got {replies:?}"),
    }
}

fn refusal_of(replies: Vec<Reply>) -> RefusalReason {
    let (frame, close) = sent(replies);
    assert!(close, "a refusal ends the conversation");
    match Message::from_bytes(&frame).expect("frame") {
        Message::Refused { reason } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Runs a client with `code` on `conn` up to the hub's verdict on its PairConfirm (or the
/// client's own refusal of confirmV). Returns the hub's replies to PairConfirm, if it got there.
fn attempt(
    service: &mut PairingService,
    conn: u64,
    code: &SetupCode,
    now: Instant,
) -> std::result::Result<(Vec<Reply>, crate::pairing::protocol::ClientAwaitingDone), Error> {
    let (client, start) = ClientPairing::start(code, "laptop").expect("start");
    let (params, close) = sent(service.receive(conn, &start, now));
    if close {
        return Err(Error::Refused(
            match Message::from_bytes(&params).expect("frame") {
                Message::Refused { reason } => reason,
                other => panic!("{other:?}"),
            },
        ));
    }
    let (client, share) = client.receive(&params)?;
    let (response, close) = sent(service.receive(conn, &share, now));
    if close {
        return Err(Error::Refused(
            match Message::from_bytes(&response).expect("frame") {
                Message::Refused { reason } => reason,
                other => panic!("{other:?}"),
            },
        ));
    }
    let (client, confirm) = match client.receive(&response, b"client bundle") {
        Ok(next) => next,
        Err(e) => {
            // The client gives up; its connection closes.
            service.disconnect(conn);
            return Err(e);
        }
    };
    Ok((service.receive(conn, &confirm, now), client))
}

#[test]
fn start_code_pairs_an_owner_once() {
    let dir = crate::store::private_tempdir();
    let now = Instant::now();
    let mut service = service(dir.path(), now);
    let code = service.codes().start_code(now).expect("start code");

    let (replies, client) = attempt(&mut service, 1, &code, now).expect("pairs");
    let [
        Reply::Paired {
            conn,
            client_name,
            client_bundle,
            grant,
        },
    ] = <[Reply; 1]>::try_from(replies).expect("one reply")
    else {
        panic!("not paired")
    };
    assert_eq!((conn, client_name.as_str()), (1, "laptop"));
    assert_eq!(client_bundle.as_slice(), b"client bundle");
    assert_eq!(
        grant,
        Grant {
            kind: CodeKind::Start,
            role: Role::Owner,
            devices: None
        }
    );
    let done = service.complete(1, b"hub bundle").expect("complete");
    assert_eq!(
        client.receive(&done).expect("done").as_slice(),
        b"hub bundle"
    );
    assert!(matches!(
        service.complete(1, b"again"),
        Err(Error::UnknownConnection(1))
    ));

    // The code is used up.
    assert!(matches!(
        attempt(&mut service, 2, &code, now),
        Err(Error::Refused(RefusalReason::UnknownCode))
    ));
    assert_eq!(service.lockout.failures(), 0, "success cleared the count");
}

#[test]
fn an_invitation_pairs_with_its_role_and_devices_and_is_consumed() {
    let dir = crate::store::private_tempdir();
    let now = Instant::now();
    let mut service = service(dir.path(), now);
    let devices = Some(vec![DeviceId::new("zb:0011223344556677").expect("id")]);
    let code = service
        .codes()
        .invite(
            Role::Guest,
            devices.clone(),
            Duration::from_secs(600),
            now,
            None,
        )
        .expect("invite");
    let (replies, _) = attempt(&mut service, 7, &code, now).expect("pairs");
    match <[Reply; 1]>::try_from(replies).expect("one reply") {
        [Reply::Paired { grant, .. }] => assert_eq!(
            grant,
            Grant {
                kind: CodeKind::Invitation,
                role: Role::Guest,
                devices
            }
        ),
        other => panic!("{other:?}"),
    }
    // The hub declines it (say, the name is taken): the client is told, the code stays used.
    let refused = service.decline(7).expect("decline");
    assert_eq!(
        Message::from_bytes(&refused).expect("frame"),
        Message::Refused {
            reason: RefusalReason::Declined
        }
    );
    assert!(
        service
            .store
            .get(PAIRING_TREE, &invitation_key(code.locator()))
            .expect("get")
            .is_none()
    );
    drop(service);
    let mut reopened = self::service(dir.path(), now);
    assert!(matches!(
        attempt(&mut reopened, 8, &code, now),
        Err(Error::Refused(RefusalReason::UnknownCode))
    ));
}

/// Wrong codes are charged when the hub answers PairShare; the third locks pairing for 30 s,
/// the fourth for 60 s; the right code is refused while locked; a success clears everything.
#[test]
fn wrong_codes_lock_pairing_and_the_lock_grows_then_clears_on_success() {
    let dir = crate::store::private_tempdir();
    let t0 = Instant::now();
    let mut service = service(dir.path(), t0);
    let code = service.codes().start_code(t0).expect("start code");
    let wrong = wrong_code(&code);

    for conn in 1..=2 {
        assert!(matches!(
            attempt(&mut service, conn, &wrong, t0),
            Err(Error::ConfirmationFailed)
        ));
        assert!(service.locked_for(t0).is_none(), "{conn} failures are free");
    }
    assert!(matches!(
        attempt(&mut service, 3, &wrong, t0),
        Err(Error::ConfirmationFailed)
    ));
    assert_eq!(service.locked_for(t0), Some(Duration::from_secs(30)));

    // Even the right code is refused while locked, and the refusal says for how long.
    let t1 = t0 + Duration::from_secs(10);
    assert!(matches!(
        attempt(&mut service, 4, &code, t1),
        Err(Error::Refused(RefusalReason::LockedOut {
            retry_after_secs: 20
        }))
    ));

    // After the lock, one more wrong code locks for twice as long.
    let t2 = t0 + Duration::from_secs(30);
    assert!(matches!(
        attempt(&mut service, 5, &wrong, t2),
        Err(Error::ConfirmationFailed)
    ));
    assert_eq!(service.locked_for(t2), Some(Duration::from_secs(60)));

    // Then the right code pairs and the count is cleared.
    let t3 = t2 + Duration::from_secs(60);
    let (replies, _) = attempt(&mut service, 6, &code, t3).expect("pairs");
    assert!(matches!(replies.as_slice(), [Reply::Paired { .. }]));
    assert_eq!(service.lockout.failures(), 0);
    assert!(service.locked_for(t3).is_none());
}

/// A lock survives a restart, measured again from the restart; the count too.
#[test]
fn the_lock_out_persists_across_a_restart() {
    let dir = crate::store::private_tempdir();
    let t0 = Instant::now();
    let mut service = service(dir.path(), t0);
    let code = service.codes().start_code(t0).expect("start code");
    let wrong = wrong_code(&code);
    for conn in 1..=3 {
        let _ = attempt(&mut service, conn, &wrong, t0);
    }
    assert_eq!(service.locked_for(t0), Some(Duration::from_secs(30)));
    drop(service);

    let restart = t0 + Duration::from_secs(3600);
    let mut service = self::service(dir.path(), restart);
    assert_eq!(service.locked_for(restart), Some(Duration::from_secs(30)));
    let code = service.codes().start_code(restart).expect("new start code");
    assert!(matches!(
        attempt(&mut service, 1, &code, restart),
        Err(Error::Refused(RefusalReason::LockedOut { .. }))
    ));
    // The count survived: the next failure locks for 60 s.
    let later = restart + Duration::from_secs(30);
    let _ = attempt(&mut service, 2, &wrong_code(&code), later);
    assert_eq!(service.locked_for(later), Some(Duration::from_secs(60)));
}

/// A peer that gets its answer and vanishes has still spent a guess.
#[test]
fn an_abandoned_conversation_still_counts() {
    let dir = crate::store::private_tempdir();
    let now = Instant::now();
    let mut service = service(dir.path(), now);
    let code = service.codes().start_code(now).expect("start code");
    let (client, start) = ClientPairing::start(&code, "laptop").expect("start");
    let (params, _) = sent(service.receive(1, &start, now));
    let (_, share) = client.receive(&params).expect("params");
    let (_, close) = sent(service.receive(1, &share, now));
    assert!(!close);
    service.disconnect(1);
    assert_eq!(service.lockout.failures(), 1);
}

#[test]
fn one_conversation_per_code_and_unknown_slots_are_refused() {
    let dir = crate::store::private_tempdir();
    let now = Instant::now();
    let mut service = service(dir.path(), now);
    let code = service.codes().start_code(now).expect("start code");
    let invite = service
        .codes()
        .invite(Role::Member, None, Duration::from_secs(600), now, None)
        .expect("invite");
    let (_, start) = ClientPairing::start(&code, "a").expect("start");
    let (_, close) = sent(service.receive(1, &start, now));
    assert!(!close);
    assert_eq!(
        refusal_of(service.receive(2, &start, now)),
        RefusalReason::Busy
    );
    // Another code can pair at the same time.
    let (_, other) = ClientPairing::start(&invite, "b").expect("start");
    let (_, close) = sent(service.receive(3, &other, now));
    assert!(!close);
    // A slot with no code.
    let free = (0..10u8)
        .find(|s| *s != code.locator() && *s != invite.locator())
        .expect("a free slot");
    let unknown = Message::Start {
        client_name: "c".into(),
        locator: free,
    };
    assert_eq!(
        refusal_of(service.receive(4, &unknown.to_bytes(), now)),
        RefusalReason::UnknownCode
    );
    // Once the first conversation goes, its code is free again.
    service.disconnect(1);
    let (_, close) = sent(service.receive(5, &start, now));
    assert!(!close);
}

#[test]
fn conversations_time_out() {
    let dir = crate::store::private_tempdir();
    let now = Instant::now();
    let mut service = service(dir.path(), now);
    let code = service.codes().start_code(now).expect("start code");
    assert_eq!(service.next_deadline(), None);
    let (client, start) = ClientPairing::start(&code, "laptop").expect("start");
    let (params, _) = sent(service.receive(1, &start, now));
    let deadline = service.next_deadline().expect("deadline");
    assert_eq!(deadline, now + Duration::from_secs(15));
    assert!(
        service
            .expire(deadline - Duration::from_millis(1))
            .is_empty()
    );
    assert_eq!(refusal_of(service.expire(deadline)), RefusalReason::Expired);
    assert_eq!(service.next_deadline(), None);
    // The client's late share starts nothing: it is not a PairStart.
    let (_, share) = client.receive(&params).expect("params");
    assert_eq!(
        refusal_of(service.receive(1, &share, deadline)),
        RefusalReason::Protocol
    );
    assert_eq!(service.lockout.failures(), 0, "no answer, no charge");
}

#[test]
fn frames_that_do_not_start_a_conversation_are_refused() {
    let dir = crate::store::private_tempdir();
    let now = Instant::now();
    let mut service = service(dir.path(), now);
    let code = service.codes().start_code(now).expect("start code");
    assert_eq!(
        refusal_of(service.receive(1, &[0xff, 0xff], now)),
        RefusalReason::Protocol
    );
    let (_, start) = ClientPairing::start(&code, "laptop").expect("start");
    assert_eq!(
        refusal_of(service.receive(2, &start[..start.len() - 1], now)),
        RefusalReason::Protocol
    );
    let mut v2 = start.clone();
    v2[1] = 0x02;
    assert_eq!(
        refusal_of(service.receive(3, &v2, now)),
        RefusalReason::UnsupportedVersion
    );
    // A garbage frame mid-conversation ends it.
    let (_, close) = sent(service.receive(4, &start, now));
    assert!(!close);
    assert_eq!(
        refusal_of(service.receive(4, b"garbage", now)),
        RefusalReason::Protocol
    );
    assert_eq!(service.next_deadline(), None);
}
