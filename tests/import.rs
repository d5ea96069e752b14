//! `sealhub import` on recorded sample files (`tests/vectors/import/`, written from the formats'
//! public descriptions; see tests/vectors/README.md): what lands in the sealed store (the
//! network, the keys, every device with its key, certificate and name), that a second import
//! changes nothing, and that missing, damaged and conflicting files are refused with the file
//! named and nothing written.

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use sealhub::definitions::Definitions;
use sealhub::gateway::ZigbeeOp;
use sealhub::gateway::core::registry::{Address, Interview, Registry};
use sealhub::gateway::core::{Gateway, GatewayConfig, Input, Output, RadioTranslation};
use sealhub::import::{self, Error, register};
use sealhub::model::{zigbee_device_id, zwave_device_id};
use sealhub::radio::zigbee_network::ZigbeeNetwork;
use sealhub::radio::zwave_keys::{SealedNetworkKeys, SealedNodeGrants};
use sealhub::radio::zwave_nodes::SealedNodeDescriptions;
use sealhub_radios::zigbee::driver::NetworkInfo;
use sealhub_radios::zwave::driver::keys::NetworkKeyStore;
use sealhub_radios::zwave::s2::{KeyClasses, SecurityClass};
use sealhub_radios::zwave::security::Key128;
use support::open_home;

const LAMP: u64 = 0x0017_8801_00a1_b2c3;
const DOOR: u64 = 0x0015_8d00_01d8_2999;
const HOME_ID: u32 = 0xd1a0_c3f5;

fn vectors(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/import")
        .join(name)
}

/// A copy of a sample directory, to damage.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = support::tempdir();
    for entry in std::fs::read_dir(vectors(name)).expect("vectors") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    dir
}

fn definitions() -> Definitions {
    Definitions::load(None).expect("built-in definitions")
}

fn import_z2m(data: &Path, dir: &Path) -> Result<import::ImportReport, Error> {
    let z2m = import::zigbee2mqtt::read_dir(dir)?;
    let (mut home, store) = open_home(data);
    let definitions = definitions();
    let mut target = register::Target {
        home: &mut home,
        store: &store,
        translation: &RadioTranslation,
        definitions: &definitions,
    };
    register::zigbee2mqtt(&mut target, &z2m)
}

fn import_zwave(
    data: &Path,
    dir: &Path,
    keys: Option<&Path>,
) -> Result<import::ImportReport, Error> {
    let zwave = import::zwave_js::read_dir(dir, keys)?;
    let (mut home, store) = open_home(data);
    let definitions = definitions();
    let mut target = register::Target {
        home: &mut home,
        store: &store,
        translation: &RadioTranslation,
        definitions: &definitions,
    };
    register::zwave_js(&mut target, &zwave)
}

