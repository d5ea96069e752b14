//! The driver task: the only code that touches the serial port. It feeds what it reads into
//! [`Link`], writes what the link returns, sleeps until the link's or the session's next
//! deadline, turns link events into [`Session`] calls, and keeps one command in flight.
//!
//! When a read or write says the device went away ([`port::is_disconnect`]), it publishes
//! the "lost" link state, emits [`RadioEvent::StickLost`], fails the command in flight and every
//! request that arrives meanwhile with [`Error::StickLost`], reopens the port with back-off, and
//! resets the link; the restart task in [`super::startup`] does the rest.
//!
//! Callback polls ([`Session::poll_due`]) go out between commands, never beside one; when a
//! request is waiting, polls and requests take turns, so a stream of queued callbacks cannot
//! hold commands back.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_serial::SerialStream;

use super::session::{Output, Session};
use super::{DriverConfig, Error, LinkState, RadioEvent, Request, Result};
use crate::port::{self, PortConfig};
use crate::zigbee::ash::{Event, Link};
use crate::zigbee::ezsp::{Callback, Response};

/// `SL_STATUS_NETWORK_UP` in `stackStatusHandler`.
const NETWORK_UP: u32 = 0x0015;
/// `SL_STATUS_NETWORK_DOWN` in `stackStatusHandler`.
const NETWORK_DOWN: u32 = 0x0016;

/// What the task is given when it is spawned.
pub(crate) struct TaskParts {
    pub(crate) port_config: PortConfig,
    pub(crate) port: SerialStream,
    pub(crate) config: DriverConfig,
    pub(crate) requests: mpsc::Receiver<Request>,
    pub(crate) state: watch::Sender<LinkState>,
    pub(crate) callbacks: broadcast::Sender<Callback>,
    pub(crate) events: mpsc::Sender<RadioEvent>,
}

enum Ended {
    /// The port is gone.
    Disconnected,
    /// Every handle was dropped: stop.
    Closed,
}

struct Driver {
    config: DriverConfig,
    link: Link,
    session: Session,
    pending: Option<oneshot::Sender<Result<Response>>>,
    /// The last command sent was a callback poll (requests waiting go next).
    last_was_poll: bool,
    generation: u64,
    state: watch::Sender<LinkState>,
    callbacks: broadcast::Sender<Callback>,
    events: mpsc::Sender<RadioEvent>,
}

/// Runs until every [`super::ZigbeeStick`] handle is dropped.
pub(crate) async fn run(parts: TaskParts) {
    let TaskParts {
        port_config,
        mut port,
        config,
        mut requests,
        state,
        callbacks,
        events,
    } = parts;
    let mut backoff = config.reopen_backoff.clone();
    let mut driver = Driver {
        link: Link::new(config.ash.clone()),
        session: Session::new(config.command_timeout)
            .with_callback_poll(config.callback_poll_interval),
        config,
        pending: None,
        last_was_poll: false,
        generation: 0,
        state,
        callbacks,
        events,
    };
    loop {
        driver.restart_link();
        if let Ended::Closed = driver.drive(&mut port, &mut requests).await {
            return;
        }
        tracing::warn!(path = %port_config.path.display(), "Zigbee stick lost");
        driver.session.on_link_down();
        driver.fail_pending(Error::StickLost);
        driver.state.send_replace(LinkState::Lost);
        driver.emit(RadioEvent::StickLost);
        drop(port);
        let reopen = port::reopen(&port_config, &mut backoff, None);
        tokio::pin!(reopen);
        port = loop {
            tokio::select! {
                p = &mut reopen => match p {
                    Some(p) => break p,
                    None => return, // only with a give-up limit, which is not set
                },
                r = requests.recv() => match r {
                    Some(r) => { let _ = r.reply.send(Err(Error::StickLost)); }
                    None => return,
                },
            }
        };
    }
}

impl Driver {
    fn emit(&self, event: RadioEvent) {
        if let Err(e) = self.events.try_send(event) {
            tracing::warn!("Zigbee event dropped (receiver full or gone): {e}");
        }
    }

    fn fail_pending(&mut self, error: Error) {
        if let Some(reply) = self.pending.take() {
            let _ = reply.send(Err(error));
        }
    }

    /// Starts (or restarts) the ASH link; the session waits for `Connected`.
    fn restart_link(&mut self) {
        self.session.on_link_down();
        self.last_was_poll = false;
        self.link = Link::new(self.config.ash.clone());
        self.link.reset(Instant::now());
        self.state.send_replace(LinkState::Connecting);
    }

