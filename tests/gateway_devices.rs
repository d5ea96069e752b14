//! The gateway core and devices: a device that joins either radio is interviewed, gets its own
//! key and a registry record in one write, and clients receive its certificate; its reports
//! become events clients verify with that key; state and history survive a restart; a device
//! that leaves or is reset is revoked, and a plain rejoin keeps its key.

mod support;

use std::time::Duration;

use sealhub::definitions::{
    CapabilityMapping, Definition, Definitions, EndpointMapping, MappingOptions, Match,
};
use sealhub::envelope::Error as Refused;
use sealhub::gateway::ZigbeeOp;
use sealhub::gateway::core::{Delivery, Input, Output};
use sealhub::model::{Attribute, Capability, Event, HubCommand, HubResponse, Response, Role};
use sealhub_radios::zigbee::driver::{JoinKind, RadioEvent as ZigbeeEvent};
use sealhub_radios::zwave::cc::{BinarySwitch, CommandClassFrame};
use sealhub_radios::zwave::driver::RadioEvent as ZwaveEvent;
use support::*;

const LAMP: u64 = 0x0017_8801_0000_0001;

#[test]
fn a_zigbee_device_that_joins_is_interviewed_keyed_and_described() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Owner, None);

    let joined = hub.handle(Input::Zigbee(ZigbeeEvent::DeviceJoined {
        eui64: LAMP,
        node_id: 0x1A2B,
        kind: JoinKind::Fresh,
    }));
    assert_eq!(
        joined,
        vec![Output::ZigbeeInterview {
            eui64: LAMP,
            node_id: 0x1A2B
        }]
    );
    // Its Device_annce follows the join: the interview is under way, not asked twice.
    let announced = hub.handle(Input::Zigbee(ZigbeeEvent::DeviceAnnounced {
        eui64: LAMP,
        node_id: 0x1A2B,
        capabilities: Default::default(),
    }));
    assert!(announced.is_empty(), "{announced:?}");
    let lamp = sealhub::model::zigbee_device_id(LAMP);
    assert!(hub.kid(&lamp).is_none(), "no key before the interview");

    let out = hub.handle(Input::ZigbeeInterviewed {
        eui64: LAMP,
        result: Ok(zigbee_description(0x1A2B, &[(1, &[ON_OFF])], Some("Lamp"))),
    });
    let kid = hub.kid(&lamp).expect("keyed");
    // The phone gets the new certificate first, then the device's description, signed by it.
    let got = phone.take(&out);
    assert_eq!(got.key_distributions, 1);
    assert!(got.refused.is_empty(), "{:?}", got.refused);
    let [(opened, Event::Described(device))] = &got.events[..] else {
        panic!("one Described event: {got:?}");
    };
    assert_eq!(opened.signer, kid);
    assert_eq!(opened.route.device, lamp);
    assert_eq!(device.id, lamp);
    assert_eq!(device.endpoints[0].capabilities, vec![Capability::OnOff]);
    // What makes its reports reach the hub.
    assert!(out.iter().any(|o| matches!(
        o,
        Output::ZigbeeOps { node_id: 0x1A2B, ops, .. }
            if ops == &vec![ZigbeeOp::Bind { endpoint: 1, cluster: ON_OFF }]
    )));

    // The key and the record came together and stay together.
    let hub = hub.restart();
    assert_eq!(hub.kid(&lamp), Some(kid));
    assert_eq!(hub.gateway.devices().len(), 1);
}

#[test]
fn a_zwave_node_that_is_included_is_keyed_and_described() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Owner, None);
    let (lock, out) = hub.include_zwave(5, &[CC_LOCK]);
    assert_eq!(lock, sealhub::model::zwave_device_id(HOME_ID, 5));
    let got = phone.take(&out);
    assert_eq!(got.key_distributions, 1);
    let [(opened, Event::Described(device))] = &got.events[..] else {
        panic!("one Described event: {got:?}");
    };
    assert_eq!(Some(opened.signer), hub.kid(&lock));
    assert_eq!(device.endpoints[0].capabilities, vec![Capability::DoorLock]);
    // Described again (a later interview): the key stays, and nothing is said when nothing
    // changed.
    let again = hub.handle(Input::ZwaveDescribed(zwave_record(5, &[CC_LOCK])));
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(Some(opened.signer), hub.kid(&lock));
}

