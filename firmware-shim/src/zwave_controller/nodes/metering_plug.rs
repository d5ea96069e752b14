//! A simulated metering plug with two outlets, as Multi Channel end points 1 and 2 (the root
//! device stands for outlet 1): each a Binary Switch (and Basic) with a Meter for energy (kWh,
//! two decimals) and power (W, one decimal). It reports on change: switching an outlet sends
//! its Binary Switch Report and its power Meter Report; [`MeteringPlug::run`] adds energy and
//! reports it. It also has Configuration (parameter 1: power report threshold in W, 2 bytes;
//! parameter 2: LED on, 1 byte) and Association (group 1, the lifeline, up to 5 nodes), and it
//! answers Supervision (a parameter it lacks, or a value out of range, is a Fail).

use super::served::{self, Served, Status};

const BASIC: u8 = 0x20;
const SWITCH: u8 = 0x25;
const METER: u8 = 0x32;
const MULTI_CHANNEL: u8 = 0x60;
const CONFIGURATION: u8 = 0x70;
const ASSOCIATION: u8 = 0x85;
/// Electric meter, consumed (rate type 1): the Meter Report's type byte.
const ELECTRIC_CONSUMED: u8 = 0x21;
/// Meter scales: kWh 0, W 2.
const KWH: u8 = 0;
const WATTS: u8 = 2;
/// Lifeline capacity.
const LIFELINE_MAX: u8 = 5;

/// One outlet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlet {
    /// Switched on.
    pub on: bool,
    /// What the appliance on it draws when on, tenths of W.
    pub load: i32,
    /// Energy used, Wh.
    pub energy_wh: i64,
}

impl Outlet {
    fn power(&self) -> i32 {
        if self.on { self.load } else { 0 }
    }
}

/// Its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeteringPlug {
    /// Outlets 1 and 2.
    pub outlets: [Outlet; 2],
    /// Configuration parameter 1: power change (W) that triggers a report.
    pub report_threshold: u16,
    /// Configuration parameter 2: the LED is on.
    pub led: u8,
    /// Association group 1 (lifeline).
    pub lifeline: Vec<u8>,
}

impl Default for MeteringPlug {
    fn default() -> Self {
        Self {
            outlets: [
                Outlet {
                    on: false,
                    load: 600,
                    energy_wh: 0,
                },
                Outlet {
                    on: false,
                    load: 15_000,
                    energy_wh: 0,
                },
            ],
            report_threshold: 5,
            led: 1,
            lifeline: Vec::new(),
        }
    }
}

fn meter_report(scale: u8, precision: u8, value: i32) -> Vec<u8> {
    // v3 layout: type byte, scaled value, delta time 0 (no previous value).
    let mut out = vec![METER, 0x02, ELECTRIC_CONSUMED];
    out.extend(served::scaled(precision, scale, 4, value));
    out.extend_from_slice(&[0x00, 0x00]);
    out
}

impl MeteringPlug {
    /// Routing end node; Binary Switch / Power Switch; Z-Wave Plus, Supervision, Binary
    /// Switch, Meter, Multi Channel, Configuration, Association, Version, Manufacturer Specific.
    pub fn node_info(&self) -> Vec<u8> {
        vec![
            0x04,
            0x10,
            0x01,
            0x5E,
            0x6C,
            SWITCH,
            METER,
            MULTI_CHANNEL,
            CONFIGURATION,
            ASSOCIATION,
            0x86,
            0x72,
        ]
    }

    fn outlet(&mut self, endpoint: u8) -> Option<&mut Outlet> {
        match endpoint {
            0 | 1 => self.outlets.get_mut(0),
            2 => self.outlets.get_mut(1),
            _ => None,
        }
    }

