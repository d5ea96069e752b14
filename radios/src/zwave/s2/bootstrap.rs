//! S2 bootstrapping (key exchange at inclusion) as typestates, one per side, in the manner of
//! lakers' EDHOC: every step consumes the state and returns the next one with the command to
//! send, or an [`Aborted`] carrying the KEX Fail to send. Steps cannot run out of order, and a
//! state that has been answered cannot be answered twice.
//!
//! The exchange (including controller = "includer", joining node = "joiner"):
//!
//! | # | includer | | joiner | protection |
//! |---|---|---|---|---|
//! | 1 | KEX Get | → | | plain |
//! | 2 | | ← | KEX Report (schemes, curves, requested keys) | plain |
//! | 3 | KEX Set (granted = requested ∩ allowed) | → | | plain |
//! | 4 | | ← | Public Key Report (bytes 0–1 zeroed if authenticated) | plain |
//! | 5 | user types the PIN → bytes 0–1; Public Key Report | → | | plain |
//! | 6 | | ← | KEX Set echo | temporary key |
//! | 7 | KEX Report echo | → | | temporary key |
//! | 8 | | ← | Network Key Get (one class) | temporary key |
//! | 9 | Network Key Report | → | | temporary key |
//! | 10 | | ← | Network Key Verify | the new network key |
//! | 11 | Transfer End (key verified) | → | | temporary key |
//! | | (8–11 once per granted class) | | | |
//! | 12 | | ← | Transfer End (key request complete) | temporary key |
//!
//! Temporary keys: `PRK = CKDF-TempExtract(ECDH secret, includer public key, joiner public
//! key)`, then CKDF-TempExpand ([`crate::zwave::security::kdf`]). A wrong PIN gives the includer
//! another public key for the joiner, so other temporary keys, and step 6 fails to decrypt
//! (KEX Fail Decrypt). The callers move the [`Outgoing`] commands through their
//! [`super::session::S2Session`]s and report what arrived with the key it arrived under.

use std::collections::BTreeMap;

use super::session::KeyId;
use super::{
    CURVE_25519, KEX_SCHEME_1, KexFailType, KexParams, KeyClasses, S2Command, SecurityClass,
};
use crate::zwave::security::Key128;
use crate::zwave::security::kdf::{TempKeys, compute_prk, derive_temp_keys};
use crate::zwave::security::x25519::PrivateKey;

/// A command to send and the key to protect it with (`None` = plain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The S2 command.
    pub command: S2Command,
    /// `None` for plain, else the key to encapsulate under.
    pub protection: Option<KeyId>,
}

impl Outgoing {
    fn plain(command: S2Command) -> Self {
        Outgoing {
            command,
            protection: None,
        }
    }

    fn temp(command: S2Command) -> Self {
        Outgoing {
            command,
            protection: Some(KeyId::Temporary),
        }
    }
}

/// Bootstrapping failed: why, and the KEX Fail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aborted {
    /// The reason, also the KEX Fail code.
    pub reason: KexFailType,
    /// The KEX Fail to send (plain: the peer may not hold our temporary key).
    pub reply: Outgoing,
}

fn abort(reason: KexFailType) -> Aborted {
    Aborted {
        reason,
        reply: Outgoing::plain(S2Command::KexFail(reason)),
    }
}

/// One step's outcome: the next state and what to send, or the abort.
pub type Step<T> = core::result::Result<(T, Outgoing), Aborted>;

