//! The command class layer of the driver, between security and the caller:
//!
//! - Inbound: every plaintext frame a node sent (after decryption and the downgrade check) is
//!   decoded with [`crate::zwave::cc`]; a Supervision Get is answered with Supervision Report
//!   Success and taken off, a Multi Channel Command Encapsulation is taken off and gives the
//!   end point; a Supervision Report that answers one of our supervised commands goes to that
//!   command instead of the event stream. What is left is [`RadioEvent::Report`], a frame
//!   that does not decode kept whole as [`CommandClassFrame::Unknown`].
//! - Outbound: [`super::ZwaveStick::send_command`] wraps a typed command in Multi Channel for
//!   an end point and, for a Set to a node that lists Supervision, in Supervision Get (from the
//!   outside in: security, Multi Channel, Supervision, the command; the order of the Z-Wave
//!   transport encapsulation rules, which zwave-js follows too), then waits for the node's
//!   Supervision Report.
//! - What each node supports comes from its node information frame (seen at inclusion or in
//!   a node information update) or from the caller ([`super::ZwaveStick::set_node_command_classes`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::{Error, RadioEvent, Result, TransmitReport};
use crate::zwave::cc::switch::duration_secs;
use crate::zwave::cc::{self, CommandClassFrame, MultiChannel, Supervision, ids};
use crate::zwave::s2::SecurityClass;

/// The command class list marker: classes after it are controlled, not supported.
const SUPPORT_CONTROL_MARK: u8 = 0xEF;

/// The delivery status a node gave for a supervised command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SupervisionStatus {
    /// 0x00: the node does not support the command (it was not applied).
    NoSupport,
    /// 0x01: the node is applying it (a transition); a final report follows.
    Working,
    /// 0x02: the node could not apply it (an invalid value, a jammed bolt).
    Fail,
    /// 0xFF: applied.
    Success,
    /// A status byte the specification does not define.
    Other(u8),
}

impl SupervisionStatus {
    /// The status byte of a Supervision Report.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Self::NoSupport,
            0x01 => Self::Working,
            0x02 => Self::Fail,
            0xFF => Self::Success,
            other => Self::Other(other),
        }
    }
}

/// A node's Supervision Report on a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supervised {
    /// What the node did with the command.
    pub status: SupervisionStatus,
    /// For [`SupervisionStatus::Working`]: how long until it is done (`None`: unknown).
    pub remaining: Option<Duration>,
    /// Whether the node will send further reports on this command (while working).
    pub more_updates: bool,
}

/// What became of a command sent with [`super::ZwaveStick::send_command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandOutcome {
    /// The node's acknowledgement (and whether the command waited for its wake-up).
    pub transmit: TransmitReport,
    /// Its Supervision Report, when the command went under Supervision (a Set to a node that
    /// supports Supervision); `None`: the acknowledgement is all there is.
    pub supervision: Option<Supervised>,
}

impl CommandOutcome {
    /// Whether the node applied the command as far as it said: acknowledged and, when
    /// supervised, reported Success or Working.
    pub fn applied(&self) -> bool {
        self.supervision.is_none_or(|s| {
            matches!(
                s.status,
                SupervisionStatus::Success | SupervisionStatus::Working
            )
        })
    }
}

/// What nodes support, and the supervised commands waiting for their report.
pub(crate) struct CommandLayer {
    supported: Mutex<HashMap<u16, Vec<u8>>>,
    waiting: Mutex<HashMap<(u16, u8), oneshot::Sender<Supervised>>>,
    next_session: Mutex<u8>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes a supervision session's waiter when the command ends, however it ends.
pub(crate) struct Session {
    layer: Arc<CommandLayer>,
    node: u16,
    /// The session id (0..=63).
    pub(crate) id: u8,
    /// Where the node's report arrives.
    pub(crate) report: Option<oneshot::Receiver<Supervised>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("node", &self.node)
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        lock(&self.layer.waiting).remove(&(self.node, self.id));
    }
}

/// Keeps a frame whose layout was refused, so nothing a node sent is lost.
fn unknown(payload: &[u8]) -> Option<CommandClassFrame> {
    let (&cc, rest) = payload.split_first()?;
    let (&command, params) = rest.split_first().unwrap_or((&0, &[]));
    Some(CommandClassFrame::Unknown {
        cc,
        command,
        payload: params.to_vec(),
    })
}

impl CommandLayer {
    pub(crate) fn new() -> Self {
        Self {
            supported: Mutex::new(HashMap::new()),
            waiting: Mutex::new(HashMap::new()),
            next_session: Mutex::new(0),
        }
    }

