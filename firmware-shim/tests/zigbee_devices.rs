//! Every kind of emulated Zigbee device through the driver, end to end over real ptys: each
//! joins (the colour bulb with an install code), is interviewed, and takes commands and sends
//! reports for each of its clusters (On/Off, Level Control, Color Control, Electrical
//! Measurement, Metering, Door Lock, Power Configuration, Thermostat, Temperature Measurement,
//! Relative Humidity, Occupancy Sensing, IAS Zone with enrolment); devices leave when the hub
//! asks and on their own; and per-device faults (lost, late, broken answers, silence) fail
//! only the requests to that device, with typed errors.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{DeviceFault, EmulatorHandle, NcpConfig, SimulatedDevice};
use firmware_shim::test_time::scaled;
use sealhub_radios::zigbee::driver::{
    DeviceDescription, DriverConfig, Error, Outcome, RadioEvent, ZigbeeStick,
};
use sealhub_radios::zigbee::security::InstallCode;
use sealhub_radios::zigbee::zcl::clusters::color::{
    self, MoveToColor, MoveToColorTemperature, MoveToHueAndSaturation,
};
use sealhub_radios::zigbee::zcl::clusters::door_lock::{self, LockCommand};
use sealhub_radios::zigbee::zcl::clusters::ias_zone::{self, ZoneEnrollResponse, ZoneStatus};
use sealhub_radios::zigbee::zcl::clusters::level::{self, MoveToLevel};
use sealhub_radios::zigbee::zcl::clusters::thermostat::{self, SetpointRaiseLower};
use sealhub_radios::zigbee::zcl::clusters::{
    Empty, Trailing, ZclBytes, basic, energy, measurement, on_off,
};
use sealhub_radios::zigbee::zcl::foundation::{AttributeValue, ReportingConfiguration};
use sealhub_radios::zigbee::zcl::{
    ClusterCommand, DataType, Status, Value, ZclCommand, ZclMessage,
};
use tokio::sync::mpsc;
use tokio::time::timeout;

mod support;
use support::{event, soon};

/// How long the driver waits for a device's answer in these tests.
fn device_timeout() -> Duration {
    scaled(Duration::from_secs(4))
}

fn driver_config() -> DriverConfig {
    DriverConfig {
        device_timeout: device_timeout(),
        ..support::driver_config()
    }
}

/// The Zigbee 3.0 specification's example install code.
fn spec_code() -> InstallCode {
    InstallCode::new(&[
        0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16, 0xD5,
        0x05, 0xC3, 0xB5,
    ])
    .expect("valid install code")
}

type Events = mpsc::Receiver<RadioEvent>;

/// A started stick on a fresh emulator, open for joining.
async fn started(dir: &Path) -> (EmulatorHandle, ZigbeeStick, Events) {
    let (emu, stick, events) =
        support::started(dir, "ezsp-stick", NcpConfig::default(), driver_config()).await;
    timeout(soon(), stick.permit_join(120))
        .await
        .unwrap()
        .unwrap();
    (emu, stick, events)
}

/// `device` joins (with its install code, if it has one) and is interviewed.
async fn join(
    emu: &EmulatorHandle,
    stick: &ZigbeeStick,
    events: &mut Events,
    device: SimulatedDevice,
) -> DeviceDescription {
    let node = device.node_id;
    let eui64 = u64::from_le_bytes(device.eui64);
    if let Some(code) = &device.install_code {
        timeout(soon(), stick.add_install_code(eui64, code))
            .await
            .unwrap()
            .unwrap();
    }
    let model = device.model.clone();
    assert_eq!(emu.join_device(device), Ok(node));
    event(events, |e| {
        matches!(e, RadioEvent::DeviceJoined { node_id, eui64: got, .. } if *node_id == node && *got == eui64)
    })
    .await;
    event(
        events,
        |e| matches!(e, RadioEvent::DeviceAnnounced { node_id, .. } if *node_id == node),
    )
    .await;
    let description = timeout(soon(), stick.interview(node))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(description.model.as_deref(), Some(model.as_str()));
    assert_eq!(
        description.manufacturer.as_deref(),
        Some("Sealhub Emulated")
    );
    description
}

async fn send(
    stick: &ZigbeeStick,
    node: u16,
    cluster: u16,
    command: ClusterCommand,
) -> Result<Outcome, Error> {
    timeout(
        soon(),
        stick.send_cluster_command(node, 1, cluster, command),
    )
    .await
    .expect("command does not hang")
}

/// Reads attributes and returns each value (or status).
async fn read(
    stick: &ZigbeeStick,
    node: u16,
    cluster: u16,
    attributes: &[u16],
) -> Vec<Result<Value, Status>> {
    timeout(
        soon(),
        stick.read_attributes(node, 1, cluster, attributes.to_vec()),
    )
    .await
    .unwrap()
    .expect("read answered")
    .into_iter()
    .map(|r| r.result)
    .collect()
}

