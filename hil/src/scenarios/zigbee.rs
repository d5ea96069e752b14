//! Zigbee device scenarios through [`ZigbeeStick`]: pair the device when it has no node yet
//! (its install code first, if listed; permit-join open until it announces itself), then the
//! scenario of its kind.

use sealhub_radios::zigbee::driver::{RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::zcl::clusters::Empty;
use sealhub_radios::zigbee::zcl::clusters::on_off;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Value};
use tokio::sync::mpsc::Receiver;

use super::{DeviceResult, Hands, Limits, Verdict, bounded, needs_person, verdict};
use crate::devices::{ZigbeeDevice, ZigbeeKind};
use crate::next_event;

/// The On/Off attribute of the On/Off cluster.
const ON_OFF_ATTRIBUTE: u16 = 0x0000;

/// Runs every device's scenario, one after another, on a started stick.
pub async fn run_all(
    stick: &ZigbeeStick,
    events: &mut Receiver<RadioEvent>,
    devices: &[ZigbeeDevice],
    hands: &dyn Hands,
    limits: Limits,
) -> Vec<DeviceResult> {
    let mut results = Vec::new();
    for device in devices {
        let verdict = run(stick, events, device, hands, limits).await;
        results.push(DeviceResult {
            name: device.name.clone(),
            kind: format!("{:?}", device.kind).to_lowercase(),
            verdict,
        });
    }
    results
}

/// Runs one device's scenario (pairing it first when it has no node id).
pub async fn run(
    stick: &ZigbeeStick,
    events: &mut Receiver<RadioEvent>,
    device: &ZigbeeDevice,
    hands: &dyn Hands,
    limits: Limits,
) -> Verdict {
    let node = match device.node_id {
        Some(node) => node,
        None if !hands.available() => return needs_person(&device.name, "has no node_id yet"),
        None => match pair(stick, events, device, hands, limits).await {
            Ok(node) => node,
            Err(why) => return Verdict::Failed(why),
        },
    };
    verdict(match device.kind {
        ZigbeeKind::Light | ZigbeeKind::Plug => {
            on_off_round_trip(stick, node, device.endpoint, limits).await
        }
    })
}

/// Opens the network for the device, has it join, and interviews it.
async fn pair(
    stick: &ZigbeeStick,
    events: &mut Receiver<RadioEvent>,
    device: &ZigbeeDevice,
    hands: &dyn Hands,
    limits: Limits,
) -> Result<u16, String> {
    if let Some(code) = &device.install_code {
        bounded(
            limits.answer,
            "adding the install code",
            stick.add_install_code(device.eui64, code),
        )
        .await?;
    }
    let seconds = u8::try_from(limits.pairing.as_secs().clamp(1, 254)).unwrap_or(254);
    bounded(
        limits.answer,
        "opening permit-join",
        stick.permit_join(seconds),
    )
    .await?;
    hands.pair(&device.name);
    let joined = next_event(events, limits.pairing, |e| match e {
        RadioEvent::DeviceAnnounced { eui64, node_id, .. } if eui64 == device.eui64 => {
            Some(node_id)
        }
        _ => None,
    })
    .await;
    let closed = bounded(limits.answer, "closing permit-join", stick.permit_join(0)).await;
    let node = joined.ok_or_else(|| {
        format!(
            "\"{}\" ({:016x}) did not join within {}s",
            device.name,
            device.eui64,
            limits.pairing.as_secs()
        )
    })?;
    closed?;
    let description = bounded(limits.answer, "interview", stick.interview(node)).await?;
    let has_on_off = description
        .endpoints
        .iter()
        .any(|ep| ep.endpoint == device.endpoint && ep.in_clusters.0.contains(&on_off::CLUSTER_ID));
    if !has_on_off {
        return Err(format!(
            "joined as node {node:#06x}, but endpoint {} has no On/Off cluster",
            device.endpoint
        ));
    }
    Ok(node)
}

async fn read_on_off(
    stick: &ZigbeeStick,
    node: u16,
    endpoint: u8,
    limits: Limits,
) -> Result<bool, String> {
    let records = bounded(
        limits.answer,
        "reading On/Off",
        stick.read_attributes(node, endpoint, on_off::CLUSTER_ID, vec![ON_OFF_ATTRIBUTE]),
    )
    .await?;
    match records.first().map(|r| &r.result) {
        Some(Ok(Value::Boolean(b))) => Ok(*b != 0),
        other => Err(format!("On/Off read gave {other:?}")),
    }
}

async fn toggle(
    stick: &ZigbeeStick,
    node: u16,
    endpoint: u8,
    limits: Limits,
) -> Result<(), String> {
    let command = ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {}));
    bounded(
        limits.answer,
        "Toggle",
        stick.send_cluster_command(node, endpoint, on_off::CLUSTER_ID, command),
    )
    .await
    .map(|_| ())
}

/// Reads On/Off, toggles, reads the change back, toggles back and reads that too.
async fn on_off_round_trip(
    stick: &ZigbeeStick,
    node: u16,
    endpoint: u8,
    limits: Limits,
) -> Result<String, String> {
    let before = read_on_off(stick, node, endpoint, limits).await?;
    toggle(stick, node, endpoint, limits).await?;
    let toggled = read_on_off(stick, node, endpoint, limits).await?;
    if toggled == before {
        return Err(format!("Toggle left On/Off at {before}"));
    }
    toggle(stick, node, endpoint, limits).await?;
    let back = read_on_off(stick, node, endpoint, limits).await?;
    if back != before {
        return Err(format!(
            "the second Toggle left On/Off at {back}, not {before}"
        ));
    }
    Ok(format!(
        "node {node:#06x}: On/Off {before} → {toggled} → {back}"
    ))
}
