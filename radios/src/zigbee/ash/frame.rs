//! One ASH frame (UG101 §2): the control byte, the data field, the CRC, data randomization and
//! byte stuffing. [`encode`] produces the bytes for the wire, [`decode`] is its mirror for a body
//! that [`super::decoder::Decoder`] has already cut at the flag and de-stuffed.

use super::{Error, Result};

/// Ends every frame.
pub const FLAG: u8 = 0x7E;
/// Precedes a reserved byte, which is then sent XORed with [`ESCAPE_XOR`].
pub const ESCAPE: u8 = 0x7D;
/// XORed into a reserved byte after [`ESCAPE`].
pub const ESCAPE_XOR: u8 = 0x20;
/// Software flow control: resume (ignored by the decoder).
pub const XON: u8 = 0x11;
/// Software flow control: pause (ignored by the decoder).
pub const XOFF: u8 = 0x13;
/// Replaces a byte that had a UART error; the frame it is in is discarded.
pub const SUBSTITUTE: u8 = 0x18;
/// Cancels the frame in progress; also sent before RST to flush the NCP's receiver.
pub const CANCEL: u8 = 0x1A;

/// Bytes that never appear unescaped inside a frame.
const RESERVED: [u8; 6] = [FLAG, ESCAPE, XON, XOFF, SUBSTITUTE, CANCEL];

/// The shortest DATA field: the shortest EZSP frame (legacy header: seq, control, id).
pub const MIN_DATA_LEN: usize = 3;
/// The longest DATA field accepted. UG101 says 128 bytes; current EmberZNet releases carry EZSP
/// frames of up to 200 bytes in DATA frames, so the bound is generous while still keeping the
/// decoder's memory fixed.
pub const MAX_DATA_LEN: usize = 220;
/// The longest de-stuffed body: control, data field and two CRC bytes.
pub const MAX_BODY_LEN: usize = 1 + MAX_DATA_LEN + 2;
/// The ASH version this implementation speaks (in RSTACK and ERROR).
pub const ASH_VERSION: u8 = 2;

/// A 3-bit frame or acknowledgement number: DATA frames are numbered modulo 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameNum(u8);

impl FrameNum {
    /// Wraps any number into 0..=7, as on the wire.
    pub const fn new(n: u8) -> Self {
        Self(n & 0x07)
    }

    /// The number, 0..=7.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The following number, modulo 8.
    #[must_use]
    pub const fn next(self) -> Self {
        Self::new(self.0.wrapping_add(1))
    }

    /// How many steps forward from `self` to `later`, modulo 8 (0..=7): the number of frames
    /// an ackNum acknowledges.
    pub const fn distance_to(self, later: Self) -> u8 {
        later.0.wrapping_sub(self.0) & 0x07
    }
}

/// Why the NCP reset or entered the error state (the second data byte of RSTACK and ERROR).
/// Kept as the raw byte so unknown codes survive decoding and re-encoding unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResetCode(pub u8);

impl ResetCode {
    /// Reset for an unknown reason.
    pub const UNKNOWN_REASON: Self = Self(0x00);
    /// Reset by the external reset pin.
    pub const EXTERNAL: Self = Self(0x01);
    /// Power-on reset.
    pub const POWER_ON: Self = Self(0x02);
    /// The watchdog fired.
    pub const WATCHDOG: Self = Self(0x03);
    /// An assert failed.
    pub const ASSERT: Self = Self(0x06);
    /// Returned from the bootloader.
    pub const BOOTLOADER: Self = Self(0x09);
    /// Software reset, e.g. in answer to RST.
    pub const SOFTWARE: Self = Self(0x0B);
    /// ERROR: the NCP gave up waiting for the host's acknowledgements.
    pub const EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT: Self = Self(0x51);
}

/// One ASH frame, as UG101 defines the six types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Carries one EZSP frame (here already de-randomized).
    Data {
        /// This frame's number.
        frm_num: FrameNum,
        /// Set when the frame is a retransmission.
        re_tx: bool,
        /// Piggy-backed acknowledgement: the number of the next frame the sender expects.
        ack_num: FrameNum,
        /// The EZSP frame, in clear (randomization is applied by [`encode`]).
        payload: Vec<u8>,
    },
    /// Acknowledges every DATA frame before `ack_num`.
    Ack {
        /// The next frame number the sender expects.
        ack_num: FrameNum,
        /// The sender cannot take DATA frames right now.
        not_ready: bool,
    },
    /// Asks for retransmission from `ack_num` (a frame was lost or bad).
    Nak {
        /// The next frame number the sender expects.
        ack_num: FrameNum,
        /// The sender cannot take DATA frames right now.
        not_ready: bool,
    },
    /// Host asks the NCP to reset (no data field).
    Rst,
    /// NCP reports it has reset and is ready.
    RstAck {
        /// ASH version, 2.
        version: u8,
        /// Why the NCP reset.
        code: ResetCode,
    },
    /// NCP reports a fatal link error; only RST recovers it.
    Error {
        /// ASH version, 2.
        version: u8,
        /// Why the NCP stopped.
        code: ResetCode,
    },
}

const CONTROL_ACK: u8 = 0x80;
const CONTROL_NAK: u8 = 0xA0;
const CONTROL_RST: u8 = 0xC0;
const CONTROL_RSTACK: u8 = 0xC1;
const CONTROL_ERROR: u8 = 0xC2;
const NOT_READY: u8 = 0x08;
const RE_TX: u8 = 0x08;

