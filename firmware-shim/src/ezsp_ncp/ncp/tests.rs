//! The emulated NCP driven frame by frame, as the driver would: negotiation, network formation
//! and reboots, values, local ZDO, keys, invalid commands, scans, joins and tokens.

use sealhub_radios::zigbee::ezsp::commands::configuration::{AddEndpoint, NoParams, ValueResponse};
use sealhub_radios::zigbee::ezsp::commands::messaging::SendUnicast;
use sealhub_radios::zigbee::ezsp::commands::security::{
    ImportLinkKey, InitialSecurityState, KEY_TABLE_ANY_INDEX,
};
use sealhub_radios::zigbee::ezsp::commands::tokens::NVM3KEY_STACK_RESTORED_EUI64;
use sealhub_radios::zigbee::ezsp::types::{
    ApsFrame, Bytes8, Eui64, Key, NetworkParameters, SecManContext,
};
use sealhub_radios::zigbee::ezsp::{
    Callback, Command, FrameCodec, FrameControl, FromNcp, Response,
};

use super::super::devices::{self, JoinRefusal, SimulatedDevice};
use super::super::local_zdo;
use super::ids::*;
use super::{EzspFrameFromHost, Ncp, NcpConfig};

use sealhub_radios::zigbee::ezsp::commands::configuration::{GetExtendedValue, GetValue, SetValue};
use sealhub_radios::zigbee::ezsp::commands::networking::{
    FormNetwork, LeaveNetwork, NetworkInit, PermitJoining,
};
use sealhub_radios::zigbee::ezsp::commands::security::{ExportKey, SetInitialSecurityState};

fn codec() -> FrameCodec {
    FrameCodec::new(14).unwrap()
}

/// Sends one command the way the driver would; returns the decoded answers.
fn ask(ncp: &mut Ncp, seq: u8, command: Command) -> Vec<FromNcp> {
    let bytes = codec().encode_command(seq, &command).unwrap();
    let frame = EzspFrameFromHost::parse(&bytes, ncp.codec());
    ncp.handle(&frame)
        .iter()
        .map(|b| {
            let (header, f) = codec().decode_from_ncp(b).unwrap();
            assert_eq!(header.sequence, seq);
            assert_eq!(
                header.control.contains(FrameControl::ASYNC_CALLBACK),
                matches!(f, FromNcp::Callback(_))
            );
            f
        })
        .collect()
}

fn negotiated() -> Ncp {
    let mut ncp = Ncp::new(NcpConfig::default());
    // Legacy version(13): answered with 14 in the legacy header, not yet negotiated.
    let out = ncp.handle(&EzspFrameFromHost::parse(&[0, 0, 0, 13], None));
    assert_eq!(out, vec![vec![0x00, 0x80, 0x00, 14, 2, 0x20, 0x80]]);
    assert!(ncp.codec().is_none());
    let out = ncp.handle(&EzspFrameFromHost::parse(&[1, 0, 1, 0, 0, 14], None));
    assert_eq!(
        out,
        vec![vec![0x01, 0x80, 0x01, 0x00, 0x00, 14, 2, 0x20, 0x80]]
    );
    assert!(ncp.codec().is_some());
    ncp
}

fn unicast() -> Command {
    Command::SendUnicast(SendUnicast {
        message_type: 0,
        index_or_destination: 0x1234,
        aps_frame: ApsFrame::default(),
        message_tag: 7,
        message: Bytes8(vec![1, 2, 3]),
    })
}

