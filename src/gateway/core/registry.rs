//! The device registry: one sealed record per device (tree `gateway-devices`, keyed by device
//! id), written in the same atomic batch as the device's key when it joins and deleted with
//! it when it leaves.
//!
//! A record holds the stable id (from the radio address: a Zigbee EUI-64, a Z-Wave home id and
//! node id), the radio address as it is now (a Zigbee node id changes on rejoin), the name and
//! room, whether the device sleeps and answers, what its interview said (a summary the hub
//! keeps, not the radio's own types) and the last state of each endpoint. The [`Mapping`] is
//! not stored: it is computed again from the interview summary with the current definitions
//! at every start, so a definition added later applies to devices already known.

use std::collections::BTreeMap;

use coset::cbor::value::Value;
use serde::{Deserialize, Serialize};

use super::translation::Translation;
use super::{Error, Result};
use crate::definitions::Definitions;
use crate::envelope::DeviceId;
use crate::gateway::Mapping;
use crate::model::{Attribute, Device, Nature, RadioKind};
use crate::radio::zwave_nodes::NodeRecord;
use crate::store::{Store, WriteBatch};
use sealhub_radios::zigbee::driver::DeviceDescription;
use sealhub_radios::zigbee::zdo::{List8, MacCapabilities, NodeDescriptor, SimpleDescriptor};

/// The registry's store tree.
pub const TREE: &str = "gateway-devices";

/// Where a device is on its radio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Address {
    /// A Zigbee device: its IEEE address (its identity) and its current node id.
    Zigbee {
        /// IEEE address, as a number.
        eui64: u64,
        /// Node id, which changes when the device rejoins elsewhere.
        node_id: u16,
    },
    /// A Z-Wave node of the network `home_id`.
    Zwave {
        /// The network's home id.
        home_id: u32,
        /// The node id (a new inclusion always gets a new one).
        node: u16,
    },
}

impl Address {
    /// The radio.
    pub fn radio(&self) -> RadioKind {
        match self {
            Address::Zigbee { .. } => RadioKind::Zigbee,
            Address::Zwave { .. } => RadioKind::Zwave,
        }
    }
}

/// A Zigbee node descriptor, field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZigbeeNode {
    logical_type: u8,
    complex_descriptor_available: u8,
    user_descriptor_available: u8,
    reserved: u8,
    aps_flags: u8,
    frequency_bands: u8,
    mac_capabilities: u8,
    manufacturer_code: u16,
    maximum_buffer_size: u8,
    maximum_incoming_transfer_size: u16,
    server_mask: u16,
    maximum_outgoing_transfer_size: u16,
    descriptor_capability: u8,
}

/// One Zigbee endpoint, as its simple descriptor says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZigbeeEndpoint {
    /// Endpoint number.
    pub endpoint: u8,
    /// Application profile.
    pub profile: u16,
    /// Device id within the profile.
    pub device_id: u16,
    /// Device version.
    pub version: u8,
    /// Server clusters.
    pub in_clusters: Vec<u16>,
    /// Client clusters.
    pub out_clusters: Vec<u16>,
}

/// What a Zigbee interview found, kept so the mapping can be computed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZigbeeInterview {
    node: ZigbeeNode,
    /// The endpoints, in the device's order.
    pub endpoints: Vec<ZigbeeEndpoint>,
    /// Basic `manufacturerName`.
    pub manufacturer: Option<String>,
    /// Basic `modelId`.
    pub model: Option<String>,
}

