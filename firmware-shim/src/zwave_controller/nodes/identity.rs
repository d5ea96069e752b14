//! What every simulated node says about itself when a host interviews it: Version (v2),
//! Manufacturer Specific (v1) and Z-Wave Plus Info (v2), for the command classes in its node
//! information frame. zwave-js asks all three during a node interview; a node that stays
//! silent costs a report timeout per question.

/// Manufacturer id in Manufacturer Specific Report: 0xFFFF, "not defined", so no real device
/// configuration file matches the simulated nodes.
pub const MANUFACTURER_ID: u16 = 0xFFFF;
/// Product type: "SH" (sealhub).
pub const PRODUCT_TYPE: u16 = 0x5348;

/// Product ids in Manufacturer Specific Report, one per kind of node, so that a host (and a
/// device definition) can tell the kinds apart: the low byte is the node's generic device
/// class, the high byte tells kinds of one class apart.
pub mod product_id {
    /// [`SimNode::binary_switch`](super::super::SimNode::binary_switch).
    pub const BINARY_SWITCH: u16 = 0x0010;
    /// The S0 siren ([`SecureDevice::Siren`](super::super::secure::SecureDevice::Siren)).
    pub const SIREN: u16 = 0x0110;
    /// [`SimNode::metering_plug`](super::super::SimNode::metering_plug).
    pub const METERING_PLUG: u16 = 0x0210;
    /// The S2 dimmer ([`SecureDevice::Dimmer`](super::super::secure::SecureDevice::Dimmer)).
    pub const DIMMER: u16 = 0x0011;
    /// [`SimNode::bulb`](super::super::SimNode::bulb).
    pub const BULB: u16 = 0x0111;
    /// [`SimNode::sleeping_sensor`](super::super::SimNode::sleeping_sensor).
    pub const SLEEPING_SENSOR: u16 = 0x0020;
    /// The S2 sensor ([`SecureDevice::Sensor`](super::super::secure::SecureDevice::Sensor)).
    pub const SECURE_SENSOR: u16 = 0x0120;
    /// The S2 door lock
    /// ([`SecureDevice::DoorLock`](super::super::secure::SecureDevice::DoorLock)).
    pub const DOOR_LOCK: u16 = 0x0040;
    /// [`SimNode::multisensor`](super::super::SimNode::multisensor).
    pub const MULTISENSOR: u16 = 0x0007;
    /// [`SimNode::thermostat`](super::super::SimNode::thermostat).
    pub const THERMOSTAT: u16 = 0x0008;
    /// [`SimNode::smoke_co_alarm`](super::super::SimNode::smoke_co_alarm).
    pub const SMOKE_CO_ALARM: u16 = 0x0050;
    /// [`SimNode::leak_detector`](super::super::SimNode::leak_detector).
    pub const LEAK_DETECTOR: u16 = 0x0051;
}

const VERSION: u8 = 0x86;
const VERSION_GET: u8 = 0x11;
const VERSION_REPORT: u8 = 0x12;
const VERSION_CC_GET: u8 = 0x13;
const VERSION_CC_REPORT: u8 = 0x14;
const MANUFACTURER_SPECIFIC: u8 = 0x72;
const MANUFACTURER_SPECIFIC_GET: u8 = 0x04;
const MANUFACTURER_SPECIFIC_REPORT: u8 = 0x05;
const ZWAVE_PLUS_INFO: u8 = 0x5E;
const ZWAVE_PLUS_INFO_GET: u8 = 0x01;
const ZWAVE_PLUS_INFO_REPORT: u8 = 0x02;
const WAKE_UP: u8 = 0x84;

/// The version the node implements of a command class, 0 if it does not support it.
fn cc_version(nif_ccs: &[u8], cc: u8) -> u8 {
    if !nif_ccs.contains(&cc) {
        return 0;
    }
    match cc {
        // Version v2: the report below; Z-Wave Plus Info v2; Wake Up v2.
        VERSION | ZWAVE_PLUS_INFO | WAKE_UP => 2,
        _ => 1,
    }
}

