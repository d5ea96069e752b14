//! The EZSP state machine of an emulated EmberZNet NCP (Silicon Labs UG100): EZSP frames from
//! the host in, response and callback frames out. It sits above [`super::ash_ncp::AshNcp`] and
//! below the override layer in [`super::stick`].
//!
//! It answers the legacy `version` command with the configured protocol (13 or higher; a
//! protocol-13 NCP speaks EmberZNet 7.4's layouts through `sealhub_radios::zigbee::ezsp::v13`, the
//! byte-level frame rewrites; an older one answers `version` and nothing else), then
//! extended-header commands: configuration values, policies,
//! values and extended values (`VERSION_INFO`, endpoint flags), endpoints, the multicast table,
//! manufacturer code, concentrator and source-route discovery, EUI-64 and node ID,
//! `networkInit`, `networkState`, `setInitialSecurityState`, `formNetwork`, `leaveNetwork`,
//! `getNetworkParameters`, `permitJoining` (with `stackStatusHandler` NETWORK_OPENED/CLOSED),
//! the security manager (`exportKey` of the network and trust-center keys, `getNetworkKeyInfo`,
//! `getApsKeyInfo` (the APS frame counter),
//! `getCurrentSecurityState`, transient keys, key table; with a hashed TC link key each device's
//! key is derived as [`super::tc_keys`] says), an energy `startScan`, and sending: a unicast to the coordinator
//! itself carrying a ZDO request is answered by [`super::local_zdo`] a few ticks later (as
//! `incomingMessageHandler`); a unicast to a simulated device that joined
//! ([`Ncp::join_device`], [`super::devices`]) is delivered and answered the same way; any other
//! unicast ends in `messageSentHandler` with `ZIGBEE_DELIVERY_FAILED`; broadcasts and
//! multicasts are reported sent. That is everything zigbee-herdsman's ember adapter sends to start, open and
//! close the network, and stop (`firmware-shim/tests/herdsman_interop.rs`).
//!
//! After version negotiation, a frame it cannot decode is answered with `invalidCommand`
//! (`EZSP_ERROR_INVALID_FRAME_ID`, or `EZSP_ERROR_INVALID_VALUE` for bad parameters) and logged
//! as a warning, so the host fails fast and the log says what to add.
//!
//! State is split the way the chip splits it: [`Nvm`] (the network, keys and frame counters, kept
//! in tokens) survives resets and unplugging; everything else lives in RAM and is lost on
//! [`Ncp::reboot`].
//!
//! Its parts: [`config`] (how it presents itself, what its tokens keep), [`host_frame`] and
//! [`host_link`] (frames from and to the host), [`commands`] (the answer to each command),
//! [`joining`] (devices joining), [`air`] (what travels over the air), [`ids`] (the numbers
//! it speaks in).

mod air;
mod commands;
mod config;
mod host_frame;
mod host_link;
mod ids;
mod joining;
#[cfg(test)]
mod tests;

pub use config::{CHANNELS, NcpConfig, Nvm};
pub use host_frame::EzspFrameFromHost;
pub use ids::{
    COORDINATOR, EXTENDED_VALUE_ENDPOINT_FLAGS, KEY_TABLE_SIZE, LOCAL_ZDO_DELAY_TICKS,
    MULTICAST_TABLE_SIZE, ezsp_status, status, value_id,
};
pub use joining::JoinAttempt;

use std::collections::{BTreeMap, VecDeque};

use sealhub_radios::zigbee::ezsp::commands::configuration::AddEndpoint;
use sealhub_radios::zigbee::ezsp::commands::networking::SetConcentrator;
use sealhub_radios::zigbee::ezsp::commands::security::InitialSecurityState;
use sealhub_radios::zigbee::ezsp::types::{Eui64, Key, MulticastTableEntry};
use sealhub_radios::zigbee::ezsp::{FrameCodec, FromNcp};

use super::devices::SimulatedDevice;
use super::frame_counters::{CounterLayer, FrameCounterLog};

/// How many frames [`Ncp::scheduled_log`] keeps (the newest): enough for any test, bounded for
/// an emulator that runs for days.
pub const SCHEDULED_LOG_LEN: usize = 1024;

