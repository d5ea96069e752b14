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

use std::collections::{BTreeMap, VecDeque};

use sealhub_radios::zigbee::ezsp::commands::configuration::{
    AddEndpoint, EchoResponse, GetConfigurationValueResponse, NoParams, StatusResponse,
    ValueResponse, VersionResponse,
};
use sealhub_radios::zigbee::ezsp::commands::messaging::{
    IncomingMessageHandler, MessageSentHandler, SendUnicast, SendUnicastResponse,
    SetSourceRouteDiscoveryModeResponse,
};
use sealhub_radios::zigbee::ezsp::commands::networking::{
    ChildJoinHandler, EnergyScanResultHandler, GetEui64Response, GetNetworkParametersResponse,
    GetNodeIdResponse, NetworkStateResponse, ScanCompleteHandler, SetConcentrator,
    StackStatusHandler,
};
use sealhub_radios::zigbee::ezsp::commands::security::{
    ApsKeyMetadata, CurrentSecurityState, ExportKeyResponse, GetApsKeyInfoResponse,
    GetCurrentSecurityStateResponse, GetNetworkKeyInfoResponse, ImportLinkKey,
    InitialSecurityState, KEY_TABLE_ANY_INDEX, TrustCenterJoinHandler, device_update,
};
use sealhub_radios::zigbee::ezsp::commands::tokens::{NVM3KEY_STACK_RESTORED_EUI64, SetTokenData};
use sealhub_radios::zigbee::ezsp::commands::utilities::InvalidCommand;
use sealhub_radios::zigbee::ezsp::types::{
    ApsFrame, Bytes8, Eui64, Key, MulticastTableEntry, NetworkKeyInfo, NetworkParameters,
    OutgoingMessageType, PacketInfo, SecManContext, Status,
};
use sealhub_radios::zigbee::ezsp::{
    Callback, Command, Error as EzspError, FrameCodec, FrameControl, FromNcp, Header, HeaderFormat,
    Response,
};

use super::devices::{self, JoinRefusal, SimulatedDevice};
use super::frame_counters::{CounterLayer, FrameCounterLog};
use super::local_zdo;
use super::zcl_device;

/// `sl_status_t` values the emulator reports (Silicon Labs `sl_status.h`).
pub mod status {
    use sealhub_radios::zigbee::ezsp::types::Status;

    /// `SL_STATUS_OK`.
    pub const OK: Status = Status(0x0000);
    /// `SL_STATUS_INVALID_STATE`.
    pub const INVALID_STATE: Status = Status(0x0002);
    /// `SL_STATUS_NETWORK_UP`: as `stackStatusHandler`, the network came up.
    pub const NETWORK_UP: Status = Status(0x0015);
    /// `SL_STATUS_NETWORK_DOWN`.
    pub const NETWORK_DOWN: Status = Status(0x0016);
    /// `SL_STATUS_NOT_JOINED`: `networkInit` without a stored network.
    pub const NOT_JOINED: Status = Status(0x0017);
    /// `SL_STATUS_INVALID_PARAMETER`.
    pub const INVALID_PARAMETER: Status = Status(0x0021);
    /// `SL_STATUS_INVALID_INDEX`: past the end of a table.
    pub const INVALID_INDEX: Status = Status(0x0027);
    /// `SL_STATUS_NOT_FOUND`: no such key.
    pub const NOT_FOUND: Status = Status(0x002D);
    /// `SL_STATUS_NOT_SUPPORTED` (token frames on a stick without NVM3 tokens).
    pub const NOT_SUPPORTED: Status = Status(0x000F);
    /// `SL_STATUS_FULL` (the key table).
    pub const TABLE_FULL: Status = Status(0x001C);
    /// `SL_STATUS_INVALID_CHANNEL_MASK`.
    pub const INVALID_CHANNEL_MASK: Status = Status(0x004F);
    /// `SL_STATUS_ZIGBEE_DELIVERY_FAILED`: no APS ack from the destination.
    pub const DELIVERY_FAILED: Status = Status(0x0C02);
    /// `SL_STATUS_ZIGBEE_SECURITY_STATE_NOT_SET`: forming before `setInitialSecurityState`.
    pub const SECURITY_STATE_NOT_SET: Status = Status(0x0C0B);
    /// `SL_STATUS_ZIGBEE_NETWORK_OPENED`: as `stackStatusHandler`, joining was permitted.
    pub const NETWORK_OPENED: Status = Status(0x0C18);
    /// `SL_STATUS_ZIGBEE_NETWORK_CLOSED`: as `stackStatusHandler`, joining was stopped.
    pub const NETWORK_CLOSED: Status = Status(0x0C19);
}

/// `EzspStatus` reasons of `invalidCommand` (one byte, UG100).
pub mod ezsp_status {
    /// `EZSP_ERROR_INVALID_FRAME_ID`: the NCP does not know the frame.
    pub const INVALID_FRAME_ID: u8 = 0x31;
    /// `EZSP_ERROR_INVALID_VALUE`: the parameters could not be read.
    pub const INVALID_VALUE: u8 = 0x36;
}

/// `EzspValueId`s the emulator gives meaning to (UG100).
pub mod value_id {
    /// The NWK frame counter to start from when forming with `NO_FRAME_COUNTER_RESET` (4 bytes;
    /// only while no network is up).
    pub const NWK_FRAME_COUNTER: u8 = 0x23;
    /// The APS frame counter to start from, likewise.
    pub const APS_FRAME_COUNTER: u8 = 0x24;
    /// `UART_SYNCH_CALLBACKS` (1 byte): 1 queues callbacks for the host's `callback` command.
    pub const UART_SYNCH_CALLBACKS: u8 = 0x04;
    /// Whether stack tokens are written (1 byte).
    pub const STACK_TOKEN_WRITING: u8 = 0x07;
    /// The extended security bitmask (2 bytes).
    pub const EXTENDED_SECURITY_BITMASK: u8 = 0x0A;
    /// `EmberVersion`: build (2), major, minor, patch, special, type (read only).
    pub const VERSION_INFO: u8 = 0x11;
}

/// `EzspExtendedValueId` `ENDPOINT_FLAGS`: the flags of the endpoint given as characteristics.
pub const EXTENDED_VALUE_ENDPOINT_FLAGS: u8 = 0x00;

/// `EmberInitialSecurityBitmask` `NO_FRAME_COUNTER_RESET`: keep the NWK frame counter set by
/// `setValue(NWK_FRAME_COUNTER)` when forming (a restore from backup).
const NO_FRAME_COUNTER_RESET: u16 = 0x1000;

/// `sl_zb_sec_man_key_type_t` values `exportKey` serves.
const KEY_TYPE_NETWORK: u8 = 1;
const KEY_TYPE_TC_LINK: u8 = 2;
/// `EmberInitialSecurityBitmask` bit 7, set (with the global link key bit 0x0004) by
/// `TRUST_CENTER_USES_HASHED_LINK_KEY` (0x0084).
const HASHED_LINK_KEY_BIT: u16 = 0x0080;

/// The `EmberCurrentSecurityBitmask` of a network formed with `initial`: the global link key and
/// hashed link key bits carry over (they have the same values in both bitmasks), and the node has
/// a TC link key (0x0010).
fn current_security_bitmask(initial: u16) -> u16 {
    (initial & (0x0004 | HASHED_LINK_KEY_BIT)) | 0x0010
}

/// `EmberVersionType` `GA`: a general-availability release.
const VERSION_TYPE_GA: u8 = 0xAA;

/// Entries in the multicast table (EmberZNet's default `MULTICAST_TABLE_SIZE`).
pub const MULTICAST_TABLE_SIZE: u8 = 16;
/// Entries in the emulated link key table.
pub const KEY_TABLE_SIZE: u8 = 16;

/// Ticks before the answer to a ZDO request the host sent to the NCP itself arrives as
/// `incomingMessageHandler`: never in the same burst as the `sendUnicast` response, as over the
/// air.
pub const LOCAL_ZDO_DELAY_TICKS: u32 = 3;

/// The coordinator's node ID.
pub const COORDINATOR: u16 = 0x0000;

/// `EmberOutgoingMessageType` values.
const OUTGOING_DIRECT: OutgoingMessageType = 0;
const OUTGOING_MULTICAST: OutgoingMessageType = 3;
const OUTGOING_BROADCAST: OutgoingMessageType = 6;

/// `EmberIncomingMessageType` `UNICAST`.
const INCOMING_UNICAST: u8 = 0;
/// `EmberIncomingMessageType` `BROADCAST`.
const INCOMING_BROADCAST: u8 = 4;
/// ZDO cluster `Device_annce`.
const DEVICE_ANNOUNCE: u16 = 0x0013;

/// One `join_device` attempt and its outcome, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAttempt {
    /// The device's EUI-64.
    pub eui64: Eui64,
    /// `Ok(node ID)` when it joined, otherwise why not.
    pub outcome: Result<u16, JoinRefusal>,
}

/// The 802.15.4 channels of the 2.4 GHz band.
pub const CHANNELS: core::ops::RangeInclusive<u8> = 11..=26;

/// How the emulated stick presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NcpConfig {
    /// The EZSP protocol it speaks (13..; default 14).
    pub protocol_version: u8,
    /// Stack type in the `version` answer (2, the mesh stack).
    pub stack_type: u8,
    /// Stack version, one nibble per digit (major, minor, patch, special); `getValue
    /// (VERSION_INFO)` reports the same digits.
    pub stack_version: u16,
    /// Build number in `getValue(VERSION_INFO)`.
    pub build: u16,
    /// The chip's EUI-64, in EZSP (little-endian) byte order.
    pub eui64: Eui64,
    /// The highest RSSI (dBm) an energy scan reports on channels 11..=26, in order.
    pub energy: [i8; 16],
    /// Whether the chip keeps its tokens in NVM3, so `setTokenData` can write
    /// `STACK_RESTORED_EUI64` (true); otherwise the token frames answer `NOT_SUPPORTED`, as on
    /// older sticks, and the EUI-64 cannot be changed.
    pub nvm3_tokens: bool,
    /// Whether callbacks wait in a queue for the host's `callback` command (as after `setValue
    /// (UART_SYNCH_CALLBACKS, 1)`, which also switches this on) instead of going out
    /// asynchronously; responses then carry the callbackPending bit.
    pub synchronous_callbacks: bool,
}

