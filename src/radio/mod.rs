//! Where the radio drivers (`sealhub-radios`) meet the sealed store: the Z-Wave network keys
//! and what each secure node was granted ([`zwave_keys`]), and the Zigbee network backup
//! ([`zigbee_network`]), each kept as sealed records so the radios' secrets get the same
//! protection as the hub's own keys and survive restarts and stick replacements. What each
//! Z-Wave node is, as its interview found, is kept the same way ([`zwave_nodes`]), so a node
//! is interviewed once, not at every start.
//!
//! The drivers know nothing of the store: Z-Wave takes a
//! [`NetworkKeyStore`](sealhub_radios::zwave::driver::keys::NetworkKeyStore), implemented here by
//! [`zwave_keys::SealedNetworkKeys`]; Zigbee produces and consumes open coordinator backups,
//! which [`zigbee_network::ZigbeeNetwork`] seals and uses to decide between resuming, restoring
//! and refusing at start-up. The binary's runtime wires both to the sticks.

pub mod zigbee_network;
pub mod zwave_keys;
pub mod zwave_nodes;

use sealhub_radios::zigbee::driver::{self as zigbee, NetworkInfo};

/// Why a radio's sealed records or start-up failed. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The sealed store failed (including a record that does not authenticate).
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// A record decrypted but does not hold what its kind says.
    #[error("the sealed {what} record is damaged: {reason}")]
    Corrupt {
        /// Which record kind.
        what: &'static str,
        /// What is wrong with it (never its content).
        reason: String,
    },
    /// The Zigbee driver failed.
    #[error("Zigbee stick: {0}")]
    Zigbee(#[from] zigbee::Error),
    /// The Zigbee stick runs another network than the one in the sealed store, and
    /// `[zigbee] force` is not set: the hub will not overwrite it.
    #[error(
        "the Zigbee stick runs another network (PAN ID {:#06x}, extended PAN ID {:016x}, \
         channel {}) than the one in the sealed store (PAN ID {stored_pan_id:#06x}, extended \
         PAN ID {stored_extended_pan_id:016x}); refusing to overwrite it. Plug in the hub's \
         own stick, or set `force = true` in [zigbee] to replace the stick's network with the \
         stored one",
        .stick.pan_id, .stick.extended_pan_id, .stick.channel
    )]
    OtherNetwork {
        /// What the stick runs.
        stick: NetworkInfo,
        /// The stored network's PAN ID.
        stored_pan_id: u16,
        /// The stored network's extended PAN ID, as a number.
        stored_extended_pan_id: u64,
    },
    /// The stored backup cannot be put on the stick.
    #[error("the stored Zigbee network cannot be restored: {0}")]
    Restore(String),
    /// A fresh backup is of another network than the stored one (the stick changed its
    /// network while the hub ran); it is not saved over the stored one.
    #[error(
        "the Zigbee stick now runs another network (extended PAN ID {stick:016x}) than the \
         stored one ({stored:016x}); the stored backup is kept"
    )]
    NetworkChanged {
        /// The stick's extended PAN ID, as a number.
        stick: u64,
        /// The stored one's, as a number.
        stored: u64,
    },
}

/// Result alias for this layer.
pub type Result<T> = std::result::Result<T, Error>;
