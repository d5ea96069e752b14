//! The host's side of the Serial API command cycle as a pure state machine, after zwave-js's
//! `SerialAPICommandMachine`: no port, no clock, no sleeps.
//!
//! Inputs: [`CommandMachine::submit`] a [`Command`], [`CommandMachine::receive`] bytes from the
//! port, and [`CommandMachine::tick`] when the clock passes [`CommandMachine::next_deadline`].
//! Outputs come from [`CommandMachine::poll_output`]: bytes to write, the completed transaction
//! (or its typed [`Failure`]) and [`Event`]s for everything else the stick sent.
//!
//! The cycle: write the frame, wait for ACK (1600 ms); on NAK, CAN or no ACK try again, up to
//! three attempts, waiting 100 ms + 1000 ms × (attempts so far − 1) between them (zwave-js's
//! `computeRetryDelay`); then wait for the response (per command, 10 s by default) and, if the
//! command carries a callback id, for the request with that function id whose first payload byte
//! is that id. One transaction at a time. Every intact data frame from the stick is ACKed, a
//! corrupt one NAKed, and a frame whose bytes stop arriving 1500 ms after its SOF is dropped.
//! A response that arrives while the host still waits for the ACK is not taken as an implicit
//! ACK (it surfaces as [`Event::UnexpectedResponse`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::frame::{self, DataFrame, Frame, FrameDecoder, FrameType, Received};
use super::messages::{self, HostMessage, function};

/// How long the stick has to ACK a frame.
pub const ACK_TIMEOUT: Duration = Duration::from_millis(1600);
/// How long a data frame may take to arrive once its SOF has.
pub const FRAME_TIMEOUT: Duration = Duration::from_millis(1500);
/// Default wait for a response.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default wait for a callback (zwave-js's SendData callback timeout).
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(65);
/// Attempts to get a frame ACKed before giving up.
pub const MAX_ATTEMPTS: u8 = 3;

/// The back-off before attempt `failed + 1`, after `failed` attempts failed.
pub fn retry_delay(failed: u8) -> Duration {
    Duration::from_millis(100 + 1000 * u64::from(failed.saturating_sub(1)))
}

/// Misuse of the machine (not a failure of the stick).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A transaction is already in flight; the driver queues the next one.
    #[error("a transaction is already in flight")]
    Busy,
    /// The message could not be encoded.
    #[error(transparent)]
    Message(#[from] messages::Error),
}

/// Result of this layer.
pub type Result<T> = core::result::Result<T, Error>;

/// Why a transaction failed, so the driver can decide whether to retry at its level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// No ACK within [`ACK_TIMEOUT`] on the last attempt.
    #[error("no ACK from the stick")]
    AckTimeout,
    /// The last attempt was NAKed (the stick saw a bad checksum).
    #[error("the stick answered NAK")]
    Nak,
    /// The last attempt was CANed (it collided with a frame from the stick).
    #[error("the stick answered CAN")]
    Can,
    /// ACKed, but no response in time.
    #[error("no response from the stick")]
    ResponseTimeout,
    /// The response says the stick refused the command (e.g. SendData not accepted); no
    /// callback will follow.
    #[error("the stick refused the command")]
    ResponseRejected(DataFrame),
    /// Response received, but no callback with the command's id in time.
    #[error("no callback from the stick")]
    CallbackTimeout,
    /// The stick announced a restart (SerialApiStarted) mid-transaction.
    #[error("the stick restarted")]
    StickRestarted,
}

/// A frame to send and what to wait for afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The request frame.
    pub frame: DataFrame,
    /// Whether a response frame with the same function id follows the ACK.
    pub expects_response: bool,
    /// The callback id to match, if a callback follows.
    pub callback_id: Option<u8>,
    /// Wait for the response.
    pub response_timeout: Duration,
    /// Wait for the callback, counted from the response (or the ACK if there is none).
    pub callback_timeout: Duration,
    /// Whether the response means "accepted" (default: always); if not, the transaction fails
    /// with [`Failure::ResponseRejected`] instead of waiting for a callback.
    pub response_check: ResponseCheck,
}

/// How to tell an "accepted" response from a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseCheck {
    /// Any response means the command was accepted.
    Always,
    /// The first payload byte is non-zero (SendData and most callback-bearing commands).
    FirstByteNonZero,
}

impl ResponseCheck {
    /// Whether `response` means "accepted".
    pub fn accepts(self, response: &DataFrame) -> bool {
        match self {
            Self::Always => true,
            Self::FirstByteNonZero => response.payload().first().is_some_and(|b| *b != 0),
        }
    }
}

