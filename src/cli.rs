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
    /// Manage the hub's keys (not yet available)
    Keys,
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
}

/// Options of `sealhub run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Exit once start-up is over (the radios' first start attempts included) instead of
    /// waiting for a signal (for tests and smoke checks)
    #[arg(long)]
    pub once: bool,
}

/// The `sealhub envelope` subcommands.
#[derive(Debug, Subcommand)]
pub enum EnvelopeCommand {
    /// Decode an envelope and show its routing metadata and headers (not yet available)
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
}
