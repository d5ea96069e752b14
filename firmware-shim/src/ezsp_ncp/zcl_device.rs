//! The application side of a simulated device: a generic ZCL server over an attribute table,
//! the foundation commands every Zigbee device answers the same way, attribute reporting on the
//! configured intervals, and the per-device test switches and faults. What differs between
//! device types (which attributes, which cluster commands) lives in one module per type under
//! [`super::devices`], which passes it in as a [`ClusterServer`]: this server knows no device
//! type. ZDO requests a device answers itself (binding, leave, permit joining) are in
//! [`super::device_zdo`]; [`super::devices::answers`] routes a unicast to one or the other.
//!
//! As in [`super::devices`], frames are built and parsed by hand from the ZCL specification
//! (§2.4 frame, §2.5 foundation commands), apart from the host-side codecs.
//!
//! What every device does:
//! - A cluster command on a cluster its endpoint serves goes to its type's module; the answer
//!   is the command's own response (Lock Door Response) or a Default Response, SUCCESS unless
//!   the command failed. A Default Response SUCCESS is left out when the request disabled it
//!   (ZCL §2.5.12.2); one with another status is always sent. A command of a cluster the
//!   endpoint does not serve gets UNSUPPORTED_CLUSTER, an unknown command UNSUP_COMMAND.
//! - Read Attributes answers a record per attribute: the value, or UNSUPPORTED_ATTRIBUTE.
//! - Write Attributes (and Undivided, and No Response) checks type and access per attribute
//!   (INVALID_DATA_TYPE, READ_ONLY, UNSUPPORTED_ATTRIBUTE); the type's module may act on a
//!   write (an IAS zone enrols after the hub writes `IAS_CIE_Address`).
//! - Configure Reporting stores minimum and maximum interval and reportable change per
//!   attribute; maximum interval 0xFFFF stops reporting. Reports then follow ZCL §2.5.7:
//!   after a change (for analog types a change of at least the reportable change) once the
//!   minimum interval has passed since the last report, and every maximum interval (unless 0)
//!   regardless. The clock is the emulator's: [`poll`] is called every tick with the time that
//!   passed, which the pty task measures with tokio's timer.
//! - Reports go only where the device's binding table sends them (Zigbee spec §2.4.3.2.2):
//!   `Bind_req` adds an entry (source endpoint, cluster, destination), `Unbind_req` removes it,
//!   `Mgmt_Bind_req` lists the table. A report is sent once per bound destination that is the
//!   hub (its IEEE address); with no binding to the hub a due report goes nowhere, as on a real
//!   device.
//! - A router (`Mgmt_Permit_Joining_req`) opens itself for joining on its own clock; a device
//!   joining through it is admitted only while that lasts.
//! - Frames the device sends unasked (IAS Zone notifications, a lock's operation events) wait
//!   in [`ZclState::outbox`] until the next [`poll`].
//!
//! Faults ([`DeviceFault`]) act on what the device sends (answers and reports), so the host
//! sees a device whose APS acks arrive but whose answers are lost, late or broken;
//! [`ZclState::silent`] drops the APS acks too.

use std::collections::BTreeMap;
use std::time::Duration;

use sealhub_radios::zigbee::ezsp::types::Eui64;

/// The Home Automation profile.
pub const HA_PROFILE: u16 = 0x0104;

/// One frame a device sends: profile, cluster, source endpoint, destination endpoint, payload.
pub type DeviceAnswer = (u16, u16, u8, u8, Vec<u8>);

/// The On/Off cluster.
pub const ON_OFF_CLUSTER: u16 = 0x0006;
/// The Level Control cluster.
pub const LEVEL_CLUSTER: u16 = 0x0008;

