//! ZCL to and from joined devices: cluster commands, Read and Write Attributes and Configure
//! Reporting
//! sent as `sendUnicast` (APS ack requested, APS retries and route discovery
//! enabled), and the unsolicited frames devices send (Report Attributes,
//! cluster commands such as an IAS Zone status change) turned into [`RadioEvent`]s.
//!
//! A request waits for its answer among the `incomingMessageHandler` callbacks: from the node
//! ID and endpoint it was sent to, on its cluster, server to client, with its ZCL transaction
//! sequence number, and of a kind that answers it (a Default Response naming the request's
//! command, the foundation response to a foundation request, a cluster-specific frame to a
//! cluster-specific request): a device's own Report Attributes carrying the same number is not
//! an answer. A `messageSentHandler` failure ends the wait at once
//! ([`Error::DeliveryFailed`], the EmberZNet status named by [`sl_status_name`]); a Default
//! Response with another status than SUCCESS is [`Error::ZclStatus`]; no answer within
//! [`super::DriverConfig::device_timeout`] is [`Error::NoAnswer`].
//!
//! Requests to one device go one at a time, in the order they were made (a fair lock per node
//! ID), so a Toggle after an On cannot overtake it; requests to different devices overlap.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use super::devices::{APS_OPTIONS, HUB_ENDPOINT, unicast};
use super::{Client, Error, RadioEvent, Result};
use crate::zigbee::ezsp::Callback;
use crate::zigbee::ezsp::commands::messaging::IncomingMessageHandler;
use crate::zigbee::ezsp::types::ApsFrame;
use crate::zigbee::zcl::foundation::{
    AttributeValue, ConfigureReporting, ConfigureReportingResponse, ReadAttributeRecord,
    ReportingConfiguration, WriteAttributes, WriteAttributesResponse,
};
use crate::zigbee::zcl::{
    ClusterCommand, Direction, FrameType, GeneralCommand, Header, ZclCommand, ZclFrame, ZclMessage,
};

/// The Home Automation profile every ZCL request is sent with.
pub const HA_PROFILE: u16 = 0x0104;

/// What a cluster command got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A Default Response with status SUCCESS.
    Success,
    /// The command's own response (a cluster-specific frame with the request's transaction
    /// sequence number), undecoded: decode it with [`ZclMessage::from_frame`].
    Response(ZclFrame),
}

/// One lock per device so requests to it go in order (tokio's mutex is fair, FIFO).
#[derive(Default)]
pub(crate) struct DeviceQueues(Mutex<BTreeMap<u16, Arc<tokio::sync::Mutex<()>>>>);

impl DeviceQueues {
    /// Drops the queue of a device that left (requests still waiting keep their turn).
    pub(crate) fn forget(&self, node_id: u16) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&node_id);
    }

    fn of(&self, node_id: u16) -> Arc<tokio::sync::Mutex<()>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(node_id)
            .or_default()
            .clone()
    }
}

/// The name of an `sl_status_t` a send or `messageSentHandler` reports.
pub fn sl_status_name(status: u32) -> &'static str {
    match status {
        0x0000 => "OK",
        0x0001 => "FAIL",
        0x0007 => "TIMEOUT",
        0x0C01 => "ZIGBEE_PACKET_HANDOFF_DROPPED",
        0x0C02 => "ZIGBEE_DELIVERY_FAILED",
        0x0C03 => "ZIGBEE_MAX_MESSAGE_LIMIT_REACHED",
        _ => "unknown status",
    }
}

/// The foundation command that answers the foundation command `sent`, if it has its own
/// (ZCL §2.5: Read Attributes Response, Write Attributes Response, Configure Reporting
/// Response); others are answered by a Default Response alone.
fn foundation_response_to(sent: u8) -> Option<u8> {
    match sent {
        0x00 => Some(0x01),
        0x02 => Some(0x04),
        0x06 => Some(0x07),
        _ => None,
    }
}

