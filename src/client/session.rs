//! A paired client's session with its hub over `/v1/home?client=<id>`, pinned to the TLS
//! certificate learnt at pairing: sends sealed commands and waits for their responses, and
//! yields events as they come, each with what was verified. Key distributions that arrive
//! are applied (and kept, for [`HubSession::latest_distribution`]).

use super::pair::{next, unreachable};
use super::{ClientState, Error, Result};
use crate::envelope::{DeviceId, MessageType};
use crate::identity::Kid;
use crate::keymgmt::Client;
use crate::model::{Command, Event, Response};
use crate::transport::client::{ClientConnection, connect};

/// How long after sealing a command expires (the hub refuses longer lifetimes).
pub const COMMAND_LIFETIME_SECS: u64 = 30;

/// An event that opened: who signed it and where it sits, and the event.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEvent {
    /// The device the event is about (the route, under the signature).
    pub device: DeviceId,
    /// The key that signed it (the device's, certified by the home's root key).
    pub kid: Kid,
    /// The signer's sequence number (checked against replay).
    pub seq: u64,
    /// The epoch whose key encrypted it.
    pub epoch: u32,
    /// The event.
    pub event: Event,
}

/// A live session with the hub.
#[derive(Debug)]
pub struct HubSession {
    conn: ClientConnection,
    client: Client,
    latest_distribution: Option<Vec<u8>>,
    sealed: u64,
    sealed_for: Option<DeviceId>,
}

impl HubSession {
    /// Connects to the hub the state was paired with, accepting only its pinned certificate.
    pub async fn open(state: &ClientState) -> Result<HubSession> {
        let url = state.home_url();
        let client = state.client()?;
        let conn = connect(&url, Some(state.hub.tls_sha256))
            .await
            .map_err(|source| unreachable(&url, source))?;
        Ok(HubSession {
            conn,
            client,
            latest_distribution: None,
            sealed: 0,
            sealed_for: None,
        })
    }

    /// The newest key distribution received in this session, to be saved with the state.
    pub fn latest_distribution(&self) -> Option<&[u8]> {
        self.latest_distribution.as_deref()
    }

    /// Adds what this session used to `state` (sequence numbers, the newest key
    /// distribution), to be saved before the next session opens.
    pub fn update(&self, state: &mut ClientState) {
        state.sealed += self.sealed;
        if self.sealed_for.is_some() {
            state.sealed_for = self.sealed_for.clone();
        }
        if let Some(latest) = &self.latest_distribution {
            state.distribution = latest.clone();
        }
    }

    /// Seals `command` for `device` (valid for [`COMMAND_LIFETIME_SECS`] from `now_unix`),
    /// sends it and waits for the response to it. When the hub answers with a challenge (it
    /// does not trust its clock), the command is sealed again with the challenge echoed,
    /// once. Events that arrive meanwhile are skipped.
    ///
    /// The response taken is the first from `device` that answers a command (`re` set):
    /// `Client::seal_command` does not tell its caller the `msg_id` it drew, so the `re` is
    /// not compared with it yet; a client sends one command at a time.
    pub async fn request(
        &mut self,
        device: &DeviceId,
        command: &Command,
        now_unix: u64,
    ) -> Result<Response> {
        let exp = now_unix + COMMAND_LIFETIME_SECS;
        let sealed = self
            .client
            .seal_command(device, command.to_value(), exp, None)
            .map_err(|e| match e {
                crate::keymgmt::Error::UnknownDevice(d) => Error::UnknownDevice(d),
                other => other.into(),
            })?;
        self.sealed += 1;
        self.sealed_for = Some(device.clone());
        self.conn.send(sealed).await?;
        let mut echoed = false;
        loop {
            let frame = next(&mut self.conn).await?;
            let Some(opened) = self.open_frame(&frame) else {
                continue;
            };
            if opened.body.re.is_none() || opened.route.device != *device {
                continue;
            }
            match opened.route.msg_type {
                MessageType::Response => return Ok(Response::from_value(&opened.body.body)?),
                MessageType::Challenge if !echoed => {
                    let challenge = crate::cbor::as_bytes(&opened.body.body, "challenge")
                        .map_err(|e| Error::Verification(e.to_string()))?
                        .to_vec();
                    let sealed = self.client.seal_command(
                        device,
                        command.to_value(),
                        exp,
                        Some(challenge),
                    )?;
                    self.sealed += 1;
                    self.conn.send(sealed).await?;
                    echoed = true;
                }
                _ => {}
            }
        }
    }

    /// The next event that opens; `Err(SessionEnded)` when the hub closes the session.
    pub async fn next_event(&mut self) -> Result<VerifiedEvent> {
        loop {
            let frame = next(&mut self.conn).await?;
            let Some(opened) = self.open_frame(&frame) else {
                continue;
            };
            if opened.route.msg_type != MessageType::Event {
                continue;
            }
            return Ok(VerifiedEvent {
                device: opened.route.device,
                kid: opened.signer,
                seq: opened.body.seq,
                epoch: opened.route.epoch,
                event: Event::from_value(&opened.body.body)?,
            });
        }
    }

    /// Opens a frame; one that does not open is logged (by `Client::open`) and skipped.
    fn open_frame(&mut self, frame: &[u8]) -> Option<crate::envelope::Opened> {
        let opened = self.client.open(frame).ok()?;
        if opened.route.msg_type == MessageType::KeyDistribution {
            self.latest_distribution = Some(frame.to_vec());
        }
        Some(opened)
    }

    /// Closes the session.
    pub async fn close(mut self) -> Result<()> {
        Ok(self.conn.close().await?)
    }
}
