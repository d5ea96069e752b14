//! Security (S0) on hostile frames: `S0Command::decode` never panics and what decodes re-encodes
//! to exactly the input (the module's decode/encode mirror, `s0_mirror` in `tests/zwave_s0.rs`),
//! and `S0Session::decapsulate` never panics and never accepts anything but what the peer sent.
//!
//! Two sessions, controller (node 1) and node (node 9), share a network key, as in
//! `tests/zwave_s0.rs`, rebuilt for every input from fixed seeds. The node has handed out one
//! nonce and decapsulates; the first byte picks a mode:
//!
//! - `0xFF sel hi lo mask..`: a valid frame from the controller around one of a few plaintexts
//!   (`sel % 3`: a Binary Switch Set, an empty command, 40 bytes), XOR-mutated as
//!   `sealhub_fuzz::mutate` does. The untouched frame must decapsulate to exactly its plaintext;
//!   any other frame that decapsulates must be that very frame (the MAC covers everything but the
//!   nonce id and itself, and the nonce id must name the one live nonce).
//! - `0xFE inner..`: `inner` (sequence byte, then the command) encrypted and MACed by hand under
//!   the right keys and nonces, so the code after the MAC sees arbitrary plaintext: it must give
//!   exactly `inner[1..]` unless the sequence byte announces a split payload (refused).
//! - anything else: the raw input, decoded and decapsulated. (An S0 frame starts with 0x98, so
//!   the modes take nothing away from raw inputs.)
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use sealhub_fuzz::mutate;
use sealhub_radios::zwave::s0::{Error, S0Command, S0Session, auth_data};
use sealhub_radios::zwave::security::Key128;
use sealhub_radios::zwave::security::s0::{S0Keys, cbc_mac, ofb};

const CTRL: u8 = 1;
const NODE: u8 = 9;
const NETWORK_KEY: [u8; 16] = [0x5A; 16];
/// The sender nonce of the hand-sealed frames.
const SENDER_NONCE: [u8; 8] = [0x5E; 8];

fn plaintext(sel: u8) -> Vec<u8> {
    match sel % 3 {
        0 => vec![0x25, 0x01, 0xFF],
        1 => Vec::new(),
        _ => (0..40).collect(),
    }
}

/// The two sessions, the node having handed the controller one nonce at `now`; returns the
/// nonce too.
fn pair(now: Instant) -> (S0Session, S0Session, [u8; 8]) {
    let key = Key128::new(NETWORK_KEY);
    let mut ctrl = S0Session::new(CTRL, &key, [1; 32]);
    let mut node = S0Session::new(NODE, &key, [2; 32]);
    let S0Command::NonceReport { nonce } = node.nonce_report(CTRL, now).expect("a fresh DRBG") else {
        unreachable!("nonce_report gives a Nonce Report")
    };
    ctrl.on_nonce_report(NODE, nonce);
    (ctrl, node, nonce)
}

/// Encrypts and MACs `inner` (sequence byte included) by hand, as the controller would.
/// `None` when `inner` is longer than the 255 bytes S0's length byte can state.
fn seal_by_hand(receiver_nonce: &[u8; 8], inner: &[u8]) -> Option<Vec<u8>> {
    let keys = S0Keys::derive(&Key128::new(NETWORK_KEY));
    let mut iv = [0u8; 16];
    iv[..8].copy_from_slice(&SENDER_NONCE);
    iv[8..].copy_from_slice(receiver_nonce);
    let ciphertext = ofb(&keys.enc, &iv, inner);
    let data = auth_data(&SENDER_NONCE, receiver_nonce, 0x81, CTRL, NODE, &ciphertext).ok()?;
    let mac = cbc_mac(&keys.auth, &[0; 16], &data);
    Some(
        S0Command::MessageEncapsulation {
            nonce_get: false,
            sender_nonce: SENDER_NONCE,
            ciphertext,
            receiver_nonce_id: receiver_nonce[0],
            mac,
        }
        .encode(),
    )
}

fn decode_round_trip(bytes: &[u8]) {
    if let Ok(command) = S0Command::decode(bytes) {
        assert_eq!(command.encode(), bytes, "not canonical: {command:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    match data {
        [0xFF, sel, rest @ ..] => {
            let (mut ctrl, mut node, _) = pair(now);
            let pt = plaintext(*sel);
            let frame = ctrl.encapsulate(NODE, &pt).expect("a nonce is there");
            let mutated = mutate(&frame, *sel, rest);
            decode_round_trip(&mutated);
            let result = node.decapsulate(CTRL, &mutated, now);
            if mutated == frame {
                assert_eq!(result, Ok(pt), "the untouched template");
            } else if let Ok(got) = result {
                panic!(
                    "a tampered frame was accepted: {mutated:02x?} (template {frame:02x?}) → {got:02x?}"
                );
            }
        }
        [0xFE, inner @ ..] => {
            let (_, mut node, nonce) = pair(now);
            let Some(frame) = seal_by_hand(&nonce, inner) else {
                return;
            };
            decode_round_trip(&frame);
            let result = node.decapsulate(CTRL, &frame, now);
            match inner {
                [] => assert_eq!(result, Err(Error::Truncated(0x81))),
                [seq, ..] if seq & 0x10 != 0 => assert_eq!(result, Err(Error::Sequenced)),
                [_, command @ ..] => assert_eq!(result.as_deref(), Ok(command)),
            }
        }
        _ => {
            decode_round_trip(data);
            let (_, mut node, _) = pair(now);
            let _ = node.decapsulate(CTRL, data, now);
        }
    }
});
