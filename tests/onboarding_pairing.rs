//! Pairing a laptop end to end over real sockets and real TLS on 127.0.0.1: the client side
//! (`sealhub::client`) against the real transport, the real pairing core and a real `Home`,
//! with a task that plays the hub (the `Onboarding` glue for pairing frames; for envelopes, a
//! stand-in for the gateway that opens commands with `Home::open_command` and answers with
//! `Home::seal_from_device`). No timed assertions: every wait is for a message.

use std::net::SocketAddr;
use std::time::Instant;

use sealhub::client::{self, ClientState, HubSession};
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{DeviceId, MessageType};
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

/// The Unix time both sides use (the hub trusts its clock in these tests).
const NOW: u64 = 1_800_000_000;

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

struct FakeHub {
    addr: SocketAddr,
    code: SetupCode,
    fingerprint: [u8; 32],
    /// Sends an event from `zb:lamp` to every client allowed to read it.
    events: mpsc::Sender<Event>,
    stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

impl FakeHub {
    fn url(&self) -> String {
        format!("wss://{}", self.addr)
    }

    /// Another valid code in the start code's slot.
    fn wrong_code(&self) -> SetupCode {
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
fn answer(command: &Command) -> Response {
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

async fn start_hub() -> FakeHub {
    let dir = tempfile::tempdir().expect("tmp");
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

    let config = TransportConfig::new("127.0.0.1:0".parse().expect("addr"), home.home_id());
    let bound = BoundTransport::bind(config, &identity)
        .await
        .expect("binds");
    let addr = bound.local_addr();
    let (inbound_tx, mut inbound) = mpsc::channel(64);
    let (outbound, outbound_rx) = mpsc::channel(64);
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(bound.run(inbound_tx, outbound_rx, stop_rx));
    let (events, mut event_rx) = mpsc::channel::<Event>(8);
    let fingerprint = identity.fingerprint();
    tokio::spawn(async move {
        loop {
            let out = tokio::select! {
                Some(event) = event_rx.recv() => {
                    let lamp = id("zb:lamp");
                    let bytes = home
                        .seal_from_device(&lamp, MessageType::Event, event.to_value(), None)
                        .expect("event seals");
                    vec![Outbound::Broadcast { device: lamp, bytes }]
                }
                message = inbound.recv() => match message {
                    None => break,
                    Some(Inbound::Pairing { conn, bytes }) => {
                        onboarding.on_frame(&mut home, fingerprint, conn, &bytes, Instant::now())
                    }
                    Some(Inbound::Closed { conn }) => {
                        onboarding.on_closed(conn);
                        Vec::new()
                    }
                    Some(Inbound::Envelope { conn, bytes, .. }) => {
                        let opened = home
                            .open_command(&bytes, Some(NOW), Instant::now())
                            .expect("the client's command opens");
                        let command =
                            Command::from_value(&opened.body.body).expect("a command body");
                        let response = home
                            .seal_from_device(
                                &opened.route.device,
                                MessageType::Response,
                                answer(&command).to_value(),
                                Some(opened.body.msg_id),
                            )
                            .expect("response seals");
                        vec![Outbound::ToConnection { conn, bytes: response }]
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
        stop,
        _dir: dir,
    }
}

fn client_store(dir: &std::path::Path) -> Store {
    Store::open_or_create(dir, &KekSource::default_key_file(dir))
        .expect("client store")
        .0
}

#[tokio::test]
async fn a_laptop_pairs_reloads_its_state_and_commands_the_hub() {
    let hub = start_hub().await;
    let state = client::pair(&hub.url(), &hub.code, "Ada's laptop")
        .await
        .expect("pairs");
    assert_eq!(state.hub.client_id.as_str(), "ada-s-laptop");
    assert_eq!(state.hub.tls_sha256, hub.fingerprint);
    assert_eq!(state.url, hub.url());

    // Saved in the client's own store, then reloaded as a later run would.
    let dir = tempfile::tempdir().expect("tmp");
    {
        let store = client_store(dir.path());
        state.save(&store).expect("saves");
    }
    let store = client_store(dir.path());
    let reloaded = ClientState::load(&store)
        .expect("loads")
        .expect("was saved");
    assert_eq!(reloaded.hub, state.hub);
    assert_eq!(reloaded.key.public_key(), state.key.public_key());

    let mut session = HubSession::open(&reloaded).await.expect("pinned session");
    let devices = session
        .request(&id("hub"), &Command::Hub(HubCommand::ListDevices), NOW)
        .await
        .expect("listed");
    let Response::Hub(HubResponse::Devices(list)) = devices else {
        panic!("expected a device list, got {devices:?}");
    };
    assert_eq!(list[0].id, id("zb:lamp"));
    let done = session
        .request(
            &id("zb:lamp"),
            &Command::Device {
                endpoint: 1,
                action: Action::TurnOn,
            },
            NOW,
        )
        .await
        .expect("turned on");
    assert_eq!(
        done,
        Response::Done {
            endpoint: 1,
            state: vec![Attribute::OnOff(true)]
        }
    );

    // An event from the lamp reaches the watching client, verified under the lamp's key.
    let event = Event::Report {
        endpoint: 1,
        values: vec![Attribute::OnOff(false)],
    };
    hub.events
        .send(event.clone())
        .await
        .expect("hub task alive");
    let seen = session.next_event().await.expect("event");
    assert_eq!(seen.device, id("zb:lamp"));
    assert_eq!(seen.event, event);
    assert_eq!(seen.epoch, 1);
    session.close().await.expect("closes");
    let _ = hub.stop.send(true);
}

#[tokio::test]
async fn a_wrong_code_is_refused_with_what_to_do() {
    let hub = start_hub().await;
    let err = client::pair(&hub.url(), &hub.wrong_code(), "laptop")
        .await
        .expect_err("a wrong code must not pair");
    assert!(matches!(err, client::Error::WrongCode), "{err:?}");
    assert!(
        err.to_string()
            .contains("the hub refused the code: check it")
    );
    // The right code still pairs afterwards (one wrong try does not lock).
    client::pair(&hub.url(), &hub.code, "laptop")
        .await
        .expect("the right code pairs");
    // And is then used up.
    let err = client::pair(&hub.url(), &hub.code, "laptop")
        .await
        .expect_err("used up");
    assert!(matches!(err, client::Error::UnknownCode), "{err:?}");
    let _ = hub.stop.send(true);
}

#[tokio::test]
async fn a_session_to_another_certificate_than_the_pinned_one_is_refused() {
    let hub = start_hub().await;
    let mut state = client::pair(&hub.url(), &hub.code, "laptop")
        .await
        .expect("pairs");
    state.hub.tls_sha256[0] ^= 1;
    let err = HubSession::open(&state).await.expect_err("pin mismatch");
    assert!(
        matches!(
            err,
            client::Error::Transport(sealhub::transport::Error::NotThePinnedCertificate { .. })
        ),
        "{err:?}"
    );
    let _ = hub.stop.send(true);
}

#[tokio::test]
async fn no_hub_listening_says_so() {
    // Bind then drop a listener, so the port is very likely closed.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let code = SetupCode::generate(1).expect("code");
    let err = client::pair(&format!("wss://{addr}"), &code, "laptop")
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, client::Error::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("is `sealhub run` running?"));
}
