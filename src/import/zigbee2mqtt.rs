//! Zigbee2MQTT's data directory, read for `sealhub import zigbee2mqtt DIR`: pure parsers of its
//! three files and [`read_dir`], which reads them from disk. [`super::register`] writes what
//! they hold into the store.
//!
//! - `coordinator_backup.json`: the open coordinator backup that zigbee-herdsman writes (the
//!   network key and its frame counter, PAN ID, extended PAN ID, channel, the devices' link
//!   keys and, from an EmberZNet stick, the hashed trust-centre link key root in
//!   `stack_specific.ezsp.hashed_tclk`). Parsed and checked by
//!   [`NetworkBackup::from_json`]; required.
//! - `database.db`: zigbee-herdsman's device database, one JSON object per line, each written
//!   by `Device.toDatabaseEntry` (zigbee-herdsman `src/controller/model/device.ts`): `id`,
//!   `type` (`Coordinator`, `Router`, `EndDevice`, `GreenPower`, `Unknown`, or `Group` for a
//!   group), `ieeeAddr` (`0x` and 16 hex digits), `nwkAddr`, `manufId`, `manufName`,
//!   `modelId`, `powerSource`, `endpoints` (by number: `profId`, `epId`, `devId`,
//!   `inClusterList`, `outClusterList`), `interviewCompleted` / `interviewState`. Parsed by
//!   [`parse_database`]; required.
//! - `configuration.yaml`: the friendly names, under `devices:` as `'0x…': {friendly_name:
//!   …}`, or in the file(s) `devices:` names (Zigbee2MQTT's "separate devices file"). Parsed by
//!   [`parse_friendly_names`]; optional (without it, devices get their product's name).
//!
//! Parsing is strict where sealhub relies on a field (a device's address, its endpoints and
//! clusters, a name's type) and refuses the file with the line and field; fields sealhub does
//! not use are not checked, so that a newer Zigbee2MQTT's additions do not stop an import.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sealhub_radios::zigbee::backup::NetworkBackup;
use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

use super::{FormatError, Result, damaged, read_optional, read_required};

/// The coordinator backup's file name in the data directory.
pub const BACKUP_FILE: &str = "coordinator_backup.json";
/// The device database's file name.
pub const DATABASE_FILE: &str = "database.db";
/// The configuration's file name.
pub const CONFIGURATION_FILE: &str = "configuration.yaml";

/// A friendly name longer than this is refused (Zigbee2MQTT's names are MQTT topic parts).
pub const MAX_NAME_CHARS: usize = 128;

/// What zigbee-herdsman's `type` says a database entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HerdsmanKind {
    /// The stick itself.
    Coordinator,
    /// A router (mains powered, relays for others).
    Router,
    /// An end device (often a sleeping one).
    EndDevice,
    /// A Green Power device (served by the stick's proxy, not paired like the others).
    GreenPower,
    /// Herdsman did not learn what it is.
    Unknown,
}

/// One endpoint, as herdsman's interview found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HerdsmanEndpoint {
    /// Endpoint number (1..=254; 242 is Green Power's).
    pub endpoint: u8,
    /// Application profile id.
    pub profile: u16,
    /// Device id within the profile.
    pub device_id: u16,
    /// Server clusters.
    pub in_clusters: Vec<u16>,
    /// Client clusters.
    pub out_clusters: Vec<u16>,
}

/// One device of herdsman's database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HerdsmanDevice {
    /// Its IEEE address, as a number (`0x00124b0001020304` is `0x00124b0001020304`).
    pub eui64: u64,
    /// Its network address when herdsman last saw it.
    pub node_id: u16,
    /// What it is.
    pub kind: HerdsmanKind,
    /// Node descriptor manufacturer code.
    pub manufacturer_code: Option<u16>,
    /// Basic `manufacturerName`.
    pub manufacturer: Option<String>,
    /// Basic `modelId`.
    pub model: Option<String>,
    /// Basic `powerSource` says mains (or DC): its receiver is always on.
    pub mains_powered: Option<bool>,
    /// Herdsman's interview of it succeeded.
    pub interviewed: bool,
    /// Its endpoints, in endpoint order.
    pub endpoints: Vec<HerdsmanEndpoint>,
}

