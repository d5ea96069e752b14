//! Security 2: command frames (layouts and the decode/encode mirror), and the singlecast
//! encapsulation between two in-memory peers: round trip, tampering, duplicates, and SPAN
//! resynchronisation after one side loses its state.

use proptest::prelude::*;
use sealhub_radios::zwave::s2::session::{KeyId, S2Session};
use sealhub_radios::zwave::s2::{
    Error, Extension, KexFailType, KexParams, KeyClasses, S2Command, SecurityClass,
};
use sealhub_radios::zwave::security::Key128;

const HOME: u32 = 0xC0FF_EE01;
const CTRL: u8 = 1;
const NODE: u8 = 2;

fn pair() -> (S2Session, S2Session) {
    let key = Key128::new([0x42; 16]);
    let mut a = S2Session::new(CTRL, HOME, [1; 32]);
    let mut b = S2Session::new(NODE, HOME, [2; 32]);
    a.set_network_key(SecurityClass::S2Authenticated, &key);
    b.set_network_key(SecurityClass::S2Authenticated, &key);
    (a, b)
}

const AUTH: KeyId = KeyId::Network(SecurityClass::S2Authenticated);

/// Sends `pt` from `tx` (node `from`) to `rx` (node `to`), doing the nonce exchange the
/// session asks for; returns the frame that got through and what the receiver decrypted.
fn send(
    tx: &mut S2Session,
    from: u8,
    rx: &mut S2Session,
    to: u8,
    key: KeyId,
    pt: &[u8],
) -> Vec<u8> {
    let frame = match tx.encapsulate(to, key, pt) {
        Ok(f) => f,
        Err(Error::NoSpan(_)) => {
            let S2Command::NonceGet { seq } = tx.nonce_get(to) else {
                unreachable!()
            };
            let report = rx.on_nonce_get(from, seq).unwrap();
            let report = S2Command::decode(&report.encode().unwrap()).unwrap();
            tx.on_nonce_report(to, &report).unwrap();
            tx.encapsulate(to, key, pt).unwrap()
        }
        Err(e) => panic!("{e:?}"),
    };
    let d = rx.decapsulate(from, &frame).unwrap();
    assert_eq!(d.plaintext, pt);
    assert_eq!(d.key, key);
    frame
}

#[test]
fn frame_layouts() {
    // Nonce Report SOS: seq, flags 0x01, 16-byte receiver EI
    let ei = [0xAB; 16];
    let bytes = [&[0x9F, 0x02, 7, 0x01][..], &ei].concat();
    assert_eq!(
        S2Command::decode(&bytes).unwrap(),
        S2Command::NonceReport {
            seq: 7,
            mos: false,
            receiver_ei: Some(ei)
        }
    );
    // KEX Report: no echo, scheme 1 (0x02), Curve25519 (0x01), requests S2 unauth + auth
    let kex = KexParams {
        echo: false,
        csa: false,
        schemes: 0x02,
        curves: 0x01,
        keys: KeyClasses::S2_UNAUTHENTICATED | KeyClasses::S2_AUTHENTICATED,
        reserved: 0,
    };
    assert_eq!(
        S2Command::KexReport(kex).encode().unwrap(),
        [0x9F, 0x05, 0x00, 0x02, 0x01, 0x03]
    );
    assert_eq!(
        S2Command::KexFail(KexFailType::Auth).encode().unwrap(),
        [0x9F, 0x07, 0x07]
    );
    assert_eq!(
        S2Command::TransferEnd {
            key_verified: true,
            key_request_complete: false
        }
        .encode()
        .unwrap(),
        [0x9F, 0x0C, 0x02]
    );
    assert_eq!(
        S2Command::NetworkKeyGet {
            class: SecurityClass::S2AccessControl
        }
        .encode()
        .unwrap(),
        [0x9F, 0x09, 0x04]
    );
    // Message Encapsulation with a SPAN extension: len 18, type 0x41 (critical | SPAN)
    let (mut a, mut b) = pair();
    let frame = send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x25, 0x01, 0xFF]);
    assert_eq!(&frame[..2], &[0x9F, 0x03]);
    assert_eq!(frame[3], 0x01, "clear extensions present");
    assert_eq!(&frame[4..6], &[18, 0x41]);
    assert_eq!(frame.len(), 2 + 2 + 18 + 3 + 8);
    // refused: trailing, truncated, reserved bits, two key classes
    assert!(S2Command::decode(&[0x9F, 0x04, 0]).is_err());
    assert!(S2Command::decode(&[0x9F, 0x02, 7, 0x01, 1, 2]).is_err());
    assert!(S2Command::decode(&[0x9F, 0x02, 7, 0x00]).is_err());
    assert!(S2Command::decode(&[0x9F, 0x09, 0x03]).is_err());
    // reserved KEX flag bits are kept for the echo, as zwave-js does, not refused
    let kex = S2Command::decode(&[0x9F, 0x05, 0x04, 2, 1, 1]).unwrap();
    assert!(matches!(
        kex,
        S2Command::KexReport(KexParams { reserved: 0x04, .. })
    ));
    assert_eq!(kex.encode().unwrap(), [0x9F, 0x05, 0x04, 2, 1, 1]);
    assert!(
        S2Command::decode(&[0x9F, 0x03, 1, 0, 1, 2, 3]).is_err(),
        "shorter than a tag"
    );
}

