//! Finding the radio sticks (`port = "auto"`): list the USB serial ports (sysfs and
//! `/dev/serial/by-id`), keep those whose USB id is a known stick's ([`sticks::KNOWN_STICKS`]),
//! and ask each, protocol by protocol, until one answers ([`probe`]). A port with an unknown id
//! is never opened, let alone written to: it might be a modem, a UPS or a 3D printer.
//!
//! Data flow: [`sysfs::usb_serial_ports`] → filter by [`sticks::known_stick`] →
//! [`probe::request`] written, answers read into [`probe::Recogniser`] → [`Discovery`], from
//! which the hub takes the port for each radio.

pub mod fake_sysfs;
pub mod probe;
pub mod sticks;
pub mod sysfs;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::{info, warn};

pub use probe::Answer;
pub use sticks::{KNOWN_STICKS, KnownStick, Protocol, known_stick};
pub use sysfs::{SerialPortInfo, SysRoots, UsbInfo};

use crate::port::{self, PortConfig};

/// Why discovery could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The sysfs tty directory could not be read.
    #[error("cannot list serial ports in {dir}: {source}")]
    Scan {
        /// The directory.
        dir: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Reading from or writing to a port failed while probing.
    #[error("cannot probe {path}: {source}")]
    Io {
        /// The port.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias for this module.
pub type Result<T> = std::result::Result<T, Error>;

/// How long each probe waits for its answer. An NCP needs up to a couple of seconds to reset;
/// a Z-Wave controller ACKs within 1.6 s (Serial API) and answers at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeTimeouts {
    /// For the RSTACK after an ASH RST.
    pub ezsp: Duration,
    /// For the ACK and response to GetControllerVersion.
    pub zwave: Duration,
}

impl Default for ProbeTimeouts {
    fn default() -> Self {
        ProbeTimeouts {
            ezsp: Duration::from_secs(3),
            zwave: Duration::from_secs(2),
        }
    }
}

impl ProbeTimeouts {
    fn for_protocol(&self, protocol: Protocol) -> Duration {
        match protocol {
            Protocol::Ezsp => self.ezsp,
            Protocol::ZwaveSerialApi => self.zwave,
        }
    }
}

/// A stick that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The protocol it answered in.
    pub protocol: Protocol,
    /// Its port.
    pub port: SerialPortInfo,
    /// What it said.
    pub answer: Answer,
}

/// Why a port was not chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passed {
    /// Its USB id is not a known stick's: never opened.
    UnknownDevice(SerialPortInfo),
    /// A known id, but no protocol answered (another firmware, e.g. TI Z-Stack, or a stick
    /// busy elsewhere).
    Silent {
        /// The port.
        port: SerialPortInfo,
        /// Why it could not be asked or what went wrong, when something did.
        reason: Option<String>,
    },
}

/// What discovery found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Discovery {
    /// The sticks that answered, in port order.
    pub found: Vec<Found>,
    /// The ports passed over, and why.
    pub passed: Vec<Passed>,
}

impl Discovery {
    /// The first stick that speaks `protocol`: the one the hub drives for that radio.
    pub fn first(&self, protocol: Protocol) -> Option<&Found> {
        self.found.iter().find(|f| f.protocol == protocol)
    }
}

/// Lists the ports under `roots`, probes each known stick and logs what it chose and why.
pub async fn discover(roots: &SysRoots, timeouts: ProbeTimeouts) -> Result<Discovery> {
    let ports = sysfs::usb_serial_ports(roots).map_err(|source| Error::Scan {
        dir: roots.sysfs_tty.clone(),
        source,
    })?;
    let mut discovery = Discovery::default();
    for port in ports {
        let (vid, pid) = (port.usb.vendor_id, port.usb.product_id);
        let Some(stick) = known_stick(vid, pid) else {
            info!(
                port = %port.preferred_path().display(),
                usb_id = %format!("{vid:04x}:{pid:04x}"),
                "left alone: not a known radio stick (nothing was written to it)"
            );
            discovery.passed.push(Passed::UnknownDevice(port));
            continue;
        };
        match probe_stick(&port, stick, timeouts).await {
            Ok(Some((protocol, answer))) => {
                info!(
                    port = %port.preferred_path().display(),
                    usb_id = %format!("{vid:04x}:{pid:04x}"),
                    %protocol,
                    "found a {}: it {answer}", stick.sticks
                );
                discovery.found.push(Found {
                    protocol,
                    port,
                    answer,
                });
            }
            Ok(None) => {
                warn!(
                    port = %port.preferred_path().display(),
                    usb_id = %format!("{vid:04x}:{pid:04x}"),
                    "a known stick id ({}) but no supported protocol answered{}",
                    stick.sticks,
                    if stick.unsupported.is_empty() {
                        String::new()
                    } else {
                        format!("; it may be one sealhub does not drive: {}", stick.unsupported)
                    }
                );
                discovery.passed.push(Passed::Silent { port, reason: None });
            }
            Err(e) => {
                warn!(port = %port.preferred_path().display(), error = %e, "cannot probe");
                discovery.passed.push(Passed::Silent {
                    port,
                    reason: Some(e.to_string()),
                });
            }
        }
    }
    for (protocol, radio) in [
        (Protocol::Ezsp, "zigbee"),
        (Protocol::ZwaveSerialApi, "zwave"),
    ] {
        match discovery.first(protocol) {
            Some(found) => info!(
                radio,
                port = %found.port.preferred_path().display(),
                "chose the first stick that answered in {protocol}"
            ),
            None => info!(radio, "no stick answered in {protocol}"),
        }
    }
    Ok(discovery)
}

/// Tries the stick's protocols in order, each with its timeout; the first answer wins.
async fn probe_stick(
    port: &SerialPortInfo,
    stick: &KnownStick,
    timeouts: ProbeTimeouts,
) -> std::result::Result<Option<(Protocol, Answer)>, String> {
    for &protocol in stick.probe_order {
        let path = port.preferred_path();
        match probe_port(path, protocol, timeouts.for_protocol(protocol)).await {
            Ok(Some(answer)) => return Ok(Some((protocol, answer))),
            Ok(None) => continue,
            Err(ProbeError::Open(e)) => return Err(e.to_string()),
            Err(ProbeError::Io(e)) => return Err(e.to_string()),
        }
    }
    Ok(None)
}

enum ProbeError {
    Open(port::Error),
    Io(Error),
}

/// Opens `path` (exclusively), writes the probe for `protocol` and reads until the answer or
/// the timeout; `None` when nothing recognisable came back in time.
async fn probe_port(
    path: &Path,
    protocol: Protocol,
    timeout: Duration,
) -> std::result::Result<Option<Answer>, ProbeError> {
    let io = |source| {
        ProbeError::Io(Error::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut serial = port::open(&PortConfig::new(path)).map_err(ProbeError::Open)?;
    serial
        .write_all(&probe::request(protocol))
        .await
        .map_err(io)?;
    let mut recogniser = probe::Recogniser::new(protocol);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 256];
    loop {
        let read = match tokio::time::timeout_at(deadline, serial.read(&mut buf)).await {
            Err(_elapsed) => return Ok(None),
            Ok(result) => result.map_err(io)?,
        };
        if read == 0 {
            return Ok(None);
        }
        let answer = recogniser.push(buf.get(..read).unwrap_or_default());
        let owed = recogniser.take_output();
        if !owed.is_empty() {
            serial.write_all(&owed).await.map_err(io)?;
        }
        if answer.is_some() {
            return Ok(answer);
        }
    }
}
