//! The Zigbee driver (`sealhub_radios::zigbee::driver`) against the emulated stick, end to end
//! over real ptys: the driver opens the pty's slave through a symlink exactly as it would open
//! `/dev/serial/by-id/...`, and the emulator's overrides make single frames go wrong.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, EzspFrameFromHost, NcpConfig, Override};
use firmware_shim::test_time::scaled;
use sealhub_radios::port::PortConfig;
use sealhub_radios::zigbee::ash::{self, ResetCode};
use sealhub_radios::zigbee::driver::{DriverConfig, Error, NetworkInfo, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::ezsp::commands::configuration::{
    SetConfigurationValue, StatusResponse,
};
use sealhub_radios::zigbee::ezsp::commands::messaging::IncomingMessageHandler;
use sealhub_radios::zigbee::ezsp::types::{ApsFrame, Bytes8, PacketInfo, Status};
use sealhub_radios::zigbee::ezsp::{Callback, Command, FromNcp, Response};
use tokio::time::timeout;

mod support;
use support::{Events, event, soon};

const PERMIT_JOINING: u16 = 0x0022;

fn driver_config() -> DriverConfig {
    DriverConfig {
        device_timeout: DriverConfig::default().device_timeout,
        ..support::driver_config()
    }
}

async fn emulator(dir: &Path, ncp: NcpConfig) -> (std::path::PathBuf, EmulatorHandle) {
    support::emulator(dir, "ezsp-stick", ncp).await
}

async fn open(path: &Path) -> (ZigbeeStick, Events) {
    support::open(path, driver_config()).await
}

/// The emulated stick with the driver started on it.
async fn started(dir: &Path) -> (EmulatorHandle, ZigbeeStick, Events) {
    support::started(dir, "ezsp-stick", NcpConfig::default(), driver_config()).await
}

/// An override that applies `once` to the first `permitJoining` and defaults otherwise.
fn first_permit_joining(once: Override) -> impl FnMut(&EzspFrameFromHost) -> Override + Send {
    let mut used = false;
    move |frame| {
        if !used && frame.frame_id() == Some(PERMIT_JOINING) {
            used = true;
            once.clone()
        } else {
            Override::Default
        }
    }
}

#[tokio::test]
async fn first_start_negotiates_and_forms_a_network_on_the_quietest_channel() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(dir.path(), NcpConfig::default()).await;
    let (stick, mut events) = open(&path).await;
    let info = timeout(soon(), stick.start())
        .await
        .expect("no hang")
        .expect("start");

    let version = stick.version().expect("negotiated");
    assert_eq!(version.protocol, 14);
    assert_eq!(version.stack_type, 2);
    assert_eq!(version.to_string(), "EmberZNet 8.0.2.0 (EZSP 14)");

    // The default emulated band is quietest on channel 20 (-95 dBm).
    assert_eq!(info.channel, 20);
    assert_ne!(info.pan_id, 0);
    assert_ne!(info.pan_id, 0xFFFF);
    assert_ne!(info.extended_pan_id, 0);
    assert_eq!(info.node_id, 0x0000);
    assert_eq!(info.eui64, 0x8877_6655_4433_2211);

    // What the driver reports is what the stick stored.
    let (nvm, key_is_random) = emu.with_stick(|s| {
        let nvm = s.nvm().expect("formed").clone();
        let random = nvm.network_key.0 != [0; 16];
        (nvm, random)
    });
    assert_eq!(nvm.parameters.pan_id, info.pan_id);
    assert_eq!(nvm.parameters.radio_channel, 20);
    assert_eq!(
        u64::from_le_bytes(nvm.parameters.extended_pan_id),
        info.extended_pan_id
    );
    assert!(key_is_random, "network key drawn, not zero");
    assert_eq!(nvm.tc_link_key.0, *b"ZigBeeAlliance09");

    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::NetworkFormed(_))).await,
        RadioEvent::NetworkFormed(info)
    );
    assert_eq!(stick.network().await.expect("network"), info);

    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("permit join");
    assert_eq!(emu.with_stick(|s| s.ncp().permit_join_seconds()), 60);
    // Configuration reached the stick before the stack started.
    assert_eq!(emu.with_stick(|s| s.ncp().config_value(0x0C)), Some(2));
}

