//! The Z-Wave stick driver: the thin tokio layer that owns the serial port and drives the pure
//! Serial API core ([`crate::zwave::serial::machine::CommandMachine`]), the start-up that reads
//! what the controller is, and the async API the rest of sealhub uses.
//!
//! Data flow:
//!
//! ```text
//! ZwaveStick (API, any task) ──requests──▶ driver task ──bytes──▶ port
//!        ▲                                   │  CommandMachine ◀─bytes── port
//!        └──replies / RadioEvent ◀── jobs, callbacks, inclusion, wake-up queues
//! ```
//!
//! - `task`: the one task that owns the port. It queues jobs so one Serial API transaction is
//!   in flight, allocates callback ids, feeds reads to the machine, writes what it returns and
//!   ticks it at its next deadline; it follows inclusion and exclusion callbacks, holds
//!   commands for sleeping nodes until they wake ([`wakeup`]), and when the stick vanishes
//!   fails everything pending with [`Error::StickLost`], reopens the port with back-off and lets
//!   start-up run again ([`RadioEvent::StickBack`]).
//! - `startup`: soft reset and SerialApiStarted, then GetControllerVersion,
//!   GetSerialApiCapabilities, GetControllerCapabilities, GetSerialApiInitData, GetControllerId
//!   and SerialApiSetup where the stick has it.
//!
//! Callers see typed values only ([`ControllerInfo`], [`TransmitReport`], [`RadioEvent`],
//! [`Error`]): no Serial API layouts.
//! - `security`: S2 and S0 on the host (as real controllers' hosts do them): every event of the
//!   task passes through it; it answers nonce requests, decapsulates, refuses downgrades, runs
//!   bootstrapping after [`ZwaveStick::add_node_secure`], and encapsulates
//!   [`ZwaveStick::send_data`] to secure nodes under their highest class.
//! - `commands`: the command class layer on top: what nodes send is decoded with
//!   [`crate::zwave::cc`] into [`RadioEvent::Report`] (Multi Channel and Supervision
//!   encapsulations taken off, a node's Supervision Get answered), and
//!   [`ZwaveStick::send_command`] encodes a typed command, adds Multi Channel for an end point
//!   and Supervision for a Set the node supervises, and returns the node's delivery status.
//! - [`nvm`]: [`ZwaveStick::backup_nvm`] reads the controller's NVM image through whichever
//!   NVM interface the stick lists.
//! - [`keys`]: the network keys come from the caller's [`keys::NetworkKeyStore`] (sealhub's
//!   sealed store); missing ones are generated from the OS RNG and stored.

mod commands;
mod interview;
pub mod keys;
pub mod nvm;
mod security;
mod startup;
mod task;
pub mod wakeup;

pub use commands::{CommandOutcome, Supervised, SupervisionStatus};
pub use interview::{
    Associations, CommandClassInfo, EndPoint, InterviewOptions, Manufacturer, NodeDescription,
    NodeVersion, StateValue, Step, ZwavePlus,
};
pub use security::{InclusionOptions, PinRequest};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::port::{self, Backoff, PortConfig};
use crate::zwave::cc::{self, CommandClassFrame};
use crate::zwave::s2::{KexFailType, KeyClasses, SecurityClass};
use crate::zwave::serial::machine;
use crate::zwave::serial::messages::{self, HostMessage, StickMessage};

/// Which part of a Serial API transaction never came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaited {
    /// The stick never ACKed the frame (after every attempt).
    Ack,
    /// The stick ACKed but never answered.
    Response,
    /// The stick answered but never called back (for SendData: never reported the
    /// transmission).
    Callback,
}

/// How the stick refused a frame on every attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// NAK: it saw a bad checksum.
    Nak,
    /// CAN: the frame collided with one of its own.
    Can,
}

/// Why a transmission to a node failed, from the stick's transmit report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransmitFailure {
    /// TRANSMIT_COMPLETE_FAIL: the radio could not send (jammed channel).
    Fail,
    /// TRANSMIT_COMPLETE_NOT_IDLE: the network was busy.
    NotIdle,
    /// TRANSMIT_COMPLETE_NOROUTE: no route to the node.
    NoRoute,
    /// Any other status byte.
    Other(u8),
}

