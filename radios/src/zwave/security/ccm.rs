//! AES-128-CCM (RFC 3610, NIST SP 800-38C): S2 encrypts and authenticates every frame with it,
//! using a 13-byte nonce (so L = 2: payloads up to 65535 bytes) and an 8-byte tag.
//!
//! [`encrypt`]/[`decrypt`] are the S2 parameters; [`encrypt_with`]/[`decrypt_with`] take any
//! nonce length 7..=13 and even tag length 4..=16 so the mode can be tested against the full
//! Wycheproof AES-128 set.

use super::{Error, Key128, Result, constant_time_eq, encrypt_block, xor_into};

/// S2's CCM nonce length.
pub const S2_NONCE_LEN: usize = 13;
/// S2's CCM tag length.
pub const S2_TAG_LEN: usize = 8;

fn check_params(nonce_len: usize, tag_len: usize) -> Result<()> {
    if !(7..=13).contains(&nonce_len) || !(4..=16).contains(&tag_len) || tag_len % 2 != 0 {
        return Err(Error::CcmParameters { nonce_len, tag_len });
    }
    Ok(())
}

/// Big-endian `value` in the last `width` bytes of `dst` (which must be `width` long).
fn put_len(dst: &mut [u8], value: usize) {
    let bytes = (value as u64).to_be_bytes();
    let width = dst.len().min(8);
    let start = dst.len() - width;
    dst[start..].copy_from_slice(&bytes[8 - width..]);
}

/// CBC-MAC over B0, the encoded AAD and the plaintext, then encrypted with counter block 0.
fn tag(
    cipher: &aes::Aes128,
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    tag_len: usize,
) -> Result<[u8; 16]> {
    let l = 15 - nonce.len();
    if l < 8 && (plaintext.len() as u64) >> (8 * l) != 0 {
        return Err(Error::InvalidLength {
            what: "CCM payload",
            expected: (1usize << (8 * l)) - 1,
            got: plaintext.len(),
        });
    }
    let mut b0 = [0u8; 16];
    b0[0] = (u8::from(!aad.is_empty()) << 6) | ((((tag_len - 2) / 2) as u8) << 3) | (l as u8 - 1);
    b0[1..1 + nonce.len()].copy_from_slice(nonce);
    put_len(&mut b0[16 - l..], plaintext.len());
    let mut x = b0;
    encrypt_block(cipher, &mut x);

    if !aad.is_empty() {
        let mut header = Vec::with_capacity(aad.len() + 10);
        if aad.len() < 0xFF00 {
            header.extend_from_slice(&(aad.len() as u16).to_be_bytes());
        } else if let Ok(len) = u32::try_from(aad.len()) {
            header.extend_from_slice(&[0xFF, 0xFE]);
            header.extend_from_slice(&len.to_be_bytes());
        } else {
            header.extend_from_slice(&[0xFF, 0xFF]);
            header.extend_from_slice(&(aad.len() as u64).to_be_bytes());
        }
        header.extend_from_slice(aad);
        for chunk in header.chunks(16) {
            xor_into(&mut x, chunk);
            encrypt_block(cipher, &mut x);
        }
    }
    for chunk in plaintext.chunks(16) {
        xor_into(&mut x, chunk);
        encrypt_block(cipher, &mut x);
    }
    let mut s0 = counter_block(nonce, 0);
    encrypt_block(cipher, &mut s0);
    xor_into(&mut x, &s0);
    Ok(x)
}

fn counter_block(nonce: &[u8], i: u64) -> [u8; 16] {
    let l = 15 - nonce.len();
    let mut a = [0u8; 16];
    a[0] = l as u8 - 1;
    a[1..1 + nonce.len()].copy_from_slice(nonce);
    let bytes = i.to_be_bytes();
    let width = l.min(8);
    a[16 - width..].copy_from_slice(&bytes[8 - width..]);
    a
}

/// CTR mode from counter 1, in place.
fn ctr(cipher: &aes::Aes128, nonce: &[u8], data: &mut [u8]) {
    for (i, chunk) in data.chunks_mut(16).enumerate() {
        let mut s = counter_block(nonce, i as u64 + 1);
        encrypt_block(cipher, &mut s);
        xor_into(chunk, &s);
    }
}

/// Encrypts with any valid CCM nonce and tag length; returns ciphertext ‖ tag.
pub fn encrypt_with(
    key: &Key128,
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    tag_len: usize,
) -> Result<Vec<u8>> {
    check_params(nonce.len(), tag_len)?;
    let cipher = key.cipher();
    let t = tag(&cipher, nonce, aad, plaintext, tag_len)?;
    let mut out = plaintext.to_vec();
    ctr(&cipher, nonce, &mut out);
    out.extend_from_slice(&t[..tag_len]);
    Ok(out)
}

/// Decrypts ciphertext ‖ tag and checks the tag in constant time; nothing is returned unless
/// it matches.
pub fn decrypt_with(
    key: &Key128,
    nonce: &[u8],
    aad: &[u8],
    sealed: &[u8],
    tag_len: usize,
) -> Result<Vec<u8>> {
    check_params(nonce.len(), tag_len)?;
    let split = sealed
        .len()
        .checked_sub(tag_len)
        .ok_or(Error::AuthenticationFailed)?;
    let (ciphertext, received) = sealed.split_at(split);
    let cipher = key.cipher();
    let mut plaintext = ciphertext.to_vec();
    ctr(&cipher, nonce, &mut plaintext);
    let expected = tag(&cipher, nonce, aad, &plaintext, tag_len)?;
    if constant_time_eq(&expected[..tag_len], received) {
        Ok(plaintext)
    } else {
        zeroize::Zeroize::zeroize(&mut plaintext);
        Err(Error::AuthenticationFailed)
    }
}

/// S2 encryption: 13-byte nonce, 8-byte tag; returns ciphertext ‖ tag.
pub fn encrypt(
    key: &Key128,
    nonce: &[u8; S2_NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    encrypt_with(key, nonce, aad, plaintext, S2_TAG_LEN)
}

/// S2 decryption: 13-byte nonce, 8-byte tag; fails with
/// [`Error::AuthenticationFailed`] on any tampering.
pub fn decrypt(
    key: &Key128,
    nonce: &[u8; S2_NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>> {
    decrypt_with(key, nonce, aad, sealed, S2_TAG_LEN)
}
