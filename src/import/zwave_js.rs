//! Z-Wave JS's (and Z-Wave JS UI's) files, read for `sealhub import zwave-js DIR`: pure parsers
//! of its network cache and keys, and [`read_dir`], which finds and reads them. What they hold
//! is written into the store by [`super::register`].
//!
//! - The network cache `<homeid>.jsonl` (home id in lowercase hex, as zwave-js names it): a
//!   `jsonl-db` file, one JSON object per line, `{"k": key, "v": value}` setting a key and
//!   `{"k": key}` deleting it, later lines winning. The keys are zwave-js's `cacheKeys`
//!   (`packages/zwave-js/src/lib/driver/NetworkCache.ts`): `node.<id>.deviceClass` (`{basic,
//!   generic, specific}`), `node.<id>.isListening`, `node.<id>.isFrequentListening`,
//!   `node.<id>.nodeType` (`"Controller"` or `"End Node"`), `node.<id>.securityClasses.<class>`
//!   (a boolean per class: `S2_AccessControl`, `S2_Authenticated`, `S2_Unauthenticated`,
//!   `S0_Legacy`) and `node.<id>.endpoint.<n>.commandClass.0x<cc>` (`{isSupported,
//!   isControlled, secure, version}`). Parsed by [`parse_network_cache`].
//! - Its values, `<homeid>.values.jsonl`, the same format with value ids as keys (the JSON text
//!   of `{nodeId, commandClass, endpoint, property}`): only Manufacturer Specific's
//!   `manufacturerId`, `productType` and `productId` are read. Optional; [`parse_values`].
//! - The older single-file cache `<homeid>.json` (zwave-js before version 8, which migrates it):
//!   `nodes.<id>` with the same node fields and `commandClasses.0x<cc>.endpoints.<n>`. Read
//!   when there is no `.jsonl`; [`parse_legacy_cache`].
//! - The keys: Z-Wave JS UI's `settings.json` (`zwave.securityKeys`), or a keys file given
//!   with `--keys` holding the `securityKeys` object zwave-js's driver options take (or a whole
//!   `settings.json`): `{"S0_Legacy": "<32 hex digits>", "S2_Unauthenticated": …,
//!   "S2_Authenticated": …, "S2_AccessControl": …}`. Parsed by [`parse_keys`].
//!
//! The cache and keys are looked for in DIR itself and in `DIR/cache` (zwave-js's default
//! cache directory); Z-Wave JS UI keeps both in its `store` directory, which is the DIR to give.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use sealhub_radios::zwave::security::Key128;
use serde_json::Value;
use zeroize::Zeroizing;

use super::{Error, FormatError, Result, damaged, read_optional, read_required};

/// Z-Wave JS UI's settings file.
pub const SETTINGS_FILE: &str = "settings.json";

/// The highest node id (Z-Wave Long Range ends at 4000).
pub const MAX_NODE_ID: u16 = 4000;

/// One supported command class of a node's end point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedCommandClass {
    /// The command class id.
    pub cc: u8,
    /// Supported only under security.
    pub secure: bool,
    /// Its version, when zwave-js learnt it (0 means not learnt).
    pub version: u8,
}

/// A node, as zwave-js's cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedNode {
    /// The node id.
    pub node: u16,
    /// `(basic, generic, specific)` device classes.
    pub device_class: Option<(u8, u8, u8)>,
    /// Always listening (mains powered).
    pub listening: Option<bool>,
    /// A FLiRS node (woken by a beam).
    pub frequent_listening: bool,
    /// `nodeType` is `Controller`.
    pub controller: bool,
    /// The classes the cache says were granted (`true`) to it.
    pub granted: KeyClasses,
    /// Supported command classes by end point (0: the root device).
    pub endpoints: BTreeMap<u8, Vec<CachedCommandClass>>,
    /// `(manufacturer id, product type, product id)`, from the values file.
    pub product: Option<(u16, u16, u16)>,
}

impl Default for CachedNode {
    fn default() -> Self {
        CachedNode {
            node: 0,
            device_class: None,
            listening: None,
            frequent_listening: false,
            controller: false,
            granted: KeyClasses::empty(),
            endpoints: BTreeMap::new(),
            product: None,
        }
    }
}

/// The nodes of one network cache, by node id.
pub type NetworkCache = BTreeMap<u16, CachedNode>;