async fn read_one(stick: &ZigbeeStick, node: u16, cluster: u16, attribute: u16) -> Value {
    read(stick, node, cluster, &[attribute])
        .await
        .remove(0)
        .expect("attribute supported")
}

/// Binds `cluster` to the hub (a device reports only to bound destinations) and configures
/// reporting of one attribute; `change` for analog types.
async fn report(
    stick: &ZigbeeStick,
    node: u16,
    cluster: u16,
    (id, data_type): (u16, DataType),
    (min_interval, max_interval): (u16, u16),
    reportable_change: Option<Value>,
) {
    let record = ReportingConfiguration::Send {
        id,
        data_type,
        min_interval,
        max_interval,
        reportable_change,
    };
    timeout(soon(), stick.bind(node, 1, cluster))
        .await
        .unwrap()
        .expect("cluster bound to the hub");
    timeout(
        soon(),
        stick.configure_reporting(node, 1, cluster, vec![record]),
    )
    .await
    .unwrap()
    .expect("reporting configured");
}

/// The next report of `cluster` from `node`: its attributes.
async fn next_report(events: &mut Events, node: u16, cluster: u16) -> Vec<(u16, Value)> {
    match event(events, |e| {
        matches!(e, RadioEvent::AttributeReport { node_id, cluster: c, .. } if *node_id == node && *c == cluster)
    })
    .await
    {
        RadioEvent::AttributeReport { attributes, .. } => attributes,
        _ => unreachable!(),
    }
}

/// The next cluster command from `node` that `want` accepts (the lock's responses to the
/// hub's own commands also come out as events, and are skipped here).
async fn next_command(
    events: &mut Events,
    node: u16,
    want: impl Fn(&ClusterCommand) -> bool,
) -> ClusterCommand {
    match event(events, |e| {
        matches!(e, RadioEvent::ClusterCommand { node_id, command, .. } if *node_id == node && want(command))
    })
    .await
    {
        RadioEvent::ClusterCommand { command, .. } => command,
        _ => unreachable!(),
    }
}

/// The events already delivered, without waiting.
fn drain(events: &mut Events) -> Vec<RadioEvent> {
    std::iter::from_fn(|| events.try_recv().ok()).collect()
}

/// The next report of any cluster from `node`: cluster and attributes.
async fn next_report_any(events: &mut Events, node: u16) -> (u16, Vec<(u16, Value)>) {
    match event(
        events,
        |e| matches!(e, RadioEvent::AttributeReport { node_id, .. } if *node_id == node),
    )
    .await
    {
        RadioEvent::AttributeReport {
            cluster,
            attributes,
            ..
        } => (cluster, attributes),
        _ => unreachable!(),
    }
}

fn uint(width: u8, value: u64) -> Value {
    Value::Uint { width, value }
}

fn int(width: u8, value: i64) -> Value {
    Value::Int { width, value }
}

const BULB: u16 = 0x1B01;
const BULB_EUI: [u8; 8] = [0xB1, 0x01, 0, 0, 0, 0x6F, 0x0D, 0x00];

