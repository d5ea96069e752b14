//! A simulated device as the host meets it through [`super::answers`]: its binding table, the
//! generic ZCL server with the device types' behaviour passed in, reports on the emulator's
//! clock, faults, and leaving.

use std::time::Duration;

use sealhub_radios::zigbee::ezsp::types::Eui64;

use super::super::device_zdo::{
    BIND_REQ, MGMT_BIND_REQ, MGMT_PERMIT_JOINING_REQ, UNBIND_REQ, permit_joining_broadcast,
};
use super::super::zcl_device::data_type::*;
use super::super::zcl_device::zcl_status::*;
use super::super::zcl_device::*;
use super::{SimulatedDevice, answers};

fn light() -> SimulatedDevice {
    let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
    for cluster in [ON_OFF_CLUSTER, LEVEL_CLUSTER] {
        let a = answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, cluster, HUB, 1));
        assert_eq!(a, vec![(0, 0x8021, 0, 0, vec![1, 0x00])]);
    }
    d
}

/// The hub's IEEE address.
const HUB: Eui64 = [0x88; 8];

/// A Bind_req (tsn 1) of the light's `cluster` on `ep` to `ieee`'s endpoint `dst_ep`.
fn bind_req(ep: u8, cluster: u16, ieee: Eui64, dst_ep: u8) -> Vec<u8> {
    let mut r = vec![1];
    r.extend([1; 8]);
    r.push(ep);
    r.extend(cluster.to_le_bytes());
    r.push(0x03);
    r.extend(ieee);
    r.push(dst_ep);
    r
}

#[test]
fn the_record_holds_each_command_and_write_carried_out_and_no_read() {
    let mut d = light();
    // On (cluster-specific 0x01), a Read Attributes, a Write Attributes of OnTime (0x4001).
    answers(&mut d, HA_PROFILE, ON_OFF_CLUSTER, 1, 1, &[0x01, 7, 0x01]);
    answers(
        &mut d,
        HA_PROFILE,
        ON_OFF_CLUSTER,
        1,
        1,
        &[0x00, 8, 0x00, 0x00, 0x00],
    );
    let write = [0x00, 9, 0x02, 0x01, 0x40, 0x21, 0x05, 0x00];
    answers(&mut d, HA_PROFILE, ON_OFF_CLUSTER, 1, 1, &write);
    // A device refusing commands carries nothing out.
    d.zcl.refuse_commands = Some(0x01);
    answers(&mut d, HA_PROFILE, ON_OFF_CLUSTER, 1, 1, &[0x01, 10, 0x00]);
    assert_eq!(
        d.zcl.executed,
        vec![
            Executed {
                endpoint: 1,
                cluster: ON_OFF_CLUSTER,
                command: 0x01,
                global: false,
                payload: vec![],
            },
            Executed {
                endpoint: 1,
                cluster: ON_OFF_CLUSTER,
                command: 0x02,
                global: true,
                payload: write[3..].to_vec(),
            },
        ]
    );
    assert!(d.zcl.on(), "the On it recorded was carried out");
}

#[test]
fn reports_go_only_to_bound_destinations_until_unbound() {
    let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
    // OnOff: min 0, max 1 s.
    let configure = [
        0x00, 6, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00,
    ];
    answers(&mut d, HA_PROFILE, 6, 1, 1, &configure);
    assert!(
        poll(&mut d.zcl, Duration::from_secs(2), &HUB).is_empty(),
        "no binding, no report"
    );
    // Bound elsewhere (another device, a group): still nothing reaches the hub.
    answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, 6, [0x77; 8], 1));
    let group: Vec<u8> = [&bind_req(1, 6, HUB, 1)[..12], &[0x01, 0x34, 0x12]].concat();
    assert_eq!(
        answers(&mut d, 0, BIND_REQ, 0, 0, &group),
        vec![(0, 0x8021, 0, 0, vec![1, 0x00])]
    );
    assert!(poll(&mut d.zcl, Duration::from_secs(2), &HUB).is_empty());
    // Bound to two hub endpoints: one report each.
    answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, 6, HUB, 1));
    answers(&mut d, 0, BIND_REQ, 0, 0, &bind_req(1, 6, HUB, 2));
    let sent = poll(&mut d.zcl, Duration::from_secs(2), &HUB);
    let to: Vec<u8> = sent.iter().map(|a| a.3).collect();
    assert_eq!(to, vec![1, 2]);
    // Mgmt_Bind_req lists the four entries, three a page.
    let a = answers(&mut d, 0, MGMT_BIND_REQ, 0, 0, &[9, 0]);
    assert_eq!(a[0].4[..5], [9, 0x00, 4, 0, 3]);
    let a = answers(&mut d, 0, MGMT_BIND_REQ, 0, 0, &[9, 3]);
    assert_eq!(a[0].4[..5], [9, 0x00, 4, 3, 1]);
    // Unbind both hub entries: reports stop; unbinding again is NO_ENTRY.
    for ep in [1, 2] {
        let a = answers(&mut d, 0, UNBIND_REQ, 0, 0, &bind_req(1, 6, HUB, ep));
        assert_eq!(a, vec![(0, 0x8022, 0, 0, vec![1, 0x00])]);
    }
    assert!(poll(&mut d.zcl, Duration::from_secs(2), &HUB).is_empty());
    let a = answers(&mut d, 0, UNBIND_REQ, 0, 0, &bind_req(1, 6, HUB, 1));
    assert_eq!(a[0].4, vec![1, 0x88]);
}

