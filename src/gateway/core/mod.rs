//! The gateway core: where radio messages become envelopes and clients' envelopes become radio
//! requests. A pure state machine: [`Gateway::handle`] takes one [`Input`] (a radio event, an
//! interview result, the result of a radio request it asked for, a client's envelope, a
//! connection event, a tick) and the time, and returns [`Output`]s (radio requests and
//! [`Delivery`]s for the transport). It reads and writes the sealed store through the
//! [`Home`] and its own trees, synchronously; it never sleeps and never touches a port, so its
//! tests need no ptys. The thin tokio task that drives it is in the binary
//! (`src/runtime/gateway.rs`); `docs/GATEWAY.md` says how it fits together.
//!
//! - [`registry`]: one sealed record per device, its key issued and revoked with it.
//! - [`history`]: each device's last event envelopes, for clients that missed them.
//! - [`journal`]: what became of each command, so it runs at most once.
//! - [`permissions`]: roles, what each command needs, read scopes.
//! - [`translation`]: the translation functions, passed in.
//! - `devices`, `commands`, `hub`: how radio events, device commands and hub-level commands
//!   are handled.

mod commands;
mod devices;
pub mod history;
mod hub;
pub mod journal;
mod outcome;
pub mod permissions;
mod plan;
pub mod registry;
pub mod translation;
mod wording;

pub use outcome::{OpFailure, OpOutput, RadioOutcome, Ticket};
pub use translation::{RadioTranslation, Translation};

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::definitions::Definitions;
use crate::envelope::DeviceId;
use crate::gateway::{ZigbeeOp, ZwaveOp};
use crate::keymgmt::{Home, PreparedResponse};
use crate::model::{Action, Attribute, Event, HUB_DEVICE, Response};
use crate::radio::zwave_nodes::NodeRecord;
use crate::store::{Store, WriteBatch};
use history::History;
use journal::{CommandKey, Journal};
use registry::Registry;
use sealhub_radios::zigbee::driver::{self as zigbee, DeviceDescription, NetworkInfo};
use sealhub_radios::zwave::driver as zwave;

/// Why the core could not start or do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The sealed store failed.
    #[error("sealed store: {0}")]
    Store(#[from] crate::store::Error),
    /// Key management failed (issuing, revoking, sealing).
    #[error("keys: {0}")]
    Keys(#[from] crate::keymgmt::Error),
    /// A stored record does not hold what it should.
    #[error("stored record damaged: {0}")]
    Corrupt(String),
}

/// Result of the core.
pub type Result<T> = std::result::Result<T, Error>;

/// What the transport may broadcast to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadScope {
    /// Nothing (no read permission).
    Nothing,
    /// Every device's events.
    All,
    /// Only these devices' events (the hub's own messages included).
    Devices(Vec<DeviceId>),
}

/// An envelope (or a transport instruction) for the transport to carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// To the connection a command came on (answers to it, challenges).
    ToConnection {
        /// The connection.
        conn: u64,
        /// The envelope.
        bytes: Vec<u8>,
    },
    /// To one client, on whichever connection it has (key distributions, late answers).
    ToClient {
        /// The client.
        client: DeviceId,
        /// The envelope.
        bytes: Vec<u8>,
    },
    /// To every client whose read scope holds `device` (events, revocation lists).
    Broadcast {
        /// The device the envelope is about.
        device: DeviceId,
        /// The envelope.
        bytes: Vec<u8>,
    },
    /// What the client may receive from now on.
    SetReadScope {
        /// The client.
        client: DeviceId,
        /// Its scope.
        scope: ReadScope,
    },
    /// Close the client's connections (it was removed).
    CloseClient {
        /// The client.
        client: DeviceId,
    },
}

