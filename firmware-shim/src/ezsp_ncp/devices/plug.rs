//! A smart plug with metering (Home Automation device 0x0051): On/Off, Electrical Measurement
//! (ZCL §4.9: RMS voltage, current, active power, with multipliers and divisors) and Metering
//! (§10.4: energy delivered, instantaneous demand). Switched on, its load draws
//! [`LOAD_WATTS`]; off, nothing. A test changes the readings with
//! [`ZclState::set`](crate::ezsp_ncp::ZclState::set).

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::light;
use super::{DeviceKind, SimulatedDevice};
use crate::ezsp_ncp::zcl_device::{
    CommandContext, Handled, ON_OFF_CLUSTER, ZclState, data_type, zcl_status,
};

/// The Metering cluster.
pub const METERING_CLUSTER: u16 = 0x0702;
/// The Electrical Measurement cluster.
pub const ELECTRICAL_CLUSTER: u16 = 0x0B04;
/// What the plugged-in load draws when switched on, in watts.
pub const LOAD_WATTS: i64 = 60;
/// Mains voltage, in volts.
pub const MAINS_VOLTS: i64 = 230;

/// Basic, Identify, Groups, Scenes, On/Off, Metering, Electrical Measurement.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::Plug,
        0x0051,
        vec![
            0x0000,
            0x0003,
            0x0004,
            0x0005,
            ON_OFF_CLUSTER,
            METERING_CLUSTER,
            ELECTRICAL_CLUSTER,
        ],
        "SH-PLUG-1",
    );
    light::define_on_off(&mut d.zcl);
    let z = &mut d.zcl;
    use data_type::*;
    z.define(1, ELECTRICAL_CLUSTER, 0x0505, UINT16, MAINS_VOLTS, false); // RMSVoltage, V
    z.define(1, ELECTRICAL_CLUSTER, 0x0508, UINT16, 0, false); // RMSCurrent, mA
    z.define(1, ELECTRICAL_CLUSTER, 0x050B, INT16, 0, false); // ActivePower, 0.1 W
    for (id, value) in [
        (0x0600, 1),    // ACVoltageMultiplier
        (0x0601, 1),    // ACVoltageDivisor
        (0x0602, 1),    // ACCurrentMultiplier
        (0x0603, 1000), // ACCurrentDivisor: mA
        (0x0604, 1),    // ACPowerMultiplier
        (0x0605, 10),   // ACPowerDivisor: 0.1 W
    ] {
        z.define(1, ELECTRICAL_CLUSTER, id, UINT16, value, false);
    }
    z.define(1, METERING_CLUSTER, 0x0000, UINT48, 0, false); // CurrentSummationDelivered, Wh
    z.define(1, METERING_CLUSTER, 0x0300, ENUM8, 0, false); // UnitofMeasure: kWh
    z.define(1, METERING_CLUSTER, 0x0301, UINT24, 1, false); // Multiplier
    z.define(1, METERING_CLUSTER, 0x0302, UINT24, 1000, false); // Divisor: Wh
    z.define(1, METERING_CLUSTER, 0x0400, INT24, 0, false); // InstantaneousDemand, W
    d
}

/// On/Off, with the load following; the measurement clusters have no commands.
pub fn command(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    if context.cluster != ON_OFF_CLUSTER {
        return Handled::Status(zcl_status::UNSUP_COMMAND);
    }
    let handled = light::on_off(z, context.command, payload);
    let watts = if z.on() { LOAD_WATTS } else { 0 };
    z.set(1, ELECTRICAL_CLUSTER, 0x050B, watts * 10);
    z.set(1, ELECTRICAL_CLUSTER, 0x0508, watts * 1000 / MAINS_VOLTS);
    z.set(1, METERING_CLUSTER, 0x0400, watts);
    handled
}
