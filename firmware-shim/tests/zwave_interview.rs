//! The node interview (`ZwaveStick::interview`) against the emulated controller's nodes, end
//! to end over real ptys: a switch, a thermostat, the two-outlet metering plug (end points and
//! the lifeline), an S2 door lock (its secure command classes learnt, so Sets are supervised
//! without the caller listing them), an S0 siren, the sleeping multisensor (the interview waits
//! for its wake-up and keeps it awake until done) and a node that never answers one command
//! class (that step times out, the rest goes on). Then a secure sleeping node: an S2 sensor
//! whose Wake Up Notification comes encrypted releases its queue, and a command queued for it
//! gets its nonce exchange after the wake-up.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging;
//! the bounds and the driver's timeouts are generous guards multiplied by
//! `SEALHUB_TEST_TIME_SCALE` ([`firmware_shim::test_time`]). A step that must go unanswered is
//! one the emulated node never answers (its record shows it was asked), so the report timeout's
//! length decides nothing.

use std::path::Path;
use std::time::Duration;

use firmware_shim::test_time::scaled;
use firmware_shim::zwave_controller::{SecureNode, SimNode};
use sealhub_radios::zwave::cc::{
    Battery, BinarySwitch, CommandClassFrame, DoorLock, Meter, MultilevelSensor, ThermostatMode,
};
use sealhub_radios::zwave::driver::{
    Error, InterviewOptions, NodeDescription, RadioEvent, Step, SubmittedCommand,
};
use sealhub_radios::zwave::s2::SecurityClass;
use tokio::time::timeout;

mod support;
use support::zwave::{self, Bench, Told, driver_config, included, soon};

/// Upper bound for a whole interview (dozens of questions, S0 with a nonce each, and one report
/// timeout where a class goes unanswered).
fn interview_bound() -> Duration {
    scaled(Duration::from_secs(90))
}

/// A started stick on a fresh emulator with `nodes` (ids 2, 3, …) in its network; the driver
/// is told nothing about them.
async fn started(dir: &Path, nodes: Vec<SimNode>) -> Bench {
    zwave::started(dir, 0xC0FF_EE44, nodes, Told::Nothing, driver_config()).await
}

async fn interview(b: &Bench, node: u16) -> NodeDescription {
    timeout(interview_bound(), b.stick.interview(node))
        .await
        .expect("the interview does not hang")
        .expect("the interview completes")
}

/// The report the interview read for `cc` on `endpoint`.
fn state(d: &NodeDescription, endpoint: u8, cc: u8) -> &CommandClassFrame {
    d.state
        .iter()
        .find(|s| s.endpoint == endpoint && s.cc == cc)
        .and_then(|s| s.report.answered())
        .unwrap_or_else(|| panic!("no state for {cc:#04x} on end point {endpoint}: {d:#?}"))
}

/// Includes a secure node (the user types its PIN where asked); returns its id.
async fn include(b: &mut Bench, node: &SecureNode, class: SecurityClass) -> u16 {
    included(b, node, class, true).await
}

#[tokio::test]
async fn the_switch_is_described_from_its_node_information_versions_and_state() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::binary_switch()]).await;
    b.emu.with_stick(|s| {
        s.controller_mut()
            .node_mut(2)
            .expect("node 2")
            .receive(&[0x25, 0x01, 0xFF]);
    });
    let d = interview(&b, 2).await;

    let info = d.info.answered().expect("node information requested");
    assert_eq!(info.command_classes, vec![0x5E, 0x25, 0x85, 0x86, 0x72]);
    assert_eq!(d.security, None);
    assert_eq!(d.secure_command_classes, Step::NotSupported);
    assert_eq!(d.cc_version(0x25), Some(1));
    assert_eq!(d.cc_version(0x86), Some(2));
    assert_eq!(d.cc_version(0x5E), Some(2));
    assert!(d.command_classes.iter().all(|c| !c.secure));
    let version = d.version.answered().expect("Version Report");
    assert_eq!(version.protocol, (7, 18));
    let m = d
        .manufacturer
        .answered()
        .expect("Manufacturer Specific Report");
    assert_eq!(
        (m.manufacturer_id, m.product_type, m.product_id),
        (0xFFFF, 0x5348, 0x0010)
    );
    assert_eq!(
        d.zwave_plus.answered().expect("Z-Wave Plus Info").role_type,
        0x05
    );
    let a = d.associations.answered().expect("Association");
    assert!(a.lifeline_set);
    assert_eq!(
        a.lifeline,
        Step::Answered(vec![1]),
        "the controller is node 1"
    );
    assert_eq!(d.endpoints, Step::NotSupported);
    assert!(matches!(
        state(&d, 0, 0x25),
        CommandClassFrame::BinarySwitch(BinarySwitch::Report { current: 0xFF, .. })
    ));
    // The emulator saw RequestNodeInfo's answer go out and each question once.
    let received = b.emu.with_stick(|s| {
        s.controller_mut()
            .node_mut(2)
            .expect("node 2")
            .received
            .clone()
    });
    assert!(received.contains(&vec![0x86, 0x13, 0x25]));
    assert!(received.contains(&vec![0x72, 0x04]));
}

