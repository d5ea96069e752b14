//! Crash safety of the whole hub, measured: the real `sealhub run` binary on its emulated
//! sticks (the demo house), clients driven through the `sealhub client` binary (`pair`,
//! `devices`, `send`, `watch`), and the hub killed with SIGKILL at seeded random moments of
//! what it is doing — a device joining, the Zigbee network backup being sealed, a client
//! pairing, a session's key distribution, a command — then restarted. After every kill:
//!
//! - the store opens (the test opens it while the hub is dead);
//! - no device key is lost: every device the hub logged as keyed has a key and a registry
//!   record (and no key is without a record);
//! - no paired client is lost: every client whose `pair` said it was paired is in the home;
//! - no sequence number is reused: every event the watching client opened carries a
//!   (signer, sequence number) never seen before, and the persisted ceiling of every signing
//!   key (the hub's, each device key's) covers every number seen and never goes back; the
//!   clients' own numbers are checked by the hub, which refuses (and logs) a reused one as a
//!   replay, so a command the hub refused, or a client saw refused, fails the test;
//! - no command is executed twice: each command sets the emulated thermostat's heating setpoint
//!   to a value no other command uses (the value stands for the command's msg_id), and the
//!   emulated device's record of what it carried out (`firmware_shim::executed` log lines)
//!   holds each value at most once, and exactly once for a command the client saw done.
//!
//! Kill moments are picked by a seeded RNG among observed events (log lines, the emulator's
//! records, client output), never by sleeping; timeouts only guard against a hang. The seed
//! is printed (`SEALHUB_CRASH_SEED` replays it). CI runs [`CI_KILLS`] kills; a longer run:
//! `SEALHUB_CRASH_KILLS=500 cargo test -p sealhub --test hub_crash -- --nocapture`.
//!
//! The commanding client is killed too, the hub left running, at a seeded moment of a command
//! (as it starts, as its session opens, when the device carried the command out); the next
//! command from its store must be done, not refused as a replay.
//!
//! Not covered: `sealhub backup` (the backup command) does not exist yet, so the "backup"
//! phase is the Zigbee network backup the hub seals by itself; the watching client is not
//! killed.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sealhub::store::{KekSource, Store};
use support::hub::{DEMO_HOUSE, free_port};
use support::kill::{KillRng, Victim, env_number, number_after};

/// How many kills a run makes unless `SEALHUB_CRASH_KILLS` says otherwise.
const CI_KILLS: usize = 20;
/// After this many kills the next start is a new home (fresh data directory), so devices
/// join (and that can be killed) again.
const KILLS_PER_HOME: usize = 10;
/// Guard against a hang; never what decides an outcome.
const PATIENCE: Duration = Duration::from_secs(90);
/// The emulated Zigbee thermostat and its endpoint.
const THERMOSTAT: &str = "zb:124b00000000a104";
/// The emulated thermostat's lowest and highest heating setpoint, 0.01 °C.
const SETPOINTS: (i64, i64) = (700, 3000);
/// The hub's log filter: its usual log, plus the emulated devices' record of what they
/// carried out and the transport's session set-up (a kill moment).
const HUB_LOG: &str =
    "info,firmware_shim::executed=debug,sealhub::transport::server=debug,sealhub_radios=warn";
/// The store's trees this test reads (docs/STORE.md): device keys, the gateway's device
/// records, paired clients, signing keys' sequence ceilings.
const KEYS: &str = "devices";
const RECORDS: &str = "gateway-devices";
const CLIENTS: &str = "clients";
const SEQUENCE: &str = "sequence";

/// What the hub was doing when it was killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// The demo house joining a new home and being keyed.
    Joining,
    /// The Zigbee network backup being sealed.
    Backup,
    /// A client pairing.
    Pairing,
    /// A client's session opening (the hub sends it a fresh key distribution).
    KeyDistribution,
    /// A client's command being carried out.
    Command,
}