/// ZCL status codes (ZCL §2.6.3).
pub mod zcl_status {
    /// SUCCESS.
    pub const SUCCESS: u8 = 0x00;
    /// FAILURE.
    pub const FAILURE: u8 = 0x01;
    /// MALFORMED_COMMAND.
    pub const MALFORMED_COMMAND: u8 = 0x80;
    /// UNSUP_COMMAND (cluster-specific).
    pub const UNSUP_COMMAND: u8 = 0x81;
    /// UNSUP_GENERAL_COMMAND.
    pub const UNSUP_GENERAL_COMMAND: u8 = 0x82;
    /// INVALID_FIELD.
    pub const INVALID_FIELD: u8 = 0x85;
    /// UNSUPPORTED_ATTRIBUTE.
    pub const UNSUPPORTED_ATTRIBUTE: u8 = 0x86;
    /// INVALID_VALUE.
    pub const INVALID_VALUE: u8 = 0x87;
    /// READ_ONLY.
    pub const READ_ONLY: u8 = 0x88;
    /// INVALID_DATA_TYPE.
    pub const INVALID_DATA_TYPE: u8 = 0x8D;
    /// UNREPORTABLE_ATTRIBUTE.
    pub const UNREPORTABLE_ATTRIBUTE: u8 = 0x8C;
    /// UNSUPPORTED_CLUSTER.
    pub const UNSUPPORTED_CLUSTER: u8 = 0xC3;
}
use zcl_status::*;

/// ZCL data type IDs the simulated devices use (ZCL §2.6.2).
pub mod data_type {
    /// `bool`.
    pub const BOOL: u8 = 0x10;
    /// `map8`.
    pub const BITMAP8: u8 = 0x18;
    /// `map16`.
    pub const BITMAP16: u8 = 0x19;
    /// `uint8`.
    pub const UINT8: u8 = 0x20;
    /// `uint16`.
    pub const UINT16: u8 = 0x21;
    /// `uint24`.
    pub const UINT24: u8 = 0x22;
    /// `uint48`.
    pub const UINT48: u8 = 0x25;
    /// `int16`.
    pub const INT16: u8 = 0x29;
    /// `int24`.
    pub const INT24: u8 = 0x2A;
    /// `enum8`.
    pub const ENUM8: u8 = 0x30;
    /// `enum16`.
    pub const ENUM16: u8 = 0x31;
    /// `EUI64`.
    pub const IEEE_ADDRESS: u8 = 0xF0;
}

/// Width in bytes of the fixed-size types the devices use; `None` for others.
pub fn width(data_type: u8) -> Option<usize> {
    match data_type {
        0x08..=0x0F => Some(usize::from(data_type - 0x08) + 1),
        0x10 | 0x30 => Some(1),
        0x18..=0x1F => Some(usize::from(data_type - 0x18) + 1),
        0x20..=0x27 => Some(usize::from(data_type - 0x20) + 1),
        0x28..=0x2F => Some(usize::from(data_type - 0x28) + 1),
        0x31 => Some(2),
        0xF0 => Some(8),
        _ => None,
    }
}

/// Analog types carry a reportable change; discrete ones report every change.
fn is_analog(data_type: u8) -> bool {
    matches!(data_type, 0x20..=0x2F)
}

/// One attribute of a simulated device's server cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// ZCL type ID (one of [`data_type`]).
    pub data_type: u8,
    /// The value's bits, zero-extended from its width (signed values in two's complement).
    pub raw: u64,
    /// Whether Write Attributes may change it.
    pub writable: bool,
}

impl Attribute {
    /// The value as a number, sign-extended for `int*` types.
    pub fn value(&self) -> i64 {
        let bits = 8 * width(self.data_type).unwrap_or(8);
        if matches!(self.data_type, 0x28..=0x2F) && bits < 64 {
            let shift = 64 - bits;
            ((self.raw << shift) as i64) >> shift
        } else {
            self.raw as i64
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let w = width(self.data_type).unwrap_or(0);
        self.raw.to_le_bytes()[..w].to_vec()
    }
}

/// Masks `value` to the width of `data_type`.
fn to_raw(data_type: u8, value: i64) -> u64 {
    let bits = 8 * width(data_type).unwrap_or(8);
    let raw = value as u64;
    if bits >= 64 {
        raw
    } else {
        raw & ((1u64 << bits) - 1)
    }
}

/// One stored reporting configuration (ZCL §2.5.7.1, direction 0x00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reporting {
    /// Minimum seconds between reports.
    pub min_interval: u16,
    /// Maximum seconds between reports; 0 means no periodic reports.
    pub max_interval: u16,
    /// Change of an analog attribute that triggers a report (0: any change).
    pub reportable_change: u64,
    /// The value last reported (or current when configured).
    pub last_value: i64,
    /// Emulator time of the last report (or of the configuration).
    pub last_report: Duration,
}