/// Formats a DSK (16 bytes) the way it is printed on devices: eight 5-digit groups.
pub fn format_dsk(dsk: &[u8; 16]) -> String {
    dsk.chunks(2)
        .map(|c| {
            let hi = c.first().copied().unwrap_or(0);
            let lo = c.get(1).copied().unwrap_or(0);
            format!("{:05}", u16::from_be_bytes([hi, lo]))
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn derive_temp(
    private: &PrivateKey,
    includer_public: &[u8; 32],
    joiner_public: &[u8; 32],
    peer_public: &[u8; 32],
) -> Result<TempKeys, Aborted> {
    let shared = private
        .diffie_hellman(peer_public)
        .map_err(|_| abort(KexFailType::Auth))?;
    let prk = compute_prk(&shared.0, includer_public, joiner_public);
    Ok(derive_temp_keys(&prk))
}

fn is_temp(protection: Option<KeyId>) -> bool {
    protection == Some(KeyId::Temporary)
}

// ---------------------------------------------------------------- including controller

/// What the includer brings: the classes the user allows, the network keys, and a fresh
/// X25519 key pair for this inclusion.
pub struct IncluderConfig {
    /// Classes the user allows for this node.
    pub allowed: KeyClasses,
    /// Our permanent keys, one per class we may grant.
    pub network_keys: BTreeMap<SecurityClass, Key128>,
    /// Ephemeral private key (32 random bytes from the OS).
    pub private_key: PrivateKey,
}

impl core::fmt::Debug for IncluderConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IncluderConfig")
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

/// Starts bootstrapping a node that was just added: returns the first state and the KEX Get.
pub fn start_inclusion(config: IncluderConfig) -> (KexGetSent, Outgoing) {
    (KexGetSent { config }, Outgoing::plain(S2Command::KexGet))
}

/// Step 1 done: waiting for the node's KEX Report.
#[derive(Debug)]
pub struct KexGetSent {
    config: IncluderConfig,
}

impl KexGetSent {
    /// Takes the KEX Report: grants `allowed ∩ requested ∩ keys we hold`; needs KEX scheme 1
    /// and Curve25519. Replies KEX Set.
    pub fn on_kex_report(self, cmd: &S2Command, protection: Option<KeyId>) -> Step<KexSetSent> {
        let S2Command::KexReport(report) = cmd else {
            return Err(abort(KexFailType::Cancel));
        };
        if protection.is_some() || report.echo {
            return Err(abort(KexFailType::Auth));
        }
        if report.schemes & KEX_SCHEME_1 == 0 {
            return Err(abort(KexFailType::KexScheme));
        }
        if report.curves & CURVE_25519 == 0 {
            return Err(abort(KexFailType::KexCurves));
        }
        let held = self
            .config
            .network_keys
            .keys()
            .fold(KeyClasses::empty(), |m, c| m | c.bit());
        let granted = report.keys & self.config.allowed & held & KeyClasses::all();
        if granted.is_empty() {
            return Err(abort(KexFailType::KexKey));
        }
        let set = KexParams {
            echo: false,
            csa: false,
            schemes: KEX_SCHEME_1,
            curves: CURVE_25519,
            keys: granted,
            reserved: 0,
        };
        Ok((
            KexSetSent {
                config: self.config,
                report: *report,
                set,
            },
            Outgoing::plain(S2Command::KexSet(set)),
        ))
    }
}

/// Step 3 done: waiting for the node's public key.
#[derive(Debug)]
pub struct KexSetSent {
    config: IncluderConfig,
    report: KexParams,
    set: KexParams,
}

impl KexSetSent {
    /// The classes granted in the KEX Set.
    pub fn granted(&self) -> KeyClasses {
        self.set.keys
    }

    /// Takes the node's Public Key Report; the next state asks the user for the PIN when an
    /// authenticated class was granted.
    pub fn on_public_key(
        self,
        cmd: &S2Command,
        protection: Option<KeyId>,
    ) -> core::result::Result<AwaitingPin, Aborted> {
        let S2Command::PublicKeyReport {
            including_node: false,
            public_key,
        } = cmd
        else {
            return Err(abort(KexFailType::Cancel));
        };
        if protection.is_some() {
            return Err(abort(KexFailType::Auth));
        }
        Ok(AwaitingPin {
            config: self.config,
            report: self.report,
            set: self.set,
            node_public: *public_key,
        })
    }
}

/// Step 4 done: the node's public key is in; the user confirms the DSK (typing the PIN if an
/// authenticated class was granted).
#[derive(Debug)]
pub struct AwaitingPin {
    config: IncluderConfig,
    report: KexParams,
    set: KexParams,
    node_public: [u8; 32],
}

impl AwaitingPin {
    /// Whether the user must type the 5-digit PIN (authenticated or access control granted).
    pub fn needs_pin(&self) -> bool {
        self.set.keys.classes().iter().any(|c| c.is_authenticated())
    }

    /// The DSK as received (bytes 0–1 zero when the PIN is needed), to show the user.
    pub fn dsk(&self) -> [u8; 16] {
        let mut d = [0u8; 16];
        d.copy_from_slice(&self.node_public[..16]);
        d
    }

    /// The user cancelled.
    pub fn cancel(self) -> Aborted {
        abort(KexFailType::Cancel)
    }

    /// The user confirmed; `pin` (0..=65535, the DSK's first group) is required when
    /// [`Self::needs_pin`]. Derives the temporary keys and sends our public key.
    pub fn confirm(self, pin: Option<u16>) -> Step<AwaitingEcho> {
        let mut node_public = self.node_public;
        if self.needs_pin() {
            let Some(pin) = pin else {
                return Err(abort(KexFailType::Cancel));
            };
            node_public[..2].copy_from_slice(&pin.to_be_bytes());
        }
        let own_public = self.config.private_key.public_key();
        let temp = derive_temp(
            &self.config.private_key,
            &own_public,
            &node_public,
            &node_public,
        )?;
        Ok((
            AwaitingEcho {
                config: self.config,
                report: self.report,
                set: self.set,
                temp,
            },
            Outgoing::plain(S2Command::PublicKeyReport {
                including_node: true,
                public_key: own_public,
            }),
        ))
    }
}

/// Step 5 done: waiting for the node's KEX Set echo under the temporary key.
#[derive(Debug)]
pub struct AwaitingEcho {
    config: IncluderConfig,
    report: KexParams,
    set: KexParams,
    temp: TempKeys,
}

impl AwaitingEcho {
    /// The temporary keys, to install in the session for this node.
    pub fn temp_keys(&self) -> &TempKeys {
        &self.temp
    }

    /// Checks the echo is byte-equal to our KEX Set (else KEX Fail Auth: tampering or a
    /// downgrade) and replies with the echo of the node's KEX Report.
    pub fn on_echo_kex_set(
        self,
        cmd: &S2Command,
        protection: Option<KeyId>,
    ) -> Step<AwaitingKeyRequest> {
        let S2Command::KexSet(echo) = cmd else {
            return Err(abort(KexFailType::Cancel));
        };
        if !is_temp(protection) || !echo.echo || echo.with_echo(false) != self.set {
            return Err(abort(KexFailType::Auth));
        }
        let reply = Outgoing::temp(S2Command::KexReport(self.report.with_echo(true)));
        Ok((
            AwaitingKeyRequest {
                config: self.config,
                granted: self.set.keys,
                verified: KeyClasses::empty(),
            },
            reply,
        ))
    }

    /// The node's frame did not decrypt under the temporary key: wrong PIN (or tampering).
    pub fn on_decrypt_failure(self) -> Aborted {
        abort(KexFailType::Decrypt)
    }
}

/// Echo exchanged: the node requests its keys one by one, then ends.
#[derive(Debug)]
pub struct AwaitingKeyRequest {
    config: IncluderConfig,
    granted: KeyClasses,
    verified: KeyClasses,
}

impl AwaitingKeyRequest {
    /// Sends the requested key if it was granted and not sent yet (else KEX Fail Key Get).
    pub fn on_network_key_get(
        self,
        cmd: &S2Command,
        protection: Option<KeyId>,
    ) -> Step<AwaitingVerify> {
        let S2Command::NetworkKeyGet { class } = cmd else {
            return Err(abort(KexFailType::Cancel));
        };
        if !is_temp(protection)
            || !self.granted.contains(class.bit())
            || self.verified.contains(class.bit())
        {
            return Err(abort(KexFailType::KeyGet));
        }
        let Some(key) = self.config.network_keys.get(class).cloned() else {
            return Err(abort(KexFailType::KeyGet));
        };
        Ok((
            AwaitingVerify {
                config: self.config,
                granted: self.granted,
                verified: self.verified,
                current: *class,
            },
            Outgoing::temp(S2Command::NetworkKeyReport { class: *class, key }),
        ))
    }

    /// The node's final Transfer End: bootstrapping is complete with the verified classes.
    pub fn on_transfer_end(
        self,
        cmd: &S2Command,
        protection: Option<KeyId>,
    ) -> core::result::Result<Included, Aborted> {
        match cmd {
            S2Command::TransferEnd {
                key_request_complete: true,
                key_verified: false,
            } if is_temp(protection) => Ok(Included {
                granted: self.verified,
            }),
            _ => Err(abort(KexFailType::Cancel)),
        }
    }
}

/// A key was sent: waiting for Network Key Verify under that key.
#[derive(Debug)]
pub struct AwaitingVerify {
    config: IncluderConfig,
    granted: KeyClasses,
    verified: KeyClasses,
    current: SecurityClass,
}

impl AwaitingVerify {
    /// The class whose key was just sent.
    pub fn class(&self) -> SecurityClass {
        self.current
    }

    /// Verify arrived under the new key: confirm with Transfer End (key verified).
    pub fn on_verify(self, cmd: &S2Command, protection: Option<KeyId>) -> Step<AwaitingKeyRequest> {
        if *cmd != S2Command::NetworkKeyVerify || protection != Some(KeyId::Network(self.current)) {
            return Err(abort(KexFailType::KeyVerify));
        }
        Ok((
            AwaitingKeyRequest {
                config: self.config,
                granted: self.granted,
                verified: self.verified | self.current.bit(),
            },
            Outgoing::temp(S2Command::TransferEnd {
                key_verified: true,
                key_request_complete: false,
            }),
        ))
    }

    /// Verify did not decrypt under the new key.
    pub fn on_decrypt_failure(self) -> Aborted {
        abort(KexFailType::KeyVerify)
    }
}

/// Bootstrapping finished on the includer's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Included {
    /// The classes the node holds and proved.
    pub granted: KeyClasses,
}

// ---------------------------------------------------------------- joining node

/// What the joiner brings: the classes it wants and its X25519 key (whose first 16 bytes of
/// public key are its DSK).
pub struct JoinerConfig {
    /// Classes to request.
    pub requested: KeyClasses,
    /// The node's private key.
    pub private_key: PrivateKey,
}

impl core::fmt::Debug for JoinerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JoinerConfig")
            .field("requested", &self.requested)
            .finish_non_exhaustive()
    }
}

