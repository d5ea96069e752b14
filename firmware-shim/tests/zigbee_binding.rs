//! ZDO binding and permit joining through the Zigbee driver and the emulated stick, end to end
//! over real ptys: a device reports only to the destinations in its binding table (none before
//! `Bind_req`, none after `Unbind_req`), refusals come back typed (TABLE_FULL, NOT_SUPPORTED,
//! NO_ENTRY), and a device joins through one router only while that router was opened for it.
//!
//! "No report arrived" is shown without timing: the test waits until the emulated device has
//! processed the change (its reporting state took the new value), then makes a bound cluster
//! report; the stick delivers frames in order, so a report of the unbound cluster would have
//! come first.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, JoinRefusal, NcpConfig, SimulatedDevice};
use sealhub_radios::zigbee::driver::{BindRefusal, Error, Outcome, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::zcl::clusters::level::{self, MoveToLevel};
use sealhub_radios::zigbee::zcl::clusters::on_off;
use sealhub_radios::zigbee::zcl::clusters::{Empty, Trailing};
use sealhub_radios::zigbee::zcl::foundation::ReportingConfiguration;
use sealhub_radios::zigbee::zcl::{ClusterCommand, DataType, Value};
use sealhub_radios::zigbee::zdo::{BindTarget, BindingTableEntry};
use tokio::sync::mpsc;
use tokio::time::timeout;

mod support;
use support::{Events, driver_config, soon};

const LIGHT_EUI: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
const LIGHT: u16 = 0x6A5F;
const PLUG: u16 = 0x1B2C;
const SENSOR: u16 = 0x3C4D;

/// The next event matching `want`, with every event before it; panics after `soon()`.
async fn events_until(
    events: &mut mpsc::Receiver<RadioEvent>,
    want: impl Fn(&RadioEvent) -> bool,
) -> Vec<RadioEvent> {
    timeout(soon(), async {
        let mut seen = Vec::new();
        loop {
            let e = events.recv().await.expect("event stream open");
            let done = want(&e);
            seen.push(e);
            if done {
                return seen;
            }
        }
    })
    .await
    .expect("expected event did not come")
}

/// The emulated stick with the driver started on it.
async fn started(dir: &Path) -> (EmulatorHandle, ZigbeeStick, Events) {
    support::started(dir, "ezsp-stick", NcpConfig::default(), driver_config()).await
}

/// Joins `device` through the coordinator and waits for its Device_annce.
async fn join(
    emu: &EmulatorHandle,
    events: &mut mpsc::Receiver<RadioEvent>,
    device: SimulatedDevice,
) {
    let node = device.node_id;
    assert_eq!(emu.join_device(device), Ok(node));
    events_until(
        events,
        |e| matches!(e, RadioEvent::DeviceAnnounced { node_id, .. } if *node_id == node),
    )
    .await;
}

fn is_report(cluster: u16) -> impl Fn(&RadioEvent) -> bool {
    move |e| matches!(e, RadioEvent::AttributeReport { cluster: c, .. } if *c == cluster)
}

async fn send(stick: &ZigbeeStick, cluster: u16, command: ClusterCommand) {
    let outcome = timeout(
        soon(),
        stick.send_cluster_command(LIGHT, 1, cluster, command),
    )
    .await
    .unwrap()
    .expect("command answered");
    assert_eq!(outcome, Outcome::Success);
}

async fn set_level(stick: &ZigbeeStick, level: u8) {
    let command = ClusterCommand::LevelControl(level::ToServer::MoveToLevel(MoveToLevel {
        level,
        transition_time: 0,
        options: Trailing(None),
    }));
    send(stick, level::CLUSTER_ID, command).await;
}

async fn toggle(stick: &ZigbeeStick) {
    let command = ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {}));
    send(stick, on_off::CLUSTER_ID, command).await;
}

