//! The EZSP frames a Zigbee host sends while it starts a coordinator (values, endpoints,
//! multicast table, concentrator, security manager, broadcasts): commands recorded from
//! zigbee-herdsman 10.9.5's ember adapter (`vectors/ezsp.md` §13) decode to the listed fields
//! and re-encode byte-exact; every new command and response round-trips; truncation and trailing
//! bytes are refused.

use proptest::prelude::*;
use sealhub_radios::zigbee::ezsp::commands::configuration::*;
use sealhub_radios::zigbee::ezsp::commands::messaging::*;
use sealhub_radios::zigbee::ezsp::commands::networking::*;
use sealhub_radios::zigbee::ezsp::commands::security::*;
use sealhub_radios::zigbee::ezsp::commands::utilities::*;
use sealhub_radios::zigbee::ezsp::types::{
    ApsFrame, Bytes8, Key, MulticastTableEntry, NetworkKeyInfo, SecManContext, Status,
};
use sealhub_radios::zigbee::ezsp::{
    Command, Error, FrameCodec, FrameControl, FromNcp, Header, Response,
};

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '|'], "")).unwrap()
}

fn codec() -> FrameCodec {
    FrameCodec::new(14).unwrap()
}

/// Decodes a recorded host frame, checks its header and fields, and re-encodes it byte-exact.
fn check_command(frame: &str, sequence: u8, expected: Command) {
    let bytes = hex(frame);
    let (header, command) = codec().decode_command(&bytes).unwrap();
    assert_eq!(
        header,
        Header {
            sequence,
            control: FrameControl::command(),
            frame_id: expected.frame_id(),
        },
        "{frame}"
    );
    assert_eq!(command, expected, "{frame}");
    assert_eq!(codec().encode_command(sequence, &expected).unwrap(), bytes);
    for cut in 0..bytes.len() {
        assert_eq!(
            codec().decode_command(&bytes[..cut]),
            Err(Error::Truncated),
            "{frame} cut {cut}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(codec().decode_command(&long), Err(Error::TrailingBytes(1)));
}

/// The security manager context herdsman builds for `exportKey`: key type and index, nothing
/// else but its PSA algorithm permission (0x05440100).
fn context(core_key_type: u8) -> SecManContext {
    SecManContext {
        core_key_type,
        key_index: 0,
        derived_type: 0,
        eui64: [0; 8],
        multi_network_index: 0,
        flags: 0,
        psa_key_alg_permission: 0x0544_0100,
    }
}

#[test]
fn values_and_extended_values() {
    // §13.1 getValue(VERSION_INFO 0x11), seq 2.
    check_command(
        "02 00 01 aa 00 | 11",
        2,
        Command::GetValue(GetValue { value_id: 0x11 }),
    );
    // §13.2 setValue(STACK_TOKEN_WRITING 0x07, [1]).
    check_command(
        "20 00 01 ab 00 | 07 | 01 01",
        0x20,
        Command::SetValue(SetValue {
            value_id: 0x07,
            value: Bytes8(vec![1]),
        }),
    );
    // §13.3 setValue(EXTENDED_SECURITY_BITMASK 0x0A, 0x0110 little-endian).
    check_command(
        "1d 00 01 ab 00 | 0a | 02 10 01",
        0x1d,
        Command::SetValue(SetValue {
            value_id: 0x0a,
            value: Bytes8(vec![0x10, 0x01]),
        }),
    );
    // §13.4 getExtendedValue(ENDPOINT_FLAGS 0x00, endpoint 1).
    check_command(
        "11 00 01 03 00 | 00 | 01 00 00 00",
        0x11,
        Command::GetExtendedValue(GetExtendedValue {
            value_id: 0,
            characteristics: 1,
        }),
    );
}

#[test]
fn endpoints_manufacturer_code_and_multicast_table() {
    // §13.5 addEndpoint 242 (Green Power): profile 0xA1E0, device 0x0066, one cluster each way.
    check_command(
        "16 00 01 02 00 | f2 | e0 a1 | 66 00 | 01 | 01 | 01 | 21 00 | 21 00",
        0x16,
        Command::AddEndpoint(AddEndpoint {
            endpoint: 242,
            profile_id: 0xA1E0,
            device_id: 0x0066,
            device_version: 1,
            input_clusters: vec![0x0021],
            output_clusters: vec![0x0021],
        }),
    );
    // §13.6 addEndpoint 1 (Home Automation): 7 server and 18 client clusters.
    check_command(
        "12 00 01 02 00 | 01 | 04 01 | 65 00 | 01 | 07 | 12 | \
         0000 0300 0600 0800 0a00 1900 0003 | \
         0000 0300 0400 0500 0600 0800 2000 0003 0004 0204 0504 0604 0005 0207 010b 030b 040b 0010",
        0x12,
        Command::AddEndpoint(AddEndpoint {
            endpoint: 1,
            profile_id: 0x0104,
            device_id: 0x0065,
            device_version: 1,
            input_clusters: vec![0x0000, 0x0003, 0x0006, 0x0008, 0x000A, 0x0019, 0x0300],
            output_clusters: vec![
                0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008, 0x0020, 0x0300, 0x0400, 0x0402,
                0x0405, 0x0406, 0x0500, 0x0702, 0x0B01, 0x0B03, 0x0B04, 0x1000,
            ],
        }),
    );
    // §13.7 setManufacturerCode(0x1049, Silicon Labs).
    check_command(
        "0a 00 01 15 00 | 49 10",
        0x0a,
        Command::SetManufacturerCode(SetManufacturerCode { code: 0x1049 }),
    );
    // §13.8 setMulticastTableEntry(0, group 0 on endpoint 1) and (2, group 0x0B84 on 242).
    check_command(
        "13 00 01 64 00 | 00 | 00 00 | 01 | 00",
        0x13,
        Command::SetMulticastTableEntry(SetMulticastTableEntry {
            index: 0,
            entry: MulticastTableEntry {
                multicast_id: 0,
                endpoint: 1,
                network_index: 0,
            },
        }),
    );
    check_command(
        "17 00 01 64 00 | 02 | 84 0b | f2 | 00",
        0x17,
        Command::SetMulticastTableEntry(SetMulticastTableEntry {
            index: 2,
            entry: MulticastTableEntry {
                multicast_id: 0x0B84,
                endpoint: 242,
                network_index: 0,
            },
        }),
    );
}

#[test]
fn concentrator_and_source_routes() {
    // §13.9 setConcentrator(on, high RAM 0xFFF9, 5 s .. 60 s, thresholds 3 and 1, hops 0).
    check_command(
        "21 00 01 10 00 | 01 | f9 ff | 05 00 | 3c 00 | 03 | 01 | 00",
        0x21,
        Command::SetConcentrator(SetConcentrator {
            on: 1,
            concentrator_type: 0xFFF9,
            min_time: 5,
            max_time: 60,
            route_error_threshold: 3,
            delivery_failure_threshold: 1,
            max_hops: 0,
        }),
    );
    // §13.10 setSourceRouteDiscoveryMode(RESCHEDULE 2).
    check_command(
        "22 00 01 5a 00 | 02",
        0x22,
        Command::SetSourceRouteDiscoveryMode(SetSourceRouteDiscoveryMode { mode: 2 }),
    );
}

#[test]
fn security_manager() {
    // §13.11 exportKey(network key, index 0) and exportKey(trust-center link key).
    check_command(
        "29 00 01 14 01 | 01 | 00 | 00 00 | 00 00 00 00 00 00 00 00 | 00 | 00 | 00 01 44 05",
        0x29,
        Command::ExportKey(ExportKey {
            context: context(1),
        }),
    );
    check_command(
        "28 00 01 14 01 | 02 | 00 | 00 00 | 00 00 00 00 00 00 00 00 | 00 | 00 | 00 01 44 05",
        0x28,
        Command::ExportKey(ExportKey {
            context: context(2),
        }),
    );
    // §13.12 getNetworkKeyInfo, no parameters.
    check_command("27 00 01 16 01", 0x27, Command::GetNetworkKeyInfo(NoParams));
    // §13.13 importTransientKey(herdsman's blank EUI-64 all 0xFF, "ZigBeeAlliance09").
    check_command(
        "2d 00 01 11 01 | ff ff ff ff ff ff ff ff | 5a 69 67 42 65 65 41 6c 6c 69 61 6e 63 65 30 39",
        0x2d,
        Command::ImportTransientKey(ImportTransientKey {
            eui64: [0xFF; 8],
            key: Key(*b"ZigBeeAlliance09"),
        }),
    );
    // §13.14 clearTransientLinkKeys and clearKeyTable, no parameters.
    check_command(
        "33 00 01 6b 00",
        0x33,
        Command::ClearTransientLinkKeys(NoParams),
    );
    check_command("1e 00 01 b1 00", 0x1e, Command::ClearKeyTable(NoParams));
}

#[test]
fn broadcasts() {
    // §13.15 ZDO Mgmt_Permit_Joining_req (0x0036) to routers (0xFFFC): tsn 4, 10 s, TC 1.
    check_command(
        "30 00 01 36 00 | ff ff | fc ff | 00 | 00 00 36 00 00 00 40 11 00 00 00 | ff | 04 00 | 03 | 04 0a 01",
        0x30,
        Command::SendBroadcast(SendBroadcast {
            alias: 0xFFFF,
            destination: 0xFFFC,
            nwk_sequence: 0,
            aps_frame: ApsFrame {
                profile_id: 0,
                cluster_id: 0x0036,
                source_endpoint: 0,
                destination_endpoint: 0,
                options: 0x1140,
                group_id: 0,
                sequence: 0,
            },
            radius: 0xFF,
            message_tag: 4,
            message: Bytes8(vec![0x04, 0x0A, 0x01]),
        }),
    );
    // §13.16 Green Power commissioning mode (ZCL) to receivers on when idle (0xFFFD).
    check_command(
        "31 00 01 36 00 | ff ff | fd ff | 00 | e0 a1 21 00 f2 f2 40 11 fd ff 00 | 0c | 01 00 | 06 | 19 00 02 0b 0a 00",
        0x31,
        Command::SendBroadcast(SendBroadcast {
            alias: 0xFFFF,
            destination: 0xFFFD,
            nwk_sequence: 0,
            aps_frame: ApsFrame {
                profile_id: 0xA1E0,
                cluster_id: 0x0021,
                source_endpoint: 242,
                destination_endpoint: 242,
                options: 0x1140,
                group_id: 0xFFFD,
                sequence: 0,
            },
            radius: 12,
            message_tag: 1,
            message: Bytes8(vec![0x19, 0x00, 0x02, 0x0B, 0x0A, 0x00]),
        }),
    );
}

#[test]
fn start_up_frames_that_were_already_known_match_the_recording_too() {
    // §13.17 networkInit(PARENT_INFO_IN_TOKEN | END_DEVICE_REJOIN_ON_REBOOT).
    check_command(
        "1b 00 01 17 00 | 03 00",
        0x1b,
        Command::NetworkInit(NetworkInit { bitmask: 0x0003 }),
    );
    // §13.18 formNetwork: extended PAN ID dd cc bb aa 44 33 22 11, PAN 0x1A2B, 5 dBm, channel
    // 15, MAC association, manager 0x0000, update 0, all 2.4 GHz channels.
    check_command(
        "1f 00 01 1e 00 | dd cc bb aa 44 33 22 11 | 2b 1a | 05 | 0f | 00 | 00 00 | 00 | 00 f8 ff 07",
        0x1f,
        Command::FormNetwork(FormNetwork {
            parameters: sealhub_radios::zigbee::ezsp::types::NetworkParameters {
                extended_pan_id: [0xdd, 0xcc, 0xbb, 0xaa, 0x44, 0x33, 0x22, 0x11],
                pan_id: 0x1A2B,
                radio_tx_power: 5,
                radio_channel: 15,
                join_method: 0,
                nwk_manager_id: 0,
                nwk_update_id: 0,
                channels: 0x07FF_F800,
            },
        }),
    );
}

#[test]
fn a_refused_command_and_the_cluster_counts_of_add_endpoint() {
    // invalidCommand from the NCP: EZSP_ERROR_INVALID_FRAME_ID.
    let bytes = hex("07 80 01 58 00 | 31");
    let (header, frame) = codec().decode_from_ncp(&bytes).unwrap();
    assert_eq!(header.sequence, 7);
    assert_eq!(
        frame,
        FromNcp::Response(Response::InvalidCommand(InvalidCommand { reason: 0x31 }))
    );
    // A list longer than its one-byte count cannot be encoded.
    let too_many = Command::AddEndpoint(AddEndpoint {
        endpoint: 1,
        profile_id: 0x0104,
        device_id: 0,
        device_version: 0,
        input_clusters: vec![0; 256],
        output_clusters: vec![],
    });
    assert!(matches!(
        codec().encode_command(0, &too_many),
        Err(Error::Parameters(_))
    ));
    // A count that promises more clusters than follow is truncated, not misread.
    assert_eq!(
        codec().decode_command(&hex(
            "00 00 01 02 00 | 01 | 04 01 | 00 00 | 00 | 02 | 00 | 06 00"
        )),
        Err(Error::Truncated)
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

fn arb_clusters() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(any::<u16>(), 0..=40)
}

fn arb_context() -> impl Strategy<Value = SecManContext> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        any::<[u8; 8]>(),
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
    )
        .prop_map(|(t, i, d, e, n, f, p)| SecManContext {
            core_key_type: t,
            key_index: i,
            derived_type: d,
            eui64: e,
            multi_network_index: n,
            flags: f,
            psa_key_alg_permission: p,
        })
}

fn arb_status() -> impl Strategy<Value = Status> {
    any::<u32>().prop_map(Status)
}

fn arb_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (
            any::<u8>(),
            any::<u16>(),
            any::<u16>(),
            any::<u8>(),
            arb_clusters(),
            arb_clusters()
        )
            .prop_map(|(e, p, d, v, i, o)| Command::AddEndpoint(AddEndpoint {
                endpoint: e,
                profile_id: p,
                device_id: d,
                device_version: v,
                input_clusters: i,
                output_clusters: o,
            })),
        (any::<u8>(), any::<u32>()).prop_map(|(v, c)| Command::GetExtendedValue(
            GetExtendedValue {
                value_id: v,
                characteristics: c
            }
        )),
        (
            any::<u8>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>()
        )
            .prop_map(|(on, t, lo, hi, r, d, h)| Command::SetConcentrator(
                SetConcentrator {
                    on,
                    concentrator_type: t,
                    min_time: lo,
                    max_time: hi,
                    route_error_threshold: r,
                    delivery_failure_threshold: d,
                    max_hops: h,
                }
            )),
        any::<u16>().prop_map(|c| Command::SetManufacturerCode(SetManufacturerCode { code: c })),
        any::<u8>().prop_map(|o| Command::LeaveNetwork(LeaveNetwork { options: o })),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u8>(),
            arb_aps(),
            any::<u8>(),
            any::<u16>(),
            arb_bytes()
        )
            .prop_map(
                |(a, d, n, aps, r, t, m)| Command::SendBroadcast(SendBroadcast {
                    alias: a,
                    destination: d,
                    nwk_sequence: n,
                    aps_frame: aps,
                    radius: r,
                    message_tag: t,
                    message: m,
                })
            ),
        (
            arb_aps(),
            any::<u8>(),
            any::<u16>(),
            any::<u16>(),
            any::<u8>(),
            any::<u16>(),
            arb_bytes()
        )
            .prop_map(
                |(aps, h, b, a, n, t, m)| Command::SendMulticast(SendMulticast {
                    aps_frame: aps,
                    hops: h,
                    broadcast_addr: b,
                    alias: a,
                    nwk_sequence: n,
                    message_tag: t,
                    message: m,
                })
            ),
        any::<u8>().prop_map(|m| Command::SetSourceRouteDiscoveryMode(
            SetSourceRouteDiscoveryMode { mode: m }
        )),
        (any::<u8>(), any::<u16>(), any::<u8>(), any::<u8>()).prop_map(|(i, g, e, n)| {
            Command::SetMulticastTableEntry(SetMulticastTableEntry {
                index: i,
                entry: MulticastTableEntry {
                    multicast_id: g,
                    endpoint: e,
                    network_index: n,
                },
            })
        }),
        Just(Command::ClearTransientLinkKeys(NoParams)),
        any::<i8>().prop_map(|p| Command::SetRadioPower(SetRadioPower { power: p })),
        any::<u8>().prop_map(|v| Command::GetValue(GetValue { value_id: v })),
        (any::<u8>(), arb_bytes()).prop_map(|(v, b)| Command::SetValue(SetValue {
            value_id: v,
            value: b
        })),
        Just(Command::ClearKeyTable(NoParams)),
        (any::<[u8; 8]>(), any::<[u8; 16]>()).prop_map(|(e, k)| Command::ImportTransientKey(
            ImportTransientKey {
                eui64: e,
                key: Key(k)
            }
        )),
        arb_context().prop_map(|c| Command::ExportKey(ExportKey { context: c })),
        Just(Command::GetNetworkKeyInfo(NoParams)),
        Just(Command::GetCurrentSecurityState(NoParams)),
    ]
}

