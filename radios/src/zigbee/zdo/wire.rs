//! Wire helpers shared by the ZDO (and ZCL cluster) payloads: the [`Payload`] trait every message
//! type implements, whole-payload parsing that refuses trailing bytes, and [`List8`], the
//! count-prefixed list that ZDP uses for endpoints, clusters and table entries.

use deku::no_std_io::{Read, Seek, Write};
use deku::prelude::*;
use deku::writer::Writer;

use super::{Error, Result};

/// A message body that decodes from and encodes to exactly its bytes.
pub trait Payload: Sized {
    /// Decodes the whole of `bytes`; leftovers are [`Error::TrailingBytes`].
    fn decode(bytes: &[u8]) -> Result<Self>;
    /// Encodes the body.
    fn encode(&self) -> Result<Vec<u8>>;
}

/// Parses a whole payload with deku; bytes left over are an error.
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

/// Writes a payload with deku.
pub(crate) fn write<T: DekuContainerWrite>(value: &T) -> Result<Vec<u8>> {
    value.to_bytes().map_err(|e| Error::Invalid(e.to_string()))
}

/// Implements [`Payload`] for deku containers.
macro_rules! deku_payload {
    ($($ty:ty),* $(,)?) => {
        $(
            impl $crate::zigbee::zdo::wire::Payload for $ty {
                fn decode(bytes: &[u8]) -> $crate::zigbee::zdo::Result<Self> {
                    $crate::zigbee::zdo::wire::parse(bytes)
                }
                fn encode(&self) -> $crate::zigbee::zdo::Result<Vec<u8>> {
                    $crate::zigbee::zdo::wire::write(self)
                }
            }
        )*
    };
}
pub(crate) use deku_payload;

/// Implements deku reading and writing for a `bitflags` type over its integer, keeping unknown
/// bits so that frames re-encode byte-exact.
macro_rules! deku_bitflags {
    ($ty:ty, $int:ty) => {
        impl<'a, Ctx: Copy> deku::DekuReader<'a, Ctx> for $ty
        where
            $int: deku::DekuReader<'a, Ctx>,
        {
            fn from_reader_with_ctx<R: deku::no_std_io::Read + deku::no_std_io::Seek>(
                reader: &mut deku::reader::Reader<R>,
                ctx: Ctx,
            ) -> core::result::Result<Self, deku::DekuError> {
                <$int>::from_reader_with_ctx(reader, ctx).map(<$ty>::from_bits_retain)
            }
        }

        impl<Ctx: Copy> deku::DekuWriter<Ctx> for $ty
        where
            $int: deku::DekuWriter<Ctx>,
        {
            fn to_writer<W: deku::no_std_io::Write + deku::no_std_io::Seek>(
                &self,
                writer: &mut deku::writer::Writer<W>,
                ctx: Ctx,
            ) -> core::result::Result<(), deku::DekuError> {
                self.bits().to_writer(writer, ctx)
            }
        }
    };
}
pub(crate) use deku_bitflags;

/// An IEEE EUI-64 as it travels (little-endian: the first byte is the least significant).
pub type Eui64 = [u8; 8];

/// A list preceded by a one-byte count (endpoint lists, cluster lists, table entries).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List8<T>(pub Vec<T>);

impl<'a, T, Ctx: Copy> DekuReader<'a, Ctx> for List8<T>
where
    T: DekuReader<'a, Ctx>,
{
    fn from_reader_with_ctx<R: Read + Seek>(
        reader: &mut Reader<R>,
        ctx: Ctx,
    ) -> core::result::Result<Self, DekuError> {
        let count = u8::from_reader_with_ctx(reader, ())?;
        let mut items = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            items.push(T::from_reader_with_ctx(reader, ctx)?);
        }
        Ok(Self(items))
    }
}

impl<T, Ctx: Copy> DekuWriter<Ctx> for List8<T>
where
    T: DekuWriter<Ctx>,
{
    fn to_writer<W: Write + Seek>(
        &self,
        writer: &mut Writer<W>,
        ctx: Ctx,
    ) -> core::result::Result<(), DekuError> {
        let count = u8::try_from(self.0.len())
            .map_err(|_| DekuError::InvalidParam("list longer than 255 entries".into()))?;
        count.to_writer(writer, ())?;
        for item in &self.0 {
            item.to_writer(writer, ctx)?;
        }
        Ok(())
    }
}
