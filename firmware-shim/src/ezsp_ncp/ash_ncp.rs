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
//! - runs its own ACK timer, as a real NCP does: when a DATA frame of its own is not acknowledged
//!   in time it sends every unacknowledged frame again with reTx set, doubling the timer (up to
//!   [`ACK_TIMER_MAX`]); after [`MAX_ACK_TIMEOUTS`] timeouts without progress it gives up with
//!   ERROR (reset code 0x51, "exceeded maximum ACK timeout count") and waits for RST.
//!
//! The timer is armed lazily: [`AshNcp::tick`] brings the time, and a frame sent between two ticks
//! counts from the next one (the pty task ticks every 10 ms, far below the timer).
//!
//! Fault injection lets a test make frames go wrong on either direction of the wire:
//! [`AshNcp::send_corrupted`], [`AshNcp::corrupt_outgoing`], [`AshNcp::lose_outgoing`],
//! [`AshNcp::cut_next_outgoing`], [`AshNcp::corrupt_incoming`], [`AshNcp::nak_storm`],
//! [`AshNcp::reset_unprompted`] and [`AshNcp::send_error`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sealhub_radios::zigbee::ash::frame::{self, ASH_VERSION, FLAG};
use sealhub_radios::zigbee::ash::{Decoder, Error as AshError, Frame, FrameNum, ResetCode};

/// The NCP's ACK timer at link start (UG101's T_RX_ACK_INIT).
pub const ACK_TIMER_INIT: Duration = Duration::from_millis(1600);
/// The longest the ACK timer grows to after timeouts (UG101's T_RX_ACK_MAX).
pub const ACK_TIMER_MAX: Duration = Duration::from_millis(3200);
/// Consecutive ACK timeouts after which the NCP gives up with ERROR (UG101's ACK_TIMEOUTS).
pub const MAX_ACK_TIMEOUTS: u8 = 4;

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
    /// Times this side's own ACK timer expired (each followed by a retransmission round, or by
    /// ERROR after [`MAX_ACK_TIMEOUTS`]).
    pub ack_timeouts: u32,
    /// DATA frames lost on the wire on purpose ([`AshNcp::lose_outgoing`]).
    pub lost_sent: u32,
    /// DATA frames cut short on purpose ([`AshNcp::cut_next_outgoing`]).
    pub cut_sent: u32,
    /// Host DATA frames treated as corrupted on purpose ([`AshNcp::corrupt_incoming`]).
    pub corrupted_received: u32,
    /// NAKs sent by [`AshNcp::nak_storm`].
    pub storm_naks: u32,
}

