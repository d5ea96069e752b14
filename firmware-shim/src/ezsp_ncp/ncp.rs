//! The EZSP state machine of an emulated EmberZNet NCP (Silicon Labs UG100): EZSP frames from
//! the host in, response and callback frames out. It sits above [`super::ash_ncp::AshNcp`] and
//! below the override layer in [`super::stick`].
//!
//! It answers the legacy `version` command with the configured protocol (13 or higher; only the
//! layouts of protocol >= 14 exist in `sealhub_radios::zigbee::ezsp`, so a protocol-13 NCP answers
//! `version` and nothing else), then extended-header commands: configuration values, policies,
//! EUI-64 and node ID, `networkInit`, `networkState`, `setInitialSecurityState`, `formNetwork`,
//! `getNetworkParameters`, `permitJoining`, an energy `startScan`, and `sendUnicast` (there are no
//! devices yet, so every unicast ends in `messageSentHandler` with `ZIGBEE_DELIVERY_FAILED`).
//! A frame it cannot decode gets no answer (a real NCP would send `invalidCommand`, which the
//! codec does not carry yet), so the host sees a timeout.
//!
//! State is split the way the chip splits it: [`Nvm`] (the network, keys and frame counters, kept
//! in tokens) survives resets and unplugging; everything else lives in RAM and is lost on
//! [`Ncp::reboot`].

use std::collections::BTreeMap;

use sealhub_radios::zigbee::ezsp::commands::configuration::{
    EchoResponse, GetConfigurationValueResponse, NoParams, StatusResponse, VersionResponse,
};
use sealhub_radios::zigbee::ezsp::commands::messaging::{MessageSentHandler, SendUnicastResponse};
use sealhub_radios::zigbee::ezsp::commands::networking::{
    EnergyScanResultHandler, GetEui64Response, GetNetworkParametersResponse, GetNodeIdResponse,
    NetworkStateResponse, ScanCompleteHandler, StackStatusHandler,
};
use sealhub_radios::zigbee::ezsp::commands::security::InitialSecurityState;
use sealhub_radios::zigbee::ezsp::types::{Bytes8, Eui64, Key, NetworkParameters, Status};
use sealhub_radios::zigbee::ezsp::{
    Callback, Command, FrameCodec, FrameControl, FromNcp, Header, HeaderFormat, Response,
};

/// `sl_status_t` values the emulator reports (Silicon Labs `sl_status.h`).
pub mod status {
    use sealhub_radios::zigbee::ezsp::types::Status;

    /// `SL_STATUS_OK`.
    pub const OK: Status = Status(0x0000);
    /// `SL_STATUS_INVALID_STATE`.
    pub const INVALID_STATE: Status = Status(0x0002);
    /// `SL_STATUS_NETWORK_UP`: as `stackStatusHandler`, the network came up.
    pub const NETWORK_UP: Status = Status(0x0015);
    /// `SL_STATUS_NETWORK_DOWN`.
    pub const NETWORK_DOWN: Status = Status(0x0016);
    /// `SL_STATUS_NOT_JOINED`: `networkInit` without a stored network.
    pub const NOT_JOINED: Status = Status(0x0017);
    /// `SL_STATUS_INVALID_PARAMETER`.
    pub const INVALID_PARAMETER: Status = Status(0x0021);
    /// `SL_STATUS_INVALID_CHANNEL_MASK`.
    pub const INVALID_CHANNEL_MASK: Status = Status(0x004F);
    /// `SL_STATUS_ZIGBEE_DELIVERY_FAILED`: no APS ack from the destination.
    pub const DELIVERY_FAILED: Status = Status(0x0C02);
    /// `SL_STATUS_ZIGBEE_SECURITY_STATE_NOT_SET`: forming before `setInitialSecurityState`.
    pub const SECURITY_STATE_NOT_SET: Status = Status(0x0C0B);
}

/// The 802.15.4 channels of the 2.4 GHz band.
pub const CHANNELS: core::ops::RangeInclusive<u8> = 11..=26;

/// How the emulated stick presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NcpConfig {
    /// The EZSP protocol it speaks (13..; default 14).
    pub protocol_version: u8,
    /// Stack type in the `version` answer (2, the mesh stack).
    pub stack_type: u8,
    /// Stack version, one nibble per digit.
    pub stack_version: u16,
    /// The chip's EUI-64, in EZSP (little-endian) byte order.
    pub eui64: Eui64,
    /// The highest RSSI (dBm) an energy scan reports on channels 11..=26, in order.
    pub energy: [i8; 16],
}

