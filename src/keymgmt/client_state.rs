//! A client's state in its own sealed store (`docs/STORE.md`, "A client's store"), so that a
//! restarted client neither reuses a sequence number (its commands would be refused as
//! replays) nor forgets what it accepted (it would take replayed key distributions, events and
//! older revocation lists again).
//!
//! | tree | key | value |
//! |---|---|---|
//! | `client` | `identity` | `0x01` ‖ id length (1) ‖ id ‖ signing scalar (32) ‖ agreement scalar (32) ‖ hub root key, SEC1 uncompressed (65) |
//! | `client` | `sequence` | the reserved sequence ceiling, u64 big-endian |
//! | `client` | `revocations` | the newest signed revocation list accepted |
//! | `client-epochs` | epoch, u32 big-endian | `0x01` ‖ epoch key (16), or `0x02` ‖ count (u16 BE) ‖ (id length (1) ‖ id ‖ read key (16))… |
//! | `client-devices` | device signing kid (8) | the device certificate |
//! | `client-replay` | signer kid (8) | the replay window (16 bytes) |

use super::keys::ClientKeys;
use super::{Error, Result};
use crate::crypto::{AeadKey, PrivateKey, PublicKey};
use crate::envelope::replay::ReplayWindow;
use crate::envelope::{DeviceId, READ_KEY_LEN};
use crate::identity::{Certificate, Kid, RevocationList, Thumbprint};
use crate::keymgmt::ReadGrant;
use crate::store::Store;
use std::collections::{BTreeMap, HashMap};
use zeroize::Zeroizing;

/// Trees of a client's store.
pub(super) const CLIENT: &str = "client";
pub(super) const CLIENT_EPOCHS: &str = "client-epochs";
pub(super) const CLIENT_DEVICES: &str = "client-devices";
pub(super) const CLIENT_REPLAY: &str = "client-replay";
/// Keys in the `client` tree.
pub(super) const IDENTITY: &[u8] = b"identity";
pub(super) const SEQUENCE: &[u8] = b"sequence";
pub(super) const REVOCATIONS: &[u8] = b"revocations";

const IDENTITY_VERSION: u8 = 1;
const ACCESS_EPOCH: u8 = 1;
const ACCESS_DEVICES: u8 = 2;

/// What a client can read in one epoch.
#[derive(Clone)]
pub(super) enum ReadAccess {
    /// Every device: the epoch key, from which each device's read key is derived.
    Epoch(AeadKey),
    /// Only these devices ("hub" for revocation lists); empty without the permission to read.
    Devices(BTreeMap<DeviceId, AeadKey>),
}

impl ReadAccess {
    pub(super) fn from_grant(grant: &ReadGrant) -> Self {
        match grant {
            ReadGrant::Epoch(key) => ReadAccess::Epoch(AeadKey::Aes128(**key)),
            ReadGrant::Devices(keys) => ReadAccess::Devices(
                keys.iter()
                    .map(|(device, key)| (device.clone(), AeadKey::Aes128(**key)))
                    .collect(),
            ),
        }
    }

    /// The stored form.
    pub(super) fn to_record(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::new());
        match self {
            ReadAccess::Epoch(key) => {
                out.push(ACCESS_EPOCH);
                out.extend_from_slice(key.as_bytes());
            }
            ReadAccess::Devices(keys) => {
                out.push(ACCESS_DEVICES);
                // At most one entry per device id; far fewer than 65536 devices in a home.
                let count = u16::try_from(keys.len()).unwrap_or(u16::MAX);
                out.extend_from_slice(&count.to_be_bytes());
                for (device, key) in keys.iter().take(usize::from(count)) {
                    // A device id is at most 64 bytes.
                    out.push(device.as_str().len() as u8);
                    out.extend_from_slice(device.as_str().as_bytes());
                    out.extend_from_slice(key.as_bytes());
                }
            }
        }
        out
    }

    fn from_record(bytes: &[u8]) -> Option<Self> {
        let (&kind, mut rest) = bytes.split_first()?;
        match kind {
            ACCESS_EPOCH => {
                let key: [u8; READ_KEY_LEN] = rest.try_into().ok()?;
                Some(ReadAccess::Epoch(AeadKey::Aes128(key)))
            }
            ACCESS_DEVICES => {
                let count = u16::from_be_bytes(rest.get(..2)?.try_into().ok()?);
                rest = &rest[2..];
                let mut keys = BTreeMap::new();
                for _ in 0..count {
                    let (&len, after) = rest.split_first()?;
                    let id = std::str::from_utf8(after.get(..usize::from(len))?).ok()?;
                    let device = DeviceId::new(id).ok()?;
                    let after = &after[usize::from(len)..];
                    let key: [u8; READ_KEY_LEN] = after.get(..READ_KEY_LEN)?.try_into().ok()?;
                    keys.insert(device, AeadKey::Aes128(key));
                    rest = &after[READ_KEY_LEN..];
                }
                rest.is_empty().then_some(ReadAccess::Devices(keys))
            }
            _ => None,
        }
    }
}

