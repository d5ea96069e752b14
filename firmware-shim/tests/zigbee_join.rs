//! Devices joining through the Zigbee driver (`sealhub_radios::zigbee::driver`) and the emulated
//! stick's trust center, end to end over real ptys: install codes, the join policy, permit join,
//! the join events and the interview.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;

use firmware_shim::ezsp_ncp::{
    EmulatorHandle, EzspFrameFromHost, JoinRefusal, NcpConfig, Override, SimulatedDevice,
};
use sealhub_radios::zigbee::ash::ResetCode;
use sealhub_radios::zigbee::driver::{Error, JoinKind, JoinPolicy, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::ezsp::commands::messaging::{MessageSentHandler, SendUnicastResponse};
use sealhub_radios::zigbee::ezsp::types::{Bytes8, Status};
use sealhub_radios::zigbee::ezsp::{Callback, Command, FromNcp, Response};
use sealhub_radios::zigbee::security::{InstallCode, crc16_x25};
use sealhub_radios::zigbee::zdo::{LogicalType, MacCapabilities};
use tokio::sync::mpsc;
use tokio::time::timeout;

mod support;
use support::{Events, driver_config, event, soon};

/// The emulated stick with the driver started on it.
async fn started(dir: &Path) -> (EmulatorHandle, ZigbeeStick, Events) {
    support::started(dir, "ezsp-stick", NcpConfig::default(), driver_config()).await
}

/// An install code with a valid CRC from 16 code bytes.
fn install_code(code: [u8; 16]) -> InstallCode {
    let mut bytes = code.to_vec();
    bytes.extend(crc16_x25(&code).to_le_bytes());
    InstallCode::new(&bytes).expect("valid install code")
}

/// The Zigbee 3.0 specification's example install code.
fn spec_code() -> InstallCode {
    InstallCode::new(&[
        0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16, 0xD5,
        0x05, 0xC3, 0xB5,
    ])
    .expect("valid install code")
}

const EUI: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];

fn eui_number(eui: [u8; 8]) -> u64 {
    u64::from_le_bytes(eui)
}

/// How many join callbacks (childJoinHandler, trustCenterJoinHandler) and Device_annce
/// messages the emulated NCP ever scheduled for the host about `eui64`: its own record of what
/// it sends, sent or still due.
fn join_announcements(emu: &EmulatorHandle, eui64: [u8; 8]) -> usize {
    emu.scheduled_log()
        .iter()
        .filter(|frame| match frame {
            FromNcp::Callback(Callback::ChildJoinHandler(c)) => c.child_eui64 == eui64,
            FromNcp::Callback(Callback::TrustCenterJoinHandler(t)) => t.new_node_eui64 == eui64,
            FromNcp::Callback(Callback::IncomingMessageHandler(m)) => {
                m.aps_frame.cluster_id == DEVICE_ANNOUNCE && m.packet_info.sender_long_id == eui64
            }
            _ => false,
        })
        .count()
}

/// ZDO Device_annce.
const DEVICE_ANNOUNCE: u16 = 0x0013;

/// Asserts that the refused device `eui64` never reaches the host: the emulator scheduled no
/// join callback and no Device_annce for it (so none can come later), and the driver, after a
/// round trip through the stick (whose answer follows anything the stick sent before it),
/// has produced no join or announce event.
async fn nothing_announced(
    emu: &EmulatorHandle,
    stick: &ZigbeeStick,
    events: &mut mpsc::Receiver<RadioEvent>,
    eui64: [u8; 8],
) {
    assert_eq!(
        join_announcements(emu, eui64),
        0,
        "scheduled for {eui64:02x?}"
    );
    timeout(soon(), stick.network()).await.unwrap().unwrap();
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(
                event,
                RadioEvent::DeviceJoined { .. } | RadioEvent::DeviceAnnounced { .. }
            ),
            "unexpected join event: {event:?}"
        );
    }
}

fn last_refusal(emu: &EmulatorHandle) -> Option<JoinRefusal> {
    emu.join_log().last().and_then(|a| a.outcome.err())
}

