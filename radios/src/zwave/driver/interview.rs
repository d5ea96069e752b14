//! The node interview: what a host asks a node once it is in the network, so sealhub knows
//! what the node is and what it can do without the user telling it (Z-Wave issue 4).
//!
//! The steps follow zwave-js's node interview (`packages/zwave-js/src/lib/node/Node.ts`: the
//! node information, then `interviewCCs`, the security classes first): the node information
//! frame (RequestNodeInfo and the ApplicationUpdate it brings, unless it is known), for a
//! secure node the command classes it supports under its highest class (Security 2 or S0
//! Commands Supported Get), then Version (the node's versions and each command class's
//! version), Manufacturer Specific, Z-Wave Plus Info, Association (groupings, and the lifeline,
//! group 1, set to the controller as hosts do), Multi Channel end points, and the current state
//! of each actuator and sensor command class (a Get each).
//!
//! A step the node does not answer within [`InterviewOptions::report_timeout`] is recorded as
//! [`Step::Unanswered`] and the interview goes on, as zwave-js does. A sleeping node is held
//! awake from its wake-up to the end of the interview (no Wake Up No More Information in
//! between).
//!
//! The answers are picked off the decoded report stream by [`Taps`]: the dispatcher offers
//! every [`RadioEvent::Report`] and node information frame to it (the caller still sees them).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::timeout;

use super::{Error, NodeInfo, Op, Reply, Result, ZwaveStick};
use crate::zwave::cc::{
    Association, Battery, BinarySwitch, CommandClassFrame, DoorLock, ManufacturerSpecific, Meter,
    MultiChannel, MultilevelSensor, MultilevelSwitch, ThermostatMode, ThermostatOperatingState,
    ThermostatSetpoint, Version, ZWavePlusInfo, ids,
};
use crate::zwave::s2::SecurityClass;
use crate::zwave::serial::messages::HostMessage;

/// The command class list marker: classes after it are controlled, not supported.
const SUPPORT_CONTROL_MARK: u8 = 0xEF;
/// Security 2 Commands Supported Get / Report.
const S2_COMMANDS_SUPPORTED_GET: u8 = 0x0D;
const S2_COMMANDS_SUPPORTED_REPORT: u8 = 0x0E;
/// Security (S0) Commands Supported Get / Report.
const S0_COMMANDS_SUPPORTED_GET: u8 = 0x02;
const S0_COMMANDS_SUPPORTED_REPORT: u8 = 0x03;
/// The lifeline association group.
const LIFELINE: u8 = 1;
/// Thermostat Setpoint type asked for its current state: Heating.
const SETPOINT_HEATING: u8 = 0x01;

/// How an interview runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterviewOptions {
    /// For a sleeping node that is asleep: wait for its wake-up (a node may sleep for hours:
    /// wrap the call in a timeout), or fail at once with [`Error::NodeAsleep`].
    pub wait_for_wake_up: bool,
    /// How long the node has to answer each question before the step is recorded as
    /// unanswered.
    pub report_timeout: Duration,
}

impl Default for InterviewOptions {
    fn default() -> Self {
        Self {
            wait_for_wake_up: true,
            report_timeout: Duration::from_secs(10),
        }
    }
}

/// What became of one interview question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// The node answered.
    Answered(T),
    /// The node did not answer within this time (or the question could not be delivered, or
    /// the stick said the node did not answer); the interview went on without it.
    Unanswered {
        /// How long the driver waited.
        timeout: Duration,
    },
    /// The node does not support the command class, so nothing was asked.
    NotSupported,
}

impl<T> Step<T> {
    /// The answer, if the node gave one.
    pub fn answered(&self) -> Option<&T> {
        match self {
            Self::Answered(t) => Some(t),
            _ => None,
        }
    }
}

/// The node's Version Report: its protocol and firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeVersion {
    /// Z-Wave library type byte.
    pub library_type: u8,
    /// Protocol version (major, minor).
    pub protocol: (u8, u8),
    /// Firmware 0 version (major, minor).
    pub firmware: (u8, u8),
}

/// Who made the node (Manufacturer Specific Report): the key to its device configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manufacturer {
    /// Manufacturer id.
    pub manufacturer_id: u16,
    /// Product type.
    pub product_type: u16,
    /// Product id.
    pub product_id: u16,
}

