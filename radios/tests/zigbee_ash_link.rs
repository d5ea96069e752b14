//! The ASH link state machine driven by hand: bytes and time in, bytes and events out, no
//! sleeps. Where herdsman recorded the exact bytes (RST, RSTACK, version DATA, ACK), the test
//! checks them byte for byte.

use std::time::{Duration, Instant};

use sealhub_radios::zigbee::ash::{
    Config, Decoder, Error, Event, Frame, FrameNum, Link, ResetCode, encode,
};

const MS: Duration = Duration::from_millis(1);

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn n(x: u8) -> FrameNum {
    FrameNum::new(x)
}

/// Decodes what the link wrote, dropping a leading CANCEL.
fn frames(bytes: &[u8]) -> Vec<Frame> {
    Decoder::new()
        .feed(bytes)
        .into_iter()
        .map(|r| r.expect("link wrote a bad frame"))
        .collect()
}

fn events(link: &mut Link) -> Vec<Event> {
    std::iter::from_fn(|| link.next_event()).collect()
}

fn data(frm: u8, re_tx: bool, ack: u8, payload: &[u8]) -> Frame {
    Frame::Data {
        frm_num: n(frm),
        re_tx,
        ack_num: n(ack),
        payload: payload.to_vec(),
    }
}

fn ack(a: u8) -> Frame {
    Frame::Ack {
        ack_num: n(a),
        not_ready: false,
    }
}

fn nak(a: u8) -> Frame {
    Frame::Nak {
        ack_num: n(a),
        not_ready: false,
    }
}

/// A link through the handshake, with the output and events drained.
fn connected(config: Config, t0: Instant) -> Link {
    let mut link = Link::new(config);
    link.reset(t0);
    link.take_output();
    link.on_bytes(t0, &hex("1ac1020b0a527e"));
    assert!(link.is_connected());
    events(&mut link);
    link
}

#[test]
fn handshake_and_first_exchange_match_herdsman_bytes() {
    let t0 = Instant::now();
    let mut link = Link::new(Config::default());
    assert_eq!(link.next_deadline(), None);
    assert_eq!(link.send(t0, vec![0, 0, 0, 13]), Err(Error::NotConnected));
    link.reset(t0);
    // SEND_RST_BYTES: CANCEL + RST.
    assert_eq!(link.take_output(), hex("1ac038bc7e"));
    assert_eq!(link.next_deadline(), Some(t0 + Duration::from_millis(3200)));
    // Frames other than RSTACK are ignored while resetting.
    link.on_bytes(t0, &hex("8160597e"));
    assert!(events(&mut link).is_empty());
    // RECD_RSTACK_BYTES.
    link.on_bytes(t0 + 10 * MS, &hex("1ac1020b0a527e"));
    assert_eq!(
        events(&mut link),
        vec![Event::Connected {
            version: 2,
            reset_code: ResetCode::SOFTWARE
        }]
    );
    assert!(link.take_output().is_empty());
    assert_eq!(link.next_deadline(), None);
    // SEND_DATA_VERSION: DATA(0,0,0) carrying version(13).
    link.send(t0 + 20 * MS, vec![0, 0, 0, 13]).unwrap();
    assert_eq!(link.take_output(), hex("004221a8597c057e"));
    assert_eq!(
        link.next_deadline(),
        Some(t0 + 20 * MS + Duration::from_millis(1600))
    );
    // RCED_DATA_VERSION: DATA frm 0 ack 1 -> delivered, answered with SEND_ACK_FIRST_BYTES.
    link.on_bytes(t0 + 120 * MS, &hex("0142a1a8592805c6a8777e"));
    assert_eq!(
        events(&mut link),
        vec![Event::Received(hex("0080000d021074"))]
    );
    assert_eq!(link.take_output(), hex("8160597e"));
    assert_eq!(link.next_deadline(), None, "frame 0 acked, timer stopped");
    // Adaptive timer: 7/8 * 1.6 s + 1/2 * 100 ms = 1.45 s.
    assert_eq!(link.ack_timer(), Duration::from_millis(1450));
}

