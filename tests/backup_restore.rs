//! `sealhub backup` and `sealhub restore` through the binary: a running hub with a paired
//! client is backed up (refused while it runs: the store is locked), its data directory wiped
//! (the rollback guard with it), restored from the file, refused until `sealhub restore-ack`,
//! and started again: it comes back with the same devices, the Zigbee network goes onto the
//! (blank) emulated stick, the Z-Wave keys come back, and the client paired before connects,
//! gets the new epoch's keys and commands a Zigbee light and a Z-Wave switch. Each way a file
//! can be wrong (wrong passphrase, truncated, a flipped byte, another version, older than the
//! store) is tried, refused with its own message, and leaves the store as it was; an older
//! backup forced over a newer store is refused by the hub until `restore-ack`, while the
//! latest backup restored where it was taken starts as it is.

mod support;

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sealhub::envelope::DeviceId;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::keymgmt::Home;
use sealhub::model::{Action, Capability, Device, HubCommand, Response, Role};
use sealhub::store::{KekSource, RollbackGuard, Store};
use support::hub::{RunningHub, Session, run_sealhub};
use support::{Phone, device_command, hub_command, id};

const PASSPHRASE: &str = "a long passphrase kept in a drawer";
/// Cheap Argon2id memory for tests (the default, 64 MiB, is slow in a debug build).
const KDF_MEMORY: &str = "64";

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(|a| a.into()).collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn device_ids(session: &mut Session, phone: &mut Phone) -> Vec<String> {
    match session
        .command(phone, &id("hub"), &hub_command(HubCommand::ListDevices))
        .await
    {
        Response::Hub(sealhub::model::HubResponse::Devices(list)) => {
            let mut ids: Vec<String> = list.iter().map(|d: &Device| d.id.to_string()).collect();
            ids.sort();
            ids
        }
        other => panic!("expected the device list, got {other:?}"),
    }
}