#[tokio::test]
async fn the_thermostat_state_is_read_for_each_of_its_classes() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::thermostat()]).await;
    let d = interview(&b, 2).await;
    assert!(d.supports(0x40) && d.supports(0x43) && d.supports(0x42) && d.supports(0x31));
    assert!(matches!(
        state(&d, 0, 0x40),
        CommandClassFrame::ThermostatMode(ThermostatMode::Report { .. })
    ));
    assert!(matches!(
        state(&d, 0, 0x31),
        CommandClassFrame::MultilevelSensor(MultilevelSensor::Report { .. })
    ));
    state(&d, 0, 0x43);
    state(&d, 0, 0x42);
}

#[tokio::test]
async fn the_plugs_end_points_are_found_and_its_lifeline_points_at_the_controller() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::metering_plug()]).await;
    let d = interview(&b, 2).await;

    let endpoints = d.endpoints.answered().expect("Multi Channel end points");
    assert_eq!(
        endpoints.iter().map(|e| e.endpoint).collect::<Vec<_>>(),
        [1, 2]
    );
    for e in endpoints {
        assert!(e.command_classes.contains(&0x25), "{e:?}");
        assert!(matches!(
            state(&d, e.endpoint, 0x25),
            CommandClassFrame::BinarySwitch(BinarySwitch::Report { .. })
        ));
        assert!(matches!(
            state(&d, e.endpoint, 0x32),
            CommandClassFrame::Meter(Meter::Report(_))
        ));
    }
    let a = d.associations.answered().expect("Association");
    assert!(a.groups >= 1);
    assert!(a.lifeline_set);
    assert_eq!(
        a.lifeline,
        Step::Answered(vec![1]),
        "the controller is node 1"
    );
}

#[tokio::test]
async fn the_s2_locks_secure_classes_are_learnt_and_its_sets_are_then_supervised() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    let lock = SecureNode::door_lock(0x61);
    let node = include(&mut b, &lock, SecurityClass::S2AccessControl).await;

    let d = interview(&b, node).await;
    assert_eq!(d.security, Some(SecurityClass::S2AccessControl));
    let secure = d
        .secure_command_classes
        .answered()
        .expect("S2 Commands Supported");
    assert!(
        secure.contains(&0x62) && secure.contains(&0x6C),
        "{secure:?}"
    );
    let door_lock = d
        .command_classes
        .iter()
        .find(|c| c.cc == 0x62)
        .expect("Door Lock");
    assert!(door_lock.secure);
    assert_eq!(door_lock.version, Step::Answered(1));
    assert!(matches!(
        state(&d, 0, 0x62),
        CommandClassFrame::DoorLock(DoorLock::OperationReport { .. })
    ));

    // No set_node_command_classes: the interview told the driver the lock supervises.
    let outcome = timeout(
        soon(),
        b.stick.send_command(
            node,
            0,
            CommandClassFrame::DoorLock(DoorLock::OperationSet { mode: 0xFF }),
        ),
    )
    .await
    .expect("no hang")
    .expect("delivered");
    assert!(outcome.supervision.is_some(), "{outcome:?}");
    assert!(outcome.applied());
}

#[tokio::test]
async fn the_s0_sirens_secure_switch_is_learnt_and_read_under_s0() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    let siren = SecureNode::siren(0x62);
    let node = include(&mut b, &siren, SecurityClass::S0Legacy).await;

    let d = interview(&b, node).await;
    assert_eq!(
        d.secure_command_classes,
        Step::Answered(vec![0x25]),
        "S0 Commands Supported"
    );
    let switch = d
        .command_classes
        .iter()
        .find(|c| c.cc == 0x25)
        .expect("Binary Switch");
    assert!(switch.secure);
    assert!(
        !d.command_classes.iter().any(|c| c.cc == 0x98),
        "Security is not listed"
    );
    assert!(matches!(
        state(&d, 0, 0x25),
        CommandClassFrame::BinarySwitch(BinarySwitch::Report { .. })
    ));
}

