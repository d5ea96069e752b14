//! Writing an imported home into the sealed store: the radio's secrets into the records the
//! runtime reads at start-up (`crate::radio`), and each device into the gateway's registry
//! with its key and certificate, issued in one atomic write with its record
//! (`Home::issue_device_with`), as when a device joins (`gateway::core`'s `admit`). The mapping
//! onto the device model is computed with the same translation and definitions as at start-up.
//!
//! The radio's records are written first: if an import stops half way, running it again
//! finds the same network (or keys) stored, and registers the devices still missing.

use sealhub_radios::zigbee::driver::DeviceDescription;
use sealhub_radios::zigbee::zdo::{List8, MacCapabilities, NodeDescriptor, SimpleDescriptor};
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::s2::SecurityClass;

use super::zigbee2mqtt::{HerdsmanDevice, HerdsmanKind, Zigbee2MqttHome};
use super::zwave_js::{CachedNode, ZwaveJsHome};
use super::{Error, ImportReport, Result};
use crate::definitions::Definitions;
use crate::gateway::core::Translation;
use crate::gateway::core::registry::{Address, DeviceEntry, Interview, Registry, ZigbeeInterview};
use crate::keymgmt::Home;
use crate::model::{zigbee_device_id, zwave_device_id};
use crate::radio::zigbee_network::{self, ZigbeeNetwork};
use crate::radio::zwave_keys::{NodeGrant, SealedNetworkKeys, SealedNodeGrants};
use crate::radio::zwave_nodes::{
    CommandClassRecord, DeviceKind, EndpointRecord, NodeRecord, ProductIds, SealedNodeDescriptions,
};
use crate::store::{Store, WriteBatch};

/// The stores and translation an import writes with.
pub struct Target<'a> {
    /// The home (issues each device's key and certificate).
    pub home: &'a mut Home,
    /// The sealed store the home is in.
    pub store: &'a Store,
    /// How devices map onto the model.
    pub translation: &'a dyn Translation,
    /// The device definitions.
    pub definitions: &'a Definitions,
}

/// Writes a Zigbee2MQTT home: the network backup (unless the store already holds that
/// network; another network is refused), then every device herdsman interviewed.
pub fn zigbee2mqtt(target: &mut Target<'_>, z2m: &Zigbee2MqttHome) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let backup = &z2m.backup;
    let network = ZigbeeNetwork::load(target.store.handle())?;
    match network.stored() {
        Some(stored)
            if stored.extended_pan_id != backup.extended_pan_id
                || stored.pan_id != backup.pan_id =>
        {
            return Err(Error::Conflict(format!(
                "the sealed store already holds another Zigbee network (PAN ID {:#06x}, \
                 extended PAN ID {:016x}) than Zigbee2MQTT's (PAN ID {:#06x}, extended PAN ID \
                 {:016x}); importing would strand the devices paired with it. Import into a \
                 new data directory instead",
                stored.pan_id,
                u64::from_le_bytes(stored.extended_pan_id),
                backup.pan_id,
                u64::from_le_bytes(backup.extended_pan_id),
            )));
        }
        Some(_) => report.network.push(format!(
            "the sealed store already holds this Zigbee network (PAN ID {:#06x}): kept",
            backup.pan_id
        )),
        None => {
            target.store.put(
                zigbee_network::TREE,
                zigbee_network::BACKUP_KEY,
                backup.to_json().as_bytes(),
            )?;
            report.network.push(format!(
                "Zigbee network sealed: PAN ID {:#06x}, extended PAN ID {:016x}, channel {}, \
                 {} link key(s){}; the stick takes it at the next start",
                backup.pan_id,
                u64::from_le_bytes(backup.extended_pan_id),
                backup.channel,
                backup
                    .devices
                    .iter()
                    .filter(|d| d.link_key.is_some())
                    .count(),
                if matches!(backup.ezsp_hashed_tclk(), Ok(Some(_))) {
                    ", hashed trust-centre link key"
                } else {
                    ""
                },
            ));
        }
    }

    let mut registry = Registry::load(
        target.store.handle(),
        target.translation,
        target.definitions,
    )?;
    let coordinator = u64::from_le_bytes(backup.coordinator_ieee);
    if z2m.database.groups > 0 {
        report.skipped.push(format!(
            "{} group(s): sealhub has no Zigbee groups",
            z2m.database.groups
        ));
    }
    for device in &z2m.database.devices {
        let id = zigbee_device_id(device.eui64);
        let refuse = match device.kind {
            HerdsmanKind::Coordinator => continue,
            _ if device.eui64 == coordinator => continue,
            HerdsmanKind::GreenPower => Some("a Green Power device (not supported)"),
            _ if !device.interviewed || device.endpoints.is_empty() => {
                Some("Zigbee2MQTT never finished its interview; pair it again")
            }
            _ => None,
        };
        if let Some(why) = refuse {
            report.skipped.push(format!("{id}: {why}"));
            continue;
        }
        let description = description_of(device);
        let address = Address::Zigbee {
            eui64: device.eui64,
            node_id: device.node_id,
        };
        let interview = Interview::Zigbee(ZigbeeInterview::of(&description));
        let mapping = target
            .translation
            .zigbee_mapping(&description, target.definitions);
        let mut entry = DeviceEntry::new(id, address, interview, mapping);
        // Zigbee2MQTT configured reporting for its own converters; sealhub sets up what its
        // mapping needs when the stick is next up.
        entry.setup_pending = true;
        if let Some(name) = z2m.names.get(&device.eui64) {
            entry.name = name.clone();
        }
        admit(target, &mut registry, entry, &mut report)?;
    }
    Ok(report)
}

