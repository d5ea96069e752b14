//! The ZCL data types (ZCL spec §2.6.2, Table 2-10): every type ID with its encoding, as one
//! [`Value`] enum that decodes given a type ID and encodes back byte-exact. Attribute reads,
//! writes and reports carry a type ID before each value, so this is the one place that knows how
//! long a value is.
//!
//! Encodings are little-endian. Integers of 24, 40, 48 and 56 bits are kept in `u64`/`i64`
//! (signed ones sign-extended). Strings are kept as bytes (a character string is not guaranteed
//! UTF-8 on the wire; [`Value::as_str`] checks). Floats are kept as their bits, so NaN payloads
//! and negative zero survive a round trip.
//!
//! "Non-value" sentinels (the specification's *invalid number*), reported by
//! [`Value::is_non_value`]: unsigned integers, enums and bitmaps... all bits set (`0xFF`,
//! `0xFFFF`, ...); signed integers the most negative value (`0x80`, `0x8000`, ...); boolean
//! `0xFF`; strings and arrays/structures a length or count of all ones (`0xFF`, `0xFFFF`), kept as
//! `None`; floats NaN; UTC time, dates and times all ones; IEEE address all ones. Bitmaps and
//! data types have no invalid value.
//!
//! Array, set, bag and structure are parsed generically (element type and count, or per-element
//! type IDs), nested at most [`MAX_DEPTH`] deep. Type IDs that are reserved, and arrays of
//! `nodata`, are refused with [`Error::UnknownDataType`]: their length cannot be known.

use super::{Error, Result};

/// How deep arrays and structures may nest before decoding refuses.
pub const MAX_DEPTH: usize = 4;

/// A ZCL data type ID (one byte before every attribute value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DataType(pub u8);

#[allow(missing_docs)]
impl DataType {
    pub const NO_DATA: Self = Self(0x00);
    pub const DATA8: Self = Self(0x08);
    pub const DATA16: Self = Self(0x09);
    pub const DATA24: Self = Self(0x0A);
    pub const DATA32: Self = Self(0x0B);
    pub const DATA40: Self = Self(0x0C);
    pub const DATA48: Self = Self(0x0D);
    pub const DATA56: Self = Self(0x0E);
    pub const DATA64: Self = Self(0x0F);
    pub const BOOLEAN: Self = Self(0x10);
    pub const BITMAP8: Self = Self(0x18);
    pub const BITMAP16: Self = Self(0x19);
    pub const BITMAP24: Self = Self(0x1A);
    pub const BITMAP32: Self = Self(0x1B);
    pub const BITMAP40: Self = Self(0x1C);
    pub const BITMAP48: Self = Self(0x1D);
    pub const BITMAP56: Self = Self(0x1E);
    pub const BITMAP64: Self = Self(0x1F);
    pub const UINT8: Self = Self(0x20);
    pub const UINT16: Self = Self(0x21);
    pub const UINT24: Self = Self(0x22);
    pub const UINT32: Self = Self(0x23);
    pub const UINT40: Self = Self(0x24);
    pub const UINT48: Self = Self(0x25);
    pub const UINT56: Self = Self(0x26);
    pub const UINT64: Self = Self(0x27);
    pub const INT8: Self = Self(0x28);
    pub const INT16: Self = Self(0x29);
    pub const INT24: Self = Self(0x2A);
    pub const INT32: Self = Self(0x2B);
    pub const INT40: Self = Self(0x2C);
    pub const INT48: Self = Self(0x2D);
    pub const INT56: Self = Self(0x2E);
    pub const INT64: Self = Self(0x2F);
    pub const ENUM8: Self = Self(0x30);
    pub const ENUM16: Self = Self(0x31);
    pub const SEMI_FLOAT: Self = Self(0x38);
    pub const SINGLE: Self = Self(0x39);
    pub const DOUBLE: Self = Self(0x3A);
    pub const OCTET_STRING: Self = Self(0x41);
    pub const CHAR_STRING: Self = Self(0x42);
    pub const LONG_OCTET_STRING: Self = Self(0x43);
    pub const LONG_CHAR_STRING: Self = Self(0x44);
    pub const ARRAY: Self = Self(0x48);
    pub const STRUCT: Self = Self(0x4C);
    pub const SET: Self = Self(0x50);
    pub const BAG: Self = Self(0x51);
    pub const TIME_OF_DAY: Self = Self(0xE0);
    pub const DATE: Self = Self(0xE1);
    pub const UTC_TIME: Self = Self(0xE2);
    pub const CLUSTER_ID: Self = Self(0xE8);
    pub const ATTRIBUTE_ID: Self = Self(0xE9);
    pub const BACNET_OID: Self = Self(0xEA);
    pub const IEEE_ADDRESS: Self = Self(0xF0);
    pub const KEY128: Self = Self(0xF1);
    pub const UNKNOWN: Self = Self(0xFF);
}

