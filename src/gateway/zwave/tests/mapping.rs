//! The generic mapping of each emulated node kind, the root device versus end points, and
//! definitions checked against what the node supports.

use super::*;
use crate::definitions::{CapabilityMapping, Definition, EndpointMapping, Match, Scale};
use crate::model::{AlarmKind, Capability, Endpoint, MeasureKind};

/// (capability, source) of each entry of `endpoint`.
fn entries(m: &Mapping, endpoint: u8) -> Vec<(Capability, u16)> {
    m.endpoint(endpoint)
        .unwrap_or_else(|| panic!("end point {endpoint} not exposed: {m:#?}"))
        .capabilities
        .iter()
        .map(|c| (c.capability, c.source.expect("every source named")))
        .collect()
}

fn exposed(m: &Mapping) -> Vec<u8> {
    m.endpoints.iter().map(|e| e.endpoint).collect()
}

use Capability::*;

#[test]
fn the_switch_is_on_off_by_binary_switch() {
    let m = generic(&binary_switch());
    assert_eq!(exposed(&m), [0]);
    assert_eq!(entries(&m, 0), [(OnOff, 0x25)]);
    assert_eq!(m.definition, None);
    assert_eq!(m.vendor.as_deref(), Some("0xffff"));
    assert_eq!(m.product.as_deref(), Some("0x5348:0x0010"));
}

#[test]
fn the_sleeping_binary_sensor_is_a_battery_only() {
    // Binary Sensor (0x30) is not among the mapped classes.
    let m = generic(&sleeping_sensor());
    assert_eq!(entries(&m, 0), [(Battery, 0x80)]);
}

#[test]
fn the_thermostat_is_one_capability_fed_by_four_classes() {
    let m = generic(&thermostat());
    assert_eq!(
        entries(&m, 0),
        [
            (Thermostat, 0x40),
            (Thermostat, 0x43),
            (Thermostat, 0x42),
            (Thermostat, 0x31),
        ],
        "its Multilevel Sensor is the room temperature, not a measurement"
    );
    assert_eq!(
        m.model_endpoints(),
        [Endpoint {
            id: 0,
            name: None,
            capabilities: vec![Thermostat]
        }]
    );
}

#[test]
fn the_two_outlet_plug_is_two_end_points_and_no_root() {
    let m = generic(&metering_plug());
    assert_eq!(
        exposed(&m),
        [1, 2],
        "the root mirrors outlet 1: not a third outlet"
    );
    for ep in [1, 2] {
        assert_eq!(
            entries(&m, ep),
            [
                (OnOff, 0x25),
                (Measurement(MeasureKind::Power), 0x32),
                (Measurement(MeasureKind::Energy), 0x32),
                (Measurement(MeasureKind::Voltage), 0x32),
                (Measurement(MeasureKind::Current), 0x32),
            ]
        );
    }
}

#[test]
fn a_root_keeps_what_no_end_point_has() {
    // A battery-powered double switch: the root has Battery, the end points switch.
    let mut node = metering_plug();
    node.command_classes.push(CommandClassRecord {
        cc: 0x80,
        secure: false,
        version: Some(1),
    });
    let m = generic(&node);
    assert_eq!(exposed(&m), [0, 1, 2]);
    assert_eq!(entries(&m, 0), [(Battery, 0x80)]);
}

#[test]
fn the_multisensor_has_readings_alarms_and_a_battery() {
    let m = generic(&multisensor());
    let t = 0x31;
    let n = 0x71;
    assert_eq!(
        entries(&m, 0),
        [
            (Measurement(MeasureKind::Temperature), t),
            (Measurement(MeasureKind::Humidity), t),
            (Measurement(MeasureKind::Illuminance), t),
            (Alarm(AlarmKind::Contact), n),
            (Alarm(AlarmKind::Motion), n),
            (Alarm(AlarmKind::Smoke), n),
            (Alarm(AlarmKind::Water), n),
            (Alarm(AlarmKind::CarbonMonoxide), n),
            (Alarm(AlarmKind::Tamper), n),
            (Battery, 0x80),
        ]
    );
}

#[test]
fn the_bulb_dims_and_colours_by_multilevel_and_color_switch() {
    let m = generic(&bulb());
    assert_eq!(
        entries(&m, 0),
        [(OnOff, 0x26), (Level, 0x26), (Color, 0x33)]
    );
}

