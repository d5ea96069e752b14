//! Zigbee ZCL to the device model and back: a device's interview becomes a [`Mapping`] (its
//! definition, or the generic fallback by cluster), its attribute reports and cluster
//! commands become [`Attribute`]s, and an [`Action`] becomes the [`ZigbeeOp`]s that carry it
//! out. Pure functions: no I/O, no clock.
//!
//! How the core uses them, per device:
//! - after the interview: [`mapping`], then run [`setup`]'s ops (binds, reporting, IAS
//!   enrolment, the first reads). Ops are independent: one that fails (a light without hue
//!   refusing hue reporting) does not make the rest wrong.
//! - every read's records: first [`refine`] (a read can carry what the interview could not:
//!   an IAS zone's type, a meter's multiplier and divisor; a `Some` is the device's new mapping,
//!   to keep and, when its capabilities changed, to announce), then [`attributes_of_report`]
//!   with the successful records.
//! - every attribute report: [`attributes_of_report`], and [`completing_reads`] for a colour
//!   report that carried only one half of a pair.
//! - every cluster command from the device: [`refine_by_command`], [`replies`] (the ops that
//!   answer it: a zone's Zone Enroll Request) and [`attributes_of_command`].
//! - a client's action: [`action`]; once the device confirmed it, [`state_set_by`] says the
//!   state it set (no read back), or `None` (read back the cluster it touched).
//!
//! The mapping is the only state the conversions need: what the reads teach is kept in it
//! ([`refine`]), never in a hidden cache. The decisions (IAS zone kinds, multipliers and
//! divisors) are documented in `describe.rs`; the table of which attributes each capability
//! holds is `sources.rs`.

mod action;
mod command;
mod confirmed;
mod describe;
mod report;
mod setup;
mod sources;
mod units;

#[cfg(test)]
mod tests;

use super::{Mapping, Refusal, ZigbeeOp};
use crate::definitions::Definitions;
use crate::model::{Action, Attribute};
use sealhub_radios::zigbee::driver::DeviceDescription;
use sealhub_radios::zigbee::zcl::foundation::ReadAttributeRecord;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};

/// How an interviewed device maps onto the model: its definition by Basic `manufacturerName`
/// and `modelId`, or else the generic mapping of the clusters its endpoints serve.
pub fn mapping(description: &DeviceDescription, definitions: &Definitions) -> Mapping {
    describe::mapping(description, definitions)
}

/// What to ask of a newly mapped device so that its reports reach the hub: binds, reporting
/// configuration, IAS zone enrolment (writing `hub_eui64` as the CIE address), first reads.
pub fn setup(mapping: &Mapping, hub_eui64: u64) -> Vec<ZigbeeOp> {
    setup::setup(mapping, hub_eui64)
}

/// Reads of every attribute the endpoint's capabilities hold; the results go through
/// [`refine`] and [`attributes_of_report`].
pub fn refresh(mapping: &Mapping, endpoint: u8) -> Vec<ZigbeeOp> {
    setup::refresh(mapping, endpoint)
}

/// The model values an attribute report (or the successful records of a read) of `cluster`
/// on `endpoint` carries, scaled and inverted as the mapping says; attributes the mapping does
/// not expose are left out.
pub fn attributes_of_report(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    attributes: &[(u16, Value)],
) -> Vec<Attribute> {
    report::attributes_of_report(mapping, endpoint, cluster, attributes)
}

/// The model values a cluster command from the device carries (IAS Zone Status Change
/// Notification, a door lock's Operation Event Notification).
pub fn attributes_of_command(
    mapping: &Mapping,
    endpoint: u8,
    command: &ClusterCommand,
) -> Vec<Attribute> {
    command::attributes_of_command(mapping, endpoint, command)
}

/// The requests that carry out `action` on `endpoint`, or why not.
pub fn action(mapping: &Mapping, endpoint: u8, action: &Action) -> Result<Vec<ZigbeeOp>, Refusal> {
    action::action(mapping, endpoint, action)
}

/// The state `action` on `endpoint` leaves the device in once the device confirmed its request
/// (Default Response SUCCESS, Write Attributes Response SUCCESS), as the device's report would
/// bring it; `None` when the request does not say (Toggle, a transition, a lock, user codes,
/// Refresh): then the state is read back.
pub fn state_set_by(mapping: &Mapping, endpoint: u8, action: &Action) -> Option<Vec<Attribute>> {
    confirmed::state_set_by(mapping, endpoint, action)
}

/// The device's mapping after a read of `cluster` on `endpoint` (all its records, failed ones
/// included: "unsupported attribute" is an answer too), or `None` when the read teaches
/// nothing new. What a read can teach: an IAS zone's `ZoneType` (its alarm kind), an
/// Electrical Measurement or Metering multiplier and divisor (kept as the capability's
/// `scale`), a meter's unit that is not kWh (its capabilities dropped).
pub fn refine(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    records: &[ReadAttributeRecord],
) -> Option<Mapping> {
    describe::refine(mapping, endpoint, cluster, records)
}

/// The device's mapping once the IAS zone on `endpoint` is known to be of `zone_type`: its
/// alarm kind exposed (or none, for a type the model has no kind for); `None` when nothing
/// changes (the kind was known, the endpoint has no zone, or a definition names the kind).
pub fn refine_ias(mapping: &Mapping, endpoint: u8, zone_type: u16) -> Option<Mapping> {
    describe::refine_ias(mapping, endpoint, zone_type)
}

/// The device's mapping after a cluster command that tells something about it (a Zone Enroll
/// Request names the zone type), or `None`.
pub fn refine_by_command(
    mapping: &Mapping,
    endpoint: u8,
    command: &ClusterCommand,
) -> Option<Mapping> {
    describe::refine_by_command(mapping, endpoint, command)
}

/// The requests that answer a cluster command from the device: a Zone Enroll Response to an
/// IAS zone's Zone Enroll Request; nothing for the others.
pub fn replies(mapping: &Mapping, endpoint: u8, command: &ClusterCommand) -> Vec<ZigbeeOp> {
    command::replies(mapping, endpoint, command)
}

/// A read of what an attribute report of `cluster` left half-said (CIE x without y, hue
/// without saturation), so that the answer converts on its own; empty when nothing is
/// missing. For reports only: a read's answer that still lacks a half (the device does not
/// have it) must not be asked again.
pub fn completing_reads(
    mapping: &Mapping,
    endpoint: u8,
    cluster: u16,
    attributes: &[(u16, Value)],
) -> Vec<ZigbeeOp> {
    report::completing_reads(mapping, endpoint, cluster, attributes)
}