#[tokio::test]
async fn a_device_with_an_install_code_joins_and_is_interviewed() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    let device = SimulatedDevice::light(EUI, 0x6A5F, Some(spec_code()));
    timeout(soon(), stick.set_join_policy(JoinPolicy::InstallCodeOnly))
        .await
        .unwrap()
        .unwrap();
    timeout(
        soon(),
        stick.add_install_code(eui_number(EUI), &spec_code()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        emu.with_stick(|s| s.ncp().transient_key_holders()),
        vec![EUI]
    );
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(emu.join_device(device.clone()), Ok(0x6A5F));
    // The record the refusals are checked against: a join schedules childJoinHandler,
    // trustCenterJoinHandler and the Device_annce.
    assert_eq!(join_announcements(&emu, EUI), 3);

    let joined = event(&mut events, |e| {
        matches!(e, RadioEvent::DeviceJoined { .. })
    })
    .await;
    assert_eq!(
        joined,
        RadioEvent::DeviceJoined {
            eui64: eui_number(EUI),
            node_id: 0x6A5F,
            kind: JoinKind::Fresh,
        }
    );
    let announced = event(&mut events, |e| {
        matches!(e, RadioEvent::DeviceAnnounced { .. })
    })
    .await;
    assert_eq!(
        announced,
        RadioEvent::DeviceAnnounced {
            eui64: eui_number(EUI),
            node_id: 0x6A5F,
            capabilities: MacCapabilities::from_bits_retain(device.capabilities),
        }
    );

    let description = timeout(soon(), stick.interview(0x6A5F))
        .await
        .expect("interview does not hang")
        .expect("interview succeeds");
    assert_eq!(description.node_id, 0x6A5F);
    assert_eq!(description.node_descriptor.logical(), LogicalType::Router);
    assert_eq!(
        description.node_descriptor.manufacturer_code,
        device.manufacturer_code
    );
    assert_eq!(description.endpoints.len(), device.endpoints.len());
    for (got, want) in description.endpoints.iter().zip(&device.endpoints) {
        assert_eq!(got.endpoint, want.endpoint);
        assert_eq!(got.profile, want.profile);
        assert_eq!(got.device_id, want.device_id);
        assert_eq!(got.version, want.version);
        assert_eq!(got.in_clusters.0, want.in_clusters);
        assert_eq!(got.out_clusters.0, want.out_clusters);
    }
    assert_eq!(description.model.as_deref(), Some(device.model.as_str()));
    assert_eq!(
        description.manufacturer.as_deref(),
        Some(device.manufacturer.as_str())
    );
    // A second interview uses new transaction sequence numbers and gives the same answer.
    let again = timeout(soon(), stick.interview(0x6A5F))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, description);
}

