//! zwave-js (npm, the engine of Z-Wave JS UI and Home Assistant's Z-Wave integration) against
//! the emulated controller: the emulator runs in-process on a pty, and a Node script points a
//! real zwave-js `Driver` at it and prints JSON lines of what zwave-js made of it:
//! `tests/interop/zwave-js/driver_ready.mjs` once zwave-js reports "driver ready", and
//! `include_secure.mjs` while it includes the emulator's secure nodes (S2 with the DSK PIN, S0),
//! interviews them and operates them (unlock, switch on, dim). The test puts each node into
//! learn mode when the script says inclusion has started, and checks the nodes' side afterwards:
//! the keys they hold, their state, what they refused.
//!
//! `ZWAVEJS_INTEROP_LOG=/tmp/zwave-js` keeps zwave-js' debug log of the inclusion tests (the
//! log of a failed run is printed anyway) to see where it stalls.
//!
//! Needs `node` and `tests/interop/zwave-js/node_modules` (`npm ci` there; `.ci/run` does it).
//! Without them the test prints why and is skipped, unless `SEALHUB_REQUIRE_INTEROP` is set
//! (`.ci/run` sets it), in which case it fails.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use firmware_shim::zwave_controller::controller::{
    AEOTEC_CONFIG_GET, AEOTEC_CONFIG_SET, ASSIGN_SUC_RETURN_ROUTE,
};
use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatorHandle, PtyConfig, SecureDevice, SecureNode, SimNode, spawn_on_pty,
};
use sealhub_radios::zwave::s2::KeyClasses;
use sealhub_radios::zwave::serial::messages::HostMessage;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const HOME_ID: u32 = 0x5EA1_4B0B;
/// The script's own hard timeout; it exits non-zero after it, so the test cannot hang.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the script waits for "all nodes ready" after "driver ready" (reported, not required).
const ALL_NODES_READY: Duration = Duration::from_secs(30);

fn interop_dir() -> PathBuf {
    firmware_shim::interop::interop_dir().join("zwave-js")
}

/// Whether the test can run; when it cannot, says why (and fails under
/// `SEALHUB_REQUIRE_INTEROP`).
fn can_run(test: &str) -> bool {
    firmware_shim::interop::zwave_js(test).is_some()
}

