//! Hub-level commands, addressed to the hub's own device id and answered with its key:
//! listing and history (read permission), joining, inclusion, exclusion, removing and
//! renaming devices, and managing clients (owners only).

use std::time::Instant;

use super::journal::{Entry, Stage};
use super::outcome::{RadioOutcome, Ticket};
use super::permissions::{may_see, needed_for_hub, role_of};
use super::registry::{Address, Registry};
use super::wording::radio_failure;
use super::{Asker, Delivery, Gateway, HubOp, Output, TicketFor, hub_device};
use crate::envelope::DeviceId;
use crate::identity::Certificate;
use crate::keymgmt::{self, Home};
use crate::model::{ClientInfo, Event, Failure, HubCommand, HubResponse, RadioKind, Response};
use crate::store::WriteBatch;

/// Longest name or room a person may give a device.
const MAX_NAME_LEN: usize = 64;

/// What doing a hub-level command is called ("opening the Zigbee network for joining").
pub(super) fn hub_doing(command: &HubCommand) -> &'static str {
    match command {
        HubCommand::ListDevices => "listing the devices",
        HubCommand::PermitJoin { .. } => "opening the Zigbee network for joining",
        HubCommand::StopJoin => "closing the Zigbee network for joining",
        HubCommand::ZwaveInclude { .. } => "starting Z-Wave inclusion",
        HubCommand::ZwaveExclude => "starting Z-Wave exclusion",
        HubCommand::ZwaveStop => "stopping Z-Wave inclusion or exclusion",
        HubCommand::RemoveDevice { .. } => "removing a device",
        HubCommand::RenameDevice { .. } => "renaming a device",
        HubCommand::ListClients => "listing the clients",
        HubCommand::RemoveClient { .. } => "removing a client",
        HubCommand::Invite { .. } => "inviting a client",
        HubCommand::History { .. } => "sending the history",
    }
}

/// A DSK PIN: the five digits of the DSK's first group, 0..=65535.
fn dsk_pin(pin: &str) -> Option<u16> {
    if pin.len() != 5 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pin.parse().ok()
}

impl Gateway {
    /// Answers a hub-level command, signed by the hub's key.
    fn hub_answer(&mut self, home: &mut Home, asker: &Asker, response: Response) -> Vec<Output> {
        let hub = hub_device();
        self.answer_as(home, asker, &hub, response, true)
    }

    fn hub_failed(
        &mut self,
        home: &mut Home,
        asker: &Asker,
        failure: Failure,
        message: impl Into<String>,
    ) -> Vec<Output> {
        self.hub_answer(
            home,
            asker,
            Response::Failed {
                failure,
                message: message.into(),
            },
        )
    }

