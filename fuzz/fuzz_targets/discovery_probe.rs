//! The discovery probes' answer recognisers (`sealhub_radios::discovery::probe::Recogniser`) on
//! hostile bytes from a stick that may be anything: no panic, the same answer whatever the
//! chunking, and what the host owes back is only Serial API ACKs.
//!
//! Input: `selector data..`. The low bit of `selector` picks the protocol, the rest the chunk
//! length (1 to 128).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::discovery::Protocol;
use sealhub_radios::discovery::probe::Recogniser;

fuzz_target!(|input: &[u8]| {
    let Some((&selector, data)) = input.split_first() else {
        return;
    };
    let protocol = if selector & 1 == 0 {
        Protocol::Ezsp
    } else {
        Protocol::ZwaveSerialApi
    };
    let chunk = 1 + usize::from(selector >> 1);

    let mut whole = Recogniser::new(protocol);
    let at_once = whole.push(data);
    let mut pieces = Recogniser::new(protocol);
    let mut chunked = None;
    for part in data.chunks(chunk) {
        let answer = pieces.push(part);
        if chunked.is_none() {
            chunked = answer;
        }
        assert!(pieces.take_output().iter().all(|b| *b == 0x06));
    }
    assert_eq!(at_once, chunked);
});
