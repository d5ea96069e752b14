//! One WebSocket session, from upgrade to close: frames in are checked and passed to the hub
//! task, frames out come from the session's own bounded queue, and the session ends when
//! either side closes, the router closes it (too slow, client removed, shutdown), the client
//! breaks a rule (text frame, oversized frame, too many refused frames), or it falls silent.
//!
//! Generic over the socket (a `Stream` and `Sink` of WebSocket messages) so the loop can be
//! driven without a network in tests.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite;

use super::counters::Counters;
use super::limits::Limits;
use super::registry::Slot;
use super::route::client_frame_route;
use super::throttle::Throttle;
use super::{Inbound, MAX_ENVELOPE_FRAME, MAX_PAIRING_FRAME};
use crate::identity::Kid;

/// Why a session ended; the close frame the hub sends follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// Its outbound queue was full.
    TooSlow,
    /// The hub removed its client.
    ClientRemoved,
    /// The hub closed this one session.
    ClosedByHub,
    /// The hub is stopping.
    ShuttingDown,
    /// The hub task is gone (its channel closed).
    HubGone,
    /// The client sent a text frame.
    TextFrame,
    /// The client sent a frame over the limit.
    Oversized,
    /// The client sent too many frames that were refused.
    TooManyRefused,
    /// Nothing arrived for the idle timeout.
    Idle,
    /// The client closed the session.
    PeerClosed,
    /// The socket failed.
    Broken,
}

impl CloseReason {
    /// The close code (RFC 6455 §7.4.1) and reason the hub sends, if it sends one.
    pub(crate) fn close_frame(self) -> Option<(u16, &'static str)> {
        Some(match self {
            CloseReason::TooSlow => (1013, "too slow"),
            CloseReason::ClientRemoved => (1008, "client removed"),
            CloseReason::ClosedByHub => (1000, "closed by the hub"),
            CloseReason::ShuttingDown => (1001, "hub shutting down"),
            CloseReason::HubGone => (1011, "hub unavailable"),
            CloseReason::TextFrame => (1003, "binary frames only"),
            CloseReason::Oversized => (1009, "frame too large"),
            CloseReason::TooManyRefused => (1008, "too many refused frames"),
            CloseReason::Idle => (1001, "idle"),
            CloseReason::PeerClosed | CloseReason::Broken => return None,
        })
    }
}

/// What the session carries in: envelopes of one home, or pairing frames.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SessionKind {
    /// A paired client's session: command envelopes of this home.
    Home(Kid),
    /// A pairing session: opaque frames.
    Pairing,
}

/// Everything a session needs besides its socket.
pub(crate) struct SessionContext {
    pub(crate) slot: Slot,
    pub(crate) kind: SessionKind,
    pub(crate) inbound: mpsc::Sender<Inbound>,
    pub(crate) limits: Arc<Limits>,
    pub(crate) counters: Arc<Counters>,
}

/// Runs one session to its end.
pub(crate) async fn run<S>(socket: S, mut ctx: SessionContext)
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message, Error = axum::Error> + Unpin,
{
    let conn = ctx.slot.conn();
    let (queue_tx, mut queue) = mpsc::channel(ctx.limits.session_queue_frames.max(1));
    let (close_tx, mut close_rx) = oneshot::channel();
    // Routable before the hub hears of it, so its first answer is not lost.
    ctx.slot.activate(queue_tx, close_tx);
    let (mut sink, mut stream) = socket.split();

    let connected = Inbound::Connected {
        conn,
        client: ctx.slot.client().cloned(),
    };
    let reason = if ctx.inbound.send(connected).await.is_err() {
        CloseReason::HubGone
    } else {
        tracing::info!(conn, client = ?ctx.slot.client(), "session opened");
        tokio::select! {
            reason = read_loop(&mut stream, &ctx) => reason,
            reason = write_loop(&mut sink, &mut queue, &mut close_rx, ctx.limits.ping_interval) => reason,
        }
    };
    // Free the slot before the hub hears of the close, so a client told to reconnect can.
    ctx.slot.release();
    tracing::info!(conn, ?reason, "session closed");

    let grace = ctx.limits.close_grace;
    let tell_client = async {
        let _ = match reason.close_frame() {
            Some((code, why)) => {
                let frame = Message::Close(Some(CloseFrame {
                    code,
                    reason: why.into(),
                }));
                tokio::time::timeout(grace, sink.send(frame)).await
            }
            // The client closed: flush tungstenite's automatic close reply.
            None if reason == CloseReason::PeerClosed => {
                tokio::time::timeout(grace, sink.close()).await
            }
            None => Ok(Ok(())),
        };
    };
    let tell_hub = async {
        if reason != CloseReason::HubGone {
            let _ = ctx.inbound.send(Inbound::Closed { conn }).await;
        }
    };
    tokio::join!(tell_client, tell_hub);
    // The socket and then the slot go here.
}

