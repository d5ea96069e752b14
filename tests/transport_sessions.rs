//! The clients' transport over real sockets and real TLS on 127.0.0.1: pinning, commands up
//! to the hub with their route, refusals at the door, routing by client and read scope,
//! closing, pairing pass-through, limits and shutdown. Each test sequences itself on the
//! channels (a marker frame after the frames under test), never on time.

mod transport_support;

use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use sealhub::envelope::{MessageType, Route};
use sealhub::keymgmt::Home;
use sealhub::transport::client::{connect, connect_unpinned_for_pairing};
use sealhub::transport::tls::TlsIdentity;
use sealhub::transport::{Error, Inbound, Limits, Outbound, ReadScope};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use transport_support::{Hub, NOW, close_of, command, frame, id, start};

#[tokio::test]
async fn a_pinned_client_s_command_reaches_the_hub_with_its_route_and_the_answer_comes_back() {
    let mut hub = start(Limits::default()).await;
    let mut phone = hub.pair("phone");
    let (mut session, conn) = hub.connect("phone").await;

    let cmd = command(&mut phone, "zb:lamp", "on");
    session.send(cmd.clone()).await.expect("send");
    let (route, bytes) = match hub.next().await {
        Inbound::Envelope {
            conn: c,
            route,
            bytes,
        } if c == conn => (route, bytes),
        other => panic!("expected the command, got {other:?}"),
    };
    assert_eq!(bytes, cmd, "passed up unchanged");
    assert_eq!(
        route,
        Route {
            home: hub.home.home_id(),
            device: id("zb:lamp"),
            msg_type: MessageType::Command,
            epoch: hub.home.epoch(),
        }
    );
    // What came up is the real command: the hub opens it.
    let opened = hub
        .home
        .open_command(&bytes, Some(NOW), Instant::now())
        .expect("the hub opens the command");
    assert_eq!(opened.signer, phone.kid());

    // The answer goes back to exactly that session, and the client opens it.
    let response = hub
        .home
        .seal_response(
            &id("zb:lamp"),
            &id("phone"),
            coset::cbor::value::Value::Text("done".into()),
            opened.body.msg_id,
        )
        .expect("seal response");
    hub.send(Outbound::ToConnection {
        conn,
        bytes: response.clone(),
    })
    .await;
    let got = frame(&mut session).await;
    assert_eq!(got, response);
    assert_eq!(
        phone.open(&got).expect("client opens").body.body,
        coset::cbor::value::Value::Text("done".into())
    );
}

#[tokio::test]
async fn a_client_refuses_a_hub_that_shows_another_certificate() {
    let hub = start(Limits::default()).await;
    // The pin of another hub's certificate, as a client paired elsewhere (or fooled by a
    // machine in between) would hold.
    let other = TlsIdentity::generate().expect("identity");
    let err = connect(&hub.home_url("phone"), Some(other.fingerprint()))
        .await
        .expect_err("wrong pin");
    match err {
        Error::NotThePinnedCertificate { presented } => {
            assert_eq!(presented, hex::encode(hub.fingerprint));
        }
        other => panic!("expected NotThePinnedCertificate, got {other}"),
    }
    // No pin at all is refused before connecting, and the unpinned pairing connection cannot
    // be pointed at a client's session.
    assert!(matches!(
        connect(&hub.home_url("phone"), None).await,
        Err(Error::PinRequired)
    ));
    assert!(matches!(
        connect_unpinned_for_pairing(&hub.home_url("phone")).await,
        Err(Error::PinRequired)
    ));
    assert!(matches!(
        connect(&format!("ws://{}/v1/pair", hub.addr), Some(hub.fingerprint)).await,
        Err(Error::Url { .. })
    ));
}

/// A real command whose route's version byte reads 2.
fn with_route_version_2(cmd: &[u8], route: &Route) -> Vec<u8> {
    let route_bytes = route.to_bytes();
    let at = cmd
        .windows(route_bytes.len())
        .position(|w| w == route_bytes.as_slice())
        .expect("the route travels verbatim");
    let mut out = cmd.to_vec();
    assert_eq!(out[at + 1], 0x01, "version 1 after the array header");
    out[at + 1] = 0x02;
    out
}

