//! `ServiceClient`: the core service client (REST) as awaitables; twins, registry, queries,
//! configurations and statistics.
//! Documents cross as `dict`s in IoT Hub's wire shape (camelCase); the facade's models convert.

use std::sync::{Arc, Mutex};

use iothub_twin::service::{
    Configuration, ConfigurationQueriesTestInput, Device, Module, QueryOptions, TokenProvider,
};
use iothub_twin::{Error, ServiceClient};
use pyo3::prelude::*;
use serde_json::Value;

use crate::convert::{call, from_py};
use crate::error::to_py_err;
use crate::options::service_options;

/// A service (back-end) client for one hub.
#[pyclass(name = "ServiceClient", module = "iothub_twin._native", frozen)]
pub(crate) struct PyServiceClient {
    pub(crate) inner: ServiceClient,
}

/// The `Authorization` header value the facade keeps current (e.g. `Bearer <token>` from an
/// azure-identity credential); the client reads it before every request, so credential code
/// stays in Python and never runs on a tokio thread.
#[pyclass(name = "TokenSlot", module = "iothub_twin._native", frozen)]
pub(crate) struct PyTokenSlot {
    header: Arc<Mutex<Option<String>>>,
}

#[pymethods]
impl PyTokenSlot {
    #[new]
    fn new() -> Self {
        Self {
            header: Arc::new(Mutex::new(None)),
        }
    }

    /// Replaces the header value used from the next request on.
    fn set(&self, header: String) {
        if let Ok(mut slot) = self.header.lock() {
            *slot = Some(header);
        }
    }
}

struct SlotProvider(Arc<Mutex<Option<String>>>);

impl TokenProvider for SlotProvider {
    async fn token(&self) -> iothub_twin::Result<String> {
        self.0
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
            .ok_or_else(|| {
                Error::authentication("no token has been obtained from the token credential")
            })
    }
}

#[pymethods]
impl PyServiceClient {
    /// A client from a service connection string; `ca_pem` replaces the system roots.
    #[staticmethod]
    #[pyo3(signature = (connection_string, *, ca_pem = None, timeout = None))]
    fn from_connection_string(
        connection_string: &str,
        ca_pem: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let options = service_options(ca_pem, timeout)?;
        let inner =
            ServiceClient::from_connection_string(connection_string, options).map_err(to_py_err)?;
        Ok(Self { inner })
    }

    /// A client for `host_name` whose requests carry the header value held by `slot`.
    #[staticmethod]
    #[pyo3(signature = (host_name, slot, *, ca_pem = None, timeout = None))]
    fn with_token_slot(
        host_name: &str,
        slot: &PyTokenSlot,
        ca_pem: Option<String>,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let provider = SlotProvider(slot.header.clone());
        let options = service_options(ca_pem, timeout)?;
        let inner =
            ServiceClient::with_token_provider(host_name, provider, options).map_err(to_py_err)?;
        Ok(Self { inner })
    }

