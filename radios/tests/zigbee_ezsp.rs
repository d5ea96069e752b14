//! EZSP frames against the herdsman fixtures in `vectors/ezsp.md`: each decodes to the fields
//! the source lists and re-encodes byte-exact; round trips, truncation and trailing bytes; the
//! version negotiation.

use proptest::prelude::*;
use sealhub_radios::zigbee::ezsp::commands::configuration::*;
use sealhub_radios::zigbee::ezsp::commands::messaging::*;
use sealhub_radios::zigbee::ezsp::commands::networking::*;
use sealhub_radios::zigbee::ezsp::commands::security::*;
use sealhub_radios::zigbee::ezsp::types::{
    ApsFrame, Bytes8, Key, NetworkParameters, PacketInfo, Status,
};
use sealhub_radios::zigbee::ezsp::version::Step;
use sealhub_radios::zigbee::ezsp::{
    Callback, Command, Error, FrameCodec, FrameControl, FromNcp, Header, HeaderFormat, Negotiated,
    Negotiation, Response,
};

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '|'], "")).unwrap()
}

fn codec() -> FrameCodec {
    FrameCodec::new(14).unwrap()
}

/// ezsp.md §4: sendUnicast seq 39 to 0xC9DE, On/Off cluster, ZCL `01 04 00`.
const SEND_UNICAST: &str =
    "27 00 01 34 00 | 00 | de c9 | 04 01 06 00 01 01 40 11 00 00 00 | 03 00 | 03 | 01 04 00";
/// ezsp.md §5: its response, status OK, APS sequence 0x9a.
const SEND_UNICAST_REPLY: &str = "2780013400000000009a";
/// ezsp.md §6: messageSentHandler, APS sequence 0x9a, empty message.
const MESSAGE_SENT: &str =
    "27 90 01 3f 00 | 00 00 00 00 | 00 | de c9 | 04 01 06 00 01 01 40 11 00 00 9a | 03 00 | 00";
/// ezsp.md §6 variant: APS sequence 0xED.
const MESSAGE_SENT_FN0: &str = "2790013f000000000000dec904010600010140110000ed030000";
/// ezsp.md §7: incomingMessageHandler, with the unexplained trailing `02`.
const INCOMING: &str = "27 90 01 45 00 | 00 | 04 01 06 00 01 01 00 01 00 00 70 | de c9 | 00 00 00 00 00 00 00 00 | ff | ff | 03 | 00 | 06 00 00 00 | 05 | 18 04 0b 00 00 | 02";
/// ezsp.md §8 and §9: setPolicy(0x00, 0x02) seq 79 and its response.
const SET_POLICY: &str = "4f 00 01 55 00 | 00 | 02";
const SET_POLICY_REPLY: &str = "4f8001550000000000";

fn on_off_aps(options: u16, sequence: u8) -> ApsFrame {
    ApsFrame {
        profile_id: 0x0104,
        cluster_id: 0x0006,
        source_endpoint: 1,
        destination_endpoint: 1,
        options,
        group_id: 0,
        sequence,
    }
}

#[test]
fn send_unicast_command_fields_and_bytes() {
    let bytes = hex(SEND_UNICAST);
    let (header, command) = codec().decode_command(&bytes).unwrap();
    assert_eq!(
        header,
        Header {
            sequence: 39,
            control: FrameControl::command(),
            frame_id: 0x34
        }
    );
    let expected = Command::SendUnicast(SendUnicast {
        message_type: 0,
        index_or_destination: 0xC9DE,
        aps_frame: on_off_aps(0x1140, 0),
        message_tag: 3,
        message: Bytes8(vec![0x01, 0x04, 0x00]),
    });
    assert_eq!(command, expected);
    assert_eq!(codec().encode_command(39, &expected).unwrap(), bytes);
}

