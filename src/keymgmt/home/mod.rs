//! The hub's side of key management: the root key, device keys and certificates, paired
//! clients, the epoch key, the revocation list, sender sequence numbers and replay windows,
//! all kept in the sealed store and updated atomically.
//!
//! This file holds the home's state and how it is created and loaded; `members.rs` issues,
//! rotates, pairs and removes; `seal.rs` seals what the hub sends; `commands.rs` opens what
//! clients send; `rollback.rs` keeps the store's generation against its rollback guard and
//! recovers from a restore.

mod commands;
mod members;
mod rollback;
mod seal;

pub use rollback::{RECOVERY_SEQUENCE_JUMP, Recovery};
pub use seal::PreparedResponse;

use super::sequence::SequenceCounter;
use super::{Error, Result};
use crate::crypto::{AeadKey, PrivateKey, PublicKey, random_array};
use crate::envelope::DeviceId;
use crate::envelope::freshness::{EchoChallenges, FreshnessPolicy};
use crate::envelope::replay::ReplayWindow;
use crate::identity::{Certificate, Kid, Permissions, RevocationList, Thumbprint};
use crate::store::{GuardRecord, GuardWriter, RollbackGuard, Store, WriteBatch};
use std::collections::{BTreeMap, HashMap};
use zeroize::Zeroizing;

/// Store trees this module owns.
const HUB: &str = "hub";
const DEVICES: &str = "devices";
const CLIENTS: &str = "clients";
const REPLAY: &str = "replay";
const SEQUENCE: &str = "sequence";
/// Keys in the `hub` tree.
const ROOT_KEY: &[u8] = b"root-key";
const EPOCH: &[u8] = b"epoch";
const REVOCATIONS: &[u8] = b"revocations";
/// The layout of the home's records, one byte: [`HOME_FORMAT`].
const FORMAT: &[u8] = b"format";
/// The store's generation, u64 big-endian: bumped by every flushed change that matters.
const GENERATION: &[u8] = b"generation";
/// Every sequence counter resumes at least here (u64 BE); raised by a recovery.
const SEQUENCE_FLOOR: &[u8] = b"sequence-floor";
/// Commands routed with an older epoch are refused (u32 BE); set by a recovery.
const COMMAND_EPOCH_FLOOR: &[u8] = b"command-epoch-floor";

/// The home record layout this code writes: two-key devices and clients, revocation lists in
/// their own signature domain, a generation. Homes without a format record are the earlier
/// layout, brought forward on open when they hold no device or client.
const HOME_FORMAT: u8 = 2;

/// How many fresh keys to draw before giving up on avoiding a kid collision (a collision of
/// 64-bit ids is already astronomically unlikely; this bounds the loop, nothing more).
const MAX_KEY_ATTEMPTS: usize = 16;

/// A device's two keys and the certificate that vouches for both: the signing key signs its
/// events and responses, the key agreement key receives the commands sent to it.
struct DeviceEntry {
    signing: PrivateKey,
    agreement: PrivateKey,
    cert: Certificate,
}

/// First byte of a `devices` record: signing scalar (32) ‖ agreement scalar (32) ‖ certificate.
const DEVICE_RECORD_VERSION: u8 = 2;
/// Length of a `devices` record before the certificate.
const DEVICE_RECORD_KEYS_LEN: usize = 1 + 32 + 32;

/// The home-wide keys and list, as created or loaded.
struct HomeKeys {
    root: PrivateKey,
    epoch: u32,
    epoch_key: AeadKey,
    revocations: RevocationList,
    revocation_bytes: Vec<u8>,
}

/// What a newly paired client receives.
#[derive(Debug, Clone)]
pub struct Pairing {
    /// The client's certificate, signed by the hub root key.
    pub certificate: Certificate,
    /// The key-distribution envelope with the current epoch key, encrypted to the client.
    pub key_distribution: Vec<u8>,
}