impl ZigbeeInterview {
    /// The summary of an interview.
    pub fn of(d: &DeviceDescription) -> Self {
        let n = &d.node_descriptor;
        ZigbeeInterview {
            node: ZigbeeNode {
                logical_type: n.logical_type,
                complex_descriptor_available: n.complex_descriptor_available,
                user_descriptor_available: n.user_descriptor_available,
                reserved: n.reserved,
                aps_flags: n.aps_flags,
                frequency_bands: n.frequency_bands,
                mac_capabilities: n.mac_capabilities.bits(),
                manufacturer_code: n.manufacturer_code,
                maximum_buffer_size: n.maximum_buffer_size,
                maximum_incoming_transfer_size: n.maximum_incoming_transfer_size,
                server_mask: n.server_mask,
                maximum_outgoing_transfer_size: n.maximum_outgoing_transfer_size,
                descriptor_capability: n.descriptor_capability,
            },
            endpoints: d
                .endpoints
                .iter()
                .map(|e| ZigbeeEndpoint {
                    endpoint: e.endpoint,
                    profile: e.profile,
                    device_id: e.device_id,
                    version: e.version,
                    in_clusters: e.in_clusters.0.clone(),
                    out_clusters: e.out_clusters.0.clone(),
                })
                .collect(),
            manufacturer: d.manufacturer.clone(),
            model: d.model.clone(),
        }
    }

    /// The interview as the driver reported it, at the device's current node id.
    pub fn description(&self, node_id: u16) -> DeviceDescription {
        let n = &self.node;
        DeviceDescription {
            node_id,
            node_descriptor: NodeDescriptor {
                logical_type: n.logical_type,
                complex_descriptor_available: n.complex_descriptor_available,
                user_descriptor_available: n.user_descriptor_available,
                reserved: n.reserved,
                aps_flags: n.aps_flags,
                frequency_bands: n.frequency_bands,
                mac_capabilities: MacCapabilities::from_bits_retain(n.mac_capabilities),
                manufacturer_code: n.manufacturer_code,
                maximum_buffer_size: n.maximum_buffer_size,
                maximum_incoming_transfer_size: n.maximum_incoming_transfer_size,
                server_mask: n.server_mask,
                maximum_outgoing_transfer_size: n.maximum_outgoing_transfer_size,
                descriptor_capability: n.descriptor_capability,
            },
            endpoints: self
                .endpoints
                .iter()
                .map(|e| SimpleDescriptor {
                    endpoint: e.endpoint,
                    profile: e.profile,
                    device_id: e.device_id,
                    version: e.version,
                    in_clusters: List8(e.in_clusters.clone()),
                    out_clusters: List8(e.out_clusters.clone()),
                })
                .collect(),
            manufacturer: self.manufacturer.clone(),
            model: self.model.clone(),
        }
    }

    /// Whether the device sleeps: an end device whose receiver is off when idle (it polls its
    /// parent, which holds messages for it).
    pub fn sleeps(&self) -> bool {
        !MacCapabilities::from_bits_retain(self.node.mac_capabilities)
            .contains(MacCapabilities::RX_ON_WHEN_IDLE)
    }
}

/// What an interview found, for either radio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Interview {
    /// A Zigbee device's descriptors and Basic names.
    Zigbee(ZigbeeInterview),
    /// A Z-Wave node's record (see [`crate::radio::zwave_nodes`]).
    Zwave(NodeRecord),
}

/// The stored form of a record.
#[derive(Serialize, Deserialize)]
struct StoredRecord {
    id: String,
    address: Address,
    name: String,
    room: Option<String>,
    sleeps: bool,
    reachable: bool,
    interview: Interview,
    /// Per endpoint, its state-nature attributes (interim model encoding).
    state: Vec<(u8, Vec<Value>)>,
    /// See [`DeviceEntry::setup_pending`]; absent in records written before it existed.
    #[serde(default)]
    setup_pending: bool,
}

/// One device of the registry, in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEntry {
    /// Its stable id.
    pub id: DeviceId,
    /// Where it is on its radio.
    pub address: Address,
    /// Its name.
    pub name: String,
    /// Its room.
    pub room: Option<String>,
    /// Whether it sleeps.
    pub sleeps: bool,
    /// Whether it answered the last time it was asked.
    pub reachable: bool,
    /// What its interview said.
    pub interview: Interview,
    /// How it maps onto the model (computed, never stored).
    pub mapping: Mapping,
    /// The last state of each endpoint.
    pub state: BTreeMap<u8, Vec<Attribute>>,
    /// Brought from another hub (`sealhub import`) and not yet set up by this one: its binds
    /// and reporting are set up once, when its radio next comes up, as for a device that joins.
    pub setup_pending: bool,
}

