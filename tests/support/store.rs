//! A sealed store in a test's own directory and what ends up on its disk: the radio tests
//! open the hub's store as the runtime does (a key file beside it) and look through every
//! file for a secret written in the clear.

use std::path::{Path, PathBuf};

use sealhub::store::{KekSource, Store};

/// The store's key file in `data_dir`, as `sealhub run` makes it.
pub fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join("store.key")
}

/// The sealed store in `data_dir`, its key in [`key_file`] (made on first open).
pub fn open_store(data_dir: &Path) -> Store {
    Store::open(data_dir, &KekSource::KeyFile(key_file(data_dir))).expect("store opens")
}

/// Every file under `dir`, read whole.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            let bytes = std::fs::read(&path).expect("readable file");
            out.push((path, bytes));
        }
    }
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
