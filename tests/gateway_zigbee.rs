//! The Zigbee translation (`sealhub::gateway::zigbee`) against the emulated stick and devices,
//! end to end over a pty with the real driver: for every emulated device kind, the interview
//! becomes a mapping, the setup's binds, reporting, enrolment and reads go through the driver,
//! the first reads convert to the device's state, each action the device takes changes the
//! emulated device and reads back (or is reported) as the model value, and what the device
//! does on its own (a reading changes, motion, a contact opens, a lock turned by hand) arrives
//! as the model values it means.
//!
//! The test plays the gateway core's part the way `gateway::zigbee`'s documentation asks:
//! refine with every read and command, then convert. Every wait is bounded.

mod support;

use firmware_shim::ezsp_ncp::SimulatedDevice;
use firmware_shim::ezsp_ncp::devices::{ias_zone, thermostat};
use sealhub::definitions::Definitions;
use sealhub::gateway::zigbee;
use sealhub::gateway::{Mapping, ZigbeeOp};
use sealhub::model::{
    Action, AlarmKind, Attribute as A, Capability as C, LockAction, LockSource, LockState,
    MeasureKind as M, RunningState, ThermostatMode,
};
use sealhub_radios::zigbee::driver::{Outcome, RadioEvent};
use sealhub_radios::zigbee::security::InstallCode;
use sealhub_radios::zigbee::zcl::clusters::door_lock;
use sealhub_radios::zigbee::zcl::clusters::ias_zone::ToClient;
use sealhub_radios::zigbee::zcl::{ClusterCommand, ZclCommand, ZclMessage};
use support::{OpResult, ZigbeeBench, read_values, run_zigbee_op};
use tokio::time::timeout;

const NODE: u16 = 0x5A17;
const EUI: [u8; 8] = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];

type MakeDevice = fn([u8; 8], u16, Option<InstallCode>) -> SimulatedDevice;

/// A joined, mapped and set-up device, and the hub's side of it.
struct Joined {
    bench: ZigbeeBench,
    mapping: Mapping,
}

impl Joined {
    /// Joins the device `make` builds, maps it, runs its setup; returns it with the state the
    /// setup's reads converted to.
    async fn new(make: MakeDevice) -> (Self, Vec<A>) {
        let mut bench = ZigbeeBench::start().await;
        let description = bench.join(make(EUI, NODE, None)).await;
        let mapping = zigbee::mapping(&description, &Definitions::default());
        let ops = zigbee::setup(&mapping, bench.network.eui64);
        let mut joined = Joined { bench, mapping };
        let state = joined.run(&ops).await;
        (joined, state)
    }

    /// Runs `ops` in order, each of which must succeed; reads are refined and converted.
    async fn run(&mut self, ops: &[ZigbeeOp]) -> Vec<A> {
        let mut state = Vec::new();
        for op in ops {
            let result = run_zigbee_op(&self.bench.stick, NODE, op)
                .await
                .unwrap_or_else(|e| panic!("{op:?} failed: {e}"));
            if let (
                ZigbeeOp::Read {
                    endpoint, cluster, ..
                },
                OpResult::Records(records),
            ) = (op, &result)
            {
                if let Some(refined) = zigbee::refine(&self.mapping, *endpoint, *cluster, records) {
                    self.mapping = refined;
                }
                state.extend(zigbee::attributes_of_report(
                    &self.mapping,
                    *endpoint,
                    *cluster,
                    &read_values(records),
                ));
            }
        }
        state
    }

    /// Carries out `action` on endpoint 1; the results of its ops.
    async fn act(&mut self, action: Action) -> Vec<OpResult> {
        let ops = zigbee::action(&self.mapping, 1, &action)
            .unwrap_or_else(|r| panic!("{action:?} refused: {}", r.message));
        let mut results = Vec::new();
        for op in &ops {
            results.push(
                run_zigbee_op(&self.bench.stick, NODE, op)
                    .await
                    .unwrap_or_else(|e| panic!("{op:?} failed: {e}")),
            );
        }
        results
    }

