//! S2 singlecast encapsulation: one [`S2Session`] per host (or emulated node) holds the network
//! keys, temporary bootstrapping keys per peer, and per peer the SPAN state and recent sequence
//! numbers.
//!
//! SPAN life cycle with one peer (the specification's, as zwave-js's `Manager2.ts` keeps it):
//! - `None` → we want to send: [`S2Error::NoSpan`] — send [`S2Session::nonce_get`].
//! - The peer answers Nonce Report SOS with its receiver EI → `RemoteEi`. Our next
//!   [`S2Session::encapsulate`] draws a sender EI, seeds the SPAN
//!   (`MEI = CKDF-MEI(sender EI, receiver EI)`, personalization string of the key in use) and
//!   sends the sender EI in a SPAN extension → `Established`.
//! - On the receiving side, [`S2Session::on_nonce_get`] (or [`S2Session::resync`] after a frame
//!   that did not decrypt) draws a receiver EI → `LocalEi`; a frame with a SPAN extension then
//!   seeds the same SPAN, trying the temporary key and then each network key.
//! - A SPAN belongs to one key: sending under another key needs a new nonce exchange.
//! - Nothing that fails to authenticate changes the state: a forged frame (under a peer's id,
//!   with its next, predictable sequence number) neither advances the SPAN nor enters the
//!   duplicate window, so the peer's genuine frame still decrypts. When the receiver answers
//!   such a frame with a resync, the SPAN it had stays as a receive-only fallback until the
//!   peer seeds a new one: a genuine frame already on its way under the old SPAN still
//!   decrypts.
//! - Duplicate detection keeps the sequence numbers of frames that decrypted, and apart from
//!   them those of Nonce Gets and Nonce Reports, which travel in the clear: a forged Nonce Get
//!   cannot make an authentic frame with the same number a duplicate.
//!
//! AAD (zwave-js `getAuthenticationData`): sender node id, receiver node id, home id (4 bytes
//! BE), total length of the S2 frame including CC and command ids (2 bytes BE), then the clear
//! header (sequence number, flags, clear extensions).
//!
//! [`S2Error::NoSpan`]: super::Error::NoSpan

use std::collections::{BTreeMap, HashMap, VecDeque};

use zeroize::Zeroize;

use super::{
    EI_LEN, Encapsulated, Error, Extension, ExtensionKind, Result, S2Command, SecurityClass,
};
use crate::zwave::security::drbg::CtrDrbg;
use crate::zwave::security::kdf::{NetworkKeys, TempKeys, derive_network_keys};
use crate::zwave::security::span::Span;
use crate::zwave::security::{Key128, ccm};

/// How many recent sequence numbers per peer are remembered for duplicate detection (zwave-js
/// keeps the last 10).
pub const SEQ_WINDOW: usize = 10;

/// Which key protects a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyId {
    /// The temporary key of a bootstrapping in progress with this peer.
    Temporary,
    /// A permanent network key.
    Network(SecurityClass),
}

/// A SPAN both sides hold, under one key.
#[derive(Clone)]
struct Established {
    span: Box<Span>,
    key: KeyId,
}

enum SpanState {
    None,
    /// We sent our receiver EI; waiting for the peer's SPAN extension. The SPAN we had before
    /// (if any) still decrypts frames without one, which the peer may have sent before our
    /// EI reached it; it is never used to send.
    LocalEi {
        ei: [u8; EI_LEN],
        fallback: Option<Established>,
    },
    /// The peer sent its receiver EI; our next frame seeds the SPAN.
    RemoteEi([u8; EI_LEN]),
    Established(Established),
}

impl Drop for SpanState {
    fn drop(&mut self) {
        if let Self::LocalEi { ei, .. } | Self::RemoteEi(ei) = self {
            ei.zeroize();
        }
    }
}

/// The last [`SEQ_WINDOW`] sequence numbers seen from a peer.
struct SeqWindow(VecDeque<u8>);

