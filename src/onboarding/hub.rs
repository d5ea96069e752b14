//! The hub's side of onboarding: the glue between the transport's pairing frames, the pairing
//! service and key management. Frames and the time go in, [`Outbound`] requests come out; no
//! I/O, no task, no clock reads. The hub task that owns the [`Home`] calls it:
//!
//! ```text
//! Inbound::Pairing { conn, bytes } ─► on_frame(&mut home, tls_sha256, conn, bytes, now)
//! Inbound::Closed { conn }         ─► on_closed(conn)
//! at next_deadline()               ─► tick(now)
//! ```
//!
//! The gateway task reaches it through [`PairingHandler`] (so its tests can put a fake in its
//! place); [`Onboarding`] implements it by delegating to the methods above.
//!
//! When a client proves its code, it is certified under an id derived from its name, with
//! the permissions its code's role maps to ([`permissions_for`]), and answered with the hub
//! bundle (PairDone) on its connection; its read scope is set for its later sessions.

use std::time::Instant;

use super::Result;
use super::bundle::{ClientBundle, HubBundle};
use crate::envelope::DeviceId;
use crate::identity::{MAX_ID_LEN, Permissions};
use crate::keymgmt::{self, Home};
use crate::model::{HUB_DEVICE, Role};
use crate::pairing::{Grant, PairingPolicy, PairingService, Reply, SetupCode};
use crate::store::Store;
use crate::transport::{ConnectionId, HOME_PATH, Outbound, ReadScope};

/// How many numbered variants of a taken client id are tried (`laptop-2` … `laptop-99`).
const MAX_ID_SUFFIX: u32 = 99;

/// role → permissions: what a client paired with a code of this role may do. The one place
/// this mapping lives. (A secure-devices permission for locks and alarms, withheld from
/// guests, is to be added with the gateway's permission checks.)
pub fn permissions_for(role: Role) -> Permissions {
    match role {
        Role::Owner => Permissions::ALL,
        Role::Member | Role::Guest => Permissions::READ_EVENTS.union(Permissions::SEND_COMMANDS),
    }
}

/// The client id for a client that asked to be called `name`: lower case, every character
/// outside `[a-z0-9._:-]` turned into `-`, runs of `-` collapsed, `-` trimmed at the ends,
/// at most 48 characters (room for a suffix); `client` when nothing is left.
pub fn client_id_from_name(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | ':') {
            c
        } else {
            '-'
        };
        if c == '-' && (id.is_empty() || id.ends_with('-')) {
            continue;
        }
        id.push(c);
        if id.len() >= MAX_ID_LEN - 16 {
            break;
        }
    }
    let id = id.trim_end_matches('-');
    if id.is_empty() {
        "client".to_owned()
    } else {
        id.to_owned()
    }
}

/// What the gateway task calls for frames on the pairing path (`src/onboarding/`).
pub trait PairingHandler: Send {
    /// Takes one pairing frame from connection `conn`, with the home to certify a client in
    /// and the hub's TLS certificate fingerprint to hand it; returns what to send.
    fn on_frame(
        &mut self,
        home: &mut Home,
        tls_fingerprint: [u8; 32],
        conn: u64,
        frame: &[u8],
        now: Instant,
    ) -> Vec<Outbound>;
    /// The connection `conn` closed: its conversation, if any, is forgotten.
    fn on_closed(&mut self, conn: u64);
    /// When [`PairingHandler::tick`] must next be called; `None` (the default) while nothing
    /// waits on time.
    fn next_deadline(&self) -> Option<Instant> {
        None
    }
    /// Ends what ran out of time at `now` and returns what to send (by default nothing, for a
    /// handler without deadlines).
    fn tick(&mut self, now: Instant) -> Vec<Outbound> {
        let _ = now;
        Vec::new()
    }
}

/// The hub's pairing, as the hub task drives it: owns the [`PairingService`].
#[derive(Debug)]
pub struct Onboarding {
    pairing: PairingService,
}

impl Onboarding {
    /// Opens the pairing service over `store` (a handle on the hub's sealed store) for the
    /// home `home` (its id is the pairing exchange's hub identity).
    pub fn open(
        store: Store,
        home: &Home,
        policy: PairingPolicy,
        now: Instant,
        now_unix: Option<u64>,
    ) -> Result<Self> {
        let pairing = PairingService::open(store, &home.home_id().0, policy, now, now_unix)?;
        Ok(Onboarding { pairing })
    }

    /// Makes this start's code (it admits one owner, then is used up), for the binary to
    /// print.
    pub fn start_code(&mut self, now: Instant) -> Result<SetupCode> {
        Ok(self.pairing.codes().start_code(now)?)
    }

    /// The pairing service, for invitations (`codes().invite(..)`) and the lock-out state.
    pub fn service(&mut self) -> &mut PairingService {
        &mut self.pairing
    }

