//! The hub's configuration: the commented defaults in `config/hub.toml`, compiled in, overlaid
//! by an optional TOML file. This is the first thing `sealhub` reads at start-up; it says where
//! the data directory is, where the store's key-encryption key comes from, whether the wall
//! clock may be trusted, the envelope limits, the radio sticks, where clients connect, the log
//! level and where added device definitions are. It holds no secrets: a passphrase is only
//! ever named by where to read it.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;

/// The built-in defaults, the same commented file that ships as `config/hub.toml`, so the
/// documentation of every setting and its default value cannot drift apart.
pub const DEFAULT_TOML: &str = include_str!("../config/hub.toml");

/// The environment variable a passphrase KEK is read from when no `passphrase_file` is set.
pub const PASSPHRASE_ENV: &str = "SEALHUB_PASSPHRASE";

/// The systemd credential name used when `kek = "systemd-credential"` names none.
pub const DEFAULT_CREDENTIAL_NAME: &str = "sealhub-store-key";

/// The key file's name inside the data directory when `kek = "key-file"` names no path.
pub const DEFAULT_KEY_FILE_NAME: &str = "store.key";

/// The file systemd-timesyncd creates once the clock is synchronised; `trust = "auto"` trusts
/// the wall clock only while it exists.
pub const TIMESYNC_MARKER: &str = "/run/systemd/timesync/synchronized";

/// Why a configuration could not be loaded; each variant names the file, and the key where
/// one is to blame, so an operator can fix it without guessing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read config file {path}")]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not valid TOML, has a key the hub does not know, or a value of the wrong
    /// kind for its key.
    #[error("{origin}: line {line}, column {column}{}: {message}", in_key(.key))]
    Parse {
        /// Which file.
        origin: Origin,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column of the offending text.
        column: usize,
        /// The dotted key (or table) the error is in, when known.
        key: Option<String>,
        /// What is wrong, as the TOML parser put it.
        message: String,
    },
    /// A value parsed but makes no sense for the hub (zero, empty, or contradicting another).
    #[error("{origin}: `{key}`: {reason}")]
    Invalid {
        /// Which file set the value.
        origin: Origin,
        /// The dotted key whose value is refused.
        key: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The file tried to hold a passphrase; secrets never live in the configuration.
    #[error(
        "{origin}: `store.passphrase` is not allowed: a passphrase never goes in the config \
         file; set {PASSPHRASE_ENV} or `store.passphrase_file` instead"
    )]
    PassphraseInConfig {
        /// Which file held it.
        origin: Origin,
    },
    /// No data directory was configured and neither `XDG_DATA_HOME` nor `HOME` gives one.
    #[error(
        "no data directory: pass --data-dir, set `hub.data_dir`, or set XDG_DATA_HOME or HOME \
         to an absolute path"
    )]
    NoDataDir,
}

fn in_key(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!(", in `{k}`"))
        .unwrap_or_default()
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;

/// Where a setting came from, so errors and start-up logs can say which file to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The defaults compiled into the binary (`config/hub.toml`).
    BuiltIn,
    /// A file given on the command line.
    File(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in defaults (config/hub.toml)"),
            Origin::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The environment as the configuration sees it: a lookup of variables, injectable so tests
/// can resolve paths without mutating the process environment.
pub struct Env<'a> {
    lookup: Box<Lookup<'a>>,
}

/// A variable lookup: the name in, its value (if set) out.
type Lookup<'a> = dyn Fn(&str) -> Option<OsString> + 'a;

impl Env<'static> {
    /// The real process environment.
    pub fn process() -> Self {
        Env {
            lookup: Box::new(|name| std::env::var_os(name)),
        }
    }
}

impl<'a> Env<'a> {
    /// An environment answered by `lookup`, for tests and embedding.
    pub fn from_fn(lookup: impl Fn(&str) -> Option<OsString> + 'a) -> Self {
        Env {
            lookup: Box::new(lookup),
        }
    }

    /// The value of `name`, if set.
    pub fn var(&self, name: &str) -> Option<OsString> {
        (self.lookup)(name)
    }

    /// The value of `name` as a path, if it is set to an absolute path; the XDG base-directory
    /// spec says relative values are to be ignored, and a relative `HOME` is no better.
    fn absolute_path(&self, name: &str) -> Option<PathBuf> {
        self.var(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    }
}

/// The hub's whole configuration after the overlay, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file laid over the defaults, or [`Origin::BuiltIn`] if none; logged at start-up.
    pub origin: Origin,
    /// `[hub]`: identity and location of the hub.
    pub hub: HubConfig,
    /// `[store]`: where the store's key-encryption key comes from.
    pub store: StoreConfig,
    /// `[store] guard_dir`: where the rollback guard (`store.generation`, `store.revocations`)
    /// is kept, already absolute; `None` means beside the key file, or in the data directory
    /// for the other KEK kinds.
    pub store_guard_dir: Option<PathBuf>,
    /// `[clock]`: whether command expiry may use the wall clock.
    pub clock: ClockConfig,
    /// `[envelope]`: freshness and replay limits for envelopes.
    pub envelope: EnvelopeConfig,
    /// `[log]`: the default log filter.
    pub log: LogConfig,
    /// `[zigbee]`: the Zigbee stick.
    pub zigbee: ZigbeeConfig,
    /// `[zwave]`: the Z-Wave stick.
    pub zwave: ZwaveConfig,
    /// `[transport]`: where clients connect.
    pub transport: TransportConfig,
    /// `[devices]`: device definitions added to the built-in ones.
    pub devices: DevicesConfig,
    /// `[emulator]`: the emulated house that sticks with `port = "emulated"` bring.
    pub emulator: EmulatorConfig,
}

