//! Crash safety of [`Store::apply`]: a child process applies batches in a loop and is killed
//! with SIGKILL at random moments; after every kill the store must open, hold every batch the
//! child reported as applied, and hold no half-applied batch.
//!
//! The child is this test binary itself, re-executed with `SEALHUB_CRASH_CHILD=<data dir>` and
//! filtered to [`crash_child_writer`], which does nothing when the variable is absent.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sealhub::crypto::random_array;
use sealhub::store::{KekSource, Store, WriteBatch};

const CHILD_ENV: &str = "SEALHUB_CRASH_CHILD";
const ROUNDS: usize = 25;

fn device_value(n: u64) -> Vec<u8> {
    format!("device #{n} with a private key").into_bytes()
}

fn cert_value(n: u64) -> Vec<u8> {
    format!("certificate for device #{n}").into_bytes()
}

fn counter(store: &Store) -> u64 {
    match store.get("counters", b"next").expect("read counter") {
        Some(bytes) => u64::from_be_bytes(bytes.as_slice().try_into().expect("8-byte counter")),
        None => 0,
    }
}

/// Not a test on its own: the writer loop run by the child process. Each batch writes
/// `devices/<n>`, `certs/<n>` and `counters/next = n + 1`, then prints `COMMITTED <n + 1>`.
#[test]
fn crash_child_writer() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let store = Store::open(&dir, &KekSource::default_key_file(&dir)).expect("child open");
    let mut n = counter(&store);
    // Written straight to fd 1, so the test harness's output capture does not hold it back.
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY {n}")
        .and_then(|_| out.flush())
        .expect("stdout");
    loop {
        let mut batch = WriteBatch::new();
        batch
            .put("devices", &n.to_be_bytes(), &device_value(n))
            .put("certs", &n.to_be_bytes(), &cert_value(n))
            .put("counters", b"next", &(n + 1).to_be_bytes());
        store.apply(batch).expect("apply");
        n += 1;
        writeln!(out, "COMMITTED {n}")
            .and_then(|_| out.flush())
            .expect("stdout");
    }
}

fn spawn_writer(dir: &Path) -> Child {
    Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "--exact",
            "crash_child_writer",
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

/// Forwards the child's stdout lines to a channel (which closes when the child dies), so the
/// parent can wait for them with a timeout instead of hanging on a stuck child.
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

/// Checks the invariant after a crash and returns the counter.
fn verify(dir: &Path, committed: u64, previous: u64, round: usize) -> u64 {
    let store = Store::open(dir, &KekSource::default_key_file(dir))
        .unwrap_or_else(|e| panic!("round {round}: store does not open after a kill: {e}"));
    let next = counter(&store);
    assert!(
        next >= committed,
        "round {round}: child reported batch {committed} applied, store only has {next}"
    );
    assert!(
        next >= previous,
        "round {round}: counter went back from {previous} to {next}"
    );
    let expected: BTreeSet<u64> = (0..next).collect();
    for (tree, value) in [
        ("devices", device_value as fn(u64) -> Vec<u8>),
        ("certs", cert_value),
    ] {
        let mut seen = BTreeSet::new();
        for record in store.iter(tree) {
            let (key, plain) = record
                .unwrap_or_else(|e| panic!("round {round}: {tree} record does not decrypt: {e}"));
            let n = u64::from_be_bytes(key.as_slice().try_into().expect("8-byte key"));
            assert_eq!(
                plain.as_slice(),
                value(n).as_slice(),
                "round {round}: {tree}/{n}"
            );
            seen.insert(n);
        }
        let missing: Vec<_> = expected.difference(&seen).collect();
        let extra: Vec<_> = seen.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "round {round}: counter is {next} but {tree} is missing {missing:?} and has extra \
             {extra:?} (half-applied batch)"
        );
    }
    next
}

/// Behaviour: killing a process with SIGKILL at random moments while it applies multi-tree
/// batches never leaves a batch half applied, never loses a batch whose `apply` returned, and
/// never makes the store unopenable.
#[test]
fn killing_the_writer_never_leaves_half_a_batch() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let started = Instant::now();
    let dir = support::tempdir();
    drop(Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("create"));

    let mut previous = 0;
    let mut interrupted_mid_stream = 0;
    for round in 0..ROUNDS {
        let mut child = spawn_writer(dir.path());
        let lines = forward_lines(&mut child);
        let committed_in = |l: &str| {
            let at = l.find("COMMITTED ")?;
            l[at + "COMMITTED ".len()..].trim().parse::<u64>().ok()
        };
        // The last batch the child reported before the kill, read while waiting for it.
        let mut seen_committed = None;
        // Every fifth round kills the child early, possibly while it opens the store.
        if round % 5 == 4 {
            std::thread::sleep(Duration::from_millis(random_below(20)));
        } else {
            // Killed mid-stream by what the child reports, not by a real-time guess (a 5-80 ms
            // sleep after READY let a slow machine kill it before its first commit): wait until
            // it has reported 1 to 4 new commits, then kill it within a few ms while it goes on
            // writing. The wait is bounded only against a hung child.
            let want = 1 + random_below(4);
            let mut new_commits = 0;
            let mut ready = false;
            let deadline = Instant::now() + Duration::from_secs(60);
            while new_commits < want {
                let left = deadline.saturating_duration_since(Instant::now());
                match lines.recv_timeout(left) {
                    // libtest may print "test crash_child_writer ... " on the same line first.
                    Ok(line) if line.contains("READY") => ready = true,
                    Ok(line) => {
                        if let Some(n) = committed_in(&line) {
                            seen_committed = Some(n);
                            new_commits += u64::from(ready);
                        }
                    }
                    Err(e) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        panic!(
                            "round {round}: child opened the store ({ready}) but did not commit ({e})"
                        );
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(random_below(5)));
        }
        child.kill().expect("kill -9");
        child.wait().expect("reap child");
        // Whatever the child printed before it died: the last batch it saw `apply` return for.
        let committed = lines
            .iter()
            .filter_map(|l| committed_in(&l))
            .last()
            .or(seen_committed)
            .unwrap_or(0);
        let next = verify(dir.path(), committed, previous, round);
        if next > previous {
            interrupted_mid_stream += 1;
        }
        previous = next;
    }
    assert!(
        previous > 0,
        "the child never applied a batch; the test proved nothing"
    );
    assert!(
        interrupted_mid_stream >= ROUNDS / 2,
        "too few rounds were killed while writing"
    );
    eprintln!(
        "{ROUNDS} kills, {previous} batches applied, {interrupted_mid_stream} rounds killed \
         mid-stream, {:?}",
        started.elapsed()
    );
}
