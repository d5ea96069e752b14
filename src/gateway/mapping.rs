//! How one device maps onto the model: what the translation reads every report and writes
//! every action with, and what clients are told the device is.

use crate::definitions::EndpointMapping;
use crate::model::Endpoint;

/// A device's mapping: from its definition, or from the generic fallback when none matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The definition it came from (`Definition::source`), `None` for the generic fallback.
    pub definition: Option<String>,
    /// The maker, as the definition or the device names it.
    pub vendor: Option<String>,
    /// The product, likewise.
    pub product: Option<String>,
    /// Each exposed endpoint, with its capabilities' sources and options.
    pub endpoints: Vec<EndpointMapping>,
}

impl Mapping {
    /// The endpoints as clients see them (capabilities only, each once: a Z-Wave mapping
    /// lists a capability once per command class that feeds it, a thermostat's mode,
    /// setpoints and operating state coming from three).
    pub fn model_endpoints(&self) -> Vec<Endpoint> {
        self.endpoints
            .iter()
            .map(|e| {
                let mut capabilities = Vec::new();
                for c in &e.capabilities {
                    if !capabilities.contains(&c.capability) {
                        capabilities.push(c.capability);
                    }
                }
                Endpoint {
                    id: e.endpoint,
                    name: e.name.clone(),
                    capabilities,
                }
            })
            .collect()
    }

    /// The mapping of one endpoint, if exposed.
    pub fn endpoint(&self, endpoint: u8) -> Option<&EndpointMapping> {
        self.endpoints.iter().find(|e| e.endpoint == endpoint)
    }
}
