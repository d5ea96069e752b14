//! The whole emulated EZSP stick: [`AshNcp`] under [`Ncp`], with the test's hand on every frame
//! in between. Bytes from the host go in through [`EmulatedStick::on_bytes`], time through
//! [`EmulatedStick::tick`], bytes for the host come out of [`EmulatedStick::take_output`]. Still
//! no I/O: [`super::pty`] runs it on a pseudo-terminal.
//!
//! **Overrides** follow zwave-js' `MockController.onHostMessage`: a hook sees each decoded EZSP
//! frame from the host first and returns an [`Override`]; [`Override::Default`] falls back to the
//! emulator's normal answer, so a test scripts one frame and lets the rest behave.
//!
//! **Fault switches** act on the stick as a whole: go silent, write garbage or CANCEL bytes,
//! reset unprompted, or be power-cycled (what unplugging does).

use sealhub_radios::zigbee::ash::ResetCode;
use sealhub_radios::zigbee::ezsp::{Callback, FromNcp};

use super::ash_ncp::{AshNcp, AshNcpEvent, AshStats};
use super::ncp::{EzspFrameFromHost, Ncp, NcpConfig, Nvm};

/// What to do with one frame from the host instead of (or on top of) the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    /// Answer as the emulator normally does.
    Default,
    /// Swallow the frame: no answer at all (the ASH layer still acknowledges it).
    Drop,
    /// Answer normally, but only after this many ticks.
    Delay(u32),
    /// Answer with these frames instead (sent with the command's sequence number).
    Reply(Vec<FromNcp>),
    /// Answer with these raw EZSP frames instead (bytes exactly as given).
    ReplyRaw(Vec<Vec<u8>>),
    /// Answer normally, but the first ASH DATA frame of the answer has a broken CRC, so the
    /// host must NAK it and get it retransmitted.
    CorruptCrc,
    /// Do not answer: the chip resets (unprompted RSTACK with this code) instead.
    Reset(ResetCode),
    /// The chip resets while it is writing its answer: the first half of the answer's first
    /// ASH frame goes out, then (with no closing flag) the unprompted RSTACK with this code.
    ResetMidAnswer(ResetCode),
}

/// The hook a test installs: sees every decoded EZSP frame from the host.
pub type HostFrameHook = Box<dyn FnMut(&EzspFrameFromHost) -> Override + Send>;

/// One emulated USB stick: NCP-side ASH, the EZSP NCP, overrides and faults.
pub struct EmulatedStick {
    ash: AshNcp,
    ncp: Ncp,
    hook: Option<HostFrameHook>,
    delayed: Vec<(u32, Vec<Vec<u8>>)>,
    silent: bool,
    extra_output: Vec<u8>,
    received: Vec<EzspFrameFromHost>,
    tick_length: std::time::Duration,
}

