//! Crash safety of [`Store::apply`] and [`Store::stage`]: a child process writes batches in a
//! loop and is killed with SIGKILL at random moments; after every kill the store must open,
//! hold every batch the child reported as applied (or staged and then flushed), hold no
//! half-applied batch, and of staged batches keep a prefix (a later one never without an
//! earlier one).
//!
//! The child is this test binary itself, re-executed with `SEALHUB_CRASH_CHILD=<data dir>` and
//! filtered to [`crash_child_writer`], which does nothing when the variable is absent; the kill
//! harness and the seeded kill moments are `support::kill`'s.

mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sealhub::store::{KekSource, Store, WriteBatch};
use support::kill::{KillRng, Victim, number_after};

const CHILD_ENV: &str = "SEALHUB_CRASH_CHILD";
const STAGER_ENV: &str = "SEALHUB_CRASH_STAGER";
const ROUNDS: usize = 25;

fn device_value(n: u64) -> Vec<u8> {
    format!("device #{n} with a private key").into_bytes()
}

fn cert_value(n: u64) -> Vec<u8> {
    format!("certificate for device #{n}").into_bytes()
}

/// The counter `counters/<name>` (0 before the first write).
fn counter_named(store: &Store, name: &[u8]) -> u64 {
    match store.get("counters", name).expect("read counter") {
        Some(bytes) => u64::from_be_bytes(bytes.as_slice().try_into().expect("8-byte counter")),
        None => 0,
    }
}

fn counter(store: &Store) -> u64 {
    counter_named(store, b"next")
}

/// The child process's loop, when `env` names its store's directory: opens the store, prints
/// `READY <n>`, then runs `round(store, n)` and prints `COMMITTED <n + 1>` for ever.
fn run_child(env: &str, mut round: impl FnMut(&Store, u64)) {
    let Some(dir) = std::env::var_os(env) else {
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
        round(&store, n);
        n += 1;
        writeln!(out, "COMMITTED {n}")
            .and_then(|_| out.flush())
            .expect("stdout");
    }
}

/// Not a test on its own: the writer loop run by the child process. Each batch writes
/// `devices/<n>`, `certs/<n>` and `counters/next = n + 1`, then prints `COMMITTED <n + 1>`.
#[test]
fn crash_child_writer() {
    run_child(CHILD_ENV, |store, n| {
        let mut batch = WriteBatch::new();
        batch
            .put("devices", &n.to_be_bytes(), &device_value(n))
            .put("certs", &n.to_be_bytes(), &cert_value(n))
            .put("counters", b"next", &(n + 1).to_be_bytes());
        store.apply(batch).expect("apply");
    });
}

fn staged_counter(store: &Store) -> u64 {
    counter_named(store, b"staged")
}

