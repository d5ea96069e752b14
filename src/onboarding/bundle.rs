//! The two bundles the pairing exchange carries sealed (`docs/PAIRING.md`, "Bundles"): the
//! client's (its name and public key) and the hub's (everything a client must pin and hold
//! to talk to this home afterwards). The pairing core treats them as opaque bytes; this module
//! gives them their strict CBOR form, with mirrored `to_bytes` / `from_bytes`.
//!
//! ```text
//! ClientBundle = [2, name: tstr (1..64, an id's characters or any printable),
//!                 signing_key: bstr .size 65, agreement_key: bstr .size 65]
//! HubBundle    = [2, home: bstr .size 8, root_key: bstr .size 65, client_id: tstr,
//!                 role: uint (1 owner, 2 member, 3 guest), certificate: bstr (..4096),
//!                 key_distribution: bstr (..60000), tls_sha256: bstr .size 32, path: tstr]
//! ```
//! Keys are uncompressed SEC1 P-256 points and must be on the curve; a client's two keys must
//! differ (one signs, the other receives what is encrypted to it). Version 2: the client
//! bundle carries both keys, and the hub bundle's key distribution is layout version 2 (read
//! grants). Anything else — another
//! version, trailing bytes, a non-canonical encoding, a field of the wrong type or size — is
//! refused. A bundle only ever arrives inside the pairing key's AES-GCM, so these checks guard
//! against a buggy peer rather than a relay; they are still strict.

use coset::cbor::value::Value;

use crate::cbor::{self, as_array, as_bytes, as_items, as_text, as_u64, uint};
use crate::crypto::PublicKey;
use crate::envelope::DeviceId;
use crate::identity::MAX_CERT_LEN;
use crate::identity::{Kid, Thumbprint};
use crate::keymgmt::ClientPublicKeys;
use crate::model::Role;

/// The bundles' format version (2: a client has a signing and a key agreement key).
pub const BUNDLE_VERSION: u64 = 2;
/// The largest client bundle accepted.
pub const MAX_CLIENT_BUNDLE_LEN: usize = 1024;
/// The largest hub bundle accepted (the pairing frame's limit bounds it anyway).
pub const MAX_HUB_BUNDLE_LEN: usize = 62 * 1024;
/// The largest certificate a hub bundle may carry.
pub const MAX_CERTIFICATE_LEN: usize = MAX_CERT_LEN;
/// The largest key distribution a hub bundle may carry.
pub const MAX_KEY_DISTRIBUTION_LEN: usize = 60_000;
/// The longest transport path (with its query) a hub bundle may carry.
pub const MAX_PATH_LEN: usize = 256;