/// The four network keys of Z-Wave JS, each optional; zeroized on drop, never printed.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct NetworkKeys(pub BTreeMap<SecurityClass, Key128>);

impl std::fmt::Debug for NetworkKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A Z-Wave JS network, read and checked.
#[derive(Debug)]
pub struct ZwaveJsHome {
    /// The network's home id (from the cache's file name).
    pub home_id: u32,
    /// Its nodes, the controller included.
    pub nodes: NetworkCache,
    /// The network keys.
    pub keys: NetworkKeys,
}

/// Finds and reads Z-Wave JS's files in `dir` (and `dir/cache`); `keys_file` overrides where
/// the keys come from.
pub fn read_dir(dir: &Path, keys_file: Option<&Path>) -> Result<ZwaveJsHome> {
    let (home_id, cache_dir, cache_file) = find_cache(dir)?;
    let text = read_required(&cache_file, "the network cache")?;
    let mut nodes = if cache_file.extension().is_some_and(|e| e == "jsonl") {
        parse_network_cache(&text)
    } else {
        parse_legacy_cache(&text)
    }
    .map_err(damaged(&cache_file))?;
    let values_file = cache_dir.join(format!("{home_id:x}.values.jsonl"));
    if let Some(text) = read_optional(&values_file)? {
        let products = parse_values(&text).map_err(damaged(&values_file))?;
        for (node, product) in products {
            if let Some(n) = nodes.get_mut(&node) {
                n.product = Some(product);
            }
        }
    }
    let keys_file = match keys_file {
        Some(f) => f.to_owned(),
        None => [dir.join(SETTINGS_FILE), cache_dir.join(SETTINGS_FILE)]
            .into_iter()
            .find(|f| f.is_file())
            .ok_or_else(|| Error::File {
                file: dir.join(SETTINGS_FILE),
                what: "missing (Z-Wave JS UI keeps the network keys there; with Z-Wave JS \
                       alone, give the keys as a file with --keys)"
                    .into(),
            })?,
    };
    let text = Zeroizing::new(read_required(&keys_file, "the network keys")?);
    let keys = parse_keys(&text).map_err(damaged(&keys_file))?;
    Ok(ZwaveJsHome {
        home_id,
        nodes,
        keys,
    })
}

