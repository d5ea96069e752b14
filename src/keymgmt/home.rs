//! The hub's side of key management: the root key, device keys and certificates, paired
//! clients, the epoch key, the revocation list, sender sequence numbers and replay windows,
//! all kept in the sealed store and updated atomically.

use super::distribution::{KeyDistribution, ReadGrant};
use super::keys::ClientPublicKeys;
use super::sequence::SequenceCounter;
use super::{Error, Result};
use crate::crypto::{AeadKey, PrivateKey, PublicKey, random_array};
use crate::envelope::freshness::{self, EchoChallenges, FreshnessPolicy};
use crate::envelope::replay::ReplayWindow;
use crate::envelope::{self, Body, DeviceId, Keyring, MessageType, Opened, Route, SigningIdentity};
use crate::identity::{
    CertClaims, Certificate, Kid, Permissions, RevocationList, Role, Thumbprint,
};
use crate::store::{Store, WriteBatch};
use coset::cbor::value::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;
use zeroize::{Zeroize, Zeroizing};

/// Store trees this module owns.
const HUB: &str = "hub";
const DEVICES: &str = "devices";
const CLIENTS: &str = "clients";
const REPLAY: &str = "replay";
const SEQUENCE: &str = "sequence";
/// Keys in the `hub` tree.
const ROOT_KEY: &[u8] = b"root-key";
const EPOCH: &[u8] = b"epoch";
const REVOCATIONS: &[u8] = b"revocations";

/// How many fresh keys to draw before giving up on avoiding a kid collision (a collision of
/// 64-bit ids is already astronomically unlikely; this bounds the loop, nothing more).
const MAX_KEY_ATTEMPTS: usize = 16;

/// A device's two keys and the certificate that vouches for both: the signing key signs its
/// events and responses, the key agreement key receives the commands sent to it.
struct DeviceEntry {
    signing: PrivateKey,
    agreement: PrivateKey,
    cert: Certificate,
}

/// First byte of a `devices` record: signing scalar (32) ‖ agreement scalar (32) ‖ certificate.
const DEVICE_RECORD_VERSION: u8 = 2;
/// Length of a `devices` record before the certificate.
const DEVICE_RECORD_KEYS_LEN: usize = 1 + 32 + 32;

/// The home-wide keys and list, as created or loaded.
struct HomeKeys {
    root: PrivateKey,
    epoch: u32,
    epoch_key: AeadKey,
    revocations: RevocationList,
    revocation_bytes: Vec<u8>,
}

/// What a newly paired client receives.
#[derive(Debug, Clone)]
pub struct Pairing {
    /// The client's certificate, signed by the hub root key.
    pub certificate: Certificate,
    /// The key-distribution envelope with the current epoch key, encrypted to the client.
    pub key_distribution: Vec<u8>,
}

/// What a client may do, as its certificate will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGrant {
    /// Read events, send commands, administer.
    pub permissions: Permissions,
    /// The devices the client may command and read; `None` for all.
    pub devices: Option<Vec<String>>,
    /// Not valid before this Unix time, when set.
    pub not_before: Option<u64>,
    /// Not valid at or after this Unix time, when set.
    pub expires: Option<u64>,
}

/// The home as the hub holds it. Every mutation is written to the sealed store (and flushed)
/// before the method returns, and multi-record changes go in one atomic batch.
pub struct Home {
    store: Store,
    root: PrivateKey,
    home: Kid,
    epoch: u32,
    epoch_key: AeadKey,
    devices: BTreeMap<DeviceId, DeviceEntry>,
    clients: BTreeMap<DeviceId, Certificate>,
    revocations: RevocationList,
    revocation_bytes: Vec<u8>,
    replay: HashMap<Kid, ReplayWindow>,
    sequences: HashMap<Kid, SequenceCounter>,
    challenges: EchoChallenges,
    freshness: FreshnessPolicy,
    clock_trusted: bool,
}

impl std::fmt::Debug for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Home")
            .field("home", &self.home)
            .field("epoch", &self.epoch)
            .field("devices", &self.devices.len())
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