/// A node waiting to be bootstrapped.
#[derive(Debug)]
pub struct JoinerIdle {
    config: JoinerConfig,
}

impl JoinerIdle {
    /// A node that will request `config.requested`.
    pub fn new(config: JoinerConfig) -> Self {
        JoinerIdle { config }
    }

    /// The node's DSK (first 16 bytes of its public key), printed on its label.
    pub fn dsk(&self) -> [u8; 16] {
        let mut d = [0u8; 16];
        d.copy_from_slice(&self.config.private_key.public_key()[..16]);
        d
    }

    /// Answers KEX Get with KEX Report.
    pub fn on_kex_get(self, cmd: &S2Command, protection: Option<KeyId>) -> Step<JoinerKexReported> {
        if *cmd != S2Command::KexGet || protection.is_some() {
            return Err(abort(KexFailType::Cancel));
        }
        let report = KexParams {
            echo: false,
            csa: false,
            schemes: KEX_SCHEME_1,
            curves: CURVE_25519,
            keys: self.config.requested,
            reserved: 0,
        };
        Ok((
            JoinerKexReported {
                config: self.config,
                report,
            },
            Outgoing::plain(S2Command::KexReport(report)),
        ))
    }
}

/// KEX Report sent: waiting for KEX Set.
#[derive(Debug)]
pub struct JoinerKexReported {
    config: JoinerConfig,
    report: KexParams,
}