/// Whether `frame`, from the device the request `sent` went to, answers it: server to client
/// with the request's transaction sequence number, and either a Default Response naming the
/// request's command ID (ZCL §2.5.12), the foundation response to a foundation request, or a
/// cluster-specific frame to a cluster-specific request.
///
/// The transaction sequence number alone does not say it: a device numbers its own frames
/// (Report Attributes, notifications) with its own counter, which meets the hub's again and
/// again as both wrap, and such a report may arrive while a request waits.
fn answers_request(sent: &Header, frame: &ZclFrame) -> bool {
    let answer = &frame.header;
    if answer.direction != Direction::ServerToClient
        || answer.tsn != sent.tsn
        || answer.manufacturer_code != sent.manufacturer_code
    {
        return false;
    }
    match (sent.frame_type, answer.frame_type) {
        // A Default Response cut short (no command ID) still answers: a device's own frames
        // are never Default Responses, and the cut answer is then refused as a bad answer
        // rather than waited on until the device timeout.
        (_, FrameType::Global) if answer.command_id == 0x0B => frame
            .payload
            .first()
            .is_none_or(|command| *command == sent.command_id),
        (FrameType::Global, FrameType::Global) => {
            foundation_response_to(sent.command_id) == Some(answer.command_id)
        }
        (FrameType::ClusterSpecific, FrameType::ClusterSpecific) => true,
        _ => false,
    }
}

/// Sends `message` to `endpoint` of `node_id` on `cluster`, in the device's queue, and returns
/// the answer with the same transaction sequence number.
async fn request(
    client: &Client,
    node_id: u16,
    endpoint: u8,
    cluster: u16,
    build: impl FnOnce(u8) -> ZclMessage,
) -> Result<ZclFrame> {
    let queue = client.device_queues.of(node_id);
    let _turn = queue.lock().await;
    let tsn = client.zcl_tsn.fetch_add(1, Ordering::Relaxed);
    let message = build(tsn);
    let sent = message.header;
    let payload = message
        .encode()
        .map_err(|e| Error::InvalidRequest(format!("cannot encode ZCL request: {e}")))?;
    let aps = ApsFrame {
        profile_id: HA_PROFILE,
        cluster_id: cluster,
        source_endpoint: HUB_ENDPOINT,
        destination_endpoint: endpoint,
        options: APS_OPTIONS,
        group_id: 0,
        sequence: 0,
    };
    let answer = unicast(client, node_id, aps, payload, |m| {
        m.aps_frame.cluster_id == cluster
            && m.aps_frame.source_endpoint == endpoint
            && ZclFrame::decode(&m.message.0).is_ok_and(|frame| answers_request(&sent, &frame))
    })
    .await?;
    ZclFrame::decode(&answer.message.0)
        .map_err(|e| Error::BadAnswer(format!("ZCL answer on cluster {cluster:#06x}: {e}")))
}

/// Turns a Default Response into `Ok(())` or [`Error::ZclStatus`]; anything else is `Err` with
/// the frame back.
fn default_response(
    node_id: u16,
    cluster: u16,
    frame: &ZclFrame,
) -> Option<core::result::Result<(), Error>> {
    if frame.header.frame_type != FrameType::Global || frame.header.command_id != 0x0B {
        return None;
    }
    Some(match ZclMessage::from_frame(cluster, frame) {
        Ok(ZclMessage {
            command: ZclCommand::General(GeneralCommand::DefaultResponse(d)),
            ..
        }) if d.status.is_success() => Ok(()),
        Ok(ZclMessage {
            command: ZclCommand::General(GeneralCommand::DefaultResponse(d)),
            ..
        }) => Err(Error::ZclStatus {
            node_id,
            cluster,
            status: d.status.0,
        }),
        other => Err(Error::BadAnswer(format!("Default Response: {other:?}"))),
    })
}

