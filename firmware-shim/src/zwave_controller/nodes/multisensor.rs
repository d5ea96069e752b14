//! A simulated battery multisensor that sleeps and wakes: Wake Up (interval 60 s to 24 h in
//! whole minutes, to the node named in Interval Set), Battery, Multilevel Sensor (air
//! temperature in °C with one decimal, luminance in lux) and Notification (Home Security,
//! motion detected / idle, tampering when its cover is removed). It hears nothing while asleep; [`Multisensor::wake_up`] sends its
//! Wake Up Notification and it listens until Wake Up No More Information. Motion is sent under
//! Supervision Get (as Z-Wave Plus v2 sensors send their notifications), and it answers
//! Supervision for the Sets it gets (an interval out of range is a Fail).

use super::served::{self, Served, Status};

const SENSOR: u8 = 0x31;
const NOTIFICATION: u8 = 0x71;
const BATTERY: u8 = 0x80;
const WAKE_UP: u8 = 0x84;
/// Notification type Home Security; events motion detected (8), tampering with the cover
/// removed (3) and idle (0).
const HOME_SECURITY: u8 = 0x07;
const MOTION: u8 = 0x08;
const TAMPER: u8 = 0x03;
/// Wake Up interval limits and step, seconds.
const INTERVAL_MIN: u32 = 60;
const INTERVAL_MAX: u32 = 86_400;
const INTERVAL_STEP: u32 = 60;

/// Its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multisensor {
    /// Listening now.
    pub awake: bool,
    /// Wake Up interval, seconds.
    pub interval: u32,
    /// Node its Wake Up Notification goes to.
    pub wake_up_node: u8,
    /// Battery, percent.
    pub battery: u8,
    /// Air temperature, tenths of °C.
    pub temperature: i32,
    /// Luminance, lux.
    pub luminance: i32,
    /// Motion now.
    pub motion: bool,
    /// Whether it sends motion notifications (Notification Set).
    pub notifications_on: bool,
    session: u8,
}

impl Default for Multisensor {
    fn default() -> Self {
        Self {
            awake: false,
            interval: 3600,
            wake_up_node: 1,
            battery: 87,
            temperature: 198,
            luminance: 120,
            motion: false,
            notifications_on: true,
            session: 0,
        }
    }
}

fn u24(v: u32) -> [u8; 3] {
    let [_, a, b, c] = v.to_be_bytes();
    [a, b, c]
}

impl Multisensor {
    /// Routing end node; Notification Sensor; Z-Wave Plus, Supervision, Wake Up, Battery,
    /// Multilevel Sensor, Notification, Association, Version, Manufacturer Specific.
    pub fn node_info(&self) -> Vec<u8> {
        vec![
            0x04,
            0x07,
            0x01,
            0x5E,
            0x6C,
            WAKE_UP,
            BATTERY,
            SENSOR,
            NOTIFICATION,
            // Association (its lifeline, served by `SimNode::lifeline`).
            0x85,
            0x86,
            0x72,
        ]
    }

    /// Wakes up: its Wake Up Notification.
    pub fn wake_up(&mut self) -> Vec<u8> {
        self.awake = true;
        vec![WAKE_UP, 0x07]
    }

    fn notification(&self) -> Vec<u8> {
        let event = if self.motion { MOTION } else { 0x00 };
        // v1 alarm type and level 0, reserved, status on, Home Security, the event, no
        // parameters.
        vec![
            NOTIFICATION,
            0x05,
            0x00,
            0x00,
            0x00,
            0xFF,
            HOME_SECURITY,
            event,
            0x00,
        ]
    }

    /// Motion starts or stops: the Notification Report under Supervision Get (nothing when
    /// notifications are off).
    pub fn set_motion(&mut self, motion: bool) -> Vec<Vec<u8>> {
        self.motion = motion;
        if !self.notifications_on {
            return Vec::new();
        }
        self.session = (self.session + 1) & 0x3F;
        vec![served::supervised(self.session, self.notification())]
    }

