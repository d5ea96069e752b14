//! A battery motion sensor (Home Automation device 0x0402, IAS zone): Occupancy Sensing (ZCL
//! §4.8, reported like any attribute) and an IAS motion zone ([`super::ias_zone`]), so both
//! hubs that read occupancy and hubs that enrol zones see it move.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::ias_zone::{self, IAS_ZONE_CLUSTER, ZONE_TYPE_MOTION};
use super::{DeviceKind, SimulatedDevice};
use crate::ezsp_ncp::zcl_device::{ZclState, data_type};

/// The Occupancy Sensing cluster.
pub const OCCUPANCY_CLUSTER: u16 = 0x0406;

/// Basic, Power Configuration, Identify, Occupancy Sensing, IAS Zone; no motion.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::MotionSensor,
        0x0402,
        vec![0x0000, 0x0001, 0x0003, OCCUPANCY_CLUSTER, IAS_ZONE_CLUSTER],
        "SH-MOTION-1",
    );
    let z = &mut d.zcl;
    z.define(1, OCCUPANCY_CLUSTER, 0x0000, data_type::BITMAP8, 0, false); // Occupancy
    z.define(1, OCCUPANCY_CLUSTER, 0x0001, data_type::ENUM8, 0, false); // sensor type: PIR
    ias_zone::define(z, ZONE_TYPE_MOTION);
    d
}

/// Motion seen (or no longer seen).
pub fn set_motion(z: &mut ZclState, motion: bool) {
    z.set(1, OCCUPANCY_CLUSTER, 0x0000, i64::from(motion));
    ias_zone::set_alarm(z, 1, motion);
}
