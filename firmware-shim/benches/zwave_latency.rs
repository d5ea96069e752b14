//! The latency the host adds to one Z-Wave command, against the emulated controller on a pty
//! (docs/PERFORMANCE.md, "Z-Wave: host latency"). The same method as `zigbee_latency.rs`.
//!
//! Three things are timed, interleaved sample by sample so they see the same machine load:
//!
//! - **command**: `ZwaveStick::send_data(2, Binary Switch Set)` to the emulated switch, from the
//!   call to its return: API → driver task → Serial API encode → pty → emulator → pty → decode →
//!   caller. On the wire that is the SendData request, the stick's ACK and response, the host's
//!   ACK, the stick's SendData callback (transmit status), and the host's ACK of it.
//! - **serial** (baseline): the same exchange, byte for byte, through a bare pty pair between
//!   two tokio tasks: request → ACK + response, ACK → callback. The host side stops the clock
//!   when it has the callback's bytes. This is the part no host code can remove.
//! - **emulator**: the emulated controller's own work for the same exchange, in process (frame
//!   decoding, the controller, the switch, answer encoding). It is the stick's time on real
//!   hardware, so it is taken out.
//!
//! host-added = command − serial − emulator, per percentile (the difference of the percentiles,
//! not a percentile of differences). Printed, never asserted. A criterion group after them gives
//! back-to-back means. Without `--bench` (as under `cargo test --all-targets`) every loop runs
//! only a few iterations.
//!
//! Run: `cargo bench -p sealhub-firmware-shim --bench zwave_latency`

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatedController, EmulatorHandle, PtyConfig, SimNode, spawn_on_pty,
};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::{DriverConfig, ZwaveStick};
use sealhub_radios::zwave::serial::frame::{ACK, Frame, FrameDecoder, Received};
use sealhub_radios::zwave::serial::messages::HostMessage;
use sealhub_radios::zwave::serial::messages::transmit::{SendDataRequest, TransmitOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;
use tokio_serial::SerialStream;

const HOME_ID: u32 = 0xC0FF_EE42;
/// The emulated switch's node id (the first node added after the controller, 1).
const SWITCH: u8 = 2;
/// Binary Switch Set, on.
const SWITCH_ON: [u8; 3] = [0x25, 0x01, 0xFF];

fn request(callback_id: u8) -> Vec<u8> {
    HostMessage::SendData(SendDataRequest {
        node_id: SWITCH,
        data: SWITCH_ON.to_vec(),
        transmit_options: TransmitOptions::DEFAULT,
        callback_id,
    })
    .encode()
    .expect("encode SendData")
    .encode()
}

fn controller() -> EmulatedController {
    let mut stick = EmulatedController::new(ControllerConfig {
        home_id: HOME_ID,
        ..ControllerConfig::default()
    });
    let id = stick.add_node(SimNode::binary_switch());
    assert_eq!(id, SWITCH);
    stick
}

/// The emulated controller driven in process: its own share of one command.
struct EmulatorWork {
    stick: EmulatedController,
    callback_id: u8,
}

impl EmulatorWork {
    fn new() -> Self {
        Self {
            stick: controller(),
            callback_id: 0,
        }
    }

    /// One SendData exchange; returns the time spent in the emulator and what it wrote after
    /// the request and after the host's first ACK (the two answers the serial baseline mirrors).
    fn command(&mut self) -> (Duration, Vec<u8>, Vec<u8>) {
        self.callback_id = self.callback_id % 250 + 1;
        let wire = request(self.callback_id);
        let start = Instant::now();
        self.stick.on_bytes(&wire);
        let first = self.stick.take_output();
        self.stick.on_bytes(&[ACK]);
        let second = self.stick.take_output();
        self.stick.on_bytes(&[ACK]);
        let rest = self.stick.take_output();
        let spent = start.elapsed();
        assert!(rest.is_empty(), "nothing after the callback for a Set");
        (spent, first, second)
    }
}

/// Splits emulator output into frames, to check the exchange is what the baseline mirrors.
fn frames(bytes: &[u8]) -> Vec<Frame> {
    FrameDecoder::new()
        .push(bytes)
        .into_iter()
        .filter_map(|r| match r {
            Received::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// The bare pty exchange: request → ACK + response, ACK → callback, ACK.
struct SerialLoop {
    host: SerialStream,
    request: Vec<u8>,
    first_len: usize,
    second_len: usize,
    buf: Vec<u8>,
    _stick: tokio::task::JoinHandle<()>,
}

impl SerialLoop {
    fn new(request: Vec<u8>, first: Vec<u8>, second: Vec<u8>) -> Self {
        let (mut stick, host) = SerialStream::pair().expect("pty pair");
        let request_len = request.len();
        let (first_len, second_len) = (first.len(), second.len());
        // Counts bytes across reads: back to back, the host's last ACK and its next request
        // can arrive in one read.
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 256];
            let mut pending = 0usize;
            let mut phase = 0u8;
            loop {
                match stick.read(&mut buf).await {
                    Ok(n) if n > 0 => pending += n,
                    _ => return,
                }
                loop {
                    match phase {
                        0 if pending >= request_len => {
                            pending -= request_len;
                            if stick.write_all(&first).await.is_err() {
                                return;
                            }
                            phase = 1;
                        }
                        1 if pending >= 1 => {
                            pending -= 1;
                            if stick.write_all(&second).await.is_err() {
                                return;
                            }
                            phase = 2;
                        }
                        2 if pending >= 1 => {
                            pending -= 1;
                            phase = 0;
                        }
                        _ => break,
                    }
                }
            }
        });
        Self {
            host,
            request,
            first_len,
            second_len,
            buf: vec![0; 256],
            _stick: task,
        }
    }

    async fn read(&mut self, len: usize) {
        let mut got = 0;
        while got < len {
            got += self.host.read(&mut self.buf).await.expect("read");
        }
    }

    async fn round_trip(&mut self) -> Duration {
        let start = Instant::now();
        self.host.write_all(&self.request).await.expect("write");
        self.read(self.first_len).await;
        self.host.write_all(&[ACK]).await.expect("write");
        self.read(self.second_len).await;
        let spent = start.elapsed();
        self.host.write_all(&[ACK]).await.expect("write");
        spent
    }
}

async fn open_started(dir: &Path) -> (EmulatorHandle, ZwaveStick) {
    let config = PtyConfig {
        controller: ControllerConfig {
            home_id: HOME_ID,
            ..ControllerConfig::default()
        },
        ..PtyConfig::new(dir.join("zwave-stick"))
    };
    let (path, emu) = spawn_on_pty(config).await.expect("emulator on a pty");
    emu.with_stick(|s| s.add_node(SimNode::binary_switch()));
    let (stick, events) = ZwaveStick::open_with(PortConfig::new(&path), DriverConfig::default())
        .await
        .expect("driver opens the pty");
    // Events are not read here; the driver drops them once the channel is full.
    drop(events);
    tokio::time::timeout(Duration::from_secs(30), stick.start())
        .await
        .expect("start-up does not hang")
        .expect("start-up succeeds");
    (emu, stick)
}

async fn send(stick: &ZwaveStick) {
    stick
        .send_data(u16::from(SWITCH), SWITCH_ON.to_vec())
        .await
        .expect("the switch acknowledges");
}

/// Interleaved samples of the three series; prints the table (no assertion).
async fn study(
    samples: usize,
    stick: &ZwaveStick,
    serial: &mut SerialLoop,
    emulator: &mut EmulatorWork,
) {
    let mut command = Vec::with_capacity(samples);
    let mut wire = Vec::with_capacity(samples);
    let mut ncp = Vec::with_capacity(samples);
    for _ in 0..samples {
        // A pause before each, so every command starts from an idle runtime, as in use.
        tokio::time::sleep(Duration::from_millis(1)).await;
        let start = Instant::now();
        send(stick).await;
        command.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(1)).await;
        wire.push(serial.round_trip().await);
        ncp.push(emulator.command().0);
    }
    common::print_study(
        &format!("Z-Wave send_data to the emulated switch ({samples} samples each, µs)"),
        [
            "command: send_data(Binary Switch Set)",
            "baseline: serial (pty exchange)",
            "emulator's own work",
        ],
        command,
        wire,
        ncp,
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let samples = if full { 2000 } else { 5 };
    let rt = Runtime::new().expect("tokio runtime");
    let dir = tempfile::tempdir().expect("tmp");

    // The exchange as the emulator writes it: ACK + SendData response, then the callback.
    let mut emulator = EmulatorWork::new();
    let (_, first, second) = emulator.command();
    assert!(matches!(
        frames(&first).as_slice(),
        [Frame::Ack, Frame::Data(_)]
    ));
    assert!(matches!(frames(&second).as_slice(), [Frame::Data(_)]));
    let req = request(1);
    println!(
        "SendData: request {} wire bytes, ACK + response {}, callback {} (+ two 1-byte ACKs)",
        req.len(),
        first.len(),
        second.len()
    );
    let (emu, stick, mut serial) = rt.block_on(async {
        let (emu, stick) = open_started(dir.path()).await;
        (emu, stick, SerialLoop::new(req, first, second))
    });

    rt.block_on(async {
        for _ in 0..samples.min(200) {
            send(&stick).await;
            serial.round_trip().await;
            emulator.command();
        }
        study(samples, &stick, &mut serial, &mut emulator).await;
        let stats = emu.with_stick(|s| s.link_stats());
        println!("link: {stats:?}");
    });

    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut g = c.benchmark_group("zwave latency");
    g.bench_function("baseline: serial (pty exchange)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += serial.round_trip().await;
                }
                total
            })
        })
    });
    g.bench_function("command: send_data(Binary Switch Set)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    send(&stick).await;
                }
                start.elapsed()
            })
        })
    });
    g.finish();
    c.final_summary();
    drop(stick);
    drop(emu);
}