impl Default for NcpConfig {
    /// Protocol 14 (EmberZNet 8.0.2 — a plausible pairing, not a recorded one), a made-up EUI-64
    /// and a band where channel 20 is clearly the quietest.
    fn default() -> Self {
        Self {
            protocol_version: 14,
            stack_type: 2,
            stack_version: 0x8020,
            build: 0x0123,
            eui64: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
            energy: [
                -40, -45, -50, -42, -60, -55, -48, -52, -70, -95, -65, -58, -61, -47, -66, -49,
            ],
            nvm3_tokens: true,
            synchronous_callbacks: false,
        }
    }
}

/// What the chip keeps in its tokens: the network it formed, its keys and frame counters. It
/// survives [`Ncp::reboot`] (and unplugging), so a later backup/restore can read and write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nvm {
    /// The network as formed.
    pub parameters: NetworkParameters,
    /// The network key from `setInitialSecurityState`.
    pub network_key: Key,
    /// Its sequence number.
    pub network_key_sequence: u8,
    /// The trust center link key.
    pub tc_link_key: Key,
    /// The security bitmask the network was formed with.
    pub security_bitmask: u16,
    /// Outgoing NWK frame counter.
    pub nwk_frame_counter: u32,
    /// Outgoing APS frame counter.
    pub aps_frame_counter: u32,
}

/// An EZSP frame from the host, as the override hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EzspFrameFromHost {
    /// `version`, in the legacy (3-byte) or extended header.
    Version {
        /// Sequence number.
        sequence: u8,
        /// The protocol the host asks for.
        desired: u8,
        /// Whether it came in the legacy header.
        legacy: bool,
    },
    /// Any other command, decoded.
    Command {
        /// The extended header.
        header: Header,
        /// The command and its parameters.
        command: Command,
    },
    /// Bytes the emulator cannot decode (unknown frame ID, bad layout, before negotiation).
    Undecodable {
        /// The raw EZSP frame.
        bytes: Vec<u8>,
        /// Why it could not be decoded.
        reason: String,
    },
}

impl EzspFrameFromHost {
    /// Decodes one EZSP frame. The legacy header is recognised by its third byte: the frame
    /// ID `version` (0x00) there, where the extended header has the high byte of the frame
    /// control with the format-version bit set.
    pub fn parse(bytes: &[u8], codec: Option<FrameCodec>) -> Self {
        let undecodable = |reason: String| Self::Undecodable {
            bytes: bytes.to_vec(),
            reason,
        };
        let legacy = bytes.get(2).is_some_and(|&b| b & 0x01 == 0);
        let format = if legacy {
            HeaderFormat::Legacy
        } else {
            HeaderFormat::Extended
        };
        let (header, params) = match Header::decode(bytes, format) {
            Ok(split) => split,
            Err(e) => return undecodable(e.to_string()),
        };
        if header.frame_id == 0x0000 {
            return match Command::decode_params(0x0000, params) {
                Ok(Command::Version(v)) => Self::Version {
                    sequence: header.sequence,
                    desired: v.desired_protocol_version,
                    legacy,
                },
                Ok(_) => undecodable("not a version command".into()),
                Err(e) => undecodable(e.to_string()),
            };
        }
        if legacy {
            return undecodable("legacy header on a command other than version".into());
        }
        let Some(codec) = codec else {
            return undecodable("command before version negotiation".into());
        };
        match codec.decode_command(bytes) {
            Ok((header, command)) => Self::Command { header, command },
            Err(e) => undecodable(e.to_string()),
        }
    }

    /// The sequence number, when the header could be read.
    pub fn sequence(&self) -> Option<u8> {
        match self {
            Self::Version { sequence, .. } => Some(*sequence),
            Self::Command { header, .. } => Some(header.sequence),
            Self::Undecodable { bytes, .. } => bytes.first().copied(),
        }
    }

