//! Simulated Zigbee devices around the emulated NCP: what each kind of device is (one module
//! per kind: [`light`], [`color_light`], [`plug`], [`door_lock`], [`thermostat`],
//! [`climate_sensor`], [`motion_sensor`], [`contact_sensor`], with the IAS zone they share in
//! [`ias_zone`]), who may join ([`admit`]) and what a joined
//! device answers ([`answer`]) when the host sends it a unicast — ZDO `Node_Desc_req`,
//! `Active_EP_req`, `Simple_Desc_req` and ZCL Read Attributes on the Basic cluster, which is what
//! an interview asks (zigbee-herdsman's `Device.interviewInternal`, sealhub's
//! `ZigbeeStick::interview`).
//!
//! As in [`super::local_zdo`], payloads are built by hand from the Zigbee and ZCL specifications,
//! apart from the host-side codecs, so the two cannot share a mistake.
//!
//! Admission follows the trust center: the network must be open (`permitJoining`) and the
//! trust-center policy must allow joins (`setPolicy(TRUST_CENTER_POLICY)` with `ALLOW_JOINS`);
//! a device with an install code joins only if the host imported the link key derived from that
//! code for the device's EUI-64 (`importTransientKey`); a device without one joins with the
//! well-known key "ZigBeeAlliance09", which the policy bit `JOINS_USE_INSTALL_CODE_KEY` forbids.

use std::collections::BTreeMap;

use sealhub_radios::zigbee::ezsp::types::{Eui64, Key};
use sealhub_radios::zigbee::security::InstallCode;

use super::device_zdo::{
    self, BIND_REQ, MGMT_BIND_REQ, MGMT_LEAVE_REQ, MGMT_PERMIT_JOINING_REQ, UNBIND_REQ,
};
use super::zcl_device::{
    ClusterServer, CommandContext, Handled, ZclRequest, ZclState, data_type, zcl_status,
};
pub use super::zcl_device::{DeviceAnswer, HA_PROFILE};

pub mod alarm_sensor;
pub mod climate_sensor;
pub mod color_light;
pub mod contact_sensor;
pub mod door_lock;
pub mod ias_zone;
pub mod light;
pub mod motion_sensor;
pub mod plug;
pub mod thermostat;

/// `EzspPolicyId` `TRUST_CENTER_POLICY`.
pub const TRUST_CENTER_POLICY: u8 = 0x00;
/// `EzspDecisionBitmask` `ALLOW_JOINS`.
pub const ALLOW_JOINS: u8 = 0x01;
/// `EzspDecisionBitmask` `JOINS_USE_INSTALL_CODE_KEY`: only install-code keys are accepted.
pub const JOINS_USE_INSTALL_CODE_KEY: u8 = 0x10;

/// The Basic cluster.
pub const BASIC_CLUSTER: u16 = 0x0000;

/// One endpoint of a simulated device (its simple descriptor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEndpoint {
    /// Endpoint number, 1..=240.
    pub endpoint: u8,
    /// Application profile.
    pub profile: u16,
    /// Device ID within the profile.
    pub device_id: u16,
    /// Device version (low 4 bits).
    pub version: u8,
    /// Server clusters.
    pub in_clusters: Vec<u16>,
    /// Client clusters.
    pub out_clusters: Vec<u16>,
}

/// A device the test can make join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedDevice {
    /// Its IEEE address, in EZSP (little-endian) byte order.
    pub eui64: Eui64,
    /// The node ID it gets when it joins.
    pub node_id: u16,
    /// Its install code, if it has one printed on it.
    pub install_code: Option<InstallCode>,
    /// `EmberNodeType`: 2 router, 3 end device, 4 sleepy end device.
    pub node_type: u8,
    /// MAC capability flags (Device_annce, node descriptor).
    pub capabilities: u8,
    /// Manufacturer code in the node descriptor.
    pub manufacturer_code: u16,
    /// Its endpoints.
    pub endpoints: Vec<DeviceEndpoint>,
    /// Basic `manufacturerName` (0x0004).
    pub manufacturer: String,
    /// Basic `modelId` (0x0005).
    pub model: String,
    /// Basic `powerSource` (0x0007): 1 mains, 3 battery.
    pub power_source: u8,
    /// What kind of device it is: which module answers its cluster commands.
    pub kind: DeviceKind,
    /// Attributes, reporting configuration, test switches and faults
    /// ([`super::zcl_device`]).
    pub zcl: ZclState,
}

