//! `NetworkBackup::from_json` on hostile backup files (the user uploads them): no panic, and
//! whatever parses writes back (`to_json`) to a file that parses to the same backup and writes
//! back to the same text.
//!
//! Input: the file, as UTF-8 with invalid sequences replaced. Start from the Zigbee2MQTT sample
//! and the dictionary (see README.md), or random bytes rarely get past the JSON syntax.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zigbee::backup::NetworkBackup;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    if let Ok(backup) = NetworkBackup::from_json(&text) {
        let written = backup.to_json();
        let again = NetworkBackup::from_json(&written)
            .unwrap_or_else(|e| panic!("written backup refused: {e}\n{}", written.as_str()));
        assert_eq!(again, backup);
        assert_eq!(&*again.to_json(), &*written);
    }
});