async fn turn_on(session: &mut Session, phone: &mut Phone, device: &str) {
    let list = match session
        .command(phone, &id("hub"), &hub_command(HubCommand::ListDevices))
        .await
    {
        Response::Hub(sealhub::model::HubResponse::Devices(list)) => list,
        other => panic!("expected the device list, got {other:?}"),
    };
    let endpoint = list
        .iter()
        .find(|d| d.id == id(device))
        .and_then(|d| {
            d.endpoints
                .iter()
                .find(|e| e.capabilities.contains(&Capability::OnOff))
        })
        .unwrap_or_else(|| panic!("{device} has no on/off endpoint: {list:?}"))
        .id;
    let response = session
        .command(
            phone,
            &id(device),
            &device_command(endpoint, Action::TurnOn),
        )
        .await;
    assert!(
        matches!(response, Response::Done { .. }),
        "{device}: {response:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_backed_up_wiped_and_restored_comes_back_with_its_devices_and_clients() {
    let (hub, mut phones) = RunningHub::start(&[("owner", Role::Owner)]);
    let mut owner = phones.pop().expect("owner");
    let mut session = hub.connect(&mut owner).await;
    let before = device_ids(&mut session, &mut owner).await;
    assert_eq!(before.len(), support::hub::DEMO_HOUSE.len(), "{before:?}");
    drop(session);

    // While the hub runs, its store is locked: no backup, no restore under it.
    let env = [("SEALHUB_BACKUP_PASSPHRASE", PASSPHRASE)];
    let out = hub.sealhub(
        &[
            OsStr::new("backup"),
            OsStr::new("/nonexistent/never-written"),
        ],
        &env,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("a hub is running on it"),
        "{}",
        stderr(&out)
    );

    let stopped = hub.stop();
    let file = stopped.path("hub.backup");
    let out = stopped.sealhub(
        &[
            OsStr::new("backup"),
            file.as_os_str(),
            OsStr::new("--kdf-memory-kib"),
            OsStr::new(KDF_MEMORY),
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written"));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A second backup to the same name is refused rather than overwriting the first.
    let again = stopped.sealhub(&[OsStr::new("backup"), file.as_os_str()], &env);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("never overwrites"),
        "{}",
        stderr(&again)
    );

    // The Pi's SD card dies: data directory, key file and rollback guard (beside the key
    // file) gone.
    std::fs::remove_dir_all(stopped.data_dir()).unwrap();
    let out = stopped.sealhub(&[OsStr::new("restore"), file.as_os_str()], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    // The home may have gone on after the backup (sequence numbers used, clients removed):
    // with no guard to tell, the restored store needs the explicit recovery, and says so.
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains("Run `sealhub restore-ack`"), "{said}");
    let refused = stopped.sealhub(&[OsStr::new("keys")], &[]);
    assert!(!refused.status.success(), "the hub opened a restored store");
    assert!(
        stderr(&refused).contains("rollback guard") && stderr(&refused).contains("restore-ack"),
        "{}",
        stderr(&refused)
    );
    let ack = stopped.sealhub(&[OsStr::new("restore-ack")], &[]);
    assert!(ack.status.success(), "{}", stderr(&ack));
    assert!(
        String::from_utf8_lossy(&ack.stdout).contains("recovered the home"),
        "{}",
        String::from_utf8_lossy(&ack.stdout)
    );

    let hub = stopped.restart(&[
        "clients' transport listening".to_string(),
        // The emulated Zigbee stick starts blank: the restored network goes onto it.
        "how=\"stored network restored onto the stick\"".to_string(),
        "in range again, still paired eui64=124b00000000a107".to_string(),
        // The Z-Wave S2 key came back from the backup, so the lock is still included.
        "emulated Z-Wave S2 lock is back, still included".to_string(),
        "Z-Wave radio up".to_string(),
    ]);
    assert!(
        !hub.log.contains("device joined and keyed"),
        "devices were keyed again:\n{}",
        hub.log
    );
    // The client paired before the backup connects (its certificate pinned, the same TLS
    // identity), gets the new epoch's keys, and sees and drives the same house.
    let mut session = hub.connect(&mut owner).await;
    let after = device_ids(&mut session, &mut owner).await;
    assert_eq!(after, before);
    turn_on(&mut session, &mut owner, "zb:124b00000000a101").await;
    turn_on(&mut session, &mut owner, "zw:c0ffee42:2").await;

    // No restore under the running hub either.
    let file = file.canonicalize().unwrap();
    let out = hub.sealhub(&[OsStr::new("restore"), file.as_os_str()], &env);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("a hub is running on it"),
        "{}",
        stderr(&out)
    );
}

/// Where the tests keep a marker record: a tree of no one's (the home's trees are parsed).
const MARKER_TREE: &str = "test-marker";

/// A stopped hub's directory without running a hub: a configuration, a home made by
/// `sealhub init` (generation 1, its rollback guard beside the key file in the data
/// directory), and one marker record.
fn hub_dir() -> tempfile::TempDir {
    let dir = support::tempdir();
    std::fs::write(
        dir.path().join("hub.toml"),
        "[hub]\nname = \"backup-test\"\n",
    )
    .unwrap();
    let out = sealhub(dir.path(), &["init"], PASSPHRASE);
    assert!(out.status.success(), "{}", stderr(&out));
    set_marker(dir.path(), b"before");
    dir
}

fn open_store(dir: &Path) -> Store {
    let data = dir.join("data");
    Store::open(&data, &KekSource::default_key_file(&data)).unwrap()
}

fn marker(dir: &Path) -> Option<Vec<u8>> {
    let store = open_store(dir);
    store
        .get(MARKER_TREE, b"marker")
        .unwrap()
        .map(|v| v.to_vec())
}

fn set_marker(dir: &Path, value: &[u8]) {
    open_store(dir).put(MARKER_TREE, b"marker", value).unwrap();
}

/// A change of the home (a device keyed), which moves its generation on, in the store and in
/// its rollback guard, as the running hub would.
fn change_home(dir: &Path, device: &str) {
    let data = dir.join("data");
    let kek = KekSource::default_key_file(&data);
    let store = Store::open(&data, &kek).unwrap();
    let mut home = Home::open_guarded(
        store,
        FreshnessPolicy::default(),
        RollbackGuard::for_kek(&kek, &data),
    )
    .unwrap();
    home.issue_device(&DeviceId::new(device).unwrap()).unwrap();
}

/// `sealhub keys`, which opens the home as `sealhub run` does (against its guard).
fn keys(dir: &Path) -> std::process::Output {
    sealhub(dir, &["keys"], PASSPHRASE)
}

fn sealhub(dir: &Path, args: &[&str], passphrase: &str) -> std::process::Output {
    let args = os(args);
    let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    run_sealhub(dir, &args, &[("SEALHUB_BACKUP_PASSPHRASE", passphrase)])
}

fn backup(dir: &Path, name: &str) -> std::path::PathBuf {
    let file = dir.join(name);
    let path = file.to_str().unwrap();
    let out = sealhub(
        dir,
        &["backup", path, "--kdf-memory-kib", KDF_MEMORY],
        PASSPHRASE,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    file
}

/// Restores `file` and expects the refusal `message`; the store must be as it was.
fn assert_refused(dir: &Path, file: &Path, passphrase: &str, message: &str) {
    let before = marker(dir);
    let out = sealhub(dir, &["restore", file.to_str().unwrap()], passphrase);
    assert!(!out.status.success(), "restored {}", file.display());
    let err = stderr(&out);
    assert!(err.contains(message), "expected {message:?} in:\n{err}");
    assert!(
        !err.contains(PASSPHRASE),
        "the passphrase was printed:\n{err}"
    );
    assert_eq!(marker(dir), before, "a refused restore changed the store");
}

#[test]
fn a_wrong_passphrase_is_refused_and_changes_nothing() {
    let dir = hub_dir();
    let file = backup(dir.path(), "a.backup");
    set_marker(dir.path(), b"after");
    assert_refused(
        dir.path(),
        &file,
        "another long passphrase",
        "wrong backup passphrase",
    );
}

#[test]
fn a_truncated_backup_is_refused() {
    let dir = hub_dir();
    let file = backup(dir.path(), "a.backup");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 1]).unwrap();
    assert_refused(dir.path(), &file, PASSPHRASE, "truncated or extended");
    std::fs::write(&file, &bytes[..40]).unwrap();
    assert_refused(dir.path(), &file, PASSPHRASE, "truncated or extended");
}

