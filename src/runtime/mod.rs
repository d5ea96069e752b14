//! `sealhub run` once the store and the home are open: the gateway and the radios, each in
//! its own task, and the wait for Ctrl-C or SIGTERM.
//!
//! Each radio task opens its stick (or starts its emulator first), brings it up with the
//! secrets from the sealed store, logs what the stick reports, keeps the store up to date
//! (the Zigbee backup, the Z-Wave grants) and passes every event, its stick handle and the
//! Z-Wave node descriptions to the gateway task, which owns the home and turns them into
//! envelopes (`gateway.rs`). A stick that is missing at start is retried with back-off; one
//! unplugged later is reopened by its driver; either way the hub keeps running. On a signal
//! every task is told to stop, and the Zigbee task seals a last backup first.

mod gateway;
mod pairing;
mod zigbee;
mod zwave;

use std::time::Duration;

use anyhow::{Context, Result};
use sealhub::config::Config;
use sealhub::definitions::Definitions;
use sealhub::gateway::core::{GatewayConfig, RadioTranslation};
use sealhub::keymgmt::Home;
use sealhub::store::Store;
use sealhub_radios::port::Backoff;
use sealhub_radios::zigbee::driver::ZigbeeStick;
use sealhub_radios::zwave::driver::ZwaveStick;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

/// How long shutdown waits for the radio tasks (the last Zigbee backup) before leaving them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Where the radio tasks send their events, stick handles and node descriptions.
pub(crate) type ToGateway = mpsc::Sender<gateway::FromRadio<ZigbeeStick, ZwaveStick>>;

/// How many radio messages may wait for the gateway before a radio task waits too.
const RADIO_QUEUE: usize = 256;

/// The back-off between attempts to open and start a stick that is missing or not answering.
fn start_backoff() -> Backoff {
    Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
}

/// What a radio task is given: when to stop, and where to say that its first start attempt is
/// over (for `--once`).
pub(crate) struct TaskLink {
    stop: watch::Receiver<bool>,
    first_attempt: Option<mpsc::Sender<()>>,
}

impl TaskLink {
    /// Reports (once) that the first attempt to start the task finished, well or not. Only
    /// dropping the sender counts (the waiter waits for every sender to be gone), so this
    /// never waits for a full channel.
    async fn attempted(&mut self) {
        if let Some(tx) = self.first_attempt.take() {
            let _ = tx.try_send(());
        }
    }

    /// Resolves when the hub is shutting down.
    async fn stopped(&mut self) {
        // An error means the sender is gone, which also means stop.
        let _ = self.stop.wait_for(|stop| *stop).await;
    }

    /// Sleeps for `delay`; false if the hub began to shut down meanwhile.
    async fn sleep(&mut self, delay: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(delay) => true,
            () = self.stopped() => false,
        }
    }
}

/// Starts the gateway (which owns `home` and maps devices with `definitions`) and the enabled radios on `store`, then waits for
/// Ctrl-C or SIGTERM (with `once`: for each task's first start attempt) and shuts them down.
pub async fn run(
    config: &Config,
    home: Home,
    definitions: Definitions,
    store: &Store,
    once: bool,
) -> Result<()> {
    // Installed before anything is logged as running, so a supervisor that signals as soon as
    // it sees that line gets a clean exit.
    let mut interrupt =
        signal(SignalKind::interrupt()).context("cannot listen for SIGINT (Ctrl-C)")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;

    let (stop_tx, stop) = watch::channel(false);
    let (attempted_tx, mut attempted) = mpsc::channel(3);
    let link = || TaskLink {
        stop: stop.clone(),
        first_attempt: Some(attempted_tx.clone()),
    };
    let mut tasks = Vec::new();
    let (to_gateway, from_radios) = mpsc::channel(RADIO_QUEUE);
    // The transport's ends: it sends client envelopes and takes deliveries. Until it is
    // written, deliveries are logged at debug and nothing sends envelopes.
    let (from_clients, clients) = mpsc::channel(64);
    let (deliveries, to_transport) = mpsc::channel(256);
    tokio::spawn(gateway::log_deliveries(to_transport));
    tasks.push((
        "gateway",
        tokio::spawn(gateway::run::<ZigbeeStick, ZwaveStick>(
            gateway::GatewayParts {
                home,
                store: store.handle(),
                definitions,
                translation: Box::new(RadioTranslation),
                config: GatewayConfig::default(),
                radios: from_radios,
                clients,
                deliveries,
            },
            link(),
        )),
    ));
    if config.zigbee.enabled {
        tasks.push((
            "Zigbee",
            tokio::spawn(zigbee::run(
                config.zigbee.clone(),
                store.handle(),
                link(),
                to_gateway.clone(),
            )),
        ));
    } else {
        info!("Zigbee is disabled in the configuration");
    }
    if config.zwave.enabled {
        tasks.push((
            "Z-Wave",
            tokio::spawn(zwave::run(
                config.zwave.clone(),
                store.handle(),
                link(),
                to_gateway.clone(),
            )),
        ));
    } else {
        info!("Z-Wave is disabled in the configuration");
    }
    drop(to_gateway);
    drop(attempted_tx);

    let signalled = async {
        tokio::select! {
            _ = interrupt.recv() => info!("SIGINT received, shutting down"),
            _ = terminate.recv() => info!("SIGTERM received, shutting down"),
        }
    };
    if once {
        let all_attempted = async { while attempted.recv().await.is_some() {} };
        tokio::select! {
            () = all_attempted => info!("started; --once given, exiting"),
            () = signalled => {}
        }
    } else {
        info!("running; waiting for Ctrl-C or SIGTERM");
        signalled.await;
    }

    let _ = stop_tx.send(true);
    for (name, task) in tasks {
        match tokio::time::timeout(SHUTDOWN_GRACE, task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(task = name, "the task failed: {e}"),
            Err(_) => warn!(task = name, "the task did not stop in time; leaving it"),
        }
    }
    drop(from_clients);
    store.flush().context("cannot flush the sealed store")?;
    Ok(())
}