impl Default for NcpConfig {
    /// Protocol 14 (EmberZNet 8.0.2 — a plausible pairing, not a recorded one), a made-up EUI-64
    /// and a band where channel 20 is clearly the quietest.
    fn default() -> Self {
        Self {
            protocol_version: 14,
            stack_type: 2,
            stack_version: 0x8020,
            eui64: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
            energy: [
                -40, -45, -50, -42, -60, -55, -48, -52, -70, -95, -65, -58, -61, -47, -66, -49,
            ],
        }
    }
}

/// What the chip keeps in its tokens: the network it formed, its keys and frame counters. It
/// survives [`Ncp::reboot`] (and unplugging), so a later backup/restore can read and write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nvm {
    /// The network as formed.
    pub parameters: NetworkParameters,
    /// The network key from `setInitialSecurityState`.
    pub network_key: Key,
    /// Its sequence number.
    pub network_key_sequence: u8,
    /// The trust center link key.
    pub tc_link_key: Key,
    /// The security bitmask the network was formed with.
    pub security_bitmask: u16,
    /// Outgoing NWK frame counter.
    pub nwk_frame_counter: u32,
    /// Outgoing APS frame counter.
    pub aps_frame_counter: u32,
}

/// An EZSP frame from the host, as the override hook sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EzspFrameFromHost {
    /// `version`, in the legacy (3-byte) or extended header.
    Version {
        /// Sequence number.
        sequence: u8,
        /// The protocol the host asks for.
        desired: u8,
        /// Whether it came in the legacy header.
        legacy: bool,
    },
    /// Any other command, decoded.
    Command {
        /// The extended header.
        header: Header,
        /// The command and its parameters.
        command: Command,
    },
    /// Bytes the emulator cannot decode (unknown frame ID, bad layout, before negotiation).
    Undecodable {
        /// The raw EZSP frame.
        bytes: Vec<u8>,
        /// Why it could not be decoded.
        reason: String,
    },
}

impl EzspFrameFromHost {
    /// Decodes one EZSP frame. The legacy header is recognised by its third byte: the frame
    /// ID `version` (0x00) there, where the extended header has the high byte of the frame
    /// control with the format-version bit set.
    pub fn parse(bytes: &[u8], codec: Option<FrameCodec>) -> Self {
        let undecodable = |reason: String| Self::Undecodable {
            bytes: bytes.to_vec(),
            reason,
        };
        let legacy = bytes.get(2).is_some_and(|&b| b & 0x01 == 0);
        let format = if legacy {
            HeaderFormat::Legacy
        } else {
            HeaderFormat::Extended
        };
        let (header, params) = match Header::decode(bytes, format) {
            Ok(split) => split,
            Err(e) => return undecodable(e.to_string()),
        };
        if header.frame_id == 0x0000 {
            return match Command::decode_params(0x0000, params) {
                Ok(Command::Version(v)) => Self::Version {
                    sequence: header.sequence,
                    desired: v.desired_protocol_version,
                    legacy,
                },
                Ok(_) => undecodable("not a version command".into()),
                Err(e) => undecodable(e.to_string()),
            };
        }
        if legacy {
            return undecodable("legacy header on a command other than version".into());
        }
        let Some(codec) = codec else {
            return undecodable("command before version negotiation".into());
        };
        match codec.decode_command(bytes) {
            Ok((header, command)) => Self::Command { header, command },
            Err(e) => undecodable(e.to_string()),
        }
    }

    /// The sequence number, when the header could be read.
    pub fn sequence(&self) -> Option<u8> {
        match self {
            Self::Version { sequence, .. } => Some(*sequence),
            Self::Command { header, .. } => Some(header.sequence),
            Self::Undecodable { bytes, .. } => bytes.first().copied(),
        }
    }

    /// The frame ID, when decoded.
    pub fn frame_id(&self) -> Option<u16> {
        match self {
            Self::Version { .. } => Some(0x0000),
            Self::Command { command, .. } => Some(command.frame_id()),
            Self::Undecodable { .. } => None,
        }
    }
}

