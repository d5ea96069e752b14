//! Device definitions as data (`config/devices/*.toml`): which devices a definition matches and
//! how their endpoints' clusters or command classes map onto the device model's capabilities,
//! with the options where devices differ. Supporting a device means adding a file, not code.
//!
//! The definitions in `config/devices/` are compiled into the binary (`build.rs` embeds every
//! file there); more can be added from the directory `[devices] dir` in `hub.toml` names. A
//! malformed one is refused at start with its file, line and what is wrong, and so is a
//! definition that claims a device another one already claims: an added file cannot quietly
//! replace a built-in one. Devices without a definition are mapped by the gateway's generic
//! fallbacks (by cluster, by command class), which produce the same types.
//!
//! The file format is documented in `config/devices/README.md`; `format` mirrors it, `check`
//! turns it into these types, `set` gathers files into [`Definitions`], and [`sources`] says
//! which cluster or command class each capability comes from.
//!
//! No radio types here: a definition speaks of cluster and command class numbers, and the
//! gateway turns them into radio requests.

mod check;
mod format;
mod set;
pub mod sources;
#[cfg(test)]
mod tests;

pub use set::builtin_file_names;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::Capability;

/// One device definition, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// Where it came from, for logs and errors: `built-in:philips-hue-white.toml` or a path.
    pub source: String,
    /// The product, as a person knows it ("Hue White A19").
    pub name: String,
    /// The maker, as a person knows it ("Philips").
    pub vendor: String,
    /// Which devices it is for.
    pub matches: Match,
    /// How each endpoint maps onto the model. Endpoints the definition leaves out are not
    /// exposed.
    pub endpoints: Vec<EndpointMapping>,
}

/// Which devices a definition is for, by what their interview reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// A Zigbee device by its Basic cluster's `manufacturerName` and `modelId` (exact, as the
    /// device reports them; several model ids when one product ships under several).
    Zigbee {
        /// `manufacturerName`.
        manufacturer: String,
        /// `modelId`s.
        models: Vec<String>,
    },
    /// A Z-Wave node by its Manufacturer Specific report.
    Zwave {
        /// Manufacturer id.
        manufacturer_id: u16,
        /// Product type.
        product_type: u16,
        /// Product ids (several when one product ships under several, e.g. by region).
        product_ids: Vec<u16>,
    },
}

/// How one radio endpoint maps onto the model.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointMapping {
    /// The radio's endpoint: the Zigbee endpoint number, or the Z-Wave end point (0 for the
    /// root device).
    pub endpoint: u8,
    /// A name for this part when the device has several ("left outlet").
    pub name: Option<String>,
    /// Its capabilities, each with where it comes from and its options.
    pub capabilities: Vec<CapabilityMapping>,
}

/// One capability of an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct CapabilityMapping {
    /// The capability.
    pub capability: Capability,
    /// The cluster (Zigbee) or command class (Z-Wave) it comes from, when not the usual one
    /// for the capability (`None`: the usual one; the gateway knows them).
    pub source: Option<u16>,
    /// Where devices differ.
    pub options: MappingOptions,
}

/// Options where devices of the same capability differ.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MappingOptions {
    /// Multiply what the device reports by this factor, after the usual conversion to the
    /// model's unit (a plug that reports power in deciwatts where the cluster says watts).
    pub scale: Option<Scale>,
    /// The device reports the opposite state (a contact sensor that says "closed" when open).
    pub invert: bool,
    /// The attribute reporting to configure on the device (Zigbee Configure Reporting; Z-Wave
    /// nodes report by their lifeline and ignore this).
    pub reporting: Option<Reporting>,
}

/// A rational factor, so scaling stays in integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Numerator.
    pub numerator: i64,
    /// Denominator, never 0.
    pub denominator: i64,
}

/// Reporting to configure for a capability's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reporting {
    /// Minimum interval between reports, seconds.
    pub min_secs: u16,
    /// Maximum interval (a report is sent at least this often), seconds.
    pub max_secs: u16,
    /// The change that triggers a report, in the device's own units for the attribute.
    pub change: u32,
}