#[test]
fn zigbee2mqtt_network_and_devices_land_in_the_store_with_keys_and_names() {
    let data = support::tempdir();
    let report = import_z2m(data.path(), &vectors("zigbee2mqtt")).expect("imports");
    let registered: Vec<_> = report.registered.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        registered,
        vec![zigbee_device_id(LAMP), zigbee_device_id(DOOR)]
    );
    // The coordinator is the hub; the device whose interview failed and the group are named.
    assert_eq!(report.skipped.len(), 2, "{report}");
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.contains("00124b0022aa5e01")),
        "{report}"
    );
    assert!(
        report.skipped.iter().any(|s| s.contains("group")),
        "{report}"
    );

    let (home, store) = open_home(data.path());
    // The network, exactly as Zigbee2MQTT's backup says (the frame counter moves forward when
    // it is restored onto a stick, not here).
    let network = ZigbeeNetwork::load(store.handle()).expect("network record");
    let stored = network.stored().expect("a network is stored");
    let original = sealhub_radios::zigbee::backup::NetworkBackup::from_json(
        &std::fs::read_to_string(vectors("zigbee2mqtt/coordinator_backup.json")).expect("read"),
    )
    .expect("sample parses");
    assert_eq!(stored, &original);
    assert!(stored.ezsp_hashed_tclk().expect("hashed key").is_some());

    // Each device: a certificate, and a registry record with its address, name and interview.
    let definitions = definitions();
    let registry =
        Registry::load(store.handle(), &RadioTranslation, &definitions).expect("registry");
    for (eui64, node_id, name, sleeps) in [
        (LAMP, 31260, "living room lamp", false),
        (DOOR, 12752, "front door", true),
    ] {
        let id = zigbee_device_id(eui64);
        let cert = home.device_certificate(&id).expect("a certificate");
        assert_eq!(cert.claims().subject, id.as_str());
        let entry = registry.get(&id).expect("a record");
        assert_eq!(entry.address, Address::Zigbee { eui64, node_id });
        assert_eq!(entry.name, name);
        assert_eq!(entry.sleeps, sleeps);
    }
    let lamp = registry.get(&zigbee_device_id(LAMP)).expect("lamp");
    let Interview::Zigbee(interview) = &lamp.interview else {
        panic!("a Zigbee interview");
    };
    assert_eq!(interview.model.as_deref(), Some("LCT015"));
    assert_eq!(
        interview.endpoints[0].in_clusters,
        vec![0, 3, 4, 5, 6, 8, 768, 4096]
    );
    // The lamp maps onto the model with its On/Off and level as if it had joined.
    let model = lamp.model();
    assert!(!model.endpoints.is_empty(), "{model:?}");

    // The gateway opens on the imported store and lists both devices under their names.
    drop(registry);
    let mut home = home;
    let (gateway, _) = Gateway::open(
        &mut home,
        store.handle(),
        definitions,
        Box::new(RadioTranslation),
        GatewayConfig::default(),
        Instant::now(),
    )
    .expect("gateway opens");
    let mut names: Vec<String> = gateway.devices().into_iter().map(|d| d.name).collect();
    names.sort();
    assert_eq!(names, ["front door", "living room lamp"]);

    // When the stick is up, each imported device is set up once (binds and reporting to the
    // hub, as for a device that joins), at its node id; not again at the next start.
    let mut gateway = gateway;
    let up = NetworkInfo {
        channel: 20,
        pan_id: 0x4f2e,
        extended_pan_id: 0xdd4f_2e11_2233_4455,
        eui64: 0xa4c1_38aa_bbcc_0011,
        node_id: 0,
    };
    let setups = |outputs: &[Output]| -> Vec<u16> {
        outputs
            .iter()
            .filter_map(|o| match o {
                Output::ZigbeeOps { node_id, ops, .. }
                    if ops.iter().any(|op| matches!(op, ZigbeeOp::Bind { .. })) =>
                {
                    Some(*node_id)
                }
                _ => None,
            })
            .collect()
    };
    let outputs = gateway.handle(&mut home, Input::ZigbeeUp(up), Instant::now());
    assert!(setups(&outputs).contains(&31260), "{outputs:?}");
    let outputs = gateway.handle(&mut home, Input::ZigbeeUp(up), Instant::now());
    assert!(setups(&outputs).is_empty(), "{outputs:?}");
}

#[test]
fn a_second_import_changes_nothing() {
    let data = support::tempdir();
    import_z2m(data.path(), &vectors("zigbee2mqtt")).expect("imports");
    let kid = {
        let (home, _) = open_home(data.path());
        home.device_certificate(&zigbee_device_id(LAMP))
            .expect("cert")
            .kid()
    };
    let again = import_z2m(data.path(), &vectors("zigbee2mqtt")).expect("imports again");
    assert!(again.registered.is_empty(), "{again}");
    assert_eq!(again.already_known.len(), 2, "{again}");
    let (home, _) = open_home(data.path());
    assert_eq!(
        home.device_certificate(&zigbee_device_id(LAMP))
            .expect("cert")
            .kid(),
        kid
    );
}

#[test]
fn missing_and_damaged_zigbee2mqtt_files_are_refused_naming_the_file() {
    let cases: [(&str, Option<&str>, &str); 5] = [
        (
            "coordinator_backup.json",
            None,
            "coordinator_backup.json: missing",
        ),
        ("database.db", None, "database.db: missing"),
        (
            "database.db",
            Some("{\"id\":2,\"type\":\"Router\",\"ieeeAddr\":\"0x12\",\"nwkAddr\":1}\n"),
            "database.db: damaged: line 1:",
        ),
        (
            "coordinator_backup.json",
            Some("{\"metadata\":{\"version\":1,\"source\":\"x@1\"}}"),
            "coordinator_backup.json: damaged: backup field",
        ),
        (
            "configuration.yaml",
            Some("devices:\n  lamp:\n    friendly_name: x\n"),
            "configuration.yaml: damaged: devices: IEEE address",
        ),
    ];
    for (file, content, expected) in cases {
        let dir = copy_of("zigbee2mqtt");
        match content {
            None => std::fs::remove_file(dir.path().join(file)).expect("remove"),
            Some(text) => std::fs::write(dir.path().join(file), text).expect("write"),
        }
        let data = support::tempdir();
        let err = import_z2m(data.path(), dir.path()).expect_err(expected);
        assert!(err.to_string().contains(expected), "{expected}: {err}");
        // Nothing was written: the files are read before the store is opened.
        assert!(
            !data.path().join(sealhub::store::DB_DIR_NAME).exists(),
            "{expected}"
        );
    }
}

