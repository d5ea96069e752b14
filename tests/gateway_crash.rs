//! A device's key and its registry record are written together and deleted together: a child
//! process admits Zigbee devices (join, interview, key) and lets some leave (revocation) in a
//! loop and is killed with SIGKILL at random moments; after every kill the reopened store
//! holds a key for exactly the devices it holds a record for, every device the child saw
//! admitted, and none it saw leave.
//!
//! The child is this test binary itself, re-executed with `SEALHUB_GATEWAY_CRASH_CHILD=<data
//! dir>` and filtered to [`crash_child_admitting_devices`], which does nothing without it.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sealhub::crypto::random_array;
use sealhub::definitions::Definitions;
use sealhub::gateway::core::{Gateway, GatewayConfig, Input};
use sealhub::store::{KekSource, Store};
use sealhub_radios::zigbee::driver::{JoinKind, RadioEvent};
use support::*;

const CHILD_ENV: &str = "SEALHUB_GATEWAY_CRASH_CHILD";
const ROUNDS: usize = 8;
/// Home's tree of device keys, and the registry's tree.
const KEYS: &str = "devices";
const RECORDS: &str = "gateway-devices";

fn eui64(n: u64) -> u64 {
    0x00AB_0000_0000_0000 | n
}

/// Not a test on its own: the child's loop. Device `n` joins and is interviewed (its key and
/// record are written), then prints `ADMITTED n`; every third device, the one before it leaves
/// (its key and record are deleted), then `LEFT n-1`.
#[test]
fn crash_child_admitting_devices() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let (mut home, store) = open_home(&dir);
    let now = Instant::now();
    let (mut gateway, _) = Gateway::open(
        &mut home,
        store.handle(),
        Definitions::default(),
        Box::new(FakeTranslation),
        GatewayConfig::default(),
        now,
    )
    .expect("child opens the gateway");
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY")
        .and_then(|_| out.flush())
        .expect("stdout");
    // Each round starts at a random multiple of 3, so rounds do not reuse devices.
    let mut n = random_below(1 << 30) * 3;
    loop {
        let e = eui64(n);
        gateway.handle(
            &mut home,
            Input::Zigbee(RadioEvent::DeviceJoined {
                eui64: e,
                node_id: (n & 0xFFFF) as u16,
                kind: JoinKind::Fresh,
            }),
            now,
        );
        gateway.handle(
            &mut home,
            Input::ZigbeeInterviewed {
                eui64: e,
                result: Ok(zigbee_description(
                    (n & 0xFFFF) as u16,
                    &[(1, &[ON_OFF])],
                    None,
                )),
            },
            now,
        );
        writeln!(out, "ADMITTED {n}")
            .and_then(|_| out.flush())
            .expect("stdout");
        if n % 3 == 2 {
            gateway.handle(
                &mut home,
                Input::Zigbee(RadioEvent::DeviceLeft {
                    eui64: eui64(n - 1),
                    node_id: ((n - 1) & 0xFFFF) as u16,
                }),
                now,
            );
            writeln!(out, "LEFT {}", n - 1)
                .and_then(|_| out.flush())
                .expect("stdout");
        }
        n += 1;
    }
}

fn spawn_child(dir: &Path) -> Child {
    Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "--exact",
            "crash_child_admitting_devices",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child")
}

fn forward_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn random_below(bound: u64) -> u64 {
    u64::from_be_bytes(random_array::<8>().expect("rng")) % bound
}

fn keys_of(store: &Store, tree: &str, round: usize) -> BTreeSet<String> {
    store
        .iter(tree)
        .map(|r| {
            let (key, _) = r.unwrap_or_else(|e| panic!("round {round}: {tree} record: {e}"));
            String::from_utf8(key.to_vec()).expect("device id")
        })
        .filter(|id| id != "hub")
        .collect()
}

fn number(line: &str, word: &str) -> Option<u64> {
    let at = line.find(word)?;
    line[at + word.len()..].trim().parse().ok()
}

#[test]
fn a_device_key_never_exists_without_its_record_or_the_other_way_round() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = support::tempdir();
    let mut admitted_total = 0;
    for round in 0..ROUNDS {
        let mut child = spawn_child(dir.path());
        let lines = forward_lines(&mut child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) if line.contains("READY") => break,
                Ok(_) => {}
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("round {round}: the child never started ({e})");
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20 + random_below(150)));
        child.kill().expect("kill -9");
        child.wait().expect("reap child");
        let printed: Vec<String> = lines.iter().collect();
        let admitted: BTreeSet<u64> = printed
            .iter()
            .filter_map(|l| number(l, "ADMITTED "))
            .collect();
        let left: BTreeSet<u64> = printed.iter().filter_map(|l| number(l, "LEFT ")).collect();
        admitted_total += admitted.len();

        let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path()))
            .unwrap_or_else(|e| panic!("round {round}: the store does not open: {e}"));
        let keys = keys_of(&store, KEYS, round);
        let records = keys_of(&store, RECORDS, round);
        assert_eq!(
            keys, records,
            "round {round}: keys and records differ (half a batch)"
        );
        // The child may have been killed after a device's revocation was written but before
        // it printed LEFT: only that one device may be gone without a word.
        let leaving = admitted
            .iter()
            .max()
            .filter(|last| *last % 3 == 2)
            .map(|last| last - 1);
        for n in &admitted {
            let id = sealhub::model::zigbee_device_id(eui64(*n)).to_string();
            if left.contains(n) {
                assert!(!records.contains(&id), "round {round}: device {n} left");
            } else if Some(*n) != leaving {
                assert!(records.contains(&id), "round {round}: device {n} admitted");
            }
        }
    }
    assert!(
        admitted_total > 0,
        "the child never admitted a device; the test proved nothing"
    );
    eprintln!("{ROUNDS} kills, {admitted_total} devices admitted");
}