impl std::fmt::Debug for EmulatedStick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatedStick")
            .field("ash", &self.ash.stats())
            .field("network_up", &self.ncp.is_network_up())
            .field("silent", &self.silent)
            .field("hooked", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

impl EmulatedStick {
    /// A stick fresh out of the box (no network in its tokens).
    pub fn new(config: NcpConfig) -> Self {
        Self {
            ash: AshNcp::default(),
            ncp: Ncp::new(config),
            hook: None,
            delayed: Vec::new(),
            silent: false,
            extra_output: Vec::new(),
            received: Vec::new(),
            tick_length: std::time::Duration::from_millis(10),
        }
    }

    /// How much time one [`EmulatedStick::tick`] stands for, for the simulated devices'
    /// reporting intervals (the pty task sets its tick period).
    pub fn set_tick_length(&mut self, tick_length: std::time::Duration) {
        self.tick_length = tick_length;
    }

    /// Installs the override hook (replacing any earlier one).
    pub fn set_override(&mut self, hook: HostFrameHook) {
        self.hook = Some(hook);
    }

    /// Removes the override hook: every frame gets the default again.
    pub fn clear_override(&mut self) {
        self.hook = None;
    }

    /// Silent: bytes from the host are ignored and nothing is sent, as a hung chip.
    pub fn set_silent(&mut self, silent: bool) {
        self.silent = silent;
    }

    /// Writes bytes straight onto the wire (garbage, CANCEL 0x1A, SUBSTITUTE 0x18, ...).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.extra_output.extend_from_slice(bytes);
    }

    /// The NCP reports `callback` unprompted (as when a device's message arrives), through the
    /// ASH link like any of its frames: numbered, randomized, retransmitted on NAK. The EZSP
    /// sequence number is 0. Ignored before the host has negotiated the protocol. With
    /// synchronous callbacks it joins the queue for the host's `callback` command instead.
    pub fn send_callback(&mut self, callback: Callback) {
        if self.ncp.codec().is_none() {
            return;
        }
        for bytes in self.ncp.deliver(0, vec![FromNcp::Callback(callback)]) {
            self.ash.send(bytes);
        }
    }

    /// The chip resets on its own: RAM state lost, unprompted RSTACK with `code`.
    pub fn reset(&mut self, code: ResetCode) {
        self.ncp.reboot();
        self.delayed.clear();
        self.ash.reset_unprompted(code);
    }

    /// Power is cut and restored (unplug and replug): RAM state and the ASH link are lost, the
    /// tokens stay; the chip waits for RST. Overrides and fault switches stay as the test set
    /// them.
    pub fn power_cycle(&mut self) {
        self.ncp.reboot();
        self.delayed.clear();
        self.ash = AshNcp::default();
        self.extra_output.clear();
    }

    /// The EZSP layer, for assertions and for seeding state.
    pub fn ncp(&self) -> &Ncp {
        &self.ncp
    }

    /// The EZSP layer, mutable (e.g. to seed [`Nvm`]).
    pub fn ncp_mut(&mut self) -> &mut Ncp {
        &mut self.ncp
    }

    /// The network in the tokens.
    pub fn nvm(&self) -> Option<&Nvm> {
        self.ncp.nvm()
    }

    /// The NCP side of the ASH link, to inject faults ([`AshNcp::corrupt_outgoing`],
    /// [`AshNcp::nak_storm`], ...) or shorten its ACK timer.
    pub fn ash_mut(&mut self) -> &mut AshNcp {
        &mut self.ash
    }

    /// The ASH counters (NAKs, retransmissions, duplicates, ...).
    pub fn ash_stats(&self) -> AshStats {
        self.ash.stats()
    }

    /// Every EZSP frame the host sent, in order, since power-up of this emulator.
    pub fn received(&self) -> &[EzspFrameFromHost] {
        &self.received
    }

    /// Feeds bytes written by the host.
    pub fn on_bytes(&mut self, bytes: &[u8]) {
        if self.silent {
            return;
        }
        self.ash.on_bytes(bytes);
        while let Some(event) = self.ash.next_event() {
            match event {
                AshNcpEvent::HostReset => {
                    self.ncp.reboot();
                    self.delayed.clear();
                }
                AshNcpEvent::Data(bytes) => self.on_ezsp(&bytes),
            }
        }
    }

    fn on_ezsp(&mut self, bytes: &[u8]) {
        let frame = EzspFrameFromHost::parse(bytes, self.ncp.codec());
        tracing::debug!(?frame, "emulated NCP received");
        tracing::trace!(
            "EZSP frame from the host: {}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let decision = match &mut self.hook {
            Some(hook) => hook(&frame),
            None => Override::Default,
        };
        self.received.push(frame.clone());
        match decision {
            Override::Default => {
                for out in self.ncp.handle(&frame) {
                    self.ash.send(out);
                }
                if self.ncp.take_reset_request() {
                    // `resetNode`: the answer is out; the chip reboots (RSTACK, SOFTWARE).
                    self.reset(ResetCode::SOFTWARE);
                }
            }
            Override::Drop => {}
            Override::Delay(ticks) => {
                let answer = self.ncp.handle(&frame);
                self.delayed.push((ticks, answer));
            }
            Override::Reply(frames) => {
                let seq = frame.sequence().unwrap_or(0);
                for f in &frames {
                    if let Some(bytes) = self.ncp.encode(seq, f) {
                        self.ash.send(bytes);
                    }
                }
            }
            Override::ReplyRaw(frames) => {
                for f in frames {
                    self.ash.send(f);
                }
            }
            Override::CorruptCrc => {
                let mut answer = self.ncp.handle(&frame).into_iter();
                if let Some(first) = answer.next() {
                    self.ash.send_corrupted(first);
                }
                for rest in answer {
                    self.ash.send(rest);
                }
            }
            Override::Reset(code) => self.reset(code),
            Override::ResetMidAnswer(code) => {
                if let Some(first) = self.ncp.handle(&frame).into_iter().next() {
                    self.ash.cut_next_outgoing();
                    self.ash.send(first);
                }
                self.reset(code);
            }
        }
    }

    /// One tick of emulator time passes: delayed answers (overrides, and the NCP's own scheduled
    /// callbacks) count down and go out at zero, and the ASH layer's ACK timer runs.
    pub fn tick(&mut self) {
        let mut due = Vec::new();
        self.delayed.retain_mut(|(ticks, frames)| {
            *ticks = ticks.saturating_sub(1);
            if *ticks == 0 {
                due.push(core::mem::take(frames));
                false
            } else {
                true
            }
        });
        // Frames the NCP itself scheduled (answers that come "over the air").
        let from_ncp = self.ncp.tick();
        // The simulated devices' clocks: reports and notifications due go out next tick.
        self.ncp.tick_devices(self.tick_length);
        if self.silent {
            return;
        }
        self.ash.tick(std::time::Instant::now());
        for frames in due {
            for f in frames {
                self.ash.send(f);
            }
        }
        for f in from_ncp {
            self.ash.send(f);
        }
    }

    /// Bytes for the host (empty when there is nothing; always empty while silent).
    pub fn take_output(&mut self) -> Vec<u8> {
        let mut out = core::mem::take(&mut self.extra_output);
        let ash = self.ash.take_output();
        if self.silent {
            return Vec::new();
        }
        out.extend(ash);
        out
    }
}