/// What the core is given.
#[derive(Debug)]
pub enum Input {
    /// An event of the Zigbee driver.
    Zigbee(zigbee::RadioEvent),
    /// An event of the Z-Wave driver.
    Zwave(zwave::RadioEvent),
    /// The Zigbee stick is up on its network (the hub's own IEEE address is in it).
    ZigbeeUp(NetworkInfo),
    /// The Z-Wave stick is up on network `home_id` as node `node_id`.
    ZwaveUp {
        /// The network's home id.
        home_id: u32,
        /// The controller's node id.
        node_id: u16,
    },
    /// The interview the core asked for ([`Output::ZigbeeInterview`]) finished.
    ZigbeeInterviewed {
        /// The device.
        eui64: u64,
        /// What it said, or why not.
        result: std::result::Result<DeviceDescription, String>,
    },
    /// A Z-Wave node was described (`NodeDescriber`), after its inclusion or at start-up.
    ZwaveDescribed(NodeRecord),
    /// The result of a radio request the core asked for.
    RadioDone {
        /// The request's ticket.
        ticket: Ticket,
        /// What became of it.
        outcome: RadioOutcome,
    },
    /// A client's envelope, as it arrived on connection `conn`.
    Envelope {
        /// The connection.
        conn: u64,
        /// The envelope.
        bytes: Vec<u8>,
    },
    /// A paired client's session opened on connection `conn` (`client` is the id it claims in
    /// its URL, a routing hint only): a known client is sent a fresh key distribution on that
    /// connection, so one that was offline while keys changed catches up.
    Connected {
        /// The connection.
        conn: u64,
        /// The client id it claims.
        client: DeviceId,
    },
    /// A connection closed: answers for it go to its client instead.
    ConnectionClosed {
        /// The connection.
        conn: u64,
    },
    /// Clients were paired or changed outside the core: read scopes are sent again.
    ClientsChanged,
    /// Time passed: deadlines are checked.
    Tick,
}

impl Input {
    /// A short name of the input's kind, for the log line that times its handling.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Zigbee(_) => "zigbee",
            Input::Zwave(_) => "zwave",
            Input::ZigbeeUp(_) => "zigbee-up",
            Input::ZwaveUp { .. } => "zwave-up",
            Input::ZigbeeInterviewed { .. } => "zigbee-interviewed",
            Input::ZwaveDescribed(_) => "zwave-described",
            Input::RadioDone { .. } => "radio-done",
            Input::Envelope { .. } => "envelope",
            Input::Connected { .. } => "connected",
            Input::ConnectionClosed { .. } => "connection-closed",
            Input::ClientsChanged => "clients-changed",
            Input::Tick => "tick",
        }
    }
}

/// What the core asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Run these ops on a Zigbee device, in order, one at a time; a failure stops the rest.
    ZigbeeOps {
        /// Answered with [`Input::RadioDone`].
        ticket: Ticket,
        /// The device's node id.
        node_id: u16,
        /// The ops.
        ops: Vec<ZigbeeOp>,
    },
    /// Run these ops on a Z-Wave node, in order; a sleeping node's wait for its wake-up is
    /// reported as [`RadioOutcome::Queued`].
    ZwaveOps {
        /// Answered with [`Input::RadioDone`].
        ticket: Ticket,
        /// The node.
        node: u16,
        /// The ops.
        ops: Vec<ZwaveOp>,
    },
    /// Interview a Zigbee device; answered with [`Input::ZigbeeInterviewed`].
    ZigbeeInterview {
        /// Its IEEE address.
        eui64: u64,
        /// Its node id.
        node_id: u16,
    },
    /// Open (or with 0 close) the Zigbee network for joining.
    ZigbeePermitJoin {
        /// Answered with [`Input::RadioDone`].
        ticket: Ticket,
        /// For how long.
        seconds: u8,
    },
    /// Ask a Zigbee device to leave for good and forget it.
    ZigbeeRemove {
        /// Answered with [`Input::RadioDone`].
        ticket: Ticket,
        /// Its IEEE address.
        eui64: u64,
        /// Its node id.
        node_id: u16,
    },
    /// Start Z-Wave inclusion with security; `pin` answers the driver's `PinRequest` (the
    /// first five digits of the node's DSK), `None` cancels one.
    ZwaveInclude {
        /// Answered with [`Input::RadioDone`] once inclusion mode is on.
        ticket: Ticket,
        /// The DSK PIN.
        pin: Option<u16>,
    },
    /// Start Z-Wave exclusion.
    ZwaveExclude {
        /// Answered with [`Input::RadioDone`] once exclusion mode is on.
        ticket: Ticket,
    },
    /// Stop Z-Wave inclusion and exclusion.
    ZwaveStop {
        /// Answered with [`Input::RadioDone`].
        ticket: Ticket,
    },
    /// For the transport.
    Deliver(Delivery),
}

