//! How long tests that drive the emulators wait before they call something lost: the one place
//! that reads `SEALHUB_TEST_TIME_SCALE`. Driver timeouts in those tests only guard against a
//! hang; on a slow or heavily loaded machine set the variable (an integer, default 1) to
//! multiply every such guard, so no healthy exchange is cut off and no result flips.

use std::sync::OnceLock;
use std::time::Duration;

/// The environment variable that multiplies the tests' waits.
pub const SCALE_VARIABLE: &str = "SEALHUB_TEST_TIME_SCALE";

/// The factor from [`SCALE_VARIABLE`]: 1 when unset, empty, not a whole number or 0.
pub fn scale() -> u32 {
    static SCALE: OnceLock<u32> = OnceLock::new();
    *SCALE.get_or_init(|| {
        std::env::var(SCALE_VARIABLE)
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1)
    })
}

/// `base` multiplied by [`scale`]: a guard that is generous on a quiet machine and can be
/// made more so on a loaded one.
pub fn scaled(base: Duration) -> Duration {
    base.saturating_mul(scale())
}

/// The Z-Wave driver's timeouts for a test against the emulated controller: each only bounds a
/// healthy exchange (the emulator answers in milliseconds), scaled by [`scale`], so a lost
/// frame shows in seconds and a loaded machine flips no result; a quick reopen after an
/// unplug. One set for the driver tests here and sealhub's own.
pub fn zwave_driver_config() -> sealhub_radios::zwave::driver::DriverConfig {
    sealhub_radios::zwave::driver::DriverConfig {
        response_timeout: scaled(Duration::from_secs(5)),
        send_data_timeout: scaled(Duration::from_secs(5)),
        inclusion_timeout: scaled(Duration::from_secs(5)),
        started_timeout: scaled(Duration::from_secs(5)),
        reopen_backoff: sealhub_radios::port::Backoff::new(
            Duration::from_millis(20),
            Duration::from_millis(200),
        ),
        supervision_timeout: scaled(Duration::from_secs(5)),
        security_timeout: scaled(Duration::from_secs(5)),
        // The tests' user types the PIN as soon as asked (or never): only a guard against a
        // hang, never raced by a PIN on its way.
        pin_timeout: scaled(Duration::from_secs(30)),
        ..sealhub_radios::zwave::driver::DriverConfig::default()
    }
}
