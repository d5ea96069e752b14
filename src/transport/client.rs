//! The client side: a WebSocket over TLS 1.3 to the hub that accepts exactly the pinned
//! certificate (by the SHA-256 of its DER), and yields binary frames.
//!
//! A paired client always has the pin: it learnt it inside the authenticated pairing
//! exchange. Only the pairing connection itself may go unpinned — the pairing protocol
//! authenticates the hub on its own and then hands over the fingerprint — and only through
//! the separately named [`connect_unpinned_for_pairing`], for `/v1/pair` URLs.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::{Error, MAX_HUB_FRAME, PAIR_PATH, Result};
use crate::crypto::sha256;

/// The WebSocket under a [`ClientConnection`], for callers that need frames of every kind.
pub type RawWebSocket = WebSocketStream<TlsStream<TcpStream>>;

/// Connects to `url` (`wss://host:port/v1/home?client=<id>` or `wss://host:port/v1/pair`),
/// accepting only the certificate whose SHA-256 is `pinned_sha256`. `None` is refused with
/// [`Error::PinRequired`]: an unpinned connection must be asked for by name, with
/// [`connect_unpinned_for_pairing`].
pub async fn connect(url: &str, pinned_sha256: Option<[u8; 32]>) -> Result<ClientConnection> {
    let pin = pinned_sha256.ok_or(Error::PinRequired)?;
    open(url, Some(pin)).await
}

/// Connects to a pairing URL (path `/v1/pair`) accepting any certificate. Safe only because
/// the pairing protocol authenticates the hub itself (with the setup code) and then gives
/// the client the fingerprint to pin for every later connection. Any other path is refused.
pub async fn connect_unpinned_for_pairing(url: &str) -> Result<ClientConnection> {
    let request = url
        .into_client_request()
        .map_err(|_| bad_url(url, "not a URL"))?;
    if request.uri().path() != PAIR_PATH {
        return Err(Error::PinRequired);
    }
    open(url, None).await
}

fn bad_url(url: &str, reason: &'static str) -> Error {
    Error::Url {
        url: url.to_owned(),
        reason,
    }
}

async fn open(url: &str, pin: Option<[u8; 32]>) -> Result<ClientConnection> {
    let request = url
        .into_client_request()
        .map_err(|_| bad_url(url, "not a URL"))?;
    let uri = request.uri();
    if uri.scheme_str() != Some("wss") {
        return Err(bad_url(url, "the scheme must be wss"));
    }
    let host = uri
        .host()
        .ok_or_else(|| bad_url(url, "no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let server_name =
        ServerName::try_from(host.clone()).map_err(|_| bad_url(url, "not a host name or IP"))?;

    let provider = super::tls::crypto_provider();
    let verifier = Arc::new(PinnedCertificate {
        pin,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut tls = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];

    let addr = format!("{host}:{port}");
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|source| Error::Connect {
            addr: addr.clone(),
            source,
        })?;
    // Commands are small frames sent one after another: not held back by Nagle's algorithm
    // (see the server's side in `server.rs`).
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(%addr, "cannot set TCP_NODELAY: {e}");
    }
    let stream = TlsConnector::from(Arc::new(tls))
        .connect(server_name, tcp)
        .await
        .map_err(|source| handshake_error(addr, source))?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_HUB_FRAME))
        .max_frame_size(Some(MAX_HUB_FRAME));
    let (ws, _response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    Ok(ClientConnection { ws, ended: false })
}

/// Turns a failed handshake into [`Error::NotThePinnedCertificate`] when the pin is why.
fn handshake_error(addr: String, source: std::io::Error) -> Error {
    let mismatch = source
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .and_then(|e| match e {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(other))) => {
                other.downcast_ref::<PinMismatch>()
            }
            _ => None,
        });
    match mismatch {
        Some(m) => Error::NotThePinnedCertificate {
            presented: hex::encode(m.presented),
        },
        None => Error::TlsHandshake { addr, source },
    }
}

/// A certificate other than the pinned one was presented.
#[derive(Debug, thiserror::Error)]
#[error("certificate SHA-256 {} is not the pinned one", hex::encode(.presented))]
struct PinMismatch {
    presented: [u8; 32],
}

/// Accepts exactly the pinned certificate (or, unpinned, any), and still checks that the
/// server holds its key: the handshake signature is verified against the certificate.
#[derive(Debug)]
struct PinnedCertificate {
    pin: Option<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let presented = sha256(end_entity);
        match self.pin {
            Some(pin) if pin != presented => Err(rustls::Error::InvalidCertificate(
                CertificateError::Other(OtherError(Arc::new(PinMismatch { presented }))),
            )),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A session with the hub: a [`Stream`] of the binary frames it sends and a [`Sink`] of the
/// binary frames to send. Pings are answered underneath. When the hub closes the session the
/// stream yields [`Error::Closed`] with its code and reason once, then ends.
#[derive(Debug)]
pub struct ClientConnection {
    ws: RawWebSocket,
    ended: bool,
}

impl ClientConnection {
    /// Sends one binary frame.
    pub async fn send(&mut self, frame: Vec<u8>) -> Result<()> {
        SinkExt::send(self, frame).await
    }

    /// The next binary frame; `None` once the session is over.
    pub async fn recv(&mut self) -> Option<Result<Vec<u8>>> {
        self.next().await
    }

    /// Closes the session (normal closure).
    pub async fn close(&mut self) -> Result<()> {
        match self.ws.close(None).await {
            Ok(()) | Err(tungstenite::Error::ConnectionClosed) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The WebSocket itself, for callers that need other frame kinds.
    pub fn into_inner(self) -> RawWebSocket {
        self.ws
    }
}

impl Stream for ClientConnection {
    type Item = Result<Vec<u8>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.ended {
                return Poll::Ready(None);
            }
            let item = ready!(self.ws.poll_next_unpin(cx));
            let out = match item {
                None => {
                    self.ended = true;
                    return Poll::Ready(None);
                }
                Some(Ok(Message::Binary(bytes))) => Ok(bytes.to_vec()),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Text(_))) => Err(Error::UnexpectedFrame("text")),
                Some(Ok(Message::Close(frame))) => {
                    self.ended = true;
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    Err(Error::Closed { code, reason })
                }
                Some(Err(e)) => {
                    self.ended = true;
                    Err(e.into())
                }
            };
            return Poll::Ready(Some(out));
        }
    }
}

impl Sink<Vec<u8>> for ClientConnection {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.ws.poll_ready_unpin(cx).map_err(Error::from)
    }

    fn start_send(mut self: Pin<&mut Self>, frame: Vec<u8>) -> Result<()> {
        self.ws
            .start_send_unpin(Message::Binary(frame.into()))
            .map_err(Error::from)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.ws.poll_flush_unpin(cx).map_err(Error::from)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.ws.poll_close_unpin(cx).map_err(Error::from)
    }
}