/// The core's limits.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// How long a command may take on the radio before it is answered `TimedOut`, and how long
    /// it may wait for its radio to come up.
    pub command_timeout: Duration,
    /// After a command's ops succeed, how long to wait for the device to report its new state
    /// before answering with the last known one.
    pub settle_timeout: Duration,
    /// How long a command for a sleeping node may wait for its wake-up.
    pub queued_timeout: Duration,
    /// After a start, how long commands accepted before the restart wait for their radio.
    pub startup_grace: Duration,
    /// How many events are kept per device.
    pub history_len: usize,
    /// At most this many bytes of events in one history answer (an envelope is at most
    /// 64 KiB); the client asks again for the rest.
    pub history_answer_bytes: usize,
    /// How long an interview may take before a later announcement may ask again.
    pub interview_timeout: Duration,
    /// How many times a failed Zigbee interview is asked again on the hub's own, so a device
    /// whose answers were lost (a burst of joins, a busy stick) is still keyed without being
    /// paired again; after that, only its next announcement asks again.
    pub interview_retries: u32,
    /// The wait before the first of those tries, doubled for each next one.
    pub interview_retry_after: Duration,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            command_timeout: Duration::from_secs(30),
            settle_timeout: Duration::from_secs(3),
            queued_timeout: Duration::from_secs(12 * 3600),
            startup_grace: Duration::from_secs(120),
            history_len: 256,
            history_answer_bytes: 48 * 1024,
            interview_timeout: Duration::from_secs(120),
            interview_retries: 3,
            interview_retry_after: Duration::from_secs(10),
        }
    }
}

/// A Zigbee interview under way.
#[derive(Debug, Clone, Copy)]
struct AskedInterview {
    node_id: u16,
    /// When a later announcement may ask again.
    until: Instant,
}

/// A Zigbee interview that failed, to be asked again.
#[derive(Debug, Clone, Copy)]
struct InterviewRetry {
    node_id: u16,
    /// How many times it failed so far.
    failures: u32,
    /// When to ask again; `None` while that try is under way.
    due: Option<Instant>,
}

/// Who asked for a command and how to answer.
#[derive(Debug, Clone)]
struct Asker {
    key: CommandKey,
    client: DeviceId,
    /// The connection it came on, while known.
    conn: Option<u64>,
    re: [u8; 8],
    device: DeviceId,
    command: coset::cbor::value::Value,
}

/// Where a running command is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Its ops are with the radio.
    Radio,
    /// The node sleeps; the ops wait for its wake-up (answered `Queued` already).
    Queued,
    /// The ops succeeded; waiting for the device to report its new state.
    Settling,
}

/// A device command with the radio.
#[derive(Debug)]
struct Running {
    asker: Asker,
    ticket: Ticket,
    endpoint: u8,
    action: Action,
    deadline: Instant,
    phase: Phase,
    /// The state an absolute action sets, taken when the device confirms it.
    sets: Option<Vec<Attribute>>,
    /// What to read back when the device took the action without confirming it.
    read_back: Option<plan::RadioOps>,
    /// How many of the ops sent first carry the action (the rest read back).
    action_ops: usize,
}

/// A command waiting for its turn.
#[derive(Debug)]
struct Waiting {
    asker: Asker,
    /// Whether the journal says `Sent` already.
    sent: bool,
    deadline: Instant,
}

