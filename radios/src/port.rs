//! The serial port under a radio driver: opened by path (a `/dev/serial/by-id/...` link keeps
//! naming the same stick when it is replugged), exclusively, and reopened with back-off when the
//! stick is unplugged. Protocol cores never see the port; a driver task reads and writes
//! through this and feeds their state machines.

use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_serial::{SerialPortBuilderExt, SerialStream};

/// How a port is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortConfig {
    /// The device path, e.g. `/dev/ttyUSB0` or a `/dev/serial/by-id/...` link.
    pub path: PathBuf,
    /// Baud rate: 115200 for EZSP sticks and Z-Wave controllers alike.
    pub baud: u32,
    /// Software flow control (XON/XOFF), which some EZSP sticks use instead of RTS/CTS.
    pub software_flow_control: bool,
}

impl PortConfig {
    /// 115200 8N1 without flow control, the default of both radios' sticks.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PortConfig {
            path: path.into(),
            baud: 115_200,
            software_flow_control: false,
        }
    }
}

/// Why a port could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The device path does not exist (stick unplugged or a wrong path).
    #[error("serial device {path} is not there: {source}")]
    NotFound {
        /// The path tried.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: tokio_serial::Error,
    },
    /// Another program has the port open, or permissions forbid it.
    #[error(
        "serial device {path} is busy or not accessible (another program using it? user in the dialout group?): {source}"
    )]
    Busy {
        /// The path tried.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: tokio_serial::Error,
    },
    /// Any other failure to open or configure the port.
    #[error("cannot open serial device {path}: {source}")]
    Open {
        /// The path tried.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: tokio_serial::Error,
    },
}

/// Result alias for this module.
pub type Result<T> = std::result::Result<T, Error>;

/// Opens the port exclusively, so no other program can talk to the stick at the same time.
pub fn open(config: &PortConfig) -> Result<SerialStream> {
    let flow = if config.software_flow_control {
        tokio_serial::FlowControl::Software
    } else {
        tokio_serial::FlowControl::None
    };
    let classify = |source: tokio_serial::Error| {
        let path = config.path.clone();
        match source.kind() {
            // serialport reports a held lock as "no device"; it is another user, not absence.
            tokio_serial::ErrorKind::NoDevice if source.description.contains("exclusive") => {
                Error::Busy { path, source }
            }
            tokio_serial::ErrorKind::NoDevice => Error::NotFound { path, source },
            tokio_serial::ErrorKind::Io(std::io::ErrorKind::NotFound) => {
                Error::NotFound { path, source }
            }
            tokio_serial::ErrorKind::Io(
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ResourceBusy,
            ) => Error::Busy { path, source },
            _ => Error::Open { path, source },
        }
    };
    let mut port = tokio_serial::new(path_str(&config.path), config.baud)
        .flow_control(flow)
        .open_native_async()
        .map_err(classify)?;
    port.set_exclusive(true).map_err(classify)?;
    Ok(port)
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Whether a read or write error means the device went away (unplugged, or the emulator
/// closed its side), as opposed to a passing error.
pub fn is_disconnect(error: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        error.kind(),
        K::BrokenPipe | K::NotConnected | K::UnexpectedEof | K::ConnectionReset | K::NotFound
    ) || matches!(
        error.raw_os_error(),
        Some(5 /* EIO */ | 6 /* ENXIO */ | 19 /* ENODEV */)
    )
}

/// Back-off between attempts to reopen a vanished stick: starts short so a quick replug is
/// picked up at once, grows to a ceiling so an absent stick costs nothing.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    /// From `min`, doubling up to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            next: min,
            min,
            max,
        }
    }

    /// The delay before the next attempt; each call doubles the following one.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    /// Starts again from the shortest delay after a success.
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(5))
    }
}

