//! Embeds every device definition in `config/devices/*.toml` into the binary, so that
//! supporting a device is adding a file: this writes `$OUT_DIR/builtin_devices.rs`, a list of
//! (file name, `include_str!` of the file) sorted by name, which `src/definitions/set.rs`
//! includes. Checking the files is the loader's job (a test loads every built-in one).

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let devices = manifest_dir.join("config").join("devices");
    // A directory: cargo reruns this when any file in it is added, removed or changed.
    println!("cargo::rerun-if-changed={}", devices.display());

    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&devices)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", devices.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", devices.display())))
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml") && path.is_file())
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_else(|| panic!("{} is not a UTF-8 file name", path.display()))
                .to_owned();
            (name, path)
        })
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    files.sort();

    let mut list = String::from("&[\n");
    for (name, path) in &files {
        let path = path
            .to_str()
            .unwrap_or_else(|| panic!("{} is not a UTF-8 path", path.display()));
        writeln!(list, "    ({name:?}, include_str!({path:?})),").expect("writing to a String");
    }
    list.push_str("]\n");
    let target = out_dir.join("builtin_devices.rs");
    std::fs::write(&target, list)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
}
