//! Faults on the wire between the Zigbee driver and the emulated stick, end to end over real
//! ptys: CRC errors in both directions, frames lost or cut on the wire (brought back by the
//! stick's own ACK timer), NAK storms short and endless, the stick resetting while it writes an
//! answer, an ERROR frame, and line noise with CANCEL and SUBSTITUTE bytes. After each fault the
//! command either completes or fails with a typed error, and commands after recovery work.
//!
//! `zigbee_driver.rs` already covers one corrupted answer, a reset instead of an answer, a mute
//! stick and a burst of garbage; these go further (several faults in a row, the NCP side's timer,
//! the recovery paths of the link).
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging; no
//! assertion is about speed.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, EzspFrameFromHost, NcpConfig, Override};
use firmware_shim::test_time::scaled;
use sealhub_radios::zigbee::ash::{self, ResetCode};
use sealhub_radios::zigbee::driver::{DriverConfig, Error, NetworkInfo, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::ezsp::commands::networking::PermitJoining;
use sealhub_radios::zigbee::ezsp::{Command, Response};
use tokio::time::timeout;

mod support;
use support::Events;

const PERMIT_JOINING: u16 = 0x0022;
/// Generous bound for anything that should take well under a second (a guard against a hang;
/// multiplied by `SEALHUB_TEST_TIME_SCALE`).
fn soon() -> Duration {
    scaled(Duration::from_secs(20))
}

/// The stick's ACK timer in these tests: shorter than UG101's, so a lost frame comes back in a
/// second or two, yet far above a loaded machine's pty round trip (the 400 ms used before
/// retransmitted spuriously when eight builds shared two cores). Scaled with every other timer
/// here, so on a slower machine the whole exchange slows down together: no assertion counts on
/// one timer firing before another by a margin the machine's load could eat.
fn ncp_ack_timer() -> Duration {
    scaled(Duration::from_millis(1600))
}

/// Host ASH timers shorter than UG101's (a link that must give up does so in a few seconds
/// instead of ~15 s), yet four times what they were, so that a loaded machine's pty round trip
/// does not use up the retransmission budget; a command timeout long enough for the stick's
/// timer to bring a lost frame back. All multiplied by `SEALHUB_TEST_TIME_SCALE`.
fn driver_config() -> DriverConfig {
    DriverConfig {
        command_timeout: scaled(Duration::from_secs(8)),
        ready_timeout: scaled(Duration::from_secs(10)),
        callback_timeout: scaled(Duration::from_secs(10)),
        ash: ash::Config {
            ack_timer_init: scaled(Duration::from_millis(1200)),
            ack_timer_min: scaled(Duration::from_millis(600)),
            ack_timer_max: scaled(Duration::from_millis(2400)),
            rstack_timeout: scaled(Duration::from_millis(2400)),
            ..ash::Config::default()
        },
        device_timeout: scaled(DriverConfig::default().device_timeout),
        ..support::driver_config()
    }
}

/// A started stick on a fresh emulator with a short ACK timer of its own.
async fn started(dir: &Path) -> (EmulatorHandle, ZigbeeStick, Events, NetworkInfo) {
    let (path, emu) = support::emulator(dir, "ezsp-stick", NcpConfig::default()).await;
    emu.with_stick(|s| s.ash_mut().set_ack_timer(ncp_ack_timer()));
    let (stick, events) = support::open(&path, driver_config()).await;
    let network = support::start_within(&stick, soon()).await;
    (emu, stick, events, network)
}

/// The next event matching `want`, skipping others; panics after `soon()`.
async fn event(events: &mut Events, want: impl Fn(&RadioEvent) -> bool) -> RadioEvent {
    support::event_within(events, soon(), want).await
}

/// An override that applies `once` to the first `permitJoining` and defaults otherwise.
fn first_permit_joining(once: Override) -> impl FnMut(&EzspFrameFromHost) -> Override + Send {
    let mut used = false;
    move |frame| {
        if !used && frame.frame_id() == Some(PERMIT_JOINING) {
            used = true;
            once.clone()
        } else {
            Override::Default
        }
    }
}

/// `permit_join(seconds)` succeeds and reaches the stick.
async fn permit_join_works(emu: &EmulatorHandle, stick: &ZigbeeStick, seconds: u8) {
    // One EZSP command (`permitJoining` alone: `ZigbeeStick::permit_join` also broadcasts to
    // the routers), so the tests can count the data frames it takes.
    let command = Command::PermitJoining(PermitJoining { duration: seconds });
    match timeout(soon(), stick.command(command))
        .await
        .expect("no hang")
        .expect("the command succeeds")
    {
        Response::PermitJoining(r) => assert!(r.status.is_ok(), "{r:?}"),
        other => panic!("unexpected answer {other:?}"),
    }
    assert_eq!(
        emu.with_stick(|s| s.ncp().permit_join_seconds()),
        seconds,
        "the command reached the stick"
    );
}

#[tokio::test]
async fn crc_errors_in_both_directions_are_naked_resent_and_the_command_succeeds() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events, _) = started(dir.path()).await;
    let before = emu.with_stick(|s| s.ash_stats());

    // The host's command is hit on the way in, then the stick's answer twice on the way out:
    // the stick NAKs the first, the driver NAKs the second answer and stays silent on the third
    // (UG101's reject condition), so the stick's own timer must resend it.
    emu.with_stick(|s| {
        s.ash_mut().corrupt_incoming(1);
        s.ash_mut().corrupt_outgoing(2);
    });
    permit_join_works(&emu, &stick, 60).await;

    let after = emu.with_stick(|s| s.ash_stats());
    assert_eq!(after.corrupted_received - before.corrupted_received, 1);
    assert!(after.naks_sent > before.naks_sent, "the stick NAKed");
    assert_eq!(after.corrupted_sent - before.corrupted_sent, 2);
    assert!(
        after.naks_received > before.naks_received,
        "the driver NAKed"
    );
    assert!(after.retransmitted >= before.retransmitted + 2);
    assert_eq!(
        after.data_delivered - before.data_delivered,
        1,
        "the command reached the NCP exactly once"
    );
    assert_eq!(after.rst_received, before.rst_received, "no link reset");

    // And the link stays in step.
    permit_join_works(&emu, &stick, 0).await;
}

