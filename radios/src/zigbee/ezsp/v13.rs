//! EZSP protocol 13 (EmberZNet 7.4) parameter layouts, as byte-level rewrites to and from the
//! protocol >= 14 layouts that [`super::commands`] decodes. Protocol 13 sticks are still common
//! (firmware shipped on many Sonoff ZBDongle-E and SkyConnect units), and 13 → 14 changed little
//! beyond the width of status codes, so one set of parameter structs with a rewrite at the edge
//! beats a second copy of every struct.
//!
//! What differs, as zigbee-herdsman 10.9.5's ember adapter reads and writes it (`ezsp.ts`, every
//! `version < 0x0E` branch, and `buffalo.ts` `readStatus`):
//!
//! - **Status codes** are one byte. Most are `EmberStatus`, mapped to `sl_status_t` by the table
//!   below ([`ember_to_sl`]; values not in it pass through unchanged, unless the unchanged value
//!   is the `sl_status_t` of another `EmberStatus`, which would read back as that one: refused). Configuration, policy,
//!   value and endpoint commands answer with an `EzspStatus`: 0 stays 0 (`SL_STATUS_OK`), any
//!   other value `e` becomes `SL_STATUS_ZIGBEE_EZSP_ERROR` (0x0C1E) with `e` kept in bits 16-23
//!   ([`ezsp_error`], [`ezsp_status_of`]), so the exact code reaches the log and the frame writes
//!   back byte for byte (zigbee-herdsman folds them all into 0x0C1E). Frames whose status was already
//!   an `sl_status_t` in 13 (`startScan`, `importTransientKey`, `importLinkKey`,
//!   `getNetworkKeyInfo`, `exportKey`) keep 32 bits.
//! - **`exportKey`** answers key first, then status, and does not echo the context (it reads
//!   back as all zeros).
//! - **`importTransientKey`** ends with a security-manager flags byte (sent as 0, "none").
//! - **`leaveNetwork`** has no options byte.
//! - **Message tags** are 8 bits in `sendUnicast`, `sendBroadcast` and `messageSentHandler`:
//!   only the low byte of a 16-bit tag travels, and the tag that comes back is that byte.
//! - **`sendBroadcast`** has no alias or NWK sequence (read back as 0).
//! - **`messageSentHandler`** puts its status after the tag.
//! - **`incomingMessageHandler`** carries last-hop LQI and RSSI, sender, binding and address
//!   indexes instead of the packet-info struct: the sender's EUI-64 reads back as all 0xFF
//!   (unknown) and the timestamp as 0.
//! - `sendMulticast` changed more than a rewrite can honestly cover (a non-member radius instead
//!   of the broadcast address, alias and sequence); it is refused with
//!   [`Error::NotInProtocol`] on protocol 13.
//!
//! Every other frame in [`super::commands`] has the same layout in both protocols. Each rewrite
//! has a mirror, so the stick emulator speaks protocol 13 with the same code and the round trips
//! are tested.

use super::{Error, Result};

/// The protocol whose layouts this module rewrites.
pub const PROTOCOL: u8 = 13;

