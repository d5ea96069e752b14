//! The definition file as written (`config/devices/*.toml`, documented in
//! `config/devices/README.md`): serde structures that mirror the TOML one to one, every value
//! kept with its byte span so that [`super::check`] can point at the line a semantic error is
//! on. Unknown keys are refused here, by serde, with their span.
//!
//! Nothing is interpreted here beyond what TOML says: ids stay "an integer or a hex string",
//! scales stay "a number or a fraction", and ranges, duplicates and plausibility are checked
//! after parsing.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Visitor};
use toml::Spanned;

/// One definition file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefinition {
    /// The product's name.
    pub name: Spanned<String>,
    /// The maker's name.
    pub vendor: Spanned<String>,
    /// `[zigbee]`: the match for a Zigbee device.
    pub zigbee: Option<Spanned<RawZigbeeMatch>>,
    /// `[zwave]`: the match for a Z-Wave node.
    pub zwave: Option<Spanned<RawZwaveMatch>>,
    /// `[[endpoints]]`.
    pub endpoints: Spanned<Vec<Spanned<RawEndpoint>>>,
}

/// `[zigbee]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawZigbeeMatch {
    /// Basic `manufacturerName`.
    pub manufacturer: Spanned<String>,
    /// Basic `modelId`s.
    pub models: Spanned<Vec<Spanned<String>>>,
}

/// `[zwave]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawZwaveMatch {
    /// Manufacturer Specific: manufacturer id.
    pub manufacturer_id: Spanned<RawId>,
    /// Manufacturer Specific: product type.
    pub product_type: Spanned<RawId>,
    /// Manufacturer Specific: product ids.
    pub product_ids: Spanned<Vec<Spanned<RawId>>>,
}

/// One `[[endpoints]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEndpoint {
    /// The radio's endpoint number.
    pub endpoint: Spanned<i64>,
    /// A name for the part.
    pub name: Option<Spanned<String>>,
    /// `[endpoints.capabilities]`: one key per capability.
    pub capabilities: Spanned<RawCapabilities>,
}

/// The capabilities of an endpoint, one optional key each; the measurement and alarm kinds
/// are dotted keys (`measurement.temperature = {}`), so TOML itself refuses a capability named
/// twice.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapabilities {
    pub on_off: Option<Spanned<RawOptions>>,
    pub level: Option<Spanned<RawOptions>>,
    pub color: Option<Spanned<RawOptions>>,
    pub door_lock: Option<Spanned<RawOptions>>,
    pub thermostat: Option<Spanned<RawOptions>>,
    pub battery: Option<Spanned<RawOptions>>,
    pub measurement: Option<Spanned<RawMeasurements>>,
    pub alarm: Option<Spanned<RawAlarms>>,
}

/// `measurement.<kind>`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeasurements {
    pub temperature: Option<Spanned<RawOptions>>,
    pub humidity: Option<Spanned<RawOptions>>,
    pub illuminance: Option<Spanned<RawOptions>>,
    pub power: Option<Spanned<RawOptions>>,
    pub energy: Option<Spanned<RawOptions>>,
    pub voltage: Option<Spanned<RawOptions>>,
    pub current: Option<Spanned<RawOptions>>,
}

/// `alarm.<kind>`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlarms {
    pub contact: Option<Spanned<RawOptions>>,
    pub motion: Option<Spanned<RawOptions>>,
    pub smoke: Option<Spanned<RawOptions>>,
    pub water: Option<Spanned<RawOptions>>,
    pub carbon_monoxide: Option<Spanned<RawOptions>>,
    pub tamper: Option<Spanned<RawOptions>>,
}

/// The options of one capability (all optional; `{}` is the capability with its usual
/// source and no options).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOptions {
    pub source: Option<Spanned<RawId>>,
    pub scale: Option<Spanned<RawScale>>,
    pub invert: Option<Spanned<bool>>,
    pub reporting: Option<Spanned<RawReporting>>,
}

/// `reporting = { min = 1, max = 300, change = 10 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReporting {
    pub min: Spanned<i64>,
    pub max: Spanned<i64>,
    pub change: Spanned<i64>,
}

/// An id as written: a TOML integer (`134`, `0x0086`) or a hex string (`"0x0086"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RawId {
    Integer(i64),
    Text(String),
}

/// A scale as written: an integer, a decimal number, or a string holding either or a
/// fraction (`"1/10"`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RawScale {
    Integer(i64),
    Float(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawId {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = RawId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a hex string like \"0x0086\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawId, E> {
                Ok(RawId::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawId, E> {
                Ok(RawId::Integer(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawId, E> {
                Ok(RawId::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

impl<'de> Deserialize<'de> for RawScale {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScaleVisitor;
        impl Visitor<'_> for ScaleVisitor {
            type Value = RawScale;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a fraction like \"1/10\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawScale, E> {
                Ok(RawScale::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawScale, E> {
                Ok(RawScale::Integer(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawScale, E> {
                Ok(RawScale::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawScale, E> {
                Ok(RawScale::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(ScaleVisitor)
    }
}
