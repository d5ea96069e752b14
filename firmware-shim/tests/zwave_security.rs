//! Z-Wave security end to end over real ptys: the driver (`sealhub_radios::zwave::driver`)
//! includes the emulator's secure nodes (`firmware_shim::zwave_controller::nodes::secure`),
//! bootstrapping S2 or S0 with them through the emulated controller, then talks to them under
//! their class. The nodes are written apart from the driver's security layer; they share only
//! the crypto and the typestates' joiner side.
//!
//! Every wait is bounded (`tokio::time::timeout`), so a regression fails instead of hanging;
//! the bounds and the driver's timeouts are generous guards multiplied by
//! `SEALHUB_TEST_TIME_SCALE` ([`firmware_shim::test_time`]). Where a timeout expiring is the
//! behaviour under test, nothing can answer in time (the user walks away, the node stalls), so
//! its length decides nothing; "refused" is read from the node's record of what it sent or
//! from the order in which frames surface, never from nothing happening for a while.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firmware_shim::test_time::scaled;
use firmware_shim::zwave_controller::{
    Answer, ControllerConfig, EmulatorHandle, Override, PtyConfig, SecureDevice, SecureNode,
    SimNode, spawn_on_pty,
};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::cc::CommandClassFrame;
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::driver::{
    DriverConfig, InclusionFailure, InclusionOptions, PinRequest, RadioEvent, SubmittedCommand,
    ZwaveStick,
};
use sealhub_radios::zwave::s2::{KexFailType, KeyClasses, SecurityClass};
use sealhub_radios::zwave::security::Key128;
use sealhub_radios::zwave::serial::messages::application::{ApplicationCommand, ReceiveStatus};
use sealhub_radios::zwave::serial::messages::transmit::{
    SendDataCallback, SendDataResponse, TransmitStatus,
};
use sealhub_radios::zwave::serial::messages::{HostMessage, StickMessage};
use tokio::sync::mpsc;
use tokio::time::timeout;

mod support;
use support::zwave::{driver_config, event, soon};

const LOCK_SET_UNSECURED: [u8; 3] = [0x62, 0x01, 0x00];
const LOCK_GET: [u8; 2] = [0x62, 0x02];
const LOCK_REPORT_UNSECURED: [u8; 7] = [0x62, 0x03, 0x00, 0x00, 0x00, 0xFE, 0xFE];
const LOCK_REPORT_SECURED: [u8; 7] = [0x62, 0x03, 0xFF, 0x00, 0x00, 0xFE, 0xFE];

/// Stands in for sealhub's sealed store: keys and S2 sequence reservations that outlive one
/// driver.
#[derive(Clone, Default)]
struct SharedKeys(
    Arc<Mutex<HashMap<SecurityClass, Key128>>>,
    Arc<Mutex<HashMap<u16, u8>>>,
);

impl NetworkKeyStore for SharedKeys {
    fn key(&self, class: SecurityClass) -> Option<Key128> {
        self.0.lock().expect("keys").get(&class).cloned()
    }

    fn store(&mut self, class: SecurityClass, key: Key128) {
        self.0.lock().expect("keys").insert(class, key);
    }

    fn s2_sequence_reserved(&self, node: u16) -> Option<u8> {
        self.1.lock().expect("sequences").get(&node).copied()
    }

    fn reserve_s2_sequence(&mut self, node: u16, last: u8) {
        self.1.lock().expect("sequences").insert(node, last);
    }
}

struct Bench {
    emu: EmulatorHandle,
    path: PathBuf,
    keys: SharedKeys,
    stick: ZwaveStick,
    events: mpsc::Receiver<RadioEvent>,
}

/// A driver on `path`, started, its keys in `keys`; retries the open while a previous
/// driver still holds the port.
async fn open_driver(path: &Path, keys: &SharedKeys) -> (ZwaveStick, mpsc::Receiver<RadioEvent>) {
    open_driver_with(path, keys, driver_config()).await
}

