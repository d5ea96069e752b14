//! `decode(encode(x)) == x` for every valid value of every type, and `encode(decode(b)) == b`
//! for whatever decodes: random bytes, random CBOR values, and valid messages with one byte
//! changed. Together they say each value has exactly one encoding, so what a client signs and
//! what the hub acts on cannot disagree.

use super::examples::examples;
use super::strategies::*;
use crate::cbor::{encode, int, uint};
use crate::model::{
    Action, AlarmKind, Attribute, Capability, ClientInfo, Command, Device, Endpoint, Event,
    Failure, HubCommand, HubResponse, LockAction, LockSource, LockState, MeasureKind, RadioKind,
    Response, Result, Role, RunningState, ThermostatMode, UserCodeStatus,
};
use coset::cbor::value::Value;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use std::fmt::Debug;

/// The mirrored pair every type has.
trait Wire: Sized + PartialEq + Debug {
    fn to_value(&self) -> Value;
    fn from_value(value: &Value) -> Result<Self>;
}

macro_rules! wire {
    ($($ty:ty),+) => {$(
        impl Wire for $ty {
            fn to_value(&self) -> Value {
                <$ty>::to_value(self)
            }
            fn from_value(value: &Value) -> Result<Self> {
                <$ty>::from_value(value)
            }
        }
    )+};
}

wire!(
    Action,
    AlarmKind,
    Attribute,
    Capability,
    ClientInfo,
    Command,
    Device,
    Endpoint,
    Event,
    Failure,
    HubCommand,
    HubResponse,
    LockAction,
    LockSource,
    LockState,
    MeasureKind,
    RadioKind,
    Response,
    Role,
    RunningState,
    ThermostatMode,
    UserCodeStatus
);

/// A valid value decodes from its own value to itself.
fn round_trips<T: Wire>(x: &T) -> std::result::Result<(), TestCaseError> {
    let decoded = T::from_value(&x.to_value());
    prop_assert_eq!(decoded.as_ref(), Ok(x));
    Ok(())
}

/// Whatever `value` decodes to as `T` encodes to exactly `value`.
fn re_encodes_exactly<T: Wire>(value: &Value) {
    if let Ok(x) = T::from_value(value) {
        assert_eq!(&x.to_value(), value, "{x:?} came from another value");
    }
}

/// [`re_encodes_exactly`] for every type.
fn every_type_re_encodes_exactly(value: &Value) {
    re_encodes_exactly::<Action>(value);
    re_encodes_exactly::<AlarmKind>(value);
    re_encodes_exactly::<Attribute>(value);
    re_encodes_exactly::<Capability>(value);
    re_encodes_exactly::<ClientInfo>(value);
    re_encodes_exactly::<Command>(value);
    re_encodes_exactly::<Device>(value);
    re_encodes_exactly::<Endpoint>(value);
    re_encodes_exactly::<Event>(value);
    re_encodes_exactly::<Failure>(value);
    re_encodes_exactly::<HubCommand>(value);
    re_encodes_exactly::<HubResponse>(value);
    re_encodes_exactly::<LockAction>(value);
    re_encodes_exactly::<LockSource>(value);
    re_encodes_exactly::<LockState>(value);
    re_encodes_exactly::<MeasureKind>(value);
    re_encodes_exactly::<RadioKind>(value);
    re_encodes_exactly::<Response>(value);
    re_encodes_exactly::<Role>(value);
    re_encodes_exactly::<RunningState>(value);
    re_encodes_exactly::<ThermostatMode>(value);
    re_encodes_exactly::<UserCodeStatus>(value);
}

/// Decodes `bytes` as each message type; whatever decodes must encode to exactly `bytes`.
/// Returns how many types accepted them.
fn bytes_re_encode_exactly(bytes: &[u8]) -> usize {
    let mut accepted = 0;
    if let Ok(m) = Command::from_bytes(bytes) {
        assert_eq!(m.to_bytes(), bytes, "{m:?} came from other bytes");
        accepted += 1;
    }
    if let Ok(m) = Response::from_bytes(bytes) {
        assert_eq!(m.to_bytes(), bytes, "{m:?} came from other bytes");
        accepted += 1;
    }
    if let Ok(m) = Event::from_bytes(bytes) {
        assert_eq!(m.to_bytes(), bytes, "{m:?} came from other bytes");
        accepted += 1;
    }
    if let Ok(m) = Device::from_bytes(bytes) {
        assert_eq!(m.to_bytes(), bytes, "{m:?} came from other bytes");
        accepted += 1;
    }
    accepted
}

/// Any CBOR value, biased towards small integers and shallow arrays so that many are close to
/// real messages; floats, tags, byte strings and large integers test the type checks.
fn cbor_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        6 => (0u64..20).prop_map(uint),
        1 => any::<i64>().prop_map(int),
        1 => any::<u64>().prop_map(uint),
        2 => any::<bool>().prop_map(Value::Bool),
        2 => Just(Value::Null),
        2 => prop_oneof!["[0-9]{4,10}", "[a-z0-9:]{0,16}", "\\PC{0,8}"].prop_map(Value::Text),
        1 => vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
        1 => any::<f64>().prop_map(Value::Float),
        1 => (0u64..30).prop_map(|tag| Value::Tag(tag, Box::new(uint(1)))),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            // Shaped like a choice: a small code first.
            3 => ((0u64..20).prop_map(uint), vec(inner.clone(), 0..5)).prop_map(|(code, rest)| {
                Value::Array(std::iter::once(code).chain(rest).collect())
            }),
            1 => vec(inner.clone(), 0..6).prop_map(Value::Array),
            1 => vec(((0i64..10).prop_map(int), inner), 0..9).prop_map(Value::Map),
        ]
    })
}