#[tokio::test]
async fn colour_bulb_joins_with_an_install_code_and_takes_every_colour_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    let bulb = SimulatedDevice::color_light(BULB_EUI, BULB, Some(spec_code()));
    let description = join(&emu, &stick, &mut events, bulb).await;
    let clusters = &description.endpoints[0].in_clusters.0;
    for c in [on_off::CLUSTER_ID, level::CLUSTER_ID, color::CLUSTER_ID] {
        assert!(clusters.contains(&c), "{c:#06x} in {clusters:?}");
    }

    // On/Off and Level Control, each reported once configured.
    report(
        &stick,
        BULB,
        on_off::CLUSTER_ID,
        (on_off::ON_OFF.id, DataType::BOOLEAN),
        (0, 3600),
        None,
    )
    .await;
    report(
        &stick,
        BULB,
        level::CLUSTER_ID,
        (level::CURRENT_LEVEL.id, DataType::UINT8),
        (1, 3600),
        Some(uint(1, 1)),
    )
    .await;
    let on = ClusterCommand::OnOff(on_off::ToServer::On(Empty {}));
    assert_eq!(
        send(&stick, BULB, on_off::CLUSTER_ID, on).await.unwrap(),
        Outcome::Success
    );
    assert_eq!(
        next_report_any(&mut events, BULB).await,
        (on_off::CLUSTER_ID, vec![(0, Value::Boolean(1))])
    );
    let dim = ClusterCommand::LevelControl(level::ToServer::MoveToLevel(MoveToLevel {
        level: 200,
        transition_time: 5,
        options: Trailing(None),
    }));
    send(&stick, BULB, level::CLUSTER_ID, dim).await.unwrap();
    assert_eq!(
        next_report_any(&mut events, BULB).await,
        (level::CLUSTER_ID, vec![(0, uint(1, 200))])
    );
    assert_eq!(
        read_one(&stick, BULB, on_off::CLUSTER_ID, 0).await,
        Value::Boolean(1)
    );
    assert_eq!(
        read_one(&stick, BULB, level::CLUSTER_ID, 0).await,
        uint(1, 200)
    );

    // Colour temperature, reported once configured (change of at least 10 mireds).
    report(
        &stick,
        BULB,
        color::CLUSTER_ID,
        (color::COLOR_TEMPERATURE_MIREDS.id, DataType::UINT16),
        (0, 3600),
        Some(uint(2, 10)),
    )
    .await;
    let warm = ClusterCommand::ColorControl(color::ToServer::MoveToColorTemperature(
        MoveToColorTemperature {
            mireds: 370,
            transition_time: 0,
            options: Trailing(None),
        },
    ));
    send(&stick, BULB, color::CLUSTER_ID, warm).await.unwrap();
    assert_eq!(
        next_report(&mut events, BULB, color::CLUSTER_ID).await,
        vec![(color::COLOR_TEMPERATURE_MIREDS.id, uint(2, 370))]
    );
    // Beyond the physical range: the bulb goes as far as it can.
    let too_warm = ClusterCommand::ColorControl(color::ToServer::MoveToColorTemperature(
        MoveToColorTemperature {
            mireds: 900,
            transition_time: 0,
            options: Trailing(None),
        },
    ));
    send(&stick, BULB, color::CLUSTER_ID, too_warm)
        .await
        .unwrap();
    assert_eq!(
        next_report(&mut events, BULB, color::CLUSTER_ID).await,
        vec![(color::COLOR_TEMPERATURE_MIREDS.id, uint(2, 500))]
    );

    // Hue and saturation.
    let hs = ClusterCommand::ColorControl(color::ToServer::MoveToHueAndSaturation(
        MoveToHueAndSaturation {
            hue: 120,
            saturation: 254,
            transition_time: 0,
            options: Trailing(None),
        },
    ));
    send(&stick, BULB, color::CLUSTER_ID, hs).await.unwrap();
    let ids = [
        color::CURRENT_HUE.id,
        color::CURRENT_SATURATION.id,
        color::COLOR_MODE.id,
    ];
    assert_eq!(
        read(&stick, BULB, color::CLUSTER_ID, &ids).await,
        vec![Ok(uint(1, 120)), Ok(uint(1, 254)), Ok(Value::Enum8(0))]
    );

    // CIE xy, with the ZCL 6 options appended.
    let xy = ClusterCommand::ColorControl(color::ToServer::MoveToColor(MoveToColor {
        x: 0x4CCC,
        y: 0x5555,
        transition_time: 0,
        options: Trailing(Some(level::Options {
            mask: 1,
            r#override: 1,
        })),
    }));
    send(&stick, BULB, color::CLUSTER_ID, xy).await.unwrap();
    let ids = [
        color::CURRENT_X.id,
        color::CURRENT_Y.id,
        color::COLOR_MODE.id,
    ];
    assert_eq!(
        read(&stick, BULB, color::CLUSTER_ID, &ids).await,
        vec![
            Ok(uint(2, 0x4CCC)),
            Ok(uint(2, 0x5555)),
            Ok(Value::Enum8(1))
        ]
    );
    // An attribute the bulb does not have.
    assert_eq!(
        read(&stick, BULB, color::CLUSTER_ID, &[0x7777]).await,
        vec![Err(Status(0x86))]
    );
}

const PLUG: u16 = 0x2B02;
const PLUG_EUI: [u8; 8] = [0xB2, 0x02, 0, 0, 0, 0x6F, 0x0D, 0x00];

