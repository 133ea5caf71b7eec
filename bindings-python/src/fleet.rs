//! `FleetClient`: the core's jobs and bulk registry calls over a `ServiceClient`'s hub, as
//! awaitables; documents cross as `dict`s in IoT Hub's wire shape.

use iothub_twin::service::{ExportImportDevice, JobClient, JobRequest, QueryOptions};
use pyo3::prelude::*;

use crate::convert::{call, from_py};
use crate::service::PyServiceClient;

/// Scheduled jobs and bulk registry operations of one hub.
#[pyclass(name = "FleetClient", module = "iothub_twin._native", frozen)]
pub(crate) struct PyFleetClient {
    jobs: JobClient,
}

#[pymethods]
impl PyFleetClient {
    /// Jobs and bulk calls with `service`'s credential and options.
    #[staticmethod]
    fn of(service: &PyServiceClient) -> Self {
        Self {
            jobs: service.inner.jobs(),
        }
    }

    /// `PUT /jobs/v2/{jobId}` with a `JobRequest` dict.
    fn create_job<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request: JobRequest = from_py(request, "the job request")?;
        call!(self.jobs, py, |jobs| jobs.create_job(&request))
    }

    fn get_job<'py>(&self, py: Python<'py>, job_id: String) -> PyResult<Bound<'py, PyAny>> {
        call!(self.jobs, py, |jobs| jobs.get_job(&job_id))
    }

    fn cancel_job<'py>(&self, py: Python<'py>, job_id: String) -> PyResult<Bound<'py, PyAny>> {
        call!(self.jobs, py, |jobs| jobs.cancel_job(&job_id))
    }

    /// One page of jobs: `{"items": [...], "continuationToken": ...}`.
    #[pyo3(signature = (job_type = None, job_status = None, page_size = None, continuation_token = None))]
    fn query_jobs<'py>(
        &self,
        py: Python<'py>,
        job_type: Option<String>,
        job_status: Option<String>,
        page_size: Option<u32>,
        continuation_token: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = QueryOptions {
            page_size,
            continuation: continuation_token,
        };
        call!(self.jobs, py, |jobs| jobs.query_jobs_page(
            job_type.as_deref(),
            job_status.as_deref(),
            &options
        ))
    }

    /// `POST /devices` with a list of `ExportImportDevice` dicts.
    fn bulk<'py>(&self, py: Python<'py>, items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let items: Vec<ExportImportDevice> = from_py(items, "the bulk items")?;
        call!(self.jobs, py, |jobs| jobs
            .service_client()
            .bulk_registry_operation(&items))
    }
}
