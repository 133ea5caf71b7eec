//! Type conversions across the boundary: JSON documents (`serde_json::Value` <-> `dict` through
//! `pythonize`), durations (seconds as `float`), host names.

use std::time::Duration;

use iothub_twin::Error;
use iothub_twin::auth::HostPort;
use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::to_py_err;

/// A Python object (`dict`, `list`, `str`, numbers, `None`) as a Rust value.
pub(crate) fn from_py<T: DeserializeOwned>(value: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    pythonize::depythonize(value).map_err(|e| {
        to_py_err(Error::InvalidArgument {
            reason: format!("{what} is not a JSON document: {e}"),
        })
    })
}

/// A Rust value as Python objects, built under the GIL (on whichever thread finishes the call;
/// no Python code runs, only object construction).
pub(crate) fn to_py<T: Serialize + ?Sized>(value: &T) -> PyResult<Py<PyAny>> {
    Python::attach(|py| Ok(pythonize::pythonize(py, value)?.unbind()))
}

/// Seconds (`float`) as a `Duration`; a clear error for negative or non-finite values.
pub(crate) fn seconds(value: f64, name: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        to_py_err(Error::InvalidArgument {
            reason: format!("{name} must be a finite, non-negative number of seconds, not {value}"),
        })
    })
}

/// `host[:port]`.
pub(crate) fn host_port(value: &str) -> PyResult<HostPort> {
    value.parse().map_err(to_py_err)
}
