//! Why the transport could not start, a client could not connect, or a connection ended.

use std::net::SocketAddr;

/// A transport failure, on the hub's side (binding, the TLS identity) or a client's
/// (connecting, pinning, the session ending).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The sealed store failed while loading or saving the TLS identity.
    #[error("the TLS identity's store record")]
    Store(#[from] crate::store::Error),
    /// The stored TLS identity is damaged or does not fit together (key and certificate).
    #[error("the TLS identity is unusable: {0}")]
    Identity(String),
    /// rustls refused a configuration (server or client).
    #[error("TLS configuration: {0}")]
    TlsConfig(#[from] rustls::Error),
    /// The URL is not a `wss://host:port/path` URL the client can use.
    #[error("bad hub URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A connection without a pinned certificate was asked for outside pairing.
    #[error(
        "no certificate fingerprint to pin: only a pairing connection (/v1/pair) may go \
         unpinned, and only through connect_unpinned_for_pairing"
    )]
    PinRequired,
    /// The TCP connection could not be made.
    #[error("cannot connect to {addr}")]
    Connect {
        /// The hub's address.
        addr: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The hub presented another certificate than the pinned one: a different hub, or
    /// someone in between.
    #[error("the hub's certificate is not the pinned one (SHA-256 {presented})")]
    NotThePinnedCertificate {
        /// The fingerprint of the certificate presented, in hex.
        presented: String,
    },
    /// The TLS handshake failed for another reason.
    #[error("TLS handshake with {addr} failed")]
    TlsHandshake {
        /// The hub's address.
        addr: String,
        /// What rustls or the socket said.
        source: std::io::Error,
    },
    /// The WebSocket upgrade was refused (the hub answers with a reason, e.g. a limit) or
    /// failed, or the WebSocket broke afterwards.
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    /// The hub closed the session, saying why ("too slow": reconnect and ask for what was
    /// missed).
    #[error("the hub closed the session: {code} {reason}")]
    Closed {
        /// The WebSocket close code (RFC 6455 §7.4).
        code: u16,
        /// The hub's reason.
        reason: String,
    },
    /// The hub sent something other than a binary frame.
    #[error("the hub sent a {0} frame; only binary frames are expected")]
    UnexpectedFrame(&'static str),
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
