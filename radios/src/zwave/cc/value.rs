//! The "value with precision, scale and size" encoding that Multilevel Sensor, Meter and
//! Thermostat Setpoint share: one byte `precision(3) | scale(2) | size(3)` followed by a signed
//! big-endian integer of `size` bytes (1, 2 or 4); the reading is `value / 10^precision` in the
//! unit `scale` selects. One helper so the three classes cannot disagree.

use super::{Reader, Result};

/// A reading as sent: integer value, decimal places, unit selector and wire width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScaledValue {
    /// Number of decimal places (0..=7).
    pub precision: u8,
    /// Unit selector (0..=3); its meaning depends on the sensor, meter or setpoint type.
    pub scale: u8,
    /// Bytes on the wire: 1, 2 or 4.
    pub size: u8,
    /// The signed integer as sent.
    pub value: i32,
}

impl ScaledValue {
    /// The smallest encoding of `value` with the given precision and scale.
    pub fn new(value: i32, precision: u8, scale: u8) -> Self {
        let size = if i8::try_from(value).is_ok() {
            1
        } else if i16::try_from(value).is_ok() {
            2
        } else {
            4
        };
        ScaledValue {
            precision,
            scale,
            size,
            value,
        }
    }

    /// The reading as a float (`value / 10^precision`), for display and thresholds.
    pub fn as_f64(&self) -> f64 {
        f64::from(self.value) / 10f64.powi(i32::from(self.precision))
    }

    /// The header byte (`precision | scale | size`).
    pub fn header(&self) -> u8 {
        (self.precision << 5) | ((self.scale & 0b11) << 3) | self.size
    }

    /// Reads the integer part of a value whose header byte is already known.
    pub fn read_value(r: &mut Reader<'_>, header: u8) -> Result<Self> {
        let size = header & 0b111;
        let value = Self::read_int(r, size)?;
        Ok(ScaledValue {
            precision: header >> 5,
            scale: (header >> 3) & 0b11,
            size,
            value,
        })
    }

    /// Reads a signed big-endian integer of `size` (1, 2 or 4) bytes.
    pub fn read_int(r: &mut Reader<'_>, size: u8) -> Result<i32> {
        Ok(match size {
            1 => i32::from(i8::from_be_bytes(r.array()?)),
            2 => i32::from(i16::from_be_bytes(r.array()?)),
            4 => i32::from_be_bytes(r.array()?),
            _ => return Err(r.invalid("value size must be 1, 2 or 4")),
        })
    }

    /// Reads header byte and value.
    pub fn read(r: &mut Reader<'_>) -> Result<Self> {
        let header = r.u8()?;
        Self::read_value(r, header)
    }

    /// Appends the integer in `self.size` bytes, refusing a value that does not fit.
    pub fn write_int(out: &mut Vec<u8>, size: u8, value: i32) -> Result<()> {
        let err = super::Error::Unencodable("value does not fit its size");
        match size {
            1 => out.extend_from_slice(&i8::try_from(value).map_err(|_| err)?.to_be_bytes()),
            2 => out.extend_from_slice(&i16::try_from(value).map_err(|_| err)?.to_be_bytes()),
            4 => out.extend_from_slice(&value.to_be_bytes()),
            _ => return Err(super::Error::Unencodable("value size must be 1, 2 or 4")),
        }
        Ok(())
    }

    /// Appends header byte and value.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        self.check()?;
        out.push(self.header());
        Self::write_int(out, self.size, self.value)
    }

    /// Appends only the integer (for the header byte shared with other fields, as in Meter).
    pub fn write_value(&self, out: &mut Vec<u8>) -> Result<()> {
        self.check()?;
        Self::write_int(out, self.size, self.value)
    }

    fn check(&self) -> Result<()> {
        if self.precision > 7 || self.scale > 3 {
            return Err(super::Error::Unencodable("precision > 7 or scale > 3"));
        }
        Ok(())
    }
}
