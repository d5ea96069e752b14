//! Network backup and restore: [`ZigbeeStick::backup`] reads the stick's network into an open
//! coordinator backup ([`NetworkBackup`]); [`ZigbeeStick::restore`] forms the same network on a
//! blank stick, so the devices stay paired when the stick is replaced or moved to another hub.
//!
//! # Backup
//!
//! `getNetworkParameters` (PAN ID, extended PAN ID, channel, channel mask, nwk update ID),
//! `getEui64`, `exportKey` (the current network key), `getNetworkKeyInfo` (its sequence
//! number and outgoing NWK frame counter) and `getApsKeyInfo` of the trust centre link key (the
//! outgoing APS frame counter, written as `stack_specific.ezsp.aps_frame_counter`; left out when
//! the stick does not answer it). When `getCurrentSecurityState` says the trust centre
//! uses hashed link keys (a network formed by zigbee-herdsman, or restored from its backup), the
//! TC link key root (`exportKey(TC_LINK)`) goes into `stack_specific.ezsp.hashed_tclk`, as
//! herdsman writes it, and `metadata.internal.ezspVersion` is the negotiated protocol (herdsman
//! refuses an EmberZNet backup without it). A network sealhub formed uses the global
//! well-known TC link key instead; writing that as a "hashed" root would make a restore derive
//! other keys than the devices hold, so it is left out. Devices are those the driver saw join or announce
//! since it was opened (EUI-64 and node ID) and those whose install code was added (with the
//! link key derived from it, counters 0). Written with `is_child: false`: the driver does not
//! track which devices are the coordinator's own children.
//!
//! # Restore
//!
//! Only onto a stick without a network: a stick that already runs the backup's network is left
//! as it is ([`RestoreReport::already_on_network`]); one that runs another network is refused
//! with [`RestoreError::OtherNetwork`] unless `force`, which makes it leave that network first.
//! Then, as zigbee-herdsman 10.9.5 does:
//!
//! 1. The EUI-64. If the stick's differs from the backup's `coordinator_ieee`, the backup's is
//!    written into the NVM3 token `STACK_RESTORED_EUI64` (`setTokenData`) and the stick is
//!    rebooted (`resetNode`); from then on it uses that EUI-64. The chip's own EUI-64 is a
//!    write-once manufacturing token and is not touched. A stick without NVM3 tokens refuses
//!    the write; the restore goes on with the stick's EUI-64 and says so in
//!    [`RestoreReport::eui64`] ([`Eui64Restore::Unchangeable`]): devices that remember the trust
//!    centre's address may then have to be re-paired.
//! 2. Device link keys are written into the stick's key table (`importLinkKey`, index 0xFF: the
//!    device's entry or the first free one; the stick keeps the table in its tokens), before
//!    the network is formed, as herdsman does. They are also kept by the driver like added
//!    install codes (imported as transient keys after every restart, and written into later
//!    backups). The backup's APS frame counters are not restored: EZSP has no frame to set
//!    them per key.
//! 3. The frame counters: `setValue(NWK_FRAME_COUNTER)` and `setValue(APS_FRAME_COUNTER)` with
//!    the backup's counters plus a margin ([`frame_counter_margin`]), and
//!    `setInitialSecurityState` with `NO_FRAME_COUNTER_RESET`, so the stack keeps them instead
//!    of starting at 0. The backup is a snapshot: the old stick kept sending after it was taken,
//!    and a counter the new stick used again would repeat an AES-CCM* nonce under the same key
//!    (the network key for NWK frames, the trust centre link key for APS-secured ones) — and
//!    devices drop frames whose counter is not above the last one they saw. The margin must
//!    therefore cover every frame the old stick may have sent since the backup: the backup's
//!    age at the stick's highest frame rate ([`MAX_FRAMES_PER_SECOND`]), and never less than
//!    [`MIN_FRAME_COUNTER_MARGIN`] (2^16); the caller says how old the counters may be
//!    ([`RestoreOptions::counters_age`]). (EmberZNet itself jumps its NWK counter ahead by 4096
//!    on every boot, as it saves the counter only every 4096 frames.) A backup without an APS
//!    counter (from another hub) starts the APS counter from its NWK counter: every
//!    APS-secured frame is NWK-secured too, so under an unchanged network key the NWK counter
//!    is the larger. Counters saturate at `u32::MAX`; a network that close to the end needs a
//!    new network key anyway.
//! 4. `setInitialSecurityState` with the backup's network key and sequence number, and the TC
//!    link key: when the backup has `stack_specific.ezsp.hashed_tclk` (zigbee-herdsman's and
//!    bellows' EmberZNet backups), that root with `TRUST_CENTER_USES_HASHED_LINK_KEY`, exactly
//!    as herdsman's `formNetwork` from a backup does, so the trust centre derives for each device
//!    that joined before the same TC link key as the old stick ([`RestoreReport::hashed_tclk`]);
//!    otherwise the well-known key as on a network sealhub forms. Then
//!    `formNetwork` with its PAN ID, extended PAN ID, channel, nwk update ID and channel mask,
//!    and the wait for `NETWORK_UP`.
//!
//! While a restore runs the driver does not repeat start-up after the reboot it causes (that
//! would form a random network on the blank stick); afterwards it does again, as after
//! [`ZigbeeStick::start`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

