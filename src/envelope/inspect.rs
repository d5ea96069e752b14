//! What a middlebox sees: any COSE message, tagged or not, rendered without keys. Used by
//! `sealhub envelope inspect`; every input gets an answer or an error, never a panic.

use super::route::{ROUTE_LABEL, Route};
use super::{Error, Result};
use crate::cose::{MAX_MESSAGE_LEN, diag::to_diag};
use coset::cbor::value::Value;

/// A middlebox's view of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiddleboxView {
    /// The structure, as its tag or shape says.
    pub structure: &'static str,
    /// The whole message in diagnostic notation, protected headers shown decoded as `<<...>>`.
    pub diagnostic: String,
    /// The sealhub route, when the message carries one.
    pub route: Option<String>,
    /// Whether the content is encrypted (so none of it is visible).
    pub encrypted: bool,
}

impl std::fmt::Display for MiddleboxView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "structure: {}", self.structure)?;
        writeln!(f, "visible:   {}", self.diagnostic)?;
        match &self.route {
            Some(r) => writeln!(f, "route:     {r}")?,
            None => writeln!(f, "route:     none (not a sealhub envelope)")?,
        }
        if self.encrypted {
            writeln!(
                f,
                "content:   encrypted; signer, sequence number, time and body are hidden"
            )
        } else {
            writeln!(
                f,
                "content:   NOT encrypted; the payload above is readable by anyone"
            )
        }
    }
}

/// Reads a COSE message of any kind and describes what is visible without keys.
pub fn inspect(bytes: &[u8]) -> Result<MiddleboxView> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(Error::TooLong {
            len: bytes.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    let mut reader = bytes;
    let value: Value = coset::cbor::de::from_reader(&mut reader)
        .map_err(|e| Error::Malformed(format!("not CBOR: {e}")))?;
    if !reader.is_empty() {
        return Err(Error::Malformed(format!(
            "{} trailing bytes after the message",
            reader.len()
        )));
    }
    let (tag, inner) = match value {
        Value::Tag(61, boxed) => match *boxed {
            // A CWT: tag 61 around a tagged COSE structure.
            Value::Tag(t, b) => (Some(t), *b),
            other => (None, other),
        },
        Value::Tag(t, b) => (Some(t), *b),
        other => (None, other),
    };
    let Value::Array(items) = inner else {
        return Err(Error::Malformed("a COSE message is an array".into()));
    };
    let structure = identify(tag, &items)?;
    let encrypted = matches!(
        structure,
        "COSE_Encrypt0" | "COSE_Encrypt" | "COSE_Encrypt or COSE_Sign"
    );
    let route = find_route(&items)?;
    let mut diagnostic = render_cose_array(&items);
    if let Some(t) = tag {
        diagnostic = format!("{t}({diagnostic})");
    }
    Ok(MiddleboxView {
        structure,
        diagnostic,
        route,
        encrypted,
    })
}

fn identify(tag: Option<u64>, items: &[Value]) -> Result<&'static str> {
    let by_tag = match tag {
        Some(16) => Some(("COSE_Encrypt0", 3)),
        Some(96) => Some(("COSE_Encrypt", 4)),
        Some(18) => Some(("COSE_Sign1", 4)),
        Some(98) => Some(("COSE_Sign", 4)),
        Some(17) => Some(("COSE_Mac0", 4)),
        Some(97) => Some(("COSE_Mac", 5)),
        Some(other) => {
            return Err(Error::Malformed(format!(
                "tag {other} is not a COSE message"
            )));
        }
        None => None,
    };
    if let Some((name, len)) = by_tag {
        if items.len() != len {
            return Err(Error::Malformed(format!("{name} must have {len} elements")));
        }
        return Ok(name);
    }
    Ok(match (items.len(), items.get(3)) {
        (3, _) => "COSE_Encrypt0",
        (4, Some(Value::Bytes(_))) => "COSE_Sign1 or COSE_Mac0",
        (4, Some(Value::Array(_))) => "COSE_Encrypt or COSE_Sign",
        (5, _) => "COSE_Mac",
        _ => return Err(Error::Malformed("not shaped like any COSE message".into())),
    })
}

/// Renders a COSE array: element 0 (the protected header) as embedded CBOR `<<...>>`, the
/// route in the unprotected map likewise, recipients recursively, everything else as plain
/// diagnostic notation. Built as text directly, so nothing a sender wrote can be mistaken for
/// structure.
fn render_cose_array(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, v)| render_item(i, v))
        .collect();
    format!("[{}]", parts.join(", "))
}

fn render_item(index: usize, v: &Value) -> String {
    match (index, v) {
        (0, Value::Bytes(b)) => embedded(b),
        (1, Value::Map(m)) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", to_diag(k), render_header_value(k, v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        (3, Value::Array(recipients)) => {
            let rendered: Vec<String> = recipients
                .iter()
                .map(|r| match r {
                    Value::Array(parts) => render_cose_array(parts),
                    other => to_diag(other),
                })
                .collect();
            format!("[{}]", rendered.join(", "))
        }
        _ => to_diag(v),
    }
}

fn render_header_value(label: &Value, v: &Value) -> String {
    match (label.as_integer().map(i128::from), v) {
        (Some(l), Value::Bytes(b)) if l == i128::from(ROUTE_LABEL) => embedded(b),
        _ => to_diag(v),
    }
}

/// A byte string holding CBOR, shown as `<<item>>` when it decodes, else as bytes.
fn embedded(b: &[u8]) -> String {
    if b.is_empty() {
        return "h''".into();
    }
    let mut reader = b;
    match coset::cbor::de::from_reader::<Value, _>(&mut reader) {
        Ok(v) if reader.is_empty() => format!("<<{}>>", to_diag(&v)),
        _ => to_diag(&Value::Bytes(b.to_vec())),
    }
}

fn find_route(items: &[Value]) -> Result<Option<String>> {
    let Some(Value::Map(unprotected)) = items.get(1) else {
        return Ok(None);
    };
    let found = unprotected
        .iter()
        .find(|(k, _)| k.as_integer().map(i128::from) == Some(i128::from(ROUTE_LABEL)));
    let Some((_, Value::Bytes(b))) = found else {
        return Ok(None);
    };
    Ok(Some(match Route::from_bytes(b) {
        Ok(r) => format!(
            "home {} device {} type {:?} epoch {}",
            r.home, r.device, r.msg_type, r.epoch
        ),
        Err(e) => format!("unreadable route ({e})"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sender's text that looks like diagnostic notation stays inside its quoted string.
    #[test]
    fn text_in_a_header_cannot_pose_as_structure() {
        let sneaky = "x\"}, 4: h'00', \"<<y>>";
        let msg = Value::Tag(
            16,
            Box::new(Value::Array(vec![
                Value::Bytes(vec![0xa1, 0x01, 0x01]),
                Value::Map(vec![(
                    Value::Integer(99.into()),
                    Value::Text(sneaky.into()),
                )]),
                Value::Bytes(vec![0; 20]),
            ])),
        );
        let mut bytes = Vec::new();
        coset::cbor::ser::into_writer(&msg, &mut bytes).expect("encode");
        let view = inspect(&bytes).expect("inspects");
        assert_eq!(
            view.diagnostic,
            format!(
                "16([<<{{1: 1}}>>, {{99: {sneaky:?}}}, h'{}'])",
                "00".repeat(20)
            ),
        );
        assert!(
            view.diagnostic.contains("\\\"}, 4: h'00', \\\"<<y>>\""),
            "{}",
            view.diagnostic
        );
    }
}