/// The emulated NCP's EZSP layer.
#[derive(Debug, Clone)]
pub struct Ncp {
    config: NcpConfig,
    codec: Option<FrameCodec>,
    config_values: BTreeMap<u8, u16>,
    policies: BTreeMap<u8, u8>,
    security: Option<InitialSecurityState>,
    nvm: Option<Nvm>,
    stack_up: bool,
    permit_join_seconds: u8,
    aps_sequence: u8,
}

impl Ncp {
    /// A freshly flashed chip: no network in its tokens.
    pub fn new(config: NcpConfig) -> Self {
        Self {
            config,
            codec: None,
            config_values: BTreeMap::new(),
            policies: BTreeMap::new(),
            security: None,
            nvm: None,
            stack_up: false,
            permit_join_seconds: 0,
            aps_sequence: 0,
        }
    }

    /// The chip restarts: RAM state (negotiated version, configuration, policies, security
    /// state, stack) is lost; the tokens ([`Nvm`]) stay.
    pub fn reboot(&mut self) {
        let nvm = self.nvm.take();
        *self = Self {
            nvm,
            ..Self::new(self.config.clone())
        };
    }

    /// The codec once `version` has been answered with a protocol that has layouts.
    pub fn codec(&self) -> Option<FrameCodec> {
        self.codec
    }

    /// The network in the tokens, if one was formed.
    pub fn nvm(&self) -> Option<&Nvm> {
        self.nvm.as_ref()
    }

    /// Writes the tokens directly (a test seeding a stick that already has a network).
    pub fn set_nvm(&mut self, nvm: Option<Nvm>) {
        self.nvm = nvm;
    }

    /// Whether the stack is up on a network.
    pub fn is_network_up(&self) -> bool {
        self.stack_up
    }

    /// Seconds the network was last opened for (as asked by `permitJoining`).
    pub fn permit_join_seconds(&self) -> u8 {
        self.permit_join_seconds
    }

    /// A configuration value as set by the host.
    pub fn config_value(&self, id: u8) -> Option<u16> {
        self.config_values.get(&id).copied()
    }

