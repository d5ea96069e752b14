//! What the hub sends: key distributions, events, responses, challenges and revocation lists,
//! each signed by its rightful key and encrypted for exactly its readers, with sequence numbers
//! that are never reused.

use super::{DeviceEntry, Home, SEQUENCE, epoch_key_bytes, hub_device};
use crate::crypto::{PublicKey, random_array};
use crate::envelope::{self, Body, DeviceId, MessageType, Route, SigningIdentity};
use crate::identity::{Certificate, Kid, Permissions};
use crate::keymgmt::distribution::{KeyDistribution, ReadGrant};
use crate::keymgmt::sequence::{Raise, SequenceCounter};
use crate::keymgmt::{Error, Result};
use crate::store::WriteBatch;
use coset::cbor::value::Value;
use zeroize::{Zeroize, Zeroizing};

/// The key of a response to one client, agreed ahead ([`Home::prepare_response`]); used once.
#[derive(Debug)]
pub struct PreparedResponse {
    client: DeviceId,
    agreed: crate::cose::EcdhEsPrepared,
}

impl Home {
    pub(super) fn seal_key_distribution(
        &mut self,
        id: &DeviceId,
        cert: &Certificate,
    ) -> Result<Vec<u8>> {
        let dist = KeyDistribution {
            epoch: self.epoch,
            read: self.read_grant(cert)?,
            device_certs: self
                .devices
                .values()
                .map(|d| d.cert.as_bytes().to_vec())
                .collect(),
            revocation_list: self.revocation_bytes.clone(),
        };
        let route = self.route(id.clone(), MessageType::KeyDistribution);
        let root_kid = self.home;
        let mut body = self.body(
            root_kid,
            MessageType::KeyDistribution,
            dist.to_value(),
            None,
        )?;
        let signer = SigningIdentity {
            key: &self.root,
            kid: root_kid,
        };
        let (Some(to), Some(to_kid)) = (cert.agreement_key(), cert.agreement_kid()) else {
            body.zeroize();
            return Err(Error::Corrupt(format!(
                "client {id} has no key agreement key"
            )));
        };
        let sealed = envelope::seal_for_key(&route, &body, signer, to, to_kid);
        body.zeroize();
        Ok(sealed?)
    }

    pub(super) fn route(&self, device: DeviceId, msg_type: MessageType) -> Route {
        Route {
            home: self.home,
            device,
            msg_type,
            epoch: self.epoch,
        }
    }

    pub(super) fn body(
        &mut self,
        signer: Kid,
        kind: MessageType,
        content: Value,
        re: Option<[u8; 8]>,
    ) -> Result<Body> {
        let seq = self.next_sequence(signer)?;
        self.last_sequence.insert(signer, seq);
        Ok(Body {
            msg_id: random_array()?,
            seq,
            time: self.now_unix().unwrap_or(0),
            kind,
            body: content,
            exp: None,
            echo: None,
            re,
        })
    }

    /// The next sequence number for a signing key; the ceiling is flushed before a number
    /// under a new ceiling is used. Half-way through a reserve the next ceiling is staged, to
    /// be flushed off the message's way by [`Home::flush`].
    pub(super) fn next_sequence(&mut self, kid: Kid) -> Result<u64> {
        let counter = match self.sequences.get(&kid) {
            Some(c) => *c,
            None => {
                let stored = self.store.get(SEQUENCE, &kid.0)?;
                let ceiling = match stored {
                    Some(v) => u64::from_be_bytes(
                        v.as_slice()
                            .try_into()
                            .map_err(|_| Error::Corrupt("sequence".into()))?,
                    ),
                    None => 0,
                };
                // A recovery from a rollback raised the floor above every number used.
                SequenceCounter::resume(ceiling.max(self.sequence_floor))
            }
        };
        let mut counter = counter;
        let previous = counter.ceiling();
        let (seq, raise) = counter.take_raising_ahead();
        match raise {
            Raise::None => {}
            Raise::Now(ceiling) => {
                // In the map before the commit, whose flush also tells the counters about the
                // ceilings raised ahead (this one's among them).
                self.sequences.insert(kid, counter);
                let mut batch = WriteBatch::new();
                batch.put(SEQUENCE, &kid.0, &ceiling.to_be_bytes());
                if let Err(e) = self.commit(batch, self.epoch, None) {
                    if let Some(counter) = self.sequences.get_mut(&kid) {
                        counter.rollback(seq, previous);
                    }
                    return Err(e);
                }
                return Ok(seq);
            }
            Raise::Ahead(ceiling) => {
                // Staged: flushed after the message has left (`Home::flush`), so the next
                // numbers rarely wait for a flush.
                let mut batch = WriteBatch::new();
                batch.put(SEQUENCE, &kid.0, &ceiling.to_be_bytes());
                match self.commit_staged(batch, self.epoch) {
                    Ok(()) => self.raised_ahead.push((kid, ceiling)),
                    Err(e) => {
                        tracing::warn!(%kid, "cannot raise a sequence ceiling ahead: {e}");
                        counter.raise_failed();
                    }
                }
            }
        }
        self.sequences.insert(kid, counter);
        Ok(seq)
    }

