//! The clients' transport and pairing in `sealhub run`: binds the transport with the hub's
//! TLS identity, makes this start's setup code and prints how to pair, and runs
//! [`serve_pairing`], which feeds the transport's pairing frames to `Onboarding`.
//!
//! Until the gateway task owns the `Home` and takes the transport's `Inbound` itself, command
//! envelopes are logged and dropped here. When it does, its loop takes over the body of
//! [`serve_pairing`]: `Inbound::Pairing` → `Onboarding::on_frame`, `Inbound::Closed` →
//! `Onboarding::on_closed`, `Onboarding::next_deadline` → `Onboarding::tick`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use sealhub::config::Config;
use sealhub::keymgmt::Home;
use sealhub::onboarding::Onboarding;
use sealhub::pairing::{PairingPolicy, SetupCode};
use sealhub::store::Store;
use sealhub::transport::tls::TlsIdentity;
use sealhub::transport::{
    BoundTransport, INBOUND_CHANNEL_CAPACITY, Inbound, OUTBOUND_CHANNEL_CAPACITY, Outbound,
    TransportConfig,
};
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

/// Starts the transport and the pairing task; returns their tasks. A transport that cannot
/// bind (the port is taken) is logged and left out: the radios run without it.
pub async fn start(
    config: &Config,
    home: Arc<Mutex<Home>>,
    store: &Store,
    stop: watch::Receiver<bool>,
) -> Result<Vec<(&'static str, JoinHandle<()>)>> {
    let (identity, created) =
        TlsIdentity::load_or_create(store).context("cannot load or make the TLS identity")?;
    if created {
        info!(fingerprint = %identity.fingerprint_hex(), "made the hub's TLS certificate");
    }
    let (home_id, now_unix) = {
        let home = home.lock().await;
        (home.home_id(), home.now_unix())
    };
    let transport_config = TransportConfig::new(config.transport.listen, home_id);
    let bound = match BoundTransport::bind(transport_config, &identity).await {
        Ok(bound) => bound,
        Err(e) => {
            warn!("the clients' transport is not running: {e:#}");
            return Ok(Vec::new());
        }
    };
    let addr = bound.local_addr();
    let (inbound_tx, inbound) = mpsc::channel(INBOUND_CHANNEL_CAPACITY);
    let (outbound, outbound_rx) = mpsc::channel(OUTBOUND_CHANNEL_CAPACITY);
    let transport_stop = stop.clone();
    let transport = tokio::spawn(async move {
        if let Err(e) = bound.run(inbound_tx, outbound_rx, transport_stop).await {
            warn!("the clients' transport failed: {e:#}");
        }
    });

    let mut onboarding = {
        let home = home.lock().await;
        Onboarding::open(
            store.handle(),
            &home,
            PairingPolicy::default(),
            Instant::now(),
            now_unix,
        )
        .context("cannot open pairing")?
    };
    let code = onboarding
        .start_code(Instant::now())
        .context("cannot make a setup code")?;
    print!(
        "{}",
        pairing_banner(addr, &code, &identity.fingerprint_hex())
    );
    let pairing = tokio::spawn(serve_pairing(
        home,
        onboarding,
        identity.fingerprint(),
        inbound,
        outbound,
        stop,
    ));
    Ok(vec![("transport", transport), ("pairing", pairing)])
}

/// The block printed at start: the code, the fingerprint, and the command to pair from this
/// machine.
fn pairing_banner(addr: SocketAddr, code: &SetupCode, fingerprint_hex: &str) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    let code = code.to_grouped_string();
    format!(
        "\nPair a client with this hub (the code works once, until the hub restarts):\n\
         \x20 setup code:       {code}\n\
         \x20 TLS fingerprint:  {fingerprint_hex}\n\
         \x20 from this machine:\n\
         \x20   sealhub client pair wss://{host}:{port} --code {code}\n\n",
        code = code.as_str(),
        port = addr.port()
    )
}

