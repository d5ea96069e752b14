//! Attribute reports and reads to model values, cluster by cluster, with the values the ZCL
//! specification defines for each attribute (ZCL 8, the section named per test), the mapping's
//! `invert` and `scale`, and what must give nothing: ZCL's invalid values, values out of
//! range, the wrong kind of type, an attribute half of a pair, a factor not yet known.

use sealhub_radios::zigbee::zcl::Value;

use super::*;
use crate::gateway::ZigbeeOp;
use crate::gateway::zigbee::{attributes_of_report, completing_reads};
use crate::model::{
    AlarmKind, Attribute as A, Capability as C, LockState, MeasureKind as M, RunningState,
    ThermostatMode,
};

fn report(m: &Mapping, cluster: u16, values: &[(u16, Value)]) -> Vec<A> {
    attributes_of_report(m, 1, cluster, values)
}

fn measured(kind: M, value: i64) -> A {
    A::Measurement { kind, value }
}

#[test]
fn on_off() {
    // ZCL 8 §3.8 On/Off, OnOff: boolean.
    let m = one_endpoint(vec![cap(C::OnOff)]);
    assert_eq!(
        report(&m, 0x0006, &[(0, Value::Boolean(1))]),
        [A::OnOff(true)]
    );
    assert_eq!(
        report(&m, 0x0006, &[(0, Value::Boolean(0))]),
        [A::OnOff(false)]
    );
    // 0xFF is the invalid boolean; 2 is no boolean at all.
    assert_eq!(report(&m, 0x0006, &[(0, Value::Boolean(0xFF))]), []);
    assert_eq!(report(&m, 0x0006, &[(0, Value::Boolean(2))]), []);
    // An attribute the mapping does not know, another cluster, another endpoint.
    assert_eq!(report(&m, 0x0006, &[(0x4003, Value::Enum8(1))]), []);
    assert_eq!(report(&m, 0x0008, &[(0, uint(1, 5))]), []);
    assert_eq!(
        attributes_of_report(&m, 2, 0x0006, &[(0, Value::Boolean(1))]),
        []
    );
    let relay = one_endpoint(vec![inverted(C::OnOff)]);
    assert_eq!(
        report(&relay, 0x0006, &[(0, Value::Boolean(1))]),
        [A::OnOff(false)]
    );
}

#[test]
fn level() {
    // ZCL 8 §3.10 Level Control, CurrentLevel: 0..=254, 254 the maximum.
    let m = one_endpoint(vec![cap(C::Level)]);
    assert_eq!(report(&m, 0x0008, &[(0, uint(1, 254))]), [A::Level(10_000)]);
    assert_eq!(report(&m, 0x0008, &[(0, uint(1, 127))]), [A::Level(5_000)]);
    assert_eq!(report(&m, 0x0008, &[(0, uint(1, 1))]), [A::Level(39)]);
    assert_eq!(report(&m, 0x0008, &[(0, uint(1, 0xFF))]), []);
    // A signed value where ZCL has uint8, or a wider one out of range.
    assert_eq!(report(&m, 0x0008, &[(0, int(1, 100))]), []);
    assert_eq!(report(&m, 0x0008, &[(0, uint(2, 300))]), []);
    let blind = one_endpoint(vec![inverted(C::Level)]);
    assert_eq!(report(&blind, 0x0008, &[(0, uint(1, 254))]), [A::Level(0)]);
    assert_eq!(
        report(&blind, 0x0008, &[(0, uint(1, 0))]),
        [A::Level(10_000)]
    );
}