    /// The frame ID, when decoded.
    pub fn frame_id(&self) -> Option<u16> {
        match self {
            Self::Version { .. } => Some(0x0000),
            Self::Command { command, .. } => Some(command.frame_id()),
            Self::Undecodable { .. } => None,
        }
    }
}

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

    /// A device that is already on the network (joined through another stick with the same
    /// network, e.g. before a backup was restored here) is now in this stick's radio
    /// neighbourhood: it goes into the device table without joining again and without any
    /// callback. The stack must be up, and a device with an install code is accepted only if
    /// the host imported its link key (as a restore does), so a restore that lost the key
    /// shows as [`JoinRefusal::NoLinkKey`] / [`JoinRefusal::WrongLinkKey`].
    pub fn adopt_device(&mut self, device: SimulatedDevice) -> Result<u16, JoinRefusal> {
        if !self.stack_up {
            return Err(JoinRefusal::NetworkDown);
        }
        if let Some(code) = &device.install_code {
            let in_table = self
                .key_table
                .values()
                .find(|(eui64, _)| *eui64 == device.eui64)
                .map(|(_, key)| key);
            match in_table.or_else(|| self.transient_keys.get(&device.eui64)) {
                None => return Err(JoinRefusal::NoLinkKey),
                Some(key) if key.0 == code.link_key().0 => {}
                Some(_) => return Err(JoinRefusal::WrongLinkKey),
            }
        }
        if self
            .devices
            .values()
            .any(|d| d.node_id == device.node_id || d.eui64 == device.eui64)
        {
            return Err(JoinRefusal::AlreadyJoined);
        }
        let node_id = device.node_id;
        self.devices.insert(node_id, device);
        Ok(node_id)
    }

    /// The TC link key this trust centre shares with `eui64` once that device has joined (and,
    /// as a Zigbee 3.0 device does, asked for its own key): on a network formed with
    /// `TRUST_CENTER_USES_HASHED_LINK_KEY` it is derived from the root key in the tokens and the
    /// EUI-64 ([`super::tc_keys`]), otherwise it is the one global key. `None` without a network.
    pub fn tc_link_key_for(&self, eui64: Eui64) -> Option<Key> {
        let nvm = self.nvm.as_ref()?;
        Some(if nvm.security_bitmask & HASHED_LINK_KEY_BIT != 0 {
            super::tc_keys::derived_tc_link_key(&nvm.tc_link_key, eui64)
        } else {
            nvm.tc_link_key.clone()
        })
    }

    /// Like [`Ncp::adopt_device`], for a device that joined before (through another stick with
    /// the same network) and holds `tc_link_key` with the trust centre: it is accepted only if
    /// this stick's trust centre has the same key for it ([`Ncp::tc_link_key_for`]), so a restore
    /// that lost the TC link key root shows as [`JoinRefusal::WrongLinkKey`].
    pub fn adopt_device_holding(
        &mut self,
        device: SimulatedDevice,
        tc_link_key: &Key,
    ) -> Result<u16, JoinRefusal> {
        if !self.stack_up {
            return Err(JoinRefusal::NetworkDown);
        }
        match self.tc_link_key_for(device.eui64) {
            Some(key) if key == *tc_link_key => self.adopt_device(device),
            _ => Err(JoinRefusal::WrongLinkKey),
        }
    }

    /// A simulated device tries to join through the coordinator. The trust center decides as
    /// [`devices::admit`] says (network open, policy, install-code key or well-known key). On
    /// success the NCP reports `childJoinHandler` and `trustCenterJoinHandler`
    /// (`STANDARD_SECURITY_UNSECURED_JOIN`, `USE_PRECONFIGURED_KEY`) on the next tick, and the
    /// device's Device_annce arrives as `incomingMessageHandler` a tick later; from then on it
    /// answers unicasts ([`devices::answer`]). A refusal is recorded in [`Ncp::join_log`] and
    /// nothing reaches the host, as with a real trust center.
    pub fn join_device(&mut self, device: SimulatedDevice) -> Result<u16, JoinRefusal> {
        self.join_through(device, None)
    }

    /// A simulated device tries to join through the joined router `router` (its parent) rather
    /// than the coordinator: admitted only while that router's own permit-joining window is
    /// open (ZDO `Mgmt_Permit_Joining_req` to it, or broadcast), whatever the coordinator's
    /// `permitJoining` says; the trust center still checks policy and keys. The host hears
    /// `trustCenterJoinHandler` with the router as parent (no `childJoinHandler`: the device is
    /// the router's child), then the Device_annce.
    pub fn join_device_via(
        &mut self,
        device: SimulatedDevice,
        router: u16,
    ) -> Result<u16, JoinRefusal> {
        self.join_through(device, Some(router))
    }

    fn join_through(
        &mut self,
        device: SimulatedDevice,
        router: Option<u16>,
    ) -> Result<u16, JoinRefusal> {
        let permit = match router {
            None => self.permit_join_seconds,
            Some(id) => match self.devices.get(&id) {
                Some(r) if r.node_type == 2 => u8::from(r.zcl.permits_joining()),
                _ => {
                    self.join_log.push(JoinAttempt {
                        eui64: device.eui64,
                        outcome: Err(JoinRefusal::NoSuchRouter),
                    });
                    return Err(JoinRefusal::NoSuchRouter);
                }
            },
        };
        let policy = self
            .policies
            .get(&devices::TRUST_CENTER_POLICY)
            .copied()
            .unwrap_or(0);
        let clash = self
            .devices
            .values()
            .any(|d| d.node_id == device.node_id || d.eui64 == device.eui64);
        let outcome = devices::admit(&device, self.stack_up, permit, policy, &self.transient_keys)
            .and(if clash {
                Err(JoinRefusal::AlreadyJoined)
            } else {
                Ok(device.node_id)
            });
        self.join_log.push(JoinAttempt {
            eui64: device.eui64,
            outcome,
        });
        match outcome {
            Ok(_) => {
                tracing::info!(node_id = device.node_id, eui64 = ?device.eui64, "simulated device joins")
            }
            Err(why) => {
                tracing::info!(eui64 = ?device.eui64, ?why, "trust center refuses a simulated device");
                return outcome;
            }
        }
        if router.is_none() {
            let index = u8::try_from(self.devices.len()).unwrap_or(u8::MAX);
            self.pending.push((
                1,
                0,
                FromNcp::Callback(Callback::ChildJoinHandler(ChildJoinHandler {
                    index,
                    joining: 1,
                    child_id: device.node_id,
                    child_eui64: device.eui64,
                    child_type: device.node_type,
                })),
            ));
        }
        self.pending.push((
            1,
            0,
            FromNcp::Callback(Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
                new_node_id: device.node_id,
                new_node_eui64: device.eui64,
                status: device_update::UNSECURED_JOIN,
                policy_decision: 0,
                parent_of_new_node_id: router.unwrap_or(COORDINATOR),
            })),
        ));
        self.device_tsn = self.device_tsn.wrapping_add(1);
        let announce = devices::device_announce(&device, self.device_tsn);
        let aps = ApsFrame {
            profile_id: local_zdo::ZDO_PROFILE,
            cluster_id: DEVICE_ANNOUNCE,
            ..ApsFrame::default()
        };
        self.schedule_from(&device, INCOMING_BROADCAST, aps, announce, 2);
        self.devices.insert(device.node_id, device);
        outcome
    }

    /// `device` tries to join (once) as soon as `permitJoining` opens the network: for hosts in
    /// another process (zigbee-herdsman) that a test cannot time a [`Ncp::join_device`] call
    /// against.
    pub fn join_when_permitted(&mut self, device: SimulatedDevice) {
        self.join_on_permit.push(device);
    }

    /// One tick passes: frames whose delay ran out, encoded, in order.
    pub fn tick(&mut self) -> Vec<Vec<u8>> {
        let mut due = Vec::new();
        self.pending.retain_mut(|(ticks, sequence, frame)| {
            *ticks = ticks.saturating_sub(1);
            if *ticks == 0 {
                due.push((*sequence, frame.clone()));
                false
            } else {
                true
            }
        });
        due.into_iter()
            .flat_map(|(sequence, frame)| self.deliver(sequence, vec![frame]))
            .collect()
    }

    /// Emulator time (`elapsed`, one tick) passes for the joined devices: what they send on
    /// their own (reports, notifications; [`zcl_device::poll`]) arrives as
    /// `incomingMessageHandler` on the next tick, and a device that is leaving (asked by
    /// `Mgmt_Leave_req`, or [`Ncp::device_leaves`]) is removed and reported as
    /// `childJoinHandler` (left) and `trustCenterJoinHandler` `DEVICE_LEFT`, after its last
    /// answer. Nothing happens while the network is down.
    pub fn tick_devices(&mut self, elapsed: std::time::Duration) {
        if !self.stack_up {
            return;
        }
        let hub = self.eui64;
        let node_ids: Vec<u16> = self.devices.keys().copied().collect();
        for node_id in node_ids {
            let Some(mut device) = self.devices.remove(&node_id) else {
                continue;
            };
            let delay = 1 + device.zcl.answer_delay();
            let sent = if device.zcl.silent {
                Vec::new()
            } else {
                zcl_device::poll(&mut device, elapsed, &hub)
            };
            for (profile_id, cluster_id, source_endpoint, destination_endpoint, payload) in sent {
                let aps = ApsFrame {
                    profile_id,
                    cluster_id,
                    source_endpoint,
                    destination_endpoint,
                    ..ApsFrame::default()
                };
                self.schedule_from(&device, INCOMING_UNICAST, aps, payload, delay);
            }
            if device.zcl.leaving {
                tracing::info!(node_id, eui64 = ?device.eui64, "simulated device leaves");
                let after_answers = LOCAL_ZDO_DELAY_TICKS + device.zcl.answer_delay() + 2;
                let index = u8::try_from(self.devices.len()).unwrap_or(u8::MAX);
                self.pending.push((
                    after_answers,
                    0,
                    FromNcp::Callback(Callback::ChildJoinHandler(ChildJoinHandler {
                        index,
                        joining: 0,
                        child_id: device.node_id,
                        child_eui64: device.eui64,
                        child_type: device.node_type,
                    })),
                ));
                self.pending.push((
                    after_answers,
                    0,
                    FromNcp::Callback(Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
                        new_node_id: device.node_id,
                        new_node_eui64: device.eui64,
                        status: device_update::DEVICE_LEFT,
                        // EMBER_NO_ACTION: nothing for the trust center to decide.
                        policy_decision: 3,
                        parent_of_new_node_id: COORDINATOR,
                    })),
                ));
            } else {
                self.devices.insert(node_id, device);
            }
        }
    }

    /// The joined device `node_id` leaves the network on its own (reported at the next
    /// [`Ncp::tick_devices`]); false if there is no such device.
    pub fn device_leaves(&mut self, node_id: u16) -> bool {
        match self.devices.get_mut(&node_id) {
            Some(device) => {
                device.leave();
                true
            }
            None => false,
        }
    }

    /// Whether callbacks are queued for `callback` ([`NcpConfig::synchronous_callbacks`] or
    /// `setValue(UART_SYNCH_CALLBACKS, 1)`).
    pub fn synchronous_callbacks(&self) -> bool {
        self.config.synchronous_callbacks
            || self
                .values
                .get(&value_id::UART_SYNCH_CALLBACKS)
                .is_some_and(|v| v.first() == Some(&1))
    }

    /// How many callbacks wait for the host's `callback` command.
    pub fn queued_callbacks(&self) -> usize {
        self.queued_callbacks.len()
    }

    /// Frames for the host, encoded: as they are with asynchronous callbacks; with synchronous
    /// ones, callbacks join the queue and the responses carry the callbackPending bit if it is
    /// not empty.
    pub fn deliver(&mut self, sequence: u8, frames: Vec<FromNcp>) -> Vec<Vec<u8>> {
        if !self.synchronous_callbacks() {
            return frames
                .iter()
                .filter_map(|f| self.encode(sequence, f))
                .collect();
        }
        let (callbacks, responses): (Vec<_>, Vec<_>) = frames
            .into_iter()
            .partition(|f| matches!(f, FromNcp::Callback(_)));
        self.queued_callbacks.extend(callbacks);
        let control = self.pending_bit();
        responses
            .iter()
            .filter_map(|f| self.encode_with(sequence, control, f))
            .collect()
    }

    fn pending_bit(&self) -> FrameControl {
        if self.queued_callbacks.is_empty() {
            FrameControl::empty()
        } else {
            FrameControl::CALLBACK_PENDING
        }
    }

    /// The answer to `callback`: the oldest queued callback, marked as a synchronous one (and
    /// pending if more wait), or `noCallbacks`.
    fn answer_poll(&mut self, sequence: u8) -> Vec<Vec<u8>> {
        let out = match self.queued_callbacks.pop_front() {
            Some(callback) => {
                let control = FrameControl::SYNC_CALLBACK | self.pending_bit();
                self.encode_with(sequence, control, &callback)
            }
            None => self.encode_with(
                sequence,
                FrameControl::empty(),
                &FromNcp::Response(Response::NoCallbacks(NoParams)),
            ),
        };
        out.into_iter().collect()
    }

    /// Encodes a response or callback in the extended header with `sequence`.
    pub fn encode(&self, sequence: u8, frame: &FromNcp) -> Option<Vec<u8>> {
        let control = if matches!(frame, FromNcp::Callback(_)) {
            FrameControl::ASYNC_CALLBACK
        } else {
            FrameControl::empty()
        };
        self.encode_with(sequence, control, frame)
    }

    /// Encodes with these frame-control bits besides response and format version.
    fn encode_with(&self, sequence: u8, bits: FrameControl, frame: &FromNcp) -> Option<Vec<u8>> {
        let codec = self.codec.or_else(|| FrameCodec::new(14).ok())?;
        let control = FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1 | bits;
        let header = Header {
            sequence,
            control,
            frame_id: frame.frame_id(),
        };
        match codec.encode_from_ncp(&header, frame) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                tracing::error!("emulator cannot encode {frame:?}: {e}");
                None
            }
        }
    }

    /// The default behaviour: the frames (encoded) to send back, in order.
    pub fn handle(&mut self, frame: &EzspFrameFromHost) -> Vec<Vec<u8>> {
        match frame {
            EzspFrameFromHost::Version {
                sequence,
                desired,
                legacy,
            } => self.version(*sequence, *desired, *legacy),
            EzspFrameFromHost::Command { header, command } => {
                let seq = header.sequence;
                if let Command::Callback(_) = command {
                    return self.answer_poll(seq);
                }
                let frames = self.command(command);
                self.deliver(seq, frames)
            }
            EzspFrameFromHost::Undecodable { bytes, reason } => self.invalid_command(bytes, reason),
        }
    }

    fn version(&mut self, sequence: u8, desired: u8, legacy: bool) -> Vec<Vec<u8>> {
        let ours = self.config.protocol_version;
        if desired == ours {
            self.codec = FrameCodec::new(ours).ok();
        }
        let response = FromNcp::Response(Response::Version(VersionResponse {
            protocol_version: ours,
            stack_type: self.config.stack_type,
            stack_version: self.config.stack_version,
        }));
        let (format, control) = if legacy {
            (HeaderFormat::Legacy, FrameControl::RESPONSE)
        } else {
            (
                HeaderFormat::Extended,
                FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1,
            )
        };
        let header = Header {
            sequence,
            control,
            frame_id: 0x0000,
        };
        let (Ok(mut out), Ok(params)) = (header.encode(format), response.encode_params()) else {
            return Vec::new();
        };
        out.extend(params);
        vec![out]
    }

    /// A frame it cannot decode. Once the version is negotiated, a real NCP answers a command it
    /// does not know with `invalidCommand` in place of the response, so the host fails fast
    /// instead of timing out; before that (or with an unreadable header) it stays silent.
    fn invalid_command(&self, bytes: &[u8], reason: &str) -> Vec<Vec<u8>> {
        let header = match (self.codec, Header::decode(bytes, HeaderFormat::Extended)) {
            (Some(_), Ok((header, params))) => (header, params),
            _ => {
                tracing::warn!("emulated NCP ignores an undecodable frame {bytes:02x?}: {reason}");
                return Vec::new();
            }
        };
        let (header, params) = header;
        let why = match Command::decode_params(header.frame_id, params) {
            Err(EzspError::UnknownFrameId(_)) => ezsp_status::INVALID_FRAME_ID,
            _ => ezsp_status::INVALID_VALUE,
        };
        tracing::warn!(
            "emulated NCP does not know frame {:#06x} from the host ({reason}); parameters \
             {params:02x?}; answering invalidCommand",
            header.frame_id
        );
        let frame = FromNcp::Response(Response::InvalidCommand(InvalidCommand { reason: why }));
        self.encode(header.sequence, &frame).into_iter().collect()
    }

    fn status(status: Status) -> StatusResponse {
        StatusResponse { status }
    }

    /// Default answers to a decoded command: the response first, then any callbacks.
    fn command(&mut self, command: &Command) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        let ok = Self::status(status::OK);
        match command {
            Command::Nop(_) => vec![R(Response::Nop(NoParams))],
            Command::Echo(e) => vec![R(Response::Echo(EchoResponse {
                echo: e.data.clone(),
            }))],
            Command::GetConfigurationValue(c) => {
                vec![R(Response::GetConfigurationValue(
                    GetConfigurationValueResponse {
                        status: status::OK,
                        value: self.config_values.get(&c.config_id).copied().unwrap_or(0),
                    },
                ))]
            }
            Command::SetConfigurationValue(c) => {
                let st = if self.stack_up {
                    Self::status(status::INVALID_STATE)
                } else {
                    self.config_values.insert(c.config_id, c.value);
                    ok
                };
                vec![R(Response::SetConfigurationValue(st))]
            }
            Command::SetPolicy(p) => {
                self.policies.insert(p.policy_id, p.decision_id);
                vec![R(Response::SetPolicy(ok))]
            }
            Command::GetEui64(_) => vec![R(Response::GetEui64(GetEui64Response {
                eui64: self.eui64,
            }))],
            Command::GetNodeId(_) => vec![R(Response::GetNodeId(GetNodeIdResponse {
                node_id: if self.stack_up { 0x0000 } else { 0xFFFE },
            }))],
            Command::NetworkInit(_) => {
                if self.stack_up {
                    vec![R(Response::NetworkInit(Self::status(
                        status::INVALID_STATE,
                    )))]
                } else if self.nvm.is_some() {
                    self.stack_up = true;
                    vec![
                        R(Response::NetworkInit(ok)),
                        Cb(Callback::StackStatusHandler(StackStatusHandler {
                            status: status::NETWORK_UP,
                        })),
                    ]
                } else {
                    vec![R(Response::NetworkInit(Self::status(status::NOT_JOINED)))]
                }
            }
            Command::NetworkState(_) => vec![R(Response::NetworkState(NetworkStateResponse {
                status: if self.stack_up { 2 } else { 0 },
            }))],
            Command::SetInitialSecurityState(s) => {
                self.security = Some(s.state.clone());
                vec![R(Response::SetInitialSecurityState(ok))]
            }
            Command::FormNetwork(f) => {
                if self.stack_up {
                    return vec![R(Response::FormNetwork(Self::status(
                        status::INVALID_STATE,
                    )))];
                }
                let Some(security) = &self.security else {
                    return vec![R(Response::FormNetwork(Self::status(
                        status::SECURITY_STATE_NOT_SET,
                    )))];
                };
                if !CHANNELS.contains(&f.parameters.radio_channel) {
                    return vec![R(Response::FormNetwork(Self::status(
                        status::INVALID_PARAMETER,
                    )))];
                }
                self.nvm = Some(Nvm {
                    parameters: f.parameters,
                    network_key: security.network_key.clone(),
                    network_key_sequence: security.network_key_sequence_number,
                    tc_link_key: security.preconfigured_key.clone(),
                    security_bitmask: security.bitmask,
                    nwk_frame_counter: self.initial_counter(security, value_id::NWK_FRAME_COUNTER),
                    aps_frame_counter: self.initial_counter(security, value_id::APS_FRAME_COUNTER),
                });
                self.stack_up = true;
                vec![
                    R(Response::FormNetwork(ok)),
                    Cb(Callback::StackStatusHandler(StackStatusHandler {
                        status: status::NETWORK_UP,
                    })),
                ]
            }
            Command::GetCurrentSecurityState(_) => {
                let (st, state) = match (&self.nvm, self.stack_up) {
                    (Some(nvm), true) => (
                        status::OK,
                        CurrentSecurityState {
                            bitmask: current_security_bitmask(nvm.security_bitmask),
                            trust_center_long_address: self.eui64(),
                        },
                    ),
                    _ => (
                        status::NOT_JOINED,
                        CurrentSecurityState {
                            bitmask: 0,
                            trust_center_long_address: [0; 8],
                        },
                    ),
                };
                vec![R(Response::GetCurrentSecurityState(
                    GetCurrentSecurityStateResponse { status: st, state },
                ))]
            }
            Command::GetNetworkParameters(_) => {
                let (st, parameters) = match (&self.nvm, self.stack_up) {
                    (Some(nvm), true) => (status::OK, nvm.parameters),
                    _ => (status::NOT_JOINED, NetworkParameters::default()),
                };
                vec![R(Response::GetNetworkParameters(
                    GetNetworkParametersResponse {
                        status: st,
                        node_type: 1,
                        parameters,
                    },
                ))]
            }
            Command::PermitJoining(p) => {
                if !self.stack_up {
                    return vec![R(Response::PermitJoining(Self::status(
                        status::NETWORK_DOWN,
                    )))];
                }
                self.permit_join_seconds = p.duration;
                // EmberZNet reports the change as a stack status. (It would report CLOSED again
                // when the time runs out; the emulator has no such timer.)
                let change = if p.duration == 0 {
                    status::NETWORK_CLOSED
                } else {
                    status::NETWORK_OPENED
                };
                if p.duration != 0 {
                    for device in core::mem::take(&mut self.join_on_permit) {
                        let _ = self.join_device(device);
                    }
                }
                vec![
                    R(Response::PermitJoining(ok)),
                    Cb(Callback::StackStatusHandler(StackStatusHandler {
                        status: change,
                    })),
                ]
            }
            Command::StartScan(s) => self.start_scan(s.scan_type, s.channel_mask),
            Command::SendUnicast(u) => self.send_unicast(u),
            Command::SendBroadcast(b) => {
                self.broadcast_to_devices(b.destination, &b.aps_frame, &b.message.0);
                self.send_to_many(
                    OUTGOING_BROADCAST,
                    b.destination,
                    b.aps_frame,
                    b.message_tag,
                )
            }
            Command::SendMulticast(m) => {
                let group = m.aps_frame.group_id;
                self.send_to_many(OUTGOING_MULTICAST, group, m.aps_frame, m.message_tag)
            }
            Command::GetValue(v) => vec![R(Response::GetValue(self.get_value(v.value_id)))],
            Command::SetValue(v) => {
                let counter = matches!(
                    v.value_id,
                    value_id::NWK_FRAME_COUNTER | value_id::APS_FRAME_COUNTER
                );
                let st = if v.value_id == value_id::VERSION_INFO {
                    Self::status(status::INVALID_PARAMETER)
                } else if counter && self.stack_up {
                    // Only before forming, as on the chip.
                    Self::status(status::INVALID_STATE)
                } else {
                    self.values.insert(v.value_id, v.value.0.clone());
                    ok
                };
                vec![R(Response::SetValue(st))]
            }
            Command::GetExtendedValue(v) => {
                // The NCP always answers with the value's full length, also on failure.
                let registered = u8::try_from(v.characteristics)
                    .ok()
                    .filter(|ep| self.endpoints.contains_key(ep));
                let (st, flags) = match (v.value_id, registered) {
                    (EXTENDED_VALUE_ENDPOINT_FLAGS, Some(_)) => (status::OK, 0x0001u16),
                    _ => (status::INVALID_PARAMETER, 0),
                };
                vec![R(Response::GetExtendedValue(ValueResponse {
                    status: st,
                    value: Bytes8(flags.to_le_bytes().to_vec()),
                }))]
            }
            Command::AddEndpoint(e) => {
                let st = if self.endpoints.contains_key(&e.endpoint) || e.endpoint == 0 {
                    Self::status(status::INVALID_STATE)
                } else {
                    self.endpoints.insert(e.endpoint, e.clone());
                    ok
                };
                vec![R(Response::AddEndpoint(st))]
            }
            Command::SetManufacturerCode(m) => {
                self.manufacturer_code = m.code;
                vec![R(Response::SetManufacturerCode(NoParams))]
            }
            Command::SetMulticastTableEntry(m) => {
                let st = if m.index < MULTICAST_TABLE_SIZE {
                    self.multicast_table.insert(m.index, m.entry);
                    ok
                } else {
                    Self::status(status::INVALID_INDEX)
                };
                vec![R(Response::SetMulticastTableEntry(st))]
            }
            Command::SetConcentrator(c) => {
                self.concentrator = (c.on != 0).then_some(*c);
                vec![R(Response::SetConcentrator(ok))]
            }
            Command::SetSourceRouteDiscoveryMode(m) => {
                self.source_route_discovery_mode = m.mode;
                // Off: no more many-to-one route requests; otherwise the next one is due after
                // the concentrator's minimum interval.
                let remaining_time = match (&self.concentrator, m.mode) {
                    (Some(c), 1 | 2) => u32::from(c.min_time) * 1000,
                    _ => 0,
                };
                vec![R(Response::SetSourceRouteDiscoveryMode(
                    SetSourceRouteDiscoveryModeResponse { remaining_time },
                ))]
            }
            Command::SetRadioPower(p) => {
                if let Some(nvm) = &mut self.nvm {
                    nvm.parameters.radio_tx_power = p.power;
                }
                vec![R(Response::SetRadioPower(ok))]
            }
            Command::LeaveNetwork(_) => {
                if !self.stack_up {
                    return vec![R(Response::LeaveNetwork(Self::status(
                        status::INVALID_STATE,
                    )))];
                }
                // Leaving erases the network from the tokens.
                self.stack_up = false;
                self.nvm = None;
                self.devices.clear();
                self.permit_join_seconds = 0;
                vec![
                    R(Response::LeaveNetwork(ok)),
                    Cb(Callback::StackStatusHandler(StackStatusHandler {
                        status: status::NETWORK_DOWN,
                    })),
                ]
            }
            Command::ExportKey(k) => vec![R(Response::ExportKey(self.export_key(k.context)))],
            Command::GetApsKeyInfo(k) => {
                let (st, counter) = match (&self.nvm, k.context.core_key_type) {
                    (Some(nvm), KEY_TYPE_TC_LINK) => (status::OK, nvm.aps_frame_counter),
                    (None, KEY_TYPE_TC_LINK) => (status::NOT_FOUND, 0),
                    _ => (status::INVALID_PARAMETER, 0),
                };
                vec![R(Response::GetApsKeyInfo(GetApsKeyInfoResponse {
                    eui64: self.eui64(),
                    key_data: ApsKeyMetadata {
                        bitmask: 0,
                        outgoing_frame_counter: counter,
                        incoming_frame_counter: 0,
                        ttl_in_seconds: 0,
                    },
                    status: st,
                }))]
            }
            Command::GetNetworkKeyInfo(_) => {
                let info = match &self.nvm {
                    Some(nvm) => NetworkKeyInfo {
                        network_key_set: 1,
                        alternate_network_key_set: 0,
                        network_key_sequence_number: nvm.network_key_sequence,
                        alt_network_key_sequence_number: 0,
                        network_key_frame_counter: nvm.nwk_frame_counter,
                    },
                    None => NetworkKeyInfo::default(),
                };
                vec![R(Response::GetNetworkKeyInfo(GetNetworkKeyInfoResponse {
                    status: status::OK,
                    info,
                }))]
            }
            Command::ImportTransientKey(k) => {
                self.transient_keys.insert(k.eui64, k.key.clone());
                vec![R(Response::ImportTransientKey(ok))]
            }
            Command::ClearTransientLinkKeys(_) => {
                self.transient_keys.clear();
                vec![R(Response::ClearTransientLinkKeys(NoParams))]
            }
            Command::ClearKeyTable(_) => vec![R(Response::ClearKeyTable(ok))],
            Command::SetTokenData(t) => {
                vec![R(Response::SetTokenData(Self::status(self.set_token(t))))]
            }
            Command::ImportLinkKey(k) => {
                vec![R(Response::ImportLinkKey(Self::status(
                    self.import_link_key(k),
                )))]
            }
            Command::ResetNode(_) => {
                self.reset_requested = true;
                vec![R(Response::ResetNode(NoParams))]
            }
            Command::Version(_) => Vec::new(), // handled before decoding
            other => {
                tracing::warn!("emulated NCP has no default for {other:?}");
                Vec::new()
            }
        }
    }

    /// `setTokenData`: only `STACK_RESTORED_EUI64` (8 bytes, index 0) is kept; all 0xFF
    /// clears it, as on the chip. Other tokens are not emulated.
    fn set_token(&mut self, t: &SetTokenData) -> Status {
        if !self.config.nvm3_tokens {
            return status::NOT_SUPPORTED;
        }
        if t.token != NVM3KEY_STACK_RESTORED_EUI64 {
            return status::NOT_FOUND;
        }
        let Ok(eui64) = <Eui64>::try_from(t.data.data.as_slice()) else {
            return status::INVALID_PARAMETER;
        };
        if t.index != 0 || t.data.size != 8 {
            return status::INVALID_PARAMETER;
        }
        self.restored_eui64 = (eui64 != [0xFF; 8]).then_some(eui64);
        status::OK
    }

    /// `importLinkKey`: index 0xFF replaces the entry of the EUI-64 or takes the first free
    /// one; refused while the stack is up, as herdsman expects.
    fn import_link_key(&mut self, k: &ImportLinkKey) -> Status {
        if self.stack_up {
            return status::INVALID_STATE;
        }
        let index = if k.index == KEY_TABLE_ANY_INDEX {
            let own = self
                .key_table
                .iter()
                .find(|(_, (eui64, _))| *eui64 == k.eui64)
                .map(|(i, _)| *i);
            match own.or_else(|| (0..KEY_TABLE_SIZE).find(|i| !self.key_table.contains_key(i))) {
                Some(i) => i,
                None => return status::TABLE_FULL,
            }
        } else if k.index < KEY_TABLE_SIZE {
            k.index
        } else {
            return status::INVALID_INDEX;
        };
        self.key_table.insert(index, (k.eui64, k.key.clone()));
        status::OK
    }

    /// The NWK or APS frame counter a network formed with `security` starts from: the one set
    /// with `setValue` under `NO_FRAME_COUNTER_RESET` (a restore), 0 otherwise.
    fn initial_counter(&self, security: &InitialSecurityState, id: u8) -> u32 {
        if security.bitmask & NO_FRAME_COUNTER_RESET == 0 {
            return 0;
        }
        self.values
            .get(&id)
            .and_then(|v| v.first_chunk::<4>())
            .map_or(0, |b| u32::from_le_bytes(*b))
    }

    fn get_value(&self, id: u8) -> ValueResponse {
        let value = if id == value_id::VERSION_INFO {
            let [hi, lo] = self.config.stack_version.to_be_bytes();
            let mut v = self.config.build.to_le_bytes().to_vec();
            v.extend([hi >> 4, hi & 0x0F, lo >> 4, lo & 0x0F, VERSION_TYPE_GA]);
            Some(v)
        } else {
            self.values.get(&id).cloned()
        };
        match value {
            Some(v) => ValueResponse {
                status: status::OK,
                value: Bytes8(v),
            },
            None => ValueResponse {
                status: status::INVALID_PARAMETER,
                value: Bytes8(Vec::new()),
            },
        }
    }

    fn export_key(&self, context: SecManContext) -> ExportKeyResponse {
        let key = match (&self.nvm, context.core_key_type) {
            (Some(nvm), KEY_TYPE_NETWORK) if context.key_index == 0 => Ok(nvm.network_key.clone()),
            (Some(nvm), KEY_TYPE_TC_LINK) => Ok(nvm.tc_link_key.clone()),
            (None, KEY_TYPE_NETWORK | KEY_TYPE_TC_LINK) => Err(status::NOT_FOUND),
            _ => Err(status::INVALID_PARAMETER),
        };
        match key {
            Ok(key) => ExportKeyResponse {
                status: status::OK,
                key,
                context,
            },
            Err(st) => ExportKeyResponse {
                status: st,
                key: Key::default(),
                context,
            },
        }
    }

    /// A frame goes out: the next APS sequence number; it is secured with the current NWK and
    /// APS frame counters (recorded), which then count on.
    fn next_aps_sequence(&mut self) -> u8 {
        self.aps_sequence = self.aps_sequence.wrapping_add(1);
        if let Some(nvm) = &mut self.nvm {
            self.counters_used
                .used(CounterLayer::Nwk, nvm.network_key.0, nvm.nwk_frame_counter);
            self.counters_used
                .used(CounterLayer::Aps, nvm.tc_link_key.0, nvm.aps_frame_counter);
            nvm.nwk_frame_counter = nvm.nwk_frame_counter.wrapping_add(1);
            nvm.aps_frame_counter = nvm.aps_frame_counter.wrapping_add(1);
        }
        self.aps_sequence
    }

    /// A unicast. To the coordinator itself, a ZDO request is answered by [`local_zdo`] a few
    /// ticks later; to a joined simulated device, delivery succeeds and the device's answer
    /// ([`devices::answer`]) arrives as `incomingMessageHandler` a few ticks later; to anyone
    /// else nobody answers, so the APS layer reports `ZIGBEE_DELIVERY_FAILED`.
    fn send_unicast(&mut self, u: &SendUnicast) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        if !self.stack_up {
            return vec![R(Response::SendUnicast(SendUnicastResponse {
                status: status::NETWORK_DOWN,
                sequence: 0,
            }))];
        }
        let sequence = self.next_aps_sequence();
        let mut aps_frame = u.aps_frame;
        aps_frame.sequence = sequence;
        let to_self = u.message_type == OUTGOING_DIRECT && u.index_or_destination == COORDINATOR;
        // A silent device acknowledges nothing: as if it were not there.
        let mut device = (u.message_type == OUTGOING_DIRECT)
            .then(|| self.devices.get(&u.index_or_destination).cloned())
            .flatten()
            .filter(|d| !d.zcl.silent);
        if let Some(device) = &mut device {
            let answers = zcl_device::answers(
                device,
                aps_frame.profile_id,
                aps_frame.cluster_id,
                aps_frame.source_endpoint,
                aps_frame.destination_endpoint,
                &u.message.0,
            );
            self.devices.insert(device.node_id, device.clone());
            let first = LOCAL_ZDO_DELAY_TICKS + device.zcl.answer_delay();
            for (ticks, answer) in (first..).zip(answers) {
                let (profile_id, cluster_id, source_endpoint, destination_endpoint, payload) =
                    answer;
                let aps = ApsFrame {
                    profile_id,
                    cluster_id,
                    source_endpoint,
                    destination_endpoint,
                    ..ApsFrame::default()
                };
                self.schedule_from(device, INCOMING_UNICAST, aps, payload, ticks);
            }
        }
        let delivery = if to_self || device.is_some() {
            status::OK
        } else {
            status::DELIVERY_FAILED
        };
        if to_self && aps_frame.profile_id == local_zdo::ZDO_PROFILE {
            if let Some((cluster, payload)) = local_zdo::answer(
                aps_frame.cluster_id,
                &u.message.0,
                COORDINATOR,
                &self.endpoints,
            ) {
                self.schedule_incoming(cluster, payload);
            }
        }
        vec![
            R(Response::SendUnicast(SendUnicastResponse {
                status: status::OK,
                sequence,
            })),
            Cb(Callback::MessageSentHandler(MessageSentHandler {
                status: delivery,
                message_type: u.message_type,
                index_or_destination: u.index_or_destination,
                aps_frame,
                message_tag: u.message_tag,
                message: Bytes8(Vec::new()),
            })),
        ]
    }

    /// A ZDO response from the coordinator's own stack, delivered as `incomingMessageHandler`.
    fn schedule_incoming(&mut self, cluster: u16, payload: Vec<u8>) {
        self.aps_sequence = self.aps_sequence.wrapping_add(1);
        let incoming = IncomingMessageHandler {
            message_type: INCOMING_UNICAST,
            aps_frame: ApsFrame {
                profile_id: local_zdo::ZDO_PROFILE,
                cluster_id: cluster,
                source_endpoint: 0,
                destination_endpoint: 0,
                options: 0,
                group_id: 0,
                sequence: self.aps_sequence,
            },
            packet_info: PacketInfo {
                sender_short_id: COORDINATOR,
                sender_long_id: self.eui64,
                binding_index: 0xFF,
                address_index: 0xFF,
                last_hop_lqi: 0xFF,
                last_hop_rssi: 0,
                last_hop_timestamp: 0,
            },
            message: Bytes8(payload),
        };
        self.pending.push((
            LOCAL_ZDO_DELAY_TICKS,
            0,
            FromNcp::Callback(Callback::IncomingMessageHandler(incoming)),
        ));
    }

    /// A message from a simulated device, delivered as `incomingMessageHandler` after `ticks`.
    fn schedule_from(
        &mut self,
        device: &SimulatedDevice,
        message_type: u8,
        mut aps_frame: ApsFrame,
        payload: Vec<u8>,
        ticks: u32,
    ) {
        self.aps_sequence = self.aps_sequence.wrapping_add(1);
        aps_frame.sequence = self.aps_sequence;
        let incoming = IncomingMessageHandler {
            message_type,
            aps_frame,
            packet_info: PacketInfo {
                sender_short_id: device.node_id,
                sender_long_id: device.eui64,
                binding_index: 0xFF,
                address_index: 0xFF,
                last_hop_lqi: 0xFF,
                last_hop_rssi: -40,
                last_hop_timestamp: 0,
            },
            message: Bytes8(payload),
        };
        self.pending.push((
            ticks,
            0,
            FromNcp::Callback(Callback::IncomingMessageHandler(incoming)),
        ));
    }

    /// A broadcast reaches the joined devices it is addressed to (0xFFFC routers and the
    /// coordinator; 0xFFFD and 0xFFFF every device that is listening). Of broadcasts they act
    /// only on ZDO `Mgmt_Permit_Joining_req`: a router opens itself for joining, as the
    /// specification has it, without answering.
    fn broadcast_to_devices(&mut self, destination: u16, aps_frame: &ApsFrame, message: &[u8]) {
        if self.stack_up
            && aps_frame.profile_id == local_zdo::ZDO_PROFILE
            && aps_frame.cluster_id == zcl_device::MGMT_PERMIT_JOINING_REQ
            && matches!(destination, 0xFFFC | 0xFFFD | 0xFFFF)
        {
            for device in self.devices.values_mut().filter(|d| !d.zcl.silent) {
                zcl_device::permit_joining_broadcast(device, message);
            }
        }
    }

    /// A broadcast or multicast: queued and sent; with no devices around, nothing answers.
    fn send_to_many(
        &mut self,
        message_type: OutgoingMessageType,
        destination: u16,
        aps_frame: ApsFrame,
        message_tag: u16,
    ) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        let respond = |st| SendUnicastResponse {
            status: st,
            sequence: 0,
        };
        let wrap = |r| {
            if message_type == OUTGOING_BROADCAST {
                R(Response::SendBroadcast(r))
            } else {
                R(Response::SendMulticast(r))
            }
        };
        if !self.stack_up {
            return vec![wrap(respond(status::NETWORK_DOWN))];
        }
        let sequence = self.next_aps_sequence();
        let mut aps_frame = aps_frame;
        aps_frame.sequence = sequence;
        vec![
            wrap(SendUnicastResponse {
                status: status::OK,
                sequence,
            }),
            Cb(Callback::MessageSentHandler(MessageSentHandler {
                status: status::OK,
                message_type,
                index_or_destination: destination,
                aps_frame,
                message_tag,
                message: Bytes8(Vec::new()),
            })),
        ]
    }

    fn start_scan(&mut self, scan_type: u8, channel_mask: u32) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        let channels: Vec<u8> = CHANNELS.filter(|&c| channel_mask & (1 << c) != 0).collect();
        if channels.is_empty() {
            return vec![R(Response::StartScan(Self::status(
                status::INVALID_CHANNEL_MASK,
            )))];
        }
        let mut out = vec![R(Response::StartScan(Self::status(status::OK)))];
        if scan_type == 0 {
            for channel in channels {
                let idx = usize::from(channel - 11);
                let rssi = self.config.energy.get(idx).copied().unwrap_or(-100);
                out.push(Cb(Callback::EnergyScanResultHandler(
                    EnergyScanResultHandler {
                        channel,
                        max_rssi_value: rssi,
                    },
                )));
            }
        }
        // An active scan finds no networks: there are none around an emulated stick.
        out.push(Cb(Callback::ScanCompleteHandler(ScanCompleteHandler {
            channel: 0,
            status: status::OK,
        })));
        out
    }
}

