//! The pairing messages as they travel over the WebSocket: strict, deterministic CBOR, each a
//! definite-length array `[version, kind, fields...]` with a fixed number of fields per kind.
//! [`Message::to_bytes`] and [`Message::from_bytes`] mirror each other: decoding refuses
//! anything [`Message::to_bytes`] would not write (other encodings, trailing bytes, fields of
//! the wrong type or size, out-of-range values), so there is one byte string per message.
//! The layouts in diagnostic notation are in `docs/PAIRING.md`.

use coset::cbor::value::Value;

use super::spake2plus::{CONFIRMATION_LEN, SHARE_LEN};
use super::{Error, Result};
use crate::cbor;
use crate::crypto::GCM_TAG_LEN;

/// The pairing protocol version this code speaks.
pub const PROTOCOL_VERSION: u64 = 1;
/// Longest frame accepted, checked before decoding. Bundles carry a few certificates and keys.
pub const MAX_FRAME_LEN: usize = 64 * 1024;
/// Longest sealed bundle (ciphertext and tag) a message may carry.
pub const MAX_SEALED_BUNDLE_LEN: usize = MAX_FRAME_LEN - 64;
/// Longest client name, in UTF-8 bytes.
pub const MAX_CLIENT_NAME_LEN: usize = 64;
/// Longest hub id, in bytes.
pub const MAX_HUB_ID_LEN: usize = 64;
/// Length of the hub's per-conversation session id.
pub const SESSION_ID_LEN: usize = 16;
/// Shortest and longest salt a message may carry (the client checks tighter limits).
const SALT_LEN_RANGE: std::ops::RangeInclusive<usize> = 1..=64;

/// Why the hub (or, for some reasons, the client) ends a conversation. Sent in
/// [`Message::Refused`], so the person can be told what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefusalReason {
    /// The other side speaks another protocol version.
    #[error("unsupported protocol version")]
    UnsupportedVersion,
    /// Pairing is locked after repeated wrong codes; try again after this many seconds.
    #[error("locked after repeated wrong codes; retry in {retry_after_secs} s")]
    LockedOut {
        /// Seconds until the hub accepts another attempt.
        retry_after_secs: u32,
    },
    /// No live code has that first digit (never issued, used, expired, or mistyped).
    #[error("no such setup code")]
    UnknownCode,
    /// A pairing with this code is already under way.
    #[error("another pairing with this code is under way")]
    Busy,
    /// The key confirmation failed: the code was wrong (or the exchange was tampered with).
    #[error("wrong setup code")]
    WrongCode,
    /// A malformed, unexpected or tampered message.
    #[error("protocol error")]
    Protocol,
    /// The conversation took too long.
    #[error("timed out")]
    Expired,
    /// The hub would not take this client (for example its name is already paired).
    #[error("declined by the hub")]
    Declined,
    /// The hub failed internally (storage, random source); nothing was paired.
    #[error("the hub could not complete pairing")]
    HubFailure,
}

impl RefusalReason {
    fn code(self) -> (u64, u64) {
        match self {
            RefusalReason::UnsupportedVersion => (1, 0),
            RefusalReason::LockedOut { retry_after_secs } => (2, u64::from(retry_after_secs)),
            RefusalReason::UnknownCode => (3, 0),
            RefusalReason::Busy => (4, 0),
            RefusalReason::WrongCode => (5, 0),
            RefusalReason::Protocol => (6, 0),
            RefusalReason::Expired => (7, 0),
            RefusalReason::Declined => (8, 0),
            RefusalReason::HubFailure => (9, 0),
        }
    }