use super::startup::{
    NETWORK_UP, NOT_JOINED, SECURITY_BITMASK, TX_POWER, ZIGBEE_ALLIANCE_09, configure,
    network_info, wait_for,
};
use super::{Client, Error, LinkState, NetworkInfo, RadioEvent, Result, ZigbeeStick, check};
use crate::zigbee::backup::{
    BackupDevice, DeviceLinkKey, Key16, Metadata, NetworkBackup, NetworkKey, OpaqueJson,
};
use crate::zigbee::ezsp::commands::configuration::SetValue;
use crate::zigbee::ezsp::commands::networking::{FormNetwork, LeaveNetwork, NetworkInit};
use crate::zigbee::ezsp::commands::security::{
    ExportKey, ImportLinkKey, InitialSecurityState, KEY_TABLE_ANY_INDEX, SetInitialSecurityState,
};
use crate::zigbee::ezsp::commands::tokens::{
    NVM3KEY_STACK_RESTORED_EUI64, SetTokenData, TokenData,
};
use crate::zigbee::ezsp::types::{Bytes8, Key, NetworkParameters, SecManContext};
use crate::zigbee::ezsp::{Callback, Command, Response};
use crate::zigbee::security::LinkKey;

/// The most frames a stick can send per second, for the margin over a backup's counters: a
/// 2.4 GHz 802.15.4 radio at 250 kbit/s fits about 440 of the shortest NWK-secured frames (51
/// bytes on air, with the interframe space after each) into a second; this rounds that up.
pub const MAX_FRAMES_PER_SECOND: u32 = 500;

/// The least a restore adds to a backup's frame counters: 2^16, what a stick sends in over two
/// minutes at [`MAX_FRAMES_PER_SECOND`].
pub const MIN_FRAME_COUNTER_MARGIN: u32 = 1 << 16;

/// How far past a backup's frame counters a restore starts when the counters may be `age`
/// old: what the old stick could have sent since, at [`MAX_FRAMES_PER_SECOND`] (whole seconds,
/// rounded up), and at least [`MIN_FRAME_COUNTER_MARGIN`]; saturating.
pub fn frame_counter_margin(age: Duration) -> u32 {
    let seconds = age
        .as_secs()
        .saturating_add(u64::from(age.subsec_nanos() > 0));
    let frames = seconds.saturating_mul(u64::from(MAX_FRAMES_PER_SECOND));
    u32::try_from(frames)
        .unwrap_or(u32::MAX)
        .max(MIN_FRAME_COUNTER_MARGIN)
}