/// What an interview would have said of a device herdsman interviewed: its endpoints and
/// names as recorded, and a node descriptor made of what herdsman kept (its type, power
/// source and manufacturer code).
pub fn description_of(device: &HerdsmanDevice) -> DeviceDescription {
    let router = device.kind == HerdsmanKind::Router;
    let mains = device.mains_powered.unwrap_or(router);
    let mut mac = MacCapabilities::ALLOCATE_ADDRESS;
    if router {
        mac |= MacCapabilities::FULL_FUNCTION_DEVICE;
    }
    if mains {
        mac |= MacCapabilities::MAINS_POWERED | MacCapabilities::RX_ON_WHEN_IDLE;
    }
    DeviceDescription {
        node_id: device.node_id,
        node_descriptor: NodeDescriptor {
            logical_type: match device.kind {
                HerdsmanKind::Coordinator => 0,
                HerdsmanKind::Router => 1,
                _ => 2,
            },
            // 2.4 GHz.
            frequency_bands: 1 << 3,
            mac_capabilities: mac,
            manufacturer_code: device.manufacturer_code.unwrap_or(0),
            ..NodeDescriptor::default()
        },
        endpoints: device
            .endpoints
            .iter()
            .map(|e| SimpleDescriptor {
                endpoint: e.endpoint,
                profile: e.profile,
                device_id: e.device_id,
                version: 0,
                in_clusters: List8(e.in_clusters.clone()),
                out_clusters: List8(e.out_clusters.clone()),
            })
            .collect(),
        manufacturer: device.manufacturer.clone(),
        model: device.model.clone(),
    }
}

/// Registers one device with its key, unless the registry (or the home) already knows it.
fn admit(
    target: &mut Target<'_>,
    registry: &mut Registry,
    entry: DeviceEntry,
    report: &mut ImportReport,
) -> Result<()> {
    let known = match &entry.address {
        Address::Zigbee { eui64, .. } => registry.by_eui64(*eui64).is_some(),
        Address::Zwave { home_id, node } => registry.by_zwave_node(*home_id, *node).is_some(),
    };
    if known {
        report.already_known.push(entry.id);
        return Ok(());
    }
    if target.home.device_certificate(&entry.id).is_some() {
        report.skipped.push(format!(
            "{}: the home holds a key for it without a registry record; start the hub once \
             so it settles, then import again",
            entry.id
        ));
        return Ok(());
    }
    let mut batch = WriteBatch::new();
    Registry::put_into(&mut batch, &entry);
    target.home.issue_device_with(&entry.id, batch)?;
    report
        .registered
        .push((entry.id.clone(), entry.name.clone()));
    registry.insert(entry);
    Ok(())
}