#[tokio::test]
async fn a_second_start_resumes_the_stored_network_without_forming() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(dir.path(), NcpConfig::default()).await;
    let first = {
        let (stick, _events) = open(&path).await;
        timeout(soon(), stick.start())
            .await
            .expect("no hang")
            .expect("start")
    };
    // The first driver is gone; the port must be free again for the second.
    let (stick, mut events) = timeout(soon(), async {
        loop {
            match ZigbeeStick::open_with(PortConfig::new(&path), driver_config()).await {
                Ok(opened) => return opened,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .expect("port released by the first driver");
    let second: NetworkInfo = timeout(soon(), stick.start())
        .await
        .expect("no hang")
        .expect("start");
    assert_eq!(second, first);
    assert_eq!(
        event(&mut events, |e| matches!(
            e,
            RadioEvent::NetworkUp | RadioEvent::NetworkFormed(_)
        ))
        .await,
        RadioEvent::NetworkUp
    );
    let forms = emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|f| f.frame_id() == Some(0x001E))
            .count()
    });
    assert_eq!(forms, 1, "formNetwork only on the first start");
}

#[tokio::test]
async fn a_corrupted_crc_from_the_stick_is_naked_and_retransmitted() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events) = started(dir.path()).await;
    let before = emu.with_stick(|s| s.ash_stats());
    emu.set_override(first_permit_joining(Override::CorruptCrc));
    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("the command completes after the retransmission");
    let after = emu.with_stick(|s| s.ash_stats());
    assert_eq!(after.corrupted_sent - before.corrupted_sent, 1);
    assert_eq!(
        after.naks_received - before.naks_received,
        1,
        "driver NAKed"
    );
    assert!(after.retransmitted > before.retransmitted, "stick resent");
    assert_eq!(emu.with_stick(|s| s.ncp().permit_join_seconds()), 60);
}

#[tokio::test]
async fn unprompted_callbacks_are_acknowledged_and_commands_still_pass() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events) = started(dir.path()).await;
    let before = emu.with_stick(|s| s.ash_stats());
    // More than the NCP's window of 3: the answer below queues behind them, so it only comes
    // if the driver acknowledges every callback.
    for i in 0..10u8 {
        emu.send_callback(Callback::IncomingMessageHandler(IncomingMessageHandler {
            message_type: 0,
            aps_frame: ApsFrame {
                profile_id: 0x0104,
                cluster_id: 0x0006,
                sequence: i,
                ..ApsFrame::default()
            },
            packet_info: PacketInfo {
                sender_short_id: 0x1000 + u16::from(i),
                ..PacketInfo::default()
            },
            message: Bytes8(vec![0x18, i, 0x0B, 0x00, 0x00]),
        }));
    }
    timeout(soon(), stick.permit_join(0))
        .await
        .expect("no hang")
        .expect("permit join");
    let after = emu.with_stick(|s| s.ash_stats());
    assert_eq!(after.naks_received, before.naks_received, "no NAK");
    assert_eq!(after.retransmitted, before.retransmitted, "nothing resent");
}

#[tokio::test]
async fn a_stick_reset_mid_command_fails_it_and_the_stick_comes_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events) = started(dir.path()).await;
    let network = stick.network().await.expect("network");
    emu.set_override(first_permit_joining(Override::Reset(ResetCode::WATCHDOG)));

    let err = timeout(soon(), stick.permit_join(60))
        .await
        .expect("the command fails, it does not hang")
        .expect_err("the stick reset instead of answering");
    assert!(
        matches!(err, Error::StickReset(ResetCode::WATCHDOG)),
        "{err:?}"
    );
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickReset(_))).await,
        RadioEvent::StickReset(ResetCode::WATCHDOG)
    );
    // The driver resets the link, negotiates again and resumes the stored network.
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("commands work again");
    assert!(emu.with_stick(|s| s.ash_stats().rst_received) >= 2);
}

#[tokio::test]
async fn an_unplugged_stick_fails_commands_and_comes_back_when_replugged() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events) = started(dir.path()).await;
    let network = stick.network().await.expect("network");

    emu.unplug().await;
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickLost)).await,
        RadioEvent::StickLost
    );
    // "At once" without a real-time bound: with the clock paused, tokio advances it only when
    // every task waits on a timer, so the bound is passed only if the command waits on one (a
    // response or retry timer) instead of failing on the spot.
    tokio::time::pause();
    let err = timeout(Duration::from_secs(2), stick.permit_join(60))
        .await
        .expect("a command while unplugged fails at once, waiting on no timer")
        .expect_err("no stick");
    tokio::time::resume();
    assert!(matches!(err, Error::StickLost), "{err:?}");
    assert!(matches!(stick.version(), Err(Error::StickLost)));

    emu.replug().await.expect("replug");
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("commands work again");
    assert_eq!(stick.version().expect("negotiated").protocol, 14);
}

