//! The gateway task with tokio's paused time and fake sticks: a device that joins is
//! interviewed and keyed through the task, a client's command runs through the device's own
//! executor and its answer reaches the client, each device runs one op at a time while devices
//! run side by side, a failed op stops the rest, and a radio that never answers is timed out
//! by the tick.

#[path = "../../../tests/support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sealhub::definitions::Definitions;
use sealhub::gateway::ZigbeeOp;
use sealhub::gateway::core::{Delivery, GatewayConfig, OpFailure, OpOutput, Output};
use sealhub::model::{Action, Attribute, Event, Failure, Response, Role};
use sealhub::transport::{Inbound, Outbound};
use sealhub_radios::zigbee::driver::{DeviceDescription, JoinKind, NetworkInfo, RadioEvent};
use sealhub_radios::zigbee::zcl::Value;
use sealhub_radios::zwave::cc::CommandClassFrame;
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

use super::{FromRadio, GatewayParts, PairingHandler, ZigbeeRadio, ZwaveRadio, ZwaveSent, run};
use super::{Job, REPORT_PACE, asks_for_report, execute, report_or_pause};
use crate::runtime::TaskLink;
use support::*;

/// The core's delivery a transport request carries (the tests' phone reads deliveries).
fn delivery(out: Outbound) -> Delivery {
    match out {
        Outbound::ToConnection { conn, bytes } => Delivery::ToConnection { conn, bytes },
        Outbound::ToClient { client, bytes } => Delivery::ToClient { client, bytes },
        Outbound::Broadcast { device, bytes } => Delivery::Broadcast { device, bytes },
        Outbound::SetReadScope { client, .. } => Delivery::SetReadScope {
            client,
            scope: sealhub::gateway::core::ReadScope::Nothing,
        },
        Outbound::CloseClient { client } => Delivery::CloseClient { client },
        other => panic!("the gateway asked the transport for {other:?}"),
    }
}

/// Longer than anything here takes in (paused) time; a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(600);
/// How long each fake op takes.
const OP_TIME: Duration = Duration::from_millis(400);

/// What the fake stick does with cluster commands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Commands {
    Succeed,
    Fail,
    Hang,
}

/// A Zigbee stick whose devices answer after [`OP_TIME`]; it notes when each op starts and ends.
struct FakeZigbee {
    log: Mutex<Vec<(u16, &'static str)>>,
    commands: Commands,
}

impl FakeZigbee {
    fn new(commands: Commands) -> Arc<FakeZigbee> {
        Arc::new(FakeZigbee {
            log: Mutex::new(Vec::new()),
            commands,
        })
    }

    fn log(&self) -> Vec<(u16, &'static str)> {
        self.log.lock().expect("log").clone()
    }

    fn note(&self, node: u16, what: &'static str) {
        self.log.lock().expect("log").push((node, what));
    }
}

impl ZigbeeRadio for FakeZigbee {
    async fn run_op(&self, node_id: u16, op: ZigbeeOp) -> Result<OpOutput, OpFailure> {
        let kind = match &op {
            ZigbeeOp::Command { .. } => "command",
            ZigbeeOp::Read { .. } => "read",
            ZigbeeOp::Bind { .. } => "bind",
            _ => "other",
        };
        self.note(node_id, kind);
        if kind == "command" && self.commands == Commands::Hang {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(OP_TIME).await;
        self.note(node_id, "end");
        if kind == "command" && self.commands == Commands::Fail {
            return Err(OpFailure::new(Failure::Unreachable, "no APS ack"));
        }
        Ok(match op {
            ZigbeeOp::Read {
                endpoint, cluster, ..
            } => OpOutput::Read {
                endpoint,
                cluster,
                attributes: vec![(0, Value::Boolean(1))],
            },
            _ => OpOutput::Done,
        })
    }

    async fn interview(&self, node_id: u16) -> Result<DeviceDescription, String> {
        tokio::time::sleep(OP_TIME).await;
        Ok(zigbee_description(node_id, &[(1, &[ON_OFF])], Some("Lamp")))
    }

    async fn permit_join(&self, _seconds: u8) -> Result<(), OpFailure> {
        Ok(())
    }

    async fn remove(&self, _node_id: u16, _eui64: u64) -> Result<(), OpFailure> {
        Ok(())
    }
}

/// No Z-Wave stick is used here.
struct NoZwave;

impl ZwaveRadio for NoZwave {
    async fn submit(
        &self,
        node: u16,
        _endpoint: u8,
        _command: CommandClassFrame,
    ) -> Result<ZwaveSent, OpFailure> {
        Err(OpFailure::new(
            Failure::RadioUnavailable,
            format!("no node {node}"),
        ))
    }

