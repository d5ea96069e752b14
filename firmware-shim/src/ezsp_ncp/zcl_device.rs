//! The application side of a simulated device: the On/Off and Level Control servers of
//! [`SimulatedDevice::light`], with Read Attributes, Configure Reporting and Report Attributes,
//! and the test switches a test needs to make a device misbehave ([`ZclState::silent`],
//! [`ZclState::refuse_commands`]).
//!
//! As in [`super::devices`], frames are built and parsed by hand from the ZCL specification
//! (§2.4 frame, §2.5 foundation commands, §3.8 On/Off, §3.10 Level Control), apart from the
//! host-side codecs.
//!
//! What the light does:
//! - On/Off Off (0x00), On (0x01), Toggle (0x02) change `OnOff`; Level Control Move To Level
//!   (0x00) and Move To Level With On/Off (0x04) set `CurrentLevel` at once (no transition).
//!   Each is answered with a Default Response SUCCESS unless the request disabled it; an
//!   unknown command gets UNSUP_COMMAND, and with [`ZclState::refuse_commands`] set every
//!   command gets a Default Response with that status and changes nothing.
//! - Read Attributes on both clusters returns `OnOff` (bool) and `CurrentLevel` (uint8).
//! - Configure Reporting (direction 0x00) of those attributes stores the intervals and the
//!   endpoint the request came from; maximum interval 0xFFFF stops reporting. After a change
//!   of a configured attribute the device sends Report Attributes to that endpoint, right after
//!   its Default Response. The minimum interval is stored but not enforced, and no periodic
//!   reports are sent.

use std::collections::BTreeMap;

use super::devices::{self, DeviceAnswer, HA_PROFILE, SimulatedDevice};

/// The On/Off cluster.
pub const ON_OFF_CLUSTER: u16 = 0x0006;
/// The Level Control cluster.
pub const LEVEL_CLUSTER: u16 = 0x0008;

/// ZCL status SUCCESS.
const SUCCESS: u8 = 0x00;
/// ZCL status MALFORMED_COMMAND.
const MALFORMED_COMMAND: u8 = 0x80;
/// ZCL status UNSUP_COMMAND (cluster-specific).
const UNSUP_COMMAND: u8 = 0x81;
/// ZCL status UNSUP_GENERAL_COMMAND.
const UNSUP_GENERAL_COMMAND: u8 = 0x82;
/// ZCL status UNSUPPORTED_ATTRIBUTE.
const UNSUPPORTED_ATTRIBUTE: u8 = 0x86;

/// ZCL type `bool`.
const BOOL: u8 = 0x10;
/// ZCL type `uint8`.
const UINT8: u8 = 0x20;

/// One stored reporting configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reporting {
    /// Minimum seconds between reports (stored, not enforced).
    pub min_interval: u16,
    /// Maximum seconds between reports (stored; no periodic reports are sent).
    pub max_interval: u16,
    /// The endpoint of the host that configured it, where reports go.
    pub host_endpoint: u8,
}

/// The application state of a simulated device and its test switches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ZclState {
    /// On/Off `OnOff`.
    pub on: bool,
    /// Level Control `CurrentLevel`.
    pub level: u8,
    /// Reporting configurations by (cluster, attribute).
    pub reporting: BTreeMap<(u16, u16), Reporting>,
    /// The device went silent: it acknowledges nothing, so every unicast to it ends in
    /// `messageSentHandler` with `ZIGBEE_DELIVERY_FAILED` and nothing answers.
    pub silent: bool,
    /// Every cluster command is answered with a Default Response of this status (not SUCCESS)
    /// and changes nothing.
    pub refuse_commands: Option<u8>,
    /// Transaction sequence number of the device's own frames (reports).
    pub tsn: u8,
}