#[test]
fn color() {
    // ZCL 8 §5.2 Color Control.
    let m = one_endpoint(vec![cap(C::Color)]);
    let hs = [(0x0000, uint(1, 127)), (0x0001, uint(1, 254))];
    assert_eq!(
        report(&m, 0x0300, &hs),
        [A::ColorHs {
            hue: 18_000,
            saturation: 10_000
        }]
    );
    // The emulated bulb's initial CIE xy (0x616B, 0x607D) and 250 mireds.
    let all = [
        (0x0003, uint(2, 0x616B)),
        (0x0004, uint(2, 0x607D)),
        (0x0007, uint(2, 250)),
    ];
    assert_eq!(
        report(&m, 0x0300, &all),
        [
            A::ColorXy {
                x: 0x616B,
                y: 0x607D
            },
            A::ColorTemperature(250)
        ]
    );
    // With ColorMode (0x0008): only the active mode's colour.
    let mut with_mode = all.to_vec();
    with_mode.extend(hs);
    with_mode.push((0x0008, Value::Enum8(2)));
    assert_eq!(report(&m, 0x0300, &with_mode), [A::ColorTemperature(250)]);
    with_mode.pop();
    with_mode.push((0x0008, Value::Enum8(0)));
    assert_eq!(
        report(&m, 0x0300, &with_mode),
        [A::ColorHs {
            hue: 18_000,
            saturation: 10_000
        }]
    );
    // Enhanced hue (a turn in 65536) wins over CurrentHue.
    let enhanced = [
        (0x0000, uint(1, 10)),
        (0x4000, uint(2, 0x4000)),
        (0x0001, uint(1, 127)),
    ];
    assert_eq!(
        report(&m, 0x0300, &enhanced),
        [A::ColorHs {
            hue: 9_000,
            saturation: 5_000
        }]
    );
    // Half a pair, coordinates above 0xFEFF, the undefined 0 mireds: nothing.
    assert_eq!(report(&m, 0x0300, &[(0x0003, uint(2, 0x616B))]), []);
    assert_eq!(report(&m, 0x0300, &[(0x0000, uint(1, 10))]), []);
    assert_eq!(
        report(
            &m,
            0x0300,
            &[(0x0003, uint(2, 0xFF00)), (0x0004, uint(2, 1))]
        ),
        []
    );
    assert_eq!(report(&m, 0x0300, &[(0x0007, uint(2, 0))]), []);
    assert_eq!(report(&m, 0x0300, &[(0x0007, uint(2, 0xFFFF))]), []);
}

#[test]
fn lock_state() {
    // ZCL 8 §7.3 Door Lock, LockState: 0 not fully locked, 1 locked, 2 unlocked, 0xFF
    // undefined.
    let m = one_endpoint(vec![cap(C::DoorLock)]);
    for (raw, state) in [
        (0, LockState::Jammed),
        (1, LockState::Locked),
        (2, LockState::Unlocked),
        (3, LockState::Unknown),
        // LockState defines 0xFF itself: "undefined", the lock does not know.
        (0xFF, LockState::Unknown),
    ] {
        assert_eq!(
            report(&m, 0x0101, &[(0, Value::Enum8(raw))]),
            [A::LockState(state)]
        );
    }
    assert_eq!(report(&m, 0x0101, &[(0, int(1, 1))]), []);
}