    /// What a client may read in the current epoch, by its certificate: without
    /// [`Permissions::READ_EVENTS`] nothing; with it and no device list the epoch key; with a
    /// device list the read keys of those devices and of "hub" (revocation lists).
    pub(super) fn read_grant(&self, cert: &Certificate) -> Result<ReadGrant> {
        if !cert.has(Permissions::READ_EVENTS) {
            return Ok(ReadGrant::Devices(Vec::new()));
        }
        let Some(list) = &cert.claims().devices else {
            return Ok(ReadGrant::Epoch(Zeroizing::new(epoch_key_bytes(
                &self.epoch_key,
            )?)));
        };
        let mut ids = std::collections::BTreeSet::new();
        ids.insert(hub_device());
        for d in list {
            ids.insert(DeviceId::new(d).map_err(|_| Error::Corrupt(format!("device id {d:?}")))?);
        }
        let keys = ids
            .into_iter()
            .map(|device| {
                let key = envelope::device_read_key(&self.epoch_key, &device)?;
                Ok((device, Zeroizing::new(epoch_key_bytes(&key)?)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ReadGrant::Devices(keys))
    }

    /// Seals an event from `device`: signed by the device's signing key, encrypted under the
    /// device's read key of the current epoch, so exactly the clients that may read this
    /// device open it.
    pub fn seal_event(&mut self, device: &DeviceId, content: Value) -> Result<Vec<u8>> {
        let kid = self.device_kid(device)?;
        let body = self.body(kid, MessageType::Event, content, None)?;
        let route = self.route(device.clone(), MessageType::Event);
        let entry = self.device_entry(device)?;
        let signer = SigningIdentity {
            key: &entry.signing,
            kid,
        };
        Ok(envelope::seal_for_epoch(
            &route,
            &body,
            signer,
            &self.epoch_key,
        )?)
    }

    /// Seals `device`'s response to the command `re` of client `to_client`: signed by the
    /// device's signing key and encrypted to that client's key agreement key alone, so a
    /// client that may only send reads its own answers and no other client reads them.
    pub fn seal_response(
        &mut self,
        device: &DeviceId,
        to_client: &DeviceId,
        content: Value,
        re: [u8; 8],
    ) -> Result<Vec<u8>> {
        self.seal_response_prepared(device, to_client, content, re, None)
    }

    /// Agrees the key of a later response to `to_client` now ([`Home::seal_response_prepared`]),
    /// while the hub waits for the device that will answer: the ephemeral key's generation and
    /// the ECDH, two of a response's three scalar multiplications, are then off its way.
    pub fn prepare_response(&self, to_client: &DeviceId) -> Result<PreparedResponse> {
        let (to, to_kid) = self.client_agreement_key(to_client)?;
        Ok(PreparedResponse {
            client: to_client.clone(),
            agreed: envelope::prepare_for_key(&to, to_kid)?,
        })
    }

    /// [`Home::seal_response`] with the key agreed ahead, when there is one and it was agreed
    /// with the client's current key (it is used up either way); otherwise with a fresh one.
    pub fn seal_response_prepared(
        &mut self,
        device: &DeviceId,
        to_client: &DeviceId,
        content: Value,
        re: [u8; 8],
        prepared: Option<PreparedResponse>,
    ) -> Result<Vec<u8>> {
        let kid = self.device_kid(device)?;
        let (to, to_kid) = self.client_agreement_key(to_client)?;
        let body = self.body(kid, MessageType::Response, content, Some(re))?;
        let route = self.route(device.clone(), MessageType::Response);
        let entry = self.device_entry(device)?;
        let signer = SigningIdentity {
            key: &entry.signing,
            kid,
        };
        let agreed = prepared
            .filter(|p| p.client == *to_client && p.agreed.recipient_kid() == to_kid.0)
            .map(|p| p.agreed);
        Ok(match agreed {
            Some(agreed) => envelope::seal_for_prepared(&route, &body, signer, agreed)?,
            None => envelope::seal_for_key(&route, &body, signer, &to, to_kid)?,
        })
    }

    /// Seals an event or response from `device`. Events are [`Home::seal_event`]; a response
    /// goes to one client and needs [`Home::seal_response`], so `Response` is refused here.
    pub fn seal_from_device(
        &mut self,
        device: &DeviceId,
        kind: MessageType,
        content: Value,
        re: Option<[u8; 8]>,
    ) -> Result<Vec<u8>> {
        match (kind, re) {
            (MessageType::Event, None) => self.seal_event(device, content),
            (MessageType::Response, _) => Err(envelope::Error::MetadataMismatch(
                "a response is encrypted to the client it answers: use seal_response".into(),
            )
            .into()),
            _ => Err(envelope::Error::MetadataMismatch(format!(
                "a device sends events and responses, not {kind:?} (with re {re:?})"
            ))
            .into()),
        }
    }

    /// Seals a challenge for client `to_client`, whose command `re` about `device` lacked
    /// proof of freshness: signed by the root key, encrypted to that client alone. The client
    /// resends the command under the msg_id `re` with `challenge` as its echo.
    pub fn seal_challenge(
        &mut self,
        device: &DeviceId,
        to_client: &DeviceId,
        challenge: &[u8],
        re: [u8; 8],
    ) -> Result<Vec<u8>> {
        let (to, to_kid) = self.client_agreement_key(to_client)?;
        let root_kid = self.home;
        let body = self.body(
            root_kid,
            MessageType::Challenge,
            Value::Bytes(challenge.to_vec()),
            Some(re),
        )?;
        let route = self.route(device.clone(), MessageType::Challenge);
        let signer = SigningIdentity {
            key: &self.root,
            kid: root_kid,
        };
        Ok(envelope::seal_for_key(&route, &body, signer, &to, to_kid)?)
    }

    /// Seals the latest signed revocation list for every client that may read: under the read
    /// key of device "hub" in the current epoch, signed by the root key. (Every client also
    /// receives the list inside its key distributions.)
    pub fn seal_revocation_list(&mut self) -> Result<Vec<u8>> {
        let root_kid = self.home;
        let body = self.body(
            root_kid,
            MessageType::RevocationList,
            Value::Bytes(self.revocation_bytes.clone()),
            None,
        )?;
        let route = self.route(hub_device(), MessageType::RevocationList);
        let signer = SigningIdentity {
            key: &self.root,
            kid: root_kid,
        };
        Ok(envelope::seal_for_epoch(
            &route,
            &body,
            signer,
            &self.epoch_key,
        )?)
    }

    /// The paired client whose signing key has `kid` (the signer of a command), with its
    /// certificate: a challenge or response goes to the client's id, and the certificate says
    /// what the client may do.
    pub fn client_by_kid(&self, kid: Kid) -> Option<(&DeviceId, &Certificate)> {
        self.clients.iter().find(|(_, c)| c.kid() == kid)
    }

    /// The body sequence number `device`'s current key used last, since the home was opened:
    /// read right after [`Home::seal_event`] it is the number of that event, by which clients
    /// ask for the events they missed.
    pub fn last_sequence(&self, device: &DeviceId) -> Option<u64> {
        let kid = self.devices.get(device)?.cert.kid();
        self.last_sequence.get(&kid).copied()
    }

    pub(super) fn device_entry(&self, device: &DeviceId) -> Result<&DeviceEntry> {
        self.devices
            .get(device)
            .ok_or_else(|| Error::UnknownDevice(device.to_string()))
    }

    pub(super) fn device_kid(&self, device: &DeviceId) -> Result<Kid> {
        Ok(self.device_entry(device)?.cert.kid())
    }

    /// A paired client's key agreement key and its kid.
    pub(super) fn client_agreement_key(&self, client: &DeviceId) -> Result<(PublicKey, Kid)> {
        let cert = self
            .clients
            .get(client)
            .ok_or_else(|| Error::UnknownClient(client.to_string()))?;
        match (cert.agreement_key(), cert.agreement_kid()) {
            (Some(key), Some(kid)) => Ok((*key, kid)),
            _ => Err(Error::Corrupt(format!(
                "client {client} has no key agreement key"
            ))),
        }
    }
}
