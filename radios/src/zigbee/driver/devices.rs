//! Devices on the network: what the driver tells apart in the stick's callbacks (joins, leaves,
//! Device_annce) and the interview that learns what a joined device is.
//!
//! The interview sends each request as `sendUnicast` to the device's node ID and waits for its
//! answer among the `incomingMessageHandler` callbacks: from that node ID, on the response
//! cluster, with the request's ZDO or ZCL transaction sequence number. A `messageSentHandler`
//! for the request's message tag with a failure status ends the wait at once
//! ([`Error::DeliveryFailed`]); no answer within [`super::DriverConfig::device_timeout`] is
//! [`Error::NoAnswer`]. The steps: `Node_Desc_req`, `Active_EP_req`, `Simple_Desc_req` per
//! endpoint, then one ZCL Read Attributes of `manufacturerName` and `modelId` on the Basic
//! cluster of the first endpoint that serves it.
//!
//! Leaving: [`super::ZigbeeStick::request_leave`] sends `Mgmt_Leave_req` and waits for `Mgmt_Leave_rsp`; the
//! device's departure itself arrives as `trustCenterJoinHandler` `DEVICE_LEFT` (as EmberZNet
//! reports it, and zigbee-herdsman's ember adapter reads it), whoever made it leave.

use std::sync::atomic::Ordering;

use tokio::sync::broadcast;

use super::{Client, Error, LinkState, RadioEvent, Result, check};
use crate::zigbee::ezsp::commands::messaging::{IncomingMessageHandler, SendUnicast};
use crate::zigbee::ezsp::commands::security::device_update;
use crate::zigbee::ezsp::types::{ApsFrame, Bytes8};
use crate::zigbee::ezsp::{Callback, Command, Response};
use crate::zigbee::zcl::ZclCommand;
use crate::zigbee::zcl::foundation::{ReadAttributes, ReadAttributesResponse};
use crate::zigbee::zcl::{GeneralCommand, Header as ZclHeader, Value, ZclMessage};
use crate::zigbee::zdo::{
    Answer, LeaveFlags, MgmtLeaveRequest, NodeDescriptor, NwkOfInterest, SimpleDescRequest,
    SimpleDescriptor, ZdoFrame, ZdoMessage,
};

/// The ZDO profile.
const ZDO_PROFILE: u16 = 0x0000;
/// ZDO `Device_annce`.
const DEVICE_ANNOUNCE: u16 = 0x0013;
/// The Basic cluster.
const BASIC: u16 = 0x0000;
/// Basic `manufacturerName`.
const MANUFACTURER_NAME: u16 = 0x0004;
/// Basic `modelId`.
const MODEL_ID: u16 = 0x0005;
/// `EmberApsOption`: retry and enable route discovery.
pub(crate) const APS_OPTIONS: u16 = 0x0040 | 0x0100;
/// The hub's own endpoint ZCL requests come from.
pub(crate) const HUB_ENDPOINT: u8 = 1;

/// What an interview learned about a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDescription {
    /// The node ID it was interviewed at.
    pub node_id: u16,
    /// Its node descriptor (logical type, manufacturer code, MAC capabilities).
    pub node_descriptor: NodeDescriptor,
    /// One simple descriptor per active endpoint, in the order the device listed them.
    pub endpoints: Vec<SimpleDescriptor>,
    /// Basic `manufacturerName`, if an endpoint serves Basic and the device returned it.
    pub manufacturer: Option<String>,
    /// Basic `modelId`, likewise.
    pub model: Option<String>,
}

