//! `sealhub import`: bringing a home that another hub already runs into sealhub's sealed store,
//! so that its devices keep working without being paired again.
//!
//! Two sources are read, each from its own data directory:
//!
//! - [`zigbee2mqtt`]: Zigbee2MQTT's `coordinator_backup.json` (the open coordinator backup:
//!   network key, PAN, channel, frame counter, trust-centre link keys), `database.db`
//!   (zigbee-herdsman's device database) and the friendly names of `configuration.yaml`.
//! - [`zwave_js`]: Z-Wave JS's network cache (`<homeid>.jsonl`, its values, or the older
//!   `<homeid>.json`) and its S0/S2 network keys (Z-Wave JS UI's `settings.json`, or a keys
//!   file).
//!
//! Each source is parsed by pure functions (text in, checked records out; each has a fuzz
//! target), then [`register`] writes what they found: the radio's secrets into the records the
//! runtime reads at start-up (`crate::radio`), and every device into the gateway's registry
//! with its own key and certificate, issued in the same atomic write as its record, exactly as
//! when a device joins. Nothing touches a stick: the next `sealhub run` restores the imported
//! Zigbee network onto the stick (or resumes it, when it is the stick the old hub used) and
//! gives the Z-Wave driver the keys and every node's granted classes.
//!
//! An import is safe to repeat: devices the registry already holds are left as they are, and
//! a network or key that differs from the one already stored is refused rather than overwritten
//! (that would strand the devices paired under the stored one).

pub mod register;
pub mod zigbee2mqtt;
pub mod zwave_js;

use std::path::{Path, PathBuf};

/// Why a file of the other hub was refused: the place in it and what is wrong. Never holds key
/// material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{what}", .line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct FormatError {
    /// The 1-based line, for line-oriented files.
    pub line: Option<usize>,
    /// What is wrong (a field path and the problem).
    pub what: String,
}

impl FormatError {
    /// A problem anywhere in the file.
    pub fn new(what: impl Into<String>) -> Self {
        FormatError {
            line: None,
            what: what.into(),
        }
    }

    /// A problem on one line.
    pub fn at(line: usize, what: impl Into<String>) -> Self {
        FormatError {
            line: Some(line),
            what: what.into(),
        }
    }
}

/// Why an import failed. Messages name the file and what is wrong with it, never a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file is missing, unreadable or damaged.
    #[error("{}: {what}", .file.display())]
    File {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// What the files say conflicts with what the store already holds.
    #[error("{0}")]
    Conflict(String),
    /// The sealed store failed.
    #[error("sealed store: {0}")]
    Store(#[from] crate::store::Error),
    /// Issuing a device's key failed.
    #[error("keys: {0}")]
    Keys(#[from] crate::keymgmt::Error),
    /// The radios' sealed records failed.
    #[error(transparent)]
    Radio(#[from] crate::radio::Error),
    /// The gateway's registry failed.
    #[error("device registry: {0}")]
    Registry(#[from] crate::gateway::core::Error),
}

/// Result of an import.
pub type Result<T> = std::result::Result<T, Error>;

/// Files larger than this are refused before reading (a home's files are a few megabytes).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a file of the other hub as UTF-8 text, `None` when it does not exist.
pub(crate) fn read_optional(file: &Path) -> Result<Option<String>> {
    let io = |e: std::io::Error| Error::File {
        file: file.to_owned(),
        what: format!("cannot read it: {e}"),
    };
    match std::fs::metadata(file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
        Ok(m) if !m.is_file() => {
            return Err(Error::File {
                file: file.to_owned(),
                what: "is not a regular file".into(),
            });
        }
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            return Err(Error::File {
                file: file.to_owned(),
                what: format!("is {} bytes, more than {MAX_FILE_BYTES}", m.len()),
            });
        }
        Ok(_) => {}
    }
    let bytes = std::fs::read(file).map_err(io)?;
    String::from_utf8(bytes).map(Some).map_err(|_| Error::File {
        file: file.to_owned(),
        what: "is not UTF-8 text".into(),
    })
}

/// Reads a file that must exist; `hint` says how to get it.
pub(crate) fn read_required(file: &Path, hint: &str) -> Result<String> {
    read_optional(file)?.ok_or_else(|| Error::File {
        file: file.to_owned(),
        what: format!("missing ({hint})"),
    })
}

/// Turns a parser's refusal into an error naming the file.
pub(crate) fn damaged(file: &Path) -> impl Fn(FormatError) -> Error + '_ {
    move |e| Error::File {
        file: file.to_owned(),
        what: format!("damaged: {e}"),
    }
}

/// What an import did, for the person who ran it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Devices registered now, with their names.
    pub registered: Vec<(crate::envelope::DeviceId, String)>,
    /// Devices the registry already held (an earlier import, or joined since).
    pub already_known: Vec<crate::envelope::DeviceId>,
    /// Entries of the other hub's files that were not imported, and why.
    pub skipped: Vec<String>,
    /// What was done with the radio's network and keys, in a line each.
    pub network: Vec<String>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for line in &self.network {
            writeln!(f, "{line}")?;
        }
        for (id, name) in &self.registered {
            writeln!(f, "registered {id} \"{name}\" with its key and certificate")?;
        }
        for id in &self.already_known {
            writeln!(f, "already known {id}: left as it is")?;
        }
        for why in &self.skipped {
            writeln!(f, "not imported: {why}")?;
        }
        writeln!(
            f,
            "{} device(s) registered, {} already known, {} not imported",
            self.registered.len(),
            self.already_known.len(),
            self.skipped.len()
        )
    }
}
