//! The Z-Wave Serial API between the host and the USB stick, without I/O.
//!
//! Data flow: port bytes → [`frame::FrameDecoder`] (stage one: SOF/LEN/checksum, ACK/NAK/CAN)
//! → [`machine::CommandMachine`] (ACKs, retries, matching responses and callbacks, timeouts)
//! → [`messages`] (stage two: the payload by function id). Outbound, a
//! [`messages::HostMessage`] becomes a [`machine::Command`] that the machine writes and tracks.

pub mod frame;
pub mod machine;
pub mod messages;
