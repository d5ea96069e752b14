//! The gateway core and commands: opened with every envelope check, checked against the
//! client's role, translated into radio ops, answered with a response signed by the device,
//! and run at most once: a duplicate envelope gets the stored answer, a restart between
//! handing a command to the radio and its answer is answered `Interrupted`, and a command the
//! hub accepted but never handed out runs once after the restart.

mod support;

use std::time::Duration;

use sealhub::envelope::Error as Refused;
use sealhub::gateway::core::{Delivery, Input, OpFailure, OpOutput, Output, RadioOutcome};
use sealhub::gateway::{ZigbeeOp, ZwaveOp};
use sealhub::model::{Action, Attribute, Failure, Response, Role};
use sealhub_radios::zwave::cc::{BinarySwitch, CommandClassFrame};
use sealhub_radios::zwave::driver::RadioEvent as ZwaveEvent;
use support::*;

const LAMP: u64 = 0x0017_8801_0000_0001;
const LOCK: u64 = 0x0017_8801_0000_0002;

/// A hub with both radios up, a lamp (Zigbee, node 0x1A2B) and a front door lock (Zigbee,
/// node 0x2B3C), and an owner's phone that knows both.
fn home_with_lamp_and_lock() -> (
    Hub,
    Phone,
    sealhub::envelope::DeviceId,
    sealhub::envelope::DeviceId,
) {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    owner.take(&out);
    let (lock, out) = hub.join_zigbee(LOCK, 0x2B3C, &[(1, &[DOOR_LOCK])]);
    owner.take(&out);
    (hub, owner, lamp, lock)
}

/// The Zigbee ops of the one ops request among `outputs`.
fn zigbee_ops(outputs: &[Output]) -> Vec<ZigbeeOp> {
    let [Output::ZigbeeOps { ops, .. }] = outputs else {
        panic!("one Zigbee ops request: {outputs:?}");
    };
    ops.clone()
}

/// The Z-Wave ops of the one ops request among `outputs`.
fn zwave_ops(outputs: &[Output]) -> Vec<ZwaveOp> {
    let [Output::ZwaveOps { ops, .. }] = outputs else {
        panic!("one Z-Wave ops request: {outputs:?}");
    };
    ops.clone()
}

/// Whether `outputs` ask anything of a radio.
fn asks_radio(outputs: &[Output]) -> bool {
    outputs
        .iter()
        .any(|o| matches!(o, Output::ZigbeeOps { .. } | Output::ZwaveOps { .. }))
}

#[test]
fn a_confirmed_absolute_command_is_answered_with_the_state_it_set_without_a_read() {
    let (mut hub, mut owner, lamp, _) = home_with_lamp_and_lock();
    let (_, out) = hub.send(&mut owner, &lamp, device_command(1, Action::TurnOn));
    let [Output::ZigbeeOps { node_id, ops, .. }] = &out[..] else {
        panic!("one ops request: {out:?}");
    };
    assert_eq!(*node_id, 0x1A2B);
    assert!(
        matches!(&ops[..], [ZigbeeOp::Command { endpoint: 1, .. }]),
        "the action alone, no read: {ops:?}"
    );

    // The lamp answers with a Default Response SUCCESS.
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Confirmed]),
    });
    assert!(!asks_radio(&out), "no read-back: {out:?}");
    let got = owner.take(&out);
    let [(opened, response)] = &got.responses[..] else {
        panic!("one response: {got:?}");
    };
    assert_eq!(
        response,
        &Response::Done {
            endpoint: 1,
            state: vec![Attribute::OnOff(true)]
        }
    );
    assert_eq!(Some(opened.signer), hub.kid(&lamp));
    assert!(got.events.is_empty(), "the event is the lamp's own report");

    // The lamp's own report is the event.
    let out = hub.report_on_off(0x1A2B, 1, true);
    let got = owner.take(&out);
    assert_eq!(got.events.len(), 1);
    assert!(got.responses.is_empty());
}

