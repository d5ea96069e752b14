//! Typed commands and decoded reports through the Z-Wave driver
//! (`ZwaveStick::send_command`, `RadioEvent::Report`) against the emulated controller's
//! thermostat, two-outlet metering plug and sleeping multisensor, end to end over real ptys.
//! The nodes build their frames from raw bytes, apart from the driver's codecs, so each side
//! checks the other.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::zwave_controller::{
    EmulatorHandle, SecureDevice, SecureNode, SimNode, SimNodeKind,
};
use sealhub_radios::zwave::cc::management::ConfigValue;
use sealhub_radios::zwave::cc::sensor::{MeterReading, NotificationEvent};
use sealhub_radios::zwave::cc::{
    Association, Basic, Battery, BinarySwitch, ColorSwitch, CommandClassFrame, Configuration,
    DoorLock, ManufacturerSpecific, Meter, MultiChannel, MultilevelSensor, MultilevelSwitch,
    Notification, ScaledValue, Supervision, ThermostatMode, ThermostatOperatingState,
    ThermostatSetpoint, UserCode, Version, WakeUp,
};
use sealhub_radios::zwave::driver::{
    CommandOutcome, Error, RadioEvent, SubmittedCommand, Supervised, SupervisionStatus,
};
use sealhub_radios::zwave::s2::SecurityClass;
use sealhub_radios::zwave::serial::messages::HostMessage;
use tokio::sync::mpsc;
use tokio::time::timeout;

mod support;
use support::zwave::{self, Bench, Told, driver_config, included, soon};

/// A started stick on a fresh emulator with `nodes` (ids 2, 3, …) in its network, the driver
/// told what each supports (as sealhub restores it from its database).
async fn started(dir: &Path, nodes: Vec<SimNode>) -> Bench {
    zwave::started(dir, 0xC0FF_EE43, nodes, Told::Classes, driver_config()).await
}

/// The next report from `node`'s root device matching `want`, skipping other events, with
/// the class it came under; panics after `soon()`.
async fn secure_report(
    events: &mut mpsc::Receiver<RadioEvent>,
    node: u16,
    want: impl Fn(&CommandClassFrame) -> bool,
) -> (Option<SecurityClass>, CommandClassFrame) {
    timeout(soon(), async {
        loop {
            match events.recv().await.expect("event stream open") {
                RadioEvent::Report {
                    node: n,
                    endpoint: 0,
                    security,
                    report,
                } if n == node && want(&report) => return (security, report),
                _ => {}
            }
        }
    })
    .await
    .expect("expected report did not come")
}

/// The next report from `node` matching `want`, skipping other events; panics after `soon()`.
async fn report(
    events: &mut mpsc::Receiver<RadioEvent>,
    node: u16,
    want: impl Fn(&CommandClassFrame) -> bool,
) -> (u8, CommandClassFrame) {
    timeout(soon(), async {
        loop {
            match events.recv().await.expect("event stream open") {
                RadioEvent::Report {
                    node: n,
                    endpoint,
                    security,
                    report,
                } if n == node && want(&report) => {
                    assert_eq!(security, None, "the emulated nodes talk in the clear");
                    return (endpoint, report);
                }
                _ => {}
            }
        }
    })
    .await
    .expect("expected report did not come")
}

async fn send(b: &Bench, node: u16, endpoint: u8, command: CommandClassFrame) -> CommandOutcome {
    timeout(soon(), b.stick.send_command(node, endpoint, command))
        .await
        .expect("no hang")
        .expect("the command is delivered")
}

fn supervised(outcome: &CommandOutcome) -> Supervised {
    outcome
        .supervision
        .expect("a Set to a node with Supervision is supervised")
}

fn success() -> Supervised {
    Supervised {
        status: SupervisionStatus::Success,
        remaining: None,
        more_updates: false,
    }
}

fn celsius(tenths: i32) -> ScaledValue {
    ScaledValue {
        precision: 1,
        scale: 0,
        size: 2,
        value: tenths,
    }
}

fn with_node<R>(emu: &EmulatorHandle, id: u8, f: impl FnOnce(&mut SimNodeKind) -> R) -> R {
    emu.with_stick(|s| {
        let node = s
            .controller_mut()
            .node_mut(id)
            .expect("node in the network");
        f(&mut node.kind)
    })
}