/// Answers an identity question from a node with this node information frame (basic,
/// generic, specific device class, then command classes) and [`product_id`]; `None` if
/// `payload` is not one or the node does not support the command class asked about.
pub fn answer(nif: &[u8], product_id: u16, payload: &[u8]) -> Option<Vec<u8>> {
    let ccs = nif.get(3..).unwrap_or_default();
    let sleeps = ccs.contains(&WAKE_UP);
    match payload {
        [VERSION, VERSION_GET] if ccs.contains(&VERSION) => Some(vec![
            VERSION,
            VERSION_REPORT,
            // Library type: enhanced 232 end node.
            0x03,
            // Protocol 7.18, firmware 0 version 1.0, hardware 1, no further targets.
            7,
            18,
            1,
            0,
            1,
            0,
        ]),
        [VERSION, VERSION_CC_GET, cc] if ccs.contains(&VERSION) => {
            Some(vec![VERSION, VERSION_CC_REPORT, *cc, cc_version(ccs, *cc)])
        }
        [MANUFACTURER_SPECIFIC, MANUFACTURER_SPECIFIC_GET]
            if ccs.contains(&MANUFACTURER_SPECIFIC) =>
        {
            let [m1, m2] = MANUFACTURER_ID.to_be_bytes();
            let [t1, t2] = PRODUCT_TYPE.to_be_bytes();
            let [p1, p2] = product_id.to_be_bytes();
            Some(vec![
                MANUFACTURER_SPECIFIC,
                MANUFACTURER_SPECIFIC_REPORT,
                m1,
                m2,
                t1,
                t2,
                p1,
                p2,
            ])
        }
        [ZWAVE_PLUS_INFO, ZWAVE_PLUS_INFO_GET] if ccs.contains(&ZWAVE_PLUS_INFO) => {
            // Role: always-on end node (0x05) or sleeping reporting end node (0x06); node type
            // Z-Wave Plus node; icons: on/off power switch 0x0700, or sensor 0x0C00.
            let (role, icon) = if sleeps {
                (0x06, 0x0C00u16)
            } else {
                (0x05, 0x0700u16)
            };
            let [i1, i2] = icon.to_be_bytes();
            Some(vec![
                ZWAVE_PLUS_INFO,
                ZWAVE_PLUS_INFO_REPORT,
                0x02,
                role,
                0x00,
                i1,
                i2,
                i1,
                i2,
            ])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zwave_controller::nodes::SimNode;

    #[test]
    fn the_switch_describes_itself() {
        let mut node = SimNode::binary_switch();
        assert_eq!(
            node.receive(&[0x86, 0x13, 0x25]),
            vec![vec![0x86, 0x14, 0x25, 1]]
        );
        // Not in its NIF.
        assert_eq!(
            node.receive(&[0x86, 0x13, 0x26]),
            vec![vec![0x86, 0x14, 0x26, 0]]
        );
        assert_eq!(
            node.receive(&[0x72, 0x04]),
            vec![vec![0x72, 0x05, 0xFF, 0xFF, 0x53, 0x48, 0x00, 0x10]]
        );
        let report = node.receive(&[0x5E, 0x01]);
        assert_eq!(report[0][..4], [0x5E, 0x02, 0x02, 0x05]);
        assert_eq!(node.receive(&[0x86, 0x11])[0].len(), 9);
    }

    #[test]
    fn a_command_class_the_node_lacks_gets_no_answer() {
        let nif = [0x04, 0x10, 0x01, 0x25];
        assert_eq!(answer(&nif, product_id::BINARY_SWITCH, &[0x72, 0x04]), None);
        assert_eq!(answer(&nif, product_id::BINARY_SWITCH, &[0x86, 0x11]), None);
    }
}
