//! A simulated dimmable colour bulb (mains powered, in the clear): Multilevel Switch for the
//! brightness (0..=99, 0xFF = last level) and Color Switch with warm white, cold white, red,
//! green and blue. It answers Supervision: a Set with a duration is Working for that long (the
//! fade), then Success; a colour component it lacks or a level out of range is a Fail.

use super::served;
use super::served::{Served, Status};

const MULTILEVEL: u8 = 0x26;
const COLOR: u8 = 0x33;
/// Components: warm white (0), cold white (1), red (2), green (3), blue (4).
const COMPONENTS: usize = 5;

/// Its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulb {
    /// Brightness 0..=99.
    pub level: u8,
    /// The level 0xFF goes back to.
    pub last_on: u8,
    /// Component values, by component id.
    pub color: [u8; COMPONENTS],
    /// A level change is under way (Start Level Change until Stop).
    pub changing: bool,
}

impl Default for Bulb {
    fn default() -> Self {
        Self {
            level: 0,
            last_on: 99,
            color: [255, 0, 0, 0, 0],
            changing: false,
        }
    }
}

fn working_or_done(duration: Option<u8>) -> Status {
    match duration {
        Some(d @ 0x01..=0xFD) => Status::Working { duration: d },
        _ => Status::Success,
    }
}

impl Bulb {
    /// Routing end node; Multilevel Switch / Multilevel Power Switch; Z-Wave Plus,
    /// Supervision, Multilevel Switch, Color Switch, Association, Version, Manufacturer
    /// Specific.
    pub fn node_info(&self) -> Vec<u8> {
        // Association: its lifeline, served by `SimNode::lifeline`.
        vec![
            0x04, 0x11, 0x01, 0x5E, 0x6C, MULTILEVEL, COLOR, 0x85, 0x86, 0x72,
        ]
    }

    /// Serves a frame from the controller; `None` if it is not one of its classes.
    pub fn receive(&mut self, payload: &[u8]) -> Option<Vec<Vec<u8>>> {
        if !matches!(payload.first(), Some(&(MULTILEVEL | COLOR | 0x6C))) {
            return None;
        }
        Some(served::serve(payload, |_, command| self.serve(command)))
    }

    fn serve(&mut self, command: &[u8]) -> Served {
        match command {
            [MULTILEVEL, 0x01, value, duration @ ..] if duration.len() <= 1 => {
                let level = match *value {
                    0 => 0,
                    v @ 1..=99 => v,
                    0xFF => self.last_on,
                    _ => return Served::status(Status::Fail),
                };
                self.level = level;
                if level > 0 {
                    self.last_on = level;
                }
                Served::status(working_or_done(duration.first().copied()))
            }
            [MULTILEVEL, 0x02] => Served::answered(vec![vec![MULTILEVEL, 0x03, self.level]]),
            [MULTILEVEL, 0x04, _flags, _start, ..] => {
                self.changing = true;
                Served::status(Status::Success)
            }
            [MULTILEVEL, 0x05] => {
                self.changing = false;
                Served::status(Status::Success)
            }
            // Primary switch type 2: down/up (off/on).
            [MULTILEVEL, 0x06] => Served::answered(vec![vec![MULTILEVEL, 0x07, 0x02, 0x00]]),
            [COLOR, 0x01] => Served::answered(vec![vec![COLOR, 0x02, 0b0001_1111, 0x00]]),
            [COLOR, 0x03, component] => match self.color.get(usize::from(*component)) {
                Some(v) => Served::answered(vec![vec![COLOR, 0x04, *component, *v]]),
                None => Served::status(Status::Fail),
            },
            [COLOR, 0x05, count, rest @ ..] => {
                let pairs = usize::from(count & 0x1F);
                let Some(values) = rest.get(..pairs * 2) else {
                    return Served::status(Status::Fail);
                };
                let duration = rest.get(pairs * 2).copied();
                let mut next = self.color;
                for pair in values.chunks_exact(2) {
                    let (Some(&id), Some(&v)) = (pair.first(), pair.get(1)) else {
                        return Served::status(Status::Fail);
                    };
                    match next.get_mut(usize::from(id)) {
                        Some(slot) => *slot = v,
                        None => return Served::status(Status::Fail),
                    }
                }
                self.color = next;
                Served::status(working_or_done(duration))
            }
            _ => Served::status(Status::NoSupport),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_it_lacks_fails_and_changes_nothing() {
        let mut bulb = Bulb::default();
        // Red 200 and amber (5) 10, supervised (session 4).
        let got = bulb.receive(&[0x6C, 0x01, 0x04, 0x07, COLOR, 0x05, 0x02, 2, 200, 5, 10]);
        assert_eq!(got, Some(vec![vec![0x6C, 0x02, 0x04, 0x02, 0x00]]));
        assert_eq!(bulb.color, Bulb::default().color);
    }
}