impl DataType {
    /// Whether the type is *analog* (ZCL §2.6.2): Configure Reporting then carries a
    /// reportable change of this type. Integers, floats and the time types are; bitmaps, enums,
    /// strings and the rest are *discrete*.
    pub fn is_analog(self) -> bool {
        matches!(self.0, 0x20..=0x2F | 0x38..=0x3A | 0xE0..=0xE2)
    }

    /// Byte width of the fixed-width integer families (data, bitmap, uint, int), 1..=8.
    fn int_width(self) -> Option<u8> {
        match self.0 {
            0x08..=0x0F | 0x18..=0x1F | 0x20..=0x27 | 0x28..=0x2F => Some((self.0 & 0x07) + 1),
            _ => None,
        }
    }
}

/// An IEEE-754 single as its bits (so that values round-trip exactly and `Eq` holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Single(pub u32);

impl Single {
    /// The value as a float.
    pub fn get(self) -> f32 {
        f32::from_bits(self.0)
    }

    /// From a float.
    pub fn new(value: f32) -> Self {
        Self(value.to_bits())
    }
}

/// One ZCL value with its type. Integer widths are in bytes (1..=8).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// `nodata` (0x00): no bytes.
    NoData,
    /// `data8`..`data64` (0x08..0x0F): opaque bits.
    Data {
        /// Width in bytes.
        width: u8,
        /// The bits, zero-extended.
        value: u64,
    },
    /// `bool` (0x10): 0 false, 1 true, 0xFF invalid; kept raw.
    Boolean(u8),
    /// `map8`..`map64` (0x18..0x1F).
    Bitmap {
        /// Width in bytes.
        width: u8,
        /// The bits.
        value: u64,
    },
    /// `uint8`..`uint64` (0x20..0x27).
    Uint {
        /// Width in bytes.
        width: u8,
        /// The value, zero-extended.
        value: u64,
    },
    /// `int8`..`int64` (0x28..0x2F).
    Int {
        /// Width in bytes.
        width: u8,
        /// The value, sign-extended.
        value: i64,
    },
    /// `enum8` (0x30).
    Enum8(u8),
    /// `enum16` (0x31).
    Enum16(u16),
    /// `semi` (0x38): IEEE-754 half precision, as bits.
    SemiFloat(u16),
    /// `single` (0x39).
    Single(Single),
    /// `double` (0x3A), as bits.
    Double(u64),
    /// `octstr` (0x41): `None` is the invalid length 0xFF.
    OctetString(Option<Vec<u8>>),
    /// `string` (0x42): `None` is the invalid length 0xFF.
    CharString(Option<Vec<u8>>),
    /// `octstr16` (0x43): `None` is the invalid length 0xFFFF.
    LongOctetString(Option<Vec<u8>>),
    /// `string16` (0x44): `None` is the invalid length 0xFFFF.
    LongCharString(Option<Vec<u8>>),
    /// `array` (0x48), `set` (0x50) or `bag` (0x51): one element type, a 16-bit count.
    Collection {
        /// Which of the three.
        kind: DataType,
        /// Type of every element.
        element_type: DataType,
        /// The elements; `None` is the invalid count 0xFFFF.
        elements: Option<Vec<Value>>,
    },
    /// `struct` (0x4C): a 16-bit count, then type ID and value per member.
    Struct(Option<Vec<Value>>),
    /// `ToD` (0xE0): hours, minutes, seconds, hundredths.
    TimeOfDay([u8; 4]),
    /// `date` (0xE1): year-1900, month, day, weekday.
    Date([u8; 4]),
    /// `UTC` (0xE2): seconds since 2000-01-01 00:00 UTC.
    UtcTime(u32),
    /// `clusterId` (0xE8).
    ClusterId(u16),
    /// `attribId` (0xE9).
    AttributeId(u16),
    /// `bacOID` (0xEA).
    BacnetOid(u32),
    /// `EUI64` (0xF0), wire order (little-endian).
    Ieee([u8; 8]),
    /// `key128` (0xF1).
    Key128([u8; 16]),
}

