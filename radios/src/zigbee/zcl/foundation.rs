//! Foundation ("global") commands (ZCL spec §2.5): reading, writing and reporting attributes,
//! Default Response and attribute discovery. They are the same for every cluster, so sealhub
//! decodes them here once, by command ID, with a `match` ([`GeneralCommand::decode`]).
//!
//! Written with a small cursor instead of deku structs: every record's layout depends on a value
//! read before it (the data type ID decides the value's length, the status decides whether a
//! value follows, the direction decides which fields follow), which deku expresses only through
//! context plumbing that obscures the layout more than these few lines do.

use super::types::{Cursor, DataType, Value, read_typed, write_typed};
use super::{Error, Result};

/// A ZCL status byte (ZCL spec §2.6.3). Kept as a number: manufacturers add their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Status(pub u8);

#[allow(missing_docs)]
impl Status {
    pub const SUCCESS: Self = Self(0x00);
    pub const FAILURE: Self = Self(0x01);
    pub const NOT_AUTHORIZED: Self = Self(0x7E);
    pub const MALFORMED_COMMAND: Self = Self(0x80);
    pub const UNSUP_COMMAND: Self = Self(0x81);
    pub const UNSUP_GENERAL_COMMAND: Self = Self(0x82);
    pub const UNSUP_MANUF_CLUSTER_COMMAND: Self = Self(0x83);
    pub const UNSUP_MANUF_GENERAL_COMMAND: Self = Self(0x84);
    pub const INVALID_FIELD: Self = Self(0x85);
    pub const UNSUPPORTED_ATTRIBUTE: Self = Self(0x86);
    pub const INVALID_VALUE: Self = Self(0x87);
    pub const READ_ONLY: Self = Self(0x88);
    pub const INSUFFICIENT_SPACE: Self = Self(0x89);
    pub const NOT_FOUND: Self = Self(0x8B);
    pub const UNREPORTABLE_ATTRIBUTE: Self = Self(0x8C);
    pub const INVALID_DATA_TYPE: Self = Self(0x8D);
    pub const INVALID_SELECTOR: Self = Self(0x8E);
    pub const TIMEOUT: Self = Self(0x94);
    pub const ABORT: Self = Self(0x95);
    pub const UNSUPPORTED_CLUSTER: Self = Self(0xC3);

    /// Whether this is SUCCESS.
    pub fn is_success(self) -> bool {
        self == Self::SUCCESS
    }
}

/// An attribute ID and a typed value: a Write Attributes or Report Attributes record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeValue {
    /// Attribute ID.
    pub id: u16,
    /// Its value (the type ID travels with it).
    pub value: Value,
}

/// One Read Attributes Response record: the value, or the status saying why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadAttributeRecord {
    /// Attribute ID.
    pub id: u16,
    /// `Ok(value)` for status SUCCESS, `Err(status)` otherwise.
    pub result: core::result::Result<Value, Status>,
}

/// Read Attributes (0x00).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ReadAttributes {
    /// Attribute IDs to read.
    pub attributes: Vec<u16>,
}

/// Read Attributes Response (0x01).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ReadAttributesResponse {
    /// One record per attribute asked for.
    pub records: Vec<ReadAttributeRecord>,
}

/// Write Attributes (0x02), Write Attributes Undivided (0x03) and Write Attributes No Response
/// (0x05) share this payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct WriteAttributes {
    /// Attributes and the values to write.
    pub records: Vec<AttributeValue>,
}

/// A failed write: status and attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WriteAttributeStatus {
    /// Why it failed.
    pub status: Status,
    /// Which attribute.
    pub id: u16,
}

/// Write Attributes Response (0x04): a single SUCCESS byte when every write succeeded,
/// otherwise one record per failed attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WriteAttributesResponse {
    /// Everything was written (the payload is the single byte `00`).
    AllSuccess,
    /// The failures (status never SUCCESS).
    Failures(Vec<WriteAttributeStatus>),
}

/// One attribute reporting configuration (Configure Reporting record; ZCL §2.5.7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReportingConfiguration {
    /// Direction 0x00: how the device should send reports of its attribute.
    Send {
        /// Attribute ID.
        id: u16,
        /// The attribute's type.
        data_type: DataType,
        /// Minimum seconds between reports.
        min_interval: u16,
        /// Maximum seconds between reports (0xFFFF: never periodic, 0 with min 0xFFFF: stop).
        max_interval: u16,
        /// Change that triggers a report; present exactly for analog types, of `data_type`.
        reportable_change: Option<Value>,
    },
    /// Direction 0x01: how long the receiver should expect to wait between reports.
    Receive {
        /// Attribute ID.
        id: u16,
        /// Seconds.
        timeout: u16,
    },
}