    async fn include(&self, _pin: Option<u16>) -> Result<(), OpFailure> {
        Ok(())
    }

    async fn exclude(&self) -> Result<(), OpFailure> {
        Ok(())
    }

    async fn stop(&self) -> Result<(), OpFailure> {
        Ok(())
    }
}

/// The task running on a fresh home with an owner's phone, and the fake stick up.
struct Running {
    _dir: tempfile::TempDir,
    radios: mpsc::Sender<FromRadio<FakeZigbee, NoZwave>>,
    clients: mpsc::Sender<Inbound>,
    deliveries: mpsc::Receiver<Outbound>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    phone: Phone,
}

impl Running {
    async fn start(stick: Arc<FakeZigbee>) -> Running {
        Running::start_with(stick, None).await
    }

    async fn start_with(
        stick: Arc<FakeZigbee>,
        pairing: Option<Box<dyn PairingHandler>>,
    ) -> Running {
        let dir = support::tempdir();
        let (mut home, store) = open_home(dir.path());
        let phone = pair_phone(
            &mut home,
            "owner",
            sealhub::gateway::core::permissions::permissions_of(Role::Owner),
            None,
        );
        let (radios, radios_rx) = mpsc::channel(16);
        let (clients, clients_rx) = mpsc::channel(16);
        let (deliveries_tx, deliveries) = mpsc::channel(64);
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(
            GatewayParts {
                home,
                store,
                definitions: Definitions::default(),
                translation: Box::new(FakeTranslation),
                config: GatewayConfig::default(),
                radios: radios_rx,
                clients: clients_rx,
                deliveries: deliveries_tx,
                pairing,
                tls_fingerprint: FINGERPRINT,
            },
            TaskLink {
                stop: stop_rx,
                first_attempt: None,
            },
        ));
        radios
            .send(FromRadio::ZigbeeUp {
                radio: stick,
                network: NetworkInfo {
                    channel: 15,
                    pan_id: 0x1A62,
                    extended_pan_id: 1,
                    eui64: HUB_EUI64,
                    node_id: 0,
                },
            })
            .await
            .expect("task takes radio messages");
        Running {
            _dir: dir,
            radios,
            clients,
            deliveries,
            stop,
            task,
            phone,
        }
    }

    /// Hands deliveries to the phone until `until` holds for what it got so far.
    async fn receive(&mut self, until: impl Fn(&Received) -> bool) -> Received {
        let mut all = Received::default();
        timeout(PATIENCE, async {
            while !until(&all) {
                let out = self.deliveries.recv().await.expect("the task delivers");
                let got = self.phone.take(&[Output::Deliver(delivery(out))]);
                all.responses.extend(got.responses);
                all.events.extend(got.events);
                all.key_distributions += got.key_distributions;
                all.refused.extend(got.refused);
            }
        })
        .await
        .expect("the deliveries came");
        all
    }

    /// A lamp joins at `node_id`; returns its id once the phone has its description.
    async fn join(&mut self, eui64: u64, node_id: u16) -> sealhub::envelope::DeviceId {
        self.radios
            .send(FromRadio::Zigbee(RadioEvent::DeviceJoined {
                eui64,
                node_id,
                kind: JoinKind::Fresh,
            }))
            .await
            .expect("sent");
        let lamp = sealhub::model::zigbee_device_id(eui64);
        let got = self
            .receive(|r| {
                r.events
                    .iter()
                    .any(|(o, e)| o.route.device == lamp && matches!(e, Event::Described(_)))
            })
            .await;
        assert!(got.refused.is_empty(), "{:?}", got.refused);
        lamp
    }

