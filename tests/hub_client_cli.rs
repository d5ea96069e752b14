//! `sealhub client` against the real `sealhub run` (its demo house, its printed setup code,
//! its transport on 127.0.0.1), as a person uses them: a wrong code is refused and repeated
//! wrong codes lock pairing, the right code included; the printed code pairs, and the client,
//! a new process for every command (so restarted each time), keeps listing devices and
//! sending commands that the hub runs.

mod support;

use sealhub::model::Role;
use support::hub::{RunningHub, another_code, client_cli};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_setup_code_is_refused_and_repeated_ones_lock_pairing_even_for_the_right_code() {
    let (mut hub, _) = tokio::task::block_in_place(|| RunningHub::start(&[] as &[(&str, Role)]));
    let code = hub.setup_code();
    let wrong = another_code(&code);
    let tmp = support::tempdir();
    let dir = tmp.path().join("client");
    let url = hub.url();

    // Wrong codes: refused, saying to check it, until the hub locks pairing.
    let mut refusals = 0;
    let locked = loop {
        let output = client_cli(&dir, &["pair", &url, "--code", &wrong]).await;
        assert!(!output.status.success());
        let stderr = text(&output.stderr);
        if stderr.contains("too many wrong codes, wait") {
            break stderr;
        }
        assert!(
            stderr.contains("the hub refused the code: check it"),
            "{stderr}"
        );
        refusals += 1;
        assert!(
            refusals < 10,
            "pairing never locked after {refusals} wrong codes"
        );
    };
    assert!(refusals >= 1, "a single wrong code does not lock: {locked}");

    // Locked: the right code is refused too, saying how long to wait.
    let output = client_cli(&dir, &["pair", &url, "--code", &code]).await;
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("too many wrong codes, wait"), "{stderr}");
    // Nothing was paired: the client says how to pair.
    let output = client_cli(&dir, &["devices"]).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("not paired yet: run `sealhub client pair"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_code_pairs_and_the_restarted_client_keeps_listing_and_commanding() {
    let (mut hub, _) = tokio::task::block_in_place(|| RunningHub::start(&[] as &[(&str, Role)]));
    let code = hub.setup_code();
    let tmp = support::tempdir();
    let dir = tmp.path().join("client");
    let url = hub.url();

    let output = client_cli(&dir, &["pair", &url, "--code", &code, "--name", "laptop"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "TLS fingerprint pinned {}, role owner",
            hex::encode(hub.fingerprint)
        )),
        "{stdout}"
    );
    // The code is used up: a second pairing with it is refused.
    let other = tmp.path().join("other");
    let output = client_cli(&other, &["pair", &url, "--code", &code]).await;
    assert!(!output.status.success());

    // Each command below is a new client process on the saved state: its sequence numbers
    // go on from the last run's, so the hub takes every one.
    let output = client_cli(&dir, &["devices"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    for device in support::hub::DEMO_HOUSE {
        assert!(table.contains(device), "{device} missing:\n{table}");
    }
    let light = "zb:124b00000000a15e";
    for (words, state) in [
        (&["on"][..], "OnOff(true)"),
        (&["off"][..], "OnOff(false)"),
        (&["on"][..], "OnOff(true)"),
    ] {
        let mut args = vec!["send", light];
        args.extend_from_slice(words);
        let output = client_cli(&dir, &args).await;
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        assert!(
            stdout.contains("done: endpoint 1 now") && stdout.contains(state),
            "{stdout}"
        );
    }
    // A Z-Wave device, too, after all those restarts.
    let output = client_cli(&dir, &["send", "zw:c0ffee42:2", "on"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("OnOff(true)"),
        "{}",
        text(&output.stdout)
    );
}
