//! A paired client's side of key management: it holds its two keys, the hub's root key as its
//! trust anchor, the epoch keys it was given, and the device certificates, and it seals
//! commands and opens events. Its state lives in memory; an application persists it as it
//! sees fit.

use super::distribution::{KeyDistribution, ReadGrant};
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
use coset::cbor::value::Value;
use std::collections::{BTreeMap, HashMap};
use zeroize::Zeroize;

/// How many epochs' keys a client keeps (the current one and the one before, so messages in
/// flight across a rekey still open).
const EPOCHS_KEPT: usize = 2;

/// What a client can read in one epoch.
#[derive(Clone)]
enum ReadAccess {
    /// Every device: the epoch key, from which each device's read key is derived.
    Epoch(AeadKey),
    /// Only these devices ("hub" for revocation lists); empty without the permission to read.
    Devices(BTreeMap<DeviceId, AeadKey>),
}

impl ReadAccess {
    fn from_grant(grant: &ReadGrant) -> Self {
        match grant {
            ReadGrant::Epoch(key) => ReadAccess::Epoch(AeadKey::Aes128(**key)),
            ReadGrant::Devices(keys) => ReadAccess::Devices(
                keys.iter()
                    .map(|(device, key)| (device.clone(), AeadKey::Aes128(**key)))
                    .collect(),
            ),
        }
    }
}

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
        match opened.route.msg_type {
            MessageType::KeyDistribution => {
                let applied = self.apply_distribution(&opened.body.body);
                // The keys now live in the client's zeroizing state; the caller gets none.
                opened.body.zeroize();
                applied?;
            }
            MessageType::RevocationList => self.apply_revocation_list(&opened.body.body)?,
            _ => {}
        }
        self.replay.insert(opened.signer, window);
        Ok(opened)
    }

    fn apply_distribution(&mut self, body: &Value) -> Result<()> {
        let dist = KeyDistribution::from_value(body)?;
        let access = ReadAccess::from_grant(&dist.read);
        let last = self.revocations.as_ref().map(|r| r.number);
        let revocations =
            RevocationList::verify(&dist.revocation_list, &self.root, self.home, last)?;
        let mut devices = HashMap::new();
        for bytes in &dist.device_certs {
            let cert = Certificate::verify(bytes, &self.root, None)?;
            devices.insert(cert.kid(), cert);
        }
        self.devices = devices;
        self.revocations = Some(revocations);
        self.epochs.insert(dist.epoch, access);
        while self.epochs.len() > EPOCHS_KEPT {
            self.epochs.pop_first();
        }
        Ok(())
    }

    /// Takes a newer signed revocation list the hub published (an older one is refused as a
    /// rollback; the same one again is harmless).
    fn apply_revocation_list(&mut self, body: &Value) -> Result<()> {
        let bytes = body.as_bytes().ok_or_else(|| {
            envelope::Error::Malformed("a revocation list message carries the signed list".into())
        })?;
        let last = self.revocations.as_ref().map(|r| r.number);
        self.revocations = Some(RevocationList::verify(bytes, &self.root, self.home, last)?);
        Ok(())
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
        let (seq, _) = self.sequence.take();
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
