//! CBOR diagnostic notation (RFC 8949 §8), so people can read what a message carries.

use coset::cbor::value::Value;
use std::fmt::Write;

/// Renders `value` in diagnostic notation on one line.
pub fn to_diag(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Integer(i) => {
            let n: i128 = (*i).into();
            let _ = write!(out, "{n}");
        }
        Value::Bytes(b) => {
            let _ = write!(out, "h'{}'", hex::encode_upper(b));
        }
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Text(t) => {
            let _ = write!(out, "{t:?}");
        }
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Null => out.push_str("null"),
        Value::Tag(tag, inner) => {
            let _ = write!(out, "{tag}(");
            write_value(out, inner);
            out.push(')');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, k);
                out.push_str(": ");
                write_value(out, v);
            }
            out.push('}');
        }
        _ => out.push_str("undefined"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_rfc_8949_diagnostic_notation() {
        let v = Value::Tag(
            18,
            Box::new(Value::Array(vec![
                Value::Bytes(vec![0xa1, 0x01, 0x26]),
                Value::Map(vec![(
                    Value::Integer(4.into()),
                    Value::Bytes(b"11".to_vec()),
                )]),
                Value::Integer((-7).into()),
                Value::Text("x".into()),
                Value::Null,
            ])),
        );
        assert_eq!(
            to_diag(&v),
            "18([h'A10126', {4: h'3131'}, -7, \"x\", null])"
        );
    }
}
