//! What the radio task reports back for a ticket: the results of a device's ops in order, or
//! where they stopped and why, with the drivers' errors put in the model's terms.

use crate::model::Failure;
use sealhub_radios::zigbee::driver as zigbee;
use sealhub_radios::zigbee::zcl::Value;
use sealhub_radios::zwave::driver as zwave;

/// Names a radio request, so its result finds its way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// The result of one op.
#[derive(Debug, Clone, PartialEq)]
pub enum OpOutput {
    /// Done; nothing to read (a command, a write, a bind, a Z-Wave Get whose report arrives as
    /// a radio event). The device took it but did not say it applied it (a Zigbee
    /// cluster-specific response, a Z-Wave node that only acknowledged, or that reported
    /// Working).
    Done,
    /// Done, and the device said it applied it: a Zigbee Default Response with status SUCCESS
    /// or a Write Attributes Response with every record SUCCESS, a Z-Wave Supervision Report
    /// of status SUCCESS. An absolute command so confirmed is answered with the state it set,
    /// without reading it back (`docs/GATEWAY.md`).
    Confirmed,
    /// A Zigbee Read Attributes: the values read (attributes that failed are left out).
    Read {
        /// The endpoint read.
        endpoint: u8,
        /// The cluster read.
        cluster: u16,
        /// Attribute ids and values.
        attributes: Vec<(u16, Value)>,
    },
}

/// Why an op failed, in the model's terms, with the driver's words for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpFailure {
    /// The code.
    pub failure: Failure,
    /// The driver's error, for the log (never shown to clients: it may name radio internals).
    pub detail: String,
}

impl OpFailure {
    /// A failure with its detail.
    pub fn new(failure: Failure, detail: impl Into<String>) -> Self {
        OpFailure {
            failure,
            detail: detail.into(),
        }
    }

    /// A Zigbee driver error: the device did not answer, refused, or the stick is not there.
    pub fn zigbee(e: &zigbee::Error) -> Self {
        use zigbee::Error as E;
        let failure = match e {
            E::NoAnswer { .. } | E::DeliveryFailed { .. } => Failure::Unreachable,
            E::ZclStatus { .. } | E::ZdoStatus { .. } | E::BindRefused { .. } => Failure::Refused,
            E::InvalidRequest(_) => Failure::InvalidValue,
            E::BadAnswer(_) => Failure::Refused,
            _ => Failure::RadioUnavailable,
        };
        OpFailure::new(failure, e.to_string())
    }

    /// A Z-Wave driver error: the node did not answer, refused, or the stick is not there.
    pub fn zwave(e: &zwave::Error) -> Self {
        use zwave::Error as E;
        let failure = match e {
            E::NoAck { .. }
            | E::TransmitFailed { .. }
            | E::NoNonce { .. }
            | E::NoSupervisionReport { .. }
            | E::NodeAsleep(_) => Failure::Unreachable,
            E::InvalidNode(_) | E::InvalidEndpoint(_) | E::Command(_) | E::Message(_) => {
                Failure::InvalidValue
            }
            E::NodeRemoved(_) => Failure::UnknownDevice,
            E::S2(_) | E::S0(_) => Failure::Refused,
            _ => Failure::RadioUnavailable,
        };
        OpFailure::new(failure, e.to_string())
    }
}

/// What became of a ticket's request.
#[derive(Debug, Clone, PartialEq)]
pub enum RadioOutcome {
    /// Every op ran; one output per op, in order.
    Done(Vec<OpOutput>),
    /// The ops before the failed one ran (their outputs); the failed one and the rest did not.
    Failed {
        /// Outputs of the ops that ran.
        ran: Vec<OpOutput>,
        /// Why the next one failed.
        failure: OpFailure,
    },
    /// A sleeping Z-Wave node: the ops wait for its wake-up; another outcome follows for the
    /// same ticket.
    Queued,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_become_the_models_failures() {
        assert_eq!(
            OpFailure::zigbee(&zigbee::Error::NoAnswer {
                node_id: 1,
                cluster: 6
            })
            .failure,
            Failure::Unreachable
        );
        assert_eq!(
            OpFailure::zigbee(&zigbee::Error::ZclStatus {
                node_id: 1,
                cluster: 6,
                status: 0x86
            })
            .failure,
            Failure::Refused
        );
        assert_eq!(
            OpFailure::zigbee(&zigbee::Error::StickLost).failure,
            Failure::RadioUnavailable
        );
        assert_eq!(
            OpFailure::zwave(&zwave::Error::NoAck { node: 4 }).failure,
            Failure::Unreachable
        );
        assert_eq!(
            OpFailure::zwave(&zwave::Error::StickLost).failure,
            Failure::RadioUnavailable
        );
        assert_eq!(
            OpFailure::zwave(&zwave::Error::InvalidEndpoint(200)).failure,
            Failure::InvalidValue
        );
    }
}
