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
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sealhub_radios::zigbee::ash::ResetCode;
use sealhub_radios::zigbee::ezsp::Callback;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_serial::{SerialPort, SerialStream};

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

enum Control {
    Unplug(oneshot::Sender<()>),
    Replug(oneshot::Sender<io::Result<PathBuf>>),
}

/// Control of a running emulator. Dropping every handle stops the task and removes the link.
#[derive(Debug, Clone)]
pub struct EmulatorHandle {
    stick: Arc<Mutex<EmulatedStick>>,
    wake: Arc<Notify>,
    control: mpsc::Sender<Control>,
}

/// Starts the emulator; returns the path the driver should open and the handle.
pub async fn spawn_on_pty(config: PtyConfig) -> io::Result<(PathBuf, EmulatorHandle)> {
    let (master, path) = new_pty(config.link.as_deref())?;
    let stick = Arc::new(Mutex::new(EmulatedStick::new(config.ncp.clone())));
    let wake = Arc::new(Notify::new());
    let (control, rx) = mpsc::channel(4);
    tokio::spawn(run(
        master,
        config.link.clone(),
        config.tick,
        stick.clone(),
        wake.clone(),
        rx,
    ));
    Ok((
        path,
        EmulatorHandle {
            stick,
            wake,
            control,
        },
    ))
}

fn new_pty(link: Option<&Path>) -> io::Result<(SerialStream, PathBuf)> {
    let (master, slave) = SerialStream::pair().map_err(io::Error::other)?;
    let slave_path = PathBuf::from(
        slave
            .name()
            .ok_or_else(|| io::Error::other("pty has no name"))?,
    );
    drop(slave);
    let Some(link) = link else {
        return Ok((master, slave_path));
    };
    match std::fs::remove_file(link) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::os::unix::fs::symlink(&slave_path, link)?;
    Ok((master, link.to_path_buf()))
}

fn remove_link(link: Option<&Path>) {
    if let Some(link) = link
        && let Err(e) = std::fs::remove_file(link)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove {}: {e}", link.display());
    }
}

impl EmulatorHandle {
    /// Runs `f` on the stick (overrides, faults, assertions), then lets the task write whatever
    /// it produced.
    pub fn with_stick<R>(&self, f: impl FnOnce(&mut EmulatedStick) -> R) -> R {
        let r = f(&mut lock(&self.stick));
        self.wake.notify_one();
        r
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

    /// Pulls the stick: the pty master is closed and the link removed. Returns once done.
    pub async fn unplug(&self) {
        let (tx, rx) = oneshot::channel();
        if self.control.send(Control::Unplug(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Plugs it back in: a new pty, the link re-pointed, the chip power-cycled with its tokens.
    /// Returns the path to open (the link, or the new slave path without one).
    pub async fn replug(&self) -> io::Result<PathBuf> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(Control::Replug(tx))
            .await
            .map_err(|_| io::Error::other("emulator task has stopped"))?;
        rx.await
            .map_err(|_| io::Error::other("emulator task has stopped"))?
    }
}

fn lock(stick: &Mutex<EmulatedStick>) -> MutexGuard<'_, EmulatedStick> {
    // A test's hook that panicked must not take every later frame down with it.
    stick.lock().unwrap_or_else(|p| p.into_inner())
}

async fn write_out(master: &mut SerialStream, bytes: Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    if let Err(e) = master.write_all(&bytes).await {
        tracing::debug!("emulator write failed (host side closed?): {e}");
    }
}

async fn run(
    master: SerialStream,
    link: Option<PathBuf>,
    tick: Duration,
    stick: Arc<Mutex<EmulatedStick>>,
    wake: Arc<Notify>,
    mut control: mpsc::Receiver<Control>,
) {
    let mut master = Some(master);
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf = [0u8; 256];
    loop {
        let Some(port) = master.as_mut() else {
            // Unplugged: only the control channel matters; faults set meanwhile produce nothing.
            tokio::select! {
                c = control.recv() => match c {
                    None => break,
                    Some(Control::Unplug(done)) => { let _ = done.send(()); }
                    Some(Control::Replug(done)) => {
                        let result = new_pty(link.as_deref()).map(|(m, path)| {
                            lock(&stick).power_cycle();
                            master = Some(m);
                            path
                        });
                        let _ = done.send(result);
                    }
                },
                () = wake.notified() => { let _ = lock(&stick).take_output(); }
            }
            continue;
        };
        tokio::select! {
            r = port.read(&mut buf) => match r {
                Ok(n) if n > 0 => {
                    let out = {
                        let mut s = lock(&stick);
                        s.on_bytes(&buf[..n]);
                        s.take_output()
                    };
                    write_out(port, out).await;
                }
                // EIO while no host has the slave open: wait for one.
                _ => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = ticker.tick() => {
                let out = {
                    let mut s = lock(&stick);
                    s.tick();
                    s.take_output()
                };
                write_out(port, out).await;
            }
            () = wake.notified() => {
                let out = lock(&stick).take_output();
                write_out(port, out).await;
            }
            c = control.recv() => match c {
                None => break,
                Some(Control::Unplug(done)) => {
                    master = None;
                    remove_link(link.as_deref());
                    let _ = done.send(());
                }
                Some(Control::Replug(done)) => {
                    let _ = done.send(Err(io::Error::other("the emulated stick is plugged in")));
                }
            },
        }
    }
    remove_link(link.as_deref());
}