/// The key of one attribute in an endpoint's state: values of the same key replace each other.
fn state_key(a: &Attribute) -> (Value, Option<Value>) {
    let tag = match a.to_value() {
        Value::Array(items) => items.into_iter().next().unwrap_or(Value::Null),
        other => other,
    };
    let sub = match a {
        Attribute::Measurement { kind, .. } => Some(kind.to_value()),
        Attribute::Alarm { kind, .. } => Some(kind.to_value()),
        Attribute::UserCode { slot, .. } => Some(Value::Integer((*slot).into())),
        _ => None,
    };
    (tag, sub)
}

impl DeviceEntry {
    /// A new device from its interview.
    pub fn new(
        id: DeviceId,
        address: Address,
        interview: Interview,
        mapping: Mapping,
    ) -> DeviceEntry {
        let sleeps = match &interview {
            Interview::Zigbee(z) => z.sleeps(),
            Interview::Zwave(n) => n.sleeps,
        };
        let name = default_name(&mapping, &address);
        DeviceEntry {
            id,
            address,
            name,
            room: None,
            sleeps,
            reachable: true,
            interview,
            mapping,
            state: BTreeMap::new(),
            setup_pending: false,
        }
    }

    /// Its radio.
    pub fn radio(&self) -> RadioKind {
        self.address.radio()
    }

    /// The device as clients see it.
    pub fn model(&self) -> Device {
        Device {
            id: self.id.clone(),
            radio: self.radio(),
            name: self.name.clone(),
            room: self.room.clone(),
            manufacturer: self.mapping.vendor.clone(),
            model: self.mapping.product.clone(),
            sleeps: self.sleeps,
            endpoints: self.mapping.model_endpoints(),
        }
    }

    /// The last state of an endpoint.
    pub fn state_of(&self, endpoint: u8) -> Vec<Attribute> {
        self.state.get(&endpoint).cloned().unwrap_or_default()
    }

    /// Merges reported values into the endpoint's state: a state value replaces the one of the
    /// same kind, event values (a lock operation, a tamper alarm) are not kept. Returns
    /// whether the state changed.
    pub fn merge(&mut self, endpoint: u8, values: &[Attribute]) -> bool {
        let state = self.state.entry(endpoint).or_default();
        let mut changed = false;
        for v in values.iter().filter(|v| v.nature() == Nature::State) {
            let key = state_key(v);
            match state.iter_mut().find(|s| state_key(s) == key) {
                Some(old) if old == v => {}
                Some(old) => {
                    *old = v.clone();
                    changed = true;
                }
                None => {
                    state.push(v.clone());
                    changed = true;
                }
            }
        }
        changed
    }

    /// The mapping of the interview, with the current definitions.
    pub fn compute_mapping(
        interview: &Interview,
        address: &Address,
        translation: &dyn Translation,
        definitions: &Definitions,
    ) -> Mapping {
        match (interview, address) {
            (Interview::Zigbee(z), Address::Zigbee { node_id, .. }) => {
                translation.zigbee_mapping(&z.description(*node_id), definitions)
            }
            (Interview::Zigbee(z), Address::Zwave { .. }) => {
                translation.zigbee_mapping(&z.description(0), definitions)
            }
            (Interview::Zwave(n), _) => translation.zwave_mapping(n, definitions),
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        let record = StoredRecord {
            id: self.id.to_string(),
            address: self.address,
            name: self.name.clone(),
            room: self.room.clone(),
            sleeps: self.sleeps,
            reachable: self.reachable,
            interview: self.interview.clone(),
            state: self
                .state
                .iter()
                .map(|(e, values)| (*e, values.iter().map(Attribute::to_value).collect()))
                .collect(),
            setup_pending: self.setup_pending,
        };
        let mut out = Vec::new();
        // Writing into a Vec cannot fail; the record holds only serializable data.
        let _ = ciborium::ser::into_writer(&record, &mut out);
        out
    }

    fn from_bytes(
        key: &[u8],
        bytes: &[u8],
        translation: &dyn Translation,
        definitions: &Definitions,
    ) -> Result<DeviceEntry> {
        let corrupt = |why: String| Error::Corrupt(format!("{TREE}/{}: {why}", hex::encode(key)));
        let record: StoredRecord =
            ciborium::de::from_reader(bytes).map_err(|e| corrupt(e.to_string()))?;
        let id = DeviceId::new(&record.id).map_err(|e| corrupt(e.to_string()))?;
        if id.as_str().as_bytes() != key {
            return Err(corrupt("the record names another device".into()));
        }
        let mut state = BTreeMap::new();
        for (endpoint, values) in record.state {
            let values = values
                .iter()
                .map(Attribute::from_value)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| corrupt(e.to_string()))?;
            state.insert(endpoint, values);
        }
        let mapping =
            Self::compute_mapping(&record.interview, &record.address, translation, definitions);
        Ok(DeviceEntry {
            id,
            address: record.address,
            name: record.name,
            room: record.room,
            sleeps: record.sleeps,
            reachable: record.reachable,
            interview: record.interview,
            mapping,
            state,
            setup_pending: record.setup_pending,
        })
    }
}

