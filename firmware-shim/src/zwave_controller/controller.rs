//! The emulated controller chip: a pure state machine from decoded host requests to the frames
//! the chip sends back (the response, then callbacks and node traffic, in order). Framing,
//! ACKs and overrides live in [`super::stick`]; this is only what the Serial API means.
//!
//! It keeps a home id, its own node id (1), a node list with [`SimNode`]s behind it, its
//! version and capabilities, and the inclusion/exclusion mode. A node joins when the controller
//! is in add mode and the test has put that node in learn mode
//! ([`Controller::offer_for_inclusion`]), in either order; leaving works the same way.

use std::collections::BTreeMap;

use sealhub_radios::zwave::serial::messages::application::{ApplicationCommand, ReceiveStatus};
use sealhub_radios::zwave::serial::messages::capabilities::{
    ControllerCapabilities, ControllerId, ControllerVersion, InitDataCapabilities,
    SerialApiCapabilities, SerialApiInitData, SerialApiStarted, SetupRequest, SetupResponse,
};
use sealhub_radios::zwave::serial::messages::inclusion::{
    AddNodeMode, AddNodeRequest, InclusionCallback, InclusionStatus, RemoveNodeMode,
    RemoveNodeRequest,
};
use sealhub_radios::zwave::serial::messages::transmit::{
    SendDataCallback, SendDataRequest, SendDataResponse, TransmitStatus,
};
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage, function};

use super::nodes::SimNode;

mod aeotec;
mod host_api;
mod nvm;
pub use aeotec::{AEOTEC_CONFIG_GET, AEOTEC_CONFIG_SET, AeotecConfig, is_aeotec_gen5};
pub use host_api::{
    ASSIGN_SUC_RETURN_ROUTE, DELETE_SUC_RETURN_ROUTE, HOST_API_FUNCTIONS, supported_functions,
};
pub use nvm::{NVM_SIZE_700, NVM_SIZE_CODE_500, READ_CHUNK, nvm_functions};

/// The functions sealhub's driver uses; with [`HOST_API_FUNCTIONS`] these are announced in
/// GetSerialApiCapabilities ([`supported_functions`]).
pub const SUPPORTED_FUNCTIONS: [u8; 10] = [
    function::GET_SERIAL_API_INIT_DATA,
    function::GET_CONTROLLER_CAPABILITIES,
    function::GET_SERIAL_API_CAPABILITIES,
    function::SOFT_RESET,
    function::SERIAL_API_SETUP,
    function::SEND_DATA,
    function::GET_CONTROLLER_VERSION,
    function::GET_CONTROLLER_ID,
    function::ADD_NODE,
    function::REMOVE_NODE,
];

/// SerialApiSetup sub-commands: GetSupportedCommands and SetTxStatusReport. 16-bit node ids
/// (SetNodeIdType, 0x80) are answered "unsupported".
const SETUP_GET_SUPPORTED: u8 = 0x01;
const SETUP_SET_TX_STATUS_REPORT: u8 = 0x02;

/// SerialApiStarted wake-up reasons.
const STARTED_WATCHDOG: u8 = 0x03;
const STARTED_SOFTWARE_RESET: u8 = 0x07;

/// The chip's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerConfig {
    /// Network home id.
    pub home_id: u32,
    /// Its own node id.
    pub node_id: u8,
    /// GetControllerVersion text, "Z-Wave 7.xx".
    pub library_version: String,
    /// Library type: 0x01 static controller.
    pub library_type: u8,
    /// Serial API firmware version.
    pub firmware: (u8, u8),
    /// Manufacturer id (0x0086 Aeotec; with product type 0x0001 and id 0x005A, the ids
    /// zwave-js knows as the Z-Stick Gen5, which it asks Aeotec's 0xF3 at start-up).
    pub manufacturer_id: u16,
    /// Product type.
    pub product_type: u16,
    /// Product id.
    pub product_id: u16,
    /// Z-Wave API version in GetSerialApiInitData.
    pub api_version: u8,
    /// Chip type and version (0x07 0x00: 700 series).
    pub chip: [u8; 2],
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            home_id: 0xC0FF_EE42,
            node_id: 1,
            library_version: "Z-Wave 7.18".into(),
            library_type: 0x01,
            firmware: (7, 18),
            manufacturer_id: 0x0086,
            product_type: 0x0001,
            product_id: 0x005A,
            api_version: 0x0A,
            chip: [0x07, 0x00],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Idle,
    /// Add mode, waiting for a node in learn mode.
    Adding {
        callback_id: u8,
    },
    /// A node was added; waiting for the host's stop.
    Added {
        node_id: u8,
    },
    /// Remove mode, waiting for a node in learn mode.
    Removing {
        callback_id: u8,
    },
}