/// One home (data directory) and what the test knows it must still hold.
struct HomeUnderTest {
    dir: tempfile::TempDir,
    data: PathBuf,
    config: PathBuf,
    port: u16,
    /// Devices the hub logged as keyed in this home.
    keyed: BTreeSet<String>,
    /// Clients whose `pair` said they were paired.
    clients: BTreeSet<String>,
    /// The client that sends commands, and the one that watches events, once paired.
    commander: Option<PathBuf>,
    watcher: Option<PathBuf>,
    /// How many client directories were made (names).
    client_dirs: usize,
    /// The last sequence ceiling read for each signing key.
    ceilings: BTreeMap<Vec<u8>, u64>,
    /// The highest sequence number seen from each signer (kid in hex).
    highest_seen: BTreeMap<String, u64>,
    kills: usize,
    /// Kills while the demo house was still being set up.
    setup_kills: usize,
    /// The hub's log in this home, every run, for failure messages.
    log: Vec<String>,
}

impl HomeUnderTest {
    fn new() -> HomeUnderTest {
        let dir = support::tempdir();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let port = free_port();
        let config = dir.path().join("hub.toml");
        std::fs::write(
            &config,
            format!(
                "[clock]\ntrust = \"synchronised\"\n\
                 [transport]\nlisten = \"127.0.0.1:{port}\"\n"
            ),
        )
        .expect("write config");
        HomeUnderTest {
            dir,
            data,
            config,
            port,
            keyed: BTreeSet::new(),
            clients: BTreeSet::new(),
            commander: None,
            watcher: None,
            client_dirs: 0,
            ceilings: BTreeMap::new(),
            highest_seen: BTreeMap::new(),
            kills: 0,
            setup_kills: 0,
            log: Vec::new(),
        }
    }

    /// The hub's log lines that mention `what`, and the runs' boundaries.
    fn log_of(&self, what: &str) -> String {
        let lines: Vec<&str> = self
            .log
            .iter()
            .filter(|l| l.contains(what) || l.starts_with("-----"))
            .map(String::as_str)
            .collect();
        lines.join("\n")
    }

    fn all_keyed(&self) -> bool {
        DEMO_HOUSE.iter().all(|d| self.keyed.contains(*d))
    }

    fn new_client_dir(&mut self) -> PathBuf {
        self.client_dirs += 1;
        self.dir.path().join(format!("client-{}", self.client_dirs))
    }

    fn url(&self) -> String {
        format!("wss://127.0.0.1:{}", self.port)
    }

    fn start_hub(&self) -> Victim {
        let mut command = support::binary::sealhub_on(&self.config, &self.data);
        command.arg("run").env("SEALHUB_LOG", HUB_LOG);
        Victim::spawn("sealhub run", command)
    }
}

/// `sealhub client --client-dir DIR ARGS…`.
fn client(dir: &Path, args: &[&str]) -> Victim {
    let mut command = support::binary::sealhub_client(dir);
    command.args(args).env("SEALHUB_LOG", "warn");
    Victim::spawn(&format!("sealhub client {}", args[0]), command)
}

/// A setpoint in the CLI's degrees ("7.00").
fn degrees(hundredths: i64) -> String {
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The value of `key=` in a log line (up to the next space).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(key)?;
    line[at + key.len()..].split_whitespace().next()
}

/// A thermostat heating-setpoint write the emulated device carried out: its value. A Write
/// Attributes (0x02, 0x03 or 0x05) on the Thermostat cluster (0x0201) of attribute 0x0012,
/// int16 (0x29).
fn setpoint_executed(line: &str) -> Option<i64> {
    if !line.contains("emulated Zigbee device carried out a command")
        || field(line, "cluster=") != Some("0x0201")
        || field(line, "global=") != Some("true")
    {
        return None;
    }
    let payload = hex::decode(field(line, "payload=")?).ok()?;
    match payload.as_slice() {
        [0x12, 0x00, 0x29, lo, hi] => Some(i64::from(i16::from_le_bytes([*lo, *hi]))),
        _ => None,
    }
}

/// A device the hub keyed: its id.
fn keyed_device(line: &str) -> Option<String> {
    if !line.contains("device joined and keyed") {
        return None;
    }
    field(line, "device=").map(str::to_owned)
}

/// An event the watching client printed: (signer kid in hex, sequence number).
fn watched_event(line: &str) -> Option<(String, u64)> {
    let kid = field(line, "signed by kid ")?.to_owned();
    let seq = number_after(line, "(seq ")?;
    Some((kid, seq))
}

