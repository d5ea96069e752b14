//! A battery door/window contact (Home Automation device 0x0402, IAS zone type contact switch):
//! Power Configuration and an IAS zone ([`super::ias_zone`]); opening raises alarm 1.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::ias_zone::{self, IAS_ZONE_CLUSTER, ZONE_TYPE_CONTACT};
use super::{DeviceKind, SimulatedDevice};

/// Basic, Power Configuration, Identify, IAS Zone; closed.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::ContactSensor,
        0x0402,
        vec![0x0000, 0x0001, 0x0003, IAS_ZONE_CLUSTER],
        "SH-CONTACT-1",
    );
    ias_zone::define(&mut d.zcl, ZONE_TYPE_CONTACT);
    d
}
