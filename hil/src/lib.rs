//! Where the hardware-in-the-loop suite gets its sticks: a real one when its environment
//! variable names a device, the emulator otherwise. The scenarios in `hil/tests/` are written
//! once against this and run in CI on the emulator and on a desk against real hardware.
//!
//! - [`devices`]: the `hil/devices.toml` a user writes, listing real devices to test.
//! - [`scenarios`]: what is run for each device, by kind.
//! - [`emulated`]: the emulated devices CI runs the same scenarios on.

pub mod devices;
pub mod emulated;
pub mod scenarios;

use std::path::PathBuf;

use firmware_shim::ezsp_ncp::{EmulatorHandle, PtyConfig, spawn_on_pty};
use firmware_shim::zwave_controller as zw;

/// Names the Z-Wave controller to test, e.g. `/dev/serial/by-id/usb-Zooz_800_Z-Wave_Stick_...`.
pub const ZWAVE_ENV: &str = "SEALHUB_HIL_ZWAVE";

/// Names the Zigbee stick to test, e.g. `/dev/serial/by-id/usb-ITead_Sonoff_Zigbee_3.0_...`.
pub const ZIGBEE_ENV: &str = "SEALHUB_HIL_ZIGBEE";

/// A Zigbee stick under test: its device path, and the emulator behind it when there is one.
pub struct ZigbeeUnderTest {
    /// The path to open, a real device or the emulator's pty link.
    pub path: PathBuf,
    /// The emulator, kept alive for the test; `None` on real hardware.
    pub emulator: Option<EmulatorHandle>,
    _dir: Option<tempfile::TempDir>,
}

impl ZigbeeUnderTest {
    /// Whether the test runs against a real stick (some scenarios, such as unplugging, need
    /// the emulator and are skipped, with a message, on hardware).
    pub fn is_real(&self) -> bool {
        self.emulator.is_none()
    }
}

/// The stick named by [`ZIGBEE_ENV`], or a fresh emulated one.
pub async fn zigbee_stick() -> ZigbeeUnderTest {
    if let Some(path) = std::env::var_os(ZIGBEE_ENV).filter(|p| !p.is_empty()) {
        return ZigbeeUnderTest {
            path: PathBuf::from(path),
            emulator: None,
            _dir: None,
        };
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
    let (path, emulator) = spawn_on_pty(PtyConfig::new(dir.path().join("ezsp-stick")))
        .await
        .unwrap_or_else(|e| panic!("cannot start the emulated Zigbee stick: {e}"));
    ZigbeeUnderTest {
        path,
        emulator: Some(emulator),
        _dir: Some(dir),
    }
}

/// A Z-Wave controller under test: its device path, and the emulator behind it when there is one.
pub struct ZwaveUnderTest {
    /// The path to open, a real device or the emulator's pty link.
    pub path: PathBuf,
    /// The emulator, kept alive for the test; `None` on real hardware.
    pub emulator: Option<zw::EmulatorHandle>,
    _dir: Option<tempfile::TempDir>,
}

/// The controller named by [`ZWAVE_ENV`], or a fresh emulated one with no nodes.
pub async fn zwave_stick() -> ZwaveUnderTest {
    if let Some(path) = std::env::var_os(ZWAVE_ENV).filter(|p| !p.is_empty()) {
        return ZwaveUnderTest {
            path: PathBuf::from(path),
            emulator: None,
            _dir: None,
        };
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
    let (path, emulator) = zw::spawn_on_pty(zw::PtyConfig::new(dir.path().join("zwave-stick")))
        .await
        .unwrap_or_else(|e| panic!("cannot start the emulated Z-Wave controller: {e}"));
    ZwaveUnderTest {
        path,
        emulator: Some(emulator),
        _dir: Some(dir),
    }
}

/// The first event for which `pick` returns `Some`, skipping others; `None` if the stream ends
/// or `limit` passes first, so a stick that never reports cannot hang a test.
pub async fn next_event<E, T>(
    events: &mut tokio::sync::mpsc::Receiver<E>,
    limit: std::time::Duration,
    mut pick: impl FnMut(E) -> Option<T>,
) -> Option<T> {
    tokio::time::timeout(limit, async {
        while let Some(e) = events.recv().await {
            if let Some(t) = pick(e) {
                return Some(t);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}
