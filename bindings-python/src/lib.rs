//! `iothub_twin._native`: the private native module under the pure-Python `iothub_twin` facade
//! (STYLE.md conventions 1, 2, 7, 8, 13).
//!
//! Everything here is async over the one tokio runtime of `pyo3_async_runtimes`; the sync API
//! is pure Python. Python code never runs on a tokio thread: events are async iterators the
//! facade drains on its own event loop, and log records queue up for a Python thread.

mod convert;
mod device;
mod error;
mod fleet;
mod logging;
mod options;
mod service;

use pyo3::prelude::*;

/// Threads tokio may start for blocking work (name resolution before each connect, file reads).
/// Its default is 512, kept idle 10 s: 200 clients connecting at once left ~100 resolver threads
/// behind. Resolving localhost or a hub name takes well under a millisecond to a few, so a few
/// threads serve any fleet; connects beyond them queue for a moment instead of adding threads.
const MAX_BLOCKING_THREADS: usize = 4;

/// The one runtime every client runs on: pyo3-async-runtimes' own (its worker per core, all
/// drivers enabled), with the blocking pool bounded. Set before anything uses the runtime,
/// which is built on first use.
fn configure_runtime() {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS);
    pyo3_async_runtimes::tokio::init(builder);
}

/// The module: classes, and the log-record queue's reader.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    configure_runtime();
    logging::install();
    error::init(m.py())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<device::PyCredential>()?;
    m.add_class::<options::PyDeviceOptions>()?;
    m.add_class::<options::PyProxy>()?;
    m.add_class::<device::PyDeviceClient>()?;
    m.add_class::<device::PyDesiredPatchStream>()?;
    m.add_class::<device::PyConnectionStateStream>()?;
    m.add_class::<service::PyServiceClient>()?;
    m.add_class::<service::PyTokenSlot>()?;
    m.add_class::<fleet::PyFleetClient>()?;
    m.add_function(wrap_pyfunction!(logging::next_log_records, m)?)?;
    m.add_function(wrap_pyfunction!(device::parse_device_connection_string, m)?)?;
    m.add_function(wrap_pyfunction!(device::sas_token_expiry, m)?)?;
    Ok(())
}
