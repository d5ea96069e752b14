//! `sealhub backup FILE` and `sealhub restore FILE`: the binary's side of [`sealhub::backup`]:
//! the passphrase, the files, the store's lock, and what the operator is told.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use sealhub::backup::{self, BackupSummary, DEFAULT_KDF, file::MAX_FILE_LEN};
use sealhub::config::Config;
use sealhub::store::{self, Argon2Params, RollbackGuard, Store};
use zeroize::Zeroizing;

use crate::cli::{BackupArgs, BackupPassphraseArgs, RestoreArgs};
use crate::{prepare_data_dir, startup};

/// The environment variable a backup passphrase may come from.
pub const PASSPHRASE_ENV: &str = "SEALHUB_BACKUP_PASSPHRASE";

/// The backup passphrase from `--passphrase-file` or `$SEALHUB_BACKUP_PASSPHRASE`, without a
/// trailing newline.
fn read_passphrase(args: &BackupPassphraseArgs) -> Result<Zeroizing<String>> {
    let raw = match &args.passphrase_file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the passphrase file {}", path.display()))?,
        ),
        None => match std::env::var(PASSPHRASE_ENV) {
            Ok(v) => Zeroizing::new(v),
            Err(_) => {
                bail!("no backup passphrase: pass --passphrase-file FILE or set ${PASSPHRASE_ENV}")
            }
        },
    };
    let line = raw.lines().next().unwrap_or_default();
    let passphrase = Zeroizing::new(line.to_owned());
    if passphrase.is_empty() {
        bail!("the backup passphrase is empty");
    }
    Ok(passphrase)
}

/// Opens the data directory's store, saying what to do when a running hub holds it; also
/// returns its rollback guard (where `sealhub run` looks for it).
fn open_store(config: &Config, data_dir: &Path) -> Result<(Store, RollbackGuard)> {
    let kek = startup::kek_source(&config.store_kek(data_dir))?;
    let guard = startup::rollback_guard(config, &kek, data_dir);
    let store = Store::open(data_dir, &kek).map_err(|e| {
        let hint = if matches!(e, store::Error::Locked { .. }) {
            " (a hub is running on it: stop it first, e.g. `systemctl stop sealhub`)"
        } else {
            ""
        };
        anyhow::Error::new(e).context(format!(
            "cannot open the sealed store in {}{hint}",
            data_dir.display()
        ))
    })?;
    Ok((store, guard))
}

fn describe(summary: &BackupSummary) -> String {
    let trees: Vec<String> = summary
        .trees
        .iter()
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    format!(
        "{} records (trees: {}), store generation {}, taken at {} (Unix seconds)",
        summary.records(),
        trees.join(", "),
        summary.generation,
        summary.created_unix_secs
    )
}

/// `sealhub backup FILE`.
pub fn backup(config: &Config, data_dir: &Path, args: &BackupArgs) -> Result<()> {
    if !data_dir.join(store::DB_DIR_NAME).exists() {
        bail!(
            "no sealed store in {}: nothing to back up",
            data_dir.display()
        );
    }
    if args.file.exists() {
        bail!(
            "{} exists: a backup never overwrites a file; choose another name",
            args.file.display()
        );
    }
    let passphrase = read_passphrase(&args.passphrase)?;
    let kdf = match args.kdf_memory_kib {
        Some(m_kib) => Argon2Params {
            m_kib,
            ..DEFAULT_KDF
        },
        None => DEFAULT_KDF,
    };
    let (store, _) = open_store(config, data_dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (bytes, summary) =
        backup::create(&store, &passphrase, kdf, now).context("cannot make the backup")?;
    write_new_file(&args.file, &bytes)?;
    println!(
        "backup written to {}: {}",
        args.file.display(),
        describe(&summary)
    );
    println!("keep the passphrase apart from the file: without it the backup cannot be opened");
    Ok(())
}

/// Writes `bytes` to a new file `path` (mode 0600) that appears whole or not at all: written
/// and synced under a temporary name, then linked to `path` (which fails if it exists).
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;

    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::hard_link(&partial, path)?;
        std::fs::remove_file(&partial)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(())
    };
    write().with_context(|| format!("cannot write the backup {}", path.display()))
}

/// `sealhub restore FILE`.
pub fn restore(config: &Config, data_dir: &Path, args: &RestoreArgs) -> Result<()> {
    let mut bytes = Vec::new();
    std::fs::File::open(&args.file)
        .and_then(|f| f.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read the backup {}", args.file.display()))?;
    let passphrase = read_passphrase(&args.passphrase)?;
    // Checked and decrypted before the store is touched: a wrong file changes nothing.
    let opened = backup::open(&bytes, &passphrase)
        .with_context(|| format!("cannot restore {}", args.file.display()))?;
    prepare_data_dir(data_dir)?;
    let (store, guard) = open_store(config, data_dir)?;
    let restored = backup::restore(&store, &opened, &guard, args.force)
        .with_context(|| format!("cannot restore {}", args.file.display()))?;
    println!(
        "restored {} into {}: {}",
        args.file.display(),
        data_dir.display(),
        describe(&restored.summary)
    );
    if restored.needs_ack {
        let why = match restored.guard {
            Some(g) => format!(
                "the rollback guard {} records generation {}: the home went on after this \
                 backup was taken",
                guard.generation_path().display(),
                g.generation
            ),
            None => format!(
                "there is no rollback guard here ({}): the home may have gone on after this \
                 backup was taken",
                guard.generation_path().display()
            ),
        };
        println!(
            "{why}. Run `sealhub restore-ack` before `sealhub run`: it moves every sequence \
             number past any used since, keeps the revocations the guard knows and rotates the \
             epoch (paired clients get the new keys when they connect); the hub refuses the \
             restored store until then"
        );
    } else {
        println!("the hub starts on the restored store as it is (`sealhub run`)");
    }
    println!(
        "the Zigbee network is written to the stick at start, so a new stick takes over the \
         network; paired clients keep working"
    );
    Ok(())
}