/// The device types the emulator simulates, one module each under `devices/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// A dimmable light: On/Off, Level Control ([`light`]).
    Light,
    /// A dimmable colour bulb: also Color Control hue/saturation, XY and colour temperature
    /// ([`color_light`]).
    ColorLight,
    /// A plug with metering: On/Off, Electrical Measurement, Metering ([`plug`]).
    Plug,
    /// A door lock: Door Lock with operation events, Power Configuration ([`door_lock`]).
    DoorLock,
    /// A thermostat: Thermostat with setpoints, system mode, raise/lower ([`thermostat`]).
    Thermostat,
    /// A temperature and humidity sensor on battery ([`climate_sensor`]).
    ClimateSensor,
    /// A motion sensor: Occupancy Sensing and an IAS motion zone ([`motion_sensor`]).
    MotionSensor,
    /// A door/window contact on an IAS zone ([`contact_sensor`]).
    ContactSensor,
    /// A smoke, water leak or carbon monoxide alarm on an IAS zone ([`alarm_sensor`]).
    AlarmSensor,
}

/// Each type's cluster commands and writes, passed in to the generic server.
impl ClusterServer for DeviceKind {
    /// Carries out a cluster-specific command (client to server) on a cluster the endpoint
    /// serves.
    fn command(&self, z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
        if context.cluster == IDENTIFY_CLUSTER {
            return identify(z, context, payload);
        }
        match self {
            Self::Light => light::command(z, context, payload),
            Self::ColorLight => color_light::command(z, context, payload),
            Self::Plug => plug::command(z, context, payload),
            Self::DoorLock => door_lock::command(z, context, payload),
            Self::Thermostat => thermostat::command(z, context, payload),
            Self::ClimateSensor => Handled::Status(zcl_status::UNSUP_COMMAND),
            Self::MotionSensor | Self::ContactSensor | Self::AlarmSensor => {
                ias_zone::command(z, context, payload)
            }
        }
    }

    /// Acts on a successful Write Attributes of attribute `id`.
    fn after_write(&self, z: &mut ZclState, context: &CommandContext, id: u16) {
        match self {
            Self::MotionSensor | Self::ContactSensor | Self::AlarmSensor => {
                ias_zone::after_write(z, context, id)
            }
            Self::Thermostat => thermostat::after_write(z),
            _ => {}
        }
    }
}

/// The Identify cluster.
pub const IDENTIFY_CLUSTER: u16 = 0x0003;
/// The Power Configuration cluster.
pub const POWER_CONFIGURATION_CLUSTER: u16 = 0x0001;

/// Identify (0x00): identify for this many seconds; the device just records it.
fn identify(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    match (context.command, payload) {
        (0x00, [lo, hi]) => {
            z.set(
                context.endpoint,
                IDENTIFY_CLUSTER,
                0x0000,
                i64::from(u16::from_le_bytes([*lo, *hi])),
            );
            Handled::Status(zcl_status::SUCCESS)
        }
        (0x00, _) => Handled::Status(zcl_status::MALFORMED_COMMAND),
        _ => Handled::Status(zcl_status::UNSUP_COMMAND),
    }
}

