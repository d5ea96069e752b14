//! Where the driver's Z-Wave network keys come from: the caller's store, behind
//! [`NetworkKeyStore`]. The radios crate does not know how sealhub keeps secrets; sealhub
//! implements this trait on its sealed store, so the S0 and S2 keys persist across restarts
//! sealed like every other secret of the hub (and a restored backup keeps the network usable).
//!
//! The same store keeps, per node, how far the driver's S2 sequence numbers to it may go (a
//! reservation of [`SEQ_RESERVATION`] numbers, stored before the first of them is used): a
//! node remembers the last [`SEQ_WINDOW`] numbers it had from us and drops a frame that
//! repeats one as a duplicate, so a restarted driver continues past the stored reservation
//! instead of at a random number that may fall in that window.
//!
//! A class whose key the store lacks gets one from the OS RNG (`getrandom`) on first use
//! (driver start-up), which is handed to [`NetworkKeyStore::store`] at once. Keys are never
//! logged: [`Key128`] prints as `Key128(..)`.

use std::collections::{BTreeMap, HashMap};

use super::{Error, Result};
use crate::zwave::s2::SecurityClass;
use crate::zwave::s2::session::SEQ_WINDOW;
use crate::zwave::security::Key128;

/// How many S2 sequence numbers to a node one stored reservation covers: one store write per
/// this many frames to the node. Below 256 - [`SEQ_WINDOW`], so the numbers after a
/// reservation are never in the window of numbers before it.
pub const SEQ_RESERVATION: u8 = 32;
const _: () = assert!((SEQ_RESERVATION as usize) + SEQ_WINDOW < 256);

/// The caller's keeper of the four network keys (S2 Access Control, S2 Authenticated, S2
/// Unauthenticated, S0).
pub trait NetworkKeyStore: Send {
    /// The stored key of a class, if any.
    fn key(&self, class: SecurityClass) -> Option<Key128>;
    /// Keeps a newly generated key; it must survive restarts, or every secure node has to be
    /// included again.
    fn store(&mut self, class: SecurityClass, key: Key128);
    /// The last S2 sequence number reserved for our frames to `node`, as last stored by
    /// [`NetworkKeyStore::reserve_s2_sequence`]; `None` when never stored.
    fn s2_sequence_reserved(&self, node: u16) -> Option<u8>;
    /// Keeps a new reservation: our frames to `node` may carry sequence numbers up to `last`
    /// (counting on from the previous reservation, modulo 256). The driver uses them only
    /// after this returns, so it must be durable by then; if it cannot be kept, say so loudly
    /// (after a restart the driver may then reuse numbers the node drops as duplicates, until
    /// it asks past them).
    fn reserve_s2_sequence(&mut self, node: u16, last: u8);
}

/// Keys held in memory only: for tests and for a hub that has not set up its sealed store.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    keys: HashMap<SecurityClass, Key128>,
    sequences: HashMap<u16, u8>,
}

impl MemoryKeyStore {
    /// An empty store (every key will be generated).
    pub fn new() -> Self {
        Self::default()
    }
}

impl NetworkKeyStore for MemoryKeyStore {
    fn key(&self, class: SecurityClass) -> Option<Key128> {
        self.keys.get(&class).cloned()
    }

    fn store(&mut self, class: SecurityClass, key: Key128) {
        self.keys.insert(class, key);
    }

    fn s2_sequence_reserved(&self, node: u16) -> Option<u8> {
        self.sequences.get(&node).copied()
    }

    fn reserve_s2_sequence(&mut self, node: u16, last: u8) {
        self.sequences.insert(node, last);
    }
}

/// Fills `buf` from the OS RNG.
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Random(e.to_string()))
}

/// Every class's key: the stored one, or a new random one that is stored.
pub(crate) fn load_or_generate(
    store: &mut dyn NetworkKeyStore,
) -> Result<BTreeMap<SecurityClass, Key128>> {
    let mut keys = BTreeMap::new();
    for class in SecurityClass::HIGHEST_FIRST {
        let key = match store.key(class) {
            Some(k) => k,
            None => {
                let mut bytes = [0u8; 16];
                random(&mut bytes)?;
                let key = Key128::new(bytes);
                zeroize::Zeroize::zeroize(&mut bytes);
                tracing::info!(?class, "generated a Z-Wave network key");
                store.store(class, key.clone());
                key
            }
        };
        keys.insert(class, key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_are_generated_once_and_stored() {
        let mut store = MemoryKeyStore::new();
        store.store(SecurityClass::S0Legacy, Key128::new([7; 16]));
        let first = load_or_generate(&mut store).expect("keys");
        assert_eq!(first.len(), 4);
        assert_eq!(first[&SecurityClass::S0Legacy], Key128::new([7; 16]));
        assert_ne!(
            first[&SecurityClass::S2AccessControl],
            first[&SecurityClass::S2Authenticated]
        );
        let again = load_or_generate(&mut store).expect("keys");
        assert_eq!(first, again);
    }
}
