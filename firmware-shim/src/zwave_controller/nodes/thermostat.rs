//! A simulated mains-powered thermostat: Thermostat Mode (off, heat, cool, auto), Thermostat
//! Setpoint (heating and cooling, °C with one decimal), Thermostat Operating State (derived
//! from the mode, the setpoints and the room temperature) and a Multilevel Sensor for the air
//! temperature. It answers Supervision: a mode it lacks or a setpoint outside 5.0–30.0 °C is
//! a Fail; a new setpoint is Working for [`SETPOINT_SECONDS`] (the valve moves) and then a
//! Success.

use super::served::{self, Served, Status};

const MODE: u8 = 0x40;
const OPERATING_STATE: u8 = 0x42;
const SETPOINT: u8 = 0x43;
const SENSOR: u8 = 0x31;

/// Modes it has: off (0), heat (1), cool (2), auto (3).
const SUPPORTED_MODES: u32 = 0b1111;
/// Setpoint types it has: heating (1) and cooling (2).
const HEATING: u8 = 1;
const COOLING: u8 = 2;
/// Setpoint limits, tenths of °C.
const SETPOINT_RANGE: core::ops::RangeInclusive<i32> = 50..=300;
/// How long a new setpoint is reported Working.
pub const SETPOINT_SECONDS: u8 = 5;

/// Its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thermostat {
    /// 0 off, 1 heat, 2 cool, 3 auto.
    pub mode: u8,
    /// Heating setpoint, tenths of °C.
    pub heating: i32,
    /// Cooling setpoint, tenths of °C.
    pub cooling: i32,
    /// Room temperature, tenths of °C.
    pub temperature: i32,
}

impl Default for Thermostat {
    fn default() -> Self {
        Self {
            mode: 0,
            heating: 200,
            cooling: 250,
            temperature: 215,
        }
    }
}

impl Thermostat {
    /// Routing end node; Thermostat / General Thermostat v2; Z-Wave Plus, Supervision,
    /// Thermostat Mode, Setpoint, Operating State, Multilevel Sensor, Association, Version,
    /// Manufacturer Specific.
    pub fn node_info(&self) -> Vec<u8> {
        vec![
            0x04,
            0x08,
            0x06,
            0x5E,
            0x6C,
            MODE,
            SETPOINT,
            OPERATING_STATE,
            SENSOR,
            // Association (its lifeline, served by `SimNode::lifeline`).
            0x85,
            0x86,
            0x72,
        ]
    }

    /// 0 idle, 1 heating, 2 cooling.
    pub fn operating_state(&self) -> u8 {
        let heat = matches!(self.mode, 1 | 3) && self.temperature < self.heating;
        let cool = matches!(self.mode, 2 | 3) && self.temperature > self.cooling;
        match (heat, cool) {
            (true, _) => 1,
            (_, true) => 2,
            _ => 0,
        }
    }

    fn setpoint_report(&self, kind: u8) -> Option<Vec<u8>> {
        let value = match kind {
            HEATING => self.heating,
            COOLING => self.cooling,
            _ => return None,
        };
        let mut out = vec![SETPOINT, 0x03, kind];
        out.extend(served::scaled(1, 0, 2, value));
        Some(out)
    }

    fn temperature_report(&self) -> Vec<u8> {
        let mut out = vec![SENSOR, 0x05, 0x01];
        out.extend(served::scaled(1, 0, 2, self.temperature));
        out
    }

    fn state_report(&self) -> Vec<u8> {
        vec![OPERATING_STATE, 0x03, self.operating_state()]
    }

    /// The room warms or cools: reports the new temperature and, when it changes, the
    /// operating state (what the thermostat sends its lifeline).
    pub fn set_temperature(&mut self, tenths: i32) -> Vec<Vec<u8>> {
        let before = self.operating_state();
        self.temperature = tenths;
        let mut out = vec![self.temperature_report()];
        if self.operating_state() != before {
            out.push(self.state_report());
        }
        out
    }

    /// Serves a frame from the controller; `None` if it is not one of its classes.
    pub fn receive(&mut self, payload: &[u8]) -> Option<Vec<Vec<u8>>> {
        if !matches!(
            payload.first(),
            Some(&(MODE | SETPOINT | OPERATING_STATE | SENSOR | 0x60 | 0x6C))
        ) {
            return None;
        }
        Some(served::serve(payload, |_, command| self.serve(command)))
    }

    fn serve(&mut self, command: &[u8]) -> Served {
        match command {
            [MODE, 0x01, m] => {
                if m >> 5 != 0 || SUPPORTED_MODES & (1u32 << (m & 0x1F)) == 0 {
                    return Served::status(Status::Fail);
                }
                let before = self.operating_state();
                self.mode = *m;
                let mut answers = Vec::new();
                if self.operating_state() != before {
                    answers.push(self.state_report());
                }
                Served::answered(answers)
            }
            [MODE, 0x02] => Served::answered(vec![vec![MODE, 0x03, self.mode]]),
            [MODE, 0x04] => {
                Served::answered(vec![vec![MODE, 0x05, SUPPORTED_MODES.to_le_bytes()[0]]])
            }
            [SETPOINT, 0x01, kind, value @ ..] => {
                let Some((precision, scale, raw)) = served::read_scaled(value) else {
                    return Served::status(Status::Fail);
                };
                // Celsius only; to tenths of a degree.
                let tenths = match precision {
                    0 => raw.saturating_mul(10),
                    1 => raw,
                    2 => raw / 10,
                    _ => return Served::status(Status::Fail),
                };
                if scale != 0 || !SETPOINT_RANGE.contains(&tenths) {
                    return Served::status(Status::Fail);
                }
                match *kind {
                    HEATING => self.heating = tenths,
                    COOLING => self.cooling = tenths,
                    _ => return Served::status(Status::Fail),
                }
                Served::status(Status::Working {
                    duration: SETPOINT_SECONDS,
                })
            }
            [SETPOINT, 0x02, kind] => {
                Served::answered(self.setpoint_report(*kind).into_iter().collect())
            }
            // Supported setpoint types: bit 1 heating, bit 2 cooling.
            [SETPOINT, 0x04] => Served::answered(vec![vec![SETPOINT, 0x05, 0b0000_0110]]),
            [OPERATING_STATE, 0x02] => Served::answered(vec![self.state_report()]),
            [SENSOR, 0x01] => Served::answered(vec![vec![SENSOR, 0x02, 0x01]]),
            [SENSOR, 0x04] | [SENSOR, 0x04, 0x01, _] => {
                Served::answered(vec![self.temperature_report()])
            }
            _ => Served::status(Status::NoSupport),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_below_the_setpoint_is_heating() {
        let mut t = Thermostat::default();
        assert_eq!(t.receive(&[MODE, 0x01, 0x01]), Some(Vec::new()));
        assert_eq!(t.operating_state(), 0, "21.5 °C over a 20.0 °C setpoint");
        assert_eq!(
            t.set_temperature(190),
            vec![vec![0x31, 0x05, 0x01, 0x22, 0x00, 190], vec![0x42, 0x03, 1]]
        );
    }

    #[test]
    fn a_mode_it_lacks_fails_under_supervision() {
        let mut t = Thermostat::default();
        assert_eq!(
            t.receive(&[0x6C, 0x01, 0x02, 0x03, MODE, 0x01, 0x0B]),
            Some(vec![vec![0x6C, 0x02, 0x02, 0x02, 0x00]])
        );
        assert_eq!(t.mode, 0);
    }
}
