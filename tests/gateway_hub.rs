//! Hub-level commands through the same envelopes, addressed to the hub's own device and
//! answered with its key, each checked against the client's role; and the read scopes the
//! transport is given.

mod support;

use sealhub::envelope::Error as Refused;
use sealhub::gateway::core::{
    Delivery, Input, OpOutput, Output, RadioOutcome, ReadScope, hub_device,
};
use sealhub::identity::Permissions;
use sealhub::model::{Event, Failure, HubCommand, HubResponse, Response, Role};
use support::*;

const LAMP: u64 = 0x0017_8801_0000_0001;
const PLUG: u64 = 0x0017_8801_0000_0003;

/// Sends a hub command and returns the phone's one answer and the outputs.
fn ask(hub: &mut Hub, phone: &mut Phone, command: HubCommand) -> (Response, Vec<Output>) {
    let (_, out) = hub.send(phone, &hub_device(), hub_command(command));
    let got = phone.take(&out);
    let responses: Vec<_> = got.responses.into_iter().collect();
    assert!(responses.len() <= 1, "{responses:?}");
    let response = match responses.into_iter().next() {
        Some((opened, r)) => {
            assert_eq!(
                Some(opened.signer),
                hub.kid(&hub_device()),
                "signed by the hub"
            );
            r
        }
        None => Response::TimedOut,
    };
    (response, out)
}

fn not_permitted(r: &Response) -> bool {
    matches!(
        r,
        Response::Failed {
            failure: Failure::NotPermitted,
            ..
        }
    )
}

#[test]
fn the_hub_is_a_device_with_its_own_key_from_the_first_start() {
    let hub = Hub::new();
    let kid = hub.kid(&hub_device()).expect("the hub's key");
    let hub = hub.restart();
    assert_eq!(
        hub.kid(&hub_device()),
        Some(kid),
        "the same key after a restart"
    );
}

#[test]
fn administration_is_for_owners_only() {
    let mut hub = Hub::new();
    hub.radios_up();
    let (lamp, _) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    let admin = [
        HubCommand::PermitJoin { seconds: 60 },
        HubCommand::StopJoin,
        HubCommand::ZwaveInclude { dsk_pin: None },
        HubCommand::ZwaveExclude,
        HubCommand::ZwaveStop,
        HubCommand::RemoveDevice {
            device: lamp.clone(),
        },
        HubCommand::RenameDevice {
            device: lamp.clone(),
            name: "x".into(),
            room: None,
        },
        HubCommand::ListClients,
        HubCommand::RemoveClient {
            client: id("owner"),
        },
        HubCommand::Invite {
            role: Role::Guest,
            devices: None,
        },
    ];
    let reads = [
        HubCommand::ListDevices,
        HubCommand::History {
            device: None,
            after: 0,
        },
    ];
    let mut owner = hub.pair("owner", Role::Owner, None);
    for role in [Role::Member, Role::Guest] {
        let mut phone = hub.pair(&format!("{role:?}").to_lowercase(), role, None);
        for command in &admin {
            let (r, out) = ask(&mut hub, &mut phone, command.clone());
            assert!(not_permitted(&r), "{role:?} {command:?}: {r:?}");
            assert!(radio_requests(&out).is_empty());
        }
        for command in &reads {
            let (r, _) = ask(&mut hub, &mut phone, command.clone());
            assert!(matches!(r, Response::Hub(_)), "{role:?} {command:?}: {r:?}");
        }
    }
    // The owner: the radio requests go out and are answered when the radio says.
    for (command, expected) in [
        (HubCommand::PermitJoin { seconds: 60 }, "ZigbeePermitJoin"),
        (HubCommand::StopJoin, "ZigbeePermitJoin"),
        (HubCommand::ZwaveExclude, "ZwaveExclude"),
        (HubCommand::ZwaveStop, "ZwaveStop"),
    ] {
        let (_, out) = hub.send(&mut owner, &hub_device(), hub_command(command.clone()));
        assert!(
            format!("{out:?}").contains(expected),
            "{command:?}: {out:?}"
        );
        let done = hub.handle(Input::RadioDone {
            ticket: hub_ticket(&out),
            outcome: RadioOutcome::Done(vec![]),
        });
        assert_eq!(owner.response(&done), Response::Hub(HubResponse::Ok));
    }
    let (r, _) = ask(
        &mut hub,
        &mut owner,
        HubCommand::Invite {
            role: Role::Guest,
            devices: None,
        },
    );
    assert!(
        matches!(&r, Response::Failed { failure: Failure::Unsupported, message } if message == "invitations come with pairing"),
        "{r:?}"
    );
    let (r, _) = ask(&mut hub, &mut owner, HubCommand::PermitJoin { seconds: 0 });
    assert!(matches!(
        r,
        Response::Failed {
            failure: Failure::InvalidValue,
            ..
        }
    ));
}

