//! The laptop's side of a home: pairing with a setup code over the clients' transport, the
//! state a paired client keeps, and a session that seals commands and opens what the hub
//! sends. The `sealhub client` command is a thin layer over this (printing, paths, exit codes).
//!
//! ```text
//! pair(url, code, name) ── /v1/pair (unpinned) ─► NewPairing { ClientKeys, HubLink }
//!                                                   │ .save(store): the client's own store
//! PairedClient::load(store) = { HubLink, keymgmt::Client (persistent, written through) }
//! HubSession::open(paired) ── /v1/home?client=<id> (pinned) ─► request(device, command)
//!                                                             next_event()
//! ```

pub mod action;
mod error;
mod pair;
pub mod paired;
mod session;

pub use error::{Error, Result};
pub use pair::pair;
pub use paired::{HubLink, NewPairing, PairedClient};
pub use session::{HubSession, VerifiedEvent};

/// The hub's base URL as the person typed it (`wss://host:port`), without a trailing slash or
/// a transport path, so the pairing and home paths can be appended.
pub fn base_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(crate::transport::PAIR_PATH).unwrap_or(url);
    url.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_urls_lose_their_path_and_slash() {
        assert_eq!(super::base_url("wss://h:1/"), "wss://h:1");
        assert_eq!(super::base_url("wss://h:1/v1/pair"), "wss://h:1");
        assert_eq!(super::base_url(" wss://[::1]:8443 "), "wss://[::1]:8443");
    }
}
