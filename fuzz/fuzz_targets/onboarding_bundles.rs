//! The onboarding bundles on hostile bytes: `ClientBundle::from_bytes` and
//! `HubBundle::from_bytes` never panic, and whatever parses is in the one canonical encoding
//! (re-encoding gives back exactly the input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::onboarding::{ClientBundle, HubBundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = ClientBundle::from_bytes(data) {
        assert_eq!(bundle.to_bytes(), data, "client bundle not canonical");
    }
    if let Ok(bundle) = HubBundle::from_bytes(data) {
        assert_eq!(bundle.to_bytes(), data, "hub bundle not canonical");
    }
});