#[test]
fn zwave_inclusion_carries_the_dsk_pin_and_refuses_a_malformed_one() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (_, out) = hub.send(
        &mut owner,
        &hub_device(),
        hub_command(HubCommand::ZwaveInclude {
            dsk_pin: Some("01234".into()),
        }),
    );
    assert!(
        matches!(
            &out[..],
            [Output::ZwaveInclude {
                pin: Some(1234),
                ..
            }]
        ),
        "{out:?}"
    );
    let (r, out) = ask(
        &mut hub,
        &mut owner,
        HubCommand::ZwaveInclude {
            dsk_pin: Some("12-45".into()),
        },
    );
    assert!(matches!(
        r,
        Response::Failed {
            failure: Failure::InvalidValue,
            ..
        }
    ));
    assert!(radio_requests(&out).is_empty());
    // With the stick away: said so, nothing asked.
    hub.handle(Input::Zwave(
        sealhub_radios::zwave::driver::RadioEvent::StickLost,
    ));
    let (r, out) = ask(&mut hub, &mut owner, HubCommand::ZwaveExclude);
    assert!(
        matches!(
            r,
            Response::Failed {
                failure: Failure::RadioUnavailable,
                ..
            }
        ),
        "{r:?}"
    );
    assert!(radio_requests(&out).is_empty());
}

#[test]
fn a_limited_client_lists_and_reads_only_its_devices() {
    let mut hub = Hub::new();
    hub.radios_up();
    let (lamp, _) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    let (plug, _) = hub.join_zigbee(PLUG, 0x3C4D, &[(1, &[ON_OFF])]);
    hub.report_on_off(0x1A2B, 1, true);
    hub.report_on_off(0x3C4D, 1, true);
    let mut kid = hub.pair("kid-tablet", Role::Guest, Some(&[&lamp]));
    let (r, _) = ask(&mut hub, &mut kid, HubCommand::ListDevices);
    let Response::Hub(HubResponse::Devices(devices)) = r else {
        panic!("{r:?}");
    };
    assert_eq!(
        devices.iter().map(|d| &d.id).collect::<Vec<_>>(),
        vec![&lamp]
    );
    let (r, _) = ask(
        &mut hub,
        &mut kid,
        HubCommand::History {
            device: None,
            after: 0,
        },
    );
    let Response::Hub(HubResponse::History(envelopes)) = r else {
        panic!("{r:?}");
    };
    // The lamp's Described and Report, nothing of the plug.
    assert_eq!(envelopes.len(), 2);
    let (r, _) = ask(
        &mut hub,
        &mut kid,
        HubCommand::History {
            device: Some(plug),
            after: 0,
        },
    );
    assert!(
        matches!(
            r,
            Response::Failed {
                failure: Failure::UnknownDevice,
                ..
            }
        ),
        "{r:?}"
    );
}

#[test]
fn removing_a_device_revokes_its_key_and_tells_it_to_leave() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    owner.take(&out);
    let old_kid = hub.kid(&lamp).expect("keyed");
    let stale = hub.report_on_off(0x1A2B, 1, true);
    let (_, out) = hub.send(
        &mut owner,
        &hub_device(),
        hub_command(HubCommand::RemoveDevice {
            device: lamp.clone(),
        }),
    );
    assert!(hub.kid(&lamp).is_none(), "revoked at once");
    assert!(out.iter().any(|o| matches!(
        o,
        Output::ZigbeeRemove {
            eui64: LAMP,
            node_id: 0x1A2B,
            ..
        }
    )));
    let got = owner.take(&out);
    assert!(matches!(got.events[..], [(_, Event::Left)]), "{got:?}");
    assert_eq!(got.revocation_lists, 1);
    let done = hub.handle(Input::RadioDone {
        ticket: hub_ticket(&out),
        outcome: RadioOutcome::Done(vec![OpOutput::Done]),
    });
    assert_eq!(owner.response(&done), Response::Hub(HubResponse::Ok));
    assert!(matches!(owner.take(&stale).refused[..], [Refused::Revoked(k)] if k == old_kid));
    // Its DeviceLeft afterwards changes nothing.
    let left = hub.handle(Input::Zigbee(
        sealhub_radios::zigbee::driver::RadioEvent::DeviceLeft {
            eui64: LAMP,
            node_id: 0x1A2B,
        },
    ));
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_renamed_device_is_described_again_and_keeps_its_name() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    owner.take(&out);
    let (_, out) = hub.send(
        &mut owner,
        &hub_device(),
        hub_command(HubCommand::RenameDevice {
            device: lamp.clone(),
            name: "Hall lamp".into(),
            room: Some("Hall".into()),
        }),
    );
    let got = owner.take(&out);
    let [(opened, Event::Described(device))] = &got.events[..] else {
        panic!("{got:?}");
    };
    assert_eq!(Some(opened.signer), hub.kid(&lamp), "signed by the lamp");
    assert_eq!(
        (device.name.as_str(), device.room.as_deref()),
        ("Hall lamp", Some("Hall"))
    );
    assert_eq!(got.responses[0].1, Response::Hub(HubResponse::Ok));
    let (r, _) = ask(
        &mut hub,
        &mut owner,
        HubCommand::RenameDevice {
            device: lamp.clone(),
            name: "  ".into(),
            room: None,
        },
    );
    assert!(matches!(
        r,
        Response::Failed {
            failure: Failure::InvalidValue,
            ..
        }
    ));
    let hub = hub.restart();
    assert_eq!(hub.gateway.devices()[0].name, "Hall lamp");
}

