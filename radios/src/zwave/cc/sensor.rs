//! Readings: Multilevel Sensor (0x31), Meter (0x32, v1–v6 report with rate type, delta time
//! and previous value), Notification (0x71, v1 alarm and v3+ typed events) and Battery (0x80).

use super::{CommandSet, Reader, Result, ScaledValue, ids};

/// Multilevel Sensor CC (type 1 = air temperature, 3 = luminance, 5 = humidity, …).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MultilevelSensor {
    /// 0x01: ask which sensor types exist (v5+).
    SupportedSensorGet,
    /// 0x02: supported sensor types as a bit mask (bit 0 = type 1).
    SupportedSensorReport {
        /// Mask bytes.
        mask: Vec<u8>,
    },
    /// 0x03: ask which scales a type supports.
    SupportedScaleGet {
        /// Sensor type.
        sensor_type: u8,
    },
    /// 0x04: ask for a reading; v5 names the type and scale.
    Get {
        /// v5: (sensor type, scale 0..=3).
        requested: Option<(u8, u8)>,
    },
    /// 0x05: a reading.
    Report {
        /// Sensor type.
        sensor_type: u8,
        /// Value, precision, scale (unit) and size.
        value: ScaledValue,
    },
    /// 0x06: the scales one type supports (low nibble mask).
    SupportedScaleReport {
        /// Sensor type.
        sensor_type: u8,
        /// Scale bit mask byte.
        mask: u8,
    },
}

impl CommandSet for MultilevelSensor {
    const CC: u8 = ids::MULTILEVEL_SENSOR;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => Self::SupportedSensorGet,
            0x02 => Self::SupportedSensorReport {
                mask: r.rest().to_vec(),
            },
            0x03 => Self::SupportedScaleGet {
                sensor_type: r.u8()?,
            },
            0x04 => {
                if r.is_empty() {
                    Self::Get { requested: None }
                } else {
                    let t = r.u8()?;
                    let s = r.u8()?;
                    if s & !0x18 != 0 {
                        return Err(r.invalid("reserved bits set in scale byte"));
                    }
                    Self::Get {
                        requested: Some((t, s >> 3)),
                    }
                }
            }
            0x05 => Self::Report {
                sensor_type: r.u8()?,
                value: ScaledValue::read(r)?,
            },
            0x06 => Self::SupportedScaleReport {
                sensor_type: r.u8()?,
                mask: r.u8()?,
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::SupportedSensorGet => 0x01,
            Self::SupportedSensorReport { mask } => {
                out.extend_from_slice(mask);
                0x02
            }
            Self::SupportedScaleGet { sensor_type } => {
                out.push(*sensor_type);
                0x03
            }
            Self::Get { requested } => {
                if let Some((t, s)) = requested {
                    if *s > 3 {
                        return Err(super::Error::Unencodable("sensor scale > 3"));
                    }
                    out.extend_from_slice(&[*t, s << 3]);
                }
                0x04
            }
            Self::Report { sensor_type, value } => {
                out.push(*sensor_type);
                value.write(out)?;
                0x05
            }
            Self::SupportedScaleReport { sensor_type, mask } => {
                out.extend_from_slice(&[*sensor_type, *mask]);
                0x06
            }
        })
    }
}

/// A Meter Report (v1–v6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeterReading {
    /// Bit 7 scale bit 2 (v3+), bits 5–6 rate type (v2+: 1 consumed, 2 produced), bits 0–4
    /// meter type (1 electric, 2 gas, 3 water, …); kept whole.
    pub type_byte: u8,
    /// Current value; its `scale` holds scale bits 0–1.
    pub value: ScaledValue,
    /// v2+: seconds since the previous reading (0 = no previous value).
    pub delta_time: Option<u16>,
    /// v2+: the previous value (present only when `delta_time` > 0), same size and precision.
    pub previous: Option<i32>,
    /// v4+: the extended scale (present when the scale bits are 7).
    pub scale2: Option<u8>,
}

impl MeterReading {
    /// Meter type (1 electric, 2 gas, 3 water, 4 heating, 5 cooling).
    pub fn meter_type(&self) -> u8 {
        self.type_byte & 0x1F
    }

    /// Rate type (0 unspecified, 1 consumed, 2 produced).
    pub fn rate_type(&self) -> u8 {
        (self.type_byte >> 5) & 0b11
    }