#[tokio::test]
async fn plug_switches_its_load_and_meters_it() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::plug(PLUG_EUI, PLUG, None),
    )
    .await;
    let em = energy::ELECTRICAL_MEASUREMENT_CLUSTER_ID;
    let metering = energy::METERING_CLUSTER_ID;
    let power = [
        energy::ACTIVE_POWER.id,
        energy::RMS_VOLTAGE.id,
        energy::RMS_CURRENT.id,
        energy::AC_POWER_DIVISOR.id,
    ];
    assert_eq!(
        read(&stick, PLUG, em, &power).await,
        vec![
            Ok(int(2, 0)),
            Ok(uint(2, 230)),
            Ok(uint(2, 0)),
            Ok(uint(2, 10))
        ]
    );
    let on = ClusterCommand::OnOff(on_off::ToServer::On(Empty {}));
    send(&stick, PLUG, on_off::CLUSTER_ID, on).await.unwrap();
    // 60 W in 0.1 W, 260 mA at 230 V.
    assert_eq!(
        read(&stick, PLUG, em, &power[..3]).await,
        vec![Ok(int(2, 600)), Ok(uint(2, 230)), Ok(uint(2, 260))]
    );
    assert_eq!(
        read(
            &stick,
            PLUG,
            metering,
            &[energy::INSTANTANEOUS_DEMAND.id, energy::DIVISOR.id]
        )
        .await,
        vec![Ok(int(3, 60)), Ok(uint(3, 1000))]
    );

    // Energy delivered is reported when it moves by at least 100 Wh.
    report(
        &stick,
        PLUG,
        metering,
        (energy::CURRENT_SUMMATION_DELIVERED.id, DataType::UINT48),
        (0, 3600),
        Some(uint(6, 100)),
    )
    .await;
    emu.with_device(PLUG, |d| d.zcl.set(1, metering, 0x0000, 40))
        .unwrap();
    // A round trip: a report of the small change would be out before the answer is.
    read_one(&stick, PLUG, metering, energy::DIVISOR.id).await;
    emu.with_device(PLUG, |d| d.zcl.set(1, metering, 0x0000, 1_500))
        .unwrap();
    assert_eq!(
        next_report_any(&mut events, PLUG).await,
        (
            metering,
            vec![(energy::CURRENT_SUMMATION_DELIVERED.id, uint(6, 1_500))]
        ),
        "the change of 40 Wh stayed under the reportable change"
    );

    // Active power every second, changed or not (maximum interval 1 s).
    report(
        &stick,
        PLUG,
        em,
        (energy::ACTIVE_POWER.id, DataType::INT16),
        (0, 1),
        Some(int(2, 1_000)),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            next_report(&mut events, PLUG, em).await,
            vec![(energy::ACTIVE_POWER.id, int(2, 600))]
        );
    }
    // Switched off, the drop of 60 W is under the reportable change of 100 W, so it shows in
    // the next periodic report (one already on its way may still say 60 W).
    let off = ClusterCommand::OnOff(on_off::ToServer::Off(Empty {}));
    send(&stick, PLUG, on_off::CLUSTER_ID, off).await.unwrap();
    event(&mut events, |e| {
        matches!(e, RadioEvent::AttributeReport { node_id: PLUG, attributes, .. }
            if attributes == &vec![(energy::ACTIVE_POWER.id, int(2, 0))])
    })
    .await;
}

const LOCK: u16 = 0x3B03;
const LOCK_EUI: [u8; 8] = [0xB3, 0x03, 0, 0, 0, 0x6F, 0x0D, 0x00];

/// The lock's next Operation Event Notification: source and event code.
async fn operation_event(events: &mut Events) -> (u8, u8) {
    let command = next_command(events, LOCK, |c| {
        matches!(
            c,
            ClusterCommand::DoorLockReply(door_lock::ToClient::OperationEventNotification(_))
        )
    })
    .await;
    match command {
        ClusterCommand::DoorLockReply(door_lock::ToClient::OperationEventNotification(n)) => {
            (n.source, n.event_code)
        }
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn door_lock_answers_lock_and_unlock_and_reports_every_operation() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    let description = join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::door_lock(LOCK_EUI, LOCK, None),
    )
    .await;
    assert!(
        !description
            .node_descriptor
            .mac_capabilities
            .contains(sealhub_radios::zigbee::zdo::MacCapabilities::MAINS_POWERED)
    );
    let cluster = door_lock::CLUSTER_ID;
    let unlock = ClusterCommand::DoorLock(door_lock::ToServer::UnlockDoor(LockCommand {
        pin: Trailing(Some(ZclBytes(Some(b"1234".to_vec())))),
    }));
    let Outcome::Response(frame) = send(&stick, LOCK, cluster, unlock).await.unwrap() else {
        panic!("Unlock Door is answered with Unlock Door Response");
    };
    assert_eq!(
        ZclMessage::from_frame(cluster, &frame).unwrap().command,
        ZclCommand::Cluster(ClusterCommand::DoorLockReply(
            door_lock::ToClient::UnlockDoorResponse(door_lock::LockResponse { status: 0 })
        ))
    );
    // RF unlock.
    assert_eq!(operation_event(&mut events).await, (1, 2));
    assert_eq!(
        read_one(&stick, LOCK, cluster, door_lock::LOCK_STATE.id).await,
        Value::Enum8(2)
    );
    // Without a PIN (older locks), locking.
    let lock = ClusterCommand::DoorLock(door_lock::ToServer::LockDoor(LockCommand {
        pin: Trailing(None),
    }));
    assert!(matches!(
        send(&stick, LOCK, cluster, lock).await.unwrap(),
        Outcome::Response(_)
    ));
    assert_eq!(operation_event(&mut events).await, (1, 1));
    // By hand: manual unlock, then manual lock.
    emu.with_device(LOCK, |d| d.turn_lock_by_hand(false))
        .unwrap();
    assert_eq!(operation_event(&mut events).await, (2, 0x0E));
    emu.with_device(LOCK, |d| d.turn_lock_by_hand(true))
        .unwrap();
    assert_eq!(operation_event(&mut events).await, (2, 0x0D));
    assert_eq!(
        read_one(&stick, LOCK, cluster, door_lock::LOCK_STATE.id).await,
        Value::Enum8(1)
    );

    // Battery: read, then reported as it runs down.
    let power = basic::POWER_CONFIGURATION_CLUSTER_ID;
    let remaining = basic::BATTERY_PERCENTAGE_REMAINING.id;
    assert_eq!(read_one(&stick, LOCK, power, remaining).await, uint(1, 200));
    report(
        &stick,
        LOCK,
        power,
        (remaining, DataType::UINT8),
        (0, 43200),
        Some(uint(1, 2)),
    )
    .await;
    emu.with_device(LOCK, |d| d.zcl.set(1, power, remaining, 150))
        .unwrap();
    assert_eq!(
        next_report(&mut events, LOCK, power).await,
        vec![(remaining, uint(1, 150))]
    );
}

