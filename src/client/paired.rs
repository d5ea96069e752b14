//! What a paired client keeps in its own sealed store (not the hub's; `docs/STORE.md`, "A
//! client's store"): the persistent [`Client`] (its two keys, read keys, device certificates,
//! the newest revocation list, replay windows and a sequence ceiling flushed before any number
//! under it is used, written through by `keymgmt::Client`), and beside it how to reach the hub
//! ([`HubLink`]: its URL and the hub bundle with the pinned TLS fingerprint). A restarted
//! client so goes on with sequence numbers the hub has not seen and refuses what it accepted
//! before (an old event, an old key distribution or revocation list).
//!
//! Record (tree `client-hub`, key `link`): `[1, url: tstr, hub_bundle: bstr]`, sealed by the
//! store. The `Client`'s own trees are described in `keymgmt::client_state`.

use coset::cbor::value::Value;

use super::{Error, Result};
use crate::cbor::{self, as_bytes, as_items, as_text, as_u64, uint};
use crate::keymgmt::{Client, ClientKeys};
use crate::onboarding::HubBundle;
use crate::store::Store;

const TREE: &str = "client-hub";
const KEY: &[u8] = b"link";
const VERSION: u64 = 1;

/// How a paired client reaches its hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubLink {
    /// The hub's base URL, `wss://host:port`.
    pub url: String,
    /// What the hub gave the client at pairing (home id, root key, TLS pin, its id and role).
    pub hub: HubBundle,
}

impl HubLink {
    /// The URL of this client's sessions.
    pub fn home_url(&self) -> String {
        format!("{}{}", self.url, self.hub.path)
    }

    fn to_record(&self) -> Vec<u8> {
        cbor::encode(&Value::Array(vec![
            uint(VERSION),
            Value::Text(self.url.clone()),
            Value::Bytes(self.hub.to_bytes()),
        ]))
    }

    fn from_record(bytes: &[u8]) -> Result<HubLink> {
        let damaged = |e: cbor::Error| Error::State(e.to_string());
        let value = cbor::decode_canonical(bytes, "hub link").map_err(damaged)?;
        let items = as_items(&value, "hub link").map_err(damaged)?;
        let [version, url, hub] = items else {
            return Err(Error::State(format!("hub link of {} fields", items.len())));
        };
        if as_u64(version, "version").map_err(damaged)? != VERSION {
            return Err(Error::State("hub link of an unknown version".into()));
        }
        Ok(HubLink {
            url: as_text(url, "url").map_err(damaged)?.to_owned(),
            hub: HubBundle::from_bytes(as_bytes(hub, "hub").map_err(damaged)?)?,
        })
    }
}

/// A pairing that every check passed, not yet kept anywhere: the client's private keys and
/// what it learnt of the hub.
pub struct NewPairing {
    /// The client's keys (their public halves are in its certificate).
    pub keys: ClientKeys,
    /// How to reach the hub.
    pub link: HubLink,
}

impl std::fmt::Debug for NewPairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPairing")
            .field("client_id", &self.link.hub.client_id)
            .field("url", &self.link.url)
            .finish_non_exhaustive()
    }
}

impl NewPairing {
    /// Keeps the pairing in `store` (the client's own): the client's identity first, then its
    /// first key distribution (applied and written through), then the hub link, flushed.
    /// Refuses a store that already holds a client.
    pub fn save(self, store: &Store) -> Result<PairedClient> {
        if store.get(TREE, KEY)?.is_some() {
            return Err(Error::AlreadyPaired);
        }
        let NewPairing { keys, link } = self;
        let mut client = Client::create_in(
            store.handle(),
            link.hub.client_id.clone(),
            keys,
            link.hub.root_key,
        )
        .map_err(|e| match e {
            crate::keymgmt::Error::AlreadyExists(_) => Error::AlreadyPaired,
            other => other.into(),
        })?;
        client
            .open(&link.hub.key_distribution)
            .map_err(|e| Error::Verification(format!("the key distribution: {e}")))?;
        store.put(TREE, KEY, &link.to_record())?;
        store.flush()?;
        Ok(PairedClient { link, client })
    }
}

/// A paired client as kept in its store: the hub link and the persistent `Client`.
#[derive(Debug)]
pub struct PairedClient {
    /// How to reach the hub.
    pub link: HubLink,
    /// The key-management client, writing every change through to the store it came from.
    pub client: Client,
}

impl PairedClient {
    /// The paired client kept in `store`, as it was when it last changed; `None` when this
    /// store was never paired.
    pub fn load(store: &Store) -> Result<Option<PairedClient>> {
        let Some(bytes) = store.get(TREE, KEY)? else {
            return Ok(None);
        };
        let link = HubLink::from_record(&bytes)?;
        let client = Client::open_in(store.handle())?;
        if client.id() != &link.hub.client_id {
            return Err(Error::State(format!(
                "the client in the store is {}, the hub link is for {}",
                client.id(),
                link.hub.client_id
            )));
        }
        Ok(Some(PairedClient { link, client }))
    }
}
