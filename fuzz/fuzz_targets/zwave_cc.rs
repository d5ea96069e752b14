//! Command class frames on hostile bytes (what a node puts in an ApplicationCommandHandler, or
//! what S0/S2 decrypt): `CommandClassFrame::decode` never panics, and whatever decodes is in its
//! one encoding, as the module promises (`encode(decode(b)) == b`, checked on published frames in
//! `tests/zwave_cc.rs`): it re-encodes to exactly the input and decodes again to itself. Nested
//! Multi Channel / Supervision encapsulations are decoded to `MAX_NESTING` levels.
//!
//! Input: the frame, `[cc, command, parameters..]`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zwave::cc::CommandClassFrame;

fuzz_target!(|input: &[u8]| {
    let Ok(frame) = CommandClassFrame::decode(input) else {
        return;
    };
    let bytes = frame
        .encode()
        .unwrap_or_else(|e| panic!("decoded {frame:?} does not re-encode: {e}"));
    assert_eq!(bytes, input, "not canonical: {frame:?}");
    assert_eq!(CommandClassFrame::decode(&bytes).as_ref(), Ok(&frame));
});
