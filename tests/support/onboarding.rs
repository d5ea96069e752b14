//! What the onboarding tests share: a hub task on real sockets and real TLS on 127.0.0.1
//! with a real `Home` (the `Onboarding` glue for pairing frames; for envelopes, a stand-in
//! for the gateway that opens commands with `Home::open_command` and answers with
//! `Home::seal_response`, encrypted to the asking client), and the client's store.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sealhub::envelope::MessageType;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::keymgmt::Home;
use sealhub::model::{
    Action, Attribute, Capability, Command, Device, Endpoint, Event, HubCommand, HubResponse,
    RadioKind, Response,
};
use sealhub::onboarding::Onboarding;
use sealhub::pairing::verifier::MIN_ITERATIONS;
use sealhub::pairing::{PairingPolicy, SetupCode};
use sealhub::store::{KekSource, Store};
use sealhub::transport::tls::TlsIdentity;
use sealhub::transport::{BoundTransport, Inbound, Outbound, TransportConfig};
use tokio::sync::{mpsc, watch};

use super::gateway::{id, unix_now as now_unix};
use super::tempdir;

pub struct FakeHub {
    pub addr: SocketAddr,
    pub code: SetupCode,
    pub fingerprint: [u8; 32],
    /// Sends an event from `zb:lamp` to every client allowed to read it.
    pub events: mpsc::Sender<Event>,
    /// Sends these exact bytes (an envelope recorded earlier, say) to every client allowed
    /// to read `zb:lamp`: a replay.
    pub raw: mpsc::Sender<Vec<u8>>,
    /// Every event envelope this hub sealed, in order.
    pub sent: Arc<Mutex<Vec<Vec<u8>>>>,
    pub stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

impl FakeHub {
    pub fn url(&self) -> String {
        format!("wss://{}", self.addr)
    }

