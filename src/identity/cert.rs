//! Certificates: CWTs (RFC 8392) signed by the hub root key that bind a P-256 signing key
//! (RFC 8747 `cnf`) and, for devices and clients, a second P-256 key for key agreement to a
//! holder (the hub itself, a device or a client) with a role and permissions. A key is used
//! for one purpose only: the `cnf` key signs (ES256), the agreement key receives what is
//! encrypted to the holder (ECDH-ES).
//!
//! Wire layout (every map with integer keys in deterministic order, definite lengths):
//!
//! ```text
//! 61(18([ h'A10126',                 / protected {1: -7} (ES256) /
//!         {4: h'<root kid, 8 bytes>'},
//!         h'<claims>',               / payload, below /
//!         h'<64-byte r || s>' ]))    / external AAD: "sealhub v1 certificate" /
//!
//! claims = {
//!   1: "<root kid as 16 lowercase hex digits>",   / iss: the home id /
//!   2: "<holder id, 1-64 of [a-z0-9._:-]>",        / sub /
//!   4: exp (uint, optional), 5: nbf (uint, optional), 6: iat (uint),
//!   7: h'<serial, 8 random bytes>',                / cti /
//!   8: {1: {1: 2, 2: h'<kid>', -1: 1, -2: h'<x>', -3: h'<y>'}},   / cnf: COSE_Key /
//!   -65538: role (1 hub, 2 device, 3 client),
//!   -65539: perms (bitmask: 1 read events, 2 send commands, 4 administer),
//!   -65540: ["<device id>", ...]                   / optional: devices a client may command /
//!   -65541: {1: 2, 2: h'<kid>', -1: 1, -2: h'<x>', -3: h'<y>'}   / key agreement key:
//!            required for devices and clients, absent for the hub; never the cnf key /
//! }
//! ```
//!
//! Both COSE_Keys are written in deterministic key order (1, 2, -1, -2, -3), and the `kid` each
//! carries must be the RFC 9679 thumbprint kid of its `x`, `y`.
//!
//! Verification is strict: the claims payload must be exactly the deterministic encoding this
//! module writes (a second, differently encoded form of the same claims is refused), unknown
//! claims and duplicate keys are refused, and every check fails with its own [`Error`] variant.

use super::wire::{CERTIFICATE_AAD, check_root_headers, root_headers};
use super::{Error, Kid, Result, Thumbprint};
use crate::cbor::{
    as_array, as_items, as_text, as_u64, decode as decode_value, encode as encode_bytes, int,
    int_map, uint,
};
use crate::cose::{decode_sign1, sign1_create, sign1_verify};
use crate::crypto::{PrivateKey, PublicKey, random_array};
use coset::TaggedCborSerializable;
use coset::cbor::value::Value;

/// The largest certificate accepted: a certificate with a long device list is about 2 KiB, so
/// anything near this limit is an attack or a bug, and refusing it bounds the work done.
pub const MAX_CERT_LEN: usize = 16 * 1024;

/// The longest holder or device id, as in the envelope's route.
pub const MAX_ID_LEN: usize = 64;

/// The CBOR tag number of a CWT (RFC 8392 §6), written before the COSE_Sign1 tag.
pub const CWT_TAG: u64 = 61;

/// Tag 61 in its shortest encoding, the only one accepted.
const CWT_TAG_BYTES: [u8; 2] = [0xd8, 0x3d];
/// Tag 18 (COSE_Sign1), one byte.
const SIGN1_TAG_BYTE: u8 = 0xd2;

const ISS: i64 = 1;
const SUB: i64 = 2;
const EXP: i64 = 4;
const NBF: i64 = 5;
const IAT: i64 = 6;
const CTI: i64 = 7;
const CNF: i64 = 8;
const ROLE: i64 = -65538;
const PERMS: i64 = -65539;
const DEVICES: i64 = -65540;
const AGREEMENT: i64 = -65541;

/// `cnf` member holding a COSE_Key (RFC 8747 §3.1).
const CNF_COSE_KEY: i64 = 1;
const KEY_KTY: i64 = 1;
const KEY_KID: i64 = 2;
const KEY_CRV: i64 = -1;
const KEY_X: i64 = -2;
const KEY_Y: i64 = -3;
const KTY_EC2: u64 = 2;
const CRV_P256: u64 = 1;

/// Whether `id` is a valid holder or device id: 1–64 characters of `[a-z0-9._:-]`. One syntax
/// everywhere (certificates, routes, logs) so an id never needs escaping or normalising.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b':' | b'-')
        })
}

/// What the holder of a certificate is; it decides which envelopes the holder may sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The hub itself (a key of the hub other than the root, for example a TLS or signing key).
    Hub,
    /// A Zigbee or Z-Wave device; its key is held by the hub and signs the device's events.
    Device,
    /// A phone, app or automation that reads events and sends commands.
    Client,
}

impl Role {
    /// The value carried in the `role` claim.
    pub const fn code(self) -> u64 {
        match self {
            Role::Hub => 1,
            Role::Device => 2,
            Role::Client => 3,
        }
    }

    /// Reads a `role` claim value; unknown roles are `None` so they are refused, never guessed.
    pub const fn from_code(code: u64) -> Option<Self> {
        match code {
            1 => Some(Role::Hub),
            2 => Some(Role::Device),
            3 => Some(Role::Client),
            _ => None,
        }
    }
}

/// What the holder may do, as a bitmask: a newtype rather than a crate, since four bits do
/// not need one. Unknown bits are refused when a certificate is read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions(u64);

impl Permissions {
    /// No permission at all (for example a device, which only signs its own events).
    pub const NONE: Permissions = Permissions(0);
    /// Open events and responses (receive the epoch key).
    pub const READ_EVENTS: Permissions = Permissions(1);
    /// Send commands to the devices the certificate allows.
    pub const SEND_COMMANDS: Permissions = Permissions(2);
    /// Administer the home: pair and remove clients.
    pub const ADMINISTER: Permissions = Permissions(4);
    /// Act on security devices: locks and alarms (a guest may switch the lights, not open the
    /// door).
    pub const SECURE_DEVICES: Permissions = Permissions(8);
    /// Every permission this version knows.
    pub const ALL: Permissions = Permissions(15);

