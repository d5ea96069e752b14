//! The Zigbee stick driver: the thin tokio layer that owns the serial port and drives the pure
//! cores ([`crate::zigbee::ash::Link`], [`session::Session`]), and the start-up procedure that
//! brings a stick onto a network.
//!
//! Data flow:
//!
//! ```text
//! ZigbeeStick (API, any task) ──requests──▶ driver task ──bytes──▶ port
//!        ▲                                   │  Link (ASH) ◀─bytes── port
//!        └──responses / callbacks / RadioEvent ◀── Session (EZSP)
//! ```
//!
//! - [`task`]: the one task that owns the port; it feeds reads to the link, writes its output,
//!   sleeps until the next deadline, and keeps one command in flight. When the stick vanishes it
//!   fails what is pending with [`Error::StickLost`], reopens the port with back-off and starts
//!   the link again.
//! - [`session`]: EZSP version negotiation, sequence numbers, response matching, timeouts,
//!   polling for synchronous callbacks.
//! - [`devices`]: join, leave and Device_annce events, and the interview of a joined device.
//! - [`backup`]: network backup ([`ZigbeeStick::backup`]) and restore onto a blank stick
//!   ([`ZigbeeStick::restore`]).
//! - [`startup`]: configuration, `networkInit`, and forming a network when there is none
//!   (energy scan, quietest channel, random PAN ID, extended PAN ID and network key).
//! - [`binding`]: ZDO Bind/Unbind to the hub (devices report only to bound destinations), and
//!   permit joining through one router or broadcast to all.
//! - [`zcl`]: ZCL to joined devices (cluster commands, Read Attributes, Configure Reporting;
//!   one queue per device) and the reports and cluster commands devices send unasked.
//!
//! Callers see typed values only: [`RadioEvent`], [`NetworkInfo`], [`StickVersion`], [`Error`].

pub mod backup;
pub mod binding;
pub mod devices;
pub mod session;
pub mod startup;
pub mod task;
pub mod zcl;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicU16};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::port::{self, Backoff, PortConfig};
use crate::zigbee::ash::{self, ResetCode};
use crate::zigbee::ezsp::commands::networking::PermitJoining;
use crate::zigbee::ezsp::commands::security::ImportTransientKey;
use crate::zigbee::ezsp::types::{Key, Status};
use crate::zigbee::security::{InstallCode, LinkKey};
use crate::zigbee::zdo::MacCapabilities;

use crate::zigbee::ezsp::{self, Callback, Command, Negotiated, Response};
pub use backup::{
    Eui64Restore, FrameCounters, RestoreError, RestoreOptions, RestoreReport, frame_counter_margin,
};
pub use binding::BindRefusal;
pub use devices::DeviceDescription;
pub use zcl::Outcome;

