//! What the integration tests share: a private temporary directory, since the sealed store
//! refuses a data directory other users can enter (and `tempfile` creates them 0755 under the
//! usual umask).

/// A temporary directory with mode 0700, fit to be a data directory.
pub fn tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .expect("a private temporary directory")
}
