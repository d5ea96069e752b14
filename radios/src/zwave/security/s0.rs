//! S0 (legacy security): keys derived from the network key by AES-ECB, payloads encrypted with
//! AES-128-OFB under the encryption key, and authenticated with an AES-128 CBC-MAC truncated to
//! 8 bytes under the authentication key (zwave-js `computeMAC`, `Manager.ts`).

use super::{Key128, aes128_encrypt_block, encrypt_block, xor_into};

/// The two keys S0 derives from the network key.
#[derive(Debug, Clone)]
pub struct S0Keys {
    /// authKey = AES-ECB(networkKey, 16 × 0x55): keys the CBC-MAC.
    pub auth: Key128,
    /// encKey = AES-ECB(networkKey, 16 × 0xAA): keys the OFB encryption.
    pub enc: Key128,
}

impl S0Keys {
    /// Derives the authentication and encryption keys.
    pub fn derive(network_key: &Key128) -> Self {
        S0Keys {
            auth: Key128::new(aes128_encrypt_block(network_key, &[0x55; 16])),
            enc: Key128::new(aes128_encrypt_block(network_key, &[0xAA; 16])),
        }
    }
}

/// AES-128-OFB: encryption and decryption are the same keystream XOR.
pub fn ofb(key: &Key128, iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let cipher = key.cipher();
    let mut stream = *iv;
    let mut out = data.to_vec();
    for chunk in out.chunks_mut(16) {
        encrypt_block(&cipher, &mut stream);
        xor_into(chunk, &stream);
    }
    zeroize::Zeroize::zeroize(&mut stream);
    out
}

/// S0 MAC: AES-128-CBC over the data zero-padded to whole blocks, first 8 bytes of the last
/// ciphertext block.
pub fn cbc_mac(key: &Key128, iv: &[u8; 16], data: &[u8]) -> [u8; 8] {
    let cipher = key.cipher();
    let mut x = *iv;
    if data.is_empty() {
        encrypt_block(&cipher, &mut x);
    }
    for chunk in data.chunks(16) {
        xor_into(&mut x, chunk);
        encrypt_block(&cipher, &mut x);
    }
    let mut mac = [0u8; 8];
    mac.copy_from_slice(&x[..8]);
    mac
}
