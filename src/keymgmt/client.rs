//! A paired client's side of key management: it holds its two keys, the hub's root key as its
//! trust anchor, the read keys it was given, and the device certificates, and it seals
//! commands and opens events. Its state lives in memory ([`Client::new`]) or, written through
//! on every change, in a sealed store of its own ([`Client::create_in`], [`Client::open_in`]),
//! so a restarted client keeps its sequence numbers, replay windows and revocation list.

use super::client_state::{
    self, CLIENT, CLIENT_DEVICES, CLIENT_EPOCHS, CLIENT_REPLAY, IDENTITY, REVOCATIONS, ReadAccess,
    SEQUENCE,
};
use super::distribution::KeyDistribution;
use super::keys::ClientKeys;
use super::sequence::SequenceCounter;
use super::{Error, Result};
use crate::crypto::{AeadKey, PrivateKey, PublicKey, random_array};
use crate::envelope::replay::ReplayWindow;
use crate::envelope::{
    self, Body, DeviceId, Keyring, MSG_ID_LEN, MessageType, Opened, Route, SigningIdentity,
};
use crate::identity::{Certificate, Kid, RevocationList, Thumbprint};
use crate::model::HUB_DEVICE;
use crate::store::{Store, WriteBatch};
use coset::cbor::value::Value;
use std::collections::{BTreeMap, HashMap};
use zeroize::Zeroize;

/// How many epochs' keys a client keeps (the current one and the one before, so messages in
/// flight across a rekey still open).
const EPOCHS_KEPT: usize = 2;

/// A paired client.
pub struct Client {
    id: DeviceId,
    keys: ClientKeys,
    kid: Kid,
    agreement_kid: Kid,
    home: Kid,
    root: PublicKey,
    epochs: BTreeMap<u32, ReadAccess>,
    devices: HashMap<Kid, Certificate>,
    revocations: Option<RevocationList>,
    replay: HashMap<Kid, ReplayWindow>,
    sequence: SequenceCounter,
    clock_trusted: bool,
    /// The client's own sealed store, written through on every change; `None` in memory only.
    store: Option<Store>,
}

