//! Option objects: keyword arguments onto the core's options. Every default and rule is the
//! core's (`Default`, `validate`); an argument left out (`None`) keeps the core's default.

use iothub_twin::device::Transport;
use iothub_twin::options::seconds;
use iothub_twin::proxy::ProxyOptions;
use iothub_twin::tls::{ClientCertificate, Trust};
use iothub_twin::{DeviceClientOptions, RetryPolicy, ServiceClientOptions};
use pyo3::prelude::*;

use crate::error::to_py_err;

/// An HTTP CONNECT proxy (basic auth when a user name is given).
#[pyclass(name = "Proxy", module = "iothub_twin._native", frozen)]
pub(crate) struct PyProxy {
    inner: ProxyOptions,
}

#[pymethods]
impl PyProxy {
    #[new]
    #[pyo3(signature = (host, port, username = None, password = None))]
    fn new(host: String, port: u16, username: Option<String>, password: Option<String>) -> Self {
        let mut inner = ProxyOptions::new(host, port);
        if let Some(username) = username {
            inner = inner.with_basic_auth(username, password.unwrap_or_default());
        }
        Self { inner }
    }
}

/// Device client options (seconds for durations); checked by the core when connecting.
#[pyclass(name = "DeviceOptions", module = "iothub_twin._native", frozen)]
pub(crate) struct PyDeviceOptions {
    pub(crate) inner: DeviceClientOptions,
}

#[pymethods]
impl PyDeviceOptions {
    #[new]
    #[pyo3(signature = (
        *, server_verification_cert = None, gateway_host_name = None, websockets = None,
        keep_alive = None, sastoken_ttl = None, operation_timeout = None, product_info = None,
        model_id = None, offline_queue_capacity = None, connection_retry = None,
        connection_retry_interval = None, certificate_pem = None, private_key_pem = None,
        proxy = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        server_verification_cert: Option<String>,
        gateway_host_name: Option<String>,
        websockets: Option<bool>,
        keep_alive: Option<f64>,
        sastoken_ttl: Option<f64>,
        operation_timeout: Option<f64>,
        product_info: Option<String>,
        model_id: Option<String>,
        offline_queue_capacity: Option<usize>,
        connection_retry: Option<bool>,
        connection_retry_interval: Option<f64>,
        certificate_pem: Option<String>,
        private_key_pem: Option<String>,
        proxy: Option<PyRef<'_, PyProxy>>,
    ) -> PyResult<Self> {
        let proxy = proxy.map(|p| p.inner.clone());
        let build = || -> iothub_twin::Result<DeviceClientOptions> {
            let mut options = DeviceClientOptions {
                trust: server_verification_cert.map_or(Trust::System, Trust::Pem),
                endpoint: gateway_host_name.map(|e| e.parse()).transpose()?,
                client_certificate: ClientCertificate::from_parts(
                    certificate_pem,
                    private_key_pem,
                )?,
                product_info,
                model_id,
                proxy,
                ..Default::default()
            };
            if websockets == Some(true) {
                options.transport = Transport::MqttWebSockets;
            }
            if let Some(secs) = keep_alive {
                options.keep_alive = seconds("keep_alive", secs)?;
            }
            if let Some(secs) = sastoken_ttl {
                options.sas_token_ttl = seconds("sastoken_ttl", secs)?;
            }
            if let Some(secs) = operation_timeout {
                options.operation_timeout = seconds("operation_timeout", secs)?;
            }
            if let Some(capacity) = offline_queue_capacity {
                options.offline_queue_capacity = capacity;
            }
            if connection_retry == Some(false) {
                options.reconnect = RetryPolicy::no_retries();
            }
            if let Some(secs) = connection_retry_interval {
                let interval = seconds("connection_retry_interval", secs)?;
                options.reconnect = options.reconnect.capped_at(interval);
            }
            Ok(options)
        };
        build().map(|inner| Self { inner }).map_err(to_py_err)
    }
}

/// Service client options: `ca_pem` replaces the system roots; `timeout` in seconds.
pub(crate) fn service_options(
    ca_pem: Option<String>,
    timeout: Option<f64>,
) -> PyResult<ServiceClientOptions> {
    let mut options = ServiceClientOptions {
        trust: ca_pem.map_or(Trust::System, Trust::Pem),
        ..Default::default()
    };
    if let Some(secs) = timeout {
        options.timeout = seconds("timeout", secs).map_err(to_py_err)?;
    }
    Ok(options)
}
