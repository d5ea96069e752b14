//! Parameter types shared by several EZSP frames (UG100 "Structures"), as little-endian `deku`
//! structs, and the helpers that read a whole parameter block and refuse trailing bytes.

use deku::no_std_io::{Read, Seek, Write};
use deku::prelude::*;
use deku::writer::Writer;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{Error, Result};

/// Parses a whole parameter block; bytes left over are an error, not silently ignored.
pub(crate) fn parse<'a, T: DekuContainerRead<'a>>(params: &'a [u8]) -> Result<T> {
    match T::from_bytes((params, 0)) {
        Ok(((rest, bit), value)) => {
            if bit != 0 || !rest.is_empty() {
                Err(Error::TrailingBytes(rest.len()))
            } else {
                Ok(value)
            }
        }
        Err(DekuError::Incomplete(_)) => Err(Error::Truncated),
        Err(e) => Err(Error::Parameters(e.to_string())),
    }
}

/// Writes a parameter block.
pub(crate) fn write<T: DekuContainerWrite>(value: &T) -> Result<Vec<u8>> {
    value.to_bytes().map_err(|e| match e {
        DekuError::InvalidParam(msg) => Error::Parameters(msg.to_string()),
        other => Error::Parameters(other.to_string()),
    })
}

/// A 32-bit `sl_status_t` (EZSP >= 14): 0 is success; every other value is an error code from
/// Silicon Labs' status table, kept raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct Status(pub u32);

impl Status {
    /// `SL_STATUS_OK`.
    pub const OK: Self = Self(0);

    /// Whether the NCP reports success.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }
}

/// An IEEE EUI-64, in the byte order EZSP sends it (little-endian).
pub type Eui64 = [u8; 8];

/// A byte string with a one-byte length prefix (message contents, echo data).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes8(pub Vec<u8>);

impl<'a, Ctx: Copy> DekuReader<'a, Ctx> for Bytes8 {
    fn from_reader_with_ctx<R: Read + Seek>(
        reader: &mut Reader<R>,
        _ctx: Ctx,
    ) -> core::result::Result<Self, DekuError> {
        let len = u8::from_reader_with_ctx(reader, ())?;
        let mut bytes = Vec::with_capacity(usize::from(len));
        for _ in 0..len {
            bytes.push(u8::from_reader_with_ctx(reader, ())?);
        }
        Ok(Self(bytes))
    }
}

impl<Ctx: Copy> DekuWriter<Ctx> for Bytes8 {
    fn to_writer<W: Write + Seek>(
        &self,
        writer: &mut Writer<W>,
        _ctx: Ctx,
    ) -> core::result::Result<(), DekuError> {
        let len = u8::try_from(self.0.len())
            .map_err(|_| DekuError::InvalidParam("byte string longer than 255".into()))?;
        len.to_writer(writer, ())?;
        self.0.to_writer(writer, ())
    }
}

/// The APS frame header of a message (`EmberApsFrame`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct ApsFrame {
    /// Application profile (0x0104 Home Automation).
    pub profile_id: u16,
    /// ZCL cluster.
    pub cluster_id: u16,
    /// Sending endpoint.
    pub source_endpoint: u8,
    /// Receiving endpoint.
    pub destination_endpoint: u8,
    /// `EmberApsOption` bits (retry, enable route discovery, ...).
    pub options: u16,
    /// Multicast group, 0 otherwise.
    pub group_id: u16,
    /// APS counter (set by the stack when sending).
    pub sequence: u8,
}

/// How a message was addressed (`EmberOutgoingMessageType`, one byte).
pub type OutgoingMessageType = u8;

/// Network parameters (`EmberNetworkParameters`) for forming and reporting a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct NetworkParameters {
    /// Extended PAN ID.
    pub extended_pan_id: [u8; 8],
    /// PAN ID.
    pub pan_id: u16,
    /// Transmit power in dBm.
    pub radio_tx_power: i8,
    /// 802.15.4 channel, 11..=26.
    pub radio_channel: u8,
    /// `EmberJoinMethod`.
    pub join_method: u8,
    /// Network manager's node ID.
    pub nwk_manager_id: u16,
    /// Network update ID.
    pub nwk_update_id: u8,
    /// Channel mask for frequency agility.
    pub channels: u32,
}

/// Where an incoming message came from (`sl_zigbee_rx_packet_info_t`, EZSP >= 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct PacketInfo {
    /// Sender's node ID.
    pub sender_short_id: u16,
    /// Sender's EUI-64 when known, zeros otherwise.
    pub sender_long_id: Eui64,
    /// Binding table index, 0xFF for none.
    pub binding_index: u8,
    /// Address table index, 0xFF for none.
    pub address_index: u8,
    /// Link quality of the last hop.
    pub last_hop_lqi: u8,
    /// RSSI of the last hop in dBm.
    pub last_hop_rssi: i8,
    /// Timestamp of the last hop, in the NCP's clock.
    pub last_hop_timestamp: u32,
}

/// A 128-bit Zigbee key on the wire; zeroized on drop and never printed.
#[derive(Clone, PartialEq, Eq, Default, DekuRead, DekuWrite, Zeroize, ZeroizeOnDrop)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct Key(pub [u8; 16]);

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// Which key a security-manager call is about (`sl_zb_sec_man_context_t`, EZSP >= 13): the key
/// type, table index and derivation, the partner's EUI-64 for link keys, and flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct SecManContext {
    /// `sl_zb_sec_man_key_type_t`: 1 network key, 2 trust-center link key, 4 application link
    /// key, ...
    pub core_key_type: u8,
    /// Index in the key's table (0 = the current network key).
    pub key_index: u8,
    /// `sl_zb_sec_man_derived_key_type_t` (0 = the key itself, not a derivative).
    pub derived_type: u16,
    /// Partner of a link key, zeros otherwise.
    pub eui64: Eui64,
    /// Network index on a multi-network stack.
    pub multi_network_index: u8,
    /// `sl_zb_sec_man_flags_t`.
    pub flags: u8,
    /// PSA key algorithm permission (chips with a secure vault).
    pub psa_key_alg_permission: u32,
}

/// The network key's state (`sl_zb_sec_man_network_key_info_t`), without the key itself: what a
/// backup needs besides the exported key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct NetworkKeyInfo {
    /// Whether a network key is set (boolean byte).
    pub network_key_set: u8,
    /// Whether an alternate (next) network key is set (boolean byte).
    pub alternate_network_key_set: u8,
    /// The current key's sequence number.
    pub network_key_sequence_number: u8,
    /// The alternate key's sequence number.
    pub alt_network_key_sequence_number: u8,
    /// Outgoing NWK frame counter under the current key.
    pub network_key_frame_counter: u32,
}

/// One multicast (group) table entry (`EmberMulticastTableEntry`): the NCP delivers messages
/// for the group to the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct MulticastTableEntry {
    /// The group ID.
    pub multicast_id: u16,
    /// The endpoint that is a member, 0 for an unused entry.
    pub endpoint: u8,
    /// Network index.
    pub network_index: u8,
}