/// [`open_driver`] with driver parameters of the test's own.
async fn open_driver_with(
    path: &Path,
    keys: &SharedKeys,
    config: DriverConfig,
) -> (ZwaveStick, mpsc::Receiver<RadioEvent>) {
    let (stick, events) = timeout(soon(), async {
        loop {
            match ZwaveStick::open_secure(
                PortConfig::new(path),
                config.clone(),
                Box::new(keys.clone()),
            )
            .await
            {
                Ok(opened) => return opened,
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await
    .expect("driver opens the pty");
    timeout(soon(), stick.start())
        .await
        .expect("start-up does not hang")
        .expect("start-up succeeds");
    (stick, events)
}

async fn started(dir: &Path) -> Bench {
    started_with(dir, driver_config()).await
}

/// [`started`] with driver parameters of the test's own.
async fn started_with(dir: &Path, driver: DriverConfig) -> Bench {
    // RUST_LOG=debug shows the security layer's decisions (refusals are warnings).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let config = PtyConfig {
        controller: ControllerConfig::default(),
        ..PtyConfig::new(dir.join("zwave-stick"))
    };
    let (path, emu) = spawn_on_pty(config).await.expect("emulator on a pty");
    let keys = SharedKeys::default();
    let (stick, events) = open_driver_with(&path, &keys, driver).await;
    Bench {
        emu,
        path,
        keys,
        stick,
        events,
    }
}

/// Waits (bounded by `soon()`) until `node`'s record shows it sent an answer protected as `how`.
/// Frames reach the host in the order the node sent them, so once this returns, an answer the
/// node sends later can surface only after this one: a test that then sees the later answer
/// surface first knows this one was refused, without waiting for nothing to happen.
async fn answer_sent(node: &SecureNode, how: Answer) {
    timeout(soon(), async {
        while !node.state().answered.iter().any(|(_, h)| *h == how) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the node never sent its answer");
}

fn is_outcome(e: &RadioEvent) -> bool {
    matches!(
        e,
        RadioEvent::NodeAdded { .. } | RadioEvent::InclusionFailed { .. }
    )
}

fn is_command(e: &RadioEvent) -> bool {
    matches!(e, RadioEvent::Report { .. })
}

/// What the test's "user" does when asked for the PIN.
#[derive(Clone, Copy)]
enum User {
    TypesPin(u16),
    /// Is asked, and never answers.
    WalksAway,
    /// Fails if asked.
    NeverAsked,
}

/// Includes `node` with everything allowed; returns the outcome event.
async fn include(b: &mut Bench, node: &SecureNode, user: User) -> RadioEvent {
    let (pins, mut asked) = mpsc::channel::<PinRequest>(1);
    let options = InclusionOptions {
        grant: KeyClasses::all(),
        allow_s0: true,
    };
    timeout(soon(), b.stick.add_node_secure(options, pins))
        .await
        .expect("no hang")
        .expect("inclusion mode");
    b.emu
        .with_stick(|s| s.offer_for_inclusion(SimNode::secure(node.clone())));
    let mut unanswered = Vec::new();
    let outcome = async {
        loop {
            tokio::select! {
                e = b.events.recv() => {
                    let e = e.expect("event stream open");
                    if is_outcome(&e) {
                        return e;
                    }
                }
                Some(request) = asked.recv() => match user {
                    User::TypesPin(pin) => {
                        assert!(request.dsk.starts_with("xxxxx-"), "{}", request.dsk);
                        let label = sealhub_radios::zwave::s2::bootstrap::format_dsk(&node.dsk());
                        assert_eq!(request.dsk[5..], label[5..], "the DSK shown matches the label");
                        request.answer(Some(pin));
                    }
                    User::WalksAway => unanswered.push(request),
                    User::NeverAsked => panic!("asked for a PIN: {request:?}"),
                },
            }
        }
    };
    timeout(soon(), outcome)
        .await
        .expect("inclusion finished in time")
}

/// Includes `node` with `user` at the PIN prompt, checks it was added under `class`, and
/// returns its node id.
async fn included(b: &mut Bench, node: &SecureNode, user: User, class: SecurityClass) -> u16 {
    let outcome = include(b, node, user).await;
    let RadioEvent::NodeAdded { node, security, .. } = outcome else {
        panic!("not included under {class:?}: {outcome:?}");
    };
    assert_eq!(security, Some(class));
    node
}

async fn include_lock(b: &mut Bench) -> (u16, SecureNode) {
    let lock = SecureNode::door_lock(0x31);
    let user = User::TypesPin(lock.pin());
    let node = included(b, &lock, user, SecurityClass::S2AccessControl).await;
    (node, lock)
}

async fn send(b: &Bench, node: u16, payload: &[u8]) {
    timeout(soon(), b.stick.send_data(node, payload.to_vec()))
        .await
        .expect("no hang")
        .expect("node acknowledged");
}

/// Waits until `check` holds on the node (its effect lands right after the SendData
/// callback, or after a resync).
async fn until(node: &SecureNode, check: impl Fn(&SecureDevice) -> bool) {
    timeout(soon(), async {
        while !check(&node.state().device) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the node never got there");
}

/// The event for a frame a node sent in the clear or under `security`, from its root device.
fn from_node(node: u16, payload: &[u8], security: Option<SecurityClass>) -> RadioEvent {
    RadioEvent::Report {
        node,
        endpoint: 0,
        security,
        report: CommandClassFrame::decode(payload).expect("a valid frame"),
    }
}

#[tokio::test]
async fn the_lock_is_included_under_access_control_and_works_under_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let (node, lock) = include_lock(&mut b).await;
    assert_eq!(node, 2);
    assert_eq!(
        lock.state().granted,
        KeyClasses::S2_ACCESS_CONTROL | KeyClasses::S2_AUTHENTICATED
    );
    assert_eq!(
        b.stick.node_security(node),
        Some(SecurityClass::S2AccessControl)
    );

    send(&b, node, &LOCK_SET_UNSECURED).await;
    until(&lock, |d| *d == SecureDevice::DoorLock { mode: 0x00 }).await;
    send(&b, node, &LOCK_GET).await;
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(
            node,
            &LOCK_REPORT_UNSECURED,
            Some(SecurityClass::S2AccessControl)
        )
    );
    assert!(
        lock.state().refused.is_empty(),
        "{:?}",
        lock.state().refused
    );
}

#[tokio::test]
async fn a_wrong_pin_fails_inclusion_and_the_lock_stays_unusable() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let lock = SecureNode::door_lock(0x32);
    let outcome = include(&mut b, &lock, User::TypesPin(lock.pin() ^ 0x0001)).await;
    let RadioEvent::InclusionFailed {
        node: Some(node),
        reason,
    } = outcome
    else {
        panic!("a wrong PIN was accepted: {outcome:?}");
    };
    assert_eq!(reason, InclusionFailure::Kex(KexFailType::Decrypt));
    assert_eq!(b.stick.node_security(node), None);
    // The node got our KEX Fail and holds no key.
    timeout(soon(), async {
        while !lock.state().kex_failed {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the lock heard the KEX Fail");
    assert!(lock.state().granted.is_empty());

    // Without security the lock refuses to open.
    send(&b, node, &LOCK_SET_UNSECURED).await;
    timeout(soon(), async {
        while lock.state().refused.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the lock saw the command");
    assert_eq!(lock.state().refused, [(LOCK_SET_UNSECURED.to_vec(), None)]);
    assert_eq!(lock.state().device, SecureDevice::DoorLock { mode: 0xFF });
}

#[tokio::test]
async fn the_dimmer_is_included_under_s2_authenticated() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let dimmer = SecureNode::dimmer(0x41);
    let user = User::TypesPin(dimmer.pin());
    let node = included(&mut b, &dimmer, user, SecurityClass::S2Authenticated).await;
    assert_eq!(dimmer.state().granted, KeyClasses::S2_AUTHENTICATED);

    send(&b, node, &[0x26, 0x01, 42]).await;
    send(&b, node, &[0x26, 0x02]).await;
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(
            node,
            &[0x26, 0x03, 42],
            Some(SecurityClass::S2Authenticated)
        )
    );
}

#[tokio::test]
async fn the_siren_is_included_under_s0() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let siren = SecureNode::siren(0x51);
    let node = included(&mut b, &siren, User::NeverAsked, SecurityClass::S0Legacy).await;
    assert_eq!(siren.state().granted, KeyClasses::S0);

    send(&b, node, &[0x25, 0x01, 0xFF]).await;
    until(&siren, |d| *d == SecureDevice::Siren { value: 0xFF }).await;
    send(&b, node, &[0x25, 0x02]).await;
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(node, &[0x25, 0x03, 0xFF], Some(SecurityClass::S0Legacy))
    );
}

#[tokio::test]
async fn the_lock_refuses_a_command_under_a_lower_class() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let (node, lock) = include_lock(&mut b).await;

    // The lock holds the Authenticated key too, so this decrypts, and is refused for its class.
    timeout(
        soon(),
        b.stick.send_data_under(
            node,
            SecurityClass::S2Authenticated,
            LOCK_SET_UNSECURED.to_vec(),
        ),
    )
    .await
    .expect("no hang")
    .expect("transmitted");
    timeout(soon(), async {
        while lock.state().refused.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the lock saw the command");
    assert_eq!(
        lock.state().refused,
        [(
            LOCK_SET_UNSECURED.to_vec(),
            Some(SecurityClass::S2Authenticated)
        )]
    );
    assert_eq!(lock.state().device, SecureDevice::DoorLock { mode: 0xFF });

    // Under its class it obeys (a new SPAN for the other key).
    send(&b, node, &LOCK_SET_UNSECURED).await;
    until(&lock, |d| *d == SecureDevice::DoorLock { mode: 0x00 }).await;
}

#[tokio::test]
async fn a_rebooted_lock_is_resynchronized_and_the_command_still_lands() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let (node, lock) = include_lock(&mut b).await;
    send(&b, node, &LOCK_GET).await;
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(
            node,
            &LOCK_REPORT_SECURED,
            Some(SecurityClass::S2AccessControl)
        )
    );

    // The lock loses its SPAN: our next frame does not decrypt; it answers Nonce Report SOS,
    // and the driver sends the frame again on a new SPAN.
    lock.reboot();
    send(&b, node, &LOCK_SET_UNSECURED).await;
    until(&lock, |d| *d == SecureDevice::DoorLock { mode: 0x00 }).await;
    send(&b, node, &LOCK_GET).await;
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(
            node,
            &LOCK_REPORT_UNSECURED,
            Some(SecurityClass::S2AccessControl)
        )
    );
}

#[tokio::test]
async fn downgraded_answers_are_refused_and_never_surface() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let (lock_node, lock) = include_lock(&mut b).await;
    let dimmer = SecureNode::dimmer(0x42);
    let user = User::TypesPin(dimmer.pin());
    let dimmer_node = included(&mut b, &dimmer, user, SecurityClass::S2Authenticated).await;

    // The lock answers in the clear, then under Authenticated (a class it holds, below AC).
    lock.set_answer(Answer::Plain);
    send(&b, lock_node, &LOCK_GET).await;
    answer_sent(&lock, Answer::Plain).await;
    let authenticated = Answer::S2(SecurityClass::S2Authenticated);
    lock.set_answer(authenticated);
    send(&b, lock_node, &LOCK_GET).await;
    answer_sent(&lock, authenticated).await;

    // The dimmer answers in S0.
    dimmer.set_answer(Answer::S0);
    send(&b, dimmer_node, &[0x26, 0x02]).await;
    answer_sent(&dimmer, Answer::S0).await;

    // Back to normal, the next answer is the first to surface: the three downgraded answers
    // went out before it (the nodes' records say so), so any of them that surfaced would come
    // first.
    lock.set_answer(Answer::Normal);
    send(&b, lock_node, &LOCK_GET).await;
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(
            lock_node,
            &LOCK_REPORT_SECURED,
            Some(SecurityClass::S2AccessControl)
        )
    );
}

/// The sequence number of the last S2 frame the hub sent to `node` (Nonce Get, Nonce Report or
/// Message Encapsulation), as the emulated controller received it.
fn last_s2_sequence_to(emu: &EmulatorHandle, node: u8) -> Option<u8> {
    emu.with_stick(|s| {
        s.received().iter().rev().find_map(|m| match m {
            HostMessage::SendData(r)
                if r.node_id == node && matches!(r.data[..], [0x9F, 0x01..=0x03, _, ..]) =>
            {
                r.data.get(2).copied()
            }
            _ => None,
        })
    })
}

/// Has the hub send the lock Door Lock Gets (each answered before the next) until its last
/// frame to the lock carries the last sequence number of its stored reservation: the worst
/// case for a restart, as the lock then remembers exactly the numbers just before where the
/// restarted hub goes on.
async fn use_up_the_reservation(b: &mut Bench, node: u16) {
    let node_id = u8::try_from(node).expect("classic node id");
    for _ in 0..100 {
        send(b, node, &LOCK_GET).await;
        event(&mut b.events, is_command).await;
        let reserved = b.keys.s2_sequence_reserved(node);
        if reserved.is_some() && last_s2_sequence_to(&b.emu, node_id) == reserved {
            return;
        }
    }
    panic!("the hub never used its reservation up");
}

#[tokio::test]
async fn after_a_hub_restart_an_unprompted_report_is_resynchronized_and_surfaces() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let (node, lock) = include_lock(&mut b).await;
    send(&b, node, &LOCK_GET).await;
    event(&mut b.events, is_command).await;
    let stored = b.keys.0.lock().expect("keys").len();
    assert_eq!(stored, 4, "every class's key went to the store");
    use_up_the_reservation(&mut b, node).await;

    // The hub restarts: same keys and sequence reservations from the store, the node's grant
    // from its database, but every SPAN is gone. The lock still has its SPAN, and remembers
    // the last `SEQ_WINDOW` sequence numbers it had from the hub: the ones just before where
    // the restarted hub's numbers go on.
    let Bench {
        emu,
        path,
        keys,
        stick,
        events,
    } = b;
    drop(events);
    drop(stick);
    let (stick, mut events) = open_driver(&path, &keys).await;
    stick.set_node_security(
        node,
        KeyClasses::S2_ACCESS_CONTROL | KeyClasses::S2_AUTHENTICATED,
        vec![0x5E, 0x86, 0x72],
    );

    // Turned by hand, the lock reports on its old SPAN: the hub cannot decrypt, answers Nonce
    // Report SOS (not a duplicate for the lock), and the lock sends the report again on a new
    // SPAN. Once: nothing here may be dropped.
    let node_id = u8::try_from(node).expect("classic node id");
    let frames = lock.turn_by_hand(0x00);
    emu.with_stick(|s| s.from_node(node_id, frames));
    assert_eq!(
        event(&mut events, is_command).await,
        from_node(
            node,
            &LOCK_REPORT_UNSECURED,
            Some(SecurityClass::S2AccessControl)
        )
    );
    // And a command lands, at once.
    timeout(soon(), stick.send_data(node, vec![0x62, 0x01, 0xFF]))
        .await
        .expect("no hang")
        .expect("node acknowledged");
    until(&lock, |d| *d == SecureDevice::DoorLock { mode: 0xFF }).await;
    assert!(
        lock.state().refused.is_empty(),
        "{:?}",
        lock.state().refused
    );
}

