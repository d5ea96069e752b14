//! What clients send: opening a command with every check of `docs/ENVELOPE.md`, and the home
//! as the keyring that decides which signer may send what.

use super::{Home, REPLAY};
use crate::crypto::{AeadKey, PrivateKey, PublicKey};
use crate::envelope::freshness;
use crate::envelope::replay::ReplayWindow;
use crate::envelope::{self, Keyring, MessageType, Opened, Route};
use crate::identity::{Kid, Permissions};
use crate::store::WriteBatch;
use std::time::Instant;

impl Home {
    /// Opens a command with every check of `docs/ENVELOPE.md`: authenticity, authorisation,
    /// replay (also across restarts) and freshness. `now_unix` is `Some` only when the hub
    /// trusts its clock. The replay window is advanced and flushed (and the rollback guard
    /// written) before this returns `Ok`, so the caller may act on the command.
    pub fn open_command(
        &mut self,
        bytes: &[u8],
        now_unix: Option<u64>,
        now_mono: Instant,
    ) -> std::result::Result<Opened, envelope::Error> {
        let opened = self.open_command_staged(bytes, now_unix, now_mono)?;
        self.make_durable().map_err(|e| {
            envelope::Error::Crypto(format!("could not persist the replay window: {e}"))
        })?;
        Ok(opened)
    }

    /// [`Home::open_command`] with the advanced replay window **staged**, not flushed: it is
    /// written atomically with the generation, but durable only once [`Home::make_durable`]
    /// returns `Ok`. The caller must call it before it acts on the command in any way the
    /// outside world can see (a radio request, an answer): the gateway core stages the
    /// command's journal entry meanwhile, so the window, the entry and the generation share one
    /// flush (`docs/GATEWAY.md`). A crash before that flush loses the window and the entry
    /// together, and the command never ran: a copy of it is then opened as new, and runs once.
    pub fn open_command_staged(
        &mut self,
        bytes: &[u8],
        now_unix: Option<u64>,
        now_mono: Instant,
    ) -> std::result::Result<Opened, envelope::Error> {
        let result = self.open_command_inner(bytes, now_unix, now_mono);
        if let Err(e) = &result {
            tracing::warn!(check = e.check(), kid = ?refusal_kid(e), "refused a command: {e}");
        }
        result
    }

    fn open_command_inner(
        &mut self,
        bytes: &[u8],
        now_unix: Option<u64>,
        now_mono: Instant,
    ) -> std::result::Result<Opened, envelope::Error> {
        let keyring = KeyringAt {
            home: &*self,
            now_unix,
        };
        let opened = envelope::open(bytes, &keyring)?;
        if opened.route.msg_type != MessageType::Command {
            return Err(envelope::Error::MetadataMismatch(
                "the hub accepts only commands".into(),
            ));
        }
        let kid = opened.signer;
        if opened.route.epoch < self.command_epoch_floor {
            // Sealed before a recovery from a rollback: its replay window may be undone.
            return Err(envelope::Error::UnknownEpoch(opened.route.epoch));
        }
        let mut window = self.replay_window(kid)?;
        if window.check(opened.body.seq).is_err() {
            return Err(envelope::Error::Replay {
                kid,
                seq: opened.body.seq,
            });
        }
        freshness::check_command(
            &opened.body,
            kid,
            now_unix,
            &self.freshness,
            &mut self.challenges,
            now_mono,
        )?;
        window
            .accept(opened.body.seq)
            .map_err(|_| envelope::Error::Replay {
                kid,
                seq: opened.body.seq,
            })?;
        let mut batch = WriteBatch::new();
        batch.put(REPLAY, &kid.0, &window.to_bytes());
        self.commit_staged(batch, self.epoch).map_err(|e| {
            envelope::Error::Crypto(format!("could not persist the replay window: {e}"))
        })?;
        self.replay.insert(kid, window);
        Ok(opened)
    }

