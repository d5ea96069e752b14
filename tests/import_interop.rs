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

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Whether node and herdsman are installed; `None` means skip (and says why).
fn herdsman_available() -> Option<PathBuf> {
    let dir = interop_dir();
    let why = match std::process::Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {
            if dir
                .join("node_modules/zigbee-herdsman/package.json")
                .is_file()
            {
                return Some(dir);
            }
            format!(
                "{} has no node_modules/zigbee-herdsman (run `npm ci` there)",
                dir.display()
            )
        }
        _ => "`node` is not on PATH".to_string(),
    };
    if std::env::var_os("SEALHUB_REQUIRE_INTEROP").is_some() {
        panic!("SEALHUB_REQUIRE_INTEROP is set but the import interop test cannot run: {why}");
    }
    eprintln!("SKIPPED import interop test: {why}");
    None
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
    let (hub, mut phones) = RunningHub::start_with(
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