/// `EmberStatus` → `sl_status_t`, as zigbee-herdsman's `EMBER_TO_SL_STATUS_MAP`.
const EMBER_TO_SL: &[(u8, u32)] = &[
    (0x02, 0x0021), // BAD_ARGUMENT -> INVALID_PARAMETER
    (0x18, 0x0019), // NO_BUFFERS -> ALLOCATION_FAILED
    (0x19, 0x0C01), // PACKET_HANDOFF_DROP_PACKET -> ZIGBEE_PACKET_HANDOFF_DROPPED
    (0x66, 0x0C02), // DELIVERY_FAILED -> ZIGBEE_DELIVERY_FAILED
    (0x70, 0x0002), // INVALID_CALL -> INVALID_STATE
    (0x72, 0x0C03), // MAX_MESSAGE_LIMIT_REACHED
    (0x74, 0x0038), // MESSAGE_TOO_LONG
    (0x75, 0x0C04), // BINDING_IS_ACTIVE
    (0x76, 0x0C05), // ADDRESS_TABLE_ENTRY_IS_ACTIVE
    (0x90, 0x0015), // NETWORK_UP
    (0x91, 0x0016), // NETWORK_DOWN
    (0x93, 0x0017), // NOT_JOINED
    (0x95, 0x0C08), // INVALID_SECURITY_LEVEL
    (0x96, 0x0C06), // MOVE_FAILED
    (0x99, 0x0C07), // NODE_ID_CHANGED
    (0x9A, 0x0C16), // PAN_ID_CHANGED
    (0x9B, 0x0C17), // CHANNEL_CHANGED
    (0x9C, 0x0C18), // NETWORK_OPENED
    (0x9D, 0x0C19), // NETWORK_CLOSED
    (0xA1, 0x0004), // NETWORK_BUSY -> BUSY
    (0xA4, 0x0C0F), // BINDING_HAS_CHANGED
    (0xA5, 0x0C12), // INSUFFICIENT_RANDOM_DATA
    (0xA6, 0x0C0A), // APS_ENCRYPTION_ERROR
    (0xA8, 0x0C0B), // SECURITY_STATE_NOT_SET
    (0xA9, 0x0C13), // SOURCE_ROUTE_FAILURE
    (0xAA, 0x0C14), // MANY_TO_ONE_ROUTE_FAILURE
    (0xAC, 0x0C1A), // RECEIVED_KEY_IN_THE_CLEAR
    (0xAD, 0x0C1B), // NO_NETWORK_KEY_RECEIVED
    (0xAE, 0x0C1C), // NO_LINK_KEY_RECEIVED
    (0xAF, 0x0C1D), // PRECONFIGURED_KEY_REQUIRED
    (0xB0, 0x0C15), // STACK_AND_HARDWARE_MISMATCH
    (0xB5, 0x000E), // LIBRARY_NOT_PRESENT -> NOT_AVAILABLE
    (0xB8, 0x0C0C), // TOO_SOON_FOR_SWITCH_KEY
    (0xB9, 0x0C0D), // SIGNATURE_VERIFY_FAILURE
    (0xBB, 0x0C0E), // KEY_NOT_AUTHORIZED
    (0xBC, 0x0C10), // TRUST_CENTER_EUI_HAS_CHANGED
    (0xBE, 0x0C09), // IEEE_ADDRESS_DISCOVERY_IN_PROGRESS
    (0xBF, 0x0C11), // TRUST_CENTER_SWAPPED_OUT_EUI_HAS_NOT_CHANGED
];

/// `SL_STATUS_ZIGBEE_EZSP_ERROR`: the `sl_status_t` of every failing protocol-13 `EzspStatus`.
pub const SL_EZSP_ERROR: u32 = 0x0C1E;
/// `EzspStatus` `EZSP_ERROR_INVALID_CALL`, written for a plain [`SL_EZSP_ERROR`] that names no
/// `EzspStatus` of its own.
const EZSP_ERROR_INVALID_CALL: u8 = 0x38;

/// The status a failing protocol-13 `EzspStatus` reads as: [`SL_EZSP_ERROR`] with the code in
/// bits 16-23, so that different failures stay different (one encoding per value) and the log
/// can name the code. Every `sl_status_t` fits in 16 bits, so no real status collides.
pub fn ezsp_error(ezsp_status: u8) -> u32 {
    SL_EZSP_ERROR | (u32::from(ezsp_status) << 16)
}

/// The protocol-13 `EzspStatus` a status read by [`ezsp_error`] carries, if it is one.
pub fn ezsp_status_of(status: u32) -> Option<u8> {
    let code = u8::try_from(status >> 16).ok()?;
    (status & 0xFFFF == SL_EZSP_ERROR && code != 0).then_some(code)
}

/// An `EmberStatus` as `sl_status_t`. A value not in the table passes through unchanged, unless
/// that value is the `sl_status_t` of another `EmberStatus` (0x04 is `SL_STATUS_BUSY`, which
/// NETWORK_BUSY 0xA1 becomes): it is refused, so that every `sl_status_t` read comes from one
/// `EmberStatus` and writes back as it (found by the `ezsp_frames` fuzz target).
pub fn ember_to_sl(status: u8) -> Result<u32> {
    if let Some((_, sl)) = EMBER_TO_SL.iter().find(|(e, _)| *e == status) {
        return Ok(*sl);
    }
    let through = u32::from(status);
    if EMBER_TO_SL.iter().any(|(_, sl)| *sl == through) {
        return Err(Error::Parameters(format!(
            "EmberStatus {status:#04x} is not known and would read as another status"
        )));
    }
    Ok(through)
}

