//! The ZCL parser on hostile APS payloads (what any device on the network can send):
//! `ZclMessage::decode` never panics, and whatever decodes re-encodes and decodes again to the
//! same message, so the driver never acts on a value it could not have been sent. Both stages are
//! exercised: the frame split (`ZclFrame`) and the per-cluster payload decode.
//!
//! Input: `cluster_id (2 bytes, little-endian) payload..`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zigbee::zcl::ZclMessage;

fuzz_target!(|input: &[u8]| {
    let [lo, hi, payload @ ..] = input else {
        return;
    };
    let cluster = u16::from_le_bytes([*lo, *hi]);
    let Ok(message) = ZclMessage::decode(cluster, payload) else {
        return;
    };
    let bytes = message
        .encode()
        .unwrap_or_else(|e| panic!("decoded {message:?} does not re-encode: {e}"));
    let again = ZclMessage::decode(cluster, &bytes)
        .unwrap_or_else(|e| panic!("re-encoded {message:?} does not decode: {e}"));
    assert_eq!(again, message, "round trip changed the message");
});
