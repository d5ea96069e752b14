//! Bounded decoding of COSE messages, tagged or untagged, from untrusted bytes.

use super::{Error, Result};
use coset::{CborSerializable, CoseEncrypt, CoseEncrypt0, CoseSign1, TaggedCborSerializable};

/// The largest message sealhub parses: far below anything that could exhaust a Pi's memory,
/// and above the largest envelope, a key distribution, which carries the certificate of every
/// device a client may read (about 350 bytes each: 1 MiB holds some 3,000 devices; 64 KiB,
/// the limit before, broke clients of a home with 190). CBOR nesting is separately limited by
/// the decoder's recursion limit; what a client may send the hub is limited far lower, by the
/// transport (`transport::MAX_ENVELOPE_FRAME`).
pub const MAX_MESSAGE_LEN: usize = 1024 * 1024;

fn check_len(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(Error::TooLong {
            len: bytes.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    if bytes.is_empty() {
        return Err(Error::Malformed("empty input".into()));
    }
    Ok(())
}

/// Decodes with the tag when the input starts with one, without it otherwise.
fn decode_either<T: TaggedCborSerializable + CborSerializable>(bytes: &[u8]) -> Result<T> {
    check_len(bytes)?;
    // A major-type-6 initial byte means a tag; the tagged decoder checks it is the right one.
    if bytes[0] >> 5 == 6 {
        Ok(T::from_tagged_slice(bytes)?)
    } else {
        Ok(T::from_slice(bytes)?)
    }
}

/// Parses a COSE_Sign1 (tag 18 or untagged).
pub fn decode_sign1(bytes: &[u8]) -> Result<CoseSign1> {
    decode_either(bytes)
}

/// Parses a COSE_Encrypt0 (tag 16 or untagged).
pub fn decode_encrypt0(bytes: &[u8]) -> Result<CoseEncrypt0> {
    decode_either(bytes)
}

/// Parses a COSE_Encrypt (tag 96 or untagged).
pub fn decode_encrypt(bytes: &[u8]) -> Result<CoseEncrypt> {
    decode_either(bytes)
}
