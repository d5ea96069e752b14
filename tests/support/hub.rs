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
use sealhub::model::{
    Action, Attribute, Capability, Command as ModelCommand, Device, Event, HubCommand, HubResponse,
    Response, Role,
};
use sealhub::store::{KekSource, RollbackGuard, Store};
use sealhub::transport::client::{ClientConnection, connect};
use sealhub::transport::tls::TlsIdentity;

use super::gateway::{Phone, device_command, hub_command, id, pair_phone};

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
    config: PathBuf,
    data: PathBuf,
    /// Its directory (configuration `hub.toml`, data `data/`); taken by [`RunningHub::stop`].
    dir: Option<tempfile::TempDir>,
}

/// The log line of a hub whose clients' transport is up.
pub const TRANSPORT_UP: &str = "clients' transport listening";

/// The log line of a hub that has keyed `device`.
pub fn keyed(device: &str) -> String {
    format!("device joined and keyed device={device}")
}

/// Starts `sealhub run` on `config` and `data`; its stdout (the pairing banner) and stderr
/// (the log) come as lines on the receiver.
fn spawn_hub(
    config: &std::path::Path,
    data: &std::path::Path,
    log: Option<&str>,
) -> (Child, mpsc::Receiver<String>) {
    let mut command = super::binary::sealhub_on(config, data);
    command.arg("run");
    // `SEALHUB_TEST_HUB_LOG` overrides every test's filter, to see a failing test's hub in
    // detail.
    let debugging = std::env::var("SEALHUB_TEST_HUB_LOG").ok();
    if let Some(filter) = debugging.as_deref().or(log) {
        command.env("SEALHUB_LOG", filter);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let forward = |tx: mpsc::Sender<String>, from: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            for line in BufReader::new(from).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    };
    forward(tx.clone(), Box::new(stderr));
    forward(tx, Box::new(stdout));
    (child, lines)
}

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port()
}

/// A step run on a hub's data directory before it starts (e.g. `sealhub import`).
pub type Prepare<'a> = Box<dyn FnOnce(&std::path::Path) + 'a>;

/// What a hub for a test is started with; [`RunningHub::start`] is the demo house's.
pub struct HubSetup<'a> {
    /// Clients paired on the hub's store before it starts: name, role, and the devices it
    /// is limited to (`None`: all).
    pub clients: &'a [(&'a str, Role, Option<&'a [&'a str]>)],
    /// The Zigbee and Z-Wave sticks' ports (emulators the test owns, [`super::house`]);
    /// `None` starts the binary's own emulated sticks with the demo house.
    pub sticks: Option<(PathBuf, PathBuf)>,
    /// Log lines to wait for before the hub counts as started.
    pub wanted: Vec<String>,
    /// Appended to the hub's configuration (e.g. a `[zigbee]` port).
    pub extra_config: String,
    /// Run on the data directory after the clients are paired and before the hub starts
    /// (e.g. `sealhub import`).
    pub prepare: Option<Prepare<'a>>,
    /// `SEALHUB_LOG` for the hub; `None`: its configured default.
    pub log: Option<String>,
    /// How long to wait for `wanted`; `None`: [`PATIENCE`].
    pub patience: Option<Duration>,
}

/// `clients` paired with no device limit.
fn unlimited<'a>(clients: &[(&'a str, Role)]) -> Vec<(&'a str, Role, Option<&'a [&'a str]>)> {
    clients.iter().map(|(n, r)| (*n, *r, None)).collect()
}

/// The log lines of a started demo house: the transport up and every demo device, and each
/// of `more`, keyed.
fn demo_house_keyed<'a>(more: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut wanted = vec![TRANSPORT_UP.to_string()];
    wanted.extend(DEMO_HOUSE.iter().copied().chain(more).map(keyed));
    wanted
}

