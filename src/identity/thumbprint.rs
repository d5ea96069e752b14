//! COSE Key Thumbprints (RFC 9679, SHA-256) and the short key ids cut from them.

use crate::crypto::{PublicKey, sha256};

/// Length of the short key id that envelopes carry.
pub const KID_LEN: usize = 8;

/// The SHA-256 COSE Key Thumbprint of a P-256 public key: its stable, self-certifying name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Thumbprint(pub [u8; 32]);

/// The first 8 bytes of a [`Thumbprint`], used as the COSE `kid`: short enough for every
/// envelope, and the hub refuses to issue a key whose short id collides within the home.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kid(pub [u8; KID_LEN]);

impl Thumbprint {
    /// Computes the thumbprint: SHA-256 over the deterministic CBOR encoding of the required
    /// EC2 members, `{1: 2, -1: 1, -2: x, -3: y}` (keys sorted by their encoded bytes).
    pub fn of(key: &PublicKey) -> Self {
        Thumbprint(sha256(&thumbprint_input(key)))
    }

    /// The short key id carried in envelopes.
    pub fn kid(&self) -> Kid {
        let mut kid = [0u8; KID_LEN];
        kid.copy_from_slice(&self.0[..KID_LEN]);
        Kid(kid)
    }
}

/// The exact bytes RFC 9679 hashes for a P-256 key.
pub(crate) fn thumbprint_input(key: &PublicKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(77);
    // map(4), kty(1): EC2(2), crv(-1): P-256(1), x(-2): bstr(32), y(-3): bstr(32)
    out.extend_from_slice(&[0xa4, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20]);
    out.extend_from_slice(&key.x());
    out.extend_from_slice(&[0x22, 0x58, 0x20]);
    out.extend_from_slice(&key.y());
    out
}

impl Kid {
    /// Reads a kid from header bytes, refusing any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Kid)
    }
}

impl std::fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Thumbprint({})", hex::encode(self.0))
    }
}

impl std::fmt::Display for Thumbprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for Kid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kid({})", hex::encode(self.0))
    }
}

impl std::fmt::Display for Kid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9679 §6: the worked example's key, canonical encoding and thumbprint.
    #[test]
    fn reproduces_the_rfc_9679_example() {
        let x = hex::decode("65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d")
            .expect("hex");
        let y = hex::decode("1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c")
            .expect("hex");
        let key = PublicKey::from_coordinates(&x, &y).expect("RFC key is on the curve");
        assert_eq!(
            hex::encode(thumbprint_input(&key)),
            "a40102200121582065eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d\
             2258201e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c"
        );
        let t = Thumbprint::of(&key);
        assert_eq!(
            t.to_string(),
            "496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec"
        );
        assert_eq!(t.kid().to_string(), "496bd8afadf307e5");
    }
}
