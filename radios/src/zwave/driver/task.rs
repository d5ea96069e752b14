//! The driver task: the only code that touches the serial port. It keeps a queue of jobs (one
//! Serial API transaction in flight in [`CommandMachine`]), allocates callback ids, feeds what
//! it reads to the machine, writes what the machine returns, ticks it at its next deadline, and
//! turns what the stick reports into replies and [`RadioEvent`]s.
//!
//! Inclusion: after AddNode's "protocol done" the task stops add mode itself (with a callback,
//! whose "done" carries the new node) and reports [`RadioEvent::NodeAdded`]; exclusion reports
//! [`RadioEvent::NodeRemoved`] on "done". Sleeping nodes: SendData to a node asleep waits in
//! its [`WakeUpQueues`] entry; its Wake Up Notification (seen here in the clear, or passed on by
//! the security layer once decrypted) releases the queue to the front of the job queue,
//! followed by Wake Up No More Information, unless the node is held awake (an interview, a
//! secure exchange that needs nonces, bootstrapping): then No More Information waits for the
//! last hold's release, and whoever waited for the wake-up is told.
//!
//! When a read or write says the device went away ([`port::is_disconnect`]), the task fails
//! the job in flight and every queued job with [`Error::StickLost`], publishes the lost state,
//! emits [`RadioEvent::StickLost`], answers requests with [`Error::StickLost`] while it reopens
//! the port with back-off, and publishes a new connection generation for start-up to rerun.
//! Commands waiting for a node's wake-up stay queued across the replug.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_serial::SerialStream;

use super::wakeup::{SecureNodes, WakeUpQueues};
use super::{
    Awaited, DriverConfig, Error, InclusionFailure, LinkState, NodeInfo, Op, RadioEvent, RawEvent,
    Refusal, Reply, Request, Result, TransmitFailure, TransmitReport, WAKE_UP_CC, command_name,
};
use crate::port::{self, PortConfig};
use crate::zwave::serial::frame;
use crate::zwave::serial::machine::{Command, CommandMachine, Completion, Event, Failure, Output};
use crate::zwave::serial::messages::application::ApplicationUpdate;
use crate::zwave::serial::messages::inclusion::{
    AddNodeMode, AddNodeRequest, InclusionCallback, InclusionFlags, InclusionStatus,
    RemoveNodeMode, RemoveNodeRequest,
};
use crate::zwave::serial::messages::transmit::{
    SendDataCallback, SendDataRequest, TransmitOptions, TransmitStatus,
};
use crate::zwave::serial::messages::{HostMessage, StickMessage};

/// Wake Up Notification and No More Information (Wake Up command class).
const WAKE_UP_NOTIFICATION: u8 = 0x07;
const WAKE_UP_NO_MORE_INFORMATION: u8 = 0x08;
/// ApplicationUpdate: the node did not answer RequestNodeInfo.
const UPDATE_NODE_INFO_REQUEST_FAILED: u8 = 0x81;
/// Highest classic node id.
const MAX_NODE_ID: u16 = 232;

/// What the task is given when it is spawned.
pub(crate) struct TaskParts {
    pub(crate) port_config: PortConfig,
    pub(crate) port: SerialStream,
    pub(crate) config: DriverConfig,
    pub(crate) requests: mpsc::Receiver<Request>,
    pub(crate) state: watch::Sender<LinkState>,
    pub(crate) started: broadcast::Sender<()>,
    pub(crate) events: mpsc::Sender<RawEvent>,
    /// Nodes whose No More Information the security layer sends.
    pub(crate) secure: SecureNodes,
}

enum Ended {
    /// The port is gone.
    Disconnected,
    /// Every handle was dropped: stop.
    Closed,
}

/// Where a job's outcome goes.
enum ReplyTo {
    Api(oneshot::Sender<Result<Reply>>),
    Queued(oneshot::Sender<Result<TransmitReport>>),
    Nobody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Query,
    SoftReset,
    SendData { node: u16, waited: bool },
    NoMoreInformation { node: u16 },
    AddNode,
    RemoveNode,
}