/// The `EmberStatus` that reads back as `status`; refused when none does.
pub fn sl_to_ember(status: u32) -> Result<u8> {
    if let Some((e, _)) = EMBER_TO_SL.iter().find(|(_, sl)| *sl == status) {
        return Ok(*e);
    }
    match u8::try_from(status) {
        Ok(e) if !EMBER_TO_SL.iter().any(|(k, _)| *k == e) => Ok(e),
        _ => Err(Error::Parameters(format!(
            "status {status:#06x} has no EmberStatus for EZSP 13"
        ))),
    }
}

/// How a frame's parameters differ in protocol 13.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rewrite {
    /// The same bytes.
    Same,
    /// A one-byte `EmberStatus` at this offset instead of a 32-bit status.
    EmberStatusAt(usize),
    /// A one-byte `EzspStatus` at this offset instead of a 32-bit status.
    EzspStatusAt(usize),
    ExportKeyResponse,
    ImportTransientKey,
    LeaveNetwork,
    SendUnicast,
    SendBroadcast,
    MessageSent,
    IncomingMessage,
    NotInProtocol,
}

fn command_rewrite(frame_id: u16) -> Rewrite {
    match frame_id {
        0x0111 => Rewrite::ImportTransientKey,
        0x0020 => Rewrite::LeaveNetwork,
        0x0034 => Rewrite::SendUnicast,
        0x0036 => Rewrite::SendBroadcast,
        0x0038 => Rewrite::NotInProtocol,
        _ => Rewrite::Same,
    }
}

fn from_ncp_rewrite(frame_id: u16) -> Rewrite {
    match frame_id {
        // networkInit, leaveNetwork, formNetwork, permitJoining, getNetworkParameters,
        // sendUnicast, sendBroadcast, setConcentrator, setInitialSecurityState,
        // getCurrentSecurityState, setMulticastTableEntry, setRadioPower, clearKeyTable,
        // setTokenData, and the stackStatusHandler callback.
        0x0017 | 0x0020 | 0x001E | 0x0022 | 0x0028 | 0x0034 | 0x0036 | 0x0010 | 0x0068 | 0x0069
        | 0x0064 | 0x0099 | 0x00B1 | 0x0103 | 0x0019 => Rewrite::EmberStatusAt(0),
        // scanCompleteHandler: channel, then status.
        0x001C => Rewrite::EmberStatusAt(1),
        // addEndpoint, getExtendedValue, getConfigurationValue, setConfigurationValue,
        // setPolicy, getValue, setValue.
        0x0002 | 0x0003 | 0x0052 | 0x0053 | 0x0055 | 0x00AA | 0x00AB => Rewrite::EzspStatusAt(0),
        0x0114 => Rewrite::ExportKeyResponse,
        0x003F => Rewrite::MessageSent,
        0x0045 => Rewrite::IncomingMessage,
        0x0038 => Rewrite::NotInProtocol,
        _ => Rewrite::Same,
    }
}

/// Length of `EmberApsFrame`: profile, cluster, two endpoints, options, group, sequence.
const APS_FRAME_LEN: usize = 11;
/// Length of `sl_zb_sec_man_context_t`.
const SEC_MAN_CONTEXT_LEN: usize = 18;

fn need(params: &[u8], len: usize) -> Result<()> {
    if params.len() < len {
        Err(Error::Truncated)
    } else {
        Ok(())
    }
}

fn u32_at(params: &[u8], at: usize) -> Result<u32> {
    need(params, at + 4)?;
    let mut b = [0u8; 4];
    b.copy_from_slice(&params[at..at + 4]);
    Ok(u32::from_le_bytes(b))
}

fn not_in_protocol(frame_id: u16) -> Error {
    Error::NotInProtocol {
        frame_id,
        protocol: PROTOCOL,
    }
}

