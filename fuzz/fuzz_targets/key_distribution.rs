//! `KeyDistribution::from_value` on hostile CBOR: no panic, and whatever parses re-encodes to
//! the same value, so a client holds exactly the keys and certificates the hub signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::cbor::decode;
use sealhub::keymgmt::KeyDistribution;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = decode(data, "fuzz") else {
        return;
    };
    if let Ok(dist) = KeyDistribution::from_value(&value) {
        let again = dist.to_value();
        assert_eq!(again, value, "a key distribution parsed to something else");
        let back = KeyDistribution::from_value(&again).expect("its own encoding parses");
        assert_eq!(back.read, dist.read);
        assert_eq!(back.epoch, dist.epoch);
        assert_eq!(back.device_certs, dist.device_certs);
        assert_eq!(back.revocation_list, dist.revocation_list);
    }
});
