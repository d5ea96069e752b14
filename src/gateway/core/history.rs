//! The bounded history of each device's event envelopes, kept sealed so a client that was
//! away asks for what it missed (`HubCommand::History`) and gets the envelopes exactly as they
//! were first sent, still signed by the device.
//!
//! One store tree per device (`gateway-history:<device id>`), keyed by the event's body
//! sequence number (big-endian, so the tree's order is the events' order); at most
//! `capacity` per device, the oldest dropped first. A device's history goes with its key.

use std::collections::{BTreeMap, VecDeque};

use super::Result;
use crate::envelope::DeviceId;
use crate::store::{Store, WriteBatch};

/// The history tree of a device.
fn tree(device: &DeviceId) -> String {
    format!("gateway-history:{device}")
}

/// Event envelopes by device, in the store, with the sequence numbers in memory.
#[derive(Debug)]
pub struct History {
    store: Store,
    capacity: usize,
    /// Each device's stored sequence numbers, oldest first.
    index: BTreeMap<DeviceId, VecDeque<u64>>,
}

impl History {
    /// Reads the sequence numbers stored for `devices`.
    pub fn load<'a>(
        store: Store,
        capacity: usize,
        devices: impl Iterator<Item = &'a DeviceId>,
    ) -> Result<History> {
        let mut index = BTreeMap::new();
        for device in devices {
            let mut seqs = VecDeque::new();
            for record in store.iter(&tree(device)) {
                let (key, _) = record?;
                if let Ok(seq) = <[u8; 8]>::try_from(key.as_slice()) {
                    seqs.push_back(u64::from_be_bytes(seq));
                }
            }
            index.insert(device.clone(), seqs);
        }
        Ok(History {
            store,
            capacity: capacity.max(1),
            index,
        })
    }

    /// Stores `envelope` (event number `seq` of `device`) together with `with` in one atomic
    /// write, dropping the device's oldest events beyond the capacity.
    ///
    /// The write is staged ([`Store::stage`]), not flushed: it becomes durable with the next
    /// flush of the store (a command's, an answer's) or sled's periodic one (500 ms), so a
    /// burst of reports shares flushes. A crash may lose the last events from the history and
    /// the device's last state written with them; never their sequence numbers (the signer's
    /// ceiling is flushed before a number under it is used), and nothing of a command's
    /// guarantees (`docs/GATEWAY.md`).
    pub fn append(
        &mut self,
        device: &DeviceId,
        seq: u64,
        envelope: &[u8],
        with: WriteBatch,
    ) -> Result<()> {
        let name = tree(device);
        let seqs = self.index.entry(device.clone()).or_default();
        let mut batch = with;
        batch.put(&name, &seq.to_be_bytes(), envelope);
        let over = (seqs.len() + 1).saturating_sub(self.capacity);
        for old in seqs.iter().take(over) {
            batch.remove(&name, &old.to_be_bytes());
        }
        self.store.stage(batch)?;
        seqs.drain(..over);
        seqs.push_back(seq);
        Ok(())
    }

    /// The stored envelopes of `device` numbered above `after`, oldest first, at most
    /// `max_bytes` of them in total (the rest are for the next request).
    pub fn since(&self, device: &DeviceId, after: u64, max_bytes: usize) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut total = 0;
        if !self.index.contains_key(device) {
            return Ok(out);
        }
        for record in self.store.iter(&tree(device)) {
            let (key, value) = record?;
            let Ok(seq) = <[u8; 8]>::try_from(key.as_slice()) else {
                continue;
            };
            if u64::from_be_bytes(seq) <= after {
                continue;
            }
            total += value.len();
            if total > max_bytes {
                break;
            }
            out.push(value.to_vec());
        }
        Ok(out)
    }

    /// Adds "delete every stored event of `device`" to `batch` (for the batch that revokes its
    /// key).
    pub fn remove_into(&self, batch: &mut WriteBatch, device: &DeviceId) {
        let name = tree(device);
        for seq in self.index.get(device).into_iter().flatten() {
            batch.remove(&name, &seq.to_be_bytes());
        }
    }

    /// Forgets a device whose events' removal was applied.
    pub fn forget(&mut self, device: &DeviceId) {
        self.index.remove(device);
    }

    /// How many events of `device` are kept.
    pub fn len(&self, device: &DeviceId) -> usize {
        self.index.get(device).map_or(0, VecDeque::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KekSource;

    #[test]
    fn the_oldest_events_go_first_and_what_is_kept_survives_a_reopen() {
        let dir = crate::store::private_tempdir();
        let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("s");
        let lamp = DeviceId::new("zb:lamp").expect("id");
        let mut history = History::load(store.handle(), 3, std::iter::once(&lamp)).expect("load");
        for seq in 1..=5u64 {
            history
                .append(&lamp, seq, &[seq as u8; 4], WriteBatch::new())
                .expect("append");
        }
        assert_eq!(history.len(&lamp), 3);
        let again = History::load(store.handle(), 3, std::iter::once(&lamp)).expect("reload");
        assert_eq!(
            again.since(&lamp, 3, usize::MAX).expect("since"),
            vec![vec![4; 4], vec![5; 4]]
        );
        assert_eq!(again.since(&lamp, 0, usize::MAX).expect("since").len(), 3);
        assert_eq!(
            again.since(&lamp, 0, 9).expect("bounded"),
            vec![vec![3; 4], vec![4; 4]]
        );
        let mut batch = WriteBatch::new();
        again.remove_into(&mut batch, &lamp);
        store.apply(batch).expect("remove");
        let gone = History::load(store.handle(), 3, std::iter::once(&lamp)).expect("reload");
        assert_eq!(gone.len(&lamp), 0);
    }
}
