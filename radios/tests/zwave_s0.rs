//! S0 encapsulation: the MAC layout against zwave-js's published vector, a round trip between
//! two in-memory parties, and refusals (tampering, nonce reuse, expiry, unknown nonce, a nonce
//! handed to another node); the nonce table under a flood of Nonce Gets, and the host's limit
//! on answering them.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use sealhub_radios::zwave::s0::{
    Error, MAX_LIVE_NONCES, MAX_NONCES_PER_PEER, NONCE_LIFETIME, NonceGetLimit, S0Command,
    S0Session, auth_data,
};
use sealhub_radios::zwave::security::Key128;
use sealhub_radios::zwave::security::s0::cbc_mac;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// zwave-js `packages/core/src/crypto/operations.test.ts` @
/// 133172125d4148ea6e9e92a059b4325862ff6dd7 (tests/vectors/zwave-security.md): its second
/// computeMAC vector is an S0 auth-data block, which this rebuilds field by field.
#[test]
fn auth_data_layout_matches_zwave_js_mac_vector() {
    let data = auth_data(
        &h("ddd360c382a43751").try_into().unwrap(), // sender nonce
        &h("4392826cbba0b312").try_into().unwrap(), // receiver nonce
        0x81,                                       // Message Encapsulation
        0x14,                                       // sender node 20
        0x01,                                       // receiver node 1
        &h("f3fb762d6e82126681c18597"),             // 12 ciphertext bytes
    )
    .expect("12 bytes fit the length byte");
    assert_eq!(
        data,
        h("ddd360c382a437514392826cbba0b3128114010cf3fb762d6e82126681c18597")
    );
    let auth = Key128::from_slice(&h("c5fe1ca17d36c992731a0c0c468c1ef9")).unwrap();
    assert_eq!(
        cbc_mac(&auth, &[0; 16], &data).to_vec(),
        h("2bc20a8aa9bbb371")
    );
}

fn pair() -> (S0Session, S0Session) {
    let key = Key128::new([0x5A; 16]);
    (
        S0Session::new(1, &key, [1; 32]),
        S0Session::new(9, &key, [2; 32]),
    )
}

/// Controller (1) sends `pt` to node (9) at `t`; returns the frame.
fn frame(a: &mut S0Session, b: &mut S0Session, t: Instant, pt: &[u8]) -> Vec<u8> {
    assert!(matches!(a.encapsulate(9, pt), Err(Error::NoNonce(9))));
    let S0Command::NonceReport { nonce } = b.nonce_report(1, t).unwrap() else {
        panic!()
    };
    a.on_nonce_report(9, nonce);
    a.encapsulate(9, pt).unwrap()
}

#[test]
fn round_trip_and_frame_shape() {
    let (mut a, mut b) = pair();
    let t = Instant::now();
    let f = frame(&mut a, &mut b, t, &[0x25, 0x01, 0xFF]);
    // 98 81 | sender nonce 8 | seq byte + 3 | nonce id | MAC 8
    assert_eq!(&f[..2], &[0x98, 0x81]);
    assert_eq!(f.len(), 2 + 8 + 4 + 1 + 8);
    assert_eq!(S0Command::decode(&f).unwrap().encode(), f);
    assert_eq!(b.decapsulate(1, &f, t).unwrap(), [0x25, 0x01, 0xFF]);
    // the nonce was used up
    assert!(matches!(
        b.decapsulate(1, &f, t),
        Err(Error::UnknownNonce(_))
    ));
}

#[test]
fn tampering_refused() {
    let t = Instant::now();
    for idx in [2usize, 9, 10, 13, 15, 22] {
        let (mut a, mut b) = pair();
        let mut f = frame(&mut a, &mut b, t, &[0x25, 0x01, 0xFF]);
        f[idx] ^= 0x04;
        let r = b.decapsulate(1, &f, t);
        assert!(
            matches!(r, Err(Error::AuthenticationFailed | Error::UnknownNonce(_))),
            "byte {idx}: {r:?}"
        );
    }
    // under another sender's id: that node was given no such nonce (and the MAC covers the
    // sender, as the vector above shows)
    let (mut a, mut b) = pair();
    let f = frame(&mut a, &mut b, t, &[0x20, 0x02]);
    assert!(matches!(
        b.decapsulate(2, &f, t),
        Err(Error::UnknownNonce(_))
    ));
}

#[test]
fn expired_nonce_refused() {
    let (mut a, mut b) = pair();
    let t = Instant::now();
    let f = frame(&mut a, &mut b, t, &[0x20, 0x02]);
    let late = t + NONCE_LIFETIME + Duration::from_millis(1);
    assert!(matches!(
        b.decapsulate(1, &f, late),
        Err(Error::UnknownNonce(_))
    ));
}

