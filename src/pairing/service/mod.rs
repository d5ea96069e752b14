//! The pairing service the hub task owns: the live codes, the lock-out state, and one
//! [`HubPairing`] per connection. Frames and the monotonic time go in; [`Reply`]s come out —
//! frames to send on a connection, or a client to certify. It reads no clock, opens no socket
//! and runs no task; its only effects are the store writes for invitations and the lock-out.
//!
//! ```text
//! hub task                                   PairingService
//!   on frame from conn ─────────────────────► receive(conn, frame, now) ─► [Reply]
//!   Reply::Send { conn, frame, close }  ◄────
//!   Reply::Paired { conn, client_bundle, grant, .. }
//!     certify the client, build hub_bundle ─► complete(conn, hub_bundle) ─► PairDone frame
//!     (or refuse it) ───────────────────────► decline(conn) ─► PairRefused frame
//!   on connection closed ───────────────────► disconnect(conn)
//!   at next_deadline() ─────────────────────► expire(now) ─► [Reply]
//! ```
//!
//! Rules it enforces: a PairStart is refused while pairing is locked, when no live code has
//! that slot, or while another conversation uses the same code; a PairShare is refused while
//! locked, and answering one counts a failure (persisted before the answer leaves); a verified
//! PairConfirm consumes the code and clears the lock-out in one store batch; every conversation
//! has a deadline; any error ends the conversation with a PairRefused.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::codes::{Grant, PAIRING_TREE, PairingCodes, invitation_key};
use super::lockout::{Lockout, LockoutPolicy};
use super::messages::{MAX_HUB_ID_LEN, Message, RefusalReason};
use super::protocol::{HubEvent, HubPairing, Timeouts};
use super::verifier::DEFAULT_ITERATIONS;
use super::{Error, Result};
use crate::store::{Store, WriteBatch};

/// The key of the lock-out record in [`PAIRING_TREE`].
const LOCKOUT_KEY: &[u8] = b"lockout";

/// The service's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairingPolicy {
    /// PBKDF2 iterations for new codes ([`DEFAULT_ITERATIONS`]).
    pub iterations: u32,
    /// The lock-out schedule.
    pub lockout: LockoutPolicy,
    /// Step and conversation deadlines.
    pub timeouts: Timeouts,
}

impl Default for PairingPolicy {
    fn default() -> Self {
        Self {
            iterations: DEFAULT_ITERATIONS,
            lockout: LockoutPolicy::default(),
            timeouts: Timeouts::default(),
        }
    }
}

/// What the hub task must do after the service took a frame or the time.
pub enum Reply {
    /// Send `frame` on `conn`; if `close`, the conversation is over and the connection may be
    /// closed once it is sent.
    Send {
        /// The connection.
        conn: u64,
        /// The frame.
        frame: Vec<u8>,
        /// Whether the conversation ended with this frame.
        close: bool,
    },
    /// The client on `conn` proved the code and sent its bundle: certify it with `grant`,
    /// then call [`PairingService::complete`] (or [`PairingService::decline`]).
    Paired {
        /// The connection.
        conn: u64,
        /// The name it paired under (idProver; already in the transcript both sides confirmed).
        client_name: String,
        /// Its opaque bundle (public keys and name, as key management encoded them).
        client_bundle: Zeroizing<Vec<u8>>,
        /// The role and device list its code carried.
        grant: Grant,
    },
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Send { conn, frame, close } => f
                .debug_struct("Send")
                .field("conn", conn)
                .field("frame_len", &frame.len())
                .field("close", close)
                .finish(),
            Reply::Paired {
                conn,
                client_name,
                grant,
                ..
            } => f
                .debug_struct("Paired")
                .field("conn", conn)
                .field("client_name", client_name)
                .field("grant", grant)
                .finish_non_exhaustive(),
        }
    }
}

struct Conversation {
    slot: u8,
    grant: Grant,
    pairing: HubPairing,
}

/// The hub's pairing: codes, lock-out and live conversations keyed by connection id.
pub struct PairingService {
    store: Store,
    hub_id: Vec<u8>,
    policy: PairingPolicy,
    codes: PairingCodes,
    lockout: Lockout,
    conversations: HashMap<u64, Conversation>,
}

