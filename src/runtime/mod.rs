//! `sealhub run` once the store and the home are open: the gateway and the radios, each in
//! its own task, and the wait for Ctrl-C or SIGTERM.
//!
//! Each radio task opens its stick (or starts its emulator first), brings it up with the
//! secrets from the sealed store, logs what the stick reports, keeps the store up to date
//! (the Zigbee backup, the Z-Wave grants) and passes every event, its stick handle and the
//! Z-Wave node descriptions to the gateway task, which owns the home and turns them into
//! envelopes (`gateway.rs`). With `[transport] enabled`, the clients' transport (WebSocket
//! over TLS, its certificate from the store) is bound before anything starts and connected to
//! the gateway task: what clients send goes to the gateway, what the gateway delivers goes to
//! them. A stick that is missing at start is retried with back-off; one
//! unplugged later is reopened by its driver; either way the hub keeps running. On a signal
//! every task is told to stop, and the Zigbee task seals a last backup first.

mod auto_port;
#[cfg(feature = "emulators")]
#[path = "emulated.rs"]
mod emulators;
#[cfg(not(feature = "emulators"))]
#[path = "no_emulators.rs"]
mod emulators;
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
use sealhub::pairing::PairingPolicy;
use sealhub::store::Store;
use sealhub::transport::tls::TlsIdentity;
use sealhub::transport::{self, BoundTransport};
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

/// Loads the TLS identity from the store (created on first start) and binds the clients'
/// transport on `[transport] listen`; returns it with the certificate's fingerprint.
async fn bind_transport(
    config: &Config,
    home: &Home,
    store: &Store,
) -> Result<(BoundTransport, [u8; 32])> {
    let (identity, created) = TlsIdentity::load_or_create(store)
        .context("cannot load or create the transport's TLS identity")?;
    if created {
        info!(fingerprint = %identity.fingerprint_hex(), "created the transport's TLS identity");
    }
    let listen = config.transport.listen;
    match BoundTransport::bind(
        transport::TransportConfig::new(listen, home.home_id()),
        &identity,
    )
    .await
    {
        Ok(bound) => Ok((bound, identity.fingerprint())),
        Err(transport::Error::Bind { source, .. })
            if source.kind() == std::io::ErrorKind::AddrInUse =>
        {
            anyhow::bail!(
                "port {} is in use: is another sealhub running? set [transport] listen",
                listen.port()
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot listen for clients on {listen}")),
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
    // The transport's ends: it sends client envelopes and pairing frames, and takes deliveries.
    let (from_clients, clients) = mpsc::channel(transport::INBOUND_CHANNEL_CAPACITY);
    let (deliveries, to_transport) = mpsc::channel(transport::OUTBOUND_CHANNEL_CAPACITY);
    let mut tls_fingerprint = [0; 32];
    let mut onboarding: Option<Box<dyn gateway::PairingHandler>> = None;
    if config.transport.enabled {
        let bound = bind_transport(config, &home, store).await?;
        tls_fingerprint = bound.1;
        let (handler, code) = pairing::open_onboarding(
            store.handle(),
            &home,
            PairingPolicy::default(),
            std::time::Instant::now(),
        )?;
        // On stdout, apart from the log: what a person at the hub needs to pair a laptop.
        print!(
            "{}",
            pairing::pairing_banner(bound.0.local_addr(), &code, &hex::encode(tls_fingerprint))
        );
        onboarding = Some(Box::new(handler));
        let serving = bound.0.run(from_clients, to_transport, stop.clone());
        tasks.push((
            "transport",
            tokio::spawn(async move {
                if let Err(e) = serving.await {
                    warn!("the clients' transport stopped: {e}");
                }
            }),
        ));
    } else {
        info!("the clients' transport is disabled in the configuration");
        drop(from_clients);
        drop(to_transport);
    }
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
                pairing: onboarding,
                tls_fingerprint,
            },
            link(),
        )),
    ));
    let (zigbee_config, zwave_config) = auto_port::resolve(config).await;
    if let Some(zigbee_config) = zigbee_config {
        tasks.push((
            "Zigbee",
            tokio::spawn(zigbee::run(
                zigbee_config,
                config.emulator,
                store.handle(),
                link(),
                to_gateway.clone(),
            )),
        ));
    }
    if let Some(zwave_config) = zwave_config {
        tasks.push((
            "Z-Wave",
            tokio::spawn(zwave::run(
                zwave_config,
                store.handle(),
                link(),
                to_gateway.clone(),
            )),
        ));
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
    store.flush().context("cannot flush the sealed store")?;
    Ok(())
}