    /// A policy decision as set by the host.
    pub fn policy(&self, id: u8) -> Option<u8> {
        self.policies.get(&id).copied()
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &NcpConfig {
        &self.config
    }

    /// Encodes a response or callback in the extended header with `sequence`.
    pub fn encode(&self, sequence: u8, frame: &FromNcp) -> Option<Vec<u8>> {
        let codec = self.codec.or_else(|| FrameCodec::new(14).ok())?;
        let mut control = FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1;
        if matches!(frame, FromNcp::Callback(_)) {
            control |= FrameControl::ASYNC_CALLBACK;
        }
        let header = Header {
            sequence,
            control,
            frame_id: frame.frame_id(),
        };
        match codec.encode_from_ncp(&header, frame) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                tracing::error!("emulator cannot encode {frame:?}: {e}");
                None
            }
        }
    }

    /// The default behaviour: the frames (encoded) to send back, in order.
    pub fn handle(&mut self, frame: &EzspFrameFromHost) -> Vec<Vec<u8>> {
        match frame {
            EzspFrameFromHost::Version {
                sequence,
                desired,
                legacy,
            } => self.version(*sequence, *desired, *legacy),
            EzspFrameFromHost::Command { header, command } => {
                let seq = header.sequence;
                self.command(command)
                    .iter()
                    .filter_map(|f| self.encode(seq, f))
                    .collect()
            }
            EzspFrameFromHost::Undecodable { bytes, reason } => {
                tracing::warn!("emulated NCP ignores an undecodable frame {bytes:02x?}: {reason}");
                Vec::new()
            }
        }
    }

    fn version(&mut self, sequence: u8, desired: u8, legacy: bool) -> Vec<Vec<u8>> {
        let ours = self.config.protocol_version;
        if desired == ours {
            self.codec = FrameCodec::new(ours).ok();
        }
        let response = FromNcp::Response(Response::Version(VersionResponse {
            protocol_version: ours,
            stack_type: self.config.stack_type,
            stack_version: self.config.stack_version,
        }));
        let (format, control) = if legacy {
            (HeaderFormat::Legacy, FrameControl::RESPONSE)
        } else {
            (
                HeaderFormat::Extended,
                FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1,
            )
        };
        let header = Header {
            sequence,
            control,
            frame_id: 0x0000,
        };
        let (Ok(mut out), Ok(params)) = (header.encode(format), response.encode_params()) else {
            return Vec::new();
        };
        out.extend(params);
        vec![out]
    }

    fn status(status: Status) -> StatusResponse {
        StatusResponse { status }
    }

    /// Default answers to a decoded command: the response first, then any callbacks.
    fn command(&mut self, command: &Command) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        let ok = Self::status(status::OK);
        match command {
            Command::Nop(_) => vec![R(Response::Nop(NoParams))],
            Command::Echo(e) => vec![R(Response::Echo(EchoResponse {
                echo: e.data.clone(),
            }))],
            Command::GetConfigurationValue(c) => {
                vec![R(Response::GetConfigurationValue(
                    GetConfigurationValueResponse {
                        status: status::OK,
                        value: self.config_values.get(&c.config_id).copied().unwrap_or(0),
                    },
                ))]
            }
            Command::SetConfigurationValue(c) => {
                let st = if self.stack_up {
                    Self::status(status::INVALID_STATE)
                } else {
                    self.config_values.insert(c.config_id, c.value);
                    ok
                };
                vec![R(Response::SetConfigurationValue(st))]
            }
            Command::SetPolicy(p) => {
                self.policies.insert(p.policy_id, p.decision_id);
                vec![R(Response::SetPolicy(ok))]
            }
            Command::GetEui64(_) => vec![R(Response::GetEui64(GetEui64Response {
                eui64: self.config.eui64,
            }))],
            Command::GetNodeId(_) => vec![R(Response::GetNodeId(GetNodeIdResponse {
                node_id: if self.stack_up { 0x0000 } else { 0xFFFE },
            }))],
            Command::NetworkInit(_) => {
                if self.stack_up {
                    vec![R(Response::NetworkInit(Self::status(
                        status::INVALID_STATE,
                    )))]
                } else if self.nvm.is_some() {
                    self.stack_up = true;
                    vec![
                        R(Response::NetworkInit(ok)),
                        Cb(Callback::StackStatusHandler(StackStatusHandler {
                            status: status::NETWORK_UP,
                        })),
                    ]
                } else {
                    vec![R(Response::NetworkInit(Self::status(status::NOT_JOINED)))]
                }
            }
            Command::NetworkState(_) => vec![R(Response::NetworkState(NetworkStateResponse {
                status: if self.stack_up { 2 } else { 0 },
            }))],
            Command::SetInitialSecurityState(s) => {
                self.security = Some(s.state.clone());
                vec![R(Response::SetInitialSecurityState(ok))]
            }
            Command::FormNetwork(f) => {
                if self.stack_up {
                    return vec![R(Response::FormNetwork(Self::status(
                        status::INVALID_STATE,
                    )))];
                }
                let Some(security) = &self.security else {
                    return vec![R(Response::FormNetwork(Self::status(
                        status::SECURITY_STATE_NOT_SET,
                    )))];
                };
                if !CHANNELS.contains(&f.parameters.radio_channel) {
                    return vec![R(Response::FormNetwork(Self::status(
                        status::INVALID_PARAMETER,
                    )))];
                }
                self.nvm = Some(Nvm {
                    parameters: f.parameters,
                    network_key: security.network_key.clone(),
                    network_key_sequence: security.network_key_sequence_number,
                    tc_link_key: security.preconfigured_key.clone(),
                    security_bitmask: security.bitmask,
                    nwk_frame_counter: 0,
                    aps_frame_counter: 0,
                });
                self.stack_up = true;
                vec![
                    R(Response::FormNetwork(ok)),
                    Cb(Callback::StackStatusHandler(StackStatusHandler {
                        status: status::NETWORK_UP,
                    })),
                ]
            }
            Command::GetNetworkParameters(_) => {
                let (st, parameters) = match (&self.nvm, self.stack_up) {
                    (Some(nvm), true) => (status::OK, nvm.parameters),
                    _ => (status::NOT_JOINED, NetworkParameters::default()),
                };
                vec![R(Response::GetNetworkParameters(
                    GetNetworkParametersResponse {
                        status: st,
                        node_type: 1,
                        parameters,
                    },
                ))]
            }
            Command::PermitJoining(p) => {
                let st = if self.stack_up {
                    self.permit_join_seconds = p.duration;
                    ok
                } else {
                    Self::status(status::NETWORK_DOWN)
                };
                vec![R(Response::PermitJoining(st))]
            }
            Command::StartScan(s) => self.start_scan(s.scan_type, s.channel_mask),
            Command::SendUnicast(u) => {
                if !self.stack_up {
                    return vec![R(Response::SendUnicast(SendUnicastResponse {
                        status: status::NETWORK_DOWN,
                        sequence: 0,
                    }))];
                }
                self.aps_sequence = self.aps_sequence.wrapping_add(1);
                if let Some(nvm) = &mut self.nvm {
                    nvm.nwk_frame_counter = nvm.nwk_frame_counter.wrapping_add(1);
                    nvm.aps_frame_counter = nvm.aps_frame_counter.wrapping_add(1);
                }
                let mut aps_frame = u.aps_frame;
                aps_frame.sequence = self.aps_sequence;
                vec![
                    R(Response::SendUnicast(SendUnicastResponse {
                        status: status::OK,
                        sequence: self.aps_sequence,
                    })),
                    // No device answers yet: every unicast times out at the APS layer.
                    Cb(Callback::MessageSentHandler(MessageSentHandler {
                        status: status::DELIVERY_FAILED,
                        message_type: u.message_type,
                        index_or_destination: u.index_or_destination,
                        aps_frame,
                        message_tag: u.message_tag,
                        message: Bytes8(Vec::new()),
                    })),
                ]
            }
            Command::Version(_) => Vec::new(), // handled before decoding
            other => {
                tracing::warn!("emulated NCP has no default for {other:?}");
                Vec::new()
            }
        }
    }

    fn start_scan(&mut self, scan_type: u8, channel_mask: u32) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        let channels: Vec<u8> = CHANNELS.filter(|&c| channel_mask & (1 << c) != 0).collect();
        if channels.is_empty() {
            return vec![R(Response::StartScan(Self::status(
                status::INVALID_CHANNEL_MASK,
            )))];
        }
        let mut out = vec![R(Response::StartScan(Self::status(status::OK)))];
        if scan_type == 0 {
            for channel in channels {
                let idx = usize::from(channel - 11);
                let rssi = self.config.energy.get(idx).copied().unwrap_or(-100);
                out.push(Cb(Callback::EnergyScanResultHandler(
                    EnergyScanResultHandler {
                        channel,
                        max_rssi_value: rssi,
                    },
                )));
            }
        }
        // An active scan finds no networks: there are none around an emulated stick.
        out.push(Cb(Callback::ScanCompleteHandler(ScanCompleteHandler {
            channel: 0,
            status: status::OK,
        })));
        out
    }
}

