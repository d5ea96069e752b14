//! The EZSP frames between host and NCP: `version` negotiation, encoding responses and
//! callbacks in the negotiated layout, synchronous callbacks (`callback`, the pending bit), and
//! `invalidCommand` for a frame it cannot decode.

use sealhub_radios::zigbee::ezsp::commands::configuration::{NoParams, VersionResponse};
use sealhub_radios::zigbee::ezsp::commands::utilities::InvalidCommand;
use sealhub_radios::zigbee::ezsp::{
    Command, Error as EzspError, FrameCodec, FrameControl, FromNcp, Header, HeaderFormat, Response,
};

use super::ids::*;
use super::{EzspFrameFromHost, Ncp};

impl Ncp {
    /// Whether callbacks are queued for `callback` ([`NcpConfig::synchronous_callbacks`] or
    /// `setValue(UART_SYNCH_CALLBACKS, 1)`).
    pub fn synchronous_callbacks(&self) -> bool {
        self.config.synchronous_callbacks
            || self
                .values
                .get(&value_id::UART_SYNCH_CALLBACKS)
                .is_some_and(|v| v.first() == Some(&1))
    }

    /// How many callbacks wait for the host's `callback` command.
    pub fn queued_callbacks(&self) -> usize {
        self.queued_callbacks.len()
    }

    /// Frames for the host, encoded: as they are with asynchronous callbacks; with synchronous
    /// ones, callbacks join the queue and the responses carry the callbackPending bit if it is
    /// not empty.
    pub fn deliver(&mut self, sequence: u8, frames: Vec<FromNcp>) -> Vec<Vec<u8>> {
        if !self.synchronous_callbacks() {
            return frames
                .iter()
                .filter_map(|f| self.encode(sequence, f))
                .collect();
        }
        let (callbacks, responses): (Vec<_>, Vec<_>) = frames
            .into_iter()
            .partition(|f| matches!(f, FromNcp::Callback(_)));
        self.queued_callbacks.extend(callbacks);
        let control = self.pending_bit();
        responses
            .iter()
            .filter_map(|f| self.encode_with(sequence, control, f))
            .collect()
    }

    pub(super) fn pending_bit(&self) -> FrameControl {
        if self.queued_callbacks.is_empty() {
            FrameControl::empty()
        } else {
            FrameControl::CALLBACK_PENDING
        }
    }

    /// The answer to `callback`: the oldest queued callback, marked as a synchronous one (and
    /// pending if more wait), or `noCallbacks`.
    pub(super) fn answer_poll(&mut self, sequence: u8) -> Vec<Vec<u8>> {
        let out = match self.queued_callbacks.pop_front() {
            Some(callback) => {
                let control = FrameControl::SYNC_CALLBACK | self.pending_bit();
                self.encode_with(sequence, control, &callback)
            }
            None => self.encode_with(
                sequence,
                FrameControl::empty(),
                &FromNcp::Response(Response::NoCallbacks(NoParams)),
            ),
        };
        out.into_iter().collect()
    }

    /// Encodes a response or callback in the extended header with `sequence`.
    pub fn encode(&self, sequence: u8, frame: &FromNcp) -> Option<Vec<u8>> {
        let control = if matches!(frame, FromNcp::Callback(_)) {
            FrameControl::ASYNC_CALLBACK
        } else {
            FrameControl::empty()
        };
        self.encode_with(sequence, control, frame)
    }

    /// Encodes with these frame-control bits besides response and format version.
    pub(super) fn encode_with(
        &self,
        sequence: u8,
        bits: FrameControl,
        frame: &FromNcp,
    ) -> Option<Vec<u8>> {
        let codec = self.codec.or_else(|| FrameCodec::new(14).ok())?;
        let control = FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1 | bits;
        let header = Header {
            sequence,
            control,
            frame_id: frame.frame_id(),
        };
        match codec.encode_from_ncp(&header, frame) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                tracing::error!("emulator cannot encode {frame:?}: {e}");
                None
            }
        }
    }

    /// The default behaviour: the frames (encoded) to send back, in order.
    pub fn handle(&mut self, frame: &EzspFrameFromHost) -> Vec<Vec<u8>> {
        match frame {
            EzspFrameFromHost::Version {
                sequence,
                desired,
                legacy,
            } => self.version(*sequence, *desired, *legacy),
            EzspFrameFromHost::Command { header, command } => {
                let seq = header.sequence;
                if let Command::Callback(_) = command {
                    return self.answer_poll(seq);
                }
                let frames = self.command(command);
                self.deliver(seq, frames)
            }
            EzspFrameFromHost::Undecodable { bytes, reason } => self.invalid_command(bytes, reason),
        }
    }

    pub(super) fn version(&mut self, sequence: u8, desired: u8, legacy: bool) -> Vec<Vec<u8>> {
        let ours = self.config.protocol_version;
        if desired == ours {
            self.codec = FrameCodec::new(ours).ok();
        }
        let response = FromNcp::Response(Response::Version(VersionResponse {
            protocol_version: ours,
            stack_type: self.config.stack_type,
            stack_version: self.config.reported_stack_version(),
        }));
        let (format, control) = if legacy {
            (HeaderFormat::Legacy, FrameControl::RESPONSE)
        } else {
            (
                HeaderFormat::Extended,
                FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1,
            )
        };
        let header = Header {
            sequence,
            control,
            frame_id: 0x0000,
        };
        let (Ok(mut out), Ok(params)) = (header.encode(format), response.encode_params()) else {
            return Vec::new();
        };
        out.extend(params);
        vec![out]
    }

    /// A frame it cannot decode. Once the version is negotiated, a real NCP answers a command it
    /// does not know with `invalidCommand` in place of the response, so the host fails fast
    /// instead of timing out; before that (or with an unreadable header) it stays silent.
    pub(super) fn invalid_command(&self, bytes: &[u8], reason: &str) -> Vec<Vec<u8>> {
        let header = match (self.codec, Header::decode(bytes, HeaderFormat::Extended)) {
            (Some(_), Ok((header, params))) => (header, params),
            _ => {
                tracing::warn!("emulated NCP ignores an undecodable frame {bytes:02x?}: {reason}");
                return Vec::new();
            }
        };
        let (header, params) = header;
        let why = match Command::decode_params(header.frame_id, params) {
            Err(EzspError::UnknownFrameId(_)) => ezsp_status::INVALID_FRAME_ID,
            _ => ezsp_status::INVALID_VALUE,
        };
        tracing::warn!(
            "emulated NCP does not know frame {:#06x} from the host ({reason}); parameters \
             {params:02x?}; answering invalidCommand",
            header.frame_id
        );
        let frame = FromNcp::Response(Response::InvalidCommand(InvalidCommand { reason: why }));
        self.encode(header.sequence, &frame).into_iter().collect()
    }
}
