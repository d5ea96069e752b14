//! From a setup code to SPAKE2+'s secrets, as Matter derives them: PBKDF2-HMAC-SHA-256 of the
//! code's eight ASCII digits with a per-code random salt gives 80 bytes; each 40-byte half,
//! reduced modulo the P-256 group order, is w0 and w1 (RFC 9383 §3.2 asks for at least 64 bits
//! more than the order's size, so the reduction's bias is below 2^-64).
//!
//! The client derives [`ProverSecrets`] (w0, w1) each time it pairs. The hub derives a
//! [`PasscodeVerifier`] (w0, L = w1·P, salt, iterations) once, when it makes the code, and
//! keeps only that: never the code and never w1, so a stolen verifier does not let anyone pose
//! as a client without first guessing the code offline, one PBKDF2 run per guess.
//!
//! RFC 9383 recommends hashing the identities with the password; sealhub cannot, because the
//! client's name is unknown when the hub makes the code. The random salt keeps one code's
//! verifier from helping with another, as in Matter; both identities still enter the
//! transcript.

use crate::cbor;
use coset::cbor::value::Value;
use zeroize::Zeroizing;

use super::{Error, Result, SetupCode};
use crate::crypto::{GroupPoint, GroupScalar, POINT_LEN, SCALAR_LEN, pbkdf2_hmac_sha256};

/// PBKDF2 iterations for new codes. A Raspberry Pi 4 (Cortex-A72 without the ARMv8 SHA
/// instructions) computes SHA-256 in software at roughly 120 MB/s, about 0.5 µs per 64-byte
/// block; one PBKDF2-HMAC-SHA-256 iteration costs two blocks, and 80 bytes of output take three
/// 32-byte PBKDF2 blocks, so 30 000 iterations are about 30 000 × 3 × 2 × 0.5 µs ≈ 90–100 ms
/// there, once per code made. Clients (WebCrypto, laptops) are faster. It lies inside Matter's
/// range (1 000 to 100 000), so a Matter-style client accepts it.
pub const DEFAULT_ITERATIONS: u32 = 30_000;
/// The fewest iterations a client accepts from a hub (Matter's minimum).
pub const MIN_ITERATIONS: u32 = 1_000;
/// The most iterations a client accepts, so a hostile relay cannot make it compute for minutes.
pub const MAX_ITERATIONS: u32 = 1_000_000;
/// Length of a fresh salt.
pub const SALT_LEN: usize = 32;
/// Shortest salt a client accepts (Matter's minimum).
pub const MIN_SALT_LEN: usize = 16;
/// Longest salt a client accepts.
pub const MAX_SALT_LEN: usize = 64;
/// Length of each half of the PBKDF2 output (ceil(log2 n) + 64 bits = 40 bytes).
const HALF_LEN: usize = 40;
/// Version of the stored verifier record.
const RECORD_VERSION: u64 = 1;

fn check_parameters(salt: &[u8], iterations: u32) -> Result<()> {
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
        return Err(Error::Parameters(format!(
            "salt of {} bytes is outside {MIN_SALT_LEN}..={MAX_SALT_LEN}",
            salt.len()
        )));
    }
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(Error::Parameters(format!(
            "{iterations} PBKDF2 iterations is outside {MIN_ITERATIONS}..={MAX_ITERATIONS}"
        )));
    }
    Ok(())
}

/// w0 and w1 from the code (PBKDF2 output split in two halves, each reduced mod n).
fn derive_w(code: &SetupCode, salt: &[u8], iterations: u32) -> Result<(GroupScalar, GroupScalar)> {
    check_parameters(salt, iterations)?;
    let mut output = Zeroizing::new([0u8; 2 * HALF_LEN]);
    pbkdf2_hmac_sha256(
        code.password().as_slice(),
        salt,
        iterations,
        output.as_mut_slice(),
    )?;
    let w0 = GroupScalar::reduce_wide(&output[..HALF_LEN])?;
    let w1 = GroupScalar::reduce_wide(&output[HALF_LEN..])?;
    Ok((w0, w1))
}

