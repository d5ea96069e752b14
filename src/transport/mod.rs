//! The clients' transport: WebSocket over TLS 1.3 between the hub and its clients (the
//! `sealhub client` CLI, a web page, a cloud relay). See `docs/TRANSPORT.md`.
//!
//! Where it sits: clients send sealed command envelopes in, the hub task (which owns the
//! [`Home`](crate::keymgmt::Home)) opens them; the hub task hands sealed responses, events and
//! key distributions out, and this layer delivers them. It reads only the route in an
//! envelope's outer unprotected header (never a body, never a key) and, on the pairing path,
//! passes opaque pairing frames through.
//!
//! ```text
//!   client ── wss ──► server.rs (TLS, HTTP upgrade, limits) ──► session.rs (one task a socket)
//!                                                                 │ binary frame
//!                                                                 ▼
//!                                   route.rs (keyless route check: home, version, Command only)
//!                                                                 │ Inbound (bounded)
//!                                                                 ▼
//!                                                              hub task
//!                                                                 │ Outbound (bounded)
//!                                                                 ▼
//!   client ◄── wss ── session.rs ◄── queue (bounded, per socket) ◄── registry.rs (router)
//! ```
//!
//! The router never waits for a socket: each session has its own bounded queue, and a session
//! whose queue is full is closed ("too slow"), so one stalled client cannot hold up the hub or
//! the other clients. The client side ([`client`]) pins the hub's certificate
//! ([`tls::TlsIdentity`]) by its SHA-256 fingerprint.

pub mod client;
mod counters;
mod error;
mod limits;
mod registry;
pub mod route;
mod server;
mod session;
mod throttle;
pub mod tls;

pub use counters::{Counters, CountersSnapshot};
pub use error::{Error, Result};
pub use limits::{Limits, TransportConfig};
pub use server::{BoundTransport, serve};
pub use throttle::Throttle;

use crate::envelope::{DeviceId, Route};

/// The hub's number for one live WebSocket session, unique for the life of the process, so
/// the hub can answer exactly the socket a command came in on.
pub type ConnectionId = u64;

/// The WebSocket path of a paired client's session (`?client=<client id>`).
pub const HOME_PATH: &str = "/v1/home";
/// The WebSocket path of a pairing session.
pub const PAIR_PATH: &str = "/v1/pair";
/// The largest pairing frame accepted from a client.
pub const MAX_PAIRING_FRAME: usize = 4 * 1024;
/// The largest envelope frame accepted from a client: commands and requests are small, so a
/// client (or a relay) cannot make the hub hold large frames.
pub const MAX_ENVELOPE_FRAME: usize = 64 * 1024;
/// The largest frame a client accepts from the hub: the envelope limit, which a key
/// distribution of a large home needs.
pub const MAX_HUB_FRAME: usize = crate::cose::MAX_MESSAGE_LEN;
/// A suggested capacity for the `Inbound` channel: enough for bursts, small enough that a
/// slow hub task pushes back on the clients' reads rather than on memory.
pub const INBOUND_CHANNEL_CAPACITY: usize = 256;
/// A suggested capacity for the `Outbound` channel; the router drains it without waiting for
/// sockets, so it only has to absorb the hub task's bursts.
pub const OUTBOUND_CHANNEL_CAPACITY: usize = 256;

/// What the transport hands the hub task (over a bounded channel: when the hub is busy, the
/// clients' reads wait).
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A session was opened: a paired client's (`client` is the id it claims, a routing hint
    /// only) or a pairing session (`client` is `None`).
    Connected {
        /// The new session.
        conn: ConnectionId,
        /// The client id claimed in the URL; `None` for a pairing session.
        client: Option<DeviceId>,
    },
    /// A command envelope whose route reads as version 1, of this home, of type `Command`.
    /// Nothing else has been checked: the hub opens it.
    Envelope {
        /// The session it came in on (answer with [`Outbound::ToConnection`]).
        conn: ConnectionId,
        /// The route, read without keys.
        route: Route,
        /// The envelope, exactly as received.
        bytes: Vec<u8>,
    },
    /// A pairing frame, exactly as received (at most [`MAX_PAIRING_FRAME`] bytes).
    Pairing {
        /// The pairing session.
        conn: ConnectionId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// The session ended (closed by either side, too slow, broken); nothing more is routed
    /// to it.
    Closed {
        /// The session that ended.
        conn: ConnectionId,
    },
}

/// What the hub task asks the transport to do (over a bounded channel). Sending never waits
/// for a client's socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    /// One frame to one session: a response, a challenge, a pairing frame.
    ToConnection {
        /// The session.
        conn: ConnectionId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// One frame to every live session of a client (key distribution), whatever its scope.
    ToClient {
        /// The client.
        client: DeviceId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// An event or revocation list: to every live session whose client's read scope
    /// includes `device`. A client whose scope was never set receives none.
    Broadcast {
        /// The device the frame is about (the envelope's route device).
        device: DeviceId,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// What a client may read from now on; kept until changed or the client is closed.
    SetReadScope {
        /// The client.
        client: DeviceId,
        /// Its scope.
        scope: ReadScope,
    },
    /// Closes every session of a removed client and forgets its read scope.
    CloseClient {
        /// The client.
        client: DeviceId,
    },
    /// Closes one session.
    CloseConnection {
        /// The session.
        conn: ConnectionId,
    },
}

/// Which devices' broadcasts a client's sessions receive. Envelopes are encrypted anyway; the
/// scope keeps a client from even seeing traffic about devices it has no business with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadScope {
    /// No broadcasts (the default for a client whose scope is unknown).
    Nothing,
    /// Every device's broadcasts.
    All,
    /// Only these devices' broadcasts.
    Devices(Vec<DeviceId>),
}

impl ReadScope {
    /// Whether a broadcast about `device` may go to a client with this scope.
    pub fn allows(&self, device: &DeviceId) -> bool {
        match self {
            ReadScope::Nothing => false,
            ReadScope::All => true,
            ReadScope::Devices(list) => list.contains(device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DeviceId {
        DeviceId::new(s).expect("valid id")
    }

    #[test]
    fn read_scopes_allow_only_what_they_name() {
        assert!(!ReadScope::Nothing.allows(&id("zb:lamp")));
        assert!(ReadScope::All.allows(&id("zb:lamp")));
        let some = ReadScope::Devices(vec![id("zb:lamp"), id("hub")]);
        assert!(some.allows(&id("zb:lamp")));
        assert!(some.allows(&id("hub")));
        assert!(!some.allows(&id("zb:lock")));
    }
}