    /// Takes one pairing frame from connection `conn`. `tls_sha256` is the fingerprint of
    /// the hub's TLS certificate, handed to a paired client to pin.
    pub fn on_frame(
        &mut self,
        home: &mut Home,
        tls_sha256: [u8; 32],
        conn: ConnectionId,
        frame: &[u8],
        now: Instant,
    ) -> Vec<Outbound> {
        let replies = self.pairing.receive(conn, frame, now);
        let mut out = Vec::new();
        for reply in replies {
            match reply {
                Reply::Send { conn, frame, .. } => {
                    out.push(Outbound::ToConnection { conn, bytes: frame })
                }
                Reply::Paired {
                    conn,
                    client_name,
                    client_bundle,
                    grant,
                } => out.extend(self.certify(
                    home,
                    tls_sha256,
                    conn,
                    &client_name,
                    &client_bundle,
                    &grant,
                )),
            }
        }
        out
    }

    /// The connection closed: its conversation, if any, is forgotten.
    pub fn on_closed(&mut self, conn: ConnectionId) {
        self.pairing.disconnect(conn);
    }

    /// When [`Onboarding::tick`] must next be called, if a conversation is under way.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pairing.next_deadline()
    }

    /// Ends the conversations that ran out of time, with a refusal each.
    pub fn tick(&mut self, now: Instant) -> Vec<Outbound> {
        self.pairing
            .expire(now)
            .into_iter()
            .filter_map(|reply| match reply {
                Reply::Send { conn, frame, .. } => {
                    Some(Outbound::ToConnection { conn, bytes: frame })
                }
                Reply::Paired { .. } => None,
            })
            .collect()
    }

    /// Certifies the client that proved its code on `conn` and answers it; declines it (with
    /// a refusal frame) when its bundle is unreadable or key management refuses it.
    fn certify(
        &mut self,
        home: &mut Home,
        tls_sha256: [u8; 32],
        conn: ConnectionId,
        client_name: &str,
        client_bundle: &[u8],
        grant: &Grant,
    ) -> Vec<Outbound> {
        match self.try_certify(home, tls_sha256, client_name, client_bundle, grant) {
            Ok((client, hub_bundle)) => match self.pairing.complete(conn, &hub_bundle.to_bytes()) {
                Ok(done) => {
                    tracing::info!(conn, %client, role = ?grant.role, "client paired");
                    let scope = match &grant.devices {
                        None => ReadScope::All,
                        Some(devices) => ReadScope::Devices(devices.clone()),
                    };
                    vec![
                        Outbound::ToConnection { conn, bytes: done },
                        Outbound::SetReadScope { client, scope },
                    ]
                }
                Err(e) => {
                    tracing::warn!(conn, "could not seal the hub bundle: {e}");
                    self.decline(conn)
                }
            },
            Err(e) => {
                tracing::warn!(conn, client = %client_name, "pairing declined: {e}");
                self.decline(conn)
            }
        }
    }

    fn decline(&mut self, conn: ConnectionId) -> Vec<Outbound> {
        match self.pairing.decline(conn) {
            Ok(bytes) => vec![Outbound::ToConnection { conn, bytes }],
            Err(_) => Vec::new(),
        }
    }

    fn try_certify(
        &mut self,
        home: &mut Home,
        tls_sha256: [u8; 32],
        client_name: &str,
        client_bundle: &[u8],
        grant: &Grant,
    ) -> std::result::Result<(DeviceId, HubBundle), String> {
        let bundle = ClientBundle::from_bytes(client_bundle).map_err(|e| e.to_string())?;
        if bundle.name != client_name {
            return Err("the bundle's name is not the name the code was proved under".into());
        }
        let devices = grant.devices.as_ref().map(|list| {
            list.iter()
                .map(|d| d.as_str().to_owned())
                .chain(std::iter::once(HUB_DEVICE.to_owned()))
                .collect::<Vec<_>>()
        });
        let base = client_id_from_name(client_name);
        let permissions = permissions_for(grant.role);
        for n in 1..=MAX_ID_SUFFIX {
            let candidate = if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            let id = DeviceId::new(&candidate).map_err(|e| e.to_string())?;
            match home.pair_client(&id, bundle.keys, permissions, devices.clone()) {
                Ok(pairing) => {
                    let hub_bundle = HubBundle {
                        home: home.home_id(),
                        root_key: home.root_public(),
                        path: format!("{HOME_PATH}?client={id}"),
                        client_id: id.clone(),
                        role: grant.role,
                        certificate: pairing.certificate.as_bytes().to_vec(),
                        key_distribution: pairing.key_distribution,
                        tls_sha256,
                    };
                    return Ok((id, hub_bundle));
                }
                Err(keymgmt::Error::AlreadyExists(_)) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
        Err(format!(
            "every id from {base} to {base}-{MAX_ID_SUFFIX} is taken"
        ))
    }
}

impl PairingHandler for Onboarding {
    fn on_frame(
        &mut self,
        home: &mut Home,
        tls_fingerprint: [u8; 32],
        conn: u64,
        frame: &[u8],
        now: Instant,
    ) -> Vec<Outbound> {
        Onboarding::on_frame(self, home, tls_fingerprint, conn, frame, now)
    }

    fn on_closed(&mut self, conn: u64) {
        Onboarding::on_closed(self, conn);
    }

    fn next_deadline(&self) -> Option<Instant> {
        Onboarding::next_deadline(self)
    }

    fn tick(&mut self, now: Instant) -> Vec<Outbound> {
        Onboarding::tick(self, now)
    }
}

#[cfg(test)]
mod tests;
