//! HMAC-SHA-256 (RFC 2104) with a constant-time check, and PBKDF2-HMAC-SHA-256 (RFC 8018), for
//! SPAKE2+ key confirmation and the setup-code verifier (`crate::pairing`).

use super::{Error, Result};
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Length of an HMAC-SHA-256 tag.
pub const HMAC_SHA256_LEN: usize = 32;

/// HMAC-SHA-256 of `data` under `key` (any key length).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; HMAC_SHA256_LEN] {
    // HMAC accepts keys of every length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Whether `tag` is HMAC-SHA-256 of `data` under `key`, compared in constant time so that the
/// time taken says nothing about how many leading bytes matched.
pub fn hmac_sha256_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let expected = hmac_sha256(key, data);
    tag.len() == HMAC_SHA256_LEN && bool::from(expected.ct_eq(tag))
}

/// PBKDF2-HMAC-SHA-256 of `password` and `salt` with `iterations` rounds, filling `out`.
pub fn pbkdf2_hmac_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) -> Result<()> {
    if iterations == 0 {
        return Err(Error::KdfLength(0));
    }
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe").
    #[test]
    fn hmac_matches_rfc4231_case_2_and_refuses_other_tags() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag
        ));
        let mut wrong = tag;
        wrong[31] ^= 1;
        assert!(!hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &wrong
        ));
        assert!(!hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag[..31]
        ));
    }

    /// rs-matter's `test_pbkdf2` (project-chip/rs-matter `rs-matter/src/sc/pase/spake2p.rs`,
    /// copied in `tests/vectors/spake2plus.md`): passcode 123456 as u32 little-endian, 2000
    /// iterations, 80 bytes of w0s || w1s.
    #[test]
    fn pbkdf2_matches_the_matter_vector() {
        let salt = hex::decode("04a1d2c611f0bd367867797bfe823600").expect("hex");
        let mut out = [0u8; 80];
        pbkdf2_hmac_sha256(&123456u32.to_le_bytes(), &salt, 2000, &mut out).expect("pbkdf2");
        assert_eq!(
            hex::encode(out),
            "c789339cc5ebbcf6df04a91111064c15ac5aea67699f3262cfc6e919e8a40bb342e8c68ea99a73e2\
             59d117d8edcb728cbf3ba98802d8454bd02de5e41cc3d700033c86209a425f55963b9f6f79efcb37"
        );
        assert!(pbkdf2_hmac_sha256(b"x", b"salt", 0, &mut out).is_err());
    }
}