#[cfg(test)]
mod tests {
    use sealhub_radios::zigbee::ezsp::commands::configuration::{
        GetExtendedValue, GetValue, SetValue,
    };
    use sealhub_radios::zigbee::ezsp::commands::networking::{
        FormNetwork, LeaveNetwork, NetworkInit, PermitJoining,
    };
    use sealhub_radios::zigbee::ezsp::commands::security::{ExportKey, SetInitialSecurityState};

    use super::*;

    fn codec() -> FrameCodec {
        FrameCodec::new(14).unwrap()
    }

    /// Sends one command the way the driver would; returns the decoded answers.
    fn ask(ncp: &mut Ncp, seq: u8, command: Command) -> Vec<FromNcp> {
        let bytes = codec().encode_command(seq, &command).unwrap();
        let frame = EzspFrameFromHost::parse(&bytes, ncp.codec());
        ncp.handle(&frame)
            .iter()
            .map(|b| {
                let (header, f) = codec().decode_from_ncp(b).unwrap();
                assert_eq!(header.sequence, seq);
                assert_eq!(
                    header.control.contains(FrameControl::ASYNC_CALLBACK),
                    matches!(f, FromNcp::Callback(_))
                );
                f
            })
            .collect()
    }

    fn negotiated() -> Ncp {
        let mut ncp = Ncp::new(NcpConfig::default());
        // Legacy version(13): answered with 14 in the legacy header, not yet negotiated.
        let out = ncp.handle(&EzspFrameFromHost::parse(&[0, 0, 0, 13], None));
        assert_eq!(out, vec![vec![0x00, 0x80, 0x00, 14, 2, 0x20, 0x80]]);
        assert!(ncp.codec().is_none());
        let out = ncp.handle(&EzspFrameFromHost::parse(&[1, 0, 1, 0, 0, 14], None));
        assert_eq!(
            out,
            vec![vec![0x01, 0x80, 0x01, 0x00, 0x00, 14, 2, 0x20, 0x80]]
        );
        assert!(ncp.codec().is_some());
        ncp
    }