/// Everything that can go wrong in the driver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The serial port could not be opened.
    #[error(transparent)]
    Port(#[from] port::Error),
    /// The stick was unplugged (or its device vanished); the driver is reopening it.
    #[error("the Z-Wave stick was unplugged")]
    StickLost,
    /// The stick restarted (SerialApiStarted) while the command was in flight.
    #[error("the Z-Wave stick restarted during {0}")]
    StickRestarted(&'static str),
    /// Part of the transaction never came.
    #[error("the Z-Wave stick did not {} {command} in time", match waiting_for {
        Awaited::Ack => "acknowledge",
        Awaited::Response => "answer",
        Awaited::Callback => "report the outcome of",
    })]
    Timeout {
        /// Which Serial API command.
        command: &'static str,
        /// What never came.
        waiting_for: Awaited,
    },
    /// The stick refused the frame on every attempt.
    #[error("the Z-Wave stick refused {command} ({by:?})")]
    Refused {
        /// Which Serial API command.
        command: &'static str,
        /// How.
        by: Refusal,
    },
    /// The stick answered that it will not do it (SendData queue full, not a controller, …).
    #[error("the Z-Wave stick did not accept {command}")]
    NotAccepted {
        /// Which Serial API command.
        command: &'static str,
    },
    /// The node did not acknowledge the frame (TRANSMIT_COMPLETE_NO_ACK): out of range,
    /// asleep, or gone.
    #[error("node {node} did not acknowledge")]
    NoAck {
        /// The node.
        node: u16,
    },
    /// The transmission to the node failed another way.
    #[error("transmission to node {node} failed: {status:?}")]
    TransmitFailed {
        /// The node.
        node: u16,
        /// Why.
        status: TransmitFailure,
    },
    /// Not a node id this driver can address (1..=232; Long Range ids are not supported yet).
    #[error("invalid node id {0}")]
    InvalidNode(u16),
    /// The node was excluded while a command waited for its wake-up.
    #[error("node {0} left the network before it woke up")]
    NodeRemoved(u16),
    /// The stick reported that inclusion or exclusion failed.
    #[error("{0} failed")]
    InclusionFailed(&'static str),
    /// The stick answered with something else than the command's response.
    #[error("unexpected answer to {0}")]
    UnexpectedResponse(&'static str),
    /// A message could not be encoded (a payload too long for a frame).
    #[error(transparent)]
    Message(#[from] messages::Error),
    /// The driver task has stopped.
    #[error("the Z-Wave driver has stopped")]
    Closed,
    /// The OS random number generator failed (keys, nonces and seeds come from it).
    #[error("the OS random number generator failed: {0}")]
    Random(String),
    /// Security needs the controller's identity: call [`ZwaveStick::start`] first.
    #[error("Z-Wave security is not started (call start first)")]
    SecurityNotStarted,
    /// The node never answered our Nonce Get.
    #[error("node {node} did not send a nonce")]
    NoNonce {
        /// The node.
        node: u16,
    },
    /// S2 refused to encapsulate.
    #[error(transparent)]
    S2(#[from] crate::zwave::s2::Error),
    /// S0 refused to encapsulate.
    #[error(transparent)]
    S0(#[from] crate::zwave::s0::Error),
    /// A command could not be encoded (a field out of range, a list too long).
    #[error(transparent)]
    Command(#[from] cc::Error),
    /// A supervised command was acknowledged but the node never sent its Supervision Report.
    #[error("node {node} did not report the outcome of a supervised command")]
    NoSupervisionReport {
        /// The node.
        node: u16,
    },
    /// Not an end point id (1..=127; 0 is the root device).
    #[error("invalid end point {0}")]
    InvalidEndpoint(u8),
    /// The sleeping node is asleep and the caller asked not to wait for its wake-up.
    #[error("node {0} is asleep")]
    NodeAsleep(u16),
}

/// Result of the driver.
pub type Result<T> = core::result::Result<T, Error>;

/// What a node said it is: from its node information frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeInfo {
    /// Basic device class.
    pub basic: u8,
    /// Generic device class.
    pub generic: u8,
    /// Specific device class.
    pub specific: u8,
    /// Supported command classes, as listed (markers included).
    pub command_classes: Vec<u8>,
}

impl NodeInfo {
    /// Reads basic, generic and specific class and the command class list.
    pub fn from_frame(bytes: &[u8]) -> Self {
        match bytes {
            [basic, generic, specific, ccs @ ..] => Self {
                basic: *basic,
                generic: *generic,
                specific: *specific,
                command_classes: ccs.to_vec(),
            },
            _ => Self::default(),
        }
    }

    /// Whether the node lists Wake Up (0x84), i.e. sleeps between wake-ups.
    pub fn sleeps(&self) -> bool {
        self.command_classes.contains(&WAKE_UP_CC)
    }
}

/// The Wake Up command class.
pub(crate) const WAKE_UP_CC: u8 = 0x84;

/// What the driver reports without being asked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RadioEvent {
    /// Inclusion finished: the node is in the network.
    NodeAdded {
        /// Its new node id.
        node: u16,
        /// Its node information frame.
        info: NodeInfo,
        /// Its highest granted security class (`None`: included without security).
        security: Option<SecurityClass>,
    },
    /// Exclusion finished: the node left the network.
    NodeRemoved {
        /// Its former node id.
        node: u16,
    },
    /// Inclusion or exclusion failed. With `node`, the node joined but security bootstrapping
    /// failed: it is in the network without security and should be excluded and included again.
    InclusionFailed {
        /// The node whose bootstrapping failed (`None`: the stick reported the failure).
        node: Option<u16>,
        /// Why.
        reason: InclusionFailure,
    },
    /// A command class frame from a node (a report, or a command such as Basic Set sent to
    /// its associations), decrypted and decoded, with Multi Channel and Supervision
    /// encapsulations taken off. Frames below a secure node's class (a downgrade) never arrive
    /// here; a class or command the driver does not decode, or a frame that breaks its
    /// layout, arrives as [`CommandClassFrame::Unknown`] with its bytes.
    Report {
        /// The sender.
        node: u16,
        /// The sender's end point (0: the root device).
        endpoint: u8,
        /// The class it was protected with (`None`: in the clear).
        security: Option<SecurityClass>,
        /// What it said.
        report: CommandClassFrame,
    },
    /// A node's information frame arrived.
    NodeInfo {
        /// The node.
        node: u16,
        /// What it said.
        info: NodeInfo,
    },
    /// A sleeping node woke up; this many queued commands are on their way to it.
    WokeUp {
        /// The node.
        node: u16,
        /// Commands released from its queue.
        released: usize,
    },
    /// The stick restarted on its own (watchdog, brown-out); its network is kept.
    StickRestarted,
    /// The stick vanished (unplugged): commands fail with [`Error::StickLost`] until it is back.
    StickLost,
    /// After [`RadioEvent::StickLost`]: the stick is back and started.
    StickBack(ControllerInfo),
}

/// Why an inclusion failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InclusionFailure {
    /// The stick reported it.
    Stick,
    /// We aborted S2 bootstrapping with this KEX Fail (a wrong PIN is
    /// [`KexFailType::Decrypt`], a cancelled PIN [`KexFailType::Cancel`]).
    Kex(KexFailType),
    /// The node aborted S2 bootstrapping with this KEX Fail.
    NodeAborted(KexFailType),
    /// The node stopped answering during bootstrapping (KEX Fail sent).
    Timeout,
    /// A bootstrapping frame could not be transmitted.
    Transmit,
}

/// The Z-Wave library the stick runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibraryType {
    /// Static controller (USB sticks).
    StaticController,
    /// Portable controller.
    Controller,
    /// Bridge controller (virtual nodes).
    BridgeController,
    /// Any other library.
    Other(u8),
}

impl LibraryType {
    fn from_byte(b: u8) -> Self {
        match b {
            0x01 => Self::StaticController,
            0x02 => Self::Controller,
            0x07 => Self::BridgeController,
            other => Self::Other(other),
        }
    }
}

/// What the stick is and which network it runs, read at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerInfo {
    /// Network home id.
    pub home_id: u32,
    /// The controller's own node id.
    pub node_id: u16,
    /// Every node in the network, the controller included, ascending.
    pub nodes: Vec<u16>,
    /// Z-Wave protocol/SDK version, e.g. "7.18".
    pub sdk_version: String,
    /// The library type.
    pub library: LibraryType,
    /// Serial API firmware version (major, minor).
    pub firmware_version: (u8, u8),
    /// Manufacturer id.
    pub manufacturer_id: u16,
    /// Product type.
    pub product_type: u16,
    /// Product id.
    pub product_id: u16,
    /// Whether this is the primary controller (not a secondary one).
    pub is_primary: bool,
    /// Whether it is the network's SUC/SIS.
    pub is_suc: bool,
    /// Whether transmit reports carry timing (SerialApiSetup SetTxStatusReport took effect).
    pub tx_status_report: bool,
}

