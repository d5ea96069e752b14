//! The hub's TLS identity: a self-signed P-256 certificate made on first start, its private key
//! sealed in the store, the same certificate on every later start. Clients do not check it
//! against any CA: they pin its SHA-256 fingerprint, which they learn inside the authenticated
//! pairing exchange (`docs/TRANSPORT.md`, "TLS identity and pinning").

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use zeroize::Zeroizing;

use super::{Error, Result};
use crate::crypto::sha256;
use crate::store::{Store, WriteBatch};

/// The store tree holding the transport's records.
pub const STORE_TREE: &str = "transport";
/// The record holding the certificate (DER).
const CERTIFICATE_KEY: &[u8] = b"tls-certificate";
/// The record holding the private key (PKCS#8 DER).
const PRIVATE_KEY_KEY: &[u8] = b"tls-private-key";

/// The names the certificate carries. Clients pin the certificate itself, so these are only
/// for tools that insist on a name matching the address they dialled.
const SUBJECT_ALT_NAMES: [&str; 4] = ["sealhub", "localhost", "127.0.0.1", "::1"];

/// The server's certificate and private key. The key is zeroized on drop and never shown by
/// `Debug`; rustls zeroizes the copy it parses. (What stays unzeroized is beyond reach: the
/// key inside *ring* once parsed, and rcgen's copy while a new certificate is made.)
pub struct TlsIdentity {
    certificate: CertificateDer<'static>,
    private_key: Zeroizing<Vec<u8>>,
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint", &hex::encode(self.fingerprint))
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl TlsIdentity {
    /// Loads the identity sealed in `store`, or makes one and seals it (certificate and key in
    /// one atomic write) if there is none. Returns whether it was created.
    pub fn load_or_create(store: &Store) -> Result<(TlsIdentity, bool)> {
        let certificate = store.get(STORE_TREE, CERTIFICATE_KEY)?;
        let private_key = store.get(STORE_TREE, PRIVATE_KEY_KEY)?;
        match (certificate, private_key) {
            (Some(certificate), Some(private_key)) => {
                let identity = TlsIdentity::from_parts(certificate.to_vec(), private_key)?;
                Ok((identity, false))
            }
            (None, None) => {
                let identity = TlsIdentity::generate()?;
                let mut batch = WriteBatch::new();
                batch
                    .put(STORE_TREE, CERTIFICATE_KEY, &identity.certificate)
                    .put(STORE_TREE, PRIVATE_KEY_KEY, &identity.private_key);
                store.apply(batch)?;
                tracing::info!(
                    fingerprint = %identity.fingerprint_hex(),
                    "created the hub's TLS certificate"
                );
                Ok((identity, true))
            }
            // Written together, so one without the other is damage, not a first start; making
            // a new certificate would silently break every client's pin.
            _ => Err(Error::Identity(
                "the store holds only one of the TLS certificate and its key".into(),
            )),
        }
    }

    /// A new self-signed P-256 certificate, valid from 1975 to 4096 (rcgen's defaults), so a
    /// hub whose clock starts in 1970 and clients that pin do not trip over dates.
    pub fn generate() -> Result<TlsIdentity> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Error::Identity(format!("cannot generate the key: {e}")))?;
        let names: Vec<String> = SUBJECT_ALT_NAMES.iter().map(|s| s.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names)
            .map_err(|e| Error::Identity(format!("certificate names: {e}")))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sealhub hub");
        let certificate = params
            .self_signed(&key)
            .map_err(|e| Error::Identity(format!("cannot sign the certificate: {e}")))?;
        let private_key = Zeroizing::new(key.serialize_der());
        TlsIdentity::from_parts(certificate.der().to_vec(), private_key)
    }

    /// Puts a certificate and its key together, checking that they match.
    fn from_parts(certificate: Vec<u8>, private_key: Zeroizing<Vec<u8>>) -> Result<TlsIdentity> {
        let identity = TlsIdentity {
            fingerprint: sha256(&certificate),
            certificate: CertificateDer::from(certificate),
            private_key,
        };
        // Building the server configuration parses both and compares their public keys.
        identity.server_config()?;
        Ok(identity)
    }

    /// The SHA-256 of the certificate's DER: what clients pin.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The fingerprint in lowercase hex, for logs and for people comparing it.
    pub fn fingerprint_hex(&self) -> String {
        hex::encode(self.fingerprint)
    }

    /// The certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate
    }

    /// The rustls server configuration: TLS 1.3 only, the ring provider, this certificate,
    /// no client certificates (clients are authenticated by their envelopes), ALPN
    /// `http/1.1` for the WebSocket upgrade.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.private_key.to_vec()));
        let mut config = ServerConfig::builder_with_provider(crypto_provider())
            .with_protocol_versions(&[&rustls::version::TLS13])?
            .with_no_client_auth()
            .with_single_cert(vec![self.certificate.clone()], key)
            .map_err(|e| Error::Identity(format!("certificate and key do not fit: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The one rustls crypto provider of both sides: *ring*, which builds with `cc` alone and so
/// cross-compiles to the Pi's aarch64 without cmake.
///
/// rustls 0.23.48 deprecates it for lacking post-quantum key exchange. That costs nothing
/// here: what matters travels in envelopes sealed with P-256 and AES-GCM whatever the TLS
/// below, so TLS protects only routing metadata that a relay sees anyway; a post-quantum
/// key exchange would not make the bodies any safer. Revisit with rustls 0.24.
#[allow(deprecated)]
pub(crate) fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KekSource;

    fn store(dir: &std::path::Path) -> Store {
        Store::open(dir, &KekSource::default_key_file(dir)).expect("store opens")
    }

    #[test]
    fn the_same_certificate_comes_back_on_every_start() {
        let dir = crate::store::private_tempdir();
        let (first, created) = {
            let s = store(dir.path());
            TlsIdentity::load_or_create(&s).expect("creates")
        };
        assert!(created);
        let s = store(dir.path());
        let (again, created) = TlsIdentity::load_or_create(&s).expect("loads");
        assert!(!created);
        assert_eq!(again.fingerprint(), first.fingerprint());
        assert_eq!(again.certificate_der(), first.certificate_der());
        assert_eq!(first.fingerprint(), sha256(first.certificate_der()));
        // A fresh identity is another certificate.
        assert_ne!(
            TlsIdentity::generate().expect("gen").fingerprint(),
            first.fingerprint()
        );
    }

    #[test]
    fn a_half_written_or_mismatched_identity_is_refused_not_replaced() {
        let dir = crate::store::private_tempdir();
        let s = store(dir.path());
        let (original, _) = TlsIdentity::load_or_create(&s).expect("creates");
        // Another identity's key under this certificate.
        let other = TlsIdentity::generate().expect("gen");
        s.put(STORE_TREE, PRIVATE_KEY_KEY, &other.private_key)
            .expect("put");
        let err = TlsIdentity::load_or_create(&s).expect_err("mismatch");
        assert!(matches!(err, Error::Identity(_)), "{err}");
        // The key alone, its certificate gone.
        s.remove(STORE_TREE, CERTIFICATE_KEY).expect("remove");
        let err = TlsIdentity::load_or_create(&s).expect_err("half");
        assert!(matches!(err, Error::Identity(_)), "{err}");
        assert!(s.get(STORE_TREE, PRIVATE_KEY_KEY).expect("get").is_some());
        drop(original);
    }

    #[test]
    fn debug_shows_the_fingerprint_and_never_the_key() {
        let identity = TlsIdentity::generate().expect("gen");
        let shown = format!("{identity:?}");
        assert!(shown.contains(&identity.fingerprint_hex()), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(
            !shown.contains(&hex::encode(&identity.private_key[..])),
            "{shown}"
        );
    }
}
