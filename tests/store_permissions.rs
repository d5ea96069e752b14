//! The sealed store refuses to work from a data directory other users can enter, or with a key
//! file (or data directory) that belongs to someone else: such a place lets another account
//! copy or swap the store's secrets. Each refusal names the fix, and nothing is changed.

mod support;

use sealhub::store::{Error, KekSource, Store};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_data_directory_open_to_other_users_is_refused_with_the_fix() {
    let tmp = support::tempdir();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    for mode in [0o755, 0o710, 0o701, 0o770] {
        chmod(&data, mode);
        let err = Store::open(&data, &KekSource::default_key_file(&data)).expect_err("open dir");
        assert!(
            matches!(&err, Error::DataDirTooOpen { mode: m, .. } if *m == mode),
            "{mode:o}: {err}"
        );
        assert!(err.to_string().contains("chmod 700"), "{err}");
        assert_eq!(
            std::fs::read_dir(&data).expect("ls").count(),
            0,
            "nothing is created in a refused directory"
        );
    }
    chmod(&data, 0o700);
    Store::open(&data, &KekSource::default_key_file(&data)).expect("opens once fixed");
}

/// Another owner can only be given to a file by root; elsewhere the ownership check is
/// covered by the unit tests of `store::kek` (`a_file_owned_by_another_user_is_refused`).
#[test]
fn a_key_file_or_data_directory_owned_by_someone_else_is_refused() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: cannot give a file to another user here; the unit tests cover it");
        return;
    }
    const NOBODY: u32 = 65534;
    let tmp = support::tempdir();
    let data = tmp.path().join("data");
    Store::open(&data, &KekSource::default_key_file(&data)).expect("create");
    let key_file = data.join("store.key");
    std::os::unix::fs::chown(&key_file, Some(NOBODY), None).expect("chown");
    let err = Store::open(&data, &KekSource::default_key_file(&data)).expect_err("not ours");
    assert!(
        matches!(&err, Error::KeyFileNotOwned { owner: NOBODY, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("chown"), "{err}");
    assert_eq!(
        std::fs::metadata(&key_file).expect("stat").uid(),
        NOBODY,
        "left as it was"
    );
    std::os::unix::fs::chown(&key_file, Some(0), None).expect("chown back");
    std::os::unix::fs::chown(&data, Some(NOBODY), None).expect("chown dir");
    let err = Store::open(&data, &KekSource::default_key_file(&data)).expect_err("not ours");
    assert!(
        matches!(&err, Error::DataDirNotOwned { owner: NOBODY, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("chown"), "{err}");
}
