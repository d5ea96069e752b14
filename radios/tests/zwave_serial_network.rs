//! Z-Wave Serial API network queries (GetProtocolVersion, GetNodeProtocolInfo, GetSucNodeId,
//! RequestNodeInfo, SerialApiSetup GetRFRegion / GetPowerlevel): recorded frames where
//! published ones exist (tests/vectors/zwave-serial.md, "Network queries"), round trips and
//! refusals for the rest.

use sealhub_radios::zwave::serial::frame::{DataFrame, FrameType};
use sealhub_radios::zwave::serial::messages::application::{ApplicationUpdate, NodeInformation};
use sealhub_radios::zwave::serial::messages::capabilities::{
    SetupRequest, SetupResponse, rf_region,
};
use sealhub_radios::zwave::serial::messages::network::{
    NodeProtocolInfo, ProtocolVersion, capability, security,
};
use sealhub_radios::zwave::serial::messages::{self, HostMessage, StickMessage};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// A valid frame (checksum included) that re-encodes byte-exact.
fn frame_of(hex: &str) -> DataFrame {
    let bytes = h(hex);
    let frame = DataFrame::decode(&bytes).unwrap();
    assert_eq!(frame.encode(), bytes, "frame re-encode of {hex}");
    frame
}

fn stick(hex: &str, expected: StickMessage) {
    let frame = frame_of(hex);
    assert_eq!(StickMessage::decode(&frame), Ok(expected.clone()), "{hex}");
    assert_eq!(
        expected.encode().unwrap().encode(),
        h(hex),
        "re-encode {hex}"
    );
}

fn host(hex: &str, expected: HostMessage) {
    let frame = frame_of(hex);
    assert_eq!(HostMessage::decode(&frame), Ok(expected.clone()), "{hex}");
    assert_eq!(
        expected.encode().unwrap().encode(),
        h(hex),
        "re-encode {hex}"
    );
}

fn round_trip_stick(message: StickMessage) {
    let frame = message.encode().unwrap();
    let again = DataFrame::decode(&frame.encode()).unwrap();
    assert_eq!(StickMessage::decode(&again), Ok(message));
}

fn round_trip_host(message: HostMessage) {
    let frame = message.encode().unwrap();
    assert!(message.expects_response(), "{message:?}");
    assert_eq!(message.callback_id(), None, "{message:?}");
    assert_eq!(HostMessage::decode(&frame), Ok(message));
}

#[test]
fn recorded_get_node_protocol_info_frames() {
    // Request for node 1 (WZWave NodeProtocolInfoTest).
    host(
        "0104004101bb",
        HostMessage::GetNodeProtocolInfo { node_id: 1 },
    );
    // Aeon Labs controller: listening, 40 kbit/s, beaming, specific class; static controller.
    let aeon = NodeProtocolInfo {
        capability: 0x92,
        security: 0x16,
        properties: 0x00,
        basic: 0x02,
        generic: 0x02,
        specific: 0x01,
    };
    assert!(aeon.is_listening() && aeon.is_known());
    assert_eq!(
        aeon.security & security::BEAM_CAPABLE,
        security::BEAM_CAPABLE
    );
    stick(
        "0109014192160002020133",
        StickMessage::NodeProtocolInfo(aeon),
    );
    // A multilevel power switch (routing end node, 0x04 / 0x11 / 0x01).
    stick(
        "01090141d39c00041101ed",
        StickMessage::NodeProtocolInfo(NodeProtocolInfo {
            capability: 0xD3,
            security: 0x9C,
            properties: 0x00,
            basic: 0x04,
            generic: 0x11,
            specific: 0x01,
        }),
    );
    // A sleeping routing binary sensor: not listening.
    let sensor = NodeProtocolInfo {
        capability: 0x52,
        security: 0x9C,
        properties: 0x00,
        basic: 0x04,
        generic: 0x20,
        specific: 0x01,
    };
    assert!(!sensor.is_listening());
    stick(
        "01090141529c000420015d",
        StickMessage::NodeProtocolInfo(sensor),
    );
}

#[test]
fn recorded_request_node_info_and_its_application_updates() {
    // RequestNodeInfo for node 1 (WZWave RequestNodeInfoTest): no callback id.
    host("01040060019a", HostMessage::RequestNodeInfo { node_id: 1 });
    // The node information frame of node 2: routing end node, binary switch, 7 CCs.
    stick(
        "0110004984020a04100125277573867277b8",
        StickMessage::ApplicationUpdate(ApplicationUpdate::NodeInfoReceived(NodeInformation {
            node_id: 2,
            data: h("04100125277573867277"),
        })),
    );
    // The node did not answer: update type 0x81, node 0, length 0 (kept raw).
    stick(
        "0106004981000031",
        StickMessage::ApplicationUpdate(ApplicationUpdate::Other {
            update_type: 0x81,
            body: vec![0x00, 0x00],
        }),
    );
}

