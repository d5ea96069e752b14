//! Color Control (0x0300): hue/saturation, CIE xy and colour temperature of lights.

use deku::prelude::*;

use super::level::Options;
use super::{Trailing, attribute, cluster_commands};

/// Cluster ID.
pub const CLUSTER_ID: u16 = 0x0300;

attribute!(
    /// Current hue, 0..=254.
    CURRENT_HUE = 0x0000, UINT8, "CurrentHue");
attribute!(
    /// Current saturation, 0..=254.
    CURRENT_SATURATION = 0x0001, UINT8, "CurrentSaturation");
attribute!(
    /// CIE x × 65536.
    CURRENT_X = 0x0003, UINT16, "CurrentX");
attribute!(
    /// CIE y × 65536.
    CURRENT_Y = 0x0004, UINT16, "CurrentY");
attribute!(
    /// Colour temperature in mireds.
    COLOR_TEMPERATURE_MIREDS = 0x0007, UINT16, "ColorTemperatureMireds");
attribute!(
    /// 0 hue/saturation, 1 xy, 2 colour temperature.
    COLOR_MODE = 0x0008, ENUM8, "ColorMode");
attribute!(
    /// Hue in 1/65536 of a turn (ZCL 6+ lights with enhanced hue).
    ENHANCED_CURRENT_HUE = 0x4000, UINT16, "EnhancedCurrentHue");
attribute!(
    /// Bits: 0 hue/saturation, 1 enhanced hue, 2 colour loop, 3 xy, 4 colour temperature.
    COLOR_CAPABILITIES = 0x400A, BITMAP16, "ColorCapabilities");

/// Move To Hue (0x00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MoveToHue {
    /// Target hue.
    pub hue: u8,
    /// 0 shortest, 1 longest, 2 up, 3 down.
    pub direction: u8,
    /// Tenths of a second.
    pub transition_time: u16,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

/// Move To Saturation (0x03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MoveToSaturation {
    /// Target saturation.
    pub saturation: u8,
    /// Tenths of a second.
    pub transition_time: u16,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

/// Move To Hue And Saturation (0x06).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MoveToHueAndSaturation {
    /// Target hue.
    pub hue: u8,
    /// Target saturation.
    pub saturation: u8,
    /// Tenths of a second.
    pub transition_time: u16,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

/// Move To Color (0x07): CIE xy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MoveToColor {
    /// CIE x × 65536.
    pub x: u16,
    /// CIE y × 65536.
    pub y: u16,
    /// Tenths of a second.
    pub transition_time: u16,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

/// Move To Color Temperature (0x0A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct MoveToColorTemperature {
    /// Target in mireds.
    pub mireds: u16,
    /// Tenths of a second.
    pub transition_time: u16,
    /// Options (ZCL 6+).
    pub options: Trailing<Options>,
}

cluster_commands!(CLUSTER_ID,
    /// Color Control commands, hub → light.
    ToServer {
        /// Move To Hue.
        MoveToHue(MoveToHue) = 0x00,
        /// Move To Saturation.
        MoveToSaturation(MoveToSaturation) = 0x03,
        /// Move To Hue And Saturation.
        MoveToHueAndSaturation(MoveToHueAndSaturation) = 0x06,
        /// Move To Color.
        MoveToColor(MoveToColor) = 0x07,
        /// Move To Color Temperature.
        MoveToColorTemperature(MoveToColorTemperature) = 0x0A,
    }
);
