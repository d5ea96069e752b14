//! SPAKE2+ (RFC 9383) with the ciphersuite P256-SHA256-HKDF-SHA256-HMAC-SHA256: the augmented
//! password-authenticated key exchange under pairing. The prover (the client) knows w0 and w1,
//! derived from the setup code; the verifier (the hub) holds only w0 and L = w1·P.
//!
//! Each side is a typestate: every step consumes the state and returns the next, so steps
//! cannot run twice or out of order, and the shared key exists only once the peer's key
//! confirmation has been checked.
//!
//! ```text
//! Prover::start(w0, w1, ids)            -> ProverAwaitingVerifier, shareP
//! Verifier::respond(w0, L, ids, shareP) -> VerifierAwaitingConfirmation, shareV, confirmV
//! ProverAwaitingVerifier::finish(shareV, confirmV)   -> confirmP, K_shared
//! VerifierAwaitingConfirmation::finish(confirmP)     -> K_shared
//! ```
//!
//! Received shares must decode to group elements other than the identity; Z and V computed
//! from them must not be the identity either (a share equal to w0·M or w0·N would make them
//! so, leaving nothing secret in the transcript). MACs are compared in constant time.

#[cfg(test)]
mod tests;

use zeroize::Zeroizing;

use super::{Error, Result};
use crate::crypto::{
    GroupPoint, GroupScalar, HMAC_SHA256_LEN, POINT_LEN, hkdf_sha256, hmac_sha256,
    hmac_sha256_verify, sha256,
};

/// Length of a share (shareP, shareV): an uncompressed P-256 point.
pub const SHARE_LEN: usize = POINT_LEN;
/// Length of a key confirmation (confirmP, confirmV): an HMAC-SHA-256 tag.
pub const CONFIRMATION_LEN: usize = HMAC_SHA256_LEN;
/// Length of K_shared.
pub const SHARED_KEY_LEN: usize = 32;

/// M for P-256, compressed (RFC 9383 §4; seed "1.2.840.10045.3.1.7 point generation seed (M)").
const M_COMPRESSED: [u8; 33] = [
    0x02, 0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d, 0xd7, 0x24, 0x25, 0x79, 0xf2,
    0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3, 0xdc, 0xab, 0x95, 0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1,
    0x2f,
];
/// N for P-256, compressed (RFC 9383 §4; seed "1.2.840.10045.3.1.7 point generation seed (N)").
const N_COMPRESSED: [u8; 33] = [
    0x03, 0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d, 0x99, 0x7f, 0x38, 0xc3, 0x77,
    0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01, 0x4d, 0x49, 0xa2, 0x4b, 0x4f, 0x98, 0xba, 0xa1, 0x29, 0x2b,
    0x49,
];

/// HKDF info for the two confirmation keys (RFC 9383 §3.4).
const CONFIRMATION_KEYS_INFO: &[u8] = b"ConfirmationKeys";
/// HKDF info for K_shared (RFC 9383 §3.4).
const SHARED_KEY_INFO: &[u8] = b"SharedKey";

fn fixed_point(compressed: &[u8; 33]) -> GroupPoint {
    // The constants are valid points (checked by the tests against the RFC's uncompressed
    // forms), so decoding cannot fail.
    GroupPoint::from_sec1(compressed).unwrap_or_else(|_| unreachable!("RFC 9383 constant"))
}

fn m() -> GroupPoint {
    fixed_point(&M_COMPRESSED)
}

fn n() -> GroupPoint {
    fixed_point(&N_COMPRESSED)
}

/// The byte strings both sides put at the head of the transcript: the application's Context
/// and the two parties' identities. They must be equal on both sides or the run fails.
#[derive(Debug, Clone, Copy)]
pub struct Identities<'a> {
    /// The application context (protocol name, version, session parameters).
    pub context: &'a [u8],
    /// idProver: who the prover says it is.
    pub prover: &'a [u8],
    /// idVerifier: who the verifier is.
    pub verifier: &'a [u8],
}

/// K_shared: the key both sides hold after a confirmed run. Zeroized on drop, never shown.
pub struct SharedKey(Zeroizing<[u8; SHARED_KEY_LEN]>);

impl SharedKey {
    /// The key bytes, for deriving application keys with HKDF.
    pub fn as_bytes(&self) -> &[u8; SHARED_KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedKey(<redacted>)")
    }
}

/// Appends `len64le(data) || data` (RFC 9383 §3.3).
fn push_prefixed(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    out.extend_from_slice(data);
}

/// The transcript up to and including shareP and shareV:
/// Context, idProver, idVerifier, M, N, shareP, shareV.
fn transcript_head(ids: &Identities<'_>, share_p: &[u8], share_v: &[u8]) -> Result<Vec<u8>> {
    let mut tt = Vec::with_capacity(
        ids.context.len() + ids.prover.len() + ids.verifier.len() + 4 * POINT_LEN + 10 * 8 + 32,
    );
    push_prefixed(&mut tt, ids.context);
    push_prefixed(&mut tt, ids.prover);
    push_prefixed(&mut tt, ids.verifier);
    push_prefixed(&mut tt, &m().to_uncompressed()?);
    push_prefixed(&mut tt, &n().to_uncompressed()?);
    push_prefixed(&mut tt, share_p);
    push_prefixed(&mut tt, share_v);
    Ok(tt)
}

