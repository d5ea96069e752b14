//! Z-Wave S2 and S0 against zwave-js: key derivation, SPAN nonces and whole encapsulated frames
//! that zwave-js 15.15.0's own security code computed (`tests/vectors/zwave-js-security.txt`,
//! written by `tests/interop/zwave-js/make-security-vectors.mjs`). sealhub's sessions must
//! derive the same keys and nonces, decrypt zwave-js's frames to the same commands, encrypt the
//! same commands to the same bytes (given the same entropy, nonces and sequence numbers), and
//! refuse every frame with one byte flipped or cut short. The last test re-runs the script
//! where the node modules are installed and compares its output with the recorded file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use sealhub_radios::zwave::cc::{
    Basic, BinarySwitch, CommandClassFrame, DoorLock, MultilevelSwitch,
};
use sealhub_radios::zwave::s0::{self, S0Command, S0Session};
use sealhub_radios::zwave::s2::session::{KeyId, S2Session};
use sealhub_radios::zwave::s2::{self, S2Command, SecurityClass};
use sealhub_radios::zwave::security::s0::S0Keys;
use sealhub_radios::zwave::security::x25519::PrivateKey;
use sealhub_radios::zwave::security::{Key128, kdf, span::Span};

const CONTROLLER: u8 = 1;
const S2_NODE: u8 = 2;
const S0_NODE: u8 = 3;
const AUTHENTICATED: KeyId = KeyId::Network(SecurityClass::S2Authenticated);

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/zwave-js-security.txt")
}

/// The recorded vectors: `name = hex` lines (comments start with `#`).
fn vectors() -> HashMap<String, Vec<u8>> {
    let text = std::fs::read_to_string(vectors_path()).unwrap();
    let map: HashMap<String, Vec<u8>> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.to_string(), hex::decode(v).unwrap()))
        .collect();
    assert!(map.len() > 40, "the vector file lost its values");
    map
}

struct V(HashMap<String, Vec<u8>>);

impl V {
    fn load() -> Self {
        V(vectors())
    }
    fn get(&self, name: &str) -> &[u8] {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("no vector {name}"))
    }
    fn a16(&self, name: &str) -> [u8; 16] {
        self.get(name).try_into().unwrap()
    }
    fn a32(&self, name: &str) -> [u8; 32] {
        self.get(name).try_into().unwrap()
    }
    fn a8(&self, name: &str) -> [u8; 8] {
        self.get(name).try_into().unwrap()
    }
    fn key(&self, name: &str) -> Key128 {
        Key128::from_slice(self.get(name)).unwrap()
    }
    fn home_id(&self) -> u32 {
        u32::from_be_bytes(self.get("input_home_id").try_into().unwrap())
    }
}

// ---- key derivation and nonces -----------------------------------------------------------------

#[test]
fn s2_network_and_temporary_keys_derive_as_zwave_js_derives_them() {
    let v = V::load();
    let net = kdf::derive_network_keys(&v.key("input_s2_network_key"));
    assert_eq!(net.ccm.as_bytes(), v.get("network_ccm"));
    assert_eq!(net.mpan.as_bytes(), v.get("network_mpan"));
    assert_eq!(&net.personalization.0[..], v.get("network_personalization"));

    let a = PrivateKey::from_bytes(v.a32("input_private_a"));
    let b = PrivateKey::from_bytes(v.a32("input_private_b"));
    assert_eq!(a.public_key(), v.a32("public_a"));
    assert_eq!(b.public_key(), v.a32("public_b"));
    let shared = a.diffie_hellman(&b.public_key()).unwrap();
    assert_eq!(shared.0, v.a32("shared_secret"));
    assert_eq!(b.diffie_hellman(&a.public_key()).unwrap().0, shared.0);
    let prk = kdf::compute_prk(&shared.0, &a.public_key(), &b.public_key());
    assert_eq!(prk.as_bytes(), v.get("prk"));
    let temp = kdf::derive_temp_keys(&prk);
    assert_eq!(temp.ccm.as_bytes(), v.get("temp_ccm"));
    assert_eq!(&temp.personalization.0[..], v.get("temp_personalization"));
}