/// The emulated chip; see the module docs.
#[derive(Debug, Clone)]
pub struct Controller {
    config: ControllerConfig,
    nodes: BTreeMap<u8, SimNode>,
    mode: Mode,
    joining: Option<SimNode>,
    leaving: Option<u8>,
    tx_status_report: bool,
    nvm: nvm::NvmSession,
    aeotec: AeotecConfig,
}

impl Controller {
    /// A controller alone in its network.
    pub fn new(config: ControllerConfig) -> Self {
        Self {
            config,
            nodes: BTreeMap::new(),
            mode: Mode::Idle,
            joining: None,
            leaving: None,
            tx_status_report: false,
            nvm: nvm::NvmSession::default(),
            aeotec: AeotecConfig::default(),
        }
    }

    /// The chip's identity.
    pub fn config(&self) -> &ControllerConfig {
        &self.config
    }

    /// Puts a node into the network directly (as if included earlier); returns its id.
    pub fn add_existing(&mut self, mut node: SimNode) -> u8 {
        let id = self.free_node_id();
        node.set_address(id, self.config.node_id, self.config.home_id);
        self.nodes.insert(id, node);
        id
    }

    /// A node in the network.
    pub fn node(&self, id: u8) -> Option<&SimNode> {
        self.nodes.get(&id)
    }

    /// A node in the network, mutable (to make it silent, say).
    pub fn node_mut(&mut self, id: u8) -> Option<&mut SimNode> {
        self.nodes.get_mut(&id)
    }

    /// The ids of the nodes in the network, the controller's own included.
    pub fn node_ids(&self) -> Vec<u8> {
        let mut ids: Vec<u8> = self.nodes.keys().copied().collect();
        ids.push(self.config.node_id);
        ids.sort_unstable();
        ids
    }

    /// Every function id this chip answers: [`supported_functions`] and the NVM interface of
    /// its series ([`nvm_functions`]).
    pub fn functions(&self) -> impl Iterator<Item = u8> + use<> {
        supported_functions().chain(nvm_functions(self.config.chip).iter().copied())
    }

    /// The Aeotec configuration parameters and how many of Aeotec's proprietary requests
    /// (0xF2/0xF3) were answered: only a chip with the Aeotec Z-Stick Gen5 ids answers them.
    pub fn aeotec_config(&self) -> &AeotecConfig {
        &self.aeotec
    }

    fn handle_aeotec(&mut self, message: &HostMessage) -> Option<Vec<StickMessage>> {
        if is_aeotec_gen5(&self.config) {
            self.aeotec.handle(message)
        } else {
            None
        }
    }

    /// Whether SerialApiSetup turned on extended transmit reports.
    pub fn tx_status_report(&self) -> bool {
        self.tx_status_report
    }

    /// The chip restarts (soft reset, watchdog, power): RAM state is lost, the network stays.
    pub fn reboot(&mut self) {
        self.mode = Mode::Idle;
        self.tx_status_report = false;
        self.reset_nvm();
    }

    /// SerialApiStarted after an unprompted (watchdog) restart.
    pub fn restarted(&mut self) -> StickMessage {
        self.reboot();
        self.started(STARTED_WATCHDOG)
    }

    fn started(&self, reason: u8) -> StickMessage {
        StickMessage::SerialApiStarted(SerialApiStarted {
            wake_up_reason: reason,
            watchdog_started: 0x00,
            // Always listening.
            device_option: 0x80,
            // Static controller / PC controller.
            generic_class: 0x02,
            specific_class: 0x01,
            command_classes: vec![0x5E, 0x86, 0x72],
            // No Long Range.
            trailer: vec![0x00],
        })
    }

    /// The test puts a new node into learn mode: it joins now if the controller is in add
    /// mode, or as soon as it is.
    pub fn offer_for_inclusion(&mut self, node: SimNode) -> Vec<StickMessage> {
        self.joining = Some(node);
        self.try_include()
    }

    /// The test puts an included node into learn mode: it leaves now if the controller is in
    /// remove mode, or as soon as it is.
    pub fn offer_for_exclusion(&mut self, node_id: u8) -> Vec<StickMessage> {
        self.leaving = Some(node_id);
        self.try_exclude()
    }

