//! ASH frames and the streaming decoder against the herdsman fixtures in `vectors/ash.md`, plus
//! property tests (round trips, chunking, resynchronisation).

use proptest::prelude::*;
use sealhub_radios::zigbee::ash::frame::{self, FLAG, encode_body, randomization_sequence};
use sealhub_radios::zigbee::ash::{Decoder, Error, Frame, FrameNum, ResetCode, decode, encode};

const ASH_MD: &str = include_str!("vectors/ash.md");

/// One `### ` section of ash.md.
struct Fixture {
    title: String,
    wire: Vec<u8>,
    crc_ok: bool,
    /// The de-randomized EZSP frame, for DATA fixtures.
    ezsp: Option<Vec<u8>>,
}

fn backticked(line: &str) -> Option<&str> {
    let start = line.find('`')? + 1;
    let len = line[start..].find('`')?;
    Some(&line[start..start + len])
}

fn fixtures() -> Vec<Fixture> {
    let all = ASH_MD
        .split("## All fixtures")
        .nth(1)
        .expect("fixture section");
    all.split("\n### ")
        .skip(1)
        .map(|section| {
            let title = section.lines().next().unwrap_or_default().to_owned();
            let line = |prefix: &str| section.lines().find(|l| l.starts_with(prefix));
            let wire = line("- Wire bytes")
                .and_then(backticked)
                .expect("wire bytes");
            let crc = line("- CRC in frame").expect("crc line");
            let ezsp = line("- Data field as sent").and_then(|l| {
                let (_, after) = l.split_once("de-randomized EZSP frame:")?;
                Some(hex::decode(backticked(after)?).expect("ezsp hex"))
            });
            Fixture {
                title,
                wire: hex::decode(wire).expect("wire hex"),
                crc_ok: crc.contains("checks out") && !crc.contains("DOES NOT"),
                ezsp,
            }
        })
        .collect()
}

#[test]
fn every_ash_md_fixture_decodes_and_reencodes_byte_exact() {
    let fixtures = fixtures();
    assert_eq!(fixtures.len(), 32, "ash.md fixture count changed");
    let (mut good, mut bad) = (0, 0);
    for f in &fixtures {
        let results = Decoder::new().feed(&f.wire);
        assert_eq!(
            results.len(),
            1,
            "{}: one frame expected, got {results:?}",
            f.title
        );
        // A leading CANCEL (before RST / RSTACK) is not part of the frame.
        let frame_bytes = f.wire.strip_prefix(&[0x1A]).unwrap_or(&f.wire);
        match (&results[0], f.crc_ok) {
            (Ok(frame), true) => {
                assert_eq!(encode(frame), frame_bytes, "{}: re-encoding", f.title);
                if let Some(ezsp) = &f.ezsp {
                    let Frame::Data { payload, .. } = frame else {
                        panic!("{}: not DATA", f.title)
                    };
                    assert_eq!(payload, ezsp, "{}: de-randomized payload", f.title);
                }
                good += 1;
            }
            (Err(Error::Crc { found, computed }), false) => {
                assert_ne!(found, computed);
                bad += 1;
            }
            (other, crc_ok) => panic!("{}: got {other:?}, crc_ok={crc_ok}", f.title),
        }
    }
    assert_eq!((good, bad), (29, 3));
}

#[test]
fn crc_errors_match_the_recomputed_values_in_ash_md() {
    // found = CRC in the frame, computed = "recomputed" in ash.md.
    for (wire, found, computed) in [
        (
            "b658904124ab5593499cdd93623cd29874f5de5083f97b1e66efc9af417e",
            0xaf41,
            0x8263,
        ),
        ("c20152fabd7e", 0xfabd, 0xcd8d),
        ("5342a1a85628048296237e", 0x9623, 0x032a),
    ] {
        let wire = hex::decode(wire).unwrap();
        assert_eq!(
            decode(&wire[..wire.len() - 1]),
            Err(Error::Crc { found, computed }),
            "{}",
            hex::encode(&wire)
        );
    }
}