    /// The full scale: bits 0–1 from the value header, bit 2 from the type byte, and for scale
    /// 7 in v4+ `7 + scale2` as zwave-js reads it (scale 7 + scale 2 = 1 → 8).
    pub fn scale(&self) -> u16 {
        let s = u16::from(self.value.scale) | (u16::from(self.type_byte >> 7) << 2);
        match (s, self.scale2) {
            (7, Some(s2)) => 7 + u16::from(s2),
            _ => s,
        }
    }
}

/// Meter CC.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Meter {
    /// 0x01: ask for a reading; v2+ names the scale byte, v4+ adds scale 2.
    Get {
        /// v2+ byte: bits 3–5 scale, bits 6–7 rate type (v4).
        scale_byte: Option<u8>,
        /// v4+ scale 2.
        scale2: Option<u8>,
    },
    /// 0x02: a reading.
    Report(MeterReading),
    /// 0x03: ask what the meter supports.
    SupportedGet,
    /// 0x04: what the meter supports, kept raw (layout differs per version).
    SupportedReport {
        /// Parameters as sent.
        raw: Vec<u8>,
    },
    /// 0x05: reset accumulated values (v2+; v6 may carry a target, kept raw).
    Reset {
        /// Parameters as sent (empty before v6).
        raw: Vec<u8>,
    },
}

impl CommandSet for Meter {
    const CC: u8 = ids::METER;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => {
                let scale_byte = r.opt_u8()?;
                let scale2 = if scale_byte.is_some() {
                    r.opt_u8()?
                } else {
                    None
                };
                Self::Get { scale_byte, scale2 }
            }
            0x02 => {
                let type_byte = r.u8()?;
                let value = ScaledValue::read(r)?;
                let mut delta_time = None;
                let mut previous = None;
                let mut scale2 = None;
                if r.remaining() >= 2 {
                    let dt = r.u16()?;
                    delta_time = Some(dt);
                    if dt > 0 {
                        previous = Some(ScaledValue::read_int(r, value.size)?);
                    }
                    scale2 = r.opt_u8()?;
                }
                Self::Report(MeterReading {
                    type_byte,
                    value,
                    delta_time,
                    previous,
                    scale2,
                })
            }
            0x03 => Self::SupportedGet,
            0x04 => Self::SupportedReport {
                raw: r.rest().to_vec(),
            },
            0x05 => Self::Reset {
                raw: r.rest().to_vec(),
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Get { scale_byte, scale2 } => {
                if let Some(s) = scale_byte {
                    out.push(*s);
                    out.extend(scale2);
                } else if scale2.is_some() {
                    return Err(super::Error::Unencodable("scale 2 without scale byte"));
                }
                0x01
            }
            Self::Report(m) => {
                out.push(m.type_byte);
                m.value.write(out)?;
                match (m.delta_time, m.previous) {
                    (None, None) => {
                        if m.scale2.is_some() {
                            return Err(super::Error::Unencodable("scale 2 without delta time"));
                        }
                    }
                    (Some(0), None) => out.extend_from_slice(&[0, 0]),
                    (Some(dt), Some(prev)) if dt > 0 => {
                        out.extend_from_slice(&dt.to_be_bytes());
                        ScaledValue::write_int(out, m.value.size, prev)?;
                    }
                    _ => {
                        return Err(super::Error::Unencodable(
                            "previous value present exactly when delta time > 0",
                        ));
                    }
                }
                out.extend(m.scale2);
                0x02
            }
            Self::SupportedGet => 0x03,
            Self::SupportedReport { raw } => {
                out.extend_from_slice(raw);
                0x04
            }
            Self::Reset { raw } => {
                out.extend_from_slice(raw);
                0x05
            }
        })
    }
}

/// The v2+ part of a Notification Report.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotificationEvent {
    /// Zensor-net source node (reserved byte in later versions).
    pub zensor_source: u8,
    /// 0x00 off / 0xFF on (v2+ status; 0xFE = no pending notifications).
    pub status: u8,
    /// Notification type (6 = access control, 7 = home security, …).
    pub notification_type: u8,
    /// Event within the type (0 = idle / state cleared).
    pub event: u8,
    /// Event parameters (0..=31 bytes; e.g. a user id or an encapsulated CC).
    pub parameters: Vec<u8>,
    /// Sequence number, present when the sender sets the sequence bit.
    pub sequence: Option<u8>,
}