#[test]
fn a_report_becomes_an_event_the_client_verifies_with_the_device_key() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Guest, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    phone.take(&out);

    let out = hub.report_on_off(0x1A2B, 1, true);
    let got = phone.take(&out);
    let [(opened, Event::Report { endpoint, values })] = &got.events[..] else {
        panic!("one report event: {got:?}");
    };
    assert_eq!(Some(opened.signer), hub.kid(&lamp));
    assert_eq!(
        (*endpoint, values.clone()),
        (1, vec![Attribute::OnOff(true)])
    );
    assert_eq!(
        hub.gateway.state_of(&lamp, 1),
        Some(vec![Attribute::OnOff(true)])
    );

    // A Z-Wave report too.
    let (switch, out) = hub.include_zwave(7, &[CC_SWITCH]);
    phone.take(&out);
    let out = hub.handle(Input::Zwave(ZwaveEvent::Report {
        node: 7,
        endpoint: 0,
        security: None,
        report: CommandClassFrame::BinarySwitch(BinarySwitch::Report {
            current: 0,
            transition: None,
        }),
    }));
    let got = phone.take(&out);
    assert_eq!(got.events.len(), 1);
    assert_eq!(Some(got.events[0].0.signer), hub.kid(&switch));

    // A report from a node nobody knows is not an event.
    assert!(hub.report_on_off(0x7777, 1, true).is_empty());
}

#[test]
fn state_and_history_survive_a_restart_and_the_missed_events_come_back() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Member, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    phone.take(&out);
    let first = hub.report_on_off(0x1A2B, 1, true);
    let seen = phone.take(&first);
    let seen_seq = seen.events[0].0.body.seq;
    // The phone is away for these two.
    let missed: Vec<Vec<u8>> = [false, true]
        .into_iter()
        .flat_map(|on| hub.report_on_off(0x1A2B, 1, on))
        .filter_map(|o| match o {
            Output::Deliver(Delivery::Broadcast { bytes, .. }) => Some(bytes),
            _ => None,
        })
        .collect();
    assert_eq!(missed.len(), 2);

    let mut hub = hub.restart();
    hub.radios_up();
    assert_eq!(
        hub.gateway.state_of(&lamp, 1),
        Some(vec![Attribute::OnOff(true)])
    );
    let (_, out) = hub.send(
        &mut phone,
        &sealhub::gateway::core::hub_device(),
        hub_command(HubCommand::History {
            device: Some(lamp.clone()),
            after: seen_seq,
        }),
    );
    let Response::Hub(HubResponse::History(envelopes)) = phone.response(&out) else {
        panic!("a history answer");
    };
    assert_eq!(envelopes, missed, "the missed events, as first sent");
    let replayed = phone.take(
        &envelopes
            .into_iter()
            .map(|bytes| {
                Output::Deliver(Delivery::Broadcast {
                    device: lamp.clone(),
                    bytes,
                })
            })
            .collect::<Vec<_>>(),
    );
    assert_eq!(replayed.events.len(), 2, "{replayed:?}");
}

