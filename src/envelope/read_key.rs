//! Per-device read keys: events (and revocation lists, under the device id "hub") are encrypted
//! under a key derived from the epoch key and the device id the route names, so the hub can
//! give a client the keys of exactly the devices it may read and nothing more
//! (`docs/ENVELOPE.md`, "Read keys").
//!
//! `K(epoch, device) = HKDF-SHA256(ikm = epoch key, salt = empty,
//!                                 info = "sealhub v1 device read key" || device id)`, 16 bytes.

use super::route::DeviceId;
use super::{Error, Result};
use crate::crypto::{AeadKey, hkdf_sha256};

/// The HKDF `info` prefix; the device id's bytes follow it.
pub const READ_KEY_INFO: &[u8] = b"sealhub v1 device read key";

/// Length of a read key: AES-128-GCM, as the epoch key.
pub const READ_KEY_LEN: usize = 16;

/// The key that events about `device` in the epoch of `epoch_key` are encrypted under.
pub fn device_read_key(epoch_key: &AeadKey, device: &DeviceId) -> Result<AeadKey> {
    let mut info = Vec::with_capacity(READ_KEY_INFO.len() + device.as_str().len());
    info.extend_from_slice(READ_KEY_INFO);
    info.extend_from_slice(device.as_str().as_bytes());
    let okm = hkdf_sha256(Some(&[]), epoch_key.as_bytes(), &info, READ_KEY_LEN)
        .map_err(|e| Error::Crypto(e.to_string()))?;
    AeadKey::from_slice(&okm).map_err(|e| Error::Crypto(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derivation is RFC 5869 HKDF-SHA-256 with an empty salt: checked against the RFC's
    /// own construction written out with HMAC-SHA-256 (PRK = HMAC(zeros, IKM), OKM = first 16
    /// bytes of HMAC(PRK, info || 0x01)), which an empty salt and an absent one share.
    #[test]
    fn the_derivation_is_hkdf_with_the_documented_info() {
        use hmac_check::hmac_sha256;
        let epoch = AeadKey::Aes128([0x42; 16]);
        let device = DeviceId::new("zb:00158d0001a2b3c4").expect("id");
        let key = device_read_key(&epoch, &device).expect("derive");
        let prk = hmac_sha256(&[0u8; 32], &[0x42; 16]);
        let mut t1_input = READ_KEY_INFO.to_vec();
        t1_input.extend_from_slice(b"zb:00158d0001a2b3c4");
        t1_input.push(0x01);
        let t1 = hmac_sha256(&prk, &t1_input);
        assert_eq!(key.as_bytes(), &t1[..16]);
        let other =
            device_read_key(&epoch, &DeviceId::new("zb:lock").expect("id")).expect("derive");
        assert_ne!(key, other, "each device has its own key");
        assert_ne!(key, epoch, "and none is the epoch key");
    }

    /// HMAC-SHA-256 (RFC 2104) from SHA-256 alone, to check HKDF independently of the `hkdf`
    /// crate.
    mod hmac_check {
        pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
            let mut k = [0u8; 64];
            if key.len() > 64 {
                k[..32].copy_from_slice(&crate::crypto::sha256(key));
            } else {
                k[..key.len()].copy_from_slice(key);
            }
            let mut inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
            inner.extend_from_slice(message);
            let mut outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
            outer.extend_from_slice(&crate::crypto::sha256(&inner));
            crate::crypto::sha256(&outer)
        }
    }
}