fn epoch_record(epoch: u32, key: &AeadKey) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(epoch.to_be_bytes().to_vec());
    v.extend_from_slice(key.as_bytes());
    v
}

fn new_epoch_key() -> Result<AeadKey> {
    Ok(AeadKey::Aes128(random_array::<16>()?))
}

impl Home {
    /// Opens the home kept in `store`, or creates it (root key, epoch 1, an empty signed
    /// revocation list) in one atomic write when the store holds none. Returns whether it was
    /// created.
    pub fn open(store: Store, freshness: FreshnessPolicy) -> Result<(Home, bool)> {
        match store.get(HUB, ROOT_KEY)? {
            Some(root) => Ok((Self::load(store, &root, freshness)?, false)),
            None => Ok((Self::create(store, freshness)?, true)),
        }
    }

    fn create(store: Store, freshness: FreshnessPolicy) -> Result<Home> {
        let root = PrivateKey::generate()?;
        let home = Thumbprint::of(&root.public_key()).kid();
        let epoch_key = new_epoch_key()?;
        let revocations = RevocationList::new(home);
        let revocation_bytes = revocations.sign(&root)?;
        let mut batch = WriteBatch::new();
        batch
            .put(HUB, ROOT_KEY, root.to_bytes().as_slice())
            .put(HUB, EPOCH, &epoch_record(1, &epoch_key))
            .put(HUB, REVOCATIONS, &revocation_bytes);
        store.apply(batch)?;
        tracing::info!(home = %home, "created a new home with a fresh root key");
        let keys = HomeKeys {
            root,
            epoch: 1,
            epoch_key,
            revocations,
            revocation_bytes,
        };
        Ok(Self::assemble(
            store,
            keys,
            BTreeMap::new(),
            BTreeMap::new(),
            freshness,
        ))
    }

    /// The in-memory home around keys and records just created or loaded; replay windows and
    /// sequence counters are read from the store on first use.
    fn assemble(
        store: Store,
        keys: HomeKeys,
        devices: BTreeMap<DeviceId, DeviceEntry>,
        clients: BTreeMap<DeviceId, Certificate>,
        freshness: FreshnessPolicy,
    ) -> Home {
        let HomeKeys {
            root,
            epoch,
            epoch_key,
            revocations,
            revocation_bytes,
        } = keys;
        Home {
            store,
            home: Thumbprint::of(&root.public_key()).kid(),
            root,
            epoch,
            epoch_key,
            devices,
            clients,
            revocations,
            revocation_bytes,
            replay: HashMap::new(),
            sequences: HashMap::new(),
            challenges: EchoChallenges::default(),
            freshness,
            clock_trusted: false,
        }
    }

    fn load(store: Store, root: &[u8], freshness: FreshnessPolicy) -> Result<Home> {
        let root =
            PrivateKey::from_bytes(root).map_err(|_| Error::Corrupt("hub/root-key".into()))?;
        let root_pub = root.public_key();
        let home = Thumbprint::of(&root_pub).kid();
        let epoch_rec = store
            .get(HUB, EPOCH)?
            .ok_or_else(|| Error::Corrupt("hub/epoch".into()))?;
        if epoch_rec.len() != 20 {
            return Err(Error::Corrupt("hub/epoch".into()));
        }
        let mut e = [0u8; 4];
        e.copy_from_slice(&epoch_rec[..4]);
        let epoch = u32::from_be_bytes(e);
        let epoch_key = AeadKey::from_slice(&epoch_rec[4..])?;
        let revocation_bytes = store
            .get(HUB, REVOCATIONS)?
            .ok_or_else(|| Error::Corrupt("hub/revocations".into()))?
            .to_vec();
        let revocations = RevocationList::verify(&revocation_bytes, &root_pub, home, None)?;
        let mut devices = BTreeMap::new();
        for record in store.iter(DEVICES) {
            let (id, value) = record?;
            let id = device_id(&id)?;
            devices.insert(
                id.clone(),
                Self::read_device_record(&id, &value, &root_pub)?,
            );
        }
        let mut clients = BTreeMap::new();
        for record in store.iter(CLIENTS) {
            let (id, value) = record?;
            let id = device_id(&id)?;
            clients.insert(id, Certificate::verify(&value, &root_pub, None)?);
        }
        tracing::info!(
            home = %home,
            epoch,
            devices = devices.len(),
            clients = clients.len(),
            "opened the home"
        );
        let keys = HomeKeys {
            root,
            epoch,
            epoch_key,
            revocations,
            revocation_bytes,
        };
        Ok(Self::assemble(store, keys, devices, clients, freshness))
    }