/// Everything that can go wrong in the driver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The serial port could not be opened.
    #[error(transparent)]
    Port(#[from] port::Error),
    /// The link is not up or the protocol not negotiated yet (starting, or recovering).
    #[error("the Zigbee stick is not ready")]
    NotReady,
    /// A command is already in flight (only returned by [`session::Session`]; the driver task
    /// queues instead).
    #[error("an EZSP command is already in flight")]
    Busy,
    /// The stick did not answer a command in time.
    #[error("the Zigbee stick did not answer command {frame_id:#06x} in time")]
    Timeout {
        /// The command's frame ID.
        frame_id: u16,
    },
    /// A callback the start-up waits for did not come in time.
    #[error("the Zigbee stick did not report {0} in time")]
    CallbackTimeout(&'static str),
    /// The stick was unplugged (or its device vanished); the driver is reopening it.
    #[error("the Zigbee stick was unplugged")]
    StickLost,
    /// The stick reset itself while the command was in flight; the driver is restarting it.
    #[error("the Zigbee stick reset ({0:?})")]
    StickReset(ResetCode),
    /// The stick refused a command with this `sl_status_t`.
    #[error("the Zigbee stick refused {command}: status {status:#06x}")]
    Ezsp {
        /// Which command.
        command: &'static str,
        /// `sl_status_t`.
        status: u32,
    },
    /// The stick answered with a frame of the wrong kind.
    #[error("unexpected answer to {0}")]
    UnexpectedResponse(&'static str),
    /// The ASH link failed (no RSTACK, too many retries, ERROR frame).
    #[error("ASH link: {0}")]
    Link(#[from] ash::Error),
    /// EZSP framing or negotiation failed (unsupported protocol, bad frame).
    #[error("EZSP: {0}")]
    Protocol(#[from] ezsp::Error),
    /// The OS random number generator failed (network key, PAN ID).
    #[error("random number generator: {0}")]
    Random(String),
    /// The driver task has stopped.
    #[error("the Zigbee driver has stopped")]
    Closed,
    /// A message to a device was not delivered (`messageSentHandler` with this `sl_status_t`,
    /// e.g. 0x0C02 `ZIGBEE_DELIVERY_FAILED`).
    #[error(
        "message to node {node_id:#06x} not delivered: {} ({status:#06x})",
        zcl::sl_status_name(*status)
    )]
    DeliveryFailed {
        /// The device.
        node_id: u16,
        /// `sl_status_t` from `messageSentHandler`.
        status: u32,
    },
    /// A device did not answer a request in time.
    #[error("node {node_id:#06x} did not answer on cluster {cluster:#06x} in time")]
    NoAnswer {
        /// The device.
        node_id: u16,
        /// The request's cluster.
        cluster: u16,
    },
    /// A device answered a ZDO request with a failure status.
    #[error("node {node_id:#06x} refused ZDO request {request:#06x}: status {status:#04x}")]
    ZdoStatus {
        /// The device.
        node_id: u16,
        /// The request's cluster.
        request: u16,
        /// The ZDP status.
        status: u8,
    },
    /// A device refused to bind (or unbind) a cluster to the hub (`Bind_rsp` / `Unbind_rsp`
    /// status other than SUCCESS).
    #[error("node {node_id:#06x} refused to (un)bind cluster {cluster:#06x}: {reason:?}")]
    BindRefused {
        /// The device.
        node_id: u16,
        /// The cluster.
        cluster: u16,
        /// Its status, typed.
        reason: BindRefusal,
    },
    /// A device answered a ZCL request with a Default Response carrying this status.
    #[error(
        "node {node_id:#06x} refused a ZCL request on cluster {cluster:#06x}: status {status:#04x}"
    )]
    ZclStatus {
        /// The device.
        node_id: u16,
        /// The cluster.
        cluster: u16,
        /// The ZCL status.
        status: u8,
    },
    /// A device's answer could not be decoded or was of the wrong kind.
    #[error("bad answer from a device: {0}")]
    BadAnswer(String),
    /// The caller asked for something that cannot be sent (a command of another cluster or
    /// direction, a value that cannot be encoded).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

/// Result of the driver.
pub type Result<T> = core::result::Result<T, Error>;

/// What the driver reports without being asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RadioEvent {
    /// The stack is up on the network (after `networkInit` or `formNetwork`).
    NetworkUp,
    /// The stack went down.
    NetworkDown,
    /// A new network was formed (first start on a blank stick).
    NetworkFormed(NetworkInfo),
    /// The stick vanished (unplugged): commands fail with [`Error::StickLost`] until it is back.
    StickLost,
    /// The stick reset itself; the driver restarts it.
    StickReset(ResetCode),
    /// The ASH link failed (the stick stopped acknowledging, never answered RST, or sent
    /// ERROR); the driver resets it, and reports this again each round the stick stays mute.
    LinkFailed(ash::Error),
    /// After [`RadioEvent::StickLost`], [`RadioEvent::StickReset`] or
    /// [`RadioEvent::LinkFailed`]: the stick is back on its network and commands work again.
    StickBack(NetworkInfo),
    /// The trust center let a device join or rejoin (`trustCenterJoinHandler`).
    DeviceJoined {
        /// Its IEEE address, as a number.
        eui64: u64,
        /// Its node ID.
        node_id: u16,
        /// How it joined: a fresh join (a new or factory-reset device) or a rejoin.
        kind: JoinKind,
    },
    /// A device announced itself (ZDO Device_annce): joined, rejoined or changed node ID.
    DeviceAnnounced {
        /// Its IEEE address, as a number.
        eui64: u64,
        /// Its node ID.
        node_id: u16,
        /// Its MAC capabilities (router, mains powered, receiver on when idle, ...).
        capabilities: MacCapabilities,
    },
    /// A device left the network (`trustCenterJoinHandler` DEVICE_LEFT).
    DeviceLeft {
        /// Its IEEE address, as a number.
        eui64: u64,
        /// Its node ID.
        node_id: u16,
    },
    /// A device reported attribute values (ZCL Report Attributes).
    AttributeReport {
        /// The device.
        node_id: u16,
        /// Its endpoint that reported.
        endpoint: u8,
        /// The cluster.
        cluster: u16,
        /// Attribute IDs and values, in the report's order.
        attributes: Vec<(u16, crate::zigbee::zcl::Value)>,
    },
    /// A device sent a cluster-specific command the ZCL layer decodes (IAS Zone status change,
    /// a remote's On/Off, a door lock's operation event; also cluster-specific responses to the
    /// hub's own commands).
    ClusterCommand {
        /// The device.
        node_id: u16,
        /// Its endpoint that sent it.
        endpoint: u8,
        /// The command, with its cluster.
        command: crate::zigbee::zcl::ClusterCommand,
    },
}

