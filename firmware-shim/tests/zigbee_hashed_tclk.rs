//! The trust centre's hashed link key root (`stack_specific.ezsp.hashed_tclk`) through backup and
//! restore, against emulated sticks over real ptys.
//!
//! zigbee-herdsman forms EmberZNet networks with `TRUST_CENTER_USES_HASHED_LINK_KEY` and a random
//! root: each device's TC link key is derived from that root and the device's EUI-64. Its backups
//! carry the root as `hashed_tclk`; restoring without it gives the new stick other per-device keys
//! than the devices hold, and they can no longer talk to the trust centre. Here a device that
//! joined under the old stick holds its key, and the new stick must derive the same one.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging.

use std::path::Path;

use firmware_shim::ezsp_ncp::tc_keys::derived_tc_link_key;
use firmware_shim::ezsp_ncp::{EmulatorHandle, JoinRefusal, NcpConfig, SimulatedDevice};
use sealhub_radios::zigbee::backup::{Key16, NetworkBackup};
use sealhub_radios::zigbee::driver::ZigbeeStick;
use sealhub_radios::zigbee::ezsp::types::Key;
use sealhub_radios::zigbee::zcl::ClusterCommand;
use sealhub_radios::zigbee::zcl::clusters::{Empty, on_off};
use tokio::time::timeout;

mod support;
use support::{driver_config, soon};

const DEVICE_EUI: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
const DEVICE_NODE: u16 = 0x6A5F;
/// The root in the backup below.
const ROOT: [u8; 16] = [
    0xE9, 0xBD, 0x3A, 0xC1, 0x65, 0x23, 0x3D, 0x95, 0x92, 0x36, 0x13, 0xC6, 0x08, 0xBE, 0xB1, 0x47,
];

/// A backup in the shape zigbee-herdsman 10.9.5's ember adapter writes (`metadata.internal` with
/// `ezspVersion`, `stack_specific.ezsp.hashed_tclk`, `is_child: false` devices without link keys
/// since herdsman does not allow application key requests), for a network with one light.
const HERDSMAN_BACKUP: &str = r#"{
  "metadata": {
    "format": "zigpy/open-coordinator-backup",
    "version": 1,
    "source": "zigbee-herdsman@10.9.5",
    "internal": { "date": "2026-11-20T10:00:00.000Z", "ezspVersion": 14 }
  },
  "stack_specific": { "ezsp": { "hashed_tclk": "e9bd3ac165233d95923613c608beb147" } },
  "coordinator_ieee": "84ba20fffe59f5ff",
  "pan_id": "1a62",
  "extended_pan_id": "dddddddddddddddd",
  "nwk_update_id": 0,
  "security_level": 5,
  "channel": 15,
  "channel_mask": [15],
  "network_key": {
    "key": "01030507090b0d0f00020406080a0c0d",
    "sequence_number": 0,
    "frame_counter": 40960
  },
  "devices": [
    { "nwk_address": "6a5f", "ieee_address": "efcdab8967452301", "is_child": false }
  ]
}"#;

/// An emulator on a pty and a driver opened on it (not started).
async fn opened(dir: &Path, name: &str) -> (EmulatorHandle, ZigbeeStick) {
    let (emu, stick, _events) =
        support::opened(dir, name, NcpConfig::default(), driver_config()).await;
    (emu, stick)
}

fn light() -> SimulatedDevice {
    SimulatedDevice::light(DEVICE_EUI, DEVICE_NODE, None)
}

/// The key the light holds: the one herdsman's stick derived for it when it joined.
fn key_the_light_holds() -> Key {
    derived_tc_link_key(&Key(ROOT), DEVICE_EUI)
}

async fn restore(stick: &ZigbeeStick, backup: &NetworkBackup) -> bool {
    timeout(soon(), stick.restore(backup, false))
        .await
        .expect("restore does not hang")
        .expect("restore succeeds")
        .hashed_tclk
}

/// The light answers a toggle through the restored stick.
async fn toggles(stick: &ZigbeeStick) {
    timeout(
        soon(),
        stick.send_cluster_command(
            DEVICE_NODE,
            1,
            0x0006,
            ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {})),
        ),
    )
    .await
    .expect("no hang")
    .expect("the light answers");
}

