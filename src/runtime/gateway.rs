//! The gateway task: a thin tokio layer around the gateway core
//! ([`sealhub::gateway::core::Gateway`]). It owns the [`Home`] and the core, takes the radio
//! tasks' events and stick handles, client envelopes from the transport and a tick, and carries
//! out what the core asks: a Zigbee device's interview, each device's ops in order (a task per
//! device, one op at a time, the first failure stopping the rest), hub-level radio requests
//! (joining, inclusion with the DSK PIN, exclusion, removal); every result goes back to the
//! core. Deliveries go to the transport as [`Outbound`]s; what the transport hands up
//! ([`Inbound`]) becomes the core's inputs, except pairing frames, which go to the
//! [`PairingHandler`] (`sealhub::onboarding::Onboarding`; without one a pairing session is closed).
//!
//! The sticks are reached through [`ZigbeeRadio`] and [`ZwaveRadio`], implemented here for the
//! drivers' sticks and in the tests by fakes, so the task is tested with tokio's paused time
//! and no ports.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sealhub::definitions::Definitions;
use sealhub::gateway::core::{
    Delivery, Gateway, GatewayConfig, Input, OpFailure, OpOutput, Output, RadioOutcome, ReadScope,
    Ticket, Translation,
};
use sealhub::gateway::{ZigbeeOp, ZwaveOp};
use sealhub::keymgmt::Home;
use sealhub::model::Failure;
use sealhub::radio::zwave_nodes::NodeRecord;
use sealhub::store::Store;
use sealhub::transport::{self, Inbound, Outbound};
use sealhub_radios::zigbee::driver::{
    self as zigbee, DeviceDescription, NetworkInfo, Outcome as ZclOutcome, ZigbeeStick,
};
use sealhub_radios::zwave::cc::CommandClassFrame;
use sealhub_radios::zwave::driver::{
    self as zwave, InclusionOptions, SubmittedCommand, SupervisionStatus, ZwaveStick,
};
use sealhub_radios::zwave::s2::KeyClasses;
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, error, info, warn};

use super::TaskLink;

/// What the gateway task calls for frames on the pairing path (`src/onboarding/`): defined in
/// the library next to its implementation, `sealhub::onboarding::Onboarding`, as
///
/// ```text
/// pub trait PairingHandler: Send {
///     fn on_frame(&mut self, home: &mut Home, tls_fingerprint: [u8; 32], conn: u64, frame: &[u8], now: Instant) -> Vec<Outbound>;
///     fn on_closed(&mut self, conn: u64);
///     fn next_deadline(&self) -> Option<Instant> { None }
///     fn tick(&mut self, now: Instant) -> Vec<Outbound> { Vec::new() }
/// }
/// ```
pub use sealhub::onboarding::PairingHandler;

/// The log target of the line that gives how long a device's ops took on the radio
/// (`SEALHUB_LOG=sealhub::radio_time=debug` shows it alone).
pub(crate) const RADIO_TIME_TARGET: &str = "sealhub::radio_time";

/// The log target of the line that times each input the gateway task handles: the core's
/// work, handing its outputs on, then the flush and the answers' key agreement after them
/// (`SEALHUB_LOG=sealhub::gateway_time=debug`).
pub(crate) const GATEWAY_TIME_TARGET: &str = "sealhub::gateway_time";

/// How often deadlines are checked.
pub(crate) const TICK: Duration = Duration::from_secs(1);

/// How many Z-Wave report notices an executor may fall behind by before it stops waiting.
const REPORTS_HEARD: usize = 64;

/// A Zigbee stick as the gateway task uses it.
pub(crate) trait ZigbeeRadio: Send + Sync + 'static {
    /// Runs one op on `node_id`.
    fn run_op(
        &self,
        node_id: u16,
        op: ZigbeeOp,
    ) -> impl Future<Output = Result<OpOutput, OpFailure>> + Send;
    /// Interviews `node_id`.
    fn interview(
        &self,
        node_id: u16,
    ) -> impl Future<Output = Result<DeviceDescription, String>> + Send;
    /// Opens (0: closes) the network for joining.
    fn permit_join(&self, seconds: u8) -> impl Future<Output = Result<(), OpFailure>> + Send;
    /// Tells a device to leave for good and forgets it.
    fn remove(
        &self,
        node_id: u16,
        eui64: u64,
    ) -> impl Future<Output = Result<(), OpFailure>> + Send;
}

