//! The ZDO parser on hostile APS payloads (announcements, descriptors and management answers
//! come from devices): `ZdoFrame::decode` never panics, and whatever decodes re-encodes and
//! decodes again to the same frame.
//!
//! Input: `cluster_id (2 bytes, little-endian) payload..`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zigbee::zdo::ZdoFrame;

fuzz_target!(|input: &[u8]| {
    let [lo, hi, payload @ ..] = input else {
        return;
    };
    let cluster = u16::from_le_bytes([*lo, *hi]);
    let Ok(frame) = ZdoFrame::decode(cluster, payload) else {
        return;
    };
    let bytes = frame
        .encode()
        .unwrap_or_else(|e| panic!("decoded {frame:?} does not re-encode: {e}"));
    let again = ZdoFrame::decode(cluster, &bytes)
        .unwrap_or_else(|e| panic!("re-encoded {frame:?} does not decode: {e}"));
    assert_eq!(again, frame, "round trip changed the frame");
});
