//! Security 2 on hostile frames: `S2Command::decode` never panics and what decodes re-encodes to
//! exactly the input (the module's decode/encode mirror, `s2_mirror` in `tests/zwave_s2.rs`), and
//! `S2Session::decapsulate` on frames "from the peer" never panics and never accepts anything but
//! what the peer sent.
//!
//! Two sessions, controller (node 1) and node (node 2), share an S2 Authenticated key and a
//! temporary bootstrapping key, set up as in `tests/zwave_s2.rs` and rebuilt for every input from
//! fixed seeds, so everything is deterministic. The node decapsulates; the first byte picks a
//! mode:
//!
//! - `0xFF sel hi lo mask..`: a valid frame from the controller (`sel % 3`: the first frame of a
//!   SPAN under the network key, with its SPAN extension, while the node holds its receiver EI;
//!   the second frame of that SPAN, without extensions; the first frame under the temporary
//!   key), XOR-mutated as `sealhub_fuzz::mutate` does. An empty mask is the valid frame itself,
//!   which must decapsulate to exactly its plaintext; any other frame that decapsulates must be
//!   that very frame (every byte of it is authenticated or fixed), and one that is refused
//!   must leave the node as it was (the template still decapsulates after it).
//! - `0xFE inner..`: a frame the controller seals by hand around `inner` with the "encrypted
//!   extensions" flag set, so the parser of the extensions inside the ciphertext (which a
//!   fuzzer cannot reach through the tag) sees arbitrary bytes. It authenticates; it must either
//!   be refused as malformed or give extensions and plaintext that re-encode to `inner`.
//! - anything else: the raw input, decoded, and decapsulated by a node waiting for a SPAN
//!   extension (after a Nonce Get) and by one with an established SPAN. (An S2 frame starts
//!   with 0x9F, so the modes take nothing away from raw inputs.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_fuzz::mutate;
use sealhub_radios::zwave::s2::session::{KeyId, S2Session};
use sealhub_radios::zwave::s2::{Encapsulated, Error, Extension, S2Command, SecurityClass};
use sealhub_radios::zwave::security::kdf::{derive_network_keys, derive_temp_keys};
use sealhub_radios::zwave::security::span::Span;
use sealhub_radios::zwave::security::{Key128, ccm};

const HOME: u32 = 0xC0FF_EE01;
const CTRL: u8 = 1;
const NODE: u8 = 2;
const NETWORK_KEY: [u8; 16] = [0x42; 16];
const TEMP_PRK: [u8; 16] = [0x7E; 16];
const AUTH: KeyId = KeyId::Network(SecurityClass::S2Authenticated);
/// What the controller sends: a Binary Switch Set.
const PLAINTEXT: [u8; 3] = [0x25, 0x01, 0xFF];
/// The sender EI of the hand-sealed frames.
const SENDER_EI: [u8; 16] = [0x5E; 16];

/// The two sessions, keys installed on both.
fn pair() -> (S2Session, S2Session) {
    let key = Key128::new(NETWORK_KEY);
    let temp = derive_temp_keys(&Key128::new(TEMP_PRK));
    let mut ctrl = S2Session::new(CTRL, HOME, [1; 32]);
    let mut node = S2Session::new(NODE, HOME, [2; 32]);
    ctrl.set_network_key(SecurityClass::S2Authenticated, &key);
    node.set_network_key(SecurityClass::S2Authenticated, &key);
    ctrl.set_temp_keys(NODE, temp.clone());
    node.set_temp_keys(CTRL, temp);
    (ctrl, node)
}

/// The nonce exchange: the controller asks, the node answers with its receiver EI (and now
/// waits for a SPAN extension); returns that EI.
fn exchange(ctrl: &mut S2Session, node: &mut S2Session) -> [u8; 16] {
    let S2Command::NonceGet { seq } = ctrl.nonce_get(NODE) else {
        unreachable!("nonce_get gives a Nonce Get")
    };
    let report = node
        .on_nonce_get(CTRL, seq)
        .expect("a fresh sequence number");
    ctrl.on_nonce_report(NODE, &report)
        .expect("a fresh sequence number");
    match report {
        S2Command::NonceReport {
            receiver_ei: Some(ei),
            ..
        } => ei,
        other => unreachable!("resync gives a Nonce Report SOS, not {other:?}"),
    }
}