fn thermostat_state(emu: &EmulatorHandle) -> (u8, i32) {
    with_node(emu, 2, |k| match k {
        SimNodeKind::Thermostat(t) => (t.mode, t.heating),
        other => panic!("not the thermostat: {other:?}"),
    })
}

#[tokio::test]
async fn the_thermostat_takes_modes_and_setpoints_and_reports_its_state_and_temperature() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::thermostat()]).await;

    // Mode: supervised Set → Success, then Get and Supported Get.
    let heat = CommandClassFrame::ThermostatMode(ThermostatMode::Set {
        mode: 1,
        manufacturer_data: Vec::new(),
    });
    let outcome = send(&b, 2, 0, heat).await;
    assert_eq!(supervised(&outcome), success());
    assert!(outcome.applied());
    assert!(!outcome.transmit.waited_for_wake_up);
    send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatMode(ThermostatMode::Get),
    )
    .await;
    let (endpoint, got) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::ThermostatMode(_))
    })
    .await;
    assert_eq!(endpoint, 0);
    assert_eq!(
        got,
        CommandClassFrame::ThermostatMode(ThermostatMode::Report {
            mode: 1,
            manufacturer_data: Vec::new(),
        })
    );
    send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatMode(ThermostatMode::SupportedGet),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::ThermostatMode(_)
        ))
        .await
        .1,
        CommandClassFrame::ThermostatMode(ThermostatMode::SupportedReport { mask: vec![0x0F] })
    );

    // Setpoint: the thermostat reports Working for 5 s, then its final Success arrives as an
    // event of its own.
    let outcome = send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Set {
            setpoint_type: 1,
            value: celsius(225),
        }),
    )
    .await;
    assert_eq!(
        supervised(&outcome),
        Supervised {
            status: SupervisionStatus::Working,
            remaining: Some(Duration::from_secs(5)),
            more_updates: true,
        }
    );
    assert!(outcome.applied());
    let (_, last) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::Supervision(_))
    })
    .await;
    assert!(
        matches!(
            last,
            CommandClassFrame::Supervision(Supervision::Report {
                status: 0xFF,
                more_updates_follow: false,
                ..
            })
        ),
        "{last:?}"
    );
    send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Get { setpoint_type: 1 }),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::ThermostatSetpoint(_)
        ))
        .await
        .1,
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Report {
            setpoint_type: 1,
            value: celsius(225),
        })
    );

    // 21.5 °C under a 22.5 °C heating setpoint: heating.
    send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatOperatingState(ThermostatOperatingState::Get),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::ThermostatOperatingState(_)
        ))
        .await
        .1,
        CommandClassFrame::ThermostatOperatingState(ThermostatOperatingState::Report { state: 1 })
    );
    send(
        &b,
        2,
        0,
        CommandClassFrame::MultilevelSensor(MultilevelSensor::Get {
            requested: Some((1, 0)),
        }),
    )
    .await;
    let (_, temperature) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::MultilevelSensor(_))
    })
    .await;
    assert_eq!(
        temperature,
        CommandClassFrame::MultilevelSensor(MultilevelSensor::Report {
            sensor_type: 1,
            value: celsius(215),
        })
    );

    // The room warms past the setpoint: unsolicited temperature and operating state reports.
    let frames = with_node(&b.emu, 2, |k| match k {
        SimNodeKind::Thermostat(t) => t.set_temperature(230),
        other => panic!("not the thermostat: {other:?}"),
    });
    b.emu.with_stick(|s| s.from_node(2, frames));
    let (_, warmer) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::MultilevelSensor(_))
    })
    .await;
    let CommandClassFrame::MultilevelSensor(MultilevelSensor::Report { value, .. }) = warmer else {
        panic!("{warmer:?}")
    };
    assert!((value.as_f64() - 23.0).abs() < 1e-9, "{value:?}");
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::ThermostatOperatingState(_)
        ))
        .await
        .1,
        CommandClassFrame::ThermostatOperatingState(ThermostatOperatingState::Report { state: 0 })
    );

    // Identity: Version and Manufacturer Specific, decoded.
    send(
        &b,
        2,
        0,
        CommandClassFrame::Version(Version::CommandClassGet { cc: 0x43 }),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::Version(_)
        ))
        .await
        .1,
        CommandClassFrame::Version(Version::CommandClassReport {
            cc: 0x43,
            version: 1
        })
    );
    send(
        &b,
        2,
        0,
        CommandClassFrame::ManufacturerSpecific(ManufacturerSpecific::Get),
    )
    .await;
    let (_, ids) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::ManufacturerSpecific(_))
    })
    .await;
    assert!(
        matches!(
            ids,
            CommandClassFrame::ManufacturerSpecific(ManufacturerSpecific::Report {
                manufacturer_id: 0xFFFF,
                ..
            })
        ),
        "{ids:?}"
    );
}

