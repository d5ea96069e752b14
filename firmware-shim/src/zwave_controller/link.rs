//! The stick's side of Serial API framing, written apart from the host's
//! [`sealhub_radios::zwave::serial::machine`]: it shares only the byte-level frame types.
//!
//! Inbound, every data frame from the host is surfaced for the layer above to ACK (or not, or
//! CAN it: that is where overrides act); a frame with a bad checksum is NAKed here. Outbound,
//! frames for the host go one at a time: each waits for the host's ACK, and is sent again after
//! a NAK, a CAN or [`LinkConfig::ack_timeout_ticks`] without an answer, up to
//! [`LinkConfig::max_attempts`] times, as a real controller does. Time is counted in ticks.

use std::collections::VecDeque;

use sealhub_radios::zwave::serial::frame::{self, DataFrame, Frame, FrameDecoder, Received};

/// Timing of the stick's own retransmissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// Ticks to wait for the host's ACK before sending a frame again.
    pub ack_timeout_ticks: u32,
    /// Attempts per frame before it is dropped.
    pub max_attempts: u8,
}

impl Default for LinkConfig {
    fn default() -> Self {
        // 1600 ms at the default 10 ms tick, as INS12350 gives the host.
        Self {
            ack_timeout_ticks: 160,
            max_attempts: 3,
        }
    }
}

/// Counters a test asserts on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Intact data frames from the host.
    pub frames_received: u64,
    /// Data frames from the host with a bad checksum (each NAKed).
    pub naks_sent: u64,
    /// ACKs the stick sent.
    pub acks_sent: u64,
    /// CANs the stick sent instead of an ACK.
    pub cans_sent: u64,
    /// Data frames sent to the host, first attempts only.
    pub frames_sent: u64,
    /// Frames sent with a deliberately broken checksum.
    pub corrupted_sent: u64,
    /// Retransmissions after a NAK, CAN or missing ACK.
    pub retransmitted: u64,
    /// NAKs from the host.
    pub naks_received: u64,
    /// Frames given up after the last attempt.
    pub dropped: u64,
}

#[derive(Debug)]
struct Outgoing {
    frame: DataFrame,
    corrupt: bool,
}

#[derive(Debug)]
struct InFlight {
    frame: DataFrame,
    attempts: u8,
    ticks_left: u32,
}

/// The stick's framing; see the module docs.
#[derive(Debug, Default)]
pub struct StickLink {
    config: LinkConfig,
    decoder: FrameDecoder,
    queue: VecDeque<Outgoing>,
    in_flight: Option<InFlight>,
    output: Vec<u8>,
    stats: LinkStats,
}

