//! Simulated secure Z-Wave nodes: a door lock on S2 Access Control, a dimmer on S2
//! Authenticated, an old siren on S0, and a battery sensor on S2 Unauthenticated that sleeps
//! and sends its Wake Up Notification under S2 (it takes Wake Up No More Information only
//! under S2, as a strict node does, and stays awake when told in the clear). Written apart from the driver's security layer: they
//! share only the crypto and frame types (`S2Session`, `S0Session`, the joiner typestates of
//! `s2::bootstrap`), never the host's flow, so the two cannot share a mistake in the protocol.
//!
//! Each node does its side of bootstrapping as the controller's host drives it (S2: KEX Report,
//! public key with the PIN bytes blanked, KEX Set echo under the temporary key, one Network Key
//! Get/Verify per granted class, Transfer End; S0: Scheme Report, then the network key under the
//! all-zero key and Network Key Verify under the new one). Nonces are fetched when needed (S2
//! Nonce Get → Nonce Report SOS; S0 Nonce Get → Nonce Report) and frames waiting for one are
//! held until it comes.
//!
//! Afterwards the device's command class is served only under its class
//! ([`SecureDevice::required_class`]); anything else is ignored and recorded
//! ([`SecureNodeState::refused`]). A host's interview is answered as a real node answers it:
//! the secure command class list (S2 or S0 Commands Supported), and Version, Manufacturer
//! Specific and Z-Wave Plus Info under the protection the question came with. The S2 devices
//! take commands inside Supervision. A test can make a node reboot (it loses its SPAN and S0
//! nonces) or answer downgraded ([`Answer`]).
//!
//! A joining node repeats its KEX Set echo every [`ECHO_PERIOD`] (libs2's TB5) until the
//! includer answers, as real nodes do: zwave-js sends its public key before asking the user for
//! the PIN, and ignores an echo that arrives before the PIN is typed, so the repeat is what
//! carries bootstrapping on ([`SecureNode::poll`], driven by the stick's ticks).
//!
//! Time: S0 nonces expire, so this module reads [`Instant::now`]; randomness comes from
//! per-node fixed seeds (an emulator needs no secrecy, and runs stay reproducible).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sealhub_radios::zwave::s0::{self, S0Command, S0Session};
use sealhub_radios::zwave::s2::bootstrap::{
    Aborted, JoinerAwaitingEcho, JoinerAwaitingKey, JoinerConfig, JoinerIdle, JoinerKexReported,
    JoinerKeySent, JoinerNext, JoinerVerifying, Outgoing,
};
use sealhub_radios::zwave::s2::session::{KeyId, S2Session};
use sealhub_radios::zwave::s2::{self, KeyClasses, S2Command, SecurityClass};
use sealhub_radios::zwave::security::Key128;
use sealhub_radios::zwave::security::x25519::PrivateKey;

use super::identity;

/// Command classes the secure devices serve.
pub mod cc {
    /// Binary Switch (the siren).
    pub const SWITCH_BINARY: u8 = 0x25;
    /// Multilevel Switch (the dimmer).
    pub const SWITCH_MULTILEVEL: u8 = 0x26;
    /// Door Lock.
    pub const DOOR_LOCK: u8 = 0x62;
    /// User Code (the lock's code slots).
    pub const USER_CODE: u8 = 0x63;
    /// Set / Operation Set.
    pub const SET: u8 = 0x01;
    /// Get / Operation Get.
    pub const GET: u8 = 0x02;
    /// Report / Operation Report.
    pub const REPORT: u8 = 0x03;
    /// Door Lock Configuration Get.
    pub const CONFIGURATION_GET: u8 = 0x05;
    /// Door Lock Configuration Report.
    pub const CONFIGURATION_REPORT: u8 = 0x06;
    /// Version.
    pub const VERSION: u8 = 0x86;
    /// Manufacturer Specific.
    pub const MANUFACTURER_SPECIFIC: u8 = 0x72;
    /// Supervision (the S2 devices: a host wraps its Sets in Supervision Get and learns from
    /// the Report that they were carried out).
    pub const SUPERVISION: u8 = 0x6C;
    /// Supervision Get.
    pub const SUPERVISION_GET: u8 = 0x01;
    /// Supervision Report.
    pub const SUPERVISION_REPORT: u8 = 0x02;
    /// Battery (the sleeping sensor).
    pub const BATTERY: u8 = 0x80;
    /// Wake Up (the sleeping sensor).
    pub const WAKE_UP: u8 = 0x84;
    /// Wake Up Notification.
    pub const WAKE_UP_NOTIFICATION: u8 = 0x07;
    /// Wake Up No More Information.
    pub const WAKE_UP_NO_MORE_INFORMATION: u8 = 0x08;
}

/// Supervision Report status: carried out.
const SUPERVISION_SUCCESS: u8 = 0xFF;
/// Supervision Report status: the command is not supported.
const SUPERVISION_NO_SUPPORT: u8 = 0x00;
/// Supervision Get flags: the session id's bits.
const SUPERVISION_SESSION_MASK: u8 = 0x3F;

/// How long a joining node waits for the includer's KEX Report echo before sending its KEX Set
/// echo again (libs2's TB5).
pub const ECHO_PERIOD: Duration = Duration::from_secs(10);
/// How often it repeats the echo at most (libs2: TBI1 / TB5, the 240 s the user has for the PIN).
const ECHO_REPEATS: u8 = 24;

/// What the device does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecureDevice {
    /// A door lock (Door Lock CC), on S2 Access Control.
    DoorLock {
        /// Door Lock mode: 0x00 unsecured, 0xFF secured.
        mode: u8,
    },
    /// A dimmer (Multilevel Switch CC), on S2 Authenticated.
    Dimmer {
        /// 0..=99.
        level: u8,
    },
    /// An old siren (Binary Switch CC) that knows only S0.
    Siren {
        /// 0x00 off, 0xFF on.
        value: u8,
    },
    /// A battery sensor on S2 Unauthenticated that listens only from its wake-up (sent under
    /// S2) until Wake Up No More Information.
    Sensor {
        /// Whether it listens now.
        awake: bool,
        /// Battery level, percent.
        battery: u8,
    },
}

