//! What a paired client keeps in its own sealed store: its private key, the hub's URL and
//! the hub bundle (root key, pinned TLS fingerprint, its certificate and id), and the latest
//! key distribution it received. The one place the client's state is saved and loaded, so a
//! persistent `keymgmt::Client` (replay windows, sequence numbers) can replace the
//! rebuild-from-distribution in [`ClientState::client`] without touching the callers.
//!
//! Record (tree `client`, key `state`): `[1, key: bstr .size 32, url: tstr, hub_bundle: bstr,
//! latest_distribution: bstr]`, sealed by the store.

use coset::cbor::value::Value;
use zeroize::Zeroizing;

use super::{Error, Result};
use crate::cbor::{self, as_array, as_bytes, as_items, as_text, as_u64, uint};
use crate::crypto::PrivateKey;
use crate::keymgmt::Client;
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
        let [version, key, url, hub, distribution] = items else {
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
        }))
    }
}