#[test]
fn forms_a_network_keeps_it_across_a_reboot_and_fails_unicasts_to_nobody() {
    let mut ncp = negotiated();
    assert!(matches!(
        ask(&mut ncp, 2, unicast()).as_slice(),
        [FromNcp::Response(Response::SendUnicast(r))] if r.status == status::NETWORK_DOWN
    ));
    let parameters = NetworkParameters {
        pan_id: 0xBEEF,
        radio_channel: 15,
        ..NetworkParameters::default()
    };
    let form = Command::FormNetwork(FormNetwork { parameters });
    assert!(matches!(
        ask(&mut ncp, 3, form.clone()).as_slice(),
        [FromNcp::Response(Response::FormNetwork(r))] if r.status == status::SECURITY_STATE_NOT_SET
    ));
    let state = InitialSecurityState {
        bitmask: 0x0B04,
        preconfigured_key: Key(*b"ZigBeeAlliance09"),
        network_key: Key([9; 16]),
        network_key_sequence_number: 0,
        preconfigured_trust_center_eui64: [0; 8],
    };
    ask(
        &mut ncp,
        4,
        Command::SetInitialSecurityState(SetInitialSecurityState { state }),
    );
    assert!(matches!(
        ask(&mut ncp, 5, form).as_slice(),
        [
            FromNcp::Response(Response::FormNetwork(r)),
            FromNcp::Callback(Callback::StackStatusHandler(up)),
        ] if r.status == status::OK && up.status == status::NETWORK_UP
    ));
    assert!(matches!(
        ask(&mut ncp, 6, unicast()).as_slice(),
        [
            FromNcp::Response(Response::SendUnicast(r)),
            FromNcp::Callback(Callback::MessageSentHandler(sent)),
        ] if r.status == status::OK
            && sent.status == status::DELIVERY_FAILED
            && sent.message_tag == 7
            && sent.index_or_destination == 0x1234
    ));
    assert_eq!(ncp.nvm().unwrap().nwk_frame_counter, 1);

    ncp.reboot();
    assert!(!ncp.is_network_up());
    assert!(
        ncp.codec().is_none(),
        "the version must be negotiated again"
    );
    let mut ncp = {
        let nvm = ncp.nvm().cloned();
        let mut fresh = negotiated();
        fresh.set_nvm(nvm);
        fresh
    };
    assert!(matches!(
        ask(&mut ncp, 7, Command::NetworkInit(NetworkInit { bitmask: 0 })).as_slice(),
        [
            FromNcp::Response(Response::NetworkInit(r)),
            FromNcp::Callback(Callback::StackStatusHandler(_)),
        ] if r.status == status::OK
    ));
    assert!(matches!(
        ask(&mut ncp, 8, Command::GetNetworkParameters(NoParams)).as_slice(),
        [FromNcp::Response(Response::GetNetworkParameters(r))]
            if r.parameters.pan_id == 0xBEEF && r.parameters.radio_channel == 15
    ));
}

fn formed() -> Ncp {
    let mut ncp = negotiated();
    let state = InitialSecurityState {
        bitmask: 0x0B84,
        preconfigured_key: Key([7; 16]),
        network_key: Key([9; 16]),
        network_key_sequence_number: 0,
        preconfigured_trust_center_eui64: [0xFF; 8],
    };
    ask(
        &mut ncp,
        2,
        Command::SetInitialSecurityState(SetInitialSecurityState { state }),
    );
    let parameters = NetworkParameters {
        pan_id: 0x1A2B,
        radio_channel: 15,
        ..NetworkParameters::default()
    };
    ask(
        &mut ncp,
        3,
        Command::FormNetwork(FormNetwork { parameters }),
    );
    assert!(ncp.is_network_up());
    ncp
}

fn endpoint(n: u8) -> AddEndpoint {
    AddEndpoint {
        endpoint: n,
        profile_id: 0x0104,
        device_id: 0x0065,
        device_version: 1,
        input_clusters: vec![0x0000, 0x0006],
        output_clusters: vec![0x0019],
    }
}

