//! The Zigbee driver on a protocol-13 stick (EmberZNet 7.4, as many Sonoff ZBDongle-E and
//! SkyConnect units still run), end to end over real ptys: the emulator speaks protocol 13's
//! layouts (one-byte statuses, key-first `exportKey`, the flags byte of `importTransientKey`,
//! 8-bit message tags, the old `incomingMessageHandler`), and the driver negotiates, forms,
//! resumes after a reset, lets a device join with an install code, interviews it, sends it a
//! command and backs the network up.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{
    EmulatorHandle, EzspFrameFromHost, NcpConfig, PtyConfig, SimulatedDevice, spawn_on_pty,
};
use sealhub_radios::zigbee::ash::ResetCode;
use sealhub_radios::zigbee::driver::{JoinPolicy, Outcome, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::security::InstallCode;
use sealhub_radios::zigbee::zcl::ClusterCommand;
use sealhub_radios::zigbee::zcl::clusters::{Empty, on_off};
use tokio::time::timeout;

mod support;
use support::{Events, driver_config, event, soon};

const EUI: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
const NODE: u16 = 0x6A5F;

/// An EmberZNet 7.4.5 stick.
fn protocol_13() -> NcpConfig {
    NcpConfig {
        protocol_version: 13,
        stack_version: Some(0x7450),
        ..NcpConfig::default()
    }
}

/// The emulated stick with the driver started on it.
async fn started(dir: &Path) -> (EmulatorHandle, ZigbeeStick, Events) {
    support::started(dir, "ezsp13-stick", protocol_13(), driver_config()).await
}

fn spec_code() -> InstallCode {
    InstallCode::new(&[
        0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16, 0xD5,
        0x05, 0xC3, 0xB5,
    ])
    .expect("valid install code")
}

/// Every host frame reached the stick decoded, in protocol 13's layouts.
fn all_decoded(emu: &EmulatorHandle) {
    let undecodable: Vec<String> = emu.with_stick(|s| {
        s.received()
            .iter()
            .filter_map(|f| match f {
                EzspFrameFromHost::Undecodable { reason, .. } => Some(reason.clone()),
                _ => None,
            })
            .collect()
    });
    assert!(undecodable.is_empty(), "{undecodable:?}");
}

#[tokio::test]
async fn a_protocol_13_stick_forms_a_network_and_resumes_it_after_a_reset() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events) = started(dir.path()).await;
    let version = stick.version().expect("negotiated");
    assert_eq!(version.protocol, 13);
    let network = stick.network().await.expect("network");
    assert_eq!(network.channel, 20, "the energy scan's quietest channel");
    assert_eq!(network.node_id, 0x0000);
    let nvm = emu.with_stick(|s| s.nvm().cloned()).expect("formed");
    assert_eq!(nvm.parameters.pan_id, network.pan_id);

    // permitJoining answers NETWORK_OPENED through a one-byte EmberStatus.
    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("permit join");
    assert_eq!(emu.with_stick(|s| s.ncp().permit_join_seconds()), 60);

    // The chip resets: the driver negotiates protocol 13 again and resumes the network.
    emu.reset(ResetCode::WATCHDOG);
    assert_eq!(
        event(&mut events, |e| matches!(e, RadioEvent::StickBack(_))).await,
        RadioEvent::StickBack(network)
    );
    let forms = emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|f| f.frame_id() == Some(0x001E))
            .count()
    });
    assert_eq!(forms, 1, "resumed, not formed again");
    all_decoded(&emu);
}