    async fn drive(
        &mut self,
        port: &mut SerialStream,
        requests: &mut mpsc::Receiver<Request>,
    ) -> Ended {
        let mut buf = [0u8; 256];
        loop {
            self.poll_callbacks(requests);
            let out = self.link.take_output();
            if !out.is_empty()
                && let Err(e) = port.write_all(&out).await
            {
                if port::is_disconnect(&e) {
                    return Ended::Disconnected;
                }
                tracing::warn!("write to the Zigbee stick failed: {e}");
            }
            let deadline = match (self.link.next_deadline(), self.session.next_deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            let can_send = self.pending.is_none() && !self.session.is_busy();
            tokio::select! {
                r = port.read(&mut buf) => match r {
                    Ok(0) => return Ended::Disconnected,
                    Ok(n) => self.link.on_bytes(Instant::now(), &buf[..n]),
                    Err(e) if port::is_disconnect(&e) => return Ended::Disconnected,
                    Err(e) => tracing::warn!("read from the Zigbee stick failed: {e}"),
                },
                () = sleep => {
                    let now = Instant::now();
                    self.link.tick(now);
                    if let Some(out) = self.session.tick(now) {
                        self.on_session(now, out);
                    }
                }
                r = requests.recv(), if can_send => match r {
                    None => return Ended::Closed,
                    Some(request) => self.send(request),
                },
            }
            self.on_link_events();
        }
    }

    /// Sends `callback` if the session wants it and the line is free; a request already
    /// waiting goes first after a poll.
    fn poll_callbacks(&mut self, requests: &mpsc::Receiver<Request>) {
        let now = Instant::now();
        if self.pending.is_some()
            || !self.session.poll_due(now)
            || (self.last_was_poll && !requests.is_empty())
        {
            return;
        }
        match self.session.send_poll(now) {
            Ok(bytes) => {
                if let Err(e) = self.link.send(now, bytes) {
                    tracing::debug!("callback poll not sent: {e}");
                    self.session.abort_command();
                } else {
                    self.last_was_poll = true;
                }
            }
            Err(e) => tracing::debug!("callback poll not sent: {e}"),
        }
    }

    fn send(&mut self, request: Request) {
        self.last_was_poll = false;
        let now = Instant::now();
        let bytes = match self.session.send_command(now, &request.command) {
            Ok(bytes) => bytes,
            Err(e) => {
                let _ = request.reply.send(Err(e));
                return;
            }
        };
        match self.link.send(now, bytes) {
            Ok(()) => self.pending = Some(request.reply),
            Err(e) => {
                self.session.abort_command();
                let _ = request.reply.send(Err(Error::Link(e)));
            }
        }
    }

    fn on_link_events(&mut self) {
        while let Some(event) = self.link.next_event() {
            let now = Instant::now();
            match event {
                Event::Connected {
                    version,
                    reset_code,
                } => {
                    tracing::debug!(version, ?reset_code, "ASH link up");
                    match self.session.on_connected(now) {
                        Ok(frame) => {
                            if let Err(e) = self.link.send(now, frame) {
                                tracing::warn!("cannot send version: {e}");
                            }
                        }
                        Err(e) => tracing::error!("cannot start the EZSP negotiation: {e}"),
                    }
                }
                Event::Received(bytes) => {
                    for out in self.session.on_frame(now, &bytes) {
                        self.on_session(now, out);
                    }
                }
                Event::Reset { code } => {
                    tracing::warn!(?code, "Zigbee stick reset itself");
                    self.session.on_link_down();
                    self.fail_pending(Error::StickReset(code));
                    self.emit(RadioEvent::StickReset(code));
                    self.restart_link();
                }
                Event::Error(e) => {
                    tracing::warn!("ASH link failed: {e}; resetting");
                    self.session.on_link_down();
                    self.fail_pending(Error::Link(e.clone()));
                    self.emit(RadioEvent::LinkFailed(e));
                    self.restart_link();
                }
                Event::BadFrame(e) => tracing::debug!("bad ASH frame from the stick: {e}"),
            }
        }
    }

    fn on_session(&mut self, now: Instant, out: Output) {
        match out {
            Output::Send(frame) => {
                if let Err(e) = self.link.send(now, frame) {
                    tracing::warn!("cannot send during negotiation: {e}");
                }
            }
            Output::Ready(negotiated) => {
                self.generation += 1;
                tracing::info!(?negotiated, "EZSP negotiated");
                self.state.send_replace(LinkState::Ready {
                    negotiated,
                    generation: self.generation,
                });
            }
            Output::NegotiationFailed(e) => {
                tracing::error!("EZSP negotiation failed: {e}");
                self.state.send_replace(LinkState::Unusable(e));
            }
            Output::Response(response) => {
                if let Some(reply) = self.pending.take() {
                    let _ = reply.send(Ok(response));
                }
            }
            Output::TimedOut { frame_id } => {
                if self.pending.is_none() {
                    tracing::warn!(frame_id, "EZSP callback poll not answered in time");
                }
                self.fail_pending(Error::Timeout { frame_id });
            }
            Output::Callback(callback) => {
                if let Callback::StackStatusHandler(s) = &callback {
                    match s.status.0 {
                        NETWORK_UP => self.emit(RadioEvent::NetworkUp),
                        NETWORK_DOWN => self.emit(RadioEvent::NetworkDown),
                        other => tracing::debug!("stack status {other:#06x}"),
                    }
                }
                if let Some(event) = super::devices::event_of(&callback) {
                    self.emit(event);
                }
                if let Some(event) = super::zcl::event_of(&callback) {
                    self.emit(event);
                }
                // Nobody listening is normal outside start-up.
                let _ = self.callbacks.send(callback);
            }
        }
    }
}
