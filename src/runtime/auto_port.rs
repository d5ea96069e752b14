//! `port = "auto"`: before the radio tasks start, find the sticks once for both radios (two
//! tasks probing the same ports at once would stand in each other's way) and hand each task
//! the port that answered in its protocol. A radio whose stick is not found is not started;
//! the log says why and how to name the port instead.

use std::path::PathBuf;

use sealhub::config::{Config, RadioPort, ZigbeeConfig, ZwaveConfig};
use sealhub_radios::discovery::{self, Discovery, ProbeTimeouts, Protocol, SysRoots};
use tracing::{error, info};

/// The radios to start, with every `auto` port replaced by the path that answered; `None` for
/// a radio that is disabled or whose stick was not found.
pub(super) async fn resolve(config: &Config) -> (Option<ZigbeeConfig>, Option<ZwaveConfig>) {
    let wants_auto = |enabled: bool, port: &RadioPort| enabled && *port == RadioPort::Auto;
    let needed = wants_auto(config.zigbee.enabled, &config.zigbee.port)
        || wants_auto(config.zwave.enabled, &config.zwave.port);
    let found = if needed {
        match discovery::discover(&SysRoots::system(), ProbeTimeouts::default()).await {
            Ok(found) => Some(found),
            Err(e) => {
                error!("cannot look for the radio sticks (port = \"auto\"): {e}");
                None
            }
        }
    } else {
        None
    };

    let zigbee = if !config.zigbee.enabled {
        info!("Zigbee is disabled in the configuration");
        None
    } else {
        port_for(
            "Zigbee",
            "zigbee",
            &config.zigbee.port,
            Protocol::Ezsp,
            found.as_ref(),
        )
        .map(|port| ZigbeeConfig {
            port,
            ..config.zigbee.clone()
        })
    };
    let zwave = if !config.zwave.enabled {
        info!("Z-Wave is disabled in the configuration");
        None
    } else {
        port_for(
            "Z-Wave",
            "zwave",
            &config.zwave.port,
            Protocol::ZwaveSerialApi,
            found.as_ref(),
        )
        .map(|port| ZwaveConfig {
            port,
            ..config.zwave.clone()
        })
    };
    (zigbee, zwave)
}

/// The configured port, or for `auto` the path of the first stick that answered in
/// `protocol`.
fn port_for(
    radio: &str,
    section: &str,
    configured: &RadioPort,
    protocol: Protocol,
    found: Option<&Discovery>,
) -> Option<RadioPort> {
    if *configured != RadioPort::Auto {
        return Some(configured.clone());
    }
    match found.and_then(|d| d.first(protocol)) {
        Some(stick) => {
            let path: PathBuf = stick.port.preferred_path().to_path_buf();
            info!(
                port = %path.display(),
                "{radio} uses the stick found at {} ({protocol})", path.display()
            );
            Some(RadioPort::Serial(path))
        }
        None => {
            error!(
                "{radio} is not started: no known stick answered in {protocol}; plug one in \
                 and restart, or set port in [{section}] to its /dev/serial/by-id/ path \
                 (`sealhub doctor` lists the serial ports)"
            );
            None
        }
    }
}