#[tokio::test]
async fn a_device_joins_is_interviewed_and_toggled_on_protocol_13() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu, stick, mut events) = started(dir.path()).await;
    timeout(soon(), stick.set_join_policy(JoinPolicy::InstallCodeOnly))
        .await
        .expect("no hang")
        .expect("join policy");
    // importTransientKey carries its protocol-13 flags byte.
    timeout(
        soon(),
        stick.add_install_code(u64::from_le_bytes(EUI), &spec_code()),
    )
    .await
    .expect("no hang")
    .expect("install code");
    assert_eq!(
        emu.with_stick(|s| s.ncp().transient_key_holders()),
        vec![EUI]
    );
    timeout(soon(), stick.permit_join(60))
        .await
        .expect("no hang")
        .expect("permit join");
    let device = SimulatedDevice::light(EUI, NODE, Some(spec_code()));
    assert_eq!(emu.join_device(device.clone()), Ok(NODE));
    // The announce comes in the old incomingMessageHandler layout.
    event(&mut events, |e| {
        matches!(e, RadioEvent::DeviceAnnounced { node_id: NODE, .. })
    })
    .await;

    let description = timeout(soon(), stick.interview(NODE))
        .await
        .expect("interview does not hang")
        .expect("interview succeeds");
    assert_eq!(description.endpoints.len(), device.endpoints.len());
    assert_eq!(description.model.as_deref(), Some(device.model.as_str()));

    let outcome = timeout(
        soon(),
        stick.send_cluster_command(
            NODE,
            1,
            0x0006,
            ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {})),
        ),
    )
    .await
    .expect("no hang")
    .expect("the light answers");
    assert_eq!(outcome, Outcome::Success);

    // A device that does not ack: protocol 13's messageSentHandler carries an 8-bit tag, and the
    // failure must still be matched to the request (not end in a timeout).
    emu.with_device(NODE, |d| d.zcl.silent = true)
        .expect("the light is there");
    let silent = timeout(
        soon(),
        stick.send_cluster_command(
            NODE,
            1,
            0x0006,
            ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {})),
        ),
    )
    .await
    .expect("no hang");
    assert!(
        matches!(
            silent,
            Err(sealhub_radios::zigbee::driver::Error::DeliveryFailed { node_id: NODE, .. })
        ),
        "{silent:?}"
    );
    emu.with_device(NODE, |d| d.zcl.silent = false)
        .expect("the light is there");

    // The backup reads the network key with protocol 13's key-first exportKey.
    let backup = timeout(soon(), stick.backup())
        .await
        .expect("no hang")
        .expect("backup");
    let nvm = emu.with_stick(|s| s.nvm().cloned()).expect("formed");
    assert_eq!(backup.network_key.key.as_bytes(), &nvm.network_key.0);
    assert!(backup.devices.iter().any(|d| d.ieee_address == EUI));
    all_decoded(&emu);
}

/// zigbee-herdsman (`tests/interop`), if installed: the reference host reads and writes the
/// protocol-13 layouts itself, so it checks the emulator's protocol 13 (and with it the shared
/// byte-level rewrites) independently of the driver. Skipped with a message when Node or the
/// packages are missing, except with `SEALHUB_REQUIRE_INTEROP` set.
fn herdsman_dir() -> Option<std::path::PathBuf> {
    firmware_shim::interop::herdsman("the herdsman protocol-13 test")
}

/// Runs the herdsman script once against `stick`; returns its JSON result and log.
async fn run_herdsman(dir: &Path, stick: &Path) -> (serde_json::Value, String) {
    let child = tokio::process::Command::new("node")
        .arg(dir.join("herdsman_ember.mjs"))
        .arg(stick)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let output = timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("herdsman run ends within its limit")
        .expect("node output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stdout.lines().last().unwrap_or_default();
    let result = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("no JSON result ({e}); stdout: {stdout}\nlog:\n{log}"));
    (result, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herdsman_forms_and_resumes_a_network_on_the_protocol_13_emulator() {
    let Some(dir) = herdsman_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let config = PtyConfig {
        ncp: protocol_13(),
        ..PtyConfig::new(tmp.path().join("ezsp13-stick"))
    };
    let (path, emu) = spawn_on_pty(config).await.expect("emulator on a pty");
    for expected in ["reset", "resumed"] {
        let (result, log) = run_herdsman(&dir, &path).await;
        let tail: String = log.lines().rev().take(40).collect::<Vec<_>>().join("\n");
        assert_eq!(
            result["ok"],
            serde_json::Value::Bool(true),
            "{result}\n{tail}"
        );
        assert_eq!(result["startResult"], expected, "{result}");
        assert_eq!(result["coordinatorVersion"]["meta"]["ezsp"], 13, "{result}");
        all_decoded(&emu);
    }
    assert!(
        emu.with_stick(|s| s.nvm().is_some()),
        "herdsman formed a network"
    );
}