#[test]
fn bind_refusals() {
    let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
    let status = |d: &mut SimulatedDevice, req: &[u8]| answers(d, 0, BIND_REQ, 0, 0, req)[0].4[1];
    // Another device's source address, an endpoint it lacks, a malformed request.
    let mut foreign = bind_req(1, 6, HUB, 1);
    foreign[1] = 0x55;
    assert_eq!(status(&mut d, &foreign), 0x84);
    assert_eq!(status(&mut d, &bind_req(9, 6, HUB, 1)), 0x82);
    assert_eq!(status(&mut d, &bind_req(1, 6, HUB, 1)[..15]), 0x80);
    // The table holds BINDING_TABLE_SIZE entries; binding again what is there is fine.
    for cluster in 0..BINDING_TABLE_SIZE as u16 {
        assert_eq!(status(&mut d, &bind_req(1, cluster, HUB, 1)), 0x00);
    }
    assert_eq!(status(&mut d, &bind_req(1, 0, HUB, 1)), 0x00);
    assert_eq!(status(&mut d, &bind_req(1, 0x0300, HUB, 1)), 0x8C);
    // A device without a binding table.
    d.zcl.binding_unsupported = true;
    assert_eq!(status(&mut d, &bind_req(1, 0, HUB, 1)), 0x84);
}

#[test]
fn a_router_opens_itself_for_joining_an_end_device_cannot() {
    let mut d = SimulatedDevice::light([1; 8], 0x1111, None);
    let a = answers(&mut d, 0, MGMT_PERMIT_JOINING_REQ, 0, 0, &[4, 60, 1]);
    assert_eq!(a, vec![(0, 0x8036, 0, 0, vec![4, 0x00])]);
    assert!(d.zcl.permits_joining());
    poll(&mut d.zcl, Duration::from_secs(59), &HUB);
    assert!(d.zcl.permits_joining());
    poll(&mut d.zcl, Duration::from_secs(1), &HUB);
    assert!(!d.zcl.permits_joining(), "the window runs out");
    permit_joining_broadcast(&mut d, &[5, 30, 1]);
    assert!(d.zcl.permits_joining());
    answers(&mut d, 0, MGMT_PERMIT_JOINING_REQ, 0, 0, &[6, 0, 1]);
    assert!(!d.zcl.permits_joining(), "closed");
    let mut sensor = SimulatedDevice::climate_sensor([2; 8], 0x2222, None);
    let a = answers(&mut sensor, 0, MGMT_PERMIT_JOINING_REQ, 0, 0, &[7, 60, 1]);
    assert_eq!(a[0].4, vec![7, 0x84]);
    permit_joining_broadcast(&mut sensor, &[8, 60, 1]);
    assert!(!sensor.zcl.permits_joining());
}

const TICK: Duration = Duration::from_millis(100);

#[test]
fn toggle_answers_and_reports_once_configured() {
    let mut d = light();
    let toggle = [0x01, 5, 0x02];
    let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &toggle);
    assert_eq!(
        a,
        vec![(HA_PROFILE, 6, 1, 1, vec![0x18, 5, 0x0B, 0x02, 0x00])]
    );
    assert!(d.zcl.on());
    // Configure OnOff reporting, min 0, max 300.
    let configure = [
        0x00, 6, 0x06, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x2C, 0x01,
    ];
    let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &configure);
    assert_eq!(a, vec![(HA_PROFILE, 6, 1, 1, vec![0x18, 6, 0x07, 0x00])]);
    assert!(
        poll(&mut d.zcl, TICK, &HUB).is_empty(),
        "nothing changed yet"
    );
    // Toggle with the default response disabled: no answer, then the report.
    let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x11, 7, 0x02]);
    assert!(a.is_empty());
    assert_eq!(
        poll(&mut d.zcl, TICK, &HUB),
        vec![(
            HA_PROFILE,
            6,
            1,
            1,
            vec![0x18, 1, 0x0A, 0x00, 0x00, BOOL, 0x00]
        )]
    );
    assert!(poll(&mut d.zcl, TICK, &HUB).is_empty(), "reported once");
    let read = [0x00, 8, 0x00, 0x00, 0x00, 0x34, 0x12];
    let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &read);
    assert_eq!(
        a[0].4,
        vec![
            0x18,
            8,
            0x01,
            0x00,
            0x00,
            0x00,
            BOOL,
            0x00,
            0x34,
            0x12,
            UNSUPPORTED_ATTRIBUTE
        ]
    );
}

