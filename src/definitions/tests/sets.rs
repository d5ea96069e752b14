//! Sets of files: lookups, added directories, conflicts, and the shipped definitions.

use std::path::Path;

use crate::definitions::sources::{plausible_sources, usual_source};
use crate::definitions::*;
use crate::model::RadioKind;

/// Two definitions of the same devices, under different names.
fn zigbee_text(name: &str, manufacturer: &str, models: &str) -> String {
    format!(
        "name = \"{name}\"\nvendor = \"v\"\n[zigbee]\nmanufacturer = \"{manufacturer}\"\n\
         models = {models}\n[[endpoints]]\nendpoint = 1\ncapabilities.on_off = {{}}\n"
    )
}

fn zwave_text(name: &str, ids: &str) -> String {
    format!(
        "name = \"{name}\"\nvendor = \"v\"\n[zwave]\nmanufacturer_id = 0x0086\n\
         product_type = \"0x0003\"\nproduct_ids = {ids}\n[[endpoints]]\nendpoint = 0\n\
         capabilities.on_off = {{}}\n"
    )
}

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write fixture");
    }
    dir
}

#[test]
fn added_definitions_load_beside_the_built_in_ones_and_are_looked_up() {
    let dir = dir_with(&[
        ("a.toml", &zigbee_text("A", "Acme", "[\"A-1\", \"A-2\"]")),
        ("b.toml", &zwave_text("B", "[\"0x0010\", \"0x0011\"]")),
        // Not definitions: skipped.
        ("README.md", "# notes"),
        (".hidden.toml", "not toml at all ["),
        ("backup.toml~", "not toml at all ["),
    ]);
    std::fs::create_dir(dir.path().join("sub.toml")).expect("a directory named like a file");
    let builtin = Definitions::builtin().expect("built-in");
    let all = Definitions::load(Some(dir.path())).expect("loads");
    assert_eq!(all.len(), builtin.len() + 2);

    let a = all
        .zigbee("Acme", "A-2")
        .expect("found by its second model");
    assert_eq!(a.name, "A");
    assert_eq!(a.source, dir.path().join("a.toml").display().to_string());
    assert!(all.zigbee("Acme", "A-3").is_none());
    assert!(
        all.zigbee("acme", "A-1").is_none(),
        "names are compared exactly"
    );
    assert!(all.zigbee("Acme ", "A-1").is_none());

    let b = all
        .zwave(0x0086, 0x0003, 0x0011)
        .expect("found by its second id");
    assert_eq!(b.name, "B");
    assert!(all.zwave(0x0086, 0x0003, 0x0012).is_none());
    assert!(
        all.zwave(0x0086, 0x0103, 0x0010).is_none(),
        "another product type"
    );
    assert!(all.zwave(0x0087, 0x0003, 0x0010).is_none());

    // A Zigbee lookup never finds a Z-Wave definition and the other way round.
    assert!(all.iter().all(|d| {
        match &d.matches {
            Match::Zigbee {
                manufacturer,
                models,
            } => models
                .iter()
                .all(|m| all.zigbee(manufacturer, m).map(|f| &f.source) == Some(&d.source)),
            Match::Zwave {
                manufacturer_id,
                product_type,
                product_ids,
            } => product_ids.iter().all(|p| {
                all.zwave(*manufacturer_id, *product_type, *p)
                    .map(|f| &f.source)
                    == Some(&d.source)
            }),
        }
    }));
}

