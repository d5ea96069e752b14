//! Network backup and restore through the Zigbee driver (`ZigbeeStick::backup` /
//! `ZigbeeStick::restore`) against emulated sticks over real ptys: a network backed up from one
//! stick and restored onto a blank one keeps its identity, key, devices and link keys, with the
//! frame counters ahead, and never reuses a counter the old stick used after the backup; a Zigbee2MQTT backup restores; a stick with another network is not
//! overwritten without force; a stick whose EUI-64 cannot change says so.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;
use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, NcpConfig, SimulatedDevice};
use sealhub_radios::zigbee::ash::ResetCode;
use sealhub_radios::zigbee::backup::NetworkBackup;
use sealhub_radios::zigbee::driver::backup::MIN_FRAME_COUNTER_MARGIN;
use sealhub_radios::zigbee::driver::{
    Eui64Restore, JoinPolicy, RadioEvent, RestoreError, ZigbeeStick,
};
use sealhub_radios::zigbee::security::InstallCode;
use tokio::time::timeout;

mod support;
use support::{Events, driver_config, event, soon, start};

const DEVICE_EUI: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
const DEVICE_NODE: u16 = 0x6A5F;
/// Stick B's own EUI-64, different from the default one stick A has.
const EUI_B: [u8; 8] = [0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22];

/// An emulator on a pty and a driver opened on it (not started).
async fn opened(dir: &Path, name: &str, ncp: NcpConfig) -> (EmulatorHandle, ZigbeeStick, Events) {
    support::opened(dir, name, ncp, driver_config()).await
}

/// The Zigbee 3.0 specification's example install code.
fn spec_code() -> InstallCode {
    InstallCode::new(&[
        0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16, 0xD5,
        0x05, 0xC3, 0xB5,
    ])
    .expect("valid install code")
}

fn z2m_sample() -> NetworkBackup {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../radios/tests/vectors/open-coordinator-backup/z2m-sample-1.json"
    );
    let text = std::fs::read_to_string(path).expect("sample backup readable");
    NetworkBackup::from_json(&text).expect("sample backup parses")
}