    /// Another valid code in the start code's slot.
    pub fn wrong_code(&self) -> SetupCode {
        let text = self.code.to_grouped_string();
        let digits: Vec<u8> = text
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        for n in 0..1000u32 {
            let mut data = [digits[0], 4, 2, 6, 0, 0, 0];
            data[4..7].copy_from_slice(&[(n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8]);
            let mut all = data.to_vec();
            all.push(sealhub::pairing::setup_code::verhoeff_check_digit(&data));
            let text: String = all.iter().map(|d| char::from(b'0' + d)).collect();
            if let Ok(code) = SetupCode::parse(&text) {
                if code != self.code {
                    return code;
                }
            }
        }
        unreachable!()
    }
}

/// What the stand-in gateway answers.
pub fn answer(command: &Command) -> Response {
    match command {
        Command::Hub(HubCommand::ListDevices) => {
            Response::Hub(HubResponse::Devices(vec![Device {
                id: id("zb:lamp"),
                radio: RadioKind::Zigbee,
                name: "Lamp".into(),
                room: Some("Hall".into()),
                manufacturer: None,
                model: None,
                sleeps: false,
                endpoints: vec![Endpoint {
                    id: 1,
                    name: None,
                    capabilities: vec![Capability::OnOff],
                }],
            }]))
        }
        Command::Device {
            endpoint,
            action: Action::TurnOn,
        } => Response::Done {
            endpoint: *endpoint,
            state: vec![Attribute::OnOff(true)],
        },
        _ => Response::TimedOut,
    }
}

/// The hub every test starts: events only when asked.
pub async fn start_hub() -> FakeHub {
    start_hub_with(None).await
}

/// A hub that sends `greeting` to every paired session as it opens (see [`start_hub_with`]).
pub async fn start_hub_with(greeting: Option<Event>) -> FakeHub {
    start_hub_vouching(greeting, None).await
}

/// A hub that sends `greeting`, as an event from `zb:lamp`, to every paired client's session
/// as soon as it opens (so a test knows an event will come once the session is up), and puts
/// `vouched` (or its own certificate's fingerprint) in the hub bundle as the pin.
pub async fn start_hub_vouching(greeting: Option<Event>, vouched: Option<[u8; 32]>) -> FakeHub {
    start(greeting, vouched, false).await
}

/// A hub that, as every paired session opens, first sends again every event it sent before
/// (replays, as a relay that recorded them could), then `greeting` sealed afresh.
pub async fn start_hub_replaying(greeting: Event) -> FakeHub {
    start(Some(greeting), None, true).await
}

async fn start(
    greeting: Option<Event>,
    vouched: Option<[u8; 32]>,
    replay_on_connect: bool,
) -> FakeHub {
    let dir = tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (identity, _) = TlsIdentity::load_or_create(&store).expect("TLS identity");
    let (mut home, _) = Home::open(store.handle(), FreshnessPolicy::default()).expect("home");
    home.set_clock_trusted(true);
    home.issue_device(&id("hub")).expect("hub device");
    home.issue_device(&id("zb:lamp")).expect("lamp");
    let policy = PairingPolicy {
        iterations: MIN_ITERATIONS,
        ..PairingPolicy::default()
    };
    let mut onboarding =
        Onboarding::open(store.handle(), &home, policy, Instant::now(), None).expect("onboarding");
    let code = onboarding.start_code(Instant::now()).expect("code");

    let mut config = TransportConfig::new("127.0.0.1:0".parse().expect("addr"), home.home_id());
    // This hub sends no key distribution on Connected (the client has one from pairing):
    // broadcasts reach a session at once.
    config.limits.key_distribution_first = false;
    let bound = BoundTransport::bind(config, &identity)
        .await
        .expect("binds");
    let addr = bound.local_addr();
    let (inbound_tx, mut inbound) = mpsc::channel(64);
    let (outbound, outbound_rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(bound.run(inbound_tx, outbound_rx, stop_rx));
    let (events, mut event_rx) = mpsc::channel::<Event>(8);
    let (raw, mut raw_rx) = mpsc::channel::<Vec<u8>>(8);
    let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let record = sent.clone();
    let fingerprint = identity.fingerprint();
    let vouched = vouched.unwrap_or(fingerprint);
    tokio::spawn(async move {
        loop {
            let out = tokio::select! {
                Some(event) = event_rx.recv() => {
                    let lamp = id("zb:lamp");
                    let bytes = home
                        .seal_from_device(&lamp, MessageType::Event, event.to_value(), None)
                        .expect("event seals");
                    record.lock().expect("lock").push(bytes.clone());
                    vec![Outbound::Broadcast { device: lamp, bytes }]
                }
                Some(bytes) = raw_rx.recv() => {
                    vec![Outbound::Broadcast { device: id("zb:lamp"), bytes }]
                }
                message = inbound.recv() => match message {
                    None => break,
                    Some(Inbound::Pairing { conn, bytes }) => {
                        onboarding.on_frame(&mut home, vouched, conn, &bytes, Instant::now())
                    }
                    Some(Inbound::Closed { conn }) => {
                        onboarding.on_closed(conn);
                        Vec::new()
                    }
                    Some(Inbound::Envelope { conn, bytes, .. }) => {
                        let opened = home
                            .open_command(&bytes, Some(now_unix()), Instant::now())
                            .expect("the client's command opens");
                        let command =
                            Command::from_value(&opened.body.body).expect("a command body");
                        let client = home
                            .client_by_kid(opened.signer)
                            .map(|(client, _)| client.clone())
                            .expect("a paired client signed it");
                        let response = home
                            .seal_response(
                                &opened.route.device,
                                &client,
                                answer(&command).to_value(),
                                opened.body.msg_id,
                            )
                            .expect("response seals");
                        vec![Outbound::ToConnection { conn, bytes: response }]
                    }
                    Some(Inbound::Connected { conn, client: Some(_) }) => {
                        let mut out = Vec::new();
                        if replay_on_connect {
                            for bytes in record.lock().expect("lock").iter() {
                                out.push(Outbound::ToConnection { conn, bytes: bytes.clone() });
                            }
                        }
                        if let Some(event) = &greeting {
                            let bytes = home
                                .seal_from_device(
                                    &id("zb:lamp"),
                                    MessageType::Event,
                                    event.to_value(),
                                    None,
                                )
                                .expect("event seals");
                            record.lock().expect("lock").push(bytes.clone());
                            out.push(Outbound::ToConnection { conn, bytes });
                        }
                        out
                    }
                    Some(_) => Vec::new(),
                },
            };
            for o in out {
                if outbound.send(o).await.is_err() {
                    return;
                }
            }
        }
    });
    FakeHub {
        addr,
        code,
        fingerprint,
        events,
        raw,
        sent,
        stop,
        _dir: dir,
    }
}

pub fn client_store(dir: &std::path::Path) -> Store {
    Store::open_or_create(dir, &KekSource::default_key_file(dir))
        .expect("client store")
        .0
}