/// ezsp.md §14 (constructed from UG100 / herdsman's constants): the synchronous-callback frames
/// and the callbackPending bit.
#[test]
fn synchronous_callback_frames_and_the_pending_bit() {
    let poll = hex("12 0001 0600");
    let (header, command) = codec().decode_command(&poll).unwrap();
    assert_eq!((header.sequence, header.frame_id), (0x12, 0x0006));
    assert_eq!(command, Command::Callback(NoParams));
    assert_eq!(codec().encode_command(0x12, &command).unwrap(), poll);
    assert_eq!(
        codec().decode_command(&hex("12 0001 0600 00")),
        Err(Error::TrailingBytes(1))
    );

    check_from_ncp(
        "12 8001 0700",
        0x12,
        0x0180,
        FromNcp::Response(Response::NoCallbacks(NoParams)),
    );
    let (h, _) = codec().decode_from_ncp(&hex("12 8001 0700")).unwrap();
    assert!(!h.control.callback_pending() && !h.control.is_sync_callback());

    let fetched = FromNcp::Callback(Callback::StackStatusHandler(StackStatusHandler {
        status: Status(0x15),
    }));
    check_from_ncp("12 8c01 1900 15000000", 0x12, 0x018C, fetched);
    let (h, _) = codec()
        .decode_from_ncp(&hex("12 8c01 1900 15000000"))
        .unwrap();
    assert!(h.control.callback_pending() && h.control.is_sync_callback());
    assert!(h.control.is_callback() && !h.control.contains(FrameControl::ASYNC_CALLBACK));

    check_from_ncp(
        "07 8401 1e00 00000000",
        0x07,
        0x0184,
        FromNcp::Response(Response::FormNetwork(StatusResponse { status: Status::OK })),
    );
    let (h, _) = codec()
        .decode_from_ncp(&hex("07 8401 1e00 00000000"))
        .unwrap();
    assert!(h.control.callback_pending() && !h.control.is_callback());

    // The recorded asynchronous messageSentHandler (§6, FC 0x90): neither bit.
    let (h, _) = codec().decode_from_ncp(&hex(MESSAGE_SENT)).unwrap();
    assert!(h.control.is_callback() && !h.control.is_sync_callback());
    assert!(!h.control.callback_pending());
    // A command never has a callback pending, whatever its bit 2 says.
    assert!(!FrameControl::from_bits_retain(0x0104).callback_pending());
}

fn check_from_ncp(hex_frame: &str, sequence: u8, control: u16, expected: FromNcp) {
    let bytes = hex(hex_frame);
    let (header, frame) = codec().decode_from_ncp(&bytes).unwrap();
    assert_eq!(header.sequence, sequence);
    assert_eq!(header.control.bits(), control);
    assert_eq!(frame, expected);
    assert_eq!(codec().encode_from_ncp(&header, &frame).unwrap(), bytes);
}

#[test]
fn responses_and_callbacks_decode_to_the_listed_fields_and_reencode() {
    check_from_ncp(
        SEND_UNICAST_REPLY,
        39,
        0x0180,
        FromNcp::Response(Response::SendUnicast(SendUnicastResponse {
            status: Status::OK,
            sequence: 0x9a,
        })),
    );
    for (frame, aps_sequence) in [(MESSAGE_SENT, 0x9a), (MESSAGE_SENT_FN0, 0xed)] {
        check_from_ncp(
            frame,
            39,
            0x0190,
            FromNcp::Callback(Callback::MessageSentHandler(MessageSentHandler {
                status: Status::OK,
                message_type: 0,
                index_or_destination: 0xC9DE,
                aps_frame: on_off_aps(0x1140, aps_sequence),
                message_tag: 3,
                message: Bytes8(vec![]),
            })),
        );
    }
    check_from_ncp(
        SET_POLICY_REPLY,
        79,
        0x0180,
        FromNcp::Response(Response::SetPolicy(StatusResponse { status: Status::OK })),
    );
}

#[test]
fn set_policy_command() {
    let bytes = hex(SET_POLICY);
    let expected = Command::SetPolicy(SetPolicy {
        policy_id: 0,
        decision_id: 2,
    });
    assert_eq!(codec().decode_command(&bytes).unwrap().1, expected);
    assert_eq!(codec().encode_command(79, &expected).unwrap(), bytes);
}