    fn from_code(code: u64, detail: u64) -> Result<Self> {
        let reason = match code {
            1 => RefusalReason::UnsupportedVersion,
            2 => {
                let retry_after_secs = u32::try_from(detail)
                    .map_err(|_| Error::Malformed("retry-after out of range".into()))?;
                return Ok(RefusalReason::LockedOut { retry_after_secs });
            }
            3 => RefusalReason::UnknownCode,
            4 => RefusalReason::Busy,
            5 => RefusalReason::WrongCode,
            6 => RefusalReason::Protocol,
            7 => RefusalReason::Expired,
            8 => RefusalReason::Declined,
            9 => RefusalReason::HubFailure,
            other => return Err(Error::Malformed(format!("unknown refusal reason {other}"))),
        };
        if detail != 0 {
            return Err(Error::Malformed("refusal detail must be 0".into()));
        }
        Ok(reason)
    }
}

/// One pairing message. The names follow the flow in `docs/PAIRING.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Client → hub, kind 1: who the client says it is, and the slot (first digit) of the code
    /// the person typed. `[1, 1, client_name: tstr, locator: uint 0..=9]`
    Start {
        /// The client's name (1..=64 bytes of UTF-8 without control characters): idProver.
        client_name: String,
        /// The first digit of the setup code.
        locator: u8,
    },
    /// Hub → client, kind 2: the conversation's session id, the hub's id (idVerifier), and
    /// the salt and iteration count of the code's verifier.
    /// `[1, 2, session: bstr .size 16, hub_id: bstr, salt: bstr, iterations: uint]`
    Params {
        /// Fresh random per conversation; bound into the SPAKE2+ context.
        session: [u8; SESSION_ID_LEN],
        /// The hub's id (1..=64 bytes).
        hub_id: Vec<u8>,
        /// The verifier's PBKDF2 salt.
        salt: Vec<u8>,
        /// The verifier's PBKDF2 iteration count.
        iterations: u32,
    },
    /// Client → hub, kind 3: shareP. `[1, 3, shareP: bstr .size 65]`
    Share {
        /// x·P + w0·M, uncompressed.
        share_p: [u8; SHARE_LEN],
    },
    /// Hub → client, kind 4: shareV and confirmV.
    /// `[1, 4, shareV: bstr .size 65, confirmV: bstr .size 32]`
    Response {
        /// y·P + w0·N, uncompressed.
        share_v: [u8; SHARE_LEN],
        /// HMAC(K_confirmV, shareP).
        confirm_v: [u8; CONFIRMATION_LEN],
    },
    /// Client → hub, kind 5: confirmP and the client's bundle sealed under the client-to-hub
    /// key. `[1, 5, confirmP: bstr .size 32, sealed_client_bundle: bstr]`
    Confirm {
        /// HMAC(K_confirmP, shareV).
        confirm_p: [u8; CONFIRMATION_LEN],
        /// AES-256-GCM ciphertext and tag of the client bundle.
        sealed_client_bundle: Vec<u8>,
    },
    /// Hub → client, kind 6: the hub's bundle sealed under the hub-to-client key.
    /// `[1, 6, sealed_hub_bundle: bstr]`
    Done {
        /// AES-256-GCM ciphertext and tag of the hub bundle.
        sealed_hub_bundle: Vec<u8>,
    },
    /// Either way, kind 7: the conversation ends. `[1, 7, reason: uint, detail: uint]`
    /// (detail is the retry-after seconds for a lock-out, else 0).
    Refused {
        /// Why.
        reason: RefusalReason,
    },
}

