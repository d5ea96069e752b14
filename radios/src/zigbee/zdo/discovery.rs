//! Device and service discovery (Zigbee spec §2.4.3.1 / §2.4.4.2): address look-ups, the
//! descriptors, the active endpoints, and Device Announce. This is the interview the hub runs
//! when a device joins: announce → node descriptor → active endpoints → simple descriptor per
//! endpoint.

use deku::no_std_io::{Read, Seek, Write};
use deku::prelude::*;
use deku::writer::Writer;

use super::descriptors::{MacCapabilities, NodeDescriptor, PowerDescriptor, SimpleDescriptor};
use super::wire::{Eui64, List8, Payload, deku_payload, parse, write};
use super::{Error, Result};

/// NWK_addr_req (0x0000): find the node ID of an IEEE address (broadcast when a device's short
/// address may have changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct NwkAddrRequest {
    /// The IEEE address looked for.
    pub ieee: Eui64,
    /// 0 single device, 1 extended (with associated devices).
    pub request_type: u8,
    /// First associated device to list, for the extended type.
    pub start_index: u8,
}

/// IEEE_addr_req (0x0001): find the IEEE address of a node ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct IeeeAddrRequest {
    /// The node ID asked about.
    pub nwk: u16,
    /// 0 single device, 1 extended.
    pub request_type: u8,
    /// First associated device to list.
    pub start_index: u8,
}

/// The optional tail of an address response: the associated devices of a router, present only
/// for extended requests. Ember stacks send a lone zero count without the start index, so that
/// form is kept distinct to re-encode byte-exact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AssociatedDevices {
    /// Nothing after the node ID (single-device request).
    #[default]
    Omitted,
    /// A count of zero and no start index (seen from EmberZNet).
    EmptyWithoutIndex,
    /// Count, start index and that many node IDs.
    List {
        /// Index of the first listed device in the router's table.
        start_index: u8,
        /// Node IDs of the associated devices.
        devices: Vec<u16>,
    },
}

impl<'a, Ctx: Copy> DekuReader<'a, Ctx> for AssociatedDevices {
    fn from_reader_with_ctx<R: Read + Seek>(
        reader: &mut Reader<R>,
        _ctx: Ctx,
    ) -> core::result::Result<Self, DekuError> {
        if reader.end() {
            return Ok(Self::Omitted);
        }
        let count = u8::from_reader_with_ctx(reader, ())?;
        if count == 0 && reader.end() {
            return Ok(Self::EmptyWithoutIndex);
        }
        let start_index = u8::from_reader_with_ctx(reader, ())?;
        let mut devices = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            devices.push(u16::from_reader_with_ctx(
                reader,
                deku::ctx::Endian::Little,
            )?);
        }
        Ok(Self::List {
            start_index,
            devices,
        })
    }
}

impl<Ctx: Copy> DekuWriter<Ctx> for AssociatedDevices {
    fn to_writer<W: Write + Seek>(
        &self,
        writer: &mut Writer<W>,
        _ctx: Ctx,
    ) -> core::result::Result<(), DekuError> {
        match self {
            Self::Omitted => Ok(()),
            Self::EmptyWithoutIndex => 0u8.to_writer(writer, ()),
            Self::List {
                start_index,
                devices,
            } => {
                let count = u8::try_from(devices.len())
                    .map_err(|_| DekuError::InvalidParam("over 255 associated devices".into()))?;
                count.to_writer(writer, ())?;
                start_index.to_writer(writer, ())?;
                for device in devices {
                    device.to_writer(writer, deku::ctx::Endian::Little)?;
                }
                Ok(())
            }
        }
    }
}

/// NWK_addr_rsp / IEEE_addr_rsp body after a SUCCESS status: both carry the same fields.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct AddressResponse {
    /// The device's IEEE address.
    pub ieee: Eui64,
    /// The device's node ID.
    pub nwk: u16,
    /// Associated devices, for extended requests.
    pub associated: AssociatedDevices,
}

/// A request naming only the node of interest: Node_Desc_req (0x0002), Power_Desc_req (0x0003)
/// and Active_EP_req (0x0005) share it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct NwkOfInterest {
    /// Node ID whose descriptor is asked for.
    pub nwk: u16,
}

/// Node_Desc_req (0x0002).
pub type NodeDescRequest = NwkOfInterest;
/// Power_Desc_req (0x0003).
pub type PowerDescRequest = NwkOfInterest;
/// Active_EP_req (0x0005).
pub type ActiveEpRequest = NwkOfInterest;

/// Node_Desc_rsp body after SUCCESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct NodeDescResponse {
    /// Node ID the descriptor belongs to.
    pub nwk: u16,
    /// The descriptor.
    pub descriptor: NodeDescriptor,
}

/// Power_Desc_rsp body after SUCCESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct PowerDescResponse {
    /// Node ID the descriptor belongs to.
    pub nwk: u16,
    /// The descriptor.
    pub descriptor: PowerDescriptor,
}

/// Simple_Desc_req (0x0004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SimpleDescRequest {
    /// Node ID asked.
    pub nwk: u16,
    /// Endpoint whose descriptor is wanted.
    pub endpoint: u8,
}

/// Simple_Desc_rsp body after SUCCESS: node ID, a length byte, then exactly that many bytes of
/// descriptor (the length is checked, not trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleDescResponse {
    /// Node ID the descriptor belongs to.
    pub nwk: u16,
    /// The descriptor.
    pub descriptor: SimpleDescriptor,
}

impl Payload for SimpleDescResponse {
    fn decode(bytes: &[u8]) -> Result<Self> {
        let [lo, hi, length, rest @ ..] = bytes else {
            return Err(Error::Truncated);
        };
        let length = usize::from(*length);
        if rest.len() < length {
            return Err(Error::Truncated);
        }
        let (body, trailing) = rest.split_at(length);
        if !trailing.is_empty() {
            return Err(Error::TrailingBytes(trailing.len()));
        }
        Ok(Self {
            nwk: u16::from_le_bytes([*lo, *hi]),
            descriptor: parse(body)?,
        })
    }

    fn encode(&self) -> Result<Vec<u8>> {
        let body = write(&self.descriptor)?;
        let length = u8::try_from(body.len())
            .map_err(|_| Error::Invalid("simple descriptor over 255 bytes".into()))?;
        let mut out = self.nwk.to_le_bytes().to_vec();
        out.push(length);
        out.extend(body);
        Ok(out)
    }
}

/// Active_EP_rsp body after SUCCESS.
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ActiveEpResponse {
    /// Node ID the list belongs to.
    pub nwk: u16,
    /// Its active endpoints.
    pub endpoints: List8<u8>,
}

/// Device_annce (0x0013): broadcast by a node when it joins or rejoins; the hub's cue to start
/// the interview or to update a changed node ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct DeviceAnnounce {
    /// The node ID it now has.
    pub nwk: u16,
    /// Its IEEE address.
    pub ieee: Eui64,
    /// Its MAC capabilities.
    pub capabilities: MacCapabilities,
}

deku_payload!(
    NwkAddrRequest,
    IeeeAddrRequest,
    AddressResponse,
    NwkOfInterest,
    NodeDescResponse,
    PowerDescResponse,
    SimpleDescRequest,
    ActiveEpResponse,
    DeviceAnnounce,
);
