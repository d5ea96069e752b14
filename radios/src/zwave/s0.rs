//! S0 (legacy Security CC, 0x98): frames and singlecast encapsulation, on the primitives in
//! [`super::security::s0`]. The host answers every Nonce Get with a fresh 8-byte nonce that is
//! valid once and for a short time; the sender encrypts with AES-OFB under IV = sender nonce ‖
//! receiver nonce and authenticates with an 8-byte CBC-MAC over
//! `IV ‖ command ‖ sender ‖ receiver ‖ length ‖ ciphertext` (zwave-js `SecurityCC.ts`).
//! Pure: time comes in as [`Instant`]s, randomness from a seeded CTR_DRBG.
//!
//! Nonce Gets arrive in the clear, from any node id a sender claims, so the table of nonces we
//! handed out is bounded: each nonce belongs to the node that asked for it (a frame from
//! another node cannot use it), a node holds at most [`MAX_NONCES_PER_PEER`] and all nodes
//! together [`MAX_LIVE_NONCES`] (the oldest nonce of the node holding the most goes first), and
//! an unused nonce id is searched for with a bounded number of draws. A flood of Nonce Gets
//! therefore costs a table of fixed size and never stalls the caller. How many Nonce Gets a
//! host answers per second is the host's policy: [`NonceGetLimit`].
//!
//! Not handled: split (sequenced) payloads, which the sequence byte announces; they are
//! refused.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use zeroize::Zeroize;

use super::security::Key128;
use super::security::drbg::CtrDrbg;
use super::security::s0::{S0Keys, cbc_mac, ofb};

/// The Security (S0) command class id.
pub const CC_SECURITY: u8 = 0x98;
/// How long a nonce we hand out stays valid (the specification allows 3 to 20 seconds).
pub const NONCE_LIFETIME: Duration = Duration::from_secs(10);
/// Live nonces one node may hold from us: a node asks for one per frame it sends and uses it
/// at once, so a few cover frames sent in a burst; a further Nonce Get evicts its oldest.
pub const MAX_NONCES_PER_PEER: usize = 4;
/// Live nonces all nodes together may hold: a quarter of the 256 nonce ids, so a free id is
/// found in a few draws; past it the oldest nonce of the node holding the most is evicted.
pub const MAX_LIVE_NONCES: usize = 64;
/// Draws allowed to find a nonce whose id no live nonce uses. With at most
/// [`MAX_LIVE_NONCES`] - 1 ids taken, all of them fail with a probability below 2^-32.
const MAX_NONCE_DRAWS: usize = 16;

/// Why an S0 frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not an S0 frame.
    #[error("not a Security (S0) frame")]
    NotS0,
    /// Truncated command.
    #[error("S0 command 0x{0:02x} truncated")]
    Truncated(u8),
    /// Trailing bytes.
    #[error("S0 command 0x{0:02x} has trailing bytes")]
    TrailingBytes(u8),
    /// Unknown command id.
    #[error("unknown S0 command 0x{0:02x}")]
    UnknownCommand(u8),
    /// No unused nonce id was found within the bounded number of draws (a failing generator).
    #[error("no free S0 nonce id found")]
    NonceIdsExhausted,
    /// We hold no nonce from the peer: send Nonce Get first.
    #[error("no nonce from node {0}")]
    NoNonce(u8),
    /// The receiver nonce id names no live nonce we gave the sender (unknown, used, expired, or
    /// handed to another node).
    #[error("unknown or expired nonce id 0x{0:02x}")]
    UnknownNonce(u8),
    /// The MAC does not match.
    #[error("S0 authentication failed")]
    AuthenticationFailed,
    /// Ciphertext longer than the one-byte length the MAC covers can state; refused so no two
    /// lengths share a MAC input (a zero byte appended to a 255-byte ciphertext would otherwise
    /// leave the zero-padded CBC-MAC unchanged).
    #[error("S0 ciphertext of {0} bytes exceeds the 255 bytes the MAC can cover")]
    TooLong(usize),
    /// A split (sequenced) payload, not supported.
    #[error("sequenced S0 payloads are not supported")]
    Sequenced,
    /// A primitive failed.
    #[error(transparent)]
    Security(#[from] super::security::Error),
}

/// Result of this layer.
pub type Result<T> = core::result::Result<T, Error>;