impl JoinerKexReported {
    /// Checks the grant (scheme 1, Curve25519, a non-empty subset of what we asked) and sends
    /// our public key, bytes 0–1 zeroed when an authenticated class was granted.
    pub fn on_kex_set(self, cmd: &S2Command, protection: Option<KeyId>) -> Step<JoinerKeySent> {
        let S2Command::KexSet(set) = cmd else {
            return Err(abort(KexFailType::Cancel));
        };
        if protection.is_some() || set.echo {
            return Err(abort(KexFailType::Auth));
        }
        if set.schemes != KEX_SCHEME_1 {
            return Err(abort(KexFailType::KexScheme));
        }
        if set.curves != CURVE_25519 {
            return Err(abort(KexFailType::KexCurves));
        }
        if set.keys.is_empty() || !self.config.requested.contains(set.keys) || set.csa {
            return Err(abort(KexFailType::KexKey));
        }
        let mut public_key = self.config.private_key.public_key();
        if set.keys.classes().iter().any(|c| c.is_authenticated()) {
            public_key[0] = 0;
            public_key[1] = 0;
        }
        Ok((
            JoinerKeySent {
                config: self.config,
                report: self.report,
                set: *set,
            },
            Outgoing::plain(S2Command::PublicKeyReport {
                including_node: false,
                public_key,
            }),
        ))
    }
}

/// Our public key sent: waiting for the includer's.
#[derive(Debug)]
pub struct JoinerKeySent {
    config: JoinerConfig,
    report: KexParams,
    set: KexParams,
}

impl JoinerKeySent {
    /// Derives the temporary keys and sends the KEX Set echo under them.
    pub fn on_public_key(
        self,
        cmd: &S2Command,
        protection: Option<KeyId>,
    ) -> Step<JoinerAwaitingEcho> {
        let S2Command::PublicKeyReport {
            including_node: true,
            public_key,
        } = cmd
        else {
            return Err(abort(KexFailType::Cancel));
        };
        if protection.is_some() {
            return Err(abort(KexFailType::Auth));
        }
        let own = self.config.private_key.public_key();
        let temp = derive_temp(&self.config.private_key, public_key, &own, public_key)?;
        let echo = Outgoing::temp(S2Command::KexSet(self.set.with_echo(true)));
        Ok((
            JoinerAwaitingEcho {
                report: self.report,
                set: self.set,
                temp,
            },
            echo,
        ))
    }
}