/// The one network cache in `dir` or `dir/cache`: `(home id, its directory, the file)`.
fn find_cache(dir: &Path) -> Result<(u32, PathBuf, PathBuf)> {
    let mut found = Vec::new();
    for place in [dir.to_owned(), dir.join("cache")] {
        let Ok(entries) = std::fs::read_dir(&place) else {
            continue;
        };
        let mut jsonl = Vec::new();
        let mut legacy = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = name.strip_suffix(".jsonl").and_then(home_id_of) {
                jsonl.push((id, place.clone(), entry.path()));
            } else if let Some(id) = name.strip_suffix(".json").and_then(home_id_of) {
                legacy.push((id, place.clone(), entry.path()));
            }
        }
        // A `.json` beside a `.jsonl` of the same network was migrated: the `.jsonl` wins.
        legacy.retain(|(id, _, _)| !jsonl.iter().any(|(j, _, _)| j == id));
        found.extend(jsonl);
        found.extend(legacy);
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::File {
            file: dir.join("<homeid>.jsonl"),
            what: "missing: no Z-Wave JS network cache in this directory or its `cache` \
                   directory"
                .into(),
        }),
        _ => Err(Error::Conflict(format!(
            "{} holds the caches of {} networks ({}); move the others away and import again",
            dir.display(),
            found.len(),
            found
                .iter()
                .map(|(_, _, f)| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A home id file-name stem: 1 to 8 hex digits.
fn home_id_of(stem: &str) -> Option<u32> {
    if stem.is_empty() || stem.len() > 8 || !stem.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(stem, 16).ok()
}

/// Reads a `jsonl-db` file into its final key/value map.
fn jsonl_entries(text: &str) -> std::result::Result<BTreeMap<String, Value>, FormatError> {
    let mut entries = BTreeMap::new();
    for (index, line) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line)
            .map_err(|e| FormatError::at(number, format!("not JSON: {e}")))?;
        let Value::Object(mut entry) = value else {
            return Err(FormatError::at(number, "not a JSON object"));
        };
        let Some(Value::String(key)) = entry.remove("k") else {
            return Err(FormatError::at(number, "`k` is missing or not a string"));
        };
        match entry.remove("v") {
            Some(v) => {
                entries.insert(key, v);
            }
            None => {
                entries.remove(&key);
            }
        }
    }
    Ok(entries)
}

/// Parses the network cache (`<homeid>.jsonl`) into its nodes. Keys of other things
/// (controller settings, routes) are ignored; a node key whose value has the wrong shape is
/// refused, naming the key.
pub fn parse_network_cache(text: &str) -> std::result::Result<NetworkCache, FormatError> {
    let entries = jsonl_entries(text)?;
    let mut nodes = NetworkCache::new();
    for (key, value) in &entries {
        let Some(rest) = key.strip_prefix("node.") else {
            continue;
        };
        let Some((id, property)) = rest.split_once('.') else {
            continue;
        };
        let bad = |what: &str| FormatError::new(format!("`{key}`: {what}"));
        let node = node_id(id).ok_or_else(|| bad("not a node id 1..=4000"))?;
        let entry = nodes.entry(node).or_insert_with(|| CachedNode {
            node,
            ..CachedNode::default()
        });
        node_property(entry, property, value).map_err(|why| bad(&why))?;
    }
    Ok(nodes)
}

fn node_id(text: &str) -> Option<u16> {
    if text.starts_with('0') {
        return None;
    }
    text.parse().ok().filter(|n| (1..=MAX_NODE_ID).contains(n))
}

/// One `node.<id>.<property>` value into the node.
fn node_property(
    node: &mut CachedNode,
    property: &str,
    value: &Value,
) -> std::result::Result<(), String> {
    if let Some(class) = property.strip_prefix("securityClasses.") {
        let Value::Bool(granted) = value else {
            return Err("not a boolean".into());
        };
        let Some(class) = security_class(class) else {
            // A class zwave-js may add later (Long Range, …): nothing sealhub can use.
            return Ok(());
        };
        node.granted.set(class.bit(), *granted);
        return Ok(());
    }
    if let Some(rest) = property.strip_prefix("endpoint.") {
        let Some((endpoint, cc)) = rest.split_once(".commandClass.") else {
            return Ok(());
        };
        let endpoint: u8 = endpoint
            .parse()
            .ok()
            .filter(|e| *e <= 127)
            .ok_or("not an end point 0..=127")?;
        let cc = cc
            .strip_prefix("0x")
            .filter(|h| h.len() == 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or("not a command class 0x00..=0xff")?;
        let info = command_class_info(value)?;
        if let Some((secure, version)) = info {
            let list = node.endpoints.entry(endpoint).or_default();
            list.retain(|c| c.cc != cc);
            list.push(CachedCommandClass {
                cc,
                secure,
                version,
            });
            list.sort_by_key(|c| c.cc);
        }
        return Ok(());
    }
    match property {
        "deviceClass" => node.device_class = Some(device_class(value)?),
        "isListening" => node.listening = Some(value.as_bool().ok_or("not a boolean")?),
        "isFrequentListening" => {
            node.frequent_listening = match value {
                Value::Bool(b) => *b,
                Value::String(s) if s == "1000ms" || s == "250ms" => true,
                _ => return Err("not false, \"250ms\" or \"1000ms\"".into()),
            }
        }
        "nodeType" => {
            node.controller = match value.as_str() {
                Some("Controller") => true,
                Some("End Node") | Some("Slave") => false,
                _ => return Err("not \"Controller\" or \"End Node\"".into()),
            }
        }
        _ => {}
    }
    Ok(())
}

/// zwave-js's name of a security class.
pub fn security_class(name: &str) -> Option<SecurityClass> {
    Some(match name {
        "S2_AccessControl" => SecurityClass::S2AccessControl,
        "S2_Authenticated" => SecurityClass::S2Authenticated,
        "S2_Unauthenticated" => SecurityClass::S2Unauthenticated,
        "S0_Legacy" => SecurityClass::S0Legacy,
        _ => return None,
    })
}

fn device_class(value: &Value) -> std::result::Result<(u8, u8, u8), String> {
    let byte = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_u64)
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| format!("`{name}` is not a byte"))
    };
    Ok((byte("basic")?, byte("generic")?, byte("specific")?))
}