/// What can go wrong with the frames one device sends back (its APS acks still arrive; for no
/// acks at all see [`ZclState::silent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceFault {
    /// Its answers and reports are lost on the way: the host hears nothing and times out.
    Drop,
    /// Its answers and reports arrive this many emulator ticks late.
    Delay(u32),
    /// Its answers and reports arrive cut short after the ZCL (or ZDO) header, as a garbled
    /// frame would decode.
    Corrupt,
}

/// The application state of a simulated device and its test switches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ZclState {
    /// Server attributes by (endpoint, cluster, attribute).
    pub attributes: BTreeMap<(u8, u16, u16), Attribute>,
    /// Reporting configurations by (endpoint, cluster, attribute).
    pub reporting: BTreeMap<(u8, u16, u16), Reporting>,
    /// The device went silent: it acknowledges nothing, so every unicast to it ends in
    /// `messageSentHandler` with `ZIGBEE_DELIVERY_FAILED` and nothing answers.
    pub silent: bool,
    /// Every cluster command is answered with a Default Response of this status (not SUCCESS)
    /// and changes nothing.
    pub refuse_commands: Option<u8>,
    /// A fault on what the device sends.
    pub fault: Option<DeviceFault>,
    /// Transaction sequence number of the device's own frames (reports, notifications).
    pub tsn: u8,
    /// Emulator time since the device joined.
    pub clock: Duration,
    /// Frames the device sends unasked at the next [`poll`]: (its endpoint, cluster, ZCL
    /// frame), to the hub's endpoint 1.
    pub outbox: Vec<(u8, u16, Vec<u8>)>,
    /// The device is leaving the network (asked by `Mgmt_Leave_req`, or on its own); the NCP
    /// removes it and reports it gone.
    pub leaving: bool,
    /// The binding table, at most [`BINDING_TABLE_SIZE`] entries, in the order they were added.
    pub bindings: Vec<Binding>,
    /// Test switch: the device keeps no binding table, so `Bind_req` and `Unbind_req` get
    /// NOT_SUPPORTED (as from a device that is not a binding-table holder).
    pub binding_unsupported: bool,
    /// A router's own permit-joining window: emulator time ([`ZclState::clock`]) until which it
    /// lets devices join through it; `None` when closed.
    pub permit_join_until: Option<Duration>,
    /// A door lock's PIN codes by User ID (Set PIN Code / Clear PIN Code), for tests to look
    /// at.
    pub pin_codes: BTreeMap<u16, Vec<u8>>,
    /// The commands and attribute writes the device carried out, oldest first, at most
    /// [`EXECUTED_KEPT`]: the record a test compares with what the host meant to send (a
    /// command carried out twice shows twice). Each is also logged at debug level under the
    /// target [`EXECUTED_LOG_TARGET`], for a test that watches a process it may kill.
    pub executed: Vec<Executed>,
}

/// How many carried-out commands [`ZclState::executed`] keeps.
pub const EXECUTED_KEPT: usize = 256;

/// The log target of the line each carried-out command logs
/// (`emulated Zigbee device carried out a command eui64=… endpoint=… cluster=0x…
/// command=0x… global=… payload=…`, payload in hex).
pub const EXECUTED_LOG_TARGET: &str = "firmware_shim::executed";

/// One command or attribute write a simulated device carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The endpoint it was for.
    pub endpoint: u8,
    /// The cluster.
    pub cluster: u16,
    /// The ZCL command id (a global one such as Write Attributes 0x02 when `global`).
    pub command: u8,
    /// A global (profile-wide) command, else cluster-specific.
    pub global: bool,
    /// The ZCL payload after the header.
    pub payload: Vec<u8>,
}

/// Adds `executed` to the device's record and logs it.
fn record_executed(z: &mut ZclState, eui64: &[u8; 8], executed: Executed) {
    let payload: String = executed
        .payload
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let eui64: String = eui64.iter().rev().map(|b| format!("{b:02x}")).collect();
    tracing::debug!(
        target: EXECUTED_LOG_TARGET,
        eui64 = %eui64,
        endpoint = executed.endpoint,
        cluster = format_args!("{:#06x}", executed.cluster),
        command = format_args!("{:#04x}", executed.command),
        global = executed.global,
        payload = %payload,
        "emulated Zigbee device carried out a command"
    );
    let record = &mut z.executed;
    if record.len() >= EXECUTED_KEPT {
        record.remove(0);
    }
    record.push(executed);
}

/// How many entries a device's binding table holds: small, as on real devices, so that a
/// test can fill it and see TABLE_FULL.
pub const BINDING_TABLE_SIZE: usize = 8;