const THERMOSTAT: u16 = 0x4B04;
const THERMOSTAT_EUI: [u8; 8] = [0xB4, 0x04, 0, 0, 0, 0x6F, 0x0D, 0x00];

#[tokio::test]
async fn thermostat_setpoints_mode_raise_lower_and_temperature_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::thermostat(THERMOSTAT_EUI, THERMOSTAT, None),
    )
    .await;
    let cluster = thermostat::CLUSTER_ID;
    let ids = [
        thermostat::LOCAL_TEMPERATURE.id,
        thermostat::OCCUPIED_HEATING_SETPOINT.id,
        thermostat::OCCUPIED_COOLING_SETPOINT.id,
        thermostat::SYSTEM_MODE.id,
    ];
    assert_eq!(
        read(&stick, THERMOSTAT, cluster, &ids).await,
        vec![
            Ok(int(2, 2100)),
            Ok(int(2, 2000)),
            Ok(int(2, 2600)),
            Ok(Value::Enum8(4))
        ]
    );
    // Raise the heating setpoint by 1.5 °C: now below it, the thermostat heats.
    let raise = ClusterCommand::Thermostat(thermostat::ToServer::SetpointRaiseLower(
        SetpointRaiseLower {
            mode: 0,
            amount: 15,
        },
    ));
    assert_eq!(
        send(&stick, THERMOSTAT, cluster, raise).await.unwrap(),
        Outcome::Success
    );
    let heating = [
        thermostat::OCCUPIED_HEATING_SETPOINT.id,
        thermostat::RUNNING_STATE.id,
    ];
    assert_eq!(
        read(&stick, THERMOSTAT, cluster, &heating).await,
        vec![Ok(int(2, 2150)), Ok(Value::Bitmap { width: 2, value: 1 })]
    );
    // Lower both by 2 °C.
    let lower = ClusterCommand::Thermostat(thermostat::ToServer::SetpointRaiseLower(
        SetpointRaiseLower {
            mode: 2,
            amount: -20,
        },
    ));
    send(&stick, THERMOSTAT, cluster, lower).await.unwrap();
    assert_eq!(
        read(&stick, THERMOSTAT, cluster, &ids[1..3]).await,
        vec![Ok(int(2, 1950)), Ok(int(2, 2400))]
    );
    // System mode and a setpoint are writable; the measured temperature is not.
    let write = |id, value| {
        stick.write_attributes(THERMOSTAT, 1, cluster, vec![AttributeValue { id, value }])
    };
    timeout(soon(), write(thermostat::SYSTEM_MODE.id, Value::Enum8(3)))
        .await
        .unwrap()
        .expect("system mode written");
    timeout(
        soon(),
        write(thermostat::OCCUPIED_COOLING_SETPOINT.id, int(2, 2000)),
    )
    .await
    .unwrap()
    .expect("cooling setpoint written");
    assert_eq!(
        read(&stick, THERMOSTAT, cluster, &[ids[3], heating[1]]).await,
        vec![
            Ok(Value::Enum8(3)),
            Ok(Value::Bitmap { width: 2, value: 2 })
        ],
        "cooling now: 21 °C is above the 20 °C cooling setpoint"
    );
    let refused = timeout(soon(), write(thermostat::LOCAL_TEMPERATURE.id, int(2, 0)))
        .await
        .unwrap();
    assert!(
        matches!(refused, Err(Error::ZclStatus { status: 0x88, .. })),
        "READ_ONLY: {refused:?}"
    );
    // Out of range in the command: INVALID_FIELD.
    let bad = ClusterCommand::Thermostat(thermostat::ToServer::SetpointRaiseLower(
        SetpointRaiseLower { mode: 7, amount: 1 },
    ));
    assert!(matches!(
        send(&stick, THERMOSTAT, cluster, bad).await,
        Err(Error::ZclStatus { status: 0x85, .. })
    ));
    // The room warms by half a degree: reported (reportable change 0.2 °C).
    report(
        &stick,
        THERMOSTAT,
        cluster,
        (thermostat::LOCAL_TEMPERATURE.id, DataType::INT16),
        (0, 600),
        Some(int(2, 20)),
    )
    .await;
    emu.with_device(THERMOSTAT, |d| d.zcl.set(1, cluster, 0x0000, 2150))
        .unwrap();
    assert_eq!(
        next_report(&mut events, THERMOSTAT, cluster).await,
        vec![(thermostat::LOCAL_TEMPERATURE.id, int(2, 2150))]
    );
}