#[test]
fn a_command_the_device_takes_without_confirming_reads_back_only_what_it_touched() {
    let (mut hub, mut owner, lamp, _) = home_with_lamp_and_lock();
    let (_, out) = hub.send(&mut owner, &lamp, device_command(1, Action::TurnOff));
    assert_eq!(zigbee_ops(&out).len(), 1, "the action alone");
    // Taken (a cluster-specific answer), but not confirmed: one read of On/Off follows.
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    assert!(owner.take(&out).responses.is_empty(), "not answered yet");
    let reads = zigbee_ops(&out);
    assert!(
        matches!(
            &reads[..],
            [ZigbeeOp::Read {
                endpoint: 1,
                cluster: ON_OFF,
                ..
            }]
        ),
        "one read of the cluster the command touched: {reads:?}"
    );
    let ticket = ops_ticket(&out);
    let outcome = done_reading_on_off(&out, false);
    let out = hub.handle(Input::RadioDone { ticket, outcome });
    assert!(!asks_radio(&out), "nothing more is read: {out:?}");
    let got = owner.take(&out);
    assert_eq!(
        got.responses
            .iter()
            .map(|(_, r)| r.clone())
            .collect::<Vec<_>>(),
        vec![Response::Done {
            endpoint: 1,
            state: vec![Attribute::OnOff(false)]
        }]
    );
    // The value read is a report like any other.
    assert_eq!(got.events.len(), 1);
}

#[test]
fn an_action_whose_result_is_not_known_reads_back_only_its_own_cluster() {
    // A lock that is also a switch: locking it must not read the switch's On/Off.
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (lock, out) = hub.join_zigbee(LOCK, 0x2B3C, &[(1, &[DOOR_LOCK, ON_OFF])]);
    owner.take(&out);
    let (_, out) = hub.send(&mut owner, &lock, device_command(1, Action::Lock));
    let ops = zigbee_ops(&out);
    assert!(
        ops.iter().all(|op| !matches!(
            op,
            ZigbeeOp::Read {
                cluster: ON_OFF,
                ..
            }
        )),
        "no read of a cluster the lock action does not touch: {ops:?}"
    );
    assert_eq!(ops.len(), 1, "{ops:?}");
}

#[test]
fn a_command_waits_for_the_report_that_follows_or_answers_with_the_last_state() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (switch, out) = hub.include_zwave(7, &[CC_SWITCH]);
    owner.take(&out);
    let (_, out) = hub.send(&mut owner, &switch, device_command(0, Action::TurnOn));
    assert!(
        matches!(
            zwave_ops(&out)[..],
            [ZwaveOp::Send {
                command: CommandClassFrame::BinarySwitch(BinarySwitch::Set { value: 0xFF, .. }),
                ..
            }]
        ),
        "the Set alone"
    );
    // Acknowledged, not supervised: a Get of the Binary Switch follows.
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    assert!(
        matches!(
            zwave_ops(&out)[..],
            [ZwaveOp::Send {
                command: CommandClassFrame::BinarySwitch(BinarySwitch::Get),
                ..
            }]
        ),
        "one Get of what the Set touched"
    );
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    assert!(
        owner.take(&out).responses.is_empty(),
        "waits for the report"
    );
    let out = hub.handle(Input::Zwave(ZwaveEvent::Report {
        node: 7,
        endpoint: 0,
        security: None,
        report: CommandClassFrame::BinarySwitch(BinarySwitch::Report {
            current: 0xFF,
            transition: None,
        }),
    }));
    let got = owner.take(&out);
    assert_eq!(
        got.responses
            .iter()
            .map(|(_, r)| r.clone())
            .collect::<Vec<_>>(),
        vec![Response::Done {
            endpoint: 0,
            state: vec![Attribute::OnOff(true)]
        }]
    );

    // No report this time: after the settle time, the last known state.
    let (_, out) = hub.send(&mut owner, &switch, device_command(0, Action::TurnOn));
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    let ticket = ops_ticket(&out);
    hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    assert!(hub.advance(Duration::from_secs(1)).is_empty());
    let out = hub.advance(hub.config.settle_timeout);
    assert_eq!(
        owner.response(&out),
        Response::Done {
            endpoint: 0,
            state: vec![Attribute::OnOff(true)]
        }
    );

    // Supervised and reported SUCCESS: answered at once with the state set; the Get that
    // follows only brings the node's Report for the event (a node does not report a change
    // the hub made), and nothing waits for it.
    let (_, out) = hub.send(&mut owner, &switch, device_command(0, Action::TurnOff));
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Confirmed]),
    });
    assert_eq!(
        owner.response(&out),
        Response::Done {
            endpoint: 0,
            state: vec![Attribute::OnOff(false)]
        }
    );
    assert!(
        matches!(
            zwave_ops(&out_radio(&out))[..],
            [ZwaveOp::Send {
                command: CommandClassFrame::BinarySwitch(BinarySwitch::Get),
                ..
            }]
        ),
        "{out:?}"
    );
    let get = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket: get,
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    assert!(out.is_empty(), "{out:?}");
    let out = hub.handle(Input::Zwave(ZwaveEvent::Report {
        node: 7,
        endpoint: 0,
        security: None,
        report: CommandClassFrame::BinarySwitch(BinarySwitch::Report {
            current: 0,
            transition: None,
        }),
    }));
    let got = owner.take(&out);
    assert_eq!(got.events.len(), 1, "the node's report is the event");
    assert!(got.responses.is_empty(), "answered once");
}