    /// Tells the home whether the wall clock is synchronised; until then it stamps time 0 on
    /// what it sends and issues certificates without an issue time.
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

    /// The home id: the short kid of the root key, carried in every route.
    pub fn home_id(&self) -> Kid {
        self.home
    }

    /// The root public key: clients' trust anchor, shown to them at pairing.
    pub fn root_public(&self) -> PublicKey {
        self.root.public_key()
    }

    /// The root key's full thumbprint, for `sealhub keys` and out-of-band comparison.
    pub fn root_thumbprint(&self) -> Thumbprint {
        Thumbprint::of(&self.root.public_key())
    }

    /// The current epoch number.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The certificate of a device, if known.
    pub fn device_certificate(&self, id: &DeviceId) -> Option<&Certificate> {
        self.devices.get(id).map(|d| &d.cert)
    }

    /// The latest signed revocation list.
    pub fn revocation_list(&self) -> &[u8] {
        &self.revocation_bytes
    }

    fn kid_in_use(&self, kid: Kid) -> bool {
        let either = |c: &Certificate| c.kid() == kid || c.agreement_kid() == Some(kid);
        kid == self.home
            || self.devices.values().any(|d| either(&d.cert))
            || self.clients.values().any(either)
            || self.revocations.kids.contains(&kid)
    }

    /// A fresh key whose kid is used nowhere in the home, nor equal to `besides`.
    fn fresh_key(&self, besides: Option<Kid>) -> Result<PrivateKey> {
        for _ in 0..MAX_KEY_ATTEMPTS {
            let key = PrivateKey::generate()?;
            let kid = Thumbprint::of(&key.public_key()).kid();
            if !self.kid_in_use(kid) && Some(kid) != besides {
                return Ok(key);
            }
            tracing::warn!(kid = %kid, "drew a key whose kid is in use; drawing another");
        }
        Err(Error::Corrupt(
            "could not draw a key with an unused kid".into(),
        ))
    }

    /// A device's signing and key agreement keys, fresh and distinct.
    fn fresh_device_keys(&self) -> Result<(PrivateKey, PrivateKey)> {
        let signing = self.fresh_key(None)?;
        let agreement = self.fresh_key(Some(Thumbprint::of(&signing.public_key()).kid()))?;
        Ok((signing, agreement))
    }

    fn device_cert(
        &self,
        id: &DeviceId,
        signing: &PrivateKey,
        agreement: &PrivateKey,
    ) -> Result<Certificate> {
        let claims = CertClaims::new(
            self.home,
            id.as_str(),
            Role::Device,
            Permissions::NONE,
            signing.public_key(),
            self.now_unix().unwrap_or(0),
        )?
        .with_agreement_key(agreement.public_key());
        Ok(Certificate::issue(claims, &self.root)?)
    }

