//! Device definitions as data (`config/devices/*.toml`): which devices a definition matches and
//! how their endpoints' clusters or command classes map onto the device model's capabilities,
//! with the options where devices differ. Supporting a device means adding a file, not code.
//!
//! The definitions in `config/devices/` are compiled into the binary; more can be added from the
//! directory `[devices] dir` in `hub.toml` names. A malformed one is refused at start with its
//! file, line and what is wrong. Devices without a definition are mapped by the gateway's
//! generic fallbacks (by cluster, by command class), which produce the same types.
//!
//! No radio types here: a definition speaks of cluster and command class numbers, and the
//! gateway turns them into radio requests.

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

/// Every definition the hub knows (built-in and added), looked up by what an interview reports.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    definitions: Vec<Definition>,
}

impl Definitions {
    /// A set of already checked definitions.
    pub fn new(definitions: Vec<Definition>) -> Self {
        Definitions { definitions }
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