#[test]
fn round_trip_both_directions() {
    let (mut a, mut b) = pair();
    for i in 0..20u8 {
        send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x01, i]);
        send(&mut b, NODE, &mut a, CTRL, AUTH, &[0x20, 0x03, i]);
    }
}

#[test]
fn duplicate_refused() {
    let (mut a, mut b) = pair();
    let frame = send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x02]);
    assert!(matches!(
        b.decapsulate(CTRL, &frame),
        Err(Error::Duplicate { node: CTRL, .. })
    ));
}

#[test]
fn tampering_refused() {
    // ciphertext byte, tag byte, sequence number, flags/extension (AAD), home id, sender id
    // (the sequence number is flipped far from the recent window, or it reads as a duplicate)
    for (what, idx, mask) in [
        ("ciphertext", 24usize, 1u8),
        ("tag", 30, 1),
        ("sequence", 2, 0x80),
        ("extension", 7, 1),
    ] {
        let (mut a, mut b) = pair();
        send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x02]);
        let S2Command::NonceGet { seq } = a.nonce_get(NODE) else {
            unreachable!()
        };
        let rep = b.on_nonce_get(CTRL, seq).unwrap();
        a.on_nonce_report(NODE, &rep).unwrap();
        let mut f = a.encapsulate(NODE, AUTH, &[0x20, 0x01, 0x63]).unwrap();
        f[idx] ^= mask;
        assert!(
            matches!(b.decapsulate(CTRL, &f), Err(Error::CannotDecrypt(CTRL))),
            "{what}"
        );
    }
    // wrong home id / wrong sender in the AAD
    let (mut a, _) = pair();
    let key = Key128::new([0x42; 16]);
    let mut other_home = S2Session::new(NODE, HOME ^ 1, [2; 32]);
    other_home.set_network_key(SecurityClass::S2Authenticated, &key);
    let S2Command::NonceGet { seq } = a.nonce_get(NODE) else {
        unreachable!()
    };
    let rep = other_home.on_nonce_get(CTRL, seq).unwrap();
    a.on_nonce_report(NODE, &rep).unwrap();
    let f = a.encapsulate(NODE, AUTH, &[0x20, 0x02]).unwrap();
    assert!(matches!(
        other_home.decapsulate(CTRL, &f),
        Err(Error::CannotDecrypt(_))
    ));
}

