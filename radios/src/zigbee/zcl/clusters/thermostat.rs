//! Thermostat (0x0201): temperatures in 0.01 °C, setpoints and the system mode.

use deku::prelude::*;

use super::{attribute, cluster_commands};

/// Cluster ID.
pub const CLUSTER_ID: u16 = 0x0201;

attribute!(
    /// Measured temperature, 0.01 °C (0x8000 invalid).
    LOCAL_TEMPERATURE = 0x0000, INT16, "LocalTemperature");
attribute!(
    /// Cooling setpoint when occupied, 0.01 °C.
    OCCUPIED_COOLING_SETPOINT = 0x0011, INT16, "OccupiedCoolingSetpoint");
attribute!(
    /// Heating setpoint when occupied, 0.01 °C.
    OCCUPIED_HEATING_SETPOINT = 0x0012, INT16, "OccupiedHeatingSetpoint");
attribute!(
    /// 0 off, 1 auto, 3 cool, 4 heat, ...
    SYSTEM_MODE = 0x001C, ENUM8, "SystemMode");
attribute!(
    /// Bits: heat, cool, fan, ... stages running.
    RUNNING_STATE = 0x0029, BITMAP16, "ThermostatRunningState");

/// Setpoint Raise/Lower (0x00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetpointRaiseLower {
    /// 0 heat, 1 cool, 2 both.
    pub mode: u8,
    /// Change in 0.1 °C, signed.
    pub amount: i8,
}

cluster_commands!(CLUSTER_ID,
    /// Thermostat commands, hub → thermostat.
    ToServer {
        /// Setpoint Raise/Lower.
        SetpointRaiseLower(SetpointRaiseLower) = 0x00,
    }
);
