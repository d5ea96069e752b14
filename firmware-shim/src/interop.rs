//! Where the reference host stacks (zigbee-herdsman, zwave-js) are installed for the interop
//! tests, and the one rule for when they are not: the test is skipped with the reason, or
//! fails when `SEALHUB_REQUIRE_INTEROP` is set (as CI sets it), so a missing install never
//! passes quietly.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Set, it turns a skipped interop test into a failed one.
pub const REQUIRE_VARIABLE: &str = "SEALHUB_REQUIRE_INTEROP";

/// The workspace's `tests/interop` directory (zigbee-herdsman; zwave-js in `zwave-js/`).
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("firmware-shim sits in the workspace root")
        .join("tests/interop")
}

/// `dir` when `node` runs and `dir/node_modules/<package>` is installed; otherwise `None`
/// after saying why `test` is skipped, or a panic when [`REQUIRE_VARIABLE`] is set.
pub fn installed(dir: PathBuf, package: &str, test: &str) -> Option<PathBuf> {
    let why = match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {
            let manifest = dir.join("node_modules").join(package).join("package.json");
            if manifest.is_file() {
                return Some(dir);
            }
            format!(
                "{} has no node_modules/{package} (run `npm ci` there)",
                dir.display()
            )
        }
        Ok(out) => format!("`node --version` failed: {}", out.status),
        Err(e) => format!("`node` is not runnable: {e}"),
    };
    if std::env::var_os(REQUIRE_VARIABLE).is_some() {
        panic!("{REQUIRE_VARIABLE} is set but {test} cannot run: {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
    None
}

/// [`installed`] for zigbee-herdsman in [`interop_dir`].
pub fn herdsman(test: &str) -> Option<PathBuf> {
    installed(interop_dir(), "zigbee-herdsman", test)
}

/// [`installed`] for zwave-js in `interop_dir()/zwave-js`.
pub fn zwave_js(test: &str) -> Option<PathBuf> {
    installed(interop_dir().join("zwave-js"), "zwave-js", test)
}
