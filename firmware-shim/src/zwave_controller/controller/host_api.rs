//! The Serial API functions a full host stack (zwave-js, as in Z-Wave JS UI and Home
//! Assistant) needs beyond what sealhub's own driver uses: the protocol version, the SUC, each
//! node's protocol information and node information frame, the SUC return route a new node is
//! given after its inclusion, and the RF settings in SerialApiSetup. Kept apart from the core of [`Controller`] so the two grow independently.
//!
//! Values are those of a plausible 700-series static controller on SDK 7.18.1 in the US
//! region: the SUC/SIS is the controller itself, 0 dBm transmit power.

use sealhub_radios::zwave::serial::frame::FrameType;
use sealhub_radios::zwave::serial::messages::application::{ApplicationUpdate, NodeInformation};
use sealhub_radios::zwave::serial::messages::capabilities::{
    SetupRequest, SetupResponse, rf_region,
};
use sealhub_radios::zwave::serial::messages::network::{
    NodeProtocolInfo, ProtocolVersion, capability, security,
};
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage, function};

use super::{Controller, SUPPORTED_FUNCTIONS};
use crate::zwave_controller::nodes::SimNode;

/// The functions answered here, announced in GetSerialApiCapabilities with
/// [`SUPPORTED_FUNCTIONS`].
pub const HOST_API_FUNCTIONS: [u8; 6] = [
    function::GET_PROTOCOL_VERSION,
    function::GET_NODE_PROTOCOL_INFO,
    function::GET_SUC_NODE_ID,
    function::REQUEST_NODE_INFO,
    ASSIGN_SUC_RETURN_ROUTE,
    DELETE_SUC_RETURN_ROUTE,
];

/// 0x51: give a node the route back to the SUC (zwave-js does it to every node it includes,
/// after deleting the old one). Request `[node id, callback id]`; response "executed"; then a
/// callback `[callback id, transmit status]` once the node acknowledged.
pub const ASSIGN_SUC_RETURN_ROUTE: u8 = 0x51;
/// 0x55: delete a node's return routes to the SUC; framed as [`ASSIGN_SUC_RETURN_ROUTE`].
pub const DELETE_SUC_RETURN_ROUTE: u8 = 0x55;

/// Transmit statuses in the return route callbacks.
const TRANSMIT_OK: u8 = 0x00;
const TRANSMIT_NO_ACK: u8 = 0x01;

/// Every function id the emulated controller answers.
pub fn supported_functions() -> impl Iterator<Item = u8> {
    SUPPORTED_FUNCTIONS.into_iter().chain(HOST_API_FUNCTIONS)
}

/// SerialApiSetup sub-commands answered (GetSupportedCommands, SetTxStatusReport,
/// GetPowerlevel, GetRFRegion).
pub const SETUP_COMMANDS: [u8; 4] = [0x01, 0x02, 0x08, 0x20];

/// The Z-Wave protocol version reported by GetProtocolVersion (SDK 7.18.1, which encodes the
/// GetSupportedCommands bitmask the pre-7.19.1 way).
pub const PROTOCOL_VERSION: [u8; 3] = [7, 18, 1];

/// Transmit power and its 0 dBm calibration, in 0.1 dBm.
const TX_POWER: i8 = 0;
const MEASURED_0DBM: i8 = 0;

/// ApplicationUpdate type for "the node did not answer RequestNodeInfo".
const UPDATE_NODE_INFO_REQUEST_FAILED: u8 = 0x81;

/// Command classes that mark a node as secure in its protocol information.
const SECURITY_CCS: [u8; 2] = [0x98, 0x9F];
/// Wake Up: a node that has it sleeps (is not always listening).
const WAKE_UP_CC: u8 = 0x84;

/// The GetSupportedCommands answer for [`SETUP_COMMANDS`]: the legacy byte (bit n ⇔
/// sub-command 1 << n, i.e. the OR of the single-bit ids) and the pre-7.19.1 bitmask (bit n of
/// byte k ⇔ sub-command 8k + n).
pub fn setup_supported_commands() -> SetupResponse {
    let mut legacy_flags = 0u8;
    let mut bitmask =
        vec![0u8; 1 + usize::from(SETUP_COMMANDS.iter().max().copied().unwrap_or(0)) / 8];
    for command in SETUP_COMMANDS {
        if command.is_power_of_two() {
            legacy_flags |= command;
        }
        if let Some(byte) = bitmask.get_mut(usize::from(command / 8)) {
            *byte |= 1 << (command % 8);
        }
    }
    SetupResponse::GetSupportedCommands {
        legacy_flags,
        bitmask,
    }
}

