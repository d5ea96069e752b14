//! Client commands: opened with every check of `docs/ENVELOPE.md`, checked against the client's
//! role, recorded in the journal before any radio request, run one at a time per device, and
//! answered by a response signed by the device's key.
//!
//! At most once: `Home::open_command_staged` refuses a second copy of an envelope; the advanced
//! replay window and the command's journal entry are flushed together (`Home::make_durable`)
//! before the first radio request is handed out; a duplicate gets the stored answer again; after a restart a command that was
//! handed out but not answered is answered `Interrupted` (never run again), and one that was
//! accepted but never handed out runs then.

use std::time::Instant;

use super::journal::{CommandKey, Entry, Stage};
use super::outcome::{OpOutput, RadioOutcome, Ticket};
use super::permissions::needed_for_action;
use super::plan::RadioOps;
use super::wording::{doing, radio_failure};
use super::{Asker, Delivery, Gateway, Output, Phase, Running, TicketFor, Waiting, hub_device};
use crate::envelope::{self, DeviceId, ROUTE_LABEL, Route};
use crate::gateway::Refusal;
use crate::gateway::core::registry::{DeviceEntry, Registry};
use crate::identity::Certificate;
use crate::keymgmt::Home;
use crate::model::{Action, Attribute, Command, Failure, RadioKind, Response};
use crate::store::WriteBatch;
use coset::Label;

/// Makes the staged replay window durable ([`Home::make_durable`]); `false` (logged) when it
/// could not be: then the command is neither run nor answered.
fn durable(home: &mut Home) -> bool {
    match home.make_durable() {
        Ok(()) => true,
        Err(e) => {
            tracing::error!("cannot persist a command's replay window; ignoring the command: {e}");
            false
        }
    }
}

/// The device a command envelope is routed to, read from its (already authenticated) route.
fn routed_device(bytes: &[u8]) -> Option<DeviceId> {
    let msg = crate::cose::decode_encrypt(bytes).ok()?;
    let route = msg
        .unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(ROUTE_LABEL))?
        .1
        .as_bytes()?;
    Route::from_bytes(route).ok().map(|r| r.device)
}

impl Gateway {
    /// A client's envelope.
    pub(super) fn on_envelope(
        &mut self,
        home: &mut Home,
        conn: u64,
        bytes: &[u8],
        now: Instant,
    ) -> Vec<Output> {
        self.connections.insert(conn);
        // The advanced replay window is staged: a device command's journal entry joins it in
        // one flush (`device_command`); every other path flushes it before anything else.
        let opened = match home.open_command_staged(bytes, home.now_unix(), now) {
            Ok(o) => o,
            Err(envelope::Error::Replay { kid, seq }) => {
                // A second copy: never run again; its answer, if there is one yet, again.
                return self
                    .journal
                    .answer_for(&CommandKey { kid, seq })
                    .map(|b| {
                        Output::Deliver(Delivery::ToConnection {
                            conn,
                            bytes: b.to_vec(),
                        })
                    })
                    .into_iter()
                    .collect();
            }
            Err(envelope::Error::FreshnessUnverified {
                kid,
                challenge,
                msg_id,
            }) => {
                // The challenge is encrypted to the one client that signed the command.
                let Some(client) = home.client_by_kid(kid).map(|(id, _)| id.clone()) else {
                    return Vec::new();
                };
                let device = routed_device(bytes).unwrap_or_else(hub_device);
                return match home.seal_challenge(&device, &client, &challenge, msg_id) {
                    Ok(bytes) => vec![Output::Deliver(Delivery::ToConnection { conn, bytes })],
                    Err(e) => {
                        tracing::error!("cannot seal a challenge: {e}");
                        Vec::new()
                    }
                };
            }
            // Refused (and logged by the home): the sender is not authenticated, so nothing is
            // answered.
            Err(_) => return Vec::new(),
        };
        let Some((client, cert)) = home
            .client_by_kid(opened.signer)
            .map(|(i, c)| (i.clone(), c.clone()))
        else {
            durable(home);
            return Vec::new();
        };
        let asker = Asker {
            key: CommandKey {
                kid: opened.signer,
                seq: opened.body.seq,
            },
            client,
            conn: Some(conn),
            re: opened.body.msg_id,
            device: opened.route.device.clone(),
            command: opened.body.body.clone(),
        };
        let command = Command::from_value(&opened.body.body);
        let to_hub = asker.device == hub_device();
        if !matches!(command, Ok(Command::Device { .. })) || to_hub {
            // Not a device action: the window is made durable on its own, before anything.
            if !durable(home) {
                return Vec::new();
            }
        }
        let command = match command {
            Ok(c) => c,
            Err(e) => {
                return self.answer(
                    home,
                    &asker,
                    Response::Failed {
                        failure: Failure::InvalidValue,
                        message: format!("the hub could not read this command: {e}"),
                    },
                );
            }
        };
        match command {
            Command::Device { endpoint, action } if !to_hub => {
                self.device_command(home, asker, &cert, endpoint, action, now)
            }
            Command::Hub(command) if to_hub => self.hub_command(home, asker, &cert, command, now),
            Command::Device { .. } => self.answer(
                home,
                &asker,
                Response::Failed {
                    failure: Failure::InvalidValue,
                    message: "the hub itself takes hub commands, not device actions".into(),
                },
            ),
            Command::Hub(_) => self.answer(
                home,
                &asker,
                Response::Failed {
                    failure: Failure::InvalidValue,
                    message: "hub commands are addressed to the hub".into(),
                },
            ),
        }
    }

