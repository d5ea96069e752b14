//! Counts of what the transport refused or cut off, so an operator (and the tests) can see
//! that a refusal happened without the transport logging every hostile frame at info.

use std::sync::atomic::{AtomicU64, Ordering};

use super::route::Refusal;

/// Live counters, shared by every session of one server.
#[derive(Debug, Default)]
pub struct Counters {
    unreadable_route: AtomicU64,
    unsupported_version: AtomicU64,
    other_home: AtomicU64,
    not_from_clients: AtomicU64,
    text_frames: AtomicU64,
    oversized_frames: AtomicU64,
    too_many_refused: AtomicU64,
    too_slow: AtomicU64,
    refused_sessions: AtomicU64,
    refused_sockets: AtomicU64,
    throttled_frames: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CountersSnapshot {
    /// Frames refused: not a tagged COSE_Encrypt(0) with exactly one readable route.
    pub unreadable_route: u64,
    /// Frames refused: a route version other than 1.
    pub unsupported_version: u64,
    /// Frames refused: the route names another home.
    pub other_home: u64,
    /// Frames refused: a type clients may not send (only `Command` is accepted).
    pub not_from_clients: u64,
    /// Sessions closed for sending a text frame.
    pub text_frames: u64,
    /// Sessions closed for sending a frame over the limit.
    pub oversized_frames: u64,
    /// Sessions closed for sending too many refused frames.
    pub too_many_refused: u64,
    /// Sessions closed because their outbound queue was full.
    pub too_slow: u64,
    /// Upgrade requests refused by a session limit.
    pub refused_sessions: u64,
    /// Sockets closed at accept because too many handshakes were under way.
    pub refused_sockets: u64,
    /// Frames a client sent faster than its session's rate (`Limits::frames_per_second`
    /// after `Limits::frame_burst`), each held until its turn: not refused, only late.
    pub throttled_frames: u64,
}

impl Counters {
    /// Counts a refused frame by its reason.
    pub(crate) fn refused_frame(&self, why: &Refusal) {
        let counter = match why {
            Refusal::Unreadable(_) => &self.unreadable_route,
            Refusal::UnsupportedVersion(_) => &self.unsupported_version,
            Refusal::OtherHome(_) => &self.other_home,
            Refusal::NotFromClients(_) => &self.not_from_clients,
        };
        bump(counter);
    }

    pub(crate) fn text_frame(&self) {
        bump(&self.text_frames);
    }

    pub(crate) fn oversized_frame(&self) {
        bump(&self.oversized_frames);
    }

    pub(crate) fn too_many_refused(&self) {
        bump(&self.too_many_refused);
    }

    pub(crate) fn too_slow(&self) {
        bump(&self.too_slow);
    }

    pub(crate) fn refused_session(&self) {
        bump(&self.refused_sessions);
    }

    pub(crate) fn refused_socket(&self) {
        bump(&self.refused_sockets);
    }

    pub(crate) fn throttled_frame(&self) {
        bump(&self.throttled_frames);
    }

    /// The current values.
    pub fn snapshot(&self) -> CountersSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CountersSnapshot {
            unreadable_route: get(&self.unreadable_route),
            unsupported_version: get(&self.unsupported_version),
            other_home: get(&self.other_home),
            not_from_clients: get(&self.not_from_clients),
            text_frames: get(&self.text_frames),
            oversized_frames: get(&self.oversized_frames),
            too_many_refused: get(&self.too_many_refused),
            too_slow: get(&self.too_slow),
            refused_sessions: get(&self.refused_sessions),
            refused_sockets: get(&self.refused_sockets),
            throttled_frames: get(&self.throttled_frames),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
