//! A whole hub for end-to-end tests: the `sealhub` binary run on a temporary data directory
//! with both emulated sticks (the demo house) and the clients' transport on 127.0.0.1 with a
//! free port, clients paired beforehand on the hub's own store (no pairing protocol), and a
//! real client session over TLS pinned to the hub's certificate. Every wait is bounded and
//! fails the test with the hub's log when it runs out.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, MessageType, Opened};
use sealhub::keymgmt::Home;
use sealhub::model::{Command as ModelCommand, Event, Response, Role};
use sealhub::store::{KekSource, RollbackGuard, Store};
use sealhub::transport::client::{ClientConnection, connect};
use sealhub::transport::tls::TlsIdentity;

use super::gateway::{Phone, pair_phone};

/// Upper bound for the hub to get somewhere; generous for a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running `sealhub run` and what the test knows of it.
pub struct RunningHub {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Its log so far.
    pub log: String,
    /// Where clients connect.
    pub port: u16,
    /// Its TLS certificate's fingerprint, which clients pin.
    pub fingerprint: [u8; 32],
    /// Its directory (configuration `hub.toml`, data `data/`); taken by [`RunningHub::stop`].
    dir: Option<tempfile::TempDir>,
}

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port()
}

impl RunningHub {
    /// Prepares a data directory whose home has `clients` paired (each with its role's
    /// permissions), starts the hub on it and waits until every device of the demo house
    /// is keyed and clients can connect. Returns the hub and the clients' phones.
    pub fn start(clients: &[(&str, Role)]) -> (RunningHub, Vec<Phone>) {
        let dir = tempfile::tempdir().expect("tmp");
        let data: PathBuf = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        // The hub's store, opened here first: the home and its TLS identity are made, the
        // clients are paired, and all is closed before the hub opens it.
        let (phones, fingerprint) = {
            let kek = KekSource::default_key_file(&data);
            let store = Store::open(&data, &kek).expect("store opens");
            let (identity, _) = TlsIdentity::load_or_create(&store).expect("TLS identity");
            // Created with its rollback guard where the hub looks for it, as `sealhub init`
            // does: the hub refuses a changed store whose guard is missing.
            let mut home = Home::create_guarded(
                store.handle(),
                FreshnessPolicy::default(),
                RollbackGuard::for_kek(&kek, &data),
            )
            .expect("home");
            let phones: Vec<Phone> = clients
                .iter()
                .map(|(name, role)| {
                    pair_phone(
                        &mut home,
                        name,
                        sealhub::gateway::core::permissions::permissions_of(*role),
                        None,
                    )
                })
                .collect();
            drop(home);
            store.flush().expect("flush");
            (phones, identity.fingerprint())
        };
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
        let mut hub = Self::spawn(dir, port, fingerprint);
        let mut wanted = vec!["clients' transport listening".to_string()];
        wanted.extend(
            DEMO_HOUSE
                .iter()
                .map(|d| format!("device joined and keyed device={d}")),
        );
        hub.wait_for(&wanted);
        (hub, phones)
    }

