//! The sealed key store: one sled database at `<data_dir>/store.sled` whose every record is
//! AES-256-GCM encrypted under a random store key, itself wrapped by a key-encryption key
//! ([`KekSource`]: key file, systemd credential or passphrase). See `docs/STORE.md`.
//!
//! Every write ([`Store::put`], [`Store::remove`], [`Store::apply`]) is flushed to disk before it
//! returns, and [`Store::apply`] commits several records in several trees in one transaction,
//! so a crash leaves either all of a batch or none of it. [`Store::stage`] writes a batch just
//! as atomically without flushing, for callers that group several changes under one
//! [`Store::flush`]. The store never re-initialises an
//! existing database: a missing or wrong key is an error, not a fresh start.

mod batch;
mod error;
mod guard;
mod guard_writer;
mod kek;
mod meta;
mod name;
mod record;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use zeroize::Zeroizing;

pub use batch::WriteBatch;
pub use error::{Error, Result};
pub use guard::{GENERATION_FILE_NAME, GuardRecord, REVOCATIONS_FILE_NAME, RollbackGuard};
pub use guard_writer::GuardWriter;
pub use kek::{Argon2Params, CREDENTIALS_DIRECTORY_ENV, DEFAULT_KEY_FILE_NAME, KekKind, KekSource};
pub(crate) use kek::{SALT_LEN as ARGON2_SALT_LEN, derive_passphrase_kek};
pub(crate) use name::validate_tree_name;

use crate::crypto::{AeadKey, fill_random, random_array};
use meta::{Meta, MetaReadError, PassphraseKdf};

/// Name of the database directory inside the data directory.
pub const DB_DIR_NAME: &str = "store.sled";

/// Whether [`Store::open_or_create`] found an existing store or made a new one, so the caller
/// can tell the user to back up a freshly created key file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenOutcome {
    /// A new store (and store key) was created.
    Created,
    /// An existing store was unlocked.
    Opened,
}

/// An open, unlocked sealed store. Holds the store key in memory (zeroized on drop); `Debug`
/// shows only the path and KEK kind.
pub struct Store {
    db: sled::Db,
    store_key: AeadKey,
    path: PathBuf,
    kek_kind: KekKind,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("kek_kind", &self.kek_kind)
            .field("store_key", &"<redacted>")
            .finish()
    }
}

impl Store {
    /// Opens the store in `data_dir`, creating it (and the data directory, mode 0700) if there is
    /// no store yet. See [`Store::open_or_create`].
    pub fn open(data_dir: &Path, kek: &KekSource) -> Result<Store> {
        Self::open_or_create(data_dir, kek).map(|(store, _)| store)
    }

    /// Opens the store in `data_dir`, or creates it if the database has no meta yet.
    ///
    /// Creating: a random store key is generated, wrapped under the KEK and written to meta in
    /// one transaction, then flushed. A key-file KEK is created (mode 0600) if it does not exist;
    /// an existing key file is used. Opening: the store key is unwrapped; any failure (missing
    /// key file, wrong KEK, other KEK kind, damaged meta) is an error and nothing is changed.
    pub fn open_or_create(data_dir: &Path, kek: &KekSource) -> Result<(Store, OpenOutcome)> {
        ensure_data_dir(data_dir)?;
        let path = data_dir.join(DB_DIR_NAME);
        let db_err = |source| Error::Database {
            path: path.clone(),
            source,
        };
        let db = open_db(&path)?;
        let meta_tree = db.open_tree(name::META_TREE).map_err(db_err)?;
        let existing = match meta::read(&meta_tree) {
            Ok(m) => m,
            Err(MetaReadError::Db(e)) => return Err(db_err(e)),
            Err(MetaReadError::Store(e)) => return Err(e),
        };
        let (store_key, outcome) = match existing {
            Some(meta) => (unlock(&meta, kek, &path)?, OpenOutcome::Opened),
            None => {
                refuse_orphan_records(&db, &path)?;
                let store_key = create(&meta_tree, kek, &path)?;
                db.flush().map_err(db_err)?;
                (store_key, OpenOutcome::Created)
            }
        };
        let kek_kind = kek.kind();
        match outcome {
            OpenOutcome::Created => {
                tracing::info!(store = %path.display(), kek = %kek_kind, "created sealed store")
            }
            OpenOutcome::Opened => {
                tracing::info!(store = %path.display(), kek = %kek_kind, "opened sealed store")
            }
        }
        Ok((
            Store {
                db,
                store_key,
                path,
                kek_kind,
            },
            outcome,
        ))
    }

