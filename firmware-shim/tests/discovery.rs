//! `port = "auto"` end to end on ptys: both emulated sticks listed in a fake sysfs tree under
//! the same USB-serial bridge id (as a SkyConnect and a Zooz ZST10 700 both show 10c4:ea60), so
//! only probing can tell which speaks EZSP and which the Z-Wave Serial API; and a serial device
//! with an unknown id, which discovery must leave alone.

use std::path::Path;
use std::time::Duration;

use firmware_shim::test_time::scaled;
use firmware_shim::{ezsp_ncp, zwave_controller};
use sealhub_radios::discovery::fake_sysfs::FakeTree;
use sealhub_radios::discovery::{Answer, Passed, ProbeTimeouts, Protocol, discover};
use tokio_serial::{SerialPort, SerialStream};

/// Bounds for each probe; the emulators answer in milliseconds, so these only cap a
/// regression (the EZSP probe of the Z-Wave stick runs into its bound by design: that stick
/// stays silent to ASH). Multiplied by `SEALHUB_TEST_TIME_SCALE`, since a probe that runs
/// out decides the outcome (the stick is not recognised).
fn timeouts() -> ProbeTimeouts {
    ProbeTimeouts {
        ezsp: scaled(Duration::from_millis(700)),
        zwave: scaled(Duration::from_secs(2)),
    }
}

const CP210X: (u16, u16) = (0x10c4, 0xea60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_the_two_emulated_sticks_apart_and_leaves_an_unknown_device_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ezsp_path, _ezsp) =
        ezsp_ncp::spawn_on_pty(ezsp_ncp::PtyConfig::new(dir.path().join("ezsp-stick")))
            .await
            .expect("EZSP emulator");
    let (zwave_path, _zwave) = zwave_controller::spawn_on_pty(zwave_controller::PtyConfig::new(
        dir.path().join("zwave-stick"),
    ))
    .await
    .expect("Z-Wave emulator");
    // A third serial device (FTDI's 0403:6001, e.g. a UPS or a 3D printer): a bare pty whose
    // master this test holds, to see whether anything was written to it.
    let (mut unknown_master, unknown_slave) = SerialStream::pair().expect("pty");
    let unknown_path = unknown_slave.name().expect("pty name");

    let tree = FakeTree::in_dir(&dir.path().join("root"));
    // The Z-Wave stick first, so that the EZSP probe meets it before the EZSP stick.
    tree.usb_serial_tty("ttyUSB0", CP210X.0, CP210X.1, Some("Zooz"), Some("zw1"));
    tree.dev_node_to("ttyUSB0", &zwave_path);
    tree.by_id("usb-Zooz_800_Z-Wave_Stick_zw1-if00-port0", "ttyUSB0");
    tree.usb_serial_tty(
        "ttyUSB1",
        CP210X.0,
        CP210X.1,
        Some("Nabu Casa"),
        Some("zb1"),
    );
    tree.dev_node_to("ttyUSB1", &ezsp_path);
    tree.by_id("usb-Nabu_Casa_SkyConnect_v1.0_zb1-if00-port0", "ttyUSB1");
    tree.usb_serial_tty("ttyUSB2", 0x0403, 0x6001, Some("FTDI"), None);
    tree.dev_node_to("ttyUSB2", Path::new(&unknown_path));

    let found = discover(&tree.roots(), timeouts()).await.expect("discover");

    let zigbee = found.first(Protocol::Ezsp).expect("EZSP stick found");
    assert_eq!(zigbee.port.tty, "ttyUSB1");
    assert_eq!(
        zigbee.port.preferred_path(),
        tree.roots()
            .by_id
            .join("usb-Nabu_Casa_SkyConnect_v1.0_zb1-if00-port0")
    );
    assert!(
        matches!(zigbee.answer, Answer::Ezsp { ash_version: 2, .. }),
        "{:?}",
        zigbee.answer
    );
    let zwave = found
        .first(Protocol::ZwaveSerialApi)
        .expect("Z-Wave stick found");
    assert_eq!(zwave.port.tty, "ttyUSB0");
    assert!(
        matches!(&zwave.answer, Answer::Zwave { library_version, .. } if library_version.starts_with("Z-Wave")),
        "{:?}",
        zwave.answer
    );
    assert_eq!(found.found.len(), 2, "{found:?}");

    assert!(
        matches!(found.passed.as_slice(), [Passed::UnknownDevice(p)] if p.tty == "ttyUSB2"),
        "{:?}",
        found.passed
    );
    // Nothing reached the unknown device.
    assert_eq!(unknown_master.bytes_to_read().expect("pending bytes"), 0);
    let mut buf = [0u8; 16];
    let read = unknown_master.try_read(&mut buf);
    assert!(
        matches!(&read, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "{read:?}"
    );
    drop(unknown_slave);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_id_that_answers_nothing_is_reported_silent() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A pty nobody answers on, under the Z-Wave-only id 0658:0200.
    let (_master, slave) = SerialStream::pair().expect("pty");
    let tree = FakeTree::in_dir(dir.path());
    tree.acm_tty("ttyACM0", 0x0658, 0x0200);
    tree.dev_node_to("ttyACM0", Path::new(&slave.name().expect("pty name")));

    let found = discover(&tree.roots(), timeouts()).await.expect("discover");
    assert!(found.found.is_empty(), "{found:?}");
    assert!(
        matches!(found.passed.as_slice(), [Passed::Silent { port, reason: None }] if port.tty == "ttyACM0"),
        "{:?}",
        found.passed
    );
}
