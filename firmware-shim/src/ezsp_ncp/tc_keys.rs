//! The emulated trust centre's per-device link keys when it uses a hashed TC link key
//! (`EmberInitialSecurityBitmask` `TRUST_CENTER_USES_HASHED_LINK_KEY`): the key set with
//! `setInitialSecurityState` is then a root known only to the trust centre, and each device's
//! TC link key is derived from the root and the device's EUI-64. That is why zigbee-herdsman
//! puts the root in its backups (`stack_specific.ezsp.hashed_tclk`): a stick formed with the same
//! root derives the same keys, so devices that joined before keep talking to the trust centre.
//!
//! EmberZNet does not publish its derivation. The emulator uses the Zigbee specification's keyed
//! hash for message authentication (r22 §B.1.4: HMAC over the AES-MMO hash of §B.6, 16-byte
//! blocks) of the EUI-64 under the root. The driver never computes these keys; what the tests
//! rely on is that the same root gives the same keys and another root other ones.
//!
//! Written here, apart from the driver's AES-MMO for install codes, so the emulator does not
//! borrow the driver's code for its checks.

use aes::Aes128;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use sealhub_radios::zigbee::ezsp::types::{Eui64, Key};

const BLOCK: usize = 16;
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5C;

/// The AES-MMO hash (Zigbee §B.6) of a message shorter than 8 KiB.
pub fn aes_mmo(message: &[u8]) -> [u8; 16] {
    let bits = u16::try_from(message.len() * 8).unwrap_or(u16::MAX);
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % BLOCK != BLOCK - 2 {
        padded.push(0);
    }
    padded.extend_from_slice(&bits.to_be_bytes());
    let mut state = [0u8; BLOCK];
    for chunk in padded.chunks_exact(BLOCK) {
        let cipher = Aes128::new(&Array::from(state));
        let mut block = Array::<u8, _>::default();
        block.copy_from_slice(chunk);
        cipher.encrypt_block(&mut block);
        for ((s, e), m) in state.iter_mut().zip(block.iter()).zip(chunk) {
            *s = e ^ m;
        }
    }
    state
}

/// The Zigbee keyed hash (§B.1.4) of `message` under a 16-byte `key`.
pub fn keyed_hash(key: &[u8; 16], message: &[u8]) -> [u8; 16] {
    let mut inner = Vec::with_capacity(BLOCK + message.len());
    inner.extend(key.iter().map(|k| k ^ IPAD));
    inner.extend_from_slice(message);
    let inner_hash = aes_mmo(&inner);
    let mut outer = Vec::with_capacity(2 * BLOCK);
    outer.extend(key.iter().map(|k| k ^ OPAD));
    outer.extend_from_slice(&inner_hash);
    aes_mmo(&outer)
}

/// The TC link key a trust centre with hashed link keys and `root` shares with `eui64`.
pub fn derived_tc_link_key(root: &Key, eui64: Eui64) -> Key {
    Key(keyed_hash(&root.0, &eui64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The install-code example of the Zigbee 3.0 Base Device Behaviour spec (§10.1): the
    /// AES-MMO hash of the code with its CRC is the link key.
    #[test]
    fn aes_mmo_matches_the_install_code_example() {
        let code = hex("83FED3407A939723A5C639B26916D505C3B5");
        assert_eq!(
            aes_mmo(&code).to_vec(),
            hex("66B6900981E1EE3CA4206B6B861C02BB")
        );
    }

    #[test]
    fn the_same_root_gives_the_same_key_and_another_root_another() {
        let eui = [1, 2, 3, 4, 5, 6, 7, 8];
        let a = derived_tc_link_key(&Key([0xAB; 16]), eui);
        assert_eq!(a, derived_tc_link_key(&Key([0xAB; 16]), eui));
        assert_ne!(a, derived_tc_link_key(&Key([0xAC; 16]), eui));
        assert_ne!(
            a,
            derived_tc_link_key(&Key([0xAB; 16]), [8, 7, 6, 5, 4, 3, 2, 1])
        );
    }
}