impl SimulatedDevice {
    /// The common part of every simulated device: one endpoint (1, Home Automation), its
    /// Identify attribute, and a battery (Power Configuration) if it serves that cluster.
    pub(crate) fn base(
        eui64: Eui64,
        node_id: u16,
        install_code: Option<InstallCode>,
        kind: DeviceKind,
        device_id: u16,
        in_clusters: Vec<u16>,
        model: &str,
    ) -> Self {
        let mains = matches!(
            kind,
            DeviceKind::Light | DeviceKind::ColorLight | DeviceKind::Plug
        );
        let mut zcl = ZclState::default();
        if in_clusters.contains(&IDENTIFY_CLUSTER) {
            zcl.define(1, IDENTIFY_CLUSTER, 0x0000, data_type::UINT16, 0, true);
        }
        if in_clusters.contains(&POWER_CONFIGURATION_CLUSTER) {
            // BatteryVoltage 3.0 V (100 mV units), BatteryPercentageRemaining 100 % (half %).
            zcl.define(
                1,
                POWER_CONFIGURATION_CLUSTER,
                0x0020,
                data_type::UINT8,
                30,
                false,
            );
            zcl.define(
                1,
                POWER_CONFIGURATION_CLUSTER,
                0x0021,
                data_type::UINT8,
                200,
                false,
            );
        }
        Self {
            eui64,
            node_id,
            install_code,
            // Mains-powered devices route; battery ones are end devices.
            node_type: if mains { 2 } else { 3 },
            // Mains: FFD, mains, RX on when idle, allocate address. Battery: allocate address.
            capabilities: if mains { 0x8E } else { 0x80 },
            manufacturer_code: 0x1234,
            endpoints: vec![DeviceEndpoint {
                endpoint: 1,
                profile: HA_PROFILE,
                device_id,
                version: 1,
                in_clusters,
                out_clusters: vec![0x0019],
            }],
            manufacturer: "Sealhub Emulated".into(),
            model: model.into(),
            power_source: if mains { 1 } else { 3 },
            kind,
            zcl,
        }
    }

    /// A mains-powered dimmable light (router) on endpoint 1 with Basic, Identify, Groups,
    /// Scenes, On/Off, Level Control, and OTA as client; off, at level 0, until told otherwise.
    pub fn light(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        light::device(eui64, node_id, install_code)
    }

    /// A dimmable colour bulb ([`color_light`]).
    pub fn color_light(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        color_light::device(eui64, node_id, install_code)
    }

    /// A plug with metering ([`plug`]).
    pub fn plug(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        plug::device(eui64, node_id, install_code)
    }

    /// A battery door lock ([`door_lock`]).
    pub fn door_lock(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        door_lock::device(eui64, node_id, install_code)
    }

    /// A thermostat ([`thermostat`]).
    pub fn thermostat(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        thermostat::device(eui64, node_id, install_code)
    }

    /// A temperature and humidity sensor ([`climate_sensor`]).
    pub fn climate_sensor(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        climate_sensor::device(eui64, node_id, install_code)
    }

    /// A motion sensor ([`motion_sensor`]).
    pub fn motion_sensor(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        motion_sensor::device(eui64, node_id, install_code)
    }

    /// A door/window contact sensor on IAS Zone ([`contact_sensor`]).
    pub fn contact_sensor(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        contact_sensor::device(eui64, node_id, install_code)
    }

    /// A smoke alarm ([`alarm_sensor`]).
    pub fn smoke_sensor(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        alarm_sensor::device(eui64, node_id, install_code, alarm_sensor::Sensing::Smoke)
    }

