//! The whole hub, measured as a client and an owner see it: the real `sealhub run` binary (the
//! same start-up as `tests/hub_end_to_end.rs`: both emulated sticks, the clients' transport on
//! 127.0.0.1 over TLS, clients paired on its store beforehand) with an emulated Zigbee house of
//! `[emulator] zigbee_devices` devices. Figures and how to read them: `docs/PERFORMANCE.md`.
//!
//! Four hubs run one after the other, each on a fresh store:
//!
//! 1. **demo**: the demo house (8 Zigbee and 5 Z-Wave devices), the baseline for memory and
//!    for the time to key a house;
//! 2. **quiet**: 200 Zigbee devices (and the 5 Z-Wave ones), nothing reporting on its own;
//! 3. **loaded**: the same 200, with every contact sensor, motion sensor and lock changing
//!    state every `ACTIVITY_MS` (`[emulator] activity_ms`), so events flow all the time;
//! 4. **fast**: the demo house on an emulated Zigbee stick ticking every 1 ms instead of 10
//!    (`[emulator] zigbee_tick_ms`): a near-instant radio, to show the hub's own time. Not the
//!    emulator's default timing: its figures are labelled as such.
//!
//! In each: the time from the network opening to every Zigbee device joined, keyed and
//! interviewed (the log's timestamps), then configured (its first ops done); command latency
//! over `SAMPLES` commands (the light turned on and off: the client seals, the hub opens,
//! commands the emulated light over the emulated EZSP stick, the light changes state and
//! reports; the client has opened the `Done` response and the report's event), with the
//! radio's share of each command taken from the hub's `sealhub::radio_time` log line for
//! that command (the driver's requests to their confirmations) and the client's own crypto
//! (sealing, opening) timed here; then (loaded only) events for `LOAD_SECS`: events received
//! per second of wall time and per second of the hub's CPU time (`/proc/PID/stat`, utime +
//! stime: the hub process, which also runs the emulated sticks and devices); and the hub's
//! resident memory (`VmHWM`, `VmRSS` in `/proc/PID/status`).
//!
//! Baselines measured in the same run, in this process: one ES256 signature and one
//! verification (p256), the floor of every envelope.
//!
//! Commands are sent no faster than the transport's sustained per-session rate
//! (`Limits::frames_per_second`, 20 a second by default): past its burst the hub holds each
//! faster frame until its turn, by design, and a latency figure taken back to back would
//! measure that hold (a command every 50 ms whatever its own time). `PACED=0` sends them back
//! to back anyway, to show it; the hub's log says how many frames were held either way.
//!
//! `cargo bench --bench hub` runs it all; environment variables `SAMPLES` (default 300),
//! `LOAD_SECS` (20), `ACTIVITY_MS` (50), `DEVICES` (200), `STUDIES` (e.g. `demo,loaded`) and
//! `PACED` (1) change it. Without `--bench` (as `cargo test --all-targets` runs it) it only checks itself:
//! a demo house, a few commands, a short load. Nothing is asserted on time.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sealhub::crypto::PrivateKey;
use sealhub::envelope::{DeviceId, MessageType, Opened};
use sealhub::model::{Action, Attribute, Event, HubCommand, Response, Role};
use sealhub::transport::Limits;
use support::hub::{DEMO_HOUSE, HubOptions, RunningHub, Session};
use support::{Phone, device_command, hub_command, id};

/// The emulated light of the demo house, the device every latency sample commands.
const LIGHT: &str = "zb:124b00000000a15e";
/// Its node id on the emulated Zigbee network, as the hub's radio-time line gives it.
const LIGHT_NODE: u16 = 0x1A2B;
/// What the hub logs (`sealhub::transport::session`, debug) for each frame its session's
/// rate limit holds.
const HELD_BY_RATE_LIMIT: &str = "frame held by the session's rate limit";

