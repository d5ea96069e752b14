//! The ASH link state machine (UG101 §3–4), host side, as a pure struct.
//!
//! Inputs: [`Link::reset`], [`Link::on_bytes`] (or [`Link::on_frame`]), [`Link::send`] and
//! [`Link::tick`], each with the current time. Outputs: [`Link::take_output`] (bytes to write
//! to the port), [`Link::next_event`] (connection changes and delivered EZSP payloads) and
//! [`Link::next_deadline`] (when to call `tick` next). No sleeps, no port.
//!
//! What it does:
//! - **Reset handshake**: CANCEL + RST, wait up to `rstack_timeout` for RSTACK (version 2), retry
//!   `reset_attempts` times, then fail with [`Error::ResetTimeout`].
//! - **Numbering**: DATA frames carry frmNum (mod 8); every DATA, ACK and NAK carries ackNum, the
//!   next frame the sender expects. Acks are piggy-backed on outgoing DATA when there is one, and
//!   sent as an ACK frame otherwise, before `on_bytes` returns.
//! - **Window**: at most `tx_k` (1..=7, default 3 as in Silicon Labs' ash-host) DATA frames are
//!   unacknowledged at once; further payloads wait in a bounded queue.
//! - **Receiving**: the expected frame is delivered and acked; a retransmitted (reTx) frame that is
//!   not the expected one is a duplicate, re-acked and not delivered; a bad or out-of-sequence
//!   frame is answered with one NAK, after which the link is in the "reject" condition and stays
//!   silent until the expected frame arrives.
//! - **Retransmission**: on a NAK, or when the ACK timer expires, every unacknowledged frame is sent
//!   again with reTx set. Each retransmission round counts as a retry; after `max_retries`
//!   rounds without progress the link fails with [`Error::TooManyRetries`].
//! - **Adaptive ACK timer** (UG101 §3.2, as in ash-host): `t_rx_ack` starts at 1.6 s. When a frame
//!   that was sent only once is acknowledged after `t_measured`, then
//!   `t_rx_ack = 7/8 · t_rx_ack + 1/2 · t_measured` (which settles at about 4 × the round trip),
//!   clamped to 0.4 s ..= 3.2 s. On a timeout it doubles (clamped to 3.2 s). Retransmitted frames
//!   are never measured (Karn's rule), since their ack cannot be matched to one transmission.
//! - **Errors**: an ERROR frame from the NCP, or an unexpected RSTACK, takes the link down
//!   ([`Event::Error`], [`Event::Reset`]); pending frames are dropped and only [`Link::reset`]
//!   brings it back.
//!
//! The nRdy flag is decoded but not acted on: the hub always takes frames (its queue to EZSP is
//! unbounded in time, bounded by the EZSP layer's one-command-at-a-time use).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::decoder::Decoder;
use super::frame::{
    self, ASH_VERSION, CANCEL, Frame, FrameNum, MAX_DATA_LEN, MIN_DATA_LEN, ResetCode,
};
use super::{Error, Result};

/// Link parameters; [`Config::default`] gives the UG101 / ash-host values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Most DATA frames in flight without an ack (1..=7; values outside are clamped).
    pub tx_k: u8,
    /// Retransmission rounds without progress before the link gives up.
    pub max_retries: u8,
    /// Initial ACK timer.
    pub ack_timer_init: Duration,
    /// Lower bound of the adaptive ACK timer.
    pub ack_timer_min: Duration,
    /// Upper bound of the adaptive ACK timer.
    pub ack_timer_max: Duration,
    /// How long to wait for RSTACK after RST.
    pub rstack_timeout: Duration,
    /// How many RSTs to send before giving up.
    pub reset_attempts: u8,
    /// Payloads that may wait for a window slot; `send` refuses beyond.
    pub max_queued: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            tx_k: 3,
            max_retries: 4,
            ack_timer_init: Duration::from_millis(1600),
            ack_timer_min: Duration::from_millis(400),
            ack_timer_max: Duration::from_millis(3200),
            rstack_timeout: Duration::from_millis(3200),
            reset_attempts: 3,
            max_queued: 16,
        }
    }
}