/// How a restore goes about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestoreOptions {
    /// Replace another network the stick runs (it leaves it first).
    pub force: bool,
    /// How old the backup's frame counters may be: how long the old stick may have gone on
    /// sending after they were read (for sealhub, up to the interval at which it seals them).
    /// The margin added is [`frame_counter_margin`] of it.
    pub counters_age: Duration,
}
/// `EmberInitialSecurityBitmask` `TRUST_CENTER_USES_HASHED_LINK_KEY`: the preconfigured key is
/// a root from which the trust centre derives each device's TC link key.
const TRUST_CENTER_USES_HASHED_LINK_KEY: u16 = 0x0084;
/// `EmberCurrentSecurityBitmask` bit that says the trust centre uses hashed link keys (with the
/// global-key bit it makes 0x0084).
const CURRENT_HASHED_LINK_KEY_BIT: u16 = 0x0080;
/// `sl_zb_sec_man_key_type_t` trust centre link key.
const KEY_TYPE_TC_LINK: u8 = 2;
/// `EmberInitialSecurityBitmask` `NO_FRAME_COUNTER_RESET`.
const NO_FRAME_COUNTER_RESET: u16 = 0x1000;
/// `EzspValueId` `NWK_FRAME_COUNTER`.
const VALUE_NWK_FRAME_COUNTER: u8 = 0x23;
/// `EzspValueId` `APS_FRAME_COUNTER`.
const VALUE_APS_FRAME_COUNTER: u8 = 0x24;
/// `sl_zb_sec_man_key_type_t` network key.
const KEY_TYPE_NETWORK: u8 = 1;
/// `stackStatusHandler` status when the network is down (`SL_STATUS_NETWORK_DOWN`).
const NETWORK_DOWN: u32 = 0x0016;
/// `networkInit` answer when the stack is already up (`SL_STATUS_INVALID_STATE`).
const INVALID_STATE: u32 = 0x0002;
/// `networkState` answer `EMBER_NO_NETWORK`.
const NETWORK_STATUS_NO_NETWORK: u8 = 0;
/// The security level of every Zigbee 3.0 network (ENC-MIC-32).
const SECURITY_LEVEL: u8 = 5;

/// Devices the driver saw on the network: node ID by EUI-64 (as a number).
pub(crate) type KnownDevices = Arc<Mutex<BTreeMap<u64, u16>>>;

/// Why a restore did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The stick runs another network; restore with `force` to make it leave that network.
    #[error(
        "the Zigbee stick already runs another network (PAN ID {:#06x}, extended PAN ID \
         {:016x}, channel {}); refusing to replace it without force",
        .0.pan_id, .0.extended_pan_id, .0.channel
    )]
    OtherNetwork(NetworkInfo),
    /// The backup describes a network this driver cannot form.
    #[error("the backup cannot be restored: {0}")]
    Unsupported(String),
    /// The stick failed a step.
    #[error(transparent)]
    Driver(#[from] Error),
}

/// What happened to the coordinator's EUI-64 in a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eui64Restore {
    /// The stick already had the backup's EUI-64.
    AlreadyEqual,
    /// The backup's EUI-64 was written to `STACK_RESTORED_EUI64` and the stick uses it.
    Written,
    /// The stick keeps its own EUI-64: devices that check the trust centre's address may need
    /// re-pairing.
    Unchangeable {
        /// The stick's EUI-64, as a number.
        stick: u64,
        /// The backup's, as a number.
        backup: u64,
        /// Why it could not be changed.
        reason: String,
    },
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The network the stick runs now.
    pub network: NetworkInfo,
    /// The stick already ran the backup's network; nothing was changed.
    pub already_on_network: bool,
    /// The outgoing NWK frame counter the network was formed with.
    pub frame_counter: u32,
    /// The outgoing APS frame counter the network was formed with.
    pub aps_frame_counter: u32,
    /// The EUI-64 outcome.
    pub eui64: Eui64Restore,
    /// Device link keys imported.
    pub link_keys: usize,
    /// The backup's TC link key root (`stack_specific.ezsp.hashed_tclk`) was given to the stick,
    /// so devices keep their TC link keys; `false` when the backup has none.
    pub hashed_tclk: bool,
}

