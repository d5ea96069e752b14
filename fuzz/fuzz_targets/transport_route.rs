//! The transport's door check (`transport::route::client_frame_route`) on hostile frames: no
//! panic, and a frame passes only as a command of this home whose route, re-encoded, is exactly
//! the bytes in its header (so the route the hub is handed is the one the envelope binds).
//!
//! Input: `mode data..`. An even `mode` sends `data` as the whole frame; an odd one wraps
//! `data` as the route header of a COSE_Encrypt, so the fuzzer reaches the route parser
//! without first having to find a well-formed COSE structure.
#![no_main]

use coset::cbor::value::Value;
use coset::{CoseEncryptBuilder, HeaderBuilder, TaggedCborSerializable};
use libfuzzer_sys::fuzz_target;
use sealhub::envelope::{MessageType, ROUTE_LABEL};
use sealhub::identity::Kid;
use sealhub::transport::route::client_frame_route;

const HOME: Kid = Kid([1, 2, 3, 4, 5, 6, 7, 8]);

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let frame = if mode % 2 == 0 {
        data.to_vec()
    } else {
        match CoseEncryptBuilder::new()
            .unprotected(
                HeaderBuilder::new()
                    .value(ROUTE_LABEL, Value::Bytes(data.to_vec()))
                    .build(),
            )
            .ciphertext(vec![0; 16])
            .build()
            .to_tagged_vec()
        {
            Ok(frame) => frame,
            Err(_) => return,
        }
    };
    if let Ok(route) = client_frame_route(&frame, &HOME) {
        assert_eq!(route.home, HOME);
        assert_eq!(route.msg_type, MessageType::Command);
        if mode % 2 == 1 {
            assert_eq!(route.to_bytes(), data, "route is not canonical: {route:?}");
        }
    }
});