    /// A water leak sensor ([`alarm_sensor`]).
    pub fn water_sensor(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> Self {
        alarm_sensor::device(eui64, node_id, install_code, alarm_sensor::Sensing::Water)
    }

    /// A carbon monoxide alarm ([`alarm_sensor`]).
    pub fn carbon_monoxide_sensor(
        eui64: Eui64,
        node_id: u16,
        install_code: Option<InstallCode>,
    ) -> Self {
        alarm_sensor::device(
            eui64,
            node_id,
            install_code,
            alarm_sensor::Sensing::CarbonMonoxide,
        )
    }

    /// An alarm sensor's alarm (smoke, water, carbon monoxide) goes off or stops; once
    /// enrolled it notifies the CIE.
    pub fn set_alarm(&mut self, alarm: bool) {
        ias_zone::set_alarm(&mut self.zcl, 1, alarm);
    }

    /// A device on an IAS zone is tampered with (its case opened) or closed again; once
    /// enrolled it notifies the CIE.
    pub fn set_tamper(&mut self, tampered: bool) {
        ias_zone::set_tamper(&mut self.zcl, 1, tampered);
    }

    /// A motion sensor sees motion (or stops seeing it): Occupancy changes (reported as
    /// configured) and, once enrolled, the IAS zone sends a Zone Status Change Notification.
    pub fn set_motion(&mut self, motion: bool) {
        motion_sensor::set_motion(&mut self.zcl, motion);
    }

    /// A contact sensor opens (alarm 1) or closes; once enrolled it notifies the CIE.
    pub fn set_contact_open(&mut self, open: bool) {
        ias_zone::set_alarm(&mut self.zcl, 1, open);
    }

    /// Someone turns a door lock by hand: its state changes and it sends an Operation Event
    /// Notification (source manual).
    pub fn turn_lock_by_hand(&mut self, locked: bool) {
        door_lock::turn_by_hand(&mut self.zcl, locked);
    }

    /// The device leaves the network on its own (a user pressed its reset button).
    pub fn leave(&mut self) {
        self.zcl.leaving = true;
    }
}

/// Why the trust center turned a device away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefusal {
    /// The stack is not up on a network.
    NetworkDown,
    /// `permitJoining` is 0: nobody may join.
    PermitJoinClosed,
    /// The trust-center policy lacks `ALLOW_JOINS`.
    JoinsNotAllowed,
    /// The device has an install code but the host imported no key for its EUI-64.
    NoLinkKey,
    /// The key the host imported for the device's EUI-64 is not the one its install code gives.
    WrongLinkKey,
    /// The device only has the well-known key and the policy demands install-code keys.
    WellKnownKeyNotAllowed,
    /// Another joined device already has its node ID or EUI-64.
    AlreadyJoined,
    /// It tried to join through a node that is not a joined router.
    NoSuchRouter,
}

/// Decides whether `device` may join now.
pub fn admit(
    device: &SimulatedDevice,
    network_up: bool,
    permit_join_seconds: u8,
    trust_center_policy: u8,
    transient_keys: &BTreeMap<Eui64, Key>,
) -> Result<(), JoinRefusal> {
    if !network_up {
        return Err(JoinRefusal::NetworkDown);
    }
    if permit_join_seconds == 0 {
        return Err(JoinRefusal::PermitJoinClosed);
    }
    if trust_center_policy & ALLOW_JOINS == 0 {
        return Err(JoinRefusal::JoinsNotAllowed);
    }
    match &device.install_code {
        Some(code) => match transient_keys.get(&device.eui64) {
            None => Err(JoinRefusal::NoLinkKey),
            Some(key) if key.0 == code.link_key().0 => Ok(()),
            Some(_) => Err(JoinRefusal::WrongLinkKey),
        },
        None if trust_center_policy & JOINS_USE_INSTALL_CODE_KEY != 0 => {
            Err(JoinRefusal::WellKnownKeyNotAllowed)
        }
        None => Ok(()),
    }
}

/// Device_annce (ZDO cluster 0x0013): tsn, node ID, IEEE address, capabilities.
pub fn device_announce(device: &SimulatedDevice, tsn: u8) -> Vec<u8> {
    let mut out = vec![tsn];
    out.extend(device.node_id.to_le_bytes());
    out.extend(device.eui64);
    out.push(device.capabilities);
    out
}

/// ZDO status `SUCCESS`.
const SUCCESS: u8 = 0x00;
/// ZDO status `DEVICE_NOT_FOUND`.
const DEVICE_NOT_FOUND: u8 = 0x81;
/// ZDO status `NOT_ACTIVE`.
const NOT_ACTIVE: u8 = 0x83;
/// ZDO status `NOT_SUPPORTED`.
const NOT_SUPPORTED: u8 = 0x84;

