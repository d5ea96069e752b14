//! An emulated Z-Wave USB controller (Aeotec Z-Stick 7, Zooz ZST39, UZB-7 class: a 700-series
//! static controller speaking the Serial API), for end-to-end tests of the driver and for
//! pointing other Z-Wave host programs at.
//!
//! From the wire up:
//!
//! 1. [`link`] — the stick's side of the Serial API framing (ACK/NAK/CAN, its own
//!    retransmissions), written apart from the driver's host side; only the byte-level frame
//!    and message types are shared.
//! 2. [`controller`] — the controller chip: identity, capabilities, node list, SendData,
//!    inclusion and exclusion, and its NVM for host backups.
//! 3. [`nodes`] — simulated nodes behind it: a binary switch, a sleeping sensor, a thermostat,
//!    a two-outlet metering plug, a sleeping multisensor, a colour bulb and alarm sensors
//!    (smoke, CO, leak); a door lock with user codes, a dimmer, a siren and a sleeping sensor
//!    doing S2 or S0 in [`nodes::secure`] (the full list is in `firmware-shim/README.md`).
//! 4. [`stick`] — all of it together, with per-message overrides and fault switches.
//! 5. [`pty`] — the stick on a pseudo-terminal, with unplug and replug.
//!
//! Everything but [`pty`] is pure: bytes and ticks in, bytes out (the secure nodes alone read
//! the clock: S0 nonces expire, and a joining node repeats its KEX Set echo).

pub mod controller;
pub mod link;
pub mod nodes;
pub mod pty;
pub mod stick;

pub use controller::{Controller, ControllerConfig};
pub use link::{LinkConfig, LinkStats, StickLink};
pub use nodes::secure::{Answer, SecureDevice, SecureNode};
pub use nodes::{SimNode, SimNodeKind};
pub use pty::{EmulatorHandle, PtyConfig, spawn_on_pty};
pub use stick::{EmulatedController, HostMessageHook, Override};