#[test]
fn a_store_with_another_zigbee_network_is_not_overwritten() {
    let data = support::tempdir();
    import_z2m(data.path(), &vectors("zigbee2mqtt")).expect("imports");
    let other = copy_of("zigbee2mqtt");
    let backup = other.path().join("coordinator_backup.json");
    let text = std::fs::read_to_string(&backup).expect("read");
    std::fs::write(
        &backup,
        text.replace("dd4f2e1122334455", "dd4f2e1122334466"),
    )
    .expect("write");
    let err = import_z2m(data.path(), other.path()).expect_err("another network");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    let (_, store) = open_home(data.path());
    let network = ZigbeeNetwork::load(store).expect("network");
    assert_eq!(
        network.stored().expect("stored").extended_pan_id,
        0xdd4f_2e11_2233_4455u64.to_le_bytes()
    );
}

#[test]
fn zwave_js_ui_keys_grants_and_nodes_land_in_the_store() {
    let data = support::tempdir();
    let report = import_zwave(data.path(), &vectors("zwave-js-ui"), None).expect("imports");
    let registered: Vec<_> = report.registered.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        registered,
        [2, 3, 4].map(|n| zwave_device_id(HOME_ID, n)).to_vec(),
        "{report}"
    );
    // Node 5 never finished its interview; node 6 was deleted from the cache; node 1 is the
    // controller.
    assert_eq!(report.skipped.len(), 1, "{report}");
    assert!(report.skipped[0].contains(":5:"), "{report}");

    let (home, store) = open_home(data.path());
    let keys = SealedNetworkKeys::load(store.handle()).expect("keys");
    assert_eq!(keys.len(), 4);
    let key =
        |hex_key: &str| Key128::from_slice(&hex::decode(hex_key).expect("hex")).expect("16 bytes");
    assert_eq!(
        keys.key(SecurityClass::S2AccessControl),
        Some(key("31132050077310B6F7032F91C79C2EB8"))
    );
    assert_eq!(
        keys.key(SecurityClass::S0Legacy),
        Some(key("0102030405060708090A0B0C0D0E0F10"))
    );

    let grants = SealedNodeGrants::new(store.handle())
        .load_all()
        .expect("grants");
    assert_eq!(grants.len(), 2, "only secure nodes have a grant");
    assert_eq!(grants[&2].granted, KeyClasses::S2_ACCESS_CONTROL);
    assert_eq!(grants[&2].insecure, vec![0x5e, 0x6c, 0x9f]);
    assert_eq!(grants[&3].granted, KeyClasses::S0);
    assert_eq!(grants[&3].insecure, vec![0x5e, 0x98]);

    let descriptions = SealedNodeDescriptions::new(store.handle())
        .load_all()
        .expect("nodes");
    let lock = &descriptions[&2];
    assert_eq!(lock.security.as_deref(), Some("S2AccessControl"));
    let product = lock.product.expect("product ids");
    assert_eq!(
        (
            product.manufacturer_id,
            product.product_type,
            product.product_id
        ),
        (59, 1, 1128)
    );
    assert!(
        lock.command_classes
            .iter()
            .any(|c| c.cc == 0x62 && c.secure)
    );
    assert!(!lock.sleeps, "a FLiRS lock does not sleep");
    assert!(descriptions[&4].sleeps, "the sensor lists Wake Up");

    for node in [2, 3, 4] {
        let id = zwave_device_id(HOME_ID, node);
        assert!(
            home.device_certificate(&id).is_some(),
            "node {node} has a certificate"
        );
    }
}

