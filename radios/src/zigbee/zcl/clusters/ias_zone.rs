//! IAS Zone (0x0500): contact, motion, water and smoke sensors. The hub is the CIE: it writes its
//! address into the zone, answers the zone's enrol request, and receives status changes.

use deku::prelude::*;

use super::{Trailing, attribute, cluster_commands};
use crate::zigbee::zdo::wire::deku_bitflags;

/// Cluster ID.
pub const CLUSTER_ID: u16 = 0x0500;

attribute!(
    /// 0 not enrolled, 1 enrolled.
    ZONE_STATE = 0x0000, ENUM8, "ZoneState");
attribute!(
    /// 0x000D motion, 0x0015 contact, 0x002A water, 0x0028 fire, ...
    ZONE_TYPE = 0x0001, ENUM16, "ZoneType");
attribute!(
    /// [`ZoneStatus`] bits.
    ZONE_STATUS = 0x0002, BITMAP16, "ZoneStatus");
attribute!(
    /// The CIE's IEEE address (the hub writes its own).
    IAS_CIE_ADDRESS = 0x0010, IEEE_ADDRESS, "IAS_CIE_Address");
attribute!(
    /// Zone ID the CIE assigned.
    ZONE_ID = 0x0011, UINT8, "ZoneID");

bitflags::bitflags! {
    /// Zone status bits (ZCL §8.2.2.2.1.3): what the sensor is reporting.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ZoneStatus: u16 {
        /// Alarm 1 (opened, motion, ...).
        const ALARM1 = 1 << 0;
        /// Alarm 2.
        const ALARM2 = 1 << 1;
        /// Tampered.
        const TAMPER = 1 << 2;
        /// Battery low.
        const BATTERY = 1 << 3;
        /// Sends periodic supervision reports.
        const SUPERVISION_REPORTS = 1 << 4;
        /// Reports restoration from alarm.
        const RESTORE_REPORTS = 1 << 5;
        /// Trouble or failure.
        const TROUBLE = 1 << 6;
        /// AC mains fault.
        const AC_MAINS = 1 << 7;
        /// In test mode.
        const TEST = 1 << 8;
        /// Battery defect.
        const BATTERY_DEFECT = 1 << 9;
    }
}
deku_bitflags!(ZoneStatus, u16);

/// Zone ID and delay, appended in ZCL 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, DekuRead, DekuWrite)]
#[deku(
    endian = "endian",
    ctx = "endian: deku::ctx::Endian",
    ctx_default = "deku::ctx::Endian::Little"
)]
pub struct ZoneIdAndDelay {
    /// Zone ID.
    pub zone_id: u8,
    /// Quarter-seconds between the change and this notification.
    pub delay: u16,
}

/// Zone Status Change Notification (0x00, zone → CIE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ZoneStatusChangeNotification {
    /// New status.
    pub zone_status: ZoneStatus,
    /// Extended status (reserved, 0).
    pub extended_status: u8,
    /// Zone ID and delay (ZCL 6+).
    pub tail: Trailing<ZoneIdAndDelay>,
}

/// Zone Enroll Request (0x01, zone → CIE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ZoneEnrollRequest {
    /// Zone type.
    pub zone_type: u16,
    /// Manufacturer code.
    pub manufacturer_code: u16,
}

/// Zone Enroll Response (0x00, CIE → zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DekuRead, DekuWrite)]
#[deku(endian = "little")]
pub struct ZoneEnrollResponse {
    /// 0 success, 1 not supported, 2 no enroll permit, 3 too many zones.
    pub code: u8,
    /// Zone ID assigned.
    pub zone_id: u8,
}

cluster_commands!(CLUSTER_ID,
    /// IAS Zone commands, CIE (hub) → zone.
    ToServer {
        /// Zone Enroll Response.
        ZoneEnrollResponse(ZoneEnrollResponse) = 0x00,
    }
);

cluster_commands!(CLUSTER_ID,
    /// IAS Zone commands, zone → CIE (hub).
    ToClient {
        /// Zone Status Change Notification.
        ZoneStatusChangeNotification(ZoneStatusChangeNotification) = 0x00,
        /// Zone Enroll Request.
        ZoneEnrollRequest(ZoneEnrollRequest) = 0x01,
    }
);