/// herdsman's database: its devices, and how many groups it holds (groups are not imported).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HerdsmanDatabase {
    /// The devices, the coordinator included, in file order.
    pub devices: Vec<HerdsmanDevice>,
    /// Group entries.
    pub groups: usize,
}

/// A Zigbee2MQTT data directory, read and checked.
#[derive(Debug)]
pub struct Zigbee2MqttHome {
    /// The network (key material inside; its `Debug` prints none).
    pub backup: NetworkBackup,
    /// The devices.
    pub database: HerdsmanDatabase,
    /// Friendly names by IEEE address.
    pub names: BTreeMap<u64, String>,
}

/// Reads a Zigbee2MQTT data directory: each file's refusal names the file.
pub fn read_dir(dir: &Path) -> Result<Zigbee2MqttHome> {
    let backup_file = dir.join(BACKUP_FILE);
    let text = zeroize::Zeroizing::new(read_required(
        &backup_file,
        "Zigbee2MQTT writes it when it stops and every day; stop Zigbee2MQTT once, then import",
    )?);
    let backup = NetworkBackup::from_json(&text).map_err(|e| super::Error::File {
        file: backup_file.clone(),
        what: format!("damaged: {e}"),
    })?;
    let database_file = dir.join(DATABASE_FILE);
    let database = parse_database(&read_required(
        &database_file,
        "the device database Zigbee2MQTT keeps beside its configuration",
    )?)
    .map_err(damaged(&database_file))?;
    let names = read_names(dir)?;
    let mut backup = backup;
    match_byte_order(&mut backup, &database).map_err(|why| super::Error::File {
        file: backup_file,
        what: why,
    })?;
    Ok(Zigbee2MqttHome {
        backup,
        database,
        names,
    })
}

/// Makes the backup's 8-byte fields (the coordinator's and devices' IEEE addresses, the
/// extended PAN ID) agree with the database. The open format writes them most significant byte
/// first, but zigbee-herdsman's ember adapter writes the bytes as EZSP carries them (least
/// significant first: `coordinatorIeeeAddress` is the EUI-64 reversed, `extendedPanId` the
/// network parameters' bytes, each then written as hex). The coordinator's entry of
/// `database.db` (`ieeeAddr`, always `0x` and most significant first) says which the file
/// used: the backup's coordinator as written, or reversed. One that matches neither is of
/// another network than the database and is refused; without a coordinator entry the backup
/// is taken as the format says.
pub fn match_byte_order(
    backup: &mut NetworkBackup,
    database: &HerdsmanDatabase,
) -> std::result::Result<(), String> {
    let Some(coordinator) = database
        .devices
        .iter()
        .find(|d| d.kind == HerdsmanKind::Coordinator)
    else {
        return Ok(());
    };
    let as_written = u64::from_le_bytes(backup.coordinator_ieee);
    if as_written == coordinator.eui64 {
        return Ok(());
    }
    if u64::from_be_bytes(backup.coordinator_ieee) != coordinator.eui64 {
        return Err(format!(
            "the coordinator is {as_written:016x} here but 0x{:016x} in {DATABASE_FILE}: the \
             two files are of different networks",
            coordinator.eui64
        ));
    }
    backup.coordinator_ieee.reverse();
    backup.extended_pan_id.reverse();
    for device in &mut backup.devices {
        device.ieee_address.reverse();
    }
    Ok(())
}