/// What the link reports upwards, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// RSTACK received: the link is up, numbering restarted; the EZSP layer must now negotiate
    /// the protocol version.
    Connected {
        /// ASH version of the NCP.
        version: u8,
        /// Why the NCP reset.
        reset_code: ResetCode,
    },
    /// An EZSP frame from the NCP, in order, each exactly once.
    Received(Vec<u8>),
    /// The NCP reset without being asked (RSTACK while connected): the link is down, pending
    /// frames are lost; call [`Link::reset`].
    Reset {
        /// Why the NCP reset.
        code: ResetCode,
    },
    /// The link failed (ERROR frame, too many retries, no RSTACK): call [`Link::reset`].
    Error(Error),
    /// A frame from the NCP was refused (CRC, length, UART error); for logging. The link has
    /// already NAKed it when that was due.
    BadFrame(Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Never reset, or failed: only [`Link::reset`] does anything.
    Down,
    /// RST sent, waiting for RSTACK.
    Resetting { deadline: Instant, attempts: u8 },
    /// Handshake done: DATA flows.
    Connected,
}

#[derive(Debug, Clone)]
struct InFlight {
    frm_num: FrameNum,
    payload: Vec<u8>,
    sent_at: Instant,
    retransmitted: bool,
}

/// The host side of one ASH link.
#[derive(Debug, Clone)]
pub struct Link {
    config: Config,
    state: State,
    decoder: Decoder,
    /// frmNum of the next new DATA frame.
    tx_next: FrameNum,
    /// Oldest unacknowledged frmNum (the last valid ackNum received).
    ack_rx: FrameNum,
    /// frmNum expected next from the NCP: the ackNum this side sends.
    rx_next: FrameNum,
    in_flight: VecDeque<InFlight>,
    queued: VecDeque<Vec<u8>>,
    ack_owed: bool,
    rejecting: bool,
    t_rx_ack: Duration,
    ack_deadline: Option<Instant>,
    retries: u8,
    output: Vec<u8>,
    events: VecDeque<Event>,
}

impl Link {
    /// A link that is down until [`Link::reset`].
    pub fn new(mut config: Config) -> Self {
        config.tx_k = config.tx_k.clamp(1, 7);
        let t_rx_ack = config.ack_timer_init;
        Self {
            config,
            state: State::Down,
            decoder: Decoder::new(),
            tx_next: FrameNum::default(),
            ack_rx: FrameNum::default(),
            rx_next: FrameNum::default(),
            in_flight: VecDeque::new(),
            queued: VecDeque::new(),
            ack_owed: false,
            rejecting: false,
            t_rx_ack,
            ack_deadline: None,
            retries: 0,
            output: Vec::new(),
            events: VecDeque::new(),
        }
    }

    /// Whether DATA can flow (RSTACK received, no failure since).
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// The current adaptive ACK timer, for diagnostics and tests.
    pub fn ack_timer(&self) -> Duration {
        self.t_rx_ack
    }

    /// Starts (or restarts) the link: drops everything pending and sends CANCEL + RST.
    pub fn reset(&mut self, now: Instant) {
        self.clear_session();
        self.send_rst();
        self.state = State::Resetting {
            deadline: now + self.config.rstack_timeout,
            attempts: 1,
        };
    }

    /// Queues an EZSP frame for the NCP; it goes out as soon as the window allows.
    pub fn send(&mut self, now: Instant, payload: Vec<u8>) -> Result<()> {
        if self.state != State::Connected {
            return Err(Error::NotConnected);
        }
        if !(MIN_DATA_LEN..=MAX_DATA_LEN).contains(&payload.len()) {
            return Err(Error::PayloadLength {
                len: payload.len(),
                min: MIN_DATA_LEN,
                max: MAX_DATA_LEN,
            });
        }
        if self.queued.len() >= self.config.max_queued {
            return Err(Error::QueueFull(self.config.max_queued));
        }
        self.queued.push_back(payload);
        self.flush(now);
        Ok(())
    }