#[cfg(test)]
mod tests {
    use sealhub_radios::zigbee::ezsp::commands::messaging::SendUnicast;
    use sealhub_radios::zigbee::ezsp::commands::networking::{FormNetwork, NetworkInit};
    use sealhub_radios::zigbee::ezsp::commands::security::SetInitialSecurityState;
    use sealhub_radios::zigbee::ezsp::types::ApsFrame;

    use super::*;

    fn codec() -> FrameCodec {
        FrameCodec::new(14).unwrap()
    }

    /// Sends one command the way the driver would; returns the decoded answers.
    fn ask(ncp: &mut Ncp, seq: u8, command: Command) -> Vec<FromNcp> {
        let bytes = codec().encode_command(seq, &command).unwrap();
        let frame = EzspFrameFromHost::parse(&bytes, ncp.codec());
        ncp.handle(&frame)
            .iter()
            .map(|b| {
                let (header, f) = codec().decode_from_ncp(b).unwrap();
                assert_eq!(header.sequence, seq);
                assert_eq!(
                    header.control.contains(FrameControl::ASYNC_CALLBACK),
                    matches!(f, FromNcp::Callback(_))
                );
                f
            })
            .collect()
    }

    fn negotiated() -> Ncp {
        let mut ncp = Ncp::new(NcpConfig::default());
        // Legacy version(13): answered with 14 in the legacy header, not yet negotiated.
        let out = ncp.handle(&EzspFrameFromHost::parse(&[0, 0, 0, 13], None));
        assert_eq!(out, vec![vec![0x00, 0x80, 0x00, 14, 2, 0x20, 0x80]]);
        assert!(ncp.codec().is_none());
        let out = ncp.handle(&EzspFrameFromHost::parse(&[1, 0, 1, 0, 0, 14], None));
        assert_eq!(
            out,
            vec![vec![0x01, 0x80, 0x01, 0x00, 0x00, 14, 2, 0x20, 0x80]]
        );
        assert!(ncp.codec().is_some());
        ncp
    }