/// What the controller remembers from a node's inclusion, derived from its node information
/// frame (basic, generic, specific device class, then its command classes).
pub fn protocol_info_of(node: &SimNode) -> NodeProtocolInfo {
    let nif = node.node_info();
    let (classes, ccs) = nif.split_at(nif.len().min(3));
    let [basic, generic, specific] = <[u8; 3]>::try_from(classes).unwrap_or([0x04, 0, 0]);
    let listening = !ccs.contains(&WAKE_UP_CC);
    let mut cap = capability::ROUTING | capability::SPEED_40K | capability::PROTOCOL_V3;
    if listening {
        cap |= capability::LISTENING;
    }
    let mut sec = security::OPTIONAL_FUNCTIONALITY
        | security::BEAM_CAPABLE
        | security::ROUTING_END_NODE
        | security::SPECIFIC_DEVICE;
    if ccs.iter().any(|cc| SECURITY_CCS.contains(cc)) {
        sec |= security::SECURITY;
    }
    NodeProtocolInfo {
        capability: cap,
        security: sec,
        // 100 kbit/s.
        properties: 0x01,
        basic,
        generic,
        specific,
    }
}

impl Controller {
    /// Answers the requests this file implements; `None` for any other.
    pub(super) fn handle_host_api(&mut self, message: &HostMessage) -> Option<Vec<StickMessage>> {
        let out = match message {
            HostMessage::GetProtocolVersion => {
                vec![StickMessage::ProtocolVersion(ProtocolVersion {
                    protocol_type: 0x00,
                    version: PROTOCOL_VERSION,
                    app_framework_build: Some(0x0113),
                    git_commit: Some([0; 16]),
                })]
            }
            // The controller is the SUC (GetControllerCapabilities says so).
            HostMessage::GetSucNodeId => vec![StickMessage::SucNodeId(self.config.node_id)],
            HostMessage::GetNodeProtocolInfo { node_id } => {
                vec![StickMessage::NodeProtocolInfo(self.protocol_info(*node_id))]
            }
            HostMessage::RequestNodeInfo { node_id } => self.request_node_info(*node_id),
            HostMessage::Unknown {
                function: f @ (ASSIGN_SUC_RETURN_ROUTE | DELETE_SUC_RETURN_ROUTE),
                payload,
            } => self.suc_return_route(*f, payload),
            _ => return None,
        };
        Some(out)
    }

    /// Answers the SerialApiSetup sub-commands this file implements.
    pub(super) fn setup_host_api(&self, request: &SetupRequest) -> Option<SetupResponse> {
        match request {
            SetupRequest::GetSupportedCommands => Some(setup_supported_commands()),
            SetupRequest::GetPowerlevel => Some(SetupResponse::Powerlevel {
                tx_power: TX_POWER,
                measured_0dbm: MEASURED_0DBM,
            }),
            SetupRequest::GetRfRegion => Some(SetupResponse::RfRegion {
                region: rf_region::USA,
            }),
            _ => None,
        }
    }

    fn protocol_info(&self, node_id: u8) -> NodeProtocolInfo {
        if node_id == self.config.node_id {
            // Listening static controller (basic 0x02, generic 0x02, specific 0x01), as in
            // SerialApiStarted.
            return NodeProtocolInfo {
                capability: capability::LISTENING
                    | capability::ROUTING
                    | capability::SPEED_40K
                    | capability::PROTOCOL_V3,
                security: security::BEAM_CAPABLE | security::SPECIFIC_DEVICE | security::CONTROLLER,
                properties: 0x01,
                basic: 0x02,
                generic: 0x02,
                specific: 0x01,
            };
        }
        self.nodes
            .get(&node_id)
            .map_or(NodeProtocolInfo::UNKNOWN, protocol_info_of)
    }

    /// Assign or delete a node's SUC return route: the controller tells the node (in the
    /// protocol, not seen by the host), so it succeeds when the node is reachable.
    fn suc_return_route(&self, function: u8, payload: &[u8]) -> Vec<StickMessage> {
        let message = |frame_type, payload| StickMessage::Unknown {
            frame_type,
            function,
            payload,
        };
        let &[node_id, callback_id] = payload else {
            // Not executed.
            return vec![message(FrameType::Response, vec![0x00])];
        };
        let status = match self.nodes.get(&node_id) {
            Some(node) if node.reachable() => TRANSMIT_OK,
            _ => TRANSMIT_NO_ACK,
        };
        let mut out = vec![message(FrameType::Response, vec![0x01])];
        if callback_id != 0 {
            out.push(message(FrameType::Request, vec![callback_id, status]));
        }
        out
    }