/// `{isSupported, secure, version}`: `Some((secure, version))` when supported.
fn command_class_info(value: &Value) -> std::result::Result<Option<(bool, u8)>, String> {
    let Value::Object(info) = value else {
        return Err("not an object".into());
    };
    let flag = |name: &str| match info.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("`{name}` is not a boolean")),
    };
    let version = match info.get("version") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .ok_or("`version` is not a byte")?,
    };
    let supported = flag("isSupported")?;
    let secure = flag("secure")?;
    Ok(supported.then_some((secure, version)))
}

/// Parses the values file (`<homeid>.values.jsonl`) for each node's Manufacturer Specific ids.
pub fn parse_values(
    text: &str,
) -> std::result::Result<BTreeMap<u16, (u16, u16, u16)>, FormatError> {
    let entries = jsonl_entries(text)?;
    let mut parts: BTreeMap<u16, [Option<u16>; 3]> = BTreeMap::new();
    for (key, value) in &entries {
        // Value ids are JSON; other keys of the file are not node values.
        let Ok(Value::Object(id)) = serde_json::from_str::<Value>(key) else {
            continue;
        };
        let is = |name: &str, want: u64| id.get(name).and_then(Value::as_u64) == Some(want);
        if !is("commandClass", 0x72) || !is("endpoint", 0) {
            continue;
        }
        let slot = match id.get("property").and_then(Value::as_str) {
            Some("manufacturerId") => 0,
            Some("productType") => 1,
            Some("productId") => 2,
            _ => continue,
        };
        let bad = |what: &str| FormatError::new(format!("value {key}: {what}"));
        let node = id
            .get("nodeId")
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (1..=MAX_NODE_ID).contains(n))
            .ok_or_else(|| bad("`nodeId` is not a node id"))?;
        let number = value
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| bad("not a 16-bit number"))?;
        if let Some(part) = parts.entry(node).or_default().get_mut(slot) {
            *part = Some(number);
        }
    }
    Ok(parts
        .into_iter()
        .filter_map(|(node, p)| match p {
            [Some(m), Some(t), Some(i)] => Some((node, (m, t, i))),
            _ => None,
        })
        .collect())
}

/// Parses the older single-file cache (`<homeid>.json`).
pub fn parse_legacy_cache(text: &str) -> std::result::Result<NetworkCache, FormatError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| FormatError::new(format!("not JSON: {e}")))?;
    let nodes_value = match &value {
        Value::Object(top) => top.get("nodes"),
        _ => return Err(FormatError::new("not a JSON object")),
    };
    let Some(Value::Object(list)) = nodes_value else {
        return Err(FormatError::new("`nodes` is missing or not an object"));
    };
    let mut nodes = NetworkCache::new();
    for (key, node) in list {
        let bad = |what: &str| FormatError::new(format!("`nodes.{key}`: {what}"));
        let Value::Object(fields) = node else {
            return Err(bad("not an object"));
        };
        let id = node_id(key).ok_or_else(|| bad("not a node id 1..=4000"))?;
        if fields.get("id").and_then(Value::as_u64) != Some(u64::from(id)) {
            return Err(bad("`id` is not the node's id"));
        }
        let mut entry = CachedNode {
            node: id,
            ..CachedNode::default()
        };
        for property in [
            "deviceClass",
            "isListening",
            "isFrequentListening",
            "nodeType",
        ] {
            if let Some(v) = fields.get(property).filter(|v| !v.is_null()) {
                node_property(&mut entry, property, v)
                    .map_err(|why| bad(&format!("`{property}`: {why}")))?;
            }
        }
        if let Some(classes) = fields.get("securityClasses") {
            let Value::Object(classes) = classes else {
                return Err(bad("`securityClasses` is not an object"));
            };
            for (class, granted) in classes {
                node_property(&mut entry, &format!("securityClasses.{class}"), granted)
                    .map_err(|why| bad(&format!("`securityClasses.{class}`: {why}")))?;
            }
        }
        if let Some(ccs) = fields.get("commandClasses") {
            legacy_command_classes(&mut entry, ccs).map_err(|why| bad(&why))?;
        }
        nodes.insert(id, entry);
    }
    Ok(nodes)
}