/// Each device's commands: one with the radio, the others in arrival order.
#[derive(Debug, Default)]
struct DeviceQueue {
    running: Option<Running>,
    waiting: VecDeque<Waiting>,
}

/// A hub-level request with a radio.
#[derive(Debug)]
struct HubOp {
    asker: Asker,
    /// What it was doing, in words.
    doing: String,
    deadline: Instant,
}

/// What a ticket was for.
#[derive(Debug)]
enum TicketFor {
    /// The running command of this device.
    Command(DeviceId),
    /// Setting up a newly joined device (binds, reporting).
    Setup(DeviceId),
    /// The Gets that follow a Z-Wave Set the node confirmed, after the command was answered:
    /// a node does not report a change the hub made, so its Report (the event) is asked for.
    /// Nothing waits for them.
    Report(DeviceId),
    /// A hub-level request.
    Hub(HubOp),
}

/// What is known of the radios.
#[derive(Debug, Default)]
struct Radios {
    /// The hub's own Zigbee IEEE address, once the stick is up.
    zigbee_eui64: Option<u64>,
    zigbee_up: bool,
    /// The Z-Wave network's home id, once the stick is up.
    zwave_home: Option<u32>,
    zwave_up: bool,
}

/// The gateway core (see the module documentation).
pub struct Gateway {
    config: GatewayConfig,
    translation: Box<dyn Translation>,
    definitions: Definitions,
    registry: Registry,
    history: History,
    journal: Journal,
    radios: Radios,
    /// Connections envelopes arrived on and not yet closed.
    connections: BTreeSet<u64>,
    next_ticket: u64,
    tickets: BTreeMap<Ticket, TicketFor>,
    queues: BTreeMap<DeviceId, DeviceQueue>,
    /// Zigbee interviews asked for, by IEEE address, with when they may be asked again.
    interviews: BTreeMap<u64, AskedInterview>,
    /// Zigbee devices whose interview failed and is to be asked again, by IEEE address.
    interview_retries: BTreeMap<u64, InterviewRetry>,
    /// Each Z-Wave device's Color Switch components as last reported (a colour takes several
    /// reports); not stored: a refresh after a restart fills it again.
    zwave_colors: BTreeMap<DeviceId, crate::gateway::zwave::ColorComponents>,
    /// Answers recorded in the journal since the last [`Gateway::flush_staged`], not yet
    /// durable.
    answers_staged: bool,
    /// The keys of the answers to the commands with a radio, agreed ahead
    /// ([`Gateway::prepare_answers`]).
    prepared: HashMap<CommandKey, PreparedResponse>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("devices", &self.registry.iter().count())
            .field("radios", &self.radios)
            .finish_non_exhaustive()
    }
}

/// The hub's own device id.
pub fn hub_device() -> DeviceId {
    // "hub" is a valid device id.
    DeviceId::new(HUB_DEVICE).unwrap_or_else(|_| unreachable!())
}

