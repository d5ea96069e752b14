//! The EZSP session, pure: between the ASH link's delivered payloads and the driver's commands.
//!
//! After the link reports `Connected`, [`Session::on_connected`] starts the version
//! negotiation; once it is done, exactly one command is in flight at a time
//! ([`Session::send_command`]), its response is matched by sequence number and frame ID, and
//! every callback is handed up as it comes. Each command has a deadline; [`Session::tick`]
//! reports it expired. Inputs are EZSP frames and the current time, outputs are [`Output`]s: no
//! port, no channels, no sleeps.
//!
//! Synchronous callbacks (UG100: a stick with `EZSP_VALUE_UART_SYNCH_CALLBACKS` set queues its
//! callbacks instead of sending them): a frame with the callbackPending bit, or the optional poll
//! interval running out, makes a poll due ([`Session::poll_due`]); the driver then sends
//! `callback` through [`Session::send_poll`] as the one command in flight, and keeps doing so
//! while each answer is a callback, until `noCallbacks`. A fetched callback comes out as the same
//! [`Output::Callback`] as an asynchronous one. Polling stops when the link goes down.

use std::time::{Duration, Instant};

use crate::zigbee::ezsp::commands::configuration::NoParams;
use crate::zigbee::ezsp::version::Step;
use crate::zigbee::ezsp::{
    self, Callback, Command, FrameCodec, FromNcp, Negotiated, Negotiation, Response,
};

use super::Error;

/// How long the NCP may take to answer `version`.
pub const NEGOTIATION_TIMEOUT: Duration = Duration::from_secs(5);

/// What the session asks of the driver task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this EZSP frame through the link.
    Send(Vec<u8>),
    /// The protocol is negotiated: commands may flow.
    Ready(Negotiated),
    /// The NCP cannot be spoken to (unsupported protocol, no answer to `version`, ...).
    NegotiationFailed(ezsp::Error),
    /// The answer to the command in flight.
    Response(Response),
    /// A callback (stack status, scan results, message sent, ...).
    Callback(Callback),
    /// The command in flight was not answered in time.
    TimedOut {
        /// Its frame ID.
        frame_id: u16,
    },
}

#[derive(Debug, Clone)]
enum Phase {
    Down,
    Negotiating {
        negotiation: Negotiation,
        deadline: Instant,
    },
    Ready {
        codec: FrameCodec,
        negotiated: Negotiated,
    },
    Failed,
}

#[derive(Debug, Clone, Copy)]
struct InFlight {
    sequence: u8,
    frame_id: u16,
    deadline: Instant,
    /// The session's own `callback` poll, not a driver command.
    poll: bool,
}

/// When the session wants to send `callback` (synchronous callbacks).
#[derive(Debug, Clone, Copy, Default)]
struct Polling {
    /// Poll this often even without a callbackPending bit (None: only on the bit).
    interval: Option<Duration>,
    /// The NCP said callbacks are queued, or the last poll fetched one: poll again.
    wanted: bool,
    /// When the interval next makes a poll due.
    next: Option<Instant>,
}

/// One EZSP session over one ASH connection.
#[derive(Debug, Clone)]
pub struct Session {
    phase: Phase,
    next_sequence: u8,
    in_flight: Option<InFlight>,
    command_timeout: Duration,
    polling: Polling,
}

impl Session {
    /// A session waiting for the link; each command may take `command_timeout`.
    pub fn new(command_timeout: Duration) -> Self {
        Self {
            phase: Phase::Down,
            next_sequence: 0,
            in_flight: None,
            command_timeout,
            polling: Polling::default(),
        }
    }

    /// Also polls for callbacks every `interval` once ready (for sticks set to synchronous
    /// callbacks, whose queued callbacks no response may announce for a while).
    pub fn with_callback_poll(mut self, interval: Option<Duration>) -> Self {
        self.polling.interval = interval;
        self
    }

    /// Whether `callback` should be sent now: the session is ready, nothing is in flight, and
    /// the NCP announced queued callbacks or the poll interval ran out.
    pub fn poll_due(&self, now: Instant) -> bool {
        matches!(self.phase, Phase::Ready { .. })
            && self.in_flight.is_none()
            && (self.polling.wanted || self.polling.next.is_some_and(|next| now >= next))
    }

