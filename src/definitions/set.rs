//! Gathering definition files into one [`Definitions`]: the built-in files that `build.rs`
//! embeds from `config/devices/`, then the files of the directory `hub.toml` names. Each file
//! is checked on its own ([`super::check`]); across files, no two definitions may claim the
//! same device, whichever files they are in.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::check::{self, DeviceKey};
use super::{Definitions, Error, Location, MAX_FILE_LEN, Result};

/// The files of `config/devices/` as (file name, contents), sorted by name, embedded at build
/// time by `build.rs`.
pub(super) const BUILT_IN: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_devices.rs"));

/// Where the built-in files live in the source tree; errors name them there, since that is
/// where they are fixed.
const BUILT_IN_DIR: &str = "config/devices";

/// The names of the built-in definition files (`emulated-zigbee-light.toml`, ...).
pub fn builtin_file_names() -> impl Iterator<Item = &'static str> {
    BUILT_IN.iter().map(|(name, _)| *name)
}

/// One file to check.
struct Entry {
    /// How errors name it.
    file: String,
    /// What `Definition::source` says.
    source: String,
    built_in: bool,
    text: Cow<'static, str>,
}

/// The built-in definitions, then those in `dir`.
pub(super) fn load(dir: Option<&Path>) -> Result<Definitions> {
    let mut entries: Vec<Entry> = BUILT_IN
        .iter()
        .map(|(name, text)| Entry {
            file: format!("{BUILT_IN_DIR}/{name}"),
            source: format!("built-in:{name}"),
            built_in: true,
            text: Cow::Borrowed(*text),
        })
        .collect();
    if let Some(dir) = dir {
        for (path, text) in read_dir(dir)? {
            let shown = path.display().to_string();
            entries.push(Entry {
                file: shown.clone(),
                source: shown,
                built_in: false,
                text: Cow::Owned(text),
            });
        }
    }
    gather(entries)
}

/// Checks each file, then that no device is claimed twice.
fn gather(entries: Vec<Entry>) -> Result<Definitions> {
    let mut claimed: BTreeMap<DeviceKey, (Location, bool)> = BTreeMap::new();
    let mut definitions = Vec::with_capacity(entries.len());
    for entry in entries {
        let checked = check::parse(&entry.file, &entry.source, &entry.text)?;
        for (device, at) in checked.claims {
            if let Some((other, other_built_in)) = claimed.get(&device) {
                return Err(Error::Conflict {
                    at,
                    other: other.clone(),
                    device: device.to_string(),
                    replaces_built_in: *other_built_in && !entry.built_in,
                });
            }
            claimed.insert(device, (at, entry.built_in));
        }
        definitions.push(checked.definition);
    }
    Ok(Definitions::new(definitions))
}

/// The `*.toml` files directly in `dir`, sorted by path so errors come in a stable order.
fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Read { path, source }
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error(dir))? {
        let path = entry.map_err(read_error(dir))?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let toml = path.extension().is_some_and(|e| e == "toml");
        if toml && !hidden && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let file = std::fs::File::open(&path).map_err(read_error(&path))?;
            let len = file.metadata().map_err(read_error(&path))?.len();
            if len > MAX_FILE_LEN {
                return Err(Error::TooLarge { path, len });
            }
            let mut text = String::new();
            file.take(MAX_FILE_LEN + 1)
                .read_to_string(&mut text)
                .map_err(read_error(&path))?;
            Ok((path, text))
        })
        .collect()
}
