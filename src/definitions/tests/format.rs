//! One file: the round trip of every option, and every refusal at its line and column.

use proptest::prelude::*;

use crate::definitions::*;
use crate::model::{AlarmKind, Capability, MeasureKind};

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
    let readme = include_str!("../../../config/devices/README.md");
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
    assert_refused(&e, 15, 1, "duplicate key `on_off`");

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