#[test]
fn reports_keep_min_interval_and_reportable_change_and_come_every_max_interval() {
    let mut d = light();
    // CurrentLevel: min 2 s, max 10 s, change 5.
    let configure = [0x00, 1, 0x06, 0x00, 0x00, 0x00, UINT8, 2, 0, 10, 0, 5];
    let a = answers(&mut d, HA_PROFILE, 8, 1, 1, &configure);
    assert_eq!(a[0].4, vec![0x18, 1, 0x07, 0x00]);
    // A change of 3 is below the reportable change: nothing.
    d.zcl.set(1, LEVEL_CLUSTER, 0, 3);
    assert!(poll(&mut d.zcl, Duration::from_secs(3), &HUB).is_empty());
    // A change of 6: reported (3 s since configuring > min 2 s).
    d.zcl.set(1, LEVEL_CLUSTER, 0, 6);
    let r = poll(&mut d.zcl, Duration::from_millis(10), &HUB);
    assert_eq!(r[0].4[3..], [0x00, 0x00, UINT8, 6]);
    // Another big change right away waits for the minimum interval.
    d.zcl.set(1, LEVEL_CLUSTER, 0, 60);
    assert!(poll(&mut d.zcl, Duration::from_secs(1), &HUB).is_empty());
    let r = poll(&mut d.zcl, Duration::from_secs(1), &HUB);
    assert_eq!(r[0].4[3..], [0x00, 0x00, UINT8, 60]);
    // No change: the next report comes at the maximum interval.
    assert!(poll(&mut d.zcl, Duration::from_secs(9), &HUB).is_empty());
    let r = poll(&mut d.zcl, Duration::from_secs(1), &HUB);
    assert_eq!(r[0].4[3..], [0x00, 0x00, UINT8, 60]);
}

#[test]
fn level_refusals_unknown_commands_and_clusters() {
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
    assert_eq!(d.zcl.level(), 0x80);
    let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 2, 0x47]);
    assert_eq!(a[0].4, vec![0x18, 2, 0x0B, 0x47, UNSUP_COMMAND]);
    let a = answers(&mut d, HA_PROFILE, 0x0201, 1, 1, &[0x01, 3, 0x00, 0, 10]);
    assert_eq!(a[0].4, vec![0x18, 3, 0x0B, 0x00, UNSUPPORTED_CLUSTER]);
    d.zcl.refuse_commands = Some(0x01);
    let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 3, 0x01]);
    assert_eq!(a[0].4, vec![0x18, 3, 0x0B, 0x01, 0x01]);
    assert!(!d.zcl.on());
}

#[test]
fn writes_check_type_and_access() {
    let mut d = SimulatedDevice::thermostat([3; 8], 0x3333, None);
    // SystemMode (enum8, writable) to heat; LocalTemperature (read only); wrong type.
    let write = [
        0x00, 4, 0x02, 0x1C, 0x00, ENUM8, 0x04, 0x00, 0x00, INT16, 0x00, 0x00, 0x12, 0x00, UINT8,
        0x01,
    ];
    let a = answers(&mut d, HA_PROFILE, 0x0201, 1, 1, &write);
    assert_eq!(
        a[0].4,
        vec![
            0x18,
            4,
            0x04,
            READ_ONLY,
            0x00,
            0x00,
            INVALID_DATA_TYPE,
            0x12,
            0x00
        ]
    );
    assert_eq!(d.zcl.get(1, 0x0201, 0x001C), Some(4));
}

#[test]
fn faults_drop_delay_and_corrupt_what_the_device_sends() {
    let mut d = light();
    d.zcl.fault = Some(DeviceFault::Drop);
    assert!(answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 1, 0x01]).is_empty());
    assert!(d.zcl.on(), "the command itself got through");
    d.zcl.fault = Some(DeviceFault::Corrupt);
    let a = answers(&mut d, HA_PROFILE, 6, 1, 1, &[0x01, 2, 0x00]);
    assert_eq!(a[0].4, vec![0x18, 2, 0x0B]);
    d.zcl.fault = Some(DeviceFault::Delay(7));
    assert_eq!(d.zcl.answer_delay(), 7);
}

#[test]
fn mgmt_leave_for_itself_or_another() {
    let mut d = light();
    let mut other = vec![9];
    other.extend([2; 8]);
    other.push(0);
    let a = answers(&mut d, 0, 0x0034, 0, 0, &other);
    assert_eq!(a, vec![(0, 0x8034, 0, 0, vec![9, 0x84])]);
    assert!(!d.zcl.leaving);
    let mut own = vec![10];
    own.extend([1; 8]);
    own.push(0);
    let a = answers(&mut d, 0, 0x0034, 0, 0, &own);
    assert_eq!(a, vec![(0, 0x8034, 0, 0, vec![10, 0x00])]);
    assert!(d.zcl.leaving);
}