#[test]
fn incoming_message_handler_fields_and_its_unexplained_trailing_byte() {
    let bytes = hex(INCOMING);
    // Trailing bytes are refused, so the recorded frame as a whole is refused ...
    assert_eq!(
        codec().decode_from_ncp(&bytes),
        Err(Error::TrailingBytes(1))
    );
    // ... and without its last byte it has exactly the fields ezsp.md lists.
    let body = &bytes[..bytes.len() - 1];
    let expected = FromNcp::Callback(Callback::IncomingMessageHandler(IncomingMessageHandler {
        message_type: 0,
        aps_frame: on_off_aps(0x0100, 0x70),
        packet_info: PacketInfo {
            sender_short_id: 0xC9DE,
            sender_long_id: [0; 8],
            binding_index: 0xFF,
            address_index: 0xFF,
            last_hop_lqi: 3,
            last_hop_rssi: 0,
            last_hop_timestamp: 6,
        },
        message: Bytes8(hex("18040b0000")),
    }));
    let (header, frame) = codec().decode_from_ncp(body).unwrap();
    assert!(header.control.is_callback());
    assert_eq!(frame, expected);
    assert_eq!(codec().encode_from_ncp(&header, &frame).unwrap(), body);
}

/// `childJoinHandler` and `trustCenterJoinHandler` in the field order herdsman 10.9.5's callback
/// reader takes them (`ezsp.js`: index, joining, childId u16, childEui64, childType; newNodeId
/// u16, newNodeEui64, status, policyDecision, parentOfNewNodeId u16), all little-endian.
#[test]
fn join_callbacks_in_herdsman_field_order() {
    let child = "00 90 01 23 00 | 03 | 01 | 34 12 | 01 02 03 04 05 06 07 08 | 03";
    check_from_ncp(
        child,
        0,
        0x0190,
        FromNcp::Callback(Callback::ChildJoinHandler(ChildJoinHandler {
            index: 3,
            joining: 1,
            child_id: 0x1234,
            child_eui64: [1, 2, 3, 4, 5, 6, 7, 8],
            child_type: 3,
        })),
    );
    let tc = "00 90 01 24 00 | 34 12 | 01 02 03 04 05 06 07 08 | 01 | 00 | 00 00";
    check_from_ncp(
        tc,
        0,
        0x0190,
        FromNcp::Callback(Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
            new_node_id: 0x1234,
            new_node_eui64: [1, 2, 3, 4, 5, 6, 7, 8],
            status: device_update::UNSECURED_JOIN,
            policy_decision: 0,
            parent_of_new_node_id: 0x0000,
        })),
    );
}

#[test]
fn legacy_version_frames_decode_and_reencode() {
    // ezsp.md §1-3: command 00 00 00 0d, response 00 80 00 0d 02 10 74; UG101 example v2.
    for (cmd, desired) in [("0000000d", 13), ("00000002", 2)] {
        let bytes = hex(cmd);
        let (h, params) = Header::decode(&bytes, HeaderFormat::Legacy).unwrap();
        assert_eq!((h.sequence, h.control.bits(), h.frame_id), (0, 0, 0));
        let c = Command::decode_params(h.frame_id, params).unwrap();
        assert_eq!(
            c,
            Command::Version(VersionCommand {
                desired_protocol_version: desired
            })
        );
        let mut again = h.encode(HeaderFormat::Legacy).unwrap();
        again.extend(c.encode_params().unwrap());
        assert_eq!(again, bytes);
    }
    for (rsp, protocol_version, stack_version) in [
        ("0080000d021074", 13, 0x7410),
        ("00800002021130", 2, 0x3011),
    ] {
        let bytes = hex(rsp);
        let (h, params) = Header::decode(&bytes, HeaderFormat::Legacy).unwrap();
        assert_eq!(h.control, FrameControl::RESPONSE);
        let r = FromNcp::decode_params(h.frame_id, params).unwrap();
        assert_eq!(
            r,
            FromNcp::Response(Response::Version(VersionResponse {
                protocol_version,
                stack_type: 2,
                stack_version
            }))
        );
        let mut again = h.encode(HeaderFormat::Legacy).unwrap();
        again.extend(r.encode_params().unwrap());
        assert_eq!(again, bytes);
    }
}