impl ReportingConfiguration {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let direction = c.u8()?;
        let id = c.u16()?;
        Self::read_after(direction, id, c)
    }

    fn read_after(direction: u8, id: u16, c: &mut Cursor<'_>) -> Result<Self> {
        match direction {
            0x00 => {
                let data_type = DataType(c.u8()?);
                let min_interval = c.u16()?;
                let max_interval = c.u16()?;
                let reportable_change = if data_type.is_analog() {
                    Some(Value::read(data_type, c)?)
                } else {
                    None
                };
                Ok(Self::Send {
                    id,
                    data_type,
                    min_interval,
                    max_interval,
                    reportable_change,
                })
            }
            0x01 => Ok(Self::Receive {
                id,
                timeout: c.u16()?,
            }),
            other => Err(Error::Invalid(format!("reporting direction {other:#04x}"))),
        }
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Self::Send {
                id,
                data_type,
                min_interval,
                max_interval,
                reportable_change,
            } => {
                out.push(0x00);
                out.extend_from_slice(&id.to_le_bytes());
                out.push(data_type.0);
                out.extend_from_slice(&min_interval.to_le_bytes());
                out.extend_from_slice(&max_interval.to_le_bytes());
                match (data_type.is_analog(), reportable_change) {
                    (true, Some(change)) if change.data_type() == *data_type => change.write(out),
                    (false, None) => Ok(()),
                    _ => Err(Error::Invalid(
                        "reportable change must be present, of the attribute's type, exactly \
                         for analog types"
                            .into(),
                    )),
                }
            }
            Self::Receive { id, timeout } => {
                out.push(0x01);
                out.extend_from_slice(&id.to_le_bytes());
                out.extend_from_slice(&timeout.to_le_bytes());
                Ok(())
            }
        }
    }
}

/// Configure Reporting (0x06).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ConfigureReporting {
    /// One configuration per attribute.
    pub records: Vec<ReportingConfiguration>,
}

/// A Configure Reporting Response record (or a Read Reporting Configuration failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportingStatus {
    /// Outcome.
    pub status: Status,
    /// 0x00 send, 0x01 receive.
    pub direction: u8,
    /// Attribute ID.
    pub id: u16,
}

/// Configure Reporting Response (0x07): a single SUCCESS byte when everything was configured,
/// otherwise records (devices also send SUCCESS records with direction and attribute, as in the
/// zsmartsystems fixture).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConfigureReportingResponse {
    /// The payload is the single byte `00`.
    AllSuccess,
    /// One record per attribute reported on.
    Records(Vec<ReportingStatus>),
}

/// Read Reporting Configuration (0x08): which configurations to read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ReadReportingConfiguration {
    /// (direction, attribute ID) pairs.
    pub records: Vec<(u8, u16)>,
}

/// A Read Reporting Configuration Response record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReportingConfigurationRecord {
    /// Status SUCCESS and the configuration.
    Success(ReportingConfiguration),
    /// Another status, with direction and attribute only.
    Failure(ReportingStatus),
}

/// Read Reporting Configuration Response (0x09).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ReadReportingConfigurationResponse {
    /// One record per configuration asked for.
    pub records: Vec<ReportingConfigurationRecord>,
}

/// Report Attributes (0x0A): the device tells the hub attribute values, unasked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ReportAttributes {
    /// The reported attributes.
    pub reports: Vec<AttributeValue>,
}

/// Default Response (0x0B): the outcome of a command that has no specific response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DefaultResponse {
    /// The command answered.
    pub command_id: u8,
    /// Its outcome.
    pub status: Status,
}

/// Discover Attributes (0x0C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiscoverAttributes {
    /// First attribute ID to list.
    pub start_id: u16,
    /// At most this many.
    pub max_count: u8,
}

/// Discover Attributes Response (0x0D).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DiscoverAttributesResponse {
    /// 1 when no more attributes follow the last listed, 0 otherwise (kept raw).
    pub complete: u8,
    /// Attribute IDs and their types.
    pub attributes: Vec<(u16, DataType)>,
}

