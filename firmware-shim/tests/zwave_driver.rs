//! The Z-Wave driver (`sealhub_radios::zwave::driver`) against the emulated controller, end to
//! end over real ptys: the driver opens the pty's slave through a symlink exactly as it would
//! open `/dev/serial/by-id/...`, and the emulator's overrides make single messages go wrong.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging;
//! the bounds and the driver's timeouts are generous guards, multiplied by
//! `SEALHUB_TEST_TIME_SCALE` ([`firmware_shim::test_time`]), and none decides an outcome by how
//! long something took: a fault's handling is read from the driver's link counters or the
//! emulator's record of what it received.

use std::path::Path;
use std::time::Duration;

use firmware_shim::zwave_controller::{EmulatorHandle, Override, SimNode};
use sealhub_radios::zwave::cc::CommandClassFrame;
use sealhub_radios::zwave::driver::{Awaited, Error, LibraryType, RadioEvent, Submitted};
use sealhub_radios::zwave::s2::SecurityClass;
use sealhub_radios::zwave::serial::messages::inclusion::AddNodeMode;
use sealhub_radios::zwave::serial::messages::transmit::SendDataResponse;
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};
use tokio::time::timeout;

mod support;
use support::zwave::{self, Bench, Told, driver_config, event, soon};

const HOME_ID: u32 = 0xC0FF_EE42;
/// Binary Switch Set on / Get / Report on.
const SWITCH_ON: [u8; 3] = [0x25, 0x01, 0xFF];
const SWITCH_GET: [u8; 2] = [0x25, 0x02];
const SWITCH_REPORT_ON: [u8; 3] = [0x25, 0x03, 0xFF];

/// A started stick on a fresh emulator, with `nodes` in its network beforehand.
async fn started(dir: &Path, nodes: Vec<SimNode>) -> Bench {
    zwave::started(dir, HOME_ID, nodes, Told::Nothing, driver_config()).await
}

/// An override that applies `once` to the first SendData and defaults otherwise.
fn first_send_data(once: Override) -> impl FnMut(&HostMessage) -> Override + Send {
    let mut used = false;
    move |message| {
        if !used && matches!(message, HostMessage::SendData(_)) {
            used = true;
            once.clone()
        } else {
            Override::Default
        }
    }
}

fn send_data_count(emu: &EmulatorHandle) -> usize {
    emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|m| matches!(m, HostMessage::SendData(_)))
            .count()
    })
}

/// The event for a frame a node sent in the clear or under `security`, from its root device.
fn from_node(node: u16, payload: &[u8], security: Option<SecurityClass>) -> RadioEvent {
    RadioEvent::Report {
        node,
        endpoint: 0,
        security,
        report: CommandClassFrame::decode(payload).expect("a valid frame"),
    }
}

#[tokio::test]
async fn start_reads_the_controller_and_its_node_list() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(
        dir.path(),
        vec![SimNode::binary_switch(), SimNode::sleeping_sensor()],
    )
    .await;
    assert_eq!(b.info.home_id, HOME_ID);
    assert_eq!(b.info.node_id, 1);
    assert_eq!(b.info.nodes, [1, 2, 3]);
    assert_eq!(b.info.sdk_version, "7.18");
    assert_eq!(b.info.library, LibraryType::StaticController);
    assert_eq!(b.info.firmware_version, (7, 18));
    assert_eq!(b.info.manufacturer_id, 0x0086);
    assert!(b.info.is_primary && b.info.is_suc);
    assert!(b.info.tx_status_report, "SetTxStatusReport was supported");

    let received = b.emu.with_stick(|s| s.received().to_vec());
    assert_eq!(
        received.first(),
        Some(&HostMessage::SoftReset),
        "soft reset first"
    );
    let asked: Vec<u8> = received.iter().map(HostMessage::function).collect();
    assert_eq!(asked, [0x08, 0x15, 0x07, 0x05, 0x02, 0x20, 0x0B, 0x0B]);
    assert!(b.emu.with_stick(|s| s.controller().tx_status_report()));
    // Nothing the driver wrote was refused: no NAKs from the stick's side.
    assert_eq!(b.emu.with_stick(|s| s.link_stats().naks_sent), 0);
}

