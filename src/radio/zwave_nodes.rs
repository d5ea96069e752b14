//! What each Z-Wave node is, as its interview found it, kept as sealed records so the hub
//! interviews a node once (after its inclusion, or at its first wake-up when it was asleep)
//! and not at every start: an interview costs a sleeping node's battery and a minute of
//! radio time.
//!
//! [`NodeDescriber`] follows the driver's events: it runs `ZwaveStick::interview` in tasks of
//! its own (at most [`DescriberConfig::concurrent`] at once, each bounded by
//! [`DescriberConfig::limit`]) so event handling never waits for a node, seals the result as a
//! [`NodeRecord`] (a sealhub-side summary of the driver's `NodeDescription`: what the hub needs
//! to know the node, not the state values it read), logs it in one line, and deletes the
//! record when the node is excluded.
//!
//! Records (tree `zwave`, beside the keys and grants of [`super::zwave_keys`]):
//!
//! | key | value |
//! |---|---|
//! | `description/` ‖ node id (u16 big-endian) | [`NodeRecord`], CBOR |

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sealhub_radios::zwave::driver::{
    Error as DriverError, InterviewOptions, NodeDescription, RadioEvent, ZwaveStick,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::AbortHandle;

use super::zwave_keys::TREE;
use super::{Error, Result};
use crate::store::Store;

/// Prefix of the description records.
const PREFIX: &[u8] = b"description/";

/// The node's device classes, from its node information frame: what kind of device it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKind {
    /// Basic device class (controller, end node, routing end node).
    pub basic: u8,
    /// Generic device class (switch, sensor, thermostat, …).
    pub generic: u8,
    /// Specific device class within the generic one.
    pub specific: u8,
}

/// Manufacturer Specific: who made the node and which product it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductIds {
    /// Manufacturer id.
    pub manufacturer_id: u16,
    /// Product type.
    pub product_type: u16,
    /// Product id.
    pub product_id: u16,
}

/// One command class the node supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandClassRecord {
    /// The command class id.
    pub cc: u8,
    /// Supported securely (the node's secure list names it): taken only under its class.
    pub secure: bool,
    /// The version the node reported (`None`: not asked or not answered).
    pub version: Option<u8>,
}

/// One Multi Channel end point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRecord {
    /// Its id (1..=127).
    pub endpoint: u8,
    /// Generic device class.
    pub generic: u8,
    /// Specific device class.
    pub specific: u8,
    /// Its command classes.
    pub command_classes: Vec<u8>,
}

/// What the hub keeps of a node's interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// The node id.
    pub node: u16,
    /// Its device classes.
    pub kind: DeviceKind,
    /// Whether it sleeps between wake-ups (it lists Wake Up).
    pub sleeps: bool,
    /// Its highest granted class, by name (`None`: not secure).
    pub security: Option<String>,
    /// Manufacturer and product (`None`: not supported or not answered).
    pub product: Option<ProductIds>,
    /// Its firmware version, "major.minor" (`None`: not answered).
    pub firmware: Option<String>,
    /// Every supported command class.
    pub command_classes: Vec<CommandClassRecord>,
    /// Its end points (empty: none, or not answered).
    pub endpoints: Vec<EndpointRecord>,
}