impl<'a> HubSetup<'a> {
    /// The binary's own emulated demo house with `clients` paired, started once `wanted`
    /// is in its log; the rest as configured by default.
    pub fn demo(
        clients: &'a [(&'a str, Role, Option<&'a [&'a str]>)],
        wanted: Vec<String>,
    ) -> Self {
        HubSetup {
            clients,
            sticks: None,
            wanted,
            extra_config: String::new(),
            prepare: None,
            log: None,
            patience: None,
        }
    }
}

/// How [`RunningHub::start_with_options`] starts the demo house's hub (the benchmarks').
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

impl RunningHub {
    /// Prepares a data directory whose home has `clients` paired (each with its role's
    /// permissions), starts the hub on it and waits until every device of the demo house
    /// is keyed and clients can connect. Returns the hub and the clients' phones.
    pub fn start(clients: &[(&str, Role)]) -> (RunningHub, Vec<Phone>) {
        let clients = unlimited(clients);
        Self::start_with(HubSetup::demo(&clients, demo_house_keyed([])))
    }

    /// [`RunningHub::start`] with `extra_config` appended to the hub's configuration (e.g. a
    /// `[zigbee]` port), `prepare` run on the data directory after the clients are paired and
    /// before the hub starts (e.g. `sealhub import`), and `wanted` the log lines to wait for
    /// besides the transport's.
    pub fn start_prepared(
        extra_config: &str,
        prepare: impl FnOnce(&std::path::Path),
        clients: &[(&str, Role)],
        wanted: &[String],
    ) -> (RunningHub, Vec<Phone>) {
        let clients = unlimited(clients);
        let mut all = vec![TRANSPORT_UP.to_string()];
        all.extend_from_slice(wanted);
        Self::start_with(HubSetup {
            extra_config: extra_config.to_string(),
            prepare: Some(Box::new(prepare)),
            ..HubSetup::demo(&clients, all)
        })
    }

    /// [`RunningHub::start`] with `options`: configuration added to the test's, a log filter,
    /// and the devices to wait for (besides the demo house's).
    pub fn start_with_options(
        clients: &[(&str, Role)],
        options: &HubOptions,
    ) -> (RunningHub, Vec<Phone>) {
        let clients = unlimited(clients);
        let wanted = demo_house_keyed(options.devices.iter().map(String::as_str));
        Self::start_with(HubSetup {
            extra_config: options.config.clone(),
            log: options.log.clone(),
            patience: options.patience,
            ..HubSetup::demo(&clients, wanted)
        })
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

    /// Prepares a data directory whose home has `setup.clients` paired, starts the hub on
    /// it with the sticks of `setup` and waits for `setup.wanted` in its log. Returns the hub
    /// and the clients' phones.
    pub fn start_with(setup: HubSetup<'_>) -> (RunningHub, Vec<Phone>) {
        let dir = super::tempdir();
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
            let phones: Vec<Phone> = setup
                .clients
                .iter()
                .map(|(name, role, devices)| {
                    let devices: Option<Vec<DeviceId>> =
                        devices.map(|l| l.iter().map(|d| super::gateway::id(d)).collect());
                    let devices: Option<Vec<&DeviceId>> =
                        devices.as_ref().map(|l| l.iter().collect());
                    pair_phone(
                        &mut home,
                        name,
                        sealhub::gateway::core::permissions::permissions_of(*role),
                        devices.as_deref(),
                    )
                })
                .collect();
            drop(home);
            store.flush().expect("flush");
            (phones, identity.fingerprint())
        };
        let port = free_port();
        let config = dir.path().join("hub.toml");
        let mut text = format!(
            "[clock]\ntrust = \"synchronised\"\n\
             [transport]\nlisten = \"127.0.0.1:{port}\"\n"
        );
        if let Some((zigbee, zwave)) = &setup.sticks {
            text.push_str(&format!(
                "[zigbee]\nport = \"{}\"\n[zwave]\nport = \"{}\"\n",
                zigbee.display(),
                zwave.display()
            ));
        }
        text.push_str(&setup.extra_config);
        std::fs::write(&config, text).expect("write config");
        if let Some(prepare) = setup.prepare {
            prepare(&data);
        }
        let (child, lines) = spawn_hub(&config, &data, setup.log.as_deref());
        let mut hub = RunningHub {
            child,
            lines,
            log: String::new(),
            port,
            fingerprint,
            config,
            data,
            dir: Some(dir),
        };
        hub.wait_for_within(&setup.wanted, setup.patience.unwrap_or(PATIENCE));
        (hub, phones)
    }