/// The friendly names of `configuration.yaml` and the devices file(s) it names, if any.
fn read_names(dir: &Path) -> Result<BTreeMap<u64, String>> {
    let config_file = dir.join(CONFIGURATION_FILE);
    let Some(text) = read_optional(&config_file)? else {
        return Ok(BTreeMap::new());
    };
    let section = parse_friendly_names(&text).map_err(damaged(&config_file))?;
    match section {
        DevicesSection::Names(names) => Ok(names),
        DevicesSection::Files(files) => {
            let mut names = BTreeMap::new();
            for name in files {
                let file = devices_file(dir, &config_file, &name)?;
                let text = read_required(&file, "named by `devices:` in configuration.yaml")?;
                let found = parse_devices_file(&text).map_err(damaged(&file))?;
                names.extend(found);
            }
            Ok(names)
        }
    }
}

/// A devices file named in the configuration: a relative path inside the data directory.
fn devices_file(dir: &Path, config_file: &Path, name: &str) -> Result<PathBuf> {
    let relative = Path::new(name);
    let inside = relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside || name.is_empty() {
        return Err(super::Error::File {
            file: config_file.to_owned(),
            what: format!(
                "`devices:` names {name:?}, which is not a file inside the data directory"
            ),
        });
    }
    Ok(dir.join(relative))
}

/// Parses herdsman's `database.db`: one JSON object per line (empty lines skipped, as herdsman
/// skips them). A line that is not an object, a device without a valid `ieeeAddr`, `nwkAddr`
/// or endpoint, or two entries of one IEEE address are refused.
pub fn parse_database(text: &str) -> std::result::Result<HerdsmanDatabase, FormatError> {
    let mut database = HerdsmanDatabase::default();
    let mut seen = BTreeMap::new();
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| FormatError::at(number, format!("not JSON: {e}")))?;
        let Value::Object(entry) = value else {
            return Err(FormatError::at(number, "not a JSON object"));
        };
        let kind = match text_field(&entry, "type", number)? {
            Some("Group") => {
                database.groups += 1;
                continue;
            }
            Some("Coordinator") => HerdsmanKind::Coordinator,
            Some("Router") => HerdsmanKind::Router,
            Some("EndDevice") => HerdsmanKind::EndDevice,
            Some("GreenPower") => HerdsmanKind::GreenPower,
            Some("Unknown") => HerdsmanKind::Unknown,
            Some(other) => {
                return Err(FormatError::at(
                    number,
                    format!("`type` {other:?} is unknown"),
                ));
            }
            None => return Err(FormatError::at(number, "`type` is missing")),
        };
        let device = device(&entry, kind, number)?;
        if let Some(first) = seen.insert(device.eui64, number) {
            return Err(FormatError::at(
                number,
                format!(
                    "`ieeeAddr` 0x{:016x} is also the device of line {first}",
                    device.eui64
                ),
            ));
        }
        database.devices.push(device);
    }
    Ok(database)
}

fn device(
    entry: &Map<String, Value>,
    kind: HerdsmanKind,
    line: usize,
) -> std::result::Result<HerdsmanDevice, FormatError> {
    let eui64 = match text_field(entry, "ieeeAddr", line)? {
        Some(text) => ieee_address(text).map_err(|why| FormatError::at(line, why))?,
        None => return Err(FormatError::at(line, "`ieeeAddr` is missing")),
    };
    let node_id = match entry.get("nwkAddr") {
        Some(v) => integer(v, "nwkAddr", 0, 0xFFFF, line)?,
        None => return Err(FormatError::at(line, "`nwkAddr` is missing")),
    };
    let manufacturer_code = optional_integer(entry, "manufId", 0, 0xFFFF, line)?;
    let manufacturer = text_field(entry, "manufName", line)?.map(str::to_owned);
    let model = text_field(entry, "modelId", line)?.map(str::to_owned);
    let mains_powered = text_field(entry, "powerSource", line)?.and_then(|p| match p {
        "Battery" => Some(false),
        "Unknown" => None,
        other => Some(
            other.starts_with("Mains")
                || other.starts_with("DC")
                || other.starts_with("Emergency mains"),
        ),
    });
    let completed = match entry.get("interviewCompleted") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(FormatError::at(
                line,
                "`interviewCompleted` is not a boolean",
            ));
        }
    };
    let state = text_field(entry, "interviewState", line)?;
    let interviewed = completed || state == Some("SUCCESSFUL");
    let endpoints = match entry.get("endpoints") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => endpoints(map, line)?,
        Some(_) => return Err(FormatError::at(line, "`endpoints` is not an object")),
    };
    Ok(HerdsmanDevice {
        eui64,
        node_id: u16::try_from(node_id).map_err(|_| FormatError::at(line, "`nwkAddr`"))?,
        kind,
        manufacturer_code: manufacturer_code.and_then(|c| u16::try_from(c).ok()),
        manufacturer,
        model,
        mains_powered,
        interviewed,
        endpoints,
    })
}

