//! The EZSP session, pure: between the ASH link's delivered payloads and the driver's commands.
//!
//! After the link reports `Connected`, [`Session::on_connected`] starts the version
//! negotiation; once it is done, exactly one command is in flight at a time
//! ([`Session::send_command`]), its response is matched by sequence number and frame ID, and
//! every callback is handed up as it comes. Each command has a deadline; [`Session::tick`]
//! reports it expired. Inputs are EZSP frames and the current time, outputs are [`Output`]s: no
//! port, no channels, no sleeps.

use std::time::{Duration, Instant};

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
}

/// One EZSP session over one ASH connection.
#[derive(Debug, Clone)]
pub struct Session {
    phase: Phase,
    next_sequence: u8,
    in_flight: Option<InFlight>,
    command_timeout: Duration,
}

impl Session {
    /// A session waiting for the link; each command may take `command_timeout`.
    pub fn new(command_timeout: Duration) -> Self {
        Self {
            phase: Phase::Down,
            next_sequence: 0,
            in_flight: None,
            command_timeout,
        }
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
        });
        Ok(bytes)
    }

    /// Forgets the command in flight (the link refused to send it).
    pub fn abort_command(&mut self) {
        self.in_flight = None;
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
                Ok((_, FromNcp::Callback(callback))) => vec![Output::Callback(callback)],
                Ok((header, FromNcp::Response(response))) => match self.in_flight {
                    Some(f) if f.sequence == header.sequence && f.frame_id == header.frame_id => {
                        self.in_flight = None;
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
