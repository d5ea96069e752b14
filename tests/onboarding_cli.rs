//! `sealhub client` as a person runs it, against the hub task of `support::onboarding` on
//! real sockets: a wrong code exits non-zero with what to do next; the printed code pairs,
//! the state lands in `--client-dir` (0700), and `client devices` and `client send` reach
//! the hub over the pinned session; a client restarted (killed between runs) refuses an event
//! it already took and goes on sending.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use sealhub::model::{Attribute, Event};
use support::onboarding::{start_hub, start_hub_replaying, start_hub_with};

/// Runs `sealhub client --client-dir DIR ARGS…` off the async runtime (the hub task keeps
/// running meanwhile).
async fn client(dir: &Path, args: &[&str]) -> Output {
    let mut command = support::binary::sealhub_client(dir);
    command.args(args);
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("joins")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_exits_non_zero_and_says_what_to_do() {
    let hub = start_hub().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("client");
    let wrong = hub.wrong_code().to_grouped_string();
    let output = client(&dir, &["pair", &hub.url(), "--code", wrong.as_str()]).await;
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the hub refused the code: check it"),
        "{stderr}"
    );
    // Nothing was saved: a command that needs the pairing says how to pair.
    let output = client(&dir, &["devices"]).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("not paired yet: run `sealhub client pair"),
        "{}",
        text(&output.stderr)
    );
    let _ = hub.stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_code_pairs_and_the_client_lists_devices_and_sends_commands() {
    let hub = start_hub().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("client");
    let code = hub.code.to_grouped_string();
    let output = client(
        &dir,
        &[
            "pair",
            &hub.url(),
            "--code",
            code.as_str(),
            "--name",
            "laptop",
        ],
    )
    .await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains(&format!(
            "TLS fingerprint pinned {}, role owner",
            hex::encode(hub.fingerprint)
        )),
        "{stdout}"
    );
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);

    let output = client(&dir, &["devices"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let table = text(&output.stdout);
    assert!(
        table.contains("zb:lamp") && table.contains("Hall"),
        "{table}"
    );

    // A second run, a second command: its sequence number is one the hub has not seen.
    let output = client(&dir, &["send", "zb:lamp", "on"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("done: endpoint 1 now [OnOff(true)]"),
        "{}",
        text(&output.stdout)
    );
    // Without --endpoint the client picks the endpoint from the hub's device list, and refuses
    // an action no endpoint of the device can take before sending anything.
    let output = client(&dir, &["send", "zb:lamp", "level", "50"]).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("Lamp (zb:lamp) has no endpoint that can do that"),
        "{}",
        text(&output.stderr)
    );
    // With the endpoint named, it is sent, and the hub's failure comes back: non-zero, with the
    // hub's words.
    let output = client(&dir, &["send", "--endpoint", "1", "zb:lamp", "level", "50"]).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("the device did not answer in time"),
        "{}",
        text(&output.stderr)
    );
    let _ = hub.stop.send(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_each_event_with_its_signer_and_ends_with_the_session() {
    let event = Event::Report {
        endpoint: 1,
        values: vec![Attribute::OnOff(true)],
    };
    let hub = start_hub_with(Some(event)).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("client");
    let code = hub.code.to_grouped_string();
    let output = client(&dir, &["pair", &hub.url(), "--code", code.as_str()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));

    let mut child = support::binary::sealhub_client(&dir)
        .arg("watch")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("piped");
    // The greeting event arrives once the session is up; read until its line.
    let line = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("zb:lamp"))
    })
    .await
    .expect("joins")
    .expect("an event line");
    assert!(line.contains("signed by kid"), "{line}");
    assert!(line.contains("epoch 1"), "{line}");
    assert!(line.contains("OnOff(true)"), "{line}");
    // The hub goes away: watch says so and exits non-zero.
    let _ = hub.stop.send(true);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().expect("waits"))
        .await
        .expect("joins");
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("the hub closed the session"),
        "{}",
        text(&output.stderr)
    );
}

/// Starts `sealhub client watch` on `dir` and returns it with the first event line it prints.
async fn first_event_line(dir: &Path) -> (std::process::Child, String) {
    let mut child = support::binary::sealhub_client(dir)
        .arg("watch")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("piped");
    let line = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("zb:lamp"))
    })
    .await
    .expect("joins")
    .expect("an event line");
    (child, line)
}

/// The signer's sequence number in a `watch` line (`… (seq N, epoch …`).
fn seq_of(line: &str) -> u64 {
    let after = line.split("(seq ").nth(1).expect("a seq in the line");
    after
        .split(',')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_cli_client_refuses_a_replayed_event_and_keeps_sending() {
    let greeting = Event::Report {
        endpoint: 1,
        values: vec![Attribute::OnOff(true)],
    };
    // Every session opened gets every event sent before, again, then a fresh one.
    let hub = start_hub_replaying(greeting).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("client");
    let code = hub.code.to_grouped_string();
    let output = client(&dir, &["pair", &hub.url(), "--code", code.as_str()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));

    // First run: the first event, then the process is killed (no orderly shutdown).
    let (mut child, first) = first_event_line(&dir).await;
    child.kill().expect("kills");
    let _ = child.wait();
    let first_seq = seq_of(&first);

    // Second run: the first event comes again, byte for byte, before a fresh one on the same
    // connection. The first line printed is the fresh one: the replay was refused.
    let (mut child, second) = first_event_line(&dir).await;
    child.kill().expect("kills");
    let _ = child.wait();
    assert!(
        seq_of(&second) > first_seq,
        "the replayed event was printed again after a restart: {first} / {second}"
    );
    assert_eq!(
        hub.sent.lock().expect("lock").len(),
        2,
        "two events sealed, one per run"
    );

    // And the client goes on: its command is answered, not refused as a replay.
    let output = client(&dir, &["send", "zb:lamp", "on"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("done: endpoint 1 now [OnOff(true)]"),
        "{}",
        text(&output.stdout)
    );
    let _ = hub.stop.send(true);
}
