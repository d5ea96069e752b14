//! The NCP side of ASH (Silicon Labs UG101), as a pure struct: bytes from the host in, bytes for
//! the host and delivered EZSP frames out. It sits between the pty and [`super::ncp::Ncp`].
//!
//! It is written apart from the driver's `sealhub_radios::zigbee::ash::Link` on purpose, so a
//! misreading of UG101 in one is caught by the other in the end-to-end tests. It shares only the
//! byte-level frame code (CRC, stuffing, randomization, the streaming decoder).
//!
//! What it does, as an EmberZNet NCP does:
//! - answers RST (at any time) with RSTACK, ASH version 2, reset code "software" (0x0B), and
//!   restarts numbering;
//! - delivers each DATA frame that carries the expected frmNum exactly once and acknowledges it
//!   (piggy-backed on its own DATA when it has one to send, with an ACK frame otherwise);
//! - treats a reTx DATA frame that is not the expected one as a duplicate: acknowledged again,
//!   not delivered;
//! - answers a frame with a bad CRC (or an out-of-sequence new frame) with one NAK, then stays
//!   silent ("reject condition") until the expected frame arrives;
//! - numbers its own DATA frames modulo 8, keeps at most `window` of them unacknowledged, and
//!   retransmits every unacknowledged frame with reTx set when the host NAKs.
//!
//! It has no timers: on a pty nothing is lost, so the NCP never needs to retransmit on its own;
//! the host's ACK timer is what the tests exercise. Fault injection ([`AshNcp::send_corrupted`],
//! [`AshNcp::reset_unprompted`], [`AshNcp::send_error`]) lets a test make one frame go wrong.

use std::collections::VecDeque;

use sealhub_radios::zigbee::ash::frame::{self, ASH_VERSION, FLAG};
use sealhub_radios::zigbee::ash::{Decoder, Error as AshError, Frame, FrameNum, ResetCode};

/// What the NCP side of the link hands up to the EZSP emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AshNcpEvent {
    /// The host sent RST; RSTACK is already queued. The NCP "rebooted": EZSP state in RAM is
    /// gone.
    HostReset,
    /// An EZSP frame from the host, in order, exactly once.
    Data(Vec<u8>),
}

/// Counters a test can assert on (how often the link had to recover).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AshStats {
    /// RST frames received.
    pub rst_received: u32,
    /// DATA frames delivered up.
    pub data_delivered: u32,
    /// Frames refused (bad CRC, bad length, UART error).
    pub bad_frames: u32,
    /// NAKs this side sent.
    pub naks_sent: u32,
    /// NAKs the host sent.
    pub naks_received: u32,
    /// DATA frames this side sent again with reTx set.
    pub retransmitted: u32,
    /// Duplicate (reTx) DATA frames from the host, acknowledged and dropped.
    pub duplicates: u32,
    /// DATA frames sent with a deliberately broken CRC.
    pub corrupted_sent: u32,
}

#[derive(Debug, Clone)]
struct Outgoing {
    payload: Vec<u8>,
    corrupt: bool,
}

/// The NCP end of one ASH link.
#[derive(Debug, Clone)]
pub struct AshNcp {
    window: usize,
    decoder: Decoder,
    /// RST seen since power-up (or an unprompted RSTACK sent): DATA may flow.
    connected: bool,
    tx_next: FrameNum,
    /// Oldest unacknowledged frmNum of ours.
    ack_rx: FrameNum,
    /// frmNum expected next from the host.
    rx_next: FrameNum,
    unacked: VecDeque<(FrameNum, Vec<u8>)>,
    queued: VecDeque<Outgoing>,
    ack_owed: bool,
    rejecting: bool,
    output: Vec<u8>,
    events: VecDeque<AshNcpEvent>,
    stats: AshStats,
}

impl Default for AshNcp {
    fn default() -> Self {
        Self::new(3)
    }
}