/// Prints the tail of the zwave-js log files in `dir` (zwave-js names them after the date).
fn print_zwave_js_log(dir: &Path, lines: usize) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("zwave-js") && name.ends_with(".log") {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(lines).collect();
            eprintln!("--- {name} (last {lines} lines)");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zwave_js_reaches_driver_ready_and_sees_the_emulated_network() {
    if !can_run("zwave_js_reaches_driver_ready_and_sees_the_emulated_network") {
        return;
    }
    let dir = interop_dir();

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
        print_zwave_js_log(tmp.path(), 60);
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
    // The ids are those of an Aeotec Z-Stick Gen5, for which zwave-js releases with
    // `ControllerProprietary_Aeotec` read Aeotec's proprietary configuration (0xF3) at start-up
    // (the pinned 15.15.0 does not ask); the emulator answers it as that firmware does, so
    // zwave-js never sits out its response timeout. Every request asked was answered, from the
    // emulator's own record.
    let (proprietary_asked, proprietary_answered) = emu.with_stick(|s| {
        let asked = s
            .received()
            .iter()
            .filter(|m| matches!(m.function(), AEOTEC_CONFIG_GET | AEOTEC_CONFIG_SET))
            .count();
        (asked, s.controller().aeotec_config().answered())
    });
    assert_eq!(
        proprietary_answered, proprietary_asked,
        "an Aeotec 0xF2/0xF3 request went unanswered"
    );

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

/// The include script's own hard timeout; it exits non-zero after it.
const INCLUDE_SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);
/// How long the script waits for each node's interview.
const INTERVIEW_TIMEOUT: Duration = Duration::from_secs(90);
/// The test's bound on the whole run, above the script's own, so the test cannot hang even if
/// the script does.
const INCLUDE_RUN_BOUND: Duration = Duration::from_secs(270);

/// What one run of `include_secure.mjs` printed.
struct IncludeRun {
    lines: Vec<Value>,
    success: bool,
}

impl IncludeRun {
    /// The line with this event for this node name.
    fn line(&self, event: &str, name: &str) -> &Value {
        self.lines
            .iter()
            .find(|v| v["event"] == event && v["name"] == name)
            .unwrap_or_else(|| panic!("no {event:?} line for {name}: {:#?}", self.lines))
    }
}

/// Starts the emulator on a pty in `dir`.
async fn emulator(dir: &Path) -> (PathBuf, EmulatorHandle) {
    let config = PtyConfig {
        controller: ControllerConfig {
            home_id: HOME_ID,
            ..ControllerConfig::default()
        },
        ..PtyConfig::new(dir.join("zwave-stick"))
    };
    spawn_on_pty(config).await.expect("emulator on a pty")
}

/// Runs `include_secure.mjs` on `path` with these `--include` specs; whenever it says an
/// inclusion has started, puts the node of that name into learn mode. Returns what it printed.
async fn run_include_script(
    path: &Path,
    emu: &EmulatorHandle,
    log_dir: &Path,
    specs: &[String],
    nodes: &HashMap<&str, SecureNode>,
) -> IncludeRun {
    let dir = interop_dir();
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(dir.join("include_secure.mjs"))
        .arg(path)
        .args(["--timeout", &INCLUDE_SCRIPT_TIMEOUT.as_millis().to_string()])
        .args([
            "--interview-timeout",
            &INTERVIEW_TIMEOUT.as_millis().to_string(),
        ])
        .arg("--log")
        // ZWAVEJS_INTEROP_LOG keeps zwave-js' debug log where one can read it afterwards.
        .arg(
            std::env::var_os("ZWAVEJS_INTEROP_LOG")
                .map_or_else(|| log_dir.join("zwave-js.log"), PathBuf::from),
        )
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for spec in specs {
        cmd.args(["--include", spec]);
    }
    let mut child = cmd.spawn().expect("run node");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr_text = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });

    let started = Instant::now();
    let mut lines = Vec::new();
    let run = tokio::time::timeout(INCLUDE_RUN_BOUND, async {
        while let Some(line) = stdout.next_line().await.expect("read the script's stdout") {
            eprintln!("[{:>6.1?}] {line}", started.elapsed());
            let Ok(value) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if value["event"] == "inclusion started" {
                let name = value["name"].as_str().unwrap_or_default();
                let node = nodes
                    .get(name)
                    .unwrap_or_else(|| panic!("the script includes an unknown node {name}"));
                emu.with_stick(|s| s.offer_for_inclusion(SimNode::secure(node.clone())));
            }
            lines.push(value);
        }
        child.wait().await.expect("wait for node")
    })
    .await;
    if run.is_err() {
        // Its stderr closes only once it is gone.
        let _ = child.start_kill();
    }
    let stderr_text = tokio::time::timeout(Duration::from_secs(10), stderr_text)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    eprintln!("--- stderr\n{stderr_text}");
    let Ok(status) = run else {
        print_zwave_js_log(log_dir, 80);
        panic!("include_secure.mjs still running after {INCLUDE_RUN_BOUND:?}");
    };
    if !status.success() {
        print_zwave_js_log(log_dir, 80);
    }
    IncludeRun {
        lines,
        success: status.success(),
    }
}

/// The id zwave-js gave a node, as a u8.
fn node_id(line: &Value) -> u8 {
    line["id"]
        .as_u64()
        .and_then(|id| u8::try_from(id).ok())
        .unwrap_or_else(|| panic!("no node id in {line}"))
}

