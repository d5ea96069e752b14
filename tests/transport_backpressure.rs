//! A client that never reads must not hold up the hub or the other clients: its queue fills,
//! it is closed as "too slow", and a client that keeps reading receives every frame, in
//! order. Real sockets and TLS on 127.0.0.1; the test counts frames and never looks at a
//! clock.

mod support;

use std::time::Duration;

use sealhub::transport::{Inbound, Limits, Outbound, ReadScope};
use support::id;
use support::transport::{frame, start};

/// Frames big enough that the socket buffers between the hub and the stalled client fill
/// after a few hundred of them.
const FRAME_LEN: usize = 60 * 1024;
/// An upper bound on the frames sent before the stalled client must have been cut off
/// (about 300 MB, far beyond any socket buffer on loopback).
const MAX_FRAMES: u32 = 5_000;

fn numbered(i: u32) -> Vec<u8> {
    let mut f = vec![(i % 251) as u8; FRAME_LEN];
    f[..4].copy_from_slice(&i.to_be_bytes());
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_is_cut_off_while_another_receives_every_frame() {
    let mut limits = Limits::default();
    limits.session_queue_frames = 8;
    // Long enough that the stalled client, once it reads, finds the close frame waiting.
    limits.close_grace = Duration::from_secs(600);
    let mut hub = start(limits).await;
    let (mut stalled, stalled_conn) = hub.connect("stalled").await;
    let (mut reader, reader_conn) = hub.connect("reader").await;
    for client in ["stalled", "reader"] {
        hub.scope(client, ReadScope::All).await;
    }

    let mut sent = 0;
    let mut cut_off = false;
    while sent < MAX_FRAMES {
        hub.send(Outbound::Broadcast {
            device: id("zb:lamp"),
            bytes: numbered(sent),
        })
        .await;
        // The reader keeps up, frame by frame, whatever happens to the stalled one.
        assert_eq!(frame(&mut reader).await, numbered(sent), "frame {sent}");
        sent += 1;
        match hub.inbound.try_recv() {
            Ok(Inbound::Closed { conn }) => {
                assert_eq!(conn, stalled_conn, "only the stalled session is closed");
                cut_off = true;
                break;
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => {}
        }
    }
    assert!(
        cut_off,
        "the stalled client was still open after {sent} frames"
    );
    assert_eq!(hub.counters.snapshot().too_slow, 1);

    // The reader goes on receiving after the cut-off.
    for i in sent..sent + 20 {
        hub.send(Outbound::Broadcast {
            device: id("zb:lamp"),
            bytes: numbered(i),
        })
        .await;
        assert_eq!(frame(&mut reader).await, numbered(i));
    }

    // The stalled client, reading at last, finds a gap-free prefix of what was sent, then the
    // close frame telling it to reconnect.
    let mut received = 0u32;
    let close = loop {
        match stalled.recv().await {
            Some(Ok(f)) => {
                assert_eq!(f, numbered(received), "stalled client's frame {received}");
                received += 1;
            }
            Some(Err(sealhub::transport::Error::Closed { code, reason })) => break (code, reason),
            other => panic!("expected frames then a close, got {other:?}"),
        }
    };
    assert_eq!(close, (1013, "too slow".to_owned()));
    assert!(received < sent, "it missed frames: {received} of {sent}");
    assert!(stalled.recv().await.is_none());

    // The reader's session was never touched.
    hub.send(Outbound::CloseConnection { conn: reader_conn })
        .await;
    assert_eq!(hub.next().await, Inbound::Closed { conn: reader_conn });
}
