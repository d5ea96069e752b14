//! The exact header sets of envelope version 1 (`docs/ENVELOPE.md`): every layer carries the
//! parameters the document lists and nothing else, and every protected header is byte for byte
//! the one version 1 writes. A parameter a receiver ignores is one an attacker can use (a `crit`
//! the receiver does not honour, a second key id, an IV in the wrong place), so nothing is
//! ignored; and a protected header in another encoding than the pinned one would give one
//! message two signed forms.

use super::route::ROUTE_LABEL;
use super::{Error, Result};
use coset::cbor::value::Value;
use coset::{Header, Label, ProtectedHeader};

/// The outer protected header, `{1: 1}` (A128GCM).
pub(crate) const OUTER_PROTECTED: [u8; 3] = [0xa1, 0x01, 0x01];
/// The recipient's protected header, `{1: -25}` (ECDH-ES + HKDF-256).
pub(crate) const RECIPIENT_PROTECTED: [u8; 4] = [0xa1, 0x01, 0x38, 0x18];
/// The inner protected header, `{1: -7}` (ES256).
pub(crate) const INNER_PROTECTED: [u8; 3] = [0xa1, 0x01, 0x26];

/// Names of the layers, as refusals report them.
pub(crate) const OUTER_PROTECTED_LAYER: &str = "outer protected header";
pub(crate) const OUTER_UNPROTECTED_LAYER: &str = "outer unprotected header";
pub(crate) const RECIPIENT_PROTECTED_LAYER: &str = "recipient protected header";
pub(crate) const RECIPIENT_UNPROTECTED_LAYER: &str = "recipient unprotected header";
pub(crate) const EPHEMERAL_KEY_LAYER: &str = "ephemeral key";
pub(crate) const INNER_PROTECTED_LAYER: &str = "inner protected header";
pub(crate) const INNER_UNPROTECTED_LAYER: &str = "inner unprotected header";

/// COSE header labels (RFC 9052 §3.1) and the one COSE_Key parameter used as a header
/// (RFC 9053 §6.4.1, `ephemeral key`).
const ALG: i64 = 1;
const CRIT: i64 = 2;
const CONTENT_TYPE: i64 = 3;
const KID: i64 = 4;
const IV: i64 = 5;
const PARTIAL_IV: i64 = 6;
const COUNTER_SIGNATURE: i64 = 7;
const EPHEMERAL_KEY: i64 = -1;

/// Labels the outer unprotected header may hold: the IV and the route.
pub(crate) const OUTER_UNPROTECTED_LABELS: &[i64] = &[IV, ROUTE_LABEL];
/// Labels the recipient's unprotected header may hold: the ephemeral key and the recipient kid.
pub(crate) const RECIPIENT_UNPROTECTED_LABELS: &[i64] = &[EPHEMERAL_KEY, KID];
/// Labels the inner unprotected header may hold: the signer's kid.
pub(crate) const INNER_UNPROTECTED_LABELS: &[i64] = &[KID];
/// Labels of the ephemeral COSE_Key: kty, crv, x, y (RFC 9053 §7.1.1), nothing else.
const EPHEMERAL_KEY_LABELS: [i64; 4] = [1, -1, -2, -3];

fn unexpected(layer: &'static str, detail: String) -> Error {
    Error::UnexpectedHeader { layer, detail }
}

/// Checks a protected header is exactly `expected` as it arrived. The caller has already
/// checked the algorithm, so a different algorithm is reported as such and not as this.
pub(crate) fn check_protected(
    p: &ProtectedHeader,
    expected: &[u8],
    layer: &'static str,
) -> Result<()> {
    match p.original_data.as_deref() {
        Some(bytes) if bytes == expected => Ok(()),
        Some(bytes) => Err(unexpected(
            layer,
            format!(
                "must be exactly h'{}', found h'{}'",
                hex::encode(expected),
                hex::encode(bytes)
            ),
        )),
        None => Err(unexpected(layer, "missing".into())),
    }
}

