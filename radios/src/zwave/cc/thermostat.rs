//! Thermostats: Thermostat Mode (0x40), Thermostat Operating State (0x42) and Thermostat
//! Setpoint (0x43, values in the shared [`ScaledValue`] encoding).

use super::{CommandSet, Reader, Result, ScaledValue, ids};

/// Thermostat Mode CC (0 off, 1 heat, 2 cool, 3 auto, …, 0x1F manufacturer specific).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThermostatMode {
    /// 0x01: select a mode (v3 may carry manufacturer data).
    Set {
        /// Mode (0..=31).
        mode: u8,
        /// Up to 7 bytes for the manufacturer-specific mode.
        manufacturer_data: Vec<u8>,
    },
    /// 0x02: ask for a Report.
    Get,
    /// 0x03: the current mode.
    Report {
        /// Mode (0..=31).
        mode: u8,
        /// Up to 7 bytes for the manufacturer-specific mode.
        manufacturer_data: Vec<u8>,
    },
    /// 0x04: ask which modes are supported.
    SupportedGet,
    /// 0x05: supported modes as a bit mask (bit n = mode n).
    SupportedReport {
        /// Mask bytes, LSB first.
        mask: Vec<u8>,
    },
}

fn read_mode(r: &mut Reader<'_>) -> Result<(u8, Vec<u8>)> {
    let b = r.u8()?;
    let data = r.bytes(usize::from(b >> 5))?.to_vec();
    Ok((b & 0x1F, data))
}

fn write_mode(out: &mut Vec<u8>, mode: u8, data: &[u8]) -> Result<()> {
    if mode > 0x1F || data.len() > 7 {
        return Err(super::Error::Unencodable(
            "mode > 31 or manufacturer data > 7 bytes",
        ));
    }
    out.push(((data.len() as u8) << 5) | mode);
    out.extend_from_slice(data);
    Ok(())
}

impl CommandSet for ThermostatMode {
    const CC: u8 = ids::THERMOSTAT_MODE;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => {
                let (mode, manufacturer_data) = read_mode(r)?;
                Self::Set {
                    mode,
                    manufacturer_data,
                }
            }
            0x02 => Self::Get,
            0x03 => {
                let (mode, manufacturer_data) = read_mode(r)?;
                Self::Report {
                    mode,
                    manufacturer_data,
                }
            }
            0x04 => Self::SupportedGet,
            0x05 => Self::SupportedReport {
                mask: r.rest().to_vec(),
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Set {
                mode,
                manufacturer_data,
            } => {
                write_mode(out, *mode, manufacturer_data)?;
                0x01
            }
            Self::Get => 0x02,
            Self::Report {
                mode,
                manufacturer_data,
            } => {
                write_mode(out, *mode, manufacturer_data)?;
                0x03
            }
            Self::SupportedGet => 0x04,
            Self::SupportedReport { mask } => {
                out.extend_from_slice(mask);
                0x05
            }
        })
    }
}

/// Thermostat Operating State CC: what the HVAC is doing right now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThermostatOperatingState {
    /// 0x02: ask for a Report.
    Get,
    /// 0x03: the state (0 idle, 1 heating, 2 cooling, 3 fan only, …; low nibble in v1).
    Report {
        /// State byte as sent.
        state: u8,
    },
}

impl CommandSet for ThermostatOperatingState {
    const CC: u8 = ids::THERMOSTAT_OPERATING_STATE;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x02 => Self::Get,
            0x03 => Self::Report { state: r.u8()? },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Get => 0x02,
            Self::Report { state } => {
                out.push(*state);
                0x03
            }
        })
    }
}

/// Thermostat Setpoint CC: target temperatures per setpoint type (1 heating, 2 cooling, …);
/// scale 0 = °C, 1 = °F.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThermostatSetpoint {
    /// 0x01: set one setpoint.
    Set {
        /// Setpoint type (0..=15).
        setpoint_type: u8,
        /// The temperature.
        value: ScaledValue,
    },
    /// 0x02: ask for one setpoint.
    Get {
        /// Setpoint type (0..=15).
        setpoint_type: u8,
    },
    /// 0x03: one setpoint's value.
    Report {
        /// Setpoint type (0..=15).
        setpoint_type: u8,
        /// The temperature.
        value: ScaledValue,
    },
    /// 0x04: ask which setpoint types exist.
    SupportedGet,
    /// 0x05: supported types as a bit mask.
    SupportedReport {
        /// Mask bytes, LSB first.
        mask: Vec<u8>,
    },
}

fn read_type(r: &mut Reader<'_>) -> Result<u8> {
    let t = r.u8()?;
    if t > 0x0F {
        return Err(r.invalid("reserved bits set in setpoint type"));
    }
    Ok(t)
}

fn check_type(t: u8) -> Result<u8> {
    if t > 0x0F {
        return Err(super::Error::Unencodable("setpoint type > 15"));
    }
    Ok(t)
}

impl CommandSet for ThermostatSetpoint {
    const CC: u8 = ids::THERMOSTAT_SETPOINT;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => Self::Set {
                setpoint_type: read_type(r)?,
                value: ScaledValue::read(r)?,
            },
            0x02 => Self::Get {
                setpoint_type: read_type(r)?,
            },
            0x03 => Self::Report {
                setpoint_type: read_type(r)?,
                value: ScaledValue::read(r)?,
            },
            0x04 => Self::SupportedGet,
            0x05 => Self::SupportedReport {
                mask: r.rest().to_vec(),
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Set {
                setpoint_type,
                value,
            } => {
                out.push(check_type(*setpoint_type)?);
                value.write(out)?;
                0x01
            }
            Self::Get { setpoint_type } => {
                out.push(check_type(*setpoint_type)?);
                0x02
            }
            Self::Report {
                setpoint_type,
                value,
            } => {
                out.push(check_type(*setpoint_type)?);
                value.write(out)?;
                0x03
            }
            Self::SupportedGet => 0x04,
            Self::SupportedReport { mask } => {
                out.extend_from_slice(mask);
                0x05
            }
        })
    }
}
