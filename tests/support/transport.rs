//! What the transport tests share: a real home on a temporary sealed store, its TLS identity
//! from that store, and the server running on 127.0.0.1 with a free port, wired to channels
//! the test plays the hub task on — the same wiring `src/runtime/` uses.

use std::net::SocketAddr;
use std::sync::Arc;

use coset::cbor::value::Value;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::identity::Permissions;
use sealhub::keymgmt::{Client, Home};
use sealhub::store::{KekSource, Store};
use sealhub::transport::client::{ClientConnection, connect};
use sealhub::transport::tls::TlsIdentity;
use sealhub::transport::{
    BoundTransport, ConnectionId, Counters, Inbound, Limits, Outbound, ReadScope, TransportConfig,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::gateway::id;
use super::tempdir;

/// A time comfortably inside every command's validity, for sealing and opening.
pub const NOW: u64 = 1_800_000_000;

/// The hub side of a running transport: the home, the channels, the stop switch.
pub struct Hub {
    pub home: Home,
    pub fingerprint: [u8; 32],
    pub addr: SocketAddr,
    pub inbound: mpsc::Receiver<Inbound>,
    pub outbound: mpsc::Sender<Outbound>,
    pub stop: watch::Sender<bool>,
    pub serving: JoinHandle<sealhub::transport::Result<()>>,
    pub counters: Arc<Counters>,
    _dir: tempfile::TempDir,
}

/// Opens a home on a fresh store, loads its TLS identity from the same store and serves.
pub async fn start(limits: Limits) -> Hub {
    let dir = tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (identity, created) = TlsIdentity::load_or_create(&store).expect("TLS identity");
    assert!(created);
    let (mut home, _) = Home::open(store.handle(), FreshnessPolicy::default()).expect("home");
    home.set_clock_trusted(true);
    home.issue_device(&id("zb:lamp")).expect("lamp");
    home.issue_device(&id("zb:lock")).expect("lock");

    let mut config = TransportConfig::new("127.0.0.1:0".parse().expect("addr"), home.home_id());
    config.limits = limits;
    // These tests play the hub without key distributions: broadcasts reach a session at once.
    config.limits.key_distribution_first = false;
    let bound = BoundTransport::bind(config, &identity)
        .await
        .expect("binds");
    let addr = bound.local_addr();
    let counters = bound.counters();
    let (inbound_tx, inbound) = mpsc::channel(64);
    let (outbound, outbound_rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    let serving = tokio::spawn(bound.run(inbound_tx, outbound_rx, stop_rx));
    Hub {
        home,
        fingerprint: identity.fingerprint(),
        addr,
        inbound,
        outbound,
        stop,
        serving,
        counters,
        _dir: dir,
    }
}

impl Hub {
    /// The URL of a client's session.
    pub fn home_url(&self, client: &str) -> String {
        format!("wss://{}/v1/home?client={client}", self.addr)
    }

    /// The URL of a pairing session.
    pub fn pair_url(&self) -> String {
        format!("wss://{}/v1/pair", self.addr)
    }

    /// Pairs a client with every permission; it has applied its first key distribution.
    pub fn pair(&mut self, name: &str) -> Client {
        super::gateway::paired_client(&mut self.home, name, Permissions::ALL, None)
    }

    /// Connects as `client` with the right pin and returns the session the hub was told of.
    pub async fn connect(&mut self, client: &str) -> (ClientConnection, ConnectionId) {
        let conn = connect(&self.home_url(client), Some(self.fingerprint))
            .await
            .expect("connects");
        match self.next().await {
            Inbound::Connected {
                conn: id_,
                client: Some(c),
            } if c == id(client) => (conn, id_),
            other => panic!("expected Connected for {client}, got {other:?}"),
        }
    }

    /// The next thing the transport handed up.
    pub async fn next(&mut self) -> Inbound {
        self.inbound.recv().await.expect("transport still running")
    }

    pub async fn send(&self, out: Outbound) {
        self.outbound
            .send(out)
            .await
            .expect("transport still running");
    }

    pub async fn scope(&self, client: &str, scope: ReadScope) {
        self.send(Outbound::SetReadScope {
            client: id(client),
            scope,
        })
        .await;
    }

    /// An event from `device`, sealed for every client.
    pub fn event(&mut self, device: &str, text: &str) -> Vec<u8> {
        self.home
            .seal_from_device(
                &id(device),
                sealhub::envelope::MessageType::Event,
                Value::Text(text.into()),
                None,
            )
            .expect("seal event")
    }
}

/// A command from `client` for `device`.
pub fn command(client: &mut Client, device: &str, text: &str) -> Vec<u8> {
    client
        .seal_command(&id(device), Value::Text(text.into()), NOW + 60, None)
        .expect("seal command")
}

/// The next binary frame a client receives.
pub async fn frame(conn: &mut ClientConnection) -> Vec<u8> {
    conn.recv()
        .await
        .expect("session still open")
        .expect("a binary frame")
}

/// The close code and reason that end a client's session (reading past any frames).
pub async fn close_of(conn: &mut ClientConnection) -> (u16, String) {
    loop {
        match conn.recv().await {
            Some(Ok(_)) => continue,
            Some(Err(sealhub::transport::Error::Closed { code, reason })) => return (code, reason),
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}