/// A key distribution checked and ready to take: what the client will hold afterwards.
struct Distribution {
    epoch: u32,
    access: ReadAccess,
    devices: HashMap<Kid, Certificate>,
    revocations: RevocationList,
    revocation_bytes: Vec<u8>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("kid", &self.kid)
            .field("epochs", &self.epochs.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with `keys` (their public halves went to the hub at pairing), trusting the hub
    /// whose root public key it obtained at pairing.
    pub fn new(id: DeviceId, keys: ClientKeys, root: PublicKey) -> Self {
        let kid = Thumbprint::of(&keys.signing.public_key()).kid();
        let agreement_kid = Thumbprint::of(&keys.agreement.public_key()).kid();
        let home = Thumbprint::of(&root).kid();
        Client {
            id,
            keys,
            kid,
            agreement_kid,
            home,
            root,
            epochs: BTreeMap::new(),
            devices: HashMap::new(),
            revocations: None,
            replay: HashMap::new(),
            sequence: SequenceCounter::resume(0),
            clock_trusted: false,
            store: None,
        }
    }

    /// A new client kept in `store` (its own sealed store, not the hub's): like
    /// [`Client::new`], with the identity written first and every later change written
    /// through. Refuses a store that already holds a client.
    pub fn create_in(
        store: Store,
        id: DeviceId,
        keys: ClientKeys,
        root: PublicKey,
    ) -> Result<Client> {
        if store.get(CLIENT, IDENTITY)?.is_some() {
            return Err(Error::AlreadyExists("a client in this store".into()));
        }
        store.put(
            CLIENT,
            IDENTITY,
            &client_state::identity_record(&id, &keys, &root),
        )?;
        let mut client = Client::new(id, keys, root);
        client.store = Some(store);
        Ok(client)
    }

    /// The client kept in `store`, as it was when it last changed: its keys, read keys,
    /// device certificates, revocation list, replay windows, and a sequence counter that
    /// resumes above every number it may have used.
    pub fn open_in(store: Store) -> Result<Client> {
        let loaded = client_state::load(&store)?;
        let mut client = Client::new(loaded.id, loaded.keys, loaded.root);
        client.epochs = loaded.epochs;
        client.devices = loaded.devices;
        client.revocations = loaded.revocations;
        client.replay = loaded.replay;
        client.sequence = SequenceCounter::resume(loaded.ceiling);
        client.store = Some(store);
        tracing::info!(client = %client.id, kid = %client.kid, "opened a client's store");
        Ok(client)
    }

    /// Writes `batch` to the client's store, if it has one, before the change is made in
    /// memory.
    fn persist(&self, batch: WriteBatch) -> Result<()> {
        match &self.store {
            Some(store) => Ok(store.apply(batch)?),
            None => Ok(()),
        }
    }

    /// Tells the client whether its wall clock is synchronised; only then are certificate
    /// validity windows (`nbf`, `exp`) checked, by [`Client::open`] and
    /// [`Client::seal_command`].
    pub fn set_clock_trusted(&mut self, trusted: bool) {
        self.clock_trusted = trusted;
    }

    /// The wall clock in Unix seconds when it is trusted.
    pub fn now_unix(&self) -> Option<u64> {
        if !self.clock_trusted {
            return None;
        }
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }

    /// The id the hub gave this client at pairing.
    pub fn id(&self) -> &DeviceId {
        &self.id
    }

    /// This client's short kid: its signing key's, what its commands carry.
    pub fn kid(&self) -> Kid {
        self.kid
    }

    /// The short kid of this client's key agreement key, what the hub encrypts to.
    pub fn agreement_kid(&self) -> Kid {
        self.agreement_kid
    }

    /// The number of the newest revocation list this client holds: it refuses any older one.
    pub fn revocation_number(&self) -> Option<u64> {
        self.revocations.as_ref().map(|r| r.number)
    }

    /// The newest epoch this client holds a key for.
    pub fn current_epoch(&self) -> Option<u32> {
        self.epochs.keys().next_back().copied()
    }

    /// Opens any envelope addressed to this client (key distribution, event, response,
    /// revocation list, challenge), refusing replays; a key distribution is applied, and the
    /// body handed back for it is wiped (`Value::Null`): its keys stay inside the client.
    /// Certificate validity is judged by the client's own clock when it is trusted.
    pub fn open(&mut self, bytes: &[u8]) -> Result<Opened> {
        self.open_at(bytes, self.now_unix())
    }

    /// [`Client::open`] with the time given: `now_unix` is `Some` only for a trusted clock,
    /// and a signer whose certificate is outside its validity window then is refused.
    pub fn open_at(&mut self, bytes: &[u8], now_unix: Option<u64>) -> Result<Opened> {
        let keyring = ClientAt {
            client: &*self,
            now_unix,
        };
        let mut opened = envelope::open(bytes, &keyring).inspect_err(|e| {
            tracing::warn!(client = %self.id, check = e.check(), "refused an envelope: {e}");
        })?;
        let mut window = self.replay.get(&opened.signer).copied().unwrap_or_default();
        window.accept(opened.body.seq).map_err(|_| {
            let e = envelope::Error::Replay {
                kid: opened.signer,
                seq: opened.body.seq,
            };
            tracing::warn!(client = %self.id, check = e.check(), "refused an envelope: {e}");
            e
        })?;
        let mut batch = WriteBatch::new();
        batch.put(CLIENT_REPLAY, &opened.signer.0, &window.to_bytes());
        match opened.route.msg_type {
            MessageType::KeyDistribution => {
                let checked = self.check_distribution(&opened.body.body);
                // The keys now live in the client's zeroizing state; the caller gets none.
                opened.body.zeroize();
                let dist = checked?;
                self.write_distribution(&mut batch, &dist);
                self.persist(batch)?;
                self.take_distribution(dist);
            }
            MessageType::RevocationList => {
                let (list, bytes) = self.check_revocation_list(&opened.body.body)?;
                batch.put(CLIENT, REVOCATIONS, &bytes);
                self.persist(batch)?;
                self.revocations = Some(list);
            }
            _ => self.persist(batch)?,
        }
        self.replay.insert(opened.signer, window);
        Ok(opened)
    }

    /// Checks a key distribution's body: its layout, its revocation list (signed, not older
    /// than the one held) and every device certificate.
    fn check_distribution(&self, body: &Value) -> Result<Distribution> {
        let dist = KeyDistribution::from_value(body)?;
        let last = self.revocations.as_ref().map(|r| r.number);
        let revocations =
            RevocationList::verify(&dist.revocation_list, &self.root, self.home, last)?;
        let mut devices = HashMap::new();
        for bytes in &dist.device_certs {
            let cert = Certificate::verify(bytes, &self.root, None)?;
            devices.insert(cert.kid(), cert);
        }
        Ok(Distribution {
            epoch: dist.epoch,
            access: ReadAccess::from_grant(&dist.read),
            devices,
            revocations,
            revocation_bytes: dist.revocation_list,
        })
    }

    /// The epochs kept once `epoch` is added: the newest [`EPOCHS_KEPT`].
    fn epochs_kept_with(&self, epoch: u32) -> Vec<u32> {
        let mut all: Vec<u32> = self.epochs.keys().copied().chain([epoch]).collect();
        all.sort_unstable();
        all.dedup();
        all.split_off(all.len().saturating_sub(EPOCHS_KEPT))
    }

    /// Adds to `batch` what taking `dist` changes in the store.
    fn write_distribution(&self, batch: &mut WriteBatch, dist: &Distribution) {
        let kept = self.epochs_kept_with(dist.epoch);
        for old in self.epochs.keys().filter(|e| !kept.contains(e)) {
            batch.remove(CLIENT_EPOCHS, &old.to_be_bytes());
        }
        batch.put(
            CLIENT_EPOCHS,
            &dist.epoch.to_be_bytes(),
            &dist.access.to_record(),
        );
        for kid in self
            .devices
            .keys()
            .filter(|k| !dist.devices.contains_key(k))
        {
            batch.remove(CLIENT_DEVICES, &kid.0);
        }
        for (kid, cert) in &dist.devices {
            batch.put(CLIENT_DEVICES, &kid.0, cert.as_bytes());
        }
        batch.put(CLIENT, REVOCATIONS, &dist.revocation_bytes);
    }

    /// Takes a checked (and persisted) key distribution into memory.
    fn take_distribution(&mut self, dist: Distribution) {
        let kept = self.epochs_kept_with(dist.epoch);
        self.epochs.insert(dist.epoch, dist.access);
        self.epochs.retain(|e, _| kept.contains(e));
        self.devices = dist.devices;
        self.revocations = Some(dist.revocations);
    }

    /// Checks a revocation list the hub published: signed, and not older than the one held
    /// (the same one again is harmless).
    fn check_revocation_list(&self, body: &Value) -> Result<(RevocationList, Vec<u8>)> {
        let bytes = body.as_bytes().ok_or_else(|| {
            envelope::Error::Malformed("a revocation list message carries the signed list".into())
        })?;
        let last = self.revocations.as_ref().map(|r| r.number);
        let list = RevocationList::verify(bytes, &self.root, self.home, last)?;
        Ok((list, bytes.clone()))
    }

    /// Seals a command for `device`, valid until `exp` (Unix seconds), echoing a hub
    /// challenge when one was received.
    pub fn seal_command(
        &mut self,
        device: &DeviceId,
        content: Value,
        exp: u64,
        echo: Option<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        self.seal_command_as(device, content, exp, random_array()?, echo)
    }

    /// [`Client::seal_command`] that also hands back the msg_id it drew, so the caller can
    /// take exactly the response (and challenge) whose `re` names this command.
    pub fn seal_command_with_id(
        &mut self,
        device: &DeviceId,
        content: Value,
        exp: u64,
    ) -> Result<([u8; MSG_ID_LEN], Vec<u8>)> {
        let msg_id = random_array()?;
        let sealed = self.seal_command_as(device, content, exp, msg_id, None)?;
        Ok((msg_id, sealed))
    }

    /// Seals again the command the hub challenged (its msg_id is the challenge's `re`), with
    /// the challenge value as `echo`: a challenge is good only for the command it answers and
    /// only from the client it was sent to.
    pub fn resend_command(
        &mut self,
        device: &DeviceId,
        content: Value,
        exp: u64,
        re: [u8; MSG_ID_LEN],
        challenge: Vec<u8>,
    ) -> Result<Vec<u8>> {
        self.seal_command_as(device, content, exp, re, Some(challenge))
    }

    fn seal_command_as(
        &mut self,
        device: &DeviceId,
        content: Value,
        exp: u64,
        msg_id: [u8; MSG_ID_LEN],
        echo: Option<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        let cert = self
            .devices
            .values()
            .find(|c| c.claims().subject == device.as_str())
            .ok_or_else(|| Error::UnknownDevice(device.to_string()))?;
        super::check_validity(cert, cert.kid(), self.now_unix())?;
        let epoch = self
            .current_epoch()
            .ok_or_else(|| Error::Envelope(envelope::Error::UnknownEpoch(0)))?;
        let previous = self.sequence.ceiling();
        let (seq, reserve) = self.sequence.take();
        if let (Some(ceiling), Some(store)) = (reserve, &self.store) {
            // The new ceiling is durable before any number under it leaves the client.
            if let Err(e) = store.put(CLIENT, SEQUENCE, &ceiling.to_be_bytes()) {
                self.sequence.rollback(seq, previous);
                return Err(e.into());
            }
        }
        let route = Route {
            home: self.home,
            device: device.clone(),
            msg_type: MessageType::Command,
            epoch,
        };
        let body = Body {
            msg_id,
            seq,
            time: 0,
            kind: MessageType::Command,
            body: content,
            exp: Some(exp),
            echo,
            re: None,
        };
        let signer = SigningIdentity {
            key: &self.keys.signing,
            kid: self.kid,
        };
        let (Some(to), Some(to_kid)) = (cert.agreement_key(), cert.agreement_kid()) else {
            return Err(Error::UnknownDevice(format!(
                "{device} (its certificate has no key agreement key)"
            )));
        };
        Ok(envelope::seal_for_key(&route, &body, signer, to, to_kid)?)
    }
}

impl Keyring for Client {
    fn home(&self) -> Kid {
        self.home
    }

    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        match self.epochs.get(&epoch)? {
            ReadAccess::Epoch(key) => Some(key.clone()),
            ReadAccess::Devices(_) => None,
        }
    }

