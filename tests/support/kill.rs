//! The crash tests' one kill harness: a child process whose stdout and stderr lines reach the
//! test through a channel (so every wait is bounded and a hung child fails the test instead
//! of hanging it), killed with SIGKILL and reaped, with what it printed before it died; and a
//! seeded random source, so the moments a test kills at are reproducible.
//!
//! The seed comes from `SEALHUB_CRASH_SEED` when set, else from the operating system; the test
//! prints it (`crash seed: N`) so a failure can be run again with the same kills.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The variable that fixes the seed of [`KillRng::from_env`].
pub const SEED_ENV: &str = "SEALHUB_CRASH_SEED";

/// A small seeded generator (SplitMix64): the same seed gives the same kill moments.
pub struct KillRng {
    state: u64,
    /// The seed it started from, for the failure message.
    pub seed: u64,
}

impl KillRng {
    /// Seeded from `SEALHUB_CRASH_SEED`, else from the operating system; prints the seed.
    pub fn from_env() -> KillRng {
        let seed = match std::env::var(SEED_ENV) {
            Ok(text) => text
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{SEED_ENV}={text:?} is not a number")),
            Err(_) => u64::from_be_bytes(sealhub::crypto::random_array::<8>().expect("rng")),
        };
        eprintln!("crash seed: {seed} (run again with {SEED_ENV}={seed})");
        KillRng::new(seed)
    }

    /// Seeded with `seed`.
    pub fn new(seed: u64) -> KillRng {
        KillRng { state: seed, seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A number read from an environment variable, or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
        Err(_) => default,
    }
}

/// A running child whose output lines the test reads with bounded waits.
pub struct Victim {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far (stdout and stderr interleaved as they arrived).
    pub seen: Vec<String>,
    /// What the test calls it in messages.
    pub name: String,
}

fn forward(stream: impl Read + Send + 'static, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
}

impl Victim {
    /// Starts `command` with stdin closed and its stdout and stderr read line by line.
    pub fn spawn(name: &str, mut command: Command) -> Victim {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let (tx, lines) = mpsc::channel();
        forward(child.stdout.take().expect("stdout is piped"), tx.clone());
        forward(child.stderr.take().expect("stderr is piped"), tx);
        Victim {
            child,
            lines,
            seen: Vec::new(),
            name: name.to_owned(),
        }
    }

    /// This test binary run again as a child, filtered to the test `test_name`, with `env` set
    /// (the child test does its work only when it sees that variable).
    pub fn spawn_self(test_name: &str, env: (&str, &std::path::Path)) -> Victim {
        let mut command = Command::new(std::env::current_exe().expect("current exe"));
        command
            .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
            .env(env.0, env.1);
        Victim::spawn(test_name, command)
    }

    /// The next line, waiting at most `patience`; `None` when the child closed its output
    /// (it died) or the time ran out.
    pub fn next_line(&mut self, patience: Duration) -> Option<&str> {
        let line = self.lines.recv_timeout(patience).ok()?;
        self.seen.push(line);
        self.seen.last().map(String::as_str)
    }

    /// Reads until a line `wanted` accepts; panics (killing the child first) when the child
    /// dies or `patience` runs out before one came, showing what it printed.
    pub fn wait_for(
        &mut self,
        patience: Duration,
        what: &str,
        mut wanted: impl FnMut(&str) -> bool,
    ) {
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = wanted(&line);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(e) => {
                    self.kill();
                    panic!(
                        "{}: never saw {what} ({e}); it printed:\n{}",
                        self.name,
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// Kills it with SIGKILL (a no-op if it is already dead), reaps it, and reads what it
    /// printed before it died; returns all its lines.
    pub fn kill(&mut self) -> &[String] {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.seen.extend(self.lines.try_iter());
        // The reader threads may still hold the last lines; they end when the pipes close.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        &self.seen
    }

    /// Waits (at most `patience`) for it to exit by itself, reading its output; its exit
    /// status, or `None` if it had to be killed.
    pub fn wait_exit(&mut self, patience: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + patience;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return self.child.wait().ok();
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.kill();
                    return None;
                }
            }
        }
    }

    /// Whether it has exited already.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The number right after `word` in `line` (`"COMMITTED 12"` → 12, `"(seq 7, …"` → 7).
pub fn number_after(line: &str, word: &str) -> Option<u64> {
    let at = line.find(word)?;
    let rest = &line[at + word.len()..];
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..digits].parse().ok()
}