#[test]
fn frames_refused() {
    assert_eq!(
        S0Command::decode(&[0x98, 0x40, 0]),
        Err(Error::TrailingBytes(0x40))
    );
    assert_eq!(
        S0Command::decode(&[0x98, 0x80, 1, 2]),
        Err(Error::Truncated(0x80))
    );
    assert_eq!(
        S0Command::decode(&[0x98, 0x81, 0, 0]),
        Err(Error::Truncated(0x81))
    );
    assert_eq!(
        S0Command::decode(&[0x98, 0x99]),
        Err(Error::UnknownCommand(0x99))
    );
}

proptest! {
    #[test]
    fn s0_mirror(cmd in prop::sample::select(vec![2u8, 3, 4, 5, 6, 7, 8, 0x40, 0x80, 0x81, 0xC1]), tail in prop::collection::vec(any::<u8>(), 0..30)) {
        let mut bytes = vec![0x98, cmd];
        bytes.extend(tail);
        if let Ok(c) = S0Command::decode(&bytes) {
            prop_assert_eq!(c.encode(), bytes);
        }
    }

    #[test]
    fn s0_round_trip(pt in prop::collection::vec(any::<u8>(), 0..40)) {
        let (mut a, mut b) = pair();
        let t = Instant::now();
        let f = frame(&mut a, &mut b, t, &pt);
        prop_assert_eq!(b.decapsulate(1, &f, t).unwrap(), pt);
    }
}

/// A zero byte appended to a 255-byte ciphertext would leave the zero-padded CBC-MAC input
/// unchanged if the length byte saturated; S0 therefore refuses ciphertext it cannot state the
/// length of, on both sides.
#[test]
fn ciphertext_longer_than_the_length_byte_is_refused() {
    let long = vec![0u8; 256];
    let n = [1u8; 8];
    assert!(matches!(
        auth_data(&n, &n, 0x81, 1, 2, &long),
        Err(Error::TooLong(256))
    ));
    assert!(auth_data(&n, &n, 0x81, 1, 2, &long[..255]).is_ok());
    let (mut a, mut b) = pair();
    let S0Command::NonceReport { nonce } = b.nonce_report(1, Instant::now()).expect("nonce") else {
        panic!("a nonce report")
    };
    a.on_nonce_report(9, nonce);
    // 255 bytes of command plus the sequence byte: 256 bytes of ciphertext.
    assert!(matches!(
        a.encapsulate(9, &[0u8; 255]),
        Err(Error::TooLong(256))
    ));
}

/// The attack of a plaintext Nonce Get flood: 300 Nonce Gets within one nonce lifetime, from
/// one node id and then from many. Every one is answered at once (the table of live nonces
/// never fills the 256 nonce ids, so drawing a free id never loops), and the table stays
/// within its bounds. Before the bound, the 257th Nonce Get drew random nonces forever.
#[test]
fn a_flood_of_nonce_gets_is_answered_from_a_bounded_table() {
    let (_, mut b) = pair();
    let t = Instant::now();
    let mut ids = std::collections::HashSet::new();
    for i in 0..300u32 {
        let peer = if i < 150 { 7 } else { 10 + (i % 60) as u8 };
        let at = t + Duration::from_millis(u64::from(i) * 20);
        let S0Command::NonceReport { nonce } = b.nonce_report(peer, at).expect("answered") else {
            panic!("a Nonce Report")
        };
        ids.insert(nonce[0]);
        let (total, own) = b.live_nonces(peer, at);
        assert!(total <= MAX_LIVE_NONCES, "{total} live nonces after {i}");
        assert!(own <= MAX_NONCES_PER_PEER, "node {peer} holds {own}");
    }
    assert!(
        ids.len() > 64,
        "nonce ids are drawn at random: {}",
        ids.len()
    );
}

/// A nonce belongs to the node that asked for it: a frame from another node under that nonce
/// id is refused without using it up, and the node that asked still can.
#[test]
fn a_nonce_handed_to_one_node_is_refused_to_another() {
    let key = Key128::new([0x5A; 16]);
    let mut host = S0Session::new(1, &key, [1; 32]);
    let mut node = S0Session::new(9, &key, [2; 32]);
    let mut other = S0Session::new(5, &key, [3; 32]);
    let t = Instant::now();
    let S0Command::NonceReport { nonce } = host.nonce_report(9, t).expect("nonce") else {
        panic!("a Nonce Report")
    };
    other.on_nonce_report(1, nonce);
    let stolen = other.encapsulate(1, &[0x25, 0x03, 0xFF]).expect("frame");
    assert_eq!(
        host.decapsulate(5, &stolen, t),
        Err(Error::UnknownNonce(nonce[0]))
    );
    node.on_nonce_report(1, nonce);
    let genuine = node.encapsulate(1, &[0x25, 0x03, 0x00]).expect("frame");
    assert_eq!(host.decapsulate(9, &genuine, t), Ok(vec![0x25, 0x03, 0x00]));
}