    fn read_key(&self, route: &Route) -> envelope::Result<AeadKey> {
        match self.epochs.get(&route.epoch) {
            None => Err(envelope::Error::UnknownEpoch(route.epoch)),
            Some(ReadAccess::Epoch(key)) => envelope::device_read_key(key, &route.device),
            Some(ReadAccess::Devices(keys)) => {
                keys.get(&route.device)
                    .cloned()
                    .ok_or_else(|| envelope::Error::NoReadKey {
                        device: route.device.to_string(),
                        epoch: route.epoch,
                    })
            }
        }
    }

    fn recipient_key(&self, kid: &Kid, route: &Route) -> Option<PrivateKey> {
        if *kid != self.agreement_kid {
            return None;
        }
        let addressed = match route.msg_type {
            // A key distribution's route names the client it is for.
            MessageType::KeyDistribution => route.device == self.id,
            // A response or challenge names the device the client's command was about.
            MessageType::Response | MessageType::Challenge => true,
            _ => false,
        };
        addressed.then(|| self.keys.agreement.clone())
    }

    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        self.signer_at(kid, route, self.now_unix())
    }
}

/// The client as the keyring of one [`Client::open_at`], with the time it was given.
struct ClientAt<'a> {
    client: &'a Client,
    now_unix: Option<u64>,
}

