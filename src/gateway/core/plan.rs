//! How a device action runs on its radio: the requests that carry it out, and how its new
//! state comes back (`docs/GATEWAY.md`, "The state in `Done`"). An absolute action is sent
//! alone and, once the device confirms it, answered with the state the translation says it
//! set; any other action is followed by reads of only the cluster or command class it acted
//! on. Used by `commands.rs` when a command's turn comes.

use super::Gateway;
use super::Output;
use super::outcome::Ticket;
use super::registry::{Address, DeviceEntry};
use crate::gateway::{Refusal, ZigbeeOp, ZwaveOp, zwave};
use crate::model::{Action, Attribute, Failure};
use sealhub_radios::zwave::cc::CommandClassFrame;

/// The radio requests that carry out one action.
#[derive(Debug)]
pub(super) enum RadioOps {
    Zigbee { node_id: u16, ops: Vec<ZigbeeOp> },
    Zwave { node: u16, ops: Vec<ZwaveOp> },
}

impl RadioOps {
    fn len(&self) -> usize {
        match self {
            RadioOps::Zigbee { ops, .. } => ops.len(),
            RadioOps::Zwave { ops, .. } => ops.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The output that hands these ops to the radio under `ticket`.
    pub(super) fn output(self, ticket: Ticket) -> Output {
        match self {
            RadioOps::Zigbee { node_id, ops } => Output::ZigbeeOps {
                ticket,
                node_id,
                ops,
            },
            RadioOps::Zwave { node, ops } => Output::ZwaveOps { ticket, node, ops },
        }
    }
}

/// How one action runs: its radio requests, and how its new state comes back.
pub(super) struct Plan {
    /// What goes to the radio first: the action, followed by the read-back of what it touched
    /// when the action's result is not known from the action itself.
    pub(super) ops: RadioOps,
    /// The state an absolute action sets, taken as the new state when the device confirms it
    /// ([`OpOutput::Confirmed`]); `None`: the read-back is in `ops` already.
    pub(super) sets: Option<Vec<Attribute>>,
    /// The read-back of what the action touched, sent afterwards when the device did not
    /// confirm an absolute action; `None` when nothing is to be read (or it is in `ops`).
    pub(super) read_back: Option<RadioOps>,
    /// How many of `ops` carry the action (the rest read back).
    pub(super) action_ops: usize,
}

impl Plan {
    /// An action of `action_ops` ops followed by its read-back (or none) in one request.
    fn together(ops: RadioOps, sets: Option<Vec<Attribute>>, action_ops: usize) -> Plan {
        Plan {
            ops,
            sets,
            read_back: None,
            action_ops,
        }
    }

    /// An absolute action sent alone, `read_back` kept for when the device does not confirm
    /// it; a sleeping device gets both in one request (a second one would wait for its next
    /// wake-up).
    fn absolute(ops: RadioOps, sets: Vec<Attribute>, read_back: RadioOps, sleeps: bool) -> Plan {
        let action_ops = ops.len();
        match (ops, read_back) {
            (RadioOps::Zigbee { node_id, mut ops }, RadioOps::Zigbee { ops: reads, .. })
                if sleeps =>
            {
                ops.extend(reads);
                Plan::together(RadioOps::Zigbee { node_id, ops }, Some(sets), action_ops)
            }
            (RadioOps::Zwave { node, mut ops }, RadioOps::Zwave { ops: reads, .. }) if sleeps => {
                ops.extend(reads);
                Plan::together(RadioOps::Zwave { node, ops }, Some(sets), action_ops)
            }
            (ops, read_back) => Plan {
                ops,
                sets: Some(sets),
                read_back: (!read_back.is_empty()).then_some(read_back),
                action_ops,
            },
        }
    }
}

/// The Zigbee clusters `ops` act on (commands and writes).
fn zigbee_clusters(ops: &[ZigbeeOp]) -> Vec<u16> {
    ops.iter()
        .filter_map(|op| match op {
            ZigbeeOp::Command { command, .. } => Some(command.cluster_id()),
            ZigbeeOp::Write { cluster, .. } => Some(*cluster),
            _ => None,
        })
        .collect()
}

/// The Z-Wave command classes `ops` act on.
fn zwave_classes(ops: &[ZwaveOp]) -> Vec<u8> {
    ops.iter()
        .filter_map(|ZwaveOp::Send { command, .. }| command_class(command))
        .collect()
}

/// A Z-Wave command's command class id (its first byte).
fn command_class(command: &CommandClassFrame) -> Option<u8> {
    command.encode().ok()?.first().copied()
}

impl Gateway {
    /// The radio requests for `action` on `endpoint` of `d`, and how its new state comes back:
    /// an absolute action (on, off, a level at once, a setpoint, ...) is sent alone and, once
    /// the device confirms it, answered with the state it set; any other action is followed
    /// by a read of only what it touched (the cluster or command class it acted on).
    pub(super) fn plan(
        &self,
        d: &DeviceEntry,
        endpoint: u8,
        action: &Action,
    ) -> Result<Plan, Refusal> {
        if d.mapping.endpoint(endpoint).is_none() {
            return Err(Refusal::new(
                Failure::UnknownDevice,
                format!("the {} has no part numbered {endpoint}", d.name),
            ));
        }
        let refresh = matches!(action, Action::Refresh);
        match d.address {
            Address::Zigbee { node_id, .. } => {
                let mut ops = self
                    .translation
                    .zigbee_action(&d.mapping, endpoint, action)?;
                if refresh {
                    let count = ops.len();
                    return Ok(Plan::together(
                        RadioOps::Zigbee { node_id, ops },
                        None,
                        count,
                    ));
                }
                let touched = zigbee_clusters(&ops);
                let mut reads: Vec<ZigbeeOp> = self
                    .translation
                    .zigbee_refresh(&d.mapping, endpoint)
                    .into_iter()
                    .filter(|op| {
                        matches!(op, ZigbeeOp::Read { cluster, .. } if touched.contains(cluster))
                    })
                    .collect();
                let count = ops.len();
                Ok(
                    match self
                        .translation
                        .zigbee_state_set_by(&d.mapping, endpoint, action)
                    {
                        Some(sets) => Plan::absolute(
                            RadioOps::Zigbee { node_id, ops },
                            sets,
                            RadioOps::Zigbee {
                                node_id,
                                ops: reads,
                            },
                            d.sleeps,
                        ),
                        None => {
                            ops.append(&mut reads);
                            Plan::together(RadioOps::Zigbee { node_id, ops }, None, count)
                        }
                    },
                )
            }
            Address::Zwave { node, .. } => {
                let ops = self
                    .translation
                    .zwave_action(&d.mapping, endpoint, action)?;
                if refresh {
                    let count = ops.len();
                    return Ok(Plan::together(RadioOps::Zwave { node, ops }, None, count));
                }
                // The translation follows a Set with its Get: the Gets are the read-back,
                // with the refresh's Gets of the same command classes.
                let (mut ops, mut gets): (Vec<ZwaveOp>, Vec<ZwaveOp>) =
                    ops.into_iter().partition(|op| !zwave::is_get(op));
                let touched = zwave_classes(&ops);
                for get in self
                    .translation
                    .zwave_refresh(&d.mapping, endpoint)
                    .into_iter()
                    .filter(|ZwaveOp::Send { command, .. }| {
                        command_class(command).is_some_and(|cc| touched.contains(&cc))
                    })
                {
                    if !gets.contains(&get) {
                        gets.push(get);
                    }
                }
                let count = ops.len();
                Ok(
                    match self
                        .translation
                        .zwave_state_set_by(&d.mapping, endpoint, action)
                    {
                        Some(sets) => Plan::absolute(
                            RadioOps::Zwave { node, ops },
                            sets,
                            RadioOps::Zwave { node, ops: gets },
                            d.sleeps,
                        ),
                        None => {
                            ops.append(&mut gets);
                            Plan::together(RadioOps::Zwave { node, ops }, None, count)
                        }
                    },
                )
            }
        }
    }
}
