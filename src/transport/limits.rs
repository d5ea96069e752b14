//! What the server is told at start: where to listen, which home it serves, and the limits
//! that keep one client from crowding out the others (`docs/TRANSPORT.md`, "Limits").

use std::net::SocketAddr;
use std::time::Duration;

use crate::identity::Kid;

/// How the server runs: its address, the home whose envelopes it accepts, and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// The address to listen on (`[transport] listen`; port 0 picks a free port).
    pub listen: SocketAddr,
    /// The home id: a command whose route names another home is refused at the door.
    pub home: Kid,
    /// The limits.
    pub limits: Limits,
}

impl TransportConfig {
    /// The configuration with the default [`Limits`].
    pub fn new(listen: SocketAddr, home: Kid) -> Self {
        TransportConfig {
            listen,
            home,
            limits: Limits::default(),
        }
    }
}

/// Bounds on connections, queues and rates. The defaults suit a home: a handful of clients,
/// each with a few sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Live WebSocket sessions of all kinds together; more are refused with HTTP 503.
    pub max_sessions: usize,
    /// Live sessions claiming one client id; more are refused with HTTP 429.
    pub max_sessions_per_client: usize,
    /// Live pairing sessions; more are refused with HTTP 503.
    pub max_pairing_sessions: usize,
    /// Sockets still in the TLS handshake or HTTP request; further sockets are closed at
    /// once, before any TLS, so a flood of half-open connections costs only this many tasks.
    pub max_handshakes: usize,
    /// How long a socket has for its TLS handshake and its HTTP upgrade request.
    pub handshake_timeout: Duration,
    /// Frames waiting to be written to one session; when full, the session is closed as
    /// "too slow" (it reconnects and asks for what it missed).
    pub session_queue_frames: usize,
    /// Sustained frames per second one session may send; beyond it, its reads wait.
    pub frames_per_second: u32,
    /// Frames one session may send in a burst before the rate applies.
    pub frame_burst: u32,
    /// Refused frames (unreadable route, other home, not a command) one session may send
    /// before it is closed.
    pub max_refused_frames: u32,
    /// How often the server pings an idle session.
    pub ping_interval: Duration,
    /// A session from which nothing (not even a pong) arrived for this long is closed.
    pub idle_timeout: Duration,
    /// How long the server tries to deliver a close frame to a session it closes before it
    /// drops the socket (a stalled client may never read it).
    pub close_grace: Duration,
    /// How long shutdown waits for sessions to end before `serve` returns anyway.
    pub shutdown_grace: Duration,
    /// A paired client's new session receives broadcasts and [`super::Outbound::ToClient`]
    /// frames only after the hub's first frame to that session (its key distribution): until
    /// then they wait, in order (counted against `session_queue_frames`). The session is
    /// routable as soon as it opens, before the hub has seen it, and a client cannot open an
    /// event whose device certificate it has not yet received.
    pub key_distribution_first: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 64,
            max_sessions_per_client: 8,
            max_pairing_sessions: 4,
            max_handshakes: 16,
            handshake_timeout: Duration::from_secs(10),
            session_queue_frames: 256,
            frames_per_second: 20,
            frame_burst: 40,
            max_refused_frames: 16,
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            close_grace: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(5),
            key_distribution_first: true,
        }
    }
}
