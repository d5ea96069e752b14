//! User Code (v1) for the simulated door lock: [`SLOTS`] PIN slots, each available (0),
//! enabled (1) or disabled (2) with 4 to 10 ASCII digits. Set stores or clears a slot (slot 0
//! with status 0 clears them all); Get answers a Report (an available slot reports four zero
//! bytes, as the specification asks); Users Number Get answers the slot count. A code that is
//! not 4 to 10 digits, or a slot out of range, is ignored, as a lock does.

const USER_CODE: u8 = 0x63;
/// Slots the lock has.
pub const SLOTS: u8 = 8;

/// The lock's PIN slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserCodes {
    /// (slot, status, code) of every slot not available.
    pub slots: Vec<(u8, u8, Vec<u8>)>,
}

impl UserCodes {
    /// Serves a User Code frame; `None` if it is not one.
    pub fn serve(&mut self, payload: &[u8]) -> Option<Vec<Vec<u8>>> {
        let answers = match payload {
            [USER_CODE, 0x01, 0, 0x00, ..] => {
                self.slots.clear();
                Vec::new()
            }
            [USER_CODE, 0x01, id @ 1..=SLOTS, status, code @ ..] => {
                let digits = (4..=10).contains(&code.len()) && code.iter().all(u8::is_ascii_digit);
                self.slots.retain(|(slot, _, _)| slot != id);
                match status {
                    0x00 => {}
                    0x01 | 0x02 if digits => self.slots.push((*id, *status, code.to_vec())),
                    _ => {}
                }
                Vec::new()
            }
            [USER_CODE, 0x02, id @ 1..=SLOTS] => {
                let mut report = vec![USER_CODE, 0x03, *id];
                match self.slots.iter().find(|(slot, _, _)| slot == id) {
                    Some((_, status, code)) => {
                        report.push(*status);
                        report.extend(code);
                    }
                    None => report.extend([0x00, 0x00, 0x00, 0x00, 0x00]),
                }
                vec![report]
            }
            [USER_CODE, 0x04] => vec![vec![USER_CODE, 0x05, SLOTS]],
            [USER_CODE, ..] => Vec::new(),
            _ => return None,
        };
        Some(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_code_is_reported_and_a_bad_one_clears_the_slot() {
        let mut codes = UserCodes::default();
        assert_eq!(
            codes.serve(&[0x63, 0x01, 3, 0x01, b'1', b'9', b'7', b'4']),
            Some(vec![])
        );
        assert_eq!(
            codes.serve(&[0x63, 0x02, 3]),
            Some(vec![vec![0x63, 0x03, 3, 0x01, b'1', b'9', b'7', b'4']])
        );
        assert_eq!(
            codes.serve(&[0x63, 0x01, 3, 0x01, b'1', b'2', b'x', b'4']),
            Some(vec![])
        );
        assert_eq!(
            codes.serve(&[0x63, 0x02, 3]),
            Some(vec![vec![0x63, 0x03, 3, 0x00, 0, 0, 0, 0]])
        );
        assert_eq!(codes.serve(&[0x62, 0x02]), None);
    }
}
