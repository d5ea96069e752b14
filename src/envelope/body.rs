//! The signed body map: what the sender says, hidden from every middlebox.

use super::route::MessageType;
use super::{Error, Result};
use crate::cbor::{as_array, as_u64, decode_canonical, encode};
use coset::cbor::value::Value;
use zeroize::{Zeroize, Zeroizing};

/// Length of a message id.
pub const MSG_ID_LEN: usize = 8;

/// The inner payload of every envelope (see `docs/ENVELOPE.md`, "The body map").
///
/// `Debug` shows the metadata but never the content (it may be a key distribution's keys or a
/// device's plaintext); [`Zeroize`] wipes the content and echo of a body that held secrets.
#[derive(Clone, PartialEq)]
pub struct Body {
    /// Random id, so a response can name the command it answers.
    pub msg_id: [u8; MSG_ID_LEN],
    /// The sender's sequence number for its kid; never reused; drives replay protection.
    pub seq: u64,
    /// The sender's clock in Unix seconds, 0 when unknown.
    pub time: u64,
    /// What the message is; must equal the route's type.
    pub kind: MessageType,
    /// The content: a device-model message, a key, a revocation list.
    pub body: Value,
    /// Commands: the Unix time after which the command must not run.
    pub exp: Option<u64>,
    /// A challenge value issued by the hub, proving freshness when its clock is not trusted.
    pub echo: Option<Vec<u8>>,
    /// Responses and challenges: the msg_id of the command answered.
    pub re: Option<[u8; MSG_ID_LEN]>,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("msg_id", &hex::encode(self.msg_id))
            .field("seq", &self.seq)
            .field("time", &self.time)
            .field("kind", &self.kind)
            .field("body", &"<redacted>")
            .field("exp", &self.exp)
            .field("echo", &self.echo.as_ref().map(|e| e.len()))
            .field("re", &self.re.map(hex::encode))
            .finish()
    }
}

impl Zeroize for Body {
    /// Wipes the content and the echo (the metadata is not secret).
    fn zeroize(&mut self) {
        crate::cbor::zeroize(&mut self.body);
        if let Some(echo) = &mut self.echo {
            echo.zeroize();
        }
        self.echo = None;
    }
}

const MSG_ID: u64 = 1;
const SEQ: u64 = 2;
const TIME: u64 = 3;
const KIND: u64 = 4;
const BODY: u64 = 5;
const EXP: u64 = 6;
const ECHO: u64 = 7;
const RE: u64 = 8;

impl Body {
    /// Canonical encoding: integer keys in ascending order, optional fields only when present.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_zeroizing_bytes().to_vec()
    }

    /// [`Body::to_bytes`] in a buffer wiped on drop, for sealing bodies that carry keys; the
    /// intermediate CBOR value is wiped too.
    pub fn to_zeroizing_bytes(&self) -> Zeroizing<Vec<u8>> {
        let int = |n: u64| Value::Integer(n.into());
        let mut map = vec![
            (int(MSG_ID), Value::Bytes(self.msg_id.to_vec())),
            (int(SEQ), int(self.seq)),
            (int(TIME), int(self.time)),
            (int(KIND), int(self.kind as u64)),
            (int(BODY), self.body.clone()),
        ];
        if let Some(exp) = self.exp {
            map.push((int(EXP), int(exp)));
        }
        if let Some(echo) = &self.echo {
            map.push((int(ECHO), Value::Bytes(echo.clone())));
        }
        if let Some(re) = self.re {
            map.push((int(RE), Value::Bytes(re.to_vec())));
        }
        let mut value = Value::Map(map);
        let bytes = Zeroizing::new(encode(&value));
        crate::cbor::zeroize(&mut value);
        bytes
    }

    /// Strict parse: canonical CBOR, keys ascending and known, required fields present.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let Value::Map(entries) = decode_canonical(bytes, "body")? else {
            return Err(Error::Malformed("body must be a map".into()));
        };
        let mut last_key = 0u64;
        let mut body = Body {
            msg_id: [0; MSG_ID_LEN],
            seq: 0,
            time: 0,
            kind: MessageType::Event,
            body: Value::Null,
            exp: None,
            echo: None,
            re: None,
        };
        let mut seen_required = 0;
        for (k, v) in entries {
            let key = as_u64(&k, "body key")?;
            if key <= last_key {
                return Err(Error::Malformed(
                    "body keys must be unique and ascending".into(),
                ));
            }
            last_key = key;
            match key {
                MSG_ID => body.msg_id = as_array(&v, "msg_id")?,
                SEQ => body.seq = as_u64(&v, "seq")?,
                TIME => body.time = as_u64(&v, "time")?,
                KIND => {
                    body.kind = MessageType::from_u64(as_u64(&v, "kind")?)
                        .ok_or_else(|| Error::Malformed("unknown kind".into()))?
                }
                BODY => body.body = v,
                EXP => body.exp = Some(as_u64(&v, "exp")?),
                ECHO => {
                    let echo = v
                        .into_bytes()
                        .ok()
                        .filter(|b| (8..=32).contains(&b.len()))
                        .ok_or_else(|| Error::Malformed("echo must be 8-32 bytes".into()))?;
                    body.echo = Some(echo);
                }
                RE => body.re = Some(as_array(&v, "re")?),
                other => return Err(Error::Malformed(format!("unknown body key {other}"))),
            }
            if key <= BODY {
                seen_required += 1;
            }
        }
        if seen_required != 5 {
            return Err(Error::Malformed("body lacks a required field".into()));
        }
        if body.seq == 0 {
            return Err(Error::Malformed("sequence numbers start at 1".into()));
        }
        if body.kind == MessageType::Command && body.exp.is_none() {
            return Err(Error::Malformed("a command must carry an expiry".into()));
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command() -> Body {
        Body {
            msg_id: [9; 8],
            seq: 42,
            time: 1_700_000_000,
            kind: MessageType::Command,
            body: Value::Text("unlock".into()),
            exp: Some(1_700_000_060),
            echo: None,
            re: None,
        }
    }

    #[test]
    fn round_trips_and_refuses_a_command_without_expiry() {
        let b = command();
        assert_eq!(Body::from_bytes(&b.to_bytes()).expect("parses"), b);
        let no_exp = Body {
            exp: None,
            ..command()
        };
        assert!(Body::from_bytes(&no_exp.to_bytes()).is_err());
    }

    #[test]
    fn unknown_keys_and_zero_sequence_numbers_are_refused() {
        let zero = Body {
            seq: 0,
            ..command()
        };
        assert!(Body::from_bytes(&zero.to_bytes()).is_err());
        // Append key 9 by rewriting the map header: a5+n -> one more entry.
        let mut extra = command().to_bytes();
        extra[0] += 1;
        extra.extend_from_slice(&[0x09, 0x00]);
        assert!(
            matches!(Body::from_bytes(&extra), Err(Error::Malformed(m)) if m.contains("unknown"))
        );
    }

    #[test]
    fn debug_never_shows_the_content_and_zeroize_wipes_it() {
        let mut b = Body {
            body: Value::Bytes(vec![0x5e; 16]),
            ..command()
        };
        let shown = format!("{b:?}");
        assert!(
            shown.contains("<redacted>") && shown.contains("seq: 42"),
            "{shown}"
        );
        assert!(!shown.contains("94") && !shown.contains("5e5e"), "{shown}");
        b.zeroize();
        assert_eq!(b.body, Value::Null);
        assert_eq!(b.seq, 42, "metadata stays");
    }
}
