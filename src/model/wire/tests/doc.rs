//! `docs/DEVICE-MODEL.md` cannot drift from the code: every example in it (a label, its
//! diagnostic notation, its hex) decodes to the value this module's table gives that label and
//! re-encodes to the same bytes; the examples cover every code of every choice; and every
//! code table lists exactly the codes the decoder knows, under the right names.

use super::examples::{Message, examples};
use crate::cose::diag::to_diag;
use crate::model::{
    Action, AlarmKind, Attribute, Capability, Command, Device, Error, Event, Failure, HubCommand,
    HubResponse, LockAction, LockSource, LockState, MeasureKind, RadioKind, Response, Role,
    RunningState, ThermostatMode, UserCodeStatus,
};
use coset::cbor::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

const DOC: &str = "docs/DEVICE-MODEL.md";

fn doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// One example as the document shows it.
#[derive(Debug)]
struct DocExample {
    diag: String,
    hex: String,
}

/// The lines of the fenced block `tag` that starts at the next non-empty line.
fn fenced<'a>(lines: &mut impl Iterator<Item = &'a str>, tag: &str, label: &str) -> String {
    let open = lines.find(|l| !l.trim().is_empty());
    assert_eq!(
        open.map(str::trim),
        Some(format!("```{tag}").as_str()),
        "example {label}: expected a ```{tag} block"
    );
    let mut body = Vec::new();
    for line in lines.by_ref() {
        if line.trim() == "```" {
            return body.join("\n");
        }
        body.push(line);
    }
    panic!("example {label}: unterminated ```{tag} block");
}

/// Every `<!-- example: label -->` with the `cbor-diag` and `hex` blocks after it.
fn doc_examples(doc: &str) -> BTreeMap<String, DocExample> {
    let mut out = BTreeMap::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("<!-- example: ")
            .and_then(|l| l.strip_suffix(" -->"))
        else {
            continue;
        };
        let diag = fenced(&mut lines, "cbor-diag", label);
        let hex = fenced(&mut lines, "hex", label);
        let previous = out.insert(label.to_owned(), DocExample { diag, hex });
        assert!(previous.is_none(), "example {label} shown twice");
    }
    out
}

/// Diagnostic notation without whitespace and `/ comments /` outside strings, so the
/// document may lay an example out over lines and annotate it.
fn normalize_diag(diag: &str) -> String {
    let mut out = String::new();
    let mut chars = diag.chars();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    out.extend(chars.next());
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => {
                    quote = Some(c);
                    out.push(c);
                }
                '/' => {
                    for c in chars.by_ref() {
                        if c == '/' {
                            break;
                        }
                    }
                }
                c if c.is_whitespace() => {}
                c => out.push(c),
            },
        }
    }
    out
}

/// The markdown block for one example, as `print_doc_examples` prints it.
fn block(label: &str, message: &Message) -> String {
    format!(
        "<!-- example: {label} -->\n```cbor-diag\n{}\n```\n```hex\n{}\n```\n",
        to_diag(&message.to_value()),
        hex::encode(message.to_bytes())
    )
}

#[test]
fn every_example_in_the_document_decodes_to_its_value_and_re_encodes_to_its_bytes() {
    let doc = doc();
    let shown = doc_examples(&doc);
    let table = examples();
    let labels: BTreeSet<&str> = table.iter().map(|(l, _)| *l).collect();
    assert_eq!(labels.len(), table.len(), "a label is used twice");
    for label in shown.keys() {
        assert!(
            labels.contains(label.as_str()),
            "{DOC} shows example {label}, which the table does not have"
        );
    }
    for (label, message) in &table {
        let Some(example) = shown.get(*label) else {
            panic!("{DOC} lacks example {label}:\n{}", block(label, message));
        };
        let hex_digits: String = example.hex.split_whitespace().collect();
        let bytes =
            hex::decode(&hex_digits).unwrap_or_else(|e| panic!("example {label}: bad hex ({e})"));
        let decoded = message
            .decode_like(&bytes)
            .unwrap_or_else(|e| panic!("example {label}: the hex does not decode ({e})"));
        assert_eq!(
            &decoded, message,
            "example {label}: the hex decodes to another value"
        );
        assert_eq!(
            decoded.to_bytes(),
            bytes,
            "example {label}: re-encodes to other bytes"
        );
        assert_eq!(
            normalize_diag(&example.diag),
            normalize_diag(&to_diag(&message.to_value())),
            "example {label}: the diagnostic notation differs from the value:\n{}",
            block(label, message)
        );
    }
}

