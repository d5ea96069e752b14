//! The application side of a simulated device: a generic ZCL server over an attribute table,
//! the foundation commands every Zigbee device answers the same way, attribute reporting on the
//! configured intervals, and the per-device test switches and faults. What differs between
//! device types (which attributes, which cluster commands) lives in one module per type under
//! [`super::devices`], reached through [`DeviceKind`].
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

use super::devices::{self, DeviceAnswer, DeviceKind, HA_PROFILE, SimulatedDevice};

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
fn record_executed(device: &mut SimulatedDevice, executed: Executed) {
    let payload: String = executed
        .payload
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let eui64: String = device
        .eui64
        .iter()
        .rev()
        .map(|b| format!("{b:02x}"))
        .collect();
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
    let record = &mut device.zcl.executed;
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
    fn faulted(&self, answers: Vec<DeviceAnswer>) -> Vec<DeviceAnswer> {
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

/// Who the command is for and who sent it, for the type modules.
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

/// What `device` answers to a unicast, in order; its state changes as the message says. ZDO
/// and the Basic cluster are answered by [`devices::answer`] (and `Mgmt_Leave_req` here); every
/// other cluster by the generic server and the device type's module.
pub fn answers(
    device: &mut SimulatedDevice,
    profile: u16,
    cluster: u16,
    src_ep: u8,
    dst_ep: u8,
    message: &[u8],
) -> Vec<DeviceAnswer> {
    let out = answers_unfaulted(device, profile, cluster, src_ep, dst_ep, message);
    device.zcl.faulted(out)
}

fn answers_unfaulted(
    device: &mut SimulatedDevice,
    profile: u16,
    cluster: u16,
    src_ep: u8,
    dst_ep: u8,
    message: &[u8],
) -> Vec<DeviceAnswer> {
    if profile == 0x0000 {
        let answer = match cluster {
            MGMT_LEAVE_REQ => Some(mgmt_leave(device, message)),
            BIND_REQ | UNBIND_REQ => Some(bind(device, cluster, message)),
            MGMT_BIND_REQ => Some(mgmt_bind(device, message)),
            MGMT_PERMIT_JOINING_REQ => Some(mgmt_permit_joining(device, message)),
            _ => None,
        };
        if let Some(answer) = answer {
            return answer.into_iter().collect();
        }
    }
    if profile != HA_PROFILE || cluster == devices::BASIC_CLUSTER {
        return devices::answer(device, profile, cluster, src_ep, dst_ep, message)
            .into_iter()
            .collect();
    }
    let Some(ep) = device.endpoints.iter().find(|e| e.endpoint == dst_ep) else {
        return Vec::new();
    };
    let served = ep.in_clusters.contains(&cluster);
    let Some((fc, tsn, command, payload)) = split(message) else {
        return Vec::new();
    };
    let reply = |payload: Vec<u8>| vec![(profile, cluster, dst_ep, src_ep, payload)];
    let default_response = |status: u8| vec![0x18, tsn, 0x0B, command, status];
    if !served {
        return reply(default_response(UNSUPPORTED_CLUSTER));
    }
    let wants_default = fc & 0x10 == 0;
    let executed = |global: bool| Executed {
        endpoint: dst_ep,
        cluster,
        command,
        global,
        payload: payload.to_vec(),
    };
    if fc & 0x01 == 0 && matches!(command, 0x02 | 0x03 | 0x05) {
        record_executed(device, executed(true));
    } else if fc & 0x01 != 0 && device.zcl.refuse_commands.is_none() {
        record_executed(device, executed(false));
    }
    let z = &mut device.zcl;
    if fc & 0x01 == 0 {
        return match command {
            0x00 => reply(read_attributes(z, dst_ep, cluster, tsn, payload)),
            0x02 | 0x03 | 0x05 => {
                let context = CommandContext {
                    endpoint: dst_ep,
                    cluster,
                    command,
                    manufacturer_code: device.manufacturer_code,
                };
                let response = write_attributes(z, device.kind, &context, tsn, payload);
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
    let context = CommandContext {
        endpoint: dst_ep,
        cluster,
        command,
        manufacturer_code: device.manufacturer_code,
    };
    match device.kind.command(z, &context, payload) {
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

/// ZDO `Mgmt_Leave_req`.
const MGMT_LEAVE_REQ: u16 = 0x0034;

/// `Mgmt_Leave_req` (Zigbee spec §2.4.3.3.5): tsn, IEEE address (the device's own, or all
/// zeros for "you"), flags. The device answers `Mgmt_Leave_rsp` SUCCESS and leaves; for
/// another device's address it answers NOT_SUPPORTED and stays (it has no children).
fn mgmt_leave(device: &mut SimulatedDevice, request: &[u8]) -> Option<DeviceAnswer> {
    let (&tsn, args) = request.split_first()?;
    let status = match args.first_chunk::<8>() {
        Some(ieee) if *ieee == device.eui64 || *ieee == [0; 8] => {
            device.zcl.leaving = true;
            0x00
        }
        Some(_) => 0x84,
        None => return None,
    };
    Some((0x0000, MGMT_LEAVE_REQ | 0x8000, 0, 0, vec![tsn, status]))
}

/// ZDO `Bind_req`.
pub const BIND_REQ: u16 = 0x0021;
/// ZDO `Unbind_req`.
pub const UNBIND_REQ: u16 = 0x0022;
/// ZDO `Mgmt_Bind_req`.
pub const MGMT_BIND_REQ: u16 = 0x0033;
/// ZDO `Mgmt_Permit_Joining_req`.
pub const MGMT_PERMIT_JOINING_REQ: u16 = 0x0036;

/// ZDO statuses the binding table answers with (Zigbee spec Table 2.137).
mod zdo_status {
    pub const SUCCESS: u8 = 0x00;
    pub const INV_REQUESTTYPE: u8 = 0x80;
    pub const INVALID_EP: u8 = 0x82;
    pub const NOT_SUPPORTED: u8 = 0x84;
    pub const NO_ENTRY: u8 = 0x88;
    pub const TABLE_FULL: u8 = 0x8C;
}

/// `Bind_req` / `Unbind_req` (Zigbee spec §2.4.3.2.2-3): tsn, source IEEE address, source
/// endpoint, cluster, address mode, then a group (mode 0x01) or an IEEE address and endpoint
/// (mode 0x03). The device holds only its own bindings: another source address is
/// NOT_SUPPORTED, an endpoint it lacks INVALID_EP; binding twice is SUCCESS and changes
/// nothing; a full table is TABLE_FULL, unbinding what is not there NO_ENTRY.
fn bind(device: &mut SimulatedDevice, cluster: u16, request: &[u8]) -> Option<DeviceAnswer> {
    use zdo_status::*;
    let (&tsn, args) = request.split_first()?;
    let respond = |status: u8| Some((0x0000, cluster | 0x8000, 0, 0, vec![tsn, status]));
    let parsed = match args {
        [ieee @ .., ep, c0, c1, 0x01, g0, g1] if ieee.len() == 8 => Some((
            ieee,
            *ep,
            u16::from_le_bytes([*c0, *c1]),
            BindDestination::Group(u16::from_le_bytes([*g0, *g1])),
        )),
        [head @ .., 0x03, d0, d1, d2, d3, d4, d5, d6, d7, dst_ep] if head.len() == 11 => Some((
            &head[..8],
            head[8],
            u16::from_le_bytes([head[9], head[10]]),
            BindDestination::Endpoint {
                ieee: [*d0, *d1, *d2, *d3, *d4, *d5, *d6, *d7],
                endpoint: *dst_ep,
            },
        )),
        _ => None,
    };
    let Some((source_ieee, source_endpoint, bound_cluster, destination)) = parsed else {
        return respond(INV_REQUESTTYPE);
    };
    let z = &mut device.zcl;
    if z.binding_unsupported || source_ieee != device.eui64 {
        return respond(NOT_SUPPORTED);
    }
    if !device
        .endpoints
        .iter()
        .any(|e| e.endpoint == source_endpoint)
    {
        return respond(INVALID_EP);
    }
    let entry = Binding {
        source_endpoint,
        cluster: bound_cluster,
        destination,
    };
    let existing = z.bindings.iter().position(|b| *b == entry);
    let status = match (cluster, existing) {
        (BIND_REQ, Some(_)) => SUCCESS,
        (BIND_REQ, None) if z.bindings.len() >= BINDING_TABLE_SIZE => TABLE_FULL,
        (BIND_REQ, None) => {
            z.bindings.push(entry);
            SUCCESS
        }
        (_, Some(i)) => {
            z.bindings.remove(i);
            SUCCESS
        }
        (_, None) => NO_ENTRY,
    };
    respond(status)
}

/// `Mgmt_Bind_req` (Zigbee spec §2.4.3.3.4): tsn, start index. The answer lists the binding
/// table from there, three entries a frame.
fn mgmt_bind(device: &SimulatedDevice, request: &[u8]) -> Option<DeviceAnswer> {
    let [tsn, start] = request else {
        return None;
    };
    let z = &device.zcl;
    let mut out = vec![*tsn];
    if z.binding_unsupported {
        out.push(zdo_status::NOT_SUPPORTED);
    } else {
        let page: Vec<&Binding> = z
            .bindings
            .iter()
            .skip(usize::from(*start))
            .take(3)
            .collect();
        out.push(zdo_status::SUCCESS);
        out.push(u8::try_from(z.bindings.len()).unwrap_or(u8::MAX));
        out.push(*start);
        out.push(u8::try_from(page.len()).unwrap_or(u8::MAX));
        for b in page {
            out.extend(device.eui64);
            out.push(b.source_endpoint);
            out.extend(b.cluster.to_le_bytes());
            match b.destination {
                BindDestination::Group(g) => {
                    out.push(0x01);
                    out.extend(g.to_le_bytes());
                }
                BindDestination::Endpoint { ieee, endpoint } => {
                    out.push(0x03);
                    out.extend(ieee);
                    out.push(endpoint);
                }
            }
        }
    }
    Some((0x0000, MGMT_BIND_REQ | 0x8000, 0, 0, out))
}

/// `Mgmt_Permit_Joining_req` sent to this device alone (Zigbee spec §2.4.3.3.7): tsn,
/// duration, trust-centre significance. A router opens (or closes) itself for joining and
/// answers SUCCESS; an end device, which has no children, answers NOT_SUPPORTED. (A
/// broadcast one gets no answer: see [`permit_joining_broadcast`].)
fn mgmt_permit_joining(device: &mut SimulatedDevice, request: &[u8]) -> Option<DeviceAnswer> {
    let [tsn, duration, _tc_significance] = request else {
        return None;
    };
    let status = if device.node_type == 2 {
        device.zcl.permit_joining(*duration);
        zdo_status::SUCCESS
    } else {
        zdo_status::NOT_SUPPORTED
    };
    Some((
        0x0000,
        MGMT_PERMIT_JOINING_REQ | 0x8000,
        0,
        0,
        vec![*tsn, status],
    ))
}

/// A broadcast `Mgmt_Permit_Joining_req` reaches `device`: a router opens (or closes) itself
/// and answers nothing, as the specification has it for broadcasts.
pub fn permit_joining_broadcast(device: &mut SimulatedDevice, request: &[u8]) {
    if let ([_tsn, duration, _tc], 2) = (request, device.node_type) {
        device.zcl.permit_joining(*duration);
    }
}

/// One tick of emulator time (`elapsed`) passes for `device`: what it sends on its own now —
/// its outbox, then the reports that are due to every binding that points at the hub (IEEE
/// address `hub`).
pub fn poll(device: &mut SimulatedDevice, elapsed: Duration, hub: &Eui64) -> Vec<DeviceAnswer> {
    let z = &mut device.zcl;
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
    kind: DeviceKind,
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
            kind.after_write(z, context, id);
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

#[cfg(test)]
mod tests {
    use super::data_type::*;
    use super::*;

    fn light() -> SimulatedDevice {
        let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
        for cluster in [ON_OFF_CLUSTER, LEVEL_CLUSTER] {
            let a = answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, cluster, HUB, 1));
            assert_eq!(a, vec![(0, 0x8021, 0, 0, vec![1, 0x00])]);
        }
        d
    }

    /// The hub's IEEE address.
    const HUB: Eui64 = [0x88; 8];

    /// A Bind_req (tsn 1) of the light's `cluster` on `ep` to `ieee`'s endpoint `dst_ep`.
    fn bind_req(ep: u8, cluster: u16, ieee: Eui64, dst_ep: u8) -> Vec<u8> {
        let mut r = vec![1];
        r.extend([1; 8]);
        r.push(ep);
        r.extend(cluster.to_le_bytes());
        r.push(0x03);
        r.extend(ieee);
        r.push(dst_ep);
        r
    }

    #[test]
    fn the_record_holds_each_command_and_write_carried_out_and_no_read() {
        let mut d = light();
        // On (cluster-specific 0x01), a Read Attributes, a Write Attributes of OnTime (0x4001).
        answers(&mut d, HA_PROFILE, ON_OFF_CLUSTER, 1, 1, &[0x01, 7, 0x01]);
        answers(
            &mut d,
            HA_PROFILE,
            ON_OFF_CLUSTER,
            1,
            1,
            &[0x00, 8, 0x00, 0x00, 0x00],
        );
        let write = [0x00, 9, 0x02, 0x01, 0x40, 0x21, 0x05, 0x00];
        answers(&mut d, HA_PROFILE, ON_OFF_CLUSTER, 1, 1, &write);
        // A device refusing commands carries nothing out.
        d.zcl.refuse_commands = Some(0x01);
        answers(&mut d, HA_PROFILE, ON_OFF_CLUSTER, 1, 1, &[0x01, 10, 0x00]);
        assert_eq!(
            d.zcl.executed,
            vec![
                Executed {
                    endpoint: 1,
                    cluster: ON_OFF_CLUSTER,
                    command: 0x01,
                    global: false,
                    payload: vec![],
                },
                Executed {
                    endpoint: 1,
                    cluster: ON_OFF_CLUSTER,
                    command: 0x02,
                    global: true,
                    payload: write[3..].to_vec(),
                },
            ]
        );
        assert!(d.zcl.on(), "the On it recorded was carried out");
    }

    #[test]
    fn reports_go_only_to_bound_destinations_until_unbound() {
        let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
        // OnOff: min 0, max 1 s.
        let configure = [
            0x00, 6, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00,
        ];
        answers(&mut d, HA_PROFILE, 6, 1, 1, &configure);
        assert!(
            poll(&mut d, Duration::from_secs(2), &HUB).is_empty(),
            "no binding, no report"
        );
        // Bound elsewhere (another device, a group): still nothing reaches the hub.
        answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, 6, [0x77; 8], 1));
        let group: Vec<u8> = [&bind_req(1, 6, HUB, 1)[..12], &[0x01, 0x34, 0x12]].concat();
        assert_eq!(
            answers(&mut d, 0, BIND_REQ, 0, 0, &group),
            vec![(0, 0x8021, 0, 0, vec![1, 0x00])]
        );
        assert!(poll(&mut d, Duration::from_secs(2), &HUB).is_empty());
        // Bound to two hub endpoints: one report each.
        answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, 6, HUB, 1));
        answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, 6, HUB, 2));
        let sent = poll(&mut d, Duration::from_secs(2), &HUB);
        let to: Vec<u8> = sent.iter().map(|a| a.3).collect();
        assert_eq!(to, vec![1, 2]);
        // Mgmt_Bind_req lists the four entries, three a page.
        let a = answers(&mut d, 0, MGMT_BIND_REQ, 0, 0, &[9, 0]);
        assert_eq!(a[0].4[..5], [9, 0x00, 4, 0, 3]);
        let a = answers(&mut d, 0, MGMT_BIND_REQ, 0, 0, &[9, 3]);
        assert_eq!(a[0].4[..5], [9, 0x00, 4, 3, 1]);
        // Unbind both hub entries: reports stop; unbinding again is NO_ENTRY.
        for ep in [1, 2] {
            let a = answers(&mut d, 0, UNBIND_REQ, 0, 0, &bind_req(1, 6, HUB, ep));
            assert_eq!(a, vec![(0, 0x8022, 0, 0, vec![1, 0x00])]);
        }
        assert!(poll(&mut d, Duration::from_secs(2), &HUB).is_empty());
        let a = answers(&mut d, 0, UNBIND_REQ, 0, 0, &bind_req(1, 6, HUB, 1));
        assert_eq!(a[0].4, vec![1, 0x88]);
    }

    #[test]
    fn bind_refusals() {
        let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
        let status =
            |d: &mut SimulatedDevice, req: &[u8]| answers(d, 0, BIND_REQ, 0, 0, req)[0].4[1];
        // Another device's source address, an endpoint it lacks, a malformed request.
        let mut foreign = bind_req(1, 6, HUB, 1);
        foreign[1] = 0x55;
        assert_eq!(status(&mut d, &foreign), 0x84);
        assert_eq!(status(&mut d, &bind_req(9, 6, HUB, 1)), 0x82);
        assert_eq!(status(&mut d, &bind_req(1, 6, HUB, 1)[..15]), 0x80);
        // The table holds BINDING_TABLE_SIZE entries; binding again what is there is fine.
        for cluster in 0..BINDING_TABLE_SIZE as u16 {
            assert_eq!(status(&mut d, &bind_req(1, cluster, HUB, 1)), 0x00);
        }
        assert_eq!(status(&mut d, &bind_req(1, 0, HUB, 1)), 0x00);
        assert_eq!(status(&mut d, &bind_req(1, 0x0300, HUB, 1)), 0x8C);
        // A device without a binding table.
        d.zcl.binding_unsupported = true;
        assert_eq!(status(&mut d, &bind_req(1, 0, HUB, 1)), 0x84);
    }

    #[test]
    fn a_router_opens_itself_for_joining_an_end_device_cannot() {
        let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
        let a = answers(&mut d, 0, MGMT_PERMIT_JOINING_REQ, 0, 0, &[4, 60, 1]);
        assert_eq!(a, vec![(0, 0x8036, 0, 0, vec![4, 0x00])]);
        assert!(d.zcl.permits_joining());
        poll(&mut d, Duration::from_secs(59), &HUB);
        assert!(d.zcl.permits_joining());
        poll(&mut d, Duration::from_secs(1), &HUB);
        assert!(!d.zcl.permits_joining(), "the window runs out");
        permit_joining_broadcast(&mut d, &[5, 30, 1]);
        assert!(d.zcl.permits_joining());
        answers(&mut d, 0, MGMT_PERMIT_JOINING_REQ, 0, 0, &[6, 0, 1]);
        assert!(!d.zcl.permits_joining(), "closed");
        let mut sensor = SimulatedDevice::climate_sensor([2; 8], 0x2222, None);
        let a = answers(&mut sensor, 0, MGMT_PERMIT_JOINING_REQ, 0, 0, &[7, 60, 1]);
        assert_eq!(a[0].4, vec![7, 0x84]);
        permit_joining_broadcast(&mut sensor, &[8, 60, 1]);
        assert!(!sensor.zcl.permits_joining());
    }

    const TICK: Duration = Duration::from_millis(100);

    #[test]
    fn toggle_answers_and_reports_once_configured() {
        let mut d = light();
        let toggle = [0x01, 5, 0x02];
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &toggle);
        assert_eq!(
            a,
            vec![(HA_PROFILE, 6, 1, 1, vec![0x18, 5, 0x0B, 0x02, 0x00])]
        );
        assert!(d.zcl.on());
        // Configure OnOff reporting, min 0, max 300.
        let configure = [
            0x00, 6, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x2C, 0x01,
        ];
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &configure);
        assert_eq!(a, vec![(HA_PROFILE, 6, 1, 1, vec![0x18, 6, 0x07, 0x00])]);
        assert!(poll(&mut d, TICK, &HUB).is_empty(), "nothing changed yet");
        // Toggle with the default response disabled: no answer, then the report.
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x11, 7, 0x02]);
        assert!(a.is_empty());
        assert_eq!(
            poll(&mut d, TICK, &HUB),
            vec![(
                HA_PROFILE,
                6,
                1,
                1,
                vec![0x18, 1, 0x0A, 0x00, 0x00, BOOL, 0x00]
            )]
        );
        assert!(poll(&mut d, TICK, &HUB).is_empty(), "reported once");
        let read = [0x00, 8, 0x00, 0x00, 0x00, 0x34, 0x12];
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &read);
        assert_eq!(
            a[0].4,
            vec![
                0x18,
                8,
                0x01,
                0x00,
                0x00,
                0x00,
                BOOL,
                0x00,
                0x34,
                0x12,
                UNSUPPORTED_ATTRIBUTE
            ]
        );
    }

    #[test]
    fn reports_keep_min_interval_and_reportable_change_and_come_every_max_interval() {
        let mut d = light();
        // CurrentLevel: min 2 s, max 10 s, change 5.
        let configure = [0x00, 1, 0x06, 0x00, 0x00, 0x00, UINT8, 2, 0, 10, 0, 5];
        let a = answers(&mut d, HA_PROFILE, 8, 1, 1, &configure);
        assert_eq!(a[0].4, vec![0x18, 1, 0x07, 0x00]);
        // A change of 3 is below the reportable change: nothing.
        d.zcl.set(1, LEVEL_CLUSTER, 0, 3);
        assert!(poll(&mut d, Duration::from_secs(3), &HUB).is_empty());
        // A change of 6: reported (3 s since configuring > min 2 s).
        d.zcl.set(1, LEVEL_CLUSTER, 0, 6);
        let r = poll(&mut d, Duration::from_millis(10), &HUB);
        assert_eq!(r[0].4[3..], [0x00, 0x00, UINT8, 6]);
        // Another big change right away waits for the minimum interval.
        d.zcl.set(1, LEVEL_CLUSTER, 0, 60);
        assert!(poll(&mut d, Duration::from_secs(1), &HUB).is_empty());
        let r = poll(&mut d, Duration::from_secs(1), &HUB);
        assert_eq!(r[0].4[3..], [0x00, 0x00, UINT8, 60]);
        // No change: the next report comes at the maximum interval.
        assert!(poll(&mut d, Duration::from_secs(9), &HUB).is_empty());
        let r = poll(&mut d, Duration::from_secs(1), &HUB);
        assert_eq!(r[0].4[3..], [0x00, 0x00, UINT8, 60]);
    }

    #[test]
    fn level_refusals_unknown_commands_and_clusters() {
        let mut d = light();
        let a = answers(
            &mut d,
            HA_PROFILE,
            8,
            1,
            1,
            &[0x01, 1, 0x00, 0x80, 0x0A, 0x00],
        );
        assert_eq!(a[0].4, vec![0x18, 1, 0x0B, 0x00, 0x00]);
        assert_eq!(d.zcl.level(), 0x80);
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 2, 0x47]);
        assert_eq!(a[0].4, vec![0x18, 2, 0x0B, 0x47, UNSUP_COMMAND]);
        let a = answers(&mut d, HA_PROFILE, 0x0201, 1, 1, &[0x01, 3, 0x00, 0, 10]);
        assert_eq!(a[0].4, vec![0x18, 3, 0x0B, 0x00, UNSUPPORTED_CLUSTER]);
        d.zcl.refuse_commands = Some(0x01);
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 3, 0x01]);
        assert_eq!(a[0].4, vec![0x18, 3, 0x0B, 0x01, 0x01]);
        assert!(!d.zcl.on());
    }

    #[test]
    fn writes_check_type_and_access() {
        let mut d = SimulatedDevice::thermostat([3; 8], 0x3333, None);
        // SystemMode (enum8, writable) to heat; LocalTemperature (read only); wrong type.
        let write = [
            0x00, 4, 0x02, 0x1C, 0x00, ENUM8, 0x04, 0x00, 0x00, INT16, 0x00, 0x00, 0x12, 0x00,
            UINT8, 0x01,
        ];
        let a = answers(&mut d, HA_PROFILE, 0x0201, 1, 1, &write);
        assert_eq!(
            a[0].4,
            vec![
                0x18,
                4,
                0x04,
                READ_ONLY,
                0x00,
                0x00,
                INVALID_DATA_TYPE,
                0x12,
                0x00
            ]
        );
        assert_eq!(d.zcl.get(1, 0x0201, 0x001C), Some(4));
    }

    #[test]
    fn faults_drop_delay_and_corrupt_what_the_device_sends() {
        let mut d = light();
        d.zcl.fault = Some(DeviceFault::Drop);
        assert!(answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 1, 0x01]).is_empty());
        assert!(d.zcl.on(), "the command itself got through");
        d.zcl.fault = Some(DeviceFault::Corrupt);
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 2, 0x00]);
        assert_eq!(a[0].4, vec![0x18, 2, 0x0B]);
        d.zcl.fault = Some(DeviceFault::Delay(7));
        assert_eq!(d.zcl.answer_delay(), 7);
    }

    #[test]
    fn mgmt_leave_for_itself_or_another() {
        let mut d = light();
        let mut other = vec![9];
        other.extend([2; 8]);
        other.push(0);
        let a = answers(&mut d, 0, 0x0034, 0, 0, &other);
        assert_eq!(a, vec![(0, 0x8034, 0, 0, vec![9, 0x84])]);
        assert!(!d.zcl.leaving);
        let mut own = vec![10];
        own.extend([1; 8]);
        own.push(0);
        let a = answers(&mut d, 0, 0x0034, 0, 0, &own);
        assert_eq!(a, vec![(0, 0x8034, 0, 0, vec![10, 0x00])]);
        assert!(d.zcl.leaving);
    }
}