#[tokio::test]
async fn the_hashed_tclk_of_a_herdsman_backup_keeps_devices_that_joined_before() {
    let dir = tempfile::tempdir().expect("tmp");
    let backup = NetworkBackup::from_json(HERDSMAN_BACKUP).expect("herdsman backup parses");
    assert_eq!(
        backup.ezsp_hashed_tclk().expect("well formed"),
        Some(Key16::new(ROOT))
    );

    let (emu, stick) = opened(dir.path(), "new-stick").await;
    assert!(restore(&stick, &backup).await, "the root went to the stick");

    // Formed as herdsman forms from a backup: the root as preconfigured key, hashed link keys.
    let nvm = emu.with_stick(|s| s.nvm().cloned()).expect("a network");
    assert_eq!(nvm.tc_link_key.0, ROOT);
    assert_eq!(
        nvm.security_bitmask & 0x0084,
        0x0084,
        "{:#06x}",
        nvm.security_bitmask
    );

    // The light that joined under herdsman's stick is accepted with the key it holds, and works.
    emu.with_stick(|s| {
        s.ncp_mut()
            .adopt_device_holding(light(), &key_the_light_holds())
    })
    .expect("the trust centre derives the light's key");
    toggles(&stick).await;
}

#[tokio::test]
async fn without_the_hashed_tclk_the_devices_keys_are_lost() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut backup = NetworkBackup::from_json(HERDSMAN_BACKUP).expect("herdsman backup parses");
    backup.stack_specific = None;
    let (emu, stick) = opened(dir.path(), "new-stick").await;
    assert!(!restore(&stick, &backup).await);
    let refused = emu.with_stick(|s| {
        s.ncp_mut()
            .adopt_device_holding(light(), &key_the_light_holds())
    });
    assert_eq!(refused, Err(JoinRefusal::WrongLinkKey));
}

#[tokio::test]
async fn a_sealhub_backup_of_a_restored_network_carries_the_root_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let herdsman = NetworkBackup::from_json(HERDSMAN_BACKUP).expect("herdsman backup parses");
    let (_emu_b, stick_b) = opened(dir.path(), "stick-b").await;
    restore(&stick_b, &herdsman).await;

    // sealhub's own backup of that stick, through the file format, onto a third stick.
    let ours = timeout(soon(), stick_b.backup())
        .await
        .expect("no hang")
        .expect("backup");
    assert_eq!(
        ours.ezsp_hashed_tclk().expect("well formed"),
        Some(Key16::new(ROOT))
    );
    let text = ours.to_json();
    assert!(text.contains("\"hashed_tclk\": \"e9bd3ac165233d95923613c608beb147\""));
    assert!(
        text.contains("\"ezspVersion\": 14"),
        "herdsman needs it to read the file"
    );
    let reread = NetworkBackup::from_json(&text).expect("our backup parses");

    let (emu_c, stick_c) = opened(dir.path(), "stick-c").await;
    assert!(restore(&stick_c, &reread).await);
    emu_c
        .with_stick(|s| {
            s.ncp_mut()
                .adopt_device_holding(light(), &key_the_light_holds())
        })
        .expect("still the same key on the third stick");
    toggles(&stick_c).await;
}

#[tokio::test]
async fn a_network_sealhub_formed_is_backed_up_without_a_hashed_root_and_keeps_its_devices() {
    let dir = tempfile::tempdir().expect("tmp");
    let (emu_a, stick_a) = opened(dir.path(), "stick-a").await;
    timeout(soon(), stick_a.start())
        .await
        .expect("no hang")
        .expect("start");
    let holds = emu_a
        .with_stick(|s| s.ncp().tc_link_key_for(DEVICE_EUI))
        .expect("a network");
    assert_eq!(holds.0, *b"ZigBeeAlliance09", "the global key, not hashed");

    let backup = timeout(soon(), stick_a.backup())
        .await
        .expect("no hang")
        .expect("backup");
    assert_eq!(backup.ezsp_hashed_tclk().expect("well formed"), None);

    let (emu_b, stick_b) = opened(dir.path(), "stick-b").await;
    assert!(!restore(&stick_b, &backup).await);
    emu_b
        .with_stick(|s| s.ncp_mut().adopt_device_holding(light(), &holds))
        .expect("the global key is the same on the new stick");
}

#[test]
fn a_malformed_hashed_tclk_is_refused_with_its_path() {
    let bad = HERDSMAN_BACKUP.replace("e9bd3ac165233d95923613c608beb147", "e9bd3ac1");
    let err = NetworkBackup::from_json(&bad).expect_err("short key");
    assert!(
        err.to_string().contains("stack_specific.ezsp.hashed_tclk"),
        "{err}"
    );
    let not_hex = HERDSMAN_BACKUP.replace("e9bd3ac165233d95923613c608beb147", &"zz".repeat(16));
    assert!(NetworkBackup::from_json(&not_hex).is_err());
}
