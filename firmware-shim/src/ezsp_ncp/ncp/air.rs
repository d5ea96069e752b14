//! What travels over the emulated air: unicasts to the coordinator itself (answered by
//! [`super::super::local_zdo`]), to joined devices (answered by
//! [`super::super::devices::answers`]) or to nobody; broadcasts and multicasts; the devices'
//! own reports on the emulator's clock; devices leaving; and frames that arrive a few ticks
//! later, as over the air.

use sealhub_radios::zigbee::ezsp::commands::messaging::{
    IncomingMessageHandler, MessageSentHandler, SendUnicast, SendUnicastResponse,
};
use sealhub_radios::zigbee::ezsp::commands::networking::ChildJoinHandler;
use sealhub_radios::zigbee::ezsp::commands::security::{TrustCenterJoinHandler, device_update};
use sealhub_radios::zigbee::ezsp::types::{ApsFrame, Bytes8, OutgoingMessageType, PacketInfo};
use sealhub_radios::zigbee::ezsp::{Callback, FromNcp, Response};

use super::super::device_zdo;
use super::super::devices::{self, SimulatedDevice};
use super::super::frame_counters::CounterLayer;
use super::super::local_zdo;
use super::super::zcl_device;
use super::Ncp;
use super::ids::*;

impl Ncp {
    /// One tick passes: frames whose delay ran out, encoded, in order.
    pub fn tick(&mut self) -> Vec<Vec<u8>> {
        let mut due = Vec::new();
        self.pending.retain_mut(|(ticks, sequence, frame)| {
            *ticks = ticks.saturating_sub(1);
            if *ticks == 0 {
                due.push((*sequence, frame.clone()));
                false
            } else {
                true
            }
        });
        due.into_iter()
            .flat_map(|(sequence, frame)| self.deliver(sequence, vec![frame]))
            .collect()
    }

