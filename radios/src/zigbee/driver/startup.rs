//! Start-up: what the driver sends once the protocol is negotiated, to bring the stick onto its
//! network, and the task that repeats it whenever the stick comes back.
//!
//! 1. A few configuration values (stack profile 2, security level 5), the trust-center
//!    policy ([`super::JoinPolicy`]) and the link keys of added install codes, before the stack
//!    starts (the NCP refuses configuration once it runs, and forgets keys on reset).
//! 2. `networkInit`: a stick that has a network in its tokens answers OK and reports
//!    `stackStatusHandler(NETWORK_UP)`; a blank one answers `NOT_JOINED`.
//! 3. On a blank stick, form a network: energy scan on channels 11..=26, pick the quietest
//!    (lowest max RSSI; ties to the lower channel), draw the PAN ID, extended PAN ID and network
//!    key from the OS RNG, `setInitialSecurityState`, `formNetwork`, wait for NETWORK_UP.
//! 4. Read back the network parameters, node ID and EUI-64.

use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use super::{
    Client, Error, JoinPolicy, LinkState, NetworkInfo, RadioEvent, Result, check, import_key,
};
use crate::zigbee::ezsp::commands::configuration::{SetConfigurationValue, SetPolicy};
use crate::zigbee::ezsp::commands::networking::{FormNetwork, NetworkInit, StartScan};
use crate::zigbee::ezsp::commands::security::{InitialSecurityState, SetInitialSecurityState};
use crate::zigbee::ezsp::types::{Key, NetworkParameters};
use crate::zigbee::ezsp::{Callback, Command, Response};
use crate::zigbee::security::LinkKey;

/// `EZSP_CONFIG_STACK_PROFILE` = 2 (Zigbee PRO) and `EZSP_CONFIG_SECURITY_LEVEL` = 5.
const CONFIGURATION: [(u8, u16); 2] = [(0x0C, 2), (0x0D, 5)];
/// `EZSP_TRUST_CENTER_POLICY`.
const TRUST_CENTER_POLICY: u8 = 0x00;
/// `networkInit` answer for a stick with no network (`SL_STATUS_NOT_JOINED`).
pub(crate) const NOT_JOINED: u32 = 0x0017;
/// `stackStatusHandler` status when the network is up (`SL_STATUS_NETWORK_UP`).
pub(crate) const NETWORK_UP: u32 = 0x0015;
/// Channels 11..=26.
const ALL_CHANNELS: u32 = 0x07FF_F800;
/// `EZSP_ENERGY_SCAN`.
const ENERGY_SCAN: u8 = 0;
/// `EmberInitialSecurityBitmask`: trust-center global link key, have preconfigured key, have
/// network key, require encrypted key.
pub(crate) const SECURITY_BITMASK: u16 = 0x0004 | 0x0100 | 0x0200 | 0x0800;
/// The well-known trust-center link key "ZigBeeAlliance09" every Zigbee 3.0 device starts
/// with (install-code keys replace it per device, later).
pub(crate) const ZIGBEE_ALLIANCE_09: [u8; 16] = *b"ZigBeeAlliance09";
/// Transmit power for the formed network, dBm.
pub(crate) const TX_POWER: i8 = 5;

/// Runs start-up on the current connection; returns the network.
pub(crate) async fn start(client: &Client) -> Result<NetworkInfo> {
    configure(client).await?;
    let mut callbacks = client.callbacks.subscribe();
    let status = match client
        .command(Command::NetworkInit(NetworkInit { bitmask: 0 }))
        .await?
    {
        Response::NetworkInit(r) => r.status,
        _ => return Err(Error::UnexpectedResponse("networkInit")),
    };
    if status.0 == NOT_JOINED {
        let info = form(client).await?;
        let _ = client.events.send(RadioEvent::NetworkFormed(info)).await;
        return Ok(info);
    }
    check("networkInit", status)?;
    wait_for(
        client,
        &mut callbacks,
        "network up",
        |cb| matches!(cb, Callback::StackStatusHandler(s) if s.status.0 == NETWORK_UP),
    )
    .await?;
    network_info(client).await
}

