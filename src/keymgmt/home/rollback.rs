//! Rollback detection and recovery (`docs/STORE.md`, "Rollback").
//!
//! Restoring an older copy of the database, or of single records, would make the hub reuse
//! sequence numbers (its events refused as replays, or worse, accepted where a window moved
//! on), accept replayed commands (its windows undone) and un-revoke a removed client (with an
//! old epoch key it still holds). So every flushed change that matters bumps a generation kept
//! in the store and, outside it, in the [`RollbackGuard`]; a guarded open refuses a store older
//! than its guard. The explicit way back after a deliberate restore is
//! [`Home::recover_from_rollback`] (`sealhub restore-ack`).

use super::{
    CLIENTS, COMMAND_EPOCH_FLOOR, DEVICES, DeviceEntry, EPOCH, HUB, Home, REVOCATIONS, ROOT_KEY,
    SEQUENCE, SEQUENCE_FLOOR, epoch_record, new_epoch_key,
};
use crate::envelope::DeviceId;
use crate::envelope::freshness::FreshnessPolicy;
use crate::identity::RevocationList;
use crate::keymgmt::{Error, Result};
use crate::store::{RollbackGuard, Store, WriteBatch};

/// How far a recovery moves every sequence number ahead: far beyond any number the lost
/// changes could have used (2^32 numbers is decades of messages), far below the end of u64.
pub const RECOVERY_SEQUENCE_JUMP: u64 = 1 << 32;

/// What a recovery from a rollback did, to tell the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The generation the restored store held.
    pub store_generation: u64,
    /// The generation the guard recorded, if it recorded one.
    pub guard_generation: Option<u64>,
    /// The generation recorded now, in the store and the guard: above both.
    pub generation: u64,
    /// The new epoch: above the store's and the guard's; commands of older epochs are refused.
    pub epoch: u32,
    /// Every sequence counter now resumes at least here.
    pub sequence_floor: u64,
    /// The number of the revocation list signed now: above the store's and the guard's.
    pub revocation_number: u64,
    /// Clients the restored store still listed although the guard's revocation list revokes
    /// them: removed again.
    pub clients_removed: Vec<DeviceId>,
    /// Devices whose restored keys the guard's list revokes (rotated after the copy was
    /// made): given new keys.
    pub devices_rekeyed: Vec<DeviceId>,
}

impl Home {
    /// Creates a home in `store` and records its generation in `guard`. Refuses a store that
    /// holds a home, and a guard that remembers one: a missing store next to a guard is a data
    /// partition that did not mount or a lost database, not a first start.
    pub fn create_guarded(
        store: Store,
        freshness: FreshnessPolicy,
        guard: RollbackGuard,
    ) -> Result<Home> {
        if Self::exists_in(&store)? {
            return Err(Error::HomeExists(
                "the sealed store already holds a home".into(),
            ));
        }
        if let Some(record) = guard.read()? {
            return Err(Error::HomeExists(format!(
                "the rollback guard {} records a home at generation {}, but its sealed store \
                 is not here: mount or restore the data directory instead (creating a new home \
                 would strand every paired client); to start over anyway, move the guard \
                 files away first",
                guard.generation_path().display(),
                record.generation
            )));
        }
        let mut home = Self::create_in_store(store, freshness)?;
        home.guard = Some(guard);
        let list = home.revocation_bytes.clone();
        home.write_guard(home.epoch, Some(&list));
        Ok(home)
    }

    /// Opens the home in `store`, comparing the store's generation with `guard`'s: a store
    /// older than its guard is refused with [`Error::RolledBack`] naming both, a store that
    /// changed since creation but whose guard is gone with [`Error::GuardMissing`], and a
    /// store with no home with [`Error::NoHome`]. Nothing is written before these checks.
    pub fn open_guarded(
        store: Store,
        freshness: FreshnessPolicy,
        guard: RollbackGuard,
    ) -> Result<Home> {
        let root = store.get(HUB, ROOT_KEY)?.ok_or(Error::NoHome)?;
        let mut home = Self::load(store, &root, freshness)?;
        match guard.read()? {
            Some(record) if record.generation > home.generation => {
                return Err(Error::RolledBack {
                    store_generation: home.generation,
                    guard_generation: record.generation,
                    guard: guard.generation_path(),
                });
            }
            Some(_) => {}
            // A home created or brought forward but never changed has generation 1.
            None if home.generation > 1 => {
                return Err(Error::GuardMissing {
                    store_generation: home.generation,
                    guard: guard.generation_path(),
                });
            }
            None => {}
        }
        home.guard = Some(guard);
        let list = home.revocation_bytes.clone();
        home.write_guard(home.epoch, Some(&list));
        Ok(home)
    }