/// A choice met in an example: its type, its code and its variant's name.
type Met = BTreeSet<(&'static str, u64, String)>;

fn meet(met: &mut Met, ty: &'static str, value: &Value, debug: &impl Debug) {
    let Value::Array(items) = value else {
        panic!("{ty} is a choice, not {value:?}");
    };
    let code = items
        .first()
        .and_then(Value::as_integer)
        .and_then(|c| u64::try_from(c).ok())
        .expect("a choice starts with its code");
    met.insert((ty, code, variant_name(debug)));
}

/// The variant's name: the identifier its `Debug` output starts with.
fn variant_name(debug: &impl Debug) -> String {
    format!("{debug:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

fn meet_attributes(met: &mut Met, values: &[Attribute]) {
    for a in values {
        meet(met, "Attribute", &a.to_value(), a);
    }
}

fn meet_device(met: &mut Met, device: &Device) {
    for c in device.endpoints.iter().flat_map(|e| &e.capabilities) {
        meet(met, "Capability", &c.to_value(), c);
    }
}

/// Every choice the examples contain.
fn met_in_examples() -> Met {
    let mut met = Met::new();
    for (_, message) in examples() {
        match &message {
            Message::Command(c) => {
                meet(&mut met, "Command", &c.to_value(), c);
                match c {
                    Command::Device { action, .. } => {
                        meet(&mut met, "Action", &action.to_value(), action)
                    }
                    Command::Hub(h) => meet(&mut met, "HubCommand", &h.to_value(), h),
                }
            }
            Message::Response(r) => {
                meet(&mut met, "Response", &r.to_value(), r);
                match r {
                    Response::Done { state, .. } => meet_attributes(&mut met, state),
                    Response::Hub(h) => {
                        meet(&mut met, "HubResponse", &h.to_value(), h);
                        if let HubResponse::Devices(devices) = h {
                            devices.iter().for_each(|d| meet_device(&mut met, d));
                        }
                    }
                    _ => {}
                }
            }
            Message::Event(e) => {
                meet(&mut met, "Event", &e.to_value(), e);
                match e {
                    Event::Report { values, .. } => meet_attributes(&mut met, values),
                    Event::Described(d) => meet_device(&mut met, d),
                    _ => {}
                }
            }
            Message::Device(d) => meet_device(&mut met, d),
        }
    }
    met
}

/// The codes a choice's decoder knows: those for which `[code]` is not an unknown code.
fn known_codes<T>(from_value: fn(&Value) -> crate::model::Result<T>) -> BTreeSet<u64> {
    (0..=100)
        .filter(|&code| {
            !matches!(
                from_value(&Value::Array(vec![Value::Integer(code.into())])),
                Err(Error::UnknownCode { .. })
            )
        })
        .collect()
}

/// Every choice type with the codes its decoder knows.
fn choices() -> Vec<(&'static str, BTreeSet<u64>)> {
    vec![
        ("Command", known_codes(Command::from_value)),
        ("Action", known_codes(Action::from_value)),
        ("HubCommand", known_codes(HubCommand::from_value)),
        ("Response", known_codes(Response::from_value)),
        ("HubResponse", known_codes(HubResponse::from_value)),
        ("Event", known_codes(Event::from_value)),
        ("Attribute", known_codes(Attribute::from_value)),
        ("Capability", known_codes(Capability::from_value)),
    ]
}

#[test]
fn the_examples_cover_every_code_of_every_choice() {
    let met = met_in_examples();
    for (ty, known) in choices() {
        let covered: BTreeSet<u64> = met
            .iter()
            .filter(|(t, _, _)| *t == ty)
            .map(|(_, code, _)| *code)
            .collect();
        assert_eq!(
            covered, known,
            "{ty}: codes with and without examples differ"
        );
        let first_unknown = known.iter().max().map_or(1, |max| max + 1);
        assert_eq!(
            known,
            (1..first_unknown).collect(),
            "{ty}: codes run from 1 without gaps"
        );
    }
}

/// The rows `| code | `Name` | ...` of the table in the section whose heading names `ty`.
fn table_rows(doc: &str, ty: &str) -> BTreeSet<(u64, String)> {
    let tag = format!("`{ty}`");
    let headings: Vec<usize> = doc
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with('#') && l.contains(&tag))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(headings.len(), 1, "{DOC}: one heading names {tag}");
    doc.lines()
        .skip(headings[0] + 1)
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse().ok()?;
            let name = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((code, name.to_owned()))
        })
        .collect()
}

/// A field-less enumeration's code table as the code has it.
fn codes_of<T: Copy + Debug>(all: &[T], code: fn(T) -> u64) -> BTreeSet<(u64, String)> {
    all.iter().map(|&v| (code(v), format!("{v:?}"))).collect()
}

#[test]
fn the_code_tables_list_exactly_the_codes_the_decoder_knows() {
    let doc = doc();
    let enumerations = [
        ("MeasureKind", codes_of(MeasureKind::ALL, MeasureKind::code)),
        ("AlarmKind", codes_of(AlarmKind::ALL, AlarmKind::code)),
        ("LockState", codes_of(LockState::ALL, LockState::code)),
        ("LockAction", codes_of(LockAction::ALL, LockAction::code)),
        ("LockSource", codes_of(LockSource::ALL, LockSource::code)),
        (
            "UserCodeStatus",
            codes_of(UserCodeStatus::ALL, UserCodeStatus::code),
        ),
        (
            "ThermostatMode",
            codes_of(ThermostatMode::ALL, ThermostatMode::code),
        ),
        (
            "RunningState",
            codes_of(RunningState::ALL, RunningState::code),
        ),
        ("RadioKind", codes_of(RadioKind::ALL, RadioKind::code)),
        ("Role", codes_of(Role::ALL, Role::code)),
        ("Failure", codes_of(Failure::ALL, Failure::code)),
    ];
    for (ty, codes) in enumerations {
        assert_eq!(table_rows(&doc, ty), codes, "{DOC}: the {ty} table");
    }
    let met = met_in_examples();
    for (ty, _) in choices() {
        let codes: BTreeSet<(u64, String)> = met
            .iter()
            .filter(|(t, _, _)| *t == ty)
            .map(|(_, code, name)| (*code, name.clone()))
            .collect();
        assert_eq!(table_rows(&doc, ty), codes, "{DOC}: the {ty} table");
    }
}

#[test]
fn diagnostic_notation_is_compared_without_layout_and_comments() {
    assert_eq!(
        normalize_diag("[1 / device /, 11,\n  [4 / SetLevel /, \"a / b\", h'01 02']]"),
        "[1,11,[4,\"a / b\",h'01 02']]"
    );
}

/// Prints every example's block, to paste into the document after changing an example.
#[test]
#[ignore = "prints the document's example blocks; run with --ignored --nocapture"]
fn print_doc_examples() {
    for (label, message) in examples() {
        println!("{}", block(label, &message));
    }
}
