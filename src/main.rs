//! The `sealhub` binary: the edge where the command line, the configuration, logging and
//! signals meet the library. Errors are `anyhow` here and printed once, with their causes.

mod cli;
mod client_cli;
mod runtime;
mod startup;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;
use sealhub::config::{self, Config, StoreKekConfig};
use tracing::{debug, info};
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command, EnvelopeCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sealhub: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    init_logging(cli.verbose, &config.log.level)?;
    match cli.command {
        Command::Run(args) => run(&config, cli.data_dir, args.once),
        Command::Keys => {
            let data_dir = absolute_data_dir(&config, cli.data_dir)?;
            print!("{}", startup::keys(&config, &data_dir)?);
            Ok(())
        }
        Command::Doctor(args) => doctor(&config, cli.data_dir, args.root),
        Command::Init => {
            let data_dir = absolute_data_dir(&config, cli.data_dir)?;
            prepare_data_dir(&data_dir)?;
            print!("{}", startup::init(&config, &data_dir)?);
            Ok(())
        }
        Command::RestoreAck => {
            let data_dir = absolute_data_dir(&config, cli.data_dir)?;
            print!("{}", startup::restore_ack(&config, &data_dir)?);
            Ok(())
        }
        Command::Envelope {
            command: EnvelopeCommand::Inspect { file },
        } => {
            print!("{}", startup::inspect(file.as_deref())?);
            Ok(())
        }
        Command::Client(args) => client_cli::run(args),
    }
}

/// `sealhub doctor`: one line per check on stdout; an error (exit status 1) when any failed.
fn doctor(
    config: &Config,
    data_dir_override: Option<PathBuf>,
    root: Option<PathBuf>,
) -> Result<()> {
    use sealhub::doctor::{self, Subject, SystemRoot};

    let data_dir = absolute_data_dir(config, data_dir_override)?;
    let kek = config.store_kek(&data_dir);
    let configured_ports = [&config.zigbee.port, &config.zwave.port]
        .into_iter()
        .filter_map(|port| match port {
            config::RadioPort::Serial(path) => Some(path.clone()),
            _ => None,
        })
        .collect();
    let root = root.map_or_else(SystemRoot::system, SystemRoot);
    let findings = doctor::run(
        &root,
        &Subject {
            data_dir: &data_dir,
            kek: &kek,
            configured_ports,
        },
    );
    for finding in &findings {
        println!("{finding}");
    }
    if doctor::any_failed(&findings) {
        bail!("some checks failed; see the fixes above");
    }
    Ok(())
}

/// Logs go to stderr. The filter is, first to last: `-v`/`-vv`, `SEALHUB_LOG`, `RUST_LOG`,
/// then `[log] level` from the configuration.
fn init_logging(verbose: u8, config_level: &str) -> Result<()> {
    let filter = match verbose {
        0 => env_filter_from("SEALHUB_LOG")?
            .or(env_filter_from("RUST_LOG")?)
            .map_or_else(
                || EnvFilter::try_new(config_level).context("invalid [log] level"),
                Ok,
            )?,
        1 => EnvFilter::new("info,sealhub=debug"),
        _ => EnvFilter::new("trace"),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

/// The filter in the environment variable `name`, if it is set and not empty; a bad filter is
/// an error rather than silently ignored.
fn env_filter_from(name: &str) -> Result<Option<EnvFilter>> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => {
            let v = v
                .into_string()
                .map_err(|_| anyhow::anyhow!("{name} is not valid UTF-8"))?;
            EnvFilter::try_new(&v)
                .map(Some)
                .with_context(|| format!("invalid log filter in {name}"))
        }
    }
}

/// The data directory from the command line, configuration or environment, made absolute.
fn absolute_data_dir(config: &Config, data_dir_override: Option<PathBuf>) -> Result<PathBuf> {
    let data_dir = config.resolve_data_dir(data_dir_override)?;
    std::path::absolute(&data_dir)
        .with_context(|| format!("cannot make {} absolute", data_dir.display()))
}

/// `sealhub run`: open the store and the home, start the radios, then wait for Ctrl-C or
/// SIGTERM (or, with `--once`, only until each radio's first start attempt is over).
fn run(config: &Config, data_dir_override: Option<PathBuf>, once: bool) -> Result<()> {
    // First, so that a bad definition stops the start before anything is created on disk.
    // The gateway maps joined devices with them.
    let definitions = startup::load_definitions(config)?;
    let data_dir = absolute_data_dir(config, data_dir_override)?;
    prepare_data_dir(&data_dir)?;

    let kek = config.store_kek(&data_dir);
    let wall_clock_trusted = config
        .clock
        .trust
        .wall_clock_trusted(Path::new(config::TIMESYNC_MARKER));
    info!(
        hub = %config.hub.name,
        data_dir = %data_dir.display(),
        config = %config.origin,
        "starting"
    );
    info!(
        kek = %describe_kek(&kek),
        clock_trust = %config.clock.trust,
        wall_clock_trusted,
        "configuration"
    );
    debug!(envelope = ?config.envelope, "envelope limits");

    // The home goes to the gateway task, which keeps it (and its store) open while the hub runs.
    let (home, store) = startup::open_home(
        config,
        &data_dir,
        wall_clock_trusted,
        startup::HomeStart::Run,
    )?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(runtime::run(config, home, definitions, &store, once))?;
    // Radio tasks left behind after the shutdown grace are dropped with the runtime.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    info!("sealhub stopped");
    Ok(())
}

/// Creates the data directory (and missing parents) with mode 0700, or checks that an
/// existing one is a directory that only its owner can enter: it will hold the sealed store.
fn prepare_data_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

    match std::fs::metadata(dir) {
        Ok(meta) => {
            if !meta.is_dir() {
                bail!(
                    "data directory {} exists but is not a directory",
                    dir.display()
                );
            }
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                bail!(
                    "data directory {} is open to group or others (mode {mode:03o}); \
                     run `chmod 700 {}`",
                    dir.display(),
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create data directory {}", dir.display()))?;
            // The umask may have narrowed 0700 further; make it exactly 0700.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot set mode 0700 on {}", dir.display()))?;
            info!(data_dir = %dir.display(), "created data directory");
            Ok(())
        }
        Err(e) => {
            Err(e).with_context(|| format!("cannot inspect data directory {}", dir.display()))
        }
    }
}

/// A log-safe description of the KEK source: where it comes from, never a secret.
fn describe_kek(kek: &StoreKekConfig) -> String {
    match kek {
        StoreKekConfig::KeyFile { path } => format!("key file {}", path.display()),
        StoreKekConfig::SystemdCredential { name } => format!("systemd credential {name}"),
        StoreKekConfig::Passphrase { source } => match source {
            config::PassphraseSource::EnvVar(var) => format!("passphrase from ${var}"),
            config::PassphraseSource::File(path) => {
                format!("passphrase from file {}", path.display())
            }
        },
    }
}
