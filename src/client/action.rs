//! What a person types after `sealhub client send <device>`, read into a device-model
//! [`Action`]: `on`, `off`, `toggle`, `refresh`, `lock`, `unlock` (also `lock lock`,
//! `lock unlock`), `level 50` (percent, up to two decimals), `color-temp 370` (mireds),
//! `color xy 0.3 0.32`, `color hs 120 50` (degrees, percent), `mode heat`, `setpoint heat
//! 21.5` (°C), `user-code set 3 1234`, `user-code clear 3`. Numbers become the model's fixed
//! units exactly, without floating point.

use crate::model::{Action, ThermostatMode};

/// Why the words are not an action; the text says what would be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ActionError(String);

fn err<T>(text: impl Into<String>) -> Result<T, ActionError> {
    Err(ActionError(text.into()))
}

/// Reads `text` (such as `21.5`, `-3`, `0.25`) as hundredths: at most two decimals.
pub fn hundredths(text: &str) -> Result<i64, ActionError> {
    let bad = || {
        ActionError(format!(
            "{text:?} is not a number with at most two decimals"
        ))
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || whole.len() > 12
        || fraction.len() > 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let mut frac: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| bad())?
    };
    if fraction.len() == 1 {
        frac *= 10;
    }
    let value = whole * 100 + frac;
    Ok(if negative { -value } else { value })
}

fn in_range<T: TryFrom<i64>>(value: i64, lo: i64, hi: i64, what: &str) -> Result<T, ActionError> {
    if value < lo || value > hi {
        return err(format!("{what} is out of range"));
    }
    T::try_from(value).map_err(|_| ActionError(format!("{what} is out of range")))
}

fn whole<T: TryFrom<i64>>(text: &str, lo: i64, hi: i64, what: &str) -> Result<T, ActionError> {
    let value: i64 = text
        .parse()
        .map_err(|_| ActionError(format!("{what}: {text:?} is not a whole number")))?;
    in_range(value, lo, hi, what)
}

/// A fraction 0..=1 in 1/65536 (CIE x or y).
fn unit_fraction(text: &str) -> Result<u16, ActionError> {
    let h: i64 = in_range(hundredths(text)?, 0, 100, "a colour coordinate (0 to 1)")?;
    // 1.0 is the largest value, 65535/65536.
    in_range(
        (h * 65536 / 100).min(65535),
        0,
        65535,
        "a colour coordinate (0 to 1)",
    )
}

fn mode(text: &str) -> Result<ThermostatMode, ActionError> {
    Ok(match text {
        "off" => ThermostatMode::Off,
        "heat" => ThermostatMode::Heat,
        "cool" => ThermostatMode::Cool,
        "auto" => ThermostatMode::Auto,
        "fan-only" => ThermostatMode::FanOnly,
        "dry" => ThermostatMode::Dry,
        "emergency-heat" => ThermostatMode::EmergencyHeat,
        other => {
            return err(format!(
                "unknown mode {other:?}: off, heat, cool, auto, fan-only, dry or emergency-heat"
            ));
        }
    })
}

const USAGE: &str = "actions: on, off, toggle, refresh, lock, unlock, level <percent>, \
    color-temp <mireds>, color xy <x> <y>, color hs <degrees> <percent>, mode <mode>, \
    setpoint heat|cool <°C>, user-code set <slot> <digits>, user-code clear <slot>";