impl SeqWindow {
    fn new() -> Self {
        SeqWindow(VecDeque::with_capacity(SEQ_WINDOW))
    }

    fn contains(&self, seq: u8) -> bool {
        self.0.contains(&seq)
    }

    fn record(&mut self, seq: u8) {
        if self.0.len() == SEQ_WINDOW {
            self.0.pop_front();
        }
        self.0.push_back(seq);
    }
}

struct Peer {
    span: SpanState,
    /// The sequence number of our last frame to it.
    last_tx_seq: u8,
    /// Frames that decrypted.
    recent_seqs: SeqWindow,
    /// Nonce Gets and Nonce Reports (in the clear, so kept apart).
    recent_nonce_seqs: SeqWindow,
    temp: Option<TempKeys>,
}

impl Peer {
    fn new(last_tx_seq: u8) -> Self {
        Peer {
            span: SpanState::None,
            last_tx_seq,
            recent_seqs: SeqWindow::new(),
            recent_nonce_seqs: SeqWindow::new(),
            temp: None,
        }
    }
}

/// A successfully decrypted frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The encapsulated command class frame (may be empty).
    pub plaintext: Vec<u8>,
    /// Extensions that travelled inside the ciphertext (MPAN).
    pub encrypted_extensions: Vec<Extension>,
    /// The key that authenticated it (so the caller knows the security class).
    pub key: KeyId,
}

/// The S2 state of one party: our node id, the home id, keys, and per-peer SPANs.
pub struct S2Session {
    own_node: u8,
    home_id: u32,
    keys: BTreeMap<SecurityClass, NetworkKeys>,
    peers: HashMap<u8, Peer>,
    entropy: CtrDrbg,
}

