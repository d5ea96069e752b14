//! Pairing frames on hostile bytes: `Message::from_bytes` never panics, and whatever parses is
//! in the one canonical encoding (re-encoding gives back exactly the input); a hub conversation
//! waiting for PairShare takes the same bytes and either answers or ends with an error.
#![no_main]

use std::sync::OnceLock;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use sealhub::pairing::verifier::MIN_ITERATIONS;
use sealhub::pairing::{HubPairing, Message, PasscodeVerifier, SetupCode, Timeouts};

fn verifier() -> &'static PasscodeVerifier {
    static VERIFIER: OnceLock<PasscodeVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let code = SetupCode::parse("1456-7894").expect("valid code");
        PasscodeVerifier::derive(&code, &[7u8; 32], MIN_ITERATIONS).expect("verifier")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::from_bytes(data) {
        assert_eq!(message.to_bytes(), data, "not canonical: {message:?}");
        assert_eq!(Message::from_bytes(&message.to_bytes()).ok(), Some(message));
    }
    let now = Instant::now();
    let (mut hub, _params) =
        HubPairing::start("fuzz", 1, verifier(), b"hub", now, Timeouts::default())
            .expect("hub start");
    let _ = hub.receive(data, now);
    let _ = hub.receive(data, now);
});