/// Sends a cluster-specific command; see [`super::ZigbeeStick::send_cluster_command`].
pub(crate) async fn send_cluster_command(
    client: &Client,
    node_id: u16,
    endpoint: u8,
    cluster: u16,
    command: ClusterCommand,
) -> Result<Outcome> {
    if command.cluster_id() != cluster || command.direction() != Direction::ClientToServer {
        return Err(Error::InvalidRequest(format!(
            "{command:?} is not a client-to-server command of cluster {cluster:#06x}"
        )));
    }
    let command_id = command.command_id();
    let frame = request(client, node_id, endpoint, cluster, |tsn| ZclMessage {
        header: Header::cluster(tsn, command_id),
        command: ZclCommand::Cluster(command),
    })
    .await?;
    match default_response(node_id, cluster, &frame) {
        Some(r) => r.map(|()| Outcome::Success),
        None if frame.header.frame_type == FrameType::ClusterSpecific => {
            Ok(Outcome::Response(frame))
        }
        None => Err(Error::BadAnswer(format!(
            "foundation command {:#04x} in answer to a cluster command",
            frame.header.command_id
        ))),
    }
}

/// Reads attributes; see [`super::ZigbeeStick::read_attributes`].
pub(crate) async fn read_attributes(
    client: &Client,
    node_id: u16,
    endpoint: u8,
    cluster: u16,
    attributes: Vec<u16>,
) -> Result<Vec<ReadAttributeRecord>> {
    let frame = request(client, node_id, endpoint, cluster, |tsn| ZclMessage {
        header: Header::global(tsn, 0x00),
        command: ZclCommand::General(GeneralCommand::ReadAttributes(
            crate::zigbee::zcl::foundation::ReadAttributes { attributes },
        )),
    })
    .await?;
    if let Some(r) = default_response(node_id, cluster, &frame) {
        r?;
        return Err(Error::BadAnswer(
            "Default Response SUCCESS to Read Attributes".into(),
        ));
    }
    match ZclMessage::from_frame(cluster, &frame) {
        Ok(ZclMessage {
            command: ZclCommand::General(GeneralCommand::ReadAttributesResponse(r)),
            ..
        }) => Ok(r.records),
        other => Err(Error::BadAnswer(format!(
            "answer to Read Attributes: {other:?}"
        ))),
    }
}

/// Writes attributes; see [`super::ZigbeeStick::write_attributes`].
pub(crate) async fn write_attributes(
    client: &Client,
    node_id: u16,
    endpoint: u8,
    cluster: u16,
    records: Vec<AttributeValue>,
) -> Result<()> {
    let frame = request(client, node_id, endpoint, cluster, |tsn| ZclMessage {
        header: Header::global(tsn, 0x02),
        command: ZclCommand::General(GeneralCommand::WriteAttributes(WriteAttributes { records })),
    })
    .await?;
    if let Some(r) = default_response(node_id, cluster, &frame) {
        return r;
    }
    match ZclMessage::from_frame(cluster, &frame) {
        Ok(ZclMessage {
            command: ZclCommand::General(GeneralCommand::WriteAttributesResponse(r)),
            ..
        }) => match r {
            WriteAttributesResponse::AllSuccess => Ok(()),
            WriteAttributesResponse::Failures(failures) => match failures.first() {
                None => Ok(()),
                Some(f) => Err(Error::ZclStatus {
                    node_id,
                    cluster,
                    status: f.status.0,
                }),
            },
        },
        other => Err(Error::BadAnswer(format!(
            "answer to Write Attributes: {other:?}"
        ))),
    }
}

