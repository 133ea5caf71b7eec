//! Node bindings of iothub-twin (napi-rs): the raw native module behind the `iothub-twin` npm
//! package. `lib/` (hand-written JS) shapes it like the official `azure-iot-device` and
//! `azure-iothub` APIs; this layer stays thin: clone the core handle, await on napi's own tokio
//! runtime, map the error (STYLE.md conventions 1, 2 and 7).

pub mod device;
mod error;
pub mod options;
pub mod service;

use std::sync::Once;

static LOGGING: Once = Once::new();

/// Installs a `tracing` subscriber filtered by `IOTHUB_TWIN_LOG` (e.g. `iothub_twin=debug`),
/// writing to stderr. Nothing is logged when the variable is unset.
#[napi_derive::module_init]
fn init() {
    LOGGING.call_once(|| {
        if let Ok(filter) = std::env::var("IOTHUB_TWIN_LOG") {
            // tungstenite logs each sent WebSocket frame at TRACE, the CONNECT with its SAS token
            // included: never let that through, whatever the user's filter says.
            let filter = tracing_subscriber::EnvFilter::new(filter)
                .add_directive("tungstenite=debug".parse().expect("a valid directive"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
    });
}