#[test]
fn window_fills_at_tx_k_and_drains_on_ack() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    for i in 0..5u8 {
        link.send(t0, vec![i; 3]).unwrap();
    }
    let out = frames(&link.take_output());
    assert_eq!(
        out,
        vec![
            data(0, false, 0, &[0; 3]),
            data(1, false, 0, &[1; 3]),
            data(2, false, 0, &[2; 3])
        ]
    );
    // ACK(2) acknowledges frames 0 and 1: two slots free up.
    link.on_bytes(t0 + MS, &encode(&ack(2)));
    assert_eq!(
        frames(&link.take_output()),
        vec![data(3, false, 0, &[3; 3]), data(4, false, 0, &[4; 3])]
    );
    // An ackNum outside the window (frame 6 never sent) is ignored.
    link.on_bytes(t0 + MS, &encode(&ack(7)));
    assert!(link.take_output().is_empty());
    assert!(link.next_deadline().is_some());
    link.on_bytes(t0 + 2 * MS, &encode(&ack(5)));
    assert_eq!(link.next_deadline(), None);
}

#[test]
fn tx_k_is_configurable_and_bounded_queue_refuses() {
    let t0 = Instant::now();
    let config = Config {
        tx_k: 1,
        max_queued: 2,
        ..Config::default()
    };
    let mut link = connected(config, t0);
    link.send(t0, vec![1; 3]).unwrap(); // goes out
    link.send(t0, vec![2; 3]).unwrap(); // queued
    link.send(t0, vec![3; 3]).unwrap(); // queued
    assert_eq!(link.send(t0, vec![4; 3]), Err(Error::QueueFull(2)));
    assert_eq!(frames(&link.take_output()).len(), 1);
    assert_eq!(
        link.send(t0, vec![0; 2]),
        Err(Error::PayloadLength {
            len: 2,
            min: 3,
            max: 220
        })
    );
}

#[test]
fn nak_retransmits_every_unacked_frame_with_retx() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    link.send(t0, vec![1; 3]).unwrap();
    link.send(t0, vec![2; 3]).unwrap();
    link.send(t0, vec![3; 3]).unwrap();
    link.take_output();
    // NAK(1): frame 0 is acknowledged, 1 and 2 go again with reTx.
    link.on_bytes(t0 + MS, &encode(&nak(1)));
    assert_eq!(
        frames(&link.take_output()),
        vec![data(1, true, 0, &[2; 3]), data(2, true, 0, &[3; 3])]
    );
    link.on_bytes(t0 + 2 * MS, &encode(&ack(3)));
    assert_eq!(link.next_deadline(), None);
    assert!(events(&mut link).is_empty());
}

#[test]
fn ack_timeout_retransmits_and_doubles_the_timer_then_gives_up() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    link.send(t0, vec![7; 4]).unwrap();
    link.take_output();
    let first = t0 + Duration::from_millis(1600);
    assert_eq!(link.next_deadline(), Some(first));
    link.tick(first - MS);
    assert!(link.take_output().is_empty(), "nothing before the deadline");
    link.tick(first);
    assert_eq!(frames(&link.take_output()), vec![data(0, true, 0, &[7; 4])]);
    assert_eq!(link.ack_timer(), Duration::from_millis(3200));
    // Retries 2..=4 at each deadline, then the fifth timeout fails the link.
    for _ in 2..=4 {
        let d = link.next_deadline().unwrap();
        link.tick(d);
        assert_eq!(frames(&link.take_output()), vec![data(0, true, 0, &[7; 4])]);
    }
    let d = link.next_deadline().unwrap();
    link.tick(d);
    assert!(link.take_output().is_empty());
    assert_eq!(
        events(&mut link),
        vec![Event::Error(Error::TooManyRetries(4))]
    );
    assert!(!link.is_connected());
    assert_eq!(link.next_deadline(), None);
    assert_eq!(link.send(d, vec![0; 3]), Err(Error::NotConnected));
}