/// `[emulator]`: the simulated devices of the emulated sticks (`port = "emulated"`), so the
/// hub can be tried, measured and loaded without hardware (`docs/PERFORMANCE.md` runs the hub
/// with 200 devices this way). Ignored for a radio on a real stick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// How many simulated devices join the emulated Zigbee stick: the demo house's first,
    /// then more of the same kinds, each with an address of its own. At most
    /// [`EmulatorConfig::MAX_ZIGBEE_DEVICES`].
    pub zigbee_devices: u16,
    /// Every this many milliseconds each emulated contact sensor, motion sensor and door lock
    /// changes state on its own (opens or closes, sees motion or stops, is turned by hand),
    /// so the hub has events to carry; 0: they change only when told to.
    pub activity_ms: u64,
    /// The emulated Zigbee stick's tick in milliseconds (1 ..= 100; 10 by default): a device
    /// answers a request 3 ticks after it (about 30 ms of emulated air time at 10 ms). A
    /// smaller tick is a faster emulated radio, for measuring the hub's own time
    /// (`docs/PERFORMANCE.md`); it costs the emulator more wake-ups.
    pub zigbee_tick_ms: u64,
}

impl EmulatorConfig {
    /// The largest emulated Zigbee house: well past the 200 devices the hub is measured with,
    /// and within the node ids the emulated house hands out.
    pub const MAX_ZIGBEE_DEVICES: u16 = 1000;
    /// The range of [`EmulatorConfig::zigbee_tick_ms`].
    pub const ZIGBEE_TICK_MS: std::ops::RangeInclusive<u64> = 1..=100;
}

/// `[transport]`: whether the hub listens for clients (WebSocket over TLS) and where. The
/// server's own settings, with the home id and limits, are
/// [`crate::transport::TransportConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportConfig {
    /// Whether the hub listens for clients at all.
    pub enabled: bool,
    /// The address and port to listen on; loopback by default, anything else is logged.
    pub listen: SocketAddr,
}

/// `[devices]`: where device definitions beyond the built-in ones are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DevicesConfig {
    /// A directory of definition files (`*.toml`, the format of `config/devices/`), already
    /// made absolute against the config file's directory; `None`: the built-in ones only.
    pub dir: Option<PathBuf>,
}

/// Where a radio stick is: the in-process emulator, or a serial device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RadioPort {
    /// `port = "emulated"`: an emulated stick (crate `sealhub-firmware-shim`) on a
    /// pseudo-terminal inside the hub, with a few simulated devices, so the hub runs and shows
    /// something without hardware.
    Emulated,
    /// A serial device, e.g. `/dev/serial/by-id/usb-...` (stable across replugs, unlike
    /// `/dev/ttyUSB0`).
    Serial(PathBuf),
    /// `port = "auto"`: the first known USB stick that answers in the radio's protocol
    /// (`sealhub_radios::discovery`), found at start. Devices with unknown USB ids are never
    /// written to.
    Auto,
}

impl fmt::Display for RadioPort {
    /// As in the configuration file, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RadioPort::Emulated => f.write_str(EMULATED_PORT),
            RadioPort::Serial(path) => write!(f, "{}", path.display()),
            RadioPort::Auto => f.write_str(AUTO_PORT),
        }
    }
}

/// The `port` value that selects the emulated stick.
pub const EMULATED_PORT: &str = "emulated";

/// The `port` value that finds the stick by its USB id and by probing.
pub const AUTO_PORT: &str = "auto";

/// `[zigbee]`: whether the hub drives a Zigbee stick, where it is, and how its network is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZigbeeConfig {
    /// Whether the hub starts the Zigbee stick at all.
    pub enabled: bool,
    /// Where the stick is.
    pub port: RadioPort,
    /// Whether a stick running another network than the stored one may be overwritten with
    /// the stored network (off: such a stick is refused, so a mistake cannot wipe a network).
    pub force: bool,
    /// How often a fresh network backup is sealed while the hub runs, in seconds (also after
    /// devices join, and at shutdown).
    pub backup_interval_secs: u64,
}

/// `[zwave]`: whether the hub drives a Z-Wave stick, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZwaveConfig {
    /// Whether the hub starts the Z-Wave stick at all.
    pub enabled: bool,
    /// Where the stick is.
    pub port: RadioPort,
}

/// `[hub]`: what the hub is called and where it keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// A name for logs, so several hubs' logs can be told apart.
    pub name: String,
    /// The data directory from the file, already made absolute against the file's directory;
    /// `None` means "use the XDG default" (see [`Config::resolve_data_dir`]).
    pub data_dir: Option<PathBuf>,
}

/// `[store]` as written: which KEK source, with paths not yet resolved against the data
/// directory (that is only known once the command line is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A key file; `None` means `<data_dir>/store.key`.
    KeyFile {
        /// The configured path, if any.
        path: Option<PathBuf>,
    },
    /// A systemd credential of this name.
    SystemdCredential {
        /// The credential's name.
        name: String,
    },
    /// A passphrase from the environment or from a file.
    Passphrase {
        /// Where to read the passphrase from.
        source: PassphraseSource,
    },
}

/// Where the store's key-encryption key comes from, fully resolved. `main` turns this into the
/// store module's `KekSource`; keeping it plain here means the configuration does not depend on
/// the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKekConfig {
    /// Read the KEK from a file that must be mode 0600.
    KeyFile {
        /// The key file.
        path: PathBuf,
    },
    /// Read the KEK from a systemd credential (`$CREDENTIALS_DIRECTORY/<name>`).
    SystemdCredential {
        /// The credential's name.
        name: String,
    },
    /// Derive the KEK from a passphrase with Argon2id.
    Passphrase {
        /// Where to read the passphrase from.
        source: PassphraseSource,
    },
}

