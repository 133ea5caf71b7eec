//! The one error-mapping file (STYLE.md convention 6): each core `Error` variant becomes an
//! instance of a class defined in Python (`iothub_twin/exceptions.py`), with `status`,
//! `error_code`, `error_code_number` and `tracking_id` set as attributes.
//!
//! The classes have no Python `__init__`, so building one runs no Python code (this may happen
//! on a tokio thread, under `Python::attach`).

use iothub_twin::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The Python exception class (by name in `iothub_twin.exceptions`) for a core error.
fn class_name(error: &Error) -> &'static str {
    match error {
        Error::InvalidConnectionString { .. } => "InvalidConnectionStringError",
        Error::InvalidArgument { .. } => "InvalidArgumentError",
        Error::InvalidTwin(_) => "InvalidTwinError",
        Error::Authentication { .. } => "CredentialError",
        Error::Connection { .. } => "ConnectionFailedError",
        Error::Timeout { .. } => "OperationTimeout",
        Error::Service(e) => match e.status {
            404 => "NotFoundError",
            412 => "PreconditionFailedError",
            429 => "ThrottledError",
            _ => "ServiceError",
        },
        Error::Protocol { .. } => "ProtocolError",
        Error::QueueFull { .. } => "QueueFullError",
        Error::Closed => "ClientClosedError",
        // `Error` is non-exhaustive: a variant added later is still a client error.
        _ => "ClientError",
    }
}

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
    let module = exceptions(py)?;
    let exception = module
        .getattr(class_name(error))?
        .call1((error.to_string(),))?;
    let code = error.error_code();
    let service = match error {
        Error::Service(e) => Some(e),
        _ => None,
    };
    exception.setattr("status", error.status())?;
    exception.setattr(
        "error_code",
        service
            .and_then(|e| e.code_name.clone())
            .or(code.map(|c| c.name().to_owned())),
    )?;
    exception.setattr(
        "error_code_number",
        service
            .and_then(|e| e.code_number)
            .or(code.map(|c| c.number())),
    )?;
    exception.setattr("tracking_id", service.and_then(|e| e.tracking_id.clone()))?;
    exception.setattr("retryable", error.is_retryable())?;
    Ok(PyErr::from_value(exception))
}