/// A stick told to speak another protocol reports the EmberZNet release that speaks it, in
/// the `version` answer and in `getValue(VERSION_INFO)`, as a real stick does; a configured
/// stack version still wins.
#[test]
fn the_reported_firmware_follows_the_protocol_spoken() {
    for (protocol, digits) in [
        (13u8, [7u8, 4, 0]),
        (14, [8, 0, 2]),
        (16, [8, 1, 0]),
        (17, [8, 2, 0]),
        (18, [8, 2, 2]),
    ] {
        let mut ncp = Ncp::new(NcpConfig {
            protocol_version: protocol,
            ..NcpConfig::default()
        });
        let stack =
            u16::from(digits[0]) << 12 | u16::from(digits[1]) << 8 | u16::from(digits[2]) << 4;
        let [lo, hi] = stack.to_le_bytes();
        // Legacy version(protocol): protocol, stack type 2, stack version little-endian.
        let out = ncp.handle(&EzspFrameFromHost::parse(&[0, 0, 0, protocol], None));
        assert_eq!(
            out,
            vec![vec![0x00, 0x80, 0x00, protocol, 2, lo, hi]],
            "{protocol}"
        );
        if protocol == 13 {
            continue;
        }
        let codec = FrameCodec::new(protocol).unwrap();
        let bytes = codec
            .encode_command(1, &Command::GetValue(GetValue { value_id: 0x11 }))
            .unwrap();
        let out = ncp.handle(&EzspFrameFromHost::parse(&bytes, ncp.codec()));
        let (_, answer) = codec.decode_from_ncp(&out[0]).unwrap();
        assert_eq!(
            answer,
            FromNcp::Response(Response::GetValue(ValueResponse {
                status: status::OK,
                value: Bytes8(vec![0x23, 0x01, digits[0], digits[1], digits[2], 0, 0xAA]),
            })),
            "{protocol}"
        );
    }
    let mut pinned = Ncp::new(NcpConfig {
        protocol_version: 17,
        stack_version: Some(0x8050),
        ..NcpConfig::default()
    });
    let out = pinned.handle(&EzspFrameFromHost::parse(&[0, 0, 0, 17], None));
    assert_eq!(out, vec![vec![0x00, 0x80, 0x00, 17, 2, 0x50, 0x80]]);
}

#[test]
fn version_info_values_and_endpoint_flags() {
    let mut ncp = negotiated();
    assert_eq!(
        ask(&mut ncp, 2, Command::GetValue(GetValue { value_id: 0x11 })),
        vec![FromNcp::Response(Response::GetValue(ValueResponse {
            status: status::OK,
            // build 0x0123, 8.0.2.0, GA
            value: Bytes8(vec![0x23, 0x01, 8, 0, 2, 0, 0xAA]),
        }))]
    );
    let flags = || {
        Command::GetExtendedValue(GetExtendedValue {
            value_id: EXTENDED_VALUE_ENDPOINT_FLAGS,
            characteristics: 1,
        })
    };
    // Unregistered: a failure, but still two bytes (the host reads them either way).
    assert!(matches!(
        ask(&mut ncp, 3, flags()).as_slice(),
        [FromNcp::Response(Response::GetExtendedValue(v))]
            if v.status == status::INVALID_PARAMETER && v.value.0.len() == 2
    ));
    let add = Command::AddEndpoint(endpoint(1));
    assert!(matches!(
        ask(&mut ncp, 4, add.clone()).as_slice(),
        [FromNcp::Response(Response::AddEndpoint(r))] if r.status == status::OK
    ));
    assert!(matches!(
        ask(&mut ncp, 5, add).as_slice(),
        [FromNcp::Response(Response::AddEndpoint(r))] if r.status == status::INVALID_STATE
    ));
    assert!(matches!(
        ask(&mut ncp, 6, flags()).as_slice(),
        [FromNcp::Response(Response::GetExtendedValue(v))]
            if v.status == status::OK && v.value.0 == [1, 0]
    ));
    ask(
        &mut ncp,
        7,
        Command::SetValue(SetValue {
            value_id: value_id::STACK_TOKEN_WRITING,
            value: Bytes8(vec![1]),
        }),
    );
    assert_eq!(ncp.value(value_id::STACK_TOKEN_WRITING), Some(&[1u8][..]));
    // Endpoints live in RAM: a reboot forgets them.
    ncp.reboot();
    assert!(ncp.endpoints().is_empty());
}

#[test]
fn a_zdo_request_to_itself_is_answered_a_few_ticks_later() {
    let mut ncp = formed();
    ask(&mut ncp, 4, Command::AddEndpoint(endpoint(1)));
    let request = SendUnicast {
        message_type: 0,
        index_or_destination: COORDINATOR,
        aps_frame: ApsFrame {
            cluster_id: local_zdo::ACTIVE_EP_REQ,
            options: 0x1140,
            ..ApsFrame::default()
        },
        message_tag: 9,
        message: Bytes8(vec![9, 0x00, 0x00]),
    };
    let out = ask(&mut ncp, 5, Command::SendUnicast(request));
    assert!(matches!(
        out.as_slice(),
        [
            FromNcp::Response(Response::SendUnicast(r)),
            FromNcp::Callback(Callback::MessageSentHandler(sent)),
        ] if r.status == status::OK && sent.status == status::OK && sent.message_tag == 9
    ));
    for _ in 1..LOCAL_ZDO_DELAY_TICKS {
        assert!(ncp.tick().is_empty());
    }
    let due = ncp.tick();
    assert_eq!(due.len(), 1);
    let (header, frame) = codec().decode_from_ncp(&due[0]).unwrap();
    assert!(header.control.contains(FrameControl::ASYNC_CALLBACK));
    let FromNcp::Callback(Callback::IncomingMessageHandler(incoming)) = frame else {
        panic!("{frame:?}");
    };
    assert_eq!(incoming.aps_frame.profile_id, 0);
    assert_eq!(incoming.aps_frame.cluster_id, 0x8005);
    assert_eq!(incoming.packet_info.sender_short_id, COORDINATOR);
    assert_eq!(incoming.packet_info.sender_long_id, ncp.config().eui64);
    assert_eq!(incoming.message.0, vec![9, 0, 0x00, 0x00, 1, 1]);
}

