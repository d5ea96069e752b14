//! The definition loader against its file format: a file with every option becomes the
//! expected [`Definition`], each kind of mistake is refused at its line and column, lookups
//! find definitions by what interviews report, the shipped files all load (and describe the
//! emulated devices as the emulators report themselves), and added files cannot replace
//! built-in ones.

use std::path::Path;

use proptest::prelude::*;

use super::sources::{plausible_sources, usual_source};
use super::*;
use crate::model::{AlarmKind, Capability, MeasureKind, RadioKind};

/// A Zigbee definition with every option, its lines numbered in the comments the refusal
/// tests below count on.
const FULL_ZIGBEE: &str = r#"# A plug that also reports a door.
name = "Smart Plug Mini"
vendor = "Example"

[zigbee]
manufacturer = "Example Ltd"
models = ["SP-1", "SP-1-EU"]

[[endpoints]]
endpoint = 1
name = "socket"

[endpoints.capabilities]
on_off = {}
measurement.power = { scale = "1/10", reporting = { min = 1, max = 300, change = 10 } }
measurement.energy = { source = "0x0702" }
measurement.voltage = { scale = 1000 }

[[endpoints]]
endpoint = 2
name = "door"

[endpoints.capabilities]
alarm.contact = { source = 0x0006, invert = true }
battery = { scale = 2 }
"#;

const FULL_ZWAVE: &str = r#"name = "Multisensor"
vendor = "Example"

[zwave]
manufacturer_id = "0x0086"
product_type = 2
product_ids = ["0x0064", 0x0065]

[[endpoints]]
endpoint = 0

[endpoints.capabilities]
measurement.temperature = { scale = 0.1 }
alarm.motion = { source = "0x30", invert = false }
battery = {}

[[endpoints]]
endpoint = 3
name = "USB"

[endpoints.capabilities]
on_off = {}
"#;

fn capability(capability: Capability) -> CapabilityMapping {
    CapabilityMapping {
        capability,
        source: None,
        options: MappingOptions::default(),
    }
}

fn with(capability: Capability, source: Option<u16>, options: MappingOptions) -> CapabilityMapping {
    CapabilityMapping {
        capability,
        source,
        options,
    }
}

fn scale(numerator: i64, denominator: i64) -> Option<Scale> {
    Some(Scale {
        numerator,
        denominator,
    })
}

#[test]
fn a_zigbee_file_with_every_option_becomes_the_definition_it_says() {
    let definition = parse("plug.toml", FULL_ZIGBEE).expect("loads");
    let expected = Definition {
        source: "plug.toml".into(),
        name: "Smart Plug Mini".into(),
        vendor: "Example".into(),
        matches: Match::Zigbee {
            manufacturer: "Example Ltd".into(),
            models: vec!["SP-1".into(), "SP-1-EU".into()],
        },
        endpoints: vec![
            EndpointMapping {
                endpoint: 1,
                name: Some("socket".into()),
                capabilities: vec![
                    capability(Capability::OnOff),
                    with(
                        Capability::Measurement(MeasureKind::Power),
                        None,
                        MappingOptions {
                            scale: scale(1, 10),
                            invert: false,
                            reporting: Some(Reporting {
                                min_secs: 1,
                                max_secs: 300,
                                change: 10,
                            }),
                        },
                    ),
                    with(
                        Capability::Measurement(MeasureKind::Energy),
                        Some(0x0702),
                        MappingOptions::default(),
                    ),
                    with(
                        Capability::Measurement(MeasureKind::Voltage),
                        None,
                        MappingOptions {
                            scale: scale(1000, 1),
                            ..MappingOptions::default()
                        },
                    ),
                ],
            },
            EndpointMapping {
                endpoint: 2,
                name: Some("door".into()),
                capabilities: vec![
                    with(
                        Capability::Alarm(AlarmKind::Contact),
                        Some(0x0006),
                        MappingOptions {
                            invert: true,
                            ..MappingOptions::default()
                        },
                    ),
                    with(
                        Capability::Battery,
                        None,
                        MappingOptions {
                            scale: scale(2, 1),
                            ..MappingOptions::default()
                        },
                    ),
                ],
            },
        ],
    };
    assert_eq!(definition, expected);
}