/// One S0 command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum S0Command {
    /// 0x02: which CCs are supported securely.
    CommandsSupportedGet,
    /// 0x03: reports to follow, then the CC list (kept raw).
    CommandsSupportedReport {
        /// Further reports.
        reports_to_follow: u8,
        /// CC list with markers, as sent.
        ccs: Vec<u8>,
    },
    /// 0x04: schemes the includer supports (0 = scheme 0).
    SchemeGet {
        /// Schemes byte.
        schemes: u8,
    },
    /// 0x05: schemes the node supports.
    SchemeReport {
        /// Schemes byte.
        schemes: u8,
    },
    /// 0x06: the network key (sent under the all-zero key at inclusion).
    NetworkKeySet {
        /// The key.
        key: Key128,
    },
    /// 0x07: the node confirms it holds the key.
    NetworkKeyVerify,
    /// 0x08: a secondary controller inherits the scheme.
    SchemeInherit {
        /// Schemes byte.
        schemes: u8,
    },
    /// 0x40: ask for a nonce.
    NonceGet,
    /// 0x80: an 8-byte nonce.
    NonceReport {
        /// The nonce (its first byte is its id).
        nonce: [u8; 8],
    },
    /// 0x81 (or 0xC1 with a piggy-backed Nonce Get): an encrypted command.
    MessageEncapsulation {
        /// 0xC1: the sender also asks for a nonce.
        nonce_get: bool,
        /// The sender's nonce (first half of the IV).
        sender_nonce: [u8; 8],
        /// OFB ciphertext of `sequence byte ‖ command`.
        ciphertext: Vec<u8>,
        /// First byte of the receiver's nonce.
        receiver_nonce_id: u8,
        /// CBC-MAC.
        mac: [u8; 8],
    },
}

impl S0Command {
    /// Decodes `[0x98, command, …]`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (&cc, rest) = bytes.split_first().ok_or(Error::NotS0)?;
        let (&cmd, p) = rest.split_first().ok_or(Error::NotS0)?;
        if cc != CC_SECURITY {
            return Err(Error::NotS0);
        }
        let exact = |n: usize| -> Result<()> {
            match p.len().cmp(&n) {
                core::cmp::Ordering::Less => Err(Error::Truncated(cmd)),
                core::cmp::Ordering::Greater => Err(Error::TrailingBytes(cmd)),
                core::cmp::Ordering::Equal => Ok(()),
            }
        };
        let byte0 = || p.first().copied().ok_or(Error::Truncated(cmd));
        Ok(match cmd {
            0x02 => {
                exact(0)?;
                Self::CommandsSupportedGet
            }
            0x03 => Self::CommandsSupportedReport {
                reports_to_follow: byte0()?,
                ccs: p.get(1..).unwrap_or(&[]).to_vec(),
            },
            0x04 | 0x05 | 0x08 => {
                exact(1)?;
                let schemes = byte0()?;
                match cmd {
                    0x04 => Self::SchemeGet { schemes },
                    0x05 => Self::SchemeReport { schemes },
                    _ => Self::SchemeInherit { schemes },
                }
            }
            0x06 => {
                exact(16)?;
                Self::NetworkKeySet {
                    key: Key128::from_slice(p)?,
                }
            }
            0x07 => {
                exact(0)?;
                Self::NetworkKeyVerify
            }
            0x40 => {
                exact(0)?;
                Self::NonceGet
            }
            0x80 => {
                exact(8)?;
                Self::NonceReport {
                    nonce: p.try_into().map_err(|_| Error::Truncated(cmd))?,
                }
            }
            0x81 | 0xC1 => {
                // sender nonce 8, ciphertext ≥ 1, receiver nonce id 1, MAC 8
                if p.len() < 18 {
                    return Err(Error::Truncated(cmd));
                }
                let (sender, rest) = p.split_at(8);
                let (ct, tail) = rest.split_at(rest.len() - 9);
                let (id, mac) = tail.split_at(1);
                Self::MessageEncapsulation {
                    nonce_get: cmd == 0xC1,
                    sender_nonce: sender.try_into().map_err(|_| Error::Truncated(cmd))?,
                    ciphertext: ct.to_vec(),
                    receiver_nonce_id: id.first().copied().ok_or(Error::Truncated(cmd))?,
                    mac: mac.try_into().map_err(|_| Error::Truncated(cmd))?,
                }
            }
            other => return Err(Error::UnknownCommand(other)),
        })
    }

    /// Encodes to `[0x98, command, …]`, the mirror of [`Self::decode`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![CC_SECURITY];
        match self {
            Self::CommandsSupportedGet => out.push(0x02),
            Self::CommandsSupportedReport {
                reports_to_follow,
                ccs,
            } => {
                out.extend_from_slice(&[0x03, *reports_to_follow]);
                out.extend_from_slice(ccs);
            }
            Self::SchemeGet { schemes } => out.extend_from_slice(&[0x04, *schemes]),
            Self::SchemeReport { schemes } => out.extend_from_slice(&[0x05, *schemes]),
            Self::NetworkKeySet { key } => {
                out.push(0x06);
                out.extend_from_slice(key.as_bytes());
            }
            Self::NetworkKeyVerify => out.push(0x07),
            Self::SchemeInherit { schemes } => out.extend_from_slice(&[0x08, *schemes]),
            Self::NonceGet => out.push(0x40),
            Self::NonceReport { nonce } => {
                out.push(0x80);
                out.extend_from_slice(nonce);
            }
            Self::MessageEncapsulation {
                nonce_get,
                sender_nonce,
                ciphertext,
                receiver_nonce_id,
                mac,
            } => {
                out.push(if *nonce_get { 0xC1 } else { 0x81 });
                out.extend_from_slice(sender_nonce);
                out.extend_from_slice(ciphertext);
                out.push(*receiver_nonce_id);
                out.extend_from_slice(mac);
            }
        }
        out
    }
}

