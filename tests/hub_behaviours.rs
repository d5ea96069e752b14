//! The behaviours the gateway promises, each tried through the real `sealhub run` binary on
//! emulated sticks the test owns ([`support::house`]), with clients over real TLS: a
//! duplicated command envelope runs once (the emulated node records one execution) and the
//! copy gets the same answer; the hub killed between a command and its answer does not run
//! it again and answers the copy with a clear outcome; a client limited to some devices is
//! refused at the others; an envelope signed by a removed device's old key is refused by
//! the client once the revocation list is in.

mod support;

use firmware_shim::zwave_controller::{Override, SimNodeKind};
use sealhub::envelope::MessageType;
use sealhub::envelope::inspect::inspect;
use sealhub::model::{Action, Attribute, Failure, HubCommand, HubResponse, Response, Role};
use sealhub_radios::zwave::serial::messages::HostMessage;
use support::house::{TestHouse, until, zwave_id};
use support::hub::{Session, TRANSPORT_UP};
use support::{Phone, device_command, hub_command, id};

/// Binary Switch Set (command class 0x25, command 0x01).
const SWITCH_SET: [u8; 2] = [0x25, 0x01];

/// How many Binary Switch Sets Z-Wave node `node` has carried out.
fn switch_sets(house: &TestHouse, node: u8) -> usize {
    house
        .zwave_received(node)
        .iter()
        .filter(|f| f.starts_with(&SWITCH_SET))
        .count()
}

fn switch_value(house: &TestHouse, node: u8) -> u8 {
    house.with_zwave(node, |k| match k {
        SimNodeKind::BinarySwitch { value } => *value,
        other => panic!("not a switch: {other:?}"),
    })
}

/// The route of `frame` as a relay reads it (no key needed).
fn route_of(frame: &[u8]) -> String {
    inspect(frame)
        .expect("an envelope")
        .route
        .expect("a sealhub route")
}

