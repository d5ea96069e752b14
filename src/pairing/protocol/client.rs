//! The client's side of pairing, as a typestate: [`ClientPairing::start`] gives the PairStart
//! frame and a state that takes PairParams, which gives PairShare and a state that takes
//! PairResponse, which gives PairConfirm and a state that takes PairDone and returns the hub's
//! bundle. Each step consumes the state, so nothing can run twice or out of order; a
//! PairRefused at any step becomes [`Error::Refused`].

use zeroize::Zeroizing;

use super::{Direction, context, open_bundle, seal_bundle};
use crate::pairing::messages::{MAX_SEALED_BUNDLE_LEN, Message, check_client_name};
use crate::pairing::spake2plus::{Identities, Prover, ProverAwaitingVerifier, SharedKey};
use crate::pairing::{Error, ProverSecrets, Result, SetupCode};

/// The entry point of the client's side.
pub struct ClientPairing;

impl ClientPairing {
    /// Begins pairing with the code the person typed (already parsed, so a typo never reaches
    /// the network) under `client_name`; returns the PairStart frame to send.
    pub fn start(code: &SetupCode, client_name: &str) -> Result<(ClientAwaitingParams, Vec<u8>)> {
        check_client_name(client_name)?;
        let frame = Message::Start {
            client_name: client_name.to_owned(),
            locator: code.locator(),
        }
        .to_bytes();
        Ok((
            ClientAwaitingParams {
                code: code.clone(),
                client_name: client_name.to_owned(),
            },
            frame,
        ))
    }
}

/// Refusals and unexpected messages, shared by every step.
fn unexpected(message: Message, expected: &'static str) -> Error {
    match message {
        Message::Refused { reason } => Error::Refused(reason),
        other => Error::UnexpectedMessage {
            expected,
            got: other.name(),
        },
    }
}

/// After PairStart, waiting for PairParams.
pub struct ClientAwaitingParams {
    code: SetupCode,
    client_name: String,
}

impl std::fmt::Debug for ClientAwaitingParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAwaitingParams")
            .finish_non_exhaustive()
    }
}

impl ClientAwaitingParams {
    /// Takes PairParams, runs PBKDF2 over the code with the hub's salt and iteration count
    /// (refusing values outside the client's limits), and returns the PairShare frame.
    pub fn receive(self, frame: &[u8]) -> Result<(ClientAwaitingResponse, Vec<u8>)> {
        let (session, hub_id, salt, iterations) = match Message::from_bytes(frame)? {
            Message::Params {
                session,
                hub_id,
                salt,
                iterations,
            } => (session, hub_id, salt, iterations),
            other => return Err(unexpected(other, "PairParams")),
        };
        let secrets = ProverSecrets::derive(&self.code, &salt, iterations)?;
        let context = context(&session, self.code.locator(), &salt, iterations);
        let ids = Identities {
            context: &context,
            prover: self.client_name.as_bytes(),
            verifier: &hub_id,
        };
        let (prover, share_p) = Prover::start(&secrets.w0, &secrets.w1, &ids)?;
        Ok((
            ClientAwaitingResponse { prover, hub_id },
            Message::Share { share_p }.to_bytes(),
        ))
    }
}

/// After PairShare, waiting for PairResponse.
pub struct ClientAwaitingResponse {
    prover: ProverAwaitingVerifier,
    hub_id: Vec<u8>,
}

impl std::fmt::Debug for ClientAwaitingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAwaitingResponse")
            .finish_non_exhaustive()
    }
}

impl ClientAwaitingResponse {
    /// The hub's id as it stated it in PairParams (confirmed once PairResponse verifies).
    pub fn hub_id(&self) -> &[u8] {
        &self.hub_id
    }

    /// Takes PairResponse and checks confirmV: only a hub holding this code's verifier passes.
    /// Then returns PairConfirm with `client_bundle` sealed under the client-to-hub key.
    /// A wrong code or a substituted share gives [`Error::ConfirmationFailed`].
    pub fn receive(
        self,
        frame: &[u8],
        client_bundle: &[u8],
    ) -> Result<(ClientAwaitingDone, Vec<u8>)> {
        let (share_v, confirm_v) = match Message::from_bytes(frame)? {
            Message::Response { share_v, confirm_v } => (share_v, confirm_v),
            other => return Err(unexpected(other, "PairResponse")),
        };
        let (confirm_p, shared) = self.prover.finish(&share_v, &confirm_v)?;
        let sealed_client_bundle = seal_bundle(&shared, Direction::ClientToHub, client_bundle)?;
        if sealed_client_bundle.len() > MAX_SEALED_BUNDLE_LEN {
            return Err(Error::Parameters(format!(
                "client bundle of {} bytes is too long",
                client_bundle.len()
            )));
        }
        Ok((
            ClientAwaitingDone {
                shared,
                hub_id: self.hub_id,
            },
            Message::Confirm {
                confirm_p,
                sealed_client_bundle,
            }
            .to_bytes(),
        ))
    }
}

/// After PairConfirm, waiting for PairDone.
pub struct ClientAwaitingDone {
    shared: SharedKey,
    hub_id: Vec<u8>,
}

impl std::fmt::Debug for ClientAwaitingDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAwaitingDone").finish_non_exhaustive()
    }
}

impl ClientAwaitingDone {
    /// The hub's id, authenticated by the code: it was in the transcript both sides confirmed.
    pub fn hub_id(&self) -> &[u8] {
        &self.hub_id
    }

    /// Takes PairDone and opens the hub's bundle (its root public key, the client's
    /// certificate, the first key distribution, the TLS certificate fingerprint): only the hub
    /// that confirmed the code could have sealed it.
    pub fn receive(self, frame: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        match Message::from_bytes(frame)? {
            Message::Done { sealed_hub_bundle } => {
                open_bundle(&self.shared, Direction::HubToClient, &sealed_hub_bundle)
            }
            other => Err(unexpected(other, "PairDone")),
        }
    }
}