/// How a device came onto the network, from the `trustCenterJoinHandler` status
/// (`EmberDeviceUpdate`): a device that joins without the network key is new to the network
/// or was factory reset (it forgot the key), while a rejoin comes from a device that still
/// belongs (it moved to another parent, changed its node ID, or missed a key update).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `STANDARD_SECURITY_UNSECURED_JOIN`: a fresh join; the trust center sends it the network
    /// key.
    Fresh,
    /// `STANDARD_SECURITY_SECURED_REJOIN`: a rejoin with the network key it holds.
    SecuredRejoin,
    /// `STANDARD_SECURITY_UNSECURED_REJOIN`: a rejoin under its trust center link key (it
    /// missed a network key update, or was away for long).
    UnsecuredRejoin,
    /// Another status value (none is defined today besides these and `DEVICE_LEFT`).
    Other(u8),
}

impl JoinKind {
    /// The kind a `trustCenterJoinHandler` status means (`DEVICE_LEFT` is not a join; it is
    /// told apart before this is asked).
    pub fn from_status(status: u8) -> Self {
        use crate::zigbee::ezsp::commands::security::device_update;
        match status {
            device_update::UNSECURED_JOIN => Self::Fresh,
            device_update::SECURED_REJOIN => Self::SecuredRejoin,
            device_update::UNSECURED_REJOIN => Self::UnsecuredRejoin,
            other => Self::Other(other),
        }
    }

    /// Whether the device joined afresh (new, or factory reset), not rejoined.
    pub fn is_fresh(self) -> bool {
        self == Self::Fresh
    }
}

/// Which keys the trust center accepts from joining devices (the `TRUST_CENTER_POLICY`
/// decision bitmask). Joining also needs [`ZigbeeStick::permit_join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinPolicy {
    /// Devices may join with the well-known key "ZigBeeAlliance09" or, for a device whose
    /// install code was added, with the key derived from it (`ALLOW_JOINS |
    /// ALLOW_UNSECURED_REJOINS`).
    #[default]
    WellKnownKeyAllowed,
    /// Only devices whose install code was added may join (`ALLOW_JOINS |
    /// ALLOW_UNSECURED_REJOINS | JOINS_USE_INSTALL_CODE_KEY`).
    InstallCodeOnly,
}