    /// A node wakes up: its Wake Up Notification reaches the host.
    pub fn wake_up(&mut self, node_id: u8) -> Vec<StickMessage> {
        let Some(notification) = self.nodes.get_mut(&node_id).and_then(SimNode::wake_up) else {
            return Vec::new();
        };
        vec![from_node(node_id, notification)]
    }

    /// Time has passed for the nodes: what they send on their own by `now`, as
    /// ApplicationCommandHandler requests.
    pub fn poll_nodes(&mut self, now: std::time::Instant) -> Vec<StickMessage> {
        let mut out = Vec::new();
        for (id, node) in &mut self.nodes {
            out.extend(node.poll(now).into_iter().map(|p| from_node(*id, p)));
        }
        out
    }

    /// Answers one host request.
    pub fn handle(&mut self, message: &HostMessage) -> Vec<StickMessage> {
        let cfg = &self.config;
        match message {
            HostMessage::GetControllerVersion => {
                vec![StickMessage::ControllerVersion(ControllerVersion {
                    library_version: cfg.library_version.clone(),
                    library_type: cfg.library_type,
                })]
            }
            HostMessage::GetSerialApiCapabilities => {
                let mut supported_functions = [0u8; 32];
                for f in self.functions() {
                    let bit = usize::from(f - 1);
                    if let Some(byte) = supported_functions.get_mut(bit / 8) {
                        *byte |= 1 << (bit % 8);
                    }
                }
                vec![StickMessage::SerialApiCapabilities(SerialApiCapabilities {
                    firmware_major: cfg.firmware.0,
                    firmware_minor: cfg.firmware.1,
                    manufacturer_id: cfg.manufacturer_id,
                    product_type: cfg.product_type,
                    product_id: cfg.product_id,
                    supported_functions,
                })]
            }
            HostMessage::GetControllerCapabilities => {
                let mut caps = ControllerCapabilities::SIS_PRESENT
                    | ControllerCapabilities::WAS_REAL_PRIMARY
                    | ControllerCapabilities::SUC;
                if self.nodes.is_empty() {
                    caps |= ControllerCapabilities::NO_NODES_INCLUDED;
                }
                vec![StickMessage::ControllerCapabilities(caps)]
            }
            HostMessage::GetSerialApiInitData => {
                let mut node_mask = vec![0u8; 29];
                for id in self.node_ids() {
                    let bit = usize::from(id - 1);
                    if let Some(byte) = node_mask.get_mut(bit / 8) {
                        *byte |= 1 << (bit % 8);
                    }
                }
                vec![StickMessage::SerialApiInitData(SerialApiInitData {
                    api_version: cfg.api_version,
                    capabilities: InitDataCapabilities::TIMERS | InitDataCapabilities::SIS,
                    node_mask,
                    chip: cfg.chip.to_vec(),
                })]
            }
            HostMessage::GetControllerId => vec![StickMessage::ControllerId(ControllerId {
                home_id: cfg.home_id,
                node_id: cfg.node_id,
            })],
            HostMessage::SerialApiSetup(request) => {
                vec![StickMessage::SerialApiSetup(self.setup(request))]
            }
            HostMessage::SoftReset => {
                self.reboot();
                vec![self.started(STARTED_SOFTWARE_RESET)]
            }
            HostMessage::SendData(request) => self.send_data(request),
            HostMessage::AddNode(request) => self.add_node(request),
            HostMessage::RemoveNode(request) => self.remove_node(request),
            // A real chip ACKs a function it does not know and says nothing more.
            _ => self
                .handle_nvm(message)
                .or_else(|| self.handle_host_api(message))
                .or_else(|| self.handle_aeotec(message))
                .unwrap_or_default(),
        }
    }

    fn setup(&mut self, request: &SetupRequest) -> SetupResponse {
        if let Some(response) = self.setup_host_api(request) {
            return response;
        }
        match request {
            SetupRequest::GetSupportedCommands => SetupResponse::GetSupportedCommands {
                // Legacy byte: bit n ⇔ sub-command 1 << n.
                legacy_flags: SETUP_GET_SUPPORTED | SETUP_SET_TX_STATUS_REPORT,
                // SDK before 7.19.1: bit n of byte k ⇔ sub-command 8k + n.
                bitmask: vec![(1 << SETUP_GET_SUPPORTED) | (1 << SETUP_SET_TX_STATUS_REPORT)],
            },
            SetupRequest::SetTxStatusReport { enabled } => {
                self.tx_status_report = *enabled;
                SetupResponse::SetTxStatusReport { status: 0x01 }
            }
            SetupRequest::Other { command, .. } => SetupResponse::Unsupported { command: *command },
            SetupRequest::GetPowerlevel => SetupResponse::Unsupported { command: 0x08 },
            SetupRequest::GetRfRegion => SetupResponse::Unsupported { command: 0x20 },
        }
    }

