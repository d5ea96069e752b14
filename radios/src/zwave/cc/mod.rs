//! Stage two of a command class frame: the bytes a node sends or receives inside SendData and
//! ApplicationCommandHandler (`[cc id, command id, parameters…]`), decoded into one enum
//! variant per command. Sits between [`super::serial::messages`] (which carries these bytes
//! opaquely) and the application, and inside the S0/S2 and Multi Channel / Supervision
//! encapsulations.
//!
//! Rules every class follows:
//! - [`CommandClassFrame::decode`] matches on (CC id, command id); a CC or command we do not
//!   know is kept raw in [`CommandClassFrame::Unknown`] (not an error, nodes send many).
//! - A known command that is truncated, has bytes after its last field, or has a field outside
//!   its range is an [`Error`]. Optional version-dependent tails (v2 target/duration etc.) are
//!   `Option`s and present only when the node sent them.
//! - [`CommandClassFrame::encode`] mirrors decode exactly: `encode(decode(b)) == b`.
//!
//! Encode and decode are written by hand over a small cursor ([`Reader`]) rather than with
//! deku: most payloads are bit-packed bytes followed by optional, version-dependent tails whose
//! presence depends on earlier fields, which reads more plainly as one mirrored pair per
//! command than as deku attribute expressions.

pub mod lock;
pub mod management;
pub mod sensor;
pub mod switch;
pub mod thermostat;
pub mod value;

pub use lock::{DoorLock, UserCode};
pub use management::{
    Association, Configuration, ManufacturerSpecific, MultiChannel, Supervision, Version, WakeUp,
    ZWavePlusInfo,
};
pub use sensor::{Battery, Meter, MultilevelSensor, Notification};
pub use switch::{Basic, BinarySwitch, ColorSwitch, MultilevelSwitch};
pub use thermostat::{ThermostatMode, ThermostatOperatingState, ThermostatSetpoint};
pub use value::ScaledValue;

/// Why a command class payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer than two bytes: no CC id and command id.
    #[error("command class frame shorter than its CC and command ids")]
    Empty,
    /// A known command ended before its last mandatory field.
    #[error("CC 0x{cc:02x} command 0x{command:02x} is truncated")]
    Truncated {
        /// Command class id.
        cc: u8,
        /// Command id.
        command: u8,
    },
    /// Bytes left after the last field of a known command.
    #[error("CC 0x{cc:02x} command 0x{command:02x} has {extra} trailing bytes")]
    TrailingBytes {
        /// Command class id.
        cc: u8,
        /// Command id.
        command: u8,
        /// How many.
        extra: usize,
    },
    /// A field outside its allowed range (or reserved bits set).
    #[error("CC 0x{cc:02x} command 0x{command:02x}: {reason}")]
    Invalid {
        /// Command class id.
        cc: u8,
        /// Command id.
        command: u8,
        /// Which rule was broken.
        reason: &'static str,
    },
    /// A value that cannot be put on the wire (a list longer than its count field allows…).
    #[error("cannot encode: {0}")]
    Unencodable(&'static str),
    /// Encapsulations nested deeper than [`MAX_NESTING`].
    #[error("encapsulation nested too deeply")]
    TooDeep,
}

/// Result of this layer.
pub type Result<T> = core::result::Result<T, Error>;

/// Deepest nesting of Multi Channel / Supervision encapsulations decoded (real frames use 2).
pub const MAX_NESTING: usize = 4;

