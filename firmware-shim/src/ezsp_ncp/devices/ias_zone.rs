//! The IAS Zone server (ZCL §8.2) the motion and contact sensors share, with the enrolment a
//! CIE (the hub) runs (the "trip-to-pair" flow, §8.2.2.2.3): the hub writes its IEEE address
//! into `IAS_CIE_Address`; the zone answers with a Zone Enroll Request (its zone type and
//! manufacturer code); the hub's Zone Enroll Response (code 0 with a zone ID) enrols it; from
//! then on every change of `ZoneStatus` is sent as a Zone Status Change Notification. A zone
//! that is not enrolled keeps its status to itself.

use super::POWER_CONFIGURATION_CLUSTER;
use crate::ezsp_ncp::zcl_device::{CommandContext, Handled, ZclState, data_type, zcl_status};

/// The IAS Zone cluster.
pub const IAS_ZONE_CLUSTER: u16 = 0x0500;
/// `ZoneState`: 0 not enrolled, 1 enrolled.
pub const ZONE_STATE: u16 = 0x0000;
/// `ZoneType`.
pub const ZONE_TYPE: u16 = 0x0001;
/// `ZoneStatus`: bit 0 alarm 1.
pub const ZONE_STATUS: u16 = 0x0002;
/// `IAS_CIE_Address`.
pub const IAS_CIE_ADDRESS: u16 = 0x0010;
/// `ZoneID`.
pub const ZONE_ID: u16 = 0x0011;
/// `ZoneType` of a motion sensor.
pub const ZONE_TYPE_MOTION: i64 = 0x000D;
/// `ZoneType` of a contact switch.
pub const ZONE_TYPE_CONTACT: i64 = 0x0015;
/// `ZoneType` of a fire (smoke) sensor.
pub const ZONE_TYPE_FIRE: i64 = 0x0028;
/// `ZoneType` of a water sensor.
pub const ZONE_TYPE_WATER: i64 = 0x002A;
/// `ZoneType` of a carbon monoxide sensor.
pub const ZONE_TYPE_CARBON_MONOXIDE: i64 = 0x002B;
/// `ZoneStatus` bit 0: alarm 1.
const ALARM_1: i64 = 1 << 0;
/// `ZoneStatus` bit 2: tamper (the case was opened or the device taken off its mount).
const TAMPER: i64 = 1 << 2;

/// The IAS Zone attributes on endpoint 1, not enrolled.
pub fn define(z: &mut ZclState, zone_type: i64) {
    use data_type::*;
    z.define(1, IAS_ZONE_CLUSTER, ZONE_STATE, ENUM8, 0, false);
    z.define(1, IAS_ZONE_CLUSTER, ZONE_TYPE, ENUM16, zone_type, false);
    z.define(1, IAS_ZONE_CLUSTER, ZONE_STATUS, BITMAP16, 0, false);
    z.define(1, IAS_ZONE_CLUSTER, IAS_CIE_ADDRESS, IEEE_ADDRESS, 0, true);
    z.define(1, IAS_ZONE_CLUSTER, ZONE_ID, UINT8, 0xFF, false);
}

/// Zone Enroll Response (0x00): enroll response code, zone ID.
pub fn command(z: &mut ZclState, context: &CommandContext, payload: &[u8]) -> Handled {
    if context.cluster == POWER_CONFIGURATION_CLUSTER {
        return Handled::Status(zcl_status::UNSUP_COMMAND);
    }
    if context.cluster != IAS_ZONE_CLUSTER || context.command != 0x00 {
        return Handled::Status(zcl_status::UNSUP_COMMAND);
    }
    let [code, zone_id] = payload else {
        return Handled::Status(zcl_status::MALFORMED_COMMAND);
    };
    if *code == 0x00 {
        z.set(1, IAS_ZONE_CLUSTER, ZONE_STATE, 1);
        z.set(1, IAS_ZONE_CLUSTER, ZONE_ID, i64::from(*zone_id));
    }
    Handled::Status(zcl_status::SUCCESS)
}

/// After the CIE wrote its address: send the Zone Enroll Request (0x01): zone type,
/// manufacturer code.
pub fn after_write(z: &mut ZclState, context: &CommandContext, id: u16) {
    if context.cluster != IAS_ZONE_CLUSTER || id != IAS_CIE_ADDRESS {
        return;
    }
    let zone_type = u16::try_from(z.get(1, IAS_ZONE_CLUSTER, ZONE_TYPE).unwrap_or(0)).unwrap_or(0);
    let mut request = zone_type.to_le_bytes().to_vec();
    request.extend(context.manufacturer_code.to_le_bytes());
    z.send_command(1, IAS_ZONE_CLUSTER, 0x01, &request);
}

/// Alarm 1 of `ZoneStatus` goes up or down; an enrolled zone sends a Zone Status Change
/// Notification (0x00): zone status, extended status, zone ID, delay.
pub fn set_alarm(z: &mut ZclState, endpoint: u8, alarm: bool) {
    set_status_bit(z, endpoint, ALARM_1, alarm);
}

/// The tamper bit of `ZoneStatus` goes up or down, notified as [`set_alarm`] is.
pub fn set_tamper(z: &mut ZclState, endpoint: u8, tampered: bool) {
    set_status_bit(z, endpoint, TAMPER, tampered);
}

fn set_status_bit(z: &mut ZclState, endpoint: u8, bit: i64, on: bool) {
    let status = z.get(endpoint, IAS_ZONE_CLUSTER, ZONE_STATUS).unwrap_or(0) & !bit;
    let status = if on { status | bit } else { status };
    z.set(endpoint, IAS_ZONE_CLUSTER, ZONE_STATUS, status);
    if z.get(endpoint, IAS_ZONE_CLUSTER, ZONE_STATE) != Some(1) {
        return;
    }
    let zone_id =
        u8::try_from(z.get(endpoint, IAS_ZONE_CLUSTER, ZONE_ID).unwrap_or(0xFF)).unwrap_or(0xFF);
    let mut notification = u16::try_from(status).unwrap_or(0).to_le_bytes().to_vec();
    notification.extend([0x00, zone_id, 0x00, 0x00]);
    z.send_command(endpoint, IAS_ZONE_CLUSTER, 0x00, &notification);
}