#[test]
fn a_zwave_file_takes_hex_strings_and_integers_for_ids() {
    let definition = parse("multi.toml", FULL_ZWAVE).expect("loads");
    assert_eq!(
        definition.matches,
        Match::Zwave {
            manufacturer_id: 0x0086,
            product_type: 0x0002,
            product_ids: vec![0x0064, 0x0065],
        }
    );
    assert_eq!(
        definition.endpoints,
        vec![
            EndpointMapping {
                endpoint: 0,
                name: None,
                capabilities: vec![
                    with(
                        Capability::Measurement(MeasureKind::Temperature),
                        None,
                        MappingOptions {
                            scale: scale(1, 10),
                            ..MappingOptions::default()
                        },
                    ),
                    with(
                        Capability::Alarm(AlarmKind::Motion),
                        Some(0x30),
                        MappingOptions::default(),
                    ),
                    capability(Capability::Battery),
                ],
            },
            EndpointMapping {
                endpoint: 3,
                name: Some("USB".into()),
                capabilities: vec![capability(Capability::OnOff)],
            },
        ]
    );
}

#[test]
fn capabilities_keep_the_order_of_the_file_and_tables_work_as_dotted_keys() {
    let text = "name = \"n\"\nvendor = \"v\"\n[zigbee]\nmanufacturer = \"m\"\nmodels = [\"x\"]\n\
                [[endpoints]]\nendpoint = 1\n[endpoints.capabilities]\nbattery = {}\n\
                [endpoints.capabilities.alarm]\nwater = {}\ntamper = {}\n\
                [endpoints.capabilities.measurement]\ntemperature = {}\n";
    let definition = parse("t.toml", text).expect("loads");
    let capabilities: Vec<Capability> = definition.endpoints[0]
        .capabilities
        .iter()
        .map(|c| c.capability)
        .collect();
    assert_eq!(
        capabilities,
        vec![
            Capability::Battery,
            Capability::Alarm(AlarmKind::Water),
            Capability::Alarm(AlarmKind::Tamper),
            Capability::Measurement(MeasureKind::Temperature),
        ]
    );
}

#[test]
fn the_full_example_in_the_readme_loads() {
    let readme = include_str!("../../config/devices/README.md");
    let examples: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|block| block.split_once("```").map(|(toml, _)| toml))
        .collect();
    assert_eq!(examples.len(), 2, "the README's two examples");
    let zigbee = parse("README.md", examples[0]).expect("the Zigbee example loads");
    assert_eq!(zigbee.endpoints.len(), 2);
    let zwave = parse("README.md", examples[1]).expect("the Z-Wave example loads");
    assert!(matches!(zwave.matches, Match::Zwave { .. }));
    // The example is this test's fixture, too: the README must not drift from it.
    assert_eq!(
        zigbee,
        Definition {
            source: "README.md".into(),
            ..parse("plug.toml", FULL_ZIGBEE).expect("loads")
        }
    );
}

/// Replaces `from` (which must occur once) in the full Zigbee example, parses it, and returns
/// the refusal.
fn refusal_of(text: &str, from: &str, to: &str) -> Error {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    parse("devices/bad.toml", &text.replace(from, to)).expect_err("must be refused")
}

/// Asserts the refusal is at `line:column` and its message contains `words`.
fn assert_refused(error: &Error, line: usize, column: usize, words: &str) {
    let at = error
        .location()
        .expect("a refusal of content has a location");
    assert_eq!(at.file, "devices/bad.toml");
    assert_eq!(
        (at.line, at.column),
        (line, column),
        "{error} should be at {line}:{column}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("devices/bad.toml:{line}:{column}: ")),
        "{text}"
    );
    assert!(text.contains(words), "{text:?} should say {words:?}");
}