#[tokio::test]
async fn a_frame_lost_on_the_wire_is_resent_by_the_stick_timer() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events, _) = started(dir.path()).await;
    let before = emu.with_stick(|s| s.ash_stats());

    // The answer and whatever follows it (a callback, or the first copy the timer resends) are
    // lost: no later frame can show the driver a gap to NAK, so only the stick's timer helps.
    emu.with_stick(|s| s.ash_mut().lose_outgoing(2));
    permit_join_works(&emu, &stick, 60).await;

    let after = emu.with_stick(|s| s.ash_stats());
    assert_eq!(after.lost_sent - before.lost_sent, 2);
    assert!(
        after.ack_timeouts > before.ack_timeouts,
        "the stick's timer fired"
    );
    assert!(after.retransmitted > before.retransmitted, "and it resent");
    assert_eq!(after.rst_received, before.rst_received, "no link reset");
}

#[tokio::test]
async fn a_short_nak_storm_is_ridden_out_within_the_retry_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events, _) = started(dir.path()).await;
    let before = emu.with_stick(|s| s.ash_stats());

    // Three NAKs in a row: under the driver's limit of four retransmission rounds.
    emu.with_stick(|s| s.ash_mut().nak_storm(3));
    permit_join_works(&emu, &stick, 60).await;

    let after = emu.with_stick(|s| s.ash_stats());
    assert_eq!(after.storm_naks - before.storm_naks, 3);
    assert_eq!(after.data_delivered - before.data_delivered, 1);
    assert_eq!(after.rst_received, before.rst_received, "no link reset");
}

#[tokio::test]
async fn an_endless_nak_storm_makes_the_driver_reset_the_link_and_commands_work_after() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events, network) = started(dir.path()).await;
    let before = emu.with_stick(|s| s.ash_stats());

    emu.with_stick(|s| s.ash_mut().nak_storm(u32::MAX));
    let err = timeout(soon(), stick.permit_join(60))
        .await
        .expect("the command fails, it does not hang")
        .expect_err("no frame gets through the storm");
    assert!(
        matches!(err, Error::Link(ash::Error::TooManyRetries(_))),
        "{err:?}"
    );
    assert!(matches!(
        event(&mut events, |e| matches!(e, RadioEvent::LinkFailed(_))).await,
        RadioEvent::LinkFailed(ash::Error::TooManyRetries(_))
    ));
    // The driver's RST ends the storm; it negotiates again and resumes the network.
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    permit_join_works(&emu, &stick, 60).await;

    let after = emu.with_stick(|s| s.ash_stats());
    assert_eq!(
        after.storm_naks - before.storm_naks,
        5,
        "the first copy and the four retransmissions"
    );
    assert!(after.rst_received > before.rst_received);
}

