//! The pty plumbing both emulated sticks share: a pseudo-terminal pair whose master a tokio task
//! keeps, feeding what the host writes into the firmware, writing back what it answers, ticking
//! it, and unplugging or replugging it on request. The slave stands behind an optional symlink,
//! as a `/dev/serial/by-id/...` name does for a real stick.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_serial::{SerialPort, SerialStream};

/// What an emulated stick offers the pty task: bytes in, bytes out, time, and power.
pub trait Firmware: Send + 'static {
    /// Bytes the host wrote.
    fn on_bytes(&mut self, bytes: &[u8]);
    /// One emulator tick passed.
    fn tick(&mut self);
    /// Bytes to write to the host now.
    fn take_output(&mut self) -> Vec<u8>;
    /// The stick was unplugged and plugged back in.
    fn power_cycle(&mut self);
}

enum Control {
    Unplug(oneshot::Sender<()>),
    Replug(oneshot::Sender<io::Result<PathBuf>>),
}

/// A running pty task around firmware `F`. Dropping every clone stops the task and removes the
/// link.
pub(crate) struct PtyTask<F> {
    stick: Arc<Mutex<F>>,
    wake: Arc<Notify>,
    control: mpsc::Sender<Control>,
}

impl<F> Clone for PtyTask<F> {
    fn clone(&self) -> Self {
        PtyTask {
            stick: self.stick.clone(),
            wake: self.wake.clone(),
            control: self.control.clone(),
        }
    }
}

impl<F> std::fmt::Debug for PtyTask<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PtyTask")
    }
}

impl<F: Firmware> PtyTask<F> {
    /// Starts the task; returns the path the driver should open.
    pub(crate) fn spawn(
        firmware: F,
        link: Option<PathBuf>,
        tick: Duration,
    ) -> io::Result<(PathBuf, PtyTask<F>)> {
        let (master, path) = new_pty(link.as_deref())?;
        let stick = Arc::new(Mutex::new(firmware));
        let wake = Arc::new(Notify::new());
        let (control, rx) = mpsc::channel(4);
        tokio::spawn(run(master, link, tick, stick.clone(), wake.clone(), rx));
        Ok((
            path,
            PtyTask {
                stick,
                wake,
                control,
            },
        ))
    }

    /// Runs `f` on the firmware, then lets the task write whatever it produced.
    pub(crate) fn with_stick<R>(&self, f: impl FnOnce(&mut F) -> R) -> R {
        let r = f(&mut lock(&self.stick));
        self.wake.notify_one();
        r
    }

    /// Closes the master and removes the link; returns once done.
    pub(crate) async fn unplug(&self) {
        let (tx, rx) = oneshot::channel();
        if self.control.send(Control::Unplug(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// A new pty, the link re-pointed, the firmware power-cycled; the path to open.
    pub(crate) async fn replug(&self) -> io::Result<PathBuf> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(Control::Replug(tx))
            .await
            .map_err(|_| io::Error::other("emulator task has stopped"))?;
        rx.await
            .map_err(|_| io::Error::other("emulator task has stopped"))?
    }
}

/// One plugged-in pty: the master the task reads and writes, and a slave fd it keeps open but
/// never reads (bytes for the host stay queued for whoever opens the slave path).
///
/// Why keep the slave: while no process has the slave open, the master polls as hung up, and
/// tokio keeps a hang-up as sticky read readiness. `tokio_serial`'s read would then retry its
/// `EAGAIN` read in a loop inside one poll for as long as the host is silent, pinning a runtime
/// worker; the kernel's tty work that delivers our answers to the host then waits for the
/// scheduler tick to preempt that spin (about 4 ms at 250 Hz). Held open, the slave is never
/// seen closed, so a read waits on epoll as it should. A real stick has no pty: this is the
/// emulator's own plumbing, not stick behaviour.
struct Plugged {
    master: SerialStream,
    _slave: SerialStream,
}

fn new_pty(link: Option<&Path>) -> io::Result<(Plugged, PathBuf)> {
    let (master, slave) = SerialStream::pair().map_err(io::Error::other)?;
    let slave_path = PathBuf::from(
        slave
            .name()
            .ok_or_else(|| io::Error::other("pty has no name"))?,
    );
    let master = Plugged {
        master,
        _slave: slave,
    };
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

fn lock<F>(stick: &Mutex<F>) -> MutexGuard<'_, F> {
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

async fn run<F: Firmware>(
    master: Plugged,
    link: Option<PathBuf>,
    tick: Duration,
    stick: Arc<Mutex<F>>,
    wake: Arc<Notify>,
    mut control: mpsc::Receiver<Control>,
) {
    let mut master = Some(master);
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf = [0u8; 256];
    loop {
        let Some(Plugged { master: port, .. }) = master.as_mut() else {
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
                // A read error (not expected while the slave is held open): back off.
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