#[test]
fn headers_of_the_unverified_frames() {
    // ezsp.md §10 and §11: only the headers are known for sure.
    for (frame, seq, id) in [
        (
            "ed90013f0006fdffe0a12100f2f20001000066340006190f020a0000",
            0xed,
            0x3f,
        ),
        ("1990015900d46a40c7003100bc150060b401d528", 0x19, 0x59),
        (
            "199001450000040119002301000100000b5cb3d46affff0c11450100151051020800040004",
            0x19,
            0x45,
        ),
    ] {
        let bytes = hex(frame);
        let (h, _) = Header::decode(&bytes, HeaderFormat::Extended).unwrap();
        assert_eq!((h.sequence, h.frame_id), (seq, id));
        assert!(
            h.control
                .contains(FrameControl::ASYNC_CALLBACK | FrameControl::RESPONSE)
        );
        assert!(h.control.contains(FrameControl::FORMAT_VERSION_1));
    }
}

#[test]
fn every_truncation_and_any_trailing_byte_is_refused() {
    for frame in [
        SEND_UNICAST_REPLY,
        MESSAGE_SENT,
        MESSAGE_SENT_FN0,
        SET_POLICY_REPLY,
    ] {
        let bytes = hex(frame);
        for cut in 0..bytes.len() {
            assert_eq!(
                codec().decode_from_ncp(&bytes[..cut]),
                Err(Error::Truncated),
                "{frame} cut {cut}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(codec().decode_from_ncp(&long), Err(Error::TrailingBytes(1)));
    }
    let bytes = hex(SEND_UNICAST);
    for cut in 0..bytes.len() {
        assert_eq!(codec().decode_command(&bytes[..cut]), Err(Error::Truncated));
    }
    assert_eq!(
        codec().decode_from_ncp(&hex("0080010100")),
        Err(Error::UnknownFrameId(0x0001))
    );
    assert_eq!(FrameCodec::new(12), Err(Error::LayoutNotImplemented(12)));
    assert!(
        FrameCodec::new(13).is_ok(),
        "protocol 13 through the v13 rewrites"
    );
    // A message longer than its one-byte length prefix cannot be encoded.
    let too_long = Command::Echo(Echo {
        data: Bytes8(vec![0; 256]),
    });
    assert!(matches!(
        codec().encode_command(0, &too_long),
        Err(Error::Parameters(_))
    ));
    // The legacy header cannot carry a two-byte frame ID.
    let h = Header {
        sequence: 0,
        control: FrameControl::empty(),
        frame_id: 0x0100,
    };
    assert!(matches!(
        h.encode(HeaderFormat::Legacy),
        Err(Error::NotLegacy { .. })
    ));
}

#[test]
fn negotiation_with_a_protocol_13_stick() {
    let (mut n, first) = Negotiation::start(0).unwrap();
    assert_eq!(first, hex("0000000d"));
    assert_eq!(
        n.on_frame(&hex("0080000d021074")),
        Ok(Step::Done(Negotiated {
            protocol_version: 13,
            stack_type: 2,
            stack_version: 0x7410
        }))
    );
}

#[test]
fn negotiation_with_a_newer_stick_asks_again_in_the_extended_header() {
    let (mut n, _) = Negotiation::start(0).unwrap();
    // The stick speaks 16: ask again, seq 1, extended header, version(16).
    assert_eq!(
        n.on_frame(&hex("00800010028080")),
        Ok(Step::Send(hex("0100010000 10")))
    );
    // The second answer comes in the extended header.
    assert_eq!(
        n.on_frame(&hex("0180010000 10 02 8080")),
        Ok(Step::Done(Negotiated {
            protocol_version: 16,
            stack_type: 2,
            stack_version: 0x8080
        }))
    );
}

#[test]
fn negotiation_refusals() {
    for answer in ["0080000c021074", "00800014021074", "00800002021130"] {
        let (mut n, _) = Negotiation::start(0).unwrap();
        assert!(
            matches!(n.on_frame(&hex(answer)), Err(Error::UnsupportedProtocol(_))),
            "{answer}"
        );
    }
    let (mut n, _) = Negotiation::start(5).unwrap();
    assert!(matches!(
        n.on_frame(&hex("0080000d021074")),
        Err(Error::Unexpected(_))
    ));
    let (mut n, _) = Negotiation::start(0).unwrap();
    assert_eq!(n.on_frame(&hex("0080000d0210")), Err(Error::Truncated));
    assert_eq!(
        n.on_frame(&hex("0080000d02107400")),
        Err(Error::TrailingBytes(1))
    );
    // Asked 16 twice and still answered 17: refused.
    let (mut n, _) = Negotiation::start(0).unwrap();
    n.on_frame(&hex("00800010028080")).unwrap();
    assert_eq!(
        n.on_frame(&hex("0180010000 11 02 8080")),
        Err(Error::UnsupportedProtocol(17))
    );
}

fn arb_aps() -> impl Strategy<Value = ApsFrame> {
    (
        any::<u16>(),
        any::<u16>(),
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<u16>(),
        any::<u8>(),
    )
        .prop_map(|(p, c, s, d, o, g, q)| ApsFrame {
            profile_id: p,
            cluster_id: c,
            source_endpoint: s,
            destination_endpoint: d,
            options: o,
            group_id: g,
            sequence: q,
        })
}

fn arb_bytes() -> impl Strategy<Value = Bytes8> {
    prop::collection::vec(any::<u8>(), 0..=255).prop_map(Bytes8)
}

fn arb_params() -> impl Strategy<Value = NetworkParameters> {
    (
        any::<[u8; 8]>(),
        any::<u16>(),
        any::<i8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<u8>(),
        any::<u32>(),
    )
        .prop_map(|(e, p, t, c, j, m, u, ch)| NetworkParameters {
            extended_pan_id: e,
            pan_id: p,
            radio_tx_power: t,
            radio_channel: c,
            join_method: j,
            nwk_manager_id: m,
            nwk_update_id: u,
            channels: ch,
        })
}

fn arb_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        any::<u8>().prop_map(|v| Command::Version(VersionCommand {
            desired_protocol_version: v
        })),
        Just(Command::Nop(NoParams)),
        Just(Command::Callback(NoParams)),
        any::<u16>().prop_map(|b| Command::NetworkInit(NetworkInit { bitmask: b })),
        Just(Command::NetworkState(NoParams)),
        (any::<u8>(), any::<u32>(), any::<u8>()).prop_map(|(t, m, d)| Command::StartScan(
            StartScan {
                scan_type: t,
                channel_mask: m,
                duration: d
            }
        )),
        arb_params().prop_map(|p| Command::FormNetwork(FormNetwork { parameters: p })),
        any::<u8>().prop_map(|d| Command::PermitJoining(PermitJoining { duration: d })),
        Just(Command::GetEui64(NoParams)),
        Just(Command::GetNodeId(NoParams)),
        Just(Command::GetNetworkParameters(NoParams)),
        (
            any::<u8>(),
            any::<u16>(),
            arb_aps(),
            any::<u16>(),
            arb_bytes()
        )
            .prop_map(|(t, d, a, tag, m)| Command::SendUnicast(SendUnicast {
                message_type: t,
                index_or_destination: d,
                aps_frame: a,
                message_tag: tag,
                message: m
            })),
        any::<u8>()
            .prop_map(|c| Command::GetConfigurationValue(GetConfigurationValue { config_id: c })),
        (any::<u8>(), any::<u16>()).prop_map(|(c, v)| Command::SetConfigurationValue(
            SetConfigurationValue {
                config_id: c,
                value: v
            }
        )),
        (any::<u8>(), any::<u8>()).prop_map(|(p, d)| Command::SetPolicy(SetPolicy {
            policy_id: p,
            decision_id: d
        })),
        (
            any::<u16>(),
            any::<[u8; 16]>(),
            any::<[u8; 16]>(),
            any::<u8>(),
            any::<[u8; 8]>()
        )
            .prop_map(|(b, pk, nk, s, tc)| Command::SetInitialSecurityState(
                SetInitialSecurityState {
                    state: InitialSecurityState {
                        bitmask: b,
                        preconfigured_key: Key(pk),
                        network_key: Key(nk),
                        network_key_sequence_number: s,
                        preconfigured_trust_center_eui64: tc,
                    }
                }
            )),
        arb_bytes().prop_map(|d| Command::Echo(Echo { data: d })),
    ]
}