/// Where one binding sends the cluster's messages (Zigbee spec §2.4.3.2.2 address modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindDestination {
    /// Mode 0x01: a group.
    Group(u16),
    /// Mode 0x03: an endpoint of the device with this IEEE address.
    Endpoint {
        /// Destination IEEE address, EZSP (little-endian) byte order.
        ieee: Eui64,
        /// Destination endpoint.
        endpoint: u8,
    },
}

/// One binding table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The device's endpoint whose cluster is bound.
    pub source_endpoint: u8,
    /// The cluster.
    pub cluster: u16,
    /// Where its reports and commands go.
    pub destination: BindDestination,
}

impl ZclState {
    /// Whether a router's permit-joining window is open now.
    pub fn permits_joining(&self) -> bool {
        self.permit_join_until
            .is_some_and(|until| self.clock < until)
    }

    /// Opens (or, with 0, closes) the router's permit-joining window for `seconds`; 0xFF means
    /// 254 since R21 (Zigbee spec §2.4.3.3.7).
    pub fn permit_joining(&mut self, seconds: u8) {
        self.permit_join_until =
            (seconds != 0).then(|| self.clock + Duration::from_secs(u64::from(seconds.min(0xFE))));
    }

    /// Whether the binding table sends `cluster` of `endpoint` to the hub's `endpoint`s:
    /// the hub endpoints bound.
    fn bound_hub_endpoints(&self, endpoint: u8, cluster: u16, hub: &Eui64) -> Vec<u8> {
        self.bindings
            .iter()
            .filter(|b| b.source_endpoint == endpoint && b.cluster == cluster)
            .filter_map(|b| match b.destination {
                BindDestination::Endpoint { ieee, endpoint } if ieee == *hub => Some(endpoint),
                _ => None,
            })
            .collect()
    }
}

impl ZclState {
    /// Declares an attribute with its initial value.
    pub fn define(
        &mut self,
        endpoint: u8,
        cluster: u16,
        id: u16,
        data_type: u8,
        value: i64,
        writable: bool,
    ) {
        self.attributes.insert(
            (endpoint, cluster, id),
            Attribute {
                data_type,
                raw: to_raw(data_type, value),
                writable,
            },
        );
    }

    /// An attribute's value, if the device has it.
    pub fn get(&self, endpoint: u8, cluster: u16, id: u16) -> Option<i64> {
        self.attributes
            .get(&(endpoint, cluster, id))
            .map(Attribute::value)
    }

    /// Changes an attribute as the device's own sensor or hardware would (a test's hand on a
    /// thermometer); reports follow by the configured rules. Returns false if there is no such
    /// attribute.
    pub fn set(&mut self, endpoint: u8, cluster: u16, id: u16, value: i64) -> bool {
        match self.attributes.get_mut(&(endpoint, cluster, id)) {
            Some(a) => {
                a.raw = to_raw(a.data_type, value);
                true
            }
            None => false,
        }
    }

    /// On/Off `OnOff` of endpoint 1.
    pub fn on(&self) -> bool {
        self.get(1, ON_OFF_CLUSTER, 0x0000).unwrap_or(0) != 0
    }

    /// Level Control `CurrentLevel` of endpoint 1.
    pub fn level(&self) -> u8 {
        u8::try_from(self.get(1, LEVEL_CLUSTER, 0x0000).unwrap_or(0)).unwrap_or(0)
    }

    /// The next transaction sequence number of the device's own frames.
    pub fn next_tsn(&mut self) -> u8 {
        self.tsn = self.tsn.wrapping_add(1);
        self.tsn
    }

    /// Queues a cluster-specific command from the server side of `cluster` on `endpoint`
    /// (default response disabled), sent at the next [`poll`].
    pub fn send_command(&mut self, endpoint: u8, cluster: u16, command: u8, payload: &[u8]) {
        let tsn = self.next_tsn();
        let mut frame = vec![0x19, tsn, command];
        frame.extend_from_slice(payload);
        self.outbox.push((endpoint, cluster, frame));
    }

    /// Extra ticks before the device's frames arrive (from [`DeviceFault::Delay`]).
    pub fn answer_delay(&self) -> u32 {
        match self.fault {
            Some(DeviceFault::Delay(ticks)) => ticks,
            _ => 0,
        }
    }

