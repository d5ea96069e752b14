//! Asking a known stick which protocol it speaks, without I/O: the bytes of each probe and a
//! recogniser that reads the answer from whatever bytes come back. [`super::discover`] drives
//! them over the port with a short timeout per protocol.
//!
//! - EZSP: CANCEL then an ASH RST; an EmberZNet NCP resets and sends RSTACK (UG101 §3.1).
//! - Z-Wave: a Serial API GetControllerVersion (0x15) request; a controller ACKs it and sends
//!   the response with its library version.
//!
//! Each probe is harmless to the other kind of stick: the ASH bytes are not a Serial API SOF
//! frame, and the Serial API frame carries no ASH flag byte, so each side drops the other's
//! bytes as noise.

use crate::zigbee::ash;
use crate::zwave::serial::frame::{self as zw_frame, DataFrame, FrameDecoder, FrameType, Received};
use crate::zwave::serial::messages::{HostMessage, StickMessage};

use super::Protocol;

/// What a stick answered to a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An EZSP NCP's RSTACK.
    Ezsp {
        /// The ASH version it speaks (2).
        ash_version: u8,
        /// Why it reset (0x0B, software, after our RST).
        reset_code: ash::ResetCode,
    },
    /// A Z-Wave controller's GetControllerVersion response.
    Zwave {
        /// e.g. `"Z-Wave 7.18"`.
        library_version: String,
        /// 0x01 static controller, 0x07 bridge controller, …
        library_type: u8,
    },
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Ezsp {
                ash_version,
                reset_code,
            } => write!(
                f,
                "answered an ASH reset (ASH version {ash_version}, reset code {:#04x})",
                reset_code.0
            ),
            Answer::Zwave {
                library_version,
                library_type,
            } => write!(
                f,
                "answered GetControllerVersion ({library_version}, library type {library_type:#04x})"
            ),
        }
    }
}

/// The bytes that ask a stick whether it speaks `protocol`.
pub fn request(protocol: Protocol) -> Vec<u8> {
    match protocol {
        Protocol::Ezsp => {
            let mut bytes = vec![ash::frame::CANCEL];
            bytes.extend(ash::encode(&ash::Frame::Rst));
            bytes
        }
        // GetControllerVersion has no payload: SOF, LEN 3, REQ, 0x15, checksum.
        Protocol::ZwaveSerialApi => {
            let function = HostMessage::GetControllerVersion.function();
            match DataFrame::request(function, Vec::new()) {
                Ok(frame) => frame.encode(),
                // An empty payload always fits a frame.
                Err(_) => Vec::new(),
            }
        }
    }
}

/// Reads one protocol's answer out of the bytes a stick sends back, whatever the chunking.
#[derive(Debug)]
pub struct Recogniser {
    protocol: Protocol,
    ash: ash::Decoder,
    serial_api: FrameDecoder,
    acked: bool,
    to_send: Vec<u8>,
}

impl Recogniser {
    /// Waits for the answer to [`request`]`(protocol)`.
    pub fn new(protocol: Protocol) -> Self {
        Recogniser {
            protocol,
            ash: ash::Decoder::new(),
            serial_api: FrameDecoder::new(),
            acked: false,
            to_send: Vec::new(),
        }
    }

    /// Feeds bytes from the stick; `Some` once they hold a complete, valid answer. A Serial API
    /// response counts only after the stick ACKed the request, as a real controller does.
    pub fn push(&mut self, bytes: &[u8]) -> Option<Answer> {
        match self.protocol {
            Protocol::Ezsp => self.ash.feed(bytes).into_iter().find_map(|f| match f {
                Ok(ash::Frame::RstAck { version, code }) => Some(Answer::Ezsp {
                    ash_version: version,
                    reset_code: code,
                }),
                _ => None,
            }),
            Protocol::ZwaveSerialApi => {
                let mut answer = None;
                for received in self.serial_api.push(bytes) {
                    match received {
                        Received::Frame(zw_frame::Frame::Ack) => self.acked = true,
                        Received::Frame(zw_frame::Frame::Data(frame)) => {
                            // Every data frame from the stick is ACKed, answer or not, so it
                            // does not retransmit.
                            self.to_send.push(zw_frame::ACK);
                            if !self.acked || frame.frame_type() != FrameType::Response {
                                continue;
                            }
                            if let Ok(StickMessage::ControllerVersion(v)) =
                                StickMessage::decode(&frame)
                            {
                                answer.get_or_insert(Answer::Zwave {
                                    library_version: v.library_version,
                                    library_type: v.library_type,
                                });
                            }
                        }
                        _ => {}
                    }
                }
                answer
            }
        }
    }