    /// Feeds bytes read from the port.
    pub fn on_bytes(&mut self, now: Instant, bytes: &[u8]) {
        for result in self.decoder.feed(bytes) {
            self.handle_frame(now, result);
        }
        self.flush(now);
    }

    /// Feeds one already decoded frame (or refused frame); `on_bytes` uses it for each frame.
    pub fn on_frame(&mut self, now: Instant, frame: Result<Frame>) {
        self.handle_frame(now, frame);
        self.flush(now);
    }

    /// Lets timers fire: RSTACK wait and ACK timer. Call at [`Link::next_deadline`] (calling
    /// earlier or more often is harmless).
    pub fn tick(&mut self, now: Instant) {
        match self.state {
            State::Resetting { deadline, attempts } if now >= deadline => {
                if attempts >= self.config.reset_attempts {
                    self.fail(Error::ResetTimeout);
                } else {
                    self.send_rst();
                    self.state = State::Resetting {
                        deadline: now + self.config.rstack_timeout,
                        attempts: attempts + 1,
                    };
                }
            }
            State::Connected => {
                if self.ack_deadline.is_some_and(|d| now >= d) {
                    self.t_rx_ack = (self.t_rx_ack * 2).min(self.config.ack_timer_max);
                    self.retransmit(now);
                }
                self.flush(now);
            }
            _ => {}
        }
    }

