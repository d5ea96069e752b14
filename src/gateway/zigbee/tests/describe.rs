//! Mappings: the generic one of every emulated device kind, its rules (endpoints and profiles
//! skipped, mains power, metering without electrical measurement), the definition path with
//! its checks, and the refinements a read or command brings (IAS zone type, multipliers and
//! divisors, a meter's unit).

use firmware_shim::ezsp_ncp::SimulatedDevice;
use sealhub_radios::zigbee::zcl::clusters::{Empty, ias_zone};
use sealhub_radios::zigbee::zcl::foundation::ReadAttributeRecord;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Status, Value};
use sealhub_radios::zigbee::zdo::{List8, MacCapabilities, SimpleDescriptor};

use super::*;
use crate::definitions::{Definition, Definitions, Match};
use crate::gateway::zigbee::{mapping, refine, refine_by_command, refine_ias};
use crate::model::{AlarmKind, Capability as C, MeasureKind as M};

fn generic(make: MakeDevice) -> Mapping {
    mapping(&emulated(make), &Definitions::default())
}

#[test]
fn every_emulated_kind_maps_by_cluster() {
    let expect: [(&str, MakeDevice, Vec<C>); 8] = [
        (
            "SH-LIGHT-1",
            SimulatedDevice::light,
            vec![C::OnOff, C::Level],
        ),
        (
            "SH-COLOR-1",
            SimulatedDevice::color_light,
            vec![C::OnOff, C::Level, C::Color],
        ),
        (
            "SH-PLUG-1",
            SimulatedDevice::plug,
            vec![
                C::OnOff,
                C::Measurement(M::Power),
                C::Measurement(M::Energy),
                C::Measurement(M::Voltage),
                C::Measurement(M::Current),
            ],
        ),
        (
            "SH-LOCK-1",
            SimulatedDevice::door_lock,
            vec![C::DoorLock, C::Battery],
        ),
        (
            "SH-THERMOSTAT-1",
            SimulatedDevice::thermostat,
            vec![C::Thermostat],
        ),
        (
            "SH-CLIMATE-1",
            SimulatedDevice::climate_sensor,
            vec![
                C::Measurement(M::Temperature),
                C::Measurement(M::Humidity),
                C::Battery,
            ],
        ),
        // The zone's own kind waits for its ZoneType; occupancy already says motion.
        (
            "SH-MOTION-1",
            SimulatedDevice::motion_sensor,
            vec![
                C::Alarm(AlarmKind::Motion),
                C::Alarm(AlarmKind::Tamper),
                C::Battery,
            ],
        ),
        (
            "SH-CONTACT-1",
            SimulatedDevice::contact_sensor,
            vec![C::Alarm(AlarmKind::Tamper), C::Battery],
        ),
    ];
    for (model, make, capabilities) in expect {
        let m = generic(make);
        assert_eq!(m.definition, None, "{model}");
        assert_eq!(m.vendor.as_deref(), Some("Sealhub Emulated"), "{model}");
        assert_eq!(m.product.as_deref(), Some(model));
        assert_eq!(super::capabilities(&m), vec![(1, capabilities)], "{model}");
    }
    // The plug's power comes from Electrical Measurement, not from its meter's demand.
    let plug = generic(SimulatedDevice::plug);
    let power = plug.endpoints[0]
        .capabilities
        .iter()
        .find(|c| c.capability == C::Measurement(M::Power))
        .unwrap();
    assert_eq!(power.source, None);
}

fn endpoint(endpoint: u8, profile: u16, clusters: &[u16]) -> SimpleDescriptor {
    SimpleDescriptor {
        endpoint,
        profile,
        device_id: 0x0100,
        version: 1,
        in_clusters: List8(clusters.to_vec()),
        out_clusters: List8(vec![]),
    }
}

#[test]
fn generic_mapping_skips_zdo_foreign_profiles_and_empty_endpoints() {
    let mut d = emulated(SimulatedDevice::light);
    d.endpoints = vec![
        endpoint(0, 0x0000, &[0x0006]),
        // A ZLL light endpoint counts; a Green Power proxy (0xA1E0) and a manufacturer's own
        // profile do not.
        endpoint(11, 0xC05E, &[0x0006, 0x0008]),
        endpoint(242, 0xA1E0, &[0x0021]),
        endpoint(3, 0xC2DF, &[0x0006]),
        // Basic and Identify only: nothing the model knows.
        endpoint(4, 0x0104, &[0x0000, 0x0003]),
        endpoint(5, 0x0104, &[0x0402, 0x0400]),
    ];
    let m = mapping(&d, &Definitions::default());
    assert_eq!(
        super::capabilities(&m),
        vec![
            (11, vec![C::OnOff, C::Level]),
            (
                5,
                vec![
                    C::Measurement(M::Temperature),
                    C::Measurement(M::Illuminance)
                ]
            ),
        ]
    );
}

