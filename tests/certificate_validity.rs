//! A certificate's validity window (`nbf`, `exp`) is enforced wherever the clock is trusted: the
//! hub refuses a command signed under an expired or not yet valid client certificate, and a
//! client refuses events from a device whose certificate is out of its window and will not
//! encrypt a command to it. Without a trusted clock the window cannot be judged and is not.

mod support;

use coset::cbor::value::Value;
use sealhub::crypto::{AeadKey, PrivateKey};
use sealhub::envelope::freshness::FreshnessPolicy;
use sealhub::envelope::{self, Body, DeviceId, Error, MessageType, Route, SigningIdentity};
use sealhub::identity::{
    CertClaims, Certificate, Kid, Permissions, RevocationList, Role, Thumbprint,
};
use sealhub::keymgmt::{
    self, Client, ClientGrant, ClientKeys, ClientPublicKeys, Home, KeyDistribution, ReadGrant,
};
use sealhub::store::{KekSource, Store};
use std::time::Instant;
use zeroize::Zeroizing;

const NOW: u64 = 1_800_000_000;

fn id(s: &str) -> DeviceId {
    DeviceId::new(s).expect("valid id")
}

fn kid_of(key: &PrivateKey) -> Kid {
    Thumbprint::of(&key.public_key()).kid()
}

fn envelope_err(e: keymgmt::Error) -> Error {
    match e {
        keymgmt::Error::Envelope(e) => e,
        other => panic!("expected an envelope refusal, got {other}"),
    }
}

#[test]
fn the_hub_refuses_a_command_under_a_client_certificate_out_of_its_window() {
    let dir = support::tempdir();
    let store = Store::open(dir.path(), &KekSource::default_key_file(dir.path())).expect("store");
    let (mut home, _) = Home::open(store, FreshnessPolicy::default()).expect("home");
    home.issue_device(&id("zb:lock")).expect("device");
    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut client = Client::new(id("phone"), keys, home.root_public());
    let client_kid = client.kid();
    let grant = ClientGrant {
        permissions: Permissions::ALL,
        devices: None,
        not_before: Some(NOW - 100),
        expires: Some(NOW + 100),
    };
    let pairing = home
        .pair_client_with(&id("phone"), public, grant)
        .expect("pairs");
    client.open(&pairing.key_distribution).expect("applies");
    let mut unlock = |exp: u64| {
        client
            .seal_command(&id("zb:lock"), Value::Text("unlock".into()), exp, None)
            .expect("seal")
    };

    let late = home
        .open_command(&unlock(NOW + 160), Some(NOW + 100), Instant::now())
        .expect_err("expired certificate");
    assert!(
        matches!(&late, Error::CertificateNotValid { kid, reason }
            if *kid == client_kid && reason.contains("expired")),
        "{late}"
    );
    let early = home
        .open_command(&unlock(NOW - 150), Some(NOW - 200), Instant::now())
        .expect_err("certificate not yet valid");
    assert!(
        matches!(&early, Error::CertificateNotValid { reason, .. } if reason.contains("before")),
        "{early}"
    );
    home.open_command(&unlock(NOW + 60), Some(NOW), Instant::now())
        .expect("inside the window");
    // Without a trusted clock the window is not judged: the command is held only for
    // freshness (the echo), not refused for its certificate.
    let untrusted = home
        .open_command(&unlock(NOW + 60), None, Instant::now())
        .expect_err("needs an echo");
    assert!(
        matches!(untrusted, Error::FreshnessUnverified { .. }),
        "{untrusted}"
    );
}

/// A home built by hand: the root key issues a device certificate with a validity window, and
/// a key distribution carrying it reaches the client.
struct HandHome {
    root: PrivateKey,
    device: ClientKeys,
    epoch_key: [u8; 16],
}

impl HandHome {
    fn new() -> Self {
        HandHome {
            root: PrivateKey::generate().expect("rng"),
            device: ClientKeys::generate().expect("rng"),
            epoch_key: [0x42; 16],
        }
    }