struct Job {
    message: HostMessage,
    kind: JobKind,
    wants_callback: bool,
    reply: ReplyTo,
}

type Waiting = (Vec<u8>, oneshot::Sender<Result<TransmitReport>>);

struct Driver {
    config: DriverConfig,
    machine: CommandMachine,
    queue: VecDeque<Job>,
    in_flight: Option<Job>,
    next_callback_id: u8,
    wakeup: WakeUpQueues<Waiting>,
    /// The node an inclusion found, with its information, until "done".
    joining: Option<(u16, Vec<u8>)>,
    /// The node an exclusion found, until "done".
    leaving: Option<u16>,
    /// Sleeping nodes kept awake after their wake-up (an interview, a secure exchange): no
    /// Wake Up No More Information until they are released.
    held: HashMap<u16, usize>,
    /// Who waits for a sleeping node's next wake-up.
    wake_waiters: HashMap<u16, Vec<oneshot::Sender<()>>>,
    /// Nodes the security layer holds grants for.
    secure: SecureNodes,
    /// Secure nodes whose No More Information the security layer was asked for
    /// ([`RawEvent::SleepDue`]) and has not handed back encapsulated yet.
    sleep_due: HashSet<u16>,
    soft_reset_at: Option<Instant>,
    generation: u64,
    state: watch::Sender<LinkState>,
    started: broadcast::Sender<()>,
    events: mpsc::Sender<RawEvent>,
}

/// Runs until every [`super::ZwaveStick`] handle is dropped.
pub(crate) async fn run(parts: TaskParts) {
    let TaskParts {
        port_config,
        mut port,
        config,
        mut requests,
        state,
        started,
        events,
        secure,
    } = parts;
    let mut backoff = config.reopen_backoff.clone();
    let mut driver = Driver {
        config,
        machine: CommandMachine::new(),
        queue: VecDeque::new(),
        in_flight: None,
        next_callback_id: 1,
        wakeup: WakeUpQueues::new(),
        joining: None,
        leaving: None,
        held: HashMap::new(),
        wake_waiters: HashMap::new(),
        secure,
        sleep_due: HashSet::new(),
        soft_reset_at: None,
        generation: 1,
        state,
        started,
        events,
    };
    loop {
        if let Ended::Closed = driver.drive(&mut port, &mut requests).await {
            return;
        }
        tracing::warn!(path = %port_config.path.display(), "Z-Wave stick lost");
        driver.on_lost();
        drop(port);
        let reopen = port::reopen(&port_config, &mut backoff, None);
        tokio::pin!(reopen);
        port = loop {
            tokio::select! {
                p = &mut reopen => match p {
                    Some(p) => break p,
                    None => return, // only with a give-up limit, which is not set
                },
                r = requests.recv() => match r {
                    Some(r) => driver.on_request_while_lost(r),
                    None => return,
                },
            }
        };
        driver.generation += 1;
        driver.state.send_replace(LinkState::Connected {
            generation: driver.generation,
        });
    }
}

fn finish(to: ReplyTo, result: Result<Reply>) {
    match to {
        ReplyTo::Api(tx) => {
            let _ = tx.send(result);
        }
        ReplyTo::Queued(tx) => {
            let _ = tx.send(result.and_then(|r| match r {
                Reply::Transmitted(report) => Ok(report),
                _ => Err(Error::UnexpectedResponse("SendData")),
            }));
        }
        ReplyTo::Nobody => {
            if let Err(e) = result {
                tracing::warn!("internal Z-Wave command failed: {e}");
            }
        }
    }
}

fn error_from(command: &'static str, failure: Failure) -> Error {
    match failure {
        Failure::AckTimeout => Error::Timeout {
            command,
            waiting_for: Awaited::Ack,
        },
        Failure::ResponseTimeout => Error::Timeout {
            command,
            waiting_for: Awaited::Response,
        },
        Failure::CallbackTimeout => Error::Timeout {
            command,
            waiting_for: Awaited::Callback,
        },
        Failure::Nak => Error::Refused {
            command,
            by: Refusal::Nak,
        },
        Failure::Can => Error::Refused {
            command,
            by: Refusal::Can,
        },
        Failure::ResponseRejected(_) => Error::NotAccepted { command },
        Failure::StickRestarted => Error::StickRestarted(command),
    }
}

