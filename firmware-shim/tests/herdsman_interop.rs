//! zigbee-herdsman (the engine of Zigbee2MQTT), ember adapter, against the emulated stick: the
//! reference Zigbee host stack must be able to use it as if it were a real stick.
//!
//! The emulator runs in-process on a pty; `tests/interop/herdsman_ember.mjs` (zigbee-herdsman
//! 10.9.5, pinned in `tests/interop/package-lock.json`) opens it by path, starts a controller
//! (forming the network), checks the network and the coordinator's endpoints, opens and closes
//! joining, and stops; a second run resumes the network from the stick's tokens. A third has a
//! simulated light join while herdsman has the network open and checks herdsman's interview of
//! it (`EXPECT_DEVICE`). One has a device of every emulated kind join at once, herdsman
//! interview each and toggle the colour bulb (`EXPECT_DEVICES`, `TOGGLE_DEVICE`). Another test
//! makes the stick refuse `formNetwork` and expects the run to fail, so a misbehaving emulator
//! cannot pass.
//!
//! Needs `node` and `npm ci` in `tests/interop` (`.ci/run` does both). Without them the tests
//! print why and return, except with `SEALHUB_REQUIRE_INTEROP` set (`.ci/run` sets it), where
//! that is a failure.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use firmware_shim::ezsp_ncp::{
    EmulatorHandle, EzspFrameFromHost, Override, PtyConfig, SimulatedDevice, spawn_on_pty,
};
use sealhub_radios::zigbee::ezsp::commands::configuration::StatusResponse;
use sealhub_radios::zigbee::ezsp::types::Status;
use sealhub_radios::zigbee::ezsp::{Command, FromNcp, Response};
use serde_json::Value;
use tokio::time::timeout;

/// Longer than the script's own hard timeout (60 s; 150 s for the run with every device kind),
/// so the script reports first.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// The network the script configures (`herdsman_ember.mjs`).
const PAN_ID: u16 = 0x1A2B;
const EXTENDED_PAN_ID: [u8; 8] = [0xdd, 0xcc, 0xbb, 0xaa, 0x44, 0x33, 0x22, 0x11];
const CHANNEL: u8 = 15;

/// Whether node and herdsman are installed; `None` means skip (and says why).
fn herdsman_available() -> Option<PathBuf> {
    firmware_shim::interop::herdsman("the herdsman interop test")
}

/// What one run of the script reported.
struct Run {
    success: bool,
    /// The `{"device": ...}` lines printed before the result (`EXPECT_DEVICES`).
    devices: Vec<Value>,
    result: Value,
    log: String,
    elapsed: Duration,
}

impl Run {
    /// Herdsman's log, for a failure message (the tail is what matters).
    fn log_tail(&self) -> String {
        let lines: Vec<&str> = self.log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

async fn run_herdsman(dir: &Path, stick: &Path) -> Run {
    run_herdsman_with(dir, stick, &[]).await
}

async fn run_herdsman_with(dir: &Path, stick: &Path, env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let child = tokio::process::Command::new("node")
        .arg(dir.join("herdsman_ember.mjs"))
        .arg(stick)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let output = timeout(RUN_LIMIT, child.wait_with_output())
        .await
        .expect("herdsman run ends within its limit")
        .expect("node output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = stdout
        .lines()
        .rfind(|l| l.starts_with('{'))
        .unwrap_or_default();
    let result = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("no JSON result line ({e}); stdout: {stdout}\nherdsman log:\n{log}")
    });
    let devices = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("device").cloned())
        .collect();
    Run {
        success: output.status.success(),
        devices,
        result,
        log,
        elapsed: started.elapsed(),
    }
}

async fn emulator(dir: &Path) -> (PathBuf, EmulatorHandle) {
    spawn_on_pty(PtyConfig::new(dir.join("ezsp-stick")))
        .await
        .expect("emulator on a pty")
}

