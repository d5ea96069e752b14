//! A node's [`Mapping`]: its definition (by Manufacturer Specific ids), checked against the
//! command classes the node and its end points support, or else the generic mapping by
//! command class. Either way every capability comes out with the class that feeds it named,
//! one entry per class (see the module above).
//!
//! The generic mapping, per part of the node (root device, each Multi Channel end point):
//! - Binary Switch → on/off; Multilevel Switch → on/off (when there is no Binary Switch) and
//!   level; Basic alone → on/off, only when the part's generic device class is a switch
//!   (0x10 binary, 0x11 multilevel); Color Switch → colour.
//! - Door Lock → door lock, with User Code (slots) and Notification (access control events)
//!   on the same capability when the part has them.
//! - Thermostat Mode or Setpoint → thermostat, with Operating State and, for the room
//!   temperature, Multilevel Sensor.
//! - Multilevel Sensor (not on a thermostat) → temperature, humidity and illuminance. Which
//!   types a sensor has is in its Supported Sensor Report, which the interview record does not
//!   keep: the three common ones are mapped and a client sees each once a reading arrives.
//! - Meter → energy, power, voltage and current, likewise.
//! - Notification on a sensor (generic class 0x07 notification, 0x20 binary, 0x21
//!   multilevel or 0xA1 alarm sensor; not a lock) → contact, motion, smoke, water, CO and
//!   tamper alarms, likewise; a switch's or a plug's notifications (power management, system)
//!   are not mapped.
//! - Battery → battery.
//!
//! Root device and end points: a node with Multi Channel end points mirrors end point 1 on its
//! root device (Z-Wave Plus v2 requires it), and many also sum all end points there. So each
//! end point is exposed with its own capabilities, and the root device only with the
//! capabilities no end point has (a battery, a node-wide notification); a root left with none
//! is not exposed. A two-outlet plug is thus end points 1 and 2, never three outlets.
//! [`super::report_endpoint`] counts a root report of a mirrored class for end point 1.

use crate::definitions::{
    CapabilityMapping, Definition, Definitions, EndpointMapping, MappingOptions,
};
use crate::gateway::Mapping;
use crate::model::{AlarmKind, Capability, MeasureKind};
use crate::radio::zwave_nodes::NodeRecord;
use sealhub_radios::zwave::cc::ids;

/// Generic device classes (SDS14224 "Z-Wave Plus Device Type", generic device class list).
mod device_class {
    /// Notification sensor.
    pub const SENSOR_NOTIFICATION: u8 = 0x07;
    /// Binary switch.
    pub const SWITCH_BINARY: u8 = 0x10;
    /// Multilevel switch.
    pub const SWITCH_MULTILEVEL: u8 = 0x11;
    /// Binary sensor.
    pub const SENSOR_BINARY: u8 = 0x20;
    /// Multilevel sensor.
    pub const SENSOR_MULTILEVEL: u8 = 0x21;
    /// Alarm sensor.
    pub const SENSOR_ALARM: u8 = 0xA1;
}

/// The alarms a sensor's Notification is mapped to, in the model's order.
const ALARMS: [AlarmKind; 6] = [
    AlarmKind::Contact,
    AlarmKind::Motion,
    AlarmKind::Smoke,
    AlarmKind::Water,
    AlarmKind::CarbonMonoxide,
    AlarmKind::Tamper,
];

/// One part of a node: the root device (0) or a Multi Channel end point.
#[derive(Debug)]
struct Part {
    endpoint: u8,
    generic: u8,
    classes: Vec<u8>,
}

impl Part {
    /// Whether the part supports `cc`; Basic is implied (every node before Z-Wave Plus
    /// supports it without listing it).
    fn supports(&self, cc: u8) -> bool {
        cc == ids::BASIC || self.classes.contains(&cc)
    }

    fn lists(&self, cc: u8) -> bool {
        self.classes.contains(&cc)
    }
}

fn parts(node: &NodeRecord) -> Vec<Part> {
    let mut parts = vec![Part {
        endpoint: 0,
        generic: node.kind.generic,
        classes: node.command_classes.iter().map(|c| c.cc).collect(),
    }];
    parts.extend(node.endpoints.iter().map(|e| Part {
        endpoint: e.endpoint,
        generic: e.generic,
        classes: e.command_classes.clone(),
    }));
    parts
}

