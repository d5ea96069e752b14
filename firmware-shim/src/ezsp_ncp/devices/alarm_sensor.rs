//! A battery alarm sensor on an IAS zone (Home Automation device 0x0402): a smoke alarm (zone
//! type fire sensor), a water leak sensor or a carbon monoxide alarm, with Power
//! Configuration. The alarm is alarm 1 of its zone ([`super::ias_zone`]); like the contact
//! sensor it can also say it was tampered with.

use sealhub_radios::zigbee::ezsp::types::Eui64;
use sealhub_radios::zigbee::security::InstallCode;

use super::ias_zone::{
    self, IAS_ZONE_CLUSTER, ZONE_TYPE_CARBON_MONOXIDE, ZONE_TYPE_FIRE, ZONE_TYPE_WATER,
};
use super::{DeviceKind, SimulatedDevice};

/// What an alarm sensor senses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensing {
    /// Smoke (zone type fire sensor); model `SH-SMOKE-1`.
    Smoke,
    /// A water leak; model `SH-WATER-1`.
    Water,
    /// Carbon monoxide; model `SH-CO-1`.
    CarbonMonoxide,
}

/// Basic, Power Configuration, Identify, IAS Zone; quiet.
pub fn device(
    eui64: Eui64,
    node_id: u16,
    install_code: Option<InstallCode>,
    sensing: Sensing,
) -> SimulatedDevice {
    let (zone_type, model) = match sensing {
        Sensing::Smoke => (ZONE_TYPE_FIRE, "SH-SMOKE-1"),
        Sensing::Water => (ZONE_TYPE_WATER, "SH-WATER-1"),
        Sensing::CarbonMonoxide => (ZONE_TYPE_CARBON_MONOXIDE, "SH-CO-1"),
    };
    let mut d = SimulatedDevice::base(
        eui64,
        node_id,
        install_code,
        DeviceKind::AlarmSensor,
        0x0402,
        vec![0x0000, 0x0001, 0x0003, IAS_ZONE_CLUSTER],
        model,
    );
    ias_zone::define(&mut d.zcl, zone_type);
    d
}
