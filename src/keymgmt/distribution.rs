//! The body of a key-distribution envelope: the read keys a client may hold and what it needs
//! to trust the devices it will hear from (`docs/ENVELOPE.md`, "Key distribution").
//!
//! Layout (deterministic CBOR, every key required, nothing else allowed):
//!
//! ```text
//! {
//!   1: 2,                                  / layout version /
//!   2: epoch,                              / uint /
//!   3: read,                               / exactly one of: /
//!        {1: h'<epoch key, 16 bytes>'}       / reads every device: READ, no device list /
//!        {2: [["<device id>", h'<K(epoch, device)>'], ...]}
//!                                          / reads these devices only, sorted by id, unique;
//!                                            empty for a client without READ /
//!   4: [h'<device certificate>', ...],
//!   5: h'<signed revocation list>',
//! }
//! ```

use crate::cbor::{as_array, as_bytes, as_items, as_text, as_u64, int, int_map, uint};
use crate::envelope::{DeviceId, Error as EnvelopeError, READ_KEY_LEN};
use coset::cbor::value::Value;
use zeroize::Zeroizing;

/// The layout version this code reads and writes (the unversioned first layout is refused).
pub const KEY_DISTRIBUTION_VERSION: u64 = 2;

const VERSION: i64 = 1;
const EPOCH: i64 = 2;
const READ: i64 = 3;
const CERTS: i64 = 4;
const REVOCATIONS: i64 = 5;
const READ_EPOCH_KEY: i64 = 1;
const READ_DEVICE_KEYS: i64 = 2;

/// What a client may read in one epoch, as the hub hands it over.
#[derive(Clone, PartialEq, Eq)]
pub enum ReadGrant {
    /// The epoch key itself: the client derives every device's read key.
    Epoch(Zeroizing<[u8; READ_KEY_LEN]>),
    /// The read keys of some devices only (the device "hub" stands for revocation lists),
    /// sorted by device id; empty for a client without the permission to read.
    Devices(Vec<(DeviceId, Zeroizing<[u8; READ_KEY_LEN]>)>),
}

impl std::fmt::Debug for ReadGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadGrant::Epoch(_) => f.write_str("ReadGrant::Epoch(<redacted>)"),
            ReadGrant::Devices(keys) => f
                .debug_tuple("ReadGrant::Devices")
                .field(&keys.iter().map(|(d, _)| d.as_str()).collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// What the hub hands one client: the epoch, the read keys the client may hold, the device
/// certificates, and the latest signed revocation list.
#[derive(Clone)]
pub struct KeyDistribution {
    /// The epoch the keys belong to.
    pub epoch: u32,
    /// The read keys of this epoch the client may hold.
    pub read: ReadGrant,
    /// Certificates of every device, so the client can verify their signatures and encrypt
    /// commands to them.
    pub device_certs: Vec<Vec<u8>>,
    /// The hub's latest signed revocation list.
    pub revocation_list: Vec<u8>,
}

impl std::fmt::Debug for KeyDistribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyDistribution")
            .field("epoch", &self.epoch)
            .field("read", &self.read)
            .field("device_certs", &self.device_certs.len())
            .finish()
    }
}

fn bad(m: &str) -> EnvelopeError {
    EnvelopeError::Malformed(format!("key distribution: {m}"))
}

impl KeyDistribution {
    /// As a CBOR value for the envelope body (the layout above). The caller wipes it
    /// ([`crate::cbor::zeroize`]) once sealed.
    pub fn to_value(&self) -> Value {
        let read = match &self.read {
            ReadGrant::Epoch(key) => {
                Value::Map(vec![(int(READ_EPOCH_KEY), Value::Bytes(key.to_vec()))])
            }
            ReadGrant::Devices(keys) => {
                let list = keys
                    .iter()
                    .map(|(device, key)| {
                        Value::Array(vec![
                            Value::Text(device.as_str().to_owned()),
                            Value::Bytes(key.to_vec()),
                        ])
                    })
                    .collect();
                Value::Map(vec![(int(READ_DEVICE_KEYS), Value::Array(list))])
            }
        };
        Value::Map(vec![
            (int(VERSION), uint(KEY_DISTRIBUTION_VERSION)),
            (int(EPOCH), uint(self.epoch.into())),
            (int(READ), read),
            (
                int(CERTS),
                Value::Array(
                    self.device_certs
                        .iter()
                        .cloned()
                        .map(Value::Bytes)
                        .collect(),
                ),
            ),
            (int(REVOCATIONS), Value::Bytes(self.revocation_list.clone())),
        ])
    }

    /// Reads the body of a verified key-distribution envelope, strictly: the version, every
    /// field in order, exactly one form of read grant, device keys sorted and unique.
    pub fn from_value(v: &Value) -> Result<Self, EnvelopeError> {
        let Value::Map(entries) = v else {
            return Err(bad("not a map"));
        };
        let [
            (k1, version),
            (k2, epoch),
            (k3, read),
            (k4, certs),
            (k5, list),
        ] = entries.as_slice()
        else {
            return Err(bad("must have exactly 5 fields"));
        };
        for (k, want) in [
            (k1, VERSION),
            (k2, EPOCH),
            (k3, READ),
            (k4, CERTS),
            (k5, REVOCATIONS),
        ] {
            if k.as_integer() != Some(want.into()) {
                return Err(bad("unexpected field"));
            }
        }
        let version = as_u64(version, "key distribution version")?;
        if version != KEY_DISTRIBUTION_VERSION {
            return Err(bad(&format!("unsupported layout version {version}")));
        }
        let epoch = u32::try_from(as_u64(epoch, "epoch")?).map_err(|_| bad("epoch"))?;
        let read = read_grant(read)?;
        let device_certs = as_items(certs, "certificates")?
            .iter()
            .map(|c| Ok(as_bytes(c, "certificate")?.to_vec()))
            .collect::<Result<Vec<_>, EnvelopeError>>()?;
        let revocation_list = as_bytes(list, "revocation list")?.to_vec();
        Ok(KeyDistribution {
            epoch,
            read,
            device_certs,
            revocation_list,
        })
    }
}

