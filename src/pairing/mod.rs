//! Pairing a client with the hub by a setup code the person types: SPAKE2+ (RFC 9383) over a
//! WebSocket that may pass through untrusted relays, so the code is never exposed to offline
//! guessing and the keys it confirms carry the client's public keys to the hub and the hub's
//! identity to the client, sealed, where a relay can neither read nor replace them.
//! `docs/PAIRING.md` has the messages, the key schedule and the threat model.
//!
//! Layers, bottom up, none with I/O or clock reads:
//! - [`setup_code`]: the 8-digit code with its Verhoeff check digit; generation and parsing.
//! - [`verifier`]: PBKDF2 from the code to SPAKE2+'s w0, w1 (client) and the verifier record
//!   (w0, L, salt, iterations) that is all the hub keeps.
//! - [`spake2plus`]: the exchange itself, as prover and verifier typestates.
//! - [`messages`]: the CBOR frames.
//! - [`protocol`]: one conversation: [`HubPairing`] and [`ClientPairing`].
//! - [`lockout`]: wrong-code lock-out, persistable.
//! - [`codes`]: the start code and the invitations.
//! - [`service`]: [`PairingService`], what the hub task owns and drives.
//!
//! The hub task's use:
//! ```text
//! let mut pairing = PairingService::open(store.handle(), hub_id, PairingPolicy::default(),
//!                                        Instant::now(), now_unix)?;
//! let code = pairing.codes().start_code(Instant::now())?;   // print code.to_grouped_string()
//! for reply in pairing.receive(conn, &frame, Instant::now()) {
//!     match reply {
//!         Reply::Send { conn, frame, close } => { /* send; close if asked */ }
//!         Reply::Paired { conn, client_name, client_bundle, grant } => {
//!             // certify with key management, then:
//!             let done = pairing.complete(conn, &hub_bundle)?;   // or pairing.decline(conn)
//!         }
//!     }
//! }
//! // on close: pairing.disconnect(conn); at pairing.next_deadline(): pairing.expire(now)
//! // an owner's Invite: pairing.codes().invite(role, devices, ttl, now, now_unix)?
//! ```
//! The client (laptop; the web page mirrors it): `SetupCode::parse` what the person typed, then
//! [`ClientPairing::start`] and the three `receive` steps, which end with the hub's bundle.

pub mod codes;
mod error;
pub mod lockout;
pub mod messages;
pub mod protocol;
pub mod service;
pub mod setup_code;
pub mod spake2plus;
pub mod verifier;

pub use codes::{CodeKind, Grant, PairingCodes};
pub use error::{CodeProblem, Error, Result};
pub use lockout::{Lockout, LockoutPolicy};
pub use messages::{Message, RefusalReason};
pub use protocol::{ClientPairing, HubEvent, HubPairing, Timeouts};
pub use service::{PairingPolicy, PairingService, Reply};
pub use setup_code::SetupCode;
pub use verifier::{PasscodeVerifier, ProverSecrets};