#[test]
fn thermostat() {
    // ZCL 8 §6.3 Thermostat: temperatures int16 in 0.01 °C (0x8000 invalid), SystemMode,
    // ThermostatRunningState.
    let m = one_endpoint(vec![cap(C::Thermostat)]);
    let values = [
        (0x0000, int(2, 2100)),
        (0x0012, int(2, 2000)),
        (0x0011, int(2, 2600)),
        (0x001C, Value::Enum8(4)),
        (0x0029, Value::Bitmap { width: 2, value: 1 }),
    ];
    assert_eq!(
        report(&m, 0x0201, &values),
        [
            A::LocalTemperature(2100),
            A::HeatingSetpoint(2000),
            A::CoolingSetpoint(2600),
            A::ThermostatMode(ThermostatMode::Heat),
            A::RunningState(RunningState::Heating),
        ]
    );
    assert_eq!(report(&m, 0x0201, &[(0x0000, int(2, -32_768))]), []);
    assert_eq!(
        report(&m, 0x0201, &[(0x0000, int(2, -550))]),
        [A::LocalTemperature(-550)]
    );
    for (raw, mode) in [
        (0, ThermostatMode::Off),
        (1, ThermostatMode::Auto),
        (3, ThermostatMode::Cool),
        (4, ThermostatMode::Heat),
        (5, ThermostatMode::EmergencyHeat),
        (7, ThermostatMode::FanOnly),
        (8, ThermostatMode::Dry),
    ] {
        assert_eq!(
            report(&m, 0x0201, &[(0x001C, Value::Enum8(raw))]),
            [A::ThermostatMode(mode)]
        );
    }
    for raw in [2, 6, 9, 0xFF] {
        assert_eq!(report(&m, 0x0201, &[(0x001C, Value::Enum8(raw))]), []);
    }
    for (bits, state) in [
        (0b000_0000, RunningState::Idle),
        (0b000_0010, RunningState::Cooling),
        (0b001_0000, RunningState::Cooling),
        (0b000_1000, RunningState::Heating),
        (0b000_0100, RunningState::Fan),
        (0b100_0000, RunningState::Fan),
        (0b000_0110, RunningState::Cooling),
    ] {
        assert_eq!(
            report(
                &m,
                0x0201,
                &[(
                    0x0029,
                    Value::Bitmap {
                        width: 2,
                        value: bits
                    }
                )]
            ),
            [A::RunningState(state)]
        );
    }
}

#[test]
fn temperature_humidity_illuminance() {
    // ZCL 8 §4.4 Temperature Measurement: int16, 0.01 °C, 0x8000 invalid, not below
    // -273.15 °C.
    let t = one_endpoint(vec![cap(C::Measurement(M::Temperature))]);
    assert_eq!(
        report(&t, 0x0402, &[(0, int(2, 2150))]),
        [measured(M::Temperature, 2150)]
    );
    assert_eq!(
        report(&t, 0x0402, &[(0, int(2, -1234))]),
        [measured(M::Temperature, -1234)]
    );
    assert_eq!(report(&t, 0x0402, &[(0, int(2, -32_768))]), []);
    assert_eq!(report(&t, 0x0402, &[(0, int(2, -27_316))]), []);
    assert_eq!(report(&t, 0x0402, &[(0, uint(2, 2150))]), [], "unsigned");
    // A device that sends a wider type is held to the int16 range.
    assert_eq!(report(&t, 0x0402, &[(0, int(8, 32_768))]), []);
    assert_eq!(
        report(&t, 0x0402, &[(0, int(8, 32_767))]),
        [measured(M::Temperature, 32_767)]
    );
    // A sensor that reports tenths where ZCL says hundredths: scale 10/1.
    let tenths = one_endpoint(vec![scaled(cap(C::Measurement(M::Temperature)), 10, 1)]);
    assert_eq!(
        report(&tenths, 0x0402, &[(0, int(2, 215))]),
        [measured(M::Temperature, 2150)]
    );
    // The thermostat's own temperature as a measurement.
    let from_thermostat = one_endpoint(vec![cap_from(C::Measurement(M::Temperature), 0x0201)]);
    assert_eq!(
        report(&from_thermostat, 0x0201, &[(0, int(2, 1999))]),
        [measured(M::Temperature, 1999)]
    );
    // ZCL 8 §4.7 Relative Humidity: uint16, 0.01 %, 0..=10000, 0xFFFF invalid.
    let h = one_endpoint(vec![cap(C::Measurement(M::Humidity))]);
    assert_eq!(
        report(&h, 0x0405, &[(0, uint(2, 4500))]),
        [measured(M::Humidity, 4500)]
    );
    assert_eq!(report(&h, 0x0405, &[(0, uint(2, 10_001))]), []);
    assert_eq!(report(&h, 0x0405, &[(0, uint(2, 0xFFFF))]), []);
    // ZCL 8 §4.2 Illuminance: 10000 × log10(lux) + 1.
    let l = one_endpoint(vec![cap(C::Measurement(M::Illuminance))]);
    assert_eq!(
        report(&l, 0x0400, &[(0, uint(2, 30_001))]),
        [measured(M::Illuminance, 1_000)]
    );
    assert_eq!(
        report(&l, 0x0400, &[(0, uint(2, 0))]),
        [measured(M::Illuminance, 0)]
    );
    assert_eq!(report(&l, 0x0400, &[(0, uint(2, 0xFFFF))]), []);
}

