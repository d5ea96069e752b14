//! What a paired client keeps in its own sealed store: its private key, the hub's URL and
//! the hub bundle (root key, pinned TLS fingerprint, its certificate and id), and the latest
//! key distribution it received. The one place the client's state is saved and loaded, so a
//! persistent `keymgmt::Client` (replay windows, sequence numbers) can replace the
//! rebuild-from-distribution in [`ClientState::client`] without touching the callers.
//!
//! Record (tree `client`, key `state`): `[1, key: bstr .size 32, url: tstr, hub_bundle: bstr,
//! latest_distribution: bstr, sealed: uint, sealed_for: tstr / null]`, sealed by the store.
//!
//! Sequence numbers: `keymgmt::Client` cannot yet be saved or resumed, and a rebuilt one
//! starts its sequence at 1, which the hub's replay window would refuse from the second run
//! on. Until it can, the state counts the commands sealed so far and [`ClientState::client`]
//! draws (and discards) that many numbers by sealing throwaway commands, so the next command
//! carries a number the hub has not seen. The persistent `Client` replaces this.

use coset::cbor::value::Value;
use zeroize::Zeroizing;

use super::{Error, Result};
use crate::cbor::{self, as_array, as_bytes, as_items, as_text, as_u64, uint};
use crate::crypto::PrivateKey;
use crate::envelope::DeviceId;
use crate::keymgmt::Client;
use crate::model::HUB_DEVICE;
use crate::onboarding::HubBundle;
use crate::store::Store;

const TREE: &str = "client";
const KEY: &[u8] = b"state";
const VERSION: u64 = 1;

/// A paired client's state.
#[derive(Clone)]
pub struct ClientState {
    /// Its private key (signs commands, opens key distributions).
    pub key: PrivateKey,
    /// The hub's base URL, `wss://host:port`.
    pub url: String,
    /// What the hub gave it at pairing.
    pub hub: HubBundle,
    /// The newest key-distribution envelope received (the pairing one to begin with).
    pub distribution: Vec<u8>,
    /// How many commands this client has sealed (sequence numbers used).
    pub sealed: u64,
    /// A device the last command was sealed for (whose key the throwaway seals use).
    pub sealed_for: Option<DeviceId>,
}

impl std::fmt::Debug for ClientState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientState")
            .field("client_id", &self.hub.client_id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ClientState {
    /// The URL of this client's sessions.
    pub fn home_url(&self) -> String {
        format!("{}{}", self.url, self.hub.path)
    }

    /// The key-management client, rebuilt from the key and the newest distribution.
    pub fn client(&self) -> Result<Client> {
        let mut client = Client::new(
            self.hub.client_id.clone(),
            self.key.clone(),
            self.hub.root_key,
        );
        if client.open(&self.distribution).is_err() {
            client
                .open(&self.hub.key_distribution)
                .map_err(|e| Error::Verification(format!("the key distribution: {e}")))?;
        }
        if self.sealed > 0 {
            let hub = DeviceId::new(HUB_DEVICE).map_err(|e| Error::State(e.to_string()))?;
            let target = self.sealed_for.clone().unwrap_or(hub.clone());
            for _ in 0..self.sealed {
                if client.seal_command(&target, Value::Null, 0, None).is_err() {
                    client.seal_command(&hub, Value::Null, 0, None)?;
                }
            }
        }
        Ok(client)
    }

    /// Saves the state (replacing any earlier one) and flushes it.
    pub fn save(&self, store: &Store) -> Result<()> {
        let record = Zeroizing::new(cbor::encode(&Value::Array(vec![
            uint(VERSION),
            Value::Bytes(self.key.to_bytes().to_vec()),
            Value::Text(self.url.clone()),
            Value::Bytes(self.hub.to_bytes()),
            Value::Bytes(self.distribution.clone()),
            uint(self.sealed),
            match &self.sealed_for {
                Some(device) => Value::Text(device.as_str().to_owned()),
                None => Value::Null,
            },
        ])));
        store.put(TREE, KEY, &record)?;
        store.flush()?;
        Ok(())
    }

    /// Loads the saved state; `None` when this client was never paired.
    pub fn load(store: &Store) -> Result<Option<ClientState>> {
        let Some(bytes) = store.get(TREE, KEY)? else {
            return Ok(None);
        };
        let damaged = |e: cbor::Error| Error::State(e.to_string());
        let value = cbor::decode_canonical(&bytes, "client state").map_err(damaged)?;
        let items = as_items(&value, "client state").map_err(damaged)?;
        let [version, key, url, hub, distribution, sealed, sealed_for] = items else {
            return Err(Error::State(format!("{} fields", items.len())));
        };
        if as_u64(version, "version").map_err(damaged)? != VERSION {
            return Err(Error::State("unknown version".into()));
        }
        let key = Zeroizing::new(as_array::<32>(key, "key").map_err(damaged)?);
        let key = PrivateKey::from_bytes(key.as_slice())
            .map_err(|e| Error::State(format!("key: {e}")))?;
        Ok(Some(ClientState {
            key,
            url: as_text(url, "url").map_err(damaged)?.to_owned(),
            hub: HubBundle::from_bytes(as_bytes(hub, "hub").map_err(damaged)?)?,
            distribution: as_bytes(distribution, "distribution")
                .map_err(damaged)?
                .to_vec(),
            sealed: as_u64(sealed, "sealed").map_err(damaged)?,
            sealed_for: match sealed_for {
                Value::Null => None,
                other => Some(
                    DeviceId::new(as_text(other, "sealed_for").map_err(damaged)?)
                        .map_err(|e| Error::State(e.to_string()))?,
                ),
            },
        }))
    }
}