/// Waits until the emulated light has processed its OnOff value `on` for reporting (the report
/// is due, sent or, without a binding, dropped).
async fn on_off_processed(emu: &EmulatorHandle, on: bool) {
    timeout(soon(), async {
        loop {
            let done = emu.with_stick(|s| {
                let light = s.ncp_mut().device_mut(LIGHT).expect("joined");
                light
                    .zcl
                    .reporting
                    .get(&(1, on_off::CLUSTER_ID, 0x0000))
                    .is_some_and(|r| r.last_value == i64::from(on))
            });
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the light processed the change");
}

#[tokio::test]
async fn reports_reach_the_hub_only_while_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    join(
        &emu,
        &mut events,
        SimulatedDevice::light(LIGHT_EUI, LIGHT, None),
    )
    .await;
    let record = |data_type, reportable_change| ReportingConfiguration::Send {
        id: 0x0000,
        data_type,
        min_interval: 0,
        max_interval: 300,
        reportable_change,
    };
    for (cluster, r) in [
        (on_off::CLUSTER_ID, record(DataType::BOOLEAN, None)),
        (
            level::CLUSTER_ID,
            record(DataType::UINT8, Some(Value::Uint { width: 1, value: 1 })),
        ),
    ] {
        timeout(
            soon(),
            stick.configure_reporting(LIGHT, 1, cluster, vec![r]),
        )
        .await
        .unwrap()
        .expect("reporting configured");
    }

    // Configured but not bound: the change is processed and goes nowhere.
    toggle(&stick).await;
    on_off_processed(&emu, true).await;
    timeout(soon(), stick.bind(LIGHT, 1, level::CLUSTER_ID))
        .await
        .unwrap()
        .expect("Level bound");
    set_level(&stick, 42).await;
    let seen = events_until(&mut events, is_report(level::CLUSTER_ID)).await;
    assert!(
        !seen.iter().any(is_report(on_off::CLUSTER_ID)),
        "an unbound cluster reported: {seen:?}"
    );

    // Bound: the next change is reported to the hub.
    timeout(soon(), stick.bind(LIGHT, 1, on_off::CLUSTER_ID))
        .await
        .unwrap()
        .expect("OnOff bound");
    toggle(&stick).await;
    let seen = events_until(&mut events, is_report(on_off::CLUSTER_ID)).await;
    assert_eq!(
        seen.last(),
        Some(&RadioEvent::AttributeReport {
            node_id: LIGHT,
            endpoint: 1,
            cluster: on_off::CLUSTER_ID,
            attributes: vec![(0x0000, Value::Boolean(0))],
        })
    );

    // Unbound again: reports stop.
    timeout(soon(), stick.unbind(LIGHT, 1, on_off::CLUSTER_ID))
        .await
        .unwrap()
        .expect("OnOff unbound");
    let bindings = emu.with_stick(|s| s.ncp_mut().device_mut(LIGHT).unwrap().zcl.bindings.len());
    assert_eq!(bindings, 1, "only Level stays bound");
    let network = timeout(soon(), stick.network()).await.unwrap().unwrap();
    let table = timeout(soon(), stick.bindings(LIGHT))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        table,
        vec![BindingTableEntry {
            source_ieee: LIGHT_EUI,
            source_endpoint: 1,
            cluster_id: level::CLUSTER_ID,
            target: BindTarget::Endpoint {
                ieee: network.eui64.to_le_bytes(),
                endpoint: 1
            },
        }],
        "Mgmt_Bind_req reads the table back"
    );
    toggle(&stick).await;
    on_off_processed(&emu, true).await;
    set_level(&stick, 43).await;
    let seen = events_until(&mut events, is_report(level::CLUSTER_ID)).await;
    assert!(
        !seen.iter().any(is_report(on_off::CLUSTER_ID)),
        "reported after unbind: {seen:?}"
    );

    // Unbinding what is not bound is NO_ENTRY.
    let err = timeout(soon(), stick.unbind(LIGHT, 1, on_off::CLUSTER_ID))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BindRefused {
                node_id: LIGHT,
                cluster: on_off::CLUSTER_ID,
                reason: BindRefusal::NoEntry
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn bind_refusals_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    join(
        &emu,
        &mut events,
        SimulatedDevice::light(LIGHT_EUI, LIGHT, None),
    )
    .await;
    // Fill the light's binding table; the next binding does not fit.
    let capacity = 8;
    for cluster in 0..capacity {
        timeout(soon(), stick.bind(LIGHT, 1, 0x0100 + cluster))
            .await
            .unwrap()
            .expect("room in the table");
    }
    // The table reads back over three Mgmt_Bind_rsp pages (three entries each).
    let table = timeout(soon(), stick.bindings(LIGHT))
        .await
        .unwrap()
        .unwrap();
    let clusters: Vec<u16> = table.iter().map(|e| e.cluster_id).collect();
    assert_eq!(clusters, (0x0100..0x0100 + capacity).collect::<Vec<_>>());
    // Binding again what is bound is fine; a new one is TABLE_FULL.
    timeout(soon(), stick.bind(LIGHT, 1, 0x0100))
        .await
        .unwrap()
        .expect("already bound");
    let err = timeout(soon(), stick.bind(LIGHT, 1, on_off::CLUSTER_ID))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BindRefused {
                reason: BindRefusal::TableFull,
                ..
            }
        ),
        "{err:?}"
    );
    // An endpoint the light does not have.
    let err = timeout(soon(), stick.bind(LIGHT, 7, on_off::CLUSTER_ID))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BindRefused {
                reason: BindRefusal::InvalidEndpoint,
                ..
            }
        ),
        "{err:?}"
    );
    // A device without a binding table.
    emu.with_stick(|s| {
        s.ncp_mut()
            .device_mut(LIGHT)
            .unwrap()
            .zcl
            .binding_unsupported = true
    });
    let err = timeout(soon(), stick.unbind(LIGHT, 1, 0x0100))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::BindRefused {
                reason: BindRefusal::NotSupported,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_device_joins_through_a_router_only_while_that_router_permits() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    // A plug (router) and a sensor (end device) join through the coordinator.
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    join(
        &emu,
        &mut events,
        SimulatedDevice::plug([0xB1; 8], PLUG, None),
    )
    .await;
    join(
        &emu,
        &mut events,
        SimulatedDevice::climate_sensor([0xC1; 8], SENSOR, None),
    )
    .await;
    // Network-wide permit also reaches the router (broadcast Mgmt_Permit_Joining_req) ...
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    let router_open = |emu: &EmulatorHandle| {
        emu.with_stick(|s| s.ncp_mut().device_mut(PLUG).unwrap().zcl.permits_joining())
    };
    assert!(router_open(&emu));
    // ... and closing it closes the router too.
    timeout(soon(), stick.permit_join(0))
        .await
        .unwrap()
        .unwrap();
    assert!(!router_open(&emu));

    let via_plug = |emu: &EmulatorHandle, eui: [u8; 8], node| {
        emu.with_stick(|s| {
            s.ncp_mut()
                .join_device_via(SimulatedDevice::contact_sensor(eui, node, None), PLUG)
        })
    };
    assert_eq!(
        via_plug(&emu, [0xD1; 8], 0x4E5F),
        Err(JoinRefusal::PermitJoinClosed)
    );

    // Open the plug alone: a device joins through it, the coordinator stays closed.
    timeout(soon(), stick.permit_join_via(PLUG, 60))
        .await
        .unwrap()
        .expect("router opened");
    assert!(router_open(&emu));
    assert_eq!(emu.with_stick(|s| s.ncp().permit_join_seconds()), 0);
    assert_eq!(via_plug(&emu, [0xD1; 8], 0x4E5F), Ok(0x4E5F));
    events_until(&mut events, |e| {
        matches!(
            e,
            RadioEvent::DeviceJoined {
                node_id: 0x4E5F,
                ..
            }
        )
    })
    .await;
    assert_eq!(
        emu.join_device(SimulatedDevice::contact_sensor([0xD2; 8], 0x4E60, None)),
        Err(JoinRefusal::PermitJoinClosed),
        "not through the coordinator"
    );
    // Through a node that is no router: refused.
    let through_sensor = emu.with_stick(|s| {
        s.ncp_mut().join_device_via(
            SimulatedDevice::contact_sensor([0xD3; 8], 0x4E61, None),
            SENSOR,
        )
    });
    assert_eq!(through_sensor, Err(JoinRefusal::NoSuchRouter));

    // Closing the router ends it.
    timeout(soon(), stick.permit_join_via(PLUG, 0))
        .await
        .unwrap()
        .expect("router closed");
    assert_eq!(
        via_plug(&emu, [0xD4; 8], 0x4E62),
        Err(JoinRefusal::PermitJoinClosed)
    );
    // An end device cannot permit joining.
    let err = timeout(soon(), stick.permit_join_via(SENSOR, 60))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ZdoStatus {
                node_id: SENSOR,
                request: 0x0036,
                status: 0x84
            }
        ),
        "{err:?}"
    );
}
