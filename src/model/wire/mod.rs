//! The device model's wire encoding: how a [`Command`](super::Command),
//! [`Response`](super::Response), [`Event`](super::Event) or [`Device`](super::Device) becomes
//! the `body` of an envelope (`docs/ENVELOPE.md`, key 5 of the body map) and back.
//!
//! Deterministic CBOR with two shapes, so a reader in any language needs no schema compiler:
//!
//! - a *choice* (an enum) is an array `[code, fields...]`, each code with a fixed number of
//!   fields, an absent optional field written `null`; an enum whose variants carry nothing is
//!   its bare code;
//! - a *record* (a struct) is a map with small integer keys in ascending order, an absent
//!   optional field left out.
//!
//! Codes start at 1 and never change meaning; new ones are only ever appended. Every type has a
//! mirrored pair, `to_value` and `from_value`; decoding refuses unknown codes and keys,
//! duplicate keys, wrong types, out-of-range values and over-long lists, and `from_bytes` also
//! refuses any encoding but the deterministic one and trailing bytes, so one value has exactly
//! one encoding. `validate` applies the same checks to a value before the hub encodes it.
//! `docs/DEVICE-MODEL.md` is the reference; its examples are checked against this code.

mod action;
mod attribute;
mod capability;
mod codes;
mod device;
mod fields;
mod hub;
mod message;

#[cfg(test)]
mod tests;

/// Endpoints of one device at most.
pub const MAX_ENDPOINTS: usize = 64;
/// Capabilities of one endpoint at most.
pub const MAX_CAPABILITIES: usize = 64;
/// Values in one report or one response's state at most.
pub const MAX_VALUES: usize = 256;
/// Devices in a device list, and device ids in a client's device list, at most.
pub const MAX_DEVICES: usize = 1000;
/// Clients in a client list at most.
pub const MAX_CLIENTS: usize = 1000;
/// Envelopes in one history response at most.
pub const MAX_HISTORY: usize = 1000;
/// Bytes of one message, and of one envelope in a history response, at most: the largest
/// envelope sealhub parses.
pub const MAX_MESSAGE_BYTES: usize = crate::cose::MAX_MESSAGE_LEN;
/// Characters (Unicode scalar values) of a name, room, manufacturer or model at most.
pub const MAX_LABEL_CHARS: usize = 64;
/// Characters of a failure's explanation at most.
pub const MAX_EXPLANATION_CHARS: usize = 256;
/// The largest magnitude of a measurement: 2^53 − 1, the largest integer a JavaScript number
/// holds exactly, so a web client never rounds a reading.
pub const MAX_MEASUREMENT: i64 = (1 << 53) - 1;
/// The lowest temperature in 0.01 °C: absolute zero.
pub const MIN_TEMPERATURE: i64 = -27315;
