//! Tests of the wire encoding: round trips (property tests), refusals (one unit test per
//! kind), and the documentation's examples.

mod doc;
mod examples;
mod refusals;
mod roundtrip;
mod strategies;