/// The user is asked for the lock's PIN and never answers: once the PIN timeout passes, the
/// hub gives up with KEX Fail (Cancel). Nothing answers in any case, so a short timeout decides
/// nothing but how soon the test ends; every other wait keeps its generous guard.
#[tokio::test]
async fn an_unanswered_pin_times_out_with_kex_fail() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = DriverConfig {
        pin_timeout: Duration::from_millis(200),
        ..driver_config()
    };
    let mut b = started_with(dir.path(), config).await;
    let lock = SecureNode::door_lock(0x33);
    let outcome = include(&mut b, &lock, User::WalksAway).await;
    let RadioEvent::InclusionFailed {
        node: Some(node),
        reason,
    } = outcome
    else {
        panic!("inclusion went on without a PIN: {outcome:?}");
    };
    assert_eq!(reason, InclusionFailure::Kex(KexFailType::Cancel));
    assert_eq!(b.stick.node_security(node), None);
    timeout(soon(), async {
        while !lock.state().kex_failed {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the lock heard the KEX Fail");
}

#[tokio::test]
async fn a_node_that_does_not_answer_kex_get_times_out_with_kex_fail() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let lock = SecureNode::door_lock(0x34);
    lock.state().stalls_bootstrapping = true;
    let outcome = include(&mut b, &lock, User::NeverAsked).await;
    let RadioEvent::InclusionFailed {
        node: Some(node),
        reason,
    } = outcome
    else {
        panic!("inclusion went on without the node: {outcome:?}");
    };
    assert_eq!(reason, InclusionFailure::Timeout);
    assert_eq!(b.stick.node_security(node), None);
    // The hub said so with KEX Fail, which the node hears even while stalled.
    timeout(soon(), async {
        while !lock.state().kex_failed {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the lock heard the KEX Fail");
}

/// The first command after a hub restart asks the node for a nonce (the restarted hub has no
/// SPAN). If that Nonce Get goes unanswered — a node whose duplicate detection still remembers
/// the number the hub uses (when the store lost its sequence reservation, or the frame was
/// just lost) drops it silently — the hub asks once more past that window, and the command
/// lands instead of failing with `NoNonce`.
#[tokio::test]
async fn an_unanswered_nonce_get_after_a_hub_restart_is_asked_again_and_the_command_lands() {
    let dir = tempfile::tempdir().expect("tmp");
    let b = {
        let mut b = started(dir.path()).await;
        let (node, lock) = include_lock(&mut b).await;
        (b, node, lock)
    };
    let (b, node, lock) = b;
    let Bench {
        emu: _emu,
        path,
        keys,
        stick,
        events,
    } = b;
    drop(events);
    drop(stick);
    let (stick, _events) = open_driver(&path, &keys).await;
    stick.set_node_security(
        node,
        KeyClasses::S2_ACCESS_CONTROL | KeyClasses::S2_AUTHENTICATED,
        vec![0x5E, 0x86, 0x72],
    );
    // A fresh lock state (no SPAN, no remembered sequence numbers), then the one Nonce Get it
    // drops: the outcome does not depend on the restarted hub's random first number.
    lock.reboot();
    lock.state().ignore_nonce_gets = 1;

    timeout(soon(), stick.send_data(node, vec![0x62, 0x01, 0xFF]))
        .await
        .expect("no hang")
        .expect("the second Nonce Get is answered and the command acknowledged");
    timeout(
        soon(),
        until(&lock, |d| *d == SecureDevice::DoorLock { mode: 0xFF }),
    )
    .await
    .expect("the lock obeys under Access Control");
    assert_eq!(
        lock.state().ignore_nonce_gets,
        0,
        "the first Nonce Get was the ignored one"
    );
    assert!(
        lock.state().refused.is_empty(),
        "{:?}",
        lock.state().refused
    );
}

/// Runs `scenario` on a multi-threaded runtime of its own thread and fails the test if it does
/// not end within `bound`: a driver task that spins (rather than waits) would otherwise hang
/// the whole test, timeouts included.
fn bounded(bound: Duration, scenario: impl std::future::Future<Output = ()> + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let outcome = runtime.block_on(runtime.spawn(scenario));
        let _ = done.send(outcome.map_err(|e| {
            match e.try_into_panic() {
                Ok(p) => p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "the scenario panicked".to_owned()),
                Err(e) => e.to_string(),
            }
        }));
        // Dropping the runtime waits for its workers, which a spinning task never frees.
        std::mem::forget(runtime);
    });
    match finished.recv_timeout(bound) {
        Ok(Ok(())) => {}
        Ok(Err(message)) => panic!("{message}"),
        Err(_) => panic!("the scenario did not end: the driver hangs"),
    }
}

/// S0 Nonce Gets arrive in the clear under any node id a sender claims, and each costs the hub
/// a nonce. 300 of them within one nonce lifetime (10 s of the emulator's clock: they all
/// arrive at once), under node ids 2 to 61 (2 is the id the siren gets next): the hub answers
/// what its limits allow from a bounded nonce table, and then still includes the S0 siren and
/// commands it. Before the bound, the 257th Nonce Get drew nonces forever with the security
/// state locked, and every secure exchange and inclusion stopped.
#[test]
fn a_flood_of_s0_nonce_gets_does_not_stop_inclusion_or_commands() {
    bounded(scaled(Duration::from_secs(120)), async {
        let dir = tempfile::tempdir().expect("tmp");
        let mut b = started(dir.path()).await;
        let nonce_get = vec![0x98, 0x40];
        b.emu.with_stick(|s| {
            for i in 0..300u32 {
                let claimed = 2 + (i % 60) as u8;
                s.from_node(claimed, vec![nonce_get.clone()]);
            }
        });

        let siren = SecureNode::siren(0x52);
        let node = included(&mut b, &siren, User::NeverAsked, SecurityClass::S0Legacy).await;
        assert_eq!(siren.state().granted, KeyClasses::S0);
        send(&b, node, &[0x25, 0x01, 0xFF]).await;
        until(&siren, |d| *d == SecureDevice::Siren { value: 0xFF }).await;
        send(&b, node, &[0x25, 0x02]).await;
        assert_eq!(
            event(&mut b.events, is_command).await,
            from_node(node, &[0x25, 0x03, 0xFF], Some(SecurityClass::S0Legacy))
        );
    });
}

/// S0 inclusion ends with the node's Network Key Verify, its proof that it holds the key the
/// hub sent: only a Verify that decrypts under that key counts. Here the Network Key Set never
/// reaches the siren (the emulated controller reports it transmitted and does not deliver it)
/// and `98 07` arrives in the clear under the siren's id instead: inclusion times out, and no
/// S0 grant is stored (the hub would otherwise talk S0 to a node without the key, and refuse
/// its frames in the clear). Before, the plaintext Verify completed inclusion under S0.
#[tokio::test]
async fn a_plaintext_network_key_verify_does_not_complete_s0_inclusion() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let siren = SecureNode::siren(0x53);
    b.emu.set_override(|m| match m {
        // The first S0-encapsulated frame to the joining node: its Network Key Set.
        HostMessage::SendData(r) if r.data.starts_with(&[0x98, 0x81]) => Override::Reply(vec![
            StickMessage::SendDataResponse(SendDataResponse { status: 0x01 }),
            StickMessage::SendDataCallback(SendDataCallback {
                callback_id: r.callback_id,
                status: TransmitStatus::Ok,
                report: Vec::new(),
            }),
            StickMessage::ApplicationCommand(ApplicationCommand {
                rx_status: ReceiveStatus::empty(),
                source_node: r.node_id,
                command: vec![0x98, 0x07],
                trailer: vec![0xC4],
            }),
        ]),
        _ => Override::Default,
    });
    let outcome = include(&mut b, &siren, User::NeverAsked).await;
    let RadioEvent::InclusionFailed {
        node: Some(node),
        reason,
    } = outcome
    else {
        panic!("a plaintext Verify completed S0 inclusion: {outcome:?}");
    };
    assert_eq!(reason, InclusionFailure::Timeout);
    // The timeout was the wait for the Verify: the Network Key Set went out (the emulated
    // controller's record), so no earlier step ran out of time instead.
    let node_id = u8::try_from(node).expect("classic node id");
    let key_sets = b.emu.with_stick(|s| {
        s.received()
            .iter()
            .filter(|m| {
                matches!(m, HostMessage::SendData(r)
                    if r.node_id == node_id && r.data.starts_with(&[0x98, 0x81]))
            })
            .count()
    });
    assert_eq!(
        key_sets, 1,
        "inclusion timed out before the Network Key Set"
    );
    assert_eq!(b.stick.node_security(node), None);
    assert!(b.stick.node_granted(node).is_empty(), "no S0 grant stored");
    assert!(
        siren.state().granted.is_empty(),
        "the siren never got the key"
    );
}

