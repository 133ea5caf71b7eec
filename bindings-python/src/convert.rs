//! Type conversions across the boundary: JSON documents (`serde_json::Value` <-> `dict` through
//! `pythonize`).

use iothub_twin::Error;
use pyo3::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::to_py_err;

/// A Python object (`dict`, `list`, `str`, numbers, `None`) as a Rust value.
pub(crate) fn from_py<T: DeserializeOwned>(value: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    pythonize::depythonize(value).map_err(|e| {
        to_py_err(Error::invalid_argument(format!(
            "{what} is not a JSON document: {e}"
        )))
    })
}

/// A Rust value as Python objects, built under the GIL (on whichever thread finishes the call;
/// no Python code runs, only object construction).
pub(crate) fn to_py<T: Serialize + ?Sized>(value: &T) -> PyResult<Py<PyAny>> {
    Python::attach(|py| Ok(pythonize::pythonize(py, value)?.unbind()))
}