#[tokio::test]
async fn send_data_to_the_switch_completes_and_its_report_arrives() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::binary_switch()]).await;

    let report = timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("TRANSMIT_COMPLETE_OK");
    assert_eq!(report.node, 2);
    assert_eq!(report.transmit_time, Some(Duration::from_millis(20)));
    assert!(!report.waited_for_wake_up);
    assert_eq!(
        b.emu
            .with_stick(|s| s.controller().node(2).and_then(SimNode::switch_value)),
        Some(0xFF)
    );

    timeout(soon(), b.stick.send_data(2, SWITCH_GET.to_vec()))
        .await
        .expect("no hang")
        .expect("sent");
    assert_eq!(
        event(&mut b.events, |e| matches!(e, RadioEvent::Report { .. })).await,
        from_node(2, &SWITCH_REPORT_ON, None)
    );

    // Nobody at node 9, and the switch out of range: TRANSMIT_COMPLETE_NO_ACK.
    let err = timeout(soon(), b.stick.send_data(9, SWITCH_GET.to_vec()))
        .await
        .expect("no hang")
        .expect_err("no such node");
    assert!(matches!(err, Error::NoAck { node: 9 }), "{err:?}");
    b.emu.with_stick(|s| {
        if let Some(n) = s.controller_mut().node_mut(2) {
            n.silent = true;
        }
    });
    let err = timeout(soon(), b.stick.send_data(2, SWITCH_GET.to_vec()))
        .await
        .expect("no hang")
        .expect_err("silent node");
    assert!(matches!(err, Error::NoAck { node: 2 }), "{err:?}");
    let err = timeout(soon(), b.stick.send_data(0, SWITCH_GET.to_vec()))
        .await
        .expect("no hang")
        .expect_err("node 0");
    assert!(matches!(err, Error::InvalidNode(0)), "{err:?}");
}

#[tokio::test]
async fn a_lost_ack_is_retried_and_the_command_completes() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::binary_switch()]).await;
    b.emu.set_override(first_send_data(Override::DropAck));
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("completes after the retry");
    assert_eq!(
        send_data_count(&b.emu),
        2,
        "sent again after the ACK timeout"
    );
}

#[tokio::test]
async fn a_can_is_retried_and_the_command_completes() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::binary_switch()]).await;
    b.emu.set_override(first_send_data(Override::Can));
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("completes after the retry");
    assert_eq!(send_data_count(&b.emu), 2);
    assert_eq!(b.emu.with_stick(|s| s.link_stats().cans_sent), 1);
}

#[tokio::test]
async fn a_bad_checksum_from_the_stick_is_naked_and_resent() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::binary_switch()]).await;
    let before = b.emu.with_stick(|s| s.link_stats());
    b.emu
        .set_override(first_send_data(Override::CorruptChecksum));
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("completes with the resent response");
    let after = b.emu.with_stick(|s| s.link_stats());
    assert_eq!(after.corrupted_sent - before.corrupted_sent, 1);
    assert_eq!(
        after.naks_received - before.naks_received,
        1,
        "driver NAKed"
    );
    assert_eq!(
        after.retransmitted - before.retransmitted,
        1,
        "stick resent"
    );
    assert_eq!(send_data_count(&b.emu), 1, "the host did not resend");
    assert_eq!(b.stick.link_counters().corrupt_frames, 1);
}

/// A frame from the stick that stops arriving halfway (a cut frame: SOF, a length of 9, then
/// only two of its bytes) is dropped 1500 ms after its SOF, as the Serial API requires; the
/// next exchange is then read cleanly. A host that kept waiting for the missing bytes would eat
/// the stick's ACK as frame data and have to send its command again. The command goes out once
/// the driver counts the cut frame dropped, however long the machine took to get there.
#[tokio::test]
async fn a_cut_frame_from_the_stick_is_dropped_and_the_next_command_is_read_cleanly() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::binary_switch()]).await;
    assert_eq!(b.stick.link_counters().frames_timed_out, 0);
    b.emu.send_raw(&[0x01, 0x09, 0x00, 0x13]);
    timeout(soon(), async {
        while b.stick.link_counters().frames_timed_out == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the driver never dropped the cut frame");
    let before = b.emu.with_stick(|s| s.link_stats());
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("the command after the cut frame completes");
    let after = b.emu.with_stick(|s| s.link_stats());
    assert_eq!(
        after.frames_received - before.frames_received,
        1,
        "the host sent its command once: the stick's ACK was read as an ACK"
    );
    assert_eq!(send_data_count(&b.emu), 1);
    assert_eq!(
        b.emu
            .with_stick(|s| s.controller().node(2).and_then(|n| n.switch_value())),
        Some(0xFF)
    );
}

#[tokio::test]
async fn timeouts_and_refusals_are_typed_and_nothing_hangs() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::binary_switch()]).await;

    // ACKed, never answered: the response timeout expires (the emulator never answers, so
    // its length decides nothing).
    b.emu.set_override(first_send_data(Override::Silent));
    let err = timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("bounded by the response timeout")
        .expect_err("no response");
    assert!(
        matches!(
            err,
            Error::Timeout {
                command: "SendData",
                waiting_for: Awaited::Response
            }
        ),
        "{err:?}"
    );

    // Accepted, never reported: the SendData callback timeout expires.
    let accepted = StickMessage::SendDataResponse(SendDataResponse { status: 0x01 });
    b.emu
        .set_override(first_send_data(Override::Reply(vec![accepted])));
    let err = timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("bounded by the callback timeout")
        .expect_err("no callback");
    assert!(
        matches!(
            err,
            Error::Timeout {
                waiting_for: Awaited::Callback,
                ..
            }
        ),
        "{err:?}"
    );

    // Refused outright.
    let refused = StickMessage::SendDataResponse(SendDataResponse { status: 0x00 });
    b.emu
        .set_override(first_send_data(Override::Reply(vec![refused])));
    let err = timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect_err("not accepted");
    assert!(
        matches!(
            err,
            Error::NotAccepted {
                command: "SendData"
            }
        ),
        "{err:?}"
    );

    // The override was for one message each time: the next send is normal.
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("default behaviour again");
}

