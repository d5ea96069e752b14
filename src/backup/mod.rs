//! `sealhub backup` and `sealhub restore`: the whole hub (every record of the sealed store: the
//! home's keys and certificates, paired clients, device keys and state, the Zigbee network
//! backup, the Z-Wave keys and node records, the TLS identity) as one encrypted file, and back.
//!
//! Data flow: [`create`] takes a [`Snapshot`] of an open [`Store`] (the caller holds the
//! store's exclusive lock, so nothing writes while it is read: the snapshot is consistent) and
//! seals it under a backup passphrase ([`file`]: Argon2id, then AES-256-GCM with the whole
//! header as AAD). [`open`] checks and decrypts a file before anything is touched; [`restore`]
//! compares generations and replaces the store's contents in one atomic batch.
//!
//! Why a passphrase and not the store's own key: the store key is wrapped by a KEK that may be a
//! TPM-bound systemd credential or a key file on the same SD card — exactly what is lost with the
//! Pi. A passphrase the user keeps opens the backup on a new machine, whose store is then sealed
//! under that machine's KEK. See `docs/STORE.md`.

mod error;
pub mod file;
mod snapshot;

use zeroize::Zeroizing;

pub use error::{Error, Result};
pub use file::{BackupHeader, DEFAULT_KDF};
pub use snapshot::Snapshot;

use crate::store::{Argon2Params, Store};

/// Where the backup counter lives in the store (see [`store_generation`]).
pub const GENERATION_TREE: &str = "backup";
/// Its key.
pub const GENERATION_KEY: &[u8] = b"generation";
/// The home's own generation (`hub/generation`, bumped by every change of the home, kept by
/// the rollback guard), used instead of the backup counter when the store has it.
const HOME_GENERATION: (&str, &[u8]) = ("hub", b"generation");

/// The shortest backup passphrase accepted, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

fn read_u64(store: &Store, tree: &str, key: &[u8]) -> Result<Option<u64>> {
    let Some(value) = store.get(tree, key)? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = value.as_slice().try_into().map_err(|_| Error::Malformed {
        what: format!("{tree}/{} is not a u64", String::from_utf8_lossy(key)),
    })?;
    Ok(Some(u64::from_be_bytes(bytes)))
}

/// How far along a store is, to refuse restoring an older backup over a newer store: the
/// home's generation (`hub/generation`) where the store has one, else the backup counter
/// (`backup/generation`, raised by every [`create`]), else 0 (a store never backed up).
pub fn store_generation(store: &Store) -> Result<u64> {
    if let Some(g) = read_u64(store, HOME_GENERATION.0, HOME_GENERATION.1)? {
        return Ok(g);
    }
    Ok(read_u64(store, GENERATION_TREE, GENERATION_KEY)?.unwrap_or(0))
}

/// What a backup holds, for the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    /// The store generation it was taken at.
    pub generation: u64,
    /// When it was taken, Unix seconds.
    pub created_unix_secs: u64,
    /// Record count per tree.
    pub trees: Vec<(String, usize)>,
    /// The backup counter the snapshot carries.
    pub backup_counter: u64,
}

impl BackupSummary {
    fn of(header: &BackupHeader, snapshot: &Snapshot) -> Self {
        Self {
            generation: header.generation,
            created_unix_secs: header.created_unix_secs,
            trees: snapshot
                .trees()
                .map(|(name, n)| (name.to_owned(), n))
                .collect(),
            backup_counter: snapshot
                .get(GENERATION_TREE, GENERATION_KEY)
                .and_then(|v| <[u8; 8]>::try_from(v).ok())
                .map_or(0, u64::from_be_bytes),
        }
    }

    /// Records in all.
    pub fn records(&self) -> usize {
        self.trees.iter().map(|(_, n)| n).sum()
    }
}

/// Takes a snapshot of `store` and seals it under `passphrase`: returns the file's bytes. The
/// snapshot carries the store's backup counter raised by one; once the file is safely written,
/// [`record_written`] raises the store's own counter to match. (A crash in between leaves the
/// store one behind the file, so that file still restores without `--force`.)
pub fn create(
    store: &Store,
    passphrase: &str,
    kdf: Argon2Params,
    now_unix_secs: u64,
) -> Result<(Vec<u8>, BackupSummary)> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(Error::WeakPassphrase {
            len: chars,
            min: MIN_PASSPHRASE_CHARS,
        });
    }
    let counter = read_u64(store, GENERATION_TREE, GENERATION_KEY)?
        .unwrap_or(0)
        .saturating_add(1);
    let mut snapshot = Snapshot::take(store)?;
    snapshot.insert(GENERATION_TREE, GENERATION_KEY, &counter.to_be_bytes());
    let generation = match read_u64(store, HOME_GENERATION.0, HOME_GENERATION.1)? {
        Some(home) => home,
        None => counter,
    };
    let plain: Zeroizing<Vec<u8>> = snapshot.encode();
    let bytes = file::seal(&plain, passphrase, kdf, generation, now_unix_secs)?;
    let header = BackupHeader::decode(&bytes)?;
    Ok((bytes, BackupSummary::of(&header, &snapshot)))
}

/// Records in `store` that the backup `summary` describes was written, raising the store's
/// backup counter to the backup's (see [`store_generation`]).
pub fn record_written(store: &Store, summary: &BackupSummary) -> Result<()> {
    store.put(
        GENERATION_TREE,
        GENERATION_KEY,
        &summary.backup_counter.to_be_bytes(),
    )?;
    Ok(())
}

/// A backup file checked and decrypted, ready to restore.
#[derive(Debug)]
pub struct OpenedBackup {
    /// Its header.
    pub header: BackupHeader,
    /// Its contents.
    pub snapshot: Snapshot,
}

impl OpenedBackup {
    /// What it holds.
    pub fn summary(&self) -> BackupSummary {
        BackupSummary::of(&self.header, &self.snapshot)
    }
}

/// Checks and decrypts a backup file. Refuses a file that is not a backup, of another
/// version, truncated or extended, with a wrong passphrase, altered in any byte, or whose
/// contents do not parse; nothing is touched in any case.
pub fn open(file: &[u8], passphrase: &str) -> Result<OpenedBackup> {
    let (header, plain) = file::open(file, passphrase)?;
    let snapshot = Snapshot::decode(&plain)?;
    Ok(OpenedBackup { header, snapshot })
}

/// Replaces everything in `store` with the backup's records, in one atomic batch. Refuses
/// ([`Error::OlderThanStore`]) when the store's generation is above the backup's, unless
/// `force`. The caller holds the store open, so no hub runs on it meanwhile (sled's lock).
pub fn restore(store: &Store, backup: &OpenedBackup, force: bool) -> Result<BackupSummary> {
    let current = store_generation(store)?;
    if current > backup.header.generation && !force {
        return Err(Error::OlderThanStore {
            backup: backup.header.generation,
            store: current,
        });
    }
    backup.snapshot.replace_contents_of(store)?;
    Ok(backup.summary())
}

#[cfg(test)]
mod tests;
