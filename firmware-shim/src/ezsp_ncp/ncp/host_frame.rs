//! An EZSP frame from the host as the emulator reads it ([`EzspFrameFromHost`]): the `version`
//! command in either header, a decoded command once the version is negotiated, or bytes it
//! cannot decode. The override hook of [`super::super::stick`] sees frames in this form.

use sealhub_radios::zigbee::ezsp::{Command, FrameCodec, Header, HeaderFormat};

/// An EZSP frame from the host, as the override hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EzspFrameFromHost {
    /// `version`, in the legacy (3-byte) or extended header.
    Version {
        /// Sequence number.
        sequence: u8,
        /// The protocol the host asks for.
        desired: u8,
        /// Whether it came in the legacy header.
        legacy: bool,
    },
    /// Any other command, decoded.
    Command {
        /// The extended header.
        header: Header,
        /// The command and its parameters.
        command: Command,
    },
    /// Bytes the emulator cannot decode (unknown frame ID, bad layout, before negotiation).
    Undecodable {
        /// The raw EZSP frame.
        bytes: Vec<u8>,
        /// Why it could not be decoded.
        reason: String,
    },
}

impl EzspFrameFromHost {
    /// Decodes one EZSP frame. The legacy header is recognised by its third byte: the frame
    /// ID `version` (0x00) there, where the extended header has the high byte of the frame
    /// control with the format-version bit set.
    pub fn parse(bytes: &[u8], codec: Option<FrameCodec>) -> Self {
        let undecodable = |reason: String| Self::Undecodable {
            bytes: bytes.to_vec(),
            reason,
        };
        let legacy = bytes.get(2).is_some_and(|&b| b & 0x01 == 0);
        let format = if legacy {
            HeaderFormat::Legacy
        } else {
            HeaderFormat::Extended
        };
        let (header, params) = match Header::decode(bytes, format) {
            Ok(split) => split,
            Err(e) => return undecodable(e.to_string()),
        };
        if header.frame_id == 0x0000 {
            return match Command::decode_params(0x0000, params) {
                Ok(Command::Version(v)) => Self::Version {
                    sequence: header.sequence,
                    desired: v.desired_protocol_version,
                    legacy,
                },
                Ok(_) => undecodable("not a version command".into()),
                Err(e) => undecodable(e.to_string()),
            };
        }
        if legacy {
            return undecodable("legacy header on a command other than version".into());
        }
        let Some(codec) = codec else {
            return undecodable("command before version negotiation".into());
        };
        match codec.decode_command(bytes) {
            Ok((header, command)) => Self::Command { header, command },
            Err(e) => undecodable(e.to_string()),
        }
    }

    /// The sequence number, when the header could be read.
    pub fn sequence(&self) -> Option<u8> {
        match self {
            Self::Version { sequence, .. } => Some(*sequence),
            Self::Command { header, .. } => Some(header.sequence),
            Self::Undecodable { bytes, .. } => bytes.first().copied(),
        }
    }

    /// The frame ID, when decoded.
    pub fn frame_id(&self) -> Option<u16> {
        match self {
            Self::Version { .. } => Some(0x0000),
            Self::Command { command, .. } => Some(command.frame_id()),
            Self::Undecodable { .. } => None,
        }
    }
}
