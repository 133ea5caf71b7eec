//! What the test suites and benchmarks share (`tests/README.md` says which test goes where):
//! the one emulator-process launcher ([`emulator`], reading the emulator crate's typed
//! [`ReadyLine`]), a REST client ([`rest`]) and a raw MQTT client ([`mqtt`]).
// Test support: a failed expectation is a panic with a clear message, like in a test.
#![allow(clippy::missing_panics_doc)]

pub mod emulator;
pub mod mqtt;
pub mod rest;

pub use emulator::{EmulatorProcess, Launch, ReadyLine, built_binary};
pub use mqtt::RawClient;
pub use rest::{Answer, Service, tls_config};