    fn device_record(entry: &DeviceEntry) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(vec![DEVICE_RECORD_VERSION]);
        v.extend_from_slice(entry.signing.to_bytes().as_slice());
        v.extend_from_slice(entry.agreement.to_bytes().as_slice());
        v.extend_from_slice(entry.cert.as_bytes());
        v
    }

    fn read_device_record(id: &DeviceId, value: &[u8], root: &PublicKey) -> Result<DeviceEntry> {
        let corrupt = || {
            Error::Corrupt(format!(
                "devices/{id} (not a two-key device record of this version)"
            ))
        };
        if value.len() <= DEVICE_RECORD_KEYS_LEN || value[0] != DEVICE_RECORD_VERSION {
            return Err(corrupt());
        }
        let signing = PrivateKey::from_bytes(&value[1..33]).map_err(|_| corrupt())?;
        let agreement = PrivateKey::from_bytes(&value[33..65]).map_err(|_| corrupt())?;
        let cert = Certificate::verify(&value[DEVICE_RECORD_KEYS_LEN..], root, None)?;
        if cert.claims().key != signing.public_key()
            || cert.agreement_key() != Some(&agreement.public_key())
        {
            return Err(corrupt());
        }
        Ok(DeviceEntry {
            signing,
            agreement,
            cert,
        })
    }

    /// Issues a key and certificate for a new device, stored in one atomic write.
    pub fn issue_device(&mut self, id: &DeviceId) -> Result<Certificate> {
        if self.devices.contains_key(id) || self.clients.contains_key(id) {
            return Err(Error::AlreadyExists(id.to_string()));
        }
        let (signing, agreement) = self.fresh_device_keys()?;
        let cert = self.device_cert(id, &signing, &agreement)?;
        let entry = DeviceEntry {
            signing,
            agreement,
            cert: cert.clone(),
        };
        self.store.put(
            DEVICES,
            id.as_str().as_bytes(),
            &Self::device_record(&entry),
        )?;
        tracing::info!(device = %id, kid = %cert.kid(), "issued a device's keys");
        self.devices.insert(id.clone(), entry);
        Ok(cert)
    }

    /// Replaces a device's key: the new key and certificate and the revocation of the old one
    /// are written together. Clients learn the new certificate from [`Home::redistribute`].
    pub fn rotate_device(&mut self, id: &DeviceId) -> Result<Certificate> {
        let old = self
            .devices
            .get(id)
            .ok_or_else(|| Error::UnknownDevice(id.to_string()))?;
        let old_cert = old.cert.clone();
        let (signing, agreement) = self.fresh_device_keys()?;
        let cert = self.device_cert(id, &signing, &agreement)?;
        let entry = DeviceEntry {
            signing,
            agreement,
            cert: cert.clone(),
        };
        let mut revocations = self.revocations.clone();
        revocations.revoke(&old_cert);
        let revocation_bytes = revocations.sign(&self.root)?;
        let mut batch = WriteBatch::new();
        batch
            .put(
                DEVICES,
                id.as_str().as_bytes(),
                &Self::device_record(&entry),
            )
            .put(HUB, REVOCATIONS, &revocation_bytes);
        self.store.apply(batch)?;
        tracing::info!(device = %id, old = %old_cert.kid(), new = %cert.kid(), "rotated a device's keys");
        self.devices.insert(id.clone(), entry);
        self.revocations = revocations;
        self.revocation_bytes = revocation_bytes;
        Ok(cert)
    }

    /// Pairs a client whose public key was delivered over the authenticated onboarding
    /// channel: certifies it and returns its first key distribution.
    pub fn pair_client(
        &mut self,
        id: &DeviceId,
        keys: ClientPublicKeys,
        permissions: Permissions,
        devices: Option<Vec<String>>,
    ) -> Result<Pairing> {
        let grant = ClientGrant {
            permissions,
            devices,
            not_before: None,
            expires: None,
        };
        self.pair_client_with(id, keys, grant)
    }

    /// [`Home::pair_client`] with the whole grant, a validity window included: a certificate
    /// with `expires` stops working at that time wherever the clock is trusted.
    pub fn pair_client_with(
        &mut self,
        id: &DeviceId,
        keys: ClientPublicKeys,
        grant: ClientGrant,
    ) -> Result<Pairing> {
        if self.clients.contains_key(id) || self.devices.contains_key(id) {
            return Err(Error::AlreadyExists(id.to_string()));
        }
        let kid = Thumbprint::of(&keys.signing).kid();
        let agreement_kid = Thumbprint::of(&keys.agreement).kid();
        for k in [kid, agreement_kid] {
            if self.kid_in_use(k) {
                return Err(Error::KidCollision(k));
            }
        }
        if kid == agreement_kid {
            return Err(Error::KidCollision(kid));
        }
        let mut claims = CertClaims::new(
            self.home,
            id.as_str(),
            Role::Client,
            grant.permissions,
            keys.signing,
            self.now_unix().unwrap_or(0),
        )?
        .with_agreement_key(keys.agreement);
        claims.devices = grant.devices;
        claims.not_before = grant.not_before;
        claims.expires = grant.expires;
        let certificate = Certificate::issue(claims, &self.root)?;
        self.store
            .put(CLIENTS, id.as_str().as_bytes(), certificate.as_bytes())?;
        tracing::info!(client = %id, kid = %kid, "paired a client");
        self.clients.insert(id.clone(), certificate.clone());
        let key_distribution = self.seal_key_distribution(id, &certificate)?;
        Ok(Pairing {
            certificate,
            key_distribution,
        })
    }

    /// Removes a client: revokes its certificate and moves the home to a new epoch whose key
    /// only the remaining clients receive. Returns their key-distribution envelopes, to be sent
    /// before any event of the new epoch.
    pub fn remove_client(&mut self, id: &DeviceId) -> Result<Vec<(DeviceId, Vec<u8>)>> {
        let cert = self
            .clients
            .get(id)
            .ok_or_else(|| Error::UnknownClient(id.to_string()))?;
        let mut revocations = self.revocations.clone();
        revocations.revoke(cert);
        let revocation_bytes = revocations.sign(&self.root)?;
        let epoch = self
            .epoch
            .checked_add(1)
            .ok_or_else(|| Error::Corrupt("epoch".into()))?;
        let epoch_key = new_epoch_key()?;
        let mut batch = WriteBatch::new();
        batch
            .remove(CLIENTS, id.as_str().as_bytes())
            .put(HUB, REVOCATIONS, &revocation_bytes)
            .put(HUB, EPOCH, &epoch_record(epoch, &epoch_key));
        self.store.apply(batch)?;
        tracing::info!(client = %id, epoch, "removed a client and moved to a new epoch");
        self.clients.remove(id);
        self.revocations = revocations;
        self.revocation_bytes = revocation_bytes;
        self.epoch = epoch;
        self.epoch_key = epoch_key;
        self.redistribute()
    }

    /// Key-distribution envelopes for every paired client (current epoch key, device
    /// certificates, revocation list), e.g. after a device key rotation.
    pub fn redistribute(&mut self) -> Result<Vec<(DeviceId, Vec<u8>)>> {
        let clients: Vec<(DeviceId, Certificate)> = self
            .clients
            .iter()
            .map(|(i, c)| (i.clone(), c.clone()))
            .collect();
        clients
            .into_iter()
            .map(|(id, cert)| Ok((id.clone(), self.seal_key_distribution(&id, &cert)?)))
            .collect()
    }

    fn seal_key_distribution(&mut self, id: &DeviceId, cert: &Certificate) -> Result<Vec<u8>> {
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

    fn route(&self, device: DeviceId, msg_type: MessageType) -> Route {
        Route {
            home: self.home,
            device,
            msg_type,
            epoch: self.epoch,
        }
    }

    fn body(
        &mut self,
        signer: Kid,
        kind: MessageType,
        content: Value,
        re: Option<[u8; 8]>,
    ) -> Result<Body> {
        Ok(Body {
            msg_id: random_array()?,
            seq: self.next_sequence(signer)?,
            time: self.now_unix().unwrap_or(0),
            kind,
            body: content,
            exp: None,
            echo: None,
            re,
        })
    }

    /// The next sequence number for a signing key; the ceiling is flushed before a number
    /// under a new ceiling is used.
    fn next_sequence(&mut self, kid: Kid) -> Result<u64> {
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
                SequenceCounter::resume(ceiling)
            }
        };
        let mut counter = counter;
        let previous = counter.ceiling();
        let (seq, reserve) = counter.take();
        if let Some(ceiling) = reserve
            && let Err(e) = self.store.put(SEQUENCE, &kid.0, &ceiling.to_be_bytes())
        {
            counter.rollback(seq, previous);
            self.sequences.insert(kid, counter);
            return Err(e.into());
        }
        self.sequences.insert(kid, counter);
        Ok(seq)
    }

    /// What a client may read in the current epoch, by its certificate: without
    /// [`Permissions::READ_EVENTS`] nothing; with it and no device list the epoch key; with a
    /// device list the read keys of those devices and of "hub" (revocation lists).
    fn read_grant(&self, cert: &Certificate) -> Result<ReadGrant> {
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
        let kid = self.device_kid(device)?;
        let (to, to_kid) = self.client_agreement_key(to_client)?;
        let body = self.body(kid, MessageType::Response, content, Some(re))?;
        let route = self.route(device.clone(), MessageType::Response);
        let entry = self.device_entry(device)?;
        let signer = SigningIdentity {
            key: &entry.signing,
            kid,
        };
        Ok(envelope::seal_for_key(&route, &body, signer, &to, to_kid)?)
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

    /// The paired client whose signing key has `kid` (a refusal names the kid; a challenge
    /// or response goes to the client's id).
    pub fn client_by_kid(&self, kid: Kid) -> Option<&DeviceId> {
        self.clients
            .iter()
            .find(|(_, c)| c.kid() == kid)
            .map(|(id, _)| id)
    }

    fn device_entry(&self, device: &DeviceId) -> Result<&DeviceEntry> {
        self.devices
            .get(device)
            .ok_or_else(|| Error::UnknownDevice(device.to_string()))
    }

    fn device_kid(&self, device: &DeviceId) -> Result<Kid> {
        Ok(self.device_entry(device)?.cert.kid())
    }

    /// A paired client's key agreement key and its kid.
    fn client_agreement_key(&self, client: &DeviceId) -> Result<(PublicKey, Kid)> {
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

    /// Opens a command with every check of `docs/ENVELOPE.md`: authenticity, authorisation,
    /// replay (also across restarts) and freshness. `now_unix` is `Some` only when the hub
    /// trusts its clock. The replay window is advanced and flushed before this returns `Ok`,
    /// so the caller may act on the command.
    pub fn open_command(
        &mut self,
        bytes: &[u8],
        now_unix: Option<u64>,
        now_mono: Instant,
    ) -> std::result::Result<Opened, envelope::Error> {
        let result = self.open_command_inner(bytes, now_unix, now_mono);
        if let Err(e) = &result {
            tracing::warn!(check = e.check(), kid = ?refusal_kid(e), "refused a command: {e}");
        }
        result
    }

    fn open_command_inner(
        &mut self,
        bytes: &[u8],
        now_unix: Option<u64>,
        now_mono: Instant,
    ) -> std::result::Result<Opened, envelope::Error> {
        let keyring = KeyringAt {
            home: &*self,
            now_unix,
        };
        let opened = envelope::open(bytes, &keyring)?;
        if opened.route.msg_type != MessageType::Command {
            return Err(envelope::Error::MetadataMismatch(
                "the hub accepts only commands".into(),
            ));
        }
        let kid = opened.signer;
        let mut window = self.replay_window(kid)?;
        if window.check(opened.body.seq).is_err() {
            return Err(envelope::Error::Replay {
                kid,
                seq: opened.body.seq,
            });
        }
        freshness::check_command(
            &opened.body,
            kid,
            now_unix,
            &self.freshness,
            &mut self.challenges,
            now_mono,
        )?;
        window
            .accept(opened.body.seq)
            .map_err(|_| envelope::Error::Replay {
                kid,
                seq: opened.body.seq,
            })?;
        self.store
            .put(REPLAY, &kid.0, &window.to_bytes())
            .map_err(|e| {
                envelope::Error::Crypto(format!("could not persist the replay window: {e}"))
            })?;
        self.replay.insert(kid, window);
        Ok(opened)
    }

    fn replay_window(&self, kid: Kid) -> std::result::Result<ReplayWindow, envelope::Error> {
        if let Some(w) = self.replay.get(&kid) {
            return Ok(*w);
        }
        let stored = self.store.get(REPLAY, &kid.0).map_err(|e| {
            envelope::Error::Crypto(format!("could not read the replay window: {e}"))
        })?;
        match stored {
            None => Ok(ReplayWindow::default()),
            Some(v) => ReplayWindow::from_bytes(&v)
                .ok_or_else(|| envelope::Error::Crypto("stored replay window is damaged".into())),
        }
    }
}

fn refusal_kid(e: &envelope::Error) -> Option<Kid> {
    use envelope::Error as E;
    match e {
        E::UnknownKid(k) | E::Revoked(k) | E::BadSignature(k) => Some(*k),
        E::NotAuthorised { kid, .. }
        | E::Replay { kid, .. }
        | E::CertificateNotValid { kid, .. }
        | E::Expired { kid, .. }
        | E::FreshnessUnverified { kid, .. } => Some(*kid),
        _ => None,
    }
}

fn epoch_key_bytes(key: &AeadKey) -> Result<[u8; 16]> {
    key.as_bytes()
        .try_into()
        .map_err(|_| Error::Corrupt("epoch key".into()))
}

/// The device id that stands for the hub itself in routes: revocation lists travel under its
/// read key.
fn hub_device() -> DeviceId {
    DeviceId::new(crate::model::HUB_DEVICE)
        .unwrap_or_else(|_| unreachable!("\"hub\" is a valid id"))
}

fn device_id(raw: &[u8]) -> Result<DeviceId> {
    let s = std::str::from_utf8(raw).map_err(|_| Error::Corrupt("record name".into()))?;
    DeviceId::new(s).map_err(|_| Error::Corrupt(format!("record name {s:?}")))
}

impl Keyring for Home {
    fn home(&self) -> Kid {
        self.home
    }

    /// The hub opens commands only, none of which travels under a read key.
    fn epoch_key(&self, _epoch: u32) -> Option<AeadKey> {
        None
    }

    fn recipient_key(&self, kid: &Kid, route: &Route) -> Option<PrivateKey> {
        if route.msg_type != MessageType::Command {
            return None;
        }
        let entry = self.devices.get(&route.device)?;
        (entry.cert.agreement_kid() == Some(*kid)).then(|| entry.agreement.clone())
    }

    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        self.command_signer(kid, route, self.now_unix())
    }
}

