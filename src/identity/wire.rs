//! Strict CBOR helpers shared by certificates and revocation lists: bounded decoding, integer-keyed
//! maps without duplicates, and the one header layout both use (`{1: -7}` / `{4: root kid}`).

use super::{Error, KID_LEN, Kid, Result};
use coset::cbor::value::Value;
use coset::{CoseSign1, Header, HeaderBuilder, iana};

/// The only protected header sealhub signs with: `{1: -7}` (ES256), as it must appear on the wire.
pub(crate) const PROTECTED_ES256: [u8; 3] = [0xa1, 0x01, 0x26];

/// Decodes exactly one CBOR item from `bytes`; nesting is bounded by ciborium's recursion limit
/// and byte strings are read in chunks, so hostile lengths and depths end in an error.
pub(crate) fn decode_value(bytes: &[u8]) -> Result<Value> {
    let mut rest = bytes;
    let value: Value =
        ciborium::de::from_reader(&mut rest).map_err(|e| Error::Malformed(format!("CBOR: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::Malformed(
            "trailing bytes after the CBOR item".into(),
        ));
    }
    Ok(value)
}

/// Encodes deterministically as far as the caller ordered map keys: ciborium always writes
/// definite lengths and shortest integer forms.
pub(crate) fn encode_value(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out)
        .map_err(|e| Error::Malformed(format!("CBOR encoding: {e}")))?;
    Ok(out)
}

/// The entries of a map whose keys are all integers, refusing duplicates.
pub(crate) fn int_map(value: Value, what: &str) -> Result<Vec<(i64, Value)>> {
    let Value::Map(entries) = value else {
        return Err(Error::Malformed(format!("{what} is not a map")));
    };
    let mut out: Vec<(i64, Value)> = Vec::with_capacity(entries.len());
    let mut seen = std::collections::BTreeSet::new();
    for (k, v) in entries {
        let key = match k {
            Value::Integer(i) => i64::try_from(i)
                .map_err(|_| Error::Malformed(format!("{what} key out of range")))?,
            _ => return Err(Error::Malformed(format!("{what} has a non-integer key"))),
        };
        if !seen.insert(key) {
            return Err(Error::DuplicateClaim(key));
        }
        out.push((key, v));
    }
    Ok(out)
}

/// An unsigned integer field.
pub(crate) fn as_u64(value: Value, what: &str) -> Result<u64> {
    match value {
        Value::Integer(i) => {
            u64::try_from(i).map_err(|_| Error::Malformed(format!("{what} is not a uint")))
        }
        _ => Err(Error::Malformed(format!("{what} is not a uint"))),
    }
}

/// A byte string field of exactly `N` bytes.
pub(crate) fn as_array<const N: usize>(value: Value, what: &str) -> Result<[u8; N]> {
    match value {
        Value::Bytes(b) => b
            .as_slice()
            .try_into()
            .map_err(|_| Error::Malformed(format!("{what} is not a {N}-byte string"))),
        _ => Err(Error::Malformed(format!("{what} is not a byte string"))),
    }
}

/// A text string field.
pub(crate) fn as_text(value: Value, what: &str) -> Result<String> {
    match value {
        Value::Text(t) => Ok(t),
        _ => Err(Error::Malformed(format!("{what} is not a text string"))),
    }
}

/// An array field.
pub(crate) fn as_array_items(value: Value, what: &str) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(Error::Malformed(format!("{what} is not an array"))),
    }
}

/// An integer CBOR value.
pub(crate) fn int(i: i64) -> Value {
    Value::Integer(i.into())
}

/// An unsigned CBOR value.
pub(crate) fn uint(u: u64) -> Value {
    Value::Integer(u.into())
}

/// The headers of everything the root key signs here: alg in protected, its kid in unprotected.
pub(crate) fn root_headers(root: Kid) -> (Header, Header) {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .build();
    let unprotected = HeaderBuilder::new().key_id(root.0.to_vec()).build();
    (protected, unprotected)
}

/// Checks the headers before any signature work: ES256 only and only in the protected bucket,
/// which must be exactly `{1: -7}`; the unprotected bucket must be exactly `{4: root kid}`.
pub(crate) fn check_root_headers(msg: &CoseSign1, root: Kid) -> Result<()> {
    if msg.unprotected.alg.is_some() {
        return Err(Error::WrongAlgorithm);
    }
    if msg.protected.header.alg != Some(coset::Algorithm::Assigned(iana::Algorithm::ES256)) {
        return Err(Error::WrongAlgorithm);
    }
    if msg.protected.original_data.as_deref() != Some(&PROTECTED_ES256[..]) {
        return Err(Error::Malformed(
            "protected header must be exactly {1: -7}".into(),
        ));
    }
    if msg.unprotected.key_id.len() != KID_LEN {
        return Err(Error::Malformed(
            "unprotected header must carry an 8-byte kid".into(),
        ));
    }
    if msg.unprotected.key_id != root.0 {
        return Err(Error::WrongIssuer);
    }
    if msg.unprotected != root_headers(root).1 {
        return Err(Error::Malformed(
            "unprotected header must be exactly {4: kid}".into(),
        ));
    }
    Ok(())
}