#[test]
fn two_added_definitions_of_one_device_are_refused_naming_both_files() {
    let dir = dir_with(&[
        ("a.toml", &zigbee_text("A", "Acme", "[\"A-1\", \"A-2\"]")),
        ("b.toml", &zigbee_text("B", "Acme", "[\"A-9\", \"A-2\"]")),
    ]);
    let e = Definitions::load(Some(dir.path())).expect_err("conflict");
    let Error::Conflict {
        at,
        other,
        replaces_built_in,
        ..
    } = &e
    else {
        panic!("not a conflict: {e}");
    };
    assert!(!replaces_built_in);
    assert!(
        at.file.ends_with("b.toml") && (at.line, at.column) == (5, 18),
        "{at}"
    );
    assert!(
        other.file.ends_with("a.toml") && (other.line, other.column) == (5, 18),
        "{other}"
    );
    let text = e.to_string();
    assert!(
        text.contains("the Zigbee device \"Acme\" model \"A-2\"") && text.contains("a.toml:5:18"),
        "{text}"
    );

    let dir = dir_with(&[
        ("a.toml", &zwave_text("A", "[16]")),
        ("b.toml", &zwave_text("B", "[\"0x0010\"]")),
    ]);
    let text = Definitions::load(Some(dir.path()))
        .expect_err("conflict")
        .to_string();
    assert!(
        text.contains("b.toml:6:16: the Z-Wave device 0x0086:0x0003:0x0010"),
        "{text}"
    );
    assert!(text.contains("a.toml:6:16"), "{text}");
}

