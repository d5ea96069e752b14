//! The open coordinator backup format (`zigpy/open-coordinator-backup`, version 1): the JSON file
//! in which Zigbee2MQTT (zigbee-herdsman), ZHA (zigpy) and other hubs exchange a Zigbee network's
//! identity and keys, so that a user can move to another hub, or to a new USB stick, without
//! re-pairing every device. sealhub reads and writes the same file; this module is only the file
//! format, with no I/O: [`NetworkBackup::from_json`] checks and decodes it,
//! [`NetworkBackup::to_json`] writes it back. Taking and restoring a backup is done by the
//! driver ([`super::driver::backup`]); what a restore does with each field is below (children are
//! not put back in the child table yet: they find the coordinator again when they next poll or
//! rejoin).
//!
//! # Fields, and what a restore does with them
//!
//! - `metadata` ([`Metadata`]): `format` and `version` are checked, `source` and `internal` kept.
//!   A restore does nothing with them; `internal` belongs to the writer and is written back as
//!   it was.
//! - `stack_specific` (raw JSON, [`OpaqueJson`]): kept as read, so that other stacks' secrets
//!   (Z-Stack's `zstack.tclk_seed`) survive a re-export to their hub. One entry is EmberZNet's
//!   own and is used: `ezsp.hashed_tclk` ([`NetworkBackup::ezsp_hashed_tclk`]), the trust
//!   centre's root link key. An EmberZNet trust centre that uses hashed link keys derives each
//!   device's unique TC link key from this root and the device's EUI-64, so a restore that
//!   forms the network with the same root lets every device that joined before keep talking to
//!   the trust centre (zigbee-herdsman's ember adapter writes it on backup, from
//!   `exportKey(TC_LINK)`, and gives it to `setInitialSecurityState` as the preconfigured key
//!   with `TRUST_CENTER_USES_HASHED_LINK_KEY` on restore). It is checked on reading (32 hex
//!   digits) like the other keys. sealhub adds `ezsp.aps_frame_counter`
//!   ([`NetworkBackup::ezsp_aps_frame_counter`]), the stick's outgoing APS frame counter (the
//!   one it secures frames under the trust centre link key with), so a restore starts past it
//!   as it does for the NWK counter; other stacks ignore it.
//! - `coordinator_ieee` ([`Eui64`]): given to the new stick as its EUI-64 where the stick allows
//!   it, so bindings and devices' trust-centre address stay valid.
//! - `pan_id`, `extended_pan_id`, `channel`, `nwk_update_id`: the network is formed again with
//!   exactly these parameters.
//! - `channel_mask`: the channels the network may move to.
//! - `security_level` (0..=7): checked to be 5 (ENC-MIC-32, the only level Zigbee 3.0 uses).
//! - `network_key` ([`NetworkKey`]): key and sequence number installed; the frame counter is
//!   restored with a margin added, so devices do not drop the new stick's frames as replays.
//! - `devices` ([`BackupDevice`]): link keys and their counters imported into the stick's key
//!   table; children (`is_child`, true when absent) with a known network address put back in its
//!   child table, so sleeping end devices are recognised when they poll.
//!
//! # Encoding
//!
//! Byte strings are written as hex (case-insensitive on reading, lowercase on writing), most
//! significant byte first. EUI-64s and the extended PAN ID are therefore reversed here: in this
//! module they are in EZSP byte order (least significant byte first, as [`Eui64`] and
//! [`NetworkParameters::extended_pan_id`](super::ezsp::types::NetworkParameters) are), so
//! `"00124b0009d80ba7"` is `[0xa7, 0x0b, 0xd8, 0x09, 0x00, 0x4b, 0x12, 0x00]`. The 16-bit PAN ID
//! and network addresses become plain `u16`s (`"cd0a"` is `0xCD0A`). Keys are not reversed: the
//! hex is the key's bytes in order, as EZSP carries them.
//!
//! # Validation
//!
//! The schema's required fields must be present and every field it describes must have its type
//! and range; each refusal is an [`Error`] naming the field by its path
//! (`devices[3].link_key.key`).
//! Two places are stricter than the schema's letter, following its README: the hex patterns in
//! the schema are not anchored, so `"[a-fA-F0-9]{16}"` would match a longer string, whereas here
//! a hex field must have exactly its length; and a device's `link_key.key` is 128 bits (32 hex
//! digits), although the schema's pattern says 16 digits. `metadata.format` is optional in the
//! schema; when present it must be `zigpy/open-coordinator-backup`, and it is always written.
//! Keys that the schema does not describe are ignored and not written back.
//!
//! # Secrets
//!
//! [`Key16`] is zeroized on drop and never printed; [`OpaqueJson`] (where other stacks keep their
//! secrets) prints only its top-level key names and wipes its strings on drop. The parsed JSON
//! tree is wiped after decoding, and [`NetworkBackup::to_json`] returns a [`Zeroizing`] string.
//! The caller's input string is the caller's to wipe.