#[test]
fn the_lock_has_its_user_codes_on_the_same_capability() {
    let m = generic(&door_lock());
    assert_eq!(entries(&m, 0), [(DoorLock, 0x62), (DoorLock, 0x63)]);
    assert_eq!(m.model_endpoints()[0].capabilities, [DoorLock]);
    // With Notification: access control events, and no alarms for a lock.
    let mut with_notifications = door_lock();
    with_notifications.command_classes.push(CommandClassRecord {
        cc: 0x71,
        secure: true,
        version: Some(8),
    });
    assert_eq!(
        entries(&generic(&with_notifications), 0),
        [(DoorLock, 0x62), (DoorLock, 0x63), (DoorLock, 0x71)]
    );
    // Without User Code: no slots.
    let bare = record(0x40, 0x03, &[0x62], Vec::new());
    assert_eq!(entries(&generic(&bare), 0), [(DoorLock, 0x62)]);
}

#[test]
fn the_secure_dimmer_and_siren_map_like_their_plain_kin() {
    assert_eq!(
        entries(&generic(&dimmer()), 0),
        [(OnOff, 0x26), (Level, 0x26)]
    );
    assert_eq!(entries(&generic(&siren()), 0), [(OnOff, 0x25)]);
}

#[test]
fn basic_alone_is_a_switch_only_for_a_switch_device_class() {
    let legacy_switch = record(0x10, 0x01, &[0x20, 0x86], Vec::new());
    assert_eq!(entries(&generic(&legacy_switch), 0), [(OnOff, 0x20)]);
    // Not listed but implied (pre-Plus nodes support Basic without listing it).
    let unlisted = record(0x11, 0x01, &[0x86, 0x72], Vec::new());
    assert_eq!(entries(&generic(&unlisted), 0), [(OnOff, 0x20)]);
    let remote = record(0x18, 0x01, &[0x20, 0x86], Vec::new());
    assert!(
        generic(&remote).endpoints.is_empty(),
        "a wall controller is no switch"
    );
}

#[test]
fn a_plugs_notifications_are_not_alarms() {
    let plug = record(0x10, 0x01, &[0x25, 0x71], Vec::new());
    assert_eq!(entries(&generic(&plug), 0), [(OnOff, 0x25)]);
}

#[test]
fn a_node_without_product_ids_has_no_vendor() {
    let mut node = binary_switch();
    node.product = None;
    let m = generic(&node);
    assert_eq!((m.vendor, m.product), (None, None));
}

fn definition(endpoints: Vec<EndpointMapping>) -> Definitions {
    Definitions::new(vec![Definition {
        source: "built-in:sh-plug.toml".into(),
        name: "Double Plug".into(),
        vendor: "Sealhub Labs".into(),
        matches: Match::Zwave {
            manufacturer_id: 0xFFFF,
            product_type: 0x5348,
            product_ids: vec![0x0010],
        },
        endpoints,
    }])
}

fn capability(capability: Capability, source: Option<u16>) -> CapabilityMapping {
    CapabilityMapping {
        capability,
        source,
        options: MappingOptions::default(),
    }
}

#[test]
fn a_matching_definition_names_the_product_and_fills_in_sources() {
    let deci = MappingOptions {
        scale: Some(Scale {
            numerator: 1,
            denominator: 10,
        }),
        ..MappingOptions::default()
    };
    let defs = definition(vec![EndpointMapping {
        endpoint: 2,
        name: Some("right outlet".into()),
        capabilities: vec![
            capability(OnOff, None),
            CapabilityMapping {
                capability: Measurement(MeasureKind::Power),
                source: None,
                options: deci.clone(),
            },
        ],
    }]);
    let m = super::super::mapping(&metering_plug(), &defs);
    assert_eq!(m.definition.as_deref(), Some("built-in:sh-plug.toml"));
    assert_eq!(m.vendor.as_deref(), Some("Sealhub Labs"));
    assert_eq!(m.product.as_deref(), Some("Double Plug"));
    assert_eq!(
        exposed(&m),
        [2],
        "end points the definition leaves out are not exposed"
    );
    assert_eq!(
        entries(&m, 2),
        [(OnOff, 0x25), (Measurement(MeasureKind::Power), 0x32)]
    );
    let ep = m.endpoint(2).expect("exposed");
    assert_eq!(ep.name.as_deref(), Some("right outlet"));
    assert_eq!(ep.capabilities[1].options, deci, "options are kept");
}

