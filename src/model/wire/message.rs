//! The three envelope bodies: [`Command`], [`Response`] and [`Event`], each `[code,
//! fields...]`, each with `to_bytes` / `from_bytes` for the body's own bytes.

use super::MAX_EXPLANATION_CHARS;
use super::MAX_VALUES;
use super::fields::{
    arity, bounded, check_line, choice, list, read_bytes, read_choice, text, unsigned,
};
use crate::cbor::{encode, uint};
use crate::model::{
    Action, Attribute, Command, Device, Error, Event, Failure, HubCommand, HubResponse, Response,
    Result,
};
use coset::cbor::value::Value;

const COMMAND_DEVICE: u64 = 1;
const COMMAND_HUB: u64 = 2;

const RESPONSE_DONE: u64 = 1;
const RESPONSE_FAILED: u64 = 2;
const RESPONSE_QUEUED: u64 = 3;
const RESPONSE_TIMED_OUT: u64 = 4;
const RESPONSE_HUB: u64 = 5;

const EVENT_REPORT: u64 = 1;
const EVENT_WOKE_UP: u64 = 2;
const EVENT_UNREACHABLE: u64 = 3;
const EVENT_REACHABLE: u64 = 4;
const EVENT_DESCRIBED: u64 = 5;
const EVENT_LEFT: u64 = 6;

fn values_value(values: &[Attribute]) -> Value {
    Value::Array(values.iter().map(Attribute::to_value).collect())
}

fn parse_values(value: &Value, what: &'static str) -> Result<Vec<Attribute>> {
    list(value, what, MAX_VALUES)?
        .iter()
        .map(Attribute::parse)
        .collect()
}

fn check_values(values: &[Attribute], what: &'static str) -> Result<()> {
    bounded(values.len(), MAX_VALUES, what)?;
    values.iter().try_for_each(Attribute::validate)
}

impl Command {
    /// The CBOR value: `[1, endpoint, action]` or `[2, hub command]`.
    pub fn to_value(&self) -> Value {
        match self {
            Command::Device { endpoint, action } => choice(
                COMMAND_DEVICE,
                [uint((*endpoint).into()), action.to_value()],
            ),
            Command::Hub(command) => choice(COMMAND_HUB, [command.to_value()]),
        }
    }

    /// Reads a command and checks every field.
    pub fn from_value(value: &Value) -> Result<Self> {
        let command = Self::parse(value)?;
        command.validate()?;
        Ok(command)
    }

    fn parse(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, "command")?;
        Ok(match code {
            COMMAND_DEVICE => {
                let [_, endpoint, action] = arity(items, "device command")?;
                Command::Device {
                    endpoint: unsigned(endpoint, "command endpoint")?,
                    action: Action::parse(action)?,
                }
            }
            COMMAND_HUB => {
                let [_, command] = arity(items, "hub command")?;
                Command::Hub(HubCommand::parse(command)?)
            }
            code => {
                return Err(Error::UnknownCode {
                    what: "command",
                    code,
                });
            }
        })
    }

    /// Checks every field, as the hub does on receipt: a client calls it before sending.
    pub fn validate(&self) -> Result<()> {
        match self {
            Command::Device { action, .. } => action.validate(),
            Command::Hub(command) => command.validate(),
        }
    }

    /// The deterministic CBOR bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.to_value())
    }

    /// Reads a command from bytes: one item in the deterministic encoding, every field checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_value(&read_bytes(bytes, "command")?)
    }
}

impl Response {
    /// The CBOR value: `[1, endpoint, [attribute...]]`, `[2, failure, explanation]`, `[3]`,
    /// `[4]` or `[5, hub response]`.
    pub fn to_value(&self) -> Value {
        match self {
            Response::Done { endpoint, state } => choice(
                RESPONSE_DONE,
                [uint((*endpoint).into()), values_value(state)],
            ),
            Response::Failed { failure, message } => choice(
                RESPONSE_FAILED,
                [failure.to_value(), Value::Text(message.clone())],
            ),
            Response::Queued => choice(RESPONSE_QUEUED, []),
            Response::TimedOut => choice(RESPONSE_TIMED_OUT, []),
            Response::Hub(response) => choice(RESPONSE_HUB, [response.to_value()]),
        }
    }

    /// Reads a response and checks every field.
    pub fn from_value(value: &Value) -> Result<Self> {
        let response = Self::parse(value)?;
        response.validate()?;
        Ok(response)
    }