/// Keeps `known` up to date from the callbacks: joins and announcements add, leaves remove.
pub(crate) async fn track_devices(
    mut callbacks: broadcast::Receiver<Callback>,
    known: KnownDevices,
) {
    loop {
        let cb = match callbacks.recv().await {
            Ok(cb) => cb,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("device table missed {n} callbacks");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
        match super::devices::event_of(&cb) {
            Some(
                RadioEvent::DeviceJoined { eui64, node_id, .. }
                | RadioEvent::DeviceAnnounced { eui64, node_id, .. },
            ) => {
                known.insert(eui64, node_id);
            }
            Some(RadioEvent::DeviceLeft { eui64, .. }) => {
                known.remove(&eui64);
            }
            _ => {}
        }
    }
}

impl ZigbeeStick {
    /// Reads the stick's network into an open coordinator backup (see the [module](self)
    /// documentation for what goes in). The stick must be on its network.
    pub async fn backup(&self) -> Result<NetworkBackup> {
        let client = &self.client;
        let (node_type, parameters) = match client
            .command(Command::GetNetworkParameters(Default::default()))
            .await?
        {
            Response::GetNetworkParameters(r) => {
                check("getNetworkParameters", r.status)?;
                (r.node_type, r.parameters)
            }
            _ => return Err(Error::UnexpectedResponse("getNetworkParameters")),
        };
        tracing::debug!(node_type, "backing up the Zigbee network");
        let eui64 = match client
            .command(Command::GetEui64(Default::default()))
            .await?
        {
            Response::GetEui64(r) => r.eui64,
            _ => return Err(Error::UnexpectedResponse("getEui64")),
        };
        let key = export_key(client, KEY_TYPE_NETWORK).await?;
        let hashed_tclk = match client
            .command(Command::GetCurrentSecurityState(Default::default()))
            .await?
        {
            Response::GetCurrentSecurityState(r) => {
                check("getCurrentSecurityState", r.status)?;
                if r.state.bitmask & CURRENT_HASHED_LINK_KEY_BIT != 0 {
                    Some(export_key(client, KEY_TYPE_TC_LINK).await?)
                } else {
                    None
                }
            }
            _ => return Err(Error::UnexpectedResponse("getCurrentSecurityState")),
        };
        let info = match client
            .command(Command::GetNetworkKeyInfo(Default::default()))
            .await?
        {
            Response::GetNetworkKeyInfo(r) => {
                check("getNetworkKeyInfo", r.status)?;
                r.info
            }
            _ => return Err(Error::UnexpectedResponse("getNetworkKeyInfo")),
        };
        let mut channel_mask: Vec<u8> = (11..=26u8)
            .filter(|ch| parameters.channels & (1 << ch) != 0)
            .collect();
        if channel_mask.is_empty() {
            channel_mask.push(parameters.radio_channel);
        }
        let known = self
            .client
            .known_devices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let keys: BTreeMap<u64, [u8; 16]> = self
            .client
            .join
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .install_keys
            .iter()
            .map(|(eui64, key)| (*eui64, key.0))
            .collect();
        let mut euis: Vec<u64> = known.keys().chain(keys.keys()).copied().collect();
        euis.sort_unstable();
        euis.dedup();
        let devices = euis
            .into_iter()
            .map(|eui| BackupDevice {
                nwk_address: known.get(&eui).copied(),
                ieee_address: eui.to_le_bytes(),
                is_child: Some(false),
                link_key: keys.get(&eui).map(|k| DeviceLinkKey {
                    key: Key16::new(*k),
                    rx_counter: 0,
                    tx_counter: 0,
                }),
            })
            .collect();
        let mut internal = serde_json::Map::new();
        if let Ok(version) = self.version() {
            internal.insert("ezspVersion".into(), version.protocol.into());
        }
        let mut backup = NetworkBackup {
            metadata: Metadata {
                source: format!("sealhub@{}", env!("CARGO_PKG_VERSION")),
                internal: (!internal.is_empty()).then(|| OpaqueJson::new(internal)),
            },
            stack_specific: None,
            coordinator_ieee: eui64,
            pan_id: parameters.pan_id,
            extended_pan_id: parameters.extended_pan_id,
            nwk_update_id: parameters.nwk_update_id,
            security_level: SECURITY_LEVEL,
            channel: parameters.radio_channel,
            channel_mask,
            network_key: NetworkKey {
                key,
                sequence_number: info.network_key_sequence_number,
                frame_counter: info.network_key_frame_counter,
            },
            devices,
        };
        if let Some(root) = &hashed_tclk {
            backup.set_ezsp_hashed_tclk(root);
        }
        if let Some(counter) = aps_frame_counter(client).await? {
            backup.set_ezsp_aps_frame_counter(counter);
        }
        Ok(backup)
    }

    /// The stick's outgoing frame counters now: NWK (under the network key) and, where the
    /// stick answers `getApsKeyInfo`, APS (under the trust centre link key). Cheaper than a
    /// whole [`ZigbeeStick::backup`], so a caller can keep them more often than the backup
    /// and restore past them ([`ZigbeeStick::restore_with`]).
    pub async fn frame_counters(&self) -> Result<FrameCounters> {
        let nwk = match self
            .client
            .command(Command::GetNetworkKeyInfo(Default::default()))
            .await?
        {
            Response::GetNetworkKeyInfo(r) => {
                check("getNetworkKeyInfo", r.status)?;
                r.info.network_key_frame_counter
            }
            _ => return Err(Error::UnexpectedResponse("getNetworkKeyInfo")),
        };
        let aps = aps_frame_counter(&self.client).await?;
        Ok(FrameCounters { nwk, aps })
    }

    /// Forms the backup's network on this stick (see the [module](self) documentation). Call
    /// it instead of [`ZigbeeStick::start`] on a new stick: a blank stick is started with the
    /// backup's network, not a random one. `force` lets it replace another network the stick
    /// runs. The frame counters start [`MIN_FRAME_COUNTER_MARGIN`] past the backup's, which
    /// covers a backup taken right before the old stick stopped; for older counters use
    /// [`ZigbeeStick::restore_with`].
    pub async fn restore(
        &self,
        backup: &NetworkBackup,
        force: bool,
    ) -> core::result::Result<RestoreReport, RestoreError> {
        self.restore_with(
            backup,
            RestoreOptions {
                force,
                counters_age: Duration::ZERO,
            },
        )
        .await
    }

    /// [`ZigbeeStick::restore`], saying how old the backup's frame counters may be, so the
    /// counters start past every frame the old stick may have sent since.
    pub async fn restore_with(
        &self,
        backup: &NetworkBackup,
        options: RestoreOptions,
    ) -> core::result::Result<RestoreReport, RestoreError> {
        if backup.security_level != SECURITY_LEVEL {
            return Err(RestoreError::Unsupported(format!(
                "security level {} (only {SECURITY_LEVEL} is used by Zigbee 3.0)",
                backup.security_level
            )));
        }
        // No automatic start-up while the restore reboots the stick; put back on failure.
        let previous = self
            .started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let result = restore(&self.client, backup, options).await;
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        match &result {
            Ok((_, generation)) => *started = Some(*generation),
            Err(_) => *started = previous,
        }
        result.map(|(report, _)| report)
    }
}

/// The restore; returns the report and the connection generation it ended on.
async fn restore(
    client: &Client,
    backup: &NetworkBackup,
    options: RestoreOptions,
) -> core::result::Result<(RestoreReport, u64), RestoreError> {
    let force = options.force;
    let (_, mut generation) = client.ready().await?;
    // A stick started before runs its stack already and refuses configuration.
    let running = match client
        .command(Command::NetworkState(Default::default()))
        .await?
    {
        Response::NetworkState(r) => r.status != NETWORK_STATUS_NO_NETWORK,
        _ => return Err(Error::UnexpectedResponse("networkState").into()),
    };
    let current = if running {
        Some(network_info(client).await?)
    } else {
        configure(client).await?;
        network_up(client).await?
    };
    if let Some(current) = current {
        let same = current.pan_id == backup.pan_id
            && current.extended_pan_id == u64::from_le_bytes(backup.extended_pan_id)
            && current.channel == backup.channel;
        if same && !force {
            tracing::info!("the Zigbee stick already runs the backup's network");
            let report = RestoreReport {
                network: current,
                already_on_network: true,
                frame_counter: 0,
                aps_frame_counter: 0,
                eui64: if current.eui64 == u64::from_le_bytes(backup.coordinator_ieee) {
                    Eui64Restore::AlreadyEqual
                } else {
                    Eui64Restore::Unchangeable {
                        stick: current.eui64,
                        backup: u64::from_le_bytes(backup.coordinator_ieee),
                        reason: "the stick already runs the network; not touched".into(),
                    }
                },
                link_keys: 0,
                hashed_tclk: false,
            };
            return Ok((report, generation));
        }
        if !force {
            return Err(RestoreError::OtherNetwork(current));
        }
        tracing::warn!(
            pan_id = current.pan_id,
            "restore with force: the Zigbee stick leaves its network"
        );
        leave(client).await?;
    }

    let hashed_tclk = backup
        .ezsp_hashed_tclk()
        .map_err(|e| RestoreError::Unsupported(e.to_string()))?;
    let eui64 = restore_eui64(client, backup, &mut generation).await?;
    if let Eui64Restore::Unchangeable { reason, .. } = &eui64 {
        tracing::warn!("the Zigbee stick keeps its own EUI-64: {reason}");
    }

    let mut link_keys = 0;
    for device in &backup.devices {
        if let Some(k) = &device.link_key {
            let eui = u64::from_le_bytes(device.ieee_address);
            let key = LinkKey(*k.key.as_bytes());
            let command = Command::ImportLinkKey(ImportLinkKey {
                index: KEY_TABLE_ANY_INDEX,
                eui64: device.ieee_address,
                key: Key(key.0),
            });
            match client.command(command).await? {
                Response::ImportLinkKey(r) => check("importLinkKey", r.status)?,
                _ => return Err(Error::UnexpectedResponse("importLinkKey").into()),
            }
            super::import_key(client, eui, &key).await?;
            client
                .join
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .install_keys
                .insert(eui, key);
            link_keys += 1;
        }
    }

    let margin = frame_counter_margin(options.counters_age);
    let frame_counter = backup.network_key.frame_counter.saturating_add(margin);
    let aps_base = backup
        .ezsp_aps_frame_counter()
        .map_err(|e| RestoreError::Unsupported(e.to_string()))?
        .unwrap_or(backup.network_key.frame_counter);
    let aps_frame_counter = aps_base.saturating_add(margin);
    for (value_id, counter, name) in [
        (
            VALUE_NWK_FRAME_COUNTER,
            frame_counter,
            "setValue(NWK_FRAME_COUNTER)",
        ),
        (
            VALUE_APS_FRAME_COUNTER,
            aps_frame_counter,
            "setValue(APS_FRAME_COUNTER)",
        ),
    ] {
        match client
            .command(Command::SetValue(SetValue {
                value_id,
                value: Bytes8(counter.to_le_bytes().to_vec()),
            }))
            .await?
        {
            Response::SetValue(r) => check(name, r.status)?,
            _ => return Err(Error::UnexpectedResponse("setValue").into()),
        }
    }
    let (bitmask, tc_link_key) = match &hashed_tclk {
        Some(root) => (
            SECURITY_BITMASK | TRUST_CENTER_USES_HASHED_LINK_KEY | NO_FRAME_COUNTER_RESET,
            Key(*root.as_bytes()),
        ),
        None => (
            SECURITY_BITMASK | NO_FRAME_COUNTER_RESET,
            Key(ZIGBEE_ALLIANCE_09),
        ),
    };
    let state = InitialSecurityState {
        bitmask,
        preconfigured_key: tc_link_key,
        network_key: Key(*backup.network_key.key.as_bytes()),
        network_key_sequence_number: backup.network_key.sequence_number,
        preconfigured_trust_center_eui64: [0; 8],
    };
    match client
        .command(Command::SetInitialSecurityState(SetInitialSecurityState {
            state,
        }))
        .await?
    {
        Response::SetInitialSecurityState(r) => check("setInitialSecurityState", r.status)?,
        _ => return Err(Error::UnexpectedResponse("setInitialSecurityState").into()),
    }
    let mut channels: u32 = backup
        .channel_mask
        .iter()
        .filter(|ch| (11..=26).contains(*ch))
        .fold(0, |mask, ch| mask | (1 << ch));
    if channels == 0 {
        channels = 1 << backup.channel;
    }
    let parameters = NetworkParameters {
        extended_pan_id: backup.extended_pan_id,
        pan_id: backup.pan_id,
        radio_tx_power: TX_POWER,
        radio_channel: backup.channel,
        join_method: 0,
        nwk_manager_id: 0x0000,
        nwk_update_id: backup.nwk_update_id,
        channels,
    };
    let mut callbacks = client.callbacks.subscribe();
    match client
        .command(Command::FormNetwork(FormNetwork { parameters }))
        .await?
    {
        Response::FormNetwork(r) => check("formNetwork", r.status)?,
        _ => return Err(Error::UnexpectedResponse("formNetwork").into()),
    }
    wait_for(
        client,
        &mut callbacks,
        "network up",
        |cb| matches!(cb, Callback::StackStatusHandler(s) if s.status.0 == NETWORK_UP),
    )
    .await?;
    let network = network_info(client).await?;
    {
        let mut known = client
            .known_devices
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for device in &backup.devices {
            if let Some(nwk) = device.nwk_address {
                known.insert(u64::from_le_bytes(device.ieee_address), nwk);
            }
        }
    }
    tracing::info!(
        pan_id = network.pan_id,
        channel = network.channel,
        frame_counter,
        aps_frame_counter,
        link_keys,
        "restored the Zigbee network from a backup"
    );
    let report = RestoreReport {
        network,
        already_on_network: false,
        frame_counter,
        aps_frame_counter,
        eui64,
        link_keys,
        hashed_tclk: hashed_tclk.is_some(),
    };
    Ok((report, generation))
}

/// The stick's outgoing frame counters (see [`ZigbeeStick::frame_counters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameCounters {
    /// The next outgoing NWK frame counter (network key).
    pub nwk: u32,
    /// The next outgoing APS frame counter (trust centre link key), where the stick says.
    pub aps: Option<u32>,
}