    /// A hub-level command from a client whose certificate is `cert`.
    pub(super) fn hub_command(
        &mut self,
        home: &mut Home,
        asker: Asker,
        cert: &Certificate,
        command: HubCommand,
        now: Instant,
    ) -> Vec<Output> {
        if !cert.has(needed_for_hub(&command)) {
            tracing::info!(client = %asker.client, doing = hub_doing(&command), "hub command refused: not permitted by the client's role");
            return self.hub_failed(
                home,
                &asker,
                Failure::NotPermitted,
                format!("your role does not allow {}", hub_doing(&command)),
            );
        }
        tracing::info!(client = %asker.client, doing = hub_doing(&command), "hub command");
        match command {
            HubCommand::ListDevices => {
                let devices = self
                    .registry
                    .iter()
                    .filter(|d| may_see(cert, &d.id))
                    .map(|d| d.model())
                    .collect();
                self.hub_answer(home, &asker, Response::Hub(HubResponse::Devices(devices)))
            }
            HubCommand::PermitJoin { seconds } if (1..=254).contains(&seconds) => self.hub_radio(
                home,
                asker,
                RadioKind::Zigbee,
                "opening the Zigbee network for joining",
                now,
                |ticket| Output::ZigbeePermitJoin { ticket, seconds },
            ),
            HubCommand::PermitJoin { .. } => self.hub_failed(
                home,
                &asker,
                Failure::InvalidValue,
                "the network opens for 1 to 254 seconds",
            ),
            HubCommand::StopJoin => self.hub_radio(
                home,
                asker,
                RadioKind::Zigbee,
                "closing the Zigbee network for joining",
                now,
                |ticket| Output::ZigbeePermitJoin { ticket, seconds: 0 },
            ),
            HubCommand::ZwaveInclude { dsk_pin: pin } => {
                let pin = match pin.as_deref().map(dsk_pin) {
                    None => None,
                    Some(Some(p)) => Some(p),
                    Some(None) => {
                        return self.hub_failed(
                            home,
                            &asker,
                            Failure::InvalidValue,
                            "the PIN is the five digits printed first in the device's DSK",
                        );
                    }
                };
                self.hub_radio(
                    home,
                    asker,
                    RadioKind::Zwave,
                    "starting Z-Wave inclusion",
                    now,
                    |ticket| Output::ZwaveInclude { ticket, pin },
                )
            }
            HubCommand::ZwaveExclude => self.hub_radio(
                home,
                asker,
                RadioKind::Zwave,
                "starting Z-Wave exclusion",
                now,
                |ticket| Output::ZwaveExclude { ticket },
            ),
            HubCommand::ZwaveStop => self.hub_radio(
                home,
                asker,
                RadioKind::Zwave,
                "stopping Z-Wave inclusion or exclusion",
                now,
                |ticket| Output::ZwaveStop { ticket },
            ),
            HubCommand::RemoveDevice { device } => {
                self.remove_device(home, asker, cert, device, now)
            }
            HubCommand::RenameDevice { device, name, room } => {
                self.rename_device(home, asker, cert, device, name, room)
            }
            HubCommand::ListClients => {
                let clients = home
                    .clients()
                    .map(|(id, c)| ClientInfo {
                        id: id.clone(),
                        role: role_of(c.claims().permissions),
                        devices: c
                            .claims()
                            .devices
                            .as_ref()
                            .map(|l| l.iter().filter_map(|d| DeviceId::new(d).ok()).collect()),
                    })
                    .collect();
                self.hub_answer(home, &asker, Response::Hub(HubResponse::Clients(clients)))
            }
            HubCommand::RemoveClient { client } => self.remove_client(home, asker, client),
            HubCommand::Invite { .. } => self.hub_failed(
                home,
                &asker,
                Failure::Unsupported,
                "invitations come with pairing",
            ),
            HubCommand::History { device, after } => self.history(home, asker, cert, device, after),
        }
    }

    /// A hub-level request to a radio: recorded as sent, then handed out; answered when the
    /// radio says.
    fn hub_radio(
        &mut self,
        home: &mut Home,
        asker: Asker,
        radio: RadioKind,
        doing: &str,
        now: Instant,
        request: impl FnOnce(Ticket) -> Output,
    ) -> Vec<Output> {
        if !self.radio_up(radio) {
            return self.hub_failed(
                home,
                &asker,
                Failure::RadioUnavailable,
                format!(
                    "the {} stick is not available (unplugged or restarting)",
                    super::wording::radio_name(radio)
                ),
            );
        }
        let entry = Entry {
            stage: Stage::Sent,
            device: asker.device.to_string(),
            client: asker.client.to_string(),
            msg_id: asker.re,
            command: asker.command.clone(),
            interim: None,
            answer: None,
        };
        if let Err(e) = self.journal.write(asker.key, entry) {
            tracing::error!("cannot record a command in the journal: {e}");
            let hub = hub_device();
            return self.answer_as(
                home,
                &asker,
                &hub,
                Response::Failed {
                    failure: Failure::Busy,
                    message: "the hub could not record the command, so it did not run it; try \
                              again"
                        .into(),
                },
                false,
            );
        }
        let ticket = self.ticket(TicketFor::Hub(HubOp {
            asker,
            doing: doing.to_owned(),
            deadline: now + self.config.command_timeout,
        }));
        vec![request(ticket)]
    }

