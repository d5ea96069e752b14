//! The rollback guard: a small record kept **outside** the sealed store, where restoring an
//! older copy of the database (or of single records) does not roll it back too, so that such a
//! restore is noticed instead of silently undoing sequence ceilings, replay windows and
//! revocations (`docs/STORE.md`, "Rollback").
//!
//! Two files in the guard's directory, each replaced atomically (written to a temporary name,
//! fsynced, renamed, directory fsynced):
//!
//! ```text
//! store.generation     text, exactly:  "sealhub rollback guard 1\ngeneration <u64>\nepoch <u32>\n"
//! store.revocations    the newest signed revocation list (not secret; verified when read)
//! ```
//!
//! The store layer only keeps these files; what a generation means, and what to do when the
//! store is older than its guard, is the home's business (`keymgmt::Home`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::kek::sync_parent_dir;
use super::{Error, KekSource, Result};
use crate::crypto::random_array;

/// The generation file's name in the guard directory.
pub const GENERATION_FILE_NAME: &str = "store.generation";
/// The revocation list copy's name in the guard directory.
pub const REVOCATIONS_FILE_NAME: &str = "store.revocations";

const HEADER: &str = "sealhub rollback guard 1";
/// Far above any generation file; a larger one is not ours.
const MAX_GENERATION_FILE_LEN: u64 = 256;
/// As large as a revocation list may be, plus room.
const MAX_REVOCATIONS_FILE_LEN: u64 = 64 * 1024;

/// What the guard remembers of the store's newest state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardRecord {
    /// The store's generation: bumped with every flushed change that matters.
    pub generation: u64,
    /// The home's epoch at that generation.
    pub epoch: u32,
}

/// Where the rollback guard lives: a directory the store's backups and restores do not touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackGuard {
    dir: PathBuf,
}

impl RollbackGuard {
    /// The guard in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        RollbackGuard { dir: dir.into() }
    }

    /// The default place: beside the key file for a key-file KEK (so a key file kept off the
    /// data partition takes the guard with it), else in the data directory (which only
    /// catches a restore of the database alone; configure another directory for more).
    pub fn for_kek(kek: &KekSource, data_dir: &Path) -> Self {
        match kek {
            KekSource::KeyFile(path) => match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => Self::in_dir(dir),
                _ => Self::in_dir(data_dir),
            },
            _ => Self::in_dir(data_dir),
        }
    }

    /// The guard's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The generation file.
    pub fn generation_path(&self) -> PathBuf {
        self.dir.join(GENERATION_FILE_NAME)
    }

    /// The revocation list copy.
    pub fn revocations_path(&self) -> PathBuf {
        self.dir.join(REVOCATIONS_FILE_NAME)
    }

    /// The recorded generation and epoch; `None` when no guard was written here yet.
    pub fn read(&self) -> Result<Option<GuardRecord>> {
        let path = self.generation_path();
        let Some(bytes) = read_small(&path, MAX_GENERATION_FILE_LEN)? else {
            return Ok(None);
        };
        parse(&bytes).map(Some).ok_or(Error::GuardDamaged { path })
    }

    /// Records `record`, replacing the file atomically and durably.
    pub fn record(&self, record: GuardRecord) -> Result<()> {
        let text = format!(
            "{HEADER}\ngeneration {}\nepoch {}\n",
            record.generation, record.epoch
        );
        write_atomically(&self.generation_path(), text.as_bytes())
    }

    /// The signed revocation list copy, if one was written.
    pub fn revocations(&self) -> Result<Option<Vec<u8>>> {
        read_small(&self.revocations_path(), MAX_REVOCATIONS_FILE_LEN)
    }

    /// Records the newest signed revocation list, atomically and durably.
    pub fn record_revocations(&self, signed_list: &[u8]) -> Result<()> {
        write_atomically(&self.revocations_path(), signed_list)
    }
}

fn parse(bytes: &[u8]) -> Option<GuardRecord> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.strip_suffix('\n')?.split('\n');
    if lines.next()? != HEADER {
        return None;
    }
    let number = |line: Option<&str>, name: &str| -> Option<String> {
        let value = line?.strip_prefix(name)?.strip_prefix(' ')?;
        // Canonical decimal only: no sign, no leading zero, no spaces.
        let canonical = !value.is_empty()
            && value.bytes().all(|b| b.is_ascii_digit())
            && (value == "0" || !value.starts_with('0'));
        canonical.then(|| value.to_owned())
    };
    let generation = number(lines.next(), "generation")?.parse().ok()?;
    let epoch = number(lines.next(), "epoch")?.parse().ok()?;
    lines
        .next()
        .is_none()
        .then_some(GuardRecord { generation, epoch })
}

fn read_small(path: &Path, max: u64) -> Result<Option<Vec<u8>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(Error::GuardDamaged {
            path: path.to_owned(),
        });
    }
    Ok(Some(bytes))
}

/// Writes `bytes` to a temporary file beside `path` (mode 0600), syncs it, renames it over
/// `path` and syncs the directory: after a crash `path` holds the old or the new content,
/// never a mix.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| {
        Error::io(
            path,
            std::io::Error::other("the guard path has no directory"),
        )
    })?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", hex::encode(random_array::<8>()?)));
    let written = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(|e| Error::io(path, e))?;
    sync_parent_dir(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_anything_else_is_damaged() {
        let dir = crate::store::private_tempdir();
        let guard = RollbackGuard::in_dir(dir.path());
        assert_eq!(guard.read().expect("read"), None);
        let record = GuardRecord {
            generation: u64::MAX,
            epoch: 7,
        };
        guard.record(record).expect("write");
        assert_eq!(guard.read().expect("read"), Some(record));
        assert_eq!(
            std::fs::read_to_string(guard.generation_path()).expect("text"),
            format!(
                "sealhub rollback guard 1\ngeneration {}\nepoch 7\n",
                u64::MAX
            )
        );
        for bad in [
            "sealhub rollback guard 1\ngeneration 01\nepoch 7\n",
            "sealhub rollback guard 1\ngeneration 1\nepoch 7",
            "sealhub rollback guard 1\ngeneration -1\nepoch 7\n",
            "sealhub rollback guard 1\ngeneration 1\nepoch 7\nextra\n",
            "sealhub rollback guard 2\ngeneration 1\nepoch 7\n",
            "sealhub rollback guard 1\ngeneration 1\nepoch 4294967296\n",
        ] {
            std::fs::write(guard.generation_path(), bad).expect("write");
            assert!(
                matches!(guard.read(), Err(Error::GuardDamaged { .. })),
                "{bad:?}"
            );
        }
        guard.record_revocations(b"list").expect("write");
        assert_eq!(guard.revocations().expect("read"), Some(b"list".to_vec()));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }

    #[test]
    fn the_default_place_is_beside_the_key_file_or_in_the_data_directory() {
        let data = Path::new("/var/lib/sealhub");
        assert_eq!(
            RollbackGuard::for_kek(&KekSource::KeyFile("/etc/sealhub/store.key".into()), data),
            RollbackGuard::in_dir("/etc/sealhub")
        );
        assert_eq!(
            RollbackGuard::for_kek(
                &KekSource::SystemdCredential {
                    name: "k".into(),
                    credentials_dir: None
                },
                data
            ),
            RollbackGuard::in_dir(data)
        );
    }
}