    fn unicast() -> Command {
        Command::SendUnicast(SendUnicast {
            message_type: 0,
            index_or_destination: 0x1234,
            aps_frame: ApsFrame::default(),
            message_tag: 7,
            message: Bytes8(vec![1, 2, 3]),
        })
    }

    #[test]
    fn forms_a_network_keeps_it_across_a_reboot_and_fails_unicasts_to_nobody() {
        let mut ncp = negotiated();
        assert!(matches!(
            ask(&mut ncp, 2, unicast()).as_slice(),
            [FromNcp::Response(Response::SendUnicast(r))] if r.status == status::NETWORK_DOWN
        ));
        let parameters = NetworkParameters {
            pan_id: 0xBEEF,
            radio_channel: 15,
            ..NetworkParameters::default()
        };
        let form = Command::FormNetwork(FormNetwork { parameters });
        assert!(matches!(
            ask(&mut ncp, 3, form.clone()).as_slice(),
            [FromNcp::Response(Response::FormNetwork(r))] if r.status == status::SECURITY_STATE_NOT_SET
        ));
        let state = InitialSecurityState {
            bitmask: 0x0B04,
            preconfigured_key: Key(*b"ZigBeeAlliance09"),
            network_key: Key([9; 16]),
            network_key_sequence_number: 0,
            preconfigured_trust_center_eui64: [0; 8],
        };
        ask(
            &mut ncp,
            4,
            Command::SetInitialSecurityState(SetInitialSecurityState { state }),
        );
        assert!(matches!(
            ask(&mut ncp, 5, form).as_slice(),
            [
                FromNcp::Response(Response::FormNetwork(r)),
                FromNcp::Callback(Callback::StackStatusHandler(up)),
            ] if r.status == status::OK && up.status == status::NETWORK_UP
        ));
        assert!(matches!(
            ask(&mut ncp, 6, unicast()).as_slice(),
            [
                FromNcp::Response(Response::SendUnicast(r)),
                FromNcp::Callback(Callback::MessageSentHandler(sent)),
            ] if r.status == status::OK
                && sent.status == status::DELIVERY_FAILED
                && sent.message_tag == 7
                && sent.index_or_destination == 0x1234
        ));
        assert_eq!(ncp.nvm().unwrap().nwk_frame_counter, 1);

        ncp.reboot();
        assert!(!ncp.is_network_up());
        assert!(
            ncp.codec().is_none(),
            "the version must be negotiated again"
        );
        let mut ncp = {
            let nvm = ncp.nvm().cloned();
            let mut fresh = negotiated();
            fresh.set_nvm(nvm);
            fresh
        };
        assert!(matches!(
            ask(&mut ncp, 7, Command::NetworkInit(NetworkInit { bitmask: 0 })).as_slice(),
            [
                FromNcp::Response(Response::NetworkInit(r)),
                FromNcp::Callback(Callback::StackStatusHandler(_)),
            ] if r.status == status::OK
        ));
        assert!(matches!(
            ask(&mut ncp, 8, Command::GetNetworkParameters(NoParams)).as_slice(),
            [FromNcp::Response(Response::GetNetworkParameters(r))]
                if r.parameters.pan_id == 0xBEEF && r.parameters.radio_channel == 15
        ));
    }

    #[test]
    fn an_energy_scan_reports_every_masked_channel_then_completes() {
        let mut ncp = negotiated();
        let scan = Command::StartScan(
            sealhub_radios::zigbee::ezsp::commands::networking::StartScan {
                scan_type: 0,
                channel_mask: (1 << 11) | (1 << 20) | (1 << 26),
                duration: 3,
            },
        );
        let out = ask(&mut ncp, 2, scan);
        let channels: Vec<(u8, i8)> = out
            .iter()
            .filter_map(|f| match f {
                FromNcp::Callback(Callback::EnergyScanResultHandler(r)) => {
                    Some((r.channel, r.max_rssi_value))
                }
                _ => None,
            })
            .collect();
        assert_eq!(channels, vec![(11, -40), (20, -95), (26, -49)]);
        assert!(matches!(
            out.last(),
            Some(FromNcp::Callback(Callback::ScanCompleteHandler(_)))
        ));
    }
}
