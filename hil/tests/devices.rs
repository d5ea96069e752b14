//! The device scenarios: on the emulators (the default, as in CI) for one emulated device of
//! every kind they have; on real sticks for the devices listed in `hil/devices.toml` (see
//! `hil/README.md`). Each device's result is printed; any failure fails the test, and on the
//! emulators every device must pass (none may be skipped).

use sealhub_hil::devices::DeviceList;
use sealhub_hil::emulated::{EmulatedZigbee, EmulatedZwave};
use sealhub_hil::scenarios::{self, DeviceResult, Hands, Limits, Person, Verdict};
use sealhub_hil::{zigbee_stick, zwave_stick};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zigbee::driver::ZigbeeStick;
use sealhub_radios::zwave::driver::ZwaveStick;
use tokio::time::timeout;

/// Prints the results and fails on any failure, or on a skip when `all_must_pass`.
fn judge(radio: &str, results: &[DeviceResult], all_must_pass: bool) {
    for result in results {
        eprintln!("{radio}: {result}");
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|r| {
            matches!(r.verdict, Verdict::Failed(_))
                || all_must_pass && !matches!(r.verdict, Verdict::Passed(_))
        })
        .map(ToString::to_string)
        .collect();
    assert!(failed.is_empty(), "{radio} devices: {failed:#?}");
}

/// The user's devices file on real hardware; `None` (and a message) without one.
fn user_devices() -> Option<DeviceList> {
    match DeviceList::from_user_file() {
        Ok(Some(list)) => Some(list),
        Ok(None) => {
            eprintln!(
                "no hil/devices.toml (or SEALHUB_HIL_DEVICES): device scenarios skipped; copy \
                 hil/devices.example.toml to start one"
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zigbee_devices_pass_their_scenarios() {
    let under_test = zigbee_stick().await;
    let (devices, hands, limits): (_, Box<dyn Hands>, _) = match &under_test.emulator {
        Some(emulator) => {
            let (hands, devices) = EmulatedZigbee::new(emulator.clone());
            (devices, Box::new(hands), Limits::emulated())
        }
        None => {
            let Some(list) = user_devices() else { return };
            (list.zigbee, Box::new(Person::from_env()), Limits::real())
        }
    };
    if devices.is_empty() {
        eprintln!("no Zigbee devices listed: nothing to run");
        return;
    }
    let (stick, mut events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    timeout(limits.answer * 2, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    let results =
        scenarios::zigbee::run_all(&stick, &mut events, &devices, hands.as_ref(), limits).await;
    assert_eq!(results.len(), devices.len());
    judge("zigbee", &results, under_test.emulator.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zwave_devices_pass_their_scenarios() {
    let under_test = zwave_stick().await;
    let (devices, hands, limits): (_, Box<dyn Hands>, _) = match &under_test.emulator {
        Some(emulator) => {
            let (hands, devices) = EmulatedZwave::new(emulator.clone());
            (devices, Box::new(hands), Limits::emulated())
        }
        None => {
            let Some(list) = user_devices() else { return };
            (list.zwave, Box::new(Person::from_env()), Limits::real())
        }
    };
    if devices.is_empty() {
        eprintln!("no Z-Wave devices listed: nothing to run");
        return;
    }
    let (stick, mut events) = ZwaveStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    timeout(limits.answer * 2, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    let results =
        scenarios::zwave::run_all(&stick, &mut events, &devices, hands.as_ref(), limits).await;
    assert_eq!(results.len(), devices.len());
    judge("zwave", &results, under_test.emulator.is_some());
}