/// `getApsKeyInfo` of the trust centre link key: its outgoing frame counter, or `None` when the
/// stick does not answer the frame (an older firmware) or has no such key.
async fn aps_frame_counter(client: &Client) -> Result<Option<u32>> {
    let context = SecManContext {
        core_key_type: KEY_TYPE_TC_LINK,
        key_index: 0,
        derived_type: 0,
        eui64: [0; 8],
        multi_network_index: 0,
        flags: 0,
        psa_key_alg_permission: 0,
    };
    match client
        .command(Command::GetApsKeyInfo(ExportKey { context }))
        .await?
    {
        Response::GetApsKeyInfo(r) if r.status.is_ok() => {
            Ok(Some(r.key_data.outgoing_frame_counter))
        }
        Response::GetApsKeyInfo(r) => {
            tracing::debug!(status = r.status.0, "the stick has no APS key info");
            Ok(None)
        }
        Response::InvalidCommand(_) => {
            tracing::debug!("the stick does not know getApsKeyInfo");
            Ok(None)
        }
        _ => Err(Error::UnexpectedResponse("getApsKeyInfo")),
    }
}

/// `exportKey` of the network key (index 0) or the TC link key.
async fn export_key(client: &Client, core_key_type: u8) -> Result<Key16> {
    let context = SecManContext {
        core_key_type,
        key_index: 0,
        derived_type: 0,
        eui64: [0; 8],
        multi_network_index: 0,
        flags: 0,
        psa_key_alg_permission: 0,
    };
    match client
        .command(Command::ExportKey(ExportKey { context }))
        .await?
    {
        Response::ExportKey(r) => {
            check("exportKey", r.status)?;
            Ok(Key16::new(r.key.0))
        }
        _ => Err(Error::UnexpectedResponse("exportKey")),
    }
}

