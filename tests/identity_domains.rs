//! Certificates and revocation lists are signed by the same root key, so each has a signature
//! domain of its own (its own external AAD) and its own tags: bytes the root key signed as one
//! are never accepted as the other, whatever framing an attacker puts around them.

use sealhub::crypto::PrivateKey;
use sealhub::identity::{
    CertClaims, Certificate, Error, Kid, Permissions, RevocationList, Role, Thumbprint,
};

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_bytes(&[seed; 32]).expect("valid scalar")
}

fn kid_of(key: &PrivateKey) -> Kid {
    Thumbprint::of(&key.public_key()).kid()
}

fn certificate(root: &PrivateKey) -> Certificate {
    let claims = CertClaims::new(
        kid_of(root),
        "phone",
        Role::Client,
        Permissions::ALL,
        key(9).public_key(),
        0,
    )
    .expect("rng")
    .with_agreement_key(key(10).public_key());
    Certificate::issue(claims, root).expect("issue")
}

fn revocation_list(root: &PrivateKey) -> Vec<u8> {
    let mut list = RevocationList::new(kid_of(root));
    list.revoke(&certificate(root));
    list.sign(root).expect("sign")
}

/// A certificate is `61(18([...]))`: the inner tag-18 Sign1 alone, or the bare array, is not
/// a certificate.
#[test]
fn a_certificate_without_its_tags_is_refused() {
    let root = key(1);
    let cert = certificate(&root);
    let bytes = cert.as_bytes();
    assert_eq!(&bytes[..3], &[0xd8, 0x3d, 0xd2], "61(18(...))");
    Certificate::verify(bytes, &root.public_key(), None).expect("the tagged form verifies");
    for (name, stripped) in [("tag 18 only", &bytes[2..]), ("untagged", &bytes[3..])] {
        assert!(
            matches!(
                Certificate::verify(stripped, &root.public_key(), None),
                Err(Error::Malformed(_))
            ),
            "{name} accepted as a certificate"
        );
    }
}

/// The root's signature over a revocation list does not verify as a certificate signature,
/// even in the certificate's framing.
#[test]
fn a_revocation_list_is_never_a_certificate() {
    let root = key(1);
    let list = revocation_list(&root);
    let mut as_cwt = vec![0xd8, 0x3d];
    as_cwt.extend_from_slice(&list);
    let err = Certificate::verify(&as_cwt, &root.public_key(), None).expect_err("refused");
    assert!(matches!(err, Error::BadSignature), "{err}");
}

/// The root's signature over a certificate does not verify as a revocation list signature.
#[test]
fn a_certificate_is_never_a_revocation_list() {
    let root = key(1);
    let cert = certificate(&root);
    let sign1 = &cert.as_bytes()[2..];
    let err =
        RevocationList::verify(sign1, &root.public_key(), kid_of(&root), None).expect_err("no");
    assert!(matches!(err, Error::BadSignature), "{err}");
    let err = RevocationList::verify(cert.as_bytes(), &root.public_key(), kid_of(&root), None)
        .expect_err("refused");
    assert!(matches!(err, Error::Malformed(_)), "{err}");
}