#[tokio::test]
async fn the_sleeping_multisensor_is_interviewed_after_its_wake_up_and_then_sleeps() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::multisensor()]).await;
    timeout(soon(), b.stick.set_sleeping(2, true))
        .await
        .expect("no hang")
        .expect("marked sleeping");

    // Asked not to wait: refused at once.
    let refused = timeout(
        soon(),
        b.stick.interview_with(
            2,
            InterviewOptions {
                wait_for_wake_up: false,
                ..InterviewOptions::default()
            },
        ),
    )
    .await
    .expect("no hang");
    assert!(matches!(refused, Err(Error::NodeAsleep(2))), "{refused:?}");
    assert!(b.emu.with_stick(|s| {
        s.controller_mut()
            .node_mut(2)
            .expect("node 2")
            .received
            .is_empty()
    }));

    let stick = &b.stick;
    let interview = stick.interview(2);
    tokio::pin!(interview);
    // The node wakes now and then (as on its wake-up interval) until the interview is done.
    let d = timeout(interview_bound(), async {
        loop {
            tokio::select! {
                d = &mut interview => return d,
                () = tokio::time::sleep(Duration::from_millis(300)) => {
                    let asleep = b.emu.with_stick(|s| {
                        s.controller_mut().node_mut(2).expect("node 2").is_asleep()
                    });
                    if asleep {
                        b.emu.with_stick(|s| s.wake_up(2));
                    }
                }
            }
        }
    })
    .await
    .expect("the interview does not hang")
    .expect("the interview completes");

    assert!(d.info.answered().expect("NIF after wake-up").sleeps());
    assert_eq!(
        d.zwave_plus.answered().expect("Z-Wave Plus Info").role_type,
        0x06
    );
    assert!(matches!(
        state(&d, 0, 0x80),
        CommandClassFrame::Battery(Battery::Report { .. })
    ));
    state(&d, 0, 0x31);
    let a = d.associations.answered().expect("Association");
    assert!(a.lifeline_set, "a supervised Association Set");
    assert_eq!(a.lifeline, Step::Answered(vec![1]));
    // Released: the node is sent back to sleep.
    timeout(soon(), async {
        while !b
            .emu
            .with_stick(|s| s.controller_mut().node_mut(2).expect("node 2").is_asleep())
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the node was sent back to sleep");
}

#[tokio::test]
async fn a_class_the_node_never_answers_times_out_and_the_interview_goes_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut thermostat = SimNode::thermostat();
    thermostat.mute = vec![0x72];
    let b = started(dir.path(), vec![thermostat]).await;
    // The muted class is never answered, however long the wait; every answered question must
    // beat this timeout, so it is a generous guard.
    let report_timeout = scaled(Duration::from_secs(5));
    let options = InterviewOptions {
        report_timeout,
        ..InterviewOptions::default()
    };
    let d = timeout(interview_bound(), b.stick.interview_with(2, options))
        .await
        .expect("no hang")
        .expect("the interview completes");
    assert_eq!(
        d.manufacturer,
        Step::Unanswered {
            timeout: report_timeout
        }
    );
    // Asked, and everything after it still asked and answered.
    let received = b.emu.with_stick(|s| {
        s.controller_mut()
            .node_mut(2)
            .expect("node 2")
            .received
            .clone()
    });
    assert!(received.contains(&vec![0x72, 0x04]));
    assert!(d.version.answered().is_some());
    assert!(d.zwave_plus.answered().is_some());
    state(&d, 0, 0x40);
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    timeout(soon(), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} never happened"));
}