    fn unicast() -> Command {
        Command::SendUnicast(SendUnicast {
            message_type: 0,
            index_or_destination: 0x1234,
            aps_frame: ApsFrame::default(),
            message_tag: 7,
            message: Bytes8(vec![1, 2, 3]),
        })
    }

    #[test]
    fn forms_a_network_keeps_it_across_a_reboot_and_fails_unicasts_to_nobody() {
        let mut ncp = negotiated();
        assert!(matches!(
            ask(&mut ncp, 2, unicast()).as_slice(),
            [FromNcp::Response(Response::SendUnicast(r))] if r.status == status::NETWORK_DOWN
        ));
        let parameters = NetworkParameters {
            pan_id: 0xBEEF,
            radio_channel: 15,
            ..NetworkParameters::default()
        };
        let form = Command::FormNetwork(FormNetwork { parameters });
        assert!(matches!(
            ask(&mut ncp, 3, form.clone()).as_slice(),
            [FromNcp::Response(Response::FormNetwork(r))] if r.status == status::SECURITY_STATE_NOT_SET
        ));
        let state = InitialSecurityState {
            bitmask: 0x0B04,
            preconfigured_key: Key(*b"ZigBeeAlliance09"),
            network_key: Key([9; 16]),
            network_key_sequence_number: 0,
            preconfigured_trust_center_eui64: [0; 8],
        };
        ask(
            &mut ncp,
            4,
            Command::SetInitialSecurityState(SetInitialSecurityState { state }),
        );
        assert!(matches!(
            ask(&mut ncp, 5, form).as_slice(),
            [
                FromNcp::Response(Response::FormNetwork(r)),
                FromNcp::Callback(Callback::StackStatusHandler(up)),
            ] if r.status == status::OK && up.status == status::NETWORK_UP
        ));
        assert!(matches!(
            ask(&mut ncp, 6, unicast()).as_slice(),
            [
                FromNcp::Response(Response::SendUnicast(r)),
                FromNcp::Callback(Callback::MessageSentHandler(sent)),
            ] if r.status == status::OK
                && sent.status == status::DELIVERY_FAILED
                && sent.message_tag == 7
                && sent.index_or_destination == 0x1234
        ));
        assert_eq!(ncp.nvm().unwrap().nwk_frame_counter, 1);

        ncp.reboot();
        assert!(!ncp.is_network_up());
        assert!(
            ncp.codec().is_none(),
            "the version must be negotiated again"
        );
        let mut ncp = {
            let nvm = ncp.nvm().cloned();
            let mut fresh = negotiated();
            fresh.set_nvm(nvm);
            fresh
        };
        assert!(matches!(
            ask(&mut ncp, 7, Command::NetworkInit(NetworkInit { bitmask: 0 })).as_slice(),
            [
                FromNcp::Response(Response::NetworkInit(r)),
                FromNcp::Callback(Callback::StackStatusHandler(_)),
            ] if r.status == status::OK
        ));
        assert!(matches!(
            ask(&mut ncp, 8, Command::GetNetworkParameters(NoParams)).as_slice(),
            [FromNcp::Response(Response::GetNetworkParameters(r))]
                if r.parameters.pan_id == 0xBEEF && r.parameters.radio_channel == 15
        ));
    }