    /// Its cover is removed (tampering) or put back: the Home Security Notification Report
    /// (put back: idle, naming the tamper event it clears) under Supervision Get, as
    /// [`Multisensor::set_motion`] sends motion (nothing when notifications are off).
    pub fn set_tamper(&mut self, tampered: bool) -> Vec<Vec<u8>> {
        if !self.notifications_on {
            return Vec::new();
        }
        let (event, parameters) = if tampered {
            (TAMPER, vec![0x00])
        } else {
            (0x00, vec![0x01, TAMPER])
        };
        let mut report = vec![
            NOTIFICATION,
            0x05,
            0x00,
            0x00,
            0x00,
            0xFF,
            HOME_SECURITY,
            event,
        ];
        report.extend(parameters);
        self.session = (self.session + 1) & 0x3F;
        vec![served::supervised(self.session, report)]
    }

    /// Serves a frame from the controller; `None` if it is not one of its classes.
    pub fn receive(&mut self, payload: &[u8]) -> Option<Vec<Vec<u8>>> {
        if !matches!(
            payload.first(),
            Some(&(SENSOR | NOTIFICATION | BATTERY | WAKE_UP | 0x6C))
        ) {
            return None;
        }
        Some(served::serve(payload, |_, command| self.serve(command)))
    }

    fn serve(&mut self, command: &[u8]) -> Served {
        match command {
            [WAKE_UP, 0x04, a, b, c, node] => {
                let seconds = u32::from_be_bytes([0, *a, *b, *c]);
                if !(INTERVAL_MIN..=INTERVAL_MAX).contains(&seconds) || seconds % INTERVAL_STEP != 0
                {
                    return Served::status(Status::Fail);
                }
                self.interval = seconds;
                self.wake_up_node = *node;
                Served::status(Status::Success)
            }
            [WAKE_UP, 0x05] => {
                let mut report = vec![WAKE_UP, 0x06];
                report.extend(u24(self.interval));
                report.push(self.wake_up_node);
                Served::answered(vec![report])
            }
            [WAKE_UP, 0x08] => {
                self.awake = false;
                Served::status(Status::Success)
            }
            [WAKE_UP, 0x09] => {
                let mut report = vec![WAKE_UP, 0x0A];
                for v in [INTERVAL_MIN, INTERVAL_MAX, 3600, INTERVAL_STEP] {
                    report.extend(u24(v));
                }
                Served::answered(vec![report])
            }
            [BATTERY, 0x02] => Served::answered(vec![vec![BATTERY, 0x03, self.battery]]),
            // Air temperature (bit 0) and luminance (bit 2).
            [SENSOR, 0x01] => Served::answered(vec![vec![SENSOR, 0x02, 0b0000_0101]]),
            [SENSOR, 0x04] | [SENSOR, 0x04, 0x01, _] => {
                let mut report = vec![SENSOR, 0x05, 0x01];
                report.extend(served::scaled(1, 0, 2, self.temperature));
                Served::answered(vec![report])
            }
            [SENSOR, 0x04, 0x03, _] => {
                let mut report = vec![SENSOR, 0x05, 0x03];
                report.extend(served::scaled(0, 1, 2, self.luminance));
                Served::answered(vec![report])
            }
            [NOTIFICATION, 0x04, 0x00, HOME_SECURITY, ..] => {
                Served::answered(vec![self.notification()])
            }
            [NOTIFICATION, 0x06, HOME_SECURITY, status @ (0x00 | 0xFF)] => {
                self.notifications_on = *status == 0xFF;
                Served::status(Status::Success)
            }
            [NOTIFICATION, 0x06, ..] => Served::status(Status::Fail),
            // One mask byte: Home Security (bit 7).
            [NOTIFICATION, 0x07] => Served::answered(vec![vec![NOTIFICATION, 0x08, 0x01, 0x80]]),
            _ => Served::status(Status::NoSupport),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_off_the_minute_grid_fails_and_a_good_one_is_kept() {
        let mut s = Multisensor::default();
        assert_eq!(
            s.receive(&[
                0x6C, 0x01, 0x01, 0x06, WAKE_UP, 0x04, 0x00, 0x00, 0x5A, 0x01
            ]),
            Some(vec![vec![0x6C, 0x02, 0x01, 0x02, 0x00]])
        );
        assert_eq!(
            s.receive(&[
                0x6C, 0x01, 0x02, 0x06, WAKE_UP, 0x04, 0x00, 0x02, 0x58, 0x01
            ]),
            Some(vec![vec![0x6C, 0x02, 0x02, 0xFF, 0x00]])
        );
        assert_eq!(s.interval, 600);
    }
}
