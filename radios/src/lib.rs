//! Drivers for the USB radio sticks sealhub speaks to, each a protocol core without I/O (bytes,
//! events and time in; frames, actions and deadlines out) plus a thin task that owns the port:
//! Zigbee through Silicon Labs EZSP over ASH, and Z-Wave through the Z-Wave Serial API.
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_docs)]

pub mod discovery;
pub mod port;
pub mod zigbee;
pub mod zwave;
