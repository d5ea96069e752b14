//! Runs an [`EmulatedController`] on a pseudo-terminal, so a driver opens it exactly as it opens
//! a USB Z-Wave stick: by path. The same shape as the Zigbee emulator's `pty` module.
//!
//! [`spawn_on_pty`] creates a pty pair, keeps the master in a tokio task, drops the pair's
//! slave handle (so the driver can open the slave exclusively), and points a symlink at the
//! slave when asked, standing in for `/dev/serial/by-id/...`. The task feeds what the host
//! writes into the stick, writes back what it answers, and ticks it every `tick`.
//!
//! [`EmulatorHandle::unplug`] closes the master and removes the symlink (the driver's reads fail
//! as they do when a stick is pulled); [`EmulatorHandle::replug`] makes a new pty, power-cycles
//! the stick (network kept, RAM state lost) and re-points the symlink.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::pty::{Firmware, PtyTask};

use sealhub_radios::zwave::serial::messages::HostMessage;

use super::controller::ControllerConfig;
use super::stick::{EmulatedController, HostMessageHook, Override};

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct PtyConfig {
    /// A symlink to create (and re-point on replug) to the slave; `None` returns the slave's
    /// own path, which changes on replug.
    pub link: Option<PathBuf>,
    /// The controller's identity.
    pub controller: ControllerConfig,
    /// One emulator tick (for [`Override::Delay`] and retransmissions).
    pub tick: Duration,
}

impl PtyConfig {
    /// A default stick behind `link`, ticking every 10 ms.
    pub fn new(link: impl Into<PathBuf>) -> Self {
        Self {
            link: Some(link.into()),
            controller: ControllerConfig::default(),
            tick: Duration::from_millis(10),
        }
    }
}

/// Control of a running emulator. Dropping every handle stops the task and removes the link.
#[derive(Debug, Clone)]
pub struct EmulatorHandle {
    task: PtyTask<EmulatedController>,
}

/// Starts the emulator; returns the path the driver should open and the handle.
pub async fn spawn_on_pty(config: PtyConfig) -> io::Result<(PathBuf, EmulatorHandle)> {
    let (path, task) = PtyTask::spawn(
        EmulatedController::new(config.controller.clone()),
        config.link.clone(),
        config.tick,
    )?;
    Ok((path, EmulatorHandle { task }))
}

impl EmulatorHandle {
    /// Runs `f` on the stick (overrides, faults, assertions), then lets the task write whatever
    /// it produced.
    pub fn with_stick<R>(&self, f: impl FnOnce(&mut EmulatedController) -> R) -> R {
        self.task.with_stick(f)
    }

    /// Installs an override hook (see [`Override`]).
    pub fn set_override(&self, hook: impl FnMut(&HostMessage) -> Override + Send + 'static) {
        let hook: HostMessageHook = Box::new(hook);
        self.with_stick(|s| s.set_override(hook));
    }

    /// Back to default behaviour for every frame.
    pub fn clear_override(&self) {
        self.with_stick(EmulatedController::clear_override);
    }

    /// The chip restarts on its own and announces it (SerialApiStarted).
    pub fn restart(&self) {
        self.with_stick(EmulatedController::restart);
    }

    /// The chip stops answering, or starts again.
    pub fn set_silent(&self, silent: bool) {
        self.with_stick(|s| s.set_silent(silent));
    }

    /// Writes raw bytes (garbage, stray ACK/NAK/CAN) onto the wire.
    pub fn send_raw(&self, bytes: &[u8]) {
        self.with_stick(|s| s.send_raw(bytes));
    }

    /// Pulls the stick: the pty master is closed and the link removed. Returns once done.
    pub async fn unplug(&self) {
        self.task.unplug().await;
    }

    /// Plugs it back in: a new pty, the link re-pointed, the chip power-cycled (network kept).
    /// Returns the path to open (the link, or the new slave path without one).
    pub async fn replug(&self) -> io::Result<PathBuf> {
        self.task.replug().await
    }
}

impl Firmware for EmulatedController {
    fn on_bytes(&mut self, bytes: &[u8]) {
        EmulatedController::on_bytes(self, bytes);
    }
    fn tick(&mut self) {
        EmulatedController::tick(self);
    }
    fn take_output(&mut self) -> Vec<u8> {
        EmulatedController::take_output(self)
    }
    fn power_cycle(&mut self) {
        EmulatedController::power_cycle(self);
    }
}
