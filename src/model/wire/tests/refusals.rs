//! One test per kind of refusal, each trying the bad input and asserting the specific error:
//! unknown codes and keys, out-of-range values, broken text rules, duplicate and misordered
//! keys, non-deterministic encodings, trailing bytes, over-long lists, wrong types and lengths.
//! And the encoder's side: `validate` refuses what decoding refuses.

use super::examples::bulb;
use crate::cbor::{self, encode, int, uint};
use crate::envelope::DeviceId;
use crate::model::{
    Action, Attribute, Capability, ClientInfo, Command, Device, Endpoint, Error, Event, Failure,
    HubCommand, HubResponse, MAX_CAPABILITIES, MAX_DEVICES, MAX_ENDPOINTS, MAX_HISTORY,
    MAX_MESSAGE_BYTES, MAX_VALUES, MeasureKind, Response, Role, zigbee_device_id,
};
use coset::cbor::value::Value;

fn array(items: impl IntoIterator<Item = Value>) -> Value {
    Value::Array(items.into_iter().collect())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// `[1, endpoint, action]`.
fn device_command(action: Value) -> Value {
    array([uint(1), uint(1), action])
}

/// `[2, hub command]`.
fn hub_command(command: Value) -> Value {
    array([uint(2), command])
}

/// `[1, 1, [attribute]]`: a report of one value.
fn report(attribute: Value) -> Value {
    array([uint(1), uint(1), array([attribute])])
}

fn out_of_range(what: &'static str, value: i128, range: &'static str) -> Error {
    Error::OutOfRange { what, value, range }
}

fn malformed(what: &str, reason: &str) -> Error {
    Error::Cbor(cbor::Error::Malformed {
        what: what.into(),
        reason: reason.into(),
    })
}

fn invalid_text(what: &'static str, rule: &'static str) -> Error {
    Error::InvalidText { what, rule }
}

/// The device record of the bulb, entry by entry, to break one at a time.
fn bulb_entries() -> Vec<(Value, Value)> {
    match bulb().to_value() {
        Value::Map(entries) => entries,
        other => panic!("a device is a map, not {other:?}"),
    }
}

#[test]
fn unknown_codes_are_refused_not_guessed() {
    let unknown = |what, code| Error::UnknownCode { what, code };
    assert_eq!(
        Command::from_value(&array([uint(3)])),
        Err(unknown("command", 3))
    );
    assert_eq!(
        Command::from_value(&device_command(array([uint(16)]))),
        Err(unknown("action", 16))
    );
    assert_eq!(
        Command::from_value(&hub_command(array([uint(13)]))),
        Err(unknown("hub command", 13))
    );
    assert_eq!(
        Command::from_value(&device_command(array([uint(0)]))),
        Err(unknown("action", 0))
    );
    assert_eq!(
        Event::from_value(&report(array([uint(18), Value::Bool(true)]))),
        Err(unknown("attribute", 18))
    );
    assert_eq!(
        Event::from_value(&array([uint(7)])),
        Err(unknown("event", 7))
    );
    assert_eq!(
        Response::from_value(&array([uint(6)])),
        Err(unknown("response", 6))
    );
    assert_eq!(
        Response::from_value(&array([uint(5), array([uint(6)])])),
        Err(unknown("hub response", 6))
    );
    assert_eq!(
        Response::from_value(&array([uint(2), uint(10), text("")])),
        Err(unknown("failure", 10))
    );
    assert_eq!(
        Event::from_value(&report(array([uint(14), uint(8), int(1)]))),
        Err(unknown("measurement kind", 8))
    );
    assert_eq!(
        Event::from_value(&report(array([uint(15), uint(7), Value::Bool(true)]))),
        Err(unknown("alarm kind", 7))
    );
    assert_eq!(
        Command::from_value(&device_command(array([uint(12), uint(8)]))),
        Err(unknown("thermostat mode", 8))
    );
    assert_eq!(
        Capability::from_value(&array([uint(9)])),
        Err(unknown("capability", 9))
    );
    assert_eq!(
        Command::from_value(&hub_command(array([uint(11), uint(4), Value::Null]))),
        Err(unknown("role", 4))
    );
}

#[test]
fn out_of_range_values_are_refused() {
    let cases = [
        (
            report(array([uint(2), uint(10001)])),
            out_of_range("Level", 10001, "0..=10000 (0.01 %)"),
        ),
        (
            report(array([uint(4), uint(36000), uint(0)])),
            out_of_range("ColorHs hue", 36000, "0..=35999 (0.01°)"),
        ),
        (
            report(array([uint(4), uint(0), uint(10001)])),
            out_of_range("ColorHs saturation", 10001, "0..=10000 (0.01 %)"),
        ),
        (
            report(array([uint(16), uint(101)])),
            out_of_range("BatteryPercent", 101, "0..=100 (%)"),
        ),
        (
            report(array([uint(8), uint(0), uint(1)])),
            out_of_range("UserCode slot", 0, "1..=65535"),
        ),
        (
            report(array([uint(7), uint(1), uint(1), uint(0)])),
            out_of_range("LockOperation slot", 0, "1..=65535"),
        ),
        (
            report(array([uint(3), uint(65536), uint(0)])),
            out_of_range("ColorXy x", 65536, "0..=65535"),
        ),
        (
            report(array([uint(13), int(-27316)])),
            out_of_range("LocalTemperature", -27316, "-27315..=2147483647 (0.01 °C)"),
        ),
        (
            report(array([uint(10), int(1 << 31)])),
            out_of_range("HeatingSetpoint", 1 << 31, "-2147483648..=2147483647"),
        ),
        (
            report(array([uint(14), uint(2), int(10001)])),
            out_of_range("Measurement value", 10001, "0..=10000 (0.01 %RH)"),
        ),
        (
            report(array([uint(14), uint(3), int(-1)])),
            out_of_range("Measurement value", -1, "0..=2^53-1 (lux)"),
        ),
        (
            report(array([uint(14), uint(4), int(1 << 53)])),
            out_of_range("Measurement value", 1 << 53, "-(2^53-1)..=2^53-1"),
        ),
        (
            array([uint(1), uint(256), array([])]),
            out_of_range("Report endpoint", 256, "0..=255"),
        ),
    ];
    for (value, error) in cases {
        assert_eq!(Event::from_value(&value), Err(error), "{value:?}");
    }

    let commands = [
        (
            device_command(array([uint(4), uint(10001), Value::Null])),
            out_of_range("SetLevel level", 10001, "0..=10000 (0.01 %)"),
        ),
        (
            device_command(array([uint(6), uint(36000), uint(0)])),
            out_of_range("SetColorHs hue", 36000, "0..=35999 (0.01°)"),
        ),
        (
            device_command(array([uint(10), uint(0), text("1234")])),
            out_of_range("SetUserCode slot", 0, "1..=65535"),
        ),
        (
            device_command(array([uint(11), uint(0)])),
            out_of_range("ClearUserCode slot", 0, "1..=65535"),
        ),
        (
            device_command(array([uint(13), int(-30000)])),
            out_of_range(
                "SetHeatingSetpoint",
                -30000,
                "-27315..=2147483647 (0.01 °C)",
            ),
        ),
        (
            hub_command(array([uint(2), uint(0)])),
            out_of_range("PermitJoin seconds", 0, "1..=254"),
        ),
        (
            hub_command(array([uint(2), uint(255)])),
            out_of_range("PermitJoin seconds", 255, "1..=254"),
        ),
        (
            hub_command(array([uint(2), uint(256)])),
            out_of_range("PermitJoin seconds", 256, "0..=255"),
        ),
    ];
    for (value, error) in commands {
        assert_eq!(Command::from_value(&value), Err(error), "{value:?}");
    }
    // The edges themselves are accepted.
    for seconds in [1, 254] {
        assert!(Command::from_value(&hub_command(array([uint(2), uint(seconds)]))).is_ok());
    }
    assert!(Event::from_value(&report(array([uint(2), uint(10000)]))).is_ok());
    assert!(Event::from_value(&report(array([uint(13), int(-27315)]))).is_ok());
}

#[test]
fn texts_that_break_their_rule_are_refused() {
    let user_code = |code: &str| device_command(array([uint(10), uint(1), text(code)]));
    for bad in ["123", "12345678901", "12a4", "１２３４", ""] {
        assert_eq!(
            Command::from_value(&user_code(bad)),
            Err(invalid_text("SetUserCode code", "must be 4-10 digits 0-9")),
            "{bad:?}"
        );
    }
    for good in ["1234", "0123456789"] {
        assert!(Command::from_value(&user_code(good)).is_ok(), "{good:?}");
    }

    let pin = |pin: &str| hub_command(array([uint(4), text(pin)]));
    // Five digits of a 16-bit number: 65536 and above cannot be the DSK's first group.
    for bad in ["1234", "123456", "1234a", "65536", "99999"] {
        assert_eq!(
            Command::from_value(&pin(bad)),
            Err(invalid_text(
                "ZwaveInclude dsk_pin",
                "must be exactly 5 digits 0-9, at most 65535"
            )),
            "{bad:?}"
        );
    }
    for good in ["01234", "00000", "65535"] {
        assert!(Command::from_value(&pin(good)).is_ok(), "{good:?}");
    }

    let rename =
        |name: &str, room: Value| hub_command(array([uint(8), text("zb:1"), text(name), room]));
    let long = "x".repeat(65);
    for (name, room, what, rule) in [
        (
            "",
            Value::Null,
            "RenameDevice name",
            "must be 1-64 characters",
        ),
        (
            long.as_str(),
            Value::Null,
            "RenameDevice name",
            "must be 1-64 characters",
        ),
        (
            "a\nb",
            Value::Null,
            "RenameDevice name",
            "must not contain control characters",
        ),
        (
            "Lamp",
            text(""),
            "RenameDevice room",
            "must be 1-64 characters",
        ),
        (
            "Lamp",
            text("a\u{7}"),
            "RenameDevice room",
            "must not contain control characters",
        ),
    ] {
        assert_eq!(
            Command::from_value(&rename(name, room)),
            Err(invalid_text(what, rule)),
            "{name:?}"
        );
    }
    // 64 characters, of several bytes each, are fine.
    assert!(Command::from_value(&rename(&"ü".repeat(64), text("Küche"))).is_ok());

    assert_eq!(
        Command::from_value(&hub_command(array([uint(7), text("Bad Id")]))),
        Err(invalid_text(
            "RemoveDevice device",
            "must be 1-64 characters of a-z 0-9 . _ : -"
        ))
    );
    assert_eq!(
        Response::from_value(&array([
            uint(5),
            array([uint(5), text("1234567"), uint(60)])
        ])),
        Err(invalid_text(
            "Invitation code",
            "must be exactly 8 digits 0-9"
        ))
    );
    assert_eq!(
        Response::from_value(&array([uint(2), uint(1), text("no\tpe")])),
        Err(invalid_text(
            "Failed message",
            "must not contain control characters"
        ))
    );
    assert_eq!(
        Response::from_value(&array([uint(2), uint(1), text(&"x".repeat(257))])),
        Err(invalid_text(
            "Failed message",
            "must be at most 256 characters"
        ))
    );
}

#[test]
fn duplicate_keys_are_refused() {
    let mut entries = bulb_entries();
    entries.insert(1, (int(1), text("zb:other")));
    // The bytes are well-formed and their integers shortest: only the key repeats.
    let bytes = encode(&Value::Map(entries));
    assert_eq!(
        Device::from_bytes(&bytes),
        Err(Error::Cbor(cbor::Error::DuplicateKey {
            what: "device".into(),
            key: 1
        }))
    );
}

#[test]
fn record_keys_must_be_known_ascending_and_complete() {
    let mut unknown = bulb_entries();
    unknown.push((int(9), Value::Bool(true)));
    assert_eq!(
        Device::from_value(&Value::Map(unknown)),
        Err(Error::UnknownKey {
            what: "device",
            key: 9
        })
    );

    let mut swapped = bulb_entries();
    swapped.swap(0, 1);
    assert_eq!(
        Device::from_value(&Value::Map(swapped)),
        Err(Error::KeyOrder { what: "device" })
    );

    let without_name: Vec<_> = bulb_entries()
        .into_iter()
        .filter(|(k, _)| *k != int(3))
        .collect();
    assert_eq!(
        Device::from_value(&Value::Map(without_name)),
        Err(Error::MissingKey {
            what: "device",
            key: 3
        })
    );

    // An absent optional field is left out, never written as null.
    let mut null_room = bulb_entries();
    null_room[3] = (int(4), Value::Null);
    assert_eq!(
        Device::from_value(&Value::Map(null_room)),
        Err(malformed("device room", "must be a text string"))
    );

    assert_eq!(
        Endpoint::from_value(&Value::Map(vec![(int(1), uint(1))])),
        Err(Error::MissingKey {
            what: "endpoint",
            key: 3
        })
    );
    assert_eq!(
        ClientInfo::from_value(&Value::Map(vec![(text("id"), text("phone"))])),
        Err(malformed("client", "has a non-integer key"))
    );
}

#[test]
fn non_deterministic_encodings_are_refused() {
    // [1, 1, [1]]: TurnOn on endpoint 1, as the encoder writes it.
    let canonical = [0x83, 0x01, 0x01, 0x81, 0x01];
    assert_eq!(
        Command::from_bytes(&canonical),
        Ok(Command::Device {
            endpoint: 1,
            action: Action::TurnOn
        })
    );
    let not_canonical = malformed("command", "not in canonical encoding");
    // The endpoint as a one-byte-length integer (0x18 0x01).
    assert_eq!(
        Command::from_bytes(&[0x83, 0x01, 0x18, 0x01, 0x81, 0x01]),
        Err(not_canonical.clone())
    );
    // The endpoint as a two-byte integer.
    assert_eq!(
        Command::from_bytes(&[0x83, 0x01, 0x19, 0x00, 0x01, 0x81, 0x01]),
        Err(not_canonical.clone())
    );
    // The outer array with an indefinite length.
    assert_eq!(
        Command::from_bytes(&[0x9f, 0x01, 0x01, 0x81, 0x01, 0xff]),
        Err(not_canonical.clone())
    );
    // The array's length in a long form.
    assert_eq!(
        Command::from_bytes(&[0x98, 0x03, 0x01, 0x01, 0x81, 0x01]),
        Err(not_canonical)
    );
    // The endpoint as a bignum (tag 2): the same number, another encoding.
    assert_eq!(
        Command::from_bytes(&[0x83, 0x01, 0xc2, 0x41, 0x01, 0x81, 0x01]),
        Err(malformed("command", "not in canonical encoding"))
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = Event::Left.to_bytes();
    assert_eq!(Event::from_bytes(&bytes), Ok(Event::Left));
    bytes.push(0x00);
    assert_eq!(
        Event::from_bytes(&bytes),
        Err(malformed("event", "trailing bytes after the CBOR item"))
    );
    let mut device = bulb().to_bytes();
    device.extend(Event::Left.to_bytes());
    assert_eq!(
        Device::from_bytes(&device),
        Err(malformed("device", "trailing bytes after the CBOR item"))
    );
}

#[test]
fn lists_past_their_bound_are_refused_and_at_it_accepted() {
    let too_many = |what, max| Error::TooMany {
        what,
        max,
        found: max + 1,
    };
    let on = array([uint(1), Value::Bool(true)]);
    let values = |n| array([uint(1), uint(1), Value::Array(vec![on.clone(); n])]);
    assert!(Event::from_value(&values(MAX_VALUES)).is_ok());
    assert_eq!(
        Event::from_value(&values(MAX_VALUES + 1)),
        Err(too_many("Report values", MAX_VALUES))
    );
    let state = array([uint(1), uint(1), Value::Array(vec![on; MAX_VALUES + 1])]);
    assert_eq!(
        Response::from_value(&state),
        Err(too_many("Done state", MAX_VALUES))
    );

    let mut endpoints = bulb();
    endpoints.endpoints = (0..=MAX_ENDPOINTS as u8)
        .map(|id| Endpoint {
            id,
            name: None,
            capabilities: vec![],
        })
        .collect();
    assert_eq!(
        Device::from_bytes(&endpoints.to_bytes()),
        Err(too_many("device endpoints", MAX_ENDPOINTS))
    );
    assert_eq!(
        endpoints.validate(),
        Err(too_many("device endpoints", MAX_ENDPOINTS))
    );
    endpoints.endpoints.pop();
    assert_eq!(Device::from_bytes(&endpoints.to_bytes()), Ok(endpoints));

    let capabilities = Value::Map(vec![
        (int(1), uint(1)),
        (
            int(3),
            Value::Array(vec![array([uint(1)]); MAX_CAPABILITIES + 1]),
        ),
    ]);
    assert_eq!(
        Endpoint::from_value(&capabilities),
        Err(too_many("endpoint capabilities", MAX_CAPABILITIES))
    );

    let history = |n| Response::Hub(HubResponse::History(vec![vec![0xd0; 1]; n]));
    assert!(Response::from_bytes(&history(MAX_HISTORY).to_bytes()).is_ok());
    assert_eq!(
        Response::from_bytes(&history(MAX_HISTORY + 1).to_bytes()),
        Err(too_many("History", MAX_HISTORY))
    );

    let ids = Value::Array(
        (0..=MAX_DEVICES as u64)
            .map(|n| Value::Text(zigbee_device_id(n).to_string()))
            .collect(),
    );
    assert_eq!(
        Command::from_value(&hub_command(array([uint(11), uint(3), ids]))),
        Err(too_many("Invite devices", MAX_DEVICES))
    );
}

#[test]
fn things_listed_twice_are_refused() {
    let repeated = |what| Error::Repeated { what };
    let endpoint = Endpoint {
        id: 1,
        name: None,
        capabilities: vec![Capability::OnOff, Capability::Level, Capability::OnOff],
    };
    assert_eq!(
        Endpoint::from_value(&endpoint.to_value()),
        Err(repeated("endpoint capabilities"))
    );

    let mut device = bulb();
    device.endpoints.push(device.endpoints[0].clone());
    assert_eq!(
        Device::from_bytes(&device.to_bytes()),
        Err(repeated("device endpoints"))
    );

    let lamp = zigbee_device_id(1);
    let invite = Command::Hub(HubCommand::Invite {
        role: Role::Guest,
        devices: Some(vec![lamp.clone(), zigbee_device_id(2), lamp]),
    });
    assert_eq!(
        Command::from_bytes(&invite.to_bytes()),
        Err(repeated("Invite devices"))
    );

    let devices = Response::Hub(HubResponse::Devices(vec![bulb(), bulb()]));
    assert_eq!(
        Response::from_bytes(&devices.to_bytes()),
        Err(repeated("Devices"))
    );

    let client = ClientInfo {
        id: DeviceId::new("phone").expect("valid"),
        role: Role::Owner,
        devices: None,
    };
    let clients = Response::Hub(HubResponse::Clients(vec![client.clone(), client]));
    assert_eq!(
        Response::from_bytes(&clients.to_bytes()),
        Err(repeated("Clients"))
    );
}

#[test]
fn wrong_types_and_lengths_are_refused() {
    assert_eq!(
        Event::from_value(&report(array([uint(1), uint(1)]))),
        Err(malformed("OnOff", "must be a boolean"))
    );
    assert_eq!(
        Event::from_value(&report(array([uint(2), Value::Float(50.0)]))),
        Err(malformed("Level", "must be an unsigned integer"))
    );
    assert_eq!(
        Event::from_value(&report(array([uint(2), int(-1)]))),
        Err(malformed("Level", "must be an unsigned integer"))
    );
    assert_eq!(
        Command::from_value(&device_command(array([uint(4), Value::Null, Value::Null]))),
        Err(malformed("SetLevel level", "must be an unsigned integer"))
    );
    assert_eq!(
        Command::from_value(&device_command(array([uint(10), uint(1), uint(1234)]))),
        Err(malformed("SetUserCode code", "must be a text string"))
    );
    assert_eq!(
        Command::from_value(&Value::Map(vec![])),
        Err(malformed("command", "must be an array"))
    );
    assert_eq!(
        Command::from_value(&array([text("TurnOn")])),
        Err(malformed("command", "must be an unsigned integer"))
    );
    assert_eq!(
        Response::from_value(&array([uint(5), array([uint(4), array([text("x")])])])),
        Err(malformed("History envelope", "must be a byte string"))
    );

    let wrong_length = |what, expected, found| Error::WrongLength {
        what,
        expected,
        found,
    };
    assert_eq!(
        Command::from_value(&array([])),
        Err(wrong_length("command", 1, 0))
    );
    assert_eq!(
        Event::from_value(&report(array([uint(1)]))),
        Err(wrong_length("OnOff", 2, 1))
    );
    // A field-less variant with a field, and an optional field left out instead of null.
    assert_eq!(
        Command::from_value(&device_command(array([uint(1), uint(0)]))),
        Err(wrong_length("TurnOn", 1, 2))
    );
    assert_eq!(
        Command::from_value(&device_command(array([uint(4), uint(100)]))),
        Err(wrong_length("SetLevel", 3, 2))
    );
    assert_eq!(
        Capability::from_value(&array([uint(6)])),
        Err(wrong_length("capability", 2, 1))
    );
    assert_eq!(
        Event::from_value(&array([uint(2), Value::Null])),
        Err(wrong_length("WokeUp", 1, 2))
    );
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let bytes = vec![0u8; MAX_MESSAGE_BYTES + 1];
    assert_eq!(
        Event::from_bytes(&bytes),
        Err(Error::TooLarge {
            what: "event",
            len: MAX_MESSAGE_BYTES + 1,
            max: MAX_MESSAGE_BYTES
        })
    );
}

#[test]
fn validate_refuses_what_decoding_refuses() {
    // A report built from a device's out-of-range reading: the hub checks before encoding, and
    // a client decoding the bytes anyway refuses them with the same error.
    let cases: Vec<(Event, Error)> = vec![
        (
            Event::Report {
                endpoint: 1,
                values: vec![Attribute::OnOff(true), Attribute::Level(10001)],
            },
            out_of_range("Level", 10001, "0..=10000 (0.01 %)"),
        ),
        (
            Event::Report {
                endpoint: 1,
                values: vec![Attribute::Measurement {
                    kind: MeasureKind::Temperature,
                    value: -32768 * 100,
                }],
            },
            out_of_range(
                "Measurement value",
                -3_276_800,
                "-27315..=2147483647 (0.01 °C)",
            ),
        ),
        (
            Event::Described(Device {
                manufacturer: Some("Acme\0\0\0".into()),
                ..bulb()
            }),
            invalid_text("device manufacturer", "must not contain control characters"),
        ),
    ];
    for (event, error) in cases {
        assert_eq!(event.validate(), Err(error.clone()), "{event:?}");
        assert_eq!(Event::from_bytes(&event.to_bytes()), Err(error));
    }
    let command = Command::Device {
        endpoint: 0,
        action: Action::SetUserCode {
            slot: 1,
            code: "12".into(),
        },
    };
    assert_eq!(
        command.validate(),
        Err(invalid_text("SetUserCode code", "must be 4-10 digits 0-9"))
    );
    let failed = Response::Failed {
        failure: Failure::Refused,
        message: "line one\nline two".into(),
    };
    assert_eq!(
        failed.validate(),
        Err(invalid_text(
            "Failed message",
            "must not contain control characters"
        ))
    );
}

#[test]
fn debug_output_hides_user_codes() {
    let action = Action::SetUserCode {
        slot: 3,
        code: "97531".into(),
    };
    let shown = format!(
        "{:?}",
        Command::Device {
            endpoint: 0,
            action
        }
    );
    assert!(!shown.contains("97531"), "{shown}");
    assert!(
        shown.contains("SetUserCode") && shown.contains("slot: 3"),
        "{shown}"
    );
}
