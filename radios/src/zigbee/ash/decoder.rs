//! The streaming ASH byte decoder: the serial port hands over chunks of any size, the decoder
//! cuts them into frames at each flag, undoes byte stuffing, honours CANCEL and SUBSTITUTE,
//! drops XON/XOFF, and passes each body to [`super::frame::decode`].
//!
//! It never panics and never holds more than [`MAX_BODY_LEN`] bytes: a frame that grows longer
//! is dropped and reported at its flag. Garbage between frames ends up as one refused "frame" at
//! the next flag, after which the decoder is in step again.

use super::frame::{
    self, CANCEL, ESCAPE, ESCAPE_XOR, FLAG, Frame, MAX_BODY_LEN, SUBSTITUTE, XOFF, XON,
};
use super::{Error, Result};

/// Streaming decoder state: the body so far, a pending escape, and whether the frame is already
/// known to be bad.
#[derive(Debug, Clone)]
pub struct Decoder {
    body: Vec<u8>,
    escaped: bool,
    fault: Option<Error>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder waiting for the first byte of a frame.
    pub fn new() -> Self {
        Self {
            body: Vec::with_capacity(MAX_BODY_LEN),
            escaped: false,
            fault: None,
        }
    }

    /// Feeds one byte; returns a frame or a refused frame when the byte ends one.
    ///
    /// `Err(Cancelled)` is returned only when CANCEL discards bytes; a CANCEL between frames
    /// (as before RST) is silent.
    pub fn push(&mut self, byte: u8) -> Option<Result<Frame>> {
        match byte {
            FLAG => {
                let fault = self.fault.take();
                let escaped = core::mem::take(&mut self.escaped);
                let result = if let Some(err) = fault {
                    Some(Err(err))
                } else if escaped {
                    Some(Err(Error::DanglingEscape))
                } else if self.body.is_empty() {
                    None
                } else {
                    Some(frame::decode(&self.body))
                };
                self.body.clear();
                result
            }
            CANCEL => {
                let discarded = !self.body.is_empty() || self.fault.is_some() || self.escaped;
                self.clear();
                discarded.then_some(Err(Error::Cancelled))
            }
            SUBSTITUTE => {
                self.fault.get_or_insert(Error::Substituted);
                self.body.clear();
                None
            }
            XON | XOFF => None,
            ESCAPE => {
                self.escaped = true;
                None
            }
            _ => {
                if self.fault.is_some() {
                    return None;
                }
                let b = if core::mem::take(&mut self.escaped) {
                    byte ^ ESCAPE_XOR
                } else {
                    byte
                };
                if self.body.len() >= MAX_BODY_LEN {
                    self.fault = Some(Error::TooLong { max: MAX_BODY_LEN });
                    self.body.clear();
                } else {
                    self.body.push(b);
                }
                None
            }
        }
    }

    /// Feeds a chunk of any length; returns every frame (or refused frame) it completes.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Result<Frame>> {
        chunk.iter().filter_map(|&b| self.push(b)).collect()
    }

    /// Forgets any partial frame (used when the link resets).
    pub fn clear(&mut self) {
        self.body.clear();
        self.escaped = false;
        self.fault = None;
    }
}
