//! A paired client's session with its hub over `/v1/home?client=<id>`, pinned to the TLS
//! certificate learnt at pairing: sends sealed commands and waits for their responses, and
//! yields events as they come, each with what was verified. Key distributions that arrive
//! are applied and kept by the persistent `keymgmt::Client`, which also refuses a replayed
//! event, response or distribution, across restarts.

use super::pair::{next, unreachable};
use super::{Error, PairedClient, Result};
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
    paired: PairedClient,
}

impl HubSession {
    /// Connects to the hub `paired` was paired with, accepting only its pinned certificate.
    /// The session owns the client while it runs; every change (sequence ceiling, replay
    /// windows, a newer key distribution or revocation list) is written through to its store.
    pub async fn open(paired: PairedClient) -> Result<HubSession> {
        let url = paired.link.home_url();
        let conn = connect(&url, Some(paired.link.hub.tls_sha256))
            .await
            .map_err(|source| unreachable(&url, source))?;
        Ok(HubSession { conn, paired })
    }

    /// The key-management client of this session.
    pub fn client(&self) -> &Client {
        &self.paired.client
    }

    /// Seals `command` for `device` (valid for [`COMMAND_LIFETIME_SECS`] from `now_unix`),
    /// sends it and waits for the response to it: the one whose `re` is this command's
    /// msg_id, so another command's answer is never taken for this one's. When the hub answers
    /// with a challenge (it does not trust its clock), the command is sealed again under the
    /// same msg_id with the challenge echoed, once. Events that arrive meanwhile are skipped.
    pub async fn request(
        &mut self,
        device: &DeviceId,
        command: &Command,
        now_unix: u64,
    ) -> Result<Response> {
        let exp = now_unix + COMMAND_LIFETIME_SECS;
        let (msg_id, sealed) = self
            .paired
            .client
            .seal_command_with_id(device, command.to_value(), exp)
            .map_err(|e| match e {
                crate::keymgmt::Error::UnknownDevice(d) => Error::UnknownDevice(d),
                other => other.into(),
            })?;
        self.conn.send(sealed).await?;
        let mut echoed = false;
        loop {
            let frame = next(&mut self.conn).await?;
            let Some(opened) = self.open_frame(&frame) else {
                continue;
            };
            if opened.body.re != Some(msg_id) {
                continue;
            }
            match opened.route.msg_type {
                MessageType::Response => return Ok(Response::from_value(&opened.body.body)?),
                MessageType::Challenge if !echoed => {
                    let challenge = crate::cbor::as_bytes(&opened.body.body, "challenge")
                        .map_err(|e| Error::Verification(e.to_string()))?
                        .to_vec();
                    let sealed = self.paired.client.resend_command(
                        device,
                        command.to_value(),
                        exp,
                        msg_id,
                        challenge,
                    )?;
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

    /// Opens a frame; one that does not open (a replay, another client's, tampered) is logged
    /// by `Client::open` and skipped. A key distribution is applied (and kept) there too.
    fn open_frame(&mut self, frame: &[u8]) -> Option<crate::envelope::Opened> {
        self.paired.client.open(frame).ok()
    }

    /// Closes the session, handing back the client (to open another session with).
    pub async fn close(mut self) -> Result<PairedClient> {
        self.conn.close().await?;
        Ok(self.paired)
    }
}