fn plug(scale: Option<(i64, i64)>) -> Mapping {
    let with = |c: C| match scale {
        Some((n, d)) => scaled(cap(c), n, d),
        None => cap(c),
    };
    one_endpoint(vec![
        with(C::Measurement(M::Power)),
        with(C::Measurement(M::Energy)),
        with(C::Measurement(M::Voltage)),
        with(C::Measurement(M::Current)),
    ])
}

#[test]
fn electrical_measurement() {
    // ZCL 8 §4.9 Electrical Measurement: ActivePower (int16, W), RMSVoltage (uint16, V),
    // RMSCurrent (uint16, A), each × its multiplier / divisor. The emulated plug's values
    // with a 60 W load on 230 V: 600 / 10 W, 230 / 1 V, 260 / 1000 A.
    let read = [
        (0x050B, int(2, 600)),
        (0x0604, uint(2, 1)),
        (0x0605, uint(2, 10)),
        (0x0505, uint(2, 230)),
        (0x0600, uint(2, 1)),
        (0x0601, uint(2, 1)),
        (0x0508, uint(2, 260)),
        (0x0602, uint(2, 1)),
        (0x0603, uint(2, 1000)),
    ];
    assert_eq!(
        report(&plug(None), 0x0B04, &read),
        [
            measured(M::Power, 60_000),
            measured(M::Voltage, 230_000),
            measured(M::Current, 260),
        ]
    );
    // A report without the factors converts only once they are kept as scale.
    let power = [(0x050B, int(2, 600))];
    assert_eq!(report(&plug(None), 0x0B04, &power), []);
    assert_eq!(
        report(&plug(Some((1, 10))), 0x0B04, &power),
        [measured(M::Power, 60_000)]
    );
    // Power flowing back (negative), the invalid 0x8000, a divisor of 0.
    assert_eq!(
        report(&plug(Some((1, 1))), 0x0B04, &[(0x050B, int(2, -50))]),
        [measured(M::Power, -50_000)]
    );
    assert_eq!(
        report(&plug(Some((1, 1))), 0x0B04, &[(0x050B, int(2, -32_768))]),
        []
    );
    assert_eq!(
        report(
            &plug(None),
            0x0B04,
            &[
                (0x050B, int(2, 600)),
                (0x0604, uint(2, 1)),
                (0x0605, uint(2, 0))
            ]
        ),
        []
    );
    // Rounded to the nearest mW: 7 W × 1/3 = 2333.3 mW.
    assert_eq!(
        report(&plug(Some((1, 3))), 0x0B04, &[(0x050B, int(2, 7))]),
        [measured(M::Power, 2_333)]
    );
    // A factor that would overflow gives nothing, not a wrapped number.
    assert_eq!(
        report(
            &plug(Some((i64::MAX, 1))),
            0x0B04,
            &[(0x050B, int(2, 30_000))]
        ),
        []
    );
}