/// Z-Wave Plus Info: the node's role and icons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZwavePlus {
    /// Z-Wave Plus version.
    pub version: u8,
    /// Role type (always-on end node, sleeping reporting end node, …).
    pub role_type: u8,
    /// Node type (Z-Wave Plus node, IP gateway).
    pub node_type: u8,
    /// Installer icon.
    pub installer_icon: u16,
    /// User icon.
    pub user_icon: u16,
}

/// The node's association groups and its lifeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Associations {
    /// How many groups it has.
    pub groups: u8,
    /// Whether our Association Set of the lifeline to the controller was acknowledged (and,
    /// when supervised, applied).
    pub lifeline_set: bool,
    /// The lifeline's members as the node reported them after the Set.
    pub lifeline: Step<Vec<u8>>,
}

/// One supported command class and what the interview learnt about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandClassInfo {
    /// The command class id.
    pub cc: u8,
    /// Whether the node supports it securely (its secure list names it): frames of it are then
    /// taken only under the node's highest class, even if its node information frame lists it
    /// too.
    pub secure: bool,
    /// The version the node implements (Version Command Class Report).
    pub version: Step<u8>,
}

/// One Multi Channel end point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndPoint {
    /// Its id (1..=127).
    pub endpoint: u8,
    /// Generic device class.
    pub generic: u8,
    /// Specific device class.
    pub specific: u8,
    /// Supported command classes.
    pub command_classes: Vec<u8>,
}

/// The current state of one actuator or sensor command class (its Report to our Get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateValue {
    /// The end point (0: the root device).
    pub endpoint: u8,
    /// The command class asked.
    pub cc: u8,
    /// Its report.
    pub report: Step<CommandClassFrame>,
}

/// What a node is and supports, as its interview found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDescription {
    /// The node.
    pub node: u16,
    /// Its node information frame.
    pub info: Step<NodeInfo>,
    /// Its highest granted security class (`None`: not secure).
    pub security: Option<SecurityClass>,
    /// The command classes it supports under `security` (its Commands Supported Report).
    pub secure_command_classes: Step<Vec<u8>>,
    /// Every supported command class, from the information frame and the secure list.
    pub command_classes: Vec<CommandClassInfo>,
    /// Its protocol and firmware versions.
    pub version: Step<NodeVersion>,
    /// Manufacturer Specific.
    pub manufacturer: Step<Manufacturer>,
    /// Z-Wave Plus Info.
    pub zwave_plus: Step<ZwavePlus>,
    /// Association groups and the lifeline.
    pub associations: Step<Associations>,
    /// Multi Channel end points.
    pub endpoints: Step<Vec<EndPoint>>,
    /// The current state of each actuator and sensor command class, root device first.
    pub state: Vec<StateValue>,
}

impl NodeDescription {
    /// Whether the node supports `cc` (in the clear or securely).
    pub fn supports(&self, cc: u8) -> bool {
        self.command_classes.iter().any(|c| c.cc == cc)
    }

    /// The version of `cc` the node reported.
    pub fn cc_version(&self, cc: u8) -> Option<u8> {
        self.command_classes
            .iter()
            .find(|c| c.cc == cc)
            .and_then(|c| c.version.answered().copied())
    }
}

/// Whether a frame is the report a question waits for.
type IsReport = fn(&CommandClassFrame) -> bool;

type Matcher = Box<dyn Fn(&CommandClassFrame) -> bool + Send>;

struct ReportTap {
    node: u16,
    endpoint: u8,
    want: Matcher,
    tx: oneshot::Sender<CommandClassFrame>,
}