impl core::fmt::Debug for S2Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("S2Session")
            .field("own_node", &self.own_node)
            .field("home_id", &self.home_id)
            .field("classes", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl S2Session {
    /// A session for node `own_node` in network `home_id`; `seed` (32 random bytes from the
    /// OS) seeds the generator of our entropy inputs.
    pub fn new(own_node: u8, home_id: u32, seed: [u8; 32]) -> Self {
        let mut seed = seed;
        let entropy = CtrDrbg::new(&seed, None);
        seed.zeroize();
        S2Session {
            own_node,
            home_id,
            keys: BTreeMap::new(),
            peers: HashMap::new(),
            entropy,
        }
    }

    /// Installs (or replaces) the permanent key of one class.
    pub fn set_network_key(&mut self, class: SecurityClass, key: &Key128) {
        self.keys.insert(class, derive_network_keys(key));
    }

    /// Whether a key for `class` is installed.
    pub fn has_network_key(&self, class: SecurityClass) -> bool {
        self.keys.contains_key(&class)
    }

    /// Installs the temporary keys of a bootstrapping with `peer` (from
    /// [`super::bootstrap`]); replaces any SPAN with the peer.
    pub fn set_temp_keys(&mut self, peer: u8, keys: TempKeys) {
        let p = self.peer(peer);
        p.temp = Some(keys);
        p.span = SpanState::None;
    }

    /// Forgets the temporary keys once bootstrapping is over.
    pub fn clear_temp_keys(&mut self, peer: u8) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.temp = None;
            match &mut p.span {
                SpanState::Established(Established {
                    key: KeyId::Temporary,
                    ..
                }) => p.span = SpanState::None,
                SpanState::LocalEi { fallback, .. }
                    if fallback.as_ref().is_some_and(|f| f.key == KeyId::Temporary) =>
                {
                    *fallback = None;
                }
                _ => {}
            }
        }
    }

    /// Forgets everything about one peer's SPAN (what a reboot does).
    pub fn forget_span(&mut self, peer: u8) {
        self.peer(peer).span = SpanState::None;
    }

    /// Forgets everything about a peer (SPAN and the sequence numbers seen from it), as a
    /// node does when it reboots: both live in RAM only.
    pub fn forget_peer(&mut self, peer: u8) {
        self.peers.remove(&peer);
    }

    fn peer(&mut self, id: u8) -> &mut Peer {
        if !self.peers.contains_key(&id) {
            // A random first sequence number (RAM only, like the rest of a peer's state), so
            // a rebooted party is not taken for a replay.
            let mut first = [0u8; 1];
            let start = match self.entropy.generate(&mut first, None) {
                Ok(()) => first[0],
                Err(_) => 0,
            };
            self.peers.insert(id, Peer::new(start));
        }
        self.peers.entry(id).or_insert_with(|| Peer::new(0))
    }

    /// Moves our sequence number to `peer` past any window of [`SEQ_WINDOW`] numbers it may
    /// still remember: a peer that saw the numbers after our start from a previous run of ours
    /// drops our frames as duplicates until we jump.
    pub fn skip_sequence_window(&mut self, peer: u8) {
        let p = self.peer(peer);
        p.last_tx_seq = p.last_tx_seq.wrapping_add(SEQ_WINDOW as u8);
    }

    /// The sequence number of our last frame to `peer` (before the first: the random number
    /// the first follows).
    pub fn last_sequence(&mut self, peer: u8) -> u8 {
        self.peer(peer).last_tx_seq
    }

    /// Our next frame to `peer` carries `last + 1`: after a restart, past the numbers the
    /// previous run reserved (and may have used), which the peer may still remember.
    pub fn continue_sequence_after(&mut self, peer: u8, last: u8) {
        self.peer(peer).last_tx_seq = last;
    }

    /// Sequence numbers count per peer (as zwave-js keeps them): a number a peer remembers
    /// comes round again only after 256 frames to that peer.
    fn next_seq(&mut self, peer: u8) -> u8 {
        let p = self.peer(peer);
        p.last_tx_seq = p.last_tx_seq.wrapping_add(1);
        p.last_tx_seq
    }

    fn new_ei(&mut self) -> Result<[u8; EI_LEN]> {
        let mut ei = [0u8; EI_LEN];
        self.entropy.generate(&mut ei, None)?;
        Ok(ei)
    }

    fn personalization_and_key(
        &self,
        peer: u8,
        key: KeyId,
    ) -> Result<(crate::zwave::security::kdf::Secret32, Key128)> {
        match key {
            KeyId::Temporary => self
                .peers
                .get(&peer)
                .and_then(|p| p.temp.as_ref())
                .map(|t| (t.personalization.clone(), t.ccm.clone()))
                .ok_or(Error::NoKey(key)),
            KeyId::Network(c) => self
                .keys
                .get(&c)
                .map(|k| (k.personalization.clone(), k.ccm.clone()))
                .ok_or(Error::NoKey(key)),
        }
    }

    /// A Nonce Get to send to `peer` when [`Error::NoSpan`] stops a send.
    pub fn nonce_get(&mut self, peer: u8) -> S2Command {
        S2Command::NonceGet {
            seq: self.next_seq(peer),
        }
    }

    /// Answers a Nonce Get from `peer` with a fresh receiver EI (Nonce Report SOS).
    pub fn on_nonce_get(&mut self, peer: u8, seq: u8) -> Result<S2Command> {
        self.check_nonce_duplicate(peer, seq)?;
        self.resync(peer)
    }

    /// A Nonce Report SOS with a fresh receiver EI: the answer to a Nonce Get and to a frame
    /// that failed with [`Error::CannotDecrypt`] or [`Error::NoSpan`] on receipt.
    ///
    /// A SPAN we had with the peer stays as a receive-only fallback (see the module docs).
    pub fn resync(&mut self, peer: u8) -> Result<S2Command> {
        let ei = self.new_ei()?;
        let p = self.peer(peer);
        let fallback = match &mut p.span {
            SpanState::Established(e) => Some(e.clone()),
            SpanState::LocalEi { fallback, .. } => fallback.take(),
            SpanState::None | SpanState::RemoteEi(_) => None,
        };
        p.span = SpanState::LocalEi { ei, fallback };
        Ok(S2Command::NonceReport {
            seq: self.next_seq(peer),
            mos: false,
            receiver_ei: Some(ei),
        })
    }

    /// Takes a Nonce Report from `peer`: with SOS, our next frame to it seeds a new SPAN.
    pub fn on_nonce_report(&mut self, peer: u8, report: &S2Command) -> Result<()> {
        if let S2Command::NonceReport {
            seq,
            receiver_ei: Some(ei),
            ..
        } = report
        {
            self.check_nonce_duplicate(peer, *seq)?;
            self.peer(peer).span = SpanState::RemoteEi(*ei);
        }
        Ok(())
    }

    /// A Nonce Get or Nonce Report: refused if its number was seen on one lately, recorded
    /// otherwise (they are not authenticated, so they have a window of their own).
    fn check_nonce_duplicate(&mut self, peer: u8, seq: u8) -> Result<()> {
        let p = self.peer(peer);
        if p.recent_nonce_seqs.contains(seq) {
            return Err(Error::Duplicate { node: peer, seq });
        }
        p.recent_nonce_seqs.record(seq);
        Ok(())
    }

    fn aad(&self, sender: u8, receiver: u8, frame_len: usize, header: &[u8]) -> Result<Vec<u8>> {
        let len = u16::try_from(frame_len).map_err(|_| Error::Invalid {
            command: 0x03,
            reason: "S2 frame over 65535 bytes",
        })?;
        let mut aad = Vec::with_capacity(8 + header.len());
        aad.extend_from_slice(&[sender, receiver]);
        aad.extend_from_slice(&self.home_id.to_be_bytes());
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(header);
        Ok(aad)
    }

    /// Encrypts a command class frame for `peer` under `key`; returns the full
    /// `0x9F 0x03 …` frame. [`Error::NoSpan`] means: send [`Self::nonce_get`] first.
    pub fn encapsulate(&mut self, peer: u8, key: KeyId, plaintext: &[u8]) -> Result<Vec<u8>> {
        let (personalization, ccm_key) = self.personalization_and_key(peer, key)?;
        let mut extensions = Vec::new();
        let new_ei = self.new_ei()?;
        let p = self.peer(peer);
        match &p.span {
            SpanState::RemoteEi(receiver_ei) => {
                let span = Span::new(&new_ei, receiver_ei, &personalization);
                p.span = SpanState::Established(Established {
                    span: Box::new(span),
                    key,
                });
                extensions.push(Extension::span(new_ei));
            }
            SpanState::Established(e) if e.key == key => {}
            _ => return Err(Error::NoSpan(peer)),
        }
        let nonce = match &mut p.span {
            SpanState::Established(e) => e.span.next_nonce()?,
            _ => return Err(Error::NoSpan(peer)),
        };
        let mut frame = Encapsulated {
            seq: self.next_seq(peer),
            extensions,
            encrypted_extensions: false,
            sealed: Vec::new(),
        };
        let header = frame.clear_header()?;
        let total = 2 + header.len() + plaintext.len() + ccm::S2_TAG_LEN;
        let aad = self.aad(self.own_node, peer, total, &header)?;
        frame.sealed = ccm::encrypt(&ccm_key, &nonce, &aad, plaintext)?;
        S2Command::MessageEncapsulation(frame).encode()
    }

    /// Checks and decrypts a `0x9F 0x03 …` frame from `peer`. On [`Error::CannotDecrypt`] or
    /// [`Error::NoSpan`], answer with [`Self::resync`]; duplicates are dropped silently by the
    /// caller. A frame that does not decrypt changes nothing: its sequence number is recorded
    /// for duplicate detection, and the SPAN advanced, only once it authenticates.
    pub fn decapsulate(&mut self, peer: u8, bytes: &[u8]) -> Result<Decrypted> {
        let frame = match S2Command::decode(bytes)? {
            S2Command::MessageEncapsulation(f) => f,
            _ => {
                return Err(Error::Invalid {
                    command: 0x03,
                    reason: "not a Message Encapsulation",
                });
            }
        };
        if self.peer(peer).recent_seqs.contains(frame.seq) {
            return Err(Error::Duplicate {
                node: peer,
                seq: frame.seq,
            });
        }
        // An extension marked critical that we do not understand means: drop the frame.
        if frame.extensions.iter().any(|e| {
            e.critical
                && matches!(
                    e.kind,
                    ExtensionKind::Other { .. } | ExtensionKind::Mpan { .. }
                )
        }) {
            return Err(Error::Invalid {
                command: 0x03,
                reason: "unknown critical extension (or MPAN in the clear)",
            });
        }
        let header = frame.clear_header()?;
        let aad = self.aad(peer, self.own_node, bytes.len(), &header)?;
        let sender_ei = frame.extensions.iter().find_map(|e| match &e.kind {
            ExtensionKind::Span { sender_ei } => Some(*sender_ei),
            _ => None,
        });

        // Decryption works on copies; the state changes only once a frame authenticates.
        let (local_ei, current) = match &self.peer(peer).span {
            SpanState::LocalEi { ei, fallback } => (Some(*ei), fallback.clone()),
            SpanState::Established(e) => (None, Some(e.clone())),
            SpanState::None | SpanState::RemoteEi(_) => (None, None),
        };
        let decrypted = match (sender_ei, local_ei, current) {
            // The peer seeds a new SPAN with our receiver EI.
            (Some(sender_ei), Some(receiver_ei), _) => {
                let mut candidates = Vec::new();
                if self.peers.get(&peer).is_some_and(|p| p.temp.is_some()) {
                    candidates.push(KeyId::Temporary);
                }
                for c in SecurityClass::HIGHEST_FIRST {
                    if self.keys.contains_key(&c) {
                        candidates.push(KeyId::Network(c));
                    }
                }
                let mut found = None;
                for key in candidates {
                    let (pers, ccm_key) = self.personalization_and_key(peer, key)?;
                    let mut span = Span::new(&sender_ei, &receiver_ei, &pers);
                    let nonce = span.next_nonce()?;
                    if let Ok(pt) = ccm::decrypt(&ccm_key, &nonce, &aad, &frame.sealed) {
                        found = Some((
                            pt,
                            key,
                            SpanState::Established(Established {
                                span: Box::new(span),
                                key,
                            }),
                        ));
                        break;
                    }
                }
                found
            }
            // The SPAN we hold (or held before our resync, for a frame sent before the peer
            // had our new EI): its next nonce.
            (None, local_ei, Some(mut held)) => {
                let (_, ccm_key) = self.personalization_and_key(peer, held.key)?;
                let nonce = held.span.next_nonce()?;
                match ccm::decrypt(&ccm_key, &nonce, &aad, &frame.sealed) {
                    Ok(pt) => {
                        let key = held.key;
                        let next = match local_ei {
                            Some(ei) => SpanState::LocalEi {
                                ei,
                                fallback: Some(held),
                            },
                            None => SpanState::Established(held),
                        };
                        Some((pt, key, next))
                    }
                    Err(_) => None,
                }
            }
            (None, _, None) => return Err(Error::NoSpan(peer)),
            // A SPAN extension we gave no EI for.
            (Some(_), None, _) => None,
        };
        let Some((plaintext, key, new_state)) = decrypted else {
            return Err(Error::CannotDecrypt(peer));
        };
        let p = self.peer(peer);
        p.span = new_state;
        p.recent_seqs.record(frame.seq);
        let (encrypted_extensions, plaintext) = if frame.encrypted_extensions {
            let mut cur = super::Cursor {
                buf: &plaintext,
                command: 0x03,
            };
            let ext = Extension::read_all(0x03, &mut cur)?;
            (ext, cur.rest().to_vec())
        } else {
            (Vec::new(), plaintext)
        };
        Ok(Decrypted {
            plaintext,
            encrypted_extensions,
            key,
        })
    }
}
