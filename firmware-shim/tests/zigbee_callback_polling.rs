//! Synchronous EZSP callbacks end to end over real ptys: an emulated stick that queues its
//! callbacks (`NcpConfig::synchronous_callbacks`, as a real NCP with `UART_SYNCH_CALLBACKS` set)
//! and the driver fetching them with `callback` until `noCallbacks`. Formation (the
//! `stackStatusHandler` comes only through polling), a join and its interview, a ZCL command with
//! its answer, a report as a `RadioEvent`, and recovery after an unplug. Plus the emulator's own
//! frames byte by byte (vectors: `radios/tests/vectors/ezsp.md` §14).
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::ncp::value_id;
use firmware_shim::ezsp_ncp::{
    EmulatorHandle, EzspFrameFromHost, Ncp, NcpConfig, PtyConfig, SimulatedDevice, spawn_on_pty,
};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zigbee::driver::{DriverConfig, JoinPolicy, Outcome, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::ezsp::commands::configuration::{NoParams, SetValue};
use sealhub_radios::zigbee::ezsp::commands::networking::FormNetwork;
use sealhub_radios::zigbee::ezsp::commands::security::{
    InitialSecurityState, SetInitialSecurityState,
};
use sealhub_radios::zigbee::ezsp::types::{Bytes8, Key, NetworkParameters};
use sealhub_radios::zigbee::ezsp::{Command, FrameCodec};
use sealhub_radios::zigbee::zcl::clusters::Empty;
use sealhub_radios::zigbee::zcl::clusters::on_off;
use sealhub_radios::zigbee::zcl::foundation::ReportingConfiguration;
use sealhub_radios::zigbee::zcl::{ClusterCommand, DataType, Value};
use tokio::time::timeout;

mod support;
use support::{Events, event, soon};

const EUI: [u8; 8] = [0x02, 0x13, 0x24, 0x35, 0x46, 0x57, 0x68, 0x79];
const NODE: u16 = 0x3C21;
/// `callback`'s frame ID.
const CALLBACK: u16 = 0x0006;

fn driver_config() -> DriverConfig {
    DriverConfig {
        callback_poll_interval: Some(Duration::from_millis(50)),
        ..support::driver_config()
    }
}

fn synchronous() -> NcpConfig {
    NcpConfig {
        synchronous_callbacks: true,
        ..NcpConfig::default()
    }
}

fn polls_received(emu: &EmulatorHandle) -> usize {
    emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|f| f.frame_id() == Some(CALLBACK))
            .count()
    })
}

/// A synchronous-callbacks stick on a pty, the driver started on it (network formed).
async fn started(dir: &Path) -> (EmulatorHandle, ZigbeeStick, Events) {
    let (emu, stick, mut events) =
        support::opened(dir, "ezsp-stick", synchronous(), driver_config()).await;
    timeout(soon(), stick.start())
        .await
        .expect("start does not hang")
        .expect("the network forms with callbacks fetched by polling");
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::NetworkUp)).await,
        RadioEvent::NetworkUp
    );
    assert!(
        polls_received(&emu) > 0,
        "stackStatusHandler came by `callback`"
    );
    (emu, stick, events)
}

#[tokio::test]
async fn forms_joins_interviews_commands_and_hears_reports_by_polling() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;

    // Join and interview: the join callbacks and the Device_annce wait in the NCP's queue until
    // the poll interval fetches them (no response announces them).
    timeout(
        soon(),
        stick.set_join_policy(JoinPolicy::WellKnownKeyAllowed),
    )
    .await
    .unwrap()
    .unwrap();
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        emu.join_device(SimulatedDevice::light(EUI, NODE, None)),
        Ok(NODE)
    );
    event(&mut events, |e| {
        matches!(e, RadioEvent::DeviceAnnounced { node_id: NODE, .. })
    })
    .await;
    let description = timeout(soon(), stick.interview(NODE))
        .await
        .unwrap()
        .unwrap();
    assert!(description.endpoints[0].in_clusters.0.contains(&0x0006));

    // A cluster command and its Default Response (messageSentHandler and the incoming answer
    // are both queued callbacks), then a read.
    let toggle = ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {}));
    assert_eq!(
        timeout(
            soon(),
            stick.send_cluster_command(NODE, 1, on_off::CLUSTER_ID, toggle)
        )
        .await
        .unwrap()
        .unwrap(),
        Outcome::Success
    );
    assert!(emu.with_stick(|s| s.ncp_mut().device_mut(NODE).unwrap().zcl.on()));
    let records = timeout(
        soon(),
        stick.read_attributes(NODE, 1, on_off::CLUSTER_ID, vec![0x0000]),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(records[0].result, Ok(Value::Boolean(1)));

    // A report the device sends on its own arrives as an event (to the hub, once bound).
    timeout(soon(), stick.bind(NODE, 1, on_off::CLUSTER_ID))
        .await
        .unwrap()
        .expect("bound to the hub");
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
    .expect("reporting configured");
    let off = ClusterCommand::OnOff(on_off::ToServer::Off(Empty {}));
    timeout(
        soon(),
        stick.send_cluster_command(NODE, 1, on_off::CLUSTER_ID, off),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        event(&mut events, |e| matches!(
            e,
            RadioEvent::AttributeReport { .. }
        ))
        .await,
        RadioEvent::AttributeReport {
            node_id: NODE,
            endpoint: 1,
            cluster: on_off::CLUSTER_ID,
            attributes: vec![(0x0000, Value::Boolean(0))],
        }
    );
    // Everything was fetched; nothing went out asynchronously (the emulator queues all).
    timeout(soon(), async {
        while emu.with_stick(|s| s.ncp().queued_callbacks()) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the driver drains the queue");
}

#[tokio::test]
async fn the_pending_bit_alone_fetches_the_formation_callback() {
    let dir = tempfile::tempdir().unwrap();
    let config = PtyConfig {
        ncp: synchronous(),
        ..PtyConfig::new(dir.path().join("ezsp-stick"))
    };
    let (path, emu) = spawn_on_pty(config).await.expect("emulator on a pty");
    let no_interval = DriverConfig {
        callback_poll_interval: None,
        ..driver_config()
    };
    let (stick, mut events) = ZigbeeStick::open_with(PortConfig::new(&path), no_interval)
        .await
        .expect("driver opens the pty");
    timeout(soon(), stick.start())
        .await
        .expect("start does not hang")
        .expect("formNetwork's pending bit makes the driver fetch stackStatusHandler");
    event(&mut events, |e| matches!(e, RadioEvent::NetworkUp)).await;
    // Each round ends with noCallbacks: at least one `callback` per queued frame plus one.
    assert!(polls_received(&emu) >= 2);
    assert_eq!(emu.with_stick(|s| s.ncp().queued_callbacks()), 0);
}

#[tokio::test]
async fn polling_resumes_after_the_stick_is_unplugged_and_replugged() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    let network = stick.network().await.expect("network");
    emu.unplug().await;
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickLost)).await,
        RadioEvent::StickLost
    );
    emu.replug().await.expect("replug");
    // The resumed network's stackStatusHandler is again only reachable by polling.
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    timeout(soon(), stick.permit_join(10))
        .await
        .expect("no hang")
        .expect("commands work again");
}

