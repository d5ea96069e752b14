//! The signed revocation list: which certificates the hub root key has withdrawn, numbered so a
//! holder never goes back to an older list (which would un-revoke a removed client).
//!
//! Wire layout (deterministic encoding, definite lengths):
//!
//! ```text
//! 18([ h'A10126',                       / protected {1: -7} (ES256) /
//!      {4: h'<root kid, 8 bytes>'},
//!      h'<payload>',                    / below; external AAD "sealhub v1 revocation list" /
//!      h'<64-byte r || s>' ])
//!
//! payload = {
//!   1: h'<home id: the root kid, 8 bytes>',
//!   2: number,                          / uint, increases with every published list /
//!   3: issued,                          / uint, Unix seconds, 0 when the clock is unknown /
//!   4: [h'<serial>', ...],              / revoked certificate serials (cti), sorted, unique /
//!   5: [h'<kid>', ...],                 / revoked key kids, sorted, unique /
//! }
//! ```
//!
//! A certificate counts as revoked when its serial or its key's kid is listed; listing the kid
//! too means a key stays revoked even if a certificate for it were issued again by mistake.

use super::wire::{REVOCATION_LIST_AAD, check_root_headers, root_headers};
use super::{Certificate, Error, KID_LEN, Kid, Result, Thumbprint};
use crate::cbor::{
    as_array, as_items, as_u64, decode as decode_value, encode as encode_bytes, int, int_map, uint,
};
use crate::cose::{decode_sign1, sign1_create, sign1_verify};
use crate::crypto::{PrivateKey, PublicKey};
use coset::TaggedCborSerializable;
use coset::cbor::value::Value;
use std::collections::BTreeSet;

/// The largest list accepted or produced: it must fit, with framing, in one 64 KiB envelope;
/// at 18 bytes per revoked certificate that is still over 2,500 revocations.
pub const MAX_REVOCATION_LIST_LEN: usize = 48 * 1024;

/// Tag 18 (COSE_Sign1), one byte: the list is always tagged.
const SIGN1_TAG_BYTE: u8 = 0xd2;

const HOME: i64 = 1;
const NUMBER: i64 = 2;
const ISSUED: i64 = 3;
const SERIALS: i64 = 4;
const KIDS: i64 = 5;

/// A revocation list of one home, decoded or being built by the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    /// The home id (the hub root key's kid): a list of another home is refused.
    pub home: Kid,
    /// The list's number; a holder refuses any list older than the one it holds.
    pub number: u64,
    /// When the list was signed, Unix seconds, `0` when the hub's clock is unknown.
    pub issued: u64,
    /// Revoked certificate serials (`cti`).
    pub serials: BTreeSet<[u8; 8]>,
    /// Revoked key kids.
    pub kids: BTreeSet<Kid>,
}

impl RevocationList {
    /// The empty list number 0 of `home`, which a new hub starts from.
    pub fn new(home: Kid) -> Self {
        RevocationList {
            home,
            number: 0,
            issued: 0,
            serials: BTreeSet::new(),
            kids: BTreeSet::new(),
        }
    }

    /// Revokes `cert` (its serial and its key's kid) and bumps the number, so the next signed
    /// list supersedes every earlier one.
    pub fn revoke(&mut self, cert: &Certificate) {
        self.serials.insert(cert.claims().serial);
        self.kids.insert(cert.kid());
        self.number = self.number.saturating_add(1);
    }

    /// Whether `cert` is revoked: its serial or its key's kid is listed.
    pub fn is_revoked(&self, cert: &Certificate) -> bool {
        self.serials.contains(&cert.claims().serial) || self.kids.contains(&cert.kid())
    }

    /// Signs the list with the hub root key as a tagged COSE_Sign1. Refuses a key that is not
    /// this home's root (`WrongIssuer`) and a list too large for anyone to accept (`TooLong`).
    pub fn sign(&self, root: &PrivateKey) -> Result<Vec<u8>> {
        let root_kid = Thumbprint::of(&root.public_key()).kid();
        if root_kid != self.home {
            return Err(Error::WrongIssuer);
        }
        let payload = encode_bytes(&self.to_value());
        let (protected, unprotected) = root_headers(root_kid);
        let bytes = sign1_create(protected, unprotected, payload, REVOCATION_LIST_AAD, root)
            .to_tagged_vec()
            .map_err(crate::cose::Error::from)?;
        if bytes.len() > MAX_REVOCATION_LIST_LEN {
            return Err(Error::TooLong {
                len: bytes.len(),
                max: MAX_REVOCATION_LIST_LEN,
            });
        }
        Ok(bytes)
    }