#[test]
fn power_configuration_of_a_mains_device_is_not_a_battery() {
    let mut d = emulated(SimulatedDevice::climate_sensor);
    d.node_descriptor.mac_capabilities |= MacCapabilities::MAINS_POWERED;
    let m = mapping(&d, &Definitions::default());
    assert!(!m.model_endpoints()[0].capabilities.contains(&C::Battery));
}

#[test]
fn a_meter_without_electrical_measurement_gives_power_from_its_demand() {
    let mut d = emulated(SimulatedDevice::plug);
    d.endpoints[0].in_clusters.0.retain(|c| *c != 0x0B04);
    let m = mapping(&d, &Definitions::default());
    assert_eq!(
        m.endpoints[0].capabilities,
        vec![
            cap(C::OnOff),
            cap_from(C::Measurement(M::Power), 0x0702),
            cap(C::Measurement(M::Energy)),
        ]
    );
}

fn definition(endpoints: Vec<EndpointMapping>) -> Definitions {
    Definitions::new(vec![Definition {
        source: "built-in:sealhub-plug.toml".into(),
        name: "Emulated Plug".into(),
        vendor: "Sealhub".into(),
        matches: Match::Zigbee {
            manufacturer: "Sealhub Emulated".into(),
            models: vec!["SH-PLUG-1".into()],
        },
        endpoints,
    }])
}

#[test]
fn a_definition_is_checked_against_what_the_device_serves() {
    let mut relay = inverted(C::OnOff);
    relay.options.reporting = None;
    let defs = definition(vec![
        EndpointMapping {
            endpoint: 1,
            name: Some("outlet".into()),
            capabilities: vec![
                relay.clone(),
                // Listed twice: the second is dropped.
                cap(C::OnOff),
                scaled(cap(C::Measurement(M::Power)), 1, 10),
                // The plug serves no Level Control.
                cap(C::Level),
                // Humidity cannot come from Metering.
                cap_from(C::Measurement(M::Humidity), 0x0702),
            ],
        },
        // The plug has no endpoint 2.
        EndpointMapping {
            endpoint: 2,
            name: Some("second outlet".into()),
            capabilities: vec![cap(C::OnOff)],
        },
    ]);
    let mut nothing_served = defs.iter().next().unwrap().clone();
    nothing_served.endpoints[0].capabilities = vec![cap(C::Level)];
    let nothing_served = Definitions::new(vec![nothing_served]);
    let m = mapping(&emulated(SimulatedDevice::plug), &defs);
    assert_eq!(m.definition.as_deref(), Some("built-in:sealhub-plug.toml"));
    assert_eq!(m.vendor.as_deref(), Some("Sealhub"));
    assert_eq!(m.product.as_deref(), Some("Emulated Plug"));
    assert_eq!(
        m.endpoints,
        vec![EndpointMapping {
            endpoint: 1,
            name: Some("outlet".into()),
            capabilities: vec![relay, scaled(cap(C::Measurement(M::Power)), 1, 10)],
        }]
    );
    // An endpoint none of whose capabilities the device serves is left out.
    let m = mapping(&emulated(SimulatedDevice::plug), &nothing_served);
    assert_eq!(m.definition.as_deref(), Some("built-in:sealhub-plug.toml"));
    assert_eq!(m.endpoints, vec![]);
    // Another model of the same maker is not this definition's.
    let light = mapping(&emulated(SimulatedDevice::light), &defs);
    assert_eq!(light.definition, None);
    // Without a Basic model the device cannot match a definition.
    let mut anonymous = emulated(SimulatedDevice::plug);
    anonymous.model = None;
    let m = mapping(&anonymous, &defs);
    assert_eq!(m.definition, None);
    assert_eq!(m.product, None);
}

fn contact() -> Mapping {
    generic(SimulatedDevice::contact_sensor)
}