/// A secure node's node information frame is heard in the clear and often lists command
/// classes the node supports securely as well (many locks list Door Lock): it must not make
/// a frame of those classes acceptable in the clear. The lock's grant is restored as a store
/// would hold it from such a frame (Door Lock listed); a plaintext Door Lock report forged
/// under the lock's id is refused, and the lock's genuine report under Access Control still
/// surfaces. Before, the listed class was taken in the clear.
#[tokio::test]
async fn a_forged_plaintext_door_lock_report_from_a_secure_lock_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let (node, lock) = include_lock(&mut b).await;
    b.stick.set_node_security(
        node,
        KeyClasses::S2_ACCESS_CONTROL | KeyClasses::S2_AUTHENTICATED,
        vec![0x5E, 0x9F, 0x62, 0x86, 0x72],
    );
    let node_id = u8::try_from(node).expect("classic node id");
    b.emu
        .with_stick(|s| s.from_node(node_id, vec![LOCK_REPORT_UNSECURED.to_vec()]));
    assert_eq!(lock.state().device, SecureDevice::DoorLock { mode: 0xFF });

    // Frames from one node surface in order: had the forged report been taken, it would be the
    // next report, not the lock's genuine one.
    let frames = lock.turn_by_hand(0x00);
    b.emu.with_stick(|s| s.from_node(node_id, frames));
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(
            node,
            &LOCK_REPORT_UNSECURED,
            Some(SecurityClass::S2AccessControl)
        )
    );
}

