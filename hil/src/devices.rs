//! The devices a user lists in `hil/devices.toml` for the device scenarios on real sticks, and
//! the format of that file (`hil/devices.example.toml` is a commented example; `hil/README.md`
//! explains it). The file is read with serde and checked into typed entries here, so a typo
//! stops the run with the entry and the field named instead of a scenario failing later.
//!
//! ```toml
//! [[zigbee]]
//! name = "kitchen bulb"
//! ieee = "00:17:88:01:0b:2c:3d:4e"   # EUI-64 as printed on the device, most significant first
//! install_code = "83FED340..."      # optional: the device joins with its install code
//! node_id = 0x1a2b                  # optional: already joined; without it, paired in the run
//! endpoint = 1                      # optional, default 1
//! kind = "light"                    # light | plug | colour_bulb | door_lock | thermostat
//!                                   # | climate_sensor | motion_sensor | contact_sensor
//!
//! [[zwave]]
//! name = "porch switch"
//! node_id = 5                       # already included, or "include" to include it in the run
//! dsk_pin = "12345"                 # S2: the first five digits of the DSK on its label
//! kind = "switch"                   # switch | dimmer | lock | siren | sensor | thermostat
//!                                   # | metering_plug | multisensor | bulb
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sealhub_radios::zigbee::security::InstallCode;
use serde::Deserialize;

/// Names the devices file, overriding `hil/devices.toml`.
pub const DEVICES_ENV: &str = "SEALHUB_HIL_DEVICES";

/// What a Zigbee device is, which picks its scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ZigbeeKind {
    /// A light with On/Off (0x0006): toggled and read back, then toggled back.
    Light,
    /// A smart plug with metering: On/Off like a light, and its power (Electrical Measurement
    /// 0x0B04 or Metering 0x0702) read while on and off.
    Plug,
    /// A colour bulb: On/Off, Level Control (0x0008) and Color Control (0x0300), each moved,
    /// read back and put back.
    #[serde(alias = "color_bulb")]
    ColourBulb,
    /// A door lock (Door Lock, 0x0101): locked or unlocked and read back, then put back; on
    /// real hardware only when a person is there to see it.
    DoorLock,
    /// A thermostat (0x0201): heating setpoint and system mode written, read back, restored.
    Thermostat,
    /// A temperature and humidity sensor (0x0402, 0x0405): both read, in plausible ranges.
    ClimateSensor,
    /// A motion sensor on IAS Zone (0x0500): enrolled, then motion seen and cleared.
    MotionSensor,
    /// A door/window contact on IAS Zone (0x0500): enrolled, then opened and closed.
    ContactSensor,
}

impl ZigbeeKind {
    /// Every kind, in the order the emulated list has them.
    pub const ALL: [ZigbeeKind; 8] = [
        Self::Light,
        Self::Plug,
        Self::ColourBulb,
        Self::DoorLock,
        Self::Thermostat,
        Self::ClimateSensor,
        Self::MotionSensor,
        Self::ContactSensor,
    ];

    /// The kind as written in `devices.toml`, for results and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Plug => "plug",
            Self::ColourBulb => "colour_bulb",
            Self::DoorLock => "door_lock",
            Self::Thermostat => "thermostat",
            Self::ClimateSensor => "climate_sensor",
            Self::MotionSensor => "motion_sensor",
            Self::ContactSensor => "contact_sensor",
        }
    }
}

/// What a Z-Wave device is, which picks its scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ZwaveKind {
    /// A binary switch (0x25): set to the other state, read back, set back.
    Switch,
    /// A dimmer (Multilevel Switch, 0x26): set a level, read back, set back.
    Dimmer,
    /// A door lock (Door Lock, 0x62): operated to the other mode, read back, operated back.
    Lock,
    /// A siren on Binary Switch (0x25), as a switch; it sounds for a moment.
    Siren,
    /// A battery sensor that sleeps: a Battery Get waits for its wake-up, then its report.
    Sensor,
    /// A thermostat (Thermostat Mode 0x40, Thermostat Setpoint 0x43): heating setpoint and
    /// mode set, read back, restored.
    Thermostat,
    /// A plug with several metered outlets (Multi Channel 0x60): each end point switched,
    /// read back and metered, then switched back.
    MeteringPlug,
    /// A sleeping multisensor: Battery and air temperature (Multilevel Sensor 0x31) read after
    /// its wake-up.
    Multisensor,
    /// A colour bulb: level (Multilevel Switch) and a colour component (Color Switch 0x33)
    /// set, read back, set back.
    Bulb,
}