/// `networkInit`: the network the stick runs, or `None` on a blank stick.
async fn network_up(client: &Client) -> Result<Option<NetworkInfo>> {
    let mut callbacks = client.callbacks.subscribe();
    let status = match client
        .command(Command::NetworkInit(NetworkInit { bitmask: 0 }))
        .await?
    {
        Response::NetworkInit(r) => r.status,
        _ => return Err(Error::UnexpectedResponse("networkInit")),
    };
    if status.0 == NOT_JOINED {
        return Ok(None);
    }
    if status.is_ok() {
        wait_for(
            client,
            &mut callbacks,
            "network up",
            |cb| matches!(cb, Callback::StackStatusHandler(s) if s.status.0 == NETWORK_UP),
        )
        .await?;
    } else if status.0 != INVALID_STATE {
        // INVALID_STATE: the stack is already up (the stick was started before).
        check("networkInit", status)?;
    }
    match network_info(client).await {
        Ok(info) => Ok(Some(info)),
        Err(Error::Ezsp { status, .. }) if status == NOT_JOINED => Ok(None),
        Err(e) => Err(e),
    }
}

/// `leaveNetwork` and the wait for `NETWORK_DOWN`.
async fn leave(client: &Client) -> Result<()> {
    let mut callbacks = client.callbacks.subscribe();
    match client
        .command(Command::LeaveNetwork(LeaveNetwork { options: 0 }))
        .await?
    {
        Response::LeaveNetwork(r) => check("leaveNetwork", r.status)?,
        _ => return Err(Error::UnexpectedResponse("leaveNetwork")),
    }
    wait_for(
        client,
        &mut callbacks,
        "network down",
        |cb| matches!(cb, Callback::StackStatusHandler(s) if s.status.0 == NETWORK_DOWN),
    )
    .await?;
    Ok(())
}