/// What `device` answers to a unicast, in order; its state changes as the message says. ZDO
/// and Basic are answered by [`devices::answer`]; On/Off and Level Control here.
pub fn answers(
    device: &mut SimulatedDevice,
    profile: u16,
    cluster: u16,
    src_ep: u8,
    dst_ep: u8,
    message: &[u8],
) -> Vec<DeviceAnswer> {
    let served = profile == HA_PROFILE
        && matches!(cluster, ON_OFF_CLUSTER | LEVEL_CLUSTER)
        && device
            .endpoints
            .iter()
            .any(|e| e.endpoint == dst_ep && e.in_clusters.contains(&cluster));
    if !served {
        return devices::answer(device, profile, cluster, src_ep, dst_ep, message)
            .into_iter()
            .collect();
    }
    let Some((fc, tsn, command, payload)) = split(message) else {
        return Vec::new();
    };
    let reply = |payload: Vec<u8>| (profile, cluster, dst_ep, src_ep, payload);
    let default_response = |status: u8| vec![0x18, tsn, 0x0B, command, status];
    let wants_default = fc & 0x10 == 0;
    if fc & 0x01 == 0 {
        // Foundation command.
        let out = match command {
            0x00 => read_attributes(&device.zcl, cluster, tsn, payload),
            0x06 => configure_reporting(&mut device.zcl, cluster, tsn, src_ep, payload),
            _ => default_response(UNSUP_GENERAL_COMMAND),
        };
        return vec![reply(out)];
    }
    if let Some(status) = device.zcl.refuse_commands {
        return vec![reply(default_response(status))];
    }
    let before = (device.zcl.on, device.zcl.level);
    let status = cluster_command(&mut device.zcl, cluster, command, payload);
    let mut out = Vec::new();
    if wants_default || status != SUCCESS {
        out.push(reply(default_response(status)));
    }
    let z = &mut device.zcl;
    let changed = [
        (ON_OFF_CLUSTER, z.on != before.0, BOOL, u8::from(z.on)),
        (LEVEL_CLUSTER, z.level != before.1, UINT8, z.level),
    ];
    for (report_cluster, changed, data_type, value) in changed {
        let Some(r) = z.reporting.get(&(report_cluster, 0x0000)).copied() else {
            continue;
        };
        if changed {
            z.tsn = z.tsn.wrapping_add(1);
            // Global, server to client, default response disabled; Report Attributes.
            let report = vec![0x18, z.tsn, 0x0A, 0x00, 0x00, data_type, value];
            out.push((profile, report_cluster, dst_ep, r.host_endpoint, report));
        }
    }
    out
}

/// Frame control, TSN, command ID and payload of a frame without manufacturer code, sent
/// client to server.
fn split(message: &[u8]) -> Option<(u8, u8, u8, &[u8])> {
    let [fc, tsn, command, payload @ ..] = message else {
        return None;
    };
    (fc & 0x04 == 0 && fc & 0x08 == 0 && fc & 0x03 < 2).then_some((*fc, *tsn, *command, payload))
}

/// Carries out a cluster-specific command; returns the Default Response status.
fn cluster_command(z: &mut ZclState, cluster: u16, command: u8, payload: &[u8]) -> u8 {
    match (cluster, command) {
        (ON_OFF_CLUSTER, 0x00..=0x02) if !payload.is_empty() => MALFORMED_COMMAND,
        (ON_OFF_CLUSTER, 0x00) => {
            z.on = false;
            SUCCESS
        }
        (ON_OFF_CLUSTER, 0x01) => {
            z.on = true;
            SUCCESS
        }
        (ON_OFF_CLUSTER, 0x02) => {
            z.on = !z.on;
            SUCCESS
        }
        // Move To Level (With On/Off): level, transition time, optional options mask/override.
        (LEVEL_CLUSTER, 0x00 | 0x04) => match payload {
            [level, _, _] | [level, _, _, _, _] => {
                z.level = (*level).min(0xFE);
                if command == 0x04 {
                    z.on = z.level > 1;
                }
                SUCCESS
            }
            _ => MALFORMED_COMMAND,
        },
        _ => UNSUP_COMMAND,
    }
}

/// Read Attributes Response for `OnOff` / `CurrentLevel`.
fn read_attributes(z: &ZclState, cluster: u16, tsn: u8, payload: &[u8]) -> Vec<u8> {
    if payload.len() % 2 != 0 {
        return vec![0x18, tsn, 0x0B, 0x00, MALFORMED_COMMAND];
    }
    let mut out = vec![0x18, tsn, 0x01];
    for id in payload.chunks_exact(2) {
        let id = u16::from_le_bytes([id[0], id[1]]);
        out.extend(id.to_le_bytes());
        match (cluster, id) {
            (ON_OFF_CLUSTER, 0x0000) => out.extend([SUCCESS, BOOL, u8::from(z.on)]),
            (LEVEL_CLUSTER, 0x0000) => out.extend([SUCCESS, UINT8, z.level]),
            _ => out.push(UNSUPPORTED_ATTRIBUTE),
        }
    }
    out
}

