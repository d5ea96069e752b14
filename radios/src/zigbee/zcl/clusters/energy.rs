//! Energy clusters with attributes only: Electrical Measurement (0x0B04) and Metering (0x0702).
//! Values are raw; the hub scales them with the multiplier/divisor attributes.

use super::attribute;

/// Electrical Measurement cluster ID.
pub const ELECTRICAL_MEASUREMENT_CLUSTER_ID: u16 = 0x0B04;
/// Metering cluster ID.
pub const METERING_CLUSTER_ID: u16 = 0x0702;

attribute!(
    /// RMS voltage, scaled by the AC voltage multiplier/divisor.
    RMS_VOLTAGE = 0x0505, UINT16, "RMSVoltage");
attribute!(
    /// RMS current, scaled by the AC current multiplier/divisor.
    RMS_CURRENT = 0x0508, UINT16, "RMSCurrent");
attribute!(
    /// Active power (W), scaled by the AC power multiplier/divisor.
    ACTIVE_POWER = 0x050B, INT16, "ActivePower");
attribute!(
    /// AC voltage multiplier.
    AC_VOLTAGE_MULTIPLIER = 0x0600, UINT16, "ACVoltageMultiplier");
attribute!(
    /// AC voltage divisor.
    AC_VOLTAGE_DIVISOR = 0x0601, UINT16, "ACVoltageDivisor");
attribute!(
    /// AC current multiplier.
    AC_CURRENT_MULTIPLIER = 0x0602, UINT16, "ACCurrentMultiplier");
attribute!(
    /// AC current divisor.
    AC_CURRENT_DIVISOR = 0x0603, UINT16, "ACCurrentDivisor");
attribute!(
    /// AC power multiplier.
    AC_POWER_MULTIPLIER = 0x0604, UINT16, "ACPowerMultiplier");
attribute!(
    /// AC power divisor.
    AC_POWER_DIVISOR = 0x0605, UINT16, "ACPowerDivisor");

attribute!(
    /// Metering: energy delivered, scaled by multiplier/divisor.
    CURRENT_SUMMATION_DELIVERED = 0x0000, UINT48, "CurrentSummationDelivered");
attribute!(
    /// Metering: 0 kWh, 1 m³, ...
    UNIT_OF_MEASURE = 0x0300, ENUM8, "UnitofMeasure");
attribute!(
    /// Metering multiplier.
    MULTIPLIER = 0x0301, UINT24, "Multiplier");
attribute!(
    /// Metering divisor.
    DIVISOR = 0x0302, UINT24, "Divisor");
attribute!(
    /// Metering: instantaneous demand, signed.
    INSTANTANEOUS_DEMAND = 0x0400, INT24, "InstantaneousDemand");
