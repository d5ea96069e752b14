//! Words a person understands for what went wrong: failed responses name the device and what
//! was being done to it ("the front door lock did not answer; it may be out of range").

use crate::model::{Action, Failure, RadioKind};

/// What doing `action` is called, to go before the device's name ("turning on the hall lamp").
pub fn doing(action: &Action) -> &'static str {
    match action {
        Action::TurnOn => "turning on",
        Action::TurnOff => "turning off",
        Action::Toggle => "switching",
        Action::SetLevel { .. } => "dimming",
        Action::SetColorXy { .. } | Action::SetColorHs { .. } | Action::SetColorTemperature(_) => {
            "changing the colour of"
        }
        Action::Lock => "locking",
        Action::Unlock => "unlocking",
        Action::SetUserCode { .. } => "storing a user code on",
        Action::ClearUserCode { .. } => "clearing a user code on",
        Action::SetThermostatMode(_) => "setting the mode of",
        Action::SetHeatingSetpoint(_) | Action::SetCoolingSetpoint(_) => {
            "setting the temperature of"
        }
        Action::Refresh => "reading",
    }
}

/// The radio's name in a sentence.
pub fn radio_name(radio: RadioKind) -> &'static str {
    match radio {
        RadioKind::Zigbee => "Zigbee",
        RadioKind::Zwave => "Z-Wave",
    }
}

/// The message of a failed radio request for `device` (its name), while `doing` it.
pub fn radio_failure(failure: Failure, device: &str, radio: RadioKind, doing: &str) -> String {
    match failure {
        Failure::Unreachable => {
            format!("the {device} did not answer; it may be out of range or without power")
        }
        Failure::Refused => format!("the {device} refused {doing} it"),
        Failure::RadioUnavailable => format!(
            "the {} stick is not available (unplugged or restarting), so the {device} could \
             not be reached",
            radio_name(radio)
        ),
        Failure::Interrupted => {
            format!("the hub restarted while {doing} the {device}; check the device")
        }
        Failure::InvalidValue => format!("the {device} cannot take that value"),
        Failure::Unsupported => format!("the {device} cannot do that"),
        Failure::Busy => format!("the {device} is busy; try again"),
        Failure::NotPermitted => format!("you may not do that to the {device}"),
        Failure::UnknownDevice => format!("the {device} is not in this home"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_device_and_what_was_being_done() {
        assert_eq!(
            radio_failure(
                Failure::Unreachable,
                "front door lock",
                RadioKind::Zwave,
                doing(&Action::Unlock)
            ),
            "the front door lock did not answer; it may be out of range or without power"
        );
        assert_eq!(
            radio_failure(
                Failure::Interrupted,
                "hall lamp",
                RadioKind::Zigbee,
                doing(&Action::TurnOn)
            ),
            "the hub restarted while turning on the hall lamp; check the device"
        );
        assert!(
            radio_failure(Failure::RadioUnavailable, "lamp", RadioKind::Zigbee, "x")
                .contains("Zigbee stick is not available")
        );
    }
}
