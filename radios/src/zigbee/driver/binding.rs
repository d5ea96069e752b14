//! Binding and permit joining through ZDO: what the hub asks of a device's (or router's) own
//! stack rather than of the stick.
//!
//! - [`bind`] / [`unbind`]: `Bind_req` / `Unbind_req` to the device, naming the hub (the
//!   stick's IEEE address, endpoint [`HUB_ENDPOINT`]) as destination, as zigbee-herdsman does
//!   before it configures reporting: a device sends its attribute reports only to the
//!   destinations in its binding table. The matched `Bind_rsp` / `Unbind_rsp` is `Ok` on
//!   SUCCESS; any other status is [`Error::BindRefused`] with a [`BindRefusal`].
//! - [`binding_table`]: `Mgmt_Bind_req` page by page, to see what a device sends where.
//! - [`permit_join_via`]: `Mgmt_Permit_Joining_req` unicast to one router, so devices may join
//!   through it while the coordinator itself stays closed.
//! - [`broadcast_permit_join`]: the same request broadcast to every router (0xFFFC), which the
//!   network-wide [`super::ZigbeeStick::permit_join`] sends after `permitJoining` on the stick,
//!   as zigbee-herdsman's ember adapter does. Broadcasts get no answer.

use std::sync::atomic::Ordering;

use super::devices::{APS_OPTIONS, HUB_ENDPOINT, zdo};
use super::{Client, Error, Result, check};
use crate::zigbee::ezsp::commands::messaging::SendBroadcast;
use crate::zigbee::ezsp::types::{ApsFrame, Bytes8};
use crate::zigbee::ezsp::{Command, Response};
use crate::zigbee::zdo::{
    Answer, BindRequest, BindTarget, BindingTableEntry, IeeeAddrRequest, MgmtBindRequest,
    MgmtPermitJoiningRequest, Status, ZdoFrame, ZdoMessage,
};

/// `Bind_req`.
const BIND_REQ: u16 = 0x0021;
/// `Unbind_req`.
const UNBIND_REQ: u16 = 0x0022;
/// `Mgmt_Permit_Joining_req`.
const MGMT_PERMIT_JOINING_REQ: u16 = 0x0036;
/// Broadcast address of all routers and the coordinator.
const ALL_ROUTERS: u16 = 0xFFFC;

/// Why a device refused a `Bind_req` or `Unbind_req` (its ZDP status), typed so that callers
/// can tell a full table (unbind something first) from a device that cannot bind at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindRefusal {
    /// TABLE_FULL: the device's binding table has no room.
    TableFull,
    /// NOT_SUPPORTED: the device keeps no binding table (or not for that source).
    NotSupported,
    /// INVALID_EP: the device has no such endpoint.
    InvalidEndpoint,
    /// NO_ENTRY: there was no such binding to remove.
    NoEntry,
    /// NOT_AUTHORIZED: the device does not take binding requests from the hub.
    NotAuthorized,
    /// Any other status.
    Other(u8),
}

impl From<Status> for BindRefusal {
    fn from(status: Status) -> Self {
        match status {
            Status::TABLE_FULL => Self::TableFull,
            Status::NOT_SUPPORTED => Self::NotSupported,
            Status::INVALID_EP => Self::InvalidEndpoint,
            Status::NO_ENTRY => Self::NoEntry,
            Status::NOT_AUTHORIZED => Self::NotAuthorized,
            Status(other) => Self::Other(other),
        }
    }
}

/// The stick's own IEEE address (`getEui64`), where bindings point.
async fn hub_eui64(client: &Client) -> Result<[u8; 8]> {
    match client
        .command(Command::GetEui64(Default::default()))
        .await?
    {
        Response::GetEui64(r) => Ok(r.eui64),
        _ => Err(Error::UnexpectedResponse("getEui64")),
    }
}

/// The IEEE address of `node_id`: from the devices seen joining, else asked of the device
/// (`IEEE_addr_req`), since `Bind_req` must name the device's own address as source.
async fn device_eui64(client: &Client, node_id: u16) -> Result<u64> {
    let known = client
        .known_devices
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find_map(|(eui64, node)| (*node == node_id).then_some(*eui64));
    if let Some(eui64) = known {
        return Ok(eui64);
    }
    let request = ZdoMessage::IeeeAddrRequest(IeeeAddrRequest {
        nwk: node_id,
        request_type: 0,
        start_index: 0,
    });
    match zdo(client, node_id, request).await? {
        ZdoMessage::IeeeAddrResponse(Answer::Success(r)) if r.nwk == node_id => {
            Ok(u64::from_le_bytes(r.ieee))
        }
        ZdoMessage::IeeeAddrResponse(Answer::Failure { status, .. }) => Err(Error::ZdoStatus {
            node_id,
            request: 0x0001,
            status: status.0,
        }),
        other => Err(Error::BadAnswer(format!("{other:?} to IEEE_addr_req"))),
    }
}