const CLIMATE: u16 = 0x5B05;
const CLIMATE_EUI: [u8; 8] = [0xB5, 0x05, 0, 0, 0, 0x6F, 0x0D, 0x00];

#[tokio::test]
async fn climate_sensor_reports_temperature_and_humidity_by_their_reportable_change() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::climate_sensor(CLIMATE_EUI, CLIMATE, None),
    )
    .await;
    let temperature = measurement::TEMPERATURE_CLUSTER_ID;
    let humidity = measurement::HUMIDITY_CLUSTER_ID;
    assert_eq!(
        read_one(&stick, CLIMATE, temperature, 0).await,
        int(2, 2150)
    );
    assert_eq!(read_one(&stick, CLIMATE, humidity, 0).await, uint(2, 4500));
    report(
        &stick,
        CLIMATE,
        temperature,
        (0, DataType::INT16),
        (0, 3600),
        Some(int(2, 50)),
    )
    .await;
    report(
        &stick,
        CLIMATE,
        humidity,
        (0, DataType::UINT16),
        (0, 3600),
        Some(uint(2, 100)),
    )
    .await;
    // 0.1 °C is under the reportable change; the humidity jump is not; then -2 °C is.
    emu.with_device(CLIMATE, |d| {
        d.zcl.set(1, temperature, 0, 2160);
        d.zcl.set(1, humidity, 0, 6000);
    })
    .unwrap();
    assert_eq!(
        next_report_any(&mut events, CLIMATE).await,
        (humidity, vec![(0, uint(2, 6000))]),
        "only humidity changed by its reportable change"
    );
    emu.with_device(CLIMATE, |d| d.zcl.set(1, temperature, 0, -50))
        .unwrap();
    assert_eq!(
        next_report_any(&mut events, CLIMATE).await,
        (temperature, vec![(0, int(2, -50))]),
        "the first temperature report is the big change, not the small one"
    );
    // Battery is there too.
    let power = basic::POWER_CONFIGURATION_CLUSTER_ID;
    assert_eq!(
        read_one(&stick, CLIMATE, power, basic::BATTERY_VOLTAGE.id).await,
        uint(1, 30)
    );
}

/// The hub enrols the IAS zone of `node`: writes its address, answers the Zone Enroll Request
/// with zone ID `zone_id`; returns the zone type the device asked with.
async fn enrol(stick: &ZigbeeStick, events: &mut Events, node: u16, zone_id: u8) -> u16 {
    let hub = timeout(soon(), stick.network())
        .await
        .unwrap()
        .unwrap()
        .eui64;
    timeout(
        soon(),
        stick.write_attributes(
            node,
            1,
            ias_zone::CLUSTER_ID,
            vec![AttributeValue {
                id: ias_zone::IAS_CIE_ADDRESS.id,
                value: Value::Ieee(hub.to_le_bytes()),
            }],
        ),
    )
    .await
    .unwrap()
    .expect("CIE address written");
    let enroll_request = |c: &ClusterCommand| {
        matches!(
            c,
            ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneEnrollRequest(_))
        )
    };
    let zone_type = match next_command(events, node, enroll_request).await {
        ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneEnrollRequest(r)) => {
            assert_eq!(r.manufacturer_code, 0x1234);
            r.zone_type
        }
        other => panic!("expected a Zone Enroll Request, got {other:?}"),
    };
    let response =
        ClusterCommand::IasZone(ias_zone::ToServer::ZoneEnrollResponse(ZoneEnrollResponse {
            code: 0,
            zone_id,
        }));
    assert_eq!(
        send(stick, node, ias_zone::CLUSTER_ID, response)
            .await
            .unwrap(),
        Outcome::Success
    );
    let ids = [ias_zone::ZONE_STATE.id, ias_zone::ZONE_ID.id];
    assert_eq!(
        read(stick, node, ias_zone::CLUSTER_ID, &ids).await,
        vec![Ok(Value::Enum8(1)), Ok(uint(1, u64::from(zone_id)))]
    );
    zone_type
}