#[test]
fn syntax_errors_wrong_types_and_unknown_keys_are_refused_at_their_line() {
    let e = refusal_of(FULL_ZIGBEE, "endpoint = 2", "endpoint = \"two\"");
    assert!(matches!(e, Error::Syntax { .. }));
    assert_refused(&e, 20, 12, "invalid type: string");

    let e = refusal_of(
        FULL_ZIGBEE,
        "battery = { scale = 2 }",
        "battery = { scael = 2 }",
    );
    assert!(matches!(e, Error::Syntax { .. }));
    assert_refused(&e, 25, 13, "unknown field `scael`");

    let e = refusal_of(FULL_ZIGBEE, "on_off = {}", "switch = {}");
    assert_refused(&e, 14, 1, "unknown field `switch`");

    let e = refusal_of(FULL_ZIGBEE, "alarm.contact", "alarm.open");
    assert_refused(&e, 24, 7, "unknown field `open`");

    let e = refusal_of(
        FULL_ZIGBEE,
        "vendor = \"Example\"\n",
        "vendor = \"Example\"\ncolour = 1\n",
    );
    assert_refused(&e, 4, 1, "unknown field `colour`");

    let e = refusal_of(FULL_ZIGBEE, "name = \"socket\"", "name = \"socket");
    assert!(matches!(e, Error::Syntax { .. }));
    assert_eq!(e.location().map(|l| l.line), Some(11));

    let e = refusal_of(FULL_ZIGBEE, "invert = true", "invert = \"yes\"");
    assert_refused(
        &e,
        24,
        45,
        "invalid type: string \"yes\", expected a boolean",
    );

    // TOML itself refuses a capability named twice.
    let e = refusal_of(FULL_ZIGBEE, "on_off = {}\n", "on_off = {}\non_off = {}\n");
    assert_refused(&e, 15, 1, "duplicate key");

    let e = refusal_of(FULL_ZIGBEE, "name = \"Smart Plug Mini\"\n", "");
    assert_refused(&e, 1, 1, "missing field `name`");
}

