//! Sealing of individual records: every value outside `meta` is AES-256-GCM encrypted under the
//! store key, bound by its AAD to the tree and key it was written under.
//!
//! Layout: `0x01 || nonce (12 bytes) || ciphertext || tag (16 bytes)`.
//! AAD: `b"sealhub/record/v1" || u16-BE len(tree) || tree || u16-BE len(key) || key`.

use zeroize::Zeroizing;

use super::{Error, Result, name};
use crate::crypto::{
    AeadKey, GCM_NONCE_LEN, GCM_TAG_LEN, aes_gcm_open, aes_gcm_seal, random_array,
};

/// First byte of every sealed record; a new layout gets a new byte.
pub(crate) const RECORD_VERSION: u8 = 0x01;

/// Domain separation for record AADs.
const RECORD_AAD_LABEL: &[u8] = b"sealhub/record/v1";

/// Smallest possible sealed record (an empty plaintext).
pub(crate) const MIN_SEALED_LEN: usize = 1 + GCM_NONCE_LEN + GCM_TAG_LEN;

/// The associated data binding a record to its tree and key.
fn record_aad(tree: &str, key: &[u8]) -> Result<Vec<u8>> {
    name::validate_key(key)?;
    let tree_len = u16::try_from(tree.len()).map_err(|_| Error::InvalidTreeName {
        name: tree.to_owned(),
        reason: "it is too long",
    })?;
    let key_len = u16::try_from(key.len()).map_err(|_| Error::KeyTooLong { len: key.len() })?;
    let mut aad = Vec::with_capacity(RECORD_AAD_LABEL.len() + 4 + tree.len() + key.len());
    aad.extend_from_slice(RECORD_AAD_LABEL);
    aad.extend_from_slice(&tree_len.to_be_bytes());
    aad.extend_from_slice(tree.as_bytes());
    aad.extend_from_slice(&key_len.to_be_bytes());
    aad.extend_from_slice(key);
    Ok(aad)
}

/// Encrypts `plaintext` for storage at `tree`/`key` with a fresh random nonce.
pub(crate) fn seal(
    store_key: &AeadKey,
    tree: &str,
    key: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let aad = record_aad(tree, key)?;
    let nonce = random_array::<GCM_NONCE_LEN>()?;
    let ciphertext = aes_gcm_seal(store_key, &nonce, &aad, plaintext)?;
    let mut out = Vec::with_capacity(1 + GCM_NONCE_LEN + ciphertext.len());
    out.push(RECORD_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypts a record read from `tree`/`key`; anything that does not authenticate (wrong layout,
/// wrong version, truncated, modified, or written under another tree or key) is
/// [`Error::RecordTampered`].
pub(crate) fn open(
    store_key: &AeadKey,
    tree: &str,
    key: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let tampered = || Error::RecordTampered {
        tree: tree.to_owned(),
        key_hex: hex::encode(key),
    };
    if sealed.len() < MIN_SEALED_LEN || sealed[0] != RECORD_VERSION {
        return Err(tampered());
    }
    let aad = record_aad(tree, key)?;
    let (nonce, ciphertext) = sealed[1..].split_at(GCM_NONCE_LEN);
    aes_gcm_open(store_key, nonce, &aad, ciphertext).map_err(|_| tampered())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> AeadKey {
        AeadKey::Aes256([0x42; 32])
    }

    #[test]
    fn layout_is_version_nonce_ciphertext_tag() {
        let sealed = seal(&key(), "devices", b"k", b"hello").expect("seal");
        assert_eq!(sealed[0], 0x01);
        assert_eq!(sealed.len(), 1 + 12 + 5 + 16);
        let again = seal(&key(), "devices", b"k", b"hello").expect("seal");
        assert_ne!(sealed[1..13], again[1..13], "nonces must be fresh");
    }

    #[test]
    fn aad_is_length_prefixed_so_tree_and_key_cannot_be_shifted() {
        // "ab"/"c" and "a"/"bc" must not share an AAD.
        assert_ne!(
            record_aad("ab", b"c").expect("aad"),
            record_aad("a", b"bc").expect("aad")
        );
        let aad = record_aad("t", b"kk").expect("aad");
        assert_eq!(aad, b"sealhub/record/v1\x00\x01t\x00\x02kk".to_vec());
    }

    #[test]
    fn wrong_tree_key_version_or_truncation_is_tampering() {
        let sealed = seal(&key(), "devices", b"k1", b"secret").expect("seal");
        let is_tampered =
            |r: Result<Zeroizing<Vec<u8>>>| matches!(r, Err(Error::RecordTampered { .. }));
        assert!(is_tampered(open(&key(), "devices", b"k2", &sealed)));
        assert!(is_tampered(open(&key(), "certs", b"k1", &sealed)));
        assert!(is_tampered(open(
            &AeadKey::Aes256([1; 32]),
            "devices",
            b"k1",
            &sealed
        )));
        let mut wrong_version = sealed.clone();
        wrong_version[0] = 0x02;
        assert!(is_tampered(open(&key(), "devices", b"k1", &wrong_version)));
        for len in 0..sealed.len() {
            assert!(
                is_tampered(open(&key(), "devices", b"k1", &sealed[..len])),
                "len {len}"
            );
        }
        for i in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[i] ^= 0x01;
            assert!(
                is_tampered(open(&key(), "devices", b"k1", &flipped)),
                "byte {i}"
            );
        }
    }

    proptest! {
        #[test]
        fn seal_open_round_trips(
            tree in prop::sample::select(vec!["devices", "certs", "counters", "a"]),
            k in prop::collection::vec(any::<u8>(), 0..64),
            value in prop::collection::vec(any::<u8>(), 0..512),
        ) {
            let sealed = seal(&key(), tree, &k, &value).expect("seal");
            prop_assert_eq!(sealed.len(), value.len() + MIN_SEALED_LEN);
            let opened = open(&key(), tree, &k, &sealed).expect("open");
            prop_assert_eq!(opened.as_slice(), value.as_slice());
        }
    }
}