/// The next Zone Status Change Notification from `node`: status and zone ID.
async fn zone_status(events: &mut Events, node: u16) -> (ZoneStatus, u8) {
    let notification = |c: &ClusterCommand| {
        matches!(
            c,
            ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneStatusChangeNotification(_))
        )
    };
    match next_command(events, node, notification).await {
        ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneStatusChangeNotification(n)) => {
            (n.zone_status, n.tail.0.map(|t| t.zone_id).unwrap_or(0xFF))
        }
        other => panic!("expected a Zone Status Change Notification, got {other:?}"),
    }
}

const MOTION: u16 = 0x6B06;
const MOTION_EUI: [u8; 8] = [0xB6, 0x06, 0, 0, 0, 0x6F, 0x0D, 0x00];

#[tokio::test]
async fn motion_sensor_reports_occupancy_and_notifies_its_enrolled_zone() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::motion_sensor(MOTION_EUI, MOTION, None),
    )
    .await;
    let occupancy = measurement::OCCUPANCY_CLUSTER_ID;
    report(
        &stick,
        MOTION,
        occupancy,
        (measurement::OCCUPANCY.id, DataType::BITMAP8),
        (0, 3600),
        None,
    )
    .await;
    assert_eq!(enrol(&stick, &mut events, MOTION, 5).await, 0x000D);
    emu.with_device(MOTION, |d| d.set_motion(true)).unwrap();
    assert_eq!(
        zone_status(&mut events, MOTION).await,
        (ZoneStatus::ALARM1, 5)
    );
    assert_eq!(
        next_report(&mut events, MOTION, occupancy).await,
        vec![(
            measurement::OCCUPANCY.id,
            Value::Bitmap { width: 1, value: 1 }
        )]
    );
    emu.with_device(MOTION, |d| d.set_motion(false)).unwrap();
    assert_eq!(
        zone_status(&mut events, MOTION).await,
        (ZoneStatus::empty(), 5)
    );
}

const CONTACT: u16 = 0x7B07;
const CONTACT_EUI: [u8; 8] = [0xB7, 0x07, 0, 0, 0, 0x6F, 0x0D, 0x00];

#[tokio::test]
async fn contact_sensor_notifies_only_once_enrolled() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::contact_sensor(CONTACT_EUI, CONTACT, None),
    )
    .await;
    // Opened before enrolment: the zone keeps it to itself, though its status says open.
    emu.with_device(CONTACT, |d| d.set_contact_open(true))
        .unwrap();
    assert_eq!(
        read_one(
            &stick,
            CONTACT,
            ias_zone::CLUSTER_ID,
            ias_zone::ZONE_STATUS.id
        )
        .await,
        Value::Bitmap { width: 2, value: 1 }
    );
    // A notification would have arrived before the read's answer.
    let early = drain(&mut events);
    assert!(
        !early.iter().any(|e| matches!(
            e,
            RadioEvent::ClusterCommand {
                node_id: CONTACT,
                ..
            }
        )),
        "{early:?}"
    );
    assert_eq!(enrol(&stick, &mut events, CONTACT, 9).await, 0x0015);
    emu.with_device(CONTACT, |d| d.set_contact_open(false))
        .unwrap();
    assert_eq!(
        zone_status(&mut events, CONTACT).await,
        (ZoneStatus::empty(), 9)
    );
    emu.with_device(CONTACT, |d| d.set_contact_open(true))
        .unwrap();
    assert_eq!(
        zone_status(&mut events, CONTACT).await,
        (ZoneStatus::ALARM1, 9)
    );
}