impl Message {
    /// The message's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Message::Start { .. } => "PairStart",
            Message::Params { .. } => "PairParams",
            Message::Share { .. } => "PairShare",
            Message::Response { .. } => "PairResponse",
            Message::Confirm { .. } => "PairConfirm",
            Message::Done { .. } => "PairDone",
            Message::Refused { .. } => "PairRefused",
        }
    }

    /// The frame: deterministic CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut items = vec![cbor::uint(PROTOCOL_VERSION)];
        match self {
            Message::Start {
                client_name,
                locator,
            } => items.extend([
                cbor::uint(1),
                Value::Text(client_name.clone()),
                cbor::uint(u64::from(*locator)),
            ]),
            Message::Params {
                session,
                hub_id,
                salt,
                iterations,
            } => items.extend([
                cbor::uint(2),
                Value::Bytes(session.to_vec()),
                Value::Bytes(hub_id.clone()),
                Value::Bytes(salt.clone()),
                cbor::uint(u64::from(*iterations)),
            ]),
            Message::Share { share_p } => {
                items.extend([cbor::uint(3), Value::Bytes(share_p.to_vec())])
            }
            Message::Response { share_v, confirm_v } => items.extend([
                cbor::uint(4),
                Value::Bytes(share_v.to_vec()),
                Value::Bytes(confirm_v.to_vec()),
            ]),
            Message::Confirm {
                confirm_p,
                sealed_client_bundle,
            } => items.extend([
                cbor::uint(5),
                Value::Bytes(confirm_p.to_vec()),
                Value::Bytes(sealed_client_bundle.clone()),
            ]),
            Message::Done { sealed_hub_bundle } => {
                items.extend([cbor::uint(6), Value::Bytes(sealed_hub_bundle.clone())])
            }
            Message::Refused { reason } => {
                let (code, detail) = reason.code();
                items.extend([cbor::uint(7), cbor::uint(code), cbor::uint(detail)])
            }
        }
        cbor::encode(&Value::Array(items))
    }

    /// Reads a frame, refusing anything [`Message::to_bytes`] would not have written.
    /// A frame of another protocol version gives [`Error::UnsupportedVersion`].
    pub fn from_bytes(frame: &[u8]) -> Result<Self> {
        if frame.len() > MAX_FRAME_LEN {
            return Err(Error::TooLong {
                len: frame.len(),
                max: MAX_FRAME_LEN,
            });
        }
        let value = cbor::decode_canonical(frame, "pairing message")?;
        let items = cbor::as_items(&value, "pairing message")?;
        let (version, rest) = items
            .split_first()
            .ok_or_else(|| Error::Malformed("empty message".into()))?;
        let version = cbor::as_u64(version, "version")?;
        if version != PROTOCOL_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let (kind, fields) = rest
            .split_first()
            .ok_or_else(|| Error::Malformed("no message kind".into()))?;
        let kind = cbor::as_u64(kind, "message kind")?;
        let arity = |n: usize, name: &str| {
            if fields.len() == n {
                Ok(())
            } else {
                Err(Error::Malformed(format!(
                    "{name} has {} fields, not {n}",
                    fields.len()
                )))
            }
        };
        match kind {
            1 => {
                arity(2, "PairStart")?;
                let client_name = cbor::as_text(&fields[0], "client_name")?;
                check_client_name(client_name)?;
                let locator = cbor::as_u64(&fields[1], "locator")?;
                let locator = u8::try_from(locator)
                    .ok()
                    .filter(|l| *l < 10)
                    .ok_or_else(|| Error::Malformed(format!("locator {locator} is not a digit")))?;
                Ok(Message::Start {
                    client_name: client_name.to_owned(),
                    locator,
                })
            }
            2 => {
                arity(4, "PairParams")?;
                let session = cbor::as_array::<SESSION_ID_LEN>(&fields[0], "session")?;
                let hub_id = cbor::as_bytes(&fields[1], "hub_id")?;
                if hub_id.is_empty() || hub_id.len() > MAX_HUB_ID_LEN {
                    return Err(Error::Malformed(format!(
                        "hub_id of {} bytes is outside 1..={MAX_HUB_ID_LEN}",
                        hub_id.len()
                    )));
                }
                let salt = cbor::as_bytes(&fields[2], "salt")?;
                if !SALT_LEN_RANGE.contains(&salt.len()) {
                    return Err(Error::Malformed(format!("salt of {} bytes", salt.len())));
                }
                let iterations = u32::try_from(cbor::as_u64(&fields[3], "iterations")?)
                    .ok()
                    .filter(|i| *i > 0)
                    .ok_or_else(|| Error::Malformed("iterations out of range".into()))?;
                Ok(Message::Params {
                    session,
                    hub_id: hub_id.to_vec(),
                    salt: salt.to_vec(),
                    iterations,
                })
            }
            3 => {
                arity(1, "PairShare")?;
                Ok(Message::Share {
                    share_p: cbor::as_array::<SHARE_LEN>(&fields[0], "shareP")?,
                })
            }
            4 => {
                arity(2, "PairResponse")?;
                Ok(Message::Response {
                    share_v: cbor::as_array::<SHARE_LEN>(&fields[0], "shareV")?,
                    confirm_v: cbor::as_array::<CONFIRMATION_LEN>(&fields[1], "confirmV")?,
                })
            }
            5 => {
                arity(2, "PairConfirm")?;
                Ok(Message::Confirm {
                    confirm_p: cbor::as_array::<CONFIRMATION_LEN>(&fields[0], "confirmP")?,
                    sealed_client_bundle: sealed_bundle(&fields[1], "sealed client bundle")?,
                })
            }
            6 => {
                arity(1, "PairDone")?;
                Ok(Message::Done {
                    sealed_hub_bundle: sealed_bundle(&fields[0], "sealed hub bundle")?,
                })
            }
            7 => {
                arity(2, "PairRefused")?;
                let code = cbor::as_u64(&fields[0], "reason")?;
                let detail = cbor::as_u64(&fields[1], "detail")?;
                Ok(Message::Refused {
                    reason: RefusalReason::from_code(code, detail)?,
                })
            }
            other => Err(Error::Malformed(format!("unknown message kind {other}"))),
        }
    }
}