fn endpoints(
    map: &Map<String, Value>,
    line: usize,
) -> std::result::Result<Vec<HerdsmanEndpoint>, FormatError> {
    let mut out = Vec::with_capacity(map.len());
    for (key, value) in map {
        let at = |what: &str| FormatError::at(line, format!("`endpoints.{key}`: {what}"));
        let number: u8 = key
            .parse()
            .ok()
            .filter(|n| (1..=254).contains(n) && !key.starts_with('0'))
            .ok_or_else(|| at("not an endpoint number 1..=254"))?;
        let Value::Object(ep) = value else {
            return Err(at("not an object"));
        };
        let field = |name: &str, max: u64| -> std::result::Result<u64, FormatError> {
            match ep.get(name) {
                Some(v) => integer(v, &format!("endpoints.{key}.{name}"), 0, max, line),
                None => Err(at(&format!("`{name}` is missing"))),
            }
        };
        let ep_id = field("epId", 0xFF)?;
        if ep_id != u64::from(number) {
            return Err(at(&format!("`epId` is {ep_id}")));
        }
        let clusters = |name: &str| -> std::result::Result<Vec<u16>, FormatError> {
            match ep.get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) if items.len() <= usize::from(u8::MAX) => items
                    .iter()
                    .map(|c| {
                        integer(c, &format!("endpoints.{key}.{name}[]"), 0, 0xFFFF, line)
                            .map(|c| c as u16)
                    })
                    .collect(),
                Some(_) => Err(at(&format!("`{name}` is not a list of up to 255 clusters"))),
            }
        };
        out.push(HerdsmanEndpoint {
            endpoint: number,
            profile: field("profId", 0xFFFF)? as u16,
            device_id: field("devId", 0xFFFF)? as u16,
            in_clusters: clusters("inClusterList")?,
            out_clusters: clusters("outClusterList")?,
        });
    }
    out.sort_by_key(|e| e.endpoint);
    Ok(out)
}

/// `0x` and exactly 16 hex digits (herdsman writes them lowercase).
pub fn ieee_address(text: &str) -> std::result::Result<u64, String> {
    let digits = text
        .strip_prefix("0x")
        .filter(|d| d.len() == 16 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("IEEE address {text:?} is not 0x and 16 hex digits"))?;
    u64::from_str_radix(digits, 16).map_err(|e| e.to_string())
}

fn text_field<'a>(
    entry: &'a Map<String, Value>,
    name: &str,
    line: usize,
) -> std::result::Result<Option<&'a str>, FormatError> {
    match entry.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FormatError::at(line, format!("`{name}` is not a string"))),
    }
}

fn optional_integer(
    entry: &Map<String, Value>,
    name: &str,
    min: u64,
    max: u64,
    line: usize,
) -> std::result::Result<Option<u64>, FormatError> {
    match entry.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => integer(v, name, min, max, line).map(Some),
    }
}

fn integer(
    value: &Value,
    name: &str,
    min: u64,
    max: u64,
    line: usize,
) -> std::result::Result<u64, FormatError> {
    value
        .as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| FormatError::at(line, format!("`{name}` is not an integer {min}..={max}")))
}