/// A transmission the node acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransmitReport {
    /// The node.
    pub node: u16,
    /// Time on air, when the stick reports it.
    pub transmit_time: Option<Duration>,
    /// Whether the command waited in the node's wake-up queue first.
    pub waited_for_wake_up: bool,
}

/// What [`ZwaveStick::submit_data`] did with a command.
#[derive(Debug)]
pub enum Submitted {
    /// Sent, and the node acknowledged.
    Transmitted(TransmitReport),
    /// The node sleeps: the command is queued until its Wake Up Notification.
    QueuedUntilWakeUp(PendingTransmit),
}

/// A command waiting in a sleeping node's queue.
#[derive(Debug)]
pub struct PendingTransmit {
    node: u16,
    outcome: oneshot::Receiver<Result<TransmitReport>>,
}

impl PendingTransmit {
    /// The node it waits for.
    pub fn node(&self) -> u16 {
        self.node
    }

    /// Waits until the node has woken up and the command was sent; wrap it in a timeout, since
    /// a node may sleep for hours.
    pub async fn transmitted(self) -> Result<TransmitReport> {
        self.outcome.await.map_err(|_| Error::Closed)?
    }
}

/// What [`ZwaveStick::submit_command`] did with a command.
#[derive(Debug)]
pub enum SubmittedCommand {
    /// Sent; the node acknowledged it (and reported on it, when supervised).
    Done(CommandOutcome),
    /// The node sleeps: the command waits for its Wake Up Notification.
    QueuedUntilWakeUp(PendingCommand),
}