/// Why a bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not one canonical CBOR item of the expected shape.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// Longer than any bundle may be.
    #[error("{what} of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Which bundle or field.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A format version this build does not read.
    #[error("bundle version {0} is not supported")]
    UnsupportedVersion(u64),
    /// A field whose value breaks its rule (a key off the curve, a bad id or path).
    #[error("bundle field {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl From<cbor::Error> for BundleError {
    fn from(e: cbor::Error) -> Self {
        BundleError::Malformed(e.to_string())
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> BundleError {
    BundleError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Decodes `bytes` as a canonical array of exactly `n` items whose first is the version.
fn items(
    bytes: &[u8],
    what: &'static str,
    max: usize,
    n: usize,
) -> Result<Vec<Value>, BundleError> {
    if bytes.len() > max {
        return Err(BundleError::TooLong {
            what,
            len: bytes.len(),
            max,
        });
    }
    let value = cbor::decode_canonical(bytes, what)?;
    let items = as_items(&value, what)?;
    let version = items
        .first()
        .map(|v| as_u64(v, "version"))
        .transpose()?
        .ok_or_else(|| BundleError::Malformed(format!("{what}: empty array")))?;
    if version != BUNDLE_VERSION {
        return Err(BundleError::UnsupportedVersion(version));
    }
    if items.len() != n {
        return Err(BundleError::Malformed(format!(
            "{what}: {} items where {n} are due",
            items.len()
        )));
    }
    Ok(items.to_vec())
}

fn public_key(v: &Value, field: &'static str) -> Result<PublicKey, BundleError> {
    let sec1 = as_array::<65>(v, field)?;
    PublicKey::from_sec1(&sec1).map_err(|e| invalid(field, e.to_string()))
}

fn bounded_bytes(v: &Value, field: &'static str, max: usize) -> Result<Vec<u8>, BundleError> {
    let bytes = as_bytes(v, field)?;
    if bytes.is_empty() || bytes.len() > max {
        return Err(invalid(
            field,
            format!("{} bytes is outside 1..={max}", bytes.len()),
        ));
    }
    Ok(bytes.to_vec())
}

/// What the client sends the hub, sealed: the name it asks to be known by and the two public
/// keys the hub certifies (one verifies its commands, the other is what key distributions,
/// responses and challenges are encrypted to). The pairing key's AES-GCM, confirmed by both
/// sides' SPAKE2+ key confirmation, is what authenticates them as this client's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientBundle {
    /// The name the person gave the client (also the pairing exchange's idProver).
    pub name: String,
    /// Its P-256 public keys.
    pub keys: ClientPublicKeys,
}

impl ClientBundle {
    /// The bundle's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::encode(&Value::Array(vec![
            uint(BUNDLE_VERSION),
            Value::Text(self.name.clone()),
            Value::Bytes(self.keys.signing.to_sec1_uncompressed().to_vec()),
            Value::Bytes(self.keys.agreement.to_sec1_uncompressed().to_vec()),
        ]))
    }

    /// Reads a bundle, refusing anything but the exact form [`ClientBundle::to_bytes`] writes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let items = items(bytes, "client bundle", MAX_CLIENT_BUNDLE_LEN, 4)?;
        let name = as_text(&items[1], "name")?;
        crate::pairing::messages::check_client_name(name)
            .map_err(|e| invalid("name", e.to_string()))?;
        let keys = ClientPublicKeys {
            signing: public_key(&items[2], "signing_key")?,
            agreement: public_key(&items[3], "agreement_key")?,
        };
        if keys.signing == keys.agreement {
            return Err(invalid(
                "agreement_key",
                "is the signing key: a key either signs or agrees, never both",
            ));
        }
        Ok(ClientBundle {
            name: name.to_owned(),
            keys,
        })
    }
}

/// What the hub sends the client, sealed: everything the client pins and holds to reach
/// this home afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubBundle {
    /// The home id (the root key's kid).
    pub home: Kid,
    /// The hub's root public key: the client's trust anchor.
    pub root_key: PublicKey,
    /// The id the hub gave the client (`[a-z0-9._:-]`, derived from its name).
    pub client_id: DeviceId,
    /// The role its code granted.
    pub role: Role,
    /// The client's certificate, signed by the root key.
    pub certificate: Vec<u8>,
    /// The first key-distribution envelope (the client's read grant, device certificates,
    /// revocations), encrypted to the client's key agreement key.
    pub key_distribution: Vec<u8>,
    /// SHA-256 of the hub's TLS certificate (DER): the pin for every later connection.
    pub tls_sha256: [u8; 32],
    /// The WebSocket path (and query) of the client's sessions, `/v1/home?client=<id>`.
    pub path: String,
}

fn role_code(role: Role) -> u64 {
    match role {
        Role::Owner => 1,
        Role::Member => 2,
        Role::Guest => 3,
    }
}

fn role_of(code: u64) -> Result<Role, BundleError> {
    match code {
        1 => Ok(Role::Owner),
        2 => Ok(Role::Member),
        3 => Ok(Role::Guest),
        other => Err(invalid("role", format!("unknown role {other}"))),
    }
}

impl HubBundle {
    /// The bundle's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::encode(&Value::Array(vec![
            uint(BUNDLE_VERSION),
            Value::Bytes(self.home.0.to_vec()),
            Value::Bytes(self.root_key.to_sec1_uncompressed().to_vec()),
            Value::Text(self.client_id.as_str().to_owned()),
            uint(role_code(self.role)),
            Value::Bytes(self.certificate.clone()),
            Value::Bytes(self.key_distribution.clone()),
            Value::Bytes(self.tls_sha256.to_vec()),
            Value::Text(self.path.clone()),
        ]))
    }

    /// Reads a bundle, refusing anything but the exact form [`HubBundle::to_bytes`] writes,
    /// and a home id that is not the root key's kid.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let items = items(bytes, "hub bundle", MAX_HUB_BUNDLE_LEN, 9)?;
        let home = Kid(as_array(&items[1], "home")?);
        let root_key = public_key(&items[2], "root_key")?;
        if Thumbprint::of(&root_key).kid() != home {
            return Err(invalid("home", "is not the root key's kid"));
        }
        let client_id = DeviceId::new(as_text(&items[3], "client_id")?)
            .map_err(|e| invalid("client_id", e.to_string()))?;
        let role = role_of(as_u64(&items[4], "role")?)?;
        let certificate = bounded_bytes(&items[5], "certificate", MAX_CERTIFICATE_LEN)?;
        let key_distribution =
            bounded_bytes(&items[6], "key_distribution", MAX_KEY_DISTRIBUTION_LEN)?;
        let tls_sha256 = as_array(&items[7], "tls_sha256")?;
        let path = as_text(&items[8], "path")?;
        if !path.starts_with('/')
            || path.len() > MAX_PATH_LEN
            || !path.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(invalid(
                "path",
                "must be a printable ASCII path starting with /",
            ));
        }
        Ok(HubBundle {
            home,
            root_key,
            client_id,
            role,
            certificate,
            key_distribution,
            tls_sha256,
            path: path.to_owned(),
        })
    }
}

