//! A Z-Wave bench: the emulated controller (`firmware_shim::zwave_controller`) on a pty in
//! this process, with the driver (`ZwaveStick`) started on it, as the hub's runtime opens a
//! real stick. Nodes already in the network get ids 2, 3, …; secure nodes are included with
//! the user typing their PIN. Interviews give the record the hub keeps (`NodeRecord`).
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails with a message
//! instead of hanging; none decides an outcome by how long something took. The bounds and the
//! driver's timeouts are generous guards multiplied by `SEALHUB_TEST_TIME_SCALE`, read in one
//! place ([`firmware_shim::test_time`], re-exported here as [`scaled`]).

use std::future::Future;
use std::time::Duration;

pub use firmware_shim::test_time::scaled;
use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatorHandle, PtyConfig, SecureNode, SimNode, SimNodeKind, spawn_on_pty,
};
use sealhub::gateway::ZwaveOp;
use sealhub::radio::zwave_nodes::NodeRecord;
use sealhub_radios::port::{Backoff, PortConfig};
use sealhub_radios::zwave::cc::CommandClassFrame;
use sealhub_radios::zwave::driver::{
    CommandOutcome, DriverConfig, InclusionOptions, InterviewOptions, PinRequest, RadioEvent,
    SubmittedCommand, ZwaveStick,
};
use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous bound for anything that should take milliseconds (or one ACK timeout).
pub fn soon() -> Duration {
    scaled(Duration::from_secs(30))
}

/// Upper bound for a whole interview (dozens of questions, S0 with a nonce each).
pub fn interview_bound() -> Duration {
    scaled(Duration::from_secs(90))
}

/// How long an interview waits for each report: a guard, as every emulated node answers.
pub fn report_timeout() -> Duration {
    scaled(Duration::from_secs(5))
}

/// Driver timeouts that only bound a healthy exchange (`firmware_shim::test_time`).
pub fn driver_config() -> DriverConfig {
    firmware_shim::test_time::zwave_driver_config()
}

/// One report from a node, as the driver hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// The end point it came from (0: the root device).
    pub endpoint: u8,
    /// The class it was protected with (`None`: in the clear).
    pub security: Option<SecurityClass>,
    /// The report.
    pub report: CommandClassFrame,
}

/// The emulated controller with a started driver on it.
pub struct ZwaveBench {
    /// The emulator (nodes, faults, frames from nodes).
    pub emu: EmulatorHandle,
    /// The driver.
    pub stick: ZwaveStick,
    /// The driver's events.
    pub events: mpsc::Receiver<RadioEvent>,
    _dir: tempfile::TempDir,
}

impl ZwaveBench {
    /// A started driver on a fresh emulator with `nodes` (ids 2, 3, …) in its network; the
    /// driver is told nothing about them, as after a restart before the interview records
    /// are read. Nodes whose information lists Wake Up are marked sleeping.
    pub async fn start(nodes: Vec<SimNode>) -> Self {
        let dir = super::tempdir();
        let config = PtyConfig {
            controller: ControllerConfig {
                home_id: 0xC0FF_EE47,
                ..ControllerConfig::default()
            },
            ..PtyConfig::new(dir.path().join("zwave-stick"))
        };
        let (path, emu) = spawn_on_pty(config).await.expect("emulator on a pty");
        let mut sleepers = Vec::new();
        for node in nodes {
            let sleeps = node.node_info().get(3..).is_some_and(|c| c.contains(&0x84));
            let id = emu.with_stick(|s| s.add_node(node));
            if sleeps {
                sleepers.push(u16::from(id));
            }
        }
        let (stick, events) = ZwaveStick::open_with(PortConfig::new(&path), driver_config())
            .await
            .expect("driver opens the pty");
        timeout(soon(), stick.start())
            .await
            .expect("start-up does not hang")
            .expect("start-up succeeds");
        for node in sleepers {
            timeout(soon(), stick.set_sleeping(node, true))
                .await
                .expect("no hang")
                .expect("marked sleeping");
        }
        Self {
            emu,
            stick,
            events,
            _dir: dir,
        }
    }

    /// Includes a secure node, the user typing its PIN when asked; returns its node id once
    /// it holds `class`.
    pub async fn include_secure(&mut self, node: &SecureNode, class: SecurityClass) -> u16 {
        let (pins, mut asked) = mpsc::channel::<PinRequest>(1);
        let options = InclusionOptions {
            grant: KeyClasses::all(),
            allow_s0: true,
        };
        timeout(soon(), self.stick.add_node_secure(options, pins))
            .await
            .expect("no hang")
            .expect("inclusion mode");
        self.emu
            .with_stick(|s| s.offer_for_inclusion(SimNode::secure(node.clone())));
        let events = &mut self.events;
        let outcome = timeout(soon(), async {
            loop {
                tokio::select! {
                    e = events.recv() => {
                        let e = e.expect("event stream open");
                        if matches!(
                            e,
                            RadioEvent::NodeAdded { .. } | RadioEvent::InclusionFailed { .. }
                        ) {
                            return e;
                        }
                    }
                    Some(request) = asked.recv() => request.answer(Some(node.pin())),
                }
            }
        })
        .await
        .expect("inclusion finished in time");
        let RadioEvent::NodeAdded { node, security, .. } = outcome else {
            panic!("not included: {outcome:?}");
        };
        assert_eq!(security, Some(class));
        node
    }