/// A typed command waiting in a sleeping node's queue.
#[derive(Debug)]
pub struct PendingCommand {
    transmit: PendingTransmit,
    session: Option<commands::Session>,
    supervision_timeout: Duration,
}

impl PendingCommand {
    /// The node it waits for.
    pub fn node(&self) -> u16 {
        self.transmit.node()
    }

    /// Waits until the node has woken up, acknowledged the command and, when supervised,
    /// reported on it; wrap it in a timeout, since a node may sleep for hours.
    pub async fn outcome(self) -> Result<CommandOutcome> {
        let node = self.transmit.node();
        let transmit = self.transmit.transmitted().await?;
        commands::finish(node, transmit, self.session, self.supervision_timeout).await
    }
}

/// Driver parameters; [`DriverConfig::default`] suits real sticks.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// How long the stick has to answer a command once it ACKed it.
    pub response_timeout: Duration,
    /// How long SendData may take to report the transmission.
    pub send_data_timeout: Duration,
    /// How long inclusion and exclusion commands may take to call back.
    pub inclusion_timeout: Duration,
    /// How long start-up waits for SerialApiStarted after its soft reset.
    pub started_timeout: Duration,
    /// Whether start-up soft-resets the stick first (as zwave-js does), so it starts from a
    /// known state.
    pub soft_reset_on_start: bool,
    /// Back-off for reopening a vanished stick.
    pub reopen_backoff: Backoff,
    /// How long each step of security bootstrapping, and each nonce, may take (the S2
    /// specification allows 10 s per step).
    pub security_timeout: Duration,
    /// How long the user has to type a DSK PIN (the S2 specification allows 240 s).
    pub pin_timeout: Duration,
    /// How long a node has to send its Supervision Report once it acknowledged a supervised
    /// command.
    pub supervision_timeout: Duration,
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self {
            response_timeout: machine::RESPONSE_TIMEOUT,
            send_data_timeout: machine::CALLBACK_TIMEOUT,
            inclusion_timeout: Duration::from_secs(10),
            started_timeout: Duration::from_secs(3),
            soft_reset_on_start: true,
            reopen_backoff: Backoff::default(),
            security_timeout: Duration::from_secs(10),
            pin_timeout: Duration::from_secs(240),
            supervision_timeout: Duration::from_secs(10),
        }
    }
}

/// The connection state the task publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// The port is open; `generation` counts connections so start-up knows a new one.
    Connected { generation: u64 },
    /// The port is gone; reopening.
    Lost,
}

/// What the driver task and start-up pass to the security dispatcher: raw command class
/// frames (still encapsulated, never shown to callers) and events ready for the caller.
#[derive(Debug)]
pub(crate) enum RawEvent {
    /// A frame from a node, as ApplicationCommandHandler carried it.
    Command { node: u16, payload: Vec<u8> },
    /// Anything else, passed on (inclusion results go through bootstrapping first).
    Radio(RadioEvent),
    /// The stick could not get a node's information frame (ApplicationUpdate "node info
    /// request failed", which names no node: it answers the oldest RequestNodeInfo).
    NodeInfoFailed,
    /// A secure sleeping node is due to go back to sleep: the security layer sends its Wake
    /// Up No More Information under the node's highest class.
    SleepDue { node: u16 },
}

