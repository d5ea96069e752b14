//! The server: a TCP listener, a TLS 1.3 handshake per socket (bounded in number and time), an
//! HTTP/1.1 request that either upgrades to a WebSocket session or gets a short answer, and
//! the router that delivers the hub task's `Outbound` requests to the sessions.
//!
//! One task accepts sockets and drains `Outbound` (routing never waits, see
//! [`super::registry`]); each socket gets a task for its handshake, each session a task of its
//! own ([`super::session`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

use super::counters::Counters;
use super::limits::{Limits, TransportConfig};
use super::registry::{Registry, SessionRefusal};
use super::session::{self, SessionContext, SessionKind};
use super::tls::TlsIdentity;
use super::{
    Error, HOME_PATH, Inbound, MAX_ENVELOPE_FRAME, MAX_PAIRING_FRAME, Outbound, PAIR_PATH, Result,
};
use crate::envelope::DeviceId;
use crate::identity::Kid;

/// What `GET /` answers.
const INDEX_TEXT: &str = "sealhub hub\n\n\
    Clients reach this hub over WebSocket:\n\
    \x20 /v1/home?client=<client id>  a paired client's session (sealed envelopes)\n\
    \x20 /v1/pair                     pairing with a setup code\n\n\
    Everything exchanged is sealed end to end; see docs/TRANSPORT.md.\n";

/// How long the accept loop pauses after the system refuses a socket (out of descriptors),
/// so it does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// A server bound to its address, not yet serving: lets the caller learn the port (when
/// configured as 0) and hold the counters before [`BoundTransport::run`].
pub struct BoundTransport {
    listener: TcpListener,
    local_addr: SocketAddr,
    home: Kid,
    limits: Arc<Limits>,
    tls: TlsAcceptor,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for BoundTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundTransport")
            .field("local_addr", &self.local_addr)
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

/// Binds and serves until `stop` turns true (or its sender is dropped, or the hub task drops
/// the `Outbound` sender); then closes every session ("hub shutting down") and returns once
/// they have ended, or after [`Limits::shutdown_grace`].
pub async fn serve(
    config: TransportConfig,
    identity: TlsIdentity,
    inbound: mpsc::Sender<Inbound>,
    outbound: mpsc::Receiver<Outbound>,
    stop: watch::Receiver<bool>,
) -> Result<()> {
    BoundTransport::bind(config, &identity)
        .await?
        .run(inbound, outbound, stop)
        .await
}

impl BoundTransport {
    /// Binds the listening socket and prepares TLS. Listening beyond loopback is allowed and
    /// logged.
    pub async fn bind(config: TransportConfig, identity: &TlsIdentity) -> Result<BoundTransport> {
        let tls = TlsAcceptor::from(identity.server_config()?);
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Bind {
                addr: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
        if config.listen.ip().is_loopback() {
            tracing::info!(%local_addr, fingerprint = %identity.fingerprint_hex(), "clients' transport listening (this machine only)");
        } else {
            tracing::warn!(
                %local_addr,
                fingerprint = %identity.fingerprint_hex(),
                "clients' transport listening beyond this machine: other hosts can reach it \
                 (envelopes stay sealed; limits apply)"
            );
        }
        Ok(BoundTransport {
            listener,
            local_addr,
            home: config.home,
            limits: Arc::new(config.limits),
            tls,
            counters: Arc::new(Counters::default()),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The counters of refusals and cut-off sessions.
    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }

    /// Serves until stopped; see [`serve`].
    pub async fn run(
        self,
        inbound: mpsc::Sender<Inbound>,
        mut outbound: mpsc::Receiver<Outbound>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<()> {
        let registry = Registry::new((*self.limits).clone(), Arc::clone(&self.counters));
        let app = Router::new()
            .route("/", get(index))
            .route(HOME_PATH, get(home_session))
            .route(PAIR_PATH, get(pairing_session))
            .fallback(not_found)
            .with_state(Shared {
                registry: Arc::clone(&registry),
                inbound,
                home: self.home,
                limits: Arc::clone(&self.limits),
                counters: Arc::clone(&self.counters),
            });
        let handshakes = Arc::new(Semaphore::new(self.limits.max_handshakes));
        let stopped = async move {
            // A dropped sender means the hub is going away: stop as well.
            let _ = stop.wait_for(|stop| *stop).await;
        };
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                biased;
                () = &mut stopped => break,
                out = outbound.recv() => match out {
                    Some(out) => registry.route(out),
                    None => {
                        tracing::info!("the hub task's outbound channel closed; stopping the transport");
                        break;
                    }
                },
                accepted = self.listener.accept() => match accepted {
                    Ok((tcp, peer)) => match Arc::clone(&handshakes).try_acquire_owned() {
                        Ok(permit) => {
                            tokio::spawn(connection(
                                tcp,
                                peer,
                                permit,
                                self.tls.clone(),
                                app.clone(),
                                self.limits.handshake_timeout,
                            ));
                        }
                        Err(_) => {
                            self.counters.refused_socket();
                            tracing::debug!(%peer, "too many handshakes under way; socket closed");
                        }
                    },
                    Err(e) => {
                        tracing::warn!("cannot accept a connection: {e}");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                },
            }
        }
        drop(self.listener);
        registry.shut_down();
        if tokio::time::timeout(self.limits.shutdown_grace, registry.emptied())
            .await
            .is_err()
        {
            tracing::warn!("some client sessions did not end in time; leaving them");
        }
        tracing::info!("clients' transport stopped");
        Ok(())
    }
}

/// One socket up to its upgrade (or its one plain answer): TLS, then one HTTP/1.1 request,
/// all within the handshake timeout.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    _permit: OwnedSemaphorePermit,
    tls: TlsAcceptor,
    app: Router,
    timeout: Duration,
) {
    // Every frame is small and someone waits for it (a response, an event): without this,
    // Nagle's algorithm holds a frame written right after another until the client's delayed
    // ACK, up to 40 ms on Linux (seen as an event followed 10 ms later by its `Done`).
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(%peer, "cannot set TCP_NODELAY: {e}");
    }
    let handshake = async {
        let stream = match tls.accept(tcp).await {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(%peer, "TLS handshake failed: {e}");
                return;
            }
        };
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
            app.clone().call(request)
        });
        let served = hyper::server::conn::http1::Builder::new()
            .keep_alive(false)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades()
            .await;
        if let Err(e) = served {
            tracing::debug!(%peer, "HTTP connection failed: {e}");
        }
    };
    if tokio::time::timeout(timeout, handshake).await.is_err() {
        tracing::debug!(%peer, "handshake took too long; socket closed");
    }
}

