//! `FleetClient`: the core's scheduled jobs and bulk registry calls over a `ServiceClient`'s
//! hub (same credential and options); documents cross as JSON in IoT Hub's wire shape.

use iothub_twin::service::{Device, ExportImportDevice, JobClient, JobRequest, QueryOptions};
use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{call, throw};
use crate::service::{JsServiceClient, parse};

/// Scheduled jobs and bulk registry operations of one hub.
#[napi(js_name = "FleetClient")]
#[derive(Debug)]
pub struct JsFleetClient {
    jobs: JobClient,
}

type Answer<'env> = napi::Result<PromiseRaw<'env, Value>>;

#[napi]
impl JsFleetClient {
    /// Jobs and bulk calls with `service`'s credential and options.
    #[napi(factory)]
    pub fn of(service: &JsServiceClient) -> Self {
        Self {
            jobs: service.inner.jobs(),
        }
    }

    /// `PUT /jobs/v2/{jobId}` with a `JobRequest` (`{jobId, type, queryCondition, updateTwin,
    /// startTime?, maxExecutionTimeInSeconds?}`).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_job<'env>(&self, env: &'env Env, request: Value) -> Answer<'env> {
        let request: JobRequest = throw(env, parse(request, "job request"))?;
        call!(self.jobs, env, |jobs| jobs.create_job(&request))
    }

    /// `GET /jobs/v2/{jobId}`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_job<'env>(&self, env: &'env Env, job_id: String) -> Answer<'env> {
        call!(self.jobs, env, |jobs| jobs.get_job(&job_id))
    }

    /// `POST /jobs/v2/{jobId}/cancel`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn cancel_job<'env>(&self, env: &'env Env, job_id: String) -> Answer<'env> {
        call!(self.jobs, env, |jobs| jobs.cancel_job(&job_id))
    }

    /// One page of jobs: `{ items, continuationToken }`.
    #[napi(ts_return_type = "Promise<{ items: any[], continuationToken: string | null }>")]
    pub fn query_jobs<'env>(
        &self,
        env: &'env Env,
        job_type: Option<String>,
        job_status: Option<String>,
        page_size: Option<u32>,
        continuation_token: Option<String>,
    ) -> Answer<'env> {
        let options = QueryOptions {
            page_size,
            continuation: continuation_token,
        };
        call!(self.jobs, env, |jobs| jobs.query_jobs_page(
            job_type.as_deref(),
            job_status.as_deref(),
            &options
        ))
    }

    /// `POST /devices` with `ExportImportDevice` items: the `BulkRegistryOperationResult`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn bulk<'env>(&self, env: &'env Env, items: Value) -> Answer<'env> {
        let items: Vec<ExportImportDevice> = throw(env, parse(items, "list of bulk items"))?;
        call!(self.jobs, env, |jobs| jobs
            .service_client()
            .bulk_registry_operation(&items))
    }

    /// Creates `devices` in one bulk call (`create` for each).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn add_devices<'env>(&self, env: &'env Env, devices: Value) -> Answer<'env> {
        let devices: Vec<Device> = throw(env, parse(devices, "list of devices"))?;
        call!(self.jobs, env, |jobs| jobs
            .service_client()
            .add_devices(&devices))
    }

    /// Updates `devices` in one bulk call; `force` ignores their etags.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn update_devices<'env>(
        &self,
        env: &'env Env,
        devices: Value,
        force: bool,
    ) -> Answer<'env> {
        let devices: Vec<Device> = throw(env, parse(devices, "list of devices"))?;
        call!(self.jobs, env, |jobs| jobs
            .service_client()
            .update_devices(&devices, force))
    }

    /// Deletes `devices` in one bulk call; `force` ignores their etags.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn remove_devices<'env>(
        &self,
        env: &'env Env,
        devices: Value,
        force: bool,
    ) -> Answer<'env> {
        let devices: Vec<Device> = throw(env, parse(devices, "list of devices"))?;
        call!(self.jobs, env, |jobs| jobs
            .service_client()
            .remove_devices(&devices, force))
    }
}