/// Step 1 of start-up: configuration values, trust-center policy and install-code keys.
pub(crate) async fn configure(client: &Client) -> Result<()> {
    for (config_id, value) in CONFIGURATION {
        match client
            .command(Command::SetConfigurationValue(SetConfigurationValue {
                config_id,
                value,
            }))
            .await?
        {
            Response::SetConfigurationValue(r) => check("setConfigurationValue", r.status)?,
            _ => return Err(Error::UnexpectedResponse("setConfigurationValue")),
        }
    }
    let (policy, keys) = {
        let join = client.join.lock().unwrap_or_else(|p| p.into_inner());
        let keys: Vec<(u64, LinkKey)> = join
            .install_keys
            .iter()
            .map(|(eui64, key)| (*eui64, key.clone()))
            .collect();
        (join.policy, keys)
    };
    set_trust_center_policy(client, policy).await?;
    for (eui64, key) in &keys {
        import_key(client, *eui64, key).await?;
    }
    Ok(())
}

/// `setPolicy(TRUST_CENTER_POLICY)` with the bitmask of `policy`.
pub(crate) async fn set_trust_center_policy(client: &Client, policy: JoinPolicy) -> Result<()> {
    match client
        .command(Command::SetPolicy(SetPolicy {
            policy_id: TRUST_CENTER_POLICY,
            decision_id: policy.decision_bitmask(),
        }))
        .await?
    {
        Response::SetPolicy(r) => check("setPolicy", r.status),
        _ => Err(Error::UnexpectedResponse("setPolicy")),
    }
}

/// Forms a new network on a blank stick.
async fn form(client: &Client) -> Result<NetworkInfo> {
    let channel = quietest_channel(client).await?;
    let pan_id = loop {
        let mut b = [0u8; 2];
        random(&mut b)?;
        let id = u16::from_le_bytes(b);
        // 0x0000 is legal but confusing in logs; 0xFFFF is the broadcast PAN.
        if id != 0 && id != 0xFFFF {
            break id;
        }
    };
    let extended_pan_id = loop {
        let mut b = [0u8; 8];
        random(&mut b)?;
        if b != [0; 8] && b != [0xFF; 8] {
            break b;
        }
    };
    let mut network_key = Key::default();
    random(&mut network_key.0)?;
    let state = InitialSecurityState {
        bitmask: SECURITY_BITMASK,
        preconfigured_key: Key(ZIGBEE_ALLIANCE_09),
        network_key,
        network_key_sequence_number: 0,
        preconfigured_trust_center_eui64: [0; 8],
    };
    match client
        .command(Command::SetInitialSecurityState(SetInitialSecurityState {
            state,
        }))
        .await?
    {
        Response::SetInitialSecurityState(r) => check("setInitialSecurityState", r.status)?,
        _ => return Err(Error::UnexpectedResponse("setInitialSecurityState")),
    }
    let parameters = NetworkParameters {
        extended_pan_id,
        pan_id,
        radio_tx_power: TX_POWER,
        radio_channel: channel,
        join_method: 0,
        nwk_manager_id: 0x0000,
        nwk_update_id: 0,
        channels: 1 << channel,
    };
    let mut callbacks = client.callbacks.subscribe();
    match client
        .command(Command::FormNetwork(FormNetwork { parameters }))
        .await?
    {
        Response::FormNetwork(r) => check("formNetwork", r.status)?,
        _ => return Err(Error::UnexpectedResponse("formNetwork")),
    }
    wait_for(
        client,
        &mut callbacks,
        "network up",
        |cb| matches!(cb, Callback::StackStatusHandler(s) if s.status.0 == NETWORK_UP),
    )
    .await?;
    tracing::info!(channel, pan_id, "formed a new Zigbee network");
    network_info(client).await
}