/// A backup of `stick` once it lists the device (the driver's device table follows the
/// callbacks in its own task).
async fn backup_with_device(stick: &ZigbeeStick) -> NetworkBackup {
    timeout(soon(), async {
        loop {
            let backup = stick.backup().await.expect("backup succeeds");
            if backup.devices.iter().any(|d| d.ieee_address == DEVICE_EUI) {
                return backup;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the device appears in the backup")
}

#[tokio::test]
async fn a_network_backed_up_from_one_stick_runs_on_a_blank_one_with_its_devices() {
    let dir = tempfile::tempdir().unwrap();

    // Stick A: form, let a device join with its install code, talk to it.
    let (emu_a, stick_a, mut events_a) = opened(dir.path(), "stick-a", NcpConfig::default()).await;
    start(&stick_a).await;
    let device = SimulatedDevice::light(DEVICE_EUI, DEVICE_NODE, Some(spec_code()));
    timeout(soon(), stick_a.set_join_policy(JoinPolicy::InstallCodeOnly))
        .await
        .unwrap()
        .unwrap();
    timeout(
        soon(),
        stick_a.add_install_code(u64::from_le_bytes(DEVICE_EUI), &spec_code()),
    )
    .await
    .unwrap()
    .unwrap();
    timeout(soon(), stick_a.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(emu_a.join_device(device.clone()), Ok(DEVICE_NODE));
    event(&mut events_a, |e| {
        matches!(
            e,
            RadioEvent::DeviceAnnounced {
                node_id: DEVICE_NODE,
                ..
            }
        )
    })
    .await;
    timeout(soon(), stick_a.interview(DEVICE_NODE))
        .await
        .unwrap()
        .expect("interview on A");

    // Back up A, through the JSON file.
    let network_a = timeout(soon(), stick_a.network()).await.unwrap().unwrap();
    let backup = backup_with_device(&stick_a).await;
    let nvm_a = emu_a
        .with_stick(|s| s.nvm().cloned())
        .expect("A has a network");
    let json = backup.to_json();
    let parsed = NetworkBackup::from_json(&json).expect("own backup parses");
    assert_eq!(parsed, backup);
    assert_eq!(u64::from_le_bytes(parsed.coordinator_ieee), network_a.eui64);
    assert_eq!(parsed.pan_id, network_a.pan_id);
    assert_eq!(
        u64::from_le_bytes(parsed.extended_pan_id),
        network_a.extended_pan_id
    );
    assert_eq!(parsed.channel, network_a.channel);
    assert_eq!(parsed.channel_mask, vec![network_a.channel]);
    assert_eq!(parsed.security_level, 5);
    assert_eq!(parsed.network_key.key.as_bytes(), &nvm_a.network_key.0);
    assert_eq!(
        parsed.network_key.sequence_number,
        nvm_a.network_key_sequence
    );
    assert!(parsed.network_key.frame_counter > 0, "A sent frames");
    assert!(parsed.network_key.frame_counter <= nvm_a.nwk_frame_counter);
    assert!(parsed.metadata.source.starts_with("sealhub@"));
    let entry = parsed
        .devices
        .iter()
        .find(|d| d.ieee_address == DEVICE_EUI)
        .expect("device in the backup");
    assert_eq!(entry.nwk_address, Some(DEVICE_NODE));
    let link_key = entry.link_key.as_ref().expect("install-code link key");
    assert_eq!(link_key.key.as_bytes(), &spec_code().link_key().0);

    // A restore onto A itself changes nothing.
    let same = timeout(soon(), stick_a.restore(&parsed, false))
        .await
        .unwrap()
        .expect("restore onto the same network");
    assert!(same.already_on_network);
    assert_eq!(same.eui64, Eui64Restore::AlreadyEqual);

    // Stick B: blank, another EUI-64; restore instead of start.
    let config_b = NcpConfig {
        eui64: EUI_B,
        ..NcpConfig::default()
    };
    let (emu_b, stick_b, _events_b) = opened(dir.path(), "stick-b", config_b).await;
    let report = timeout(soon(), stick_b.restore(&parsed, false))
        .await
        .expect("restore does not hang")
        .expect("restore onto a blank stick");
    assert!(!report.already_on_network);
    assert_eq!(report.eui64, Eui64Restore::Written);
    assert_eq!(report.link_keys, 1);
    assert_eq!(
        report.frame_counter,
        parsed.network_key.frame_counter + MIN_FRAME_COUNTER_MARGIN
    );
    let aps_a = parsed
        .ezsp_aps_frame_counter()
        .unwrap()
        .expect("A's backup has its APS frame counter");
    assert!(aps_a > 0, "A sent APS-secured frames");
    assert_eq!(report.aps_frame_counter, aps_a + MIN_FRAME_COUNTER_MARGIN);
    let network_b = timeout(soon(), stick_b.network()).await.unwrap().unwrap();
    assert_eq!(network_b, report.network);
    assert_eq!(network_b.pan_id, network_a.pan_id);
    assert_eq!(network_b.extended_pan_id, network_a.extended_pan_id);
    assert_eq!(network_b.channel, network_a.channel);
    assert_eq!(network_b.eui64, network_a.eui64, "B took A's EUI-64");
    assert_eq!(
        emu_b.with_stick(|s| s.ncp().restored_eui64()),
        Some(u64::from_le_bytes(parsed.coordinator_ieee).to_le_bytes())
    );
    let nvm_b = emu_b
        .with_stick(|s| s.nvm().cloned())
        .expect("B has a network");
    assert_eq!(nvm_b.network_key.0, nvm_a.network_key.0);
    assert_eq!(nvm_b.network_key_sequence, nvm_a.network_key_sequence);
    assert_eq!(
        nvm_b.parameters.extended_pan_id,
        nvm_a.parameters.extended_pan_id
    );
    let counter_a = emu_a
        .with_stick(|s| s.nvm().map(|n| n.nwk_frame_counter))
        .unwrap();
    assert!(
        nvm_b.nwk_frame_counter > counter_a,
        "B's frame counter {} is ahead of A's {counter_a}",
        nvm_b.nwk_frame_counter
    );
    assert_eq!(
        emu_b.with_stick(|s| s.ncp().key_table_holders()),
        vec![DEVICE_EUI],
        "the device's link key is in the key table"
    );
    assert_eq!(
        emu_b.with_stick(|s| s.ncp().transient_key_holders()),
        vec![DEVICE_EUI],
        "and kept by the driver"
    );

    // The device is now in B's neighbourhood: B accepts it with the restored link key and it
    // answers an interview without joining again.
    assert_eq!(
        emu_b.with_stick(|s| s.ncp_mut().adopt_device(device.clone())),
        Ok(DEVICE_NODE)
    );
    let description = timeout(soon(), stick_b.interview(DEVICE_NODE))
        .await
        .expect("interview does not hang")
        .expect("interview through B without re-pairing");
    assert_eq!(description.node_id, DEVICE_NODE);
    assert_eq!(description.endpoints.len(), device.endpoints.len());
    assert!(emu_b.join_log().is_empty(), "nothing joined B");

    // B's own backup carries the same network and the device.
    let backup_b = backup_with_device(&stick_b).await;
    assert_eq!(backup_b.coordinator_ieee, parsed.coordinator_ieee);
    assert_eq!(backup_b.network_key.key, parsed.network_key.key);
    assert!(backup_b.network_key.frame_counter >= report.frame_counter);
}

#[tokio::test]
async fn the_zigbee2mqtt_sample_backup_restores_onto_a_blank_stick() {
    let dir = tempfile::tempdir().unwrap();
    let sample = z2m_sample();
    let (emu, stick, _events) = opened(dir.path(), "stick", NcpConfig::default()).await;
    let report = timeout(soon(), stick.restore(&sample, false))
        .await
        .expect("restore does not hang")
        .expect("restore succeeds");
    assert_eq!(report.eui64, Eui64Restore::Written);
    assert_eq!(
        report.link_keys,
        sample
            .devices
            .iter()
            .filter(|d| d.link_key.is_some())
            .count()
    );
    assert_eq!(report.frame_counter, 108_522 + MIN_FRAME_COUNTER_MARGIN);
    // Zigbee2MQTT writes no APS frame counter: it starts from the NWK one.
    assert_eq!(report.aps_frame_counter, 108_522 + MIN_FRAME_COUNTER_MARGIN);
    let network = timeout(soon(), stick.network()).await.unwrap().unwrap();
    assert_eq!(network.pan_id, 0xCD0A);
    assert_eq!(network.channel, 21);
    assert_eq!(network.extended_pan_id, 0x0012_4b00_09d6_9f77);
    assert_eq!(network.eui64, 0x0012_4b00_09d8_0ba7);
    let nvm = emu.with_stick(|s| s.nvm().cloned()).expect("a network");
    assert_eq!(nvm.network_key.0, *sample.network_key.key.as_bytes());
    assert_eq!(nvm.nwk_frame_counter, 108_522 + MIN_FRAME_COUNTER_MARGIN);
    assert_eq!(nvm.aps_frame_counter, 108_522 + MIN_FRAME_COUNTER_MARGIN);
    assert_eq!(nvm.parameters.channels, 1 << 21);
    let mut in_table = emu.with_stick(|s| s.ncp().key_table_holders());
    in_table.sort_unstable();
    let mut with_keys: Vec<_> = sample
        .devices
        .iter()
        .filter(|d| d.link_key.is_some())
        .map(|d| d.ieee_address)
        .collect();
    with_keys.sort_unstable();
    assert_eq!(in_table, with_keys, "every link key in the key table");

    // The stick keeps the network across a reboot, and the driver starts it as usual.
    let backup = timeout(soon(), stick.backup()).await.unwrap().unwrap();
    assert_eq!(backup.pan_id, 0xCD0A);
    assert_eq!(backup.coordinator_ieee, sample.coordinator_ieee);
    let with_key: Vec<_> = sample
        .devices
        .iter()
        .filter(|d| d.link_key.is_some())
        .map(|d| d.ieee_address)
        .collect();
    for eui in with_key {
        assert!(
            backup
                .devices
                .iter()
                .any(|d| d.ieee_address == eui && d.link_key.is_some()),
            "link key of {eui:02x?} kept"
        );
    }
}

#[tokio::test]
async fn a_stick_with_another_network_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let sample = z2m_sample();
    let (emu, stick, _events) = opened(dir.path(), "stick", NcpConfig::default()).await;
    start(&stick).await;
    let before = timeout(soon(), stick.network()).await.unwrap().unwrap();
    let nvm_before = emu.with_stick(|s| s.nvm().cloned());

    let refused = timeout(soon(), stick.restore(&sample, false))
        .await
        .expect("restore does not hang");
    match refused {
        Err(RestoreError::OtherNetwork(info)) => assert_eq!(info, before),
        other => panic!("expected OtherNetwork, got {other:?}"),
    }
    assert_eq!(
        emu.with_stick(|s| s.nvm().cloned()),
        nvm_before,
        "untouched"
    );
    assert_eq!(
        timeout(soon(), stick.network()).await.unwrap().unwrap(),
        before
    );

    let forced = timeout(soon(), stick.restore(&sample, true))
        .await
        .expect("restore does not hang")
        .expect("forced restore succeeds");
    assert_eq!(forced.network.pan_id, 0xCD0A);
    assert_eq!(forced.network.channel, 21);
}

#[tokio::test]
async fn a_stick_that_cannot_take_the_eui64_says_so_and_still_restores() {
    let dir = tempfile::tempdir().unwrap();
    let sample = z2m_sample();
    let config = NcpConfig {
        nvm3_tokens: false,
        ..NcpConfig::default()
    };
    let own = u64::from_le_bytes(config.eui64);
    let (_emu, stick, _events) = opened(dir.path(), "stick", config).await;
    let report = timeout(soon(), stick.restore(&sample, false))
        .await
        .expect("restore does not hang")
        .expect("restore succeeds");
    match &report.eui64 {
        Eui64Restore::Unchangeable {
            stick,
            backup,
            reason,
        } => {
            assert_eq!(*stick, own);
            assert_eq!(*backup, 0x0012_4b00_09d8_0ba7);
            assert!(reason.contains("manufacturing token"), "{reason}");
        }
        other => panic!("expected Unchangeable, got {other:?}"),
    }
    assert_eq!(report.network.eui64, own);
    assert_eq!(report.network.pan_id, 0xCD0A);
}

#[tokio::test]
async fn after_a_restore_the_driver_restarts_the_restored_network_when_the_stick_resets() {
    let dir = tempfile::tempdir().unwrap();
    let sample = z2m_sample();
    let (emu, stick, mut events) = opened(dir.path(), "stick", NcpConfig::default()).await;
    let report = timeout(soon(), stick.restore(&sample, false))
        .await
        .expect("restore does not hang")
        .expect("restore succeeds");
    let keys_before = emu.with_stick(|s| s.ncp().transient_key_holders());
    assert!(!keys_before.is_empty());

    emu.reset(ResetCode::WATCHDOG);
    event(
        &mut events,
        |e| matches!(e, RadioEvent::StickBack(info) if *info == report.network),
    )
    .await;
    assert_eq!(
        timeout(soon(), stick.network()).await.unwrap().unwrap(),
        report.network
    );
    assert_eq!(
        emu.with_stick(|s| s.ncp().transient_key_holders()),
        keys_before,
        "the restored link keys are imported again after the reset"
    );
}

/// The attack on a restored network: AES-CCM* takes its nonce from the sender and the frame
/// counter, so a new stick that reuses a counter the old one used under the same key repeats
/// a nonce (and devices drop the frame). Stick A is backed up, then sends more than 1024 more
/// frames (its stack's own NWK traffic, and APS-secured frames to a device); the backup is
/// restored onto blank stick B, which then sends. The emulators' record of the counters each
/// stick used shows that B used no NWK counter (network key) and no APS counter (trust centre
/// link key) that A used. Before, B started 1024 past the backup's NWK counter (inside what A
/// had sent since) and its APS counter at 0.
#[tokio::test]
async fn a_restore_after_more_than_1024_frames_since_the_backup_reuses_no_counter() {
    use firmware_shim::ezsp_ncp::CounterLayer;
    let dir = tempfile::tempdir().unwrap();
    let (emu_a, stick_a, mut events_a) = opened(dir.path(), "stick-a", NcpConfig::default()).await;
    start(&stick_a).await;
    timeout(soon(), stick_a.permit_join(60))
        .await
        .unwrap()
        .unwrap();
    let device = SimulatedDevice::light(DEVICE_EUI, DEVICE_NODE, None);
    assert_eq!(emu_a.join_device(device.clone()), Ok(DEVICE_NODE));
    event(&mut events_a, |e| {
        matches!(
            e,
            RadioEvent::DeviceAnnounced {
                node_id: DEVICE_NODE,
                ..
            }
        )
    })
    .await;
    let backup = backup_with_device(&stick_a).await;

    // After the backup, A goes on sending: 1500 frames of its own, and an interview.
    emu_a.with_stick(|s| s.ncp_mut().network_traffic(1500));
    timeout(soon(), stick_a.interview(DEVICE_NODE))
        .await
        .unwrap()
        .expect("interview on A");
    let used_a = emu_a.with_stick(|s| s.ncp().frame_counters_used().clone());
    let since_backup =
        used_a.highest(CounterLayer::Nwk).unwrap() - backup.network_key.frame_counter;
    assert!(since_backup > 1024, "A sent {since_backup} frames since");

    // A is retired; B, blank, gets the backup and sends.
    drop(stick_a);
    let (emu_b, stick_b, _events_b) = opened(
        dir.path(),
        "stick-b",
        NcpConfig {
            eui64: EUI_B,
            ..NcpConfig::default()
        },
    )
    .await;
    timeout(soon(), stick_b.restore(&backup, false))
        .await
        .expect("restore does not hang")
        .expect("restore onto a blank stick");
    emu_b.with_stick(|s| s.ncp_mut().network_traffic(100));
    assert_eq!(
        emu_b.with_stick(|s| s.ncp_mut().adopt_device(device.clone())),
        Ok(DEVICE_NODE)
    );
    timeout(soon(), stick_b.interview(DEVICE_NODE))
        .await
        .unwrap()
        .expect("interview on B");

    let used_b = emu_b.with_stick(|s| s.ncp().frame_counters_used().clone());
    assert!(
        used_b.highest(CounterLayer::Nwk).is_some(),
        "B sent NWK frames"
    );
    assert!(
        used_b.highest(CounterLayer::Aps).is_some(),
        "B sent APS frames"
    );
    assert_eq!(
        used_a.reused_in(&used_b),
        None,
        "B reused a counter A used: A {used_a:?}, B {used_b:?}"
    );
}