    /// The result of a hub-level radio request.
    pub(super) fn hub_done(
        &mut self,
        home: &mut Home,
        ticket: Ticket,
        outcome: RadioOutcome,
        _now: Instant,
    ) -> Vec<Output> {
        if matches!(outcome, RadioOutcome::Queued) {
            return Vec::new();
        }
        let Some(TicketFor::Hub(op)) = self.tickets.remove(&ticket) else {
            return Vec::new();
        };
        let response = match outcome {
            RadioOutcome::Done(_) | RadioOutcome::Queued => {
                tracing::info!(doing = %op.doing, result = "done", "hub command executed");
                Response::Hub(HubResponse::Ok)
            }
            RadioOutcome::Failed { failure, .. } => {
                tracing::info!(doing = %op.doing, result = ?failure.failure, detail = %failure.detail, "hub command executed");
                let message = match failure.failure {
                    Failure::Unreachable => format!(
                        "{}: the device did not answer; it was removed from the home and its key \
                         revoked, but reset it by hand so it leaves the network",
                        op.doing
                    ),
                    Failure::RadioUnavailable => format!(
                        "{} failed: the stick is not available (unplugged or restarting)",
                        op.doing
                    ),
                    other => format!("{} failed ({other:?})", op.doing),
                };
                Response::Failed {
                    failure: failure.failure,
                    message,
                }
            }
        };
        let hub = hub_device();
        self.answer_as(home, &op.asker, &hub, response, true)
    }

    /// Removes a device: its last event, its key revoked with its record and history, then
    /// (Zigbee) the device told to leave the network. A Z-Wave node stays in the network until
    /// it is excluded; it has no key in the home any more.
    fn remove_device(
        &mut self,
        home: &mut Home,
        asker: Asker,
        cert: &Certificate,
        device: DeviceId,
        now: Instant,
    ) -> Vec<Output> {
        let Some(entry) = self
            .registry
            .get(&device)
            .filter(|_| cert.allows_device(device.as_str()))
        else {
            return self.hub_failed(
                home,
                &asker,
                Failure::UnknownDevice,
                format!("there is no device {device} in this home"),
            );
        };
        let (name, address) = (entry.name.clone(), entry.address);
        let mut out = self.expel(home, &device, "an owner removed it");
        match address {
            Address::Zigbee { eui64, node_id } if self.radios.zigbee_up => {
                out.extend(self.hub_radio(
                    home,
                    asker,
                    RadioKind::Zigbee,
                    &format!("telling the {name} to leave the Zigbee network"),
                    now,
                    |ticket| Output::ZigbeeRemove {
                        ticket,
                        eui64,
                        node_id,
                    },
                ));
            }
            Address::Zigbee { .. } => out.extend(self.hub_failed(
                home,
                &asker,
                Failure::RadioUnavailable,
                format!(
                    "the {name} was removed from the home and its key revoked, but {}; reset it \
                     by hand so it leaves the network",
                    radio_failure(Failure::RadioUnavailable, &name, RadioKind::Zigbee, "")
                ),
            )),
            Address::Zwave { .. } => {
                out.extend(self.hub_answer(home, &asker, Response::Hub(HubResponse::Ok)));
            }
        }
        out
    }

    /// Renames a device or moves it to a room; clients learn it from its `Described` event.
    fn rename_device(
        &mut self,
        home: &mut Home,
        asker: Asker,
        cert: &Certificate,
        device: DeviceId,
        name: String,
        room: Option<String>,
    ) -> Vec<Output> {
        let name = name.trim().to_owned();
        let room = room.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if name.is_empty()
            || name.chars().count() > MAX_NAME_LEN
            || room
                .as_ref()
                .is_some_and(|r| r.chars().count() > MAX_NAME_LEN)
        {
            return self.hub_failed(
                home,
                &asker,
                Failure::InvalidValue,
                format!("a name or room is 1 to {MAX_NAME_LEN} characters"),
            );
        }
        let mut batch = WriteBatch::new();
        let described = match self
            .registry
            .get_mut(&device)
            .filter(|_| cert.allows_device(device.as_str()))
        {
            Some(d) => {
                d.name = name;
                d.room = room;
                Registry::put_into(&mut batch, d);
                d.model()
            }
            None => {
                return self.hub_failed(
                    home,
                    &asker,
                    Failure::UnknownDevice,
                    format!("there is no device {device} in this home"),
                );
            }
        };
        tracing::info!(device = %device, "device renamed");
        let mut out = self.emit(home, &device, Event::Described(described), batch);
        out.extend(self.hub_answer(home, &asker, Response::Hub(HubResponse::Ok)));
        out
    }