use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::ezsp::types::Eui64;

/// `metadata.format` of every backup in this format.
pub const FORMAT: &str = "zigpy/open-coordinator-backup";
/// The only `metadata.version` this module reads and writes.
pub const VERSION: u64 = 1;

/// Why a backup file was refused. `field` is the path of the offending field, such as
/// `network_key.frame_counter` or `devices[2].ieee_address`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON at all (serde_json's message, with line and column).
    #[error("backup is not valid JSON: {0}")]
    Json(String),
    /// A field the schema requires is absent.
    #[error("backup field `{field}` is missing")]
    Missing {
        /// Path of the missing field.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("backup field `{field}` must be {expected}")]
    Type {
        /// Path of the field.
        field: String,
        /// What the schema asks for ("an integer", "a string or null", ...).
        expected: &'static str,
    },
    /// An integer outside the range the schema allows.
    #[error("backup field `{field}` is {value}, outside {min}..={max}")]
    Range {
        /// Path of the field.
        field: String,
        /// The value found.
        value: i128,
        /// The smallest allowed value.
        min: u64,
        /// The largest allowed value.
        max: u64,
    },
    /// A hex string of the wrong length.
    #[error("backup field `{field}` has {found} characters; expected {expected} hex digits")]
    Length {
        /// Path of the field.
        field: String,
        /// Hex digits required (two per byte).
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A character that is not a hex digit (the character is not repeated here: the field may
    /// be a key).
    #[error("backup field `{field}` has a non-hex character at position {position}")]
    Hex {
        /// Path of the field.
        field: String,
        /// Zero-based character position.
        position: usize,
    },
    /// `metadata.format` names another format.
    #[error("backup field `metadata.format` is {0:?}; expected {FORMAT:?}")]
    Format(String),
    /// `metadata.version` is not one this module reads.
    #[error("backup field `metadata.version` is {0}; sealhub reads version {VERSION}")]
    Version(i128),
    /// `metadata.source` is not `<package>@<version>`.
    #[error("backup field `metadata.source` is {0:?}; expected `<package>@<version>`")]
    Source(String),
}

/// Result of reading a backup.
pub type Result<T> = core::result::Result<T, Error>;

/// A 128-bit Zigbee key (network or link key), bytes in the order the file and EZSP give them;
/// zeroized on drop and never printed.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Key16([u8; 16]);

impl Key16 {
    /// Wraps key bytes.
    pub fn new(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The key bytes, for handing to the stick.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl core::fmt::Debug for Key16 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Key16(..)")
    }
}

/// A JSON object kept as it was read, for fields whose contents belong to another program
/// (`metadata.internal`, `stack_specific`). It may hold secrets of other stacks, so `Debug` shows
/// only the top-level key names and every string in it is wiped on drop.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct OpaqueJson(Map<String, Value>);

impl OpaqueJson {
    /// Wraps an object.
    pub fn new(object: Map<String, Value>) -> Self {
        Self(object)
    }

    /// The object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl core::fmt::Debug for OpaqueJson {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OpaqueJson")?;
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Drop for OpaqueJson {
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            wipe(value);
        }
    }
}

/// Zeroizes every string in a JSON tree (numbers are left: keys are written as hex strings).
fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `metadata`: who wrote the backup. `format` and `version` are not stored: they can only be
/// [`FORMAT`] and [`VERSION`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `<package>@<version>` of the program that wrote the file, e.g. `zigbee-herdsman@0.13.65`.
    pub source: String,
    /// The writer's own notes (`metadata.internal`), absent if the file has none.
    pub internal: Option<OpaqueJson>,
}

/// `network_key`: the key every device on the network encrypts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkKey {
    /// The key.
    pub key: Key16,
    /// Which key this is in the network's re-keying sequence (0..=255).
    pub sequence_number: u8,
    /// The coordinator's outgoing NWK frame counter under this key.
    pub frame_counter: u32,
}

