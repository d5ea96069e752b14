//! zigbee-herdsman (the engine of Zigbee2MQTT), ember adapter, against the emulated stick: the
//! reference Zigbee host stack must be able to use it as if it were a real stick.
//!
//! The emulator runs in-process on a pty; `tests/interop/herdsman_ember.mjs` (zigbee-herdsman
//! 10.9.5, pinned in `tests/interop/package-lock.json`) opens it by path, starts a controller
//! (forming the network), checks the network and the coordinator's endpoints, opens and closes
//! joining, and stops; a second run resumes the network from the stick's tokens. A third has a
//! simulated light join while herdsman has the network open and checks herdsman's interview of
//! it (`EXPECT_DEVICE`). Another test
//! makes the stick refuse `formNetwork` and expects the run to fail, so a misbehaving emulator
//! cannot pass.
//!
//! Needs `node` and `npm ci` in `tests/interop` (`.ci/run` does both). Without them the tests
//! print why and return, except under CI (`CI` set), where that is a failure.

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

/// Longer than the script's own hard timeout (60 s), so the script reports first.
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// The network the script configures (`herdsman_ember.mjs`).
const PAN_ID: u16 = 0x1A2B;
const EXTENDED_PAN_ID: [u8; 8] = [0xdd, 0xcc, 0xbb, 0xaa, 0x44, 0x33, 0x22, 0x11];
const CHANNEL: u8 = 15;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("firmware-shim sits in the workspace root")
        .join("tests/interop")
}

/// Whether node and herdsman are installed; `None` means skip (and says why).
fn herdsman_available() -> Option<PathBuf> {
    let dir = interop_dir();
    let node = std::process::Command::new("node").arg("--version").output();
    let missing = match node {
        Ok(out) if out.status.success() => {
            if dir
                .join("node_modules/zigbee-herdsman/package.json")
                .is_file()
            {
                None
            } else {
                Some(format!(
                    "{} has no node_modules/zigbee-herdsman (run `npm ci` there)",
                    dir.display()
                ))
            }
        }
        _ => Some("`node` is not on PATH".to_string()),
    };
    match missing {
        None => Some(dir),
        Some(why) if std::env::var_os("CI").is_some() => {
            panic!("herdsman interop test cannot run under CI: {why}")
        }
        Some(why) => {
            eprintln!("SKIPPED herdsman interop test: {why}");
            None
        }
    }
}

/// What one run of the script reported.
struct Run {
    success: bool,
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
    let line = stdout.lines().last().unwrap_or_default();
    let result = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("no JSON result line ({e}); stdout: {stdout}\nherdsman log:\n{log}")
    });
    Run {
        success: output.status.success(),
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