/// Configures reporting; see [`super::ZigbeeStick::configure_reporting`].
pub(crate) async fn configure_reporting(
    client: &Client,
    node_id: u16,
    endpoint: u8,
    cluster: u16,
    records: Vec<ReportingConfiguration>,
) -> Result<()> {
    let frame = request(client, node_id, endpoint, cluster, |tsn| ZclMessage {
        header: Header::global(tsn, 0x06),
        command: ZclCommand::General(GeneralCommand::ConfigureReporting(ConfigureReporting {
            records,
        })),
    })
    .await?;
    if let Some(r) = default_response(node_id, cluster, &frame) {
        return r;
    }
    match ZclMessage::from_frame(cluster, &frame) {
        Ok(ZclMessage {
            command: ZclCommand::General(GeneralCommand::ConfigureReportingResponse(r)),
            ..
        }) => match r {
            ConfigureReportingResponse::AllSuccess => Ok(()),
            ConfigureReportingResponse::Records(records) => {
                match records.iter().find(|s| !s.status.is_success()) {
                    None => Ok(()),
                    Some(s) => Err(Error::ZclStatus {
                        node_id,
                        cluster,
                        status: s.status.0,
                    }),
                }
            }
        },
        other => Err(Error::BadAnswer(format!(
            "answer to Configure Reporting: {other:?}"
        ))),
    }
}

/// The [`RadioEvent`] an incoming ZCL frame means, if any: Report Attributes becomes
/// [`RadioEvent::AttributeReport`], a cluster-specific command the ZCL layer decodes becomes
/// [`RadioEvent::ClusterCommand`]. Answers to the hub's own requests with a cluster-specific
/// response also come out as [`RadioEvent::ClusterCommand`].
pub(crate) fn event_of(callback: &Callback) -> Option<RadioEvent> {
    let Callback::IncomingMessageHandler(m) = callback else {
        return None;
    };
    if m.aps_frame.profile_id != HA_PROFILE {
        return None;
    }
    incoming_event(m)
}