#[test]
fn span_nonces_follow_zwave_js_sequence() {
    let v = V::load();
    let sender_ei = v.a16("input_span_sender_ei");
    let receiver_ei = v.a16("input_span_receiver_ei");
    let nonce_prk = kdf::compute_nonce_prk(&sender_ei, &receiver_ei);
    assert_eq!(nonce_prk.as_bytes(), v.get("nonce_prk"));
    assert_eq!(&kdf::derive_mei(&nonce_prk).0[..], v.get("mei"));
    let net = kdf::derive_network_keys(&v.key("input_s2_network_key"));
    let mut span = Span::new(&sender_ei, &receiver_ei, &net.personalization);
    for i in 0..4 {
        assert_eq!(
            &span.next_nonce().unwrap()[..],
            v.get(&format!("span_nonce_{i}")),
            "nonce {i}"
        );
    }
    // The order of the entropy inputs matters: swapped, the sequence is another one.
    let mut swapped = Span::new(&receiver_ei, &sender_ei, &net.personalization);
    assert_ne!(&swapped.next_nonce().unwrap()[..], v.get("span_nonce_0"));
}

#[test]
fn s0_keys_derive_as_zwave_js_derives_them() {
    let v = V::load();
    let keys = S0Keys::derive(&v.key("input_s0_network_key"));
    assert_eq!(keys.auth.as_bytes(), v.get("s0_auth_key"));
    assert_eq!(keys.enc.as_bytes(), v.get("s0_encryption_key"));
}

// ---- S2 frames --------------------------------------------------------------------------------

/// The commands zwave-js encapsulated, as sealhub's command class decoder reads them.
fn s2_expected_commands() -> [CommandClassFrame; 3] {
    [
        CommandClassFrame::Basic(Basic::Set { value: 0xFF }),
        CommandClassFrame::BinarySwitch(BinarySwitch::Set {
            value: 0x00,
            duration: Some(0xFF),
        }),
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Set {
            value: 42,
            duration: Some(0xFF),
        }),
    ]
}

/// Node 2's session, in the state zwave-js's receiver was in: it answered the controller's
/// Nonce Get with its first entropy input.
fn s2_receiver(v: &V) -> S2Session {
    let mut rx = S2Session::new(S2_NODE, v.home_id(), v.a32("input_s2_receiver_seed"));
    rx.set_network_key(
        SecurityClass::S2Authenticated,
        &v.key("input_s2_network_key"),
    );
    let S2Command::NonceReport {
        receiver_ei: Some(ei),
        ..
    } = rx.resync(CONTROLLER).unwrap()
    else {
        panic!("resync gives a Nonce Report SOS")
    };
    assert_eq!(ei, v.a16("s2_receiver_ei"), "the receiver EI zwave-js used");
    rx
}

#[test]
fn s2_frames_from_zwave_js_decrypt_to_their_commands() {
    let v = V::load();
    let mut rx = s2_receiver(&v);
    for (i, expected) in s2_expected_commands().into_iter().enumerate() {
        let got = rx
            .decapsulate(CONTROLLER, v.get(&format!("s2_frame_{i}")))
            .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        assert_eq!(
            got.plaintext,
            v.get(&format!("s2_frame_{i}_command")),
            "{i}"
        );
        assert_eq!(got.key, AUTHENTICATED);
        assert!(got.encrypted_extensions.is_empty());
        assert_eq!(CommandClassFrame::decode(&got.plaintext).unwrap(), expected);
    }
    // Each was accepted once: the first again is a duplicate.
    assert_eq!(
        rx.decapsulate(CONTROLLER, v.get("s2_frame_0")),
        Err(s2::Error::Duplicate {
            node: CONTROLLER,
            seq: 0x7F
        })
    );
}

#[test]
fn s2_encapsulation_gives_zwave_js_bytes() {
    let v = V::load();
    let mut tx = S2Session::new(CONTROLLER, v.home_id(), v.a32("input_s2_sender_seed"));
    tx.set_network_key(
        SecurityClass::S2Authenticated,
        &v.key("input_s2_network_key"),
    );
    let report = S2Command::NonceReport {
        seq: 0x10,
        mos: false,
        receiver_ei: Some(v.a16("s2_receiver_ei")),
    };
    tx.on_nonce_report(S2_NODE, &report).unwrap();
    tx.continue_sequence_after(S2_NODE, v.get("input_s2_last_sequence")[0]);
    for i in 0..3 {
        let frame = tx
            .encapsulate(
                S2_NODE,
                AUTHENTICATED,
                v.get(&format!("s2_frame_{i}_command")),
            )
            .unwrap();
        assert_eq!(
            hex::encode(&frame),
            hex::encode(v.get(&format!("s2_frame_{i}"))),
            "frame {i}"
        );
    }
    // The first carried our sender EI in its SPAN extension: the one zwave-js drew.
    let S2Command::MessageEncapsulation(first) = S2Command::decode(v.get("s2_frame_0")).unwrap()
    else {
        panic!("a Message Encapsulation")
    };
    assert_eq!(
        first.extensions,
        vec![s2::Extension::span(v.a16("s2_sender_ei"))]
    );
}