#[test]
fn semantic_mistakes_are_refused_at_the_value_to_blame() {
    let e = refusal_of(FULL_ZIGBEE, "scale = \"1/10\"", "scale = \"1/0\"");
    assert!(matches!(e, Error::Invalid { .. }));
    assert_refused(&e, 15, 31, "scale denominator must not be 0");

    let e = refusal_of(FULL_ZIGBEE, "scale = 1000", "scale = 0");
    assert_refused(&e, 17, 33, "scale must not be 0");

    let e = refusal_of(FULL_ZIGBEE, "endpoint = 2", "endpoint = 1");
    assert_refused(
        &e,
        20,
        12,
        "endpoint 1 is described twice (first on line 10)",
    );

    let e = refusal_of(FULL_ZIGBEE, "endpoint = 2", "endpoint = 241");
    assert_refused(&e, 20, 12, "endpoint 241 is out of range");

    let e = refusal_of(FULL_ZIGBEE, "min = 1, max = 300", "min = 600, max = 300");
    assert_refused(
        &e,
        15,
        59,
        "reporting `min` (600 s) must not exceed `max` (300 s)",
    );

    let e = refusal_of(FULL_ZIGBEE, "max = 300", "max = 70000");
    assert_refused(&e, 15, 68, "interval of 0 to 65535 seconds, not 70000");

    let e = refusal_of(FULL_ZIGBEE, "change = 10", "change = -1");
    assert_refused(&e, 15, 82, "reporting `change` is 0 to 4294967295, not -1");

    let e = refusal_of(
        FULL_ZIGBEE,
        "models = [\"SP-1\", \"SP-1-EU\"]",
        "models = []",
    );
    assert_refused(&e, 7, 10, "`models` must list at least one modelId");

    let e = refusal_of(FULL_ZIGBEE, "\"SP-1-EU\"", "\"SP-1\"");
    assert_refused(&e, 7, 19, "model \"SP-1\" is listed twice");

    let e = refusal_of(FULL_ZIGBEE, "\"SP-1-EU\"", "\" \"");
    assert_refused(&e, 7, 19, "model must not be empty");

    let e = refusal_of(
        FULL_ZIGBEE,
        "\"Example Ltd\"",
        &format!("\"{}\"", "x".repeat(33)),
    );
    assert_refused(
        &e,
        6,
        16,
        "33 bytes; the Basic cluster's strings hold at most 32",
    );

    let e = refusal_of(FULL_ZIGBEE, "vendor = \"Example\"", "vendor = \"\"");
    assert_refused(&e, 3, 10, "vendor must not be empty");

    let e = refusal_of(FULL_ZIGBEE, "name = \"door\"", "name = \"\"");
    assert_refused(&e, 21, 8, "the endpoint's `name` must not be empty");

    let e = refusal_of(FULL_ZIGBEE, "source = \"0x0702\"", "source = \"0x0006\"");
    assert_refused(
        &e,
        16,
        33,
        "measurement.energy cannot come from cluster 0x0006; it comes from cluster 0x0702 \
         (the usual one)",
    );

    let e = refusal_of(FULL_ZIGBEE, "on_off = {}", "on_off = { scale = 2 }");
    assert_refused(&e, 14, 20, "`scale` does not apply to on_off");

    let e = refusal_of(
        FULL_ZIGBEE,
        "battery = { scale = 2 }",
        "battery = { invert = true }",
    );
    assert_refused(&e, 25, 22, "`invert` does not apply to battery");

    let e = refusal_of(
        FULL_ZIGBEE,
        "battery = { scale = 2 }",
        "battery = {}\n[endpoints.capabilities.measurement]\n",
    );
    assert_refused(&e, 26, 1, "`measurement` names no quantity");

    let e = refusal_of(
        FULL_ZIGBEE,
        "alarm.contact = { source = 0x0006, invert = true }\nbattery = { scale = 2 }\n",
        "",
    );
    assert_refused(&e, 23, 1, "endpoint 2 lists no capabilities");
}