impl JoinPolicy {
    /// The `EzspDecisionBitmask` for `setPolicy(TRUST_CENTER_POLICY)`.
    pub fn decision_bitmask(self) -> u8 {
        const ALLOW_JOINS: u8 = 0x01;
        const ALLOW_UNSECURED_REJOINS: u8 = 0x02;
        const JOINS_USE_INSTALL_CODE_KEY: u8 = 0x10;
        match self {
            Self::WellKnownKeyAllowed => ALLOW_JOINS | ALLOW_UNSECURED_REJOINS,
            Self::InstallCodeOnly => {
                ALLOW_JOINS | ALLOW_UNSECURED_REJOINS | JOINS_USE_INSTALL_CODE_KEY
            }
        }
    }
}

/// What the driver re-applies to the stick after every start-up: the join policy and the link
/// keys of added install codes (the NCP keeps both in RAM only).
#[derive(Default)]
pub(crate) struct JoinSetup {
    pub(crate) policy: JoinPolicy,
    /// Link keys by EUI-64 (as a number); never logged.
    pub(crate) install_keys: BTreeMap<u64, LinkKey>,
}

/// How many callbacks a request waiting for its answer may fall behind before it loses some.
const CALLBACK_BACKLOG: usize = 1024;

/// The network the stick runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkInfo {
    /// 802.15.4 channel, 11..=26.
    pub channel: u8,
    /// PAN ID.
    pub pan_id: u16,
    /// Extended PAN ID, as a number (most significant byte first when written out).
    pub extended_pan_id: u64,
    /// The stick's own IEEE address, as a number.
    pub eui64: u64,
    /// The stick's node ID (0x0000 as coordinator).
    pub node_id: u16,
}

/// What the stick runs, from the version negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StickVersion {
    /// The EZSP protocol both sides speak.
    pub protocol: u8,
    /// The stack type (2 = mesh).
    pub stack_type: u8,
    /// EmberZNet version, one nibble per digit (0x7450 = 7.4.5.0).
    pub stack_version: u16,
}

impl std::fmt::Display for StickVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.stack_version;
        write!(
            f,
            "EmberZNet {}.{}.{}.{} (EZSP {})",
            v >> 12,
            (v >> 8) & 0xF,
            (v >> 4) & 0xF,
            v & 0xF,
            self.protocol
        )
    }
}

impl From<Negotiated> for StickVersion {
    fn from(n: Negotiated) -> Self {
        Self {
            protocol: n.protocol_version,
            stack_type: n.stack_type,
            stack_version: n.stack_version,
        }
    }
}

/// Driver parameters; [`DriverConfig::default`] suits real sticks.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// ASH link parameters.
    pub ash: ash::Config,
    /// How long one command may take.
    pub command_timeout: Duration,
    /// How long start-up waits for the link and negotiation.
    pub ready_timeout: Duration,
    /// How long start-up waits for a callback (network up, end of the energy scan).
    pub callback_timeout: Duration,
    /// Energy scan duration exponent per channel (UG100: (2^n + 1) × 15.36 ms).
    pub scan_duration: u8,
    /// Back-off for reopening a vanished stick.
    pub reopen_backoff: Backoff,
    /// How long a device may take to answer one request (interview steps).
    pub device_timeout: Duration,
    /// For a stick set to synchronous callbacks (`EZSP_VALUE_UART_SYNCH_CALLBACKS` = 1), which
    /// queues callbacks until asked: how often to send `callback` when no response has announced
    /// any. None polls only when a frame carries the callbackPending bit.
    pub callback_poll_interval: Option<Duration>,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            ash: ash::Config::default(),
            command_timeout: Duration::from_secs(5),
            ready_timeout: Duration::from_secs(15),
            callback_timeout: Duration::from_secs(30),
            scan_duration: 4,
            reopen_backoff: Backoff::default(),
            device_timeout: Duration::from_secs(10),
            callback_poll_interval: None,
        }
    }
}