/// An S0 node may send in the clear what its node information frame lists and its secure list
/// does not; once the driver has its secure list (from the interview's S0 Commands Supported
/// Report), a class listed in both is taken only under S0. The siren's grant is restored with
/// Binary Switch in its information frame; after the interview a plaintext Binary Switch
/// report is refused, while a plaintext Version report (its frame lists Version, its secure
/// list does not) is still taken.
#[tokio::test]
async fn an_s0_nodes_secure_classes_are_refused_in_the_clear_once_known() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let siren = SecureNode::siren(0x54);
    let node = included(&mut b, &siren, User::NeverAsked, SecurityClass::S0Legacy).await;
    b.stick
        .set_node_security(node, KeyClasses::S0, vec![0x98, 0x25, 0x86, 0x72]);
    let d = timeout(soon(), b.stick.interview(node))
        .await
        .expect("no hang")
        .expect("interview");
    assert_eq!(
        d.secure_command_classes,
        sealhub_radios::zwave::driver::Step::Answered(vec![0x25])
    );
    // The interview's reports are behind us once a plaintext Version report sent now surfaces
    // (frames from one node surface in order).
    let node_id = u8::try_from(node).expect("classic node id");
    let version_report = [0x86, 0x14, 0x25, 0x01];
    b.emu
        .with_stick(|s| s.from_node(node_id, vec![version_report.to_vec()]));
    let marker = from_node(node, &version_report, None);
    event(&mut b.events, |e| *e == marker).await;

    b.emu
        .with_stick(|s| s.from_node(node_id, vec![vec![0x25, 0x03, 0xFF]]));
    // The Version report sent after it is the next report: the Binary Switch one never surfaced.
    b.emu
        .with_stick(|s| s.from_node(node_id, vec![version_report.to_vec()]));
    assert_eq!(
        event(&mut b.events, is_command).await,
        from_node(node, &version_report, None)
    );
}