#[tokio::test]
async fn an_unanswered_command_times_out_and_a_late_one_still_completes() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events) = started(dir.path()).await;

    emu.set_override(first_permit_joining(Override::Drop));
    let err = timeout(soon(), stick.permit_join(60))
        .await
        .expect("bounded by the command timeout")
        .expect_err("no answer");
    assert!(
        matches!(
            err,
            Error::Timeout {
                frame_id: PERMIT_JOINING
            }
        ),
        "{err:?}"
    );

    // 20 ticks of 10 ms: late, but inside the command timeout.
    emu.set_override(first_permit_joining(Override::Delay(20)));
    timeout(soon(), stick.permit_join(30))
        .await
        .expect("no hang")
        .expect("a late answer is still the answer");
    assert_eq!(emu.with_stick(|s| s.ncp().permit_join_seconds()), 30);
}

#[tokio::test]
async fn garbage_and_refusals_are_survived() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events) = started(dir.path()).await;

    // Line noise, a CANCEL mid-frame and a SUBSTITUTE: the link throws them away.
    emu.send_raw(&[0x42, 0x13, 0x99, 0x7E, 0x55, 0x1A, 0x33, 0x18, 0x7E]);
    timeout(soon(), stick.permit_join(10))
        .await
        .expect("no hang")
        .expect("the link stays in step");

    // The stick refuses configuration once the network runs: a typed status, not a hang.
    let response = timeout(
        soon(),
        stick.command(Command::SetConfigurationValue(SetConfigurationValue {
            config_id: 0x0C,
            value: 2,
        })),
    )
    .await
    .expect("no hang")
    .expect("answered");
    assert!(
        matches!(&response, Response::SetConfigurationValue(r) if r.status == Status(0x0002)),
        "{response:?}"
    );

    // Every host frame reached the stick decoded: the driver spoke nothing it cannot parse.
    let undecodable = emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|f| matches!(f, EzspFrameFromHost::Undecodable { .. }))
            .count()
    });
    assert_eq!(undecodable, 0);
}

#[tokio::test]
async fn a_protocol_12_stick_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let ncp = NcpConfig {
        protocol_version: 12,
        stack_version: Some(0x7300),
        ..NcpConfig::default()
    };
    let (path, _emu) = emulator(dir.path(), ncp).await;
    let (stick, _events) = open(&path).await;
    let err = timeout(soon(), stick.start())
        .await
        .expect("no hang")
        .expect_err("protocol 12 is older than any supported stick");
    assert!(err.to_string().contains("protocol 12"), "{err}");
}

#[tokio::test]
async fn a_scripted_refusal_reaches_the_caller_as_a_typed_status() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, _events) = started(dir.path()).await;
    // Answer the next permitJoining with SL_STATUS_INVALID_STATE instead of OK.
    let refusal = FromNcp::Response(Response::PermitJoining(StatusResponse {
        status: Status(0x0002),
    }));
    emu.set_override(first_permit_joining(Override::Reply(vec![refusal])));
    let err = timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::Ezsp {
                command: "permitJoining",
                status: 0x0002
            }
        ),
        "{err:?}"
    );
    assert_eq!(emu.with_stick(|s| s.ncp().permit_join_seconds()), 0);
    // The override was for one frame only.
    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("default behaviour again");
}

#[tokio::test]
async fn a_mute_stick_fails_the_command_and_is_restarted_when_it_speaks_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(dir.path(), NcpConfig::default()).await;
    // Short ASH timers so the link gives up within a few seconds instead of UG101's ~15 s, yet
    // far above a loaded machine's pty round trip (and scaled by `SEALHUB_TEST_TIME_SCALE`).
    let config = DriverConfig {
        ash: ash::Config {
            ack_timer_init: scaled(Duration::from_millis(400)),
            ack_timer_min: scaled(Duration::from_millis(200)),
            ack_timer_max: scaled(Duration::from_millis(800)),
            rstack_timeout: scaled(Duration::from_millis(800)),
            ..ash::Config::default()
        },
        ..driver_config()
    };
    let (stick, mut events) = ZigbeeStick::open_with(PortConfig::new(&path), config)
        .await
        .expect("open");
    let network = timeout(soon(), stick.start())
        .await
        .expect("no hang")
        .expect("start");

    emu.set_silent(true);
    let err = timeout(soon(), stick.permit_join(60))
        .await
        .expect("bounded")
        .expect_err("a mute stick cannot answer");
    assert!(
        matches!(err, Error::Timeout { .. } | Error::Link(_)),
        "{err:?}"
    );
    assert!(matches!(
        event(&mut events, |e| matches!(e, RadioEvent::LinkFailed(_))).await,
        RadioEvent::LinkFailed(ash::Error::TooManyRetries(_) | ash::Error::ResetTimeout)
    ));

    emu.set_silent(false);
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("commands work again");
}
