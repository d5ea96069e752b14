//! Reports from a node on hostile bytes, through the Z-Wave translation
//! (`sealhub::gateway::zwave`): whatever `CommandClassFrame::decode` accepts is counted for an
//! end point (`report_endpoint`), converted (`attributes_of_report_with`, one colour memory for
//! the whole input) and asked for its follow-up requests, against a node whose end points map
//! every capability. Nothing panics, and every value is within the model's range.
//!
//! Input: frames, each `[end point, length, cc, command, parameters..]` (length counts from
//! the cc).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealhub::definitions::Definitions;
use sealhub::gateway::Mapping;
use sealhub::gateway::zwave::{
    COLD_MIREDS, ColorComponents, WARM_MIREDS, attributes_of_report_with, follow_up, mapping,
    report_endpoint,
};
use sealhub::model::Attribute;
use sealhub::radio::zwave_nodes::{CommandClassRecord, DeviceKind, EndpointRecord, NodeRecord};
use sealhub_radios::zwave::cc::CommandClassFrame;

/// A switch root with a colour light, a keypad lock, a thermostat, a metering multisensor and
/// a Basic-only switch as end points 1 to 5.
fn node_mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        let part = |endpoint, generic, classes: &[u8]| EndpointRecord {
            endpoint,
            generic,
            specific: 1,
            command_classes: classes.to_vec(),
        };
        let node = NodeRecord {
            node: 2,
            kind: DeviceKind {
                basic: 4,
                generic: 0x10,
                specific: 1,
            },
            sleeps: false,
            security: None,
            product: None,
            firmware: None,
            command_classes: [0x25, 0x60]
                .map(|cc| CommandClassRecord {
                    cc,
                    secure: false,
                    version: Some(1),
                })
                .to_vec(),
            endpoints: vec![
                part(1, 0x11, &[0x26, 0x33]),
                part(2, 0x40, &[0x62, 0x63, 0x71]),
                part(3, 0x08, &[0x40, 0x43, 0x42, 0x31]),
                part(4, 0x07, &[0x31, 0x32, 0x71, 0x80]),
                part(5, 0x10, &[0x20]),
            ],
        };
        mapping(&node, &Definitions::default())
    })
}

fn check(a: &Attribute) {
    match a {
        Attribute::Level(l) => assert!(*l <= 10_000, "{a:?}"),
        Attribute::ColorTemperature(m) => assert!((COLD_MIREDS..=WARM_MIREDS).contains(m), "{a:?}"),
        Attribute::UserCode { slot, .. } => assert!(*slot >= 1, "{a:?}"),
        Attribute::BatteryPercent(p) => assert!(*p <= 100, "{a:?}"),
        _ => {}
    }
}

fuzz_target!(|input: &[u8]| {
    let m = node_mapping();
    let mut colors = ColorComponents::new();
    let mut rest = input;
    while let [endpoint, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (frame, next) = tail.split_at(len);
        rest = next;
        let Ok(report) = CommandClassFrame::decode(frame) else {
            continue;
        };
        let ep = report_endpoint(m, *endpoint, &report);
        for a in attributes_of_report_with(m, ep, &report, &mut colors) {
            check(&a);
        }
        let _ = follow_up(m, ep, &report);
    }
});
