//! `sealhub client`: this machine as a client of a hub. Pairs with the setup code the hub
//! printed, then lists devices, sends commands and watches events over a session pinned to
//! the hub's TLS certificate. The work is in `sealhub::client`; this is the edge: paths,
//! printing, and errors that say what to do next.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use sealhub::client::action::parse_action;
use sealhub::client::{self, HubSession, PairedClient};
use sealhub::envelope::DeviceId;
use sealhub::identity::Thumbprint;
use sealhub::model::{Action, Command, HUB_DEVICE, HubCommand, HubResponse, Response};
use sealhub::onboarding::bundle::role_name;
use sealhub::pairing::SetupCode;
use sealhub::store::{KekSource, Store};

use crate::cli::{ClientArgs, ClientCommand};

/// Runs one `sealhub client` subcommand.
pub fn run(args: ClientArgs) -> Result<()> {
    let dir = client_dir(args.client_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match args.command {
        ClientCommand::Pair { url, code, name } => runtime.block_on(pair(&dir, &url, &code, name)),
        ClientCommand::Devices => runtime.block_on(devices(&dir)),
        ClientCommand::Send {
            device,
            endpoint,
            action,
        } => runtime.block_on(send(&dir, &device, endpoint, &action)),
        ClientCommand::Watch => runtime.block_on(watch(&dir)),
    }
}

/// `--client-dir`, else `$XDG_DATA_HOME/sealhub-client`, else
/// `$HOME/.local/share/sealhub-client`; made absolute and created 0700 if missing.
fn client_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match given {
        Some(dir) => dir,
        None => match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(xdg) => PathBuf::from(xdg).join("sealhub-client"),
            None => {
                let home = std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| {
                        anyhow!("neither $XDG_DATA_HOME nor $HOME is set; give --client-dir")
                    })?;
                PathBuf::from(home).join(".local/share/sealhub-client")
            }
        },
    };
    let dir = std::path::absolute(&dir)
        .with_context(|| format!("cannot make {} absolute", dir.display()))?;
    crate::prepare_data_dir(&dir)?;
    Ok(dir)
}

fn open_store(dir: &Path) -> Result<Store> {
    let (store, _) = Store::open_or_create(dir, &KekSource::default_key_file(dir))
        .with_context(|| format!("cannot open the client's store in {}", dir.display()))?;
    Ok(store)
}

fn now_unix() -> Result<u64> {
    Ok(SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs())
}

fn default_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.len() <= 64)
        .unwrap_or_else(|| "sealhub-client".to_owned())
}

async fn pair(dir: &Path, url: &str, code: &str, name: Option<String>) -> Result<()> {
    let store = open_store(dir)?;
    if let Some(paired) = PairedClient::load(&store)? {
        bail!(
            "this client is already paired with home {} as {}; use another --client-dir to pair again",
            paired.link.hub.home,
            paired.link.hub.client_id
        );
    }
    let code = SetupCode::parse(code).context("the setup code")?;
    let name = name.unwrap_or_else(default_name);
    let pairing = client::pair(url, &code, &name).await?;
    let paired = match pairing.save(&store) {
        Err(client::Error::AlreadyPaired) => bail!(
            "the store in {} already holds a client (an earlier pairing was interrupted?); \
             use another --client-dir to pair again",
            dir.display()
        ),
        other => other?,
    };
    let state = &paired.link;
    println!(
        "paired with home {}, root key thumbprint {}, TLS fingerprint pinned {}, role {}\n\
         this client is {} (state in {})",
        state.hub.home,
        Thumbprint::of(&state.hub.root_key),
        hex::encode(state.hub.tls_sha256),
        role_name(state.hub.role),
        state.hub.client_id,
        dir.display()
    );
    Ok(())
}

/// The paired client kept in the store, or what to do when there is none. Its sequence
/// ceiling, replay windows, read keys and revocation list are as the last run left them (the
/// client writes every change through), so nothing needs saving afterwards.
fn paired(store: &Store) -> Result<PairedClient> {
    let mut paired = PairedClient::load(store)?.ok_or_else(|| {
        anyhow!(
            "this client is not paired yet: run `sealhub client pair wss://HOST:PORT --code \
             1234-5678` with the code `sealhub run` printed"
        )
    })?;
    // The commands' `exp` comes from this machine's clock already; certificates' validity
    // windows are judged by it too.
    paired.client.set_clock_trusted(true);
    Ok(paired)
}

