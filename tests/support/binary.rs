//! The `sealhub` binary as the integration tests run it: one place that knows where cargo put
//! it and which variables of the developer's shell must not leak into it, so a log filter or
//! a passphrase exported in a terminal cannot change what a test sees.

use std::path::Path;
use std::process::{Command, Output};

/// Variables cleared from every `sealhub` a test runs. A test that needs one sets it again
/// after (a later `env` wins over an earlier `env_remove`).
const FROM_THE_SHELL: [&str; 5] = [
    "SEALHUB_LOG",
    "RUST_LOG",
    "XDG_DATA_HOME",
    "SEALHUB_PASSPHRASE",
    "SEALHUB_BACKUP_PASSPHRASE",
];

/// `sealhub` with none of [`FROM_THE_SHELL`] set.
pub fn sealhub() -> Command {
    // Set by cargo for integration tests and benches only; this module is also compiled into
    // the binary's unit tests, which never start it.
    let Some(binary) = option_env!("CARGO_BIN_EXE_sealhub") else {
        panic!("the sealhub binary is run from integration tests only");
    };
    let mut command = Command::new(binary);
    for var in FROM_THE_SHELL {
        command.env_remove(var);
    }
    command
}

/// `sealhub --config CONFIG --data-dir DATA`, the start of every hub-side command line.
pub fn sealhub_on(config: &Path, data: &Path) -> Command {
    let mut command = sealhub();
    command
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data);
    command
}

/// `sealhub client --client-dir DIR`, the start of every client command line.
pub fn sealhub_client(dir: &Path) -> Command {
    let mut command = sealhub();
    command.arg("client").arg("--client-dir").arg(dir);
    command
}

/// [`sealhub`] for tests that feed stdin or use `assert_cmd`'s assertions.
pub fn sealhub_assert() -> assert_cmd::Command {
    assert_cmd::Command::from_std(sealhub())
}

/// What a finished command wrote to stderr, as text for assertions and failure messages.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What a finished command wrote to stdout, as text.
pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
