//! The route: the only part of an envelope a middlebox may read, bound to both layers as AAD.

use super::{Error, Result};
use crate::cbor::{as_array, as_u64, decode_canonical, encode};
use crate::identity::{KID_LEN, Kid};
use coset::cbor::value::Value;

/// The private COSE header label under which the route travels in the outer unprotected header.
pub const ROUTE_LABEL: i64 = -65537;
/// The route layout this code reads and writes.
pub const ROUTE_VERSION: u64 = 1;

/// What a message is, as the route tells a middlebox and the signed body repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// A client asks a device to act; encrypted to the device key, signed by the client.
    Command = 1,
    /// A device answers a command; encrypted to the client that sent it, signed by the device.
    Response = 2,
    /// A device reports something unprompted; under the device's read key, signed by the device.
    Event = 3,
    /// The hub hands a client the epoch key; encrypted to the client, signed by the root key.
    KeyDistribution = 4,
    /// The hub publishes revoked certificates; under the read key of device "hub", signed by
    /// the root key.
    RevocationList = 5,
    /// The hub asks a client to prove freshness; encrypted to that client, signed by the root
    /// key.
    Challenge = 6,
}

impl MessageType {
    /// Parses the wire number; unknown numbers are refused, not ignored.
    pub fn from_u64(n: u64) -> Option<Self> {
        Some(match n {
            1 => MessageType::Command,
            2 => MessageType::Response,
            3 => MessageType::Event,
            4 => MessageType::KeyDistribution,
            5 => MessageType::RevocationList,
            6 => MessageType::Challenge,
            _ => return None,
        })
    }

    /// Whether this type travels as COSE_Encrypt to one key (a device's or a client's key
    /// agreement key) rather than under a read key derived from the epoch key: commands go to
    /// the device, key distributions, responses and challenges to the one client concerned.
    pub fn is_to_one_key(self) -> bool {
        matches!(
            self,
            MessageType::Command
                | MessageType::KeyDistribution
                | MessageType::Response
                | MessageType::Challenge
        )
    }
}

/// A device or client name as routes and certificates carry it: 1–64 characters of
/// `[a-z0-9._:-]`, so it is safe in logs, topics and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(String);

impl DeviceId {
    /// Validates a name.
    pub fn new(s: &str) -> Result<Self> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b':' | b'-')
            });
        if ok {
            Ok(DeviceId(s.to_owned()))
        } else {
            Err(Error::Malformed(format!(
                "device id {s:?} must be 1-64 characters of a-z 0-9 . _ : -"
            )))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Routing metadata: home, device, type and epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The home: the short kid of its hub root key.
    pub home: Kid,
    /// The device the message is about (for key distribution: the client).
    pub device: DeviceId,
    /// What the message is.
    pub msg_type: MessageType,
    /// Events and responses: the epoch whose key encrypts them; otherwise the sender's current one.
    pub epoch: u32,
}

impl Route {
    /// The route's canonical bytes: what travels in the header and what both layers bind as AAD.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&Value::Array(vec![
            Value::Integer(ROUTE_VERSION.into()),
            Value::Bytes(self.home.0.to_vec()),
            Value::Text(self.device.as_str().to_owned()),
            Value::Integer((self.msg_type as u64).into()),
            Value::Integer(self.epoch.into()),
        ]))
    }

    /// Parses route bytes strictly (canonical CBOR, version 1, every field valid).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let value = decode_canonical(bytes, "route")?;
        let Value::Array(items) = value else {
            return Err(Error::Malformed("route must be an array".into()));
        };
        let [version, home, device, msg_type, epoch] = items.as_slice() else {
            return Err(Error::Malformed("route must have 5 fields".into()));
        };
        if as_u64(version, "route version")? != ROUTE_VERSION {
            return Err(Error::Malformed("unsupported route version".into()));
        }
        let home = Kid(as_array::<KID_LEN>(home, "route home")?);
        let device = DeviceId::new(
            device
                .as_text()
                .ok_or_else(|| Error::Malformed("route device must be text".into()))?,
        )?;
        let msg_type = MessageType::from_u64(as_u64(msg_type, "route type")?)
            .ok_or_else(|| Error::Malformed("unknown message type".into()))?;
        let epoch = u32::try_from(as_u64(epoch, "route epoch")?)
            .map_err(|_| Error::Malformed("route epoch out of range".into()))?;
        Ok(Route {
            home,
            device,
            msg_type,
            epoch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> Route {
        Route {
            home: Kid([1, 2, 3, 4, 5, 6, 7, 8]),
            device: DeviceId::new("zb:front-door").expect("valid"),
            msg_type: MessageType::Event,
            epoch: 7,
        }
    }

    #[test]
    fn route_bytes_follow_the_documented_layout() {
        // [1, h'0102030405060708', "zb:front-door", 3, 7]
        assert_eq!(
            hex::encode(route().to_bytes()),
            "85014801020304050607086d7a623a66726f6e742d646f6f720307"
        );
        assert_eq!(
            Route::from_bytes(&route().to_bytes()).expect("parses"),
            route()
        );
    }

    #[test]
    fn non_canonical_or_unknown_routes_are_refused() {
        // Epoch 7 written as a one-byte-length integer (0x18 0x07) is not canonical.
        let mut long_int = route().to_bytes();
        long_int.pop();
        long_int.extend_from_slice(&[0x18, 0x07]);
        assert!(Route::from_bytes(&long_int).is_err());
        // Trailing byte.
        let mut trailing = route().to_bytes();
        trailing.push(0);
        assert!(Route::from_bytes(&trailing).is_err());
        // Version 2.
        let mut v2 = route().to_bytes();
        v2[1] = 0x02;
        assert!(Route::from_bytes(&v2).is_err());
        // Unknown message type 9.
        let mut t9 = route().to_bytes();
        let n = t9.len();
        t9[n - 2] = 0x09;
        assert!(Route::from_bytes(&t9).is_err());
        assert!(DeviceId::new("Front Door").is_err());
        assert!(DeviceId::new("").is_err());
        assert!(DeviceId::new(&"a".repeat(65)).is_err());
    }
}