#[test]
fn a_definitions_mismatches_are_dropped() {
    let defs = definition(vec![
        EndpointMapping {
            endpoint: 1,
            name: None,
            capabilities: vec![
                // The outlet has no Multilevel Switch, no Color Switch, no Battery.
                capability(Level, Some(0x26)),
                capability(Color, None),
                capability(Battery, None),
                // Binary Switch cannot carry a measurement; 0x1234 is no command class.
                capability(Measurement(MeasureKind::Energy), Some(0x25)),
                capability(OnOff, Some(0x1234)),
                capability(OnOff, Some(0x25)),
            ],
        },
        EndpointMapping {
            endpoint: 7,
            name: None,
            capabilities: vec![capability(OnOff, None)],
        },
    ]);
    let m = super::super::mapping(&metering_plug(), &defs);
    assert_eq!(exposed(&m), [1]);
    assert_eq!(entries(&m, 1), [(OnOff, 0x25)]);
}

#[test]
fn a_definition_that_fits_nothing_falls_back_to_the_generic_mapping() {
    let defs = definition(vec![EndpointMapping {
        endpoint: 0,
        name: None,
        capabilities: vec![capability(Thermostat, None)],
    }]);
    let m = super::super::mapping(&metering_plug(), &defs);
    assert_eq!(m, generic(&metering_plug()));
}

#[test]
fn a_definition_for_another_product_id_is_not_used() {
    let defs = definition(vec![EndpointMapping {
        endpoint: 0,
        name: None,
        capabilities: vec![capability(OnOff, None)],
    }]);
    let m = super::super::mapping(&bulb(), &defs);
    assert_eq!(m.definition, None);
}

#[test]
fn a_definitions_thermostat_and_lock_take_every_class_the_node_has() {
    let defs = Definitions::new(vec![Definition {
        source: "t.toml".into(),
        name: "T".into(),
        vendor: "V".into(),
        matches: Match::Zwave {
            manufacturer_id: 0xFFFF,
            product_type: 0x5348,
            product_ids: vec![0x0008, 0x0040],
        },
        endpoints: vec![EndpointMapping {
            endpoint: 0,
            name: None,
            capabilities: vec![capability(Thermostat, None), capability(DoorLock, None)],
        }],
    }]);
    let t = super::super::mapping(&thermostat(), &defs);
    assert_eq!(
        entries(&t, 0),
        [
            (Thermostat, 0x40),
            (Thermostat, 0x43),
            (Thermostat, 0x42),
            (Thermostat, 0x31)
        ],
        "no Door Lock on a thermostat"
    );
    let l = super::super::mapping(&door_lock(), &defs);
    assert_eq!(entries(&l, 0), [(DoorLock, 0x62), (DoorLock, 0x63)]);
}

#[test]
fn the_property_tests_node_maps_every_path() {
    let m = generic(&everything());
    assert_eq!(
        exposed(&m),
        [1, 2, 3, 4, 5],
        "the root's switch mirrors end point 1's"
    );
    assert_eq!(
        entries(&m, 1),
        [(OnOff, 0x26), (Level, 0x26), (Color, 0x33)]
    );
    assert_eq!(
        entries(&m, 2),
        [(DoorLock, 0x62), (DoorLock, 0x63), (DoorLock, 0x71)]
    );
    assert_eq!(entries(&m, 3).len(), 4);
    assert_eq!(
        m.model_endpoints()[3].capabilities.len(),
        3 + 4 + 6 + 1,
        "readings, meter, alarms, battery"
    );
    assert_eq!(entries(&m, 5), [(OnOff, 0x20)]);
}

/// The usual command class of each capability, now read from the definitions' table of
/// sources: every entry is a class id, and each is the class the translation has always used
/// when a mapping names no source.
#[test]
fn usual_sources_come_from_the_definitions_table_and_are_the_expected_classes() {
    use crate::definitions::sources::{all_capabilities, usual_source};
    use crate::model::{Capability, MeasureKind, RadioKind};
    use sealhub_radios::zwave::cc::ids;
    for capability in all_capabilities() {
        let source = usual_source(RadioKind::Zwave, capability);
        assert!(u8::try_from(source).is_ok(), "{capability:?}: {source:#x}");
        let expected = match capability {
            Capability::OnOff => ids::BINARY_SWITCH,
            Capability::Level => ids::MULTILEVEL_SWITCH,
            Capability::Color => ids::COLOR_SWITCH,
            Capability::DoorLock => ids::DOOR_LOCK,
            Capability::Thermostat => ids::THERMOSTAT_MODE,
            Capability::Measurement(
                MeasureKind::Temperature | MeasureKind::Humidity | MeasureKind::Illuminance,
            ) => ids::MULTILEVEL_SENSOR,
            Capability::Measurement(_) => ids::METER,
            Capability::Alarm(_) => ids::NOTIFICATION,
            Capability::Battery => ids::BATTERY,
        };
        assert_eq!(
            super::super::usual_source(capability),
            expected,
            "{capability:?}"
        );
    }
}
