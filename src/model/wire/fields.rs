//! The building blocks every type's encoding is made of: choices (`[code, fields...]`),
//! records (maps with ascending integer keys), bounded numbers, lists and texts. Built on
//! [`crate::cbor`]; each helper turns a refusal into the model's [`Error`] naming the field.

use crate::cbor::{as_i64, as_items, as_text, as_u64, decode_canonical, int_map, uint};
use crate::envelope::DeviceId;
use crate::model::{Error, Result};
use coset::cbor::value::Value;

use super::{MAX_LABEL_CHARS, MAX_MESSAGE_BYTES};

/// A choice: `[code, fields...]`.
pub(super) fn choice(code: u64, fields: impl IntoIterator<Item = Value>) -> Value {
    let mut items = vec![uint(code)];
    items.extend(fields);
    Value::Array(items)
}

/// Reads a choice's code and all its items (the code included, so callers can destructure
/// them with [`arity`]).
pub(super) fn read_choice<'a>(value: &'a Value, what: &'static str) -> Result<(u64, &'a [Value])> {
    let items = as_items(value, what)?;
    let Some(code) = items.first() else {
        return Err(Error::WrongLength {
            what,
            expected: 1,
            found: 0,
        });
    };
    Ok((as_u64(code, what)?, items))
}

/// The items of a choice whose code takes `N - 1` fields.
pub(super) fn arity<'a, const N: usize>(
    items: &'a [Value],
    what: &'static str,
) -> Result<&'a [Value; N]> {
    items.try_into().map_err(|_| Error::WrongLength {
        what,
        expected: N,
        found: items.len(),
    })
}

/// An optional field of a choice: `null` when absent.
pub(super) fn or_null<T>(field: Option<T>, to_value: impl FnOnce(T) -> Value) -> Value {
    field.map_or(Value::Null, to_value)
}

/// Reads an optional field of a choice.
pub(super) fn nullable<'a, T>(
    value: &'a Value,
    read: impl FnOnce(&'a Value) -> Result<T>,
) -> Result<Option<T>> {
    match value {
        Value::Null => Ok(None),
        present => read(present).map(Some),
    }
}

/// An integer type a field is read into, and its range in words for errors.
pub(super) trait WireInt: Sized + TryFrom<u64> + TryFrom<i64> {
    /// The range, for the reader of an error.
    const RANGE: &'static str;
}

impl WireInt for u8 {
    const RANGE: &'static str = "0..=255";
}
impl WireInt for u16 {
    const RANGE: &'static str = "0..=65535";
}
impl WireInt for u32 {
    const RANGE: &'static str = "0..=4294967295";
}
impl WireInt for i32 {
    const RANGE: &'static str = "-2147483648..=2147483647";
}

/// An unsigned field of type `T`.
pub(super) fn unsigned<T: WireInt>(value: &Value, what: &'static str) -> Result<T> {
    let n = as_u64(value, what)?;
    T::try_from(n).map_err(|_| Error::OutOfRange {
        what,
        value: n.into(),
        range: T::RANGE,
    })
}

/// A signed field of type `T`.
pub(super) fn signed<T: WireInt>(value: &Value, what: &'static str) -> Result<T> {
    let n = as_i64(value, what)?;
    T::try_from(n).map_err(|_| Error::OutOfRange {
        what,
        value: n.into(),
        range: T::RANGE,
    })
}

/// Checks `low <= value <= high`.
pub(super) fn in_range(
    value: impl Into<i128>,
    low: impl Into<i128>,
    high: impl Into<i128>,
    what: &'static str,
    range: &'static str,
) -> Result<()> {
    let value = value.into();
    if value < low.into() || value > high.into() {
        return Err(Error::OutOfRange { what, value, range });
    }
    Ok(())
}

/// The items of a list, refused past `max`.
pub(super) fn list<'a>(value: &'a Value, what: &'static str, max: usize) -> Result<&'a [Value]> {
    let items = as_items(value, what)?;
    bounded(items.len(), max, what)?;
    Ok(items)
}