#[tokio::test]
async fn supervision_reports_a_fail_and_the_state_is_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::thermostat()]).await;
    let before = thermostat_state(&b.emu);

    // 35.0 °C is above the thermostat's 30.0 °C limit.
    let outcome = send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Set {
            setpoint_type: 1,
            value: celsius(350),
        }),
    )
    .await;
    assert_eq!(supervised(&outcome).status, SupervisionStatus::Fail);
    assert!(!outcome.applied());
    // Mode 11 (energy heat) is not one it has.
    let outcome = send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatMode(ThermostatMode::Set {
            mode: 11,
            manufacturer_data: Vec::new(),
        }),
    )
    .await;
    assert_eq!(supervised(&outcome).status, SupervisionStatus::Fail);
    assert_eq!(thermostat_state(&b.emu), before);

    // On the wire: Supervision Get around the Set.
    let last = b.emu.with_stick(|s| {
        s.received()
            .iter()
            .rev()
            .find_map(|m| match m {
                HostMessage::SendData(r) => Some(r.data.clone()),
                _ => None,
            })
            .expect("a SendData")
    });
    assert_eq!(last.get(..2), Some(&[0x6C, 0x01][..]));
    assert_eq!(last.get(4..), Some(&[0x40, 0x01, 0x0B][..]));

    // A Get is not supervised: its answer is a report.
    let outcome = send(
        &b,
        2,
        0,
        CommandClassFrame::ThermostatMode(ThermostatMode::Get),
    )
    .await;
    assert_eq!(outcome.supervision, None);
}