/// What sealhub must answer to frame `i` with byte `at` changed: the clear header decides
/// between a malformed frame and one that fails authentication (the sequence number, the SPAN
/// entropy, the ciphertext and the tag are all covered by CCM).
fn s2_flip_refusal(frame: &[u8], at: usize, seen: &[u8]) -> fn(&s2::Error) -> bool {
    let has_span = frame[3] & 1 != 0;
    match at {
        0 => |e| matches!(e, s2::Error::NotS2),
        // 0x03 → 0x02: a Nonce Report, too long to be one.
        1 => |e| {
            matches!(
                e,
                s2::Error::Invalid { .. } | s2::Error::TrailingBytes(_) | s2::Error::Truncated(_)
            )
        },
        // A sequence number changed to one seen before is a duplicate; else CCM fails.
        2 if seen.contains(&(frame[2] ^ 0x01)) => |e| matches!(e, s2::Error::Duplicate { .. }),
        // The flags byte: without the extension bit the frame brings no sender EI, and the
        // receiver, holding only its own EI, has no SPAN to read it with; with the bit, the
        // ciphertext is read as an extension.
        3 if has_span => |e| matches!(e, s2::Error::NoSpan(_)),
        3 => |e| {
            matches!(
                e,
                s2::Error::Invalid { .. } | s2::Error::Truncated(_) | s2::Error::CannotDecrypt(_)
            )
        },
        // The SPAN extension's length and type bytes (frame 0).
        4 | 5 if has_span => |e| {
            matches!(
                e,
                s2::Error::Invalid { .. } | s2::Error::Truncated(_) | s2::Error::CannotDecrypt(_)
            )
        },
        _ => |e| matches!(e, s2::Error::CannotDecrypt(_)),
    }
}

#[test]
fn s2_frames_from_zwave_js_with_a_byte_flipped_or_cut_are_refused() {
    let v = V::load();
    let mut rx = s2_receiver(&v);
    let mut seen = Vec::new();
    for i in 0..3 {
        let frame = v.get(&format!("s2_frame_{i}"));
        for at in 0..frame.len() {
            let mut bad = frame.to_vec();
            bad[at] ^= 0x01;
            let err = rx
                .decapsulate(CONTROLLER, &bad)
                .expect_err(&format!("frame {i} with byte {at} flipped"));
            assert!(
                s2_flip_refusal(frame, at, &seen)(&err),
                "frame {i}, byte {at} flipped: {err:?}"
            );
        }
        for len in 0..frame.len() {
            let err = rx
                .decapsulate(CONTROLLER, &frame[..len])
                .expect_err(&format!("frame {i} cut to {len} bytes"));
            let header = if i == 0 { 4 + 18 } else { 4 };
            let expected = match len {
                0 | 1 => matches!(err, s2::Error::NotS2 | s2::Error::Truncated(_)),
                l if l < header => matches!(err, s2::Error::Truncated(_)),
                // Shorter than the 8-byte tag, or a tag that does not match.
                _ => matches!(
                    err,
                    s2::Error::CannotDecrypt(_) | s2::Error::Security(_) | s2::Error::Truncated(_)
                ),
            };
            assert!(expected, "frame {i} cut to {len} bytes: {err:?}");
        }
        // None of it changed the receiver's state: the genuine frame still decrypts.
        let got = rx.decapsulate(CONTROLLER, frame).unwrap();
        assert_eq!(got.plaintext, v.get(&format!("s2_frame_{i}_command")));
        seen.push(frame[2]);
    }
}

// ---- S0 frames --------------------------------------------------------------------------------

fn s0_expected_commands() -> [CommandClassFrame; 3] {
    [
        CommandClassFrame::DoorLock(DoorLock::OperationSet { mode: 0xFF }),
        CommandClassFrame::DoorLock(DoorLock::OperationGet),
        CommandClassFrame::Basic(Basic::Set { value: 0x63 }),
    ]
}

fn s0_receiver(v: &V) -> S0Session {
    S0Session::new(
        S0_NODE,
        &v.key("input_s0_network_key"),
        v.a32("input_s0_receiver_seed"),
    )
}

/// Node 3 hands the controller its next nonce; it must be the one zwave-js encrypted with.
fn s0_issue_nonce(rx: &mut S0Session, v: &V, i: usize, now: Instant) {
    let S0Command::NonceReport { nonce } = rx.nonce_report(CONTROLLER, now).unwrap() else {
        panic!("a Nonce Report")
    };
    assert_eq!(nonce, v.a8(&format!("s0_frame_{i}_receiver_nonce")), "{i}");
}

