//! Zigbee device scenarios through [`ZigbeeStick`]: pair the device when it has no node yet
//! (its install code first, if listed; permit-join open until it announces itself), then the
//! scenario of its kind. Every scenario reads the state first and puts it back at the end.

use sealhub_radios::zigbee::driver::{Outcome, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::zcl::clusters::color::{
    self, MoveToColor, MoveToColorTemperature, MoveToHueAndSaturation,
};
use sealhub_radios::zigbee::zcl::clusters::door_lock::{self, LockCommand};
use sealhub_radios::zigbee::zcl::clusters::ias_zone::{self, ZoneEnrollResponse, ZoneStatus};
use sealhub_radios::zigbee::zcl::clusters::level::{self, MoveToLevel};
use sealhub_radios::zigbee::zcl::clusters::{
    Empty, Trailing, energy, measurement, on_off, thermostat,
};
use sealhub_radios::zigbee::zcl::foundation::AttributeValue;
use sealhub_radios::zigbee::zcl::{ClusterCommand, Status, Value};
use tokio::sync::mpsc::Receiver;

use super::{DeviceResult, Hands, Limits, Stimulus, Verdict, bounded, needs_person, verdict};
use crate::devices::{ZigbeeDevice, ZigbeeKind};
use crate::next_event;

/// The On/Off attribute of the On/Off cluster.
const ON_OFF_ATTRIBUTE: u16 = 0x0000;

/// How many reads a scenario makes while waiting for a device to reach a state (a bolt or a
/// fade takes a moment), each bounded by [`Limits::answer`].
const POLLS: usize = 10;
const POLL_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// The zone ID the hub gives the IAS zones it enrols.
const ZONE_ID: u8 = 0x17;

/// The cluster a device of `kind` must have on its endpoint for its scenario.
fn main_cluster(kind: ZigbeeKind) -> u16 {
    match kind {
        ZigbeeKind::Light | ZigbeeKind::Plug | ZigbeeKind::ColourBulb => on_off::CLUSTER_ID,
        ZigbeeKind::DoorLock => door_lock::CLUSTER_ID,
        ZigbeeKind::Thermostat => thermostat::CLUSTER_ID,
        ZigbeeKind::ClimateSensor => measurement::TEMPERATURE_CLUSTER_ID,
        ZigbeeKind::MotionSensor | ZigbeeKind::ContactSensor => ias_zone::CLUSTER_ID,
    }
}

/// Runs every device's scenario, one after another, on a started stick.
pub async fn run_all(
    stick: &ZigbeeStick,
    events: &mut Receiver<RadioEvent>,
    devices: &[ZigbeeDevice],
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

/// Runs one device's scenario (pairing it first when it has no node id).
pub async fn run(
    stick: &ZigbeeStick,
    events: &mut Receiver<RadioEvent>,
    device: &ZigbeeDevice,
    hands: &dyn Hands,
    limits: Limits,
) -> Verdict {
    let node = match device.node_id {
        Some(node) => node,
        None if !hands.available() => return needs_person(&device.name, "has no node_id yet"),
        None => match pair(stick, events, device, hands, limits).await {
            Ok(node) => node,
            Err(why) => return Verdict::Failed(why),
        },
    };
    // Battery sensors sleep and answer only for a moment after a button press; a person
    // there is asked to wake them (the emulated ones always answer).
    let sleepy = matches!(
        device.kind,
        ZigbeeKind::ClimateSensor | ZigbeeKind::MotionSensor | ZigbeeKind::ContactSensor
    );
    if sleepy && hands.available() {
        hands.wake(&device.name, node);
    }
    let at = At {
        stick,
        node,
        endpoint: device.endpoint,
        limits,
    };
    match device.kind {
        ZigbeeKind::Light => verdict(at.on_off_round_trip().await),
        ZigbeeKind::Plug => verdict(at.plug().await),
        ZigbeeKind::ColourBulb => verdict(at.colour_bulb().await),
        ZigbeeKind::DoorLock if !hands.confirm(&device.name, "unlock (or lock)") => {
            needs_person(&device.name, "is a lock that will move")
        }
        ZigbeeKind::DoorLock => verdict(at.door_lock().await),
        ZigbeeKind::Thermostat => verdict(at.thermostat().await),
        ZigbeeKind::ClimateSensor => verdict(at.climate().await),
        ZigbeeKind::MotionSensor => {
            at.zone(
                events,
                device,
                hands,
                (Stimulus::Motion, Stimulus::Stillness),
            )
            .await
        }
        ZigbeeKind::ContactSensor => {
            at.zone(events, device, hands, (Stimulus::Open, Stimulus::Close))
                .await
        }
    }
}

/// Opens the network for the device, has it join, and interviews it.
async fn pair(
    stick: &ZigbeeStick,
    events: &mut Receiver<RadioEvent>,
    device: &ZigbeeDevice,
    hands: &dyn Hands,
    limits: Limits,
) -> Result<u16, String> {
    if let Some(code) = &device.install_code {
        bounded(
            limits.answer,
            "adding the install code",
            stick.add_install_code(device.eui64, code),
        )
        .await?;
    }
    let seconds = u8::try_from(limits.pairing.as_secs().clamp(1, 254)).unwrap_or(254);
    bounded(
        limits.answer,
        "opening permit-join",
        stick.permit_join(seconds),
    )
    .await?;
    hands.pair(&device.name);
    let joined = next_event(events, limits.pairing, |e| match e {
        RadioEvent::DeviceAnnounced { eui64, node_id, .. } if eui64 == device.eui64 => {
            Some(node_id)
        }
        _ => None,
    })
    .await;
    let closed = bounded(limits.answer, "closing permit-join", stick.permit_join(0)).await;
    let node = joined.ok_or_else(|| {
        format!(
            "\"{}\" ({:016x}) did not join within {}s",
            device.name,
            device.eui64,
            limits.pairing.as_secs()
        )
    })?;
    closed?;
    let description = bounded(limits.answer, "interview", stick.interview(node)).await?;
    let cluster = main_cluster(device.kind);
    let has_it = description
        .endpoints
        .iter()
        .any(|ep| ep.endpoint == device.endpoint && ep.in_clusters.0.contains(&cluster));
    if !has_it {
        return Err(format!(
            "joined as node {node:#06x}, but endpoint {} has no cluster {cluster:#06x}, which a \
             {} has",
            device.endpoint,
            device.kind.name()
        ));
    }
    Ok(node)
}

/// A value as a number, whatever its ZCL type (`None` for strings and the like).
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Boolean(b) => Some(i64::from(*b)),
        Value::Enum8(v) => Some(i64::from(*v)),
        Value::Enum16(v) => Some(i64::from(*v)),
        Value::Int { value, .. } => Some(*value),
        Value::Uint { value, .. } | Value::Bitmap { value, .. } | Value::Data { value, .. } => {
            i64::try_from(*value).ok()
        }
        _ => None,
    }
}