#[tokio::test]
async fn inclusion_adds_a_node_and_exclusion_removes_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    assert_eq!(b.info.nodes, [1]);

    timeout(soon(), b.stick.add_node())
        .await
        .expect("no hang")
        .expect("inclusion mode");
    b.emu
        .with_stick(|s| s.offer_for_inclusion(SimNode::binary_switch()));
    let added = event(&mut b.events, |e| matches!(e, RadioEvent::NodeAdded { .. })).await;
    let RadioEvent::NodeAdded { node, info, .. } = added else {
        unreachable!()
    };
    assert_eq!(node, 2);
    assert_eq!(
        (info.basic, info.generic, info.specific),
        (0x04, 0x10, 0x01)
    );
    assert!(info.command_classes.contains(&0x25));
    assert!(!info.sleeps());
    assert_eq!(b.emu.with_stick(|s| s.controller().node_ids()), [1, 2]);
    // The driver left add mode by itself: a stop with a callback, then one without.
    let stops = || {
        b.emu.with_stick(|s| {
            s.received()
                .iter()
                .filter_map(|m| match m {
                    HostMessage::AddNode(r) if r.mode == AddNodeMode::Stop => Some(r.callback_id),
                    _ => None,
                })
                .collect::<Vec<u8>>()
        })
    };
    timeout(soon(), async {
        while stops().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both stops sent");
    let stops = stops();
    assert_eq!(stops.len(), 2, "{stops:?}");
    assert_ne!(stops.first(), Some(&0));
    assert_eq!(stops.get(1), Some(&0));

    timeout(soon(), b.stick.send_data(node, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("the new node answers");

    timeout(soon(), b.stick.remove_node())
        .await
        .expect("no hang")
        .expect("exclusion mode");
    b.emu.with_stick(|s| s.offer_for_exclusion(2));
    assert_eq!(
        event(&mut b.events, |e| matches!(
            e,
            RadioEvent::NodeRemoved { .. }
        ))
        .await,
        RadioEvent::NodeRemoved { node: 2 }
    );
    assert_eq!(b.emu.with_stick(|s| s.controller().node_ids()), [1]);
    let err = timeout(soon(), b.stick.send_data(2, SWITCH_GET.to_vec()))
        .await
        .expect("no hang")
        .expect_err("gone");
    assert!(matches!(err, Error::NoAck { node: 2 }), "{err:?}");

    // Stopping inclusion with nobody joining reports nothing.
    timeout(soon(), b.stick.add_node())
        .await
        .expect("no hang")
        .expect("inclusion mode");
    timeout(soon(), b.stick.stop_inclusion())
        .await
        .expect("no hang")
        .expect("stopped");
}

#[tokio::test]
async fn commands_for_a_sleeping_node_wait_for_its_wake_up() {
    let dir = tempfile::tempdir().expect("tmp");
    // A switch (node 2) whose command marks, in the emulator's record, where a command sent
    // to the sleeping sensor at once would have gone out.
    let mut b = started(dir.path(), vec![SimNode::binary_switch()]).await;

    // Included through the driver: Wake Up in its information marks it as sleeping.
    timeout(soon(), b.stick.add_node())
        .await
        .expect("no hang")
        .expect("inclusion mode");
    b.emu
        .with_stick(|s| s.offer_for_inclusion(SimNode::sleeping_sensor()));
    let RadioEvent::NodeAdded { node, info, .. } =
        event(&mut b.events, |e| matches!(e, RadioEvent::NodeAdded { .. })).await
    else {
        unreachable!()
    };
    assert!(info.sleeps());

    let sent_before = send_data_count(&b.emu);
    let battery_get = vec![0x80, 0x02];
    let submitted = timeout(soon(), b.stick.submit_data(node, battery_get.clone()))
        .await
        .expect("no hang")
        .expect("queued");
    let Submitted::QueuedUntilWakeUp(pending) = submitted else {
        panic!("a sleeping node's command is queued, got {submitted:?}");
    };
    assert_eq!(pending.node(), node);
    // Commands go out in the order they were submitted: the switch's was the next one.
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("the switch acknowledged");
    let sent_since: Vec<u8> = b.emu.with_stick(|s| {
        s.received()
            .iter()
            .filter_map(|m| match m {
                HostMessage::SendData(r) => Some(r.node_id),
                _ => None,
            })
            .skip(sent_before)
            .collect()
    });
    assert_eq!(sent_since, [2], "nothing sent to the sensor while asleep");

    b.emu
        .with_stick(|s| s.wake_up(u8::try_from(node).expect("classic id")));
    assert_eq!(
        event(&mut b.events, |e| matches!(e, RadioEvent::WokeUp { .. })).await,
        RadioEvent::WokeUp { node, released: 1 }
    );
    let report = timeout(soon(), pending.transmitted())
        .await
        .expect("sent after the wake-up")
        .expect("acknowledged");
    assert!(report.waited_for_wake_up);
    assert_eq!(
        event(&mut b.events, |e| matches!(
            e,
            RadioEvent::Report {
                report: CommandClassFrame::Battery(_),
                ..
            }
        ))
        .await,
        from_node(node, &[0x80, 0x03, 100], None)
    );
    // Then the driver sends it back to sleep (Wake Up No More Information).
    timeout(soon(), async {
        while !b.emu.with_stick(|s| {
            s.controller()
                .node(u8::try_from(node).unwrap_or(0))
                .is_some_and(SimNode::is_asleep)
        }) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("No More Information reached the sensor");
    let to_sensor: Vec<Vec<u8>> = b.emu.with_stick(|s| {
        s.controller()
            .node(u8::try_from(node).unwrap_or(0))
            .map(|n| n.received.clone())
            .unwrap_or_default()
    });
    assert_eq!(to_sensor, [battery_get, vec![0x84, 0x08]]);

    // Asleep again: the next command waits for the next wake-up.
    let again = timeout(soon(), b.stick.submit_data(node, vec![0x80, 0x02]))
        .await
        .expect("no hang")
        .expect("queued");
    assert!(matches!(again, Submitted::QueuedUntilWakeUp(_)));
}

#[tokio::test]
async fn an_unplugged_stick_fails_commands_fast_and_comes_back_when_replugged() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::binary_switch()]).await;

    b.emu.unplug().await;
    assert_eq!(
        event(&mut b.events, |e| matches!(e, RadioEvent::StickLost)).await,
        RadioEvent::StickLost
    );
    // "At once" without a real-time bound: with the clock paused, tokio advances it only when
    // every task waits on a timer, so the bound is passed only if a command waits on one (a
    // response or callback timer) instead of failing on the spot.
    tokio::time::pause();
    let err = timeout(
        Duration::from_secs(1),
        b.stick.send_data(2, SWITCH_ON.to_vec()),
    )
    .await
    .expect("fails at once, waiting on no timer")
    .expect_err("no stick");
    assert!(matches!(err, Error::StickLost), "{err:?}");
    assert_eq!(err.to_string(), "the Z-Wave stick was unplugged");
    let err = timeout(Duration::from_secs(1), b.stick.add_node())
        .await
        .expect("fails at once, waiting on no timer")
        .expect_err("no stick");
    tokio::time::resume();
    assert!(matches!(err, Error::StickLost), "{err:?}");

    b.emu.replug().await.expect("replug");
    let RadioEvent::StickBack(info) =
        event(&mut b.events, |e| matches!(e, RadioEvent::StickBack(_))).await
    else {
        unreachable!()
    };
    assert_eq!(info, b.info, "same controller, same network");
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("commands work again");
}

#[tokio::test]
async fn an_unprompted_restart_is_reported_and_the_stick_keeps_working() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::binary_switch()]).await;
    b.emu.restart();
    assert_eq!(
        event(&mut b.events, |e| matches!(e, RadioEvent::StickRestarted)).await,
        RadioEvent::StickRestarted
    );
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("still works");

    // A restart in the middle of a transaction fails that transaction, typed.
    b.emu
        .set_override(first_send_data(Override::Reply(Vec::new())));
    let sent_before = send_data_count(&b.emu);
    let send = b.stick.send_data(2, SWITCH_ON.to_vec());
    // Restarted once the stick has the SendData (its record says so), and before the response
    // timeout: the emulator ACKs it and never answers.
    let restart = async {
        while send_data_count(&b.emu) == sent_before {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        b.emu.restart();
    };
    let (result, ()) = timeout(soon(), async { tokio::join!(send, restart) })
        .await
        .expect("no hang");
    let err = result.expect_err("the stick restarted instead of answering");
    assert!(matches!(err, Error::StickRestarted("SendData")), "{err:?}");
    timeout(soon(), b.stick.send_data(2, SWITCH_ON.to_vec()))
        .await
        .expect("no hang")
        .expect("works after the restart");
}