#[test]
fn the_history_keeps_the_newest_events_only() {
    let config = sealhub::gateway::core::GatewayConfig {
        history_len: 4,
        ..Default::default()
    };
    let mut hub = Hub::open(support::tempdir(), config, Definitions::default());
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    phone.take(&out);
    let mut last = Vec::new();
    for i in 0..10 {
        last = hub.report_on_off(0x1A2B, 1, i % 2 == 0);
    }
    let newest_seq = phone.take(&last).events[0].0.body.seq;
    let (_, out) = hub.send(
        &mut phone,
        &sealhub::gateway::core::hub_device(),
        hub_command(HubCommand::History {
            device: Some(lamp),
            after: 0,
        }),
    );
    let Response::Hub(HubResponse::History(envelopes)) = phone.response(&out) else {
        panic!("a history answer");
    };
    assert_eq!(envelopes.len(), 4);
    let last_of_history = phone.take(&[Output::Deliver(Delivery::Broadcast {
        device: sealhub::gateway::core::hub_device(),
        bytes: envelopes[3].clone(),
    })]);
    // Already seen by the phone: refused as a replay, which proves it is the newest event.
    assert!(
        matches!(last_of_history.refused[..], [Refused::Replay { seq, .. }] if seq == newest_seq),
        "{last_of_history:?}"
    );
}

#[test]
fn a_device_that_leaves_is_revoked_and_its_old_events_are_refused() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    phone.take(&out);
    let old_kid = hub.kid(&lamp).expect("keyed");
    // An event signed before the device leaves, delivered late.
    let late = hub.report_on_off(0x1A2B, 1, true);

    let out = hub.handle(Input::Zigbee(ZigbeeEvent::DeviceLeft {
        eui64: LAMP,
        node_id: 0x1A2B,
    }));
    let got = phone.take(&out);
    assert!(
        matches!(got.events[..], [(_, Event::Left)]),
        "its last word, signed by its key: {got:?}"
    );
    assert_eq!(got.key_distributions, 1);
    assert_eq!(got.revocation_lists, 1);
    assert!(hub.kid(&lamp).is_none());
    let refused = phone.take(&late);
    assert!(
        matches!(refused.refused[..], [Refused::Revoked(k)] if k == old_kid),
        "{refused:?}"
    );
    // Its reports are nobody's now, and it stays gone after a restart.
    assert!(hub.report_on_off(0x1A2B, 1, false).is_empty());
    let hub = hub.restart();
    assert!(hub.gateway.devices().is_empty());
    assert!(hub.kid(&lamp).is_none());
}

#[test]
fn a_reset_device_gets_a_new_key_and_a_plain_rejoin_keeps_its_key() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    phone.take(&out);
    let first = hub.kid(&lamp).expect("keyed");

    // A secured rejoin at a new node id: same key; its reports come from the new node id.
    let out = hub.handle(Input::Zigbee(ZigbeeEvent::DeviceJoined {
        eui64: LAMP,
        node_id: 0x3C4D,
        kind: JoinKind::SecuredRejoin,
    }));
    assert!(radio_requests(&out).is_empty(), "no interview: {out:?}");
    assert_eq!(hub.kid(&lamp), Some(first));
    let got = phone.take(&hub.report_on_off(0x3C4D, 1, true));
    assert_eq!(got.events.len(), 1);
    assert_eq!(got.events[0].0.signer, first);
    // A node id change announced: same key.
    hub.handle(Input::Zigbee(ZigbeeEvent::DeviceAnnounced {
        eui64: LAMP,
        node_id: 0x5E6F,
        capabilities: Default::default(),
    }));
    assert_eq!(hub.kid(&lamp), Some(first));

    // Factory reset: a fresh join of a known address. The old key is revoked, the device
    // interviewed again and keyed anew.
    let (_, out) = hub.join_zigbee(LAMP, 0x7A7B, &[(1, &[ON_OFF])]);
    let second = hub.kid(&lamp).expect("keyed again");
    assert_ne!(first, second);
    let got = phone.take(&out);
    assert_eq!(got.revocation_lists, 1);
    assert!(matches!(got.events.last(), Some((o, Event::Described(_))) if o.signer == second));

    // Z-Wave: a node excluded and included again gets a new node id, so a new id and key; a
    // new inclusion given a known node id means the old record was stale.
    let (switch, out) = hub.include_zwave(9, &[CC_SWITCH]);
    phone.take(&out);
    let old = hub.kid(&switch).expect("keyed");
    let (same, out) = hub.include_zwave(9, &[CC_SWITCH]);
    assert_eq!(same, switch);
    let got = phone.take(&out);
    assert!(matches!(got.events.first(), Some((o, Event::Left)) if o.signer == old));
    assert_ne!(hub.kid(&switch), Some(old));
}

