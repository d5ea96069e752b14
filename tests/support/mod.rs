//! Set-up shared by sealhub's integration tests, in one place rather than copied into every
//! test file: a test file takes it with `mod support;` and uses the parts it needs.
//!
//! - [`binary`]: the `sealhub` binary with none of the developer's shell variables leaking
//!   into it, and the start of its hub and client command lines.
//! - [`gateway`]: a hub (a real `Home` on a temporary sealed store and the gateway core)
//!   driven by explicit inputs and time, phones (real `Client`s), hand-made mappings (its items
//!   are re-exported here, as the gateway tests use them).
//! - [`hub`]: the `sealhub` binary running the demo house with its transport on a free
//!   port, clients paired on its store beforehand, client sessions over real TLS.
//! - [`house`]: both emulated sticks owned by the test (devices read, alarms triggered,
//!   sleepers woken) with `sealhub run` pointed at their ptys.
//! - [`kill`]: the crash tests' kill harness: a child process read line by line with bounded
//!   waits, killed with SIGKILL, and a seeded random source for the kill moments.
//! - [`zigbee`]: an emulated Zigbee stick on a pty with the real driver on it, devices joined
//!   and interviewed, the driver calls that carry out the gateway's `ZigbeeOp`s, bounded waits
//!   (its items are also re-exported here, as the Zigbee tests use them).
//! - [`onboarding`]: a hub task on real sockets and TLS with a real `Home` for pairing and
//!   envelopes (a stand-in for the gateway), and a client's store.
//! - [`store`]: a sealed store in a test's directory and every file on its disk.
//! - [`transport`]: the clients' transport serving a real home on 127.0.0.1, wired to
//!   channels the test plays the hub task on.
//! - [`zwave`]: a started Z-Wave driver on the emulated controller (`firmware_shim`) over a
//!   real pty, with plain and secure emulated nodes, inclusion, interviews and bounded waits
//!   for reports.
//! - [`tempdir`], [`copy_dir`]: a private (0700) temporary directory, since the sealed store
//!   refuses a data directory other users can enter (and `tempfile` creates them 0755 under the
//!   usual umask), and a copy of one (a backup or a restore).

// Each test file uses only some of the helpers.
#![allow(dead_code)]
#![allow(unused_imports)]

pub mod binary;
pub mod gateway;
pub mod house;
pub mod hub;
pub mod kill;
pub mod onboarding;
pub mod store;
pub mod transport;
pub mod zigbee;
pub mod zwave;

pub use gateway::*;
pub use zigbee::*;

mod private_dir;
pub use private_dir::{copy_dir, tempdir};