#[tokio::test]
async fn the_metering_plug_switches_and_meters_each_outlet_from_its_end_point() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::metering_plug()]).await;

    send(
        &b,
        2,
        0,
        CommandClassFrame::MultiChannel(MultiChannel::EndPointGet),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::MultiChannel(_)
        ))
        .await,
        (
            0,
            CommandClassFrame::MultiChannel(MultiChannel::EndPointReport {
                flags: 0x40,
                individual: 2,
                aggregated: None,
            })
        )
    );

    send(
        &b,
        2,
        0,
        CommandClassFrame::MultiChannel(MultiChannel::CapabilityGet { endpoint: 2 }),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::MultiChannel(_)
        ))
        .await
        .1,
        CommandClassFrame::MultiChannel(MultiChannel::CapabilityReport {
            dynamic: false,
            endpoint: 2,
            generic: 0x10,
            specific: 0x01,
            command_classes: vec![0x25, 0x32, 0x6C],
        })
    );

    // Outlet 2 on: supervised through Multi Channel; it reports on change from end point 2.
    let outcome = send(
        &b,
        2,
        2,
        CommandClassFrame::BinarySwitch(BinarySwitch::Set {
            value: 0xFF,
            duration: None,
        }),
    )
    .await;
    assert_eq!(supervised(&outcome), success());
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::BinarySwitch(_)
        ))
        .await,
        (
            2,
            CommandClassFrame::BinarySwitch(BinarySwitch::Report {
                current: 0xFF,
                transition: None,
            })
        )
    );
    let (endpoint, power) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::Meter(_))
    })
    .await;
    assert_eq!(endpoint, 2);
    let CommandClassFrame::Meter(Meter::Report(reading)) = power else {
        panic!("{power:?}")
    };
    assert_eq!(
        (reading.meter_type(), reading.rate_type(), reading.scale()),
        (1, 1, 2)
    );
    assert!((reading.value.as_f64() - 1500.0).abs() < 1e-9);
    assert_eq!(
        with_node(&b.emu, 2, |k| match k {
            SimNodeKind::MeteringPlug(p) => (p.outlets[0].on, p.outlets[1].on),
            other => panic!("{other:?}"),
        }),
        (false, true)
    );

    // Outlet 1 is still off; Basic on the root device stands for outlet 1.
    send(&b, 2, 1, CommandClassFrame::BinarySwitch(BinarySwitch::Get)).await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::BinarySwitch(_)
        ))
        .await,
        (
            1,
            CommandClassFrame::BinarySwitch(BinarySwitch::Report {
                current: 0x00,
                transition: None,
            })
        )
    );
    let outcome = send(
        &b,
        2,
        0,
        CommandClassFrame::Basic(Basic::Set { value: 0xFF }),
    )
    .await;
    assert_eq!(supervised(&outcome), success());
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::Basic(_)
        ))
        .await,
        (
            0,
            CommandClassFrame::Basic(Basic::Report {
                current: 0xFF,
                transition: None,
            })
        )
    );

    let (endpoint, power) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::Meter(_))
    })
    .await;
    let CommandClassFrame::Meter(Meter::Report(reading)) = power else {
        panic!("{power:?}")
    };
    assert_eq!(
        (endpoint, reading.scale(), reading.value.value),
        (0, 2, 600)
    );

    // An hour at 1500 W on outlet 2 and 60 W on outlet 1: each reports its kWh.
    let frames = with_node(&b.emu, 2, |k| match k {
        SimNodeKind::MeteringPlug(p) => p.run(3600),
        other => panic!("{other:?}"),
    });
    b.emu.with_stick(|s| s.from_node(2, frames));
    let mut energy = Vec::new();
    for _ in 0..2 {
        let (endpoint, r) = report(&mut b.events, 2, |r| {
            matches!(r, CommandClassFrame::Meter(_))
        })
        .await;
        let CommandClassFrame::Meter(Meter::Report(MeterReading { value, .. })) = r else {
            panic!("{r:?}")
        };
        energy.push((endpoint, value.value, value.precision, value.scale));
    }
    energy.sort();
    assert_eq!(energy, [(1, 6, 2, 0), (2, 150, 2, 0)]);

    // Reset outlet 2's meter, then read it.
    let outcome = send(
        &b,
        2,
        2,
        CommandClassFrame::Meter(Meter::Reset { raw: Vec::new() }),
    )
    .await;
    assert_eq!(supervised(&outcome), success());
    send(
        &b,
        2,
        2,
        CommandClassFrame::Meter(Meter::Get {
            scale_byte: Some(0x00),
            scale2: None,
        }),
    )
    .await;
    let (endpoint, r) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::Meter(_))
    })
    .await;
    assert_eq!(endpoint, 2);
    let CommandClassFrame::Meter(Meter::Report(reading)) = r else {
        panic!("{r:?}")
    };
    assert_eq!((reading.scale(), reading.value.value), (0, 0));
}

#[tokio::test]
async fn configuration_and_association_on_the_plug() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::metering_plug()]).await;

    let set = |parameter, size, value| {
        CommandClassFrame::Configuration(Configuration::Set {
            parameter,
            default: false,
            value: ConfigValue { size, value },
        })
    };
    assert_eq!(supervised(&send(&b, 2, 0, set(1, 2, 20)).await), success());
    // Out of range, and a parameter it does not have.
    assert_eq!(
        supervised(&send(&b, 2, 0, set(1, 2, 5000)).await).status,
        SupervisionStatus::Fail
    );
    assert_eq!(
        supervised(&send(&b, 2, 0, set(9, 1, 1)).await).status,
        SupervisionStatus::Fail
    );
    send(
        &b,
        2,
        0,
        CommandClassFrame::Configuration(Configuration::Get { parameter: 1 }),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::Configuration(_)
        ))
        .await
        .1,
        CommandClassFrame::Configuration(Configuration::Report {
            parameter: 1,
            value: ConfigValue { size: 2, value: 20 },
        })
    );

    let association = |a| CommandClassFrame::Association(a);
    let outcome = send(
        &b,
        2,
        0,
        association(Association::Set {
            group: 1,
            nodes: vec![1, 7],
        }),
    )
    .await;
    assert_eq!(supervised(&outcome), success());
    send(
        &b,
        2,
        0,
        association(Association::Remove {
            group: 1,
            nodes: vec![7],
        }),
    )
    .await;
    send(&b, 2, 0, association(Association::Get { group: 1 })).await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::Association(_)
        ))
        .await
        .1,
        association(Association::Report {
            group: 1,
            max_nodes: 5,
            reports_to_follow: 0,
            nodes: vec![1],
        })
    );
    send(&b, 2, 0, association(Association::GroupingsGet)).await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::Association(_)
        ))
        .await
        .1,
        association(Association::GroupingsReport { groups: 1 })
    );
}