/// Waits until the port opens again, trying with back-off and logging each failure once per
/// kind; returns `None` if `give_up` elapses first.
pub async fn reopen(
    config: &PortConfig,
    backoff: &mut Backoff,
    give_up: Option<Duration>,
) -> Option<SerialStream> {
    let started = tokio::time::Instant::now();
    let mut last_logged: Option<String> = None;
    loop {
        match open(config) {
            Ok(port) => {
                backoff.reset();
                tracing::info!(path = %config.path.display(), "serial device is back");
                return Some(port);
            }
            Err(e) => {
                let kind = match &e {
                    Error::NotFound { .. } => "absent",
                    Error::Busy { .. } => "busy",
                    _ => "error",
                }
                .to_owned();
                if last_logged.as_deref() != Some(kind.as_str()) {
                    tracing::warn!(path = %config.path.display(), "waiting for the serial device: {e}");
                    last_logged = Some(kind);
                }
            }
        }
        let delay = backoff.next_delay();
        if let Some(limit) = give_up
            && started.elapsed() + delay > limit
        {
            return None;
        }
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_serial::SerialPort;

    #[test]
    fn backoff_doubles_to_its_ceiling_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
        let got: Vec<_> = (0..5).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 500, 500]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }

    #[tokio::test]
    async fn a_missing_device_is_reported_as_not_found() {
        let cfg = PortConfig::new("/dev/this-stick-is-not-plugged-in");
        assert!(
            matches!(open(&cfg), Err(Error::NotFound { .. })),
            "{:?}",
            open(&cfg).err()
        );
        let mut b = Backoff::new(Duration::from_millis(10), Duration::from_millis(20));
        assert!(
            reopen(&cfg, &mut b, Some(Duration::from_millis(60)))
                .await
                .is_none()
        );
    }

    /// A pty stands in for the stick: the "firmware" side holds the master, the driver opens
    /// the slave by a link path, as it would a `/dev/serial/by-id` link.
    #[tokio::test]
    async fn bytes_flow_both_ways_and_closing_the_far_side_reads_as_a_disconnect() {
        let dir = tempfile::tempdir().expect("tmp");
        let (mut master, slave) = SerialStream::pair().expect("pty pair");
        let slave_path = slave.name().expect("slave has a path");
        drop(slave);
        let link = dir.path().join("usb-stick");
        std::os::unix::fs::symlink(&slave_path, &link).expect("link");

        let mut port = open(&PortConfig::new(&link)).expect("opens through the link");
        // A second opener (another Zigbee program, say) is refused while we hold the port.
        let busy = open(&PortConfig::new(&slave_path));
        assert!(matches!(busy, Err(Error::Busy { .. })), "{:?}", busy.err());
        port.write_all(b"\x1a\xc0\x38\xbc\x7e")
            .await
            .expect("write");
        let mut buf = [0u8; 5];
        master
            .read_exact(&mut buf)
            .await
            .expect("firmware side reads");
        assert_eq!(&buf, b"\x1a\xc0\x38\xbc\x7e");
        master.write_all(b"\x06").await.expect("firmware answers");
        let mut one = [0u8; 1];
        port.read_exact(&mut one).await.expect("driver reads");
        assert_eq!(one, [0x06]);

        // Unplug: the firmware side goes away entirely.
        drop(master);
        let err = loop {
            match tokio::time::timeout(Duration::from_secs(5), port.read(&mut one)).await {
                Ok(Ok(0)) => break std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
                Ok(Ok(_)) => continue,
                Ok(Err(e)) => break e,
                Err(_) => panic!("a vanished pty must not hang the reader"),
            }
        };
        assert!(is_disconnect(&err), "{err:?} should read as a disconnect");
        drop(port);

        // Replug: a new device appears behind the same link; `reopen` finds it.
        let cfg = PortConfig::new(&link);
        std::fs::remove_file(&link).expect("unlink");
        let (mut master, slave) = SerialStream::pair().expect("pty pair");
        let replugged = slave.name().expect("path");
        drop(slave);
        let relink = {
            let link = link.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(150)).await;
                std::os::unix::fs::symlink(&replugged, &link).expect("relink");
            })
        };
        let mut backoff = Backoff::new(Duration::from_millis(20), Duration::from_millis(100));
        let mut port = reopen(&cfg, &mut backoff, Some(Duration::from_secs(5)))
            .await
            .expect("reopened");
        relink.await.expect("relinked");
        port.write_all(b"\x15").await.expect("write");
        master.read_exact(&mut one).await.expect("read");
        assert_eq!(one, [0x15]);
    }
}
