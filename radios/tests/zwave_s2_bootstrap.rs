//! S2 bootstrapping between the includer and joiner typestates, wired through two real
//! S2Sessions in memory: every grant combination, wrong PIN, tampered/downgraded echoes, and
//! the joiner's refusals.

use std::collections::BTreeMap;

use sealhub_radios::zwave::s2::bootstrap::{
    Aborted, AwaitingEcho, IncluderConfig, JoinerConfig, JoinerIdle, JoinerNext, Outgoing,
    format_dsk, start_inclusion,
};
use sealhub_radios::zwave::s2::session::{KeyId, S2Session};
use sealhub_radios::zwave::s2::{
    Error, KexFailType, KexParams, KeyClasses, S2Command, SecurityClass,
};
use sealhub_radios::zwave::security::Key128;
use sealhub_radios::zwave::security::x25519::PrivateKey;

const HOME: u32 = 0xE1A2_B3C4;
const CTRL: u8 = 1;
const NODE: u8 = 7;

fn network_keys() -> BTreeMap<SecurityClass, Key128> {
    SecurityClass::HIGHEST_FIRST
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, Key128::new([0x10 + i as u8; 16])))
        .collect()
}

struct Net {
    ctrl: S2Session,
    node: S2Session,
}

impl Net {
    fn new() -> Self {
        let mut ctrl = S2Session::new(CTRL, HOME, [0xC1; 32]);
        for (c, k) in network_keys() {
            ctrl.set_network_key(c, &k);
        }
        Net {
            ctrl,
            node: S2Session::new(NODE, HOME, [0x0D; 32]),
        }
    }

    /// Carries `out` across; returns what the receiver got and under which key, or the
    /// receiver's decapsulation error.
    fn carry(
        &mut self,
        to_node: bool,
        out: &Outgoing,
    ) -> Result<(S2Command, Option<KeyId>), Error> {
        let (tx, rx, from, to) = if to_node {
            (&mut self.ctrl, &mut self.node, CTRL, NODE)
        } else {
            (&mut self.node, &mut self.ctrl, NODE, CTRL)
        };
        let bytes = out.command.encode()?;
        let Some(key) = out.protection else {
            return Ok((S2Command::decode(&bytes)?, None));
        };
        let frame = match tx.encapsulate(to, key, &bytes) {
            Err(Error::NoSpan(_)) => {
                let S2Command::NonceGet { seq } = tx.nonce_get(to) else {
                    unreachable!()
                };
                let rep = rx.on_nonce_get(from, seq)?;
                tx.on_nonce_report(to, &rep)?;
                tx.encapsulate(to, key, &bytes)?
            }
            other => other?,
        };
        let d = rx.decapsulate(from, &frame)?;
        Ok((S2Command::decode(&d.plaintext)?, Some(d.key)))
    }
}

/// What to do differently in a run.
#[derive(Default, Clone, Copy)]
struct Twist {
    wrong_pin: bool,
    /// Replace the node's echoed KEX Set keys with these.
    echo_keys: Option<KeyClasses>,
    /// Send the echo unencrypted.
    plain_echo: bool,
}

enum Outcome {
    Done {
        ctrl_granted: KeyClasses,
        node_keys: BTreeMap<SecurityClass, Key128>,
        net: Net,
    },
    CtrlAborted(Aborted),
}

