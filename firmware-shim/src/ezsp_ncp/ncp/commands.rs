//! The default answer to each decoded EZSP command: configuration, policies, values, endpoints,
//! network formation and state, the security manager and key table, tokens, and scans. What
//! goes over the air is in [`super::air`].

use sealhub_radios::zigbee::ezsp::commands::configuration::{
    EchoResponse, GetConfigurationValueResponse, NoParams, StatusResponse, ValueResponse,
};
use sealhub_radios::zigbee::ezsp::commands::messaging::SetSourceRouteDiscoveryModeResponse;
use sealhub_radios::zigbee::ezsp::commands::networking::{
    EnergyScanResultHandler, GetEui64Response, GetNetworkParametersResponse, GetNodeIdResponse,
    NetworkStateResponse, ScanCompleteHandler, StackStatusHandler,
};
use sealhub_radios::zigbee::ezsp::commands::security::{
    ApsKeyMetadata, CurrentSecurityState, ExportKeyResponse, GetApsKeyInfoResponse,
    GetCurrentSecurityStateResponse, GetNetworkKeyInfoResponse, ImportLinkKey,
    InitialSecurityState, KEY_TABLE_ANY_INDEX,
};
use sealhub_radios::zigbee::ezsp::commands::tokens::{NVM3KEY_STACK_RESTORED_EUI64, SetTokenData};
use sealhub_radios::zigbee::ezsp::types::{
    Bytes8, Eui64, Key, NetworkKeyInfo, NetworkParameters, SecManContext, Status,
};
use sealhub_radios::zigbee::ezsp::{Callback, Command, FromNcp, Response};

use super::ids::*;
use super::{CHANNELS, Ncp, Nvm};

impl Ncp {
    pub(super) fn status(status: Status) -> StatusResponse {
        StatusResponse { status }
    }

