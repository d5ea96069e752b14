//! The table of live sessions and the router over it: which sessions belong to which client,
//! what each client may read, and the session limits. The router hands each frame to the
//! sessions' own bounded queues with `try_send` and never waits: a session whose queue is full
//! is closed as too slow on the spot.
//!
//! The table sits behind one mutex that is never held across an `.await`; the router task,
//! the HTTP handlers (reserving a slot) and the sessions (leaving) each hold it briefly.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use tokio::sync::{Notify, mpsc, oneshot};

use super::counters::Counters;
use super::limits::Limits;
use super::session::CloseReason;
use super::{ConnectionId, Outbound, ReadScope};
use crate::envelope::DeviceId;

/// Why an upgrade request was refused before it became a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SessionRefusal {
    /// All session slots are taken.
    #[error("too many sessions ({0} at most); try again later")]
    TooManySessions(usize),
    /// This client id already has its share of sessions.
    #[error("too many sessions for client {client} ({max} at most)")]
    TooManyForClient {
        /// The client id claimed.
        client: DeviceId,
        /// The limit.
        max: usize,
    },
    /// All pairing slots are taken.
    #[error("too many pairing sessions ({0} at most); try again later")]
    TooManyPairing(usize),
    /// The hub is shutting down.
    #[error("the hub is shutting down")]
    ShuttingDown,
}

/// What a live session gives the router: its queue and the way to close it.
struct Session {
    client: Option<DeviceId>,
    queue: mpsc::Sender<Bytes>,
    close: oneshot::Sender<CloseReason>,
    /// The hub has sent this session its first frame (a paired client's key distribution);
    /// until then broadcasts and frames to its client wait in `held`.
    welcomed: bool,
    /// Frames routed to the session before it was welcomed, in order.
    held: Vec<Bytes>,
}

#[derive(Default)]
struct State {
    sessions: HashMap<ConnectionId, Session>,
    by_client: HashMap<DeviceId, BTreeSet<ConnectionId>>,
    scopes: HashMap<DeviceId, ReadScope>,
    /// Slots counted against the limits.
    slots: usize,
    /// Sessions whose socket still exists (a released slot may still be sending its close
    /// frame); shutdown waits for these.
    sockets: usize,
    pairing_slots: usize,
    client_slots: HashMap<DeviceId, usize>,
    shutting_down: bool,
}

/// The session table of one server.
pub(crate) struct Registry {
    state: Mutex<State>,
    limits: Limits,
    counters: Arc<Counters>,
    next_conn: AtomicU64,
    emptied: Notify,
}

/// A reserved session slot; released (and the session, if live, forgotten) when dropped, or
/// earlier with [`Slot::release`].
pub(crate) struct Slot {
    registry: Arc<Registry>,
    conn: ConnectionId,
    client: Option<DeviceId>,
    released: bool,
}

