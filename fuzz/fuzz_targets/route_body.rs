//! `Route::from_bytes` and `Body::from_bytes` on hostile bytes: no panic, and whatever parses is
//! in the one canonical encoding, so re-encoding it gives back exactly the input bytes (the route
//! is bound as AAD as it arrived and the body is signed as sent; two encodings of one value would
//! let them disagree with what the receiver acts on).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub::envelope::{Body, Route};

fuzz_target!(|data: &[u8]| {
    if let Ok(route) = Route::from_bytes(data) {
        assert_eq!(route.to_bytes(), data, "route is not canonical: {route:?}");
        assert_eq!(Route::from_bytes(&route.to_bytes()).ok(), Some(route));
    }
    if let Ok(body) = Body::from_bytes(data) {
        assert_eq!(body.to_bytes(), data, "body is not canonical: {body:?}");
        assert_eq!(Body::from_bytes(&body.to_bytes()).ok(), Some(body));
    }
});
