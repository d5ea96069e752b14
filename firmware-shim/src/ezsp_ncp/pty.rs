//! Runs an [`EmulatedStick`] on a pseudo-terminal, so a driver opens it exactly as it opens a
//! USB stick: by path.
//!
//! [`spawn_on_pty`] creates a pty pair, keeps the master in a tokio task, drops the pair's
//! slave handle (so the driver can open the slave exclusively), and points a symlink at the
//! slave when asked, standing in for `/dev/serial/by-id/...`. The task feeds what the host
//! writes into the stick, writes back what it answers, and ticks it every `tick`.
//!
//! [`EmulatorHandle::unplug`] closes the master and removes the symlink (the driver's reads fail
//! as they do when a stick is pulled); [`EmulatorHandle::replug`] makes a new pty, power-cycles
//! the stick (tokens kept) and re-points the symlink.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::pty::{Firmware, PtyTask};
use sealhub_radios::zigbee::ash::ResetCode;
use sealhub_radios::zigbee::ezsp::Callback;

use super::ncp::NcpConfig;
use super::stick::{EmulatedStick, HostFrameHook};

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct PtyConfig {
    /// A symlink to create (and re-point on replug) to the slave; `None` returns the slave's
    /// own path, which changes on replug.
    pub link: Option<PathBuf>,
    /// The stick's identity and radio environment.
    pub ncp: NcpConfig,
    /// One emulator tick (for [`super::stick::Override::Delay`]).
    pub tick: Duration,
}

impl PtyConfig {
    /// A default stick behind `link`, ticking every 10 ms.
    pub fn new(link: impl Into<PathBuf>) -> Self {
        Self {
            link: Some(link.into()),
            ncp: NcpConfig::default(),
            tick: Duration::from_millis(10),
        }
    }
}

/// Control of a running emulator. Dropping every handle stops the task and removes the link.
#[derive(Debug, Clone)]
pub struct EmulatorHandle {
    task: PtyTask<EmulatedStick>,
}

/// Starts the emulator; returns the path the driver should open and the handle.
pub async fn spawn_on_pty(config: PtyConfig) -> io::Result<(PathBuf, EmulatorHandle)> {
    let mut stick = EmulatedStick::new(config.ncp.clone());
    stick.set_tick_length(config.tick);
    let (path, task) = PtyTask::spawn(stick, config.link.clone(), config.tick)?;
    Ok((path, EmulatorHandle { task }))
}

impl EmulatorHandle {
    /// Runs `f` on the stick (overrides, faults, assertions), then lets the task write whatever
    /// it produced.
    pub fn with_stick<R>(&self, f: impl FnOnce(&mut EmulatedStick) -> R) -> R {
        self.task.with_stick(f)
    }

    /// Installs an override hook (see [`super::stick::Override`]).
    pub fn set_override(
        &self,
        hook: impl FnMut(&super::ncp::EzspFrameFromHost) -> super::stick::Override + Send + 'static,
    ) {
        let hook: HostFrameHook = Box::new(hook);
        self.with_stick(|s| s.set_override(hook));
    }

    /// Back to default behaviour for every frame.
    pub fn clear_override(&self) {
        self.with_stick(EmulatedStick::clear_override);
    }

    /// The chip resets on its own (unprompted RSTACK).
    pub fn reset(&self, code: ResetCode) {
        self.with_stick(|s| s.reset(code));
    }

    /// The chip stops answering, or starts again.
    pub fn set_silent(&self, silent: bool) {
        self.with_stick(|s| s.set_silent(silent));
    }

    /// Writes raw bytes (garbage, CANCEL) onto the wire.
    pub fn send_raw(&self, bytes: &[u8]) {
        self.with_stick(|s| s.send_raw(bytes));
    }

    /// The NCP sends an unprompted callback (see [`EmulatedStick::send_callback`]).
    pub fn send_callback(&self, callback: Callback) {
        self.with_stick(|s| s.send_callback(callback));
    }

    /// A simulated device tries to join (see [`super::ncp::Ncp::join_device`]): its node ID, or
    /// why the trust center refused it.
    pub fn join_device(
        &self,
        device: super::devices::SimulatedDevice,
    ) -> Result<u16, super::devices::JoinRefusal> {
        self.with_stick(|s| s.ncp_mut().join_device(device))
    }

    /// `device` tries to join when the host next opens the network (see
    /// [`super::ncp::Ncp::join_when_permitted`]).
    pub fn join_when_permitted(&self, device: super::devices::SimulatedDevice) {
        self.with_stick(|s| s.ncp_mut().join_when_permitted(device));
    }

    /// Every join attempt so far and its outcome.
    pub fn join_log(&self) -> Vec<super::ncp::JoinAttempt> {
        self.with_stick(|s| s.ncp().join_log().to_vec())
    }

    /// The frames the NCP scheduled for the host on its own, sent or still due
    /// ([`super::ncp::Ncp::scheduled_log`]).
    pub fn scheduled_log(&self) -> Vec<sealhub_radios::zigbee::ezsp::FromNcp> {
        self.with_stick(|s| s.ncp().scheduled_log().cloned().collect())
    }

    /// Runs `f` on the joined simulated device `node_id` (change a sensor reading, trigger
    /// motion or a contact, turn a lock by hand, set a fault); `None` if it is not joined.
    pub fn with_device<R>(
        &self,
        node_id: u16,
        f: impl FnOnce(&mut super::devices::SimulatedDevice) -> R,
    ) -> Option<R> {
        self.with_stick(|s| s.ncp_mut().device_mut(node_id).map(f))
    }

    /// The joined device `node_id` leaves the network on its own (see
    /// [`super::ncp::Ncp::device_leaves`]); false if it is not joined.
    pub fn device_leaves(&self, node_id: u16) -> bool {
        self.with_stick(|s| s.ncp_mut().device_leaves(node_id))
    }

    /// Pulls the stick: the pty master is closed and the link removed. Returns once done.
    pub async fn unplug(&self) {
        self.task.unplug().await;
    }

    /// Plugs it back in: a new pty, the link re-pointed, the chip power-cycled with its tokens.
    /// Returns the path to open (the link, or the new slave path without one).
    pub async fn replug(&self) -> io::Result<PathBuf> {
        self.task.replug().await
    }
}

impl Firmware for EmulatedStick {
    fn on_bytes(&mut self, bytes: &[u8]) {
        EmulatedStick::on_bytes(self, bytes);
    }
    fn tick(&mut self) {
        EmulatedStick::tick(self);
    }
    fn take_output(&mut self) -> Vec<u8> {
        EmulatedStick::take_output(self)
    }
    fn power_cycle(&mut self) {
        EmulatedStick::power_cycle(self);
    }
}
