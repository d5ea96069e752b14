//! Cluster-specific commands and attribute definitions for the clusters sealhub uses, one file
//! per cluster or close group. Each file has the cluster ID, its attribute IDs with their data
//! types ([`AttributeDef`]), and one enum per direction of its commands (`ToServer`: hub →
//! device, `ToClient`: device → hub), decoded by command ID with a `match`. [`ClusterCommand`]
//! dispatches on (cluster ID, direction).
//!
//! Command payloads are little-endian `deku` structs. Fields that later ZCL revisions appended
//! (Level/Color "options", the IAS zone ID and delay, a door-lock PIN) are [`Trailing`]: absent
//! when the frame ends before them, as older devices send.

pub mod basic;
pub mod color;
pub mod door_lock;
pub mod energy;
pub mod ias_zone;
pub mod identify;
pub mod level;
pub mod measurement;
pub mod on_off;
pub mod thermostat;

use deku::no_std_io::{Read, Seek, Write};
use deku::prelude::*;
use deku::writer::Writer;

use super::types::DataType;
use super::{Direction, Error, Result};

/// An attribute of a cluster: its ID and the data type devices report it with, so the hub can
/// check a report and build reads, writes and reporting configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttributeDef {
    /// Attribute ID.
    pub id: u16,
    /// Its data type.
    pub data_type: DataType,
    /// Name in the ZCL specification, for logs.
    pub name: &'static str,
}

