//! AES-128-CMAC (RFC 4493, NIST SP 800-38B): the PRF of S2's key derivation ([`super::kdf`]).

use super::{Key128, constant_time_eq, encrypt_block, xor_into};

/// `x << 1` over 128 bits, XOR 0x87 if the top bit fell off (subkey generation).
fn double(block: &[u8; 16]) -> [u8; 16] {
    let mut out = [0u8; 16];
    let mut carry = 0u8;
    for i in (0..16).rev() {
        out[i] = (block[i] << 1) | carry;
        carry = block[i] >> 7;
    }
    out[15] ^= 0x87 * carry;
    out
}

/// The 16-byte CMAC of `message` under `key`.
pub fn aes_cmac(key: &Key128, message: &[u8]) -> [u8; 16] {
    let cipher = key.cipher();
    let mut l = [0u8; 16];
    encrypt_block(&cipher, &mut l);
    let k1 = double(&l);
    let k2 = double(&k1);

    let complete = !message.is_empty() && message.len() % 16 == 0;
    let blocks = message.len().div_ceil(16).max(1);
    let mut x = [0u8; 16];
    let mut chunks = message.chunks(16);
    for _ in 0..blocks - 1 {
        if let Some(chunk) = chunks.next() {
            xor_into(&mut x, chunk);
            encrypt_block(&cipher, &mut x);
        }
    }
    let mut last = [0u8; 16];
    let tail = chunks.next().unwrap_or_default();
    last[..tail.len()].copy_from_slice(tail);
    if complete {
        xor_into(&mut last, &k1);
    } else {
        last[tail.len()] = 0x80;
        xor_into(&mut last, &k2);
    }
    xor_into(&mut x, &last);
    encrypt_block(&cipher, &mut x);
    x
}

/// Checks a (possibly truncated, at least 4-byte) CMAC tag in constant time.
pub fn verify(key: &Key128, message: &[u8], tag: &[u8]) -> bool {
    let full = aes_cmac(key, message);
    tag.len() >= 4 && tag.len() <= 16 && constant_time_eq(&full[..tag.len()], tag)
}