/// What the whole run has seen, across homes.
#[derive(Default)]
struct Ledger {
    /// Every (signer, sequence number) of an opened event, with the line that showed it.
    events: BTreeMap<(String, u64), String>,
    /// How often the emulated thermostat carried out each setpoint value.
    executed: BTreeMap<i64, usize>,
    /// Setpoint values sent, and those the client saw done.
    sent: BTreeSet<i64>,
    done: BTreeSet<i64>,
    next_setpoint: i64,
    kills: BTreeMap<Phase, usize>,
    /// Times the commanding client was killed (the hub left running).
    client_kills: usize,
    pairings: usize,
    /// What the watching client printed last, for the failure message.
    last_watch: String,
}

impl Ledger {
    fn take_setpoint(&mut self) -> i64 {
        let value = SETPOINTS.0 + self.next_setpoint;
        assert!(
            value <= SETPOINTS.1,
            "ran out of distinct setpoints; run fewer kills"
        );
        self.next_setpoint += 1;
        self.sent.insert(value);
        value
    }
}

/// Waits until the restarted (or new) hub serves clients with its radios up and every device
/// of the demo house is there (each Zigbee device back in range or keyed in this run; in a
/// home still being set up, every device keyed); with `kill_after_keyed` it returns early once
/// that many devices were keyed in this run (the kill moment).
fn wait_ready(hub: &mut Victim, home: &mut HomeUnderTest, kill_after_keyed: Option<usize>) {
    let mut listening = false;
    let mut gateway = false;
    let mut zigbee = false;
    let mut keyed_now = 0;
    let mut present = BTreeSet::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let up = listening && gateway && zigbee;
        if up && kill_after_keyed.is_some_and(|k| keyed_now >= k) {
            return;
        }
        let zigbee_back = DEMO_HOUSE
            .iter()
            .filter(|d| d.starts_with("zb:"))
            .all(|d| present.contains(*d));
        if up && home.all_keyed() && zigbee_back && kill_after_keyed.is_none() {
            return;
        }
        if kill_after_keyed.is_some_and(|k| k > 0 && keyed_now >= k) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(line) = hub.next_line(left) else {
            let seen = hub.kill().join("\n");
            let missing: Vec<&str> = DEMO_HOUSE
                .iter()
                .copied()
                .filter(|d| {
                    !home.keyed.contains(*d) || (d.starts_with("zb:") && !present.contains(*d))
                })
                .collect();
            panic!(
                "the hub did not become ready (listening {listening}, gateway {gateway}, \
                 Zigbee {zigbee}; not keyed in this home or not back: {missing:?}); it \
                 printed:\n{seen}"
            );
        };
        listening |= line.contains("clients' transport listening");
        gateway |= line.contains("gateway ready with the devices");
        zigbee |= line.contains("Zigbee network up");
        if line.contains("in range again, still paired")
            && let Some(eui64) = field(line, "eui64=")
        {
            present.insert(format!("zb:{eui64}"));
        }
        if let Some(device) = keyed_device(line) {
            present.insert(device.clone());
            home.keyed.insert(device);
            keyed_now += 1;
        }
    }
}

/// The setup code the hub printed in this run.
fn setup_code(hub: &mut Victim) -> String {
    if !hub.seen.iter().any(|l| l.contains("setup code:")) {
        hub.wait_for(PATIENCE, "the setup code", |l| l.contains("setup code:"));
    }
    let line = hub
        .seen
        .iter()
        .rev()
        .find(|l| l.contains("setup code:"))
        .expect("seen");
    line.split_whitespace().last().expect("a code").to_owned()
}

/// Pairs a new client with the hub; with `kill_at` the hub is killed at that moment of it
/// (0: as the client starts, 1: when the hub logs the client paired, 2: after the client
/// is done). Returns the client's directory if it says it is paired.
fn pair(
    hub: &mut Victim,
    home: &mut HomeUnderTest,
    kill_at: Option<u64>,
    ledger: &mut Ledger,
) -> Option<PathBuf> {
    let code = setup_code(hub);
    let dir = home.new_client_dir();
    let name = format!("crash-client-{}", home.client_dirs);
    let mut pairing = client(
        &dir,
        &["pair", &home.url(), "--code", &code, "--name", &name],
    );
    match kill_at {
        Some(0) => {
            hub.kill();
        }
        Some(1) => {
            // The client may fail before the hub pairs it (then the kill is after it failed).
            let deadline = Instant::now() + PATIENCE;
            while !pairing.exited() && Instant::now() < deadline {
                if hub
                    .next_line(Duration::from_millis(200))
                    .is_some_and(|l| l.contains("client paired"))
                {
                    break;
                }
            }
            hub.kill();
        }
        _ => {}
    }
    let status = pairing.wait_exit(PATIENCE);
    if kill_at.is_some() {
        hub.kill();
    }
    let paired = status.is_some_and(|s| s.success());
    let said = pairing.seen.join("\n");
    if !paired {
        assert!(kill_at.is_some(), "pairing failed with the hub up:\n{said}");
        return None;
    }
    let id = field(&said, "this client is ")
        .unwrap_or_else(|| panic!("no client id in:\n{said}"))
        .to_owned();
    home.clients.insert(id);
    ledger.pairings += 1;
    Some(dir)
}