#[tokio::test]
async fn a_wrong_install_code_keeps_the_device_out() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    let wrong = install_code([0x42; 16]);
    timeout(soon(), stick.add_install_code(eui_number(EUI), &wrong))
        .await
        .unwrap()
        .unwrap();
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    let device = SimulatedDevice::light(EUI, 0x1001, Some(spec_code()));
    assert_eq!(emu.join_device(device), Err(JoinRefusal::WrongLinkKey));
    nothing_announced(&emu, &stick, &mut events, EUI).await;
    assert_eq!(last_refusal(&emu), Some(JoinRefusal::WrongLinkKey));
    assert!(emu.with_stick(|s| s.ncp().joined_devices().is_empty()));

    // Without any key for its EUI-64 it is refused too, for that reason.
    let other = SimulatedDevice::light([9; 8], 0x1002, Some(spec_code()));
    assert_eq!(emu.join_device(other), Err(JoinRefusal::NoLinkKey));
    nothing_announced(&emu, &stick, &mut events, [9; 8]).await;

    // The device is unreachable: an interview fails at once with a typed error.
    let err = timeout(soon(), stick.interview(0x1001))
        .await
        .unwrap()
        .expect_err("nobody to interview");
    assert!(
        matches!(
            err,
            Error::DeliveryFailed {
                node_id: 0x1001,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn nobody_joins_while_permit_join_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    timeout(
        soon(),
        stick.add_install_code(eui_number(EUI), &spec_code()),
    )
    .await
    .unwrap()
    .unwrap();
    let device = SimulatedDevice::light(EUI, 0x2002, Some(spec_code()));
    assert_eq!(
        emu.join_device(device.clone()),
        Err(JoinRefusal::PermitJoinClosed)
    );
    nothing_announced(&emu, &stick, &mut events, EUI).await;

    // Opened and closed again: still refused.
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    timeout(soon(), stick.permit_join(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        emu.join_device(device.clone()),
        Err(JoinRefusal::PermitJoinClosed)
    );
    nothing_announced(&emu, &stick, &mut events, EUI).await;
    assert_eq!(last_refusal(&emu), Some(JoinRefusal::PermitJoinClosed));

    // Open: it joins.
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(emu.join_device(device), Ok(0x2002));
    assert_eq!(join_announcements(&emu, EUI), 3);
    event(&mut events, |e| {
        matches!(
            e,
            RadioEvent::DeviceJoined {
                node_id: 0x2002,
                ..
            }
        )
    })
    .await;
}

#[tokio::test]
async fn a_device_without_install_code_needs_the_well_known_key_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    timeout(soon(), stick.set_join_policy(JoinPolicy::InstallCodeOnly))
        .await
        .unwrap()
        .unwrap();
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    let device = SimulatedDevice::light(EUI, 0x3003, None);
    assert_eq!(
        emu.join_device(device.clone()),
        Err(JoinRefusal::WellKnownKeyNotAllowed)
    );
    nothing_announced(&emu, &stick, &mut events, EUI).await;
    assert_eq!(
        last_refusal(&emu),
        Some(JoinRefusal::WellKnownKeyNotAllowed)
    );

    // With the well-known key allowed it joins (and announces itself).
    timeout(
        soon(),
        stick.set_join_policy(JoinPolicy::WellKnownKeyAllowed),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(emu.join_device(device), Ok(0x3003));
    event(&mut events, |e| {
        matches!(
            e,
            RadioEvent::DeviceAnnounced {
                node_id: 0x3003,
                ..
            }
        )
    })
    .await;
}

#[tokio::test]
async fn install_code_keys_and_the_join_policy_survive_a_stick_reset() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    timeout(soon(), stick.set_join_policy(JoinPolicy::InstallCodeOnly))
        .await
        .unwrap()
        .unwrap();
    timeout(
        soon(),
        stick.add_install_code(eui_number(EUI), &spec_code()),
    )
    .await
    .unwrap()
    .unwrap();
    // The chip resets: its RAM (transient keys, policies) is gone until the driver restarts it.
    emu.reset(ResetCode::WATCHDOG);
    event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await;
    assert_eq!(
        emu.with_stick(|s| s.ncp().transient_key_holders()),
        vec![EUI]
    );
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        emu.join_device(SimulatedDevice::light([7; 8], 0x4004, None)),
        Err(JoinRefusal::WellKnownKeyNotAllowed)
    );
    let device = SimulatedDevice::light(EUI, 0x4005, Some(spec_code()));
    assert_eq!(emu.join_device(device), Ok(0x4005));
    event(&mut events, |e| {
        matches!(
            e,
            RadioEvent::DeviceJoined {
                node_id: 0x4005,
                ..
            }
        )
    })
    .await;
}

#[tokio::test]
async fn a_device_that_never_answers_times_out_with_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let (emu, stick, mut events) = started(dir.path()).await;
    timeout(soon(), stick.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        emu.join_device(SimulatedDevice::light(EUI, 0x5005, None)),
        Ok(0x5005)
    );
    event(&mut events, |e| {
        matches!(e, RadioEvent::DeviceAnnounced { .. })
    })
    .await;
    // Every unicast is acknowledged (response and messageSentHandler OK), but the device's
    // answer never comes.
    emu.set_override(|frame| match frame {
        EzspFrameFromHost::Command {
            command: Command::SendUnicast(u),
            ..
        } => Override::Reply(vec![
            FromNcp::Response(Response::SendUnicast(SendUnicastResponse {
                status: Status::OK,
                sequence: 9,
            })),
            FromNcp::Callback(Callback::MessageSentHandler(MessageSentHandler {
                status: Status::OK,
                message_type: u.message_type,
                index_or_destination: u.index_or_destination,
                aps_frame: u.aps_frame,
                message_tag: u.message_tag,
                message: Bytes8(Vec::new()),
            })),
        ]),
        _ => Override::Default,
    });
    let started_at = std::time::Instant::now();
    let err = timeout(soon(), stick.interview(0x5005))
        .await
        .expect("the interview's own timeout fires first")
        .expect_err("no answer");
    assert!(
        matches!(
            err,
            Error::NoAnswer {
                node_id: 0x5005,
                cluster: 0x0002
            }
        ),
        "{err:?}"
    );
    assert!(started_at.elapsed() >= driver_config().device_timeout);
}
