//! Z-Wave device scenarios through [`ZwaveStick`]: include the device when the list says
//! "include" (S2 with the listed PIN, or S0), then the scenario of its kind. Commands go out
//! typed ([`ZwaveStick::send_command`], to the root device or an end point) and answers come
//! back decoded as [`RadioEvent::Report`]; every scenario reads the state first and puts it
//! back at the end.

use std::fmt::Debug;

use sealhub_radios::zwave::cc::{
    Battery, BinarySwitch, ColorSwitch, CommandClassFrame, DoorLock, Meter, MultiChannel,
    MultilevelSensor, MultilevelSwitch, ScaledValue, ThermostatMode, ThermostatSetpoint,
};
use sealhub_radios::zwave::driver::{
    InclusionOptions, PinRequest, RadioEvent, SubmittedCommand, ZwaveStick,
};
use sealhub_radios::zwave::s2::KeyClasses;
use tokio::sync::mpsc::{self, Receiver};

use super::{DeviceResult, Hands, Limits, Verdict, bounded, needs_person, verdict};
use crate::devices::{ZwaveDevice, ZwaveKind, ZwaveNode};
use crate::next_event;

/// How many Gets a scenario makes while waiting for a device to reach a state (a lock's bolt
/// takes a moment), each bounded by [`Limits::answer`].
const POLLS: usize = 10;
const POLL_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// Thermostat Setpoint type heating.
const HEATING: u8 = 1;
/// Multilevel Sensor type air temperature.
const AIR_TEMPERATURE: u8 = 1;
/// Meter scale W (electric).
const WATTS: u16 = 2;
/// Color Switch components, the ones tried first first: red, warm white, cold white, green,
/// blue.
const COMPONENTS: [u8; 5] = [2, 0, 1, 3, 4];

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
            kind: device.kind.name().to_owned(),
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
            io.round_trip(events, 0, &BINARY, |_| vec![0xFF, 0x00], on)
                .await,
        ),
        ZwaveKind::Dimmer => verdict(io.round_trip(events, 0, &LEVEL, |_| vec![42, 17], id).await),
        ZwaveKind::Lock => verdict(
            io.round_trip(events, 0, &LOCK, |_| vec![0x00, 0xFF], id)
                .await,
        ),
        ZwaveKind::Thermostat => verdict(io.thermostat(events).await),
        ZwaveKind::MeteringPlug => verdict(io.metering_plug(events).await),
        ZwaveKind::Bulb => verdict(io.bulb(events).await),
        ZwaveKind::Sensor => io.battery_after_wake_up(events, device, hands).await,
        ZwaveKind::Multisensor => io.multisensor(events, device, hands).await,
    }
}

fn id<T>(v: T) -> T {
    v
}

/// A binary switch reports 0x00 off, anything else on.
fn on(v: u8) -> bool {
    v != 0
}

/// A setting read with a Get and changed with a Set, one command class's three commands.
struct Setting<T> {
    get: fn() -> CommandClassFrame,
    set: fn(T) -> CommandClassFrame,
    read: fn(&CommandClassFrame) -> Option<T>,
    /// How a value is written in the results.
    show: fn(T) -> String,
}

fn byte(v: u8) -> String {
    format!("{v:#04x}")
}

fn decimal(v: u8) -> String {
    format!("{v}")
}

/// Binary Switch: on or off.
const BINARY: Setting<u8> = Setting {
    get: || CommandClassFrame::BinarySwitch(BinarySwitch::Get),
    set: |value| {
        CommandClassFrame::BinarySwitch(BinarySwitch::Set {
            value,
            duration: None,
        })
    },
    read: |r| match r {
        CommandClassFrame::BinarySwitch(BinarySwitch::Report { current, .. }) => Some(*current),
        _ => None,
    },
    show: byte,
};

/// Multilevel Switch: a level 0..=99.
const LEVEL: Setting<u8> = Setting {
    get: || CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Get),
    set: |value| {
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Set {
            value,
            duration: None,
        })
    },
    read: |r| match r {
        CommandClassFrame::MultilevelSwitch(MultilevelSwitch::Report { current, .. }) => {
            Some(*current)
        }
        _ => None,
    },
    show: decimal,
};

