//! The device model's decoders (`Command`, `Response`, `Event` and `Device` `from_bytes`) on
//! hostile bytes: no panic, whatever decodes passes `validate` and re-encodes to exactly the
//! input (one encoding per value: what a client signs is what the hub acts on), and decodes
//! again to itself.
//!
//! The same bytes, read leniently as any CBOR item (`cbor::decode`, which accepts long integer
//! forms and indefinite lengths), also go through every message type's `from_value`: whatever
//! that accepts must give back exactly the value it came from.
#![no_main]

use coset::cbor::value::Value;
use libfuzzer_sys::fuzz_target;
use sealhub::model::{Command, Device, Event, Response};

/// The round trip of one message type.
macro_rules! round_trip {
    ($ty:ty, $data:expr, $value:expr) => {
        if let Ok(message) = <$ty>::from_bytes($data) {
            assert_eq!(message.validate(), Ok(()), "{message:?} decoded but is invalid");
            assert_eq!(message.to_bytes(), $data, "{message:?} came from other bytes");
            assert_eq!(<$ty>::from_bytes(&message.to_bytes()).ok(), Some(message));
        }
        if let Some(value) = $value {
            if let Ok(message) = <$ty>::from_value(value) {
                assert_eq!(&message.to_value(), value, "{message:?} came from another value");
            }
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let lenient: Option<Value> = sealhub::cbor::decode(data, "fuzz").ok();
    round_trip!(Command, data, lenient.as_ref());
    round_trip!(Response, data, lenient.as_ref());
    round_trip!(Event, data, lenient.as_ref());
    round_trip!(Device, data, lenient.as_ref());
});