/// The link state the task publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// Resetting the link or negotiating.
    Connecting,
    /// Negotiated; `generation` counts connections, so start-up knows a new one.
    Ready {
        negotiated: Negotiated,
        generation: u64,
    },
    /// Negotiation failed: the stick is not usable as is.
    Unusable(ezsp::Error),
    /// The port is gone; reopening.
    Lost,
}

pub(crate) struct Request {
    command: Command,
    reply: oneshot::Sender<Result<Response>>,
}

/// The handle commands go through; cheap to clone, shared by the API and the restart task.
#[derive(Clone)]
pub(crate) struct Client {
    requests: mpsc::Sender<Request>,
    state: watch::Receiver<LinkState>,
    callbacks: broadcast::Sender<Callback>,
    events: mpsc::Sender<RadioEvent>,
    config: DriverConfig,
    join: Arc<Mutex<JoinSetup>>,
    zdo_tsn: Arc<AtomicU8>,
    zcl_tsn: Arc<AtomicU8>,
    message_tag: Arc<AtomicU16>,
    device_queues: Arc<zcl::DeviceQueues>,
    /// Devices seen on the network, for backups.
    known_devices: backup::KnownDevices,
}

impl Client {
    async fn command(&self, command: Command) -> Result<Response> {
        let (reply, rx) = oneshot::channel();
        self.requests
            .send(Request { command, reply })
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Waits until the link is negotiated; returns the negotiation and its generation.
    async fn ready(&self) -> Result<(Negotiated, u64)> {
        let mut state = self.state.clone();
        let wait =
            state.wait_for(|s| matches!(s, LinkState::Ready { .. } | LinkState::Unusable(_)));
        match tokio::time::timeout(self.config.ready_timeout, wait).await {
            Err(_) => Err(Error::NotReady),
            Ok(Err(_)) => Err(Error::Closed),
            Ok(Ok(s)) => match &*s {
                LinkState::Ready {
                    negotiated,
                    generation,
                } => Ok((*negotiated, *generation)),
                LinkState::Unusable(e) => Err(Error::Protocol(e.clone())),
                _ => Err(Error::NotReady),
            },
        }
    }
}

/// A Zigbee stick (EmberZNet NCP over EZSP/ASH), driven by a background task.
pub struct ZigbeeStick {
    client: Client,
    /// The restart task holds a [`Client`]; it is aborted on drop so the driver task sees its
    /// request channel close and stops.
    restarter: tokio::task::JoinHandle<()>,
    /// The connection generation the last successful start-up ran on; the restart task re-runs
    /// start-up on every later generation.
    started: Arc<Mutex<Option<u64>>>,
}

impl ZigbeeStick {
    /// Opens the port, starts the driver task and resets the link; returns the stick and its
    /// event stream. Call [`ZigbeeStick::start`] next.
    pub async fn open(config: PortConfig) -> Result<(Self, mpsc::Receiver<RadioEvent>)> {
        Self::open_with(config, DriverConfig::default()).await
    }