    /// A device action: permission, endpoint and translation are checked now, and the command
    /// is queued behind the device's earlier ones.
    fn device_command(
        &mut self,
        home: &mut Home,
        asker: Asker,
        cert: &Certificate,
        endpoint: u8,
        action: Action,
        now: Instant,
    ) -> Vec<Output> {
        let refusal = match self.registry.get(&asker.device) {
            None => Some(Refusal::new(
                Failure::UnknownDevice,
                "this device is not in the home",
            )),
            Some(d) if !cert.has(needed_for_action(&action)) => {
                tracing::info!(client = %asker.client, "not permitted by the client's role");
                Some(Refusal::new(
                    Failure::NotPermitted,
                    format!("your role does not allow {} the {}", doing(&action), d.name),
                ))
            }
            Some(d) => self.plan(d, endpoint, &action).err(),
        };
        if let Some(refusal) = refusal {
            tracing::info!(device = %asker.device, action = doing(&action), result = ?refusal.failure, "command refused");
            if !durable(home) {
                return Vec::new();
            }
            return self.answer(
                home,
                &asker,
                Response::Failed {
                    failure: refusal.failure,
                    message: refusal.message,
                },
            );
        }
        let device = asker.device.clone();
        let radio = self.registry.get(&device).map(DeviceEntry::radio);
        let runs_now = radio.is_some_and(|r| self.radio_up(r))
            && self
                .queues
                .get(&device)
                .is_none_or(|q| q.running.is_none() && q.waiting.is_empty());
        let entry = Entry {
            stage: if runs_now {
                Stage::Sent
            } else {
                Stage::Accepted
            },
            device: device.to_string(),
            client: asker.client.to_string(),
            msg_id: asker.re,
            command: asker.command.clone(),
            interim: None,
            answer: None,
        };
        // The entry is staged and flushed with the replay window the command advanced: one
        // flush before the radio request (`docs/GATEWAY.md`, "Flushes").
        let recorded = self
            .journal
            .stage(asker.key, entry)
            .map_err(|e| e.to_string())
            .and_then(|()| home.make_durable().map_err(|e| e.to_string()));
        if let Err(e) = recorded {
            // Without its journal entry the command could run twice after a restart: it does
            // not run at all.
            tracing::error!("cannot record a command in the journal: {e}");
            return self.answer_as(
                home,
                &asker,
                &device,
                Response::Failed {
                    failure: Failure::Busy,
                    message: "the hub could not record the command, so it did not run it; try \
                              again"
                        .into(),
                },
                false,
            );
        }
        self.queues
            .entry(device.clone())
            .or_default()
            .waiting
            .push_back(Waiting {
                asker,
                sent: runs_now,
                deadline: now + self.config.command_timeout,
            });
        self.start_next(home, &device, now)
    }

