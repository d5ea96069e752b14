//! Token interface frames (UG100 "Token Interface Frames", NVM3-based NCPs): writing a token and
//! rebooting the NCP, which is how a host gives a stick the EUI-64 of the coordinator it
//! replaces. zigbee-herdsman 10.9.5 (`tokensManager.ts`) writes the coordinator's EUI-64 into
//! the `STACK_RESTORED_EUI64` token ([`NVM3KEY_STACK_RESTORED_EUI64`]) with `setTokenData` and
//! then calls `resetNode`; on boot the stack uses that EUI-64 instead of the chip's own. A stick
//! whose tokens are not in NVM3 answers `LIBRARY_NOT_PRESENT`.

use deku::prelude::*;

/// NVM3 key of the `STACK_RESTORED_EUI64` token: the Zigbee domain (0x10000) with creator
/// 0xE12A. Eight bytes, EZSP (little-endian) byte order; all 0xFF when unset.
pub const NVM3KEY_STACK_RESTORED_EUI64: u32 = 0x0001_E12A;

/// Token data with a four-byte length prefix (`EmberTokenData`: `size` then `data`).
#[derive(Debug, Clone, PartialEq, Eq, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct TokenData {
    /// Number of bytes in `data`.
    #[deku(update = "self.data.len()")]
    pub size: u32,
    /// The token's bytes.
    #[deku(count = "size")]
    pub data: Vec<u8>,
}

impl TokenData {
    /// Token data holding `data`.
    pub fn new(data: Vec<u8>) -> Self {
        Self {
            size: u32::try_from(data.len()).unwrap_or(u32::MAX),
            data,
        }
    }
}

/// `setTokenData` (0x0103): writes one token (one element of an indexed token).
#[derive(Debug, Clone, PartialEq, Eq, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct SetTokenData {
    /// The token's NVM3 key.
    pub token: u32,
    /// Element of an indexed token, 0 otherwise.
    pub index: u32,
    /// The bytes to write.
    pub data: TokenData,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zigbee::ezsp::Command;

    /// The layout zigbee-herdsman 10.9.5 writes (`ezspSetTokenData`: token, index, then
    /// `writeEmberTokenData`: size as u32 and the bytes), all little-endian.
    #[test]
    fn set_token_data_has_herdsmans_layout() {
        let command = Command::SetTokenData(SetTokenData {
            token: NVM3KEY_STACK_RESTORED_EUI64,
            index: 0,
            data: TokenData::new(vec![0xA7, 0x0B, 0xD8, 0x09, 0x00, 0x4B, 0x12, 0x00]),
        });
        assert_eq!(command.frame_id(), 0x0103);
        let params = command.encode_params().unwrap();
        assert_eq!(
            params,
            [
                0x2A, 0xE1, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0xA7, 0x0B,
                0xD8, 0x09, 0x00, 0x4B, 0x12, 0x00
            ]
        );
        assert_eq!(Command::decode_params(0x0103, &params).unwrap(), command);
    }
}
