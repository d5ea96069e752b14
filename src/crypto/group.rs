//! P-256 group arithmetic — scalars modulo the group order and curve points — for SPAKE2+
//! (`crate::pairing`), which needs point addition and multiplication by secret scalars that the
//! ECDSA and ECDH keys of [`super::ecc`] do not expose.
//!
//! Every point built from outside bytes is checked: on the curve and not the identity (P-256
//! has cofactor 1, so that is membership of the prime-order group). Secret scalars and points
//! are zeroized on drop and never shown by `Debug`.

use super::{Error, Result};
use p256::elliptic_curve::ff::{Field, FromUniformBytes, PrimeField};
use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use p256::{AffinePoint, FieldBytes, ProjectivePoint};
use zeroize::{Zeroize, Zeroizing};

/// Length of an uncompressed SEC1 point, 0x04 || x || y.
pub const POINT_LEN: usize = 65;
/// Length of a scalar, big-endian.
pub const SCALAR_LEN: usize = 32;

/// An integer modulo the P-256 group order n. Zeroized on drop; `Debug` shows nothing.
#[derive(Clone)]
pub struct GroupScalar(p256::Scalar);

impl Drop for GroupScalar {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for GroupScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupScalar(<redacted>)")
    }
}

impl GroupScalar {
    /// A uniformly random non-zero scalar from the system random source (ephemeral keys).
    pub fn random() -> Result<Self> {
        loop {
            // 64 random bytes reduced mod n: the bias is below 2^-250.
            let wide = Zeroizing::new(super::random_array::<64>()?);
            let scalar = GroupScalar(p256::Scalar::from_uniform_bytes(&wide));
            if !scalar.is_zero() {
                return Ok(scalar);
            }
        }
    }

    /// The scalar whose canonical 32-byte big-endian form is `bytes`; refuses values >= n.
    pub fn from_canonical(bytes: &[u8; SCALAR_LEN]) -> Result<Self> {
        let repr = FieldBytes::from(*bytes);
        Option::<p256::Scalar>::from(p256::Scalar::from_repr(repr))
            .map(GroupScalar)
            .ok_or(Error::InvalidKey)
    }

    /// A big-endian integer of up to 64 bytes reduced mod n, as SPAKE2+ (RFC 9383 §3.2) and
    /// Matter turn each 40-byte half of a PBKDF output into w0 and w1.
    pub fn reduce_wide(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > 64 {
            return Err(Error::KdfLength(bytes.len()));
        }
        let mut wide = Zeroizing::new([0u8; 64]);
        wide[64 - bytes.len()..].copy_from_slice(bytes);
        Ok(GroupScalar(p256::Scalar::from_uniform_bytes(&wide)))
    }

    /// The canonical 32-byte big-endian form.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        let mut out = Zeroizing::new([0u8; SCALAR_LEN]);
        out.copy_from_slice(&self.0.to_repr());
        out
    }

    /// Whether this is zero (never a usable secret).
    pub fn is_zero(&self) -> bool {
        bool::from(self.0.is_zero())
    }
}

/// A point of the P-256 group (possibly the identity, when computed). Zeroized on drop, since
/// intermediate points of a key exchange are secrets; `Debug` shows nothing.
#[derive(Clone)]
pub struct GroupPoint(ProjectivePoint);

impl Drop for GroupPoint {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for GroupPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupPoint(<redacted>)")
    }
}

impl GroupPoint {
    /// The standard base point P.
    pub fn generator() -> Self {
        GroupPoint(ProjectivePoint::generator())
    }