    /// [`ZigbeeStick::open`] with driver parameters.
    pub async fn open_with(
        port_config: PortConfig,
        config: DriverConfig,
    ) -> Result<(Self, mpsc::Receiver<RadioEvent>)> {
        let port = port::open(&port_config)?;
        let (requests, requests_rx) = mpsc::channel(8);
        let (state_tx, state) = watch::channel(LinkState::Connecting);
        // Every waiting request reads every callback: when hundreds of devices join at once,
        // the stick's callbacks (join handlers, announcements, their interviews' answers) come
        // faster than a waiter takes them, and one that falls more than this far behind loses
        // the answer it waits for. 64 was too few with 200 devices joining; a callback is a
        // few hundred bytes at most.
        let (callbacks, _) = broadcast::channel(CALLBACK_BACKLOG);
        let (events, events_rx) = mpsc::channel(64);
        let client = Client {
            requests,
            state,
            callbacks: callbacks.clone(),
            events: events.clone(),
            config: config.clone(),
            join: Arc::default(),
            zdo_tsn: Arc::new(AtomicU8::new(1)),
            zcl_tsn: Arc::new(AtomicU8::new(1)),
            message_tag: Arc::new(AtomicU16::new(0x0100)),
            device_queues: Arc::default(),
            known_devices: Arc::default(),
        };
        tokio::spawn(backup::track_devices(
            callbacks.subscribe(),
            client.known_devices.clone(),
        ));
        tokio::spawn(task::run(task::TaskParts {
            port_config,
            port,
            config,
            requests: requests_rx,
            state: state_tx,
            callbacks,
            events,
        }));
        let started = Arc::new(Mutex::new(None));
        let restarter = tokio::spawn(startup::restart_on_reconnect(
            client.clone(),
            started.clone(),
        ));
        Ok((
            Self {
                client,
                restarter,
                started,
            },
            events_rx,
        ))
    }

    /// Brings the stick onto its network: negotiate, configure, `networkInit`; on a blank stick
    /// form a new network (energy scan, quietest channel, random PAN ID, extended PAN ID and
    /// network key). After this, the driver repeats start-up by itself whenever the stick comes
    /// back from an unplug or reset.
    pub async fn start(&self) -> Result<NetworkInfo> {
        let (_, generation) = self.client.ready().await?;
        let info = startup::start(&self.client).await?;
        *self.started.lock().unwrap_or_else(|p| p.into_inner()) = Some(generation);
        Ok(info)
    }

    /// Waits until the link is up and EZSP is negotiated, without touching the network (what
    /// `sealhub doctor` asks of a stick); a firmware whose protocol the driver does not speak is
    /// `Error::Protocol(ezsp::Error::UnsupportedProtocol(v))`.
    pub async fn negotiate(&self) -> Result<StickVersion> {
        self.client.ready().await.map(|(n, _)| n.into())
    }

    /// The negotiated stick version.
    pub fn version(&self) -> Result<StickVersion> {
        match &*self.client.state.borrow() {
            LinkState::Ready { negotiated, .. } => Ok((*negotiated).into()),
            LinkState::Unusable(e) => Err(Error::Protocol(e.clone())),
            LinkState::Lost => Err(Error::StickLost),
            LinkState::Connecting => Err(Error::NotReady),
        }
    }

    /// The network the stick is on.
    pub async fn network(&self) -> Result<NetworkInfo> {
        startup::network_info(&self.client).await
    }

    /// Opens the whole network for joining for `seconds` (0 closes it, 255 keeps it open): the
    /// stick itself (`permitJoining`), then every router, with a broadcast
    /// `Mgmt_Permit_Joining_req` (as zigbee-herdsman does), so devices out of the coordinator's
    /// range can join through a router.
    pub async fn permit_join(&self, seconds: u8) -> Result<()> {
        match self
            .client
            .command(Command::PermitJoining(PermitJoining { duration: seconds }))
            .await?
        {
            Response::PermitJoining(r) => check("permitJoining", r.status)?,
            _ => return Err(Error::UnexpectedResponse("permitJoining")),
        }
        binding::broadcast_permit_join(&self.client, seconds).await
    }

    /// Opens (or with 0 closes) joining through the one router `router` for `seconds`
    /// (`Mgmt_Permit_Joining_req` unicast to it, answered by `Mgmt_Permit_Joining_rsp`), with
    /// the coordinator's own permit left as it is: a device then joins only near that router.
    /// Fails with [`Error::ZdoStatus`] when the node refuses (an end device cannot).
    pub async fn permit_join_via(&self, router: u16, seconds: u8) -> Result<()> {
        binding::permit_join_via(&self.client, router, seconds).await
    }

