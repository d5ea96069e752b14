//! Z-Wave: the protocol core that talks to a Z-Wave USB stick through the Serial API, and the
//! crypto that S0 and S2 security need. Everything here is pure (bytes, time and keys in; bytes,
//! events and deadlines out); a thin tokio task ([`driver`]) owns the serial port.
//!
//! Where each piece sits, from the wire inwards:
//! - [`serial::frame`]: stage one, the frame (SOF, length, type, function, checksum; ACK, NAK,
//!   CAN) and a streaming decoder for arbitrary chunks. Errors: [`serial::frame::Error`].
//! - [`serial::machine`]: the host's command cycle as a state machine (send, wait ACK, retry,
//!   wait response, wait callback; unsolicited frames ACKed and surfaced). Failures:
//!   [`serial::machine::Failure`], misuse: [`serial::machine::Error`].
//! - [`serial::messages`]: stage two, each function's payload as a typed message. Errors:
//!   [`serial::messages::Error`].
//! - [`cc`]: stage two of what SendData carries and ApplicationCommandHandler delivers, the
//!   command class frames (one enum variant per command, unknown ones kept raw). Errors:
//!   [`cc::Error`].
//! - [`s2`]: Security 2 frames, the singlecast encapsulation with a SPAN table per peer
//!   ([`s2::session`]) and bootstrapping as typestates ([`s2::bootstrap`]). Errors:
//!   [`s2::Error`].
//! - [`security`]: AES-128 building blocks for S0 (OFB, CBC-MAC, key derivation) and S2 (CMAC,
//!   CCM, CKDF, CTR_DRBG, SPAN nonces) and X25519. Errors: [`security::Error`].
//! - [`s0`]: Security (S0) frames and encapsulation (nonces, OFB, CBC-MAC). Errors:
//!   [`s0::Error`].
//! - [`driver`]: the tokio task that owns the port and drives [`serial::machine`], start-up,
//!   SendData, inclusion and exclusion, wake-up queues, and recovery after an unplug. Errors:
//!   [`driver::Error`]. S2 and S0 run on the host there: bootstrapping at inclusion,
//!   encapsulation under each node's highest class, downgrade refusal and nonce resync; the
//!   network keys come from the caller's [`driver::keys::NetworkKeyStore`].

pub mod cc;
pub mod driver;
pub mod s0;
pub mod s2;
pub mod security;
pub mod serial;