    fn request_node_info(&mut self, node_id: u8) -> Vec<StickMessage> {
        let update = match self.nodes.get(&node_id) {
            Some(node) if node.reachable() => {
                ApplicationUpdate::NodeInfoReceived(NodeInformation {
                    node_id,
                    data: node.node_info(),
                })
            }
            _ => ApplicationUpdate::Other {
                update_type: UPDATE_NODE_INFO_REQUEST_FAILED,
                body: vec![0x00, 0x00],
            },
        };
        vec![
            StickMessage::RequestNodeInfoResponse(0x01),
            StickMessage::ApplicationUpdate(update),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zwave_controller::controller::ControllerConfig;
    use sealhub_radios::zwave::serial::messages::capabilities::SupportedCommandsEncoding;

    #[test]
    fn setup_commands_are_listed_in_both_encodings_zwave_js_reads() {
        let answer = setup_supported_commands();
        assert_eq!(
            answer.supported_commands(SupportedCommandsEncoding::Before7_19_1),
            SETUP_COMMANDS
        );
        let SetupResponse::GetSupportedCommands { legacy_flags, .. } = answer else {
            panic!("GetSupportedCommands answer");
        };
        assert_eq!(legacy_flags, 0x01 | 0x02 | 0x08 | 0x20);
    }

    #[test]
    fn protocol_info_says_which_nodes_listen() {
        let switch = protocol_info_of(&SimNode::binary_switch());
        assert!(switch.is_listening());
        assert_eq!(
            (switch.basic, switch.generic, switch.specific),
            (0x04, 0x10, 0x01)
        );
        let sensor = protocol_info_of(&SimNode::sleeping_sensor());
        assert!(!sensor.is_listening());
        let mut c = Controller::new(ControllerConfig::default());
        let [StickMessage::NodeProtocolInfo(missing)] =
            c.handle(&HostMessage::GetNodeProtocolInfo { node_id: 77 })[..]
        else {
            panic!("one answer");
        };
        assert!(!missing.is_known());
    }

    #[test]
    fn request_node_info_answers_with_the_nif_or_a_failure() {
        let mut c = Controller::new(ControllerConfig::default());
        let switch = c.add_existing(SimNode::binary_switch());
        let sensor = c.add_existing(SimNode::sleeping_sensor());
        let out = c.handle(&HostMessage::RequestNodeInfo { node_id: switch });
        assert!(
            matches!(
                &out[..],
                [
                    StickMessage::RequestNodeInfoResponse(1),
                    StickMessage::ApplicationUpdate(ApplicationUpdate::NodeInfoReceived(info)),
                ] if info.node_id == switch && info.data == SimNode::binary_switch().node_info()
            ),
            "{out:?}"
        );
        // Asleep: no answer from the node.
        let out = c.handle(&HostMessage::RequestNodeInfo { node_id: sensor });
        assert!(
            matches!(
                &out[..],
                [
                    StickMessage::RequestNodeInfoResponse(1),
                    StickMessage::ApplicationUpdate(ApplicationUpdate::Other {
                        update_type: 0x81,
                        ..
                    }),
                ]
            ),
            "{out:?}"
        );
        assert_eq!(
            c.handle(&HostMessage::GetSucNodeId),
            [StickMessage::SucNodeId(1)]
        );
    }

    #[test]
    fn suc_return_routes_reach_a_listening_node_and_not_a_sleeping_one() {
        let mut c = Controller::new(ControllerConfig::default());
        let switch = c.add_existing(SimNode::binary_switch());
        let sensor = c.add_existing(SimNode::sleeping_sensor());
        let route = |function, node_id| HostMessage::Unknown {
            function,
            payload: vec![node_id, 0x21],
        };
        let frames = |out: Vec<StickMessage>| -> Vec<(FrameType, Vec<u8>)> {
            out.into_iter()
                .map(|m| match m {
                    StickMessage::Unknown {
                        frame_type,
                        payload,
                        ..
                    } => (frame_type, payload),
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        for function in [DELETE_SUC_RETURN_ROUTE, ASSIGN_SUC_RETURN_ROUTE] {
            assert_eq!(
                frames(c.handle(&route(function, switch))),
                [
                    (FrameType::Response, vec![0x01]),
                    (FrameType::Request, vec![0x21, TRANSMIT_OK])
                ]
            );
        }
        assert_eq!(
            frames(c.handle(&route(ASSIGN_SUC_RETURN_ROUTE, sensor))),
            [
                (FrameType::Response, vec![0x01]),
                (FrameType::Request, vec![0x21, TRANSMIT_NO_ACK])
            ]
        );
        // A malformed request is not executed.
        assert_eq!(
            frames(c.handle(&HostMessage::Unknown {
                function: ASSIGN_SUC_RETURN_ROUTE,
                payload: vec![switch],
            })),
            [(FrameType::Response, vec![0x00])]
        );
    }
}
