//! `DeviceClient`: the core device client (MQTT) as awaitables, plus its two event streams as
//! async iterators (STYLE.md "Event delivery"). Handlers live in the Python facade.

use std::sync::Arc;

use iothub_twin::auth::{DeviceAuth, DeviceConnectionString};
use iothub_twin::device::{
    ConnectionState, ConnectionStateStream, DesiredPatchStream, DeviceCredential, DeviceIdentity,
    Transport,
};
use iothub_twin::tls::{ClientCertificate, Trust};
use iothub_twin::{DeviceClient, DeviceClientOptions, RetryPolicy};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3_async_runtimes::tokio::future_into_py;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::convert::{from_py, host_port, seconds, to_py};
use crate::error::to_py_err;

/// A connected device (or module) client. Made by `DeviceClient.connect(...)`.
#[pyclass(name = "DeviceClient", module = "iothub_twin._native", frozen)]
pub(crate) struct PyDeviceClient {
    inner: DeviceClient,
    /// Streams opened the moment `connect` finished, handed out by the first
    /// `desired_property_updates` / `connection_state_updates` call: a change that arrives
    /// before Python gets to ask is buffered, not missed.
    first_desired: std::sync::Mutex<Option<DesiredPatchStream>>,
    first_state: std::sync::Mutex<Option<ConnectionStateStream>>,
}

/// How to authenticate, from the arguments of `connect`.
enum Credentials {
    ConnectionString(String),
    SasToken(String),
    X509 {
        identity: DeviceIdentity,
        certificate: ClientCertificate,
    },
}

#[pymethods]
impl PyDeviceClient {
    /// Connects (awaitable resolving to a `DeviceClient`) with exactly one of: a connection
    /// string, a SAS token, or `host_name` + `device_id` + an X.509 certificate and key (PEM).
    /// Durations are seconds.
    #[staticmethod]
    #[pyo3(signature = (
        connection_string = None, *, sas_token = None, host_name = None, device_id = None,
        module_id = None, certificate_pem = None, private_key_pem = None,
        server_verification_cert = None, gateway_host_name = None, websockets = false,
        keep_alive = 60.0, sastoken_ttl = 3600.0, operation_timeout = 60.0,
        product_info = None, model_id = None, offline_queue_capacity = 1000,
        connection_retry = true, retry_initial_delay = None, retry_max_delay = None
    ))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn connect<'py>(
        py: Python<'py>,
        connection_string: Option<String>,
        sas_token: Option<String>,
        host_name: Option<String>,
        device_id: Option<String>,
        module_id: Option<String>,
        certificate_pem: Option<String>,
        private_key_pem: Option<String>,
        server_verification_cert: Option<String>,
        gateway_host_name: Option<String>,
        websockets: bool,
        keep_alive: f64,
        sastoken_ttl: f64,
        operation_timeout: f64,
        product_info: Option<String>,
        model_id: Option<String>,
        offline_queue_capacity: usize,
        connection_retry: bool,
        retry_initial_delay: Option<f64>,
        retry_max_delay: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut reconnect = if connection_retry {
            RetryPolicy::default()
        } else {
            RetryPolicy::no_retries()
        };
        if let Some(delay) = retry_initial_delay {
            reconnect.initial_delay = seconds(delay, "retry_initial_delay")?;
        }
        if let Some(delay) = retry_max_delay {
            reconnect.max_delay = seconds(delay, "retry_max_delay")?;
        }
        let credentials = match (
            connection_string,
            sas_token,
            certificate_pem,
            private_key_pem,
        ) {
            (Some(cs), None, None, None) => Credentials::ConnectionString(cs),
            (None, Some(token), None, None) => Credentials::SasToken(token),
            (None, None, Some(certificate_pem), Some(private_key_pem)) => Credentials::X509 {
                identity: DeviceIdentity {
                    host_name: host_port(host_name.as_deref().unwrap_or_default())?,
                    device_id: device_id.unwrap_or_default(),
                    module_id,
                    gateway_host_name: None,
                },
                certificate: ClientCertificate {
                    certificate_pem,
                    private_key_pem,
                },
            },
            _ => {
                return Err(to_py_err(iothub_twin::Error::InvalidArgument {
                    reason: "give one credential: a connection string, a SAS token, or an \
                             X.509 certificate with its private key"
                        .into(),
                }));
            }
        };
        let mut options = DeviceClientOptions {
            transport: if websockets {
                Transport::MqttWebSockets
            } else {
                Transport::Mqtt
            },
            trust: server_verification_cert.map_or(Trust::System, Trust::Pem),
            endpoint: gateway_host_name.as_deref().map(host_port).transpose()?,
            model_id,
            product_info,
            keep_alive: seconds(keep_alive, "keep_alive")?,
            operation_timeout: seconds(operation_timeout, "operation_timeout")?,
            sas_token_ttl: seconds(sastoken_ttl, "sastoken_ttl")?,
            offline_queue_capacity,
            reconnect,
            ..Default::default()
        };
        future_into_py(py, async move {
            let inner = match credentials {
                Credentials::ConnectionString(cs) => DeviceClient::connect(&cs, options).await,
                Credentials::SasToken(token) => {
                    DeviceClient::connect_with_sas_token(&token, options).await
                }
                Credentials::X509 {
                    identity,
                    certificate,
                } => {
                    options.client_certificate = Some(certificate);
                    DeviceClient::connect_with(identity, DeviceCredential::X509, options).await
                }
            }
            .map_err(to_py_err)?;
            Ok(PyDeviceClient {
                first_desired: std::sync::Mutex::new(Some(inner.desired_property_updates())),
                first_state: std::sync::Mutex::new(Some(inner.connection_state_updates())),
                inner,
            })
        })
    }

    /// The twin's properties (awaitable `{"desired": {...}, "reported": {...}}`).
    fn get_twin<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        future_into_py(py, async move {
            let twin = client.get_twin().await.map_err(to_py_err)?;
            to_py(&twin)
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
    /// stream starts when `connect` finished, later ones when they are made.
    fn desired_property_updates(&self) -> PyDesiredPatchStream {
        let first = self.first_desired.lock().ok().and_then(|mut f| f.take());
        let stream = first.unwrap_or_else(|| self.inner.desired_property_updates());
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
        state_name(&self.inner.connection_state())
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

fn state_name(state: &ConnectionState) -> &'static str {
    match state {
        ConnectionState::Connecting => "connecting",
        ConnectionState::Connected => "connected",
        ConnectionState::Disconnected { .. } => "disconnected",
        ConnectionState::Failed { .. } => "failed",
        ConnectionState::Closed => "closed",
        // Non-exhaustive: a state added later reads as not connected.
        _ => "disconnected",
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
                Some(state) => Ok(state_name(&state)),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        })
    }
}

/// Parses a device or module connection string without connecting (so `create_from_*` can
/// refuse a bad one at once, as the official SDK does); returns whether it says `x509=true`.
#[pyfunction]
pub(crate) fn parse_device_connection_string(connection_string: &str) -> PyResult<bool> {
    let parsed: DeviceConnectionString = connection_string.parse().map_err(to_py_err)?;
    Ok(matches!(parsed.auth, DeviceAuth::X509))
}