/// The radio requests among `outputs`.
fn out_radio(outputs: &[Output]) -> Vec<Output> {
    outputs
        .iter()
        .filter(|o| matches!(o, Output::ZigbeeOps { .. } | Output::ZwaveOps { .. }))
        .cloned()
        .collect()
}

#[test]
fn a_guest_is_refused_at_the_lock_and_no_radio_op_is_made() {
    let (mut hub, _, lamp, lock) = home_with_lamp_and_lock();
    let mut guest = hub.pair("guest", Role::Guest, None);
    let mut member = hub.pair("member", Role::Member, None);
    for action in [Action::Unlock, Action::Lock] {
        let (_, out) = hub.send(&mut guest, &lock, device_command(1, action));
        assert!(radio_requests(&out).is_empty(), "{out:?}");
        let Response::Failed { failure, message } = guest.response(&out) else {
            panic!("refused");
        };
        assert_eq!(failure, Failure::NotPermitted);
        assert!(
            message.contains("locking") || message.contains("unlocking"),
            "{message}"
        );
    }
    // The guest may switch the lamp; a member may unlock.
    let (_, out) = hub.send(&mut guest, &lamp, device_command(1, Action::TurnOn));
    assert_eq!(radio_requests(&out).len(), 1);
    let (_, out) = hub.send(&mut member, &lock, device_command(1, Action::Unlock));
    assert_eq!(radio_requests(&out).len(), 1);
}

#[test]
fn a_client_limited_to_some_devices_is_refused_at_the_others() {
    let (mut hub, _, lamp, lock) = home_with_lamp_and_lock();
    let mut kid = hub.pair("kid-tablet", Role::Member, Some(&[&lamp]));
    // Its key distribution names every device, so it can seal to the lock; the hub refuses
    // before anything is decrypted for it, and answers nothing (nothing authenticates it for
    // this device).
    let (_, out) = hub.send(&mut kid, &lock, device_command(1, Action::Unlock));
    assert!(out.is_empty(), "{out:?}");
    let (_, out) = hub.send(&mut kid, &lamp, device_command(1, Action::TurnOn));
    assert_eq!(radio_requests(&out).len(), 1);
}

#[test]
fn a_duplicated_command_runs_once_and_gets_the_same_answer_again() {
    let (mut hub, mut owner, lamp, _) = home_with_lamp_and_lock();
    let (envelope, out) = hub.send(&mut owner, &lamp, device_command(1, Action::TurnOn));
    let ticket = ops_ticket(&out);
    // The same envelope again before the answer: refused as a replay, nothing run, nothing
    // to say yet.
    let again = hub.deliver(&owner, &envelope);
    assert!(again.is_empty(), "{again:?}");
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: done_reading_on_off(&out, true),
    });
    let first = owner.take(&out);
    assert_eq!(first.responses.len(), 1);
    let answer = first.envelopes.iter().find(|e| {
        out.iter().any(
            |o| matches!(o, Output::Deliver(Delivery::ToConnection { bytes, .. }) if bytes == *e),
        )
    });
    // A third copy: the stored answer, byte for byte, and still no radio op.
    let third = hub.deliver(&owner, &envelope);
    assert!(radio_requests(&third).is_empty());
    let [Output::Deliver(Delivery::ToConnection { bytes, .. })] = &third[..] else {
        panic!("the stored answer: {third:?}");
    };
    assert_eq!(Some(bytes), answer);
    // The phone already has it: it refuses the copy as a replay of the device's message.
    assert!(matches!(
        owner.take(&third).refused[..],
        [Refused::Replay { .. }]
    ));
    // Also after a restart.
    let mut hub = hub.restart();
    let after = hub.deliver(&owner, &envelope);
    assert!(radio_requests(&after).is_empty());
    assert!(matches!(
        &after[..],
        [Output::Deliver(Delivery::ToConnection { bytes: b, .. })] if Some(b) == answer
    ));
}

