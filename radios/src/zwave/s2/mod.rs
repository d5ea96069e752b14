//! Security 2 (S2): the command class frames (this file), the per-peer encapsulation with
//! SPAN nonces ([`session`]) and the bootstrapping key exchange as typestates
//! ([`bootstrap`]). Pure: entropy comes in as seeds, frames come out as bytes.
//!
//! Data flow: a CC frame for node N → [`session::S2Session::encapsulate`] (AAD, SPAN nonce,
//! CCM) → the bytes go into SendData. An incoming `0x9F 0x03 …` from
//! ApplicationCommandHandler → [`session::S2Session::decapsulate`] → the plaintext is a
//! [`super::cc::CommandClassFrame`] or, while bootstrapping, an [`S2Command`].
//! Byte layouts follow the S2 specification as zwave-js implements it
//! (`packages/cc/src/cc/Security2CC.ts`, `packages/cc/src/lib/Security2/Extension.ts`).

pub mod bootstrap;
pub mod session;

use zeroize::Zeroize;

use super::security::Key128;

/// The Security 2 command class id.
pub const CC_SECURITY_2: u8 = 0x9F;
/// Length of an entropy input (sender's or receiver's).
pub const EI_LEN: usize = 16;

/// Why an S2 frame or operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not a Security 2 frame, or shorter than its command id.
    #[error("not a Security 2 frame")]
    NotS2,
    /// A command ended before its last mandatory field.
    #[error("S2 command 0x{0:02x} truncated")]
    Truncated(u8),
    /// Bytes after the last field.
    #[error("S2 command 0x{0:02x} has trailing bytes")]
    TrailingBytes(u8),
    /// A field outside its range or reserved bits set.
    #[error("S2 command 0x{command:02x}: {reason}")]
    Invalid {
        /// Command id.
        command: u8,
        /// Which rule.
        reason: &'static str,
    },
    /// No SPAN with this peer: send a Nonce Get (when sending) or the peer must resync.
    #[error("no SPAN established with node {0}")]
    NoSpan(u8),
    /// Authentication failed: answer with [`session::S2Session::resync`] (Nonce Report SOS).
    #[error("cannot decrypt frame from node {0}")]
    CannotDecrypt(u8),
    /// The sequence number was seen recently: a duplicate or a replay.
    #[error("duplicate sequence number {seq} from node {node}")]
    Duplicate {
        /// Sender.
        node: u8,
        /// Sequence number.
        seq: u8,
    },
    /// No key installed for the requested security class.
    #[error("no key for {0:?}")]
    NoKey(session::KeyId),
    /// A primitive failed (DRBG exhausted, CCM length).
    #[error(transparent)]
    Security(#[from] super::security::Error),
}

/// Result of this layer.
pub type Result<T> = core::result::Result<T, Error>;

/// The S2 security classes (and S0), as the key bit masks of KEX and Network Key commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityClass {
    /// S2 Unauthenticated (bit 0).
    S2Unauthenticated,
    /// S2 Authenticated (bit 1): needs the DSK PIN.
    S2Authenticated,
    /// S2 Access Control (bit 2): locks and garage doors; needs the DSK PIN.
    S2AccessControl,
    /// S0 (bit 7), granted through S2 bootstrapping to S0-capable nodes.
    S0Legacy,
}

impl SecurityClass {
    /// Every class, highest security first (the order keys are requested and tried).
    pub const HIGHEST_FIRST: [SecurityClass; 4] = [
        SecurityClass::S2AccessControl,
        SecurityClass::S2Authenticated,
        SecurityClass::S2Unauthenticated,
        SecurityClass::S0Legacy,
    ];

    /// Its bit in a key mask.
    pub fn bit(self) -> KeyClasses {
        match self {
            Self::S2Unauthenticated => KeyClasses::S2_UNAUTHENTICATED,
            Self::S2Authenticated => KeyClasses::S2_AUTHENTICATED,
            Self::S2AccessControl => KeyClasses::S2_ACCESS_CONTROL,
            Self::S0Legacy => KeyClasses::S0,
        }
    }

    /// The class of a mask with exactly one known bit.
    pub fn from_single(mask: KeyClasses) -> Option<Self> {
        let mut found = None;
        for c in Self::HIGHEST_FIRST {
            if mask == c.bit() {
                found = Some(c);
            }
        }
        found
    }

    /// Whether granting it needs the user to confirm the DSK PIN.
    pub fn is_authenticated(self) -> bool {
        matches!(self, Self::S2Authenticated | Self::S2AccessControl)
    }
}