#[tokio::test]
async fn typed_commands_for_the_multisensor_wait_for_its_wake_up() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::multisensor()]).await;
    timeout(soon(), b.stick.set_sleeping(2, true))
        .await
        .expect("no hang")
        .expect("marked sleeping");

    // Each command says at once that it waits for the wake-up; nothing reaches the node.
    let mut pending = Vec::new();
    for command in [
        CommandClassFrame::WakeUp(WakeUp::IntervalSet {
            seconds: 600,
            node_id: 1,
        }),
        CommandClassFrame::Battery(Battery::Get),
        CommandClassFrame::MultilevelSensor(MultilevelSensor::Get {
            requested: Some((1, 0)),
        }),
        CommandClassFrame::MultilevelSensor(MultilevelSensor::Get {
            requested: Some((3, 1)),
        }),
        CommandClassFrame::Notification(Notification::Get {
            raw: vec![0x00, 0x07, 0x00],
        }),
    ] {
        let submitted = timeout(soon(), b.stick.submit_command(2, 0, command))
            .await
            .expect("no hang")
            .expect("accepted");
        let SubmittedCommand::QueuedUntilWakeUp(waiting) = submitted else {
            panic!("a command to a sleeping node is queued, got {submitted:?}");
        };
        assert_eq!(waiting.node(), 2);
        pending.push(waiting);
    }
    let sent_to_node = b.emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|m| matches!(m, HostMessage::SendData(r) if r.node_id == 2))
            .count()
    });
    assert_eq!(sent_to_node, 0, "nothing sent while it sleeps");

    b.emu.with_stick(|s| s.wake_up(2));
    let released = timeout(soon(), async {
        loop {
            if let Some(RadioEvent::WokeUp { node: 2, released }) = b.events.recv().await {
                return released;
            }
        }
    })
    .await
    .expect("woke up");
    assert_eq!(released, 5);
    let mut outcomes = Vec::new();
    for waiting in pending {
        let outcome = timeout(soon(), waiting.outcome())
            .await
            .expect("sent after the wake-up")
            .expect("delivered");
        assert!(outcome.transmit.waited_for_wake_up);
        outcomes.push(outcome.supervision);
    }
    assert_eq!(
        outcomes,
        [Some(success()), None, None, None, None],
        "the Set is supervised, the Gets are not"
    );
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::Battery(_)
        ))
        .await
        .1,
        CommandClassFrame::Battery(Battery::Report {
            level: 87,
            status: None
        })
    );
    let mut readings = Vec::new();
    for _ in 0..2 {
        let (_, r) = report(&mut b.events, 2, |r| {
            matches!(r, CommandClassFrame::MultilevelSensor(_))
        })
        .await;
        let CommandClassFrame::MultilevelSensor(MultilevelSensor::Report { sensor_type, value }) =
            r
        else {
            panic!("{r:?}")
        };
        readings.push((sensor_type, value.as_f64(), value.scale));
    }
    readings.sort_by_key(|r| r.0);
    assert_eq!(readings, [(1, 19.8, 0), (3, 120.0, 1)]);
    let (_, idle) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::Notification(_))
    })
    .await;
    assert!(
        matches!(
            &idle,
            CommandClassFrame::Notification(Notification::Report {
                event: Some(NotificationEvent {
                    notification_type: 0x07,
                    event: 0x00,
                    ..
                }),
                ..
            })
        ),
        "{idle:?}"
    );
    // Then the driver sent it back to sleep, with its new interval kept.
    timeout(soon(), async {
        while !with_node(
            &b.emu,
            2,
            |k| matches!(k, SimNodeKind::Multisensor(m) if !m.awake),
        ) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("back to sleep");
    assert_eq!(
        with_node(&b.emu, 2, |k| match k {
            SimNodeKind::Multisensor(m) => (m.interval, m.wake_up_node),
            other => panic!("{other:?}"),
        }),
        (600, 1)
    );

    // Motion: the sensor sends its notification under Supervision Get; the driver decodes
    // the notification and answers the Supervision Get at once, though the node sleeps.
    let frames = with_node(&b.emu, 2, |k| match k {
        SimNodeKind::Multisensor(m) => m.set_motion(true),
        other => panic!("{other:?}"),
    });
    let session = frames
        .first()
        .and_then(|f| f.get(2))
        .copied()
        .expect("a Supervision Get");
    b.emu.with_stick(|s| s.from_node(2, frames));
    let (_, motion) = report(&mut b.events, 2, |r| {
        matches!(r, CommandClassFrame::Notification(_))
    })
    .await;
    let CommandClassFrame::Notification(Notification::Report {
        event: Some(event), ..
    }) = motion
    else {
        panic!("{motion:?}")
    };
    assert_eq!((event.notification_type, event.event), (0x07, 0x08));
    let answer = vec![0x6C, 0x02, session, 0xFF, 0x00];
    timeout(soon(), async {
        while !b.emu.with_stick(|s| {
            s.received().iter().any(
                |m| matches!(m, HostMessage::SendData(r) if r.node_id == 2 && r.data == answer),
            )
        }) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the Supervision Get is answered with Success");
}

#[tokio::test]
async fn a_sleeping_node_fails_a_bad_interval_and_an_absent_node_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = started(dir.path(), vec![SimNode::multisensor()]).await;
    timeout(soon(), b.stick.set_sleeping(2, true))
        .await
        .expect("no hang")
        .expect("marked sleeping");
    // 90 s is not on the sensor's one-minute grid.
    let submitted = timeout(
        soon(),
        b.stick.submit_command(
            2,
            0,
            CommandClassFrame::WakeUp(WakeUp::IntervalSet {
                seconds: 90,
                node_id: 1,
            }),
        ),
    )
    .await
    .expect("no hang")
    .expect("accepted");
    let SubmittedCommand::QueuedUntilWakeUp(pending) = submitted else {
        panic!("queued for the wake-up, got {submitted:?}");
    };
    b.emu.with_stick(|s| s.wake_up(2));
    let outcome = timeout(soon(), pending.outcome())
        .await
        .expect("sent after the wake-up")
        .expect("delivered");
    assert!(outcome.transmit.waited_for_wake_up);
    assert_eq!(supervised(&outcome).status, SupervisionStatus::Fail);
    assert_eq!(
        with_node(&b.emu, 2, |k| match k {
            SimNodeKind::Multisensor(m) => m.interval,
            other => panic!("{other:?}"),
        }),
        3600
    );
    let stick = b.stick;

    // Nobody at node 9; an end point out of range.
    let err = timeout(
        soon(),
        stick.send_command(9, 0, CommandClassFrame::Basic(Basic::Get)),
    )
    .await
    .expect("no hang")
    .expect_err("no such node");
    assert!(matches!(err, Error::NoAck { node: 9 }), "{err:?}");
    let err = stick
        .send_command(2, 200, CommandClassFrame::Basic(Basic::Get))
        .await
        .expect_err("end points are 1..=127");
    assert!(matches!(err, Error::InvalidEndpoint(200)), "{err:?}");
}

#[tokio::test]
async fn the_bulb_dims_over_a_duration_and_takes_colours() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::bulb()]).await;
    let dim = |value, duration| {
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Set { value, duration })
    };

    // A fade over 3 s: Working with 3 s left.
    let outcome = send(&b, 2, 0, dim(40, Some(3))).await;
    assert_eq!(
        supervised(&outcome),
        Supervised {
            status: SupervisionStatus::Working,
            remaining: Some(Duration::from_secs(3)),
            more_updates: true,
        }
    );
    send(
        &b,
        2,
        0,
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Get),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::MultilevelSwitch(_)
        ))
        .await
        .1,
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Report {
            current: 40,
            transition: None,
        })
    );
    // At once, then 0xFF ("last level") and a level out of range.
    assert_eq!(supervised(&send(&b, 2, 0, dim(0, None)).await), success());
    assert_eq!(
        supervised(&send(&b, 2, 0, dim(0xFF, None)).await),
        success()
    );
    assert_eq!(
        supervised(&send(&b, 2, 0, dim(150, None)).await).status,
        SupervisionStatus::Fail
    );
    let level = with_node(&b.emu, 2, |k| match k {
        SimNodeKind::Bulb(bulb) => bulb.level,
        other => panic!("{other:?}"),
    });
    assert_eq!(
        level, 40,
        "0xFF went back to the last level; 150 was refused"
    );
    let start = CommandClassFrame::MultilevelSwitch(MultilevelSwitch::StartLevelChange {
        flags: MultilevelSwitch::start_flags(true, true),
        start_level: 0,
        duration: None,
        step_size: None,
    });
    assert_eq!(supervised(&send(&b, 2, 0, start).await), success());
    let stop = CommandClassFrame::MultilevelSwitch(MultilevelSwitch::StopLevelChange);
    assert_eq!(supervised(&send(&b, 2, 0, stop).await), success());
    send(
        &b,
        2,
        0,
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::SupportedGet),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::MultilevelSwitch(MultilevelSwitch::SupportedReport { .. })
        ))
        .await
        .1,
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::SupportedReport {
            primary: 2,
            secondary: 0,
        })
    );

    // Colour: what it has, a Set, a Get, and a component it lacks (amber).
    send(
        &b,
        2,
        0,
        CommandClassFrame::ColorSwitch(ColorSwitch::SupportedGet),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::ColorSwitch(_)
        ))
        .await
        .1,
        CommandClassFrame::ColorSwitch(ColorSwitch::SupportedReport { mask: 0x001F })
    );
    let set = |components| {
        CommandClassFrame::ColorSwitch(ColorSwitch::Set {
            components,
            duration: None,
        })
    };
    assert_eq!(
        supervised(&send(&b, 2, 0, set(vec![(0, 0), (2, 200), (4, 30)])).await),
        success()
    );
    assert_eq!(
        supervised(&send(&b, 2, 0, set(vec![(2, 10), (5, 10)])).await).status,
        SupervisionStatus::Fail
    );
    send(
        &b,
        2,
        0,
        CommandClassFrame::ColorSwitch(ColorSwitch::Get { component: 2 }),
    )
    .await;
    assert_eq!(
        report(&mut b.events, 2, |r| matches!(
            r,
            CommandClassFrame::ColorSwitch(_)
        ))
        .await
        .1,
        CommandClassFrame::ColorSwitch(ColorSwitch::Report {
            component: 2,
            current: 200,
            transition: None,
        })
    );
}