/// What a study is run with.
#[derive(Debug, Clone)]
struct Plan {
    name: &'static str,
    devices: u16,
    activity_ms: u64,
    /// `[emulator] zigbee_tick_ms`: 10 is the emulator's default radio (about 30 ms per
    /// exchange); the `fast` study's 1 shows the hub's own time with a near-instant radio.
    tick_ms: u64,
    samples: usize,
    load: Option<Duration>,
    /// Commands no faster than the transport's sustained per-session rate.
    paced: bool,
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let plans = if bench {
        let samples = env_or("SAMPLES", 300);
        let devices = env_or("DEVICES", 200);
        let activity = env_or("ACTIVITY_MS", 50);
        let load = Duration::from_secs(env_or("LOAD_SECS", 20));
        let wanted: String = env_or("STUDIES", "demo,quiet,loaded,fast".to_string());
        let paced = env_or("PACED", 1u8) != 0;
        [
            Plan {
                name: "demo",
                devices: 8,
                activity_ms: 0,
                tick_ms: 10,
                samples,
                load: None,
                paced,
            },
            Plan {
                name: "quiet",
                devices,
                activity_ms: 0,
                tick_ms: 10,
                samples,
                load: None,
                paced,
            },
            Plan {
                name: "loaded",
                devices,
                activity_ms: activity,
                tick_ms: 10,
                samples,
                load: Some(load),
                paced,
            },
            Plan {
                name: "fast",
                devices: 8,
                activity_ms: 0,
                tick_ms: 1,
                samples,
                load: None,
                paced,
            },
        ]
        .into_iter()
        .filter(|p| wanted.split(',').any(|w| w == p.name))
        .collect::<Vec<_>>()
    } else {
        vec![Plan {
            name: "self-check",
            devices: 8,
            activity_ms: 200,
            tick_ms: 10,
            samples: 4,
            load: Some(Duration::from_secs(2)),
            paced: true,
        }]
    };
    let (sign, verify) = crypto_baselines(if bench { 400 } else { 10 });
    println!(
        "baseline (this process, this run): ES256 sign p50 {:.1} µs, verify p50 {:.1} µs",
        sign, verify
    );
    println!("load average at start: {}", load_average());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    for plan in plans {
        runtime.block_on(study(&plan, sign, verify));
    }
    println!("load average at end: {}", load_average());
}