/// Energy scan of every channel; the one with the lowest maximum RSSI.
async fn quietest_channel(client: &Client) -> Result<u8> {
    let mut callbacks = client.callbacks.subscribe();
    match client
        .command(Command::StartScan(StartScan {
            scan_type: ENERGY_SCAN,
            channel_mask: ALL_CHANNELS,
            duration: client.config.scan_duration,
        }))
        .await?
    {
        Response::StartScan(r) => check("startScan", r.status)?,
        _ => return Err(Error::UnexpectedResponse("startScan")),
    }
    let mut readings: Vec<(i8, u8)> = Vec::new();
    loop {
        let cb = wait_for(client, &mut callbacks, "the end of the energy scan", |cb| {
            matches!(
                cb,
                Callback::EnergyScanResultHandler(_) | Callback::ScanCompleteHandler(_)
            )
        })
        .await?;
        match cb {
            Callback::EnergyScanResultHandler(r) => readings.push((r.max_rssi_value, r.channel)),
            Callback::ScanCompleteHandler(done) => {
                check("startScan (scanComplete)", done.status)?;
                break;
            }
            _ => {}
        }
    }
    tracing::debug!(?readings, "energy scan");
    readings
        .into_iter()
        .filter(|(_, ch)| (11..=26).contains(ch))
        .min()
        .map(|(_, ch)| ch)
        .ok_or(Error::UnexpectedResponse("startScan (no energy readings)"))
}

/// Reads back the network parameters, node ID and EUI-64.
pub(crate) async fn network_info(client: &Client) -> Result<NetworkInfo> {
    let parameters = match client
        .command(Command::GetNetworkParameters(Default::default()))
        .await?
    {
        Response::GetNetworkParameters(r) => {
            check("getNetworkParameters", r.status)?;
            r.parameters
        }
        _ => return Err(Error::UnexpectedResponse("getNetworkParameters")),
    };
    let node_id = match client
        .command(Command::GetNodeId(Default::default()))
        .await?
    {
        Response::GetNodeId(r) => r.node_id,
        _ => return Err(Error::UnexpectedResponse("getNodeId")),
    };
    let eui64 = match client
        .command(Command::GetEui64(Default::default()))
        .await?
    {
        Response::GetEui64(r) => u64::from_le_bytes(r.eui64),
        _ => return Err(Error::UnexpectedResponse("getEui64")),
    };
    Ok(NetworkInfo {
        channel: parameters.radio_channel,
        pan_id: parameters.pan_id,
        extended_pan_id: u64::from_le_bytes(parameters.extended_pan_id),
        eui64,
        node_id,
    })
}

/// Waits for the first callback matching `want`, up to the callback timeout; fails early when
/// the link goes down meanwhile.
pub(crate) async fn wait_for(
    client: &Client,
    callbacks: &mut broadcast::Receiver<Callback>,
    what: &'static str,
    want: impl Fn(&Callback) -> bool,
) -> Result<Callback> {
    let mut state = client.state.clone();
    let wait = async {
        loop {
            tokio::select! {
                r = callbacks.recv() => match r {
                    Ok(cb) if want(&cb) => return Ok(cb),
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("start-up missed {n} callbacks");
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
    tokio::time::timeout(client.config.callback_timeout, wait)
        .await
        .map_err(|_| Error::CallbackTimeout(what))?
}

fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Random(e.to_string()))
}

/// Repeats start-up on every new connection after a successful [`super::ZigbeeStick::start`]
/// (the stick came back from an unplug or reset), then reports [`RadioEvent::StickBack`].
pub(crate) async fn restart_on_reconnect(client: Client, started: Arc<Mutex<Option<u64>>>) {
    let mut state = client.state.clone();
    while state.changed().await.is_ok() {
        let generation = match &*state.borrow_and_update() {
            LinkState::Ready { generation, .. } => *generation,
            _ => continue,
        };
        let last = *started.lock().unwrap_or_else(|p| p.into_inner());
        match last {
            Some(done) if generation > done => {}
            _ => continue,
        }
        match start(&client).await {
            Ok(info) => {
                *started.lock().unwrap_or_else(|p| p.into_inner()) = Some(generation);
                let _ = client.events.send(RadioEvent::StickBack(info)).await;
            }
            Err(e) => tracing::warn!("restarting the Zigbee stick failed: {e}"),
        }
    }
}