#[test]
fn the_zone_type_gives_the_zone_its_kind() {
    let m = contact();
    // ZCL 8 §8.2 IAS Zone, ZoneType: 0x0015 contact switch.
    let refined = refine_ias(&m, 1, 0x0015).expect("the kind is new");
    assert_eq!(
        super::capabilities(&refined),
        vec![(
            1,
            vec![
                C::Alarm(AlarmKind::Contact),
                C::Alarm(AlarmKind::Tamper),
                C::Battery
            ]
        )]
    );
    assert_eq!(
        refine_ias(&refined, 1, 0x0015),
        None,
        "nothing new the second time"
    );
    // The device turns out to be a water sensor (0x002A): the kind is replaced, not added.
    let water = refine_ias(&refined, 1, 0x002A).unwrap();
    assert_eq!(
        water.model_endpoints()[0].capabilities,
        vec![
            C::Alarm(AlarmKind::Water),
            C::Alarm(AlarmKind::Tamper),
            C::Battery
        ]
    );
    for (zone_type, kind) in [
        (0x000D, AlarmKind::Motion),
        (0x0016, AlarmKind::Contact),
        (0x0028, AlarmKind::Smoke),
        (0x002B, AlarmKind::CarbonMonoxide),
    ] {
        let r = refine_ias(&m, 1, zone_type).unwrap();
        assert!(
            r.model_endpoints()[0]
                .capabilities
                .contains(&C::Alarm(kind))
        );
    }
    // A motion zone's kind comes from IAS Zone, its usual cluster (no `source` needed).
    let motion = refine_ias(&m, 1, 0x000D).unwrap();
    assert!(
        motion.endpoints[0]
            .capabilities
            .contains(&cap(C::Alarm(AlarmKind::Motion)))
    );
    // Kinds the model lacks (glass break 0x0226, key fob 0x0115, manufacturer 0x8001, the
    // invalid 0xFFFF): nothing new, and a known kind is taken away again.
    for zone_type in [0x0226, 0x0115, 0x8001, 0xFFFF] {
        assert_eq!(refine_ias(&m, 1, zone_type), None);
        let back = refine_ias(&water, 1, zone_type).unwrap();
        assert_eq!(
            back.model_endpoints()[0].capabilities,
            vec![C::Alarm(AlarmKind::Tamper), C::Battery]
        );
    }
    // No zone on that endpoint, or no such endpoint.
    let light = generic(SimulatedDevice::light);
    assert_eq!(refine_ias(&light, 1, 0x0015), None);
    assert_eq!(refine_ias(&m, 9, 0x0015), None);
}

#[test]
fn a_motion_zone_beside_occupancy_sensing_adds_nothing() {
    let m = generic(SimulatedDevice::motion_sensor);
    assert_eq!(refine_ias(&m, 1, 0x000D), None);
}

#[test]
fn a_definition_names_the_zone_kind_itself() {
    let mut m = contact();
    m.definition = Some("built-in:contact.toml".into());
    m.endpoints[0]
        .capabilities
        .push(cap_from(C::Alarm(AlarmKind::Water), 0x0500));
    assert_eq!(refine_ias(&m, 1, 0x0015), None);
}

fn ok(id: u16, value: Value) -> ReadAttributeRecord {
    ReadAttributeRecord {
        id,
        result: Ok(value),
    }
}

fn failed(id: u16, status: Status) -> ReadAttributeRecord {
    ReadAttributeRecord {
        id,
        result: Err(status),
    }
}

#[test]
fn the_zone_type_comes_from_a_read_or_an_enroll_request() {
    let m = contact();
    let read = [
        ok(0x0002, Value::Bitmap { width: 2, value: 0 }),
        ok(0x0001, Value::Enum16(0x0015)),
    ];
    let refined = refine(&m, 1, 0x0500, &read).unwrap();
    assert!(
        refined.model_endpoints()[0]
            .capabilities
            .contains(&C::Alarm(AlarmKind::Contact))
    );
    // A read without the type, with the type unsupported, or with the invalid type teaches
    // nothing.
    assert_eq!(refine(&m, 1, 0x0500, &read[..1]), None);
    assert_eq!(
        refine(
            &m,
            1,
            0x0500,
            &[failed(0x0001, Status::UNSUPPORTED_ATTRIBUTE)]
        ),
        None
    );
    assert_eq!(
        refine(&m, 1, 0x0500, &[ok(0x0001, Value::Enum16(0xFFFF))]),
        None
    );
    let request = ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneEnrollRequest(
        ias_zone::ZoneEnrollRequest {
            zone_type: 0x000D,
            manufacturer_code: 0x1234,
        },
    ));
    let by_command = refine_by_command(&m, 1, &request).unwrap();
    assert!(
        by_command.model_endpoints()[0]
            .capabilities
            .contains(&C::Alarm(AlarmKind::Motion))
    );
    let other = ClusterCommand::OnOff(sealhub_radios::zigbee::zcl::clusters::on_off::ToServer::On(
        Empty {},
    ));
    assert_eq!(refine_by_command(&m, 1, &other), None);
}

fn u16v(v: u64) -> Value {
    uint(2, v)
}