/// The bytes the S0 MAC covers: `sender nonce ‖ receiver nonce ‖ command ‖ sender ‖ receiver ‖
/// ciphertext length ‖ ciphertext` (MAC'd with an all-zero IV). A ciphertext longer than 255
/// bytes cannot state its length in one byte and is refused.
pub fn auth_data(
    sender_nonce: &[u8; 8],
    receiver_nonce: &[u8; 8],
    command: u8,
    sender: u8,
    receiver: u8,
    ciphertext: &[u8],
) -> Result<Vec<u8>> {
    let len = u8::try_from(ciphertext.len()).map_err(|_| Error::TooLong(ciphertext.len()))?;
    let mut d = Vec::with_capacity(20 + ciphertext.len());
    d.extend_from_slice(sender_nonce);
    d.extend_from_slice(receiver_nonce);
    d.extend_from_slice(&[command, sender, receiver, len]);
    d.extend_from_slice(ciphertext);
    Ok(d)
}

fn iv(sender: &[u8; 8], receiver: &[u8; 8]) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..8].copy_from_slice(sender);
    iv[8..].copy_from_slice(receiver);
    iv
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct IssuedNonce {
    /// The node that asked for it: only a frame from that node may use it.
    peer: u8,
    nonce: [u8; 8],
    expires: Instant,
}

impl Drop for IssuedNonce {
    fn drop(&mut self) {
        self.nonce.zeroize();
    }
}

/// One party's S0 state: keys, the nonces we handed out, the nonces peers gave us.
pub struct S0Session {
    own_node: u8,
    keys: S0Keys,
    drbg: CtrDrbg,
    /// The nonces we handed out and that are still live, oldest first.
    issued: Vec<IssuedNonce>,
    received: HashMap<u8, [u8; 8]>,
}

impl core::fmt::Debug for S0Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("S0Session")
            .field("own_node", &self.own_node)
            .field("issued", &self.issued.len())
            .finish_non_exhaustive()
    }
}

impl S0Session {
    /// A session for `own_node` under the S0 network key; `seed` (32 random bytes) seeds the
    /// nonce generator.
    pub fn new(own_node: u8, network_key: &Key128, seed: [u8; 32]) -> Self {
        let mut seed = seed;
        let drbg = CtrDrbg::new(&seed, None);
        seed.zeroize();
        S0Session {
            own_node,
            keys: S0Keys::derive(network_key),
            drbg,
            issued: Vec::new(),
            received: HashMap::new(),
        }
    }

    fn random8(&mut self) -> Result<[u8; 8]> {
        let mut n = [0u8; 8];
        self.drbg.generate(&mut n, None)?;
        Ok(n)
    }

