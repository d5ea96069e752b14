//! Properties over arbitrary input: whatever a device reports (any attribute of the mapped
//! clusters, any value of any type) converts without panicking into values inside the model's
//! ranges; levels and colours the hub sends come back as the same model value.

use proptest::prelude::*;
use sealhub_radios::zigbee::zcl::Value;

use super::*;
use crate::gateway::ZigbeeOp;
use crate::gateway::zigbee::{action, attributes_of_report};
use crate::model::{Action, AlarmKind, Attribute as A, Capability as C, MeasureKind as M};
use sealhub_radios::zigbee::zcl::ClusterCommand;
use sealhub_radios::zigbee::zcl::clusters::{color, level};

fn everything() -> Mapping {
    let mut m = one_endpoint(vec![
        cap(C::OnOff),
        cap(C::Level),
        cap(C::Color),
        cap(C::DoorLock),
        cap(C::Thermostat),
        cap(C::Measurement(M::Temperature)),
        cap(C::Measurement(M::Humidity)),
        cap(C::Measurement(M::Illuminance)),
        scaled(cap(C::Measurement(M::Power)), 7, 3),
        cap(C::Measurement(M::Energy)),
        cap(C::Measurement(M::Voltage)),
        cap(C::Measurement(M::Current)),
        cap_from(C::Alarm(AlarmKind::Motion), 0x0406),
        cap_from(C::Alarm(AlarmKind::Contact), 0x0500),
        cap(C::Alarm(AlarmKind::Tamper)),
        cap(C::Battery),
    ]);
    m.endpoints[0].capabilities[1].options.invert = true;
    m
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u8>().prop_map(Value::Boolean),
        any::<u8>().prop_map(Value::Enum8),
        any::<u16>().prop_map(Value::Enum16),
        (1u8..=8, any::<u64>()).prop_map(|(width, v)| Value::Bitmap { width, value: v }),
        (1u8..=8, any::<u64>()).prop_map(|(width, v)| {
            let v = if width == 8 {
                v
            } else {
                v & ((1 << (width * 8)) - 1)
            };
            Value::uint(width, v)
        }),
        (1u8..=8, any::<i64>()).prop_map(|(width, v)| {
            let bits = u32::from(width) * 8;
            let v = if width == 8 {
                v
            } else {
                (v << (64 - bits)) >> (64 - bits)
            };
            Value::int(width, v)
        }),
        any::<u32>().prop_map(Value::UtcTime),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..4)).prop_map(Value::CharString),
    ]
}

fn cluster() -> impl Strategy<Value = u16> {
    prop::sample::select(vec![
        0x0001u16, 0x0006, 0x0008, 0x0101, 0x0201, 0x0300, 0x0400, 0x0402, 0x0405, 0x0406, 0x0500,
        0x0702, 0x0B04, 0x1234,
    ])
}

fn attribute_id() -> impl Strategy<Value = u16> {
    prop_oneof![
        0u16..0x0030,
        prop::sample::select(vec![
            0x003Eu16, 0x0300, 0x0301, 0x0302, 0x0400, 0x0505, 0x0508, 0x050B, 0x0600, 0x0601,
            0x0602, 0x0603, 0x0604, 0x0605, 0x4000,
        ]),
    ]
}

fn in_model_range(a: &A) -> bool {
    match a {
        A::Level(l) => *l <= 10_000,
        A::ColorHs { hue, saturation } => *hue < 36_000 && *saturation <= 10_000,
        A::ColorXy { x, y } => *x <= 0xFEFF && *y <= 0xFEFF,
        A::ColorTemperature(m) => (1..=0xFEFF).contains(m),
        A::BatteryPercent(p) => *p <= 100,
        A::LocalTemperature(t) | A::HeatingSetpoint(t) | A::CoolingSetpoint(t) => {
            (-27_315..=32_767).contains(t)
        }
        A::Measurement {
            kind: M::Humidity,
            value,
        } => (0..=10_000).contains(value),
        A::Measurement {
            kind: M::Temperature,
            value,
        } => (-27_315..=32_767).contains(value),
        A::Measurement {
            kind: M::Illuminance,
            value,
        } => (0..=3_576_000).contains(value),
        _ => true,
    }
}

proptest! {
    #[test]
    fn arbitrary_reports_convert_into_the_models_ranges(
        cluster in cluster(),
        values in prop::collection::vec((attribute_id(), value()), 0..8),
    ) {
        let m = everything();
        for a in attributes_of_report(&m, 1, cluster, &values) {
            prop_assert!(in_model_range(&a), "{a:?} from {values:?}");
            prop_assert!(
                m.model_endpoints()[0].capabilities.contains(&a.capability()),
                "{a:?} is not of a mapped capability"
            );
        }
    }

    #[test]
    fn a_level_sent_comes_back_within_one_step(level in 0u16..=10_000) {
        let m = one_endpoint(vec![cap(C::Level)]);
        let ops = action(&m, 1, &Action::SetLevel { level, transition: None }).unwrap();
        let ZigbeeOp::Command {
            command: ClusterCommand::LevelControl(level::ToServer::MoveToLevelWithOnOff(c)),
            ..
        } = &ops[0] else {
            panic!("{ops:?}")
        };
        let back = attributes_of_report(&m, 1, 0x0008, &[(0, uint(1, u64::from(c.level)))]);
        let [A::Level(back)] = back[..] else { panic!("{back:?}") };
        // One ZCL step is 10000/254 = 39.4 (0.01 %); rounding both ways loses at most half.
        prop_assert!(back.abs_diff(level) <= 20, "{level} came back as {back}");
    }

    #[test]
    fn a_hue_and_saturation_sent_come_back_within_one_step(
        hue in 0u16..36_000,
        saturation in 0u16..=10_000,
    ) {
        let m = one_endpoint(vec![cap(C::Color)]);
        let ops = action(&m, 1, &Action::SetColorHs { hue, saturation }).unwrap();
        let ZigbeeOp::Command {
            command: ClusterCommand::ColorControl(color::ToServer::MoveToHueAndSaturation(c)),
            ..
        } = &ops[0] else {
            panic!("{ops:?}")
        };
        let back = attributes_of_report(&m, 1, 0x0300, &[
            (0x0000, uint(1, u64::from(c.hue))),
            (0x0001, uint(1, u64::from(c.saturation))),
        ]);
        let [A::ColorHs { hue: h, saturation: s }] = back[..] else { panic!("{back:?}") };
        // Hue on a circle: 35990 and 0 are 10 apart.
        let around = h.abs_diff(hue).min(36_000 - h.abs_diff(hue));
        prop_assert!(around <= 71, "hue {hue} came back as {h}");
        prop_assert!(s.abs_diff(saturation) <= 20, "saturation {saturation} came back as {s}");
    }
}