/// The [`RadioEvent`] a callback means for devices, if any.
pub(crate) fn event_of(callback: &Callback) -> Option<RadioEvent> {
    match callback {
        Callback::TrustCenterJoinHandler(j) => {
            let eui64 = u64::from_le_bytes(j.new_node_eui64);
            let node_id = j.new_node_id;
            match j.status {
                device_update::DEVICE_LEFT => Some(RadioEvent::DeviceLeft { eui64, node_id }),
                status => Some(RadioEvent::DeviceJoined {
                    eui64,
                    node_id,
                    kind: super::JoinKind::from_status(status),
                }),
            }
        }
        Callback::IncomingMessageHandler(m)
            if m.aps_frame.profile_id == ZDO_PROFILE
                && m.aps_frame.cluster_id == DEVICE_ANNOUNCE =>
        {
            match ZdoFrame::decode(DEVICE_ANNOUNCE, &m.message.0) {
                Ok(ZdoFrame {
                    message: ZdoMessage::DeviceAnnounce(a),
                    ..
                }) => Some(RadioEvent::DeviceAnnounced {
                    eui64: u64::from_le_bytes(a.ieee),
                    node_id: a.nwk,
                    capabilities: a.capabilities,
                }),
                other => {
                    tracing::debug!("undecodable Device_annce: {other:?}");
                    None
                }
            }
        }
        _ => None,
    }
}

/// Runs the interview of `node_id`.
pub(crate) async fn interview(client: &Client, node_id: u16) -> Result<DeviceDescription> {
    let node_descriptor = match zdo(
        client,
        node_id,
        ZdoMessage::NodeDescRequest(NwkOfInterest { nwk: node_id }),
    )
    .await?
    {
        ZdoMessage::NodeDescResponse(Answer::Success(r)) => r.descriptor,
        other => return Err(zdo_failure(node_id, 0x0002, other)),
    };
    let active = match zdo(
        client,
        node_id,
        ZdoMessage::ActiveEpRequest(NwkOfInterest { nwk: node_id }),
    )
    .await?
    {
        ZdoMessage::ActiveEpResponse(Answer::Success(r)) => r.endpoints.0,
        other => return Err(zdo_failure(node_id, 0x0005, other)),
    };
    let mut endpoints = Vec::with_capacity(active.len());
    for endpoint in active {
        let request = ZdoMessage::SimpleDescRequest(SimpleDescRequest {
            nwk: node_id,
            endpoint,
        });
        match zdo(client, node_id, request).await? {
            ZdoMessage::SimpleDescResponse(Answer::Success(r)) => endpoints.push(r.descriptor),
            other => return Err(zdo_failure(node_id, 0x0004, other)),
        }
    }
    let (mut manufacturer, mut model) = (None, None);
    if let Some(ep) = endpoints.iter().find(|e| e.in_clusters.0.contains(&BASIC)) {
        let read = read_attributes(
            client,
            node_id,
            ep.profile,
            ep.endpoint,
            BASIC,
            vec![MANUFACTURER_NAME, MODEL_ID],
        )
        .await?;
        for record in read.records {
            let text = match record.result {
                Ok(Value::CharString(Some(s)) | Value::LongCharString(Some(s))) => {
                    Some(String::from_utf8_lossy(&s).into_owned())
                }
                _ => None,
            };
            match record.id {
                MANUFACTURER_NAME => manufacturer = text,
                MODEL_ID => model = text,
                _ => {}
            }
        }
    }
    Ok(DeviceDescription {
        node_id,
        node_descriptor,
        endpoints,
        manufacturer,
        model,
    })
}

/// Asks `node_id` (IEEE address `eui64`) to leave the network with `Mgmt_Leave_req`, and
/// waits for its `Mgmt_Leave_rsp`. The device then leaves; the stick reports it with
/// `trustCenterJoinHandler` `DEVICE_LEFT`, which becomes [`RadioEvent::DeviceLeft`].
pub(crate) async fn request_leave(
    client: &Client,
    node_id: u16,
    eui64: u64,
    rejoin: bool,
) -> Result<()> {
    let flags = if rejoin {
        LeaveFlags::REJOIN
    } else {
        LeaveFlags::empty()
    };
    let request = ZdoMessage::MgmtLeaveRequest(MgmtLeaveRequest {
        ieee: eui64.to_le_bytes(),
        flags,
    });
    match zdo(client, node_id, request).await? {
        ZdoMessage::MgmtLeaveResponse(r) if r.status.0 == 0 => Ok(()),
        ZdoMessage::MgmtLeaveResponse(r) => Err(Error::ZdoStatus {
            node_id,
            request: 0x0034,
            status: r.status.0,
        }),
        other => Err(Error::BadAnswer(format!("{other:?} to Mgmt_Leave_req"))),
    }
}

