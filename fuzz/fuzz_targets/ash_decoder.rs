//! The streaming ASH decoder on hostile serial bytes, cut into chunks as a UART driver would
//! hand them over: no panic, the same frames whatever the chunking, and every frame it yields
//! re-encodes (`ash::frame::encode`) to wire bytes that a fresh decoder reads back as that frame.
//!
//! Input: `sizes data..`. The chunk lengths alternate between `1 + (sizes & 0x0F)` and
//! `1 + (sizes >> 4)`, so one byte covers byte-at-a-time feeding, mixed sizes and long chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zigbee::ash::{Decoder, frame};

fuzz_target!(|input: &[u8]| {
    let Some((&sizes, data)) = input.split_first() else {
        return;
    };
    let lengths = [1 + usize::from(sizes & 0x0F), 1 + usize::from(sizes >> 4)];

    let mut decoder = Decoder::new();
    let mut chunked = Vec::new();
    let mut rest = data;
    for &len in lengths.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        chunked.extend(decoder.feed(chunk));
        rest = tail;
    }

    // Chunking must not change what comes out.
    let whole = Decoder::new().feed(data);
    assert_eq!(
        chunked, whole,
        "chunk sizes {lengths:?} changed the decoded frames"
    );

    for frame in chunked.into_iter().flatten() {
        let wire = frame::encode(&frame);
        let again = Decoder::new().feed(&wire);
        assert_eq!(
            again,
            vec![Ok(frame.clone())],
            "{frame:?} re-encoded as {wire:02x?}"
        );
        assert_eq!(frame::decode(&frame::encode_body(&frame)), Ok(frame));
    }
});