#[test]
fn keys_export_and_leaving_forgets_the_network() {
    let mut ncp = negotiated();
    let export = |t: u8| {
        Command::ExportKey(ExportKey {
            context: SecManContext {
                core_key_type: t,
                ..SecManContext::default()
            },
        })
    };
    assert!(matches!(
        ask(&mut ncp, 2, export(1)).as_slice(),
        [FromNcp::Response(Response::ExportKey(r))] if r.status == status::NOT_FOUND
    ));
    let mut ncp = formed();
    assert!(matches!(
        ask(&mut ncp, 4, export(1)).as_slice(),
        [FromNcp::Response(Response::ExportKey(r))]
            if r.status == status::OK && r.key == Key([9; 16]) && r.context.core_key_type == 1
    ));
    assert!(matches!(
        ask(&mut ncp, 5, export(2)).as_slice(),
        [FromNcp::Response(Response::ExportKey(r))]
            if r.status == status::OK && r.key == Key([7; 16])
    ));
    assert!(matches!(
        ask(&mut ncp, 6, export(4)).as_slice(),
        [FromNcp::Response(Response::ExportKey(r))] if r.status == status::INVALID_PARAMETER
    ));
    assert!(matches!(
        ask(&mut ncp, 7, Command::GetNetworkKeyInfo(NoParams)).as_slice(),
        [FromNcp::Response(Response::GetNetworkKeyInfo(r))]
            if r.status == status::OK && r.info.network_key_set == 1
    ));
    assert!(matches!(
        ask(&mut ncp, 8, Command::PermitJoining(PermitJoining { duration: 10 })).as_slice(),
        [
            FromNcp::Response(Response::PermitJoining(r)),
            FromNcp::Callback(Callback::StackStatusHandler(s)),
        ] if r.status == status::OK && s.status == status::NETWORK_OPENED
    ));
    assert!(matches!(
        ask(&mut ncp, 9, Command::LeaveNetwork(LeaveNetwork { options: 0 })).as_slice(),
        [
            FromNcp::Response(Response::LeaveNetwork(r)),
            FromNcp::Callback(Callback::StackStatusHandler(s)),
        ] if r.status == status::OK && s.status == status::NETWORK_DOWN
    ));
    assert!(ncp.nvm().is_none());
    assert!(matches!(
        ask(&mut ncp, 10, Command::NetworkInit(NetworkInit { bitmask: 3 })).as_slice(),
        [FromNcp::Response(Response::NetworkInit(r))] if r.status == status::NOT_JOINED
    ));
}

#[test]
fn a_frame_it_does_not_know_gets_invalid_command_once_negotiated() {
    let mut ncp = Ncp::new(NcpConfig::default());
    // Before negotiation: silence.
    let unknown = [5, 0x00, 0x01, 0x34, 0x12];
    assert!(
        ncp.handle(&EzspFrameFromHost::parse(&unknown, None))
            .is_empty()
    );
    let mut ncp = negotiated();
    let out = ncp.handle(&EzspFrameFromHost::parse(&unknown, ncp.codec()));
    assert_eq!(
        out,
        vec![vec![
            5,
            0x80,
            0x01,
            0x58,
            0x00,
            ezsp_status::INVALID_FRAME_ID
        ]]
    );
    // A known frame with broken parameters: invalid value.
    let truncated = [6, 0x00, 0x01, 0x22, 0x00];
    let out = ncp.handle(&EzspFrameFromHost::parse(&truncated, ncp.codec()));
    assert_eq!(
        out,
        vec![vec![6, 0x80, 0x01, 0x58, 0x00, ezsp_status::INVALID_VALUE]]
    );
}