#[test]
fn protocol_version_with_and_without_build_information() {
    let short = ProtocolVersion {
        protocol_type: 0,
        version: [7, 18, 1],
        app_framework_build: None,
        git_commit: None,
    };
    assert_eq!(short.version_string(), "7.18.1");
    let with_build = ProtocolVersion {
        app_framework_build: Some(0x0113),
        ..short.clone()
    };
    let full = ProtocolVersion {
        git_commit: Some([0xAB; 16]),
        ..with_build.clone()
    };
    for m in [short, with_build, full.clone()] {
        round_trip_stick(StickMessage::ProtocolVersion(m));
    }
    // The layout, byte by byte: type, major, minor, revision, build (BE), hash.
    let frame = StickMessage::ProtocolVersion(full).encode().unwrap();
    assert_eq!(frame.function(), 0x09);
    let mut expected = h("000712010113");
    expected.extend([0xAB; 16]);
    assert_eq!(frame.payload(), &expected[..]);
    // A build number cut short, and bytes after the hash, are refused.
    for (payload, error) in [
        (
            h("0007120101"),
            messages::Error::Truncated { function: 0x09 },
        ),
        (
            [h("000712010113"), vec![0; 17]].concat(),
            messages::Error::TrailingBytes {
                function: 0x09,
                count: 1,
            },
        ),
    ] {
        let frame = DataFrame::new(FrameType::Response, 0x09, payload).unwrap();
        assert_eq!(StickMessage::decode(&frame), Err(error));
    }
}

#[test]
fn suc_node_id_and_the_requests_round_trip() {
    for m in [
        HostMessage::GetProtocolVersion,
        HostMessage::GetSucNodeId,
        HostMessage::GetNodeProtocolInfo { node_id: 232 },
        HostMessage::RequestNodeInfo { node_id: 2 },
        HostMessage::SerialApiSetup(SetupRequest::GetRfRegion),
        HostMessage::SerialApiSetup(SetupRequest::GetPowerlevel),
    ] {
        round_trip_host(m);
    }
    // GetSucNodeId: request empty, response one byte.
    host("01030056aa", HostMessage::GetSucNodeId);
    let frame = StickMessage::SucNodeId(1).encode().unwrap();
    assert_eq!((frame.function(), frame.payload()), (0x56, &[0x01][..]));
    for m in [
        StickMessage::SucNodeId(0),
        StickMessage::SucNodeId(1),
        StickMessage::RequestNodeInfoResponse(0x01),
        StickMessage::RequestNodeInfoResponse(0x00),
        StickMessage::NodeProtocolInfo(NodeProtocolInfo::UNKNOWN),
        StickMessage::SerialApiSetup(SetupResponse::RfRegion {
            region: rf_region::USA,
        }),
        StickMessage::SerialApiSetup(SetupResponse::Powerlevel {
            tx_power: -10,
            measured_0dbm: 33,
        }),
    ] {
        round_trip_stick(m);
    }
    // Node id requests carry exactly one byte.
    let frame = DataFrame::request(0x41, vec![]).unwrap();
    assert_eq!(
        HostMessage::decode(&frame),
        Err(messages::Error::Truncated { function: 0x41 })
    );
    let frame = DataFrame::request(0x60, vec![1, 2]).unwrap();
    assert_eq!(
        HostMessage::decode(&frame),
        Err(messages::Error::TrailingBytes {
            function: 0x60,
            count: 1
        })
    );
    // The capability constants describe a listening routing node as the emulator sends it.
    assert_eq!(
        capability::LISTENING
            | capability::ROUTING
            | capability::SPEED_40K
            | capability::PROTOCOL_V3,
        0xD3
    );
}

#[test]
fn setup_region_and_powerlevel_layouts() {
    // zwave-js sends the sub-command alone and reads `command value…` back.
    let frame = HostMessage::SerialApiSetup(SetupRequest::GetRfRegion)
        .encode()
        .unwrap();
    assert_eq!(frame.encode(), h("0104000b20d0"));
    let frame = StickMessage::SerialApiSetup(SetupResponse::RfRegion {
        region: rf_region::USA,
    })
    .encode()
    .unwrap();
    assert_eq!(frame.payload(), &[0x20, 0x01][..]);
    let frame = StickMessage::SerialApiSetup(SetupResponse::Powerlevel {
        tx_power: -10,
        measured_0dbm: 33,
    })
    .encode()
    .unwrap();
    assert_eq!(frame.payload(), &[0x08, 0xF6, 0x21][..]);
}