    /// Opens the home in `store` after a deliberate restore and makes it safe to run again,
    /// in one atomic write: every sequence counter resumes [`RECOVERY_SEQUENCE_JUMP`] above
    /// the highest ceiling stored, so no number is used twice; every revocation the guard's
    /// copy of the list holds is kept (a client removed after the copy was made stays
    /// removed, a device rotated since gets new keys), signed again under a higher number;
    /// the epoch moves above both the store's and the guard's with a new key, and commands of
    /// older epochs are refused from now on (their replay windows may be undone); a new
    /// generation above both is recorded in the store and the guard. The caller then sends
    /// [`Home::redistribute`]'s key distributions to the clients.
    pub fn recover_from_rollback(
        store: Store,
        freshness: FreshnessPolicy,
        guard: RollbackGuard,
    ) -> Result<(Home, Recovery)> {
        let root = store.get(HUB, ROOT_KEY)?.ok_or(Error::NoHome)?;
        let mut home = Self::load(store, &root, freshness)?;
        let guard_record = guard.read()?;
        let store_generation = home.generation;

        let mut list = home.revocations.clone();
        if let Some(bytes) = guard.revocations()? {
            let kept = RevocationList::verify(&bytes, &home.root.public_key(), home.home, None)?;
            list.serials.extend(kept.serials);
            list.kids.extend(kept.kids);
            list.number = list.number.max(kept.number);
        }
        list.number = list
            .number
            .checked_add(1)
            .ok_or_else(|| Error::Corrupt("revocation list number".into()))?;
        let list_bytes = list.sign(&home.root)?;
        // New keys below must not reuse a revoked kid.
        home.revocations = list.clone();

        let mut batch = WriteBatch::new();
        let clients_removed: Vec<DeviceId> = home
            .clients
            .iter()
            .filter(|(_, cert)| list.is_revoked(cert))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &clients_removed {
            batch.remove(CLIENTS, id.as_str().as_bytes());
        }
        let devices_rekeyed: Vec<DeviceId> = home
            .devices
            .iter()
            .filter(|(_, d)| list.is_revoked(&d.cert))
            .map(|(id, _)| id.clone())
            .collect();
        let mut rekeyed = Vec::with_capacity(devices_rekeyed.len());
        for id in &devices_rekeyed {
            let (signing, agreement) = home.fresh_device_keys()?;
            let cert = home.device_cert(id, &signing, &agreement)?;
            let entry = DeviceEntry {
                signing,
                agreement,
                cert,
            };
            batch.put(
                DEVICES,
                id.as_str().as_bytes(),
                &Self::device_record(&entry),
            );
            rekeyed.push((id.clone(), entry));
        }

        let mut highest = home.sequence_floor;
        for record in home.store.iter(SEQUENCE) {
            let (_, value) = record?;
            let ceiling: [u8; 8] = value
                .as_slice()
                .try_into()
                .map_err(|_| Error::Corrupt("sequence".into()))?;
            highest = highest.max(u64::from_be_bytes(ceiling));
        }
        let sequence_floor = highest
            .checked_add(RECOVERY_SEQUENCE_JUMP)
            .ok_or_else(|| Error::Corrupt("sequence ceiling".into()))?;
        let epoch = home
            .epoch
            .max(guard_record.map_or(0, |r| r.epoch))
            .checked_add(1)
            .ok_or_else(|| Error::Corrupt("epoch".into()))?;
        let epoch_key = new_epoch_key()?;
        batch
            .put(HUB, REVOCATIONS, &list_bytes)
            .put(HUB, EPOCH, &epoch_record(epoch, &epoch_key))
            .put(HUB, SEQUENCE_FLOOR, &sequence_floor.to_be_bytes())
            .put(HUB, COMMAND_EPOCH_FLOOR, &epoch.to_be_bytes());

        // The new generation goes above the guard's too, so the next guarded open passes.
        home.generation = home
            .generation
            .max(guard_record.map_or(0, |r| r.generation));
        let guard_generation = guard_record.map(|r| r.generation);
        home.guard = Some(guard);
        home.commit(batch, epoch, Some(&list_bytes))?;

        for id in &clients_removed {
            home.clients.remove(id);
        }
        for (id, entry) in rekeyed {
            home.devices.insert(id, entry);
        }
        home.revocation_bytes = list_bytes;
        home.epoch = epoch;
        home.epoch_key = epoch_key;
        home.sequence_floor = sequence_floor;
        home.command_epoch_floor = epoch;
        home.sequences.clear();
        home.replay.clear();
        let recovery = Recovery {
            store_generation,
            guard_generation,
            generation: home.generation,
            epoch,
            sequence_floor,
            revocation_number: list.number,
            clients_removed,
            devices_rekeyed,
        };
        tracing::warn!(?recovery, "recovered the home from a rollback of its store");
        Ok((home, recovery))
    }
}