/// A cursor over one command's parameters that turns every short read into
/// [`Error::Truncated`] and checks at the end that nothing is left.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    cc: u8,
    command: u8,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the parameters of command `command` of class `cc`.
    pub fn new(cc: u8, command: u8, buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            cc,
            command,
            depth: 0,
        }
    }

    fn truncated(&self) -> Error {
        Error::Truncated {
            cc: self.cc,
            command: self.command,
        }
    }

    /// An [`Error::Invalid`] for this command.
    pub fn invalid(&self, reason: &'static str) -> Error {
        Error::Invalid {
            cc: self.cc,
            command: self.command,
            reason,
        }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.truncated())?;
        let out = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.truncated())?;
        self.pos = end;
        Ok(out)
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8> {
        let b = self.bytes(1)?;
        b.first().copied().ok_or_else(|| self.truncated())
    }

    /// The next big-endian u16.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// The next big-endian 24-bit value.
    pub fn u24(&mut self) -> Result<u32> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let b = self.bytes(N)?;
        <[u8; N]>::try_from(b).map_err(|_| self.truncated())
    }

    /// The next byte if any is left (for optional version-dependent tails).
    pub fn opt_u8(&mut self) -> Result<Option<u8>> {
        if self.is_empty() {
            Ok(None)
        } else {
            self.u8().map(Some)
        }
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        out
    }

    /// Decodes the rest as an encapsulated command class frame.
    pub fn nested(&mut self) -> Result<Box<CommandClassFrame>> {
        if self.depth >= MAX_NESTING {
            return Err(Error::TooDeep);
        }
        let rest = self.rest();
        CommandClassFrame::decode_at(rest, self.depth + 1).map(Box::new)
    }

    /// Refuses leftover bytes.
    pub fn finish(self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(Error::TrailingBytes {
                cc: self.cc,
                command: self.command,
                extra,
            }),
        }
    }
}

/// A one-byte count for a list, refusing lists that do not fit.
pub(crate) fn count_u8(len: usize, what: &'static str) -> Result<u8> {
    u8::try_from(len).map_err(|_| Error::Unencodable(what))
}

/// Writes the low 24 bits of `v` big-endian.
pub(crate) fn put_u24(out: &mut Vec<u8>, v: u32) -> Result<()> {
    if v > 0x00FF_FFFF {
        return Err(Error::Unencodable("24-bit field over 0xFFFFFF"));
    }
    out.extend_from_slice(&v.to_be_bytes()[1..]);
    Ok(())
}

