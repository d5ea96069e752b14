//! `firmware-shim`: runs an emulated radio stick on a pty until Ctrl-C or SIGTERM, so a Zigbee
//! or Z-Wave host program (sealhub, or any other) can be pointed at the printed path.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use firmware_shim::ezsp_ncp::{NcpConfig, PtyConfig, SimulatedDevice, spawn_on_pty};

#[derive(Parser)]
#[command(version, about = "Emulated radio sticks on ptys")]
struct Cli {
    #[command(subcommand)]
    stick: Stick,
}

#[derive(Subcommand)]
enum Stick {
    /// A Silicon Labs EmberZNet Zigbee stick (EZSP over ASH).
    Zigbee {
        /// Symlink to create, pointing at the pty the host program should open.
        #[arg(long, default_value = "/tmp/ezsp-stick")]
        link: PathBuf,
        /// EZSP protocol version to speak, 13 to 19 (13 has its own older layouts).
        #[arg(long, default_value_t = 14)]
        protocol: u8,
        /// The stick's EUI-64, 16 hex digits, most significant first.
        #[arg(long)]
        eui64: Option<String>,
        /// A simulated device that joins (with the well-known key) the first time the host
        /// opens the network; repeat for more.
        #[arg(long = "device", value_enum)]
        devices: Vec<DeviceKind>,
    },
    /// A Z-Wave 700-series USB controller (Serial API), with a binary switch at node 2.
    Zwave {
        /// Symlink to create, pointing at the pty the host program should open.
        #[arg(long, default_value = "/tmp/zwave-stick")]
        link: PathBuf,
        /// Home id, 8 hex digits.
        #[arg(long, default_value = "C0FFEE42")]
        home_id: String,
    },
}

/// The kinds of simulated Zigbee devices the binary offers.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceKind {
    Light,
    ColorLight,
    Plug,
    DoorLock,
    Thermostat,
    ClimateSensor,
    MotionSensor,
    ContactSensor,
    SmokeSensor,
    WaterSensor,
    CarbonMonoxideSensor,
}

impl DeviceKind {
    /// The `index`th device on the command line: EUI-64 and node ID from its position.
    fn device(self, index: u16) -> SimulatedDevice {
        let node_id = 0x1000 + index;
        let mut eui64 = [0x00, 0x00, 0x00, 0x00, 0x00, 0x6F, 0x0D, 0x00];
        eui64[..2].copy_from_slice(&node_id.to_le_bytes());
        let build = match self {
            Self::Light => SimulatedDevice::light,
            Self::ColorLight => SimulatedDevice::color_light,
            Self::Plug => SimulatedDevice::plug,
            Self::DoorLock => SimulatedDevice::door_lock,
            Self::Thermostat => SimulatedDevice::thermostat,
            Self::ClimateSensor => SimulatedDevice::climate_sensor,
            Self::MotionSensor => SimulatedDevice::motion_sensor,
            Self::ContactSensor => SimulatedDevice::contact_sensor,
            Self::SmokeSensor => SimulatedDevice::smoke_sensor,
            Self::WaterSensor => SimulatedDevice::water_sensor,
            Self::CarbonMonoxideSensor => SimulatedDevice::carbon_monoxide_sensor,
        };
        build(eui64, node_id, None)
    }
}

fn parse_eui64(s: &str) -> anyhow::Result<[u8; 8]> {
    let s = s.trim_start_matches("0x");
    anyhow::ensure!(s.len() == 16, "EUI-64 must be 16 hex digits");
    let mut out = [0u8; 8];
    for (i, byte) in out.iter_mut().enumerate() {
        let digits = s
            .get(i * 2..i * 2 + 2)
            .context("EUI-64 must be 16 hex digits")?;
        *byte = u8::from_str_radix(digits, 16).context("EUI-64 must be hex")?;
    }
    // EZSP carries the EUI-64 least significant byte first.
    out.reverse();
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.stick {
        Stick::Zigbee {
            link,
            protocol,
            eui64,
            devices,
        } => {
            let mut ncp = NcpConfig {
                protocol_version: protocol,
                ..NcpConfig::default()
            };
            if let Some(eui64) = eui64 {
                ncp.eui64 = parse_eui64(&eui64)?;
            }
            // The release a stick speaking this protocol reports (`ezsp_ncp::releases`).
            let ncp_firmware = ncp.reported_stack_version();
            let config = PtyConfig {
                ncp,
                ..PtyConfig::new(&link)
            };
            let stopped = stop_signal()?;
            let (path, handle) = spawn_on_pty(config)
                .await
                .with_context(|| format!("cannot create the pty behind {}", link.display()))?;
            for (index, kind) in (1..).zip(devices) {
                let device = kind.device(index);
                tracing::info!(
                    "{kind:?} at node {:#06x} joins when the host permits joining",
                    device.node_id
                );
                handle.join_when_permitted(device);
            }
            println!("{}", path.display());
            let [hi, lo] = ncp_firmware.to_be_bytes();
            tracing::info!(
                "emulated EZSP stick (protocol {protocol}, EmberZNet {}.{}.{}) at {}",
                hi >> 4,
                hi & 0x0F,
                lo >> 4,
                path.display()
            );
            stopped.await;
            handle.unplug().await;
            tracing::info!("stopped");
        }
        Stick::Zwave { link, home_id } => run_zwave(link, &home_id).await?,
    }
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM, the signal service managers and test harnesses send,
/// so that either way the emulator unplugs and its `--link` symlink is removed.
/// The handlers are installed when this is called, before the pty's path is printed, so a
/// signal sent as soon as the path appears is caught; the returned future waits for it.
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
        }
    })
}

/// Runs the emulated Z-Wave controller until Ctrl-C or SIGTERM.
async fn run_zwave(link: PathBuf, home_id: &str) -> anyhow::Result<()> {
    use firmware_shim::zwave_controller::{self as zwave, ControllerConfig, SimNode};
    let home_id = u32::from_str_radix(home_id.trim_start_matches("0x"), 16)
        .context("home id must be 8 hex digits")?;
    let config = zwave::PtyConfig {
        controller: ControllerConfig {
            home_id,
            ..ControllerConfig::default()
        },
        ..zwave::PtyConfig::new(&link)
    };
    let stopped = stop_signal()?;
    let (path, handle) = zwave::spawn_on_pty(config)
        .await
        .with_context(|| format!("cannot create the pty behind {}", link.display()))?;
    let switch = handle.with_stick(|s| s.add_node(SimNode::binary_switch()));
    println!("{}", path.display());
    tracing::info!(
        "emulated Z-Wave controller (home id {home_id:08X}, switch at node {switch}) at {}",
        path.display()
    );
    stopped.await;
    handle.unplug().await;
    tracing::info!("stopped");
    Ok(())
}