/// What the API asks the task for.
#[derive(Debug)]
pub(crate) enum Op {
    /// A message answered by a response only.
    Query(HostMessage),
    /// SoftReset (no response; SerialApiStarted follows).
    SoftReset,
    /// A command class frame for a node; `now`: send it even if the node sleeps (it just
    /// sent us a frame and waits for the answer).
    SendData {
        node: u16,
        payload: Vec<u8>,
        now: bool,
        /// The (encapsulated) Wake Up No More Information of a secure node, asked for by
        /// [`RawEvent::SleepDue`]: the node is asleep once it is sent.
        sleep: bool,
    },
    /// Start (true) or stop inclusion.
    AddNode { start: bool },
    /// Start (true) or stop exclusion.
    RemoveNode { start: bool },
    /// Mark a node as sleeping or listening.
    SetSleeping { node: u16, sleeping: bool },
    /// Keep a sleeping node awake after its wake-up (`hold`), or let it sleep again.
    Hold { node: u16, hold: bool },
    /// A sleeping node's Wake Up Notification arrived under security.
    WokeUp { node: u16 },
    /// A sleeping node is joining (so it listens): hold it awake, as [`Op::Hold`] does, without
    /// announcing a wake-up.
    Joining { node: u16 },
}

/// What the task answers.
#[derive(Debug)]
pub(crate) enum Reply {
    Response(StickMessage),
    Done,
    Transmitted(TransmitReport),
    Queued(oneshot::Receiver<Result<TransmitReport>>),
    /// To [`Op::Hold`]: where the node's next wake-up is announced (`None`: it listens now).
    Held(Option<oneshot::Receiver<()>>),
}

pub(crate) struct Request {
    op: Op,
    reply: oneshot::Sender<Result<Reply>>,
}

/// The handle requests go through; shared by the API and the restart task.
#[derive(Clone)]
pub(crate) struct Client {
    requests: mpsc::Sender<Request>,
    state: watch::Receiver<LinkState>,
    started: broadcast::Sender<()>,
    events: mpsc::Sender<RawEvent>,
    config: DriverConfig,
}

impl Client {
    async fn request(&self, op: Op) -> Result<Reply> {
        let (reply, rx) = oneshot::channel();
        self.requests
            .send(Request { op, reply })
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    async fn done(&self, op: Op, name: &'static str) -> Result<()> {
        match self.request(op).await? {
            Reply::Done => Ok(()),
            _ => Err(Error::UnexpectedResponse(name)),
        }
    }

    fn generation(&self) -> Result<u64> {
        match *self.state.borrow() {
            LinkState::Connected { generation } => Ok(generation),
            LinkState::Lost => Err(Error::StickLost),
        }
    }
}

/// A Z-Wave USB controller, driven by a background task.
pub struct ZwaveStick {
    client: Client,
    /// The restart task holds a [`Client`]; it is aborted on drop so the driver task sees its
    /// request channel close and stops.
    restarter: tokio::task::JoinHandle<()>,
    /// The connection generation the last successful start-up ran on.
    started: Arc<Mutex<Option<u64>>>,
    security: Arc<security::SecurityLayer>,
    commands: Arc<commands::CommandLayer>,
    /// Where interview questions wait for their answers.
    taps: Arc<interview::Taps>,
    /// The controller's node id, once started (the lifeline's target).
    own_node: Arc<Mutex<Option<u16>>>,
    /// Passes the task's events through security; aborted on drop (it holds a [`Client`]).
    dispatcher: tokio::task::JoinHandle<()>,
}

impl ZwaveStick {
    /// Opens the port and starts the driver task; returns the stick and its event stream. Call
    /// [`ZwaveStick::start`] next.
    pub async fn open(config: PortConfig) -> Result<(Self, mpsc::Receiver<RadioEvent>)> {
        Self::open_with(config, DriverConfig::default()).await
    }

    /// [`ZwaveStick::open`] with driver parameters; network keys are kept in memory only (see
    /// [`ZwaveStick::open_secure`]).
    pub async fn open_with(
        port_config: PortConfig,
        config: DriverConfig,
    ) -> Result<(Self, mpsc::Receiver<RadioEvent>)> {
        Self::open_secure(port_config, config, Box::new(keys::MemoryKeyStore::new())).await
    }