fn zdo_failure(node_id: u16, request: u16, answer: ZdoMessage) -> Error {
    let status = match &answer {
        ZdoMessage::NodeDescResponse(Answer::Failure { status, .. })
        | ZdoMessage::ActiveEpResponse(Answer::Failure { status, .. })
        | ZdoMessage::SimpleDescResponse(Answer::Failure { status, .. }) => status.0,
        _ => return Error::BadAnswer(format!("{answer:?} to ZDO request {request:#06x}")),
    };
    Error::ZdoStatus {
        node_id,
        request,
        status,
    }
}

/// Sends a ZDO request to `node_id` and returns its answer (matched by transaction sequence
/// number, response cluster and sender).
pub(crate) async fn zdo(client: &Client, node_id: u16, request: ZdoMessage) -> Result<ZdoMessage> {
    let tsn = client.zdo_tsn.fetch_add(1, Ordering::Relaxed);
    let cluster = request.cluster_id();
    let response_cluster = cluster | 0x8000;
    let frame = ZdoFrame {
        tsn,
        message: request,
    };
    let payload = frame
        .encode()
        .map_err(|e| Error::BadAnswer(format!("cannot encode ZDO request: {e}")))?;
    let aps = ApsFrame {
        profile_id: ZDO_PROFILE,
        cluster_id: cluster,
        source_endpoint: 0,
        destination_endpoint: 0,
        options: APS_OPTIONS,
        group_id: 0,
        sequence: 0,
    };
    let answer = unicast(client, node_id, aps, payload, |m| {
        m.aps_frame.profile_id == ZDO_PROFILE
            && m.aps_frame.cluster_id == response_cluster
            && m.message.0.first() == Some(&tsn)
    })
    .await?;
    ZdoFrame::decode(response_cluster, &answer.message.0)
        .map(|f| f.message)
        .map_err(|e| Error::BadAnswer(format!("ZDO {response_cluster:#06x}: {e}")))
}

/// Sends a ZCL Read Attributes to `endpoint` of `node_id` and returns the response (matched by
/// ZCL transaction sequence number, cluster, endpoint and sender).
async fn read_attributes(
    client: &Client,
    node_id: u16,
    profile: u16,
    endpoint: u8,
    cluster: u16,
    attributes: Vec<u16>,
) -> Result<ReadAttributesResponse> {
    let tsn = client.zcl_tsn.fetch_add(1, Ordering::Relaxed);
    let message = ZclMessage {
        header: ZclHeader::global(tsn, 0x00),
        command: ZclCommand::General(GeneralCommand::ReadAttributes(ReadAttributes {
            attributes,
        })),
    };
    let payload = message
        .encode()
        .map_err(|e| Error::BadAnswer(format!("cannot encode ZCL request: {e}")))?;
    let aps = ApsFrame {
        profile_id: profile,
        cluster_id: cluster,
        source_endpoint: HUB_ENDPOINT,
        destination_endpoint: endpoint,
        options: APS_OPTIONS,
        group_id: 0,
        sequence: 0,
    };
    let answer = unicast(client, node_id, aps, payload, |m| {
        m.aps_frame.profile_id == profile
            && m.aps_frame.cluster_id == cluster
            && m.aps_frame.source_endpoint == endpoint
            // ZCL header: frame control, [manufacturer code], tsn.
            && match m.message.0.first() {
                Some(fc) if fc & 0x04 == 0 => m.message.0.get(1) == Some(&tsn),
                Some(_) => m.message.0.get(3) == Some(&tsn),
                None => false,
            }
    })
    .await?;
    match ZclMessage::decode(cluster, &answer.message.0) {
        Ok(ZclMessage {
            command: ZclCommand::General(GeneralCommand::ReadAttributesResponse(r)),
            ..
        }) => Ok(r),
        Ok(ZclMessage {
            command: ZclCommand::General(GeneralCommand::DefaultResponse(d)),
            ..
        }) => Err(Error::ZclStatus {
            node_id,
            cluster,
            status: d.status.0,
        }),
        other => Err(Error::BadAnswer(format!(
            "answer to Read Attributes: {other:?}"
        ))),
    }
}