/// ZCL status `UNSUPPORTED_ATTRIBUTE`.
const UNSUPPORTED_ATTRIBUTE: u8 = 0x86;

/// What `device` answers to a unicast, in order; its state changes as the message says. ZDO
/// requests of the interview and the Basic cluster are answered by [`answer`], the device's
/// own ZDO requests by [`device_zdo`], every other cluster by the generic server
/// ([`super::zcl_device::serve`]) with the device type's [`ClusterServer`].
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
            MGMT_LEAVE_REQ => Some(device_zdo::mgmt_leave(device, message)),
            BIND_REQ | UNBIND_REQ => Some(device_zdo::bind(device, cluster, message)),
            MGMT_BIND_REQ => Some(device_zdo::mgmt_bind(device, message)),
            MGMT_PERMIT_JOINING_REQ => Some(device_zdo::mgmt_permit_joining(device, message)),
            _ => None,
        };
        if let Some(answer) = answer {
            return answer.into_iter().collect();
        }
    }
    if profile != HA_PROFILE || cluster == BASIC_CLUSTER {
        return answer(device, profile, cluster, src_ep, dst_ep, message)
            .into_iter()
            .collect();
    }
    let Some(ep) = device.endpoints.iter().find(|e| e.endpoint == dst_ep) else {
        return Vec::new();
    };
    let request = ZclRequest {
        profile,
        cluster,
        src_ep,
        dst_ep,
        served: ep.in_clusters.contains(&cluster),
        manufacturer_code: device.manufacturer_code,
        eui64: device.eui64,
        message,
    };
    super::zcl_device::serve(&mut device.zcl, &device.kind, request)
}

/// What `device` answers to a message on `(profile, cluster)` from the host's `src_ep` to the
/// device's `dst_ep`.
pub fn answer(
    device: &SimulatedDevice,
    profile: u16,
    cluster: u16,
    src_ep: u8,
    dst_ep: u8,
    message: &[u8],
) -> Option<DeviceAnswer> {
    if profile == 0x0000 {
        let (cluster, payload) = zdo_answer(device, cluster, message)?;
        return Some((0x0000, cluster, 0, 0, payload));
    }
    let ep = device.endpoints.iter().find(|e| e.endpoint == dst_ep)?;
    if cluster != BASIC_CLUSTER || !ep.in_clusters.contains(&BASIC_CLUSTER) {
        return None;
    }
    let payload = basic_read(device, message)?;
    Some((profile, cluster, dst_ep, src_ep, payload))
}

fn zdo_answer(device: &SimulatedDevice, cluster: u16, request: &[u8]) -> Option<(u16, Vec<u8>)> {
    if cluster & 0x8000 != 0 {
        return None;
    }
    let (&tsn, args) = request.split_first()?;
    let nwk = args
        .first_chunk::<2>()
        .map(|b| u16::from_le_bytes(*b))
        .unwrap_or(0xFFFF);
    let mut out = vec![tsn];
    let refuse = |out: &mut Vec<u8>, status: u8| {
        out.push(status);
        out.extend(nwk.to_le_bytes());
    };
    match cluster {
        // IEEE_addr_req (single device): its own IEEE address and node ID.
        0x0001 => {
            if nwk != device.node_id {
                refuse(&mut out, DEVICE_NOT_FOUND);
            } else {
                out.push(SUCCESS);
                out.extend(device.eui64);
                out.extend(device.node_id.to_le_bytes());
            }
        }
        // Node_Desc_req
        0x0002 => {
            if nwk != device.node_id {
                refuse(&mut out, DEVICE_NOT_FOUND);
            } else {
                out.push(SUCCESS);
                out.extend(device.node_id.to_le_bytes());
                out.extend(node_descriptor(device));
            }
        }
        // Simple_Desc_req
        0x0004 => {
            let ep = args
                .get(2)
                .and_then(|n| device.endpoints.iter().find(|e| e.endpoint == *n));
            match (nwk == device.node_id, ep) {
                (true, Some(ep)) => {
                    let d = simple_descriptor(ep);
                    out.push(SUCCESS);
                    out.extend(device.node_id.to_le_bytes());
                    out.push(u8::try_from(d.len()).unwrap_or(u8::MAX));
                    out.extend(d);
                }
                (true, None) => {
                    refuse(&mut out, NOT_ACTIVE);
                    out.push(0);
                }
                (false, _) => {
                    refuse(&mut out, DEVICE_NOT_FOUND);
                    out.push(0);
                }
            }
        }
        // Active_EP_req
        0x0005 => {
            if nwk != device.node_id {
                refuse(&mut out, DEVICE_NOT_FOUND);
                out.push(0);
            } else {
                out.push(SUCCESS);
                out.extend(device.node_id.to_le_bytes());
                out.push(u8::try_from(device.endpoints.len()).unwrap_or(u8::MAX));
                out.extend(device.endpoints.iter().map(|e| e.endpoint));
            }
        }
        _ => out.push(NOT_SUPPORTED),
    }
    Some((cluster | 0x8000, out))
}