/// Runs one command through the CLI: a heating setpoint no other command used. Returns the
/// client process (still running or done).
fn send_setpoint(home: &HomeUnderTest, ledger: &mut Ledger) -> (Victim, i64) {
    let value = ledger.take_setpoint();
    let dir = home.commander.as_ref().expect("a commander");
    let sender = client(
        dir,
        &[
            "send",
            THERMOSTAT,
            "--endpoint",
            "1",
            "setpoint",
            "heat",
            &degrees(value),
        ],
    );
    (sender, value)
}

/// What a finished `send` said: done, or failed because the hub went away. Anything else (a
/// replay refusal above all) fails the test.
fn judge_send(sender: &mut Victim, value: i64, hub_killed: bool, ledger: &mut Ledger) {
    let status = sender.wait_exit(PATIENCE);
    let said = sender.seen.join("\n");
    assert!(
        !said.to_lowercase().contains("replay"),
        "setpoint {value}: the hub refused the client's command as a replay (a reused \
         sequence number):\n{said}"
    );
    if status.is_some_and(|s| s.success()) {
        assert!(said.contains("done"), "setpoint {value}: {said}");
        ledger.done.insert(value);
    } else {
        assert!(
            hub_killed,
            "setpoint {value}: the command failed with the hub up:\n{said}"
        );
    }
}

/// The checks after a kill, on the store of the dead hub and on what the run has seen.
fn check_after_kill(home: &mut HomeUnderTest, ledger: &mut Ledger, kill: usize, hub: &[String]) {
    home.log
        .push(format!("----- hub run ending in kill {kill} -----"));
    home.log.extend(hub.iter().cloned());
    for line in hub {
        if let Some(device) = keyed_device(line) {
            home.keyed.insert(device);
        }
        if let Some(value) = setpoint_executed(line) {
            *ledger.executed.entry(value).or_default() += 1;
        }
    }
    // The clients' sequence numbers: the hub refuses (and logs) a command whose number it
    // has seen, so a client that reused one after a restart shows here.
    if let Some(refused) = hub.iter().find(|l| l.contains("refused a command")) {
        panic!("kill {kill}: the hub refused a client's command: {refused}");
    }
    let store = Store::open(&home.data, &KekSource::default_key_file(&home.data))
        .unwrap_or_else(|e| panic!("kill {kill}: the store does not open: {e}"));
    let ids = |tree: &str| -> BTreeSet<String> {
        store
            .iter(tree)
            .map(|r| {
                let (key, _) = r.unwrap_or_else(|e| panic!("kill {kill}: a {tree} record: {e}"));
                String::from_utf8_lossy(&key).into_owned()
            })
            .filter(|id| id != "hub")
            .collect()
    };
    // Device keys.
    let keys = ids(KEYS);
    let records = ids(RECORDS);
    // A device keyed a moment before the kill may have its key and record without the hub
    // having logged it yet: it is keyed all the same, and must stay so.
    home.keyed.extend(
        keys.intersection(&records)
            .filter(|d| DEMO_HOUSE.contains(&d.as_str()))
            .cloned(),
    );
    for device in &home.keyed {
        assert!(
            keys.contains(device) && records.contains(device),
            "kill {kill}: device {device} was keyed but its key ({}) or record ({}) is gone; \
             the hub's log of it:\n{}",
            keys.contains(device),
            records.contains(device),
            home.log_of(device.trim_start_matches("zb:"))
        );
    }
    let unrecorded: Vec<_> = keys.difference(&records).collect();
    assert!(
        unrecorded.is_empty(),
        "kill {kill}: device keys without a registry record: {unrecorded:?}"
    );
    // Paired clients.
    let clients = ids(CLIENTS);
    for id in &home.clients {
        assert!(
            clients.contains(id),
            "kill {kill}: client {id} was told it is paired but the home lost it ({clients:?})"
        );
    }
    // Sequence ceilings: persisted before use, never going back.
    let mut ceilings = BTreeMap::new();
    for record in store.iter(SEQUENCE) {
        let (kid, value) = record.unwrap_or_else(|e| panic!("kill {kill}: a ceiling: {e}"));
        let ceiling = u64::from_be_bytes(value.as_slice().try_into().expect("8-byte ceiling"));
        ceilings.insert(kid.to_vec(), ceiling);
    }
    for (kid, before) in &home.ceilings {
        let now = ceilings.get(kid).copied().unwrap_or(0);
        assert!(
            now >= *before,
            "kill {kill}: the ceiling of {} went back from {before} to {now}",
            hex::encode(kid)
        );
    }
    for (kid, seq) in &home.highest_seen {
        let raw = hex::decode(kid).expect("a hex kid");
        let ceiling = ceilings.get(&raw).copied().unwrap_or(0);
        assert!(
            *seq < ceiling,
            "kill {kill}: {kid} used sequence number {seq} but its persisted ceiling is \
             {ceiling}: after the restart it could use it again"
        );
    }
    home.ceilings = ceilings;
    // Commands carried out at most once.
    for (value, times) in &ledger.executed {
        assert!(
            *times <= 1 || !ledger.sent.contains(value),
            "kill {kill}: the command setting {value} was carried out {times} times"
        );
    }
    for value in &ledger.done {
        assert_eq!(
            ledger.executed.get(value),
            Some(&1),
            "kill {kill}: the client saw setpoint {value} done, but the device's record says \
             otherwise"
        );
    }
}

