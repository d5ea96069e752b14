//! What the hub asks of a device once it is mapped (binds, reporting, IAS enrolment, first
//! reads) and whenever its state is wanted again (reads). Built from [`super::sources`], so a
//! capability's attributes are the same here as in the conversions.
//!
//! Reporting is configured one attribute per request: a light without hue refuses the hue's
//! configuration (UNSUPPORTED_ATTRIBUTE) and the others still go through. The ops are
//! independent; a failed one does not make the next one wrong.

use sealhub_radios::zigbee::zcl::clusters::ias_zone;
use sealhub_radios::zigbee::zcl::foundation::{AttributeValue, ReportingConfiguration};
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};

use super::sources::{IAS_ZONE, cluster_of, reportable_change, source_of};
use crate::definitions::EndpointMapping;
use crate::gateway::{Mapping, ZigbeeOp};

/// The zone ID the hub gives every IAS zone it enrols. The hub tells zones apart by device
/// and endpoint, never by zone ID, so one value serves all.
pub(super) const HUB_ZONE_ID: u8 = 0;

/// The clusters an endpoint's capabilities come from, each once, in the order first named.
fn clusters(endpoint: &EndpointMapping) -> Vec<u16> {
    let mut clusters = Vec::new();
    for capability in &endpoint.capabilities {
        let cluster = cluster_of(capability);
        if !clusters.contains(&cluster) {
            clusters.push(cluster);
        }
    }
    clusters
}

/// The Zone Enroll Response that enrols a zone with the hub (ZCL 8 §8.2 IAS Zone: code 0x00
/// success, with the zone ID the CIE assigns).
pub(super) fn enroll_response(endpoint: u8) -> ZigbeeOp {
    ZigbeeOp::Command {
        endpoint,
        command: ClusterCommand::IasZone(ias_zone::ToServer::ZoneEnrollResponse(
            ias_zone::ZoneEnrollResponse {
                code: 0x00,
                zone_id: HUB_ZONE_ID,
            },
        )),
    }
}

/// See [`super::setup`].
pub(super) fn setup(mapping: &Mapping, hub_eui64: u64) -> Vec<ZigbeeOp> {
    let mut ops = Vec::new();
    for endpoint in &mapping.endpoints {
        let id = endpoint.endpoint;
        for cluster in clusters(endpoint) {
            if cluster == IAS_ZONE {
                // Enrolment (ZCL 8 §8.2 IAS Zone, "auto-enroll-response"): the hub's address
                // as IAS_CIE_Address, then a Zone Enroll Response without waiting for the
                // zone's request. A zone that asks anyway is answered by `replies`.
                ops.push(ZigbeeOp::Write {
                    endpoint: id,
                    cluster,
                    records: vec![AttributeValue {
                        id: ias_zone::IAS_CIE_ADDRESS.id,
                        value: Value::Ieee(hub_eui64.to_le_bytes()),
                    }],
                });
                ops.push(enroll_response(id));
                continue;
            }
            ops.push(ZigbeeOp::Bind {
                endpoint: id,
                cluster,
            });
            let mut configured: Vec<u16> = Vec::new();
            for capability in endpoint
                .capabilities
                .iter()
                .filter(|c| cluster_of(c) == cluster)
            {
                let Some(source) = source_of(capability) else {
                    continue;
                };
                for default in source.reports {
                    let attribute = default.attribute;
                    if configured.contains(&attribute.id) {
                        continue;
                    }
                    configured.push(attribute.id);
                    let (min, max, change) = match capability.options.reporting {
                        Some(r) => (r.min_secs, r.max_secs, r.change),
                        None => (default.min, default.max, default.change),
                    };
                    ops.push(ZigbeeOp::ConfigureReporting {
                        endpoint: id,
                        cluster,
                        records: vec![ReportingConfiguration::Send {
                            id: attribute.id,
                            data_type: attribute.data_type,
                            min_interval: min,
                            max_interval: max,
                            reportable_change: reportable_change(attribute.data_type, change),
                        }],
                    });
                }
            }
        }
        ops.extend(refresh(mapping, id));
    }
    ops
}

/// See [`super::refresh`].
pub(super) fn refresh(mapping: &Mapping, endpoint: u8) -> Vec<ZigbeeOp> {
    let Some(mapped) = mapping.endpoint(endpoint) else {
        return Vec::new();
    };
    let mut ops = Vec::new();
    for cluster in clusters(mapped) {
        let mut attributes: Vec<u16> = Vec::new();
        let mut add = |id: u16| {
            if !attributes.contains(&id) {
                attributes.push(id);
            }
        };
        for capability in mapped
            .capabilities
            .iter()
            .filter(|c| cluster_of(c) == cluster)
        {
            let Some(source) = source_of(capability) else {
                continue;
            };
            source.reads.iter().copied().for_each(&mut add);
            // The device's multiplier and divisor, until known (then kept as `scale`).
            if let (Some(factor), None) = (source.factor, capability.options.scale) {
                add(factor.multiplier);
                add(factor.divisor);
            }
        }
        if !attributes.is_empty() {
            ops.push(ZigbeeOp::Read {
                endpoint,
                cluster,
                attributes,
            });
        }
    }
    ops
}