    /// When [`Link::tick`] must be called next, if any timer runs.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.state {
            State::Resetting { deadline, .. } => Some(deadline),
            State::Connected => self.ack_deadline,
            State::Down => None,
        }
    }

    /// Takes the bytes to write to the port (empty when there is nothing).
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.output)
    }

    /// Takes the next event, in the order they happened.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn send_rst(&mut self) {
        self.output.push(CANCEL);
        self.output.extend(frame::encode(&Frame::Rst));
    }

    fn clear_session(&mut self) {
        self.decoder.clear();
        self.tx_next = FrameNum::default();
        self.ack_rx = FrameNum::default();
        self.rx_next = FrameNum::default();
        self.in_flight.clear();
        self.queued.clear();
        self.ack_owed = false;
        self.rejecting = false;
        self.t_rx_ack = self.config.ack_timer_init;
        self.ack_deadline = None;
        self.retries = 0;
    }

    fn fail(&mut self, error: Error) {
        self.clear_session();
        self.state = State::Down;
        self.events.push_back(Event::Error(error));
    }

    fn handle_frame(&mut self, now: Instant, frame: Result<Frame>) {
        match self.state {
            State::Down => {}
            State::Resetting { .. } => {
                // UG101: until RSTACK, everything else from the NCP is ignored.
                if let Ok(Frame::RstAck { version, code }) = frame {
                    self.clear_session();
                    if version == ASH_VERSION {
                        self.state = State::Connected;
                        self.events.push_back(Event::Connected {
                            version,
                            reset_code: code,
                        });
                    } else {
                        self.fail(Error::UnsupportedVersion(version));
                    }
                }
            }
            State::Connected => self.handle_connected(now, frame),
        }
    }

    fn handle_connected(&mut self, now: Instant, frame: Result<Frame>) {
        match frame {
            Err(Error::Cancelled) => self.events.push_back(Event::BadFrame(Error::Cancelled)),
            Err(err) => {
                self.events.push_back(Event::BadFrame(err));
                self.reject();
            }
            Ok(Frame::Data {
                frm_num,
                re_tx,
                ack_num,
                payload,
            }) => {
                self.handle_ack(now, ack_num);
                if frm_num == self.rx_next {
                    self.rx_next = self.rx_next.next();
                    self.rejecting = false;
                    self.ack_owed = true;
                    self.events.push_back(Event::Received(payload));
                } else if re_tx {
                    // A copy of a frame already delivered (our ack was lost): ack again.
                    self.ack_owed = true;
                } else {
                    self.reject();
                }
            }
            Ok(Frame::Ack { ack_num, .. }) => self.handle_ack(now, ack_num),
            Ok(Frame::Nak { ack_num, .. }) => {
                self.handle_ack(now, ack_num);
                if !self.in_flight.is_empty() {
                    self.retransmit(now);
                }
            }
            Ok(Frame::Rst) => {}
            Ok(Frame::RstAck { code, .. }) => {
                self.clear_session();
                self.state = State::Down;
                self.events.push_back(Event::Reset { code });
            }
            Ok(Frame::Error { version, code }) => self.fail(Error::NcpError { version, code }),
        }
    }

    /// Sends one NAK for the expected frame, unless already in the reject condition.
    fn reject(&mut self) {
        if !self.rejecting {
            self.rejecting = true;
            self.ack_owed = false;
            let nak = Frame::Nak {
                ack_num: self.rx_next,
                not_ready: false,
            };
            self.output.extend(frame::encode(&nak));
        }
    }

    /// Applies an ackNum: frames before it leave the window; an ackNum outside the window is
    /// ignored.
    fn handle_ack(&mut self, now: Instant, ack_num: FrameNum) {
        let acked = usize::from(self.ack_rx.distance_to(ack_num));
        if acked == 0 || acked > self.in_flight.len() {
            return;
        }
        for _ in 0..acked {
            if let Some(done) = self.in_flight.pop_front() {
                if !done.retransmitted {
                    let measured = now.saturating_duration_since(done.sent_at);
                    self.t_rx_ack = (self.t_rx_ack * 7 / 8 + measured / 2)
                        .clamp(self.config.ack_timer_min, self.config.ack_timer_max);
                }
            }
        }
        self.ack_rx = ack_num;
        self.retries = 0;
        self.ack_deadline = (!self.in_flight.is_empty()).then(|| now + self.t_rx_ack);
    }

    /// Sends every unacknowledged frame again with reTx set, counting one retry.
    fn retransmit(&mut self, now: Instant) {
        self.retries = self.retries.saturating_add(1);
        if self.retries > self.config.max_retries {
            let retries = self.config.max_retries;
            self.fail(Error::TooManyRetries(retries));
            return;
        }
        let ack_num = self.rx_next;
        for f in &mut self.in_flight {
            f.retransmitted = true;
            f.sent_at = now;
            let data = Frame::Data {
                frm_num: f.frm_num,
                re_tx: true,
                ack_num,
                payload: f.payload.clone(),
            };
            self.output.extend(frame::encode(&data));
        }
        self.ack_owed = false;
        self.ack_deadline = Some(now + self.t_rx_ack);
    }

    /// Moves queued payloads into the window, then sends a bare ACK if one is still owed.
    fn flush(&mut self, now: Instant) {
        if self.state != State::Connected {
            return;
        }
        while self.in_flight.len() < usize::from(self.config.tx_k) {
            let Some(payload) = self.queued.pop_front() else {
                break;
            };
            let data = Frame::Data {
                frm_num: self.tx_next,
                re_tx: false,
                ack_num: self.rx_next,
                payload,
            };
            self.output.extend(frame::encode(&data));
            let Frame::Data { payload, .. } = data else {
                break;
            };
            self.in_flight.push_back(InFlight {
                frm_num: self.tx_next,
                payload,
                sent_at: now,
                retransmitted: false,
            });
            self.tx_next = self.tx_next.next();
            self.ack_owed = false;
            self.ack_deadline.get_or_insert(now + self.t_rx_ack);
        }
        if self.ack_owed {
            self.ack_owed = false;
            let ack = Frame::Ack {
                ack_num: self.rx_next,
                not_ready: false,
            };
            self.output.extend(frame::encode(&ack));
        }
    }
}