#[test]
fn retransmitted_frames_are_not_measured_and_fast_acks_reach_the_floor() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    link.send(t0, vec![1; 3]).unwrap();
    link.tick(t0 + Duration::from_millis(1600));
    link.take_output();
    assert_eq!(link.ack_timer(), Duration::from_millis(3200));
    link.on_bytes(t0 + Duration::from_millis(1700), &encode(&ack(1)));
    // Karn: the ack of a retransmitted frame leaves the timer alone.
    assert_eq!(link.ack_timer(), Duration::from_millis(3200));
    // Fast acks pull the timer down to its 0.4 s floor.
    let mut now = t0 + Duration::from_secs(2);
    for i in 1..40u8 {
        link.send(now, vec![i; 3]).unwrap();
        link.take_output();
        now += MS;
        link.on_bytes(now, &encode(&ack(i.wrapping_add(1))));
    }
    assert_eq!(link.ack_timer(), Duration::from_millis(400));
}

#[test]
fn piggy_backed_ack_replaces_a_separate_ack_frame() {
    let t0 = Instant::now();
    let mut link = connected(
        Config {
            tx_k: 1,
            ..Config::default()
        },
        t0,
    );
    link.send(t0, vec![1; 3]).unwrap();
    link.send(t0, vec![2; 3]).unwrap();
    assert_eq!(
        frames(&link.take_output()),
        vec![data(0, false, 0, &[1; 3])]
    );
    // The NCP answers with DATA frm 0, ack 1: frame 0 done, the host's frame 1 carries ack 1.
    link.on_bytes(t0 + MS, &encode(&data(0, false, 1, &[9; 5])));
    assert_eq!(events(&mut link), vec![Event::Received(vec![9; 5])]);
    assert_eq!(
        frames(&link.take_output()),
        vec![data(1, false, 1, &[2; 3])]
    );
}

#[test]
fn duplicate_retransmitted_data_is_acked_but_not_delivered_twice() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    // RCED_DATA_RETRY: a reTx frame 0 that is new to us is delivered.
    link.on_bytes(
        t0,
        &hex("0eafb1a96b2a7d334fa674eb04aaa760499d4e27cdd9ce6192f2c46989fcfb817e"),
    );
    assert_eq!(
        events(&mut link),
        vec![Event::Received(hex(
            "ed90013f0006fdffe0a12100f2f20001000066340006190f020a0000"
        ))]
    );
    assert_eq!(frames(&link.take_output()), vec![ack(1)]);
    // The same frame again (our ACK was lost): re-acked, not delivered.
    link.on_bytes(
        t0 + MS,
        &hex("0eafb1a96b2a7d334fa674eb04aaa760499d4e27cdd9ce6192f2c46989fcfb817e"),
    );
    assert!(events(&mut link).is_empty());
    assert_eq!(frames(&link.take_output()), vec![ack(1)]);
}

