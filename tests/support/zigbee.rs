//! An emulated Zigbee stick on a pty with the real driver on it, devices joined and
//! interviewed through the driver, the driver calls that carry out the gateway's
//! [`ZigbeeOp`]s, and bounded waits for radio events.
//!
//! Every wait is bounded ([`SOON`]), so a regression fails instead of hanging; nothing here
//! decides an outcome by how long something took.

use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, PtyConfig, SimulatedDevice, spawn_on_pty};
use sealhub::gateway::ZigbeeOp;
use sealhub_radios::port::{Backoff, PortConfig};
use sealhub_radios::zigbee::driver::{
    DeviceDescription, DriverConfig, Error, NetworkInfo, Outcome, RadioEvent, ZigbeeStick,
};
use sealhub_radios::zigbee::zcl::Value;
use sealhub_radios::zigbee::zcl::foundation::ReadAttributeRecord;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous bound for anything that should take milliseconds.
pub const SOON: Duration = Duration::from_secs(10);

/// Driver timeouts for an emulated stick: short enough that a lost answer fails a test soon.
pub fn zigbee_driver_config() -> DriverConfig {
    DriverConfig {
        command_timeout: Duration::from_secs(5),
        ready_timeout: Duration::from_secs(5),
        callback_timeout: Duration::from_secs(5),
        reopen_backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(200)),
        device_timeout: Duration::from_secs(3),
        ..DriverConfig::default()
    }
}

/// An emulated Zigbee stick with the driver started on it.
pub struct ZigbeeBench {
    /// The emulator: its devices' state, faults, stimuli.
    pub emulator: EmulatorHandle,
    /// The driver.
    pub stick: ZigbeeStick,
    /// What the driver reports.
    pub events: mpsc::Receiver<RadioEvent>,
    /// The network the stick formed (its `eui64` is the hub's address).
    pub network: NetworkInfo,
    _dir: tempfile::TempDir,
}

impl ZigbeeBench {
    /// A fresh emulated stick, the driver on it, a network formed. The simulated devices'
    /// clocks run at one second per emulator tick (10 ms), so reporting intervals of seconds
    /// pass in a blink.
    pub async fn start() -> Self {
        let dir = super::tempdir();
        let (path, emulator) = spawn_on_pty(PtyConfig::new(dir.path().join("ezsp-stick")))
            .await
            .expect("emulator on a pty");
        emulator.with_stick(|s| s.set_tick_length(Duration::from_secs(1)));
        let (stick, events) =
            ZigbeeStick::open_with(PortConfig::new(&path), zigbee_driver_config())
                .await
                .expect("driver opens the pty");
        let network = timeout(SOON, stick.start())
            .await
            .expect("start-up in time")
            .expect("start-up");
        ZigbeeBench {
            emulator,
            stick,
            events,
            network,
            _dir: dir,
        }
    }

    /// `device` joins (well-known key or its install code, the network opened for it) and is
    /// interviewed.
    pub async fn join(&mut self, device: SimulatedDevice) -> DeviceDescription {
        if let Some(code) = &device.install_code {
            timeout(
                SOON,
                self.stick
                    .add_install_code(u64::from_le_bytes(device.eui64), code),
            )
            .await
            .expect("in time")
            .expect("install code added");
        }
        timeout(SOON, self.stick.permit_join(60))
            .await
            .expect("in time")
            .expect("network opened");
        let node_id = self.emulator.join_device(device).expect("device joins");
        self.event(
            |e| matches!(e, RadioEvent::DeviceAnnounced { node_id: n, .. } if *n == node_id),
        )
        .await;
        timeout(SOON, self.stick.interview(node_id))
            .await
            .expect("interview in time")
            .expect("interview")
    }

    /// The next event `want` accepts, skipping others; panics after [`SOON`].
    pub async fn event(&mut self, want: impl Fn(&RadioEvent) -> bool) -> RadioEvent {
        self.event_map(|e| want(e).then(|| e.clone())).await
    }

    /// The first `Some` that `f` makes of the coming events; panics after [`SOON`].
    pub async fn event_map<T>(&mut self, mut f: impl FnMut(&RadioEvent) -> Option<T>) -> T {
        timeout(SOON, async {
            loop {
                let e = self.events.recv().await.expect("event stream open");
                if let Some(t) = f(&e) {
                    return t;
                }
            }
        })
        .await
        .expect("the awaited event did not come")
    }

    /// Drops the events already queued (periodic reports), so a wait sees what comes next.
    pub fn drain(&mut self) {
        while self.events.try_recv().is_ok() {}
    }

    /// Runs `f` on joined device `node_id` in the emulator.
    pub fn device<R>(&self, node_id: u16, f: impl FnOnce(&mut SimulatedDevice) -> R) -> R {
        self.emulator
            .with_device(node_id, f)
            .expect("device is joined")
    }
}

/// What one [`ZigbeeOp`] got back from the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum OpResult {
    /// A bind, reporting configuration or write went through.
    Done,
    /// A cluster command's Default Response (SUCCESS) or its own response.
    Outcome(Outcome),
    /// A read's records.
    Records(Vec<ReadAttributeRecord>),
}

/// Carries out `op` on `node_id` with the driver call it stands for.
pub async fn run_zigbee_op(
    stick: &ZigbeeStick,
    node_id: u16,
    op: &ZigbeeOp,
) -> Result<OpResult, Error> {
    let call = async {
        match op.clone() {
            ZigbeeOp::Command { endpoint, command } => {
                let cluster = command.cluster_id();
                stick
                    .send_cluster_command(node_id, endpoint, cluster, command)
                    .await
                    .map(OpResult::Outcome)
            }
            ZigbeeOp::Write {
                endpoint,
                cluster,
                records,
            } => stick
                .write_attributes(node_id, endpoint, cluster, records)
                .await
                .map(|()| OpResult::Done),
            ZigbeeOp::Read {
                endpoint,
                cluster,
                attributes,
            } => stick
                .read_attributes(node_id, endpoint, cluster, attributes)
                .await
                .map(OpResult::Records),
            ZigbeeOp::Bind { endpoint, cluster } => stick
                .bind(node_id, endpoint, cluster)
                .await
                .map(|()| OpResult::Done),
            ZigbeeOp::ConfigureReporting {
                endpoint,
                cluster,
                records,
            } => stick
                .configure_reporting(node_id, endpoint, cluster, records)
                .await
                .map(|()| OpResult::Done),
        }
    };
    timeout(SOON, call).await.expect("the op does not hang")
}

/// The values of a read's successful records, as a report carries them.
pub fn read_values(records: &[ReadAttributeRecord]) -> Vec<(u16, Value)> {
    records
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|v| (r.id, v.clone())))
        .collect()
}
