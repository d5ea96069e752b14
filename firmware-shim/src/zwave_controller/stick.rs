//! The whole emulated Z-Wave stick: [`StickLink`] under [`Controller`], with the test's hand on
//! every host message in between. Bytes from the host go in through
//! [`EmulatedController::on_bytes`], time through [`EmulatedController::tick`], bytes for the
//! host come out of [`EmulatedController::take_output`]. No I/O: [`super::pty`] runs it.
//!
//! **Overrides** follow zwave-js' `MockController.onHostMessage`: a hook sees each decoded host
//! message first and returns an [`Override`]; [`Override::Default`] falls back to the
//! controller's normal answer, so a test scripts one message and the rest behave.
//!
//! **Fault switches** act on the whole stick: go silent, write raw bytes, restart unprompted,
//! or be power-cycled (what unplugging does).

use sealhub_radios::zwave::serial::messages::application::{ApplicationCommand, ReceiveStatus};
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};

use super::controller::{Controller, ControllerConfig};
use super::link::{LinkConfig, LinkStats, StickLink};
use super::nodes::SimNode;

/// What to do with one host message instead of the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    /// ACK and answer as the controller normally does.
    Default,
    /// Handle and answer as usual, but the ACK is lost on the way: the host sends the frame
    /// again (and the controller handles it again, as a real one would).
    DropAck,
    /// Answer CAN instead of ACK and ignore the frame (as on a collision).
    Can,
    /// ACK and answer, but the first frame of the answer has a broken checksum, so the host
    /// must NAK it and get it again.
    CorruptChecksum,
    /// ACK now, answer after this many ticks.
    Delay(u32),
    /// ACK and never answer.
    Silent,
    /// ACK and answer with these messages instead.
    Reply(Vec<StickMessage>),
}

/// The hook a test installs: sees every decoded host message.
pub type HostMessageHook = Box<dyn FnMut(&HostMessage) -> Override + Send>;

/// One emulated USB Z-Wave stick.
pub struct EmulatedController {
    link: StickLink,
    controller: Controller,
    hook: Option<HostMessageHook>,
    delayed: Vec<(u32, Vec<StickMessage>)>,
    silent: bool,
    received: Vec<HostMessage>,
}