#[test]
fn typed_fixtures_decode_to_their_fields() {
    let n = FrameNum::new;
    let cases: &[(&str, Frame)] = &[
        // SEND_RST_BYTES without its CANCEL: control 0xC0, CRC 0x38BC.
        ("c038bc7e", Frame::Rst),
        // RECD_RSTACK_BYTES: version 2, reset code 0x0B (software).
        (
            "c1020b0a527e",
            Frame::RstAck {
                version: 2,
                code: ResetCode::SOFTWARE,
            },
        ),
        // enums.ts RSTACK: version 2, power-on.
        (
            "c102029b7b7e",
            Frame::RstAck {
                version: 2,
                code: ResetCode::POWER_ON,
            },
        ),
        // RECD_ERROR_ACK_TIMEOUT_BYTES: version 2, 0x51.
        (
            "c20251a8bd7e",
            Frame::Error {
                version: 2,
                code: ResetCode::EXCEEDED_MAXIMUM_ACK_TIMEOUT_COUNT,
            },
        ),
        // RCED_ERROR_WATCHDOG_BYTES: version 2, 0x03.
        (
            "c20203d20a7e",
            Frame::Error {
                version: 2,
                code: ResetCode::WATCHDOG,
            },
        ),
        // ACK(1)+, ACK(0)+, ACK(6)- (nRdy), NAK(6)+, NAK(5)-, NAK(2)+.
        (
            "8160597e",
            Frame::Ack {
                ack_num: n(1),
                not_ready: false,
            },
        ),
        (
            "8070787e",
            Frame::Ack {
                ack_num: n(0),
                not_ready: false,
            },
        ),
        (
            "8e91b67e",
            Frame::Ack {
                ack_num: n(6),
                not_ready: true,
            },
        ),
        (
            "a634dc7e",
            Frame::Nak {
                ack_num: n(6),
                not_ready: false,
            },
        ),
        (
            "ad85b77e",
            Frame::Nak {
                ack_num: n(5),
                not_ready: true,
            },
        ),
        (
            "a274587e",
            Frame::Nak {
                ack_num: n(2),
                not_ready: false,
            },
        ),
        // SEND_DATA_VERSION: DATA(0,0,0), legacy EZSP version(13).
        (
            "004221a8597c057e",
            Frame::Data {
                frm_num: n(0),
                re_tx: false,
                ack_num: n(0),
                payload: vec![0, 0, 0, 13],
            },
        ),
        // RCED_DATA_VERSION: DATA frm 0 ack 1, version response 13 / stack 2 / 0x7410.
        (
            "0142a1a8592805c6a8777e",
            Frame::Data {
                frm_num: n(0),
                re_tx: false,
                ack_num: n(1),
                payload: hex::decode("0080000d021074").unwrap(),
            },
        ),
        // RCED_DATA_RETRY: frm 0, reTx, ack 6, contains escape 7D 33 (= 0x13).
        (
            "0eafb1a96b2a7d334fa674eb04aaa760499d4e27cdd9ce6192f2c46989fcfb817e",
            Frame::Data {
                frm_num: n(0),
                re_tx: true,
                ack_num: n(6),
                payload: hex::decode("ed90013f0006fdffe0a12100f2f20001000066340006190f020a0000")
                    .unwrap(),
            },
        ),
        // enums.ts DATA(2,5,0) randomized: frm 2, ack 5, version(2).
        (
            "254221a856a6097e",
            Frame::Data {
                frm_num: n(2),
                re_tx: false,
                ack_num: n(5),
                payload: vec![0, 0, 0, 2],
            },
        ),
    ];
    for (wire, frame) in cases {
        let wire = hex::decode(wire).unwrap();
        assert_eq!(
            Decoder::new().feed(&wire),
            vec![Ok(frame.clone())],
            "{}",
            hex::encode(&wire)
        );
        assert_eq!(encode(frame), wire);
    }
}

#[test]
fn randomization_sequence_matches_the_32_listed_bytes() {
    let listed =
        hex::decode("4221a8542a15b259944a25aa5592499c4e27abedce678bfdc66389fc7e3fa7eb").unwrap();
    let ours: Vec<u8> = randomization_sequence().take(32).collect();
    assert_eq!(ours, listed);
}