impl SecureDevice {
    /// The only class its command class is served under.
    pub fn required_class(&self) -> SecurityClass {
        match self {
            Self::DoorLock { .. } => SecurityClass::S2AccessControl,
            Self::Dimmer { .. } => SecurityClass::S2Authenticated,
            Self::Siren { .. } => SecurityClass::S0Legacy,
            Self::Sensor { .. } => SecurityClass::S2Unauthenticated,
        }
    }

    /// The S2 classes it requests at inclusion (empty: S0 only). The lock also asks for
    /// Authenticated, so a command under that class decrypts and is then refused for its class.
    fn requested(&self) -> KeyClasses {
        match self {
            Self::DoorLock { .. } => KeyClasses::S2_ACCESS_CONTROL | KeyClasses::S2_AUTHENTICATED,
            Self::Dimmer { .. } => KeyClasses::S2_AUTHENTICATED,
            Self::Siren { .. } => KeyClasses::empty(),
            Self::Sensor { .. } => KeyClasses::S2_UNAUTHENTICATED,
        }
    }

    /// The product id its Manufacturer Specific Report gives.
    pub fn product_id(&self) -> u16 {
        match self {
            Self::DoorLock { .. } => identity::product_id::DOOR_LOCK,
            Self::Dimmer { .. } => identity::product_id::DIMMER,
            Self::Siren { .. } => identity::product_id::SIREN,
            Self::Sensor { .. } => identity::product_id::SECURE_SENSOR,
        }
    }

    fn node_info(&self) -> Vec<u8> {
        match self {
            // Routing end node; Entry Control / Secure Keypad Door Lock; Z-Wave Plus, S2,
            // Version, Manufacturer Specific (Door Lock, User Code and Supervision only
            // securely, in `secure_command_classes`).
            Self::DoorLock { .. } => vec![0x04, 0x40, 0x03, 0x5E, 0x9F, 0x86, 0x72],
            // Routing end node; Multilevel Switch / Power Switch Multilevel; Z-Wave Plus, S2.
            Self::Dimmer { .. } => vec![0x04, 0x11, 0x01, 0x5E, 0x9F, 0x86, 0x72],
            // Routing end node; Binary Switch / Siren; Security (S0) only.
            Self::Siren { .. } => vec![0x04, 0x10, 0x05, 0x98, 0x86, 0x72],
            // Routing end node; Binary Sensor / Routing Binary Sensor; Z-Wave Plus, S2, Wake
            // Up (listed so a host knows it sleeps), Version, Manufacturer Specific.
            Self::Sensor { .. } => vec![0x04, 0x20, 0x01, 0x5E, 0x9F, 0x84, 0x86, 0x72],
        }
    }

    /// The command classes it supports only securely, as its S2 or S0 Commands Supported
    /// Report lists them (a host learns the device's own command class only from there).
    pub fn secure_command_classes(&self) -> Vec<u8> {
        match self {
            Self::DoorLock { .. } => vec![
                cc::DOOR_LOCK,
                cc::USER_CODE,
                cc::SUPERVISION,
                cc::VERSION,
                cc::MANUFACTURER_SPECIFIC,
            ],
            Self::Dimmer { .. } => vec![
                cc::SWITCH_MULTILEVEL,
                cc::SUPERVISION,
                cc::VERSION,
                cc::MANUFACTURER_SPECIFIC,
            ],
            // Version and Manufacturer Specific stay in the clear (its NIF lists them).
            Self::Siren { .. } => vec![cc::SWITCH_BINARY],
            Self::Sensor { .. } => vec![
                cc::BATTERY,
                cc::WAKE_UP,
                cc::VERSION,
                cc::MANUFACTURER_SPECIFIC,
            ],
        }
    }

    /// Serves one command class frame that arrived under the right class.
    fn serve(&mut self, payload: &[u8]) -> Vec<Vec<u8>> {
        match (self, payload) {
            (Self::DoorLock { mode }, [cc::DOOR_LOCK, cc::SET, m, ..]) => {
                *mode = *m;
                Vec::new()
            }
            (Self::DoorLock { .. }, [cc::DOOR_LOCK, cc::CONFIGURATION_GET]) => {
                // Constant operation, no handle restrictions, no auto-relock timeout.
                vec![vec![
                    cc::DOOR_LOCK,
                    cc::CONFIGURATION_REPORT,
                    0x01,
                    0x00,
                    0xFE,
                    0xFE,
                ]]
            }
            (Self::DoorLock { mode }, [cc::DOOR_LOCK, cc::GET]) => {
                // mode, handles, condition (door closed, bolt locked), no timeout.
                vec![vec![
                    cc::DOOR_LOCK,
                    cc::REPORT,
                    *mode,
                    0x00,
                    0x00,
                    0xFE,
                    0xFE,
                ]]
            }
            (Self::Dimmer { level }, [cc::SWITCH_MULTILEVEL, cc::SET, l, ..]) => {
                *level = if *l == 0xFF { 99 } else { (*l).min(99) };
                Vec::new()
            }
            (Self::Dimmer { level }, [cc::SWITCH_MULTILEVEL, cc::GET]) => {
                vec![vec![cc::SWITCH_MULTILEVEL, cc::REPORT, *level]]
            }
            (Self::Siren { value }, [cc::SWITCH_BINARY, cc::SET, v, ..]) => {
                *value = if *v == 0 { 0x00 } else { 0xFF };
                Vec::new()
            }
            (Self::Siren { value }, [cc::SWITCH_BINARY, cc::GET]) => {
                vec![vec![cc::SWITCH_BINARY, cc::REPORT, *value]]
            }
            (Self::Sensor { battery, .. }, [cc::BATTERY, cc::GET]) => {
                vec![vec![cc::BATTERY, cc::REPORT, *battery]]
            }
            _ => Vec::new(),
        }
    }
}