fn run(requested: KeyClasses, allowed: KeyClasses, twist: Twist) -> Outcome {
    let mut net = Net::new();
    let joiner = JoinerIdle::new(JoinerConfig {
        requested,
        private_key: PrivateKey::from_bytes([0x77; 32]),
    });
    let label_dsk = joiner.dsk();
    let (ctrl, out) = start_inclusion(IncluderConfig {
        allowed,
        network_keys: network_keys(),
        private_key: PrivateKey::from_bytes([0x55; 32]),
    });
    let (msg, p) = net.carry(true, &out).unwrap();
    let (joiner, out) = joiner.on_kex_get(&msg, p).unwrap();
    let (msg, p) = net.carry(false, &out).unwrap();
    let (ctrl, out) = ctrl.on_kex_report(&msg, p).unwrap();
    let (msg, p) = net.carry(true, &out).unwrap();
    let (joiner, out) = joiner.on_kex_set(&msg, p).unwrap();
    let (msg, p) = net.carry(false, &out).unwrap();
    let ctrl = ctrl.on_public_key(&msg, p).unwrap();
    let shown = ctrl.dsk();
    assert_eq!(shown[2..], label_dsk[2..], "DSK shown to the user");
    let pin = if ctrl.needs_pin() {
        assert_eq!(shown[..2], [0, 0], "PIN bytes obfuscated");
        let typed = u16::from_be_bytes([label_dsk[0], label_dsk[1]]);
        Some(if twist.wrong_pin { typed ^ 1 } else { typed })
    } else {
        assert_eq!(shown, label_dsk);
        None
    };
    let (ctrl, out): (AwaitingEcho, Outgoing) = ctrl.confirm(pin).unwrap();
    net.ctrl.set_temp_keys(NODE, ctrl.temp_keys().clone());
    let (msg, p) = net.carry(true, &out).unwrap();
    let (joiner, mut out) = joiner.on_public_key(&msg, p).unwrap();
    net.node.set_temp_keys(CTRL, joiner.temp_keys().clone());
    if let (Some(keys), S2Command::KexSet(set)) = (twist.echo_keys, &mut out.command) {
        set.keys = keys;
    }
    if twist.plain_echo {
        out.protection = None;
    }
    let (ctrl, out) = match net.carry(false, &out) {
        Ok((msg, p)) => match ctrl.on_echo_kex_set(&msg, p) {
            Ok(x) => x,
            Err(a) => return Outcome::CtrlAborted(a),
        },
        Err(Error::CannotDecrypt(_)) => return Outcome::CtrlAborted(ctrl.on_decrypt_failure()),
        Err(e) => panic!("{e:?}"),
    };
    let (msg, p) = net.carry(true, &out).unwrap();
    let (mut joiner, mut out) = joiner.on_echo_kex_report(&msg, p).unwrap();
    let mut ctrl = ctrl;
    loop {
        // Network Key Get → Report → Verify → Transfer End
        let (msg, p) = net.carry(false, &out).unwrap();
        let (verify_state, o) = ctrl.on_network_key_get(&msg, p).unwrap();
        let (msg, p) = net.carry(true, &o).unwrap();
        let (verifying, o) = joiner.on_network_key_report(&msg, p).unwrap();
        let (class, key) = verifying.key().unwrap();
        net.node.set_network_key(class, key);
        let (msg, p) = net.carry(false, &o).unwrap();
        let (next_ctrl, o) = verify_state.on_verify(&msg, p).unwrap();
        ctrl = next_ctrl;
        let (msg, p) = net.carry(true, &o).unwrap();
        let (next, o) = verifying.on_transfer_end(&msg, p).unwrap();
        out = o;
        match next {
            JoinerNext::More(j) => joiner = j,
            JoinerNext::Done(joined) => {
                let (msg, p) = net.carry(false, &out).unwrap();
                let included = ctrl.on_transfer_end(&msg, p).unwrap();
                net.ctrl.clear_temp_keys(NODE);
                net.node.clear_temp_keys(CTRL);
                return Outcome::Done {
                    ctrl_granted: included.granted,
                    node_keys: joined.keys,
                    net,
                };
            }
        }
    }
}

const UNAUTH: KeyClasses = KeyClasses::S2_UNAUTHENTICATED;
const AUTH: KeyClasses = KeyClasses::S2_AUTHENTICATED;
const AC: KeyClasses = KeyClasses::S2_ACCESS_CONTROL;

#[test]
fn every_grant_combination() {
    for bits in 1u8..8 {
        let requested = KeyClasses::from_bits_truncate(bits);
        let Outcome::Done {
            ctrl_granted,
            node_keys,
            mut net,
        } = run(requested, KeyClasses::all(), Twist::default())
        else {
            panic!("bootstrapping {requested:?} failed");
        };
        assert_eq!(ctrl_granted, requested);
        let all = network_keys();
        assert_eq!(node_keys.len(), requested.classes().len());
        for (c, k) in &node_keys {
            assert_eq!(Some(k), all.get(c), "{c:?}");
        }
        // traffic under the highest granted class works both ways afterwards
        let top = KeyId::Network(requested.classes()[0]);
        let get = Outgoing {
            command: S2Command::CommandsSupportedGet,
            protection: Some(top),
        };
        assert_eq!(
            net.carry(true, &get).unwrap(),
            (S2Command::CommandsSupportedGet, Some(top))
        );
        let rep = Outgoing {
            command: S2Command::CommandsSupportedReport {
                ccs: vec![0x25, 0x26],
            },
            protection: Some(top),
        };
        assert_eq!(net.carry(false, &rep).unwrap().1, Some(top));
    }
}

#[test]
fn with_s0_and_user_restriction() {
    // node asks for everything, user allows only unauthenticated + S0
    let Outcome::Done { ctrl_granted, .. } =
        run(KeyClasses::all(), UNAUTH | KeyClasses::S0, Twist::default())
    else {
        panic!()
    };
    assert_eq!(ctrl_granted, UNAUTH | KeyClasses::S0);
}

#[test]
fn wrong_pin_refused() {
    for requested in [AUTH, AC, AUTH | UNAUTH] {
        let twist = Twist {
            wrong_pin: true,
            ..Twist::default()
        };
        let Outcome::CtrlAborted(a) = run(requested, KeyClasses::all(), twist) else {
            panic!("wrong PIN accepted for {requested:?}");
        };
        assert_eq!(a.reason, KexFailType::Decrypt);
        assert_eq!(a.reply.command, S2Command::KexFail(KexFailType::Decrypt));
        assert_eq!(a.reply.command.encode().unwrap(), [0x9F, 0x07, 0x05]);
    }
}

