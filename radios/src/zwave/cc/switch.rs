//! Actuator classes: Basic (0x20), Binary Switch (0x25), Multilevel Switch (0x26) and Color
//! Switch (0x33). Levels and durations are kept as the wire bytes (level 0..=99 or 0xFF; a
//! duration byte is 0 = instant, 0x01..=0x7F seconds, 0x80..=0xFE minutes−1, 0xFF = default or
//! unknown) because their meaning depends on the command; [`duration_secs`] interprets one.

use super::{CommandSet, Reader, Result, count_u8, ids};

/// Seconds a duration byte stands for (`None` for 0xFF / 0xFE "unknown" or "default").
pub fn duration_secs(byte: u8) -> Option<u32> {
    match byte {
        0x00..=0x7F => Some(u32::from(byte)),
        0x80..=0xFD => Some((u32::from(byte) - 0x7F) * 60),
        _ => None,
    }
}

/// The optional v2+ tail of a Report: target value and duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// Where the level is heading.
    pub target: u8,
    /// How long until it gets there (duration byte).
    pub duration: u8,
}

fn read_transition(r: &mut Reader<'_>) -> Result<Option<Transition>> {
    if r.is_empty() {
        return Ok(None);
    }
    Ok(Some(Transition {
        target: r.u8()?,
        duration: r.u8()?,
    }))
}

fn write_transition(out: &mut Vec<u8>, t: &Option<Transition>) {
    if let Some(t) = t {
        out.extend_from_slice(&[t.target, t.duration]);
    }
}

/// Basic CC: the lowest common denominator every device maps to something.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Basic {
    /// 0x01: set the level (0..=99, 0xFF = on / last level).
    Set {
        /// Target level.
        value: u8,
    },
    /// 0x02: ask for a Report.
    Get,
    /// 0x03: the current level, and in v2 the target and remaining duration.
    Report {
        /// Current level (0xFE = unknown).
        current: u8,
        /// v2 tail.
        transition: Option<Transition>,
    },
}

impl CommandSet for Basic {
    const CC: u8 = ids::BASIC;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => Self::Set { value: r.u8()? },
            0x02 => Self::Get,
            0x03 => Self::Report {
                current: r.u8()?,
                transition: read_transition(r)?,
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Set { value } => {
                out.push(*value);
                0x01
            }
            Self::Get => 0x02,
            Self::Report {
                current,
                transition,
            } => {
                out.push(*current);
                write_transition(out, transition);
                0x03
            }
        })
    }
}

/// Binary Switch CC: on/off actuators (0x00 off, 0xFF on).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BinarySwitch {
    /// 0x01: switch, in v2 over a duration.
    Set {
        /// 0x00 or 0xFF.
        value: u8,
        /// v2 duration byte.
        duration: Option<u8>,
    },
    /// 0x02: ask for a Report.
    Get,
    /// 0x03: current state, v2 target and duration.
    Report {
        /// 0x00, 0xFF, or 0xFE unknown.
        current: u8,
        /// v2 tail.
        transition: Option<Transition>,
    },
}

impl CommandSet for BinarySwitch {
    const CC: u8 = ids::BINARY_SWITCH;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => Self::Set {
                value: r.u8()?,
                duration: r.opt_u8()?,
            },
            0x02 => Self::Get,
            0x03 => Self::Report {
                current: r.u8()?,
                transition: read_transition(r)?,
            },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Set { value, duration } => {
                out.push(*value);
                out.extend(duration);
                0x01
            }
            Self::Get => 0x02,
            Self::Report {
                current,
                transition,
            } => {
                out.push(*current);
                write_transition(out, transition);
                0x03
            }
        })
    }
}

/// Multilevel Switch CC: dimmers, blinds, fans.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MultilevelSwitch {
    /// 0x01: go to a level, in v2+ over a duration.
    Set {
        /// 0..=99 or 0xFF (last level).
        value: u8,
        /// v2+ duration byte.
        duration: Option<u8>,
    },
    /// 0x02: ask for a Report.
    Get,
    /// 0x03: current level; v4 adds target and duration.
    Report {
        /// Current level.
        current: u8,
        /// v4 tail.
        transition: Option<Transition>,
    },
    /// 0x04: start moving up or down until Stop.
    StartLevelChange {
        /// Bit 6 down (bits 6–7 = 0b11 "none" in v3), bit 5 ignore start level, bits 3–4 the
        /// v3 secondary switch direction; kept whole so reserved bits round-trip.
        flags: u8,
        /// Level to start from (ignored if bit 5 is set).
        start_level: u8,
        /// v2+ duration byte (time for a full 0→99 sweep).
        duration: Option<u8>,
        /// v3 secondary switch step size (only after a duration).
        step_size: Option<u8>,
    },
    /// 0x05: stop a level change.
    StopLevelChange,
    /// 0x06: ask which kind of switch this is.
    SupportedGet,
    /// 0x07: primary and secondary switch types (low 5 bits each).
    SupportedReport {
        /// Primary switch type.
        primary: u8,
        /// Secondary switch type.
        secondary: u8,
    },
}

impl MultilevelSwitch {
    /// Direction bits of a StartLevelChange: true when moving down.
    pub fn start_flags(down: bool, ignore_start_level: bool) -> u8 {
        (u8::from(down) << 6) | (u8::from(ignore_start_level) << 5)
    }
}