    /// Applies [`ZclState::fault`] to what the device sends.
    pub fn faulted(&self, answers: Vec<DeviceAnswer>) -> Vec<DeviceAnswer> {
        match self.fault {
            Some(DeviceFault::Drop) => Vec::new(),
            Some(DeviceFault::Corrupt) => answers
                .into_iter()
                .map(|(profile, cluster, src, dst, mut payload)| {
                    // ZDO: keep the TSN; ZCL: keep frame control, TSN and command ID.
                    payload.truncate(if profile == 0 { 1 } else { 3 });
                    (profile, cluster, src, dst, payload)
                })
                .collect(),
            _ => answers,
        }
    }
}

/// How a device type's module handled a cluster command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Done, or refused, with this status (answered by a Default Response).
    Status(u8),
    /// The command's own response: command ID and payload, server to client.
    Response(u8, Vec<u8>),
}

/// Who the command is for and who sent it, for the device types' [`ClusterServer`]s.
#[derive(Debug, Clone, Copy)]
pub struct CommandContext {
    /// The device's endpoint.
    pub endpoint: u8,
    /// The cluster.
    pub cluster: u16,
    /// The command ID.
    pub command: u8,
    /// The device's manufacturer code (for IAS Zone Enroll Request).
    pub manufacturer_code: u16,
}

/// What a device type adds to the generic server: its cluster commands, and what a write of
/// one of its attributes sets off. The generic server knows no device type; each type passes
/// its behaviour in through this (`devices::DeviceKind` implements it).
pub trait ClusterServer {
    /// Carries out a cluster-specific command (client to server) on a cluster the endpoint
    /// serves.
    fn command(&self, z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled;

    /// Acts on a successful Write Attributes of attribute `id` (nothing by default).
    fn after_write(&self, _z: &mut ZclState, _context: &CommandContext, _id: u16) {}
}

/// A Home Automation frame for one of a device's endpoints, as the generic server needs it.
#[derive(Debug, Clone, Copy)]
pub struct ZclRequest<'a> {
    /// The application profile (Home Automation).
    pub profile: u16,
    /// The cluster.
    pub cluster: u16,
    /// The sender's endpoint.
    pub src_ep: u8,
    /// The device's endpoint.
    pub dst_ep: u8,
    /// Whether that endpoint serves the cluster (server side).
    pub served: bool,
    /// The device's manufacturer code (for IAS Zone Enroll Request).
    pub manufacturer_code: u16,
    /// The device's IEEE address (little-endian, as on the air), for the record of what it
    /// carried out.
    pub eui64: [u8; 8],
    /// The ZCL frame.
    pub message: &'a [u8],
}

/// What a device answers to a ZCL frame on one of its endpoints, before faults: foundation
/// commands here, cluster commands by `server`. Its state changes as the frame says.
pub fn serve(
    z: &mut ZclState,
    server: &dyn ClusterServer,
    request: ZclRequest<'_>,
) -> Vec<DeviceAnswer> {
    let ZclRequest {
        profile,
        cluster,
        src_ep,
        dst_ep,
        served,
        manufacturer_code,
        eui64,
        message,
    } = request;
    let Some((fc, tsn, command, payload)) = split(message) else {
        return Vec::new();
    };
    let reply = |payload: Vec<u8>| vec![(profile, cluster, dst_ep, src_ep, payload)];
    let default_response = |status: u8| vec![0x18, tsn, 0x0B, command, status];
    if !served {
        return reply(default_response(UNSUPPORTED_CLUSTER));
    }
    let wants_default = fc & 0x10 == 0;
    let context = CommandContext {
        endpoint: dst_ep,
        cluster,
        command,
        manufacturer_code,
    };
    let executed = |global: bool| Executed {
        endpoint: dst_ep,
        cluster,
        command,
        global,
        payload: payload.to_vec(),
    };
    if fc & 0x01 == 0 && matches!(command, 0x02 | 0x03 | 0x05) {
        record_executed(z, &eui64, executed(true));
    } else if fc & 0x01 != 0 && z.refuse_commands.is_none() {
        record_executed(z, &eui64, executed(false));
    }
    if fc & 0x01 == 0 {
        return match command {
            0x00 => reply(read_attributes(z, dst_ep, cluster, tsn, payload)),
            0x02 | 0x03 | 0x05 => {
                let response = write_attributes(z, server, &context, tsn, payload);
                if command == 0x05 {
                    Vec::new()
                } else {
                    reply(response)
                }
            }
            0x06 => reply(configure_reporting(z, dst_ep, cluster, tsn, payload)),
            // A Default Response from the hub needs no answer.
            0x0B => Vec::new(),
            _ => reply(default_response(UNSUP_GENERAL_COMMAND)),
        };
    }
    if let Some(status) = z.refuse_commands {
        return reply(default_response(status));
    }
    match server.command(z, &context, payload) {
        Handled::Status(status) if wants_default || status != SUCCESS => {
            reply(default_response(status))
        }
        Handled::Status(_) => Vec::new(),
        Handled::Response(id, body) => {
            let mut frame = vec![0x19, tsn, id];
            frame.extend(body);
            reply(frame)
        }
    }
}