/// What a client may do, as its certificate will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGrant {
    /// Read events, send commands, administer.
    pub permissions: Permissions,
    /// The devices the client may command and read; `None` for all.
    pub devices: Option<Vec<String>>,
    /// Not valid before this Unix time, when set.
    pub not_before: Option<u64>,
    /// Not valid at or after this Unix time, when set.
    pub expires: Option<u64>,
}

/// The home as the hub holds it. Every mutation is written to the sealed store (and flushed)
/// before the method returns, and multi-record changes go in one atomic batch; the one
/// exception, [`Home::open_command_staged`], says so and leaves the flush to
/// [`Home::make_durable`].
pub struct Home {
    store: Store,
    root: PrivateKey,
    home: Kid,
    epoch: u32,
    epoch_key: AeadKey,
    devices: BTreeMap<DeviceId, DeviceEntry>,
    clients: BTreeMap<DeviceId, Certificate>,
    revocations: RevocationList,
    revocation_bytes: Vec<u8>,
    replay: HashMap<Kid, ReplayWindow>,
    sequences: HashMap<Kid, SequenceCounter>,
    /// The sequence number each signing key used last (since this home was opened).
    last_sequence: HashMap<Kid, u64>,
    challenges: EchoChallenges,
    freshness: FreshnessPolicy,
    clock_trusted: bool,
    /// The store's generation (see `rollback.rs`).
    generation: u64,
    /// Where the generation is also kept, outside the store; `None` for an unguarded home.
    guard: Option<RollbackGuard>,
    /// Writes the guard behind [`Home::make_durable`], started at its first use.
    guard_writer: Option<GuardWriter>,
    /// Sequence counters resume at least here.
    sequence_floor: u64,
    /// Commands routed with an older epoch are refused.
    command_epoch_floor: u32,
    /// A staged change ([`Home::open_command_staged`]) is not yet flushed, and the guard not
    /// yet written for it: the epoch to write it with, at [`Home::make_durable`].
    staged: Option<u32>,
    /// Sequence ceilings raised ahead of need and staged, made durable by the next flush.
    raised_ahead: Vec<(Kid, u64)>,
}

impl std::fmt::Debug for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Home")
            .field("home", &self.home)
            .field("epoch", &self.epoch)
            .field("generation", &self.generation)
            .field("devices", &self.devices.len())
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

fn epoch_record(epoch: u32, key: &AeadKey) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(epoch.to_be_bytes().to_vec());
    v.extend_from_slice(key.as_bytes());
    v
}

fn new_epoch_key() -> Result<AeadKey> {
    Ok(AeadKey::Aes128(random_array::<16>()?))
}

impl Home {
    /// Opens the home kept in `store`, or creates it (root key, epoch 1, an empty signed
    /// revocation list) in one atomic write when the store holds none. Returns whether it was
    /// created.
    ///
    /// This home keeps its generation in the store only; the binary opens homes through
    /// [`Home::open_guarded`] and [`Home::create_guarded`], which also keep it outside.
    pub fn open(store: Store, freshness: FreshnessPolicy) -> Result<(Home, bool)> {
        match store.get(HUB, ROOT_KEY)? {
            Some(root) => Ok((Self::load(store, &root, freshness)?, false)),
            None => Ok((Self::create_in_store(store, freshness)?, true)),
        }
    }

    /// Whether `store` holds a home.
    pub fn exists_in(store: &Store) -> Result<bool> {
        Ok(store.get(HUB, ROOT_KEY)?.is_some())
    }

