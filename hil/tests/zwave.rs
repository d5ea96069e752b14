//! Z-Wave scenarios that need no device included: they run against the emulated controller by
//! default and against a real controller when `SEALHUB_HIL_ZWAVE` names it (see
//! `hil/README.md`). Every wait is bounded, so a misbehaving stick fails the test instead of
//! hanging it.

use std::time::Duration;

use sealhub_hil::{next_event, zwave_stick};
use sealhub_radios::port::PortConfig;
use sealhub_radios::zwave::driver::{Error, RadioEvent, ZwaveStick};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_reads_the_home_id_and_the_node_list() {
    let under_test = zwave_stick().await;
    let (stick, _events) = ZwaveStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    let info = timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    assert_ne!(info.home_id, 0, "a controller always has a home id");
    assert!(
        info.nodes.contains(&info.node_id),
        "the controller is in its own node list"
    );
    assert!(
        info.sdk_version.starts_with('6') || info.sdk_version.starts_with('7'),
        "{info:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inclusion_mode_opens_and_closes() {
    let under_test = zwave_stick().await;
    let (stick, _events) = ZwaveStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    timeout(LIMIT, stick.add_node())
        .await
        .expect("in time")
        .expect("inclusion mode opens");
    timeout(LIMIT, stick.stop_inclusion())
        .await
        .expect("in time")
        .expect("and closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_to_an_absent_node_fails_cleanly() {
    let under_test = zwave_stick().await;
    let (stick, _events) = ZwaveStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    let info = timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    let absent = (2..=232)
        .find(|n| !info.nodes.contains(n))
        .expect("a free node id");
    // Basic Get to a node that is not there: an error, in bounded time, never a hang.
    let result = timeout(LIMIT, stick.send_data(absent, vec![0x20, 0x02])).await;
    assert!(
        result.expect("the send gives up in time").is_err(),
        "node {absent} is absent"
    );
    // The stick still works afterwards.
    timeout(LIMIT, stick.add_node())
        .await
        .expect("in time")
        .expect("still answering");
    timeout(LIMIT, stick.stop_inclusion())
        .await
        .expect("in time")
        .expect("still answering");
}

// One thread: the wait for the refused command runs on a paused clock, which tokio allows only
// on the current-thread runtime.
#[tokio::test]
async fn an_unplugged_controller_is_noticed_and_picked_up_again() {
    let under_test = zwave_stick().await;
    let Some(emulator) = under_test.emulator.as_ref() else {
        eprintln!("skipped on real hardware: unplugging needs the emulator");
        return;
    };
    let (stick, mut events) = ZwaveStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    let info = timeout(LIMIT, stick.start())
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
    // response or callback timeout) instead of being refused on the spot.
    tokio::time::pause();
    let refused = timeout(Duration::from_secs(1), stick.add_node())
        .await
        .expect("refused at once, waiting on no timer");
    tokio::time::resume();
    assert!(matches!(refused, Err(Error::StickLost)), "{refused:?}");
    emulator.replug().await.expect("replug");
    let back = next_event(&mut events, LIMIT, |e| match e {
        RadioEvent::StickBack(again) => Some(again.home_id),
        _ => None,
    })
    .await;
    assert_eq!(back, Some(info.home_id));
    // And the stick takes commands again.
    timeout(LIMIT, stick.stop_inclusion())
        .await
        .expect("in time")
        .expect("commands work again after the replug");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nvm_is_backed_up_completely() {
    let under_test = zwave_stick().await;
    let (stick, _events) = ZwaveStick::open(PortConfig::new(&under_test.path))
        .await
        .expect("port opens");
    let info = timeout(LIMIT, stick.start())
        .await
        .expect("start-up in time")
        .expect("start-up");
    // A real 500-series NVM takes some minutes at 48 bytes a frame.
    let backup = timeout(LIMIT * 10, stick.backup_nvm())
        .await
        .expect("backup in time")
        .expect("backup");
    eprintln!(
        "NVM backup: {} bytes, {:?}, {}",
        backup.data.len(),
        backup.format,
        backup.library_version
    );
    assert!(backup.data.len() >= 1024, "{backup:?}");
    assert!(
        backup.data.iter().any(|b| *b != 0xFF) && backup.data.iter().any(|b| *b != 0x00),
        "an NVM holding a network is neither erased nor zero"
    );
    if let Some(emulator) = under_test.emulator.as_ref() {
        let image = emulator.with_stick(|s| s.controller().nvm_image());
        assert!(backup.data == image, "the backup is the chip's NVM");
        assert_eq!(&backup.data[5..9], &info.home_id.to_be_bytes());
    }
    // The stick works normally afterwards (the NVM was closed again).
    timeout(LIMIT, stick.add_node())
        .await
        .expect("in time")
        .expect("still answering");
    timeout(LIMIT, stick.stop_inclusion())
        .await
        .expect("in time")
        .expect("still answering");
}
