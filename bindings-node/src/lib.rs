//! Node bindings of iothub-twin (napi-rs): the raw native module behind the `iothub-twin` npm
//! package. `lib/` (hand-written JS) shapes it like the official `azure-iot-device` and
//! `azure-iothub` APIs; this layer stays thin: clone the core handle, await on napi's own tokio
//! runtime, map the error (STYLE.md conventions 1, 2 and 7).

pub mod device;
mod error;
pub mod fleet;
pub mod options;
pub mod sas;
pub mod service;

use std::sync::Once;

static LOGGING: Once = Once::new();
static RUNTIME: Once = Once::new();

/// Installs a `tracing` subscriber filtered by `IOTHUB_TWIN_LOG` (e.g. `iothub_twin=debug`),
/// writing to stderr. Nothing is logged when the variable is unset.
///
/// Also hands napi a tokio runtime with a single worker thread (napi's custom-runtime hook; it
/// is still napi's runtime, configured). The MQTT driver and the awaiting calls then share one
/// thread: a request wakes the driver without a cross-thread wakeup, and no idle second worker
/// competes with the JS thread for a core. Measured in bench/README.md ("Node package"): at most
/// ~10 % on the round-trip rates, within the noise of a shared machine; RSS unchanged.
#[napi_derive::module_init]
fn init() {
    // Once per process: every worker_threads environment runs this again.
    RUNTIME.call_once(|| {
        // The blocking pool (name resolution before each connect) bounded too: tokio's default
        // is 512 threads, and a fleet connecting at once would start one per connect.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .enable_all()
            .build();
        match runtime {
            Ok(runtime) => napi::bindgen_prelude::create_custom_tokio_runtime(runtime),
            // napi then builds its default runtime on first use.
            Err(error) => eprintln!("iothub-twin: could not build the tokio runtime: {error}"),
        }
    });
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