async fn request(dir: &Path, device: &DeviceId, command: &Command) -> Result<Response> {
    let store = open_store(dir)?;
    let mut session = HubSession::open(paired(&store)?).await?;
    let response = session.request(device, command, now_unix()?).await?;
    let _ = session.close().await;
    Ok(response)
}

async fn devices(dir: &Path) -> Result<()> {
    let hub = DeviceId::new(HUB_DEVICE).context("the hub's device id")?;
    let response = request(dir, &hub, &Command::Hub(HubCommand::ListDevices)).await?;
    let list = match response {
        Response::Hub(HubResponse::Devices(list)) => list,
        other => return print_response(other),
    };
    println!(
        "{:<28} {:<24} {:<12} {:<7} CAPABILITIES",
        "ID", "NAME", "ROOM", "RADIO"
    );
    for device in list {
        let caps: Vec<String> = device
            .endpoints
            .iter()
            .map(|e| format!("{}:{:?}", e.id, e.capabilities))
            .collect();
        println!(
            "{:<28} {:<24} {:<12} {:<7} {}",
            device.id,
            device.name,
            device.room.as_deref().unwrap_or("-"),
            format!("{:?}", device.radio),
            caps.join(" ")
        );
    }
    Ok(())
}

async fn send(dir: &Path, device: &str, endpoint: Option<u8>, words: &[String]) -> Result<()> {
    let device = DeviceId::new(device).with_context(|| format!("{device:?} is not a device id"))?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let action = parse_action(&words)?;
    let endpoint = match endpoint {
        Some(endpoint) => endpoint,
        None => endpoint_for(dir, &device, &action).await?,
    };
    let response = request(dir, &device, &Command::Device { endpoint, action }).await?;
    print_response(response)
}

/// The first endpoint of `device` that has the capability `action` needs (any endpoint for an
/// action that needs none), from the hub's device list: Zigbee devices number their endpoints
/// from 1, a Z-Wave root device is 0, and a person should not have to know which.
async fn endpoint_for(dir: &Path, device: &DeviceId, action: &Action) -> Result<u8> {
    let hub = DeviceId::new(HUB_DEVICE).context("the hub's device id")?;
    let list = match request(dir, &hub, &Command::Hub(HubCommand::ListDevices)).await? {
        Response::Hub(HubResponse::Devices(list)) => list,
        other => return print_response(other).and(Err(anyhow!("the hub sent no device list"))),
    };
    let found = list.into_iter().find(|d| &d.id == device).with_context(|| {
        format!("the hub knows no device {device} that this client may use; `sealhub client devices` lists them")
    })?;
    found
        .endpoints
        .iter()
        .find(|e| action.capability().is_none_or(|c| e.capabilities.contains(&c)))
        .map(|e| e.id)
        .with_context(|| {
            format!(
                "{} ({device}) has no endpoint that can do that; `sealhub client devices` shows what each endpoint can do",
                found.name
            )
        })
}

fn print_response(response: Response) -> Result<()> {
    match response {
        Response::Done { endpoint, state } => {
            println!("done: endpoint {endpoint} now {state:?}");
            Ok(())
        }
        Response::Queued => {
            println!("queued: the device sleeps; it runs the command when it wakes up");
            Ok(())
        }
        Response::Hub(HubResponse::Ok) => {
            println!("done");
            Ok(())
        }
        Response::Hub(other) => {
            println!("{other:?}");
            Ok(())
        }
        Response::Failed { failure, message } => bail!("failed ({failure:?}): {message}"),
        Response::TimedOut => bail!("the device did not answer in time"),
    }
}

async fn watch(dir: &Path) -> Result<()> {
    let store = open_store(dir)?;
    let paired = paired(&store)?;
    let home = paired.link.hub.home;
    let mut session = HubSession::open(paired).await?;
    println!("watching events from home {home} (Ctrl-C to stop)");
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            event = session.next_event() => match event {
                Ok(e) => println!(
                    "{} signed by kid {} (seq {}, epoch {}, verified against the home's root): {:?}",
                    e.device, e.kid, e.seq, e.epoch, e.event
                ),
                Err(client::Error::SessionEnded) => bail!("the hub ended the session"),
                Err(e) => return Err(e.into()),
            },
        }
    }
    let _ = session.close().await;
    Ok(())
}
