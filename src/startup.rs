//! The binary's bridge from configuration to the library: which key-encryption key to use,
//! opening the sealed store and the home, loading the device definitions, and the `keys` and
//! `envelope inspect` commands.
//! What runs after start-up (the radios) is in `runtime`.

use anyhow::{Context, Result, bail};
use sealhub::config::{Config, PassphraseSource, StoreKekConfig};
use sealhub::definitions::Definitions;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::keymgmt::Home;
use sealhub::store::{self, KekSource, OpenOutcome, RollbackGuard, Store};
use std::io::Read;
use std::path::Path;
use std::time::Duration;
use tracing::{info, warn};
use zeroize::Zeroizing;

/// Builds the store's KEK source from configuration, reading a passphrase where one is used.
pub fn kek_source(kek: &StoreKekConfig) -> Result<KekSource> {
    Ok(match kek {
        StoreKekConfig::KeyFile { path } => KekSource::KeyFile(path.clone()),
        StoreKekConfig::SystemdCredential { name } => {
            KekSource::systemd_credential_from_env(name.clone())
        }
        StoreKekConfig::Passphrase { source } => KekSource::passphrase(read_passphrase(source)?),
    })
}

fn read_passphrase(source: &PassphraseSource) -> Result<Zeroizing<String>> {
    let raw = match source {
        PassphraseSource::EnvVar(var) => {
            let value =
                Zeroizing::new(std::env::var(var).with_context(|| {
                    format!("the store is sealed with a passphrase; set ${var}")
                })?);
            wipe_env_var(var)?;
            value
        }
        PassphraseSource::File(path) => Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the passphrase file {}", path.display()))?,
        ),
    };
    let trimmed = Zeroizing::new(raw.trim_end_matches(['\n', '\r']).to_owned());
    if trimmed.is_empty() {
        bail!("the store passphrase is empty");
    }
    Ok(trimmed)
}

/// The device definitions: the built-in ones and those in `[devices] dir`. A malformed file,
/// or two definitions of one device, stops the start with the file, line and what is wrong.
pub fn load_definitions(config: &Config) -> Result<Definitions> {
    let dir = config.devices.dir.as_deref();
    let definitions =
        Definitions::load(dir).context("cannot load the device definitions (config/devices)")?;
    info!(
        definitions = definitions.len(),
        added_from = %dir.map_or_else(|| "-".to_owned(), |d| d.display().to_string()),
        "device definitions loaded"
    );
    Ok(definitions)
}

/// Overwrites the value of environment variable `var` in place with zeros and removes it, so
/// the passphrase neither stays readable in `/proc/<pid>/environ` (by any process of the same
/// user) nor reaches a child process. Refuses unless the process has a single thread: changing
/// the environment while another thread may read it is undefined behaviour.
fn wipe_env_var(var: &str) -> Result<()> {
    let threads = std::fs::read_dir("/proc/self/task")
        .context("cannot count this process's threads in /proc/self/task")?
        .count();
    if threads != 1 {
        bail!(
            "cannot clear ${var} from the environment while {threads} threads run; this is a \
             bug in sealhub's start-up order"
        );
    }
    let name = std::ffi::CString::new(var).context("invalid environment variable name")?;
    // SAFETY: the process has one thread (checked just above, and nothing here starts one), so
    // no other code reads or changes the environment meanwhile. `getenv` returns null or a
    // pointer to the NUL-terminated value inside the environment block; that memory is
    // writable (the kernel's initial environment on the stack, or a string `setenv` allocated),
    // and writing `strlen(value)` zeros stays inside the string and keeps its terminator.
    unsafe {
        let value = libc::getenv(name.as_ptr());
        if !value.is_null() {
            let len = libc::strlen(value);
            std::ptr::write_bytes(value, 0, len);
        }
        // SAFETY: single-threaded, as above.
        std::env::remove_var(var);
    }
    Ok(())
}

/// The freshness limits from `[envelope]`.
pub fn freshness_policy(config: &Config) -> FreshnessPolicy {
    FreshnessPolicy {
        max_command_lifetime_secs: config.envelope.max_command_lifetime_secs,
        echo_validity: Duration::from_secs(config.envelope.echo_validity_secs),
    }
}

