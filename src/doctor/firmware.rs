//! The sticks' firmware against what sealhub's drivers speak, and which firmware to flash when
//! it is not. Pure: the binary asks the stick (EZSP negotiation, the Z-Wave Serial API's
//! version and capabilities) and hands the answer here; each answer becomes one [`Finding`].
//!
//! - Zigbee: the driver negotiates EZSP protocols
//!   [`SUPPORTED_PROTOCOLS`](sealhub_radios::zigbee::ezsp::version::SUPPORTED_PROTOCOLS)
//!   (13 to 19; zigbee-herdsman's ember adapter has the same minimum, 13). Older or newer
//!   EmberZNet firmware is refused at start.
//! - Z-Wave: the driver is written and tested against the Serial API of the 700/800-series SDK
//!   (7.x); a 500-series stick (SDK 6.x and older) is not supported. SDK 7.19.0 up to 7.21.4
//!   (700 series) and 7.22.0 (800 series) have the controller lock-up bug Silicon Labs lists as
//!   issue 1227385 (Z-Wave JS's firmware notes recommend 7.18.x, or 7.21.5+ / 7.22.1+): a
//!   warning, since the hub works until the stick jams.

use std::fmt;
use std::ops::RangeInclusive;

use super::{Finding, Status};

/// The EZSP protocol versions the Zigbee driver speaks.
pub const EZSP_PROTOCOLS: RangeInclusive<u8> =
    sealhub_radios::zigbee::ezsp::version::SUPPORTED_PROTOCOLS;

/// The oldest Z-Wave SDK whose Serial API the driver supports (700 series).
pub const ZWAVE_MIN_SDK: (u32, u32, u32) = (7, 0, 0);
/// SDK versions with the controller lock-up bug (issue 1227385) on every series, from..=to.
const ZWAVE_LOCKUP: RangeInclusive<(u32, u32, u32)> = (7, 19, 0)..=(7, 21, 4);
/// SDK versions where it is fixed for 700-series sticks but not for 800-series ones.
const ZWAVE_LOCKUP_800: RangeInclusive<(u32, u32, u32)> = (7, 21, 5)..=(7, 22, 0);

/// What a Zigbee stick answered to EZSP version negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EzspAnswer {
    /// It speaks a protocol the driver accepts.
    Negotiated {
        /// The EZSP protocol.
        protocol: u8,
        /// EmberZNet version, a nibble per digit (0x7450 = 7.4.5.0).
        stack_version: u16,
    },
    /// It answered with a protocol the driver does not speak.
    Unsupported {
        /// The protocol it speaks.
        protocol: u8,
    },
}

/// What a Z-Wave controller said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZwaveAnswer {
    /// The SDK version from GetControllerVersion ("7.18" of "Z-Wave 7.18").
    pub sdk_version: String,
    /// The Serial API application version (GetSerialApiCapabilities).
    pub firmware_version: (u8, u8),
    /// Manufacturer, product type and product id.
    pub ids: (u16, u16, u16),
}

struct EmberZnet(u16);

impl fmt::Display for EmberZnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(
            f,
            "EmberZNet {}.{}.{}.{}",
            v >> 12,
            (v >> 8) & 0xF,
            (v >> 4) & 0xF,
            v & 0xF
        )
    }
}

/// The finding for a Zigbee stick's answer.
pub fn ezsp(subject: &str, answer: &EzspAnswer) -> Finding {
    let (lo, hi) = (EZSP_PROTOCOLS.start(), EZSP_PROTOCOLS.end());
    match *answer {
        EzspAnswer::Negotiated {
            protocol,
            stack_version,
        } if EZSP_PROTOCOLS.contains(&protocol) => Finding::new(
            Status::Ok,
            subject,
            format!(
                "{} speaks EZSP {protocol} (the driver speaks {lo} to {hi})",
                EmberZnet(stack_version)
            ),
        ),
        EzspAnswer::Negotiated { protocol, .. } | EzspAnswer::Unsupported { protocol } => {
            let (what, fix) = if protocol < *lo {
                (
                    "older than",
                    format!(
                        "flash an EmberZNet NCP firmware that speaks EZSP {lo} to {hi} (the 7.4 \
                         line or newer) from the stick's vendor, e.g. with universal-silabs-flasher"
                    ),
                )
            } else {
                (
                    "newer than",
                    format!(
                        "update sealhub, or flash an EmberZNet NCP firmware that speaks EZSP \
                         {lo} to {hi} from the stick's vendor"
                    ),
                )
            };
            Finding::new(
                Status::Fail,
                subject,
                format!(
                    "the firmware speaks EZSP {protocol}, {what} the driver speaks ({lo} to {hi}): \
                     the Zigbee radio will not start"
                ),
            )
            .fix(fix)
        }
    }
}