impl Command {
    /// A command with the default timeouts.
    pub fn new(frame: DataFrame, expects_response: bool, callback_id: Option<u8>) -> Self {
        Command {
            frame,
            expects_response,
            callback_id,
            response_timeout: RESPONSE_TIMEOUT,
            callback_timeout: CALLBACK_TIMEOUT,
            response_check: ResponseCheck::Always,
        }
    }

    /// The command for a typed message: response and callback expectations from the message,
    /// SendData's response checked for "accepted".
    pub fn from_message(message: &HostMessage) -> Result<Self> {
        let mut command = Command::new(
            message.encode()?,
            message.expects_response(),
            message.callback_id(),
        );
        if message.function() == function::SEND_DATA {
            command.response_check = ResponseCheck::FirstByteNonZero;
        }
        Ok(command)
    }
}

/// What a finished transaction brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The response, if one was expected.
    pub response: Option<DataFrame>,
    /// The callback, if one was expected.
    pub callback: Option<DataFrame>,
}

/// Something the stick did outside the transaction in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An unsolicited request (command from a node, update, later inclusion callbacks, …);
    /// already ACKed.
    Request(DataFrame),
    /// A response nobody was waiting for; ACKed and otherwise ignored.
    UnexpectedResponse(DataFrame),
    /// A corrupt data frame; NAKed.
    Corrupt(frame::Error),
    /// Bytes outside any frame, skipped.
    Garbage(usize),
    /// A frame whose bytes stopped arriving; this many bytes dropped.
    FrameTimedOut(usize),
    /// An ACK, NAK or CAN while no frame of ours awaited one.
    StrayControl(Frame),
}

/// Something for the driver to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes to write to the port, in order.
    Write(Vec<u8>),
    /// The transaction in flight finished.
    Completed(core::result::Result<Completion, Failure>),
    /// See [`Event`].
    Event(Event),
}

#[derive(Debug, Clone)]
enum State {
    Idle,
    AwaitingAck {
        command: Command,
        attempt: u8,
        deadline: Instant,
    },
    RetryPause {
        command: Command,
        next_attempt: u8,
        until: Instant,
    },
    AwaitingResponse {
        command: Command,
        deadline: Instant,
    },
    AwaitingCallback {
        command: Command,
        response: Option<DataFrame>,
        deadline: Instant,
    },
}

/// The host side of the Serial API: see the module docs.
#[derive(Debug)]
pub struct CommandMachine {
    state: State,
    decoder: FrameDecoder,
    frame_started: Option<Instant>,
    outputs: VecDeque<Output>,
}

impl Default for CommandMachine {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandMachine {
    /// An idle machine with an empty receive buffer.
    pub fn new() -> Self {
        CommandMachine {
            state: State::Idle,
            decoder: FrameDecoder::new(),
            frame_started: None,
            outputs: VecDeque::new(),
        }
    }

    /// True when no transaction is in flight, so [`CommandMachine::submit`] will accept one.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Starts a transaction: queues the frame for writing and waits for its ACK.
    pub fn submit(&mut self, now: Instant, command: Command) -> Result<()> {
        if !self.is_idle() {
            return Err(Error::Busy);
        }
        self.send_attempt(now, command, 1);
        Ok(())
    }

    /// The next thing for the driver to do, oldest first.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`CommandMachine::tick`] must be called next, if anything is pending.
    pub fn next_deadline(&self) -> Option<Instant> {
        let state = match &self.state {
            State::Idle => None,
            State::AwaitingAck { deadline, .. }
            | State::AwaitingResponse { deadline, .. }
            | State::AwaitingCallback { deadline, .. } => Some(*deadline),
            State::RetryPause { until, .. } => Some(*until),
        };
        let frame = self
            .frame_started
            .filter(|_| self.decoder.in_frame())
            .map(|at| at + FRAME_TIMEOUT);
        match (state, frame) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Handles bytes read from the port at `now`.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        // Every byte of this chunk arrived at `now`, so a SOF anywhere in it starts the frame
        // timer now.
        let before = self.decoder.frames_started();
        let received = self.decoder.push(bytes);
        if self.decoder.frames_started() != before {
            self.frame_started = Some(now);
        }
        for item in received {
            self.handle(now, item);
        }
    }