    /// Encodes `callback` and marks it in flight (as any command, so nothing else is sent until
    /// it is answered).
    pub fn send_poll(&mut self, now: Instant) -> Result<Vec<u8>, Error> {
        let bytes = self.send_command(now, &Command::Callback(NoParams))?;
        if let Some(f) = &mut self.in_flight {
            f.poll = true;
        }
        self.polling.wanted = false;
        self.polling.next = self.polling.interval.map(|i| now + i);
        Ok(bytes)
    }

    /// The negotiated protocol, once ready.
    pub fn negotiated(&self) -> Option<Negotiated> {
        match self.phase {
            Phase::Ready { negotiated, .. } => Some(negotiated),
            _ => None,
        }
    }

    /// Whether a command is waiting for its response.
    pub fn is_busy(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The link came up: starts the negotiation and returns the legacy `version` frame to send.
    /// Any command in flight is forgotten (the caller failed it when the link went down).
    pub fn on_connected(&mut self, now: Instant) -> Result<Vec<u8>, Error> {
        self.in_flight = None;
        let sequence = self.next_sequence;
        let (negotiation, frame) = Negotiation::start(sequence).map_err(Error::Protocol)?;
        // The negotiation uses at most two sequence numbers.
        self.next_sequence = sequence.wrapping_add(2);
        self.phase = Phase::Negotiating {
            negotiation,
            deadline: now + NEGOTIATION_TIMEOUT,
        };
        Ok(frame)
    }

    /// The link went down (reset, failure, stick gone). Returns whether a command was in
    /// flight, so the caller fails it.
    pub fn on_link_down(&mut self) -> bool {
        self.phase = Phase::Down;
        self.polling.wanted = false;
        self.polling.next = None;
        self.in_flight.take().is_some()
    }

    /// Encodes a command and marks it in flight.
    pub fn send_command(&mut self, now: Instant, command: &Command) -> Result<Vec<u8>, Error> {
        let Phase::Ready { codec, .. } = &self.phase else {
            return Err(Error::NotReady);
        };
        if self.in_flight.is_some() {
            return Err(Error::Busy);
        }
        let sequence = self.next_sequence;
        let bytes = codec
            .encode_command(sequence, command)
            .map_err(Error::Protocol)?;
        self.next_sequence = sequence.wrapping_add(1);
        self.in_flight = Some(InFlight {
            sequence,
            frame_id: command.frame_id(),
            deadline: now + self.command_timeout,
            poll: false,
        });
        Ok(bytes)
    }

    /// Forgets the command in flight (the link refused to send it); an unsent poll stays due.
    pub fn abort_command(&mut self) {
        if self.in_flight.take().is_some_and(|f| f.poll) {
            self.polling.wanted = true;
        }
    }

    /// An EZSP frame from the NCP.
    pub fn on_frame(&mut self, now: Instant, bytes: &[u8]) -> Vec<Output> {
        match &mut self.phase {
            Phase::Down | Phase::Failed => Vec::new(),
            Phase::Negotiating { negotiation, .. } => match negotiation.on_frame(bytes) {
                Ok(Step::Send(frame)) => {
                    self.phase = Phase::Negotiating {
                        negotiation: negotiation.clone(),
                        deadline: now + NEGOTIATION_TIMEOUT,
                    };
                    vec![Output::Send(frame)]
                }
                Ok(Step::Done(negotiated)) => match FrameCodec::new(negotiated.protocol_version) {
                    Ok(codec) => {
                        self.phase = Phase::Ready { codec, negotiated };
                        self.polling.next = self.polling.interval.map(|i| now + i);
                        vec![Output::Ready(negotiated)]
                    }
                    Err(e) => {
                        self.phase = Phase::Failed;
                        vec![Output::NegotiationFailed(e)]
                    }
                },
                Err(e) => {
                    self.phase = Phase::Failed;
                    vec![Output::NegotiationFailed(e)]
                }
            },
            Phase::Ready { codec, .. } => match codec.decode_from_ncp(bytes) {
                Ok((header, FromNcp::Callback(callback))) => {
                    if header.control.callback_pending() {
                        self.polling.wanted = true;
                    }
                    match self.in_flight {
                        // The answer to our `callback`: there may be more behind it, so poll
                        // again until `noCallbacks`.
                        Some(f)
                            if f.poll
                                && f.sequence == header.sequence
                                && header.control.is_sync_callback() =>
                        {
                            self.in_flight = None;
                            self.polling.wanted = true;
                        }
                        _ => {}
                    }
                    vec![Output::Callback(callback)]
                }
                Ok((header, FromNcp::Response(response))) => match self.in_flight {
                    Some(f)
                        if f.poll
                            && f.sequence == header.sequence
                            && matches!(response, Response::NoCallbacks(_)) =>
                    {
                        self.in_flight = None;
                        self.polling.wanted = header.control.callback_pending();
                        Vec::new()
                    }
                    Some(f) if f.sequence == header.sequence && f.frame_id == header.frame_id => {
                        self.in_flight = None;
                        if header.control.callback_pending() {
                            self.polling.wanted = true;
                        }
                        vec![Output::Response(response)]
                    }
                    _ => {
                        tracing::warn!(
                            sequence = header.sequence,
                            frame_id = header.frame_id,
                            "EZSP response to no command in flight; dropped"
                        );
                        Vec::new()
                    }
                },
                Err(e) => {
                    tracing::warn!("undecodable EZSP frame from the NCP ({e}): {bytes:02x?}");
                    Vec::new()
                }
            },
        }
    }

    /// Lets deadlines fire: the negotiation's and the command's.
    pub fn tick(&mut self, now: Instant) -> Option<Output> {
        if let Phase::Negotiating { deadline, .. } = self.phase
            && now >= deadline
        {
            self.phase = Phase::Failed;
            return Some(Output::NegotiationFailed(ezsp::Error::Unexpected(
                "no answer to version",
            )));
        }
        match self.in_flight {
            Some(f) if now >= f.deadline => {
                self.in_flight = None;
                Some(Output::TimedOut {
                    frame_id: f.frame_id,
                })
            }
            _ => None,
        }
    }

    /// When [`Session::tick`] must be called next.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Negotiating { deadline, .. } => Some(deadline),
            Phase::Ready { .. } => match self.in_flight {
                Some(f) => Some(f.deadline),
                None => self.polling.next,
            },
            _ => self.in_flight.map(|f| f.deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zigbee::ezsp::commands::configuration::{NoParams, StatusResponse};
    use crate::zigbee::ezsp::commands::networking::{PermitJoining, StackStatusHandler};
    use crate::zigbee::ezsp::types::Status;
    use crate::zigbee::ezsp::{FrameControl, Header};

    fn ready(t0: Instant) -> Session {
        let mut s = Session::new(Duration::from_secs(1));
        let first = s.on_connected(t0).unwrap();
        assert_eq!(first, [0x00, 0x00, 0x00, 0x0d]);
        // A protocol-14 stick: ask again, then done.
        let out = s.on_frame(t0, &[0x00, 0x80, 0x00, 14, 2, 0x20, 0x80]);
        assert!(matches!(out.as_slice(), [Output::Send(_)]));
        let out = s.on_frame(t0, &[0x01, 0x80, 0x01, 0x00, 0x00, 14, 2, 0x20, 0x80]);
        assert!(matches!(out.as_slice(), [Output::Ready(n)] if n.protocol_version == 14));
        s
    }

    fn from_ncp(seq: u8, frame: FromNcp) -> Vec<u8> {
        let header = Header {
            sequence: seq,
            control: FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1,
            frame_id: 0,
        };
        FrameCodec::new(14)
            .unwrap()
            .encode_from_ncp(&header, &frame)
            .unwrap()
    }

    #[test]
    fn one_command_at_a_time_matched_by_sequence_and_callbacks_pass_through() {
        let t0 = Instant::now();
        let mut s = ready(t0);
        let cmd = Command::PermitJoining(PermitJoining { duration: 60 });
        let bytes = s.send_command(t0, &cmd).unwrap();
        assert_eq!(bytes[0], 2, "sequence continues after the negotiation");
        assert!(matches!(s.send_command(t0, &cmd), Err(Error::Busy)));
        let ok = FromNcp::Response(Response::PermitJoining(StatusResponse {
            status: Status::OK,
        }));
        assert!(
            s.on_frame(t0, &from_ncp(7, ok.clone())).is_empty(),
            "wrong seq"
        );
        let cb = FromNcp::Callback(Callback::StackStatusHandler(StackStatusHandler {
            status: Status(0x15),
        }));
        assert!(matches!(
            s.on_frame(t0, &from_ncp(2, cb)).as_slice(),
            [Output::Callback(_)]
        ));
        assert!(matches!(
            s.on_frame(t0, &from_ncp(2, ok)).as_slice(),
            [Output::Response(Response::PermitJoining(_))]
        ));
        assert!(!s.is_busy());
    }

    fn with_control(seq: u8, control: FrameControl, frame: FromNcp) -> Vec<u8> {
        let header = Header {
            sequence: seq,
            control: control | FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1,
            frame_id: 0,
        };
        FrameCodec::new(14)
            .unwrap()
            .encode_from_ncp(&header, &frame)
            .unwrap()
    }

    fn stack_up() -> FromNcp {
        FromNcp::Callback(Callback::StackStatusHandler(StackStatusHandler {
            status: Status(0x15),
        }))
    }

    #[test]
    fn a_pending_flag_polls_callback_until_no_callbacks() {
        let t0 = Instant::now();
        let mut s = ready(t0);
        assert!(!s.poll_due(t0), "no interval, no flag: no poll");
        assert_eq!(s.next_deadline(), None);
        s.send_command(t0, &Command::PermitJoining(PermitJoining { duration: 60 }))
            .unwrap();
        let ok = FromNcp::Response(Response::PermitJoining(StatusResponse {
            status: Status::OK,
        }));
        let out = s.on_frame(t0, &with_control(2, FrameControl::CALLBACK_PENDING, ok));
        assert!(matches!(
            out.as_slice(),
            [Output::Response(Response::PermitJoining(_))]
        ));
        assert!(s.poll_due(t0), "the pending bit asks for a poll");

        // `callback`: sequence 3, command frame control 0x0100, frame ID 0x0006, no params.
        assert_eq!(s.send_poll(t0).unwrap(), [0x03, 0x00, 0x01, 0x06, 0x00]);
        assert!(
            s.is_busy() && !s.poll_due(t0),
            "the poll is the one command in flight"
        );
        assert!(matches!(
            s.send_command(t0, &Command::Nop(NoParams)),
            Err(Error::Busy)
        ));
        // First queued callback, more behind it.
        let cb = with_control(
            3,
            FrameControl::SYNC_CALLBACK | FrameControl::CALLBACK_PENDING,
            stack_up(),
        );
        assert_eq!(
            s.on_frame(t0, &cb),
            vec![Output::Callback(Callback::StackStatusHandler(
                StackStatusHandler {
                    status: Status(0x15)
                }
            ))]
        );
        assert!(!s.is_busy() && s.poll_due(t0));
        assert_eq!(s.send_poll(t0).unwrap(), [0x04, 0x00, 0x01, 0x06, 0x00]);
        // Last one: no pending bit, but only `noCallbacks` ends the round.
        let cb = with_control(4, FrameControl::SYNC_CALLBACK, stack_up());
        assert!(matches!(
            s.on_frame(t0, &cb).as_slice(),
            [Output::Callback(_)]
        ));
        assert!(s.poll_due(t0));
        assert_eq!(s.send_poll(t0).unwrap(), [0x05, 0x00, 0x01, 0x06, 0x00]);
        let none = with_control(
            5,
            FrameControl::empty(),
            FromNcp::Response(Response::NoCallbacks(NoParams)),
        );
        assert!(
            s.on_frame(t0, &none).is_empty(),
            "noCallbacks is not handed up"
        );
        assert!(!s.is_busy());
        assert!(!s.poll_due(t0 + Duration::from_secs(60)), "no more polls");
        // The next command takes the next sequence number.
        assert_eq!(s.send_command(t0, &Command::Nop(NoParams)).unwrap()[0], 6);
    }

    #[test]
    fn an_interval_polls_between_commands_and_the_link_going_down_stops_it() {
        let t0 = Instant::now();
        let every = Duration::from_millis(100);
        let mut s = Session::new(Duration::from_secs(1)).with_callback_poll(Some(every));
        s.on_connected(t0).unwrap();
        s.on_frame(t0, &[0x00, 0x80, 0x00, 14, 2, 0x20, 0x80]);
        s.on_frame(t0, &[0x01, 0x80, 0x01, 0x00, 0x00, 14, 2, 0x20, 0x80]);
        assert_eq!(s.next_deadline(), Some(t0 + every));
        assert!(!s.poll_due(t0 + every - Duration::from_millis(1)));
        let t1 = t0 + every;
        assert!(s.poll_due(t1));
        // A command already in flight keeps the poll waiting.
        s.send_command(t1, &Command::Nop(NoParams)).unwrap();
        assert!(!s.poll_due(t1));
        let nop = FromNcp::Response(Response::Nop(NoParams));
        s.on_frame(t1, &with_control(2, FrameControl::empty(), nop));
        assert!(s.poll_due(t1));
        s.send_poll(t1).unwrap();
        let none = FromNcp::Response(Response::NoCallbacks(NoParams));
        assert!(
            s.on_frame(t1, &with_control(3, FrameControl::empty(), none))
                .is_empty()
        );
        assert!(!s.poll_due(t1));
        assert_eq!(s.next_deadline(), Some(t1 + every));
        // An unanswered poll times out like any command, and the next one comes on time.
        s.send_poll(t1 + every).unwrap();
        assert_eq!(
            s.tick(t1 + every + Duration::from_secs(1)),
            Some(Output::TimedOut { frame_id: 0x0006 })
        );
        // A poll the link refused to send stays due.
        let t2 = t1 + every * 3;
        s.send_poll(t2).unwrap();
        s.abort_command();
        assert!(s.poll_due(t2));
        s.on_link_down();
        assert!(!s.poll_due(t1 + every * 100));
        assert_eq!(s.next_deadline(), None);
        assert!(matches!(s.send_poll(t1), Err(Error::NotReady)));
    }

    #[test]
    fn an_unanswered_command_times_out_and_the_link_going_down_fails_it() {
        let t0 = Instant::now();
        let mut s = ready(t0);
        s.send_command(t0, &Command::Nop(NoParams)).unwrap();
        assert_eq!(s.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(s.tick(t0 + Duration::from_millis(999)), None);
        assert_eq!(
            s.tick(t0 + Duration::from_secs(1)),
            Some(Output::TimedOut { frame_id: 0x0005 })
        );
        s.send_command(t0, &Command::Nop(NoParams)).unwrap();
        assert!(s.on_link_down());
        assert!(matches!(
            s.send_command(t0, &Command::Nop(NoParams)),
            Err(Error::NotReady)
        ));
    }

    #[test]
    fn a_protocol_13_stick_is_ready_after_the_legacy_version() {
        let t0 = Instant::now();
        let mut s = Session::new(Duration::from_secs(1));
        s.on_connected(t0).unwrap();
        let out = s.on_frame(t0, &[0x00, 0x80, 0x00, 13, 2, 0x50, 0x74]);
        assert!(matches!(out.as_slice(), [Output::Ready(n)] if n.protocol_version == 13));
    }

    #[test]
    fn a_protocol_12_stick_is_refused() {
        let t0 = Instant::now();
        let mut s = Session::new(Duration::from_secs(1));
        s.on_connected(t0).unwrap();
        let out = s.on_frame(t0, &[0x00, 0x80, 0x00, 12, 2, 0x30, 0x72]);
        assert_eq!(
            out,
            vec![Output::NegotiationFailed(ezsp::Error::UnsupportedProtocol(
                12
            ))]
        );
    }
}
