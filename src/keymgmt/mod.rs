//! Key management, the part COSE leaves undefined: how a home's keys are created, how clients
//! are paired and removed, how device keys are issued and rotated, how the epoch key reaches
//! clients, and how replays are refused across restarts (`docs/ENVELOPE.md`).

mod client;
mod distribution;
mod error;
mod home;
mod sequence;

pub use client::Client;
pub use distribution::KeyDistribution;
pub use error::{Error, Result};
pub use home::{Home, Pairing};
pub use sequence::{RESERVE, SequenceCounter};
