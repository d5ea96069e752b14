//! The binary's bridge from configuration to the library: which key-encryption key to use,
//! opening the sealed store and the home, loading the device definitions, and the `keys` and
//! `envelope inspect` commands.
//! What runs after start-up (the radios) is in `runtime`.

use anyhow::{Context, Result, bail};
use sealhub::config::{Config, EMULATED_PORT, PassphraseSource, RadioPort, StoreKekConfig};
use sealhub::definitions::Definitions;
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::keymgmt::Home;
use sealhub::store::{self, KekSource, OpenOutcome, Store};
use std::io::Read;
use std::path::Path;
use std::time::Duration;
use tracing::{info, warn};
use zeroize::Zeroizing;

/// What `sealhub run` says when the configuration asks for an emulated stick in a build
/// without them, and what to configure instead.
#[cfg_attr(feature = "emulators", allow(dead_code))]
pub const NO_EMULATORS: &str = "this build of sealhub has no emulated sticks (it was built \
    without the `emulators` feature, as the Raspberry Pi package is): set `port = \"auto\"` (find \
    a known USB stick) or the path of the stick, such as `port = \"/dev/serial/by-id/usb-...\"`, \
    in the [zigbee] and [zwave] sections of hub.toml, or `enabled = false` for a radio that is \
    not there";

/// Refuses, before anything is created, a configuration whose enabled radio asks for
/// `port = "emulated"` in a build without the `emulators` feature (the default configuration
/// does, so `sealhub run` with no configuration on such a build ends up here).
pub fn check_radio_ports(config: &Config) -> Result<()> {
    let emulated: Vec<&str> = [
        ("[zigbee]", config.zigbee.enabled, &config.zigbee.port),
        ("[zwave]", config.zwave.enabled, &config.zwave.port),
    ]
    .into_iter()
    .filter(|(_, enabled, port)| *enabled && **port == RadioPort::Emulated)
    .map(|(section, _, _)| section)
    .collect();
    if cfg!(feature = "emulators") || emulated.is_empty() {
        return Ok(());
    }
    bail!(
        "{} port = \"{EMULATED_PORT}\" (from {}): {NO_EMULATORS}",
        emulated.join(" and "),
        config.origin
    )
}

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
        PassphraseSource::EnvVar(var) => Zeroizing::new(
            std::env::var(var)
                .with_context(|| format!("the store is sealed with a passphrase; set ${var}"))?,
        ),
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

/// The freshness limits from `[envelope]`.
pub fn freshness_policy(config: &Config) -> FreshnessPolicy {
    FreshnessPolicy {
        max_command_lifetime_secs: config.envelope.max_command_lifetime_secs,
        echo_validity: Duration::from_secs(config.envelope.echo_validity_secs),
    }
}

/// Opens (or on first start creates) the sealed store and the home in it, logging where they
/// are and what was found. Also returns a second handle on the store, for the radios' records.
pub fn open_home(config: &Config, data_dir: &Path, clock_trusted: bool) -> Result<(Home, Store)> {
    let kek_config = config.store_kek(data_dir);
    let kek = kek_source(&kek_config)?;
    let (store, outcome) = Store::open_or_create(data_dir, &kek)
        .with_context(|| format!("cannot open the sealed store in {}", data_dir.display()))?;
    if let (OpenOutcome::Created, StoreKekConfig::KeyFile { path }) = (outcome, &kek_config) {
        warn!(
            key_file = %path.display(),
            "back up this key file: without it the store cannot be opened"
        );
    }
    let radios = store.handle();
    let (mut home, created) =
        Home::open(store, freshness_policy(config)).context("cannot open the home's keys")?;
    home.set_clock_trusted(clock_trusted);
    info!(
        created,
        home = %home.home_id(),
        root_thumbprint = %home.root_thumbprint(),
        epoch = home.epoch(),
        "home ready"
    );
    Ok((home, radios))
}

/// `sealhub keys`: the hub id and root-key thumbprint of an existing home; it never creates one.
pub fn keys(config: &Config, data_dir: &Path) -> Result<String> {
    if !data_dir.join(store::DB_DIR_NAME).exists() {
        bail!(
            "no sealed store in {}; start the hub once with `sealhub run` to create it",
            data_dir.display()
        );
    }
    let (home, _) = open_home(config, data_dir, false)?;
    Ok(format!(
        "hub id:               {}\nroot key thumbprint:  {}\nepoch:                {}\n",
        home.home_id(),
        home.root_thumbprint(),
        home.epoch()
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