/// Where a passphrase is read from; never the passphrase itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassphraseSource {
    /// An environment variable ([`PASSPHRASE_ENV`]).
    EnvVar(String),
    /// A file (for example a mounted secret).
    File(PathBuf),
}

/// `[clock]`: whether the hub may trust its wall clock for command expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockConfig {
    /// The configured policy.
    pub trust: ClockTrust,
}

/// The wall-clock trust policy: a Pi without an RTC can boot in 1970, and a command's expiry
/// checked against that clock would mean nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockTrust {
    /// Trusted only while systemd-timesyncd reports synchronisation ([`TIMESYNC_MARKER`]).
    Auto,
    /// Always trusted.
    Synchronised,
    /// Never trusted; freshness comes from echoes instead.
    Unsynchronised,
}

impl fmt::Display for ClockTrust {
    /// Spelt as in the configuration file, so logs can be matched against it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClockTrust::Auto => "auto",
            ClockTrust::Synchronised => "synchronised",
            ClockTrust::Unsynchronised => "unsynchronised",
        })
    }
}

impl ClockTrust {
    /// Whether the wall clock may be trusted now; `marker` is [`TIMESYNC_MARKER`] outside
    /// tests.
    pub fn wall_clock_trusted(self, marker: &Path) -> bool {
        match self {
            ClockTrust::Auto => marker.exists(),
            ClockTrust::Synchronised => true,
            ClockTrust::Unsynchronised => false,
        }
    }
}

/// `[envelope]`: limits that bound how long a sealed message can be used and replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeConfig {
    /// The longest lifetime a command may ask for, in seconds.
    pub max_command_lifetime_secs: u64,
    /// How long an echo (freshness challenge) stays valid, in seconds.
    pub echo_validity_secs: u64,
}

/// `[log]`: the default log filter when neither the environment nor `-v` sets one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// A level or tracing filter directive, e.g. `info` or `info,sealhub=debug`.
    pub level: String,
}

impl Config {
    /// Loads the built-in defaults, overlaid by `path` if given: keys the file leaves out keep
    /// their default, unknown keys and bad values are errors naming the file and the key.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let defaults = parse_layer(DEFAULT_TOML, &Origin::BuiltIn)?;
        let (layer, origin) = match path {
            None => (RawConfig::default(), Origin::BuiltIn),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
                    path: path.to_owned(),
                    source,
                })?;
                let origin = Origin::File(path.to_owned());
                let mut layer = parse_layer(&text, &origin)?;
                layer.make_paths_absolute(path.parent().unwrap_or(Path::new(".")));
                (layer, origin)
            }
        };
        layer.overlay(defaults).validate(origin)
    }

    /// The data directory, by precedence: `cli_override` (`--data-dir`), then `hub.data_dir`,
    /// then `$XDG_DATA_HOME/sealhub`, then `$HOME/.local/share/sealhub`.
    pub fn resolve_data_dir(&self, cli_override: Option<PathBuf>) -> Result<PathBuf> {
        self.resolve_data_dir_in(cli_override, &Env::process())
    }

    /// [`Config::resolve_data_dir`] against the given environment.
    pub fn resolve_data_dir_in(&self, cli_override: Option<PathBuf>, env: &Env) -> Result<PathBuf> {
        if let Some(dir) = cli_override.or_else(|| self.hub.data_dir.clone()) {
            return Ok(dir);
        }
        if let Some(xdg) = env.absolute_path("XDG_DATA_HOME") {
            return Ok(xdg.join("sealhub"));
        }
        if let Some(home) = env.absolute_path("HOME") {
            return Ok(home.join(".local/share/sealhub"));
        }
        Err(Error::NoDataDir)
    }

    /// The store's KEK source with defaults filled in from the resolved `data_dir`.
    pub fn store_kek(&self, data_dir: &Path) -> StoreKekConfig {
        match &self.store {
            StoreConfig::KeyFile { path } => StoreKekConfig::KeyFile {
                path: path
                    .clone()
                    .unwrap_or_else(|| data_dir.join(DEFAULT_KEY_FILE_NAME)),
            },
            StoreConfig::SystemdCredential { name } => {
                StoreKekConfig::SystemdCredential { name: name.clone() }
            }
            StoreConfig::Passphrase { source } => StoreKekConfig::Passphrase {
                source: source.clone(),
            },
        }
    }
}