    fn create_in_store(store: Store, freshness: FreshnessPolicy) -> Result<Home> {
        let root = PrivateKey::generate()?;
        let home = Thumbprint::of(&root.public_key()).kid();
        let epoch_key = new_epoch_key()?;
        let revocations = RevocationList::new(home);
        let revocation_bytes = revocations.sign(&root)?;
        let mut batch = WriteBatch::new();
        batch
            .put(HUB, ROOT_KEY, root.to_bytes().as_slice())
            .put(HUB, EPOCH, &epoch_record(1, &epoch_key))
            .put(HUB, REVOCATIONS, &revocation_bytes)
            .put(HUB, FORMAT, &[HOME_FORMAT])
            .put(HUB, GENERATION, &1u64.to_be_bytes());
        store.apply(batch)?;
        tracing::info!(home = %home, "created a new home with a fresh root key");
        let keys = HomeKeys {
            root,
            epoch: 1,
            epoch_key,
            revocations,
            revocation_bytes,
        };
        let mut home = Self::assemble(store, keys, BTreeMap::new(), BTreeMap::new(), freshness);
        home.generation = 1;
        Ok(home)
    }

    /// The in-memory home around keys and records just created or loaded; replay windows and
    /// sequence counters are read from the store on first use.
    fn assemble(
        store: Store,
        keys: HomeKeys,
        devices: BTreeMap<DeviceId, DeviceEntry>,
        clients: BTreeMap<DeviceId, Certificate>,
        freshness: FreshnessPolicy,
    ) -> Home {
        let HomeKeys {
            root,
            epoch,
            epoch_key,
            revocations,
            revocation_bytes,
        } = keys;
        Home {
            store,
            home: Thumbprint::of(&root.public_key()).kid(),
            root,
            epoch,
            epoch_key,
            devices,
            clients,
            revocations,
            revocation_bytes,
            replay: HashMap::new(),
            sequences: HashMap::new(),
            last_sequence: HashMap::new(),
            challenges: EchoChallenges::default(),
            freshness,
            clock_trusted: false,
            generation: 0,
            guard: None,
            guard_writer: None,
            sequence_floor: 0,
            command_epoch_floor: 0,
            staged: None,
            raised_ahead: Vec::new(),
        }
    }