/// The home as the keyring of one [`Home::open_command`], judging certificate validity by the
/// clock the caller passed in rather than by reading one.
struct KeyringAt<'a> {
    home: &'a Home,
    now_unix: Option<u64>,
}

impl Keyring for KeyringAt<'_> {
    fn home(&self) -> Kid {
        self.home.home
    }

    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        self.home.epoch_key(epoch)
    }

    fn recipient_key(&self, kid: &Kid, route: &Route) -> Option<PrivateKey> {
        self.home.recipient_key(kid, route)
    }

    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        self.home.command_signer(kid, route, self.now_unix)
    }
}

impl Home {
    /// The public key of a client allowed to send this command: paired, not revoked, within
    /// its certificate's validity window when `now_unix` (a trusted clock) is given, with the
    /// permission to command and the device in its scope.
    fn command_signer(
        &self,
        kid: &Kid,
        route: &Route,
        now_unix: Option<u64>,
    ) -> envelope::Result<PublicKey> {
        let Some(cert) = self.clients.values().find(|c| c.kid() == *kid) else {
            if self.revocations.kids.contains(kid) {
                return Err(envelope::Error::Revoked(*kid));
            }
            return Err(envelope::Error::UnknownKid(*kid));
        };
        if self.revocations.is_revoked(cert) {
            return Err(envelope::Error::Revoked(*kid));
        }
        super::check_validity(cert, *kid, now_unix)?;
        if route.msg_type != MessageType::Command {
            return Err(envelope::Error::NotAuthorised {
                kid: *kid,
                reason: format!("a client may not send {:?}", route.msg_type),
            });
        }
        if !cert.has(Permissions::SEND_COMMANDS) {
            return Err(envelope::Error::NotAuthorised {
                kid: *kid,
                reason: "no permission to send commands".into(),
            });
        }
        if !cert.allows_device(route.device.as_str()) {
            return Err(envelope::Error::NotAuthorised {
                kid: *kid,
                reason: format!("no permission for device {}", route.device),
            });
        }
        Ok(cert.claims().key)
    }
}
