//! The Z-Wave Serial API on hostile port bytes: the streaming `FrameDecoder` cut into chunks as a
//! UART driver would hand them over, then stage two (`HostMessage` / `StickMessage`) on every data
//! frame it yields. No panic; the same frames whatever the chunking; every data frame re-encodes to
//! exactly the bytes it was read from and decodes again to itself; and whatever stage two decodes
//! re-encodes to exactly that frame (the messages module's `encode`/`decode` mirror, which
//! `tests/zwave_serial.rs` checks the same way on short payloads).
//!
//! Input: `sizes data..`. The chunk lengths alternate between `1 + (sizes & 0x0F)` and
//! `1 + (sizes >> 4)`, so one byte covers byte-at-a-time feeding, mixed sizes and long chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zwave::serial::frame::{DataFrame, Frame, FrameDecoder, Received};
use sealhub_radios::zwave::serial::messages::capabilities::SupportedCommandsEncoding;
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};

/// What the decoder produced apart from garbage counts (whose split depends on the chunking:
/// each `push` reports the garbage it skipped), and the total garbage.
fn split(items: Vec<Received>) -> (Vec<Received>, usize) {
    let mut kept = Vec::new();
    let mut garbage = 0;
    for item in items {
        match item {
            Received::Garbage(n) => {
                assert!(n > 0, "an empty garbage report");
                garbage += n;
            }
            other => kept.push(other),
        }
    }
    (kept, garbage)
}

fn stage_two(frame: &DataFrame) {
    if let Ok(message) = HostMessage::decode(frame) {
        let again = message.encode().expect("a decoded host message re-encodes");
        assert_eq!(&again, frame, "host message not canonical: {message:?}");
        let _ = (message.expects_response(), message.callback_id());
        assert_eq!(message.function(), frame.function());
    }
    if let Ok(message) = StickMessage::decode(frame) {
        let again = message
            .encode()
            .expect("a decoded stick message re-encodes");
        assert_eq!(&again, frame, "stick message not canonical: {message:?}");
        // The helpers the driver calls on what the stick sent.
        match &message {
            StickMessage::SerialApiInitData(d) => {
                let _ = d.node_ids();
            }
            StickMessage::SerialApiCapabilities(c) => {
                let _ = (0..=u8::MAX).filter(|f| c.supports(*f)).count();
            }
            StickMessage::SerialApiSetup(s) => {
                let _ = s.supported_commands(SupportedCommandsEncoding::Before7_19_1);
                let _ = s.supported_commands(SupportedCommandsEncoding::Since7_19_1);
            }
            StickMessage::ApplicationCommand(a) => {
                let _ = a.rssi();
            }
            StickMessage::SendDataCallback(c) => {
                let _ = c.transmit_ticks();
            }
            _ => {}
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&sizes, data)) = input.split_first() else {
        return;
    };
    let lengths = [1 + usize::from(sizes & 0x0F), 1 + usize::from(sizes >> 4)];

    let mut decoder = FrameDecoder::new();
    let mut chunked = Vec::new();
    let mut rest = data;
    for &len in lengths.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        chunked.extend(decoder.push(chunk));
        rest = tail;
    }

    // Byte at a time, noting where each frame ends, to check it against the bytes it came from.
    let mut bytewise = FrameDecoder::new();
    let mut ends = Vec::new();
    let mut all = Vec::new();
    for (i, byte) in data.iter().enumerate() {
        for item in bytewise.push(std::slice::from_ref(byte)) {
            if !matches!(item, Received::Garbage(_)) {
                ends.push(i);
            }
            all.push(item);
        }
    }

    // Chunking must not change what comes out.
    let (chunked, chunked_garbage) = split(chunked);
    let (items, garbage) = split(all);
    assert_eq!(
        chunked, items,
        "chunk sizes {lengths:?} changed the decoded frames"
    );
    assert_eq!(chunked_garbage, garbage);
    assert_eq!(decoder.in_frame(), bytewise.in_frame());
    assert_eq!(decoder.frames_started(), bytewise.frames_started());

    for (item, end) in items.iter().zip(ends) {
        match item {
            Received::Frame(Frame::Data(frame)) => {
                let wire = frame.encode();
                let start = (end + 1)
                    .checked_sub(wire.len())
                    .expect("a frame longer than the bytes before its end");
                assert_eq!(
                    data.get(start..=end),
                    Some(&wire[..]),
                    "{frame:?} did not come from the bytes it re-encodes to"
                );
                assert_eq!(DataFrame::decode(&wire).as_ref(), Ok(frame));
                assert_eq!(Frame::decode(&wire), Ok(Frame::Data(frame.clone())));
                let mut fresh = FrameDecoder::new();
                assert_eq!(
                    fresh.push(&wire),
                    vec![Received::Frame(Frame::Data(frame.clone()))]
                );
                assert!(!fresh.in_frame());
                stage_two(frame);
            }
            Received::Frame(control) => {
                assert_eq!(data.get(end..=end), Some(&control.encode()[..]));
            }
            Received::Corrupt(_) | Received::Garbage(_) => {}
        }
    }

    // The one-frame parsers on the whole input: what parses is in its one encoding.
    if let Ok(frame) = DataFrame::decode(data) {
        assert_eq!(frame.encode(), data);
        stage_two(&frame);
    }
    if let Ok(frame) = Frame::decode(data) {
        assert_eq!(frame.encode(), data);
    }
});