/// Reads the client's frames until the session must end, passing accepted ones to the hub.
async fn read_loop<S>(stream: &mut S, ctx: &SessionContext) -> CloseReason
where
    S: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let conn = ctx.slot.conn();
    let limits = &ctx.limits;
    let mut throttle = Throttle::new(limits.frames_per_second, limits.frame_burst);
    let mut refused = 0u32;
    loop {
        let message = match tokio::time::timeout(limits.idle_timeout, stream.next()).await {
            Err(_) => return CloseReason::Idle,
            Ok(None) => return CloseReason::PeerClosed,
            Ok(Some(Err(e))) => return read_error(e, &ctx.counters),
            Ok(Some(Ok(message))) => message,
        };
        // A flooding client waits here, whatever it floods with (pings too); its unread
        // frames push back through TCP.
        // A client that keeps sending faster than the rate (a bench, an automation firing
        // commands back to back) sees every frame past the burst held here until its turn:
        // counted and logged, so the wait is not mistaken for the hub's or the network's.
        if let Err(first_wait) = throttle.admit(Instant::now()) {
            ctx.counters.throttled_frame();
            tracing::debug!(
                conn,
                wait_us = u64::try_from(first_wait.as_micros()).unwrap_or(u64::MAX),
                "frame held by the session's rate limit"
            );
            tokio::time::sleep(first_wait).await;
            while let Err(wait) = throttle.admit(Instant::now()) {
                tokio::time::sleep(wait).await;
            }
        }
        let bytes = match message {
            Message::Binary(bytes) => bytes,
            Message::Text(_) => {
                ctx.counters.text_frame();
                return CloseReason::TextFrame;
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => return CloseReason::PeerClosed,
        };
        let up = match ctx.kind {
            SessionKind::Home(home) => {
                if bytes.len() > MAX_ENVELOPE_FRAME {
                    ctx.counters.oversized_frame();
                    return CloseReason::Oversized;
                }
                match client_frame_route(&bytes, &home) {
                    Ok(route) => Inbound::Envelope {
                        conn,
                        route,
                        bytes: bytes.to_vec(),
                    },
                    Err(why) => {
                        ctx.counters.refused_frame(&why);
                        tracing::debug!(conn, %why, "frame refused");
                        refused += 1;
                        if refused >= limits.max_refused_frames {
                            ctx.counters.too_many_refused();
                            return CloseReason::TooManyRefused;
                        }
                        continue;
                    }
                }
            }
            SessionKind::Pairing => {
                if bytes.len() > MAX_PAIRING_FRAME {
                    ctx.counters.oversized_frame();
                    return CloseReason::Oversized;
                }
                Inbound::Pairing {
                    conn,
                    bytes: bytes.to_vec(),
                }
            }
        };
        if ctx.inbound.send(up).await.is_err() {
            return CloseReason::HubGone;
        }
    }
}

/// A read error: a frame or message over the limit is the client's fault, anything else a
/// broken socket.
fn read_error(e: axum::Error, counters: &Counters) -> CloseReason {
    let inner = e.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => {
            counters.oversized_frame();
            CloseReason::Oversized
        }
        _ => {
            tracing::debug!("session read failed: {inner}");
            CloseReason::Broken
        }
    }
}