fn transmit_outcome(node: u16, waited: bool, callback: &SendDataCallback) -> Result<Reply> {
    match callback.status {
        TransmitStatus::Ok => Ok(Reply::Transmitted(TransmitReport {
            node,
            transmit_time: callback
                .transmit_ticks()
                .map(|t| Duration::from_millis(10 * u64::from(t))),
            waited_for_wake_up: waited,
        })),
        TransmitStatus::NoAck => Err(Error::NoAck { node }),
        other => Err(Error::TransmitFailed {
            node,
            status: match other {
                TransmitStatus::Fail => TransmitFailure::Fail,
                TransmitStatus::NotIdle => TransmitFailure::NotIdle,
                TransmitStatus::NoRoute => TransmitFailure::NoRoute,
                other => TransmitFailure::Other(other.to_byte()),
            },
        }),
    }
}

fn send_data_message(node: u16, payload: Vec<u8>) -> Result<HostMessage> {
    let node_id = u8::try_from(node)
        .ok()
        .filter(|n| (1..=MAX_NODE_ID).contains(&u16::from(*n)))
        .ok_or(Error::InvalidNode(node))?;
    Ok(HostMessage::SendData(SendDataRequest {
        node_id,
        data: payload,
        transmit_options: TransmitOptions::DEFAULT,
        callback_id: 0,
    }))
}

fn no_more_information(node: u16) -> Result<HostMessage> {
    send_data_message(node, vec![WAKE_UP_CC, WAKE_UP_NO_MORE_INFORMATION])
}

fn add_node_message(start: bool) -> HostMessage {
    HostMessage::AddNode(AddNodeRequest {
        mode: if start {
            AddNodeMode::Any
        } else {
            AddNodeMode::Stop
        },
        flags: if start {
            InclusionFlags::HIGH_POWER | InclusionFlags::NETWORK_WIDE
        } else {
            InclusionFlags::empty()
        },
        callback_id: 0,
    })
}

fn remove_node_message(start: bool) -> HostMessage {
    HostMessage::RemoveNode(RemoveNodeRequest {
        mode: if start {
            RemoveNodeMode::Any
        } else {
            RemoveNodeMode::Stop
        },
        flags: if start {
            InclusionFlags::HIGH_POWER | InclusionFlags::NETWORK_WIDE
        } else {
            InclusionFlags::empty()
        },
        callback_id: 0,
    })
}

fn set_callback_id(message: &mut HostMessage, id: u8) {
    match message {
        HostMessage::SendData(r) => r.callback_id = id,
        HostMessage::AddNode(r) => r.callback_id = id,
        HostMessage::RemoveNode(r) => r.callback_id = id,
        _ => {}
    }
}

impl Driver {
    fn emit(&self, event: RadioEvent) {
        self.emit_raw(RawEvent::Radio(event));
    }

    fn emit_raw(&self, event: RawEvent) {
        if let Err(e) = self.events.try_send(event) {
            tracing::warn!("Z-Wave event dropped (receiver full or gone): {e}");
        }
    }

    fn callback_id(&mut self) -> u8 {
        let id = self.next_callback_id;
        // 1..=255: 0 means "no callback".
        self.next_callback_id = self.next_callback_id.checked_add(1).unwrap_or(1);
        id
    }

    fn on_lost(&mut self) {
        if let Some(job) = self.in_flight.take() {
            finish(job.reply, Err(Error::StickLost));
        }
        for job in self.queue.drain(..) {
            finish(job.reply, Err(Error::StickLost));
        }
        self.machine = CommandMachine::new();
        self.joining = None;
        self.leaving = None;
        self.soft_reset_at = None;
        self.sleep_due.clear();
        self.state.send_replace(LinkState::Lost);
        self.emit(RadioEvent::StickLost);
    }