/// A client name is 1..=64 bytes of UTF-8 with no control characters (it is shown to owners).
pub fn check_client_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_CLIENT_NAME_LEN {
        return Err(Error::Malformed(format!(
            "client name of {} bytes is outside 1..={MAX_CLIENT_NAME_LEN}",
            name.len()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::Malformed(
            "client name has control characters".into(),
        ));
    }
    Ok(())
}

fn sealed_bundle(value: &Value, what: &str) -> Result<Vec<u8>> {
    let bytes = cbor::as_bytes(value, what)?;
    if bytes.len() < GCM_TAG_LEN || bytes.len() > MAX_SEALED_BUNDLE_LEN {
        return Err(Error::Malformed(format!(
            "{what} of {} bytes is outside {GCM_TAG_LEN}..={MAX_SEALED_BUNDLE_LEN}",
            bytes.len()
        )));
    }
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn samples() -> Vec<Message> {
        vec![
            Message::Start {
                client_name: "laptop".into(),
                locator: 3,
            },
            Message::Params {
                session: [7; SESSION_ID_LEN],
                hub_id: b"hub-1".to_vec(),
                salt: vec![9; 32],
                iterations: 30_000,
            },
            Message::Share {
                share_p: [4; SHARE_LEN],
            },
            Message::Response {
                share_v: [4; SHARE_LEN],
                confirm_v: [5; CONFIRMATION_LEN],
            },
            Message::Confirm {
                confirm_p: [6; CONFIRMATION_LEN],
                sealed_client_bundle: vec![1; 40],
            },
            Message::Done {
                sealed_hub_bundle: vec![2; 100],
            },
            Message::Refused {
                reason: RefusalReason::LockedOut {
                    retry_after_secs: 60,
                },
            },
            Message::Refused {
                reason: RefusalReason::WrongCode,
            },
        ]
    }

    /// The byte layout of two messages, written out by hand from the diagnostic notation in
    /// `docs/PAIRING.md`.
    #[test]
    fn layouts_match_the_documented_bytes() {
        let start = Message::Start {
            client_name: "pc".into(),
            locator: 3,
        };
        // [1, 1, "pc", 3]
        assert_eq!(start.to_bytes(), [0x84, 0x01, 0x01, 0x62, b'p', b'c', 0x03]);
        let refused = Message::Refused {
            reason: RefusalReason::LockedOut {
                retry_after_secs: 30,
            },
        };
        // [1, 7, 2, 30]
        assert_eq!(refused.to_bytes(), [0x84, 0x01, 0x07, 0x02, 0x18, 0x1e]);
    }

    #[test]
    fn every_message_round_trips() {
        for m in samples() {
            let bytes = m.to_bytes();
            assert_eq!(
                Message::from_bytes(&bytes).ok().as_ref(),
                Some(&m),
                "{}",
                m.name()
            );
        }
    }

    #[test]
    fn truncated_extended_and_garbage_frames_are_refused() {
        for m in samples() {
            let bytes = m.to_bytes();
            for cut in 0..bytes.len() {
                assert!(
                    Message::from_bytes(&bytes[..cut]).is_err(),
                    "{} cut at {cut}",
                    m.name()
                );
            }
            let mut longer = bytes.clone();
            longer.push(0x00);
            assert!(
                Message::from_bytes(&longer).is_err(),
                "{} + trailing",
                m.name()
            );
        }
        assert!(Message::from_bytes(&[0xff; 10]).is_err());
        assert!(matches!(
            Message::from_bytes(&vec![0u8; MAX_FRAME_LEN + 1]),
            Err(Error::TooLong { .. })
        ));
    }

    #[test]
    fn wrong_versions_kinds_sizes_and_encodings_are_refused() {
        // Version 2 of PairStart.
        assert!(matches!(
            Message::from_bytes(&[0x84, 0x02, 0x01, 0x62, b'p', b'c', 0x03]),
            Err(Error::UnsupportedVersion(2))
        ));
        // Kind 8.
        assert!(Message::from_bytes(&[0x82, 0x01, 0x08]).is_err());
        // Locator 10.
        assert!(Message::from_bytes(&[0x84, 0x01, 0x01, 0x62, b'p', b'c', 0x0a]).is_err());
        // Non-canonical: the locator 3 written as 0x18 0x03.
        assert!(Message::from_bytes(&[0x84, 0x01, 0x01, 0x62, b'p', b'c', 0x18, 0x03]).is_err());
        // Indefinite-length array.
        assert!(Message::from_bytes(&[0x9f, 0x01, 0x01, 0x62, b'p', b'c', 0x03, 0xff]).is_err());
        // A share one byte short.
        let mut short = vec![0x83, 0x01, 0x03, 0x58, 64];
        short.extend([4u8; 64]);
        assert!(Message::from_bytes(&short).is_err());
        // An empty or control-character client name.
        for name in ["", "a\nb"] {
            let m = Message::Start {
                client_name: name.into(),
                locator: 1,
            };
            assert!(Message::from_bytes(&m.to_bytes()).is_err(), "{name:?}");
        }
        // A sealed bundle shorter than a tag.
        let m = Message::Done {
            sealed_hub_bundle: vec![1; GCM_TAG_LEN - 1],
        };
        assert!(Message::from_bytes(&m.to_bytes()).is_err());
        // A refusal reason with a detail it does not take.
        assert!(Message::from_bytes(&[0x84, 0x01, 0x07, 0x05, 0x01]).is_err());
    }

    proptest! {
        #[test]
        fn decoding_never_panics_and_what_decodes_re_encodes_exactly(
            bytes in proptest::collection::vec(any::<u8>(), 0..200)
        ) {
            if let Ok(m) = Message::from_bytes(&bytes) {
                prop_assert_eq!(m.to_bytes(), bytes);
            }
        }

        #[test]
        fn start_round_trips(name in "[a-zA-Z0-9 ._-]{1,64}", locator in 0u8..10) {
            let m = Message::Start { client_name: name, locator };
            prop_assert_eq!(Message::from_bytes(&m.to_bytes()).ok(), Some(m));
        }
    }
}
