//! The setup codes the hub holds: the start code it prints when it starts (its verifier kept in
//! memory for this run only; a new one each start) and one-time invitation codes an owner asks
//! for (their verifiers sealed in the store with the role, optional device list and expiry the
//! new client gets). Each live code has its own slot, the code's first digit, so the hub knows
//! which verifier a PairStart means; at most ten codes are live at once.
//!
//! A code is consumed by the pairing it admits (the start code too: someone who reads it off
//! the console later cannot use it; the hub asks for a new one if it wants another). The codes
//! themselves are never stored: only [`PasscodeVerifier`]s.
//!
//! Invitation expiry: while the hub runs it is measured on the monotonic clock. Across a
//! restart the record's wall-clock expiry is used, but only once the hub trusts its wall clock
//! (`now_unix`); until then such invitations are dormant (refused), and one made while the
//! clock was untrusted has no wall-clock expiry and is dropped at the next start.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use coset::cbor::value::Value;

use super::setup_code::SLOTS;
use super::{Error, PasscodeVerifier, Result, SetupCode};
use crate::cbor;
use crate::envelope::DeviceId;
use crate::model::Role;
use crate::store::Store;

/// The store tree of pairing records (invitations and the lock-out state).
pub const PAIRING_TREE: &str = "pairing";
/// The longest an invitation may stay valid.
pub const MAX_INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Version of the invitation record.
const RECORD_VERSION: u64 = 1;

/// Which kind of code admitted a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// The start code printed at hub start (the first owner's way in).
    Start,
    /// A one-time invitation an owner asked for.
    Invitation,
}

/// What a client paired with a code may do: the invitation's role and device list, or owner
/// of everything for the start code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Which kind of code it was.
    pub kind: CodeKind,
    /// The role the new client gets.
    pub role: Role,
    /// The devices it is limited to (`None`: all).
    pub devices: Option<Vec<DeviceId>>,
}

/// The key of an invitation's record: `invitation/<slot>`.
pub(crate) fn invitation_key(slot: u8) -> Vec<u8> {
    format!("invitation/{slot}").into_bytes()
}

struct Invitation {
    verifier: PasscodeVerifier,
    role: Role,
    devices: Option<Vec<DeviceId>>,
    ttl_secs: u32,
    expires_unix: Option<u64>,
    /// `None`: dormant until the wall clock is trusted.
    deadline: Option<Instant>,
}

fn role_code(role: Role) -> u64 {
    match role {
        Role::Owner => 0,
        Role::Member => 1,
        Role::Guest => 2,
    }
}

fn role_from_code(code: u64) -> Result<Role> {
    match code {
        0 => Ok(Role::Owner),
        1 => Ok(Role::Member),
        2 => Ok(Role::Guest),
        other => Err(Error::Malformed(format!("unknown role {other}"))),
    }
}