/// Declares [`GeneralCommand`]: one variant per foundation command with its command ID.
macro_rules! general_commands {
    ($( $(#[$vm:meta])* $variant:ident($ty:ty) = $id:literal, )*) => {
        /// A foundation command, one variant per command ID.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum GeneralCommand {
            $( $(#[$vm])* $variant($ty), )*
        }

        impl GeneralCommand {
            /// Its command ID.
            pub fn command_id(&self) -> u8 {
                match self {
                    $( Self::$variant(_) => $id, )*
                }
            }

            /// Decodes the payload of foundation command `command_id`; trailing bytes refused.
            pub fn decode(command_id: u8, payload: &[u8]) -> Result<Self> {
                let mut c = Cursor::new(payload);
                let command = match command_id {
                    $( $id => Self::$variant(<$ty as Record>::read(&mut c)?), )*
                    other => return Err(Error::UnknownCommand {
                        cluster: None,
                        command_id: other,
                    }),
                };
                c.finish()?;
                Ok(command)
            }

            /// Encodes the payload.
            pub fn encode(&self) -> Result<Vec<u8>> {
                let mut out = Vec::new();
                match self {
                    $( Self::$variant(p) => p.write(&mut out)?, )*
                }
                Ok(out)
            }
        }
    };
}

general_commands! {
    /// Read Attributes.
    ReadAttributes(ReadAttributes) = 0x00,
    /// Read Attributes Response.
    ReadAttributesResponse(ReadAttributesResponse) = 0x01,
    /// Write Attributes.
    WriteAttributes(WriteAttributes) = 0x02,
    /// Write Attributes Undivided (all or nothing).
    WriteAttributesUndivided(WriteAttributes) = 0x03,
    /// Write Attributes Response.
    WriteAttributesResponse(WriteAttributesResponse) = 0x04,
    /// Write Attributes No Response.
    WriteAttributesNoResponse(WriteAttributes) = 0x05,
    /// Configure Reporting.
    ConfigureReporting(ConfigureReporting) = 0x06,
    /// Configure Reporting Response.
    ConfigureReportingResponse(ConfigureReportingResponse) = 0x07,
    /// Read Reporting Configuration.
    ReadReportingConfiguration(ReadReportingConfiguration) = 0x08,
    /// Read Reporting Configuration Response.
    ReadReportingConfigurationResponse(ReadReportingConfigurationResponse) = 0x09,
    /// Report Attributes.
    ReportAttributes(ReportAttributes) = 0x0A,
    /// Default Response.
    DefaultResponse(DefaultResponse) = 0x0B,
    /// Discover Attributes.
    DiscoverAttributes(DiscoverAttributes) = 0x0C,
    /// Discover Attributes Response.
    DiscoverAttributesResponse(DiscoverAttributesResponse) = 0x0D,
}

/// A foundation payload: read from and written to a cursor.
trait Record: Sized {
    fn read(c: &mut Cursor<'_>) -> Result<Self>;
    fn write(&self, out: &mut Vec<u8>) -> Result<()>;
}

impl Record for ReadAttributes {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let mut attributes = Vec::new();
        while !c.is_empty() {
            attributes.push(c.u16()?);
        }
        Ok(Self { attributes })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        for id in &self.attributes {
            out.extend_from_slice(&id.to_le_bytes());
        }
        Ok(())
    }
}

impl Record for ReadAttributesResponse {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let mut records = Vec::new();
        while !c.is_empty() {
            let id = c.u16()?;
            let status = Status(c.u8()?);
            let result = if status.is_success() {
                Ok(read_typed(c)?)
            } else {
                Err(status)
            };
            records.push(ReadAttributeRecord { id, result });
        }
        Ok(Self { records })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        for record in &self.records {
            out.extend_from_slice(&record.id.to_le_bytes());
            match &record.result {
                Ok(value) => {
                    out.push(Status::SUCCESS.0);
                    write_typed(value, out)?;
                }
                Err(status) if !status.is_success() => out.push(status.0),
                Err(_) => return Err(Error::Invalid("SUCCESS without a value".into())),
            }
        }
        Ok(())
    }
}

fn read_attribute_values(c: &mut Cursor<'_>) -> Result<Vec<AttributeValue>> {
    let mut records = Vec::new();
    while !c.is_empty() {
        let id = c.u16()?;
        records.push(AttributeValue {
            id,
            value: read_typed(c)?,
        });
    }
    Ok(records)
}

fn write_attribute_values(records: &[AttributeValue], out: &mut Vec<u8>) -> Result<()> {
    for record in records {
        out.extend_from_slice(&record.id.to_le_bytes());
        write_typed(&record.value, out)?;
    }
    Ok(())
}

impl Record for WriteAttributes {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(Self {
            records: read_attribute_values(c)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        write_attribute_values(&self.records, out)
    }
}

impl Record for ReportAttributes {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(Self {
            reports: read_attribute_values(c)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        write_attribute_values(&self.reports, out)
    }
}

impl Record for WriteAttributesResponse {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        if c.remaining() == 1 {
            let status = Status(c.u8()?);
            if status.is_success() {
                return Ok(Self::AllSuccess);
            }
            return Err(Error::Truncated);
        }
        let mut failures = Vec::new();
        while !c.is_empty() {
            let status = Status(c.u8()?);
            if status.is_success() {
                return Err(Error::Invalid("SUCCESS record in a write response".into()));
            }
            failures.push(WriteAttributeStatus {
                status,
                id: c.u16()?,
            });
        }
        if failures.is_empty() {
            return Err(Error::Truncated);
        }
        Ok(Self::Failures(failures))
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Self::AllSuccess => out.push(Status::SUCCESS.0),
            Self::Failures(failures) => {
                if failures.is_empty() || failures.iter().any(|f| f.status.is_success()) {
                    return Err(Error::Invalid(
                        "write failures must be non-empty and not SUCCESS".into(),
                    ));
                }
                for f in failures {
                    out.push(f.status.0);
                    out.extend_from_slice(&f.id.to_le_bytes());
                }
            }
        }
        Ok(())
    }
}

impl Record for ConfigureReporting {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let mut records = Vec::new();
        while !c.is_empty() {
            records.push(ReportingConfiguration::read(c)?);
        }
        Ok(Self { records })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        self.records.iter().try_for_each(|r| r.write(out))
    }
}

fn read_reporting_status(c: &mut Cursor<'_>) -> Result<ReportingStatus> {
    Ok(ReportingStatus {
        status: Status(c.u8()?),
        direction: c.u8()?,
        id: c.u16()?,
    })
}

fn write_reporting_status(s: &ReportingStatus, out: &mut Vec<u8>) {
    out.push(s.status.0);
    out.push(s.direction);
    out.extend_from_slice(&s.id.to_le_bytes());
}

impl Record for ConfigureReportingResponse {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        if c.remaining() == 1 {
            return match Status(c.u8()?) {
                Status::SUCCESS => Ok(Self::AllSuccess),
                _ => Err(Error::Truncated),
            };
        }
        let mut records = Vec::new();
        while !c.is_empty() {
            records.push(read_reporting_status(c)?);
        }
        if records.is_empty() {
            return Err(Error::Truncated);
        }
        Ok(Self::Records(records))
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Self::AllSuccess => out.push(Status::SUCCESS.0),
            Self::Records(records) if !records.is_empty() => {
                records.iter().for_each(|r| write_reporting_status(r, out))
            }
            Self::Records(_) => return Err(Error::Invalid("no records".into())),
        }
        Ok(())
    }
}

