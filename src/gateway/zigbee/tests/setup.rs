//! Setup and refresh: the exact requests for a light and a contact sensor, a definition's
//! reporting, the multipliers and divisors read only while unknown.

use firmware_shim::ezsp_ncp::SimulatedDevice;
use sealhub_radios::zigbee::zcl::clusters::ias_zone;
use sealhub_radios::zigbee::zcl::foundation::{AttributeValue, ReportingConfiguration};
use sealhub_radios::zigbee::zcl::{ClusterCommand, DataType, Value};

use super::*;
use crate::definitions::{Definitions, Reporting};
use crate::gateway::ZigbeeOp;
use crate::gateway::zigbee::{mapping, refresh, setup};
use crate::model::{AlarmKind, Capability as C, MeasureKind as M};

fn send(
    id: u16,
    data_type: DataType,
    min: u16,
    max: u16,
    change: Option<Value>,
) -> ReportingConfiguration {
    ReportingConfiguration::Send {
        id,
        data_type,
        min_interval: min,
        max_interval: max,
        reportable_change: change,
    }
}

fn configure(cluster: u16, record: ReportingConfiguration) -> ZigbeeOp {
    ZigbeeOp::ConfigureReporting {
        endpoint: 1,
        cluster,
        records: vec![record],
    }
}

fn read(cluster: u16, attributes: &[u16]) -> ZigbeeOp {
    ZigbeeOp::Read {
        endpoint: 1,
        cluster,
        attributes: attributes.to_vec(),
    }
}

const HUB: u64 = 0x0011_2233_4455_6677;

#[test]
fn a_light_is_bound_configured_and_read() {
    let m = mapping(&emulated(SimulatedDevice::light), &Definitions::default());
    assert_eq!(
        setup(&m, HUB),
        vec![
            ZigbeeOp::Bind {
                endpoint: 1,
                cluster: 0x0006
            },
            // OnOff is discrete (boolean): no reportable change.
            configure(0x0006, send(0x0000, DataType::BOOLEAN, 0, 300, None)),
            ZigbeeOp::Bind {
                endpoint: 1,
                cluster: 0x0008
            },
            configure(
                0x0008,
                send(0x0000, DataType::UINT8, 1, 300, Some(uint(1, 1)))
            ),
            read(0x0006, &[0x0000]),
            read(0x0008, &[0x0000]),
        ]
    );
}

#[test]
fn an_ias_zone_is_enrolled_with_the_hubs_address() {
    let m = mapping(
        &emulated(SimulatedDevice::contact_sensor),
        &Definitions::default(),
    );
    assert_eq!(
        setup(&m, HUB),
        vec![
            // IAS_CIE_Address (0x0010), EUI-64 in wire order (little-endian).
            ZigbeeOp::Write {
                endpoint: 1,
                cluster: 0x0500,
                records: vec![AttributeValue {
                    id: 0x0010,
                    value: Value::Ieee([0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00]),
                }],
            },
            ZigbeeOp::Command {
                endpoint: 1,
                command: ClusterCommand::IasZone(ias_zone::ToServer::ZoneEnrollResponse(
                    ias_zone::ZoneEnrollResponse {
                        code: 0,
                        zone_id: 0
                    }
                )),
            },
            ZigbeeOp::Bind {
                endpoint: 1,
                cluster: 0x0001
            },
            // BatteryPercentageRemaining: hourly at most, twice a day at least, 1 % change.
            configure(
                0x0001,
                send(0x0021, DataType::UINT8, 3600, 43_200, Some(uint(1, 2)))
            ),
            // ZoneStatus and ZoneType (the kind).
            read(0x0500, &[0x0002, 0x0001]),
            read(0x0001, &[0x0021, 0x0020, 0x0036, 0x003E]),
        ]
    );
}

