//! COSE_Key (RFC 9053 §7.1.1) for P-256 public keys: how keys travel in headers and certificates.

use super::{Error, Result};
use crate::crypto::PublicKey;
use coset::iana::{self, EnumI64};
use coset::{CoseKey, CoseKeyBuilder, KeyType, Label};

/// The EC2 COSE_Key of a P-256 public key, with `kid` when one is given.
pub fn cose_key_from_public(key: &PublicKey, kid: Option<&[u8]>) -> CoseKey {
    let mut builder =
        CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_256, key.x().into(), key.y().into());
    if let Some(kid) = kid {
        builder = builder.key_id(kid.to_vec());
    }
    builder.build()
}

/// Extracts a validated P-256 public key from an EC2 COSE_Key with explicit x and y.
pub fn public_from_cose_key(key: &CoseKey) -> Result<PublicKey> {
    if key.kty != KeyType::Assigned(iana::KeyType::EC2) {
        return Err(Error::InvalidKey("kty is not EC2"));
    }
    let mut crv = None;
    let mut x = None;
    let mut y = None;
    for (label, value) in &key.params {
        match label {
            Label::Int(l) if *l == iana::Ec2KeyParameter::Crv.to_i64() => crv = value.as_integer(),
            Label::Int(l) if *l == iana::Ec2KeyParameter::X.to_i64() => x = value.as_bytes(),
            Label::Int(l) if *l == iana::Ec2KeyParameter::Y.to_i64() => y = value.as_bytes(),
            _ => {}
        }
    }
    if crv != Some(iana::EllipticCurve::P_256.to_i64().into()) {
        return Err(Error::InvalidKey("curve is not P-256"));
    }
    let (Some(x), Some(y)) = (x, y) else {
        return Err(Error::InvalidKey(
            "x or y missing (compressed keys are not accepted)",
        ));
    };
    PublicKey::from_coordinates(x, y).map_err(|_| Error::InvalidKey("point is not on P-256"))
}
