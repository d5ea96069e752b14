//! `sealhub doctor`'s firmware check, the binary's side: asks each configured (or discovered)
//! stick what it runs and hands the answer to [`sealhub::doctor::firmware`], which judges it
//! and says what to flash. A Zigbee stick is asked only for EZSP version negotiation (no
//! network is touched); a Z-Wave controller answers the Serial API's start-up queries. Ports
//! are opened exclusively, so a stick in use by a running hub (or another program) is reported,
//! never disturbed. Emulated sticks are skipped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sealhub::config::{Config, RadioPort};
use sealhub::doctor::firmware::{self, EzspAnswer, ZwaveAnswer};
use sealhub::doctor::{Finding, Status, SystemRoot};
use sealhub_radios::discovery::{self, ProbeTimeouts, Protocol};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zigbee::driver::{self as zigbee, ZigbeeStick};
use sealhub_radios::zigbee::ezsp;
use sealhub_radios::zwave::driver::ZwaveStick;

/// How long a stick may take to answer.
const PATIENCE: Duration = Duration::from_secs(10);

/// One finding per radio whose stick could be asked (or why it could not).
pub fn findings(config: &Config, root: &SystemRoot) -> Vec<Finding> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return vec![Finding::new(
                Status::Warn,
                "firmware",
                format!("cannot start the async runtime to ask the sticks: {e}"),
            )];
        }
    };
    runtime.block_on(async {
        let mut out = Vec::new();
        let mut discovered = None;
        for (port, protocol) in [
            (&config.zigbee.port, Protocol::Ezsp),
            (&config.zwave.port, Protocol::ZwaveSerialApi),
        ] {
            let path: PathBuf = match port {
                RadioPort::Emulated => continue,
                RadioPort::Serial(path) => path.clone(),
                RadioPort::Auto => {
                    if discovered.is_none() {
                        discovered = Some(
                            discovery::discover(&root.sys_roots(), ProbeTimeouts::default())
                                .await
                                .unwrap_or_default(),
                        );
                    }
                    match discovered.as_ref().and_then(|d| d.first(protocol)) {
                        Some(found) => found.port.preferred_path().to_path_buf(),
                        None => continue,
                    }
                }
            };
            out.push(match protocol {
                Protocol::Ezsp => zigbee_firmware(&path).await,
                Protocol::ZwaveSerialApi => zwave_firmware(&path).await,
            });
        }
        out
    })
}

fn cannot_ask(subject: &str, what: impl std::fmt::Display) -> Finding {
    Finding::new(
        Status::Warn,
        subject,
        format!("cannot ask the stick: {what}"),
    )
    .fix(
        "stop the hub (`systemctl stop sealhub`) or the program holding the port, then run \
         `sealhub doctor` again",
    )
}

async fn zigbee_firmware(path: &Path) -> Finding {
    let subject = format!("firmware {} (Zigbee)", path.display());
    let config = zigbee::DriverConfig {
        ready_timeout: PATIENCE,
        ..zigbee::DriverConfig::default()
    };
    let stick = match ZigbeeStick::open_with(PortConfig::new(path), config).await {
        Ok((stick, _events)) => stick,
        Err(e) => return cannot_ask(&subject, e),
    };
    match stick.negotiate().await {
        Ok(v) => firmware::ezsp(
            &subject,
            &EzspAnswer::Negotiated {
                protocol: v.protocol,
                stack_version: v.stack_version,
            },
        ),
        Err(zigbee::Error::Protocol(ezsp::Error::UnsupportedProtocol(protocol))) => {
            firmware::ezsp(&subject, &EzspAnswer::Unsupported { protocol })
        }
        Err(e) => Finding::new(Status::Fail, subject, format!("no EZSP answer: {e}")).fix(
            "check that this is a Silicon Labs EmberZNet (NCP) stick; a TI Z-Stack (ZNP) or \
             router firmware is not supported: flash the EmberZNet NCP firmware for it",
        ),
    }
}

async fn zwave_firmware(path: &Path) -> Finding {
    let subject = format!("firmware {} (Z-Wave)", path.display());
    let stick = match ZwaveStick::open(PortConfig::new(path)).await {
        Ok((stick, _events)) => stick,
        Err(e) => return cannot_ask(&subject, e),
    };
    match tokio::time::timeout(PATIENCE, stick.start()).await {
        Ok(Ok(info)) => firmware::zwave(
            &subject,
            &ZwaveAnswer {
                sdk_version: info.sdk_version,
                firmware_version: info.firmware_version,
                ids: (info.manufacturer_id, info.product_type, info.product_id),
            },
        ),
        Ok(Err(e)) => Finding::new(
            Status::Fail,
            subject,
            format!("the Serial API did not answer as a controller: {e}"),
        )
        .fix("check that this is a Z-Wave controller stick (700/800 series)"),
        Err(_) => Finding::new(
            Status::Fail,
            subject,
            format!("no Serial API answer within {} s", PATIENCE.as_secs()),
        )
        .fix("check that this is a Z-Wave controller stick (700/800 series); replug it"),
    }
}