bitflags::bitflags! {
    /// A set of security classes as the KEX and Network Key commands send it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct KeyClasses: u8 {
        /// S2 Unauthenticated.
        const S2_UNAUTHENTICATED = 0x01;
        /// S2 Authenticated.
        const S2_AUTHENTICATED = 0x02;
        /// S2 Access Control.
        const S2_ACCESS_CONTROL = 0x04;
        /// S0.
        const S0 = 0x80;
    }
}

impl KeyClasses {
    /// The classes in the set, highest security first.
    pub fn classes(self) -> Vec<SecurityClass> {
        SecurityClass::HIGHEST_FIRST
            .into_iter()
            .filter(|c| self.contains(c.bit()))
            .collect()
    }
}

/// KEX scheme 1, the only one defined (bit 1 of the schemes mask).
pub const KEX_SCHEME_1: u8 = 0x02;
/// ECDH profile Curve25519 (bit 0 of the curves mask).
pub const CURVE_25519: u8 = 0x01;

/// KEX Report and KEX Set share this layout: flags, schemes, curves, keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KexParams {
    /// This is the echo sent back under the temporary key.
    pub echo: bool,
    /// Report: the node asks for client-side authentication; Set: CSA granted.
    pub csa: bool,
    /// KEX schemes mask (Report: supported; Set: the one selected).
    pub schemes: u8,
    /// ECDH profiles mask (Report: supported; Set: the one selected).
    pub curves: u8,
    /// Keys (Report: requested; Set: granted). Unknown bits are kept so an echo can be
    /// compared byte for byte.
    pub keys: KeyClasses,
    /// Reserved bits 2–7 of the flags byte, kept as sent: zwave-js remembers them so the
    /// echo reproduces the frame exactly, rather than refusing them.
    pub reserved: u8,
}

impl KexParams {
    fn read(_command: u8, r: &mut Cursor<'_>) -> Result<Self> {
        let flags = r.u8()?;
        let schemes = r.u8()?;
        let curves = r.u8()?;
        let keys = KeyClasses::from_bits_retain(r.u8()?);
        Ok(KexParams {
            echo: flags & 1 != 0,
            csa: flags & 2 != 0,
            schemes,
            curves,
            keys,
            reserved: flags & !0b11,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.push((self.reserved & !0b11) | u8::from(self.echo) | (u8::from(self.csa) << 1));
        out.extend_from_slice(&[self.schemes, self.curves, self.keys.bits()]);
    }

    /// The same parameters with the echo flag set or cleared.
    pub fn with_echo(self, echo: bool) -> Self {
        KexParams { echo, ..self }
    }
}

/// Why a bootstrapping party gave up (KEX Fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KexFailType {
    /// 0x01: no common key classes / granted keys not requested.
    KexKey,
    /// 0x02: no common KEX scheme.
    KexScheme,
    /// 0x03: no common curve.
    KexCurves,
    /// 0x05: a frame under the temporary key failed to decrypt (wrong PIN).
    Decrypt,
    /// 0x06: the user cancelled.
    Cancel,
    /// 0x07: the echoed KEX values differ (tampering or downgrade).
    Auth,
    /// 0x08: a Network Key Get for a class not granted.
    KeyGet,
    /// 0x09: Network Key Verify did not decrypt under the new key.
    KeyVerify,
    /// 0x0A: a Network Key Report for a class not requested.
    KeyReport,
    /// Any other code, kept.
    Other(u8),
}

impl KexFailType {
    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            Self::KexKey => 0x01,
            Self::KexScheme => 0x02,
            Self::KexCurves => 0x03,
            Self::Decrypt => 0x05,
            Self::Cancel => 0x06,
            Self::Auth => 0x07,
            Self::KeyGet => 0x08,
            Self::KeyVerify => 0x09,
            Self::KeyReport => 0x0A,
            Self::Other(c) => c,
        }
    }

    /// From the wire code.
    pub fn from_code(c: u8) -> Self {
        match c {
            0x01 => Self::KexKey,
            0x02 => Self::KexScheme,
            0x03 => Self::KexCurves,
            0x05 => Self::Decrypt,
            0x06 => Self::Cancel,
            0x07 => Self::Auth,
            0x08 => Self::KeyGet,
            0x09 => Self::KeyVerify,
            0x0A => Self::KeyReport,
            c => Self::Other(c),
        }
    }
}

/// An S2 header extension (Message Encapsulation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The receiver must understand it or drop the frame.
    pub critical: bool,
    /// What it carries.
    pub kind: ExtensionKind,
}