    /// Runs the queued commands of every device on `radio`, which is up now.
    pub(super) fn pump_radio(
        &mut self,
        home: &mut Home,
        radio: RadioKind,
        now: Instant,
    ) -> Vec<Output> {
        let devices: Vec<DeviceId> = self
            .queues
            .keys()
            .filter(|d| self.registry.get(d).is_some_and(|e| e.radio() == radio))
            .cloned()
            .collect();
        devices
            .iter()
            .flat_map(|d| self.start_next(home, d, now))
            .collect()
    }

    /// Hands the device's next command to its radio, if none is running and the radio is up.
    fn start_next(&mut self, home: &mut Home, device: &DeviceId, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        loop {
            let Some(radio) = self.registry.get(device).map(DeviceEntry::radio) else {
                return out;
            };
            if !self.radio_up(radio) {
                return out;
            }
            let Some(queue) = self.queues.get_mut(device) else {
                return out;
            };
            if queue.running.is_some() {
                return out;
            }
            let Some(next) = queue.waiting.pop_front() else {
                return out;
            };
            let asker = next.asker;
            let Ok(Command::Device { endpoint, action }) = Command::from_value(&asker.command)
            else {
                out.extend(self.answer(
                    home,
                    &asker,
                    Response::Failed {
                        failure: Failure::InvalidValue,
                        message: "the hub could not read this command".into(),
                    },
                ));
                continue;
            };
            let plan = match self.registry.get(device) {
                Some(d) => self.plan(d, endpoint, &action),
                None => Err(Refusal::new(
                    Failure::UnknownDevice,
                    "this device is not in the home",
                )),
            };
            let plan = match plan {
                Ok(plan) => plan,
                Err(refusal) => {
                    out.extend(self.answer(
                        home,
                        &asker,
                        Response::Failed {
                            failure: refusal.failure,
                            message: refusal.message,
                        },
                    ));
                    continue;
                }
            };
            if !next.sent
                && let Err(e) = self.journal.set_stage(asker.key, Stage::Sent)
            {
                tracing::error!("cannot record a command as sent; not sending it: {e}");
                out.extend(
                    self.answer_as(
                        home,
                        &asker,
                        device,
                        Response::Failed {
                            failure: Failure::Busy,
                            message: "the hub could not record the command, so it did not run it; \
                                  try again"
                                .into(),
                        },
                        false,
                    ),
                );
                continue;
            }
            let ticket = self.ticket(TicketFor::Command(device.clone()));
            tracing::debug!(device = %device, action = doing(&action), "command handed to the radio");
            out.push(plan.ops.output(ticket));
            if let Some(queue) = self.queues.get_mut(device) {
                queue.running = Some(Running {
                    asker,
                    ticket,
                    endpoint,
                    action,
                    deadline: now + self.config.command_timeout,
                    phase: Phase::Radio,
                    sets: plan.sets,
                    read_back: plan.read_back,
                    action_ops: plan.action_ops,
                });
            }
            return out;
        }
    }

    /// The result of a radio request.
    pub(super) fn on_radio_done(
        &mut self,
        home: &mut Home,
        ticket: Ticket,
        outcome: RadioOutcome,
        now: Instant,
    ) -> Vec<Output> {
        match self.tickets.get(&ticket) {
            Some(TicketFor::Command(device)) => {
                let device = device.clone();
                self.command_done(home, &device, ticket, outcome, now)
            }
            Some(TicketFor::Setup(device)) => {
                let device = device.clone();
                if matches!(outcome, RadioOutcome::Queued) {
                    return Vec::new();
                }
                self.tickets.remove(&ticket);
                let (ran, failure) = match outcome {
                    RadioOutcome::Done(ran) => (ran, None),
                    RadioOutcome::Failed { ran, failure } => (ran, Some(failure)),
                    RadioOutcome::Queued => (Vec::new(), None),
                };
                let mut out = self.apply_reads(home, &device, &ran, now).1;
                if let Some(f) = failure {
                    tracing::warn!(device = %device, failure = ?f.failure, detail = %f.detail, "setting up the device failed; its reports may not reach the hub");
                    if f.failure == Failure::Unreachable {
                        out.extend(self.set_reachable(home, &device, false));
                    }
                }
                out
            }
            Some(TicketFor::Report(device)) => {
                let device = device.clone();
                if matches!(outcome, RadioOutcome::Queued) {
                    return Vec::new();
                }
                self.tickets.remove(&ticket);
                match outcome {
                    RadioOutcome::Failed { failure, .. } => {
                        tracing::debug!(device = %device, failure = ?failure.failure, detail = %failure.detail, "asking for a report after a command failed");
                        if failure.failure == Failure::Unreachable {
                            return self.set_reachable(home, &device, false);
                        }
                        Vec::new()
                    }
                    _ => Vec::new(),
                }
            }
            Some(TicketFor::Hub(_)) => self.hub_done(home, ticket, outcome, now),
            None => {
                tracing::debug!(
                    ticket = ticket.0,
                    "a radio result for a request already answered"
                );
                Vec::new()
            }
        }
    }