impl Gateway {
    /// Opens the core on the home's store: issues the hub's own key on first start, loads the
    /// registry (computing each device's mapping with `definitions`), the history and the
    /// journal, answers the commands a restart interrupted and queues the ones it never
    /// started, and sends every client its read scope.
    pub fn open(
        home: &mut Home,
        store: Store,
        definitions: Definitions,
        translation: Box<dyn Translation>,
        config: GatewayConfig,
        now: Instant,
    ) -> Result<(Gateway, Vec<Output>)> {
        let mut out = Vec::new();
        let hub = hub_device();
        if home.device_certificate(&hub).is_none() {
            let cert = home.issue_device(&hub)?;
            tracing::info!(kid = %cert.kid(), "the hub's own device key issued");
            out.extend(redistribute(home)?);
        }
        let mut registry = Registry::load(store.handle(), &*translation, &definitions)?;
        let orphans: Vec<DeviceId> = registry
            .iter()
            .filter(|d| home.device_certificate(&d.id).is_none())
            .map(|d| d.id.clone())
            .collect();
        for id in orphans {
            // A record and its key are written and deleted in one batch, so this means the
            // store was edited by hand; the record is useless without a key to sign with.
            tracing::error!(device = %id, "a device record without a key; deleting the record");
            let mut batch = WriteBatch::new();
            Registry::remove_into(&mut batch, &id);
            store.apply(batch)?;
            registry.forget(&id);
        }
        let ids: Vec<DeviceId> = registry.iter().map(|d| d.id.clone()).collect();
        let history = History::load(store.handle(), config.history_len, ids.iter())?;
        let journal = Journal::load(store.handle())?;
        tracing::info!(
            devices = ids.len(),
            "gateway ready with the devices of the registry"
        );
        let mut gateway = Gateway {
            config,
            translation,
            definitions,
            registry,
            history,
            journal,
            radios: Radios::default(),
            connections: BTreeSet::new(),
            next_ticket: 1,
            tickets: BTreeMap::new(),
            queues: BTreeMap::new(),
            interviews: BTreeMap::new(),
            interview_retries: BTreeMap::new(),
            zwave_colors: BTreeMap::new(),
            answers_staged: false,
            prepared: HashMap::new(),
        };
        out.extend(gateway.recover(home, now));
        out.extend(gateway.read_scopes(home));
        Ok((gateway, out))
    }

    /// Handles one input at time `now`. The answers among the outputs are recorded in the
    /// journal but not yet flushed: call [`Gateway::flush_staged`] once the outputs are
    /// handed on (if it was not, the next input flushes them first).
    pub fn handle(&mut self, home: &mut Home, input: Input, now: Instant) -> Vec<Output> {
        self.flush_staged(home);
        match input {
            Input::Zigbee(event) => self.on_zigbee(home, event, now),
            Input::Zwave(event) => self.on_zwave(home, event, now),
            Input::ZigbeeUp(info) => {
                self.radios.zigbee_eui64 = Some(info.eui64);
                self.radios.zigbee_up = true;
                let mut out = self.set_up_imported(info.eui64);
                out.extend(self.pump_radio(home, crate::model::RadioKind::Zigbee, now));
                out
            }
            Input::ZwaveUp { home_id, .. } => {
                self.radios.zwave_home = Some(home_id);
                self.radios.zwave_up = true;
                self.pump_radio(home, crate::model::RadioKind::Zwave, now)
            }
            Input::ZigbeeInterviewed { eui64, result } => {
                self.on_zigbee_interviewed(home, eui64, result, now)
            }
            Input::ZwaveDescribed(record) => self.on_zwave_described(home, record, now),
            Input::RadioDone { ticket, outcome } => self.on_radio_done(home, ticket, outcome, now),
            Input::Envelope { conn, bytes } => self.on_envelope(home, conn, &bytes, now),
            Input::Connected { conn, client } => self.on_connected(home, conn, &client),
            Input::ConnectionClosed { conn } => {
                self.connections.remove(&conn);
                Vec::new()
            }
            Input::ClientsChanged => self.read_scopes(home),
            Input::Tick => self.tick(home, now),
        }
    }

    /// The devices of the registry, as clients see them.
    pub fn devices(&self) -> Vec<crate::model::Device> {
        self.registry.iter().map(|d| d.model()).collect()
    }

    /// The last state of a device's endpoint.
    pub fn state_of(
        &self,
        device: &DeviceId,
        endpoint: u8,
    ) -> Option<Vec<crate::model::Attribute>> {
        self.registry.get(device).map(|d| d.state_of(endpoint))
    }

    /// Whether `radio` is up.
    fn radio_up(&self, radio: crate::model::RadioKind) -> bool {
        match radio {
            crate::model::RadioKind::Zigbee => self.radios.zigbee_up,
            crate::model::RadioKind::Zwave => self.radios.zwave_up,
        }
    }

