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