#[test]
fn unrandomized_doc_examples_have_the_documented_crc() {
    // enums.ts DATA(2,5,0) and DATA(5,3,0) before randomization: CRC over the bytes as shown.
    assert_eq!(
        frame::crc16_ccitt_false(&hex::decode("2500000002").unwrap()),
        0x1AAD
    );
    assert_eq!(
        frame::crc16_ccitt_false(&hex::decode("5300800002021130").unwrap()),
        0x6316
    );
}

#[test]
fn length_and_control_checks() {
    let body = |bytes: &[u8]| {
        let mut b = bytes.to_vec();
        b.extend(frame::crc16_ccitt_false(bytes).to_be_bytes());
        b
    };
    assert_eq!(decode(&[0xC0, 0x38]), Err(Error::TooShort { len: 2 }));
    assert_eq!(
        decode(&body(&[0xC0, 1])),
        Err(Error::BadLength {
            kind: "RST",
            len: 1
        })
    );
    assert_eq!(
        decode(&body(&[0xC1, 2])),
        Err(Error::BadLength {
            kind: "RSTACK",
            len: 1
        })
    );
    assert_eq!(
        decode(&body(&[0xC2, 2, 3, 4])),
        Err(Error::BadLength {
            kind: "ERROR",
            len: 3
        })
    );
    assert_eq!(
        decode(&body(&[0x81, 0])),
        Err(Error::BadLength {
            kind: "ACK",
            len: 1
        })
    );
    assert_eq!(
        decode(&body(&[0x00, 1, 2])),
        Err(Error::BadLength {
            kind: "DATA",
            len: 2
        })
    );
    // Reserved bit in ACK/NAK, and control bytes above ERROR.
    assert_eq!(decode(&body(&[0x91])), Err(Error::UnknownControl(0x91)));
    assert_eq!(decode(&body(&[0xB6])), Err(Error::UnknownControl(0xB6)));
    assert_eq!(decode(&body(&[0xC3])), Err(Error::UnknownControl(0xC3)));
    let long = body(&[0u8; 1 + frame::MAX_DATA_LEN + 1]);
    assert!(matches!(decode(&long), Err(Error::TooLong { .. })));
}

fn all_wire_bytes() -> Vec<u8> {
    fixtures().into_iter().flat_map(|f| f.wire).collect()
}

#[test]
fn stream_of_all_fixtures_byte_by_byte_equals_one_chunk() {
    let wire = all_wire_bytes();
    let whole = Decoder::new().feed(&wire);
    let mut d = Decoder::new();
    let bytewise: Vec<_> = wire.iter().filter_map(|&b| d.push(b)).collect();
    assert_eq!(whole.len(), 32);
    assert_eq!(bytewise, whole);
}

#[test]
fn cancel_discards_a_partial_frame() {
    // Half of RSTACK, CANCEL, then a whole RST.
    let mut d = Decoder::new();
    let out = d.feed(&hex::decode("c1020b1ac038bc7e").unwrap());
    assert_eq!(out, vec![Err(Error::Cancelled), Ok(Frame::Rst)]);
}

#[test]
fn substitute_marks_the_frame_bad_until_the_flag() {
    let mut d = Decoder::new();
    // RSTACK with a SUBSTITUTE after its version byte, then ACK(0).
    let out = d.feed(&[
        0xc1, 0x02, 0x18, 0x0b, 0x0a, 0x52, 0x7e, 0x80, 0x70, 0x78, 0x7e,
    ]);
    assert_eq!(
        out,
        vec![
            Err(Error::Substituted),
            Ok(Frame::Ack {
                ack_num: FrameNum::new(0),
                not_ready: false
            })
        ]
    );
}

#[test]
fn xon_xoff_inside_a_frame_are_ignored() {
    let out = Decoder::new().feed(&[0x11, 0xc1, 0x13, 0x02, 0x0b, 0x11, 0x0a, 0x52, 0x13, 0x7e]);
    assert_eq!(
        out,
        vec![Ok(Frame::RstAck {
            version: 2,
            code: ResetCode::SOFTWARE
        })]
    );
}