/// Configure Reporting Response: stores each send-direction record of a known attribute.
fn configure_reporting(
    z: &mut ZclState,
    cluster: u16,
    tsn: u8,
    host_endpoint: u8,
    mut payload: &[u8],
) -> Vec<u8> {
    let mut failures = Vec::new();
    while !payload.is_empty() {
        let [
            0x00,
            id_lo,
            id_hi,
            data_type,
            min_lo,
            min_hi,
            max_lo,
            max_hi,
            rest @ ..,
        ] = payload
        else {
            return vec![0x18, tsn, 0x0B, 0x06, MALFORMED_COMMAND];
        };
        let id = u16::from_le_bytes([*id_lo, *id_hi]);
        // Integer types (analog) carry a reportable change as wide as the type.
        let change_len = match data_type {
            0x20..=0x2F => usize::from(data_type & 0x07) + 1,
            _ => 0,
        };
        if rest.len() < change_len {
            return vec![0x18, tsn, 0x0B, 0x06, MALFORMED_COMMAND];
        }
        payload = &rest[change_len..];
        let known = matches!(
            (cluster, id, *data_type),
            (ON_OFF_CLUSTER, 0x0000, BOOL) | (LEVEL_CLUSTER, 0x0000, UINT8)
        );
        if !known {
            failures.extend([UNSUPPORTED_ATTRIBUTE, 0x00, *id_lo, *id_hi]);
            continue;
        }
        let max_interval = u16::from_le_bytes([*max_lo, *max_hi]);
        if max_interval == 0xFFFF {
            z.reporting.remove(&(cluster, id));
        } else {
            z.reporting.insert(
                (cluster, id),
                Reporting {
                    min_interval: u16::from_le_bytes([*min_lo, *min_hi]),
                    max_interval,
                    host_endpoint,
                },
            );
        }
    }
    let mut out = vec![0x18, tsn, 0x07];
    if failures.is_empty() {
        out.push(SUCCESS);
    } else {
        out.extend(failures);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn light() -> SimulatedDevice {
        SimulatedDevice::light([1; 8], 0x1111, None)
    }

    #[test]
    fn toggle_answers_and_reports_once_configured() {
        let mut d = light();
        let toggle = [0x01, 5, 0x02];
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &toggle);
        assert_eq!(
            a,
            vec![(HA_PROFILE, 6, 1, 1, vec![0x18, 5, 0x0B, 0x02, 0x00])]
        );
        assert!(d.zcl.on);
        // Configure OnOff reporting, min 0, max 300.
        let configure = [
            0x00, 6, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x2C, 0x01,
        ];
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &configure);
        assert_eq!(a, vec![(HA_PROFILE, 6, 1, 1, vec![0x18, 6, 0x07, 0x00])]);
        // Toggle with the default response disabled: only the report.
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x11, 7, 0x02]);
        assert_eq!(
            a,
            vec![(
                HA_PROFILE,
                6,
                1,
                1,
                vec![0x18, 1, 0x0A, 0x00, 0x00, BOOL, 0x00]
            )]
        );
        let read = [0x00, 8, 0x00, 0x00, 0x00];
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &read);
        assert_eq!(a[0].4, vec![0x18, 8, 0x01, 0x00, 0x00, 0x00, BOOL, 0x00]);
    }

    #[test]
    fn level_refusals_and_unknown_commands() {
        let mut d = light();
        let a = answers(
            &mut d,
            HA_PROFILE,
            8,
            1,
            1,
            &[0x01, 1, 0x00, 0x80, 0x0A, 0x00],
        );
        assert_eq!(a[0].4, vec![0x18, 1, 0x0B, 0x00, 0x00]);
        assert_eq!(d.zcl.level, 0x80);
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 2, 0x47]);
        assert_eq!(a[0].4, vec![0x18, 2, 0x0B, 0x47, UNSUP_COMMAND]);
        d.zcl.refuse_commands = Some(0x01);
        let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 3, 0x01]);
        assert_eq!(a[0].4, vec![0x18, 3, 0x0B, 0x01, 0x01]);
        assert!(!d.zcl.on);
    }
}