#[test]
fn a_sleeping_node_waking_up_and_a_device_going_quiet_are_events() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut phone = hub.pair("phone", Role::Owner, None);
    let (sensor, out) = hub.include_zwave(12, &[CC_SENSOR, CC_WAKE_UP]);
    phone.take(&out);
    assert!(hub.gateway.devices()[0].sleeps);
    let got = phone.take(&hub.handle(Input::Zwave(ZwaveEvent::WokeUp {
        node: 12,
        released: 0,
    })));
    assert!(matches!(got.events[..], [(_, Event::WokeUp)]), "{got:?}");

    // A device that does not answer a command is unreachable; its next word makes it
    // reachable again.
    let (switch, out) = hub.include_zwave(13, &[CC_SWITCH]);
    phone.take(&out);
    let (_, out) = hub.send(
        &mut phone,
        &switch,
        device_command(0, sealhub::model::Action::TurnOn),
    );
    let ticket = ops_ticket(&out);
    let out = hub.handle(Input::RadioDone {
        ticket,
        outcome: sealhub::gateway::core::RadioOutcome::Failed {
            ran: vec![],
            failure: sealhub::gateway::core::OpFailure::new(
                sealhub::model::Failure::Unreachable,
                "node 13 did not acknowledge",
            ),
        },
    });
    let got = phone.take(&out);
    assert!(
        matches!(got.events[..], [(_, Event::Unreachable)]),
        "{got:?}"
    );
    let got = phone.take(&hub.handle(Input::Zwave(ZwaveEvent::NodeInfo {
        node: 13,
        info: Default::default(),
    })));
    assert!(matches!(got.events[..], [(_, Event::Reachable)]), "{got:?}");
    let _ = sensor;
}

#[test]
fn a_definition_added_later_applies_to_a_known_device_at_the_next_start() {
    let mut hub = Hub::new();
    hub.radios_up();
    let (lamp, _) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    assert_eq!(hub.gateway.devices()[0].model.as_deref(), Some("Lamp"));
    let definitions = Definitions::new(vec![Definition {
        source: "built-in:acme-lamp.toml".into(),
        name: "Lamp Pro".into(),
        vendor: "Acme".into(),
        matches: Match::Zigbee {
            manufacturer: "Acme".into(),
            models: vec!["Lamp".into()],
        },
        endpoints: vec![EndpointMapping {
            endpoint: 1,
            name: Some("bulb".into()),
            capabilities: vec![CapabilityMapping {
                capability: Capability::OnOff,
                source: None,
                options: MappingOptions::default(),
            }],
        }],
    }]);
    let hub = hub.restart_with(definitions);
    let device = &hub.gateway.devices()[0];
    assert_eq!(device.id, lamp);
    assert_eq!(device.model.as_deref(), Some("Lamp Pro"));
    assert_eq!(device.endpoints[0].name.as_deref(), Some("bulb"));
}