    /// Carries out an absolute `action` the device must confirm (a Default Response SUCCESS,
    /// a Write Attributes Response SUCCESS) and checks that the state the core answers with
    /// for it, [`zigbee::state_set_by`], is what a read finds afterwards.
    async fn act_confirmed(&mut self, action: Action) {
        let set = zigbee::state_set_by(&self.mapping, 1, &action)
            .unwrap_or_else(|| panic!("{action:?} should be known from the command"));
        for result in self.act(action.clone()).await {
            assert!(
                matches!(result, OpResult::Outcome(Outcome::Success) | OpResult::Done),
                "{action:?} was not confirmed: {result:?}"
            );
        }
        let read = self.refresh().await;
        for value in &set {
            assert!(
                read.contains(value),
                "{action:?}: answered {value:?}, read {read:?}"
            );
        }
    }

    /// The endpoint's state as read now.
    async fn refresh(&mut self) -> Vec<A> {
        let ops = zigbee::refresh(&self.mapping, 1);
        self.run(&ops).await
    }

    /// Waits for a report or cluster command from the device whose model values satisfy
    /// `want` (earlier ones, periodic reports of the old state, are skipped); returns them.
    /// A command is refined and answered as the core would. Panics after [`support::SOON`].
    async fn reported(&mut self, want: impl Fn(&[A]) -> bool) -> Vec<A> {
        timeout(support::SOON, self.next_reported(want))
            .await
            .expect("the awaited values were not reported")
    }

    async fn next_reported(&mut self, want: impl Fn(&[A]) -> bool) -> Vec<A> {
        loop {
            let event = self
                .bench
                .event(|e| {
                    matches!(
                        e,
                        RadioEvent::AttributeReport { node_id: NODE, .. }
                            | RadioEvent::ClusterCommand { node_id: NODE, .. }
                    )
                })
                .await;
            let values = match event {
                RadioEvent::AttributeReport {
                    endpoint,
                    cluster,
                    attributes,
                    ..
                } => zigbee::attributes_of_report(&self.mapping, endpoint, cluster, &attributes),
                RadioEvent::ClusterCommand {
                    endpoint, command, ..
                } => {
                    if let Some(refined) =
                        zigbee::refine_by_command(&self.mapping, endpoint, &command)
                    {
                        self.mapping = refined;
                    }
                    let answers = zigbee::replies(&self.mapping, endpoint, &command);
                    self.run(&answers).await;
                    zigbee::attributes_of_command(&self.mapping, endpoint, &command)
                }
                _ => unreachable!(),
            };
            if want(&values) {
                return values;
            }
        }
    }

    fn capabilities(&self) -> Vec<C> {
        self.mapping.model_endpoints()[0].capabilities.clone()
    }

    /// An attribute of the emulated device, as it holds it.
    fn attribute(&self, cluster: u16, id: u16) -> Option<i64> {
        self.bench.device(NODE, |d| d.zcl.get(1, cluster, id))
    }
}

fn has(want: A) -> impl Fn(&[A]) -> bool {
    move |values| values.contains(&want)
}