pub(super) fn mapping(node: &NodeRecord, definitions: &Definitions) -> Mapping {
    let parts = parts(node);
    let definition = node
        .product
        .and_then(|p| definitions.zwave(p.manufacturer_id, p.product_type, p.product_id));
    if let Some(def) = definition {
        let endpoints = from_definition(node.node, def, &parts);
        if endpoints.is_empty() {
            tracing::warn!(
                node = node.node,
                definition = %def.source,
                "no capability of the definition fits the node's command classes; mapped generically"
            );
        } else {
            return Mapping {
                definition: Some(def.source.clone()),
                vendor: Some(def.vendor.clone()),
                product: Some(def.name.clone()),
                endpoints,
            };
        }
    }
    Mapping {
        definition: None,
        vendor: node.product.map(|p| format!("0x{:04x}", p.manufacturer_id)),
        product: node
            .product
            .map(|p| format!("0x{:04x}:0x{:04x}", p.product_type, p.product_id)),
        endpoints: generic(&parts),
    }
}

fn cap(capability: Capability, cc: u8) -> CapabilityMapping {
    CapabilityMapping {
        capability,
        source: Some(u16::from(cc)),
        options: MappingOptions::default(),
    }
}

/// The generic capabilities of one part.
fn part_capabilities(part: &Part) -> Vec<CapabilityMapping> {
    let mut caps = Vec::new();
    let switch_class = matches!(
        part.generic,
        device_class::SWITCH_BINARY | device_class::SWITCH_MULTILEVEL
    );
    if part.lists(ids::BINARY_SWITCH) {
        caps.push(cap(Capability::OnOff, ids::BINARY_SWITCH));
    } else if part.lists(ids::MULTILEVEL_SWITCH) {
        caps.push(cap(Capability::OnOff, ids::MULTILEVEL_SWITCH));
    } else if switch_class {
        caps.push(cap(Capability::OnOff, ids::BASIC));
    }
    if part.lists(ids::MULTILEVEL_SWITCH) {
        caps.push(cap(Capability::Level, ids::MULTILEVEL_SWITCH));
    }
    if part.lists(ids::COLOR_SWITCH) {
        caps.push(cap(Capability::Color, ids::COLOR_SWITCH));
    }
    let lock = part.lists(ids::DOOR_LOCK);
    if lock {
        for cc in [ids::DOOR_LOCK, ids::USER_CODE, ids::NOTIFICATION] {
            if part.lists(cc) {
                caps.push(cap(Capability::DoorLock, cc));
            }
        }
    }
    let thermostat = part.lists(ids::THERMOSTAT_MODE) || part.lists(ids::THERMOSTAT_SETPOINT);
    if thermostat {
        for cc in [
            ids::THERMOSTAT_MODE,
            ids::THERMOSTAT_SETPOINT,
            ids::THERMOSTAT_OPERATING_STATE,
            ids::MULTILEVEL_SENSOR,
        ] {
            if part.lists(cc) {
                caps.push(cap(Capability::Thermostat, cc));
            }
        }
    }
    if part.lists(ids::MULTILEVEL_SENSOR) && !thermostat {
        for kind in [
            MeasureKind::Temperature,
            MeasureKind::Humidity,
            MeasureKind::Illuminance,
        ] {
            caps.push(cap(Capability::Measurement(kind), ids::MULTILEVEL_SENSOR));
        }
    }
    if part.lists(ids::METER) {
        for kind in [
            MeasureKind::Power,
            MeasureKind::Energy,
            MeasureKind::Voltage,
            MeasureKind::Current,
        ] {
            caps.push(cap(Capability::Measurement(kind), ids::METER));
        }
    }
    let sensor_class = matches!(
        part.generic,
        device_class::SENSOR_NOTIFICATION
            | device_class::SENSOR_BINARY
            | device_class::SENSOR_MULTILEVEL
            | device_class::SENSOR_ALARM
    );
    if part.lists(ids::NOTIFICATION) && !lock && sensor_class {
        for kind in ALARMS {
            caps.push(cap(Capability::Alarm(kind), ids::NOTIFICATION));
        }
    }
    if part.lists(ids::BATTERY) {
        caps.push(cap(Capability::Battery, ids::BATTERY));
    }
    caps
}

/// The generic mapping of every part; the root device keeps only what no end point has.
fn generic(parts: &[Part]) -> Vec<EndpointMapping> {
    let mut endpoints: Vec<EndpointMapping> = parts
        .iter()
        .map(|p| EndpointMapping {
            endpoint: p.endpoint,
            name: None,
            capabilities: part_capabilities(p),
        })
        .collect();
    let on_end_points: Vec<Capability> = endpoints
        .iter()
        .filter(|e| e.endpoint != 0)
        .flat_map(|e| e.capabilities.iter().map(|c| c.capability))
        .collect();
    if let Some(root) = endpoints.iter_mut().find(|e| e.endpoint == 0) {
        root.capabilities
            .retain(|c| !on_end_points.contains(&c.capability));
    }
    endpoints.retain(|e| !e.capabilities.is_empty());
    endpoints
}

