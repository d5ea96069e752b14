//! The body of a key-distribution envelope (`KeyDistribution::from_value`) on hostile CBOR: what
//! a client reads after the hub's signature checked out, so a bug here is reachable only with
//! the hub's key, but it is the one place a client learns its epoch key.
//!
//! The bytes are read strictly (`cbor::decode_canonical`, what envelope bodies go through) and
//! leniently (`cbor::decode`); whatever `from_value` accepts must give back exactly the value it
//! came from (`to_value`), and from the strict reading exactly the input bytes, so one key
//! distribution has one encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::keymgmt::KeyDistribution;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = sealhub::cbor::decode_canonical(data, "fuzz")
        && let Ok(distribution) = KeyDistribution::from_value(&value)
    {
        let again = distribution.to_value();
        assert_eq!(again, value, "{distribution:?} came from another value");
        let bytes = sealhub::cbor::encode(&again);
        assert_eq!(bytes, data, "{distribution:?} came from other bytes");
    }
    if let Ok(value) = sealhub::cbor::decode(data, "fuzz")
        && let Ok(distribution) = KeyDistribution::from_value(&value)
    {
        assert_eq!(
            distribution.to_value(),
            value,
            "{distribution:?} came from another value"
        );
    }
});
