//! `envelope::open` and `envelope::inspect::inspect` on hostile bytes: no input may panic, and no
//! mutation of a valid envelope may open to anything but what was sealed.
//!
//! A fuzzer that only sends random bytes stops at the AEAD tag: it cannot guess a ciphertext that
//! decrypts. So the first byte picks a mode, which lets it reach the deep paths too:
//!
//! - `0xFF sel hi lo mask..`: take the valid sealed envelope of type `sel % 6` (built once, from
//!   fixed keys) and XOR `mask` onto it from offset `hi lo` (see `sealhub_fuzz::mutate`: a longer
//!   mask appends bytes, `sel & 0x80` truncates after the mask). An empty mask is the valid
//!   message itself, so the fuzzer starts from a message that opens and every bit it sets is a
//!   tampering attempt. Whatever opens must be exactly what was sealed.
//! - `0xFE sel inner..`: encrypt `inner` as the outer layer of type `sel % 6` under the right key
//!   with a valid route, so the inner COSE_Sign1 parser and the signer checks see arbitrary bytes.
//! - `0xFD sel payload..`: sign `payload` as the body by the type's rightful signer, then seal it,
//!   so the body parser and the kind check see arbitrary bytes. It must open exactly when the
//!   payload is a valid body of that kind, and then to that body.
//! - anything else: the raw input. (`0xFD`–`0xFF` are not valid initial bytes of any CBOR item,
//!   so the modes take nothing away from raw inputs.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::envelope::{self, Body};
use sealhub_fuzz::{fixture, mutate, outer_around, route, sealed_payload, templates, type_from};

fn open_and_inspect(bytes: &[u8]) -> envelope::Result<envelope::Opened> {
    let f = fixture();
    if let Ok(view) = envelope::inspect::inspect(bytes) {
        let _ = view.to_string();
    }
    let opened = envelope::open(bytes, f);
    if let Err(e) = &opened {
        let _ = (e.to_string(), e.check());
    }
    opened
}

fuzz_target!(|data: &[u8]| {
    match data {
        [0xFF, sel, rest @ ..] => {
            let t = type_from(*sel);
            let template = &templates()[usize::from(*sel) % templates().len()];
            let mutated = mutate(template, *sel, rest);
            if let Ok(opened) = open_and_inspect(&mutated) {
                let original = envelope::open(template, fixture()).expect("the template opens");
                assert_eq!(
                    opened, original,
                    "a tampered {t:?} opened to something else"
                );
                assert_eq!(opened.route, route(t));
            }
        }
        [0xFE, sel, inner @ ..] => {
            let _ = open_and_inspect(&outer_around(type_from(*sel), inner));
        }
        [0xFD, sel, payload @ ..] => {
            let t = type_from(*sel);
            let opened = open_and_inspect(&sealed_payload(t, payload));
            let expected = Body::from_bytes(payload).ok().filter(|b| b.kind == t);
            match (opened, expected) {
                (Ok(o), Some(b)) => {
                    assert_eq!(o.body, b);
                    assert_eq!(o.signer, fixture().signer_for(t).kid);
                }
                (Err(_), None) => {}
                (Ok(o), None) => panic!("an invalid body opened: {o:?}"),
                (Err(e), Some(b)) => panic!("a valid body was refused ({e}): {b:?}"),
            }
        }
        _ => {
            let _ = open_and_inspect(data);
        }
    }
});