/// Whether `cc` can carry `capability`.
fn serves(capability: Capability, cc: u8) -> bool {
    match capability {
        Capability::OnOff => matches!(cc, ids::BINARY_SWITCH | ids::MULTILEVEL_SWITCH | ids::BASIC),
        Capability::Level => matches!(cc, ids::MULTILEVEL_SWITCH | ids::BASIC),
        Capability::Color => cc == ids::COLOR_SWITCH,
        Capability::DoorLock => matches!(cc, ids::DOOR_LOCK | ids::USER_CODE | ids::NOTIFICATION),
        Capability::Thermostat => matches!(
            cc,
            ids::THERMOSTAT_MODE
                | ids::THERMOSTAT_SETPOINT
                | ids::THERMOSTAT_OPERATING_STATE
                | ids::MULTILEVEL_SENSOR
        ),
        Capability::Measurement(
            MeasureKind::Temperature | MeasureKind::Humidity | MeasureKind::Illuminance,
        ) => cc == ids::MULTILEVEL_SENSOR,
        Capability::Measurement(_) => cc == ids::METER,
        Capability::Alarm(_) => cc == ids::NOTIFICATION,
        Capability::Battery => cc == ids::BATTERY,
    }
}

/// The classes a capability a definition names without a source comes from on `part`.
fn usual_sources(capability: Capability, part: &Part) -> Vec<u8> {
    let present =
        |ccs: &[u8]| -> Vec<u8> { ccs.iter().copied().filter(|cc| part.lists(*cc)).collect() };
    let first_or_basic = |ccs: &[u8]| -> Vec<u8> {
        vec![
            ccs.iter()
                .copied()
                .find(|cc| part.lists(*cc))
                .unwrap_or(ids::BASIC),
        ]
    };
    match capability {
        Capability::OnOff => first_or_basic(&[ids::BINARY_SWITCH, ids::MULTILEVEL_SWITCH]),
        Capability::Level => first_or_basic(&[ids::MULTILEVEL_SWITCH]),
        Capability::DoorLock if part.lists(ids::DOOR_LOCK) => {
            present(&[ids::DOOR_LOCK, ids::USER_CODE, ids::NOTIFICATION])
        }
        Capability::Thermostat
            if part.lists(ids::THERMOSTAT_MODE) || part.lists(ids::THERMOSTAT_SETPOINT) =>
        {
            present(&[
                ids::THERMOSTAT_MODE,
                ids::THERMOSTAT_SETPOINT,
                ids::THERMOSTAT_OPERATING_STATE,
                ids::MULTILEVEL_SENSOR,
            ])
        }
        Capability::DoorLock | Capability::Thermostat => Vec::new(),
        other => present(&[super::usual_source(other)]),
    }
}

/// The definition's endpoints, each capability checked against what the part supports (a
/// mismatch is dropped with a warning) and its classes named.
fn from_definition(node: u16, def: &Definition, parts: &[Part]) -> Vec<EndpointMapping> {
    let mut out = Vec::new();
    for def_ep in &def.endpoints {
        let Some(part) = parts.iter().find(|p| p.endpoint == def_ep.endpoint) else {
            tracing::warn!(
                node,
                definition = %def.source,
                endpoint = def_ep.endpoint,
                "the definition names an end point the node does not have; left out"
            );
            continue;
        };
        let mut caps: Vec<CapabilityMapping> = Vec::new();
        for c in &def_ep.capabilities {
            let sources = match c.source {
                Some(s) => match u8::try_from(s) {
                    Ok(cc) if serves(c.capability, cc) && part.supports(cc) => vec![cc],
                    _ => {
                        tracing::warn!(
                            node,
                            definition = %def.source,
                            endpoint = part.endpoint,
                            capability = ?c.capability,
                            source = format_args!("{s:#06x}"),
                            "the node does not support this capability's command class; left out"
                        );
                        continue;
                    }
                },
                None => usual_sources(c.capability, part),
            };
            if sources.is_empty() {
                tracing::warn!(
                    node,
                    definition = %def.source,
                    endpoint = part.endpoint,
                    capability = ?c.capability,
                    "the node has no command class for this capability; left out"
                );
            }
            for cc in sources {
                let entry = CapabilityMapping {
                    capability: c.capability,
                    source: Some(u16::from(cc)),
                    options: c.options.clone(),
                };
                if !caps
                    .iter()
                    .any(|e| e.capability == entry.capability && e.source == entry.source)
                {
                    caps.push(entry);
                }
            }
        }
        if !caps.is_empty() {
            out.push(EndpointMapping {
                endpoint: def_ep.endpoint,
                name: def_ep.name.clone(),
                capabilities: caps,
            });
        }
    }
    out
}
