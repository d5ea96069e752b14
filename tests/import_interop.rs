//! Moving a home to sealhub from the reference stacks themselves, on the emulated sticks.
//!
//! Zigbee: zigbee-herdsman (the engine of Zigbee2MQTT; `tests/interop/herdsman_ember.mjs`,
//! pinned in `tests/interop/package-lock.json`) forms its network on the emulated EZSP stick,
//! devices join and herdsman interviews them, and at its stop it writes `database.db` and
//! `coordinator_backup.json` as in a Zigbee2MQTT data directory (a `configuration.yaml` with
//! friendly names is added, as Zigbee2MQTT keeps one). `sealhub import zigbee2mqtt` reads that
//! directory into a new hub's store, then `sealhub run` starts on the same stick (the emulator
//! keeps its network in its NVM, as a real stick does): it resumes the network, sets the
//! imported devices up, and a paired client commands every device and receives its reports,
//! each event signed by the device's own key.
//!
//! Needs `node` and `npm ci` in `tests/interop` (`.ci/run` does both). Without them the tests
//! print why and return, except with `SEALHUB_REQUIRE_INTEROP` set (`.ci/run` sets it), where
//! that is a failure.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_shim::ezsp_ncp::{EmulatorHandle, PtyConfig, SimulatedDevice, spawn_on_pty};
use sealhub::envelope::DeviceId;
use sealhub::model::{
    Action, AlarmKind, Attribute, Capability, Device, Event, HubCommand, HubResponse, Response,
    Role, zigbee_device_id,
};
use support::hub::{RunningHub, Session};
use support::{Phone, device_command, hub_command, id};

/// Longer than the script's own hard timeout, so the script reports first.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// The herdsman interop directory, if node and zigbee-herdsman are installed; `None` means
/// skip (and says why).
fn herdsman_available() -> Option<PathBuf> {
    firmware_shim::interop::herdsman("the import interop test")
}