/// Commands to one S2 node back to back, each sent as soon as the last was acknowledged:
/// Gets, whose reports the node sends while the next frame is on its way, and Sets between
/// them. A Get's report and the hub's next frame would draw the same SPAN nonce; before, the
/// second Get crossed the first one's report, both sides resynchronized at once, and a send
/// ended in `NoNonce`. Now every send completes, every Get is answered, in order, and each
/// report shows the Set before it.
#[tokio::test]
async fn back_to_back_s2_gets_and_sets_to_one_node_all_complete() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let (node, lock) = include_lock(&mut b).await;
    let steps: [(&[u8], Option<[u8; 7]>); 9] = [
        (&LOCK_GET, Some(LOCK_REPORT_SECURED)),
        (&LOCK_GET, Some(LOCK_REPORT_SECURED)),
        (&LOCK_SET_UNSECURED, None),
        (&LOCK_GET, Some(LOCK_REPORT_UNSECURED)),
        (&LOCK_GET, Some(LOCK_REPORT_UNSECURED)),
        (&[0x62, 0x01, 0xFF], None),
        (&LOCK_GET, Some(LOCK_REPORT_SECURED)),
        (&LOCK_GET, Some(LOCK_REPORT_SECURED)),
        (&LOCK_GET, Some(LOCK_REPORT_SECURED)),
    ];
    for (command, _) in &steps {
        send(&b, node, command).await;
    }
    for report in steps.iter().filter_map(|(_, report)| *report) {
        assert_eq!(
            event(&mut b.events, is_command).await,
            from_node(node, &report, Some(SecurityClass::S2AccessControl))
        );
    }
    assert_eq!(lock.state().device, SecureDevice::DoorLock { mode: 0xFF });
}