    /// Runs `sealhub run` on the configuration and data in `dir`.
    fn spawn(dir: tempfile::TempDir, port: u16, fingerprint: [u8; 32]) -> RunningHub {
        // Set by cargo for integration tests only (this module is also compiled into the
        // binary's unit tests, which do not start hubs).
        let Some(binary) = option_env!("CARGO_BIN_EXE_sealhub") else {
            panic!("the hub is started from integration tests only");
        };
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(dir.path().join("hub.toml"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("run")
            .env_remove("SEALHUB_LOG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        RunningHub {
            child,
            lines,
            log: String::new(),
            port,
            fingerprint,
            dir: Some(dir),
        }
    }

    /// Runs another `sealhub` command (`backup`, `restore`, ...) on this hub's configuration
    /// and data directory while it runs.
    pub fn sealhub(&self, args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> std::process::Output {
        let dir = self.dir.as_ref().expect("the hub's directory");
        run_sealhub(dir.path(), args, env)
    }

    /// Stops the hub with SIGTERM and waits until it has exited; its directory stays, so it
    /// can be started again ([`StoppedHub::restart`]).
    pub fn stop(mut self) -> StoppedHub {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("runs kill");
        assert!(killed.success());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.child.try_wait().expect("waits").is_some() {
                break;
            }
            if Instant::now() > deadline {
                panic!("hub did not exit after SIGTERM:\n{}", self.log);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.log.push_str(&line);
            self.log.push('\n');
        }
        StoppedHub {
            dir: self.dir.take().expect("the hub's directory"),
            port: self.port,
            fingerprint: self.fingerprint,
            log: std::mem::take(&mut self.log),
        }
    }

    /// Reads the log until every one of `wanted` has appeared in it.
    pub fn wait_for(&mut self, wanted: &[String]) {
        let deadline = Instant::now() + PATIENCE;
        while !wanted.iter().all(|w| self.log.contains(w.as_str())) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push_str(&line);
                    self.log.push('\n');
                }
                Err(_) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("never saw all of {wanted:?} in:\n{}", self.log);
                }
            }
        }
    }

    /// Connects `phone` with the hub's certificate pinned; the session's first frame is the
    /// phone's fresh key distribution, which it opens.
    pub async fn connect(&self, phone: &mut Phone) -> Session {
        let url = format!("wss://127.0.0.1:{}/v1/home?client={}", self.port, phone.id);
        let conn = tokio::time::timeout(PATIENCE, connect(&url, Some(self.fingerprint)))
            .await
            .expect("connects in time")
            .expect("connects");
        let mut session = Session {
            conn,
            events: Vec::new(),
        };
        // The hub seals the key distribution when it learns of the connection; a device's
        // event broadcast to this client at that moment may overtake it (a phone that paired
        // earlier holds the keys to open it), so events before it are kept, nothing else.
        // After `sealhub restore-ack` the hub is in a new epoch whose keys only that key
        // distribution brings: an event under it that overtakes the distribution cannot be
        // opened yet, and is passed over.
        loop {
            let frame = session.frame().await;
            let opened = match phone.client.open(&frame) {
                Ok(opened) => opened,
                Err(sealhub::keymgmt::Error::Envelope(
                    sealhub::envelope::Error::UnknownEpoch(_)
                    | sealhub::envelope::Error::NoReadKey { .. },
                )) => continue,
                Err(e) => panic!("the envelope opens: {e}"),
            };
            match opened.route.msg_type {
                MessageType::KeyDistribution => break,
                MessageType::Event => session.keep_event(&opened),
                other => panic!("expected the key distribution first, got {other:?}"),
            }
        }
        session
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `sealhub ARGS` with the configuration and data directory in `dir`.
pub fn run_sealhub(
    dir: &std::path::Path,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &str)],
) -> std::process::Output {
    let Some(binary) = option_env!("CARGO_BIN_EXE_sealhub") else {
        panic!("the hub is run from integration tests only");
    };
    let mut command = Command::new(binary);
    command
        .arg("--config")
        .arg(dir.join("hub.toml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .env_remove("SEALHUB_LOG")
        .env_remove("RUST_LOG")
        .env_remove("SEALHUB_BACKUP_PASSPHRASE")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("runs sealhub")
}

/// A hub stopped by [`RunningHub::stop`]: its configuration and data directory, to run other
/// commands on them and start it again.
pub struct StoppedHub {
    dir: tempfile::TempDir,
    /// Where clients connect once it runs again.
    pub port: u16,
    /// Its TLS certificate's fingerprint, which clients pin.
    pub fingerprint: [u8; 32],
    /// Its whole log until it stopped.
    pub log: String,
}

impl StoppedHub {
    /// The hub's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A path in the test's own directory (beside the data directory), for backup files.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `sealhub ARGS` (`backup`, `restore`, ...) on the hub's configuration and data.
    pub fn sealhub(&self, args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> std::process::Output {
        run_sealhub(self.dir.path(), args, env)
    }

    /// Starts the hub again on the same directory and waits until every one of `wanted` is in
    /// its log.
    pub fn restart(self, wanted: &[String]) -> RunningHub {
        let mut hub = RunningHub::spawn(self.dir, self.port, self.fingerprint);
        hub.wait_for(wanted);
        hub
    }
}

/// The devices the hub's demo house keys on its first start (the emulated Z-Wave network's
/// home id is the emulator's default).
pub const DEMO_HOUSE: [&str; 13] = [
    "zb:124b00000000a15e",
    "zb:124b00000000a101",
    "zb:124b00000000a102",
    "zb:124b00000000a103",
    "zb:124b00000000a104",
    "zb:124b00000000a105",
    "zb:124b00000000a106",
    "zb:124b00000000a107",
    "zw:c0ffee42:2",
    "zw:c0ffee42:3",
    "zw:c0ffee42:4",
    "zw:c0ffee42:5",
    "zw:c0ffee42:6",
];

/// A client's session with the hub, and the events it opened while waiting for other things.
pub struct Session {
    conn: ClientConnection,
    /// Events opened so far (their envelope opened, so signed by their device), in order.
    pub events: Vec<(DeviceId, Event)>,
}

impl Session {
    /// The next envelope, opened by `phone` (which checks the signature, the key and replay).
    pub async fn next(&mut self, phone: &mut Phone) -> Opened {
        let frame = self.frame().await;
        phone.client.open(&frame).expect("the envelope opens")
    }

    /// The next frame, not opened.
    async fn frame(&mut self) -> Vec<u8> {
        tokio::time::timeout(PATIENCE, self.conn.recv())
            .await
            .expect("a frame in time")
            .expect("session open")
            .expect("a binary frame")
    }

    /// Seals `command` for `device`, sends it and returns the final response to it (past a
    /// `Queued`), keeping the events that arrive meanwhile.
    pub async fn command(
        &mut self,
        phone: &mut Phone,
        device: &DeviceId,
        command: &ModelCommand,
    ) -> Response {
        let bytes = phone.seal(device, command);
        self.conn.send(bytes).await.expect("sent");
        loop {
            let opened = self.next(phone).await;
            match opened.route.msg_type {
                MessageType::Response => {
                    let r = Response::from_value(&opened.body.body).expect("a response");
                    if r != Response::Queued {
                        return r;
                    }
                }
                MessageType::Event => self.keep_event(&opened),
                _ => {}
            }
        }
    }

    /// Waits until an event of `device` that `wanted` accepts has been opened (one opened
    /// earlier counts); returns it.
    pub async fn event(
        &mut self,
        phone: &mut Phone,
        device: &DeviceId,
        wanted: impl Fn(&Event) -> bool,
    ) -> Event {
        loop {
            if let Some((_, e)) = self.events.iter().find(|(d, e)| d == device && wanted(e)) {
                return e.clone();
            }
            let opened = self.next(phone).await;
            if opened.route.msg_type == MessageType::Event {
                self.keep_event(&opened);
            }
        }
    }

    fn keep_event(&mut self, opened: &Opened) {
        let event = Event::from_value(&opened.body.body).expect("an event");
        self.events.push((opened.route.device.clone(), event));
    }
}
