//! An emulated Silicon Labs EmberZNet NCP (a USB Zigbee stick speaking EZSP over ASH), for
//! end-to-end tests of the driver and for pointing other Zigbee host programs at.
//!
//! From the wire up:
//!
//! 1. [`ash_ncp`] — the NCP side of the ASH link layer, written apart from the driver's host
//!    side.
//! 2. [`ncp`] — the EZSP state machine: version, configuration, values, endpoints, network
//!    formation and scans, keys, sending; with the network kept in emulated tokens. Requests the
//!    host addresses to the coordinator itself are answered by [`local_zdo`]; simulated devices
//!    join and answer interviews through [`devices`] (one module per kind of device), and ZCL
//!    through [`zcl_device`] (attributes, reporting on the emulator's clock, faults, leaving).
//!    The trust centre's per-device keys under a hashed TC link key come from [`tc_keys`]; the
//!    outgoing frame counters the stick used are recorded in [`frame_counters`].
//! 3. [`stick`] — both together, with per-frame overrides and fault switches for tests.
//! 4. [`pty`] — the stick on a pseudo-terminal, with unplug and replug.
//!
//! Everything but [`pty`] is pure: bytes in, bytes out.

pub mod ash_ncp;
pub mod devices;
pub mod frame_counters;
pub mod local_zdo;
pub mod ncp;
pub mod pty;
pub mod stick;
pub mod tc_keys;
pub mod zcl_device;

pub use ash_ncp::{AshNcp, AshNcpEvent, AshStats};
pub use devices::{DeviceEndpoint, DeviceKind, JoinRefusal, SimulatedDevice};
pub use frame_counters::{CounterLayer, CounterRun, FrameCounterLog};
pub use ncp::{EzspFrameFromHost, JoinAttempt, Ncp, NcpConfig, Nvm};
pub use pty::{EmulatorHandle, PtyConfig, spawn_on_pty};
pub use stick::{EmulatedStick, HostFrameHook, Override};
pub use zcl_device::{DeviceFault, ZclState};