/// Includes a secure node (the user types its PIN; S0 not allowed); returns its node id once
/// it holds `class`.
async fn include_secure(b: &mut Bench, lock: &SecureNode, class: SecurityClass) -> u16 {
    included(b, lock, class, false).await
}

async fn lock_mode(lock: &SecureNode, mode: u8) {
    timeout(soon(), async {
        while lock.state().device != (SecureDevice::DoorLock { mode }) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the lock never got there");
}

#[tokio::test]
async fn the_s2_lock_takes_typed_commands_and_user_codes_and_resynchronizes_after_a_reboot() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    let lock = SecureNode::door_lock(0x52);
    let node = include_secure(&mut b, &lock, SecurityClass::S2AccessControl).await;
    let s2 = Some(SecurityClass::S2AccessControl);

    let outcome = send(
        &b,
        node,
        0,
        CommandClassFrame::DoorLock(DoorLock::OperationSet { mode: 0x00 }),
    )
    .await;
    assert_eq!(
        outcome.supervision, None,
        "the lock does not list Supervision"
    );
    lock_mode(&lock, 0x00).await;
    send(
        &b,
        node,
        0,
        CommandClassFrame::DoorLock(DoorLock::OperationGet),
    )
    .await;
    assert_eq!(
        secure_report(&mut b.events, node, |r| matches!(
            r,
            CommandClassFrame::DoorLock(_)
        ))
        .await,
        (
            s2,
            CommandClassFrame::DoorLock(DoorLock::OperationReport {
                mode: 0x00,
                handles: 0x00,
                condition: 0x00,
                timeout_minutes: 0xFE,
                timeout_seconds: 0xFE,
                transition: None,
            })
        )
    );

    // User codes: a slot stored and read back, the slot count.
    send(
        &b,
        node,
        0,
        CommandClassFrame::UserCode(UserCode::Set {
            user_id: 3,
            status: 0x01,
            code: b"1974".to_vec(),
        }),
    )
    .await;
    send(
        &b,
        node,
        0,
        CommandClassFrame::UserCode(UserCode::Get { user_id: 3 }),
    )
    .await;
    assert_eq!(
        secure_report(&mut b.events, node, |r| matches!(
            r,
            CommandClassFrame::UserCode(_)
        ))
        .await,
        (
            s2,
            CommandClassFrame::UserCode(UserCode::Report {
                user_id: 3,
                status: 0x01,
                code: b"1974".to_vec(),
            })
        )
    );
    send(
        &b,
        node,
        0,
        CommandClassFrame::UserCode(UserCode::UsersNumberGet),
    )
    .await;
    assert_eq!(
        secure_report(&mut b.events, node, |r| matches!(
            r,
            CommandClassFrame::UserCode(_)
        ))
        .await,
        (
            s2,
            CommandClassFrame::UserCode(UserCode::UsersNumberReport { count: 8 })
        )
    );

    // The lock reboots and loses its SPAN: the typed command does not decrypt at first, the
    // lock asks for a resync, and the driver sends the command again on a new SPAN.
    lock.reboot();
    send(
        &b,
        node,
        0,
        CommandClassFrame::DoorLock(DoorLock::OperationSet { mode: 0xFF }),
    )
    .await;
    lock_mode(&lock, 0xFF).await;
    send(
        &b,
        node,
        0,
        CommandClassFrame::DoorLock(DoorLock::OperationGet),
    )
    .await;
    let (class, secured) = secure_report(&mut b.events, node, |r| {
        matches!(r, CommandClassFrame::DoorLock(_))
    })
    .await;
    assert_eq!(class, s2);
    assert!(
        matches!(
            secured,
            CommandClassFrame::DoorLock(DoorLock::OperationReport { mode: 0xFF, .. })
        ),
        "{secured:?}"
    );
}

#[tokio::test]
async fn the_s2_dimmer_answers_supervised_commands_under_its_class() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), Vec::new()).await;
    let dimmer = SecureNode::dimmer(0x53);
    let node = include_secure(&mut b, &dimmer, SecurityClass::S2Authenticated).await;
    // What it reported under S2 (Security 2 Commands Supported), restored by the caller.
    b.stick
        .set_node_command_classes(node, &[0x26, 0x6C, 0x86, 0x72]);

    let outcome = send(
        &b,
        node,
        0,
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Set {
            value: 42,
            duration: None,
        }),
    )
    .await;
    assert_eq!(supervised(&outcome), success());
    assert_eq!(dimmer.state().device, SecureDevice::Dimmer { level: 42 });
    // The Set went under S2 with Supervision inside: the dimmer never saw it in the clear.
    assert!(dimmer.state().refused.is_empty());

    // A class the dimmer does not have: No Support, and the outcome says it was not applied.
    let outcome = send(
        &b,
        node,
        0,
        CommandClassFrame::ThermostatMode(ThermostatMode::Set {
            mode: 1,
            manufacturer_data: Vec::new(),
        }),
    )
    .await;
    assert_eq!(supervised(&outcome).status, SupervisionStatus::NoSupport);
    assert!(!outcome.applied());

    send(
        &b,
        node,
        0,
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Get),
    )
    .await;
    assert_eq!(
        secure_report(&mut b.events, node, |r| matches!(
            r,
            CommandClassFrame::MultilevelSwitch(_)
        ))
        .await,
        (
            Some(SecurityClass::S2Authenticated),
            CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Report {
                current: 42,
                transition: None,
            })
        )
    );
}

#[tokio::test]
async fn frames_the_driver_does_not_decode_arrive_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path(), vec![SimNode::thermostat()]).await;
    // Central Scene Notification (a class the codecs leave alone), then a Notification Get
    // with four parameter bytes (at most three are allowed).
    let central_scene = vec![0x5B, 0x03, 0x07, 0x00, 0x01];
    let malformed = vec![0x71, 0x04, 1, 2, 3, 4];
    b.emu
        .with_stick(|s| s.from_node(2, vec![central_scene.clone(), malformed.clone()]));
    for sent in [central_scene, malformed] {
        let (endpoint, got) = report(&mut b.events, 2, |_| true).await;
        assert_eq!(endpoint, 0);
        assert!(
            matches!(got, CommandClassFrame::Unknown { .. }),
            "kept raw: {got:?}"
        );
        assert_eq!(got.encode().expect("raw bytes"), sent);
    }
}
