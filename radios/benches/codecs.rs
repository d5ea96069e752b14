//! Codec throughput of the radio layers, in frames per second, each group against baselines over
//! the same bytes measured in the same run (docs/PERFORMANCE.md, "Radios: codecs"):
//!
//! - `baseline: copy` — the wire bytes copied into a fresh `Vec` (an allocation and a memcpy,
//!   which every codec here does at least once);
//! - `baseline: crc16` — a bitwise CRC-16/CCITT over the wire bytes, written here so that it
//!   stays fixed when the crate's own CRC changes;
//! - for S2 also `baseline: aes block` — one AES-128 block with the crate's backend, since S2's
//!   cost is AES blocks (CCM, CTR_DRBG) on machines with and without AES instructions.
//!
//! Frames are recorded ones (radios/tests/vectors/) where a recording exists: the EZSP
//! sendUnicast of ezsp.md §4 and incomingMessageHandler of §7, the Serial API SendData and
//! ApplicationCommandHandler (Meter Report) of zwave-serial.md. Decoding is streaming: one
//! decoder kept across iterations, fed the whole frame as one chunk, as a port read delivers it.
//!
//! Run: `cargo bench -p sealhub-radios --bench codecs -- --warm-up-time 1 --measurement-time 3`

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use sealhub_radios::zigbee::ash::{self, Decoder, FrameNum};
use sealhub_radios::zigbee::ezsp::commands::messaging::{IncomingMessageHandler, SendUnicast};
use sealhub_radios::zigbee::ezsp::types::{ApsFrame, Bytes8, PacketInfo};
use sealhub_radios::zigbee::ezsp::{Callback, Command, FrameCodec, FrameControl, FromNcp, Header};
use sealhub_radios::zwave::s2::session::{KeyId, S2Session};
use sealhub_radios::zwave::s2::{S2Command, SecurityClass};
use sealhub_radios::zwave::security::{Key128, aes128_encrypt_block};
use sealhub_radios::zwave::serial::frame::{Frame as ZwFrame, FrameDecoder, Received};
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};
use std::hint::black_box;

/// Bitwise CRC-16/CCITT-FALSE: the fixed amount of per-byte work the ratios are taken against.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A group with one frame per iteration and the two byte baselines over `wire`.
fn group<'a>(c: &'a mut Criterion, name: &str, wire: &[u8]) -> BenchmarkGroup<'a, WallTime> {
    eprintln!("{name}: {} wire bytes", wire.len());
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(1));
    let bytes = wire.to_vec();
    g.bench_function("baseline: copy", |b| {
        b.iter(|| black_box(&bytes[..]).to_vec())
    });
    g.bench_function("baseline: crc16", |b| b.iter(|| crc16(black_box(&bytes))));
    g
}

/// The `sendUnicast` of ezsp.md §4: an On/Off "on" to node 0xC9DE, sequence 0x27.
fn send_unicast() -> Command {
    Command::SendUnicast(SendUnicast {
        message_type: 0,
        index_or_destination: 0xC9DE,
        aps_frame: ApsFrame {
            profile_id: 0x0104,
            cluster_id: 0x0006,
            source_endpoint: 1,
            destination_endpoint: 1,
            options: 0x1140,
            group_id: 0,
            sequence: 0,
        },
        message_tag: 3,
        message: Bytes8(vec![0x01, 0x04, 0x00]),
    })
}

/// The `incomingMessageHandler` of ezsp.md §7 (a ZCL default response from node 0xC9DE).
fn incoming_message() -> FromNcp {
    FromNcp::Callback(Callback::IncomingMessageHandler(IncomingMessageHandler {
        message_type: 0,
        aps_frame: ApsFrame {
            profile_id: 0x0104,
            cluster_id: 0x0006,
            source_endpoint: 1,
            destination_endpoint: 1,
            options: 0x0100,
            group_id: 0,
            sequence: 0x70,
        },
        packet_info: PacketInfo {
            sender_short_id: 0xC9DE,
            sender_long_id: [0; 8],
            binding_index: 0xFF,
            address_index: 0xFF,
            last_hop_lqi: 3,
            last_hop_rssi: 0,
            last_hop_timestamp: 6,
        },
        message: Bytes8(vec![0x18, 0x04, 0x0B, 0x00, 0x00]),
    }))
}