/// How a node protects its answers: normally under [`SecureDevice::required_class`]; the
/// others are downgrades a host must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Under its class.
    Normal,
    /// In the clear.
    Plain,
    /// S0-encapsulated (under its S0 key, or the all-zero key if it has none).
    S0,
    /// S2 under this class (it must hold the key).
    S2(SecurityClass),
}

/// Where bootstrapping stands on the node's side.
#[derive(Debug)]
enum Joiner {
    Idle(JoinerIdle),
    KexReported(JoinerKexReported),
    KeySent(JoinerKeySent),
    AwaitingEcho(JoinerAwaitingEcho),
    AwaitingKey(JoinerAwaitingKey),
    Verifying(JoinerVerifying),
    /// S2 done, or S0 in progress/done (S0 has no typestate of its own).
    Settled,
    /// The host sent KEX Fail, or we did.
    Failed,
}

#[derive(Debug, Clone, Copy)]
struct Address {
    own: u8,
    controller: u8,
}

/// The state of one secure node; see the module docs.
#[derive(Debug)]
pub struct SecureNodeState {
    /// The device and its state.
    pub device: SecureDevice,
    dsk: [u8; 16],
    joiner: Joiner,
    address: Option<Address>,
    s2: Option<S2Session>,
    s0_inclusion: Option<S0Session>,
    s0: Option<S0Session>,
    s0_key: Option<Key128>,
    /// Classes whose keys it holds after bootstrapping.
    pub granted: KeyClasses,
    /// Whether the last bootstrapping ended in KEX Fail (sent or received).
    pub kex_failed: bool,
    s2_waiting: Vec<(KeyId, Vec<u8>)>,
    s0_waiting: Vec<Vec<u8>>,
    last_s2: Option<(KeyId, Vec<u8>)>,
    /// How it protects its answers.
    pub answer: Answer,
    /// Command class frames it ignored, with the class they came under (`None` = plain).
    pub refused: Vec<(Vec<u8>, Option<SecurityClass>)>,
    /// Encapsulated frames it could not decrypt (S2 without a matching SPAN or key, S0 under
    /// another key), so a test can know a frame under wrong keys arrived and was dropped.
    pub undecryptable: Vec<Vec<u8>>,
    /// Answers it sent, each with how it protected it (what [`Self::answer`] was then), so a
    /// test can know a downgraded answer went out before it checks the host refused it.
    pub answered: Vec<(Vec<u8>, Answer)>,
    /// Commands it carried out that came inside a Supervision Get.
    pub supervised: Vec<Vec<u8>>,
    /// Bootstrapping commands are heard (and acknowledged by the radio) but never answered,
    /// as by a node that hangs mid-inclusion.
    pub stalls_bootstrapping: bool,
    /// How long it waits before repeating its KEX Set echo ([`ECHO_PERIOD`] unless a test
    /// shortens it).
    pub echo_period: Duration,
    /// How often it repeated its KEX Set echo.
    pub echo_repeats: u32,
    echo: Option<PendingEcho>,
    seed: u8,
    seeds_drawn: u8,
    /// The door lock's PIN slots (User Code).
    pub user_codes: super::user_codes::UserCodes,
    /// How many more S2 Nonce Gets it ignores, as a node does whose duplicate detection still
    /// remembers the sequence numbers a restarted host happens to reuse.
    pub ignore_nonce_gets: u8,
}

/// The KEX Set echo a joining node repeats until the includer answers it.
#[derive(Debug)]
struct PendingEcho {
    plaintext: Vec<u8>,
    due: Instant,
    left: u8,
}

/// A secure node, shared between the controller (which routes frames to it) and the test
/// (which reads its state, reboots it or makes it misbehave). Clones are the same node.
#[derive(Clone)]
pub struct SecureNode(Arc<Mutex<SecureNodeState>>);

impl core::fmt::Debug for SecureNode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("SecureNode")
            .field(&self.state().device)
            .finish()
    }
}

impl PartialEq for SecureNode {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SecureNode {}

impl SecureNode {
    /// A door lock, secured, requiring S2 Access Control; `seed` makes its keys (and DSK).
    pub fn door_lock(seed: u8) -> Self {
        Self::new(SecureDevice::DoorLock { mode: 0xFF }, seed)
    }

    /// A dimmer, off, on S2 Authenticated.
    pub fn dimmer(seed: u8) -> Self {
        Self::new(SecureDevice::Dimmer { level: 0 }, seed)
    }

    /// A siren, off, on S0 only.
    pub fn siren(seed: u8) -> Self {
        Self::new(SecureDevice::Siren { value: 0 }, seed)
    }

    /// A battery sensor on S2 Unauthenticated, awake (as a node is while it joins).
    pub fn sleeping_sensor(seed: u8) -> Self {
        Self::new(
            SecureDevice::Sensor {
                awake: true,
                battery: 90,
            },
            seed,
        )
    }

    /// Whether a frame reaches it now (the sensor only between its wake-up and No More
    /// Information; the others always).
    pub fn is_listening(&self) -> bool {
        !matches!(
            self.state().device,
            SecureDevice::Sensor { awake: false, .. }
        )
    }

    /// The sensor wakes up: returns the frame it sends first (its Wake Up Notification under
    /// S2, or the Nonce Get that must precede it); `None` for the other devices.
    pub fn wake_up(&self) -> Option<Vec<u8>> {
        let mut s = self.state();
        let SecureDevice::Sensor { awake, .. } = &mut s.device else {
            return None;
        };
        *awake = true;
        let class = s.device.required_class();
        let mut out = Vec::new();
        s.send_s2(
            KeyId::Network(class),
            vec![cc::WAKE_UP, cc::WAKE_UP_NOTIFICATION],
            &mut out,
        );
        out.into_iter().next()
    }

