//! Shared set-up for the gateway tests: a hub (a real `Home` on a temporary sealed store and
//! the gateway core) driven by explicit inputs and time, phones (real `Client`s) that seal
//! commands and open what the hub delivers, and a translation with hand-made mappings, so the
//! core's tests do not depend on the radios' translations (`tests/gateway_zigbee.rs` and
//! `tests/gateway_zwave.rs` test those).

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sealhub::definitions::{CapabilityMapping, Definitions, EndpointMapping, MappingOptions};
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{self, DeviceId, MessageType, Opened};
use sealhub::gateway::core::permissions::permissions_of;
use sealhub::gateway::core::{
    Delivery, Gateway, GatewayConfig, Input, OpOutput, Output, RadioOutcome, Ticket, Translation,
};
use sealhub::gateway::{Mapping, Refusal, ZigbeeOp, ZwaveOp};
use sealhub::keymgmt::{Client, ClientKeys, Home};
use sealhub::model::{
    Action, AlarmKind, Attribute, Capability, Command, Event, Failure, HubCommand, Response, Role,
};
use sealhub::radio::zwave_nodes::{CommandClassRecord, DeviceKind, NodeRecord};
use sealhub::store::{KekSource, Store};
use sealhub_radios::zigbee::driver::{DeviceDescription, NetworkInfo, RadioEvent as ZigbeeEvent};
use sealhub_radios::zigbee::zcl::clusters::{Empty, on_off};
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};
use sealhub_radios::zigbee::zdo::{List8, MacCapabilities, NodeDescriptor, SimpleDescriptor};
use sealhub_radios::zwave::cc::{BinarySwitch, CommandClassFrame, DoorLock};
use sealhub_radios::zwave::driver::RadioEvent as ZwaveEvent;

/// The On/Off cluster.
pub const ON_OFF: u16 = 0x0006;
/// The Door Lock cluster.
pub const DOOR_LOCK: u16 = 0x0101;
/// Binary Switch.
pub const CC_SWITCH: u8 = 0x25;
/// Door Lock.
pub const CC_LOCK: u8 = 0x62;
/// Binary Sensor.
pub const CC_SENSOR: u8 = 0x30;
/// Wake Up.
pub const CC_WAKE_UP: u8 = 0x84;
/// The emulated Z-Wave network.
pub const HOME_ID: u32 = 0xC0FF_EE01;
/// The hub's own Zigbee address.
pub const HUB_EUI64: u64 = 0x00_12_4B_00_00_00_00_01;

/// Unix seconds now (commands expire a minute later).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

pub fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

/// A translation with hand-made mappings: by cluster (Zigbee) or command class (Z-Wave), or a
/// definition found for the device's names.
pub struct FakeTranslation;

fn caps(list: &[Capability]) -> Vec<CapabilityMapping> {
    list.iter()
        .map(|c| CapabilityMapping {
            capability: *c,
            source: None,
            options: MappingOptions::default(),
        })
        .collect()
}

fn has(mapping: &Mapping, endpoint: u8, capability: Capability) -> bool {
    mapping
        .endpoint(endpoint)
        .is_some_and(|e| e.capabilities.iter().any(|c| c.capability == capability))
}

fn unsupported() -> Refusal {
    Refusal::new(Failure::Unsupported, "this part cannot do that")
}

impl Translation for FakeTranslation {
    fn zigbee_mapping(&self, d: &DeviceDescription, definitions: &Definitions) -> Mapping {
        if let (Some(m), Some(model)) = (&d.manufacturer, &d.model)
            && let Some(def) = definitions.zigbee(m, model)
        {
            return Mapping {
                definition: Some(def.source.clone()),
                vendor: Some(def.vendor.clone()),
                product: Some(def.name.clone()),
                endpoints: def.endpoints.clone(),
            };
        }
        let endpoints = d
            .endpoints
            .iter()
            .filter_map(|e| {
                let mut list = Vec::new();
                if e.in_clusters.0.contains(&ON_OFF) {
                    list.push(Capability::OnOff);
                }
                if e.in_clusters.0.contains(&DOOR_LOCK) {
                    list.push(Capability::DoorLock);
                }
                (!list.is_empty()).then(|| EndpointMapping {
                    endpoint: e.endpoint,
                    name: None,
                    capabilities: caps(&list),
                })
            })
            .collect();
        Mapping {
            definition: None,
            vendor: d.manufacturer.clone(),
            product: d.model.clone(),
            endpoints,
        }
    }

