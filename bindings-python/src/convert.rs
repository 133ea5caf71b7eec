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

/// `future_into_py` over a call on a clone of `handle` (a core client), converting the answer to
/// Python and the error through the core's error table: the whole body of a binding method.
macro_rules! call {
    ($handle:expr, $py:ident, |$client:ident| $body:expr) => {{
        let $client = $handle.clone();
        pyo3_async_runtimes::tokio::future_into_py($py, async move {
            let answer = $body.await.map_err($crate::error::to_py_err)?;
            $crate::convert::to_py(&answer)
        })
    }};
}
pub(crate) use call;