    /// Verifies a signed list for `home` against the root key and returns it.
    ///
    /// `last_number` is the number of the list the caller already accepted, if any: an older
    /// list is refused with [`Error::Rollback`]; the same number is accepted, so receiving the
    /// current list again (a resend, a second relay) is harmless.
    pub fn verify(
        bytes: &[u8],
        root: &PublicKey,
        home: Kid,
        last_number: Option<u64>,
    ) -> Result<Self> {
        Self::verify_in_domain(bytes, root, home, last_number, REVOCATION_LIST_AAD)
    }

    /// A list the hub itself signed before lists had a signature domain of their own (empty
    /// external AAD), read once to bring an earlier home forward; never for received lists.
    pub(crate) fn verify_undomained(bytes: &[u8], root: &PublicKey, home: Kid) -> Result<Self> {
        Self::verify_in_domain(bytes, root, home, None, &[])
    }

    fn verify_in_domain(
        bytes: &[u8],
        root: &PublicKey,
        home: Kid,
        last_number: Option<u64>,
        external_aad: &[u8],
    ) -> Result<Self> {
        if bytes.len() > MAX_REVOCATION_LIST_LEN {
            return Err(Error::TooLong {
                len: bytes.len(),
                max: MAX_REVOCATION_LIST_LEN,
            });
        }
        if bytes.first() != Some(&SIGN1_TAG_BYTE) {
            return Err(Error::Malformed(
                "a revocation list is a tag-18 COSE_Sign1".into(),
            ));
        }
        let root_kid = Thumbprint::of(root).kid();
        if root_kid != home {
            return Err(Error::WrongIssuer);
        }
        let msg = decode_sign1(bytes)?;
        check_root_headers(&msg, root_kid)?;
        let (payload, _) = sign1_verify(&msg, external_aad, root)?;
        let list = Self::from_payload(payload)?;
        if list.home != home {
            return Err(Error::WrongIssuer);
        }
        if encode_bytes(&list.to_value()) != payload {
            return Err(Error::Malformed(
                "list is not in deterministic encoding (unsorted or repeated entries?)".into(),
            ));
        }
        if let Some(have) = last_number {
            if list.number < have {
                return Err(Error::Rollback {
                    have,
                    got: list.number,
                });
            }
        }
        Ok(list)
    }

    /// The payload map in deterministic order; the sets iterate sorted, and all entries have
    /// the same length, so sorted order is also CBOR's deterministic order.
    fn to_value(&self) -> Value {
        let serials = self
            .serials
            .iter()
            .map(|s| Value::Bytes(s.to_vec()))
            .collect();
        let kids = self
            .kids
            .iter()
            .map(|k| Value::Bytes(k.0.to_vec()))
            .collect();
        Value::Map(vec![
            (int(HOME), Value::Bytes(self.home.0.to_vec())),
            (int(NUMBER), uint(self.number)),
            (int(ISSUED), uint(self.issued)),
            (int(SERIALS), Value::Array(serials)),
            (int(KIDS), Value::Array(kids)),
        ])
    }

    /// Reads the payload of a list whose signature has been verified.
    fn from_payload(payload: &[u8]) -> Result<Self> {
        let (mut home, mut number, mut issued, mut serials, mut kids) =
            (None, None, None, None, None);
        for (key, value) in int_map(decode_value(payload, "revocation list")?, "revocation list")? {
            match key {
                HOME => home = Some(Kid(as_array::<KID_LEN>(&value, "home")?)),
                NUMBER => number = Some(as_u64(&value, "number")?),
                ISSUED => issued = Some(as_u64(&value, "issued")?),
                SERIALS => serials = Some(sorted_set::<8>(value, "serials")?),
                KIDS => {
                    let set = sorted_set::<KID_LEN>(value, "kids")?;
                    kids = Some(set.into_iter().map(Kid).collect());
                }
                other => return Err(Error::UnknownClaim(other)),
            }
        }
        Ok(RevocationList {
            home: home.ok_or(Error::MissingClaim("home"))?,
            number: number.ok_or(Error::MissingClaim("number"))?,
            issued: issued.ok_or(Error::MissingClaim("issued"))?,
            serials: serials.ok_or(Error::MissingClaim("serials"))?,
            kids: kids.ok_or(Error::MissingClaim("kids"))?,
        })
    }
}

