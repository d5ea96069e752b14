//! What the stick is and can do: the commands the host sends once after opening the port
//! (version, capabilities, node list, home id, setup) and the stick's own start notice.
//!
//! Implemented: the request/response pairs for GetControllerVersion (0x15),
//! GetSerialApiCapabilities (0x07), GetControllerCapabilities (0x05), GetSerialApiInitData
//! (0x02), GetControllerId (0x20, 8-bit node ids only), SerialApiSetup (0x0B: GetSupportedCommands,
//! SetTxStatusReport, GetPowerlevel and GetRFRegion decoded, any other sub-command kept raw), SoftReset (0x08, request only)
//! and the unsolicited SerialApiStarted (0x0A). Not implemented: 16-bit (Long Range) node ids.

use deku::prelude::*;

use super::{Error, Result, decode_exact, encode_deku};

bitflags::bitflags! {
    /// GetControllerCapabilities: the controller's role in its network.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct ControllerCapabilities: u8 {
        /// The controller is secondary (it did not create the network).
        const SECONDARY = 0x01;
        /// The controller was included into another network.
        const ON_OTHER_NETWORK = 0x02;
        /// A SUC ID Server (SIS) is present in the network.
        const SIS_PRESENT = 0x04;
        /// The controller was the primary before a controller shift.
        const WAS_REAL_PRIMARY = 0x08;
        /// The controller is the Static Update Controller.
        const SUC = 0x10;
        /// No nodes are included yet.
        const NO_NODES_INCLUDED = 0x20;
    }
}

bitflags::bitflags! {
    /// GetSerialApiInitData: capability byte of the Serial API itself.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct InitDataCapabilities: u8 {
        /// The stick runs end-node firmware, not controller firmware.
        const END_NODE = 0x01;
        /// The stick supports timer functions.
        const TIMERS = 0x02;
        /// The controller is not the primary.
        const SECONDARY = 0x04;
        /// The controller is the SIS.
        const SIS = 0x08;
    }
}

/// GetControllerVersion response: the library version string and library type, logged and used
/// to pick SDK-dependent encodings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerVersion {
    /// e.g. `"Z-Wave 4.05"`, sent NUL-terminated (the NUL is not kept here).
    pub library_version: String,
    /// Library type (0x01 static controller, 0x07 bridge controller, …).
    pub library_type: u8,
}

impl ControllerVersion {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        let nul = payload
            .iter()
            .position(|b| *b == 0)
            .ok_or(Error::Truncated { function: 0x15 })?;
        let text = payload.get(..nul).unwrap_or_default();
        let library_version = String::from_utf8(text.to_vec()).map_err(|_| Error::Malformed {
            function: 0x15,
            reason: "library version is not UTF-8".into(),
        })?;
        match payload.get(nul + 1..) {
            Some([library_type]) => Ok(ControllerVersion {
                library_version,
                library_type: *library_type,
            }),
            Some([]) | None => Err(Error::Truncated { function: 0x15 }),
            Some(rest) => Err(Error::TrailingBytes {
                function: 0x15,
                count: rest.len() - 1,
            }),
        }
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        if self.library_version.as_bytes().contains(&0) {
            return Err(Error::Malformed {
                function: 0x15,
                reason: "library version contains NUL".into(),
            });
        }
        let mut out = self.library_version.as_bytes().to_vec();
        out.push(0);
        out.push(self.library_type);
        Ok(out)
    }
}

/// GetSerialApiCapabilities response: firmware version, ids and which function ids the stick
/// implements, so the driver never sends one it lacks.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "big")]
pub struct SerialApiCapabilities {
    /// Serial API firmware major version.
    pub firmware_major: u8,
    /// Serial API firmware minor version.
    pub firmware_minor: u8,
    /// Manufacturer id.
    pub manufacturer_id: u16,
    /// Product type.
    pub product_type: u16,
    /// Product id.
    pub product_id: u16,
    /// Bit `n` of byte `k` set ⇔ function id `8k + n + 1` supported.
    pub supported_functions: [u8; 32],
}