/// Rewrites a host command's parameters from the >= 14 layout to protocol 13's.
pub fn command_to_v13(frame_id: u16, params: Vec<u8>) -> Result<Vec<u8>> {
    match command_rewrite(frame_id) {
        Rewrite::ImportTransientKey => {
            let mut out = params;
            out.push(0x00);
            Ok(out)
        }
        Rewrite::LeaveNetwork => match params.as_slice() {
            [] | [0] => Ok(Vec::new()),
            _ => Err(Error::Parameters(
                "leaveNetwork options do not exist in EZSP 13".into(),
            )),
        },
        Rewrite::SendUnicast => {
            // type, destination, APS frame, tag (u16 → u8), message.
            let tag_at = 1 + 2 + APS_FRAME_LEN;
            need(&params, tag_at + 2)?;
            let mut out = params[..tag_at + 1].to_vec();
            out.extend_from_slice(&params[tag_at + 2..]);
            Ok(out)
        }
        Rewrite::SendBroadcast => {
            // alias, destination, nwk sequence, APS frame, radius, tag (u16), message.
            let aps_at = 2 + 2 + 1;
            let tag_at = aps_at + APS_FRAME_LEN + 1;
            need(&params, tag_at + 2)?;
            if params[0..2] != [0, 0] || params[4] != 0 {
                return Err(Error::Parameters(
                    "sendBroadcast alias and sequence do not exist in EZSP 13".into(),
                ));
            }
            let mut out = params[2..4].to_vec();
            out.extend_from_slice(&params[aps_at..=tag_at]);
            out.extend_from_slice(&params[tag_at + 2..]);
            Ok(out)
        }
        Rewrite::NotInProtocol => Err(not_in_protocol(frame_id)),
        _ => Ok(params),
    }
}

/// Mirror of [`command_to_v13`] (for the stick emulator and tests).
pub fn command_from_v13(frame_id: u16, params: &[u8]) -> Result<Vec<u8>> {
    match command_rewrite(frame_id) {
        Rewrite::ImportTransientKey => {
            need(params, 1)?;
            Ok(params[..params.len() - 1].to_vec())
        }
        Rewrite::LeaveNetwork => {
            if params.is_empty() {
                Ok(vec![0])
            } else {
                Err(Error::TrailingBytes(params.len()))
            }
        }
        Rewrite::SendUnicast => {
            let tag_at = 1 + 2 + APS_FRAME_LEN;
            need(params, tag_at + 1)?;
            let mut out = params[..=tag_at].to_vec();
            out.push(0);
            out.extend_from_slice(&params[tag_at + 1..]);
            Ok(out)
        }
        Rewrite::SendBroadcast => {
            let tag_at = 2 + APS_FRAME_LEN + 1;
            need(params, tag_at + 1)?;
            let mut out = vec![0, 0];
            out.extend_from_slice(&params[0..2]);
            out.push(0);
            out.extend_from_slice(&params[2..=tag_at]);
            out.push(0);
            out.extend_from_slice(&params[tag_at + 1..]);
            Ok(out)
        }
        Rewrite::NotInProtocol => Err(not_in_protocol(frame_id)),
        _ => Ok(params.to_vec()),
    }
}

/// Rewrites a response's or callback's parameters from protocol 13's layout to the >= 14 one.
pub fn from_ncp_from_v13(frame_id: u16, params: &[u8]) -> Result<Vec<u8>> {
    match from_ncp_rewrite(frame_id) {
        Rewrite::EmberStatusAt(at) | Rewrite::EzspStatusAt(at) => {
            need(params, at + 1)?;
            let status = match from_ncp_rewrite(frame_id) {
                Rewrite::EmberStatusAt(_) => ember_to_sl(params[at])?,
                _ if params[at] == 0 => 0,
                _ => ezsp_error(params[at]),
            };
            let mut out = params[..at].to_vec();
            out.extend(status.to_le_bytes());
            out.extend_from_slice(&params[at + 1..]);
            Ok(out)
        }
        Rewrite::ExportKeyResponse => {
            if params.len() != 16 + 4 {
                return Err(if params.len() < 20 {
                    Error::Truncated
                } else {
                    Error::TrailingBytes(params.len() - 20)
                });
            }
            let mut out = params[16..20].to_vec();
            out.extend_from_slice(&params[..16]);
            out.extend([0u8; SEC_MAN_CONTEXT_LEN]);
            Ok(out)
        }
        Rewrite::MessageSent => {
            // type, index or destination, APS frame, tag (u8), status (u8), message.
            let tag_at = 1 + 2 + APS_FRAME_LEN;
            need(params, tag_at + 2)?;
            let mut out = ember_to_sl(params[tag_at + 1])?.to_le_bytes().to_vec();
            out.extend_from_slice(&params[..tag_at]);
            out.extend([params[tag_at], 0]);
            out.extend_from_slice(&params[tag_at + 2..]);
            Ok(out)
        }
        Rewrite::IncomingMessage => {
            // type, APS frame, LQI, RSSI, sender, binding index, address index, message.
            let info_at = 1 + APS_FRAME_LEN;
            need(params, info_at + 6)?;
            let (lqi, rssi) = (params[info_at], params[info_at + 1]);
            let mut out = params[..info_at].to_vec();
            out.extend_from_slice(&params[info_at + 2..info_at + 4]); // sender
            out.extend([0xFF; 8]); // sender EUI-64: unknown
            out.extend_from_slice(&params[info_at + 4..info_at + 6]); // binding, address index
            out.extend([lqi, rssi]);
            out.extend([0u8; 4]); // timestamp
            out.extend_from_slice(&params[info_at + 6..]);
            Ok(out)
        }
        Rewrite::NotInProtocol => Err(not_in_protocol(frame_id)),
        _ => Ok(params.to_vec()),
    }
}