fn arb_status() -> impl Strategy<Value = Status> {
    any::<u32>().prop_map(Status)
}

fn arb_from_ncp() -> impl Strategy<Value = FromNcp> {
    let r = prop_oneof![
        (any::<u8>(), any::<u8>(), any::<u16>()).prop_map(|(p, t, v)| Response::Version(
            VersionResponse {
                protocol_version: p,
                stack_type: t,
                stack_version: v
            }
        )),
        Just(Response::Nop(NoParams)),
        arb_status().prop_map(|s| Response::NetworkInit(StatusResponse { status: s })),
        any::<u8>().prop_map(|s| Response::NetworkState(NetworkStateResponse { status: s })),
        arb_status().prop_map(|s| Response::StartScan(StatusResponse { status: s })),
        arb_status().prop_map(|s| Response::FormNetwork(StatusResponse { status: s })),
        arb_status().prop_map(|s| Response::PermitJoining(StatusResponse { status: s })),
        any::<[u8; 8]>().prop_map(|e| Response::GetEui64(GetEui64Response { eui64: e })),
        any::<u16>().prop_map(|n| Response::GetNodeId(GetNodeIdResponse { node_id: n })),
        (arb_status(), any::<u8>(), arb_params()).prop_map(|(s, t, p)| {
            Response::GetNetworkParameters(GetNetworkParametersResponse {
                status: s,
                node_type: t,
                parameters: p,
            })
        }),
        (arb_status(), any::<u8>()).prop_map(|(s, q)| Response::SendUnicast(SendUnicastResponse {
            status: s,
            sequence: q
        })),
        (arb_status(), any::<u16>()).prop_map(|(s, v)| Response::GetConfigurationValue(
            GetConfigurationValueResponse {
                status: s,
                value: v
            }
        )),
        arb_status().prop_map(|s| Response::SetConfigurationValue(StatusResponse { status: s })),
        arb_status().prop_map(|s| Response::SetPolicy(StatusResponse { status: s })),
        arb_status().prop_map(|s| Response::SetInitialSecurityState(StatusResponse { status: s })),
        arb_bytes().prop_map(|e| Response::Echo(EchoResponse { echo: e })),
        Just(Response::NoCallbacks(NoParams)),
    ]
    .prop_map(FromNcp::Response);
    let c = prop_oneof![
        arb_status().prop_map(|s| Callback::StackStatusHandler(StackStatusHandler { status: s })),
        (any::<u8>(), arb_status()).prop_map(|(c, s)| Callback::ScanCompleteHandler(
            ScanCompleteHandler {
                channel: c,
                status: s
            }
        )),
        (
            arb_status(),
            any::<u8>(),
            any::<u16>(),
            arb_aps(),
            any::<u16>(),
            arb_bytes()
        )
            .prop_map(|(s, t, d, a, tag, m)| Callback::MessageSentHandler(
                MessageSentHandler {
                    status: s,
                    message_type: t,
                    index_or_destination: d,
                    aps_frame: a,
                    message_tag: tag,
                    message: m,
                }
            )),
        (
            any::<u8>(),
            arb_aps(),
            any::<(u16, [u8; 8], u8, u8, u8, i8, u32)>(),
            arb_bytes()
        )
            .prop_map(|(t, a, (s, l, b, ai, q, r, ts), m)| {
                Callback::IncomingMessageHandler(IncomingMessageHandler {
                    message_type: t,
                    aps_frame: a,
                    packet_info: PacketInfo {
                        sender_short_id: s,
                        sender_long_id: l,
                        binding_index: b,
                        address_index: ai,
                        last_hop_lqi: q,
                        last_hop_rssi: r,
                        last_hop_timestamp: ts,
                    },
                    message: m,
                })
            }),
        any::<(u8, u8, u16, [u8; 8], u8)>().prop_map(|(i, j, id, eui, t)| {
            Callback::ChildJoinHandler(ChildJoinHandler {
                index: i,
                joining: j,
                child_id: id,
                child_eui64: eui,
                child_type: t,
            })
        }),
        any::<(u16, [u8; 8], u8, u8, u16)>().prop_map(|(id, eui, st, d, parent)| {
            Callback::TrustCenterJoinHandler(TrustCenterJoinHandler {
                new_node_id: id,
                new_node_eui64: eui,
                status: st,
                policy_decision: d,
                parent_of_new_node_id: parent,
            })
        }),
        (any::<u8>(), any::<i8>()).prop_map(|(c, r)| Callback::EnergyScanResultHandler(
            EnergyScanResultHandler {
                channel: c,
                max_rssi_value: r
            }
        )),
    ]
    .prop_map(FromNcp::Callback);
    prop_oneof![r, c]
}

