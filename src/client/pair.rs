//! Pairing from the client: the SPAKE2+ conversation over `/v1/pair` (the one connection
//! that may go unpinned: the code authenticates the hub), then the checks of what the hub
//! sent before anything is kept.

use super::{Error, HubLink, NewPairing, Result, base_url};
use crate::crypto::sha256;
use crate::identity::Certificate;
use crate::keymgmt::{Client, ClientKeys};
use crate::onboarding::{ClientBundle, HubBundle};
use crate::pairing::{ClientPairing, SetupCode};
use crate::transport::client::{ClientConnection, connect_unpinned_for_pairing};
use crate::transport::{self, PAIR_PATH};

/// Pairs with the hub at `url` (`wss://host:port`) using `code`, under `name`. Returns the
/// pairing to save ([`NewPairing::save`]) once every check passed: the hub id is the one the
/// code confirmed and the root key's kid; the certificate is the root key's, for this
/// client's id and both its keys (signing and key agreement), each in its own role; the first
/// key distribution opens with the agreement key.
pub async fn pair(url: &str, code: &SetupCode, name: &str) -> Result<NewPairing> {
    let base = base_url(url);
    let pair_url = format!("{base}{PAIR_PATH}");
    let keys = ClientKeys::generate()?;
    // Both public keys travel in the bundle sealed under the pairing key, which only a peer
    // that proved the code holds (SPAKE2+ key confirmation): that is what makes them this
    // client's in the hub's eyes.
    let client_bundle = ClientBundle {
        name: name.to_owned(),
        keys: keys.public(),
    }
    .to_bytes();
    let (awaiting_params, start) = ClientPairing::start(code, name)?;
    let mut conn = connect_unpinned_for_pairing(&pair_url)
        .await
        .map_err(|source| unreachable(&pair_url, source))?;
    conn.send(start).await?;
    let (awaiting_response, share) = awaiting_params.receive(&next(&mut conn).await?)?;
    conn.send(share).await?;
    let (awaiting_done, confirm) =
        awaiting_response.receive(&next(&mut conn).await?, &client_bundle)?;
    conn.send(confirm).await?;
    let confirmed_hub_id = awaiting_done.hub_id().to_vec();
    let hub_bytes = awaiting_done.receive(&next(&mut conn).await?)?;
    let mut ws = conn.into_inner();
    let presented = ws
        .get_ref()
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|cert| sha256(cert.as_ref()));
    let _ = ws.close(None).await;

    let hub = HubBundle::from_bytes(&hub_bytes)?;
    // The pin comes from the authenticated bundle; the certificate this connection saw
    // should be the same, or every later (pinned) connection would fail: say so now.
    if presented != Some(hub.tls_sha256) {
        return Err(Error::Verification(format!(
            "the hub vouches for TLS certificate {} but this connection presented {}: \
             something between here and the hub terminates TLS; connect to the hub directly",
            hex::encode(hub.tls_sha256),
            presented.map_or_else(|| "none".to_owned(), hex::encode)
        )));
    }
    if confirmed_hub_id != hub.home.0 {
        return Err(Error::Verification(
            "the home id in the bundle is not the one the code confirmed".into(),
        ));
    }
    let cert = Certificate::verify(&hub.certificate, &hub.root_key, None)
        .map_err(|e| Error::Verification(format!("the client certificate: {e}")))?;
    if cert.claims().subject != hub.client_id.as_str()
        || cert.claims().key != keys.signing.public_key()
        || cert.agreement_key() != Some(&keys.agreement.public_key())
    {
        return Err(Error::Verification(
            "the certificate is not for this client's id and keys".into(),
        ));
    }
    // Opened here, in memory, only to check it before anything is kept; `NewPairing::save`
    // opens it again in the client that lives in the store.
    let mut client = Client::new(hub.client_id.clone(), keys.clone(), hub.root_key);
    client
        .open(&hub.key_distribution)
        .map_err(|e| Error::Verification(format!("the key distribution: {e}")))?;
    Ok(NewPairing {
        keys,
        link: HubLink { url: base, hub },
    })
}

/// Connection failures before any byte was exchanged mean the hub is not there.
pub(super) fn unreachable(url: &str, source: transport::Error) -> Error {
    match source {
        transport::Error::Connect { .. }
        | transport::Error::TlsHandshake { .. }
        | transport::Error::Url { .. }
        | transport::Error::WebSocket(_) => Error::Unreachable {
            url: url.to_owned(),
            source,
        },
        other => Error::Transport(other),
    }
}

/// The next frame, or why there is none.
pub(super) async fn next(conn: &mut ClientConnection) -> Result<Vec<u8>> {
    match conn.recv().await {
        Some(frame) => Ok(frame?),
        None => Err(Error::SessionEnded),
    }
}