    fn zigbee_setup(&self, mapping: &Mapping, _hub: u64) -> Vec<ZigbeeOp> {
        mapping
            .endpoints
            .iter()
            .filter(|e| has(mapping, e.endpoint, Capability::OnOff))
            .map(|e| ZigbeeOp::Bind {
                endpoint: e.endpoint,
                cluster: ON_OFF,
            })
            .collect()
    }

    fn zigbee_refresh(&self, mapping: &Mapping, endpoint: u8) -> Vec<ZigbeeOp> {
        let mut ops = Vec::new();
        if has(mapping, endpoint, Capability::OnOff) {
            ops.push(ZigbeeOp::Read {
                endpoint,
                cluster: ON_OFF,
                attributes: vec![0],
            });
        }
        ops
    }

    fn zigbee_attributes_of_report(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        cluster: u16,
        attributes: &[(u16, Value)],
    ) -> Vec<Attribute> {
        if cluster != ON_OFF || !has(mapping, endpoint, Capability::OnOff) {
            return Vec::new();
        }
        attributes
            .iter()
            .filter_map(|(a, v)| match (a, v) {
                (0, Value::Boolean(b)) => Some(Attribute::OnOff(*b != 0)),
                _ => None,
            })
            .collect()
    }

    fn zigbee_attributes_of_command(
        &self,
        _mapping: &Mapping,
        _endpoint: u8,
        _command: &ClusterCommand,
    ) -> Vec<Attribute> {
        Vec::new()
    }

