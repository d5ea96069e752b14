//! Zigbee through a Silicon Labs EmberZNet stick: the protocol cores, without I/O.
//!
//! The data flow from the serial port up is:
//!
//! 1. [`ash`] — the UART link layer (Silicon Labs UG101): [`ash::decoder`] turns the byte stream
//!    into frames (flags, escapes, CANCEL/SUBSTITUTE, CRC, randomization, in [`ash::frame`]), and
//!    [`ash::link`] is the state machine that resets the stick, numbers, acknowledges and
//!    retransmits DATA frames, and hands their payloads up.
//! 2. [`ezsp`] — the EmberZNet Serial Protocol (UG100) carried in those payloads: the frame header
//!    (legacy for `version`, extended afterwards), one enum variant per command, response and
//!    callback, and the version negotiation.
//! 3. [`security`] — Zigbee key material computed on the hub: install codes and the link keys
//!    derived from them.
//! 4. [`driver`] — the thin tokio layer: one task owns the serial port, feeds bytes and the
//!    current time into [`ash::link::Link`] and the EZSP session, writes what they return,
//!    sleeps until their next deadline, and recovers from resets and unplugging; the start-up
//!    procedure forms a network on a blank stick. [`driver::ZigbeeStick`] is the API.
//! 5. [`backup`] — the open coordinator backup file (JSON) that Zigbee2MQTT, ZHA and sealhub
//!    exchange: the network's parameters and keys, for moving to another hub or stick.
//! 6. [`zdo`] and [`zcl`] — the application layer carried in the APS payloads of
//!    `incomingMessageHandler` / `sendUnicast`: ZDO (endpoint 0: discovery, binding, network
//!    management) and ZCL (the frame header, the foundation commands, the data types and the
//!    clusters sealhub uses). Pure codecs, no I/O.

pub mod ash;
pub mod backup;
pub mod driver;
pub mod ezsp;
pub mod security;
pub mod zcl;
pub mod zdo;