impl NodeRecord {
    /// The record of an interview, or `None` when the node did not even send its node
    /// information (it was unreachable: asleep without the driver knowing, or gone), so that
    /// nothing is worth keeping and the interview is to be tried again.
    pub fn from_description(d: &NodeDescription) -> Option<Self> {
        let info = d.info.answered()?;
        Some(NodeRecord {
            node: d.node,
            kind: DeviceKind {
                basic: info.basic,
                generic: info.generic,
                specific: info.specific,
            },
            sleeps: info.sleeps(),
            security: d.security.map(|c| format!("{c:?}")),
            product: d.manufacturer.answered().map(|m| ProductIds {
                manufacturer_id: m.manufacturer_id,
                product_type: m.product_type,
                product_id: m.product_id,
            }),
            firmware: d
                .version
                .answered()
                .map(|v| format!("{}.{}", v.firmware.0, v.firmware.1)),
            command_classes: d
                .command_classes
                .iter()
                .map(|c| CommandClassRecord {
                    cc: c.cc,
                    secure: c.secure,
                    version: c.version.answered().copied(),
                })
                .collect(),
            endpoints: d
                .endpoints
                .answered()
                .map(|eps| {
                    eps.iter()
                        .map(|e| EndpointRecord {
                            endpoint: e.endpoint,
                            generic: e.generic,
                            specific: e.specific,
                            command_classes: e.command_classes.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Whether it supports `cc`.
    pub fn supports(&self, cc: u8) -> bool {
        self.command_classes.iter().any(|c| c.cc == cc)
    }

    /// Logs it at info, in one line.
    pub fn log(&self) {
        let ccs: Vec<String> = self
            .command_classes
            .iter()
            .map(|c| format!("{:#04x}{}", c.cc, if c.secure { "s" } else { "" }))
            .collect();
        tracing::info!(
            node = self.node,
            kind = format_args!(
                "{:#04x}/{:#04x}/{:#04x}",
                self.kind.basic, self.kind.generic, self.kind.specific
            ),
            sleeps = self.sleeps,
            security = self.security.as_deref().unwrap_or("none"),
            product = %self.product.map_or_else(
                || "unknown".to_owned(),
                |p| format!(
                    "{:04x}:{:04x}:{:04x}",
                    p.manufacturer_id, p.product_type, p.product_id
                )
            ),
            command_classes = ccs.join(" "),
            endpoints = self.endpoints.len(),
            "Z-Wave node described"
        );
    }
}

/// The description records.
#[derive(Debug)]
pub struct SealedNodeDescriptions {
    store: Store,
}

impl SealedNodeDescriptions {
    /// The description records of `store`.
    pub fn new(store: Store) -> Self {
        SealedNodeDescriptions { store }
    }

    /// Every stored record, by node id.
    pub fn load_all(&self) -> Result<BTreeMap<u16, NodeRecord>> {
        let mut out = BTreeMap::new();
        for record in self.store.iter(TREE) {
            let (key, value) = record?;
            let Some(id) = key.strip_prefix(PREFIX) else {
                continue;
            };
            let id: [u8; 2] = id.try_into().map_err(|_| corrupt("bad node id"))?;
            out.insert(u16::from_be_bytes(id), decode(&value)?);
        }
        Ok(out)
    }

    /// The record of `node`, if it was described.
    pub fn get(&self, node: u16) -> Result<Option<NodeRecord>> {
        match self.store.get(TREE, &key(node))? {
            Some(value) => Ok(Some(decode(&value)?)),
            None => Ok(None),
        }
    }

    /// Keeps a node's record (over any earlier one).
    pub fn save(&self, record: &NodeRecord) -> Result<()> {
        let mut value = Vec::new();
        ciborium::ser::into_writer(record, &mut value).map_err(|e| Error::Corrupt {
            what: "Z-Wave node description",
            reason: format!("cannot encode: {e}"),
        })?;
        Ok(self.store.put(TREE, &key(record.node), &value)?)
    }

    /// Forgets `node` (excluded); returns whether it had a record.
    pub fn remove(&self, node: u16) -> Result<bool> {
        Ok(self.store.remove(TREE, &key(node))?)
    }
}

fn corrupt(reason: &str) -> Error {
    Error::Corrupt {
        what: "Z-Wave node description",
        reason: reason.to_owned(),
    }
}

fn decode(bytes: &[u8]) -> Result<NodeRecord> {
    ciborium::de::from_reader(bytes).map_err(|e| corrupt(&format!("CBOR: {e}")))
}

fn key(node: u16) -> Vec<u8> {
    let mut key = PREFIX.to_vec();
    key.extend_from_slice(&node.to_be_bytes());
    key
}

/// How [`NodeDescriber`] runs interviews.
#[derive(Debug, Clone)]
pub struct DescriberConfig {
    /// At most this many interviews ask questions at once (others wait their turn), so a
    /// burst of inclusions does not flood the radio.
    pub concurrent: usize,
    /// One interview, waiting for a sleeping node's wake-up included, is given up after
    /// this; the node is tried again at its next wake-up.
    pub limit: Duration,
    /// How long each question waits for its answer.
    pub report_timeout: Duration,
}

impl Default for DescriberConfig {
    fn default() -> Self {
        Self {
            concurrent: 2,
            limit: Duration::from_secs(6 * 3600),
            report_timeout: InterviewOptions::default().report_timeout,
        }
    }
}

#[derive(Default)]
struct Running {
    /// Interviews in progress (or waiting for a permit or a wake-up), by node.
    tasks: HashMap<u16, AbortHandle>,
    /// Nodes to interview when next heard from (asleep or unreachable when tried).
    retry: HashSet<u16>,
    /// How many interviews were started (for tests and the log).
    started: usize,
}

/// Runs the interview of each node that has no record, in the background, and keeps the
/// records as nodes come and go. Dropping it aborts the interviews in progress.
pub struct NodeDescriber {
    stick: Arc<ZwaveStick>,
    records: SealedNodeDescriptions,
    config: DescriberConfig,
    permits: Arc<Semaphore>,
    running: Arc<Mutex<Running>>,
    /// Where each new record goes once sealed (the gateway, which keys the node).
    forward: Option<mpsc::Sender<NodeRecord>>,
}

impl std::fmt::Debug for NodeDescriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeDescriber")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn lock(m: &Mutex<Running>) -> std::sync::MutexGuard<'_, Running> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl NodeDescriber {
    /// A describer for `stick`'s nodes, keeping records in `store`.
    pub fn new(stick: Arc<ZwaveStick>, store: Store, config: DescriberConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.concurrent.max(1)));
        NodeDescriber {
            stick,
            records: SealedNodeDescriptions::new(store),
            config,
            permits,
            running: Arc::new(Mutex::new(Running::default())),
            forward: None,
        }
    }

    /// Sends every record sealed from now on to `to` as well (the gateway keys the node and
    /// maps it from its record).
    pub fn forward_records(&mut self, to: mpsc::Sender<NodeRecord>) {
        self.forward = Some(to);
    }

    /// Every record sealed so far (to hand the nodes described before the gateway ran to it).
    pub fn records(&self) -> Result<BTreeMap<u16, NodeRecord>> {
        self.records.load_all()
    }

    /// At start-up, with the stick's node list: tells the driver which described nodes sleep
    /// (so commands for them wait for their wake-up) and which command classes the secure ones
    /// support securely (call it after the grants are restored), and interviews (without waiting for any
    /// wake-up) every node but `own` that has no record; returns those nodes. Described
    /// nodes are not asked again.
    pub async fn resume(&self, nodes: &[u16], own: u16) -> Result<Vec<u16>> {
        let described = self.records.load_all()?;
        // What each secure node supports securely: frames of those classes are then taken
        // only under its class, whatever its node information frame lists (call after the
        // grants are restored).
        for record in described.values().filter(|r| r.security.is_some()) {
            let secure: Vec<u8> = record
                .command_classes
                .iter()
                .filter(|c| c.secure)
                .map(|c| c.cc)
                .collect();
            self.stick
                .set_node_secure_command_classes(record.node, &secure);
        }
        for record in described.values().filter(|r| r.sleeps) {
            if let Err(e) = self.stick.set_sleeping(record.node, true).await {
                tracing::warn!(
                    node = record.node,
                    "cannot mark the Z-Wave node as sleeping: {e}"
                );
            }
        }
        let missing: Vec<u16> = nodes
            .iter()
            .copied()
            .filter(|n| *n != own && !described.contains_key(n))
            .collect();
        for node in &missing {
            self.schedule(*node, false);
        }
        Ok(missing)
    }

    /// Follows a driver event: an included node is interviewed (a sleeping one from its
    /// wake-up); a node waiting for a retry is interviewed when it wakes up or reports; an
    /// excluded node's interview stops and its record is deleted.
    pub fn follow(&self, event: &RadioEvent) -> Result<()> {
        match event {
            RadioEvent::NodeAdded { node, .. } => {
                lock(&self.running).retry.remove(node);
                self.schedule(*node, true);
            }
            RadioEvent::WokeUp { node, .. } | RadioEvent::Report { node, .. } => {
                let due = lock(&self.running).retry.remove(node);
                if due {
                    self.schedule(*node, true);
                }
            }
            RadioEvent::NodeRemoved { node } => {
                let task = {
                    let mut running = lock(&self.running);
                    running.retry.remove(node);
                    running.tasks.remove(node)
                };
                if let Some(task) = task {
                    task.abort();
                }
                if self.records.remove(*node)? {
                    tracing::info!(node, "Z-Wave node description deleted (excluded)");
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// How many interviews were started so far.
    pub fn interviews_started(&self) -> usize {
        lock(&self.running).started
    }

    /// Whether an interview of `node` is in progress or waiting.
    pub fn is_describing(&self, node: u16) -> bool {
        lock(&self.running)
            .tasks
            .get(&node)
            .is_some_and(|t| !t.is_finished())
    }

    fn schedule(&self, node: u16, wait_for_wake_up: bool) {
        let mut running = lock(&self.running);
        if running.tasks.get(&node).is_some_and(|t| !t.is_finished()) {
            return;
        }
        running.started += 1;
        let stick = self.stick.clone();
        let records = SealedNodeDescriptions::new(self.records.store.handle());
        let permits = self.permits.clone();
        let shared = self.running.clone();
        let limit = self.config.limit;
        let forward = self.forward.clone();
        let options = InterviewOptions {
            wait_for_wake_up,
            report_timeout: self.config.report_timeout,
        };
        let task = tokio::spawn(async move {
            let outcome = tokio::time::timeout(limit, async {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .map_err(|_| DriverError::Closed)?;
                stick.interview_with(node, options).await
            })
            .await;
            let record = match outcome {
                Ok(Ok(d)) => NodeRecord::from_description(&d),
                Ok(Err(DriverError::NodeAsleep(_))) => {
                    tracing::info!(node, "Z-Wave node asleep: described at its wake-up");
                    None
                }
                Ok(Err(e)) => {
                    tracing::warn!(node, "Z-Wave interview failed: {e}");
                    None
                }
                Err(_) => {
                    tracing::warn!(node, "Z-Wave interview gave up after {limit:?}");
                    None
                }
            };
            match record {
                Some(record) => match records.save(&record) {
                    Ok(()) => {
                        record.log();
                        if let Some(to) = forward
                            && to.send(record).await.is_err()
                        {
                            tracing::debug!(node, "nobody takes Z-Wave node records any more");
                        }
                    }
                    Err(e) => tracing::error!(node, "cannot keep the Z-Wave node description: {e}"),
                },
                None => {
                    lock(&shared).retry.insert(node);
                }
            }
        });
        running.tasks.insert(node, task.abort_handle());
    }
}

impl Drop for NodeDescriber {
    fn drop(&mut self) {
        for (_, task) in lock(&self.running).tasks.drain() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KekSource;

    #[test]
    fn records_round_trip_and_sit_beside_the_grants() {
        let dir = crate::store::private_tempdir();
        let s = Store::open(
            dir.path(),
            &KekSource::KeyFile(dir.path().join("store.key")),
        )
        .expect("store");
        let records = SealedNodeDescriptions::new(s.handle());
        let record = NodeRecord {
            node: 9,
            kind: DeviceKind {
                basic: 4,
                generic: 0x10,
                specific: 1,
            },
            sleeps: false,
            security: Some("S2Authenticated".into()),
            product: Some(ProductIds {
                manufacturer_id: 0x86,
                product_type: 3,
                product_id: 0x60,
            }),
            firmware: Some("1.2".into()),
            command_classes: vec![CommandClassRecord {
                cc: 0x25,
                secure: true,
                version: Some(2),
            }],
            endpoints: Vec::new(),
        };
        records.save(&record).expect("save");
        // A grant record in the same tree is not read as a description, nor the other way.
        let grants = super::super::zwave_keys::SealedNodeGrants::new(s.handle());
        grants
            .save(
                9,
                &super::super::zwave_keys::NodeGrant {
                    granted: sealhub_radios::zwave::s2::KeyClasses::S2_AUTHENTICATED,
                    insecure: vec![0x5E],
                },
            )
            .expect("grant");
        assert_eq!(records.load_all().expect("load")[&9], record);
        assert_eq!(grants.load_all().expect("grants").len(), 1);
        assert_eq!(records.get(9).expect("get"), Some(record));
        assert!(records.remove(9).expect("remove"));
        assert_eq!(records.get(9).expect("get"), None);
        assert!(!records.remove(9).expect("remove again"));
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_missing_one() {
        let dir = crate::store::private_tempdir();
        let s = Store::open(
            dir.path(),
            &KekSource::KeyFile(dir.path().join("store.key")),
        )
        .expect("store");
        s.put(TREE, &key(3), &[0xFF, 0x00]).expect("put");
        let records = SealedNodeDescriptions::new(s.handle());
        assert!(matches!(records.get(3), Err(Error::Corrupt { .. })));
        assert!(matches!(records.load_all(), Err(Error::Corrupt { .. })));
    }
}