impl ZwaveKind {
    /// Every kind, in the order the emulated list has them.
    pub const ALL: [ZwaveKind; 9] = [
        Self::Switch,
        Self::Sensor,
        Self::Lock,
        Self::Dimmer,
        Self::Siren,
        Self::Thermostat,
        Self::MeteringPlug,
        Self::Multisensor,
        Self::Bulb,
    ];

    /// The kind as written in `devices.toml`, for results and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Switch => "switch",
            Self::Dimmer => "dimmer",
            Self::Lock => "lock",
            Self::Siren => "siren",
            Self::Sensor => "sensor",
            Self::Thermostat => "thermostat",
            Self::MeteringPlug => "metering_plug",
            Self::Multisensor => "multisensor",
            Self::Bulb => "bulb",
        }
    }
}

/// A Z-Wave node to test: one already in the network, or one to include during the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZwaveNode {
    /// Already included, at this node id.
    Id(u16),
    /// Included by the run (needs a person on real hardware, see `SEALHUB_HIL_PAIR`).
    Include,
}

/// One Zigbee device from the file.
#[derive(Debug, Clone)]
pub struct ZigbeeDevice {
    /// The user's name for it, used in prompts and results.
    pub name: String,
    /// Its EUI-64, as the driver writes it (a number; most significant byte as printed first).
    pub eui64: u64,
    /// Its install code, when it joins with one.
    pub install_code: Option<InstallCode>,
    /// Its node id on the stick's network, when it has joined already.
    pub node_id: Option<u16>,
    /// The endpoint its clusters are on.
    pub endpoint: u8,
    /// What it is.
    pub kind: ZigbeeKind,
}

/// One Z-Wave device from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZwaveDevice {
    /// The user's name for it, used in prompts and results.
    pub name: String,
    /// Where it is.
    pub node: ZwaveNode,
    /// The PIN for S2 inclusion (the DSK's first group), when it asks for one.
    pub dsk_pin: Option<u16>,
    /// What it is.
    pub kind: ZwaveKind,
}

/// Every device in the file.
#[derive(Debug, Clone, Default)]
pub struct DeviceList {
    /// Zigbee devices, in file order.
    pub zigbee: Vec<ZigbeeDevice>,
    /// Z-Wave devices, in file order.
    pub zwave: Vec<ZwaveDevice>,
}

/// Why the devices file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevicesError {
    /// It could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is not TOML of the expected shape (an unknown key or kind, a wrong type).
    #[error("{path}: {source}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        source: Box<toml::de::Error>,
    },
    /// An entry's value is not valid.
    #[error("{path}: [[{section}]] \"{name}\": {reason}")]
    Entry {
        /// The file.
        path: PathBuf,
        /// `zigbee` or `zwave`.
        section: &'static str,
        /// The entry's name (or its position when it has none).
        name: String,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    zigbee: Vec<RawZigbee>,
    #[serde(default)]
    zwave: Vec<RawZwave>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZigbee {
    name: String,
    #[serde(alias = "eui64")]
    ieee: String,
    install_code: Option<String>,
    node_id: Option<u16>,
    endpoint: Option<u8>,
    kind: ZigbeeKind,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawNode {
    Id(i64),
    Word(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPin {
    Number(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZwave {
    name: String,
    node_id: RawNode,
    dsk_pin: Option<RawPin>,
    kind: ZwaveKind,
}

/// Hex digits of `text`, with `:`, `-`, spaces and a leading `0x` allowed between them.
fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let digits: String = text
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | ' '))
        .collect();
    if digits.is_empty() || digits.len() % 2 != 0 {
        return Err(format!("\"{text}\" is not an even number of hex digits"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("\"{text}\" is not hex"))
        })
        .collect()
}

fn eui64(text: &str) -> Result<u64, String> {
    let bytes = hex_bytes(text)?;
    let bytes: [u8; 8] = bytes.try_into().map_err(|b: Vec<u8>| {
        format!(
            "ieee \"{text}\" has {} bytes; an EUI-64 has 8, e.g. \"00:17:88:01:0b:2c:3d:4e\"",
            b.len()
        )
    })?;
    Ok(u64::from_be_bytes(bytes))
}

fn zwave_node(raw: RawNode) -> Result<ZwaveNode, String> {
    match raw {
        RawNode::Id(id) => u16::try_from(id)
            .ok()
            .filter(|id| (2..=232).contains(id))
            .map(ZwaveNode::Id)
            .ok_or_else(|| format!("node_id {id} is not a node id (2..=232; 1 is the controller)")),
        RawNode::Word(word) if word.eq_ignore_ascii_case("include") => Ok(ZwaveNode::Include),
        RawNode::Word(word) => Err(format!(
            "node_id \"{word}\": write a number (the included node) or \"include\""
        )),
    }
}

fn dsk_pin(raw: RawPin) -> Result<u16, String> {
    let text = match raw {
        RawPin::Number(n) => n.to_string(),
        RawPin::Text(t) => t,
    };
    // Accept the whole DSK as printed ("12345-67890-...") and keep its first group.
    let first = text.trim().split('-').next().unwrap_or_default();
    if first.is_empty() || first.len() > 5 || !first.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "dsk_pin \"{text}\": the first five digits of the DSK on the label, e.g. \"12345\""
        ));
    }
    first
        .parse::<u16>()
        .map_err(|_| format!("dsk_pin \"{text}\" is above 65535, so not a DSK group"))
}

