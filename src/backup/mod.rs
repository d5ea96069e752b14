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

use crate::keymgmt::Home;
use crate::store::{Argon2Params, GuardRecord, RollbackGuard, Store};

/// The shortest backup passphrase accepted, in characters.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Where the home's root key lives: two stores hold the same home when it is the same.
const HOME_ROOT_KEY: (&str, &[u8]) = ("hub", b"root-key");

/// How far along a store is: the home's generation (`hub/generation`, bumped in the same
/// atomic batch as every change that matters and kept also by the rollback guard), or 0 for a
/// store that holds no home. A backup records it; a restore refuses to go below it.
pub fn store_generation(store: &Store) -> Result<u64> {
    Ok(Home::stored_state(store)?.map_or(0, |s| s.generation))
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
        }
    }

    /// Records in all.
    pub fn records(&self) -> usize {
        self.trees.iter().map(|(_, n)| n).sum()
    }
}

/// Takes a snapshot of `store` and seals it under `passphrase`: returns the file's bytes. The
/// header records the store's generation ([`store_generation`]); nothing in the store changes
/// (a backup is no change of the home: it moves no counter and needs no guard update).
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
    let generation = store_generation(store)?;
    let snapshot = Snapshot::take(store)?;
    let plain: Zeroizing<Vec<u8>> = snapshot.encode();
    let bytes = file::seal(&plain, passphrase, kdf, generation, now_unix_secs)?;
    let header = BackupHeader::decode(&bytes)?;
    Ok((bytes, BackupSummary::of(&header, &snapshot)))
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

/// What a restore did, and whether the hub will start on the restored store as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    /// What was restored.
    pub summary: BackupSummary,
    /// What the rollback guard records, after the restore (`None`: no guard here).
    pub guard: Option<GuardRecord>,
    /// Whether the hub will refuse the restored store until `sealhub restore-ack`
    /// (`keymgmt::Home::recover_from_rollback`): the guard records a later generation (the
    /// home went on after the backup was taken), or the guard is missing (a new machine, or a
    /// lost data directory with the guard in it) for a home that has changed since it was
    /// created. The same test as `Home::open_guarded`'s.
    pub needs_ack: bool,
}

/// Replaces everything in `store` with the backup's records, in one atomic batch. Refuses,
/// unless `force`, when the store's generation is above the backup's
/// ([`Error::OlderThanStore`]) or the store holds another home ([`Error::OtherHome`]). The
/// caller holds the store open, so no hub runs on it meanwhile (sled's lock).
///
/// The rollback guard is never set back: a restored store is a rolled-back store whenever the
/// home went on after the backup was taken, and only `sealhub restore-ack` makes that safe
/// (sequence numbers moved past any the lost changes used, revocations the guard kept, a new
/// epoch). Before the records are replaced, a guard left behind the replaced store of the same
/// home (a crash between the store's write and the guard's) is brought up to it, so that what
/// the replaced store had done counts too.
pub fn restore(
    store: &Store,
    backup: &OpenedBackup,
    guard: &RollbackGuard,
    force: bool,
) -> Result<Restored> {
    let replaced = Home::stored_state(store)?;
    let current = replaced.map_or(0, |s| s.generation);
    if current > backup.header.generation && !force {
        return Err(Error::OlderThanStore {
            backup: backup.header.generation,
            store: current,
        });
    }
    let same = same_home(store, &backup.snapshot)?;
    if replaced.is_some() && !same && !force {
        return Err(Error::OtherHome);
    }
    let mut recorded = guard.read()?;
    match replaced {
        Some(replaced) if same && recorded.is_none_or(|g| g.generation < replaced.generation) => {
            guard.record(replaced)?;
            recorded = Some(replaced);
        }
        Some(_) if same => {}
        // The guard of a home being replaced on purpose (`force`) says nothing of the
        // restored one (its revocation list is signed by another root key): retired, so that
        // the restored home is treated as moved here (`restore-ack` when it has changed).
        Some(_) => {
            retire(guard)?;
            recorded = None;
        }
        None => {}
    }
    backup.snapshot.replace_contents_of(store)?;
    let restored = backup.header.generation;
    let needs_ack = match recorded {
        Some(g) => g.generation > restored,
        // A home created and never changed has generation 1 (as `Home::open_guarded`).
        None => restored > 1,
    };
    Ok(Restored {
        summary: backup.summary(),
        guard: recorded,
        needs_ack,
    })
}

/// Removes the guard's files (a guard of a home that a forced restore replaced).
fn retire(guard: &RollbackGuard) -> Result<()> {
    for path in [guard.generation_path(), guard.revocations_path()] {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(crate::store::Error::io(&path, e).into());
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `store` holds the home the snapshot holds (the same root key).
fn same_home(store: &Store, snapshot: &Snapshot) -> Result<bool> {
    let (tree, key) = HOME_ROOT_KEY;
    let ours = store.get(tree, key)?;
    Ok(match (ours.as_deref(), snapshot.get(tree, key)) {
        (Some(a), Some(b)) => a.as_slice() == b,
        _ => false,
    })
}

#[cfg(test)]
mod tests;