/// The rollback guard: `[store] guard_dir`, else beside the key file, else the data directory.
pub fn rollback_guard(config: &Config, kek: &KekSource, data_dir: &Path) -> RollbackGuard {
    match &config.store_guard_dir {
        Some(dir) => RollbackGuard::in_dir(dir),
        None => RollbackGuard::for_kek(kek, data_dir),
    }
}

/// When a command may create a home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeStart {
    /// `run`: create one only on the first start of an empty data directory.
    Run,
    /// `keys`: never create one.
    Existing,
    /// `init`: create one, the explicit way, where there is none.
    Init,
}

/// Opens the sealed store and the home in it, checking the store against its rollback guard,
/// and logs where they are and what was found. A home is created only on the first start of
/// an empty data directory (no key file either) or by `sealhub init`: a database missing next
/// to a key file is a data partition that did not mount or a lost database, and a new home
/// there would strand every paired client. Also returns a second handle on the store, for the
/// radios' records.
pub fn open_home(
    config: &Config,
    data_dir: &Path,
    clock_trusted: bool,
    start: HomeStart,
) -> Result<(Home, Store)> {
    let kek_config = config.store_kek(data_dir);
    let kek = kek_source(&kek_config)?;
    let guard = rollback_guard(config, &kek, data_dir);
    let has_database = data_dir.join(store::DB_DIR_NAME).exists();
    let may_create = match start {
        HomeStart::Init => true,
        HomeStart::Run if !has_database => {
            first_start(data_dir, &kek_config)?;
            true
        }
        HomeStart::Run | HomeStart::Existing if !has_database => {
            bail!(
                "no sealed store in {}; start the hub once with `sealhub run` to create it",
                data_dir.display()
            )
        }
        HomeStart::Run | HomeStart::Existing => false,
    };
    if may_create && !has_database {
        // Checked before anything is written: a guard that remembers a home means its store
        // is elsewhere or lost, and no new store should appear here.
        if let Some(record) = guard.read().context("cannot read the rollback guard")? {
            bail!(
                "the rollback guard {} records a home at generation {}, but there is no sealed \
                 store in {}: mount or restore the data directory (a new home would strand \
                 every paired client and device); to start over anyway, move the guard files \
                 away first",
                guard.generation_path().display(),
                record.generation,
                data_dir.display()
            );
        }
    }
    let (store, outcome) = Store::open_or_create(data_dir, &kek)
        .with_context(|| format!("cannot open the sealed store in {}", data_dir.display()))?;
    if let (OpenOutcome::Created, StoreKekConfig::KeyFile { path }) = (outcome, &kek_config) {
        warn!(
            key_file = %path.display(),
            "back up this key file: without it the store cannot be opened"
        );
    }
    let radios = store.handle();
    let exists = Home::exists_in(&store).context("cannot read the sealed store")?;
    let mut home = match (exists, may_create, start) {
        (true, _, HomeStart::Init) => bail!(
            "the sealed store in {} already holds a home: `sealhub init` creates one only where \
             there is none",
            data_dir.display()
        ),
        (true, _, _) => Home::open_guarded(store, freshness_policy(config), guard)
            .context("cannot open the home's keys")?,
        (false, true, _) => Home::create_guarded(store, freshness_policy(config), guard)
            .context("cannot create the home's keys")?,
        (false, false, _) => bail!(
            "the sealed store in {} holds no home (a first start interrupted, or its records \
             lost): restore the data directory, or run `sealhub init` to create a new home",
            data_dir.display()
        ),
    };
    home.set_clock_trusted(clock_trusted);
    info!(
        created = !exists,
        home = %home.home_id(),
        root_thumbprint = %home.root_thumbprint(),
        epoch = home.epoch(),
        generation = home.generation(),
        "home ready"
    );
    Ok((home, radios))
}

