//! Aeotec's proprietary configuration functions, answered when the emulated chip carries the
//! Aeotec Z-Stick Gen5 ids (manufacturer 0x0086, product 0x005A; product type 0x0001, 0x0101
//! or 0x0201 by region), which zwave-js recognises and then reads at start-up
//! (`ControllerProprietary_Aeotec`): without an answer it waits its whole 10 s response timeout.
//!
//! The layout is the one zwave-js's driver speaks (the public fact this follows):
//! - 0xF3 get: request `param…`; response `(param, size, value[size])…` for each parameter the
//!   stick has, the others left out.
//! - 0xF2 set: request `param, flags, value…` where `flags` = `default << 7 | size`; response
//!   `[1]` accepted, `[0]` refused.
//!
//! Parameters: 0x51 LED indicator (1 byte, on), 0xDC RF power level (1 byte, 1–10, 10),
//! 0xF2 S0 network enabled (1 byte, 0), 0xF3 S0 network key (16 bytes, not readable: the
//! firmware never hands it back), 0xFC configuration locked (1 byte, 0).

use std::collections::BTreeMap;

use sealhub_radios::zwave::serial::frame::FrameType;
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};

use super::ControllerConfig;

/// 0xF2: set an Aeotec configuration parameter.
pub const AEOTEC_CONFIG_SET: u8 = 0xF2;
/// 0xF3: read Aeotec configuration parameters.
pub const AEOTEC_CONFIG_GET: u8 = 0xF3;

/// The LED indicator parameter.
pub const PARAM_LED: u8 = 0x51;
/// The RF power level parameter (1–10).
pub const PARAM_RF_POWER: u8 = 0xDC;
/// Whether S0 is enabled on the stick's own network functions.
pub const PARAM_SECURITY_ENABLED: u8 = 0xF2;
/// The S0 network key: write-only.
pub const PARAM_SECURITY_KEY: u8 = 0xF3;
/// Configuration locked.
pub const PARAM_LOCKED: u8 = 0xFC;

/// Whether `config` is an identity zwave-js treats as an Aeotec Z-Stick Gen5(+).
pub fn is_aeotec_gen5(config: &ControllerConfig) -> bool {
    config.manufacturer_id == 0x0086
        && config.product_id == 0x005A
        && matches!(config.product_type, 0x0001 | 0x0101 | 0x0201)
}

/// The stick's Aeotec parameters and what it answered.
#[derive(Debug, Clone)]
pub struct AeotecConfig {
    values: BTreeMap<u8, Vec<u8>>,
    answered: usize,
}

impl Default for AeotecConfig {
    fn default() -> Self {
        let values = BTreeMap::from([
            (PARAM_LED, vec![1]),
            (PARAM_RF_POWER, vec![10]),
            (PARAM_SECURITY_ENABLED, vec![0]),
            (PARAM_LOCKED, vec![0]),
        ]);
        Self {
            values,
            answered: 0,
        }
    }
}

impl AeotecConfig {
    /// How many 0xF2/0xF3 requests were answered since the chip was made.
    pub fn answered(&self) -> usize {
        self.answered
    }

    /// A parameter's value, as 0xF3 would return it.
    pub fn value(&self, param: u8) -> Option<&[u8]> {
        self.values.get(&param).map(Vec::as_slice)
    }

    /// Answers 0xF2 or 0xF3; `None` for any other message.
    pub fn handle(&mut self, message: &HostMessage) -> Option<Vec<StickMessage>> {
        let HostMessage::Unknown { function, payload } = message else {
            return None;
        };
        let answer = match *function {
            AEOTEC_CONFIG_GET => self.get(payload),
            AEOTEC_CONFIG_SET => vec![u8::from(self.set(payload))],
            _ => return None,
        };
        self.answered += 1;
        Some(vec![StickMessage::Unknown {
            frame_type: FrameType::Response,
            function: *function,
            payload: answer,
        }])
    }

    fn get(&self, params: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for param in params {
            if *param == PARAM_SECURITY_KEY {
                continue;
            }
            if let Some(value) = self.values.get(param) {
                out.push(*param);
                // Values are at most 16 bytes (the key), so the size fits the byte.
                out.push(value.len() as u8);
                out.extend_from_slice(value);
            }
        }
        out
    }