    /// Emulator time (`elapsed`, one tick) passes for the joined devices: what they send on
    /// their own (reports, notifications; [`zcl_device::poll`]) arrives as
    /// `incomingMessageHandler` on the next tick, and a device that is leaving (asked by
    /// `Mgmt_Leave_req`, or [`Ncp::device_leaves`]) is removed and reported as
    /// `childJoinHandler` (left) and `trustCenterJoinHandler` `DEVICE_LEFT`, after its last
    /// answer. Nothing happens while the network is down.
    pub fn tick_devices(&mut self, elapsed: std::time::Duration) {
        if !self.stack_up {
            return;
        }
        let hub = self.eui64;
        let node_ids: Vec<u16> = self.devices.keys().copied().collect();
        for node_id in node_ids {
            let Some(mut device) = self.devices.remove(&node_id) else {
                continue;
            };
            let delay = 1 + device.zcl.answer_delay();
            let sent = if device.zcl.silent {
                Vec::new()
            } else {
                zcl_device::poll(&mut device.zcl, elapsed, &hub)
            };
            for (profile_id, cluster_id, source_endpoint, destination_endpoint, payload) in sent {
                let aps = ApsFrame {
                    profile_id,
                    cluster_id,
                    source_endpoint,
                    destination_endpoint,
                    ..ApsFrame::default()
                };
                self.schedule_from(&device, INCOMING_UNICAST, aps, payload, delay);
            }
            if device.zcl.leaving {
                tracing::info!(node_id, eui64 = ?device.eui64, "simulated device leaves");
                let after_answers = LOCAL_ZDO_DELAY_TICKS + device.zcl.answer_delay() + 2;
                let index = u8::try_from(self.devices.len()).unwrap_or(u8::MAX);
                self.schedule((
                    after_answers,
                    0,
                    FromNcp::Callback(Callback::ChildJoinHandler(ChildJoinHandler {
                        index,
                        joining: 0,
                        child_id: device.node_id,
                        child_eui64: device.eui64,
                        child_type: device.node_type,
                    })),
                ));
                self.schedule((
                    after_answers,
                    0,
                    FromNcp::Callback(Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
                        new_node_id: device.node_id,
                        new_node_eui64: device.eui64,
                        status: device_update::DEVICE_LEFT,
                        // EMBER_NO_ACTION: nothing for the trust center to decide.
                        policy_decision: 3,
                        parent_of_new_node_id: COORDINATOR,
                    })),
                ));
            } else {
                self.devices.insert(node_id, device);
            }
        }
    }

    /// The joined device `node_id` leaves the network on its own (reported at the next
    /// [`Ncp::tick_devices`]); false if there is no such device.
    pub fn device_leaves(&mut self, node_id: u16) -> bool {
        match self.devices.get_mut(&node_id) {
            Some(device) => {
                device.leave();
                true
            }
            None => false,
        }
    }

    /// A frame goes out: the next APS sequence number; it is secured with the current NWK and
    /// APS frame counters (recorded), which then count on.
    pub(super) fn next_aps_sequence(&mut self) -> u8 {
        self.aps_sequence = self.aps_sequence.wrapping_add(1);
        if let Some(nvm) = &mut self.nvm {
            self.counters_used
                .used(CounterLayer::Nwk, nvm.network_key.0, nvm.nwk_frame_counter);
            self.counters_used
                .used(CounterLayer::Aps, nvm.tc_link_key.0, nvm.aps_frame_counter);
            nvm.nwk_frame_counter = nvm.nwk_frame_counter.wrapping_add(1);
            nvm.aps_frame_counter = nvm.aps_frame_counter.wrapping_add(1);
        }
        self.aps_sequence
    }

    /// A unicast. To the coordinator itself, a ZDO request is answered by [`local_zdo`] a few
    /// ticks later; to a joined simulated device, delivery succeeds and the device's answer
    /// ([`devices::answer`]) arrives as `incomingMessageHandler` a few ticks later; to anyone
    /// else nobody answers, so the APS layer reports `ZIGBEE_DELIVERY_FAILED`.
    pub(super) fn send_unicast(&mut self, u: &SendUnicast) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        if !self.stack_up {
            return vec![R(Response::SendUnicast(SendUnicastResponse {
                status: status::NETWORK_DOWN,
                sequence: 0,
            }))];
        }
        let sequence = self.next_aps_sequence();
        let mut aps_frame = u.aps_frame;
        aps_frame.sequence = sequence;
        let to_self = u.message_type == OUTGOING_DIRECT && u.index_or_destination == COORDINATOR;
        // A silent device acknowledges nothing: as if it were not there.
        let mut device = (u.message_type == OUTGOING_DIRECT)
            .then(|| self.devices.get(&u.index_or_destination).cloned())
            .flatten()
            .filter(|d| !d.zcl.silent);
        if let Some(device) = &mut device {
            let answers = devices::answers(
                device,
                aps_frame.profile_id,
                aps_frame.cluster_id,
                aps_frame.source_endpoint,
                aps_frame.destination_endpoint,
                &u.message.0,
            );
            self.devices.insert(device.node_id, device.clone());
            let first = LOCAL_ZDO_DELAY_TICKS + device.zcl.answer_delay();
            for (ticks, answer) in (first..).zip(answers) {
                let (profile_id, cluster_id, source_endpoint, destination_endpoint, payload) =
                    answer;
                let aps = ApsFrame {
                    profile_id,
                    cluster_id,
                    source_endpoint,
                    destination_endpoint,
                    ..ApsFrame::default()
                };
                self.schedule_from(device, INCOMING_UNICAST, aps, payload, ticks);
            }
        }
        let delivery = if to_self || device.is_some() {
            status::OK
        } else {
            status::DELIVERY_FAILED
        };
        if to_self && aps_frame.profile_id == local_zdo::ZDO_PROFILE {
            if let Some((cluster, payload)) = local_zdo::answer(
                aps_frame.cluster_id,
                &u.message.0,
                COORDINATOR,
                &self.endpoints,
            ) {
                self.schedule_incoming(cluster, payload);
            }
        }
        vec![
            R(Response::SendUnicast(SendUnicastResponse {
                status: status::OK,
                sequence,
            })),
            Cb(Callback::MessageSentHandler(MessageSentHandler {
                status: delivery,
                message_type: u.message_type,
                index_or_destination: u.index_or_destination,
                aps_frame,
                message_tag: u.message_tag,
                message: Bytes8(Vec::new()),
            })),
        ]
    }

    /// A ZDO response from the coordinator's own stack, delivered as `incomingMessageHandler`.
    pub(super) fn schedule_incoming(&mut self, cluster: u16, payload: Vec<u8>) {
        self.aps_sequence = self.aps_sequence.wrapping_add(1);
        let incoming = IncomingMessageHandler {
            message_type: INCOMING_UNICAST,
            aps_frame: ApsFrame {
                profile_id: local_zdo::ZDO_PROFILE,
                cluster_id: cluster,
                source_endpoint: 0,
                destination_endpoint: 0,
                options: 0,
                group_id: 0,
                sequence: self.aps_sequence,
            },
            packet_info: PacketInfo {
                sender_short_id: COORDINATOR,
                sender_long_id: self.eui64,
                binding_index: 0xFF,
                address_index: 0xFF,
                last_hop_lqi: 0xFF,
                last_hop_rssi: 0,
                last_hop_timestamp: 0,
            },
            message: Bytes8(payload),
        };
        self.schedule((
            LOCAL_ZDO_DELAY_TICKS,
            0,
            FromNcp::Callback(Callback::IncomingMessageHandler(incoming)),
        ));
    }

    /// A message from a simulated device, delivered as `incomingMessageHandler` after `ticks`.
    pub(super) fn schedule_from(
        &mut self,
        device: &SimulatedDevice,
        message_type: u8,
        mut aps_frame: ApsFrame,
        payload: Vec<u8>,
        ticks: u32,
    ) {
        self.aps_sequence = self.aps_sequence.wrapping_add(1);
        aps_frame.sequence = self.aps_sequence;
        let incoming = IncomingMessageHandler {
            message_type,
            aps_frame,
            packet_info: PacketInfo {
                sender_short_id: device.node_id,
                sender_long_id: device.eui64,
                binding_index: 0xFF,
                address_index: 0xFF,
                last_hop_lqi: 0xFF,
                last_hop_rssi: -40,
                last_hop_timestamp: 0,
            },
            message: Bytes8(payload),
        };
        self.schedule((
            ticks,
            0,
            FromNcp::Callback(Callback::IncomingMessageHandler(incoming)),
        ));
    }

    /// A broadcast reaches the joined devices it is addressed to (0xFFFC routers and the
    /// coordinator; 0xFFFD and 0xFFFF every device that is listening). Of broadcasts they act
    /// only on ZDO `Mgmt_Permit_Joining_req`: a router opens itself for joining, as the
    /// specification has it, without answering.
    pub(super) fn broadcast_to_devices(
        &mut self,
        destination: u16,
        aps_frame: &ApsFrame,
        message: &[u8],
    ) {
        if self.stack_up
            && aps_frame.profile_id == local_zdo::ZDO_PROFILE
            && aps_frame.cluster_id == device_zdo::MGMT_PERMIT_JOINING_REQ
            && matches!(destination, 0xFFFC | 0xFFFD | 0xFFFF)
        {
            for device in self.devices.values_mut().filter(|d| !d.zcl.silent) {
                device_zdo::permit_joining_broadcast(device, message);
            }
        }
    }

    /// A broadcast or multicast: queued and sent; with no devices around, nothing answers.
    pub(super) fn send_to_many(
        &mut self,
        message_type: OutgoingMessageType,
        destination: u16,
        aps_frame: ApsFrame,
        message_tag: u16,
    ) -> Vec<FromNcp> {
        use FromNcp::{Callback as Cb, Response as R};
        let respond = |st| SendUnicastResponse {
            status: st,
            sequence: 0,
        };
        let wrap = |r| {
            if message_type == OUTGOING_BROADCAST {
                R(Response::SendBroadcast(r))
            } else {
                R(Response::SendMulticast(r))
            }
        };
        if !self.stack_up {
            return vec![wrap(respond(status::NETWORK_DOWN))];
        }
        let sequence = self.next_aps_sequence();
        let mut aps_frame = aps_frame;
        aps_frame.sequence = sequence;
        vec![
            wrap(SendUnicastResponse {
                status: status::OK,
                sequence,
            }),
            Cb(Callback::MessageSentHandler(MessageSentHandler {
                status: status::OK,
                message_type,
                index_or_destination: destination,
                aps_frame,
                message_tag,
                message: Bytes8(Vec::new()),
            })),
        ]
    }
}