/// Hands reports and node information frames to the interview questions waiting for them.
#[derive(Default)]
pub(crate) struct Taps {
    reports: Mutex<Vec<ReportTap>>,
    infos: Mutex<Vec<(u16, oneshot::Sender<NodeInfo>)>>,
    known: Mutex<HashMap<u16, NodeInfo>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Taps {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Waits for the next report from `node`'s `endpoint` that `want` accepts.
    fn expect(
        &self,
        node: u16,
        endpoint: u8,
        want: impl Fn(&CommandClassFrame) -> bool + Send + 'static,
    ) -> oneshot::Receiver<CommandClassFrame> {
        let (tx, rx) = oneshot::channel();
        let mut reports = lock(&self.reports);
        reports.retain(|t| !t.tx.is_closed());
        reports.push(ReportTap {
            node,
            endpoint,
            want: Box::new(want),
            tx,
        });
        rx
    }

    /// A decoded report from a node: the first question waiting for it gets a copy.
    pub(crate) fn offer(&self, node: u16, endpoint: u8, report: &CommandClassFrame) {
        let mut reports = lock(&self.reports);
        let found = reports.iter().position(|t| {
            t.node == node && t.endpoint == endpoint && !t.tx.is_closed() && (t.want)(report)
        });
        if let Some(at) = found {
            let tap = reports.swap_remove(at);
            let _ = tap.tx.send(report.clone());
        }
    }

    /// A node's information frame arrived.
    pub(crate) fn on_node_info(&self, node: u16, info: &NodeInfo) {
        lock(&self.known).insert(node, info.clone());
        let mut infos = lock(&self.infos);
        let (mine, rest): (Vec<_>, Vec<_>) = infos.drain(..).partition(|(n, _)| *n == node);
        *infos = rest;
        for (_, tx) in mine {
            let _ = tx.send(info.clone());
        }
    }

    /// The stick reported that a RequestNodeInfo went unanswered: RequestNodeInfo requests go
    /// out one at a time in order, so the oldest question waiting for a frame gets its answer
    /// (none) now instead of at its timeout.
    pub(crate) fn on_node_info_failed(&self) {
        let mut infos = lock(&self.infos);
        infos.retain(|(_, t)| !t.is_closed());
        if !infos.is_empty() {
            drop(infos.remove(0));
        }
    }

    /// Forgets a node that left.
    pub(crate) fn forget(&self, node: u16) {
        lock(&self.known).remove(&node);
    }

    fn known(&self, node: u16) -> Option<NodeInfo> {
        lock(&self.known).get(&node).cloned()
    }

    fn expect_info(&self, node: u16) -> oneshot::Receiver<NodeInfo> {
        let (tx, rx) = oneshot::channel();
        let mut infos = lock(&self.infos);
        infos.retain(|(_, t)| !t.is_closed());
        infos.push((node, tx));
        rx
    }
}

/// The command classes a frame's list supports (those after the mark are controlled only).
pub(super) fn supported(listed: &[u8]) -> Vec<u8> {
    listed
        .iter()
        .take_while(|&&c| c != SUPPORT_CONTROL_MARK)
        .copied()
        .collect()
}

/// The Get that reads an actuator or sensor command class's current state, and whether a
/// frame is its report.
fn state_get(cc: u8) -> Option<(CommandClassFrame, IsReport)> {
    use CommandClassFrame as F;
    Some(match cc {
        ids::BINARY_SWITCH => (F::BinarySwitch(BinarySwitch::Get), |f| {
            matches!(f, F::BinarySwitch(BinarySwitch::Report { .. }))
        }),
        ids::MULTILEVEL_SWITCH => (F::MultilevelSwitch(MultilevelSwitch::Get), |f| {
            matches!(f, F::MultilevelSwitch(MultilevelSwitch::Report { .. }))
        }),
        ids::THERMOSTAT_MODE => (F::ThermostatMode(ThermostatMode::Get), |f| {
            matches!(f, F::ThermostatMode(ThermostatMode::Report { .. }))
        }),
        ids::THERMOSTAT_SETPOINT => (
            F::ThermostatSetpoint(ThermostatSetpoint::Get {
                setpoint_type: SETPOINT_HEATING,
            }),
            |f| matches!(f, F::ThermostatSetpoint(ThermostatSetpoint::Report { .. })),
        ),
        ids::THERMOSTAT_OPERATING_STATE => (
            F::ThermostatOperatingState(ThermostatOperatingState::Get),
            |f| {
                matches!(
                    f,
                    F::ThermostatOperatingState(ThermostatOperatingState::Report { .. })
                )
            },
        ),
        ids::MULTILEVEL_SENSOR => (
            F::MultilevelSensor(MultilevelSensor::Get { requested: None }),
            |f| matches!(f, F::MultilevelSensor(MultilevelSensor::Report { .. })),
        ),
        ids::METER => (
            F::Meter(Meter::Get {
                scale_byte: None,
                scale2: None,
            }),
            |f| matches!(f, F::Meter(Meter::Report(_))),
        ),
        ids::DOOR_LOCK => (F::DoorLock(DoorLock::OperationGet), |f| {
            matches!(f, F::DoorLock(DoorLock::OperationReport { .. }))
        }),
        ids::BATTERY => (F::Battery(Battery::Get), |f| {
            matches!(f, F::Battery(Battery::Report { .. }))
        }),
        _ => return None,
    })
}

/// Keeps a sleeping node awake while an interview (or a secure exchange) runs, and lets it
/// sleep again when dropped.
pub(crate) struct AwakeHold {
    requests: tokio::sync::mpsc::Sender<super::Request>,
    node: u16,
}

impl AwakeHold {
    /// Holds a sleeping node that is listening now because it is joining the network, so
    /// security bootstrapping reaches it; without waiting (called from the dispatcher).
    pub(crate) fn joining(requests: &tokio::sync::mpsc::Sender<super::Request>, node: u16) -> Self {
        let (reply, _) = oneshot::channel();
        let op = Op::Joining { node };
        if let Err(e) = requests.try_send(super::Request { op, reply }) {
            tracing::warn!(node, "could not keep the joining node awake: {e}");
        }
        Self {
            requests: requests.clone(),
            node,
        }
    }
}

impl Drop for AwakeHold {
    fn drop(&mut self) {
        let (reply, _) = oneshot::channel();
        let request = super::Request {
            op: Op::Hold {
                node: self.node,
                hold: false,
            },
            reply,
        };
        // A full request queue must not leave the node held for good: wait for room then.
        if let Err(tokio::sync::mpsc::error::TrySendError::Full(request)) =
            self.requests.try_send(request)
        {
            let requests = self.requests.clone();
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move {
                        let _ = requests.send(request).await;
                    });
                }
                Err(_) => tracing::warn!(node = self.node, "could not let the node sleep again"),
            }
        }
    }
}

