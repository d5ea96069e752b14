//! The command journal: what became of each command, sealed, so a command runs at most once
//! even when its envelope arrives twice or the hub restarts in between.
//!
//! Keyed by the signer's kid and the command's sequence number (the pair the replay window
//! refuses twice). A command's entry is staged after `Home::open_command_staged` returns, and
//! the window, the entry and the store's generation are flushed together
//! (`Home::make_durable`) before anything is asked of a radio:
//!
//! - `Accepted`: the command waits for its turn (the device is busy with an earlier command,
//!   or its radio is not up). After a restart it runs.
//! - `Sent`: its first radio request is about to be handed out. After a restart it is answered
//!   `Interrupted`: it may or may not have run, and running it again could do it twice.
//! - `Answered`: the response envelope, sent again to a duplicate of the command.
//!
//! Answered entries are dropped once the replay window cannot reach them any more (their
//! sequence number is `WINDOW` or more below the highest seen from that kid): the window
//! refuses such a duplicate anyway, and the client has long moved on.

use std::collections::BTreeMap;

use coset::cbor::value::Value;
use serde::{Deserialize, Serialize};

use super::{Error, Result};
use crate::envelope::replay::WINDOW;
use crate::identity::Kid;
use crate::store::{Store, WriteBatch};

/// The journal's store tree.
pub const TREE: &str = "gateway-journal";

/// One command: its signer and sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandKey {
    /// The signer's kid.
    pub kid: Kid,
    /// The command's body sequence number.
    pub seq: u64,
}

impl CommandKey {
    fn to_bytes(self) -> [u8; 16] {
        let mut out = [0; 16];
        out[..8].copy_from_slice(&self.kid.0);
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let kid: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
        let seq: [u8; 8] = bytes.get(8..)?.try_into().ok()?;
        Some(CommandKey {
            kid: Kid(kid),
            seq: u64::from_be_bytes(seq),
        })
    }
}

/// How far a command got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Opened and checked; waiting for its turn. Nothing was asked of a radio.
    Accepted,
    /// Handed to a radio (or about to be).
    Sent,
    /// Answered: the entry holds the response.
    Answered,
}

/// A command's entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// How far it got.
    pub stage: Stage,
    /// The device it is for (the route's).
    pub device: String,
    /// The client that sent it.
    pub client: String,
    /// Its `msg_id`, which the response names in `re`.
    pub msg_id: [u8; 8],
    /// The command body, to run it after a restart and to word its answer.
    pub command: Value,
    /// The interim answer (`Queued`, for a sleeping device) once sent.
    pub interim: Option<Vec<u8>>,
    /// The response envelope once answered.
    pub answer: Option<Vec<u8>>,
}

/// Every command not yet forgotten.
#[derive(Debug)]
pub struct Journal {
    store: Store,
    entries: BTreeMap<CommandKey, Entry>,
}

impl Journal {
    /// Reads the journal.
    pub fn load(store: Store) -> Result<Journal> {
        let mut entries = BTreeMap::new();
        for record in store.iter(TREE) {
            let (key, value) = record?;
            let key = CommandKey::from_bytes(&key)
                .ok_or_else(|| Error::Corrupt(format!("{TREE}: a key of {} bytes", key.len())))?;
            let entry: Entry = ciborium::de::from_reader(value.as_slice())
                .map_err(|e| Error::Corrupt(format!("{TREE}: {e}")))?;
            entries.insert(key, entry);
        }
        Ok(Journal { store, entries })
    }

