//! `sealhub run` end to end: the binary with both emulated sticks and its demo house, the
//! clients' transport on 127.0.0.1 (real TLS, the certificate pinned), clients paired on the
//! hub's store beforehand. A client opens its key distribution, lists the devices, and for
//! each capability the demo house has seals a command, gets `Done` with the new state (read
//! back from the emulated device after the command) and opens the event the device's report
//! produced (its signature checked by the client's `open`). A guest is refused at the lock.

mod support;

use sealhub::model::{
    Action, Attribute, Capability, Failure, LockState, Response, Role, ThermostatMode,
};
use support::hub::{RunningHub, endpoint_with};
use support::{device_command, id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_drives_every_zigbee_capability_of_the_demo_house_and_a_guest_is_kept_from_the_lock()
 {
    let (hub, mut phones) = RunningHub::start(&[("owner", Role::Owner), ("guest", Role::Guest)]);
    let mut guest = phones.pop().expect("guest");
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let list = session.devices(&mut owner).await;
    for d in support::hub::DEMO_HOUSE {
        assert!(list.iter().any(|x| x.id == id(d)), "{d} missing: {list:?}");
    }
    let s = &mut session;
    let o = &mut owner;

    // On/off: the light and the plug.
    let light = "zb:124b00000000a15e";
    s.act(o, &list, light, Capability::OnOff, Action::TurnOn, |a| {
        *a == Attribute::OnOff(true)
    })
    .await;
    s.act(o, &list, light, Capability::OnOff, Action::TurnOff, |a| {
        *a == Attribute::OnOff(false)
    })
    .await;
    let plug = "zb:124b00000000a102";
    s.act(o, &list, plug, Capability::OnOff, Action::TurnOn, |a| {
        *a == Attribute::OnOff(true)
    })
    .await;

    // Level: half way (Zigbee's 127 of 254 is exactly 50.00 %).
    let level = Action::SetLevel {
        level: 5000,
        transition: Some(0),
    };
    s.act(o, &list, light, Capability::Level, level, |a| {
        *a == Attribute::Level(5000)
    })
    .await;

    // Colour: the colour bulb to a colour temperature.
    let bulb = "zb:124b00000000a101";
    s.act(
        o,
        &list,
        bulb,
        Capability::Color,
        Action::SetColorTemperature(300),
        |a| *a == Attribute::ColorTemperature(300),
    )
    .await;

    // The door lock: unlocked, then locked again.
    let lock = "zb:124b00000000a103";
    s.act(o, &list, lock, Capability::DoorLock, Action::Unlock, |a| {
        *a == Attribute::LockState(LockState::Unlocked)
    })
    .await;
    s.act(o, &list, lock, Capability::DoorLock, Action::Lock, |a| {
        *a == Attribute::LockState(LockState::Locked)
    })
    .await;

    // The thermostat: its heating setpoint and its mode.
    let thermostat = "zb:124b00000000a104";
    s.act(
        o,
        &list,
        thermostat,
        Capability::Thermostat,
        Action::SetHeatingSetpoint(2250),
        |a| *a == Attribute::HeatingSetpoint(2250),
    )
    .await;
    s.act(
        o,
        &list,
        thermostat,
        Capability::Thermostat,
        Action::SetThermostatMode(ThermostatMode::Cool),
        |a| *a == Attribute::ThermostatMode(ThermostatMode::Cool),
    )
    .await;

    // A guest may switch the light but not open the door.
    let mut guest_session = hub.connect(&mut guest).await;
    let endpoint = endpoint_with(&list, &id(lock), &Capability::DoorLock);
    let refused = guest_session
        .command(
            &mut guest,
            &id(lock),
            &device_command(endpoint, Action::Unlock),
        )
        .await;
    assert!(
        matches!(
            refused,
            Response::Failed {
                failure: Failure::NotPermitted,
                ..
            }
        ),
        "{refused:?}"
    );
    // The lock stayed locked: the owner reads it.
    let endpoint = endpoint_with(&list, &id(lock), &Capability::DoorLock);
    let state = session
        .command(
            &mut owner,
            &id(lock),
            &device_command(endpoint, Action::Refresh),
        )
        .await;
    assert!(
        matches!(&state, Response::Done { state, .. } if state.contains(&Attribute::LockState(LockState::Locked))),
        "{state:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_drives_the_zwave_switch_dimmer_and_s2_lock_of_the_demo_house() {
    let (hub, mut phones) = RunningHub::start(&[("owner", Role::Owner)]);
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let list = session.devices(&mut owner).await;
    let s = &mut session;
    let o = &mut owner;

    let switch = "zw:c0ffee42:2";
    s.act(o, &list, switch, Capability::OnOff, Action::TurnOn, |a| {
        *a == Attribute::OnOff(true)
    })
    .await;
    s.act(o, &list, switch, Capability::OnOff, Action::TurnOff, |a| {
        *a == Attribute::OnOff(false)
    })
    .await;

    // The dimmable bulb: Z-Wave levels are 0..=99, so 50 % comes back as the level the
    // bulb took, within one step.
    let dimmer = "zw:c0ffee42:4";
    let level = s
        .act(
            o,
            &list,
            dimmer,
            Capability::Level,
            Action::SetLevel {
                level: 5000,
                transition: None,
            },
            |a| matches!(a, Attribute::Level(l) if l.abs_diff(5000) <= 102),
        )
        .await;
    assert_ne!(level, Attribute::Level(0));

    // The door lock, included with S2 Access Control: every command and report under S2.
    let lock = "zw:c0ffee42:6";
    s.act(o, &list, lock, Capability::DoorLock, Action::Unlock, |a| {
        *a == Attribute::LockState(LockState::Unlocked)
    })
    .await;
    s.act(o, &list, lock, Capability::DoorLock, Action::Lock, |a| {
        *a == Attribute::LockState(LockState::Locked)
    })
    .await;
}