    /// Bytes the host owes the stick (the Serial API's ACKs), to write after each
    /// [`Recogniser::push`].
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.to_send)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probes' bytes as UG101 and the Serial API specification lay them out: CANCEL, RST
    /// (control 0xC0, CRC-16/CCITT-FALSE 0x38BC), FLAG; SOF, LEN 3, REQ, GetControllerVersion,
    /// checksum 0xFF ^ 0x03 ^ 0x00 ^ 0x15 = 0xE9.
    #[test]
    fn probe_bytes_match_the_specifications() {
        assert_eq!(request(Protocol::Ezsp), [0x1A, 0xC0, 0x38, 0xBC, 0x7E]);
        assert_eq!(
            request(Protocol::ZwaveSerialApi),
            [0x01, 0x03, 0x00, 0x15, 0xE9]
        );
    }

    /// RSTACK after a power-on reset as UG101 §3.1 shows it: C1 02 02 9B 7B 7E.
    #[test]
    fn recognises_rstack_split_anywhere_and_ignores_noise() {
        let rstack = [0xC1, 0x02, 0x02, 0x9B, 0x7B, 0x7E];
        for split in 0..rstack.len() {
            let mut r = Recogniser::new(Protocol::Ezsp);
            let (a, b) = rstack.split_at(split);
            let first = r.push(a);
            let answer = first.or_else(|| r.push(b));
            assert_eq!(
                answer,
                Some(Answer::Ezsp {
                    ash_version: 2,
                    reset_code: ash::ResetCode::POWER_ON
                })
            );
        }
        // A Z-Wave controller's answer means nothing to the EZSP recogniser.
        let mut r = Recogniser::new(Protocol::Ezsp);
        assert_eq!(r.push(&zwave_answer()), None);
    }

    fn zwave_answer() -> Vec<u8> {
        let mut bytes = vec![zw_frame::ACK];
        let payload = b"Z-Wave 7.18\0\x01".to_vec();
        bytes.extend(DataFrame::response(0x15, payload).expect("frame").encode());
        bytes
    }

    #[test]
    fn recognises_a_controller_version_after_its_ack_and_acks_it() {
        let mut r = Recogniser::new(Protocol::ZwaveSerialApi);
        assert_eq!(
            r.push(&zwave_answer()),
            Some(Answer::Zwave {
                library_version: "Z-Wave 7.18".into(),
                library_type: 0x01
            })
        );
        assert_eq!(r.take_output(), [zw_frame::ACK]);
        // The EZSP NCP's RSTACK means nothing here.
        let mut r = Recogniser::new(Protocol::ZwaveSerialApi);
        assert_eq!(r.push(&[0xC1, 0x02, 0x02, 0x9B, 0x7B, 0x7E]), None);
    }

    #[test]
    fn a_response_without_the_ack_or_to_another_function_is_no_answer() {
        let answer = zwave_answer();
        let mut r = Recogniser::new(Protocol::ZwaveSerialApi);
        assert_eq!(r.push(answer.get(1..).expect("frame")), None);
        let mut r = Recogniser::new(Protocol::ZwaveSerialApi);
        let mut other = vec![zw_frame::ACK];
        other.extend(
            DataFrame::response(0x07, vec![0; 40])
                .expect("frame")
                .encode(),
        );
        assert_eq!(r.push(&other), None);
    }

    proptest::proptest! {
        /// Whatever a stick sends, the recognisers do not panic, find the same answer however
        /// the bytes are cut, and owe the stick nothing but Serial API ACKs.
        #[test]
        fn any_bytes_any_chunking_same_answer(
            data in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            chunk in 1usize..40,
            zwave in proptest::bool::ANY,
        ) {
            let protocol = if zwave { Protocol::ZwaveSerialApi } else { Protocol::Ezsp };
            let at_once = Recogniser::new(protocol).push(&data);
            let mut pieces = Recogniser::new(protocol);
            let mut chunked = None;
            for part in data.chunks(chunk) {
                let answer = pieces.push(part);
                if chunked.is_none() {
                    chunked = answer;
                }
                proptest::prop_assert!(pieces.take_output().iter().all(|b| *b == zw_frame::ACK));
            }
            proptest::prop_assert_eq!(at_once, chunked);
        }
    }
}
