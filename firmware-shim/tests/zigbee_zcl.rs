//! ZCL to a joined device through the Zigbee driver and the emulated stick, end to end over real
//! ptys: cluster commands and their Default Responses, Read Attributes, Configure Reporting and
//! the reports that follow, a device that stops acknowledging, a refused command, per-device
//! ordering, and unsolicited cluster commands as events.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, NcpConfig, SimulatedDevice};
use firmware_shim::test_time::scaled;
use sealhub_radios::zigbee::driver::{
    DriverConfig, Error, JoinPolicy, Outcome, RadioEvent, ZigbeeStick,
};
use sealhub_radios::zigbee::ezsp::Callback;
use sealhub_radios::zigbee::ezsp::commands::messaging::IncomingMessageHandler;
use sealhub_radios::zigbee::ezsp::types::{ApsFrame, Bytes8, PacketInfo};
use sealhub_radios::zigbee::security::InstallCode;
use sealhub_radios::zigbee::zcl::clusters::level::{self, MoveToLevel};
use sealhub_radios::zigbee::zcl::clusters::on_off::{self, OffWithEffect};
use sealhub_radios::zigbee::zcl::clusters::{Empty, Trailing, ias_zone};
use sealhub_radios::zigbee::zcl::foundation::ReportingConfiguration;
use sealhub_radios::zigbee::zcl::{ClusterCommand, DataType, Value};
use tokio::sync::mpsc;
use tokio::time::timeout;

mod support;
use support::{event, soon};

/// How long the driver waits for a device's answer in these tests.
fn device_timeout() -> Duration {
    scaled(Duration::from_secs(3))
}

const EUI: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
const NODE: u16 = 0x6A5F;

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

/// A started stick with the simulated light joined (install code) and interviewed.
async fn light_joined(dir: &Path) -> (EmulatorHandle, ZigbeeStick, mpsc::Receiver<RadioEvent>) {
    let (emu, stick, mut events) =
        support::started(dir, "ezsp-stick", NcpConfig::default(), driver_config()).await;
    timeout(soon(), stick.set_join_policy(JoinPolicy::InstallCodeOnly))
        .await
        .unwrap()
        .unwrap();
    timeout(
        soon(),
        stick.add_install_code(u64::from_le_bytes(EUI), &spec_code()),
    )
    .await
    .unwrap()
    .unwrap();
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    let device = SimulatedDevice::light(EUI, NODE, Some(spec_code()));
    assert_eq!(emu.join_device(device), Ok(NODE));
    event(&mut events, |e| {
        matches!(e, RadioEvent::DeviceAnnounced { node_id: NODE, .. })
    })
    .await;
    let description = timeout(soon(), stick.interview(NODE))
        .await
        .unwrap()
        .unwrap();
    assert!(description.endpoints[0].in_clusters.0.contains(&0x0008));
    (emu, stick, events)
}

fn toggle() -> ClusterCommand {
    ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {}))
}

fn on() -> ClusterCommand {
    ClusterCommand::OnOff(on_off::ToServer::On(Empty {}))
}

fn move_to_level(level: u8) -> ClusterCommand {
    ClusterCommand::LevelControl(level::ToServer::MoveToLevel(MoveToLevel {
        level,
        transition_time: 0,
        options: Trailing(None),
    }))
}

fn emulated_on(emu: &EmulatorHandle) -> bool {
    emu.with_stick(|s| s.ncp_mut().device_mut(NODE).expect("joined").zcl.on())
}

async fn send(
    stick: &ZigbeeStick,
    cluster: u16,
    command: ClusterCommand,
) -> Result<Outcome, Error> {
    timeout(
        soon(),
        stick.send_cluster_command(NODE, 1, cluster, command),
    )
    .await
    .expect("command does not hang")
}

async fn read(stick: &ZigbeeStick, cluster: u16, attribute: u16) -> Value {
    let records = timeout(
        soon(),
        stick.read_attributes(NODE, 1, cluster, vec![attribute]),
    )
    .await
    .expect("read does not hang")
    .expect("read succeeds");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, attribute);
    records[0].result.clone().expect("attribute readable")
}