/// One command class's commands: decode by command id (`None` for a command id it does not
/// know), encode back to (command id, parameters).
pub trait CommandSet: Sized {
    /// The command class id.
    const CC: u8;
    /// Decodes the parameters of `command`; `Ok(None)` if the command id is not one we know.
    fn decode(command: u8, r: &mut Reader<'_>) -> Result<Option<Self>>;
    /// The command id, with the parameters appended to `out`.
    fn encode(&self, out: &mut Vec<u8>) -> Result<u8>;
}

/// Command class ids this layer decodes.
pub mod ids {
    /// Basic.
    pub const BASIC: u8 = 0x20;
    /// Binary Switch.
    pub const BINARY_SWITCH: u8 = 0x25;
    /// Multilevel Switch.
    pub const MULTILEVEL_SWITCH: u8 = 0x26;
    /// Multilevel Sensor.
    pub const MULTILEVEL_SENSOR: u8 = 0x31;
    /// Meter.
    pub const METER: u8 = 0x32;
    /// Color Switch.
    pub const COLOR_SWITCH: u8 = 0x33;
    /// Thermostat Mode.
    pub const THERMOSTAT_MODE: u8 = 0x40;
    /// Thermostat Operating State.
    pub const THERMOSTAT_OPERATING_STATE: u8 = 0x42;
    /// Thermostat Setpoint.
    pub const THERMOSTAT_SETPOINT: u8 = 0x43;
    /// Z-Wave Plus Info.
    pub const ZWAVE_PLUS_INFO: u8 = 0x5E;
    /// Multi Channel.
    pub const MULTI_CHANNEL: u8 = 0x60;
    /// Door Lock.
    pub const DOOR_LOCK: u8 = 0x62;
    /// User Code.
    pub const USER_CODE: u8 = 0x63;
    /// Supervision.
    pub const SUPERVISION: u8 = 0x6C;
    /// Configuration.
    pub const CONFIGURATION: u8 = 0x70;
    /// Notification (Alarm in v1/v2).
    pub const NOTIFICATION: u8 = 0x71;
    /// Manufacturer Specific.
    pub const MANUFACTURER_SPECIFIC: u8 = 0x72;
    /// Battery.
    pub const BATTERY: u8 = 0x80;
    /// Wake Up.
    pub const WAKE_UP: u8 = 0x84;
    /// Association.
    pub const ASSOCIATION: u8 = 0x85;
    /// Version.
    pub const VERSION: u8 = 0x86;
    /// Security (S0).
    pub const SECURITY: u8 = 0x98;
    /// Security 2.
    pub const SECURITY_2: u8 = 0x9F;
}

/// A decoded command class frame: one variant per command class, each an enum with one variant
/// per command, or the raw bytes of one we do not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandClassFrame {
    /// Basic (0x20).
    Basic(Basic),
    /// Binary Switch (0x25).
    BinarySwitch(BinarySwitch),
    /// Multilevel Switch (0x26).
    MultilevelSwitch(MultilevelSwitch),
    /// Color Switch (0x33).
    ColorSwitch(ColorSwitch),
    /// Door Lock (0x62).
    DoorLock(DoorLock),
    /// User Code (0x63).
    UserCode(UserCode),
    /// Thermostat Mode (0x40).
    ThermostatMode(ThermostatMode),
    /// Thermostat Setpoint (0x43).
    ThermostatSetpoint(ThermostatSetpoint),
    /// Thermostat Operating State (0x42).
    ThermostatOperatingState(ThermostatOperatingState),
    /// Multilevel Sensor (0x31).
    MultilevelSensor(MultilevelSensor),
    /// Meter (0x32).
    Meter(Meter),
    /// Notification (0x71).
    Notification(Notification),
    /// Battery (0x80).
    Battery(Battery),
    /// Wake Up (0x84).
    WakeUp(WakeUp),
    /// Supervision (0x6C).
    Supervision(Supervision),
    /// Multi Channel (0x60).
    MultiChannel(MultiChannel),
    /// Configuration (0x70).
    Configuration(Configuration),
    /// Association (0x85).
    Association(Association),
    /// Version (0x86).
    Version(Version),
    /// Manufacturer Specific (0x72).
    ManufacturerSpecific(ManufacturerSpecific),
    /// Z-Wave Plus Info (0x5E).
    ZWavePlusInfo(ZWavePlusInfo),
    /// A class or command this layer does not decode (including S0/S2, which
    /// [`super::s2`] handles), kept as sent.
    Unknown {
        /// Command class id.
        cc: u8,
        /// Command id.
        command: u8,
        /// The parameters.
        payload: Vec<u8>,
    },
}

fn dec<T: CommandSet>(
    command: u8,
    r: &mut Reader<'_>,
    wrap: fn(T) -> CommandClassFrame,
) -> Result<Option<CommandClassFrame>> {
    Ok(T::decode(command, r)?.map(wrap))
}