#[test]
fn bad_or_out_of_sequence_frames_get_one_nak_until_the_expected_frame() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    // RCED_DATA_WITH_CRC_ERROR -> NAK(0).
    link.on_bytes(
        t0,
        &hex("b658904124ab5593499cdd93623cd29874f5de5083f97b1e66efc9af417e"),
    );
    assert!(matches!(
        events(&mut link)[..],
        [Event::BadFrame(Error::Crc { .. })]
    ));
    assert_eq!(frames(&link.take_output()), vec![nak(0)]);
    // Out-of-sequence frame 1 while rejecting: silently dropped.
    link.on_bytes(t0 + MS, &encode(&data(1, false, 0, &[1; 3])));
    assert!(events(&mut link).is_empty());
    assert!(link.take_output().is_empty());
    // The expected frame 0 (retransmitted) clears the reject condition.
    link.on_bytes(t0 + 2 * MS, &encode(&data(0, true, 0, &[0; 3])));
    assert_eq!(events(&mut link), vec![Event::Received(vec![0; 3])]);
    assert_eq!(frames(&link.take_output()), vec![ack(1)]);
    // Out of sequence again (frame 2 while expecting 1, not a retransmission): one NAK.
    link.on_bytes(t0 + 3 * MS, &encode(&data(2, false, 0, &[2; 3])));
    assert_eq!(frames(&link.take_output()), vec![nak(1)]);
    // A cancelled partial frame is reported but not NAKed.
    link.on_bytes(t0 + 4 * MS, &[0x10, 0x42, 0x1a]);
    assert_eq!(events(&mut link), vec![Event::BadFrame(Error::Cancelled)]);
    assert!(link.take_output().is_empty());
}

#[test]
fn ncp_error_and_unexpected_rstack_take_the_link_down() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    link.send(t0, vec![1; 3]).unwrap();
    // RECD_ERROR_ACK_TIMEOUT_BYTES.
    link.on_bytes(t0 + MS, &hex("c20251a8bd7e"));
    assert_eq!(
        events(&mut link),
        vec![Event::Error(Error::NcpError {
            version: 2,
            code: ResetCode::EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT
        })]
    );
    assert!(!link.is_connected());
    assert_eq!(link.next_deadline(), None);

    let mut link = connected(Config::default(), t0);
    link.on_bytes(t0 + MS, &hex("c102029b7b7e"));
    assert_eq!(
        events(&mut link),
        vec![Event::Reset {
            code: ResetCode::POWER_ON
        }]
    );
    assert!(!link.is_connected());
    // reset() brings it back with fresh numbering.
    link.reset(t0 + 2 * MS);
    assert_eq!(link.take_output(), hex("1ac038bc7e"));
    link.on_bytes(t0 + 3 * MS, &hex("c1020b0a527e"));
    link.send(t0 + 4 * MS, vec![0, 0, 0, 13]).unwrap();
    assert_eq!(link.take_output(), hex("004221a8597c057e"));
}

#[test]
fn rstack_timeout_retries_rst_then_fails() {
    let t0 = Instant::now();
    let mut link = Link::new(Config::default());
    link.reset(t0);
    link.take_output();
    for attempt in 2..=3 {
        let d = link.next_deadline().unwrap();
        link.tick(d);
        assert_eq!(link.take_output(), hex("1ac038bc7e"), "attempt {attempt}");
    }
    let d = link.next_deadline().unwrap();
    link.tick(d);
    assert_eq!(events(&mut link), vec![Event::Error(Error::ResetTimeout)]);
    assert_eq!(link.next_deadline(), None);
}

#[test]
fn rstack_with_another_ash_version_is_refused() {
    let t0 = Instant::now();
    let mut link = Link::new(Config::default());
    link.reset(t0);
    link.on_frame(
        t0,
        Ok(Frame::RstAck {
            version: 3,
            code: ResetCode::SOFTWARE,
        }),
    );
    assert_eq!(
        events(&mut link),
        vec![Event::Error(Error::UnsupportedVersion(3))]
    );
    assert!(!link.is_connected());
}

#[test]
fn frame_numbers_wrap_modulo_8() {
    let t0 = Instant::now();
    let mut link = connected(Config::default(), t0);
    for i in 0..20u8 {
        link.send(t0, vec![i; 3]).unwrap();
        assert_eq!(
            frames(&link.take_output()),
            vec![data(i % 8, false, i % 8, &[i; 3])]
        );
        link.on_bytes(t0, &encode(&data(i % 8, false, (i + 1) % 8, &[i; 4])));
        assert_eq!(events(&mut link), vec![Event::Received(vec![i; 4])]);
        assert_eq!(frames(&link.take_output()), vec![ack((i + 1) % 8)]);
    }
}