#[test]
fn a_restart_between_sending_and_answering_is_answered_interrupted() {
    let (mut hub, mut owner, _, lock) = home_with_lamp_and_lock();
    let (envelope, out) = hub.send(&mut owner, &lock, device_command(1, Action::Unlock));
    assert_eq!(radio_requests(&out).len(), 1);
    let mut hub = hub.restart();
    let Response::Failed { failure, message } = owner.response(&hub.started) else {
        panic!("interrupted");
    };
    assert_eq!(failure, Failure::Interrupted);
    assert!(
        message.contains("restarted while unlocking") && message.contains("check the device"),
        "{message}"
    );
    // Never run again: not at start, not when the radio comes up, not for a duplicate.
    assert!(radio_requests(&hub.started).is_empty());
    assert!(radio_requests(&hub.radios_up()).is_empty());
    let dup = hub.deliver(&owner, &envelope);
    assert!(radio_requests(&dup).is_empty());
    assert_eq!(dup.len(), 1, "the stored Interrupted answer");
}

#[test]
fn a_command_accepted_but_not_sent_before_a_restart_runs_once_after_it() {
    let mut hub = Hub::new();
    // Zigbee is up for the join, then its stick goes away.
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    owner.take(&out);
    hub.handle(Input::Zigbee(
        sealhub_radios::zigbee::driver::RadioEvent::StickLost,
    ));
    let (envelope, out) = hub.send(&mut owner, &lamp, device_command(1, Action::TurnOn));
    assert!(out.is_empty(), "accepted, waiting for the stick: {out:?}");

    let mut hub = hub.restart();
    assert!(radio_requests(&hub.started).is_empty());
    assert!(owner.take(&hub.started).responses.is_empty());
    let out = hub.zigbee_up();
    let ticket = ops_ticket(&out);
    // Once only: a duplicate and a second "up" do not run it again.
    assert!(radio_requests(&hub.deliver(&owner, &envelope)).is_empty());
    assert!(radio_requests(&hub.zigbee_up()).is_empty());
    let done = hub.handle(Input::RadioDone {
        ticket,
        outcome: done_reading_on_off(&out, true),
    });
    assert!(matches!(owner.response(&done), Response::Done { .. }));
}

#[test]
fn commands_to_one_device_run_one_at_a_time_and_a_restart_sorts_them_out() {
    let (mut hub, mut owner, lamp, _) = home_with_lamp_and_lock();
    let (_, first) = hub.send(&mut owner, &lamp, device_command(1, Action::TurnOn));
    assert_eq!(radio_requests(&first).len(), 1);
    let (_, second) = hub.send(&mut owner, &lamp, device_command(1, Action::TurnOff));
    assert!(second.is_empty(), "waits for the first: {second:?}");
    // The hub restarts: the first was with the radio (Interrupted), the second never left
    // the hub, so it runs.
    let mut hub = hub.restart();
    let Response::Failed { failure, .. } = owner.response(&hub.started) else {
        panic!("the first is interrupted");
    };
    assert_eq!(failure, Failure::Interrupted);
    let out = hub.radios_up();
    let [Output::ZigbeeOps { ops, .. }] = &out[..] else {
        panic!("the second runs: {out:?}");
    };
    assert!(matches!(
        &ops[0],
        ZigbeeOp::Command { command, .. } if format!("{command:?}").contains("Off")
    ));
}