/// Reads frames until a response to `phone` opens; frames that do not open (copies of
/// envelopes it has seen) are skipped.
async fn next_response(session: &mut Session, phone: &mut Phone) -> (Response, Vec<u8>) {
    loop {
        let frame = session.next_frame().await;
        let Ok(opened) = phone.client.open(&frame) else {
            continue;
        };
        if opened.route.msg_type == MessageType::Response {
            let r = Response::from_value(&opened.body.body).expect("a response");
            if r != Response::Queued {
                return (r, frame);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_envelope_sent_twice_runs_once_and_the_copy_gets_the_same_answer() {
    let house = TestHouse::start().await;
    let (hub, mut phones) =
        tokio::task::block_in_place(|| house.start_hub(&[("owner", Role::Owner, None)]));
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let node = TestHouse::zwave_node("switch");
    let switch = id(&zwave_id(node));

    let envelope = owner.seal(&switch, &device_command(0, Action::TurnOn));
    session.send_raw(envelope.clone()).await;
    let (first, answer) = session.response(&mut owner).await;
    assert!(
        matches!(&first, Response::Done { state, .. } if state.contains(&Attribute::OnOff(true))),
        "{first:?}"
    );
    assert_eq!(switch_sets(&house, node), 1);
    assert_eq!(switch_value(&house, node), 0xFF);

    // The same bytes again (a relay that resends, an attacker who replays): the hub answers
    // with the stored answer, byte for byte, which the client has already opened...
    session.send_raw(envelope.clone()).await;
    let again = session
        .frame_where(&mut owner, |f| route_of(f).contains("type Response"))
        .await;
    assert_eq!(again, answer, "the stored answer, byte for byte");
    assert!(
        owner.client.open(&again).is_err(),
        "the client refuses the copy as a replay"
    );
    // ...and the switch was not told again.
    assert_eq!(switch_sets(&house, node), 1);

    // Someone turns it off at the wall; the old envelope replayed once more does not turn it
    // back on.
    house.with_zwave(node, |k| *k = SimNodeKind::BinarySwitch { value: 0x00 });
    session.send_raw(envelope).await;
    let third = session
        .frame_where(&mut owner, |f| route_of(f).contains("type Response"))
        .await;
    assert_eq!(third, answer);
    assert_eq!(switch_sets(&house, node), 1);
    assert_eq!(switch_value(&house, node), 0x00);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_killed_between_a_command_and_its_answer_runs_it_once_and_then_answers_interrupted()
{
    let house = TestHouse::start().await;
    let (mut hub, mut phones) =
        tokio::task::block_in_place(|| house.start_hub(&[("owner", Role::Owner, None)]));
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let node = TestHouse::zwave_node("switch");
    let switch = id(&zwave_id(node));

    // The switch carries the Set out, but the stick's answer to the hub is held back: the
    // hub has sent the command and has no outcome yet.
    house.zwave.set_override(move |m| match m {
        HostMessage::SendData(r) if r.node_id == node && r.data.starts_with(&SWITCH_SET) => {
            Override::Delay(u32::MAX)
        }
        _ => Override::Default,
    });
    let envelope = owner.seal(&switch, &device_command(0, Action::TurnOn));
    session.send_raw(envelope.clone()).await;
    until("the switch turns on", || switch_value(&house, node) == 0xFF).await;
    drop(session);

    // Killed and started again; the stick answers normally from now on.
    house.zwave.clear_override();
    tokio::task::block_in_place(|| {
        hub.restart(&[TRANSPORT_UP.to_string(), "Z-Wave radio up".to_string()])
    });
    let mut session = hub.connect(&mut owner).await;
    // The client, having no answer, sends the same envelope again: the command is not run a
    // second time, and the answer says what happened and what to do.
    // The hub answers the interrupted command when it starts; a session set up by then may
    // get that answer before its key distribution, and then the copy's answer is the same
    // envelope again (which the client, having opened it once, refuses as a replay).
    session.send_raw(envelope.clone()).await;
    let (answer, bytes) = match session.early.pop() {
        Some((answer, bytes)) => {
            session.frame_where(&mut owner, |f| f == bytes).await;
            (answer, bytes)
        }
        None => next_response(&mut session, &mut owner).await,
    };
    // Whether this was the start-up answer or the copy's, the other one may still be on its
    // way: the same envelope, which the client has opened already.
    session.answered.push(bytes);
    let Response::Failed { failure, message } = &answer else {
        panic!("expected the interrupted answer, got {answer:?}");
    };
    assert_eq!(*failure, Failure::Interrupted, "{answer:?}");
    assert!(message.contains("restarted"), "{message}");
    assert_eq!(switch_sets(&house, node), 1, "run once");

    // The switch is still on and works: a new command runs.
    let state = session
        .command(&mut owner, &switch, &device_command(0, Action::Refresh))
        .await;
    assert!(
        matches!(&state, Response::Done { state, .. } if state.contains(&Attribute::OnOff(true))),
        "{state:?}"
    );
    let off = session
        .command(&mut owner, &switch, &device_command(0, Action::TurnOff))
        .await;
    assert!(matches!(off, Response::Done { .. }), "{off:?}");
    assert_eq!(switch_sets(&house, node), 2);
    assert_eq!(switch_value(&house, node), 0x00);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_limited_to_some_devices_is_refused_at_the_others() {
    let house = TestHouse::start().await;
    let switch_node = TestHouse::zwave_node("switch");
    let bulb_node = TestHouse::zwave_node("bulb");
    let switch = zwave_id(switch_node);
    let bulb = zwave_id(bulb_node);
    let only_switch = [switch.as_str()];
    let (hub, mut phones) = tokio::task::block_in_place(|| {
        house.start_hub(&[("hallway-panel", Role::Member, Some(&only_switch))])
    });
    let mut panel = phones.pop().expect("panel");
    let mut session = hub.connect(&mut panel).await;

    // It lists only its device.
    let list = session.devices(&mut panel).await;
    let ids: Vec<String> = list.iter().map(|d| d.id.to_string()).collect();
    assert_eq!(ids, vec![switch.clone()], "{list:?}");

    // A command for the bulb, then one for the switch: the hub refuses the first (without
    // running it) and runs the second; answers come in order, so the first answer the panel
    // gets is the switch's (or the bulb's refusal).
    let refused = panel.seal(&id(&bulb), &device_command(0, Action::TurnOn));
    session.send_raw(refused).await;
    let allowed = panel.seal(&id(&switch), &device_command(0, Action::TurnOn));
    session.send_raw(allowed).await;
    let (answer, frame) = next_response(&mut session, &mut panel).await;
    let route = route_of(&frame);
    if route.contains(&format!("device {bulb} ")) {
        assert!(
            matches!(
                answer,
                Response::Failed {
                    failure: Failure::NotPermitted | Failure::UnknownDevice,
                    ..
                }
            ),
            "{answer:?}"
        );
        let (answer, _) = next_response(&mut session, &mut panel).await;
        assert!(matches!(answer, Response::Done { .. }), "{answer:?}");
    } else {
        assert!(route.contains(&format!("device {switch} ")), "{route}");
        assert!(matches!(answer, Response::Done { .. }), "{answer:?}");
    }
    assert_eq!(switch_value(&house, switch_node), 0xFF);
    // Nothing reached the bulb from the hub after its interview: still off.
    let level = house.with_zwave(bulb_node, |k| match k {
        SimNodeKind::Bulb(b) => b.level,
        other => panic!("not a bulb: {other:?}"),
    });
    assert_eq!(level, 0);
    assert!(
        !house
            .zwave_received(bulb_node)
            .iter()
            .any(|f| f.starts_with(&[0x26, 0x01]) || f.starts_with(&[0x20, 0x01])),
        "no Set reached the bulb"
    );
    // The events it got are about its own device only.
    assert!(
        session.events.iter().all(|(d, _)| d.to_string() == switch),
        "{:?}",
        session.events
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_signed_by_a_removed_devices_old_key_is_refused_once_the_revocation_arrives() {
    let house = TestHouse::start().await;
    let (hub, mut phones) =
        tokio::task::block_in_place(|| house.start_hub(&[("owner", Role::Owner, None)]));
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let node = TestHouse::zwave_node("switch");
    let switch = zwave_id(node);

    // The switch is turned at the wall: its report becomes an event signed by its key, which
    // a relay holds back (the client has not opened it).
    house.zwave_sends(node, vec![vec![0x25, 0x03, 0xFF]]);
    let held = session
        .frame_where(&mut owner, |f| {
            let r = route_of(f);
            r.contains(&format!("device {switch} ")) && r.contains("type Event")
        })
        .await;

    // The owner removes the device: its certificate is revoked and the clients get the list
    // (before or after the answer).
    let remove = owner.seal(
        &id("hub"),
        &hub_command(HubCommand::RemoveDevice {
            device: id(&switch),
        }),
    );
    session.send_raw(remove).await;
    let (mut answered, mut revoked) = (None, false);
    while answered.is_none() || !revoked {
        let frame = session.next_frame().await;
        let opened = owner.client.open(&frame).expect("opens");
        match opened.route.msg_type {
            MessageType::Response => {
                answered = Some(Response::from_value(&opened.body.body).expect("a response"));
            }
            MessageType::RevocationList => revoked = true,
            _ => {}
        }
    }
    assert_eq!(answered, Some(Response::Hub(HubResponse::Ok)));

    // The held event, genuinely signed by the old key and never seen, is now refused.
    let refused = owner
        .client
        .open(&held)
        .expect_err("an envelope of a revoked key is refused");
    assert!(
        matches!(
            refused,
            sealhub::keymgmt::Error::Envelope(sealhub::envelope::Error::Revoked(_))
        ),
        "{refused:?}"
    );
    // The hub does not take commands for it any more.
    assert!(
        !session
            .devices(&mut owner)
            .await
            .iter()
            .any(|d| d.id.to_string() == switch)
    );
}
