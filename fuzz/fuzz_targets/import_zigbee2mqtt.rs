//! `sealhub import zigbee2mqtt`'s parsers on hostile files (the user hands over a directory
//! another program wrote): herdsman's `database.db` (`parse_database`) and the YAML of
//! `configuration.yaml` and devices files (`parse_friendly_names`, `parse_devices_file`). No
//! panic; a refusal on a line names a line inside the text; a parsed database has one entry per
//! IEEE address and endpoints in order; every parsed name passes `checked_name` unchanged.
//!
//! Input: first byte picks the parser (even: database, odd: YAML), the rest is the file as
//! UTF-8 (lossy). Seeds: `seeds/import_zigbee2mqtt/` (the sample files of
//! `tests/vectors/import/zigbee2mqtt/`, with the selector byte).
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use sealhub::import::zigbee2mqtt::{
    DevicesSection, checked_name, parse_database, parse_devices_file, parse_friendly_names,
};

fuzz_target!(|input: &[u8]| {
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if selector % 2 == 0 {
        match parse_database(&text) {
            Ok(db) => {
                let unique: BTreeSet<u64> = db.devices.iter().map(|d| d.eui64).collect();
                assert_eq!(unique.len(), db.devices.len());
                for d in &db.devices {
                    assert!(d.endpoints.windows(2).all(|w| w[0].endpoint < w[1].endpoint));
                }
            }
            Err(e) => {
                let lines = text.split('\n').count();
                assert!(e.line.is_some_and(|l| (1..=lines).contains(&l)), "{e}");
            }
        }
    } else {
        let names = match parse_friendly_names(&text) {
            Ok(DevicesSection::Names(names)) => names,
            _ => Default::default(),
        };
        let more = parse_devices_file(&text).unwrap_or_default();
        for name in names.values().chain(more.values()) {
            assert_eq!(checked_name(name).as_deref(), Ok(name.as_str()));
        }
    }
});