    async fn command(&mut self, device: &sealhub::envelope::DeviceId, action: Action) {
        let bytes = self.phone.seal(device, &device_command(1, action));
        self.clients
            .send(Inbound::Envelope {
                conn: self.phone.conn,
                // The core reads the route again itself; the transport's copy is a hint.
                route: sealhub::envelope::Route {
                    home: sealhub::identity::Kid([0; 8]),
                    device: device.clone(),
                    msg_type: sealhub::envelope::MessageType::Command,
                    epoch: 0,
                },
                bytes,
            })
            .await
            .expect("sent");
    }

    /// The first request for the transport that `wanted` picks, skipping the others.
    async fn next_out<T>(&mut self, wanted: impl Fn(Outbound) -> Option<T>) -> T {
        timeout(PATIENCE, async {
            loop {
                let out = self.deliveries.recv().await.expect("the task delivers");
                if let Some(t) = wanted(out) {
                    return t;
                }
            }
        })
        .await
        .expect("the request came")
    }

    async fn hand_up(&self, inbound: Inbound) {
        self.clients.send(inbound).await.expect("sent");
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        timeout(PATIENCE, self.task)
            .await
            .expect("the task stops")
            .expect("no panic");
    }
}

#[tokio::test(start_paused = true)]
async fn a_device_joins_through_the_task_and_a_clients_command_reaches_it_and_back() {
    let stick = FakeZigbee::new(Commands::Succeed);
    let mut hub = Running::start(stick.clone()).await;
    let lamp = hub.join(0x00AA_0000_0000_0001, 0x1111).await;
    hub.command(&lamp, Action::TurnOn).await;
    let got = hub.receive(|r| !r.responses.is_empty()).await;
    assert_eq!(
        got.responses[0].1,
        Response::Done {
            endpoint: 1,
            state: vec![Attribute::OnOff(true)]
        }
    );
    // The set-up bind, then the command and the read of the new state, in that order.
    let ops: Vec<&str> = stick
        .log()
        .into_iter()
        .filter(|(_, w)| *w != "end")
        .map(|(_, w)| w)
        .collect();
    assert_eq!(ops, ["bind", "command", "read"]);
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn each_device_runs_one_op_at_a_time_and_devices_run_side_by_side() {
    let stick = FakeZigbee::new(Commands::Succeed);
    let mut hub = Running::start(stick.clone()).await;
    let a = hub.join(0x00AA_0000_0000_0001, 0x1111).await;
    let b = hub.join(0x00AA_0000_0000_0002, 0x2222).await;
    hub.command(&a, Action::TurnOn).await;
    hub.command(&b, Action::TurnOn).await;
    hub.command(&a, Action::TurnOff).await;
    hub.receive(|r| r.responses.len() == 3).await;
    let log = stick.log();
    for node in [0x1111, 0x2222] {
        let mine: Vec<&str> = log
            .iter()
            .filter(|(n, _)| *n == node)
            .map(|(_, w)| *w)
            .collect();
        // Each op ends before the next one of the same device starts.
        for pair in mine.chunks(2) {
            assert_eq!(pair.len(), 2, "{node:#x}: {mine:?}");
            assert_eq!(pair[1], "end", "{node:#x}: {mine:?}");
        }
    }
    // While one device's op runs, the other device's op starts too.
    let overlapped = log
        .windows(2)
        .any(|w| w[0].1 != "end" && w[1].1 != "end" && w[0].0 != w[1].0);
    assert!(overlapped, "{log:?}");
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_op_stops_the_rest_and_the_client_hears_why() {
    let stick = FakeZigbee::new(Commands::Fail);
    let mut hub = Running::start(stick.clone()).await;
    let lamp = hub.join(0x00AA_0000_0000_0001, 0x1111).await;
    hub.command(&lamp, Action::TurnOn).await;
    let got = hub.receive(|r| !r.responses.is_empty()).await;
    assert!(
        matches!(
            &got.responses[0].1,
            Response::Failed { failure: Failure::Unreachable, message } if message.contains("did not answer")
        ),
        "{got:?}"
    );
    assert!(
        !stick.log().iter().any(|(_, w)| *w == "read"),
        "the read after the failed command never ran: {:?}",
        stick.log()
    );
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_radio_that_never_answers_is_timed_out_by_the_tick() {
    let stick = FakeZigbee::new(Commands::Hang);
    let mut hub = Running::start(stick.clone()).await;
    let lamp = hub.join(0x00AA_0000_0000_0001, 0x1111).await;
    let sent = tokio::time::Instant::now();
    hub.command(&lamp, Action::TurnOn).await;
    let got = hub.receive(|r| !r.responses.is_empty()).await;
    assert_eq!(got.responses[0].1, Response::TimedOut);
    assert!(sent.elapsed() >= GatewayConfig::default().command_timeout);
    hub.stop().await;
}

/// The TLS fingerprint the task is given.
const FINGERPRINT: [u8; 32] = [0x5E; 32];

#[tokio::test(start_paused = true)]
async fn a_known_client_that_connects_gets_a_fresh_key_distribution_on_that_session() {
    let stick = FakeZigbee::new(Commands::Succeed);
    let mut hub = Running::start(stick).await;
    // A device is keyed while the phone is away: the redistribution is not taken.
    hub.join(0x00AA_0000_0000_0001, 0x1111).await;
    // A session claiming an unknown client gets nothing; the phone's own session gets its
    // key distribution, sealed to it.
    hub.hand_up(Inbound::Connected {
        conn: 900,
        client: Some(sealhub::envelope::DeviceId::new("stranger").expect("id")),
    })
    .await;
    hub.hand_up(Inbound::Connected {
        conn: 901,
        client: Some(hub.phone.id.clone()),
    })
    .await;
    let (conn, bytes) = hub
        .next_out(|o| match o {
            Outbound::ToConnection { conn, bytes } => Some((conn, bytes)),
            _ => None,
        })
        .await;
    assert_eq!(conn, 901, "only the known client's session is answered");
    let opened = hub
        .phone
        .client
        .open(&bytes)
        .expect("a key distribution for the phone");
    assert_eq!(
        opened.route.msg_type,
        sealhub::envelope::MessageType::KeyDistribution
    );
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_pairing_frame_without_pairing_closes_that_session() {
    let stick = FakeZigbee::new(Commands::Succeed);
    let mut hub = Running::start(stick).await;
    hub.hand_up(Inbound::Connected {
        conn: 7,
        client: None,
    })
    .await;
    hub.hand_up(Inbound::Pairing {
        conn: 7,
        bytes: vec![1, 2, 3],
    })
    .await;
    let closed = hub
        .next_out(|o| match o {
            Outbound::CloseConnection { conn } => Some(conn),
            _ => None,
        })
        .await;
    assert_eq!(closed, 7);
    hub.stop().await;
}

/// A pairing handler that pairs a client named "guest" on its first frame and echoes frames.
struct PairsAGuest {
    seen: Arc<Mutex<Vec<String>>>,
}

impl PairingHandler for PairsAGuest {
    fn on_frame(
        &mut self,
        home: &mut sealhub::keymgmt::Home,
        tls_fingerprint: [u8; 32],
        conn: u64,
        frame: &[u8],
        _now: std::time::Instant,
    ) -> Vec<Outbound> {
        assert_eq!(tls_fingerprint, FINGERPRINT);
        self.seen
            .lock()
            .expect("lock")
            .push(format!("frame {conn}"));
        let keys = sealhub::keymgmt::ClientKeys::generate().expect("rng");
        home.pair_client(
            &sealhub::envelope::DeviceId::new("guest").expect("id"),
            keys.public(),
            sealhub::gateway::core::permissions::permissions_of(Role::Guest),
            None,
        )
        .expect("pairs");
        vec![Outbound::ToConnection {
            conn,
            bytes: frame.to_vec(),
        }]
    }

    fn on_closed(&mut self, conn: u64) {
        self.seen
            .lock()
            .expect("lock")
            .push(format!("closed {conn}"));
    }
}

#[tokio::test(start_paused = true)]
async fn pairing_frames_reach_the_handler_and_a_paired_client_gets_its_read_scope() {
    let stick = FakeZigbee::new(Commands::Succeed);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut hub =
        Running::start_with(stick, Some(Box::new(PairsAGuest { seen: seen.clone() }))).await;
    hub.hand_up(Inbound::Pairing {
        conn: 5,
        bytes: vec![9, 9],
    })
    .await;
    let echoed = hub
        .next_out(|o| match o {
            Outbound::ToConnection { conn: 5, bytes } => Some(bytes),
            _ => None,
        })
        .await;
    assert_eq!(echoed, [9, 9]);
    // The core was told clients changed: the new client's read scope goes out.
    let guest = sealhub::envelope::DeviceId::new("guest").expect("id");
    let scope = hub
        .next_out(|o| match o {
            Outbound::SetReadScope { client, scope } if client == guest => Some(scope),
            _ => None,
        })
        .await;
    assert_eq!(scope, sealhub::transport::ReadScope::All);
    hub.hand_up(Inbound::Closed { conn: 5 }).await;
    // The handler hears of the close (before stopping, which the task may see first).
    timeout(PATIENCE, async {
        while seen.lock().expect("lock").len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the handler heard of the close");
    hub.stop().await;
    assert_eq!(*seen.lock().expect("lock"), ["frame 5", "closed 5"]);
}

#[test]
fn only_a_get_waits_for_its_report() {
    use sealhub_radios::zwave::cc::{BinarySwitch, DoorLock};
    assert!(asks_for_report(&CommandClassFrame::BinarySwitch(
        BinarySwitch::Get
    )));
    assert!(asks_for_report(&CommandClassFrame::DoorLock(
        DoorLock::OperationGet
    )));
    assert!(!asks_for_report(&CommandClassFrame::BinarySwitch(
        BinarySwitch::Set {
            value: 0xFF,
            duration: None
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn the_next_op_goes_once_that_node_reported_and_no_later() {
    let (reports, heard) = tokio::sync::broadcast::channel(8);
    let started = tokio::time::Instant::now();
    let waiting = tokio::spawn(report_or_pause(heard, 6));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another node's report does not end the wait; node 6's does.
    reports.send(5).expect("listened");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "went on after another node's report"
    );
    reports.send(6).expect("listened");
    waiting.await.expect("no panic");
    assert_eq!(started.elapsed(), Duration::from_millis(600));
}

#[tokio::test(start_paused = true)]
async fn without_a_report_the_next_op_goes_after_the_pace() {
    let (_reports, heard) = tokio::sync::broadcast::channel::<u16>(8);
    let started = tokio::time::Instant::now();
    report_or_pause(heard, 6).await;
    assert_eq!(started.elapsed(), REPORT_PACE);
}

/// A Z-Wave stick that takes every command and notes when it was sent to which node.
#[derive(Default)]
struct RecordingZwave {
    sent: Mutex<Vec<(u16, CommandClassFrame, tokio::time::Instant)>>,
}

impl RecordingZwave {
    fn sent(&self) -> Vec<(u16, CommandClassFrame, tokio::time::Instant)> {
        self.sent.lock().expect("lock").clone()
    }
}

impl ZwaveRadio for RecordingZwave {
    async fn submit(
        &self,
        node: u16,
        _endpoint: u8,
        command: CommandClassFrame,
    ) -> Result<ZwaveSent, OpFailure> {
        self.sent
            .lock()
            .expect("lock")
            .push((node, command, tokio::time::Instant::now()));
        Ok(ZwaveSent::Done)
    }

    async fn include(&self, _pin: Option<u16>) -> Result<(), OpFailure> {
        Ok(())
    }

    async fn exclude(&self) -> Result<(), OpFailure> {
        Ok(())
    }

    async fn stop(&self) -> Result<(), OpFailure> {
        Ok(())
    }
}

/// One device's executor with a recording stick: its job queue, its results and the reports'
/// broadcast.
struct RecordingExecutor {
    radio: Arc<RecordingZwave>,
    jobs: mpsc::UnboundedSender<Job<FakeZigbee, RecordingZwave>>,
    results: mpsc::UnboundedReceiver<(
        sealhub::gateway::core::Ticket,
        sealhub::gateway::core::RadioOutcome,
    )>,
    reports: tokio::sync::broadcast::Sender<u16>,
}

fn recording_executor() -> RecordingExecutor {
    let (jobs, queue) = mpsc::unbounded_channel();
    let (done, results) = mpsc::unbounded_channel();
    let (reports, _) = tokio::sync::broadcast::channel(8);
    tokio::spawn(execute(
        queue,
        done,
        Duration::from_secs(60),
        reports.clone(),
    ));
    RecordingExecutor {
        radio: Arc::new(RecordingZwave::default()),
        jobs,
        results,
        reports,
    }
}

fn lock_job(
    radio: &Arc<RecordingZwave>,
    ticket: u64,
    command: CommandClassFrame,
) -> Job<FakeZigbee, RecordingZwave> {
    Job::Zwave {
        ticket: sealhub::gateway::core::Ticket(ticket),
        radio: Arc::clone(radio),
        node: 6,
        ops: vec![sealhub::gateway::ZwaveOp::Send {
            endpoint: 0,
            command,
        }],
    }
}

/// Behaviour: a job to a Z-Wave node that ended with a Get (the device's set-up reads) is over
/// at the node's acknowledgement, but the next job to that node (a client's command) waits for
/// the node's report before its first frame, as the next op of the same job would: sent at
/// once, it would cross the encrypted report on the same SPAN and be lost.
#[tokio::test(start_paused = true)]
async fn a_job_after_one_that_ended_with_a_get_waits_for_that_report() {
    use sealhub_radios::zwave::cc::DoorLock;
    let RecordingExecutor {
        radio,
        jobs,
        mut results,
        reports,
    } = recording_executor();
    let get = CommandClassFrame::DoorLock(DoorLock::OperationGet);
    let set = CommandClassFrame::DoorLock(DoorLock::OperationSet { mode: 0 });
    let _ = jobs.send(lock_job(&radio, 1, get.clone()));
    results.recv().await.expect("the set-up read is done");
    let _ = jobs.send(lock_job(&radio, 2, set.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(radio.sent().len(), 1, "the Set waits for the lock's report");
    // Another node's report is not the one.
    reports.send(5).expect("listened");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(radio.sent().len(), 1, "went on after another node's report");
    reports.send(6).expect("listened");
    results.recv().await.expect("the command is done");
    let sent = radio.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].1.clone(), sent[1].1.clone()), (get, set));
    assert_eq!(sent[1].2 - sent[0].2, Duration::from_millis(600));
}

/// Behaviour: when the report came before the next job, or the job ended with a Set, the next
/// job goes at once; a report that never comes holds it at most `REPORT_PACE`.
#[tokio::test(start_paused = true)]
async fn a_job_goes_at_once_when_nothing_is_awaited_and_at_most_the_pace_otherwise() {
    use sealhub_radios::zwave::cc::DoorLock;
    let RecordingExecutor {
        radio,
        jobs,
        mut results,
        reports,
    } = recording_executor();
    let get = || CommandClassFrame::DoorLock(DoorLock::OperationGet);
    let set = |mode| CommandClassFrame::DoorLock(DoorLock::OperationSet { mode });
    let _ = jobs.send(lock_job(&radio, 1, get()));
    results.recv().await.expect("done");
    reports.send(6).expect("listened");
    let _ = jobs.send(lock_job(&radio, 2, set(0)));
    results.recv().await.expect("done");
    let _ = jobs.send(lock_job(&radio, 3, set(0xFF)));
    results.recv().await.expect("done");
    let times: Vec<_> = radio.sent().iter().map(|s| s.2).collect();
    assert_eq!(times[1], times[0], "the report was heard already");
    assert_eq!(times[2], times[1], "a Set awaits no report");
    // A Get whose report never comes: the next job goes after the pace.
    let _ = jobs.send(lock_job(&radio, 4, get()));
    results.recv().await.expect("done");
    let _ = jobs.send(lock_job(&radio, 5, set(0)));
    results.recv().await.expect("done");
    let times: Vec<_> = radio.sent().iter().map(|s| s.2).collect();
    assert_eq!(times[4] - times[3], REPORT_PACE);
}
