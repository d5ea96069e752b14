//! Devices coming and going, and what they report: a device that joins either radio and is
//! interviewed gets its own key and a registry record in one atomic write; one that leaves,
//! is excluded or joins afresh after a factory reset is revoked with its record and history
//! in one write; reports become events signed by the device's key.

use std::time::Instant;

use super::registry::{Address, DeviceEntry, Interview, Registry, ZigbeeInterview};
use super::{
    AskedInterview, Delivery, Gateway, InterviewRetry, Output, TicketFor, hub_device, redistribute,
};
use crate::envelope::DeviceId;
use crate::keymgmt::Home;
use crate::model::{
    Attribute, Event, Failure, RadioKind, Response, zigbee_device_id, zwave_device_id,
};
use crate::radio::zwave_nodes::NodeRecord;
use crate::store::WriteBatch;
use sealhub_radios::zigbee::driver::{self as zigbee, DeviceDescription};
use sealhub_radios::zwave::driver as zwave;

impl Gateway {
    /// A Zigbee driver event.
    pub(super) fn on_zigbee(
        &mut self,
        home: &mut Home,
        event: zigbee::RadioEvent,
        now: Instant,
    ) -> Vec<Output> {
        use zigbee::RadioEvent as E;
        match event {
            E::NetworkUp => {
                self.radios.zigbee_up = true;
                self.pump_radio(home, RadioKind::Zigbee, now)
            }
            E::StickBack(info) => {
                self.radios.zigbee_eui64 = Some(info.eui64);
                self.radios.zigbee_up = true;
                self.pump_radio(home, RadioKind::Zigbee, now)
            }
            E::NetworkFormed(info) => {
                self.radios.zigbee_eui64 = Some(info.eui64);
                Vec::new()
            }
            E::NetworkDown | E::StickLost | E::StickReset(_) | E::LinkFailed(_) => {
                self.radios.zigbee_up = false;
                Vec::new()
            }
            E::DeviceJoined {
                eui64,
                node_id,
                kind,
            } => {
                let mut out = Vec::new();
                if let Some(id) = self.registry.by_eui64(eui64).cloned() {
                    if !kind.is_fresh() {
                        return self.rejoined(home, &id, node_id);
                    }
                    // A known device that joins without the network key was factory reset: it
                    // is a new device to the home, with a new key.
                    tracing::info!(device = %id, "a known Zigbee device joined afresh (reset); revoking its old key");
                    out.extend(self.expel(home, &id, "it was reset and joined again"));
                }
                out.extend(self.interview(eui64, node_id, now));
                out
            }
            E::DeviceAnnounced { eui64, node_id, .. } => {
                match self.registry.by_eui64(eui64).cloned() {
                    Some(id) => self.rejoined(home, &id, node_id),
                    None => self.interview(eui64, node_id, now),
                }
            }
            E::DeviceLeft { eui64, .. } => {
                self.interview_retries.remove(&eui64);
                match self.registry.by_eui64(eui64).cloned() {
                    Some(id) => self.expel(home, &id, "it left the network"),
                    None => Vec::new(),
                }
            }
            E::AttributeReport {
                node_id,
                endpoint,
                cluster,
                attributes,
            } => {
                let Some(id) = self.registry.by_zigbee_node(node_id).cloned() else {
                    return Vec::new();
                };
                let values = match self.registry.get(&id) {
                    Some(d) => self.translation.zigbee_attributes_of_report(
                        &d.mapping,
                        endpoint,
                        cluster,
                        &attributes,
                    ),
                    None => return Vec::new(),
                };
                self.heard_from(home, &id, endpoint, values, now)
            }
            E::ClusterCommand {
                node_id,
                endpoint,
                command,
            } => {
                let Some(id) = self.registry.by_zigbee_node(node_id).cloned() else {
                    return Vec::new();
                };
                let values = match self.registry.get(&id) {
                    Some(d) => self
                        .translation
                        .zigbee_attributes_of_command(&d.mapping, endpoint, &command),
                    None => return Vec::new(),
                };
                self.heard_from(home, &id, endpoint, values, now)
            }
            _ => Vec::new(),
        }
    }