/// Gives the stick the backup's EUI-64 if it can take it (`STACK_RESTORED_EUI64` and a reboot).
async fn restore_eui64(
    client: &Client,
    backup: &NetworkBackup,
    generation: &mut u64,
) -> Result<Eui64Restore> {
    let wanted = u64::from_le_bytes(backup.coordinator_ieee);
    let stick = stick_eui64(client).await?;
    if stick == wanted {
        return Ok(Eui64Restore::AlreadyEqual);
    }
    let write = Command::SetTokenData(SetTokenData {
        token: NVM3KEY_STACK_RESTORED_EUI64,
        index: 0,
        data: TokenData::new(backup.coordinator_ieee.to_vec()),
    });
    let refused = |reason: String| Eui64Restore::Unchangeable {
        stick,
        backup: wanted,
        reason,
    };
    match client.command(write).await {
        Ok(Response::SetTokenData(r)) if r.status.is_ok() => {}
        Ok(Response::SetTokenData(r)) => {
            return Ok(refused(format!(
                "the stick refused to write STACK_RESTORED_EUI64 (status {:#06x}; no NVM3 \
                 tokens), and its own EUI-64 is a write-once manufacturing token",
                r.status.0
            )));
        }
        Ok(Response::InvalidCommand(_)) => {
            return Ok(refused(
                "the stick does not know setTokenData, and its own EUI-64 is a write-once \
                 manufacturing token"
                    .into(),
            ));
        }
        Ok(_) => return Err(Error::UnexpectedResponse("setTokenData")),
        Err(e) => return Err(e),
    }
    // The stick reboots after answering; the answer may be lost in the reset.
    match client.command(Command::ResetNode(Default::default())).await {
        Ok(_) | Err(Error::StickReset(_) | Error::Timeout { .. }) => {}
        Err(e) => return Err(e),
    }
    *generation = next_generation(client, *generation).await?;
    configure(client).await?;
    if network_up(client).await?.is_some() {
        return Err(Error::UnexpectedResponse(
            "networkInit (a network appeared after the reboot)",
        ));
    }
    let now = stick_eui64(client).await?;
    Ok(if now == wanted {
        tracing::info!("the Zigbee stick now uses the backup's EUI-64");
        Eui64Restore::Written
    } else {
        refused(format!(
            "the stick accepted STACK_RESTORED_EUI64 but reports {now:016x} after the reboot"
        ))
    })
}

