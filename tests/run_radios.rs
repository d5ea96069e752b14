//! `sealhub run` with its radios, as a process: with emulated sticks it brings both radios up,
//! keys the emulated devices through the gateway, stops cleanly on SIGTERM after sealing a
//! last Zigbee backup, never logs a network key, and
//! on its next start restores the stored Zigbee network onto the (blank) emulated stick and
//! reuses the sealed Z-Wave keys; a Zigbee stick that is not there does not stop the hub.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sealhub::radio::zigbee_network::ZigbeeNetwork;
use sealhub::radio::zwave_keys::SealedNetworkKeys;
use sealhub::store::{KekSource, Store};
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::s2::SecurityClass;

/// Upper bound for the hub to get somewhere; generous for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running hub and its stderr, line by line.
struct Hub {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: String,
}

impl Hub {
    fn start(config: &Path, data_dir: &Path) -> Hub {
        let mut child = support::binary::sealhub_on(config, data_dir)
            .arg("run")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        // A thread, so a hub that never gets there fails the test instead of hanging it.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Hub {
            child,
            lines,
            log: String::new(),
        }
    }

    /// Reads the log until every one of `wanted` has appeared in it.
    fn wait_for(&mut self, wanted: &[&str]) {
        let deadline = Instant::now() + PATIENCE;
        while !wanted.iter().all(|w| self.log.contains(w)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push_str(&line);
                    self.log.push('\n');
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("never saw all of {wanted:?} in:\n{}", self.log);
                }
            }
        }
    }

    /// Sends SIGTERM, waits for the exit and the rest of the log; returns the whole log.
    fn terminate(mut self) -> String {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("runs kill");
        assert!(killed.success());
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("hub did not exit after SIGTERM:\n{}", self.log);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends with the pipe; take everything it read.
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.log.push_str(&line);
            self.log.push('\n');
        }
        assert!(status.success(), "exit {status:?}, log:\n{}", self.log);
        self.log
    }
}

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port()
}

fn write_config(dir: &Path, zigbee_port: &str) -> std::path::PathBuf {
    let path = dir.join("hub.toml");
    std::fs::write(
        &path,
        format!(
            "[hub]\nname = \"radio-test\"\n[zigbee]\nport = \"{zigbee_port}\"\n\
             [zwave]\nport = \"emulated\"\n[transport]\nlisten = \"127.0.0.1:{}\"\n",
            free_port()
        ),
    )
    .expect("write config");
    path
}

#[test]
fn run_brings_both_emulated_radios_up_and_restores_the_network_on_the_next_start() {
    let tmp = support::tempdir();
    let data_dir = tmp.path().join("data");
    let config = write_config(tmp.path(), "emulated");

    let mut hub = Hub::start(&config, &data_dir);
    hub.wait_for(&[
        "Zigbee radio up",
        "Z-Wave radio up",
        "running; waiting for Ctrl-C or SIGTERM",
        // The gateway gives every device of the demo house a key of its own: one of each
        // emulated Zigbee kind, and on Z-Wave a switch, a sensor, a dimmable bulb, a
        // sleeping multisensor and a door lock included with S2 and its DSK PIN.
        "device joined and keyed device=zb:124b00000000a15e",
        "device joined and keyed device=zb:124b00000000a101",
        "device joined and keyed device=zb:124b00000000a102",
        "device joined and keyed device=zb:124b00000000a103",
        "device joined and keyed device=zb:124b00000000a104",
        "device joined and keyed device=zb:124b00000000a105",
        "device joined and keyed device=zb:124b00000000a106",
        "device joined and keyed device=zb:124b00000000a107",
        "device joined and keyed device=zw:c0ffee42:2",
        "device joined and keyed device=zw:c0ffee42:3",
        "device joined and keyed device=zw:c0ffee42:4",
        "device joined and keyed device=zw:c0ffee42:5",
        "device joined and keyed device=zw:c0ffee42:6",
    ]);
    let first = hub.terminate();
    assert!(first.contains("SIGTERM received"), "{first}");
    assert!(
        first.contains("how=\"new network, backup sealed\""),
        "{first}"
    );
    assert!(first.contains("keys=\"generated and sealed\""), "{first}");
    assert!(
        first.contains("Zigbee network backup sealed reason=\"shutdown\""),
        "{first}"
    );
    assert!(first.contains("Zigbee radio stopped"), "{first}");
    assert!(first.contains("Z-Wave radio stopped"), "{first}");

    // The emulated Zigbee stick starts blank every time: the sealed network goes onto it,
    // and the Z-Wave keys come from the store.
    let mut hub = Hub::start(&config, &data_dir);
    hub.wait_for(&[
        "Zigbee radio up",
        "Z-Wave radio up",
        "in range again, still paired eui64=124b00000000a107",
        "emulated Z-Wave S2 lock is back, still included node=6 restored=true",
    ]);
    let second = hub.terminate();
    assert!(
        !second.contains("device joined and keyed"),
        "the known devices were keyed again:\n{second}"
    );
    // The devices and their keys came back from the store: the gateway knew them at start.
    let known: usize = second
        .split("gateway ready with the devices of the registry devices=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the gateway says how many devices it knows");
    assert_eq!(known, 13, "{second}");
    assert!(
        second.contains("how=\"stored network restored onto the stick\""),
        "{second}"
    );
    assert!(
        second.contains("keys=\"from the sealed store\""),
        "{second}"
    );

    // No network key reached the log, in any spelling.
    let store = Store::open(&data_dir, &KekSource::KeyFile(data_dir.join("store.key")))
        .expect("store opens");
    let keys = SealedNetworkKeys::load(store.handle()).expect("keys");
    let mut secrets: Vec<Vec<u8>> = SecurityClass::HIGHEST_FIRST
        .iter()
        .map(|c| keys.key(*c).expect("sealed").as_bytes().to_vec())
        .collect();
    let network = ZigbeeNetwork::load(store.handle()).expect("backup");
    secrets.push(
        network
            .stored()
            .expect("sealed")
            .network_key
            .key
            .as_bytes()
            .to_vec(),
    );
    for secret in &secrets {
        for log in [&first, &second] {
            assert!(!log.contains(&hex::encode(secret)));
            assert!(!log.contains(&hex::encode_upper(secret)));
            assert!(!log.contains(&format!("{secret:?}")));
        }
    }
}

#[test]
fn a_zigbee_stick_that_is_not_there_does_not_stop_the_hub() {
    let tmp = support::tempdir();
    let missing = tmp.path().join("no-such-stick");
    let config = write_config(tmp.path(), &missing.display().to_string());
    let mut hub = Hub::start(&config, &tmp.path().join("data"));
    hub.wait_for(&["Zigbee stick not ready", "Z-Wave radio up"]);
    let log = hub.terminate();
    assert!(!log.contains("Zigbee radio up"), "{log}");
    assert!(log.contains("sealhub stopped"), "{log}");
}
