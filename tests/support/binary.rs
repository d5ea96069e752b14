//! The `sealhub` binary as the integration tests run it: one place that knows where cargo put
//! it and which variables of the developer's shell must not leak into it, so a log filter or
//! a passphrase exported in a terminal cannot change what a test sees.

use std::path::Path;
use std::process::{Command, Output};

/// Variables cleared from every `sealhub` a test runs. A test that needs one sets it again
/// after (a later `env` wins over an earlier `env_remove`).
const FROM_THE_SHELL: [&str; 5] = [
    "SEALHUB_LOG",
    "RUST_LOG",
    "XDG_DATA_HOME",
    "SEALHUB_PASSPHRASE",
    "SEALHUB_BACKUP_PASSPHRASE",
];

/// `sealhub` with none of [`FROM_THE_SHELL`] set.
pub fn sealhub() -> Command {
    // Set by cargo for integration tests and benches only; this module is also compiled into
    // the binary's unit tests, which never start it.
    let Some(binary) = option_env!("CARGO_BIN_EXE_sealhub") else {
        panic!("the sealhub binary is run from integration tests only");
    };
    let mut command = Command::new(binary);
    for var in FROM_THE_SHELL {
        command.env_remove(var);
    }
    command
}

/// `sealhub --config CONFIG --data-dir DATA`, the start of every hub-side command line.
pub fn sealhub_on(config: &Path, data: &Path) -> Command {
    let mut command = sealhub();
    command
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data);
    command
}

/// `sealhub client --client-dir DIR`, the start of every client command line.
pub fn sealhub_client(dir: &Path) -> Command {
    let mut command = sealhub();
    command.arg("client").arg("--client-dir").arg(dir);
    command
}

/// [`sealhub`] for tests that feed stdin or use `assert_cmd`'s assertions.
pub fn sealhub_assert() -> assert_cmd::Command {
    assert_cmd::Command::from_std(sealhub())
}

/// What a finished command wrote to stderr, as text for assertions and failure messages.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What a finished command wrote to stdout, as text.
pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The line `sealhub run` logs once it is up.
pub const READY: &str = "waiting for Ctrl-C or SIGTERM";

/// A `sealhub run` whose log (stderr) is read line by line on a thread, so a hub that never
/// gets where a test waits for fails that test instead of hanging it. Killed when dropped.
pub struct LoggedHub {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    log: String,
}

impl LoggedHub {
    /// Spawns `command` (a `sealhub run` line) and waits up to `within` for [`READY`];
    /// panics with the log so far if it does not come.
    pub fn start(command: Command, within: std::time::Duration) -> LoggedHub {
        let mut hub = LoggedHub::spawn(command);
        hub.wait_for(&[READY], within);
        hub
    }

    /// Spawns `command` (a `sealhub run` line) without waiting for anything.
    pub fn spawn(mut command: Command) -> LoggedHub {
        use std::io::{BufRead, BufReader};
        let mut child = command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawns sealhub");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        LoggedHub {
            child,
            lines,
            log: String::new(),
        }
    }

    /// Its process id (for `/proc/PID/...`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads the log until every one of `wanted` has appeared in it; panics with the log
    /// after `within`.
    pub fn wait_for(&mut self, wanted: &[&str], within: std::time::Duration) {
        if !read_log_until(&self.lines, &mut self.log, wanted, within) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("never saw all of {wanted:?} in:\n{}", self.log);
        }
    }

    /// Sends SIGTERM and waits up to 30 s for it to exit; returns its exit status and its
    /// whole log.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let patience = std::time::Duration::from_secs(30);
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("runs kill");
        assert!(killed.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + patience;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("sealhub did not exit after SIGTERM:\n{}", self.log);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        // The reader thread ends with the pipe; take everything it read.
        while let Ok(line) = self.lines.recv_timeout(patience) {
            self.log.push_str(&line);
            self.log.push('\n');
        }
        (status, std::mem::take(&mut self.log))
    }
}

/// Appends the lines that come on `lines` to `log` until every one of `wanted` is in it;
/// `false` if `within` passes first.
pub fn read_log_until(
    lines: &std::sync::mpsc::Receiver<String>,
    log: &mut String,
    wanted: &[&str],
    within: std::time::Duration,
) -> bool {
    let deadline = std::time::Instant::now() + within;
    while !wanted.iter().all(|w| log.contains(w)) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
            }
            Err(_) => return false,
        }
    }
    true
}

impl Drop for LoggedHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