/// Writes a Z-Wave JS home: the network keys (a class whose key the store already holds
/// differently is refused), then each node other than controllers: its granted classes, its
/// description (so it is not interviewed again) and its registry record with its key.
pub fn zwave_js(target: &mut Target<'_>, zwave: &ZwaveJsHome) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut keys = SealedNetworkKeys::load(target.store.handle())?;
    for (class, key) in &zwave.keys.0 {
        if let Some(stored) = keys.key(*class) {
            if &stored != key {
                return Err(Error::Conflict(format!(
                    "the sealed store already holds another {class:?} network key than Z-Wave \
                     JS's; importing would strand the nodes included under it. Import into a \
                     new data directory instead"
                )));
            }
        }
    }
    // Every class a node was granted needs its key.
    for node in zwave.nodes.values() {
        for class in node.granted.classes() {
            if !zwave.keys.0.contains_key(&class) && keys.key(class).is_none() {
                return Err(Error::Conflict(format!(
                    "node {} was granted {class:?}, but the keys file has no {class:?} key",
                    node.node
                )));
            }
        }
    }
    for (class, key) in &zwave.keys.0 {
        if keys.key(*class).is_none() {
            keys.import(*class, key)?;
        }
    }
    report.network.push(format!(
        "Z-Wave network {:08x}: {} network key(s) sealed ({})",
        zwave.home_id,
        zwave.keys.0.len(),
        zwave
            .keys
            .0
            .keys()
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));

    let grants = SealedNodeGrants::new(target.store.handle());
    let descriptions = SealedNodeDescriptions::new(target.store.handle());
    let mut registry = Registry::load(
        target.store.handle(),
        target.translation,
        target.definitions,
    )?;
    for node in zwave.nodes.values() {
        let id = zwave_device_id(zwave.home_id, node.node);
        if node.controller {
            continue;
        }
        let Some(record) = record_of(node) else {
            report.skipped.push(format!(
                "{id}: Z-Wave JS never learnt its device class or command classes; include it \
                 again"
            ));
            continue;
        };
        if !node.granted.is_empty() {
            grants.save(
                node.node,
                &NodeGrant {
                    granted: node.granted,
                    insecure: insecure_classes(node),
                },
            )?;
        }
        descriptions.save(&record)?;
        let address = Address::Zwave {
            home_id: zwave.home_id,
            node: node.node,
        };
        let mapping = target
            .translation
            .zwave_mapping(&record, target.definitions);
        let entry = DeviceEntry::new(id, address, Interview::Zwave(record), mapping);
        admit(target, &mut registry, entry, &mut report)?;
    }
    Ok(report)
}

/// The command classes a node may send in the clear: those of its root device that are not
/// secure-only.
fn insecure_classes(node: &CachedNode) -> Vec<u8> {
    node.endpoints
        .get(&0)
        .map(|ccs| ccs.iter().filter(|c| !c.secure).map(|c| c.cc).collect())
        .unwrap_or_default()
}

/// The record an interview by sealhub would have kept, from what zwave-js cached; `None` when
/// the cache lacks the node's device class or root command classes.
pub fn record_of(node: &CachedNode) -> Option<NodeRecord> {
    let (basic, generic, specific) = node.device_class?;
    let root = node.endpoints.get(&0).filter(|c| !c.is_empty())?;
    let highest = SecurityClass::HIGHEST_FIRST
        .into_iter()
        .find(|c| node.granted.contains(c.bit()));
    const WAKE_UP: u8 = 0x84;
    Some(NodeRecord {
        node: node.node,
        kind: DeviceKind {
            basic,
            generic,
            specific,
        },
        sleeps: root.iter().any(|c| c.cc == WAKE_UP) && node.listening != Some(true),
        security: highest.map(|c| format!("{c:?}")),
        product: node.product.map(|(m, t, p)| ProductIds {
            manufacturer_id: m,
            product_type: t,
            product_id: p,
        }),
        firmware: None,
        command_classes: root
            .iter()
            .map(|c| CommandClassRecord {
                cc: c.cc,
                secure: c.secure,
                version: (c.version > 0).then_some(c.version),
            })
            .collect(),
        endpoints: node
            .endpoints
            .iter()
            .filter(|(e, _)| **e > 0)
            .map(|(e, ccs)| EndpointRecord {
                endpoint: *e,
                generic,
                specific,
                command_classes: ccs.iter().map(|c| c.cc).collect(),
            })
            .collect(),
    })
}