#[test]
fn an_energy_scan_reports_every_masked_channel_then_completes() {
    let mut ncp = negotiated();
    let scan = Command::StartScan(
        sealhub_radios::zigbee::ezsp::commands::networking::StartScan {
            scan_type: 0,
            channel_mask: (1 << 11) | (1 << 20) | (1 << 26),
            duration: 3,
        },
    );
    let out = ask(&mut ncp, 2, scan);
    let channels: Vec<(u8, i8)> = out
        .iter()
        .filter_map(|f| match f {
            FromNcp::Callback(Callback::EnergyScanResultHandler(r)) => {
                Some((r.channel, r.max_rssi_value))
            }
            _ => None,
        })
        .collect();
    assert_eq!(channels, vec![(11, -40), (20, -95), (26, -49)]);
    assert!(matches!(
        out.last(),
        Some(FromNcp::Callback(Callback::ScanCompleteHandler(_)))
    ));
}

#[test]
fn a_device_joins_announces_itself_and_answers_its_interview() {
    use crate::ezsp_ncp::devices::{ALLOW_JOINS, JOINS_USE_INSTALL_CODE_KEY};
    use sealhub_radios::zigbee::ezsp::commands::configuration::SetPolicy;
    use sealhub_radios::zigbee::ezsp::commands::security::ImportTransientKey;
    use sealhub_radios::zigbee::security::InstallCode;

    let code = InstallCode::new(&[
        0x83, 0xFE, 0xD3, 0x40, 0x7A, 0x93, 0x97, 0x23, 0xA5, 0xC6, 0x39, 0xB2, 0x69, 0x16, 0xD5,
        0x05, 0xC3, 0xB5,
    ])
    .unwrap();
    let device = SimulatedDevice::light([0xA1; 8], 0x4321, Some(code.clone()));
    let mut ncp = formed();
    assert_eq!(
        ncp.join_device(device.clone()),
        Err(JoinRefusal::PermitJoinClosed)
    );
    ask(
        &mut ncp,
        4,
        Command::PermitJoining(PermitJoining { duration: 60 }),
    );
    ask(
        &mut ncp,
        5,
        Command::SetPolicy(SetPolicy {
            policy_id: devices::TRUST_CENTER_POLICY,
            decision_id: ALLOW_JOINS | JOINS_USE_INSTALL_CODE_KEY,
        }),
    );
    assert_eq!(ncp.join_device(device.clone()), Err(JoinRefusal::NoLinkKey));
    ask(
        &mut ncp,
        6,
        Command::ImportTransientKey(ImportTransientKey {
            eui64: device.eui64,
            key: Key(code.link_key().0),
        }),
    );
    assert_eq!(ncp.join_device(device.clone()), Ok(0x4321));
    assert_eq!(ncp.join_log().len(), 3);
    let decode = |b: &Vec<u8>| codec().decode_from_ncp(b).unwrap().1;
    let first: Vec<FromNcp> = ncp.tick().iter().map(decode).collect();
    assert!(matches!(
        first.as_slice(),
        [
            FromNcp::Callback(Callback::ChildJoinHandler(c)),
            FromNcp::Callback(Callback::TrustCenterJoinHandler(t)),
        ] if c.child_id == 0x4321 && t.new_node_eui64 == [0xA1; 8] && t.status == 1
    ));
    let second: Vec<FromNcp> = ncp.tick().iter().map(decode).collect();
    let [FromNcp::Callback(Callback::IncomingMessageHandler(annce))] = second.as_slice() else {
        panic!("{second:?}");
    };
    assert_eq!(annce.aps_frame.cluster_id, 0x0013);
    assert_eq!(annce.packet_info.sender_short_id, 0x4321);
    // Active_EP_req to the device: delivered, answered three ticks later.
    let request = SendUnicast {
        message_type: 0,
        index_or_destination: 0x4321,
        aps_frame: ApsFrame {
            cluster_id: 0x0005,
            ..ApsFrame::default()
        },
        message_tag: 3,
        message: Bytes8(vec![77, 0x21, 0x43]),
    };
    let out = ask(&mut ncp, 7, Command::SendUnicast(request));
    assert!(matches!(
        out.as_slice(),
        [_, FromNcp::Callback(Callback::MessageSentHandler(sent))] if sent.status == status::OK
    ));
    for _ in 1..LOCAL_ZDO_DELAY_TICKS {
        assert!(ncp.tick().is_empty());
    }
    let due: Vec<FromNcp> = ncp.tick().iter().map(decode).collect();
    let [FromNcp::Callback(Callback::IncomingMessageHandler(rsp))] = due.as_slice() else {
        panic!("{due:?}");
    };
    assert_eq!(rsp.aps_frame.cluster_id, 0x8005);
    assert_eq!(rsp.message.0, vec![77, 0, 0x21, 0x43, 1, 1]);
}

