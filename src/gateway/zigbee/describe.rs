//! From an interview to a [`Mapping`], and the later reads that sharpen it.
//!
//! A device with a definition (by Basic `manufacturerName` and `modelId`) gets the
//! definition's endpoints, each checked against what the device serves: an endpoint it lacks,
//! or a capability whose cluster it does not serve (or cannot come from that cluster), is
//! dropped with a warning. Any other device gets the generic mapping by cluster: every
//! Home Automation (0x0104) or ZLL (0xC05E) endpoint, each server cluster the model knows
//! becoming its capability.
//!
//! Two facts are not in the interview and come with the first reads ([`refine`]):
//! - an IAS zone's kind (motion, contact, water...) is its `ZoneType`. Until that is known the
//!   generic mapping exposes only what every zone has (tamper; battery low where the device
//!   has a battery), not a guessed kind, so a motion sensor is never announced as a door
//!   contact. The type arrives in the setup's first read of the zone or in its Zone Enroll
//!   Request ([`refine_by_command`]).
//! - Electrical Measurement and Metering values are scaled by a multiplier and divisor the
//!   device keeps. Read once, they are kept as the capability's `scale` (a rational factor, so
//!   the mapping stays the one piece of state the conversions need). A `scale` a definition
//!   gives stands for the device's own factor (devices whose divisors are wrong are why
//!   definitions set it) and is never replaced. While a capability's factor is unknown its
//!   values are not converted at all rather than converted wrongly.

use sealhub_radios::zigbee::driver::DeviceDescription;
use sealhub_radios::zigbee::zcl::clusters::{energy, ias_zone};
use sealhub_radios::zigbee::zcl::foundation::ReadAttributeRecord;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Status, Value};
use sealhub_radios::zigbee::zdo::MacCapabilities;

use super::sources::{
    self, COLOR, DOOR_LOCK, ELECTRICAL, HUMIDITY, IAS_ZONE, ILLUMINANCE, LEVEL, METERING,
    OCCUPANCY_SENSING, ON_OFF, POWER_CONFIGURATION, TEMPERATURE, THERMOSTAT, cluster_of,
    usual_cluster,
};
use crate::definitions::{
    CapabilityMapping, Definition, Definitions, EndpointMapping, MappingOptions, Scale,
};
use crate::gateway::Mapping;
use crate::model::{AlarmKind, Capability, MeasureKind};

/// The Home Automation profile.
const HA_PROFILE: u16 = 0x0104;
/// The ZigBee Light Link profile (lights that predate Zigbee 3.0).
const ZLL_PROFILE: u16 = 0xC05E;

/// See [`super::mapping`].
pub(super) fn mapping(description: &DeviceDescription, definitions: &Definitions) -> Mapping {
    let definition = match (&description.manufacturer, &description.model) {
        (Some(manufacturer), Some(model)) => definitions.zigbee(manufacturer, model),
        _ => None,
    };
    match definition {
        Some(definition) => by_definition(description, definition),
        None => generic(description),
    }
}

/// The definition's endpoints, as far as the device serves them.
fn by_definition(description: &DeviceDescription, definition: &Definition) -> Mapping {
    let mut endpoints = Vec::new();
    for wanted in &definition.endpoints {
        let Some(served) = description
            .endpoints
            .iter()
            .find(|e| e.endpoint == wanted.endpoint)
        else {
            tracing::warn!(
                definition = %definition.source,
                endpoint = wanted.endpoint,
                "the device has no such endpoint; left out"
            );
            continue;
        };
        let mut capabilities: Vec<CapabilityMapping> = Vec::new();
        for capability in &wanted.capabilities {
            let cluster = cluster_of(capability);
            let problem = if sources::source(capability.capability, cluster).is_none() {
                Some("cannot come from that cluster")
            } else if !served.in_clusters.0.contains(&cluster) {
                Some("the endpoint does not serve that cluster")
            } else if capabilities
                .iter()
                .any(|c| c.capability == capability.capability)
            {
                Some("listed twice")
            } else {
                None
            };
            match problem {
                Some(why) => tracing::warn!(
                    definition = %definition.source,
                    endpoint = wanted.endpoint,
                    capability = ?capability.capability,
                    cluster = format_args!("{cluster:#06x}"),
                    "{why}; left out"
                ),
                None => capabilities.push(capability.clone()),
            }
        }
        if capabilities.is_empty() {
            tracing::warn!(
                definition = %definition.source,
                endpoint = wanted.endpoint,
                "none of the endpoint's capabilities is served; left out"
            );
            continue;
        }
        endpoints.push(EndpointMapping {
            endpoint: wanted.endpoint,
            name: wanted.name.clone(),
            capabilities,
        });
    }
    Mapping {
        definition: Some(definition.source.clone()),
        vendor: Some(definition.vendor.clone()),
        product: Some(definition.name.clone()),
        endpoints,
    }
}