/// Every label present in a decoded header, in a printable form.
fn labels(h: &Header) -> Vec<String> {
    let mut out = Vec::new();
    let mut fixed = |present: bool, label: i64| {
        if present {
            out.push(label.to_string());
        }
    };
    fixed(h.alg.is_some(), ALG);
    fixed(!h.crit.is_empty(), CRIT);
    fixed(h.content_type.is_some(), CONTENT_TYPE);
    fixed(!h.key_id.is_empty(), KID);
    fixed(!h.iv.is_empty(), IV);
    fixed(!h.partial_iv.is_empty(), PARTIAL_IV);
    fixed(!h.counter_signatures.is_empty(), COUNTER_SIGNATURE);
    for (label, _) in &h.rest {
        out.push(match label {
            Label::Int(i) => i.to_string(),
            Label::Text(t) => format!("{t:?}"),
        });
    }
    out
}

/// Checks an unprotected header holds exactly the labels in `allowed`, each once (coset
/// already refuses a label given twice).
pub(crate) fn check_unprotected(h: &Header, allowed: &[i64], layer: &'static str) -> Result<()> {
    let present = labels(h);
    if let Some(extra) = present
        .iter()
        .find(|l| !allowed.iter().any(|a| a.to_string() == **l))
    {
        return Err(unexpected(
            layer,
            format!("parameter {extra} is not allowed"),
        ));
    }
    if let Some(missing) = allowed.iter().find(|a| !present.contains(&a.to_string())) {
        return Err(unexpected(layer, format!("parameter {missing} is missing")));
    }
    Ok(())
}

/// Checks the ephemeral COSE_Key map holds exactly kty, crv, x and y; their values are checked
/// when the key is read.
pub(crate) fn check_ephemeral_key(h: &Header) -> Result<()> {
    let value = h
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(EPHEMERAL_KEY))
        .map(|(_, v)| v)
        .ok_or_else(|| unexpected(EPHEMERAL_KEY_LAYER, "missing".into()))?;
    let Value::Map(entries) = value else {
        return Err(unexpected(EPHEMERAL_KEY_LAYER, "must be a map".into()));
    };
    let mut seen = Vec::with_capacity(entries.len());
    for (k, _) in entries {
        let label = k
            .as_integer()
            .and_then(|i| i64::try_from(i).ok())
            .filter(|l| EPHEMERAL_KEY_LABELS.contains(l))
            .ok_or_else(|| {
                unexpected(
                    EPHEMERAL_KEY_LAYER,
                    format!("parameter {} is not allowed", crate::cose::diag::to_diag(k)),
                )
            })?;
        if seen.contains(&label) {
            return Err(unexpected(
                EPHEMERAL_KEY_LAYER,
                format!("parameter {label} is repeated"),
            ));
        }
        seen.push(label);
    }
    if seen.len() != EPHEMERAL_KEY_LABELS.len() {
        return Err(unexpected(
            EPHEMERAL_KEY_LAYER,
            "must hold exactly kty, crv, x and y".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::HeaderBuilder;

    #[test]
    fn the_pinned_protected_headers_are_the_documented_maps() {
        use coset::CborSerializable;
        let alg = |a| {
            HeaderBuilder::new()
                .algorithm(a)
                .build()
                .to_vec()
                .expect("encode")
        };
        assert_eq!(alg(coset::iana::Algorithm::A128GCM), OUTER_PROTECTED);
        assert_eq!(
            alg(coset::iana::Algorithm::ECDH_ES_HKDF_256),
            RECIPIENT_PROTECTED
        );
        assert_eq!(alg(coset::iana::Algorithm::ES256), INNER_PROTECTED);
    }

    #[test]
    fn an_unprotected_header_must_hold_exactly_the_allowed_labels() {
        let kid_only = HeaderBuilder::new().key_id(vec![1; 8]).build();
        assert!(check_unprotected(&kid_only, INNER_UNPROTECTED_LABELS, "x").is_ok());
        let empty = Header::default();
        assert!(matches!(
            check_unprotected(&empty, INNER_UNPROTECTED_LABELS, "x"),
            Err(Error::UnexpectedHeader { detail, .. }) if detail.contains("missing")
        ));
        let with_text = HeaderBuilder::new()
            .key_id(vec![1; 8])
            .text_value("note".into(), Value::Null)
            .build();
        assert!(matches!(
            check_unprotected(&with_text, INNER_UNPROTECTED_LABELS, "x"),
            Err(Error::UnexpectedHeader { detail, .. }) if detail.contains("\"note\"")
        ));
    }
}