/// The rest of a command for a sleeping node: resolves once the node woke up and took it.
pub(crate) type AfterWakeUp = Pin<Box<dyn Future<Output = Result<(), OpFailure>> + Send>>;

/// What sending one Z-Wave command did.
pub(crate) enum ZwaveSent {
    /// The node took it (acknowledged it, or reported Supervision Working).
    Done,
    /// The node applied it: Supervision Report SUCCESS.
    Confirmed,
    /// The node sleeps; the command waits for its wake-up.
    Queued(AfterWakeUp),
}

/// A Z-Wave stick as the gateway task uses it.
pub(crate) trait ZwaveRadio: Send + Sync + 'static {
    /// Sends one command to an end point of `node`.
    fn submit(
        &self,
        node: u16,
        endpoint: u8,
        command: CommandClassFrame,
    ) -> impl Future<Output = Result<ZwaveSent, OpFailure>> + Send;
    /// Starts inclusion; `pin` answers the DSK PIN request of the node that joins.
    fn include(&self, pin: Option<u16>) -> impl Future<Output = Result<(), OpFailure>> + Send;
    /// Starts exclusion.
    fn exclude(&self) -> impl Future<Output = Result<(), OpFailure>> + Send;
    /// Stops inclusion and exclusion.
    fn stop(&self) -> impl Future<Output = Result<(), OpFailure>> + Send;
}

impl ZigbeeRadio for ZigbeeStick {
    async fn run_op(&self, node_id: u16, op: ZigbeeOp) -> Result<OpOutput, OpFailure> {
        let done = match op {
            ZigbeeOp::Command { endpoint, command } => self
                .send_cluster_command(node_id, endpoint, command.cluster_id(), command)
                .await
                .map(|outcome| match outcome {
                    ZclOutcome::Success => OpOutput::Confirmed,
                    // A cluster-specific response (a lock's) whose status is not read.
                    ZclOutcome::Response(_) => OpOutput::Done,
                }),
            ZigbeeOp::Write {
                endpoint,
                cluster,
                records,
            } => self
                .write_attributes(node_id, endpoint, cluster, records)
                .await
                .map(|()| OpOutput::Confirmed),
            ZigbeeOp::Read {
                endpoint,
                cluster,
                attributes,
            } => self
                .read_attributes(node_id, endpoint, cluster, attributes)
                .await
                .map(|records| OpOutput::Read {
                    endpoint,
                    cluster,
                    attributes: records
                        .into_iter()
                        .filter_map(|r| r.result.ok().map(|v| (r.id, v)))
                        .collect(),
                }),
            ZigbeeOp::Bind { endpoint, cluster } => self
                .bind(node_id, endpoint, cluster)
                .await
                .map(|()| OpOutput::Done),
            ZigbeeOp::ConfigureReporting {
                endpoint,
                cluster,
                records,
            } => self
                .configure_reporting(node_id, endpoint, cluster, records)
                .await
                .map(|()| OpOutput::Done),
        };
        done.map_err(|e| OpFailure::zigbee(&e))
    }