    /// Answers a Nonce Get from `peer`: a fresh nonce for that node only, whose id (first byte)
    /// no live nonce of ours shares. Expired nonces are dropped first; then, if `peer` already
    /// holds [`MAX_NONCES_PER_PEER`], its oldest is evicted, and if the table holds
    /// [`MAX_LIVE_NONCES`], the oldest nonce of the node holding the most is.
    pub fn nonce_report(&mut self, peer: u8, now: Instant) -> Result<S0Command> {
        self.issued.retain(|n| n.expires > now);
        while self.issued.iter().filter(|n| n.peer == peer).count() >= MAX_NONCES_PER_PEER {
            let Some(oldest) = self.issued.iter().position(|n| n.peer == peer) else {
                break;
            };
            self.issued.remove(oldest);
        }
        while self.issued.len() >= MAX_LIVE_NONCES {
            let Some(victim) = self.most_holding_peer() else {
                break;
            };
            let Some(oldest) = self.issued.iter().position(|n| n.peer == victim) else {
                break;
            };
            self.issued.remove(oldest);
        }
        let mut found = None;
        for _ in 0..MAX_NONCE_DRAWS {
            let n = self.random8()?;
            if !self.issued.iter().any(|i| i.nonce[0] == n[0]) {
                found = Some(n);
                break;
            }
        }
        let nonce = found.ok_or(Error::NonceIdsExhausted)?;
        self.issued.push(IssuedNonce {
            peer,
            nonce,
            expires: now + NONCE_LIFETIME,
        });
        Ok(S0Command::NonceReport { nonce })
    }

    /// The node holding the most live nonces (ties: the one whose oldest nonce is oldest).
    fn most_holding_peer(&self) -> Option<u8> {
        let mut counts: HashMap<u8, usize> = HashMap::new();
        for n in &self.issued {
            *counts.entry(n.peer).or_default() += 1;
        }
        let most = counts.values().copied().max()?;
        self.issued
            .iter()
            .find(|n| counts.get(&n.peer) == Some(&most))
            .map(|n| n.peer)
    }

    /// How many nonces we handed out are live at `now` (all nodes), and how many of them
    /// `peer` holds.
    pub fn live_nonces(&self, peer: u8, now: Instant) -> (usize, usize) {
        let live = self.issued.iter().filter(|n| n.expires > now);
        let (total, own) = live.fold((0, 0), |(t, o), n| (t + 1, o + usize::from(n.peer == peer)));
        (total, own)
    }

    /// Stores a peer's nonce for our next frame to it.
    pub fn on_nonce_report(&mut self, peer: u8, nonce: [u8; 8]) {
        self.received.insert(peer, nonce);
    }

    /// Encrypts a command class frame for `peer` with the nonce it gave us (used once).
    pub fn encapsulate(&mut self, peer: u8, plaintext: &[u8]) -> Result<Vec<u8>> {
        let receiver_nonce = self.received.remove(&peer).ok_or(Error::NoNonce(peer))?;
        let sender_nonce = self.random8()?;
        let iv = iv(&sender_nonce, &receiver_nonce);
        let mut payload = Vec::with_capacity(plaintext.len() + 1);
        payload.push(0x00); // sequence info: not sequenced
        payload.extend_from_slice(plaintext);
        let ciphertext = ofb(&self.keys.enc, &iv, &payload);
        payload.zeroize();
        let data = auth_data(
            &sender_nonce,
            &receiver_nonce,
            0x81,
            self.own_node,
            peer,
            &ciphertext,
        )?;
        let mac = cbc_mac(&self.keys.auth, &[0; 16], &data);
        Ok(S0Command::MessageEncapsulation {
            nonce_get: false,
            sender_nonce,
            ciphertext,
            receiver_nonce_id: receiver_nonce[0],
            mac,
        }
        .encode())
    }

    /// Checks and decrypts an encapsulated frame from `peer` against a live nonce we gave
    /// `peer`; returns the command class frame. The nonce is used up once the frame
    /// authenticates; a frame that does not (forged, or sent under another node's id) leaves
    /// it for the genuine frame.
    pub fn decapsulate(&mut self, peer: u8, bytes: &[u8], now: Instant) -> Result<Vec<u8>> {
        let S0Command::MessageEncapsulation {
            nonce_get,
            sender_nonce,
            ciphertext,
            receiver_nonce_id,
            mac,
        } = S0Command::decode(bytes)?
        else {
            return Err(Error::NotS0);
        };
        self.issued.retain(|n| n.expires > now);
        let pos = self
            .issued
            .iter()
            .position(|n| n.peer == peer && n.nonce[0] == receiver_nonce_id)
            .ok_or(Error::UnknownNonce(receiver_nonce_id))?;
        let ours = self
            .issued
            .get(pos)
            .map(|n| n.nonce)
            .ok_or(Error::UnknownNonce(receiver_nonce_id))?;
        let command = if nonce_get { 0xC1 } else { 0x81 };
        let data = auth_data(
            &sender_nonce,
            &ours,
            command,
            peer,
            self.own_node,
            &ciphertext,
        )?;
        if !ct_eq(&cbc_mac(&self.keys.auth, &[0; 16], &data), &mac) {
            return Err(Error::AuthenticationFailed);
        }
        // Authentic: the nonce is used up (a replay finds it gone).
        self.issued.remove(pos);
        let mut plain = ofb(&self.keys.enc, &iv(&sender_nonce, &ours), &ciphertext);
        let (&seq_info, cmd) = plain.split_first().ok_or(Error::Truncated(command))?;
        if seq_info & 0x10 != 0 {
            plain.zeroize();
            return Err(Error::Sequenced);
        }
        let out = cmd.to_vec();
        plain.zeroize();
        Ok(out)
    }
}