/// Holds `node` awake: returns the hold and, for a sleeping node that is asleep, where its
/// next wake-up is announced.
pub(crate) async fn hold_awake(
    client: &super::Client,
    node: u16,
) -> Result<(AwakeHold, Option<oneshot::Receiver<()>>)> {
    match client.request(Op::Hold { node, hold: true }).await? {
        Reply::Held(woken) => Ok((
            AwakeHold {
                requests: client.requests.clone(),
                node,
            },
            woken,
        )),
        _ => Err(Error::UnexpectedResponse("Hold")),
    }
}

impl ZwaveStick {
    /// Interviews a node with [`InterviewOptions::default`]: waits for a sleeping node's
    /// wake-up.
    pub async fn interview(&self, node: u16) -> Result<NodeDescription> {
        self.interview_with(node, InterviewOptions::default()).await
    }

    /// Asks a node what it is and supports (see the module documentation for the steps) and
    /// records what it learns: the command classes it supports (securely too, so Sets are
    /// supervised where it supports Supervision). A question the node leaves unanswered is
    /// recorded as such and the interview goes on; it fails only when the stick fails or a
    /// sleeping node is asleep and `options` says not to wait.
    pub async fn interview_with(
        &self,
        node: u16,
        options: InterviewOptions,
    ) -> Result<NodeDescription> {
        if !(1..=232).contains(&node) {
            return Err(Error::InvalidNode(node));
        }
        self.client.generation()?;
        let (hold, woken) = hold_awake(&self.client, node).await?;
        if let Some(woken) = woken {
            if !options.wait_for_wake_up {
                return Err(Error::NodeAsleep(node));
            }
            tracing::info!(node, "interview waits for the node's wake-up");
            woken.await.map_err(|_| Error::Closed)?;
        }
        let description = Interview {
            stick: self,
            node,
            options,
        }
        .run()
        .await;
        drop(hold);
        description
    }
}

struct Interview<'a> {
    stick: &'a ZwaveStick,
    node: u16,
    options: InterviewOptions,
}