    async fn interview(&self, node_id: u16) -> Result<DeviceDescription, String> {
        ZigbeeStick::interview(self, node_id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn permit_join(&self, seconds: u8) -> Result<(), OpFailure> {
        ZigbeeStick::permit_join(self, seconds)
            .await
            .map_err(|e| OpFailure::zigbee(&e))
    }

    async fn remove(&self, node_id: u16, eui64: u64) -> Result<(), OpFailure> {
        self.remove_device(node_id, eui64)
            .await
            .map_err(|e| OpFailure::zigbee(&e))
    }
}

/// A node's outcome of a command in the model's terms: not applied is a refusal.
fn applied(node: u16, outcome: &zwave::CommandOutcome) -> Result<(), OpFailure> {
    if outcome.applied() {
        Ok(())
    } else {
        Err(OpFailure::new(
            Failure::Refused,
            format!(
                "node {node} did not apply the command ({:?})",
                outcome.supervision
            ),
        ))
    }
}

/// Whether the node said it applied the command: Supervision Report SUCCESS (Working is a
/// transition still under way).
fn confirmed(outcome: &zwave::CommandOutcome) -> bool {
    outcome
        .supervision
        .as_ref()
        .is_some_and(|s| s.status == SupervisionStatus::Success)
}

impl ZwaveRadio for ZwaveStick {
    async fn submit(
        &self,
        node: u16,
        endpoint: u8,
        command: CommandClassFrame,
    ) -> Result<ZwaveSent, OpFailure> {
        match self
            .submit_command(node, endpoint, command)
            .await
            .map_err(|e| OpFailure::zwave(&e))?
        {
            SubmittedCommand::Done(outcome) => applied(node, &outcome).map(|()| {
                if confirmed(&outcome) {
                    ZwaveSent::Confirmed
                } else {
                    ZwaveSent::Done
                }
            }),
            SubmittedCommand::QueuedUntilWakeUp(pending) => {
                Ok(ZwaveSent::Queued(Box::pin(async move {
                    let outcome = pending.outcome().await.map_err(|e| OpFailure::zwave(&e))?;
                    applied(node, &outcome)
                })))
            }
        }
    }

    async fn include(&self, pin: Option<u16>) -> Result<(), OpFailure> {
        let (pins, mut requests) = mpsc::channel(1);
        let options = InclusionOptions {
            grant: KeyClasses::all(),
            allow_s0: true,
        };
        self.add_node_secure(options, pins)
            .await
            .map_err(|e| OpFailure::zwave(&e))?;
        // The request comes when a node that wants an authenticated class has joined; the
        // PIN the owner gave with the command answers it (none cancels that class).
        tokio::spawn(async move {
            if let Some(request) = requests.recv().await {
                info!(
                    node = request.node,
                    with_pin = pin.is_some(),
                    "answering the Z-Wave DSK PIN request"
                );
                request.answer(pin);
            }
        });
        Ok(())
    }

    async fn exclude(&self) -> Result<(), OpFailure> {
        self.remove_node().await.map_err(|e| OpFailure::zwave(&e))
    }

    async fn stop(&self) -> Result<(), OpFailure> {
        let inclusion = self.stop_inclusion().await;
        let exclusion = self.stop_exclusion().await;
        inclusion.and(exclusion).map_err(|e| OpFailure::zwave(&e))
    }
}

/// What the radio tasks tell the gateway task.
pub(crate) enum FromRadio<Z, W> {
    /// The Zigbee stick is up on `network`; ops go through `radio` from now on.
    ZigbeeUp { radio: Arc<Z>, network: NetworkInfo },
    /// A Zigbee driver event.
    Zigbee(zigbee::RadioEvent),
    /// The Z-Wave stick is up on network `home_id` as node `node_id`.
    ZwaveUp {
        radio: Arc<W>,
        home_id: u32,
        node_id: u16,
    },
    /// A Z-Wave driver event.
    Zwave(zwave::RadioEvent),
    /// A Z-Wave node was described.
    ZwaveDescribed(NodeRecord),
}

/// Everything the gateway task runs on.
pub(crate) struct GatewayParts<Z, W> {
    pub home: Home,
    pub store: Store,
    pub definitions: Definitions,
    pub translation: Box<dyn Translation>,
    pub config: GatewayConfig,
    pub radios: mpsc::Receiver<FromRadio<Z, W>>,
    /// What the transport hands up.
    pub clients: mpsc::Receiver<Inbound>,
    /// What the transport is asked to do.
    pub deliveries: mpsc::Sender<Outbound>,
    /// Where pairing frames go; `None`: pairing sessions are closed.
    pub pairing: Option<Box<dyn PairingHandler>>,
    /// The fingerprint of the transport's TLS certificate, for pairing.
    pub tls_fingerprint: [u8; 32],
}

/// The transport's name for the core's read scope.
fn transport_scope(scope: ReadScope) -> transport::ReadScope {
    match scope {
        ReadScope::Nothing => transport::ReadScope::Nothing,
        ReadScope::All => transport::ReadScope::All,
        ReadScope::Devices(devices) => transport::ReadScope::Devices(devices),
    }
}

/// The transport request that carries a core's delivery.
pub(crate) fn outbound(delivery: Delivery) -> Outbound {
    match delivery {
        Delivery::ToConnection { conn, bytes } => Outbound::ToConnection { conn, bytes },
        Delivery::ToClient { client, bytes } => Outbound::ToClient { client, bytes },
        Delivery::Broadcast { device, bytes } => Outbound::Broadcast { device, bytes },
        Delivery::SetReadScope { client, scope } => Outbound::SetReadScope {
            client,
            scope: transport_scope(scope),
        },
        Delivery::CloseClient { client } => Outbound::CloseClient { client },
    }
}

/// One device's ops, for its executor.
enum Job<Z, W> {
    Zigbee {
        ticket: Ticket,
        radio: Arc<Z>,
        node_id: u16,
        ops: Vec<ZigbeeOp>,
    },
    Zwave {
        ticket: Ticket,
        radio: Arc<W>,
        node: u16,
        ops: Vec<ZwaveOp>,
    },
}

/// Which device an executor serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DeviceKey {
    Zigbee(u16),
    Zwave(u16),
}

type Done = mpsc::UnboundedSender<(Ticket, RadioOutcome)>;

/// Runs a Zigbee device's ops in order; the first failure stops the rest.
async fn run_zigbee<Z: ZigbeeRadio>(radio: &Z, node_id: u16, ops: Vec<ZigbeeOp>) -> RadioOutcome {
    let mut ran = Vec::with_capacity(ops.len());
    for op in ops {
        match radio.run_op(node_id, op).await {
            Ok(output) => ran.push(output),
            Err(failure) => return RadioOutcome::Failed { ran, failure },
        }
    }
    RadioOutcome::Done(ran)
}

/// Runs a Z-Wave node's ops in order; a sleeping node's wait is reported as `Queued`, and the
/// ops from there on are all queued at once, so they go out on the one wake-up (the driver
/// sends the node back to sleep as soon as its queue is empty: ops queued one at a time would
/// take one wake-up each).
#[allow(clippy::too_many_arguments)]
async fn run_zwave<W: ZwaveRadio>(
    radio: &W,
    node: u16,
    ops: Vec<ZwaveOp>,
    ticket: Ticket,
    done: &Done,
    limit: Duration,
    reports: &broadcast::Sender<u16>,
    awaited: &mut Option<broadcast::Receiver<u16>>,
) -> RadioOutcome {
    // The previous job to this node ended with a Get: its report first (see `execute`).
    if let Some(heard) = awaited.take() {
        report_or_pause(heard, node).await;
    }
    let mut ran = Vec::with_capacity(ops.len());
    let count = ops.len();
    let mut ops = ops.into_iter().enumerate();
    while let Some((i, op)) = ops.next() {
        let ZwaveOp::Send { endpoint, command } = op;
        // Subscribed before sending, so a report that comes at once is not missed.
        let pace = asks_for_report(&command).then(|| reports.subscribe());
        match radio.submit(node, endpoint, command).await {
            Ok(ZwaveSent::Done) => ran.push(OpOutput::Done),
            Ok(ZwaveSent::Confirmed) => ran.push(OpOutput::Confirmed),
            Ok(ZwaveSent::Queued(after)) => {
                let _ = done.send((ticket, RadioOutcome::Queued));
                let mut waiting: Vec<AfterWakeUp> = vec![after];
                for (_, ZwaveOp::Send { endpoint, command }) in ops.by_ref() {
                    match radio.submit(node, endpoint, command).await {
                        Ok(ZwaveSent::Queued(after)) => waiting.push(after),
                        // Awake already (it woke meanwhile): sent at once.
                        Ok(ZwaveSent::Done | ZwaveSent::Confirmed) => {
                            waiting.push(Box::pin(async { Ok(()) }))
                        }
                        Err(failure) => {
                            waiting.push(Box::pin(async move { Err(failure) }));
                            break;
                        }
                    }
                }
                let deadline = tokio::time::Instant::now() + limit;
                for after in waiting {
                    let sent = tokio::time::timeout_at(deadline, after)
                        .await
                        .unwrap_or_else(|_| {
                            Err(OpFailure::new(
                                Failure::Unreachable,
                                format!("node {node} did not wake up in time"),
                            ))
                        });
                    match sent {
                        Ok(()) => ran.push(OpOutput::Done),
                        Err(failure) => return RadioOutcome::Failed { ran, failure },
                    }
                }
                return RadioOutcome::Done(ran);
            }
            Err(failure) => return RadioOutcome::Failed { ran, failure },
        }
        if let Some(heard) = pace {
            if i + 1 < count {
                report_or_pause(heard, node).await;
            } else {
                // The last op: the job is done at the node's acknowledgement, but the next
                // job to this node waits for the report like the next op would.
                *awaited = Some(heard);
            }
        }
    }
    RadioOutcome::Done(ran)
}

/// How long the next op to a node waits for the report a Get asked for, at most.
const REPORT_PACE: Duration = Duration::from_secs(2);

/// Waits until `node` reports (or [`REPORT_PACE`] passes). `send_command` returns at the
/// node's acknowledgement; a secure node's next frame sent before its encrypted Report
/// arrived crosses it on the same SPAN and one of them is lost (see `gateway::zwave`).
async fn report_or_pause(mut heard: broadcast::Receiver<u16>, node: u16) {
    let wait = async {
        loop {
            match heard.recv().await {
                Ok(n) if n == node => return,
                Ok(_) => {}
                // Missed some: the report may be among them; go on.
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    let _ = tokio::time::timeout(REPORT_PACE, wait).await;
}

/// Whether `command` is a Get, whose answer is a Report the node sends afterwards.
fn asks_for_report(command: &CommandClassFrame) -> bool {
    use CommandClassFrame as F;
    use sealhub_radios::zwave::cc::{
        Basic, Battery, BinarySwitch, ColorSwitch, DoorLock, Meter, MultilevelSensor,
        MultilevelSwitch, Notification, ThermostatMode, ThermostatOperatingState,
        ThermostatSetpoint, UserCode,
    };
    matches!(
        command,
        F::Basic(Basic::Get)
            | F::BinarySwitch(BinarySwitch::Get)
            | F::MultilevelSwitch(MultilevelSwitch::Get)
            | F::ColorSwitch(ColorSwitch::Get { .. })
            | F::DoorLock(DoorLock::OperationGet)
            | F::UserCode(UserCode::Get { .. } | UserCode::UsersNumberGet)
            | F::ThermostatMode(ThermostatMode::Get)
            | F::ThermostatSetpoint(ThermostatSetpoint::Get { .. })
            | F::ThermostatOperatingState(ThermostatOperatingState::Get)
            | F::MultilevelSensor(MultilevelSensor::Get { .. })
            | F::Meter(Meter::Get { .. })
            | F::Notification(Notification::Get { .. })
            | F::Battery(Battery::Get)
    )
}

/// The executor of one device: its jobs one after the other.
async fn execute<Z: ZigbeeRadio, W: ZwaveRadio>(
    mut jobs: mpsc::UnboundedReceiver<Job<Z, W>>,
    done: Done,
    queued_limit: Duration,
    reports: broadcast::Sender<u16>,
) {
    // A Z-Wave job that ended with a Get leaves its node's report to wait for here, so the
    // next job's first frame does not cross that report on the same SPAN: a command that
    // comes right after the device's set-up reads (at start) would otherwise be lost.
    let mut awaited: Option<broadcast::Receiver<u16>> = None;
    while let Some(job) = jobs.recv().await {
        let started = std::time::Instant::now();
        let (ticket, outcome, radio, node, count) = match job {
            Job::Zigbee {
                ticket,
                radio,
                node_id,
                ops,
            } => {
                let count = ops.len();
                let outcome = run_zigbee(&*radio, node_id, ops).await;
                (ticket, outcome, "zigbee", node_id, count)
            }
            Job::Zwave {
                ticket,
                radio,
                node,
                ops,
            } => {
                let count = ops.len();
                let outcome = run_zwave(
                    &*radio,
                    node,
                    ops,
                    ticket,
                    &done,
                    queued_limit,
                    &reports,
                    &mut awaited,
                )
                .await;
                (ticket, outcome, "zwave", node, count)
            }
        };
        // The radio's share of a command (the driver's requests to their confirmations), for
        // `benches/hub.rs`, which takes it from the host-added time per command.
        debug!(
            target: RADIO_TIME_TARGET,
            radio,
            node,
            ops = count,
            radio_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "device ops ran"
        );
        if done.send((ticket, outcome)).is_err() {
            return;
        }
    }
}

fn unavailable(radio: &str) -> RadioOutcome {
    RadioOutcome::Failed {
        ran: vec![],
        failure: OpFailure::new(
            Failure::RadioUnavailable,
            format!("the {radio} stick is not up"),
        ),
    }
}

/// Carries out the core's outputs.
struct Carrier<Z, W> {
    zigbee: Option<Arc<Z>>,
    zwave: Option<Arc<W>>,
    executors: HashMap<DeviceKey, mpsc::UnboundedSender<Job<Z, W>>>,
    done: Done,
    interviewed: mpsc::UnboundedSender<(u64, Result<DeviceDescription, String>)>,
    deliveries: mpsc::Sender<Outbound>,
    queued_limit: Duration,
    /// The ids of Z-Wave nodes as they report, for the executors' pacing.
    reports: broadcast::Sender<u16>,
}

impl<Z: ZigbeeRadio, W: ZwaveRadio> Carrier<Z, W> {
    fn job(&mut self, key: DeviceKey, job: Job<Z, W>) {
        let sender = self.executors.entry(key).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(execute(
                rx,
                self.done.clone(),
                self.queued_limit,
                self.reports.clone(),
            ));
            tx
        });
        if let Err(mpsc::error::SendError(job)) = sender.send(job) {
            // The executor ended (it cannot, while `done` is open); fail the job.
            let ticket = match job {
                Job::Zigbee { ticket, .. } | Job::Zwave { ticket, .. } => ticket,
            };
            let _ = self.done.send((ticket, unavailable("radio")));
        }
    }

    /// Runs a hub-level request in the background and reports its result.
    fn request<F>(&self, ticket: Ticket, request: F)
    where
        F: Future<Output = Result<(), OpFailure>> + Send + 'static,
    {
        let done = self.done.clone();
        tokio::spawn(async move {
            let outcome = match request.await {
                Ok(()) => RadioOutcome::Done(vec![]),
                Err(failure) => RadioOutcome::Failed {
                    ran: vec![],
                    failure,
                },
            };
            let _ = done.send((ticket, outcome));
        });
    }

    async fn carry(&mut self, output: Output) {
        match output {
            Output::ZigbeeOps {
                ticket,
                node_id,
                ops,
            } => match self.zigbee.clone() {
                Some(radio) => self.job(
                    DeviceKey::Zigbee(node_id),
                    Job::Zigbee {
                        ticket,
                        radio,
                        node_id,
                        ops,
                    },
                ),
                None => {
                    let _ = self.done.send((ticket, unavailable("Zigbee")));
                }
            },
            Output::ZwaveOps { ticket, node, ops } => match self.zwave.clone() {
                Some(radio) => self.job(
                    DeviceKey::Zwave(node),
                    Job::Zwave {
                        ticket,
                        radio,
                        node,
                        ops,
                    },
                ),
                None => {
                    let _ = self.done.send((ticket, unavailable("Z-Wave")));
                }
            },
            Output::ZigbeeInterview { eui64, node_id } => {
                let Some(radio) = self.zigbee.clone() else {
                    return;
                };
                let interviewed = self.interviewed.clone();
                info!(
                    eui64 = format_args!("{eui64:016x}"),
                    "interviewing a new Zigbee device"
                );
                tokio::spawn(async move {
                    let result = radio.interview(node_id).await;
                    let _ = interviewed.send((eui64, result));
                });
            }
            Output::ZigbeePermitJoin { ticket, seconds } => match self.zigbee.clone() {
                Some(radio) => {
                    self.request(ticket, async move { radio.permit_join(seconds).await })
                }
                None => {
                    let _ = self.done.send((ticket, unavailable("Zigbee")));
                }
            },
            Output::ZigbeeRemove {
                ticket,
                eui64,
                node_id,
            } => match self.zigbee.clone() {
                Some(radio) => {
                    self.request(ticket, async move { radio.remove(node_id, eui64).await })
                }
                None => {
                    let _ = self.done.send((ticket, unavailable("Zigbee")));
                }
            },
            Output::ZwaveInclude { ticket, pin } => match self.zwave.clone() {
                Some(radio) => self.request(ticket, async move { radio.include(pin).await }),
                None => {
                    let _ = self.done.send((ticket, unavailable("Z-Wave")));
                }
            },
            Output::ZwaveExclude { ticket } => match self.zwave.clone() {
                Some(radio) => self.request(ticket, async move { radio.exclude().await }),
                None => {
                    let _ = self.done.send((ticket, unavailable("Z-Wave")));
                }
            },
            Output::ZwaveStop { ticket } => match self.zwave.clone() {
                Some(radio) => self.request(ticket, async move { radio.stop().await }),
                None => {
                    let _ = self.done.send((ticket, unavailable("Z-Wave")));
                }
            },
            Output::Deliver(delivery) => self.send(outbound(delivery)).await,
        }
    }

    /// Hands one request to the transport.
    async fn send(&self, out: Outbound) {
        if self.deliveries.send(out).await.is_err() {
            debug!("no transport takes deliveries");
        }
    }
}

/// What the task does with one thing the transport handed up: an input for the core, if any.
async fn from_transport<Z: ZigbeeRadio, W: ZwaveRadio>(
    inbound: Inbound,
    home: &mut Home,
    pairing: &mut Option<Box<dyn PairingHandler>>,
    tls_fingerprint: [u8; 32],
    carrier: &Carrier<Z, W>,
) -> Option<Input> {
    match inbound {
        Inbound::Envelope { conn, bytes, .. } => Some(Input::Envelope { conn, bytes }),
        Inbound::Connected {
            conn,
            client: Some(client),
        } => Some(Input::Connected { conn, client }),
        // A pairing session opened; its frames say what it wants.
        Inbound::Connected { client: None, .. } => None,
        Inbound::Closed { conn } => {
            if let Some(handler) = pairing.as_mut() {
                handler.on_closed(conn);
            }
            Some(Input::ConnectionClosed { conn })
        }
        Inbound::Pairing { conn, bytes } => {
            match pairing.as_mut() {
                Some(handler) => {
                    let now = tokio::time::Instant::now().into_std();
                    for out in handler.on_frame(home, tls_fingerprint, conn, &bytes, now) {
                        carrier.send(out).await;
                    }
                }
                None => {
                    warn!(
                        conn,
                        "pairing is not available yet; closing the pairing session"
                    );
                    carrier.send(Outbound::CloseConnection { conn }).await;
                }
            }
            Some(Input::ClientsChanged)
        }
    }
}

/// Runs the gateway until the hub stops; the home is closed when it returns.
pub(crate) async fn run<Z: ZigbeeRadio, W: ZwaveRadio>(
    parts: GatewayParts<Z, W>,
    mut link: TaskLink,
) {
    let GatewayParts {
        mut home,
        store,
        definitions,
        translation,
        config,
        mut radios,
        mut clients,
        deliveries,
        mut pairing,
        tls_fingerprint,
    } = parts;
    let queued_limit = config.queued_timeout;
    let (mut gateway, started) = match Gateway::open(
        &mut home,
        store,
        definitions,
        translation,
        config,
        tokio::time::Instant::now().into_std(),
    ) {
        Ok(g) => g,
        Err(e) => {
            error!("the gateway is not started: {e}");
            link.attempted().await;
            return;
        }
    };
    let (done, mut results) = mpsc::unbounded_channel();
    let (interviewed, mut interviews) = mpsc::unbounded_channel();
    let mut carrier: Carrier<Z, W> = Carrier {
        zigbee: None,
        zwave: None,
        executors: HashMap::new(),
        done,
        interviewed,
        deliveries,
        queued_limit,
        reports: broadcast::channel(REPORTS_HEARD).0,
    };
    for output in started {
        carrier.carry(output).await;
    }
    link.attempted().await;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut clients_open = true;
    let mut radios_open = true;
    loop {
        // Biased, in this order: a client's command and a radio's answer to one go before the
        // reports queued meanwhile (thousands a second in a busy house), so a command does not
        // wait behind them; the tick comes first so deadlines are checked however busy the
        // radios are, and the radios' events last (the clients' frames are rate-limited, so
        // they cannot starve them).
        let input = tokio::select! {
            biased;
            () = link.stopped() => break,
            _ = tick.tick() => {
                // Pairing sessions past their deadline are refused here.
                if let Some(handler) = pairing.as_mut() {
                    let now = tokio::time::Instant::now().into_std();
                    if handler.next_deadline().is_some_and(|due| due <= now) {
                        for out in handler.tick(now) {
                            carrier.send(out).await;
                        }
                    }
                }
                Input::Tick
            }
            Some((ticket, outcome)) = results.recv() => Input::RadioDone { ticket, outcome },
            message = clients.recv(), if clients_open => match message {
                Some(inbound) => match from_transport(
                    inbound,
                    &mut home,
                    &mut pairing,
                    tls_fingerprint,
                    &carrier,
                )
                .await
                {
                    Some(input) => input,
                    None => continue,
                },
                None => {
                    clients_open = false;
                    continue;
                }
            },
            Some((eui64, result)) = interviews.recv() => Input::ZigbeeInterviewed { eui64, result },
            message = radios.recv(), if radios_open => match message {
                Some(FromRadio::ZigbeeUp { radio, network }) => {
                    carrier.zigbee = Some(radio);
                    Input::ZigbeeUp(network)
                }
                Some(FromRadio::Zigbee(event)) => Input::Zigbee(event),
                Some(FromRadio::ZwaveUp { radio, home_id, node_id }) => {
                    carrier.zwave = Some(radio);
                    Input::ZwaveUp { home_id, node_id }
                }
                Some(FromRadio::Zwave(event)) => {
                    if let zwave::RadioEvent::Report { node, .. } = &event {
                        // No executor listening is fine.
                        let _ = carrier.reports.send(*node);
                    }
                    Input::Zwave(event)
                }
                Some(FromRadio::ZwaveDescribed(record)) => Input::ZwaveDescribed(record),
                // The radio tasks ended (disabled, or stopping): the gateway keeps serving
                // clients.
                None => {
                    radios_open = false;
                    continue;
                }
            },
        };
        let kind = input.kind();
        let started = std::time::Instant::now();
        let outputs = gateway.handle(&mut home, input, tokio::time::Instant::now().into_std());
        let handled = started.elapsed();
        for output in outputs {
            carrier.carry(output).await;
        }
        // After the answers are handed to the transport: they leave while this flushes.
        let carried = started.elapsed();
        gateway.flush_staged(&mut home);
        let flushed = started.elapsed();
        // While the radio carries out the request just handed on.
        gateway.prepare_answers(&home);
        debug!(
            target: GATEWAY_TIME_TARGET,
            input = kind,
            handle_us = handled.as_micros(),
            carry_us = (carried - handled).as_micros(),
            flush_us = (flushed - carried).as_micros(),
            prepare_us = (started.elapsed() - flushed).as_micros(),
            "input handled"
        );
    }
    drop(gateway);
    drop(home);
    info!("gateway stopped");
}

#[cfg(test)]
mod tests;