    /// Feeds the values of Zigbee reads in as reports; returns the endpoints values came back
    /// for, and the outputs.
    fn apply_reads(
        &mut self,
        home: &mut Home,
        device: &DeviceId,
        outputs: &[OpOutput],
        now: Instant,
    ) -> (Vec<u8>, Vec<Output>) {
        let mut out = Vec::new();
        let mut endpoints = Vec::new();
        for o in outputs {
            let OpOutput::Read {
                endpoint,
                cluster,
                attributes,
            } = o
            else {
                continue;
            };
            let values = match self.registry.get(device) {
                Some(d) => self
                    .translation
                    .zigbee_attributes_of_report(&d.mapping, *endpoint, *cluster, attributes),
                None => continue,
            };
            if !values.is_empty() {
                endpoints.push(*endpoint);
                out.extend(self.heard_from(home, device, *endpoint, values, now));
            }
        }
        (endpoints, out)
    }

    /// The result of a device command's ops.
    fn command_done(
        &mut self,
        home: &mut Home,
        device: &DeviceId,
        ticket: Ticket,
        outcome: RadioOutcome,
        now: Instant,
    ) -> Vec<Output> {
        let Some(running) = self
            .queues
            .get_mut(device)
            .and_then(|q| q.running.as_mut())
            .filter(|r| r.ticket == ticket)
        else {
            self.tickets.remove(&ticket);
            return Vec::new();
        };
        match outcome {
            RadioOutcome::Queued => {
                if running.phase != Phase::Radio {
                    return Vec::new();
                }
                running.phase = Phase::Queued;
                running.deadline = now + self.config.queued_timeout;
                let asker = running.asker.clone();
                let bytes = match home.seal_response(
                    device,
                    &asker.client,
                    Response::Queued.to_value(),
                    asker.re,
                ) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(device = %device, "cannot seal a response: {e}");
                        return Vec::new();
                    }
                };
                if let Err(e) = self.journal.set_interim(asker.key, bytes.clone()) {
                    tracing::error!("cannot record a queued answer: {e}");
                }
                tracing::info!(device = %device, "command queued until the device wakes up");
                vec![self.reply(asker.conn, &asker.client, bytes)]
            }
            RadioOutcome::Failed { ran, failure } => {
                let mut out = self.apply_reads(home, device, &ran, now).1;
                if failure.failure == Failure::Unreachable {
                    out.extend(self.set_reachable(home, device, false));
                }
                let Some(running) = self.finish(device) else {
                    return out;
                };
                let (name, radio) = self
                    .registry
                    .get(device)
                    .map(|d| (d.name.clone(), d.radio()))
                    .unwrap_or_else(|| (device.to_string(), RadioKind::Zigbee));
                tracing::info!(device = %device, action = doing(&running.action), result = ?failure.failure, detail = %failure.detail, "command executed");
                out.extend(self.answer(
                    home,
                    &running.asker,
                    Response::Failed {
                        failure: failure.failure,
                        message: radio_failure(
                            failure.failure,
                            &name,
                            radio,
                            doing(&running.action),
                        ),
                    },
                ));
                out.extend(self.start_next(home, device, now));
                out
            }
            RadioOutcome::Done(ran) => {
                let endpoint = running.endpoint;
                let confirmed = running.action_ops > 0
                    && ran.get(..running.action_ops).is_some_and(|action| {
                        action.iter().all(|o| matches!(o, OpOutput::Confirmed))
                    });
                if let Some(sets) = running.sets.take() {
                    let read_back = running.read_back.take();
                    if confirmed {
                        // The device applied an absolute action: its state is what the action
                        // set. The event comes from the device's own report: a Zigbee device
                        // reports the change (reporting is configured at setup); a Z-Wave node
                        // does not report a change the hub made, so its Get goes out after
                        // the answer, not before it.
                        let mut out = self.set_reachable(home, device, true);
                        out.extend(self.apply_reads(home, device, &ran, now).1);
                        if let Some(gets @ RadioOps::Zwave { .. }) = read_back {
                            let ticket = self.ticket(TicketFor::Report(device.clone()));
                            out.push(gets.output(ticket));
                        }
                        out.extend(self.answer_set_state(home, device, &sets, now));
                        return out;
                    }
                    if let Some(read_back) = read_back {
                        // Taken but not confirmed: read back what the action touched.
                        let mut out = self.set_reachable(home, device, true);
                        self.tickets.remove(&ticket);
                        let ticket = self.ticket(TicketFor::Command(device.clone()));
                        if let Some(running) =
                            self.queues.get_mut(device).and_then(|q| q.running.as_mut())
                        {
                            running.ticket = ticket;
                            running.action_ops = 0;
                        }
                        out.push(read_back.output(ticket));
                        return out;
                    }
                }
                let mut out = self.set_reachable(home, device, true);
                let (read, reads_out) = self.apply_reads(home, device, &ran, now);
                out.extend(reads_out);
                if read.contains(&endpoint) {
                    // `heard_from` answered it if it was settling; it was not yet: answer now.
                    out.extend(self.answer_done(home, device, now));
                    return out;
                }
                if let Some(running) = self.queues.get_mut(device).and_then(|q| q.running.as_mut())
                {
                    running.phase = Phase::Settling;
                    running.deadline = now + self.config.settle_timeout;
                }
                out
            }
        }
    }

    /// The running command of `device` is over: its ticket is forgotten; returns it.
    fn finish(&mut self, device: &DeviceId) -> Option<Running> {
        let running = self.queues.get_mut(device)?.running.take()?;
        self.tickets.remove(&running.ticket);
        Some(running)
    }

    /// Answers the running command with the endpoint's state as it is now.
    fn answer_done(&mut self, home: &mut Home, device: &DeviceId, now: Instant) -> Vec<Output> {
        let Some(running) = self.finish(device) else {
            return Vec::new();
        };
        let state = self
            .registry
            .get(device)
            .map(|d| d.state_of(running.endpoint))
            .unwrap_or_default();
        tracing::info!(device = %device, action = doing(&running.action), result = "done", "command executed");
        let mut out = self.answer(
            home,
            &running.asker,
            Response::Done {
                endpoint: running.endpoint,
                state,
            },
        );
        out.extend(self.start_next(home, device, now));
        out
    }

    /// Answers the running command, an absolute action the device confirmed, with the
    /// endpoint's state and `sets` merged in; the device's record is written with the answer.
    fn answer_set_state(
        &mut self,
        home: &mut Home,
        device: &DeviceId,
        sets: &[Attribute],
        now: Instant,
    ) -> Vec<Output> {
        let Some(running) = self.finish(device) else {
            return Vec::new();
        };
        let mut with = WriteBatch::new();
        let state = match self.registry.get_mut(device) {
            Some(d) => {
                if d.merge(running.endpoint, sets) {
                    Registry::put_into(&mut with, d);
                }
                d.state_of(running.endpoint)
            }
            None => sets.to_vec(),
        };
        tracing::info!(device = %device, action = doing(&running.action), result = "done", "command executed");
        let mut out = self.answer_with(
            home,
            &running.asker,
            Response::Done {
                endpoint: running.endpoint,
                state,
            },
            with,
        );
        out.extend(self.start_next(home, device, now));
        out
    }

    /// A report from `endpoint` of `device`: a command waiting for its new state is answered.
    pub(super) fn settled(
        &mut self,
        home: &mut Home,
        device: &DeviceId,
        endpoint: u8,
        now: Instant,
    ) -> Vec<Output> {
        let settling = self
            .queues
            .get(device)
            .and_then(|q| q.running.as_ref())
            .is_some_and(|r| r.phase == Phase::Settling && r.endpoint == endpoint);
        if !settling {
            return Vec::new();
        }
        self.answer_done(home, device, now)
    }

    /// Deadlines of a device's commands: a settling command is answered with the last state,
    /// one with the radio `TimedOut`, one that waited too long for its turn `TimedOut` (or
    /// `RadioUnavailable` when its radio is down).
    pub(super) fn expire_commands(
        &mut self,
        home: &mut Home,
        device: &DeviceId,
        now: Instant,
    ) -> Vec<Output> {
        let mut out = Vec::new();
        let phase = self
            .queues
            .get(device)
            .and_then(|q| q.running.as_ref())
            .filter(|r| r.deadline <= now)
            .map(|r| r.phase);
        match phase {
            Some(Phase::Settling) => out.extend(self.answer_done(home, device, now)),
            Some(Phase::Radio | Phase::Queued) => {
                if let Some(running) = self.finish(device) {
                    tracing::info!(device = %device, action = doing(&running.action), result = "timed out", "command executed");
                    out.extend(self.answer(home, &running.asker, Response::TimedOut));
                    out.extend(self.start_next(home, device, now));
                }
            }
            None => {}
        }
        let expired: Vec<Waiting> = match self.queues.get_mut(device) {
            Some(q) => {
                let (late, keep): (Vec<Waiting>, Vec<Waiting>) =
                    q.waiting.drain(..).partition(|w| w.deadline <= now);
                q.waiting = keep.into();
                late
            }
            None => Vec::new(),
        };
        let entry = self
            .registry
            .get(device)
            .map(|d| (d.name.clone(), d.radio()));
        for w in expired {
            let response = match entry {
                Some((ref name, radio)) if !self.radio_up(radio) => Response::Failed {
                    failure: Failure::RadioUnavailable,
                    message: radio_failure(Failure::RadioUnavailable, name, radio, ""),
                },
                _ => Response::TimedOut,
            };
            out.extend(self.answer(home, &w.asker, response));
        }
        if self
            .queues
            .get(device)
            .is_some_and(|q| q.running.is_none() && q.waiting.is_empty())
        {
            self.queues.remove(device);
        }
        out
    }

    /// After a start: commands handed to a radio before the restart and never answered are
    /// answered `Interrupted`; commands accepted but never handed out wait for their radio.
    pub(super) fn recover(&mut self, home: &mut Home, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        let unfinished: Vec<(CommandKey, Entry)> = self
            .journal
            .iter()
            .filter(|(_, e)| e.stage != Stage::Answered)
            .map(|(k, e)| (*k, e.clone()))
            .collect();
        for (key, entry) in unfinished {
            let (Ok(client), Ok(device)) =
                (DeviceId::new(&entry.client), DeviceId::new(&entry.device))
            else {
                tracing::error!("a journal entry names an invalid client or device; skipped");
                continue;
            };
            let asker = Asker {
                key,
                client,
                conn: None,
                re: entry.msg_id,
                device: device.clone(),
                command: entry.command.clone(),
            };
            match entry.stage {
                Stage::Sent => {
                    let message = self.interrupted_message(&asker);
                    tracing::info!(device = %device, "a command the hub's restart interrupted is answered as such");
                    out.extend(self.answer(
                        home,
                        &asker,
                        Response::Failed {
                            failure: Failure::Interrupted,
                            message,
                        },
                    ));
                }
                Stage::Accepted => {
                    tracing::info!(device = %device, "a command accepted before the restart runs when its radio is up");
                    self.queues
                        .entry(device)
                        .or_default()
                        .waiting
                        .push_back(Waiting {
                            asker,
                            sent: false,
                            deadline: now + self.config.startup_grace,
                        });
                }
                Stage::Answered => {}
            }
        }
        out
    }

    /// "The hub restarted while unlocking the front door lock; check the device."
    fn interrupted_message(&self, asker: &Asker) -> String {
        match Command::from_value(&asker.command) {
            Ok(Command::Device { action, .. }) => {
                let (name, radio) = self
                    .registry
                    .get(&asker.device)
                    .map(|d| (d.name.clone(), d.radio()))
                    .unwrap_or_else(|| (asker.device.to_string(), RadioKind::Zigbee));
                radio_failure(Failure::Interrupted, &name, radio, doing(&action))
            }
            Ok(Command::Hub(h)) => format!(
                "the hub restarted while {}; check whether it happened",
                super::hub::hub_doing(&h)
            ),
            Err(_) => "the hub restarted while running this command; check the device".into(),
        }
    }
}