#[test]
fn a_definitions_reporting_replaces_the_defaults() {
    let mut temperature = cap(C::Measurement(M::Temperature));
    temperature.options.reporting = Some(Reporting {
        min_secs: 60,
        max_secs: 900,
        change: 50,
    });
    // A change too large for the type is capped at its largest value.
    let mut thermostat = cap(C::Thermostat);
    thermostat.options.reporting = Some(Reporting {
        min_secs: 1,
        max_secs: 2,
        change: 1_000_000,
    });
    let m = one_endpoint(vec![temperature, thermostat]);
    let ops = setup(&m, HUB);
    assert_eq!(
        ops[..2],
        [
            ZigbeeOp::Bind {
                endpoint: 1,
                cluster: 0x0402
            },
            configure(
                0x0402,
                send(0x0000, DataType::INT16, 60, 900, Some(int(2, 50)))
            ),
        ]
    );
    assert_eq!(
        ops[3],
        configure(
            0x0201,
            send(0x0000, DataType::INT16, 1, 2, Some(int(2, 32_767)))
        )
    );
    // SystemMode is an enum: no change even when the definition gives one.
    assert!(ops.contains(&configure(
        0x0201,
        send(0x001C, DataType::ENUM8, 1, 2, None)
    )));
}

#[test]
fn two_capabilities_of_one_cluster_share_its_bind_and_attributes() {
    // The thermostat's temperature also mapped as a measurement: one bind, LocalTemperature
    // configured once, read once.
    let m = one_endpoint(vec![
        cap(C::Thermostat),
        cap_from(C::Measurement(M::Temperature), 0x0201),
    ]);
    let ops = setup(&m, HUB);
    let binds = ops
        .iter()
        .filter(|o| matches!(o, ZigbeeOp::Bind { .. }))
        .count();
    let local = ops
        .iter()
        .filter(|o| {
            matches!(o, ZigbeeOp::ConfigureReporting { records, .. }
                if matches!(records[0], ReportingConfiguration::Send { id: 0x0000, .. }))
        })
        .count();
    assert_eq!((binds, local), (1, 1));
    assert_eq!(
        refresh(&m, 1),
        vec![read(0x0201, &[0x0000, 0x0012, 0x0011, 0x001C, 0x0029])]
    );
}

#[test]
fn multipliers_and_divisors_are_read_until_known() {
    let plug = mapping(&emulated(SimulatedDevice::plug), &Definitions::default());
    assert_eq!(
        refresh(&plug, 1),
        vec![
            read(0x0006, &[0x0000]),
            read(
                0x0B04,
                &[
                    0x050B, 0x0604, 0x0605, 0x0505, 0x0600, 0x0601, 0x0508, 0x0602, 0x0603
                ]
            ),
            read(0x0702, &[0x0000, 0x0300, 0x0301, 0x0302]),
        ]
    );
    let mut known = plug.clone();
    for c in &mut known.endpoints[0].capabilities {
        c.options.scale = Some(crate::definitions::Scale {
            numerator: 1,
            denominator: 1,
        });
    }
    assert_eq!(
        refresh(&known, 1),
        vec![
            read(0x0006, &[0x0000]),
            read(0x0B04, &[0x050B, 0x0505, 0x0508]),
            read(0x0702, &[0x0000, 0x0300]),
        ]
    );
}

#[test]
fn refresh_of_an_unknown_endpoint_asks_nothing() {
    let m = one_endpoint(vec![cap(C::OnOff)]);
    assert_eq!(refresh(&m, 2), vec![]);
}

#[test]
fn every_capability_the_generic_mapping_makes_has_reads() {
    for make in [
        SimulatedDevice::light,
        SimulatedDevice::color_light,
        SimulatedDevice::plug,
        SimulatedDevice::door_lock,
        SimulatedDevice::thermostat,
        SimulatedDevice::climate_sensor,
        SimulatedDevice::motion_sensor,
        SimulatedDevice::contact_sensor,
    ] {
        let m = mapping(&emulated(make), &Definitions::default());
        let clusters: Vec<u16> = refresh(&m, 1)
            .iter()
            .map(|o| match o {
                ZigbeeOp::Read { cluster, .. } => *cluster,
                other => panic!("refresh made {other:?}"),
            })
            .collect();
        let served = &emulated(make).endpoints[0].in_clusters.0;
        assert!(
            clusters.iter().all(|c| served.contains(c)),
            "{:?}",
            m.product
        );
        assert!(!clusters.is_empty());
    }
    // The zone is read even when only its tamper bit is mapped.
    let zone = one_endpoint(vec![cap(C::Alarm(AlarmKind::Tamper))]);
    assert_eq!(refresh(&zone, 1), vec![read(0x0500, &[0x0002, 0x0001])]);
}