    /// Time passes with the outlets as they are: energy accumulates and each outlet that
    /// used some reports its kWh from its end point (frames to send to the controller).
    pub fn run(&mut self, seconds: u32) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (endpoint, outlet) in (1u8..).zip(self.outlets.iter_mut()) {
            let used = i64::from(outlet.power()) * i64::from(seconds) / 36_000;
            if used > 0 {
                outlet.energy_wh += used;
                // Hundredths of kWh.
                let value = i32::try_from(outlet.energy_wh / 10).unwrap_or(i32::MAX);
                let mut frame = vec![MULTI_CHANNEL, 0x0D, endpoint, 0x00];
                frame.extend(meter_report(KWH, 2, value));
                out.push(frame);
            }
        }
        out
    }

    /// Serves a frame from the controller; `None` if it is not one of its classes.
    pub fn receive(&mut self, payload: &[u8]) -> Option<Vec<Vec<u8>>> {
        if !matches!(
            payload.first(),
            Some(&(BASIC | SWITCH | METER | MULTI_CHANNEL | CONFIGURATION | ASSOCIATION | 0x6C))
        ) {
            return None;
        }
        Some(served::serve(payload, |endpoint, command| {
            self.serve(endpoint, command)
        }))
    }

    fn serve(&mut self, endpoint: u8, command: &[u8]) -> Served {
        match command {
            [MULTI_CHANNEL, 0x07] if endpoint == 0 => {
                // Identical end points, two of them.
                Served::answered(vec![vec![MULTI_CHANNEL, 0x08, 0x40, 0x02]])
            }
            // Each outlet: Binary Switch / Power Switch with Binary Switch, Meter, Supervision.
            [MULTI_CHANNEL, 0x09, ep @ (1 | 2)] if endpoint == 0 => Served::answered(vec![vec![
                MULTI_CHANNEL,
                0x0A,
                *ep,
                0x10,
                0x01,
                SWITCH,
                METER,
                0x6C,
            ]]),
            [CONFIGURATION, ..] if endpoint == 0 => self.configuration(command),
            [ASSOCIATION, ..] if endpoint == 0 => self.association(command),
            _ => self.outlet_command(endpoint, command),
        }
    }

    fn outlet_command(&mut self, endpoint: u8, command: &[u8]) -> Served {
        let Some(outlet) = self.outlet(endpoint) else {
            return Served::status(Status::NoSupport);
        };
        match command {
            [class @ (BASIC | SWITCH), 0x01, value, ..] => {
                if !matches!(value, 0x00..=0x63 | 0xFF) {
                    return Served::status(Status::Fail);
                }
                let on = *value != 0;
                if outlet.on == on {
                    return Served::answered(Vec::new());
                }
                outlet.on = on;
                let state = if on { 0xFF } else { 0x00 };
                Served::answered(vec![
                    vec![*class, 0x03, state],
                    meter_report(WATTS, 1, outlet.power()),
                ])
            }
            [class @ (BASIC | SWITCH), 0x02] => {
                Served::answered(vec![vec![*class, 0x03, if outlet.on { 0xFF } else { 0 }]])
            }
            [METER, 0x01] => Served::answered(vec![meter_report(
                KWH,
                2,
                i32::try_from(outlet.energy_wh / 10).unwrap_or(i32::MAX),
            )]),
            [METER, 0x01, scale_byte, ..] => match (scale_byte >> 3) & 0b111 {
                KWH => Served::answered(vec![meter_report(
                    KWH,
                    2,
                    i32::try_from(outlet.energy_wh / 10).unwrap_or(i32::MAX),
                )]),
                WATTS => Served::answered(vec![meter_report(WATTS, 1, outlet.power())]),
                _ => Served::status(Status::Fail),
            },
            // Resettable, electric consumed; scales kWh and W.
            [METER, 0x03] => Served::answered(vec![vec![METER, 0x04, 0xA1, 0b0000_0101]]),
            [METER, 0x05] => {
                outlet.energy_wh = 0;
                Served::status(Status::Success)
            }
            _ => Served::status(Status::NoSupport),
        }
    }

    fn configuration(&mut self, command: &[u8]) -> Served {
        match command {
            [CONFIGURATION, 0x04, 1, 0x02, hi, lo] => {
                let v = u16::from_be_bytes([*hi, *lo]);
                if !(1..=3000).contains(&v) {
                    return Served::status(Status::Fail);
                }
                self.report_threshold = v;
                Served::status(Status::Success)
            }
            [CONFIGURATION, 0x04, 2, 0x01, v] if *v <= 1 => {
                self.led = *v;
                Served::status(Status::Success)
            }
            [CONFIGURATION, 0x04, ..] => Served::status(Status::Fail),
            [CONFIGURATION, 0x05, 1] => {
                let [hi, lo] = self.report_threshold.to_be_bytes();
                Served::answered(vec![vec![CONFIGURATION, 0x06, 1, 0x02, hi, lo]])
            }
            [CONFIGURATION, 0x05, 2] => {
                Served::answered(vec![vec![CONFIGURATION, 0x06, 2, 0x01, self.led]])
            }
            [CONFIGURATION, 0x05, _] => Served::status(Status::Fail),
            _ => Served::status(Status::NoSupport),
        }
    }

    fn association(&mut self, command: &[u8]) -> Served {
        match command {
            [ASSOCIATION, 0x01, 1, nodes @ ..] => {
                for n in nodes {
                    if !self.lifeline.contains(n) {
                        if self.lifeline.len() >= usize::from(LIFELINE_MAX) {
                            return Served::status(Status::Fail);
                        }
                        self.lifeline.push(*n);
                    }
                }
                Served::status(Status::Success)
            }
            [ASSOCIATION, 0x02, 1] => {
                let mut report = vec![ASSOCIATION, 0x03, 1, LIFELINE_MAX, 0x00];
                report.extend(&self.lifeline);
                Served::answered(vec![report])
            }
            [ASSOCIATION, 0x04, 1, nodes @ ..] => {
                if nodes.is_empty() {
                    self.lifeline.clear();
                } else {
                    self.lifeline.retain(|n| !nodes.contains(n));
                }
                Served::status(Status::Success)
            }
            [ASSOCIATION, 0x05] => Served::answered(vec![vec![ASSOCIATION, 0x06, 1]]),
            [ASSOCIATION, 0x01 | 0x02 | 0x04, ..] => Served::status(Status::Fail),
            _ => Served::status(Status::NoSupport),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switching_outlet_two_reports_its_state_and_power_from_its_end_point() {
        let mut plug = MeteringPlug::default();
        let got = plug.receive(&[0x60, 0x0D, 0x00, 0x02, SWITCH, 0x01, 0xFF]);
        assert_eq!(
            got,
            Some(vec![
                vec![0x60, 0x0D, 0x02, 0x00, SWITCH, 0x03, 0xFF],
                vec![
                    0x60, 0x0D, 0x02, 0x00, METER, 0x02, 0x21, 0x34, 0x00, 0x00, 0x3A, 0x98, 0x00,
                    0x00
                ],
            ])
        );
        assert!(plug.outlets[1].on && !plug.outlets[0].on);
        // 1500 W for an hour: 1.5 kWh = 150 hundredths.
        assert_eq!(
            plug.run(3600),
            vec![vec![
                0x60, 0x0D, 0x02, 0x00, METER, 0x02, 0x21, 0x44, 0x00, 0x00, 0x00, 150, 0x00, 0x00
            ]]
        );
    }
}
