//! The Zigbee network as the hub keeps it: an open coordinator backup (the JSON of
//! `sealhub_radios::zigbee::backup`) sealed in the `zigbee` tree, and the start-up decision it
//! drives.
//!
//! The backup holds the network key, so it is a secret like any other: it is sealed, read into
//! zeroize-on-drop values, and never logged (only PAN IDs, channels and counts are).
//!
//! At start-up ([`ZigbeeNetwork::bring_up`]):
//!
//! - no stored backup: the stick is started as it is (a blank stick forms a new network), and
//!   its network becomes the hub's: a backup is sealed at once;
//! - the stick runs the stored network: it is resumed;
//! - the stick is blank (a new or replaced stick, or an emulated one): the stored network is
//!   restored onto it, so the devices stay paired;
//! - the stick runs another network: refused with [`Error::OtherNetwork`], unless `force`,
//!   which makes the stick leave that network and take the stored one.
//!
//! Later, [`ZigbeeNetwork::save_backup`] seals a fresh backup (after devices join, periodically
//! and at shutdown), but never one of another network than the stored one.
//!
//! Frame counters: a restore must start the stick's outgoing NWK and APS frame counters past
//! every counter the old stick used, or AES-CCM* nonces repeat under the same network key (and
//! trust centre link key). The backup's counters are a snapshot; between backups
//! [`ZigbeeNetwork::seal_frame_counters`] seals just the counters, far more often (the runtime
//! does it every [`FRAME_COUNTER_SEAL_INTERVAL`]). A restore starts from the higher of the
//! backup's and the sealed counters, plus the driver's margin for what the stick may have
//! sent since they were sealed: twice the sealing interval (one missed seal) at the stick's
//! highest frame rate, never less than 2^16 (`sealhub_radios::zigbee::driver::frame_counter_margin`).
//!
//! While the hub runs, [`ZigbeeNetwork::follow`] watches the driver's events. When the stick
//! comes back blank after an unplug or reset (its tokens lost, or swapped for a new stick), the
//! driver's own restart forms a new, empty network on it; that network is replaced with the
//! stored one at once. A stick that comes back running another network it did not just form is
//! left alone and reported.
//!
//! Records (tree `zigbee`): `network_backup` = the backup's JSON text; `frame_counters` = the
//! network's extended PAN ID (8 bytes, as in the backup) ‖ the NWK frame counter (u32
//! big-endian) ‖ the APS frame counter (u32 big-endian; absent when the stick does not say).

use std::collections::BTreeSet;
use std::time::Duration;

use sealhub_radios::zigbee::backup::NetworkBackup;
use sealhub_radios::zigbee::driver::{
    Eui64Restore, FrameCounters, NetworkInfo, RadioEvent, RestoreError, RestoreOptions,
    RestoreReport, ZigbeeStick,
};

use super::{Error, Result};
use crate::store::Store;

/// The store tree of the Zigbee records.
pub const TREE: &str = "zigbee";

/// The record key of the network backup.
pub const BACKUP_KEY: &[u8] = b"network_backup";

/// The record key of the frame counters sealed between backups.
pub const COUNTERS_KEY: &[u8] = b"frame_counters";

/// How often the runtime seals the frame counters: a restore then starts at most twice this
/// (at the stick's highest frame rate) past them, which the minimum margin of 2^16 covers.
pub const FRAME_COUNTER_SEAL_INTERVAL: Duration = Duration::from_secs(60);

/// How often a full backup is sealed unless told otherwise (`[zigbee] backup_interval_secs`).
const DEFAULT_BACKUP_INTERVAL: Duration = Duration::from_secs(900);

/// Frame counters sealed between backups, and the network they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SealedCounters {
    extended_pan_id: [u8; 8],
    counters: FrameCounters,
}