    fn new(device: SecureDevice, seed: u8) -> Self {
        let private_key = PrivateKey::from_bytes([seed; 32]);
        let joiner = JoinerIdle::new(JoinerConfig {
            requested: device.requested(),
            private_key,
        });
        let dsk = joiner.dsk();
        Self(Arc::new(Mutex::new(SecureNodeState {
            device,
            dsk,
            joiner: Joiner::Idle(joiner),
            address: None,
            s2: None,
            s0_inclusion: None,
            s0: None,
            s0_key: None,
            granted: KeyClasses::empty(),
            kex_failed: false,
            s2_waiting: Vec::new(),
            s0_waiting: Vec::new(),
            last_s2: None,
            answer: Answer::Normal,
            refused: Vec::new(),
            answered: Vec::new(),
            undecryptable: Vec::new(),
            supervised: Vec::new(),
            stalls_bootstrapping: false,
            echo_period: ECHO_PERIOD,
            echo_repeats: 0,
            ignore_nonce_gets: 0,
            echo: None,
            seed,
            seeds_drawn: 0,
            user_codes: super::user_codes::UserCodes::default(),
        })))
    }

    /// The node's state, locked.
    pub fn state(&self) -> MutexGuard<'_, SecureNodeState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The DSK on its label.
    pub fn dsk(&self) -> [u8; 16] {
        self.state().dsk
    }

    /// The PIN the user types: the DSK's first group, bytes 0–1 as a 5-digit number.
    pub fn pin(&self) -> u16 {
        let dsk = self.dsk();
        u16::from_be_bytes([dsk[0], dsk[1]])
    }

    /// How it protects its answers from now on.
    pub fn set_answer(&self, answer: Answer) {
        self.state().answer = answer;
    }

    /// It was included with S2 before the emulator (re)started: it holds `key` for `class` as
    /// bootstrapping left it, and is settled. Call once it has its address (it is added to
    /// the controller); false if it has none yet. Like [`SecureNode::reboot`], it has no SPAN:
    /// the first frame exchanges nonces.
    pub fn restore_key(&self, class: SecurityClass, key: &Key128) -> bool {
        let mut s = self.state();
        let Some(session) = s.s2.as_mut() else {
            return false;
        };
        session.set_network_key(class, key);
        s.granted |= class.bit();
        s.joiner = Joiner::Settled;
        true
    }

    /// Power-cycles it: SPAN and S0 nonces are lost, keys kept.
    pub fn reboot(&self) {
        self.state().reboot();
    }

    /// Someone turns the lock by hand: it takes `mode` and reports it unprompted. Returns the
    /// frames it sends the controller (give them to `EmulatedController::from_node`); nothing
    /// for the other devices.
    pub fn turn_by_hand(&self, mode: u8) -> Vec<Vec<u8>> {
        let mut s = self.state();
        let SecureDevice::DoorLock { mode: m } = &mut s.device else {
            return Vec::new();
        };
        *m = mode;
        let report = s.device.serve(&[cc::DOOR_LOCK, cc::GET]);
        let mut out = Vec::new();
        for r in report {
            s.answer_with(r, &mut out);
        }
        out
    }

    pub(super) fn node_info(&self) -> Vec<u8> {
        self.state().device.node_info()
    }

    pub(super) fn set_address(&self, own: u8, controller: u8, home_id: u32) {
        let mut s = self.state();
        s.address = Some(Address { own, controller });
        let seed = s.next_seed();
        s.s2 = Some(S2Session::new(own, home_id, seed));
    }

    pub(super) fn receive(&self, payload: &[u8]) -> Vec<Vec<u8>> {
        self.state().receive(payload)
    }

    /// Time has passed: returns what the node sends on its own by `now` (a repeated KEX Set
    /// echo, or a Nonce Get for it).
    pub fn poll(&self, now: Instant) -> Vec<Vec<u8>> {
        self.state().poll(now)
    }
}

impl SecureNodeState {
    fn next_seed(&mut self) -> [u8; 32] {
        self.seeds_drawn = self.seeds_drawn.wrapping_add(1);
        let mut seed = [self.seed; 32];
        seed[0] = self.seeds_drawn;
        seed
    }

    fn reboot(&mut self) {
        if let (Some(a), Some(s2)) = (self.address, self.s2.as_mut()) {
            // SPAN and duplicate detection are RAM: both are gone after a reboot.
            s2.forget_peer(a.controller);
        }
        self.s2_waiting.clear();
        self.s0_waiting.clear();
        self.last_s2 = None;
        if self.s0.is_some()
            && let Some(a) = self.address
        {
            // A fresh session: nonces handed out before the reboot are gone.
            let key = self.s0_key.clone();
            if let Some(key) = key {
                let seed = self.next_seed();
                self.s0 = Some(S0Session::new(a.own, &key, seed));
            }
        }
    }

    fn poll(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if !matches!(self.joiner, Joiner::AwaitingEcho(_)) {
            self.echo = None;
            return out;
        }
        let Some(echo) = self.echo.as_mut() else {
            return out;
        };
        if now < echo.due {
            return out;
        }
        if echo.left == 0 {
            // The includer's TAI2 has run out too; it aborts.
            self.echo = None;
            return out;
        }
        echo.left -= 1;
        echo.due = now + self.echo_period;
        let plaintext = echo.plaintext.clone();
        self.echo_repeats += 1;
        if self.s2_waiting.is_empty() {
            self.send_s2(KeyId::Temporary, plaintext, &mut out);
        } else if let (Some(a), Some(s2)) = (self.address, self.s2.as_mut()) {
            // Still no nonce from the includer for the first one: ask again.
            push_s2(&mut out, &s2.nonce_get(a.controller));
        }
        out
    }