proptest! {
    #[test]
    fn commands_round_trip(seq in any::<u8>(), command in arb_command()) {
        let bytes = codec().encode_command(seq, &command).unwrap();
        let (header, decoded) = codec().decode_command(&bytes).unwrap();
        prop_assert_eq!(header.sequence, seq);
        prop_assert_eq!(decoded, command);
        let mut long = bytes.clone();
        long.push(0xAA);
        prop_assert_eq!(codec().decode_command(&long), Err(Error::TrailingBytes(1)));
    }

    #[test]
    fn ncp_frames_round_trip(seq in any::<u8>(), control in any::<u16>(), frame in arb_from_ncp()) {
        let header = Header { sequence: seq, control: FrameControl::from_bits_retain(control), frame_id: 0 };
        let bytes = codec().encode_from_ncp(&header, &frame).unwrap();
        let (h, decoded) = codec().decode_from_ncp(&bytes).unwrap();
        prop_assert_eq!(h, Header { frame_id: frame.frame_id(), ..header });
        prop_assert_eq!(decoded, frame);
        prop_assert_eq!(codec().decode_from_ncp(&bytes[..bytes.len() - 1]), Err(Error::Truncated));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = codec().decode_from_ncp(&bytes);
        let _ = codec().decode_command(&bytes);
        let (mut n, _) = Negotiation::start(0).unwrap();
        let _ = n.on_frame(&bytes);
    }
}

