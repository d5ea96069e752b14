//! The application-layer gateway: radio command sets in, device-model messages out, and the
//! reverse. The two radios' `RadioEvent` types meet here and nowhere else.
//!
//! - [`zigbee`] and [`zwave`] translate, purely: a device's interview into a [`Mapping`] (its
//!   definition from [`crate::definitions`], or the generic fallback by cluster or command
//!   class), reports into [`crate::model::Attribute`]s, and [`crate::model::Action`]s into the
//!   radio requests of [`ops`].
//! - the core (registry, keys, events, commands) is a function of (radio event or opened
//!   command, device registry) to (radio requests, envelopes), driven by a thin tokio task in
//!   the binary, so it is tested without ptys or sleeps.

pub mod core;
pub mod mapping;
pub mod ops;
pub mod zigbee;
pub mod zwave;

pub use mapping::Mapping;
pub use ops::{ZigbeeOp, ZwaveOp};

use crate::model::Failure;

/// Why the gateway will not turn an action into radio requests: a code for programs and words
/// for a person, as the failed response carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The code.
    pub failure: Failure,
    /// The words.
    pub message: String,
}

impl Refusal {
    /// A refusal with its words.
    pub fn new(failure: Failure, message: impl Into<String>) -> Self {
        Refusal {
            failure,
            message: message.into(),
        }
    }
}