/// Checks that a data directory without a database is a first start: empty, and no key file
/// of a previous home. Anything else is refused with what was found and what to do.
fn first_start(data_dir: &Path, kek: &StoreKekConfig) -> Result<()> {
    let mut found: Vec<String> = std::fs::read_dir(data_dir)
        .with_context(|| format!("cannot list the data directory {}", data_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    found.sort();
    if let StoreKekConfig::KeyFile { path } = kek
        && path.exists()
        && !path.starts_with(data_dir)
    {
        found.push(path.display().to_string());
    }
    if found.is_empty() {
        return Ok(());
    }
    bail!(
        "there is no sealed store ({}) but this is not a first start: found {}. If the data \
         partition did not mount, or the database was lost, mount or restore it: a new home \
         here would strand every paired client and device. To start a new home here on purpose, \
         run `sealhub init`",
        data_dir.join(store::DB_DIR_NAME).display(),
        found.join(", ")
    )
}

/// `sealhub restore-ack`: after a deliberate restore of the data directory (or a rollback the
/// hub refused), makes the home safe to run again (`Home::recover_from_rollback`) and reports
/// what it did.
pub fn restore_ack(config: &Config, data_dir: &Path) -> Result<String> {
    if !data_dir.join(store::DB_DIR_NAME).exists() {
        bail!(
            "no sealed store in {}: restore the data directory first",
            data_dir.display()
        );
    }
    let kek = kek_source(&config.store_kek(data_dir))?;
    let guard = rollback_guard(config, &kek, data_dir);
    let store = Store::open(data_dir, &kek)
        .with_context(|| format!("cannot open the sealed store in {}", data_dir.display()))?;
    let (home, r) = Home::recover_from_rollback(store, freshness_policy(config), guard)
        .context("cannot recover the home")?;
    let names = |ids: &[sealhub::envelope::DeviceId]| {
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.iter()
                .map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    Ok(format!(
        "recovered the home {home_id} from its restored store:\n\
         store generation:     {store} (the guard recorded {guard})\n\
         new generation:       {generation}\n\
         new epoch:            {epoch} (commands of older epochs are refused)\n\
         sequence numbers:     resume at {floor} or above\n\
         revocation list:      number {list}\n\
         clients removed again: {removed}\n\
         devices re-keyed:     {rekeyed}\n\
         every client needs a new key distribution before it can read or command again\n",
        home_id = home.home_id(),
        store = r.store_generation,
        guard = r
            .guard_generation
            .map_or("nothing".to_owned(), |g| g.to_string()),
        generation = r.generation,
        epoch = r.epoch,
        floor = r.sequence_floor,
        list = r.revocation_number,
        removed = names(&r.clients_removed),
        rekeyed = names(&r.devices_rekeyed),
    ))
}

/// `sealhub keys`: the hub id and root-key thumbprint of an existing home; it never creates one.
pub fn keys(config: &Config, data_dir: &Path) -> Result<String> {
    let (home, _) = open_home(config, data_dir, false, HomeStart::Existing)?;
    Ok(format!(
        "hub id:               {}\nroot key thumbprint:  {}\nepoch:                {}\n",
        home.home_id(),
        home.root_thumbprint(),
        home.epoch()
    ))
}

/// `sealhub init`: creates a new home where there is none (an empty data directory, or one
/// whose database is missing on purpose); refuses where a home exists or its rollback guard
/// remembers one.
pub fn init(config: &Config, data_dir: &Path) -> Result<String> {
    let (home, _) = open_home(config, data_dir, false, HomeStart::Init)?;
    Ok(format!(
        "created a new home in {}\nhub id:               {}\nroot key thumbprint:  {}\n",
        data_dir.display(),
        home.home_id(),
        home.root_thumbprint()
    ))
}

/// `sealhub envelope inspect`: what a middlebox sees of a COSE message read from `file` or
/// standard input. Raw CBOR is read as is; text that is only hex digits and white space is
/// decoded first, so a message copied from a log works too.
pub fn inspect(file: Option<&Path>) -> Result<String> {
    let limit = sealhub::cose::MAX_MESSAGE_LEN * 2 + 1024;
    let mut raw = Vec::new();
    match file {
        Some(path) => std::fs::File::open(path)
            .with_context(|| format!("cannot open {}", path.display()))?
            .take(limit as u64 + 1)
            .read_to_end(&mut raw)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => std::io::stdin()
            .take(limit as u64 + 1)
            .read_to_end(&mut raw)
            .context("cannot read standard input")?,
    };
    if raw.len() > limit {
        bail!(
            "input is larger than any envelope ({} bytes at most)",
            sealhub::cose::MAX_MESSAGE_LEN
        );
    }
    let bytes = hex_text(&raw).unwrap_or(raw);
    let view = sealhub::envelope::inspect::inspect(&bytes)
        .context("not a COSE message sealhub can read")?;
    Ok(view.to_string())
}

/// Decodes input that is entirely hex digits and white space; `None` for anything else.
fn hex_text(raw: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    hex::decode(digits).ok()
}