impl Interview<'_> {
    fn unanswered<T>(&self) -> Step<T> {
        Step::Unanswered {
            timeout: self.options.report_timeout,
        }
    }

    /// Sends `command` to `endpoint` and waits for the report `want` accepts.
    async fn ask(
        &self,
        endpoint: u8,
        command: CommandClassFrame,
        want: impl Fn(&CommandClassFrame) -> bool + Send + 'static,
    ) -> Result<Step<CommandClassFrame>> {
        let rx = self.stick.taps.expect(self.node, endpoint, want);
        self.await_report(
            rx,
            self.stick.send_command(self.node, endpoint, command).await,
        )
        .await
    }

    /// Waits for a report after its question was sent; a question the node did not take
    /// (no ACK, no nonce) is unanswered, a stick that is gone fails the interview.
    async fn await_report(
        &self,
        rx: oneshot::Receiver<CommandClassFrame>,
        sent: Result<impl Sized>,
    ) -> Result<Step<CommandClassFrame>> {
        match sent {
            Ok(_) => {}
            Err(e @ (Error::StickLost | Error::Closed | Error::SecurityNotStarted)) => {
                return Err(e);
            }
            Err(e) => {
                tracing::info!(node = self.node, "interview question not delivered: {e}");
                return Ok(self.unanswered());
            }
        }
        match timeout(self.options.report_timeout, rx).await {
            Ok(Ok(frame)) => Ok(Step::Answered(frame)),
            _ => {
                tracing::info!(node = self.node, "interview question unanswered");
                Ok(self.unanswered())
            }
        }
    }

    async fn node_info(&self) -> Result<Step<NodeInfo>> {
        if let Some(info) = self.stick.taps.known(self.node) {
            return Ok(Step::Answered(info));
        }
        let rx = self.stick.taps.expect_info(self.node);
        let node_id = u8::try_from(self.node).map_err(|_| Error::InvalidNode(self.node))?;
        match self
            .stick
            .client
            .request(Op::Query(HostMessage::RequestNodeInfo { node_id }))
            .await
        {
            Ok(_) => {}
            Err(e @ (Error::StickLost | Error::Closed)) => return Err(e),
            Err(e) => {
                tracing::info!(node = self.node, "RequestNodeInfo failed: {e}");
                return Ok(self.unanswered());
            }
        }
        Ok(match timeout(self.options.report_timeout, rx).await {
            Ok(Ok(info)) => Step::Answered(info),
            _ => self.unanswered(),
        })
    }

    /// Security 2 (or S0) Commands Supported Get under the node's highest class.
    async fn secure_command_classes(&self, class: SecurityClass) -> Result<Step<Vec<u8>>> {
        let (get, cc, report) = match class {
            SecurityClass::S0Legacy => (
                vec![ids::SECURITY, S0_COMMANDS_SUPPORTED_GET],
                ids::SECURITY,
                S0_COMMANDS_SUPPORTED_REPORT,
            ),
            _ => (
                vec![ids::SECURITY_2, S2_COMMANDS_SUPPORTED_GET],
                ids::SECURITY_2,
                S2_COMMANDS_SUPPORTED_REPORT,
            ),
        };
        let rx = self.stick.taps.expect(self.node, 0, move |f| match f {
            CommandClassFrame::Unknown { cc: c, command, .. } => *c == cc && *command == report,
            _ => false,
        });
        let sent = self.stick.send_data(self.node, get).await;
        Ok(match self.await_report(rx, sent).await? {
            Step::Answered(CommandClassFrame::Unknown { payload, .. }) => {
                // S0 puts "reports to follow" first.
                let list = match class {
                    SecurityClass::S0Legacy => payload.get(1..).unwrap_or_default(),
                    _ => &payload[..],
                };
                Step::Answered(supported(list))
            }
            Step::Answered(_) => self.unanswered(),
            Step::Unanswered { timeout } => Step::Unanswered { timeout },
            Step::NotSupported => Step::NotSupported,
        })
    }

    async fn run(self) -> Result<NodeDescription> {
        let node = self.node;
        let info = self.node_info().await?;
        let security = self.stick.node_security(node);
        let mut clear: Vec<u8> = info
            .answered()
            .map(|i| supported(&i.command_classes))
            .unwrap_or_default();
        clear.retain(|c| *c != ids::SECURITY && *c != ids::SECURITY_2);
        let secure_command_classes = match security {
            Some(class) => self.secure_command_classes(class).await?,
            None => Step::NotSupported,
        };
        let secure_list = secure_command_classes
            .answered()
            .cloned()
            .unwrap_or_default();
        let mut all = clear.clone();
        for cc in &secure_list {
            if !all.contains(cc) {
                all.push(*cc);
            }
        }
        // Sets to the node are supervised where it supports Supervision.
        if info.answered().is_some() || !secure_list.is_empty() {
            self.stick.commands.set_command_classes(node, &all);
        }
        let has = |cc: u8| all.contains(&cc);

        // Version: the node's own, then each command class's.
        let mut command_classes = Vec::with_capacity(all.len());
        let version = if has(ids::VERSION) {
            match self
                .ask(0, CommandClassFrame::Version(Version::Get), |f| {
                    matches!(f, CommandClassFrame::Version(Version::Report { .. }))
                })
                .await?
            {
                Step::Answered(CommandClassFrame::Version(Version::Report {
                    library_type,
                    protocol,
                    firmware0,
                    ..
                })) => Step::Answered(NodeVersion {
                    library_type,
                    protocol,
                    firmware: firmware0,
                }),
                _ => self.unanswered(),
            }
        } else {
            Step::NotSupported
        };
        for &cc in &all {
            let version = if has(ids::VERSION) {
                match self
                    .ask(
                        0,
                        CommandClassFrame::Version(Version::CommandClassGet { cc }),
                        move |f| match f {
                            CommandClassFrame::Version(Version::CommandClassReport {
                                cc: c,
                                ..
                            }) => *c == cc,
                            _ => false,
                        },
                    )
                    .await?
                {
                    Step::Answered(CommandClassFrame::Version(Version::CommandClassReport {
                        version,
                        ..
                    })) => Step::Answered(version),
                    _ => self.unanswered(),
                }
            } else {
                Step::NotSupported
            };
            command_classes.push(CommandClassInfo {
                cc,
                secure: secure_list.contains(&cc),
                version,
            });
        }

        let manufacturer = if has(ids::MANUFACTURER_SPECIFIC) {
            match self
                .ask(
                    0,
                    CommandClassFrame::ManufacturerSpecific(ManufacturerSpecific::Get),
                    |f| {
                        matches!(
                            f,
                            CommandClassFrame::ManufacturerSpecific(
                                ManufacturerSpecific::Report { .. }
                            )
                        )
                    },
                )
                .await?
            {
                Step::Answered(CommandClassFrame::ManufacturerSpecific(
                    ManufacturerSpecific::Report {
                        manufacturer_id,
                        product_type,
                        product_id,
                    },
                )) => Step::Answered(Manufacturer {
                    manufacturer_id,
                    product_type,
                    product_id,
                }),
                _ => self.unanswered(),
            }
        } else {
            Step::NotSupported
        };

        let zwave_plus = if has(ids::ZWAVE_PLUS_INFO) {
            match self
                .ask(
                    0,
                    CommandClassFrame::ZWavePlusInfo(ZWavePlusInfo::Get),
                    |f| {
                        matches!(
                            f,
                            CommandClassFrame::ZWavePlusInfo(ZWavePlusInfo::Report { .. })
                        )
                    },
                )
                .await?
            {
                Step::Answered(CommandClassFrame::ZWavePlusInfo(ZWavePlusInfo::Report {
                    version,
                    role_type,
                    node_type,
                    installer_icon,
                    user_icon,
                })) => Step::Answered(ZwavePlus {
                    version,
                    role_type,
                    node_type,
                    installer_icon,
                    user_icon,
                }),
                _ => self.unanswered(),
            }
        } else {
            Step::NotSupported
        };

        let associations = if has(ids::ASSOCIATION) {
            self.associations().await?
        } else {
            Step::NotSupported
        };

        let endpoints = if has(ids::MULTI_CHANNEL) {
            self.endpoints().await?
        } else {
            Step::NotSupported
        };

        let mut state = Vec::new();
        let mut targets: Vec<(u8, Vec<u8>)> = vec![(0, all.clone())];
        if let Some(eps) = endpoints.answered() {
            targets.extend(
                eps.iter()
                    .map(|e| (e.endpoint, supported(&e.command_classes))),
            );
        }
        for (endpoint, ccs) in targets {
            for cc in ccs {
                let Some((get, is_report)) = state_get(cc) else {
                    continue;
                };
                let report = self.ask(endpoint, get, is_report).await?;
                state.push(StateValue {
                    endpoint,
                    cc,
                    report,
                });
            }
        }

        Ok(NodeDescription {
            node,
            info,
            security,
            secure_command_classes,
            command_classes,
            version,
            manufacturer,
            zwave_plus,
            associations,
            endpoints,
            state,
        })
    }

    /// Association groupings, then the lifeline set to the controller and read back.
    async fn associations(&self) -> Result<Step<Associations>> {
        let groups = match self
            .ask(
                0,
                CommandClassFrame::Association(Association::GroupingsGet),
                |f| {
                    matches!(
                        f,
                        CommandClassFrame::Association(Association::GroupingsReport { .. })
                    )
                },
            )
            .await?
        {
            Step::Answered(CommandClassFrame::Association(Association::GroupingsReport {
                groups,
            })) => groups,
            _ => return Ok(self.unanswered()),
        };
        if groups < LIFELINE {
            return Ok(Step::Answered(Associations {
                groups,
                lifeline_set: false,
                lifeline: Step::NotSupported,
            }));
        }
        let own = self.stick.own_node_id()?;
        let lifeline_set = match self
            .stick
            .send_command(
                self.node,
                0,
                CommandClassFrame::Association(Association::Set {
                    group: LIFELINE,
                    nodes: vec![own],
                }),
            )
            .await
        {
            Ok(outcome) => outcome.applied(),
            Err(e @ (Error::StickLost | Error::Closed)) => return Err(e),
            Err(e) => {
                tracing::info!(node = self.node, "lifeline not set: {e}");
                false
            }
        };
        let lifeline = match self
            .ask(
                0,
                CommandClassFrame::Association(Association::Get { group: LIFELINE }),
                |f| {
                    matches!(
                        f,
                        CommandClassFrame::Association(Association::Report {
                            group: LIFELINE,
                            ..
                        })
                    )
                },
            )
            .await?
        {
            Step::Answered(CommandClassFrame::Association(Association::Report {
                nodes, ..
            })) => Step::Answered(nodes),
            _ => self.unanswered(),
        };
        Ok(Step::Answered(Associations {
            groups,
            lifeline_set,
            lifeline,
        }))
    }

    /// Multi Channel End Point Get, then a Capability Get per end point.
    async fn endpoints(&self) -> Result<Step<Vec<EndPoint>>> {
        let count = match self
            .ask(
                0,
                CommandClassFrame::MultiChannel(MultiChannel::EndPointGet),
                |f| {
                    matches!(
                        f,
                        CommandClassFrame::MultiChannel(MultiChannel::EndPointReport { .. })
                    )
                },
            )
            .await?
        {
            Step::Answered(CommandClassFrame::MultiChannel(MultiChannel::EndPointReport {
                individual,
                ..
            })) => individual & 0x7F,
            _ => return Ok(self.unanswered()),
        };
        let mut endpoints = Vec::with_capacity(usize::from(count));
        for endpoint in 1..=count {
            match self
                .ask(
                    0,
                    CommandClassFrame::MultiChannel(MultiChannel::CapabilityGet { endpoint }),
                    move |f| match f {
                        CommandClassFrame::MultiChannel(MultiChannel::CapabilityReport {
                            endpoint: e,
                            ..
                        }) => *e == endpoint,
                        _ => false,
                    },
                )
                .await?
            {
                Step::Answered(CommandClassFrame::MultiChannel(
                    MultiChannel::CapabilityReport {
                        endpoint,
                        generic,
                        specific,
                        command_classes,
                        ..
                    },
                )) => endpoints.push(EndPoint {
                    endpoint,
                    generic,
                    specific,
                    command_classes,
                }),
                _ => return Ok(self.unanswered()),
            }
        }
        Ok(Step::Answered(endpoints))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_goes_to_the_first_question_that_wants_it_only() {
        let taps = Taps::new();
        let mut battery = taps.expect(5, 0, |f| {
            matches!(f, CommandClassFrame::Unknown { cc: 0x80, .. })
        });
        let mut other_node = taps.expect(6, 0, |_| true);
        let report = CommandClassFrame::Unknown {
            cc: 0x80,
            command: 0x03,
            payload: vec![80],
        };
        taps.offer(5, 1, &report); // another end point
        assert!(battery.try_recv().is_err());
        taps.offer(5, 0, &report);
        assert_eq!(battery.try_recv().ok(), Some(report.clone()));
        assert!(other_node.try_recv().is_err());
    }

    #[test]
    fn the_controlled_classes_after_the_mark_are_left_out() {
        assert_eq!(supported(&[0x25, 0x86, 0xEF, 0x20]), vec![0x25, 0x86]);
    }
}