impl Frame {
    /// The control byte (UG101 §2.2): DATA `0 frmNum(3) reTx ackNum(3)`, ACK `100 0 nRdy
    /// ackNum(3)`, NAK `101 0 nRdy ackNum(3)`, RST 0xC0, RSTACK 0xC1, ERROR 0xC2.
    pub fn control(&self) -> u8 {
        match self {
            Frame::Data {
                frm_num,
                re_tx,
                ack_num,
                ..
            } => (frm_num.get() << 4) | if *re_tx { RE_TX } else { 0 } | ack_num.get(),
            Frame::Ack { ack_num, not_ready } => {
                CONTROL_ACK | if *not_ready { NOT_READY } else { 0 } | ack_num.get()
            }
            Frame::Nak { ack_num, not_ready } => {
                CONTROL_NAK | if *not_ready { NOT_READY } else { 0 } | ack_num.get()
            }
            Frame::Rst => CONTROL_RST,
            Frame::RstAck { .. } => CONTROL_RSTACK,
            Frame::Error { .. } => CONTROL_ERROR,
        }
    }
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final XOR), the ASH frame
/// check over the control byte and the data field as sent.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The pseudo-random sequence XORed into DATA fields (UG101 §2.4): an 8-bit LFSR seeded with
/// 0x42, so that long runs of reserved bytes do not blow up stuffing. Endless iterator.
pub fn randomization_sequence() -> impl Iterator<Item = u8> {
    core::iter::successors(Some(0x42u8), |&r| {
        Some(if r & 1 != 0 { (r >> 1) ^ 0xB8 } else { r >> 1 })
    })
}

/// XORs the randomization sequence into a DATA field; the operation is its own inverse.
pub fn randomize(data: &mut [u8]) {
    for (b, r) in data.iter_mut().zip(randomization_sequence()) {
        *b ^= r;
    }
}

/// The de-stuffed body of a frame: control byte, data field (randomized for DATA) and the CRC,
/// high byte first. [`decode`] is its inverse.
pub fn encode_body(frame: &Frame) -> Vec<u8> {
    let mut body = Vec::with_capacity(8);
    body.push(frame.control());
    match frame {
        Frame::Data { payload, .. } => {
            let start = body.len();
            body.extend_from_slice(payload);
            if let Some(data) = body.get_mut(start..) {
                randomize(data);
            }
        }
        Frame::RstAck { version, code } | Frame::Error { version, code } => {
            body.extend_from_slice(&[*version, code.0]);
        }
        Frame::Ack { .. } | Frame::Nak { .. } | Frame::Rst => {}
    }
    let crc = crc16_ccitt_false(&body);
    body.extend_from_slice(&crc.to_be_bytes());
    body
}

/// Appends `body` to `out` with every reserved byte escaped.
pub fn stuff(body: &[u8], out: &mut Vec<u8>) {
    for &b in body {
        if RESERVED.contains(&b) {
            out.extend_from_slice(&[ESCAPE, b ^ ESCAPE_XOR]);
        } else {
            out.push(b);
        }
    }
}

/// The wire bytes of a frame: the stuffed body and the closing flag. Does not check the DATA
/// payload length; [`decode`] and the link do.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let body = encode_body(frame);
    let mut out = Vec::with_capacity(body.len() + 4);
    stuff(&body, &mut out);
    out.push(FLAG);
    out
}

/// Decodes a de-stuffed body (without the flag): checks the CRC first, then the control byte
/// and the data field length for that type, and de-randomizes DATA.
pub fn decode(body: &[u8]) -> Result<Frame> {
    if body.len() > MAX_BODY_LEN {
        return Err(Error::TooLong { max: MAX_BODY_LEN });
    }
    let too_short = Error::TooShort { len: body.len() };
    let Some((without_crc, crc)) = body.split_last_chunk::<2>() else {
        return Err(too_short);
    };
    let Some((&control, data)) = without_crc.split_first() else {
        return Err(too_short);
    };
    let found = u16::from_be_bytes(*crc);
    let computed = crc16_ccitt_false(without_crc);
    if found != computed {
        return Err(Error::Crc { found, computed });
    }
    let expect_len = |kind: &'static str, want: usize| {
        if data.len() == want {
            Ok(())
        } else {
            Err(Error::BadLength {
                kind,
                len: data.len(),
            })
        }
    };
    let num = FrameNum::new(control);
    let not_ready = control & NOT_READY != 0;
    match control {
        c if c & 0x80 == 0 => {
            if !(MIN_DATA_LEN..=MAX_DATA_LEN).contains(&data.len()) {
                return Err(Error::BadLength {
                    kind: "DATA",
                    len: data.len(),
                });
            }
            let mut payload = data.to_vec();
            randomize(&mut payload);
            Ok(Frame::Data {
                frm_num: FrameNum::new(c >> 4),
                re_tx: c & RE_TX != 0,
                ack_num: num,
                payload,
            })
        }
        c if c & 0xF0 == CONTROL_ACK => {
            expect_len("ACK", 0)?;
            Ok(Frame::Ack {
                ack_num: num,
                not_ready,
            })
        }
        c if c & 0xF0 == CONTROL_NAK => {
            expect_len("NAK", 0)?;
            Ok(Frame::Nak {
                ack_num: num,
                not_ready,
            })
        }
        CONTROL_RST => {
            expect_len("RST", 0)?;
            Ok(Frame::Rst)
        }
        CONTROL_RSTACK | CONTROL_ERROR => {
            let &[version, code] = data else {
                return Err(Error::BadLength {
                    kind: if control == CONTROL_RSTACK {
                        "RSTACK"
                    } else {
                        "ERROR"
                    },
                    len: data.len(),
                });
            };
            let code = ResetCode(code);
            Ok(if control == CONTROL_RSTACK {
                Frame::RstAck { version, code }
            } else {
                Frame::Error { version, code }
            })
        }
        other => Err(Error::UnknownControl(other)),
    }
}