#[test]
fn a_backup_with_a_flipped_byte_is_refused() {
    let dir = hub_dir();
    let file = backup(dir.path(), "a.backup");
    let mut bytes = std::fs::read(&file).unwrap();
    // In the encrypted body, and in the header's generation (bound to the body by the AAD).
    for at in [bytes.len() - 20, 40] {
        bytes[at] ^= 0x20;
        std::fs::write(&file, &bytes).unwrap();
        assert_refused(
            dir.path(),
            &file,
            PASSPHRASE,
            "damaged or was tampered with",
        );
        bytes[at] ^= 0x20;
    }
}

#[test]
fn a_backup_of_another_format_version_is_refused() {
    let dir = hub_dir();
    let file = backup(dir.path(), "a.backup");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[8] = 2;
    std::fs::write(&file, &bytes).unwrap();
    assert_refused(dir.path(), &file, PASSPHRASE, "format version 2");
    std::fs::write(&file, b"plain text, not a backup").unwrap();
    assert_refused(dir.path(), &file, PASSPHRASE, "not a sealhub backup");
}

#[test]
fn an_older_backup_is_refused_over_a_newer_store_unless_forced_and_then_until_restore_ack() {
    let dir = hub_dir();
    change_home(dir.path(), "zb:lamp");
    let older = backup(dir.path(), "older.backup");
    set_marker(dir.path(), b"between");
    change_home(dir.path(), "zb:lock");
    let newer = backup(dir.path(), "newer.backup");
    set_marker(dir.path(), b"latest");
    // The header's generation is the home's: created at 1, then two changes.
    let generation = |file: &Path| {
        let bytes = std::fs::read(file).unwrap();
        u64::from_be_bytes(bytes[38..46].try_into().unwrap())
    };
    assert_eq!((generation(&older), generation(&newer)), (2, 3));

    assert_refused(dir.path(), &older, PASSPHRASE, "pass --force");
    let out = sealhub(
        dir.path(),
        &["restore", older.to_str().unwrap(), "--force"],
        PASSPHRASE,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(marker(dir.path()).as_deref(), Some(&b"before"[..]));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("records generation 3") && said.contains("Run `sealhub restore-ack`"),
        "{said}"
    );
    // The guard was not set back: the hub refuses the older store, naming both generations.
    let refused = keys(dir.path());
    assert!(!refused.status.success(), "a rolled-back store opened");
    for needle in ["generation 2", "generation 3", "sealhub restore-ack"] {
        assert!(stderr(&refused).contains(needle), "{}", stderr(&refused));
    }
    let ack = sealhub(dir.path(), &["restore-ack"], PASSPHRASE);
    assert!(ack.status.success(), "{}", stderr(&ack));
    let opened = keys(dir.path());
    assert!(opened.status.success(), "{}", stderr(&opened));
    // The recovered store (generation 4) is newer than either backup.
    assert_refused(dir.path(), &newer, PASSPHRASE, "pass --force");
}

#[test]
fn the_latest_backup_restored_where_it_was_taken_starts_without_restore_ack() {
    let dir = hub_dir();
    change_home(dir.path(), "zb:lamp");
    let latest = backup(dir.path(), "latest.backup");
    set_marker(dir.path(), b"after");
    let out = sealhub(
        dir.path(),
        &["restore", latest.to_str().unwrap()],
        PASSPHRASE,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(marker(dir.path()).as_deref(), Some(&b"before"[..]));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!said.contains("restore-ack"), "{said}");
    let opened = keys(dir.path());
    assert!(opened.status.success(), "{}", stderr(&opened));
}

#[test]
fn the_passphrase_may_come_from_a_file_and_a_missing_one_is_named() {
    let dir = hub_dir();
    let pass = dir.path().join("passphrase");
    std::fs::write(&pass, format!("{PASSPHRASE}\n")).unwrap();
    let file = dir.path().join("a.backup");
    let args = os(&[
        "backup",
        file.to_str().unwrap(),
        "--passphrase-file",
        pass.to_str().unwrap(),
        "--kdf-memory-kib",
        KDF_MEMORY,
    ]);
    let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let out = run_sealhub(dir.path(), &args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The same passphrase from the environment opens it (the file's newline is not part of it).
    set_marker(dir.path(), b"after");
    let out = sealhub(dir.path(), &["restore", file.to_str().unwrap()], PASSPHRASE);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(marker(dir.path()).as_deref(), Some(&b"before"[..]));
    // Without either, the command says where a passphrase comes from.
    let restore = os(&["restore", file.to_str().unwrap()]);
    let restore: Vec<&OsStr> = restore.iter().map(|a| a.as_os_str()).collect();
    let out = run_sealhub(dir.path(), &restore, &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--passphrase-file FILE or set $SEALHUB_BACKUP_PASSPHRASE"),
        "{}",
        stderr(&out)
    );
}