/// Notification CC (Alarm CC in v1/v2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notification {
    /// 0x04: ask for a notification (v1 alarm type, v2+ type, v3+ event).
    Get {
        /// Parameters as sent (1–3 bytes depending on version).
        raw: Vec<u8>,
    },
    /// 0x05: an alarm (v1) or an event (v2+).
    Report {
        /// v1 alarm type.
        alarm_type: u8,
        /// v1 alarm level.
        alarm_level: u8,
        /// v2+ event.
        event: Option<NotificationEvent>,
    },
    /// 0x06: enable or disable unsolicited reports of one type.
    Set {
        /// Notification type.
        notification_type: u8,
        /// 0x00 off / 0xFF on.
        status: u8,
    },
    /// 0x07: ask which types are supported.
    SupportedGet,
    /// 0x08: supported types (byte 0: bit 7 v1 alarm, bits 0–4 mask length; then mask).
    SupportedReport {
        /// Parameters as sent.
        raw: Vec<u8>,
    },
}

impl CommandSet for Notification {
    const CC: u8 = ids::NOTIFICATION;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x04 => {
                let raw = r.rest().to_vec();
                if raw.is_empty() || raw.len() > 3 {
                    return Err(r.invalid("notification get takes 1 to 3 bytes"));
                }
                Self::Get { raw }
            }
            0x05 => {
                let alarm_type = r.u8()?;
                let alarm_level = r.u8()?;
                let event = if r.is_empty() {
                    None
                } else {
                    let zensor_source = r.u8()?;
                    let status = r.u8()?;
                    let notification_type = r.u8()?;
                    let event = r.u8()?;
                    let props = r.u8()?;
                    if props & 0x60 != 0 {
                        return Err(r.invalid("reserved bits set in parameters length"));
                    }
                    let parameters = r.bytes(usize::from(props & 0x1F))?.to_vec();
                    let sequence = if props & 0x80 != 0 {
                        Some(r.u8()?)
                    } else {
                        None
                    };
                    Some(NotificationEvent {
                        zensor_source,
                        status,
                        notification_type,
                        event,
                        parameters,
                        sequence,
                    })
                };
                Self::Report {
                    alarm_type,
                    alarm_level,
                    event,
                }
            }
            0x06 => Self::Set {
                notification_type: r.u8()?,
                status: r.u8()?,
            },
            0x07 => Self::SupportedGet,
            0x08 => Self::SupportedReport {
                raw: r.rest().to_vec(),
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Get { raw } => {
                if raw.is_empty() || raw.len() > 3 {
                    return Err(super::Error::Unencodable(
                        "notification get takes 1 to 3 bytes",
                    ));
                }
                out.extend_from_slice(raw);
                0x04
            }
            Self::Report {
                alarm_type,
                alarm_level,
                event,
            } => {
                out.extend_from_slice(&[*alarm_type, *alarm_level]);
                if let Some(e) = event {
                    if e.parameters.len() > 0x1F {
                        return Err(super::Error::Unencodable("more than 31 event parameters"));
                    }
                    let props = (u8::from(e.sequence.is_some()) << 7) | (e.parameters.len() as u8);
                    out.extend_from_slice(&[
                        e.zensor_source,
                        e.status,
                        e.notification_type,
                        e.event,
                        props,
                    ]);
                    out.extend_from_slice(&e.parameters);
                    out.extend(e.sequence);
                }
                0x05
            }
            Self::Set {
                notification_type,
                status,
            } => {
                out.extend_from_slice(&[*notification_type, *status]);
                0x06
            }
            Self::SupportedGet => 0x07,
            Self::SupportedReport { raw } => {
                out.extend_from_slice(raw);
                0x08
            }
        })
    }
}

/// Battery CC.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Battery {
    /// 0x02: ask for the level.
    Get,
    /// 0x03: the level (0..=100, 0xFF = low-battery warning); v2 adds two status bytes.
    Report {
        /// Level.
        level: u8,
        /// v2: (bits 6–7 charging, 5 rechargeable, 4 backup, 3 overheating, 2 low fluid,
        /// 0–1 replace/recharge; bit 0 of the second byte disconnected).
        status: Option<[u8; 2]>,
    },
}

impl Battery {
    /// Whether the report is the low-battery warning (0xFF).
    pub fn is_low(level: u8) -> bool {
        level == 0xFF
    }
}

impl CommandSet for Battery {
    const CC: u8 = ids::BATTERY;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x02 => Self::Get,
            0x03 => Self::Report {
                level: r.u8()?,
                status: if r.is_empty() { None } else { Some(r.array()?) },
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Get => 0x02,
            Self::Report { level, status } => {
                out.push(*level);
                if let Some(s) = status {
                    out.extend_from_slice(s);
                }
                0x03
            }
        })
    }
}