#[test]
fn metering() {
    // ZCL 8 §10.4 Metering: CurrentSummationDelivered (uint48, kWh) and InstantaneousDemand
    // (int24, kW), × Multiplier / Divisor. 123456 with divisor 1000: 123.456 kWh.
    let read = [
        (0x0000, uint(6, 123_456)),
        (0x0300, Value::Enum8(0)),
        (0x0301, uint(3, 1)),
        (0x0302, uint(3, 1000)),
    ];
    assert_eq!(
        report(&plug(None), 0x0702, &read),
        [measured(M::Energy, 123_456_000)]
    );
    let demand = one_endpoint(vec![scaled(
        cap_from(C::Measurement(M::Power), 0x0702),
        1,
        1000,
    )]);
    assert_eq!(
        report(&demand, 0x0702, &[(0x0400, int(3, 60))]),
        [measured(M::Power, 60_000)]
    );
    // The invalid uint48 (all ones) and int24 (0x800000).
    assert_eq!(
        report(
            &plug(Some((1, 1))),
            0x0702,
            &[(0x0000, uint(6, 0xFFFF_FFFF_FFFF))]
        ),
        []
    );
    assert_eq!(report(&demand, 0x0702, &[(0x0400, int(3, -0x80_0000))]), []);
    // The largest summation times a large multiplier does not fit an i64 in mWh: refused
    // rather than wrapped.
    let big = one_endpoint(vec![scaled(cap(C::Measurement(M::Energy)), 0xFF_FFFF, 1)]);
    assert_eq!(
        report(&big, 0x0702, &[(0x0000, uint(6, 0xFFFF_FFFF_FFFE))]),
        []
    );
}

#[test]
fn occupancy() {
    // ZCL 8 §4.8 Occupancy Sensing, Occupancy: bit 0 occupied.
    let m = one_endpoint(vec![cap_from(C::Alarm(AlarmKind::Motion), 0x0406)]);
    let occupancy = |bits: u64| {
        [(
            0x0000,
            Value::Bitmap {
                width: 1,
                value: bits,
            },
        )]
    };
    assert_eq!(
        report(&m, 0x0406, &occupancy(1)),
        [A::Alarm {
            kind: AlarmKind::Motion,
            active: true
        }]
    );
    assert_eq!(
        report(&m, 0x0406, &occupancy(0b10)),
        [A::Alarm {
            kind: AlarmKind::Motion,
            active: false
        }]
    );
    let mut motion = inverted(C::Alarm(AlarmKind::Motion));
    motion.source = Some(0x0406);
    let inv = one_endpoint(vec![motion]);
    assert_eq!(
        report(&inv, 0x0406, &occupancy(1)),
        [A::Alarm {
            kind: AlarmKind::Motion,
            active: false
        }]
    );
}

fn zone() -> Mapping {
    one_endpoint(vec![
        cap(C::Alarm(AlarmKind::Contact)),
        cap(C::Alarm(AlarmKind::Tamper)),
        cap(C::Battery),
    ])
}

#[test]
fn ias_zone_status() {
    // ZCL 8 §8.2 IAS Zone, ZoneStatus: bit 0 alarm 1, bit 2 tamper, bit 3 battery low.
    let status = |bits: u64| {
        [(
            0x0002,
            Value::Bitmap {
                width: 2,
                value: bits,
            },
        )]
    };
    let alarm = |kind, active| A::Alarm { kind, active };
    assert_eq!(
        report(&zone(), 0x0500, &status(0b0001)),
        [
            alarm(AlarmKind::Contact, true),
            alarm(AlarmKind::Tamper, false),
            A::BatteryLow(false)
        ]
    );
    assert_eq!(
        report(&zone(), 0x0500, &status(0b1100)),
        [
            alarm(AlarmKind::Contact, false),
            alarm(AlarmKind::Tamper, true),
            A::BatteryLow(true)
        ]
    );
    // A contact mounted the other way round.
    let mut reversed = zone();
    reversed.endpoints[0].capabilities[0].options.invert = true;
    assert_eq!(
        report(&reversed, 0x0500, &status(0b0001))[0],
        alarm(AlarmKind::Contact, false)
    );
    // Before the zone type is known: tamper and battery only.
    let unknown = one_endpoint(vec![cap(C::Alarm(AlarmKind::Tamper))]);
    assert_eq!(
        report(&unknown, 0x0500, &status(0b0101)),
        [alarm(AlarmKind::Tamper, true)]
    );
    // Attributes of the zone other than its status give nothing.
    assert_eq!(
        report(&zone(), 0x0500, &[(0x0001, Value::Enum16(0x15))]),
        []
    );
}

