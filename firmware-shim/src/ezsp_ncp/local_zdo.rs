//! The emulated NCP's own ZDO server: what the stack on the chip answers when the host sends a
//! ZDO request to the coordinator itself (node 0x0000). zigbee-herdsman does this at start-up to
//! learn the coordinator's endpoints (`Active_EP_req`, then `Simple_Desc_req` per endpoint). The
//! answers come from the endpoints the host registered with `addEndpoint`.
//!
//! ZDO payloads here are byte strings built by hand (Zigbee spec §2.4.3/§2.4.4: a transaction
//! sequence number, then the fields, little-endian): this is the chip's behaviour, kept apart
//! from any host-side ZDO code. Requests it does not serve get `NOT_SUPPORTED`.

use std::collections::BTreeMap;

use sealhub_radios::zigbee::ezsp::commands::configuration::AddEndpoint;

/// The ZDO profile.
pub const ZDO_PROFILE: u16 = 0x0000;
/// ZDO responses are the request's cluster with this bit set.
pub const RESPONSE_BIT: u16 = 0x8000;
/// `Simple_Desc_req`.
pub const SIMPLE_DESC_REQ: u16 = 0x0004;
/// `Active_EP_req`.
pub const ACTIVE_EP_REQ: u16 = 0x0005;

/// ZDO status `SUCCESS`.
const SUCCESS: u8 = 0x00;
/// ZDO status `INV_REQUESTTYPE`: a malformed request.
const INV_REQUESTTYPE: u8 = 0x80;
/// ZDO status `DEVICE_NOT_FOUND`: asked about another node.
const DEVICE_NOT_FOUND: u8 = 0x81;
/// ZDO status `NOT_ACTIVE`: the endpoint is not registered.
const NOT_ACTIVE: u8 = 0x83;
/// ZDO status `NOT_SUPPORTED`.
const NOT_SUPPORTED: u8 = 0x84;

/// Answers one ZDO request addressed to this node: `(response cluster, response payload)`, or
/// `None` when the request calls for no answer (it is itself a response, or has no sequence
/// number).
pub fn answer(
    cluster: u16,
    request: &[u8],
    node_id: u16,
    endpoints: &BTreeMap<u8, AddEndpoint>,
) -> Option<(u16, Vec<u8>)> {
    if cluster & RESPONSE_BIT != 0 {
        return None;
    }
    let (&tsn, args) = request.split_first()?;
    let response_cluster = cluster | RESPONSE_BIT;
    let mut out = vec![tsn];
    match cluster {
        ACTIVE_EP_REQ => {
            let Some(&[lo, hi]) = args.first_chunk() else {
                out.push(INV_REQUESTTYPE);
                return Some((response_cluster, out));
            };
            let of_interest = u16::from_le_bytes([lo, hi]);
            if of_interest != node_id {
                out.push(DEVICE_NOT_FOUND);
                out.extend(of_interest.to_le_bytes());
                out.push(0);
                return Some((response_cluster, out));
            }
            out.push(SUCCESS);
            out.extend(node_id.to_le_bytes());
            out.push(u8::try_from(endpoints.len()).unwrap_or(u8::MAX));
            out.extend(endpoints.keys());
        }
        SIMPLE_DESC_REQ => {
            let Some(&[lo, hi, endpoint]) = args.first_chunk() else {
                out.push(INV_REQUESTTYPE);
                return Some((response_cluster, out));
            };
            let of_interest = u16::from_le_bytes([lo, hi]);
            let found = endpoints.get(&endpoint);
            match (of_interest == node_id, found) {
                (true, Some(ep)) => {
                    let descriptor = simple_descriptor(ep);
                    out.push(SUCCESS);
                    out.extend(node_id.to_le_bytes());
                    out.push(u8::try_from(descriptor.len()).unwrap_or(u8::MAX));
                    out.extend(descriptor);
                }
                (true, None) => {
                    out.push(NOT_ACTIVE);
                    out.extend(of_interest.to_le_bytes());
                    out.push(0);
                }
                (false, _) => {
                    out.push(DEVICE_NOT_FOUND);
                    out.extend(of_interest.to_le_bytes());
                    out.push(0);
                }
            }
        }
        _ => out.push(NOT_SUPPORTED),
    }
    Some((response_cluster, out))
}

/// The simple descriptor of a registered endpoint (Zigbee spec §2.3.2.5).
fn simple_descriptor(ep: &AddEndpoint) -> Vec<u8> {
    let mut d = vec![ep.endpoint];
    d.extend(ep.profile_id.to_le_bytes());
    d.extend(ep.device_id.to_le_bytes());
    d.push(ep.device_version & 0x0F);
    for list in [&ep.input_clusters, &ep.output_clusters] {
        d.push(u8::try_from(list.len()).unwrap_or(u8::MAX));
        for cluster in list.iter() {
            d.extend(cluster.to_le_bytes());
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> BTreeMap<u8, AddEndpoint> {
        let ep = AddEndpoint {
            endpoint: 1,
            profile_id: 0x0104,
            device_id: 0x0065,
            device_version: 1,
            input_clusters: vec![0x0000, 0x0006],
            output_clusters: vec![0x0019],
        };
        BTreeMap::from([(1, ep)])
    }

    #[test]
    fn active_endpoints_and_a_simple_descriptor_of_the_coordinator() {
        assert_eq!(
            answer(ACTIVE_EP_REQ, &[7, 0, 0], 0, &endpoints()),
            Some((0x8005, vec![7, 0, 0, 0, 1, 1]))
        );
        assert_eq!(
            answer(SIMPLE_DESC_REQ, &[8, 0, 0, 1], 0, &endpoints()),
            Some((
                0x8004,
                vec![
                    8, 0, 0, 0,  // tsn, SUCCESS, node 0x0000
                    14, // descriptor length
                    1, 0x04, 0x01, 0x65, 0x00, 1, // endpoint, profile, device, version
                    2, 0x00, 0x00, 0x06, 0x00, // two input clusters
                    1, 0x19, 0x00, // one output cluster
                ]
            ))
        );
    }

    #[test]
    fn unknown_endpoints_other_nodes_and_other_requests_are_refused() {
        assert_eq!(
            answer(SIMPLE_DESC_REQ, &[1, 0, 0, 9], 0, &endpoints()),
            Some((0x8004, vec![1, NOT_ACTIVE, 0, 0, 0]))
        );
        assert_eq!(
            answer(ACTIVE_EP_REQ, &[2, 0x34, 0x12], 0, &endpoints()),
            Some((0x8005, vec![2, DEVICE_NOT_FOUND, 0x34, 0x12, 0]))
        );
        assert_eq!(
            answer(0x0002, &[3, 0, 0], 0, &endpoints()),
            Some((0x8002, vec![3, NOT_SUPPORTED]))
        );
        assert_eq!(answer(0x8005, &[4, 0], 0, &endpoints()), None);
        assert_eq!(answer(ACTIVE_EP_REQ, &[], 0, &endpoints()), None);
    }
}