    fn zigbee_action(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Result<Vec<ZigbeeOp>, Refusal> {
        let command = |c| ZigbeeOp::Command {
            endpoint,
            command: ClusterCommand::OnOff(c),
        };
        match action {
            Action::TurnOn if has(mapping, endpoint, Capability::OnOff) => {
                Ok(vec![command(on_off::ToServer::On(Empty {}))])
            }
            Action::TurnOff if has(mapping, endpoint, Capability::OnOff) => {
                Ok(vec![command(on_off::ToServer::Off(Empty {}))])
            }
            // A stand-in for Lock Door / Unlock Door: the core only passes ops through.
            Action::Lock | Action::Unlock if has(mapping, endpoint, Capability::DoorLock) => {
                Ok(vec![ZigbeeOp::Write {
                    endpoint,
                    cluster: DOOR_LOCK,
                    records: vec![],
                }])
            }
            Action::Refresh => Ok(self.zigbee_refresh(mapping, endpoint)),
            _ => Err(unsupported()),
        }
    }

    fn zigbee_state_set_by(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Option<Vec<Attribute>> {
        switched_state(mapping, endpoint, action)
    }

    fn zwave_mapping(&self, node: &NodeRecord, _definitions: &Definitions) -> Mapping {
        let mut list = Vec::new();
        if node.supports(CC_SWITCH) {
            list.push(Capability::OnOff);
        }
        if node.supports(CC_LOCK) {
            list.push(Capability::DoorLock);
        }
        if node.supports(CC_SENSOR) {
            list.push(Capability::Alarm(AlarmKind::Motion));
        }
        Mapping {
            definition: None,
            vendor: None,
            product: None,
            endpoints: vec![EndpointMapping {
                endpoint: 0,
                name: None,
                capabilities: caps(&list),
            }],
        }
    }

    fn zwave_refresh(&self, mapping: &Mapping, endpoint: u8) -> Vec<ZwaveOp> {
        let mut ops = Vec::new();
        if has(mapping, endpoint, Capability::OnOff) {
            ops.push(ZwaveOp::Send {
                endpoint,
                command: CommandClassFrame::BinarySwitch(BinarySwitch::Get),
            });
        }
        if has(mapping, endpoint, Capability::DoorLock) {
            ops.push(ZwaveOp::Send {
                endpoint,
                command: CommandClassFrame::DoorLock(DoorLock::OperationGet),
            });
        }
        ops
    }

    fn zwave_attributes_of_report(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        report: &CommandClassFrame,
    ) -> Vec<Attribute> {
        match report {
            CommandClassFrame::BinarySwitch(BinarySwitch::Report { current, .. })
                if has(mapping, endpoint, Capability::OnOff) =>
            {
                vec![Attribute::OnOff(*current != 0)]
            }
            _ => Vec::new(),
        }
    }

    fn zwave_action(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Result<Vec<ZwaveOp>, Refusal> {
        let send = |command| Ok(vec![ZwaveOp::Send { endpoint, command }]);
        match action {
            Action::TurnOn if has(mapping, endpoint, Capability::OnOff) => {
                send(CommandClassFrame::BinarySwitch(BinarySwitch::Set {
                    value: 0xFF,
                    duration: None,
                }))
            }
            Action::TurnOff if has(mapping, endpoint, Capability::OnOff) => {
                send(CommandClassFrame::BinarySwitch(BinarySwitch::Set {
                    value: 0,
                    duration: None,
                }))
            }
            Action::Lock if has(mapping, endpoint, Capability::DoorLock) => {
                send(CommandClassFrame::DoorLock(DoorLock::OperationSet {
                    mode: 0xFF,
                }))
            }
            Action::Unlock if has(mapping, endpoint, Capability::DoorLock) => {
                send(CommandClassFrame::DoorLock(DoorLock::OperationSet {
                    mode: 0x00,
                }))
            }
            Action::Refresh => Ok(self.zwave_refresh(mapping, endpoint)),
            _ => Err(unsupported()),
        }
    }

    fn zwave_state_set_by(
        &self,
        mapping: &Mapping,
        endpoint: u8,
        action: &Action,
    ) -> Option<Vec<Attribute>> {
        switched_state(mapping, endpoint, action)
    }
}

/// The state an on or off sets on a switch; the other actions (the stand-in lock's) are read
/// back.
fn switched_state(mapping: &Mapping, endpoint: u8, action: &Action) -> Option<Vec<Attribute>> {
    match action {
        Action::TurnOn | Action::TurnOff if has(mapping, endpoint, Capability::OnOff) => {
            Some(vec![Attribute::OnOff(*action == Action::TurnOn)])
        }
        _ => None,
    }
}

/// A Zigbee interview: endpoints with their server clusters.
pub fn zigbee_description(
    node_id: u16,
    endpoints: &[(u8, &[u16])],
    model: Option<&str>,
) -> DeviceDescription {
    DeviceDescription {
        node_id,
        node_descriptor: NodeDescriptor {
            logical_type: 1,
            mac_capabilities: MacCapabilities::RX_ON_WHEN_IDLE | MacCapabilities::MAINS_POWERED,
            manufacturer_code: 0x1234,
            ..NodeDescriptor::default()
        },
        endpoints: endpoints
            .iter()
            .map(|(e, clusters)| SimpleDescriptor {
                endpoint: *e,
                profile: 0x0104,
                device_id: 0x0100,
                version: 1,
                in_clusters: List8(clusters.to_vec()),
                out_clusters: List8(vec![]),
            })
            .collect(),
        manufacturer: Some("Acme".into()),
        model: model.map(str::to_owned),
    }
}

/// A Z-Wave node's description with these command classes.
pub fn zwave_record(node: u16, ccs: &[u8]) -> NodeRecord {
    NodeRecord {
        node,
        kind: DeviceKind {
            basic: 4,
            generic: 0x10,
            specific: 1,
        },
        sleeps: ccs.contains(&CC_WAKE_UP),
        security: Some("S2AccessControl".into()),
        product: None,
        firmware: Some("1.0".into()),
        command_classes: ccs
            .iter()
            .map(|cc| CommandClassRecord {
                cc: *cc,
                secure: true,
                version: Some(1),
            })
            .collect(),
        endpoints: vec![],
    }
}

/// A hub: the home and the gateway on one sealed store in a temporary directory, driven with
/// explicit time.
pub struct Hub {
    pub dir: tempfile::TempDir,
    pub home: Home,
    pub gateway: Gateway,
    pub now: Instant,
    /// What the gateway said when it opened.
    pub started: Vec<Output>,
    pub config: GatewayConfig,
    pub definitions: Definitions,
}

/// The home on the store in `dir`, and a second handle on that store (sled opens a database
/// once per process) for the gateway.
pub fn open_home(dir: &Path) -> (Home, Store) {
    let store = Store::open(dir, &KekSource::default_key_file(dir)).expect("store opens");
    let handle = store.handle();
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home opens");
    home.set_clock_trusted(true);
    (home, handle)
}

impl Hub {
    pub fn new() -> Hub {
        Self::open(
            super::tempdir(),
            GatewayConfig::default(),
            Definitions::default(),
        )
    }

    pub fn open(dir: tempfile::TempDir, config: GatewayConfig, definitions: Definitions) -> Hub {
        let (mut home, store) = open_home(dir.path());
        let now = Instant::now();
        let (gateway, started) = Gateway::open(
            &mut home,
            store,
            definitions.clone(),
            Box::new(FakeTranslation),
            config.clone(),
            now,
        )
        .expect("gateway opens");
        Hub {
            dir,
            home,
            gateway,
            now,
            started,
            config,
            definitions,
        }
    }

    /// Stops the hub and starts it again on the same store (radios not up yet).
    pub fn restart(self) -> Hub {
        self.restart_with(Definitions::default())
    }

    /// [`Hub::restart`] with other definitions.
    pub fn restart_with(self, definitions: Definitions) -> Hub {
        let Hub {
            dir,
            home,
            gateway,
            config,
            ..
        } = self;
        drop(gateway);
        drop(home);
        Hub::open(dir, config, definitions)
    }

    /// Handles `input` as the gateway task does: the core's outputs, then the flush of what
    /// it staged for after them (`Gateway::flush_staged`) and the keys of the answers agreed
    /// ahead (`Gateway::prepare_answers`).
    pub fn handle(&mut self, input: Input) -> Vec<Output> {
        let out = self.gateway.handle(&mut self.home, input, self.now);
        self.gateway.flush_staged(&mut self.home);
        self.gateway.prepare_answers(&self.home);
        out
    }

    /// Lets `d` pass and ticks.
    pub fn advance(&mut self, d: Duration) -> Vec<Output> {
        self.now += d;
        self.handle(Input::Tick)
    }

    pub fn zigbee_up(&mut self) -> Vec<Output> {
        self.handle(Input::ZigbeeUp(NetworkInfo {
            channel: 15,
            pan_id: 0x1A62,
            extended_pan_id: 0xDDDD_DDDD_DDDD_DDDD,
            eui64: HUB_EUI64,
            node_id: 0,
        }))
    }

    pub fn zwave_up(&mut self) -> Vec<Output> {
        self.handle(Input::ZwaveUp {
            home_id: HOME_ID,
            node_id: 1,
        })
    }

    pub fn radios_up(&mut self) -> Vec<Output> {
        let mut out = self.zigbee_up();
        out.extend(self.zwave_up());
        out
    }

    /// Pairs a phone with `role`, limited to `devices` when given.
    pub fn pair(&mut self, name: &str, role: Role, devices: Option<&[&DeviceId]>) -> Phone {
        self.pair_with(name, permissions_of(role), devices)
    }

    pub fn pair_with(
        &mut self,
        name: &str,
        permissions: sealhub::identity::Permissions,
        devices: Option<&[&DeviceId]>,
    ) -> Phone {
        pair_phone(&mut self.home, name, permissions, devices)
    }

    /// A Zigbee device joins and its interview finishes: returns its id and what the hub said.
    pub fn join_zigbee(
        &mut self,
        eui64: u64,
        node_id: u16,
        endpoints: &[(u8, &[u16])],
    ) -> (DeviceId, Vec<Output>) {
        let mut out = self.handle(Input::Zigbee(ZigbeeEvent::DeviceJoined {
            eui64,
            node_id,
            kind: sealhub_radios::zigbee::driver::JoinKind::Fresh,
        }));
        assert!(
            out.contains(&Output::ZigbeeInterview { eui64, node_id }),
            "{out:?}"
        );
        out.extend(self.handle(Input::ZigbeeInterviewed {
            eui64,
            result: Ok(zigbee_description(node_id, endpoints, Some("Lamp"))),
        }));
        (sealhub::model::zigbee_device_id(eui64), out)
    }

    /// A Z-Wave node is included and described.
    pub fn include_zwave(&mut self, node: u16, ccs: &[u8]) -> (DeviceId, Vec<Output>) {
        let mut out = self.handle(Input::Zwave(ZwaveEvent::NodeAdded {
            node,
            info: Default::default(),
            security: None,
        }));
        out.extend(self.handle(Input::ZwaveDescribed(zwave_record(node, ccs))));
        (sealhub::model::zwave_device_id(HOME_ID, node), out)
    }

    /// A Zigbee On/Off report.
    pub fn report_on_off(&mut self, node_id: u16, endpoint: u8, on: bool) -> Vec<Output> {
        self.handle(Input::Zigbee(ZigbeeEvent::AttributeReport {
            node_id,
            endpoint,
            cluster: ON_OFF,
            attributes: vec![(0, Value::Boolean(on.into()))],
        }))
    }

    /// Delivers an envelope from `phone` on its connection.
    pub fn deliver(&mut self, phone: &Phone, bytes: &[u8]) -> Vec<Output> {
        self.handle(Input::Envelope {
            conn: phone.conn,
            bytes: bytes.to_vec(),
        })
    }

    /// `phone` seals `command` for `device` and sends it: returns the envelope and the outputs.
    pub fn send(
        &mut self,
        phone: &mut Phone,
        device: &DeviceId,
        command: Command,
    ) -> (Vec<u8>, Vec<Output>) {
        let bytes = phone.seal(device, &command);
        let out = self.deliver(phone, &bytes);
        (bytes, out)
    }

    /// The kid of a device's current key.
    pub fn kid(&self, device: &DeviceId) -> Option<sealhub::identity::Kid> {
        self.home.device_certificate(device).map(|c| c.kid())
    }
}

static CONN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A client paired on `home` with `permissions`, limited to `devices` when given, that has
/// opened its first key distribution: how every in-process test gets a client.
pub fn paired_client(
    home: &mut Home,
    name: &str,
    permissions: sealhub::identity::Permissions,
    devices: Option<Vec<String>>,
) -> Client {
    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut client = Client::new(id(name), keys, home.root_public());
    let pairing = home
        .pair_client(&id(name), public, permissions, devices)
        .expect("pairs");
    client
        .open(&pairing.key_distribution)
        .expect("first key distribution");
    client
}

/// Pairs a phone with `permissions` on `home`, limited to `devices` when given; it has taken
/// its first key distribution and has a connection of its own.
pub fn pair_phone(
    home: &mut Home,
    name: &str,
    permissions: sealhub::identity::Permissions,
    devices: Option<&[&DeviceId]>,
) -> Phone {
    let devices = devices.map(|l| l.iter().map(|d| d.to_string()).collect());
    Phone {
        id: id(name),
        client: paired_client(home, name, permissions, devices),
        conn: CONN.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    }
}

/// A paired client on its own connection.
pub struct Phone {
    pub id: DeviceId,
    pub client: Client,
    pub conn: u64,
}

/// What a phone got out of a batch of outputs.
#[derive(Debug, Default)]
pub struct Received {
    pub responses: Vec<(Opened, Response)>,
    pub events: Vec<(Opened, Event)>,
    pub key_distributions: usize,
    pub revocation_lists: usize,
    pub challenges: Vec<Opened>,
    pub refused: Vec<envelope::Error>,
    /// The envelopes it was given, in order (responses, events, ...).
    pub envelopes: Vec<Vec<u8>>,
}

impl Phone {
    pub fn seal(&mut self, device: &DeviceId, command: &Command) -> Vec<u8> {
        self.client
            .seal_command(device, command.to_value(), unix_now() + 60, None)
            .expect("seals")
    }

    /// Opens every delivery meant for it (its connection, itself, broadcasts), in order.
    pub fn take(&mut self, outputs: &[Output]) -> Received {
        let mut got = Received::default();
        for o in outputs {
            let bytes = match o {
                Output::Deliver(Delivery::ToConnection { conn, bytes }) if *conn == self.conn => {
                    bytes
                }
                Output::Deliver(Delivery::ToClient { client, bytes }) if *client == self.id => {
                    bytes
                }
                Output::Deliver(Delivery::Broadcast { bytes, .. }) => bytes,
                _ => continue,
            };
            got.envelopes.push(bytes.clone());
            let opened = match self.client.open(bytes) {
                Ok(o) => o,
                Err(sealhub::keymgmt::Error::Envelope(e)) => {
                    got.refused.push(e);
                    continue;
                }
                Err(e) => panic!("unexpected refusal: {e}"),
            };
            match opened.route.msg_type {
                MessageType::Response => {
                    let r = Response::from_value(&opened.body.body).expect("a response body");
                    got.responses.push((opened, r));
                }
                MessageType::Event => {
                    let e = Event::from_value(&opened.body.body).expect("an event body");
                    got.events.push((opened, e));
                }
                MessageType::KeyDistribution => got.key_distributions += 1,
                MessageType::RevocationList => got.revocation_lists += 1,
                MessageType::Challenge => got.challenges.push(opened),
                MessageType::Command => panic!("a phone never gets commands"),
            }
        }
        got
    }

    /// The one response in `outputs` for this phone.
    pub fn response(&mut self, outputs: &[Output]) -> Response {
        let got = self.take(outputs);
        assert_eq!(got.responses.len(), 1, "one response expected: {got:?}");
        got.responses
            .into_iter()
            .next()
            .map(|(_, r)| r)
            .expect("one")
    }
}

/// The radio requests among `outputs`.
pub fn radio_requests(outputs: &[Output]) -> Vec<&Output> {
    outputs
        .iter()
        .filter(|o| !matches!(o, Output::Deliver(_)))
        .collect()
}

/// The ticket of the one device-ops request among `outputs`.
pub fn ops_ticket(outputs: &[Output]) -> Ticket {
    let tickets: Vec<Ticket> = outputs
        .iter()
        .filter_map(|o| match o {
            Output::ZigbeeOps { ticket, .. } | Output::ZwaveOps { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .collect();
    assert_eq!(tickets.len(), 1, "one ops request expected: {outputs:?}");
    tickets[0]
}

/// The ticket of the one hub-level radio request among `outputs`.
pub fn hub_ticket(outputs: &[Output]) -> Ticket {
    let tickets: Vec<Ticket> = outputs
        .iter()
        .filter_map(|o| match o {
            Output::ZigbeePermitJoin { ticket, .. }
            | Output::ZigbeeRemove { ticket, .. }
            | Output::ZwaveInclude { ticket, .. }
            | Output::ZwaveExclude { ticket }
            | Output::ZwaveStop { ticket } => Some(*ticket),
            _ => None,
        })
        .collect();
    assert_eq!(tickets.len(), 1, "one hub request expected: {outputs:?}");
    tickets[0]
}

/// "Every op ran", with a read of On/Off = `on` where the ops read it; a Zigbee command or
/// write confirmed by the device, a Z-Wave command acknowledged only.
pub fn done_reading_on_off(outputs: &[Output], on: bool) -> RadioOutcome {
    let ops: Vec<OpOutput> = outputs
        .iter()
        .find_map(|o| match o {
            Output::ZigbeeOps { ops, .. } => Some(
                ops.iter()
                    .map(|op| match op {
                        ZigbeeOp::Read {
                            endpoint, cluster, ..
                        } => OpOutput::Read {
                            endpoint: *endpoint,
                            cluster: *cluster,
                            attributes: vec![(0, Value::Boolean(on.into()))],
                        },
                        // A Default Response SUCCESS, a Write Attributes Response SUCCESS.
                        ZigbeeOp::Command { .. } | ZigbeeOp::Write { .. } => OpOutput::Confirmed,
                        _ => OpOutput::Done,
                    })
                    .collect(),
            ),
            Output::ZwaveOps { ops, .. } => Some(ops.iter().map(|_| OpOutput::Done).collect()),
            _ => None,
        })
        .expect("an ops request");
    RadioOutcome::Done(ops)
}

pub fn device_command(endpoint: u8, action: Action) -> Command {
    Command::Device { endpoint, action }
}

pub fn hub_command(command: HubCommand) -> Command {
    Command::Hub(command)
}

pub fn roles() -> [Role; 3] {
    [Role::Owner, Role::Member, Role::Guest]
}
