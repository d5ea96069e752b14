//! The Serial API command machine driven by a hostile stick: one command submitted, then the
//! input fed as stick bytes in chunks while the clock advances by amounts the input picks, with
//! `tick` called at every deadline the machine announces, as the driver does. No panic, and:
//!
//! - at most one transaction in flight: `submit` while busy is refused (and writes nothing),
//!   at most one `Completed` per accepted submission, and `is_idle` agrees with the count;
//! - every `Write` is one well-formed frame: ACK, NAK, or the submitted command's frame
//!   (at most `MAX_ATTEMPTS` times);
//! - a completion carries what the command waits for (a response of its function id if it
//!   expects one, the callback with its id if it has one);
//! - `tick(d)` at a deadline `d` leaves the next deadline after `d` (it "fires every deadline at
//!   or before now").
//!
//! Input: `command steps..`. `command` picks one of a few typed host messages (response and
//! callback, response only, callback only, neither). Each step is a byte `c` followed by
//! `c & 0x0F` stick bytes: the clock first advances by `STEPS_MS[c >> 4]` (firing the deadlines
//! it passes), then the bytes are received; a step with no bytes only advances the clock.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sealhub_radios::zwave::serial::frame::{Frame, FrameType};
use sealhub_radios::zwave::serial::machine::{
    Command, CommandMachine, Error, MAX_ATTEMPTS, Output,
};
use sealhub_radios::zwave::serial::messages::HostMessage;
use sealhub_radios::zwave::serial::messages::capabilities::SetupRequest;
use sealhub_radios::zwave::serial::messages::inclusion::{
    AddNodeMode, AddNodeRequest, InclusionFlags,
};
use sealhub_radios::zwave::serial::messages::transmit::{SendDataRequest, TransmitOptions};

/// Clock steps in milliseconds, around the machine's timeouts (frame 1500, ACK 1600, retry
/// 100 / 1100, response 10 s, callback 65 s).
const STEPS_MS: [u64; 16] = [
    0, 1, 10, 99, 100, 500, 1099, 1100, 1499, 1500, 1600, 2000, 9_999, 10_000, 64_999, 65_000,
];

fn message(selector: u8) -> HostMessage {
    match selector % 6 {
        // response (checked for "accepted") and callback 0x0B
        0 => HostMessage::SendData(SendDataRequest {
            node_id: 3,
            data: vec![0x00, 0x00],
            transmit_options: TransmitOptions::DEFAULT,
            callback_id: 0x0B,
        }),
        // response only, checked; no callback (id 0)
        1 => HostMessage::SendData(SendDataRequest {
            node_id: 3,
            data: vec![0x25, 0x01, 0xFF],
            transmit_options: TransmitOptions::DEFAULT,
            callback_id: 0,
        }),
        // response only
        2 => HostMessage::GetControllerVersion,
        3 => HostMessage::SerialApiSetup(SetupRequest::GetSupportedCommands),
        // callback only
        4 => HostMessage::AddNode(AddNodeRequest {
            mode: AddNodeMode::Any,
            flags: InclusionFlags::HIGH_POWER | InclusionFlags::NETWORK_WIDE,
            callback_id: 0x01,
        }),
        // neither
        _ => HostMessage::SoftReset,
    }
}

struct Harness {
    machine: CommandMachine,
    command: Command,
    wire: Vec<u8>,
    submitted: usize,
    completed: usize,
    command_writes: usize,
}

impl Harness {
    /// Drains the outputs and checks them and the in-flight count.
    fn drain(&mut self) {
        while let Some(output) = self.machine.poll_output() {
            match output {
                Output::Write(bytes) => {
                    let frame = Frame::decode(&bytes)
                        .unwrap_or_else(|e| panic!("wrote a malformed frame {bytes:02x?}: {e}"));
                    match frame {
                        Frame::Ack | Frame::Nak => {}
                        Frame::Can => panic!("the host never writes CAN"),
                        Frame::Data(_) => {
                            assert_eq!(bytes, self.wire, "wrote a frame it was not given");
                            self.command_writes += 1;
                            assert!(
                                self.command_writes <= usize::from(MAX_ATTEMPTS) * self.submitted,
                                "more than {MAX_ATTEMPTS} attempts"
                            );
                        }
                    }
                }
                Output::Completed(result) => {
                    self.completed += 1;
                    if let Ok(done) = result {
                        let function = self.command.frame.function();
                        match (&done.response, self.command.expects_response) {
                            (Some(r), true) => {
                                assert_eq!(r.frame_type(), FrameType::Response);
                                assert_eq!(r.function(), function);
                                assert!(self.command.response_check.accepts(r));
                            }
                            (None, false) => {}
                            (r, expected) => {
                                panic!("response {r:?} but expects_response = {expected}")
                            }
                        }
                        match (&done.callback, self.command.callback_id) {
                            (Some(c), Some(id)) => {
                                assert_eq!(c.frame_type(), FrameType::Request);
                                assert_eq!(c.function(), function);
                                assert_eq!(c.payload().first(), Some(&id));
                            }
                            (None, None) => {}
                            (c, id) => panic!("callback {c:?} for callback id {id:?}"),
                        }
                    }
                }
                Output::Event(_) => {}
            }
        }
        assert!(
            self.completed <= self.submitted,
            "{} completions for {} submissions",
            self.completed,
            self.submitted
        );
        let in_flight = self.submitted - self.completed;
        assert!(in_flight <= 1);
        assert_eq!(
            self.machine.is_idle(),
            in_flight == 0,
            "is_idle disagrees with {in_flight} transactions in flight"
        );
    }

    /// A second submission while busy must be refused without side effects.
    fn try_overlap(&mut self, now: Instant) {
        if self.machine.is_idle() {
            return;
        }
        assert_eq!(
            self.machine.submit(now, self.command.clone()),
            Err(Error::Busy)
        );
        assert_eq!(self.machine.poll_output(), None, "a refused submit wrote");
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&selector, mut steps)) = input.split_first() else {
        return;
    };
    let command = Command::from_message(&message(selector)).expect("a valid message");
    let wire = command.frame.encode();
    let t0 = Instant::now();
    let mut h = Harness {
        machine: CommandMachine::new(),
        command: command.clone(),
        wire,
        submitted: 0,
        completed: 0,
        command_writes: 0,
    };
    h.machine
        .submit(t0, command)
        .expect("an idle machine accepts");
    h.submitted = 1;
    h.drain();
    assert!(
        h.machine.next_deadline().is_some(),
        "no deadline with a frame awaiting its ACK"
    );

    let mut now = t0;
    while let Some((&control, rest)) = steps.split_first() {
        let (chunk, rest) = rest.split_at(usize::from(control & 0x0F).min(rest.len()));
        steps = rest;

        let target = now + Duration::from_millis(STEPS_MS[usize::from(control >> 4)]);
        // Fire every deadline on the way, at its own instant.
        while let Some(deadline) = h.machine.next_deadline().filter(|d| *d <= target) {
            let deadline = deadline.max(now);
            h.machine.tick(deadline);
            h.drain();
            if let Some(next) = h.machine.next_deadline() {
                assert!(
                    next > deadline,
                    "tick left a deadline at or before its own instant"
                );
            }
            now = deadline;
        }
        now = target;

        h.try_overlap(now);
        if !chunk.is_empty() {
            h.machine.receive(now, chunk);
            h.drain();
        }
    }
});