/// The fuzz input kept as `fuzz/regressions/ezsp_frames/leave-network-v13`: the host command
/// `41 00 45 20 00` (sequence 0x41, frame control 0x4500, `leaveNetwork`, no parameters). In
/// EZSP 13 `leaveNetwork` has no options byte, so this is its one encoding there: it decodes to
/// options 0 and re-encodes to exactly these bytes. An options byte in protocol 13, or no
/// options byte in protocol 14 and later, is refused, so each protocol reads one form only.
#[test]
fn leave_network_has_one_encoding_per_protocol() {
    let v13_frame = hex("41 00 45 20 00");
    let v13 = FrameCodec::new(13).unwrap();
    let (header, command) = v13.decode_command(&v13_frame).unwrap();
    assert_eq!(command, Command::LeaveNetwork(LeaveNetwork { options: 0 }));
    assert_eq!(
        v13.encode_command(header.sequence, &command).unwrap()[3..],
        v13_frame[3..],
        "re-encoded in protocol 13 without the options byte it never had"
    );
    assert_eq!(
        v13.decode_command(&hex("41 00 45 20 00 00")),
        Err(Error::TrailingBytes(1)),
        "protocol 13 has no options byte to read"
    );
    for protocol in 14..=19 {
        let codec = FrameCodec::new(protocol).unwrap();
        assert!(
            codec.decode_command(&v13_frame).is_err(),
            "protocol {protocol}: the options byte is required"
        );
        let (_, with_options) = codec.decode_command(&hex("41 00 45 20 00 00")).unwrap();
        assert_eq!(
            with_options,
            Command::LeaveNetwork(LeaveNetwork { options: 0 })
        );
    }
}