/// The role's name as people read it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Member => "member",
        Role::Guest => "guest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PrivateKey;
    use proptest::prelude::*;

    fn key() -> PublicKey {
        PrivateKey::generate().expect("key").public_key()
    }

    fn keys() -> ClientPublicKeys {
        crate::keymgmt::ClientKeys::generate()
            .expect("keys")
            .public()
    }

    fn hub_bundle() -> HubBundle {
        let root_key = key();
        HubBundle {
            home: Thumbprint::of(&root_key).kid(),
            root_key,
            client_id: DeviceId::new("laptop").expect("id"),
            role: Role::Member,
            certificate: vec![1, 2, 3],
            key_distribution: vec![4; 300],
            tls_sha256: [7; 32],
            path: "/v1/home?client=laptop".into(),
        }
    }

    #[test]
    fn client_bundle_round_trips_and_has_the_documented_shape() {
        let bundle = ClientBundle {
            name: "pc".into(),
            keys: keys(),
        };
        let bytes = bundle.to_bytes();
        // [2, "pc", h'04…' (65 bytes), h'04…' (65 bytes)]
        assert_eq!(&bytes[..7], &[0x84, 0x02, 0x62, b'p', b'c', 0x58, 65]);
        assert_eq!(&bytes[7..8], &[0x04]);
        assert_eq!(
            &bytes[7..72],
            &bundle.keys.signing.to_sec1_uncompressed()[..]
        );
        assert_eq!(&bytes[72..74], &[0x58, 65]);
        assert_eq!(
            &bytes[74..],
            &bundle.keys.agreement.to_sec1_uncompressed()[..]
        );
        assert_eq!(bytes.len(), 7 + 65 + 2 + 65);
        assert_eq!(ClientBundle::from_bytes(&bytes).expect("decodes"), bundle);
    }

    #[test]
    fn hub_bundle_round_trips() {
        let bundle = hub_bundle();
        assert_eq!(
            HubBundle::from_bytes(&bundle.to_bytes()).expect("decodes"),
            bundle
        );
    }

    #[test]
    fn client_bundle_refusals() {
        let good = ClientBundle {
            name: "pc".into(),
            keys: keys(),
        }
        .to_bytes();
        // Trailing byte.
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(
            ClientBundle::from_bytes(&trailing),
            Err(BundleError::Malformed(_))
        ));
        // Truncated.
        assert!(matches!(
            ClientBundle::from_bytes(&good[..good.len() - 1]),
            Err(BundleError::Malformed(_))
        ));
        // Another version.
        let mut v1 = good.clone();
        v1[1] = 0x01;
        assert_eq!(
            ClientBundle::from_bytes(&v1),
            Err(BundleError::UnsupportedVersion(1))
        );
        // The version-1 shape (one key for both uses) is refused.
        let one_key = cbor::encode(&Value::Array(vec![
            uint(1),
            Value::Text("pc".into()),
            Value::Bytes(key().to_sec1_uncompressed().to_vec()),
        ]));
        assert_eq!(
            ClientBundle::from_bytes(&one_key),
            Err(BundleError::UnsupportedVersion(1))
        );
        // One key offered for both uses.
        let same = key().to_sec1_uncompressed().to_vec();
        let reused = cbor::encode(&Value::Array(vec![
            uint(BUNDLE_VERSION),
            Value::Text("pc".into()),
            Value::Bytes(same.clone()),
            Value::Bytes(same),
        ]));
        assert!(matches!(
            ClientBundle::from_bytes(&reused),
            Err(BundleError::Invalid {
                field: "agreement_key",
                ..
            })
        ));
        // The agreement key missing.
        assert!(matches!(
            ClientBundle::from_bytes(&cbor::encode(&Value::Array(vec![
                uint(BUNDLE_VERSION),
                Value::Text("pc".into()),
                Value::Bytes(key().to_sec1_uncompressed().to_vec()),
            ]))),
            Err(BundleError::Malformed(_))
        ));
        // A point off the curve.
        let mut off = good.clone();
        let last = off.len() - 1;
        off[last] ^= 1;
        assert!(matches!(
            ClientBundle::from_bytes(&off),
            Err(BundleError::Invalid {
                field: "agreement_key",
                ..
            })
        ));
        // A compressed key.
        let compressed = cbor::encode(&Value::Array(vec![
            uint(BUNDLE_VERSION),
            Value::Text("pc".into()),
            Value::Bytes(vec![2; 33]),
            Value::Bytes(key().to_sec1_uncompressed().to_vec()),
        ]));
        assert!(matches!(
            ClientBundle::from_bytes(&compressed),
            Err(BundleError::Malformed(_))
        ));
        // A name with a control character.
        let ctl = cbor::encode(&Value::Array(vec![
            uint(BUNDLE_VERSION),
            Value::Text("p\nc".into()),
            Value::Bytes(key().to_sec1_uncompressed().to_vec()),
            Value::Bytes(key().to_sec1_uncompressed().to_vec()),
        ]));
        assert!(matches!(
            ClientBundle::from_bytes(&ctl),
            Err(BundleError::Invalid { field: "name", .. })
        ));
        // Too long.
        assert!(matches!(
            ClientBundle::from_bytes(&vec![0; MAX_CLIENT_BUNDLE_LEN + 1]),
            Err(BundleError::TooLong { .. })
        ));
        // Non-canonical: the version as a two-byte integer.
        let mut long_int = vec![0x84, 0x18, 0x02];
        long_int.extend_from_slice(&good[2..]);
        assert!(matches!(
            ClientBundle::from_bytes(&long_int),
            Err(BundleError::Malformed(_))
        ));
    }

    #[test]
    fn hub_bundle_refuses_a_home_that_is_not_the_root_keys() {
        let mut bundle = hub_bundle();
        bundle.home = Kid([0; 8]);
        assert!(matches!(
            HubBundle::from_bytes(&bundle.to_bytes()),
            Err(BundleError::Invalid { field: "home", .. })
        ));
    }

    #[test]
    fn hub_bundle_field_refusals() {
        type Spoil = fn(&mut HubBundle);
        let cases: Vec<(Spoil, &str)> = vec![
            (|b| b.certificate.clear(), "certificate"),
            (
                |b| b.certificate = vec![0; MAX_CERTIFICATE_LEN + 1],
                "certificate",
            ),
            (|b| b.key_distribution.clear(), "key_distribution"),
            (|b| b.path = "v1/home".into(), "path"),
            (|b| b.path = "/v1/home client".into(), "path"),
        ];
        for (spoil, field) in cases {
            let mut bundle = hub_bundle();
            spoil(&mut bundle);
            match HubBundle::from_bytes(&bundle.to_bytes()) {
                Err(BundleError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected a refusal, got {other:?}"),
            }
        }
        // An unknown role and a bad client id, written by hand.
        let good = hub_bundle();
        let mut items = match cbor::decode(&good.to_bytes(), "t").expect("cbor") {
            Value::Array(items) => items,
            _ => unreachable!(),
        };
        items[4] = uint(4);
        assert!(matches!(
            HubBundle::from_bytes(&cbor::encode(&Value::Array(items.clone()))),
            Err(BundleError::Invalid { field: "role", .. })
        ));
        items[4] = uint(1);
        items[3] = Value::Text("Laptop".into());
        assert!(matches!(
            HubBundle::from_bytes(&cbor::encode(&Value::Array(items.clone()))),
            Err(BundleError::Invalid {
                field: "client_id",
                ..
            })
        ));
        items.pop();
        assert!(matches!(
            HubBundle::from_bytes(&cbor::encode(&Value::Array(items))),
            Err(BundleError::Malformed(_))
        ));
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = ClientBundle::from_bytes(&bytes);
            let _ = HubBundle::from_bytes(&bytes);
        }

        #[test]
        fn any_client_name_that_passes_round_trips(name in "[a-zA-Z0-9 ._-]{1,64}") {
            let bundle = ClientBundle { name, keys: keys() };
            prop_assert_eq!(ClientBundle::from_bytes(&bundle.to_bytes()).expect("decodes"), bundle);
        }
    }
}
