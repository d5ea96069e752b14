//! Set-up shared by sealhub's integration tests, in one place rather than copied into every
//! test file: a test file takes it with `mod support;` and uses the parts it needs.
//!
//! - [`gateway`]: a hub (a real `Home` on a temporary sealed store and the gateway core)
//!   driven by explicit inputs and time, phones (real `Client`s), hand-made mappings (its items
//!   are re-exported here, as the gateway tests use them).
//! - [`hub`]: the `sealhub` binary running the demo house with its transport on a free
//!   port, clients paired on its store beforehand, client sessions over real TLS.
//! - [`zigbee`]: an emulated Zigbee stick on a pty with the real driver on it, devices joined
//!   and interviewed, the driver calls that carry out the gateway's `ZigbeeOp`s, bounded waits
//!   (its items are also re-exported here, as the Zigbee tests use them).
//! - [`zwave`]: a started Z-Wave driver on the emulated controller (`firmware_shim`) over a
//!   real pty, with plain and secure emulated nodes, inclusion, interviews and bounded waits
//!   for reports.
//! - [`tempdir`], [`copy_dir`]: a private (0700) temporary directory, since the sealed store
//!   refuses a data directory other users can enter (and `tempfile` creates them 0755 under the
//!   usual umask), and a copy of one (a backup or a restore).

// Each test file uses only some of the helpers.
#![allow(dead_code)]
#![allow(unused_imports)]

pub mod gateway;
pub mod hub;
pub mod zigbee;
pub mod zwave;

pub use gateway::*;
pub use zigbee::*;

mod private_dir;
pub use private_dir::{copy_dir, tempdir};