/// An array of `N`-byte strings that must be strictly increasing (sorted, no repeats).
fn sorted_set<const N: usize>(value: Value, what: &str) -> Result<BTreeSet<[u8; N]>> {
    let mut set = BTreeSet::new();
    let mut last: Option<[u8; N]> = None;
    for item in as_items(&value, what)? {
        let entry = as_array::<N>(item, what)?;
        if last.is_some_and(|l| l >= entry) {
            return Err(Error::Malformed(format!(
                "{what} are not sorted and unique"
            )));
        }
        last = Some(entry);
        set.insert(entry);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{CertClaims, Permissions, Role};
    use proptest::prelude::*;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from_bytes(&[seed; 32]).expect("valid scalar")
    }

    fn kid_of(key: &PrivateKey) -> Kid {
        Thumbprint::of(&key.public_key()).kid()
    }

    fn cert(root: &PrivateKey, holder: u8) -> Certificate {
        let claims = CertClaims::new(
            kid_of(root),
            format!("client-{holder}"),
            Role::Client,
            Permissions::READ_EVENTS,
            key(holder).public_key(),
            0,
        )
        .expect("rng")
        .with_agreement_key(key(holder.wrapping_add(100)).public_key());
        Certificate::issue(claims, root).expect("issue")
    }

    fn two_revoked(root: &PrivateKey) -> RevocationList {
        let mut list = RevocationList::new(kid_of(root));
        list.revoke(&cert(root, 20));
        list.revoke(&cert(root, 21));
        list.issued = 1_700_000_000;
        list
    }

    /// A list signed by `signer` over arbitrary payload bytes, with the headers of `kid`.
    fn sign_raw(payload: Vec<u8>, kid: Kid, signer: &PrivateKey) -> Vec<u8> {
        let (protected, unprotected) = root_headers(kid);
        sign1_create(protected, unprotected, payload, REVOCATION_LIST_AAD, signer)
            .to_tagged_vec()
            .expect("encode")
    }

    #[test]
    fn a_signed_list_round_trips_with_the_documented_layout() {
        let root = key(1);
        let list = two_revoked(&root);
        assert_eq!(list.number, 2);
        let bytes = list.sign(&root).expect("sign");
        assert_eq!(
            &bytes[..8],
            &[0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa1, 0x04]
        );
        let back = RevocationList::verify(&bytes, &root.public_key(), kid_of(&root), None)
            .expect("verify");
        assert_eq!(back, list);
        let msg = decode_sign1(&bytes).expect("sign1");
        let payload = decode_value(msg.payload.as_deref().expect("payload"), "test").expect("cbor");
        let serials: Vec<String> = list
            .serials
            .iter()
            .map(|s| format!("h'{}'", hex::encode_upper(s)))
            .collect();
        let kids: Vec<String> = list
            .kids
            .iter()
            .map(|k| format!("h'{}'", hex::encode_upper(k.0)))
            .collect();
        assert_eq!(
            crate::cose::diag::to_diag(&payload),
            format!(
                "{{1: h'{}', 2: 2, 3: 1700000000, 4: [{}], 5: [{}]}}",
                hex::encode_upper(kid_of(&root).0),
                serials.join(", "),
                kids.join(", ")
            )
        );
        let empty = RevocationList::new(kid_of(&root));
        let bytes = empty.sign(&root).expect("sign");
        let back = RevocationList::verify(&bytes, &root.public_key(), kid_of(&root), Some(0))
            .expect("verify");
        assert_eq!(back, empty);
    }

    #[test]
    fn is_revoked_matches_the_serial_or_the_kid() {
        let root = key(1);
        let revoked = cert(&root, 20);
        let kept = cert(&root, 22);
        let mut list = RevocationList::new(kid_of(&root));
        list.revoke(&revoked);
        assert!(list.is_revoked(&revoked));
        assert!(!list.is_revoked(&kept));

        // By serial alone.
        let mut by_serial = RevocationList::new(kid_of(&root));
        by_serial.serials.insert(revoked.claims().serial);
        assert!(by_serial.is_revoked(&revoked));
        // By kid alone: a new certificate (new serial) for the same revoked key is revoked too.
        let mut by_kid = RevocationList::new(kid_of(&root));
        by_kid.kids.insert(revoked.kid());
        assert!(by_kid.is_revoked(&cert(&root, 20)));
        assert!(!by_kid.is_revoked(&kept));
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let root = key(1);
        let bytes = two_revoked(&root).sign(&root).expect("sign");
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0xff] {
                let mut changed = bytes.clone();
                changed[i] ^= mask;
                let result =
                    RevocationList::verify(&changed, &root.public_key(), kid_of(&root), None);
                assert!(result.is_err(), "byte {i} ^ {mask:#x} accepted");
            }
        }
        for len in 0..bytes.len() {
            assert!(
                RevocationList::verify(&bytes[..len], &root.public_key(), kid_of(&root), None)
                    .is_err()
            );
        }
    }

    #[test]
    fn a_list_signed_by_another_key_is_refused() {
        let root = key(1);
        let other = key(2);
        let list = two_revoked(&root);
        // Another home's genuine list.
        let mut foreign = two_revoked(&other);
        foreign.number = 99;
        let bytes = foreign.sign(&other).expect("sign");
        assert!(matches!(
            RevocationList::verify(&bytes, &root.public_key(), kid_of(&root), None),
            Err(Error::WrongIssuer)
        ));
        // Our headers and payload, someone else's signature.
        let payload = encode_bytes(&list.to_value());
        let forged = sign_raw(payload, kid_of(&root), &other);
        assert!(matches!(
            RevocationList::verify(&forged, &root.public_key(), kid_of(&root), None),
            Err(Error::BadSignature)
        ));
        // The signer refuses to sign another home's list.
        assert!(matches!(list.sign(&other), Err(Error::WrongIssuer)));
        // A list naming another home, signed by our root.
        let mut other_home = list.clone();
        other_home.home = kid_of(&other);
        let payload = encode_bytes(&other_home.to_value());
        let bytes = sign_raw(payload, kid_of(&root), &root);
        assert!(matches!(
            RevocationList::verify(&bytes, &root.public_key(), kid_of(&root), None),
            Err(Error::WrongIssuer)
        ));
    }

    #[test]
    fn an_older_list_is_a_rollback_and_the_same_one_is_fine() {
        let root = key(1);
        let old = two_revoked(&root).sign(&root).expect("sign"); // number 2
        let home = kid_of(&root);
        let public = root.public_key();
        assert!(RevocationList::verify(&old, &public, home, Some(2)).is_ok());
        assert!(RevocationList::verify(&old, &public, home, Some(1)).is_ok());
        assert!(matches!(
            RevocationList::verify(&old, &public, home, Some(3)),
            Err(Error::Rollback { have: 3, got: 2 })
        ));
    }

    #[test]
    fn unsorted_repeated_unknown_or_missing_entries_are_refused() {
        let root = key(1);
        let home = kid_of(&root);
        let list = two_revoked(&root);
        let Value::Map(map) = list.to_value() else {
            panic!("map")
        };
        let verify = |map: Vec<(Value, Value)>| {
            let payload = encode_bytes(&Value::Map(map));
            RevocationList::verify(
                &sign_raw(payload, home, &root),
                &root.public_key(),
                home,
                None,
            )
        };
        let mut unsorted = map.clone();
        if let Value::Array(items) = &mut unsorted[3].1 {
            items.reverse();
        }
        assert!(matches!(verify(unsorted), Err(Error::Malformed(_))));
        let mut repeated = map.clone();
        if let Value::Array(items) = &mut repeated[4].1 {
            let first = items[0].clone();
            items.insert(0, first);
        }
        assert!(matches!(verify(repeated), Err(Error::Malformed(_))));
        let mut unknown = map.clone();
        unknown.push((int(6), uint(0)));
        assert!(matches!(verify(unknown), Err(Error::UnknownClaim(6))));
        let mut missing = map.clone();
        missing.remove(1);
        assert!(matches!(
            verify(missing),
            Err(Error::MissingClaim("number"))
        ));
        let mut duplicate = map;
        duplicate.push((int(2), uint(7)));
        assert!(matches!(verify(duplicate), Err(Error::DuplicateClaim(2))));
    }

    #[test]
    fn untagged_oversized_and_hostile_inputs_are_refused() {
        let root = key(1);
        let home = kid_of(&root);
        let public = root.public_key();
        let bytes = two_revoked(&root).sign(&root).expect("sign");
        assert!(matches!(
            RevocationList::verify(&bytes[1..], &public, home, None),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            RevocationList::verify(
                &vec![0xd2; MAX_REVOCATION_LIST_LEN + 1],
                &public,
                home,
                None
            ),
            Err(Error::TooLong { .. })
        ));
        let mut deep = vec![0xd2];
        deep.extend(std::iter::repeat_n(0x81u8, 10_000));
        deep.push(0);
        assert!(matches!(
            RevocationList::verify(&deep, &public, home, None),
            Err(Error::Malformed(_))
        ));
        let huge = sign_raw(
            vec![0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            home,
            &root,
        );
        assert!(matches!(
            RevocationList::verify(&huge, &public, home, None),
            Err(Error::Malformed(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn random_lists_round_trip_exactly(
            number in any::<u64>(),
            issued in any::<u64>(),
            serials in proptest::collection::btree_set(any::<[u8; 8]>(), 0..40),
            kids in proptest::collection::btree_set(any::<[u8; 8]>(), 0..40),
        ) {
            let root = key(1);
            let list = RevocationList {
                home: kid_of(&root),
                number,
                issued,
                serials,
                kids: kids.into_iter().map(Kid).collect(),
            };
            let bytes = list.sign(&root).expect("sign");
            let back = RevocationList::verify(&bytes, &root.public_key(), list.home, Some(number))
                .expect("verify");
            prop_assert_eq!(back, list);
        }
    }
}