    /// Binds `cluster` of `endpoint` on `node_id` to the hub (ZDO `Bind_req` naming the stick's
    /// IEEE address and endpoint 1): a device sends attribute reports only to destinations in
    /// its binding table, so bind before [`ZigbeeStick::configure_reporting`]. Binding twice is
    /// harmless. A refusal is [`Error::BindRefused`] ([`BindRefusal::TableFull`],
    /// [`BindRefusal::NotSupported`], ...); other errors as for a unicast.
    pub async fn bind(&self, node_id: u16, endpoint: u8, cluster: u16) -> Result<()> {
        binding::set_binding(&self.client, node_id, endpoint, cluster, true).await
    }

    /// The binding table of `node_id` (ZDO `Mgmt_Bind_req`, page by page): where its reports
    /// and commands go. [`Error::ZdoStatus`] NOT_SUPPORTED from a device that keeps none.
    pub async fn bindings(
        &self,
        node_id: u16,
    ) -> Result<Vec<crate::zigbee::zdo::BindingTableEntry>> {
        binding::binding_table(&self.client, node_id).await
    }

    /// Removes the binding [`ZigbeeStick::bind`] made (`Unbind_req`): the device stops sending
    /// that cluster's reports to the hub. [`BindRefusal::NoEntry`] if there was none.
    pub async fn unbind(&self, node_id: u16, endpoint: u8, cluster: u16) -> Result<()> {
        binding::set_binding(&self.client, node_id, endpoint, cluster, false).await
    }

    /// Lets the device with IEEE address `eui64` join with the link key derived from its
    /// install code (`importTransientKey`; AES-MMO of code and CRC). The key is kept, never
    /// logged, and imported again whenever the stick restarts. Open the network with
    /// [`ZigbeeStick::permit_join`] too.
    pub async fn add_install_code(&self, eui64: u64, code: &InstallCode) -> Result<()> {
        let key = code.link_key();
        import_key(&self.client, eui64, &key).await?;
        self.client
            .join
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .install_keys
            .insert(eui64, key);
        Ok(())
    }

    /// Sets which keys joining devices may use (see [`JoinPolicy`]); kept across restarts.
    pub async fn set_join_policy(&self, policy: JoinPolicy) -> Result<()> {
        startup::set_trust_center_policy(&self.client, policy).await?;
        self.client
            .join
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .policy = policy;
        Ok(())
    }

    /// Interviews a joined device: node descriptor, active endpoints and their simple
    /// descriptors, and Basic `manufacturerName` / `modelId`. Each request waits at most
    /// [`DriverConfig::device_timeout`] for its answer.
    pub async fn interview(&self, node_id: u16) -> Result<DeviceDescription> {
        devices::interview(&self.client, node_id).await
    }

    /// Sends a cluster-specific command (`command` must belong to `cluster`, client to server)
    /// to `endpoint` of `node_id` with an APS ack requested, and waits for the Default Response
    /// or the command's own response, matched by sender, endpoint, cluster and ZCL transaction
    /// sequence number. Fails with [`Error::DeliveryFailed`] when the stick reports no APS ack
    /// or no route, [`Error::ZclStatus`] for a Default Response other than SUCCESS, and
    /// [`Error::NoAnswer`] after [`DriverConfig::device_timeout`]. Requests to one device go in
    /// order.
    pub async fn send_cluster_command(
        &self,
        node_id: u16,
        endpoint: u8,
        cluster: u16,
        command: crate::zigbee::zcl::ClusterCommand,
    ) -> Result<Outcome> {
        zcl::send_cluster_command(&self.client, node_id, endpoint, cluster, command).await
    }

    /// Reads attributes of `cluster` on `endpoint` of `node_id` (Home Automation profile): one
    /// record per attribute, a value or the status saying why there is none. Errors as for
    /// [`ZigbeeStick::send_cluster_command`].
    pub async fn read_attributes(
        &self,
        node_id: u16,
        endpoint: u8,
        cluster: u16,
        attributes: Vec<u16>,
    ) -> Result<Vec<crate::zigbee::zcl::foundation::ReadAttributeRecord>> {
        zcl::read_attributes(&self.client, node_id, endpoint, cluster, attributes).await
    }

