//! Basic (0x0000) and Power Configuration (0x0001): who made the device, what model it is, how
//! it is powered, and how full its battery is.

use super::{Empty, attribute, cluster_commands};

/// Basic cluster ID.
pub const CLUSTER_ID: u16 = 0x0000;
/// Power Configuration cluster ID.
pub const POWER_CONFIGURATION_CLUSTER_ID: u16 = 0x0001;

attribute!(
    /// ZCL revision the device implements.
    ZCL_VERSION = 0x0000, UINT8, "ZCLVersion");
attribute!(
    /// Manufacturer name.
    MANUFACTURER_NAME = 0x0004, CHAR_STRING, "ManufacturerName");
attribute!(
    /// Model identifier.
    MODEL_ID = 0x0005, CHAR_STRING, "ModelIdentifier");
attribute!(
    /// Date code.
    DATE_CODE = 0x0006, CHAR_STRING, "DateCode");
attribute!(
    /// Power source: 1 mains single phase, 3 battery, ...; bit 7 a backup source.
    POWER_SOURCE = 0x0007, ENUM8, "PowerSource");
attribute!(
    /// Software build ID.
    SW_BUILD_ID = 0x4000, CHAR_STRING, "SWBuildID");

attribute!(
    /// Power Configuration: battery voltage in 100 mV units (0xFF invalid).
    BATTERY_VOLTAGE = 0x0020, UINT8, "BatteryVoltage");
attribute!(
    /// Power Configuration: battery remaining in half-percent units (200 = 100 %).
    BATTERY_PERCENTAGE_REMAINING = 0x0021, UINT8, "BatteryPercentageRemaining");
attribute!(
    /// Power Configuration: the battery voltage below which the device stops working, 100 mV.
    BATTERY_VOLTAGE_MIN_THRESHOLD = 0x0036, UINT8, "BatteryVoltageMinThreshold");
attribute!(
    /// Power Configuration: bits 0..3, battery source 1 reached its minimum or thresholds 1..3.
    BATTERY_ALARM_STATE = 0x003E, BITMAP32, "BatteryAlarmState");

/// Reset to Factory Defaults has no payload.
pub type ResetToFactoryDefaults = Empty;

cluster_commands!(CLUSTER_ID,
    /// Basic commands, hub → device.
    ToServer {
        /// Reset all clusters to factory defaults (not the network settings).
        ResetToFactoryDefaults(Empty) = 0x00,
    }
);