fn contains_cc(line: &Value, field: &str, cc: u8) -> bool {
    line[field]
        .as_array()
        .is_some_and(|ccs| ccs.contains(&Value::from(cc)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zwave_js_includes_the_secure_nodes_and_operates_them() {
    if !can_run("zwave_js_includes_the_secure_nodes_and_operates_them") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (path, emu) = emulator(tmp.path()).await;
    let lock = SecureNode::door_lock(0x51);
    let siren = SecureNode::siren(0x52);
    let dimmer = SecureNode::dimmer(0x53);
    // The dimmer's user takes a while to type the PIN: the dimmer's first KEX Set echo comes
    // before it and zwave-js ignores it; the repeat (every second here, ten in real nodes)
    // carries bootstrapping on.
    dimmer.state().echo_period = Duration::from_secs(1);
    let nodes = HashMap::from([
        ("lock", lock.clone()),
        ("siren", siren.clone()),
        ("dimmer", dimmer.clone()),
    ]);
    let specs = [
        format!("lock:s2:{:05}:door=0", lock.pin()),
        "siren:s0:switch=on".to_string(),
        format!("dimmer:default:{:05}:pin-delay=2500:level=42", dimmer.pin()),
    ];
    let run = run_include_script(&path, &emu, tmp.path(), &specs, &nodes).await;
    assert!(run.success, "include_secure.mjs failed");

    // The lock: S2 Access Control (and Authenticated, which it also asked for), granted on
    // both sides.
    let added = run.line("node added", "lock");
    assert_eq!(added["lowSecurity"], false, "{added}");
    assert_eq!(added["highestSecurityClass"], "S2_AccessControl", "{added}");
    let grant = run.line("grant", "lock");
    let mut requested: Vec<&str> = grant["requested"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    requested.sort_unstable();
    assert_eq!(
        requested,
        ["S2_AccessControl", "S2_Authenticated"],
        "{grant}"
    );
    let dsk = run.line("dsk", "lock")["dsk"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let label = sealhub_radios::zwave::s2::bootstrap::format_dsk(&lock.dsk());
    assert_eq!(
        dsk,
        label[5..],
        "zwave-js showed the DSK on the label, PIN blanked"
    );
    assert_eq!(
        lock.state().granted,
        KeyClasses::S2_ACCESS_CONTROL | KeyClasses::S2_AUTHENTICATED
    );
    assert!(!lock.state().kex_failed);
    // Interviewed under S2: zwave-js learned the Door Lock CC from the node's secure list.
    let lock_id = node_id(added);
    let interviewed = run.line("node interviewed", "lock");
    assert_eq!(interviewed["ready"], true, "{interviewed}");
    assert!(
        contains_cc(interviewed, "commandClasses", 0x62),
        "{interviewed}"
    );
    assert!(
        contains_cc(interviewed, "secureCommandClasses", 0x62),
        "{interviewed}"
    );
    // zwave-js unlocks it under Access Control, inside Supervision (which the lock lists).
    let door = run.line("door", "lock");
    assert_eq!(door["read"], 0, "{door}");
    assert_eq!(lock.state().device, SecureDevice::DoorLock { mode: 0x00 });
    assert!(
        lock.state()
            .supervised
            .iter()
            .any(|c| c.starts_with(&[0x62, 0x01, 0x00])),
        "{:?}",
        lock.state().supervised
    );
    assert!(
        lock.state().refused.is_empty(),
        "{:?}",
        lock.state().refused
    );

    // The siren: S0.
    let added = run.line("node added", "siren");
    assert_eq!(added["lowSecurity"], false, "{added}");
    assert_eq!(added["highestSecurityClass"], "S0_Legacy", "{added}");
    assert_eq!(siren.state().granted, KeyClasses::S0);
    let siren_id = node_id(added);
    let interviewed = run.line("node interviewed", "siren");
    assert_eq!(interviewed["ready"], true, "{interviewed}");
    assert!(
        contains_cc(interviewed, "secureCommandClasses", 0x25),
        "{interviewed}"
    );
    // zwave-js switches it on under S0.
    let switched = run.line("switch", "siren");
    assert_eq!(switched["read"], true, "{switched}");
    assert_eq!(siren.state().device, SecureDevice::Siren { value: 0xFF });
    assert!(
        siren.state().refused.is_empty(),
        "{:?}",
        siren.state().refused
    );

    // The dimmer: S2 Authenticated with the Default strategy, then dimmed to 42 under it.
    let added = run.line("node added", "dimmer");
    assert_eq!(added["lowSecurity"], false, "{added}");
    assert_eq!(added["highestSecurityClass"], "S2_Authenticated", "{added}");
    assert_eq!(dimmer.state().granted, KeyClasses::S2_AUTHENTICATED);
    assert!(
        dimmer.state().echo_repeats >= 1,
        "the dimmer never repeated its echo"
    );
    let dimmer_id = node_id(added);
    let level = run.line("level", "dimmer");
    assert_eq!(level["read"], 42, "{level}");
    assert_eq!(dimmer.state().device, SecureDevice::Dimmer { level: 42 });
    assert!(
        dimmer
            .state()
            .supervised
            .iter()
            .any(|c| c.starts_with(&[0x26, 0x01, 42])),
        "{:?}",
        dimmer.state().supervised
    );
    assert!(
        dimmer.state().refused.is_empty(),
        "{:?}",
        dimmer.state().refused
    );

    // The emulated controller's node list has all three, and zwave-js gave each its route
    // back to the SUC through the controller, as it does after every inclusion.
    let ids = emu.with_stick(|s| s.controller().node_ids());
    let routed: Vec<u8> = emu.with_stick(|s| {
        s.received()
            .iter()
            .filter_map(|m| match m {
                HostMessage::Unknown {
                    function: ASSIGN_SUC_RETURN_ROUTE,
                    payload,
                } => payload.first().copied(),
                _ => None,
            })
            .collect()
    });
    for id in [lock_id, siren_id, dimmer_id] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
        assert!(
            routed.contains(&id),
            "no SUC return route for {id}: {routed:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zwave_js_without_the_right_pin_grants_the_locks_nothing() {
    if !can_run("zwave_js_without_the_right_pin_grants_the_locks_nothing") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (path, emu) = emulator(tmp.path()).await;
    let lock = SecureNode::door_lock(0x54);
    // A second lock whose user cancels at the PIN prompt.
    let cancelled = SecureNode::door_lock(0x55);
    let nodes = HashMap::from([("lock", lock.clone()), ("cancelled", cancelled.clone())]);
    // One digit off.
    let wrong = if lock.pin() % 10 == 9 {
        lock.pin() - 1
    } else {
        lock.pin() + 1
    };
    let run = run_include_script(
        &path,
        &emu,
        tmp.path(),
        &[format!("lock:s2:{wrong:05}"), "cancelled:s2".to_string()],
        &nodes,
    )
    .await;
    assert!(run.success, "include_secure.mjs failed");

    let added = run.line("node added", "lock");
    assert_eq!(added["lowSecurity"], true, "{added}");
    assert_eq!(added["lowSecurityReason"], "S2IncorrectPIN", "{added}");
    assert_eq!(
        added["securityClasses"]["S2_AccessControl"], false,
        "{added}"
    );
    // The lock heard zwave-js abort and holds no key.
    assert!(lock.state().kex_failed);
    assert!(lock.state().granted.is_empty());
    assert_eq!(lock.state().device, SecureDevice::DoorLock { mode: 0xFF });

    let added = run.line("node added", "cancelled");
    assert_eq!(added["lowSecurity"], true, "{added}");
    assert_eq!(added["lowSecurityReason"], "UserCanceled", "{added}");
    assert!(cancelled.state().kex_failed);
    assert!(cancelled.state().granted.is_empty());
}