impl std::fmt::Debug for EmulatedController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatedController")
            .field("link", &self.link.stats())
            .field("nodes", &self.controller.node_ids())
            .field("silent", &self.silent)
            .field("hooked", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

impl EmulatedController {
    /// A stick with its controller alone in the network.
    pub fn new(config: ControllerConfig) -> Self {
        Self {
            link: StickLink::new(LinkConfig::default()),
            controller: Controller::new(config),
            hook: None,
            delayed: Vec::new(),
            silent: false,
            received: Vec::new(),
        }
    }

    /// Installs the override hook (replacing any earlier one).
    pub fn set_override(&mut self, hook: HostMessageHook) {
        self.hook = Some(hook);
    }

    /// Every message gets the default answer again.
    pub fn clear_override(&mut self) {
        self.hook = None;
    }

    /// Silent: bytes from the host are ignored and nothing is sent, as a hung chip.
    pub fn set_silent(&mut self, silent: bool) {
        self.silent = silent;
    }

    /// Writes bytes straight onto the wire.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.link.send_raw(bytes);
    }

    /// Sends messages to the host as if the chip produced them.
    pub fn send(&mut self, messages: Vec<StickMessage>) {
        self.send_all(messages, false);
    }

    /// The chip restarts on its own (watchdog) and announces it with SerialApiStarted.
    pub fn restart(&mut self) {
        self.link.clear();
        self.delayed.clear();
        let started = self.controller.restarted();
        self.send(vec![started]);
    }

    /// Power is cut and restored (unplug and replug): RAM state and unsent frames are lost,
    /// the network stays. Its SerialApiStarted goes nowhere: no host has the port open yet.
    pub fn power_cycle(&mut self) {
        self.link.clear();
        self.delayed.clear();
        self.controller.reboot();
        let _ = self.link.take_output();
    }

    /// The controller chip, for assertions and for seeding nodes.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// The controller chip, mutable.
    pub fn controller_mut(&mut self) -> &mut Controller {
        &mut self.controller
    }

    /// Puts a node in the network as if included before; returns its id.
    pub fn add_node(&mut self, node: SimNode) -> u8 {
        self.controller.add_existing(node)
    }

    /// The test puts a new node into learn mode (see [`Controller::offer_for_inclusion`]).
    pub fn offer_for_inclusion(&mut self, node: SimNode) {
        let out = self.controller.offer_for_inclusion(node);
        self.send(out);
    }

    /// The test puts an included node into learn mode to leave.
    pub fn offer_for_exclusion(&mut self, node_id: u8) {
        let out = self.controller.offer_for_exclusion(node_id);
        self.send(out);
    }

    /// A sleeping node wakes up and sends its Wake Up Notification.
    pub fn wake_up(&mut self, node_id: u8) {
        let out = self.controller.wake_up(node_id);
        self.send(out);
    }

    /// A node sends frames unprompted (a lock turned by hand reports it): they reach the host
    /// as ApplicationCommandHandler requests, as a node's answers do.
    pub fn from_node(&mut self, node_id: u8, payloads: Vec<Vec<u8>>) {
        let messages = payloads
            .into_iter()
            .map(|command| {
                StickMessage::ApplicationCommand(ApplicationCommand {
                    rx_status: ReceiveStatus::empty(),
                    source_node: node_id,
                    command,
                    // RSSI, dBm.
                    trailer: vec![0xC4],
                })
            })
            .collect();
        self.send(messages);
    }

    /// Framing counters.
    pub fn link_stats(&self) -> LinkStats {
        self.link.stats()
    }

    /// Every host message received, in order, since this emulator was made.
    pub fn received(&self) -> &[HostMessage] {
        &self.received
    }

    /// Feeds bytes written by the host.
    pub fn on_bytes(&mut self, bytes: &[u8]) {
        if self.silent {
            return;
        }
        for frame in self.link.on_bytes(bytes) {
            let message = match HostMessage::decode(&frame) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!("emulated controller: undecodable host frame: {e}");
                    self.link.ack();
                    continue;
                }
            };
            tracing::debug!(?message, "emulated controller received");
            let decision = match &mut self.hook {
                Some(hook) => hook(&message),
                None => Override::Default,
            };
            self.received.push(message.clone());
            match decision {
                Override::Default => {
                    self.link.ack();
                    let out = self.controller.handle(&message);
                    self.send(out);
                }
                Override::DropAck => {
                    let out = self.controller.handle(&message);
                    self.send(out);
                }
                Override::Can => self.link.can(),
                Override::CorruptChecksum => {
                    self.link.ack();
                    let out = self.controller.handle(&message);
                    self.send_all(out, true);
                }
                Override::Delay(ticks) => {
                    self.link.ack();
                    let out = self.controller.handle(&message);
                    self.delayed.push((ticks, out));
                }
                Override::Silent => self.link.ack(),
                Override::Reply(messages) => {
                    self.link.ack();
                    self.send(messages);
                }
            }
        }
    }

    fn send_all(&mut self, messages: Vec<StickMessage>, corrupt_first: bool) {
        for (i, message) in messages.into_iter().enumerate() {
            match message.encode() {
                Ok(frame) => self.link.send(frame, corrupt_first && i == 0),
                Err(e) => tracing::warn!("emulated controller cannot encode {message:?}: {e}"),
            }
        }
    }

    /// One tick passes: retransmissions, delayed answers, and what nodes send on their own.
    pub fn tick(&mut self) {
        let mut due = Vec::new();
        self.delayed.retain_mut(|(ticks, messages)| {
            *ticks = ticks.saturating_sub(1);
            if *ticks == 0 {
                due.push(core::mem::take(messages));
                false
            } else {
                true
            }
        });
        if self.silent {
            return;
        }
        self.link.tick();
        for messages in due {
            self.send(messages);
        }
        let unprompted = self.controller.poll_nodes(std::time::Instant::now());
        if !unprompted.is_empty() {
            self.send(unprompted);
        }
    }

    /// Bytes for the host (always empty while silent).
    pub fn take_output(&mut self) -> Vec<u8> {
        let out = self.link.take_output();
        if self.silent { Vec::new() } else { out }
    }
}