#[test]
fn match_mistakes_are_refused_at_their_line() {
    let e = refusal_of(
        FULL_ZWAVE,
        "manufacturer_id = \"0x0086\"",
        "manufacturer_id = \"0x00g6\"",
    );
    assert_refused(&e, 5, 19, "manufacturer_id \"0x00g6\" is not an id");

    let e = refusal_of(
        FULL_ZWAVE,
        "manufacturer_id = \"0x0086\"",
        "manufacturer_id = \"134\"",
    );
    assert_refused(&e, 5, 19, "write a hex string of up to four digits");

    let e = refusal_of(FULL_ZWAVE, "product_type = 2", "product_type = 65536");
    assert_refused(&e, 6, 16, "product_type 65536 is out of range");

    let e = refusal_of(FULL_ZWAVE, "product_type = 2", "product_type = true");
    assert_refused(&e, 6, 16, "expected an integer or a hex string");

    let e = refusal_of(FULL_ZWAVE, "[\"0x0064\", 0x0065]", "[]");
    assert_refused(&e, 7, 15, "`product_ids` must list at least one product id");

    let e = refusal_of(FULL_ZWAVE, "0x0065]", "100]");
    assert_refused(&e, 7, 26, "product id 0x0064 is listed twice");

    let e = refusal_of(FULL_ZWAVE, "endpoint = 3", "endpoint = 128");
    assert_refused(
        &e,
        18,
        12,
        "a Z-Wave end point is 0 (the root device) to 127",
    );

    let e = refusal_of(FULL_ZWAVE, "source = \"0x30\"", "source = \"0x25\"");
    assert_refused(
        &e,
        14,
        27,
        "alarm.motion cannot come from command class 0x25",
    );

    let e = refusal_of(
        FULL_ZWAVE,
        "battery = {}",
        "battery = { reporting = { min = 1, max = 2, change = 3 } }",
    );
    assert_refused(&e, 15, 25, "`reporting` applies to Zigbee devices only");

    let e = refusal_of(
        FULL_ZWAVE,
        "[zwave]",
        "[zigbee]\nmanufacturer = \"m\"\nmodels = [\"x\"]\n[zwave]",
    );
    assert_refused(&e, 7, 1, "it has both [zigbee] and [zwave]");

    let e = refusal_of(
        FULL_ZWAVE,
        "[zwave]\nmanufacturer_id = \"0x0086\"\nproduct_type = 2\nproduct_ids = [\"0x0064\", 0x0065]\n",
        "",
    );
    assert_refused(&e, 1, 1, "no match: add a [zigbee] or a [zwave] table");

    let e = refusal_of(
        FULL_ZWAVE,
        "endpoint = 0\n\n[endpoints.capabilities]\nmeasurement.temperature = { scale = 0.1 }\nalarm.motion = { source = \"0x30\", invert = false }\nbattery = {}\n\n[[endpoints]]\nendpoint = 3\nname = \"USB\"\n\n[endpoints.capabilities]\non_off = {}\n",
        "endpoint = 0\ncapabilities = {}\n",
    );
    assert_refused(&e, 11, 16, "endpoint 0 lists no capabilities");

    let text = "name = \"n\"\nvendor = \"v\"\nendpoints = []\n[zigbee]\nmanufacturer = \"m\"\n\
                models = [\"x\"]\n";
    let e = parse("devices/bad.toml", text).expect_err("no endpoints");
    assert_refused(
        &e,
        3,
        13,
        "a definition must describe at least one endpoint",
    );
}

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

// ---- Arbitrary input ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the text, the loader answers without panicking, and a refusal points at a
    /// line of the text.
    #[test]
    fn arbitrary_text_never_panics_and_refusals_carry_a_line(text in "\\PC{0,400}") {
        check_any(&text);
    }

    /// Texts near a valid file: one byte replaced, a range cut out, or a line repeated.
    #[test]
    fn mutated_files_never_panic_and_refusals_carry_a_line(
        which in 0..2usize,
        at in any::<prop::sample::Index>(),
        len in 0..40usize,
        byte in prop::sample::select(b"=[]{}\"'#.,0x1 \n-/abz".to_vec()),
        mode in 0..3u8,
    ) {
        let base = [FULL_ZIGBEE, FULL_ZWAVE][which];
        let mut bytes = base.as_bytes().to_vec();
        let i = at.index(bytes.len());
        match mode {
            0 => bytes[i] = byte,
            1 => { bytes.drain(i..(i + len).min(bytes.len())); }
            _ => {
                let line_start = base[..i].rfind('\n').map_or(0, |p| p + 1);
                let line_end = base[i..].find('\n').map_or(base.len(), |p| i + p + 1);
                let line = base[line_start..line_end].to_owned();
                bytes.splice(line_start..line_start, line.into_bytes());
            }
        }
        if let Ok(text) = String::from_utf8(bytes) {
            check_any(&text);
        }
    }
}

fn check_any(text: &str) {
    match parse("fuzz.toml", text) {
        Ok(definition) => assert!(!definition.endpoints.is_empty()),
        Err(e) => {
            let at = e.location().expect("a refusal of text has a location");
            assert_eq!(at.file, "fuzz.toml");
            let lines = text.split('\n').count();
            assert!(
                (1..=lines).contains(&at.line),
                "line {} of {lines}: {e}",
                at.line
            );
            assert!(at.column >= 1);
            assert!(e.to_string().starts_with(&format!("{at}: ")));
        }
    }
}