    /// The `store.sled` directory, for logs and diagnostics.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Which kind of KEK unlocked this store.
    pub fn kek_kind(&self) -> KekKind {
        self.kek_kind
    }

    /// A second handle on this open store (the same database and store key), so the home and
    /// the radios' records can each own one: sled lets a process open a database only once.
    /// Writes through either handle are seen by both.
    pub fn handle(&self) -> Store {
        Store {
            db: self.db.clone(),
            store_key: self.store_key.clone(),
            path: self.path.clone(),
            kek_kind: self.kek_kind,
        }
    }

    /// Reads and decrypts `tree`/`key`; `Ok(None)` if absent, [`Error::RecordTampered`] if the
    /// stored bytes do not authenticate for exactly this tree and key.
    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        name::validate_key(key)?;
        let t = self.tree(tree)?;
        match t.get(key).map_err(|e| self.db_err(e))? {
            Some(sealed) => Ok(Some(record::open(&self.store_key, tree, key, &sealed)?)),
            None => Ok(None),
        }
    }

    /// Encrypts and writes `tree`/`key` = `value`, and flushes: durable when it returns.
    pub fn put(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let t = self.tree(tree)?;
        let sealed = record::seal(&self.store_key, tree, key, value)?;
        t.insert(key, sealed).map_err(|e| self.db_err(e))?;
        self.flush()
    }

    /// Removes `tree`/`key` and flushes; returns whether a record was there.
    pub fn remove(&self, tree: &str, key: &[u8]) -> Result<bool> {
        name::validate_key(key)?;
        let t = self.tree(tree)?;
        let existed = t.remove(key).map_err(|e| self.db_err(e))?.is_some();
        self.flush()?;
        Ok(existed)
    }

    /// Iterates over `tree` in key order, decrypting each record. A record that fails
    /// authentication yields [`Error::RecordTampered`] and iteration continues with the next.
    pub fn iter(&self, tree: &str) -> Records<'_> {
        match self.tree(tree) {
            Ok(t) => Records {
                store: self,
                tree: tree.to_owned(),
                inner: Some(t.iter()),
                error: None,
            },
            Err(e) => Records {
                store: self,
                tree: tree.to_owned(),
                inner: None,
                error: Some(e),
            },
        }
    }

    /// Applies every operation of `batch` in one sled transaction over all trees it touches,
    /// then flushes: when this returns `Ok`, all of the batch is durable; after a crash at any
    /// point, either all of it or none of it is visible. Invalid tree names or keys fail before
    /// anything is written.
    pub fn apply(&self, batch: WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.stage(batch)?;
        self.flush()
    }

    /// Writes every operation of `batch` in one sled transaction, like [`Store::apply`], but
    /// does **not** flush: the batch is atomic (after a crash all of it or none of it is
    /// there) but not yet durable. It becomes durable when the next [`Store::flush`] (or any
    /// flushing write, on any handle of this store) returns, or by sled's own periodic flush
    /// (every 500 ms). Batches reach the disk in the order they were staged, so a crash keeps
    /// a prefix of them.
    ///
    /// Safe only for a change that nothing outside the process depends on until that flush:
    /// the caller flushes before it acts on the change (sends a radio request, an answer),
    /// or the change may be lost in a crash without breaking a guarantee (an event's copy in
    /// the history, once its sequence number's ceiling is durable). `docs/STORE.md`
    /// ("Durability") lists who stages what.
    pub fn stage(&self, batch: WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // Seal everything up front (validating names), so the transaction only writes bytes.
        let mut tree_index: BTreeMap<String, usize> = BTreeMap::new();
        let mut trees: Vec<sled::Tree> = Vec::new();
        let mut sealed: Vec<(usize, Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(batch.len());
        for op in &batch.ops {
            let index = match tree_index.get(&op.tree) {
                Some(&i) => i,
                None => {
                    trees.push(self.tree(&op.tree)?);
                    tree_index.insert(op.tree.clone(), trees.len() - 1);
                    trees.len() - 1
                }
            };
            name::validate_key(&op.key)?;
            let value = match &op.value {
                Some(plain) => Some(record::seal(&self.store_key, &op.tree, &op.key, plain)?),
                None => None,
            };
            sealed.push((index, op.key.clone(), value));
        }
        drop(batch);
        let result: std::result::Result<(), TransactionError<()>> =
            trees[..].transaction(|views| {
                for (index, key, value) in &sealed {
                    match value {
                        Some(v) => views[*index].insert(key.as_slice(), v.as_slice())?,
                        None => views[*index].remove(key.as_slice())?,
                    };
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        match result {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(self.db_err(e)),
            Err(TransactionError::Abort(())) => {
                return Err(self.db_err(sled::Error::ReportableBug("batch aborted".into())));
            }
        }
        Ok(())
    }

    /// The names of the trees that hold records (not `meta`, not sled's own), sorted: with
    /// [`Store::keys`] and [`Store::iter`], what a whole-store backup walks.
    pub fn tree_names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for raw in self.db.tree_names() {
            let Ok(name) = std::str::from_utf8(&raw) else {
                continue;
            };
            if name::validate_tree_name(name).is_ok() {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// The keys of `tree` in key order, without decrypting anything (so a restore can remove
    /// every record it replaces, readable or not).
    pub fn keys(&self, tree: &str) -> Result<Vec<Vec<u8>>> {
        let t = self.tree(tree)?;
        t.iter()
            .keys()
            .map(|k| k.map(|k| k.to_vec()).map_err(|e| self.db_err(e)))
            .collect()
    }

    /// Forces everything written so far to disk, staged batches ([`Store::stage`]) included:
    /// when this returns `Ok`, they are durable. The other write methods already flush.
    pub fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(|e| self.db_err(e))
    }

    /// Opens (creating if needed) a caller tree after checking its name.
    fn tree(&self, name: &str) -> Result<sled::Tree> {
        name::validate_tree_name(name)?;
        self.db.open_tree(name).map_err(|e| self.db_err(e))
    }

    fn db_err(&self, source: sled::Error) -> Error {
        Error::Database {
            path: self.path.clone(),
            source,
        }
    }

    /// The raw store key, so tests can check it never reaches the disk in the clear.
    #[cfg(test)]
    pub(crate) fn store_key_bytes(&self) -> &[u8] {
        self.store_key.as_bytes()
    }
}

/// Iterator over the decrypted records of one tree, from [`Store::iter`].
pub struct Records<'a> {
    store: &'a Store,
    tree: String,
    inner: Option<sled::Iter>,
    error: Option<Error>,
}

impl std::fmt::Debug for Records<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records")
            .field("tree", &self.tree)
            .finish_non_exhaustive()
    }
}

impl Iterator for Records<'_> {
    type Item = Result<(Vec<u8>, Zeroizing<Vec<u8>>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        let (key, sealed) = match self.inner.as_mut()?.next()? {
            Ok(kv) => kv,
            Err(e) => return Some(Err(self.store.db_err(e))),
        };
        Some(
            record::open(&self.store.store_key, &self.tree, &key, &sealed)
                .map(|plain| (key.to_vec(), plain)),
        )
    }
}