fn assert_succeeded(run: &Run, start_result: &str) {
    assert!(
        run.success && run.result["ok"] == Value::Bool(true),
        "herdsman run failed: {}\nherdsman log (tail):\n{}",
        run.result,
        run.log_tail()
    );
    assert_eq!(run.result["startResult"], start_result, "{}", run.result);
    assert_eq!(run.result["network"]["panID"], u64::from(PAN_ID));
    assert_eq!(run.result["network"]["channel"], u64::from(CHANNEL));
    let endpoints: Vec<u64> = run.result["coordinator"]["endpoints"]
        .as_array()
        .expect("coordinator endpoints")
        .iter()
        .filter_map(|e| e["id"].as_u64())
        .collect();
    assert_eq!(endpoints, vec![1, 242], "{}", run.result);
    assert_eq!(run.result["coordinatorVersion"]["meta"]["ezsp"], 14);
}

/// Every frame herdsman sent was one the emulator decodes.
fn assert_all_decoded(emu: &EmulatorHandle) {
    let undecodable: Vec<String> = emu.with_stick(|s| {
        s.received()
            .iter()
            .filter_map(|f| match f {
                EzspFrameFromHost::Undecodable { bytes, reason } => {
                    Some(format!("{bytes:02x?}: {reason}"))
                }
                _ => None,
            })
            .collect()
    });
    assert!(
        undecodable.is_empty(),
        "herdsman sent frames the emulator does not know:\n{}",
        undecodable.join("\n")
    );
}