/// Medians of an ES256 signature and a verification over 120 bytes (about an envelope's
/// Sig_structure), in µs.
fn crypto_baselines(n: usize) -> (f64, f64) {
    let key = PrivateKey::generate().expect("rng");
    let public = key.public_key();
    let tbs = vec![0x33u8; 120];
    let sig = key.sign(&tbs);
    let mut signs = Vec::with_capacity(n);
    let mut verifies = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(key.sign(std::hint::black_box(&tbs)));
        signs.push(micros(t.elapsed()));
        let t = Instant::now();
        let ok = public.verify(std::hint::black_box(&tbs), std::hint::black_box(&sig));
        verifies.push(micros(t.elapsed()));
        std::hint::black_box(ok.is_ok());
    }
    (
        percentile(&mut signs, 50.0),
        percentile(&mut verifies, 50.0),
    )
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The `p`th percentile (nearest rank) of `values`.
fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The Zigbee device ids of an emulated house of `size` (as `src/runtime/zigbee.rs` makes
/// them: the demo house's eight, then `124b000000a2xxxx`).
fn house_ids(size: u16) -> Vec<String> {
    let demo = DEMO_HOUSE.iter().filter(|d| d.starts_with("zb:")).copied();
    demo.map(str::to_string)
        .chain((8..size).map(|i| format!("zb:124b000000a2{i:04x}")))
        .take(usize::from(size))
        .collect()
}

/// The hub's CPU time so far (user + system), from `/proc/PID/stat`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the hub's stat");
    // Fields after the command name (which is in parentheses): state is field 3, utime 14.
    let after = &stat[stat.rfind(')').expect("a command name") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // The clock tick rate (100 on common Linux builds), read to be sure.
    let hz = clock_ticks_per_second();
    Duration::from_secs_f64(ticks as f64 / hz)
}

fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `VmHWM` and `VmRSS` of `pid`, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the hub's status");
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Seconds since midnight of a log line's timestamp (`2026-12-06T08:54:26.123456Z ...`).
fn log_time(line: &str) -> Option<f64> {
    let stamp = line.split_whitespace().next()?;
    let time = stamp.split('T').nth(1)?.trim_end_matches('Z');
    let mut parts = time.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// A `key=value` field of a log line.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

async fn study(plan: &Plan, sign: f64, verify: f64) {
    println!(
        "\n== {}: {} Zigbee devices, activity every {} ms, emulated Zigbee tick {} ms ==",
        plan.name, plan.devices, plan.activity_ms, plan.tick_ms
    );
    let ids = house_ids(plan.devices);
    let started = Instant::now();
    let options = HubOptions {
        config: format!(
            "[emulator]\nzigbee_devices = {}\nactivity_ms = {}\nzigbee_tick_ms = {}\n",
            plan.devices, plan.activity_ms, plan.tick_ms
        ),
        // The gateway task's line for every input is left out under load: a line per event
        // (2 000 a second) would be counted in the hub's CPU per event.
        log: Some(if plan.load.is_some() {
            "info,sealhub::radio_time=debug,sealhub::transport::session=debug".into()
        } else {
            "info,sealhub::radio_time=debug,sealhub::gateway_time=debug,\
             sealhub::transport::session=debug"
                .into()
        }),
        devices: ids.clone(),
        patience: Some(Duration::from_secs(600)),
    };
    let (mut hub, mut phones) = RunningHub::start_with_options(&[("owner", Role::Owner)], &options);
    println!(
        "started, {} devices keyed, in {:.1} s (wall, from spawn)",
        ids.len() + 5,
        started.elapsed().as_secs_f64()
    );
    joining(&mut hub, plan.devices);
    let (hwm, rss) = memory(hub.pid());
    println!("memory after start: VmHWM {hwm} KiB, VmRSS {rss} KiB");

    let mut owner = phones.pop().expect("owner");
    // Devices report meanwhile: the hub sends the new session its key distribution before
    // any event (`connect` insists the first frame is it).
    let mut session = hub.connect(&mut owner).await;
    let endpoint = light_endpoint(&mut session, &mut owner).await;
    latency(
        &mut hub,
        &mut session,
        &mut owner,
        endpoint,
        plan.samples,
        plan.paced,
        plan.load.is_none(),
        sign,
        verify,
    )
    .await;
    if let Some(window) = plan.load {
        throughput(&mut hub, &mut session, &mut owner, window, sign).await;
    }
    let (hwm, rss) = memory(hub.pid());
    println!(
        "memory at the end: VmHWM {hwm} KiB ({:.1} MiB), VmRSS {rss} KiB ({:.1} MiB)",
        hwm as f64 / 1024.0,
        rss as f64 / 1024.0
    );
}

/// From the log: the network opening for the demo house, each Zigbee device keyed (after its
/// interview) and its first ops (bind, reporting, the first read: its set-up) done.
fn joining(hub: &mut RunningHub, devices: u16) {
    // The network opens with `permitJoining`; the line saying so is written once the
    // driver's call returns, and devices may join before it: the earlier of the two counts.
    let opened_line = hub
        .log
        .lines()
        .find(|l| l.contains("emulated Zigbee network open for joining"))
        .and_then(log_time);
    let first_join = hub
        .log
        .lines()
        .find(|l| l.contains("Zigbee device joined"))
        .and_then(log_time);
    let spawned = hub.log.lines().next().and_then(log_time);
    let opened = match (opened_line, first_join) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let (Some(spawned), Some(opened)) = (spawned, opened) {
        println!(
            "the hub's first log line -> the network opened: {:.2} s",
            opened - spawned
        );
    }
    let keyed: Vec<f64> = hub
        .log
        .lines()
        .filter(|l| l.contains("device joined and keyed") && l.contains("device=zb:"))
        .filter_map(log_time)
        .collect();
    let mut configured: HashSet<u16> = HashSet::new();
    let mut last_configured = None;
    let log = hub.log.clone();
    for line in log.lines() {
        if let Some(t) = first_ops(line, &mut configured) {
            last_configured = Some(t);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while configured.len() < usize::from(devices) && Instant::now() < deadline {
        if let Some(line) = hub.next_line(Duration::from_secs(5))
            && let Some(t) = first_ops(&line, &mut configured)
        {
            last_configured = Some(t);
        }
    }
    let (Some(opened), Some(last_keyed)) = (opened, keyed.iter().copied().reduce(f64::max)) else {
        println!("joining: the log did not show the network opening or any device keyed");
        return;
    };
    println!(
        "joining: network opened -> {} Zigbee devices joined, interviewed and keyed: {:.2} s; \
         -> {} configured (bind, reporting, first read): {}",
        keyed.len(),
        last_keyed - opened,
        configured.len(),
        last_configured
            .map(|t| format!("{:.2} s", t - opened))
            .unwrap_or_else(|| "not seen".into())
    );
}

/// When `line` is the radio-time line of a Zigbee node's first ops (its set-up), notes the
/// node and returns the line's time.
fn first_ops(line: &str, seen: &mut HashSet<u16>) -> Option<f64> {
    if !line.contains("device ops ran") {
        return None;
    }
    let radio = field(line, "radio")?.trim_matches('"');
    let node: u16 = field(line, "node")?.parse().ok()?;
    (radio == "zigbee" && seen.insert(node))
        .then(|| log_time(line))
        .flatten()
}

/// The endpoint of the light with on/off.
async fn light_endpoint(session: &mut Session, phone: &mut Phone) -> u8 {
    match session
        .command(phone, &id("hub"), &hub_command(HubCommand::ListDevices))
        .await
    {
        Response::Hub(sealhub::model::HubResponse::Devices(list)) => list
            .iter()
            .find(|d| d.id == id(LIGHT))
            .and_then(|d| {
                d.endpoints
                    .iter()
                    .find(|e| e.capabilities.contains(&sealhub::model::Capability::OnOff))
            })
            .map(|e| e.id)
            .expect("the light with on/off"),
        other => panic!("expected the device list, got {other:?}"),
    }
}

/// Whether `frame`'s route (outside the encryption, as a relay sees it) names `device`.
fn routed_to(frame: &[u8], device: &str) -> bool {
    frame.windows(device.len()).any(|w| w == device.as_bytes())
}

/// One sample's figures, µs.
#[derive(Debug, Clone, Copy)]
struct Sample {
    total: f64,
    done: f64,
    radio: f64,
    client: f64,
    /// The gateway task's own time on the command's way (core work and handing the outputs
    /// on): for its envelope (opened, journaled, flushed, radio request handed out) ...
    gateway_envelope: f64,
    /// ... for the radio's result (the `Done` sealed and handed on) ...
    gateway_answer: f64,
    /// ... and for the light's report (the event sealed and handed on).
    gateway_report: f64,
    /// The flush of the answer after it was handed on (off the command's way).
    flush_after: f64,
}

/// The gateway task's timing of one input (`sealhub::gateway_time`): its kind, the time on the
/// command's way (handle + carry) and the flush after it, µs.
fn gateway_time(line: &str) -> Option<(&str, f64, f64)> {
    if !line.contains("input handled") {
        return None;
    }
    let number = |key| field(line, key).and_then(|v| v.parse::<f64>().ok());
    let kind = field(line, "input")?.trim_matches('"');
    Some((
        kind,
        number("handle_us")? + number("carry_us")?,
        number("flush_us")?,
    ))
}

#[allow(clippy::too_many_arguments)]
async fn latency(
    hub: &mut RunningHub,
    session: &mut Session,
    phone: &mut Phone,
    endpoint: u8,
    samples: usize,
    paced: bool,
    gateway_timed: bool,
    sign: f64,
    verify: f64,
) {
    let light = id(LIGHT);
    let mut figures: Vec<Sample> = Vec::with_capacity(samples);
    let mut on = false;
    let mut failed = 0usize;
    let mut held = 0usize;
    let spacing = if paced {
        Duration::from_secs(1) / Limits::default().frames_per_second.max(1)
    } else {
        Duration::ZERO
    };
    let mut previous: Option<Instant> = None;
    // Two commands first, not counted: the light's executor, the sessions, caches warm up.
    for i in 0..samples + 2 {
        on = !on;
        let action = if on { Action::TurnOn } else { Action::TurnOff };
        let wanted = Attribute::OnOff(on);
        if let Some(previous) = previous {
            tokio::time::sleep_until((previous + spacing).into()).await;
        }
        // Lines from before this command do not count.
        while let Some(line) = hub.next_line(Duration::ZERO) {
            held += usize::from(line.contains(HELD_BY_RATE_LIMIT));
        }
        let start = Instant::now();
        previous = Some(start);
        let bytes = phone.seal(&light, &device_command(endpoint, action));
        let mut client = start.elapsed();
        session.send_raw(bytes).await;
        let mut done_at = None;
        let mut event_at = None;
        let mut refused = false;
        while done_at.is_none() || event_at.is_none() {
            let frame = session
                .frame_within(Duration::from_secs(30))
                .await
                .expect("the light's response and event in time");
            if !routed_to(&frame, LIGHT) {
                continue;
            }
            let t = Instant::now();
            let opened: Opened = phone.client.open(&frame).expect("the envelope opens");
            client += t.elapsed();
            match opened.route.msg_type {
                MessageType::Response => {
                    match Response::from_value(&opened.body.body).expect("a response") {
                        Response::Queued => {}
                        Response::Done { .. } => done_at = Some(start.elapsed()),
                        other => {
                            failed += 1;
                            if failed <= 3 {
                                println!("command {i} failed: {other:?}");
                            }
                            done_at = Some(start.elapsed());
                            event_at = done_at;
                            refused = true;
                        }
                    }
                }
                MessageType::Event => {
                    let event = Event::from_value(&opened.body.body).expect("an event");
                    if matches!(&event, Event::Report { values, .. } if values.contains(&wanted)) {
                        event_at = Some(start.elapsed());
                    }
                }
                _ => {}
            }
        }
        let total = done_at.max(event_at).expect("both seen");
        // The radio's share: the light's ops of this command, from the hub's log (written
        // before the hub answers, so it is in the pipe by now).
        let mut radio = None;
        let (mut envelope, mut answer, mut report) = (None, None, None);
        let wait = Instant::now() + Duration::from_secs(5);
        while (radio.is_none() || (gateway_timed && answer.is_none())) && Instant::now() < wait {
            let Some(line) = hub.next_line(Duration::from_millis(200)) else {
                continue;
            };
            held += usize::from(line.contains(HELD_BY_RATE_LIMIT));
            if line.contains("device ops ran")
                && field(&line, "node").and_then(|n| n.parse::<u16>().ok()) == Some(LIGHT_NODE)
            {
                radio = field(&line, "radio_us").and_then(|v| v.parse::<f64>().ok());
            }
            match gateway_time(&line) {
                Some(("envelope", on_way, _)) if envelope.is_none() => envelope = Some(on_way),
                Some(("radio-done", on_way, flush)) if envelope.is_some() => {
                    answer = Some((on_way, flush));
                }
                Some(("zigbee", on_way, _)) if envelope.is_some() && report.is_none() => {
                    report = Some(on_way);
                }
                _ => {}
            }
        }
        let radio = radio.expect("the hub's radio-time line for the light");
        if i >= 2 && !refused {
            figures.push(Sample {
                total: micros(total),
                done: micros(done_at.expect("done")),
                radio,
                client: micros(client),
                gateway_envelope: envelope.unwrap_or(0.0),
                gateway_answer: answer.map_or(0.0, |a| a.0),
                gateway_report: report.unwrap_or(0.0),
                flush_after: answer.map_or(0.0, |a| a.1),
            });
        }
    }
    if failed > 0 {
        println!("{failed} commands failed (not counted)");
    }
    println!(
        "commands {}; frames held by the transport's rate limit during the run: {held}",
        if paced {
            format!("paced (one per {} ms at most)", spacing.as_millis())
        } else {
            "back to back".to_string()
        }
    );
    report_latency(&figures, sign, verify);
}

fn report_latency(figures: &[Sample], sign: f64, verify: f64) {
    let column = |f: &dyn Fn(&Sample) -> f64| -> Vec<f64> { figures.iter().map(f).collect() };
    let rows: [(&str, Vec<f64>); 12] = [
        (
            "total (command sealed -> Done and event opened)",
            column(&|s| s.total),
        ),
        ("to Done opened", column(&|s| s.done)),
        (
            "radio (driver requests -> confirmations)",
            column(&|s| s.radio),
        ),
        (
            "hub-added = total - radio, per sample",
            column(&|s| s.total - s.radio),
        ),
        ("client crypto (seal + opens)", column(&|s| s.client)),
        (
            "hub and transport = total - radio - client, per sample",
            column(&|s| s.total - s.radio - s.client),
        ),
        (
            "gateway task on the way (envelope + Done + report)",
            column(&|s| s.gateway_envelope + s.gateway_answer + s.gateway_report),
        ),
        (
            "  its envelope: opened, journaled, flushed, sent",
            column(&|s| s.gateway_envelope),
        ),
        (
            "  the radio's result: Done sealed, handed on",
            column(&|s| s.gateway_answer),
        ),
        (
            "  the light's report: event sealed, handed on",
            column(&|s| s.gateway_report),
        ),
        (
            "answer's flush, after Done left (off the way)",
            column(&|s| s.flush_after),
        ),
        (
            "ratio total / radio, per sample",
            column(&|s| s.total / s.radio),
        ),
    ];
    println!(
        "latency over {} commands (µs; ratios plain); baselines sign {:.1} µs, verify {:.1} µs",
        figures.len(),
        sign,
        verify
    );
    println!("| figure | p50 | p99 | max | mean | p50 in signs | p99 in signs |");
    println!("|---|---|---|---|---|---|---|");
    for (name, mut values) in rows {
        if values.iter().all(|v| *v == 0.0) {
            // Not measured in this study (the gateway task's timing under load).
            continue;
        }
        let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
        let p50 = percentile(&mut values, 50.0);
        let p99 = percentile(&mut values, 99.0);
        let max = percentile(&mut values, 100.0);
        let ratio = name.starts_with("ratio");
        if ratio {
            println!("| {name} | {p50:.2} | {p99:.2} | {max:.2} | {mean:.2} | | |");
        } else {
            println!(
                "| {name} | {p50:.1} | {p99:.1} | {max:.0} | {mean:.1} | {:.1} | {:.1} |",
                p50 / sign,
                p99 / sign
            );
        }
    }
}

/// Events for `window`: how many arrive, per second of wall time and of the hub's CPU time.
async fn throughput(
    hub: &mut RunningHub,
    session: &mut Session,
    phone: &mut Phone,
    window: Duration,
    sign: f64,
) {
    let pid = hub.pid();
    // The hub's log is read all along, so its pipe never fills.
    let drain = |hub: &mut RunningHub| while hub.next_line(Duration::ZERO).is_some() {};
    let warm = Instant::now() + Duration::from_secs(2);
    while Instant::now() < warm {
        let _ = session.frame_within(Duration::from_millis(100)).await;
        drain(hub);
    }
    let cpu_before = cpu_time(pid);
    let start = Instant::now();
    let mut frames = 0u64;
    let mut opened_events = 0u64;
    let mut devices: HashSet<DeviceId> = HashSet::new();
    while start.elapsed() < window {
        let Some(frame) = session.frame_within(Duration::from_millis(100)).await else {
            drain(hub);
            continue;
        };
        frames += 1;
        // Every 25th frame is opened here (signature, key, route and replay window checked),
        // so the count is of genuine events without this process taking a core to open all.
        if frames % 25 == 0 {
            let opened = phone.client.open(&frame).expect("the event opens");
            if opened.route.msg_type == MessageType::Event {
                opened_events += 1;
                devices.insert(opened.route.device.clone());
            }
        }
        if frames % 256 == 0 {
            drain(hub);
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = (cpu_time(pid) - cpu_before).as_secs_f64();
    let per_cpu = frames as f64 / cpu;
    println!(
        "throughput over {wall:.1} s: {frames} envelopes ({:.0}/s wall), hub CPU {cpu:.2} s \
         ({:.0} % of one core): {per_cpu:.0} events per CPU-second; {opened_events} of them \
         opened here, all events, from {} devices",
        frames as f64 / wall,
        100.0 * cpu / wall,
        devices.len()
    );
    println!(
        "baseline: {:.0} ES256 signatures per CPU-second (this process); hub CPU per event = \
         {:.1} µs = {:.2} signatures",
        1e6 / sign,
        1e6 / per_cpu,
        (1e6 / per_cpu) / sign
    );
}