/// The emulated NCP's EZSP layer.
#[derive(Debug, Clone)]
pub struct Ncp {
    config: NcpConfig,
    codec: Option<FrameCodec>,
    config_values: BTreeMap<u8, u16>,
    policies: BTreeMap<u8, u8>,
    security: Option<InitialSecurityState>,
    nvm: Option<Nvm>,
    stack_up: bool,
    permit_join_seconds: u8,
    aps_sequence: u8,
    values: BTreeMap<u8, Vec<u8>>,
    endpoints: BTreeMap<u8, AddEndpoint>,
    multicast_table: BTreeMap<u8, MulticastTableEntry>,
    manufacturer_code: u16,
    concentrator: Option<SetConcentrator>,
    source_route_discovery_mode: u8,
    transient_keys: BTreeMap<Eui64, Key>,
    /// Simulated devices on the network, by node ID (the child table; survives reboots).
    devices: BTreeMap<u16, SimulatedDevice>,
    /// Every `join_device` attempt, in order.
    join_log: Vec<JoinAttempt>,
    /// Devices that try to join as soon as the host opens the network.
    join_on_permit: Vec<SimulatedDevice>,
    /// Transaction sequence number of the devices' own ZDO messages (Device_annce).
    device_tsn: u8,
    /// Frames due later (ticks left, sequence, frame): what arrives "over the air".
    pending: Vec<(u32, u8, FromNcp)>,
    /// Every frame put in `pending`, in order, the newest [`SCHEDULED_LOG_LEN`] (the
    /// emulator's record of what it sends the host on its own, for assertions).
    scheduled_log: VecDeque<FromNcp>,
    /// The `STACK_RESTORED_EUI64` token (survives reboots); used from the next boot on.
    restored_eui64: Option<Eui64>,
    /// The EUI-64 in use since boot: the restored one if the token was set, else the chip's.
    eui64: Eui64,
    /// `resetNode` was answered; the chip reboots once the answer is out.
    reset_requested: bool,
    /// The link key table (`importLinkKey`), by index; kept in tokens, survives reboots.
    key_table: BTreeMap<u8, (Eui64, Key)>,
    /// Callbacks waiting for `callback` (synchronous callbacks; RAM, lost on reboot).
    queued_callbacks: VecDeque<FromNcp>,
    /// Every outgoing frame counter used (the emulator's record, not chip state).
    counters_used: FrameCounterLog,
}

impl Ncp {
    /// A freshly flashed chip: no network in its tokens.
    pub fn new(config: NcpConfig) -> Self {
        Self {
            eui64: config.eui64,
            config,
            codec: None,
            config_values: BTreeMap::new(),
            policies: BTreeMap::new(),
            security: None,
            nvm: None,
            stack_up: false,
            permit_join_seconds: 0,
            aps_sequence: 0,
            values: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            multicast_table: BTreeMap::new(),
            manufacturer_code: 0,
            concentrator: None,
            source_route_discovery_mode: 0,
            transient_keys: BTreeMap::new(),
            devices: BTreeMap::new(),
            join_log: Vec::new(),
            join_on_permit: Vec::new(),
            device_tsn: 0,
            pending: Vec::new(),
            scheduled_log: VecDeque::new(),
            restored_eui64: None,
            reset_requested: false,
            key_table: BTreeMap::new(),
            queued_callbacks: VecDeque::new(),
            counters_used: FrameCounterLog::default(),
        }
    }

    /// The chip restarts: RAM state (negotiated version, configuration, policies, security
    /// state, stack) is lost; the tokens ([`Nvm`]) stay.
    pub fn reboot(&mut self) {
        let nvm = self.nvm.take();
        let devices = core::mem::take(&mut self.devices);
        let join_log = core::mem::take(&mut self.join_log);
        let join_on_permit = core::mem::take(&mut self.join_on_permit);
        let restored_eui64 = self.restored_eui64;
        let key_table = core::mem::take(&mut self.key_table);
        let counters_used = core::mem::take(&mut self.counters_used);
        *self = Self {
            key_table,
            counters_used,
            nvm,
            devices,
            join_log,
            join_on_permit,
            restored_eui64,
            eui64: restored_eui64.unwrap_or(self.config.eui64),
            ..Self::new(self.config.clone())
        };
    }

    /// The EUI-64 the chip uses: its own, or the `STACK_RESTORED_EUI64` token's since the
    /// reboot after it was written.
    pub fn eui64(&self) -> Eui64 {
        self.eui64
    }

    /// The `STACK_RESTORED_EUI64` token, if written.
    pub fn restored_eui64(&self) -> Option<Eui64> {
        self.restored_eui64
    }

    /// EUI-64s with an entry in the link key table (`importLinkKey`), by index.
    pub fn key_table_holders(&self) -> Vec<Eui64> {
        self.key_table.values().map(|(eui64, _)| *eui64).collect()
    }

    /// Whether `resetNode` was answered since the last call (the stick reboots the chip).
    pub fn take_reset_request(&mut self) -> bool {
        core::mem::take(&mut self.reset_requested)
    }