#[tokio::test]
async fn toggle_read_and_move_to_level() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, _events) = light_joined(dir.path()).await;
    assert!(!emulated_on(&emu));
    assert_eq!(
        read(&stick, on_off::CLUSTER_ID, 0x0000).await,
        Value::Boolean(0)
    );

    assert_eq!(
        send(&stick, on_off::CLUSTER_ID, toggle()).await.unwrap(),
        Outcome::Success
    );
    assert!(emulated_on(&emu), "the toggle switched the light on");
    assert_eq!(
        read(&stick, on_off::CLUSTER_ID, 0x0000).await,
        Value::Boolean(1)
    );
    assert_eq!(
        send(&stick, on_off::CLUSTER_ID, toggle()).await.unwrap(),
        Outcome::Success
    );
    assert!(!emulated_on(&emu));

    assert_eq!(
        send(&stick, level::CLUSTER_ID, move_to_level(0x80))
            .await
            .unwrap(),
        Outcome::Success
    );
    assert_eq!(
        read(&stick, level::CLUSTER_ID, 0x0000).await,
        Value::Uint {
            width: 1,
            value: 0x80
        }
    );
    // An attribute the light lacks: a record with UNSUPPORTED_ATTRIBUTE, not an error.
    let records = timeout(
        soon(),
        stick.read_attributes(NODE, 1, on_off::CLUSTER_ID, vec![0x4003]),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        records[0].result,
        Err(sealhub_radios::zigbee::zcl::Status(0x86))
    );
    // A command of another cluster than the one named is refused before sending.
    assert!(matches!(
        send(&stick, level::CLUSTER_ID, toggle()).await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn configured_reporting_reports_each_change() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, stick, mut events) = light_joined(dir.path()).await;
    let configure = |id, data_type, reportable_change| ReportingConfiguration::Send {
        id,
        data_type,
        min_interval: 0,
        max_interval: 300,
        reportable_change,
    };
    // As a real host must: reports go only to destinations in the device's binding table.
    for cluster in [on_off::CLUSTER_ID, level::CLUSTER_ID] {
        timeout(soon(), stick.bind(NODE, 1, cluster))
            .await
            .unwrap()
            .expect("cluster bound to the hub");
    }
    timeout(
        soon(),
        stick.configure_reporting(
            NODE,
            1,
            on_off::CLUSTER_ID,
            vec![configure(0x0000, DataType::BOOLEAN, None)],
        ),
    )
    .await
    .unwrap()
    .expect("OnOff reporting configured");
    timeout(
        soon(),
        stick.configure_reporting(
            NODE,
            1,
            level::CLUSTER_ID,
            vec![configure(
                0x0000,
                DataType::UINT8,
                Some(Value::Uint { width: 1, value: 1 }),
            )],
        ),
    )
    .await
    .unwrap()
    .expect("CurrentLevel reporting configured");

    let is_report = |e: &RadioEvent| matches!(e, RadioEvent::AttributeReport { .. });
    send(&stick, on_off::CLUSTER_ID, toggle()).await.unwrap();
    assert_eq!(
        event(&mut events, is_report).await,
        RadioEvent::AttributeReport {
            node_id: NODE,
            endpoint: 1,
            cluster: on_off::CLUSTER_ID,
            attributes: vec![(0x0000, Value::Boolean(1))],
        }
    );
    send(&stick, on_off::CLUSTER_ID, toggle()).await.unwrap();
    assert_eq!(
        event(&mut events, is_report).await,
        RadioEvent::AttributeReport {
            node_id: NODE,
            endpoint: 1,
            cluster: on_off::CLUSTER_ID,
            attributes: vec![(0x0000, Value::Boolean(0))],
        }
    );
    send(&stick, level::CLUSTER_ID, move_to_level(42))
        .await
        .unwrap();
    assert_eq!(
        event(&mut events, is_report).await,
        RadioEvent::AttributeReport {
            node_id: NODE,
            endpoint: 1,
            cluster: level::CLUSTER_ID,
            attributes: vec![(
                0x0000,
                Value::Uint {
                    width: 1,
                    value: 42
                }
            )],
        }
    );
    // An attribute the light cannot report: the failure record surfaces as a ZCL status.
    let refused = timeout(
        soon(),
        stick.configure_reporting(
            NODE,
            1,
            on_off::CLUSTER_ID,
            vec![configure(0x4003, DataType::BOOLEAN, None)],
        ),
    )
    .await
    .unwrap();
    assert!(
        matches!(refused, Err(Error::ZclStatus { status: 0x86, .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_silent_device_fails_with_delivery_failed_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, _events) = light_joined(dir.path()).await;
    emu.with_stick(|s| s.ncp_mut().device_mut(NODE).unwrap().zcl.silent = true);
    // The delivery failure ends the wait, not the device timeout: a wait that ran into the
    // device timeout ends in `Error::NoAnswer` (see `radios::zigbee::driver::devices`), so the
    // variant below proves it without measuring real time.
    let err = send(&stick, on_off::CLUSTER_ID, toggle())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DeliveryFailed {
                node_id: NODE,
                status: 0x0C02
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("ZIGBEE_DELIVERY_FAILED"), "{err}");
    assert!(!emulated_on(&emu));
    // Back on the air, it answers again.
    emu.with_stick(|s| s.ncp_mut().device_mut(NODE).unwrap().zcl.silent = false);
    assert_eq!(
        send(&stick, on_off::CLUSTER_ID, toggle()).await.unwrap(),
        Outcome::Success
    );
}

#[tokio::test]
async fn a_non_success_default_response_surfaces_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, _events) = light_joined(dir.path()).await;
    // A command the light does not implement: UNSUP_COMMAND.
    let effect = ClusterCommand::OnOff(on_off::ToServer::OffWithEffect(OffWithEffect {
        effect_id: 0,
        effect_variant: 0,
    }));
    let err = send(&stick, on_off::CLUSTER_ID, effect).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ZclStatus {
                node_id: NODE,
                cluster: 0x0006,
                status: 0x81
            }
        ),
        "{err:?}"
    );
    // A device refusing everything with FAILURE: the status comes back, nothing changes.
    emu.with_stick(|s| s.ncp_mut().device_mut(NODE).unwrap().zcl.refuse_commands = Some(0x01));
    let err = send(&stick, on_off::CLUSTER_ID, on()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ZclStatus {
                node_id: NODE,
                cluster: 0x0006,
                status: 0x01
            }
        ),
        "{err:?}"
    );
    assert!(!emulated_on(&emu));
}