/// One endpoint of one node, reached through the stick.
struct At<'a> {
    stick: &'a ZigbeeStick,
    node: u16,
    endpoint: u8,
    limits: Limits,
}

impl At<'_> {
    /// Reads `ids` of `cluster`: each attribute's number, or the status the device gave.
    async fn read(&self, cluster: u16, ids: &[u16]) -> Result<Vec<Result<i64, Status>>, String> {
        let records = bounded(
            self.limits.answer,
            &format!("reading cluster {cluster:#06x}"),
            self.stick
                .read_attributes(self.node, self.endpoint, cluster, ids.to_vec()),
        )
        .await?;
        if records.len() != ids.len() {
            return Err(format!(
                "asked for {} attributes of {cluster:#06x}, got {}",
                ids.len(),
                records.len()
            ));
        }
        records
            .into_iter()
            .map(|r| match r.result {
                Ok(value) => number(&value)
                    .map(Ok)
                    .ok_or_else(|| format!("attribute {:#06x} is {value:?}", r.id)),
                Err(status) => Ok(Err(status)),
            })
            .collect()
    }

    /// Reads one attribute, which the device must have.
    async fn read_one(&self, cluster: u16, id: u16) -> Result<i64, String> {
        match self.read(cluster, &[id]).await?.first() {
            Some(Ok(v)) => Ok(*v),
            Some(Err(status)) => Err(format!(
                "attribute {id:#06x} of {cluster:#06x}: status {:#04x}",
                status.0
            )),
            None => Err(format!("no attribute {id:#06x} of {cluster:#06x}")),
        }
    }

    /// Reads `id` until `want` holds, a bounded number of times.
    async fn until(
        &self,
        cluster: u16,
        id: u16,
        want: impl Fn(i64) -> bool,
    ) -> Result<i64, String> {
        let mut last = None;
        for _ in 0..POLLS {
            let value = self.read_one(cluster, id).await?;
            if want(value) {
                return Ok(value);
            }
            last = Some(value);
            tokio::time::sleep(POLL_PAUSE).await;
        }
        Err(format!(
            "node {:#06x}: attribute {id:#06x} of {cluster:#06x} stayed at {last:?}",
            self.node
        ))
    }

    async fn send(
        &self,
        what: &str,
        cluster: u16,
        command: ClusterCommand,
    ) -> Result<Outcome, String> {
        bounded(
            self.limits.answer,
            what,
            self.stick
                .send_cluster_command(self.node, self.endpoint, cluster, command),
        )
        .await
    }

    async fn write(&self, cluster: u16, id: u16, value: Value) -> Result<(), String> {
        bounded(
            self.limits.answer,
            &format!("writing attribute {id:#06x} of {cluster:#06x}"),
            self.stick.write_attributes(
                self.node,
                self.endpoint,
                cluster,
                vec![AttributeValue { id, value }],
            ),
        )
        .await
    }

    async fn on_off(&self) -> Result<bool, String> {
        Ok(self.read_one(on_off::CLUSTER_ID, ON_OFF_ATTRIBUTE).await? != 0)
    }

    async fn toggle(&self) -> Result<(), String> {
        let command = ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {}));
        self.send("Toggle", on_off::CLUSTER_ID, command)
            .await
            .map(|_| ())
    }

    async fn switch(&self, on: bool) -> Result<(), String> {
        let command = ClusterCommand::OnOff(if on {
            on_off::ToServer::On(Empty {})
        } else {
            on_off::ToServer::Off(Empty {})
        });
        self.send(if on { "On" } else { "Off" }, on_off::CLUSTER_ID, command)
            .await?;
        self.until(on_off::CLUSTER_ID, ON_OFF_ATTRIBUTE, |v| (v != 0) == on)
            .await
            .map(|_| ())
    }

    /// Reads On/Off, toggles, reads the change back, toggles back and reads that too.
    async fn on_off_round_trip(&self) -> Result<String, String> {
        let before = self.on_off().await?;
        self.toggle().await?;
        let toggled = self.on_off().await?;
        if toggled == before {
            return Err(format!("Toggle left On/Off at {before}"));
        }
        self.toggle().await?;
        let back = self.on_off().await?;
        if back != before {
            return Err(format!(
                "the second Toggle left On/Off at {back}, not {before}"
            ));
        }
        Ok(format!(
            "node {:#06x}: On/Off {before} → {toggled} → {back}",
            self.node
        ))
    }

    /// What the plug's load draws now, in watts: Electrical Measurement `ActivePower` with its
    /// multiplier and divisor, or else Metering `InstantaneousDemand` (kW, likewise scaled).
    async fn watts(&self) -> Result<f64, String> {
        let scaled = |v: i64, m: &Result<i64, Status>, d: &Result<i64, Status>| {
            let m = m.as_ref().ok().copied().unwrap_or(1);
            let d = d.as_ref().ok().copied().filter(|d| *d != 0).unwrap_or(1);
            v as f64 * m as f64 / d as f64
        };
        let em = self
            .read(
                energy::ELECTRICAL_MEASUREMENT_CLUSTER_ID,
                &[
                    energy::ACTIVE_POWER.id,
                    energy::AC_POWER_MULTIPLIER.id,
                    energy::AC_POWER_DIVISOR.id,
                ],
            )
            .await;
        if let Ok([Ok(power), m, d]) = em.as_deref() {
            return Ok(scaled(*power, m, d));
        }
        let metering = self
            .read(
                energy::METERING_CLUSTER_ID,
                &[
                    energy::INSTANTANEOUS_DEMAND.id,
                    energy::MULTIPLIER.id,
                    energy::DIVISOR.id,
                ],
            )
            .await?;
        match metering.as_slice() {
            [Ok(demand), m, d] => Ok(scaled(*demand, m, d) * 1000.0),
            other => Err(format!(
                "neither ActivePower ({em:?}) nor InstantaneousDemand ({other:?}) can be read"
            )),
        }
    }

    /// On/Off as a light; then the power while on and while off (off must be about nothing),
    /// and the energy delivered; the plug is left on or off as it was.
    async fn plug(&self) -> Result<String, String> {
        let switched = self.on_off_round_trip().await?;
        let was_on = self.on_off().await?;
        self.switch(true).await?;
        let on = self.watts().await?;
        self.switch(false).await?;
        let mut off = self.watts().await?;
        for _ in 0..POLLS {
            if off.abs() <= 1.0 {
                break;
            }
            tokio::time::sleep(POLL_PAUSE).await;
            off = self.watts().await?;
        }
        self.switch(was_on).await?;
        if off.abs() > 1.0 {
            return Err(format!("switched off, it still measures {off:.1} W"));
        }
        if !(0.0..=4000.0).contains(&on) {
            return Err(format!("switched on, it measures {on:.1} W"));
        }
        let energy = self
            .read(
                energy::METERING_CLUSTER_ID,
                &[energy::CURRENT_SUMMATION_DELIVERED.id],
            )
            .await
            .ok()
            .and_then(|r| r.first().and_then(|r| r.as_ref().ok().copied()));
        Ok(format!(
            "{switched}; {on:.1} W on, {off:.1} W off; energy delivered {}",
            energy.map_or("not metered".to_owned(), |e| format!("{e} (raw)"))
        ))
    }

    /// Level Control moved to another level and back.
    async fn level_round_trip(&self) -> Result<String, String> {
        let id = level::CURRENT_LEVEL.id;
        let before = self.read_one(level::CLUSTER_ID, id).await?;
        let target: u8 = if before == 100 { 200 } else { 100 };
        let to = |level| {
            ClusterCommand::LevelControl(level::ToServer::MoveToLevel(MoveToLevel {
                level,
                transition_time: 0,
                options: Trailing(None),
            }))
        };
        self.send("Move To Level", level::CLUSTER_ID, to(target))
            .await?;
        let reached = self
            .until(level::CLUSTER_ID, id, |v| v == i64::from(target))
            .await?;
        let back = u8::try_from(before).map_err(|_| format!("CurrentLevel {before}"))?;
        self.send("Move To Level back", level::CLUSTER_ID, to(back))
            .await?;
        self.until(level::CLUSTER_ID, id, |v| v == before).await?;
        Ok(format!("level {before} → {reached} → {before}"))
    }

    /// The colour moved to a colour temperature and back to what it was, in its own mode (hue
    /// and saturation, xy, or colour temperature).
    async fn colour_round_trip(&self) -> Result<String, String> {
        let ids = [
            color::COLOR_MODE.id,
            color::CURRENT_HUE.id,
            color::CURRENT_SATURATION.id,
            color::CURRENT_X.id,
            color::CURRENT_Y.id,
            color::COLOR_TEMPERATURE_MIREDS.id,
        ];
        let before = self.read(color::CLUSTER_ID, &ids).await?;
        let get = |i: usize| -> Result<u16, String> {
            match before.get(i) {
                Some(Ok(v)) => u16::try_from(*v).map_err(|_| format!("{:#06x} is {v}", ids[i])),
                other => Err(format!("attribute {:#06x}: {other:?}", ids[i])),
            }
        };
        let mode = get(0)?;
        let mireds = get(5)?;
        let target = if mireds == 370 { 250 } else { 370 };
        let temperature = |mireds| {
            ClusterCommand::ColorControl(color::ToServer::MoveToColorTemperature(
                MoveToColorTemperature {
                    mireds,
                    transition_time: 0,
                    options: Trailing(None),
                },
            ))
        };
        self.send(
            "Move To Color Temperature",
            color::CLUSTER_ID,
            temperature(target),
        )
        .await?;
        self.until(color::CLUSTER_ID, ids[5], |v| v == i64::from(target))
            .await?;
        let moved_mode = self.read_one(color::CLUSTER_ID, ids[0]).await?;
        if moved_mode != 2 {
            return Err(format!(
                "after a colour temperature, ColorMode is {moved_mode}"
            ));
        }
        // Back: the colour temperature first (so a bulb in another mode keeps the one it
        // had), then the colour in the mode it was in, whose attributes are read back.
        if mode != 2 {
            self.send(
                "Move To Color Temperature back",
                color::CLUSTER_ID,
                temperature(mireds),
            )
            .await?;
            self.until(color::CLUSTER_ID, ids[5], |v| v == i64::from(mireds))
                .await?;
        }
        let (restore, check): (ClusterCommand, Vec<(usize, u16)>) = match mode {
            0 => {
                let (hue, saturation) = (get(1)?, get(2)?);
                let (h, s) = (
                    u8::try_from(hue).map_err(|_| "CurrentHue")?,
                    u8::try_from(saturation).map_err(|_| "CurrentSaturation")?,
                );
                (
                    ClusterCommand::ColorControl(color::ToServer::MoveToHueAndSaturation(
                        MoveToHueAndSaturation {
                            hue: h,
                            saturation: s,
                            transition_time: 0,
                            options: Trailing(None),
                        },
                    )),
                    vec![(1, hue), (2, saturation)],
                )
            }
            1 => {
                let (x, y) = (get(3)?, get(4)?);
                (
                    ClusterCommand::ColorControl(color::ToServer::MoveToColor(MoveToColor {
                        x,
                        y,
                        transition_time: 0,
                        options: Trailing(None),
                    })),
                    vec![(3, x), (4, y)],
                )
            }
            _ => (temperature(mireds), vec![(5, mireds)]),
        };
        self.send("restoring the colour", color::CLUSTER_ID, restore)
            .await?;
        for (i, value) in check {
            self.until(color::CLUSTER_ID, ids[i], |v| v == i64::from(value))
                .await?;
        }
        let back_mode = self.read_one(color::CLUSTER_ID, ids[0]).await?;
        if back_mode != i64::from(mode) {
            return Err(format!("ColorMode {back_mode} after restoring, not {mode}"));
        }
        Ok(format!(
            "colour temperature {mireds} → {target} mireds, back in colour mode {mode}"
        ))
    }

    async fn colour_bulb(&self) -> Result<String, String> {
        let switched = self.on_off_round_trip().await?;
        let level = self.level_round_trip().await?;
        let colour = self.colour_round_trip().await?;
        Ok(format!("{switched}; {level}; {colour}"))
    }

    /// `LockState` read, the other operation sent, read until there, then the first again.
    async fn door_lock(&self) -> Result<String, String> {
        const LOCKED: i64 = 1;
        const UNLOCKED: i64 = 2;
        let id = door_lock::LOCK_STATE.id;
        let before = self.read_one(door_lock::CLUSTER_ID, id).await?;
        if before != LOCKED && before != UNLOCKED {
            return Err(format!("LockState {before}: neither locked nor unlocked"));
        }
        let operate = |lock: bool| {
            let command = LockCommand {
                pin: Trailing(None),
            };
            ClusterCommand::DoorLock(if lock {
                door_lock::ToServer::LockDoor(command)
            } else {
                door_lock::ToServer::UnlockDoor(command)
            })
        };
        let name = |state| {
            if state == LOCKED {
                "locked"
            } else {
                "unlocked"
            }
        };
        let target = if before == LOCKED { UNLOCKED } else { LOCKED };
        self.send(
            "operating the lock",
            door_lock::CLUSTER_ID,
            operate(target == LOCKED),
        )
        .await?;
        self.until(door_lock::CLUSTER_ID, id, |v| v == target)
            .await?;
        self.send(
            "operating it back",
            door_lock::CLUSTER_ID,
            operate(before == LOCKED),
        )
        .await?;
        self.until(door_lock::CLUSTER_ID, id, |v| v == before)
            .await?;
        Ok(format!(
            "node {:#06x}: {} → {} → {}",
            self.node,
            name(before),
            name(target),
            name(before)
        ))
    }

    /// The heating setpoint moved by a degree and `SystemMode` switched (heat ↔ off), each
    /// read back; then both restored and read back.
    async fn thermostat(&self) -> Result<String, String> {
        let cluster = thermostat::CLUSTER_ID;
        let (setpoint, mode) = (
            thermostat::OCCUPIED_HEATING_SETPOINT.id,
            thermostat::SYSTEM_MODE.id,
        );
        let heat = self.read_one(cluster, setpoint).await?;
        let was = self.read_one(cluster, mode).await?;
        let warmer = if heat + 100 <= 3000 {
            heat + 100
        } else {
            heat - 100
        };
        let other_mode: u8 = if was == 4 { 0 } else { 4 };
        let was_mode = u8::try_from(was).map_err(|_| format!("SystemMode {was}"))?;
        let centi = |v: i64| Value::Int { width: 2, value: v };
        self.write(cluster, setpoint, centi(warmer)).await?;
        self.until(cluster, setpoint, |v| v == warmer).await?;
        self.write(cluster, mode, Value::Enum8(other_mode)).await?;
        self.until(cluster, mode, |v| v == i64::from(other_mode))
            .await?;
        self.write(cluster, mode, Value::Enum8(was_mode)).await?;
        self.until(cluster, mode, |v| v == was).await?;
        self.write(cluster, setpoint, centi(heat)).await?;
        self.until(cluster, setpoint, |v| v == heat).await?;
        Ok(format!(
            "heating setpoint {:.2} → {:.2} → {:.2} °C; mode {was} → {other_mode} → {was}",
            heat as f64 / 100.0,
            warmer as f64 / 100.0,
            heat as f64 / 100.0
        ))
    }

    /// Temperature and humidity read, each within what a room (or a garden) can have.
    async fn climate(&self) -> Result<String, String> {
        let t = self
            .read_one(
                measurement::TEMPERATURE_CLUSTER_ID,
                measurement::TEMPERATURE_MEASURED_VALUE.id,
            )
            .await?;
        let h = self
            .read_one(
                measurement::HUMIDITY_CLUSTER_ID,
                measurement::HUMIDITY_MEASURED_VALUE.id,
            )
            .await?;
        if !(-4000..=6000).contains(&t) {
            return Err(format!("temperature {t} (0.01 °C): not -40..=60 °C"));
        }
        if !(0..=10000).contains(&h) {
            return Err(format!("humidity {h} (0.01 %): not 0..=100 %"));
        }
        Ok(format!(
            "node {:#06x}: {:.2} °C, {:.2} %",
            self.node,
            t as f64 / 100.0,
            h as f64 / 100.0
        ))
    }

    /// Enrols the IAS zone with the hub as its CIE: writes the hub's address, answers the
    /// Zone Enroll Request, and reads `ZoneState` until enrolled. The zone type it asked with.
    async fn enrol(&self, events: &mut Receiver<RadioEvent>) -> Result<Option<u16>, String> {
        let hub = bounded(
            self.limits.answer,
            "reading the hub's address",
            self.stick.network(),
        )
        .await?
        .eui64;
        while events.try_recv().is_ok() {}
        self.write(
            ias_zone::CLUSTER_ID,
            ias_zone::IAS_CIE_ADDRESS.id,
            Value::Ieee(hub.to_le_bytes()),
        )
        .await?;
        let node = self.node;
        let request = next_event(events, self.limits.answer, |e| match e {
            RadioEvent::ClusterCommand {
                node_id,
                command: ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneEnrollRequest(r)),
                ..
            } if node_id == node => Some(r.zone_type),
            _ => None,
        })
        .await;
        // A zone enrolled before may not ask again; it is answered all the same (the
        // "auto-enroll-response" way).
        let response =
            ClusterCommand::IasZone(ias_zone::ToServer::ZoneEnrollResponse(ZoneEnrollResponse {
                code: 0,
                zone_id: ZONE_ID,
            }));
        self.send("Zone Enroll Response", ias_zone::CLUSTER_ID, response)
            .await?;
        self.until(ias_zone::CLUSTER_ID, ias_zone::ZONE_STATE.id, |v| v == 1)
            .await?;
        Ok(request)
    }

    /// The next Zone Status Change Notification from the node whose alarm 1 is `alarm`.
    async fn zone_change(
        &self,
        events: &mut Receiver<RadioEvent>,
        alarm: bool,
    ) -> Result<ZoneStatus, String> {
        let node = self.node;
        next_event(events, self.limits.pairing, |e| match e {
            RadioEvent::ClusterCommand {
                node_id,
                command:
                    ClusterCommand::IasZoneReport(ias_zone::ToClient::ZoneStatusChangeNotification(n)),
                ..
            } if node_id == node && n.zone_status.contains(ZoneStatus::ALARM1) == alarm => {
                Some(n.zone_status)
            }
            _ => None,
        })
        .await
        .ok_or_else(|| {
            format!(
                "no Zone Status Change Notification with alarm 1 {} within {}s",
                if alarm { "raised" } else { "cleared" },
                self.limits.pairing.as_secs()
            )
        })
    }

    /// IAS enrolment, then the zone raised and cleared again by `stimuli` (a person's hands on
    /// real hardware, so only when one is there).
    async fn zone(
        &self,
        events: &mut Receiver<RadioEvent>,
        device: &ZigbeeDevice,
        hands: &dyn Hands,
        (raise, clear): (Stimulus, Stimulus),
    ) -> Verdict {
        let zone_type = match self.enrol(events).await {
            Ok(t) => t,
            Err(why) => return Verdict::Failed(why),
        };
        let enrolled = format!(
            "node {:#06x}: enrolled as zone {ZONE_ID:#04x} (zone type {})",
            self.node,
            zone_type.map_or("not asked again".to_owned(), |t| format!("{t:#06x}"))
        );
        if !hands.available() {
            return needs_person(
                &device.name,
                &format!("is enrolled ({enrolled}), but its zone change ({raise:?}, {clear:?})"),
            );
        }
        let result = async {
            while events.try_recv().is_ok() {}
            hands.stimulate(&device.name, self.node, raise);
            let raised = self.zone_change(events, true).await?;
            hands.stimulate(&device.name, self.node, clear);
            let cleared = self.zone_change(events, false).await?;
            Ok(format!(
                "{enrolled}; {raise:?}: status {:#06x}, {clear:?}: status {:#06x}",
                raised.bits(),
                cleared.bits()
            ))
        }
        .await;
        verdict(result)
    }
}