/// Sends one unicast and waits for the incoming message `want` accepts from `node_id`.
pub(crate) async fn unicast(
    client: &Client,
    node_id: u16,
    aps_frame: ApsFrame,
    payload: Vec<u8>,
    want: impl Fn(&IncomingMessageHandler) -> bool,
) -> Result<IncomingMessageHandler> {
    // Subscribe before sending: the answer may arrive right after the response.
    let mut callbacks = client.callbacks.subscribe();
    // EZSP 13 carries 8-bit message tags (14 widened them): on such a stick only the low byte
    // comes back in messageSentHandler, so match on what the stick can carry.
    let tag_mask: u16 = match &*client.state.borrow() {
        LinkState::Ready { negotiated, .. } if negotiated.protocol_version < 14 => 0x00FF,
        _ => 0xFFFF,
    };
    let message_tag = client.message_tag.fetch_add(1, Ordering::Relaxed) & tag_mask;
    let command = Command::SendUnicast(SendUnicast {
        message_type: 0,
        index_or_destination: node_id,
        aps_frame,
        message_tag,
        message: Bytes8(payload),
    });
    match client.command(command).await? {
        Response::SendUnicast(r) => check("sendUnicast", r.status)?,
        _ => return Err(Error::UnexpectedResponse("sendUnicast")),
    }
    let mut state = client.state.clone();
    let wait = async {
        loop {
            tokio::select! {
                r = callbacks.recv() => match r {
                    Ok(Callback::MessageSentHandler(s))
                        if s.message_tag == message_tag && !s.status.is_ok() =>
                    {
                        return Err(Error::DeliveryFailed {
                            node_id,
                            status: s.status.0,
                        });
                    }
                    Ok(Callback::IncomingMessageHandler(m))
                        if m.packet_info.sender_short_id == node_id && want(&m) =>
                    {
                        return Ok(m);
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("interview missed {n} callbacks");
                    }
                    Err(broadcast::error::RecvError::Closed) => return Err(Error::Closed),
                },
                r = state.changed() => {
                    if r.is_err() {
                        return Err(Error::Closed);
                    }
                    if !matches!(&*state.borrow(), LinkState::Ready { .. }) {
                        return Err(Error::NotReady);
                    }
                }
            }
        }
    };
    tokio::time::timeout(client.config.device_timeout, wait)
        .await
        .map_err(|_| Error::NoAnswer {
            node_id,
            cluster: aps_frame.cluster_id,
        })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zigbee::driver::JoinKind;
    use crate::zigbee::ezsp::commands::security::TrustCenterJoinHandler;

    fn join(status: u8) -> Callback {
        Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
            new_node_id: 0x1234,
            new_node_eui64: 0x0011_2233_4455_6677_u64.to_le_bytes(),
            status,
            policy_decision: 0,
            parent_of_new_node_id: 0,
        })
    }

    #[test]
    fn the_trust_center_status_says_whether_a_device_joined_afresh_or_rejoined() {
        let eui64 = 0x0011_2233_4455_6677;
        let node_id = 0x1234;
        // EmberDeviceUpdate (UG100): 0 secured rejoin, 1 unsecured join, 2 left, 3 unsecured
        // rejoin.
        for (status, kind) in [
            (device_update::UNSECURED_JOIN, JoinKind::Fresh),
            (device_update::SECURED_REJOIN, JoinKind::SecuredRejoin),
            (device_update::UNSECURED_REJOIN, JoinKind::UnsecuredRejoin),
            (7, JoinKind::Other(7)),
        ] {
            assert_eq!(
                event_of(&join(status)),
                Some(RadioEvent::DeviceJoined {
                    eui64,
                    node_id,
                    kind
                }),
                "status {status}"
            );
        }
        assert_eq!(
            event_of(&join(device_update::DEVICE_LEFT)),
            Some(RadioEvent::DeviceLeft { eui64, node_id })
        );
        assert!(JoinKind::Fresh.is_fresh());
        assert!(!JoinKind::SecuredRejoin.is_fresh());
        assert!(!JoinKind::UnsecuredRejoin.is_fresh());
    }
}