/// The 13-byte node descriptor (Zigbee spec §2.3.2.3).
fn node_descriptor(device: &SimulatedDevice) -> Vec<u8> {
    let logical_type = if device.node_type == 2 { 1 } else { 2 };
    let mut d = vec![logical_type, 0x08 << 3, device.capabilities];
    d.extend(device.manufacturer_code.to_le_bytes());
    d.push(0x52); // maximum buffer size
    d.extend(0x0052u16.to_le_bytes()); // maximum incoming transfer size
    d.extend(0x2C00u16.to_le_bytes()); // server mask: stack compliance revision 22
    d.extend(0x0052u16.to_le_bytes()); // maximum outgoing transfer size
    d.push(0x00); // descriptor capability
    d
}

fn simple_descriptor(ep: &DeviceEndpoint) -> Vec<u8> {
    let mut d = vec![ep.endpoint];
    d.extend(ep.profile.to_le_bytes());
    d.extend(ep.device_id.to_le_bytes());
    d.push(ep.version & 0x0F);
    for list in [&ep.in_clusters, &ep.out_clusters] {
        d.push(u8::try_from(list.len()).unwrap_or(u8::MAX));
        for cluster in list {
            d.extend(cluster.to_le_bytes());
        }
    }
    d
}

/// Answers a ZCL Read Attributes (global command 0x00, no manufacturer code) on Basic with a
/// Read Attributes Response (0x01) echoing the transaction sequence number; anything else gets
/// no answer.
fn basic_read(device: &SimulatedDevice, frame: &[u8]) -> Option<Vec<u8>> {
    let [fc, tsn, command, attributes @ ..] = frame else {
        return None;
    };
    // Global, client to server, not manufacturer specific.
    if fc & 0x03 != 0 || fc & 0x04 != 0 || fc & 0x08 != 0 || *command != 0x00 {
        return None;
    }
    if attributes.len() % 2 != 0 {
        return None;
    }
    // Global, server to client, default response disabled.
    let mut out = vec![0x18, *tsn, 0x01];
    for id in attributes.chunks_exact(2) {
        let id = u16::from_le_bytes([id[0], id[1]]);
        out.extend(id.to_le_bytes());
        let string = |s: &str| {
            let bytes = s.as_bytes();
            let mut v = vec![0x42, u8::try_from(bytes.len()).unwrap_or(u8::MAX)];
            v.extend(bytes.iter().take(254));
            v
        };
        let value: Option<Vec<u8>> = match id {
            0x0000 => Some(vec![0x20, 8]),                   // zclVersion, uint8
            0x0001 => Some(vec![0x20, 1]),                   // appVersion
            0x0002 => Some(vec![0x20, 0x0A]),                // stackVersion
            0x0003 => Some(vec![0x20, 1]),                   // hwVersion
            0x0004 => Some(string(&device.manufacturer)),    // manufacturerName
            0x0005 => Some(string(&device.model)),           // modelId
            0x0006 => Some(string("20261126")),              // dateCode
            0x0007 => Some(vec![0x30, device.power_source]), // powerSource, enum8
            0x4000 => Some(string("1.0.0")),                 // swBuildId
            _ => None,
        };
        match value {
            Some(v) => {
                out.push(SUCCESS);
                out.extend(v);
            }
            None => out.push(UNSUPPORTED_ATTRIBUTE),
        }
    }
    Some(out)
}

