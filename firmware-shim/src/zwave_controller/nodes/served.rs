//! The node side of Multi Channel and Supervision encapsulation, shared by the simulated
//! devices that have them (thermostat, metering plug, multisensor), written over raw bytes
//! apart from the driver's command class codecs so the two check each other.
//!
//! A frame reaches a device as `[Multi Channel to end point e → ] [Supervision Get → ]
//! command` (the transport encapsulation order: Multi Channel outside Supervision). The device
//! serves the command for its end point and says how it went ([`Status`]); under Supervision
//! Get it answers a Supervision Report with that status (Working first, then Success when the
//! host asked for status updates), and everything it sends back goes to the end point it came
//! from inside Multi Channel Command Encapsulation.

const MULTI_CHANNEL: u8 = 0x60;
const MULTI_CHANNEL_ENCAP: u8 = 0x0D;
const SUPERVISION: u8 = 0x6C;
const SUPERVISION_GET: u8 = 0x01;
const SUPERVISION_REPORT: u8 = 0x02;

/// How a device dealt with one command (the Supervision Report status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Applied (0xFF), or answered for a Get.
    Success,
    /// Refused: a value out of range, a mode it lacks (0x02).
    Fail,
    /// Not a command it knows (0x00).
    NoSupport,
    /// Applying over time (0x01); `duration` is a Z-Wave duration byte.
    Working {
        /// Time left, as a duration byte (0x01..=0x7F seconds).
        duration: u8,
    },
}

impl Status {
    fn byte(self) -> u8 {
        match self {
            Self::Success => 0xFF,
            Self::Fail => 0x02,
            Self::NoSupport => 0x00,
            Self::Working { .. } => 0x01,
        }
    }
}

/// What a device answered one command with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// Frames to send back (reports, reports on change).
    pub answers: Vec<Vec<u8>>,
    /// How it went.
    pub status: Status,
}

impl Served {
    /// Answered with these frames.
    pub fn answered(answers: Vec<Vec<u8>>) -> Self {
        Self {
            answers,
            status: Status::Success,
        }
    }

    /// Nothing to send back, with this status.
    pub fn status(status: Status) -> Self {
        Self {
            answers: Vec::new(),
            status,
        }
    }
}

fn supervision_report(more: bool, session: u8, status: u8, duration: u8) -> Vec<u8> {
    vec![
        SUPERVISION,
        SUPERVISION_REPORT,
        (u8::from(more) << 7) | (session & 0x3F),
        status,
        duration,
    ]
}

/// Takes Multi Channel and Supervision off `payload`, lets `device` serve the command for its
/// end point (0: the root device), and returns what goes back to the controller.
pub fn serve(payload: &[u8], device: impl FnOnce(u8, &[u8]) -> Served) -> Vec<Vec<u8>> {
    let (endpoint, inner) = match payload {
        [
            MULTI_CHANNEL,
            MULTI_CHANNEL_ENCAP,
            _source,
            destination,
            rest @ ..,
        ] => (destination & 0x7F, rest),
        _ => (0, payload),
    };
    let to_endpoint = |frame: Vec<u8>| {
        if endpoint == 0 {
            frame
        } else {
            let mut out = vec![MULTI_CHANNEL, MULTI_CHANNEL_ENCAP, endpoint, 0x00];
            out.extend(frame);
            out
        }
    };
    match inner {
        [SUPERVISION, SUPERVISION_GET, flags, len, command @ ..]
            if usize::from(*len) == command.len() =>
        {
            let session = flags & 0x3F;
            let updates = flags & 0x80 != 0;
            let served = device(endpoint, command);
            let mut out = Vec::new();
            match served.status {
                Status::Working { duration } => {
                    out.push(supervision_report(updates, session, 0x01, duration));
                    if updates {
                        // The simulated transition ends at once: the final report follows.
                        out.push(supervision_report(false, session, 0xFF, 0x00));
                    }
                }
                status => out.push(supervision_report(false, session, status.byte(), 0x00)),
            }
            out.extend(served.answers);
            out.into_iter().map(to_endpoint).collect()
        }
        _ => device(endpoint, inner)
            .answers
            .into_iter()
            .map(to_endpoint)
            .collect(),
    }
}

/// A frame the device sends on its own under Supervision Get (as Z-Wave Plus v2 sensors send
/// their notifications), with `session` (0..=63).
pub fn supervised(session: u8, command: Vec<u8>) -> Vec<u8> {
    let mut out = vec![
        SUPERVISION,
        SUPERVISION_GET,
        session & 0x3F,
        u8::try_from(command.len()).unwrap_or(u8::MAX),
    ];
    out.extend(command);
    out
}

/// `precision | scale | size` then the big-endian value: the encoding Multilevel Sensor,
/// Meter and Thermostat Setpoint share; `size` is 1, 2 or 4.
pub fn scaled(precision: u8, scale: u8, size: u8, value: i32) -> Vec<u8> {
    let mut out = vec![(precision << 5) | ((scale & 0b11) << 3) | size];
    let bytes = value.to_be_bytes();
    out.extend_from_slice(bytes.get(4 - usize::from(size.min(4))..).unwrap_or(&bytes));
    out
}

/// Reads a value in that encoding: (precision, scale, value), `None` if malformed.
pub fn read_scaled(bytes: &[u8]) -> Option<(u8, u8, i32)> {
    let (&header, rest) = bytes.split_first()?;
    let size = header & 0b111;
    let value = match (size, rest) {
        (1, [a]) => i32::from(*a as i8),
        (2, [a, b]) => i32::from(i16::from_be_bytes([*a, *b])),
        (4, [a, b, c, d]) => i32::from_be_bytes([*a, *b, *c, *d]),
        _ => return None,
    };
    Some((header >> 5, (header >> 3) & 0b11, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supervised_set_to_an_end_point_is_answered_from_that_end_point() {
        let got = serve(
            &[
                0x60, 0x0D, 0x00, 0x02, 0x6C, 0x01, 0x87, 0x03, 0x25, 0x01, 0xFF,
            ],
            |endpoint, command| {
                assert_eq!((endpoint, command), (2, &[0x25, 0x01, 0xFF][..]));
                Served {
                    answers: vec![vec![0x25, 0x03, 0xFF]],
                    status: Status::Working { duration: 3 },
                }
            },
        );
        assert_eq!(
            got,
            vec![
                vec![0x60, 0x0D, 0x02, 0x00, 0x6C, 0x02, 0x87, 0x01, 0x03],
                vec![0x60, 0x0D, 0x02, 0x00, 0x6C, 0x02, 0x07, 0xFF, 0x00],
                vec![0x60, 0x0D, 0x02, 0x00, 0x25, 0x03, 0xFF],
            ]
        );
    }

    #[test]
    fn scaled_values_round_trip() {
        assert_eq!(scaled(1, 0, 2, 215), [0x22, 0x00, 0xD7]);
        assert_eq!(read_scaled(&[0x22, 0x00, 0xD7]), Some((1, 0, 215)));
        assert_eq!(read_scaled(&[0x22, 0x00]), None);
    }
}