/// Reads fields from a byte slice, refusing to run past its end.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(Error::Truncated);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// An unsigned little-endian integer of `width` bytes (1..=8).
    pub(crate) fn uint(&mut self, width: u8) -> Result<u64> {
        let mut buf = [0u8; 8];
        let bytes = self.take(usize::from(width))?;
        buf.get_mut(..bytes.len())
            .ok_or_else(|| Error::Invalid("integer wider than 8 bytes".into()))?
            .copy_from_slice(bytes);
        Ok(u64::from_le_bytes(buf))
    }

    /// Fails with [`Error::TrailingBytes`] unless everything was read.
    pub(crate) fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes(self.bytes.len()))
        }
    }
}

/// Writes the low `width` bytes of `value`, little-endian.
fn put_uint(out: &mut Vec<u8>, width: u8, value: u64) {
    out.extend_from_slice(&value.to_le_bytes()[..usize::from(width.min(8))]);
}

fn fits_unsigned(width: u8, value: u64) -> bool {
    width >= 8 || value >> (u32::from(width) * 8) == 0
}

fn fits_signed(width: u8, value: i64) -> bool {
    if width >= 8 {
        return true;
    }
    let bits = u32::from(width) * 8;
    let min = -(1i64 << (bits - 1));
    let max = (1i64 << (bits - 1)) - 1;
    (min..=max).contains(&value)
}

fn sign_extend(width: u8, raw: u64) -> i64 {
    let shift = 64 - u32::from(width.clamp(1, 8)) * 8;
    ((raw << shift) as i64) >> shift
}

impl Value {
    /// The type ID this value travels under.
    pub fn data_type(&self) -> DataType {
        let w = |base: u8, width: &u8| DataType(base + width.saturating_sub(1).min(7));
        match self {
            Value::NoData => DataType::NO_DATA,
            Value::Data { width, .. } => w(0x08, width),
            Value::Boolean(_) => DataType::BOOLEAN,
            Value::Bitmap { width, .. } => w(0x18, width),
            Value::Uint { width, .. } => w(0x20, width),
            Value::Int { width, .. } => w(0x28, width),
            Value::Enum8(_) => DataType::ENUM8,
            Value::Enum16(_) => DataType::ENUM16,
            Value::SemiFloat(_) => DataType::SEMI_FLOAT,
            Value::Single(_) => DataType::SINGLE,
            Value::Double(_) => DataType::DOUBLE,
            Value::OctetString(_) => DataType::OCTET_STRING,
            Value::CharString(_) => DataType::CHAR_STRING,
            Value::LongOctetString(_) => DataType::LONG_OCTET_STRING,
            Value::LongCharString(_) => DataType::LONG_CHAR_STRING,
            Value::Collection { kind, .. } => *kind,
            Value::Struct(_) => DataType::STRUCT,
            Value::TimeOfDay(_) => DataType::TIME_OF_DAY,
            Value::Date(_) => DataType::DATE,
            Value::UtcTime(_) => DataType::UTC_TIME,
            Value::ClusterId(_) => DataType::CLUSTER_ID,
            Value::AttributeId(_) => DataType::ATTRIBUTE_ID,
            Value::BacnetOid(_) => DataType::BACNET_OID,
            Value::Ieee(_) => DataType::IEEE_ADDRESS,
            Value::Key128(_) => DataType::KEY128,
        }
    }