fn data(payload: Vec<u8>) -> ash::Frame {
    ash::Frame::Data {
        frm_num: FrameNum::new(2),
        re_tx: false,
        ack_num: FrameNum::new(5),
        payload,
    }
}

/// The payload of the one DATA frame in `chunk`.
fn ash_payload(decoder: &mut Decoder, chunk: &[u8]) -> Vec<u8> {
    match decoder.feed(chunk).pop() {
        Some(Ok(ash::Frame::Data { payload, .. })) => payload,
        other => panic!("expected one DATA frame, got {other:?}"),
    }
}

fn zigbee(c: &mut Criterion) {
    let codec = FrameCodec::new(14).expect("protocol 14");
    let command = send_unicast();
    let ezsp = codec.encode_command(0x27, &command).expect("encode");
    let frame = data(ezsp.clone());
    let wire = ash::encode(&frame);
    // Check the fixture before timing it.
    let mut decoder = Decoder::new();
    assert_eq!(ash_payload(&mut decoder, &wire), ezsp);
    assert_eq!(codec.decode_command(&ezsp).expect("decode").1, command);

    let mut g = group(c, "zigbee sendUnicast", &wire);
    g.bench_function("ASH encode", |b| b.iter(|| ash::encode(black_box(&frame))));
    g.bench_function("ASH decode (streaming)", |b| {
        b.iter(|| decoder.feed(black_box(&wire)))
    });
    g.bench_function("EZSP+ASH encode", |b| {
        b.iter(|| {
            let ezsp = codec.encode_command(0x27, black_box(&command)).expect("ok");
            ash::encode(&data(ezsp))
        })
    });
    g.bench_function("EZSP+ASH decode (streaming)", |b| {
        b.iter(|| {
            let payload = ash_payload(&mut decoder, black_box(&wire));
            codec.decode_command(&payload).expect("ok")
        })
    });
    g.finish();

    // What the host decodes most: a device's message, 20 a second with 20 devices reporting.
    let header = Header {
        sequence: 0x27,
        control: FrameControl::RESPONSE
            | FrameControl::ASYNC_CALLBACK
            | FrameControl::FORMAT_VERSION_1,
        frame_id: 0x0045,
    };
    let incoming = incoming_message();
    let ezsp = codec.encode_from_ncp(&header, &incoming).expect("encode");
    let wire = ash::encode(&data(ezsp.clone()));
    assert_eq!(ash_payload(&mut decoder, &wire), ezsp);
    let mut g = group(c, "zigbee incomingMessageHandler", &wire);
    g.bench_function("EZSP+ASH encode", |b| {
        b.iter(|| {
            let ezsp = codec
                .encode_from_ncp(&header, black_box(&incoming))
                .expect("ok");
            ash::encode(&data(ezsp))
        })
    });
    g.bench_function("EZSP+ASH decode (streaming)", |b| {
        b.iter(|| {
            let payload = ash_payload(&mut decoder, black_box(&wire));
            codec.decode_from_ncp(&payload).expect("ok")
        })
    });
    g.finish();
}

fn zwave_serial(c: &mut Criterion) {
    // SendData to node 11: Multilevel Switch Get, txOptions 0x25, callback 0x27.
    let wire = unhex("010900130b0226022527ca");
    let mut decoder = FrameDecoder::new();
    let host_frame = |decoder: &mut FrameDecoder, wire: &[u8]| match decoder.push(wire).pop() {
        Some(Received::Frame(ZwFrame::Data(f))) => f,
        other => panic!("expected one data frame, got {other:?}"),
    };
    let send_data = HostMessage::decode(&host_frame(&mut decoder, &wire)).expect("SendData");
    assert!(matches!(send_data, HostMessage::SendData(_)));
    assert_eq!(send_data.encode().expect("encode").encode(), wire);
    let mut g = group(c, "zwave SendData", &wire);
    g.bench_function("encode", |b| {
        b.iter(|| black_box(&send_data).encode().expect("ok").encode())
    });
    g.bench_function("decode (streaming)", |b| {
        b.iter(|| HostMessage::decode(&host_frame(&mut decoder, black_box(&wire))).expect("ok"))
    });
    g.finish();

    // ApplicationCommandHandler from node 2: a Meter Report with an RSSI trailer.
    let wire = unhex("0116000400020e3202214400013707012d00013707d5004d");
    let report = StickMessage::decode(&host_frame(&mut decoder, &wire)).expect("report");
    assert!(matches!(report, StickMessage::ApplicationCommand(_)));
    assert_eq!(report.encode().expect("encode").encode(), wire);
    let mut g = group(c, "zwave ApplicationCommandHandler", &wire);
    g.bench_function("encode", |b| {
        b.iter(|| black_box(&report).encode().expect("ok").encode())
    });
    g.bench_function("decode (streaming)", |b| {
        b.iter(|| StickMessage::decode(&host_frame(&mut decoder, black_box(&wire))).expect("ok"))
    });
    g.finish();
}

