//! `Certificate::verify` and `RevocationList::verify` on hostile bytes: no panic, and a verified
//! certificate keeps exactly the bytes it came from.
//!
//! Random bytes never carry a valid root signature, so the first byte picks a mode to get past it:
//!
//! - `0xFF claims..`: sign `claims` with the root key as a CWT framed exactly as
//!   `Certificate::issue` frames one, so the claims parser sees arbitrary bytes. Whatever
//!   verifies must be re-issued to the same bytes (one encoding per certificate).
//! - `0xFE payload..`: the same for a revocation list's payload; a verified list must sign back
//!   to the same bytes.
//! - `0xFD sel hi lo mask..`: XOR `mask` from offset `hi lo` onto a valid certificate (`sel`
//!   even) or revocation list (`sel` odd), as in `envelope_open`; whatever verifies must equal
//!   the original.
//! - anything else: the raw input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::identity::{Certificate, RevocationList};
use sealhub_fuzz::{certificate, cwt_around, fixture, mutate, revocation_list, root_signed};

/// Verifies `bytes` both ways; returns what verified.
fn verify_both(bytes: &[u8]) -> (Option<Certificate>, Option<RevocationList>) {
    let f = fixture();
    let root = f.hub.key.public_key();
    let cert = match Certificate::verify(bytes, &root, None) {
        Ok(cert) => {
            assert_eq!(cert.as_bytes(), bytes, "a certificate changed its bytes");
            for now in [0, 1_700_000_000, u64::MAX] {
                let _ = cert.check_time(now);
            }
            let _ = Certificate::verify(bytes, &root, Some(1_750_000_000));
            Some(cert)
        }
        Err(e) => {
            let _ = e.to_string();
            None
        }
    };
    let list = match RevocationList::verify(bytes, &root, f.hub.kid, None) {
        Ok(list) => {
            let _ = RevocationList::verify(bytes, &root, f.hub.kid, Some(list.number));
            let _ = RevocationList::verify(bytes, &root, f.hub.kid, Some(u64::MAX));
            if let Some(cert) = &cert {
                let _ = list.is_revoked(cert);
            }
            Some(list)
        }
        Err(e) => {
            let _ = e.to_string();
            None
        }
    };
    (cert, list)
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    match data {
        [0xFF, claims @ ..] => {
            let bytes = cwt_around(claims);
            if let (Some(cert), _) = verify_both(&bytes) {
                let again = Certificate::issue(cert.claims().clone(), &f.hub.key)
                    .expect("verified claims can be issued");
                assert_eq!(again.as_bytes(), bytes, "two encodings of one certificate");
            }
        }
        [0xFE, payload @ ..] => {
            let bytes = root_signed(payload);
            if let (_, Some(list)) = verify_both(&bytes) {
                let again = list
                    .sign(&f.hub.key)
                    .expect("a verified list can be signed");
                assert_eq!(again, bytes, "two encodings of one revocation list");
            }
        }
        [0xFD, sel, rest @ ..] => {
            let template: &[u8] = if sel % 2 == 0 {
                certificate().as_bytes()
            } else {
                revocation_list()
            };
            let mutated = mutate(template, *sel, rest);
            let (cert, list) = verify_both(&mutated);
            if let Some(cert) = cert {
                assert_eq!(
                    cert.claims(),
                    certificate().claims(),
                    "a tampered certificate"
                );
            }
            if let Some(list) = list {
                let original = RevocationList::verify(
                    revocation_list(),
                    &f.hub.key.public_key(),
                    f.hub.kid,
                    None,
                )
                .expect("the template verifies");
                assert_eq!(list, original, "a tampered revocation list");
            }
        }
        _ => {
            let _ = verify_both(data);
        }
    }
});
