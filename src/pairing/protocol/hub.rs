//! The hub's side of one pairing conversation: a state machine fed frames and the current
//! time. The pairing service decides whether a conversation may start (lock-out, code lookup,
//! one conversation per code) and then drives this machine; it charges the lock-out when
//! [`HubEvent::Answer`] comes out, since sending confirmV spends one online guess.

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::{Direction, context, open_bundle, seal_bundle};
use crate::pairing::messages::{Message, SESSION_ID_LEN};
use crate::pairing::spake2plus::{Identities, SharedKey, Verifier, VerifierAwaitingConfirmation};
use crate::pairing::{Error, PasscodeVerifier, Result};

/// How long each step and the whole conversation may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From one hub message to the client's next (the client runs PBKDF2 in between; a phone
    /// does 30 000 iterations in well under a second).
    pub step: Duration,
    /// From PairStart to PairDone, the hub's own certification included.
    pub conversation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            step: Duration::from_secs(15),
            conversation: Duration::from_secs(60),
        }
    }
}

/// What the hub does with a frame it accepted.
pub enum HubEvent {
    /// Send this PairResponse. One online guess at the code has now been spent: the caller
    /// counts it against the lock-out before sending.
    Answer(Vec<u8>),
    /// The client proved knowledge of the code and its bundle opened: certify it and call
    /// [`HubPairing::complete`] with the hub's bundle.
    Paired {
        /// The client's opaque bundle (public keys and name, as key management encoded them).
        client_bundle: Zeroizing<Vec<u8>>,
    },
}

impl std::fmt::Debug for HubEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HubEvent::Answer(frame) => write!(f, "Answer({} bytes)", frame.len()),
            HubEvent::Paired { client_bundle } => {
                write!(
                    f,
                    "Paired {{ client_bundle: {} bytes }}",
                    client_bundle.len()
                )
            }
        }
    }
}

enum HubState {
    AwaitingShare {
        verifier: PasscodeVerifier,
        context: Vec<u8>,
        client_name: String,
        hub_id: Vec<u8>,
    },
    AwaitingConfirm(VerifierAwaitingConfirmation),
    AwaitingHubBundle(SharedKey),
    Finished,
}

impl HubState {
    fn waiting_for(&self) -> &'static str {
        match self {
            HubState::AwaitingShare { .. } => "PairShare",
            HubState::AwaitingConfirm(_) => "PairConfirm",
            HubState::AwaitingHubBundle(_) => "the hub's bundle",
            HubState::Finished => "nothing",
        }
    }
}

/// One conversation on the hub. Any error ends it: later frames get [`Error::Finished`].
pub struct HubPairing {
    state: HubState,
    client_name: String,
    step_deadline: Instant,
    end: Instant,
    timeouts: Timeouts,
}

impl std::fmt::Debug for HubPairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubPairing")
            .field("client_name", &self.client_name)
            .field("waiting_for", &self.state.waiting_for())
            .finish_non_exhaustive()
    }
}

impl HubPairing {
    /// Starts a conversation for a PairStart the service accepted, with the verifier of the
    /// code in that slot; returns the machine and the PairParams frame to send.
    pub fn start(
        client_name: &str,
        locator: u8,
        verifier: &PasscodeVerifier,
        hub_id: &[u8],
        now: Instant,
        timeouts: Timeouts,
    ) -> Result<(Self, Vec<u8>)> {
        let session = crate::crypto::random_array::<SESSION_ID_LEN>()?;
        let params = Message::Params {
            session,
            hub_id: hub_id.to_vec(),
            salt: verifier.salt().to_vec(),
            iterations: verifier.iterations(),
        };
        let context = context(&session, locator, verifier.salt(), verifier.iterations());
        let end = now + timeouts.conversation;
        Ok((
            Self {
                state: HubState::AwaitingShare {
                    verifier: verifier.clone(),
                    context,
                    client_name: client_name.to_owned(),
                    hub_id: hub_id.to_vec(),
                },
                client_name: client_name.to_owned(),
                step_deadline: (now + timeouts.step).min(end),
                end,
                timeouts,
            },
            params.to_bytes(),
        ))
    }

    /// The client's name (idProver), for the caller's logs and for certifying it.
    pub fn client_name(&self) -> &str {
        &self.client_name
    }

    /// When this conversation times out unless the next step arrives.
    pub fn deadline(&self) -> Instant {
        self.step_deadline
    }

    /// Whether the client has proved the code and the hub's bundle is awaited.
    pub fn is_paired(&self) -> bool {
        matches!(self.state, HubState::AwaitingHubBundle(_))
    }

    /// Takes one frame from the client. Errors end the conversation: a wrong code gives
    /// [`Error::ConfirmationFailed`], a tampered bundle [`Error::BundleTampered`], a message
    /// out of order [`Error::UnexpectedMessage`], a late one [`Error::Expired`].
    pub fn receive(&mut self, frame: &[u8], now: Instant) -> Result<HubEvent> {
        let result = self.step(frame, now);
        if result.is_err() {
            self.state = HubState::Finished;
        }
        result
    }

    fn step(&mut self, frame: &[u8], now: Instant) -> Result<HubEvent> {
        if matches!(self.state, HubState::Finished) {
            return Err(Error::Finished);
        }
        if now >= self.step_deadline {
            return Err(Error::Expired);
        }
        let message = Message::from_bytes(frame)?;
        let state = std::mem::replace(&mut self.state, HubState::Finished);
        match (state, message) {
            (
                HubState::AwaitingShare {
                    verifier,
                    context,
                    client_name,
                    hub_id,
                },
                Message::Share { share_p },
            ) => {
                let ids = Identities {
                    context: &context,
                    prover: client_name.as_bytes(),
                    verifier: &hub_id,
                };
                let (next, share_v, confirm_v) =
                    Verifier::respond(&verifier.w0, &verifier.l, &ids, &share_p)?;
                self.state = HubState::AwaitingConfirm(next);
                self.step_deadline = (now + self.timeouts.step).min(self.end);
                Ok(HubEvent::Answer(
                    Message::Response { share_v, confirm_v }.to_bytes(),
                ))
            }
            (
                HubState::AwaitingConfirm(verifier),
                Message::Confirm {
                    confirm_p,
                    sealed_client_bundle,
                },
            ) => {
                let shared = verifier.finish(&confirm_p)?;
                let client_bundle =
                    open_bundle(&shared, Direction::ClientToHub, &sealed_client_bundle)?;
                self.state = HubState::AwaitingHubBundle(shared);
                // The hub's own work (certifying) has the rest of the conversation's time.
                self.step_deadline = self.end;
                Ok(HubEvent::Paired { client_bundle })
            }
            (state, message) => Err(Error::UnexpectedMessage {
                expected: state.waiting_for(),
                got: message.name(),
            }),
        }
    }

    /// Seals the hub's bundle for the client and returns the PairDone frame; the conversation
    /// is then over. Only after [`HubEvent::Paired`].
    pub fn complete(&mut self, hub_bundle: &[u8]) -> Result<Vec<u8>> {
        let state = std::mem::replace(&mut self.state, HubState::Finished);
        match state {
            HubState::AwaitingHubBundle(shared) => {
                let sealed_hub_bundle = seal_bundle(&shared, Direction::HubToClient, hub_bundle)?;
                Ok(Message::Done { sealed_hub_bundle }.to_bytes())
            }
            HubState::Finished => Err(Error::Finished),
            other => Err(Error::UnexpectedMessage {
                expected: other.waiting_for(),
                got: "the hub's bundle",
            }),
        }
    }
}
