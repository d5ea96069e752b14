//! Tests of the Z-Wave translation: the mapping of every emulated node kind's interview record
//! and of definitions ([`mapping`]), reports into model values with worked values from the
//! specification ([`reports`]), and every action's exact frames and refusals ([`actions`]).
//! Frames are written as the bytes SDS13781 lays out, decoded with the driver's codec.

mod actions;
mod mapping;
mod reports;

use sealhub_radios::zwave::cc::CommandClassFrame;

use crate::definitions::{Definitions, MappingOptions};
use crate::gateway::{Mapping, ZwaveOp};
use crate::radio::zwave_nodes::{
    CommandClassRecord, DeviceKind, EndpointRecord, NodeRecord, ProductIds,
};

/// The emulator's Manufacturer Specific: manufacturer 0xFFFF, product type "SH", product id
/// the generic device class.
fn product(generic: u8) -> Option<ProductIds> {
    Some(ProductIds {
        manufacturer_id: 0xFFFF,
        product_type: 0x5348,
        product_id: u16::from(generic),
    })
}

/// A record as the interview keeps it: a routing end node of `generic`/`specific` with
/// `classes` (its node information frame and secure list, Security left out).
fn record(generic: u8, specific: u8, classes: &[u8], endpoints: Vec<EndpointRecord>) -> NodeRecord {
    NodeRecord {
        node: 2,
        kind: DeviceKind {
            basic: 0x04,
            generic,
            specific,
        },
        sleeps: classes.contains(&0x84),
        security: None,
        product: product(generic),
        firmware: Some("1.0".into()),
        command_classes: classes
            .iter()
            .map(|&cc| CommandClassRecord {
                cc,
                secure: false,
                version: Some(1),
            })
            .collect(),
        endpoints,
    }
}

/// `SimNode::binary_switch`.
fn binary_switch() -> NodeRecord {
    record(0x10, 0x01, &[0x5E, 0x25, 0x85, 0x86, 0x72], Vec::new())
}

/// `SimNode::sleeping_sensor`: Binary Sensor (not mapped), Battery.
fn sleeping_sensor() -> NodeRecord {
    record(
        0x20,
        0x01,
        &[0x5E, 0x30, 0x84, 0x80, 0x85, 0x86, 0x72],
        Vec::new(),
    )
}

/// `SimNode::thermostat`.
fn thermostat() -> NodeRecord {
    record(
        0x08,
        0x06,
        &[0x5E, 0x6C, 0x40, 0x43, 0x42, 0x31, 0x85, 0x86, 0x72],
        Vec::new(),
    )
}

/// `SimNode::metering_plug`: two outlets as end points 1 and 2, the root mirroring outlet 1.
fn metering_plug() -> NodeRecord {
    let outlet = |endpoint| EndpointRecord {
        endpoint,
        generic: 0x10,
        specific: 0x01,
        command_classes: vec![0x25, 0x32, 0x6C],
    };
    record(
        0x10,
        0x01,
        &[0x5E, 0x6C, 0x25, 0x32, 0x60, 0x70, 0x85, 0x86, 0x72],
        vec![outlet(1), outlet(2)],
    )
}

/// `SimNode::multisensor`.
fn multisensor() -> NodeRecord {
    record(
        0x07,
        0x01,
        &[0x5E, 0x6C, 0x84, 0x80, 0x31, 0x71, 0x85, 0x86, 0x72],
        Vec::new(),
    )
}

/// `SimNode::bulb`.
fn bulb() -> NodeRecord {
    record(
        0x11,
        0x01,
        &[0x5E, 0x6C, 0x26, 0x33, 0x85, 0x86, 0x72],
        Vec::new(),
    )
}

/// `SecureNode::door_lock`: Door Lock, User Code and Supervision under S2 Access Control.
fn door_lock() -> NodeRecord {
    record(
        0x40,
        0x03,
        &[0x5E, 0x86, 0x72, 0x62, 0x63, 0x6C],
        Vec::new(),
    )
}

/// `SecureNode::dimmer`.
fn dimmer() -> NodeRecord {
    record(0x11, 0x01, &[0x5E, 0x86, 0x72, 0x26, 0x6C], Vec::new())
}

/// `SecureNode::siren`: Binary Switch under S0.
fn siren() -> NodeRecord {
    record(0x10, 0x05, &[0x86, 0x72, 0x25], Vec::new())
}

/// The generic mapping of `node`.
fn generic(node: &NodeRecord) -> Mapping {
    super::mapping(node, &Definitions::default())
}

/// Decodes spec bytes with the driver's codec.
fn frame(bytes: &[u8]) -> CommandClassFrame {
    CommandClassFrame::decode(bytes).unwrap_or_else(|e| panic!("{bytes:02x?}: {e}"))
}

/// The ops as (end point, encoded frame), to compare with the specification's bytes.
fn wire(ops: &[ZwaveOp]) -> Vec<(u8, Vec<u8>)> {
    ops.iter()
        .map(|ZwaveOp::Send { endpoint, command }| {
            (*endpoint, command.encode().expect("encodable"))
        })
        .collect()
}

/// A mapping with one end point's options replaced on every capability entry.
fn with_options(mut m: Mapping, endpoint: u8, options: MappingOptions) -> Mapping {
    for e in m.endpoints.iter_mut().filter(|e| e.endpoint == endpoint) {
        for c in &mut e.capabilities {
            c.options = options.clone();
        }
    }
    m
}

/// A node with one part per kind of capability, so every translation path is mapped: a
/// dimmable colour light (1), a keypad lock with notifications (2), a thermostat (3), a
/// metering multisensor with a battery (4), a Basic-only switch (5).
fn everything() -> NodeRecord {
    let part = |endpoint, generic, classes: &[u8]| EndpointRecord {
        endpoint,
        generic,
        specific: 0x01,
        command_classes: classes.to_vec(),
    };
    record(
        0x10,
        0x01,
        &[0x25, 0x60],
        vec![
            part(1, 0x11, &[0x26, 0x33]),
            part(2, 0x40, &[0x62, 0x63, 0x71]),
            part(3, 0x08, &[0x40, 0x43, 0x42, 0x31]),
            part(4, 0x07, &[0x31, 0x32, 0x71, 0x80]),
            part(5, 0x10, &[0x20]),
        ],
    )
}

/// Panics when a value is outside the model's range.
fn in_range(a: &crate::model::Attribute) {
    use crate::model::Attribute;
    match a {
        Attribute::Level(l) => assert!(*l <= 10_000, "{a:?}"),
        Attribute::ColorHs { hue, saturation } => {
            assert!(*hue < 36_000 && *saturation <= 10_000, "{a:?}")
        }
        Attribute::ColorTemperature(m) => {
            assert!(
                (super::COLD_MIREDS..=super::WARM_MIREDS).contains(m),
                "{a:?}"
            )
        }
        Attribute::UserCode { slot, .. } => assert!(*slot >= 1, "{a:?}"),
        Attribute::LockOperation { slot, .. } => assert!(*slot != Some(0), "{a:?}"),
        Attribute::BatteryPercent(p) => assert!(*p <= 100, "{a:?}"),
        _ => {}
    }
}
