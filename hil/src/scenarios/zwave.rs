//! Z-Wave device scenarios through [`ZwaveStick`]: include the device when the list says
//! "include" (S2 with the listed PIN, or S0), then the scenario of its kind. Reports are read
//! from [`RadioEvent::ApplicationCommand`] as command class bytes (Get `cc 0x02` is answered by
//! Report `cc 0x03` for every class used here).

use sealhub_radios::zwave::cc::CommandClassFrame;
use sealhub_radios::zwave::driver::{
    InclusionOptions, PinRequest, RadioEvent, Submitted, ZwaveStick,
};
use sealhub_radios::zwave::s2::KeyClasses;
use tokio::sync::mpsc::{self, Receiver};

use super::{DeviceResult, Hands, Limits, Verdict, bounded, needs_person, verdict};
use crate::devices::{ZwaveDevice, ZwaveKind, ZwaveNode};
use crate::next_event;

/// Command classes and commands the scenarios use.
mod cc {
    pub const SWITCH_BINARY: u8 = 0x25;
    pub const SWITCH_MULTILEVEL: u8 = 0x26;
    pub const DOOR_LOCK: u8 = 0x62;
    pub const BATTERY: u8 = 0x80;
    pub const SET: u8 = 0x01;
    pub const GET: u8 = 0x02;
    pub const REPORT: u8 = 0x03;
}

/// How many Gets a scenario makes while waiting for a device to reach a state (a lock's bolt
/// takes a moment), each bounded by [`Limits::answer`].
const POLLS: usize = 10;
const POLL_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// Runs every device's scenario, one after another, on a started stick.
pub async fn run_all(
    stick: &ZwaveStick,
    events: &mut Receiver<RadioEvent>,
    devices: &[ZwaveDevice],
    hands: &dyn Hands,
    limits: Limits,
) -> Vec<DeviceResult> {
    let mut results = Vec::new();
    for device in devices {
        let verdict = run(stick, events, device, hands, limits).await;
        results.push(DeviceResult {
            name: device.name.clone(),
            kind: format!("{:?}", device.kind).to_lowercase(),
            verdict,
        });
    }
    results
}

/// Runs one device's scenario (including it first when the list says so).
pub async fn run(
    stick: &ZwaveStick,
    events: &mut Receiver<RadioEvent>,
    device: &ZwaveDevice,
    hands: &dyn Hands,
    limits: Limits,
) -> Verdict {
    let node = match device.node {
        ZwaveNode::Id(node) => node,
        ZwaveNode::Include if !hands.available() => {
            return needs_person(&device.name, "is to be included");
        }
        ZwaveNode::Include => match include(stick, events, device, hands, limits).await {
            Ok(node) => node,
            Err(why) => return Verdict::Failed(why),
        },
    };
    let io = Io {
        stick,
        node,
        limits,
    };
    match device.kind {
        ZwaveKind::Switch | ZwaveKind::Siren => verdict(
            io.round_trip(events, cc::SWITCH_BINARY, &[0x00, 0xFF], |v| v != 0)
                .await,
        ),
        ZwaveKind::Dimmer => verdict(
            io.round_trip(events, cc::SWITCH_MULTILEVEL, &[42, 17], |v| v)
                .await,
        ),
        ZwaveKind::Lock => verdict(
            io.round_trip(events, cc::DOOR_LOCK, &[0x00, 0xFF], |v| v)
                .await,
        ),
        ZwaveKind::Sensor => io.battery_after_wake_up(events, device, hands).await,
    }
}

/// Includes the device: inclusion mode with every class granted it asks for, its PIN typed
/// from the list, and the outcome awaited.
async fn include(
    stick: &ZwaveStick,
    events: &mut Receiver<RadioEvent>,
    device: &ZwaveDevice,
    hands: &dyn Hands,
    limits: Limits,
) -> Result<u16, String> {
    let (pins, mut asked) = mpsc::channel::<PinRequest>(1);
    let options = InclusionOptions {
        grant: KeyClasses::all(),
        allow_s0: true,
    };
    bounded(
        limits.answer,
        "opening inclusion",
        stick.add_node_secure(options, pins),
    )
    .await?;
    hands.pair(&device.name);
    let outcome = tokio::time::timeout(limits.pairing, async {
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(RadioEvent::NodeAdded { node, .. }) => return Ok(node),
                    Some(RadioEvent::InclusionFailed { reason, .. }) => {
                        return Err(format!("inclusion failed: {reason:?}"));
                    }
                    Some(_) => {}
                    None => return Err("the driver stopped".to_owned()),
                },
                Some(request) = asked.recv() => {
                    if device.dsk_pin.is_none() {
                        tracing::warn!("\"{}\" asks for its DSK PIN; add dsk_pin to its entry", device.name);
                    }
                    request.answer(device.dsk_pin);
                }
            }
        }
    })
    .await;
    match outcome {
        Ok(result) => result,
        Err(_) => {
            let _ = bounded(limits.answer, "closing inclusion", stick.stop_inclusion()).await;
            Err(format!(
                "\"{}\" was not included within {}s",
                device.name,
                limits.pairing.as_secs()
            ))
        }
    }
}