impl DeviceList {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, DevicesError> {
        let text = std::fs::read_to_string(path).map_err(|source| DevicesError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Checks `text` as if read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, DevicesError> {
        let raw: RawFile = toml::from_str(text).map_err(|source| DevicesError::Syntax {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        let entry = |section, name: &str, reason| DevicesError::Entry {
            path: path.to_owned(),
            section,
            name: name.to_owned(),
            reason,
        };
        let mut names = BTreeSet::new();
        let mut list = DeviceList::default();
        for z in raw.zigbee {
            if !names.insert(z.name.clone()) {
                return Err(entry("zigbee", &z.name, "the name is used twice".into()));
            }
            let eui64 = eui64(&z.ieee).map_err(|r| entry("zigbee", &z.name, r))?;
            let install_code = z
                .install_code
                .as_deref()
                .map(|code| {
                    hex_bytes(code)
                        .and_then(|b| InstallCode::new(&b).map_err(|e| e.to_string()))
                        .map_err(|r| entry("zigbee", &z.name, format!("install_code: {r}")))
                })
                .transpose()?;
            if z.endpoint == Some(0) || z.endpoint.is_some_and(|e| e > 240) {
                return Err(entry("zigbee", &z.name, "endpoint must be 1..=240".into()));
            }
            list.zigbee.push(ZigbeeDevice {
                eui64,
                install_code,
                node_id: z.node_id,
                endpoint: z.endpoint.unwrap_or(1),
                kind: z.kind,
                name: z.name,
            });
        }
        for z in raw.zwave {
            if !names.insert(z.name.clone()) {
                return Err(entry("zwave", &z.name, "the name is used twice".into()));
            }
            let node = zwave_node(z.node_id).map_err(|r| entry("zwave", &z.name, r))?;
            let dsk_pin = z
                .dsk_pin
                .map(dsk_pin)
                .transpose()
                .map_err(|r| entry("zwave", &z.name, r))?;
            list.zwave.push(ZwaveDevice {
                node,
                dsk_pin,
                kind: z.kind,
                name: z.name,
            });
        }
        Ok(list)
    }

    /// The devices of the file the user wrote: `SEALHUB_HIL_DEVICES`, else `hil/devices.toml`;
    /// `Ok(None)` when there is no such file (the device scenarios are then skipped on real
    /// hardware).
    pub fn from_user_file() -> Result<Option<Self>, DevicesError> {
        let path = std::env::var_os(DEVICES_ENV)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("devices.toml"));
        if !path.exists() {
            return Ok(None);
        }
        Self::load(&path).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DeviceList, DevicesError> {
        DeviceList::parse(text, Path::new("devices.toml"))
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("refused").to_string()
    }

    #[test]
    fn the_shipped_example_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("devices.example.toml");
        let list = DeviceList::load(&path).expect("the example is valid");
        // It shows every kind, so a new kind comes with its example.
        for kind in ZigbeeKind::ALL {
            assert!(
                list.zigbee.iter().any(|d| d.kind == kind),
                "no {} in the example",
                kind.name()
            );
        }
        for kind in ZwaveKind::ALL {
            assert!(
                list.zwave.iter().any(|d| d.kind == kind),
                "no {} in the example",
                kind.name()
            );
        }
    }

    #[test]
    fn a_full_file_becomes_typed_entries() {
        let list = parse(
            r#"
            [[zigbee]]
            name = "bulb"
            ieee = "00:17:88:01:0b:2c:3d:4e"
            install_code = "83FED3407A939723A5C639B26916D505C3B5"
            kind = "light"

            [[zigbee]]
            name = "plug"
            eui64 = "0017880102030405"
            node_id = 0x1a2b
            endpoint = 11
            kind = "plug"

            [[zwave]]
            name = "switch"
            node_id = 5
            kind = "switch"

            [[zwave]]
            name = "lock"
            node_id = "include"
            dsk_pin = "04321-12345-00000-00000-00000-00000-00000-00000"
            kind = "lock"

            [[zwave]]
            name = "dimmer"
            node_id = "Include"
            dsk_pin = 12345
            kind = "dimmer"
            "#,
        )
        .expect("valid");
        assert_eq!(list.zigbee[0].eui64, 0x0017_8801_0B2C_3D4E);
        assert!(list.zigbee[0].install_code.is_some());
        assert_eq!(list.zigbee[0].node_id, None);
        assert_eq!(list.zigbee[0].endpoint, 1);
        assert_eq!(list.zigbee[1].node_id, Some(0x1A2B));
        assert_eq!(list.zigbee[1].endpoint, 11);
        assert_eq!(list.zigbee[1].kind, ZigbeeKind::Plug);
        assert_eq!(
            list.zwave,
            [
                ZwaveDevice {
                    name: "switch".into(),
                    node: ZwaveNode::Id(5),
                    dsk_pin: None,
                    kind: ZwaveKind::Switch,
                },
                ZwaveDevice {
                    name: "lock".into(),
                    node: ZwaveNode::Include,
                    dsk_pin: Some(4321),
                    kind: ZwaveKind::Lock,
                },
                ZwaveDevice {
                    name: "dimmer".into(),
                    node: ZwaveNode::Include,
                    dsk_pin: Some(12345),
                    kind: ZwaveKind::Dimmer,
                },
            ]
        );
    }

    #[test]
    fn an_empty_file_lists_nothing() {
        let list = parse("").expect("valid");
        assert!(list.zigbee.is_empty() && list.zwave.is_empty());
    }

    #[test]
    fn an_unknown_kind_names_the_known_ones() {
        let e =
            error("[[zigbee]]\nname = \"x\"\nieee = \"0017880102030405\"\nkind = \"toaster\"\n");
        assert!(
            e.contains("toaster") && e.contains("light") && e.contains("plug"),
            "{e}"
        );
        let e = error("[[zwave]]\nname = \"x\"\nnode_id = 3\nkind = \"toaster\"\n");
        assert!(e.contains("switch") && e.contains("sensor"), "{e}");
    }

    #[test]
    fn misspelt_and_missing_keys_are_refused_with_their_line() {
        let e = error("[[zwave]]\nname = \"x\"\nnode = 3\nkind = \"switch\"\n");
        assert!(e.contains("node") && e.contains("line 3"), "{e}");
        let e = error("[[zigbee]]\nname = \"x\"\nkind = \"light\"\n");
        assert!(e.contains("ieee"), "{e}");
        let e = error("[[zigbe]]\nname = \"x\"\n");
        assert!(e.contains("zigbe"), "{e}");
    }

    #[test]
    fn bad_values_name_the_entry_and_the_field() {
        let e = error("[[zigbee]]\nname = \"bulb\"\nieee = \"00:17:88\"\nkind = \"light\"\n");
        assert!(e.contains("\"bulb\"") && e.contains("3 bytes"), "{e}");
        let e =
            error("[[zigbee]]\nname = \"bulb\"\nieee = \"zz17880102030405\"\nkind = \"light\"\n");
        assert!(e.contains("not hex"), "{e}");
        let e = error(
            "[[zigbee]]\nname = \"bulb\"\nieee = \"0017880102030405\"\ninstall_code = \"83FED3407A939723A5C639B26916D505C3B6\"\nkind = \"light\"\n",
        );
        assert!(e.contains("install_code"), "a wrong CRC: {e}");
        let e = error(
            "[[zigbee]]\nname = \"bulb\"\nieee = \"0017880102030405\"\nendpoint = 0\nkind = \"light\"\n",
        );
        assert!(e.contains("endpoint"), "{e}");
        for bad in ["1", "233", "-4"] {
            let e = error(&format!(
                "[[zwave]]\nname = \"sw\"\nnode_id = {bad}\nkind = \"switch\"\n"
            ));
            assert!(e.contains("\"sw\"") && e.contains("node_id"), "{bad}: {e}");
        }
        let e = error("[[zwave]]\nname = \"sw\"\nnode_id = \"later\"\nkind = \"switch\"\n");
        assert!(e.contains("\"include\""), "{e}");
        for bad in ["\"abcde\"", "\"70000\"", "\"123456\"", "\"\""] {
            let e = error(&format!(
                "[[zwave]]\nname = \"lock\"\nnode_id = \"include\"\ndsk_pin = {bad}\nkind = \"lock\"\n"
            ));
            assert!(e.contains("dsk_pin"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_kind_parses_by_its_written_name() {
        for kind in ZigbeeKind::ALL {
            let list = parse(&format!(
                "[[zigbee]]\nname = \"x\"\nieee = \"0017880102030405\"\nkind = \"{}\"\n",
                kind.name()
            ))
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
            assert_eq!(list.zigbee[0].kind, kind);
        }
        for kind in ZwaveKind::ALL {
            let list = parse(&format!(
                "[[zwave]]\nname = \"x\"\nnode_id = 9\nkind = \"{}\"\n",
                kind.name()
            ))
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
            assert_eq!(list.zwave[0].kind, kind);
        }
        let list =
            parse("[[zigbee]]\nname = \"x\"\nieee = \"0017880102030405\"\nkind = \"color_bulb\"\n")
                .expect("the American spelling too");
        assert_eq!(list.zigbee[0].kind, ZigbeeKind::ColourBulb);
    }

    #[test]
    fn a_kind_of_the_other_radio_or_a_near_miss_is_refused() {
        // Z-Wave kinds under [[zigbee]] and the other way round.
        for kind in ["metering_plug", "multisensor", "bulb", "switch"] {
            let e = error(&format!(
                "[[zigbee]]\nname = \"x\"\nieee = \"0017880102030405\"\nkind = \"{kind}\"\n"
            ));
            assert!(
                e.contains(kind) && e.contains("colour_bulb") && e.contains("contact_sensor"),
                "{kind}: {e}"
            );
        }
        for kind in [
            "door_lock",
            "colour_bulb",
            "climate_sensor",
            "motion_sensor",
        ] {
            let e = error(&format!(
                "[[zwave]]\nname = \"x\"\nnode_id = 3\nkind = \"{kind}\"\n"
            ));
            assert!(
                e.contains(kind) && e.contains("metering_plug") && e.contains("multisensor"),
                "{kind}: {e}"
            );
        }
        for near in ["Thermostat", "colour-bulb", "motion sensor", ""] {
            let e = error(&format!(
                "[[zigbee]]\nname = \"x\"\nieee = \"0017880102030405\"\nkind = \"{near}\"\n"
            ));
            assert!(e.contains("unknown variant"), "{near:?}: {e}");
        }
    }

    #[test]
    fn each_required_field_is_named_when_missing() {
        let e = error("[[zigbee]]\nieee = \"0017880102030405\"\nkind = \"thermostat\"\n");
        assert!(e.contains("name"), "{e}");
        let e = error("[[zigbee]]\nname = \"x\"\nieee = \"0017880102030405\"\n");
        assert!(e.contains("kind"), "{e}");
        let e = error("[[zwave]]\nname = \"x\"\nkind = \"multisensor\"\n");
        assert!(e.contains("node_id"), "{e}");
        let e = error("[[zwave]]\nname = \"x\"\nnode_id = 4\n");
        assert!(e.contains("kind"), "{e}");
        // A kind given as a number or a list, not a word.
        let e = error("[[zwave]]\nname = \"x\"\nnode_id = 4\nkind = 3\n");
        assert!(e.contains("kind") || e.contains("line 4"), "{e}");
        let e = error("[[zigbee]]\nname = \"x\"\nieee = \"0017880102030405\"\nkind = [\"plug\"]\n");
        assert!(e.contains("line 4"), "{e}");
    }

    #[test]
    fn names_are_unique_across_both_radios() {
        let e = error(
            "[[zigbee]]\nname = \"hall\"\nieee = \"0017880102030405\"\nkind = \"light\"\n\
             [[zwave]]\nname = \"hall\"\nnode_id = 4\nkind = \"switch\"\n",
        );
        assert!(e.contains("twice"), "{e}");
    }
}