#[tokio::test]
async fn frames_with_a_bad_route_never_reach_the_hub() {
    let mut hub = start(Limits::default()).await;
    let mut phone = hub.pair("phone");
    let (mut session, conn) = hub.connect("phone").await;

    // Another home's command: a client paired elsewhere, with its own valid envelope.
    let dir = transport_support::tempdir();
    let store = sealhub::store::Store::open(
        dir.path(),
        &sealhub::store::KekSource::default_key_file(dir.path()),
    )
    .expect("store");
    let (mut elsewhere, _) = Home::open(
        store,
        sealhub::envelope::freshness::FreshnessPolicy::default(),
    )
    .expect("home");
    elsewhere.issue_device(&id("zb:lamp")).expect("lamp");
    let keys = sealhub::keymgmt::ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut stranger = sealhub::keymgmt::Client::new(id("stranger"), keys, elsewhere.root_public());
    let pairing = elsewhere
        .pair_client(
            &id("stranger"),
            public,
            sealhub::identity::Permissions::ALL,
            None,
        )
        .expect("pairs");
    stranger.open(&pairing.key_distribution).expect("keys");
    let foreign = command(&mut stranger, "zb:lamp", "on");

    // An event: a type only the hub sends.
    let event = hub.event("zb:lamp", "on");
    // A route of a later layout.
    let cmd = command(&mut phone, "zb:lamp", "on");
    let route = Route {
        home: hub.home.home_id(),
        device: id("zb:lamp"),
        msg_type: MessageType::Command,
        epoch: hub.home.epoch(),
    };
    let v2 = with_route_version_2(&cmd, &route);
    // Not COSE at all.
    let garbage = b"{\"unlock\": true}".to_vec();

    for bad in [foreign, event, v2, garbage] {
        session.send(bad).await.expect("send");
    }
    let good = command(&mut phone, "zb:lock", "lock");
    session.send(good.clone()).await.expect("send");

    // The first thing after Connected is the good command: the four before it were dropped.
    match hub.next().await {
        Inbound::Envelope { conn: c, bytes, .. } => {
            assert_eq!(c, conn);
            assert_eq!(bytes, good);
        }
        other => panic!("expected only the good command, got {other:?}"),
    }
    let counts = hub.counters.snapshot();
    assert_eq!(counts.other_home, 1, "{counts:?}");
    assert_eq!(counts.not_from_clients, 1, "{counts:?}");
    assert_eq!(counts.unsupported_version, 1, "{counts:?}");
    assert_eq!(counts.unreadable_route, 1, "{counts:?}");
    // Refused frames do not end the session.
    hub.send(Outbound::ToConnection {
        conn,
        bytes: vec![1],
    })
    .await;
    assert_eq!(frame(&mut session).await, vec![1]);
}

#[tokio::test]
async fn a_session_sending_refused_frames_again_and_again_is_closed() {
    let mut limits = Limits::default();
    limits.max_refused_frames = 3;
    let mut hub = start(limits).await;
    let (mut session, conn) = hub.connect("phone").await;
    for _ in 0..3 {
        session.send(vec![0xff; 8]).await.expect("send");
    }
    assert_eq!(
        close_of(&mut session).await,
        (1008, "too many refused frames".into())
    );
    assert_eq!(hub.next().await, Inbound::Closed { conn });
    assert_eq!(hub.counters.snapshot().too_many_refused, 1);
}

