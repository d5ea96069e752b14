//! sealhub: a home hub that turns every radio message into an authenticated COSE envelope.
//!
//! The layers, bottom up (see `docs/ARCHITECTURE.md`): [`crypto`] primitives, the [`cose`]
//! structures, the sealed [`store`], [`identity`] (keys, thumbprints, certificates), the
//! [`envelope`] (version 1) and [`keymgmt`] (pairing, epochs, rotation, revocation).
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_docs)]

pub mod backup;
pub mod cbor;
pub mod client;
pub mod config;
pub mod cose;
pub mod crypto;
pub mod definitions;
pub mod doctor;
pub mod envelope;
pub mod gateway;
pub mod identity;
pub mod import;
pub mod keymgmt;
pub mod model;
pub mod onboarding;
pub mod pairing;
pub mod radio;
pub mod store;
pub mod transport;