/// `devices[].link_key`: an APS link key the coordinator shares with one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLinkKey {
    /// The key.
    pub key: Key16,
    /// Incoming APS frame counter under this key.
    pub rx_counter: u32,
    /// Outgoing APS frame counter under this key.
    pub tx_counter: u32,
}

/// `devices[]`: a child of the coordinator or a device with its own link key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupDevice {
    /// 16-bit network address; `None` when the writer did not know it (JSON `null`).
    pub nwk_address: Option<u16>,
    /// EUI-64, in EZSP byte order.
    pub ieee_address: Eui64,
    /// `is_child` as written; absent means the device is a child (see
    /// [`BackupDevice::is_coordinator_child`]).
    pub is_child: Option<bool>,
    /// The device's link key, if the coordinator has one.
    pub link_key: Option<DeviceLinkKey>,
}

impl BackupDevice {
    /// Whether the device is the coordinator's child: `is_child`, `true` when absent.
    pub fn is_coordinator_child(&self) -> bool {
        self.is_child.unwrap_or(true)
    }
}

/// A whole coordinator backup. `Debug` prints no key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkBackup {
    /// Who wrote the file.
    pub metadata: Metadata,
    /// Stack-specific data of the writer, kept unread.
    pub stack_specific: Option<OpaqueJson>,
    /// The coordinator's EUI-64, in EZSP byte order.
    pub coordinator_ieee: Eui64,
    /// The PAN ID.
    pub pan_id: u16,
    /// The extended PAN ID, in EZSP byte order.
    pub extended_pan_id: [u8; 8],
    /// Network update ID (bumped on each channel change).
    pub nwk_update_id: u8,
    /// NWK security level, 0..=7 (5 on every Zigbee 3.0 network).
    pub security_level: u8,
    /// The current channel, 11..=26.
    pub channel: u8,
    /// Channels the network may be formed on, each 11..=26.
    pub channel_mask: Vec<u8>,
    /// The network key and its counters.
    pub network_key: NetworkKey,
    /// Children and devices with link keys.
    pub devices: Vec<BackupDevice>,
}

impl NetworkBackup {
    /// Reads and checks a backup file.
    pub fn from_json(text: &str) -> Result<Self> {
        let mut value: Value =
            serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
        let result = Self::from_value(&value);
        wipe(&mut value);
        result
    }

    fn from_value(value: &Value) -> Result<Self> {
        let top = Object::root(value)?;

        let meta = top.object("metadata")?;
        if let Some(format) = meta.optional("format") {
            let format = string(format, &meta.path("format"))?;
            if format != FORMAT {
                return Err(Error::Format(format.to_owned()));
            }
        }
        let version = meta.required("version")?;
        let version = integer(version, &meta.path("version"))?;
        if version != i128::from(VERSION) {
            return Err(Error::Version(version));
        }
        let source = string(meta.required("source")?, &meta.path("source"))?;
        if !source.contains('@') {
            return Err(Error::Source(source.to_owned()));
        }
        let metadata = Metadata {
            source: source.to_owned(),
            internal: meta.optional_object("internal")?,
        };

        let channel_mask = top.required("channel_mask")?;
        let Value::Array(channels) = channel_mask else {
            return Err(type_error(&top.path("channel_mask"), "an array"));
        };
        let channel_mask = channels
            .iter()
            .enumerate()
            .map(|(i, c)| ranged(c, &format!("channel_mask[{i}]"), 11, 26))
            .collect::<Result<Vec<u8>>>()?;

        let key = top.object("network_key")?;
        let network_key = NetworkKey {
            key: Key16(key.hex("key")?),
            sequence_number: key.ranged("sequence_number", 0, u8::MAX.into())?,
            frame_counter: key.ranged("frame_counter", 0, u32::MAX.into())?,
        };

        let devices = top.required("devices")?;
        let Value::Array(devices) = devices else {
            return Err(type_error(&top.path("devices"), "an array"));
        };
        let devices = devices
            .iter()
            .enumerate()
            .map(|(i, d)| device(d, format!("devices[{i}]")))
            .collect::<Result<Vec<_>>>()?;

        let stack_specific = top.optional_object("stack_specific")?;
        if let Some(stack) = &stack_specific {
            hashed_tclk(stack)?;
            aps_frame_counter(stack)?;
        }
        Ok(Self {
            metadata,
            stack_specific,
            coordinator_ieee: reversed(top.hex("coordinator_ieee")?),
            pan_id: u16::from_be_bytes(top.hex("pan_id")?),
            extended_pan_id: reversed(top.hex("extended_pan_id")?),
            nwk_update_id: top.ranged("nwk_update_id", 0, u8::MAX.into())?,
            security_level: top.ranged("security_level", 0, 7)?,
            channel: top.ranged("channel", 11, 26)?,
            channel_mask,
            network_key,
            devices,
        })
    }