/// The full transcript TT: the head, then Z, V and w0.
fn transcript(
    head: &[u8],
    z: &GroupPoint,
    v: &GroupPoint,
    w0: &GroupScalar,
) -> Result<Zeroizing<Vec<u8>>> {
    // Z or V being the identity means a share cancelled the mask: refuse rather than hash a
    // transcript with nothing secret in it.
    let z = Zeroizing::new(z.to_uncompressed().map_err(|_| Error::InvalidShare)?);
    let v = Zeroizing::new(v.to_uncompressed().map_err(|_| Error::InvalidShare)?);
    let mut tt = Zeroizing::new(Vec::with_capacity(head.len() + 3 * 8 + 2 * POINT_LEN + 32));
    tt.extend_from_slice(head);
    push_prefixed(&mut tt, z.as_slice());
    push_prefixed(&mut tt, v.as_slice());
    push_prefixed(&mut tt, w0.to_bytes().as_slice());
    Ok(tt)
}

/// The key schedule of RFC 9383 §3.4, from TT.
struct KeySchedule {
    /// K_main = SHA256(TT); kept for the vector tests.
    #[cfg_attr(not(test), allow(dead_code))]
    main: Zeroizing<[u8; 32]>,
    /// K_confirmP || K_confirmV = HKDF(nil, K_main, "ConfirmationKeys"), 64 bytes.
    confirmation: Zeroizing<Vec<u8>>,
    /// K_shared = HKDF(nil, K_main, "SharedKey").
    shared: Zeroizing<Vec<u8>>,
}

impl KeySchedule {
    fn from_transcript(tt: &[u8]) -> Result<Self> {
        let main = Zeroizing::new(sha256(tt));
        let confirmation = hkdf_sha256(
            None,
            main.as_slice(),
            CONFIRMATION_KEYS_INFO,
            2 * HMAC_SHA256_LEN,
        )?;
        let shared = hkdf_sha256(None, main.as_slice(), SHARED_KEY_INFO, SHARED_KEY_LEN)?;
        Ok(Self {
            main,
            confirmation,
            shared,
        })
    }

    fn confirm_p_key(&self) -> &[u8] {
        &self.confirmation[..HMAC_SHA256_LEN]
    }

    fn confirm_v_key(&self) -> &[u8] {
        &self.confirmation[HMAC_SHA256_LEN..]
    }

    fn shared_key(&self) -> SharedKey {
        let mut key = Zeroizing::new([0u8; SHARED_KEY_LEN]);
        key.copy_from_slice(&self.shared);
        SharedKey(key)
    }
}

/// Decodes a peer's share, refusing anything but an uncompressed group element other than the
/// identity.
fn peer_share(bytes: &[u8]) -> Result<GroupPoint> {
    if bytes.len() != SHARE_LEN || bytes[0] != 0x04 {
        return Err(Error::InvalidShare);
    }
    GroupPoint::from_sec1(bytes).map_err(|_| Error::InvalidShare)
}

/// The prover's Z and V from its secrets and the verifier's share:
/// Z = x·(Y − w0·N), V = w1·(Y − w0·N) (cofactor 1).
fn prover_points(
    x: &GroupScalar,
    w0: &GroupScalar,
    w1: &GroupScalar,
    share_v: &GroupPoint,
) -> (GroupPoint, GroupPoint) {
    let unmasked = share_v.sub(&n().mul(w0));
    (unmasked.mul(x), unmasked.mul(w1))
}

/// The verifier's Z and V: Z = y·(X − w0·M), V = y·L.
fn verifier_points(
    y: &GroupScalar,
    w0: &GroupScalar,
    l: &GroupPoint,
    share_p: &GroupPoint,
) -> (GroupPoint, GroupPoint) {
    let unmasked = share_p.sub(&m().mul(w0));
    (unmasked.mul(y), l.mul(y))
}

/// The prover's first step.
pub struct Prover;

impl Prover {
    /// Picks the ephemeral x and returns shareP = x·P + w0·M to send, with the state that
    /// waits for the verifier's answer.
    pub fn start(
        w0: &GroupScalar,
        w1: &GroupScalar,
        ids: &Identities<'_>,
    ) -> Result<(ProverAwaitingVerifier, [u8; SHARE_LEN])> {
        Self::start_with(GroupScalar::random()?, w0, w1, ids)
    }