impl Invitation {
    /// `{0: 1, 1: verifier, 2: role, 3: [device ids] / null, 4: ttl_secs, 5: expires_unix /
    /// null}`, deterministic CBOR.
    fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let devices = match &self.devices {
            Some(list) => Value::Array(
                list.iter()
                    .map(|d| Value::Text(d.as_str().to_owned()))
                    .collect(),
            ),
            None => Value::Null,
        };
        zeroize::Zeroizing::new(cbor::encode(&Value::Map(vec![
            (cbor::uint(0), cbor::uint(RECORD_VERSION)),
            (cbor::uint(1), self.verifier.to_value()),
            (cbor::uint(2), cbor::uint(role_code(self.role))),
            (cbor::uint(3), devices),
            (cbor::uint(4), cbor::uint(u64::from(self.ttl_secs))),
            (
                cbor::uint(5),
                self.expires_unix.map_or(Value::Null, cbor::uint),
            ),
        ])))
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let what = "invitation record";
        let entries = cbor::int_map(cbor::decode_canonical(bytes, what)?, what)?;
        let keys: Vec<i64> = entries.iter().map(|(k, _)| *k).collect();
        if keys != [0, 1, 2, 3, 4, 5] {
            return Err(Error::Malformed(format!(
                "{what}: keys must be 0..=5 in order"
            )));
        }
        let mut values = entries.into_iter().map(|(_, v)| v);
        let mut next = || {
            values
                .next()
                .ok_or_else(|| Error::Malformed(format!("{what}: missing field")))
        };
        let version = cbor::as_u64(&next()?, "invitation version")?;
        if version != RECORD_VERSION {
            return Err(Error::Malformed(format!("{what}: version {version}")));
        }
        let verifier = PasscodeVerifier::from_value(next()?)?;
        let role = role_from_code(cbor::as_u64(&next()?, "role")?)?;
        let devices = match next()? {
            Value::Null => None,
            list => Some(
                cbor::as_items(&list, "devices")?
                    .iter()
                    .map(|d| {
                        DeviceId::new(cbor::as_text(d, "device")?)
                            .map_err(|e| Error::Malformed(e.to_string()))
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        let ttl_secs = u32::try_from(cbor::as_u64(&next()?, "ttl")?)
            .map_err(|_| Error::Malformed(format!("{what}: ttl out of range")))?;
        let expires_unix = match next()? {
            Value::Null => None,
            v => Some(cbor::as_u64(&v, "expiry")?),
        };
        Ok(Self {
            verifier,
            role,
            devices,
            ttl_secs,
            expires_unix,
            deadline: None,
        })
    }

    /// Gives a dormant invitation its monotonic deadline from the trusted wall clock; `false`
    /// if it has expired or can never be checked (made without a trusted clock).
    fn arm(&mut self, now: Instant, now_unix: u64) -> bool {
        match self.expires_unix {
            Some(expires) if expires > now_unix => {
                let left = Duration::from_secs(expires - now_unix)
                    .min(Duration::from_secs(u64::from(self.ttl_secs)));
                self.deadline = Some(now + left);
                true
            }
            _ => false,
        }
    }

    fn is_live(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now < d)
    }
}

/// The hub's live codes. Owns a store handle for the invitations.
pub struct PairingCodes {
    store: Store,
    iterations: u32,
    start: Option<(u8, PasscodeVerifier)>,
    invitations: BTreeMap<u8, Invitation>,
}

impl std::fmt::Debug for PairingCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingCodes")
            .field("start_slot", &self.start.as_ref().map(|(slot, _)| *slot))
            .field(
                "invitation_slots",
                &self.invitations.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl PairingCodes {
    /// Loads the stored invitations. `iterations` is the PBKDF2 count for new codes; `now` and
    /// `now_unix` (the wall clock, when the hub trusts it) place the stored expiries.
    /// Expired or uncheckable invitations are removed; unreadable records are skipped.
    pub fn open(
        store: Store,
        iterations: u32,
        now: Instant,
        now_unix: Option<u64>,
    ) -> Result<Self> {
        let mut codes = Self {
            store,
            iterations,
            start: None,
            invitations: BTreeMap::new(),
        };
        let mut expired = Vec::new();
        for record in codes.store.iter(PAIRING_TREE) {
            let (key, value) = match record {
                Ok(kv) => kv,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping an unreadable pairing record");
                    continue;
                }
            };
            let Some(slot) = (0..SLOTS).find(|s| invitation_key(*s) == key) else {
                continue;
            };
            let mut invitation = match Invitation::from_bytes(&value) {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!(slot, error = %e, "skipping an unreadable invitation");
                    continue;
                }
            };
            match now_unix {
                Some(unix) if !invitation.arm(now, unix) => expired.push(slot),
                None if invitation.expires_unix.is_none() => expired.push(slot),
                _ => {
                    codes.invitations.insert(slot, invitation);
                }
            }
        }
        for slot in expired {
            codes.store.remove(PAIRING_TREE, &invitation_key(slot))?;
        }
        Ok(codes)
    }

    /// Makes a new start code (replacing any earlier one) and returns it, to be printed.
    /// It admits one client, as an owner of everything.
    pub fn start_code(&mut self, now: Instant) -> Result<SetupCode> {
        self.start = None;
        let slot = self.free_slot(now)?;
        let code = SetupCode::generate(slot)?;
        let verifier = PasscodeVerifier::generate(&code, self.iterations)?;
        self.start = Some((slot, verifier));
        Ok(code)
    }

    /// Withdraws the start code (for example once the home has an owner).
    pub fn cancel_start_code(&mut self) {
        self.start = None;
    }

    /// Makes a one-time invitation code valid for `ttl` (at most [`MAX_INVITATION_TTL`]) that
    /// pairs one client with `role` and `devices`. Its verifier is sealed in the store before
    /// the code is returned.
    pub fn invite(
        &mut self,
        role: Role,
        devices: Option<Vec<DeviceId>>,
        ttl: Duration,
        now: Instant,
        now_unix: Option<u64>,
    ) -> Result<SetupCode> {
        if ttl.is_zero() || ttl > MAX_INVITATION_TTL {
            return Err(Error::Parameters(format!(
                "an invitation lasts 1 s to {} s",
                MAX_INVITATION_TTL.as_secs()
            )));
        }
        let slot = self.free_slot(now)?;
        let code = SetupCode::generate(slot)?;
        let invitation = Invitation {
            verifier: PasscodeVerifier::generate(&code, self.iterations)?,
            role,
            devices,
            ttl_secs: u32::try_from(ttl.as_secs()).unwrap_or(u32::MAX),
            expires_unix: now_unix.map(|unix| unix + ttl.as_secs()),
            deadline: Some(now + ttl),
        };
        self.store
            .put(PAIRING_TREE, &invitation_key(slot), &invitation.to_bytes())?;
        self.invitations.insert(slot, invitation);
        Ok(code)
    }

    /// Withdraws the invitation in `slot`; whether there was one.
    pub fn cancel_invitation(&mut self, slot: u8) -> Result<bool> {
        let existed = self.invitations.remove(&slot).is_some();
        self.store.remove(PAIRING_TREE, &invitation_key(slot))?;
        Ok(existed)
    }

    /// The wall clock became trusted: dormant invitations get their deadlines, or are removed
    /// if expired or uncheckable.
    pub fn clock_synchronised(&mut self, now: Instant, now_unix: u64) -> Result<()> {
        let dormant: Vec<u8> = self
            .invitations
            .iter()
            .filter(|(_, i)| i.deadline.is_none())
            .map(|(s, _)| *s)
            .collect();
        for slot in dormant {
            let armed = self
                .invitations
                .get_mut(&slot)
                .is_some_and(|i| i.arm(now, now_unix));
            if !armed {
                self.cancel_invitation(slot)?;
            }
        }
        Ok(())
    }

    /// The slots of the codes that would be accepted at `now`.
    pub fn live_slots(&self, now: Instant) -> Vec<u8> {
        let mut slots: Vec<u8> = self
            .invitations
            .iter()
            .filter(|(_, i)| i.is_live(now))
            .map(|(s, _)| *s)
            .collect();
        slots.extend(self.start.as_ref().map(|(s, _)| *s));
        slots.sort_unstable();
        slots
    }

    /// The verifier and grant of the live code in `slot`, if any; an expired invitation found
    /// there is removed.
    pub(crate) fn lookup(
        &mut self,
        slot: u8,
        now: Instant,
    ) -> Result<Option<(PasscodeVerifier, Grant)>> {
        if let Some((start_slot, verifier)) = &self.start {
            if *start_slot == slot {
                return Ok(Some((
                    verifier.clone(),
                    Grant {
                        kind: CodeKind::Start,
                        role: Role::Owner,
                        devices: None,
                    },
                )));
            }
        }
        match self.invitations.get(&slot) {
            Some(i) if i.is_live(now) => Ok(Some((
                i.verifier.clone(),
                Grant {
                    kind: CodeKind::Invitation,
                    role: i.role,
                    devices: i.devices.clone(),
                },
            ))),
            Some(i) if i.deadline.is_some() => {
                self.cancel_invitation(slot)?;
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Forgets the code in `slot` after a pairing consumed it (the caller removed its record
    /// in the same batch that reset the lock-out).
    pub(crate) fn forget(&mut self, slot: u8) {
        if self.start.as_ref().is_some_and(|(s, _)| *s == slot) {
            self.start = None;
        }
        self.invitations.remove(&slot);
    }

    /// A random slot not used by the start code or by a live invitation (expired ones are
    /// removed on the way).
    fn free_slot(&mut self, now: Instant) -> Result<u8> {
        let expired: Vec<u8> = self
            .invitations
            .iter()
            .filter(|(_, i)| i.deadline.is_some_and(|d| now >= d))
            .map(|(s, _)| *s)
            .collect();
        for slot in expired {
            self.cancel_invitation(slot)?;
        }
        let taken = |s: &u8| {
            self.invitations.contains_key(s) || self.start.as_ref().is_some_and(|(t, _)| t == s)
        };
        let free: Vec<u8> = (0..SLOTS).filter(|s| !taken(s)).collect();
        if free.is_empty() {
            return Err(Error::NoFreeSlot);
        }
        let pick = crate::crypto::random_array::<1>()?[0];
        Ok(free[usize::from(pick) % free.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairing::verifier::MIN_ITERATIONS;
    use crate::store::KekSource;

    fn store(dir: &std::path::Path) -> Store {
        Store::open(dir, &KekSource::KeyFile(dir.join("kek"))).expect("store")
    }

    fn device(name: &str) -> DeviceId {
        DeviceId::new(name).expect("device id")
    }

    #[test]
    fn start_code_lives_in_memory_only_and_a_new_one_replaces_it() {
        let dir = crate::store::private_tempdir();
        let t0 = Instant::now();
        let mut codes =
            PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t0, None).expect("open");
        let first = codes.start_code(t0).expect("start code");
        let (verifier, grant) = codes
            .lookup(first.locator(), t0)
            .expect("lookup")
            .expect("live");
        assert_eq!(grant.kind, CodeKind::Start);
        assert_eq!(grant.role, Role::Owner);
        assert_eq!(
            verifier.to_bytes(),
            PasscodeVerifier::derive(&first, verifier.salt(), verifier.iterations())
                .expect("derive")
                .to_bytes(),
            "the verifier is the code's"
        );
        assert_eq!(codes.store.iter(PAIRING_TREE).count(), 0, "nothing stored");
        let second = codes.start_code(t0).expect("new start code");
        assert_eq!(codes.live_slots(t0), vec![second.locator()]);
        drop(codes);
        // A restart knows no start code.
        let reopened =
            PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t0, None).expect("open");
        assert!(reopened.live_slots(t0).is_empty());
    }

    #[test]
    fn invitations_are_sealed_in_the_store_and_survive_a_restart() {
        let dir = crate::store::private_tempdir();
        let t0 = Instant::now();
        let mut codes = PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t0, Some(1_000_000))
            .expect("open");
        let devices = Some(vec![device("zb:0011223344556677")]);
        let code = codes
            .invite(
                Role::Guest,
                devices.clone(),
                Duration::from_secs(600),
                t0,
                Some(1_000_000),
            )
            .expect("invite");
        let stored = codes
            .store
            .get(PAIRING_TREE, &invitation_key(code.locator()))
            .expect("get")
            .expect("record");
        assert!(
            !stored.windows(8).any(|w| w == code.password().as_slice()),
            "the code itself is never stored"
        );
        drop(codes);

        // Restarted 100 s later (wall clock) with an unrelated monotonic clock.
        let t1 = t0 + Duration::from_secs(5);
        let mut codes = PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t1, Some(1_000_100))
            .expect("open");
        let (_, grant) = codes
            .lookup(code.locator(), t1)
            .expect("lookup")
            .expect("live");
        assert_eq!(
            grant,
            Grant {
                kind: CodeKind::Invitation,
                role: Role::Guest,
                devices
            }
        );
        // 500 s left by the wall clock.
        assert!(
            codes
                .lookup(code.locator(), t1 + Duration::from_secs(499))
                .expect("lookup")
                .is_some()
        );
        assert!(
            codes
                .lookup(code.locator(), t1 + Duration::from_secs(500))
                .expect("lookup")
                .is_none()
        );
        assert!(
            codes
                .store
                .get(PAIRING_TREE, &invitation_key(code.locator()))
                .expect("get")
                .is_none(),
            "expired record removed"
        );
    }

    #[test]
    fn without_a_trusted_clock_stored_invitations_wait_for_it() {
        let dir = crate::store::private_tempdir();
        let t0 = Instant::now();
        let mut codes = PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t0, Some(1_000_000))
            .expect("open");
        let code = codes
            .invite(
                Role::Member,
                None,
                Duration::from_secs(600),
                t0,
                Some(1_000_000),
            )
            .expect("invite");
        // Made without a trusted clock: no wall-clock expiry.
        let unclocked = codes
            .invite(Role::Member, None, Duration::from_secs(600), t0, None)
            .expect("invite");
        drop(codes);

        let mut codes =
            PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t0, None).expect("open");
        assert!(
            codes.lookup(code.locator(), t0).expect("lookup").is_none(),
            "dormant"
        );
        assert!(
            codes
                .lookup(unclocked.locator(), t0)
                .expect("lookup")
                .is_none(),
            "dropped"
        );
        codes.clock_synchronised(t0, 1_000_010).expect("clock");
        assert!(
            codes.lookup(code.locator(), t0).expect("lookup").is_some(),
            "armed"
        );
        // Expired by the wall clock at the next synchronisation of another store instance.
        drop(codes);
        let mut codes = PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t0, Some(1_000_600))
            .expect("open");
        assert!(
            codes.lookup(code.locator(), t0).expect("lookup").is_none(),
            "expired"
        );
    }

    #[test]
    fn every_live_code_has_its_own_slot_and_ten_is_the_limit() {
        let dir = crate::store::private_tempdir();
        let t0 = Instant::now();
        let mut codes =
            PairingCodes::open(store(dir.path()), MIN_ITERATIONS, t0, None).expect("open");
        codes.start_code(t0).expect("start");
        for _ in 1..SLOTS {
            codes
                .invite(Role::Guest, None, Duration::from_secs(60), t0, None)
                .expect("invite");
        }
        assert_eq!(codes.live_slots(t0), (0..SLOTS).collect::<Vec<_>>());
        assert!(matches!(
            codes.invite(Role::Guest, None, Duration::from_secs(60), t0, None),
            Err(Error::NoFreeSlot)
        ));
        // Once they expire, slots are free again.
        let later = t0 + Duration::from_secs(60);
        codes
            .invite(Role::Guest, None, Duration::from_secs(60), later, None)
            .expect("slot freed");
        assert!(
            codes
                .invite(
                    Role::Guest,
                    None,
                    MAX_INVITATION_TTL + Duration::from_secs(1),
                    later,
                    None
                )
                .is_err()
        );
    }

    #[test]
    fn invitation_records_round_trip_and_refuse_other_encodings() {
        let code = SetupCode::parse("1456-7894").expect("code");
        let invitation = Invitation {
            verifier: PasscodeVerifier::derive(&code, &[3u8; 16], MIN_ITERATIONS)
                .expect("verifier"),
            role: Role::Member,
            devices: Some(vec![device("zw:01020304:5")]),
            ttl_secs: 600,
            expires_unix: None,
            deadline: None,
        };
        let bytes = invitation.to_bytes();
        let back = Invitation::from_bytes(&bytes).expect("decode");
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.role, Role::Member);
        assert!(Invitation::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut other_role = bytes.to_vec();
        // The role field `2: 1` is the only 0x02 0x01 pair after the verifier.
        let at = other_role
            .windows(2)
            .rposition(|w| w == [0x02, 0x01])
            .expect("role");
        other_role[at + 1] = 0x07;
        assert!(Invitation::from_bytes(&other_role).is_err());
    }
}