/// The peer's address, put in each request's extensions for the logs.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

/// What the HTTP handlers share.
#[derive(Clone)]
struct Shared {
    registry: Arc<Registry>,
    inbound: mpsc::Sender<Inbound>,
    home: Kid,
    limits: Arc<Limits>,
    counters: Arc<Counters>,
}

impl Shared {
    fn context(&self, slot: super::registry::Slot, kind: SessionKind) -> SessionContext {
        SessionContext {
            slot,
            kind,
            inbound: self.inbound.clone(),
            limits: Arc::clone(&self.limits),
            counters: Arc::clone(&self.counters),
        }
    }

    /// Reserves a slot, or answers with the limit that refused it.
    fn reserve(
        &self,
        client: Option<DeviceId>,
        peer: Peer,
    ) -> std::result::Result<super::registry::Slot, Response> {
        self.registry.reserve(client).map_err(|refusal| {
            self.counters.refused_session();
            tracing::info!(peer = %peer.0, "session refused: {refusal}");
            let status = match refusal {
                SessionRefusal::TooManyForClient { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            (status, format!("{refusal}\n")).into_response()
        })
    }
}

/// `GET /`: what this is.
async fn index() -> &'static str {
    INDEX_TEXT
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found; see GET /\n")
}

/// An upgrade request that is not a WebSocket upgrade gets the extractor's status and a line
/// saying what the endpoint wants.
fn not_a_websocket(rejection: WebSocketUpgradeRejection) -> Response {
    (
        rejection.status(),
        format!("this endpoint takes a WebSocket upgrade ({rejection})\n"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct HomeQuery {
    client: String,
}

/// `GET /v1/home?client=<client id>`: a paired client's session.
async fn home_session(
    State(shared): State<Shared>,
    Extension(peer): Extension<Peer>,
    query: std::result::Result<Query<HomeQuery>, axum::extract::rejection::QueryRejection>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return not_a_websocket(rejection),
    };
    let Some(client) = query
        .ok()
        .and_then(|Query(q)| DeviceId::new(&q.client).ok())
    else {
        return (
            StatusCode::BAD_REQUEST,
            "GET /v1/home?client=<client id>: the client id (1-64 characters of a-z 0-9 . _ : -) \
             is missing or invalid\n",
        )
            .into_response();
    };
    let slot = match shared.reserve(Some(client), peer) {
        Ok(slot) => slot,
        Err(response) => return response,
    };
    tracing::debug!(peer = %peer.0, conn = slot.conn(), "upgrading to a client session");
    let ctx = shared.context(slot, SessionKind::Home(shared.home));
    upgrade
        .max_message_size(MAX_ENVELOPE_FRAME)
        .max_frame_size(MAX_ENVELOPE_FRAME)
        .on_failed_upgrade(move |e| tracing::debug!(peer = %peer.0, "upgrade failed: {e}"))
        .on_upgrade(move |socket| session::run(socket, ctx))
}

/// `GET /v1/pair`: a pairing session.
async fn pairing_session(
    State(shared): State<Shared>,
    Extension(peer): Extension<Peer>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return not_a_websocket(rejection),
    };
    let slot = match shared.reserve(None, peer) {
        Ok(slot) => slot,
        Err(response) => return response,
    };
    tracing::debug!(peer = %peer.0, conn = slot.conn(), "upgrading to a pairing session");
    let ctx = shared.context(slot, SessionKind::Pairing);
    upgrade
        .max_message_size(MAX_PAIRING_FRAME)
        .max_frame_size(MAX_PAIRING_FRAME)
        .on_failed_upgrade(move |e| tracing::debug!(peer = %peer.0, "upgrade failed: {e}"))
        .on_upgrade(move |socket| session::run(socket, ctx))
}