#[test]
fn restored_eui64_token_takes_effect_from_the_next_boot_and_survives_reboots() {
    use sealhub_radios::zigbee::ezsp::commands::tokens::{SetTokenData, TokenData};
    let restored = [0xA7, 0x0B, 0xD8, 0x09, 0x00, 0x4B, 0x12, 0x00];
    let write = |ncp: &mut Ncp, data: Vec<u8>| {
        let command = Command::SetTokenData(SetTokenData {
            token: NVM3KEY_STACK_RESTORED_EUI64,
            index: 0,
            data: TokenData::new(data),
        });
        match ask(ncp, 3, command).as_slice() {
            [FromNcp::Response(Response::SetTokenData(r))] => r.status,
            other => panic!("unexpected {other:?}"),
        }
    };
    let mut ncp = negotiated();
    let own = ncp.config().eui64;
    assert_eq!(write(&mut ncp, vec![1, 2, 3]), status::INVALID_PARAMETER);
    assert_eq!(write(&mut ncp, restored.to_vec()), status::OK);
    assert_eq!(ncp.eui64(), own, "not before the reboot");
    assert!(matches!(
        ask(&mut ncp, 4, Command::ResetNode(NoParams)).as_slice(),
        [FromNcp::Response(Response::ResetNode(_))]
    ));
    assert!(ncp.take_reset_request());
    assert!(!ncp.take_reset_request());
    ncp.reboot();
    assert_eq!(ncp.eui64(), restored);
    assert_eq!(ncp.restored_eui64(), Some(restored));
    ncp.reboot();
    assert_eq!(ncp.eui64(), restored, "the token stays");

    let mut old = Ncp::new(NcpConfig {
        nvm3_tokens: false,
        ..NcpConfig::default()
    });
    old.handle(&EzspFrameFromHost::Version {
        sequence: 0,
        desired: 14,
        legacy: true,
    });
    assert_eq!(write(&mut old, restored.to_vec()), status::NOT_SUPPORTED);
    old.reboot();
    assert_eq!(old.eui64(), old.config().eui64);
}

#[test]
fn link_keys_go_into_the_key_table_only_while_the_network_is_down_and_survive_reboots() {
    let import = |ncp: &mut Ncp, index: u8, eui64: Eui64| {
        let command = Command::ImportLinkKey(ImportLinkKey {
            index,
            eui64,
            key: Key([0x5A; 16]),
        });
        match ask(ncp, 5, command).as_slice() {
            [FromNcp::Response(Response::ImportLinkKey(r))] => r.status,
            other => panic!("unexpected {other:?}"),
        }
    };
    let mut ncp = negotiated();
    assert_eq!(import(&mut ncp, KEY_TABLE_ANY_INDEX, [1; 8]), status::OK);
    assert_eq!(import(&mut ncp, KEY_TABLE_ANY_INDEX, [2; 8]), status::OK);
    assert_eq!(import(&mut ncp, KEY_TABLE_ANY_INDEX, [1; 8]), status::OK);
    assert_eq!(
        import(&mut ncp, KEY_TABLE_SIZE, [3; 8]),
        status::INVALID_INDEX
    );
    assert_eq!(ncp.key_table_holders(), vec![[1; 8], [2; 8]]);
    ncp.reboot();
    assert_eq!(ncp.key_table_holders(), vec![[1; 8], [2; 8]]);
    let mut up = formed();
    assert_eq!(
        import(&mut up, KEY_TABLE_ANY_INDEX, [1; 8]),
        status::INVALID_STATE
    );
}