const CTRL: u8 = 1;
const NODE: u8 = 2;
const S2_KEY: KeyId = KeyId::Network(SecurityClass::S2Authenticated);
/// Multilevel Sensor Report, 10 bytes: CC, command, sensor type, precision/scale/size, a 4-byte
/// value, and two bytes of padding to make ten.
const S2_PAYLOAD: [u8; 10] = [0x31, 0x05, 0x01, 0x44, 0x00, 0x00, 0x08, 0xFC, 0x00, 0x00];

/// A controller and a node sharing the S2 Authenticated key, with the SPAN from controller to
/// node established (Nonce Get, Nonce Report, a first frame with the SPAN extension), so what is
/// timed is the steady state. Returns the pair and one steady-state frame.
fn s2_pair() -> (S2Session, S2Session, Vec<u8>) {
    const HOME: u32 = 0xC0FF_EE01;
    let key = Key128::new([0x42; 16]);
    let mut ctrl = S2Session::new(CTRL, HOME, [1; 32]);
    let mut node = S2Session::new(NODE, HOME, [2; 32]);
    ctrl.set_network_key(SecurityClass::S2Authenticated, &key);
    node.set_network_key(SecurityClass::S2Authenticated, &key);
    let S2Command::NonceGet { seq } = ctrl.nonce_get(NODE) else {
        unreachable!("nonce_get returns Nonce Get")
    };
    let report = node.on_nonce_get(CTRL, seq).expect("report");
    ctrl.on_nonce_report(NODE, &report).expect("SPAN");
    let first = ctrl.encapsulate(NODE, S2_KEY, &S2_PAYLOAD).expect("first");
    assert_eq!(
        node.decapsulate(CTRL, &first).expect("ok").plaintext,
        S2_PAYLOAD
    );
    let frame = ctrl.encapsulate(NODE, S2_KEY, &S2_PAYLOAD).expect("steady");
    assert_eq!(
        node.decapsulate(CTRL, &frame).expect("ok").plaintext,
        S2_PAYLOAD
    );
    (ctrl, node, frame)
}

fn s2(c: &mut Criterion) {
    // One pair for encapsulation (its SPAN runs ahead of the node's) and one for decapsulation.
    let (mut sender, _, frame) = s2_pair();
    let (mut ctrl, mut node, _) = s2_pair();
    let mut g = group(c, "zwave S2 (10-byte payload)", &frame);
    let aes_key = Key128::new([0x42; 16]);
    g.bench_function("baseline: aes block", |b| {
        b.iter(|| aes128_encrypt_block(&aes_key, black_box(&[0x5A; 16])))
    });
    g.bench_function("encapsulate", |b| {
        b.iter(|| {
            sender
                .encapsulate(NODE, S2_KEY, black_box(&S2_PAYLOAD))
                .expect("ok")
        })
    });
    // Every frame decapsulates once (the receiver refuses duplicates and its SPAN moves on), so
    // each one is made in the untimed setup, in order, by the sender the receiver follows.
    g.bench_function("decapsulate", |b| {
        b.iter_batched(
            || ctrl.encapsulate(NODE, S2_KEY, &S2_PAYLOAD).expect("ok"),
            |frame| node.decapsulate(CTRL, black_box(&frame)).expect("ok"),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, zigbee, zwave_serial, s2);
criterion_main!(benches);