    /// `stack_specific.ezsp.hashed_tclk`: the EmberZNet trust centre's root link key, from
    /// which it derives each device's TC link key (see the module documentation); `None` when
    /// the backup has none (another stack wrote it, or an old sealhub).
    pub fn ezsp_hashed_tclk(&self) -> Result<Option<Key16>> {
        match &self.stack_specific {
            None => Ok(None),
            Some(stack) => hashed_tclk(stack),
        }
    }

    /// Sets `stack_specific.ezsp.hashed_tclk` (and creates the objects around it), keeping the
    /// rest of `stack_specific` as it was, so a backup of an EmberZNet stick carries its
    /// trust centre's root key as zigbee-herdsman's do.
    pub fn set_ezsp_hashed_tclk(&mut self, key: &Key16) {
        let mut stack = self
            .stack_specific
            .as_ref()
            .map(|s| s.as_map().clone())
            .unwrap_or_default();
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(32);
        for &b in key.as_bytes() {
            text.push(char::from(DIGITS[usize::from(b >> 4)]));
            text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        match stack.get_mut("ezsp") {
            Some(Value::Object(ezsp)) => {
                ezsp.insert("hashed_tclk".into(), Value::String(text));
            }
            _ => {
                let mut ezsp = Map::new();
                ezsp.insert("hashed_tclk".into(), Value::String(text));
                if let Some(mut old) = stack.insert("ezsp".into(), Value::Object(ezsp)) {
                    wipe(&mut old);
                }
            }
        }
        self.stack_specific = Some(OpaqueJson(stack));
    }

    /// `stack_specific.ezsp.aps_frame_counter`: the EmberZNet stick's outgoing APS frame
    /// counter when the backup was taken (sealhub writes it); `None` when the backup has none.
    pub fn ezsp_aps_frame_counter(&self) -> Result<Option<u32>> {
        match &self.stack_specific {
            None => Ok(None),
            Some(stack) => aps_frame_counter(stack),
        }
    }

    /// Sets `stack_specific.ezsp.aps_frame_counter` (and creates the objects around it),
    /// keeping the rest of `stack_specific` as it was.
    pub fn set_ezsp_aps_frame_counter(&mut self, counter: u32) {
        let mut stack = self
            .stack_specific
            .as_ref()
            .map(|s| s.as_map().clone())
            .unwrap_or_default();
        let value = Value::from(counter);
        match stack.get_mut("ezsp") {
            Some(Value::Object(ezsp)) => {
                ezsp.insert("aps_frame_counter".into(), value);
            }
            _ => {
                let mut ezsp = Map::new();
                ezsp.insert("aps_frame_counter".into(), value);
                if let Some(mut old) = stack.insert("ezsp".into(), Value::Object(ezsp)) {
                    wipe(&mut old);
                }
            }
        }
        self.stack_specific = Some(OpaqueJson(stack));
    }

    /// Writes the backup in the same format (pretty-printed as Zigbee2MQTT does), with `format`
    /// and `version` set and hex in lowercase. The text holds keys, so it is wiped when dropped.
    pub fn to_json(&self) -> Zeroizing<String> {
        let coordinator_ieee = reversed(self.coordinator_ieee);
        let extended_pan_id = reversed(self.extended_pan_id);
        let pan_id = self.pan_id.to_be_bytes();
        let nwk_addresses: Vec<Option<[u8; 2]>> = self
            .devices
            .iter()
            .map(|d| d.nwk_address.map(u16::to_be_bytes))
            .collect();
        let ieee_addresses: Vec<[u8; 8]> = self
            .devices
            .iter()
            .map(|d| reversed(d.ieee_address))
            .collect();
        let wire = WireBackup {
            metadata: WireMetadata {
                format: FORMAT,
                version: VERSION,
                source: &self.metadata.source,
                internal: self.metadata.internal.as_ref().map(OpaqueJson::as_map),
            },
            stack_specific: self.stack_specific.as_ref().map(OpaqueJson::as_map),
            coordinator_ieee: Hex(&coordinator_ieee),
            pan_id: Hex(&pan_id),
            extended_pan_id: Hex(&extended_pan_id),
            nwk_update_id: self.nwk_update_id,
            security_level: self.security_level,
            channel: self.channel,
            channel_mask: &self.channel_mask,
            network_key: WireNetworkKey {
                key: Hex(self.network_key.key.as_bytes()),
                sequence_number: self.network_key.sequence_number,
                frame_counter: self.network_key.frame_counter,
            },
            devices: self
                .devices
                .iter()
                .zip(&nwk_addresses)
                .zip(&ieee_addresses)
                .map(|((d, nwk), ieee)| WireDevice {
                    nwk_address: nwk.as_ref().map(|a| Hex(a)),
                    ieee_address: Hex(ieee),
                    is_child: d.is_child,
                    link_key: d.link_key.as_ref().map(|k| WireLinkKey {
                        key: Hex(k.key.as_bytes()),
                        rx_counter: k.rx_counter,
                        tx_counter: k.tx_counter,
                    }),
                })
                .collect(),
        };
        // Measure first and allocate once, so the buffer holding keys is never reallocated
        // and left behind unwiped. Writing JSON to memory fails only for maps with non-string
        // keys, which `WireBackup` does not have.
        let mut count = ByteCount(0);
        serde_json::to_writer_pretty(&mut count, &wire).expect("JSON to memory");
        let mut out = Zeroizing::new(Vec::with_capacity(count.0));
        serde_json::to_writer_pretty(&mut *out, &wire).expect("JSON to memory");
        let text = String::from_utf8(core::mem::take(&mut *out)).expect("serde_json writes UTF-8");
        Zeroizing::new(text)
    }
}

/// `ezsp.hashed_tclk` in a `stack_specific` object: absent is `None`; present, it must be an
/// object holding a 128-bit key in hex.
fn hashed_tclk(stack: &OpaqueJson) -> Result<Option<Key16>> {
    let Some(ezsp) = stack.as_map().get("ezsp") else {
        return Ok(None);
    };
    let ezsp = Object::new(ezsp, "stack_specific.ezsp".into())?;
    if ezsp.optional("hashed_tclk").is_none() {
        return Ok(None);
    }
    Ok(Some(Key16(ezsp.hex("hashed_tclk")?)))
}

/// `ezsp.aps_frame_counter` in a `stack_specific` object: absent is `None`; present, it must be
/// an integer that fits 32 bits.
fn aps_frame_counter(stack: &OpaqueJson) -> Result<Option<u32>> {
    let Some(ezsp) = stack.as_map().get("ezsp") else {
        return Ok(None);
    };
    let ezsp = Object::new(ezsp, "stack_specific.ezsp".into())?;
    if ezsp.optional("aps_frame_counter").is_none() {
        return Ok(None);
    }
    Ok(Some(ezsp.ranged(
        "aps_frame_counter",
        0,
        u64::from(u32::MAX),
    )?))
}

fn device(value: &Value, path: String) -> Result<BackupDevice> {
    let dev = Object::new(value, path)?;
    let nwk_address = match dev.required("nwk_address")? {
        Value::Null => None,
        Value::String(s) => Some(u16::from_be_bytes(hex(s, &dev.path("nwk_address"))?)),
        _ => return Err(type_error(&dev.path("nwk_address"), "a hex string or null")),
    };
    let is_child = match dev.optional("is_child") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(type_error(&dev.path("is_child"), "a boolean")),
    };
    let link_key = match dev.optional("link_key") {
        None => None,
        Some(v) => {
            let key = Object::new(v, dev.path("link_key"))?;
            Some(DeviceLinkKey {
                key: Key16(key.hex("key")?),
                rx_counter: key.ranged("rx_counter", 0, u32::MAX.into())?,
                tx_counter: key.ranged("tx_counter", 0, u32::MAX.into())?,
            })
        }
    };
    Ok(BackupDevice {
        nwk_address,
        ieee_address: reversed(dev.hex("ieee_address")?),
        is_child,
        link_key,
    })
}