fn incoming_event(m: &IncomingMessageHandler) -> Option<RadioEvent> {
    let cluster = m.aps_frame.cluster_id;
    let node_id = m.packet_info.sender_short_id;
    let endpoint = m.aps_frame.source_endpoint;
    let frame = ZclFrame::decode(&m.message.0).ok()?;
    match frame.header.frame_type {
        FrameType::Global if frame.header.command_id == 0x0A => {
            match ZclMessage::from_frame(cluster, &frame) {
                Ok(ZclMessage {
                    command: ZclCommand::General(GeneralCommand::ReportAttributes(r)),
                    ..
                }) => Some(RadioEvent::AttributeReport {
                    node_id,
                    endpoint,
                    cluster,
                    attributes: r.reports.into_iter().map(|a| (a.id, a.value)).collect(),
                }),
                other => {
                    tracing::debug!(node_id, cluster, "undecodable Report Attributes: {other:?}");
                    None
                }
            }
        }
        FrameType::Global => None,
        FrameType::ClusterSpecific => match ZclMessage::from_frame(cluster, &frame) {
            Ok(ZclMessage {
                command: ZclCommand::Cluster(command),
                ..
            }) => Some(RadioEvent::ClusterCommand {
                node_id,
                endpoint,
                command,
            }),
            other => {
                tracing::debug!(node_id, cluster, "cluster command not decoded: {other:?}");
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zigbee::ezsp::types::{Bytes8, PacketInfo};
    use crate::zigbee::zcl::Value;
    use crate::zigbee::zcl::clusters::ias_zone;

    fn incoming(cluster: u16, payload: Vec<u8>) -> Callback {
        Callback::IncomingMessageHandler(IncomingMessageHandler {
            message_type: 0,
            aps_frame: ApsFrame {
                profile_id: HA_PROFILE,
                cluster_id: cluster,
                source_endpoint: 1,
                destination_endpoint: 1,
                options: 0,
                group_id: 0,
                sequence: 0,
            },
            packet_info: PacketInfo {
                sender_short_id: 0x1234,
                sender_long_id: [0; 8],
                binding_index: 0xFF,
                address_index: 0xFF,
                last_hop_lqi: 0xFF,
                last_hop_rssi: 0,
                last_hop_timestamp: 0,
            },
            message: Bytes8(payload),
        })
    }

    #[test]
    fn reports_and_cluster_commands_become_events() {
        // Report Attributes, server to client, OnOff = true.
        let report = incoming(6, vec![0x18, 7, 0x0A, 0x00, 0x00, 0x10, 0x01]);
        assert_eq!(
            event_of(&report),
            Some(RadioEvent::AttributeReport {
                node_id: 0x1234,
                endpoint: 1,
                cluster: 6,
                attributes: vec![(0, Value::Boolean(1))],
            })
        );
        // IAS Zone Status Change Notification: status 0x0001, extended 0, zone 1, delay 0.
        let notification = incoming(
            0x0500,
            vec![0x19, 8, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00],
        );
        assert!(matches!(
            event_of(&notification),
            Some(RadioEvent::ClusterCommand {
                node_id: 0x1234,
                endpoint: 1,
                command: ClusterCommand::IasZoneReport(
                    ias_zone::ToClient::ZoneStatusChangeNotification(_)
                ),
            })
        ));
        // A Default Response is an answer, not an event.
        assert_eq!(
            event_of(&incoming(6, vec![0x18, 9, 0x0B, 0x02, 0x00])),
            None
        );
    }

    fn frame(bytes: &[u8]) -> ZclFrame {
        ZclFrame::decode(bytes).expect("a ZCL frame")
    }

    #[test]
    fn only_a_response_with_the_requests_tsn_answers_it() {
        // An On (cluster 6, command 0x01) with TSN 5.
        let on = Header::cluster(5, 0x01);
        // Default Response to command 0x01, SUCCESS.
        assert!(answers_request(&on, &frame(&[0x18, 5, 0x0B, 0x01, 0x00])));
        // The same with another TSN, or naming another command.
        assert!(!answers_request(&on, &frame(&[0x18, 6, 0x0B, 0x01, 0x00])));
        assert!(!answers_request(&on, &frame(&[0x18, 5, 0x0B, 0x02, 0x00])));
        // A Default Response cut after its header answers (and is then a bad answer).
        assert!(answers_request(&on, &frame(&[0x18, 5, 0x0B])));
        // The device's own Report Attributes that happens to carry TSN 5.
        assert!(!answers_request(
            &on,
            &frame(&[0x18, 5, 0x0A, 0x00, 0x00, 0x10, 0x01])
        ));
        // The hub's own direction (client to server) is never an answer.
        assert!(!answers_request(&on, &frame(&[0x00, 5, 0x0B, 0x01, 0x00])));
        // A cluster-specific response answers a cluster-specific request.
        assert!(answers_request(&on, &frame(&[0x19, 5, 0x00, 0x00])));
        // With a manufacturer code the request did not carry: not an answer.
        assert!(!answers_request(
            &on,
            &frame(&[0x1C, 0x34, 0x12, 5, 0x0B, 0x01, 0x00])
        ));

        // Read Attributes (0x00), TSN 9: its response (0x01) or a Default Response to 0x00.
        let read = Header::global(9, 0x00);
        assert!(answers_request(
            &read,
            &frame(&[0x18, 9, 0x01, 0x00, 0x00, 0x00, 0x10, 0x01])
        ));
        assert!(answers_request(&read, &frame(&[0x18, 9, 0x0B, 0x00, 0x82])));
        assert!(!answers_request(
            &read,
            &frame(&[0x18, 9, 0x0A, 0x00, 0x00, 0x10, 0x01])
        ));
        assert!(!answers_request(&read, &frame(&[0x19, 9, 0x00, 0x00])));
        // Write Attributes (0x02) -> 0x04; Configure Reporting (0x06) -> 0x07.
        assert!(answers_request(
            &Header::global(1, 0x02),
            &frame(&[0x18, 1, 0x04, 0x00])
        ));
        assert!(answers_request(
            &Header::global(1, 0x06),
            &frame(&[0x18, 1, 0x07, 0x00])
        ));
        assert!(!answers_request(
            &Header::global(1, 0x06),
            &frame(&[0x18, 1, 0x04, 0x00])
        ));
        assert_eq!(sl_status_name(0x0C02), "ZIGBEE_DELIVERY_FAILED");
    }
}