    /// [`Prover::start`] with a given x (the published vectors fix it).
    pub(crate) fn start_with(
        x: GroupScalar,
        w0: &GroupScalar,
        w1: &GroupScalar,
        ids: &Identities<'_>,
    ) -> Result<(ProverAwaitingVerifier, [u8; SHARE_LEN])> {
        let share = GroupPoint::mul_generator(&x).add(&m().mul(w0));
        let share_p = share.to_uncompressed()?;
        Ok((
            ProverAwaitingVerifier {
                x,
                w0: w0.clone(),
                w1: w1.clone(),
                context: ids.context.to_vec(),
                id_prover: ids.prover.to_vec(),
                id_verifier: ids.verifier.to_vec(),
                share_p,
            },
            share_p,
        ))
    }
}

/// The prover after sending shareP, waiting for shareV and confirmV.
pub struct ProverAwaitingVerifier {
    x: GroupScalar,
    w0: GroupScalar,
    w1: GroupScalar,
    context: Vec<u8>,
    id_prover: Vec<u8>,
    id_verifier: Vec<u8>,
    share_p: [u8; SHARE_LEN],
}

impl std::fmt::Debug for ProverAwaitingVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProverAwaitingVerifier")
            .finish_non_exhaustive()
    }
}

impl ProverAwaitingVerifier {
    /// Checks the verifier's share and its confirmation; only if confirmV verifies does it
    /// return confirmP (to send) and K_shared. A wrong code or a substituted share gives
    /// [`Error::ConfirmationFailed`], and nothing that would help an offline guess leaves.
    pub fn finish(
        self,
        share_v: &[u8],
        confirm_v: &[u8],
    ) -> Result<([u8; CONFIRMATION_LEN], SharedKey)> {
        let y_point = peer_share(share_v)?;
        let (z, v) = prover_points(&self.x, &self.w0, &self.w1, &y_point);
        let ids = Identities {
            context: &self.context,
            prover: &self.id_prover,
            verifier: &self.id_verifier,
        };
        let head = transcript_head(&ids, &self.share_p, share_v)?;
        let tt = transcript(&head, &z, &v, &self.w0)?;
        let keys = KeySchedule::from_transcript(&tt)?;
        if !hmac_sha256_verify(keys.confirm_v_key(), &self.share_p, confirm_v) {
            return Err(Error::ConfirmationFailed);
        }
        let confirm_p = hmac_sha256(keys.confirm_p_key(), share_v);
        Ok((confirm_p, keys.shared_key()))
    }
}

/// The verifier's first step.
pub struct Verifier;

impl Verifier {
    /// Checks shareP, picks the ephemeral y, and returns shareV = y·P + w0·N and confirmV to
    /// send, with the state that waits for confirmP.
    pub fn respond(
        w0: &GroupScalar,
        l: &GroupPoint,
        ids: &Identities<'_>,
        share_p: &[u8],
    ) -> Result<(
        VerifierAwaitingConfirmation,
        [u8; SHARE_LEN],
        [u8; CONFIRMATION_LEN],
    )> {
        Self::respond_with(GroupScalar::random()?, w0, l, ids, share_p)
    }

    /// [`Verifier::respond`] with a given y (the published vectors fix it).
    pub(crate) fn respond_with(
        y: GroupScalar,
        w0: &GroupScalar,
        l: &GroupPoint,
        ids: &Identities<'_>,
        share_p: &[u8],
    ) -> Result<(
        VerifierAwaitingConfirmation,
        [u8; SHARE_LEN],
        [u8; CONFIRMATION_LEN],
    )> {
        let x_point = peer_share(share_p)?;
        let share_v = GroupPoint::mul_generator(&y)
            .add(&n().mul(w0))
            .to_uncompressed()?;
        let (z, v) = verifier_points(&y, w0, l, &x_point);
        let head = transcript_head(ids, share_p, &share_v)?;
        let tt = transcript(&head, &z, &v, w0)?;
        let keys = KeySchedule::from_transcript(&tt)?;
        let confirm_v = hmac_sha256(keys.confirm_v_key(), share_p);
        Ok((
            VerifierAwaitingConfirmation {
                confirm_p_key: Zeroizing::new(keys.confirm_p_key().to_vec()),
                share_v,
                shared: keys.shared_key(),
            },
            share_v,
            confirm_v,
        ))
    }
}

/// The verifier after sending shareV and confirmV, waiting for confirmP.
pub struct VerifierAwaitingConfirmation {
    confirm_p_key: Zeroizing<Vec<u8>>,
    share_v: [u8; SHARE_LEN],
    shared: SharedKey,
}

impl std::fmt::Debug for VerifierAwaitingConfirmation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierAwaitingConfirmation")
            .finish_non_exhaustive()
    }
}

impl VerifierAwaitingConfirmation {
    /// Checks confirmP in constant time and only then releases K_shared.
    pub fn finish(self, confirm_p: &[u8]) -> Result<SharedKey> {
        if !hmac_sha256_verify(&self.confirm_p_key, &self.share_v, confirm_p) {
            return Err(Error::ConfirmationFailed);
        }
        Ok(self.shared)
    }
}