    fn device_cert(&self, not_before: u64, expires: u64) -> Certificate {
        let mut claims = CertClaims::new(
            kid_of(&self.root),
            "zb:lock",
            Role::Device,
            Permissions::NONE,
            self.device.signing.public_key(),
            0,
        )
        .expect("rng")
        .with_agreement_key(self.device.agreement.public_key());
        claims.not_before = Some(not_before);
        claims.expires = Some(expires);
        Certificate::issue(claims, &self.root).expect("issue")
    }

    fn key_distribution(&self, client: &ClientPublicKeys, cert: &Certificate) -> Vec<u8> {
        let home = kid_of(&self.root);
        let dist = KeyDistribution {
            epoch: 1,
            read: ReadGrant::Epoch(Zeroizing::new(self.epoch_key)),
            device_certs: vec![cert.as_bytes().to_vec()],
            revocation_list: RevocationList::new(home).sign(&self.root).expect("sign"),
        };
        let route = Route {
            home,
            device: id("phone"),
            msg_type: MessageType::KeyDistribution,
            epoch: 1,
        };
        let body = body(MessageType::KeyDistribution, 1, dist.to_value());
        let signer = SigningIdentity {
            key: &self.root,
            kid: home,
        };
        let to_kid = Thumbprint::of(&client.agreement).kid();
        envelope::seal_for_key(&route, &body, signer, &client.agreement, to_kid).expect("seal")
    }

    fn event(&self, seq: u64) -> Vec<u8> {
        let route = Route {
            home: kid_of(&self.root),
            device: id("zb:lock"),
            msg_type: MessageType::Event,
            epoch: 1,
        };
        let signer = SigningIdentity {
            key: &self.device.signing,
            kid: kid_of(&self.device.signing),
        };
        let body = body(MessageType::Event, seq, Value::Text("locked".into()));
        envelope::seal_for_epoch(&route, &body, signer, &AeadKey::Aes128(self.epoch_key))
            .expect("seal")
    }
}

fn body(kind: MessageType, seq: u64, content: Value) -> Body {
    Body {
        msg_id: [seq as u8; 8],
        seq,
        time: 0,
        kind,
        body: content,
        exp: None,
        echo: None,
        re: None,
    }
}

#[test]
fn a_client_refuses_events_from_a_device_certificate_out_of_its_window() {
    let hub = HandHome::new();
    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut client = Client::new(id("phone"), keys, hub.root.public_key());
    let cert = hub.device_cert(NOW - 100, NOW + 100);
    client
        .open_at(&hub.key_distribution(&public, &cert), Some(NOW))
        .expect("applies");

    let err = client
        .open_at(&hub.event(1), Some(NOW + 100))
        .expect_err("expired device certificate");
    assert!(
        matches!(envelope_err(err), Error::CertificateNotValid { kid, .. } if kid == cert.kid())
    );
    let err = client
        .open_at(&hub.event(2), Some(NOW - 101))
        .expect_err("device certificate not yet valid");
    assert!(matches!(
        envelope_err(err),
        Error::CertificateNotValid { .. }
    ));
    client.open_at(&hub.event(3), Some(NOW)).expect("inside");
    client
        .open_at(&hub.event(4), None)
        .expect("without a trusted clock the window is not judged");
}

#[test]
fn a_client_with_a_trusted_clock_does_not_command_a_device_whose_certificate_expired() {
    let hub = HandHome::new();
    let keys = ClientKeys::generate().expect("rng");
    let public = keys.public();
    let mut client = Client::new(id("phone"), keys, hub.root.public_key());
    // Valid from 1 to 2 (Unix seconds): expired by any clock this test runs under.
    let cert = hub.device_cert(1, 2);
    client
        .open_at(&hub.key_distribution(&public, &cert), None)
        .expect("applies");
    let seal = |c: &mut Client| c.seal_command(&id("zb:lock"), Value::Null, NOW, None);
    assert!(seal(&mut client).is_ok(), "untrusted clock: not judged");
    client.set_clock_trusted(true);
    let err = seal(&mut client).expect_err("expired");
    assert!(matches!(
        envelope_err(err),
        Error::CertificateNotValid { .. }
    ));
}
