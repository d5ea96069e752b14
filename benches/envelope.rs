//! Envelope cost against its floor: sealing an event against a bare ES256 signature and opening
//! one against a bare verification, measured in the same run, plus commands (which add ECDH).
//! Goals (docs/PERFORMANCE.md): seal event <= 1.15x sign, open event <= 1.15x verify.

use coset::cbor::value::Value;
use criterion::{Criterion, criterion_group, criterion_main};
use sealhub::crypto::{AeadKey, PrivateKey, PublicKey};
use sealhub::envelope::{
    self, Body, DeviceId, Error, Keyring, MessageType, Route, SigningIdentity,
};
use sealhub::identity::{Kid, Thumbprint};
use std::hint::black_box;

struct Keys {
    home: Kid,
    epoch: AeadKey,
    device: (Kid, PrivateKey),
    client: (Kid, PublicKey),
}

impl Keyring for Keys {
    fn home(&self) -> Kid {
        self.home
    }
    fn epoch_key(&self, epoch: u32) -> Option<AeadKey> {
        (epoch == 1).then(|| self.epoch.clone())
    }
    fn recipient_key(&self, kid: &Kid, _: &Route) -> Option<PrivateKey> {
        (*kid == self.device.0).then(|| self.device.1.clone())
    }
    fn signer(&self, kid: &Kid, _: &Route) -> envelope::Result<PublicKey> {
        if *kid == self.device.0 {
            Ok(self.device.1.public_key())
        } else if *kid == self.client.0 {
            Ok(self.client.1)
        } else {
            Err(Error::UnknownKid(*kid))
        }
    }
}

fn kid_of(k: &PrivateKey) -> Kid {
    Thumbprint::of(&k.public_key()).kid()
}

fn bench(c: &mut Criterion) {
    let device = PrivateKey::generate().expect("rng");
    let client = PrivateKey::generate().expect("rng");
    let hub = PrivateKey::generate().expect("rng");
    let keys = Keys {
        home: kid_of(&hub),
        epoch: AeadKey::Aes128([7; 16]),
        device: (kid_of(&device), device.clone()),
        client: (kid_of(&client), client.public_key()),
    };
    let route = |t| Route {
        home: keys.home,
        device: DeviceId::new("zb:bulb-1").expect("id"),
        msg_type: t,
        epoch: 1,
    };
    let body = |kind, exp| Body {
        msg_id: [1; 8],
        seq: 1_000,
        time: 1_800_000_000,
        kind,
        body: Value::Bytes(vec![0x5a; 64]),
        exp,
        echo: None,
        re: None,
    };
    let event_route = route(MessageType::Event);
    let event_body = body(MessageType::Event, None);
    let cmd_route = route(MessageType::Command);
    let cmd_body = body(MessageType::Command, Some(1_800_000_060));
    let dev_id = SigningIdentity {
        key: &device,
        kid: keys.device.0,
    };
    let cli_id = SigningIdentity {
        key: &client,
        kid: keys.client.0,
    };
    // The baseline signs what the envelope signs: a Sig_structure of similar size.
    let tbs = vec![0x33u8; 120];
    let sig = device.sign(&tbs);
    let device_pub = device.public_key();

    let event =
        envelope::seal_for_epoch(&event_route, &event_body, dev_id, &keys.epoch).expect("seal");
    let command = envelope::seal_for_key(&cmd_route, &cmd_body, cli_id, &device_pub, keys.device.0)
        .expect("seal");
    eprintln!("event envelope with a 64-byte body: {} bytes", event.len());
    eprintln!(
        "command envelope with a 64-byte body: {} bytes",
        command.len()
    );

    let mut g = c.benchmark_group("envelope");
    g.bench_function("baseline: ES256 sign", |b| {
        b.iter(|| device.sign(black_box(&tbs)))
    });
    g.bench_function("baseline: ES256 verify", |b| {
        b.iter(|| device_pub.verify(black_box(&tbs), black_box(&sig)))
    });
    g.bench_function("seal event (64-byte body)", |b| {
        b.iter(|| {
            envelope::seal_for_epoch(&event_route, black_box(&event_body), dev_id, &keys.epoch)
        })
    });
    g.bench_function("open event (64-byte body)", |b| {
        b.iter(|| envelope::open(black_box(&event), &keys))
    });
    g.bench_function("seal command (64-byte body)", |b| {
        b.iter(|| {
            envelope::seal_for_key(
                &cmd_route,
                black_box(&cmd_body),
                cli_id,
                &device_pub,
                keys.device.0,
            )
        })
    });
    g.bench_function("open command (64-byte body)", |b| {
        b.iter(|| envelope::open(black_box(&command), &keys))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
