//! The NVM backup messages on hostile bytes: `NvmResponse::decode` (what a 700/800-series stick
//! answers NVM Backup/Restore with, the bytes the driver's backup trusts for lengths and
//! offsets), `NvmOperation::decode` (what the emulator reads), `NvmId::decode` and
//! `ExtReadRequest::decode` (the 500-series functions). No panic; whatever decodes re-encodes
//! to exactly the input (the short two-byte response excepted, which re-encodes in its long
//! form and decodes again to itself), and a read response's data is exactly as long as its
//! length byte says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zwave::serial::messages::nvm::{
    ExtReadRequest, NvmId, NvmOperation, NvmResponse,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = NvmResponse::decode(data) {
        let again = response.encode().expect("a decoded response re-encodes");
        if data.len() >= 4 {
            assert_eq!(again, data, "response not canonical: {response:?}");
            assert_eq!(response.data.len(), usize::from(data[1]));
        } else {
            assert_eq!(data.get(1), Some(&0), "a short response carries no data");
            assert!(response.data.is_empty());
        }
        assert_eq!(NvmResponse::decode(&again).as_ref(), Ok(&response));
        let _ = response.status.is_ok();
    }
    if let Ok(op) = NvmOperation::decode(data) {
        assert_eq!(op.encode().expect("re-encodes"), data, "{op:?}");
    }
    if let Ok(id) = NvmId::decode(data) {
        assert_eq!(id.encode(), data);
        if let Some(size) = id.size() {
            assert!(size.is_power_of_two() && size >= 16 * 1024);
        }
    }
    if let Ok(request) = ExtReadRequest::decode(data) {
        assert_eq!(request.encode().expect("re-encodes"), data);
        assert!(request.offset < 1 << 24);
    }
});
