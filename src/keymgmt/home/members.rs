//! Who belongs to the home: issuing and rotating device keys, pairing and removing clients.

use super::{
    CLIENTS, ClientGrant, DEVICE_RECORD_KEYS_LEN, DEVICE_RECORD_VERSION, DEVICES, DeviceEntry,
    EPOCH, HUB, Home, MAX_KEY_ATTEMPTS, Pairing, REVOCATIONS, epoch_record, new_epoch_key,
};
use crate::crypto::{PrivateKey, PublicKey};
use crate::envelope::DeviceId;
use crate::identity::{CertClaims, Certificate, Kid, Permissions, Role, Thumbprint};
use crate::keymgmt::keys::ClientPublicKeys;
use crate::keymgmt::{Error, Result};
use crate::store::WriteBatch;
use zeroize::Zeroizing;

impl Home {
    pub(super) fn kid_in_use(&self, kid: Kid) -> bool {
        let either = |c: &Certificate| c.kid() == kid || c.agreement_kid() == Some(kid);
        kid == self.home
            || self.devices.values().any(|d| either(&d.cert))
            || self.clients.values().any(either)
            || self.revocations.kids.contains(&kid)
    }

    /// A fresh key whose kid is used nowhere in the home, nor equal to `besides`.
    pub(super) fn fresh_key(&self, besides: Option<Kid>) -> Result<PrivateKey> {
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
    pub(super) fn fresh_device_keys(&self) -> Result<(PrivateKey, PrivateKey)> {
        let signing = self.fresh_key(None)?;
        let agreement = self.fresh_key(Some(Thumbprint::of(&signing.public_key()).kid()))?;
        Ok((signing, agreement))
    }

    pub(super) fn device_cert(
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

    pub(super) fn device_record(entry: &DeviceEntry) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(vec![DEVICE_RECORD_VERSION]);
        v.extend_from_slice(entry.signing.to_bytes().as_slice());
        v.extend_from_slice(entry.agreement.to_bytes().as_slice());
        v.extend_from_slice(entry.cert.as_bytes());
        v
    }

    pub(super) fn read_device_record(
        id: &DeviceId,
        value: &[u8],
        root: &PublicKey,
    ) -> Result<DeviceEntry> {
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
        self.issue_device_with(id, WriteBatch::new())
    }

    /// Issues a key and certificate for a new device and applies `with` (the caller's records
    /// about the device, e.g. the gateway's registry entry) in the same atomic write: after a
    /// crash the store holds the keys and those records together, or neither.
    pub fn issue_device_with(&mut self, id: &DeviceId, with: WriteBatch) -> Result<Certificate> {
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
        let mut batch = with;
        batch.put(
            DEVICES,
            id.as_str().as_bytes(),
            &Self::device_record(&entry),
        );
        self.commit(batch, self.epoch, None)?;
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
        self.commit(batch, self.epoch, Some(&revocation_bytes))?;
        tracing::info!(device = %id, old = %old_cert.kid(), new = %cert.kid(), "rotated a device's keys");
        self.devices.insert(id.clone(), entry);
        self.revocations = revocations;
        self.revocation_bytes = revocation_bytes;
        Ok(cert)
    }

    /// Revokes a device that left or was removed: its certificate goes on the revocation list
    /// and its keys are deleted, together with `with` (the caller's records about the device)
    /// in one atomic write. Clients learn it from [`Home::redistribute`] and
    /// [`Home::seal_revocation_list`]; from then on they refuse what the old key signed.
    pub fn revoke_device(&mut self, id: &DeviceId, with: WriteBatch) -> Result<()> {
        let old = self
            .devices
            .get(id)
            .ok_or_else(|| Error::UnknownDevice(id.to_string()))?;
        let old_cert = old.cert.clone();
        let mut revocations = self.revocations.clone();
        revocations.revoke(&old_cert);
        let revocation_bytes = revocations.sign(&self.root)?;
        let mut batch = with;
        batch
            .remove(DEVICES, id.as_str().as_bytes())
            .put(HUB, REVOCATIONS, &revocation_bytes);
        self.commit(batch, self.epoch, Some(&revocation_bytes))?;
        tracing::info!(device = %id, kid = %old_cert.kid(), "revoked a device's keys");
        self.devices.remove(id);
        self.sequences.remove(&old_cert.kid());
        self.last_sequence.remove(&old_cert.kid());
        self.revocations = revocations;
        self.revocation_bytes = revocation_bytes;
        Ok(())
    }

    /// The paired clients and their certificates, by id.
    pub fn clients(&self) -> impl Iterator<Item = (&DeviceId, &Certificate)> {
        self.clients.iter()
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
        let mut batch = WriteBatch::new();
        batch.put(CLIENTS, id.as_str().as_bytes(), certificate.as_bytes());
        self.commit(batch, self.epoch, None)?;
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
        self.commit(batch, epoch, Some(&revocation_bytes))?;
        tracing::info!(client = %id, epoch, "removed a client and moved to a new epoch");
        self.clients.remove(id);
        self.revocations = revocations;
        self.revocation_bytes = revocation_bytes;
        self.epoch = epoch;
        self.epoch_key = epoch_key;
        self.redistribute()
    }

    /// A fresh key-distribution envelope for one paired client (its read grant, device
    /// certificates, revocation list): what a client that was offline during a rekey or a
    /// device's keying needs when it connects again.
    pub fn key_distribution(&mut self, id: &DeviceId) -> Result<Vec<u8>> {
        let cert = self
            .clients
            .get(id)
            .cloned()
            .ok_or_else(|| Error::UnknownClient(id.to_string()))?;
        self.seal_key_distribution(id, &cert)
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
}