    /// [`ZwaveStick::open_with`] with the network keys in `keys`: sealhub passes its sealed
    /// store, which keeps the keys across restarts; missing keys are generated at
    /// [`ZwaveStick::start`] and stored there.
    pub async fn open_secure(
        port_config: PortConfig,
        config: DriverConfig,
        keys: Box<dyn keys::NetworkKeyStore>,
    ) -> Result<(Self, mpsc::Receiver<RadioEvent>)> {
        let port = port::open(&port_config)?;
        let (requests, requests_rx) = mpsc::channel(16);
        let (state_tx, state) = watch::channel(LinkState::Connected { generation: 1 });
        let (started_tx, _) = broadcast::channel(4);
        let (events, raw_events) = mpsc::channel(64);
        let (user_events, events_rx) = mpsc::channel(64);
        let client = Client {
            requests,
            state,
            started: started_tx.clone(),
            events: events.clone(),
            config: config.clone(),
        };
        let secure = wakeup::SecureNodes::default();
        tokio::spawn(task::run(task::TaskParts {
            port_config,
            port,
            config,
            requests: requests_rx,
            state: state_tx,
            started: started_tx,
            events,
            secure: secure.clone(),
        }));
        let started = Arc::new(Mutex::new(None));
        let restarter = tokio::spawn(startup::restart_on_reconnect(
            client.clone(),
            started.clone(),
        ));
        let security = Arc::new(security::SecurityLayer::new(
            client.clone(),
            user_events,
            client.config.clone(),
            keys,
            secure,
        ));
        let commands = Arc::new(commands::CommandLayer::new());
        let taps = Arc::new(interview::Taps::new());
        let dispatcher = tokio::spawn(security::dispatch(
            security.clone(),
            commands.clone(),
            taps.clone(),
            raw_events,
        ));
        Ok((
            Self {
                client,
                restarter,
                started,
                security,
                commands,
                taps,
                own_node: Arc::new(Mutex::new(None)),
                dispatcher,
            },
            events_rx,
        ))
    }

    /// Brings the stick up (soft reset, then reads what it is and which network it runs) and
    /// returns that. After this, the driver repeats start-up by itself whenever the stick comes
    /// back from an unplug, and reports [`RadioEvent::StickBack`].
    pub async fn start(&self) -> Result<ControllerInfo> {
        let generation = self.client.generation()?;
        let info = startup::start(&self.client).await?;
        self.security.init(&info)?;
        *self.own_node.lock().unwrap_or_else(|p| p.into_inner()) = Some(info.node_id);
        *self.started.lock().unwrap_or_else(|p| p.into_inner()) = Some(generation);
        Ok(info)
    }

    /// Sends a command class frame to a node and waits for the node's acknowledgement. For a
    /// sleeping node (see [`ZwaveStick::set_sleeping`]) this waits for its wake-up too; use
    /// [`ZwaveStick::submit_data`] to learn that it was queued instead of waiting.
    ///
    /// To a node included securely, the frame goes under its highest granted class (S2
    /// encapsulation, or S0), after a nonce exchange when one is needed.
    pub async fn send_data(&self, node: u16, payload: Vec<u8>) -> Result<TransmitReport> {
        match self.submit_data(node, payload).await? {
            Submitted::Transmitted(report) => Ok(report),
            Submitted::QueuedUntilWakeUp(pending) => pending.transmitted().await,
        }
    }

    /// Sends a command class frame to a listening node and waits for its acknowledgement, or
    /// queues it for a sleeping node that is asleep and says so at once.
    pub async fn submit_data(&self, node: u16, payload: Vec<u8>) -> Result<Submitted> {
        self.client.generation()?;
        if let Some(class) = self.node_security(node) {
            // A secure frame needs a nonce exchange with the node, so a sleeping node is held
            // awake from its wake-up until the frame is through.
            let (hold, woken) = interview::hold_awake(&self.client, node).await?;
            let Some(woken) = woken else {
                let sent = self.security.send(node, class, &payload).await;
                drop(hold);
                return sent.map(Submitted::Transmitted);
            };
            let (tx, outcome) = oneshot::channel();
            let security = self.security.clone();
            tokio::spawn(async move {
                let sent = match woken.await {
                    Ok(()) => security.send(node, class, &payload).await,
                    Err(_) => Err(Error::Closed),
                };
                drop(hold);
                let _ = tx.send(sent.map(|report| TransmitReport {
                    waited_for_wake_up: true,
                    ..report
                }));
            });
            return Ok(Submitted::QueuedUntilWakeUp(PendingTransmit {
                node,
                outcome,
            }));
        }
        match self
            .client
            .request(Op::SendData {
                node,
                payload,
                now: false,
                sleep: false,
            })
            .await?
        {
            Reply::Transmitted(report) => Ok(Submitted::Transmitted(report)),
            Reply::Queued(outcome) => Ok(Submitted::QueuedUntilWakeUp(PendingTransmit {
                node,
                outcome,
            })),
            _ => Err(Error::UnexpectedResponse("SendData")),
        }
    }

