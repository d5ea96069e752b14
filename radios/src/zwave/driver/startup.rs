//! Start-up: what the driver asks a freshly opened (or replugged) stick, after zwave-js'
//! `Driver` start-up, and the task that repeats it whenever the stick comes back.
//!
//! 1. SoftReset, then wait (bounded) for SerialApiStarted, so the stick starts from a known
//!    state; a stick that does not announce itself is used anyway.
//! 2. GetControllerVersion (library text and type), GetSerialApiCapabilities (firmware, ids,
//!    supported functions), GetControllerCapabilities (role), GetSerialApiInitData (node
//!    list), GetControllerId (home id, own node id).
//! 3. Where the stick lists SerialApiSetup: GetSupportedCommands, then SetTxStatusReport so
//!    transmit reports carry timing. 16-bit node ids (Long Range) are not asked for.

use std::sync::{Arc, Mutex};

use super::{
    Client, ControllerInfo, Error, LibraryType, LinkState, Op, RadioEvent, RawEvent, Reply, Result,
};
use crate::zwave::serial::messages::capabilities::{
    ControllerCapabilities, InitDataCapabilities, SetupRequest, SetupResponse,
    SupportedCommandsEncoding,
};
use crate::zwave::serial::messages::{HostMessage, StickMessage, function};

/// SerialApiSetup sub-command SetTxStatusReport.
const SETUP_SET_TX_STATUS_REPORT: u8 = 0x02;

async fn query(client: &Client, message: HostMessage) -> Result<StickMessage> {
    match client.request(Op::Query(message)).await? {
        Reply::Response(response) => Ok(response),
        _ => Err(Error::UnexpectedResponse("a query")),
    }
}

/// "Z-Wave 7.18" → ("7.18", (7, 18, 0)).
fn sdk_version(library_version: &str) -> (String, (u32, u32, u32)) {
    let text = library_version
        .trim_start_matches("Z-Wave")
        .trim()
        .to_owned();
    let mut parts = text
        .split('.')
        .map(|p| p.trim().parse::<u32>().unwrap_or(0));
    let version = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (text, version)
}

/// Runs start-up on the current connection.
pub(super) async fn start(client: &Client) -> Result<ControllerInfo> {
    if client.config.soft_reset_on_start {
        let mut started = client.started.subscribe();
        client.done(Op::SoftReset, "SoftReset").await?;
        match tokio::time::timeout(client.config.started_timeout, started.recv()).await {
            Ok(Ok(())) => tracing::debug!("Z-Wave stick started after soft reset"),
            _ => tracing::warn!("no SerialApiStarted after soft reset; continuing"),
        }
    }
    let StickMessage::ControllerVersion(version) =
        query(client, HostMessage::GetControllerVersion).await?
    else {
        return Err(Error::UnexpectedResponse("GetControllerVersion"));
    };
    let StickMessage::SerialApiCapabilities(capabilities) =
        query(client, HostMessage::GetSerialApiCapabilities).await?
    else {
        return Err(Error::UnexpectedResponse("GetSerialApiCapabilities"));
    };
    let StickMessage::ControllerCapabilities(role) =
        query(client, HostMessage::GetControllerCapabilities).await?
    else {
        return Err(Error::UnexpectedResponse("GetControllerCapabilities"));
    };
    let StickMessage::SerialApiInitData(init) =
        query(client, HostMessage::GetSerialApiInitData).await?
    else {
        return Err(Error::UnexpectedResponse("GetSerialApiInitData"));
    };
    let StickMessage::ControllerId(id) = query(client, HostMessage::GetControllerId).await? else {
        return Err(Error::UnexpectedResponse("GetControllerId"));
    };
    let (sdk_text, sdk) = sdk_version(&version.library_version);
    let mut tx_status_report = false;
    if capabilities.supports(function::SERIAL_API_SETUP) {
        let StickMessage::SerialApiSetup(supported) = query(
            client,
            HostMessage::SerialApiSetup(SetupRequest::GetSupportedCommands),
        )
        .await?
        else {
            return Err(Error::UnexpectedResponse("SerialApiSetup"));
        };
        let encoding = if sdk >= (7, 19, 1) {
            SupportedCommandsEncoding::Since7_19_1
        } else {
            SupportedCommandsEncoding::Before7_19_1
        };
        if supported
            .supported_commands(encoding)
            .contains(&SETUP_SET_TX_STATUS_REPORT)
        {
            let answer = query(
                client,
                HostMessage::SerialApiSetup(SetupRequest::SetTxStatusReport { enabled: true }),
            )
            .await?;
            tx_status_report = matches!(
                answer,
                StickMessage::SerialApiSetup(SetupResponse::SetTxStatusReport { status })
                    if status != 0
            );
        }
    }
    Ok(ControllerInfo {
        home_id: id.home_id,
        node_id: u16::from(id.node_id),
        nodes: init.node_ids(),
        sdk_version: sdk_text,
        library: LibraryType::from_byte(version.library_type),
        firmware_version: (capabilities.firmware_major, capabilities.firmware_minor),
        manufacturer_id: capabilities.manufacturer_id,
        product_type: capabilities.product_type,
        product_id: capabilities.product_id,
        is_primary: !role.contains(ControllerCapabilities::SECONDARY)
            && !init.capabilities.contains(InitDataCapabilities::SECONDARY),
        is_suc: role.contains(ControllerCapabilities::SUC),
        tx_status_report,
    })
}

/// Reruns start-up on every new connection after the first successful one, and reports
/// [`RadioEvent::StickBack`].
pub(super) async fn restart_on_reconnect(client: Client, started: Arc<Mutex<Option<u64>>>) {
    let mut state = client.state.clone();
    while state.changed().await.is_ok() {
        let generation = match *state.borrow_and_update() {
            LinkState::Connected { generation } => generation,
            LinkState::Lost => continue,
        };
        let last = *started.lock().unwrap_or_else(|p| p.into_inner());
        match last {
            Some(done) if generation > done => {}
            _ => continue,
        }
        match start(&client).await {
            Ok(info) => {
                *started.lock().unwrap_or_else(|p| p.into_inner()) = Some(generation);
                let _ = client
                    .events
                    .send(RawEvent::Radio(RadioEvent::StickBack(info)))
                    .await;
            }
            Err(e) => tracing::warn!("restarting the Z-Wave stick failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_version_is_read_from_the_library_text() {
        assert_eq!(sdk_version("Z-Wave 7.18"), ("7.18".into(), (7, 18, 0)));
        assert_eq!(sdk_version("Z-Wave 7.19.1"), ("7.19.1".into(), (7, 19, 1)));
        assert!(sdk_version("Z-Wave 7.19.1").1 >= (7, 19, 1));
        assert!(sdk_version("Z-Wave 6.07").1 < (7, 19, 1));
    }
}