/// Reads what the watching client printed: every event's (signer, sequence number) must be
/// new to the whole run.
fn take_watched(watch: Option<&mut Victim>, home: &mut HomeUnderTest, ledger: &mut Ledger) {
    let Some(watch) = watch else { return };
    watch.wait_exit(PATIENCE);
    let said = watch.seen.join("\n");
    assert!(
        !said.to_lowercase().contains("replay"),
        "the watching client refused something as a replay:\n{said}"
    );
    ledger.last_watch = said;
    for line in &watch.seen {
        let Some((kid, seq)) = watched_event(line) else {
            continue;
        };
        if let Some(earlier) = ledger.events.insert((kid.clone(), seq), line.clone()) {
            panic!("sequence number {seq} of {kid} used twice:\n{earlier}\n{line}");
        }
        let highest = home.highest_seen.entry(kid).or_default();
        *highest = (*highest).max(seq);
    }
}

#[test]
fn the_hub_survives_sigkill_at_random_moments_without_reuse_double_execution_or_loss() {
    let started = Instant::now();
    let total = env_number("SEALHUB_CRASH_KILLS", CI_KILLS);
    let mut rng = KillRng::from_env();
    let mut ledger = Ledger::default();
    let mut home = HomeUnderTest::new();
    let mut homes = 1;
    for kill in 0..total {
        if home.kills >= KILLS_PER_HOME {
            home = HomeUnderTest::new();
            homes += 1;
        }
        home.kills += 1;
        let mut hub = home.start_hub();
        let mut watch = None;
        let phase;
        if !home.all_keyed() && home.setup_kills < 2 {
            home.setup_kills += 1;
            // A home being set up: killed while the demo house joins, or while the network
            // backup of it is sealed.
            if !home.keyed.is_empty() || rng.percent(60) {
                phase = Phase::Joining;
                let remaining = DEMO_HOUSE.len() - home.keyed.len();
                let k = rng.below(remaining as u64 + 1) as usize;
                wait_ready(&mut hub, &mut home, Some(k));
            } else {
                // The first backup of the joined devices (a fresh home's first start).
                phase = Phase::Backup;
                hub.wait_for(PATIENCE, "a sealed network backup", |l| {
                    l.contains("Zigbee network backup sealed")
                });
            }
            hub.kill();
        } else {
            wait_ready(&mut hub, &mut home, None);
            if let Some(dir) = &home.watcher {
                let mut w = client(dir, &["watch"]);
                if rng.percent(15) {
                    // Killed as the watcher's session opens (its key distribution).
                    hub.wait_for(PATIENCE, "a session", |l| {
                        l.contains("upgrading to a client session")
                    });
                    hub.kill();
                    watch = Some(w);
                    *ledger.kills.entry(Phase::KeyDistribution).or_default() += 1;
                    finish_kill(&mut home, &mut ledger, kill, hub, watch.as_mut());
                    continue;
                }
                w.wait_for(PATIENCE, "watching", |l| l.contains("watching events"));
                watch = Some(w);
            }
            let needs_pairing = home.commander.is_none() || home.watcher.is_none();
            let choice = rng.below(10);
            if needs_pairing || choice < 2 {
                phase = Phase::Pairing;
                let kill_at = if needs_pairing && rng.percent(70) {
                    None
                } else {
                    Some(rng.below(3))
                };
                let paired = pair(&mut hub, &mut home, kill_at, &mut ledger);
                if home.commander.is_none() {
                    home.commander = paired;
                } else if home.watcher.is_none() {
                    home.watcher = paired;
                }
                if kill_at.is_none() {
                    // Paired without a kill: the kill comes while a command runs (or, with
                    // no commander yet, at once).
                    if home.commander.is_some() {
                        command_with_kill(&mut hub, &home, &mut rng, &mut ledger);
                    }
                    hub.kill();
                }
            } else if choice < 4 {
                phase = Phase::KeyDistribution;
                let dir = home.commander.clone().expect("commander");
                let mut listing = client(&dir, &["devices"]);
                if rng.percent(50) {
                    hub.wait_for(PATIENCE, "a session", |l| {
                        l.contains("upgrading to a client session")
                    });
                }
                hub.kill();
                let status = listing.wait_exit(PATIENCE);
                let said = listing.seen.join("\n");
                assert!(!said.to_lowercase().contains("replay"), "{said}");
                if status.is_some_and(|s| s.success()) {
                    for d in DEMO_HOUSE {
                        assert!(said.contains(d), "kill {kill}: {d} missing from:\n{said}");
                    }
                }
            } else {
                phase = Phase::Command;
                command_with_kill(&mut hub, &home, &mut rng, &mut ledger);
                hub.kill();
            }
        }
        *ledger.kills.entry(phase).or_default() += 1;
        finish_kill(&mut home, &mut ledger, kill, hub, watch.as_mut());
        if (kill + 1) % 50 == 0 {
            eprintln!(
                "{} kills survived ({:?}), {:?}",
                kill + 1,
                ledger.kills,
                started.elapsed()
            );
        }
    }
    // The run proved something: commands ran and were checked, events were seen.
    assert!(
        !ledger.done.is_empty() && !ledger.events.is_empty(),
        "no command was done or no event seen: the run proved nothing ({} done, {} events); \
         the watcher last said:\n{}",
        ledger.done.len(),
        ledger.events.len(),
        ledger.last_watch
    );
    eprintln!(
        "survived {total} kills in {homes} homes ({:?}); {} commands sent, {} seen done, {} \
         carried out; {} events from {} signers; {} clients paired; the commanding client \
         killed {} times; {:?}",
        ledger.kills,
        ledger.sent.len(),
        ledger.done.len(),
        ledger
            .executed
            .keys()
            .filter(|v| ledger.sent.contains(v))
            .count(),
        ledger.events.len(),
        ledger
            .events
            .keys()
            .map(|(kid, _)| kid)
            .collect::<BTreeSet<_>>()
            .len(),
        ledger.pairings,
        ledger.client_kills,
        started.elapsed()
    );
}

