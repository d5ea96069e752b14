//! How the emulated stick presents itself ([`NcpConfig`]: protocol, firmware, EUI-64, energy
//! per channel, token support, callback mode) and what its tokens keep across reboots and
//! unplugging ([`Nvm`]).

use sealhub_radios::zigbee::ezsp::types::{Eui64, Key, NetworkParameters};

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
    /// (VERSION_INFO)` reports the same digits. `None`: the EmberZNet release that speaks
    /// `protocol_version` ([`super::super::releases`]), as a real stick would report.
    pub stack_version: Option<u16>,
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

impl NcpConfig {
    /// The stack version it reports: the configured one, or the release that speaks its
    /// protocol.
    pub fn reported_stack_version(&self) -> u16 {
        self.stack_version.unwrap_or_else(|| {
            super::super::releases::reported_for(self.protocol_version).stack_version()
        })
    }
}

impl Default for NcpConfig {
    /// Protocol 14 (so EmberZNet 8.0.2, [`super::super::releases`]), a made-up EUI-64 and a band where
    /// channel 20 is clearly the quietest.
    fn default() -> Self {
        Self {
            protocol_version: 14,
            stack_type: 2,
            stack_version: None,
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
