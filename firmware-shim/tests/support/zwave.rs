//! Shared set-up of the Z-Wave driver tests in `firmware-shim/tests/`: the emulated controller
//! on a pty in a test's temporary directory, the real driver opened on it and started, the
//! driver timeouts those tests use, secure inclusion with the user at the PIN prompt, and
//! bounded waits for radio events. A test file states only where it differs (its home id,
//! its nodes, a driver setting).
//!
//! Every bound is multiplied by `SEALHUB_TEST_TIME_SCALE` ([`scaled`]) and only bounds a
//! healthy exchange; nothing here decides an outcome by how long something took.

use std::path::{Path, PathBuf};
use std::time::Duration;

use firmware_shim::test_time::scaled;
use firmware_shim::zwave_controller::{
    ControllerConfig, EmulatorHandle, PtyConfig, SecureNode, SimNode, spawn_on_pty,
};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::{
    ControllerInfo, DriverConfig, InclusionOptions, PinRequest, RadioEvent, ZwaveStick,
};
use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Generous bound for anything that should take milliseconds, one ACK timeout, or one of the
/// driver's timeouts of [`driver_config`] when a test waits for it to expire.
pub fn soon() -> Duration {
    scaled(Duration::from_secs(30))
}

/// Driver timeouts for an emulated controller (`firmware_shim::test_time`).
pub fn driver_config() -> DriverConfig {
    firmware_shim::test_time::zwave_driver_config()
}

/// An emulated controller of home `home_id` on a pty in `dir`.
pub async fn emulator(dir: &Path, home_id: u32) -> (PathBuf, EmulatorHandle) {
    let config = PtyConfig {
        controller: ControllerConfig {
            home_id,
            ..ControllerConfig::default()
        },
        ..PtyConfig::new(dir.join("zwave-stick"))
    };
    spawn_on_pty(config).await.expect("emulator on a pty")
}

/// A driver on an emulated controller, started.
pub struct Bench {
    pub emu: EmulatorHandle,
    pub stick: ZwaveStick,
    pub events: mpsc::Receiver<RadioEvent>,
    pub info: ControllerInfo,
}

/// What the driver is told about the nodes already in the network when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Told {
    /// Nothing: it learns them by interviewing.
    Nothing,
    /// Each node's command classes, as sealhub restores them from its database.
    Classes,
}

/// A started driver on a fresh emulated controller of home `home_id` with `nodes` (ids 2,
/// 3, …) in its network beforehand, and `driver` its settings.
pub async fn started(
    dir: &Path,
    home_id: u32,
    nodes: Vec<SimNode>,
    told: Told,
    driver: DriverConfig,
) -> Bench {
    let (path, emu) = emulator(dir, home_id).await;
    let mut infos = Vec::new();
    for node in nodes {
        infos.push(node.node_info());
        emu.with_stick(|s| s.add_node(node));
    }
    let (stick, events) = ZwaveStick::open_with(PortConfig::new(&path), driver)
        .await
        .expect("driver opens the pty");
    let info = timeout(soon(), stick.start())
        .await
        .expect("start-up does not hang")
        .expect("start-up succeeds");
    if told == Told::Classes {
        for (id, info) in (2u16..).zip(infos) {
            stick.set_node_command_classes(id, info.get(3..).unwrap_or_default());
        }
    }
    Bench {
        emu,
        stick,
        events,
        info,
    }
}

/// The next event matching `want`, skipping others; panics after [`soon`].
pub async fn event(
    events: &mut mpsc::Receiver<RadioEvent>,
    want: impl Fn(&RadioEvent) -> bool,
) -> RadioEvent {
    timeout(soon(), async {
        loop {
            let e = events.recv().await.expect("event stream open");
            if want(&e) {
                return e;
            }
        }
    })
    .await
    .expect("expected event did not come")
}

/// Offers `node` for inclusion with every class granted (S0 too when `allow_s0`), the user
/// typing its PIN where asked; returns the outcome (`NodeAdded` or `InclusionFailed`).
pub async fn include_typing_pin(
    stick: &ZwaveStick,
    emu: &EmulatorHandle,
    events: &mut mpsc::Receiver<RadioEvent>,
    node: &SecureNode,
    allow_s0: bool,
) -> RadioEvent {
    let (pins, mut asked) = mpsc::channel::<PinRequest>(1);
    let options = InclusionOptions {
        grant: KeyClasses::all(),
        allow_s0,
    };
    timeout(soon(), stick.add_node_secure(options, pins))
        .await
        .expect("no hang")
        .expect("inclusion mode");
    emu.with_stick(|s| s.offer_for_inclusion(SimNode::secure(node.clone())));
    timeout(soon(), async {
        loop {
            tokio::select! {
                e = events.recv() => {
                    let e = e.expect("event stream open");
                    if matches!(e, RadioEvent::NodeAdded { .. } | RadioEvent::InclusionFailed { .. }) {
                        return e;
                    }
                }
                Some(request) = asked.recv() => request.answer(Some(node.pin())),
            }
        }
    })
    .await
    .expect("inclusion finished in time")
}

/// [`include_typing_pin`] on `b`, checked to have added the node under `class`; returns its
/// node id.
pub async fn included(
    b: &mut Bench,
    node: &SecureNode,
    class: SecurityClass,
    allow_s0: bool,
) -> u16 {
    let outcome = include_typing_pin(&b.stick, &b.emu, &mut b.events, node, allow_s0).await;
    let RadioEvent::NodeAdded { node, security, .. } = outcome else {
        panic!("not included under {class:?}: {outcome:?}");
    };
    assert_eq!(security, Some(class));
    node
}