/// A name for a device nobody has named yet: its product, or its radio and address.
fn default_name(mapping: &Mapping, address: &Address) -> String {
    match (&mapping.vendor, &mapping.product) {
        (Some(v), Some(p)) => format!("{v} {p}"),
        (None, Some(p)) => p.clone(),
        _ => match address {
            Address::Zigbee { eui64, .. } => format!("Zigbee device {eui64:016x}"),
            Address::Zwave { node, .. } => format!("Z-Wave node {node}"),
        },
    }
}

/// Every device of the home, in memory and in the store.
#[derive(Debug)]
pub struct Registry {
    store: Store,
    devices: BTreeMap<DeviceId, DeviceEntry>,
}

impl Registry {
    /// Loads every record, computing each mapping with `definitions`.
    pub fn load(
        store: Store,
        translation: &dyn Translation,
        definitions: &Definitions,
    ) -> Result<Registry> {
        let mut devices = BTreeMap::new();
        for record in store.iter(TREE) {
            let (key, value) = record?;
            let entry = DeviceEntry::from_bytes(&key, &value, translation, definitions)?;
            devices.insert(entry.id.clone(), entry);
        }
        Ok(Registry { store, devices })
    }

    /// A device.
    pub fn get(&self, id: &DeviceId) -> Option<&DeviceEntry> {
        self.devices.get(id)
    }

    /// A device, to change (then [`Registry::save`] it).
    pub fn get_mut(&mut self, id: &DeviceId) -> Option<&mut DeviceEntry> {
        self.devices.get_mut(id)
    }

    /// Every device, by id.
    pub fn iter(&self) -> impl Iterator<Item = &DeviceEntry> {
        self.devices.values()
    }

    /// The Zigbee device of IEEE address `eui64`.
    pub fn by_eui64(&self, eui64: u64) -> Option<&DeviceId> {
        self.find(|a| matches!(a, Address::Zigbee { eui64: e, .. } if *e == eui64))
    }

    /// The Zigbee device at node id `node_id` now.
    pub fn by_zigbee_node(&self, node_id: u16) -> Option<&DeviceId> {
        self.find(|a| matches!(a, Address::Zigbee { node_id: n, .. } if *n == node_id))
    }

    /// The Z-Wave node `node` of network `home_id`.
    pub fn by_zwave_node(&self, home_id: u32, node: u16) -> Option<&DeviceId> {
        self.find(
            |a| matches!(a, Address::Zwave { home_id: h, node: n } if *h == home_id && *n == node),
        )
    }

    fn find(&self, f: impl Fn(&Address) -> bool) -> Option<&DeviceId> {
        self.devices.values().find(|d| f(&d.address)).map(|d| &d.id)
    }

