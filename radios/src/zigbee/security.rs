//! Zigbee key material computed on the hub: an [`InstallCode`] read from a device's label and
//! the link key derived from it by the AES-MMO hash (Zigbee specification, "Matyas-Meyer-Oseas
//! hash", and Base Device Behavior install codes). The key is then given to the NCP (EZSP
//! security frames) so the device can join with it.
//!
//! - An install code is 6, 8, 12 or 16 bytes followed by its CRC-16/X-25 (reflected poly 0x1021,
//!   init 0xFFFF, final XOR 0xFFFF), least significant byte first.
//! - The link key is AES-MMO(code ‖ CRC): blocks padded with a 1 bit, zeros and the 16-bit bit
//!   length (big-endian), then `h = E_h(m) ⊕ m` per 16-byte block from `h = 0`.
//!
//! Key material ([`InstallCode`], [`LinkKey`]) is zeroized on drop and never printed.

use aes::Aes128;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Why an install code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The code (without CRC) is not 6, 8, 12 or 16 bytes.
    #[error("install code of {0} bytes (with CRC); expected 8, 10, 14 or 18")]
    Length(usize),
    /// The CRC does not match: a typo on the label or in the scan.
    #[error("install code CRC mismatch: label says {found:#06x}, computed {computed:#06x}")]
    Crc {
        /// The CRC after the code.
        found: u16,
        /// The CRC of the code.
        computed: u16,
    },
}

/// Result of the install-code checks.
pub type Result<T> = core::result::Result<T, Error>;

/// CRC-16/X-25 (a.k.a. CRC-16/IBM-SDLC): reflected poly 0x1021 (0x8408), init 0xFFFF, final
/// XOR 0xFFFF — the check value appended to an install code.
pub fn crc16_x25(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A checked install code with its CRC, as printed on the device.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct InstallCode(Vec<u8>);

impl core::fmt::Debug for InstallCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "InstallCode({} bytes)", self.0.len())
    }
}

/// A 128-bit Zigbee link key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct LinkKey(pub [u8; 16]);

impl core::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl InstallCode {
    /// Checks length and CRC of code ‖ CRC (CRC least significant byte first).
    pub fn new(code_with_crc: &[u8]) -> Result<Self> {
        let len = code_with_crc.len();
        let Some((code, crc)) = code_with_crc.split_last_chunk::<2>() else {
            return Err(Error::Length(len));
        };
        if ![6, 8, 12, 16].contains(&code.len()) {
            return Err(Error::Length(len));
        }
        let found = u16::from_le_bytes(*crc);
        let computed = crc16_x25(code);
        if found != computed {
            return Err(Error::Crc { found, computed });
        }
        Ok(Self(code_with_crc.to_vec()))
    }

    /// The link key the device derives from this code (AES-MMO of code ‖ CRC).
    pub fn link_key(&self) -> LinkKey {
        LinkKey(aes_mmo(&self.0))
    }
}

/// The Zigbee AES-MMO hash, for messages under 8 KiB (the padding carries a 16-bit bit length);
/// only called with install codes (at most 18 bytes).
fn aes_mmo(message: &[u8]) -> [u8; 16] {
    let bits = u16::try_from(message.len().saturating_mul(8)).unwrap_or(u16::MAX);
    let mut padded = Zeroizing::new(message.to_vec());
    padded.push(0x80);
    while padded.len() % 16 != 14 {
        padded.push(0);
    }
    padded.extend(bits.to_be_bytes());
    let mut hash = Zeroizing::new([0u8; 16]);
    for chunk in padded.chunks_exact(16) {
        let cipher = Aes128::new(&Array::from(*hash));
        let mut block = Array::<u8, _>::default();
        block.copy_from_slice(chunk);
        cipher.encrypt_block(&mut block);
        for ((h, e), m) in hash.iter_mut().zip(block.iter()).zip(chunk) {
            *h = e ^ m;
        }
        block.zeroize();
    }
    *hash
}
