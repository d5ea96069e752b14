//! `definitions::parse` on hostile text: a definition file comes from outside the hub (the
//! `[devices] dir`), so no input may panic it, and every refusal must point at a line and
//! column inside the text (an operator fixes the file from that message alone).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::definitions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match definitions::parse("fuzz.toml", text) {
        Ok(definition) => assert!(!definition.endpoints.is_empty()),
        Err(e) => {
            let at = e.location().expect("a refusal of text has a location");
            let lines = text.split('\n').count();
            assert!((1..=lines).contains(&at.line), "line {} of {lines}", at.line);
            assert!(at.column >= 1);
        }
    }
});
