//! The COSE layer on hostile bytes: `decode_sign1`, `decode_encrypt0` and `decode_encrypt`, then
//! `sign1_verify`, `encrypt0_open` (and `open_with_header_alg`) and `open_ecdh_es` with fixed
//! keys. No input may panic.
//!
//! As in `envelope_open`, `0xFF sel hi lo mask..` XORs `mask` from offset `hi lo` onto a valid
//! Sign1 (`sel % 3 == 0`), Encrypt0 (1) or Encrypt (2) made once from fixed keys, so the fuzzer
//! starts past the signature and the AEAD tag; whatever then verifies or decrypts must give the
//! original payload.
#![no_main]

use coset::{CborSerializable, Header, HeaderBuilder, TaggedCborSerializable};
use libfuzzer_sys::fuzz_target;
use sealhub::cose::{self, ContentAlgorithm, EcdhEsRecipient};
use sealhub::crypto::AeadKey;
use sealhub_fuzz::{IV, fixture, mutate};
use std::sync::OnceLock;

const AAD: &[u8] = b"fuzz aad";
const PLAINTEXT: &[u8] = b"turn the porch light on";

/// The Sign1, Encrypt0 and Encrypt templates.
fn templates() -> &'static [Vec<u8>; 3] {
    static T: OnceLock<[Vec<u8>; 3]> = OnceLock::new();
    T.get_or_init(|| {
        let f = fixture();
        let sign1 = cose::sign1_create(
            Header::default(),
            HeaderBuilder::new().key_id(f.hub.kid.0.to_vec()).build(),
            PLAINTEXT.to_vec(),
            AAD,
            &f.hub.key,
        )
        .to_tagged_vec()
        .expect("encode");
        let encrypt0 = cose::encrypt0_create(
            ContentAlgorithm::A128Gcm,
            &f.epoch_key,
            IV,
            Header::default(),
            PLAINTEXT,
            AAD,
        )
        .expect("seal")
        .to_tagged_vec()
        .expect("encode");
        let encrypt = cose::encrypt_ecdh_es(
            ContentAlgorithm::A128Gcm,
            &f.device.key.public_key(),
            &f.device.kid.0,
            &f.ephemeral,
            IV,
            Header::default(),
            PLAINTEXT,
            AAD,
        )
        .expect("seal")
        .to_vec()
        .expect("encode");
        [sign1, encrypt0, encrypt]
    })
}

/// Runs every decoder and opener; returns the payloads that verified or decrypted.
fn decode_all(bytes: &[u8]) -> Vec<Vec<u8>> {
    let f = fixture();
    let mut out = Vec::new();
    if let Ok(msg) = cose::decode_sign1(bytes) {
        if let Ok((payload, _)) = cose::sign1_verify(&msg, AAD, &f.hub.key.public_key()) {
            out.push(payload.to_vec());
        }
        let _ = cose::sign1_verify(&msg, b"", &f.device.key.public_key());
        let _ = msg.to_vec();
    }
    if let Ok(msg) = cose::decode_encrypt0(bytes) {
        if let Ok(pt) = cose::encrypt0_open(&msg, ContentAlgorithm::A128Gcm, &f.epoch_key, AAD) {
            out.push(pt.to_vec());
        }
        let _ = cose::encrypt0_open(
            &msg,
            ContentAlgorithm::A256Gcm,
            &AeadKey::Aes256([0x42; 32]),
            AAD,
        );
        if let Ok(pt) = cose::open_with_header_alg(&msg, &f.epoch_key, AAD) {
            out.push(pt.to_vec());
        }
        let _ = msg.to_vec();
    }
    if let Ok(msg) = cose::decode_encrypt(bytes) {
        let by_kid = EcdhEsRecipient {
            key: &f.device.key,
            kid: Some(&f.device.kid.0),
        };
        if let Ok(pt) = cose::open_ecdh_es(&msg, ContentAlgorithm::A128Gcm, by_kid, AAD) {
            out.push(pt.to_vec());
        }
        let only = EcdhEsRecipient {
            key: &f.device.key,
            kid: None,
        };
        if let Ok(pt) = cose::open_ecdh_es(&msg, ContentAlgorithm::A128Gcm, only, AAD) {
            out.push(pt.to_vec());
        }
        let _ = msg.to_vec();
    }
    out
}

fuzz_target!(|data: &[u8]| {
    match data {
        [0xFF, sel, rest @ ..] => {
            let template = &templates()[usize::from(*sel) % 3];
            let mutated = mutate(template, *sel, rest);
            for payload in decode_all(&mutated) {
                assert_eq!(
                    payload, PLAINTEXT,
                    "a tampered message gave another payload"
                );
            }
        }
        _ => {
            let _ = decode_all(data);
        }
    }
});