impl SealedCounters {
    fn encode(&self) -> Vec<u8> {
        let mut out = self.extended_pan_id.to_vec();
        out.extend_from_slice(&self.counters.nwk.to_be_bytes());
        if let Some(aps) = self.counters.aps {
            out.extend_from_slice(&aps.to_be_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (pan, rest) = bytes.split_first_chunk::<8>()?;
        let (nwk, rest) = rest.split_first_chunk::<4>()?;
        let aps = match rest {
            [] => None,
            [a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => return None,
        };
        Some(SealedCounters {
            extended_pan_id: *pan,
            counters: FrameCounters {
                nwk: u32::from_be_bytes(*nwk),
                aps,
            },
        })
    }
}

/// How [`ZigbeeNetwork::bring_up`] got the stick onto the hub's network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// The store held no network: the stick's own (newly formed on a blank stick) is the
    /// hub's from now on.
    Adopted(NetworkInfo),
    /// The stick already ran the stored network.
    Resumed(NetworkInfo),
    /// The stored network was restored onto the stick (blank, or replaced with `force`).
    Restored(RestoreReport),
}

impl StartOutcome {
    /// The network the stick runs now.
    pub fn network(&self) -> &NetworkInfo {
        match self {
            StartOutcome::Adopted(n) | StartOutcome::Resumed(n) => n,
            StartOutcome::Restored(r) => &r.network,
        }
    }
}

/// What [`ZigbeeNetwork::follow`] made of a driver event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// Nothing for the store.
    Nothing,
    /// A device joined, announced itself or left: a fresh backup is due.
    DevicesChanged,
    /// The stick came back blank, the driver formed a new network on it, and the stored
    /// network was restored over that one.
    Restored(RestoreReport),
}

/// The sealed Zigbee network backup and what the hub learnt since it was written.
pub struct ZigbeeNetwork {
    store: Store,
    stored: Option<NetworkBackup>,
    /// Devices that left since start-up: not carried over from the stored backup.
    left: BTreeSet<[u8; 8]>,
    /// The stick was lost or reset and has not come back yet.
    recovering: bool,
    /// The network the driver formed while recovering (the stick came back blank).
    formed_while_recovering: Option<NetworkInfo>,
    /// The frame counters sealed since the backup, if any.
    counters: Option<SealedCounters>,
    /// How often a full backup is sealed.
    backup_interval: Duration,
    /// How often the frame counters are sealed.
    counter_interval: Duration,
}

impl std::fmt::Debug for ZigbeeNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZigbeeNetwork")
            .field("pan_id", &self.stored.as_ref().map(|b| b.pan_id))
            .finish_non_exhaustive()
    }
}

impl ZigbeeNetwork {
    /// Reads the stored backup, if any. A record that does not authenticate or parse is an
    /// error: starting without it would form a new network and strand every device.
    pub fn load(store: Store) -> Result<Self> {
        let stored = match store.get(TREE, BACKUP_KEY)? {
            None => None,
            Some(bytes) => {
                let corrupt = |reason: String| Error::Corrupt {
                    what: "Zigbee network backup",
                    reason,
                };
                let text =
                    std::str::from_utf8(&bytes).map_err(|_| corrupt("not UTF-8".to_owned()))?;
                Some(NetworkBackup::from_json(text).map_err(|e| corrupt(e.to_string()))?)
            }
        };
        let counters = match store.get(TREE, COUNTERS_KEY)? {
            None => None,
            Some(bytes) => Some(
                SealedCounters::decode(&bytes).ok_or_else(|| Error::Corrupt {
                    what: "Zigbee frame counters",
                    reason: "not an extended PAN ID and one or two counters".to_owned(),
                })?,
            ),
        };
        Ok(ZigbeeNetwork {
            store,
            stored,
            left: BTreeSet::new(),
            recovering: false,
            formed_while_recovering: None,
            counters,
            backup_interval: DEFAULT_BACKUP_INTERVAL,
            counter_interval: FRAME_COUNTER_SEAL_INTERVAL,
        })
    }

    /// How often the caller seals a full backup and the frame counters: a restore starts the
    /// counters past what the stick may have sent since the newest of them was sealed.
    pub fn set_seal_intervals(&mut self, backup: Duration, counters: Duration) {
        self.backup_interval = backup;
        self.counter_interval = counters;
    }

    /// Reads the stick's frame counters and seals them (a record far smaller than a backup,
    /// so it can be written often); returns them. Only for the stored network: on a stick
    /// that runs another one nothing is sealed ([`Error::NetworkChanged`]).
    pub async fn seal_frame_counters(&mut self, stick: &ZigbeeStick) -> Result<FrameCounters> {
        let info = stick.network().await?;
        let extended_pan_id = info.extended_pan_id.to_le_bytes();
        if let Some(stored) = &self.stored
            && stored.extended_pan_id != extended_pan_id
        {
            return Err(Error::NetworkChanged {
                stick: info.extended_pan_id,
                stored: u64::from_le_bytes(stored.extended_pan_id),
            });
        }
        let counters = stick.frame_counters().await?;
        let sealed = SealedCounters {
            extended_pan_id,
            counters,
        };
        self.store.put(TREE, COUNTERS_KEY, &sealed.encode())?;
        self.counters = Some(sealed);
        Ok(counters)
    }