    /// The bitmask as carried in the `perms` claim.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Reads a bitmask, refusing bits this version does not know (`None`): an unknown permission
    /// must not be silently dropped or silently granted.
    pub const fn from_bits(bits: u64) -> Option<Self> {
        if bits & !Self::ALL.0 == 0 {
            Some(Permissions(bits))
        } else {
            None
        }
    }

    /// Whether every permission in `other` is granted here.
    pub const fn contains(self, other: Permissions) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of permissions together.
    pub const fn union(self, other: Permissions) -> Permissions {
        Permissions(self.0 | other.0)
    }
}

impl std::ops::BitOr for Permissions {
    type Output = Permissions;
    fn bitor(self, rhs: Permissions) -> Permissions {
        self.union(rhs)
    }
}

impl std::fmt::Debug for Permissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (Self::READ_EVENTS, "READ_EVENTS"),
            (Self::SEND_COMMANDS, "SEND_COMMANDS"),
            (Self::ADMINISTER, "ADMINISTER"),
            (Self::SECURE_DEVICES, "SECURE_DEVICES"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(p, _)| self.contains(*p))
            .map(|(_, n)| *n)
            .collect();
        if set.is_empty() {
            f.write_str("Permissions(NONE)")
        } else {
            write!(f, "Permissions({})", set.join(" | "))
        }
    }
}

/// The claims of a certificate, decoded: what the hub root key vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertClaims {
    /// The home id: the short kid of the hub root key that issues (`iss`, as lowercase hex).
    pub issuer: Kid,
    /// The holder: a device id or client id (`sub`), 1–64 characters of `[a-z0-9._:-]`.
    pub subject: String,
    /// What the holder is (`role`).
    pub role: Role,
    /// What the holder may do (`perms`).
    pub permissions: Permissions,
    /// The devices a client may command; `None` means all of them (`devices`).
    pub devices: Option<Vec<String>>,
    /// Not valid before this Unix time (`nbf`), when set.
    pub not_before: Option<u64>,
    /// Not valid at or after this Unix time (`exp`), when set.
    pub expires: Option<u64>,
    /// When the certificate was issued, Unix seconds; `0` when the hub's clock is unknown (`iat`).
    pub issued_at: u64,
    /// A random serial (`cti`), so a revocation list can name this certificate alone.
    pub serial: [u8; 8],
    /// The certified signing key (`cnf`): verifies what the holder signs.
    pub key: PublicKey,
    /// The certified key agreement key: what is encrypted to the holder (ECDH-ES) uses it.
    /// Required for devices and clients, absent for the hub, never equal to [`Self::key`].
    pub agreement_key: Option<PublicKey>,
}

impl CertClaims {
    /// Claims for `key` with a fresh random serial and no time limits or device list; the caller
    /// sets the optional fields afterwards. The serial is random so serials never collide.
    pub fn new(
        issuer: Kid,
        subject: impl Into<String>,
        role: Role,
        permissions: Permissions,
        key: PublicKey,
        issued_at: u64,
    ) -> Result<Self> {
        Ok(CertClaims {
            issuer,
            subject: subject.into(),
            role,
            permissions,
            devices: None,
            not_before: None,
            expires: None,
            issued_at,
            serial: random_array::<8>()?,
            key,
            agreement_key: None,
        })
    }

    /// These claims with `agreement` as the holder's key agreement key (devices and clients
    /// must have one).
    pub fn with_agreement_key(mut self, agreement: PublicKey) -> Self {
        self.agreement_key = Some(agreement);
        self
    }