/// The stored identity: who the client is, its two keys, and the hub it trusts.
pub(super) fn identity_record(
    id: &DeviceId,
    keys: &ClientKeys,
    root: &PublicKey,
) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![IDENTITY_VERSION, id.as_str().len() as u8]);
    out.extend_from_slice(id.as_str().as_bytes());
    out.extend_from_slice(keys.signing.to_bytes().as_slice());
    out.extend_from_slice(keys.agreement.to_bytes().as_slice());
    out.extend_from_slice(&root.to_sec1_uncompressed());
    out
}

fn read_identity(bytes: &[u8]) -> Option<(DeviceId, ClientKeys, PublicKey)> {
    let [IDENTITY_VERSION, len, rest @ ..] = bytes else {
        return None;
    };
    let len = usize::from(*len);
    if rest.len() != len + 32 + 32 + 65 {
        return None;
    }
    let id = DeviceId::new(std::str::from_utf8(&rest[..len]).ok()?).ok()?;
    let keys = ClientKeys {
        signing: PrivateKey::from_bytes(&rest[len..len + 32]).ok()?,
        agreement: PrivateKey::from_bytes(&rest[len + 32..len + 64]).ok()?,
    };
    let root = PublicKey::from_sec1(&rest[len + 64..]).ok()?;
    Some((id, keys, root))
}

/// Everything a client keeps, as read back from its store.
pub(super) struct Loaded {
    pub id: DeviceId,
    pub keys: ClientKeys,
    pub root: PublicKey,
    pub epochs: BTreeMap<u32, ReadAccess>,
    pub devices: HashMap<Kid, Certificate>,
    pub revocations: Option<RevocationList>,
    pub replay: HashMap<Kid, ReplayWindow>,
    pub ceiling: u64,
}

fn corrupt(what: &str) -> Error {
    Error::Corrupt(format!("client store: {what}"))
}

/// Reads a client's state; every record must authenticate and parse, since a record read as
/// missing would let the client accept again what it accepted before.
pub(super) fn load(store: &Store) -> Result<Loaded> {
    let identity = store
        .get(CLIENT, IDENTITY)?
        .ok_or_else(|| Error::UnknownClient("this store holds no client".into()))?;
    let (id, keys, root) = read_identity(&identity).ok_or_else(|| corrupt("client/identity"))?;
    let home = Thumbprint::of(&root).kid();
    let ceiling = match store.get(CLIENT, SEQUENCE)? {
        Some(v) => u64::from_be_bytes(
            v.as_slice()
                .try_into()
                .map_err(|_| corrupt("client/sequence"))?,
        ),
        None => 0,
    };
    let revocations = match store.get(CLIENT, REVOCATIONS)? {
        Some(bytes) => Some(RevocationList::verify(&bytes, &root, home, None)?),
        None => None,
    };
    let mut epochs = BTreeMap::new();
    for record in store.iter(CLIENT_EPOCHS) {
        let (key, value) = record?;
        let epoch = u32::from_be_bytes(
            key.as_slice()
                .try_into()
                .map_err(|_| corrupt("client-epochs key"))?,
        );
        let access = ReadAccess::from_record(&value)
            .ok_or_else(|| corrupt(&format!("client-epochs/{epoch}")))?;
        epochs.insert(epoch, access);
    }
    let mut devices = HashMap::new();
    for record in store.iter(CLIENT_DEVICES) {
        let (key, value) = record?;
        let cert = Certificate::verify(&value, &root, None)?;
        if key.as_slice() != cert.kid().0 {
            return Err(corrupt("client-devices key"));
        }
        devices.insert(cert.kid(), cert);
    }
    let mut replay = HashMap::new();
    for record in store.iter(CLIENT_REPLAY) {
        let (key, value) = record?;
        let kid = Kid::from_slice(&key).ok_or_else(|| corrupt("client-replay key"))?;
        let window =
            ReplayWindow::from_bytes(&value).ok_or_else(|| corrupt("client-replay window"))?;
        replay.insert(kid, window);
    }
    Ok(Loaded {
        id,
        keys,
        root,
        epochs,
        devices,
        revocations,
        replay,
        ceiling,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_damage_is_refused() {
        let keys = ClientKeys::generate().expect("rng");
        let root = PrivateKey::generate().expect("rng").public_key();
        let id = DeviceId::new("phone").expect("id");
        let rec = identity_record(&id, &keys, &root);
        let (back_id, back_keys, back_root) = read_identity(&rec).expect("reads");
        assert_eq!((back_id, back_root), (id, root));
        assert_eq!(back_keys.public(), keys.public());
        assert!(read_identity(&rec[..rec.len() - 1]).is_none());

        let mut keys = BTreeMap::new();
        keys.insert(DeviceId::new("hub").expect("id"), AeadKey::Aes128([1; 16]));
        keys.insert(
            DeviceId::new("zb:bulb").expect("id"),
            AeadKey::Aes128([2; 16]),
        );
        for access in [
            ReadAccess::Epoch(AeadKey::Aes128([9; 16])),
            ReadAccess::Devices(keys),
            ReadAccess::Devices(BTreeMap::new()),
        ] {
            let rec = access.to_record();
            let back = ReadAccess::from_record(&rec).expect("reads");
            assert_eq!(back.to_record(), rec);
            assert!(ReadAccess::from_record(&rec[..rec.len() - 1]).is_none());
        }
    }
}
