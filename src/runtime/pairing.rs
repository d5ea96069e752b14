//! Pairing at `sealhub run`'s start: opens [`Onboarding`] with this start's setup code, and
//! the banner that prints the code, the TLS fingerprint and the command to pair from this
//! machine. The transport wiring in the gateway task calls both once the transport is bound
//! (its address is in the banner); the gateway task then holds the `Onboarding` as its
//! [`super::gateway::PairingHandler`] and feeds it the transport's pairing frames, closes and
//! ticks.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result};
use sealhub::keymgmt::Home;
use sealhub::onboarding::Onboarding;
use sealhub::pairing::{PairingPolicy, SetupCode};
use sealhub::store::Store;

/// Opens pairing over `store` (a handle on the hub's sealed store) for `home` under `policy`,
/// and makes this start's code (it pairs one owner, then is used up).
pub(crate) fn open_onboarding(
    store: Store,
    home: &Home,
    policy: PairingPolicy,
    now: Instant,
) -> Result<(Onboarding, SetupCode)> {
    let mut onboarding = Onboarding::open(store, home, policy, now, home.now_unix())
        .context("cannot open pairing")?;
    let code = onboarding
        .start_code(now)
        .context("cannot make a setup code")?;
    Ok((onboarding, code))
}

/// The block printed at start: the code, the fingerprint, and the command to pair from this
/// machine with the transport bound at `addr`.
pub(crate) fn pairing_banner(addr: SocketAddr, code: &SetupCode, fingerprint_hex: &str) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    let code = code.to_grouped_string();
    format!(
        "\nPair a client with this hub (the code works once, until the hub restarts):\n\
         \x20 setup code:       {code}\n\
         \x20 TLS fingerprint:  {fingerprint_hex}\n\
         \x20 from this machine:\n\
         \x20   sealhub client pair wss://{host}:{port} --code {code}\n\n",
        code = code.as_str(),
        port = addr.port()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealhub::envelope::freshness::FreshnessPolicy;
    use sealhub::onboarding::PairingHandler;
    use sealhub::pairing::verifier::MIN_ITERATIONS;
    use sealhub::pairing::{ClientPairing, Message};
    use sealhub::store::KekSource;
    use sealhub::transport::Outbound;

    #[test]
    fn the_banner_gives_the_code_grouped_and_the_exact_command() {
        let code = SetupCode::parse("1234-5670").or_else(|_| SetupCode::generate(1));
        let code = code.expect("a code");
        let grouped = code.to_grouped_string();
        let banner = pairing_banner("0.0.0.0:8443".parse().expect("addr"), &code, "ab12");
        assert!(banner.contains(&format!(
            "sealhub client pair wss://127.0.0.1:8443 --code {}",
            grouped.as_str()
        )));
        assert!(banner.contains("TLS fingerprint:  ab12"));
        let v6 = pairing_banner("[::1]:9000".parse().expect("addr"), &code, "ab12");
        assert!(v6.contains("wss://[::1]:9000"));
    }

    /// What the gateway task will get at start: pairing whose printed code a client can start
    /// with, answered (through the handler trait) with PairParams on the client's connection.
    #[test]
    fn the_printed_code_starts_a_pairing_through_the_handler() {
        // Private (0700): the store refuses a directory other users can enter.
        let dir = tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .expect("tmp");
        let store =
            Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
        let (mut home, _) = Home::open(store.handle(), FreshnessPolicy::default()).expect("home");
        let policy = PairingPolicy {
            iterations: MIN_ITERATIONS,
            ..PairingPolicy::default()
        };
        let now = Instant::now();
        let (onboarding, code) = open_onboarding(store.handle(), &home, policy, now).expect("open");
        let mut handler: Box<dyn PairingHandler> = Box::new(onboarding);
        let banner = pairing_banner("127.0.0.1:8443".parse().expect("addr"), &code, "ab12");
        assert!(banner.contains(code.to_grouped_string().as_str()));

        let (_, start) = ClientPairing::start(&code, "laptop").expect("start");
        let out = handler.on_frame(&mut home, [0; 32], 7, &start, now);
        match out.as_slice() {
            [Outbound::ToConnection { conn: 7, bytes }] => assert!(matches!(
                Message::from_bytes(bytes).expect("message"),
                Message::Params { .. }
            )),
            other => panic!("unexpected {other:?}"),
        }
    }
}