#[tokio::test]
async fn commands_to_one_device_go_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, _events) = light_joined(dir.path()).await;
    // From off: On then Toggle ends off; Toggle then On would end on.
    let (a, b) = tokio::join!(
        send(&stick, on_off::CLUSTER_ID, on()),
        send(&stick, on_off::CLUSTER_ID, toggle()),
    );
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (Outcome::Success, Outcome::Success)
    );
    assert!(!emulated_on(&emu));
    let (a, b, c) = tokio::join!(
        send(&stick, on_off::CLUSTER_ID, toggle()),
        send(&stick, level::CLUSTER_ID, move_to_level(7)),
        read(&stick, on_off::CLUSTER_ID, 0x0000),
    );
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (Outcome::Success, Outcome::Success)
    );
    assert_eq!(c, Value::Boolean(1), "the read ran after the toggle");
}

#[tokio::test]
async fn an_unsolicited_cluster_command_becomes_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, _stick, mut events) = light_joined(dir.path()).await;
    // IAS Zone Status Change Notification from the device: alarm 1, zone 3, no delay.
    emu.send_callback(Callback::IncomingMessageHandler(IncomingMessageHandler {
        message_type: 0,
        aps_frame: ApsFrame {
            profile_id: 0x0104,
            cluster_id: ias_zone::CLUSTER_ID,
            source_endpoint: 1,
            destination_endpoint: 1,
            options: 0,
            group_id: 0,
            sequence: 77,
        },
        packet_info: PacketInfo {
            sender_short_id: NODE,
            sender_long_id: EUI,
            binding_index: 0xFF,
            address_index: 0xFF,
            last_hop_lqi: 0xFF,
            last_hop_rssi: -40,
            last_hop_timestamp: 0,
        },
        message: Bytes8(vec![0x19, 0x10, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00]),
    }));
    let got = event(&mut events, |e| {
        matches!(e, RadioEvent::ClusterCommand { .. })
    })
    .await;
    let RadioEvent::ClusterCommand {
        node_id,
        endpoint,
        command: ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneStatusChangeNotification(n)),
    } = got
    else {
        panic!("unexpected {got:?}");
    };
    assert_eq!((node_id, endpoint), (NODE, 1));
    assert_eq!(n.tail.0.map(|t| t.zone_id), Some(3));
}

/// Hundreds of commands in a row to a light that reports every change, each followed by a
/// read: all succeed. The hub's ZCL transaction sequence numbers (two per round) and the
/// light's own (one report per round) advance at different rates, so within 256 rounds a
/// report carries the very number the hub's pending command waits on; it arrives before the
/// command's Default Response and must not be taken for the answer.
#[tokio::test]
async fn three_hundred_commands_in_a_row_to_a_reporting_light_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = light_joined(dir.path()).await;
    timeout(soon(), stick.bind(NODE, 1, on_off::CLUSTER_ID))
        .await
        .unwrap()
        .expect("On/Off bound to the hub");
    timeout(
        soon(),
        stick.configure_reporting(
            NODE,
            1,
            on_off::CLUSTER_ID,
            vec![ReportingConfiguration::Send {
                id: 0x0000,
                data_type: DataType::BOOLEAN,
                min_interval: 0,
                max_interval: 300,
                reportable_change: None,
            }],
        ),
    )
    .await
    .unwrap()
    .expect("OnOff reporting configured");
    // Keep the event channel drained so the driver never blocks on it.
    let drain = tokio::spawn(async move { while events.recv().await.is_some() {} });
    for round in 0..300u32 {
        let switch_on = round % 2 == 0;
        let command = if switch_on {
            on()
        } else {
            ClusterCommand::OnOff(on_off::ToServer::Off(Empty {}))
        };
        let outcome = send(&stick, on_off::CLUSTER_ID, command).await;
        assert!(
            matches!(outcome, Ok(Outcome::Success)),
            "command {round}: {outcome:?}"
        );
        assert_eq!(emulated_on(&emu), switch_on, "command {round}");
        assert_eq!(
            read(&stick, on_off::CLUSTER_ID, 0x0000).await,
            Value::Boolean(u8::from(switch_on)),
            "read after command {round}"
        );
    }
    drain.abort();
}