/// Reads the words after the device id into an action.
pub fn parse_action(words: &[&str]) -> Result<Action, ActionError> {
    let action = match words {
        ["on"] => Action::TurnOn,
        ["off"] => Action::TurnOff,
        ["toggle"] => Action::Toggle,
        ["refresh"] => Action::Refresh,
        ["lock"] | ["lock", "lock"] => Action::Lock,
        ["unlock"] | ["lock", "unlock"] => Action::Unlock,
        ["level", percent] => Action::SetLevel {
            level: in_range(hundredths(percent)?, 0, 10000, "a level (0 to 100 %)")?,
            transition: None,
        },
        ["color-temp", mireds] => {
            Action::SetColorTemperature(whole(mireds, 0, 65535, "a colour temperature")?)
        }
        ["color", "xy", x, y] => Action::SetColorXy {
            x: unit_fraction(x)?,
            y: unit_fraction(y)?,
        },
        ["color", "hs", hue, saturation] => Action::SetColorHs {
            hue: in_range(hundredths(hue)?, 0, 35999, "a hue (0 to 359.99°)")?,
            saturation: in_range(
                hundredths(saturation)?,
                0,
                10000,
                "a saturation (0 to 100 %)",
            )?,
        },
        ["mode", m] => Action::SetThermostatMode(mode(m)?),
        ["setpoint", "heat", c] => Action::SetHeatingSetpoint(in_range(
            hundredths(c)?,
            -27315,
            i64::from(i32::MAX),
            "a temperature",
        )?),
        ["setpoint", "cool", c] => Action::SetCoolingSetpoint(in_range(
            hundredths(c)?,
            -27315,
            i64::from(i32::MAX),
            "a temperature",
        )?),
        ["user-code", "set", slot, code] => {
            if !(4..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
                return err("a user code has 4 to 10 digits");
            }
            Action::SetUserCode {
                slot: whole(slot, 1, 65535, "a slot")?,
                code: (*code).to_owned(),
            }
        }
        ["user-code", "clear", slot] => Action::ClearUserCode {
            slot: whole(slot, 1, 65535, "a slot")?,
        },
        [] => return err(format!("no action given; {USAGE}")),
        other => return err(format!("{:?} is not an action; {USAGE}", other.join(" "))),
    };
    Ok(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Action, ActionError> {
        parse_action(&text.split_whitespace().collect::<Vec<_>>())
    }

    #[test]
    fn the_documented_actions_read_into_the_model() {
        assert_eq!(parse("on"), Ok(Action::TurnOn));
        assert_eq!(parse("off"), Ok(Action::TurnOff));
        assert_eq!(parse("lock unlock"), Ok(Action::Unlock));
        assert_eq!(parse("lock"), Ok(Action::Lock));
        assert_eq!(
            parse("level 50"),
            Ok(Action::SetLevel {
                level: 5000,
                transition: None
            })
        );
        assert_eq!(
            parse("level 25.5"),
            Ok(Action::SetLevel {
                level: 2550,
                transition: None
            })
        );
        assert_eq!(
            parse("setpoint heat 21.5"),
            Ok(Action::SetHeatingSetpoint(2150))
        );
        assert_eq!(
            parse("setpoint cool -1.05"),
            Ok(Action::SetCoolingSetpoint(-105))
        );
        assert_eq!(
            parse("mode fan-only"),
            Ok(Action::SetThermostatMode(ThermostatMode::FanOnly))
        );
        assert_eq!(
            parse("color-temp 370"),
            Ok(Action::SetColorTemperature(370))
        );
        assert_eq!(
            parse("color xy 0.5 1"),
            Ok(Action::SetColorXy { x: 32768, y: 65535 })
        );
        assert_eq!(
            parse("color hs 120 50"),
            Ok(Action::SetColorHs {
                hue: 12000,
                saturation: 5000
            })
        );
        assert_eq!(
            parse("user-code set 3 1234"),
            Ok(Action::SetUserCode {
                slot: 3,
                code: "1234".into()
            })
        );
        assert_eq!(
            parse("user-code clear 3"),
            Ok(Action::ClearUserCode { slot: 3 })
        );
    }

    #[test]
    fn out_of_range_and_unknown_words_are_refused() {
        for bad in [
            "",
            "dance",
            "on now",
            "level 101",
            "level -1",
            "level 50.555",
            "level 5e1",
            "level .5",
            "setpoint heat -274",
            "setpoint warm 20",
            "mode turbo",
            "color-temp 70000",
            "color xy 1.5 0",
            "color hs 360 50",
            "user-code set 0 1234",
            "user-code set 1 12",
            "user-code set 1 12a4",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn hundredths_are_exact() {
        assert_eq!(hundredths("0"), Ok(0));
        assert_eq!(hundredths("21.5"), Ok(2150));
        assert_eq!(hundredths("21.05"), Ok(2105));
        assert_eq!(hundredths("-0.01"), Ok(-1));
        assert!(hundredths("1.").is_ok());
        assert!(hundredths("--1").is_err());
        assert!(hundredths("+1").is_err());
    }
}