    fn on_request_while_lost(&mut self, request: Request) {
        match request.op {
            Op::SetSleeping { node, sleeping } => {
                self.set_sleeping(node, sleeping);
                let _ = request.reply.send(Ok(Reply::Done));
            }
            Op::Hold { node, hold: false } => {
                self.release(node);
                let _ = request.reply.send(Ok(Reply::Done));
            }
            _ => {
                let _ = request.reply.send(Err(Error::StickLost));
            }
        }
    }

    async fn drive(
        &mut self,
        port: &mut SerialStream,
        requests: &mut mpsc::Receiver<Request>,
    ) -> Ended {
        let mut buf = [0u8; 256];
        // A NAK first, as zwave-js does: a stick half-way through a frame from before starts
        // over.
        let mut writes = vec![frame::NAK];
        loop {
            writes.extend(self.pump());
            if !writes.is_empty() {
                if let Err(e) = port.write_all(&writes).await {
                    if port::is_disconnect(&e) {
                        return Ended::Disconnected;
                    }
                    tracing::warn!("write to the Z-Wave stick failed: {e}");
                }
                writes.clear();
            }
            let deadline = self.machine.next_deadline();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = port.read(&mut buf) => match r {
                    Ok(0) => return Ended::Disconnected,
                    Ok(n) => self.machine.receive(Instant::now(), buf.get(..n).unwrap_or_default()),
                    Err(e) if port::is_disconnect(&e) => return Ended::Disconnected,
                    Err(e) => tracing::warn!("read from the Z-Wave stick failed: {e}"),
                },
                () = sleep => self.machine.tick(Instant::now()),
                r = requests.recv() => match r {
                    None => return Ended::Closed,
                    Some(request) => self.on_request(request),
                },
            }
        }
    }

    /// Handles the machine's outputs and starts the next job when it is idle; returns the bytes
    /// to write.
    fn pump(&mut self) -> Vec<u8> {
        let mut writes = Vec::new();
        loop {
            while let Some(out) = self.machine.poll_output() {
                match out {
                    Output::Write(bytes) => writes.extend(bytes),
                    Output::Completed(result) => self.on_completed(result),
                    Output::Event(event) => self.on_event(event),
                }
            }
            if !self.machine.is_idle() || self.in_flight.is_some() {
                break;
            }
            let Some(mut job) = self.queue.pop_front() else {
                break;
            };
            if job.wants_callback {
                let id = self.callback_id();
                set_callback_id(&mut job.message, id);
            }
            let mut command = match Command::from_message(&job.message) {
                Ok(c) => c,
                Err(e) => {
                    let error = match e {
                        crate::zwave::serial::machine::Error::Message(m) => Error::Message(m),
                        _ => Error::UnexpectedResponse(command_name(job.message.function())),
                    };
                    finish(job.reply, Err(error));
                    continue;
                }
            };
            command.response_timeout = self.config.response_timeout;
            command.callback_timeout = match job.kind {
                JobKind::SendData { .. } | JobKind::NoMoreInformation { .. } => {
                    self.config.send_data_timeout
                }
                _ => self.config.inclusion_timeout,
            };
            match job.kind {
                JobKind::SoftReset => self.soft_reset_at = Some(Instant::now()),
                // From here on the node may be asleep: later commands wait for its next
                // wake-up, whatever becomes of this one.
                JobKind::NoMoreInformation { node } => self.wakeup.on_asleep(node),
                _ => {}
            }
            match self.machine.submit(Instant::now(), command) {
                Ok(()) => self.in_flight = Some(job),
                Err(e) => {
                    tracing::error!("Serial API machine refused a job while idle: {e}");
                    finish(
                        job.reply,
                        Err(Error::NotAccepted {
                            command: command_name(job.message.function()),
                        }),
                    );
                }
            }
        }
        writes
    }

    fn push(&mut self, message: HostMessage, kind: JobKind, wants_callback: bool, reply: ReplyTo) {
        self.queue.push_back(Job {
            message,
            kind,
            wants_callback,
            reply,
        });
    }

    fn push_front(&mut self, message: HostMessage, kind: JobKind, wants_callback: bool) {
        self.queue.push_front(Job {
            message,
            kind,
            wants_callback,
            reply: ReplyTo::Nobody,
        });
    }

    fn set_sleeping(&mut self, node: u16, sleeping: bool) {
        for (payload, reply) in self.wakeup.set_sleeping(node, sleeping) {
            // No longer sleeping: what waited goes now.
            match send_data_message(node, payload) {
                Ok(message) => self.push(
                    message,
                    JobKind::SendData { node, waited: true },
                    true,
                    ReplyTo::Queued(reply),
                ),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
        }
    }

    fn on_request(&mut self, request: Request) {
        let Request { op, reply } = request;
        match op {
            Op::Query(message) => self.push(message, JobKind::Query, false, ReplyTo::Api(reply)),
            Op::SoftReset => self.push(
                HostMessage::SoftReset,
                JobKind::SoftReset,
                false,
                ReplyTo::Api(reply),
            ),
            Op::SendData {
                node,
                payload,
                now: _,
                sleep: true,
            } => {
                // A secure No More Information, encapsulated: sent unless the node was held
                // (or went) meanwhile.
                let due = self.sleep_due.remove(&node);
                let message = match send_data_message(node, payload) {
                    Ok(m)
                        if due && !self.held.contains_key(&node) && self.wakeup.is_awake(node) =>
                    {
                        m
                    }
                    Ok(_) => {
                        let _ = reply.send(Err(Error::NotAccepted {
                            command: "SendData",
                        }));
                        return;
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                        return;
                    }
                };
                self.push(
                    message,
                    JobKind::NoMoreInformation { node },
                    true,
                    ReplyTo::Api(reply),
                );
            }
            Op::SendData {
                node,
                payload,
                now,
                sleep: false,
            } => {
                let message = match send_data_message(node, payload.clone()) {
                    Ok(m) => m,
                    Err(e) => {
                        let _ = reply.send(Err(e));
                        return;
                    }
                };
                if !now && self.wakeup.is_asleep(node) {
                    let (tx, rx) = oneshot::channel();
                    if self.wakeup.enqueue(node, (payload, tx)).is_none() {
                        tracing::debug!(node, "SendData queued until wake-up");
                        let _ = reply.send(Ok(Reply::Queued(rx)));
                        return;
                    }
                }
                let job = Job {
                    message,
                    kind: JobKind::SendData {
                        node,
                        waited: false,
                    },
                    wants_callback: true,
                    reply: ReplyTo::Api(reply),
                };
                // To a sleeping node that is awake: before it is sent back to sleep.
                let before_sleep = self
                    .queue
                    .iter()
                    .position(|j| j.kind == JobKind::NoMoreInformation { node });
                match before_sleep {
                    Some(at) => self.queue.insert(at, job),
                    None => self.queue.push_back(job),
                }
            }
            Op::AddNode { start } => self.push(
                add_node_message(start),
                JobKind::AddNode,
                true,
                ReplyTo::Api(reply),
            ),
            Op::RemoveNode { start } => self.push(
                remove_node_message(start),
                JobKind::RemoveNode,
                true,
                ReplyTo::Api(reply),
            ),
            Op::SetSleeping { node, sleeping } => {
                self.set_sleeping(node, sleeping);
                let _ = reply.send(Ok(Reply::Done));
            }
            Op::Hold { node, hold: true } => {
                let _ = reply.send(Ok(Reply::Held(self.hold(node))));
            }
            Op::Hold { node, hold: false } => {
                self.release(node);
                let _ = reply.send(Ok(Reply::Done));
            }
            Op::WokeUp { node } => {
                self.on_woke(node);
                let _ = reply.send(Ok(Reply::Done));
            }
            Op::Joining { node } => {
                drop(self.hold(node));
                self.release_queue(node);
                let _ = reply.send(Ok(Reply::Done));
            }
        }
    }

    /// Keeps `node` awake once it wakes (or now, if it is awake): its Wake Up No More
    /// Information waits for [`Self::release`]. Returns where its next wake-up is announced
    /// when it is asleep now; `None` when it listens (awake, or not a sleeping node).
    fn hold(&mut self, node: u16) -> Option<oneshot::Receiver<()>> {
        *self.held.entry(node).or_default() += 1;
        // Awake with its No More Information queued: keep it listening.
        self.queue
            .retain(|j| j.kind != JobKind::NoMoreInformation { node });
        self.sleep_due.remove(&node);
        if !self.wakeup.is_asleep(node) {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        self.wake_waiters.entry(node).or_default().push(tx);
        Some(rx)
    }

    /// Ends one [`Self::hold`] (holds nest): once none is left, an awake sleeping node is sent
    /// back to sleep after what is queued for it.
    fn release(&mut self, node: u16) {
        match self.held.get_mut(&node) {
            Some(n) if *n > 1 => {
                *n -= 1;
                return;
            }
            _ => {
                self.held.remove(&node);
            }
        }
        if let Some(waiters) = self.wake_waiters.get_mut(&node) {
            waiters.retain(|w| !w.is_closed());
        }
        if self.wakeup.is_awake(node)
            && !self.sleep_pending(node)
            && let Some(job) = self.sleep_job(node)
        {
            self.queue.push_back(job);
        }
    }

    /// Whether `node` is already on its way back to sleep (its No More Information queued
    /// here, or asked of the security layer).
    fn sleep_pending(&self, node: u16) -> bool {
        self.sleep_due.contains(&node)
            || self
                .queue
                .iter()
                .any(|j| j.kind == JobKind::NoMoreInformation { node })
    }

    /// The job that sends `node` back to sleep: in the clear for a node without security;
    /// for a secure node the security layer is asked to send it under the node's highest
    /// class (it comes back as [`Op::SendData`] with `sleep`), and `None` is returned.
    fn sleep_job(&mut self, node: u16) -> Option<Job> {
        if self.secure.contains(node) {
            if self.sleep_due.insert(node) {
                self.emit_raw(RawEvent::SleepDue { node });
            }
            return None;
        }
        let message = no_more_information(node).ok()?;
        Some(Job {
            message,
            kind: JobKind::NoMoreInformation { node },
            wants_callback: true,
            reply: ReplyTo::Nobody,
        })
    }

    fn on_completed(&mut self, result: core::result::Result<Completion, Failure>) {
        let Some(job) = self.in_flight.take() else {
            tracing::warn!("a Serial API transaction completed with no job in flight");
            return;
        };
        let command = command_name(job.message.function());
        let completion = match result {
            Ok(c) => c,
            Err(failure) => {
                if job.kind == JobKind::SoftReset {
                    self.soft_reset_at = None;
                }
                finish(job.reply, Err(error_from(command, failure)));
                return;
            }
        };
        let response = completion.response.as_ref().map(StickMessage::decode);
        let callback = completion.callback.as_ref().map(StickMessage::decode);
        let outcome = match job.kind {
            JobKind::Query => match response {
                Some(Ok(message)) => Ok(Reply::Response(message)),
                Some(Err(e)) => Err(Error::Message(e)),
                None => Err(Error::UnexpectedResponse(command)),
            },
            JobKind::SoftReset => Ok(Reply::Done),
            JobKind::SendData { node, .. } | JobKind::NoMoreInformation { node } => {
                let waited = matches!(job.kind, JobKind::SendData { waited: true, .. });
                match callback {
                    Some(Ok(StickMessage::SendDataCallback(cb))) => {
                        transmit_outcome(node, waited, &cb)
                    }
                    Some(Err(e)) => Err(Error::Message(e)),
                    _ => Err(Error::UnexpectedResponse(command)),
                }
            }
            JobKind::AddNode | JobKind::RemoveNode => match callback {
                Some(Ok(StickMessage::AddNodeStatus(cb))) => {
                    let failed = cb.status == InclusionStatus::Failed;
                    self.on_add_status(cb);
                    if failed {
                        Err(Error::InclusionFailed("inclusion"))
                    } else {
                        Ok(Reply::Done)
                    }
                }
                Some(Ok(StickMessage::RemoveNodeStatus(cb))) => {
                    let failed = cb.status == InclusionStatus::Failed;
                    self.on_remove_status(cb);
                    if failed {
                        Err(Error::InclusionFailed("exclusion"))
                    } else {
                        Ok(Reply::Done)
                    }
                }
                Some(Err(e)) => Err(Error::Message(e)),
                // Stop without a callback: done once ACKed.
                None if !job.wants_callback => Ok(Reply::Done),
                _ => Err(Error::UnexpectedResponse(command)),
            },
        };
        finish(job.reply, outcome);
    }

    fn on_event(&mut self, event: Event) {
        let frame = match event {
            Event::Request(frame) => frame,
            Event::Corrupt(e) => {
                tracing::debug!("corrupt frame from the Z-Wave stick (NAKed): {e}");
                return;
            }
            other => {
                tracing::debug!(?other, "Z-Wave serial event");
                return;
            }
        };
        match StickMessage::decode(&frame) {
            Ok(StickMessage::ApplicationCommand(a)) => {
                self.on_application_command(u16::from(a.source_node), a.command);
            }
            Ok(StickMessage::BridgeApplicationCommand(b)) => {
                self.on_application_command(u16::from(b.source_node), b.command);
            }
            Ok(StickMessage::ApplicationUpdate(ApplicationUpdate::NodeInfoReceived(info))) => {
                self.emit(RadioEvent::NodeInfo {
                    node: u16::from(info.node_id),
                    info: NodeInfo::from_frame(&info.data),
                });
            }
            Ok(StickMessage::ApplicationUpdate(ApplicationUpdate::Other {
                update_type: UPDATE_NODE_INFO_REQUEST_FAILED,
                ..
            })) => self.emit_raw(RawEvent::NodeInfoFailed),
            Ok(StickMessage::SerialApiStarted(started)) => {
                let prompted = self.soft_reset_at.take().is_some_and(|at| {
                    at.elapsed() < self.config.started_timeout + Duration::from_secs(1)
                });
                let _ = self.started.send(());
                if !prompted {
                    tracing::warn!(reason = started.wake_up_reason, "Z-Wave stick restarted");
                    self.joining = None;
                    self.leaving = None;
                    self.emit(RadioEvent::StickRestarted);
                }
            }
            Ok(StickMessage::AddNodeStatus(cb)) => self.on_add_status(cb),
            Ok(StickMessage::RemoveNodeStatus(cb)) => self.on_remove_status(cb),
            Ok(other) => tracing::debug!(?other, "unsolicited message from the Z-Wave stick"),
            Err(e) => tracing::warn!("undecodable message from the Z-Wave stick: {e}"),
        }
    }

    fn on_application_command(&mut self, node: u16, payload: Vec<u8>) {
        // A secure node's wake-up is the security layer's to judge (it sends Op::WokeUp): a
        // Wake Up Notification in the clear under a secure node's id may be forged, and would
        // release what waits for the node while it sleeps.
        let woke =
            payload.as_slice() == [WAKE_UP_CC, WAKE_UP_NOTIFICATION] && !self.secure.contains(node);
        self.emit_raw(RawEvent::Command { node, payload });
        if woke {
            self.on_woke(node);
        }
    }

    /// A node's Wake Up Notification (in the clear here from a node without security, or from
    /// a secure node through the security layer, which sends [`Op::WokeUp`] for one that
    /// decrypted or that the node may send in the clear): what waited for it goes first, in
    /// order, then the node is sent back to sleep unless it is held awake.
    fn on_woke(&mut self, node: u16) {
        if let Some(released) = self.release_queue(node) {
            tracing::debug!(node, released, "node woke up");
            self.emit(RadioEvent::WokeUp { node, released });
        }
    }

    /// `node` listens now: what waited for it goes first, then (unless held) No More
    /// Information; returns how many commands were released (`None`: not a sleeping node).
    fn release_queue(&mut self, node: u16) -> Option<usize> {
        let waiting = self.wakeup.on_wake_up(node)?;
        // A fresh wake-up: an earlier secure No More Information that never came back (no
        // nonce, the stick lost) is not waited for.
        self.sleep_due.remove(&node);
        for waiter in self.wake_waiters.remove(&node).unwrap_or_default() {
            let _ = waiter.send(());
        }
        let released = waiting.len();
        let mut jobs = Vec::with_capacity(released + 1);
        for (payload, reply) in waiting {
            match send_data_message(node, payload) {
                Ok(message) => jobs.push(Job {
                    message,
                    kind: JobKind::SendData { node, waited: true },
                    wants_callback: true,
                    reply: ReplyTo::Queued(reply),
                }),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
        }
        if !self.held.contains_key(&node)
            && !self.sleep_pending(node)
            && let Some(job) = self.sleep_job(node)
        {
            jobs.push(job);
        }
        for job in jobs.into_iter().rev() {
            self.queue.push_front(job);
        }
        Some(released)
    }

    fn on_add_status(&mut self, cb: InclusionCallback) {
        let node_id = u16::from(cb.node_id);
        match cb.status {
            InclusionStatus::EndNode | InclusionStatus::Controller => {
                self.joining = Some((node_id, cb.node_info));
            }
            InclusionStatus::ProtocolDone => {
                // Leave add mode; the "done" callback of this stop names the node.
                self.push_front(add_node_message(false), JobKind::AddNode, true);
            }
            InclusionStatus::Done => {
                let found = self.joining.take();
                let node = match (node_id, &found) {
                    (0, Some((id, _))) => *id,
                    (id, _) => id,
                };
                if node == 0 {
                    return;
                }
                let info = found
                    .filter(|(id, _)| *id == node)
                    .map(|(_, info)| NodeInfo::from_frame(&info))
                    .unwrap_or_default();
                if info.sleeps() {
                    self.wakeup.set_sleeping(node, true);
                }
                self.emit(RadioEvent::NodeAdded {
                    node,
                    info,
                    security: None,
                });
                // zwave-js ends with a stop without callback, so the stick is idle for sure.
                self.push_front(add_node_message(false), JobKind::AddNode, false);
            }
            InclusionStatus::Failed => {
                self.joining = None;
                self.emit(RadioEvent::InclusionFailed {
                    node: None,
                    reason: InclusionFailure::Stick,
                });
                self.push_front(add_node_message(false), JobKind::AddNode, false);
            }
            other => tracing::debug!(?other, node_id, "inclusion status"),
        }
    }

    fn on_remove_status(&mut self, cb: InclusionCallback) {
        let node_id = u16::from(cb.node_id);
        match cb.status {
            InclusionStatus::EndNode | InclusionStatus::Controller => {
                self.leaving = Some(node_id);
            }
            InclusionStatus::Done => {
                let found = self.leaving.take();
                let node = if node_id != 0 {
                    node_id
                } else {
                    found.unwrap_or(0)
                };
                if node == 0 {
                    return;
                }
                for (_, reply) in self.wakeup.remove(node) {
                    let _ = reply.send(Err(Error::NodeRemoved(node)));
                }
                // Whoever waited for its wake-up learns it is gone (the sender is dropped).
                self.wake_waiters.remove(&node);
                self.held.remove(&node);
                self.sleep_due.remove(&node);
                self.emit(RadioEvent::NodeRemoved { node });
                self.push_front(remove_node_message(false), JobKind::RemoveNode, false);
            }
            InclusionStatus::Failed => {
                self.leaving = None;
                self.emit(RadioEvent::InclusionFailed {
                    node: None,
                    reason: InclusionFailure::Stick,
                });
                self.push_front(remove_node_message(false), JobKind::RemoveNode, false);
            }
            other => tracing::debug!(?other, node_id, "exclusion status"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_outside_1_to_232_are_refused() {
        assert!(send_data_message(0, vec![0x20, 0x02]).is_err());
        assert!(send_data_message(233, vec![0x20, 0x02]).is_err());
        assert!(send_data_message(232, vec![0x20, 0x02]).is_ok());
    }
}