    /// The codec once `version` has been answered with a protocol that has layouts.
    pub fn codec(&self) -> Option<FrameCodec> {
        self.codec
    }

    /// The network in the tokens, if one was formed.
    pub fn nvm(&self) -> Option<&Nvm> {
        self.nvm.as_ref()
    }

    /// Every outgoing frame counter the stick used, under which key (kept across reboots: it
    /// is the emulator's record of what went on air, not chip state).
    pub fn frame_counters_used(&self) -> &FrameCounterLog {
        &self.counters_used
    }

    /// The stack's own traffic on its network: `frames` NWK frames the host does not see (link
    /// status every 15 s, many-to-one route requests, APS acknowledgements), each secured under
    /// the network key with the next NWK frame counter. Nothing while no network is up.
    pub fn network_traffic(&mut self, frames: u32) {
        if !self.stack_up {
            return;
        }
        if let Some(nvm) = &mut self.nvm {
            for _ in 0..frames {
                self.counters_used.used(
                    CounterLayer::Nwk,
                    nvm.network_key.0,
                    nvm.nwk_frame_counter,
                );
                nvm.nwk_frame_counter = nvm.nwk_frame_counter.wrapping_add(1);
            }
        }
    }

    /// Writes the tokens directly (a test seeding a stick that already has a network).
    pub fn set_nvm(&mut self, nvm: Option<Nvm>) {
        self.nvm = nvm;
    }

    /// Whether the stack is up on a network.
    pub fn is_network_up(&self) -> bool {
        self.stack_up
    }

    /// Seconds the network was last opened for (as asked by `permitJoining`).
    pub fn permit_join_seconds(&self) -> u8 {
        self.permit_join_seconds
    }

    /// A configuration value as set by the host.
    pub fn config_value(&self, id: u8) -> Option<u16> {
        self.config_values.get(&id).copied()
    }

    /// A policy decision as set by the host.
    pub fn policy(&self, id: u8) -> Option<u8> {
        self.policies.get(&id).copied()
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &NcpConfig {
        &self.config
    }

    /// An EZSP value as set by the host (`setValue`).
    pub fn value(&self, id: u8) -> Option<&[u8]> {
        self.values.get(&id).map(Vec::as_slice)
    }

    /// The endpoints registered with `addEndpoint`.
    pub fn endpoints(&self) -> &BTreeMap<u8, AddEndpoint> {
        &self.endpoints
    }

    /// The multicast table as written by the host.
    pub fn multicast_table(&self) -> &BTreeMap<u8, MulticastTableEntry> {
        &self.multicast_table
    }

    /// The manufacturer code set by the host (0 until set).
    pub fn manufacturer_code(&self) -> u16 {
        self.manufacturer_code
    }

    /// The concentrator settings, once `setConcentrator` was called.
    pub fn concentrator(&self) -> Option<&SetConcentrator> {
        self.concentrator.as_ref()
    }

    /// EUI-64s with a transient link key (all zeros: any joining device).
    pub fn transient_key_holders(&self) -> Vec<Eui64> {
        self.transient_keys.keys().copied().collect()
    }

    /// The simulated devices that joined, by node ID.
    pub fn joined_devices(&self) -> &BTreeMap<u16, SimulatedDevice> {
        &self.devices
    }

    /// A joined simulated device, to change its state or test switches
    /// ([`super::zcl_device::ZclState`]) or to look at them.
    pub fn device_mut(&mut self, node_id: u16) -> Option<&mut SimulatedDevice> {
        self.devices.get_mut(&node_id)
    }

    /// Every [`Ncp::join_device`] attempt and its outcome, in order: why a device was refused.
    pub fn join_log(&self) -> &[JoinAttempt] {
        &self.join_log
    }

    /// Puts a frame the NCP sends on its own (a callback, a message "over the air") in the
    /// queue of frames due `ticks` later, and in [`Ncp::scheduled_log`].
    pub(super) fn schedule(&mut self, (ticks, sequence, frame): (u32, u8, FromNcp)) {
        if self.scheduled_log.len() == SCHEDULED_LOG_LEN {
            self.scheduled_log.pop_front();
        }
        self.scheduled_log.push_back(frame.clone());
        self.pending.push((ticks, sequence, frame));
    }

    /// The frames the NCP scheduled for the host on its own (join callbacks, Device_annce,
    /// devices' answers and reports), oldest first, whether already sent or still due: the
    /// newest [`SCHEDULED_LOG_LEN`]. A test asks this record whether something was ever going
    /// to reach the host (a refused join: nothing) instead of watching the host for a while.
    pub fn scheduled_log(&self) -> impl Iterator<Item = &FromNcp> {
        self.scheduled_log.iter()
    }
}