/// Extension types.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// Type 1: the sender's entropy input; with the receiver's it seeds a new SPAN.
    Span {
        /// Sender's EI.
        sender_ei: [u8; EI_LEN],
    },
    /// Type 2 (encrypted): a multicast group's MPAN state.
    Mpan {
        /// Group id.
        group: u8,
        /// Inner MPAN state.
        state: [u8; 16],
    },
    /// Type 3: multicast group of a singlecast follow-up.
    Mgrp {
        /// Group id.
        group: u8,
    },
    /// Type 4: the sender's MPAN state is out of sync.
    Mos,
    /// Any other type, kept.
    Other {
        /// Type (6 bits).
        kind: u8,
        /// Data.
        data: Vec<u8>,
    },
}

impl Drop for ExtensionKind {
    fn drop(&mut self) {
        if let Self::Mpan { state, .. } = self {
            state.zeroize();
        }
    }
}

impl Extension {
    /// A SPAN extension (critical, as the specification requires).
    pub fn span(sender_ei: [u8; EI_LEN]) -> Self {
        Extension {
            critical: true,
            kind: ExtensionKind::Span { sender_ei },
        }
    }

    fn type_and_data(&self) -> (u8, Vec<u8>) {
        match &self.kind {
            ExtensionKind::Span { sender_ei } => (1, sender_ei.to_vec()),
            ExtensionKind::Mpan { group, state } => {
                let mut d = vec![*group];
                d.extend_from_slice(state);
                (2, d)
            }
            ExtensionKind::Mgrp { group } => (3, vec![*group]),
            ExtensionKind::Mos => (4, vec![]),
            ExtensionKind::Other { kind, data } => (*kind & 0x3F, data.clone()),
        }
    }

    /// Reads extensions until one without the more-to-follow bit.
    pub fn read_all(command: u8, r: &mut Cursor<'_>) -> Result<Vec<Extension>> {
        let mut out = Vec::new();
        loop {
            let len = usize::from(r.u8()?);
            if len < 2 {
                return Err(Error::Invalid {
                    command,
                    reason: "extension shorter than its header",
                });
            }
            let t = r.u8()?;
            let data = r.bytes(len - 2)?;
            let kind = t & 0x3F;
            let kind = match (kind, data.len()) {
                (1, EI_LEN) => ExtensionKind::Span {
                    sender_ei: data.try_into().map_err(|_| Error::Truncated(command))?,
                },
                (2, 17) => {
                    let (g, s) = data.split_first().ok_or(Error::Truncated(command))?;
                    ExtensionKind::Mpan {
                        group: *g,
                        state: s.try_into().map_err(|_| Error::Truncated(command))?,
                    }
                }
                (3, 1) => ExtensionKind::Mgrp {
                    group: data.first().copied().ok_or(Error::Truncated(command))?,
                },
                (4, 0) => ExtensionKind::Mos,
                (1..=4, _) => {
                    return Err(Error::Invalid {
                        command,
                        reason: "extension of the wrong length",
                    });
                }
                _ => ExtensionKind::Other {
                    kind,
                    data: data.to_vec(),
                },
            };
            out.push(Extension {
                critical: t & 0x40 != 0,
                kind,
            });
            if t & 0x80 == 0 {
                return Ok(out);
            }
        }
    }

    /// Writes a list with more-to-follow set on all but the last.
    pub fn write_all(exts: &[Extension], out: &mut Vec<u8>) -> Result<()> {
        for (i, e) in exts.iter().enumerate() {
            let (kind, data) = e.type_and_data();
            let len = u8::try_from(data.len() + 2).map_err(|_| Error::Invalid {
                command: 0x03,
                reason: "extension over 253 bytes",
            })?;
            let more = i + 1 < exts.len();
            out.push(len);
            out.push((u8::from(more) << 7) | (u8::from(e.critical) << 6) | kind);
            out.extend_from_slice(&data);
        }
        Ok(())
    }
}

/// A Message Encapsulation as it travels: the clear header and the sealed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encapsulated {
    /// Sequence number (duplicate detection).
    pub seq: u8,
    /// Extensions sent in the clear (SPAN, MGRP, MOS).
    pub extensions: Vec<Extension>,
    /// Flag: the ciphertext starts with encrypted extensions (MPAN).
    pub encrypted_extensions: bool,
    /// Ciphertext followed by the 8-byte CCM tag.
    pub sealed: Vec<u8>,
}

