//! The one header layout certificates and revocation lists share (`{1: -7}` / `{4: root kid}`),
//! and the signature domains that keep them apart; their CBOR is read and written with
//! [`crate::cbor`].

use super::{Error, KID_LEN, Kid, Result};
use coset::{CoseSign1, Header, HeaderBuilder, iana};

/// The external AAD of every certificate signature: the root key's signature over a
/// certificate verifies as nothing else (not as a revocation list, not as an envelope, whose
/// inner layers take the route as external AAD).
pub const CERTIFICATE_AAD: &[u8] = b"sealhub v1 certificate";

/// The external AAD of every revocation-list signature, for the same reason.
pub const REVOCATION_LIST_AAD: &[u8] = b"sealhub v1 revocation list";

/// The only protected header sealhub signs with: `{1: -7}` (ES256), as it must appear on the wire.
pub(crate) const PROTECTED_ES256: [u8; 3] = [0xa1, 0x01, 0x26];

/// The headers of everything the root key signs here: alg in protected, its kid in unprotected.
pub(crate) fn root_headers(root: Kid) -> (Header, Header) {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .build();
    let unprotected = HeaderBuilder::new().key_id(root.0.to_vec()).build();
    (protected, unprotected)
}

/// Checks the headers before any signature work: ES256 only and only in the protected bucket,
/// which must be exactly `{1: -7}`; the unprotected bucket must be exactly `{4: root kid}`.
pub(crate) fn check_root_headers(msg: &CoseSign1, root: Kid) -> Result<()> {
    if msg.unprotected.alg.is_some() {
        return Err(Error::WrongAlgorithm);
    }
    if msg.protected.header.alg != Some(coset::Algorithm::Assigned(iana::Algorithm::ES256)) {
        return Err(Error::WrongAlgorithm);
    }
    if msg.protected.original_data.as_deref() != Some(&PROTECTED_ES256[..]) {
        return Err(Error::Malformed(
            "protected header must be exactly {1: -7}".into(),
        ));
    }
    if msg.unprotected.key_id.len() != KID_LEN {
        return Err(Error::Malformed(
            "unprotected header must carry an 8-byte kid".into(),
        ));
    }
    if msg.unprotected.key_id != root.0 {
        return Err(Error::WrongIssuer);
    }
    if msg.unprotected != root_headers(root).1 {
        return Err(Error::Malformed(
            "unprotected header must be exactly {4: kid}".into(),
        ));
    }
    Ok(())
}