/// Creates the data directory with mode 0700 if missing; refuses an existing one that other
/// users can enter or that belongs to another user.
fn ensure_data_dir(data_dir: &Path) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|e| Error::io(data_dir, e))?;
    let meta = std::fs::metadata(data_dir).map_err(|e| Error::io(data_dir, e))?;
    kek::check_owner(meta.uid(), kek::effective_uid()).map_err(|(owner, uid)| {
        Error::DataDirNotOwned {
            path: data_dir.to_owned(),
            owner,
            uid,
        }
    })?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(Error::DataDirTooOpen {
            path: data_dir.to_owned(),
            mode: mode & 0o7777,
        });
    }
    Ok(())
}

/// A temporary directory with mode 0700, fit to be a data directory (`tempfile` creates them
/// 0755 under the usual umask, which the store refuses).
#[cfg(test)]
pub(crate) fn private_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .expect("a private temporary directory")
}

/// How long [`open_db`] waits for sled's file lock before reporting [`Error::Locked`].
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// Opens the sled database, waiting briefly for its exclusive file lock: sled releases the lock
/// of a dropped database asynchronously (background threads and deferred frees still hold it for
/// a moment), so a store dropped and reopened in the same process can find it still held.
fn open_db(path: &Path) -> Result<sled::Db> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => return Ok(db),
            Err(e) if is_lock_error(&e) => {
                if Instant::now() >= deadline {
                    return Err(Error::Locked {
                        path: path.to_owned(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(source) => {
                return Err(Error::Database {
                    path: path.to_owned(),
                    source,
                });
            }
        }
    }
}

/// sled 0.34 reports a held lock only as an `Other` I/O error with this message.
fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// Refuses to create a store key over a database that already has records (meta was lost).
fn refuse_orphan_records(db: &sled::Db, path: &Path) -> Result<()> {
    for tree_name in db.tree_names() {
        if tree_name.as_ref() == name::META_TREE.as_bytes() {
            continue;
        }
        let tree = db.open_tree(&tree_name).map_err(|source| Error::Database {
            path: path.to_owned(),
            source,
        })?;
        if !tree.is_empty() {
            return Err(Error::MetaMissing {
                path: path.to_owned(),
            });
        }
    }
    Ok(())
}

/// Unwraps the store key of an existing store with the configured KEK.
fn unlock(meta: &Meta, kek: &KekSource, path: &Path) -> Result<AeadKey> {
    if meta.kind != kek.kind() {
        return Err(Error::KekKindMismatch {
            stored: meta.kind,
            configured: kek.kind(),
        });
    }
    let kek_key = match kek {
        KekSource::KeyFile(key_path) => kek::load_key_file(key_path, path)?,
        KekSource::SystemdCredential {
            name,
            credentials_dir,
        } => kek::load_credential(name, credentials_dir.as_deref())?,
        KekSource::Passphrase { passphrase, .. } => {
            let kdf = meta.kdf.ok_or(Error::MetaCorrupt {
                what: "Argon2id salt missing",
            })?;
            kek::derive_passphrase_kek(passphrase, &kdf.salt, kdf.params)?
        }
    };
    meta::unwrap_store_key(&kek_key, meta.kind, &meta.wrapped_store_key)
}

/// Makes a new store key, wraps it under the KEK and writes meta (the caller flushes).
fn create(meta_tree: &sled::Tree, kek: &KekSource, path: &Path) -> Result<AeadKey> {
    let kind = kek.kind();
    let (kek_key, kdf) = match kek {
        KekSource::KeyFile(key_path) => {
            // Reuse a key file left by an earlier attempt (or restored), else create one.
            let key = if key_path.exists() {
                kek::load_key_file(key_path, path)?
            } else {
                kek::create_key_file(key_path)?
            };
            (key, None)
        }
        KekSource::SystemdCredential {
            name,
            credentials_dir,
        } => (
            kek::load_credential(name, credentials_dir.as_deref())?,
            None,
        ),
        KekSource::Passphrase { passphrase, params } => {
            let salt = random_array::<{ kek::SALT_LEN }>()?;
            let key = kek::derive_passphrase_kek(passphrase, &salt, *params)?;
            (
                key,
                Some(PassphraseKdf {
                    salt,
                    params: *params,
                }),
            )
        }
    };
    // Generated in place, so the only copy of the store key is the zeroize-on-drop one.
    let mut store_key = AeadKey::Aes256([0u8; 32]);
    if let AeadKey::Aes256(bytes) = &mut store_key {
        fill_random(bytes)?;
    }
    let wrapped_store_key = meta::wrap_store_key(&kek_key, kind, &store_key)?;
    meta::write(
        meta_tree,
        &Meta {
            kind,
            wrapped_store_key,
            kdf,
        },
    )
    .map_err(|source| Error::Database {
        path: path.to_owned(),
        source,
    })?;
    Ok(store_key)
}