    /// Removes a client: revoked, the home moves to a new epoch whose key only the others
    /// get, its connections closed.
    fn remove_client(&mut self, home: &mut Home, asker: Asker, client: DeviceId) -> Vec<Output> {
        let kid = home
            .clients()
            .find(|(id, _)| **id == client)
            .map(|(_, c)| c.kid());
        let distributions = match home.remove_client(&client) {
            Ok(d) => d,
            Err(keymgmt::Error::UnknownClient(_)) => {
                return self.hub_failed(
                    home,
                    &asker,
                    Failure::UnknownDevice,
                    format!("no paired client is called {client}"),
                );
            }
            Err(e) => {
                tracing::error!(client = %client, "cannot remove the client: {e}");
                return self.hub_failed(
                    home,
                    &asker,
                    Failure::Busy,
                    "the hub could not remove the client; try again",
                );
            }
        };
        tracing::info!(client = %client, "client removed; the home moved to a new epoch");
        let mut out: Vec<Output> = distributions
            .into_iter()
            .map(|(client, bytes)| Output::Deliver(Delivery::ToClient { client, bytes }))
            .collect();
        match home.seal_revocation_list() {
            Ok(bytes) => out.push(Output::Deliver(Delivery::Broadcast {
                device: hub_device(),
                bytes,
            })),
            Err(e) => tracing::error!("cannot seal the revocation list: {e}"),
        }
        out.push(Output::Deliver(Delivery::SetReadScope {
            client: client.clone(),
            scope: super::ReadScope::Nothing,
        }));
        out.push(Output::Deliver(Delivery::CloseClient {
            client: client.clone(),
        }));
        out.extend(self.hub_answer(home, &asker, Response::Hub(HubResponse::Ok)));
        if let Some(kid) = kid
            && let Err(e) = self.journal.forget_signer(kid)
        {
            tracing::warn!("cannot forget the removed client's journal entries: {e}");
        }
        out
    }

    /// Sends the stored events newer than `after` of `device` (or of every device the client
    /// may read). Not kept in the journal: it changes nothing, and a client asks again with a
    /// new command.
    fn history(
        &mut self,
        home: &mut Home,
        asker: Asker,
        cert: &Certificate,
        device: Option<DeviceId>,
        after: u64,
    ) -> Vec<Output> {
        let devices: Vec<DeviceId> = match device {
            Some(d) if !may_see(cert, &d) || self.registry.get(&d).is_none() => {
                return self.hub_failed(
                    home,
                    &asker,
                    Failure::UnknownDevice,
                    format!("there is no device {d} in this home"),
                );
            }
            Some(d) => vec![d],
            None => self
                .registry
                .iter()
                .filter(|d| may_see(cert, &d.id))
                .map(|d| d.id.clone())
                .collect(),
        };
        let mut envelopes = Vec::new();
        let mut budget = self.config.history_answer_bytes;
        for d in &devices {
            match self.history.since(d, after, budget) {
                Ok(found) => {
                    budget = budget.saturating_sub(found.iter().map(Vec::len).sum());
                    envelopes.extend(found);
                }
                Err(e) => tracing::error!(device = %d, "cannot read the history: {e}"),
            }
        }
        let hub = hub_device();
        self.answer_as(
            home,
            &asker,
            &hub,
            Response::Hub(HubResponse::History(envelopes)),
            false,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dsk_pin_is_five_digits() {
        assert_eq!(dsk_pin("12345"), Some(12345));
        assert_eq!(dsk_pin("00042"), Some(42));
        assert_eq!(dsk_pin("65536"), None, "above a 16-bit group");
        assert_eq!(dsk_pin("1234"), None);
        assert_eq!(dsk_pin("12a45"), None);
    }
}
