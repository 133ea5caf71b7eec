//! A local Azure IoT Hub twin emulator: identity registry, durable twin store, the REST service
//! API over TLS, the MQTT device endpoint (TLS and WebSockets) and the twin query language.
//!
//! Start it in-process (tests use ports 0 and `--in-memory`):
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use iothub_twin_emulator::{EmulatorConfig, RunningEmulator};
//!
//! let hub = RunningEmulator::start(EmulatorConfig::ephemeral()).await?;
//! println!("REST on https://{}  CA {}", hub.https_addr, hub.ca_cert_path.display());
//! println!("{}", hub.ready_line());
//! hub.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! or run the `iothub-twin-emulator` binary, whose flags and ready line follow DESIGN.md's
//! "emulator contract".

mod clock;
mod config;
mod error;
mod explorer;
mod explorer_access;
mod faults;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod hub;
pub mod job_state;
mod mqtt;
mod policies;
pub mod query;
mod ready;
pub mod registry;
mod rest;
mod server;
pub mod store;
mod tls;
pub mod twin_state;

pub use config::{EmulatorConfig, HttpsLimits};
pub use error::HubError;
pub use faults::{FaultSettings, Faults};
pub use hub::{Hub, JOB_BATCH, JobStep, JobsPage, MAX_BULK_ITEMS, Tagged};
pub use policies::{Permission, Policies, Policy};
pub use ready::ReadyLine;
pub use registry::IdentityKey;
pub use rest::{MAX_BODY_BYTES, router};
pub use server::RunningEmulator;
pub use store::{Changes, Store, StoreEvent, TwinChange, TwinOp};
pub use twin_state::{DesiredChange, TwinState};