/// Sends one to three commands; the hub is killed at a seeded moment of the last one: as the
/// client starts, when the emulated device carried it out (before the hub answered), when the
/// hub logs it executed, or after the client is done. The caller kills the hub (again).
fn command_with_kill(
    hub: &mut Victim,
    home: &HomeUnderTest,
    rng: &mut KillRng,
    ledger: &mut Ledger,
) {
    if rng.percent(30) {
        client_killed_then_next(hub, home, rng, ledger);
    }
    let count = 1 + rng.below(3);
    for i in 0..count {
        let (mut sender, value) = send_setpoint(home, ledger);
        if i + 1 < count {
            judge_send(&mut sender, value, false, ledger);
            continue;
        }
        match rng.below(4) {
            0 => {}
            1 => hub.wait_for(PATIENCE, "the device carrying the command out", |l| {
                setpoint_executed(l) == Some(value)
            }),
            2 => hub.wait_for(PATIENCE, "the command executed", |l| {
                l.contains("command executed") && l.contains(THERMOSTAT)
            }),
            _ => {
                judge_send(&mut sender, value, false, ledger);
                return;
            }
        }
        hub.kill();
        judge_send(&mut sender, value, true, ledger);
    }
}

/// The commanding client killed with SIGKILL at a seeded moment of a command (as it starts,
/// as its session opens, or when the emulated device carried the command out, before the
/// client saw the answer), the hub left running; then the restarted client, from its store,
/// sends the next command, which must be done: had it reused a sequence number the hub would
/// refuse the command as a replay (and log it, which `check_after_kill` looks for).
fn client_killed_then_next(
    hub: &mut Victim,
    home: &HomeUnderTest,
    rng: &mut KillRng,
    ledger: &mut Ledger,
) {
    let (mut killed, value) = send_setpoint(home, ledger);
    match rng.below(3) {
        0 => {}
        1 => hub.wait_for(PATIENCE, "the client's session", |l| {
            l.contains("upgrading to a client session")
        }),
        _ => hub.wait_for(PATIENCE, "the device carrying the command out", |l| {
            setpoint_executed(l) == Some(value)
        }),
    }
    let said = killed.kill().join("\n");
    assert!(
        !said.to_lowercase().contains("replay"),
        "setpoint {value}: the killed client reported a replay:\n{said}"
    );
    ledger.client_kills += 1;
    let (mut next, value) = send_setpoint(home, ledger);
    judge_send(&mut next, value, false, ledger);
}