    /// Default answers to a decoded command: the response first, then any callbacks.
    pub(super) fn command(&mut self, command: &Command) -> Vec<FromNcp> {
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
                eui64: self.eui64,
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
                    nwk_frame_counter: self.initial_counter(security, value_id::NWK_FRAME_COUNTER),
                    aps_frame_counter: self.initial_counter(security, value_id::APS_FRAME_COUNTER),
                });
                self.stack_up = true;
                vec![
                    R(Response::FormNetwork(ok)),
                    Cb(Callback::StackStatusHandler(StackStatusHandler {
                        status: status::NETWORK_UP,
                    })),
                ]
            }
            Command::GetCurrentSecurityState(_) => {
                let (st, state) = match (&self.nvm, self.stack_up) {
                    (Some(nvm), true) => (
                        status::OK,
                        CurrentSecurityState {
                            bitmask: current_security_bitmask(nvm.security_bitmask),
                            trust_center_long_address: self.eui64(),
                        },
                    ),
                    _ => (
                        status::NOT_JOINED,
                        CurrentSecurityState {
                            bitmask: 0,
                            trust_center_long_address: [0; 8],
                        },
                    ),
                };
                vec![R(Response::GetCurrentSecurityState(
                    GetCurrentSecurityStateResponse { status: st, state },
                ))]
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
                if !self.stack_up {
                    return vec![R(Response::PermitJoining(Self::status(
                        status::NETWORK_DOWN,
                    )))];
                }
                self.permit_join_seconds = p.duration;
                // EmberZNet reports the change as a stack status. (It would report CLOSED again
                // when the time runs out; the emulator has no such timer.)
                let change = if p.duration == 0 {
                    status::NETWORK_CLOSED
                } else {
                    status::NETWORK_OPENED
                };
                if p.duration != 0 {
                    for device in core::mem::take(&mut self.join_on_permit) {
                        let _ = self.join_device(device);
                    }
                }
                vec![
                    R(Response::PermitJoining(ok)),
                    Cb(Callback::StackStatusHandler(StackStatusHandler {
                        status: change,
                    })),
                ]
            }
            Command::StartScan(s) => self.start_scan(s.scan_type, s.channel_mask),
            Command::SendUnicast(u) => self.send_unicast(u),
            Command::SendBroadcast(b) => {
                self.broadcast_to_devices(b.destination, &b.aps_frame, &b.message.0);
                self.send_to_many(
                    OUTGOING_BROADCAST,
                    b.destination,
                    b.aps_frame,
                    b.message_tag,
                )
            }
            Command::SendMulticast(m) => {
                let group = m.aps_frame.group_id;
                self.send_to_many(OUTGOING_MULTICAST, group, m.aps_frame, m.message_tag)
            }
            Command::GetValue(v) => vec![R(Response::GetValue(self.get_value(v.value_id)))],
            Command::SetValue(v) => {
                let counter = matches!(
                    v.value_id,
                    value_id::NWK_FRAME_COUNTER | value_id::APS_FRAME_COUNTER
                );
                let st = if v.value_id == value_id::VERSION_INFO {
                    Self::status(status::INVALID_PARAMETER)
                } else if counter && self.stack_up {
                    // Only before forming, as on the chip.
                    Self::status(status::INVALID_STATE)
                } else {
                    self.values.insert(v.value_id, v.value.0.clone());
                    ok
                };
                vec![R(Response::SetValue(st))]
            }
            Command::GetExtendedValue(v) => {
                // The NCP always answers with the value's full length, also on failure.
                let registered = u8::try_from(v.characteristics)
                    .ok()
                    .filter(|ep| self.endpoints.contains_key(ep));
                let (st, flags) = match (v.value_id, registered) {
                    (EXTENDED_VALUE_ENDPOINT_FLAGS, Some(_)) => (status::OK, 0x0001u16),
                    _ => (status::INVALID_PARAMETER, 0),
                };
                vec![R(Response::GetExtendedValue(ValueResponse {
                    status: st,
                    value: Bytes8(flags.to_le_bytes().to_vec()),
                }))]
            }
            Command::AddEndpoint(e) => {
                let st = if self.endpoints.contains_key(&e.endpoint) || e.endpoint == 0 {
                    Self::status(status::INVALID_STATE)
                } else {
                    self.endpoints.insert(e.endpoint, e.clone());
                    ok
                };
                vec![R(Response::AddEndpoint(st))]
            }
            Command::SetManufacturerCode(m) => {
                self.manufacturer_code = m.code;
                vec![R(Response::SetManufacturerCode(NoParams))]
            }
            Command::SetMulticastTableEntry(m) => {
                let st = if m.index < MULTICAST_TABLE_SIZE {
                    self.multicast_table.insert(m.index, m.entry);
                    ok
                } else {
                    Self::status(status::INVALID_INDEX)
                };
                vec![R(Response::SetMulticastTableEntry(st))]
            }
            Command::SetConcentrator(c) => {
                self.concentrator = (c.on != 0).then_some(*c);
                vec![R(Response::SetConcentrator(ok))]
            }
            Command::SetSourceRouteDiscoveryMode(m) => {
                self.source_route_discovery_mode = m.mode;
                // Off: no more many-to-one route requests; otherwise the next one is due after
                // the concentrator's minimum interval.
                let remaining_time = match (&self.concentrator, m.mode) {
                    (Some(c), 1 | 2) => u32::from(c.min_time) * 1000,
                    _ => 0,
                };
                vec![R(Response::SetSourceRouteDiscoveryMode(
                    SetSourceRouteDiscoveryModeResponse { remaining_time },
                ))]
            }
            Command::SetRadioPower(p) => {
                if let Some(nvm) = &mut self.nvm {
                    nvm.parameters.radio_tx_power = p.power;
                }
                vec![R(Response::SetRadioPower(ok))]
            }
            Command::LeaveNetwork(_) => {
                if !self.stack_up {
                    return vec![R(Response::LeaveNetwork(Self::status(
                        status::INVALID_STATE,
                    )))];
                }
                // Leaving erases the network from the tokens.
                self.stack_up = false;
                self.nvm = None;
                self.devices.clear();
                self.permit_join_seconds = 0;
                vec![
                    R(Response::LeaveNetwork(ok)),
                    Cb(Callback::StackStatusHandler(StackStatusHandler {
                        status: status::NETWORK_DOWN,
                    })),
                ]
            }
            Command::ExportKey(k) => vec![R(Response::ExportKey(self.export_key(k.context)))],
            Command::GetApsKeyInfo(k) => {
                let (st, counter) = match (&self.nvm, k.context.core_key_type) {
                    (Some(nvm), KEY_TYPE_TC_LINK) => (status::OK, nvm.aps_frame_counter),
                    (None, KEY_TYPE_TC_LINK) => (status::NOT_FOUND, 0),
                    _ => (status::INVALID_PARAMETER, 0),
                };
                vec![R(Response::GetApsKeyInfo(GetApsKeyInfoResponse {
                    eui64: self.eui64(),
                    key_data: ApsKeyMetadata {
                        bitmask: 0,
                        outgoing_frame_counter: counter,
                        incoming_frame_counter: 0,
                        ttl_in_seconds: 0,
                    },
                    status: st,
                }))]
            }
            Command::GetNetworkKeyInfo(_) => {
                let info = match &self.nvm {
                    Some(nvm) => NetworkKeyInfo {
                        network_key_set: 1,
                        alternate_network_key_set: 0,
                        network_key_sequence_number: nvm.network_key_sequence,
                        alt_network_key_sequence_number: 0,
                        network_key_frame_counter: nvm.nwk_frame_counter,
                    },
                    None => NetworkKeyInfo::default(),
                };
                vec![R(Response::GetNetworkKeyInfo(GetNetworkKeyInfoResponse {
                    status: status::OK,
                    info,
                }))]
            }
            Command::ImportTransientKey(k) => {
                self.transient_keys.insert(k.eui64, k.key.clone());
                vec![R(Response::ImportTransientKey(ok))]
            }
            Command::ClearTransientLinkKeys(_) => {
                self.transient_keys.clear();
                vec![R(Response::ClearTransientLinkKeys(NoParams))]
            }
            Command::ClearKeyTable(_) => vec![R(Response::ClearKeyTable(ok))],
            Command::SetTokenData(t) => {
                vec![R(Response::SetTokenData(Self::status(self.set_token(t))))]
            }
            Command::ImportLinkKey(k) => {
                vec![R(Response::ImportLinkKey(Self::status(
                    self.import_link_key(k),
                )))]
            }
            Command::ResetNode(_) => {
                self.reset_requested = true;
                vec![R(Response::ResetNode(NoParams))]
            }
            Command::Version(_) => Vec::new(), // handled before decoding
            other => {
                tracing::warn!("emulated NCP has no default for {other:?}");
                Vec::new()
            }
        }
    }

    /// `setTokenData`: only `STACK_RESTORED_EUI64` (8 bytes, index 0) is kept; all 0xFF
    /// clears it, as on the chip. Other tokens are not emulated.
    pub(super) fn set_token(&mut self, t: &SetTokenData) -> Status {
        if !self.config.nvm3_tokens {
            return status::NOT_SUPPORTED;
        }
        if t.token != NVM3KEY_STACK_RESTORED_EUI64 {
            return status::NOT_FOUND;
        }
        let Ok(eui64) = <Eui64>::try_from(t.data.data.as_slice()) else {
            return status::INVALID_PARAMETER;
        };
        if t.index != 0 || t.data.size != 8 {
            return status::INVALID_PARAMETER;
        }
        self.restored_eui64 = (eui64 != [0xFF; 8]).then_some(eui64);
        status::OK
    }

    /// `importLinkKey`: index 0xFF replaces the entry of the EUI-64 or takes the first free
    /// one; refused while the stack is up, as herdsman expects.
    pub(super) fn import_link_key(&mut self, k: &ImportLinkKey) -> Status {
        if self.stack_up {
            return status::INVALID_STATE;
        }
        let index = if k.index == KEY_TABLE_ANY_INDEX {
            let own = self
                .key_table
                .iter()
                .find(|(_, (eui64, _))| *eui64 == k.eui64)
                .map(|(i, _)| *i);
            match own.or_else(|| (0..KEY_TABLE_SIZE).find(|i| !self.key_table.contains_key(i))) {
                Some(i) => i,
                None => return status::TABLE_FULL,
            }
        } else if k.index < KEY_TABLE_SIZE {
            k.index
        } else {
            return status::INVALID_INDEX;
        };
        self.key_table.insert(index, (k.eui64, k.key.clone()));
        status::OK
    }

    /// The NWK or APS frame counter a network formed with `security` starts from: the one set
    /// with `setValue` under `NO_FRAME_COUNTER_RESET` (a restore), 0 otherwise.
    fn initial_counter(&self, security: &InitialSecurityState, id: u8) -> u32 {
        if security.bitmask & NO_FRAME_COUNTER_RESET == 0 {
            return 0;
        }
        self.values
            .get(&id)
            .and_then(|v| v.first_chunk::<4>())
            .map_or(0, |b| u32::from_le_bytes(*b))
    }

    pub(super) fn get_value(&self, id: u8) -> ValueResponse {
        let value = if id == value_id::VERSION_INFO {
            let [hi, lo] = self.config.reported_stack_version().to_be_bytes();
            let mut v = self.config.build.to_le_bytes().to_vec();
            v.extend([hi >> 4, hi & 0x0F, lo >> 4, lo & 0x0F, VERSION_TYPE_GA]);
            Some(v)
        } else {
            self.values.get(&id).cloned()
        };
        match value {
            Some(v) => ValueResponse {
                status: status::OK,
                value: Bytes8(v),
            },
            None => ValueResponse {
                status: status::INVALID_PARAMETER,
                value: Bytes8(Vec::new()),
            },
        }
    }

    pub(super) fn export_key(&self, context: SecManContext) -> ExportKeyResponse {
        let key = match (&self.nvm, context.core_key_type) {
            (Some(nvm), KEY_TYPE_NETWORK) if context.key_index == 0 => Ok(nvm.network_key.clone()),
            (Some(nvm), KEY_TYPE_TC_LINK) => Ok(nvm.tc_link_key.clone()),
            (None, KEY_TYPE_NETWORK | KEY_TYPE_TC_LINK) => Err(status::NOT_FOUND),
            _ => Err(status::INVALID_PARAMETER),
        };
        match key {
            Ok(key) => ExportKeyResponse {
                status: status::OK,
                key,
                context,
            },
            Err(st) => ExportKeyResponse {
                status: st,
                key: Key::default(),
                context,
            },
        }
    }

    pub(super) fn start_scan(&mut self, scan_type: u8, channel_mask: u32) -> Vec<FromNcp> {
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