impl Keyring for ClientAt<'_> {
    fn home(&self) -> Kid {
        self.client.home
    }

    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        self.client.epoch_key(epoch)
    }

    fn read_key(&self, route: &Route) -> envelope::Result<AeadKey> {
        self.client.read_key(route)
    }

    fn recipient_key(&self, kid: &Kid, route: &Route) -> Option<PrivateKey> {
        self.client.recipient_key(kid, route)
    }

    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        self.client.signer_at(kid, route, self.now_unix)
    }
}

impl Client {
    /// The public key of who may sign this message: the root key for what the hub itself
    /// sends, a device's certified key (not revoked, within its validity window by a trusted
    /// clock) for that device's events and responses.
    fn signer_at(
        &self,
        kid: &Kid,
        route: &Route,
        now_unix: Option<u64>,
    ) -> envelope::Result<PublicKey> {
        let refuse = |reason: String| envelope::Error::NotAuthorised { kid: *kid, reason };
        if *kid == self.home {
            return match route.msg_type {
                MessageType::KeyDistribution | MessageType::Challenge => Ok(self.root),
                MessageType::RevocationList if route.device.as_str() == HUB_DEVICE => Ok(self.root),
                MessageType::RevocationList => Err(refuse(format!(
                    "a revocation list travels as device {HUB_DEVICE}, not {}",
                    route.device
                ))),
                other => Err(refuse(format!("the root key does not send {other:?}"))),
            };
        }
        if self
            .revocations
            .as_ref()
            .is_some_and(|r| r.kids.contains(kid))
        {
            return Err(envelope::Error::Revoked(*kid));
        }
        let cert = self
            .devices
            .get(kid)
            .ok_or(envelope::Error::UnknownKid(*kid))?;
        // By serial too: a certificate revoked by serial alone is refused as well.
        if self
            .revocations
            .as_ref()
            .is_some_and(|r| r.is_revoked(cert))
        {
            return Err(envelope::Error::Revoked(*kid));
        }
        if !matches!(route.msg_type, MessageType::Event | MessageType::Response) {
            return Err(refuse(format!(
                "a device does not send {:?}",
                route.msg_type
            )));
        }
        if cert.claims().subject != route.device.as_str() {
            return Err(refuse(format!(
                "kid belongs to {}, not {}",
                cert.claims().subject,
                route.device
            )));
        }
        super::check_validity(cert, *kid, now_unix)?;
        Ok(cert.claims().key)
    }
}
