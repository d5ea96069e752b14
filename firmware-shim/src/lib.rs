//! Emulators of the radio sticks sealhub drives, run on pseudo-terminals so the real drivers can
//! be tested end to end without hardware, and so other host programs can be pointed at them.
//!
//! - [`ezsp_ncp`]: a Silicon Labs EmberZNet Zigbee stick (EZSP over ASH).
//! - [`zwave_controller`]: a Z-Wave 700-series USB controller (Serial API).
//! - [`pty`]: the pseudo-terminal plumbing both share.
//! - [`test_time`]: the one scale factor (`SEALHUB_TEST_TIME_SCALE`) for the tests' waits.
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_docs)]

pub mod ezsp_ncp;
pub mod interop;
pub mod pty;
pub mod test_time;
pub mod zwave_controller;
