//! Pairing a laptop end to end over real sockets and real TLS on 127.0.0.1: the client side
//! (`sealhub::client`) against the real transport, the real pairing core and a real `Home`,
//! played by the hub task in `onboarding_support`. No timed assertions: every wait is for a
//! message.

mod onboarding_support;

use onboarding_support::{client_store, id, now_unix, start_hub, start_hub_vouching, tempdir};
use sealhub::client::{self, HubSession, PairedClient};
use sealhub::identity::Thumbprint;
use sealhub::model::{Action, Attribute, Command, Event, HubCommand, HubResponse, Response};
use sealhub::pairing::SetupCode;

/// Turns the lamp on through `session`, as a person's `sealhub client send` would.
async fn turn_on(session: &mut HubSession) -> Response {
    session
        .request(
            &id("zb:lamp"),
            &Command::Device {
                endpoint: 1,
                action: Action::TurnOn,
            },
            now_unix(),
        )
        .await
        .expect("answered")
}

#[tokio::test]
async fn a_laptop_pairs_reloads_its_state_and_commands_the_hub() {
    let hub = start_hub().await;
    let pairing = client::pair(&hub.url(), &hub.code, "Ada's laptop")
        .await
        .expect("pairs");
    assert_eq!(pairing.link.hub.client_id.as_str(), "ada-s-laptop");
    assert_eq!(pairing.link.hub.tls_sha256, hub.fingerprint);
    assert_eq!(pairing.link.url, hub.url());
    let keys = pairing.keys.public();
    let link = pairing.link.clone();

    // Saved in the client's own store, then reloaded as a later run would.
    let dir = tempdir();
    {
        let store = client_store(dir.path());
        pairing.save(&store).expect("saves");
    }
    let store = client_store(dir.path());
    let reloaded = PairedClient::load(&store)
        .expect("loads")
        .expect("was saved");
    assert_eq!(reloaded.link, link);
    assert_eq!(reloaded.client.kid(), Thumbprint::of(&keys.signing).kid());
    assert_eq!(
        reloaded.client.agreement_kid(),
        Thumbprint::of(&keys.agreement).kid()
    );

    let mut session = HubSession::open(reloaded).await.expect("pinned session");
    let devices = session
        .request(
            &id("hub"),
            &Command::Hub(HubCommand::ListDevices),
            now_unix(),
        )
        .await
        .expect("listed");
    let Response::Hub(HubResponse::Devices(list)) = devices else {
        panic!("expected a device list, got {devices:?}");
    };
    assert_eq!(list[0].id, id("zb:lamp"));
    assert_eq!(
        turn_on(&mut session).await,
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

    // A later run goes on from the store: its command carries a sequence number the hub's
    // replay window has not seen, so it is answered, not refused.
    drop(session.close().await.expect("closes"));
    drop(store);
    let store = client_store(dir.path());
    let paired = PairedClient::load(&store).expect("loads").expect("saved");
    let mut again = HubSession::open(paired).await.expect("second session");
    assert!(matches!(turn_on(&mut again).await, Response::Done { .. }));
    let _ = hub.stop.send(true);
}

#[tokio::test]
async fn a_restarted_client_refuses_a_replayed_event_and_keeps_working() {
    let hub = start_hub().await;
    let dir = tempdir();
    let pairing = client::pair(&hub.url(), &hub.code, "laptop")
        .await
        .expect("pairs");
    let store = client_store(dir.path());
    let paired = pairing.save(&store).expect("saves");
    let mut session = HubSession::open(paired).await.expect("session");
    let first = Event::Report {
        endpoint: 1,
        values: vec![Attribute::OnOff(true)],
    };
    hub.events.send(first.clone()).await.expect("hub alive");
    assert_eq!(session.next_event().await.expect("event").event, first);
    let recorded = hub.sent.lock().expect("lock")[0].clone();

    // The client stops and starts again from its store.
    drop(session.close().await.expect("closes"));
    drop(store);
    let store = client_store(dir.path());
    let paired = PairedClient::load(&store).expect("loads").expect("saved");
    let mut session = HubSession::open(paired)
        .await
        .expect("session after the restart");

    // The old event, exactly as it was sent, then a new one: the new one is the first the
    // client takes (both come over one connection, in order), so the replay was refused.
    hub.raw.send(recorded).await.expect("hub alive");
    let second = Event::Report {
        endpoint: 1,
        values: vec![Attribute::OnOff(false)],
    };
    hub.events.send(second.clone()).await.expect("hub alive");
    let seen = session.next_event().await.expect("event");
    assert_eq!(seen.event, second, "the replayed event was taken: {seen:?}");
    // And it keeps working: a command after the restart is answered.
    assert!(matches!(turn_on(&mut session).await, Response::Done { .. }));
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
    let mut pairing = client::pair(&hub.url(), &hub.code, "laptop")
        .await
        .expect("pairs");
    pairing.link.hub.tls_sha256[0] ^= 1;
    let dir = tempdir();
    let store = client_store(dir.path());
    let paired = pairing.save(&store).expect("saves");
    let err = HubSession::open(paired).await.expect_err("pin mismatch");
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

#[tokio::test]
async fn a_hub_vouching_for_another_certificate_than_the_one_presented_is_refused() {
    // As when a TLS-terminating proxy sits between the client and the hub.
    let hub = start_hub_vouching(None, Some([0xee; 32])).await;
    let err = client::pair(&hub.url(), &hub.code, "laptop")
        .await
        .expect_err("mismatched certificate");
    assert!(matches!(err, client::Error::Verification(_)), "{err:?}");
    assert!(
        err.to_string().contains("connect to the hub directly"),
        "{err}"
    );
    let _ = hub.stop.send(true);
}