impl SerialApiCapabilities {
    /// Whether the stick implements `function` (function 0 is never supported).
    pub fn supports(&self, function: u8) -> bool {
        let Some(index) = function.checked_sub(1) else {
            return false;
        };
        self.supported_functions
            .get(usize::from(index / 8))
            .is_some_and(|byte| byte & (1 << (index % 8)) != 0)
    }

    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        decode_exact(0x07, payload)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x07, self)
    }
}

/// GetSerialApiInitData response: API version, role and the list of included nodes.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialApiInitData {
    /// Serial API version.
    pub api_version: u8,
    /// Role and features.
    #[deku(
        map = "|b: u8| -> core::result::Result<_, DekuError> { \
               Ok(InitDataCapabilities::from_bits_retain(b)) }",
        writer = "self.capabilities.bits().to_writer(deku::writer, ())"
    )]
    pub capabilities: InitDataCapabilities,
    #[deku(temp, temp_value = "super::len_u8(node_mask.len())?")]
    node_mask_len: u8,
    /// Bit `n` of byte `k` set ⇔ node `8k + n + 1` is in the network (29 bytes on 8-bit
    /// node-id sticks).
    #[deku(count = "node_mask_len")]
    pub node_mask: Vec<u8>,
    /// Chip type and version, sent by newer firmware only.
    #[deku(read_all)]
    pub chip: Vec<u8>,
}

impl SerialApiInitData {
    /// The node ids the stick reports as included.
    pub fn node_ids(&self) -> Vec<u16> {
        super::parse_node_mask(&self.node_mask)
    }

    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        let data: Self = decode_exact(0x02, payload)?;
        if !matches!(data.chip.len(), 0 | 2) {
            return Err(Error::TrailingBytes {
                function: 0x02,
                count: data.chip.len(),
            });
        }
        Ok(data)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x02, self)
    }
}

/// GetControllerId (MemoryGetId) response: the network's home id and the stick's node id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "big")]
pub struct ControllerId {
    /// Home id of the network the stick belongs to.
    pub home_id: u32,
    /// The stick's own node id (8-bit node-id mode).
    pub node_id: u8,
}

impl ControllerId {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        decode_exact(0x20, payload)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x20, self)
    }
}

/// SerialApiSetup sub-command ids this module decodes.
mod setup_id {
    pub const UNSUPPORTED: u8 = 0x00;
    pub const GET_SUPPORTED_COMMANDS: u8 = 0x01;
    pub const SET_TX_STATUS_REPORT: u8 = 0x02;
    pub const GET_POWERLEVEL: u8 = 0x08;
    pub const GET_RF_REGION: u8 = 0x20;
}

/// RF region codes (SerialApiSetup GetRFRegion / SetRFRegion).
pub mod rf_region {
    /// Europe.
    pub const EUROPE: u8 = 0x00;
    /// USA.
    pub const USA: u8 = 0x01;
    /// Australia / New Zealand.
    pub const ANZ: u8 = 0x02;
    /// Hong Kong.
    pub const HONG_KONG: u8 = 0x03;
    /// India.
    pub const INDIA: u8 = 0x05;
    /// Israel.
    pub const ISRAEL: u8 = 0x06;
    /// Russia.
    pub const RUSSIA: u8 = 0x07;
    /// China.
    pub const CHINA: u8 = 0x08;
    /// USA with Long Range.
    pub const USA_LONG_RANGE: u8 = 0x09;
    /// Japan.
    pub const JAPAN: u8 = 0x20;
    /// Korea.
    pub const KOREA: u8 = 0x21;
    /// Unknown / not set.
    pub const UNKNOWN: u8 = 0xFE;
}

/// SerialApiSetup request (0x0B): configures the Serial API itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupRequest {
    /// Which sub-commands the stick supports.
    GetSupportedCommands,
    /// Turn the extended transmit report in SendData callbacks on or off.
    SetTxStatusReport {
        /// Whether to send the report.
        enabled: bool,
    },
    /// The configured transmit power (0x08).
    GetPowerlevel,
    /// The configured RF region (0x20).
    GetRfRegion,
    /// Any other sub-command, carried raw.
    Other {
        /// Sub-command id.
        command: u8,
        /// Its bytes.
        data: Vec<u8>,
    },
}