    /// Decodes SEC1 bytes (compressed or uncompressed), refusing anything off the curve, the
    /// identity, or malformed: what a peer sends must be a member of the prime-order group.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self> {
        let affine = AffinePoint::from_sec1_bytes(bytes).map_err(|_| Error::InvalidKey)?;
        let point = GroupPoint(ProjectivePoint::from(affine));
        if point.is_identity() {
            return Err(Error::InvalidKey);
        }
        Ok(point)
    }

    /// The uncompressed SEC1 encoding; the identity has none and is refused.
    pub fn to_uncompressed(&self) -> Result<[u8; POINT_LEN]> {
        if self.is_identity() {
            return Err(Error::InvalidKey);
        }
        let encoded = self.0.to_affine().to_sec1_point(false);
        <[u8; POINT_LEN]>::try_from(encoded.as_bytes()).map_err(|_| Error::InvalidKey)
    }

    /// Whether this is the identity (the point at infinity).
    pub fn is_identity(&self) -> bool {
        bool::from(self.0.is_identity())
    }

    /// `k * self`, in constant time.
    pub fn mul(&self, k: &GroupScalar) -> Self {
        GroupPoint(self.0 * k.0)
    }

    /// `k * P` for the base point P, in constant time.
    pub fn mul_generator(k: &GroupScalar) -> Self {
        GroupPoint(ProjectivePoint::generator() * k.0)
    }

    /// `self + other`.
    pub fn add(&self, other: &GroupPoint) -> Self {
        GroupPoint(self.0 + other.0)
    }

    /// `self - other`.
    pub fn sub(&self, other: &GroupPoint) -> Self {
        GroupPoint(self.0 - other.0)
    }
}

impl PartialEq for GroupPoint {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for GroupPoint {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The P-256 group order n, big-endian (SEC 2 §2.4.2).
    const ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];

    #[test]
    fn canonical_scalars_below_the_order_only() {
        assert!(GroupScalar::from_canonical(&ORDER).is_err());
        let mut below = ORDER;
        below[31] -= 1;
        let s = GroupScalar::from_canonical(&below).expect("n - 1");
        assert_eq!(*s.to_bytes(), below);
    }

    #[test]
    fn wide_reduction_wraps_at_the_order() {
        // n itself reduces to zero, n + 1 to one, also when given as 40 bytes.
        let mut forty = [0u8; 40];
        forty[8..].copy_from_slice(&ORDER);
        assert!(
            GroupScalar::reduce_wide(&forty)
                .expect("40 bytes")
                .is_zero()
        );
        forty[39] += 1;
        let one = GroupScalar::reduce_wide(&forty).expect("40 bytes");
        let mut expected = [0u8; 32];
        expected[31] = 1;
        assert_eq!(*one.to_bytes(), expected);
        assert!(GroupScalar::reduce_wide(&[0u8; 65]).is_err());
    }

    #[test]
    fn identity_and_off_curve_points_are_refused() {
        assert!(GroupPoint::from_sec1(&[0x00]).is_err(), "SEC1 identity");
        let g = GroupPoint::generator().to_uncompressed().expect("G");
        GroupPoint::from_sec1(&g).expect("G decodes");
        let mut off = g;
        off[64] ^= 1;
        assert!(GroupPoint::from_sec1(&off).is_err(), "off the curve");
        assert!(GroupPoint::from_sec1(&g[..64]).is_err(), "truncated");
        let zero = GroupScalar::reduce_wide(&[0u8; 32]).expect("zero");
        let identity = GroupPoint::generator().mul(&zero);
        assert!(identity.is_identity());
        assert!(identity.to_uncompressed().is_err());
    }

    #[test]
    fn arithmetic_agrees_with_itself() {
        let a = GroupScalar::random().expect("rng");
        let b = GroupScalar::random().expect("rng");
        let ga = GroupPoint::mul_generator(&a);
        let gb = GroupPoint::mul_generator(&b);
        assert_eq!(ga.mul(&b), gb.mul(&a), "Diffie-Hellman commutes");
        assert_eq!(ga.add(&gb).sub(&gb), ga);
    }

    #[test]
    fn debug_hides_secrets() {
        let a = GroupScalar::random().expect("rng");
        assert_eq!(format!("{a:?}"), "GroupScalar(<redacted>)");
        let p = GroupPoint::mul_generator(&a);
        assert_eq!(format!("{p:?}"), "GroupPoint(<redacted>)");
    }
}
