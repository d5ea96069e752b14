//! A thermostat (Home Automation device 0x0301): Thermostat (ZCL §6.3) with the measured
//! `LocalTemperature`, writable occupied heating and cooling setpoints and `SystemMode`, and
//! Setpoint Raise/Lower. Setpoints stay within their limits. `ThermostatRunningState` says
//! whether it heats or cools, from the temperature, setpoints and mode, recomputed whenever a
//! command or a write changes a setpoint or the mode.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::{DeviceKind, SimulatedDevice};
use crate::ezsp_ncp::zcl_device::{CommandContext, Handled, ZclState, data_type, zcl_status};

/// The Thermostat cluster.
pub const THERMOSTAT_CLUSTER: u16 = 0x0201;
/// `LocalTemperature`, 0.01 °C.
pub const LOCAL_TEMPERATURE: u16 = 0x0000;
/// `OccupiedCoolingSetpoint`, 0.01 °C.
pub const COOLING_SETPOINT: u16 = 0x0011;
/// `OccupiedHeatingSetpoint`, 0.01 °C.
pub const HEATING_SETPOINT: u16 = 0x0012;
/// `SystemMode`: 0 off, 1 auto, 3 cool, 4 heat.
pub const SYSTEM_MODE: u16 = 0x001C;
/// `ThermostatRunningState`: bit 0 heat, bit 1 cool.
pub const RUNNING_STATE: u16 = 0x0029;

/// Setpoint limits (`Min/MaxHeatSetpointLimit`, `Min/MaxCoolSetpointLimit`), 0.01 °C.
const HEAT_LIMITS: (i64, i64) = (700, 3000);
const COOL_LIMITS: (i64, i64) = (1600, 3200);

/// Basic, Identify, Thermostat; 21 °C, heating to 20 °C.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::Thermostat,
        0x0301,
        vec![0x0000, 0x0003, THERMOSTAT_CLUSTER],
        "SH-THERMOSTAT-1",
    );
    let z = &mut d.zcl;
    use data_type::*;
    z.define(1, THERMOSTAT_CLUSTER, LOCAL_TEMPERATURE, INT16, 2100, false);
    z.define(1, THERMOSTAT_CLUSTER, COOLING_SETPOINT, INT16, 2600, true);
    z.define(1, THERMOSTAT_CLUSTER, HEATING_SETPOINT, INT16, 2000, true);
    z.define(1, THERMOSTAT_CLUSTER, 0x0015, INT16, HEAT_LIMITS.0, false);
    z.define(1, THERMOSTAT_CLUSTER, 0x0016, INT16, HEAT_LIMITS.1, false);
    z.define(1, THERMOSTAT_CLUSTER, 0x0017, INT16, COOL_LIMITS.0, false);
    z.define(1, THERMOSTAT_CLUSTER, 0x0018, INT16, COOL_LIMITS.1, false);
    // ControlSequenceOfOperation: cooling and heating.
    z.define(1, THERMOSTAT_CLUSTER, 0x001B, ENUM8, 4, false);
    z.define(1, THERMOSTAT_CLUSTER, SYSTEM_MODE, ENUM8, 4, true);
    z.define(1, THERMOSTAT_CLUSTER, RUNNING_STATE, BITMAP16, 0, false);
    after_write(z);
    d
}

/// Setpoint Raise/Lower (0x00): mode (0 heat, 1 cool, 2 both), amount in 0.1 °C, signed.
pub fn command(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    if context.cluster != THERMOSTAT_CLUSTER || context.command != 0x00 {
        return Handled::Status(zcl_status::UNSUP_COMMAND);
    }
    let [mode, amount] = payload else {
        return Handled::Status(zcl_status::MALFORMED_COMMAND);
    };
    let delta = i64::from(*amount as i8) * 10;
    let mut shift = |id, (min, max): (i64, i64)| {
        let now = z.get(1, THERMOSTAT_CLUSTER, id).unwrap_or(0);
        z.set(1, THERMOSTAT_CLUSTER, id, (now + delta).clamp(min, max));
    };
    match mode {
        0 => shift(HEATING_SETPOINT, HEAT_LIMITS),
        1 => shift(COOLING_SETPOINT, COOL_LIMITS),
        2 => {
            shift(HEATING_SETPOINT, HEAT_LIMITS);
            shift(COOLING_SETPOINT, COOL_LIMITS);
        }
        _ => return Handled::Status(zcl_status::INVALID_FIELD),
    }
    after_write(z);
    Handled::Status(zcl_status::SUCCESS)
}

/// Recomputes the running state after a setpoint or mode changed.
pub fn after_write(z: &mut ZclState) {
    let get = |id| z.get(1, THERMOSTAT_CLUSTER, id).unwrap_or(0);
    let (t, heat, cool, mode) = (
        get(LOCAL_TEMPERATURE),
        get(HEATING_SETPOINT),
        get(COOLING_SETPOINT),
        get(SYSTEM_MODE),
    );
    let heating = matches!(mode, 1 | 4) && t < heat;
    let cooling = matches!(mode, 1 | 3) && t > cool;
    let state = i64::from(heating) | i64::from(cooling) << 1;
    z.set(1, THERMOSTAT_CLUSTER, RUNNING_STATE, state);
}