/// The client's secrets for one run: w0 and w1. Zeroized on drop, never shown.
pub struct ProverSecrets {
    pub(crate) w0: GroupScalar,
    pub(crate) w1: GroupScalar,
}

impl std::fmt::Debug for ProverSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProverSecrets(<redacted>)")
    }
}

impl ProverSecrets {
    /// Runs PBKDF2 over the code with the hub's salt and iteration count (checked against
    /// [`MIN_ITERATIONS`]..=[`MAX_ITERATIONS`] and the salt limits first).
    pub fn derive(code: &SetupCode, salt: &[u8], iterations: u32) -> Result<Self> {
        let (w0, w1) = derive_w(code, salt, iterations)?;
        Ok(Self { w0, w1 })
    }
}

/// What the hub keeps of a setup code: w0, L = w1·P, the salt and the iteration count.
/// w0 is zeroized on drop; `Debug` shows only the public parameters.
#[derive(Clone)]
pub struct PasscodeVerifier {
    pub(crate) w0: GroupScalar,
    pub(crate) l: GroupPoint,
    salt: Vec<u8>,
    iterations: u32,
}

impl std::fmt::Debug for PasscodeVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasscodeVerifier")
            .field("salt", &hex::encode(&self.salt))
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl PasscodeVerifier {
    /// The verifier of `code` under a fresh random salt.
    pub fn generate(code: &SetupCode, iterations: u32) -> Result<Self> {
        let salt = crate::crypto::random_array::<SALT_LEN>()?;
        Self::derive(code, &salt, iterations)
    }

    /// The verifier of `code` under a given salt; w1 is dropped (and zeroized) once L is made.
    pub fn derive(code: &SetupCode, salt: &[u8], iterations: u32) -> Result<Self> {
        let (w0, w1) = derive_w(code, salt, iterations)?;
        Ok(Self {
            w0,
            l: GroupPoint::mul_generator(&w1),
            salt: salt.to_vec(),
            iterations,
        })
    }

    /// The salt the client needs to derive the same w0 and w1.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The PBKDF2 iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The record for the sealed store, as deterministic CBOR:
    /// `{0: 1, 1: h'w0' (32), 2: h'L' (65, uncompressed), 3: h'salt', 4: iterations}`.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(cbor::encode(&self.to_value()))
    }

    /// The record as a CBOR value, for nesting inside another record (it holds w0: do not
    /// log it).
    pub(crate) fn to_value(&self) -> Value {
        // L is never the identity (it came from a checked decode or from w1·P with w1 ≠ 0
        // except with probability 2^-256); an identity would fail to encode and is written as
        // an empty string, which from_value refuses.
        let l = self
            .l
            .to_uncompressed()
            .map(|p| p.to_vec())
            .unwrap_or_default();
        Value::Map(vec![
            (cbor::uint(0), cbor::uint(RECORD_VERSION)),
            (cbor::uint(1), Value::Bytes(self.w0.to_bytes().to_vec())),
            (cbor::uint(2), Value::Bytes(l)),
            (cbor::uint(3), Value::Bytes(self.salt.clone())),
            (cbor::uint(4), cbor::uint(u64::from(self.iterations))),
        ])
    }

    /// Reads a record written by [`PasscodeVerifier::to_bytes`], refusing any other encoding,
    /// an invalid w0 or L, or parameters out of range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let value = cbor::decode_canonical(bytes, "passcode verifier")?;
        Self::from_value(value)
    }

    pub(crate) fn from_value(value: Value) -> Result<Self> {
        let what = "passcode verifier";
        let entries = cbor::int_map(value, what)?;
        let keys: Vec<i64> = entries.iter().map(|(k, _)| *k).collect();
        if keys != [0, 1, 2, 3, 4] {
            return Err(Error::Malformed(format!(
                "{what}: keys must be 0..=4 in order"
            )));
        }
        let version = cbor::as_u64(&entries[0].1, "verifier version")?;
        if version != RECORD_VERSION {
            return Err(Error::Malformed(format!("{what}: version {version}")));
        }
        let w0 = Zeroizing::new(cbor::as_array::<SCALAR_LEN>(&entries[1].1, "w0")?);
        let w0 = GroupScalar::from_canonical(&w0)
            .map_err(|_| Error::Malformed(format!("{what}: w0 is not below the group order")))?;
        let l = cbor::as_array::<POINT_LEN>(&entries[2].1, "L")?;
        let l = GroupPoint::from_sec1(&l)
            .map_err(|_| Error::Malformed(format!("{what}: L is not a group element")))?;
        let salt = cbor::as_bytes(&entries[3].1, "salt")?.to_vec();
        let iterations = u32::try_from(cbor::as_u64(&entries[4].1, "iterations")?)
            .map_err(|_| Error::Malformed(format!("{what}: iterations out of range")))?;
        check_parameters(&salt, iterations).map_err(|e| Error::Malformed(e.to_string()))?;
        Ok(Self {
            w0,
            l,
            salt,
            iterations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> SetupCode {
        SetupCode::parse("1456-7894").expect("valid code")
    }

    /// The halves are reduced as big-endian 40-byte integers mod n: checked against values
    /// computed independently with Python integers (`int.from_bytes(half, "big") % n`) over
    /// PBKDF2-HMAC-SHA-256("14567894", salt = 32 × 0x01, 1000 iterations, 80 bytes).
    #[test]
    fn w0_and_w1_are_the_reduced_halves() {
        let secrets = ProverSecrets::derive(&code(), &[1u8; 32], 1000).expect("derive");
        assert_eq!(hex::encode(*secrets.w0.to_bytes()), W0_EXPECTED);
        assert_eq!(hex::encode(*secrets.w1.to_bytes()), W1_EXPECTED);
        let verifier = PasscodeVerifier::derive(&code(), &[1u8; 32], 1000).expect("derive");
        assert_eq!(hex::encode(*verifier.w0.to_bytes()), W0_EXPECTED);
        assert_eq!(verifier.l, GroupPoint::mul_generator(&secrets.w1));
    }

    const W0_EXPECTED: &str = "2cdc6bd8d3afb0d7bb26b6047c0c8da29bcfe0f0e92990b1f0d0f961a78506ff";
    const W1_EXPECTED: &str = "eb84cf37a6591c7d4757bbeea8b73351543ebaa880b0a831d02355e01b24f019";

    #[test]
    fn record_round_trips_and_refuses_tampering() {
        let v = PasscodeVerifier::generate(&code(), MIN_ITERATIONS).expect("generate");
        let bytes = v.to_bytes();
        let back = PasscodeVerifier::from_bytes(&bytes).expect("decode");
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.salt(), v.salt());
        assert_eq!(back.iterations(), MIN_ITERATIONS);

        // L off the curve.
        let mut bad_l = v.to_value();
        if let Value::Map(entries) = &mut bad_l {
            if let Value::Bytes(l) = &mut entries[2].1 {
                l[64] ^= 1;
            }
        }
        assert!(PasscodeVerifier::from_bytes(&cbor::encode(&bad_l)).is_err());
        // Too few iterations.
        let mut low = v.to_value();
        if let Value::Map(entries) = &mut low {
            entries[4].1 = cbor::uint(10);
        }
        assert!(PasscodeVerifier::from_bytes(&cbor::encode(&low)).is_err());
        // Truncated and trailing bytes.
        assert!(PasscodeVerifier::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(PasscodeVerifier::from_bytes(&longer).is_err());
    }

    #[test]
    fn parameters_out_of_range_are_refused() {
        assert!(ProverSecrets::derive(&code(), &[0u8; 15], 1000).is_err());
        assert!(ProverSecrets::derive(&code(), &[0u8; 65], 1000).is_err());
        assert!(ProverSecrets::derive(&code(), &[0u8; 16], 999).is_err());
        assert!(ProverSecrets::derive(&code(), &[0u8; 16], MAX_ITERATIONS + 1).is_err());
    }

    #[test]
    fn debug_shows_no_secret() {
        let v = PasscodeVerifier::derive(&code(), &[1u8; 32], 1000).expect("derive");
        let shown = format!("{v:?}");
        assert!(!shown.contains(&hex::encode(*v.w0.to_bytes())), "{shown}");
        assert!(shown.contains("iterations: 1000"), "{shown}");
    }
}