/// A capability from its usual cluster, with no options.
fn usual(capability: Capability) -> CapabilityMapping {
    CapabilityMapping {
        capability,
        source: None,
        options: MappingOptions::default(),
    }
}

/// A capability from another cluster than its usual one.
fn from(capability: Capability, cluster: u16) -> CapabilityMapping {
    CapabilityMapping {
        capability,
        source: (cluster != usual_cluster(capability)).then_some(cluster),
        options: MappingOptions::default(),
    }
}

/// The generic mapping by cluster.
fn generic(description: &DeviceDescription) -> Mapping {
    // A mains-powered device's Power Configuration describes its mains, not a battery.
    let mains = description
        .node_descriptor
        .mac_capabilities
        .contains(MacCapabilities::MAINS_POWERED);
    let mut endpoints = Vec::new();
    for served in &description.endpoints {
        if served.endpoint == 0 || !matches!(served.profile, HA_PROFILE | ZLL_PROFILE) {
            continue;
        }
        let has = |cluster: u16| served.in_clusters.0.contains(&cluster);
        let mut capabilities = Vec::new();
        for (cluster, capability) in [
            (ON_OFF, Capability::OnOff),
            (LEVEL, Capability::Level),
            (COLOR, Capability::Color),
            (DOOR_LOCK, Capability::DoorLock),
            (THERMOSTAT, Capability::Thermostat),
            (
                TEMPERATURE,
                Capability::Measurement(MeasureKind::Temperature),
            ),
            (HUMIDITY, Capability::Measurement(MeasureKind::Humidity)),
            (
                ILLUMINANCE,
                Capability::Measurement(MeasureKind::Illuminance),
            ),
            (ELECTRICAL, Capability::Measurement(MeasureKind::Power)),
            (ELECTRICAL, Capability::Measurement(MeasureKind::Voltage)),
            (ELECTRICAL, Capability::Measurement(MeasureKind::Current)),
            (METERING, Capability::Measurement(MeasureKind::Energy)),
            (OCCUPANCY_SENSING, Capability::Alarm(AlarmKind::Motion)),
            (IAS_ZONE, Capability::Alarm(AlarmKind::Tamper)),
        ] {
            if has(cluster) {
                capabilities.push(from(capability, cluster));
            }
        }
        if has(METERING) && !has(ELECTRICAL) {
            capabilities.push(from(Capability::Measurement(MeasureKind::Power), METERING));
        }
        if has(POWER_CONFIGURATION) && !mains {
            capabilities.push(usual(Capability::Battery));
        }
        if capabilities.is_empty() {
            continue;
        }
        capabilities.sort_by_key(|c| c.capability);
        endpoints.push(EndpointMapping {
            endpoint: served.endpoint,
            name: None,
            capabilities,
        });
    }
    Mapping {
        definition: None,
        vendor: description.manufacturer.clone(),
        product: description.model.clone(),
        endpoints,
    }
}

/// The alarm kind of an IAS `ZoneType` (ZCL 8 §8.2 IAS Zone, ZoneType values), if the model
/// has one: 0x000D motion sensor, 0x0015 contact switch, 0x0016 door/window handle, 0x0028
/// fire sensor, 0x002A water sensor, 0x002B carbon monoxide sensor. The others (personal
/// emergency device, vibration, remote control, key fob, keypad, warning device, glass break,
/// security repeater, manufacturer-specific) have no alarm kind in the model.
pub(super) fn zone_kind(zone_type: u16) -> Option<AlarmKind> {
    match zone_type {
        0x000D => Some(AlarmKind::Motion),
        0x0015 | 0x0016 => Some(AlarmKind::Contact),
        0x0028 => Some(AlarmKind::Smoke),
        0x002A => Some(AlarmKind::Water),
        0x002B => Some(AlarmKind::CarbonMonoxide),
        _ => None,
    }
}

/// Whether a capability is an IAS zone's own alarm (alarm 1), not its tamper bit.
pub(super) fn is_zone_alarm(capability: &CapabilityMapping) -> bool {
    matches!(capability.capability, Capability::Alarm(kind) if kind != AlarmKind::Tamper)
        && cluster_of(capability) == IAS_ZONE
}

