//! The internal `meta` tree: format version, KEK kind, Argon2id salt and parameters, and the
//! store key wrapped (AES-256-GCM) under the KEK. Nothing in `meta` is secret in the clear.
//!
//! | key                 | value                                                    |
//! |---------------------|----------------------------------------------------------|
//! | `format_version`    | `0x01`                                                   |
//! | `kek_kind`          | 1 key file, 2 systemd credential, 3 passphrase           |
//! | `wrapped_store_key` | nonce (12) ‖ AES-256-GCM(KEK, store key) ‖ tag (16)      |
//! | `argon2_salt`       | 16 random bytes (passphrase only)                        |
//! | `argon2_params`     | m KiB ‖ t ‖ p, u32 big-endian each (passphrase only)     |
//!
//! The wrapping AAD is `b"sealhub/store-key/v1" ‖ kek_kind byte`.

use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::kek::{Argon2Params, KEY_LEN, KekKind, SALT_LEN};
use super::{Error, Result};
use crate::crypto::{
    AeadKey, GCM_NONCE_LEN, GCM_TAG_LEN, aes_gcm_open, aes_gcm_seal, random_array,
};

/// The store layout this code reads and writes.
pub(crate) const FORMAT_VERSION: u8 = 1;

const KEY_FORMAT_VERSION: &[u8] = b"format_version";
const KEY_KEK_KIND: &[u8] = b"kek_kind";
const KEY_WRAPPED: &[u8] = b"wrapped_store_key";
const KEY_SALT: &[u8] = b"argon2_salt";
const KEY_PARAMS: &[u8] = b"argon2_params";

/// Domain separation for the store-key wrapping.
const WRAP_AAD_LABEL: &[u8] = b"sealhub/store-key/v1";

/// Length of the wrapped store key.
const WRAPPED_LEN: usize = GCM_NONCE_LEN + KEY_LEN + GCM_TAG_LEN;

/// Salt and cost parameters of a passphrase KEK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PassphraseKdf {
    pub salt: [u8; SALT_LEN],
    pub params: Argon2Params,
}

/// Everything `meta` holds, parsed.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub kind: KekKind,
    pub wrapped_store_key: Vec<u8>,
    pub kdf: Option<PassphraseKdf>,
}

fn wrap_aad(kind: KekKind) -> Vec<u8> {
    let mut aad = WRAP_AAD_LABEL.to_vec();
    aad.push(kind.to_byte());
    aad
}

