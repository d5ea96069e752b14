//! Association with one group, the lifeline, for the simulated Z-Wave Plus nodes that have no
//! association logic of their own (the metering plug keeps its own): Z-Wave Plus requires group
//! 1 to be the lifeline, where a node sends its unsolicited reports, and a host's interview
//! points it at the controller (Association Set) and reads it back (Association Get).
//! Written over raw bytes, apart from the driver's Association codec.

use super::served::{Served, Status};

const ASSOCIATION: u8 = 0x85;
const SET: u8 = 0x01;
const GET: u8 = 0x02;
const REPORT: u8 = 0x03;
const REMOVE: u8 = 0x04;
const GROUPINGS_GET: u8 = 0x05;
const GROUPINGS_REPORT: u8 = 0x06;
/// The lifeline group.
const GROUP: u8 = 1;
/// How many nodes the lifeline holds.
pub const MAX_NODES: u8 = 5;

/// The lifeline's members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifeline {
    /// Node ids, in the order they were added.
    pub nodes: Vec<u8>,
}

impl Lifeline {
    /// Whether `command` (Supervision already taken off) is an Association command.
    pub fn is_association(command: &[u8]) -> bool {
        command.first() == Some(&ASSOCIATION)
    }

    /// Serves an Association command: a group other than the lifeline is a Fail.
    pub fn serve(&mut self, command: &[u8]) -> Served {
        match command {
            [ASSOCIATION, SET, GROUP, nodes @ ..] => {
                for n in nodes {
                    if !self.nodes.contains(n) {
                        if self.nodes.len() >= usize::from(MAX_NODES) {
                            return Served::status(Status::Fail);
                        }
                        self.nodes.push(*n);
                    }
                }
                Served::status(Status::Success)
            }
            [ASSOCIATION, GET, GROUP] => {
                let mut report = vec![ASSOCIATION, REPORT, GROUP, MAX_NODES, 0x00];
                report.extend(&self.nodes);
                Served::answered(vec![report])
            }
            [ASSOCIATION, REMOVE, GROUP, nodes @ ..] => {
                if nodes.is_empty() {
                    self.nodes.clear();
                } else {
                    self.nodes.retain(|n| !nodes.contains(n));
                }
                Served::status(Status::Success)
            }
            [ASSOCIATION, GROUPINGS_GET] => {
                Served::answered(vec![vec![ASSOCIATION, GROUPINGS_REPORT, 1]])
            }
            [ASSOCIATION, SET | GET | REMOVE, ..] => Served::status(Status::Fail),
            _ => Served::status(Status::NoSupport),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifeline_takes_the_controller_once_and_reports_it() {
        let mut l = Lifeline::default();
        assert_eq!(l.serve(&[0x85, 0x01, 1, 1]).status, Status::Success);
        assert_eq!(l.serve(&[0x85, 0x01, 1, 1]).status, Status::Success);
        assert_eq!(
            l.serve(&[0x85, 0x02, 1]).answers,
            vec![vec![0x85, 0x03, 1, MAX_NODES, 0, 1]]
        );
        assert_eq!(l.serve(&[0x85, 0x01, 2, 1]).status, Status::Fail);
        assert_eq!(l.serve(&[0x85, 0x04, 1]).status, Status::Success);
        assert!(l.nodes.is_empty());
    }

    #[test]
    fn a_full_lifeline_refuses_another_node() {
        let mut l = Lifeline::default();
        assert_eq!(
            l.serve(&[0x85, 0x01, 1, 1, 2, 3, 4, 5]).status,
            Status::Success
        );
        assert_eq!(l.serve(&[0x85, 0x01, 1, 6]).status, Status::Fail);
        assert_eq!(l.nodes, [1, 2, 3, 4, 5]);
    }
}
