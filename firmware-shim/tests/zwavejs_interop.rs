//! zwave-js (npm, the engine of Z-Wave JS UI and Home Assistant's Z-Wave integration) against
//! the emulated controller: the emulator runs in-process on a pty, and
//! `tests/interop/zwave-js/driver_ready.mjs` points a real zwave-js `Driver` at it and prints
//! what zwave-js made of the controller once it reports "driver ready".
//!
//! Needs `node` and `tests/interop/zwave-js/node_modules` (`npm ci` there; `.ci/run` does it).
//! Without them the test prints why and is skipped, unless `SEALHUB_REQUIRE_ZWAVE_JS` is set
//! (CI sets it), in which case it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use firmware_shim::zwave_controller::{ControllerConfig, PtyConfig, SimNode, spawn_on_pty};
use serde_json::Value;

const HOME_ID: u32 = 0x5EA1_4B0B;
/// The script's own hard timeout; it exits non-zero after it, so the test cannot hang.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the script waits for "all nodes ready" after "driver ready" (reported, not required).
const ALL_NODES_READY: Duration = Duration::from_secs(30);

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/zwave-js")
}

/// Why the test cannot run here, if it cannot.
fn missing_prerequisite(dir: &Path) -> Option<String> {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => return Some(format!("`node --version` failed: {:?}", out.status)),
        Err(e) => return Some(format!("`node` is not runnable: {e}")),
    }
    if !dir.join("node_modules/zwave-js").is_dir() {
        return Some(format!(
            "{} is missing (run `npm ci` in {})",
            dir.join("node_modules/zwave-js").display(),
            dir.display()
        ));
    }
    None
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zwave_js_reaches_driver_ready_and_sees_the_emulated_network() {
    let dir = interop_dir();
    if let Some(reason) = missing_prerequisite(&dir) {
        assert!(
            std::env::var_os("SEALHUB_REQUIRE_ZWAVE_JS").is_none(),
            "SEALHUB_REQUIRE_ZWAVE_JS is set but the zwave-js interop test cannot run: {reason}"
        );
        eprintln!("SKIPPED zwave_js_reaches_driver_ready_and_sees_the_emulated_network: {reason}");
        return;
    }

    let tmp = tempfile::tempdir().unwrap();
    let config = PtyConfig {
        controller: ControllerConfig {
            home_id: HOME_ID,
            ..ControllerConfig::default()
        },
        ..PtyConfig::new(tmp.path().join("zwave-stick"))
    };
    let (path, emu) = spawn_on_pty(config).await.expect("emulator on a pty");
    let switch = emu.with_stick(|s| s.add_node(SimNode::binary_switch()));
    let sensor = emu.with_stick(|s| s.add_node(SimNode::sleeping_sensor()));
    let expected_nodes: Vec<u64> = emu.with_stick(|s| {
        s.controller()
            .node_ids()
            .into_iter()
            .map(u64::from)
            .collect()
    });
    assert_eq!(expected_nodes, [1, u64::from(switch), u64::from(sensor)]);

    let script = dir.join("driver_ready.mjs");
    let log = tmp.path().join("zwave-js.log");
    let started = Instant::now();
    let out = tokio::task::spawn_blocking({
        let path = path.clone();
        let log = log.clone();
        move || {
            Command::new("node")
                .arg(&script)
                .arg(&path)
                .args(["--timeout", &SCRIPT_TIMEOUT.as_millis().to_string()])
                .args([
                    "--all-nodes-ready",
                    &ALL_NODES_READY.as_millis().to_string(),
                ])
                .arg("--log")
                .arg(&log)
                .current_dir(script.parent().unwrap())
                .output()
                .expect("run node")
        }
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("zwave-js finished in {elapsed:?}\n--- stdout\n{stdout}--- stderr\n{stderr}");
    if !out.status.success() {
        // zwave-js names its log file after the date: show the tail of whatever it wrote.
        for entry in std::fs::read_dir(tmp.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("zwave-js.log") && name.ends_with(".log") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(60).collect();
                eprintln!("--- {name} (last 60 lines)");
                for line in tail.into_iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        panic!("driver_ready.mjs failed: {:?}", out.status);
    }

    let lines = json_lines(&out);
    let ready = lines
        .iter()
        .find(|v| v["event"] == "driver ready")
        .expect("a \"driver ready\" line");
    assert_eq!(ready["homeId"], u64::from(HOME_ID), "{ready}");
    assert_eq!(ready["ownNodeId"], 1, "{ready}");
    assert_eq!(ready["nodes"], serde_json::json!(expected_nodes), "{ready}");
    // What zwave-js read from the controller's identity.
    let cfg = ControllerConfig::default();
    assert_eq!(ready["manufacturerId"], cfg.manufacturer_id, "{ready}");
    assert_eq!(ready["sdkVersion"], "7.18.1", "{ready}");
    assert_eq!(ready["isSUC"], true, "{ready}");
    // US (RFRegion.USA = 1).
    assert_eq!(ready["rfRegion"], 1, "{ready}");

    // The interview: the switch is interviewed to the end, the sensor sleeps (it is
    // interviewed when it wakes up).
    let nodes = lines
        .iter()
        .find(|v| v["nodes"].is_array() && v["event"] != "driver ready")
        .expect("a node summary line");
    assert!(
        ["awake nodes ready", "all nodes ready"].contains(&nodes["event"].as_str().unwrap_or("")),
        "{nodes}"
    );
    let switch_summary = nodes["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["id"] == switch))
        .expect("the switch in the node summary");
    assert_eq!(switch_summary["isListening"], true, "{switch_summary}");
    assert_eq!(
        switch_summary["interviewStage"], "Complete",
        "{switch_summary}"
    );
    assert_eq!(switch_summary["status"], "Alive", "{switch_summary}");
    // Manufacturer Specific and Version answered by the simulated switch.
    assert_eq!(switch_summary["manufacturerId"], 0xFFFF, "{switch_summary}");
    assert_eq!(switch_summary["firmwareVersion"], "1.0", "{switch_summary}");
    assert_eq!(
        switch_summary["deviceClass"]["generic"], 0x10,
        "{switch_summary}"
    );
    let sensor_summary = nodes["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["id"] == sensor))
        .expect("the sensor in the node summary");
    assert_eq!(sensor_summary["isListening"], false, "{sensor_summary}");
    assert_eq!(sensor_summary["status"], "Asleep", "{sensor_summary}");
    let ccs = switch_summary["commandClasses"].as_array().unwrap();
    assert!(
        ccs.contains(&Value::from(0x25)),
        "Binary Switch: {switch_summary}"
    );

    // zwave-js spoke only through the emulator's front door.
    let received = emu.with_stick(|s| s.received().len());
    assert!(received > 10, "{received} host messages");
}