fn read_grant(v: &Value) -> Result<ReadGrant, EnvelopeError> {
    let entries = int_map(v.clone(), "read grant")?;
    let [(kind, value)] = entries.as_slice() else {
        return Err(bad("the read grant holds exactly one entry"));
    };
    match *kind {
        READ_EPOCH_KEY => Ok(ReadGrant::Epoch(Zeroizing::new(as_array(
            value,
            "epoch key",
        )?))),
        READ_DEVICE_KEYS => {
            let mut keys: Vec<(DeviceId, Zeroizing<[u8; READ_KEY_LEN]>)> = Vec::new();
            for item in as_items(value, "device keys")? {
                let [device, key] = as_items(item, "device key")? else {
                    return Err(bad("a device key is [device id, key]"));
                };
                let device = DeviceId::new(as_text(device, "device id")?)?;
                if keys.last().is_some_and(|(last, _)| *last >= device) {
                    return Err(bad("device keys must be sorted by device id and unique"));
                }
                keys.push((device, Zeroizing::new(as_array(key, "device read key")?)));
            }
            Ok(ReadGrant::Devices(keys))
        }
        _ => Err(bad("unknown read grant")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DeviceId {
        DeviceId::new(s).expect("id")
    }

    fn devices(ids: &[&str]) -> KeyDistribution {
        KeyDistribution {
            epoch: 3,
            read: ReadGrant::Devices(
                ids.iter()
                    .map(|d| (id(d), Zeroizing::new([7; READ_KEY_LEN])))
                    .collect(),
            ),
            device_certs: vec![vec![1, 2]],
            revocation_list: vec![3],
        }
    }

    #[test]
    fn both_grants_round_trip_and_debug_shows_no_key() {
        let full = KeyDistribution {
            read: ReadGrant::Epoch(Zeroizing::new([0x5e; READ_KEY_LEN])),
            ..devices(&[])
        };
        for dist in [full, devices(&["hub", "zb:bulb"]), devices(&[])] {
            let back = KeyDistribution::from_value(&dist.to_value()).expect("parses");
            assert_eq!(back.read, dist.read);
            assert_eq!(back.epoch, 3);
            let shown = format!("{dist:?}");
            assert!(!shown.contains("94") && !shown.contains("5e"), "{shown}");
        }
    }

    #[test]
    fn unsorted_repeated_or_unknown_forms_and_the_old_layout_are_refused() {
        for ids in [&["zb:bulb", "hub"][..], &["hub", "hub"][..]] {
            let v = devices(ids).to_value();
            assert!(KeyDistribution::from_value(&v).is_err(), "{ids:?}");
        }
        let Value::Map(mut map) = devices(&["hub"]).to_value() else {
            panic!("map")
        };
        // Both grants at once.
        let mut both = map.clone();
        both[2].1 = Value::Map(vec![
            (int(1), Value::Bytes(vec![0; 16])),
            (int(2), Value::Array(vec![])),
        ]);
        assert!(KeyDistribution::from_value(&Value::Map(both)).is_err());
        // Another layout version.
        map[0].1 = uint(1);
        assert!(KeyDistribution::from_value(&Value::Map(map)).is_err());
        // The first, unversioned layout: {1: epoch, 2: key, 3: certs, 4: list}.
        let old = Value::Map(vec![
            (int(1), uint(1)),
            (int(2), Value::Bytes(vec![0; 16])),
            (int(3), Value::Array(vec![])),
            (int(4), Value::Bytes(vec![])),
        ]);
        assert!(KeyDistribution::from_value(&old).is_err());
    }

    fn grant() -> impl proptest::strategy::Strategy<Value = ReadGrant> {
        use proptest::prelude::*;
        prop_oneof![
            any::<[u8; READ_KEY_LEN]>().prop_map(|k| ReadGrant::Epoch(Zeroizing::new(k))),
            proptest::collection::btree_map(
                "[a-z0-9._:-]{1,64}",
                any::<[u8; READ_KEY_LEN]>(),
                0..6
            )
            .prop_map(|m| ReadGrant::Devices(
                m.into_iter()
                    .map(|(d, k)| (id(&d), Zeroizing::new(k)))
                    .collect()
            )),
        ]
    }

    proptest::proptest! {
        /// Any distribution round-trips through its CBOR, and that CBOR through its bytes.
        #[test]
        fn random_distributions_round_trip(
            epoch in proptest::prelude::any::<u32>(),
            read in grant(),
            certs in proptest::collection::vec(proptest::collection::vec(0u8..=255, 0..40), 0..4),
            list in proptest::collection::vec(0u8..=255, 0..40),
        ) {
            let dist = KeyDistribution { epoch, read, device_certs: certs, revocation_list: list };
            let bytes = crate::cbor::encode(&dist.to_value());
            let back = KeyDistribution::from_value(
                &crate::cbor::decode_canonical(&bytes, "test").expect("canonical"),
            )
            .expect("parses");
            proptest::prop_assert_eq!(back.epoch, dist.epoch);
            proptest::prop_assert_eq!(&back.read, &dist.read);
            proptest::prop_assert_eq!(back.device_certs, dist.device_certs);
            proptest::prop_assert_eq!(back.revocation_list, dist.revocation_list);
        }
    }
}