impl CommandClassFrame {
    /// Decodes `[cc, command, parameters…]`.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        Self::decode_at(bytes, 0)
    }

    fn decode_at(bytes: &[u8], depth: usize) -> Result<Self> {
        let (&cc, rest) = bytes.split_first().ok_or(Error::Empty)?;
        let (&command, params) = rest.split_first().ok_or(Error::Empty)?;
        let mut r = Reader::new(cc, command, params);
        r.depth = depth;
        let decoded = match cc {
            ids::BASIC => dec(command, &mut r, Self::Basic)?,
            ids::BINARY_SWITCH => dec(command, &mut r, Self::BinarySwitch)?,
            ids::MULTILEVEL_SWITCH => dec(command, &mut r, Self::MultilevelSwitch)?,
            ids::COLOR_SWITCH => dec(command, &mut r, Self::ColorSwitch)?,
            ids::DOOR_LOCK => dec(command, &mut r, Self::DoorLock)?,
            ids::USER_CODE => dec(command, &mut r, Self::UserCode)?,
            ids::THERMOSTAT_MODE => dec(command, &mut r, Self::ThermostatMode)?,
            ids::THERMOSTAT_SETPOINT => dec(command, &mut r, Self::ThermostatSetpoint)?,
            ids::THERMOSTAT_OPERATING_STATE => {
                dec(command, &mut r, Self::ThermostatOperatingState)?
            }
            ids::MULTILEVEL_SENSOR => dec(command, &mut r, Self::MultilevelSensor)?,
            ids::METER => dec(command, &mut r, Self::Meter)?,
            ids::NOTIFICATION => dec(command, &mut r, Self::Notification)?,
            ids::BATTERY => dec(command, &mut r, Self::Battery)?,
            ids::WAKE_UP => dec(command, &mut r, Self::WakeUp)?,
            ids::SUPERVISION => dec(command, &mut r, Self::Supervision)?,
            ids::MULTI_CHANNEL => dec(command, &mut r, Self::MultiChannel)?,
            ids::CONFIGURATION => dec(command, &mut r, Self::Configuration)?,
            ids::ASSOCIATION => dec(command, &mut r, Self::Association)?,
            ids::VERSION => dec(command, &mut r, Self::Version)?,
            ids::MANUFACTURER_SPECIFIC => dec(command, &mut r, Self::ManufacturerSpecific)?,
            ids::ZWAVE_PLUS_INFO => dec(command, &mut r, Self::ZWavePlusInfo)?,
            _ => None,
        };
        match decoded {
            Some(frame) => {
                r.finish()?;
                Ok(frame)
            }
            None => Ok(Self::Unknown {
                cc,
                command,
                payload: params.to_vec(),
            }),
        }
    }

    /// Whether this is a command that changes state and expects no report back (a Set, a
    /// level change, a reset): the commands a host sends under Supervision Get so the node
    /// confirms it applied them.
    pub fn is_set(&self) -> bool {
        match self {
            Self::Basic(c) => matches!(c, Basic::Set { .. }),
            Self::BinarySwitch(c) => matches!(c, BinarySwitch::Set { .. }),
            Self::MultilevelSwitch(c) => matches!(
                c,
                MultilevelSwitch::Set { .. }
                    | MultilevelSwitch::StartLevelChange { .. }
                    | MultilevelSwitch::StopLevelChange
            ),
            Self::ColorSwitch(c) => matches!(
                c,
                ColorSwitch::Set { .. }
                    | ColorSwitch::StartLevelChange { .. }
                    | ColorSwitch::StopLevelChange { .. }
            ),
            Self::DoorLock(c) => matches!(
                c,
                DoorLock::OperationSet { .. } | DoorLock::ConfigurationSet(_)
            ),
            Self::UserCode(c) => matches!(c, UserCode::Set { .. }),
            Self::ThermostatMode(c) => matches!(c, ThermostatMode::Set { .. }),
            Self::ThermostatSetpoint(c) => matches!(c, ThermostatSetpoint::Set { .. }),
            Self::Meter(c) => matches!(c, Meter::Reset { .. }),
            Self::Notification(c) => matches!(c, Notification::Set { .. }),
            Self::WakeUp(c) => matches!(c, WakeUp::IntervalSet { .. }),
            Self::Configuration(c) => matches!(c, Configuration::Set { .. }),
            Self::Association(c) => {
                matches!(c, Association::Set { .. } | Association::Remove { .. })
            }
            Self::MultiChannel(MultiChannel::CommandEncapsulation { command, .. }) => {
                command.is_set()
            }
            _ => false,
        }
    }

    /// Whether the node answers this command with a report (a Get, or a Supervision Get,
    /// answered with a Supervision Report): under S2 both answer and the next frame to the
    /// node draw on the same SPAN, so the security layer lets the answer come before it sends
    /// the node anything else.
    pub fn expects_report(&self) -> bool {
        match self {
            Self::Basic(c) => matches!(c, Basic::Get),
            Self::BinarySwitch(c) => matches!(c, BinarySwitch::Get),
            Self::MultilevelSwitch(c) => {
                matches!(c, MultilevelSwitch::Get | MultilevelSwitch::SupportedGet)
            }
            Self::ColorSwitch(c) => {
                matches!(c, ColorSwitch::Get { .. } | ColorSwitch::SupportedGet)
            }
            Self::DoorLock(c) => matches!(c, DoorLock::OperationGet | DoorLock::ConfigurationGet),
            Self::UserCode(c) => {
                matches!(c, UserCode::Get { .. } | UserCode::UsersNumberGet)
            }
            Self::ThermostatMode(c) => {
                matches!(c, ThermostatMode::Get | ThermostatMode::SupportedGet)
            }
            Self::ThermostatSetpoint(c) => matches!(
                c,
                ThermostatSetpoint::Get { .. } | ThermostatSetpoint::SupportedGet
            ),
            Self::ThermostatOperatingState(c) => {
                matches!(c, ThermostatOperatingState::Get)
            }
            Self::MultilevelSensor(c) => matches!(
                c,
                MultilevelSensor::Get { .. }
                    | MultilevelSensor::SupportedSensorGet
                    | MultilevelSensor::SupportedScaleGet { .. }
            ),
            Self::Meter(c) => matches!(c, Meter::Get { .. } | Meter::SupportedGet),
            Self::Notification(c) => {
                matches!(c, Notification::Get { .. } | Notification::SupportedGet)
            }
            Self::Battery(c) => matches!(c, Battery::Get),
            Self::WakeUp(c) => matches!(c, WakeUp::IntervalGet | WakeUp::IntervalCapabilitiesGet),
            Self::Supervision(c) => matches!(c, Supervision::Get { .. }),
            Self::MultiChannel(MultiChannel::CommandEncapsulation { command, .. }) => {
                command.expects_report()
            }
            Self::MultiChannel(c) => matches!(
                c,
                MultiChannel::EndPointGet | MultiChannel::CapabilityGet { .. }
            ),
            Self::Configuration(c) => matches!(c, Configuration::Get { .. }),
            Self::Association(c) => {
                matches!(c, Association::Get { .. } | Association::GroupingsGet)
            }
            Self::Version(c) => matches!(c, Version::Get | Version::CommandClassGet { .. }),
            Self::ManufacturerSpecific(c) => matches!(c, ManufacturerSpecific::Get),
            Self::ZWavePlusInfo(c) => matches!(c, ZWavePlusInfo::Get),
            _ => false,
        }
    }

    /// Encodes back to `[cc, command, parameters…]`, the mirror of [`Self::decode`].
    pub fn encode(&self) -> Result<Vec<u8>> {
        fn enc<T: CommandSet>(t: &T) -> Result<Vec<u8>> {
            let mut params = Vec::new();
            let command = t.encode(&mut params)?;
            let mut out = Vec::with_capacity(params.len() + 2);
            out.push(T::CC);
            out.push(command);
            out.extend_from_slice(&params);
            Ok(out)
        }
        match self {
            Self::Basic(c) => enc(c),
            Self::BinarySwitch(c) => enc(c),
            Self::MultilevelSwitch(c) => enc(c),
            Self::ColorSwitch(c) => enc(c),
            Self::DoorLock(c) => enc(c),
            Self::UserCode(c) => enc(c),
            Self::ThermostatMode(c) => enc(c),
            Self::ThermostatSetpoint(c) => enc(c),
            Self::ThermostatOperatingState(c) => enc(c),
            Self::MultilevelSensor(c) => enc(c),
            Self::Meter(c) => enc(c),
            Self::Notification(c) => enc(c),
            Self::Battery(c) => enc(c),
            Self::WakeUp(c) => enc(c),
            Self::Supervision(c) => enc(c),
            Self::MultiChannel(c) => enc(c),
            Self::Configuration(c) => enc(c),
            Self::Association(c) => enc(c),
            Self::Version(c) => enc(c),
            Self::ManufacturerSpecific(c) => enc(c),
            Self::ZWavePlusInfo(c) => enc(c),
            Self::Unknown {
                cc,
                command,
                payload,
            } => {
                let mut out = vec![*cc, *command];
                out.extend_from_slice(payload);
                Ok(out)
            }
        }
    }
}
