//! A client's command body as the gateway reads it (the interim model encoding of
//! `sealhub::gateway::core::ModelValue`, until the model's own encoding replaces it): hostile
//! CBOR never panics, and whatever decodes as a command writes back to the same value, so the
//! gateway never acts on something other than what was signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::gateway::core::ModelValue;
use sealhub::model::Command;

fuzz_target!(|input: &[u8]| {
    let Ok(value) = sealhub::cbor::decode(input, "command") else {
        return;
    };
    if let Ok(command) = Command::from_value(&value) {
        assert_eq!(command.to_value(), value, "{command:?}");
    }
});