    /// Decodes one value of type `data_type` from the whole of `bytes`.
    pub fn decode(data_type: DataType, bytes: &[u8]) -> Result<Self> {
        let mut cursor = Cursor::new(bytes);
        let value = Self::read(data_type, &mut cursor)?;
        cursor.finish()?;
        Ok(value)
    }

    /// Encodes the value (without its type ID).
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write(&mut out)?;
        Ok(out)
    }

    /// Reads one value of `data_type`.
    pub(crate) fn read(data_type: DataType, c: &mut Cursor<'_>) -> Result<Self> {
        Self::read_nested(data_type, c, 0)
    }

    fn read_nested(data_type: DataType, c: &mut Cursor<'_>, depth: usize) -> Result<Self> {
        if let Some(width) = data_type.int_width() {
            let raw = c.uint(width)?;
            return Ok(match data_type.0 {
                0x08..=0x0F => Value::Data { width, value: raw },
                0x18..=0x1F => Value::Bitmap { width, value: raw },
                0x20..=0x27 => Value::Uint { width, value: raw },
                _ => Value::Int {
                    width,
                    value: sign_extend(width, raw),
                },
            });
        }
        let string8 = |c: &mut Cursor<'_>| -> Result<Option<Vec<u8>>> {
            match c.u8()? {
                0xFF => Ok(None),
                n => Ok(Some(c.take(usize::from(n))?.to_vec())),
            }
        };
        let string16 = |c: &mut Cursor<'_>| -> Result<Option<Vec<u8>>> {
            match c.u16()? {
                0xFFFF => Ok(None),
                n => Ok(Some(c.take(usize::from(n))?.to_vec())),
            }
        };
        Ok(match data_type {
            DataType::NO_DATA => Value::NoData,
            DataType::BOOLEAN => Value::Boolean(c.u8()?),
            DataType::ENUM8 => Value::Enum8(c.u8()?),
            DataType::ENUM16 => Value::Enum16(c.u16()?),
            DataType::SEMI_FLOAT => Value::SemiFloat(c.u16()?),
            DataType::SINGLE => Value::Single(Single(u32::from_le_bytes(c.array()?))),
            DataType::DOUBLE => Value::Double(u64::from_le_bytes(c.array()?)),
            DataType::OCTET_STRING => Value::OctetString(string8(c)?),
            DataType::CHAR_STRING => Value::CharString(string8(c)?),
            DataType::LONG_OCTET_STRING => Value::LongOctetString(string16(c)?),
            DataType::LONG_CHAR_STRING => Value::LongCharString(string16(c)?),
            DataType::ARRAY | DataType::SET | DataType::BAG => {
                if depth >= MAX_DEPTH {
                    return Err(Error::TooDeep);
                }
                let element_type = DataType(c.u8()?);
                if element_type == DataType::NO_DATA {
                    return Err(Error::UnknownDataType(element_type.0));
                }
                let elements = match c.u16()? {
                    0xFFFF => None,
                    count => {
                        let mut items = Vec::new();
                        for _ in 0..count {
                            items.push(Self::read_nested(element_type, c, depth + 1)?);
                        }
                        Some(items)
                    }
                };
                Value::Collection {
                    kind: data_type,
                    element_type,
                    elements,
                }
            }
            DataType::STRUCT => {
                if depth >= MAX_DEPTH {
                    return Err(Error::TooDeep);
                }
                match c.u16()? {
                    0xFFFF => Value::Struct(None),
                    count => {
                        let mut members = Vec::new();
                        for _ in 0..count {
                            let member_type = DataType(c.u8()?);
                            members.push(Self::read_nested(member_type, c, depth + 1)?);
                        }
                        Value::Struct(Some(members))
                    }
                }
            }
            DataType::TIME_OF_DAY => Value::TimeOfDay(c.array()?),
            DataType::DATE => Value::Date(c.array()?),
            DataType::UTC_TIME => Value::UtcTime(u32::from_le_bytes(c.array()?)),
            DataType::CLUSTER_ID => Value::ClusterId(c.u16()?),
            DataType::ATTRIBUTE_ID => Value::AttributeId(c.u16()?),
            DataType::BACNET_OID => Value::BacnetOid(u32::from_le_bytes(c.array()?)),
            DataType::IEEE_ADDRESS => Value::Ieee(c.array()?),
            DataType::KEY128 => Value::Key128(c.array()?),
            other => return Err(Error::UnknownDataType(other.0)),
        })
    }

    /// Appends the encoding (without type ID); refuses values that do not fit their type.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        let bad_width = |w: &u8| !(1..=8).contains(w);
        let string8 = |out: &mut Vec<u8>, s: &Option<Vec<u8>>| -> Result<()> {
            match s {
                None => out.push(0xFF),
                Some(bytes) => {
                    let n = u8::try_from(bytes.len())
                        .ok()
                        .filter(|n| *n != 0xFF)
                        .ok_or_else(|| Error::Invalid("string over 254 bytes".into()))?;
                    out.push(n);
                    out.extend_from_slice(bytes);
                }
            }
            Ok(())
        };
        let string16 = |out: &mut Vec<u8>, s: &Option<Vec<u8>>| -> Result<()> {
            match s {
                None => out.extend_from_slice(&[0xFF, 0xFF]),
                Some(bytes) => {
                    let n = u16::try_from(bytes.len())
                        .ok()
                        .filter(|n| *n != 0xFFFF)
                        .ok_or_else(|| Error::Invalid("long string over 65534 bytes".into()))?;
                    out.extend_from_slice(&n.to_le_bytes());
                    out.extend_from_slice(bytes);
                }
            }
            Ok(())
        };
        let count16 = |n: usize| -> Result<[u8; 2]> {
            u16::try_from(n)
                .ok()
                .filter(|n| *n != 0xFFFF)
                .map(u16::to_le_bytes)
                .ok_or_else(|| Error::Invalid("over 65534 elements".into()))
        };
        match self {
            Value::NoData => {}
            Value::Data { width, value }
            | Value::Bitmap { width, value }
            | Value::Uint { width, value } => {
                if bad_width(width) || !fits_unsigned(*width, *value) {
                    return Err(Error::Invalid(format!(
                        "{value:#x} does not fit {width} bytes"
                    )));
                }
                put_uint(out, *width, *value);
            }
            Value::Int { width, value } => {
                if bad_width(width) || !fits_signed(*width, *value) {
                    return Err(Error::Invalid(format!(
                        "{value} does not fit {width} bytes"
                    )));
                }
                put_uint(out, *width, *value as u64);
            }
            Value::Boolean(b) | Value::Enum8(b) => out.push(*b),
            Value::Enum16(v)
            | Value::SemiFloat(v)
            | Value::ClusterId(v)
            | Value::AttributeId(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::Single(s) => out.extend_from_slice(&s.0.to_le_bytes()),
            Value::Double(d) => out.extend_from_slice(&d.to_le_bytes()),
            Value::OctetString(s) | Value::CharString(s) => string8(out, s)?,
            Value::LongOctetString(s) | Value::LongCharString(s) => string16(out, s)?,
            Value::Collection {
                kind,
                element_type,
                elements,
            } => {
                if ![DataType::ARRAY, DataType::SET, DataType::BAG].contains(kind) {
                    return Err(Error::Invalid(format!("{kind:?} is not a collection")));
                }
                out.push(element_type.0);
                match elements {
                    None => out.extend_from_slice(&[0xFF, 0xFF]),
                    Some(items) => {
                        out.extend_from_slice(&count16(items.len())?);
                        for item in items {
                            if item.data_type() != *element_type {
                                return Err(Error::Invalid("element of another type".into()));
                            }
                            item.write(out)?;
                        }
                    }
                }
            }
            Value::Struct(members) => match members {
                None => out.extend_from_slice(&[0xFF, 0xFF]),
                Some(items) => {
                    out.extend_from_slice(&count16(items.len())?);
                    for item in items {
                        out.push(item.data_type().0);
                        item.write(out)?;
                    }
                }
            },
            Value::TimeOfDay(b) | Value::Date(b) => out.extend_from_slice(b),
            Value::UtcTime(v) | Value::BacnetOid(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::Ieee(b) => out.extend_from_slice(b),
            Value::Key128(b) => out.extend_from_slice(b),
        }
        Ok(())
    }

    /// Whether this is the type's "invalid"/non-value sentinel (see the module docs).
    pub fn is_non_value(&self) -> bool {
        let all_ones = |width: u8| {
            if width >= 8 {
                u64::MAX
            } else {
                (1u64 << (u32::from(width) * 8)) - 1
            }
        };
        match self {
            Value::Uint { width, value } => *value == all_ones(*width),
            Value::Int { width, value } => {
                let bits = u32::from((*width).clamp(1, 8)) * 8;
                *value == sign_extend(*width, 1u64 << (bits - 1))
            }
            Value::Boolean(b) | Value::Enum8(b) => *b == 0xFF,
            Value::Enum16(v) => *v == 0xFFFF,
            Value::SemiFloat(v) => (v & 0x7C00) == 0x7C00 && (v & 0x03FF) != 0,
            Value::Single(s) => s.get().is_nan(),
            Value::Double(d) => f64::from_bits(*d).is_nan(),
            Value::OctetString(None)
            | Value::CharString(None)
            | Value::LongOctetString(None)
            | Value::LongCharString(None)
            | Value::Struct(None)
            | Value::Collection { elements: None, .. } => true,
            Value::TimeOfDay(b) | Value::Date(b) => *b == [0xFF; 4],
            Value::UtcTime(v) | Value::BacnetOid(v) => *v == u32::MAX,
            Value::ClusterId(v) | Value::AttributeId(v) => *v == 0xFFFF,
            Value::Ieee(b) => *b == [0xFF; 8],
            _ => false,
        }
    }

    /// The value as an unsigned integer, for the integer-like types (uint, data, bitmap, enum,
    /// boolean); `None` for the others.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Uint { value, .. } | Value::Data { value, .. } | Value::Bitmap { value, .. } => {
                Some(*value)
            }
            Value::Enum8(v) | Value::Boolean(v) => Some(u64::from(*v)),
            Value::Enum16(v) => Some(u64::from(*v)),
            _ => None,
        }
    }

    /// The value as a signed integer, for `int*` and the unsigned types that fit.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int { value, .. } => Some(*value),
            other => other.as_u64().and_then(|v| i64::try_from(v).ok()),
        }
    }

    /// A character string as text, if valid and UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::CharString(Some(bytes)) | Value::LongCharString(Some(bytes)) => {
                core::str::from_utf8(bytes).ok()
            }
            _ => None,
        }
    }

    /// `uint` of `width` bytes, for building requests.
    pub fn uint(width: u8, value: u64) -> Self {
        Value::Uint { width, value }
    }

    /// `int` of `width` bytes, for building requests.
    pub fn int(width: u8, value: i64) -> Self {
        Value::Int { width, value }
    }

    /// A character string, for building requests.
    pub fn string(text: &str) -> Self {
        Value::CharString(Some(text.as_bytes().to_vec()))
    }
}

/// Reads a type ID and the value after it (report and write records, struct members).
pub(crate) fn read_typed(c: &mut Cursor<'_>) -> Result<Value> {
    let data_type = DataType(c.u8()?);
    Value::read(data_type, c)
}

/// Writes a type ID and the value.
pub(crate) fn write_typed(value: &Value, out: &mut Vec<u8>) -> Result<()> {
    out.push(value.data_type().0);
    value.write(out)
}