/// A frame that does not authenticate (forged under the node's id, naming its nonce) does not
/// use the nonce up: the node's genuine frame still decrypts, and only once.
#[test]
fn a_forged_frame_leaves_the_nonce_for_the_genuine_one() {
    let (mut a, mut b) = pair();
    let t = Instant::now();
    let genuine = frame(&mut a, &mut b, t, &[0x62, 0x03, 0x00]);
    let mut forged = genuine.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    assert_eq!(
        b.decapsulate(1, &forged, t),
        Err(Error::AuthenticationFailed)
    );
    assert_eq!(b.decapsulate(1, &genuine, t), Ok(vec![0x62, 0x03, 0x00]));
    assert!(matches!(
        b.decapsulate(1, &genuine, t),
        Err(Error::UnknownNonce(_))
    ));
}

/// Past its bound, a node's oldest nonce is evicted; the others stay usable.
#[test]
fn a_node_past_its_bound_loses_its_oldest_nonce() {
    let key = Key128::new([0x5A; 16]);
    let mut host = S0Session::new(1, &key, [1; 32]);
    let mut node = S0Session::new(9, &key, [2; 32]);
    let t = Instant::now();
    let nonces: Vec<[u8; 8]> = (0..=MAX_NONCES_PER_PEER)
        .map(|_| match host.nonce_report(9, t).expect("nonce") {
            S0Command::NonceReport { nonce } => nonce,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        host.live_nonces(9, t),
        (MAX_NONCES_PER_PEER, MAX_NONCES_PER_PEER)
    );
    node.on_nonce_report(1, nonces[0]);
    let on_oldest = node.encapsulate(1, &[0x20, 0x02]).expect("frame");
    assert_eq!(
        host.decapsulate(9, &on_oldest, t),
        Err(Error::UnknownNonce(nonces[0][0]))
    );
    node.on_nonce_report(1, nonces[MAX_NONCES_PER_PEER]);
    let on_newest = node.encapsulate(1, &[0x20, 0x02]).expect("frame");
    assert_eq!(host.decapsulate(9, &on_newest, t), Ok(vec![0x20, 0x02]));
}

/// The host's limit: a burst per node, then one per period; a flood from many node ids stops
/// at the total burst, and a node's tokens come back with time.
#[test]
fn nonce_gets_past_the_limits_are_dropped_until_time_passes() {
    let mut limit = NonceGetLimit::new();
    let t = Instant::now();
    let burst = (0..20).filter(|_| limit.allow(7, t)).count();
    assert_eq!(burst, NonceGetLimit::PEER_BURST as usize);
    assert!(limit.allow(7, t + NonceGetLimit::PEER_PERIOD));
    assert!(!limit.allow(7, t + NonceGetLimit::PEER_PERIOD));

    let mut limit = NonceGetLimit::new();
    let flood = (0..300u32)
        .filter(|i| limit.allow((i % 200) as u8, t))
        .count();
    assert_eq!(flood, NonceGetLimit::TOTAL_BURST as usize);
    assert!(!limit.allow(250, t));
    assert!(limit.allow(250, t + NonceGetLimit::TOTAL_PERIOD));
}

/// A Nonce Get whose nonce was used in an authentic frame is given back, to the node and the
/// total, never past the bursts; one whose nonce is never used stays spent.
#[test]
fn a_used_nonce_gives_its_nonce_get_back() {
    let mut limit = NonceGetLimit::new();
    let t = Instant::now();
    for _ in 0..100 {
        assert!(limit.allow(7, t));
        limit.used(7);
    }
    let burst = (0..20).filter(|_| limit.allow(7, t)).count();
    assert_eq!(
        burst,
        NonceGetLimit::PEER_BURST as usize,
        "no more than a burst"
    );
    limit.used(7);
    assert!(limit.allow(7, t));
    assert!(!limit.allow(7, t));

    let mut limit = NonceGetLimit::new();
    let flood = (0..300u32)
        .filter(|i| limit.allow((i % 200) as u8, t))
        .count();
    assert_eq!(flood, NonceGetLimit::TOTAL_BURST as usize);
    limit.used(3);
    assert!(limit.allow(250, t), "the total got one back");
    assert!(!limit.allow(251, t));
}