impl SetupRequest {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        let (&command, data) = payload
            .split_first()
            .ok_or(Error::Truncated { function: 0x0B })?;
        match (command, data) {
            (setup_id::GET_SUPPORTED_COMMANDS, []) => Ok(Self::GetSupportedCommands),
            (setup_id::SET_TX_STATUS_REPORT, [0xFF]) => {
                Ok(Self::SetTxStatusReport { enabled: true })
            }
            (setup_id::SET_TX_STATUS_REPORT, [0x00]) => {
                Ok(Self::SetTxStatusReport { enabled: false })
            }
            (setup_id::GET_POWERLEVEL, []) => Ok(Self::GetPowerlevel),
            (setup_id::GET_RF_REGION, []) => Ok(Self::GetRfRegion),
            (
                setup_id::GET_SUPPORTED_COMMANDS
                | setup_id::SET_TX_STATUS_REPORT
                | setup_id::GET_POWERLEVEL
                | setup_id::GET_RF_REGION,
                _,
            ) => Err(Error::Malformed {
                function: 0x0B,
                reason: format!("sub-command {command:#04x} with {} bytes", data.len()),
            }),
            _ => Ok(Self::Other {
                command,
                data: data.to_vec(),
            }),
        }
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        match self {
            Self::GetSupportedCommands => vec![setup_id::GET_SUPPORTED_COMMANDS],
            Self::SetTxStatusReport { enabled } => vec![
                setup_id::SET_TX_STATUS_REPORT,
                if *enabled { 0xFF } else { 0x00 },
            ],
            Self::GetPowerlevel => vec![setup_id::GET_POWERLEVEL],
            Self::GetRfRegion => vec![setup_id::GET_RF_REGION],
            Self::Other { command, data } => {
                let mut out = vec![*command];
                out.extend_from_slice(data);
                out
            }
        }
    }
}

/// How a stick encodes the GetSupportedCommands bitmask; it changed in SDK 7.19.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportedCommandsEncoding {
    /// SDK before 7.19.1: bit `n` of byte `k` ⇔ sub-command `8k + n`.
    Before7_19_1,
    /// SDK 7.19.1 and later: bit `n` of byte `k` ⇔ sub-command `8k + n + 1`.
    Since7_19_1,
}

/// SerialApiSetup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupResponse {
    /// The stick does not know the sub-command it was sent.
    Unsupported {
        /// The sub-command it refused.
        command: u8,
    },
    /// The supported sub-commands, as a legacy flag byte and a bitmask whose meaning depends on
    /// the SDK version (see [`SetupResponse::supported_commands`]).
    GetSupportedCommands {
        /// Legacy byte: bit `n` ⇔ sub-command `1 << n`.
        legacy_flags: u8,
        /// The full bitmask.
        bitmask: Vec<u8>,
    },
    /// Whether SetTxStatusReport took effect.
    SetTxStatusReport {
        /// Status byte as sent; non-zero means success.
        status: u8,
    },
    /// GetPowerlevel: normal transmit power and the measured output at 0 dBm, both in
    /// tenths of a dBm (signed).
    Powerlevel {
        /// Transmit power, 0.1 dBm.
        tx_power: i8,
        /// Measured output at a 0 dBm setting (calibration), 0.1 dBm.
        measured_0dbm: i8,
    },
    /// GetRFRegion: the region code ([`rf_region`]).
    RfRegion {
        /// Region code.
        region: u8,
    },
    /// Any other sub-command's answer, raw.
    Other {
        /// Sub-command id.
        command: u8,
        /// Its bytes.
        data: Vec<u8>,
    },
}

