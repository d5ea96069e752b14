//! ZDO requests a joined simulated device answers itself (Zigbee spec §2.4.3): its binding
//! table (`Bind_req`, `Unbind_req`, `Mgmt_Bind_req`), `Mgmt_Leave_req`, and a router's own
//! permit-joining window (`Mgmt_Permit_Joining_req`, unicast or broadcast). The interview's
//! ZDO requests (descriptors) are answered by [`super::devices::answer`]; ZCL by
//! [`super::zcl_device`]. Payloads are built by hand from the specification, apart from the
//! host-side codecs.

use super::devices::SimulatedDevice;
use super::zcl_device::{BINDING_TABLE_SIZE, BindDestination, Binding, DeviceAnswer};

/// ZDO `Mgmt_Leave_req`.
pub const MGMT_LEAVE_REQ: u16 = 0x0034;

/// `Mgmt_Leave_req` (Zigbee spec §2.4.3.3.5): tsn, IEEE address (the device's own, or all
/// zeros for "you"), flags. The device answers `Mgmt_Leave_rsp` SUCCESS and leaves; for
/// another device's address it answers NOT_SUPPORTED and stays (it has no children).
pub(super) fn mgmt_leave(device: &mut SimulatedDevice, request: &[u8]) -> Option<DeviceAnswer> {
    let (&tsn, args) = request.split_first()?;
    let status = match args.first_chunk::<8>() {
        Some(ieee) if *ieee == device.eui64 || *ieee == [0; 8] => {
            device.zcl.leaving = true;
            0x00
        }
        Some(_) => 0x84,
        None => return None,
    };
    Some((0x0000, MGMT_LEAVE_REQ | 0x8000, 0, 0, vec![tsn, status]))
}

/// ZDO `Bind_req`.
pub const BIND_REQ: u16 = 0x0021;
/// ZDO `Unbind_req`.
pub const UNBIND_REQ: u16 = 0x0022;
/// ZDO `Mgmt_Bind_req`.
pub const MGMT_BIND_REQ: u16 = 0x0033;
/// ZDO `Mgmt_Permit_Joining_req`.
pub const MGMT_PERMIT_JOINING_REQ: u16 = 0x0036;

/// ZDO statuses the binding table answers with (Zigbee spec Table 2.137).
mod zdo_status {
    pub const SUCCESS: u8 = 0x00;
    pub const INV_REQUESTTYPE: u8 = 0x80;
    pub const INVALID_EP: u8 = 0x82;
    pub const NOT_SUPPORTED: u8 = 0x84;
    pub const NO_ENTRY: u8 = 0x88;
    pub const TABLE_FULL: u8 = 0x8C;
}

/// `Bind_req` / `Unbind_req` (Zigbee spec §2.4.3.2.2-3): tsn, source IEEE address, source
/// endpoint, cluster, address mode, then a group (mode 0x01) or an IEEE address and endpoint
/// (mode 0x03). The device holds only its own bindings: another source address is
/// NOT_SUPPORTED, an endpoint it lacks INVALID_EP; binding twice is SUCCESS and changes
/// nothing; a full table is TABLE_FULL, unbinding what is not there NO_ENTRY.
pub(super) fn bind(
    device: &mut SimulatedDevice,
    cluster: u16,
    request: &[u8],
) -> Option<DeviceAnswer> {
    use zdo_status::*;
    let (&tsn, args) = request.split_first()?;
    let respond = |status: u8| Some((0x0000, cluster | 0x8000, 0, 0, vec![tsn, status]));
    let parsed = match args {
        [ieee @ .., ep, c0, c1, 0x01, g0, g1] if ieee.len() == 8 => Some((
            ieee,
            *ep,
            u16::from_le_bytes([*c0, *c1]),
            BindDestination::Group(u16::from_le_bytes([*g0, *g1])),
        )),
        [head @ .., 0x03, d0, d1, d2, d3, d4, d5, d6, d7, dst_ep] if head.len() == 11 => Some((
            &head[..8],
            head[8],
            u16::from_le_bytes([head[9], head[10]]),
            BindDestination::Endpoint {
                ieee: [*d0, *d1, *d2, *d3, *d4, *d5, *d6, *d7],
                endpoint: *dst_ep,
            },
        )),
        _ => None,
    };
    let Some((source_ieee, source_endpoint, bound_cluster, destination)) = parsed else {
        return respond(INV_REQUESTTYPE);
    };
    let z = &mut device.zcl;
    if z.binding_unsupported || source_ieee != device.eui64 {
        return respond(NOT_SUPPORTED);
    }
    if !device
        .endpoints
        .iter()
        .any(|e| e.endpoint == source_endpoint)
    {
        return respond(INVALID_EP);
    }
    let entry = Binding {
        source_endpoint,
        cluster: bound_cluster,
        destination,
    };
    let existing = z.bindings.iter().position(|b| *b == entry);
    let status = match (cluster, existing) {
        (BIND_REQ, Some(_)) => SUCCESS,
        (BIND_REQ, None) if z.bindings.len() >= BINDING_TABLE_SIZE => TABLE_FULL,
        (BIND_REQ, None) => {
            z.bindings.push(entry);
            SUCCESS
        }
        (_, Some(i)) => {
            z.bindings.remove(i);
            SUCCESS
        }
        (_, None) => NO_ENTRY,
    };
    respond(status)
}