#[test]
fn multipliers_and_divisors_are_kept_as_scale_once() {
    let plug = generic(SimulatedDevice::plug);
    // The emulated plug's factors (firmware-shim plug.rs): power /10, voltage /1, current
    // /1000; voltage's multiplier unsupported (ZCL default 1).
    let read = [
        ok(0x050B, int(2, 600)),
        ok(0x0604, u16v(1)),
        ok(0x0605, u16v(10)),
        failed(0x0600, Status::UNSUPPORTED_ATTRIBUTE),
        ok(0x0601, u16v(1)),
        ok(0x0602, u16v(1)),
        ok(0x0603, u16v(1000)),
    ];
    let refined = refine(&plug, 1, 0x0B04, &read).unwrap();
    let scale = |m: &Mapping, c: C| {
        m.endpoints[0]
            .capabilities
            .iter()
            .find(|x| x.capability == c)
            .unwrap()
            .options
            .scale
            .map(|s| (s.numerator, s.denominator))
    };
    assert_eq!(scale(&refined, C::Measurement(M::Power)), Some((1, 10)));
    assert_eq!(scale(&refined, C::Measurement(M::Voltage)), Some((1, 1)));
    assert_eq!(scale(&refined, C::Measurement(M::Current)), Some((1, 1000)));
    assert_eq!(
        scale(&refined, C::Measurement(M::Energy)),
        None,
        "another cluster"
    );
    // Read again, even with other values: the kept factor stays.
    let again = [ok(0x0604, u16v(5)), ok(0x0605, u16v(7))];
    assert_eq!(refine(&refined, 1, 0x0B04, &again), None);
    // A divisor of 0, or a read that timed out, teaches nothing.
    assert_eq!(
        refine(
            &plug,
            1,
            0x0B04,
            &[ok(0x0604, u16v(1)), ok(0x0605, u16v(0))]
        ),
        None
    );
    assert_eq!(
        refine(
            &plug,
            1,
            0x0B04,
            &[ok(0x0604, u16v(1)), failed(0x0605, Status::TIMEOUT)]
        ),
        None
    );
    // Metering: Multiplier 1, Divisor 1000 (uint24) for energy.
    let meter = [
        ok(0x0300, Value::Enum8(0)),
        ok(0x0301, uint(3, 1)),
        ok(0x0302, uint(3, 1000)),
    ];
    let metered = refine(&refined, 1, 0x0702, &meter).unwrap();
    assert_eq!(scale(&metered, C::Measurement(M::Energy)), Some((1, 1000)));
}

#[test]
fn a_definition_scale_stands_for_the_devices_factor() {
    let mut plug = generic(SimulatedDevice::plug);
    plug.definition = Some("built-in:plug.toml".into());
    for c in &mut plug.endpoints[0].capabilities {
        if c.capability == C::Measurement(M::Power) {
            *c = scaled(c.clone(), 1, 100);
        }
    }
    let read = [ok(0x0604, u16v(1)), ok(0x0605, u16v(10))];
    let refined = refine(&plug, 1, 0x0B04, &read);
    // Voltage and current learn theirs only if read; power keeps the definition's.
    assert_eq!(refined, None);
}

#[test]
fn a_meter_in_another_unit_is_not_energy() {
    let mut d = emulated(SimulatedDevice::plug);
    d.endpoints[0].in_clusters.0.retain(|c| *c != 0x0B04);
    let m = mapping(&d, &Definitions::default());
    // UnitofMeasure 1: m³ (a gas or water meter).
    let refined = refine(&m, 1, 0x0702, &[ok(0x0300, Value::Enum8(1))]).unwrap();
    assert_eq!(super::capabilities(&refined), vec![(1, vec![C::OnOff])]);
    assert_eq!(refine(&m, 1, 0x0702, &[ok(0x0300, Value::Enum8(0))]), None);
}

/// The usual cluster of every capability is the one the definitions' table of sources puts
/// first, so a definition that names no `source` means one cluster to the loader and to the
/// translation; motion's is IAS Zone (as the Sonoff SNZB-03's definition relies on), and an
/// Occupancy Sensing device found by cluster names its source.
#[test]
fn usual_clusters_come_from_the_definitions_table() {
    use crate::definitions::sources::{all_capabilities, usual_source};
    use crate::gateway::zigbee::sources::usual_cluster;
    use crate::model::RadioKind;
    for capability in all_capabilities() {
        assert_eq!(
            usual_cluster(capability),
            usual_source(RadioKind::Zigbee, capability),
            "{capability:?}"
        );
    }
    assert_eq!(usual_cluster(C::Alarm(AlarmKind::Motion)), 0x0500);
    let by_cluster = generic(SimulatedDevice::motion_sensor);
    assert!(
        by_cluster.endpoints[0]
            .capabilities
            .contains(&cap_from(C::Alarm(AlarmKind::Motion), 0x0406)),
        "{:?}",
        by_cluster.endpoints[0].capabilities
    );
}