#[cfg(test)]
mod server_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> InstallCode {
        // The install code of the Zigbee 3.0 specification's example, with its CRC.
        InstallCode::new(&[
            0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16,
            0xD5, 0x05, 0xC3, 0xB5,
        ])
        .unwrap()
    }

    #[test]
    fn admission_rules() {
        let with_code = SimulatedDevice::light([1; 8], 0x1111, Some(code()));
        let without = SimulatedDevice::light([2; 8], 0x2222, None);
        let mut keys = BTreeMap::new();
        let open = ALLOW_JOINS;
        assert_eq!(
            admit(&with_code, false, 60, open, &keys),
            Err(JoinRefusal::NetworkDown)
        );
        assert_eq!(
            admit(&with_code, true, 0, open, &keys),
            Err(JoinRefusal::PermitJoinClosed)
        );
        assert_eq!(
            admit(&with_code, true, 60, 0x02, &keys),
            Err(JoinRefusal::JoinsNotAllowed)
        );
        assert_eq!(
            admit(&with_code, true, 60, open, &keys),
            Err(JoinRefusal::NoLinkKey)
        );
        keys.insert([1; 8], Key([0; 16]));
        assert_eq!(
            admit(&with_code, true, 60, open, &keys),
            Err(JoinRefusal::WrongLinkKey)
        );
        keys.insert([1; 8], Key(code().link_key().0));
        assert_eq!(admit(&with_code, true, 60, open, &keys), Ok(()));
        assert_eq!(
            admit(
                &with_code,
                true,
                60,
                open | JOINS_USE_INSTALL_CODE_KEY,
                &keys
            ),
            Ok(())
        );
        assert_eq!(admit(&without, true, 60, open, &keys), Ok(()));
        assert_eq!(
            admit(&without, true, 60, open | JOINS_USE_INSTALL_CODE_KEY, &keys),
            Err(JoinRefusal::WellKnownKeyNotAllowed)
        );
    }

    #[test]
    fn interview_answers() {
        let d = SimulatedDevice::light([1; 8], 0x1111, None);
        let (_, cluster, _, _, p) = answer(&d, 0, 0x0005, 0, 0, &[9, 0x11, 0x11]).unwrap();
        assert_eq!((cluster, p), (0x8005, vec![9, 0, 0x11, 0x11, 1, 1]));
        let (_, cluster, _, _, p) = answer(&d, 0, 0x0002, 0, 0, &[3, 0x11, 0x11]).unwrap();
        assert_eq!(cluster, 0x8002);
        assert_eq!(p.len(), 1 + 1 + 2 + 13);
        let read = [0x00, 42, 0x00, 0x05, 0x00, 0x99, 0x99];
        let (profile, cluster, src, dst, p) = answer(&d, HA_PROFILE, 0, 1, 1, &read).unwrap();
        assert_eq!((profile, cluster, src, dst), (HA_PROFILE, 0, 1, 1));
        let mut want = vec![0x18, 42, 0x01, 0x05, 0x00, 0x00, 0x42, 10];
        want.extend(b"SH-LIGHT-1");
        want.extend([0x99, 0x99, UNSUPPORTED_ATTRIBUTE]);
        assert_eq!(p, want);
        assert_eq!(answer(&d, HA_PROFILE, 6, 1, 1, &read), None);
    }
}