    fn formed() -> Ncp {
        let mut ncp = negotiated();
        let state = InitialSecurityState {
            bitmask: 0x0B84,
            preconfigured_key: Key([7; 16]),
            network_key: Key([9; 16]),
            network_key_sequence_number: 0,
            preconfigured_trust_center_eui64: [0xFF; 8],
        };
        ask(
            &mut ncp,
            2,
            Command::SetInitialSecurityState(SetInitialSecurityState { state }),
        );
        let parameters = NetworkParameters {
            pan_id: 0x1A2B,
            radio_channel: 15,
            ..NetworkParameters::default()
        };
        ask(
            &mut ncp,
            3,
            Command::FormNetwork(FormNetwork { parameters }),
        );
        assert!(ncp.is_network_up());
        ncp
    }

    fn endpoint(n: u8) -> AddEndpoint {
        AddEndpoint {
            endpoint: n,
            profile_id: 0x0104,
            device_id: 0x0065,
            device_version: 1,
            input_clusters: vec![0x0000, 0x0006],
            output_clusters: vec![0x0019],
        }
    }

    #[test]
    fn version_info_values_and_endpoint_flags() {
        let mut ncp = negotiated();
        assert_eq!(
            ask(&mut ncp, 2, Command::GetValue(GetValue { value_id: 0x11 })),
            vec![FromNcp::Response(Response::GetValue(ValueResponse {
                status: status::OK,
                // build 0x0123, 8.0.2.0, GA
                value: Bytes8(vec![0x23, 0x01, 8, 0, 2, 0, 0xAA]),
            }))]
        );
        let flags = || {
            Command::GetExtendedValue(GetExtendedValue {
                value_id: EXTENDED_VALUE_ENDPOINT_FLAGS,
                characteristics: 1,
            })
        };
        // Unregistered: a failure, but still two bytes (the host reads them either way).
        assert!(matches!(
            ask(&mut ncp, 3, flags()).as_slice(),
            [FromNcp::Response(Response::GetExtendedValue(v))]
                if v.status == status::INVALID_PARAMETER && v.value.0.len() == 2
        ));
        let add = Command::AddEndpoint(endpoint(1));
        assert!(matches!(
            ask(&mut ncp, 4, add.clone()).as_slice(),
            [FromNcp::Response(Response::AddEndpoint(r))] if r.status == status::OK
        ));
        assert!(matches!(
            ask(&mut ncp, 5, add).as_slice(),
            [FromNcp::Response(Response::AddEndpoint(r))] if r.status == status::INVALID_STATE
        ));
        assert!(matches!(
            ask(&mut ncp, 6, flags()).as_slice(),
            [FromNcp::Response(Response::GetExtendedValue(v))]
                if v.status == status::OK && v.value.0 == [1, 0]
        ));
        ask(
            &mut ncp,
            7,
            Command::SetValue(SetValue {
                value_id: value_id::STACK_TOKEN_WRITING,
                value: Bytes8(vec![1]),
            }),
        );
        assert_eq!(ncp.value(value_id::STACK_TOKEN_WRITING), Some(&[1u8][..]));
        // Endpoints live in RAM: a reboot forgets them.
        ncp.reboot();
        assert!(ncp.endpoints().is_empty());
    }