/// Checks a list's or byte string's length against its bound.
pub(super) fn bounded(len: usize, max: usize, what: &'static str) -> Result<()> {
    if len > max {
        return Err(Error::TooMany {
            what,
            max,
            found: len,
        });
    }
    Ok(())
}

/// Refuses a list that names something twice.
pub(super) fn distinct<T: Ord>(
    items: impl IntoIterator<Item = T>,
    what: &'static str,
) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        if !seen.insert(item) {
            return Err(Error::Repeated { what });
        }
    }
    Ok(())
}

/// Reads a text field.
pub(super) fn text(value: &Value, what: &'static str) -> Result<String> {
    Ok(as_text(value, what)?.to_owned())
}

/// Checks a name, room, manufacturer or model: 1 to [`MAX_LABEL_CHARS`] characters, none of
/// them a control character (one line, safe to show).
pub(super) fn check_label(s: &str, what: &'static str) -> Result<()> {
    check_line(s, what, 1, MAX_LABEL_CHARS, "must be 1-64 characters")
}

/// Checks a one-line text of `min..=max` characters without control characters.
pub(super) fn check_line(
    s: &str,
    what: &'static str,
    min: usize,
    max: usize,
    length_rule: &'static str,
) -> Result<()> {
    let chars = s.chars().count();
    if chars < min || chars > max {
        return Err(Error::InvalidText {
            what,
            rule: length_rule,
        });
    }
    if s.chars().any(char::is_control) {
        return Err(Error::InvalidText {
            what,
            rule: "must not contain control characters",
        });
    }
    Ok(())
}

/// Checks a text of `min..=max` ASCII digits (a user code, a PIN, a setup code).
pub(super) fn check_digits(
    s: &str,
    what: &'static str,
    min: usize,
    max: usize,
    rule: &'static str,
) -> Result<()> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidText { what, rule });
    }
    Ok(())
}

/// A device or client id.
pub(super) fn id_value(id: &DeviceId) -> Value {
    Value::Text(id.as_str().to_owned())
}

/// Reads a device or client id, as routes and certificates name it.
pub(super) fn device_id(value: &Value, what: &'static str) -> Result<DeviceId> {
    DeviceId::new(as_text(value, what)?).map_err(|_| Error::InvalidText {
        what,
        rule: "must be 1-64 characters of a-z 0-9 . _ : -",
    })
}

/// A record: a map with integer keys in ascending order, absent optional fields left out.
pub(super) fn record(entries: impl IntoIterator<Item = (i64, Option<Value>)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .filter_map(|(key, value)| value.map(|v| (Value::Integer(key.into()), v)))
            .collect(),
    )
}

/// A record's fields, read strictly: keys known, unique and ascending.
pub(super) struct Fields {
    what: &'static str,
    entries: Vec<(i64, Value)>,
}

impl Fields {
    /// Reads a map whose keys must all be in `known`.
    pub(super) fn read(value: &Value, what: &'static str, known: &[i64]) -> Result<Self> {
        let entries = int_map(value.clone(), what)?;
        if let Some(&(key, _)) = entries.iter().find(|(key, _)| !known.contains(key)) {
            return Err(Error::UnknownKey { what, key });
        }
        if entries.windows(2).any(|pair| pair[0].0 >= pair[1].0) {
            return Err(Error::KeyOrder { what });
        }
        Ok(Fields { what, entries })
    }

    /// An optional field.
    pub(super) fn optional(&self, key: i64) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A required field.
    pub(super) fn required(&self, key: i64) -> Result<&Value> {
        self.optional(key).ok_or(Error::MissingKey {
            what: self.what,
            key,
        })
    }
}

/// Decodes a whole message strictly: bounded in size, one item, deterministic encoding.
pub(super) fn read_bytes(bytes: &[u8], what: &'static str) -> Result<Value> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(Error::TooLarge {
            what,
            len: bytes.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    Ok(decode_canonical(bytes, what)?)
}