/// A node in the state template `sel % 3` expects, the template, and the key that seals it.
fn template(sel: u8) -> (S2Session, Vec<u8>, KeyId) {
    let (mut ctrl, mut node) = pair();
    exchange(&mut ctrl, &mut node);
    match sel % 3 {
        0 => {
            let frame = ctrl
                .encapsulate(NODE, AUTH, &PLAINTEXT)
                .expect("encapsulate");
            (node, frame, AUTH)
        }
        1 => {
            let first = ctrl
                .encapsulate(NODE, AUTH, &[0x20, 0x02])
                .expect("encapsulate");
            node.decapsulate(CTRL, &first)
                .expect("the first frame decapsulates");
            let frame = ctrl
                .encapsulate(NODE, AUTH, &PLAINTEXT)
                .expect("encapsulate");
            (node, frame, AUTH)
        }
        _ => {
            let frame = ctrl
                .encapsulate(NODE, KeyId::Temporary, &PLAINTEXT)
                .expect("encapsulate");
            (node, frame, KeyId::Temporary)
        }
    }
}

/// Seals `inner` from the controller to the node by hand, as `S2Session::encapsulate` does but
/// with the encrypted-extensions flag set, for a node that sent `receiver_ei`.
fn seal_with_encrypted_extensions(receiver_ei: &[u8; 16], inner: &[u8]) -> Vec<u8> {
    let keys = derive_network_keys(&Key128::new(NETWORK_KEY));
    let nonce = Span::new(&SENDER_EI, receiver_ei, &keys.personalization)
        .next_nonce()
        .expect("a fresh DRBG");
    let mut frame = Encapsulated {
        seq: 0x33,
        extensions: vec![Extension::span(SENDER_EI)],
        encrypted_extensions: true,
        sealed: Vec::new(),
    };
    let header = frame.clear_header().expect("a SPAN extension encodes");
    let total = 2 + header.len() + inner.len() + ccm::S2_TAG_LEN;
    let mut aad = vec![CTRL, NODE];
    aad.extend_from_slice(&HOME.to_be_bytes());
    aad.extend_from_slice(&u16::try_from(total).expect("a short frame").to_be_bytes());
    aad.extend_from_slice(&header);
    frame.sealed = ccm::encrypt(&keys.ccm, &nonce, &aad, inner).expect("CCM seals");
    S2Command::MessageEncapsulation(frame)
        .encode()
        .expect("the frame encodes")
}

fn decode_round_trip(bytes: &[u8]) {
    if let Ok(command) = S2Command::decode(bytes) {
        let again = command
            .encode()
            .unwrap_or_else(|e| panic!("decoded {command:?} does not re-encode: {e}"));
        assert_eq!(again, bytes, "not canonical: {command:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    match data {
        [0xFF, sel, rest @ ..] => {
            let (mut node, frame, key) = template(*sel);
            let mutated = mutate(&frame, *sel, rest);
            decode_round_trip(&mutated);
            let result = node.decapsulate(CTRL, &mutated);
            if mutated == frame {
                let d = result.expect("the untouched template decapsulates");
                assert_eq!(d.plaintext, PLAINTEXT);
                assert_eq!(d.key, key);
                assert!(d.encrypted_extensions.is_empty());
            } else if let Ok(d) = result {
                panic!(
                    "a tampered frame was accepted: {mutated:02x?} (template {frame:02x?}) → {d:?}"
                );
            } else {
                // A refused frame changes nothing: the genuine one still decapsulates.
                let d = node
                    .decapsulate(CTRL, &frame)
                    .expect("the template decapsulates after a refused frame");
                assert_eq!(d.plaintext, PLAINTEXT);
            }
        }
        [0xFE, inner @ ..] => {
            if inner.len() > 1000 {
                return; // far beyond any Z-Wave frame; keeps the AAD length honest
            }
            let (mut ctrl, mut node) = pair();
            let receiver_ei = exchange(&mut ctrl, &mut node);
            let frame = seal_with_encrypted_extensions(&receiver_ei, inner);
            decode_round_trip(&frame);
            match node.decapsulate(CTRL, &frame) {
                Ok(d) => {
                    assert_eq!(d.key, AUTH);
                    let mut again = Vec::new();
                    Extension::write_all(&d.encrypted_extensions, &mut again)
                        .expect("decoded extensions re-encode");
                    again.extend_from_slice(&d.plaintext);
                    assert_eq!(again, inner, "encrypted extensions not canonical");
                }
                Err(Error::Truncated(_) | Error::Invalid { .. }) => {}
                Err(e) => panic!("a frame sealed under the right key was refused: {e}"),
            }
        }
        _ => {
            decode_round_trip(data);
            // A node that answered a Nonce Get and waits for the SPAN extension.
            let (mut ctrl, mut node) = pair();
            exchange(&mut ctrl, &mut node);
            let _ = node.decapsulate(CTRL, data);
            // A node with an established SPAN.
            let (mut node, _, _) = template(1);
            let _ = node.decapsulate(CTRL, data);
        }
    }
});