impl Encapsulated {
    /// The bytes CCM authenticates besides the addresses: seq, flags and clear extensions.
    pub fn clear_header(&self) -> Result<Vec<u8>> {
        let mut out = vec![
            self.seq,
            u8::from(!self.extensions.is_empty()) | (u8::from(self.encrypted_extensions) << 1),
        ];
        Extension::write_all(&self.extensions, &mut out)?;
        Ok(out)
    }
}

/// One Security 2 command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum S2Command {
    /// 0x01: ask for the receiver's entropy input.
    NonceGet {
        /// Sequence number.
        seq: u8,
    },
    /// 0x02: the receiver's entropy input (SOS) and/or MPAN out of sync (MOS).
    NonceReport {
        /// Sequence number.
        seq: u8,
        /// MPAN out of sync.
        mos: bool,
        /// The receiver's EI; present exactly when the SOS flag is set.
        receiver_ei: Option<[u8; EI_LEN]>,
    },
    /// 0x03: an encrypted command.
    MessageEncapsulation(Encapsulated),
    /// 0x04: the includer asks what the node wants.
    KexGet,
    /// 0x05: schemes, curves and keys the node supports / requests (or the echo).
    KexReport(KexParams),
    /// 0x06: what the includer grants (or the echo).
    KexSet(KexParams),
    /// 0x07: bootstrapping aborted.
    KexFail(KexFailType),
    /// 0x08: an X25519 public key.
    PublicKeyReport {
        /// Sent by the including node.
        including_node: bool,
        /// The key (the joining node zeroes bytes 0–1 when authenticated classes are
        /// requested: they are the PIN the user types).
        public_key: [u8; 32],
    },
    /// 0x09: the node asks for one network key.
    NetworkKeyGet {
        /// One class.
        class: SecurityClass,
    },
    /// 0x0A: one network key, under the temporary key.
    NetworkKeyReport {
        /// Its class.
        class: SecurityClass,
        /// The key.
        key: Key128,
    },
    /// 0x0B: the node proves it holds the new key (sent under it).
    NetworkKeyVerify,
    /// 0x0C: a key was verified / the node has all its keys.
    TransferEnd {
        /// The last key was verified.
        key_verified: bool,
        /// The node has requested all its keys.
        key_request_complete: bool,
    },
    /// 0x0D: ask which CCs are supported securely.
    CommandsSupportedGet,
    /// 0x0E: the CCs supported at this security class.
    CommandsSupportedReport {
        /// Command class ids as sent.
        ccs: Vec<u8>,
    },
}

/// A bounds-checked cursor for S2 payloads.
#[derive(Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    command: u8,
}

impl<'a> Cursor<'a> {
    fn u8(&mut self) -> Result<u8> {
        let (&b, rest) = self
            .buf
            .split_first()
            .ok_or(Error::Truncated(self.command))?;
        self.buf = rest;
        Ok(b)
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(Error::Truncated(self.command));
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.bytes(N)?
            .try_into()
            .map_err(|_| Error::Truncated(self.command))
    }

    fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    fn finish(self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes(self.command))
        }
    }
}

fn single_class(command: u8, b: u8) -> Result<SecurityClass> {
    KeyClasses::from_bits(b)
        .and_then(SecurityClass::from_single)
        .ok_or(Error::Invalid {
            command,
            reason: "exactly one key class expected",
        })
}