fn legacy_command_classes(node: &mut CachedNode, ccs: &Value) -> std::result::Result<(), String> {
    let Value::Object(ccs) = ccs else {
        return Err("`commandClasses` is not an object".into());
    };
    for (cc, info) in ccs {
        let endpoints = match info.get("endpoints") {
            Some(Value::Object(e)) => e,
            Some(_) => return Err(format!("`commandClasses.{cc}.endpoints` is not an object")),
            None => continue,
        };
        for (endpoint, value) in endpoints {
            node_property(
                node,
                &format!("endpoint.{endpoint}.commandClass.{cc}"),
                value,
            )
            .map_err(|why| format!("`commandClasses.{cc}.endpoints.{endpoint}`: {why}"))?;
        }
    }
    Ok(())
}

/// Parses the network keys: Z-Wave JS UI's `settings.json` (`zwave.securityKeys`), or an
/// object with `securityKeys`, or the keys object itself. Each key is 32 hex digits; unknown
/// class names are refused (a typo would silently drop a key).
pub fn parse_keys(text: &str) -> std::result::Result<NetworkKeys, FormatError> {
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| FormatError::new(format!("not JSON: {e}")))?;
    let result = keys_of(&value);
    wipe(&mut value);
    result
}

fn keys_of(value: &Value) -> std::result::Result<NetworkKeys, FormatError> {
    let Value::Object(top) = value else {
        return Err(FormatError::new("not a JSON object"));
    };
    let (place, keys) = if let Some(zwave) = top.get("zwave") {
        match zwave.get("securityKeys") {
            Some(k) => ("zwave.securityKeys", k),
            None => {
                return Err(FormatError::new(
                    "`zwave.securityKeys` is missing: Z-Wave JS UI has no keys yet",
                ));
            }
        }
    } else if let Some(k) = top.get("securityKeys") {
        ("securityKeys", k)
    } else {
        ("", value)
    };
    let Value::Object(keys) = keys else {
        return Err(FormatError::new(format!("`{place}` is not an object")));
    };
    let mut out = BTreeMap::new();
    for (name, key) in keys {
        let path = if place.is_empty() {
            name.clone()
        } else {
            format!("{place}.{name}")
        };
        let class = security_class(name)
            .ok_or_else(|| FormatError::new(format!("`{path}` is not a security class")))?;
        match key {
            // Z-Wave JS UI writes an empty string for a key it has not made.
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) => {
                out.insert(
                    class,
                    hex_key(s).map_err(|why| FormatError::new(format!("`{path}`: {why}")))?,
                );
            }
            _ => return Err(FormatError::new(format!("`{path}` is not a hex string"))),
        }
    }
    if out.is_empty() {
        return Err(FormatError::new("no network key in it"));
    }
    Ok(NetworkKeys(out))
}

fn hex_key(text: &str) -> std::result::Result<Key128, String> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{} characters; expected 32 hex digits",
            text.chars().count()
        ));
    }
    let mut bytes = Zeroizing::new([0u8; 16]);
    hex::decode_to_slice(text, &mut bytes[..]).map_err(|e| e.to_string())?;
    Ok(Key128::new(*bytes))
}