    /// Sends a typed command to a node (`endpoint` 0) or one of its end points (1..=127, in
    /// Multi Channel encapsulation), under the node's highest granted class, and waits for the
    /// outcome: the node's acknowledgement (after its wake-up for a sleeping node) and, for a
    /// Set to a node that supports Supervision, its Supervision Report (Success, Working with
    /// the time left, Fail, or no support). Answers to a Get arrive as [`RadioEvent::Report`].
    pub async fn send_command(
        &self,
        node: u16,
        endpoint: u8,
        command: CommandClassFrame,
    ) -> Result<CommandOutcome> {
        match self.submit_command(node, endpoint, command).await? {
            SubmittedCommand::Done(outcome) => Ok(outcome),
            SubmittedCommand::QueuedUntilWakeUp(pending) => pending.outcome().await,
        }
    }

    /// [`ZwaveStick::send_command`], but for a sleeping node that is asleep it says at once
    /// that the command waits for the node's wake-up, with a handle to await its outcome.
    pub async fn submit_command(
        &self,
        node: u16,
        endpoint: u8,
        command: CommandClassFrame,
    ) -> Result<SubmittedCommand> {
        if endpoint > 0x7F {
            return Err(Error::InvalidEndpoint(endpoint));
        }
        let session = commands::supervises(&self.commands, node, &command)
            .then(|| self.commands.open_session(node));
        let frame = commands::wrap(command, endpoint, session.as_ref().map(|s| s.id))?;
        let supervision_timeout = self.client.config.supervision_timeout;
        match self.submit_data(node, frame).await? {
            Submitted::Transmitted(transmit) => Ok(SubmittedCommand::Done(
                commands::finish(node, transmit, session, supervision_timeout).await?,
            )),
            Submitted::QueuedUntilWakeUp(transmit) => {
                Ok(SubmittedCommand::QueuedUntilWakeUp(PendingCommand {
                    transmit,
                    session,
                    supervision_timeout,
                }))
            }
        }
    }

    /// Records the command classes a node supports (its node information frame's list, or
    /// for a secure node the list it reported under security), restored from sealhub's
    /// database after a restart: [`ZwaveStick::send_command`] supervises Sets to nodes that
    /// list Supervision. Nodes included through this driver, and nodes whose information
    /// frame arrives, are recorded already.
    pub fn set_node_command_classes(&self, node: u16, command_classes: &[u8]) {
        self.commands.set_command_classes(node, command_classes);
    }

    /// Sends a command class frame under `class`, whatever the node was granted: for a
    /// command class a node supports under a lower class than its highest, and for tests.
    /// For a sleeping node that is asleep this waits for its wake-up.
    pub async fn send_data_under(
        &self,
        node: u16,
        class: SecurityClass,
        payload: Vec<u8>,
    ) -> Result<TransmitReport> {
        self.client.generation()?;
        // The nonce exchange needs the node listening: a sleeping node is held awake from
        // its wake-up until the frame is through.
        let (hold, woken) = interview::hold_awake(&self.client, node).await?;
        if let Some(woken) = woken {
            woken.await.map_err(|_| Error::Closed)?;
        }
        let sent = self.security.send(node, class, &payload).await;
        drop(hold);
        sent
    }

    /// The controller's node id as a one-byte id (Association targets).
    fn own_node_id(&self) -> Result<u8> {
        let own = (*self.own_node.lock().unwrap_or_else(|p| p.into_inner()))
            .ok_or(Error::SecurityNotStarted)?;
        u8::try_from(own).map_err(|_| Error::InvalidNode(own))
    }

    /// The highest class a node was granted (`None`: not secure).
    pub fn node_security(&self, node: u16) -> Option<SecurityClass> {
        self.security.granted(node).classes().first().copied()
    }

    /// The classes a node was granted.
    pub fn node_granted(&self, node: u16) -> KeyClasses {
        self.security.granted(node)
    }

    /// Restores what a node was granted (from sealhub's database, after a restart);
    /// `insecure` is the command class list of its node information frame. Nothing from an S2
    /// node is taken in the clear; from an S0 node only command classes that list names and
    /// its secure list does not (see [`ZwaveStick::set_node_secure_command_classes`]), access
    /// control excepted. An empty `granted` makes it an insecure node.
    pub fn set_node_security(&self, node: u16, granted: KeyClasses, insecure: Vec<u8>) {
        self.security.set_granted(node, granted, insecure);
    }