impl SetupResponse {
    /// The sub-commands a GetSupportedCommands answer lists, read with the encoding of the
    /// stick's SDK (from GetControllerVersion / GetProtocolVersion); empty for other answers.
    pub fn supported_commands(&self, encoding: SupportedCommandsEncoding) -> Vec<u8> {
        let Self::GetSupportedCommands { bitmask, .. } = self else {
            return Vec::new();
        };
        let offset = match encoding {
            SupportedCommandsEncoding::Before7_19_1 => 0,
            SupportedCommandsEncoding::Since7_19_1 => 1,
        };
        let mut out = Vec::new();
        for (k, byte) in bitmask.iter().enumerate() {
            for bit in 0..8 {
                if byte & (1 << bit) != 0 {
                    let value = k * 8 + bit + offset;
                    if let Ok(value) = u8::try_from(value) {
                        out.push(value);
                    }
                }
            }
        }
        out
    }

    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        let (&command, data) = payload
            .split_first()
            .ok_or(Error::Truncated { function: 0x0B })?;
        match command {
            setup_id::UNSUPPORTED => match data {
                [command] => Ok(Self::Unsupported { command: *command }),
                _ => Err(Error::Malformed {
                    function: 0x0B,
                    reason: "unsupported-command answer without exactly one byte".into(),
                }),
            },
            setup_id::GET_SUPPORTED_COMMANDS => {
                let (&legacy_flags, bitmask) = data
                    .split_first()
                    .ok_or(Error::Truncated { function: 0x0B })?;
                Ok(Self::GetSupportedCommands {
                    legacy_flags,
                    bitmask: bitmask.to_vec(),
                })
            }
            setup_id::SET_TX_STATUS_REPORT => match data {
                [status] => Ok(Self::SetTxStatusReport { status: *status }),
                _ => Err(Error::Malformed {
                    function: 0x0B,
                    reason: "SetTxStatusReport answer without exactly one byte".into(),
                }),
            },
            setup_id::GET_POWERLEVEL => match data {
                [tx, measured] => Ok(Self::Powerlevel {
                    tx_power: i8::from_be_bytes([*tx]),
                    measured_0dbm: i8::from_be_bytes([*measured]),
                }),
                _ => Err(Error::Malformed {
                    function: 0x0B,
                    reason: "GetPowerlevel answer without exactly two bytes".into(),
                }),
            },
            setup_id::GET_RF_REGION => match data {
                [region] => Ok(Self::RfRegion { region: *region }),
                _ => Err(Error::Malformed {
                    function: 0x0B,
                    reason: "GetRFRegion answer without exactly one byte".into(),
                }),
            },
            _ => Ok(Self::Other {
                command,
                data: data.to_vec(),
            }),
        }
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        match self {
            Self::Unsupported { command } => vec![setup_id::UNSUPPORTED, *command],
            Self::GetSupportedCommands {
                legacy_flags,
                bitmask,
            } => {
                let mut out = vec![setup_id::GET_SUPPORTED_COMMANDS, *legacy_flags];
                out.extend_from_slice(bitmask);
                out
            }
            Self::SetTxStatusReport { status } => vec![setup_id::SET_TX_STATUS_REPORT, *status],
            Self::Powerlevel {
                tx_power,
                measured_0dbm,
            } => vec![
                setup_id::GET_POWERLEVEL,
                tx_power.to_be_bytes()[0],
                measured_0dbm.to_be_bytes()[0],
            ],
            Self::RfRegion { region } => vec![setup_id::GET_RF_REGION, *region],
            Self::Other { command, data } => {
                let mut out = vec![*command];
                out.extend_from_slice(data);
                out
            }
        }
    }
}

/// SerialApiStarted (0x0A), sent by the stick after it (re)starts: the host must re-run its
/// setup and forget any transaction in flight.
#[deku_derive(DekuRead, DekuWrite)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialApiStarted {
    /// Why the stick started (0x00 reset, 0x01 watchdog, …; kept raw).
    pub wake_up_reason: u8,
    /// 0x01 if the watchdog is running.
    pub watchdog_started: u8,
    /// Device option mask (listening flag and others; kept raw).
    pub device_option: u8,
    /// Generic device class.
    pub generic_class: u8,
    /// Specific device class.
    pub specific_class: u8,
    #[deku(temp, temp_value = "super::len_u8(command_classes.len())?")]
    cc_len: u8,
    /// Command classes the stick itself supports.
    #[deku(count = "cc_len")]
    pub command_classes: Vec<u8>,
    /// Newer firmware appends a byte of Long Range support flags; kept raw.
    #[deku(read_all)]
    pub trailer: Vec<u8>,
}

impl SerialApiStarted {
    pub(super) fn decode(payload: &[u8]) -> Result<Self> {
        let started: Self = decode_exact(0x0A, payload)?;
        if started.trailer.len() > 1 {
            return Err(Error::TrailingBytes {
                function: 0x0A,
                count: started.trailer.len() - 1,
            });
        }
        Ok(started)
    }

    pub(super) fn encode(&self) -> Result<Vec<u8>> {
        encode_deku(0x0A, self)
    }
}