/// Encrypts the store key under the KEK with a fresh nonce.
pub(crate) fn wrap_store_key(kek: &AeadKey, kind: KekKind, store_key: &AeadKey) -> Result<Vec<u8>> {
    let nonce = random_array::<GCM_NONCE_LEN>()?;
    let ciphertext = aes_gcm_seal(kek, &nonce, &wrap_aad(kind), store_key.as_bytes())?;
    let mut out = Vec::with_capacity(WRAPPED_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypts the store key; failure means the wrong KEK (or tampered meta).
pub(crate) fn unwrap_store_key(kek: &AeadKey, kind: KekKind, wrapped: &[u8]) -> Result<AeadKey> {
    if wrapped.len() != WRAPPED_LEN {
        return Err(Error::MetaCorrupt {
            what: "wrapped store key has the wrong length",
        });
    }
    let (nonce, ciphertext) = wrapped.split_at(GCM_NONCE_LEN);
    let plain = aes_gcm_open(kek, nonce, &wrap_aad(kind), ciphertext).map_err(|_| match kind {
        KekKind::Passphrase => Error::WrongPassphrase,
        other => Error::WrongKek { kind: other },
    })?;
    Ok(AeadKey::from_slice(&plain)?)
}

/// Reads meta; `Ok(None)` when it is empty (a store that was never created).
pub(crate) fn read(tree: &sled::Tree) -> std::result::Result<Option<Meta>, MetaReadError> {
    if tree.is_empty() {
        return Ok(None);
    }
    let get = |key: &[u8], what: &'static str| -> std::result::Result<sled::IVec, MetaReadError> {
        tree.get(key)?
            .ok_or(MetaReadError::Store(Error::MetaCorrupt { what }))
    };
    let corrupt = |what| MetaReadError::Store(Error::MetaCorrupt { what });
    let version = get(KEY_FORMAT_VERSION, "format version missing")?;
    match version.as_ref() {
        [FORMAT_VERSION] => {}
        [found] => {
            return Err(MetaReadError::Store(Error::UnsupportedFormat {
                found: *found,
            }));
        }
        _ => return Err(corrupt("format version is not one byte")),
    }
    let kind = match get(KEY_KEK_KIND, "KEK kind missing")?.as_ref() {
        [b] => KekKind::from_byte(*b).ok_or_else(|| corrupt("unknown KEK kind"))?,
        _ => return Err(corrupt("KEK kind is not one byte")),
    };
    let wrapped = get(KEY_WRAPPED, "wrapped store key missing")?;
    if wrapped.len() != WRAPPED_LEN {
        return Err(corrupt("wrapped store key has the wrong length"));
    }
    let kdf = if kind == KekKind::Passphrase {
        let salt = get(KEY_SALT, "Argon2id salt missing")?;
        let salt: [u8; SALT_LEN] = salt
            .as_ref()
            .try_into()
            .map_err(|_| corrupt("Argon2id salt has the wrong length"))?;
        let params = Argon2Params::decode(&get(KEY_PARAMS, "Argon2id parameters missing")?)
            .ok_or_else(|| corrupt("Argon2id parameters have the wrong length"))?;
        Some(PassphraseKdf { salt, params })
    } else {
        None
    };
    Ok(Some(Meta {
        kind,
        wrapped_store_key: wrapped.to_vec(),
        kdf,
    }))
}

/// Writes all of meta in one transaction (the caller flushes), so a crash leaves either no meta
/// or complete meta.
pub(crate) fn write(tree: &sled::Tree, meta: &Meta) -> std::result::Result<(), sled::Error> {
    let result: std::result::Result<(), TransactionError<()>> = tree.transaction(|t| {
        t.insert(KEY_FORMAT_VERSION, &[FORMAT_VERSION][..])?;
        t.insert(KEY_KEK_KIND, &[meta.kind.to_byte()][..])?;
        t.insert(KEY_WRAPPED, meta.wrapped_store_key.as_slice())?;
        if let Some(kdf) = &meta.kdf {
            t.insert(KEY_SALT, &kdf.salt[..])?;
            t.insert(KEY_PARAMS, &kdf.params.encode()[..])?;
        }
        Ok::<(), ConflictableTransactionError<()>>(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(TransactionError::Storage(e)) => Err(e),
        Err(TransactionError::Abort(())) => {
            Err(sled::Error::ReportableBug("meta write aborted".into()))
        }
    }
}

/// A meta read failed either in sled or because meta's contents are bad.
#[derive(Debug)]
pub(crate) enum MetaReadError {
    Db(sled::Error),
    Store(Error),
}

impl From<sled::Error> for MetaReadError {
    fn from(e: sled::Error) -> Self {
        MetaReadError::Db(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_key_unwraps_only_with_the_same_kek_and_kind() {
        let kek = AeadKey::Aes256([1; 32]);
        let store_key = AeadKey::Aes256([2; 32]);
        let wrapped = wrap_store_key(&kek, KekKind::KeyFile, &store_key).expect("wrap");
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        assert_eq!(
            unwrap_store_key(&kek, KekKind::KeyFile, &wrapped).expect("unwrap"),
            store_key
        );
        assert!(matches!(
            unwrap_store_key(&AeadKey::Aes256([3; 32]), KekKind::KeyFile, &wrapped),
            Err(Error::WrongKek {
                kind: KekKind::KeyFile
            })
        ));
        assert!(matches!(
            unwrap_store_key(&kek, KekKind::SystemdCredential, &wrapped),
            Err(Error::WrongKek { .. })
        ));
        let pw = wrap_store_key(&kek, KekKind::Passphrase, &store_key).expect("wrap");
        assert!(matches!(
            unwrap_store_key(&AeadKey::Aes256([3; 32]), KekKind::Passphrase, &pw),
            Err(Error::WrongPassphrase)
        ));
        assert!(matches!(
            unwrap_store_key(&kek, KekKind::KeyFile, &wrapped[..40]),
            Err(Error::MetaCorrupt { .. })
        ));
    }

    #[test]
    fn meta_round_trips_and_unknown_versions_are_refused() {
        let db = sled::Config::new().temporary(true).open().expect("sled");
        let tree = db.open_tree("meta").expect("tree");
        assert!(read(&tree).expect("read").is_none());
        let meta = Meta {
            kind: KekKind::Passphrase,
            wrapped_store_key: vec![9; WRAPPED_LEN],
            kdf: Some(PassphraseKdf {
                salt: [5; 16],
                params: Argon2Params {
                    m_kib: 64,
                    t: 1,
                    p: 1,
                },
            }),
        };
        write(&tree, &meta).expect("write");
        let back = read(&tree).expect("read").expect("present");
        assert_eq!(back.kind, meta.kind);
        assert_eq!(back.wrapped_store_key, meta.wrapped_store_key);
        assert_eq!(back.kdf, meta.kdf);
        tree.insert(KEY_FORMAT_VERSION, &[2u8][..]).expect("insert");
        assert!(matches!(
            read(&tree),
            Err(MetaReadError::Store(Error::UnsupportedFormat { found: 2 }))
        ));
        tree.insert(KEY_FORMAT_VERSION, &[1u8][..]).expect("insert");
        tree.remove(KEY_SALT).expect("remove");
        assert!(matches!(
            read(&tree),
            Err(MetaReadError::Store(Error::MetaCorrupt { .. }))
        ));
    }
}