    /// Whether the emulated node `id` is asleep.
    pub fn asleep(&self, id: u16) -> bool {
        let id = u8::try_from(id).expect("node id");
        self.emu.with_stick(|s| {
            s.controller_mut()
                .node_mut(id)
                .is_some_and(|n| n.is_asleep())
        })
    }

    /// Drives `work` to its end, waking node `id` whenever it has gone to sleep, as a sleeping
    /// node wakes on its interval (the driver holds it awake while it has work for it).
    pub async fn while_waking<T>(
        &self,
        id: u16,
        limit: Duration,
        work: impl Future<Output = T>,
    ) -> T {
        tokio::pin!(work);
        let node = u8::try_from(id).expect("node id");
        timeout(limit, async {
            loop {
                if self.asleep(id) {
                    self.emu.with_stick(|s| s.wake_up(node));
                }
                tokio::select! {
                    out = &mut work => return out,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        })
        .await
        .expect("the work finished in time")
    }

    /// Interviews node `id` (from its wake-up, for a sleeping node) and returns the record
    /// the hub keeps.
    pub async fn describe(&self, id: u16) -> NodeRecord {
        let options = InterviewOptions {
            wait_for_wake_up: true,
            report_timeout: report_timeout(),
        };
        let description = self
            .while_waking(
                id,
                interview_bound(),
                self.stick.interview_with(id, options),
            )
            .await
            .expect("the interview completes");
        NodeRecord::from_description(&description).expect("the node answered its interview")
    }

    /// Sends one command and waits for its outcome (after the wake-up of a sleeping node,
    /// which it wakes).
    pub async fn send(&self, id: u16, endpoint: u8, command: CommandClassFrame) -> CommandOutcome {
        self.while_waking(id, soon(), self.stick.send_command(id, endpoint, command))
            .await
            .expect("the command is delivered")
    }

    /// Runs `ops` on node `id` in order and returns their outcomes. For a sleeping node all
    /// are queued first and go out on one wake-up, as a hub's requests do.
    pub async fn run(&self, id: u16, ops: &[ZwaveOp]) -> Vec<CommandOutcome> {
        let work = async {
            let mut submitted = Vec::new();
            for ZwaveOp::Send { endpoint, command } in ops {
                submitted.push(
                    self.stick
                        .submit_command(id, *endpoint, command.clone())
                        .await
                        .expect("the command is accepted"),
                );
            }
            let mut outcomes = Vec::new();
            for s in submitted {
                outcomes.push(match s {
                    SubmittedCommand::Done(outcome) => outcome,
                    SubmittedCommand::QueuedUntilWakeUp(pending) => pending
                        .outcome()
                        .await
                        .expect("delivered after the wake-up"),
                });
            }
            outcomes
        };
        self.while_waking(id, soon(), work).await
    }

    /// Forgets the events that have arrived so far (the interview's reports, say).
    pub fn drain(&mut self) {
        while self.events.try_recv().is_ok() {}
    }

    /// The next report from node `id`, skipping other events; `None` if none comes within
    /// `soon()`.
    pub async fn next_report(&mut self, id: u16) -> Option<Heard> {
        timeout(soon(), async {
            loop {
                match self.events.recv().await? {
                    RadioEvent::Report {
                        node,
                        endpoint,
                        security,
                        report,
                    } if node == id => {
                        return Some(Heard {
                            endpoint,
                            security,
                            report,
                        });
                    }
                    _ => {}
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Runs `f` on the emulated node `id`'s kind and state.
    pub fn with_node<R>(&self, id: u16, f: impl FnOnce(&mut SimNodeKind) -> R) -> R {
        let id = u8::try_from(id).expect("node id");
        self.emu.with_stick(|s| {
            let node = s
                .controller_mut()
                .node_mut(id)
                .expect("node in the network");
            f(&mut node.kind)
        })
    }

    /// The node sends `frames` on its own (a report on a local change).
    pub fn node_sends(&self, id: u16, frames: Vec<Vec<u8>>) {
        let id = u8::try_from(id).expect("node id");
        self.emu.with_stick(|s| s.from_node(id, frames));
    }
}

/// Waits until `done` holds, checking every 10 ms; panics naming `what` after `soon()`.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    timeout(soon(), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} did not happen"));
}