    fn receive(&mut self, payload: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        match payload.first() {
            Some(&s2::CC_SECURITY_2) => self.on_s2(payload, &mut out),
            Some(&s0::CC_SECURITY) => self.on_s0(payload, &mut out),
            _ => self.on_application(payload, None, &mut out),
        }
        out
    }

    // ------------------------------------------------------------------ S2

    fn on_s2(&mut self, payload: &[u8], out: &mut Vec<Vec<u8>>) {
        let (Some(a), Some(_)) = (self.address, self.s2.as_ref()) else {
            return;
        };
        let command = match S2Command::decode(payload) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("secure node {}: bad S2 frame: {e}", a.own);
                return;
            }
        };
        match command {
            S2Command::NonceGet { .. } if self.ignore_nonce_gets > 0 => {
                self.ignore_nonce_gets -= 1;
            }
            S2Command::NonceGet { seq } => {
                if let Some(Ok(report)) =
                    self.s2.as_mut().map(|s| s.on_nonce_get(a.controller, seq))
                {
                    push_s2(out, &report);
                }
            }
            S2Command::NonceReport { .. } => self.on_nonce_report(&command, out),
            S2Command::MessageEncapsulation(_) => self.on_encapsulated(payload, out),
            other => self.bootstrap_step(&other, None, out),
        }
    }

    fn on_nonce_report(&mut self, report: &S2Command, out: &mut Vec<Vec<u8>>) {
        let (Some(a), Some(s2)) = (self.address, self.s2.as_mut()) else {
            return;
        };
        if s2.on_nonce_report(a.controller, report).is_err() {
            return;
        }
        let waiting = std::mem::take(&mut self.s2_waiting);
        if waiting.is_empty() {
            // SOS with nothing waiting: the host could not decrypt our last frame; send it
            // again on the new SPAN.
            if let Some((key, pt)) = self.last_s2.clone() {
                self.send_s2(key, pt, out);
            }
            return;
        }
        for (key, pt) in waiting {
            self.send_s2(key, pt, out);
        }
    }

    fn on_encapsulated(&mut self, payload: &[u8], out: &mut Vec<Vec<u8>>) {
        let (Some(a), Some(s2)) = (self.address, self.s2.as_mut()) else {
            return;
        };
        match s2.decapsulate(a.controller, payload) {
            Ok(d) => {
                if d.plaintext.first() == Some(&s2::CC_SECURITY_2) {
                    match S2Command::decode(&d.plaintext) {
                        Ok(S2Command::CommandsSupportedGet) => {
                            self.s2_commands_supported(d.key, out);
                        }
                        Ok(c) => self.bootstrap_step(&c, Some(d.key), out),
                        Err(e) => tracing::debug!("secure node {}: bad S2 command: {e}", a.own),
                    }
                } else {
                    let class = match d.key {
                        KeyId::Network(c) => Some(c),
                        KeyId::Temporary => None,
                    };
                    self.on_application(&d.plaintext, class, out);
                }
            }
            Err(s2::Error::Duplicate { .. }) => {}
            Err(s2::Error::CannotDecrypt(_)) if matches!(self.joiner, Joiner::AwaitingEcho(_)) => {
                // The includer's echo under a temporary key we do not share: wrong PIN.
                if let Joiner::AwaitingEcho(j) = std::mem::replace(&mut self.joiner, Joiner::Failed)
                {
                    self.kex_failed = true;
                    self.emit(j.on_decrypt_failure().reply, out);
                }
            }
            Err(s2::Error::CannotDecrypt(_) | s2::Error::NoSpan(_)) => {
                self.undecryptable.push(payload.to_vec());
                if let Ok(sos) = s2.resync(a.controller) {
                    push_s2(out, &sos);
                }
            }
            Err(e) => tracing::debug!("secure node {}: S2 frame refused: {e}", a.own),
        }
    }

    /// S2 Commands Supported Get: the secure command classes under the highest class the node
    /// holds, an empty list under a lower one, nothing under the temporary key (as the
    /// specification says, and as zwave-js asks only under the highest class).
    fn s2_commands_supported(&mut self, key: KeyId, out: &mut Vec<Vec<u8>>) {
        let KeyId::Network(class) = key else {
            return;
        };
        let highest = [
            SecurityClass::S2AccessControl,
            SecurityClass::S2Authenticated,
            SecurityClass::S2Unauthenticated,
        ]
        .into_iter()
        .find(|c| self.granted.contains(c.bit()));
        let ccs = if highest == Some(class) {
            self.device.secure_command_classes()
        } else {
            Vec::new()
        };
        match (S2Command::CommandsSupportedReport { ccs }).encode() {
            Ok(report) => self.send_s2(key, report, out),
            Err(e) => tracing::warn!("secure node: cannot encode the supported list: {e}"),
        }
    }

    fn send_s2(&mut self, key: KeyId, plaintext: Vec<u8>, out: &mut Vec<Vec<u8>>) {
        let (Some(a), Some(s2)) = (self.address, self.s2.as_mut()) else {
            return;
        };
        match s2.encapsulate(a.controller, key, &plaintext) {
            Ok(frame) => {
                out.push(frame);
                self.last_s2 = Some((key, plaintext));
            }
            Err(s2::Error::NoSpan(_)) => {
                if self.s2_waiting.is_empty() {
                    push_s2(out, &s2.nonce_get(a.controller));
                }
                self.s2_waiting.push((key, plaintext));
            }
            Err(e) => tracing::warn!("secure node {}: cannot encapsulate: {e}", a.own),
        }
    }

    fn emit(&mut self, outgoing: Outgoing, out: &mut Vec<Vec<u8>>) {
        let bytes = match outgoing.command.encode() {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("secure node: cannot encode {:?}: {e}", outgoing.command);
                return;
            }
        };
        match outgoing.protection {
            None => out.push(bytes),
            Some(key) => self.send_s2(key, bytes, out),
        }
    }

    fn bootstrap_step(
        &mut self,
        command: &S2Command,
        protection: Option<KeyId>,
        out: &mut Vec<Vec<u8>>,
    ) {
        if let S2Command::KexFail(reason) = command {
            tracing::debug!(?reason, "secure node: the host aborted bootstrapping");
            self.joiner = Joiner::Failed;
            self.kex_failed = true;
            return;
        }
        if self.stalls_bootstrapping {
            return;
        }
        let state = std::mem::replace(&mut self.joiner, Joiner::Failed);
        let step: Result<(Joiner, Outgoing), Aborted> = match state {
            Joiner::Idle(j) => j
                .on_kex_get(command, protection)
                .map(|(s, o)| (Joiner::KexReported(s), o)),
            Joiner::KexReported(j) => j
                .on_kex_set(command, protection)
                .map(|(s, o)| (Joiner::KeySent(s), o)),
            Joiner::KeySent(j) => match j.on_public_key(command, protection) {
                Ok((s, o)) => {
                    if let (Some(a), Some(s2)) = (self.address, self.s2.as_mut()) {
                        s2.set_temp_keys(a.controller, s.temp_keys().clone());
                    }
                    Ok((Joiner::AwaitingEcho(s), o))
                }
                Err(e) => Err(e),
            },
            Joiner::AwaitingEcho(j) => j
                .on_echo_kex_report(command, protection)
                .map(|(s, o)| (Joiner::AwaitingKey(s), o)),
            Joiner::AwaitingKey(j) => match j.on_network_key_report(command, protection) {
                Ok((s, o)) => {
                    if let (Some((class, key)), Some(s2)) = (s.key(), self.s2.as_mut()) {
                        s2.set_network_key(class, key);
                    }
                    Ok((Joiner::Verifying(s), o))
                }
                Err(e) => Err(e),
            },
            Joiner::Verifying(j) => match j.on_transfer_end(command, protection) {
                Ok((JoinerNext::More(s), o)) => Ok((Joiner::AwaitingKey(s), o)),
                Ok((JoinerNext::Done(joined), o)) => {
                    self.granted = joined
                        .keys
                        .keys()
                        .fold(KeyClasses::empty(), |m, c| m | c.bit());
                    Ok((Joiner::Settled, o))
                }
                Err(e) => Err(e),
            },
            s @ (Joiner::Settled | Joiner::Failed) => {
                // Bootstrapping commands outside bootstrapping are ignored.
                self.joiner = s;
                return;
            }
        };
        match step {
            Ok((next, outgoing)) => {
                self.echo = match (&next, outgoing.command.encode()) {
                    (Joiner::AwaitingEcho(_), Ok(plaintext)) => Some(PendingEcho {
                        plaintext,
                        due: Instant::now() + self.echo_period,
                        left: ECHO_REPEATS,
                    }),
                    _ => None,
                };
                self.joiner = next;
                self.emit(outgoing, out);
            }
            Err(aborted) => {
                self.kex_failed = true;
                self.emit(aborted.reply, out);
            }
        }
    }

    // ------------------------------------------------------------------ S0

    fn on_s0(&mut self, payload: &[u8], out: &mut Vec<Vec<u8>>) {
        let Some(a) = self.address else {
            return;
        };
        let command = match S0Command::decode(payload) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("secure node {}: bad S0 frame: {e}", a.own);
                return;
            }
        };
        let now = Instant::now();
        match command {
            S0Command::SchemeGet { .. } if self.s0.is_none() => {
                // S0 inclusion starts: the network key will come under the all-zero key.
                let seed = self.next_seed();
                self.s0_inclusion = Some(S0Session::new(a.own, &s0::inclusion_key(), seed));
                out.push(S0Command::SchemeReport { schemes: 0 }.encode());
            }
            S0Command::NonceGet => {
                let session = self.s0.as_mut().or(self.s0_inclusion.as_mut());
                if let Some(Ok(report)) = session.map(|s| s.nonce_report(a.controller, now)) {
                    out.push(report.encode());
                }
            }
            S0Command::NonceReport { nonce } => {
                if self.s0_waiting.is_empty() {
                    return;
                }
                let pt = self.s0_waiting.remove(0);
                let session = self.s0.as_mut().or(self.s0_inclusion.as_mut());
                if let Some(s) = session {
                    s.on_nonce_report(a.controller, nonce);
                    match s.encapsulate(a.controller, &pt) {
                        Ok(f) => out.push(f),
                        Err(e) => tracing::warn!("secure node {}: S0 encapsulation: {e}", a.own),
                    }
                }
                if !self.s0_waiting.is_empty() {
                    out.push(S0Command::NonceGet.encode());
                }
            }
            S0Command::MessageEncapsulation { .. } => {
                let plain = match (self.s0.as_mut(), self.s0_inclusion.as_mut()) {
                    (Some(s), _) | (None, Some(s)) => s.decapsulate(a.controller, payload, now),
                    (None, None) => return,
                };
                match plain {
                    Ok(pt) => self.on_s0_plaintext(pt, out),
                    Err(e) => {
                        self.undecryptable.push(payload.to_vec());
                        tracing::debug!("secure node {}: S0 frame refused: {e}", a.own);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_s0_plaintext(&mut self, plaintext: Vec<u8>, out: &mut Vec<Vec<u8>>) {
        let Some(a) = self.address else {
            return;
        };
        match S0Command::decode(&plaintext) {
            Ok(S0Command::NetworkKeySet { key }) if self.s0.is_none() => {
                let seed = self.next_seed();
                self.s0 = Some(S0Session::new(a.own, &key, seed));
                self.s0_key = Some(key);
                self.s0_inclusion = None;
                self.granted |= KeyClasses::S0;
                self.joiner = Joiner::Settled;
                self.send_s0(S0Command::NetworkKeyVerify.encode(), out);
            }
            Ok(S0Command::CommandsSupportedGet) if self.s0.is_some() => {
                let report = S0Command::CommandsSupportedReport {
                    reports_to_follow: 0,
                    ccs: self.device.secure_command_classes(),
                };
                self.send_s0(report.encode(), out);
            }
            Ok(_) => {}
            Err(_) => self.on_application(&plaintext, Some(SecurityClass::S0Legacy), out),
        }
    }

    fn send_s0(&mut self, plaintext: Vec<u8>, out: &mut Vec<Vec<u8>>) {
        if self.s0.is_none()
            && self.s0_inclusion.is_none()
            && let Some(a) = self.address
        {
            // A downgrade by a node without an S0 key: it makes do with the all-zero key.
            let seed = self.next_seed();
            self.s0_inclusion = Some(S0Session::new(a.own, &s0::inclusion_key(), seed));
        }
        if self.s0_waiting.is_empty() {
            out.push(S0Command::NonceGet.encode());
        }
        self.s0_waiting.push(plaintext);
    }

    // ------------------------------------------------------------------ application

    fn on_application(
        &mut self,
        payload: &[u8],
        class: Option<SecurityClass>,
        out: &mut Vec<Vec<u8>>,
    ) {
        if let Some(answer) = self.identity_answer(payload, class) {
            self.reply_under(answer, class, out);
            return;
        }
        if let (
            SecureDevice::Sensor { awake, .. },
            [cc::WAKE_UP, cc::WAKE_UP_NO_MORE_INFORMATION],
        ) = (&mut self.device, payload)
        {
            // Back to sleep only when told under its own class: a strict node ignores Wake Up
            // (which it lists as secure) in the clear, and stays awake.
            if class == Some(SecurityClass::S2Unauthenticated) {
                *awake = false;
            } else {
                tracing::debug!(?class, "secure sensor refuses No More Information");
                self.refused.push((payload.to_vec(), class));
            }
            return;
        }
        if let [cc::SUPERVISION, cc::SUPERVISION_GET, flags, len, rest @ ..] = payload
            && self
                .device
                .secure_command_classes()
                .contains(&cc::SUPERVISION)
            && rest.len() == usize::from(*len)
        {
            self.on_supervised(flags & SUPERVISION_SESSION_MASK, rest, class, out);
            return;
        }
        let required = self.device.required_class();
        if class != Some(required) {
            tracing::debug!(?class, ?required, "secure node refuses {payload:02x?}");
            self.refused.push((payload.to_vec(), class));
            return;
        }
        for answer in self.serve_application(payload) {
            self.answer_with(answer, out);
        }
    }

    /// A command inside Supervision Get: carried out (and reported so) under the device's
    /// class, ignored like any command under another.
    fn on_supervised(
        &mut self,
        session: u8,
        command: &[u8],
        class: Option<SecurityClass>,
        out: &mut Vec<Vec<u8>>,
    ) {
        let required = self.device.required_class();
        if class != Some(required) {
            tracing::debug!(?class, ?required, "secure node refuses {command:02x?}");
            self.refused.push((command.to_vec(), class));
            return;
        }
        let own = self.device.secure_command_classes().first().copied();
        let user_code = matches!(self.device, SecureDevice::DoorLock { .. })
            && command.first() == Some(&cc::USER_CODE);
        let supported = command.first().copied() == own || user_code;
        let answers = if supported {
            self.supervised.push(command.to_vec());
            self.serve_application(command)
        } else {
            Vec::new()
        };
        let status = if supported {
            SUPERVISION_SUCCESS
        } else {
            SUPERVISION_NO_SUPPORT
        };
        // No more status updates; done now (duration 0).
        let report = vec![
            cc::SUPERVISION,
            cc::SUPERVISION_REPORT,
            session,
            status,
            0x00,
        ];
        self.answer_with(report, out);
        for answer in answers {
            self.answer_with(answer, out);
        }
    }

    /// Answers a host's interview questions (Version, Manufacturer Specific, Z-Wave Plus Info)
    /// about any command class the node has, in the clear or under a class it holds: in the
    /// clear only for those its NIF lists (zwave-js asks an S0 node in the clear about those,
    /// and an S2 node everything under its highest class).
    fn identity_answer(&self, payload: &[u8], class: Option<SecurityClass>) -> Option<Vec<u8>> {
        let nif = self.device.node_info();
        let allowed = match class {
            None => payload
                .first()
                .is_some_and(|cc| nif.get(3..).is_some_and(|ccs| ccs.contains(cc))),
            Some(c) => self.granted.contains(c.bit()),
        };
        if !allowed {
            return None;
        }
        let mut all = nif;
        for cc in self.device.secure_command_classes() {
            if !all.iter().skip(3).any(|c| *c == cc) {
                all.push(cc);
            }
        }
        identity::answer(&all, self.device.product_id(), payload)
    }

    /// Sends an answer under the protection its question came with.
    fn reply_under(
        &mut self,
        answer: Vec<u8>,
        class: Option<SecurityClass>,
        out: &mut Vec<Vec<u8>>,
    ) {
        match class {
            None => out.push(answer),
            Some(SecurityClass::S0Legacy) => self.send_s0(answer, out),
            Some(c) => self.send_s2(KeyId::Network(c), answer, out),
        }
    }

    /// Serves a command that arrived under the right class: the lock's user codes first, then
    /// the device itself.
    fn serve_application(&mut self, payload: &[u8]) -> Vec<Vec<u8>> {
        let user_codes = match self.device {
            SecureDevice::DoorLock { .. } => self.user_codes.serve(payload),
            _ => None,
        };
        user_codes.unwrap_or_else(|| self.device.serve(payload))
    }

    /// Sends an answer protected as [`Self::answer`] says.
    fn answer_with(&mut self, answer: Vec<u8>, out: &mut Vec<Vec<u8>>) {
        self.answered.push((answer.clone(), self.answer));
        match (self.answer, self.device.required_class()) {
            (Answer::Plain, _) => out.push(answer),
            (Answer::S0, _) | (Answer::Normal, SecurityClass::S0Legacy) => {
                self.send_s0(answer, out);
            }
            (Answer::S2(c), _) | (Answer::Normal, c) => {
                self.send_s2(KeyId::Network(c), answer, out);
            }
        }
    }
}

fn push_s2(out: &mut Vec<Vec<u8>>, command: &S2Command) {
    match command.encode() {
        Ok(b) => out.push(b),
        Err(e) => tracing::warn!("secure node: cannot encode {command:?}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealhub_radios::zwave::s2::{CURVE_25519, KEX_SCHEME_1, KexFailType, KexParams};

    const HOME_ID: u32 = 0x5EA1_4B0B;

    fn decode(frame: &[u8]) -> S2Command {
        S2Command::decode(frame).expect("an S2 frame")
    }

    /// A dimmer at node 2 that has received the includer's public key: it is waiting for the
    /// includer's KEX Report echo, its own echo held until the includer sends a nonce.
    fn dimmer_awaiting_echo() -> SecureNode {
        let dimmer = SecureNode::dimmer(0x61);
        dimmer.set_address(2, 1, HOME_ID);
        dimmer.state().echo_period = Duration::from_secs(1);
        let report = dimmer.receive(&[0x9F, 0x04]);
        assert!(matches!(decode(&report[0]), S2Command::KexReport(_)));
        let grant = S2Command::KexSet(KexParams {
            echo: false,
            csa: false,
            schemes: KEX_SCHEME_1,
            curves: CURVE_25519,
            keys: KeyClasses::S2_AUTHENTICATED,
            reserved: 0,
        });
        let public = dimmer.receive(&grant.encode().unwrap());
        assert!(matches!(
            decode(&public[0]),
            S2Command::PublicKeyReport {
                including_node: false,
                ..
            }
        ));
        let includer = S2Command::PublicKeyReport {
            including_node: true,
            public_key: PrivateKey::from_bytes([0x17; 32]).public_key(),
        };
        let out = dimmer.receive(&includer.encode().unwrap());
        assert!(
            matches!(&out[..], [f] if matches!(decode(f), S2Command::NonceGet { .. })),
            "{out:02x?}"
        );
        dimmer
    }

    #[test]
    fn a_joining_node_repeats_its_echo_until_the_includer_answers() {
        let dimmer = dimmer_awaiting_echo();
        let start = Instant::now();
        assert!(dimmer.poll(start).is_empty(), "not due yet");

        // Due, and still no nonce: it asks again rather than queueing the echo twice.
        let out = dimmer.poll(start + Duration::from_secs(2));
        assert!(
            matches!(&out[..], [f] if matches!(decode(f), S2Command::NonceGet { .. })),
            "{out:02x?}"
        );
        let sos = S2Command::NonceReport {
            seq: 9,
            mos: false,
            receiver_ei: Some([0x42; 16]),
        };
        let out = dimmer.receive(&sos.encode().unwrap());
        assert!(
            matches!(&out[..], [f] if matches!(decode(f), S2Command::MessageEncapsulation(_))),
            "one echo: {out:02x?}"
        );

        // The includer ignored it (the user is still typing the PIN): it comes again, on the
        // SPAN it has, every period.
        let out = dimmer.poll(start + Duration::from_secs(4));
        assert!(
            matches!(&out[..], [f] if matches!(decode(f), S2Command::MessageEncapsulation(_))),
            "{out:02x?}"
        );
        assert!(dimmer.poll(start + Duration::from_secs(4)).is_empty());
        assert_eq!(dimmer.state().echo_repeats, 2);

        // The includer gives up: no more repeats.
        dimmer.receive(&S2Command::KexFail(KexFailType::Cancel).encode().unwrap());
        assert!(dimmer.poll(start + Duration::from_secs(60)).is_empty());
        assert!(dimmer.state().kex_failed);
    }

    #[test]
    fn a_node_answers_the_interview_only_as_its_protection_allows() {
        let siren = SecureNode::siren(0x62);
        siren.set_address(3, 1, HOME_ID);
        let s = siren.state();
        // In the clear: Version is in its NIF, and the secure-only Binary Switch is known to it.
        assert_eq!(
            s.identity_answer(&[0x86, 0x13, 0x25], None),
            Some(vec![0x86, 0x14, 0x25, 1])
        );
        // Under a class it does not hold: nothing.
        assert_eq!(
            s.identity_answer(&[0x86, 0x13, 0x25], Some(SecurityClass::S0Legacy)),
            None
        );
        // The lock's Door Lock CC is not in its NIF: no answer about it in the clear.
        let lock = SecureNode::door_lock(0x63);
        assert_eq!(lock.state().identity_answer(&[0x62, 0x02], None), None);
    }

    #[test]
    fn a_supervised_command_in_the_clear_is_refused_like_a_bare_one() {
        let lock = SecureNode::door_lock(0x64);
        lock.set_address(2, 1, HOME_ID);
        let unlock = [0x62, 0x01, 0x00];
        let mut get = vec![cc::SUPERVISION, cc::SUPERVISION_GET, 0x85, 3];
        get.extend(unlock);
        assert!(lock.receive(&get).is_empty(), "no Supervision Report");
        let s = lock.state();
        assert_eq!(s.refused, [(unlock.to_vec(), None)]);
        assert!(s.supervised.is_empty());
        assert_eq!(s.device, SecureDevice::DoorLock { mode: 0xFF });
    }

    #[test]
    fn the_sleeping_sensor_stays_awake_when_told_to_sleep_in_the_clear() {
        let sensor = SecureNode::sleeping_sensor(0x65);
        sensor.set_address(4, 1, HOME_ID);
        let nmi = [cc::WAKE_UP, cc::WAKE_UP_NO_MORE_INFORMATION];
        assert!(sensor.receive(&nmi).is_empty());
        assert!(
            sensor.is_listening(),
            "a strict node ignores it in the clear"
        );
        assert_eq!(sensor.state().refused, [(nmi.to_vec(), None)]);
    }
}