/// Echo sent: waiting for the includer's KEX Report echo.
#[derive(Debug)]
pub struct JoinerAwaitingEcho {
    report: KexParams,
    set: KexParams,
    temp: TempKeys,
}

impl JoinerAwaitingEcho {
    /// The temporary keys, to install in the session for the includer.
    pub fn temp_keys(&self) -> &TempKeys {
        &self.temp
    }

    /// Checks the echo equals our KEX Report and requests the first (highest) key.
    pub fn on_echo_kex_report(
        self,
        cmd: &S2Command,
        protection: Option<KeyId>,
    ) -> Step<JoinerAwaitingKey> {
        let S2Command::KexReport(echo) = cmd else {
            return Err(abort(KexFailType::Cancel));
        };
        if !is_temp(protection) || !echo.echo || echo.with_echo(false) != self.report {
            return Err(abort(KexFailType::Auth));
        }
        let pending = self.set.keys.classes();
        next_key_request(pending, BTreeMap::new()).map_err(|_| abort(KexFailType::KexKey))
    }

    /// The includer's frame did not decrypt under the temporary key.
    pub fn on_decrypt_failure(self) -> Aborted {
        abort(KexFailType::Decrypt)
    }
}

fn next_key_request(
    mut pending: Vec<SecurityClass>,
    keys: BTreeMap<SecurityClass, Key128>,
) -> core::result::Result<(JoinerAwaitingKey, Outgoing), ()> {
    if pending.is_empty() {
        return Err(());
    }
    let class = pending.remove(0);
    Ok((
        JoinerAwaitingKey {
            pending,
            keys,
            class,
        },
        Outgoing::temp(S2Command::NetworkKeyGet { class }),
    ))
}

/// A key requested: waiting for Network Key Report.
#[derive(Debug)]
pub struct JoinerAwaitingKey {
    pending: Vec<SecurityClass>,
    keys: BTreeMap<SecurityClass, Key128>,
    class: SecurityClass,
}

impl JoinerAwaitingKey {
    /// Stores the key and proves it with Network Key Verify under it (install the key in the
    /// session first, from [`JoinerVerifying::key`]).
    pub fn on_network_key_report(
        self,
        cmd: &S2Command,
        protection: Option<KeyId>,
    ) -> Step<JoinerVerifying> {
        let S2Command::NetworkKeyReport { class, key } = cmd else {
            return Err(abort(KexFailType::Cancel));
        };
        if !is_temp(protection) || *class != self.class {
            return Err(abort(KexFailType::KeyReport));
        }
        let mut keys = self.keys;
        keys.insert(*class, key.clone());
        Ok((
            JoinerVerifying {
                pending: self.pending,
                keys,
                class: self.class,
            },
            Outgoing {
                command: S2Command::NetworkKeyVerify,
                protection: Some(KeyId::Network(self.class)),
            },
        ))
    }
}

/// Verify sent: waiting for Transfer End (key verified).
#[derive(Debug)]
pub struct JoinerVerifying {
    pending: Vec<SecurityClass>,
    keys: BTreeMap<SecurityClass, Key128>,
    class: SecurityClass,
}

/// After a key was confirmed: request the next one, or finish.
#[derive(Debug)]
pub enum JoinerNext {
    /// Another key requested.
    More(JoinerAwaitingKey),
    /// All keys received; the final Transfer End is the outgoing command.
    Done(Joined),
}

impl JoinerVerifying {
    /// The class and key just received, to install in the session.
    pub fn key(&self) -> Option<(SecurityClass, &Key128)> {
        self.keys.get(&self.class).map(|k| (self.class, k))
    }

    /// Takes Transfer End (key verified) and requests the next key or ends.
    pub fn on_transfer_end(self, cmd: &S2Command, protection: Option<KeyId>) -> Step<JoinerNext> {
        match cmd {
            S2Command::TransferEnd {
                key_verified: true,
                key_request_complete: false,
            } if is_temp(protection) => {}
            _ => return Err(abort(KexFailType::KeyVerify)),
        }
        if self.pending.is_empty() {
            Ok((
                JoinerNext::Done(Joined { keys: self.keys }),
                Outgoing::temp(S2Command::TransferEnd {
                    key_verified: false,
                    key_request_complete: true,
                }),
            ))
        } else {
            next_key_request(self.pending, self.keys)
                .map(|(s, o)| (JoinerNext::More(s), o))
                .map_err(|_| abort(KexFailType::KexKey))
        }
    }
}

/// Bootstrapping finished on the node's side.
#[derive(Debug)]
pub struct Joined {
    /// The keys received, per class.
    pub keys: BTreeMap<SecurityClass, Key128>,
}
