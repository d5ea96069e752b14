//! Who is who in a home: every key is a P-256 key named by its COSE Key Thumbprint (RFC 9679),
//! envelopes carry the thumbprint's first 8 bytes as `kid`, and the hub root key vouches for
//! device and client keys with CWT certificates ([`Certificate`]) and withdraws them with a
//! signed, numbered [`RevocationList`].

mod cert;
mod error;
mod revocation;
mod thumbprint;
mod wire;

pub use cert::{
    CWT_TAG, CertClaims, Certificate, MAX_CERT_LEN, MAX_ID_LEN, Permissions, Role, is_valid_id,
};
pub use error::{Error, Result};
pub use revocation::{MAX_REVOCATION_LIST_LEN, RevocationList};
pub use thumbprint::{KID_LEN, Kid, Thumbprint};
pub use wire::{CERTIFICATE_AAD, REVOCATION_LIST_AAD};