    fn load(store: Store, root: &[u8], freshness: FreshnessPolicy) -> Result<Home> {
        let root =
            PrivateKey::from_bytes(root).map_err(|_| Error::Corrupt("hub/root-key".into()))?;
        let root_pub = root.public_key();
        let home = Thumbprint::of(&root_pub).kid();
        let epoch_rec = store
            .get(HUB, EPOCH)?
            .ok_or_else(|| Error::Corrupt("hub/epoch".into()))?;
        if epoch_rec.len() != 20 {
            return Err(Error::Corrupt("hub/epoch".into()));
        }
        let mut e = [0u8; 4];
        e.copy_from_slice(&epoch_rec[..4]);
        let epoch = u32::from_be_bytes(e);
        let epoch_key = AeadKey::from_slice(&epoch_rec[4..])?;
        let revocation_bytes = store
            .get(HUB, REVOCATIONS)?
            .ok_or_else(|| Error::Corrupt("hub/revocations".into()))?
            .to_vec();
        let format = store.get(HUB, FORMAT)?;
        let (revocations, revocation_bytes) = match format.as_deref().map(Vec::as_slice) {
            Some([HOME_FORMAT]) => (
                RevocationList::verify(&revocation_bytes, &root_pub, home, None)?,
                revocation_bytes,
            ),
            Some(_) => return Err(Error::Corrupt("hub/format".into())),
            None => Self::bring_forward(&store, &root, &revocation_bytes)?,
        };
        let mut devices = BTreeMap::new();
        for record in store.iter(DEVICES) {
            let (id, value) = record?;
            let id = device_id(&id)?;
            devices.insert(
                id.clone(),
                Self::read_device_record(&id, &value, &root_pub)?,
            );
        }
        let mut clients = BTreeMap::new();
        for record in store.iter(CLIENTS) {
            let (id, value) = record?;
            let id = device_id(&id)?;
            clients.insert(id, Certificate::verify(&value, &root_pub, None)?);
        }
        tracing::info!(
            home = %home,
            epoch,
            devices = devices.len(),
            clients = clients.len(),
            "opened the home"
        );
        let keys = HomeKeys {
            root,
            epoch,
            epoch_key,
            revocations,
            revocation_bytes,
        };
        let generation = read_u64(&store, GENERATION)?;
        let sequence_floor = read_u64(&store, SEQUENCE_FLOOR)?;
        let command_epoch_floor = match store.get(HUB, COMMAND_EPOCH_FLOOR)? {
            None => 0,
            Some(v) => u32::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| Error::Corrupt("hub/command-epoch-floor".into()))?,
            ),
        };
        let mut home = Self::assemble(store, keys, devices, clients, freshness);
        home.generation = generation;
        home.sequence_floor = sequence_floor;
        home.command_epoch_floor = command_epoch_floor;
        Ok(home)
    }

    /// Brings a home of the earlier layout (no format record) forward: its revocation list,
    /// signed before lists had a signature domain, is signed again in the list's domain, and
    /// the format and a generation are recorded. A home that already holds devices or
    /// clients would need them issued and paired again, so it is refused instead.
    fn bring_forward(
        store: &Store,
        root: &PrivateKey,
        old_list: &[u8],
    ) -> Result<(RevocationList, Vec<u8>)> {
        let root_pub = root.public_key();
        let home = Thumbprint::of(&root_pub).kid();
        let held = |tree| store.iter(tree).count();
        let (devices, clients) = (held(DEVICES), held(CLIENTS));
        if devices + clients > 0 {
            return Err(Error::LegacyHome(format!(
                "{devices} device(s) and {clients} client(s)"
            )));
        }
        let list = RevocationList::verify(old_list, &root_pub, home, None)
            .or_else(|_| RevocationList::verify_undomained(old_list, &root_pub, home))?;
        let bytes = list.sign(root)?;
        let mut batch = WriteBatch::new();
        batch
            .put(HUB, REVOCATIONS, &bytes)
            .put(HUB, FORMAT, &[HOME_FORMAT])
            .put(HUB, GENERATION, &1u64.to_be_bytes());
        store.apply(batch)?;
        tracing::info!(home = %home, "brought the home's records forward to format {HOME_FORMAT}");
        Ok((list, bytes))
    }

    /// Applies `batch` with the generation bumped in the same atomic write, then records the
    /// new generation with `epoch` (and `revocations`, the signed list, when it changed) in the
    /// rollback guard. The store is written first, so after a crash between the two the store
    /// is ahead of its guard, never behind. A guard that cannot be written is reported, not
    /// fatal: the change is already durable, and the next change writes the guard again.
    fn commit(
        &mut self,
        mut batch: WriteBatch,
        epoch: u32,
        revocations: Option<&[u8]>,
    ) -> Result<()> {
        let generation = self.next_generation(&mut batch)?;
        self.store.apply(batch)?;
        self.generation = generation;
        self.write_guard(epoch, revocations);
        // The flush took every staged change with it, and the guard now records them.
        self.staged = None;
        self.ceilings_flushed();
        Ok(())
    }

    /// The generation after this one, written into `batch` (which the caller then commits).
    fn next_generation(&self, batch: &mut WriteBatch) -> Result<u64> {
        let generation = self
            .generation
            .checked_add(1)
            .ok_or_else(|| Error::Corrupt("hub/generation".into()))?;
        batch.put(HUB, GENERATION, &generation.to_be_bytes());
        Ok(generation)
    }

    /// [`Home::commit`] without the flush: `batch` and the bumped generation are written in one
    /// atomic batch ([`Store::stage`]); the flush and then the guard follow at
    /// [`Home::make_durable`], so the guard is still never ahead of the store.
    fn commit_staged(&mut self, mut batch: WriteBatch, epoch: u32) -> Result<()> {
        let generation = self.next_generation(&mut batch)?;
        self.store.stage(batch)?;
        self.generation = generation;
        self.staged = Some(epoch);
        Ok(())
    }

    /// Makes every change staged so far durable: flushes the store (staged batches of any
    /// handle on it too, such as the gateway's journal entry written after
    /// [`Home::open_command_staged`]), then hands the new generation to the rollback guard's
    /// writer thread, so the caller does not wait for the guard's fsyncs (the guard is still
    /// never ahead of the store: `docs/STORE.md`, "Rollback"). Nothing when nothing is staged
    /// here (`Ok` without a flush).
    pub fn make_durable(&mut self) -> Result<()> {
        if self.staged.is_none() {
            return Ok(());
        }
        self.flush()
    }

    /// Whether something staged here waits for [`Home::flush`]: a replay window, a sequence
    /// ceiling raised ahead.
    pub fn has_staged(&self) -> bool {
        self.staged.is_some()
    }

    /// Flushes the store (everything staged on any handle of it: commands' answers, events'
    /// history), then lets sequence numbers use the ceilings raised ahead and hands the new
    /// generation to the rollback guard's writer. For after a message has left, so that
    /// what it staged becomes durable off its way.
    pub fn flush(&mut self) -> Result<()> {
        self.store.flush()?;
        self.ceilings_flushed();
        let Some(epoch) = self.staged.take() else {
            return Ok(());
        };
        let record = GuardRecord {
            generation: self.generation,
            epoch,
        };
        match self.guard_writer() {
            Some(writer) => writer.submit(record),
            None => self.write_guard(epoch, None),
        }
        Ok(())
    }

    /// After a flush: the ceilings staged ahead are durable.
    fn ceilings_flushed(&mut self) {
        for (kid, ceiling) in self.raised_ahead.drain(..) {
            if let Some(counter) = self.sequences.get_mut(&kid) {
                counter.made_durable(ceiling);
            }
        }
    }

    /// Waits until the rollback guard records every generation [`Home::flush`] handed to its
    /// writer thread: for whoever reads the guard while this home is open (dropping the home
    /// waits too).
    pub fn settle_guard(&self) {
        if let Some(writer) = &self.guard_writer {
            writer.settle();
        }
    }

    /// The guard's writer thread, started on first use; `None` for an unguarded home, or when
    /// no thread could be started (then the guard is written in line, as before).
    fn guard_writer(&mut self) -> Option<&GuardWriter> {
        if self.guard_writer.is_none() {
            let guard = self.guard.clone()?;
            match GuardWriter::spawn(guard) {
                Ok(writer) => self.guard_writer = Some(writer),
                Err(e) => {
                    tracing::warn!("cannot start the rollback guard's writer thread: {e}");
                    return None;
                }
            }
        }
        self.guard_writer.as_ref()
    }

    /// Records the current generation (and a revocation list) in the guard, if there is one,
    /// before returning: after the records the writer thread still holds, so an older record
    /// never lands after this one.
    fn write_guard(&self, epoch: u32, revocations: Option<&[u8]>) {
        let Some(guard) = &self.guard else {
            return;
        };
        if let Some(writer) = &self.guard_writer {
            writer.settle();
        }
        let record = GuardRecord {
            generation: self.generation,
            epoch,
        };
        let written = revocations
            .map_or(Ok(()), |list| guard.record_revocations(list))
            .and_then(|()| guard.record(record));
        if let Err(e) = written {
            tracing::error!(
                guard = %guard.dir().display(),
                generation = self.generation,
                "could not update the rollback guard: {e}"
            );
        }
    }

    /// The store's generation: bumped by every flushed change to sequence ceilings, replay
    /// windows, revocations, the epoch, devices and clients.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Tells the home whether the wall clock is synchronised; until then it stamps time 0 on
    /// what it sends and issues certificates without an issue time.
    pub fn set_clock_trusted(&mut self, trusted: bool) {
        self.clock_trusted = trusted;
    }

    /// The wall clock in Unix seconds when it is trusted.
    pub fn now_unix(&self) -> Option<u64> {
        if !self.clock_trusted {
            return None;
        }
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }

    /// The home id: the short kid of the root key, carried in every route.
    pub fn home_id(&self) -> Kid {
        self.home
    }

    /// The root public key: clients' trust anchor, shown to them at pairing.
    pub fn root_public(&self) -> PublicKey {
        self.root.public_key()
    }

    /// The root key's full thumbprint, for `sealhub keys` and out-of-band comparison.
    pub fn root_thumbprint(&self) -> Thumbprint {
        Thumbprint::of(&self.root.public_key())
    }

    /// The current epoch number.
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The certificate of a device, if known.
    pub fn device_certificate(&self, id: &DeviceId) -> Option<&Certificate> {
        self.devices.get(id).map(|d| &d.cert)
    }

    /// The latest signed revocation list.
    pub fn revocation_list(&self) -> &[u8] {
        &self.revocation_bytes
    }
}