fn measured(kind: M, value: i64) -> A {
    A::Measurement { kind, value }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dimmable_light() {
    let (mut light, state) = Joined::new(SimulatedDevice::light).await;
    assert_eq!(light.capabilities(), [C::OnOff, C::Level]);
    assert_eq!(state, [A::OnOff(false), A::Level(0)]);

    light.act(Action::TurnOn).await;
    assert!(light.bench.device(NODE, |d| d.zcl.on()));
    assert_eq!(light.refresh().await, [A::OnOff(true), A::Level(0)]);
    light.act(Action::Toggle).await;
    assert!(!light.bench.device(NODE, |d| d.zcl.on()));

    // 50 %: CurrentLevel 127, switched on by Move to Level with On/Off; reported as
    // configured, read back the same.
    light.bench.drain();
    light
        .act(Action::SetLevel {
            level: 5_000,
            transition: Some(0),
        })
        .await;
    assert_eq!(
        light.bench.device(NODE, |d| (d.zcl.level(), d.zcl.on())),
        (127, true)
    );
    light.reported(has(A::Level(5_000))).await;
    assert_eq!(light.refresh().await, [A::OnOff(true), A::Level(5_000)]);
    light.act(Action::TurnOff).await;
    light.reported(has(A::OnOff(false))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn colour_bulb() {
    let (mut bulb, state) = Joined::new(SimulatedDevice::color_light).await;
    assert_eq!(bulb.capabilities(), [C::OnOff, C::Level, C::Color]);
    // It starts in colour temperature mode (ColorMode 2) at 250 mireds.
    assert_eq!(
        state,
        [A::OnOff(false), A::Level(0), A::ColorTemperature(250)]
    );

    bulb.act(Action::SetColorXy {
        x: 0x5000,
        y: 0x4000,
    })
    .await;
    assert_eq!(bulb.attribute(0x0300, 0x0003), Some(0x5000));
    assert_eq!(bulb.attribute(0x0300, 0x0008), Some(1), "ColorMode xy");
    let state = bulb.refresh().await;
    assert!(
        state.contains(&A::ColorXy {
            x: 0x5000,
            y: 0x4000
        }),
        "{state:?}"
    );
    assert!(!state.iter().any(|a| matches!(a, A::ColorTemperature(_))));

    // 120° and 50 %: CurrentHue 85, CurrentSaturation 127, read back as 120.47° (one ZCL
    // step is 1.42°).
    bulb.act(Action::SetColorHs {
        hue: 12_000,
        saturation: 5_000,
    })
    .await;
    assert_eq!(
        (
            bulb.attribute(0x0300, 0x0000),
            bulb.attribute(0x0300, 0x0001)
        ),
        (Some(85), Some(127))
    );
    let state = bulb.refresh().await;
    assert!(
        state.contains(&A::ColorHs {
            hue: 12_047,
            saturation: 5_000
        }),
        "{state:?}"
    );

    bulb.bench.drain();
    bulb.act(Action::SetColorTemperature(370)).await;
    assert_eq!(bulb.attribute(0x0300, 0x0007), Some(370));
    bulb.reported(has(A::ColorTemperature(370))).await;
    assert!(bulb.refresh().await.contains(&A::ColorTemperature(370)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metering_plug() {
    let (mut plug, state) = Joined::new(SimulatedDevice::plug).await;
    assert_eq!(
        plug.capabilities(),
        [
            C::OnOff,
            C::Measurement(M::Power),
            C::Measurement(M::Energy),
            C::Measurement(M::Voltage),
            C::Measurement(M::Current),
        ]
    );
    // The first read carried the multipliers and divisors; they are kept in the mapping.
    let scales: Vec<_> = plug.mapping.endpoints[0]
        .capabilities
        .iter()
        .map(|c| c.options.scale.map(|s| (s.numerator, s.denominator)))
        .collect();
    assert_eq!(
        scales,
        [
            None,
            Some((1, 10)),
            Some((1, 1000)),
            Some((1, 1)),
            Some((1, 1000))
        ]
    );
    assert_eq!(
        state,
        [
            A::OnOff(false),
            measured(M::Power, 0),
            measured(M::Voltage, 230_000),
            measured(M::Current, 0),
            measured(M::Energy, 0),
        ]
    );

    // Switched on, its 60 W load draws power: a report of ActivePower alone converts with
    // the kept divisor.
    plug.bench.drain();
    plug.act(Action::TurnOn).await;
    assert!(plug.bench.device(NODE, |d| d.zcl.on()));
    plug.reported(has(measured(M::Power, 60_000))).await;
    let state = plug.refresh().await;
    for want in [
        A::OnOff(true),
        measured(M::Power, 60_000),
        measured(M::Voltage, 230_000),
        // 60 W / 230 V = 260 mA, as the plug computes it.
        measured(M::Current, 260),
    ] {
        assert!(state.contains(&want), "{want:?} not in {state:?}");
    }
    // 1.5 kWh delivered (1500 Wh with divisor 1000).
    plug.bench
        .device(NODE, |d| d.zcl.set(1, 0x0702, 0x0000, 1_500));
    plug.reported(has(measured(M::Energy, 1_500_000))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn door_lock() {
    let (mut lock, state) = Joined::new(SimulatedDevice::door_lock).await;
    assert_eq!(lock.capabilities(), [C::DoorLock, C::Battery]);
    assert_eq!(
        state,
        [A::LockState(LockState::Locked), A::BatteryPercent(100)]
    );

    // Unlock Door: the lock's own response (SUCCESS), its state, and its Operation Event
    // Notification (source RF) as a remote unlock.
    lock.bench.drain();
    let results = lock.act(Action::Unlock).await;
    let [OpResult::Outcome(Outcome::Response(frame))] = &results[..] else {
        panic!("{results:?}")
    };
    assert_eq!(
        ZclMessage::from_frame(0x0101, frame).unwrap().command,
        ZclCommand::Cluster(ClusterCommand::DoorLockReply(
            door_lock::ToClient::UnlockDoorResponse(door_lock::LockResponse { status: 0 })
        ))
    );
    assert_eq!(lock.attribute(0x0101, 0x0000), Some(2));
    let event = A::LockOperation {
        action: LockAction::Unlocked,
        source: LockSource::Remote,
        slot: None,
    };
    lock.reported(has(event)).await;
    lock.reported(has(A::LockState(LockState::Unlocked))).await;

    lock.act(Action::Lock).await;
    assert_eq!(lock.attribute(0x0101, 0x0000), Some(1));
    assert_eq!(lock.refresh().await[0], A::LockState(LockState::Locked));

    // Someone turns it by hand.
    lock.bench.drain();
    lock.bench.device(NODE, |d| d.turn_lock_by_hand(false));
    lock.reported(has(A::LockOperation {
        action: LockAction::Unlocked,
        source: LockSource::Manual,
        slot: None,
    }))
    .await;

    // A user code in slot 2: the lock's User ID 1 holds it; cleared again.
    let results = lock
        .act(Action::SetUserCode {
            slot: 2,
            code: "2468".into(),
        })
        .await;
    let [OpResult::Outcome(Outcome::Response(frame))] = &results[..] else {
        panic!("{results:?}")
    };
    assert_eq!(
        ZclMessage::from_frame(0x0101, frame).unwrap().command,
        ZclCommand::Cluster(ClusterCommand::DoorLockReply(
            door_lock::ToClient::SetPinCodeResponse(door_lock::PinCodeResponse { status: 0 })
        ))
    );
    let codes = lock.bench.device(NODE, |d| d.zcl.pin_codes.clone());
    assert_eq!(codes.get(&1).map(Vec::as_slice), Some(&b"2468"[..]));
    lock.act(Action::ClearUserCode { slot: 2 }).await;
    assert!(lock.bench.device(NODE, |d| d.zcl.pin_codes.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thermostat() {
    let (mut t, state) = Joined::new(SimulatedDevice::thermostat).await;
    assert_eq!(t.capabilities(), [C::Thermostat]);
    assert_eq!(
        state,
        [
            A::LocalTemperature(2100),
            A::HeatingSetpoint(2000),
            A::CoolingSetpoint(2600),
            A::ThermostatMode(ThermostatMode::Heat),
            A::RunningState(RunningState::Idle),
        ]
    );
    // Heating to 22.5 °C in a 21 °C room: it heats.
    t.act(Action::SetHeatingSetpoint(2250)).await;
    assert_eq!(
        t.attribute(thermostat::THERMOSTAT_CLUSTER, 0x0012),
        Some(2250)
    );
    let state = t.refresh().await;
    assert!(state.contains(&A::HeatingSetpoint(2250)), "{state:?}");
    assert!(state.contains(&A::RunningState(RunningState::Heating)));
    // Cooling to 20 °C: it cools.
    t.act(Action::SetThermostatMode(ThermostatMode::Cool)).await;
    t.act(Action::SetCoolingSetpoint(2000)).await;
    assert_eq!(t.attribute(thermostat::THERMOSTAT_CLUSTER, 0x001C), Some(3));
    let state = t.refresh().await;
    for want in [
        A::ThermostatMode(ThermostatMode::Cool),
        A::CoolingSetpoint(2000),
        A::RunningState(RunningState::Cooling),
    ] {
        assert!(state.contains(&want), "{want:?} not in {state:?}");
    }
    // The room warms up to 23 °C.
    t.bench.drain();
    t.bench.device(NODE, |d| {
        d.zcl.set(
            1,
            thermostat::THERMOSTAT_CLUSTER,
            thermostat::LOCAL_TEMPERATURE,
            2300,
        )
    });
    t.reported(has(A::LocalTemperature(2300))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn climate_sensor() {
    let (mut sensor, state) = Joined::new(SimulatedDevice::climate_sensor).await;
    assert_eq!(
        sensor.capabilities(),
        [
            C::Measurement(M::Temperature),
            C::Measurement(M::Humidity),
            C::Battery
        ]
    );
    assert_eq!(
        state,
        [
            measured(M::Temperature, 2150),
            measured(M::Humidity, 4500),
            A::BatteryPercent(100),
        ]
    );
    sensor.bench.drain();
    sensor
        .bench
        .device(NODE, |d| d.zcl.set(1, 0x0402, 0x0000, -350));
    sensor.reported(has(measured(M::Temperature, -350))).await;
    // The battery runs down to 18.5 %: read (its reports wait an hour at least).
    sensor
        .bench
        .device(NODE, |d| d.zcl.set(1, 0x0001, 0x0021, 37));
    assert!(sensor.refresh().await.contains(&A::BatteryPercent(19)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn motion_sensor() {
    let (mut sensor, state) = Joined::new(SimulatedDevice::motion_sensor).await;
    // Its zone type (motion) read in setup adds nothing: occupancy already says motion.
    assert_eq!(
        sensor.capabilities(),
        [
            C::Alarm(AlarmKind::Motion),
            C::Alarm(AlarmKind::Tamper),
            C::Battery
        ]
    );
    let still = A::Alarm {
        kind: AlarmKind::Motion,
        active: false,
    };
    assert!(state.contains(&still), "{state:?}");
    assert!(state.contains(&A::Alarm {
        kind: AlarmKind::Tamper,
        active: false
    }));
    // Enrolled by the setup: the zone answers with notifications.
    assert_eq!(
        sensor.attribute(ias_zone::IAS_ZONE_CLUSTER, ias_zone::ZONE_STATE),
        Some(1)
    );
    // Motion: Occupancy is reported as configured, and the zone sends its notification (its
    // tamper and battery bits; occupancy already tells the motion), in either order.
    sensor.bench.drain();
    sensor.bench.device(NODE, |d| d.set_motion(true));
    let wanted = [
        A::Alarm {
            kind: AlarmKind::Motion,
            active: true,
        },
        A::BatteryLow(false),
    ];
    let both = async {
        let mut seen = Vec::new();
        while !wanted.iter().all(|w| seen.contains(w)) {
            seen.extend(sensor.next_reported(|v| !v.is_empty()).await);
        }
    };
    timeout(support::SOON, both)
        .await
        .expect("motion and the zone's notification were reported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_sensor() {
    let (mut sensor, state) = Joined::new(SimulatedDevice::contact_sensor).await;
    // The zone type read in setup (contact switch) gave the zone its kind.
    assert_eq!(
        sensor.capabilities(),
        [
            C::Alarm(AlarmKind::Contact),
            C::Alarm(AlarmKind::Tamper),
            C::Battery
        ]
    );
    let closed = A::Alarm {
        kind: AlarmKind::Contact,
        active: false,
    };
    assert!(state.contains(&closed), "{state:?}");
    assert_eq!(
        sensor.attribute(ias_zone::IAS_ZONE_CLUSTER, ias_zone::ZONE_STATE),
        Some(1)
    );
    // The zone also asked to enrol (Zone Enroll Request, after the hub wrote its address):
    // the reply enrols a zone that was not (here: made to forget its enrolment).
    let (request, zone_type) = sensor
        .bench
        .event_map(|e| match e {
            RadioEvent::ClusterCommand {
                node_id: NODE,
                command: command @ ClusterCommand::IasZoneReport(ToClient::ZoneEnrollRequest(r)),
                ..
            } => Some((command.clone(), r.zone_type)),
            _ => None,
        })
        .await;
    assert_eq!(zone_type, 0x0015, "contact switch");
    sensor.bench.device(NODE, |d| {
        d.zcl
            .set(1, ias_zone::IAS_ZONE_CLUSTER, ias_zone::ZONE_STATE, 0)
    });
    let replies = zigbee::replies(&sensor.mapping, 1, &request);
    assert_eq!(replies.len(), 1);
    sensor.run(&replies).await;
    assert_eq!(
        sensor.attribute(ias_zone::IAS_ZONE_CLUSTER, ias_zone::ZONE_STATE),
        Some(1)
    );
    assert_eq!(
        zigbee::refine_by_command(&sensor.mapping, 1, &request),
        None,
        "the kind was known from the read"
    );

    sensor.bench.drain();
    sensor.bench.device(NODE, |d| d.set_contact_open(true));
    let values = sensor
        .reported(has(A::Alarm {
            kind: AlarmKind::Contact,
            active: true,
        }))
        .await;
    assert_eq!(
        values,
        [
            A::Alarm {
                kind: AlarmKind::Contact,
                active: true
            },
            A::Alarm {
                kind: AlarmKind::Tamper,
                active: false
            },
            A::BatteryLow(false),
        ]
    );
    sensor.bench.device(NODE, |d| d.set_contact_open(false));
    sensor.reported(has(closed)).await;
}

/// An absolute command the device confirms is answered with the state it set, without a read
/// (`docs/GATEWAY.md`): that state must be what the device holds. Each is checked against a
/// read of the emulated device; actions whose result the command does not say are read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_a_confirmed_command_sets_is_what_the_device_reads_back() {
    let (mut light, _) = Joined::new(SimulatedDevice::light).await;
    light.act_confirmed(Action::TurnOn).await;
    light.act_confirmed(Action::TurnOff).await;
    light
        .act_confirmed(Action::SetLevel {
            level: 3_333,
            transition: Some(0),
        })
        .await;
    for unknown in [
        Action::Toggle,
        Action::SetLevel {
            level: 5_000,
            transition: None,
        },
        Action::SetLevel {
            level: 5_000,
            transition: Some(10),
        },
        Action::SetLevel {
            level: 0,
            transition: Some(0),
        },
        Action::Refresh,
    ] {
        assert_eq!(
            zigbee::state_set_by(&light.mapping, 1, &unknown),
            None,
            "{unknown:?} is read back"
        );
    }

    let (mut bulb, _) = Joined::new(SimulatedDevice::color_light).await;
    bulb.act_confirmed(Action::SetColorXy {
        x: 0x5000,
        y: 0x4000,
    })
    .await;
    bulb.act_confirmed(Action::SetColorHs {
        hue: 12_000,
        saturation: 5_000,
    })
    .await;
    bulb.act_confirmed(Action::SetColorTemperature(370)).await;

    let (mut t, _) = Joined::new(SimulatedDevice::thermostat).await;
    t.act_confirmed(Action::SetHeatingSetpoint(2250)).await;
    t.act_confirmed(Action::SetThermostatMode(ThermostatMode::Cool))
        .await;
    t.act_confirmed(Action::SetCoolingSetpoint(2000)).await;

    // A lock's Lock Door Response is its own frame, whose status is not read: read back.
    let (lock, _) = Joined::new(SimulatedDevice::door_lock).await;
    assert_eq!(zigbee::state_set_by(&lock.mapping, 1, &Action::Lock), None);
}