/// A token bucket: `capacity` at once, then one more per `period`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: u32,
    since: Instant,
}

impl Bucket {
    fn full(capacity: u32, now: Instant) -> Self {
        Bucket {
            level: capacity,
            since: now,
        }
    }

    fn take(&mut self, capacity: u32, period: Duration, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.since);
        let refill = elapsed.as_nanos() / period.as_nanos().max(1);
        if refill > 0 {
            let refill = u32::try_from(refill).unwrap_or(u32::MAX);
            self.level = self.level.saturating_add(refill).min(capacity);
            self.since = if self.level == capacity {
                now
            } else {
                self.since + period.saturating_mul(refill)
            };
        }
        if self.level == 0 {
            return false;
        }
        self.level -= 1;
        true
    }

    fn give_back(&mut self, capacity: u32) {
        self.level = self.level.saturating_add(1).min(capacity);
    }
}

/// How many Nonce Gets a host answers: per node and in total, each a token bucket. A Nonce
/// Get costs the host a nonce and a transmission, and arrives in the clear under any node id
/// a sender claims; past the limits it is dropped (the node asks again, as it does after a
/// lost frame). A genuine node asks once per frame it sends and uses the nonce at once: the
/// host gives the Nonce Get back ([`NonceGetLimit::used`]) when a frame authenticates under
/// it, so a node's interview or a burst of reports, however fast the radio carries them, never
/// meets the limits; only Nonce Gets whose nonce is never used (a flood, forged or not) count.
#[derive(Debug, Clone)]
pub struct NonceGetLimit {
    per_peer: HashMap<u8, Bucket>,
    total: Option<Bucket>,
}

impl NonceGetLimit {
    /// Nonce Gets one node may send at once (a burst of frames).
    pub const PEER_BURST: u32 = 8;
    /// After its burst, one more from a node per this period.
    pub const PEER_PERIOD: Duration = Duration::from_millis(250);
    /// Nonce Gets all nodes together may send at once.
    pub const TOTAL_BURST: u32 = 32;
    /// After that burst, one more from any node per this period.
    pub const TOTAL_PERIOD: Duration = Duration::from_millis(50);

    /// Nothing spent yet.
    pub fn new() -> Self {
        NonceGetLimit {
            per_peer: HashMap::new(),
            total: None,
        }
    }

    /// Whether a Nonce Get from `peer` at `now` is answered (and counts against the limits).
    pub fn allow(&mut self, peer: u8, now: Instant) -> bool {
        let own = self
            .per_peer
            .entry(peer)
            .or_insert_with(|| Bucket::full(Self::PEER_BURST, now));
        let mut own_after = *own;
        if !own_after.take(Self::PEER_BURST, Self::PEER_PERIOD, now) {
            *own = own_after;
            return false;
        }
        let total = self
            .total
            .get_or_insert_with(|| Bucket::full(Self::TOTAL_BURST, now));
        if !total.take(Self::TOTAL_BURST, Self::TOTAL_PERIOD, now) {
            return false;
        }
        *own = own_after;
        true
    }

    /// A frame from `peer` authenticated under a nonce it asked for: its Nonce Get is given
    /// back, to the node's bucket and the total (neither beyond its burst).
    pub fn used(&mut self, peer: u8) {
        if let Some(own) = self.per_peer.get_mut(&peer) {
            own.give_back(Self::PEER_BURST);
        }
        if let Some(total) = self.total.as_mut() {
            total.give_back(Self::TOTAL_BURST);
        }
    }
}

impl Default for NonceGetLimit {
    fn default() -> Self {
        Self::new()
    }
}

/// The key S0 inclusion uses to send Network Key Set: all zeros (a documented weakness of S0).
pub fn inclusion_key() -> Key128 {
    Key128::new([0; 16])
}