/// `Mgmt_Bind_req` (Zigbee spec §2.4.3.3.4): tsn, start index. The answer lists the binding
/// table from there, three entries a frame.
pub(super) fn mgmt_bind(device: &SimulatedDevice, request: &[u8]) -> Option<DeviceAnswer> {
    let [tsn, start] = request else {
        return None;
    };
    let z = &device.zcl;
    let mut out = vec![*tsn];
    if z.binding_unsupported {
        out.push(zdo_status::NOT_SUPPORTED);
    } else {
        let page: Vec<&Binding> = z
            .bindings
            .iter()
            .skip(usize::from(*start))
            .take(3)
            .collect();
        out.push(zdo_status::SUCCESS);
        out.push(u8::try_from(z.bindings.len()).unwrap_or(u8::MAX));
        out.push(*start);
        out.push(u8::try_from(page.len()).unwrap_or(u8::MAX));
        for b in page {
            out.extend(device.eui64);
            out.push(b.source_endpoint);
            out.extend(b.cluster.to_le_bytes());
            match b.destination {
                BindDestination::Group(g) => {
                    out.push(0x01);
                    out.extend(g.to_le_bytes());
                }
                BindDestination::Endpoint { ieee, endpoint } => {
                    out.push(0x03);
                    out.extend(ieee);
                    out.push(endpoint);
                }
            }
        }
    }
    Some((0x0000, MGMT_BIND_REQ | 0x8000, 0, 0, out))
}

/// `Mgmt_Permit_Joining_req` sent to this device alone (Zigbee spec §2.4.3.3.7): tsn,
/// duration, trust-centre significance. A router opens (or closes) itself for joining and
/// answers SUCCESS; an end device, which has no children, answers NOT_SUPPORTED. (A
/// broadcast one gets no answer: see [`permit_joining_broadcast`].)
pub(super) fn mgmt_permit_joining(
    device: &mut SimulatedDevice,
    request: &[u8],
) -> Option<DeviceAnswer> {
    let [tsn, duration, _tc_significance] = request else {
        return None;
    };
    let status = if device.node_type == 2 {
        device.zcl.permit_joining(*duration);
        zdo_status::SUCCESS
    } else {
        zdo_status::NOT_SUPPORTED
    };
    Some((
        0x0000,
        MGMT_PERMIT_JOINING_REQ | 0x8000,
        0,
        0,
        vec![*tsn, status],
    ))
}

/// A broadcast `Mgmt_Permit_Joining_req` reaches `device`: a router opens (or closes) itself
/// and answers nothing, as the specification has it for broadcasts.
pub fn permit_joining_broadcast(device: &mut SimulatedDevice, request: &[u8]) {
    if let ([_tsn, duration, _tc], 2) = (request, device.node_type) {
        device.zcl.permit_joining(*duration);
    }
}