    /// A Z-Wave driver event.
    pub(super) fn on_zwave(
        &mut self,
        home: &mut Home,
        event: zwave::RadioEvent,
        now: Instant,
    ) -> Vec<Output> {
        use zwave::RadioEvent as E;
        let node_id = |node: u16| {
            self.radios
                .zwave_home
                .and_then(|h| self.registry.by_zwave_node(h, node).cloned())
        };
        match event {
            E::StickBack(info) => {
                self.radios.zwave_home = Some(info.home_id);
                self.radios.zwave_up = true;
                self.pump_radio(home, RadioKind::Zwave, now)
            }
            E::StickLost => {
                self.radios.zwave_up = false;
                Vec::new()
            }
            E::NodeAdded { node, .. } => match node_id(node) {
                // A new inclusion always gets a new node id: a record at this one is stale
                // (the node was excluded while the hub was not looking).
                Some(id) => self.expel(home, &id, "its node id was given to a new inclusion"),
                None => Vec::new(),
            },
            E::NodeRemoved { node } => match node_id(node) {
                Some(id) => self.expel(home, &id, "it was excluded"),
                None => Vec::new(),
            },
            E::Report {
                node,
                endpoint,
                report,
                ..
            } => {
                let Some(id) = node_id(node) else {
                    return Vec::new();
                };
                let values = match self.registry.get(&id) {
                    Some(d) => self.translation.zwave_attributes_of_report_with(
                        &d.mapping,
                        endpoint,
                        &report,
                        self.zwave_colors.entry(id.clone()).or_default(),
                    ),
                    None => return Vec::new(),
                };
                self.heard_from(home, &id, endpoint, values, now)
            }
            E::WokeUp { node, .. } => {
                let Some(id) = node_id(node) else {
                    return Vec::new();
                };
                let mut out = self.set_reachable(home, &id, true);
                out.extend(self.emit(home, &id, Event::WokeUp, WriteBatch::new()));
                out
            }
            E::NodeInfo { node, .. } => match node_id(node) {
                Some(id) => self.set_reachable(home, &id, true),
                None => Vec::new(),
            },
            E::InclusionFailed { node, reason } => {
                tracing::warn!(?node, ?reason, "Z-Wave inclusion failed; no key issued");
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Asks for the interview of a Zigbee device unless one is under way.
    fn interview(&mut self, eui64: u64, node_id: u16, now: Instant) -> Vec<Output> {
        if self
            .interviews
            .get(&eui64)
            .is_some_and(|asked| asked.until > now)
        {
            return Vec::new();
        }
        let until = now + self.config.interview_timeout;
        self.interviews
            .insert(eui64, AskedInterview { node_id, until });
        vec![Output::ZigbeeInterview { eui64, node_id }]
    }

    /// A Zigbee interview failed: it is asked again after a wait that doubles each time, up to
    /// [`super::GatewayConfig::interview_retries`] times.
    fn interview_failed(&mut self, eui64: u64, node_id: u16, why: &str, now: Instant) {
        let retries = self.config.interview_retries;
        let retry = self
            .interview_retries
            .entry(eui64)
            .or_insert(InterviewRetry {
                node_id,
                failures: 0,
                due: None,
            });
        retry.failures += 1;
        retry.node_id = node_id;
        let eui = format_args!("{eui64:016x}");
        if retry.failures > retries {
            tracing::warn!(
                eui64 = %eui,
                "Zigbee interview failed ({why}) {} times; asked again when the device announces itself",
                retry.failures
            );
            self.interview_retries.remove(&eui64);
            return;
        }
        let wait = self.config.interview_retry_after * 2u32.saturating_pow(retry.failures - 1);
        retry.due = Some(now + wait);
        tracing::warn!(
            eui64 = %eui,
            "Zigbee interview failed ({why}); asking again in {} s (try {} of {retries})",
            wait.as_secs(),
            retry.failures
        );
    }

    /// Asks again for the failed interviews whose wait is over.
    pub(super) fn retry_interviews(&mut self, now: Instant) -> Vec<Output> {
        let due: Vec<(u64, u16)> = self
            .interview_retries
            .iter_mut()
            .filter(|(_, r)| r.due.is_some_and(|at| at <= now))
            .map(|(eui64, r)| {
                r.due = None;
                (*eui64, r.node_id)
            })
            .collect();
        due.into_iter()
            .flat_map(|(eui64, node_id)| self.interview(eui64, node_id, now))
            .collect()
    }

    /// A known Zigbee device rejoined or announced itself: it keeps its key; its node id may
    /// have changed.
    fn rejoined(&mut self, home: &mut Home, id: &DeviceId, node_id: u16) -> Vec<Output> {
        if let Some(d) = self.registry.get_mut(id)
            && let Address::Zigbee { node_id: old, .. } = &mut d.address
            && *old != node_id
        {
            tracing::info!(device = %id, old = format_args!("{old:#06x}"), new = format_args!("{node_id:#06x}"), "Zigbee device rejoined at a new node id");
            *old = node_id;
            if let Err(e) = self.registry.save(id) {
                tracing::error!(device = %id, "cannot keep the new node id: {e}");
            }
        }
        self.set_reachable(home, id, true)
    }

    /// The interview of a Zigbee device finished.
    pub(super) fn on_zigbee_interviewed(
        &mut self,
        home: &mut Home,
        eui64: u64,
        result: Result<DeviceDescription, String>,
        now: Instant,
    ) -> Vec<Output> {
        let asked = self.interviews.remove(&eui64);
        let description = match result {
            Ok(d) => d,
            Err(why) => {
                match asked {
                    Some(asked) => self.interview_failed(eui64, asked.node_id, &why, now),
                    None => tracing::warn!(
                        eui64 = format_args!("{eui64:016x}"),
                        "Zigbee interview failed ({why}); asked again when the device announces itself"
                    ),
                }
                return Vec::new();
            }
        };
        self.interview_retries.remove(&eui64);
        if self.registry.by_eui64(eui64).is_some() {
            return Vec::new();
        }
        let address = Address::Zigbee {
            eui64,
            node_id: description.node_id,
        };
        let interview = Interview::Zigbee(ZigbeeInterview::of(&description));
        let mapping = self
            .translation
            .zigbee_mapping(&description, &self.definitions);
        let entry = DeviceEntry::new(zigbee_device_id(eui64), address, interview, mapping);
        self.admit(home, entry)
    }

    /// A Z-Wave node was described.
    pub(super) fn on_zwave_described(
        &mut self,
        home: &mut Home,
        record: NodeRecord,
        _now: Instant,
    ) -> Vec<Output> {
        let Some(home_id) = self.radios.zwave_home else {
            tracing::warn!(
                node = record.node,
                "a Z-Wave description before the stick was up; ignored"
            );
            return Vec::new();
        };
        let address = Address::Zwave {
            home_id,
            node: record.node,
        };
        if let Some(id) = self.registry.by_zwave_node(home_id, record.node).cloned() {
            // Described again (a new interview): the key stays, the mapping follows.
            let interview = Interview::Zwave(record);
            let mapping = DeviceEntry::compute_mapping(
                &interview,
                &address,
                &*self.translation,
                &self.definitions,
            );
            let changed = match self.registry.get_mut(&id) {
                Some(d) if d.interview != interview => {
                    d.sleeps = match &interview {
                        Interview::Zwave(n) => n.sleeps,
                        Interview::Zigbee(z) => z.sleeps(),
                    };
                    d.interview = interview;
                    d.mapping = mapping;
                    true
                }
                _ => false,
            };
            if !changed {
                return Vec::new();
            }
            let mut batch = WriteBatch::new();
            if let Some(d) = self.registry.get(&id) {
                Registry::put_into(&mut batch, d);
            }
            let Some(device) = self.registry.get(&id).map(DeviceEntry::model) else {
                return Vec::new();
            };
            return self.emit(home, &id, Event::Described(device), batch);
        }
        let mapping = self.translation.zwave_mapping(&record, &self.definitions);
        let id = zwave_device_id(home_id, record.node);
        let entry = DeviceEntry::new(id, address, Interview::Zwave(record), mapping);
        self.admit(home, entry)
    }

    /// A new device: its key, certificate and record in one atomic write, the new certificate
    /// to every client, its description as its first event, and (Zigbee) what makes its
    /// reports reach the hub.
    fn admit(&mut self, home: &mut Home, entry: DeviceEntry) -> Vec<Output> {
        let id = entry.id.clone();
        let mut out = Vec::new();
        if home.device_certificate(&id).is_some() {
            // A key without a record: left from before the registry existed. The device is
            // new to the registry, so it gets a new key like any joining device.
            tracing::warn!(device = %id, "a device key without a record; revoking it before issuing a new one");
            if let Err(e) = home.revoke_device(&id, WriteBatch::new()) {
                tracing::error!(device = %id, "cannot revoke the stale key: {e}");
                return out;
            }
        }
        let mut batch = WriteBatch::new();
        Registry::put_into(&mut batch, &entry);
        let cert = match home.issue_device_with(&id, batch) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(device = %id, "cannot issue the device's key: {e}");
                return out;
            }
        };
        tracing::info!(
            device = %id,
            kid = %cert.kid(),
            radio = ?entry.radio(),
            name = %entry.name,
            definition = entry.mapping.definition.as_deref().unwrap_or("generic"),
            "device joined and keyed"
        );
        let described = entry.model();
        let setup = match (&entry.address, self.radios.zigbee_eui64) {
            (Address::Zigbee { node_id, .. }, Some(hub)) => {
                Some((*node_id, self.translation.zigbee_setup(&entry.mapping, hub)))
            }
            _ => None,
        };
        self.registry.insert(entry);
        match redistribute(home) {
            Ok(d) => out.extend(d),
            Err(e) => tracing::error!("cannot send clients the new certificate: {e}"),
        }
        out.extend(self.emit(home, &id, Event::Described(described), WriteBatch::new()));
        if let Some((node_id, ops)) = setup
            && !ops.is_empty()
        {
            let ticket = self.ticket(TicketFor::Setup(id));
            out.push(Output::ZigbeeOps {
                ticket,
                node_id,
                ops,
            });
        }
        out
    }

    /// Sets up the Zigbee devices brought from another hub ([`DeviceEntry::setup_pending`]) now
    /// that the stick is up at `hub`: the same binds and reporting as [`Self::admit`] asks for
    /// a joining device, once (the flag is cleared first, so a failed setup is logged as for a
    /// joining device and not repeated at every start).
    pub(super) fn set_up_imported(&mut self, hub: u64) -> Vec<Output> {
        let pending: Vec<DeviceId> = self
            .registry
            .iter()
            .filter(|d| d.setup_pending && matches!(d.address, Address::Zigbee { .. }))
            .map(|d| d.id.clone())
            .collect();
        let mut out = Vec::new();
        for id in pending {
            let Some(entry) = self.registry.get_mut(&id) else {
                continue;
            };
            entry.setup_pending = false;
            let Address::Zigbee { node_id, .. } = entry.address else {
                continue;
            };
            let ops = self.translation.zigbee_setup(&entry.mapping, hub);
            if let Err(e) = self.registry.save(&id) {
                tracing::error!(device = %id, "cannot record that the device was set up: {e}");
            }
            tracing::info!(device = %id, ops = ops.len(), "setting up a device brought from another hub");
            if !ops.is_empty() {
                let ticket = self.ticket(TicketFor::Setup(id));
                out.push(Output::ZigbeeOps {
                    ticket,
                    node_id,
                    ops,
                });
            }
        }
        out
    }

    /// A device that left, was excluded, removed or reset: its last event (signed by its key),
    /// then its key revoked and its record and history deleted in one atomic write, the new
    /// revocation list to every client, and its waiting commands answered.
    pub(super) fn expel(&mut self, home: &mut Home, id: &DeviceId, why: &str) -> Vec<Output> {
        let mut out = Vec::new();
        self.zwave_colors.remove(id);
        if let Ok(bytes) = home.seal_event(id, Event::Left.to_value()) {
            out.push(Output::Deliver(Delivery::Broadcast {
                device: id.clone(),
                bytes,
            }));
        }
        let mut batch = WriteBatch::new();
        Registry::remove_into(&mut batch, id);
        self.history.remove_into(&mut batch, id);
        if let Err(e) = home.revoke_device(id, batch) {
            tracing::error!(device = %id, "cannot revoke the device's key: {e}");
            return out;
        }
        let name = self
            .registry
            .forget(id)
            .map(|d| d.name)
            .unwrap_or_else(|| id.to_string());
        self.history.forget(id);
        tracing::info!(device = %id, name = %name, why, "device gone and its key revoked");
        match redistribute(home) {
            Ok(d) => out.extend(d),
            Err(e) => tracing::error!("cannot send clients the revocation: {e}"),
        }
        match home.seal_revocation_list() {
            Ok(bytes) => out.push(Output::Deliver(Delivery::Broadcast {
                device: hub_device(),
                bytes,
            })),
            Err(e) => tracing::error!("cannot seal the revocation list: {e}"),
        }
        if let Some(queue) = self.queues.remove(id) {
            let askers = queue
                .running
                .map(|r| {
                    self.tickets.remove(&r.ticket);
                    r.asker
                })
                .into_iter()
                .chain(queue.waiting.into_iter().map(|w| w.asker));
            let message = format!("the {name} is no longer in this home: {why}");
            for asker in askers.collect::<Vec<_>>() {
                let hub = hub_device();
                out.extend(self.answer_as(
                    home,
                    &asker,
                    &hub,
                    Response::Failed {
                        failure: Failure::UnknownDevice,
                        message: message.clone(),
                    },
                    true,
                ));
            }
        }
        self.tickets
            .retain(|_, t| !matches!(t, TicketFor::Setup(d) | TicketFor::Report(d) if d == id));
        out
    }

    /// A device said something: it answers again, and its values (if any) become its state
    /// and an event; a command waiting for this endpoint's new state gets its answer.
    pub(super) fn heard_from(
        &mut self,
        home: &mut Home,
        id: &DeviceId,
        endpoint: u8,
        values: Vec<Attribute>,
        now: Instant,
    ) -> Vec<Output> {
        let mut out = self.set_reachable(home, id, true);
        if values.is_empty() {
            return out;
        }
        let mut batch = WriteBatch::new();
        if let Some(d) = self.registry.get_mut(id)
            && d.merge(endpoint, &values)
        {
            Registry::put_into(&mut batch, d);
        }
        out.extend(self.emit(home, id, Event::Report { endpoint, values }, batch));
        out.extend(self.settled(home, id, endpoint, now));
        out
    }

    /// Marks a device as answering or not; a change is an event.
    pub(super) fn set_reachable(
        &mut self,
        home: &mut Home,
        id: &DeviceId,
        reachable: bool,
    ) -> Vec<Output> {
        let mut batch = WriteBatch::new();
        match self.registry.get_mut(id) {
            Some(d) if d.reachable != reachable => {
                d.reachable = reachable;
                Registry::put_into(&mut batch, d);
            }
            _ => return Vec::new(),
        }
        tracing::info!(device = %id, reachable, "device reachability changed");
        let event = if reachable {
            Event::Reachable
        } else {
            Event::Unreachable
        };
        self.emit(home, id, event, batch)
    }
}