#[test]
fn battery() {
    // ZCL 8 §3.3 Power Configuration: BatteryPercentageRemaining in half percent (0xFF
    // invalid), BatteryAlarmState bits 0..3, BatteryVoltage and its minimum threshold in
    // 100 mV.
    let m = one_endpoint(vec![cap(C::Battery)]);
    assert_eq!(
        report(&m, 0x0001, &[(0x0021, uint(1, 200))]),
        [A::BatteryPercent(100)]
    );
    assert_eq!(
        report(&m, 0x0001, &[(0x0021, uint(1, 57))]),
        [A::BatteryPercent(29)]
    );
    assert_eq!(report(&m, 0x0001, &[(0x0021, uint(1, 0xFF))]), []);
    assert_eq!(report(&m, 0x0001, &[(0x0021, uint(1, 201))]), []);
    let alarm = |bits: u64| {
        (
            0x003E,
            Value::Bitmap {
                width: 4,
                value: bits,
            },
        )
    };
    assert_eq!(report(&m, 0x0001, &[alarm(0b0001)]), [A::BatteryLow(true)]);
    assert_eq!(report(&m, 0x0001, &[alarm(0b1000)]), [A::BatteryLow(true)]);
    // Bit 10 is battery source 2's: not this battery.
    assert_eq!(
        report(&m, 0x0001, &[alarm(1 << 10)]),
        [A::BatteryLow(false)]
    );
    let voltage = |v: u64, t: u64| [(0x0020, uint(1, v)), (0x0036, uint(1, t))];
    assert_eq!(report(&m, 0x0001, &voltage(24, 25)), [A::BatteryLow(true)]);
    assert_eq!(report(&m, 0x0001, &voltage(30, 25)), [A::BatteryLow(false)]);
    // No threshold set (0), or none read: voltage alone says nothing.
    assert_eq!(report(&m, 0x0001, &voltage(30, 0)), []);
    assert_eq!(report(&m, 0x0001, &[(0x0020, uint(1, 30))]), []);
}

#[test]
fn a_colour_report_missing_half_a_pair_asks_for_both() {
    let m = one_endpoint(vec![cap(C::Color)]);
    let read = |attributes: &[u16]| {
        vec![ZigbeeOp::Read {
            endpoint: 1,
            cluster: 0x0300,
            attributes: attributes.to_vec(),
        }]
    };
    assert_eq!(
        completing_reads(&m, 1, 0x0300, &[(0x0003, uint(2, 1))]),
        read(&[0x0003, 0x0004])
    );
    assert_eq!(
        completing_reads(&m, 1, 0x0300, &[(0x0001, uint(1, 1))]),
        read(&[0x0000, 0x0001])
    );
    assert_eq!(
        completing_reads(&m, 1, 0x0300, &[(0x4000, uint(2, 1)), (0x0004, uint(2, 1))]),
        read(&[0x0000, 0x0001, 0x0003, 0x0004])
    );
    assert_eq!(
        completing_reads(
            &m,
            1,
            0x0300,
            &[
                (0x0003, uint(2, 1)),
                (0x0004, uint(2, 1)),
                (0x0007, uint(2, 250))
            ]
        ),
        []
    );
    // Not a colour report, or no colour capability.
    assert_eq!(
        completing_reads(&m, 1, 0x0006, &[(0, Value::Boolean(1))]),
        []
    );
    let light = one_endpoint(vec![cap(C::OnOff)]);
    assert_eq!(
        completing_reads(&light, 1, 0x0300, &[(0x0003, uint(2, 1))]),
        []
    );
}
