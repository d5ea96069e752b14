//! A battery temperature and humidity sensor (Home Automation device 0x0302): Temperature
//! Measurement (ZCL §4.4) and Relative Humidity Measurement (§4.7), with Power Configuration.
//! It has no commands; it reports. A test moves the readings with
//! [`ZclState::set`](crate::ezsp_ncp::ZclState::set) and reports follow as configured.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::{DeviceKind, SimulatedDevice};
use crate::ezsp_ncp::zcl_device::data_type;

/// The Temperature Measurement cluster.
pub const TEMPERATURE_CLUSTER: u16 = 0x0402;
/// The Relative Humidity Measurement cluster.
pub const HUMIDITY_CLUSTER: u16 = 0x0405;

/// Basic, Power Configuration, Identify, Temperature, Humidity; 21.5 °C, 45 %.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::ClimateSensor,
        0x0302,
        vec![
            0x0000,
            0x0001,
            0x0003,
            TEMPERATURE_CLUSTER,
            HUMIDITY_CLUSTER,
        ],
        "SH-CLIMATE-1",
    );
    let z = &mut d.zcl;
    use data_type::*;
    // MeasuredValue, MinMeasuredValue, MaxMeasuredValue: 0.01 °C and 0.01 %.
    z.define(1, TEMPERATURE_CLUSTER, 0x0000, INT16, 2150, false);
    z.define(1, TEMPERATURE_CLUSTER, 0x0001, INT16, -4000, false);
    z.define(1, TEMPERATURE_CLUSTER, 0x0002, INT16, 12500, false);
    z.define(1, HUMIDITY_CLUSTER, 0x0000, UINT16, 4500, false);
    z.define(1, HUMIDITY_CLUSTER, 0x0001, UINT16, 0, false);
    z.define(1, HUMIDITY_CLUSTER, 0x0002, UINT16, 10000, false);
    d
}