async fn stick_eui64(client: &Client) -> Result<u64> {
    match client
        .command(Command::GetEui64(Default::default()))
        .await?
    {
        Response::GetEui64(r) => Ok(u64::from_le_bytes(r.eui64)),
        _ => Err(Error::UnexpectedResponse("getEui64")),
    }
}

/// Waits for the link to be negotiated again on a connection after `generation`.
async fn next_generation(client: &Client, generation: u64) -> Result<u64> {
    let mut state = client.state.clone();
    let wait = state.wait_for(|s| {
        matches!(s, LinkState::Ready { generation: g, .. } if *g > generation)
            || matches!(s, LinkState::Unusable(_))
    });
    match tokio::time::timeout(client.config.ready_timeout, wait).await {
        Err(_) => Err(Error::NotReady),
        Ok(Err(_)) => Err(Error::Closed),
        Ok(Ok(s)) => match &*s {
            LinkState::Ready { generation, .. } => Ok(*generation),
            LinkState::Unusable(e) => Err(Error::Protocol(e.clone())),
            _ => Err(Error::NotReady),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_covers_the_age_at_the_highest_frame_rate_and_never_less_than_2_16() {
        assert_eq!(frame_counter_margin(Duration::ZERO), 1 << 16);
        // 131 s at 500 frames a second fit in 2^16; 132 s do not.
        assert_eq!(frame_counter_margin(Duration::from_secs(131)), 1 << 16);
        assert_eq!(frame_counter_margin(Duration::from_secs(132)), 66_000);
        // A part second counts whole.
        assert_eq!(
            frame_counter_margin(Duration::from_millis(900_001)),
            450_500
        );
        // The default backup interval of 15 minutes.
        assert_eq!(frame_counter_margin(Duration::from_secs(900)), 450_000);
        assert_eq!(frame_counter_margin(Duration::MAX), u32::MAX);
    }
}