/// Zeroizes every string of a JSON tree (the parsed keys).
fn wipe(value: &mut Value) {
    use zeroize::Zeroize;
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CLASS_NAMES: [&str; 4] = [
        "S2_AccessControl",
        "S2_Authenticated",
        "S2_Unauthenticated",
        "S0_Legacy",
    ];

    #[test]
    fn later_lines_win_and_a_line_without_v_deletes() {
        let text = concat!(
            "{\"k\":\"node.9.securityClasses.S0_Legacy\",\"v\":true}\n",
            "{\"k\":\"node.9.securityClasses.S0_Legacy\",\"v\":false}\n",
            "{\"k\":\"node.9.endpoint.0.commandClass.0x25\",\"v\":{\"isSupported\":true,\"secure\":true,\"version\":2}}\n",
            "{\"k\":\"node.9.endpoint.0.commandClass.0x26\",\"v\":{\"isSupported\":true}}\n",
            "{\"k\":\"node.9.endpoint.0.commandClass.0x26\"}\n",
            "{\"k\":\"controller.provisioningList\",\"v\":[]}\n",
        );
        let nodes = parse_network_cache(text).expect("parses");
        let node = &nodes[&9];
        assert!(node.granted.is_empty());
        assert_eq!(
            node.endpoints[&0],
            vec![CachedCommandClass {
                cc: 0x25,
                secure: true,
                version: 2
            }]
        );
    }

    #[test]
    fn node_ids_and_command_classes_out_of_range_are_refused() {
        for (line, expected) in [
            ("{\"k\":\"node.0.isListening\",\"v\":true}", "node id"),
            ("{\"k\":\"node.4001.isListening\",\"v\":true}", "node id"),
            ("{\"k\":\"node.02.isListening\",\"v\":true}", "node id"),
            (
                "{\"k\":\"node.2.endpoint.0.commandClass.0x125\",\"v\":{}}",
                "command class",
            ),
            (
                "{\"k\":\"node.2.endpoint.128.commandClass.0x25\",\"v\":{}}",
                "end point",
            ),
            (
                "{\"k\":\"node.2.deviceClass\",\"v\":{\"basic\":4,\"generic\":256,\"specific\":1}}",
                "generic",
            ),
            ("{\"k\":\"node.2.isListening\",\"v\":1}", "boolean"),
        ] {
            let err = parse_network_cache(line).expect_err(line);
            assert!(err.to_string().contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn keys_are_found_in_settings_in_securitykeys_or_alone() {
        let key = "000102030405060708090a0b0c0d0e0f";
        for text in [
            format!("{{\"zwave\":{{\"securityKeys\":{{\"S0_Legacy\":\"{key}\"}}}}}}"),
            format!("{{\"securityKeys\":{{\"S0_Legacy\":\"{key}\"}}}}"),
            format!("{{\"S0_Legacy\":\"{key}\",\"S2_Authenticated\":\"\"}}"),
        ] {
            let keys = parse_keys(&text).expect("parses");
            assert_eq!(keys.0.len(), 1, "{text}");
            let expected: [u8; 16] = core::array::from_fn(|i| i as u8);
            assert_eq!(keys.0[&SecurityClass::S0Legacy].as_bytes(), &expected);
            assert!(!format!("{keys:?}").contains("0102"));
        }
        assert!(parse_keys("{\"zwave\":{}}").is_err());
        assert!(parse_keys("{}").is_err());
    }

    proptest! {
        #[test]
        fn granted_classes_and_command_classes_come_back(
            node in 1u16..=MAX_NODE_ID,
            granted in proptest::collection::vec(any::<bool>(), 4),
            ccs in proptest::collection::btree_map(any::<u8>(), (any::<bool>(), any::<u8>()), 0..10),
        ) {
            let mut text = String::new();
            for (name, on) in CLASS_NAMES.iter().zip(&granted) {
                text.push_str(&format!("{{\"k\":\"node.{node}.securityClasses.{name}\",\"v\":{on}}}\n"));
            }
            for (cc, (secure, version)) in &ccs {
                text.push_str(&format!(
                    "{{\"k\":\"node.{node}.endpoint.0.commandClass.0x{cc:02x}\",\"v\":{{\"isSupported\":true,\"isControlled\":false,\"secure\":{secure},\"version\":{version}}}}}\n"
                ));
            }
            let nodes = parse_network_cache(&text).expect("parses");
            let parsed = &nodes[&node];
            for (name, on) in CLASS_NAMES.iter().zip(&granted) {
                let class = security_class(name).expect("known");
                prop_assert_eq!(parsed.granted.contains(class.bit()), *on);
            }
            let expected: Vec<CachedCommandClass> = ccs
                .iter()
                .map(|(cc, (secure, version))| CachedCommandClass { cc: *cc, secure: *secure, version: *version })
                .collect();
            prop_assert_eq!(parsed.endpoints.get(&0).cloned().unwrap_or_default(), expected);
        }

        #[test]
        fn keys_written_as_hex_come_back(keys in proptest::collection::btree_map(0usize..4, any::<[u8; 16]>(), 1..=4)) {
            let object: serde_json::Map<String, Value> = keys
                .iter()
                .map(|(i, k)| (CLASS_NAMES[*i].to_owned(), Value::String(hex::encode_upper(k))))
                .collect();
            let parsed = parse_keys(&Value::Object(object).to_string()).expect("parses");
            prop_assert_eq!(parsed.0.len(), keys.len());
            for (i, k) in &keys {
                let class = security_class(CLASS_NAMES[*i]).expect("known");
                prop_assert_eq!(parsed.0[&class].as_bytes(), k);
            }
        }

        #[test]
        fn any_text_is_parsed_or_refused(text in "\\PC{0,200}") {
            let _ = parse_network_cache(&text);
            let _ = parse_values(&text);
            let _ = parse_legacy_cache(&text);
            let _ = parse_keys(&text);
        }
    }
}