    /// Applies a set; `false` when it is malformed, out of range or the configuration is locked
    /// (except unlocking itself).
    fn set(&mut self, payload: &[u8]) -> bool {
        let [param, flags, value @ ..] = payload else {
            return false;
        };
        let use_default = flags & 0x80 != 0;
        let size = usize::from(flags & 0x7F);
        if value.len() != size {
            return false;
        }
        let locked = self.values.get(&PARAM_LOCKED).is_some_and(|v| v == &[1]);
        if locked && *param != PARAM_LOCKED {
            return false;
        }
        let defaults = Self::default();
        let new = if use_default {
            match defaults.values.get(param) {
                Some(v) => v.clone(),
                None if *param == PARAM_SECURITY_KEY => {
                    self.values.remove(param);
                    return true;
                }
                None => return false,
            }
        } else {
            value.to_vec()
        };
        let valid = match *param {
            PARAM_LED | PARAM_SECURITY_ENABLED | PARAM_LOCKED => new.len() == 1 && new[0] <= 1,
            PARAM_RF_POWER => new.len() == 1 && (1..=10).contains(&new[0]),
            PARAM_SECURITY_KEY => new.len() == 16,
            _ => false,
        };
        if valid {
            self.values.insert(*param, new);
        }
        valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealhub_radios::zwave::serial::frame::DataFrame;

    fn get(c: &mut AeotecConfig, params: &[u8]) -> Vec<u8> {
        let Some(out) = c.handle(&HostMessage::Unknown {
            function: AEOTEC_CONFIG_GET,
            payload: params.to_vec(),
        }) else {
            panic!("0xF3 unanswered");
        };
        let [StickMessage::Unknown { payload, .. }] = &out[..] else {
            panic!("one response: {out:?}");
        };
        payload.clone()
    }

    fn set(c: &mut AeotecConfig, payload: &[u8]) -> u8 {
        let out = c
            .handle(&HostMessage::Unknown {
                function: AEOTEC_CONFIG_SET,
                payload: payload.to_vec(),
            })
            .expect("0xF2 answered");
        let [StickMessage::Unknown { payload, .. }] = &out[..] else {
            panic!("one response: {out:?}");
        };
        payload[0]
    }

    #[test]
    fn the_start_up_read_of_zwave_js_gets_each_parameter_with_its_size() {
        // zwave-js's interview asks for LED, RF power level and configuration lock at once.
        let mut c = AeotecConfig::default();
        assert_eq!(
            get(&mut c, &[PARAM_LED, PARAM_RF_POWER, PARAM_LOCKED]),
            [0x51, 1, 1, 0xDC, 1, 10, 0xFC, 1, 0]
        );
        assert_eq!(c.answered(), 1);
        // Unknown parameters and the write-only key are left out.
        assert_eq!(get(&mut c, &[0x01, PARAM_SECURITY_KEY]), [] as [u8; 0]);
    }

    #[test]
    fn the_response_frame_is_a_serial_api_response_to_0xf3() {
        let mut c = AeotecConfig::default();
        let out = c
            .handle(&HostMessage::Unknown {
                function: AEOTEC_CONFIG_GET,
                payload: vec![PARAM_LED],
            })
            .unwrap();
        let bytes = out[0].encode().unwrap().encode();
        // SOF, length 6, response, 0xF3, param 0x51, size 1, value 1, checksum (0xFF xor the
        // bytes from the length on).
        assert_eq!(bytes, [0x01, 0x06, 0x01, 0xF3, 0x51, 0x01, 0x01, 0x5A]);
        let back = DataFrame::decode(&bytes).unwrap();
        assert_eq!(
            (back.function(), back.payload()),
            (AEOTEC_CONFIG_GET, &[0x51, 1, 1][..])
        );
    }

    #[test]
    fn sets_are_checked_and_a_locked_configuration_refuses_them() {
        let mut c = AeotecConfig::default();
        assert_eq!(set(&mut c, &[PARAM_RF_POWER, 0x01, 5]), 1);
        assert_eq!(c.value(PARAM_RF_POWER), Some(&[5u8][..]));
        assert_eq!(set(&mut c, &[PARAM_RF_POWER, 0x01, 11]), 0, "out of range");
        assert_eq!(set(&mut c, &[PARAM_RF_POWER, 0x02, 5]), 0, "size mismatch");
        assert_eq!(set(&mut c, &[PARAM_RF_POWER, 0x80]), 1, "back to default");
        assert_eq!(c.value(PARAM_RF_POWER), Some(&[10u8][..]));
        assert_eq!(
            set(
                &mut c,
                &[
                    PARAM_SECURITY_KEY,
                    0x10,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7,
                    7
                ]
            ),
            1
        );
        assert_eq!(
            get(&mut c, &[PARAM_SECURITY_KEY]),
            [] as [u8; 0],
            "write-only"
        );
        assert_eq!(set(&mut c, &[PARAM_LOCKED, 0x01, 1]), 1);
        assert_eq!(set(&mut c, &[PARAM_LED, 0x01, 0]), 0, "locked");
        assert_eq!(
            set(&mut c, &[PARAM_LOCKED, 0x01, 0]),
            1,
            "unlocking is allowed"
        );
        assert_eq!(set(&mut c, &[PARAM_LED, 0x01, 0]), 1);
        assert_eq!(set(&mut c, &[]), 0);
    }

    #[test]
    fn only_a_chip_with_the_aeotec_ids_answers_them() {
        use crate::zwave_controller::controller::Controller;
        let request = HostMessage::Unknown {
            function: AEOTEC_CONFIG_GET,
            payload: vec![PARAM_LED],
        };
        let mut aeotec = Controller::new(ControllerConfig::default());
        assert!(is_aeotec_gen5(aeotec.config()));
        assert_eq!(aeotec.handle(&request).len(), 1);
        assert_eq!(aeotec.aeotec_config().answered(), 1);
        // Another maker's stick only ACKs an unknown function (the link layer does that).
        let mut other = Controller::new(ControllerConfig {
            manufacturer_id: 0x0000,
            ..ControllerConfig::default()
        });
        assert!(other.handle(&request).is_empty());
        assert_eq!(other.aeotec_config().answered(), 0);
    }
}