    /// Records the command classes a node supports from its information frame's list (those
    /// after the support/control mark are controlled only, and left out).
    pub(crate) fn set_command_classes(&self, node: u16, listed: &[u8]) {
        let supported = listed
            .iter()
            .take_while(|&&c| c != SUPPORT_CONTROL_MARK)
            .copied()
            .collect();
        lock(&self.supported).insert(node, supported);
    }

    /// Forgets a node that left.
    pub(crate) fn forget(&self, node: u16) {
        lock(&self.supported).remove(&node);
        lock(&self.waiting).retain(|(n, _), _| *n != node);
    }

    /// Whether a node listed this command class.
    pub(crate) fn supports(&self, node: u16, cc: u8) -> bool {
        lock(&self.supported)
            .get(&node)
            .is_some_and(|ccs| ccs.contains(&cc))
    }

    /// Opens a supervision session with a node: a fresh session id (not one still waiting
    /// for that node's report, as a command queued for a sleeping node may) and where its
    /// report goes.
    pub(crate) fn open_session(self: &Arc<Self>, node: u16) -> Session {
        let mut waiting = lock(&self.waiting);
        let mut next = lock(&self.next_session);
        let mut id = *next;
        for _ in 0..=0x3F {
            id = *next;
            *next = (*next + 1) & 0x3F;
            if !waiting.contains_key(&(node, id)) {
                break;
            }
        }
        drop(next);
        let (tx, rx) = oneshot::channel();
        waiting.insert((node, id), tx);
        drop(waiting);
        Session {
            layer: self.clone(),
            node,
            id,
            report: Some(rx),
        }
    }

    /// A plaintext frame from a node: the event to pass on (if any) and the answer to send
    /// back to the node (a Supervision Report for its Supervision Get).
    pub(crate) fn interpret(
        &self,
        node: u16,
        payload: &[u8],
        security: Option<SecurityClass>,
    ) -> (Option<RadioEvent>, Option<Vec<u8>>) {
        let decoded = match CommandClassFrame::decode(payload) {
            Ok(frame) => Some(frame),
            Err(e) => {
                tracing::debug!(node, "command class frame kept undecoded: {e}");
                unknown(payload)
            }
        };
        let Some(mut frame) = decoded else {
            return (None, None);
        };
        let mut endpoint = 0u8;
        let mut node_session: Option<u8> = None;
        for _ in 0..cc::MAX_NESTING {
            frame = match frame {
                CommandClassFrame::Supervision(Supervision::Get {
                    session_id,
                    command,
                    ..
                }) if node_session.is_none() => {
                    node_session = Some(session_id);
                    *command
                }
                CommandClassFrame::MultiChannel(MultiChannel::CommandEncapsulation {
                    source,
                    command,
                    ..
                }) if endpoint == 0 => {
                    endpoint = source & 0x7F;
                    *command
                }
                other => {
                    frame = other;
                    break;
                }
            };
        }
        let answer = node_session.and_then(|session_id| {
            let report = CommandClassFrame::Supervision(Supervision::Report {
                more_updates_follow: false,
                wake_up_request: false,
                session_id,
                status: 0xFF,
                duration: 0,
            });
            let wrapped = if endpoint > 0 {
                CommandClassFrame::MultiChannel(MultiChannel::CommandEncapsulation {
                    source: 0,
                    destination: endpoint,
                    command: Box::new(report),
                })
            } else {
                report
            };
            wrapped
                .encode()
                .inspect_err(|e| tracing::warn!(node, "cannot answer Supervision Get: {e}"))
                .ok()
        });
        if let CommandClassFrame::Supervision(Supervision::Report {
            more_updates_follow,
            session_id,
            status,
            duration,
            ..
        }) = &frame
            && let Some(waiter) = lock(&self.waiting).remove(&(node, *session_id))
        {
            let status = SupervisionStatus::from_byte(*status);
            let remaining = match status {
                SupervisionStatus::Working => {
                    duration_secs(*duration).map(|s| Duration::from_secs(u64::from(s)))
                }
                _ => None,
            };
            let _ = waiter.send(Supervised {
                status,
                remaining,
                more_updates: *more_updates_follow,
            });
            return (None, answer);
        }
        let event = RadioEvent::Report {
            node,
            endpoint,
            security,
            report: frame,
        };
        (Some(event), answer)
    }
}

/// The outcome of a command the node acknowledged: with its Supervision Report when it went
/// under a session (waiting at most `timeout` for it).
pub(crate) async fn finish(
    node: u16,
    transmit: TransmitReport,
    session: Option<Session>,
    timeout: Duration,
) -> Result<CommandOutcome> {
    let supervision = match session {
        None => None,
        Some(mut session) => {
            let report = session
                .report
                .take()
                .ok_or(Error::NoSupervisionReport { node })?;
            match tokio::time::timeout(timeout, report).await {
                Ok(Ok(supervised)) => Some(supervised),
                _ => return Err(Error::NoSupervisionReport { node }),
            }
        }
    };
    Ok(CommandOutcome {
        transmit,
        supervision,
    })
}