    /// Adds "write this record" to `batch` (for the batch that issues the device's key).
    pub fn put_into(batch: &mut WriteBatch, entry: &DeviceEntry) {
        batch.put(TREE, entry.id.as_str().as_bytes(), &entry.to_bytes());
    }

    /// Adds "delete the record of `id`" to `batch` (for the batch that revokes its key).
    pub fn remove_into(batch: &mut WriteBatch, id: &DeviceId) {
        batch.remove(TREE, id.as_str().as_bytes());
    }

    /// Takes a record whose batch was applied.
    pub fn insert(&mut self, entry: DeviceEntry) {
        self.devices.insert(entry.id.clone(), entry);
    }

    /// Forgets a device whose record's removal was applied.
    pub fn forget(&mut self, id: &DeviceId) -> Option<DeviceEntry> {
        self.devices.remove(id)
    }

    /// Writes a device's record as it is in memory.
    pub fn save(&self, id: &DeviceId) -> Result<()> {
        match self.devices.get(id) {
            Some(entry) => Ok(self
                .store
                .put(TREE, id.as_str().as_bytes(), &entry.to_bytes())?),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlarmKind, LockAction, LockSource, MeasureKind, zigbee_device_id};

    fn entry() -> DeviceEntry {
        DeviceEntry::new(
            zigbee_device_id(1),
            Address::Zigbee {
                eui64: 1,
                node_id: 2,
            },
            Interview::Zigbee(ZigbeeInterview::of(&DeviceDescription {
                node_id: 2,
                node_descriptor: NodeDescriptor::default(),
                endpoints: vec![],
                manufacturer: None,
                model: None,
            })),
            Mapping {
                definition: None,
                vendor: None,
                product: None,
                endpoints: vec![],
            },
        )
    }

    #[test]
    fn state_values_replace_their_own_kind_and_events_are_not_kept() {
        let mut d = entry();
        assert!(d.merge(
            1,
            &[
                Attribute::OnOff(false),
                Attribute::Measurement {
                    kind: MeasureKind::Power,
                    value: 5
                },
                Attribute::Alarm {
                    kind: AlarmKind::Contact,
                    active: false
                },
            ]
        ));
        assert!(!d.merge(1, &[Attribute::OnOff(false)]), "no change");
        assert!(d.merge(
            1,
            &[
                Attribute::OnOff(true),
                Attribute::Measurement {
                    kind: MeasureKind::Energy,
                    value: 7
                },
                Attribute::LockOperation {
                    action: LockAction::Locked,
                    source: LockSource::Manual,
                    slot: None
                },
                Attribute::Alarm {
                    kind: AlarmKind::Tamper,
                    active: true
                },
            ]
        ));
        assert_eq!(
            d.state_of(1),
            vec![
                Attribute::OnOff(true),
                Attribute::Measurement {
                    kind: MeasureKind::Power,
                    value: 5
                },
                Attribute::Alarm {
                    kind: AlarmKind::Contact,
                    active: false
                },
                Attribute::Measurement {
                    kind: MeasureKind::Energy,
                    value: 7
                },
            ]
        );
        assert!(d.state_of(2).is_empty());
    }

    #[test]
    fn a_zigbee_interview_summary_gives_back_the_description() {
        let description = DeviceDescription {
            node_id: 0x1234,
            node_descriptor: NodeDescriptor {
                logical_type: 2,
                mac_capabilities: MacCapabilities::ALLOCATE_ADDRESS,
                manufacturer_code: 0x115F,
                maximum_buffer_size: 80,
                server_mask: 0x2C00,
                ..NodeDescriptor::default()
            },
            endpoints: vec![SimpleDescriptor {
                endpoint: 1,
                profile: 0x0104,
                device_id: 0x0402,
                version: 1,
                in_clusters: List8(vec![0x0000, 0x0500]),
                out_clusters: List8(vec![0x0019]),
            }],
            manufacturer: Some("LUMI".into()),
            model: Some("lumi.sensor_magnet".into()),
        };
        let summary = ZigbeeInterview::of(&description);
        assert_eq!(summary.description(0x1234), description);
        assert!(summary.sleeps(), "receiver off when idle");
    }
}