/// One tick of emulator time (`elapsed`) passes for a device (its state `z`): what it sends on
/// its own now — its outbox, then the reports that are due to every binding that points at the
/// hub (IEEE address `hub`).
pub fn poll(z: &mut ZclState, elapsed: Duration, hub: &Eui64) -> Vec<DeviceAnswer> {
    z.clock += elapsed;
    let mut out: Vec<DeviceAnswer> = core::mem::take(&mut z.outbox)
        .into_iter()
        .map(|(ep, cluster, frame)| (HA_PROFILE, cluster, ep, 1, frame))
        .collect();
    // Due reports, grouped per (endpoint, cluster) into one frame for each bound destination.
    let mut due: BTreeMap<(u8, u16), Vec<(u16, Attribute)>> = BTreeMap::new();
    let now = z.clock;
    for (&(ep, cluster, id), r) in z.reporting.iter_mut() {
        let Some(attribute) = z.attributes.get(&(ep, cluster, id)) else {
            continue;
        };
        let value = attribute.value();
        let since = now.saturating_sub(r.last_report);
        let changed = if is_analog(attribute.data_type) {
            value != r.last_value && value.abs_diff(r.last_value) >= r.reportable_change
        } else {
            value != r.last_value
        };
        let on_change = changed && since >= Duration::from_secs(u64::from(r.min_interval));
        let periodic =
            r.max_interval != 0 && since >= Duration::from_secs(u64::from(r.max_interval));
        if on_change || periodic {
            r.last_value = value;
            r.last_report = now;
            due.entry((ep, cluster)).or_default().push((id, *attribute));
        }
    }
    for ((ep, cluster), attributes) in due {
        for host_ep in z.bound_hub_endpoints(ep, cluster, hub) {
            let tsn = z.next_tsn();
            // Global, server to client, default response disabled; Report Attributes.
            let mut frame = vec![0x18, tsn, 0x0A];
            for (id, a) in &attributes {
                frame.extend(id.to_le_bytes());
                frame.push(a.data_type);
                frame.extend(a.bytes());
            }
            out.push((HA_PROFILE, cluster, ep, host_ep, frame));
        }
    }
    z.faulted(out)
}

/// Frame control, TSN, command ID and payload of a frame without manufacturer code, sent
/// client to server.
fn split(message: &[u8]) -> Option<(u8, u8, u8, &[u8])> {
    let [fc, tsn, command, payload @ ..] = message else {
        return None;
    };
    (fc & 0x04 == 0 && fc & 0x08 == 0 && fc & 0x03 < 2).then_some((*fc, *tsn, *command, payload))
}

/// Read Attributes Response: a record per attribute asked for.
fn read_attributes(z: &ZclState, ep: u8, cluster: u16, tsn: u8, payload: &[u8]) -> Vec<u8> {
    if payload.len() % 2 != 0 {
        return vec![0x18, tsn, 0x0B, 0x00, MALFORMED_COMMAND];
    }
    let mut out = vec![0x18, tsn, 0x01];
    for id in payload.chunks_exact(2) {
        let id = u16::from_le_bytes([id[0], id[1]]);
        out.extend(id.to_le_bytes());
        match z.attributes.get(&(ep, cluster, id)) {
            Some(a) => {
                out.extend([SUCCESS, a.data_type]);
                out.extend(a.bytes());
            }
            None => out.push(UNSUPPORTED_ATTRIBUTE),
        }
    }
    out
}