    fn replay_window(&self, kid: Kid) -> std::result::Result<ReplayWindow, envelope::Error> {
        if let Some(w) = self.replay.get(&kid) {
            return Ok(*w);
        }
        let stored = self.store.get(REPLAY, &kid.0).map_err(|e| {
            envelope::Error::Crypto(format!("could not read the replay window: {e}"))
        })?;
        match stored {
            None => Ok(ReplayWindow::default()),
            Some(v) => ReplayWindow::from_bytes(&v)
                .ok_or_else(|| envelope::Error::Crypto("stored replay window is damaged".into())),
        }
    }
}

fn refusal_kid(e: &envelope::Error) -> Option<Kid> {
    use envelope::Error as E;
    match e {
        E::UnknownKid(k) | E::Revoked(k) | E::BadSignature(k) => Some(*k),
        E::NotAuthorised { kid, .. }
        | E::Replay { kid, .. }
        | E::CertificateNotValid { kid, .. }
        | E::Expired { kid, .. }
        | E::FreshnessUnverified { kid, .. } => Some(*kid),
        _ => None,
    }
}

impl Keyring for Home {
    fn home(&self) -> Kid {
        self.home
    }

    /// The hub opens commands only, none of which travels under a read key.
    fn epoch_key(&self, _epoch: u32) -> Option<AeadKey> {
        None
    }

    fn recipient_key(&self, kid: &Kid, route: &Route) -> Option<PrivateKey> {
        if route.msg_type != MessageType::Command {
            return None;
        }
        let entry = self.devices.get(&route.device)?;
        (entry.cert.agreement_kid() == Some(*kid)).then(|| entry.agreement.clone())
    }

    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        self.command_signer(kid, route, self.now_unix())
    }
}

/// The home as the keyring of one [`Home::open_command`], judging certificate validity by the
/// clock the caller passed in rather than by reading one.
struct KeyringAt<'a> {
    home: &'a Home,
    now_unix: Option<u64>,
}

impl Keyring for KeyringAt<'_> {
    fn home(&self) -> Kid {
        self.home.home
    }

    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        self.home.epoch_key(epoch)
    }

    fn recipient_key(&self, kid: &Kid, route: &Route) -> Option<PrivateKey> {
        self.home.recipient_key(kid, route)
    }

    fn signer(&self, kid: &Kid, route: &Route) -> envelope::Result<PublicKey> {
        self.home.command_signer(kid, route, self.now_unix)
    }
}

impl Home {
    /// The public key of a client allowed to send this command: paired, not revoked, within
    /// its certificate's validity window when `now_unix` (a trusted clock) is given, with the
    /// permission to command and the device in its scope.
    fn command_signer(
        &self,
        kid: &Kid,
        route: &Route,
        now_unix: Option<u64>,
    ) -> envelope::Result<PublicKey> {
        let Some(cert) = self.clients.values().find(|c| c.kid() == *kid) else {
            if self.revocations.kids.contains(kid) {
                return Err(envelope::Error::Revoked(*kid));
            }
            return Err(envelope::Error::UnknownKid(*kid));
        };
        if self.revocations.is_revoked(cert) {
            return Err(envelope::Error::Revoked(*kid));
        }
        crate::keymgmt::check_validity(cert, *kid, now_unix)?;
        if route.msg_type != MessageType::Command {
            return Err(envelope::Error::NotAuthorised {
                kid: *kid,
                reason: format!("a client may not send {:?}", route.msg_type),
            });
        }
        if !cert.has(Permissions::SEND_COMMANDS) {
            return Err(envelope::Error::NotAuthorised {
                kid: *kid,
                reason: "no permission to send commands".into(),
            });
        }
        // Hub-level commands are open to every client that may send commands; the hub checks
        // each against the client's role and device list itself.
        if route.device.as_str() != crate::model::HUB_DEVICE
            && !cert.allows_device(route.device.as_str())
        {
            return Err(envelope::Error::NotAuthorised {
                kid: *kid,
                reason: format!("no permission for device {}", route.device),
            });
        }
        Ok(cert.claims().key)
    }
}
