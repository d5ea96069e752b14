//! Which tree names callers may use, so that records can never land in the internal `meta`
//! tree or in sled's own trees, and so that every name fits the record AAD.

use super::{Error, Result};

/// The internal tree holding the wrapped store key and format data; values there are not sealed.
pub(crate) const META_TREE: &str = "meta";

/// Longest tree name accepted (the AAD can bind 65535, but names are identifiers, not data).
pub(crate) const MAX_TREE_NAME_LEN: usize = 255;

/// Checks that `name` is a caller-usable tree name.
pub(crate) fn validate_tree_name(name: &str) -> Result<()> {
    let reject = |reason| {
        Err(Error::InvalidTreeName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return reject("it is empty");
    }
    if name.len() > MAX_TREE_NAME_LEN {
        return reject("it is longer than 255 bytes");
    }
    if !name.bytes().all(|b| b.is_ascii_graphic()) {
        return reject("it must be printable ASCII without spaces");
    }
    if name == META_TREE {
        return reject("`meta` is reserved for the store key");
    }
    if name.starts_with("__sled") {
        return reject("names starting with `__sled` are reserved by the database");
    }
    Ok(())
}

/// Checks that a record key fits the u16 length prefix of the AAD.
pub(crate) fn validate_key(key: &[u8]) -> Result<()> {
    if key.len() > usize::from(u16::MAX) {
        return Err(Error::KeyTooLong { len: key.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_empty_and_non_ascii_names_are_refused() {
        for bad in [
            "",
            "meta",
            "__sled__default",
            "__sledx",
            "dev ices",
            "gerät",
            "a\n",
        ] {
            assert!(
                matches!(validate_tree_name(bad), Err(Error::InvalidTreeName { .. })),
                "{bad:?} should be refused"
            );
        }
        assert!(validate_tree_name(&"x".repeat(256)).is_err());
        for good in [
            "devices",
            "certs",
            "counters",
            "metadata",
            "a",
            "z-wave/nodes",
        ] {
            validate_tree_name(good).expect(good);
        }
    }

    #[test]
    fn keys_longer_than_u16_are_refused() {
        validate_key(&vec![0u8; 65535]).expect("max length is fine");
        assert!(matches!(
            validate_key(&vec![0u8; 65536]),
            Err(Error::KeyTooLong { len: 65536 })
        ));
    }
}