/// What `devices:` of `configuration.yaml` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicesSection {
    /// The names themselves (an absent or empty section is an empty map).
    Names(BTreeMap<u64, String>),
    /// The names are in these files, relative to the data directory.
    Files(Vec<String>),
}

/// Parses `configuration.yaml` for its `devices:` section: a map of IEEE address to
/// `{friendly_name: …}`, or the name of a devices file, or a list of them. Other sections are
/// not read, but the whole file must be valid YAML.
pub fn parse_friendly_names(text: &str) -> std::result::Result<DevicesSection, FormatError> {
    let root = single_document(text)?;
    let devices = match &root {
        Yaml::Hash(map) => map.get(&Yaml::String("devices".into())),
        Yaml::Null => None,
        _ => return Err(FormatError::new("the configuration is not a mapping")),
    };
    match devices {
        None | Some(Yaml::Null) => Ok(DevicesSection::Names(BTreeMap::new())),
        Some(Yaml::String(file)) => Ok(DevicesSection::Files(vec![file.clone()])),
        Some(Yaml::Array(files)) => files
            .iter()
            .map(|f| match f {
                Yaml::String(s) => Ok(s.clone()),
                _ => Err(FormatError::new(
                    "`devices:` lists something other than file names",
                )),
            })
            .collect::<std::result::Result<_, _>>()
            .map(DevicesSection::Files),
        Some(section) => names_of(section, "devices").map(DevicesSection::Names),
    }
}

/// Parses a separate devices file: the same map of IEEE address to `{friendly_name: …}` as
/// `devices:`, at the top level.
pub fn parse_devices_file(text: &str) -> std::result::Result<BTreeMap<u64, String>, FormatError> {
    match single_document(text)? {
        Yaml::Null => Ok(BTreeMap::new()),
        root => names_of(&root, "the devices file"),
    }
}

fn single_document(text: &str) -> std::result::Result<Yaml, FormatError> {
    let mut documents =
        YamlLoader::load_from_str(text).map_err(|e| FormatError::new(format!("not YAML: {e}")))?;
    match documents.len() {
        0 => Ok(Yaml::Null),
        1 => Ok(documents.remove(0)),
        n => Err(FormatError::new(format!(
            "{n} YAML documents; expected one"
        ))),
    }
}

fn names_of(
    section: &Yaml,
    place: &str,
) -> std::result::Result<BTreeMap<u64, String>, FormatError> {
    let Yaml::Hash(map) = section else {
        return Err(FormatError::new(format!("{place} is not a mapping")));
    };
    let mut names = BTreeMap::new();
    for (key, device) in map {
        let Yaml::String(address) = key else {
            return Err(FormatError::new(format!(
                "{place}: a key is not an IEEE address string"
            )));
        };
        let eui64 = ieee_address(address).map_err(|e| FormatError::new(format!("{place}: {e}")))?;
        let at = |what: &str| FormatError::new(format!("{place}.{address}: {what}"));
        let name = match device {
            Yaml::Hash(fields) => match fields.get(&Yaml::String("friendly_name".into())) {
                None => continue,
                Some(Yaml::String(name)) => name.clone(),
                Some(Yaml::Integer(n)) => n.to_string(),
                Some(Yaml::Real(n)) => n.clone(),
                Some(_) => return Err(at("`friendly_name` is not text")),
            },
            Yaml::Null => continue,
            _ => return Err(at("not a mapping")),
        };
        let name = checked_name(&name).map_err(|why| at(&why))?;
        if names.insert(eui64, name).is_some() {
            return Err(at("named twice"));
        }
    }
    Ok(names)
}

