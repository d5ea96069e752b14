//! The device scenarios: for each listed device, what a user would check by hand (a light
//! toggles and says so, a lock locks and reports it), run through sealhub's drivers against
//! whatever stick is under test. The same code runs on the emulator in CI, with
//! [`crate::emulated`] standing in for the devices and the person, and on real hardware with
//! [`Person`], who is asked through the log to press pairing or wake-up buttons, to wave at a
//! motion sensor or open a contact, and whose presence lets a lock move.
//!
//! Each radio's runner picks a device's scenario with one `match` on its kind
//! ([`zigbee::run`], [`zwave::run`]); a new kind is one arm there, its variant in
//! [`crate::devices`] and its emulated stand-in in [`crate::emulated`]. Scenarios leave the
//! device as they found it (toggled back, set back), which the emulated run checks.

pub mod zigbee;
pub mod zwave;

use std::future::Future;
use std::time::Duration;

/// Set (to anything) to let scenarios wait for a person to pair or wake a device on real
/// hardware; without it those devices are skipped.
pub const PAIR_ENV: &str = "SEALHUB_HIL_PAIR";

/// How one device's scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It did what it should; what was seen.
    Passed(String),
    /// Not run, and why (a person is needed and none was announced).
    Skipped(String),
    /// It did not; what went wrong.
    Failed(String),
}

/// One device's result, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceResult {
    /// The device's name from the list.
    pub name: String,
    /// Its kind, as written in the list.
    pub kind: String,
    /// How it went.
    pub verdict: Verdict,
}

impl std::fmt::Display for DeviceResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (word, text) = match &self.verdict {
            Verdict::Passed(t) => ("passed ", t),
            Verdict::Skipped(t) => ("skipped", t),
            Verdict::Failed(t) => ("FAILED ", t),
        };
        write!(f, "{word} {} ({}): {text}", self.name, self.kind)
    }
}

/// What a sensor is made to sense, by a hand in front of it or by the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stimulus {
    /// Something moves in front of a motion sensor.
    Motion,
    /// Nothing moves any more (a real sensor clears by itself after its hold time).
    Stillness,
    /// A door or window contact opens (its magnet is taken away).
    Open,
    /// It closes again.
    Close,
}

/// What does what a person's hands would: pair a device, wake a sleeping one, wave at a motion
/// sensor, and say yes before a lock moves.
pub trait Hands {
    /// Whether pairing and waking can happen at all in this run.
    fn available(&self) -> bool;
    /// The device `name` should join now (the radio is open for it).
    fn pair(&self, name: &str);
    /// The sleeping device `name` (node `node`) should wake up now.
    fn wake(&self, name: &str, node: u16);
    /// The sensor `name` (node `node`) should sense `stimulus` now.
    fn stimulate(&self, name: &str, node: u16, stimulus: Stimulus);
    /// Whether the scenario may do `what` to `name` (unlock a door): someone is there to see
    /// it and put it right if it goes wrong.
    fn confirm(&self, name: &str, what: &str) -> bool;
}

/// A person at the desk, asked through the log (run the tests with `--nocapture` to see it).
#[derive(Debug, Clone, Copy)]
pub struct Person {
    /// Whether someone said they are there ([`PAIR_ENV`]).
    pub present: bool,
}

impl Person {
    /// Present when [`PAIR_ENV`] is set.
    pub fn from_env() -> Self {
        Self {
            present: std::env::var_os(PAIR_ENV).is_some_and(|v| !v.is_empty()),
        }
    }
}

fn prompt(text: &str) {
    tracing::warn!("{text}");
    eprintln!("\n>>> sealhub-hil: {text}\n");
}

impl Hands for Person {
    fn available(&self) -> bool {
        self.present
    }
    fn pair(&self, name: &str) {
        prompt(&format!(
            "put \"{name}\" into pairing mode now (press its pairing button, or power it on \
             after a reset)"
        ));
    }
    fn wake(&self, name: &str, node: u16) {
        prompt(&format!(
            "wake \"{name}\" (node {node}) up now (press its button once)"
        ));
    }
    fn stimulate(&self, name: &str, node: u16, stimulus: Stimulus) {
        let what = match stimulus {
            Stimulus::Motion => "wave a hand in front of it now",
            Stimulus::Stillness => "step out of its view and keep still until it clears",
            Stimulus::Open => "open it now (take the magnet away)",
            Stimulus::Close => "close it again now",
        };
        prompt(&format!("\"{name}\" (node {node:#06x}): {what}"));
    }
    fn confirm(&self, name: &str, what: &str) -> bool {
        if self.present {
            prompt(&format!(
                "\"{name}\" will {what} for a moment and then go back; stay with it"
            ));
        }
        self.present
    }
}

/// The message for a device that needs a person when none is there; `what` says what about
/// it needs one ("is to be included", "is asleep").
pub(crate) fn needs_person(name: &str, what: &str) -> Verdict {
    Verdict::Skipped(format!(
        "\"{name}\" {what}, which needs a person: rerun with {PAIR_ENV}=1 and --nocapture to be \
         asked"
    ))
}

/// Upper bounds for the waits of a scenario.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For a device's answer to one command (retries included).
    pub answer: Duration,
    /// For a device to pair or wake up after it was asked to.
    pub pairing: Duration,
}

impl Limits {
    /// Real devices and a person: minutes for pairing.
    pub fn real() -> Self {
        Self {
            answer: Duration::from_secs(30),
            pairing: Duration::from_secs(180),
        }
    }

    /// The emulator: only an upper bound for a loaded machine.
    pub fn emulated() -> Self {
        Self {
            answer: Duration::from_secs(30),
            pairing: Duration::from_secs(30),
        }
    }
}

/// `what` finished within `limit`, its error and a timeout both as text.
pub(crate) async fn bounded<T, E: std::fmt::Display>(
    limit: Duration,
    what: &str,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, future).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: nothing within {}s", limit.as_secs())),
    }
}

/// A scenario's result as a verdict.
pub(crate) fn verdict(result: Result<String, String>) -> Verdict {
    match result {
        Ok(seen) => Verdict::Passed(seen),
        Err(why) => Verdict::Failed(why),
    }
}
