//! Lock-out after wrong setup codes: the hub's limit on online guessing. SPAKE2+ leaves an
//! attacker who does not know the code exactly one guess per conversation, so the number of
//! conversations that reach the hub's confirmation is what must be bounded.
//!
//! A failure is counted when the hub answers a PairShare (that answer lets the peer test one
//! guess, whether or not it ever sends PairConfirm), and a successful pairing clears the count.
//! The first [`LockoutPolicy::free_failures`] failures cost nothing; the next locks pairing for
//! [`LockoutPolicy::first_lock`], and each further one doubles the lock up to
//! [`LockoutPolicy::max_lock`] (by default: the third failure 30 s, then 60 s, … 1 h).
//!
//! The state is pure — monotonic time is passed in — and persists as bytes, so a restart does
//! not reset it. The Raspberry Pi has no battery-backed clock and its wall clock may be unset
//! or wrong after boot, and monotonic time restarts at boot, so the hub cannot know how long
//! it was down: on reload the lock that remained when the record was written is imposed again
//! from the restart. That errs towards a longer lock, never a shorter one, and power-cycling
//! the hub gains an attacker nothing.

use std::time::{Duration, Instant};

use coset::cbor::value::Value;

use super::{Error, Result};
use crate::cbor;

/// The schedule of lock-outs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures that impose no lock; the next one imposes the first.
    pub free_failures: u32,
    /// The first lock's length; each further failure doubles it.
    pub first_lock: Duration,
    /// The longest lock.
    pub max_lock: Duration,
}

impl Default for LockoutPolicy {
    /// Two failures cost nothing; the third locks for 30 s, then 60 s, 120 s, … capped at
    /// 1 h: a person who gets the code wrong twice loses nothing, while an attacker gets at most about 24 guesses a day once the
    /// cap is reached (against 10^6 possible secret digits per code).
    fn default() -> Self {
        Self {
            free_failures: 2,
            first_lock: Duration::from_secs(30),
            max_lock: Duration::from_secs(3600),
        }
    }
}

impl LockoutPolicy {
    /// The lock imposed after the `failures`-th consecutive failure (`None`: no lock).
    pub fn lock_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures + 1)?;
        let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
        Some(self.first_lock.saturating_mul(factor).min(self.max_lock))
    }
}

/// Version of the persisted record.
const RECORD_VERSION: u64 = 1;

/// The count of consecutive failures and the lock in force.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lockout {
    failures: u32,
    locked_until: Option<Instant>,
}

impl Lockout {
    /// No failures, no lock.
    pub fn new() -> Self {
        Self::default()
    }