#[test]
fn zwave_js_legacy_cache_with_a_keys_file() {
    let data = support::tempdir();
    let dir = vectors("zwave-js-legacy");
    let report = import_zwave(data.path(), &dir, Some(&dir.join("keys.json"))).expect("imports");
    assert_eq!(report.registered.len(), 1, "{report}");
    assert_eq!(report.registered[0].0, zwave_device_id(0xd1a0_c3f6, 7));
    let (_, store) = open_home(data.path());
    let grants = SealedNodeGrants::new(store.handle())
        .load_all()
        .expect("grants");
    assert_eq!(grants[&7].granted, KeyClasses::S2_AUTHENTICATED);
    assert_eq!(SealedNetworkKeys::load(store).expect("keys").len(), 2);
}

#[test]
fn zwave_js_without_a_key_for_a_granted_class_is_refused() {
    let dir = copy_of("zwave-js-legacy");
    std::fs::write(
        dir.path().join("keys.json"),
        r#"{"S0_Legacy": "0102030405060708090a0b0c0d0e0f10"}"#,
    )
    .expect("write");
    let data = support::tempdir();
    let err = import_zwave(data.path(), dir.path(), Some(&dir.path().join("keys.json")))
        .expect_err("S2 Authenticated key missing");
    assert!(err.to_string().contains("S2Authenticated"), "{err}");
    let (_, store) = open_home(data.path());
    assert!(
        SealedNetworkKeys::load(store).expect("keys").is_empty(),
        "nothing written"
    );
}

#[test]
fn zwave_js_keys_that_differ_from_the_stored_ones_are_refused() {
    let data = support::tempdir();
    {
        let (_, store) = open_home(data.path());
        let mut keys = SealedNetworkKeys::load(store).expect("keys");
        keys.import(SecurityClass::S0Legacy, &Key128::new([7; 16]))
            .expect("seal");
    }
    let err = import_zwave(data.path(), &vectors("zwave-js-ui"), None).expect_err("conflict");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    let (_, store) = open_home(data.path());
    let keys = SealedNetworkKeys::load(store).expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(
        keys.key(SecurityClass::S0Legacy),
        Some(Key128::new([7; 16]))
    );
}

#[test]
fn damaged_zwave_js_files_are_refused_naming_the_file() {
    for (file, content, expected) in [
        (
            "d1a0c3f5.jsonl",
            "{\"v\":1}\n",
            "d1a0c3f5.jsonl: damaged: line 1: `k`",
        ),
        (
            "d1a0c3f5.jsonl",
            "{\"k\":\"node.2.securityClasses.S0_Legacy\",\"v\":\"yes\"}\n",
            "node.2.securityClasses.S0_Legacy",
        ),
        (
            "settings.json",
            "{\"zwave\":{\"securityKeys\":{\"S0_Legacy\":\"0102\"}}}",
            "settings.json: damaged: `zwave.securityKeys.S0_Legacy`: 4 characters",
        ),
        (
            "settings.json",
            "{\"zwave\":{\"securityKeys\":{\"S3_Imaginary\":\"00\"}}}",
            "not a security class",
        ),
    ] {
        let dir = copy_of("zwave-js-ui");
        std::fs::write(dir.path().join(file), content).expect("write");
        let data = support::tempdir();
        let err = import_zwave(data.path(), dir.path(), None).expect_err(expected);
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
    let dir = copy_of("zwave-js-ui");
    std::fs::remove_file(dir.path().join("settings.json")).expect("remove");
    let err = import_zwave(support::tempdir().path(), dir.path(), None).expect_err("no keys");
    assert!(err.to_string().contains("settings.json: missing"), "{err}");
}

#[test]
fn the_binary_imports_and_says_what_it_did() {
    let data = support::tempdir();
    let data_dir = data.path().join("data");
    let out = support::binary::sealhub()
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["import", "zigbee2mqtt"])
        .arg(vectors("zigbee2mqtt"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("registered zb:0017880100a1b2c3 \"living room lamp\""),
        "{stdout}"
    );
    assert!(stdout.contains("2 device(s) registered"), "{stdout}");
    // The import created the home the way the first `sealhub run` does: with its rollback
    // guard, so the hub (which refuses a guarded home's store without one) accepts it.
    for guard_file in ["store.generation", "store.revocations"] {
        assert!(
            data_dir.join(guard_file).exists(),
            "no {guard_file} after the import"
        );
    }
    let out = support::binary::sealhub()
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("keys")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "the imported home does not open: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = support::binary::sealhub()
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["import", "zwave-js"])
        .arg(data.path().join("nowhere"))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no Z-Wave JS network cache"), "{stderr}");
}
