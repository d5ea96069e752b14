//! Set-up shared by sealhub's integration tests, in one place rather than copied into every
//! test file: a test file takes it with `mod support;` and uses the parts it needs.
//!
//! - [`zwave`]: a started Z-Wave driver on the emulated controller (`firmware_shim`) over a
//!   real pty, with plain and secure emulated nodes, inclusion, interviews and bounded waits
//!   for reports.

// Each test file uses only some of the helpers.
#![allow(dead_code)]

pub mod zwave;