/// Faults waiting to hit the next frames, set by the test.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    /// Next outgoing DATA transmissions (first or reTx) to send with a broken CRC.
    corrupt_out: u32,
    /// Next outgoing DATA transmissions to drop on the wire.
    lose_out: u32,
    /// Whether the next outgoing DATA transmission is cut in half (no closing flag).
    cut_out: bool,
    /// Next host DATA frames to treat as if their CRC had been wrong.
    corrupt_in: u32,
    /// Next host DATA frames to answer with a NAK each, reject condition or not.
    storm: u32,
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
    faults: Faults,
    ack_timer_init: Duration,
    /// Current ACK timer (doubles on each timeout, back to the initial value on progress).
    t_rx_ack: Duration,
    /// When the ACK timer fires, once armed.
    ack_deadline: Option<Instant>,
    /// A frame went out (or a retransmission round) since the timer was last armed: arm it at the
    /// next tick.
    arm_timer: bool,
    /// Consecutive timeouts without progress.
    timeouts: u8,
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
            faults: Faults::default(),
            ack_timer_init: ACK_TIMER_INIT,
            t_rx_ack: ACK_TIMER_INIT,
            ack_deadline: None,
            arm_timer: false,
            timeouts: 0,
        }
    }

    /// Sets the initial ACK timer (a test shortens it so a lost frame comes back quickly; the
    /// default is UG101's 1.6 s). It doubles on each timeout up to twice this value, or
    /// [`ACK_TIMER_MAX`] when that is larger.
    pub fn set_ack_timer(&mut self, initial: Duration) {
        self.ack_timer_init = initial;
        self.t_rx_ack = initial;
    }

    /// Lets the ACK timer run: arms it for frames sent since the last tick, and when it has
    /// expired retransmits every unacknowledged frame (or, after [`MAX_ACK_TIMEOUTS`] in a row,
    /// gives up with ERROR). Call it often (the pty task does every 10 ms).
    pub fn tick(&mut self, now: Instant) {
        if !self.connected || self.unacked.is_empty() {
            self.ack_deadline = None;
            self.arm_timer = false;
            return;
        }
        if self.arm_timer || self.ack_deadline.is_none() {
            self.arm_timer = false;
            self.ack_deadline = Some(now + self.t_rx_ack);
            return;
        }
        if self.ack_deadline.is_some_and(|d| now >= d) {
            self.stats.ack_timeouts += 1;
            self.timeouts = self.timeouts.saturating_add(1);
            if self.timeouts > MAX_ACK_TIMEOUTS {
                tracing::debug!("NCP gives up: its frames were never acknowledged");
                self.send_error(ResetCode::EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT);
                return;
            }
            let max = ACK_TIMER_MAX.max(self.ack_timer_init * 2);
            self.t_rx_ack = (self.t_rx_ack * 2).min(max);
            self.retransmit();
            self.ack_deadline = Some(now + self.t_rx_ack);
            self.arm_timer = false;
        }
    }

    /// The next `frames` DATA transmissions of this side (first ones or retransmissions) go out
    /// with a broken CRC, as line noise would make them.
    pub fn corrupt_outgoing(&mut self, frames: u32) {
        self.faults.corrupt_out = frames;
    }

    /// The next `frames` DATA transmissions of this side are lost on the wire: the host never
    /// sees them, and only this side's ACK timer brings them back.
    pub fn lose_outgoing(&mut self, frames: u32) {
        self.faults.lose_out = frames;
    }

    /// The next DATA transmission of this side is cut after half its bytes (no closing flag),
    /// as when a UART drops the rest of a frame.
    pub fn cut_next_outgoing(&mut self) {
        self.faults.cut_out = true;
    }

    /// The next `frames` DATA frames from the host are treated as if their CRC had been wrong:
    /// refused, NAKed as UG101 says (once per reject condition), not delivered.
    pub fn corrupt_incoming(&mut self, frames: u32) {
        self.faults.corrupt_in = frames;
    }

    /// The next `frames` DATA frames from the host are each answered with a NAK and not
    /// delivered, whatever the reject condition: a storm that only the host's retry limit (and
    /// the link reset after it) ends. A host RST ends the storm too.
    pub fn nak_storm(&mut self, frames: u32) {
        self.faults.storm = frames;
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
        self.t_rx_ack = self.ack_timer_init;
        self.ack_deadline = None;
        self.arm_timer = false;
        self.timeouts = 0;
        self.faults.storm = 0;
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
                if self.faults.corrupt_in > 0 {
                    self.faults.corrupt_in -= 1;
                    self.stats.corrupted_received += 1;
                    self.stats.bad_frames += 1;
                    self.nak();
                    return;
                }
                if self.faults.storm > 0 {
                    self.faults.storm -= 1;
                    self.stats.storm_naks += 1;
                    self.stats.naks_sent += 1;
                    self.ack_owed = false;
                    self.emit(&Frame::Nak {
                        ack_num: self.rx_next,
                        not_ready: false,
                    });
                    return;
                }
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
        self.timeouts = 0;
        self.t_rx_ack = self.ack_timer_init;
        self.ack_deadline = None;
        self.arm_timer = !self.unacked.is_empty();
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
            self.transmit(f, false);
        }
        if !frames.is_empty() {
            self.ack_owed = false;
            self.arm_timer = true;
        }
    }

    /// Writes one DATA frame, unless a fault says it is broken, lost or cut on the way.
    fn transmit(&mut self, data: &Frame, corrupt: bool) {
        if self.faults.lose_out > 0 {
            self.faults.lose_out -= 1;
            self.stats.lost_sent += 1;
            return;
        }
        if corrupt || self.faults.corrupt_out > 0 {
            if !corrupt {
                self.faults.corrupt_out -= 1;
            }
            let mut body = frame::encode_body(data);
            if let Some(crc_low) = body.last_mut() {
                *crc_low ^= 0xFF;
            }
            frame::stuff(&body, &mut self.output);
            self.output.push(FLAG);
            self.stats.corrupted_sent += 1;
            return;
        }
        if self.faults.cut_out {
            self.faults.cut_out = false;
            self.stats.cut_sent += 1;
            let bytes = frame::encode(data);
            self.output.extend_from_slice(&bytes[..bytes.len() / 2]);
            return;
        }
        self.emit(data);
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
            self.transmit(&data, out.corrupt);
            if self.unacked.is_empty() {
                self.arm_timer = true;
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

    #[test]
    fn a_frame_lost_on_the_wire_is_resent_by_the_ncp_ack_timer() {
        let (mut link, mut ncp, t0) = connected();
        ncp.lose_outgoing(1);
        ncp.send(vec![5, 0x80, 0]);
        assert!(ncp.take_output().is_empty(), "lost on the wire");
        ncp.tick(t0);
        ncp.tick(t0 + ACK_TIMER_INIT / 2);
        assert!(ncp.take_output().is_empty(), "not yet due");
        let due = t0 + ACK_TIMER_INIT;
        ncp.tick(due);
        assert_eq!(ncp.stats().ack_timeouts, 1);
        link.on_bytes(due, &ncp.take_output());
        pump(&mut link, &mut ncp, due);
        assert_eq!(received(&mut link), vec![vec![5, 0x80, 0]]);
        ncp.tick(due + ACK_TIMER_MAX * 4);
        assert_eq!(
            ncp.stats().ack_timeouts,
            1,
            "acknowledged: the timer stopped"
        );
    }

    #[test]
    fn frames_corrupted_twice_reach_the_host_through_nak_and_timer() {
        let (mut link, mut ncp, t0) = connected();
        ncp.corrupt_outgoing(2);
        ncp.send(vec![6, 0x80, 0]);
        ncp.tick(t0);
        // First copy: bad CRC, the host NAKs; the resent copy is bad too and the host, in the
        // reject condition, stays silent.
        pump(&mut link, &mut ncp, t0);
        assert!(received(&mut link).is_empty());
        assert_eq!(ncp.stats().naks_received, 1);
        let mut now = t0;
        for _ in 0..3 {
            now += ACK_TIMER_MAX;
            ncp.tick(now);
            pump(&mut link, &mut ncp, now);
        }
        assert_eq!(received(&mut link), vec![vec![6, 0x80, 0]]);
        assert_eq!(ncp.stats().corrupted_sent, 2);
    }

    #[test]
    fn a_host_that_never_acknowledges_gets_an_error_frame() {
        let (mut link, mut ncp, t0) = connected();
        ncp.send(vec![7, 0x80, 0]);
        let _never_read = ncp.take_output();
        let mut now = t0;
        ncp.tick(now);
        for _ in 0..=MAX_ACK_TIMEOUTS {
            now += ACK_TIMER_MAX;
            ncp.tick(now);
        }
        assert_eq!(ncp.stats().ack_timeouts, u32::from(MAX_ACK_TIMEOUTS) + 1);
        assert!(!ncp.is_connected());
        let out = ncp.take_output();
        link.on_bytes(now, &out);
        let events: Vec<Event> = std::iter::from_fn(|| link.next_event()).collect();
        assert!(
            events.contains(&Event::Error(AshError::NcpError {
                version: ASH_VERSION,
                code: ResetCode::EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT
            })),
            "{events:?}"
        );
    }

    #[test]
    fn a_nak_storm_refuses_every_copy_and_ends_with_the_host_reset() {
        let (mut link, mut ncp, t0) = connected();
        ncp.nak_storm(100);
        link.send(t0, vec![8, 0, 0, 0]).expect("send");
        pump(&mut link, &mut ncp, t0);
        let events: Vec<Event> = std::iter::from_fn(|| link.next_event()).collect();
        assert!(
            events.contains(&Event::Error(AshError::TooManyRetries(4))),
            "{events:?}"
        );
        assert_eq!(ncp.next_event(), None, "nothing delivered");
        assert_eq!(
            ncp.stats().storm_naks,
            5,
            "the first copy and four retransmissions"
        );
        link.reset(t0);
        pump(&mut link, &mut ncp, t0);
        assert_eq!(ncp.next_event(), Some(AshNcpEvent::HostReset));
        link.next_event();
        link.send(t0, vec![9, 0, 0, 0]).expect("send");
        pump(&mut link, &mut ncp, t0);
        assert_eq!(ncp.next_event(), Some(AshNcpEvent::Data(vec![9, 0, 0, 0])));
    }

    #[test]
    fn a_host_frame_corrupted_on_the_way_in_is_naked_and_delivered_once_resent() {
        let (mut link, mut ncp, t0) = connected();
        ncp.corrupt_incoming(1);
        link.send(t0, vec![3, 0, 0, 0]).expect("send");
        pump(&mut link, &mut ncp, t0);
        assert_eq!(ncp.next_event(), Some(AshNcpEvent::Data(vec![3, 0, 0, 0])));
        assert_eq!(ncp.next_event(), None);
        assert_eq!(ncp.stats().corrupted_received, 1);
        assert_eq!(ncp.stats().naks_sent, 1);
    }

    #[test]
    fn a_cut_frame_is_refused_by_the_host_and_the_next_copy_gets_through() {
        let (mut link, mut ncp, t0) = connected();
        ncp.cut_next_outgoing();
        ncp.send(vec![4, 0x80, 0]);
        ncp.send(vec![4, 0x81, 0]);
        ncp.tick(t0);
        pump(&mut link, &mut ncp, t0);
        let mut now = t0;
        for _ in 0..3 {
            now += ACK_TIMER_MAX;
            ncp.tick(now);
            pump(&mut link, &mut ncp, now);
        }
        assert_eq!(
            received(&mut link),
            vec![vec![4, 0x80, 0], vec![4, 0x81, 0]]
        );
        assert_eq!(ncp.stats().cut_sent, 1);
    }
}