/// The `permitJoining` durations herdsman asked for, in order.
fn permit_joining_durations(emu: &EmulatorHandle) -> Vec<u8> {
    emu.with_stick(|s| {
        s.received()
            .iter()
            .filter_map(|f| match f {
                EzspFrameFromHost::Command {
                    command: Command::PermitJoining(p),
                    ..
                } => Some(p.duration),
                _ => None,
            })
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herdsman_forms_a_network_then_resumes_it_opening_and_closing_joining() {
    let Some(dir) = herdsman_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(tmp.path()).await;

    let first = run_herdsman(&dir, &path).await;
    eprintln!("herdsman run 1 (form): {:?}", first.elapsed);
    assert_succeeded(&first, "reset");
    assert_all_decoded(&emu);
    let nvm = emu
        .with_stick(|s| s.nvm().cloned())
        .expect("network in the tokens");
    assert_eq!(nvm.parameters.pan_id, PAN_ID);
    assert_eq!(nvm.parameters.extended_pan_id, EXTENDED_PAN_ID);
    assert_eq!(nvm.parameters.radio_channel, CHANNEL);
    assert_eq!(
        nvm.network_key.0,
        [
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
            0x32, 0x10
        ]
    );
    // Opened for 10 s, closed, and closed again on stop.
    assert_eq!(permit_joining_durations(&emu), vec![10, 0, 0]);
    emu.with_stick(|s| {
        let ncp = s.ncp();
        assert_eq!(ncp.permit_join_seconds(), 0);
        assert_eq!(ncp.manufacturer_code(), 0x1049);
        assert!(ncp.concentrator().is_some());
        assert_eq!(ncp.multicast_table().len(), 3);
    });

    // Same stick, new host process: the network comes back from the tokens.
    let second = run_herdsman(&dir, &path).await;
    eprintln!("herdsman run 2 (resume): {:?}", second.elapsed);
    assert_succeeded(&second, "resumed");
    assert_all_decoded(&emu);
    let resumed = emu.with_stick(|s| s.nvm().cloned()).expect("network kept");
    assert_eq!(resumed.parameters, nvm.parameters);
    assert_eq!(resumed.network_key, nvm.network_key);
    assert_eq!(resumed.tc_link_key, nvm.tc_link_key);
    // The resumed network went on sending: its frame counter moved on, never back.
    assert!(resumed.nwk_frame_counter > nvm.nwk_frame_counter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stick_that_refuses_to_form_fails_the_run() {
    let Some(dir) = herdsman_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(tmp.path()).await;
    emu.set_override(|frame| {
        if frame.frame_id() == Some(0x001E) {
            Override::Reply(vec![FromNcp::Response(Response::FormNetwork(
                StatusResponse {
                    status: Status(0x0002), // SL_STATUS_INVALID_STATE
                },
            ))])
        } else {
            Override::Default
        }
    });
    let run = run_herdsman(&dir, &path).await;
    eprintln!("herdsman run (refused form): {:?}", run.elapsed);
    assert!(!run.success, "the run must fail: {}", run.result);
    assert_eq!(run.result["ok"], false);
    let error = run.result["error"].as_str().unwrap_or_default();
    assert!(error.contains("form network"), "{error}");
}

/// A simulated light joins while herdsman has the network open (it sets the trust-center policy
/// and the well-known transient key itself); herdsman sees the join and the Device_annce and
/// interviews it to the end: node descriptor, endpoints, Basic attributes; then it toggles the
/// light with `genOnOff` `toggle` and reads `onOff` back, then binds `genOnOff` to its
/// coordinator, configures reporting and receives the report of the next toggle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herdsman_sees_a_device_join_and_interviews_it() {
    let Some(dir) = herdsman_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(tmp.path()).await;
    let eui = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
    let device = SimulatedDevice::light(eui, 0x6A5F, None);
    emu.join_when_permitted(device.clone());
    let run = run_herdsman_with(&dir, &path, &[("EXPECT_DEVICE", "0xefcdab8967452301")]).await;
    eprintln!("herdsman run (join): {:?}: {}", run.elapsed, run.result);
    assert!(
        run.success,
        "herdsman run failed: {}\nherdsman log:\n{}",
        run.result,
        run.log_tail()
    );
    let joined: Vec<_> = emu.join_log().into_iter().map(|a| a.outcome).collect();
    assert_eq!(joined, vec![Ok(0x6A5F)]);
    let d = &run.result["device"];
    assert_eq!(d["ieeeAddr"], "0xefcdab8967452301", "{}", run.result);
    assert_eq!(d["networkAddress"], 0x6A5F);
    assert_eq!(d["type"], "Router");
    assert_eq!(d["modelID"], device.model.as_str());
    assert_eq!(d["manufacturerName"], device.manufacturer.as_str());
    assert_eq!(d["manufacturerID"], u64::from(device.manufacturer_code));
    let ep = &d["endpoints"][0];
    assert_eq!(ep["id"], 1);
    assert_eq!(ep["profileId"], 0x0104);
    assert_eq!(ep["deviceId"], 0x0100);
    let inputs: Vec<u64> = device.endpoints[0]
        .in_clusters
        .iter()
        .map(|c| u64::from(*c))
        .collect();
    assert_eq!(
        ep["inputClusters"],
        serde_json::json!(inputs),
        "{}",
        run.result
    );
    // Herdsman toggled the bulb (Default Response SUCCESS) and read it back on.
    assert_eq!(run.result["onOffAfterToggle"], 1, "{}", run.result);
    // Herdsman bound genOnOff to its coordinator (ZDO Bind_req, accepted), configured
    // reporting, toggled the light off again and got the report.
    assert_eq!(run.result["onOffReported"], 0, "{}", run.result);
    assert!(
        emu.with_stick(|s| s.ncp_mut().device_mut(0x6A5F).map(|d| d.zcl.on())) == Some(false),
        "the emulated light is off after herdsman's second toggle"
    );
    let bindings = emu.with_stick(|s| {
        s.ncp_mut()
            .device_mut(0x6A5F)
            .map(|d| d.zcl.bindings.clone())
    });
    assert_eq!(
        bindings.map(|b| b.iter().map(|b| b.cluster).collect::<Vec<_>>()),
        Some(vec![0x0006]),
        "herdsman's binding is in the light's table"
    );
    assert_all_decoded(&emu);
}

/// A contact sensor on IAS Zone joins while herdsman has the network open; herdsman's interview
/// enrols it (writes `iasCieAddr`, answers the Zone Enroll Request and sends its own enroll
/// response, then polls `zoneState`), which succeeds only if the emulated zone enrols as real
/// ones do. The script reads the zone back: enrolled, to herdsman's address, with its zone ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herdsman_enrols_an_ias_contact_sensor_during_its_interview() {
    let Some(dir) = herdsman_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(tmp.path()).await;
    let eui = [0x07, 0x00, 0x00, 0x00, 0x00, 0x6F, 0x0D, 0x00];
    let device = SimulatedDevice::contact_sensor(eui, 0x7C07, None);
    emu.join_when_permitted(device.clone());
    let run = run_herdsman_with(&dir, &path, &[("EXPECT_DEVICE", "0x000d6f0000000007")]).await;
    eprintln!("herdsman run (IAS): {:?}: {}", run.elapsed, run.result);
    assert!(
        run.success,
        "herdsman run failed: {}\nherdsman log:\n{}",
        run.result,
        run.log_tail()
    );
    let d = &run.result["device"];
    assert_eq!(d["modelID"], device.model.as_str(), "{}", run.result);
    assert_eq!(d["type"], "EndDevice");
    let zone = &run.result["iasZone"];
    assert_eq!(zone["zoneState"], 1, "{}", run.result);
    assert_eq!(zone["iasCieAddr"], run.result["coordinator"]["ieeeAddr"]);
    let zone_id = zone["zoneId"].as_u64().expect("zone ID read");
    let emulated = emu
        .with_device(0x7C07, |d| {
            (d.zcl.get(1, 0x0500, 0x0000), d.zcl.get(1, 0x0500, 0x0011))
        })
        .expect("joined");
    assert_eq!(emulated, (Some(1), i64::try_from(zone_id).ok()));
    assert_all_decoded(&emu);
}

/// One device of every kind the emulator has (light, colour bulb, plug with metering, door lock,
/// thermostat, climate sensor, motion sensor, contact sensor) joins while herdsman has the
/// network open; herdsman must interview every one to the end (node descriptor, endpoints with
/// the clusters the kind serves, Basic attributes, IAS enrolment where there is a zone), then
/// toggle the colour bulb and read its new state back, which the emulated bulb must show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herdsman_interviews_every_emulated_device_kind_and_toggles_the_bulb() {
    let Some(dir) = herdsman_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(tmp.path()).await;
    type Make =
        fn([u8; 8], u16, Option<sealhub_radios::zigbee::security::InstallCode>) -> SimulatedDevice;
    let kinds: [(&str, Make); 8] = [
        ("light", SimulatedDevice::light),
        ("colour bulb", SimulatedDevice::color_light),
        ("plug", SimulatedDevice::plug),
        ("door lock", SimulatedDevice::door_lock),
        ("thermostat", SimulatedDevice::thermostat),
        ("climate sensor", SimulatedDevice::climate_sensor),
        ("motion sensor", SimulatedDevice::motion_sensor),
        ("contact sensor", SimulatedDevice::contact_sensor),
    ];
    let devices: Vec<(&str, SimulatedDevice, String)> = kinds
        .iter()
        .zip(1u8..)
        .map(|((name, make), n)| {
            let eui = [n, 0x00, 0x00, 0x00, 0x00, 0x6F, 0x0D, 0x00];
            let device = make(eui, 0x4000 + u16::from(n), None);
            let ieee = format!("0x000d6f00000000{n:02x}");
            (*name, device, ieee)
        })
        .collect();
    for (_, device, _) in &devices {
        emu.join_when_permitted(device.clone());
    }
    let bulb = &devices[1];
    let bulb_was_on = bulb.1.zcl.on();
    let expected = devices
        .iter()
        .map(|(_, _, ieee)| ieee.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let run = run_herdsman_with(
        &dir,
        &path,
        &[
            ("EXPECT_DEVICES", expected.as_str()),
            ("EXPECT_DEVICE_MS", "90000"),
            ("INTEROP_TIMEOUT_MS", "150000"),
            ("TOGGLE_DEVICE", bulb.2.as_str()),
        ],
    )
    .await;
    eprintln!(
        "herdsman run (every kind): {:?}: {}",
        run.elapsed, run.result
    );
    assert!(
        run.success,
        "herdsman run failed: {}\nherdsman log (tail):\n{}",
        run.result,
        run.log_tail()
    );
    let joined: Vec<_> = emu.join_log().into_iter().map(|a| a.outcome).collect();
    assert_eq!(joined.len(), devices.len(), "{joined:?}");
    assert!(joined.iter().all(Result::is_ok), "{joined:?}");
    assert_eq!(run.devices.len(), devices.len(), "{:?}", run.devices);
    for (name, device, ieee) in &devices {
        let d = run
            .devices
            .iter()
            .find(|d| d["ieeeAddr"] == ieee.as_str())
            .unwrap_or_else(|| panic!("no JSON line for the {name} ({ieee}): {:?}", run.devices));
        assert_eq!(d["interviewState"], "SUCCESSFUL", "{name}: {d}");
        assert_eq!(
            d["networkAddress"],
            u64::from(device.node_id),
            "{name}: {d}"
        );
        assert_eq!(d["modelID"], device.model.as_str(), "{name}: {d}");
        assert_eq!(
            d["manufacturerName"],
            device.manufacturer.as_str(),
            "{name}: {d}"
        );
        let ep = &d["endpoints"][0];
        assert_eq!(ep["id"], 1, "{name}: {d}");
        assert_eq!(
            ep["deviceId"],
            u64::from(device.endpoints[0].device_id),
            "{name}: {d}"
        );
        let inputs: Vec<u64> = device.endpoints[0]
            .in_clusters
            .iter()
            .map(|c| u64::from(*c))
            .collect();
        assert_eq!(
            ep["inputClusters"],
            serde_json::json!(inputs),
            "{name}: {d}"
        );
    }
    // Herdsman read the bulb, toggled it, and read the other state back; the emulated bulb
    // agrees.
    let toggle = &run.result["toggle"];
    assert_eq!(toggle["ieeeAddr"], bulb.2.as_str(), "{}", run.result);
    assert_eq!(
        toggle["onOffBefore"],
        u64::from(bulb_was_on),
        "{}",
        run.result
    );
    assert_eq!(
        toggle["onOffAfter"],
        u64::from(!bulb_was_on),
        "{}",
        run.result
    );
    assert_eq!(
        emu.with_device(bulb.1.node_id, |d| d.zcl.on()),
        Some(!bulb_was_on),
        "the emulated bulb changed state"
    );
    assert_all_decoded(&emu);
}

/// A device that is expected but never joins fails the multi-device run, and the failure names
/// it, so the run with every kind cannot pass with one missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_never_joins_fails_the_multi_device_run_by_name() {
    let Some(dir) = herdsman_available() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let (path, emu) = emulator(tmp.path()).await;
    let eui = [0x01, 0x00, 0x00, 0x00, 0x00, 0x6F, 0x0D, 0x00];
    emu.join_when_permitted(SimulatedDevice::light(eui, 0x4001, None));
    let run = run_herdsman_with(
        &dir,
        &path,
        &[
            ("EXPECT_DEVICES", "0x000d6f0000000001,0x000d6f00000000ee"),
            ("EXPECT_DEVICE_MS", "15000"),
        ],
    )
    .await;
    eprintln!(
        "herdsman run (one missing): {:?}: {}",
        run.elapsed, run.result
    );
    assert!(!run.success, "the run must fail: {}", run.result);
    let error = run.result["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("0x000d6f00000000ee (not started)"),
        "{error}"
    );
    assert!(run.devices.is_empty(), "{:?}", run.devices);
}