    fn ticket(&mut self, what: TicketFor) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.tickets.insert(ticket, what);
        ticket
    }

    /// A client's session opened: its current key distribution, sealed to its own key (so
    /// a session that only claims the id learns nothing), on that connection.
    fn on_connected(&mut self, home: &mut Home, conn: u64, client: &DeviceId) -> Vec<Output> {
        if home.clients().all(|(id, _)| id != client) {
            tracing::debug!(conn, client = %client, "a session for an unknown client");
            return Vec::new();
        }
        match home.key_distribution(client) {
            Ok(bytes) => vec![Output::Deliver(Delivery::ToConnection { conn, bytes })],
            Err(e) => {
                tracing::error!(client = %client, "cannot seal a key distribution: {e}");
                Vec::new()
            }
        }
    }

    /// Sends every client its read scope.
    fn read_scopes(&self, home: &Home) -> Vec<Output> {
        home.clients()
            .map(|(id, cert)| {
                Output::Deliver(Delivery::SetReadScope {
                    client: id.clone(),
                    scope: permissions::read_scope(cert),
                })
            })
            .collect()
    }

    /// Where an answer goes: the connection the command came on while it is open, else the
    /// client on whichever connection it has.
    fn reply(&self, conn: Option<u64>, client: &DeviceId, bytes: Vec<u8>) -> Output {
        Output::Deliver(match conn.filter(|c| self.connections.contains(c)) {
            Some(conn) => Delivery::ToConnection { conn, bytes },
            None => Delivery::ToClient {
                client: client.clone(),
                bytes,
            },
        })
    }

    /// Makes durable what handling the last input staged to be flushed once its outputs are
    /// on their way: commands' answers in the journal and sequence ceilings raised ahead
    /// (`Home::flush`). Called after the deliveries were handed to the transport, so a client
    /// does not wait for this flush; a crash before it returns loses only the copy of an
    /// answer kept for a duplicate of its command, which is then answered `Interrupted` after
    /// the restart (`docs/GATEWAY.md`, "Flushes per command").
    pub fn flush_staged(&mut self, home: &mut Home) {
        if !std::mem::take(&mut self.answers_staged) && !home.has_staged() {
            return;
        }
        if let Err(e) = home.flush() {
            tracing::error!("cannot make commands' answers durable in the journal: {e}");
        }
    }

    /// Agrees ahead the keys of the answers to the device commands now with a radio
    /// (`Home::prepare_response`), so that sealing the answer when the device has done its part
    /// only signs and encrypts. The gateway task calls this once an input's outputs (a radio
    /// request among them) are on their way, so the work overlaps the radio exchange.
    pub fn prepare_answers(&mut self, home: &Home) {
        let running: Vec<(CommandKey, DeviceId)> = self
            .queues
            .values()
            .filter_map(|q| q.running.as_ref())
            .map(|r| (r.asker.key, r.asker.client.clone()))
            .collect();
        self.prepared
            .retain(|key, _| running.iter().any(|(k, _)| k == key));
        for (key, client) in running {
            if self.prepared.contains_key(&key) {
                continue;
            }
            match home.prepare_response(&client) {
                Ok(prepared) => {
                    self.prepared.insert(key, prepared);
                }
                // The answer agrees its key when it is sealed, as without this.
                Err(e) => tracing::debug!(client = %client, "no key agreed ahead: {e}"),
            }
        }
    }

    /// Seals `response` for `asker` (signed by `signer`, or by the hub when that device's key
    /// is gone), records it in the journal and addresses it.
    fn answer_as(
        &mut self,
        home: &mut Home,
        asker: &Asker,
        signer: &DeviceId,
        response: Response,
        journaled: bool,
    ) -> Vec<Output> {
        self.answer_as_with(home, asker, signer, response, journaled, WriteBatch::new())
    }

    /// [`Gateway::answer_as`], writing `with` (the device's record) in the same write as the
    /// journal's answer (dropped when the answer is not journaled).
    fn answer_as_with(
        &mut self,
        home: &mut Home,
        asker: &Asker,
        signer: &DeviceId,
        response: Response,
        journaled: bool,
        with: WriteBatch,
    ) -> Vec<Output> {
        let signer = if home.device_certificate(signer).is_some() {
            signer.clone()
        } else {
            hub_device()
        };
        let prepared = self.prepared.remove(&asker.key);
        let bytes = match home.seal_response_prepared(
            &signer,
            &asker.client,
            response.to_value(),
            asker.re,
            prepared,
        ) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(device = %signer, "cannot seal a response: {e}");
                return Vec::new();
            }
        };
        if journaled {
            let entry = journal::Entry {
                stage: journal::Stage::Answered,
                device: asker.device.to_string(),
                client: asker.client.to_string(),
                msg_id: asker.re,
                command: asker.command.clone(),
                interim: self.journal.get(&asker.key).and_then(|e| e.interim.clone()),
                answer: Some(bytes.clone()),
            };
            // Staged: flushed by `flush_staged` once the answer is on its way.
            match self.journal.stage_with(asker.key, entry, with) {
                Ok(()) => self.answers_staged = true,
                Err(e) => tracing::error!("cannot record a command's answer in the journal: {e}"),
            }
        }
        vec![self.reply(asker.conn, &asker.client, bytes)]
    }

    /// [`Gateway::answer`] with `with` written in the same write as the journal's answer.
    fn answer_with(
        &mut self,
        home: &mut Home,
        asker: &Asker,
        response: Response,
        with: WriteBatch,
    ) -> Vec<Output> {
        let device = asker.device.clone();
        self.answer_as_with(home, asker, &device, response, true, with)
    }

    /// [`Gateway::answer_as`] signed by the command's device, recorded in the journal.
    fn answer(&mut self, home: &mut Home, asker: &Asker, response: Response) -> Vec<Output> {
        let device = asker.device.clone();
        self.answer_as(home, asker, &device, response, true)
    }

    /// Seals `event` of `device` and stores it in its history with `with` (the device's record,
    /// when the event changed it) in one write; returns the broadcast.
    fn emit(
        &mut self,
        home: &mut Home,
        device: &DeviceId,
        event: Event,
        with: WriteBatch,
    ) -> Vec<Output> {
        let bytes = match home.seal_event(device, event.to_value()) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(device = %device, "cannot seal an event: {e}");
                return Vec::new();
            }
        };
        let seq = home.last_sequence(device).unwrap_or(0);
        if let Err(e) = self.history.append(device, seq, &bytes, with) {
            tracing::error!(device = %device, "cannot keep an event in the history: {e}");
        }
        vec![Output::Deliver(Delivery::Broadcast {
            device: device.clone(),
            bytes,
        })]
    }

    /// Checks every deadline.
    fn tick(&mut self, home: &mut Home, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        self.interviews.retain(|_, asked| asked.until > now);
        out.extend(self.retry_interviews(now));
        let devices: Vec<DeviceId> = self.queues.keys().cloned().collect();
        for device in devices {
            out.extend(self.expire_commands(home, &device, now));
        }
        let late: Vec<Ticket> = self
            .tickets
            .iter()
            .filter(|(_, t)| matches!(t, TicketFor::Hub(op) if op.deadline <= now))
            .map(|(t, _)| *t)
            .collect();
        for ticket in late {
            if let Some(TicketFor::Hub(op)) = self.tickets.remove(&ticket) {
                tracing::warn!(doing = %op.doing, "a hub request timed out");
                let hub = hub_device();
                out.extend(self.answer_as(home, &op.asker, &hub, Response::TimedOut, true));
            }
        }
        out
    }
}

/// Key distributions for every client, after a device key was issued or revoked.
fn redistribute(home: &mut Home) -> Result<Vec<Output>> {
    Ok(home
        .redistribute()?
        .into_iter()
        .map(|(client, bytes)| Output::Deliver(Delivery::ToClient { client, bytes }))
        .collect())
}
