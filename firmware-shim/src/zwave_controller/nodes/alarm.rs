//! A simulated mains-powered alarm (in the clear) that speaks Notification (v8): a smoke and
//! carbon monoxide alarm (types Smoke 0x01 and CO 0x02), or a leak detector (type Water
//! 0x05). An alarm going off or stopping sends a Notification Report to the lifeline (event
//! 0x02 "detected" for each of these types; idle naming the event it clears when it stops);
//! Notification Get answers the type's state, Supported Get the types it has.

const NOTIFICATION: u8 = 0x71;
/// The event each of its types reports when it goes off ("smoke detected", "carbon monoxide
/// detected", "water leak detected", each without a location).
const DETECTED: u8 = 0x02;
/// Notification Smoke.
pub const SMOKE: u8 = 0x01;
/// Notification CO.
pub const CARBON_MONOXIDE: u8 = 0x02;
/// Notification Water.
pub const WATER: u8 = 0x05;

/// Its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// The notification types it has, each with whether it is going off now.
    pub types: Vec<(u8, bool)>,
}

impl Alarm {
    /// An alarm of `types`, all quiet.
    pub fn new(types: &[u8]) -> Self {
        Self {
            types: types.iter().map(|t| (*t, false)).collect(),
        }
    }

    /// Routing end node; Notification Sensor; Z-Wave Plus, Notification, Association,
    /// Version, Manufacturer Specific.
    pub fn node_info(&self) -> Vec<u8> {
        vec![0x04, 0x07, 0x01, 0x5E, NOTIFICATION, 0x85, 0x86, 0x72]
    }

    fn report(notification_type: u8, active: bool) -> Vec<u8> {
        let mut out = vec![
            NOTIFICATION,
            0x05,
            0x00,
            0x00,
            0x00,
            0xFF,
            notification_type,
        ];
        if active {
            out.extend([DETECTED, 0x00]);
        } else {
            out.extend([0x00, 0x01, DETECTED]);
        }
        out
    }

    /// The alarm of `notification_type` goes off or stops: its Notification Report (nothing
    /// for a type it does not have).
    pub fn set(&mut self, notification_type: u8, active: bool) -> Vec<Vec<u8>> {
        match self.types.iter_mut().find(|(t, _)| *t == notification_type) {
            Some((_, now)) => {
                *now = active;
                vec![Self::report(notification_type, active)]
            }
            None => Vec::new(),
        }
    }

    /// Serves a frame from the controller; `None` if it is not Notification.
    pub fn receive(&mut self, payload: &[u8]) -> Option<Vec<Vec<u8>>> {
        if payload.first() != Some(&NOTIFICATION) {
            return None;
        }
        Some(match payload {
            [NOTIFICATION, 0x04, 0x00, wanted, ..] => self
                .types
                .iter()
                .find(|(t, _)| t == wanted)
                .map(|(t, active)| vec![Self::report(*t, *active)])
                .unwrap_or_default(),
            // One mask byte: bit n is type n.
            [NOTIFICATION, 0x07] => {
                let mask = self.types.iter().fold(0u8, |m, (t, _)| m | (1 << t));
                vec![vec![NOTIFICATION, 0x08, 0x01, mask]]
            }
            // Events supported: "detected" (bit 2) and idle.
            [NOTIFICATION, 0x01, wanted] if self.types.iter().any(|(t, _)| t == wanted) => {
                vec![vec![NOTIFICATION, 0x02, *wanted, 0x01, 1 << DETECTED]]
            }
            _ => Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_goes_off_and_stops_and_a_get_reads_it() {
        let mut a = Alarm::new(&[SMOKE, CARBON_MONOXIDE]);
        assert_eq!(
            a.set(SMOKE, true),
            vec![vec![0x71, 0x05, 0, 0, 0, 0xFF, SMOKE, 0x02, 0x00]]
        );
        assert_eq!(
            a.receive(&[0x71, 0x04, 0x00, SMOKE, 0x00]),
            Some(vec![vec![0x71, 0x05, 0, 0, 0, 0xFF, SMOKE, 0x02, 0x00]])
        );
        assert_eq!(
            a.set(SMOKE, false),
            vec![vec![0x71, 0x05, 0, 0, 0, 0xFF, SMOKE, 0x00, 0x01, 0x02]]
        );
        assert_eq!(a.set(WATER, true), Vec::<Vec<u8>>::new(), "not its type");
        assert_eq!(
            a.receive(&[0x71, 0x07]),
            Some(vec![vec![0x71, 0x08, 0x01, 0b0000_0110]])
        );
    }
}