/// Any valid message's bytes.
fn message_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        command().prop_map(|m| m.to_bytes()),
        response().prop_map(|m| m.to_bytes()),
        event().prop_map(|m| m.to_bytes()),
        device().prop_map(|m| m.to_bytes()),
    ]
}

proptest! {
    #[test]
    fn capabilities_round_trip(x in capability()) {
        round_trips(&x)?;
    }

    #[test]
    fn attributes_round_trip_and_validate(x in attribute()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
    }

    #[test]
    fn actions_round_trip_and_validate(x in action()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
    }

    #[test]
    fn hub_commands_round_trip_and_validate(x in hub_command()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
    }

    #[test]
    fn hub_responses_round_trip_and_validate(x in hub_response()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
    }

    #[test]
    fn clients_round_trip_and_validate(x in client_info()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
    }

    #[test]
    fn endpoints_round_trip_and_validate(x in endpoint()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
    }

    #[test]
    fn unit_enumerations_round_trip(
        measure in select(MeasureKind::ALL),
        alarm in select(AlarmKind::ALL),
        lock in select(LockState::ALL),
        action in select(LockAction::ALL),
        source in select(LockSource::ALL),
        status in select(UserCodeStatus::ALL),
        mode in select(ThermostatMode::ALL),
        running in select(RunningState::ALL),
        radio in select(RadioKind::ALL),
        role in select(Role::ALL),
        failure in select(Failure::ALL),
    ) {
        round_trips(&measure)?;
        round_trips(&alarm)?;
        round_trips(&lock)?;
        round_trips(&action)?;
        round_trips(&source)?;
        round_trips(&status)?;
        round_trips(&mode)?;
        round_trips(&running)?;
        round_trips(&radio)?;
        round_trips(&role)?;
        round_trips(&failure)?;
    }

    #[test]
    fn commands_round_trip_through_bytes(x in command()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
        let bytes = x.to_bytes();
        prop_assert_eq!(Command::from_bytes(&bytes), Ok(x));
    }

    #[test]
    fn responses_round_trip_through_bytes(x in response()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
        let bytes = x.to_bytes();
        prop_assert_eq!(Response::from_bytes(&bytes), Ok(x));
    }

    #[test]
    fn events_round_trip_through_bytes(x in event()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
        let bytes = x.to_bytes();
        prop_assert_eq!(Event::from_bytes(&bytes), Ok(x));
    }

    #[test]
    fn devices_round_trip_through_bytes(x in device()) {
        prop_assert_eq!(x.validate(), Ok(()));
        round_trips(&x)?;
        let bytes = x.to_bytes();
        prop_assert_eq!(Device::from_bytes(&bytes), Ok(x));
    }

    #[test]
    fn arbitrary_bytes_that_decode_re_encode_exactly(bytes in vec(any::<u8>(), 0..96)) {
        bytes_re_encode_exactly(&bytes);
    }

    #[test]
    fn arbitrary_values_that_decode_re_encode_exactly(value in cbor_value()) {
        every_type_re_encodes_exactly(&value);
        bytes_re_encode_exactly(&encode(&value));
    }

    #[test]
    fn mutated_messages_that_decode_re_encode_exactly(
        bytes in message_bytes(),
        at in any::<Index>(),
        mask in 1u8..,
    ) {
        let mut mutated = bytes.clone();
        mutated[at.index(bytes.len())] ^= mask;
        bytes_re_encode_exactly(&mutated);
        // Cut short or with a byte appended, no message is accepted as the original.
        for longer_or_shorter in [&bytes[..bytes.len() - 1], &[bytes.as_slice(), &[0]].concat()] {
            bytes_re_encode_exactly(longer_or_shorter);
        }
    }
}

/// Every single-byte change to every documented example: whatever still decodes (a changed
/// number, a different code of the same shape) re-encodes to exactly the changed bytes, and
/// some changes do decode, so the check is not vacuous.
#[test]
fn every_one_byte_change_to_the_examples_re_encodes_exactly_or_is_refused() {
    let mut accepted = 0;
    for (label, message) in examples() {
        let bytes = message.to_bytes();
        for at in 0..bytes.len() {
            for mask in 1..=u8::MAX {
                let mut mutated = bytes.clone();
                mutated[at] ^= mask;
                if let Ok(decoded) = message.decode_like(&mutated) {
                    assert_eq!(
                        decoded.to_bytes(),
                        mutated,
                        "{label}: byte {at} ^ {mask:#04x}"
                    );
                    assert_ne!(decoded, message, "{label}: two encodings of one value");
                    accepted += 1;
                }
            }
        }
    }
    assert!(accepted > 1000, "only {accepted} mutants decoded");
}

/// The random values of `arbitrary_values_that_decode_re_encode_exactly` reach the decoders'
/// accepting paths often enough to test them, not only their refusals.
#[test]
fn random_values_are_often_enough_accepted_messages() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = cbor_value();
    let accepted = (0..2000)
        .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
        .filter(|v| {
            Command::from_value(v).is_ok()
                || Response::from_value(v).is_ok()
                || Event::from_value(v).is_ok()
        })
        .count();
    assert!(
        accepted >= 20,
        "only {accepted} of 2000 random values were messages"
    );
}