#[test]
fn s0_frames_from_zwave_js_decrypt_to_their_commands() {
    let v = V::load();
    let now = Instant::now();
    let mut rx = s0_receiver(&v);
    for (i, expected) in s0_expected_commands().into_iter().enumerate() {
        s0_issue_nonce(&mut rx, &v, i, now);
        let frame = v.get(&format!("s0_frame_{i}"));
        let plain = rx.decapsulate(CONTROLLER, frame, now).unwrap();
        assert_eq!(plain, v.get(&format!("s0_frame_{i}_command")), "{i}");
        assert_eq!(CommandClassFrame::decode(&plain).unwrap(), expected);
        // The nonce is used up: the same frame again is refused.
        assert_eq!(
            rx.decapsulate(CONTROLLER, frame, now),
            Err(s0::Error::UnknownNonce(frame[frame.len() - 9]))
        );
    }
}

#[test]
fn s0_encapsulation_gives_zwave_js_bytes() {
    let v = V::load();
    let mut tx = S0Session::new(
        CONTROLLER,
        &v.key("input_s0_network_key"),
        v.a32("input_s0_sender_seed"),
    );
    for i in 0..3 {
        tx.on_nonce_report(S0_NODE, v.a8(&format!("s0_frame_{i}_receiver_nonce")));
        let frame = tx
            .encapsulate(S0_NODE, v.get(&format!("s0_frame_{i}_command")))
            .unwrap();
        assert_eq!(
            hex::encode(&frame),
            hex::encode(v.get(&format!("s0_frame_{i}"))),
            "frame {i}"
        );
        assert_eq!(&frame[2..10], v.get(&format!("s0_frame_{i}_sender_nonce")));
    }
}

#[test]
fn s0_frames_from_zwave_js_with_a_byte_flipped_or_cut_are_refused() {
    let v = V::load();
    let now = Instant::now();
    let mut rx = s0_receiver(&v);
    for i in 0..3 {
        s0_issue_nonce(&mut rx, &v, i, now);
        let frame = v.get(&format!("s0_frame_{i}"));
        let nonce_id_at = frame.len() - 9;
        for at in 0..frame.len() {
            let mut bad = frame.to_vec();
            bad[at] ^= 0x01;
            let err = rx
                .decapsulate(CONTROLLER, &bad, now)
                .expect_err(&format!("frame {i} with byte {at} flipped"));
            let expected = match at {
                0 => matches!(err, s0::Error::NotS0),
                // 0x81 → 0x80 is Network Key Set: read as one, it has bytes to spare.
                1 => matches!(
                    err,
                    s0::Error::NotS0 | s0::Error::UnknownCommand(_) | s0::Error::TrailingBytes(_)
                ),
                a if a == nonce_id_at => matches!(err, s0::Error::UnknownNonce(_)),
                _ => matches!(err, s0::Error::AuthenticationFailed),
            };
            assert!(expected, "frame {i}, byte {at} flipped: {err:?}");
        }
        for len in 0..frame.len() {
            let err = rx
                .decapsulate(CONTROLLER, &frame[..len], now)
                .expect_err(&format!("frame {i} cut to {len} bytes"));
            assert!(
                matches!(
                    err,
                    s0::Error::NotS0
                        | s0::Error::Truncated(_)
                        | s0::Error::UnknownNonce(_)
                        | s0::Error::AuthenticationFailed
                ),
                "frame {i} cut to {len} bytes: {err:?}"
            );
        }
        // The genuine frame still decrypts: nothing above used the nonce up.
        let plain = rx.decapsulate(CONTROLLER, frame, now).unwrap();
        assert_eq!(plain, v.get(&format!("s0_frame_{i}_command")));
    }
}

// ---- the recorded file against zwave-js itself --------------------------------------------------

/// Re-runs the script with the installed zwave-js and compares its output with the recorded
/// file. Skips (saying so) without `node` or the node modules; fails instead under
/// `SEALHUB_REQUIRE_INTEROP=1`.
#[test]
fn recorded_vectors_are_what_zwave_js_computes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/zwave-js");
    let required = std::env::var("SEALHUB_REQUIRE_INTEROP").is_ok_and(|v| v == "1");
    if !dir.join("node_modules/@zwave-js/core").is_dir() {
        assert!(
            !required,
            "zwave-js node modules missing in {}",
            dir.display()
        );
        eprintln!(
            "SKIPPED: no node modules in {} (npm ci there)",
            dir.display()
        );
        return;
    }
    let output = match std::process::Command::new("node")
        .arg("make-security-vectors.mjs")
        .current_dir(&dir)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(!required, "cannot run node: {e}");
            eprintln!("SKIPPED: cannot run node: {e}");
            return;
        }
    };
    assert!(
        output.status.success(),
        "make-security-vectors.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let recorded = std::fs::read_to_string(vectors_path()).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), recorded);
}