#[test]
fn reboot_resync() {
    let (mut a, mut b) = pair();
    send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x01, 1]);
    send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x01, 2]);
    // the node reboots: new session, same key, no SPAN
    let mut b = S2Session::new(NODE, HOME, [9; 32]);
    b.set_network_key(SecurityClass::S2Authenticated, &Key128::new([0x42; 16]));
    let lost = a.encapsulate(NODE, AUTH, &[0x20, 0x01, 3]).unwrap();
    assert!(matches!(
        b.decapsulate(CTRL, &lost),
        Err(Error::NoSpan(CTRL))
    ));
    // → Nonce Report SOS → the controller re-seeds and resends
    let sos = b.resync(CTRL).unwrap();
    let sos = S2Command::decode(&sos.encode().unwrap()).unwrap();
    assert!(matches!(
        sos,
        S2Command::NonceReport {
            receiver_ei: Some(_),
            ..
        }
    ));
    a.on_nonce_report(NODE, &sos).unwrap();
    let again = a.encapsulate(NODE, AUTH, &[0x20, 0x01, 3]).unwrap();
    assert_eq!(
        b.decapsulate(CTRL, &again).unwrap().plaintext,
        [0x20, 0x01, 3]
    );
    for i in 4..10 {
        send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x01, i]);
        send(&mut b, NODE, &mut a, CTRL, AUTH, &[0x20, 0x03, i]);
    }
    // the controller loses its SPAN instead: a frame from the node no longer decrypts
    a.forget_span(NODE);
    let f = b.encapsulate(CTRL, AUTH, &[0x20, 0x03, 0x10]).unwrap();
    assert!(matches!(a.decapsulate(NODE, &f), Err(Error::NoSpan(NODE))));
    let sos = a.resync(NODE).unwrap();
    b.on_nonce_report(CTRL, &sos).unwrap();
    send(&mut b, NODE, &mut a, CTRL, AUTH, &[0x20, 0x03, 0x11]);
}

#[test]
fn desynchronised_span_fails_then_recovers() {
    let (mut a, mut b) = pair();
    send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x02]);
    // a frame lost on air: the sender's SPAN is one nonce ahead
    let _lost = a.encapsulate(NODE, AUTH, &[0x20, 0x02]).unwrap();
    let f = a.encapsulate(NODE, AUTH, &[0x20, 0x02]).unwrap();
    assert!(matches!(
        b.decapsulate(CTRL, &f),
        Err(Error::CannotDecrypt(CTRL))
    ));
    let sos = b.resync(CTRL).unwrap();
    a.on_nonce_report(NODE, &sos).unwrap();
    send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x01, 5]);
}

#[test]
fn span_tied_to_key() {
    let (mut a, mut b) = pair();
    let unauth = Key128::new([0x11; 16]);
    a.set_network_key(SecurityClass::S2Unauthenticated, &unauth);
    b.set_network_key(SecurityClass::S2Unauthenticated, &unauth);
    send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x02]);
    let un = KeyId::Network(SecurityClass::S2Unauthenticated);
    assert!(matches!(
        a.encapsulate(NODE, un, &[0x20, 0x02]),
        Err(Error::NoSpan(NODE))
    ));
    send(&mut a, CTRL, &mut b, NODE, un, &[0x20, 0x02]);
    assert!(matches!(
        a.encapsulate(
            NODE,
            KeyId::Network(SecurityClass::S2AccessControl),
            &[0x20, 0x02]
        ),
        Err(Error::NoKey(_))
    ));
}