impl Record for ReadReportingConfiguration {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let mut records = Vec::new();
        while !c.is_empty() {
            records.push((c.u8()?, c.u16()?));
        }
        Ok(Self { records })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        for (direction, id) in &self.records {
            out.push(*direction);
            out.extend_from_slice(&id.to_le_bytes());
        }
        Ok(())
    }
}

impl Record for ReadReportingConfigurationResponse {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let mut records = Vec::new();
        while !c.is_empty() {
            let status = read_reporting_status(c)?;
            records.push(if status.status.is_success() {
                ReportingConfigurationRecord::Success(ReportingConfiguration::read_after(
                    status.direction,
                    status.id,
                    c,
                )?)
            } else {
                ReportingConfigurationRecord::Failure(status)
            });
        }
        Ok(Self { records })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        for record in &self.records {
            match record {
                ReportingConfigurationRecord::Success(config) => {
                    out.push(Status::SUCCESS.0);
                    config.write(out)?;
                }
                ReportingConfigurationRecord::Failure(s) if !s.status.is_success() => {
                    write_reporting_status(s, out)
                }
                ReportingConfigurationRecord::Failure(_) => {
                    return Err(Error::Invalid("failure record with SUCCESS".into()));
                }
            }
        }
        Ok(())
    }
}

impl Record for DefaultResponse {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(Self {
            command_id: c.u8()?,
            status: Status(c.u8()?),
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&[self.command_id, self.status.0]);
        Ok(())
    }
}

impl Record for DiscoverAttributes {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(Self {
            start_id: c.u16()?,
            max_count: c.u8()?,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&self.start_id.to_le_bytes());
        out.push(self.max_count);
        Ok(())
    }
}

impl Record for DiscoverAttributesResponse {
    fn read(c: &mut Cursor<'_>) -> Result<Self> {
        let complete = c.u8()?;
        let mut attributes = Vec::new();
        while !c.is_empty() {
            attributes.push((c.u16()?, DataType(c.u8()?)));
        }
        Ok(Self {
            complete,
            attributes,
        })
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(self.complete);
        for (id, data_type) in &self.attributes {
            out.extend_from_slice(&id.to_le_bytes());
            out.push(data_type.0);
        }
        Ok(())
    }
}