/// Not a test on its own: the staging writer run by the child process. Each round stages
/// `devices/<n>` with `counters/staged = n + 1`, then `certs/<n>` with `counters/next = n + 1`
/// in a second batch, flushes both at once and prints `COMMITTED <n + 1>` (as a command's
/// replay window and journal entry share one flush).
#[test]
fn crash_child_stager() {
    run_child(STAGER_ENV, |store, n| {
        let mut first = WriteBatch::new();
        first
            .put("devices", &n.to_be_bytes(), &device_value(n))
            .put("counters", b"staged", &(n + 1).to_be_bytes());
        store.stage(first).expect("stage");
        let mut second = WriteBatch::new();
        second.put("certs", &n.to_be_bytes(), &cert_value(n)).put(
            "counters",
            b"next",
            &(n + 1).to_be_bytes(),
        );
        store.stage(second).expect("stage");
        store.flush().expect("flush");
    });
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
    if std::env::var_os(CHILD_ENV).is_some() || std::env::var_os(STAGER_ENV).is_some() {
        return;
    }
    let started = Instant::now();
    let dir = support::tempdir();
    drop(Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("create"));

    let mut rng = KillRng::from_env();
    let mut previous = 0;
    let mut interrupted_mid_stream = 0;
    for round in 0..ROUNDS {
        let mut child = Victim::spawn_self("crash_child_writer", (CHILD_ENV, dir.path()));
        // Every fifth round kills the child as soon as it is started, possibly while it opens
        // the store. The others kill it mid-stream by what it reports, not by a real-time
        // guess: once it has reported 1 to 4 new commits, while it goes on writing. The wait
        // is bounded only against a hung child.
        if round % 5 != 4 {
            let want = 1 + rng.below(4) as usize;
            child.wait_for(Duration::from_secs(60), "READY", |l| l.contains("READY"));
            let mut new_commits = 0;
            child.wait_for(Duration::from_secs(60), "commits", |l| {
                // libtest may print "test crash_child_writer ... " on the same line first.
                if l.contains("COMMITTED ") {
                    new_commits += 1;
                }
                new_commits >= want
            });
        }
        // Whatever the child printed before it died: the last batch it saw `apply` return for.
        let committed = child
            .kill()
            .iter()
            .rev()
            .find_map(|l| number_after(l, "COMMITTED "))
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

/// Checks a staging writer's store after a crash: every flushed round there, no half batch,
/// and the staged batches a prefix (the first batch of a round may be there without the
/// second, never the second without the first). Returns the counter.
fn verify_staged(dir: &Path, committed: u64, previous: u64, round: usize) -> u64 {
    let store = Store::open(dir, &KekSource::default_key_file(dir))
        .unwrap_or_else(|e| panic!("round {round}: store does not open after a kill: {e}"));
    let next = counter(&store);
    let staged = staged_counter(&store);
    assert!(
        next >= committed && next >= previous,
        "round {round}: flushed {committed} (before: {previous}), store has {next}"
    );
    assert!(
        staged == next || staged == next + 1,
        "round {round}: staged batches kept out of order: first batches {staged}, second {next}"
    );
    for (tree, count) in [("devices", staged), ("certs", next)] {
        let seen: BTreeSet<u64> = store
            .iter(tree)
            .map(|r| {
                let (key, _) = r.unwrap_or_else(|e| panic!("round {round}: {tree}: {e}"));
                u64::from_be_bytes(key.as_slice().try_into().expect("8-byte key"))
            })
            .collect();
        assert_eq!(
            seen,
            (0..count).collect::<BTreeSet<u64>>(),
            "round {round}: {tree} does not match its counter {count} (half a batch)"
        );
    }
    next
}

/// Behaviour: a writer that stages two batches and flushes them together, killed with SIGKILL
/// at random moments, never loses a flushed round, never leaves half a batch, and never keeps
/// a staged batch without the ones staged before it (`Store::stage`'s promise, on which a
/// command's single flush of replay window and journal entry rests).
#[test]
fn killing_a_staging_writer_keeps_every_flushed_batch_and_a_prefix_of_the_rest() {
    if std::env::var_os(CHILD_ENV).is_some() || std::env::var_os(STAGER_ENV).is_some() {
        return;
    }
    let dir = support::tempdir();
    drop(Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("create"));
    let mut rng = KillRng::from_env();
    let mut previous = 0;
    for round in 0..ROUNDS {
        let mut child = Victim::spawn_self("crash_child_stager", (STAGER_ENV, dir.path()));
        let want = 1 + rng.below(4) as usize;
        child.wait_for(Duration::from_secs(60), "READY", |l| l.contains("READY"));
        let mut new_commits = 0;
        child.wait_for(Duration::from_secs(60), "commits", |l| {
            if l.contains("COMMITTED ") {
                new_commits += 1;
            }
            new_commits >= want
        });
        let committed = child
            .kill()
            .iter()
            .rev()
            .find_map(|l| number_after(l, "COMMITTED "))
            .unwrap_or(0);
        previous = verify_staged(dir.path(), committed, previous, round);
    }
    assert!(previous > 0, "the child never flushed a round");
}
