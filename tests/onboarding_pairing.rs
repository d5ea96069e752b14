//! Pairing a laptop end to end over real sockets and real TLS on 127.0.0.1: the client side
//! (`sealhub::client`) against the real transport, the real pairing core and a real `Home`,
//! played by the hub task in `support::onboarding`. No timed assertions: every wait is for a
//! message.

mod support;

use sealhub::client::{self, ClientState, HubSession};
use sealhub::model::{Action, Attribute, Command, Event, HubCommand, HubResponse, Response};
use sealhub::pairing::SetupCode;
use support::onboarding::{client_store, start_hub, start_hub_vouching};
use support::{id, unix_now as now_unix};

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
    let done = session
        .request(
            &id("zb:lamp"),
            &Command::Device {
                endpoint: 1,
                action: Action::TurnOn,
            },
            now_unix(),
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

    // A later run goes on from the saved state: its command carries a sequence number the
    // hub's replay window has not seen, so it is answered, not refused.
    let mut state = reloaded;
    session.update(&mut state);
    assert_eq!(state.sealed, 2);
    state.save(&store).expect("saves");
    session.close().await.expect("closes");
    let state = ClientState::load(&store).expect("loads").expect("saved");
    let mut again = HubSession::open(&state).await.expect("second session");
    let response = again
        .request(
            &id("zb:lamp"),
            &Command::Device {
                endpoint: 1,
                action: Action::TurnOn,
            },
            now_unix(),
        )
        .await
        .expect("answered after a restart of the client");
    assert!(matches!(response, Response::Done { .. }));
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