impl S2Command {
    /// Decodes `[0x9F, command, …]`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (&cc, rest) = bytes.split_first().ok_or(Error::NotS2)?;
        let (&command, params) = rest.split_first().ok_or(Error::NotS2)?;
        if cc != CC_SECURITY_2 {
            return Err(Error::NotS2);
        }
        let mut r = Cursor {
            buf: params,
            command,
        };
        let out = match command {
            0x01 => Self::NonceGet { seq: r.u8()? },
            0x02 => {
                let seq = r.u8()?;
                let flags = r.u8()?;
                if flags & !0b11 != 0 || flags == 0 {
                    return Err(Error::Invalid {
                        command,
                        reason: "nonce report needs SOS or MOS and no reserved bits",
                    });
                }
                let receiver_ei = if flags & 1 != 0 {
                    Some(r.array()?)
                } else {
                    None
                };
                Self::NonceReport {
                    seq,
                    mos: flags & 2 != 0,
                    receiver_ei,
                }
            }
            0x03 => {
                let seq = r.u8()?;
                let flags = r.u8()?;
                if flags & !0b11 != 0 {
                    return Err(Error::Invalid {
                        command,
                        reason: "reserved encapsulation flag bits",
                    });
                }
                let extensions = if flags & 1 != 0 {
                    Extension::read_all(command, &mut r)?
                } else {
                    Vec::new()
                };
                let sealed = r.rest().to_vec();
                if sealed.len() < super::security::ccm::S2_TAG_LEN {
                    return Err(Error::Truncated(command));
                }
                Self::MessageEncapsulation(Encapsulated {
                    seq,
                    extensions,
                    encrypted_extensions: flags & 2 != 0,
                    sealed,
                })
            }
            0x04 => Self::KexGet,
            0x05 => Self::KexReport(KexParams::read(command, &mut r)?),
            0x06 => Self::KexSet(KexParams::read(command, &mut r)?),
            0x07 => Self::KexFail(KexFailType::from_code(r.u8()?)),
            0x08 => {
                let flags = r.u8()?;
                if flags & !1 != 0 {
                    return Err(Error::Invalid {
                        command,
                        reason: "reserved public key flag bits",
                    });
                }
                Self::PublicKeyReport {
                    including_node: flags & 1 != 0,
                    public_key: r.array()?,
                }
            }
            0x09 => Self::NetworkKeyGet {
                class: single_class(command, r.u8()?)?,
            },
            0x0A => {
                let class = single_class(command, r.u8()?)?;
                let mut key = r.array::<16>()?;
                let out = Self::NetworkKeyReport {
                    class,
                    key: Key128::new(key),
                };
                key.zeroize();
                out
            }
            0x0B => Self::NetworkKeyVerify,
            0x0C => {
                let flags = r.u8()?;
                if flags & !0b11 != 0 {
                    return Err(Error::Invalid {
                        command,
                        reason: "reserved transfer end flag bits",
                    });
                }
                Self::TransferEnd {
                    key_verified: flags & 2 != 0,
                    key_request_complete: flags & 1 != 0,
                }
            }
            0x0D => Self::CommandsSupportedGet,
            0x0E => Self::CommandsSupportedReport {
                ccs: r.rest().to_vec(),
            },
            _ => {
                return Err(Error::Invalid {
                    command,
                    reason: "unknown Security 2 command",
                });
            }
        };
        r.finish()?;
        Ok(out)
    }

    /// Encodes to `[0x9F, command, …]`, the mirror of [`Self::decode`].
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = vec![CC_SECURITY_2];
        match self {
            Self::NonceGet { seq } => out.extend_from_slice(&[0x01, *seq]),
            Self::NonceReport {
                seq,
                mos,
                receiver_ei,
            } => {
                let flags = u8::from(receiver_ei.is_some()) | (u8::from(*mos) << 1);
                if flags == 0 {
                    return Err(Error::Invalid {
                        command: 0x02,
                        reason: "nonce report needs SOS or MOS",
                    });
                }
                out.extend_from_slice(&[0x02, *seq, flags]);
                if let Some(ei) = receiver_ei {
                    out.extend_from_slice(ei);
                }
            }
            Self::MessageEncapsulation(e) => {
                out.push(0x03);
                out.extend_from_slice(&e.clear_header()?);
                out.extend_from_slice(&e.sealed);
            }
            Self::KexGet => out.push(0x04),
            Self::KexReport(p) => {
                out.push(0x05);
                p.write(&mut out);
            }
            Self::KexSet(p) => {
                out.push(0x06);
                p.write(&mut out);
            }
            Self::KexFail(t) => out.extend_from_slice(&[0x07, t.code()]),
            Self::PublicKeyReport {
                including_node,
                public_key,
            } => {
                out.extend_from_slice(&[0x08, u8::from(*including_node)]);
                out.extend_from_slice(public_key);
            }
            Self::NetworkKeyGet { class } => out.extend_from_slice(&[0x09, class.bit().bits()]),
            Self::NetworkKeyReport { class, key } => {
                out.extend_from_slice(&[0x0A, class.bit().bits()]);
                out.extend_from_slice(key.as_bytes());
            }
            Self::NetworkKeyVerify => out.push(0x0B),
            Self::TransferEnd {
                key_verified,
                key_request_complete,
            } => out.extend_from_slice(&[
                0x0C,
                (u8::from(*key_verified) << 1) | u8::from(*key_request_complete),
            ]),
            Self::CommandsSupportedGet => out.push(0x0D),
            Self::CommandsSupportedReport { ccs } => {
                out.push(0x0E);
                out.extend_from_slice(ccs);
            }
        }
        Ok(out)
    }
}
