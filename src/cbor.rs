//! Strict CBOR, the one set of helpers every sealhub structure is read and written with
//! (routes, bodies, certificates, revocation lists, key distributions, the device model).
//!
//! What is signed and what is parsed must never disagree, so decoding takes exactly one item,
//! refuses trailing bytes and, where a structure is defined as deterministic, any encoding other
//! than the one [`encode`] writes (RFC 8949 §4.2.1: definite lengths, shortest integer forms;
//! callers keep map keys in ascending order). Nesting depth and hostile lengths are bounded by
//! ciborium's decoder. Each layer turns [`Error`] into its own error type.

use coset::cbor::value::Value;

/// Why bytes or a value were refused; `what` names the field, for the reader of a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not well-formed, not in the required encoding, or a field of the wrong type or size.
    #[error("{what}: {reason}")]
    Malformed {
        /// The structure or field.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A map with the same integer key twice.
    #[error("{what}: duplicate key {key}")]
    DuplicateKey {
        /// The map.
        what: String,
        /// The repeated key.
        key: i64,
    },
}

/// Result of this module.
pub type Result<T> = std::result::Result<T, Error>;

fn malformed(what: &str, reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: what.to_owned(),
        reason: reason.into(),
    }
}

/// Encodes a value: definite lengths and shortest integer forms (ciborium always writes
/// those). Writing an in-memory `Value` into a `Vec` cannot fail, so nothing is returned but
/// the bytes.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Infallible for a Vec writer: ciborium fails only when its writer does.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

/// Decodes exactly one item, refusing trailing bytes.
pub fn decode(bytes: &[u8], what: &str) -> Result<Value> {
    let mut rest = bytes;
    let value: Value =
        ciborium::de::from_reader(&mut rest).map_err(|e| malformed(what, e.to_string()))?;
    if !rest.is_empty() {
        return Err(malformed(what, "trailing bytes after the CBOR item"));
    }
    Ok(value)
}

/// Decodes exactly one item and refuses any encoding but the one [`encode`] writes (indefinite
/// lengths, over-long integers or lengths), by re-encoding and comparing. The re-encoding is
/// zeroized, since the bytes may hold a key.
pub fn decode_canonical(bytes: &[u8], what: &str) -> Result<Value> {
    let value = decode(bytes, what)?;
    if *zeroize::Zeroizing::new(encode(&value)) != bytes {
        return Err(malformed(what, "not in canonical encoding"));
    }
    Ok(value)
}

/// Overwrites every byte and text string inside `value` with zeros, then leaves `Null`: for
/// values that held key material (a key distribution's body) before they are dropped.
pub fn zeroize(value: &mut Value) {
    use zeroize::Zeroize;
    match value {
        Value::Bytes(b) => b.zeroize(),
        Value::Text(t) => t.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(zeroize),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            zeroize(k);
            zeroize(v);
        }),
        Value::Tag(_, inner) => zeroize(inner),
        _ => {}
    }
    *value = Value::Null;
}

/// An integer value.
pub fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

/// An unsigned integer value.
pub fn uint(u: u64) -> Value {
    Value::Integer(u.into())
}

/// A non-negative integer that fits in `u64`.
pub fn as_u64(v: &Value, what: &str) -> Result<u64> {
    v.as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| malformed(what, "must be an unsigned integer"))
}

/// An integer that fits in `i64`.
pub fn as_i64(v: &Value, what: &str) -> Result<i64> {
    v.as_integer()
        .and_then(|i| i64::try_from(i).ok())
        .ok_or_else(|| malformed(what, "must be an integer"))
}

/// A byte string of exactly `N` bytes.
pub fn as_array<const N: usize>(v: &Value, what: &str) -> Result<[u8; N]> {
    v.as_bytes()
        .and_then(|b| <[u8; N]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| malformed(what, format!("must be a {N}-byte string")))
}

/// A byte string of any length.
pub fn as_bytes<'a>(v: &'a Value, what: &str) -> Result<&'a [u8]> {
    v.as_bytes()
        .map(Vec::as_slice)
        .ok_or_else(|| malformed(what, "must be a byte string"))
}

/// A text string.
pub fn as_text<'a>(v: &'a Value, what: &str) -> Result<&'a str> {
    v.as_text()
        .ok_or_else(|| malformed(what, "must be a text string"))
}

/// A boolean.
pub fn as_bool(v: &Value, what: &str) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| malformed(what, "must be a boolean"))
}

/// The items of an array.
pub fn as_items<'a>(v: &'a Value, what: &str) -> Result<&'a [Value]> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| malformed(what, "must be an array"))
}

/// The entries of a map whose keys are all integers, refusing duplicates (order is left to the
/// caller, which knows whether its structure requires ascending keys).
pub fn int_map(value: Value, what: &str) -> Result<Vec<(i64, Value)>> {
    let Value::Map(entries) = value else {
        return Err(malformed(what, "must be a map"));
    };
    let mut out: Vec<(i64, Value)> = Vec::with_capacity(entries.len());
    let mut seen = std::collections::BTreeSet::new();
    for (k, v) in entries {
        let key = match k {
            Value::Integer(i) => {
                i64::try_from(i).map_err(|_| malformed(what, "map key out of range"))?
            }
            _ => return Err(malformed(what, "has a non-integer key")),
        };
        if !seen.insert(key) {
            return Err(Error::DuplicateKey {
                what: what.to_owned(),
                key,
            });
        }
        out.push((key, v));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_decoding_refuses_long_forms_and_trailing_bytes() {
        // 7 as a one-byte-length integer (0x18 0x07) is well-formed but not canonical.
        assert!(decode(&[0x18, 0x07], "n").is_ok());
        assert!(decode_canonical(&[0x18, 0x07], "n").is_err());
        assert_eq!(decode_canonical(&[0x07], "n"), Ok(uint(7)));
        assert!(decode(&[0x07, 0x00], "n").is_err());
        // An indefinite-length array [_ 1] is refused as non-canonical.
        assert!(decode_canonical(&[0x9f, 0x01, 0xff], "a").is_err());
    }

    #[test]
    fn int_maps_refuse_duplicates_and_other_keys() {
        let dup = Value::Map(vec![(int(1), int(2)), (int(1), int(3))]);
        assert_eq!(
            int_map(dup, "m"),
            Err(Error::DuplicateKey {
                what: "m".into(),
                key: 1
            })
        );
        let text_key = Value::Map(vec![(Value::Text("a".into()), int(2))]);
        assert!(int_map(text_key, "m").is_err());
    }

    #[test]
    fn zeroize_leaves_null() {
        let mut v = Value::Map(vec![(int(2), Value::Bytes(vec![7; 16]))]);
        zeroize(&mut v);
        assert_eq!(v, Value::Null);
    }

    #[test]
    fn accessors_check_type_and_size() {
        assert_eq!(as_array::<2>(&Value::Bytes(vec![1, 2]), "b"), Ok([1, 2]));
        assert!(as_array::<3>(&Value::Bytes(vec![1, 2]), "b").is_err());
        assert!(as_u64(&int(-1), "u").is_err());
        assert_eq!(as_i64(&int(-1), "i"), Ok(-1));
        assert!(as_text(&int(1), "t").is_err());
    }
}