#[tokio::test]
async fn devices_leave_when_the_hub_asks_and_on_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::plug(PLUG_EUI, PLUG, None),
    )
    .await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::contact_sensor(CONTACT_EUI, CONTACT, None),
    )
    .await;
    let listed = |backup: &sealhub_radios::zigbee::backup::NetworkBackup, eui: [u8; 8]| {
        backup.devices.iter().any(|d| d.ieee_address == eui)
    };
    let backup = timeout(soon(), stick.backup()).await.unwrap().unwrap();
    assert!(listed(&backup, PLUG_EUI) && listed(&backup, CONTACT_EUI));

    // The hub removes the plug.
    timeout(
        soon(),
        stick.remove_device(PLUG, u64::from_le_bytes(PLUG_EUI)),
    )
    .await
    .unwrap()
    .expect("the plug agrees to leave");
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::DeviceLeft { .. })).await,
        RadioEvent::DeviceLeft {
            eui64: u64::from_le_bytes(PLUG_EUI),
            node_id: PLUG
        }
    );
    assert!(
        emu.with_device(PLUG, |_| ()).is_none(),
        "gone from the network"
    );
    let on = ClusterCommand::OnOff(on_off::ToServer::On(Empty {}));
    assert!(matches!(
        send(&stick, PLUG, on_off::CLUSTER_ID, on).await,
        Err(Error::DeliveryFailed { node_id: PLUG, .. })
    ));

    // The contact sensor's reset button: it leaves by itself.
    assert!(emu.device_leaves(CONTACT));
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::DeviceLeft { .. })).await,
        RadioEvent::DeviceLeft {
            eui64: u64::from_le_bytes(CONTACT_EUI),
            node_id: CONTACT
        }
    );
    let backup = timeout(soon(), stick.backup()).await.unwrap().unwrap();
    assert!(!listed(&backup, PLUG_EUI), "a removed device is forgotten");
    assert!(
        !listed(&backup, CONTACT_EUI),
        "a departed device is forgotten"
    );

    // Asking a device that is gone fails cleanly.
    let err = timeout(
        soon(),
        stick.request_leave(CONTACT, u64::from_le_bytes(CONTACT_EUI), false),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DeliveryFailed {
                node_id: CONTACT,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn faults_on_one_device_fail_only_its_requests_with_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::light([0xC1; 8], BULB, None),
    )
    .await;
    join(
        &emu,
        &stick,
        &mut events,
        SimulatedDevice::plug(PLUG_EUI, PLUG, None),
    )
    .await;
    let toggle = || ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {}));
    let set_fault = |fault| {
        emu.with_device(BULB, |d| d.zcl.fault = fault).unwrap();
    };

    // The light's answers are lost: its request waits for the device timeout and fails with
    // NoAnswer, while the plug's requests go through meanwhile.
    set_fault(Some(DeviceFault::Drop));
    let lost = {
        let stick = &stick;
        async move {
            stick
                .send_cluster_command(BULB, 1, on_off::CLUSTER_ID, toggle())
                .await
        }
    };
    let others = async {
        for _ in 0..3 {
            assert_eq!(
                send(&stick, PLUG, on_off::CLUSTER_ID, toggle())
                    .await
                    .unwrap(),
                Outcome::Success
            );
        }
        assert_eq!(
            read_one(&stick, PLUG, on_off::CLUSTER_ID, 0).await,
            Value::Boolean(1)
        );
    };
    let (lost, ()) = timeout(soon() + device_timeout(), async {
        tokio::pin!(lost);
        // The plug's requests finish while the light's is still waiting.
        tokio::select! {
            biased;
            r = &mut lost => panic!("the lost request ended before the others: {r:?}"),
            () = others => {}
        }
        (lost.await, ())
    })
    .await
    .expect("the lost request ends by the device timeout");
    assert!(
        matches!(
            lost,
            Err(Error::NoAnswer {
                node_id: BULB,
                cluster: 0x0006
            })
        ),
        "{lost:?}"
    );
    assert!(
        emu.with_device(BULB, |d| d.zcl.on()).unwrap(),
        "the command itself reached the light"
    );

    // Broken answers: a Default Response cut after its header is a bad answer.
    set_fault(Some(DeviceFault::Corrupt));
    let broken = send(&stick, BULB, on_off::CLUSTER_ID, toggle()).await;
    assert!(matches!(broken, Err(Error::BadAnswer(_))), "{broken:?}");

    // Late answers (half a second at 10 ms a tick) still arrive within the device timeout.
    set_fault(Some(DeviceFault::Delay(50)));
    assert_eq!(
        send(&stick, BULB, on_off::CLUSTER_ID, toggle())
            .await
            .unwrap(),
        Outcome::Success
    );

    // Silent: no APS ack at all, so the stick reports delivery failure.
    set_fault(None);
    emu.with_device(BULB, |d| d.zcl.silent = true).unwrap();
    let silent = send(&stick, BULB, on_off::CLUSTER_ID, toggle()).await;
    assert!(
        matches!(
            silent,
            Err(Error::DeliveryFailed {
                node_id: BULB,
                status: 0x0C02
            })
        ),
        "{silent:?}"
    );
    assert_eq!(
        send(&stick, PLUG, on_off::CLUSTER_ID, toggle())
            .await
            .unwrap(),
        Outcome::Success
    );

    // Healthy again.
    emu.with_device(BULB, |d| d.zcl.silent = false).unwrap();
    assert_eq!(
        send(&stick, BULB, on_off::CLUSTER_ID, toggle())
            .await
            .unwrap(),
        Outcome::Success
    );
}