/// Runs the herdsman script on `stick`, keeping its files in `data`; panics with herdsman's
/// log when the run fails.
async fn run_herdsman(dir: &Path, stick: &Path, data: &Path, env: &[(&str, &str)]) {
    let mut command = std::process::Command::new("node");
    command
        .arg(dir.join("herdsman_ember.mjs"))
        .arg(stick)
        .env("HERDSMAN_DATA_DIR", data)
        .env("HERDSMAN_LOG", "info")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(std::process::Stdio::null());
    // The script ends itself at its hard timeout (INTEROP_TIMEOUT_MS); the bound here only
    // keeps a broken node from hanging the test.
    let output = tokio::time::timeout(
        RUN_LIMIT,
        tokio::task::spawn_blocking(move || command.output()),
    )
    .await
    .expect("herdsman run ends within its limit")
    .expect("the run's thread")
    .expect("node output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = log.lines().collect();
    assert!(
        output.status.success(),
        "herdsman run failed: {}\nherdsman log (tail):\n{}",
        stdout.lines().last().unwrap_or_default(),
        tail[tail.len().saturating_sub(60)..].join("\n")
    );
}

/// The emulated devices of the Zigbee home: `(friendly name, device, its id in sealhub)`.
fn zigbee_home() -> Vec<(&'static str, SimulatedDevice, DeviceId)> {
    type Make =
        fn([u8; 8], u16, Option<sealhub_radios::zigbee::security::InstallCode>) -> SimulatedDevice;
    let kinds: [(&str, Make); 3] = [
        ("hall light", SimulatedDevice::light),
        ("kettle plug", SimulatedDevice::plug),
        ("front door", SimulatedDevice::contact_sensor),
    ];
    kinds
        .iter()
        .zip(1u8..)
        .map(|((name, make), n)| {
            let eui = [n, 0x00, 0x00, 0x00, 0x00, 0x6F, 0x0D, 0x00];
            let device = make(eui, 0x4000 + u16::from(n), None);
            (*name, device, zigbee_device_id(u64::from_le_bytes(eui)))
        })
        .collect()
}

/// The owner's device list.
async fn devices(session: &mut Session, phone: &mut Phone) -> Vec<Device> {
    match session
        .command(phone, &id("hub"), &hub_command(HubCommand::ListDevices))
        .await
    {
        Response::Hub(HubResponse::Devices(list)) => list,
        other => panic!("expected the device list, got {other:?}"),
    }
}

/// The endpoint of `device` with `capability`.
fn endpoint_with(list: &[Device], device: &DeviceId, capability: &Capability) -> u8 {
    let d = list
        .iter()
        .find(|d| &d.id == device)
        .unwrap_or_else(|| panic!("{device} is not in the list: {list:?}"));
    d.endpoints
        .iter()
        .find(|e| e.capabilities.contains(capability))
        .unwrap_or_else(|| panic!("{device} has no {capability:?}: {d:?}"))
        .id
}

/// Switches `device` to the other state than the emulator says it has; the answer is `Done`
/// with that state, the emulated device has it, and the device's report of it arrives as an
/// event (opened, so signed by the device's key).
async fn switch(
    session: &mut Session,
    phone: &mut Phone,
    list: &[Device],
    emu: &EmulatorHandle,
    (device, node_id): (&DeviceId, u16),
) {
    let endpoint = endpoint_with(list, device, &Capability::OnOff);
    let was_on = emu
        .with_device(node_id, |d| d.zcl.on())
        .expect("the device is in the emulator");
    let action = if was_on {
        Action::TurnOff
    } else {
        Action::TurnOn
    };
    session.events.clear();
    let response = session
        .command(phone, device, &device_command(endpoint, action))
        .await;
    let Response::Done { state, .. } = response else {
        panic!("{device}: expected Done, got {response:?}");
    };
    let expected = Attribute::OnOff(!was_on);
    assert!(state.contains(&expected), "{device}: {state:?}");
    assert_eq!(emu.with_device(node_id, |d| d.zcl.on()), Some(!was_on));
    session
        .event(
            phone,
            device,
            |e| matches!(e, Event::Report { values, .. } if values.contains(&expected)),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zigbee2mqtt_home_formed_by_herdsman_moves_to_sealhub_without_pairing_again() {
    let Some(interop) = herdsman_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (stick, emu) = spawn_on_pty(PtyConfig::new(tmp.path().join("ezsp-stick")))
        .await
        .expect("emulator on a pty");
    let home = zigbee_home();
    for (_, device, _) in &home {
        emu.join_when_permitted(device.clone());
    }
    let expected = home
        .iter()
        .map(|(_, d, _)| format!("0x{:016x}", u64::from_le_bytes(d.eui64)))
        .collect::<Vec<_>>();

    // Zigbee2MQTT's side: herdsman forms the network, the devices join and are interviewed,
    // and at its stop it writes its database and the coordinator backup.
    let z2m = tmp.path().join("zigbee2mqtt");
    std::fs::create_dir(&z2m).expect("data dir");
    run_herdsman(
        &interop,
        &stick,
        &z2m,
        &[
            ("EXPECT_DEVICES", expected.join(",").as_str()),
            ("EXPECT_DEVICE_MS", "90000"),
            ("INTEROP_TIMEOUT_MS", "150000"),
        ],
    )
    .await;
    for file in ["database.db", "coordinator_backup.json"] {
        assert!(z2m.join(file).is_file(), "herdsman wrote no {file}");
    }
    let mut yaml = String::from("mqtt:\n  server: mqtt://localhost\ndevices:\n");
    for (name, _, ieee) in home.iter().zip(&expected).map(|((n, d, _), i)| (n, d, i)) {
        yaml.push_str(&format!("  '{ieee}':\n    friendly_name: {name}\n"));
    }
    std::fs::write(z2m.join("configuration.yaml"), yaml).expect("configuration");

    // sealhub's side: import into a new hub, then run it on the same stick.
    let config = format!(
        "[zigbee]\nport = \"{}\"\n[zwave]\nenabled = false\n",
        stick.display()
    );
    let mut wanted = vec!["the Zigbee stick runs the stored network: resumed".to_string()];
    wanted.extend(
        home.iter()
            .map(|(_, _, id)| format!("setting up a device brought from another hub device={id}")),
    );
    let (hub, mut phones) = RunningHub::start_prepared(
        &config,
        |data| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_sealhub"))
                .arg("--data-dir")
                .arg(data)
                .args(["import", "zigbee2mqtt"])
                .arg(&z2m)
                .env_remove("SEALHUB_LOG")
                .env_remove("RUST_LOG")
                .output()
                .expect("sealhub import runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "import failed: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("3 device(s) registered"), "{stdout}");
        },
        &[("owner", Role::Owner)],
        &wanted,
    );
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let list = devices(&mut session, &mut owner).await;
    for (name, _, id) in &home {
        let d = list
            .iter()
            .find(|d| &d.id == id)
            .unwrap_or_else(|| panic!("{id} is not in the hub's list: {list:?}"));
        assert_eq!(d.name, *name, "the friendly name came along");
    }
    let s = &mut session;
    let o = &mut owner;

    // Every device answers a command; those that switch, switch and report it.
    let (_, light, light_id) = &home[0];
    let (_, plug, plug_id) = &home[1];
    switch(s, o, &list, &emu, (light_id, light.node_id)).await;
    switch(s, o, &list, &emu, (light_id, light.node_id)).await;
    switch(s, o, &list, &emu, (plug_id, plug.node_id)).await;

    let (_, door, door_id) = &home[2];
    let contact = Capability::Alarm(AlarmKind::Contact);
    let endpoint = endpoint_with(&list, door_id, &contact);
    let refreshed = s
        .command(o, door_id, &device_command(endpoint, Action::Refresh))
        .await;
    assert!(
        matches!(refreshed, Response::Done { .. }),
        "{door_id}: {refreshed:?}"
    );
    // The door opens: the sensor's zone status reaches the hub (it was enrolled by herdsman
    // with the coordinator's address, which the stick kept) as a signed event.
    s.events.clear();
    emu.with_device(door.node_id, |d| d.set_contact_open(true))
        .expect("the sensor is in the emulator");
    let opened = Attribute::Alarm {
        kind: AlarmKind::Contact,
        active: true,
    };
    s.event(
        o,
        door_id,
        |e| matches!(e, Event::Report { values, .. } if values.contains(&opened)),
    )
    .await;
}

/// The zwave-js interop directory (`tests/interop/zwave-js`), if node and zwave-js are
/// installed; `None` means skip (and says why).
fn zwave_js_available() -> Option<PathBuf> {
    firmware_shim::interop::zwave_js("the import interop test")
}

/// Runs `include_secure.mjs` on `stick` with `specs`, keeping zwave-js' cache in `cache`;
/// whenever it says an inclusion has started, offers the node of that name for inclusion.
/// Returns the JSON lines it printed; panics with its stderr when it fails.
async fn include_with_zwave_js(
    dir: &Path,
    stick: &Path,
    cache: &Path,
    specs: &[String],
    emu: &firmware_shim::zwave_controller::EmulatorHandle,
    nodes: &[(&str, firmware_shim::zwave_controller::SecureNode)],
) -> Vec<serde_json::Value> {
    use std::io::BufRead;
    let mut command = std::process::Command::new("node");
    command
        .arg(dir.join("include_secure.mjs"))
        .arg(stick)
        .args(["--timeout", "240000", "--interview-timeout", "90000"])
        .env("ZWAVEJS_CACHE_DIR", cache)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for spec in specs {
        command.args(["--include", spec]);
    }
    let mut child = command.spawn().expect("node starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    // The script ends itself at its --timeout; this bound only keeps a broken node from
    // hanging the test.
    tokio::time::timeout(Duration::from_secs(270), async {
        while let Some(line) = rx.recv().await {
            eprintln!("zwave-js: {line}");
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if value["event"] == "inclusion started" {
                let name = value["name"].as_str().unwrap_or_default();
                let (_, node) = nodes
                    .iter()
                    .find(|(n, _)| *n == name)
                    .unwrap_or_else(|| panic!("the script includes an unknown node {name}"));
                emu.with_stick(|s| {
                    s.offer_for_inclusion(firmware_shim::zwave_controller::SimNode::secure(
                        node.clone(),
                    ))
                });
            }
            lines.push(value);
        }
    })
    .await
    .expect("include_secure.mjs ends in time");
    let _ = reader.join();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("the wait's thread")
        .expect("node's exit");
    assert!(
        output.status.success(),
        "include_secure.mjs failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    lines
}

/// Waits for `device`'s report of `value` (one that came with or before the command's answer
/// counts; `session.events` is cleared before the command).
async fn reported(session: &mut Session, phone: &mut Phone, device: &DeviceId, value: &Attribute) {
    session
        .event(
            phone,
            device,
            |e| matches!(e, Event::Report { values, .. } if values.contains(value)),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zwave_js_network_with_s2_and_s0_nodes_moves_to_sealhub_under_the_same_security() {
    use firmware_shim::zwave_controller::{
        ControllerConfig, PtyConfig as ZwavePty, SecureDevice, SecureNode,
        spawn_on_pty as spawn_zwave,
    };
    use sealhub::model::{LockState, zwave_device_id};
    const HOME_ID: u32 = 0x5EA1_4B0C;

    let Some(interop) = zwave_js_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (stick, emu) = spawn_zwave(ZwavePty {
        controller: ControllerConfig {
            home_id: HOME_ID,
            ..ControllerConfig::default()
        },
        ..ZwavePty::new(tmp.path().join("zwave-stick"))
    })
    .await
    .expect("emulator on a pty");
    let lock = SecureNode::door_lock(0x61);
    let siren = SecureNode::siren(0x62);

    // Z-Wave JS's side: the lock included with S2 (the DSK PIN typed), the siren with S0,
    // both interviewed; its cache and keys are kept.
    let cache = tmp.path().join("zwave-js");
    std::fs::create_dir(&cache).expect("cache dir");
    let lines = include_with_zwave_js(
        &interop,
        &stick,
        &cache,
        &[format!("lock:s2:{:05}", lock.pin()), "siren:s0".to_string()],
        &emu,
        &[("lock", lock.clone()), ("siren", siren.clone())],
    )
    .await;
    let added = |name: &str| {
        lines
            .iter()
            .find(|v| v["event"] == "node added" && v["name"] == name)
            .and_then(|v| v["id"].as_u64())
            .and_then(|id| u16::try_from(id).ok())
            .unwrap_or_else(|| panic!("{name} was not added: {lines:?}"))
    };
    let (lock_node, siren_node) = (added("lock"), added("siren"));
    assert_eq!(
        lock.state().granted,
        sealhub_radios::zwave::s2::KeyClasses::S2_ACCESS_CONTROL
            | sealhub_radios::zwave::s2::KeyClasses::S2_AUTHENTICATED
    );
    assert_eq!(
        siren.state().granted,
        sealhub_radios::zwave::s2::KeyClasses::S0
    );

    // sealhub's side: import the cache and keys, then run on the same controller.
    let config = format!(
        "[zigbee]\nenabled = false\n[zwave]\nport = \"{}\"\n",
        stick.display()
    );
    let (hub, mut phones) = RunningHub::start_prepared(
        &config,
        |data| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_sealhub"))
                .arg("--data-dir")
                .arg(data)
                .args(["import", "zwave-js"])
                .arg(&cache)
                .arg("--keys")
                .arg(cache.join("keys.json"))
                .env_remove("SEALHUB_LOG")
                .env_remove("RUST_LOG")
                .output()
                .expect("sealhub import runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "import failed: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("2 device(s) registered"), "{stdout}");
        },
        &[("owner", Role::Owner)],
        &["secure_nodes=2 keys=\"from the sealed store\"".to_string()],
    );
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let list = devices(&mut session, &mut owner).await;
    let s = &mut session;
    let o = &mut owner;

    // The lock, under S2 Access Control: unlocked, then locked again.
    let lock_id = zwave_device_id(HOME_ID, lock_node);
    let endpoint = endpoint_with(&list, &lock_id, &Capability::DoorLock);
    for (action, state, mode) in [
        (Action::Unlock, LockState::Unlocked, 0x00),
        (Action::Lock, LockState::Locked, 0xFF),
    ] {
        let refused_before = lock.state().refused.len();
        s.events.clear();
        let response = s
            .command(o, &lock_id, &device_command(endpoint, action.clone()))
            .await;
        assert!(
            matches!(response, Response::Done { .. }),
            "{lock_id} {action:?}: expected Done, got {response:?}"
        );
        assert_eq!(lock.state().device, SecureDevice::DoorLock { mode });
        // The lock's answer to the Operation Get that follows the Set, decrypted under S2 and
        // sent on as an event signed by the lock's key. It decides, not the state in `Done`:
        // that is the reported one only when the report beats the gateway's settle timeout
        // (real time), which a loaded machine can miss.
        reported(s, o, &lock_id, &Attribute::LockState(state)).await;
        assert_eq!(
            lock.state().refused.len(),
            refused_before,
            "the lock refused a frame: {:?}",
            lock.state().refused
        );
    }

    // The siren, under S0: on, then off.
    let siren_id = zwave_device_id(HOME_ID, siren_node);
    let endpoint = endpoint_with(&list, &siren_id, &Capability::OnOff);
    for (action, on, value) in [(Action::TurnOn, true, 0xFF), (Action::TurnOff, false, 0x00)] {
        s.events.clear();
        let response = s
            .command(o, &siren_id, &device_command(endpoint, action.clone()))
            .await;
        assert!(
            matches!(response, Response::Done { .. }),
            "{siren_id} {action:?}: expected Done, got {response:?}"
        );
        assert_eq!(siren.state().device, SecureDevice::Siren { value });
        // Its report, under S0 (as for the lock above, the event decides).
        reported(s, o, &siren_id, &Attribute::OnOff(on)).await;
    }
}