/// Mirror of [`from_ncp_from_v13`] (for the stick emulator and tests): what a protocol-13 NCP
/// sends. Refuses values protocol 13 cannot carry (a status with no `EmberStatus`, a tag above
/// 0xFF, a known sender EUI-64).
pub fn from_ncp_to_v13(frame_id: u16, params: Vec<u8>) -> Result<Vec<u8>> {
    match from_ncp_rewrite(frame_id) {
        rewrite @ (Rewrite::EmberStatusAt(at) | Rewrite::EzspStatusAt(at)) => {
            let status = u32_at(&params, at)?;
            let byte = match rewrite {
                Rewrite::EmberStatusAt(_) => sl_to_ember(status)?,
                _ if status == 0 => 0,
                _ => ezsp_status_of(status).unwrap_or(EZSP_ERROR_INVALID_CALL),
            };
            let mut out = params[..at].to_vec();
            out.push(byte);
            out.extend_from_slice(&params[at + 4..]);
            Ok(out)
        }
        Rewrite::ExportKeyResponse => {
            need(&params, 4 + 16)?;
            let mut out = params[4..20].to_vec();
            out.extend_from_slice(&params[..4]);
            Ok(out)
        }
        Rewrite::MessageSent => {
            let status = sl_to_ember(u32_at(&params, 0)?)?;
            let tag_at = 4 + 1 + 2 + APS_FRAME_LEN;
            need(&params, tag_at + 2)?;
            if params[tag_at + 1] != 0 {
                return Err(Error::Parameters(
                    "message tag above 0xFF in EZSP 13".into(),
                ));
            }
            let mut out = params[4..tag_at].to_vec();
            out.extend([params[tag_at], status]);
            out.extend_from_slice(&params[tag_at + 2..]);
            Ok(out)
        }
        Rewrite::IncomingMessage => {
            let info_at = 1 + APS_FRAME_LEN;
            // sender u16, EUI-64, binding, address, LQI, RSSI, timestamp u32.
            need(&params, info_at + 18)?;
            let p = &params[info_at..info_at + 18];
            let mut out = params[..info_at].to_vec();
            out.extend([p[12], p[13]]); // LQI, RSSI
            out.extend_from_slice(&p[0..2]); // sender
            out.extend([p[10], p[11]]); // binding, address index
            out.extend_from_slice(&params[info_at + 18..]);
            Ok(out)
        }
        Rewrite::NotInProtocol => Err(not_in_protocol(frame_id)),
        _ => Ok(params),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ember_statuses_map_both_ways() {
        assert_eq!(ember_to_sl(0x00), Ok(0));
        assert_eq!(ember_to_sl(0x90), Ok(0x0015));
        assert_eq!(ember_to_sl(0x93), Ok(0x0017));
        assert_eq!(ember_to_sl(0x01), Ok(0x01), "unmapped values pass through");
        // Found by the ezsp_frames fuzz target: unmapped 0x04 passed through as SL_STATUS_BUSY,
        // which reads back as NETWORK_BUSY 0xA1.
        assert!(ember_to_sl(0x04).is_err(), "would read back as 0xA1");
        for (_, sl) in EMBER_TO_SL {
            if let Ok(e) = u8::try_from(*sl)
                && !EMBER_TO_SL.iter().any(|(k, _)| *k == e)
            {
                assert!(
                    ember_to_sl(e).is_err(),
                    "{e:#04x} would read back as another"
                );
            }
        }
        for (e, sl) in EMBER_TO_SL {
            assert_eq!(sl_to_ember(*sl), Ok(*e));
            assert_eq!(ember_to_sl(*e), Ok(*sl));
        }
        assert!(sl_to_ember(0x0C99).is_err());
        assert!(sl_to_ember(0x18).is_err(), "would read back as 0x19");
    }

    #[test]
    fn a_stack_status_of_protocol_13_reads_as_sl_status() {
        assert_eq!(from_ncp_from_v13(0x0019, &[0x90]), Ok(vec![0x15, 0, 0, 0]));
        assert_eq!(from_ncp_to_v13(0x0019, vec![0x15, 0, 0, 0]), Ok(vec![0x90]));
    }

    #[test]
    fn an_ezsp_status_failure_is_the_generic_ezsp_error_carrying_its_code() {
        assert_eq!(
            from_ncp_from_v13(0x0053, &[0x38]),
            Ok(ezsp_error(0x38).to_le_bytes().to_vec())
        );
        assert_eq!(from_ncp_from_v13(0x0053, &[0x00]), Ok(vec![0, 0, 0, 0]));
        assert_eq!(ezsp_status_of(ezsp_error(0x38)), Some(0x38));
        assert_eq!(ezsp_status_of(SL_EZSP_ERROR), None);
        assert_eq!(ezsp_status_of(0x0021), None);
    }

    /// The fuzz finding kept in `fuzz/regressions/ezsp_frames/get-extended-value-ezsp-status`:
    /// getExtendedValue answered with `EzspStatus` 0x04 read as the generic EZSP error and wrote
    /// back as 0x38, so two different frames read the same.
    #[test]
    fn every_failing_ezsp_status_writes_back_as_itself() {
        for code in 1..=u8::MAX {
            let read = from_ncp_from_v13(0x0003, &[code, 0]).expect("read");
            assert_eq!(
                ezsp_status_of(u32_at(&read, 0).expect("status")),
                Some(code)
            );
            assert_eq!(from_ncp_to_v13(0x0003, read), Ok(vec![code, 0]));
        }
        // A plain generic error (no code of its own) still has a protocol-13 form.
        let mut plain = SL_EZSP_ERROR.to_le_bytes().to_vec();
        plain.push(0);
        assert_eq!(from_ncp_to_v13(0x0053, plain), Ok(vec![0x38, 0]));
    }

    #[test]
    fn multicast_is_refused_not_mangled() {
        assert!(matches!(
            command_to_v13(0x0038, vec![0; 24]),
            Err(Error::NotInProtocol {
                frame_id: 0x0038,
                protocol: 13
            })
        ));
    }

    use crate::zigbee::ezsp::commands::messaging::{IncomingMessageHandler, MessageSentHandler};
    use crate::zigbee::ezsp::commands::security::{ExportKeyResponse, ImportTransientKey};
    use crate::zigbee::ezsp::{Callback, Command, FromNcp, Response};

    /// An APS frame: profile 0x0104, cluster 0x0006, endpoints 1 → 1, options 0x0140, group 0,
    /// sequence 0x2A.
    const APS: [u8; 11] = [
        0x04, 0x01, 0x06, 0x00, 0x01, 0x01, 0x40, 0x01, 0x00, 0x00, 0x2A,
    ];

    #[test]
    fn incoming_message_in_the_protocol_13_order() {
        // Read as herdsman does for version < 14: type, APS frame, last-hop LQI, RSSI, sender,
        // binding index, address index, then the length-prefixed message.
        let mut v13 = vec![0x00];
        v13.extend(APS);
        v13.extend([0xF0, 0xC4, 0x5F, 0x6A, 0xFF, 0x02, 0x03, 0x18, 0x01, 0x0B]);
        let params = from_ncp_from_v13(0x0045, &v13).unwrap();
        let FromNcp::Callback(Callback::IncomingMessageHandler(IncomingMessageHandler {
            aps_frame,
            packet_info,
            message,
            ..
        })) = FromNcp::decode_params(0x0045, &params).unwrap()
        else {
            panic!("not an incomingMessageHandler");
        };
        assert_eq!(aps_frame.cluster_id, 0x0006);
        assert_eq!(aps_frame.sequence, 0x2A);
        assert_eq!(packet_info.sender_short_id, 0x6A5F);
        assert_eq!(packet_info.last_hop_lqi, 0xF0);
        assert_eq!(packet_info.last_hop_rssi, -60);
        assert_eq!(packet_info.binding_index, 0xFF);
        assert_eq!(packet_info.address_index, 0x02);
        assert_eq!(packet_info.sender_long_id, [0xFF; 8]);
        assert_eq!(message.0, vec![0x18, 0x01, 0x0B]);
        assert_eq!(from_ncp_to_v13(0x0045, params), Ok(v13));
    }

    #[test]
    fn message_sent_has_its_tag_and_status_last_in_protocol_13() {
        // type, index or destination, APS frame, tag (u8), status (EmberStatus), message.
        let mut v13 = vec![0x00, 0x5F, 0x6A];
        v13.extend(APS);
        v13.extend([0x07, 0x66, 0x00]);
        let params = from_ncp_from_v13(0x003F, &v13).unwrap();
        let FromNcp::Callback(Callback::MessageSentHandler(MessageSentHandler {
            status,
            index_or_destination,
            message_tag,
            ..
        })) = FromNcp::decode_params(0x003F, &params).unwrap()
        else {
            panic!("not a messageSentHandler");
        };
        assert_eq!(status.0, 0x0C02, "EMBER_DELIVERY_FAILED");
        assert_eq!(index_or_destination, 0x6A5F);
        assert_eq!(message_tag, 0x07);
        assert_eq!(from_ncp_to_v13(0x003F, params), Ok(v13));
    }

    #[test]
    fn export_key_answers_key_first_in_protocol_13() {
        let mut v13 = vec![0xAB; 16];
        v13.extend([0, 0, 0, 0]);
        let params = from_ncp_from_v13(0x0114, &v13).unwrap();
        let FromNcp::Response(Response::ExportKey(ExportKeyResponse { status, key, .. })) =
            FromNcp::decode_params(0x0114, &params).unwrap()
        else {
            panic!("not exportKey");
        };
        assert_eq!(status.0, 0);
        assert_eq!(key.0, [0xAB; 16]);
        assert_eq!(from_ncp_to_v13(0x0114, params), Ok(v13));
    }

    #[test]
    fn import_transient_key_ends_with_a_flags_byte_in_protocol_13() {
        let command = Command::ImportTransientKey(ImportTransientKey {
            eui64: [0xFF; 8],
            key: crate::zigbee::ezsp::types::Key(*b"ZigBeeAlliance09"),
        });
        let v13 = command_to_v13(0x0111, command.encode_params().unwrap()).unwrap();
        assert_eq!(v13.len(), 8 + 16 + 1);
        assert_eq!(v13.last(), Some(&0x00));
        let back = command_from_v13(0x0111, &v13).unwrap();
        assert_eq!(Command::decode_params(0x0111, &back).unwrap(), command);
    }

    #[test]
    fn send_unicast_carries_the_low_byte_of_the_tag() {
        let mut v14 = vec![0x00, 0x5F, 0x6A];
        v14.extend(APS);
        v14.extend([0x34, 0x12, 0x02, 0x10, 0x20]);
        let v13 = command_to_v13(0x0034, v14).unwrap();
        assert_eq!(v13[14], 0x34);
        assert_eq!(&v13[15..], &[0x02, 0x10, 0x20]);
        let back = command_from_v13(0x0034, &v13).unwrap();
        assert_eq!(&back[14..16], &[0x34, 0x00]);
    }

    #[test]
    fn leave_network_has_no_options_in_protocol_13() {
        assert_eq!(command_to_v13(0x0020, vec![0]), Ok(vec![]));
        assert!(command_to_v13(0x0020, vec![1]).is_err());
        assert_eq!(command_from_v13(0x0020, &[]), Ok(vec![0]));
    }
}