    /// A command's entry.
    pub fn get(&self, key: &CommandKey) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&CommandKey, &Entry)> {
        self.entries.iter()
    }

    /// What to send again to a duplicate of `key`: the answer, or the interim one.
    pub fn answer_for(&self, key: &CommandKey) -> Option<&[u8]> {
        let entry = self.entries.get(key)?;
        entry.answer.as_deref().or(entry.interim.as_deref())
    }

    /// Writes `entry` for `key` (durable when this returns), dropping in the same write the
    /// answered entries of the same signer the replay window no longer reaches.
    pub fn write(&mut self, key: CommandKey, entry: Entry) -> Result<()> {
        self.put(key, entry, WriteBatch::new(), true)
    }

    /// [`Journal::write`] **staged** ([`Store::stage`]): atomic, durable at the next flush.
    /// For a new command's entry, written after `Home::open_command_staged` and flushed with
    /// its replay window by `Home::make_durable` before anything is asked of a radio.
    pub fn stage(&mut self, key: CommandKey, entry: Entry) -> Result<()> {
        self.put(key, entry, WriteBatch::new(), false)
    }

    /// [`Journal::write`] **staged**, with `with` (other records that change with the entry,
    /// such as the device's last state) in the same atomic write: for a command's answer, sent to the client before
    /// the flush that makes it durable ([`Journal::flush`]); see `docs/GATEWAY.md` ("Flushes
    /// per command") for what a crash in between leaves.
    pub fn stage_with(&mut self, key: CommandKey, entry: Entry, with: WriteBatch) -> Result<()> {
        self.put(key, entry, with, false)
    }

    fn put(&mut self, key: CommandKey, entry: Entry, with: WriteBatch, flush: bool) -> Result<()> {
        let highest = self
            .entries
            .range(
                CommandKey {
                    kid: key.kid,
                    seq: 0,
                }..=CommandKey {
                    kid: key.kid,
                    seq: u64::MAX,
                },
            )
            .map(|(k, _)| k.seq)
            .chain(std::iter::once(key.seq))
            .max()
            .unwrap_or(key.seq);
        let stale: Vec<CommandKey> = self
            .entries
            .iter()
            .filter(|(k, e)| {
                k.kid == key.kid
                    && **k != key
                    && e.stage == Stage::Answered
                    && k.seq.saturating_add(WINDOW) <= highest
            })
            .map(|(k, _)| *k)
            .collect();
        let mut value = Vec::new();
        ciborium::ser::into_writer(&entry, &mut value)
            .map_err(|e| Error::Corrupt(format!("{TREE}: cannot encode an entry: {e}")))?;
        let mut batch = with;
        batch.put(TREE, &key.to_bytes(), &value);
        for k in &stale {
            batch.remove(TREE, &k.to_bytes());
        }
        if flush {
            self.store.apply(batch)?;
        } else {
            self.store.stage(batch)?;
        }
        for k in &stale {
            self.entries.remove(k);
        }
        self.entries.insert(key, entry);
        Ok(())
    }

    /// Moves `key` to `stage` (durable when this returns).
    pub fn set_stage(&mut self, key: CommandKey, stage: Stage) -> Result<()> {
        let Some(mut entry) = self.entries.get(&key).cloned() else {
            return Ok(());
        };
        entry.stage = stage;
        self.write(key, entry)
    }

    /// Records the interim answer sent for `key`.
    pub fn set_interim(&mut self, key: CommandKey, interim: Vec<u8>) -> Result<()> {
        let Some(mut entry) = self.entries.get(&key).cloned() else {
            return Ok(());
        };
        entry.interim = Some(interim);
        self.write(key, entry)
    }

    /// Records the answer for `key`.
    pub fn answer(&mut self, key: CommandKey, answer: Vec<u8>) -> Result<()> {
        let Some(mut entry) = self.entries.get(&key).cloned() else {
            return Ok(());
        };
        entry.stage = Stage::Answered;
        entry.answer = Some(answer);
        self.write(key, entry)
    }

    /// Forgets every entry of a signer (a removed client).
    pub fn forget_signer(&mut self, kid: Kid) -> Result<()> {
        let keys: Vec<CommandKey> = self
            .entries
            .keys()
            .filter(|k| k.kid == kid)
            .copied()
            .collect();
        let mut batch = WriteBatch::new();
        for k in &keys {
            batch.remove(TREE, &k.to_bytes());
        }
        self.store.apply(batch)?;
        for k in &keys {
            self.entries.remove(k);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KekSource;

    fn entry(stage: Stage) -> Entry {
        Entry {
            stage,
            device: "zb:lamp".into(),
            client: "phone".into(),
            msg_id: [1; 8],
            command: Value::Null,
            interim: None,
            answer: (stage == Stage::Answered).then(|| vec![7]),
        }
    }

    #[test]
    fn answered_entries_the_window_cannot_reach_are_dropped_and_the_rest_kept() {
        let dir = crate::store::private_tempdir();
        let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("s");
        let mut journal = Journal::load(store.handle()).expect("load");
        let kid = Kid([3; 8]);
        let other = Kid([4; 8]);
        let key = |kid, seq| CommandKey { kid, seq };
        journal
            .write(key(kid, 1), entry(Stage::Answered))
            .expect("w");
        journal.write(key(kid, 2), entry(Stage::Sent)).expect("w");
        journal
            .write(key(other, 1), entry(Stage::Answered))
            .expect("w");
        assert_eq!(journal.answer_for(&key(kid, 1)), Some(&[7u8][..]));
        // 1 + WINDOW: seq 1 is now out of reach; the unanswered seq 2 stays whatever happens.
        journal
            .write(key(kid, 1 + WINDOW), entry(Stage::Answered))
            .expect("w");
        let reopened = Journal::load(store.handle()).expect("reload");
        assert!(reopened.get(&key(kid, 1)).is_none());
        assert_eq!(
            reopened.get(&key(kid, 2)).map(|e| e.stage),
            Some(Stage::Sent)
        );
        assert!(reopened.get(&key(kid, 1 + WINDOW)).is_some());
        assert!(reopened.get(&key(other, 1)).is_some(), "another signer's");
        let mut reopened = reopened;
        reopened.forget_signer(kid).expect("forget");
        assert_eq!(reopened.iter().count(), 1);
    }
}