#[test]
fn a_radio_failure_is_answered_in_words_and_a_silent_radio_times_out() {
    let (mut hub, mut owner, _, lock) = home_with_lamp_and_lock();
    let (_, out) = hub.send(
        &mut owner,
        &sealhub::gateway::core::hub_device(),
        hub_command(sealhub::model::HubCommand::RenameDevice {
            device: lock.clone(),
            name: "front door lock".into(),
            room: Some("hall".into()),
        }),
    );
    owner.take(&out);
    let (_, out) = hub.send(&mut owner, &lock, device_command(1, Action::Unlock));
    let out = hub.handle(Input::RadioDone {
        ticket: ops_ticket(&out),
        outcome: RadioOutcome::Failed {
            ran: vec![],
            failure: OpFailure::new(Failure::Unreachable, "no APS ack"),
        },
    });
    let got = owner.take(&out);
    let [(_, Response::Failed { failure, message })] = &got.responses[..] else {
        panic!("failed: {got:?}");
    };
    assert_eq!(*failure, Failure::Unreachable);
    assert_eq!(
        message,
        "the front door lock did not answer; it may be out of range or without power"
    );

    // No answer from the radio at all: TimedOut after the command timeout, and a late result
    // is ignored.
    let (_, out) = hub.send(&mut owner, &lock, device_command(1, Action::Lock));
    let ticket = ops_ticket(&out);
    let out = hub.advance(hub.config.command_timeout);
    assert_eq!(owner.response(&out), Response::TimedOut);
    let late = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    assert!(owner.take(&late).responses.is_empty());
}

#[test]
fn a_sleeping_node_answers_queued_then_done_at_its_wake_up() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (switch, out) = hub.include_zwave(21, &[CC_SWITCH, CC_WAKE_UP]);
    owner.take(&out);
    let (envelope, out) = hub.send(&mut owner, &switch, device_command(0, Action::TurnOn));
    // A sleeper gets the Set and its Get in one request: a Get sent afterwards would wait
    // for the next wake-up.
    assert!(
        matches!(
            zwave_ops(&out)[..],
            [
                ZwaveOp::Send {
                    command: CommandClassFrame::BinarySwitch(BinarySwitch::Set { .. }),
                    ..
                },
                ZwaveOp::Send {
                    command: CommandClassFrame::BinarySwitch(BinarySwitch::Get),
                    ..
                }
            ]
        ),
        "{out:?}"
    );
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Queued,
    });
    assert_eq!(owner.response(&out), Response::Queued);
    // A duplicate meanwhile gets the Queued answer again.
    assert_eq!(hub.deliver(&owner, &envelope).len(), 1);
    // Past the ordinary command timeout it still waits.
    assert!(hub.advance(hub.config.command_timeout * 2).is_empty());
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: RadioOutcome::Done(vec![OpOutput::Done, OpOutput::Done]),
    });
    assert!(owner.take(&out).responses.is_empty());
    let out = hub.handle(Input::Zwave(ZwaveEvent::Report {
        node: 21,
        endpoint: 0,
        security: None,
        report: CommandClassFrame::BinarySwitch(BinarySwitch::Report {
            current: 0xFF,
            transition: None,
        }),
    }));
    assert_eq!(
        owner.response(&out),
        Response::Done {
            endpoint: 0,
            state: vec![Attribute::OnOff(true)]
        }
    );
}

#[test]
fn without_a_trusted_clock_a_command_gets_a_challenge_and_runs_with_its_echo() {
    let (mut hub, mut owner, lamp, _) = home_with_lamp_and_lock();
    hub.home.set_clock_trusted(false);
    let command = device_command(1, Action::TurnOn);
    let (_, out) = hub.send(&mut owner, &lamp, command.clone());
    assert!(radio_requests(&out).is_empty());
    let got = owner.take(&out);
    let [challenge] = &got.challenges[..] else {
        panic!("a challenge: {got:?}");
    };
    let echo = challenge
        .body
        .body
        .as_bytes()
        .expect("challenge bytes")
        .clone();
    // The echo is bound to the challenged command: it is resent under the msg_id the
    // challenge names.
    let re = challenge.body.re.expect("the challenge names the command");
    let bytes = owner
        .client
        .resend_command(&lamp, command.to_value(), unix_now() + 60, re, echo)
        .expect("seal");
    let out = hub.deliver(&owner, &bytes);
    assert_eq!(radio_requests(&out).len(), 1);
}

#[test]
fn tampered_or_unknown_envelopes_get_no_answer() {
    let (mut hub, mut owner, lamp, _) = home_with_lamp_and_lock();
    let mut bytes = owner.seal(&lamp, &device_command(1, Action::TurnOn));
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(hub.deliver(&owner, &bytes).is_empty());
    assert!(hub.deliver(&owner, b"not an envelope").is_empty());
    assert!(hub.deliver(&owner, &bytes[..10]).is_empty());
}