    #[test]
    fn a_zdo_request_to_itself_is_answered_a_few_ticks_later() {
        let mut ncp = formed();
        ask(&mut ncp, 4, Command::AddEndpoint(endpoint(1)));
        let request = SendUnicast {
            message_type: 0,
            index_or_destination: COORDINATOR,
            aps_frame: ApsFrame {
                cluster_id: local_zdo::ACTIVE_EP_REQ,
                options: 0x1140,
                ..ApsFrame::default()
            },
            message_tag: 9,
            message: Bytes8(vec![9, 0x00, 0x00]),
        };
        let out = ask(&mut ncp, 5, Command::SendUnicast(request));
        assert!(matches!(
            out.as_slice(),
            [
                FromNcp::Response(Response::SendUnicast(r)),
                FromNcp::Callback(Callback::MessageSentHandler(sent)),
            ] if r.status == status::OK && sent.status == status::OK && sent.message_tag == 9
        ));
        for _ in 1..LOCAL_ZDO_DELAY_TICKS {
            assert!(ncp.tick().is_empty());
        }
        let due = ncp.tick();
        assert_eq!(due.len(), 1);
        let (header, frame) = codec().decode_from_ncp(&due[0]).unwrap();
        assert!(header.control.contains(FrameControl::ASYNC_CALLBACK));
        let FromNcp::Callback(Callback::IncomingMessageHandler(incoming)) = frame else {
            panic!("{frame:?}");
        };
        assert_eq!(incoming.aps_frame.profile_id, 0);
        assert_eq!(incoming.aps_frame.cluster_id, 0x8005);
        assert_eq!(incoming.packet_info.sender_short_id, COORDINATOR);
        assert_eq!(incoming.packet_info.sender_long_id, ncp.config().eui64);
        assert_eq!(incoming.message.0, vec![9, 0, 0x00, 0x00, 1, 1]);
    }

    #[test]
    fn keys_export_and_leaving_forgets_the_network() {
        let mut ncp = negotiated();
        let export = |t: u8| {
            Command::ExportKey(ExportKey {
                context: SecManContext {
                    core_key_type: t,
                    ..SecManContext::default()
                },
            })
        };
        assert!(matches!(
            ask(&mut ncp, 2, export(1)).as_slice(),
            [FromNcp::Response(Response::ExportKey(r))] if r.status == status::NOT_FOUND
        ));
        let mut ncp = formed();
        assert!(matches!(
            ask(&mut ncp, 4, export(1)).as_slice(),
            [FromNcp::Response(Response::ExportKey(r))]
                if r.status == status::OK && r.key == Key([9; 16]) && r.context.core_key_type == 1
        ));
        assert!(matches!(
            ask(&mut ncp, 5, export(2)).as_slice(),
            [FromNcp::Response(Response::ExportKey(r))]
                if r.status == status::OK && r.key == Key([7; 16])
        ));
        assert!(matches!(
            ask(&mut ncp, 6, export(4)).as_slice(),
            [FromNcp::Response(Response::ExportKey(r))] if r.status == status::INVALID_PARAMETER
        ));
        assert!(matches!(
            ask(&mut ncp, 7, Command::GetNetworkKeyInfo(NoParams)).as_slice(),
            [FromNcp::Response(Response::GetNetworkKeyInfo(r))]
                if r.status == status::OK && r.info.network_key_set == 1
        ));
        assert!(matches!(
            ask(&mut ncp, 8, Command::PermitJoining(PermitJoining { duration: 10 })).as_slice(),
            [
                FromNcp::Response(Response::PermitJoining(r)),
                FromNcp::Callback(Callback::StackStatusHandler(s)),
            ] if r.status == status::OK && s.status == status::NETWORK_OPENED
        ));
        assert!(matches!(
            ask(&mut ncp, 9, Command::LeaveNetwork(LeaveNetwork { options: 0 })).as_slice(),
            [
                FromNcp::Response(Response::LeaveNetwork(r)),
                FromNcp::Callback(Callback::StackStatusHandler(s)),
            ] if r.status == status::OK && s.status == status::NETWORK_DOWN
        ));
        assert!(ncp.nvm().is_none());
        assert!(matches!(
            ask(&mut ncp, 10, Command::NetworkInit(NetworkInit { bitmask: 3 })).as_slice(),
            [FromNcp::Response(Response::NetworkInit(r))] if r.status == status::NOT_JOINED
        ));
    }

