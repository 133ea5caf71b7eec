//! The one error-mapping file (STYLE.md convention 6): each core error becomes an instance of
//! the class the core's kind table names (`ErrorKind::python_class`, defined in
//! `iothub_twin/exceptions.py`), with `code`, `status`, `error_code`, `error_code_number`,
//! `tracking_id` and `retryable` set as attributes.
//!
//! The classes have no Python `__init__`, so building one runs no Python code (this may happen
//! on a tokio thread, under `Python::attach`).

use iothub_twin::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// A core error as a Python exception.
pub(crate) fn to_py_err(error: Error) -> PyErr {
    Python::attach(|py| build(py, &error).unwrap_or_else(|failure| failure))
}

/// Imports `iothub_twin.exceptions` at module init, so that mapping an error later (maybe on a
/// tokio thread) is an attribute lookup, never an import.
pub(crate) fn init(py: Python<'_>) -> PyResult<()> {
    exceptions(py).map(drop)
}

fn exceptions(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    EXCEPTIONS
        .get_or_try_init(py, || {
            PyModule::import(py, "iothub_twin.exceptions").map(Bound::unbind)
        })
        .map(|module| module.bind(py))
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let kind = error.kind();
    let exception = exceptions(py)?
        .getattr(kind.python_class())?
        .call1((error.to_string(),))?;
    exception.setattr("code", kind.code())?;
    exception.setattr("status", error.status())?;
    exception.setattr("error_code", error.error_code_name())?;
    exception.setattr("error_code_number", error.error_code_number())?;
    exception.setattr("tracking_id", error.tracking_id())?;
    exception.setattr("retryable", error.is_retryable())?;
    Ok(PyErr::from_value(exception))
}
