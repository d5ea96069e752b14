//! COSE structures (RFC 9052/9053) on top of `coset`, with the checks `coset` leaves to its caller:
//! the algorithm named in the header must be the one expected, signatures are verified over the
//! protected header's original bytes (never a re-encoding), and every key comes from [`crate::crypto`].
//!
//! This layer knows nothing of sealhub's envelope; it turns bytes into verified plaintext and back.
//! The [`crate::envelope`] layer above decides which structure, key and algorithm each message uses.

mod decode;
pub mod diag;
mod ecdh;
mod encrypt0;
mod error;
mod key;
mod sign1;

pub use decode::{MAX_MESSAGE_LEN, decode_encrypt, decode_encrypt0, decode_sign1};
pub use ecdh::{
    EcdhEsPrepared, EcdhEsRecipient, encrypt_ecdh_es, encrypt_prepared, kdf_context, open_ecdh_es,
    prepare_ecdh_es, recipient_content_key,
};
pub use encrypt0::{ContentAlgorithm, encrypt0_create, encrypt0_open, open_with_header_alg};
pub use error::{Error, Result};
pub use key::{cose_key_from_public, public_from_cose_key};
pub use sign1::{HeaderPlace, sign1_create, sign1_verify};

/// Where an `alg` parameter was found, for layers that insist it be integrity-protected.
pub(crate) fn find_alg(
    protected: &coset::Header,
    unprotected: &coset::Header,
) -> Option<(coset::Algorithm, HeaderPlace)> {
    if let Some(alg) = &protected.alg {
        return Some((alg.clone(), HeaderPlace::Protected));
    }
    unprotected
        .alg
        .clone()
        .map(|alg| (alg, HeaderPlace::Unprotected))
}