    fn get_twin<'py>(&self, py: Python<'py>, device_id: String) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.get_twin(&device_id))
    }

    fn get_module_twin<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        module_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c
            .get_module_twin(&device_id, &module_id))
    }

    #[pyo3(signature = (device_id, patch, etag = None))]
    fn update_twin<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        patch: &Bound<'py, PyAny>,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch: Value = from_py(patch, "the twin patch")?;
        call!(self.inner, py, |c| c.update_twin(
            &device_id,
            &patch,
            etag.as_deref()
        ))
    }

    #[pyo3(signature = (device_id, module_id, patch, etag = None))]
    fn update_module_twin<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        module_id: String,
        patch: &Bound<'py, PyAny>,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch: Value = from_py(patch, "the twin patch")?;
        call!(self.inner, py, |c| c.update_module_twin(
            &device_id,
            &module_id,
            &patch,
            etag.as_deref()
        ))
    }

    #[pyo3(signature = (device_id, twin, etag = None))]
    fn replace_twin<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        twin: &Bound<'py, PyAny>,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let twin: Value = from_py(twin, "the twin")?;
        call!(self.inner, py, |c| c.replace_twin(
            &device_id,
            &twin,
            etag.as_deref()
        ))
    }

    #[pyo3(signature = (device_id, module_id, twin, etag = None))]
    fn replace_module_twin<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        module_id: String,
        twin: &Bound<'py, PyAny>,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let twin: Value = from_py(twin, "the twin")?;
        call!(self.inner, py, |c| c.replace_module_twin(
            &device_id,
            &module_id,
            &twin,
            etag.as_deref()
        ))
    }

    /// One page of a query: `{"items": [...], "type": str | None, "continuationToken": ...}`.
    #[pyo3(signature = (query, page_size = None, continuation_token = None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        query: String,
        page_size: Option<u32>,
        continuation_token: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = QueryOptions {
            page_size,
            continuation: continuation_token,
        };
        call!(self.inner, py, |c| c.query_page(&query, &options))
    }

    fn create_device<'py>(
        &self,
        py: Python<'py>,
        device: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let device: Device = from_py(device, "the device")?;
        call!(self.inner, py, |c| c.create_device(&device))
    }

    fn get_device<'py>(&self, py: Python<'py>, device_id: String) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.get_device(&device_id))
    }

    #[pyo3(signature = (device_id, etag = None))]
    fn delete_device<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c
            .delete_device(&device_id, etag.as_deref()))
    }

    fn create_module<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let module: Module = from_py(module, "the module")?;
        call!(self.inner, py, |c| c.create_module(&module))
    }

    fn get_module<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        module_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.get_module(&device_id, &module_id))
    }

    #[pyo3(signature = (device_id, module_id, etag = None))]
    fn delete_module<'py>(
        &self,
        py: Python<'py>,
        device_id: String,
        module_id: String,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.delete_module(
            &device_id,
            &module_id,
            etag.as_deref()
        ))
    }

    #[pyo3(signature = (device, etag = None))]
    fn update_device<'py>(
        &self,
        py: Python<'py>,
        device: &Bound<'py, PyAny>,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let device: Device = from_py(device, "the device")?;
        call!(self.inner, py, |c| c
            .update_device(&device, etag.as_deref()))
    }

    #[pyo3(signature = (top = None))]
    fn list_devices<'py>(&self, py: Python<'py>, top: Option<u32>) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.list_devices(top))
    }

    #[pyo3(signature = (module, etag = None))]
    fn update_module<'py>(
        &self,
        py: Python<'py>,
        module: &Bound<'py, PyAny>,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let module: Module = from_py(module, "the module")?;
        call!(self.inner, py, |c| c
            .update_module(&module, etag.as_deref()))
    }

    fn list_modules<'py>(&self, py: Python<'py>, device_id: String) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.list_modules(&device_id))
    }

    fn create_configuration<'py>(
        &self,
        py: Python<'py>,
        configuration: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let configuration: Configuration = from_py(configuration, "the configuration")?;
        call!(self.inner, py, |c| c.create_configuration(&configuration))
    }

    fn get_configuration<'py>(
        &self,
        py: Python<'py>,
        configuration_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.get_configuration(&configuration_id))
    }

    #[pyo3(signature = (top = None))]
    fn get_configurations<'py>(
        &self,
        py: Python<'py>,
        top: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.get_configurations(top))
    }

    #[pyo3(signature = (configuration, etag = None))]
    fn update_configuration<'py>(
        &self,
        py: Python<'py>,
        configuration: &Bound<'py, PyAny>,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let configuration: Configuration = from_py(configuration, "the configuration")?;
        call!(self.inner, py, |c| c
            .update_configuration(&configuration, etag.as_deref()))
    }

    #[pyo3(signature = (configuration_id, etag = None))]
    fn delete_configuration<'py>(
        &self,
        py: Python<'py>,
        configuration_id: String,
        etag: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c
            .delete_configuration(&configuration_id, etag.as_deref()))
    }

    fn test_configuration_queries<'py>(
        &self,
        py: Python<'py>,
        input: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input: ConfigurationQueriesTestInput = from_py(input, "the queries")?;
        call!(self.inner, py, |c| c.test_configuration_queries(&input))
    }

    fn get_device_registry_statistics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.get_device_registry_statistics())
    }

    fn get_service_statistics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        call!(self.inner, py, |c| c.get_service_statistics())
    }
}