/// The frame [`super::ZwaveStick::send_command`] puts on the air: `command`, in Supervision
/// Get for a session, that in Multi Channel for an end point.
pub(crate) fn wrap(
    command: CommandClassFrame,
    endpoint: u8,
    session: Option<u8>,
) -> cc::Result<Vec<u8>> {
    let mut frame = command;
    if let Some(session_id) = session {
        frame = CommandClassFrame::Supervision(Supervision::Get {
            status_updates: true,
            session_id,
            command: Box::new(frame),
        });
    }
    if endpoint > 0 {
        frame = CommandClassFrame::MultiChannel(MultiChannel::CommandEncapsulation {
            source: 0,
            destination: endpoint,
            command: Box::new(frame),
        });
    }
    frame.encode()
}

/// Whether [`super::ZwaveStick::send_command`] supervises `command` to a node with `layer`'s
/// knowledge of it.
pub(crate) fn supervises(layer: &CommandLayer, node: u16, command: &CommandClassFrame) -> bool {
    command.is_set() && layer.supports(node, ids::SUPERVISION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zwave::cc::BinarySwitch;

    #[test]
    fn a_report_from_an_end_point_under_supervision_is_unwrapped_and_answered() {
        let layer = CommandLayer::new();
        // Multi Channel from end point 2 → Supervision Get (session 5) → Binary Switch Report.
        let payload = [
            0x60, 0x0D, 0x02, 0x00, 0x6C, 0x01, 0x05, 0x03, 0x25, 0x03, 0xFF,
        ];
        let (event, answer) = layer.interpret(4, &payload, None);
        assert_eq!(
            event,
            Some(RadioEvent::Report {
                node: 4,
                endpoint: 2,
                security: None,
                report: CommandClassFrame::BinarySwitch(BinarySwitch::Report {
                    current: 0xFF,
                    transition: None,
                }),
            })
        );
        assert_eq!(
            answer,
            Some(vec![0x60, 0x0D, 0x00, 0x02, 0x6C, 0x02, 0x05, 0xFF, 0x00])
        );
    }

    #[test]
    fn a_frame_that_breaks_its_layout_is_kept_whole() {
        let layer = CommandLayer::new();
        // A Notification Get with four parameter bytes (at most three are allowed).
        let (event, answer) = layer.interpret(3, &[0x71, 0x04, 1, 2, 3, 4], None);
        assert_eq!(answer, None);
        let Some(RadioEvent::Report { report, .. }) = event else {
            panic!("kept: {event:?}")
        };
        assert!(!matches!(report, CommandClassFrame::Notification(_)));
        assert_eq!(report.encode().unwrap(), [0x71, 0x04, 1, 2, 3, 4]);
    }

    #[test]
    fn a_supervision_report_goes_to_its_session_and_not_to_the_events() {
        let layer = Arc::new(CommandLayer::new());
        layer.set_command_classes(7, &[0x5E, 0x6C, 0x25, 0xEF, 0x20]);
        assert!(layer.supports(7, ids::SUPERVISION));
        assert!(!layer.supports(7, ids::BASIC), "controlled only");
        let mut session = layer.open_session(7);
        let id = session.id;
        let mut rx = session.report.take().unwrap();
        // Another node's report with the same session id is not ours.
        let (event, _) = layer.interpret(8, &[0x6C, 0x02, id, 0xFF, 0x00], None);
        assert!(event.is_some());
        let (event, answer) = layer.interpret(7, &[0x6C, 0x02, 0x80 | id, 0x01, 0x05], None);
        assert_eq!((event, answer), (None, None));
        assert_eq!(
            rx.try_recv().unwrap(),
            Supervised {
                status: SupervisionStatus::Working,
                remaining: Some(Duration::from_secs(5)),
                more_updates: true,
            }
        );
        drop(session);
        // The final report of the session arrives as an event.
        let (event, _) = layer.interpret(7, &[0x6C, 0x02, id, 0xFF, 0x00], None);
        assert!(matches!(
            event,
            Some(RadioEvent::Report {
                report: CommandClassFrame::Supervision(Supervision::Report { .. }),
                ..
            })
        ));
    }

    #[test]
    fn a_set_to_an_end_point_goes_multi_channel_outside_supervision() {
        let set = CommandClassFrame::BinarySwitch(BinarySwitch::Set {
            value: 0xFF,
            duration: None,
        });
        assert!(set.is_set());
        assert_eq!(
            wrap(set, 1, Some(9)).unwrap(),
            [
                0x60, 0x0D, 0x00, 0x01, 0x6C, 0x01, 0x89, 0x03, 0x25, 0x01, 0xFF
            ]
        );
    }
}