/// Declares an attribute constant.
macro_rules! attribute {
    ($(#[$m:meta])* $name:ident = $id:literal, $ty:ident, $text:literal) => {
        $(#[$m])*
        pub const $name: $crate::zigbee::zcl::clusters::AttributeDef =
            $crate::zigbee::zcl::clusters::AttributeDef {
                id: $id,
                data_type: $crate::zigbee::zcl::types::DataType::$ty,
                name: $text,
            };
    };
}
pub(crate) use attribute;

/// Parses a whole command payload with deku; leftovers are refused.
pub(crate) fn parse<'a, T: DekuContainerRead<'a>>(bytes: &'a [u8]) -> Result<T> {
    match T::from_bytes((bytes, 0)) {
        Ok(((rest, bit), value)) => {
            if bit != 0 || !rest.is_empty() {
                Err(Error::TrailingBytes(rest.len()))
            } else {
                Ok(value)
            }
        }
        Err(DekuError::Incomplete(_)) => Err(Error::Truncated),
        Err(e) => Err(Error::Invalid(e.to_string())),
    }
}

/// Writes a command payload with deku.
pub(crate) fn write<T: DekuContainerWrite>(value: &T) -> Result<Vec<u8>> {
    value.to_bytes().map_err(|e| Error::Invalid(e.to_string()))
}

/// A command without payload (Off, On, Toggle, Identify Query, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, DekuRead, DekuWrite)]
pub struct Empty {}

/// A field a later ZCL revision appended: `None` when the frame ends before it. Must be last
/// (or followed only by other `Trailing` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Trailing<T>(pub Option<T>);

impl<'a, T, Ctx: Copy> DekuReader<'a, Ctx> for Trailing<T>
where
    T: DekuReader<'a, Ctx>,
{
    fn from_reader_with_ctx<R: Read + Seek>(
        reader: &mut Reader<R>,
        ctx: Ctx,
    ) -> core::result::Result<Self, DekuError> {
        if reader.end() {
            Ok(Self(None))
        } else {
            T::from_reader_with_ctx(reader, ctx).map(|v| Self(Some(v)))
        }
    }
}

impl<T, Ctx: Copy> DekuWriter<Ctx> for Trailing<T>
where
    T: DekuWriter<Ctx>,
{
    fn to_writer<W: Write + Seek>(
        &self,
        writer: &mut Writer<W>,
        ctx: Ctx,
    ) -> core::result::Result<(), DekuError> {
        match &self.0 {
            Some(v) => v.to_writer(writer, ctx),
            None => Ok(()),
        }
    }
}

/// A ZCL octet or character string inside a command: one length byte, 0xFF meaning "invalid"
/// (kept as `None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ZclBytes(pub Option<Vec<u8>>);

impl<'a, Ctx: Copy> DekuReader<'a, Ctx> for ZclBytes {
    fn from_reader_with_ctx<R: Read + Seek>(
        reader: &mut Reader<R>,
        _ctx: Ctx,
    ) -> core::result::Result<Self, DekuError> {
        let len = u8::from_reader_with_ctx(reader, ())?;
        if len == 0xFF {
            return Ok(Self(None));
        }
        let mut bytes = Vec::with_capacity(usize::from(len));
        for _ in 0..len {
            bytes.push(u8::from_reader_with_ctx(reader, ())?);
        }
        Ok(Self(Some(bytes)))
    }
}

impl<Ctx: Copy> DekuWriter<Ctx> for ZclBytes {
    fn to_writer<W: Write + Seek>(
        &self,
        writer: &mut Writer<W>,
        _ctx: Ctx,
    ) -> core::result::Result<(), DekuError> {
        match &self.0 {
            None => 0xFFu8.to_writer(writer, ()),
            Some(bytes) => {
                let len = u8::try_from(bytes.len())
                    .ok()
                    .filter(|n| *n != 0xFF)
                    .ok_or_else(|| DekuError::InvalidParam("string over 254 bytes".into()))?;
                len.to_writer(writer, ())?;
                bytes.to_writer(writer, ())
            }
        }
    }
}

/// Declares the commands of one cluster in one direction: the enum, `command_id`, `decode` (a
/// `match` on the command ID) and `encode`.
macro_rules! cluster_commands {
    ($cluster:expr, $(#[$m:meta])* $name:ident {
        $( $(#[$vm:meta])* $variant:ident($ty:ty) = $id:literal, )*
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vm])* $variant($ty), )*
        }

        impl $name {
            /// The command ID.
            pub fn command_id(&self) -> u8 {
                match self {
                    $( Self::$variant(_) => $id, )*
                }
            }

            /// Decodes the payload of command `command_id`; trailing bytes refused.
            pub fn decode(command_id: u8, payload: &[u8]) -> $crate::zigbee::zcl::Result<Self> {
                match command_id {
                    $( $id => Ok(Self::$variant($crate::zigbee::zcl::clusters::parse(payload)?)), )*
                    other => Err($crate::zigbee::zcl::Error::UnknownCommand {
                        cluster: Some($cluster),
                        command_id: other,
                    }),
                }
            }

            /// Encodes the payload.
            pub fn encode(&self) -> $crate::zigbee::zcl::Result<Vec<u8>> {
                match self {
                    $( Self::$variant(p) => $crate::zigbee::zcl::clusters::write(p), )*
                }
            }
        }
    };
}
pub(crate) use cluster_commands;

/// Declares [`ClusterCommand`] from (cluster ID, direction) → command enum.
macro_rules! cluster_dispatch {
    ($( $(#[$vm:meta])* $variant:ident($ty:ty) = ($cluster:expr, $dir:ident), )*) => {
        /// A cluster-specific command of one of the clusters sealhub implements.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ClusterCommand {
            $( $(#[$vm])* $variant($ty), )*
        }

        impl ClusterCommand {
            /// Decodes by cluster ID and direction, then by command ID.
            pub fn decode(
                cluster_id: u16,
                direction: Direction,
                command_id: u8,
                payload: &[u8],
            ) -> Result<Self> {
                $(
                    if cluster_id == $cluster && direction == Direction::$dir {
                        return Ok(Self::$variant(<$ty>::decode(command_id, payload)?));
                    }
                )*
                Err(Error::UnknownCommand { cluster: Some(cluster_id), command_id })
            }

            /// The cluster it belongs to.
            pub fn cluster_id(&self) -> u16 {
                match self {
                    $( Self::$variant(_) => $cluster, )*
                }
            }

            /// The direction it travels in.
            pub fn direction(&self) -> Direction {
                match self {
                    $( Self::$variant(_) => Direction::$dir, )*
                }
            }

            /// Its command ID.
            pub fn command_id(&self) -> u8 {
                match self {
                    $( Self::$variant(c) => c.command_id(), )*
                }
            }

            /// Encodes the payload.
            pub fn encode(&self) -> Result<Vec<u8>> {
                match self {
                    $( Self::$variant(c) => c.encode(), )*
                }
            }
        }
    };
}

cluster_dispatch! {
    /// Basic, hub → device.
    Basic(basic::ToServer) = (basic::CLUSTER_ID, ClientToServer),
    /// Identify, hub → device.
    Identify(identify::ToServer) = (identify::CLUSTER_ID, ClientToServer),
    /// Identify, device → hub.
    IdentifyReply(identify::ToClient) = (identify::CLUSTER_ID, ServerToClient),
    /// On/Off, hub → device.
    OnOff(on_off::ToServer) = (on_off::CLUSTER_ID, ClientToServer),
    /// Level Control, hub → device.
    LevelControl(level::ToServer) = (level::CLUSTER_ID, ClientToServer),
    /// Color Control, hub → device.
    ColorControl(color::ToServer) = (color::CLUSTER_ID, ClientToServer),
    /// Door Lock, hub → lock.
    DoorLock(door_lock::ToServer) = (door_lock::CLUSTER_ID, ClientToServer),
    /// Door Lock, lock → hub.
    DoorLockReply(door_lock::ToClient) = (door_lock::CLUSTER_ID, ServerToClient),
    /// Thermostat, hub → thermostat.
    Thermostat(thermostat::ToServer) = (thermostat::CLUSTER_ID, ClientToServer),
    /// IAS Zone, hub (CIE) → zone.
    IasZone(ias_zone::ToServer) = (ias_zone::CLUSTER_ID, ClientToServer),
    /// IAS Zone, zone → hub.
    IasZoneReport(ias_zone::ToClient) = (ias_zone::CLUSTER_ID, ServerToClient),
}