/// Door Lock: the operation mode (0x00 unsecured, 0xFF secured).
const LOCK: Setting<u8> = Setting {
    get: || CommandClassFrame::DoorLock(DoorLock::OperationGet),
    set: |mode| CommandClassFrame::DoorLock(DoorLock::OperationSet { mode }),
    read: |r| match r {
        CommandClassFrame::DoorLock(DoorLock::OperationReport { mode, .. }) => Some(*mode),
        _ => None,
    },
    show: byte,
};

/// Thermostat Mode: 0 off, 1 heat, 2 cool, 3 auto, …
const MODE: Setting<u8> = Setting {
    get: || CommandClassFrame::ThermostatMode(ThermostatMode::Get),
    set: |mode| {
        CommandClassFrame::ThermostatMode(ThermostatMode::Set {
            mode,
            manufacturer_data: Vec::new(),
        })
    },
    read: |r| match r {
        CommandClassFrame::ThermostatMode(ThermostatMode::Report { mode, .. }) => Some(*mode),
        _ => None,
    },
    show: decimal,
};

/// Thermostat Setpoint: the heating setpoint.
const SETPOINT: Setting<ScaledValue> = Setting {
    get: || {
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Get {
            setpoint_type: HEATING,
        })
    },
    set: |value| {
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Set {
            setpoint_type: HEATING,
            value,
        })
    },
    read: |r| match r {
        CommandClassFrame::ThermostatSetpoint(ThermostatSetpoint::Report {
            setpoint_type: HEATING,
            value,
        }) => Some(*value),
        _ => None,
    },
    show: |v| format!("{}{}", v.as_f64(), if v.scale == 1 { " °F" } else { " °C" }),
};

/// A setpoint one degree (of its own scale) away, in the same precision and width: warmer,
/// unless it is warm already (25 °C, 77 °F), so the device's upper limit is not crossed.
fn degree_away(v: ScaledValue) -> Vec<ScaledValue> {
    let step = 10i32.pow(u32::from(v.precision));
    let warm = if v.scale == 1 { 77.0 } else { 25.0 };
    let step = if v.as_f64() >= warm { -step } else { step };
    [v.value + step, v.value - step]
        .into_iter()
        .map(|value| ScaledValue { value, ..v })
        .collect()
}

/// A setpoint's value for comparing (a device may answer in another width or precision).
fn degrees(v: ScaledValue) -> (u8, i64) {
    (v.scale, (v.as_f64() * 100.0).round() as i64)
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

/// One node, reached through the stick.
struct Io<'a> {
    stick: &'a ZwaveStick,
    node: u16,
    limits: Limits,
}

