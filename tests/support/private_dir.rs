//! A private temporary directory for the integration tests, since the sealed store refuses a
//! data directory other users can enter (and `tempfile` creates them 0755 under the usual
//! umask). Its own file so that test crates with another support module
//! (`tests/transport_support/`) take it by `#[path]` rather than copying it.

// Not every test binary restores a backup.
#![allow(dead_code)]

/// A temporary directory with mode 0700, fit to be a data directory.
pub fn tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .expect("a private temporary directory")
}

/// Copies the directory `from` into `to` (created mode 0700, as a data directory must be),
/// recursively: a backup or a restore.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(to)
        .expect("mkdir");
    for entry in std::fs::read_dir(from).expect("ls") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy");
        }
    }
}