    /// Checks what both issuing and verifying insist on, beyond types: valid ids and a
    /// non-empty validity window.
    fn validate(&self) -> Result<()> {
        if !is_valid_id(&self.subject) {
            return Err(Error::InvalidId(self.subject.clone()));
        }
        if let Some(devices) = &self.devices {
            if let Some(bad) = devices.iter().find(|d| !is_valid_id(d)) {
                return Err(Error::InvalidId(bad.clone()));
            }
        }
        if let (Some(nbf), Some(exp)) = (self.not_before, self.expires) {
            if nbf >= exp {
                return Err(Error::Malformed("nbf is not before exp".into()));
            }
        }
        match (self.role, &self.agreement_key) {
            (Role::Device | Role::Client, None) => {
                return Err(Error::MissingClaim("agreement key"));
            }
            (Role::Hub, Some(_)) => {
                return Err(Error::Malformed(
                    "a hub certificate carries no key agreement key".into(),
                ));
            }
            (_, Some(agreement)) if *agreement == self.key => {
                return Err(Error::Malformed(
                    "the key agreement key must not be the signing key".into(),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// The claims map, in deterministic key order.
    fn to_value(&self) -> Value {
        let cose_key = cose_key_value(&self.key);
        let mut map = vec![
            (int(ISS), Value::Text(self.issuer.to_string())),
            (int(SUB), Value::Text(self.subject.clone())),
        ];
        if let Some(exp) = self.expires {
            map.push((int(EXP), uint(exp)));
        }
        if let Some(nbf) = self.not_before {
            map.push((int(NBF), uint(nbf)));
        }
        map.push((int(IAT), uint(self.issued_at)));
        map.push((int(CTI), Value::Bytes(self.serial.to_vec())));
        map.push((int(CNF), Value::Map(vec![(int(CNF_COSE_KEY), cose_key)])));
        map.push((int(ROLE), uint(self.role.code())));
        map.push((int(PERMS), uint(self.permissions.bits())));
        if let Some(devices) = &self.devices {
            let list = devices.iter().map(|d| Value::Text(d.clone())).collect();
            map.push((int(DEVICES), Value::Array(list)));
        }
        if let Some(agreement) = &self.agreement_key {
            map.push((int(AGREEMENT), cose_key_value(agreement)));
        }
        Value::Map(map)
    }

    /// Reads the claims map of a certificate whose signature has been verified.
    fn from_payload(payload: &[u8], root: Kid) -> Result<Self> {
        let entries = int_map(decode_value(payload, "claims")?, "claims")?;
        let (mut iss, mut sub, mut exp, mut nbf, mut iat, mut cti, mut cnf) =
            (None, None, None, None, None, None, None);
        let (mut role, mut perms, mut devices, mut agreement) = (None, None, None, None);
        for (key, value) in entries {
            match key {
                ISS => iss = Some(as_text(&value, "iss")?.to_owned()),
                SUB => sub = Some(as_text(&value, "sub")?.to_owned()),
                EXP => exp = Some(as_u64(&value, "exp")?),
                NBF => nbf = Some(as_u64(&value, "nbf")?),
                IAT => iat = Some(as_u64(&value, "iat")?),
                CTI => cti = Some(as_array::<8>(&value, "cti")?),
                CNF => cnf = Some(value),
                ROLE => role = Some(as_u64(&value, "role")?),
                PERMS => perms = Some(as_u64(&value, "perms")?),
                DEVICES => {
                    let ids = as_items(&value, "devices")?
                        .iter()
                        .map(|v| Ok(as_text(v, "device id")?.to_owned()))
                        .collect::<Result<Vec<_>>>()?;
                    devices = Some(ids);
                }
                AGREEMENT => agreement = Some(strict_cose_key(value, "agreement key")?),
                other => return Err(Error::UnknownClaim(other)),
            }
        }
        let iss = iss.ok_or(Error::MissingClaim("iss"))?;
        if iss != root.to_string() {
            return Err(Error::WrongIssuer);
        }
        let subject = sub.ok_or(Error::MissingClaim("sub"))?;
        let issued_at = iat.ok_or(Error::MissingClaim("iat"))?;
        let serial = cti.ok_or(Error::MissingClaim("cti"))?;
        let key = cnf_key(cnf.ok_or(Error::MissingClaim("cnf"))?)?;
        let role = role.ok_or(Error::MissingClaim("role"))?;
        let role = Role::from_code(role).ok_or_else(|| Error::Malformed("unknown role".into()))?;
        let perms = perms.ok_or(Error::MissingClaim("perms"))?;
        let permissions = Permissions::from_bits(perms)
            .ok_or_else(|| Error::Malformed("unknown permission bits".into()))?;
        let claims = CertClaims {
            issuer: root,
            subject,
            role,
            permissions,
            devices,
            not_before: nbf,
            expires: exp,
            issued_at,
            serial,
            key,
            agreement_key: agreement,
        };
        claims.validate()?;
        Ok(claims)
    }
}

/// A P-256 public key as a certificate carries it: `{1: 2, 2: kid, -1: 1, -2: x, -3: y}`.
fn cose_key_value(key: &PublicKey) -> Value {
    let kid = Thumbprint::of(key).kid();
    Value::Map(vec![
        (int(KEY_KTY), uint(KTY_EC2)),
        (int(KEY_KID), Value::Bytes(kid.0.to_vec())),
        (int(KEY_CRV), uint(CRV_P256)),
        (int(KEY_X), Value::Bytes(key.x().to_vec())),
        (int(KEY_Y), Value::Bytes(key.y().to_vec())),
    ])
}

/// Reads `cnf = {1: COSE_Key}` strictly (see [`strict_cose_key`]).
fn cnf_key(cnf: Value) -> Result<PublicKey> {
    let mut entries = int_map(cnf, "cnf")?;
    let cose_key = match (entries.pop(), entries.is_empty()) {
        (Some((CNF_COSE_KEY, key)), true) => key,
        _ => return Err(Error::Malformed("cnf must be exactly {1: COSE_Key}".into())),
    };
    strict_cose_key(cose_key, "cnf key")
}

/// Reads a COSE_Key strictly: exactly kty EC2, kid, crv P-256, x and y, and the kid must be
/// the key's own thumbprint kid. `what` names it in refusals.
fn strict_cose_key(cose_key: Value, what: &str) -> Result<PublicKey> {
    let (mut kty, mut kid, mut crv, mut x, mut y) = (None, None, None, None, None);
    for (label, value) in int_map(cose_key, what)? {
        match label {
            KEY_KTY => kty = Some(as_u64(&value, "kty")?),
            KEY_KID => kid = Some(as_array::<8>(&value, "kid")?),
            KEY_CRV => crv = Some(as_u64(&value, "crv")?),
            KEY_X => x = Some(as_array::<32>(&value, "x")?),
            KEY_Y => y = Some(as_array::<32>(&value, "y")?),
            _ => {
                return Err(Error::Malformed(format!(
                    "unexpected parameter in the {what}"
                )));
            }
        }
    }
    if kty != Some(KTY_EC2) || crv != Some(CRV_P256) {
        return Err(Error::Malformed(format!("{what} is not an EC2 P-256 key")));
    }
    let (Some(kid), Some(x), Some(y)) = (kid, x, y) else {
        return Err(Error::Malformed(format!("{what} lacks kid, x or y")));
    };
    let key = PublicKey::from_coordinates(&x, &y)
        .map_err(|_| Error::Malformed(format!("{what} is not a point on P-256")))?;
    if Thumbprint::of(&key).kid() != Kid(kid) {
        return Err(Error::KeyMismatch);
    }
    Ok(key)
}

/// A certificate that was issued here or has passed [`Certificate::verify`]: the claims and the
/// exact bytes they came from. Fields are private so no unverified claims can pose as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    claims: CertClaims,
    bytes: Vec<u8>,
}

impl Certificate {
    /// Signs `claims` with the hub root key. Refuses claims naming another issuer (so a hub
    /// cannot mint a certificate that its own verification would reject) and invalid ids.
    pub fn issue(claims: CertClaims, root: &PrivateKey) -> Result<Certificate> {
        let root_kid = Thumbprint::of(&root.public_key()).kid();
        if claims.issuer != root_kid {
            return Err(Error::WrongIssuer);
        }
        claims.validate()?;
        let payload = encode_bytes(&claims.to_value());
        let (protected, unprotected) = root_headers(root_kid);
        let sign1 = sign1_create(protected, unprotected, payload, CERTIFICATE_AAD, root);
        let mut bytes = CWT_TAG_BYTES.to_vec();
        bytes.extend_from_slice(&sign1.to_tagged_vec().map_err(crate::cose::Error::from)?);
        Ok(Certificate { claims, bytes })
    }

    /// Verifies certificate bytes against the hub root key, then returns the certificate.
    ///
    /// `now` is the current Unix time when the hub trusts its clock, `None` when it does not: a
    /// Raspberry Pi has no real-time clock, and refusing every certificate until NTP answers (or
    /// accepting any time a spoofed NTP server says) would be worse than skipping the window
    /// check; revocation and replay protection do not depend on the clock.
    pub fn verify(bytes: &[u8], root: &PublicKey, now: Option<u64>) -> Result<Certificate> {
        if bytes.len() > MAX_CERT_LEN {
            return Err(Error::TooLong {
                len: bytes.len(),
                max: MAX_CERT_LEN,
            });
        }
        // Only the tagged form `61(18(...))`: the tags say what the bytes are, and a bare Sign1
        // (what a revocation list or an envelope's inner layer looks like) is no certificate.
        let sign1_bytes = match bytes.strip_prefix(&CWT_TAG_BYTES[..]) {
            Some(rest) if rest.first() == Some(&SIGN1_TAG_BYTE) => rest,
            _ => {
                return Err(Error::Malformed(
                    "a certificate is a tag-61 CWT around a tag-18 COSE_Sign1".into(),
                ));
            }
        };
        let msg = decode_sign1(sign1_bytes)?;
        let root_kid = Thumbprint::of(root).kid();
        check_root_headers(&msg, root_kid)?;
        let (payload, _) = sign1_verify(&msg, CERTIFICATE_AAD, root)?;
        let claims = CertClaims::from_payload(payload, root_kid)?;
        if encode_bytes(&claims.to_value()) != payload {
            return Err(Error::Malformed(
                "claims are not in deterministic encoding".into(),
            ));
        }
        let cert = Certificate {
            claims,
            bytes: bytes.to_vec(),
        };
        if let Some(now) = now {
            cert.check_time(now)?;
        }
        Ok(cert)
    }

    /// Checks the validity window, `nbf <= now < exp`, for a time the caller trusts; exposed so
    /// a long-lived holder can re-check once the clock becomes trusted.
    pub fn check_time(&self, now: u64) -> Result<()> {
        if let Some(nbf) = self.claims.not_before {
            if now < nbf {
                return Err(Error::NotYetValid);
            }
        }
        if let Some(exp) = self.claims.expires {
            if now >= exp {
                return Err(Error::Expired);
            }
        }
        Ok(())
    }

    /// The verified claims.
    pub fn claims(&self) -> &CertClaims {
        &self.claims
    }

    /// The certificate exactly as issued or received, for storing and forwarding unchanged.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The certified key's short kid: what envelopes signed by the holder carry.
    pub fn kid(&self) -> Kid {
        self.thumbprint().kid()
    }

    /// The certified key's full RFC 9679 thumbprint.
    pub fn thumbprint(&self) -> Thumbprint {
        Thumbprint::of(&self.claims.key)
    }

    /// The certified key agreement key, what is encrypted to the holder (devices and
    /// clients always have one).
    pub fn agreement_key(&self) -> Option<&PublicKey> {
        self.claims.agreement_key.as_ref()
    }

    /// The short kid of the key agreement key: the recipient kid of what is encrypted to the
    /// holder.
    pub fn agreement_kid(&self) -> Option<Kid> {
        self.claims
            .agreement_key
            .as_ref()
            .map(|k| Thumbprint::of(k).kid())
    }

    /// Whether the device list admits `device` (no list admits every device). This is only the
    /// scope; commanding also needs [`Permissions::SEND_COMMANDS`], checked with [`Self::has`].
    pub fn allows_device(&self, device: &str) -> bool {
        match &self.claims.devices {
            None => true,
            Some(list) => list.iter().any(|d| d == device),
        }
    }

    /// Whether the certificate grants every permission in `permissions`.
    pub fn has(&self, permissions: Permissions) -> bool {
        self.claims.permissions.contains(permissions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cose::diag::to_diag;
    use coset::{CoseSign1Builder, HeaderBuilder, iana};
    use proptest::prelude::*;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from_bytes(&[seed; 32]).expect("valid scalar")
    }

    fn kid_of(key: &PrivateKey) -> Kid {
        Thumbprint::of(&key.public_key()).kid()
    }

    fn client_claims(root: &PrivateKey) -> CertClaims {
        let mut claims = CertClaims::new(
            kid_of(root),
            "phone.anna",
            Role::Client,
            Permissions::READ_EVENTS | Permissions::SEND_COMMANDS,
            key(9).public_key(),
            1_700_000_000,
        )
        .expect("rng")
        .with_agreement_key(key(10).public_key());
        claims.devices = Some(vec!["lock:front-door".into(), "zigbee.0x00158d".into()]);
        claims.not_before = Some(1_700_000_000);
        claims.expires = Some(1_800_000_000);
        claims
    }

    fn client_cert(root: &PrivateKey) -> Certificate {
        Certificate::issue(client_claims(root), root).expect("issue")
    }

    /// The claims payload of a certificate, as signed.
    fn payload_of(bytes: &[u8]) -> Vec<u8> {
        let msg = decode_sign1(&bytes[2..]).expect("sign1");
        msg.payload.expect("payload")
    }

    /// A CWT over arbitrary payload bytes, with the root headers of `kid`, signed by `signer`.
    fn sign_raw(payload: Vec<u8>, kid: Kid, signer: &PrivateKey) -> Vec<u8> {
        let (protected, unprotected) = root_headers(kid);
        let msg = sign1_create(protected, unprotected, payload, CERTIFICATE_AAD, signer);
        let mut out = CWT_TAG_BYTES.to_vec();
        out.extend(msg.to_tagged_vec().expect("encode"));
        out
    }

    /// Re-signs a certificate after `edit` changed its decoded claims map.
    fn resign_edited(
        cert: &Certificate,
        root: &PrivateKey,
        edit: impl FnOnce(&mut Vec<(Value, Value)>),
    ) -> Vec<u8> {
        let Value::Map(mut map) = decode_value(&payload_of(cert.as_bytes()), "test").expect("cbor")
        else {
            panic!("claims are a map");
        };
        edit(&mut map);
        let payload = encode_bytes(&Value::Map(map));
        sign_raw(payload, kid_of(root), root)
    }

    fn entry(map: &mut [(Value, Value)], key: i64) -> &mut Value {
        &mut map
            .iter_mut()
            .find(|(k, _)| *k == int(key))
            .expect("claim present")
            .1
    }

    #[test]
    fn issue_then_verify_round_trips_for_every_role() {
        let root = key(1);
        let public = root.public_key();
        let roles = [
            (Role::Hub, Permissions::ALL),
            (Role::Device, Permissions::NONE),
            (Role::Client, Permissions::READ_EVENTS),
        ];
        for (i, (role, perms)) in roles.into_iter().enumerate() {
            let holder = key(10 + i as u8).public_key();
            let mut claims =
                CertClaims::new(kid_of(&root), "holder-1", role, perms, holder, 42).expect("rng");
            if role != Role::Hub {
                claims = claims.with_agreement_key(key(20 + i as u8).public_key());
            }
            let cert = Certificate::issue(claims.clone(), &root).expect("issue");
            assert_eq!(&cert.as_bytes()[..2], &[0xd8, 0x3d], "tag 61 first");
            assert_eq!(
                &cert.as_bytes()[2..13],
                &[
                    0xd2,
                    0x84,
                    0x43,
                    0xa1,
                    0x01,
                    0x26,
                    0xa1,
                    0x04,
                    0x48,
                    kid_of(&root).0[0],
                    kid_of(&root).0[1]
                ],
                "tag 18, protected {{1: -7}}, unprotected {{4: kid}}"
            );
            for now in [None, Some(0), Some(u64::MAX)] {
                let back = Certificate::verify(cert.as_bytes(), &public, now).expect("verify");
                assert_eq!(back, cert);
                assert_eq!(back.claims(), &claims);
            }
            assert_eq!(cert.kid(), Thumbprint::of(&holder).kid());
            assert_eq!(cert.thumbprint(), Thumbprint::of(&holder));
            assert!(cert.has(perms));
            assert!(cert.allows_device("anything"));
        }
    }

    #[test]
    fn the_claims_have_the_documented_layout() {
        let root = key(1);
        let mut claims = client_claims(&root);
        claims.serial = [0x5e; 8];
        let cert = Certificate::issue(claims, &root).expect("issue");
        let payload = payload_of(cert.as_bytes());
        let holder = key(9).public_key();
        let agreement = key(10).public_key();
        let expected = format!(
            "{{1: \"{home}\", 2: \"phone.anna\", 4: 1800000000, 5: 1700000000, 6: 1700000000, \
             7: h'5E5E5E5E5E5E5E5E', 8: {{1: {{1: 2, 2: h'{kid}', -1: 1, -2: h'{x}', -3: h'{y}'}}}}, \
             -65538: 3, -65539: 3, -65540: [\"lock:front-door\", \"zigbee.0x00158d\"], \
             -65541: {{1: 2, 2: h'{akid}', -1: 1, -2: h'{ax}', -3: h'{ay}'}}}}",
            home = kid_of(&root),
            kid = hex::encode_upper(Thumbprint::of(&holder).kid().0),
            x = hex::encode_upper(holder.x()),
            y = hex::encode_upper(holder.y()),
            akid = hex::encode_upper(Thumbprint::of(&agreement).kid().0),
            ax = hex::encode_upper(agreement.x()),
            ay = hex::encode_upper(agreement.y()),
        );
        assert_eq!(
            to_diag(&decode_value(&payload, "test").expect("cbor")),
            expected
        );
        // Deterministic: map(11), the private keys as 0x3a 0001000x.
        assert_eq!(payload[0], 0xab);
        assert!(
            payload
                .windows(5)
                .any(|w| w == [0x3a, 0x00, 0x01, 0x00, 0x01])
        );
    }

    #[test]
    fn devices_and_clients_need_a_separate_agreement_key_and_the_hub_none() {
        let root = key(1);
        for role in [Role::Device, Role::Client] {
            let claims = CertClaims::new(
                kid_of(&root),
                "h",
                role,
                Permissions::NONE,
                key(9).public_key(),
                0,
            )
            .expect("rng");
            assert!(matches!(
                Certificate::issue(claims.clone(), &root),
                Err(Error::MissingClaim("agreement key"))
            ));
            // The same key for signing and key agreement is what two keys exist to prevent.
            let same = claims.with_agreement_key(key(9).public_key());
            assert!(matches!(
                Certificate::issue(same, &root),
                Err(Error::Malformed(m)) if m.contains("must not be the signing key")
            ));
        }
        let hub = CertClaims::new(
            kid_of(&root),
            "h",
            Role::Hub,
            Permissions::ALL,
            key(9).public_key(),
            0,
        )
        .expect("rng")
        .with_agreement_key(key(10).public_key());
        assert!(matches!(
            Certificate::issue(hub, &root),
            Err(Error::Malformed(_))
        ));
        // Signed by the root all the same, a certificate breaking these rules is refused.
        let cert = client_cert(&root);
        for edit in [
            Box::new(|map: &mut Vec<(Value, Value)>| map.retain(|(k, _)| *k != int(AGREEMENT)))
                as Box<dyn Fn(&mut Vec<(Value, Value)>)>,
            Box::new(|map: &mut Vec<(Value, Value)>| {
                let cnf_key = match entry(map, CNF) {
                    Value::Map(m) => m[0].1.clone(),
                    _ => panic!("cnf"),
                };
                *entry(map, AGREEMENT) = cnf_key;
            }),
            Box::new(|map: &mut Vec<(Value, Value)>| {
                let Value::Map(k) = entry(map, AGREEMENT) else {
                    panic!("key")
                };
                k.push((int(-4), Value::Bytes(vec![1; 32])));
            }),
        ] {
            let bytes = resign_edited(&cert, &root, edit);
            assert!(Certificate::verify(&bytes, &root.public_key(), None).is_err());
        }
    }

    #[test]
    fn permissions_and_device_scope() {
        let root = key(1);
        let cert = client_cert(&root);
        assert!(cert.has(Permissions::SEND_COMMANDS));
        assert!(cert.has(Permissions::READ_EVENTS | Permissions::SEND_COMMANDS));
        assert!(!cert.has(Permissions::ADMINISTER));
        assert!(cert.allows_device("lock:front-door"));
        assert!(!cert.allows_device("lock:back-door"));
        assert_eq!(Permissions::from_bits(16), None);
        assert_eq!(Permissions::from_bits(8), Some(Permissions::SECURE_DEVICES));
        assert_eq!(Permissions::from_bits(15), Some(Permissions::ALL));
        assert_eq!(
            format!(
                "{:?}",
                Permissions::READ_EVENTS | Permissions::SECURE_DEVICES
            ),
            "Permissions(READ_EVENTS | SECURE_DEVICES)"
        );
        assert_eq!(
            Permissions::from_bits(5),
            Some(Permissions::READ_EVENTS | Permissions::ADMINISTER)
        );
        assert_eq!(format!("{:?}", Permissions::NONE), "Permissions(NONE)");
    }

    #[test]
    fn issue_refuses_another_issuer_and_bad_ids() {
        let root = key(1);
        let mut claims = client_claims(&root);
        claims.issuer = kid_of(&key(2));
        assert!(matches!(
            Certificate::issue(claims, &root),
            Err(Error::WrongIssuer)
        ));
        for bad in ["", "Phone", "a b", "ä", &"x".repeat(65)] {
            let mut claims = client_claims(&root);
            claims.subject = bad.into();
            assert!(matches!(
                Certificate::issue(claims, &root),
                Err(Error::InvalidId(_))
            ));
        }
        let mut claims = client_claims(&root);
        claims.devices = Some(vec!["ok".into(), "NOT-OK".into()]);
        assert!(matches!(
            Certificate::issue(claims, &root),
            Err(Error::InvalidId(_))
        ));
        let mut claims = client_claims(&root);
        claims.not_before = claims.expires;
        assert!(matches!(
            Certificate::issue(claims, &root),
            Err(Error::Malformed(_))
        ));
        assert!(is_valid_id(&"a".repeat(64)) && is_valid_id("a.b_c:d-9"));
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let root = key(1);
        let public = root.public_key();
        let cert = client_cert(&root);
        let payload = payload_of(cert.as_bytes());
        let signed_from = cert
            .as_bytes()
            .windows(payload.len())
            .position(|w| w == payload)
            .expect("payload inside");
        for i in 0..cert.as_bytes().len() {
            for mask in [0x01u8, 0xff] {
                let mut bytes = cert.as_bytes().to_vec();
                bytes[i] ^= mask;
                let result = Certificate::verify(&bytes, &public, None);
                // Inside the payload and the signature only the signature check can notice.
                let in_signed_bytes =
                    i >= signed_from && (i < signed_from + payload.len() || i >= bytes.len() - 64);
                match result {
                    Err(Error::BadSignature) => {}
                    Err(Error::Malformed(_) | Error::WrongAlgorithm | Error::WrongIssuer)
                        if !in_signed_bytes => {}
                    other => panic!("byte {i} ^ {mask:#x}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let root = key(1);
        let public = root.public_key();
        let cert = client_cert(&root);
        for len in 0..cert.as_bytes().len() {
            assert!(Certificate::verify(&cert.as_bytes()[..len], &public, None).is_err());
        }
        let mut longer = cert.as_bytes().to_vec();
        longer.push(0);
        assert!(matches!(
            Certificate::verify(&longer, &public, None),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn a_certificate_signed_by_another_key_is_refused() {
        let root = key(1);
        let other = key(2);
        let cert = client_cert(&root);
        // Same headers and claims, someone else's signature.
        let forged = sign_raw(payload_of(cert.as_bytes()), kid_of(&root), &other);
        assert!(matches!(
            Certificate::verify(&forged, &root.public_key(), None),
            Err(Error::BadSignature)
        ));
        // A genuine certificate of another home.
        let foreign = Certificate::issue(client_claims(&other), &other).expect("issue");
        assert!(matches!(
            Certificate::verify(foreign.as_bytes(), &root.public_key(), None),
            Err(Error::WrongIssuer)
        ));
    }

    #[test]
    fn iss_of_another_home_is_refused() {
        let root = key(1);
        let cert = client_cert(&root);
        let bytes = resign_edited(&cert, &root, |map| {
            *entry(map, ISS) = Value::Text(kid_of(&key(2)).to_string());
        });
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::WrongIssuer)
        ));
        let bytes = resign_edited(&cert, &root, |map| {
            *entry(map, ISS) = Value::Text(kid_of(&root).to_string().to_uppercase());
        });
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::WrongIssuer)
        ));
    }

    #[test]
    fn alg_in_the_unprotected_header_is_refused() {
        let root = key(1);
        let cert = client_cert(&root);
        let msg = CoseSign1Builder::new()
            .unprotected(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::ES256)
                    .key_id(kid_of(&root).0.to_vec())
                    .build(),
            )
            .payload(payload_of(cert.as_bytes()))
            .create_signature(CERTIFICATE_AAD, |tbs| root.sign(tbs).to_vec())
            .build();
        let mut bytes = CWT_TAG_BYTES.to_vec();
        bytes.extend(msg.to_tagged_vec().expect("encode"));
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::WrongAlgorithm)
        ));
    }

    #[test]
    fn alg_es384_is_refused() {
        let root = key(1);
        let cert = client_cert(&root);
        let msg = CoseSign1Builder::new()
            .protected(
                HeaderBuilder::new()
                    .algorithm(iana::Algorithm::ES384)
                    .build(),
            )
            .unprotected(
                HeaderBuilder::new()
                    .key_id(kid_of(&root).0.to_vec())
                    .build(),
            )
            .payload(payload_of(cert.as_bytes()))
            .create_signature(CERTIFICATE_AAD, |tbs| root.sign(tbs).to_vec())
            .build();
        let mut bytes = CWT_TAG_BYTES.to_vec();
        bytes.extend(msg.to_tagged_vec().expect("encode"));
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::WrongAlgorithm)
        ));
    }

    #[test]
    fn extra_protected_or_unprotected_parameters_are_refused() {
        let root = key(1);
        let payload = payload_of(client_cert(&root).as_bytes());
        let msg = sign1_create(
            HeaderBuilder::new().content_type("a/b".into()).build(),
            root_headers(kid_of(&root)).1,
            payload.clone(),
            CERTIFICATE_AAD,
            &root,
        );
        let mut bytes = CWT_TAG_BYTES.to_vec();
        bytes.extend(msg.to_tagged_vec().expect("encode"));
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::Malformed(m)) if m.contains("header")
        ));
        let msg = sign1_create(
            HeaderBuilder::new().build(),
            HeaderBuilder::new()
                .key_id(kid_of(&root).0.to_vec())
                .iv(vec![0; 12])
                .build(),
            payload,
            CERTIFICATE_AAD,
            &root,
        );
        let mut bytes = CWT_TAG_BYTES.to_vec();
        bytes.extend(msg.to_tagged_vec().expect("encode"));
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::Malformed(m)) if m.contains("header")
        ));
    }

    #[test]
    fn an_unknown_claim_is_refused() {
        let root = key(1);
        let mut payload = payload_of(client_cert(&root).as_bytes());
        // Hand-edit: map(11) becomes map(12), and claim 99 (0x18 0x63) = 0 is appended.
        assert_eq!(payload[0], 0xab);
        payload[0] = 0xac;
        payload.extend_from_slice(&[0x18, 0x63, 0x00]);
        let bytes = sign_raw(payload, kid_of(&root), &root);
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::UnknownClaim(99))
        ));
    }

    #[test]
    fn a_duplicate_claim_is_refused() {
        let root = key(1);
        let mut payload = payload_of(client_cert(&root).as_bytes());
        payload[0] = 0xac;
        payload.extend_from_slice(&[0x06, 0x00]); // iat again
        let bytes = sign_raw(payload, kid_of(&root), &root);
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::DuplicateClaim(6))
        ));
    }

    #[test]
    fn missing_required_claims_are_refused() {
        let root = key(1);
        let cert = client_cert(&root);
        for (claim, name) in [
            (CNF, "cnf"),
            (ISS, "iss"),
            (SUB, "sub"),
            (IAT, "iat"),
            (CTI, "cti"),
            (ROLE, "role"),
            (PERMS, "perms"),
        ] {
            let bytes = resign_edited(&cert, &root, |map| map.retain(|(k, _)| *k != int(claim)));
            match Certificate::verify(&bytes, &root.public_key(), None) {
                Err(Error::MissingClaim(n)) => assert_eq!(n, name),
                other => panic!("without {name}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_cnf_kid_that_does_not_match_the_key_is_refused() {
        let root = key(1);
        let cert = client_cert(&root);
        let bytes = resign_edited(&cert, &root, |map| {
            let Value::Map(cnf) = entry(map, CNF) else {
                panic!("cnf map")
            };
            let Value::Map(cose_key) = &mut cnf[0].1 else {
                panic!("COSE_Key map")
            };
            *entry(cose_key, KEY_KID) = Value::Bytes(kid_of(&root).0.to_vec());
        });
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::KeyMismatch)
        ));
    }

    #[test]
    fn wrong_claim_types_and_values_are_refused() {
        let root = key(1);
        let cert = client_cert(&root);
        let edits: Vec<(i64, Value)> = vec![
            (ROLE, uint(4)),
            (PERMS, uint(16)),
            (IAT, int(-1)),
            (CTI, Value::Bytes(vec![1; 7])),
            (SUB, Value::Bytes(b"phone".to_vec())),
            (DEVICES, Value::Text("lock".into())),
            (CNF, Value::Map(vec![(int(2), uint(0))])),
        ];
        for (claim, value) in edits {
            let bytes = resign_edited(&cert, &root, |map| *entry(map, claim) = value);
            assert!(
                matches!(
                    Certificate::verify(&bytes, &root.public_key(), None),
                    Err(Error::Malformed(_))
                ),
                "claim {claim}"
            );
        }
        let bytes = resign_edited(&cert, &root, |map| {
            *entry(map, SUB) = Value::Text("Phone".into());
        });
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::InvalidId(_))
        ));
    }

    #[test]
    fn a_non_deterministic_encoding_is_refused() {
        let root = key(1);
        let cert = client_cert(&root);
        // Claim keys out of order: sub before iss.
        let bytes = resign_edited(&cert, &root, |map| map.swap(0, 1));
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::Malformed(_))
        ));
        // Same map with an indefinite-length header (0xbf ... 0xff).
        let mut payload = payload_of(cert.as_bytes());
        payload[0] = 0xbf;
        payload.push(0xff);
        let bytes = sign_raw(payload, kid_of(&root), &root);
        assert!(matches!(
            Certificate::verify(&bytes, &root.public_key(), None),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn the_validity_window_is_checked_only_with_a_trusted_clock() {
        let root = key(1);
        let public = root.public_key();
        let cert = client_cert(&root); // nbf 1_700_000_000, exp 1_800_000_000
        let bytes = cert.as_bytes();
        assert!(matches!(
            Certificate::verify(bytes, &public, Some(1_800_000_000)),
            Err(Error::Expired)
        ));
        assert!(matches!(
            Certificate::verify(bytes, &public, Some(u64::MAX)),
            Err(Error::Expired)
        ));
        assert!(matches!(
            Certificate::verify(bytes, &public, Some(1_699_999_999)),
            Err(Error::NotYetValid)
        ));
        assert!(Certificate::verify(bytes, &public, Some(1_700_000_000)).is_ok());
        assert!(Certificate::verify(bytes, &public, Some(1_799_999_999)).is_ok());
        assert!(Certificate::verify(bytes, &public, None).is_ok());
    }

    #[test]
    fn only_tag_61_around_tag_18_is_a_certificate() {
        let root = key(1);
        let public = root.public_key();
        let cert = client_cert(&root);
        let tagged18 = &cert.as_bytes()[2..];
        assert!(Certificate::verify(cert.as_bytes(), &public, None).is_ok());
        assert!(matches!(
            Certificate::verify(tagged18, &public, None),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            Certificate::verify(&tagged18[1..], &public, None),
            Err(Error::Malformed(_))
        ));
        // 61 around an untagged array.
        let mut bytes = CWT_TAG_BYTES.to_vec();
        bytes.extend_from_slice(&tagged18[1..]);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
        // 61 in a non-shortest form, and tag 62.
        let mut bytes = vec![0xd9, 0x00, 0x3d];
        bytes.extend_from_slice(tagged18);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
        let mut bytes = vec![0xd8, 0x3e];
        bytes.extend_from_slice(tagged18);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn oversized_inputs_and_hostile_lengths_are_refused_without_panicking() {
        let root = key(1);
        let public = root.public_key();
        assert!(matches!(
            Certificate::verify(&vec![0u8; MAX_CERT_LEN + 1], &public, None),
            Err(Error::TooLong { .. })
        ));
        let huge_bstr = [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        // As the whole input, after the tags, and as the payload inside the COSE_Sign1.
        assert!(matches!(
            Certificate::verify(&huge_bstr, &public, None),
            Err(Error::Malformed(_))
        ));
        let mut bytes = vec![0xd8, 0x3d, 0xd2];
        bytes.extend_from_slice(&huge_bstr);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
        let mut bytes = vec![
            0xd8, 0x3d, 0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa1, 0x04, 0x48,
        ];
        bytes.extend_from_slice(&kid_of(&root).0);
        bytes.extend_from_slice(&huge_bstr);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
        // Signed by the root, so only the claims decoder stands between it and the allocator.
        let bytes = sign_raw(huge_bstr.to_vec(), kid_of(&root), &root);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
        let mut map = vec![0xa1, 0x01, 0x7b];
        map.extend_from_slice(&[0xff; 8]);
        let bytes = sign_raw(map, kid_of(&root), &root);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
        let bytes = sign_raw(
            vec![0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            kid_of(&root),
            &root,
        );
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn ten_thousand_nested_arrays_are_refused_without_panicking() {
        let root = key(1);
        let public = root.public_key();
        let mut deep = vec![0x81u8; 10_000];
        deep.push(0x00);
        assert!(matches!(
            Certificate::verify(&deep, &public, None),
            Err(Error::Malformed(_))
        ));
        let mut bytes = vec![0xd8, 0x3d, 0xd2];
        bytes.extend_from_slice(&deep);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
        let bytes = sign_raw(deep, kid_of(&root), &root);
        assert!(matches!(
            Certificate::verify(&bytes, &public, None),
            Err(Error::Malformed(_))
        ));
    }

    fn arb_claims() -> impl Strategy<Value = (CertClaims, PrivateKey)> {
        let role = prop_oneof![Just(Role::Hub), Just(Role::Device), Just(Role::Client)];
        let devices = proptest::option::of(proptest::collection::vec("[a-z0-9._:-]{1,64}", 0..6));
        let window = (any::<Option<u64>>(), any::<Option<u64>>()).prop_filter(
            "nbf before exp",
            |w| match w {
                (Some(nbf), Some(exp)) => nbf < exp,
                _ => true,
            },
        );
        (
            "[a-z0-9._:-]{1,64}",
            role,
            0u64..16,
            devices,
            window,
            any::<u64>(),
            any::<[u8; 8]>(),
            (
                any::<[u8; 32]>()
                    .prop_filter_map("valid scalar", |b| PrivateKey::from_bytes(&b).ok()),
                any::<[u8; 32]>()
                    .prop_filter_map("valid scalar", |b| PrivateKey::from_bytes(&b).ok()),
            )
                .prop_filter("two different keys", |(a, b)| {
                    a.public_key() != b.public_key()
                }),
        )
            .prop_map(
                |(subject, role, perms, devices, (nbf, exp), iat, serial, (holder, agreement))| {
                    let root = key(1);
                    let claims = CertClaims {
                        issuer: kid_of(&root),
                        subject,
                        role,
                        permissions: Permissions::from_bits(perms).expect("4 bits"),
                        devices,
                        not_before: nbf,
                        expires: exp,
                        issued_at: iat,
                        serial,
                        key: holder.public_key(),
                        agreement_key: (role != Role::Hub).then(|| agreement.public_key()),
                    };
                    (claims, root)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_claims_round_trip_exactly((claims, root) in arb_claims()) {
            let cert = Certificate::issue(claims.clone(), &root).expect("issue");
            let back = Certificate::verify(cert.as_bytes(), &root.public_key(), None)
                .expect("verify");
            prop_assert_eq!(back.claims(), &claims);
            prop_assert_eq!(back.as_bytes(), cert.as_bytes());
        }
    }
}