    #[test]
    fn a_frame_it_does_not_know_gets_invalid_command_once_negotiated() {
        let mut ncp = Ncp::new(NcpConfig::default());
        // Before negotiation: silence.
        let unknown = [5, 0x00, 0x01, 0x34, 0x12];
        assert!(
            ncp.handle(&EzspFrameFromHost::parse(&unknown, None))
                .is_empty()
        );
        let mut ncp = negotiated();
        let out = ncp.handle(&EzspFrameFromHost::parse(&unknown, ncp.codec()));
        assert_eq!(
            out,
            vec![vec![
                5,
                0x80,
                0x01,
                0x58,
                0x00,
                ezsp_status::INVALID_FRAME_ID
            ]]
        );
        // A known frame with broken parameters: invalid value.
        let truncated = [6, 0x00, 0x01, 0x22, 0x00];
        let out = ncp.handle(&EzspFrameFromHost::parse(&truncated, ncp.codec()));
        assert_eq!(
            out,
            vec![vec![6, 0x80, 0x01, 0x58, 0x00, ezsp_status::INVALID_VALUE]]
        );
    }

    #[test]
    fn an_energy_scan_reports_every_masked_channel_then_completes() {
        let mut ncp = negotiated();
        let scan = Command::StartScan(
            sealhub_radios::zigbee::ezsp::commands::networking::StartScan {
                scan_type: 0,
                channel_mask: (1 << 11) | (1 << 20) | (1 << 26),
                duration: 3,
            },
        );
        let out = ask(&mut ncp, 2, scan);
        let channels: Vec<(u8, i8)> = out
            .iter()
            .filter_map(|f| match f {
                FromNcp::Callback(Callback::EnergyScanResultHandler(r)) => {
                    Some((r.channel, r.max_rssi_value))
                }
                _ => None,
            })
            .collect();
        assert_eq!(channels, vec![(11, -40), (20, -95), (26, -49)]);
        assert!(matches!(
            out.last(),
            Some(FromNcp::Callback(Callback::ScanCompleteHandler(_)))
        ));
    }

    #[test]
    fn a_device_joins_announces_itself_and_answers_its_interview() {
        use crate::ezsp_ncp::devices::{ALLOW_JOINS, JOINS_USE_INSTALL_CODE_KEY};
        use sealhub_radios::zigbee::ezsp::commands::configuration::SetPolicy;
        use sealhub_radios::zigbee::ezsp::commands::security::ImportTransientKey;
        use sealhub_radios::zigbee::security::InstallCode;

        let code = InstallCode::new(&[
            0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16,
            0xD5, 0x05, 0xC3, 0xB5,
        ])
        .unwrap();
        let device = SimulatedDevice::light([0xA1; 8], 0x4321, Some(code.clone()));
        let mut ncp = formed();
        assert_eq!(
            ncp.join_device(device.clone()),
            Err(JoinRefusal::PermitJoinClosed)
        );
        ask(
            &mut ncp,
            4,
            Command::PermitJoining(PermitJoining { duration: 60 }),
        );
        ask(
            &mut ncp,
            5,
            Command::SetPolicy(SetPolicy {
                policy_id: devices::TRUST_CENTER_POLICY,
                decision_id: ALLOW_JOINS | JOINS_USE_INSTALL_CODE_KEY,
            }),
        );
        assert_eq!(ncp.join_device(device.clone()), Err(JoinRefusal::NoLinkKey));
        ask(
            &mut ncp,
            6,
            Command::ImportTransientKey(ImportTransientKey {
                eui64: device.eui64,
                key: Key(code.link_key().0),
            }),
        );
        assert_eq!(ncp.join_device(device.clone()), Ok(0x4321));
        assert_eq!(ncp.join_log().len(), 3);
        let decode = |b: &Vec<u8>| codec().decode_from_ncp(b).unwrap().1;
        let first: Vec<FromNcp> = ncp.tick().iter().map(decode).collect();
        assert!(matches!(
            first.as_slice(),
            [
                FromNcp::Callback(Callback::ChildJoinHandler(c)),
                FromNcp::Callback(Callback::TrustCenterJoinHandler(t)),
            ] if c.child_id == 0x4321 && t.new_node_eui64 == [0xA1; 8] && t.status == 1
        ));
        let second: Vec<FromNcp> = ncp.tick().iter().map(decode).collect();
        let [FromNcp::Callback(Callback::IncomingMessageHandler(annce))] = second.as_slice() else {
            panic!("{second:?}");
        };
        assert_eq!(annce.aps_frame.cluster_id, 0x0013);
        assert_eq!(annce.packet_info.sender_short_id, 0x4321);
        // Active_EP_req to the device: delivered, answered three ticks later.
        let request = SendUnicast {
            message_type: 0,
            index_or_destination: 0x4321,
            aps_frame: ApsFrame {
                cluster_id: 0x0005,
                ..ApsFrame::default()
            },
            message_tag: 3,
            message: Bytes8(vec![77, 0x21, 0x43]),
        };
        let out = ask(&mut ncp, 7, Command::SendUnicast(request));
        assert!(matches!(
            out.as_slice(),
            [_, FromNcp::Callback(Callback::MessageSentHandler(sent))] if sent.status == status::OK
        ));
        for _ in 1..LOCAL_ZDO_DELAY_TICKS {
            assert!(ncp.tick().is_empty());
        }
        let due: Vec<FromNcp> = ncp.tick().iter().map(decode).collect();
        let [FromNcp::Callback(Callback::IncomingMessageHandler(rsp))] = due.as_slice() else {
            panic!("{due:?}");
        };
        assert_eq!(rsp.aps_frame.cluster_id, 0x8005);
        assert_eq!(rsp.message.0, vec![77, 0, 0x21, 0x43, 1, 1]);
    }

    #[test]
    fn restored_eui64_token_takes_effect_from_the_next_boot_and_survives_reboots() {
        use sealhub_radios::zigbee::ezsp::commands::tokens::{SetTokenData, TokenData};
        let restored = [0xA7, 0x0B, 0xD8, 0x09, 0x00, 0x4B, 0x12, 0x00];
        let write = |ncp: &mut Ncp, data: Vec<u8>| {
            let command = Command::SetTokenData(SetTokenData {
                token: NVM3KEY_STACK_RESTORED_EUI64,
                index: 0,
                data: TokenData::new(data),
            });
            match ask(ncp, 3, command).as_slice() {
                [FromNcp::Response(Response::SetTokenData(r))] => r.status,
                other => panic!("unexpected {other:?}"),
            }
        };
        let mut ncp = negotiated();
        let own = ncp.config().eui64;
        assert_eq!(write(&mut ncp, vec![1, 2, 3]), status::INVALID_PARAMETER);
        assert_eq!(write(&mut ncp, restored.to_vec()), status::OK);
        assert_eq!(ncp.eui64(), own, "not before the reboot");
        assert!(matches!(
            ask(&mut ncp, 4, Command::ResetNode(NoParams)).as_slice(),
            [FromNcp::Response(Response::ResetNode(_))]
        ));
        assert!(ncp.take_reset_request());
        assert!(!ncp.take_reset_request());
        ncp.reboot();
        assert_eq!(ncp.eui64(), restored);
        assert_eq!(ncp.restored_eui64(), Some(restored));
        ncp.reboot();
        assert_eq!(ncp.eui64(), restored, "the token stays");

        let mut old = Ncp::new(NcpConfig {
            nvm3_tokens: false,
            ..NcpConfig::default()
        });
        old.handle(&EzspFrameFromHost::Version {
            sequence: 0,
            desired: 14,
            legacy: true,
        });
        assert_eq!(write(&mut old, restored.to_vec()), status::NOT_SUPPORTED);
        old.reboot();
        assert_eq!(old.eui64(), old.config().eui64);
    }

    #[test]
    fn link_keys_go_into_the_key_table_only_while_the_network_is_down_and_survive_reboots() {
        let import = |ncp: &mut Ncp, index: u8, eui64: Eui64| {
            let command = Command::ImportLinkKey(ImportLinkKey {
                index,
                eui64,
                key: Key([0x5A; 16]),
            });
            match ask(ncp, 5, command).as_slice() {
                [FromNcp::Response(Response::ImportLinkKey(r))] => r.status,
                other => panic!("unexpected {other:?}"),
            }
        };
        let mut ncp = negotiated();
        assert_eq!(import(&mut ncp, KEY_TABLE_ANY_INDEX, [1; 8]), status::OK);
        assert_eq!(import(&mut ncp, KEY_TABLE_ANY_INDEX, [2; 8]), status::OK);
        assert_eq!(import(&mut ncp, KEY_TABLE_ANY_INDEX, [1; 8]), status::OK);
        assert_eq!(
            import(&mut ncp, KEY_TABLE_SIZE, [3; 8]),
            status::INVALID_INDEX
        );
        assert_eq!(ncp.key_table_holders(), vec![[1; 8], [2; 8]]);
        ncp.reboot();
        assert_eq!(ncp.key_table_holders(), vec![[1; 8], [2; 8]]);
        let mut up = formed();
        assert_eq!(
            import(&mut up, KEY_TABLE_ANY_INDEX, [1; 8]),
            status::INVALID_STATE
        );
    }
}
