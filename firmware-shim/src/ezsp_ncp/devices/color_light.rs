//! A dimmable colour bulb (Home Automation device 0x0102, extended colour light): the light's
//! On/Off and Level Control, and Color Control (ZCL §5.2) in three colour modes: hue and
//! saturation, CIE xy, and colour temperature. `ColorMode` follows the last command.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::light::{self, fixed_fields};
use super::{DeviceKind, SimulatedDevice};
use crate::ezsp_ncp::zcl_device::{CommandContext, Handled, ZclState, data_type, zcl_status};

/// The Color Control cluster.
pub const COLOR_CLUSTER: u16 = 0x0300;
/// `ColorTempPhysicalMinMireds`: 153 mireds, about 6500 K.
pub const MIN_MIREDS: u16 = 153;
/// `ColorTempPhysicalMaxMireds`: 500 mireds, 2000 K.
pub const MAX_MIREDS: u16 = 500;

/// Basic, Identify, Groups, Scenes, On/Off, Level Control, Color Control.
pub fn device(eui64: Eui64, node_id: u16, install_code: Option<InstallCode>) -> SimulatedDevice {
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::ColorLight,
        0x0102,
        vec![
            0x0000,
            0x0003,
            0x0004,
            0x0005,
            0x0006,
            0x0008,
            COLOR_CLUSTER,
        ],
        "SH-COLOR-1",
    );
    light::define_on_off(&mut d.zcl);
    light::define_level(&mut d.zcl);
    let z = &mut d.zcl;
    z.define(1, COLOR_CLUSTER, 0x0000, data_type::UINT8, 0, false); // CurrentHue
    z.define(1, COLOR_CLUSTER, 0x0001, data_type::UINT8, 0, false); // CurrentSaturation
    z.define(1, COLOR_CLUSTER, 0x0003, data_type::UINT16, 0x616B, false); // CurrentX
    z.define(1, COLOR_CLUSTER, 0x0004, data_type::UINT16, 0x607D, false); // CurrentY
    z.define(1, COLOR_CLUSTER, 0x0007, data_type::UINT16, 250, false); // ColorTemperatureMireds
    z.define(1, COLOR_CLUSTER, 0x0008, data_type::ENUM8, 2, false); // ColorMode
    z.define(1, COLOR_CLUSTER, 0x400A, data_type::BITMAP16, 0x0019, false); // ColorCapabilities
    let (min, max) = (i64::from(MIN_MIREDS), i64::from(MAX_MIREDS));
    z.define(1, COLOR_CLUSTER, 0x400B, data_type::UINT16, min, false);
    z.define(1, COLOR_CLUSTER, 0x400C, data_type::UINT16, max, false);
    d
}

/// Color Control commands; On/Off and Level Control as the light.
pub fn command(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    if context.cluster != COLOR_CLUSTER {
        return light::command(z, context, payload);
    }
    let mut set = |id: u16, value: i64| {
        z.set(1, COLOR_CLUSTER, id, value);
    };
    let (mode, ok) = match (context.command, payload) {
        // Move To Hue: hue, direction, transition time.
        (0x00, p) => match fixed_fields(p, 4) {
            Some([hue, direction, _, _]) if *direction <= 3 => {
                set(0x0000, i64::from((*hue).min(0xFE)));
                (0, true)
            }
            Some(_) => return Handled::Status(zcl_status::INVALID_FIELD),
            _ => (0, false),
        },
        // Move To Saturation: saturation, transition time.
        (0x03, p) => match fixed_fields(p, 3) {
            Some([saturation, _, _]) => {
                set(0x0001, i64::from((*saturation).min(0xFE)));
                (0, true)
            }
            _ => (0, false),
        },
        // Move To Hue And Saturation.
        (0x06, p) => match fixed_fields(p, 4) {
            Some([hue, saturation, _, _]) => {
                set(0x0000, i64::from((*hue).min(0xFE)));
                set(0x0001, i64::from((*saturation).min(0xFE)));
                (0, true)
            }
            _ => (0, false),
        },
        // Move To Color: x, y, transition time.
        (0x07, p) => match fixed_fields(p, 6) {
            Some([x0, x1, y0, y1, _, _]) => {
                set(0x0003, i64::from(u16::from_le_bytes([*x0, *x1])));
                set(0x0004, i64::from(u16::from_le_bytes([*y0, *y1])));
                (1, true)
            }
            _ => (1, false),
        },
        // Move To Color Temperature: mireds (kept within the physical range), transition.
        (0x0A, p) => match fixed_fields(p, 4) {
            Some([m0, m1, _, _]) => {
                let mireds = u16::from_le_bytes([*m0, *m1]).clamp(MIN_MIREDS, MAX_MIREDS);
                set(0x0007, i64::from(mireds));
                (2, true)
            }
            _ => (2, false),
        },
        _ => return Handled::Status(zcl_status::UNSUP_COMMAND),
    };
    if !ok {
        return Handled::Status(zcl_status::MALFORMED_COMMAND);
    }
    z.set(1, COLOR_CLUSTER, 0x0008, mode);
    Handled::Status(zcl_status::SUCCESS)
}
