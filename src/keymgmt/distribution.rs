//! The body of a key-distribution envelope: the epoch key and what a client needs to trust
//! the devices it will hear from.

use crate::envelope::Error as EnvelopeError;
use coset::cbor::value::Value;
use zeroize::Zeroizing;

/// What the hub hands one client: the current epoch and its key, the device certificates, and
/// the latest signed revocation list.
#[derive(Clone)]
pub struct KeyDistribution {
    /// The epoch the key belongs to.
    pub epoch: u32,
    /// The 16-byte epoch key (AES-128-GCM).
    pub key: Zeroizing<[u8; 16]>,
    /// Certificates of every device, so the client can verify their signatures.
    pub device_certs: Vec<Vec<u8>>,
    /// The hub's latest signed revocation list.
    pub revocation_list: Vec<u8>,
}

impl std::fmt::Debug for KeyDistribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyDistribution")
            .field("epoch", &self.epoch)
            .field("key", &"<redacted>")
            .field("device_certs", &self.device_certs.len())
            .finish()
    }
}

impl KeyDistribution {
    /// As a CBOR value for the envelope body: `{1: epoch, 2: key, 3: [cert...], 4: list}`.
    pub fn to_value(&self) -> Value {
        let int = |n: u64| Value::Integer(n.into());
        Value::Map(vec![
            (int(1), int(self.epoch.into())),
            (int(2), Value::Bytes(self.key.to_vec())),
            (
                int(3),
                Value::Array(
                    self.device_certs
                        .iter()
                        .cloned()
                        .map(Value::Bytes)
                        .collect(),
                ),
            ),
            (int(4), Value::Bytes(self.revocation_list.clone())),
        ])
    }

    /// Reads the body of a verified key-distribution envelope.
    pub fn from_value(v: &Value) -> Result<Self, EnvelopeError> {
        let bad = |m: &str| EnvelopeError::Malformed(format!("key distribution: {m}"));
        let Value::Map(entries) = v else {
            return Err(bad("not a map"));
        };
        let [(k1, epoch), (k2, key), (k3, certs), (k4, list)] = entries.as_slice() else {
            return Err(bad("must have exactly 4 fields"));
        };
        for (k, want) in [(k1, 1), (k2, 2), (k3, 3), (k4, 4)] {
            if k.as_integer() != Some(want.into()) {
                return Err(bad("unexpected field"));
            }
        }
        let epoch = epoch
            .as_integer()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| bad("epoch"))?;
        let key: [u8; 16] = key
            .as_bytes()
            .and_then(|b| b.as_slice().try_into().ok())
            .ok_or_else(|| bad("key must be 16 bytes"))?;
        let device_certs = certs
            .as_array()
            .ok_or_else(|| bad("certificates"))?
            .iter()
            .map(|c| c.as_bytes().cloned().ok_or_else(|| bad("certificate")))
            .collect::<Result<Vec<_>, _>>()?;
        let revocation_list = list
            .as_bytes()
            .cloned()
            .ok_or_else(|| bad("revocation list"))?;
        Ok(KeyDistribution {
            epoch,
            key: Zeroizing::new(key),
            device_certs,
            revocation_list,
        })
    }
}