/// After a kill: the watcher's events, then the checks.
fn finish_kill(
    home: &mut HomeUnderTest,
    ledger: &mut Ledger,
    kill: usize,
    mut hub: Victim,
    watch: Option<&mut Victim>,
) {
    let lines = hub.kill().to_vec();
    take_watched(watch, home, ledger);
    check_after_kill(home, ledger, kill, &lines);
}

/// Regression: a Zigbee device keyed a moment before a kill, before the network backup that
/// lists it was sealed, was taken for a reset device on the restart (the emulated stick starts
/// blank and took its devices from the backup alone): it joined afresh, its key was revoked,
/// and a kill during its new interview left it with no key at all. The stick keeps a device
/// from the moment it joins; after the restart the device must be back with the same key.
#[test]
fn a_zigbee_device_keyed_just_before_a_kill_keeps_its_key() {
    use sealhub::radio::zigbee_network::ZigbeeNetwork;
    // The kill must come between the keying and the backup (sealed 2 s after the joins);
    // killed as soon as the last device is keyed, it nearly always does, and the store says
    // whether it did. A home where the backup won the race is set aside for another.
    for _attempt in 0..3 {
        let mut home = HomeUnderTest::new();
        let mut hub = home.start_hub();
        wait_ready(&mut hub, &mut home, None);
        let first_run = hub.kill().to_vec();
        let kids: BTreeMap<String, String> = first_run
            .iter()
            .filter_map(|l| Some((keyed_device(l)?, field(l, "kid=")?.to_owned())))
            .collect();
        let store = Store::open(&home.data, &KekSource::default_key_file(&home.data))
            .expect("the store opens");
        let network = ZigbeeNetwork::load(store.handle()).expect("the network record");
        let backed_up: BTreeSet<String> = network
            .stored()
            .map(|b| {
                b.devices
                    .iter()
                    .map(|d| format!("zb:{:016x}", u64::from_le_bytes(d.ieee_address)))
                    .collect()
            })
            .unwrap_or_default();
        drop(network);
        drop(store);
        let unsealed: Vec<&String> = kids
            .keys()
            .filter(|d| d.starts_with("zb:") && !backed_up.contains(*d))
            .collect();
        if unsealed.is_empty() {
            continue;
        }
        let mut hub = home.start_hub();
        wait_ready(&mut hub, &mut home, None);
        let second_run = hub.kill().to_vec();
        let log = second_run.join("\n");
        for device in unsealed {
            let eui64 = device.trim_start_matches("zb:");
            assert!(
                log.contains(&format!("in range again, still paired eui64={eui64}")),
                "{device} is not back as it was:\n{log}"
            );
            assert!(
                !second_run
                    .iter()
                    .any(|l| l.contains(device.as_str()) && l.contains("revok")),
                "{device} (kid {}) lost its key:\n{log}",
                kids[device]
            );
        }
        return;
    }
    panic!("three times the backup was sealed before the kill; the case was never tried");
}