/// A device whose interview failed (its answers lost in a burst of joins) is asked again on
/// the hub's own after a wait that doubles, and keyed when a try succeeds; nothing is asked
/// before the wait is over.
#[test]
fn a_failed_zigbee_interview_is_asked_again_and_the_device_keyed() {
    let mut hub = Hub::new();
    hub.radios_up();
    let asked = Output::ZigbeeInterview {
        eui64: LAMP,
        node_id: 0x1A2B,
    };
    let joined = hub.handle(Input::Zigbee(ZigbeeEvent::DeviceJoined {
        eui64: LAMP,
        node_id: 0x1A2B,
        kind: JoinKind::Fresh,
    }));
    assert_eq!(joined, vec![asked.clone()]);
    let after = hub.config.interview_retry_after;
    let lamp = sealhub::model::zigbee_device_id(LAMP);

    // Two failures: each is asked again, the second after twice the wait.
    for wait in [after, after * 2] {
        let failed = hub.handle(Input::ZigbeeInterviewed {
            eui64: LAMP,
            result: Err("no answer from the device".into()),
        });
        assert!(failed.is_empty(), "{failed:?}");
        assert!(hub.kid(&lamp).is_none(), "no key after a failed interview");
        let early = hub.advance(wait - Duration::from_secs(1));
        assert!(!early.contains(&asked), "asked before the wait: {early:?}");
        let due = hub.advance(Duration::from_secs(1));
        assert_eq!(due, vec![asked.clone()], "asked again after {wait:?}");
    }

    hub.handle(Input::ZigbeeInterviewed {
        eui64: LAMP,
        result: Ok(zigbee_description(0x1A2B, &[(1, &[ON_OFF])], Some("Lamp"))),
    });
    assert!(hub.kid(&lamp).is_some(), "keyed on the try that succeeded");
    // Nothing more is asked for it.
    let later = hub.advance(after * 8);
    assert!(!later.contains(&asked), "{later:?}");
}

/// A device whose interview keeps failing is asked again only so many times; after that, its
/// next announcement asks again.
#[test]
fn a_zigbee_interview_that_keeps_failing_is_left_to_the_devices_next_announcement() {
    let mut hub = Hub::new();
    hub.radios_up();
    let asked = Output::ZigbeeInterview {
        eui64: LAMP,
        node_id: 0x1A2B,
    };
    hub.handle(Input::Zigbee(ZigbeeEvent::DeviceJoined {
        eui64: LAMP,
        node_id: 0x1A2B,
        kind: JoinKind::Fresh,
    }));
    let mut tries = 1;
    loop {
        hub.handle(Input::ZigbeeInterviewed {
            eui64: LAMP,
            result: Err("no answer from the device".into()),
        });
        // Long enough for any wait.
        let out = hub.advance(hub.config.interview_retry_after * 64);
        if !out.contains(&asked) {
            break;
        }
        tries += 1;
        assert!(tries < 100, "asked again without end");
    }
    assert_eq!(tries, 1 + hub.config.interview_retries);
    let announced = hub.handle(Input::Zigbee(ZigbeeEvent::DeviceAnnounced {
        eui64: LAMP,
        node_id: 0x1A2B,
        capabilities: Default::default(),
    }));
    assert_eq!(announced, vec![asked]);
}

/// A home of 250 devices: a client pairing then gets one key distribution with every
/// device's certificate (more than 64 KiB, which broke clients of a home with about 190
/// devices), opens it, and verifies an event from the last device to join.
#[test]
fn a_client_of_a_home_with_250_devices_opens_its_key_distribution_and_their_events() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut last = None;
    for n in 0..250u64 {
        let node_id = 0x1000 + n as u16;
        last = Some((
            hub.join_zigbee(LAMP + n, node_id, &[(1, &[ON_OFF])]).0,
            node_id,
        ));
    }
    let (lamp, node_id) = last.expect("joined");
    let mut phone = hub.pair("phone", Role::Owner, None);
    let distribution = hub
        .home
        .key_distribution(&phone.id)
        .expect("a key distribution");
    assert!(
        distribution.len() > 64 * 1024,
        "the case this checks: {} bytes",
        distribution.len()
    );
    let out = hub.report_on_off(node_id, 1, true);
    let got = phone.take(&out);
    assert!(got.refused.is_empty(), "{:?}", got.refused);
    let [(opened, Event::Report { .. })] = &got.events[..] else {
        panic!("one report event: {got:?}");
    };
    assert_eq!(
        Some(opened.signer),
        hub.kid(&lamp),
        "signed by the 250th device"
    );
}