/// See [`super::refine_ias`].
pub(super) fn refine_ias(mapping: &Mapping, endpoint: u8, zone_type: u16) -> Option<Mapping> {
    if mapping.definition.is_some() {
        // The definition names the kind; a device whose zone type disagrees is why it exists.
        return None;
    }
    let index = mapping
        .endpoints
        .iter()
        .position(|e| e.endpoint == endpoint)?;
    let current = &mapping.endpoints[index];
    if !current
        .capabilities
        .iter()
        .any(|c| cluster_of(c) == IAS_ZONE)
    {
        return None;
    }
    let mut capabilities: Vec<CapabilityMapping> = current
        .capabilities
        .iter()
        .filter(|c| !is_zone_alarm(c))
        .cloned()
        .collect();
    match zone_kind(zone_type) {
        // Another cluster (Occupancy Sensing) already tells this kind: one source is enough.
        Some(kind)
            if capabilities
                .iter()
                .any(|c| c.capability == Capability::Alarm(kind)) => {}
        Some(kind) => capabilities.push(from(Capability::Alarm(kind), IAS_ZONE)),
        None => tracing::warn!(
            endpoint,
            zone_type = format_args!("{zone_type:#06x}"),
            "IAS zone of a type the model has no alarm kind for: only its tamper and battery \
             bits are exposed"
        ),
    }
    capabilities.sort_by_key(|c| c.capability);
    if capabilities == current.capabilities {
        return None;
    }
    let mut refined = mapping.clone();
    refined.endpoints[index].capabilities = capabilities;
    Some(refined)
}

/// One attribute of a read: its value, "the device lacks it" (`Err(())`), or absent from this
/// read (`None`).
fn record(records: &[ReadAttributeRecord], id: u16) -> Option<Result<&Value, ()>> {
    let record = records.iter().find(|r| r.id == id)?;
    match &record.result {
        Ok(value) => Some(Ok(value)),
        Err(Status::UNSUPPORTED_ATTRIBUTE) => Some(Err(())),
        Err(_) => None,
    }
}

/// A multiplier or divisor from a read: its value, 1 when the device lacks it (the ZCL default
/// of both), `None` when this read does not say or the value is unusable (0 or invalid).
fn factor_part(records: &[ReadAttributeRecord], id: u16) -> Option<i64> {
    match record(records, id)? {
        Err(()) => Some(1),
        Ok(value) if !value.is_non_value() => value
            .as_u64()
            .filter(|v| *v != 0)
            .and_then(|v| i64::try_from(v).ok()),
        Ok(_) => None,
    }
}

/// See [`super::refine`].
pub(super) fn refine(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    records: &[ReadAttributeRecord],
) -> Option<Mapping> {
    match cluster {
        IAS_ZONE => match record(records, ias_zone::ZONE_TYPE.id)? {
            Ok(value) if !value.is_non_value() => {
                let zone_type = u16::try_from(value.as_u64()?).ok()?;
                refine_ias(mapping, endpoint, zone_type)
            }
            _ => None,
        },
        ELECTRICAL | METERING => refine_factors(mapping, endpoint, cluster, records),
        _ => None,
    }
}

/// Keeps the multiplier and divisor a read brought as the `scale` of the capabilities they
/// scale (only where none is set); drops Metering capabilities whose unit is not kWh / kW
/// from a generic mapping.
fn refine_factors(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    records: &[ReadAttributeRecord],
) -> Option<Mapping> {
    let index = mapping
        .endpoints
        .iter()
        .position(|e| e.endpoint == endpoint)?;
    let mut capabilities = mapping.endpoints[index].capabilities.clone();
    for capability in capabilities
        .iter_mut()
        .filter(|c| cluster_of(c) == cluster && c.options.scale.is_none())
    {
        let Some(factor) = sources::source_of(capability).and_then(|s| s.factor) else {
            continue;
        };
        if let (Some(numerator), Some(denominator)) = (
            factor_part(records, factor.multiplier),
            factor_part(records, factor.divisor),
        ) {
            capability.options.scale = Some(Scale {
                numerator,
                denominator,
            });
        }
    }
    if cluster == METERING && mapping.definition.is_none() {
        // UnitofMeasure 0: kW and kWh in binary (ZCL 8 §10.4 Metering); anything else (m³,
        // BCD, ...) is not energy in a unit the model can take.
        let unit = match record(records, energy::UNIT_OF_MEASURE.id) {
            Some(Ok(unit)) => Some(unit),
            _ => None,
        };
        if let Some(unit) = unit.filter(|u| u.as_u64() != Some(0)) {
            tracing::warn!(
                endpoint,
                unit = ?unit,
                "metering in another unit than kWh: its energy and demand are not exposed"
            );
            capabilities.retain(|c| cluster_of(c) != METERING);
        }
    }
    if capabilities == mapping.endpoints[index].capabilities {
        return None;
    }
    let mut refined = mapping.clone();
    refined.endpoints[index].capabilities = capabilities;
    Some(refined)
}

/// See [`super::refine_by_command`].
pub(super) fn refine_by_command(
    mapping: &Mapping,
    endpoint: u8,
    command: &ClusterCommand,
) -> Option<Mapping> {
    match command {
        ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneEnrollRequest(request)) => {
            refine_ias(mapping, endpoint, request.zone_type)
        }
        _ => None,
    }
}