/// A friendly name as sealhub keeps it: trimmed, not empty, at most [`MAX_NAME_CHARS`]
/// characters, no control characters.
pub fn checked_name(name: &str) -> std::result::Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("`friendly_name` is empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "`friendly_name` is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("`friendly_name` has a control character".into());
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_router_line_gives_its_address_names_and_clusters() {
        let line = r#"{"id":2,"type":"Router","ieeeAddr":"0x0017880100a1b2c3","nwkAddr":12345,"manufId":4107,"manufName":"Signify Netherlands B.V.","powerSource":"Mains (single phase)","modelId":"LCT001","epList":[11,242],"endpoints":{"11":{"profId":260,"epId":11,"devId":528,"inClusterList":[0,3,4,5,6,8,768],"outClusterList":[25],"clusters":{},"binds":[],"configuredReportings":[],"meta":{}},"242":{"profId":41440,"epId":242,"devId":97,"inClusterList":[],"outClusterList":[33]}},"interviewCompleted":true,"interviewState":"SUCCESSFUL","meta":{}}"#;
        let db = parse_database(line).expect("parses");
        let d = &db.devices[0];
        assert_eq!(d.eui64, 0x0017_8801_00a1_b2c3);
        assert_eq!(d.node_id, 12345);
        assert_eq!(d.kind, HerdsmanKind::Router);
        assert_eq!(d.manufacturer_code, Some(4107));
        assert_eq!(d.model.as_deref(), Some("LCT001"));
        assert_eq!(d.mains_powered, Some(true));
        assert!(d.interviewed);
        assert_eq!(d.endpoints.len(), 2);
        assert_eq!(d.endpoints[0].endpoint, 11);
        assert_eq!(d.endpoints[0].in_clusters, vec![0, 3, 4, 5, 6, 8, 768]);
        assert_eq!(d.endpoints[1].profile, 0xA1E0);
    }

    fn backup_with(coordinator: &str, extended_pan_id: &str) -> NetworkBackup {
        NetworkBackup::from_json(&format!(
            r#"{{"metadata":{{"format":"zigpy/open-coordinator-backup","version":1,"source":"zigbee-herdsman@10.9.5","internal":{{"ezspVersion":14}}}},
            "coordinator_ieee":"{coordinator}","pan_id":"1a2b","extended_pan_id":"{extended_pan_id}",
            "nwk_update_id":0,"security_level":5,"channel":15,"channel_mask":[15],
            "network_key":{{"key":"0123456789abcdeffedcba9876543210","sequence_number":0,"frame_counter":1}},
            "devices":[{{"nwk_address":null,"ieee_address":"01000000006f0d00"}}]}}"#
        ))
        .expect("backup parses")
    }

    #[test]
    fn a_backup_written_least_significant_byte_first_is_turned_around() {
        let db = parse_database(
            r#"{"id":1,"type":"Coordinator","ieeeAddr":"0x00124b0000abcdef","nwkAddr":0}"#,
        )
        .expect("parses");
        // As herdsman's ember adapter writes it: every 8-byte field in EZSP byte order.
        let mut ember = backup_with("efcdab00004b1200", "ddccbbaa44332211");
        match_byte_order(&mut ember, &db).expect("the coordinator matches reversed");
        assert_eq!(
            u64::from_le_bytes(ember.coordinator_ieee),
            0x0012_4b00_00ab_cdef
        );
        assert_eq!(
            u64::from_le_bytes(ember.extended_pan_id),
            0x1122_3344_aabb_ccdd
        );
        assert_eq!(
            u64::from_le_bytes(ember.devices[0].ieee_address),
            0x000d_6f00_0000_0001
        );
        // As the format says: left alone.
        let mut open = backup_with("00124b0000abcdef", "11223344aabbccdd");
        let before = open.clone();
        match_byte_order(&mut open, &db).expect("matches as written");
        assert_eq!(open, before);
        // Another network's backup.
        let mut other = backup_with("00124b0000abcdee", "11223344aabbccdd");
        let err = match_byte_order(&mut other, &db).expect_err("another coordinator");
        assert!(err.contains("different networks"), "{err}");
    }

    #[test]
    fn groups_are_counted_and_blank_lines_skipped() {
        let text = "\n{\"id\":9,\"type\":\"Group\",\"groupID\":1,\"members\":[]}\r\n\n";
        let db = parse_database(text).expect("parses");
        assert_eq!(db.groups, 1);
        assert!(db.devices.is_empty());
    }

    #[test]
    fn damaged_lines_are_refused_with_their_line_number() {
        let good = r#"{"id":1,"type":"Coordinator","ieeeAddr":"0x00124b0000000001","nwkAddr":0}"#;
        let cases = [
            ("{\"id\":2", "not JSON"),
            ("[1,2]", "not a JSON object"),
            (
                r#"{"id":2,"type":"Toaster","ieeeAddr":"0x1","nwkAddr":1}"#,
                "unknown",
            ),
            (
                r#"{"id":2,"type":"Router","ieeeAddr":"0x12","nwkAddr":1}"#,
                "IEEE address",
            ),
            (
                r#"{"id":2,"type":"Router","ieeeAddr":"0x00124b0000000002","nwkAddr":70000}"#,
                "nwkAddr",
            ),
            (
                r#"{"id":2,"type":"Router","ieeeAddr":"0x00124b0000000002","nwkAddr":1,"endpoints":{"0":{"profId":260,"epId":0,"devId":1}}}"#,
                "endpoint number",
            ),
            (
                r#"{"id":2,"type":"Router","ieeeAddr":"0x00124b0000000002","nwkAddr":1,"endpoints":{"1":{"profId":260,"epId":1,"devId":1,"inClusterList":[65536]}}}"#,
                "inClusterList",
            ),
            (
                r#"{"id":2,"type":"Router","ieeeAddr":"0x00124b0000000001","nwkAddr":1}"#,
                "also the device of line 1",
            ),
        ];
        for (line, expected) in cases {
            let err = parse_database(&format!("{good}\n{line}\n")).expect_err(line);
            assert_eq!(err.line, Some(2), "{line}: {err}");
            assert!(err.to_string().contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn friendly_names_come_from_the_devices_section() {
        let yaml = "homeassistant: false\nmqtt:\n  server: mqtt://localhost\ndevices:\n  '0x0017880100a1b2c3':\n    friendly_name: living room lamp\n    retain: false\n  '0x00158d0001d82999':\n    friendly_name: \"kitchen/door\"\n  '0x00158d0001d8299a': {}\n";
        let DevicesSection::Names(names) = parse_friendly_names(yaml).expect("parses") else {
            panic!("names expected");
        };
        assert_eq!(names.len(), 2);
        assert_eq!(names[&0x0017_8801_00a1_b2c3], "living room lamp");
        assert_eq!(names[&0x0015_8d00_01d8_2999], "kitchen/door");
    }

    #[test]
    fn a_devices_file_is_named_not_read() {
        assert_eq!(
            parse_friendly_names("devices: devices.yaml\n").expect("parses"),
            DevicesSection::Files(vec!["devices.yaml".into()])
        );
        assert_eq!(
            parse_friendly_names("devices: [a.yaml, b.yaml]\n").expect("parses"),
            DevicesSection::Files(vec!["a.yaml".into(), "b.yaml".into()])
        );
    }

    #[test]
    fn bad_names_and_addresses_are_refused() {
        for (yaml, expected) in [
            (
                "devices:\n  'lamp':\n    friendly_name: x\n",
                "IEEE address",
            ),
            (
                "devices:\n  '0x0017880100a1b2c3':\n    friendly_name: ''\n",
                "empty",
            ),
            (
                "devices:\n  '0x0017880100a1b2c3':\n    friendly_name: [a]\n",
                "not text",
            ),
            ("devices: [1]\n", "file names"),
            ("devices:\n  - a: [\n", "not YAML"),
            ("- a\n- b\n", "not a mapping"),
        ] {
            let err = parse_friendly_names(yaml).expect_err(yaml);
            assert!(err.to_string().contains(expected), "{yaml}: {err}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn endpoint() -> impl Strategy<Value = HerdsmanEndpoint> {
            (
                1u8..=254,
                any::<u16>(),
                any::<u16>(),
                proptest::collection::vec(any::<u16>(), 0..8),
                proptest::collection::vec(any::<u16>(), 0..8),
            )
                .prop_map(
                    |(endpoint, profile, device_id, in_clusters, out_clusters)| HerdsmanEndpoint {
                        endpoint,
                        profile,
                        device_id,
                        in_clusters,
                        out_clusters,
                    },
                )
        }

        fn device() -> impl Strategy<Value = HerdsmanDevice> {
            (
                any::<u64>(),
                any::<u16>(),
                prop_oneof![Just(HerdsmanKind::Router), Just(HerdsmanKind::EndDevice)],
                proptest::option::of(any::<u16>()),
                proptest::option::of("[ -~]{0,20}"),
                proptest::option::of(any::<bool>()),
                any::<bool>(),
                proptest::collection::btree_map(1u8..=254, endpoint(), 0..4),
            )
                .prop_map(
                    |(eui64, node_id, kind, code, model, mains, interviewed, endpoints)| {
                        HerdsmanDevice {
                            eui64,
                            node_id,
                            kind,
                            manufacturer_code: code,
                            manufacturer: model.clone().map(|m| format!("maker {m}")),
                            model,
                            mains_powered: mains,
                            interviewed,
                            endpoints: endpoints
                                .into_iter()
                                .map(|(n, mut e)| {
                                    e.endpoint = n;
                                    e
                                })
                                .collect(),
                        }
                    },
                )
        }

        /// The line herdsman's `toDatabaseEntry` would write for `d`.
        fn herdsman_line(d: &HerdsmanDevice) -> String {
            let endpoints: serde_json::Map<String, Value> = d
                .endpoints
                .iter()
                .map(|e| {
                    (
                        e.endpoint.to_string(),
                        serde_json::json!({
                            "profId": e.profile, "epId": e.endpoint, "devId": e.device_id,
                            "inClusterList": e.in_clusters, "outClusterList": e.out_clusters,
                            "clusters": {}, "binds": [], "configuredReportings": [], "meta": {}
                        }),
                    )
                })
                .collect();
            serde_json::json!({
                "id": 7,
                "type": if d.kind == HerdsmanKind::Router { "Router" } else { "EndDevice" },
                "ieeeAddr": format!("0x{:016x}", d.eui64),
                "nwkAddr": d.node_id,
                "manufId": d.manufacturer_code,
                "manufName": d.manufacturer,
                "modelId": d.model,
                "powerSource": d.mains_powered.map(|m| if m { "Mains (single phase)" } else { "Battery" }),
                "epList": d.endpoints.iter().map(|e| e.endpoint).collect::<Vec<_>>(),
                "endpoints": endpoints,
                "interviewCompleted": d.interviewed,
                "meta": {},
            })
            .to_string()
        }

        proptest! {
            #[test]
            fn herdsman_lines_parse_to_the_device_they_describe(d in device()) {
                let db = parse_database(&herdsman_line(&d)).expect("parses");
                prop_assert_eq!(db.devices, vec![d]);
            }

            #[test]
            fn any_text_is_parsed_or_refused_with_a_line_inside_it(text in "\\PC{0,200}") {
                if let Err(e) = parse_database(&text) {
                    let lines = text.split('\n').count();
                    prop_assert!(e.line.is_some_and(|l| (1..=lines).contains(&l)));
                }
                let _ = parse_friendly_names(&text);
            }

            #[test]
            fn names_in_yaml_come_back_as_written(
                names in proptest::collection::btree_map(any::<u64>(), "[a-zA-Z0-9][a-zA-Z0-9 _/-]{0,30}[a-zA-Z0-9]", 0..6)
            ) {
                let mut yaml = String::from("devices:\n");
                for (eui64, name) in &names {
                    yaml.push_str(&format!("  '0x{eui64:016x}':\n    friendly_name: '{name}'\n"));
                }
                let parsed = parse_friendly_names(&yaml).expect("parses");
                prop_assert_eq!(parsed, DevicesSection::Names(names));
            }
        }
    }
}
