//! `sealhub import zwave-js`'s parsers on hostile files: the network cache (`jsonl-db` lines,
//! `parse_network_cache`), its values (`parse_values`), the older single-file cache
//! (`parse_legacy_cache`) and the keys (`parse_keys`). No panic; parsed nodes have ids
//! 1..=4000 matching their map key and command classes sorted and unique per end point; parsed
//! keys are at least one and never printed by `Debug`.
//!
//! Input: first byte picks the parser (modulo 4), the rest is the file as UTF-8 (lossy).
//! Seeds: `seeds/import_zwave_js/` (the sample files of `tests/vectors/import/zwave-js-*`,
//! with the selector byte).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::import::zwave_js::{
    MAX_NODE_ID, NetworkCache, parse_keys, parse_legacy_cache, parse_network_cache, parse_values,
};

fn check(nodes: &NetworkCache) {
    for (id, node) in nodes {
        assert_eq!(*id, node.node);
        assert!((1..=MAX_NODE_ID).contains(id));
        for ccs in node.endpoints.values() {
            assert!(ccs.windows(2).all(|w| w[0].cc < w[1].cc));
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, rest)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 4 {
        0 => {
            if let Ok(nodes) = parse_network_cache(&text) {
                check(&nodes);
            }
        }
        1 => {
            if let Ok(products) = parse_values(&text) {
                assert!(products.keys().all(|n| (1..=MAX_NODE_ID).contains(n)));
            }
        }
        2 => {
            if let Ok(nodes) = parse_legacy_cache(&text) {
                check(&nodes);
            }
        }
        _ => {
            if let Ok(keys) = parse_keys(&text) {
                assert!(!keys.0.is_empty());
                let shown = format!("{keys:?}");
                for key in keys.0.values() {
                    let bytes: String = key.as_bytes().iter().map(|b| format!("{b}")).collect();
                    assert!(!shown.contains(&bytes), "a key in {shown}");
                }
            }
        }
    }
});
