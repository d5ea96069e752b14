//! The radio requests the gateway asks a radio task to make for one device. They are the
//! drivers' own types, so nothing is translated twice; the task runs them in order and feeds
//! each result back to the gateway.

use sealhub_radios::zigbee::zcl::ClusterCommand;
use sealhub_radios::zigbee::zcl::foundation::{AttributeValue, ReportingConfiguration};
use sealhub_radios::zwave::cc::CommandClassFrame;

/// One request to a Zigbee device (the node is the device's).
#[derive(Debug, Clone, PartialEq)]
pub enum ZigbeeOp {
    /// A cluster-specific command (On, Move to Level, Lock Door, ...).
    Command {
        /// The endpoint.
        endpoint: u8,
        /// The command, with its cluster.
        command: ClusterCommand,
    },
    /// Write Attributes (a thermostat's setpoint, the hub's address into an IAS zone).
    Write {
        /// The endpoint.
        endpoint: u8,
        /// The cluster.
        cluster: u16,
        /// The attributes and values.
        records: Vec<AttributeValue>,
    },
    /// Read Attributes; the values come back as the op's result.
    Read {
        /// The endpoint.
        endpoint: u8,
        /// The cluster.
        cluster: u16,
        /// The attribute ids.
        attributes: Vec<u16>,
    },
    /// Bind the cluster to the hub, so the device's reports reach it.
    Bind {
        /// The endpoint.
        endpoint: u8,
        /// The cluster.
        cluster: u16,
    },
    /// Configure attribute reporting (after [`ZigbeeOp::Bind`]).
    ConfigureReporting {
        /// The endpoint.
        endpoint: u8,
        /// The cluster.
        cluster: u16,
        /// One record per attribute.
        records: Vec<ReportingConfiguration>,
    },
}

/// One request to a Z-Wave node (the node is the device's).
#[derive(Debug, Clone, PartialEq)]
pub enum ZwaveOp {
    /// Send a command (a Set, or a Get whose Report arrives as a radio event) to an end point
    /// (0: the root device), under the node's highest security class.
    Send {
        /// The end point.
        endpoint: u8,
        /// The command.
        command: CommandClassFrame,
    },
}