/// The first value byte of a `class` Report, from the frame's one encoding (the scenarios
/// compare raw values, whatever command class version the device speaks).
fn report_value(report: &CommandClassFrame, class: u8) -> Option<u8> {
    let bytes = report.encode().ok()?;
    match bytes.as_slice() {
        [c, cmd, value, ..] if *c == class && *cmd == cc::REPORT => Some(*value),
        _ => None,
    }
}

/// One node, reached through the stick.
struct Io<'a> {
    stick: &'a ZwaveStick,
    node: u16,
    limits: Limits,
}

impl Io<'_> {
    /// Sends `cc Get` and returns the value byte of the `cc Report` that answers it.
    async fn get(&self, events: &mut Receiver<RadioEvent>, class: u8) -> Result<u8, String> {
        while events.try_recv().is_ok() {}
        bounded(
            self.limits.answer,
            "Get",
            self.stick.send_data(self.node, vec![class, cc::GET]),
        )
        .await?;
        let node = self.node;
        next_event(events, self.limits.answer, |e| match e {
            RadioEvent::Report {
                node: from, report, ..
            } if from == node => report_value(&report, class),
            _ => None,
        })
        .await
        .ok_or_else(|| format!("no Report {class:#04x} from node {node}"))
    }

    async fn set(&self, class: u8, value: u8) -> Result<(), String> {
        bounded(
            self.limits.answer,
            "Set",
            self.stick.send_data(self.node, vec![class, cc::SET, value]),
        )
        .await
        .map(|_| ())
    }

    /// Gets until `want(value)` holds, a bounded number of times.
    async fn reaches(
        &self,
        events: &mut Receiver<RadioEvent>,
        class: u8,
        want: impl Fn(u8) -> bool,
    ) -> Result<u8, String> {
        let mut last = None;
        for _ in 0..POLLS {
            let value = self.get(events, class).await?;
            if want(value) {
                return Ok(value);
            }
            last = Some(value);
            tokio::time::sleep(POLL_PAUSE).await;
        }
        Err(format!("node {} stayed at {last:?}", self.node))
    }

    /// Reads the state, sets the first of `targets` that differs from it, reads it back, sets
    /// the old state again and reads that back. `level` maps a reported value to what is
    /// compared (a binary switch reports 0x00 or any non-zero "on").
    async fn round_trip<L: PartialEq + std::fmt::Debug>(
        &self,
        events: &mut Receiver<RadioEvent>,
        class: u8,
        targets: &[u8],
        level: impl Fn(u8) -> L,
    ) -> Result<String, String> {
        let before = self.get(events, class).await?;
        let target = targets
            .iter()
            .copied()
            .find(|t| level(*t) != level(before))
            .ok_or("no other state to set")?;
        self.set(class, target).await?;
        let reached = self
            .reaches(events, class, |v| level(v) == level(target))
            .await?;
        self.set(class, before).await?;
        let back = self
            .reaches(events, class, |v| level(v) == level(before))
            .await?;
        Ok(format!(
            "node {}: {before:#04x} → {reached:#04x} → {back:#04x}",
            self.node
        ))
    }

    /// Queues a Battery Get for the sleeping node, has it woken, and reads the report.
    async fn battery_after_wake_up(
        &self,
        events: &mut Receiver<RadioEvent>,
        device: &ZwaveDevice,
        hands: &dyn Hands,
    ) -> Verdict {
        let result = async {
            bounded(
                self.limits.answer,
                "marking it sleeping",
                self.stick.set_sleeping(self.node, true),
            )
            .await?;
            while events.try_recv().is_ok() {}
            let submitted = bounded(
                self.limits.answer,
                "Battery Get",
                self.stick
                    .submit_data(self.node, vec![cc::BATTERY, cc::GET]),
            )
            .await?;
            if let Submitted::QueuedUntilWakeUp(pending) = submitted {
                if !hands.available() {
                    return Ok(Err(needs_person(&device.name, "is asleep")));
                }
                hands.wake(&device.name, self.node);
                bounded(
                    self.limits.pairing,
                    "waiting for its wake-up",
                    pending.transmitted(),
                )
                .await?;
            }
            let node = self.node;
            let level = next_event(events, self.limits.answer, |e| match e {
                RadioEvent::Report {
                    node: from, report, ..
                } if from == node => report_value(&report, cc::BATTERY),
                _ => None,
            })
            .await
            .ok_or_else(|| format!("no Battery Report from node {node}"))?;
            Ok(Ok(match level {
                0xFF => format!("node {node}: woke up; battery low"),
                0..=100 => format!("node {node}: woke up; battery {level}%"),
                other => return Err(format!("Battery Report with level {other}")),
            }))
        }
        .await;
        match result {
            Ok(Ok(seen)) => Verdict::Passed(seen),
            Ok(Err(skipped)) => skipped,
            Err(why) => Verdict::Failed(why),
        }
    }
}