fn epoch_key_bytes(key: &AeadKey) -> Result<[u8; 16]> {
    key.as_bytes()
        .try_into()
        .map_err(|_| Error::Corrupt("epoch key".into()))
}

/// The device id that stands for the hub itself in routes: revocation lists travel under its
/// read key.
fn hub_device() -> DeviceId {
    DeviceId::new(crate::model::HUB_DEVICE)
        .unwrap_or_else(|_| unreachable!("\"hub\" is a valid id"))
}

/// A u64 big-endian record of the `hub` tree; 0 when absent.
fn read_u64(store: &Store, key: &[u8]) -> Result<u64> {
    match store.get(HUB, key)? {
        None => Ok(0),
        Some(v) => Ok(u64::from_be_bytes(v.as_slice().try_into().map_err(
            |_| Error::Corrupt(format!("hub/{}", String::from_utf8_lossy(key))),
        )?)),
    }
}

fn device_id(raw: &[u8]) -> Result<DeviceId> {
    let s = std::str::from_utf8(raw).map_err(|_| Error::Corrupt("record name".into()))?;
    DeviceId::new(s).map_err(|_| Error::Corrupt(format!("record name {s:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coset::{HeaderBuilder, TaggedCborSerializable, iana};

    /// A home written by the earlier layout (no format record, its revocation list signed with
    /// an empty external AAD) opens, brought forward; one holding a device is refused.
    #[test]
    fn an_earlier_home_without_members_is_brought_forward() {
        let dir = crate::store::private_tempdir();
        let store = Store::open(
            dir.path(),
            &crate::store::KekSource::default_key_file(dir.path()),
        )
        .expect("store");
        let root = PrivateKey::generate().expect("rng");
        let home_kid = Thumbprint::of(&root.public_key()).kid();
        let list = RevocationList::new(home_kid);
        let payload = {
            // The list's own encoding, signed the earlier way.
            let signed = list.sign(&root).expect("sign");
            crate::cose::decode_sign1(&signed)
                .expect("sign1")
                .payload
                .expect("payload")
        };
        let old = crate::cose::sign1_create(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
            HeaderBuilder::new().key_id(home_kid.0.to_vec()).build(),
            payload,
            &[],
            &root,
        )
        .to_tagged_vec()
        .expect("encode");
        let mut batch = WriteBatch::new();
        batch
            .put(HUB, ROOT_KEY, root.to_bytes().as_slice())
            .put(HUB, EPOCH, &epoch_record(3, &AeadKey::Aes128([1; 16])))
            .put(HUB, REVOCATIONS, &old);
        store.apply(batch).expect("write");
        let handle = store.handle();
        let (home, created) = Home::open(store, FreshnessPolicy::default()).expect("opens");
        assert!(!created);
        assert_eq!((home.epoch(), home.generation()), (3, 1));
        assert_eq!(
            handle
                .get(HUB, FORMAT)
                .expect("get")
                .as_deref()
                .map(Vec::as_slice),
            Some(&[HOME_FORMAT][..])
        );
        drop(home);
        // The same earlier home with a device in it cannot be brought forward in place.
        handle.remove(HUB, FORMAT).expect("remove");
        handle
            .put(DEVICES, b"zb:lock", b"an earlier device record")
            .expect("put");
        assert!(matches!(
            Home::open(handle, FreshnessPolicy::default()),
            Err(Error::LegacyHome(_))
        ));
    }
}