    /// Restores the command classes a secure node supports securely (its S2 or S0 Commands
    /// Supported Report, kept in sealhub's database after its interview; markers allowed):
    /// frames of these classes are then taken only under the node's highest class, even where
    /// its node information frame lists them. Call it after [`ZwaveStick::set_node_security`];
    /// the driver learns the list itself when the node reports it.
    pub fn set_node_secure_command_classes(&self, node: u16, command_classes: &[u8]) {
        self.security
            .set_secure_command_classes(node, command_classes);
    }

    /// Marks a node as sleeping (commands wait for its Wake Up Notification) or listening.
    /// Nodes included through this driver whose information lists Wake Up are marked already.
    pub async fn set_sleeping(&self, node: u16, sleeping: bool) -> Result<()> {
        self.client
            .done(Op::SetSleeping { node, sleeping }, "SetSleeping")
            .await
    }

    /// Puts the stick into inclusion mode; returns once it is ready. A node that joins arrives
    /// as [`RadioEvent::NodeAdded`]; the driver then stops inclusion by itself.
    pub async fn add_node(&self) -> Result<()> {
        self.client.generation()?;
        self.security.set_pending_inclusion(None);
        self.client
            .done(Op::AddNode { start: true }, "AddNodeToNetwork")
            .await
    }

    /// Like [`ZwaveStick::add_node`], then bootstraps security with the node that joins: S2
    /// (granting what it requests within `options.grant`), or S0 for a node that knows only S0
    /// when `options.allow_s0`. When an authenticated class is to be granted, a [`PinRequest`]
    /// comes on `pins` and must be answered with the DSK's first group. The outcome arrives as
    /// [`RadioEvent::NodeAdded`] with its class, or [`RadioEvent::InclusionFailed`] with the
    /// node and the reason.
    pub async fn add_node_secure(
        &self,
        options: InclusionOptions,
        pins: mpsc::Sender<PinRequest>,
    ) -> Result<()> {
        self.client.generation()?;
        self.security.set_pending_inclusion(Some((options, pins)));
        let result = self
            .client
            .done(Op::AddNode { start: true }, "AddNodeToNetwork")
            .await;
        if result.is_err() {
            self.security.set_pending_inclusion(None);
        }
        result
    }

    /// Leaves inclusion mode.
    pub async fn stop_inclusion(&self) -> Result<()> {
        self.client.generation()?;
        self.client
            .done(Op::AddNode { start: false }, "AddNodeToNetwork")
            .await
    }

    /// Puts the stick into exclusion mode; returns once it is ready. A node that leaves
    /// arrives as [`RadioEvent::NodeRemoved`].
    pub async fn remove_node(&self) -> Result<()> {
        self.client.generation()?;
        self.client
            .done(Op::RemoveNode { start: true }, "RemoveNodeFromNetwork")
            .await
    }

    /// Leaves exclusion mode.
    pub async fn stop_exclusion(&self) -> Result<()> {
        self.client.generation()?;
        self.client
            .done(Op::RemoveNode { start: false }, "RemoveNodeFromNetwork")
            .await
    }

    /// Reads the controller's whole NVM (the network as the chip keeps it), so the network can
    /// be put back on this or a replacement stick; see [`nvm`] for how and what is checked.
    pub async fn backup_nvm(&self) -> nvm::NvmResult<nvm::NvmBackup> {
        self.client.generation()?;
        nvm::backup(&self.client).await
    }
}

impl Drop for ZwaveStick {
    fn drop(&mut self) {
        self.restarter.abort();
        self.dispatcher.abort();
    }
}

/// A Serial API command's name, for errors and logs.
pub(crate) fn command_name(function: u8) -> &'static str {
    use messages::function as f;
    match function {
        f::GET_SERIAL_API_INIT_DATA => "GetSerialApiInitData",
        f::GET_CONTROLLER_CAPABILITIES => "GetControllerCapabilities",
        f::GET_SERIAL_API_CAPABILITIES => "GetSerialApiCapabilities",
        f::SOFT_RESET => "SoftReset",
        f::SERIAL_API_SETUP => "SerialApiSetup",
        f::SEND_DATA => "SendData",
        f::GET_CONTROLLER_VERSION => "GetControllerVersion",
        f::GET_CONTROLLER_ID => "GetControllerId",
        f::ADD_NODE => "AddNodeToNetwork",
        f::REMOVE_NODE => "RemoveNodeFromNetwork",
        _ => "a Serial API command",
    }
}