    /// Advances time: fires every deadline at or before `now`.
    pub fn tick(&mut self, now: Instant) {
        if self.decoder.in_frame() {
            if let Some(started) = self.frame_started {
                if now >= started + FRAME_TIMEOUT {
                    let dropped = self.decoder.abandon();
                    self.frame_started = None;
                    self.event(Event::FrameTimedOut(dropped));
                }
            }
        }
        let state = std::mem::replace(&mut self.state, State::Idle);
        self.state = match state {
            State::AwaitingAck {
                command,
                attempt,
                deadline,
            } if now >= deadline => {
                self.attempt_failed(now, command, attempt, Failure::AckTimeout);
                return;
            }
            State::RetryPause {
                command,
                next_attempt,
                until,
            } if now >= until => {
                self.send_attempt(now, command, next_attempt);
                return;
            }
            State::AwaitingResponse { deadline, .. } if now >= deadline => {
                self.complete(Err(Failure::ResponseTimeout));
                State::Idle
            }
            State::AwaitingCallback { deadline, .. } if now >= deadline => {
                self.complete(Err(Failure::CallbackTimeout));
                State::Idle
            }
            other => other,
        };
    }

    fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    fn complete(&mut self, result: core::result::Result<Completion, Failure>) {
        self.outputs.push_back(Output::Completed(result));
    }

    fn send_attempt(&mut self, now: Instant, command: Command, attempt: u8) {
        self.outputs
            .push_back(Output::Write(command.frame.encode()));
        self.state = State::AwaitingAck {
            command,
            attempt,
            deadline: now + ACK_TIMEOUT,
        };
    }

    fn attempt_failed(&mut self, now: Instant, command: Command, attempt: u8, why: Failure) {
        if attempt >= MAX_ATTEMPTS {
            self.state = State::Idle;
            self.complete(Err(why));
        } else {
            self.state = State::RetryPause {
                command,
                next_attempt: attempt + 1,
                until: now + retry_delay(attempt),
            };
        }
    }

    fn after_ack(&mut self, now: Instant, command: Command) {
        self.state = if command.expects_response {
            State::AwaitingResponse {
                deadline: now + command.response_timeout,
                command,
            }
        } else if command.callback_id.is_some() {
            State::AwaitingCallback {
                deadline: now + command.callback_timeout,
                command,
                response: None,
            }
        } else {
            self.complete(Ok(Completion {
                response: None,
                callback: None,
            }));
            State::Idle
        };
    }

    fn handle(&mut self, now: Instant, item: Received) {
        match item {
            Received::Garbage(n) => self.event(Event::Garbage(n)),
            Received::Corrupt(e) => {
                self.outputs.push_back(Output::Write(vec![frame::NAK]));
                self.event(Event::Corrupt(e));
            }
            Received::Frame(Frame::Data(data)) => {
                self.outputs.push_back(Output::Write(vec![frame::ACK]));
                self.handle_data(now, data);
            }
            Received::Frame(control) => self.handle_control(now, control),
        }
    }

    fn handle_control(&mut self, now: Instant, control: Frame) {
        let state = std::mem::replace(&mut self.state, State::Idle);
        match (state, &control) {
            (State::AwaitingAck { command, .. }, Frame::Ack) => self.after_ack(now, command),
            (
                State::AwaitingAck {
                    command, attempt, ..
                },
                Frame::Nak,
            ) => self.attempt_failed(now, command, attempt, Failure::Nak),
            (
                State::AwaitingAck {
                    command, attempt, ..
                },
                Frame::Can,
            ) => self.attempt_failed(now, command, attempt, Failure::Can),
            (other, _) => {
                self.state = other;
                self.event(Event::StrayControl(control));
            }
        }
    }

    fn handle_data(&mut self, now: Instant, data: DataFrame) {
        let state = std::mem::replace(&mut self.state, State::Idle);
        match state {
            State::AwaitingResponse { command, .. }
                if data.frame_type() == FrameType::Response
                    && data.function() == command.frame.function() =>
            {
                if !command.response_check.accepts(&data) {
                    self.complete(Err(Failure::ResponseRejected(data)));
                } else if command.callback_id.is_some() {
                    self.state = State::AwaitingCallback {
                        deadline: now + command.callback_timeout,
                        command,
                        response: Some(data),
                    };
                } else {
                    self.complete(Ok(Completion {
                        response: Some(data),
                        callback: None,
                    }));
                }
            }
            State::AwaitingCallback {
                command, response, ..
            } if data.frame_type() == FrameType::Request
                && data.function() == command.frame.function()
                && command.callback_id.is_some()
                && data.payload().first().copied() == command.callback_id =>
            {
                self.complete(Ok(Completion {
                    response,
                    callback: Some(data),
                }));
            }
            other => {
                let in_flight = !matches!(other, State::Idle);
                self.state = other;
                if data.frame_type() == FrameType::Request
                    && data.function() == function::SERIAL_API_STARTED
                    && in_flight
                {
                    self.state = State::Idle;
                    self.complete(Err(Failure::StickRestarted));
                }
                match data.frame_type() {
                    FrameType::Request => self.event(Event::Request(data)),
                    FrameType::Response => self.event(Event::UnexpectedResponse(data)),
                }
            }
        }
    }
}
