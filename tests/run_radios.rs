//! `sealhub run` with its radios, as a process: with emulated sticks it brings both radios up,
//! keys the emulated devices through the gateway, stops cleanly on SIGTERM after sealing a
//! last Zigbee backup, never logs a network key, and
//! on its next start restores the stored Zigbee network onto the (blank) emulated stick and
//! reuses the sealed Z-Wave keys; a Zigbee stick that is not there does not stop the hub.

mod support;

use support::binary::LoggedHub;
use support::hub::free_port;

use std::path::Path;
use std::time::Duration;

use sealhub::radio::zigbee_network::ZigbeeNetwork;
use sealhub::radio::zwave_keys::SealedNetworkKeys;
use sealhub::store::{KekSource, Store};
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::s2::SecurityClass;

/// Upper bound for the hub to get somewhere; generous for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(60);

/// `sealhub run` on `config` and `data_dir`, its log read line by line.
fn hub_on(config: &Path, data_dir: &Path) -> LoggedHub {
    let mut command = support::binary::sealhub_on(config, data_dir);
    command.arg("run");
    LoggedHub::spawn(command)
}

/// Stops `hub` with SIGTERM, checks it exited cleanly, and returns its whole log.
fn terminated(hub: LoggedHub) -> String {
    let (status, log) = hub.terminate();
    assert!(status.success(), "exit {status:?}, log:\n{log}");
    log
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

    let mut hub = hub_on(&config, &data_dir);
    hub.wait_for(
        &[
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
        ],
        PATIENCE,
    );
    let first = terminated(hub);
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
    let mut hub = hub_on(&config, &data_dir);
    hub.wait_for(
        &[
            "Zigbee radio up",
            "Z-Wave radio up",
            "in range again, still paired eui64=124b00000000a107",
            "emulated Z-Wave S2 lock is back, still included node=6 restored=true",
        ],
        PATIENCE,
    );
    let second = terminated(hub);
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
    let mut hub = hub_on(&config, &tmp.path().join("data"));
    hub.wait_for(&["Zigbee stick not ready", "Z-Wave radio up"], PATIENCE);
    let log = terminated(hub);
    assert!(!log.contains("Zigbee radio up"), "{log}");
    assert!(log.contains("sealhub stopped"), "{log}");
}