    fn parse(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, "response")?;
        Ok(match code {
            RESPONSE_DONE => {
                let [_, endpoint, state] = arity(items, "Done")?;
                Response::Done {
                    endpoint: unsigned(endpoint, "Done endpoint")?,
                    state: parse_values(state, "Done state")?,
                }
            }
            RESPONSE_FAILED => {
                let [_, failure, message] = arity(items, "Failed")?;
                Response::Failed {
                    failure: Failure::from_value(failure)?,
                    message: text(message, "Failed message")?,
                }
            }
            RESPONSE_QUEUED => arity::<1>(items, "Queued").map(|_| Response::Queued)?,
            RESPONSE_TIMED_OUT => arity::<1>(items, "TimedOut").map(|_| Response::TimedOut)?,
            RESPONSE_HUB => {
                let [_, response] = arity(items, "hub response")?;
                Response::Hub(HubResponse::parse(response)?)
            }
            code => {
                return Err(Error::UnknownCode {
                    what: "response",
                    code,
                });
            }
        })
    }

    /// Checks every field: call it on a response built from a device's answer before
    /// encoding it.
    pub fn validate(&self) -> Result<()> {
        match self {
            Response::Done { state, .. } => check_values(state, "Done state"),
            Response::Failed { message, .. } => check_line(
                message,
                "Failed message",
                0,
                MAX_EXPLANATION_CHARS,
                "must be at most 256 characters",
            ),
            Response::Queued | Response::TimedOut => Ok(()),
            Response::Hub(response) => response.validate(),
        }
    }

    /// The deterministic CBOR bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.to_value())
    }

    /// Reads a response from bytes: one item in the deterministic encoding, every field
    /// checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_value(&read_bytes(bytes, "response")?)
    }
}

impl Event {
    /// The CBOR value: `[1, endpoint, [attribute...]]`, `[2]`, `[3]`, `[4]`, `[5, device]`
    /// or `[6]`.
    pub fn to_value(&self) -> Value {
        match self {
            Event::Report { endpoint, values } => choice(
                EVENT_REPORT,
                [uint((*endpoint).into()), values_value(values)],
            ),
            Event::WokeUp => choice(EVENT_WOKE_UP, []),
            Event::Unreachable => choice(EVENT_UNREACHABLE, []),
            Event::Reachable => choice(EVENT_REACHABLE, []),
            Event::Described(device) => choice(EVENT_DESCRIBED, [device.to_value()]),
            Event::Left => choice(EVENT_LEFT, []),
        }
    }

    /// Reads an event and checks every field.
    pub fn from_value(value: &Value) -> Result<Self> {
        let event = Self::parse(value)?;
        event.validate()?;
        Ok(event)
    }

    fn parse(value: &Value) -> Result<Self> {
        let (code, items) = read_choice(value, "event")?;
        Ok(match code {
            EVENT_REPORT => {
                let [_, endpoint, values] = arity(items, "Report")?;
                Event::Report {
                    endpoint: unsigned(endpoint, "Report endpoint")?,
                    values: parse_values(values, "Report values")?,
                }
            }
            EVENT_WOKE_UP => arity::<1>(items, "WokeUp").map(|_| Event::WokeUp)?,
            EVENT_UNREACHABLE => arity::<1>(items, "Unreachable").map(|_| Event::Unreachable)?,
            EVENT_REACHABLE => arity::<1>(items, "Reachable").map(|_| Event::Reachable)?,
            EVENT_DESCRIBED => {
                let [_, device] = arity(items, "Described")?;
                Event::Described(Device::parse(device)?)
            }
            EVENT_LEFT => arity::<1>(items, "Left").map(|_| Event::Left)?,
            code => {
                return Err(Error::UnknownCode {
                    what: "event",
                    code,
                });
            }
        })
    }

    /// Checks every field: call it on an event built from a device's report before encoding
    /// it, so clients never receive what they would refuse.
    pub fn validate(&self) -> Result<()> {
        match self {
            Event::Report { values, .. } => check_values(values, "Report values"),
            Event::Described(device) => device.validate(),
            Event::WokeUp | Event::Unreachable | Event::Reachable | Event::Left => Ok(()),
        }
    }

    /// The deterministic CBOR bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(&self.to_value())
    }

    /// Reads an event from bytes: one item in the deterministic encoding, every field checked.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_value(&read_bytes(bytes, "event")?)
    }
}
