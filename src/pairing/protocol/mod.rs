//! The pairing conversation, one per connection, as two protocol cores without I/O: the hub's
//! [`HubPairing`] (a state machine the pairing service keeps per connection) and the client's
//! [`ClientPairing`] (a typestate: each step consumes the state and returns the next).
//!
//! ```text
//! client                                            hub
//!   PairStart { client_name, locator }        ->
//!                                             <-  PairParams { session, hub_id, salt, iterations }
//!   (PBKDF2 over the code: w0, w1)
//!   PairShare { shareP }                      ->
//!                                             <-  PairResponse { shareV, confirmV }
//!   (checks confirmV)
//!   PairConfirm { confirmP, seal_c2h(client_bundle) } ->
//!                                                 (checks confirmP, opens the bundle;
//!                                                  the caller certifies the client)
//!                                             <-  PairDone { seal_h2c(hub_bundle) }
//! ```
//!
//! SPAKE2+'s Context is the CBOR array `["sealhub-pairing", 1, session, locator, salt,
//! iterations]`, idProver the client's name, idVerifier the hub's id, so everything either
//! side said before the shares is bound into the keys. The bundles are sealed with
//! AES-256-GCM under keys and nonces derived from K_shared with HKDF-SHA-256 and one label per
//! direction; each key seals exactly one message, so the derived nonce is never reused.

mod client;
mod hub;
#[cfg(test)]
mod tests;

pub use client::{ClientAwaitingDone, ClientAwaitingParams, ClientAwaitingResponse, ClientPairing};
pub use hub::{HubEvent, HubPairing, Timeouts};

use coset::cbor::value::Value;
use zeroize::Zeroizing;

use super::messages::PROTOCOL_VERSION;
use super::spake2plus::SharedKey;
use super::{Error, Result};
use crate::cbor;
use crate::crypto::{AeadKey, GCM_NONCE_LEN, aes_gcm_open, aes_gcm_seal, hkdf_sha256};

/// The protocol name at the head of the SPAKE2+ Context.
const PROTOCOL_NAME: &str = "sealhub-pairing";
/// HKDF info for the client-to-hub bundle key and nonce.
const CLIENT_TO_HUB_INFO: &[u8] = b"sealhub-pairing v1 client-to-hub bundle";
/// HKDF info for the hub-to-client bundle key and nonce.
const HUB_TO_CLIENT_INFO: &[u8] = b"sealhub-pairing v1 hub-to-client bundle";
/// AES-GCM associated data of both bundles.
const BUNDLE_AAD: &[u8] = b"sealhub-pairing v1";

/// The SPAKE2+ Context: `["sealhub-pairing", 1, session, locator, salt, iterations]`.
fn context(session: &[u8], locator: u8, salt: &[u8], iterations: u32) -> Vec<u8> {
    cbor::encode(&Value::Array(vec![
        Value::Text(PROTOCOL_NAME.into()),
        cbor::uint(PROTOCOL_VERSION),
        Value::Bytes(session.to_vec()),
        cbor::uint(u64::from(locator)),
        Value::Bytes(salt.to_vec()),
        cbor::uint(u64::from(iterations)),
    ]))
}

/// Which way a bundle travels; each way has its own key and nonce.
#[derive(Clone, Copy)]
enum Direction {
    ClientToHub,
    HubToClient,
}

/// The AES-256-GCM key and nonce for one direction, from K_shared.
fn bundle_key(shared: &SharedKey, direction: Direction) -> Result<(AeadKey, [u8; GCM_NONCE_LEN])> {
    let info = match direction {
        Direction::ClientToHub => CLIENT_TO_HUB_INFO,
        Direction::HubToClient => HUB_TO_CLIENT_INFO,
    };
    let okm = hkdf_sha256(None, shared.as_bytes(), info, 32 + GCM_NONCE_LEN)?;
    let key = AeadKey::from_slice(&okm[..32])?;
    let mut nonce = [0u8; GCM_NONCE_LEN];
    nonce.copy_from_slice(&okm[32..]);
    Ok((key, nonce))
}

fn seal_bundle(shared: &SharedKey, direction: Direction, bundle: &[u8]) -> Result<Vec<u8>> {
    let (key, nonce) = bundle_key(shared, direction)?;
    Ok(aes_gcm_seal(&key, &nonce, BUNDLE_AAD, bundle)?)
}

fn open_bundle(
    shared: &SharedKey,
    direction: Direction,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let (key, nonce) = bundle_key(shared, direction)?;
    aes_gcm_open(&key, &nonce, BUNDLE_AAD, sealed).map_err(|_| Error::BundleTampered)
}
