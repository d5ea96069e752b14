//! Strict CBOR for the envelope's own structures: one encoding per value, so the bytes that
//! are signed and the bytes that are parsed can never disagree.

use super::{Error, Result};
use coset::cbor::value::Value;

/// Encodes a value; encoding an in-memory `Value` into a `Vec` does not fail.
pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = coset::cbor::ser::into_writer(value, &mut out);
    out
}

/// Decodes exactly one item and refuses trailing bytes and any non-canonical encoding
/// (indefinite lengths, over-long integers or lengths), by re-encoding and comparing.
pub(crate) fn decode_canonical(bytes: &[u8], what: &str) -> Result<Value> {
    let mut reader = bytes;
    let value: Value = coset::cbor::de::from_reader(&mut reader)
        .map_err(|e| Error::Malformed(format!("{what}: {e}")))?;
    if !reader.is_empty() {
        return Err(Error::Malformed(format!("{what}: trailing bytes")));
    }
    if encode(&value) != bytes {
        return Err(Error::Malformed(format!(
            "{what}: not in canonical encoding"
        )));
    }
    Ok(value)
}

/// Reads a non-negative integer that fits in `u64`.
pub(crate) fn as_u64(v: &Value, what: &str) -> Result<u64> {
    v.as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| Error::Malformed(format!("{what} must be an unsigned integer")))
}

/// Reads a byte string of exactly `N` bytes.
pub(crate) fn as_array<const N: usize>(v: &Value, what: &str) -> Result<[u8; N]> {
    v.as_bytes()
        .and_then(|b| <[u8; N]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| Error::Malformed(format!("{what} must be a {N}-byte string")))
}