/// Where in a definition file something is: the file, 1-based line and column, shown as
/// `file:line:column` as compilers do, so editors can jump there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file: `config/devices/NAME.toml` for a built-in definition (where it is fixed),
    /// else the path it was read from.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Why definitions could not be loaded. Every refusal of a file's content carries its
/// [`Location`]; the message says what is wrong in the words of the file format.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not TOML, or not this format: a syntax error, a value of the wrong type, an unknown or
    /// a missing key.
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: Location,
        /// What the TOML parser said.
        message: String,
    },
    /// Well-formed but wrong: out of range, empty, duplicated, or contradicting itself.
    #[error("{at}: {message}")]
    Invalid {
        /// The value to blame.
        at: Location,
        /// What is wrong with it.
        message: String,
    },
    /// A definition claims a device that another one already claims; the hub would not know
    /// which to use.
    #[error(
        "{at}: {device} is already matched by {other}{}",
        if *.replaces_built_in {
            " (built in); an added definition may not replace a built-in one: change the \
             built-in one instead"
        } else {
            ""
        }
    )]
    Conflict {
        /// The later claim.
        at: Location,
        /// The earlier one.
        other: Location,
        /// The device both claim.
        device: String,
        /// The earlier one is built in and the later one was added.
        replaces_built_in: bool,
    },
    /// A definitions directory or file could not be read.
    #[error("cannot read device definitions from {}", .path.display())]
    Read {
        /// The directory or file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file in the definitions directory is far larger than any definition.
    #[error(
        "{}: {len} bytes is too large for a device definition (at most {max})",
        .path.display(),
        max = MAX_FILE_LEN
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        len: u64,
    },
}

impl Error {
    /// Where in a file the error is, for the errors about a file's content.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Syntax { at, .. } | Error::Invalid { at, .. } | Error::Conflict { at, .. } => {
                Some(at)
            }
            Error::Read { .. } | Error::TooLarge { .. } => None,
        }
    }
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;

/// The largest definition file read from a directory, in bytes: the longest shipped one is
/// a few kilobytes, and a file far past that is not a definition.
pub const MAX_FILE_LEN: u64 = 256 * 1024;

/// Parses and checks one definition file's text; `file` names it in errors and becomes the
/// definition's `source`. This is what the loader does for each file, without the checks
/// across files.
pub fn parse(file: &str, text: &str) -> Result<Definition> {
    check::parse(file, file, text).map(|checked| checked.definition)
}

/// Every definition the hub knows (built-in and added), looked up by what an interview reports.
/// No two of them match the same device.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    definitions: Vec<Definition>,
}

impl Definitions {
    /// A set of already checked definitions (tests and embedders; the hub uses
    /// [`Definitions::load`]).
    pub fn new(definitions: Vec<Definition>) -> Self {
        Definitions { definitions }
    }

    /// The definitions compiled into the binary from `config/devices/`.
    pub fn builtin() -> Result<Definitions> {
        set::load(None)
    }

    /// The built-in definitions and, when `dir` is given, every `*.toml` file in it (not
    /// recursively; files whose names start with a dot are skipped). Any malformed file, or
    /// two definitions that match one device, refuse the whole set.
    pub fn load(dir: Option<&Path>) -> Result<Definitions> {
        set::load(dir)
    }

    /// How many definitions there are.
    pub fn len(&self) -> usize {
        self.definitions.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }

    /// The definition for a Zigbee device's Basic `manufacturerName` and `modelId`.
    pub fn zigbee(&self, manufacturer: &str, model: &str) -> Option<&Definition> {
        self.definitions.iter().find(|d| {
            matches!(&d.matches, Match::Zigbee { manufacturer: m, models }
                if m == manufacturer && models.iter().any(|x| x == model))
        })
    }

    /// The definition for a Z-Wave node's Manufacturer Specific ids.
    pub fn zwave(
        &self,
        manufacturer_id: u16,
        product_type: u16,
        product_id: u16,
    ) -> Option<&Definition> {
        self.definitions.iter().find(|d| {
            matches!(&d.matches, Match::Zwave { manufacturer_id: m, product_type: t, product_ids }
                if *m == manufacturer_id && *t == product_type && product_ids.contains(&product_id))
        })
    }

    /// All of them.
    pub fn iter(&self) -> impl Iterator<Item = &Definition> {
        self.definitions.iter()
    }
}