    /// Consecutive failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// How long pairing stays locked, if it is locked at `now`.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// `Ok` if an attempt may proceed at `now`, else [`Error::LockedOut`] with the time left.
    pub fn check(&self, now: Instant) -> Result<()> {
        match self.remaining(now) {
            Some(retry_after) => Err(Error::LockedOut { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failure at `now` and imposes the lock the policy gives for it.
    pub fn record_failure(&mut self, now: Instant, policy: &LockoutPolicy) {
        self.failures = self.failures.saturating_add(1);
        if let Some(lock) = policy.lock_after(self.failures) {
            self.locked_until = Some(now + lock);
        }
    }

    /// A successful pairing: the count and any lock are cleared.
    pub fn record_success(&mut self) {
        self.failures = 0;
        self.locked_until = None;
    }

    /// The record for the sealed store: `{0: 1, 1: failures, 2: lock seconds remaining at
    /// `now`, rounded up}`.
    pub fn to_bytes(&self, now: Instant) -> Vec<u8> {
        let remaining = self
            .remaining(now)
            .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
        cbor::encode(&Value::Map(vec![
            (cbor::uint(0), cbor::uint(RECORD_VERSION)),
            (cbor::uint(1), cbor::uint(u64::from(self.failures))),
            (cbor::uint(2), cbor::uint(remaining)),
        ]))
    }

    /// Reads a record at hub start (`now`): the failure count is kept and the remaining lock
    /// runs again from `now` (see the module docs for why).
    pub fn from_bytes(bytes: &[u8], now: Instant) -> Result<Self> {
        let what = "lock-out record";
        let entries = cbor::int_map(cbor::decode_canonical(bytes, what)?, what)?;
        let keys: Vec<i64> = entries.iter().map(|(k, _)| *k).collect();
        if keys != [0, 1, 2] {
            return Err(Error::Malformed(format!("{what}: keys must be 0, 1, 2")));
        }
        let version = cbor::as_u64(&entries[0].1, "lock-out version")?;
        if version != RECORD_VERSION {
            return Err(Error::Malformed(format!("{what}: version {version}")));
        }
        let failures = u32::try_from(cbor::as_u64(&entries[1].1, "failures")?)
            .map_err(|_| Error::Malformed(format!("{what}: failures out of range")))?;
        let remaining = cbor::as_u64(&entries[2].1, "lock remaining")?;
        // A lock longer than a day is not one this code writes; cap it rather than trust it.
        let remaining = Duration::from_secs(remaining.min(86_400));
        Ok(Self {
            failures,
            locked_until: (!remaining.is_zero()).then(|| now + remaining),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LockoutPolicy {
        LockoutPolicy::default()
    }

    #[test]
    fn the_schedule_is_free_then_doubling_then_capped() {
        let p = policy();
        let secs = |n| p.lock_after(n).map(|d| d.as_secs());
        assert_eq!((secs(0), secs(1), secs(2)), (None, None, None));
        assert_eq!(secs(3), Some(30));
        assert_eq!(secs(4), Some(60));
        assert_eq!(secs(5), Some(120));
        assert_eq!(secs(9), Some(1920));
        assert_eq!(secs(10), Some(3600), "capped at an hour");
        assert_eq!(secs(40), Some(3600));
        assert_eq!(secs(u32::MAX), Some(3600));
    }

    #[test]
    fn lock_engages_on_the_third_failure_and_grows() {
        let t0 = Instant::now();
        let mut lockout = Lockout::new();
        lockout.record_failure(t0, &policy());
        lockout.record_failure(t0, &policy());
        lockout.check(t0).expect("two failures are free");
        lockout.record_failure(t0, &policy());
        match lockout.check(t0) {
            Err(Error::LockedOut { retry_after }) => assert_eq!(retry_after.as_secs(), 30),
            other => panic!("{other:?}"),
        }
        assert!(lockout.check(t0 + Duration::from_secs(29)).is_err());
        lockout
            .check(t0 + Duration::from_secs(30))
            .expect("lock over");
        let t1 = t0 + Duration::from_secs(30);
        lockout.record_failure(t1, &policy());
        assert_eq!(lockout.remaining(t1), Some(Duration::from_secs(60)));
        assert!(lockout.check(t1 + Duration::from_secs(59)).is_err());
    }

    #[test]
    fn success_resets_count_and_lock() {
        let t0 = Instant::now();
        let mut lockout = Lockout::new();
        for _ in 0..5 {
            lockout.record_failure(t0, &policy());
        }
        assert!(lockout.check(t0).is_err());
        lockout.record_success();
        lockout.check(t0).expect("cleared");
        assert_eq!(lockout.failures(), 0);
        lockout.record_failure(t0, &policy());
        lockout.check(t0).expect("the count started again");
    }

    /// A reload keeps the count and runs the remaining lock again from the restart, however
    /// much (unknown) time passed while the hub was down.
    #[test]
    fn state_persists_across_a_reload_measured_from_the_restart() {
        let t0 = Instant::now();
        let mut lockout = Lockout::new();
        for _ in 0..4 {
            lockout.record_failure(t0, &policy());
        }
        let bytes = lockout.to_bytes(t0);
        // The hub comes back "later": a restart's monotonic clock says nothing about downtime.
        let restart = t0 + Duration::from_secs(10_000);
        let reloaded = Lockout::from_bytes(&bytes, restart).expect("reload");
        assert_eq!(reloaded.failures(), 4);
        assert_eq!(reloaded.remaining(restart), Some(Duration::from_secs(60)));
        assert!(reloaded.check(restart + Duration::from_secs(59)).is_err());
        reloaded
            .check(restart + Duration::from_secs(60))
            .expect("lock over");
        // The next failure escalates from the persisted count.
        let mut next = reloaded;
        next.record_failure(restart + Duration::from_secs(60), &policy());
        assert_eq!(
            next.remaining(restart + Duration::from_secs(60)),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn records_round_trip_and_refuse_other_encodings() {
        let t0 = Instant::now();
        let mut lockout = Lockout::new();
        for _ in 0..3 {
            lockout.record_failure(t0, &policy());
        }
        let bytes = lockout.to_bytes(t0 + Duration::from_millis(500));
        // 29.5 s remaining rounds up to 30.
        assert_eq!(bytes, [0xa3, 0x00, 0x01, 0x01, 0x03, 0x02, 0x18, 0x1e]);
        assert!(Lockout::from_bytes(&bytes[..7], t0).is_err());
        assert!(Lockout::from_bytes(&[0xa2, 0x00, 0x01, 0x01, 0x03], t0).is_err());
        assert!(Lockout::from_bytes(&[0xa3, 0x00, 0x02, 0x01, 0x03, 0x02, 0x00], t0).is_err());
        let empty = Lockout::new().to_bytes(t0);
        assert_eq!(
            Lockout::from_bytes(&empty, t0).expect("empty"),
            Lockout::new()
        );
    }
}