#[tokio::test]
async fn a_secure_sleeping_sensor_takes_a_queued_command_under_s2_after_its_encrypted_wake_up() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    let sensor = SecureNode::sleeping_sensor(0x63);
    let node = include(&mut b, &sensor, SecurityClass::S2Unauthenticated).await;
    // Kept awake through bootstrapping, then sent back to sleep.
    until("the sensor going to sleep", || !sensor.is_listening()).await;

    let submitted = timeout(
        soon(),
        b.stick
            .submit_command(node, 0, CommandClassFrame::Battery(Battery::Get)),
    )
    .await
    .expect("no hang")
    .expect("accepted");
    let SubmittedCommand::QueuedUntilWakeUp(pending) = submitted else {
        panic!("sent to a sleeping node at once: {submitted:?}");
    };

    // Its Wake Up Notification is S2-encapsulated (after a Nonce Get of its own if needed).
    b.emu
        .with_stick(|s| s.wake_up(u8::try_from(node).expect("id")));
    let outcome = timeout(soon(), pending.outcome())
        .await
        .expect("no hang")
        .expect("delivered after the wake-up, nonce and all");
    assert!(outcome.transmit.waited_for_wake_up);

    let mut woke = false;
    let battery = timeout(soon(), async {
        loop {
            match b.events.recv().await.expect("event stream open") {
                RadioEvent::WokeUp { node: n, released } if n == node => {
                    woke = true;
                    let _ = released;
                }
                RadioEvent::Report {
                    node: n,
                    security,
                    report: CommandClassFrame::Battery(Battery::Report { level, .. }),
                    ..
                } if n == node => return (security, level),
                _ => {}
            }
        }
    })
    .await
    .expect("the battery report came");
    assert!(woke, "the encrypted Wake Up Notification was seen as one");
    assert_eq!(battery, (Some(SecurityClass::S2Unauthenticated), 90));
    // Done: sent back to sleep.
    until("the sensor going back to sleep", || !sensor.is_listening()).await;
}

#[tokio::test]
async fn the_secure_sleeping_sensor_is_interviewed_under_s2_from_its_encrypted_wake_up() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    let sensor = SecureNode::sleeping_sensor(0x64);
    let node = include(&mut b, &sensor, SecurityClass::S2Unauthenticated).await;
    until("the sensor going to sleep", || !sensor.is_listening()).await;
    let id = u8::try_from(node).expect("id");

    let stick = &b.stick;
    let interview = stick.interview(node);
    tokio::pin!(interview);
    let d = timeout(interview_bound(), async {
        loop {
            tokio::select! {
                d = &mut interview => return d,
                () = tokio::time::sleep(Duration::from_millis(300)) => {
                    if !sensor.is_listening() {
                        b.emu.with_stick(|s| s.wake_up(id));
                    }
                }
            }
        }
    })
    .await
    .expect("the interview does not hang")
    .expect("the interview completes");

    let secure = d
        .secure_command_classes
        .answered()
        .expect("S2 Commands Supported");
    assert!(
        secure.contains(&0x80) && secure.contains(&0x84),
        "{secure:?}"
    );
    assert!(matches!(
        state(&d, 0, 0x80),
        CommandClassFrame::Battery(Battery::Report { level: 90, .. })
    ));
    assert_eq!(d.cc_version(0x84), Some(2));
    until("the sensor going back to sleep", || !sensor.is_listening()).await;
}

#[tokio::test]
async fn an_unreachable_nodes_information_is_unanswered_without_waiting_out_the_timeout() {
    let dir = tempfile::tempdir().expect("tmp");
    // Asleep, and the driver was not told it sleeps: RequestNodeInfo fails at the stick.
    let b = started(dir.path(), vec![SimNode::multisensor()]).await;
    // Far above the bound: only the stick's "request failed" ends the wait in time.
    let report_timeout = soon().saturating_mul(20);
    let options = InterviewOptions {
        report_timeout,
        ..InterviewOptions::default()
    };
    let d = timeout(soon(), b.stick.interview_with(2, options))
        .await
        .expect("the stick's failure report ended the wait")
        .expect("the interview completes");
    assert_eq!(
        d.info,
        Step::Unanswered {
            timeout: report_timeout
        }
    );
    assert!(d.command_classes.is_empty());
    assert_eq!(d.version, Step::NotSupported);
    assert!(d.state.is_empty());
}

#[tokio::test]
async fn the_secure_sleeping_sensor_is_sent_back_to_sleep_under_s2_not_in_the_clear() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    // It ignores Wake Up No More Information in the clear, as a strict node does: only the
    // S2-encapsulated one puts it to sleep.
    let sensor = SecureNode::sleeping_sensor(0x65);
    let node = include(&mut b, &sensor, SecurityClass::S2Unauthenticated).await;
    until("the sensor going to sleep after bootstrapping", || {
        !sensor.is_listening()
    })
    .await;
    let id = u8::try_from(node).expect("id");
    for wake in 1..=2 {
        b.emu.with_stick(|s| s.wake_up(id));
        until("the sensor going back to sleep", || !sensor.is_listening()).await;
        let nmi = [0x84, 0x08];
        assert!(
            !sensor
                .state()
                .refused
                .iter()
                .any(|(p, _)| p.as_slice() == nmi),
            "wake-up {wake}: No More Information went in the clear"
        );
    }
    assert!(
        sensor.state().refused.is_empty(),
        "{:?}",
        sensor.state().refused
    );
}