/// A JSON object being read, with its path for error messages.
struct Object<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Object<'a> {
    fn root(value: &'a Value) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                path: String::new(),
            }),
            _ => Err(type_error("(top level)", "an object")),
        }
    }

    fn new(value: &'a Value, path: String) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Self { map, path }),
            _ => Err(type_error(&path, "an object")),
        }
    }

    fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn optional(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    fn required(&self, name: &str) -> Result<&'a Value> {
        self.map.get(name).ok_or_else(|| Error::Missing {
            field: self.path(name),
        })
    }

    fn object(&self, name: &str) -> Result<Object<'a>> {
        Object::new(self.required(name)?, self.path(name))
    }

    fn optional_object(&self, name: &str) -> Result<Option<OpaqueJson>> {
        match self.optional(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(OpaqueJson(map.clone()))),
            Some(_) => Err(type_error(&self.path(name), "an object")),
        }
    }

    fn hex<const N: usize>(&self, name: &str) -> Result<[u8; N]> {
        let path = self.path(name);
        match self.required(name)? {
            Value::String(s) => hex(s, &path),
            _ => Err(type_error(&path, "a hex string")),
        }
    }

    fn ranged<T: TryFrom<u64>>(&self, name: &str, min: u64, max: u64) -> Result<T> {
        ranged(self.required(name)?, &self.path(name), min, max)
    }
}