    /// The stored backup with its frame counters raised to the ones sealed since (if any, of
    /// the same network), and how old those counters may be.
    fn restorable(&self, backup: &NetworkBackup) -> Result<(NetworkBackup, Duration)> {
        let mut backup = backup.clone();
        let mut age = self.backup_interval.saturating_mul(2);
        if let Some(sealed) = self
            .counters
            .filter(|c| c.extended_pan_id == backup.extended_pan_id)
        {
            let c = sealed.counters;
            if c.nwk >= backup.network_key.frame_counter {
                age = self.counter_interval.saturating_mul(2);
            }
            backup.network_key.frame_counter = backup.network_key.frame_counter.max(c.nwk);
            let aps = backup
                .ezsp_aps_frame_counter()
                .map_err(|e| Error::Restore(e.to_string()))?;
            if let Some(high) = match (aps, c.aps) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            } {
                backup.set_ezsp_aps_frame_counter(high);
            }
        }
        Ok((backup, age))
    }

    /// The stored backup (key material inside; its `Debug` prints none).
    pub fn stored(&self) -> Option<&NetworkBackup> {
        self.stored.as_ref()
    }

    /// Brings the stick onto the hub's network (see the [module](self) documentation), then
    /// seals a fresh backup. `force` lets a stick running another network be overwritten with
    /// the stored one.
    pub async fn bring_up(&mut self, stick: &ZigbeeStick, force: bool) -> Result<StartOutcome> {
        let outcome = match self.stored.clone() {
            None => {
                let network = stick.start().await?;
                tracing::info!(
                    pan_id = format_args!("{:#06x}", network.pan_id),
                    channel = network.channel,
                    "no Zigbee network in the sealed store: the stick's network becomes the \
                     hub's; sealing a backup of it"
                );
                StartOutcome::Adopted(network)
            }
            Some(backup) => self.resume_or_restore(stick, &backup, force).await?,
        };
        self.save_backup(stick).await?;
        Ok(outcome)
    }

    async fn resume_or_restore(
        &self,
        stick: &ZigbeeStick,
        backup: &NetworkBackup,
        force: bool,
    ) -> Result<StartOutcome> {
        let stored_pan_id = backup.pan_id;
        let stored_extended_pan_id = u64::from_le_bytes(backup.extended_pan_id);
        let (backup, counters_age) = self.restorable(backup)?;
        let backup = &backup;
        let options = |force| RestoreOptions {
            force,
            counters_age,
        };
        let report = match stick.restore_with(backup, options(false)).await {
            Ok(report) => report,
            Err(RestoreError::OtherNetwork(info)) if force => {
                tracing::warn!(
                    stick_pan_id = format_args!("{:#06x}", info.pan_id),
                    stored_pan_id = format_args!("{stored_pan_id:#06x}"),
                    "the Zigbee stick runs another network; `force` is set, so it leaves that \
                     network and takes the stored one"
                );
                stick
                    .restore_with(backup, options(true))
                    .await
                    .map_err(restore_error)?
            }
            Err(RestoreError::OtherNetwork(stick)) => {
                return Err(Error::OtherNetwork {
                    stick,
                    stored_pan_id,
                    stored_extended_pan_id,
                });
            }
            Err(e) => return Err(restore_error(e)),
        };
        if report.already_on_network {
            tracing::info!(
                pan_id = format_args!("{:#06x}", report.network.pan_id),
                channel = report.network.channel,
                "the Zigbee stick runs the stored network: resumed"
            );
            return Ok(StartOutcome::Resumed(report.network));
        }
        tracing::info!(
            pan_id = format_args!("{:#06x}", report.network.pan_id),
            channel = report.network.channel,
            link_keys = report.link_keys,
            frame_counter = report.frame_counter,
            "the Zigbee stick had no network (a new or replaced stick): restored the stored \
             network onto it, so paired devices keep working"
        );
        if let Eui64Restore::Unchangeable { reason, .. } = &report.eui64 {
            tracing::warn!(
                "the Zigbee stick keeps its own IEEE address ({reason}); devices that check \
                 the coordinator's address may have to be paired again"
            );
        }
        Ok(StartOutcome::Restored(report))
    }

    /// A device left the network: later backups do not carry it over from the stored one.
    pub fn device_left(&mut self, eui64: u64) {
        self.left.insert(eui64.to_le_bytes());
    }

    /// Follows a driver event (see the [module](self) documentation): devices that join or
    /// leave make a backup due, and a stick that came back blank gets the stored network back.
    /// A stick that came back running another network is [`Error::OtherNetwork`], and is not
    /// touched.
    pub async fn follow(&mut self, event: &RadioEvent, stick: &ZigbeeStick) -> Result<Followed> {
        match event {
            RadioEvent::StickLost | RadioEvent::StickReset(_) | RadioEvent::LinkFailed(_) => {
                self.recovering = true;
                self.formed_while_recovering = None;
            }
            RadioEvent::NetworkFormed(info) if self.recovering => {
                self.formed_while_recovering = Some(*info);
            }
            RadioEvent::StickBack(info) => {
                self.recovering = false;
                let formed = self.formed_while_recovering.take();
                let Some(stored) = self.stored.clone() else {
                    return Ok(Followed::Nothing);
                };
                let stored_extended_pan_id = u64::from_le_bytes(stored.extended_pan_id);
                if info.pan_id == stored.pan_id && info.extended_pan_id == stored_extended_pan_id {
                    return Ok(Followed::Nothing);
                }
                if formed != Some(*info) {
                    return Err(Error::OtherNetwork {
                        stick: *info,
                        stored_pan_id: stored.pan_id,
                        stored_extended_pan_id,
                    });
                }
                tracing::warn!(
                    formed_pan_id = format_args!("{:#06x}", info.pan_id),
                    stored_pan_id = format_args!("{:#06x}", stored.pan_id),
                    "the Zigbee stick came back blank and the driver formed a new network on                      it; restoring the stored network over that one"
                );
                let (restorable, counters_age) = self.restorable(&stored)?;
                let options = RestoreOptions {
                    force: true,
                    counters_age,
                };
                let report = stick
                    .restore_with(&restorable, options)
                    .await
                    .map_err(restore_error)?;
                self.save_backup(stick).await?;
                return Ok(Followed::Restored(report));
            }
            RadioEvent::DeviceJoined { .. } | RadioEvent::DeviceAnnounced { .. } => {
                return Ok(Followed::DevicesChanged);
            }
            RadioEvent::DeviceLeft { eui64, .. } => {
                self.device_left(*eui64);
                return Ok(Followed::DevicesChanged);
            }
            _ => {}
        }
        Ok(Followed::Nothing)
    }

    /// Reads a backup from the stick and seals it over the stored one; returns how many
    /// devices it lists. Devices of the stored backup the driver has not seen since it started
    /// are kept (unless they left). A backup of another network than the stored one is refused
    /// with [`Error::NetworkChanged`].
    pub async fn save_backup(&mut self, stick: &ZigbeeStick) -> Result<usize> {
        let mut backup = stick.backup().await?;
        if let Some(stored) = &self.stored {
            if stored.extended_pan_id != backup.extended_pan_id || stored.pan_id != backup.pan_id {
                return Err(Error::NetworkChanged {
                    stick: u64::from_le_bytes(backup.extended_pan_id),
                    stored: u64::from_le_bytes(stored.extended_pan_id),
                });
            }
            for device in &stored.devices {
                match backup
                    .devices
                    .iter_mut()
                    .find(|d| d.ieee_address == device.ieee_address)
                {
                    // Seen again since start-up: keep what only the stored entry knows (a
                    // resumed driver has not been given the stored link keys).
                    Some(seen) => {
                        if seen.link_key.is_none() {
                            seen.link_key = device.link_key.clone();
                        }
                        if seen.nwk_address.is_none() {
                            seen.nwk_address = device.nwk_address;
                        }
                    }
                    None if self.left.contains(&device.ieee_address) => {}
                    None => backup.devices.push(device.clone()),
                }
            }
        }
        let json = backup.to_json();
        self.store.put(TREE, BACKUP_KEY, json.as_bytes())?;
        let devices = backup.devices.len();
        tracing::debug!(devices, "Zigbee network backup sealed");
        self.stored = Some(backup);
        Ok(devices)
    }
}

fn restore_error(e: RestoreError) -> Error {
    match e {
        RestoreError::Driver(e) => Error::Zigbee(e),
        other => Error::Restore(other.to_string()),
    }
}