impl std::fmt::Debug for PairingService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingService")
            .field("codes", &self.codes)
            .field("failures", &self.lockout.failures())
            .field("conversations", &self.conversations.len())
            .finish_non_exhaustive()
    }
}

fn refusal(conn: u64, reason: RefusalReason) -> Reply {
    Reply::Send {
        conn,
        frame: Message::Refused { reason }.to_bytes(),
        close: true,
    }
}

fn retry_secs(retry_after: Duration) -> u32 {
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// The refusal a peer is told for an error that ended its conversation.
fn reason_for(error: &Error) -> RefusalReason {
    match error {
        Error::UnsupportedVersion(_) => RefusalReason::UnsupportedVersion,
        Error::LockedOut { retry_after } => RefusalReason::LockedOut {
            retry_after_secs: retry_secs(*retry_after),
        },
        Error::UnknownCode(_) => RefusalReason::UnknownCode,
        Error::Busy => RefusalReason::Busy,
        Error::ConfirmationFailed => RefusalReason::WrongCode,
        Error::Expired => RefusalReason::Expired,
        Error::Store(_) | Error::Crypto(_) => RefusalReason::HubFailure,
        _ => RefusalReason::Protocol,
    }
}

impl PairingService {
    /// Opens the service over the sealed store: loads the lock-out state (its remaining lock
    /// measured from `now`) and the stored invitations. `hub_id` is idVerifier (1..=64 bytes).
    pub fn open(
        store: Store,
        hub_id: &[u8],
        policy: PairingPolicy,
        now: Instant,
        now_unix: Option<u64>,
    ) -> Result<Self> {
        if hub_id.is_empty() || hub_id.len() > MAX_HUB_ID_LEN {
            return Err(Error::Parameters(format!(
                "hub id of {} bytes is outside 1..={MAX_HUB_ID_LEN}",
                hub_id.len()
            )));
        }
        let lockout = match store.get(PAIRING_TREE, LOCKOUT_KEY)? {
            Some(bytes) => Lockout::from_bytes(&bytes, now)?,
            None => Lockout::new(),
        };
        let codes = PairingCodes::open(store.handle(), policy.iterations, now, now_unix)?;
        Ok(Self {
            store,
            hub_id: hub_id.to_vec(),
            policy,
            codes,
            lockout,
            conversations: HashMap::new(),
        })
    }

    /// The codes: make the start code, invite, cancel.
    pub fn codes(&mut self) -> &mut PairingCodes {
        &mut self.codes
    }

    /// How long pairing stays locked after wrong codes, if it is locked at `now`.
    pub fn locked_for(&self, now: Instant) -> Option<Duration> {
        self.lockout.remaining(now)
    }

    /// Takes one frame from connection `conn`.
    pub fn receive(&mut self, conn: u64, frame: &[u8], now: Instant) -> Vec<Reply> {
        let result = if self.conversations.contains_key(&conn) {
            self.continue_conversation(conn, frame, now)
        } else {
            self.start_conversation(conn, frame, now)
        };
        match result {
            Ok(replies) => replies,
            Err(error) => {
                let reason = reason_for(&error);
                tracing::info!(conn, %error, "pairing conversation refused");
                self.conversations.remove(&conn);
                vec![refusal(conn, reason)]
            }
        }
    }

    fn start_conversation(&mut self, conn: u64, frame: &[u8], now: Instant) -> Result<Vec<Reply>> {
        let (client_name, slot) = match Message::from_bytes(frame)? {
            Message::Start {
                client_name,
                locator,
            } => (client_name, locator),
            other => {
                return Err(Error::UnexpectedMessage {
                    expected: "PairStart",
                    got: other.name(),
                });
            }
        };
        self.lockout.check(now)?;
        let (verifier, grant) = self
            .codes
            .lookup(slot, now)?
            .ok_or(Error::UnknownCode(slot))?;
        if self.conversations.values().any(|c| c.slot == slot) {
            return Err(Error::Busy);
        }
        let (pairing, params) = HubPairing::start(
            &client_name,
            slot,
            &verifier,
            &self.hub_id,
            now,
            self.policy.timeouts,
        )?;
        tracing::info!(conn, slot, client = %client_name, "pairing conversation started");
        self.conversations.insert(
            conn,
            Conversation {
                slot,
                grant,
                pairing,
            },
        );
        Ok(vec![Reply::Send {
            conn,
            frame: params,
            close: false,
        }])
    }

    fn continue_conversation(
        &mut self,
        conn: u64,
        frame: &[u8],
        now: Instant,
    ) -> Result<Vec<Reply>> {
        // A PairShare while locked (another conversation failed meanwhile) is refused before
        // the hub computes anything.
        let awaiting_share = self
            .conversations
            .get(&conn)
            .is_some_and(|c| !c.pairing.is_paired())
            && matches!(Message::from_bytes(frame), Ok(Message::Share { .. }));
        if awaiting_share {
            self.lockout.check(now)?;
        }
        let conversation = self
            .conversations
            .get_mut(&conn)
            .ok_or(Error::UnknownConnection(conn))?;
        match conversation.pairing.receive(frame, now)? {
            HubEvent::Answer(response) => {
                // The answer lets the peer test one guess: count it, durably, before it leaves.
                self.lockout.record_failure(now, &self.policy.lockout);
                self.store
                    .put(PAIRING_TREE, LOCKOUT_KEY, &self.lockout.to_bytes(now))?;
                Ok(vec![Reply::Send {
                    conn,
                    frame: response,
                    close: false,
                }])
            }
            HubEvent::Paired { client_bundle } => {
                let slot = conversation.slot;
                let grant = conversation.grant.clone();
                let client_name = conversation.pairing.client_name().to_owned();
                // The code is used up and the lock-out cleared, in one batch.
                let mut cleared = self.lockout.clone();
                cleared.record_success();
                let mut batch = WriteBatch::new();
                batch.remove(PAIRING_TREE, &invitation_key(slot)).put(
                    PAIRING_TREE,
                    LOCKOUT_KEY,
                    &cleared.to_bytes(now),
                );
                self.store.apply(batch)?;
                self.lockout = cleared;
                self.codes.forget(slot);
                tracing::info!(conn, slot, client = %client_name, "pairing code verified");
                Ok(vec![Reply::Paired {
                    conn,
                    client_name,
                    client_bundle,
                    grant,
                }])
            }
        }
    }

    /// Seals the hub's bundle for the client paired on `conn` and returns the PairDone frame
    /// to send; the conversation ends.
    pub fn complete(&mut self, conn: u64, hub_bundle: &[u8]) -> Result<Vec<u8>> {
        let mut conversation = self
            .conversations
            .remove(&conn)
            .ok_or(Error::UnknownConnection(conn))?;
        conversation.pairing.complete(hub_bundle)
    }

    /// The hub will not take the client paired on `conn` (for example its name is taken):
    /// returns the PairRefused frame to send; the conversation ends (its code stays used).
    pub fn decline(&mut self, conn: u64) -> Result<Vec<u8>> {
        self.conversations
            .remove(&conn)
            .ok_or(Error::UnknownConnection(conn))?;
        Ok(Message::Refused {
            reason: RefusalReason::Declined,
        }
        .to_bytes())
    }

    /// The connection closed: its conversation is forgotten (a failure already counted stays
    /// counted).
    pub fn disconnect(&mut self, conn: u64) {
        self.conversations.remove(&conn);
    }

    /// The earliest conversation deadline, for the hub task's timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.conversations
            .values()
            .map(|c| c.pairing.deadline())
            .min()
    }

    /// Ends every conversation whose deadline has passed at `now`, with a PairRefused each.
    pub fn expire(&mut self, now: Instant) -> Vec<Reply> {
        let expired: Vec<u64> = self
            .conversations
            .iter()
            .filter(|(_, c)| now >= c.pairing.deadline())
            .map(|(conn, _)| *conn)
            .collect();
        expired
            .into_iter()
            .map(|conn| {
                self.conversations.remove(&conn);
                tracing::info!(conn, "pairing conversation timed out");
                refusal(conn, RefusalReason::Expired)
            })
            .collect()
    }
}
