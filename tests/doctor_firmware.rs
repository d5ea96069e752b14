//! `sealhub doctor`'s firmware check through the binary, against the emulated sticks on ptys:
//! sticks whose firmware the drivers speak (EZSP 14, Z-Wave SDK 7.18) pass with their versions
//! named; a stick speaking EZSP 12 and a 500-series Z-Wave controller (SDK 6.07) fail, with the
//! firmware to flash (or the stick to use) as the fix, and the exit status says so.

mod support;

use std::path::Path;
use std::process::Output;

use firmware_shim::{ezsp_ncp, zwave_controller};

async fn doctor(dir: &Path, zigbee: &Path, zwave: &Path) -> Output {
    let config = dir.join("hub.toml");
    std::fs::write(
        &config,
        format!(
            "[zigbee]\nport = \"{}\"\n[zwave]\nport = \"{}\"\n",
            zigbee.display(),
            zwave.display()
        ),
    )
    .unwrap();
    let root = dir.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let data = dir.join("data");
    // The emulators run on this test's runtime; the binary runs beside them.
    tokio::task::spawn_blocking(move || {
        support::binary::sealhub_on(&config, &data)
            .arg("doctor")
            .arg("--root")
            .arg(&root)
            .output()
            .expect("runs sealhub doctor")
    })
    .await
    .unwrap()
}

fn line<'a>(stdout: &'a str, subject: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(subject))
        .unwrap_or_else(|| panic!("no `{subject}` line in:\n{stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supported_firmware_passes_with_its_version() {
    let tmp = tempfile::tempdir().unwrap();
    let (zigbee, _zb) = ezsp_ncp::spawn_on_pty(ezsp_ncp::PtyConfig::new(tmp.path().join("zb")))
        .await
        .unwrap();
    let (zwave, _zw) =
        zwave_controller::spawn_on_pty(zwave_controller::PtyConfig::new(tmp.path().join("zw")))
            .await
            .unwrap();
    let out = doctor(tmp.path(), &zigbee, &zwave).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let zb = line(&stdout, "(Zigbee)");
    assert!(zb.starts_with("ok "), "{zb}");
    assert!(
        zb.contains("speaks EZSP 14 (the driver speaks 13 to 19)"),
        "{zb}"
    );
    let zw = line(&stdout, "(Z-Wave)");
    assert!(zw.starts_with("ok "), "{zw}");
    assert!(
        zw.contains("Z-Wave SDK 7.18, Serial API firmware 7.18"),
        "{zw}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_firmware_fails_saying_what_to_flash() {
    let tmp = tempfile::tempdir().unwrap();
    let zb_config = ezsp_ncp::PtyConfig {
        ncp: ezsp_ncp::NcpConfig {
            protocol_version: 12,
            ..ezsp_ncp::NcpConfig::default()
        },
        ..ezsp_ncp::PtyConfig::new(tmp.path().join("zb"))
    };
    let (zigbee, _zb) = ezsp_ncp::spawn_on_pty(zb_config).await.unwrap();
    let zw_config = zwave_controller::PtyConfig {
        controller: zwave_controller::ControllerConfig {
            library_version: "Z-Wave 6.07".into(),
            firmware: (6, 7),
            chip: [0x05, 0x00],
            ..zwave_controller::ControllerConfig::default()
        },
        ..zwave_controller::PtyConfig::new(tmp.path().join("zw"))
    };
    let (zwave, _zw) = zwave_controller::spawn_on_pty(zw_config).await.unwrap();
    let out = doctor(tmp.path(), &zigbee, &zwave).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let zb = line(&stdout, "(Zigbee)");
    assert!(zb.starts_with("fail "), "{zb}");
    assert!(
        zb.contains("the firmware speaks EZSP 12, older than"),
        "{zb}"
    );
    assert!(
        zb.contains("fix: flash an EmberZNet NCP firmware that speaks EZSP 13 to 19"),
        "{zb}"
    );
    let zw = line(&stdout, "(Z-Wave)");
    assert!(zw.starts_with("fail "), "{zw}");
    assert!(zw.contains("Z-Wave SDK 6.07"), "{zw}");
    assert!(zw.contains("fix: use a 700/800-series stick"), "{zw}");
}