impl AshNcp {
    /// A powered-up NCP waiting for RST; `window` is how many of its DATA frames may be
    /// unacknowledged at once (clamped to 1..=7).
    pub fn new(window: u8) -> Self {
        Self {
            window: usize::from(window.clamp(1, 7)),
            decoder: Decoder::new(),
            connected: false,
            tx_next: FrameNum::default(),
            ack_rx: FrameNum::default(),
            rx_next: FrameNum::default(),
            unacked: VecDeque::new(),
            queued: VecDeque::new(),
            ack_owed: false,
            rejecting: false,
            output: Vec::new(),
            events: VecDeque::new(),
            stats: AshStats::default(),
        }
    }

    /// Whether the host has reset the link since power-up.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// The counters so far.
    pub fn stats(&self) -> AshStats {
        self.stats
    }

    /// Feeds bytes written by the host.
    pub fn on_bytes(&mut self, bytes: &[u8]) {
        for result in self.decoder.feed(bytes) {
            self.handle(result);
        }
        self.flush();
    }

    /// Queues an EZSP frame for the host; it goes out when the window allows.
    pub fn send(&mut self, payload: Vec<u8>) {
        self.queued.push_back(Outgoing {
            payload,
            corrupt: false,
        });
        self.flush();
    }

    /// Like [`AshNcp::send`], but the frame's first transmission carries a wrong CRC, so the
    /// host must NAK it and this side retransmit it intact.
    pub fn send_corrupted(&mut self, payload: Vec<u8>) {
        self.queued.push_back(Outgoing {
            payload,
            corrupt: true,
        });
        self.flush();
    }

    /// The NCP resets on its own (watchdog, assert, power glitch): everything pending is lost
    /// and an RSTACK with `code` goes out unprompted.
    pub fn reset_unprompted(&mut self, code: ResetCode) {
        self.clear_session();
        self.connected = true;
        self.emit(&Frame::RstAck {
            version: ASH_VERSION,
            code,
        });
    }

    /// The NCP enters the ASH error state: sends ERROR and ignores everything but RST.
    pub fn send_error(&mut self, code: ResetCode) {
        self.clear_session();
        self.connected = false;
        self.emit(&Frame::Error {
            version: ASH_VERSION,
            code,
        });
    }

