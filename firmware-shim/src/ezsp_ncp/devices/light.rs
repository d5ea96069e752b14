//! A mains-powered dimmable light (Home Automation device 0x0100): On/Off (ZCL §3.8) and Level
//! Control (§3.10). Commands take effect at once (no transitions); the colour bulb
//! ([`super::color_light`]) and the plug ([`super::plug`]) reuse its On/Off.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::{DeviceKind, SimulatedDevice};
use crate::ezsp_ncp::zcl_device::{
    CommandContext, Handled, LEVEL_CLUSTER, ON_OFF_CLUSTER, ZclState, data_type, zcl_status,
};

/// Basic, Identify, Groups, Scenes, On/Off, Level Control.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::Light,
        0x0100,
        vec![0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008],
        "SH-LIGHT-1",
    );
    define_on_off(&mut d.zcl);
    define_level(&mut d.zcl);
    d
}

/// `OnOff` (bool), off.
pub fn define_on_off(z: &mut ZclState) {
    z.define(1, ON_OFF_CLUSTER, 0x0000, data_type::BOOL, 0, false);
}

/// `CurrentLevel` (uint8), 0.
pub fn define_level(z: &mut ZclState) {
    z.define(1, LEVEL_CLUSTER, 0x0000, data_type::UINT8, 0, false);
}

/// On/Off and Level Control commands.
pub fn command(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    match context.cluster {
        ON_OFF_CLUSTER => on_off(z, context.command, payload),
        LEVEL_CLUSTER => level(z, context.command, payload),
        _ => Handled::Status(zcl_status::UNSUP_COMMAND),
    }
}

/// Off (0x00), On (0x01), Toggle (0x02); anything else UNSUP_COMMAND.
pub fn on_off(z: &mut ZclState, command: u8, payload: &[u8]) -> Handled {
    let status = match command {
        0x00..=0x02 if !payload.is_empty() => zcl_status::MALFORMED_COMMAND,
        0x00 => set_on(z, false),
        0x01 => set_on(z, true),
        0x02 => set_on(z, !z.on()),
        _ => zcl_status::UNSUP_COMMAND,
    };
    Handled::Status(status)
}

fn set_on(z: &mut ZclState, on: bool) -> u8 {
    z.set(1, ON_OFF_CLUSTER, 0x0000, i64::from(on));
    zcl_status::SUCCESS
}

/// The fixed fields of a Level or Color command, with or without the ZCL 6 options mask and
/// override appended; `None` for any other length.
pub fn fixed_fields(payload: &[u8], len: usize) -> Option<&[u8]> {
    (payload.len() == len || payload.len() == len + 2).then(|| &payload[..len])
}

/// Move To Level (0x00), Move To Level With On/Off (0x04), Stop (0x03, 0x07).
fn level(z: &mut ZclState, command: u8, payload: &[u8]) -> Handled {
    let status = match command {
        0x00 | 0x04 => match fixed_fields(payload, 3) {
            Some([level, _, _]) => {
                let level = (*level).min(0xFE);
                z.set(1, LEVEL_CLUSTER, 0x0000, i64::from(level));
                if command == 0x04 {
                    set_on(z, level > 1);
                }
                zcl_status::SUCCESS
            }
            _ => zcl_status::MALFORMED_COMMAND,
        },
        0x03 | 0x07 => match fixed_fields(payload, 0) {
            Some(_) => zcl_status::SUCCESS,
            None => zcl_status::MALFORMED_COMMAND,
        },
        _ => zcl_status::UNSUP_COMMAND,
    };
    Handled::Status(status)
}