/// A Wake Up Notification in the clear under a secure sleeping sensor's id (forged: the sensor
/// sends its wake-up under S2) releases nothing; the sensor's genuine wake-up then releases
/// the command that waited for it, which the sensor answers under S2. A plaintext report from
/// a node without security, sent after the forged wake-up, marks where the forged one would
/// have shown: no wake-up of the sensor may come before it. Before, the driver task took the
/// plaintext `84 07` as the wake-up and sent the sensor's commands while it slept.
#[tokio::test]
async fn a_forged_plaintext_wake_up_does_not_release_a_secure_sensors_queue() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = started(dir.path()).await;
    let plain = b.emu.with_stick(|s| s.add_node(SimNode::binary_switch()));
    let sensor = SecureNode::sleeping_sensor(0x56);
    let RadioEvent::NodeAdded { node, security, .. } =
        include(&mut b, &sensor, User::NeverAsked).await
    else {
        panic!("sensor not included");
    };
    assert_eq!(security, Some(SecurityClass::S2Unauthenticated));
    let node_id = u8::try_from(node).expect("classic node id");
    timeout(soon(), async {
        while sensor.is_listening() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the sensor is sent to sleep after its inclusion");

    let battery_get = CommandClassFrame::decode(&[0x80, 0x02]).expect("Battery Get");
    let submitted = timeout(soon(), b.stick.submit_command(node, 0, battery_get))
        .await
        .expect("no hang")
        .expect("accepted");
    let SubmittedCommand::QueuedUntilWakeUp(pending) = submitted else {
        panic!("the Battery Get did not wait for the wake-up: {submitted:?}");
    };

    b.emu
        .with_stick(|s| s.from_node(node_id, vec![vec![0x84, 0x07]]));
    let marker = [0x25, 0x03, 0xFF];
    b.emu
        .with_stick(|s| s.from_node(plain, vec![marker.to_vec()]));
    let first = event(&mut b.events, |e| {
        matches!(e, RadioEvent::WokeUp { .. } | RadioEvent::Report { .. })
    })
    .await;
    assert_eq!(
        first,
        from_node(u16::from(plain), &marker, None),
        "the forged wake-up released the sensor's queue"
    );
    assert!(!sensor.is_listening(), "the sensor still sleeps");

    let genuine = sensor.wake_up().expect("the sensor wakes");
    b.emu.with_stick(|s| s.from_node(node_id, vec![genuine]));
    let outcome = timeout(soon(), pending.outcome())
        .await
        .expect("no hang")
        .expect("delivered after the genuine wake-up");
    assert!(outcome.transmit.waited_for_wake_up);
    // The wake-up itself surfaces too (under S2); then the answer to the released Get.
    let report = event(&mut b.events, |e| {
        matches!(
            e,
            RadioEvent::Report {
                report: CommandClassFrame::Battery(_),
                ..
            }
        )
    })
    .await;
    let RadioEvent::Report {
        node: from,
        security,
        ..
    } = report
    else {
        unreachable!("the filter takes reports only")
    };
    assert_eq!(
        (from, security),
        (node, Some(SecurityClass::S2Unauthenticated))
    );
}