fn arb_response() -> impl Strategy<Value = Response> {
    let status_only = arb_status().prop_flat_map(|s| {
        let r = StatusResponse { status: s };
        prop_oneof![
            Just(Response::AddEndpoint(r)),
            Just(Response::SetConcentrator(r)),
            Just(Response::LeaveNetwork(r)),
            Just(Response::SetMulticastTableEntry(r)),
            Just(Response::SetRadioPower(r)),
            Just(Response::SetValue(r)),
            Just(Response::ClearKeyTable(r)),
            Just(Response::ImportTransientKey(r)),
        ]
    });
    prop_oneof![
        status_only,
        (arb_status(), arb_bytes()).prop_map(|(s, v)| Response::GetExtendedValue(ValueResponse {
            status: s,
            value: v
        })),
        (arb_status(), arb_bytes()).prop_map(|(s, v)| Response::GetValue(ValueResponse {
            status: s,
            value: v
        })),
        Just(Response::SetManufacturerCode(NoParams)),
        Just(Response::ClearTransientLinkKeys(NoParams)),
        (arb_status(), any::<u8>()).prop_map(|(s, q)| Response::SendBroadcast(
            SendBroadcastResponse {
                status: s,
                sequence: q
            }
        )),
        (arb_status(), any::<u8>()).prop_map(|(s, q)| Response::SendMulticast(
            SendBroadcastResponse {
                status: s,
                sequence: q
            }
        )),
        any::<u8>().prop_map(|r| Response::InvalidCommand(InvalidCommand { reason: r })),
        any::<u32>().prop_map(|t| Response::SetSourceRouteDiscoveryMode(
            SetSourceRouteDiscoveryModeResponse { remaining_time: t }
        )),
        (arb_status(), any::<u16>(), any::<[u8; 8]>()).prop_map(|(s, b, e)| {
            Response::GetCurrentSecurityState(GetCurrentSecurityStateResponse {
                status: s,
                state: CurrentSecurityState {
                    bitmask: b,
                    trust_center_long_address: e,
                },
            })
        }),
        (arb_status(), any::<[u8; 16]>(), arb_context()).prop_map(|(s, k, c)| {
            Response::ExportKey(ExportKeyResponse {
                status: s,
                key: Key(k),
                context: c,
            })
        }),
        (
            arb_status(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u32>()
        )
            .prop_map(|(s, a, b, c, d, f)| Response::GetNetworkKeyInfo(
                GetNetworkKeyInfoResponse {
                    status: s,
                    info: NetworkKeyInfo {
                        network_key_set: a,
                        alternate_network_key_set: b,
                        network_key_sequence_number: c,
                        alt_network_key_sequence_number: d,
                        network_key_frame_counter: f,
                    },
                }
            )),
    ]
}

proptest! {
    #[test]
    fn new_commands_round_trip(seq in any::<u8>(), command in arb_command()) {
        let bytes = codec().encode_command(seq, &command).unwrap();
        let (header, decoded) = codec().decode_command(&bytes).unwrap();
        prop_assert_eq!(header.sequence, seq);
        prop_assert_eq!(header.frame_id, command.frame_id());
        prop_assert_eq!(decoded, command);
        let mut long = bytes.clone();
        long.push(0xAA);
        prop_assert_eq!(codec().decode_command(&long), Err(Error::TrailingBytes(1)));
    }

    #[test]
    fn new_responses_round_trip(seq in any::<u8>(), response in arb_response()) {
        let frame = FromNcp::Response(response);
        let header = Header {
            sequence: seq,
            control: FrameControl::RESPONSE | FrameControl::FORMAT_VERSION_1,
            frame_id: 0,
        };
        let bytes = codec().encode_from_ncp(&header, &frame).unwrap();
        let (h, decoded) = codec().decode_from_ncp(&bytes).unwrap();
        prop_assert_eq!(h.frame_id, frame.frame_id());
        prop_assert_eq!(decoded, frame);
        prop_assert_eq!(codec().decode_from_ncp(&bytes[..bytes.len() - 1]), Err(Error::Truncated));
        let mut long = bytes.clone();
        long.push(0xAA);
        prop_assert_eq!(codec().decode_from_ncp(&long), Err(Error::TrailingBytes(1)));
    }
}
