//! The `sealhub` command line, declared with clap so that `--help` is the reference for it and
//! `main` only has to dispatch on an already-validated [`Cli`].

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

/// A home hub that seals every Zigbee and Z-Wave message in an authenticated COSE envelope.
#[derive(Debug, Parser)]
#[command(name = "sealhub", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file laid over the built-in defaults (see config/hub.toml)
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Data directory [default: [hub] data_dir, else $XDG_DATA_HOME/sealhub, else
    /// $HOME/.local/share/sealhub]
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// More log output: -v is debug for sealhub, -vv is trace for everything; overrides
    /// SEALHUB_LOG, RUST_LOG and [log] level
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; one variant each so `main` dispatches with a single `match`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub until Ctrl-C or SIGTERM
    Run(RunArgs),
    /// Show the home's identity: its hub id, root key thumbprint and key epoch (an existing
    /// home only; nothing is created)
    Keys,
    /// Check the serial ports, the clock, the store's key and disk space, and say how to fix
    /// what is wrong (exit status 1 when a check fails)
    Doctor(DoctorArgs),
    /// Create a new home where there is none: `run` creates one only on the first start of an
    /// empty data directory, and refuses a data directory whose database is missing
    Init,
    /// After restoring the data directory from a backup (or when `run` refuses a store older
    /// than its rollback guard): move every sequence number far ahead, rotate the epoch, keep
    /// every revocation the guard knows, and record a new generation
    RestoreAck,
    /// Work with sealed envelopes
    Envelope {
        /// What to do with envelopes.
        #[command(subcommand)]
        command: EnvelopeCommand,
    },
    /// Be a client of a hub: pair this machine, list devices, send commands, watch events
    Client(ClientArgs),
    /// Save the whole hub (keys, clients, devices, radio networks) to one encrypted file; the
    /// hub must be stopped
    Backup(BackupArgs),
    /// Bring the whole hub back from a backup file, replacing this data directory's store; the
    /// hub must be stopped (then `sealhub restore-ack` where it says so)
    Restore(RestoreArgs),
    /// Bring a home from Zigbee2MQTT or Z-Wave JS along: its network, keys and devices, so
    /// nothing has to be paired again (stop the other hub first)
    Import {
        /// Where to import from.
        #[command(subcommand)]
        source: ImportSource,
    },
}

/// Where the backup passphrase comes from: `--passphrase-file`, else
/// `$SEALHUB_BACKUP_PASSPHRASE`.
#[derive(Debug, Args)]
pub struct BackupPassphraseArgs {
    /// Read the backup passphrase from this file (first line) [default: the environment
    /// variable SEALHUB_BACKUP_PASSPHRASE]
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// Options of `sealhub backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (it must not exist yet)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The passphrase.
    #[command(flatten)]
    pub passphrase: BackupPassphraseArgs,

    /// Argon2id memory cost in KiB (for tests; the default suits a Raspberry Pi)
    #[arg(long, value_name = "KIB", hide = true)]
    pub kdf_memory_kib: Option<u32>,
}

/// Options of `sealhub restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file to restore
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// The passphrase.
    #[command(flatten)]
    pub passphrase: BackupPassphraseArgs,

    /// Restore even when the backup is older than the store it replaces, or of another home
    /// (the hub then refuses the restored store until `sealhub restore-ack`)
    #[arg(long)]
    pub force: bool,
}

/// The `sealhub import` sources.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// Zigbee2MQTT's data directory: coordinator_backup.json, database.db and the friendly
    /// names of configuration.yaml
    #[command(name = "zigbee2mqtt")]
    Zigbee2mqtt {
        /// The data directory (the one holding configuration.yaml)
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Z-Wave JS's cache directory (Z-Wave JS UI: its `store` directory): the network cache
    /// <homeid>.jsonl and the S0/S2 keys of settings.json
    #[command(name = "zwave-js")]
    ZwaveJs {
        /// The directory holding the network cache
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// A JSON file with the network keys ({"S2_AccessControl": "<hex>", ...}, or a
        /// settings.json) [default: DIR/settings.json]
        #[arg(long, value_name = "FILE")]
        keys: Option<PathBuf>,
    },
}

