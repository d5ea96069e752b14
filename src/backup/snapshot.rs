//! The contents of a backup: every record of every tree of the sealed store, decrypted, in a
//! small length-prefixed binary layout (so every copy of a value lives in a zeroize-on-drop
//! buffer, which a CBOR value tree would not give).
//!
//! ```text
//! u8  layout version (1)
//! u32 number of trees, then per tree, names in strictly increasing byte order:
//!     u8 name length (1..=255), name (UTF-8, a valid store tree name)
//!     u32 number of records, then per record, keys in strictly increasing byte order:
//!         u16 key length, key
//!         u32 value length, value
//! ```
//! All integers big-endian; nothing may follow the last record. The order rules make the
//! encoding of a snapshot unique.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::{Error, Result};
use crate::store::{Store, WriteBatch, validate_tree_name};

/// The snapshot layout this build reads and writes.
const LAYOUT_VERSION: u8 = 1;

/// Every record of a store, decrypted; values are zeroized when dropped, and `Debug` shows only
/// tree names and record counts.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Snapshot {
    trees: BTreeMap<String, BTreeMap<Vec<u8>, Zeroizing<Vec<u8>>>>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.trees
                    .iter()
                    .map(|(name, records)| (name, records.len())),
            )
            .finish()
    }
}

fn malformed(what: impl Into<String>) -> Error {
    Error::Malformed { what: what.into() }
}

/// A cursor over the snapshot's bytes that refuses to read past the end.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(malformed(format!("{what} runs past the end")));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Snapshot {
    /// Reads every record of every tree of `store`. A record that does not authenticate stops
    /// the backup: a backup that silently left records out would be found wanting only when
    /// it is needed.
    pub fn take(store: &Store) -> Result<Snapshot> {
        let mut snapshot = Snapshot::default();
        for tree in store.tree_names()? {
            let mut records = BTreeMap::new();
            for record in store.iter(&tree) {
                let (key, value) = record?;
                records.insert(key, value);
            }
            if !records.is_empty() {
                snapshot.trees.insert(tree, records);
            }
        }
        Ok(snapshot)
    }

    /// Adds or replaces one record (for tests and for building a snapshot by hand).
    pub fn insert(&mut self, tree: &str, key: &[u8], value: &[u8]) {
        self.trees
            .entry(tree.to_owned())
            .or_default()
            .insert(key.to_vec(), Zeroizing::new(value.to_vec()));
    }

    /// The value of `tree`/`key`, if the snapshot has it.
    pub fn get(&self, tree: &str, key: &[u8]) -> Option<&[u8]> {
        self.trees.get(tree)?.get(key).map(|v| v.as_slice())
    }

    /// The trees and how many records each holds.
    pub fn trees(&self) -> impl Iterator<Item = (&str, usize)> {
        self.trees.iter().map(|(name, r)| (name.as_str(), r.len()))
    }

    /// How many records in all.
    pub fn record_count(&self) -> usize {
        self.trees.values().map(BTreeMap::len).sum()
    }

    /// The snapshot's bytes (zeroized on drop: they hold every secret of the hub).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::new());
        out.push(LAYOUT_VERSION);
        out.extend_from_slice(&(self.trees.len() as u32).to_be_bytes());
        for (name, records) in &self.trees {
            // Tree names are at most 255 bytes (the store refuses longer ones, and so does
            // `decode`); keys fit u16 likewise.
            out.push(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(records.len() as u32).to_be_bytes());
            for (key, value) in records {
                out.extend_from_slice(&(key.len() as u16).to_be_bytes());
                out.extend_from_slice(key);
                out.extend_from_slice(&(value.len() as u32).to_be_bytes());
                out.extend_from_slice(value);
            }
        }
        out
    }

    /// Parses the snapshot's bytes, the mirror of [`Snapshot::encode`]: refuses another
    /// layout version, invalid or unordered tree names, unordered or repeated keys, empty
    /// trees, lengths past the end and trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Snapshot> {
        let mut r = Reader { bytes };
        let version = r.u8("the layout version")?;
        if version != LAYOUT_VERSION {
            return Err(malformed(format!("unknown snapshot layout {version}")));
        }
        let tree_count = r.u32("the tree count")?;
        let mut trees = BTreeMap::new();
        let mut last_tree: Option<String> = None;
        for _ in 0..tree_count {
            let name_len = usize::from(r.u8("a tree name's length")?);
            let name = std::str::from_utf8(r.take(name_len, "a tree name")?)
                .map_err(|_| malformed("a tree name is not UTF-8"))?
                .to_owned();
            validate_tree_name(&name).map_err(|e| malformed(e.to_string()))?;
            if last_tree.as_ref().is_some_and(|last| *last >= name) {
                return Err(malformed("tree names out of order or repeated"));
            }
            let record_count = r.u32("a record count")?;
            if record_count == 0 {
                return Err(malformed(format!("tree {name} is empty")));
            }
            let mut records: BTreeMap<Vec<u8>, Zeroizing<Vec<u8>>> = BTreeMap::new();
            let mut last_key: Option<Vec<u8>> = None;
            for _ in 0..record_count {
                let key_len = usize::from(r.u16("a key's length")?);
                let key = r.take(key_len, "a key")?.to_vec();
                if last_key.as_ref().is_some_and(|last| *last >= key) {
                    return Err(malformed(format!(
                        "keys of tree {name} out of order or repeated"
                    )));
                }
                let value_len = r.u32("a value's length")? as usize;
                let value = Zeroizing::new(r.take(value_len, "a value")?.to_vec());
                records.insert(key.clone(), value);
                last_key = Some(key);
            }
            trees.insert(name.clone(), records);
            last_tree = Some(name);
        }
        if !r.bytes.is_empty() {
            return Err(malformed(format!(
                "{} bytes after the last record",
                r.bytes.len()
            )));
        }
        Ok(Snapshot { trees })
    }

    /// Makes `store` hold exactly this snapshot: every record it has now is removed and every
    /// record of the snapshot written, in one atomic, flushed batch (a crash leaves the old
    /// store or the restored one, never a mix).
    pub fn replace_contents_of(&self, store: &Store) -> Result<()> {
        let mut batch = WriteBatch::new();
        for tree in store.tree_names()? {
            for key in store.keys(&tree)? {
                batch.remove(&tree, &key);
            }
        }
        for (tree, records) in &self.trees {
            for (key, value) in records {
                batch.put(tree, key, value);
            }
        }
        store.apply(batch)?;
        Ok(())
    }
}
