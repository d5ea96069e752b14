//! The sealhub envelope, version 1 (`docs/ENVELOPE.md`): a COSE_Sign1 by the sender inside a
//! COSE_Encrypt0 (epoch key) or COSE_Encrypt (one recipient key), with the routing metadata
//! readable outside and bound as external AAD of both layers.
//!
//! This module is a protocol core without I/O: sealing and opening are functions of bytes and
//! keys; replay windows and freshness are pure state the caller persists.

mod body;
mod error;
pub mod freshness;
mod headers;
pub mod inspect;
mod open;
mod read_key;
pub mod replay;
mod route;
mod seal;

pub use body::{Body, MSG_ID_LEN};
pub use error::{Error, Result};
pub use open::{Keyring, Opened, open};
pub use read_key::{READ_KEY_INFO, READ_KEY_LEN, device_read_key};
pub use route::{DeviceId, MessageType, ROUTE_LABEL, ROUTE_VERSION, Route};
pub use seal::{
    CONTENT_ALG, SigningIdentity, prepare_for_key, seal_for_epoch, seal_for_epoch_with,
    seal_for_key, seal_for_key_with, seal_for_prepared,
};
