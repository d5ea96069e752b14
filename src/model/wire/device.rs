//! [`Device`] and [`Endpoint`]: records (maps with ascending integer keys), and the only
//! record that also travels alone (`to_bytes`), as a device's description.

use super::fields::{
    Fields, bounded, check_label, device_id, distinct, id_value, list, read_bytes, record, text,
    unsigned,
};
use super::{MAX_CAPABILITIES, MAX_DEVICES, MAX_ENDPOINTS};
use crate::cbor::{as_bool, encode, uint};
use crate::model::{Capability, Device, Endpoint, RadioKind, Result};
use coset::cbor::value::Value;

const DEVICE_ID: i64 = 1;
const DEVICE_RADIO: i64 = 2;
const DEVICE_NAME: i64 = 3;
const DEVICE_ROOM: i64 = 4;
const DEVICE_MANUFACTURER: i64 = 5;
const DEVICE_MODEL: i64 = 6;
const DEVICE_SLEEPS: i64 = 7;
const DEVICE_ENDPOINTS: i64 = 8;

const ENDPOINT_ID: i64 = 1;
const ENDPOINT_NAME: i64 = 2;
const ENDPOINT_CAPABILITIES: i64 = 3;

fn text_value(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Checks a list of devices: bounded, each id once, each device valid.
pub(super) fn check_devices(devices: &[Device]) -> Result<()> {
    bounded(devices.len(), MAX_DEVICES, "Devices")?;
    distinct(devices.iter().map(|d| &d.id), "Devices")?;
    devices.iter().try_for_each(Device::validate)
}

impl Endpoint {
    /// The CBOR value: `{1: id, 2: name, 3: [capability...]}`, 2 left out when unnamed.
    pub fn to_value(&self) -> Value {
        record([
            (ENDPOINT_ID, Some(uint(self.id.into()))),
            (ENDPOINT_NAME, self.name.as_deref().map(text_value)),
            (
                ENDPOINT_CAPABILITIES,
                Some(Value::Array(
                    self.capabilities.iter().map(Capability::to_value).collect(),
                )),
            ),
        ])
    }

    /// Reads an endpoint record and checks its fields.
    pub fn from_value(value: &Value) -> Result<Self> {
        let endpoint = Self::parse(value)?;
        endpoint.validate()?;
        Ok(endpoint)
    }

    /// Reads an endpoint record's structure and types.
    pub(super) fn parse(value: &Value) -> Result<Self> {
        let fields = Fields::read(
            value,
            "endpoint",
            &[ENDPOINT_ID, ENDPOINT_NAME, ENDPOINT_CAPABILITIES],
        )?;
        Ok(Endpoint {
            id: unsigned(fields.required(ENDPOINT_ID)?, "endpoint id")?,
            name: fields
                .optional(ENDPOINT_NAME)
                .map(|n| text(n, "endpoint name"))
                .transpose()?,
            capabilities: list(
                fields.required(ENDPOINT_CAPABILITIES)?,
                "endpoint capabilities",
                MAX_CAPABILITIES,
            )?
            .iter()
            .map(Capability::from_value)
            .collect::<Result<_>>()?,
        })
    }

    /// Checks the name and the capability list (bounded, each capability once).
    pub fn validate(&self) -> Result<()> {
        if let Some(name) = &self.name {
            check_label(name, "endpoint name")?;
        }
        bounded(
            self.capabilities.len(),
            MAX_CAPABILITIES,
            "endpoint capabilities",
        )?;
        distinct(&self.capabilities, "endpoint capabilities")
    }
}

impl Device {
    /// The CBOR value: `{1: id, 2: radio, 3: name, 4: room, 5: manufacturer, 6: model,
    /// 7: sleeps, 8: [endpoint...]}`, 4 to 6 left out when unknown.
    pub fn to_value(&self) -> Value {
        record([
            (DEVICE_ID, Some(id_value(&self.id))),
            (DEVICE_RADIO, Some(self.radio.to_value())),
            (DEVICE_NAME, Some(text_value(&self.name))),
            (DEVICE_ROOM, self.room.as_deref().map(text_value)),
            (
                DEVICE_MANUFACTURER,
                self.manufacturer.as_deref().map(text_value),
            ),
            (DEVICE_MODEL, self.model.as_deref().map(text_value)),
            (DEVICE_SLEEPS, Some(Value::Bool(self.sleeps))),
            (
                DEVICE_ENDPOINTS,
                Some(Value::Array(
                    self.endpoints.iter().map(Endpoint::to_value).collect(),
                )),
            ),
        ])
    }

    /// Reads a device record and checks its fields.
    pub fn from_value(value: &Value) -> Result<Self> {
        let device = Self::parse(value)?;
        device.validate()?;
        Ok(device)
    }

    /// Reads a device record's structure and types.
    pub(super) fn parse(value: &Value) -> Result<Self> {
        let fields = Fields::read(
            value,
            "device",
            &[
                DEVICE_ID,
                DEVICE_RADIO,
                DEVICE_NAME,
                DEVICE_ROOM,
                DEVICE_MANUFACTURER,
                DEVICE_MODEL,
                DEVICE_SLEEPS,
                DEVICE_ENDPOINTS,
            ],
        )?;
        let optional_text = |key, what| fields.optional(key).map(|t| text(t, what)).transpose();
        Ok(Device {
            id: device_id(fields.required(DEVICE_ID)?, "device id")?,
            radio: RadioKind::from_value(fields.required(DEVICE_RADIO)?)?,
            name: text(fields.required(DEVICE_NAME)?, "device name")?,
            room: optional_text(DEVICE_ROOM, "device room")?,
            manufacturer: optional_text(DEVICE_MANUFACTURER, "device manufacturer")?,
            model: optional_text(DEVICE_MODEL, "device model")?,
            sleeps: as_bool(fields.required(DEVICE_SLEEPS)?, "device sleeps")?,
            endpoints: list(
                fields.required(DEVICE_ENDPOINTS)?,
                "device endpoints",
                MAX_ENDPOINTS,
            )?
            .iter()
            .map(Endpoint::parse)
            .collect::<Result<_>>()?,
        })
    }

    /// Checks the texts, and the endpoints (bounded, each id once, each valid).
    pub fn validate(&self) -> Result<()> {
        check_label(&self.name, "device name")?;
        for (text, what) in [
            (&self.room, "device room"),
            (&self.manufacturer, "device manufacturer"),
            (&self.model, "device model"),
        ] {
            if let Some(text) = text {
                check_label(text, what)?;
            }
        }
        bounded(self.endpoints.len(), MAX_ENDPOINTS, "device endpoints")?;
        distinct(self.endpoints.iter().map(|e| e.id), "device endpoints")?;
        self.endpoints.iter().try_for_each(Endpoint::validate)
    }

    /// The deterministic CBOR bytes of the device's description.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.to_value())
    }

    /// Reads a description from bytes: exactly one item in the deterministic encoding, every
    /// field checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_value(&read_bytes(bytes, "device")?)
    }
}