    fn send_data(&mut self, request: &SendDataRequest) -> Vec<StickMessage> {
        let mut out = vec![StickMessage::SendDataResponse(SendDataResponse {
            status: 0x01,
        })];
        let node_id = request.node_id;
        let answers = match self.nodes.get_mut(&node_id) {
            Some(node) if node.reachable() => Some(node.receive(&request.data)),
            _ => None,
        };
        if request.callback_id != 0 {
            out.push(StickMessage::SendDataCallback(SendDataCallback {
                callback_id: request.callback_id,
                status: if answers.is_some() {
                    TransmitStatus::Ok
                } else {
                    TransmitStatus::NoAck
                },
                // Transmit time in 10 ms ticks, when extended reports are on.
                report: if self.tx_status_report {
                    vec![0x00, 0x02]
                } else {
                    Vec::new()
                },
            }));
        }
        out.extend(
            answers
                .unwrap_or_default()
                .into_iter()
                .map(|payload| from_node(node_id, payload)),
        );
        out
    }

    fn add_node(&mut self, request: &AddNodeRequest) -> Vec<StickMessage> {
        let id = request.callback_id;
        match request.mode {
            AddNodeMode::Stop | AddNodeMode::StopFailed => {
                let node_id = match self.mode {
                    Mode::Added { node_id } => node_id,
                    _ => 0,
                };
                self.mode = Mode::Idle;
                if id == 0 {
                    return Vec::new();
                }
                vec![add_status(id, InclusionStatus::Done, node_id, Vec::new())]
            }
            _ => {
                self.mode = Mode::Adding { callback_id: id };
                let mut out = vec![add_status(id, InclusionStatus::Ready, 0, Vec::new())];
                out.extend(self.try_include());
                out
            }
        }
    }

    fn try_include(&mut self) -> Vec<StickMessage> {
        let Mode::Adding { callback_id: id } = self.mode else {
            return Vec::new();
        };
        let Some(node) = self.joining.take() else {
            return Vec::new();
        };
        let info = node.node_info();
        let node_id = self.add_existing(node);
        self.mode = Mode::Added { node_id };
        vec![
            add_status(id, InclusionStatus::NodeFound, 0, Vec::new()),
            add_status(id, InclusionStatus::EndNode, node_id, info),
            add_status(id, InclusionStatus::ProtocolDone, node_id, Vec::new()),
        ]
    }

    fn remove_node(&mut self, request: &RemoveNodeRequest) -> Vec<StickMessage> {
        let id = request.callback_id;
        match request.mode {
            RemoveNodeMode::Stop => {
                self.mode = Mode::Idle;
                if id == 0 {
                    return Vec::new();
                }
                vec![remove_status(id, InclusionStatus::Done, 0)]
            }
            _ => {
                self.mode = Mode::Removing { callback_id: id };
                let mut out = vec![remove_status(id, InclusionStatus::Ready, 0)];
                out.extend(self.try_exclude());
                out
            }
        }
    }

    fn try_exclude(&mut self) -> Vec<StickMessage> {
        let Mode::Removing { callback_id: id } = self.mode else {
            return Vec::new();
        };
        let Some(node_id) = self.leaving.take() else {
            return Vec::new();
        };
        self.nodes.remove(&node_id);
        self.mode = Mode::Idle;
        vec![
            remove_status(id, InclusionStatus::NodeFound, 0),
            remove_status(id, InclusionStatus::EndNode, node_id),
            remove_status(id, InclusionStatus::Done, node_id),
        ]
    }

    fn free_node_id(&self) -> u8 {
        (2..=232u8)
            .find(|id| *id != self.config.node_id && !self.nodes.contains_key(id))
            .unwrap_or(232)
    }
}

fn from_node(node_id: u8, payload: Vec<u8>) -> StickMessage {
    StickMessage::ApplicationCommand(ApplicationCommand {
        rx_status: ReceiveStatus::empty(),
        source_node: node_id,
        command: payload,
        // RSSI, dBm.
        trailer: vec![0xC4],
    })
}

fn add_status(
    callback_id: u8,
    status: InclusionStatus,
    node_id: u8,
    info: Vec<u8>,
) -> StickMessage {
    StickMessage::AddNodeStatus(InclusionCallback {
        callback_id,
        status,
        node_id,
        node_info: info,
    })
}