#[test]
fn tampered_or_downgraded_echo_refused() {
    for (requested, echoed) in [
        (AC | AUTH, AUTH),          // downgrade: fewer classes echoed
        (UNAUTH, AUTH),             // other class echoed
        (AUTH | UNAUTH, AC | AUTH), // upgrade attempt
    ] {
        let twist = Twist {
            echo_keys: Some(echoed),
            ..Twist::default()
        };
        let Outcome::CtrlAborted(a) = run(requested, KeyClasses::all(), twist) else {
            panic!("echo {echoed:?} accepted");
        };
        assert_eq!(a.reason, KexFailType::Auth);
    }
    let twist = Twist {
        plain_echo: true,
        ..Twist::default()
    };
    let Outcome::CtrlAborted(a) = run(UNAUTH, KeyClasses::all(), twist) else {
        panic!("plain echo accepted");
    };
    assert_eq!(a.reason, KexFailType::Auth);
}

#[test]
fn includer_refusals() {
    let cfg = |allowed| IncluderConfig {
        allowed,
        network_keys: network_keys(),
        private_key: PrivateKey::from_bytes([1; 32]),
    };
    let report = |schemes, curves, keys| {
        S2Command::KexReport(KexParams {
            echo: false,
            csa: false,
            schemes,
            curves,
            keys,
            reserved: 0,
        })
    };
    let (s, _) = start_inclusion(cfg(KeyClasses::all()));
    assert_eq!(
        s.on_kex_report(&report(0x04, 1, AUTH), None)
            .unwrap_err()
            .reason,
        KexFailType::KexScheme
    );
    let (s, _) = start_inclusion(cfg(KeyClasses::all()));
    assert_eq!(
        s.on_kex_report(&report(0x02, 2, AUTH), None)
            .unwrap_err()
            .reason,
        KexFailType::KexCurves
    );
    let (s, _) = start_inclusion(cfg(UNAUTH));
    assert_eq!(
        s.on_kex_report(&report(0x02, 1, AC), None)
            .unwrap_err()
            .reason,
        KexFailType::KexKey
    );
    // the PIN is required for authenticated grants
    let (s, _) = start_inclusion(cfg(KeyClasses::all()));
    let (s, _) = s.on_kex_report(&report(0x02, 1, AUTH), None).unwrap();
    let s = s
        .on_public_key(
            &S2Command::PublicKeyReport {
                including_node: false,
                public_key: [9; 32],
            },
            None,
        )
        .unwrap();
    assert!(s.needs_pin());
    assert_eq!(s.confirm(None).unwrap_err().reason, KexFailType::Cancel);
}

#[test]
fn joiner_refusals() {
    let joiner = || {
        JoinerIdle::new(JoinerConfig {
            requested: UNAUTH | AUTH,
            private_key: PrivateKey::from_bytes([3; 32]),
        })
        .on_kex_get(&S2Command::KexGet, None)
        .unwrap()
        .0
    };
    let set = |schemes, curves, keys| {
        S2Command::KexSet(KexParams {
            echo: false,
            csa: false,
            schemes,
            curves,
            keys,
            reserved: 0,
        })
    };
    assert_eq!(
        joiner()
            .on_kex_set(&set(0x02, 1, AC), None)
            .unwrap_err()
            .reason,
        KexFailType::KexKey
    );
    assert_eq!(
        joiner()
            .on_kex_set(&set(0x02, 1, KeyClasses::empty()), None)
            .unwrap_err()
            .reason,
        KexFailType::KexKey
    );
    assert_eq!(
        joiner()
            .on_kex_set(&set(0x06, 1, AUTH), None)
            .unwrap_err()
            .reason,
        KexFailType::KexScheme
    );
    assert_eq!(
        joiner()
            .on_kex_set(&set(0x02, 3, AUTH), None)
            .unwrap_err()
            .reason,
        KexFailType::KexCurves
    );
    // obfuscation follows the grant
    let (_, out) = joiner().on_kex_set(&set(0x02, 1, UNAUTH), None).unwrap();
    let S2Command::PublicKeyReport { public_key, .. } = out.command else {
        panic!()
    };
    assert_ne!(public_key[..2], [0, 0]);
    let (_, out) = joiner().on_kex_set(&set(0x02, 1, AUTH), None).unwrap();
    let S2Command::PublicKeyReport { public_key, .. } = out.command else {
        panic!()
    };
    assert_eq!(public_key[..2], [0, 0]);
}

#[test]
fn dsk_format() {
    let dsk = [0x01, 0x02, 0xFF, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        format_dsk(&dsk),
        "00258-65535-00000-00001-00000-00000-00000-00000"
    );
}