    /// Kills the hub (SIGKILL: no shutdown of its own) and starts it again on the same data
    /// directory, configuration and port; waits for `wanted` in the new start's log (the log
    /// of the earlier start is dropped).
    pub fn restart(&mut self, wanted: &[String]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, lines) = spawn_hub(&self.config, &self.data, None);
        self.child = child;
        self.lines = lines;
        self.log.clear();
        self.wait_for(wanted);
    }

    /// The setup code the hub printed at its (latest) start, as printed (grouped).
    pub fn setup_code(&mut self) -> String {
        self.wait_for(&["setup code:".to_string()]);
        let line = self
            .log
            .lines()
            .rev()
            .find(|l| l.contains("setup code:"))
            .expect("the code's line");
        line.split("setup code:")
            .nth(1)
            .expect("after the label")
            .trim()
            .to_string()
    }

    /// Its log so far, with what it wrote since the last look (for a failure's message).
    pub fn log_now(&mut self) -> &str {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push_str(&line);
            self.log.push('\n');
        }
        &self.log
    }

    /// The hub's base URL for `sealhub client pair`.
    pub fn url(&self) -> String {
        format!("wss://127.0.0.1:{}", self.port)
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
            config: self.config.clone(),
            data: self.data.clone(),
            port: self.port,
            fingerprint: self.fingerprint,
            log: std::mem::take(&mut self.log),
        }
    }

    /// Reads the log until every one of `wanted` has appeared in it.
    pub fn wait_for(&mut self, wanted: &[String]) {
        self.wait_for_within(wanted, PATIENCE);
    }

    /// [`RunningHub::wait_for`] with its own bound.
    pub fn wait_for_within(&mut self, wanted: &[String], patience: Duration) {
        let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
        if !super::binary::read_log_until(&self.lines, &mut self.log, &wanted, patience) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("never saw all of {wanted:?} in:\n{}", self.log);
        }
    }

    /// Connects `phone` with the hub's certificate pinned; the session's first frame is the
    /// phone's fresh key distribution, which it opens. Answers the hub sent the client before
    /// that (a restarted hub answering the commands its restart interrupted, while the
    /// session was being set up) are kept in [`Session::early`]; events in
    /// [`Session::events`].
    pub async fn connect(&self, phone: &mut Phone) -> Session {
        let url = format!("wss://127.0.0.1:{}/v1/home?client={}", self.port, phone.id);
        let conn = tokio::time::timeout(PATIENCE, connect(&url, Some(self.fingerprint)))
            .await
            .expect("connects in time")
            .expect("connects");
        let mut session = Session {
            conn,
            events: Vec::new(),
            early: Vec::new(),
            answered: Vec::new(),
        };
        loop {
            let frame = session.next_frame().await;
            // After `sealhub restore-ack` the hub is in a new epoch whose keys only that key
            // distribution brings: an event under it that overtakes the distribution cannot be
            // opened yet, and is passed over.
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
                MessageType::Response => {
                    let r = Response::from_value(&opened.body.body).expect("a response");
                    session.early.push((r, frame));
                }
                other => panic!(
                    "the session's first frames: {other:?} {:?} before the key distribution",
                    opened.body.body
                ),
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
    let mut command = super::binary::sealhub_on(&dir.join("hub.toml"), &dir.join("data"));
    command.args(args).stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("runs sealhub")
}

/// A hub stopped by [`RunningHub::stop`]: its configuration and data directory, to run other
/// commands on them and start it again.
pub struct StoppedHub {
    dir: tempfile::TempDir,
    config: PathBuf,
    data: PathBuf,
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
        let (child, lines) = spawn_hub(&self.config, &self.data, None);
        let mut hub = RunningHub {
            child,
            lines,
            log: String::new(),
            port: self.port,
            fingerprint: self.fingerprint,
            config: self.config,
            data: self.data,
            dir: Some(self.dir),
        };
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
    /// Responses that came before the session's key distribution, opened, with their
    /// envelopes' bytes.
    pub early: Vec<(Response, Vec<u8>)>,
    /// Answers the hub gives again, byte for byte, to every copy of a command (an interrupted
    /// command's answer: once at start-up, once per copy): [`Session::response`] skips them
    /// when they come again, as a client that has opened one already would.
    pub answered: Vec<Vec<u8>>,
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

    /// Seals `command` for `device`, sends it and returns the final response to it (past a
    /// `Queued`), keeping the events that arrive meanwhile.
    pub async fn command(
        &mut self,
        phone: &mut Phone,
        device: &DeviceId,
        command: &ModelCommand,
    ) -> Response {
        let bytes = phone.seal(device, command);
        self.send_raw(bytes).await;
        self.response(phone).await.0
    }

    /// The next frame as it came, not opened (as a relay holding it back would have it).
    pub async fn next_frame(&mut self) -> Vec<u8> {
        tokio::time::timeout(PATIENCE, self.conn.recv())
            .await
            .expect("a frame in time")
            .expect("session open")
            .expect("a binary frame")
    }

    /// Sends `bytes` as they are (an envelope sealed earlier, or a copy of one sent before).
    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.conn.send(bytes).await.expect("sent");
    }

    /// The next frame as it arrived, unopened; `None` if none came within `within`.
    pub async fn frame_within(&mut self, within: Duration) -> Option<Vec<u8>> {
        match tokio::time::timeout(within, self.conn.recv()).await {
            Ok(frame) => Some(frame.expect("session open").expect("a binary frame")),
            Err(_) => None,
        }
    }

    /// Waits for the next response that is not `Queued`, keeping the events that arrive
    /// meanwhile; returns it with the envelope's bytes.
    pub async fn response(&mut self, phone: &mut Phone) -> (Response, Vec<u8>) {
        loop {
            let frame = self.next_frame().await;
            if self.answered.contains(&frame) {
                continue;
            }
            let opened = phone.client.open(&frame).expect("the envelope opens");
            match opened.route.msg_type {
                MessageType::Response => {
                    let r = Response::from_value(&opened.body.body).expect("a response");
                    if r != Response::Queued {
                        return (r, frame);
                    }
                }
                MessageType::Event => self.keep_event(&opened),
                _ => {}
            }
        }
    }

    /// Waits until the hub sends a frame that `wanted` accepts as it came (before it is
    /// opened), opening and keeping the others; returns it.
    pub async fn frame_where(
        &mut self,
        phone: &mut Phone,
        wanted: impl Fn(&[u8]) -> bool,
    ) -> Vec<u8> {
        loop {
            let frame = self.next_frame().await;
            if wanted(&frame) {
                return frame;
            }
            let opened = phone.client.open(&frame).expect("the envelope opens");
            if opened.route.msg_type == MessageType::Event {
                self.keep_event(&opened);
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

/// The endpoint of `device` in `devices` that has `capability`.
pub fn endpoint_with(devices: &[Device], device: &DeviceId, capability: &Capability) -> u8 {
    let d = devices
        .iter()
        .find(|d| &d.id == device)
        .unwrap_or_else(|| panic!("{device} is not in the list: {devices:?}"));
    d.endpoints
        .iter()
        .find(|e| e.capabilities.contains(capability))
        .unwrap_or_else(|| panic!("{device} has no {capability:?}: {d:?}"))
        .id
}

impl Session {
    /// The device list the hub gives `phone`.
    pub async fn devices(&mut self, phone: &mut Phone) -> Vec<Device> {
        match self
            .command(phone, &id("hub"), &hub_command(HubCommand::ListDevices))
            .await
        {
            Response::Hub(HubResponse::Devices(list)) => list,
            other => panic!("expected the device list, got {other:?}"),
        }
    }

    /// The state of the endpoint of `device` with `capability`, read from the device.
    pub async fn refresh(
        &mut self,
        phone: &mut Phone,
        list: &[Device],
        device: &str,
        capability: Capability,
    ) -> Vec<Attribute> {
        let device = id(device);
        let endpoint = endpoint_with(list, &device, &capability);
        match self
            .command(phone, &device, &device_command(endpoint, Action::Refresh))
            .await
        {
            Response::Done { state, .. } => state,
            other => panic!("{device}: expected its state, got {other:?}"),
        }
    }

    /// Runs `action` on the endpoint of `device` with `capability`: the state read from the
    /// device before must not hold an attribute `expected` accepts, the `Done` state after
    /// must, and a report event of that device (opened, so signed by its key) must carry that
    /// same attribute. Returns it.
    #[allow(clippy::too_many_arguments)]
    pub async fn act(
        &mut self,
        phone: &mut Phone,
        list: &[Device],
        device: &str,
        capability: Capability,
        action: Action,
        expected: impl Fn(&Attribute) -> bool,
    ) -> Attribute {
        let before = self.refresh(phone, list, device, capability).await;
        let device = id(device);
        let endpoint = endpoint_with(list, &device, &capability);
        assert!(
            !before.iter().any(&expected),
            "{device} {action:?}: the device is there already: {before:?}"
        );
        // Events from before the command do not count.
        self.events.clear();
        let response = self
            .command(phone, &device, &device_command(endpoint, action.clone()))
            .await;
        let Response::Done {
            endpoint: done_at,
            state,
        } = response
        else {
            panic!("{device} {action:?}: expected Done, got {response:?}");
        };
        assert_eq!(done_at, endpoint);
        let attribute = state
            .iter()
            .find(|a| expected(a))
            .unwrap_or_else(|| panic!("{device} {action:?}: no new state in {state:?}"))
            .clone();
        self.report(phone, &device, endpoint, &attribute).await;
        attribute
    }

    /// Waits for a report event of `device` at `endpoint` carrying `attribute` (one opened
    /// earlier counts).
    pub async fn report(
        &mut self,
        phone: &mut Phone,
        device: &DeviceId,
        endpoint: u8,
        attribute: &Attribute,
    ) {
        self.event(phone, device, |e| {
            matches!(e, Event::Report { endpoint: at, values } if *at == endpoint && values.contains(attribute))
        })
        .await;
    }
}

/// Runs `sealhub client --client-dir DIR ARGS…` as a person would, off the async runtime;
/// each run is a fresh client process on the state in `dir`.
pub async fn client_cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut command = super::binary::sealhub_client(dir);
    command.args(args);
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joins")
}

/// A setup code in the same slot as `code` (its first digit) that is not `code`, with a
/// valid check digit: a mistyped code the hub must refuse as wrong.
pub fn another_code(code: &str) -> String {
    use sealhub::pairing::setup_code::verhoeff_check_digit;
    let first = code.bytes().find(u8::is_ascii_digit).expect("a digit") - b'0';
    (0..1000u16)
        .map(|n| {
            let mut data = vec![first, 3, 9, 1, 7];
            data.extend([(n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8]);
            data.truncate(7);
            data.push(verhoeff_check_digit(&data));
            data.iter()
                .map(|d| char::from(b'0' + d))
                .collect::<String>()
        })
        .find(|candidate| {
            sealhub::pairing::SetupCode::parse(candidate).is_ok()
                && candidate.as_str() != code.replace('-', "")
        })
        .expect("another valid code")
}