#[tokio::test]
async fn a_reset_while_the_stick_writes_its_answer_is_found_by_the_next_command() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events, network) = started(dir.path()).await;
    let rst_before = emu.with_stick(|s| s.ash_stats().rst_received);

    // The stick has acknowledged the command (a bare ACK) and starts its answer; half the frame
    // goes out, then (no closing flag) the unprompted RSTACK. The driver's decoder sees one
    // broken frame and never the RSTACK: like a host on a real stick, it cannot tell a reset
    // from a lost answer, and the command times out.
    emu.set_override(first_permit_joining(Override::ResetMidAnswer(
        ResetCode::WATCHDOG,
    )));
    let err = timeout(soon(), stick.permit_join(60))
        .await
        .expect("the command fails, it does not hang")
        .expect_err("the answer never arrived whole");
    assert!(
        matches!(
            err,
            Error::Timeout {
                frame_id: PERMIT_JOINING
            }
        ),
        "{err:?}"
    );
    // The next command finds out: the rebooted stick's ASH numbering starts again, it refuses
    // the driver's frame as out of sequence, the driver's retransmissions get nowhere and the
    // link gives up; the driver resets it and resumes the network.
    let err = timeout(soon(), stick.permit_join(60))
        .await
        .expect("the command fails, it does not hang")
        .expect_err("the stick lost its link state");
    assert!(
        matches!(err, Error::Link(ash::Error::TooManyRetries(_))),
        "{err:?}"
    );
    assert!(matches!(
        event(&mut events, |e| matches!(e, RadioEvent::LinkFailed(_))).await,
        RadioEvent::LinkFailed(ash::Error::TooManyRetries(_))
    ));
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    permit_join_works(&emu, &stick, 60).await;
    assert!(emu.with_stick(|s| s.ash_stats().rst_received) > rst_before);
}

#[tokio::test]
async fn a_reset_during_a_send_queued_behind_others_fails_only_the_one_in_flight() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events, network) = started(dir.path()).await;

    emu.set_override(first_permit_joining(Override::Reset(ResetCode::ASSERT)));
    // Three callers at once: the first command is in flight when the stick resets; the others
    // wait in the driver's queue and either run after the restart or fail with a typed error.
    let (a, b, c) = tokio::join!(
        timeout(soon(), stick.permit_join(60)),
        timeout(soon(), stick.permit_join(50)),
        timeout(soon(), stick.permit_join(40)),
    );
    let results = [
        a.expect("no hang"),
        b.expect("no hang"),
        c.expect("no hang"),
    ];
    let reset_failures = results
        .iter()
        .filter(|r| matches!(r, Err(Error::StickReset(ResetCode::ASSERT))))
        .count();
    assert_eq!(reset_failures, 1, "{results:?}");
    for r in &results {
        assert!(
            matches!(r, Ok(()) | Err(Error::StickReset(_) | Error::NotReady)),
            "{r:?}"
        );
    }
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickReset(_))).await,
        RadioEvent::StickReset(ResetCode::ASSERT)
    );
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    permit_join_works(&emu, &stick, 30).await;
}

#[tokio::test]
async fn an_error_frame_from_the_stick_makes_the_driver_reset_the_link() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events, network) = started(dir.path()).await;

    emu.with_stick(|s| {
        s.ash_mut()
            .send_error(ResetCode::EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT)
    });
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::LinkFailed(_))).await,
        RadioEvent::LinkFailed(ash::Error::NcpError {
            version: 2,
            code: ResetCode::EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT
        })
    );
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    permit_join_works(&emu, &stick, 60).await;
}

#[tokio::test]
async fn cut_frames_garbage_cancel_and_substitute_resynchronise() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events, _) = started(dir.path()).await;
    let before = emu.with_stick(|s| s.ash_stats());

    // A cut answer with nothing after it: only the stick's timer can bring it back, and its
    // copy first has to flush the cut bytes out of the driver's decoder.
    emu.with_stick(|s| s.ash_mut().cut_next_outgoing());
    permit_join_works(&emu, &stick, 60).await;

    // A cut answer followed straight away by noise: a CANCEL-terminated fragment, a byte
    // stuffed wrongly, a SUBSTITUTE (UART error) inside a frame, and bytes with no flag at all
    // before the next real frame.
    emu.with_stick(|s| s.ash_mut().cut_next_outgoing());
    emu.send_raw(&[
        0x12, 0x34, 0x1A, 0x7D, 0x7E, 0x21, 0x18, 0x45, 0x7E, 0xFF, 0x00,
    ]);
    permit_join_works(&emu, &stick, 20).await;

    // Noise on its own, between commands.
    emu.send_raw(&[0x1A, 0x1A, 0x7E, 0x7E, 0x18, 0x7E, 0x55, 0xAA]);
    permit_join_works(&emu, &stick, 0).await;

    let after = emu.with_stick(|s| s.ash_stats());
    assert_eq!(after.cut_sent - before.cut_sent, 2);
    assert_eq!(
        after.rst_received, before.rst_received,
        "no link reset needed"
    );
    assert_eq!(
        after.data_delivered - before.data_delivered,
        3,
        "each command reached the NCP exactly once"
    );
}
