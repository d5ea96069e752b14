//! Measurement and sensing clusters with attributes only: Illuminance Measurement (0x0400),
//! Temperature Measurement (0x0402), Relative Humidity (0x0405), Occupancy Sensing (0x0406).

use super::attribute;

/// Illuminance Measurement cluster ID.
pub const ILLUMINANCE_CLUSTER_ID: u16 = 0x0400;
/// Temperature Measurement cluster ID.
pub const TEMPERATURE_CLUSTER_ID: u16 = 0x0402;
/// Relative Humidity Measurement cluster ID.
pub const HUMIDITY_CLUSTER_ID: u16 = 0x0405;
/// Occupancy Sensing cluster ID.
pub const OCCUPANCY_CLUSTER_ID: u16 = 0x0406;

attribute!(
    /// Illuminance: 10000 × log10(lux) + 1 (0 too dark to measure, 0xFFFF invalid).
    ILLUMINANCE_MEASURED_VALUE = 0x0000, UINT16, "MeasuredValue");
attribute!(
    /// Temperature: 0.01 °C (0x8000 invalid).
    TEMPERATURE_MEASURED_VALUE = 0x0000, INT16, "MeasuredValue");
attribute!(
    /// Temperature: lowest measurable.
    TEMPERATURE_MIN_MEASURED_VALUE = 0x0001, INT16, "MinMeasuredValue");
attribute!(
    /// Temperature: highest measurable.
    TEMPERATURE_MAX_MEASURED_VALUE = 0x0002, INT16, "MaxMeasuredValue");
attribute!(
    /// Relative humidity: 0.01 % (0xFFFF invalid).
    HUMIDITY_MEASURED_VALUE = 0x0000, UINT16, "MeasuredValue");
attribute!(
    /// Occupancy: bit 0 occupied.
    OCCUPANCY = 0x0000, BITMAP8, "Occupancy");
attribute!(
    /// Occupancy sensor type: 0 PIR, 1 ultrasonic, 2 both, 3 physical contact.
    OCCUPANCY_SENSOR_TYPE = 0x0001, ENUM8, "OccupancySensorType");