/// Binds (`bind`) or unbinds `cluster` of `endpoint` on `node_id` to the hub.
pub(crate) async fn set_binding(
    client: &Client,
    node_id: u16,
    endpoint: u8,
    cluster: u16,
    bind: bool,
) -> Result<()> {
    let eui64 = device_eui64(client, node_id).await?;
    let request = BindRequest {
        source_ieee: eui64.to_le_bytes(),
        source_endpoint: endpoint,
        cluster_id: cluster,
        target: BindTarget::Endpoint {
            ieee: hub_eui64(client).await?,
            endpoint: HUB_ENDPOINT,
        },
    };
    let (message, request_cluster) = if bind {
        (ZdoMessage::BindRequest(request), BIND_REQ)
    } else {
        (ZdoMessage::UnbindRequest(request), UNBIND_REQ)
    };
    let status = match (bind, zdo(client, node_id, message).await?) {
        (true, ZdoMessage::BindResponse(r)) | (false, ZdoMessage::UnbindResponse(r)) => r.status,
        (_, other) => {
            return Err(Error::BadAnswer(format!(
                "{other:?} to ZDO request {request_cluster:#06x}"
            )));
        }
    };
    if status.is_success() {
        Ok(())
    } else {
        Err(Error::BindRefused {
            node_id,
            cluster,
            reason: status.into(),
        })
    }
}

/// Reads the whole binding table of `node_id` with `Mgmt_Bind_req`, one page per request until
/// every entry the device counts has come.
pub(crate) async fn binding_table(client: &Client, node_id: u16) -> Result<Vec<BindingTableEntry>> {
    let mut entries = Vec::new();
    loop {
        let start_index = u8::try_from(entries.len())
            .map_err(|_| Error::BadAnswer("binding table longer than 255 entries".into()))?;
        let request = ZdoMessage::MgmtBindRequest(MgmtBindRequest { start_index });
        let page = match zdo(client, node_id, request).await? {
            ZdoMessage::MgmtBindResponse(Answer::Success(page)) => page,
            ZdoMessage::MgmtBindResponse(Answer::Failure { status, .. }) => {
                return Err(Error::ZdoStatus {
                    node_id,
                    request: 0x0033,
                    status: status.0,
                });
            }
            other => return Err(Error::BadAnswer(format!("{other:?} to Mgmt_Bind_req"))),
        };
        if page.start_index != start_index {
            return Err(Error::BadAnswer(format!(
                "Mgmt_Bind_rsp from index {} to a request from {start_index}",
                page.start_index
            )));
        }
        // An empty page before the end would never finish: stop at what the device gave.
        let empty = page.entries.0.is_empty();
        entries.extend(page.entries.0);
        if empty || entries.len() >= usize::from(page.total_entries) {
            return Ok(entries);
        }
    }
}

/// Opens (`seconds` > 0) or closes the router `node_id` for joining with a unicast
/// `Mgmt_Permit_Joining_req`, and waits for its `Mgmt_Permit_Joining_rsp`.
pub(crate) async fn permit_join_via(client: &Client, node_id: u16, seconds: u8) -> Result<()> {
    let request = ZdoMessage::MgmtPermitJoiningRequest(MgmtPermitJoiningRequest {
        duration: seconds,
        tc_significance: 1,
    });
    match zdo(client, node_id, request).await? {
        ZdoMessage::MgmtPermitJoiningResponse(r) if r.status.is_success() => Ok(()),
        ZdoMessage::MgmtPermitJoiningResponse(r) => Err(Error::ZdoStatus {
            node_id,
            request: MGMT_PERMIT_JOINING_REQ,
            status: r.status.0,
        }),
        other => Err(Error::BadAnswer(format!(
            "{other:?} to Mgmt_Permit_Joining_req"
        ))),
    }
}

/// Broadcasts `Mgmt_Permit_Joining_req` to every router (0xFFFC); nothing answers a broadcast.
pub(crate) async fn broadcast_permit_join(client: &Client, seconds: u8) -> Result<()> {
    let frame = ZdoFrame {
        tsn: client.zdo_tsn.fetch_add(1, Ordering::Relaxed),
        message: ZdoMessage::MgmtPermitJoiningRequest(MgmtPermitJoiningRequest {
            duration: seconds,
            tc_significance: 1,
        }),
    };
    let payload = frame
        .encode()
        .map_err(|e| Error::InvalidRequest(format!("cannot encode ZDO request: {e}")))?;
    let command = Command::SendBroadcast(SendBroadcast {
        // No alias (0, as herdsman sends it; EZSP 13 has no alias field at all).
        alias: 0,
        destination: ALL_ROUTERS,
        nwk_sequence: 0,
        aps_frame: ApsFrame {
            profile_id: 0x0000,
            cluster_id: MGMT_PERMIT_JOINING_REQ,
            source_endpoint: 0,
            destination_endpoint: 0,
            // A broadcast has no APS ack to retry on.
            options: APS_OPTIONS & !0x0040,
            group_id: 0,
            sequence: 0,
        },
        radius: 0,
        message_tag: client.message_tag.fetch_add(1, Ordering::Relaxed),
        message: Bytes8(payload),
    });
    match client.command(command).await? {
        Response::SendBroadcast(r) => check("sendBroadcast", r.status),
        _ => Err(Error::UnexpectedResponse("sendBroadcast")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_refusals() {
        assert_eq!(BindRefusal::from(Status(0x8C)), BindRefusal::TableFull);
        assert_eq!(BindRefusal::from(Status(0x84)), BindRefusal::NotSupported);
        assert_eq!(
            BindRefusal::from(Status(0x82)),
            BindRefusal::InvalidEndpoint
        );
        assert_eq!(BindRefusal::from(Status(0x88)), BindRefusal::NoEntry);
        assert_eq!(BindRefusal::from(Status(0x8D)), BindRefusal::NotAuthorized);
        assert_eq!(BindRefusal::from(Status(0xC2)), BindRefusal::Other(0xC2));
    }
}