/// Writes queued frames (and pings) until the router closes the session or the socket fails.
/// A write that waits on a stalled socket still gives way to a close request.
async fn write_loop<S>(
    sink: &mut S,
    queue: &mut mpsc::Receiver<Bytes>,
    close: &mut oneshot::Receiver<CloseReason>,
    ping_interval: Duration,
) -> CloseReason
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let message = tokio::select! {
            biased;
            reason = &mut *close => return reason.unwrap_or(CloseReason::ClosedByHub),
            frame = queue.recv() => match frame {
                Some(bytes) => Message::Binary(bytes),
                None => return CloseReason::ClosedByHub,
            },
            _ = ping.tick() => Message::Ping(Bytes::new()),
        };
        tokio::select! {
            biased;
            reason = &mut *close => return reason.unwrap_or(CloseReason::ClosedByHub),
            sent = sink.send(message) => {
                if let Err(e) = sent {
                    tracing::debug!("session write failed: {e}");
                    return CloseReason::Broken;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The session loop against a scripted socket under tokio's paused clock: the rate, the
    //! idle timeout and a stalled writer, with no network and no real waiting.

    use super::*;
    use crate::envelope::{DeviceId, MessageType, ROUTE_LABEL, Route};
    use crate::transport::registry::Registry;
    use crate::transport::{ConnectionId, Outbound};
    use coset::cbor::value::Value;
    use coset::{CoseEncryptBuilder, HeaderBuilder, TaggedCborSerializable};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    const HOME: Kid = Kid([7; 8]);

    /// A socket whose incoming messages the test pushes and whose outgoing ones it reads;
    /// `stalled` makes every write wait forever, like a client that never reads.
    struct ScriptedSocket {
        incoming: mpsc::UnboundedReceiver<std::result::Result<Message, axum::Error>>,
        outgoing: mpsc::UnboundedSender<Message>,
        stalled: bool,
    }

    impl Stream for ScriptedSocket {
        type Item = std::result::Result<Message, axum::Error>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.incoming.poll_recv(cx)
        }
    }

    impl Sink<Message> for ScriptedSocket {
        type Error = axum::Error;
        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            if self.stalled {
                Poll::Pending
            } else {
                Poll::Ready(Ok(()))
            }
        }
        fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), axum::Error> {
            self.outgoing.send(item).map_err(axum::Error::new)
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
            Poll::Ready(Ok(()))
        }
    }

    struct Harness {
        registry: Arc<Registry>,
        to_session: mpsc::UnboundedSender<std::result::Result<Message, axum::Error>>,
        from_session: mpsc::UnboundedReceiver<Message>,
        hub: mpsc::Receiver<Inbound>,
        conn: ConnectionId,
    }

    async fn start(limits: Limits, stalled: bool) -> Harness {
        let counters = Arc::new(Counters::default());
        let registry = Registry::new(limits.clone(), Arc::clone(&counters));
        let slot = registry
            .reserve(Some(DeviceId::new("phone").expect("id")))
            .expect("slot");
        let conn = slot.conn();
        let (to_session, incoming) = mpsc::unbounded_channel();
        let (outgoing, from_session) = mpsc::unbounded_channel();
        let (inbound, mut hub) = mpsc::channel(16);
        let socket = ScriptedSocket {
            incoming,
            outgoing,
            stalled,
        };
        tokio::spawn(run(
            socket,
            SessionContext {
                slot,
                kind: SessionKind::Home(HOME),
                inbound,
                limits: Arc::new(limits),
                counters,
            },
        ));
        assert!(matches!(hub.recv().await, Some(Inbound::Connected { conn: c, .. }) if c == conn));
        Harness {
            registry,
            to_session,
            from_session,
            hub,
            conn,
        }
    }

    fn command(epoch: u32) -> Vec<u8> {
        let route = Route {
            home: HOME,
            device: DeviceId::new("zb:lamp").expect("id"),
            msg_type: MessageType::Command,
            epoch,
        };
        CoseEncryptBuilder::new()
            .unprotected(
                HeaderBuilder::new()
                    .value(ROUTE_LABEL, Value::Bytes(route.to_bytes()))
                    .build(),
            )
            .ciphertext(vec![0; 16])
            .build()
            .to_tagged_vec()
            .expect("encodes")
    }

    #[tokio::test(start_paused = true)]
    async fn a_flooding_session_is_read_at_its_rate() {
        let limits = Limits {
            frames_per_second: 10,
            frame_burst: 2,
            ..Limits::default()
        };
        let mut h = start(limits, false).await;
        let t0 = Instant::now();
        for epoch in 0..4 {
            h.to_session
                .send(Ok(Message::Binary(command(epoch).into())))
                .expect("send");
        }
        let mut arrivals = Vec::new();
        for epoch in 0..4 {
            match h.hub.recv().await {
                Some(Inbound::Envelope { route, .. }) => assert_eq!(route.epoch, epoch),
                other => panic!("expected envelope {epoch}, got {other:?}"),
            }
            arrivals.push(t0.elapsed());
        }
        // The burst passes at once, then one frame per 100 ms of (paused) time; the two
        // past the burst are counted as held.
        assert_eq!(h.registry.counters().snapshot().throttled_frames, 2);
        assert_eq!(arrivals[0], Duration::ZERO);
        assert_eq!(arrivals[1], Duration::ZERO);
        assert!(arrivals[2] >= Duration::from_millis(100), "{arrivals:?}");
        assert!(arrivals[3] >= Duration::from_millis(200), "{arrivals:?}");
        assert!(arrivals[3] < Duration::from_millis(300), "{arrivals:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_session_is_pinged_then_closed_as_idle() {
        let mut h = start(Limits::default(), false).await;
        let t0 = Instant::now();
        assert_eq!(
            h.from_session.recv().await,
            Some(Message::Ping(Bytes::new()))
        );
        assert_eq!(t0.elapsed(), Duration::from_secs(30));
        let mut closed_with = None;
        while let Some(m) = h.from_session.recv().await {
            if let Message::Close(frame) = m {
                closed_with = frame.map(|f| (f.code, f.reason.to_string()));
                break;
            }
        }
        assert_eq!(closed_with, Some((1001, "idle".to_owned())));
        assert_eq!(t0.elapsed(), Duration::from_secs(90));
        assert_eq!(h.hub.recv().await, Some(Inbound::Closed { conn: h.conn }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_that_answers_pings_stays_open() {
        let mut h = start(Limits::default(), false).await;
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(
                h.from_session.recv().await,
                Some(Message::Ping(Bytes::new()))
            );
            h.to_session
                .send(Ok(Message::Pong(Bytes::new())))
                .expect("send");
        }
        assert!(t0.elapsed() >= Duration::from_secs(300));
        // Still routable: a frame for it arrives.
        h.registry.route(Outbound::ToConnection {
            conn: h.conn,
            bytes: vec![1, 2, 3],
        });
        assert_eq!(
            h.from_session.recv().await,
            Some(Message::Binary(Bytes::from_static(&[1, 2, 3])))
        );
        assert!(h.hub.try_recv().is_err(), "no Closed");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_writer_still_closes_when_told() {
        let limits = Limits {
            session_queue_frames: 2,
            ..Limits::default()
        };
        let mut h = start(limits, true).await;
        // One frame is stuck in the write, two fill the queue, the fourth overflows it.
        for i in 0..4u8 {
            h.registry.route(Outbound::ToConnection {
                conn: h.conn,
                bytes: vec![i],
            });
            tokio::task::yield_now().await;
        }
        assert_eq!(h.hub.recv().await, Some(Inbound::Closed { conn: h.conn }));
        assert_eq!(h.registry_counters_too_slow(), 1);
        // Nothing could be written, not even the close frame (given up after the grace).
        assert!(h.from_session.recv().await.is_none());
    }

    impl Harness {
        fn registry_counters_too_slow(&self) -> u64 {
            self.registry.counters().snapshot().too_slow
        }
    }
}