#[test]
fn unknown_critical_extension_dropped() {
    let (mut a, mut b) = pair();
    let f = send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x02]);
    let S2Command::MessageEncapsulation(mut e) = S2Command::decode(&f).unwrap() else {
        panic!()
    };
    e.seq = e.seq.wrapping_add(50);
    e.extensions = vec![Extension {
        critical: true,
        kind: sealhub_radios::zwave::s2::ExtensionKind::Other {
            kind: 0x3F,
            data: vec![1],
        },
    }];
    let bytes = S2Command::MessageEncapsulation(e).encode().unwrap();
    assert!(matches!(
        b.decapsulate(CTRL, &bytes),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn encrypted_extension_layout() {
    let mut out = Vec::new();
    Extension::write_all(
        &[Extension::span([7; 16]), Extension::span([8; 16])],
        &mut out,
    )
    .unwrap();
    assert_eq!(out[1], 0xC1, "more-to-follow | critical | SPAN");
    assert_eq!(out[19], 0x41);
}

proptest! {
    /// Every S2 frame that decodes re-encodes to the same bytes.
    #[test]
    fn s2_mirror(cmd in 1u8..15, tail in prop::collection::vec(any::<u8>(), 0..40)) {
        let mut bytes = vec![0x9F, cmd];
        bytes.extend(tail);
        if let Ok(c) = S2Command::decode(&bytes) {
            prop_assert_eq!(c.encode().unwrap(), bytes);
        }
    }

    /// Any plaintext survives encapsulation; any single flipped bit is refused.
    #[test]
    fn encapsulation_properties(pt in prop::collection::vec(any::<u8>(), 0..60), flip in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (mut a, mut b) = pair();
        let S2Command::NonceGet { seq } = a.nonce_get(NODE) else { unreachable!() };
        let rep = b.on_nonce_get(CTRL, seq).unwrap();
        a.on_nonce_report(NODE, &rep).unwrap();
        let f = a.encapsulate(NODE, AUTH, &pt).unwrap();
        let mut bad = f.clone();
        let i = flip.index(bad.len() - 2) + 2;
        bad[i] ^= 1 << bit;
        prop_assert!(b.decapsulate(CTRL, &bad).is_err());
        // the untouched frame decrypts (fresh pair: the tampered one reset the SPAN)
        let (mut a, mut b) = pair();
        let S2Command::NonceGet { seq } = a.nonce_get(NODE) else { unreachable!() };
        let rep = b.on_nonce_get(CTRL, seq).unwrap();
        a.on_nonce_report(NODE, &rep).unwrap();
        let f = a.encapsulate(NODE, AUTH, &pt).unwrap();
        prop_assert_eq!(b.decapsulate(CTRL, &f).unwrap().plaintext, pt);
    }
}

/// After an unanswered Nonce Get the host jumps its sequence number past the window a peer
/// remembers, so its next frame cannot be one the peer still holds for a duplicate.
#[test]
fn skipping_the_sequence_window_leaves_every_remembered_number_behind() {
    use sealhub_radios::zwave::s2::session::SEQ_WINDOW;
    let mut host = S2Session::new(CTRL, HOME, [7; 32]);
    let seq = |c: S2Command| match c {
        S2Command::NonceGet { seq } => seq,
        other => panic!("not a Nonce Get: {other:?}"),
    };
    let first = seq(host.nonce_get(NODE));
    host.skip_sequence_window(NODE);
    let next = seq(host.nonce_get(NODE));
    let distance = usize::from(next.wrapping_sub(first));
    assert_eq!(distance, SEQ_WINDOW + 1);
    // Any window of SEQ_WINDOW numbers that held `first` ends before `next`.
    assert!(distance > SEQ_WINDOW);
}

/// Sequence numbers count per peer: frames to other nodes do not bring a number a peer still
/// remembers round again, and a restarted party continues where it is told to.
#[test]
fn sequence_numbers_count_per_peer_and_continue_where_told() {
    let mut host = S2Session::new(CTRL, HOME, [7; 32]);
    let seq = |c: S2Command| match c {
        S2Command::NonceGet { seq } => seq,
        other => panic!("not a Nonce Get: {other:?}"),
    };
    let first = seq(host.nonce_get(NODE));
    for _ in 0..300 {
        host.nonce_get(3);
    }
    assert_eq!(seq(host.nonce_get(NODE)), first.wrapping_add(1));
    assert_eq!(host.last_sequence(NODE), first.wrapping_add(1));
    host.continue_sequence_after(NODE, 0xFF);
    assert_eq!(seq(host.nonce_get(NODE)), 0x00);
}

/// A frame forged under `seq` with a sealed part that is not a valid ciphertext, with or
/// without a SPAN extension.
fn forged(seq: u8, sender_ei: Option<[u8; 16]>) -> Vec<u8> {
    S2Command::MessageEncapsulation(sealhub_radios::zwave::s2::Encapsulated {
        seq,
        extensions: sender_ei.map(Extension::span).into_iter().collect(),
        encrypted_extensions: false,
        sealed: vec![0x5A; 12],
    })
    .encode()
    .unwrap()
}

fn seq_of(frame: &[u8]) -> u8 {
    match S2Command::decode(frame).unwrap() {
        S2Command::MessageEncapsulation(f) => f.seq,
        other => panic!("{other:?}"),
    }
}

/// Nothing that fails to authenticate changes the receiver's state: a forged frame with the
/// sender's next sequence number neither enters the duplicate window nor advances or drops
/// the SPAN, before or after the receiver asks to resynchronize; the SPAN kept across a resync
/// decrypts what the sender sent before it had the new EI, and is never used to send.
#[test]
fn forged_frames_change_nothing() {
    let (mut a, mut b) = pair();
    send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x01, 1]);

    let genuine = a.encapsulate(NODE, AUTH, &[0x20, 0x01, 2]).unwrap();
    let fake = forged(seq_of(&genuine), None);
    assert!(matches!(
        b.decapsulate(CTRL, &fake),
        Err(Error::CannotDecrypt(CTRL))
    ));
    assert_eq!(
        b.decapsulate(CTRL, &genuine).unwrap().plaintext,
        [0x20, 0x01, 2]
    );

    // The receiver asks to resynchronize (as after the forged frame); the sender's next frame
    // left before the SOS reached it.
    let sos = b.resync(CTRL).unwrap();
    let in_flight = a.encapsulate(NODE, AUTH, &[0x20, 0x01, 3]).unwrap();
    assert!(matches!(
        b.decapsulate(CTRL, &forged(seq_of(&in_flight), None)),
        Err(Error::CannotDecrypt(CTRL))
    ));
    assert_eq!(
        b.decapsulate(CTRL, &in_flight).unwrap().plaintext,
        [0x20, 0x01, 3]
    );
    assert!(matches!(
        b.encapsulate(CTRL, AUTH, &[0x20, 0x03, 0]),
        Err(Error::NoSpan(CTRL))
    ));

    // Now the SOS arrives; the sender seeds a new SPAN. A forged frame with a SPAN extension
    // first does not spoil the receiver's EI.
    a.on_nonce_report(NODE, &sos).unwrap();
    let seeded = a.encapsulate(NODE, AUTH, &[0x20, 0x01, 4]).unwrap();
    assert!(matches!(
        b.decapsulate(CTRL, &forged(seq_of(&seeded), Some([0x11; 16]))),
        Err(Error::CannotDecrypt(CTRL))
    ));
    assert_eq!(
        b.decapsulate(CTRL, &seeded).unwrap().plaintext,
        [0x20, 0x01, 4]
    );
    send(&mut b, NODE, &mut a, CTRL, AUTH, &[0x20, 0x03, 5]);
}

/// Nonce Gets travel in the clear: one forged with the sender's next number does not make
/// its authentic frame a duplicate (the two kinds keep separate windows), while a repeated
/// Nonce Get still is one.
#[test]
fn a_forged_nonce_get_does_not_poison_the_window_of_authentic_frames() {
    let (mut a, mut b) = pair();
    send(&mut a, CTRL, &mut b, NODE, AUTH, &[0x20, 0x01, 1]);
    let genuine = a.encapsulate(NODE, AUTH, &[0x20, 0x01, 2]).unwrap();
    let seq = seq_of(&genuine);
    b.on_nonce_get(CTRL, seq).unwrap();
    assert!(matches!(
        b.on_nonce_get(CTRL, seq),
        Err(Error::Duplicate { node: CTRL, .. })
    ));
    assert_eq!(
        b.decapsulate(CTRL, &genuine).unwrap().plaintext,
        [0x20, 0x01, 2]
    );
}