#[test]
fn garbage_and_overlong_frames_resync_at_the_next_flag() {
    let mut d = Decoder::new();
    let mut wire = vec![0x55; 10_000];
    wire.push(FLAG);
    wire.extend(hex::decode("8160597e").unwrap());
    let out = d.feed(&wire);
    assert_eq!(
        out,
        vec![
            Err(Error::TooLong {
                max: frame::MAX_BODY_LEN
            }),
            Ok(Frame::Ack {
                ack_num: FrameNum::new(1),
                not_ready: false
            })
        ]
    );
    // A cut frame (lost tail) merges with the next one and fails its CRC; the one after is fine.
    let out = d.feed(&hex::decode("0065a1a9602a8160597e8160597e").unwrap());
    assert!(matches!(out[0], Err(Error::Crc { .. })), "{out:?}");
    assert_eq!(
        out[1],
        Ok(Frame::Ack {
            ack_num: FrameNum::new(1),
            not_ready: false
        })
    );
    // Escape right before the flag.
    assert_eq!(
        d.feed(&[0x81, 0x7d, 0x7e]),
        vec![Err(Error::DanglingEscape)]
    );
    // Lone flags produce nothing.
    assert!(d.feed(&[0x7e, 0x7e, 0x7e]).is_empty());
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    let num = (0u8..8).prop_map(FrameNum::new);
    prop_oneof![
        (
            num.clone(),
            any::<bool>(),
            num.clone(),
            prop::collection::vec(any::<u8>(), 3..=220)
        )
            .prop_map(|(frm_num, re_tx, ack_num, payload)| Frame::Data {
                frm_num,
                re_tx,
                ack_num,
                payload
            }),
        (num.clone(), any::<bool>())
            .prop_map(|(ack_num, not_ready)| Frame::Ack { ack_num, not_ready }),
        (num, any::<bool>()).prop_map(|(ack_num, not_ready)| Frame::Nak { ack_num, not_ready }),
        Just(Frame::Rst),
        (any::<u8>(), any::<u8>()).prop_map(|(version, c)| Frame::RstAck {
            version,
            code: ResetCode(c)
        }),
        (any::<u8>(), any::<u8>()).prop_map(|(version, c)| Frame::Error {
            version,
            code: ResetCode(c)
        }),
    ]
}

proptest! {
    #[test]
    fn every_frame_type_round_trips(frame in arb_frame()) {
        prop_assert_eq!(decode(&encode_body(&frame)), Ok(frame.clone()));
        let wire = encode(&frame);
        // Stuffing leaves no reserved byte but the final flag.
        prop_assert!(wire[..wire.len() - 1]
            .iter()
            .all(|b| ![0x7e, 0x11, 0x13, 0x18, 0x1a].contains(b)));
        prop_assert_eq!(Decoder::new().feed(&wire), vec![Ok(frame)]);
    }

    #[test]
    fn random_chunking_yields_the_same_frames(
        frames in prop::collection::vec(arb_frame(), 0..8),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut wire = all_wire_bytes();
        for f in &frames {
            wire.extend(encode(f));
        }
        let whole = Decoder::new().feed(&wire);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        points.sort_unstable();
        let mut d = Decoder::new();
        let mut chunked = Vec::new();
        let mut start = 0;
        for p in points.into_iter().chain([wire.len()]) {
            chunked.extend(d.feed(&wire[start..p]));
            start = p;
        }
        prop_assert_eq!(chunked, whole);
    }

    #[test]
    fn garbage_never_panics_and_the_next_frame_after_a_flag_decodes(
        garbage in prop::collection::vec(any::<u8>(), 0..600),
        frame in arb_frame(),
    ) {
        let mut d = Decoder::new();
        let _ = d.feed(&garbage);
        let _ = decode(&garbage);
        let mut wire = vec![FLAG];
        wire.extend(encode(&frame));
        let out = d.feed(&wire);
        prop_assert_eq!(out.last(), Some(&Ok(frame)));
    }
}