#[test]
fn an_added_definition_may_not_replace_a_built_in_one() {
    // The emulated light's own ids, in a file that would map it differently.
    let dir = dir_with(&[(
        "my-light.toml",
        &zigbee_text("Mine", "Sealhub Emulated", "[\"SH-LIGHT-1\"]"),
    )]);
    let e = Definitions::load(Some(dir.path())).expect_err("refused");
    assert!(
        matches!(&e, Error::Conflict { replaces_built_in: true, other, .. }
            if other.file == "config/devices/emulated-zigbee-light.toml"),
        "{e}"
    );
    let text = e.to_string();
    assert!(text.contains("my-light.toml:5:11:"), "{text}");
    assert!(
        text.contains("config/devices/emulated-zigbee-light.toml:"),
        "{text}"
    );
    assert!(text.contains("may not replace a built-in one"), "{text}");

    let dir = dir_with(&[(
        "my-switch.toml",
        &zwave_text("Mine", "[\"0x0010\"]")
            .replace("0x0086", "0xffff")
            .replace("\"0x0003\"", "0x5348"),
    )]);
    let e = Definitions::load(Some(dir.path())).expect_err("refused");
    assert!(
        matches!(
            e,
            Error::Conflict {
                replaces_built_in: true,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_malformed_added_file_refuses_the_whole_set() {
    let dir = dir_with(&[
        ("a.toml", &zigbee_text("A", "Acme", "[\"A-1\"]")),
        (
            "z.toml",
            &zigbee_text("Z", "Acme", "[\"Z-1\"]").replace("endpoint = 1", "endpoint = 0"),
        ),
    ]);
    let e = Definitions::load(Some(dir.path())).expect_err("refused");
    let at = e.location().expect("located");
    assert!(at.file.ends_with("z.toml"));
    assert_eq!((at.line, at.column), (7, 12));
}

#[test]
fn unreadable_directories_and_huge_files_are_refused_naming_them() {
    let e = Definitions::load(Some(Path::new("/nonexistent/devices"))).expect_err("missing");
    assert!(matches!(e, Error::Read { .. }));
    assert!(e.to_string().contains("/nonexistent/devices"), "{e}");
    assert!(e.location().is_none());

    let big = format!("name = \"{}\"\n", "x".repeat(MAX_FILE_LEN as usize));
    let dir = dir_with(&[("big.toml", &big)]);
    let e = Definitions::load(Some(dir.path())).expect_err("too large");
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("big.toml"), "{e}");

    let dir = dir_with(&[]);
    std::fs::write(dir.path().join("latin1.toml"), b"name = \"caf\xe9\"\n").expect("write");
    let e = Definitions::load(Some(dir.path())).expect_err("not UTF-8");
    assert!(matches!(e, Error::Read { .. }), "{e}");
}

// ---- The shipped definitions ----

/// The shipped files whose names start with `emulated-`: those describe the emulators.
fn is_emulated(definition: &Definition) -> bool {
    definition.source.starts_with("built-in:emulated-")
}

#[test]
fn every_shipped_file_is_built_in_and_loads() {
    let on_disk: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/config/devices"))
            .expect("config/devices")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
    let mut built_in: Vec<&str> = builtin_file_names().collect();
    let mut on_disk: Vec<&str> = on_disk.iter().map(String::as_str).collect();
    on_disk.sort_unstable();
    built_in.sort_unstable();
    assert_eq!(built_in, on_disk, "build.rs embeds every file");

    let definitions = Definitions::builtin().expect("every shipped definition loads");
    assert_eq!(definitions.len(), on_disk.len());
    for definition in definitions.iter() {
        assert!(
            definition.source.starts_with("built-in:"),
            "{}",
            definition.source
        );
    }
}

#[test]
fn the_shipped_set_has_real_devices_of_both_radios() {
    let definitions = Definitions::builtin().expect("loads");
    let real: Vec<&Definition> = definitions.iter().filter(|d| !is_emulated(d)).collect();
    let zigbee = real
        .iter()
        .filter(|d| matches!(d.matches, Match::Zigbee { .. }))
        .count();
    let zwave = real.len() - zigbee;
    assert!(real.len() >= 24, "{} real devices", real.len());
    assert!(zigbee >= 10, "{zigbee} real Zigbee devices");
    assert!(zwave >= 10, "{zwave} real Z-Wave devices");
    for definition in &real {
        assert_ne!(definition.vendor, "sealhub", "{}", definition.source);
    }
}

#[test]
fn every_shipped_file_names_the_public_source_of_its_identifiers() {
    for (name, text) in set::BUILT_IN {
        let comment: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let named = if name.starts_with("emulated-") {
            comment.contains("firmware-shim/src/")
        } else {
            [
                "Koenkk/zigbee-herdsman-converters",
                "zigpy/zha-device-handlers",
                "zwave-js/node-zwave-js",
            ]
            .iter()
            .any(|repository| comment.contains(repository))
        };
        assert!(named, "{name} does not say where its identifiers come from");
    }
}

/// The emulated Zigbee devices, made as the emulator makes them.
fn emulated_zigbee_devices() -> Vec<firmware_shim::ezsp_ncp::SimulatedDevice> {
    use firmware_shim::ezsp_ncp::SimulatedDevice as D;
    let eui64 = [1, 2, 3, 4, 5, 6, 7, 8];
    vec![
        D::light(eui64, 1, None),
        D::color_light(eui64, 2, None),
        D::plug(eui64, 3, None),
        D::door_lock(eui64, 4, None),
        D::thermostat(eui64, 5, None),
        D::climate_sensor(eui64, 6, None),
        D::motion_sensor(eui64, 7, None),
        D::contact_sensor(eui64, 8, None),
    ]
}

#[test]
fn every_emulated_zigbee_device_has_a_definition_its_clusters_serve() {
    let definitions = Definitions::builtin().expect("loads");
    for device in emulated_zigbee_devices() {
        let definition = definitions
            .zigbee(&device.manufacturer, &device.model)
            .unwrap_or_else(|| panic!("no definition for {:?}", device.model));
        assert!(is_emulated(definition), "{}", definition.source);
        for endpoint in &definition.endpoints {
            let served = device
                .endpoints
                .iter()
                .find(|e| e.endpoint == endpoint.endpoint)
                .unwrap_or_else(|| {
                    panic!("{} has no endpoint {}", device.model, endpoint.endpoint)
                });
            for mapping in &endpoint.capabilities {
                let cluster = mapping
                    .source
                    .unwrap_or_else(|| usual_source(RadioKind::Zigbee, mapping.capability));
                assert!(
                    served.in_clusters.contains(&cluster),
                    "{}: {:?} from cluster 0x{cluster:04x}, which endpoint {} does not serve",
                    device.model,
                    mapping.capability,
                    endpoint.endpoint
                );
            }
        }
    }
}

#[test]
fn every_emulated_zwave_node_has_a_definition_its_command_classes_serve() {
    use firmware_shim::zwave_controller::nodes::{MANUFACTURER_ID, PRODUCT_TYPE};
    use firmware_shim::zwave_controller::{SecureNode, SimNode, SimNodeKind};

    let definitions = Definitions::builtin().expect("loads");
    let nodes = [
        SimNode::binary_switch(),
        SimNode::sleeping_sensor(),
        SimNode::thermostat(),
        SimNode::metering_plug(),
        SimNode::multisensor(),
        SimNode::bulb(),
        SimNode::secure(SecureNode::door_lock(1)),
        SimNode::secure(SecureNode::dimmer(2)),
        SimNode::secure(SecureNode::siren(3)),
        SimNode::secure(SecureNode::sleeping_sensor(4)),
    ];
    let mut matched = Vec::new();
    for mut node in nodes {
        // The ids as the node reports them in its Manufacturer Specific Report.
        let report = node.receive(&[0x72, 0x04]);
        let [report] = report.as_slice() else {
            panic!("{:?} did not report its ids", node.kind);
        };
        let id = |i: usize| u16::from_be_bytes([report[i], report[i + 1]]);
        let (manufacturer_id, product_type, product_id) = (id(2), id(4), id(6));
        assert_eq!(
            (manufacturer_id, product_type),
            (MANUFACTURER_ID, PRODUCT_TYPE)
        );
        let definition = definitions
            .zwave(manufacturer_id, product_type, product_id)
            .unwrap_or_else(|| panic!("no definition for {:?}", node.kind));
        assert!(is_emulated(definition), "{}", definition.source);
        matched.push(definition.source.clone());

        let mut root_classes: Vec<u8> = node.node_info().get(3..).unwrap_or_default().to_vec();
        if let SimNodeKind::Secure(secure) = &node.kind {
            root_classes.extend(secure.state().device.secure_command_classes());
        }
        for endpoint in &definition.endpoints {
            let classes = if endpoint.endpoint == 0 {
                root_classes.clone()
            } else {
                // Multi Channel Capability Get: the end point's command classes.
                let answer = node.receive(&[0x60, 0x09, endpoint.endpoint]);
                let [capability] = answer.as_slice() else {
                    panic!("no end point {} on {:?}", endpoint.endpoint, node.kind);
                };
                capability.get(5..).unwrap_or_default().to_vec()
            };
            for mapping in &endpoint.capabilities {
                let class = mapping
                    .source
                    .unwrap_or_else(|| usual_source(RadioKind::Zwave, mapping.capability));
                assert!(
                    classes.iter().any(|c| u16::from(*c) == class),
                    "{}: {:?} from command class 0x{class:02x}, which end point {} lacks",
                    definition.source,
                    mapping.capability,
                    endpoint.endpoint
                );
            }
        }
    }
    matched.sort_unstable();
    matched.dedup();
    assert_eq!(
        matched.len(),
        10,
        "each kind of node has its own definition"
    );
}

#[test]
fn sources_in_shipped_files_are_plausible_for_their_radio() {
    // The loader checks this; the test guards the table against losing an entry a shipped
    // file relies on.
    for definition in Definitions::builtin().expect("loads").iter() {
        let radio = match definition.matches {
            Match::Zigbee { .. } => RadioKind::Zigbee,
            Match::Zwave { .. } => RadioKind::Zwave,
        };
        for endpoint in &definition.endpoints {
            for mapping in &endpoint.capabilities {
                if let Some(source) = mapping.source {
                    assert!(plausible_sources(radio, mapping.capability).contains(&source));
                }
            }
        }
    }
}