#[test]
fn clients_are_listed_and_a_removed_client_is_cut_off() {
    let mut hub = Hub::new();
    hub.radios_up();
    let mut owner = hub.pair("owner", Role::Owner, None);
    let (lamp, out) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    owner.take(&out);
    let mut guest = hub.pair("guest", Role::Guest, Some(&[&lamp]));
    let (r, _) = ask(&mut hub, &mut owner, HubCommand::ListClients);
    let Response::Hub(HubResponse::Clients(clients)) = r else {
        panic!("{r:?}");
    };
    let summary: Vec<_> = clients
        .iter()
        .map(|c| (c.id.to_string(), c.role, c.devices.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("guest".to_string(), Role::Guest, Some(vec![lamp.clone()])),
            ("owner".to_string(), Role::Owner, None),
        ]
    );

    let (_, out) = hub.send(
        &mut owner,
        &hub_device(),
        hub_command(HubCommand::RemoveClient {
            client: id("guest"),
        }),
    );
    assert!(out.contains(&Output::Deliver(Delivery::CloseClient {
        client: id("guest")
    })));
    assert!(out.contains(&Output::Deliver(Delivery::SetReadScope {
        client: id("guest"),
        scope: ReadScope::Nothing,
    })));
    assert!(
        !out.iter().any(|o| matches!(o, Output::Deliver(Delivery::ToClient { client, .. }) if *client == id("guest"))),
        "no new key for the removed client"
    );
    let got = owner.take(&out);
    assert_eq!(got.key_distributions, 1);
    assert_eq!(got.responses[0].1, Response::Hub(HubResponse::Ok));
    // What follows is sealed under the new epoch: the guest cannot read it.
    let after = hub.report_on_off(0x1A2B, 1, true);
    assert!(matches!(
        guest.take(&after).refused[..],
        [Refused::UnknownEpoch(_)]
    ));
    assert_eq!(owner.take(&after).events.len(), 1);
}

#[test]
fn every_client_gets_its_read_scope_at_start_and_when_clients_change() {
    let mut hub = Hub::new();
    hub.radios_up();
    let (lamp, _) = hub.join_zigbee(LAMP, 0x1A2B, &[(1, &[ON_OFF])]);
    hub.pair("owner", Role::Owner, None);
    hub.pair("kid-tablet", Role::Guest, Some(&[&lamp]));
    hub.pair_with("doorbell-panel", Permissions::SEND_COMMANDS, None);
    let expected = vec![
        Output::Deliver(Delivery::SetReadScope {
            client: id("doorbell-panel"),
            scope: ReadScope::Nothing,
        }),
        Output::Deliver(Delivery::SetReadScope {
            client: id("kid-tablet"),
            scope: ReadScope::Devices(vec![lamp.clone(), hub_device()]),
        }),
        Output::Deliver(Delivery::SetReadScope {
            client: id("owner"),
            scope: ReadScope::All,
        }),
    ];
    assert_eq!(hub.handle(Input::ClientsChanged), expected);
    let hub = hub.restart();
    assert_eq!(
        hub.started
            .iter()
            .filter(|o| matches!(o, Output::Deliver(Delivery::SetReadScope { .. })))
            .cloned()
            .collect::<Vec<_>>(),
        expected
    );
}
