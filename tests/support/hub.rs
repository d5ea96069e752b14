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
    _dir: tempfile::TempDir,
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
        RunningHub::start_with(clients, &HubOptions::default())
    }

    /// [`RunningHub::start`] with `options`: configuration added to the test's, a log filter,
    /// and the devices to wait for (besides the demo house's).
    pub fn start_with(clients: &[(&str, Role)], options: &HubOptions) -> (RunningHub, Vec<Phone>) {
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
                 [transport]\nlisten = \"127.0.0.1:{port}\"\n{}",
                options.config
            ),
        )
        .expect("write config");
        // Set by cargo for integration tests only (this module is also compiled into the
        // binary's unit tests, which do not start hubs).
        let Some(binary) = option_env!("CARGO_BIN_EXE_sealhub") else {
            panic!("the hub is started from integration tests only");
        };
        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .arg("run")
            .env_remove("SEALHUB_LOG")
            .env_remove("RUST_LOG");
        if let Some(filter) = &options.log {
            command.env("SEALHUB_LOG", filter);
        }
        let mut child = command
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
        let mut hub = RunningHub {
            child,
            lines,
            log: String::new(),
            port,
            fingerprint,
            _dir: dir,
        };
        let mut wanted = vec!["clients' transport listening".to_string()];
        wanted.extend(
            DEMO_HOUSE
                .iter()
                .copied()
                .chain(options.devices.iter().map(String::as_str))
                .map(|d| format!("device joined and keyed device={d}")),
        );
        hub.wait_for_within(&wanted, options.patience.unwrap_or(PATIENCE));
        (hub, phones)
    }

    /// The hub's process id (for its CPU time and memory in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line of the hub's log, read within `within`, without keeping it in
    /// [`RunningHub::log`] (for long runs with many lines); `None` when none came.
    pub fn next_line(&mut self, within: Duration) -> Option<String> {
        self.lines.recv_timeout(within).ok()
    }

    /// Reads the log until every one of `wanted` has appeared in it.
    pub fn wait_for(&mut self, wanted: &[String]) {
        self.wait_for_within(wanted, PATIENCE);
    }

    /// [`RunningHub::wait_for`] with its own bound.
    pub fn wait_for_within(&mut self, wanted: &[String], patience: Duration) {
        let deadline = Instant::now() + patience;
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
        let opened = session.next(phone).await;
        assert_eq!(opened.route.msg_type, MessageType::KeyDistribution);
        session
    }
}

impl Drop for RunningHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How [`RunningHub::start_with`] starts the hub.
#[derive(Debug, Clone, Default)]
pub struct HubOptions {
    /// TOML added to the test's configuration (e.g. an `[emulator]` section).
    pub config: String,
    /// `SEALHUB_LOG` for the hub; `None`: its configured default.
    pub log: Option<String>,
    /// More device ids to wait for, keyed, before the hub counts as started.
    pub devices: Vec<String>,
    /// How long to wait for that; `None`: [`PATIENCE`].
    pub patience: Option<Duration>,
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
        let frame = tokio::time::timeout(PATIENCE, self.conn.recv())
            .await
            .expect("a frame in time")
            .expect("session open")
            .expect("a binary frame");
        phone.client.open(&frame).expect("the envelope opens")
    }

    /// Sends an envelope as it is.
    pub async fn send_frame(&mut self, frame: Vec<u8>) {
        self.conn.send(frame).await.expect("sent");
    }

    /// The next frame as it arrived, unopened; `None` if none came within `within`.
    pub async fn next_frame(&mut self, within: Duration) -> Option<Vec<u8>> {
        match tokio::time::timeout(within, self.conn.recv()).await {
            Ok(frame) => Some(frame.expect("session open").expect("a binary frame")),
            Err(_) => None,
        }
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