fn remove_status(callback_id: u8, status: InclusionStatus, node_id: u8) -> StickMessage {
    StickMessage::RemoveNodeStatus(InclusionCallback {
        callback_id,
        status,
        node_id,
        node_info: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealhub_radios::zwave::serial::messages::inclusion::InclusionFlags;
    use sealhub_radios::zwave::serial::messages::transmit::TransmitOptions;

    fn send(node_id: u8, data: &[u8], callback_id: u8) -> HostMessage {
        HostMessage::SendData(SendDataRequest {
            node_id,
            data: data.to_vec(),
            transmit_options: TransmitOptions::DEFAULT,
            callback_id,
        })
    }

    fn add(mode: AddNodeMode, callback_id: u8) -> HostMessage {
        HostMessage::AddNode(AddNodeRequest {
            mode,
            flags: InclusionFlags::empty(),
            callback_id,
        })
    }

    fn statuses(out: &[StickMessage]) -> Vec<(InclusionStatus, u8)> {
        out.iter()
            .filter_map(|m| match m {
                StickMessage::AddNodeStatus(c) | StickMessage::RemoveNodeStatus(c) => {
                    Some((c.status, c.node_id))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn capabilities_list_exactly_the_implemented_functions() {
        let mut c = Controller::new(ControllerConfig::default());
        let [StickMessage::SerialApiCapabilities(ref caps)] =
            c.handle(&HostMessage::GetSerialApiCapabilities)[..]
        else {
            panic!("one capabilities response");
        };
        for f in 1..=255u8 {
            assert_eq!(caps.supports(f), c.functions().any(|s| s == f), "{f:#04x}");
        }
    }

    #[test]
    fn send_data_reaches_a_switch_and_not_a_missing_node() {
        let mut c = Controller::new(ControllerConfig::default());
        let id = c.add_existing(SimNode::binary_switch());
        let out = c.handle(&send(id, &[0x25, 0x02], 7));
        assert!(
            matches!(
                &out[..],
                [
                    StickMessage::SendDataResponse(SendDataResponse { status: 1 }),
                    StickMessage::SendDataCallback(SendDataCallback { callback_id: 7, status: TransmitStatus::Ok, .. }),
                    StickMessage::ApplicationCommand(ApplicationCommand { command, .. }),
                ] if command == &[0x25, 0x03, 0x00]
            ),
            "{out:?}"
        );
        let out = c.handle(&send(99, &[0x25, 0x02], 8));
        assert!(
            matches!(
                &out[..],
                [
                    StickMessage::SendDataResponse(_),
                    StickMessage::SendDataCallback(SendDataCallback {
                        status: TransmitStatus::NoAck,
                        ..
                    }),
                ]
            ),
            "{out:?}"
        );
    }

    #[test]
    fn inclusion_runs_when_add_mode_and_learn_mode_meet_in_either_order() {
        let mut c = Controller::new(ControllerConfig::default());
        assert!(c.offer_for_inclusion(SimNode::binary_switch()).is_empty());
        let out = c.handle(&add(AddNodeMode::Any, 3));
        assert_eq!(
            statuses(&out),
            [
                (InclusionStatus::Ready, 0),
                (InclusionStatus::NodeFound, 0),
                (InclusionStatus::EndNode, 2),
                (InclusionStatus::ProtocolDone, 2),
            ]
        );
        let out = c.handle(&add(AddNodeMode::Stop, 4));
        assert_eq!(statuses(&out), [(InclusionStatus::Done, 2)]);
        assert_eq!(c.node_ids(), [1, 2]);

        c.handle(&add(AddNodeMode::Any, 5));
        let out = c.offer_for_inclusion(SimNode::sleeping_sensor());
        assert_eq!(
            statuses(&out).last(),
            Some(&(InclusionStatus::ProtocolDone, 3))
        );
    }

    #[test]
    fn exclusion_removes_the_node() {
        let mut c = Controller::new(ControllerConfig::default());
        let id = c.add_existing(SimNode::binary_switch());
        let out = c.handle(&HostMessage::RemoveNode(RemoveNodeRequest {
            mode: RemoveNodeMode::Any,
            flags: InclusionFlags::empty(),
            callback_id: 9,
        }));
        assert_eq!(statuses(&out), [(InclusionStatus::Ready, 0)]);
        let out = c.offer_for_exclusion(id);
        assert_eq!(statuses(&out).last(), Some(&(InclusionStatus::Done, id)));
        assert_eq!(c.node_ids(), [1]);
    }
}
