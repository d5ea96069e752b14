//! The device model: one vocabulary for both radios. A Zigbee cluster and a Z-Wave command
//! class that mean the same thing (a light that is on, a door that is locked) become the same
//! typed [`Attribute`], a client's wish becomes the same [`Action`], and what travels in an
//! envelope's body is a [`Command`], a [`Response`] or an [`Event`] encoded in deterministic
//! CBOR (`docs/DEVICE-MODEL.md`).
//!
//! Values are integers in fixed units (as Matter does: 0.01 °C, 0.01 %RH, mW, mWh), so both
//! radios' scalings meet in one place and nothing is lost to floating point. Each value says
//! whether it is state (the latest value is what matters) or an event (each one matters).
//!
//! This module sits above the envelope and below the gateway: no tokio, no I/O and no radio
//! types, so the web page and any other client can speak it from its documentation alone.

mod attribute;
mod capability;
mod device;
mod error;
mod message;
mod wire;

pub use attribute::{
    Attribute, LockAction, LockSource, LockState, Nature, RunningState, ThermostatMode,
    UserCodeStatus,
};
pub use capability::{AlarmKind, Capability, MeasureKind};
pub use device::{Device, Endpoint, HUB_DEVICE, RadioKind, zigbee_device_id, zwave_device_id};
pub use error::{Error, Result};
pub use message::{
    Action, ClientInfo, Command, Event, Failure, HubCommand, HubResponse, Response, Role,
};
pub use wire::{
    MAX_CAPABILITIES, MAX_CLIENTS, MAX_DEVICES, MAX_ENDPOINTS, MAX_EXPLANATION_CHARS, MAX_HISTORY,
    MAX_LABEL_CHARS, MAX_MEASUREMENT, MAX_MESSAGE_BYTES, MAX_VALUES, MIN_TEMPERATURE,
};