impl StickLink {
    /// A link with nothing queued.
    pub fn new(config: LinkConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Feeds bytes from the host; returns the intact data frames, for the caller to answer
    /// with [`StickLink::ack`] or [`StickLink::can`].
    pub fn on_bytes(&mut self, bytes: &[u8]) -> Vec<DataFrame> {
        let mut frames = Vec::new();
        for item in self.decoder.push(bytes) {
            match item {
                Received::Frame(Frame::Data(data)) => {
                    self.stats.frames_received += 1;
                    frames.push(data);
                }
                Received::Frame(Frame::Ack) => {
                    if self.in_flight.take().is_some() {
                        self.send_next();
                    }
                }
                Received::Frame(Frame::Nak | Frame::Can) => {
                    if matches!(item, Received::Frame(Frame::Nak)) {
                        self.stats.naks_received += 1;
                    }
                    self.retry();
                }
                Received::Corrupt(e) => {
                    tracing::debug!("emulated controller: corrupt frame from the host: {e}");
                    self.stats.naks_sent += 1;
                    self.output.push(frame::NAK);
                }
                Received::Garbage(n) => tracing::debug!("emulated controller: {n} garbage bytes"),
            }
        }
        frames
    }

    /// Acknowledges the data frame just received.
    pub fn ack(&mut self) {
        self.stats.acks_sent += 1;
        self.output.push(frame::ACK);
    }

    /// Refuses the data frame just received with CAN (as when it collided with ours).
    pub fn can(&mut self) {
        self.stats.cans_sent += 1;
        self.output.push(frame::CAN);
    }

    /// Queues a frame for the host; `corrupt` breaks the checksum of its first attempt.
    pub fn send(&mut self, frame: DataFrame, corrupt: bool) {
        self.queue.push_back(Outgoing { frame, corrupt });
        if self.in_flight.is_none() {
            self.send_next();
        }
    }

    /// Writes raw bytes, outside any frame.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }

    /// One tick passes: a frame without an ACK for too long goes again.
    pub fn tick(&mut self) {
        let expired = match &mut self.in_flight {
            Some(f) => {
                f.ticks_left = f.ticks_left.saturating_sub(1);
                f.ticks_left == 0
            }
            None => false,
        };
        if expired {
            self.retry();
        }
    }

    /// Bytes for the host.
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.output)
    }

    /// The counters.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Forgets queued and unacknowledged frames (the chip restarted).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.in_flight = None;
        self.decoder = FrameDecoder::new();
    }

    fn send_next(&mut self) {
        let Some(next) = self.queue.pop_front() else {
            return;
        };
        self.stats.frames_sent += 1;
        let mut bytes = next.frame.encode();
        if next.corrupt {
            self.stats.corrupted_sent += 1;
            if let Some(chk) = bytes.last_mut() {
                *chk ^= 0xFF;
            }
        }
        self.output.extend_from_slice(&bytes);
        self.in_flight = Some(InFlight {
            frame: next.frame,
            attempts: 1,
            ticks_left: self.config.ack_timeout_ticks,
        });
    }

    fn retry(&mut self) {
        let Some(mut f) = self.in_flight.take() else {
            return;
        };
        if f.attempts >= self.config.max_attempts {
            self.stats.dropped += 1;
            tracing::debug!(
                function = f.frame.function(),
                "emulated controller gives up"
            );
            self.send_next();
            return;
        }
        f.attempts += 1;
        f.ticks_left = self.config.ack_timeout_ticks;
        self.stats.retransmitted += 1;
        self.output.extend_from_slice(&f.frame.encode());
        self.in_flight = Some(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        DataFrame::response(0x20, vec![1, 2, 3, 4, 1]).expect("frame")
    }

    #[test]
    fn frames_wait_for_ack_and_a_corrupt_one_is_sent_intact_after_the_nak() {
        let mut link = StickLink::new(LinkConfig::default());
        link.send(frame(), true);
        link.send(frame(), false);
        let first = link.take_output();
        assert!(
            DataFrame::decode(&first).is_err(),
            "first attempt corrupted"
        );
        link.on_bytes(&[frame::NAK]);
        assert_eq!(link.take_output(), frame().encode(), "resent intact");
        link.on_bytes(&[frame::ACK]);
        assert_eq!(link.take_output(), frame().encode(), "then the next one");
        link.on_bytes(&[frame::ACK]);
        assert!(link.take_output().is_empty());
        let s = link.stats();
        assert_eq!(
            (s.naks_received, s.retransmitted, s.corrupted_sent),
            (1, 1, 1)
        );
    }

    #[test]
    fn an_unacknowledged_frame_is_retried_then_dropped() {
        let config = LinkConfig {
            ack_timeout_ticks: 2,
            max_attempts: 2,
        };
        let mut link = StickLink::new(config);
        link.send(frame(), false);
        link.take_output();
        link.tick();
        assert!(link.take_output().is_empty());
        link.tick();
        assert_eq!(link.take_output(), frame().encode());
        link.tick();
        link.tick();
        assert!(link.take_output().is_empty());
        assert_eq!(link.stats().dropped, 1);
    }

    #[test]
    fn a_bad_checksum_from_the_host_is_naked() {
        let mut link = StickLink::new(LinkConfig::default());
        let mut bytes = DataFrame::request(0x15, vec![]).expect("frame").encode();
        if let Some(chk) = bytes.last_mut() {
            *chk ^= 1;
        }
        assert!(link.on_bytes(&bytes).is_empty());
        assert_eq!(link.take_output(), vec![frame::NAK]);
    }
}