    /// Bytes to write to the host (empty when there is nothing).
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.output)
    }

    /// The next event for the EZSP emulator.
    pub fn next_event(&mut self) -> Option<AshNcpEvent> {
        self.events.pop_front()
    }

    fn clear_session(&mut self) {
        self.decoder.clear();
        self.tx_next = FrameNum::default();
        self.ack_rx = FrameNum::default();
        self.rx_next = FrameNum::default();
        self.unacked.clear();
        self.queued.clear();
        self.ack_owed = false;
        self.rejecting = false;
    }

    fn emit(&mut self, frame: &Frame) {
        self.output.extend(frame::encode(frame));
    }

    fn handle(&mut self, result: Result<Frame, AshError>) {
        let frame = match result {
            Ok(frame) => frame,
            // A CANCEL before RST is how every host flushes the NCP's receiver: not an error.
            Err(AshError::Cancelled) => return,
            Err(err) => {
                tracing::debug!("NCP refused a frame from the host: {err}");
                self.stats.bad_frames += 1;
                if self.connected {
                    self.nak();
                }
                return;
            }
        };
        if let Frame::Rst = frame {
            self.stats.rst_received += 1;
            self.clear_session();
            self.connected = true;
            self.emit(&Frame::RstAck {
                version: ASH_VERSION,
                code: ResetCode::SOFTWARE,
            });
            self.events.push_back(AshNcpEvent::HostReset);
            return;
        }
        if !self.connected {
            return;
        }
        match frame {
            Frame::Data {
                frm_num,
                re_tx,
                ack_num,
                payload,
            } => {
                self.apply_ack(ack_num);
                if frm_num == self.rx_next {
                    self.rx_next = self.rx_next.next();
                    self.rejecting = false;
                    self.ack_owed = true;
                    self.stats.data_delivered += 1;
                    self.events.push_back(AshNcpEvent::Data(payload));
                } else if re_tx {
                    self.stats.duplicates += 1;
                    self.ack_owed = true;
                } else {
                    self.nak();
                }
            }
            Frame::Ack { ack_num, .. } => self.apply_ack(ack_num),
            Frame::Nak { ack_num, .. } => {
                self.stats.naks_received += 1;
                self.apply_ack(ack_num);
                self.retransmit();
            }
            // The host never sends these; ignore them as an NCP would.
            Frame::Rst | Frame::RstAck { .. } | Frame::Error { .. } => {}
        }
    }

    fn nak(&mut self) {
        if self.rejecting {
            return;
        }
        self.rejecting = true;
        self.ack_owed = false;
        self.stats.naks_sent += 1;
        let nak = Frame::Nak {
            ack_num: self.rx_next,
            not_ready: false,
        };
        self.emit(&nak);
    }

    /// The host's ackNum: our frames before it are done. Numbers outside the window are
    /// ignored (a stale ack).
    fn apply_ack(&mut self, ack_num: FrameNum) {
        let acked = usize::from(self.ack_rx.distance_to(ack_num));
        if acked == 0 || acked > self.unacked.len() {
            return;
        }
        self.unacked.drain(..acked);
        self.ack_rx = ack_num;
    }

    fn retransmit(&mut self) {
        let ack_num = self.rx_next;
        let frames: Vec<Frame> = self
            .unacked
            .iter()
            .map(|(frm_num, payload)| Frame::Data {
                frm_num: *frm_num,
                re_tx: true,
                ack_num,
                payload: payload.clone(),
            })
            .collect();
        for f in &frames {
            self.stats.retransmitted += 1;
            self.emit(f);
        }
        if !frames.is_empty() {
            self.ack_owed = false;
        }
    }

    fn flush(&mut self) {
        if !self.connected {
            return;
        }
        while self.unacked.len() < self.window {
            let Some(out) = self.queued.pop_front() else {
                break;
            };
            let data = Frame::Data {
                frm_num: self.tx_next,
                re_tx: false,
                ack_num: self.rx_next,
                payload: out.payload,
            };
            if out.corrupt {
                let mut body = frame::encode_body(&data);
                if let Some(crc_low) = body.last_mut() {
                    *crc_low ^= 0xFF;
                }
                frame::stuff(&body, &mut self.output);
                self.output.push(FLAG);
                self.stats.corrupted_sent += 1;
            } else {
                self.emit(&data);
            }
            let Frame::Data { payload, .. } = data else {
                break;
            };
            self.unacked.push_back((self.tx_next, payload));
            self.tx_next = self.tx_next.next();
            self.ack_owed = false;
        }
        if self.ack_owed {
            self.ack_owed = false;
            let ack = Frame::Ack {
                ack_num: self.rx_next,
                not_ready: false,
            };
            self.emit(&ack);
        }
    }
}

#[cfg(test)]
mod tests {
    //! The NCP side against the driver's host-side `Link`, in memory: the two independent
    //! implementations must agree on every exchange.

    use std::time::{Duration, Instant};

    use sealhub_radios::zigbee::ash::{Config, Event, Link};

    use super::*;

    fn pump(link: &mut Link, ncp: &mut AshNcp, now: Instant) {
        for _ in 0..16 {
            let to_ncp = link.take_output();
            let to_host = ncp.take_output();
            if to_ncp.is_empty() && to_host.is_empty() {
                return;
            }
            ncp.on_bytes(&to_ncp);
            link.on_bytes(now, &to_host);
        }
        panic!("link and NCP never went quiet");
    }

    fn connected() -> (Link, AshNcp, Instant) {
        let t0 = Instant::now();
        let mut link = Link::new(Config::default());
        let mut ncp = AshNcp::default();
        link.reset(t0);
        pump(&mut link, &mut ncp, t0);
        assert_eq!(ncp.next_event(), Some(AshNcpEvent::HostReset));
        assert!(matches!(
            link.next_event(),
            Some(Event::Connected {
                version: 2,
                reset_code: ResetCode::SOFTWARE
            })
        ));
        (link, ncp, t0)
    }