impl CommandSet for MultilevelSwitch {
    const CC: u8 = ids::MULTILEVEL_SWITCH;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => Self::Set {
                value: r.u8()?,
                duration: r.opt_u8()?,
            },
            0x02 => Self::Get,
            0x03 => Self::Report {
                current: r.u8()?,
                transition: read_transition(r)?,
            },
            0x04 => {
                let flags = r.u8()?;
                let start_level = r.u8()?;
                let duration = r.opt_u8()?;
                let step_size = if duration.is_some() {
                    r.opt_u8()?
                } else {
                    None
                };
                Self::StartLevelChange {
                    flags,
                    start_level,
                    duration,
                    step_size,
                }
            }
            0x05 => Self::StopLevelChange,
            0x06 => Self::SupportedGet,
            0x07 => {
                let primary = r.u8()?;
                let secondary = r.u8()?;
                if primary > 0x1F || secondary > 0x1F {
                    return Err(r.invalid("reserved bits set in switch type"));
                }
                Self::SupportedReport { primary, secondary }
            }
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::Set { value, duration } => {
                out.push(*value);
                out.extend(duration);
                0x01
            }
            Self::Get => 0x02,
            Self::Report {
                current,
                transition,
            } => {
                out.push(*current);
                write_transition(out, transition);
                0x03
            }
            Self::StartLevelChange {
                flags,
                start_level,
                duration,
                step_size,
            } => {
                out.extend_from_slice(&[*flags, *start_level]);
                if let Some(d) = duration {
                    out.push(*d);
                    out.extend(step_size);
                } else if step_size.is_some() {
                    return Err(super::Error::Unencodable("step size without duration"));
                }
                0x04
            }
            Self::StopLevelChange => 0x05,
            Self::SupportedGet => 0x06,
            Self::SupportedReport { primary, secondary } => {
                out.extend_from_slice(&[*primary, *secondary]);
                0x07
            }
        })
    }
}

/// Color Switch CC: colour components (0 warm white, 1 cold white, 2 red, 3 green, 4 blue,
/// 5 amber, 6 cyan, 7 purple, 8 index).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColorSwitch {
    /// 0x01: ask which components the device has.
    SupportedGet,
    /// 0x02: bit mask of supported component ids (2 bytes, LSB first).
    SupportedReport {
        /// Bit n set = component n supported.
        mask: u16,
    },
    /// 0x03: ask for one component.
    Get {
        /// Component id.
        component: u8,
    },
    /// 0x04: one component's value; v3 adds target and duration.
    Report {
        /// Component id.
        component: u8,
        /// Current value 0..=255.
        current: u8,
        /// v3 tail.
        transition: Option<Transition>,
    },
    /// 0x05: set several components at once; v2 adds a duration.
    Set {
        /// (component id, value) pairs, at most 31.
        components: Vec<(u8, u8)>,
        /// v2 duration byte.
        duration: Option<u8>,
    },
    /// 0x06: start changing one component.
    StartLevelChange {
        /// Bit 6 down, bit 5 ignore start level (others reserved, kept).
        flags: u8,
        /// Component id.
        component: u8,
        /// Start level.
        start_level: u8,
        /// v3 duration byte.
        duration: Option<u8>,
    },
    /// 0x07: stop changing one component.
    StopLevelChange {
        /// Component id.
        component: u8,
    },
}

impl CommandSet for ColorSwitch {
    const CC: u8 = ids::COLOR_SWITCH;
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>> {
        Ok(Some(match command {
            0x01 => Self::SupportedGet,
            0x02 => Self::SupportedReport {
                mask: u16::from_le_bytes(r.array()?),
            },
            0x03 => Self::Get { component: r.u8()? },
            0x04 => Self::Report {
                component: r.u8()?,
                current: r.u8()?,
                transition: read_transition(r)?,
            },
            0x05 => {
                let count = r.u8()?;
                if count > 0x1F {
                    return Err(r.invalid("reserved bits set in component count"));
                }
                let mut components = Vec::with_capacity(usize::from(count));
                for _ in 0..count {
                    components.push((r.u8()?, r.u8()?));
                }
                Self::Set {
                    components,
                    duration: r.opt_u8()?,
                }
            }
            0x06 => Self::StartLevelChange {
                flags: r.u8()?,
                component: r.u8()?,
                start_level: r.u8()?,
                duration: r.opt_u8()?,
            },
            0x07 => Self::StopLevelChange { component: r.u8()? },
            _ => return Ok(None),
        }))
    }
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8> {
        Ok(match self {
            Self::SupportedGet => 0x01,
            Self::SupportedReport { mask } => {
                out.extend_from_slice(&mask.to_le_bytes());
                0x02
            }
            Self::Get { component } => {
                out.push(*component);
                0x03
            }
            Self::Report {
                component,
                current,
                transition,
            } => {
                out.extend_from_slice(&[*component, *current]);
                write_transition(out, transition);
                0x04
            }
            Self::Set {
                components,
                duration,
            } => {
                let count = count_u8(components.len(), "more than 31 colour components")?;
                if count > 0x1F {
                    return Err(super::Error::Unencodable("more than 31 colour components"));
                }
                out.push(count);
                for (c, v) in components {
                    out.extend_from_slice(&[*c, *v]);
                }
                out.extend(duration);
                0x05
            }
            Self::StartLevelChange {
                flags,
                component,
                start_level,
                duration,
            } => {
                out.extend_from_slice(&[*flags, *component, *start_level]);
                out.extend(duration);
                0x06
            }
            Self::StopLevelChange { component } => {
                out.push(*component);
                0x07
            }
        })
    }
}