/// The fuzz input kept as `fuzz/regressions/ezsp_frames/message-sent-unknown-ember-status`: a
/// protocol-13 messageSentHandler whose status byte 0x04 is no known `EmberStatus`. Passed
/// through unchanged it read as `SL_STATUS_BUSY` (0x0004), which writes back as NETWORK_BUSY
/// 0xA1: two frames, one reading. It is refused now; a known status still reads and writes back.
#[test]
fn an_unknown_ember_status_that_collides_with_a_mapped_one_is_refused() {
    let v13 = FrameCodec::new(13).unwrap();
    let frame = hex("ed 90 01 3f 00 06 fd f2 00 01 00 00 66 32 00 06 19 0f 02 0a 04 00");
    assert!(matches!(
        v13.decode_from_ncp(&frame),
        Err(Error::Parameters(_))
    ));
    let mut busy = frame.clone();
    busy[20] = 0xA1;
    let (header, decoded) = v13.decode_from_ncp(&busy).unwrap();
    assert_eq!(v13.encode_from_ncp(&header, &decoded).unwrap(), busy);
}

/// `getApsKeyInfo` (0x010C), the trust centre link key's outgoing frame counter for a backup:
/// the command carries an `sl_zb_sec_man_context_t` as `exportKey` does; the answer is the
/// key's partner EUI-64, `sl_zb_sec_man_aps_key_metadata_t` (bitmask, outgoing and incoming
/// frame counters, TTL) and the 32-bit status last, in the order EmberZNet's EZSP command
/// handler appends them (`EZSP_GET_APS_KEY_INFO`).
#[test]
fn get_aps_key_info_layouts() {
    use sealhub_radios::zigbee::ezsp::types::SecManContext;
    let command = Command::GetApsKeyInfo(ExportKey {
        context: SecManContext {
            core_key_type: 2, // TC link key
            key_index: 0,
            derived_type: 0,
            eui64: [0; 8],
            multi_network_index: 0,
            flags: 0,
            psa_key_alg_permission: 0,
        },
    });
    assert_eq!(command.frame_id(), 0x010C);
    assert_eq!(
        command.encode_params().unwrap(),
        hex("02 00 0000 0000000000000000 00 00 00000000")
    );
    let answer = hex(concat!(
        "1122334455667788", // partner EUI-64, little endian
        "1000",             // bitmask
        "78563412",         // outgoing frame counter 0x12345678
        "04030201",         // incoming frame counter
        "0000",             // TTL
        "00000000",         // SL_STATUS_OK
    ));
    let decoded = Response::decode_params(0x010C, &answer).unwrap();
    assert_eq!(
        decoded,
        Response::GetApsKeyInfo(GetApsKeyInfoResponse {
            eui64: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88],
            key_data: ApsKeyMetadata {
                bitmask: 0x0010,
                outgoing_frame_counter: 0x1234_5678,
                incoming_frame_counter: 0x0102_0304,
                ttl_in_seconds: 0,
            },
            status: Status(0),
        })
    );
    assert_eq!(decoded.encode_params().unwrap(), answer);
    assert!(Response::decode_params(0x010C, &answer[..answer.len() - 1]).is_err());
}