impl Registry {
    pub(crate) fn new(limits: Limits, counters: Arc<Counters>) -> Arc<Self> {
        Arc::new(Registry {
            state: Mutex::new(State::default()),
            limits,
            counters,
            next_conn: AtomicU64::new(1),
            emptied: Notify::new(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind, still consistent enough to
        // route and to close; carrying on beats taking every session down with it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves a slot for a paired client's session (`Some(client)`) or a pairing session
    /// (`None`), or says which limit refuses it.
    pub(crate) fn reserve(
        self: &Arc<Self>,
        client: Option<DeviceId>,
    ) -> Result<Slot, SessionRefusal> {
        let mut state = self.state();
        let limits = &self.limits;
        if state.shutting_down {
            return Err(SessionRefusal::ShuttingDown);
        }
        if state.slots >= limits.max_sessions {
            return Err(SessionRefusal::TooManySessions(limits.max_sessions));
        }
        match &client {
            Some(id) => {
                let taken = state.client_slots.get(id).copied().unwrap_or(0);
                if taken >= limits.max_sessions_per_client {
                    return Err(SessionRefusal::TooManyForClient {
                        client: id.clone(),
                        max: limits.max_sessions_per_client,
                    });
                }
                state.client_slots.insert(id.clone(), taken + 1);
            }
            None => {
                if state.pairing_slots >= limits.max_pairing_sessions {
                    return Err(SessionRefusal::TooManyPairing(limits.max_pairing_sessions));
                }
                state.pairing_slots += 1;
            }
        }
        state.slots += 1;
        state.sockets += 1;
        Ok(Slot {
            registry: Arc::clone(self),
            conn: self.next_conn.fetch_add(1, Ordering::Relaxed),
            client,
            released: false,
        })
    }

    /// Routes one request of the hub task. Never waits.
    pub(crate) fn route(&self, out: Outbound) {
        let mut state = self.state();
        match out {
            Outbound::ToConnection { conn, bytes } => {
                if let Some(session) = state.sessions.get_mut(&conn) {
                    // The hub's first frame to a session goes first; what waited for it follows.
                    let mut frames = vec![Bytes::from(bytes)];
                    if !std::mem::replace(&mut session.welcomed, true) {
                        frames.append(&mut session.held);
                    }
                    for frame in frames {
                        self.push(&mut state, &[conn], frame);
                    }
                } else {
                    tracing::debug!(conn, "frame for a session that has ended dropped");
                }
            }
            Outbound::ToClient { client, bytes } => {
                let conns = sessions_of(&state, &client);
                self.push(&mut state, &conns, Bytes::from(bytes));
            }
            Outbound::Broadcast { device, bytes } => {
                let conns: Vec<ConnectionId> = state
                    .by_client
                    .iter()
                    .filter(|(client, _)| {
                        state
                            .scopes
                            .get(*client)
                            .is_some_and(|scope| scope.allows(&device))
                    })
                    .flat_map(|(_, conns)| conns.iter().copied())
                    .collect();
                self.push(&mut state, &conns, Bytes::from(bytes));
            }
            Outbound::SetReadScope { client, scope } => {
                state.scopes.insert(client, scope);
            }
            Outbound::CloseClient { client } => {
                state.scopes.remove(&client);
                for conn in sessions_of(&state, &client) {
                    close(&mut state, conn, CloseReason::ClientRemoved);
                }
            }
            Outbound::CloseConnection { conn } => {
                close(&mut state, conn, CloseReason::ClosedByHub);
            }
        }
    }

    /// Queues `bytes` on each session, closing those whose queue is full.
    fn push(&self, state: &mut State, conns: &[ConnectionId], bytes: Bytes) {
        for &conn in conns {
            let Some(session) = state.sessions.get_mut(&conn) else {
                continue;
            };
            if !session.welcomed {
                if session.held.len() < self.limits.session_queue_frames {
                    session.held.push(bytes.clone());
                } else {
                    self.counters.too_slow();
                    tracing::info!(
                        conn,
                        "session not welcomed while its frames piled up; closing it"
                    );
                    close(state, conn, CloseReason::TooSlow);
                }
                continue;
            }
            match session.queue.try_send(bytes.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.counters.too_slow();
                    tracing::info!(
                        conn,
                        queued = self.limits.session_queue_frames,
                        "session too slow: its queue is full; closing it"
                    );
                    close(state, conn, CloseReason::TooSlow);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    state_forget(state, conn);
                }
            }
        }
    }

    /// The counters this registry adds to.
    #[cfg(test)]
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Refuses new sessions and closes every live one.
    pub(crate) fn shut_down(&self) {
        let mut state = self.state();
        state.shutting_down = true;
        let conns: Vec<ConnectionId> = state.sessions.keys().copied().collect();
        for conn in conns {
            close(&mut state, conn, CloseReason::ShuttingDown);
        }
    }

    /// Resolves once every session's socket is gone.
    pub(crate) async fn emptied(&self) {
        loop {
            let notified = self.emptied.notified();
            if self.state().sockets == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Slot {
    /// The session's id.
    pub(crate) fn conn(&self) -> ConnectionId {
        self.conn
    }

    /// The client id claimed, `None` for pairing.
    pub(crate) fn client(&self) -> Option<&DeviceId> {
        self.client.as_ref()
    }

    /// Makes the session routable: frames for it go to `queue`, a close request to `close`.
    /// After shutdown began, the session is told to close at once.
    pub(crate) fn activate(
        &self,
        queue: mpsc::Sender<Bytes>,
        close_tx: oneshot::Sender<CloseReason>,
    ) {
        let mut state = self.registry.state();
        if state.shutting_down {
            let _ = close_tx.send(CloseReason::ShuttingDown);
            return;
        }
        if let Some(client) = &self.client {
            state
                .by_client
                .entry(client.clone())
                .or_default()
                .insert(self.conn);
        }
        state.sessions.insert(
            self.conn,
            Session {
                client: self.client.clone(),
                queue,
                close: close_tx,
                welcomed: self.client.is_none() || !self.registry.limits.key_distribution_first,
                held: Vec::new(),
            },
        );
    }

    /// The session is ending: nothing more is routed to it and its slot no longer counts
    /// against the limits, so the client may reconnect at once, while its socket may still
    /// be delivering the close frame. Shutdown still waits for the socket (until drop).
    pub(crate) fn release(&mut self) {
        let mut state = self.registry.state();
        state_forget(&mut state, self.conn);
        if std::mem::replace(&mut self.released, true) {
            return;
        }
        state.slots -= 1;
        match &self.client {
            Some(client) => {
                if let Some(n) = state.client_slots.get_mut(client) {
                    *n -= 1;
                    if *n == 0 {
                        state.client_slots.remove(client);
                    }
                }
            }
            None => state.pairing_slots -= 1,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.release();
        let mut state = self.registry.state();
        state.sockets -= 1;
        if state.sockets == 0 {
            self.registry.emptied.notify_waiters();
        }
    }
}

fn sessions_of(state: &State, client: &DeviceId) -> Vec<ConnectionId> {
    state
        .by_client
        .get(client)
        .map(|conns| conns.iter().copied().collect())
        .unwrap_or_default()
}

/// Forgets a session and tells it why it must close.
fn close(state: &mut State, conn: ConnectionId, reason: CloseReason) {
    if let Some(session) = state_forget(state, conn) {
        let _ = session.close.send(reason);
    }
}

/// Removes a session from the table (not its slot); returns it if it was there.
fn state_forget(state: &mut State, conn: ConnectionId) -> Option<Session> {
    let session = state.sessions.remove(&conn)?;
    if let Some(client) = &session.client {
        if let Some(conns) = state.by_client.get_mut(client) {
            conns.remove(&conn);
            if conns.is_empty() {
                state.by_client.remove(client);
            }
        }
    }
    Some(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DeviceId {
        DeviceId::new(s).expect("valid id")
    }

    /// A registry whose sessions receive broadcasts at once (these tests play a hub that
    /// sends no key distributions; `a_new_session_gets_its_first_frame_before_broadcasts`
    /// tries the default).
    fn registry(limits: Limits) -> Arc<Registry> {
        let limits = Limits {
            key_distribution_first: false,
            ..limits
        };
        Registry::new(limits, Arc::new(Counters::default()))
    }

    struct Live {
        slot: Slot,
        queue: mpsc::Receiver<Bytes>,
        close: oneshot::Receiver<CloseReason>,
    }

    fn live(reg: &Arc<Registry>, client: Option<&str>, queue: usize) -> Live {
        let slot = reg.reserve(client.map(id)).expect("slot");
        let (tx, rx) = mpsc::channel(queue);
        let (close_tx, close_rx) = oneshot::channel();
        slot.activate(tx, close_tx);
        Live {
            slot,
            queue: rx,
            close: close_rx,
        }
    }

    fn frames(l: &mut Live) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Ok(b) = l.queue.try_recv() {
            out.push(b.to_vec());
        }
        out
    }

    #[test]
    fn limits_refuse_with_the_limit_named_and_free_on_drop() {
        let limits = Limits {
            max_sessions: 4,
            max_sessions_per_client: 2,
            max_pairing_sessions: 1,
            ..Limits::default()
        };
        let reg = registry(limits);
        let a1 = reg.reserve(Some(id("a"))).expect("a1");
        let _a2 = reg.reserve(Some(id("a"))).expect("a2");
        assert_eq!(
            reg.reserve(Some(id("a"))).err(),
            Some(SessionRefusal::TooManyForClient {
                client: id("a"),
                max: 2
            })
        );
        let _p = reg.reserve(None).expect("pairing");
        assert_eq!(
            reg.reserve(None).err(),
            Some(SessionRefusal::TooManyPairing(1))
        );
        let _b = reg.reserve(Some(id("b"))).expect("b");
        assert_eq!(
            reg.reserve(Some(id("c"))).err(),
            Some(SessionRefusal::TooManySessions(4))
        );
        drop(a1);
        assert!(reg.reserve(Some(id("a"))).is_ok());
    }

    #[tokio::test]
    async fn a_released_slot_frees_its_limit_but_shutdown_waits_for_its_socket() {
        let limits = Limits {
            max_sessions_per_client: 1,
            ..Limits::default()
        };
        let reg = registry(limits);
        let mut first = reg.reserve(Some(id("a"))).expect("first");
        first.release();
        let second = reg
            .reserve(Some(id("a")))
            .expect("the released slot is free");
        drop(second);
        let waiting = tokio::spawn({
            let reg = Arc::clone(&reg);
            async move { reg.emptied().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the first socket is still there");
        drop(first);
        waiting.await.expect("emptied once the socket is gone");
    }

    #[test]
    fn broadcasts_follow_scopes_and_unknown_scopes_get_nothing() {
        let reg = registry(Limits::default());
        let mut all = live(&reg, Some("all"), 8);
        let mut lamp = live(&reg, Some("lamp-only"), 8);
        let mut unknown = live(&reg, Some("unknown"), 8);
        let mut pairing = live(&reg, None, 8);
        reg.route(Outbound::SetReadScope {
            client: id("all"),
            scope: ReadScope::All,
        });
        reg.route(Outbound::SetReadScope {
            client: id("lamp-only"),
            scope: ReadScope::Devices(vec![id("zb:lamp")]),
        });
        for (device, byte) in [("zb:lamp", 1u8), ("zb:lock", 2)] {
            reg.route(Outbound::Broadcast {
                device: id(device),
                bytes: vec![byte],
            });
        }
        assert_eq!(frames(&mut all), vec![vec![1], vec![2]]);
        assert_eq!(frames(&mut lamp), vec![vec![1]]);
        assert!(frames(&mut unknown).is_empty());
        assert!(frames(&mut pairing).is_empty());
        // ToClient and ToConnection ignore the scope.
        reg.route(Outbound::ToClient {
            client: id("unknown"),
            bytes: vec![3],
        });
        reg.route(Outbound::ToConnection {
            conn: pairing.slot.conn(),
            bytes: vec![4],
        });
        assert_eq!(frames(&mut unknown), vec![vec![3]]);
        assert_eq!(frames(&mut pairing), vec![vec![4]]);
        assert!(frames(&mut all).is_empty());
    }

    #[test]
    fn a_new_session_gets_its_first_frame_before_broadcasts() {
        let reg = Registry::new(Limits::default(), Arc::new(Counters::default()));
        reg.route(Outbound::SetReadScope {
            client: id("phone"),
            scope: ReadScope::All,
        });
        let mut old = live(&reg, Some("phone"), 8);
        reg.route(Outbound::ToConnection {
            conn: old.slot.conn(),
            bytes: b"keys-old".to_vec(),
        });
        // A session the hub has not yet welcomed: an event and a frame to its client arrive
        // before its key distribution is sent.
        let mut new = live(&reg, Some("phone"), 8);
        reg.route(Outbound::Broadcast {
            device: id("zb:lamp"),
            bytes: b"event".to_vec(),
        });
        reg.route(Outbound::ToClient {
            client: id("phone"),
            bytes: b"to-client".to_vec(),
        });
        // The welcomed session has them at once; the new one nothing yet.
        assert_eq!(
            frames(&mut old),
            vec![
                b"keys-old".to_vec(),
                b"event".to_vec(),
                b"to-client".to_vec()
            ]
        );
        assert!(
            frames(&mut new).is_empty(),
            "nothing before the key distribution"
        );
        reg.route(Outbound::ToConnection {
            conn: new.slot.conn(),
            bytes: b"keys-new".to_vec(),
        });
        assert_eq!(
            frames(&mut new),
            vec![
                b"keys-new".to_vec(),
                b"event".to_vec(),
                b"to-client".to_vec()
            ],
            "the key distribution first, then what waited, in order"
        );
        // Later broadcasts go straight through.
        reg.route(Outbound::Broadcast {
            device: id("zb:lamp"),
            bytes: b"later".to_vec(),
        });
        assert_eq!(frames(&mut new), vec![b"later".to_vec()]);
        // A pairing session is never held (it receives no broadcasts anyway).
        let mut pairing = live(&reg, None, 8);
        reg.route(Outbound::ToConnection {
            conn: pairing.slot.conn(),
            bytes: b"pake".to_vec(),
        });
        assert_eq!(frames(&mut pairing), vec![b"pake".to_vec()]);
    }

    #[test]
    fn a_new_session_never_welcomed_is_closed_once_its_held_frames_fill_its_queue() {
        let limits = Limits {
            session_queue_frames: 2,
            ..Limits::default()
        };
        let reg = Registry::new(limits, Arc::new(Counters::default()));
        reg.route(Outbound::SetReadScope {
            client: id("phone"),
            scope: ReadScope::All,
        });
        let mut new = live(&reg, Some("phone"), 8);
        for byte in 0..3u8 {
            reg.route(Outbound::Broadcast {
                device: id("zb:lamp"),
                bytes: vec![byte],
            });
        }
        assert_eq!(new.close.try_recv(), Ok(CloseReason::TooSlow));
        assert!(frames(&mut new).is_empty());
    }

    #[test]
    fn a_full_queue_closes_that_session_only() {
        let reg = registry(Limits::default());
        let mut slow = live(&reg, Some("phone"), 2);
        let mut fast = live(&reg, Some("phone"), 16);
        for i in 0..5u8 {
            reg.route(Outbound::ToClient {
                client: id("phone"),
                bytes: vec![i],
            });
            // The fast one keeps up.
            assert_eq!(frames(&mut fast), vec![vec![i]]);
        }
        assert_eq!(slow.close.try_recv(), Ok(CloseReason::TooSlow));
        assert_eq!(frames(&mut slow), vec![vec![0], vec![1]]);
        assert_eq!(reg.counters.snapshot().too_slow, 1);
    }

    #[test]
    fn close_client_closes_its_sessions_and_forgets_its_scope() {
        let reg = registry(Limits::default());
        let mut a = live(&reg, Some("a"), 8);
        let mut a2 = live(&reg, Some("a"), 8);
        let mut b = live(&reg, Some("b"), 8);
        for c in ["a", "b"] {
            reg.route(Outbound::SetReadScope {
                client: id(c),
                scope: ReadScope::All,
            });
        }
        reg.route(Outbound::CloseClient { client: id("a") });
        assert_eq!(a.close.try_recv(), Ok(CloseReason::ClientRemoved));
        assert_eq!(a2.close.try_recv(), Ok(CloseReason::ClientRemoved));
        assert!(b.close.try_recv().is_err());
        // A new session of the removed client gets no broadcasts until a scope is set again.
        let mut again = live(&reg, Some("a"), 8);
        reg.route(Outbound::Broadcast {
            device: id("zb:lamp"),
            bytes: vec![9],
        });
        assert!(frames(&mut again).is_empty());
        assert_eq!(frames(&mut b), vec![vec![9]]);
        assert!(frames(&mut a).is_empty() && frames(&mut a2).is_empty());
    }

    #[test]
    fn shutdown_closes_everything_and_refuses_newcomers() {
        let reg = registry(Limits::default());
        let mut a = live(&reg, Some("a"), 8);
        let mut p = live(&reg, None, 8);
        reg.shut_down();
        assert_eq!(a.close.try_recv(), Ok(CloseReason::ShuttingDown));
        assert_eq!(p.close.try_recv(), Ok(CloseReason::ShuttingDown));
        assert_eq!(
            reg.reserve(Some(id("b"))).err(),
            Some(SessionRefusal::ShuttingDown)
        );
    }
}