/// Write Attributes Response: SUCCESS alone, or a record per failed attribute. Undivided (0x03)
/// writes nothing if any record fails.
fn write_attributes(
    z: &mut ZclState,
    server: &dyn ClusterServer,
    context: &CommandContext,
    tsn: u8,
    mut payload: &[u8],
) -> Vec<u8> {
    let (ep, cluster) = (context.endpoint, context.cluster);
    let mut failures = Vec::new();
    let mut writes = Vec::new();
    while !payload.is_empty() {
        let [id_lo, id_hi, data_type, rest @ ..] = payload else {
            return vec![0x18, tsn, 0x0B, context.command, MALFORMED_COMMAND];
        };
        let Some(w) = width(*data_type) else {
            // A type this device has no attribute of; its length is unknown, so stop here.
            failures.extend([INVALID_DATA_TYPE, *id_lo, *id_hi]);
            break;
        };
        let Some((value, rest)) = rest.split_at_checked(w) else {
            return vec![0x18, tsn, 0x0B, context.command, MALFORMED_COMMAND];
        };
        payload = rest;
        let id = u16::from_le_bytes([*id_lo, *id_hi]);
        let mut raw = [0u8; 8];
        raw[..w].copy_from_slice(value);
        let status = match z.attributes.get(&(ep, cluster, id)) {
            None => UNSUPPORTED_ATTRIBUTE,
            Some(a) if a.data_type != *data_type => INVALID_DATA_TYPE,
            Some(a) if !a.writable => READ_ONLY,
            Some(_) => SUCCESS,
        };
        if status == SUCCESS {
            writes.push((id, u64::from_le_bytes(raw)));
        } else {
            failures.extend([status, *id_lo, *id_hi]);
        }
    }
    if context.command != 0x03 || failures.is_empty() {
        for (id, raw) in writes {
            if let Some(a) = z.attributes.get_mut(&(ep, cluster, id)) {
                a.raw = raw;
            }
            server.after_write(z, context, id);
        }
    }
    let mut out = vec![0x18, tsn, 0x04];
    if failures.is_empty() {
        out.push(SUCCESS);
    } else {
        out.extend(failures);
    }
    out
}

/// Configure Reporting Response: stores each send-direction record of an attribute the device
/// has.
fn configure_reporting(
    z: &mut ZclState,
    ep: u8,
    cluster: u16,
    tsn: u8,
    mut payload: &[u8],
) -> Vec<u8> {
    let malformed = vec![0x18, tsn, 0x0B, 0x06, MALFORMED_COMMAND];
    let mut failures = Vec::new();
    while !payload.is_empty() {
        let [direction, id_lo, id_hi, rest @ ..] = payload else {
            return malformed;
        };
        let id = u16::from_le_bytes([*id_lo, *id_hi]);
        if *direction == 0x01 {
            // Timeout period for reports the device would receive: nothing to store.
            let Some((_, rest)) = rest.split_at_checked(2) else {
                return malformed;
            };
            payload = rest;
            continue;
        }
        let [data_type, min_lo, min_hi, max_lo, max_hi, rest @ ..] = rest else {
            return malformed;
        };
        let change_len = if is_analog(*data_type) {
            width(*data_type).unwrap_or(0)
        } else {
            0
        };
        let Some((change, rest)) = rest.split_at_checked(change_len) else {
            return malformed;
        };
        payload = rest;
        let status = match z.attributes.get(&(ep, cluster, id)) {
            None => UNSUPPORTED_ATTRIBUTE,
            Some(a) if a.data_type != *data_type => INVALID_DATA_TYPE,
            Some(_) => SUCCESS,
        };
        if status != SUCCESS {
            failures.extend([status, 0x00, *id_lo, *id_hi]);
            continue;
        }
        let max_interval = u16::from_le_bytes([*max_lo, *max_hi]);
        if max_interval == 0xFFFF {
            z.reporting.remove(&(ep, cluster, id));
            continue;
        }
        let mut raw = [0u8; 8];
        raw[..change.len()].copy_from_slice(change);
        let last_value = z.get(ep, cluster, id).unwrap_or(0);
        z.reporting.insert(
            (ep, cluster, id),
            Reporting {
                min_interval: u16::from_le_bytes([*min_lo, *min_hi]),
                max_interval,
                reportable_change: u64::from_le_bytes(raw),
                last_value,
                last_report: z.clock,
            },
        );
    }
    let mut out = vec![0x18, tsn, 0x07];
    if failures.is_empty() {
        out.push(SUCCESS);
    } else {
        out.extend(failures);
    }
    out
}