    /// Configures how `endpoint` of `node_id` reports attributes of `cluster`; reports then
    /// arrive as [`RadioEvent::AttributeReport`], once the cluster is bound to the hub
    /// ([`ZigbeeStick::bind`]). A failed record is [`Error::ZclStatus`].
    pub async fn configure_reporting(
        &self,
        node_id: u16,
        endpoint: u8,
        cluster: u16,
        records: Vec<crate::zigbee::zcl::foundation::ReportingConfiguration>,
    ) -> Result<()> {
        zcl::configure_reporting(&self.client, node_id, endpoint, cluster, records).await
    }

    /// Writes attributes of `cluster` on `endpoint` of `node_id` (Write Attributes): the hub's
    /// address into an IAS zone, a thermostat's setpoint or mode. The first failed record is
    /// [`Error::ZclStatus`] (READ_ONLY, UNSUPPORTED_ATTRIBUTE, INVALID_DATA_TYPE, ...); other
    /// errors as for [`ZigbeeStick::send_cluster_command`].
    pub async fn write_attributes(
        &self,
        node_id: u16,
        endpoint: u8,
        cluster: u16,
        records: Vec<crate::zigbee::zcl::foundation::AttributeValue>,
    ) -> Result<()> {
        zcl::write_attributes(&self.client, node_id, endpoint, cluster, records).await
    }

    /// Asks the device `node_id` (IEEE address `eui64`) to leave the network (ZDO
    /// `Mgmt_Leave_req`, rejoining afterwards if `rejoin`) and waits for its `Mgmt_Leave_rsp`;
    /// its departure then arrives as [`RadioEvent::DeviceLeft`]. Fails as a unicast does
    /// ([`Error::DeliveryFailed`], [`Error::NoAnswer`]) or with [`Error::ZdoStatus`] when the
    /// device refuses.
    pub async fn request_leave(&self, node_id: u16, eui64: u64, rejoin: bool) -> Result<()> {
        devices::request_leave(&self.client, node_id, eui64, rejoin).await
    }

    /// Removes a device for good: asks it to leave (no rejoin), then forgets it: it leaves the
    /// devices a backup lists, and its install-code key is no longer re-imported after a
    /// restart, so it cannot come back without being added again.
    pub async fn remove_device(&self, node_id: u16, eui64: u64) -> Result<()> {
        devices::request_leave(&self.client, node_id, eui64, false).await?;
        self.client
            .known_devices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&eui64);
        self.client
            .join
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .install_keys
            .remove(&eui64);
        self.client.device_queues.forget(node_id);
        Ok(())
    }

    /// Sends one EZSP command and returns its response: the escape hatch for commands the
    /// driver has no method for yet. Callbacks it causes arrive as events where the driver
    /// knows them.
    pub async fn command(&self, command: Command) -> Result<Response> {
        self.client.command(command).await
    }
}

impl Drop for ZigbeeStick {
    fn drop(&mut self) {
        self.restarter.abort();
    }
}

/// Imports `key` as the transient link key of `eui64`.
pub(crate) async fn import_key(client: &Client, eui64: u64, key: &LinkKey) -> Result<()> {
    let command = Command::ImportTransientKey(ImportTransientKey {
        eui64: eui64.to_le_bytes(),
        key: Key(key.0),
    });
    match client.command(command).await? {
        Response::ImportTransientKey(r) => check("importTransientKey", r.status),
        _ => Err(Error::UnexpectedResponse("importTransientKey")),
    }
}

fn check(command: &'static str, status: Status) -> Result<()> {
    if status.is_ok() {
        Ok(())
    } else {
        Err(Error::Ezsp {
            command,
            status: status.0,
        })
    }
}