// --- The emulator's frames, byte by byte -------------------------------------------------------

fn ask(ncp: &mut Ncp, seq: u8, command: Command) -> Vec<Vec<u8>> {
    let codec = FrameCodec::new(14).unwrap();
    let bytes = codec.encode_command(seq, &command).unwrap();
    ncp.handle(&EzspFrameFromHost::parse(&bytes, ncp.codec()))
}

fn negotiated(config: NcpConfig) -> Ncp {
    let mut ncp = Ncp::new(config);
    ncp.handle(&EzspFrameFromHost::parse(&[0, 0, 0, 14], None));
    assert!(ncp.codec().is_some());
    ncp
}

fn form(ncp: &mut Ncp) -> Vec<Vec<u8>> {
    let state = InitialSecurityState {
        bitmask: 0x0B84,
        preconfigured_key: Key([7; 16]),
        network_key: Key([9; 16]),
        network_key_sequence_number: 0,
        preconfigured_trust_center_eui64: [0xFF; 8],
    };
    ask(
        ncp,
        2,
        Command::SetInitialSecurityState(SetInitialSecurityState { state }),
    );
    let parameters = NetworkParameters {
        pan_id: 0x1A2B,
        radio_channel: 15,
        ..NetworkParameters::default()
    };
    ask(ncp, 7, Command::FormNetwork(FormNetwork { parameters }))
}

#[test]
fn the_emulated_ncp_queues_callbacks_and_answers_callback_byte_exact() {
    let mut ncp = negotiated(synchronous());
    // ezsp.md §14.4: formNetwork's response with the pending bit; stackStatusHandler stays queued.
    assert_eq!(
        form(&mut ncp),
        vec![vec![0x07, 0x84, 0x01, 0x1e, 0x00, 0, 0, 0, 0]]
    );
    assert_eq!(ncp.queued_callbacks(), 1);
    // §14.3 without the pending bit (it was the last one): FC 0x88.
    assert_eq!(
        ask(&mut ncp, 0x12, Command::Callback(NoParams)),
        vec![vec![0x12, 0x88, 0x01, 0x19, 0x00, 0x15, 0, 0, 0]]
    );
    // §14.2: nothing left.
    assert_eq!(
        ask(&mut ncp, 0x13, Command::Callback(NoParams)),
        vec![vec![0x13, 0x80, 0x01, 0x07, 0x00]]
    );
    // A reboot forgets the queue with the rest of RAM.
    ask(
        &mut ncp,
        0x14,
        Command::PermitJoining(
            sealhub_radios::zigbee::ezsp::commands::networking::PermitJoining { duration: 0 },
        ),
    );
    ncp.reboot();
    assert_eq!(ncp.queued_callbacks(), 0);
}

#[test]
fn asynchronous_by_default_and_set_value_switches_to_synchronous() {
    let mut ncp = negotiated(NcpConfig::default());
    let out = form(&mut ncp);
    assert_eq!(out.len(), 2, "response and the callback at once");
    assert_eq!(out[0][1], 0x80, "no pending bit");
    assert_eq!(out[1][1], 0x90, "stackStatusHandler marked asynchronous");
    assert_eq!(ncp.queued_callbacks(), 0);
    // `callback` with nothing queued: noCallbacks, as on a real NCP.
    assert_eq!(
        ask(&mut ncp, 0x20, Command::Callback(NoParams)),
        vec![vec![0x20, 0x80, 0x01, 0x07, 0x00]]
    );

    let mut ncp = negotiated(NcpConfig::default());
    ask(
        &mut ncp,
        1,
        Command::SetValue(SetValue {
            value_id: value_id::UART_SYNCH_CALLBACKS,
            value: Bytes8(vec![1]),
        }),
    );
    assert!(ncp.synchronous_callbacks());
    assert_eq!(
        form(&mut ncp),
        vec![vec![0x07, 0x84, 0x01, 0x1e, 0x00, 0, 0, 0, 0]]
    );
    assert_eq!(ncp.queued_callbacks(), 1);
}
