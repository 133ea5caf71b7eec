//! `iothub_twin._native`: the private native module under the pure-Python `iothub_twin` facade
//! (STYLE.md conventions 1, 2, 7, 8, 13).
//!
//! Everything here is async over the one tokio runtime of `pyo3_async_runtimes`; the sync API
//! is pure Python. Python code never runs on a tokio thread: events are async iterators the
//! facade drains on its own event loop, and log records queue up for a Python thread.

mod convert;
mod device;
mod error;
mod logging;
mod options;
mod service;

use pyo3::prelude::*;

/// The module: classes, and the log-record queue's reader.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
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
    m.add_function(wrap_pyfunction!(logging::next_log_records, m)?)?;
    m.add_function(wrap_pyfunction!(device::parse_device_connection_string, m)?)?;
    m.add_function(wrap_pyfunction!(device::sas_token_expiry, m)?)?;
    Ok(())
}