// ---- The file as written: every key optional, unknown keys refused. ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    hub: RawHub,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    clock: RawClock,
    #[serde(default)]
    envelope: RawEnvelope,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    zigbee: RawZigbee,
    #[serde(default)]
    zwave: RawZwave,
    #[serde(default)]
    transport: RawTransport,
    #[serde(default)]
    devices: RawDevices,
    #[serde(default)]
    emulator: RawEmulator,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmulator {
    zigbee_devices: Option<u16>,
    activity_ms: Option<u64>,
    zigbee_tick_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransport {
    enabled: Option<bool>,
    listen: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevices {
    dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZigbee {
    enabled: Option<bool>,
    port: Option<String>,
    force: Option<bool>,
    backup_interval_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZwave {
    enabled: Option<bool>,
    port: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHub {
    name: Option<String>,
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum KekKind {
    KeyFile,
    SystemdCredential,
    Passphrase,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    kek: Option<KekKind>,
    key_file: Option<PathBuf>,
    credential: Option<String>,
    passphrase_file: Option<PathBuf>,
    guard_dir: Option<PathBuf>,
    /// Accepted by the parser only so it can be refused with a clear message; the value is
    /// never kept or echoed.
    passphrase: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    trust: Option<ClockTrust>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    max_command_lifetime_secs: Option<u64>,
    echo_validity_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: Option<String>,
}

fn parse_layer(text: &str, origin: &Origin) -> Result<RawConfig> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| parse_error(e, text, origin))?;
    if raw.store.passphrase.is_some() {
        return Err(Error::PassphraseInConfig {
            origin: origin.clone(),
        });
    }
    Ok(raw)
}

/// Turns a TOML error into [`Error::Parse`] without the source excerpt toml would print: the
/// excerpt could quote a secret someone put in the file by mistake.
fn parse_error(mut err: toml::de::Error, text: &str, origin: &Origin) -> Error {
    let (line, column) = err
        .span()
        .map(|span| line_and_column(text, span.start))
        .unwrap_or((1, 1));
    let message = err.message().to_owned();
    // Without the input, toml's Display ends with "in `a.b`" naming the key path.
    err.set_input(None);
    let key = err
        .to_string()
        .lines()
        .find_map(|l| l.strip_prefix("in `")?.strip_suffix('`').map(str::to_owned));
    Error::Parse {
        origin: origin.clone(),
        line,
        column,
        key,
        message,
    }
}

/// The 1-based line and column (in characters) of a byte offset into `text`, as editors
/// count them; also used for device definition files.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn absolute(base: &Path, path: &mut Option<PathBuf>) {
    if let Some(p) = path.as_mut().filter(|p| p.is_relative()) {
        *p = base.join(&*p);
    }
}

impl RawConfig {
    /// Relative paths in a file mean "next to this file", not "wherever the hub was started".
    fn make_paths_absolute(&mut self, base: &Path) {
        absolute(base, &mut self.hub.data_dir);
        absolute(base, &mut self.store.key_file);
        absolute(base, &mut self.store.passphrase_file);
        // An empty `devices.dir` stays empty, to be refused rather than read as the directory
        // of the file.
        if self
            .devices
            .dir
            .as_ref()
            .is_some_and(|d| !d.as_os_str().is_empty())
        {
            absolute(base, &mut self.devices.dir);
        }
        absolute(base, &mut self.store.guard_dir);
    }

    /// Each key of `self` wins over the same key of `lower`.
    fn overlay(self, lower: RawConfig) -> RawConfig {
        RawConfig {
            hub: RawHub {
                name: self.hub.name.or(lower.hub.name),
                data_dir: self.hub.data_dir.or(lower.hub.data_dir),
            },
            store: RawStore {
                kek: self.store.kek.or(lower.store.kek),
                key_file: self.store.key_file.or(lower.store.key_file),
                credential: self.store.credential.or(lower.store.credential),
                passphrase_file: self.store.passphrase_file.or(lower.store.passphrase_file),
                guard_dir: self.store.guard_dir.or(lower.store.guard_dir),
                passphrase: None,
            },
            clock: RawClock {
                trust: self.clock.trust.or(lower.clock.trust),
            },
            envelope: RawEnvelope {
                max_command_lifetime_secs: self
                    .envelope
                    .max_command_lifetime_secs
                    .or(lower.envelope.max_command_lifetime_secs),
                echo_validity_secs: self
                    .envelope
                    .echo_validity_secs
                    .or(lower.envelope.echo_validity_secs),
            },
            log: RawLog {
                level: self.log.level.or(lower.log.level),
            },
            zigbee: RawZigbee {
                enabled: self.zigbee.enabled.or(lower.zigbee.enabled),
                port: self.zigbee.port.or(lower.zigbee.port),
                force: self.zigbee.force.or(lower.zigbee.force),
                backup_interval_secs: self
                    .zigbee
                    .backup_interval_secs
                    .or(lower.zigbee.backup_interval_secs),
            },
            zwave: RawZwave {
                enabled: self.zwave.enabled.or(lower.zwave.enabled),
                port: self.zwave.port.or(lower.zwave.port),
            },
            transport: RawTransport {
                enabled: self.transport.enabled.or(lower.transport.enabled),
                listen: self.transport.listen.or(lower.transport.listen),
            },
            devices: RawDevices {
                dir: self.devices.dir.or(lower.devices.dir),
            },
            emulator: RawEmulator {
                zigbee_devices: self
                    .emulator
                    .zigbee_devices
                    .or(lower.emulator.zigbee_devices),
                activity_ms: self.emulator.activity_ms.or(lower.emulator.activity_ms),
                zigbee_tick_ms: self
                    .emulator
                    .zigbee_tick_ms
                    .or(lower.emulator.zigbee_tick_ms),
            },
        }
    }

    /// Checks the merged result; `origin` is the file blamed for a bad value (the defaults are
    /// tested to be valid, so a bad value came from the file).
    fn validate(self, origin: Origin) -> Result<Config> {
        let invalid = |key: &'static str, reason: &str| Error::Invalid {
            origin: origin.clone(),
            key,
            reason: reason.to_owned(),
        };
        let required = |key: &'static str| invalid(key, "missing from the built-in defaults");

        let name = self.hub.name.ok_or_else(|| required("hub.name"))?;
        if name.trim().is_empty() {
            return Err(invalid("hub.name", "must not be empty"));
        }

        let kek = self.store.kek.ok_or_else(|| required("store.kek"))?;
        let s = self.store;
        let store_guard_dir = s.guard_dir.clone();
        let only_with = |key: &'static str, set: bool, wanted: KekKind, value: &str| {
            if set && kek != wanted {
                Err(invalid(
                    key,
                    &format!("only applies with kek = \"{value}\""),
                ))
            } else {
                Ok(())
            }
        };
        only_with(
            "store.key_file",
            s.key_file.is_some(),
            KekKind::KeyFile,
            "key-file",
        )?;
        only_with(
            "store.credential",
            s.credential.is_some(),
            KekKind::SystemdCredential,
            "systemd-credential",
        )?;
        only_with(
            "store.passphrase_file",
            s.passphrase_file.is_some(),
            KekKind::Passphrase,
            "passphrase",
        )?;
        let store = match kek {
            KekKind::KeyFile => StoreConfig::KeyFile { path: s.key_file },
            KekKind::SystemdCredential => {
                let name = s
                    .credential
                    .unwrap_or_else(|| DEFAULT_CREDENTIAL_NAME.to_owned());
                // systemd credential names are file names in $CREDENTIALS_DIRECTORY.
                if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                    return Err(invalid(
                        "store.credential",
                        "must be a plain file name (no '/')",
                    ));
                }
                StoreConfig::SystemdCredential { name }
            }
            KekKind::Passphrase => StoreConfig::Passphrase {
                source: match s.passphrase_file {
                    Some(path) => PassphraseSource::File(path),
                    None => PassphraseSource::EnvVar(PASSPHRASE_ENV.to_owned()),
                },
            },
        };

        let trust = self.clock.trust.ok_or_else(|| required("clock.trust"))?;

        let e = self.envelope;
        let max_command_lifetime_secs = e
            .max_command_lifetime_secs
            .ok_or_else(|| required("envelope.max_command_lifetime_secs"))?;
        let echo_validity_secs = e
            .echo_validity_secs
            .ok_or_else(|| required("envelope.echo_validity_secs"))?;
        for (key, value) in [
            (
                "envelope.max_command_lifetime_secs",
                max_command_lifetime_secs,
            ),
            ("envelope.echo_validity_secs", echo_validity_secs),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be greater than zero"));
            }
        }

        let level = self.log.level.ok_or_else(|| required("log.level"))?;
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&level) {
            return Err(invalid("log.level", &format!("not a log filter: {e}")));
        }

        let radio_port = |key: &'static str, value: String| match value.as_str() {
            EMULATED_PORT => Ok(RadioPort::Emulated),
            AUTO_PORT => Ok(RadioPort::Auto),
            path if Path::new(path).is_absolute() => Ok(RadioPort::Serial(PathBuf::from(path))),
            _ => Err(invalid(
                key,
                "must be \"emulated\", \"auto\" or the absolute path of a serial device, \
                 such as /dev/serial/by-id/usb-...",
            )),
        };
        let z = self.zigbee;
        let backup_interval_secs = z
            .backup_interval_secs
            .ok_or_else(|| required("zigbee.backup_interval_secs"))?;
        if backup_interval_secs == 0 {
            return Err(invalid(
                "zigbee.backup_interval_secs",
                "must be greater than zero",
            ));
        }
        let zigbee = ZigbeeConfig {
            enabled: z.enabled.ok_or_else(|| required("zigbee.enabled"))?,
            port: radio_port(
                "zigbee.port",
                z.port.ok_or_else(|| required("zigbee.port"))?,
            )?,
            force: z.force.ok_or_else(|| required("zigbee.force"))?,
            backup_interval_secs,
        };
        let zwave = ZwaveConfig {
            enabled: self
                .zwave
                .enabled
                .ok_or_else(|| required("zwave.enabled"))?,
            port: radio_port(
                "zwave.port",
                self.zwave.port.ok_or_else(|| required("zwave.port"))?,
            )?,
        };

        let listen_text = self
            .transport
            .listen
            .ok_or_else(|| required("transport.listen"))?;
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            invalid(
                "transport.listen",
                "must be an IP address and port, such as \"127.0.0.1:8443\" or \"[::1]:8443\"",
            )
        })?;
        if listen.port() == 0 {
            return Err(invalid(
                "transport.listen",
                "needs a fixed port: clients must know where to connect",
            ));
        }
        let transport = TransportConfig {
            enabled: self
                .transport
                .enabled
                .ok_or_else(|| required("transport.enabled"))?,
            listen,
        };
        let devices = DevicesConfig {
            dir: self.devices.dir,
        };
        if devices
            .dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(invalid("devices.dir", "must not be empty"));
        }
        let zigbee_devices = self
            .emulator
            .zigbee_devices
            .ok_or_else(|| required("emulator.zigbee_devices"))?;
        if zigbee_devices > EmulatorConfig::MAX_ZIGBEE_DEVICES {
            return Err(invalid(
                "emulator.zigbee_devices",
                &format!("must be at most {}", EmulatorConfig::MAX_ZIGBEE_DEVICES),
            ));
        }
        let zigbee_tick_ms = self
            .emulator
            .zigbee_tick_ms
            .ok_or_else(|| required("emulator.zigbee_tick_ms"))?;
        if !EmulatorConfig::ZIGBEE_TICK_MS.contains(&zigbee_tick_ms) {
            return Err(invalid(
                "emulator.zigbee_tick_ms",
                &format!(
                    "must be {} to {} milliseconds",
                    EmulatorConfig::ZIGBEE_TICK_MS.start(),
                    EmulatorConfig::ZIGBEE_TICK_MS.end()
                ),
            ));
        }
        let emulator = EmulatorConfig {
            zigbee_devices,
            activity_ms: self
                .emulator
                .activity_ms
                .ok_or_else(|| required("emulator.activity_ms"))?,
            zigbee_tick_ms,
        };

        Ok(Config {
            origin,
            hub: HubConfig {
                name,
                data_dir: self.hub.data_dir,
            },
            store,
            store_guard_dir,
            clock: ClockConfig { trust },
            envelope: EnvelopeConfig {
                max_command_lifetime_secs,
                echo_validity_secs,
            },
            log: LogConfig { level },
            zigbee,
            zwave,
            transport,
            devices,
            emulator,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    fn file_with(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write temp file");
        f
    }

    fn load_text(text: &str) -> (tempfile::NamedTempFile, Result<Config>) {
        let f = file_with(text);
        let result = Config::load(Some(f.path()));
        (f, result)
    }

    fn env(pairs: &[(&str, &str)]) -> Env<'static> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Env::from_fn(move |k| map.get(k).cloned())
    }

    #[test]
    fn built_in_defaults_parse_to_the_documented_values() {
        let c = Config::load(None).expect("defaults load");
        assert_eq!(c.origin, Origin::BuiltIn);
        assert_eq!(c.hub.name, "sealhub");
        assert_eq!(c.hub.data_dir, None);
        assert_eq!(c.store, StoreConfig::KeyFile { path: None });
        assert_eq!(c.clock.trust, ClockTrust::Auto);
        assert_eq!(
            c.envelope,
            EnvelopeConfig {
                max_command_lifetime_secs: 300,
                echo_validity_secs: 30,
            }
        );
        assert_eq!(c.log.level, "info");
        assert_eq!(
            c.zigbee,
            ZigbeeConfig {
                enabled: true,
                port: RadioPort::Emulated,
                force: false,
                backup_interval_secs: 900,
            }
        );
        assert_eq!(
            c.zwave,
            ZwaveConfig {
                enabled: true,
                port: RadioPort::Emulated,
            }
        );
        assert_eq!(
            c.store_kek(Path::new("/d")),
            StoreKekConfig::KeyFile {
                path: PathBuf::from("/d/store.key")
            }
        );
        assert_eq!(
            c.transport,
            TransportConfig {
                enabled: true,
                listen: "127.0.0.1:8443".parse().expect("address"),
            }
        );
    }

    #[test]
    fn transport_takes_an_address_with_a_fixed_port() {
        let (_f, c) = load_text("[transport]\nlisten = \"[::]:9443\"\nenabled = false\n");
        let c = c.expect("loads");
        assert_eq!(c.transport.listen, "[::]:9443".parse().expect("address"));
        assert!(!c.transport.enabled);
        for (bad, key) in [
            (
                "[transport]\nlisten = \"localhost:8443\"\n",
                "transport.listen",
            ),
            ("[transport]\nlisten = \"127.0.0.1\"\n", "transport.listen"),
            (
                "[transport]\nlisten = \"127.0.0.1:0\"\n",
                "transport.listen",
            ),
            ("[transport]\nlisten = 8443\n", "transport.listen"),
            ("[transport]\nenabled = \"yes\"\n", "transport.enabled"),
            ("[transport]\nport = 8443\n", "port"),
        ] {
            let (_f, c) = load_text(bad);
            let text = c.expect_err(bad).to_string();
            assert!(text.contains(key), "{bad:?} gave {text}");
        }
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let (f, c) = load_text("");
        let c = c.expect("empty file loads");
        assert_eq!(c.origin, Origin::File(f.path().to_owned()));
        assert_eq!(
            Config {
                origin: Origin::BuiltIn,
                ..c
            },
            Config::load(None).expect("defaults")
        );
    }

    #[test]
    fn a_file_overrides_only_the_keys_it_sets() {
        let (_f, c) = load_text(
            "[hub]\nname = \"kitchen\"\n[envelope]\necho_validity_secs = 12\n[clock]\ntrust = \
             \"unsynchronised\"\n",
        );
        let c = c.expect("overlay loads");
        assert_eq!(c.hub.name, "kitchen");
        assert_eq!(c.envelope.echo_validity_secs, 12);
        assert_eq!(c.envelope.max_command_lifetime_secs, 300);
        assert_eq!(c.clock.trust, ClockTrust::Unsynchronised);
        assert_eq!(c.log.level, "info");
    }

    #[test]
    fn store_kek_choices_resolve() {
        let (_f, c) = load_text("[store]\nkek = \"systemd-credential\"\n");
        assert_eq!(
            c.expect("loads").store_kek(Path::new("/d")),
            StoreKekConfig::SystemdCredential {
                name: DEFAULT_CREDENTIAL_NAME.into()
            }
        );

        let (_f, c) = load_text("[store]\nkek = \"passphrase\"\n");
        assert_eq!(
            c.expect("loads").store_kek(Path::new("/d")),
            StoreKekConfig::Passphrase {
                source: PassphraseSource::EnvVar(PASSPHRASE_ENV.into())
            }
        );

        let (_f, c) = load_text("[store]\nkek = \"passphrase\"\npassphrase_file = \"/run/pw\"\n");
        assert_eq!(
            c.expect("loads").store_kek(Path::new("/d")),
            StoreKekConfig::Passphrase {
                source: PassphraseSource::File("/run/pw".into())
            }
        );

        let (_f, c) = load_text("[store]\nkey_file = \"/etc/k\"\n");
        assert_eq!(
            c.expect("loads").store_kek(Path::new("/d")),
            StoreKekConfig::KeyFile {
                path: "/etc/k".into()
            }
        );
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let (f, c) = load_text("[hub]\ndata_dir = \"state\"\n[store]\nkey_file = \"k\"\n");
        let c = c.expect("loads");
        let dir = f.path().parent().expect("temp file has a parent");
        assert_eq!(c.hub.data_dir, Some(dir.join("state")));
        assert_eq!(
            c.store_kek(Path::new("/elsewhere")),
            StoreKekConfig::KeyFile {
                path: dir.join("k")
            }
        );
    }

    #[test]
    fn unknown_key_is_refused_naming_key_and_file() {
        let (f, c) = load_text("[hub]\nname = \"x\"\nnmae = \"y\"\n");
        let err = c.expect_err("unknown key must be refused");
        let text = err.to_string();
        assert!(text.contains("nmae"), "{text}");
        assert!(text.contains(&f.path().display().to_string()), "{text}");
        assert!(text.contains("line 3"), "{text}");
        assert!(matches!(err, Error::Parse { .. }));
    }

    #[test]
    fn radio_sections_take_a_serial_path_or_emulated() {
        let (_f, c) = load_text(
            "[zigbee]\nport = \"/dev/serial/by-id/usb-ITead_Sonoff\"\nforce = true\n\
             [zwave]\nenabled = false\n",
        );
        let c = c.expect("loads");
        assert_eq!(
            c.zigbee.port,
            RadioPort::Serial("/dev/serial/by-id/usb-ITead_Sonoff".into())
        );
        assert!(c.zigbee.force && c.zigbee.enabled);
        assert!(!c.zwave.enabled);
        assert_eq!(c.zwave.port, RadioPort::Emulated);
    }

    #[test]
    fn the_emulated_house_size_and_activity_are_read_and_bounded() {
        let c = Config::load(None).expect("defaults load");
        assert_eq!(
            c.emulator,
            EmulatorConfig {
                zigbee_devices: 8,
                activity_ms: 0,
                zigbee_tick_ms: 10,
            }
        );
        let (_f, c) = load_text("[emulator]\nzigbee_devices = 200\nactivity_ms = 50\n");
        assert_eq!(
            c.expect("loads").emulator,
            EmulatorConfig {
                zigbee_devices: 200,
                activity_ms: 50,
                zigbee_tick_ms: 10,
            }
        );
        // One key given, the other keeps its default.
        let (_f, c) = load_text("[emulator]\nactivity_ms = 1000\n");
        assert_eq!(c.expect("loads").emulator.zigbee_devices, 8);
        let (_f, c) = load_text("[emulator]\nzigbee_tick_ms = 1\n");
        assert_eq!(c.expect("loads").emulator.zigbee_tick_ms, 1);
        for (toml, key) in [
            (
                "[emulator]\nzigbee_devices = 1001\n",
                "emulator.zigbee_devices",
            ),
            ("[emulator]\nzigbee_devices = -1\n", "zigbee_devices"),
            ("[emulator]\nzigbee_devices = \"200\"\n", "zigbee_devices"),
            ("[emulator]\nactivity_ms = -5\n", "activity_ms"),
            (
                "[emulator]\nzigbee_tick_ms = 0\n",
                "emulator.zigbee_tick_ms",
            ),
            (
                "[emulator]\nzigbee_tick_ms = 101\n",
                "emulator.zigbee_tick_ms",
            ),
            ("[emulator]\ndevices = 200\n", "devices"),
        ] {
            let (_f, c) = load_text(toml);
            let text = c.expect_err(toml).to_string();
            assert!(text.contains(key), "{toml:?} gave {text}");
        }
        let (_f, c) = load_text("[emulator]\nzigbee_devices = 1000\n");
        assert_eq!(
            c.expect("the largest house loads").emulator.zigbee_devices,
            EmulatorConfig::MAX_ZIGBEE_DEVICES
        );
    }

    /// The two configurations the Debian package installs in /etc/sealhub (key file, systemd
    /// credential) load, so a typo there cannot ship a service that refuses to start.
    #[test]
    fn the_packaged_service_configurations_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/etc");
        let key_file = Config::load(Some(&dir.join("hub.toml"))).expect("hub.toml");
        assert_eq!(key_file.store, StoreConfig::KeyFile { path: None });
        let credential =
            Config::load(Some(&dir.join("hub-credential.toml"))).expect("hub-credential.toml");
        assert_eq!(
            credential.store,
            StoreConfig::SystemdCredential {
                name: "sealhub-store-key".into()
            }
        );
        // Apart from the key's source, the two say the same.
        assert_eq!(key_file.zigbee, credential.zigbee);
        assert_eq!(key_file.zwave, credential.zwave);
        assert_eq!(key_file.hub, credential.hub);
    }

    #[test]
    fn radio_ports_may_be_found_automatically() {
        let (_f, c) = load_text("[zigbee]\nport = \"auto\"\n[zwave]\nport = \"auto\"\n");
        let c = c.expect("loads");
        assert_eq!(c.zigbee.port, RadioPort::Auto);
        assert_eq!(c.zwave.port, RadioPort::Auto);
        assert_eq!(c.zwave.port.to_string(), "auto");
        // Only the exact word: "Auto" or "automatic" are neither a keyword nor a path.
        for text in [
            "[zigbee]\nport = \"Auto\"\n",
            "[zwave]\nport = \"automatic\"\n",
        ] {
            let (_f, c) = load_text(text);
            assert!(c.is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn devices_dir_is_optional_and_relative_to_the_file() {
        assert_eq!(
            Config::load(None).expect("defaults").devices,
            DevicesConfig { dir: None }
        );
        let (f, c) = load_text("[devices]\ndir = \"devices.d\"\n");
        let dir = f.path().parent().expect("temp file has a parent");
        assert_eq!(c.expect("loads").devices.dir, Some(dir.join("devices.d")));
        let (_f, c) = load_text("[devices]\ndir = \"/etc/sealhub/devices\"\n");
        assert_eq!(
            c.expect("loads").devices.dir,
            Some(PathBuf::from("/etc/sealhub/devices"))
        );
    }

    #[test]
    fn devices_section_refuses_unknown_keys_and_an_empty_dir() {
        let (_f, c) = load_text("[devices]\ndirectory = \"d\"\n");
        let text = c.expect_err("unknown key").to_string();
        assert!(
            text.contains("directory") && text.contains("line 2"),
            "{text}"
        );
        let (_f, c) = load_text("[devices]\ndir = \"\"\n");
        let text = c.expect_err("empty dir").to_string();
        assert!(text.contains("devices.dir"), "{text}");
    }

    #[test]
    fn unknown_section_is_refused() {
        let (_f, c) = load_text("[radios]\nzigbee = \"/dev/ttyUSB0\"\n");
        let text = c.expect_err("unknown section").to_string();
        assert!(text.contains("radios"), "{text}");
    }

    #[test]
    fn bad_kek_value_is_refused_naming_file_and_key() {
        let (f, c) = load_text("[store]\nkek = \"tpm\"\n");
        let err = c.expect_err("bad kek must be refused");
        let text = err.to_string();
        assert!(text.contains("store.kek"), "{text}");
        assert!(text.contains("tpm"), "{text}");
        assert!(text.contains(&f.path().display().to_string()), "{text}");
    }

    #[test]
    fn bad_values_are_refused_naming_the_key() {
        for (toml, key) in [
            (
                "[envelope]\nmax_command_lifetime_secs = -1\n",
                "envelope.max_command_lifetime_secs",
            ),
            (
                "[envelope]\necho_validity_secs = 0\n",
                "envelope.echo_validity_secs",
            ),
            (
                "[envelope]\necho_validity_secs = \"30\"\n",
                "envelope.echo_validity_secs",
            ),
            ("[clock]\ntrust = \"maybe\"\n", "clock.trust"),
            ("[zigbee]\nport = \"ttyUSB0\"\n", "zigbee.port"),
            ("[zwave]\nport = \"\"\n", "zwave.port"),
            ("[zwave]\nenabled = \"yes\"\n", "zwave.enabled"),
            (
                "[zigbee]\nbackup_interval_secs = 0\n",
                "zigbee.backup_interval_secs",
            ),
            ("[zigbee]\nbaud = 57600\n", "baud"),
            ("[hub]\nname = \"\"\n", "hub.name"),
            ("[log]\nlevel = \"loud=[\"\n", "log.level"),
            (
                "[store]\nkek = \"passphrase\"\nkey_file = \"k\"\n",
                "store.key_file",
            ),
            ("[store]\ncredential = \"c\"\n", "store.credential"),
            (
                "[store]\nkek = \"systemd-credential\"\ncredential = \"a/b\"\n",
                "store.credential",
            ),
        ] {
            let (_f, c) = load_text(toml);
            let text = c.expect_err(toml).to_string();
            assert!(text.contains(key), "{toml:?} gave {text}");
        }
    }

    #[test]
    fn a_passphrase_in_the_file_is_refused_without_echoing_it() {
        let (_f, c) = load_text("[store]\nkek = \"passphrase\"\npassphrase = \"hunter2\"\n");
        let err = c.expect_err("passphrase in file must be refused");
        assert!(matches!(err, Error::PassphraseInConfig { .. }));
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn syntax_errors_do_not_quote_the_file() {
        let (_f, c) = load_text("[store]\nkek = \"passphrase\"\nsecret = hunter2\n");
        let text = c.expect_err("bad TOML").to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("line 3"), "{text}");
    }

    #[test]
    fn a_missing_file_is_a_read_error_naming_it() {
        let err = Config::load(Some(Path::new("/nonexistent/hub.toml"))).expect_err("missing");
        assert!(matches!(err, Error::Read { .. }));
        assert!(err.to_string().contains("/nonexistent/hub.toml"));
    }

    #[test]
    fn data_dir_resolution_order() {
        let defaults = Config::load(None).expect("defaults");
        let (_f, with_file) = load_text("[hub]\ndata_dir = \"/from/file\"\n");
        let with_file = with_file.expect("loads");
        let full = env(&[("XDG_DATA_HOME", "/xdg"), ("HOME", "/home/u")]);
        let cli = Some(PathBuf::from("/from/cli"));

        let resolve = |c: &Config, cli: Option<PathBuf>, env: &Env| {
            c.resolve_data_dir_in(cli, env).expect("resolves")
        };
        // CLI beats the file, the file beats XDG, XDG beats HOME.
        assert_eq!(
            resolve(&with_file, cli.clone(), &full),
            PathBuf::from("/from/cli")
        );
        assert_eq!(resolve(&defaults, cli, &full), PathBuf::from("/from/cli"));
        assert_eq!(
            resolve(&with_file, None, &full),
            PathBuf::from("/from/file")
        );
        assert_eq!(
            resolve(&defaults, None, &full),
            PathBuf::from("/xdg/sealhub")
        );
        assert_eq!(
            resolve(&defaults, None, &env(&[("HOME", "/home/u")])),
            PathBuf::from("/home/u/.local/share/sealhub")
        );
        // A relative or empty XDG_DATA_HOME is ignored, as the XDG spec says.
        assert_eq!(
            resolve(
                &defaults,
                None,
                &env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/home/u")])
            ),
            PathBuf::from("/home/u/.local/share/sealhub")
        );
        assert_eq!(
            resolve(
                &defaults,
                None,
                &env(&[("XDG_DATA_HOME", ""), ("HOME", "/home/u")])
            ),
            PathBuf::from("/home/u/.local/share/sealhub")
        );
        assert!(matches!(
            defaults.resolve_data_dir_in(None, &env(&[])),
            Err(Error::NoDataDir)
        ));
    }

    #[test]
    fn clock_trust_follows_the_timesync_marker_only_in_auto() {
        let dir = tempfile::tempdir().expect("temp dir");
        let present = dir.path().join("synchronized");
        std::fs::write(&present, b"").expect("create marker");
        let absent = dir.path().join("absent");
        assert!(ClockTrust::Auto.wall_clock_trusted(&present));
        assert!(!ClockTrust::Auto.wall_clock_trusted(&absent));
        assert!(ClockTrust::Synchronised.wall_clock_trusted(&absent));
        assert!(!ClockTrust::Unsynchronised.wall_clock_trusted(&present));
    }
}
