//! The `firmware-shim zigbee` binary reports, to a host that negotiates with it, the EmberZNet
//! release that speaks the protocol `--protocol` asks for, as a real stick does (it used to
//! report 8.0.2 whatever the protocol). The pairs are the ones `ezsp_ncp::releases` records from
//! bellows' and zigbee-herdsman's notes.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use support::{driver_config, open, start};

/// The binary started on a link in `dir`, speaking `protocol`; killed when dropped.
struct Stick {
    child: Child,
    link: PathBuf,
}

impl Stick {
    fn start(dir: &std::path::Path, protocol: u8) -> Stick {
        let link = dir.join(format!("stick-{protocol}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_firmware-shim"))
            .args(["zigbee", "--protocol", &protocol.to_string(), "--link"])
            .arg(&link)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        // It prints the pty's path once the link is in place.
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("reads");
        assert!(!first.trim().is_empty(), "no path printed");
        Stick { child, link }
    }
}

impl Drop for Stick {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_firmware_reported_follows_the_protocol_asked_for() {
    let dir = tempfile::tempdir().expect("tmp");
    for (protocol, firmware) in [(13u8, 0x7400u16), (14, 0x8020), (16, 0x8100), (18, 0x8220)] {
        let stick = Stick::start(dir.path(), protocol);
        let (driver, _events) = open(&stick.link, driver_config()).await;
        start(&driver).await;
        let version = driver.version().expect("negotiated");
        assert_eq!(version.protocol, protocol);
        assert_eq!(
            version.stack_version, firmware,
            "protocol {protocol}: {version}"
        );
        drop(driver);
    }
}