    fn received(link: &mut Link) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| link.next_event())
            .filter_map(|e| match e {
                Event::Received(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn frames_flow_both_ways_and_wrap_the_numbering() {
        let (mut link, mut ncp, t0) = connected();
        for i in 0..20u8 {
            link.send(t0, vec![i, 0, 0, 0]).expect("send");
            pump(&mut link, &mut ncp, t0);
            assert_eq!(ncp.next_event(), Some(AshNcpEvent::Data(vec![i, 0, 0, 0])));
            ncp.send(vec![i, 0x80, 0]);
            ncp.send(vec![i, 0x81, 0]);
            pump(&mut link, &mut ncp, t0);
            assert_eq!(
                received(&mut link),
                vec![vec![i, 0x80, 0], vec![i, 0x81, 0]]
            );
        }
        assert_eq!(link.next_deadline(), None, "everything acknowledged");
    }

    #[test]
    fn a_burst_longer_than_the_window_is_paced_by_acks() {
        let (mut link, mut ncp, t0) = connected();
        for i in 0..18u8 {
            ncp.send(vec![i, 0x90, 0]);
        }
        pump(&mut link, &mut ncp, t0);
        let got: Vec<u8> = received(&mut link).iter().map(|p| p[0]).collect();
        assert_eq!(got, (0..18).collect::<Vec<_>>());
    }

    #[test]
    fn a_corrupted_frame_is_naked_and_retransmitted_once() {
        let (mut link, mut ncp, t0) = connected();
        ncp.send_corrupted(vec![1, 0x80, 0]);
        ncp.send(vec![2, 0x80, 0]);
        pump(&mut link, &mut ncp, t0);
        assert_eq!(
            received(&mut link),
            vec![vec![1, 0x80, 0], vec![2, 0x80, 0]]
        );
        let stats = ncp.stats();
        assert_eq!(stats.corrupted_sent, 1);
        assert_eq!(stats.naks_received, 1);
        assert_eq!(
            stats.retransmitted, 2,
            "both unacknowledged frames go again"
        );
    }

    #[test]
    fn a_lost_ack_makes_the_host_retransmit_and_the_copy_is_not_delivered_twice() {
        let (mut link, mut ncp, t0) = connected();
        link.send(t0, vec![7, 0, 0, 0]).expect("send");
        ncp.on_bytes(&link.take_output());
        let _lost_ack = ncp.take_output();
        assert_eq!(ncp.next_event(), Some(AshNcpEvent::Data(vec![7, 0, 0, 0])));
        let later = t0 + Duration::from_secs(4);
        link.tick(later);
        pump(&mut link, &mut ncp, later);
        assert_eq!(ncp.next_event(), None);
        assert_eq!(ncp.stats().duplicates, 1);
        assert_eq!(link.next_deadline(), None, "the re-ack reached the host");
    }

    #[test]
    fn a_bad_crc_from_the_host_is_naked_and_the_host_retransmits() {
        let (mut link, mut ncp, t0) = connected();
        link.send(t0, vec![9, 0, 0, 0]).expect("send");
        let mut bytes = link.take_output();
        let crc_at = bytes.len() - 2;
        bytes[crc_at] ^= 0x01;
        ncp.on_bytes(&bytes);
        assert_eq!(ncp.stats().naks_sent, 1);
        pump(&mut link, &mut ncp, t0);
        assert_eq!(ncp.next_event(), Some(AshNcpEvent::Data(vec![9, 0, 0, 0])));
    }

    #[test]
    fn an_unprompted_reset_takes_the_host_link_down() {
        let (mut link, mut ncp, t0) = connected();
        ncp.reset_unprompted(ResetCode::WATCHDOG);
        pump(&mut link, &mut ncp, t0);
        assert_eq!(
            link.next_event(),
            Some(Event::Reset {
                code: ResetCode::WATCHDOG
            })
        );
        assert!(!link.is_connected());
    }
}