/// Feeds the transport's pairing frames to `onboarding` (with the home locked for the
/// frame that certifies a client), answers through `outbound`, and ends conversations at
/// their deadlines, until `stop` or until the transport goes away.
pub async fn serve_pairing(
    home: Arc<Mutex<Home>>,
    mut onboarding: Onboarding,
    tls_sha256: [u8; 32],
    mut inbound: mpsc::Receiver<Inbound>,
    outbound: mpsc::Sender<Outbound>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let deadline = onboarding.next_deadline();
        let expired = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let out = tokio::select! {
            // The guard `wait_for` returns is dropped inside, so the future stays `Send`.
            () = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
            () = expired => onboarding.tick(Instant::now()),
            message = inbound.recv() => match message {
                None => break,
                Some(Inbound::Pairing { conn, bytes }) => {
                    let mut home = home.lock().await;
                    onboarding.on_frame(&mut home, tls_sha256, conn, &bytes, Instant::now())
                }
                Some(Inbound::Closed { conn }) => {
                    onboarding.on_closed(conn);
                    Vec::new()
                }
                Some(Inbound::Envelope { conn, route, .. }) => {
                    debug!(conn, device = %route.device, "command dropped: the gateway is not wired to the transport yet");
                    Vec::new()
                }
                Some(Inbound::Connected { .. }) => Vec::new(),
            },
        };
        for request in out {
            if outbound.send(request).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_gives_the_code_grouped_and_the_exact_command() {
        let code = SetupCode::parse("1234-5670").or_else(|_| SetupCode::generate(1));
        let code = code.expect("a code");
        let grouped = code.to_grouped_string();
        let banner = pairing_banner("0.0.0.0:8443".parse().expect("addr"), &code, "ab12");
        assert!(banner.contains(&format!(
            "sealhub client pair wss://127.0.0.1:8443 --code {}",
            grouped.as_str()
        )));
        assert!(banner.contains("TLS fingerprint:  ab12"));
        let v6 = pairing_banner("[::1]:9000".parse().expect("addr"), &code, "ab12");
        assert!(v6.contains("wss://[::1]:9000"));
    }

    /// The task as the runtime spawns it: a PairStart for the start code is answered with
    /// PairParams on its connection, a command envelope is dropped, and the task ends on stop.
    #[tokio::test]
    async fn serve_pairing_answers_pairing_frames_and_stops() {
        use sealhub::envelope::freshness::FreshnessPolicy;
        use sealhub::pairing::verifier::MIN_ITERATIONS;
        use sealhub::pairing::{ClientPairing, Message};
        use sealhub::store::KekSource;

        let dir = tempfile::tempdir().expect("tmp");
        let store =
            Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
        let (home, _) = Home::open(store.handle(), FreshnessPolicy::default()).expect("home");
        let policy = PairingPolicy {
            iterations: MIN_ITERATIONS,
            ..PairingPolicy::default()
        };
        let mut onboarding =
            Onboarding::open(store.handle(), &home, policy, Instant::now(), None).expect("open");
        let code = onboarding.start_code(Instant::now()).expect("code");
        let (inbound_tx, inbound) = mpsc::channel(4);
        let (outbound, mut outbound_rx) = mpsc::channel(4);
        let (stop_tx, stop) = watch::channel(false);
        let task = tokio::spawn(serve_pairing(
            Arc::new(Mutex::new(home)),
            onboarding,
            [0; 32],
            inbound,
            outbound,
            stop,
        ));
        let (_, start) = ClientPairing::start(&code, "laptop").expect("start");
        inbound_tx
            .send(Inbound::Envelope {
                conn: 3,
                route: sealhub::envelope::Route {
                    home: sealhub::identity::Kid([0; 8]),
                    device: sealhub::envelope::DeviceId::new("hub").expect("id"),
                    msg_type: sealhub::envelope::MessageType::Command,
                    epoch: 1,
                },
                bytes: vec![0],
            })
            .await
            .expect("sent");
        inbound_tx
            .send(Inbound::Pairing {
                conn: 7,
                bytes: start,
            })
            .await
            .expect("sent");
        // The first (and only) answer is the PairParams to connection 7: the envelope before
        // it produced nothing.
        match outbound_rx.recv().await.expect("an answer") {
            Outbound::ToConnection { conn, bytes } => {
                assert_eq!(conn, 7);
                assert!(matches!(
                    Message::from_bytes(&bytes).expect("message"),
                    Message::Params { .. }
                ));
            }
            other => panic!("unexpected {other:?}"),
        }
        stop_tx.send(true).expect("stop");
        task.await.expect("the task ends on stop");
    }
}
