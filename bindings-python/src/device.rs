//! `DeviceClient`: the core device client (MQTT) as awaitables, plus its two event streams as
//! async iterators (STYLE.md "Event delivery"). Handlers live in the Python facade.

use std::sync::Arc;

use iothub_twin::DeviceClient;
use iothub_twin::auth::{DeviceAuth, DeviceConnectionString};
use iothub_twin::device::{
    ConnectionStateStream, DesiredPatchStream, DeviceCredential, DeviceIdentity,
};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3_async_runtimes::tokio::future_into_py;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::convert::{from_py, to_py};
use crate::error::to_py_err;
use crate::options::PyDeviceOptions;

/// How a device client authenticates (the core's `DeviceCredential`); made by one of the
/// static methods.
#[pyclass(name = "Credential", module = "iothub_twin._native", frozen)]
pub(crate) struct PyCredential {
    inner: DeviceCredential,
}

#[pymethods]
impl PyCredential {
    /// A device or module connection string.
    #[staticmethod]
    fn connection_string(connection_string: String) -> Self {
        let inner = DeviceCredential::ConnectionString(connection_string);
        Self { inner }
    }

    /// A ready-made device or module SAS token (not renewable).
    #[staticmethod]
    fn sas_token(sas_token: String) -> Self {
        let inner = DeviceCredential::SasToken(sas_token);
        Self { inner }
    }

    /// The X.509 certificate of the options, for `host_name`/`device_id`[/`module_id`].
    #[staticmethod]
    #[pyo3(signature = (host_name, device_id, module_id = None))]
    fn x509(host_name: &str, device_id: String, module_id: Option<String>) -> PyResult<Self> {
        let identity = DeviceIdentity {
            host_name: host_name.parse().map_err(to_py_err)?,
            device_id,
            module_id,
            gateway_host_name: None,
        };
        let inner = DeviceCredential::X509 { identity };
        Ok(Self { inner })
    }
}

/// A connected device (or module) client. Made by `DeviceClient.connect(...)`.
#[pyclass(name = "DeviceClient", module = "iothub_twin._native", frozen)]
pub(crate) struct PyDeviceClient {
    inner: DeviceClient,
    /// The state stream opened the moment `connect` finished, handed out by the first
    /// `connection_state_updates` call, so a change before Python asks is not missed (desired
    /// patches the core itself holds for the first watcher).
    first_state: std::sync::Mutex<Option<ConnectionStateStream>>,
}

#[pymethods]
impl PyDeviceClient {
    /// Connects (awaitable resolving to a `DeviceClient`) with `credential`.
    #[staticmethod]
    fn connect<'py>(
        py: Python<'py>,
        credential: &PyCredential,
        options: &PyDeviceOptions,
    ) -> PyResult<Bound<'py, PyAny>> {
        let connecting =
            DeviceClient::connect_with(credential.inner.clone(), options.inner.clone());
        future_into_py(py, async move {
            let inner = connecting.await.map_err(to_py_err)?;
            let first_state = std::sync::Mutex::new(Some(inner.connection_state_updates()));
            Ok(PyDeviceClient { inner, first_state })
        })
    }

    /// The twin's properties (awaitable `{"desired": {...}, "reported": {...}}`).
    fn get_twin<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        future_into_py(py, async move {
            to_py(&client.get_twin().await.map_err(to_py_err)?)
        })
    }

    /// Merges `patch` into the reported properties (awaitable new reported `$version`).
    fn patch_twin_reported_properties<'py>(
        &self,
        py: Python<'py>,
        patch: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch: Value = from_py(patch, "the reported properties patch")?;
        let client = self.inner.clone();
        future_into_py(py, async move {
            client
                .patch_twin_reported_properties(&patch)
                .await
                .map_err(to_py_err)
        })
    }

    /// Desired-property patches (each with `$version`); ends on `close`. The first call's
    /// stream also has the patches that came since `connect` (the core holds them).
    fn desired_property_updates(&self) -> PyDesiredPatchStream {
        let stream = self.inner.desired_property_updates();
        PyDesiredPatchStream {
            inner: Arc::new(Mutex::new(stream)),
        }
    }

    /// Connection-state names from now on; ends on `close`.
    fn connection_state_updates(&self) -> PyConnectionStateStream {
        let first = self.first_state.lock().ok().and_then(|mut f| f.take());
        let stream = first.unwrap_or_else(|| self.inner.connection_state_updates());
        PyConnectionStateStream {
            inner: Arc::new(Mutex::new(stream)),
        }
    }

    /// `"connecting"`, `"connected"`, `"disconnected"`, `"failed"` or `"closed"`.
    #[getter]
    fn connection_state(&self) -> &'static str {
        self.inner.connection_state().as_str()
    }

    /// Replaces the SAS token of a client made from one and reconnects with it (awaitable);
    /// the core checks the token.
    fn update_sas_token<'py>(&self, py: Python<'py>, token: String) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        future_into_py(py, async move {
            client.update_sas_token(&token).await.map_err(to_py_err)
        })
    }

    /// Disconnects for good (awaitable): pending calls fail, streams end.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        future_into_py(py, async move {
            client.close().await;
            Ok(())
        })
    }
}

/// Async iterator of desired-property patches (`dict` with `$version`).
#[pyclass(name = "DesiredPatchStream", module = "iothub_twin._native", frozen)]
pub(crate) struct PyDesiredPatchStream {
    inner: Arc<Mutex<DesiredPatchStream>>,
}

#[pymethods]
impl PyDesiredPatchStream {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.inner.clone();
        future_into_py(py, async move {
            match stream.lock().await.next_patch().await {
                Some(patch) => to_py(&patch.to_json()),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }
}

/// Async iterator of connection-state names.
#[pyclass(name = "ConnectionStateStream", module = "iothub_twin._native", frozen)]
pub(crate) struct PyConnectionStateStream {
    inner: Arc<Mutex<ConnectionStateStream>>,
}

#[pymethods]
impl PyConnectionStateStream {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.inner.clone();
        future_into_py(py, async move {
            match stream.lock().await.next_state().await {
                Some(state) => Ok(state.as_str()),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }
}

/// A SAS token's expiry (`se`, Unix seconds), so the facade can ask for a new token in time.
#[pyfunction]
pub(crate) fn sas_token_expiry(token: &str) -> PyResult<u64> {
    let token = iothub_twin::auth::SasToken::parse(token).map_err(|e| {
        to_py_err(iothub_twin::Error::invalid_argument(format!(
            "not a SAS token: {e}"
        )))
    })?;
    Ok(token.expiry())
}

/// Parses a device or module connection string without connecting (so `create_from_*` can
/// refuse a bad one at once, as the official SDK does); returns whether it says `x509=true`.
#[pyfunction]
pub(crate) fn parse_device_connection_string(connection_string: &str) -> PyResult<bool> {
    let parsed: DeviceConnectionString = connection_string.parse().map_err(to_py_err)?;
    Ok(matches!(parsed.auth, DeviceAuth::X509))
}
