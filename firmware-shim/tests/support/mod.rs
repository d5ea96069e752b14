//! Shared set-up of the driver tests in `firmware-shim/tests/` ([`zwave`] for the Z-Wave
//! ones). For Zigbee: the emulated EZSP stick
//! on a pty in a test's temporary directory, the real driver opened on it (and started), the
//! driver timeouts those tests use, and bounded waits for radio events. A test file takes what
//! it needs (`mod support;`) and states only where it differs (a driver setting, the stick's
//! configuration), so the set-up is written once.
//!
//! Every wait is bounded ([`soon`], or the limit a test passes), so a regression fails instead
//! of hanging; nothing here decides an outcome by how long something took.

#![allow(dead_code)]

pub mod zwave;

use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, NcpConfig, PtyConfig, spawn_on_pty};
use firmware_shim::test_time::scaled;
use sealhub_radios::port::{Backoff, PortConfig};
use sealhub_radios::zigbee::driver::{DriverConfig, NetworkInfo, RadioEvent, ZigbeeStick};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous bound for anything that should take milliseconds (10 s, times
/// `SEALHUB_TEST_TIME_SCALE`): a guard against a hang, never an outcome.
pub fn soon() -> Duration {
    scaled(Duration::from_secs(10))
}

/// The driver's events.
pub type Events = mpsc::Receiver<RadioEvent>;

/// Driver timeouts for an emulated stick: short enough that a lost answer fails a test soon,
/// long enough for a loaded machine (and each multiplied by `SEALHUB_TEST_TIME_SCALE`); a
/// quick reopen after an unplug.
pub fn driver_config() -> DriverConfig {
    DriverConfig {
        command_timeout: scaled(Duration::from_secs(5)),
        ready_timeout: scaled(Duration::from_secs(5)),
        callback_timeout: scaled(Duration::from_secs(5)),
        reopen_backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(200)),
        device_timeout: scaled(Duration::from_secs(3)),
        ..DriverConfig::default()
    }
}

/// The emulated stick configured by `ncp`, on a pty linked as `dir/name`: the pty's path and
/// the emulator's handle.
pub async fn emulator(dir: &Path, name: &str, ncp: NcpConfig) -> (PathBuf, EmulatorHandle) {
    let config = PtyConfig {
        ncp,
        ..PtyConfig::new(dir.join(name))
    };
    spawn_on_pty(config).await.expect("emulator on a pty")
}

/// The driver opened on the pty at `path` with `config` (not started).
pub async fn open(path: &Path, config: DriverConfig) -> (ZigbeeStick, Events) {
    ZigbeeStick::open_with(PortConfig::new(path), config)
        .await
        .expect("driver opens the pty")
}

/// An emulated stick and the driver opened on it (not started).
pub async fn opened(
    dir: &Path,
    name: &str,
    ncp: NcpConfig,
    config: DriverConfig,
) -> (EmulatorHandle, ZigbeeStick, Events) {
    let (path, emu) = emulator(dir, name, ncp).await;
    let (stick, events) = open(&path, config).await;
    (emu, stick, events)
}

/// Starts the opened driver (forming or resuming the network), within `limit`.
pub async fn start_within(stick: &ZigbeeStick, limit: Duration) -> NetworkInfo {
    timeout(limit, stick.start())
        .await
        .expect("start-up does not hang")
        .expect("start-up succeeds")
}

/// Starts the opened driver (forming or resuming the network), within [`soon`].
pub async fn start(stick: &ZigbeeStick) -> NetworkInfo {
    start_within(stick, soon()).await
}

/// An emulated stick and the driver started on it.
pub async fn started(
    dir: &Path,
    name: &str,
    ncp: NcpConfig,
    config: DriverConfig,
) -> (EmulatorHandle, ZigbeeStick, Events) {
    let (emu, stick, events) = opened(dir, name, ncp, config).await;
    start(&stick).await;
    (emu, stick, events)
}

/// The first event that `want` accepts, within `limit`; earlier ones are dropped.
pub async fn event_within(
    events: &mut Events,
    limit: Duration,
    want: impl Fn(&RadioEvent) -> bool,
) -> RadioEvent {
    timeout(limit, async {
        loop {
            let e = events.recv().await.expect("event stream open");
            if want(&e) {
                return e;
            }
        }
    })
    .await
    .expect("expected event did not come")
}

/// The first event that `want` accepts, within [`soon`]; earlier ones are dropped.
pub async fn event(events: &mut Events, want: impl Fn(&RadioEvent) -> bool) -> RadioEvent {
    event_within(events, soon(), want).await
}