#[tokio::test]
async fn text_and_oversized_frames_close_the_session_and_never_reach_the_hub() {
    let mut hub = start(Limits::default()).await;
    let mut phone = hub.pair("phone");

    let (session, conn) = hub.connect("phone").await;
    let mut raw = session.into_inner();
    let cmd = command(&mut phone, "zb:lamp", "on");
    let text = String::from_utf8_lossy(&cmd).into_owned();
    raw.send(Message::Text(text.into())).await.expect("send");
    let close = loop {
        match raw.next().await {
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame with a code"),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::Unsupported);
    assert_eq!(hub.next().await, Inbound::Closed { conn });

    let (session, conn) = hub.connect("phone").await;
    let mut raw = session.into_inner();
    let mut oversized = command(&mut phone, "zb:lamp", "on");
    oversized.resize(sealhub::transport::MAX_ENVELOPE_FRAME + 1, 0);
    raw.send(Message::Binary(oversized.into()))
        .await
        .expect("send");
    let close = loop {
        match raw.next().await {
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame with a code"),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::Size);
    assert_eq!(hub.next().await, Inbound::Closed { conn });

    let counts = hub.counters.snapshot();
    assert_eq!((counts.text_frames, counts.oversized_frames), (1, 1));
}

#[tokio::test]
async fn broadcasts_reach_only_the_clients_whose_scope_allows_the_device() {
    let mut hub = start(Limits::default()).await;
    let (mut everything, _) = hub.connect("everything").await;
    let (mut lamp_only, _) = hub.connect("lamp-only").await;
    let (mut unknown, _) = hub.connect("unknown").await;
    let (mut nothing, _) = hub.connect("nothing").await;
    hub.scope("everything", ReadScope::All).await;
    hub.scope("lamp-only", ReadScope::Devices(vec![id("zb:lamp")]))
        .await;
    hub.scope("nothing", ReadScope::Nothing).await;

    let lock_event = hub.event("zb:lock", "locked");
    let lamp_event = hub.event("zb:lamp", "on");
    for (device, bytes) in [("zb:lock", &lock_event), ("zb:lamp", &lamp_event)] {
        hub.send(Outbound::Broadcast {
            device: id(device),
            bytes: bytes.clone(),
        })
        .await;
    }
    // A marker to each client after the broadcasts: what arrives before it is all it got.
    for client in ["everything", "lamp-only", "unknown", "nothing"] {
        hub.send(Outbound::ToClient {
            client: id(client),
            bytes: b"marker".to_vec(),
        })
        .await;
    }
    async fn until_marker(conn: &mut sealhub::transport::client::ClientConnection) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        loop {
            let f = frame(conn).await;
            if f == b"marker" {
                return got;
            }
            got.push(f);
        }
    }
    assert_eq!(
        until_marker(&mut everything).await,
        vec![lock_event, lamp_event.clone()]
    );
    assert_eq!(until_marker(&mut lamp_only).await, vec![lamp_event]);
    assert!(until_marker(&mut unknown).await.is_empty());
    assert!(until_marker(&mut nothing).await.is_empty());
}

#[tokio::test]
async fn to_client_reaches_every_session_of_that_client_and_no_other() {
    let mut hub = start(Limits::default()).await;
    let (mut phone_a, _) = hub.connect("phone").await;
    let (mut phone_b, _) = hub.connect("phone").await;
    let (mut tablet, _) = hub.connect("tablet").await;
    hub.send(Outbound::ToClient {
        client: id("phone"),
        bytes: b"key distribution".to_vec(),
    })
    .await;
    hub.send(Outbound::ToClient {
        client: id("tablet"),
        bytes: b"marker".to_vec(),
    })
    .await;
    assert_eq!(frame(&mut phone_a).await, b"key distribution");
    assert_eq!(frame(&mut phone_b).await, b"key distribution");
    assert_eq!(
        frame(&mut tablet).await,
        b"marker",
        "the tablet got nothing before"
    );
}

#[tokio::test]
async fn close_client_closes_all_its_sessions_and_only_those() {
    let mut hub = start(Limits::default()).await;
    let (mut phone_a, conn_a) = hub.connect("phone").await;
    let (mut phone_b, conn_b) = hub.connect("phone").await;
    let (mut tablet, tablet_conn) = hub.connect("tablet").await;
    hub.send(Outbound::CloseClient {
        client: id("phone"),
    })
    .await;
    assert_eq!(
        close_of(&mut phone_a).await,
        (1008, "client removed".into())
    );
    assert_eq!(
        close_of(&mut phone_b).await,
        (1008, "client removed".into())
    );
    let mut closed = vec![hub.next().await, hub.next().await];
    closed.sort_by_key(|i| match i {
        Inbound::Closed { conn } => *conn,
        other => panic!("expected Closed, got {other:?}"),
    });
    let mut expected = vec![
        Inbound::Closed { conn: conn_a },
        Inbound::Closed { conn: conn_b },
    ];
    expected.sort_by_key(|i| match i {
        Inbound::Closed { conn } => *conn,
        _ => 0,
    });
    assert_eq!(closed, expected);
    // The tablet is untouched; CloseConnection closes one session.
    hub.send(Outbound::ToConnection {
        conn: tablet_conn,
        bytes: vec![7],
    })
    .await;
    assert_eq!(frame(&mut tablet).await, vec![7]);
    hub.send(Outbound::CloseConnection { conn: tablet_conn })
        .await;
    assert_eq!(
        close_of(&mut tablet).await,
        (1000, "closed by the hub".into())
    );
    assert_eq!(hub.next().await, Inbound::Closed { conn: tablet_conn });
}

#[tokio::test]
async fn pairing_frames_pass_through_unchanged_both_ways() {
    let mut hub = start(Limits::default()).await;
    let mut pairing = connect_unpinned_for_pairing(&hub.pair_url())
        .await
        .expect("connects unpinned");
    let conn = match hub.next().await {
        Inbound::Connected { conn, client: None } => conn,
        other => panic!("expected a pairing session, got {other:?}"),
    };
    // Opaque bytes, not envelopes: nothing is parsed.
    let frames: Vec<Vec<u8>> = vec![
        vec![0x00],
        b"spake2+ share".to_vec(),
        (0..=255u8)
            .cycle()
            .take(sealhub::transport::MAX_PAIRING_FRAME)
            .collect(),
    ];
    for f in &frames {
        pairing.send(f.clone()).await.expect("send");
    }
    for f in &frames {
        assert_eq!(
            hub.next().await,
            Inbound::Pairing {
                conn,
                bytes: f.clone()
            }
        );
    }
    hub.send(Outbound::ToConnection {
        conn,
        bytes: b"hub share".to_vec(),
    })
    .await;
    assert_eq!(frame(&mut pairing).await, b"hub share");
    // A pairing frame over 4 KiB closes the session.
    pairing
        .send(vec![0; sealhub::transport::MAX_PAIRING_FRAME + 1])
        .await
        .expect("send");
    assert_eq!(close_of(&mut pairing).await.0, 1009);
    assert_eq!(hub.next().await, Inbound::Closed { conn });
    // The pinned client can pair too (a client re-pairing with a known hub).
    let _pinned = connect(&hub.pair_url(), Some(hub.fingerprint))
        .await
        .expect("pinned pairing");
}

/// The HTTP status of a refused upgrade.
fn refused_status(result: Result<sealhub::transport::client::ClientConnection, Error>) -> u16 {
    match result {
        Err(Error::WebSocket(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            response.status().as_u16()
        }
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn session_limits_refuse_clearly_and_free_up_when_sessions_end() {
    let mut limits = Limits::default();
    limits.max_sessions = 4;
    limits.max_sessions_per_client = 2;
    limits.max_pairing_sessions = 1;
    let mut hub = start(limits).await;
    let (mut phone_a, conn_a) = hub.connect("phone").await;
    let (_phone_b, _) = hub.connect("phone").await;
    assert_eq!(
        refused_status(connect(&hub.home_url("phone"), Some(hub.fingerprint)).await),
        429
    );
    let _pairing = connect_unpinned_for_pairing(&hub.pair_url())
        .await
        .expect("pairing");
    assert!(matches!(
        hub.next().await,
        Inbound::Connected { client: None, .. }
    ));
    assert_eq!(
        refused_status(connect_unpinned_for_pairing(&hub.pair_url()).await),
        503
    );
    let (_tablet, _) = hub.connect("tablet").await;
    assert_eq!(
        refused_status(connect(&hub.home_url("watch"), Some(hub.fingerprint)).await),
        503
    );
    assert_eq!(hub.counters.snapshot().refused_sessions, 3);

    // One phone session leaves; its slot is free once the hub has heard it closed.
    phone_a.close().await.expect("close");
    assert_eq!(hub.next().await, Inbound::Closed { conn: conn_a });
    let (_phone_c, _) = hub.connect("phone").await;
}

#[tokio::test]
async fn bad_requests_get_a_plain_answer() {
    let hub = start(Limits::default()).await;
    // Without a client id, or with one that is not an id.
    for url in [
        format!("wss://{}/v1/home", hub.addr),
        format!("wss://{}/v1/home?client=Not%20An%20Id", hub.addr),
    ] {
        assert_eq!(
            refused_status(connect(&url, Some(hub.fingerprint)).await),
            400
        );
    }
    assert_eq!(
        refused_status(
            connect(
                &format!("wss://{}/v2/home", hub.addr),
                Some(hub.fingerprint)
            )
            .await
        ),
        404
    );
    // GET / says what this is.
    match connect(&format!("wss://{}/", hub.addr), Some(hub.fingerprint)).await {
        Err(Error::WebSocket(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            assert_eq!(response.status().as_u16(), 200);
            let body =
                String::from_utf8(response.body().clone().unwrap_or_default()).expect("text");
            assert!(
                body.contains("sealhub") && body.contains("/v1/home"),
                "{body}"
            );
        }
        other => panic!("expected the plain page, got {other:?}"),
    }
}

#[tokio::test]
async fn stop_closes_every_session_and_ends_serve() {
    let mut hub: Hub = start(Limits::default()).await;
    let (mut phone, conn) = hub.connect("phone").await;
    let mut pairing = connect_unpinned_for_pairing(&hub.pair_url())
        .await
        .expect("pairing");
    let pair_conn = match hub.next().await {
        Inbound::Connected { conn, .. } => conn,
        other => panic!("{other:?}"),
    };
    hub.stop.send(true).expect("stop");
    assert_eq!(
        close_of(&mut phone).await,
        (1001, "hub shutting down".into())
    );
    assert_eq!(
        close_of(&mut pairing).await,
        (1001, "hub shutting down".into())
    );
    let mut closed = vec![hub.next().await, hub.next().await];
    closed.sort_by_key(|i| format!("{i:?}"));
    let mut expected = vec![
        Inbound::Closed { conn },
        Inbound::Closed { conn: pair_conn },
    ];
    expected.sort_by_key(|i| format!("{i:?}"));
    assert_eq!(closed, expected);
    let url = hub.home_url("phone");
    hub.serving
        .await
        .expect("joins")
        .expect("serve ends cleanly");
    // Nobody listens any more.
    assert!(matches!(
        connect(&url, Some(hub.fingerprint)).await,
        Err(Error::Connect { .. })
    ));
}

/// `serve` as `src/runtime/` calls it: the identity from the store, the home id, the
/// configured address, the two channels and the stop switch.
#[tokio::test]
async fn serve_reports_a_taken_address_and_returns_when_stopped() {
    let dir = transport_support::tempdir();
    let store = sealhub::store::Store::open(
        dir.path(),
        &sealhub::store::KekSource::default_key_file(dir.path()),
    )
    .expect("store");
    let (home, _) = Home::open(
        store.handle(),
        sealhub::envelope::freshness::FreshnessPolicy::default(),
    )
    .expect("home");
    let config = sealhub::config::Config::load(None).expect("defaults");
    assert!(config.transport.enabled);
    let wire = |listen| {
        let (identity, _) = TlsIdentity::load_or_create(&store).expect("identity");
        let (inbound, _inbound_rx) =
            tokio::sync::mpsc::channel(sealhub::transport::INBOUND_CHANNEL_CAPACITY);
        let (_outbound_tx, outbound) =
            tokio::sync::mpsc::channel(sealhub::transport::OUTBOUND_CHANNEL_CAPACITY);
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let config = sealhub::transport::TransportConfig::new(listen, home.home_id());
        (
            sealhub::transport::serve(config, identity, inbound, outbound, stop),
            stop_tx,
        )
    };

    // Someone else holds the address: a bind error naming it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let (serving, _stop) = wire(addr);
    match serving.await {
        Err(Error::Bind { addr: a, .. }) => assert_eq!(a, addr),
        other => panic!("expected a bind error, got {other:?}"),
    }

    // Stopped: serve returns cleanly.
    let (serving, stop) = wire(std::net::SocketAddr::new(config.transport.listen.ip(), 0));
    let serving = tokio::spawn(serving);
    stop.send(true).expect("stop");
    serving.await.expect("joins").expect("serve returns Ok");
}