impl Io<'_> {
    /// Sends `get` to `endpoint` and returns what `pick` takes from the Report that answers.
    async fn ask<T>(
        &self,
        events: &mut Receiver<RadioEvent>,
        endpoint: u8,
        get: CommandClassFrame,
        pick: impl Fn(&CommandClassFrame) -> Option<T>,
    ) -> Result<T, String> {
        while events.try_recv().is_ok() {}
        let what = format!("{get:?} to end point {endpoint}");
        bounded(
            self.limits.answer,
            &what,
            self.stick.send_command(self.node, endpoint, get),
        )
        .await?;
        let node = self.node;
        next_event(events, self.limits.answer, |e| match e {
            RadioEvent::Report {
                node: from,
                endpoint: ep,
                report,
                ..
            } if from == node && ep == endpoint => pick(&report),
            _ => None,
        })
        .await
        .ok_or_else(|| format!("node {node}: no answer to {what}"))
    }

    /// Sends a Set; the node must acknowledge it and, when supervised, apply it.
    async fn tell(&self, endpoint: u8, command: CommandClassFrame) -> Result<(), String> {
        let what = format!("{command:?} to end point {endpoint}");
        let outcome = bounded(
            self.limits.answer,
            &what,
            self.stick.send_command(self.node, endpoint, command),
        )
        .await?;
        if outcome.applied() {
            Ok(())
        } else {
            Err(format!(
                "node {}: {what}: {:?}",
                self.node, outcome.supervision
            ))
        }
    }

    /// Gets `setting` until `want` holds, a bounded number of times.
    async fn reaches<T: Copy + Debug>(
        &self,
        events: &mut Receiver<RadioEvent>,
        endpoint: u8,
        setting: &Setting<T>,
        want: impl Fn(T) -> bool,
    ) -> Result<T, String> {
        let mut last = None;
        for _ in 0..POLLS {
            let value = self
                .ask(events, endpoint, (setting.get)(), setting.read)
                .await?;
            if want(value) {
                return Ok(value);
            }
            last = Some(value);
            tokio::time::sleep(POLL_PAUSE).await;
        }
        Err(format!("node {} stayed at {last:?}", self.node))
    }

    /// Reads the setting, sets the first of `targets(before)` that differs from it, reads it
    /// back, sets the old value again and reads that back. `level` maps a value to what is
    /// compared (a binary switch reports 0x00 or any non-zero "on").
    async fn round_trip<T: Copy + Debug, L: PartialEq>(
        &self,
        events: &mut Receiver<RadioEvent>,
        endpoint: u8,
        setting: &Setting<T>,
        targets: impl Fn(T) -> Vec<T>,
        level: impl Fn(T) -> L,
    ) -> Result<String, String> {
        let before = self
            .ask(events, endpoint, (setting.get)(), setting.read)
            .await?;
        let target = targets(before)
            .into_iter()
            .find(|t| level(*t) != level(before))
            .ok_or("no other state to set")?;
        self.tell(endpoint, (setting.set)(target)).await?;
        let reached = self
            .reaches(events, endpoint, setting, |v| level(v) == level(target))
            .await?;
        self.tell(endpoint, (setting.set)(before)).await?;
        let back = self
            .reaches(events, endpoint, setting, |v| level(v) == level(before))
            .await?;
        Ok(format!(
            "node {} end point {endpoint}: {} → {} → {}",
            self.node,
            (setting.show)(before),
            (setting.show)(reached),
            (setting.show)(back)
        ))
    }

    /// The heating setpoint a degree away and back, then the mode (heat ↔ off) and back.
    async fn thermostat(&self, events: &mut Receiver<RadioEvent>) -> Result<String, String> {
        let setpoint = self
            .round_trip(events, 0, &SETPOINT, degree_away, degrees)
            .await?;
        let mode = self
            .round_trip(events, 0, &MODE, |_| vec![1, 0], id)
            .await?;
        Ok(format!("setpoint {setpoint}; mode {mode}"))
    }

    /// The electric power `endpoint` meters now, in W.
    async fn watts(&self, events: &mut Receiver<RadioEvent>, endpoint: u8) -> Result<f64, String> {
        let get = CommandClassFrame::Meter(Meter::Get {
            scale_byte: Some((WATTS as u8) << 3),
            scale2: None,
        });
        self.ask(events, endpoint, get, |r| match r {
            CommandClassFrame::Meter(Meter::Report(reading))
                if reading.meter_type() == 1 && reading.scale() == WATTS =>
            {
                Some(reading.value.as_f64())
            }
            _ => None,
        })
        .await
    }

    /// Each end point (or the root device, without Multi Channel): switched on and off, read
    /// back and metered each time (off must meter about nothing), then switched as it was.
    async fn metering_plug(&self, events: &mut Receiver<RadioEvent>) -> Result<String, String> {
        let outlets = self
            .ask(
                events,
                0,
                CommandClassFrame::MultiChannel(MultiChannel::EndPointGet),
                |r| match r {
                    CommandClassFrame::MultiChannel(MultiChannel::EndPointReport {
                        individual,
                        ..
                    }) => Some(*individual & 0x7F),
                    _ => None,
                },
            )
            .await?;
        let endpoints: Vec<u8> = if outlets == 0 {
            vec![0]
        } else {
            (1..=outlets).collect()
        };
        let mut seen = Vec::new();
        for endpoint in endpoints {
            let before = self
                .ask(events, endpoint, (BINARY.get)(), BINARY.read)
                .await?;
            let mut watts = [0.0; 2];
            for (i, value) in [0xFF, 0x00].into_iter().enumerate() {
                self.tell(endpoint, (BINARY.set)(value)).await?;
                self.reaches(events, endpoint, &BINARY, |v| on(v) == on(value))
                    .await?;
                watts[i] = self.watts(events, endpoint).await?;
            }
            self.tell(endpoint, (BINARY.set)(before)).await?;
            self.reaches(events, endpoint, &BINARY, |v| on(v) == on(before))
                .await?;
            let [when_on, when_off] = watts;
            if when_off.abs() > 1.0 {
                return Err(format!(
                    "end point {endpoint} switched off still meters {when_off:.1} W"
                ));
            }
            if !(0.0..=4000.0).contains(&when_on) {
                return Err(format!(
                    "end point {endpoint} switched on meters {when_on:.1} W"
                ));
            }
            seen.push(format!(
                "end point {endpoint}: {when_on:.1} W on, {when_off:.1} W off, left {}",
                if on(before) { "on" } else { "off" }
            ));
        }
        Ok(format!("node {}: {}", self.node, seen.join("; ")))
    }

    /// The level as a dimmer, then one colour component it has set and set back.
    async fn bulb(&self, events: &mut Receiver<RadioEvent>) -> Result<String, String> {
        let level = self
            .round_trip(events, 0, &LEVEL, |_| vec![42, 17], id)
            .await?;
        let mask = self
            .ask(
                events,
                0,
                CommandClassFrame::ColorSwitch(ColorSwitch::SupportedGet),
                |r| match r {
                    CommandClassFrame::ColorSwitch(ColorSwitch::SupportedReport { mask }) => {
                        Some(*mask)
                    }
                    _ => None,
                },
            )
            .await?;
        let component = COMPONENTS
            .into_iter()
            .find(|c| mask & (1 << c) != 0)
            .ok_or_else(|| format!("Color Switch lists no colour component ({mask:#06x})"))?;
        let colour = self.colour_round_trip(events, component).await?;
        Ok(format!(
            "level {level}; colour component {component}: {colour}"
        ))
    }

    async fn colour_round_trip(
        &self,
        events: &mut Receiver<RadioEvent>,
        component: u8,
    ) -> Result<String, String> {
        let get = || CommandClassFrame::ColorSwitch(ColorSwitch::Get { component });
        let read = |r: &CommandClassFrame| match r {
            CommandClassFrame::ColorSwitch(ColorSwitch::Report {
                component: c,
                current,
                ..
            }) if *c == component => Some(*current),
            _ => None,
        };
        let set = |value| {
            CommandClassFrame::ColorSwitch(ColorSwitch::Set {
                components: vec![(component, value)],
                duration: None,
            })
        };
        let before = self.ask(events, 0, get(), read).await?;
        let target = if before == 200 { 60 } else { 200 };
        let mut values = vec![before];
        for value in [target, before] {
            self.tell(0, set(value)).await?;
            let mut reached = None;
            for _ in 0..POLLS {
                let now = self.ask(events, 0, get(), read).await?;
                if now == value {
                    reached = Some(now);
                    break;
                }
                tokio::time::sleep(POLL_PAUSE).await;
            }
            values.push(
                reached.ok_or_else(|| format!("component {component} never reached {value}"))?,
            );
        }
        Ok(format!("{values:?}"))
    }

    /// Marks the node sleeping, queues `commands` for its wake-up, has it woken, and hands
    /// every report from it to `take` until `take` says it has all. `Ok(false)`: no person to
    /// wake it.
    async fn after_wake_up(
        &self,
        events: &mut Receiver<RadioEvent>,
        device: &ZwaveDevice,
        hands: &dyn Hands,
        commands: Vec<CommandClassFrame>,
        mut take: impl FnMut(&CommandClassFrame) -> bool,
    ) -> Result<bool, String> {
        bounded(
            self.limits.answer,
            "marking it sleeping",
            self.stick.set_sleeping(self.node, true),
        )
        .await?;
        while events.try_recv().is_ok() {}
        let mut waiting = Vec::new();
        for command in commands {
            let what = format!("{command:?}");
            match bounded(
                self.limits.answer,
                &what,
                self.stick.submit_command(self.node, 0, command),
            )
            .await?
            {
                SubmittedCommand::Done(_) => {}
                SubmittedCommand::QueuedUntilWakeUp(pending) => waiting.push((what, pending)),
            }
        }
        if !waiting.is_empty() {
            if !hands.available() {
                return Ok(false);
            }
            hands.wake(&device.name, self.node);
            for (what, pending) in waiting {
                bounded(
                    self.limits.pairing,
                    &format!("{what} after its wake-up"),
                    pending.outcome(),
                )
                .await?;
            }
        }
        let node = self.node;
        let all = tokio::time::timeout(self.limits.answer, async {
            while let Some(e) = events.recv().await {
                if let RadioEvent::Report {
                    node: from, report, ..
                } = e
                {
                    if from == node && take(&report) {
                        return true;
                    }
                }
            }
            false
        })
        .await;
        match all {
            Ok(true) => Ok(true),
            _ => Err(format!(
                "node {node}: not every report came after its wake-up"
            )),
        }
    }

    /// A Battery Get queued for the sleeping node's wake-up, and its report.
    async fn battery_after_wake_up(
        &self,
        events: &mut Receiver<RadioEvent>,
        device: &ZwaveDevice,
        hands: &dyn Hands,
    ) -> Verdict {
        let mut level = None;
        let woke = self
            .after_wake_up(
                events,
                device,
                hands,
                vec![CommandClassFrame::Battery(Battery::Get)],
                |r| {
                    if let CommandClassFrame::Battery(Battery::Report { level: l, .. }) = r {
                        level = Some(*l);
                    }
                    level.is_some()
                },
            )
            .await;
        let node = self.node;
        match (woke, level) {
            (Err(why), _) => Verdict::Failed(why),
            (Ok(false), _) => needs_person(&device.name, "is asleep"),
            (Ok(true), Some(level)) => battery(level)
                .map(|b| Verdict::Passed(format!("node {node}: woke up; {b}")))
                .unwrap_or_else(Verdict::Failed),
            (Ok(true), None) => Verdict::Failed(format!("node {node}: no Battery Report")),
        }
    }

    /// Battery and air temperature queued for the sleeping node's wake-up, and both reports,
    /// each in a plausible range.
    async fn multisensor(
        &self,
        events: &mut Receiver<RadioEvent>,
        device: &ZwaveDevice,
        hands: &dyn Hands,
    ) -> Verdict {
        let (mut level, mut temperature) = (None, None);
        let woke = self
            .after_wake_up(
                events,
                device,
                hands,
                vec![
                    CommandClassFrame::Battery(Battery::Get),
                    CommandClassFrame::MultilevelSensor(MultilevelSensor::Get {
                        requested: Some((AIR_TEMPERATURE, 0)),
                    }),
                ],
                |r| {
                    match r {
                        CommandClassFrame::Battery(Battery::Report { level: l, .. }) => {
                            level = Some(*l);
                        }
                        CommandClassFrame::MultilevelSensor(MultilevelSensor::Report {
                            sensor_type: AIR_TEMPERATURE,
                            value,
                        }) => temperature = Some(*value),
                        _ => {}
                    }
                    level.is_some() && temperature.is_some()
                },
            )
            .await;
        let node = self.node;
        let result = match (woke, level, temperature) {
            (Err(why), ..) => Err(why),
            (Ok(false), ..) => return needs_person(&device.name, "is asleep"),
            (Ok(true), Some(level), Some(t)) => battery(level).and_then(|b| {
                // Scale 0 °C, 1 °F.
                let celsius = if t.scale == 1 {
                    (t.as_f64() - 32.0) * 5.0 / 9.0
                } else {
                    t.as_f64()
                };
                if (-40.0..=60.0).contains(&celsius) {
                    Ok(format!("node {node}: woke up; {b}; {celsius:.1} °C"))
                } else {
                    Err(format!("air temperature {t:?}: not -40..=60 °C"))
                }
            }),
            (Ok(true), ..) => Err(format!("node {node}: a report is missing")),
        };
        verdict(result)
    }
}

/// A Battery Report's level as text, or why it is not one.
fn battery(level: u8) -> Result<String, String> {
    match level {
        0xFF => Ok("battery low".to_owned()),
        0..=100 => Ok(format!("battery {level}%")),
        other => Err(format!("Battery Report with level {other}")),
    }
}