/// Reads "7.18" or "7.19.1" into numbers; missing parts are 0.
fn parse_sdk(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// The finding for a Z-Wave controller's answer.
pub fn zwave(subject: &str, answer: &ZwaveAnswer) -> Finding {
    let (fw_major, fw_minor) = answer.firmware_version;
    let (m, t, p) = answer.ids;
    let about = format!(
        "Z-Wave SDK {}, Serial API firmware {fw_major}.{fw_minor}, ids {m:04x}:{t:04x}:{p:04x}",
        answer.sdk_version
    );
    let Some(sdk) = parse_sdk(&answer.sdk_version) else {
        return Finding::new(
            Status::Warn,
            subject,
            format!("{about}: the SDK version is not one sealhub can read"),
        )
        .fix("check the stick's firmware with its vendor's tool");
    };
    if sdk < ZWAVE_MIN_SDK {
        return Finding::new(
            Status::Fail,
            subject,
            format!(
                "{about}: a 500-series (or older) controller; the driver supports the Serial \
                 API of SDK 7.x (700/800 series) only"
            ),
        )
        .fix(
            "use a 700/800-series stick (Zooz ZST39, Aeotec Z-Stick 7, Silicon Labs UZB-7 and \
             others; a 500-series chip cannot be flashed to SDK 7)",
        );
    }
    if ZWAVE_LOCKUP_800.contains(&sdk) {
        return Finding::new(
            Status::Warn,
            subject,
            format!(
                "{about}: fine on a 700-series stick, but on an 800-series one this SDK can lock                  up (Silicon Labs issue 1227385)"
            ),
        )
        .fix("if this is an 800-series stick, flash the vendor's firmware on SDK 7.22.1 or newer");
    }
    if ZWAVE_LOCKUP.contains(&sdk) {
        return Finding::new(
            Status::Warn,
            subject,
            format!(
                "{about}: SDK 7.19.0 to 7.21.4 (700 series) and 7.22.0 (800 series) can lock up \
                 (no ACKs, garbled data; Silicon Labs issue 1227385)"
            ),
        )
        .fix(
            "flash the vendor's firmware on SDK 7.21.5 or newer (700 series) or 7.22.1 or newer \
             (800 series); downgrading to 7.18.x is usually refused by the bootloader",
        );
    }
    Finding::new(
        Status::Ok,
        subject,
        format!("{about} (the driver supports SDK 7.x)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zw(sdk: &str) -> Finding {
        zwave(
            "firmware /dev/ttyACM0",
            &ZwaveAnswer {
                sdk_version: sdk.into(),
                firmware_version: (7, 18),
                ids: (0x0086, 0x0001, 0x005a),
            },
        )
    }

    #[test]
    fn ezsp_in_the_drivers_range_passes_and_outside_fails_with_what_to_flash() {
        let ok = ezsp(
            "firmware /dev/ttyUSB0",
            &EzspAnswer::Negotiated {
                protocol: 14,
                stack_version: 0x7450,
            },
        );
        assert_eq!(ok.status, Status::Ok);
        assert_eq!(
            ok.to_string(),
            "ok   firmware /dev/ttyUSB0: EmberZNet 7.4.5.0 speaks EZSP 14 (the driver speaks 13 \
             to 19)"
        );
        let old = ezsp("z", &EzspAnswer::Unsupported { protocol: 12 });
        assert_eq!(old.status, Status::Fail);
        assert!(old.message.contains("EZSP 12, older than"), "{old}");
        assert!(
            old.fix
                .as_deref()
                .unwrap()
                .contains("flash an EmberZNet NCP firmware")
        );
        let new = ezsp("z", &EzspAnswer::Unsupported { protocol: 20 });
        assert_eq!(new.status, Status::Fail);
        assert!(new.fix.as_deref().unwrap().starts_with("update sealhub"));
    }

    #[test]
    fn zwave_sdk_7_passes_500_series_fails_and_the_lock_up_range_warns() {
        assert_eq!(zw("7.18").status, Status::Ok);
        assert_eq!(zw("7.18.8").status, Status::Ok);
        let fixed_for_700 = zw("7.21.5");
        assert_eq!(fixed_for_700.status, Status::Warn);
        assert!(
            fixed_for_700.message.contains("800-series"),
            "{fixed_for_700}"
        );
        assert_eq!(zw("7.22.1").status, Status::Ok);
        let old = zw("6.07");
        assert_eq!(old.status, Status::Fail);
        assert!(old.fix.as_deref().unwrap().contains("700/800-series stick"));
        for buggy in ["7.19", "7.19.1", "7.21.4"] {
            let f = zw(buggy);
            assert_eq!(f.status, Status::Warn, "{buggy}: {f}");
            assert!(f.fix.as_deref().unwrap().contains("7.21.5"), "{f}");
        }
        assert_eq!(zw("seven").status, Status::Warn);
    }
}