/// Options of `sealhub client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The client's own data directory (its key and the paired hub) [default:
    /// $XDG_DATA_HOME/sealhub-client, else $HOME/.local/share/sealhub-client]
    #[arg(long, value_name = "DIR")]
    pub client_dir: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: ClientCommand,
}

/// The `sealhub client` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Pair with a hub using the setup code it printed
    Pair {
        /// The hub's address, as printed by `sealhub run` (wss://HOST:PORT)
        #[arg(value_name = "URL")]
        url: String,
        /// The setup code, such as 1234-5678
        #[arg(long, value_name = "CODE")]
        code: String,
        /// The name this client is known by at the hub [default: this machine's host name]
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// List the devices the hub lets this client see
    Devices,
    /// Send a command to a device, e.g. `send zb:00124b0000a15e5e on`, `send zw:cafe0001:5 lock
    /// unlock`, `level 50`, `setpoint heat 21.5`
    Send {
        /// The device id
        #[arg(value_name = "DEVICE")]
        device: String,
        /// The endpoint (default: the device's first endpoint that can take the action, as
        /// the hub lists it)
        #[arg(long)]
        endpoint: Option<u8>,
        /// The action and its arguments
        #[arg(value_name = "ACTION", required = true, num_args = 1.., allow_hyphen_values = true)]
        action: Vec<String>,
    },
    /// Print events as they come, with what was verified
    Watch,
}

/// Options of `sealhub run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Exit once start-up is over (the radios' first start attempts included) instead of
    /// waiting for a signal (for tests and smoke checks)
    #[arg(long)]
    pub once: bool,
}

/// Options of `sealhub doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Read the system's paths (/sys, /dev, /proc, /etc, /run) under this directory instead of
    /// / (for tests)
    #[arg(long, value_name = "DIR", hide = true)]
    pub root: Option<PathBuf>,
}

/// The `sealhub envelope` subcommands.
#[derive(Debug, Subcommand)]
pub enum EnvelopeCommand {
    /// Show what a middlebox sees of an envelope: its routing metadata and headers, from a
    /// file or stdin (raw CBOR or hex)
    Inspect {
        /// The file holding the envelope
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_may_follow_the_subcommand() {
        let cli = Cli::try_parse_from(["sealhub", "run", "--once", "--data-dir", "/d", "-vv"])
            .expect("parses");
        assert_eq!(cli.data_dir, Some(PathBuf::from("/d")));
        assert_eq!(cli.verbose, 2);
        assert!(matches!(cli.command, Command::Run(RunArgs { once: true })));
    }

    #[test]
    fn import_takes_its_source_and_directory() {
        let cli = Cli::try_parse_from(["sealhub", "import", "zwave-js", "/z", "--keys", "/k"])
            .expect("parses");
        let Command::Import {
            source: ImportSource::ZwaveJs { dir, keys },
        } = cli.command
        else {
            panic!("not a Z-Wave JS import");
        };
        assert_eq!(
            (dir, keys),
            (PathBuf::from("/z"), Some(PathBuf::from("/k")))
        );
        assert!(Cli::try_parse_from(["sealhub", "import", "zigbee2mqtt"]).is_err());
    }

    #[test]
    fn client_send_takes_the_action_words() {
        let cli = Cli::try_parse_from([
            "sealhub",
            "client",
            "--client-dir",
            "/c",
            "send",
            "zb:1",
            "setpoint",
            "heat",
            "-1.5",
        ])
        .expect("parses");
        let Command::Client(ClientArgs {
            client_dir,
            command:
                ClientCommand::Send {
                    device,
                    endpoint,
                    action,
                },
        }) = cli.command
        else {
            panic!("not a send");
        };
        assert_eq!(client_dir, Some(PathBuf::from("/c")));
        assert_eq!((device.as_str(), endpoint), ("zb:1", None));
        assert_eq!(action, ["setpoint", "heat", "-1.5"]);
    }
}