fn type_error(path: &str, expected: &'static str) -> Error {
    Error::Type {
        field: path.to_owned(),
        expected,
    }
}

fn string<'a>(value: &'a Value, path: &str) -> Result<&'a str> {
    value.as_str().ok_or_else(|| type_error(path, "a string"))
}

/// A JSON integer (not a float, even an integral one), widened so negatives can be reported.
fn integer(value: &Value, path: &str) -> Result<i128> {
    let Value::Number(n) = value else {
        return Err(type_error(path, "an integer"));
    };
    n.as_u64()
        .map(i128::from)
        .or_else(|| n.as_i64().map(i128::from))
        .ok_or_else(|| type_error(path, "an integer"))
}

fn ranged<T: TryFrom<u64>>(value: &Value, path: &str, min: u64, max: u64) -> Result<T> {
    let n = integer(value, path)?;
    let range = Error::Range {
        field: path.to_owned(),
        value: n,
        min,
        max,
    };
    match u64::try_from(n) {
        Ok(v) if (min..=max).contains(&v) => T::try_from(v).map_err(|_| range),
        _ => Err(range),
    }
}

/// Exactly `2 * N` hex digits, either case.
fn hex<const N: usize>(s: &str, path: &str) -> Result<[u8; N]> {
    let found = s.chars().count();
    if found != 2 * N {
        return Err(Error::Length {
            field: path.to_owned(),
            expected: 2 * N,
            found,
        });
    }
    let mut out = [0u8; N];
    for (position, c) in s.chars().enumerate() {
        let digit = c.to_digit(16).ok_or_else(|| Error::Hex {
            field: path.to_owned(),
            position,
        })?;
        let shift = if position % 2 == 0 { 4 } else { 0 };
        if let (Some(byte), Ok(digit)) = (out.get_mut(position / 2), u8::try_from(digit)) {
            *byte |= digit << shift;
        }
    }
    Ok(out)
}

fn reversed<const N: usize>(mut bytes: [u8; N]) -> [u8; N] {
    bytes.reverse();
    bytes
}

/// Counts the bytes written to it, to size the output buffer before writing keys into it.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes written as lowercase hex through a wiped buffer.
struct Hex<'a>(&'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = Zeroizing::new(String::with_capacity(2 * self.0.len()));
        for &b in self.0 {
            text.push(char::from(DIGITS[usize::from(b >> 4)]));
            text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        s.serialize_str(&text)
    }
}

#[derive(Serialize)]
struct WireBackup<'a> {
    metadata: WireMetadata<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stack_specific: Option<&'a Map<String, Value>>,
    coordinator_ieee: Hex<'a>,
    pan_id: Hex<'a>,
    extended_pan_id: Hex<'a>,
    nwk_update_id: u8,
    security_level: u8,
    channel: u8,
    channel_mask: &'a [u8],
    network_key: WireNetworkKey<'a>,
    devices: Vec<WireDevice<'a>>,
}

#[derive(Serialize)]
struct WireMetadata<'a> {
    format: &'static str,
    version: u64,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    internal: Option<&'a Map<String, Value>>,
}

#[derive(Serialize)]
struct WireNetworkKey<'a> {
    key: Hex<'a>,
    sequence_number: u8,
    frame_counter: u32,
}

#[derive(Serialize)]
struct WireDevice<'a> {
    /// Always written, `null` when unknown (the schema requires the key).
    nwk_address: Option<Hex<'a>>,
    ieee_address: Hex<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_child: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_key: Option<WireLinkKey<'a>>,
}

#[derive(Serialize)]
struct WireLinkKey<'a> {
    key: Hex<'a>,
    rx_counter: u32,
    tx_counter: u32,
}
