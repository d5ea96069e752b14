//! Zigbee scenarios that need no device joined: they run against the emulated stick by default
//! and against a real EZSP stick when `SEALHUB_HIL_ZIGBEE` names it (see `hil/README.md`).
//! Every wait is bounded, so a misbehaving stick fails the test instead of hanging it.

use std::time::Duration;

use sealhub_hil::{next_event, zigbee_stick};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zigbee::backup::NetworkBackup;
use sealhub_radios::zigbee::driver::{Error, RadioEvent, ZigbeeStick};
use sealhub_radios::zigbee::zcl::ClusterCommand;
use sealhub_radios::zigbee::zcl::clusters::{Empty, on_off};
use tokio::time::timeout;

/// Real sticks take a few seconds for an energy scan and network formation.
const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stick_reports_a_supported_version() {
    let under_test = zigbee_stick().await;
    let (stick, _events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    let version = stick.version().expect("version known after start-up");
    assert!(
        (14..=19).contains(&version.protocol),
        "EZSP protocol {}",
        version.protocol
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_is_formed_once_and_resumed_afterwards() {
    let under_test = zigbee_stick().await;
    let first = {
        let (stick, _events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
            .await
            .expect("port opens");
        timeout(LIMIT, stick.start())
            .await
            .expect("start-up in time")
            .expect("start-up")
    };
    assert!(
        (11..=26).contains(&first.channel),
        "channel {}",
        first.channel
    );
    assert!(
        first.pan_id != 0 && first.pan_id != 0xFFFF,
        "PAN id {:#06x}",
        first.pan_id
    );
    assert_eq!(first.node_id, 0x0000, "the hub is the coordinator");
    // A second start on the same stick resumes the same network.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (stick, _events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port reopens");
    let again = timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    assert_eq!(again, first, "the network must be resumed, not formed anew");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permit_join_opens_and_closes() {
    let under_test = zigbee_stick().await;
    let (stick, _events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    timeout(LIMIT, stick.permit_join(30))
        .await
        .expect("in time")
        .expect("permit join opens");
    timeout(LIMIT, stick.permit_join(0))
        .await
        .expect("in time")
        .expect("permit join closes");
}

// One thread: the wait for the refused command runs on a paused clock, which tokio allows only
// on the current-thread runtime.
#[tokio::test]
async fn an_unplugged_stick_is_noticed_and_picked_up_again() {
    let under_test = zigbee_stick().await;
    let Some(emulator) = under_test.emulator.as_ref() else {
        eprintln!("skipped on real hardware: unplugging needs the emulator");
        return;
    };
    let (stick, mut events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    let network = timeout(LIMIT, stick.start())
        .await
        .expect("in time")
        .expect("start-up");
    emulator.unplug().await;
    let lost = next_event(&mut events, LIMIT, |e| {
        matches!(e, RadioEvent::StickLost).then_some(())
    })
    .await;
    assert!(lost.is_some(), "no StickLost in time");
    // A command to the absent stick fails at once with `StickLost`. "At once" without a
    // real-time bound: on a paused clock tokio moves time only when every task waits on a
    // timer, so the one-second bound is passed only if the command waits on a timer (a
    // command or ASH timeout) instead of being refused on the spot.
    tokio::time::pause();
    let refused = timeout(Duration::from_secs(1), stick.permit_join(10))
        .await
        .expect("refused at once, waiting on no timer");
    tokio::time::resume();
    assert!(matches!(refused, Err(Error::StickLost)), "{refused:?}");
    emulator.replug().await.expect("replug");
    let back = next_event(&mut events, LIMIT, |e| match e {
        RadioEvent::StickBack(info) => Some(info),
        _ => None,
    })
    .await;
    assert_eq!(back, Some(network));
    timeout(LIMIT, stick.permit_join(0))
        .await
        .expect("in time")
        .expect("commands work again after the replug");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_and_the_network_is_the_same_afterwards() {
    let under_test = zigbee_stick().await;
    let (stick, _events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    let network = timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    let backup = timeout(LIMIT, stick.backup())
        .await
        .expect("backup in time")
        .expect("backup");
    assert_eq!(backup.pan_id, network.pan_id);
    assert_eq!(
        u64::from_le_bytes(backup.extended_pan_id),
        network.extended_pan_id
    );
    assert_eq!(backup.channel, network.channel);
    assert_eq!(u64::from_le_bytes(backup.coordinator_ieee), network.eui64);
    // Through the file a user keeps.
    let backup = NetworkBackup::from_json(&backup.to_json()).expect("own backup parses");

    // On real hardware, onto the same stick (it must see its own network and change nothing);
    // on the emulator, onto a blank stick as after a dead one is replaced.
    let fresh;
    let blank;
    let (target, expect_same_stick) = match under_test.emulator {
        None => (&stick, true),
        Some(_) => {
            fresh = zigbee_stick().await;
            (blank, _) = ZigbeeStick::open(PortConfig::new(&fresh.path))
                .await
                .expect("blank stick opens");
            (&blank, false)
        }
    };
    let report = timeout(LIMIT, target.restore(&backup, false))
        .await
        .expect("restore in time")
        .expect("restore");
    assert_eq!(report.already_on_network, expect_same_stick);
    let after = timeout(LIMIT, target.network())
        .await
        .expect("in time")
        .expect("network");
    assert_eq!(after, network, "the restored network is the backed-up one");
    let again = timeout(LIMIT, target.backup())
        .await
        .expect("in time")
        .expect("second backup");
    assert_eq!(
        again.network_key.key.as_bytes(),
        backup.network_key.key.as_bytes(),
        "the same network key"
    );
    assert_eq!(again.extended_pan_id, backup.extended_pan_id);
    assert!(again.network_key.frame_counter >= backup.network_key.frame_counter);
    timeout(LIMIT, target.permit_join(0))
        .await
        .expect("in time")
        .expect("the restored stick answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_to_an_absent_node_fails_cleanly() {
    let under_test = zigbee_stick().await;
    let (stick, _events) = ZigbeeStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    let known: Vec<u16> = timeout(LIMIT, stick.backup())
        .await
        .expect("in time")
        .expect("backup")
        .devices
        .iter()
        .filter_map(|d| d.nwk_address)
        .collect();
    let absent = (0x7A00..0xFFF0)
        .find(|n| !known.contains(n))
        .expect("a free address");
    let toggle = ClusterCommand::OnOff(on_off::ToServer::Toggle(Empty {}));
    let result = timeout(
        LIMIT,
        stick.send_cluster_command(absent, 1, on_off::CLUSTER_ID, toggle),
    )
    .await
    .expect("the send gives up in time");
    assert!(result.is_err(), "node {absent:#06x} is absent: {result:?}");
    timeout(LIMIT, stick.permit_join(0))
        .await
        .expect("in time")
        .expect("the stick still answers");
}
